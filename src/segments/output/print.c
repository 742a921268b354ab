/*
 * print: one human-readable line per flow, in the manner of flowpipeline's printflowdump:
 *
 *   09:59:59: 192.0.2.129:123 -> 198.51.100.2:44321 [3 → @122.166.4.242 → 4], UDP, 9s, 15000 B, 10 pkts,
 *   13.33 kbps, 1.11 pps
 *
 * (one line). The time is the flow's end (or, without one, its receive time) in UTC; IPv6
 * addresses are bracketed before the port; interfaces show their description when an enricher
 * set one (control characters escaped, as \x1b or \u009b), else their index; a forwarding
 * status other than "forwarded" shows before the exporter (DROP/129, CONSUMED/192, with its
 * reason under `verbose`). The duration is whole seconds, at least 1, and the rates are
 * bytes * 8 and packets over it, with SI prefixes.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "format/flowfmt.h"
#include "ofd/segment.h"
#include "segments/common/outfile.h"
#include "util/termtext.h"
#include "util/utf8.h"

struct print_state {
	char *filename;
	int follow_symlinks;
	int useprotoname;
	int verbose;
	int highlight;
	struct ofd_outfile out;
};

static const char *const counters[] = {"write_errors", NULL};

/* A bounded line builder: appends are cut at the end of buf. */
struct line {
	char *p;
	size_t n, cap;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(l->p + l->n, l->cap - l->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		l->n += (size_t)r < l->cap - l->n ? (size_t)r : l->cap - l->n - 1;
}

/* Enricher text, at most 64 bytes (cut on a UTF-8 boundary), control characters and invalid
   UTF-8 escaped (util/termtext.h): an interface description must not drive the terminal. */
static void add_text(struct line *l, const char *s)
{
	char buf[OFD_TERMTEXT_CAP(64)];
	size_t n = strnlen(s, 65);
	ofd_termtext_escape(buf, sizeof(buf), s, ofd_utf8_cut(s, n, 64));
	add(l, "%s", buf);
}

static void add_addr(struct line *l, const struct ofd_ip *ip, uint16_t port, uint32_t as, int verbose)
{
	char a[OFD_IP_STRLEN];
	ofd_ip_str(ip, a);
	if (verbose && as)
		add(l, "AS%" PRIu32 "/", as);
	if (ip->family == OFD_AF_INET6)
		add(l, "[%s]:%u", a, port);
	else
		add(l, "%s:%u", a[0] ? a : "?", port);
}

/* RFC 7270 forwardingStatus reason codes. */
static const char *status_reason(unsigned st)
{
	static const char *const fwd[] = {"unknown", "fragmented", "not fragmented"};
	static const char *const drop[] = {"unknown",
					   "ACL deny",
					   "ACL drop",
					   "unroutable",
					   "adjacency",
					   "fragmentation and DF set",
					   "bad header checksum",
					   "bad total length",
					   "bad header length",
					   "bad TTL",
					   "policer",
					   "WRED",
					   "RPF",
					   "for us",
					   "bad output interface",
					   "hardware"};
	static const char *const cons[] = {"unknown", "terminate punt adjacency",
					   "terminate incomplete adjacency", "terminate for us"};
	unsigned r = st & 0x3f;
	switch (st >> 6) {
	case 1: return r < 3 ? fwd[r] : NULL;
	case 2: return r < 16 ? drop[r] : NULL;
	case 3: return r < 4 ? cons[r] : NULL;
	default: return NULL;
	}
}

static void add_status(struct line *l, unsigned st, int verbose)
{
	static const char *const cls[] = {"UNKNOWN", "FORWARD", "DROP", "CONSUMED"};
	if (!verbose && ((st & 0xff) >> 6) < 2)
		return; /* forwarded, or no status exported */
	add(l, "%s/%u", cls[(st & 0xff) >> 6], st);
	const char *why = verbose ? status_reason(st & 0xff) : NULL;
	if (why)
		add(l, " (%s)", why);
	add(l, " ");
}

static void add_iface(struct line *l, const char *desc, uint32_t idx)
{
	if (desc && desc[0])
		add_text(l, desc);
	else
		add(l, "%" PRIu32, idx);
}

static void add_proto(struct line *l, const struct ofd_flow *f, int useprotoname)
{
	const char *name = useprotoname ? ofd_proto_name(f->proto) : NULL;
	if (!name) {
		add(l, "%u", f->proto);
		return;
	}
	add(l, "%s", name);
	if (f->proto != 1 && f->proto != 58)
		return;
	if (ofd_flow_has(f, OFD_F_ICMP_TYPE))
		add(l, " (type %u, code %u)", f->icmp_type, f->icmp_code);
	else if (f->dst_port)
		add(l, " (type %u, code %u)", f->dst_port >> 8, f->dst_port & 0xff);
}

/* v with an SI prefix: "13.33 kbps". */
static void add_rate(struct line *l, double v, const char *unit)
{
	static const char *const pre[] = {"", "k", "M", "G", "T", "P"};
	unsigned i = 0;
	while (v >= 1000 && i + 1 < sizeof(pre) / sizeof(pre[0]))
		v /= 1000, i++;
	add(l, "%.2f %s%s", v, pre[i], unit);
}

/* Format one flow into buf (cap bytes, at least 128); returns the length. */
static size_t print_format(const struct print_state *s, const struct ofd_flow *f, char *buf, size_t cap)
{
	struct line l = {buf, 0, cap};
	buf[0] = 0;
	uint64_t t = f->time_flow_end_ns ? f->time_flow_end_ns : f->time_received_ns;
	time_t secs = (time_t)(t / 1000000000u);
	struct tm tm;
	gmtime_r(&secs, &tm);
	if (s->highlight)
		add(&l, "\033[31m");
	add(&l, "%02d:%02d:%02d: ", tm.tm_hour, tm.tm_min, tm.tm_sec);
	add_addr(&l, &f->src_addr, f->src_port, f->src_as, s->verbose);
	add(&l, " -> ");
	add_addr(&l, &f->dst_addr, f->dst_port, f->dst_as, s->verbose);
	add(&l, " [");
	add_iface(&l, f->in_if_desc, f->in_if);
	add(&l, " → ");
	add_status(&l, f->forwarding_status, s->verbose);
	char router[OFD_IP_STRLEN];
	ofd_ip_str(&f->sampler_address, router);
	add(&l, "@%s → ", router);
	add_iface(&l, f->out_if_desc, f->out_if);
	add(&l, "], ");
	add_proto(&l, f, s->useprotoname);
	uint64_t dur = 0;
	if (f->time_flow_start_ns && f->time_flow_end_ns > f->time_flow_start_ns)
		dur = (f->time_flow_end_ns - f->time_flow_start_ns) / 1000000000u;
	if (!dur)
		dur = 1;
	add(&l, ", %" PRIu64 "s, %" PRIu64 " B, %" PRIu64 " pkts, ", dur, f->bytes, f->packets);
	add_rate(&l, (double)f->bytes * 8 / (double)dur, "bps");
	add(&l, ", ");
	add_rate(&l, (double)f->packets / (double)dur, "pps");
	if (s->highlight)
		add(&l, "\033[0m");
	add(&l, "\n");
	if (buf[l.n - 1] != '\n') /* cut short: still one line */
		buf[l.n - 1] = '\n';
	return l.n;
}

static int print_init(struct ofd_segment *seg, void *state)
{
	struct print_state *s = state;
	(void)seg;
	return ofd_outfile_open(&s->out, s->filename, 0, s->follow_symlinks);
}

static void print_report(struct ofd_segment *seg, struct print_state *s)
{
	ofd_outfile_report(&s->out, seg);
}

static void print_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct print_state *s = state;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		ofd_outfile_room(&s->out);
		s->out.w.len += print_format(s, &b->flows[i], s->out.w.buf + s->out.w.len, 1024);
	}
	print_report(seg, s);
}

static void print_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct print_state *s = state;
	(void)now_ns;
	ofd_outfile_flush(&s->out);
	print_report(seg, s);
}

static void print_fini(struct ofd_segment *seg, void *state)
{
	struct print_state *s = state;
	ofd_outfile_close(&s->out);
	print_report(seg, s);
}

static const struct ofd_cfg_key print_keys[] = {
    {.key = "filename",
     .type = OFD_CFG_STRING,
     .offset = offsetof(struct print_state, filename),
     .help = "file to write (created, or truncated when it exists); standard output when not given"},
    {.key = "useprotoname",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct print_state, useprotoname),
     .def = "true",
     .help = "protocol names (UDP, ICMP with type and code) instead of numbers"},
    {.key = "verbose",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct print_state, verbose),
     .def = "false",
     .help = "add source and destination AS numbers and the forwarding status with its reason"},
    {.key = "highlight",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct print_state, highlight),
     .def = "false",
     .help = "print the lines in red (ANSI escape codes)"},
    {.key = "follow_symlinks",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct print_state, follow_symlinks),
     .def = "false",
     .help = "write through a symbolic link at filename (refused by default)"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_print = {
    OFD_SEGMENT_VERSION,
    .name = "print",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .summary = "print one human-readable line per flow (like flowpipeline's printflowdump)",
    .state_size = sizeof(struct print_state),
    .config = print_keys,
    .counters = counters,
    .init = print_init,
    .process = print_process,
    .tick = print_tick,
    .fini = print_fini,
};
