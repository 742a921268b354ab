/*
 * print (also printflowdump): one human-readable line per flow.
 *
 * format: flowpipeline (the default) prints flowpipeline's printflowdump line:
 *
 *   ESC[0m09:59:59: 192.0.2.129:123 → 198.51.100.2:44321 [3 → UNKNOWN/0@122.166.4.242 → 4], UDP, 9s,
 *   13.333 kbps, 1 pps  (then a space and the newline)
 *
 * (one line): ESC[0m (ESC[31m under `highlight`) opens every line; the flow's end in local time;
 * addresses as Go prints them (no brackets, "<nil>" for none), with "AS64496/" and the reverse-DNS
 * name glued before them under `verbose`; interface descriptions or indexes; the forwarding status
 * as flowpipeline writes it (UNKNOWN/0 for none, FORWARD/n unless 64, DROP/n, CONSUMED/n, with
 * flowpipeline's reasons under `verbose`); the protocol name (the protomap name, else IANA's, and
 * "ICMP (type t, code c)" from the destination port) or its number; whole seconds (at least 1),
 * bits and packets per second divided in whole numbers and printed with SI prefixes as Go's
 * humanize.SI does; " - NOTE" when a note is set. On standard output the colour is reset at the
 * end ("ESC[0m" and a newline), as flowpipeline does.
 *
 * format: overflowd prints overflowd's own line:
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
 *
 * Text from enrichers (descriptions, names, notes) is escaped in both (util/termtext.h).
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
	int format; /* FORMAT_* */
	struct ofd_outfile out;
};

enum { FORMAT_FLOWPIPELINE, FORMAT_OVERFLOWD };
static const char *const formats[] = {"flowpipeline", "overflowd", NULL};

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

/*
 * RFC 7270 forwardingStatus reason codes of a status of at most 8 bits (NULL otherwise, and for
 * codes it has none for). fp: flowpipeline's two spellings ("regular", "but DF set").
 */
static const char *status_reason(uint32_t st, int fp)
{
	static const char *const fwd[] = {NULL, "fragmented", "not fragmented"};
	static const char *const drop[] = {"unknown",
					   "ACL deny",
					   "ACL drop",
					   "unroutable",
					   "adjacency",
					   NULL,
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
	if (st > 0xff)
		return NULL;
	switch (st >> 6) {
	case 1: return r == 0 ? (fp ? "regular" : "unknown") : r < 3 ? fwd[r] : NULL;
	case 2:
		return r == 5	? (fp ? "fragmentation but DF set" : "fragmentation and DF set")
		       : r < 16 ? drop[r]
				: NULL;
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
	const char *why = verbose ? status_reason(st & 0xff, 0) : NULL;
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

/* ---- flowpipeline's printflowdump line ------------------------------------------------------ */

/* An address as Go's net.IP prints it: "<nil>" for none, IPv6 without brackets. */
static void add_goip(struct line *l, const struct ofd_ip *ip)
{
	char a[OFD_IP_STRLEN];
	ofd_ip_str(ip, a);
	add(l, "%s", a[0] ? a : "<nil>");
}

/* The status before "@router": flowpipeline's classes of the two top bits of the low byte. */
static void add_fp_status(struct line *l, uint32_t st, int verbose)
{
	static const char *const cls[] = {"UNKNOWN", "FORWARD", "DROP", "CONSUMED"};
	unsigned c = (st & 0xc0) >> 6;
	if (c == 0) {
		add(l, "UNKNOWN/%" PRIu32, st);
		return;
	}
	if (verbose) {
		const char *why = status_reason(st, 1);
		if (why)
			add(l, "%s/%" PRIu32 " (%s)", cls[c], st, why);
		return;
	}
	if (c != 1 || st != 64)
		add(l, "%s/%" PRIu32, cls[c], st);
}

/* IANA's descriptions where the registry has no keyword (flowpipeline prints those). */
static const char *iana_description(uint8_t proto)
{
	switch (proto) {
	case 61: return "any host internal protocol";
	case 63: return "any local network";
	case 68: return "any distributed file system";
	case 99: return "any private encryption scheme";
	case 114: return "any 0-hop protocol";
	case 253:
	case 254: return "Use for experimentation and testing";
	case 255: return "Reserved";
	default: return ""; /* 146-252: unassigned */
	}
}

static void add_fp_proto(struct line *l, const struct ofd_flow *f, int useprotoname)
{
	if (!useprotoname) {
		add(l, "%u", f->proto);
		return;
	}
	const char *name = f->proto_name && f->proto_name[0] ? f->proto_name : ofd_proto_keyword(f->proto);
	if (!name)
		name = iana_description(f->proto);
	if (strcmp(name, "ICMP") == 0 && f->dst_port)
		add(l, "ICMP (type %u, code %u)", f->dst_port / 256u, f->dst_port % 256u);
	else
		add_text(l, name);
}

/* v (a whole number) as Go's humanize.SI prints it: up to 6 decimals, trailing zeros cut, then
   a space, the SI prefix and the unit ("52.015384 Mbps", "190 pps", "0 bps"). */
static void add_si(struct line *l, uint64_t v, const char *unit)
{
	static const char *const pre[] = {"", "k", "M", "G", "T", "P", "E"};
	double mag = (double)v, scale = 1;
	unsigned e = 0;
	while (e + 1 < sizeof(pre) / sizeof(pre[0]) && mag >= scale * 1000)
		scale *= 1000, e++;
	char num[48];
	int n = snprintf(num, sizeof(num), "%.6f", mag / scale);
	while (n > 0 && num[n - 1] == '0')
		num[--n] = 0;
	if (n > 0 && num[n - 1] == '.')
		num[--n] = 0;
	add(l, "%s %s%s", num, pre[e], unit);
}

static size_t print_format_fp(const struct print_state *s, const struct ofd_flow *f, char *buf, size_t cap)
{
	struct line l = {buf, 0, cap};
	buf[0] = 0;
	uint64_t end = f->time_flow_end_ns / 1000000000u, start = f->time_flow_start_ns / 1000000000u;
	time_t secs = (time_t)end;
	struct tm tm;
	localtime_r(&secs, &tm);
	add(&l, "%s%02d:%02d:%02d: ", s->highlight ? "\033[31m" : "\033[0m", tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	if (s->verbose && f->src_as)
		add(&l, "AS%" PRIu32 "/", f->src_as);
	if (s->verbose && f->src_host_name && f->src_host_name[0])
		add_text(&l, f->src_host_name);
	add_goip(&l, &f->src_addr);
	add(&l, ":%u → ", f->src_port);
	if (s->verbose && f->dst_as)
		add(&l, "AS%" PRIu32 "/", f->dst_as);
	if (s->verbose && f->dst_host_name && f->dst_host_name[0])
		add_text(&l, f->dst_host_name);
	add_goip(&l, &f->dst_addr);
	add(&l, ":%u [", f->dst_port);
	add_iface(&l, f->in_if_desc, f->in_if);
	add(&l, " → ");
	add_fp_status(&l, f->forwarding_status, s->verbose);
	add(&l, "@");
	add_goip(&l, &f->sampler_address);
	add(&l, " → ");
	add_iface(&l, f->out_if_desc, f->out_if);
	add(&l, "], ");
	add_fp_proto(&l, f, s->useprotoname);
	uint64_t dur = end > start ? end - start : 1;
	add(&l, ", %" PRIu64 "s, ", dur);
	add_si(&l, f->bytes * 8 / dur, "bps");
	add(&l, ", ");
	add_si(&l, f->packets / dur, "pps");
	if (f->note && f->note[0]) {
		add(&l, " - ");
		add_text(&l, f->note);
	}
	add(&l, " \n");
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
		char *at = s->out.w.buf + s->out.w.len;
		s->out.w.len += s->format == FORMAT_FLOWPIPELINE ? print_format_fp(s, &b->flows[i], at, 1024)
								 : print_format(s, &b->flows[i], at, 1024);
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
	if (s->format == FORMAT_FLOWPIPELINE && !s->filename && s->out.w.buf) { /* reset the colour */
		ofd_outfile_room(&s->out);
		ofd_wbuf_lit(&s->out.w, "\033[0m\n");
	}
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
    {.key = "format",
     .type = OFD_CFG_ENUM,
     .offset = offsetof(struct print_state, format),
     .def = "flowpipeline",
     .choices = formats,
     .help = "flowpipeline: printflowdump's line (local time, Go's address and rate text, its status "
	     "words); overflowd: overflowd's line (UTC, bytes and packets, rates with two decimals)"},
    {.key = "verbose",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct print_state, verbose),
     .def = "false",
     .help = "add source and destination AS numbers (and, format flowpipeline, reverse-DNS names) and "
	     "the forwarding status with its reason"},
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
