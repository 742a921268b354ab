/* The diskbuffer's config map and its checks (core/spill.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/spill.h"

const struct ofd_cfg_key ofd_spill_keys[] = {
    OFD_KEY("bufferdir", OFD_CFG_STRING, struct ofd_spill_state, cfg.bufferdir, .required = 1,
	    .help = "directory of the buffer files (must exist and be writable)"),
    OFD_KEY("highmemorymark", OFD_CFG_UINT, struct ofd_spill_state, cfg.high, .def = "70", .min = 10,
	    .max = 95, .help = "batches go to disk once this percentage of the batch pool is in use"),
    OFD_KEY("lowmemorymark", OFD_CFG_UINT, struct ofd_spill_state, cfg.low, .def = "30", .min = 5, .max = 70,
	    .help = "read-back pauses while this percentage of the pool or more is in use"),
    OFD_KEY("readingmemorymark", OFD_CFG_UINT, struct ofd_spill_state, cfg.reading, .def = "5", .min = 1,
	    .max = 50, .help = "read-back (re)starts once the pool's use falls below this percentage"),
    OFD_KEY("filesize", OFD_CFG_STRING, struct ofd_spill_state, cfg.filesize_text, .def = "50 MB",
	    .help = "a new buffer file is begun once the current one is this big (50 MB: 50,000,000 bytes, "
		    "50 MiB: 50 x 2^20, as flowpipeline reads sizes)"),
    OFD_KEY("maxcachesize", OFD_CFG_STRING, struct ofd_spill_state, cfg.maxcache_text, .def = "1 GB",
	    .help = "bytes of all buffer files at most; beyond, batches are dropped (counted)"),
    OFD_KEY("batchsize", OFD_CFG_UINT, struct ofd_spill_state, cfg.batchsize, .def = "128",
	    .help = "flowpipeline's flows per write; here a whole batch (512 records) is one frame"),
    OFD_KEY("queuesize", OFD_CFG_UINT, struct ofd_spill_state, cfg.queuesize, .def = "65536",
	    .help = "flowpipeline's in-memory queue; here the memory is the pipeline's batch pool"),
    OFD_KEY("queuestatusinterval", OFD_CFG_DURATION, struct ofd_spill_state, cfg.status_ns, .def = "0s",
	    .help = "log the pool's use and the spill's state this often; 0: never"),
    OFD_KEY("batchdebug", OFD_CFG_BOOL, struct ofd_spill_state, cfg.debug, .def = "false",
	    .help = "log every batch written to and read from disk (debug level)"),
    OFD_KEY_END,
};

int ofd_spill_size(const char *t, uint64_t *out)
{
	static const struct {
		const char *u;
		uint64_t mult;
	} units[] = {{"", 1},
		     {"b", 1},
		     {"k", 1000},
		     {"kb", 1000},
		     {"m", 1000000},
		     {"mb", 1000000},
		     {"g", 1000000000},
		     {"gb", 1000000000},
		     {"t", 1000000000000},
		     {"tb", 1000000000000},
		     {"p", 1000000000000000},
		     {"pb", 1000000000000000},
		     {"ki", 1ull << 10},
		     {"kib", 1ull << 10},
		     {"mi", 1ull << 20},
		     {"mib", 1ull << 20},
		     {"gi", 1ull << 30},
		     {"gib", 1ull << 30},
		     {"ti", 1ull << 40},
		     {"tib", 1ull << 40},
		     {"pi", 1ull << 50},
		     {"pib", 1ull << 50}};
	uint64_t ip = 0, frac = 0, scale = 1;
	int digits = 0;
	for (; *t >= '0' && *t <= '9'; t++, digits++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return -1;
		ip = ip * 10 + (uint64_t)(*t - '0');
	}
	if (*t == '.')
		for (t++; *t >= '0' && *t <= '9'; t++, digits++)
			if (scale <= UINT64_MAX / 100) {
				frac = frac * 10 + (uint64_t)(*t - '0');
				scale *= 10;
			}
	if (!digits)
		return -1;
	if (*t == ' ')
		t++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(t, units[i].u) != 0)
			continue;
		uint64_t m = units[i].mult;
		if (ip > UINT64_MAX / m)
			return -1;
		unsigned __int128 f = (unsigned __int128)frac * m / scale;
		if (f > UINT64_MAX - ip * m)
			return -1;
		*out = ip * m + (uint64_t)f;
		return 0;
	}
	return -1;
}

int ofd_spill_cfg_sizes(struct ofd_spill_cfg *c, char *err, size_t errlen)
{
	const char *t = c->filesize_text;
	if (t && (ofd_spill_size(t, &c->filesize) || c->filesize < 4096)) {
		snprintf(err, errlen,
			 "key filesize: expected a size of 4096 bytes or more (such as 50 MB), got '%s'", t);
		return OFD_ECONFIG;
	}
	t = c->maxcache_text;
	if (t && (ofd_spill_size(t, &c->maxcachesize) || c->maxcachesize < 4096)) {
		snprintf(err, errlen,
			 "key maxcachesize: expected a size of 4096 bytes or more (such as 1 GB), got '%s'",
			 t);
		return OFD_ECONFIG;
	}
	return 0;
}

int ofd_spill_check(const void *state, char *err, size_t errlen)
{
	struct ofd_spill_cfg cc = *(const struct ofd_spill_cfg *)state, *c = &cc;
	if (ofd_spill_cfg_sizes(c, err, errlen))
		return OFD_ECONFIG;
	if (c->low >= c->high) {
		snprintf(err, errlen,
			 "lowmemorymark (%" PRIu64 ") must be below highmemorymark (%" PRIu64 ")", c->low,
			 c->high);
		return OFD_ECONFIG;
	}
	if (c->reading > c->low) {
		snprintf(err, errlen,
			 "readingmemorymark (%" PRIu64 ") must not be above lowmemorymark (%" PRIu64 ")",
			 c->reading, c->low);
		return OFD_ECONFIG;
	}
	return 0;
}
