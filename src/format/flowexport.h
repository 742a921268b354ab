/*
 * Flow records into IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) export messages: the encoder the
 * `ipfix` and `netflow9` outputs run. No sockets here, no allocation: a message is written
 * straight into a caller's buffer of `mtu` bytes.
 *
 * Templates (fixed, built once from the element table in flowexport.c, restricted to a field set):
 *
 *   256 IPv4, 257 IPv6, 258 IPv4 with MACs, 259 IPv6 with MACs (data), 260 options
 *
 * A record goes under the template of its source address's family (the destination's when it has
 * no source; none: IPv4), with MACs when either MAC is not zero. The options record states the
 * sampling rate (samplingInterval 34, samplingAlgorithm 35) and, for IPFIX, the exporter's
 * systemInitTimeMilliseconds (160); its scope is the observation domain (IPFIX 149) or the
 * system (v9 scope type 1), with the domain / source id as value.
 *
 * Times: IPFIX flowStart/EndMilliseconds (152/153, absolute). v9 FIRST/LAST_SWITCHED (22/21) are
 * milliseconds since `boot_ms` (the exporter's uptime origin), and the header's sysUpTime is
 * export_ms - boot_ms with export_ms a whole second (the header's unix_secs * 1000), so that a
 * collector's export time - (sysUpTime - FIRST) gives the flow's time to the millisecond. A record
 * whose times do not fit (before boot_ms, or 2^32 ms after it) needs a new origin:
 * ofd_fx_clock_ok() / ofd_fx_rebase().
 *
 * Sequence numbers: IPFIX the data records sent before the message, v9 the messages sent before it
 * (both modulo 2^32), counted by ofd_fx_end().
 */
#ifndef OFD_FORMAT_FLOWEXPORT_H
#define OFD_FORMAT_FLOWEXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"

#define OFD_FX_IPFIX 10
#define OFD_FX_V9    9

#define OFD_FX_TMPL_V4	    256
#define OFD_FX_TMPL_V6	    257
#define OFD_FX_TMPL_V4_MAC  258
#define OFD_FX_TMPL_V6_MAC  259
#define OFD_FX_TMPL_OPTIONS 260

#define OFD_FX_NTMPL	  4  /* data templates */
#define OFD_FX_STEPS_MAX  36 /* elements of a data template */
#define OFD_FX_MTU_MIN	  576
#define OFD_FX_MTU_MAX	  65000
#define OFD_FX_UPTIME_PAD 3600000ull /* a new uptime origin lies this far before the oldest time */

struct ofd_fx_step {
	uint16_t off; /* the member of struct ofd_flow */
	uint8_t kind; /* how it is written (flowexport.c) */
	uint8_t len;  /* bytes on the wire */
};

struct ofd_fx_tmpl {
	uint16_t id;
	uint16_t nsteps; /* 0: this template is not used (its fields are all left out) */
	uint16_t rec_len;
	uint16_t wire_ids[OFD_FX_STEPS_MAX]; /* element ids as the template record states them */
	struct ofd_fx_step steps[OFD_FX_STEPS_MAX];
};

struct ofd_fx {
	/* set by ofd_fx_init */
	int version; /* OFD_FX_IPFIX or OFD_FX_V9 */
	uint32_t domain;
	uint32_t mtu;
	uint32_t sampling_rate; /* stated by the options record */
	uint64_t init_ms;	/* IPFIX systemInitTimeMilliseconds */
	uint64_t boot_ms;	/* v9: the uptime origin (ofd_fx_rebase moves it) */
	int mac;		/* the MAC templates are in use */
	int full;		/* every field (no `fields`): the straight-line writer */
	struct ofd_fx_tmpl t[OFD_FX_NTMPL];
	uint8_t tsets[1024]; /* the template set(s) and options template set, as sent */
	uint16_t tsets_len;
	uint16_t tsets_count; /* v9: records in tsets */
	uint32_t mtu_need;    /* the least mtu: header, templates, options and the longest record */
	/* counters: the header's sequence numbers */
	uint32_t seq_records;  /* IPFIX: data records of the messages ended */
	uint32_t seq_messages; /* v9: messages ended */
	/* the message being written (ofd_fx_begin .. ofd_fx_end) */
	uint8_t *buf;
	uint8_t *p;	  /* where the next byte goes */
	uint8_t *set;	  /* the open data set's header, NULL: none */
	int set_tmpl;	  /* its template index */
	uint32_t records; /* data records in the message */
	uint32_t count;	  /* v9 header count: every record (templates and options included) */
	uint64_t export_ms;
};

/*
 * Set up x. fields: the fields a template may carry (NULL: all of the table); domain: IPFIX
 * observation domain id / v9 source id; mtu: the longest message (OFD_FX_MTU_MIN..MAX);
 * init_ms: the exporter's system init time (epoch ms), also v9's first uptime origin.
 * OFD_ECONFIG when no data template would have a field; OFD_ELIMIT when a message of mtu bytes
 * could not hold the templates, the options record and the longest record (x->mtu_need says how
 * many it takes: about 660 bytes with every field).
 */
int ofd_fx_init(struct ofd_fx *x, int version, const struct ofd_fieldset *fields, uint32_t domain,
		uint32_t mtu, uint32_t sampling_rate, uint64_t init_ms) OFD_MUST_CHECK;

/* Start a message in buf (x->mtu bytes) with export time export_ms (rounded up to seconds); with
   templates, the template sets and the options record come first. */
void ofd_fx_begin(struct ofd_fx *x, uint8_t *buf, uint64_t export_ms, int templates);

/* 1 while a message is open (between ofd_fx_begin and ofd_fx_end). */
static inline int ofd_fx_open(const struct ofd_fx *x)
{
	return x->buf != NULL;
}

/* The data template index (0..3) record f goes under. */
static inline unsigned ofd_fx_tmpl_of(const struct ofd_fx *x, const struct ofd_flow *f)
{
	uint8_t fam = f->src_addr.family ? f->src_addr.family : f->dst_addr.family;
	return (unsigned)(fam == OFD_AF_INET6) | (unsigned)(x->mac && (f->src_mac | f->dst_mac)) << 1;
}

/*
 * Append record f to the open message: 1, or 0 when it does not fit (end the message and begin
 * another). Never fails in an empty message (a record is at most a few hundred bytes).
 */
int ofd_fx_add(struct ofd_fx *x, const struct ofd_flow *f);

/*
 * v9: 1 when f's times can be written relative to the uptime origin in a message exported at
 * export_ms, 0 when ofd_fx_rebase() would make them fit (end the open message first), also 1
 * when no origin could (times 2^32 ms apart: written modulo 2^32). IPFIX: always 1.
 */
int ofd_fx_clock_ok(const struct ofd_fx *x, const struct ofd_flow *f, uint64_t export_ms);

/* v9: a new uptime origin OFD_FX_UPTIME_PAD before the oldest of f's times and export_ms. */
void ofd_fx_rebase(struct ofd_fx *x, const struct ofd_flow *f, uint64_t export_ms);

/* Close the open message: its length, or 0 when it holds nothing (nothing is sent then). Counts
   the sequence numbers. */
size_t ofd_fx_end(struct ofd_fx *x);

/* Forget the open message (nothing is counted): one that holds no record yet and must start over
   (a new v9 uptime origin). */
static inline void ofd_fx_drop(struct ofd_fx *x)
{
	x->buf = x->p = x->set = NULL;
}

/* A message of only the templates and the options record (a new TCP connection's first) into buf
   (x->mtu bytes); its length. A message being written stays open. */
size_t ofd_fx_template_msg(struct ofd_fx *x, uint8_t *buf, uint64_t export_ms);

#endif
