/*
 * snmp: interface name, description and speed of a flow's in_if and out_if, asked by SNMP of the
 * exporter that sent it (the sampler address), as flowpipeline's `snmp` segment (`snmpinterface`
 * in older releases) does, with its keys:
 *
 *   - segment: snmp
 *     config:
 *       community: public      # SNMPv2c community
 *       regex: "^(.*)$"        # on descriptions: group 1 of a match replaces the description
 *       connlimit: 16          # agents asked at once
 *
 * Sets in_if_name/in_if_desc/in_if_speed (SrcIfName, SrcIfDesc, SrcIfSpeed) from IF-MIB ifName,
 * ifAlias and ifHighSpeed of in_if, and out_if_* (DstIf*) of out_if, where the interface is not
 * 0; speeds in bit/s in the record (ifHighSpeed's Mbit/s times 10^6), so flowpipeline's formats
 * (protojson, protobuf, its CSV) write its unit, Mbit/s, and `iface speed` filters compare alike. As in
 * flowpipeline, process() never waits for an agent: an interface not known yet is asked for in the background
 * and its first flows pass without its data (counted: pending); the answers are cached, asked
 * again after `cache_interval` (older data served meanwhile, up to twice that age). Unlike
 * flowpipeline the three fields are left alone for a record without a sampler address.
 *
 * Parts: snmp_cache.c (the shared cache and queue), snmp_poll.c (the net-snmp thread),
 * snmp_text.c (text checks and the regex); their contract in snmp_int.h.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/prefix.h"
#include "ofd/segment.h"
#include "ofd/time.h"
#include "segments/enrich/snmp_int.h"

#define SNMP_DEFAULT_REGEX "^(.*)$"

static const char *const snmp_counters[] = {
    [SNMP_C_PENDING] = "pending",
    [SNMP_C_QUEUE_FULL] = "queue_full",
    [SNMP_C_CACHE_FULL] = "cache_full",
    [SNMP_C_TIMEOUTS] = "timeouts",
    [SNMP_C_BAD_ANSWERS] = "bad_answers",
    [SNMP_C_AGENT_DOWN] = "agent_down",
    [SNMP_C_SEND_ERRORS] = "send_errors",
    [SNMP_C_ARENA_FULL] = "arena_full",
    NULL,
};

enum { M_LOOKUPS, M_ANSWERS, M_REGEX_ERRORS, M_REFUSED, M_ENTRIES, M_QUEUE, M_INFLIGHT };
static const struct ofd_metric snmp_metrics[] = {
    [M_LOOKUPS] = {"snmp_lookups_total",
		   OFD_METRIC_COUNTER,
		   0,
		   "Interface lookups by result: hit, stale (served while asked again), none (the agent has "
		   "no such interface), pending (no data yet).",
		   {"result"}},
    [M_ANSWERS] = {"snmp_answers_total",
		   OFD_METRIC_COUNTER,
		   0,
		   "Interfaces answered by agents: ok (with data), none (no such interface).",
		   {"result"}},
    [M_REGEX_ERRORS] = {"snmp_regex_errors_total",
			OFD_METRIC_COUNTER,
			0,
			"Descriptions the regex could not be applied to (match limits); kept whole.",
			{NULL}},
    [M_REFUSED] =
	{"snmp_agents_refused_total",
	 OFD_METRIC_COUNTER,
	 0,
	 "Requests not sent: the sampler address is not in `agents` (asked again after cache_interval).",
	 {NULL}},
    [M_ENTRIES] = {"snmp_cache_entries", OFD_METRIC_GAUGE, 0, "Interfaces in the cache.", {NULL}},
    [M_QUEUE] = {"snmp_queue_depth", OFD_METRIC_GAUGE, 0, "Interfaces waiting to be asked for.", {NULL}},
    [M_INFLIGHT] =
	{"snmp_agents_asked", OFD_METRIC_GAUGE, 0, "Agents being asked now (at most connlimit).", {NULL}},
    {.name = NULL},
};

static const struct ofd_cfg_key snmp_keys[] = {
    OFD_KEY("community", OFD_CFG_STRING, struct snmp_state, community, .def = "public",
	    .help = "the SNMPv2c community of the agents"),
    OFD_KEY("regex", OFD_CFG_STRING, struct snmp_state, regex, .def = SNMP_DEFAULT_REGEX,
	    .help =
		"applied to descriptions: when it matches and has a group, group 1 becomes the description "
		"(PCRE2, Go's regexp syntax as flowpipeline's users write it)"),
    OFD_KEY("connlimit", OFD_CFG_UINT, struct snmp_state, connlimit, .def = "16", .min = 1, .max = 1024,
	    .help = "agents asked at once"),
    OFD_KEY("cache_interval", OFD_CFG_DURATION, struct snmp_state, cache_interval, .def = "1h",
	    .help = "an interface is asked for again after this; older data is served meanwhile, up to twice "
		    "this age"),
    {.key = "synchronous",
     .type = OFD_CFG_IGNORED,
     .help = "process() never waits for an agent here: the first flows of an interface pass without its "
	     "data"},
    OFD_KEY("port", OFD_CFG_UINT, struct snmp_state, port, .def = "161", .min = 1, .max = 65535,
	    .help = "the agents' UDP port"),
    OFD_KEY("timeout", OFD_CFG_DURATION, struct snmp_state, timeout, .def = "1s",
	    .help = "wait for an answer this long (per try)"),
    OFD_KEY("retries", OFD_CFG_UINT, struct snmp_state, retries, .def = "1", .min = 0, .max = 10,
	    .help = "tries after the first before an agent counts as down"),
    OFD_KEY("backoff", OFD_CFG_DURATION, struct snmp_state, backoff, .def = "1m",
	    .help = "an agent that did not answer is not asked again for this long"),
    OFD_KEY("maxentries", OFD_CFG_UINT, struct snmp_state, maxentries, .def = "65536", .min = 8,
	    .max = 16777216, .help = "interfaces cached (the least recently used is replaced)"),
    OFD_KEY("queuesize", OFD_CFG_UINT, struct snmp_state, queuesize, .def = "4096", .min = 1, .max = 1048576,
	    .help = "interfaces waiting to be asked for; a miss beyond it is counted and asked for later"),
    OFD_KEY(
	"agents", OFD_CFG_STRLIST, struct snmp_state, agents,
	.help =
	    "the sampler addresses (addresses or prefixes) that are asked; none: every one, as flowpipeline "
	    "(the community then goes wherever a flow says it was exported)"),
    OFD_KEY_END,
};

static int regex_is_default(const char *re)
{
	return !re || strcmp(re, SNMP_DEFAULT_REGEX) == 0 || !*re;
}

static int snmp_check(const void *state, char *err, size_t errlen)
{
	const struct snmp_state *s = state;
	if (s->cache_interval < 1000000 || s->timeout < 1000000 || s->backoff < 1000000) {
		snprintf(err, errlen, "key %s: at least 1ms",
			 s->cache_interval < 1000000 ? "cache_interval"
			 : s->timeout < 1000000	     ? "timeout"
						     : "backoff");
		return OFD_ECONFIG;
	}
	if (s->timeout > 60 * OFD_NS_PER_S) {
		snprintf(err, errlen, "key timeout: at most 60s");
		return OFD_ECONFIG;
	}
	if (s->cache_interval > 365 * 86400 * OFD_NS_PER_S || s->backoff > 365 * 86400 * OFD_NS_PER_S) {
		snprintf(err, errlen, "key %s: at most 365d",
			 s->cache_interval > 365 * 86400 * OFD_NS_PER_S ? "cache_interval" : "backoff");
		return OFD_ECONFIG;
	}
	if (s->community && strlen(s->community) > 255) {
		snprintf(err, errlen, "key community: at most 255 bytes");
		return OFD_ECONFIG;
	}
	for (size_t i = 0; i < s->agents.n; i++) {
		struct ofd_prefix p;
		if (ofd_prefix_parse(&p, s->agents.v[i])) {
			snprintf(err, errlen,
				 "key agents[%zu]: '%s' is not an address or prefix (host bits clear)", i,
				 s->agents.v[i]);
			return OFD_ECONFIG;
		}
	}
	if (!regex_is_default(s->regex)) {
		char why[256];
		void *re = snmp_regex_compile(s->regex, why, sizeof(why));
		if (!re) {
			snprintf(err, errlen, "key regex: %s", why);
			return OFD_ECONFIG;
		}
		snmp_regex_free(re);
	}
	return 0;
}

static int snmp_init(struct ofd_segment *seg, void *state)
{
	struct snmp_state *s = state;
	char why[256];
	s->seg = seg;
	s->comm = s->community && *s->community ? s->community : "public";
	s->reload_gen = ofd_reload_generation();
	if (!regex_is_default(s->regex) && !(s->re = snmp_regex_compile(s->regex, why, sizeof(why)))) {
		ofd_seg_log(seg, OFD_LOG_ERR, "key regex: %s", why);
		return OFD_ECONFIG;
	}
	if (s->agents.n) {
		int rc = ofd_lpm_new(&s->agents_lpm);
		for (size_t i = 0; !rc && i < s->agents.n; i++) {
			struct ofd_prefix p;
			rc = ofd_prefix_parse(&p, s->agents.v[i]);
			if (!rc)
				rc = ofd_lpm_add(s->agents_lpm, &p, 1);
		}
		if (!rc)
			rc = ofd_lpm_freeze(s->agents_lpm);
		if (rc) {
			ofd_seg_log(seg, OFD_LOG_ERR, "key agents: %s", ofd_strerror(rc));
			return rc;
		}
	}
	if (snmp_shared_init(&s->sh, s->maxentries, s->queuesize) != 0)
		return -ENOMEM;
	s->sh_ready = 1;
	if (!(s->poller = snmp_poller_new(s)))
		return -ENOMEM;
	int rc = ofd_segment_spawn(seg, snmp_poller_run, s->poller);
	if (rc)
		ofd_seg_log(seg, OFD_LOG_ERR, "cannot start the poller thread (%d)", rc);
	return rc;
}

/* What one batch found, per entry it served (the strings are put into the arena once). */
struct memo {
	const struct snmp_entry *e;
	const char *name, *desc;
};
#define MEMO_SLOTS 64

struct pass {
	struct snmp_state *s;
	struct ofd_batch *b;
	uint64_t now;
	uint64_t hit, stale, none, pending, qfull, cfull, arena;
	int queued;
	struct memo memo[MEMO_SLOTS];
};

/* The entry to serve for k, or NULL; queues a request when one is due. */
static const struct snmp_entry *lookup(struct pass *ps, const struct snmp_key *k)
{
	struct snmp_state *s = ps->s;
	struct snmp_shared *sh = &s->sh;
	struct snmp_entry *e = snmp_cache_find(sh, k);
	if (!e) {
		int fresh;
		if (!(e = snmp_cache_slot(sh, k, &fresh, 1))) {
			ps->cfull++;
			ps->pending++;
			return NULL;
		}
	}
	e->last_used = ps->now;
	if (!e->queued && ps->now >= e->retry) {
		if (snmp_queue_push(sh, k) == 0) {
			e->queued = 1;
			ps->queued = 1;
		} else {
			ps->qfull++;
		}
	}
	/* the poller's clock may have read a little later than this batch's */
	uint64_t age = ps->now > e->fetched ? ps->now - e->fetched : 0;
	if (e->has_data && age < 2 * s->cache_interval) {
		if (age >= s->cache_interval)
			ps->stale++;
		else
			ps->hit++;
		return e;
	}
	if (e->fetched && !e->has_data)
		ps->none++;
	else
		ps->pending++;
	return NULL;
}

static const char *arena_text(struct pass *ps, const char *t, size_t n)
{
	const char *r = ofd_batch_strdup(ps->b, t, n);
	if (!r)
		ps->arena++;
	return r;
}

/* Set one side's three fields of f from e (NULL: cleared, as flowpipeline leaves them). */
static void set_side(struct pass *ps, struct ofd_flow *f, const struct snmp_entry *e, int out)
{
	const char **name = out ? &f->out_if_name : &f->in_if_name;
	const char **desc = out ? &f->out_if_desc : &f->in_if_desc;
	uint64_t *speed = out ? &f->out_if_speed : &f->in_if_speed;
	unsigned id_name = out ? OFD_F_OUT_IF_NAME : OFD_F_IN_IF_NAME;
	unsigned id_desc = out ? OFD_F_OUT_IF_DESC : OFD_F_IN_IF_DESC;
	unsigned id_speed = out ? OFD_F_OUT_IF_SPEED : OFD_F_IN_IF_SPEED;
	*name = *desc = NULL;
	*speed = 0;
	ofd_flow_clear(f, id_name);
	ofd_flow_clear(f, id_desc);
	ofd_flow_clear(f, id_speed);
	if (!e)
		return;
	if (e->has_speed) {
		*speed = e->speed * 1000000u; /* ifHighSpeed's Mbit/s; the record holds bit/s */
		ofd_flow_set(f, id_speed);
	}
	if (!e->text)
		return;
	struct memo *m = &ps->memo[((uintptr_t)e / sizeof(*e)) % MEMO_SLOTS];
	if (m->e != e) {
		m->e = e;
		m->name = e->name_len ? arena_text(ps, e->text, e->name_len) : NULL;
		m->desc = e->desc_len ? arena_text(ps, e->text + e->name_len + 1, e->desc_len) : NULL;
		if ((e->name_len && !m->name) || (e->desc_len && !m->desc))
			m->e = NULL; /* try again for the next record: the arena may have room */
	}
	if (m->name) {
		*name = m->name;
		ofd_flow_set(f, id_name);
	}
	if (m->desc) {
		*desc = m->desc;
		ofd_flow_set(f, id_desc);
	}
}

static void snmp_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct snmp_state *s = state;
	struct pass ps;
	memset(&ps, 0, sizeof(ps));
	ps.s = s;
	ps.b = b;
	ps.now = ofd_time_coarse_ns();
	struct snmp_key k;
	memset(&k, 0, sizeof(k));
	const struct snmp_entry *last_e = NULL;
	struct snmp_key last_k;
	memset(&last_k, 0xff, sizeof(last_k));
	int wake = 0;
	pthread_mutex_lock(&s->sh.mu);
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		struct ofd_flow *f = &b->flows[i];
		if (!f->sampler_address.family || (!f->in_if && !f->out_if))
			continue;
		memcpy(k.addr, f->sampler_address.b, 16);
		k.family = f->sampler_address.family;
		for (int out = 0; out < 2; out++) {
			k.ifindex = out ? f->out_if : f->in_if;
			if (!k.ifindex)
				continue;
			const struct snmp_entry *e;
			if (k.ifindex == last_k.ifindex && k.family == last_k.family &&
			    memcmp(k.addr, last_k.addr, 16) == 0) {
				e = last_e; /* the same interface as the record before: counted once */
			} else {
				e = lookup(&ps, &k);
				last_k = k;
				last_e = e;
			}
			set_side(&ps, f, e, out);
		}
	}
	if (ps.queued && !s->sh.wake_pending) {
		s->sh.wake_pending = 1;
		wake = 1;
	}
	pthread_mutex_unlock(&s->sh.mu);
	if (wake) {
		uint64_t one = 1;
		if (write(s->sh.wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			ofd_seg_log(seg, OFD_LOG_ERR, "wake-up write: %s", strerror(errno));
	}
	if (ps.pending)
		ofd_segment_count(seg, SNMP_C_PENDING, ps.pending);
	if (ps.qfull)
		ofd_segment_count(seg, SNMP_C_QUEUE_FULL, ps.qfull);
	if (ps.cfull)
		ofd_segment_count(seg, SNMP_C_CACHE_FULL, ps.cfull);
	if (ps.arena)
		ofd_segment_count(seg, SNMP_C_ARENA_FULL, ps.arena);
	atomic_fetch_add_explicit(&s->hits, ps.hit, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->stale, ps.stale, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->misses, ps.pending, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->lookups_none, ps.none, memory_order_relaxed);
}

/* SIGHUP (ofd_reload_generation): every interface is asked for again at its next lookup (its
   data served meanwhile) and agents that were down are asked again. */
static void snmp_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct snmp_state *s = state;
	(void)now_ns;
	uint64_t gen = ofd_reload_generation();
	if (gen == s->reload_gen)
		return;
	s->reload_gen = gen;
	struct snmp_shared *sh = &s->sh;
	pthread_mutex_lock(&sh->mu);
	for (size_t i = 0; i < sh->nbuckets * SNMP_BUCKET; i++)
		sh->tab[i].retry = 0;
	sh->forget_dead = 1;
	size_t n = sh->used;
	pthread_mutex_unlock(&sh->mu);
	ofd_seg_log(seg, OFD_LOG_INFO, "reload: %zu interfaces and every agent are asked again", n);
}

static void snmp_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct snmp_state *s = state;
	(void)seg;
#define LD(x) atomic_load_explicit(&s->x, memory_order_relaxed)
	ofd_metric_put(sink, &snmp_metrics[M_LOOKUPS], OFD_METRIC_VALUES("hit"), LD(hits));
	ofd_metric_put(sink, &snmp_metrics[M_LOOKUPS], OFD_METRIC_VALUES("stale"), LD(stale));
	ofd_metric_put(sink, &snmp_metrics[M_LOOKUPS], OFD_METRIC_VALUES("none"), LD(lookups_none));
	ofd_metric_put(sink, &snmp_metrics[M_LOOKUPS], OFD_METRIC_VALUES("pending"), LD(misses));
	ofd_metric_put(sink, &snmp_metrics[M_ANSWERS], OFD_METRIC_VALUES("ok"), LD(answered));
	ofd_metric_put(sink, &snmp_metrics[M_ANSWERS], OFD_METRIC_VALUES("none"), LD(none));
	ofd_metric_put(sink, &snmp_metrics[M_REGEX_ERRORS], NULL, LD(regex_errors));
	ofd_metric_put(sink, &snmp_metrics[M_REFUSED], NULL, LD(refused));
	ofd_metric_put(sink, &snmp_metrics[M_ENTRIES], NULL, LD(entries));
	ofd_metric_put(sink, &snmp_metrics[M_QUEUE], NULL, LD(qdepth));
	ofd_metric_put(sink, &snmp_metrics[M_INFLIGHT], NULL, LD(inflight));
#undef LD
}

/* The poller thread is joined before this runs. */
static void snmp_fini(struct ofd_segment *seg, void *state)
{
	struct snmp_state *s = state;
	(void)seg;
	snmp_poller_free(s->poller);
	s->poller = NULL;
	if (s->sh_ready)
		snmp_shared_fini(&s->sh);
	s->sh_ready = 0;
	if (s->re)
		snmp_regex_free(s->re);
	s->re = NULL;
	ofd_lpm_free(s->agents_lpm);
	s->agents_lpm = NULL;
}

const struct ofd_segment_type ofd_seg_snmp = {
    OFD_SEGMENT_VERSION,
    .name = "snmp",
    .kind = OFD_SEG_ENRICH,
    .summary = "interface name, description and speed of in_if/out_if from the exporter by SNMPv2c "
	       "(IF-MIB ifName, ifAlias, ifHighSpeed), polled in the background and cached (SrcIfName... as "
	       "flowpipeline)",
    .state_size = sizeof(struct snmp_state),
    .config = snmp_keys,
    .counters = snmp_counters,
    .metrics = snmp_metrics,
    .collect = snmp_collect,
    .check = snmp_check,
    .init = snmp_init,
    .process = snmp_process,
    .tick = snmp_tick,
    .fini = snmp_fini,
};
