/*
 * ipfix and netflow9: every live record exported to collectors as IPFIX (RFC 7011) or NetFlow v9
 * (RFC 3954), so that overflowd can feed nfcapd, pmacct, goflow2 or another overflowd. Records
 * pass on unchanged.
 *
 *   - segment: ipfix
 *     config: {targets: ["127.0.0.1:4739", "[2001:db8::9]:4739"], transport: udp, mtu: 1400}
 *
 * The encoding (templates, elements, times, sequence numbers) is format/flowexport.h. Records are
 * written straight into the next free message buffer of a queue (64 buffers of `mtu` bytes, taken
 * at init: nothing is allocated per record); a full message is queued, the queue is sent when
 * full, at the end of every process() call (all but the open message) and on every tick (the
 * open message too), with one sendmmsg per UDP target. The export time follows the records'
 * receive times (the wall clock for records without one, never backwards), so a replayed capture
 * is exported in its own time, as softflowd -a does.
 *
 * Templates and the options record lead the first message, then every template_refresh_packets
 * messages or template_refresh_interval, whichever comes first (UDP; over TCP only on every new
 * connection, which gets a message of them before anything else).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/flowexport.h"
#include "ofd/segment.h"
#include "ofd/time.h"
#include "segments/common/fieldlist.h"
#include "segments/output/export_send.h"

#define TARGETS_MAX 16
#define QUEUE	    64

struct fx_state {
	/* config */
	struct ofd_strlist targets, fields;
	int transport; /* 0 udp, 1 tcp */
	uint64_t mtu, refresh_packets, refresh_ns, domain, sampling_rate, backoff_ns;
	/* set up by init() */
	int version;
	struct ofd_fx fx;
	struct fx_target tg[TARGETS_MAX];
	unsigned ntg;
	uint8_t *bufs; /* QUEUE message buffers of mtu bytes, then one for TCP template messages */
	size_t qlen[QUEUE];
	uint32_t qrec[QUEUE];
	uint8_t *qmsg[QUEUE];
	unsigned nq;	     /* ended messages queued */
	unsigned cur;	     /* the buffer of the open (or next) message */
	uint64_t clock_ms;   /* the export clock */
	uint64_t since_tmpl; /* messages since the templates were last sent */
	uint64_t tmpl_mono;  /* when they were */
	int tmpl_force;	     /* the next message carries them (start, a new uptime origin) */
	uint64_t mono_ns;    /* the monotonic clock at the start of process() or tick() */
};

enum { C_RECORDS, C_MESSAGES, C_SEND_ERRORS, C_LOST, C_RECONNECTS, C_TEMPLATES, C_REBASES };
static const char *const fx_counters[] = {"records",	"messages",	  "send_errors",   "lost_records",
					  "reconnects", "template_sends", "clock_rebases", NULL};

static const char *const transports[] = {"udp", "tcp", NULL};

/* The field set `fields` names (NULL when the key is not given: every field). */
struct fieldset_ctx {
	struct ofd_fieldset set;
};

static int add_field(void *ctx, const char *name)
{
	struct fieldset_ctx *c = ctx;
	int id = ofd_field_by_name(name);
	if (id < 0)
		return OFD_FIELDLIST_UNKNOWN;
	ofd_fieldset_set(&c->set, (unsigned)id);
	if (id == OFD_F_ICMP_CODE) /* type and code travel in one element */
		ofd_fieldset_set(&c->set, OFD_F_ICMP_TYPE);
	if (id == OFD_F_VLAN_ID)
		ofd_fieldset_set(&c->set, OFD_F_SRC_VLAN);
	return 0;
}

static int fx_check(const void *state, char *err, size_t errlen)
{
	const struct fx_state *s = state;
	struct fx_target t;
	if (s->targets.n == 0 || s->targets.n > TARGETS_MAX) {
		snprintf(err, errlen, "key targets: 1 to %d collectors as " OFD_HOSTPORT_FORMS, TARGETS_MAX);
		return OFD_ECONFIG;
	}
	for (size_t i = 0; i < s->targets.n; i++) {
		if (fx_target_parse(&t, s->targets.v[i], 0, 0)) {
			snprintf(
			    err, errlen,
			    "key targets[%zu]: \"%s\" is not a collector's numeric ADDR:PORT or [IPV6]:PORT "
			    "(no wildcard address, no port 0)",
			    i, s->targets.v[i]);
			return OFD_ECONFIG;
		}
	}
	struct fieldset_ctx c = {0};
	if (s->fields.n && ofd_fieldlist_walk(&s->fields, add_field, &c, err, errlen))
		return OFD_ECONFIG;
	struct ofd_fx fx;
	int rc = ofd_fx_init(&fx, s->version ? s->version : OFD_FX_IPFIX, s->fields.n ? &c.set : NULL, 0,
			     (uint32_t)s->mtu, 0, 0);
	if (rc == OFD_ECONFIG) {
		snprintf(err, errlen, "key fields: none of them is exported (see the README's element list)");
		return OFD_ECONFIG;
	}
	if (rc) {
		snprintf(err, errlen, "key mtu: %u bytes do not hold the templates and a record (%u do)",
			 (unsigned)s->mtu, (unsigned)fx.mtu_need);
		return OFD_ECONFIG;
	}
	return 0;
}

static int fx_init_common(struct ofd_segment *seg, struct fx_state *s, int version)
{
	char err[256];
	s->version = version;
	for (unsigned i = 0; i < TARGETS_MAX; i++)
		s->tg[i].fd = -1;
	if (fx_check(s, err, sizeof(err))) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
		return OFD_ECONFIG;
	}
	struct fieldset_ctx c = {0};
	if (s->fields.n && ofd_fieldlist_each(seg, "fields", &s->fields, add_field, &c))
		return OFD_ECONFIG;
	uint64_t now_ms = ofd_time_now_ns() / 1000000u;
	int rc = ofd_fx_init(&s->fx, version, s->fields.n ? &c.set : NULL, (uint32_t)s->domain,
			     (uint32_t)s->mtu, (uint32_t)s->sampling_rate, now_ms);
	if (rc)
		return rc;
	s->bufs = malloc((QUEUE + 1) * (size_t)s->mtu);
	if (!s->bufs)
		return -ENOMEM;
	for (size_t i = 0; i < s->targets.n; i++) {
		struct fx_target *t = &s->tg[s->ntg];
		if (fx_target_parse(t, s->targets.v[i], s->transport == 1, s->backoff_ns))
			return OFD_ECONFIG;
		s->ntg++;
		int e = fx_target_open(t);
		if (e) {
			ofd_seg_log(seg, OFD_LOG_ERR, "target %s: cannot open a socket: %s", t->name,
				    strerror(-e));
			return e;
		}
	}
	s->tmpl_force = 1;
	s->mono_ns = ofd_time_mono_ns();
	return 0;
}

static int ipfix_init(struct ofd_segment *seg, void *state)
{
	return fx_init_common(seg, state, OFD_FX_IPFIX);
}

static int nf9_init(struct ofd_segment *seg, void *state)
{
	return fx_init_common(seg, state, OFD_FX_V9);
}

static void count_send(struct ofd_segment *seg, const struct fx_send_stats *st)
{
	if (st->errors)
		ofd_segment_count(seg, C_SEND_ERRORS, st->errors);
	if (st->lost_records)
		ofd_segment_count(seg, C_LOST, st->lost_records);
	if (st->reconnects)
		ofd_segment_count(seg, C_RECONNECTS, st->reconnects);
}

/* Send the queued messages to every target (TCP: the templates first on a new connection).
   Returns the send errors. */
static uint64_t flush_queue(struct ofd_segment *seg, struct fx_state *s)
{
	struct fx_send_stats st = {0};
	uint64_t now = s->mono_ns;
	for (unsigned i = 0; i < s->ntg; i++) {
		struct fx_target *t = &s->tg[i];
		if (fx_target_poll(t, now, &st)) {
			uint8_t *tb = s->bufs + (size_t)QUEUE * s->mtu;
			size_t len = ofd_fx_template_msg(
			    &s->fx, tb, s->clock_ms ? s->clock_ms : ofd_time_now_ns() / 1000000u);
			uint32_t zero = 0;
			fx_target_send(t, &tb, &len, &zero, 1, now, &st);
			ofd_segment_count(seg, C_TEMPLATES, 1);
		}
		if (s->nq)
			fx_target_send(t, s->qmsg, s->qlen, s->qrec, s->nq, now, &st);
	}
	s->nq = 0;
	count_send(seg, &st);
	return st.errors;
}

/* End the open message and queue it; flush when the queue is full. */
static void end_message(struct ofd_segment *seg, struct fx_state *s)
{
	uint32_t recs = s->fx.records;
	size_t len = ofd_fx_end(&s->fx);
	if (!len)
		return;
	s->qmsg[s->nq] = s->bufs + (size_t)s->cur * s->mtu;
	s->qlen[s->nq] = len;
	s->qrec[s->nq] = recs;
	s->nq++;
	s->cur = (s->cur + 1) % QUEUE; /* free: the queue holds the others, or was just sent */
	ofd_segment_count(seg, C_MESSAGES, 1);
	if (s->nq == QUEUE)
		flush_queue(seg, s);
}

static void begin_message(struct ofd_segment *seg, struct fx_state *s)
{
	int tmpl = 0;
	if (s->transport == 0) {
		tmpl = s->tmpl_force || (s->refresh_packets && s->since_tmpl >= s->refresh_packets) ||
		       (s->refresh_ns && s->mono_ns - s->tmpl_mono >= s->refresh_ns);
	}
	if (tmpl) {
		s->tmpl_force = 0;
		s->since_tmpl = 0;
		s->tmpl_mono = s->mono_ns;
		ofd_segment_count(seg, C_TEMPLATES, 1);
	}
	s->since_tmpl++;
	ofd_fx_begin(&s->fx, s->bufs + (size_t)s->cur * s->mtu, s->clock_ms, tmpl);
}

static void fx_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct fx_state *s = state;
	uint64_t now_ns = ofd_time_now_ns(), n = 0;
	s->mono_ns = ofd_time_mono_ns();
	int v9 = s->version == OFD_FX_V9;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		uint64_t t = f->time_received_ns ? f->time_received_ns : now_ns;
		if (t / 1000000u > s->clock_ms)
			s->clock_ms = t / 1000000u;
		if (v9) {
			uint64_t xm = ofd_fx_open(&s->fx) ? s->fx.export_ms : s->clock_ms;
			if (!ofd_fx_clock_ok(&s->fx, f, xm)) {
				if (ofd_fx_open(&s->fx) && !s->fx.records)
					ofd_fx_drop(&s->fx); /* only templates so far: they come again */
				else
					end_message(seg, s);
				ofd_fx_rebase(&s->fx, f, s->clock_ms);
				s->tmpl_force = 1;
				ofd_segment_count(seg, C_REBASES, 1);
			}
		}
		if (!ofd_fx_open(&s->fx))
			begin_message(seg, s);
		if (!ofd_fx_add(&s->fx, f)) {
			end_message(seg, s);
			begin_message(seg, s);
			(void)ofd_fx_add(&s->fx, f); /* a record always fits an empty message */
		}
		n++;
	}
	ofd_segment_count(seg, C_RECORDS, n);
	int acking = ofd_segment_acking(seg);
	if (acking && ofd_fx_open(&s->fx))
		end_message(seg, s);
	if ((s->nq && flush_queue(seg, s) && acking))
		ofd_segment_not_through(seg);
}

/* Send what is waiting, the open message too; TCP connections make progress. */
static void fx_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct fx_state *s = state;
	(void)now_ns;
	s->mono_ns = ofd_time_mono_ns();
	if (ofd_fx_open(&s->fx))
		end_message(seg, s);
	flush_queue(seg, s);
}

static void fx_fini(struct ofd_segment *seg, void *state)
{
	struct fx_state *s = state;
	if (s->bufs) {
		s->mono_ns = ofd_time_mono_ns();
		if (ofd_fx_open(&s->fx))
			end_message(seg, s);
		if (s->nq)
			flush_queue(seg, s);
	}
	for (unsigned i = 0; i < TARGETS_MAX; i++)
		if (s->tg[i].fd >= 0)
			fx_target_close(&s->tg[i]);
	free(s->bufs);
	s->bufs = NULL;
}

#define FX_KEYS(domain_key, domain_help)                                                                     \
	OFD_KEY("targets", OFD_CFG_STRLIST, struct fx_state, targets, .required = 1,                         \
		.help = "collectors, numeric ADDR:PORT or [IPV6]:PORT (a list, at most 16): every message "  \
			"goes to each"),                                                                     \
	    OFD_KEY("mtu", OFD_CFG_UINT, struct fx_state, mtu, .def = "1400", .min = OFD_FX_MTU_MIN,         \
		    .max = OFD_FX_MTU_MAX,                                                                   \
		    .help = "the longest message in bytes (the UDP payload): records are packed up to it"),  \
	    OFD_KEY("template_refresh_packets", OFD_CFG_UINT, struct fx_state, refresh_packets, .def = "20", \
		    .max = 1e9,                                                                              \
		    .help = "UDP: the templates and the options record lead every Nth message (0: not by "   \
			    "count)"),                                                                       \
	    OFD_KEY("template_refresh_interval", OFD_CFG_DURATION, struct fx_state, refresh_ns,              \
		    .def = "60s",                                                                            \
		    .help = "UDP: ... and the first message after this long without them (0: not by time)"), \
	    OFD_KEY(domain_key, OFD_CFG_UINT, struct fx_state, domain, .def = "0", .max = 4294967295.0,      \
		    .help = domain_help),                                                                    \
	    OFD_KEY("sampling_rate", OFD_CFG_UINT, struct fx_state, sampling_rate, .def = "0",               \
		    .max = 4294967295.0,                                                                     \
		    .help = "the rate (1 in N) the options record states for the exporter (0: unknown); "    \
			    "every data record also carries its own sampling_rate"),                         \
	    OFD_KEY("fields", OFD_CFG_STRLIST, struct fx_state, fields,                                      \
		    .help = "export only these fields (any of their names; default all the templates "       \
			    "hold, see the README)")

static const struct ofd_cfg_key ipfix_keys[] = {
    FX_KEYS("observation_domain_id", "the Observation Domain ID of the messages and the options record's "
				     "scope"),
    OFD_KEY("transport", OFD_CFG_ENUM, struct fx_state, transport, .def = "udp", .choices = transports,
	    .help = "udp, or tcp: one connection per target, templates once per connection, reconnected "
		    "with a doubling backoff (messages while down are lost and counted)"),
    OFD_KEY("reconnect_backoff", OFD_CFG_DURATION, struct fx_state, backoff_ns, .def = "1s", .min = 1e6,
	    .max = 60e9,
	    .help = "tcp: the first wait before connecting again, doubled per failure up to 60s"),
    OFD_KEY_END,
};

static const struct ofd_cfg_key nf9_keys[] = {
    FX_KEYS("source_id", "the Source ID of the messages and the options record's System scope"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_ipfix = {
    OFD_SEGMENT_VERSION,
    .name = "ipfix",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .summary = "export flows as IPFIX (RFC 7011) to collectors over UDP or TCP",
    .state_size = sizeof(struct fx_state),
    .config = ipfix_keys,
    .counters = fx_counters,
    .check = fx_check,
    .init = ipfix_init,
    .process = fx_process,
    .tick = fx_tick,
    .fini = fx_fini,
};

const struct ofd_segment_type ofd_seg_netflow9 = {
    OFD_SEGMENT_VERSION,
    .name = "netflow9",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .summary = "export flows as NetFlow v9 (RFC 3954) to collectors over UDP",
    .state_size = sizeof(struct fx_state),
    .config = nf9_keys,
    .counters = fx_counters,
    .check = fx_check,
    .init = nf9_init,
    .process = fx_process,
    .tick = fx_tick,
    .fini = fx_fini,
};
