/* The command line's flow sources (see sources.h). */
#include "sources.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "decode/pcapfile.h"
#include "decode/template.h"
#include "decode/tmpl_state.h"
#include "net/udp.h"

#define NS_PER_S UINT64_C(1000000000)

int ofd_source_is_udp(const char *s)
{
	return strncmp(s, "udp://", 6) == 0 || strncmp(s, "netflow://", 10) == 0 ||
	       strncmp(s, "sflow://", 8) == 0;
}

int ofd_sources_init(struct ofd_sources *s, ofd_batch_full_fn fn, void *ctx)
{
	ofd_batch_init(&s->batch, fn, ctx);
	s->state_path = NULL;
	return ofd_decoder_new(&s->dec, NULL);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

int ofd_sources_state(struct ofd_sources *s, const char *path, uint32_t interval_s)
{
	struct ofd_tmpl_state_info in;
	/* template times are datagram receive times: wall clock */
	uint64_t now = clock_ns(CLOCK_REALTIME);
	int err = ofd_tmpl_state_load(s->dec, path, now, &in);
	if (err) {
		ofd_err("template state %s: %s", path, ofd_strerror(err));
		return err;
	}
	s->state_path = path;
	s->state_interval_s = interval_s;
	s->state_next_ns = clock_ns(CLOCK_MONOTONIC) + (uint64_t)interval_s * NS_PER_S;
	if (in.missing)
		fprintf(stderr, "template state %s: no file yet\n", path);
	else if (!in.ignored)
		fprintf(stderr,
			"template state %s: loaded %" PRIu32 " templates, %" PRIu32
			" options templates of %" PRIu32 " exporters (saved %" PRIu64
			" s ago; skipped %" PRIu32 " stale, %" PRIu32 " refused)\n",
			path, in.templates, in.options_templates, in.exporters,
			now > in.saved_ns ? (now - in.saved_ns) / NS_PER_S : 0, in.stale, in.refused);
	return 0;
}

/* Save the template state when its interval has passed (errors are logged by the save). */
static void state_tick(struct ofd_sources *s)
{
	if (!s->state_path || !s->state_interval_s)
		return;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	if (now < s->state_next_ns)
		return;
	s->state_next_ns = now + (uint64_t)s->state_interval_s * NS_PER_S;
	(void)ofd_tmpl_state_save((const struct ofd_decoder *const[]){s->dec}, 1, s->state_path);
}

static void print_drops(const char *what, const uint64_t *drops)
{
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		if (drops[i])
			fprintf(stderr, "  %s dropped %s: %" PRIu64 "\n", what,
				ofd_drop_name((enum ofd_drop)i), drops[i]);
}

static int run_file(struct ofd_sources *s, const char *path)
{
	struct ofd_pcapfile *pf;
	if (ofd_pcapfile_open(&pf, path))
		return -1;
	struct ofd_dgram dg;
	uint64_t n = 0;
	while (!ofd_stop && ofd_pcapfile_next(pf, &dg, NULL) > 0) {
		(void)ofd_decode(s->dec, &dg, &s->batch);
		if (++n % 4096 == 0)
			state_tick(s);
	}
	ofd_batch_flush(&s->batch);
	const struct ofd_pcap_stats *st = ofd_pcapfile_stats(pf);
	fprintf(stderr, "%s: frames %" PRIu64 ", udp datagrams %" PRIu64 "\n", path, st->frames,
		st->datagrams);
	print_drops("capture", st->drops);
	ofd_pcapfile_close(pf);
	return 0;
}

static void on_dgram(const struct ofd_dgram *dg, void *ctx)
{
	struct ofd_sources *s = ctx;
	(void)ofd_decode(s->dec, dg, &s->batch);
}

static int run_udp(struct ofd_sources *s, const char *listen)
{
	struct ofd_udp *u;
	int err = ofd_udp_open(&u, listen, 0);
	if (err) {
		ofd_err("cannot listen on %s: %s", listen, ofd_strerror(err));
		return -1;
	}
	while (!ofd_stop) {
		int n = ofd_udp_poll(u, 200, on_dgram, s);
		if (n < 0)
			break;
		/* deliver what we have whenever the socket goes quiet, so output is timely */
		if (n == 0 || s->batch.n >= OFD_BATCH_CAP / 2) {
			ofd_batch_flush(&s->batch);
			if (s->idle)
				s->idle(s->ctx);
		}
		state_tick(s);
	}
	ofd_batch_flush(&s->batch);
	const struct ofd_udp_stats *st = ofd_udp_stats(u);
	fprintf(stderr, "%s: udp datagrams %" PRIu64 "\n", listen, st->datagrams);
	print_drops("socket", st->drops);
	ofd_udp_close(u);
	return 0;
}

int ofd_sources_run(struct ofd_sources *s, char *const *srcs, int n)
{
	char listen[4096] = "";
	size_t ll = 0;
	for (int i = 0; i < n; i++) {
		if (!ofd_source_is_udp(srcs[i]))
			continue;
		int w = snprintf(listen + ll, sizeof(listen) - ll, "%s%s", ll ? "," : "", srcs[i]);
		if (w < 0 || (size_t)w >= sizeof(listen) - ll) {
			ofd_err("too many UDP sources");
			return -1;
		}
		ll += (size_t)w;
	}
	int rc = 0;
	for (int i = 0; i < n && !ofd_stop; i++)
		if (!ofd_source_is_udp(srcs[i]) && run_file(s, srcs[i]))
			rc = -1;
	if (ll && !ofd_stop && run_udp(s, listen))
		rc = -1;
	return rc;
}

void ofd_sources_fini(struct ofd_sources *s)
{
	if (s->dec && s->state_path &&
	    ofd_tmpl_state_save((const struct ofd_decoder *const[]){s->dec}, 1, s->state_path) == 0)
		fprintf(stderr, "template state %s: saved %" PRIu32 " templates of %" PRIu32 " exporters\n",
			s->state_path, ofd_tmpl_cache_templates(s->dec->tc),
			ofd_tmpl_cache_exporters(s->dec->tc));
	if (s->dec)
		ofd_decode_stats_print(&s->dec->st, "");
	ofd_decoder_free(s->dec);
	s->dec = NULL;
}
