/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The network half of src/fetch: directory listings for the planner, and
 * the downloader, a libcurl multi loop in a thread of its own plus a
 * verifier thread that decodes each finished file before it enters the
 * cache.  Protocol: items move PENDING -> ACTIVE -> VERIFYING -> DONE, or
 * back to PENDING (with a backoff time) on a failure worth retrying, or to
 * MISSING / FAILED; every change is made under the fetcher's mutex and
 * broadcast on its condition variable (fetcher_wait sleeps on it).
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vigil/fetch.h"
#include "vigil/stream.h"

#define LISTING_MAX (64u << 20)
#define BACKOFF_MAX_MS 60000u

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
fetch_opts_default(struct fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cache = "vigil-cache";
	o->jobs = 4;
	o->retries = 5;
	o->retry_wait_ms = 1000;
	o->timeout = 60;
	o->connect_timeout = 30;
	o->log = stderr;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t
backoff_ms(const struct fetch_opts *o, unsigned retry)
{
	uint64_t w = o->retry_wait_ms;
	for (unsigned i = 1; i < retry && w < BACKOFF_MAX_MS; i++)
		w *= 2;
	return w < BACKOFF_MAX_MS ? w : BACKOFF_MAX_MS;
}

static void
logf_(const struct fetch_opts *o, const char *fmt, ...)
{
	va_list ap;
	char line[1024];
	if (o->quiet || o->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(o->log, "vigil fetch: %s\n", line);
	fflush(o->log);
}

/* A failure worth another try: the network, a hung or overloaded server,
 * a transfer cut short. */
static int
retryable(CURLcode rc, long code)
{
	switch (rc) {
	case CURLE_HTTP_RETURNED_ERROR:
		return code >= 500 || code == 408 || code == 429;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static int
missing(CURLcode rc, long code)
{
	return (rc == CURLE_HTTP_RETURNED_ERROR && (code == 404 || code == 410)) ||
	       rc == CURLE_FILE_COULDNT_READ_FILE ||
	       rc == CURLE_REMOTE_FILE_NOT_FOUND;
}

/* "what went wrong" for a transfer */
static void
describe(char *out, size_t n, CURLcode rc, long code, const char *errbuf)
{
	if (rc == CURLE_HTTP_RETURNED_ERROR)
		snprintf(out, n, "HTTP %ld", code);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		snprintf(out, n, "timed out (server hangs?): %s",
		         errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else if (rc == CURLE_PARTIAL_FILE)
		snprintf(out, n, "truncated transfer: %s",
		         errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else
		snprintf(out, n, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

static void
common_opts(CURL *h, const struct fetch_opts *o, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vigil/0.1");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)o->connect_timeout);
	/* a server that stops sending: less than 1 byte/s for `timeout` s */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)o->timeout);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
}

static int
mkdir_p(const char *path)
{
	char buf[FETCH_PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0777) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
mkdir_parent(const char *path)
{
	char buf[FETCH_PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	char *s = strrchr(buf, '/');
	if (s == NULL || s == buf)
		return 0;
	*s = '\0';
	return mkdir_p(buf);
}

/* ---- listings ------------------------------------------------------------ */

struct membuf {
	char *p;
	size_t len, cap;
	int overflow;
};

static size_t
mem_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct membuf *b = ctx;
	size_t n = size * nmemb;
	if (b->len + n + 1 > LISTING_MAX) {
		b->overflow = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 65536;
		while (nc < b->len + n + 1)
			nc *= 2;
		char *np = realloc(b->p, nc);
		if (np == NULL)
			return 0;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static void
unescape_file_url(const char *url, char *out, size_t n)
{
	const char *p = url + 7; /* file:// */
	if (strncmp(p, "localhost/", 10) == 0)
		p += 9;
	snprintf(out, n, "%s", p);
}

/*
 * Read the directory listing at URL (ending in '/') into *BUF.  Returns 0,
 * 1 if the directory does not exist, -1 with ERR.
 */
static int
get_listing(const struct fetch_opts *o, const char *url, struct membuf *b,
            char *err, size_t errlen)
{
	if (strncmp(url, "file://", 7) == 0) {
		char path[FETCH_PATH_MAX];
		unescape_file_url(url, path, sizeof(path));
		DIR *d = opendir(path);
		if (d == NULL) {
			if (errno == ENOENT)
				return 1;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			mem_write(de->d_name, 1, strlen(de->d_name), b);
			mem_write("\n", 1, 1, b);
		}
		closedir(d);
		return 0;
	}
	char errbuf[CURL_ERROR_SIZE];
	for (unsigned attempt = 0;; attempt++) {
		CURL *h = curl_easy_init();
		if (h == NULL) {
			snprintf(err, errlen, "cannot start libcurl");
			return -1;
		}
		common_opts(h, o, errbuf);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, mem_write);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
		b->len = 0;
		CURLcode rc = curl_easy_perform(h);
		long code = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_cleanup(h);
		if (rc == CURLE_OK)
			return 0;
		if (missing(rc, code))
			return 1;
		char why[512];
		if (b->overflow)
			snprintf(why, sizeof(why), "listing larger than %u MB",
			         LISTING_MAX >> 20);
		else
			describe(why, sizeof(why), rc, code, errbuf);
		if (!retryable(rc, code) || attempt >= o->retries || b->overflow) {
			snprintf(err, errlen, "cannot list %s: %s%s", url, why,
			         attempt ? " (gave up after retries)" : "");
			return -1;
		}
		uint64_t w = backoff_ms(o, attempt + 1);
		logf_(o, "listing %s: %s; retry %u/%u in %.1f s", url, why,
		      attempt + 1, o->retries, w / 1000.0);
		sleep_ms(w);
	}
}

struct tvec {
	uint32_t *v;
	size_t n, cap;
	int oom;
};

static void
tvec_push(struct tvec *t, uint32_t x)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 256;
		uint32_t *nv = realloc(t->v, nc * sizeof(*nv));
		if (nv == NULL) {
			t->oom = 1;
			return;
		}
		t->v = nv;
		t->cap = nc;
	}
	t->v[t->n++] = x;
}

struct listed {
	struct tvec ribs, upds;
	char (*dirs)[FETCH_URL_MAX];
	size_t ndirs;
};

static void
on_name(void *ctx, enum fetch_kind kind, uint32_t t)
{
	struct listed *l = ctx;
	tvec_push(kind == FETCH_RIB ? &l->ribs : &l->upds, t);
}

static void
month_of(uint32_t t, int *y, int *m)
{
	time_t tt = t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
}

/* list C's KIND directory of month Y-M once; 0 or -1 with ERR */
static int
list_month(const struct fetch_opts *o, const struct fetch_collector *c,
           enum fetch_kind kind, int y, int m, struct listed *l, char *err,
           size_t errlen)
{
	char dir[320], url[FETCH_URL_MAX];
	fetch_dir_path(c, kind, y, m, dir, sizeof(dir));
	snprintf(url, sizeof(url), "%.400s/%.300s/", c->base, dir);
	for (size_t i = 0; i < l->ndirs; i++)
		if (strcmp(l->dirs[i], url) == 0)
			return 0;
	void *nd = realloc(l->dirs, (l->ndirs + 1) * sizeof(*l->dirs));
	if (nd == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->dirs = nd;
	snprintf(l->dirs[l->ndirs++], FETCH_URL_MAX, "%s", url);

	struct membuf b = {0};
	int rc = get_listing(o, url, &b, err, errlen);
	if (rc == 0)
		fetch_listing_parse(b.p ? b.p : "", b.len, c->project, on_name, l);
	free(b.p);
	if (rc < 0)
		return -1;
	if (l->ribs.oom || l->upds.oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
fetch_plan_build(struct fetch_plan *p, const struct fetch_opts *o,
                 const struct fetch_collector *cs, size_t nc, uint32_t from,
                 uint32_t until, char *err, size_t errlen)
{
	pthread_once(&curl_once, curl_init_once);
	for (size_t k = 0; k < nc; k++) {
		const struct fetch_collector *c = &cs[k];
		int rc = 0;
		if (o->no_listing) {
			uint32_t *r = NULL, *u = NULL;
			size_t nr = 0, nu = 0;
			uint32_t rfrom = from > c->rib_interval ? from - c->rib_interval + 1 : 0;
			uint32_t ufrom = rfrom > c->upd_interval ? rfrom - c->upd_interval : 0;
			if (fetch_slots(c, FETCH_RIB, rfrom, from + 1, &r, &nr) < 0 ||
			    fetch_slots(c, FETCH_UPDATES, ufrom, until, &u, &nu) < 0 ||
			    fetch_plan_collector(p, c, o->cache, r, nr, u, nu, from,
			                         until) < 0)
				rc = -1;
			free(r);
			free(u);
			if (rc < 0) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			continue;
		}
		struct listed l;
		memset(&l, 0, sizeof(l));
		int y, m;
		/* RIB dumps: FROM's month, and the month before if the dump
		 * before FROM may be there */
		month_of(from, &y, &m);
		rc = list_month(o, c, FETCH_RIB, y, m, &l, err, errlen);
		uint32_t start = from;
		int have = 0;
		for (size_t i = 0; i < l.ribs.n; i++)
			if (l.ribs.v[i] <= from &&
			    (uint64_t)l.ribs.v[i] + 2ull * c->rib_interval > from) {
				have = 1;
				if (l.ribs.v[i] < start)
					start = l.ribs.v[i];
			}
		if (rc == 0 && !have && from > 2 * c->rib_interval) {
			int y0, m0;
			month_of(from - 2 * c->rib_interval, &y0, &m0);
			if (y0 != y || m0 != m)
				rc = list_month(o, c, FETCH_RIB, y0, m0, &l, err,
				                errlen);
			for (size_t i = 0; i < l.ribs.n; i++)
				if (l.ribs.v[i] <= from &&
				    (uint64_t)l.ribs.v[i] + 2ull * c->rib_interval >
				        from && l.ribs.v[i] < start)
					start = l.ribs.v[i];
		}
		/* update files: every month from just before the start (the
		 * file covering it) to the end */
		uint32_t t = start > 2 * c->upd_interval ? start - 2 * c->upd_interval
		                                        : start;
		month_of(t, &y, &m);
		int ye, me;
		month_of(until > 0 ? until - 1 : 0, &ye, &me);
		while (rc == 0 && (y < ye || (y == ye && m <= me))) {
			rc = list_month(o, c, FETCH_UPDATES, y, m, &l, err, errlen);
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
		if (rc == 0 &&
		    fetch_plan_collector(p, c, o->cache, l.ribs.v, l.ribs.n,
		                         l.upds.v, l.upds.n, from, until) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
		free(l.ribs.v);
		free(l.upds.v);
		free(l.dirs);
		if (rc < 0)
			return -1;
	}
	fetch_plan_sort(p);
	return 0;
}

/* ---- the downloader ------------------------------------------------------ */

struct xfer {
	struct fetcher *f;
	CURL *h;
	size_t item;
	FILE *fp;
	uint64_t offset; /* bytes of .part kept from an earlier try */
	int werr;        /* a write to the .part file failed */
	char errbuf[CURL_ERROR_SIZE];
};

struct fetcher {
	struct fetch_plan *p;
	struct fetch_opts o;
	pthread_mutex_t mu;
	pthread_cond_t cv;  /* an item became final / verifier work */
	pthread_t th, vth;
	int th_started, vth_started;
	CURLM *m;
	uint64_t *next_try;
	size_t *vq; /* verify queue (ring of nitems) */
	size_t vq_head, vq_n;
	size_t cursor; /* items before it are final */
	int stop, curl_done;
	struct xfer *x;
	unsigned nx, active;
};

static int
final(enum fetch_state s)
{
	return s == FETCH_DONE || s == FETCH_CACHED || s == FETCH_MISSING ||
	       s == FETCH_FAILED;
}

static void
part_path(const struct fetch_item *it, char *out, size_t n)
{
	snprintf(out, n, "%s.part", it->path);
}

/* mutex held: schedule a retry or give up */
static void
retry_or_fail(struct fetcher *f, size_t i, const char *why)
{
	struct fetch_item *it = &f->p->items[i];
	if (it->retries >= f->o.retries) {
		it->state = FETCH_FAILED;
		snprintf(it->err, sizeof(it->err), "%s (gave up after %u "
		         "attempt%s)", why, it->attempts,
		         it->attempts == 1 ? "" : "s");
		logf_(&f->o, "%s: %s", it->url, it->err);
		pthread_cond_broadcast(&f->cv);
		return;
	}
	it->retries++;
	uint64_t w = backoff_ms(&f->o, it->retries);
	f->next_try[i] = now_ms() + w;
	it->state = FETCH_PENDING;
	snprintf(it->err, sizeof(it->err), "%s", why);
	logf_(&f->o, "%s: %s; retry %u/%u in %.1f s", it->url, why, it->retries,
	      f->o.retries, w / 1000.0);
}

static size_t
xfer_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	size_t n = size * nmemb;
	/* (a server that answers a Range request with the whole file makes
	 * libcurl fail with CURLE_RANGE_ERROR before any byte: xfer_done) */
	if (fwrite(data, 1, n, x->fp) != n) {
		x->werr = 1;
		return 0;
	}
	return n;
}

/* mutex held: start item I in slot X; 0, or -1 (item finalised) */
static int
xfer_start(struct fetcher *f, struct xfer *x, size_t i)
{
	struct fetch_item *it = &f->p->items[i];
	char part[FETCH_PATH_MAX + 8];
	struct stat st;

	part_path(it, part, sizeof(part));
	memset(x, 0, sizeof(*x));
	x->f = f;
	x->item = i;
	if (mkdir_parent(it->path) < 0) {
		it->state = FETCH_FAILED;
		snprintf(it->err, sizeof(it->err), "cannot create the cache "
		         "directory for %.200s: %s", it->path, strerror(errno));
		logf_(&f->o, "%s", it->err);
		pthread_cond_broadcast(&f->cv);
		return -1;
	}
	if (stat(part, &st) == 0 && st.st_size > 0)
		x->offset = (uint64_t)st.st_size;
	x->fp = fopen(part, x->offset ? "ab" : "wb");
	if (x->fp == NULL || (x->h = curl_easy_init()) == NULL) {
		it->state = FETCH_FAILED;
		snprintf(it->err, sizeof(it->err), "cannot write %.200s: %s", part,
		         strerror(errno));
		logf_(&f->o, "%s", it->err);
		if (x->fp)
			fclose(x->fp);
		x->fp = NULL;
		pthread_cond_broadcast(&f->cv);
		return -1;
	}
	common_opts(x->h, &f->o, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_URL, it->url);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	if (x->offset) {
		curl_easy_setopt(x->h, CURLOPT_RESUME_FROM_LARGE,
		                 (curl_off_t)x->offset);
		logf_(&f->o, "%s: resuming at byte %llu", it->url,
		      (unsigned long long)x->offset);
	}
	curl_multi_add_handle(f->m, x->h);
	it->state = FETCH_ACTIVE;
	it->attempts++;
	f->active++;
	return 0;
}

/* mutex held: a transfer ended */
static void
xfer_done(struct fetcher *f, struct xfer *x, CURLcode rc)
{
	struct fetch_item *it = &f->p->items[x->item];
	char part[FETCH_PATH_MAX + 8], why[512];
	long code = 0;
	curl_off_t cl = -1;
	struct stat st;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	curl_multi_remove_handle(f->m, x->h);
	curl_easy_cleanup(x->h);
	x->h = NULL;
	int ferr = fclose(x->fp) != 0 || x->werr;
	x->fp = NULL;
	f->active--;
	part_path(it, part, sizeof(part));
	uint64_t size = stat(part, &st) == 0 ? (uint64_t)st.st_size : 0;

	if (ferr) {
		it->state = FETCH_FAILED;
		snprintf(it->err, sizeof(it->err), "cannot write %.200s: %s", part,
		         strerror(errno));
		logf_(&f->o, "%s", it->err);
		unlink(part);
		pthread_cond_broadcast(&f->cv);
	} else if (rc == CURLE_OK) {
		if (cl >= 0 && size != x->offset + (uint64_t)cl) {
			snprintf(why, sizeof(why), "size mismatch: %llu bytes, "
			         "Content-Length says %llu",
			         (unsigned long long)size,
			         (unsigned long long)(x->offset + (uint64_t)cl));
			unlink(part);
			retry_or_fail(f, x->item, why);
			return;
		}
		it->bytes = size;
		it->state = FETCH_VERIFYING;
		f->vq[(f->vq_head + f->vq_n++) % f->p->nitems] = x->item;
		pthread_cond_broadcast(&f->cv);
	} else if (missing(rc, code) && it->alt_url) {
		/* not here: try where else it may be, at once */
		logf_(&f->o, "%s: not found; trying %s", it->url, it->alt_url);
		snprintf(it->url, sizeof(it->url), "%s", it->alt_url);
		free(it->alt_url);
		it->alt_url = NULL;
		unlink(part);
		it->state = FETCH_PENDING;
		f->next_try[x->item] = 0;
	} else if (rc == CURLE_RANGE_ERROR) {
		/* the server ignores Range: the partial file is useless */
		unlink(part);
		retry_or_fail(f, x->item, "the server cannot resume (no Range "
		              "support); downloading again from the start");
	} else if (missing(rc, code)) {
		it->state = FETCH_MISSING;
		if (rc == CURLE_HTTP_RETURNED_ERROR)
			snprintf(it->err, sizeof(it->err), "not in the archive "
			         "(HTTP %ld)", code);
		else
			snprintf(it->err, sizeof(it->err), "not in the archive "
			         "(%s)", x->errbuf[0] ? x->errbuf
			                             : curl_easy_strerror(rc));
		logf_(&f->o, "missing %s: %s", it->url, it->err);
		unlink(part);
		pthread_cond_broadcast(&f->cv);
	} else if (rc == CURLE_HTTP_RETURNED_ERROR && code == 416) {
		/* our partial file does not fit the server's: start over */
		unlink(part);
		retry_or_fail(f, x->item, "HTTP 416 (partial file does not "
		              "match; downloading again)");
	} else if (rc == CURLE_PARTIAL_FILE && cl >= 0) {
		snprintf(why, sizeof(why), "truncated: got %llu of %llu bytes",
		         (unsigned long long)size,
		         (unsigned long long)(x->offset + (uint64_t)cl));
		retry_or_fail(f, x->item, why);
	} else if (retryable(rc, code)) {
		describe(why, sizeof(why), rc, code, x->errbuf);
		retry_or_fail(f, x->item, why);
	} else {
		describe(why, sizeof(why), rc, code, x->errbuf);
		it->state = FETCH_FAILED;
		snprintf(it->err, sizeof(it->err), "%.300s", why);
		logf_(&f->o, "%s: %s", it->url, why);
		pthread_cond_broadcast(&f->cv);
	}
}

static void *
curl_thread(void *arg)
{
	struct fetcher *f = arg;
	struct fetch_plan *p = f->p;

	pthread_mutex_lock(&f->mu);
	while (!f->stop) {
		uint64_t now = now_ms(), wake = now + 500;
		while (f->cursor < p->nitems && final(p->items[f->cursor].state))
			f->cursor++;
		int busy = f->active > 0;
		for (size_t i = f->cursor; i < p->nitems; i++) {
			enum fetch_state s = p->items[i].state;
			if (s == FETCH_VERIFYING)
				busy = 1;
			if (s != FETCH_PENDING)
				continue;
			busy = 1;
			if (f->next_try[i] > now) {
				if (f->next_try[i] < wake)
					wake = f->next_try[i];
				continue;
			}
			if (f->active >= f->nx)
				break;
			unsigned k;
			for (k = 0; k < f->nx && f->x[k].h; k++)
				;
			xfer_start(f, &f->x[k], i);
		}
		if (!busy)
			break;
		pthread_mutex_unlock(&f->mu);
		int running, left;
		curl_multi_perform(f->m, &running);
		CURLMsg *msg;
		int ended = 0;
		pthread_mutex_lock(&f->mu);
		while ((msg = curl_multi_info_read(f->m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			ended = 1;
			struct xfer *x = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			                  (char **)&x);
			xfer_done(f, x, msg->data.result);
		}
		pthread_mutex_unlock(&f->mu);
		/* a slot came free: start the next transfer at once */
		if (!ended) {
			now = now_ms();
			int ms = wake > now ? (int)(wake - now) : 0;
			if (ms > 200)
				ms = 200;
			curl_multi_poll(f->m, NULL, 0, ms, NULL);
		}
		pthread_mutex_lock(&f->mu);
	}
	f->curl_done = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* Decode PATH to its end; 0, or -1 with ERR. */
static int
verify_file(const struct fetch_item *it, const char *path, char *err,
            size_t errlen)
{
	char e[256];
	/* one decoder thread: the check runs beside the transfers and the
	 * replay, which keep the other cores busy; the sequential bzip2
	 * decoder costs the least CPU per byte */
	struct vg_stream_opts so = {.threads = 1};
	vg_stream *s = vg_stream_open(path, &so, e, sizeof(e));
	if (s == NULL) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	size_t pl = strlen(it->path);
	enum vg_compression want =
	    pl > 3 && strcmp(it->path + pl - 3, ".gz") == 0    ? VG_COMP_GZIP
	    : pl > 4 && strcmp(it->path + pl - 4, ".bz2") == 0 ? VG_COMP_BZIP2
	                                                      : VG_COMP_NONE;
	if (vg_stream_compression(s) != want) {
		snprintf(err, errlen, "not a %s file (%s content)",
		         vg_compression_name(want),
		         vg_compression_name(vg_stream_compression(s)));
		vg_stream_close(s);
		return -1;
	}
	static __thread char buf[1 << 17];
	char head[4096];
	size_t nhead = 0;
	for (;;) {
		ssize_t r = vg_stream_read(s, buf, sizeof(buf));
		if (r < 0) {
			snprintf(err, errlen, "corrupt: %s",
			         vg_stream_error(s) ? vg_stream_error(s) : "?");
			vg_stream_close(s);
			return -1;
		}
		if (r == 0)
			break;
		if (nhead < sizeof(head) - 1) {
			size_t k = (size_t)r < sizeof(head) - 1 - nhead
			               ? (size_t)r
			               : sizeof(head) - 1 - nhead;
			memcpy(head + nhead, buf, k);
			nhead += k;
		}
	}
	vg_stream_close(s);
	head[nhead] = '\0';
	if (it->kind == FETCH_GEO) {
		/* an extended delegation file names its registry on its
		 * version line: "2.3|apnic|20160131|..." */
		char want_rir[40];
		snprintf(want_rir, sizeof(want_rir), "|%s|", it->collector);
		if (strstr(head, want_rir) == NULL) {
			snprintf(err, errlen, "not a delegation file of %s",
			         it->collector);
			return -1;
		}
	}
	return 0;
}

static void *
verify_thread(void *arg)
{
	struct fetcher *f = arg;
	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (f->vq_n == 0 && !f->stop && !f->curl_done)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->stop || (f->vq_n == 0 && f->curl_done))
			break;
		size_t i = f->vq[f->vq_head];
		f->vq_head = (f->vq_head + 1) % f->p->nitems;
		f->vq_n--;
		struct fetch_item *it = &f->p->items[i];
		char part[FETCH_PATH_MAX + 8], why[400];
		part_path(it, part, sizeof(part));
		pthread_mutex_unlock(&f->mu);
		int ok = verify_file(it, part, why, sizeof(why)) == 0;
		int mv = ok ? rename(part, it->path) : 0;
		int mverr = errno;
		pthread_mutex_lock(&f->mu);
		if (ok && mv == 0) {
			it->state = FETCH_DONE;
			pthread_cond_broadcast(&f->cv);
		} else if (ok) {
			it->state = FETCH_FAILED;
			snprintf(it->err, sizeof(it->err), "cannot rename %.200s: %s",
			         part, strerror(mverr));
			logf_(&f->o, "%s", it->err);
			pthread_cond_broadcast(&f->cv);
		} else {
			unlink(part);
			char w2[440];
			snprintf(w2, sizeof(w2), "downloaded file %s", why);
			retry_or_fail(f, i, w2);
			curl_multi_wakeup(f->m);
		}
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

struct fetcher *
fetcher_start(struct fetch_plan *p, const struct fetch_opts *o, char *err,
              size_t errlen)
{
	pthread_once(&curl_once, curl_init_once);
	struct fetcher *f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto oom;
	f->p = p;
	f->o = *o;
	f->nx = o->jobs ? o->jobs : 1;
	f->x = calloc(f->nx, sizeof(*f->x));
	f->next_try = calloc(p->nitems + 1, sizeof(*f->next_try));
	f->vq = calloc(p->nitems + 1, sizeof(*f->vq));
	f->m = curl_multi_init();
	if (!f->x || !f->next_try || !f->vq || !f->m) {
		if (f->m)
			curl_multi_cleanup(f->m);
		free(f->x);
		free(f->next_try);
		free(f->vq);
		free(f);
		goto oom;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	for (size_t i = 0; i < p->nitems; i++) {
		struct stat st;
		struct fetch_item *it = &p->items[i];
		if (stat(it->path, &st) == 0 && S_ISREG(st.st_mode)) {
			it->state = FETCH_CACHED;
			it->bytes = (uint64_t)st.st_size;
		} else {
			it->state = FETCH_PENDING;
		}
	}
	if (pthread_create(&f->th, NULL, curl_thread, f) != 0) {
		snprintf(err, errlen, "cannot start the download thread");
		fetcher_free(f);
		return NULL;
	}
	f->th_started = 1;
	if (pthread_create(&f->vth, NULL, verify_thread, f) != 0) {
		snprintf(err, errlen, "cannot start the verifier thread");
		fetcher_free(f);
		return NULL;
	}
	f->vth_started = 1;
	return f;
oom:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

enum fetch_state
fetcher_wait(struct fetcher *f, size_t i)
{
	pthread_mutex_lock(&f->mu);
	/* the download thread ends when every item is final, or when told
	 * to stop */
	while (!final(f->p->items[i].state) && !f->curl_done)
		pthread_cond_wait(&f->cv, &f->mu);
	enum fetch_state s = f->p->items[i].state;
	if (!final(s)) {
		f->p->items[i].state = s = FETCH_FAILED;
		snprintf(f->p->items[i].err, sizeof(f->p->items[i].err),
		         "download stopped");
	}
	pthread_mutex_unlock(&f->mu);
	return s;
}

enum fetch_state
fetcher_state(struct fetcher *f, size_t i)
{
	pthread_mutex_lock(&f->mu);
	enum fetch_state s = f->p->items[i].state;
	pthread_mutex_unlock(&f->mu);
	return s;
}

void
fetcher_free(struct fetcher *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	curl_multi_wakeup(f->m);
	if (f->th_started)
		pthread_join(f->th, NULL);
	if (f->vth_started)
		pthread_join(f->vth, NULL);
	for (unsigned k = 0; k < f->nx; k++) {
		if (f->x[k].h) {
			curl_multi_remove_handle(f->m, f->x[k].h);
			curl_easy_cleanup(f->x[k].h);
		}
		if (f->x[k].fp)
			fclose(f->x[k].fp);
	}
	curl_multi_cleanup(f->m);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f->x);
	free(f->next_try);
	free(f->vq);
	free(f);
}
