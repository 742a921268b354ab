/*
 * A bounded writer for the Prometheus text exposition format (version 0.0.4) into a caller's
 * buffer: no allocation, one pass.
 *
 *   struct ofd_prom w;
 *   ofd_prom_init(&w, buf, sizeof(buf));
 *   ofd_prom_family(&w, "overflowd_drops_total", OFD_PROM_COUNTER, "Records dropped, by reason.");
 *   ofd_prom_u64(&w, OFD_PROM_LABELS({"reason", "truncated"}), 3);
 *   int len = ofd_prom_end(&w);   // bytes written, or OFD_ELIMIT (truncated) or -EINVAL (misuse)
 *
 * A family writes its HELP and TYPE lines once, together with its first sample (a family without
 * samples writes nothing); its samples follow. The sample name is the family name: counters are
 * declared with their `_total` name, as client libraries do for this format. Declaring a family
 * twice, a sample before any family, or a name that is not a valid metric or label name is misuse:
 * nothing is written for it and ofd_prom_end() returns -EINVAL.
 *
 * Escaping: label values escape backslash, double quote and newline (\\ \" \n); HELP text
 * escapes backslash and newline. Bytes that are not valid UTF-8 become '?' (the format requires
 * UTF-8). Values: uint64 in decimal; doubles as %.17g, NaN, +Inf, -Inf.
 *
 * Truncation: a line that does not fit is not written at all (a family header is written with
 * its first sample or not at all), and once something did not fit nothing more is written, so
 * the buffer always holds whole lines; ofd_prom_end() reports it with OFD_ELIMIT and
 * ofd_prom_truncated() tells, so the caller can retry with a larger buffer.
 */
#ifndef OFD_FORMAT_PROMTEXT_H
#define OFD_FORMAT_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"

enum ofd_prom_type { OFD_PROM_COUNTER, OFD_PROM_GAUGE };

struct ofd_prom_label {
	const char *name;
	const char *value;
};

/* Families remembered for the declared-twice check; more are written but not checked. */
#define OFD_PROM_FAMILIES_MAX 64

struct ofd_prom {
	char *buf;
	size_t cap, len;
	const char *family; /* the current family (NULL before the first) */
	const char *help;
	enum ofd_prom_type type;
	int pending;			     /* its HELP and TYPE lines are not written yet */
	int truncated;			     /* something did not fit: nothing more is written */
	int invalid;			     /* misuse (see above) */
	unsigned nfam;			     /* families declared */
	uint64_t fam[OFD_PROM_FAMILIES_MAX]; /* their name hashes */
};

/* A label array and its length, for the sample functions: OFD_PROM_LABELS({"a", x}, {"b", y}). */
#define OFD_PROM_LABELS(...)                                                                                 \
	((const struct ofd_prom_label[]){__VA_ARGS__}),                                                      \
	    (sizeof((const struct ofd_prom_label[]){__VA_ARGS__}) / sizeof(struct ofd_prom_label))
#define OFD_PROM_NOLABELS NULL, 0

void ofd_prom_init(struct ofd_prom *w, char *buf, size_t cap);

/* Start a family: its HELP and TYPE lines go out with its first sample. */
void ofd_prom_family(struct ofd_prom *w, const char *name, enum ofd_prom_type type, const char *help);

/* One sample of the current family; labels may be NULL when n is 0. */
void ofd_prom_u64(struct ofd_prom *w, const struct ofd_prom_label *labels, size_t n, uint64_t v);
void ofd_prom_f64(struct ofd_prom *w, const struct ofd_prom_label *labels, size_t n, double v);

/* A family with one unlabelled sample. */
void ofd_prom_single(struct ofd_prom *w, const char *name, enum ofd_prom_type type, const char *help,
		     uint64_t v);

/* Bytes written (whole lines), OFD_ELIMIT if something did not fit, -EINVAL on misuse. */
int ofd_prom_end(const struct ofd_prom *w) OFD_MUST_CHECK;

static inline int ofd_prom_truncated(const struct ofd_prom *w)
{
	return w->truncated;
}

/* The valid-name rules of the format: metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names
   [a-zA-Z_][a-zA-Z0-9_]* not starting with "__" (reserved). */
int ofd_prom_metric_name_ok(const char *s);
int ofd_prom_label_name_ok(const char *s);

#endif
