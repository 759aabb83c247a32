/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * /api/v1/live: server-sent events, and the one thread that watches the
 * database for every client of the server.
 *
 * The poller opens its own read-only connection and, every poll period,
 * checks that the file is still the one it opened (a replay replaces the
 * database: then everyone reopens) and reads PRAGMA data_version.  When a
 * writer has committed, it tells the server (whose answer cache is keyed
 * by that version) and looks for what is new: the newest bin, and every
 * event that is open or ended since the last bin it saw, compared with
 * what it saw before by a fingerprint of the fields that change (level,
 * end, depth, severity, evidence counts).  Each new or changed event is
 * sent whole, as `vigil events --json` prints it.
 *
 * Clients are libmicrohttpd connections with a callback response: each has
 * a buffer of bytes to send; the callback copies from it or, when it is
 * empty, suspends the connection, and a broadcast resumes it.  A comment
 * line every 15 s keeps proxies from closing idle streams and lets a gone
 * client be noticed; a client that falls 4 MiB behind is dropped.
 */
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "http/live.h"
#include "http/http_impl.h"

#define LIVE_BACKLOG_MAX (4u << 20) /* bytes a client may fall behind */
#define LIVE_PING_SECS 15

struct live_client {
	struct live *l;
	struct MHD_Connection *conn;
	char *buf;
	size_t len, off, cap;
	int suspended;
	int dropped; /* fell too far behind */
	struct live_client *prev, *next;
};

struct fp {
	uint64_t id, fp;
};

struct live {
	pthread_mutex_t mu; /* clients and their buffers */
	pthread_cond_t cv;  /* wakes the poller early (stop) */
	struct live_client *clients;
	unsigned n, max;
	int stop;
	pthread_t th;
	int started;
	struct live_opts o;
	char *db_path;
	atomic_ullong messages;
	/* poller state (its thread only) */
	struct vg_store *s;
	dev_t dev;
	ino_t ino;
	uint64_t dv;
	int have_dv, have_bin;
	uint32_t last_bin;
	struct fp *fps;
	size_t nfps, capfps;
	struct fp *nfp; /* the next generation */
	size_t nnfp, capnfp;
	uint64_t *changed;
	size_t nchanged, capchanged;
	int first_scan;
	time_t last_ping;
};

/* ---- clients ---- */

static int
client_append(struct live_client *c, const char *p, size_t n)
{
	if (c->dropped)
		return -1;
	if (c->len - c->off + n > LIVE_BACKLOG_MAX) {
		c->dropped = 1;
		return -1;
	}
	if (c->off && c->off == c->len)
		c->off = c->len = 0;
	if (c->len + n > c->cap) {
		size_t nc = c->cap ? c->cap : 4096;
		char *nb;
		if (c->off) { /* compact first */
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		while (nc < c->len + n)
			nc *= 2;
		if (nc != c->cap) {
			if ((nb = realloc(c->buf, nc)) == NULL) {
				c->dropped = 1;
				return -1;
			}
			c->buf = nb;
			c->cap = nc;
		}
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	return 0;
}

static void
client_wake(struct live_client *c)
{
	if (c->suspended) {
		c->suspended = 0;
		MHD_resume_connection(c->conn);
	}
}

/* Send TEXT to every client. */
static void
broadcast(struct live *l, const char *text, size_t n)
{
	pthread_mutex_lock(&l->mu);
	for (struct live_client *c = l->clients; c; c = c->next) {
		client_append(c, text, n);
		client_wake(c);
	}
	pthread_mutex_unlock(&l->mu);
	atomic_fetch_add(&l->messages, 1);
}

static ssize_t
client_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct live_client *c = cls;
	struct live *l = c->l;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&l->mu);
	if (c->dropped) {
		pthread_mutex_unlock(&l->mu);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (c->off < c->len) {
		size_t k = c->len - c->off < max ? c->len - c->off : max;
		memcpy(buf, c->buf + c->off, k);
		c->off += k;
		if (c->off == c->len)
			c->off = c->len = 0;
		pthread_mutex_unlock(&l->mu);
		return (ssize_t)k;
	}
	if (l->stop) {
		pthread_mutex_unlock(&l->mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	/* nothing to send: sleep until a broadcast resumes us (allowed
	 * from a content reader callback; see MHD_suspend_connection) */
	c->suspended = 1;
	MHD_suspend_connection(c->conn);
	n = 0;
	pthread_mutex_unlock(&l->mu);
	return n;
}

static void
client_free(void *cls)
{
	struct live_client *c = cls;
	struct live *l = c->l;
	pthread_mutex_lock(&l->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	l->n--;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	free(c->buf);
	free(c);
}

struct MHD_Response *
live_attach(struct live *l, struct MHD_Connection *conn, char *err,
            size_t errlen)
{
	struct live_client *c;
	struct MHD_Response *resp;
	char hello[160];
	int n;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->l = l;
	c->conn = conn;
	pthread_mutex_lock(&l->mu);
	if (l->stop || l->n >= l->max) {
		pthread_mutex_unlock(&l->mu);
		snprintf(err, errlen,
		         l->stop ? "the server is stopping"
		                 : "too many live streams (at most %u)",
		         l->max);
		free(c);
		return NULL;
	}
	/* the reconnection delay, and what the stream starts from */
	n = snprintf(hello, sizeof(hello),
	             "retry: 3000\n\nevent: hello\ndata: {\"last_bin\":%u}\n\n",
	             l->have_bin ? l->last_bin : 0);
	client_append(c, hello, (size_t)n);
	c->next = l->clients;
	if (l->clients)
		l->clients->prev = c;
	l->clients = c;
	l->n++;
	pthread_mutex_unlock(&l->mu);

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
	                                         client_read, c, client_free);
	if (resp == NULL) {
		client_free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return resp;
}

/* ---- the poller ---- */

static uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static uint64_t
dbits(double v)
{
	uint64_t u;
	if (isnan(v))
		return 1;
	memcpy(&u, &v, sizeof(u));
	return u;
}

static uint64_t
event_fp(const struct vg_event *ev)
{
	uint64_t h = 0;
	h = mix(h, ev->kind);
	h = mix(h, ev->level);
	h = mix(h, ev->start);
	h = mix(h, ev->end);
	h = mix(h, dbits(ev->depth));
	h = mix(h, dbits(ev->severity));
	h = mix(h, dbits(ev->bottom));
	h = mix(h, ev->n_evidence);
	h = mix(h, ev->n_evidence_total);
	return h;
}

static int
fp_cmp(const void *a, const void *b)
{
	const struct fp *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct fp *
fp_find(const struct live *l, uint64_t id)
{
	struct fp key = {id, 0};
	if (l->nfps == 0)
		return NULL;
	return bsearch(&key, l->fps, l->nfps, sizeof(*l->fps), fp_cmp);
}

static int
on_scan(void *ctx, const struct vg_event *ev)
{
	struct live *l = ctx;
	uint64_t fp = event_fp(ev);
	const struct fp *old = fp_find(l, ev->id);
	if (l->nnfp == l->capnfp) {
		size_t nc = l->capnfp ? l->capnfp * 2 : 64;
		struct fp *nv = realloc(l->nfp, nc * sizeof(*nv));
		if (nv == NULL)
			return 1;
		l->nfp = nv;
		l->capnfp = nc;
	}
	l->nfp[l->nnfp].id = ev->id;
	l->nfp[l->nnfp].fp = fp;
	l->nnfp++;
	if (!l->first_scan && (old == NULL || old->fp != fp)) {
		if (l->nchanged == l->capchanged) {
			size_t nc = l->capchanged ? l->capchanged * 2 : 16;
			uint64_t *nv = realloc(l->changed, nc * sizeof(*nv));
			if (nv == NULL)
				return 1;
			l->changed = nv;
			l->capchanged = nc;
		}
		l->changed[l->nchanged++] = ev->id;
	}
	return 0;
}

static void
send_event(struct live *l, uint64_t id)
{
	struct vg_event ev;
	char name[128], *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (store_get_event(l->s, id, &ev) <= 0)
		return;
	if (store_entity_name(l->s, &ev.ent, name, sizeof(name)) < 0)
		name[0] = '\0';
	if ((f = open_memstream(&buf, &len)) != NULL) {
		fputs("event: event\ndata: ", f);
		l->o.event_json(f, &ev, name);
		fclose(f);
		/* event_json ends its one line with "\n": one more ends the
		 * message */
		while (len && buf[len - 1] == '\n')
			len--;
		if (buf) {
			char *nb = realloc(buf, len + 2);
			if (nb) {
				buf = nb;
				memcpy(buf + len, "\n\n", 2);
				broadcast(l, buf, len + 2);
			}
		}
		free(buf);
	}
	store_event_free(&ev);
}

/* What is new in the database since the last scan. */
static void
scan(struct live *l)
{
	struct store_event_query q;
	uint32_t first, last;
	uint32_t since;

	if (store_time_range(l->s, &first, &last) < 0)
		return; /* no signals yet */
	if (l->have_bin && last > l->last_bin) {
		char msg[64];
		int n = snprintf(msg, sizeof(msg),
		                 "event: bin\ndata: {\"t\":%u}\n\n", last);
		broadcast(l, msg, (size_t)n);
	}
	/* events that may have changed since: open, or ended after the
	 * last bin seen before (at the first scan: the newest bin) */
	since = l->have_bin && l->last_bin < last ? l->last_bin : last;
	l->last_bin = last;
	l->have_bin = 1;
	memset(&q, 0, sizeof(q));
	q.since = since ? since : 1;
	l->nnfp = 0;
	l->nchanged = 0;
	if (store_query_events(l->s, &q, on_scan, l) < 0)
		return;
	for (size_t i = 0; i < l->nchanged; i++)
		send_event(l, l->changed[i]);
	/* the new generation of fingerprints, sorted for lookups */
	if (l->nnfp > 1)
		qsort(l->nfp, l->nnfp, sizeof(*l->nfp), fp_cmp);
	{
		struct fp *t = l->fps;
		size_t tc = l->capfps;
		l->fps = l->nfp;
		l->nfps = l->nnfp;
		l->capfps = l->capnfp;
		l->nfp = t;
		l->capnfp = tc;
		l->nnfp = 0;
	}
	l->first_scan = 0;
}

static void
poll_once(struct live *l)
{
	struct stat st;
	uint64_t dv;
	time_t now = time(NULL);

	if (now - l->last_ping >= LIVE_PING_SECS) {
		l->last_ping = now;
		broadcast(l, ": ping\n\n", 8);
	}
	if (stat(l->db_path, &st) < 0)
		return; /* being replaced: look again next time */
	if (l->s == NULL || st.st_dev != l->dev || st.st_ino != l->ino) {
		char err[256];
		struct vg_store *s =
		    store_open(l->db_path, STORE_RDONLY, err, sizeof(err));
		int replaced = l->s != NULL;
		if (s == NULL)
			return; /* half-made (a replay starting): later */
		store_close(l->s);
		l->s = s;
		l->dev = st.st_dev;
		l->ino = st.st_ino;
		l->have_dv = 0;
		if (replaced) {
			/* a new database: its bins start over */
			l->have_bin = 0;
			l->o.changed(l->o.ctx, 1);
		}
	}
	if (store_data_version(l->s, &dv) < 0)
		return;
	if (l->have_dv && dv == l->dv)
		return;
	if (l->have_dv)
		l->o.changed(l->o.ctx, 0);
	l->dv = dv;
	l->have_dv = 1;
	scan(l);
}

static void *
poller(void *arg)
{
	struct live *l = arg;
	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		struct timespec ts;
		pthread_mutex_unlock(&l->mu);
		poll_once(l);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += l->o.poll_ms / 1000;
		ts.tv_nsec += (long)(l->o.poll_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&l->mu);
		while (!l->stop) {
			int rc = pthread_cond_timedwait(&l->cv, &l->mu, &ts);
			if (rc == ETIMEDOUT)
				break;
		}
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

struct live *
live_new(const struct live_opts *o, char *err, size_t errlen)
{
	struct live *l = calloc(1, sizeof(*l));
	if (l == NULL || (l->db_path = strdup(o->db_path)) == NULL) {
		free(l);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->o = *o;
	if (l->o.poll_ms == 0)
		l->o.poll_ms = 1000;
	l->max = o->max_clients;
	l->first_scan = 1;
	l->last_ping = time(NULL);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	/* the first look happens here, so the first answers and the first
	 * client see the database as it is */
	poll_once(l);
	if (pthread_create(&l->th, NULL, poller, l) != 0) {
		snprintf(err, errlen, "cannot start the poller thread");
		live_free(l);
		return NULL;
	}
	l->started = 1;
	return l;
}

unsigned
live_clients(struct live *l)
{
	unsigned n;
	pthread_mutex_lock(&l->mu);
	n = l->n;
	pthread_mutex_unlock(&l->mu);
	return n;
}

unsigned long long
live_messages(struct live *l)
{
	return atomic_load(&l->messages);
}

void
live_stop(struct live *l, unsigned wait_ms)
{
	struct timespec ts;
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = 1;
	for (struct live_client *c = l->clients; c; c = c->next)
		client_wake(c);
	pthread_cond_broadcast(&l->cv);
	/* give the streams a moment to end cleanly */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (l->n > 0) {
		/* a client suspended again since: wake it */
		for (struct live_client *c = l->clients; c; c = c->next)
			client_wake(c);
		if (pthread_cond_timedwait(&l->cv, &l->mu, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&l->mu);
	if (l->started) {
		pthread_join(l->th, NULL);
		l->started = 0;
	}
}

void
live_free(struct live *l)
{
	if (l == NULL)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->th, NULL);
	}
	store_close(l->s);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l->fps);
	free(l->nfp);
	free(l->changed);
	free(l->db_path);
	free(l);
}
