/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The collector's queue of MRT records between the event loop and the
 * processing thread, the BGP4MP_ET records that go into it, and the log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "collect/collect_impl.h"
#include "vigil/cursor.h"
#include "vigil/mrt.h"

/* ---- queue ----------------------------------------------------------- */

int
cq_init(struct cqueue *q, size_t limit)
{
	memset(q, 0, sizeof(*q));
	if (pthread_mutex_init(&q->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&q->cv, NULL) != 0) {
		pthread_mutex_destroy(&q->mu);
		return -1;
	}
	q->limit = limit;
	atomic_init(&q->depth, 0);
	atomic_init(&q->overflows, 0);
	atomic_init(&q->paused, 0);
	return 0;
}

void
cq_destroy(struct cqueue *q)
{
	struct cq_chunk *c, *n;
	for (c = q->head; c; c = n) {
		n = c->next;
		free(c);
	}
	free(q->cur);
	for (unsigned i = 0; i < q->nspare; i++)
		free(q->spare[i]);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
}

uint8_t *
cq_reserve(struct cqueue *q, size_t n, const char *coll)
{
	if (q->cur && q->cur->len > 0 &&
	    (q->cur->len + n > q->cur->cap || strcmp(q->cur->coll, coll) != 0))
		cq_publish(q); /* may keep q->cur, emptied */
	if (q->cur && q->cur->len == 0) {
		if (n > q->cur->cap) {
			free(q->cur);
			q->cur = NULL;
		} else if (strcmp(q->cur->coll, coll) != 0) {
			snprintf(q->cur->coll, sizeof(q->cur->coll), "%s",
			         coll);
		}
	}
	if (q->cur == NULL) {
		size_t cap = n > CQ_CHUNK ? n : CQ_CHUNK;
		if (cap == CQ_CHUNK) {
			pthread_mutex_lock(&q->mu);
			if (q->nspare)
				q->cur = q->spare[--q->nspare];
			pthread_mutex_unlock(&q->mu);
		}
		if (q->cur == NULL) {
			q->cur = malloc(sizeof(*q->cur) + cap);
			if (q->cur == NULL)
				return NULL;
			q->cur->cap = cap;
		}
		q->cur->next = NULL;
		q->cur->len = 0;
		snprintf(q->cur->coll, sizeof(q->cur->coll), "%s", coll);
	}
	return q->cur->data + q->cur->len;
}

void
cq_commit(struct cqueue *q, size_t n)
{
	q->cur->len += n;
}

int
cq_publish(struct cqueue *q)
{
	struct cq_chunk *c = q->cur;
	int over;

	if (c == NULL || c->len == 0)
		return atomic_load(&q->depth) > q->limit;
	pthread_mutex_lock(&q->mu);
	struct cq_chunk *t = q->tail;
	if (t && t->cap - t->len >= c->len && strcmp(t->coll, c->coll) == 0) {
		/* the processing thread has not taken the last chunk yet:
		 * add to it, and keep ours for the next records */
		memcpy(t->data + t->len, c->data, c->len);
		t->len += c->len;
		q->bytes += c->len;
		q->merged++;
		c->len = 0;
	} else {
		q->cur = NULL;
		if (t)
			t->next = c;
		else
			q->head = c;
		q->tail = c;
		q->bytes += c->len;
	}
	atomic_store(&q->depth, q->bytes);
	over = q->bytes > q->limit;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return over;
}

struct cq_chunk *
cq_pop(struct cqueue *q, int timeout_ms, int *closed)
{
	struct cq_chunk *c = NULL;
	int wake = 0;

	*closed = 0;
	pthread_mutex_lock(&q->mu);
	if (q->head == NULL && !q->closed && timeout_ms > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += timeout_ms / 1000;
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (q->head == NULL && !q->closed)
			if (pthread_cond_timedwait(&q->cv, &q->mu, &ts) ==
			    ETIMEDOUT)
				break;
	}
	if (q->head) {
		c = q->head;
		q->head = c->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->bytes -= c->len;
		atomic_store(&q->depth, q->bytes);
		if (atomic_load(&q->paused) && q->bytes <= q->limit / 2)
			wake = 1;
	} else if (q->closed) {
		*closed = 1;
	}
	pthread_mutex_unlock(&q->mu);
	if (wake && q->wake)
		q->wake(q->wake_ctx);
	return c;
}

void
cq_free(struct cqueue *q, struct cq_chunk *c)
{
	if (c == NULL)
		return;
	if (c->cap == CQ_CHUNK) {
		pthread_mutex_lock(&q->mu);
		if (q->nspare < CQ_SPARE) {
			q->spare[q->nspare++] = c;
			c = NULL;
		}
		pthread_mutex_unlock(&q->mu);
	}
	free(c);
}

void
cq_close(struct cqueue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* ---- records ----------------------------------------------------------- */

static size_t
put_addr(uint8_t *p, const struct vg_addr *a)
{
	size_t n = a->afi == VG_AFI_IP6 ? 16 : 4;
	memcpy(p, a->addr, n);
	return n;
}

/* Header and session part of a BGP4MP_ET record; returns the body
 * pointer's offset (where the message or states go), 0 on error. */
static uint8_t *
rec_begin(struct cqueue *q, const struct cpeer *p, uint32_t local_as,
          unsigned subtype, int as4, size_t tail, size_t *total)
{
	struct timeval tv;
	size_t alen = p->cfg.addr.afi == VG_AFI_IP6 ? 16 : 4;
	size_t body = (as4 ? 8 : 4) + 4 + 2 * alen + tail;
	size_t n = 16 + body;
	uint8_t *r = cq_reserve(q, n, p->coll), *w;
	struct vg_addr local = p->local_addr;

	if (r == NULL)
		return NULL;
	if (local.afi != p->cfg.addr.afi) {
		memset(&local, 0, sizeof(local));
		local.afi = p->cfg.addr.afi;
	}
	gettimeofday(&tv, NULL);
	vg_store_be32(r, (uint32_t)tv.tv_sec);
	vg_store_be16(r + 4, MRT_BGP4MP_ET);
	vg_store_be16(r + 6, (uint16_t)subtype);
	vg_store_be32(r + 8, (uint32_t)(body + 4));
	vg_store_be32(r + 12, (uint32_t)tv.tv_usec);
	w = r + 16;
	if (as4) {
		vg_store_be32(w, p->cfg.asn);
		vg_store_be32(w + 4, local_as);
		w += 8;
	} else {
		vg_store_be16(w, (uint16_t)(p->cfg.asn > 65535 ? BGP_AS_TRANS
		                                               : p->cfg.asn));
		vg_store_be16(w + 2, (uint16_t)(local_as > 65535 ? BGP_AS_TRANS
		                                                 : local_as));
		w += 4;
	}
	vg_store_be16(w, 0); /* interface index */
	vg_store_be16(w + 2, p->cfg.addr.afi == VG_AFI_IP6 ? 2 : 1);
	w += 4;
	w += put_addr(w, &p->cfg.addr);
	w += put_addr(w, &local);
	*total = n;
	return w;
}

int
rec_message(struct cqueue *q, const struct cpeer *p, uint32_t local_as,
            const uint8_t *msg, size_t len, unsigned flags)
{
	size_t n;
	int as4 = !(flags & REC_AS2);
	unsigned sub;

	if (flags & REC_LOCAL)
		sub = (flags & REC_ADDPATH)
		          ? (as4 ? MRT_BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH
		                 : MRT_BGP4MP_MESSAGE_LOCAL_ADDPATH)
		          : (as4 ? MRT_BGP4MP_MESSAGE_AS4_LOCAL
		                 : MRT_BGP4MP_MESSAGE_LOCAL);
	else
		sub = (flags & REC_ADDPATH)
		          ? (as4 ? MRT_BGP4MP_MESSAGE_AS4_ADDPATH
		                 : MRT_BGP4MP_MESSAGE_ADDPATH)
		          : (as4 ? MRT_BGP4MP_MESSAGE_AS4 : MRT_BGP4MP_MESSAGE);
	uint8_t *w = rec_begin(q, p, local_as, sub, as4, len, &n);
	if (w == NULL)
		return -1;
	memcpy(w, msg, len);
	cq_commit(q, n);
	return 0;
}

int
rec_state(struct cqueue *q, const struct cpeer *p, uint32_t local_as,
          unsigned from, unsigned to)
{
	size_t n;
	uint8_t *w = rec_begin(q, p, local_as, MRT_BGP4MP_STATE_CHANGE_AS4, 1,
	                       4, &n);
	if (w == NULL)
		return -1;
	vg_store_be16(w, (uint16_t)from);
	vg_store_be16(w + 2, (uint16_t)to);
	cq_commit(q, n);
	return 0;
}

/* ---- log ------------------------------------------------------------- */

static FILE *log_file;
static int log_stderr;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

void
clog_open(FILE *f, int also_stderr)
{
	pthread_mutex_lock(&log_mu);
	log_file = f;
	log_stderr = also_stderr && f != stderr;
	pthread_mutex_unlock(&log_mu);
}

void
clog_printf(const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(line);
	line[n++] = '\n';
	line[n] = 0;
	pthread_mutex_lock(&log_mu);
	FILE *f = log_file ? log_file : stderr;
	fputs(line, f);
	fflush(f);
	if (log_stderr)
		fputs(line, stderr);
	pthread_mutex_unlock(&log_mu);
}

void
clog_peer(char *buf, size_t len, const struct cpeer *p)
{
	char a[VG_ADDR_STRLEN];
	vg_addr_str(&p->cfg.addr, a);
	if (p->cfg.name[0])
		snprintf(buf, len, "peer=%s as=%u name=%s", a, p->cfg.asn,
		         p->cfg.name);
	else
		snprintf(buf, len, "peer=%s as=%u", a, p->cfg.asn);
}
