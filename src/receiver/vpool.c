/*
 * Verification threads for the receiver's UDP path (see vpool.h). Two rings of slot pointers:
 * free slots go to the reader, filled ones to the workers. Each slot carries its datagram's
 * bytes, so a worker never touches the reader's receive slab.
 */
#include "receiver/vpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/ring.h"
#include "tracer/tracer.h"

struct vslot {
	struct ofd_dgram dg;
	uint8_t data[]; /* max_len bytes */
};

struct vworker {
	struct ofd_vpool *p;
	pthread_t thread;
	int started;
	uint8_t scratch[OFD_TRACER_MAX];
};

struct ofd_vpool {
	ofd_vpool_fn fn;
	void *ctx;
	size_t max_len;
	unsigned nslots, nworkers;
	uint8_t *slab;
	struct ofd_ring free, work;
	struct vworker *w;
};

static void *vworker_main(void *arg)
{
	struct vworker *w = arg;
	struct ofd_vpool *p = w->p;
	void *v;
	while (ofd_ring_pop(&p->work, &v) == 0) {
		struct vslot *s = v;
		p->fn(p->ctx, &s->dg, w->scratch);
		(void)ofd_ring_push(&p->free, s);
	}
	return NULL;
}

static struct vslot *slot_at(struct ofd_vpool *p, unsigned i)
{
	return (struct vslot *)(void *)(p->slab + (size_t)i * (sizeof(struct vslot) + p->max_len));
}

static void vpool_free(struct ofd_vpool *p)
{
	ofd_ring_fini(&p->free);
	ofd_ring_fini(&p->work);
	free(p->slab);
	free(p->w);
	free(p);
}

int ofd_vpool_start(struct ofd_vpool **out, unsigned workers, unsigned slots, size_t max_len, ofd_vpool_fn fn,
		    void *ctx)
{
	*out = NULL;
	if (workers == 0 || workers > 64 || slots < workers || max_len == 0)
		return OFD_ECONFIG;
	max_len = (max_len + 7) & ~(size_t)7; /* keeps every slot's header aligned */
	struct ofd_vpool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct ofd_vpool){
	    .fn = fn, .ctx = ctx, .max_len = max_len, .nslots = slots, .nworkers = workers};
	p->slab = malloc((size_t)slots * (sizeof(struct vslot) + max_len));
	p->w = calloc(workers, sizeof(*p->w));
	int rc = -ENOMEM;
	if (!p->slab || !p->w || (rc = ofd_ring_init(&p->free, slots)) != 0 ||
	    (rc = ofd_ring_init(&p->work, slots)) != 0) {
		vpool_free(p);
		return rc;
	}
	for (unsigned i = 0; i < slots; i++)
		(void)ofd_ring_push(&p->free, slot_at(p, i));
	for (unsigned i = 0; i < workers; i++) {
		p->w[i].p = p;
		if ((rc = pthread_create(&p->w[i].thread, NULL, vworker_main, &p->w[i])) != 0) {
			ofd_vpool_stop(p);
			return -rc;
		}
		p->w[i].started = 1;
	}
	*out = p;
	return 0;
}

void ofd_vpool_submit(struct ofd_vpool *p, const struct ofd_dgram *dg)
{
	void *v;
	if (ofd_ring_pop(&p->free, &v) != 0)
		return;
	struct vslot *s = v;
	s->dg = *dg;
	s->dg.data = s->data;
	memcpy(s->data, dg->data, dg->len < p->max_len ? dg->len : p->max_len);
	(void)ofd_ring_push(&p->work, s);
}

void ofd_vpool_stop(struct ofd_vpool *p)
{
	if (!p)
		return;
	ofd_ring_close(&p->work); /* workers drain what is queued, then see the end */
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->w[i].started)
			pthread_join(p->w[i].thread, NULL);
	vpool_free(p);
}
