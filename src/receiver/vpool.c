/*
 * Verification threads for the receiver's UDP path (see vpool.h). One mutex guards a stack of
 * free slots and a FIFO of filled slots per lane; workers wait on one condition variable, the
 * submitter on another. Each slot carries its datagram's bytes and the submitter's meta bytes,
 * so a worker never touches the reader's receive slab.
 */
#include "receiver/vpool.h"

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/tracer.h"

#define VPOOL_NICE 5 /* workers' niceness above the process's */

struct vslot {
	struct ofd_dgram dg;
	alignas(8) uint8_t meta[OFD_VPOOL_META];
	uint8_t data[]; /* max_len bytes */
};

struct vworker {
	struct ofd_vpool *p;
	pthread_t thread;
	int started;
	uint8_t scratch[OFD_TRACER_MAX];
};

/* A FIFO of slot pointers. */
struct vfifo {
	struct vslot **q;
	unsigned head, n, max;
};

struct ofd_vpool {
	ofd_vpool_fn fn;
	void *ctx;
	size_t max_len;
	unsigned nslots, nworkers;
	uint8_t *slab;
	pthread_mutex_t mu;
	pthread_cond_t work_cv, free_cv;
	struct vslot **freel; /* a stack of free slots */
	unsigned nfree;
	struct vfifo lane[2];
	int closed;
	struct vworker *w;
};

static void fifo_push(struct vfifo *f, unsigned cap, struct vslot *s)
{
	f->q[(f->head + f->n++) % cap] = s;
}

static struct vslot *fifo_pop(struct vfifo *f, unsigned cap)
{
	struct vslot *s = f->q[f->head];
	f->head = (f->head + 1) % cap;
	f->n--;
	return s;
}

/* The next slot to handle, the priority lane first; NULL once closed and drained. */
static struct vslot *take(struct ofd_vpool *p)
{
	pthread_mutex_lock(&p->mu);
	while (!p->lane[0].n && !p->lane[1].n && !p->closed)
		pthread_cond_wait(&p->work_cv, &p->mu);
	struct vslot *s = NULL;
	if (p->lane[0].n)
		s = fifo_pop(&p->lane[0], p->nslots);
	else if (p->lane[1].n)
		s = fifo_pop(&p->lane[1], p->nslots);
	pthread_mutex_unlock(&p->mu);
	return s;
}

static void *vworker_main(void *arg)
{
	struct vworker *w = arg;
	struct ofd_vpool *p = w->p;
	struct vslot *s;
	/* below the reading thread (and the HTTP threads): a reader that gets the CPU keeps the
	   socket buffer from overflowing, and only it can tell a good key's tracer from junk */
	errno = 0;
	int nice_now = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
	if (errno == 0)
		(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice_now + VPOOL_NICE);
	while ((s = take(p)) != NULL) {
		p->fn(p->ctx, &s->dg, s->meta, w->scratch);
		pthread_mutex_lock(&p->mu);
		p->freel[p->nfree++] = s;
		pthread_cond_signal(&p->free_cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

static struct vslot *slot_at(struct ofd_vpool *p, unsigned i)
{
	return (struct vslot *)(void *)(p->slab + (size_t)i * (sizeof(struct vslot) + p->max_len));
}

static void vpool_free(struct ofd_vpool *p)
{
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->free_cv);
	free(p->lane[0].q);
	free(p->lane[1].q);
	free(p->freel);
	free(p->slab);
	free(p->w);
	free(p);
}

int ofd_vpool_start(struct ofd_vpool **out, unsigned workers, unsigned slots, size_t max_len, ofd_vpool_fn fn,
		    void *ctx)
{
	*out = NULL;
	if (workers == 0 || workers > 64 || slots < 16 * workers || max_len == 0)
		return OFD_ECONFIG;
	max_len = (max_len + 7) & ~(size_t)7; /* keeps every slot's header aligned */
	struct ofd_vpool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct ofd_vpool){
	    .fn = fn, .ctx = ctx, .max_len = max_len, .nslots = slots, .nworkers = workers};
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->free_cv, NULL);
	p->slab = malloc((size_t)slots * (sizeof(struct vslot) + max_len));
	p->w = calloc(workers, sizeof(*p->w));
	p->freel = calloc(slots, sizeof(*p->freel));
	p->lane[0].q = calloc(slots, sizeof(*p->lane[0].q));
	p->lane[1].q = calloc(slots, sizeof(*p->lane[1].q));
	if (!p->slab || !p->w || !p->freel || !p->lane[0].q || !p->lane[1].q) {
		vpool_free(p);
		return -ENOMEM;
	}
	p->lane[0].max = slots;
	p->lane[1].max = slots - 8 * workers;
	for (unsigned i = 0; i < slots; i++)
		p->freel[p->nfree++] = slot_at(p, i);
	for (unsigned i = 0; i < workers; i++) {
		p->w[i].p = p;
		int rc = pthread_create(&p->w[i].thread, NULL, vworker_main, &p->w[i]);
		if (rc != 0) {
			ofd_vpool_stop(p);
			return -rc;
		}
		p->w[i].started = 1;
	}
	*out = p;
	return 0;
}

int ofd_vpool_submit(struct ofd_vpool *p, const struct ofd_dgram *dg, enum ofd_vpool_lane lane,
		     const void *meta)
{
	unsigned li = lane == OFD_VPOOL_FIRST ? 0 : 1;
	pthread_mutex_lock(&p->mu);
	if (li == 1 && (p->lane[1].n >= p->lane[1].max || !p->nfree)) {
		pthread_mutex_unlock(&p->mu);
		return OFD_ELIMIT;
	}
	while (!p->nfree && !p->closed)
		pthread_cond_wait(&p->free_cv, &p->mu);
	if (p->closed) {
		pthread_mutex_unlock(&p->mu);
		return OFD_EEOF;
	}
	struct vslot *s = p->freel[--p->nfree];
	pthread_mutex_unlock(&p->mu);
	/* the slot is ours alone until it is pushed: copy outside the lock */
	s->dg = *dg;
	s->dg.data = s->data;
	memcpy(s->data, dg->data, dg->len < p->max_len ? dg->len : p->max_len);
	if (meta)
		memcpy(s->meta, meta, OFD_VPOOL_META);
	else
		memset(s->meta, 0, OFD_VPOOL_META);
	pthread_mutex_lock(&p->mu);
	fifo_push(&p->lane[li], p->nslots, s);
	pthread_cond_signal(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int ofd_vpool_room(struct ofd_vpool *p, enum ofd_vpool_lane lane)
{
	unsigned li = lane == OFD_VPOOL_FIRST ? 0 : 1;
	pthread_mutex_lock(&p->mu);
	int room = p->nfree > 0 && p->lane[li].n < p->lane[li].max;
	pthread_mutex_unlock(&p->mu);
	return room;
}

void ofd_vpool_stop(struct ofd_vpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->closed = 1; /* workers drain what is queued, then see the end */
	pthread_cond_broadcast(&p->work_cv);
	pthread_cond_broadcast(&p->free_cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->w[i].started)
			pthread_join(p->w[i].thread, NULL);
	vpool_free(p);
}
