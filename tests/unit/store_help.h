/* Test helpers for the receiver store: real signed tracers and a temporary database. */
#ifndef OFD_TEST_STORE_HELP_H
#define OFD_TEST_STORE_HELP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "receiver/store.h"
#include "tracer/tracer.h"

struct tr {
	char body[OFD_TRACER_MAX];
	char line[OFD_TRACER_MAX + 1];
	size_t len;
	uint8_t scratch[OFD_TRACER_MAX];
	struct ofd_tracer_msg m;
};

struct tflow {
	const char *saddr, *daddr, *exporter;
	uint16_t sport, dport;
	uint64_t packets, bytes, stime, etime;
	enum ofd_tracer_class cls;
	const char *contact;
	double time;
};

static inline struct ofd_key *th_key(uint8_t n)
{
	uint8_t seed[32];
	struct ofd_key *k = NULL;
	memset(seed, n, sizeof(seed));
	assert_int_equal(ofd_key_from_seed(&k, seed), 0);
	return k;
}

/* Sign a tracer about tf with k and verify it into t->m. */
static inline void th_make(struct tr *t, const struct ofd_key *k, const struct tflow *tf)
{
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	f.type = OFD_FT_NETFLOW_V5;
	f.proto = 6;
	assert_int_equal(ofd_ip_parse(&f.src_addr, tf->saddr), 0);
	assert_int_equal(ofd_ip_parse(&f.dst_addr, tf->daddr), 0);
	if (tf->exporter)
		assert_int_equal(ofd_ip_parse(&f.sampler_address, tf->exporter), 0);
	f.src_port = tf->sport;
	f.dst_port = tf->dport;
	f.packets = tf->packets;
	f.bytes = tf->bytes;
	f.time_flow_start_ns = tf->stime * UINT64_C(1000000000);
	f.time_flow_end_ns = tf->etime * UINT64_C(1000000000);
	struct ofd_tracer_meta meta = {.cls = tf->cls, .contact = tf->contact, .time = tf->time};
	int blen = ofd_tracer_body(t->body, sizeof(t->body), &f, &meta, 0);
	assert_true(blen > 0);
	int n = ofd_tracer_sign(t->line, sizeof(t->line), t->body, (size_t)blen, k);
	assert_true(n > 0);
	t->len = (size_t)n;
	assert_int_equal(ofd_tracer_verify(t->line, t->len, NULL, t->scratch, &t->m), OFD_TV_OK);
}

static inline int th_add(struct ofd_store *s, struct tr *t, const char *sender, uint64_t recv_ns)
{
	struct ofd_ip ip;
	assert_int_equal(ofd_ip_parse(&ip, sender), 0);
	return ofd_store_add(s, &t->m, t->line, t->len, &ip, recv_ns);
}

/* th_add as if it came over transport (enum ofd_transport). */
static inline int th_add_via(struct ofd_store *s, struct tr *t, const char *sender, uint64_t recv_ns,
			     int transport)
{
	t->m.transport = (uint8_t)transport;
	int rc = th_add(s, t, sender, recv_ns);
	t->m.transport = 0;
	return rc;
}

struct tdir {
	char dir[64];
	char db[128];
};

static inline void th_dir(struct tdir *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/ofd_store_XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->db, sizeof(d->db), "%s/tracers.db", d->dir);
}

static inline void th_dir_rm(struct tdir *d)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[160];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", d->db, sfx[i]);
		unlink(p);
	}
	rmdir(d->dir);
}

static inline struct ofd_store *th_open(const char *path)
{
	struct ofd_store *s = NULL;
	char err[256] = "";
	int rc = ofd_store_open(&s, path, err, sizeof(err));
	if (rc)
		fprintf(stderr, "open: %s\n", err);
	assert_int_equal(rc, 0);
	return s;
}

#endif
