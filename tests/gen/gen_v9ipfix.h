/*
 * Builders of NetFlow v9 and IPFIX datagrams for tests, fuzz seeds and benchmarks.
 *
 * A message is built in order: begin, then sets (gv_set_begin ... gv_set_end) holding template
 * records, options template records, withdrawals or data records written value by value, then
 * gv_end(), which fills in the set lengths, the v9 count and the IPFIX length.
 */
#ifndef OFD_GEN_V9IPFIX_H
#define OFD_GEN_V9IPFIX_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "gen.h"

#define GV_VARLEN 65535 /* IPFIX variable-length field */

/* A field specifier; pen != 0 makes it an IPFIX enterprise element. */
struct gv_field {
	uint16_t id;
	uint16_t len;
	uint32_t pen;
};

struct gv_msg {
	struct gen_buf g;
	int ipfix;
	size_t set_off; /* offset of the open set header, or (size_t)-1 */
	uint16_t count; /* v9: records (templates and data) */
};

void gv_v9_begin(struct gv_msg *m, uint32_t uptime_ms, uint32_t unix_secs, uint32_t seq, uint32_t source_id);
void gv_ipfix_begin(struct gv_msg *m, uint32_t export_time, uint32_t seq, uint32_t domain);
/* Open a set (closing any open one): v9 0/1 or IPFIX 2/3 for templates, >= 256 for data. */
void gv_set_begin(struct gv_msg *m, uint16_t set_id);
/* Close the open set after `pad` zero bytes of padding. */
void gv_set_end(struct gv_msg *m, size_t pad);
/* Close the message; returns its length (m->g.p holds the bytes). */
size_t gv_end(struct gv_msg *m);
void gv_free(struct gv_msg *m);

/* Template records in the open set. */
void gv_template(struct gv_msg *m, uint16_t tid, const struct gv_field *f, size_t n);
void gv_options_template(struct gv_msg *m, uint16_t tid, const struct gv_field *scope, size_t nscope,
			 const struct gv_field *f, size_t n);
void gv_withdraw(struct gv_msg *m, uint16_t tid); /* IPFIX: field count 0 */

/* Data values in the open set. */
void gv_uint(struct gv_msg *m, uint64_t v, size_t len); /* big-endian, len 1..8 */
void gv_bytes(struct gv_msg *m, const void *p, size_t n);
void gv_ip4(struct gv_msg *m, uint32_t a);
void gv_varlen(struct gv_msg *m, const void *p, size_t n); /* IPFIX: 1-byte or 255 + 2-byte length */
/* One record from integer values (fields longer than 8 bytes: zeros then the value). */
void gv_record(struct gv_msg *m, const struct gv_field *f, size_t n, const uint64_t *vals);

/* A typical IPv4 template (18 fields, 53 bytes a record) and a record of it derived from i. */
extern const struct gv_field gv_v4_fields[];
extern const size_t gv_v4_nfields;
void gv_v4_record(struct gv_msg *m, uint32_t i);

/* Collects decoded records (the first GV_SINK_MAX) for tests. */
#define GV_SINK_MAX 1024
struct gv_sink {
	struct ofd_flow got[GV_SINK_MAX];
	unsigned n;
};

/*
 * Decode len bytes at p as one datagram from src4:port received at time_ns, appending the records
 * to s (may be NULL). Returns what ofd_decode() returned.
 */
int gv_decode(struct ofd_decoder *d, const uint8_t *p, size_t len, uint32_t src4, uint16_t port,
	      uint64_t time_ns, struct gv_sink *s);

/* A decoder for a test (no metrics) with sink s emptied; aborts when it cannot be made. */
struct ofd_decoder *gv_decoder_new(struct gv_sink *s);

/* Finish message m (gv_end), decode it with gv_decode, free it; what gv_decode returned. */
int gv_decode_msg(struct ofd_decoder *d, struct gv_msg *m, uint32_t src4, uint16_t port, uint64_t time_ns,
		  struct gv_sink *s);

/* The same with ofd_decode_from(): records marked with origin, new templates in budget. */
int gv_decode_from(struct ofd_decoder *d, const uint8_t *p, size_t len, uint32_t src4, uint16_t port,
		   uint64_t time_ns, enum ofd_origin origin, enum ofd_tmpl_budget budget, struct gv_sink *s);

#endif
