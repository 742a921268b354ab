#include "gen_load.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode/pcapfile.h"

int gen_load(const char *path, struct gen_dgrams *s)
{
	struct ofd_pcapfile *pf;
	memset(s, 0, sizeof(*s));
	if (ofd_pcapfile_open(&pf, path))
		return -1;
	size_t cap = 1024, bcap = 1 << 20;
	s->dg = malloc(cap * sizeof(*s->dg));
	s->bytes = malloc(bcap);
	struct ofd_dgram dg;
	int rc = -1;
	while (s->dg && s->bytes && ofd_pcapfile_next(pf, &dg, NULL) > 0) {
		if (s->n == cap) {
			struct ofd_dgram *d = realloc(s->dg, (cap *= 2) * sizeof(*s->dg));
			if (!d)
				goto out;
			s->dg = d;
		}
		while (s->bytes_len + dg.len > bcap) {
			uint8_t *nb = realloc(s->bytes, bcap *= 2);
			if (!nb)
				goto out;
			s->bytes = nb;
		}
		memcpy(s->bytes + s->bytes_len, dg.data, dg.len);
		dg.data = (const uint8_t *)(uintptr_t)s->bytes_len; /* rebased below */
		s->dg[s->n++] = dg;
		s->bytes_len += dg.len;
	}
	if (s->dg && s->bytes)
		rc = 0;
out:
	ofd_pcapfile_close(pf);
	if (rc) {
		gen_load_free(s);
		return -1;
	}
	for (size_t i = 0; i < s->n; i++)
		s->dg[i].data = s->bytes + (uintptr_t)s->dg[i].data;
	return 0;
}

void gen_load_free(struct gen_dgrams *s)
{
	free(s->dg);
	free(s->bytes);
	memset(s, 0, sizeof(*s));
}

double gen_cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
