/*
 * The prometheus output's parts (prometheus.c: config, the series tables, process(), vacuum;
 * prometheus_expo.c: label values and the exposition the HTTP routes answer).
 */
#ifndef OFD_SEG_PROMETHEUS_H
#define OFD_SEG_PROMETHEUS_H

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>

#include "format/promtext.h"
#include "obs/httpep.h"
#include "ofd/segment.h"

#define PM_LABELS_MAX 16 /* label fields */
#define PM_STR_KEY    64 /* bytes of a text field's value kept (63 and a NUL) */
#define PM_VALUE_MAX  256
#define PM_KEY_MAX    1024
#define PM_ASPATH_KEY (1 + 4 * OFD_AS_PATH_MAX)
#define PM_EXPO_MAX   (256u << 20) /* the largest exposition built */

enum { C_FOLDED, C_VACUUMED, C_SCRAPE_ERRORS };

/* A series: its counters, then its key bytes (stride bytes in all). */
struct pm_slot {
	uint64_t hash; /* 0: free */
	uint64_t flows, bytes, packets;
	uint64_t last_ns; /* the time (tick) it was last counted */
	unsigned char key[];
};

/* A fixed table of at most `max` series (open addressing, linear probing, keyed hash), and
   the `other` series that takes what does not fit. */
struct pm_table {
	unsigned char *mem; /* cap slots of stride bytes */
	size_t stride, key_len;
	uint64_t cap, mask, max, n;
	struct pm_slot *other; /* stride bytes; labels all "other" */
	uint64_t folded;       /* records counted into other */
	uint64_t vacuumed;     /* series removed for age */
};

struct pm_label {
	int id;		    /* the field (enum ofd_field) */
	char *name;	    /* the label name: the config's name of the field */
	uint16_t off, size; /* its bytes in a key */
};

struct prometheus_state {
	/* config */
	char *endpoint, *metricspath, *flowdatapath;
	struct ofd_strlist labels_cfg;
	uint64_t vacuum_ns, max_series;
	int export_as_pairs, export_as_paths;
	/* labels */
	struct pm_label labels[PM_LABELS_MAX];
	unsigned nlabels;
	/* series, under mu (process() and vacuum write, a scrape copies) */
	pthread_mutex_t mu;
	int mu_ok;
	struct pm_table flows, pairs, paths;
	uint64_t records; /* counted (flowpipeline's kafka_messages_total) */
	uint64_t scrapes;
	uint64_t now_ns, last_vacuum_ns;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	unsigned char *keys; /* OFD_BATCH_CAP keys of flows.key_len bytes: a batch's, for process() */
	uint64_t *hashes;    /* and their hashes */
	/* HTTP */
	struct ofd_httpep *ep;
	int routed_metrics, routed_flowdata;
	size_t hint;		 /* the size the last exposition needed (server thread) */
	struct ofd_ratelimit rl; /* scrape errors' log lines (server thread) */
	struct ofd_segment *seg;
};

/* prometheus_expo.c */
/* Label i's value in key (a series' key bytes) as text into out (PM_VALUE_MAX bytes). */
void pm_label_value(const struct prometheus_state *s, unsigned i, const unsigned char *key, char *out);
/* The /flowdata and /metrics texts of s into w (a snapshot of the tables is taken under mu). */
int pm_write_flowdata(struct prometheus_state *s, struct ofd_prom *w);
void pm_write_meta(struct prometheus_state *s, struct ofd_prom *w);
/* The HTTP handlers (ctx: the state). */
void pm_on_flowdata(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs);
void pm_on_metrics(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs);

static inline struct pm_slot *pm_at(const struct pm_table *t, uint64_t i)
{
	return (struct pm_slot *)(t->mem + i * t->stride);
}

#endif
