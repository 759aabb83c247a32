/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Parallel MRT decoding (include/vigil/mrt_par.h).
 *
 * A ring of chunks moves through FREE -> FRAMED -> DECODING -> DONE -> FREE.
 * Worker threads take turns at the splitter (one at a time: a reader that
 * only frames records, applies the records that change cross-record state,
 * and copies that state into each chunk it starts), and otherwise decode
 * the oldest framed chunk with their own reader in feed mode.  The calling
 * thread consumes DONE chunks in sequence order.  Framing problems are
 * stored in the chunk tagged with the record they precede; the worker's
 * reader replays them at that point, so a chunk's problem list is in the
 * one-thread order.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vigil/mrt_par.h"
#include "wire/mrt_impl.h"

enum { CH_FREE = 0, CH_FRAMED, CH_DECODING, CH_DONE };

struct strbuf {
	char *p;
	size_t len, cap;
};

struct chunk {
	int state;
	int end;  /* the splitter reached the end with this chunk */
	int rc;   /* and mrt_reader_next_record said this */
	int fail; /* out of memory */
	/* framed records; bodies point into data (stream) or the caller's
	 * memory (up to hi) */
	struct mrt_record *recs;
	uint8_t *bad;
	uint32_t nrecs, cap_recs;
	uint8_t *data;
	size_t len, cap;
	const uint8_t *hi;
	struct mrt_feed_problem *fp;
	uint32_t nfp, cap_fp;
	struct strbuf fmsg;
	struct mrt_state snap;
	/* results */
	struct vg_obuf out;
	struct mrt_problem *op;
	uint32_t nop, cap_op;
	struct strbuf omsg;
	struct mrt_stats st;
};

struct par;

struct worker {
	struct par *par;
	unsigned idx;
	pthread_t th;
	int started;
	struct mrt_reader *r;
	struct chunk *c;
	struct mrt_feed feed;
	double cpu; /* CPU seconds of the thread, at its end */
};

struct par {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct chunk *ring;
	unsigned k, nthreads, nframed;
	uint64_t frame_seq, consume_seq;
	int splitting, split_done, stop;
	struct mrt_reader *sr;
	struct chunk *fc; /* chunk being framed */
	int copy;         /* stream input: copy bodies into chunks */
	size_t chunk_bytes;
	const char *name;
	const struct mrt_par_cb *cb;
	struct worker *w;
};

static int
strbuf_add(struct strbuf *b, const char *s, size_t *off)
{
	size_t n = strlen(s) + 1;

	if (b->cap - b->len < n) {
		size_t nc = b->cap ? b->cap * 2 : 1024;
		char *np;
		while (nc - b->len < n)
			nc *= 2;
		if ((np = realloc(b->p, nc)) == NULL)
			return -1;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	*off = b->len;
	b->len += n;
	return 0;
}

static int
grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	uint32_t nc = *cap ? *cap * 2 : 256;
	while (nc < need)
		nc *= 2;
	void *np = realloc(*p, (size_t)nc * size);
	if (np == NULL)
		return -1;
	*p = np;
	*cap = nc;
	return 0;
}

/* The splitter's problems: kept for the worker to replay in order. */
static void
frame_problem(void *ctx, const struct mrt_problem *p)
{
	struct par *P = ctx;
	struct chunk *c = P->fc;
	size_t off;

	if (grow((void **)&c->fp, &c->cap_fp, c->nfp + 1, sizeof(*c->fp)) < 0 ||
	    strbuf_add(&c->fmsg, p->msg, &off) < 0) {
		c->fail = 1;
		return;
	}
	c->fp[c->nfp].before = c->nrecs;
	c->fp[c->nfp].p = *p;
	c->fp[c->nfp].p.file = P->name;
	c->fp[c->nfp].p.msg = (const char *)(uintptr_t)off; /* fixed below */
	c->nfp++;
}

/* A worker's problems (its own and the replayed framing ones), in order. */
static void
out_problem(void *ctx, const struct mrt_problem *p)
{
	struct worker *w = ctx;
	struct chunk *c = w->c;
	size_t off;

	if (grow((void **)&c->op, &c->cap_op, c->nop + 1, sizeof(*c->op)) < 0 ||
	    strbuf_add(&c->omsg, p->msg, &off) < 0) {
		c->fail = 1;
		return;
	}
	c->op[c->nop] = *p;
	c->op[c->nop].file = w->par->name;
	c->op[c->nop].msg = (const char *)(uintptr_t)off; /* fixed later */
	c->nop++;
}

/* Frame the next chunk of records into C (splitter role). */
static void
frame(struct par *P, struct chunk *c)
{
	struct mrt_reader *sr = P->sr;
	size_t bytes = 0;

	c->nrecs = 0;
	c->len = 0;
	c->nfp = 0;
	c->fmsg.len = 0;
	c->end = c->rc = c->fail = 0;
	c->hi = NULL;
	if (mrt_reader_save_state(sr, &c->snap) < 0) {
		c->fail = c->end = 1;
		return;
	}
	P->fc = c;
	while (bytes < P->chunk_bytes) {
		const struct mrt_record *rec;
		int rc = mrt_reader_next_record(sr, &rec);
		if (rc <= 0) {
			c->end = 1;
			c->rc = rc;
			break;
		}
		if (c->nrecs == c->cap_recs) {
			/* records are rarely under 32 bytes: few regrowths */
			size_t first = P->chunk_bytes / 32 + 16;
			uint32_t nc = c->cap_recs ? c->cap_recs * 2
			              : (uint32_t)(first < 65536 ? first : 65536);
			struct mrt_record *nr = realloc(c->recs, nc * sizeof(*nr));
			if (nr)
				c->recs = nr;
			uint8_t *nb = nr ? realloc(c->bad, nc) : NULL;
			if (nb == NULL) {
				c->fail = c->end = 1;
				break;
			}
			c->bad = nb;
			c->cap_recs = nc;
		}
		c->recs[c->nrecs] = *rec;
		c->bad[c->nrecs] = (uint8_t)mrt_reader_rec_bad(sr);
		if (P->copy) {
			if (c->cap - c->len < rec->len) {
				size_t nc = c->cap ? c->cap : P->chunk_bytes + 4096;
				uint8_t *nd;
				while (nc - c->len < rec->len)
					nc *= 2;
				if ((nd = realloc(c->data, nc)) == NULL) {
					c->fail = c->end = 1;
					break;
				}
				c->data = nd;
				c->cap = nc;
			}
			if (rec->len)
				memcpy(c->data + c->len, rec->body, rec->len);
			c->recs[c->nrecs].body = (const uint8_t *)(uintptr_t)c->len;
			c->len += rec->len;
		} else {
			c->hi = rec->body + rec->len;
		}
		c->nrecs++;
		bytes += rec->hdr_len + (size_t)rec->len;
		if (mrt_record_changes_state(rec))
			mrt_reader_apply_state(sr);
	}
	P->fc = NULL;
	if (P->copy) {
		/* (no data at all if every body was empty) */
		static const uint8_t none[1];
		const uint8_t *base = c->data ? c->data : none;
		for (uint32_t i = 0; i < c->nrecs; i++)
			c->recs[i].body = base + (uintptr_t)c->recs[i].body;
	}
	for (uint32_t i = 0; i < c->nfp; i++)
		c->fp[i].p.msg = c->fmsg.p + (uintptr_t)c->fp[i].p.msg;
}

static void
decode(struct worker *w, struct chunk *c)
{
	const struct mrt_par_cb *cb = w->par->cb;
	struct mrt_stats *st = mrt_reader_stats_rw(w->r);
	const struct vg_elem *e;

	w->c = c;
	c->nop = 0;
	c->omsg.len = 0;
	c->out.len = 0;
	c->out.error = 0;
	if (c->fail || mrt_reader_load_state(w->r, &c->snap) < 0) {
		c->fail = 1;
		return;
	}
	memset(st, 0, sizeof(*st));
	w->feed = (struct mrt_feed){.recs = c->recs, .bad = c->bad,
	                            .n = c->nrecs, .probs = c->fp,
	                            .nprobs = c->nfp};
	mrt_reader_set_feed(w->r, &w->feed);
	while (mrt_reader_next_elem(w->r, &e) > 0)
		if (cb->on_elem)
			cb->on_elem(cb->ctx, w->idx, &c->out, e);
	mrt_reader_set_feed(w->r, NULL);
	c->st = *st;
	if (c->out.error)
		c->fail = 1;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct par *P = w->par;

	pthread_mutex_lock(&P->mu);
	for (;;) {
		struct chunk *c = NULL;

		if (P->stop)
			break;
		if (!P->splitting && !P->split_done &&
		    P->frame_seq - P->consume_seq < P->k &&
		    P->nframed < P->nthreads) {
			c = &P->ring[P->frame_seq % P->k];
			P->splitting = 1;
			pthread_mutex_unlock(&P->mu);
			frame(P, c);
			pthread_mutex_lock(&P->mu);
			P->frame_seq++;
			c->state = CH_FRAMED;
			P->nframed++;
			P->splitting = 0;
			if (c->end)
				P->split_done = 1;
			pthread_cond_broadcast(&P->work);
			continue;
		}
		for (uint64_t q = P->consume_seq; q < P->frame_seq; q++)
			if (P->ring[q % P->k].state == CH_FRAMED) {
				c = &P->ring[q % P->k];
				break;
			}
		if (c) {
			c->state = CH_DECODING;
			P->nframed--;
			pthread_mutex_unlock(&P->mu);
			decode(w, c);
			pthread_mutex_lock(&P->mu);
			c->state = CH_DONE;
			pthread_cond_signal(&P->done);
			continue;
		}
		pthread_cond_wait(&P->work, &P->mu);
	}
	pthread_mutex_unlock(&P->mu);
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		w->cpu = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return NULL;
}

static void
stats_add(struct mrt_stats *t, const struct mrt_stats *s)
{
	t->records += s->records;
	t->records_bad += s->records_bad;
	t->bytes += s->bytes;
	t->bytes_skipped += s->bytes_skipped;
	t->elems += s->elems;
	t->problems += s->problems;
	t->unsupported += s->unsupported;
	t->truncated |= s->truncated;
}

static void
chunk_destroy(struct chunk *c)
{
	free(c->recs);
	free(c->bad);
	free(c->data);
	free(c->fp);
	free(c->fmsg.p);
	mrt_state_destroy(&c->snap);
	vg_obuf_destroy(&c->out);
	free(c->op);
	free(c->omsg.p);
}

/* Give back the mapped pages before HI, from where the last call stopped
 * (*FROM, page-aligned): chunks are consumed in order, so everything before
 * the consumed chunk's end is done with, except the page it shares with
 * the next chunk. */
static void
release_upto(uintptr_t *from, const uint8_t *hi)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t b = (uintptr_t)hi & ~(pg - 1);

	if (b > *from) {
		madvise((void *)*from, b - *from, MADV_DONTNEED);
		*from = b;
	}
}

int
mrt_par_run(vg_stream *s, const uint8_t *buf, size_t len, int release,
            const char *name, const struct mrt_par_opts *opts,
            const struct mrt_par_cb *cb, struct mrt_stats *st)
{
	struct par P;
	int ret = 0, end = 0;
	const char *env = getenv("VIGIL_MRT_CHUNK");
	uintptr_t pgsz = (uintptr_t)sysconf(_SC_PAGESIZE);
	/* (rounded up: never a byte before BUF) */
	uintptr_t rel_from = ((uintptr_t)buf + pgsz - 1) & ~(pgsz - 1);

	memset(&P, 0, sizeof(P));
	memset(st, 0, sizeof(*st));
	P.nthreads = opts && opts->threads ? opts->threads : 2;
	P.chunk_bytes = opts && opts->chunk_bytes ? opts->chunk_bytes : 1u << 20;
	if (env && atol(env) > 0)
		P.chunk_bytes = (size_t)atol(env);
	P.k = 2 * P.nthreads + 2;
	P.copy = s != NULL;
	P.name = name ? name : "-";
	P.cb = cb;
	pthread_mutex_init(&P.mu, NULL);
	pthread_cond_init(&P.work, NULL);
	pthread_cond_init(&P.done, NULL);
	P.ring = calloc(P.k, sizeof(*P.ring));
	P.w = calloc(P.nthreads, sizeof(*P.w));
	P.sr = s ? mrt_reader_new(s, P.name, frame_problem, &P)
	         : mrt_reader_new_mem(buf, len, 0, P.name, frame_problem, &P);
	if (P.ring == NULL || P.w == NULL || P.sr == NULL) {
		ret = -2;
		goto out;
	}
	for (unsigned i = 0; i < P.k; i++)
		if (vg_obuf_init(&P.ring[i].out, -1, 64u << 10) < 0) {
			ret = -2;
			goto out;
		}
	for (unsigned i = 0; i < P.nthreads; i++) {
		struct worker *w = &P.w[i];
		w->par = &P;
		w->idx = i;
		w->r = mrt_reader_new(NULL, P.name, out_problem, w);
		if (w->r == NULL) {
			ret = -2;
			goto out;
		}
	}
	for (unsigned i = 0; i < P.nthreads; i++) {
		if (pthread_create(&P.w[i].th, NULL, worker_main, &P.w[i]) != 0) {
			ret = -2;
			goto out;
		}
		P.w[i].started = 1;
	}

	while (!end) {
		struct chunk *c = &P.ring[P.consume_seq % P.k];

		pthread_mutex_lock(&P.mu);
		while (c->state != CH_DONE)
			pthread_cond_wait(&P.done, &P.mu);
		pthread_mutex_unlock(&P.mu);
		if (c->fail) {
			ret = -2;
			break;
		}
		for (uint32_t i = 0; i < c->nop; i++) {
			c->op[i].msg = c->omsg.p + (uintptr_t)c->op[i].msg;
			if (cb->on_problem)
				cb->on_problem(cb->ctx, &c->op[i]);
		}
		if (cb->on_out && c->out.len &&
		    cb->on_out(cb->ctx, c->out.buf, c->out.len) < 0) {
			ret = -2;
			break;
		}
		stats_add(st, &c->st);
		if (c->out.cap > (4u << 20)) {
			/* a rare huge chunk: do not keep its buffer */
			vg_obuf_destroy(&c->out);
			if (vg_obuf_init(&c->out, -1, 64u << 10) < 0) {
				ret = -2;
				break;
			}
		}
		if (release && !P.copy && c->hi)
			release_upto(&rel_from, c->hi);
		end = c->end;
		if (end && c->rc < 0)
			ret = -1;
		pthread_mutex_lock(&P.mu);
		c->state = CH_FREE;
		P.consume_seq++;
		pthread_cond_broadcast(&P.work);
		pthread_mutex_unlock(&P.mu);
	}

out:
	pthread_mutex_lock(&P.mu);
	P.stop = 1;
	pthread_cond_broadcast(&P.work);
	pthread_mutex_unlock(&P.mu);
	for (unsigned i = 0; P.w && i < P.nthreads; i++) {
		if (P.w[i].started)
			pthread_join(P.w[i].th, NULL);
		if (opts && opts->cpu_secs)
			opts->cpu_secs[i] = P.w[i].cpu;
		mrt_reader_free(P.w[i].r);
	}
	if (P.sr)
		stats_add(st, mrt_reader_stats(P.sr));
	mrt_reader_free(P.sr);
	for (unsigned i = 0; P.ring && i < P.k; i++)
		chunk_destroy(&P.ring[i]);
	free(P.ring);
	free(P.w);
	pthread_cond_destroy(&P.work);
	pthread_cond_destroy(&P.done);
	pthread_mutex_destroy(&P.mu);
	return ret;
}
