/*
 * The flowfilter language (BelWü flowfilter syntax, rebuilt from its documentation): compile an
 * expression once, evaluate it on records without allocating.
 *
 *   proto udp and src port 123
 *   tcpflags syn and not tcpflags ack and pps > 9000
 *   (src address 10.0.0.0/8 or dst asn 64512-65534) and not iface desc "IX"
 *
 * As in BelWü's flowfilter, `and` and `or` have no precedence: each joins the statement on its
 * left with everything to its right, so `a and b or c` is `a and (b or c)` and `a or b and c` is
 * `a or (b and c)`. `not` applies to the statement after it; parentheses group. The empty
 * expression passes every flow.
 */
#ifndef OFD_FLOWFILTER_H
#define OFD_FLOWFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/batch.h"
#include "ofd/err.h"
#include "ofd/flow.h"

struct ofd_filter;

/*
 * Compile expr. On error returns OFD_EFORMAT and writes "column N: reason" (1-based column of
 * the offending token) into err.
 */
int ofd_filter_compile(struct ofd_filter **out, const char *expr, char *err, size_t errlen) OFD_MUST_CHECK;

void ofd_filter_free(struct ofd_filter *f);

/*
 * 1 if expr compiles and mixes `and` and `or` without parentheses somewhere (where the right
 * grouping may surprise a reader used to `and` binding tighter); msg then says where ("column N:
 * ..."). 0 otherwise (also when expr does not compile: ofd_filter_compile says why).
 */
int ofd_filter_mixed(const char *expr, char *msg, size_t msglen);

/* 1 if the record matches, 0 if not. */
int ofd_filter_match(const struct ofd_filter *f, const struct ofd_flow *flow);

/* Clear the live bit of every live record that does not match; returns the records kept. */
uint32_t ofd_filter_batch(const struct ofd_filter *f, struct ofd_batch *b);

#endif
