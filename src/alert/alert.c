/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Alert delivery (see vigil/alert.h): options, the transition tracking
 * done in the caller's thread, and one worker thread per output with its
 * own FIFO queue, retrying with backoff until the notification is
 * delivered, permanently refused, or alert_free's deadline passes.
 *
 * Syslog is written by hand (RFC 3164 datagrams, as glibc's syslog()
 * writes them) rather than with openlog()/syslog(): those keep one
 * process-wide connection and ident, always use /dev/log and fall back to
 * the console, while here the socket path is an option (so a test can
 * listen on its own socket) and a daemon that is down is retried like any
 * other receiver instead of losing the line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "vigil/alert.h"
#include "vigil/geo.h"

/* ---- options ----------------------------------------------------------- */

const char alert_usage[] =
    "Alerts (notifications on outages, instability and restorations; each\n"
    "output has its own queue and thread, failures are retried with\n"
    "backoff; ingestion never waits for a receiver):\n"
    "  --alert-json FILE|-     one JSON object per notification, appended\n"
    "                          to FILE (- for stdout)\n"
    "  --alert-syslog          syslog: critical/warning levels, restorations\n"
    "                          as notice\n"
    "  --alert-syslog-facility NAME  user, daemon (default), local0..local7\n"
    "  --alert-syslog-socket PATH    syslog socket (/dev/log)\n"
    "  --alert-webhook URL     POST the JSON object to URL (repeatable);\n"
    "                          header Idempotency-Key\n"
    "  --alert-slack URL       POST a Slack message (incoming webhook)\n"
    "  --alert-retry-min S     first retry after 0.5 S to S seconds (1);\n"
    "                          doubled after each failure\n"
    "  --alert-retry-max S     longest wait between retries (300)\n"
    "  --alert-timeout S       one HTTP request (10)\n"
    "  --alert-flush S         at exit, wait at most S seconds for queued\n"
    "                          notifications (10); what is left is reported\n"
    "  --alert-spool DIR       keep each output's queue in DIR too, so what\n"
    "                          was not delivered is sent after a restart\n";

void
alert_opts_default(struct alert_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->syslog_facility = LOG_DAEMON;
	o->syslog_socket = "/dev/log";
	o->retry_min = 1;
	o->retry_max = 300;
	o->timeout = 10;
	o->flush = 10;
	o->tag = "vigil";
	o->spool_dir = NULL;
}

int
alert_opts_any(const struct alert_opts *o)
{
	return o->json_path || o->syslog || o->nwebhook || o->nslack;
}

static const struct {
	const char *name;
	int facility;
} facilities[] = {
    {"user", LOG_USER},     {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
    {"local7", LOG_LOCAL7},
};

static int
seconds_arg(struct alert_opts *o, const char *opt, const char *arg,
            double lo, double hi, double *out)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end != '\0' || !(v >= lo && v <= hi)) {
		snprintf(o->err, sizeof(o->err),
		         "--%s '%s' is not a number of seconds from %g to %g",
		         opt, arg, lo, hi);
		return -1;
	}
	*out = v;
	return 1;
}

static int
url_arg(struct alert_opts *o, const char *opt, const char *arg,
        const char **list, unsigned *n)
{
	if (strncmp(arg, "http://", 7) != 0 && strncmp(arg, "https://", 8) != 0) {
		snprintf(o->err, sizeof(o->err),
		         "--%s '%.80s' is not an http:// or https:// URL", opt,
		         arg);
		return -1;
	}
	if (*n >= ALERT_MAX_URLS) {
		snprintf(o->err, sizeof(o->err), "--%s: at most %d URLs", opt,
		         ALERT_MAX_URLS);
		return -1;
	}
	list[(*n)++] = arg;
	return 1;
}

int
alert_opts_parse(struct alert_opts *o, const char *opt, const char *arg)
{
	while (*opt == '-')
		opt++;
	if (strncmp(opt, "alert-", 6) != 0)
		return 0;
	if (strcmp(opt, "alert-syslog") == 0) {
		o->syslog = 1;
		return 1;
	}
	if (arg == NULL) {
		snprintf(o->err, sizeof(o->err), "--%s needs a value", opt);
		return -1;
	}
	if (strcmp(opt, "alert-json") == 0) {
		if (!arg[0]) {
			snprintf(o->err, sizeof(o->err),
			         "--alert-json needs a file name or -");
			return -1;
		}
		o->json_path = arg;
		return 1;
	}
	if (strcmp(opt, "alert-syslog-facility") == 0) {
		for (size_t i = 0; i < sizeof(facilities) / sizeof(*facilities);
		     i++)
			if (strcmp(arg, facilities[i].name) == 0) {
				o->syslog_facility = facilities[i].facility;
				o->syslog = 1;
				return 1;
			}
		snprintf(o->err, sizeof(o->err),
		         "--alert-syslog-facility '%.40s': use user, daemon or "
		         "local0..local7",
		         arg);
		return -1;
	}
	if (strcmp(opt, "alert-syslog-socket") == 0) {
		if (!arg[0] ||
		    strlen(arg) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(o->err, sizeof(o->err),
			         "--alert-syslog-socket: the path is empty or "
			         "too long");
			return -1;
		}
		o->syslog_socket = arg;
		o->syslog = 1;
		return 1;
	}
	if (strcmp(opt, "alert-spool") == 0) {
		if (!arg[0] || strlen(arg) > 3000) {
			snprintf(o->err, sizeof(o->err),
			         "--alert-spool needs a directory");
			return -1;
		}
		o->spool_dir = arg;
		return 1;
	}
	if (strcmp(opt, "alert-webhook") == 0)
		return url_arg(o, opt, arg, o->webhook, &o->nwebhook);
	if (strcmp(opt, "alert-slack") == 0)
		return url_arg(o, opt, arg, o->slack, &o->nslack);
	if (strcmp(opt, "alert-retry-min") == 0)
		return seconds_arg(o, opt, arg, 0.01, 3600, &o->retry_min);
	if (strcmp(opt, "alert-retry-max") == 0)
		return seconds_arg(o, opt, arg, 0.01, 86400, &o->retry_max);
	if (strcmp(opt, "alert-timeout") == 0)
		return seconds_arg(o, opt, arg, 0.1, 600, &o->timeout);
	if (strcmp(opt, "alert-flush") == 0)
		return seconds_arg(o, opt, arg, 0, 86400, &o->flush);
	return 0;
}

/* ---- notifications and outputs ----------------------------------------- */

struct note {
	atomic_int refs;
	enum alert_transition t;
	uint8_t level;
	char key[160];
	char *json;  /* generic body; json[json_len] is '\n' (the JSON line) */
	size_t json_len;
	char *slack; /* NULL when no Slack output */
	size_t slack_len;
	char *line;  /* syslog text, NULL when no syslog */
	size_t bytes;
	struct alert *owner;
};

struct qent {
	struct note *n;
	struct qent *next;
};

enum out_kind { OUT_JSON, OUT_SYSLOG, OUT_WEBHOOK, OUT_SLACK };

struct output {
	struct alert *a;
	enum out_kind kind;
	char name[128];   /* for logs: no URL path (Slack URLs are secrets) */
	const char *url;
	int fd;           /* JSON lines: the file; syslog: the socket */
	int own_fd;
	int spool_fd;     /* --alert-spool: this output's journal, or -1 */
	char spool_path[4096];
	int spool_err;    /* a journal write failed (logged once) */
	size_t written;   /* JSON lines: bytes of the head already written */
	CURL *curl;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct qent *head, *tail;
	uint64_t depth, max_depth, delivered, retries, rejected;
	unsigned attempt; /* failures in a row of the head */
	int stop;
	struct timespec deadline;
	uint64_t rng;
};

struct track {
	uint64_t id;
	uint8_t level;
};

struct alert {
	struct alert_opts o;
	struct output *out;
	unsigned nout;
	int want_slack, want_syslog;
	struct track *open;
	size_t nopen, capopen;
	atomic_ullong notifications;
	atomic_ullong bytes; /* held by queued notifications */
	int silent; /* alert_free: no report (alert_new failed) */
	pthread_mutex_t logmu;
};

static void
alert_log(struct alert *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
alert_log(struct alert *a, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&a->logmu);
	if (a->o.log)
		a->o.log(a->o.log_ctx, line);
	else
		fprintf(stderr, "vigil: alert: %s\n", line);
	pthread_mutex_unlock(&a->logmu);
}

static void
note_unref(struct note *n)
{
	if (n && atomic_fetch_sub(&n->refs, 1) == 1) {
		atomic_fetch_sub(&n->owner->bytes, n->bytes);
		free(n->json);
		free(n->slack);
		free(n->line);
		free(n);
	}
}

/* ---- time -------------------------------------------------------------- */

static void
now_mono(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static double
ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) +
	       (double)(a->tv_nsec - b->tv_nsec) / 1e9;
}

static void
ts_add(struct timespec *ts, double s)
{
	if (s < 0)
		s = 0;
	time_t whole = (time_t)s;
	ts->tv_sec += whole;
	ts->tv_nsec += (long)((s - (double)whole) * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static double
rnd(struct output *o)
{
	/* xorshift64*: jitter only, no need for anything better */
	o->rng ^= o->rng >> 12;
	o->rng ^= o->rng << 25;
	o->rng ^= o->rng >> 27;
	return (double)((o->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* Seconds left before the shutdown deadline (a large number while not
 * stopping), with o->mu held. */
static double
time_left_locked(struct output *o)
{
	struct timespec now;
	if (!o->stop)
		return 1e9;
	now_mono(&now);
	return ts_diff(&o->deadline, &now);
}

static double
time_left(struct output *o)
{
	pthread_mutex_lock(&o->mu);
	double left = time_left_locked(o);
	pthread_mutex_unlock(&o->mu);
	return left;
}

/* ---- delivery ---------------------------------------------------------- */

/* The result of one attempt: 0 delivered, 1 retry, -1 permanent. */

static int
deliver_json(struct output *o, struct note *n)
{
	size_t total = n->json_len + 1;
	while (o->written < total) {
		/* a stuck pipe must not hold up alert_free past its deadline:
		 * wait for room, then write at most a page */
		struct pollfd p = {.fd = o->fd, .events = POLLOUT};
		double left = time_left(o);
		int ms = left > 1 ? 1000 : left > 0 ? (int)(left * 1000) : 0;
		int pr = poll(&p, 1, ms);
		if (pr == 0) {
			if (time_left(o) <= 0)
				return 1;
			continue; /* a slow reader: keep waiting */
		}
		if (pr < 0 && errno != EINTR)
			return 1;
		size_t chunk = total - o->written;
		if (chunk > 4096)
			chunk = 4096;
		ssize_t w = write(o->fd, n->json + o->written, chunk);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			alert_log(o->a, "%s: %s; will retry", o->name,
			          strerror(errno));
			return 1;
		}
		o->written += (size_t)w;
	}
	o->written = 0;
	return 0;
}

static int
deliver_syslog(struct output *o, struct note *n)
{
	struct alert *a = o->a;
	struct sockaddr_un sun;
	char msg[2048], ts[32];
	time_t now = time(NULL);
	struct tm tm;
	int sev = n->t == ALERT_RESTORED          ? LOG_NOTICE
	          : n->level == VG_LEVEL_CRITICAL ? LOG_CRIT
	                                          : LOG_WARNING;

	if (o->fd < 0) {
		o->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (o->fd < 0) {
			alert_log(a, "%s: socket: %s", o->name, strerror(errno));
			return 1;
		}
		o->own_fd = 1;
	}
	/* RFC 3164 as glibc sends it to /dev/log: <PRI>TIMESTAMP TAG[PID]: MSG */
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
	int len = snprintf(msg, sizeof(msg), "<%d>%s %s[%d]: %s",
	                   a->o.syslog_facility | sev, ts, a->o.tag,
	                   (int)getpid(), n->line);
	if (len < 0)
		return -1;
	if ((size_t)len >= sizeof(msg))
		len = sizeof(msg) - 1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a->o.syslog_socket);
	for (;;) {
		ssize_t w = sendto(o->fd, msg, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL,
		                   (struct sockaddr *)&sun, sizeof(sun));
		if (w >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EMSGSIZE) {
			alert_log(a, "%s: notification %s too long for the "
			          "socket; dropped", o->name, n->key);
			return -1;
		}
		if (o->attempt == 0 || errno != EAGAIN)
			alert_log(a, "%s: %s: %s; will retry", o->name,
			          a->o.syslog_socket, strerror(errno));
		return 1;
	}
}

static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
	return size * n;
}

/* Abort a transfer under way once alert_free's deadline has passed
 * (libcurl calls this about once a second, and more while data moves). */
static int
past_deadline(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
              curl_off_t ultotal, curl_off_t ulnow)
{
	return time_left(ctx) <= 0;
}

static int
deliver_http(struct output *o, struct note *n, long *retry_after)
{
	struct alert *a = o->a;
	struct curl_slist *h = NULL;
	char hdr[256];
	char cerr[CURL_ERROR_SIZE];
	long status = 0;
	int rc;

	*retry_after = -1;
	if (o->curl == NULL) {
		o->curl = curl_easy_init();
		if (o->curl == NULL)
			return 1;
	}
	CURL *c = o->curl;
	double t = a->o.timeout, left = time_left(o);
	if (t > left)
		t = left > 0.2 ? left : 0.2;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(t * 1000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(t * 1000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, a->o.tag);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, past_deadline);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, o);
	if (o->kind == OUT_SLACK) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, n->slack);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)n->slack_len);
	} else {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, n->json);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)n->json_len);
	}
	h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
	snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", n->key);
	struct curl_slist *h2 = h ? curl_slist_append(h, hdr) : NULL;
	/* no "Expect: 100-continue" round trip for large bodies */
	struct curl_slist *h3 = h2 ? curl_slist_append(h2, "Expect:") : NULL;
	if (h3 == NULL) {
		curl_slist_free_all(h2 ? h2 : h);
		return 1;
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h3);
	cerr[0] = '\0';
	CURLcode cc = curl_easy_perform(c);
	curl_slist_free_all(h3);
	if (cc != CURLE_OK) {
		alert_log(a, "%s: %s: %s", o->name, n->key,
		          cerr[0] ? cerr : curl_easy_strerror(cc));
		return 1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	rc = alert_http_verdict(status);
	if (rc > 0) {
		curl_off_t ra = -1;
		if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
		    ra > 0)
			*retry_after = (long)ra;
		alert_log(a, "%s: %s: HTTP %ld%s", o->name, n->key, status,
		          *retry_after >= 0 ? " (Retry-After)" : "");
	} else if (rc < 0) {
		alert_log(a, "%s: %s: HTTP %ld, not retried: notification "
		          "dropped for this output", o->name, n->key, status);
	}
	return rc;
}

/* ---- spool ------------------------------------------------------------ */

/*
 * With --alert-spool DIR every output keeps a journal, DIR/KIND-HASH.spool
 * (HASH: of the output's target, so a restart with the same options finds
 * it): one line "+\tKEY\tTRANSITION\tLEVEL\tPAYLOAD" when a notification
 * is queued (PAYLOAD: what this output sends, one line of text), and
 * "-\tKEY" when it left the queue (delivered or refused).  The journal is
 * emptied whenever the queue is, and read back by alert_new: what has a
 * "+" and no "-" is queued again, ahead of anything new.  Lines are
 * appended (no fsync): they survive the process, not the machine.
 */

static const char *
payload_of(const struct output *o, const struct note *n, size_t *len)
{
	switch (o->kind) {
	case OUT_SLACK:
		*len = n->slack_len;
		return n->slack;
	case OUT_SYSLOG:
		*len = n->line ? strlen(n->line) : 0;
		return n->line;
	default:
		*len = n->json_len;
		return n->json;
	}
}

static void
spool_write(struct output *o, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(o->spool_fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!o->spool_err)
				alert_log(o->a, "%s: spool %s: %s", o->name,
				          o->spool_path, strerror(errno));
			o->spool_err = 1;
			return;
		}
		buf += w;
		len -= (size_t)w;
	}
}

/* With o->mu held. */
static void
spool_add(struct output *o, const struct note *n)
{
	char head[256];
	size_t plen;
	const char *p = payload_of(o, n, &plen);
	if (o->spool_fd < 0 || p == NULL)
		return;
	int hl = snprintf(head, sizeof(head), "+\t%s\t%d\t%d\t", n->key,
	                  (int)n->t, (int)n->level);
	struct iovec iov[3] = {{head, (size_t)hl}, {(void *)p, plen}, {"\n", 1}};
	ssize_t w = writev(o->spool_fd, iov, 3);
	if (w != (ssize_t)(hl + plen + 1)) {
		/* short (or failed) vector write: finish it piece by piece */
		size_t done = w > 0 ? (size_t)w : 0;
		for (int i = 0; i < 3; i++) {
			if (done >= iov[i].iov_len) {
				done -= iov[i].iov_len;
				continue;
			}
			spool_write(o, (char *)iov[i].iov_base + done,
			            iov[i].iov_len - done);
			done = 0;
		}
	}
}

/* With o->mu held: N left the queue. */
static void
spool_done(struct output *o, const struct note *n)
{
	char line[200];
	if (o->spool_fd < 0)
		return;
	if (o->depth == 0) {
		if (ftruncate(o->spool_fd, 0) < 0 && !o->spool_err) {
			alert_log(o->a, "%s: spool %s: %s", o->name,
			          o->spool_path, strerror(errno));
			o->spool_err = 1;
		}
		return;
	}
	int l = snprintf(line, sizeof(line), "-\t%s\n", n->key);
	spool_write(o, line, (size_t)l);
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Open O's journal in DIR, queue what it holds, rewrite it with only
 * that.  -1 with ERR on error. */
static int
spool_open(struct output *o, const char *dir, const char *target, char *err,
           size_t errlen)
{
	static const char *kinds[] = {"json", "syslog", "webhook", "slack"};
	char tmp[4200];
	FILE *f;

	snprintf(o->spool_path, sizeof(o->spool_path), "%s/%s-%016llx.spool",
	         dir, kinds[o->kind],
	         (unsigned long long)fnv1a(target ? target : ""));
	if ((f = fopen(o->spool_path, "r")) != NULL) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		while ((len = getline(&line, &cap, f)) > 0) {
			if (line[len - 1] != '\n')
				break; /* a torn last line: not a record */
			line[--len] = '\0';
			if (line[0] == '-' && line[1] == '\t') {
				/* the oldest queued copy of that key is done */
				for (struct qent **pq = &o->head; *pq;
				     pq = &(*pq)->next) {
					if (strcmp((*pq)->n->key, line + 2) != 0)
						continue;
					struct qent *q = *pq;
					*pq = q->next;
					o->depth--;
					note_unref(q->n);
					free(q);
					break;
				}
				o->tail = NULL;
				for (struct qent *q = o->head; q; q = q->next)
					o->tail = q;
				continue;
			}
			char *key, *tr, *lv, *payload, *save = NULL;
			if (line[0] != '+' || line[1] != '\t' ||
			    (key = strtok_r(line + 2, "\t", &save)) == NULL ||
			    (tr = strtok_r(NULL, "\t", &save)) == NULL ||
			    (lv = strtok_r(NULL, "\t", &save)) == NULL ||
			    (payload = save) == NULL || strlen(key) >= 160)
				continue;
			struct note *n = calloc(1, sizeof(*n));
			struct qent *q = malloc(sizeof(*q));
			size_t pl = strlen(payload);
			char *copy = malloc(pl + 2);
			if (!n || !q || !copy) {
				free(n);
				free(q);
				free(copy);
				break;
			}
			memcpy(copy, payload, pl + 1);
			atomic_init(&n->refs, 1);
			n->t = (enum alert_transition)atoi(tr);
			n->level = (uint8_t)atoi(lv);
			snprintf(n->key, sizeof(n->key), "%s", key);
			if (o->kind == OUT_SLACK) {
				n->slack = copy;
				n->slack_len = pl;
			} else if (o->kind == OUT_SYSLOG) {
				n->line = copy;
			} else {
				copy[pl] = '\n';
				copy[pl + 1] = '\0';
				n->json = copy;
				n->json_len = pl;
			}
			n->bytes = sizeof(*n) + sizeof(*q) + pl + 2;
			n->owner = o->a;
			atomic_fetch_add(&o->a->bytes, n->bytes);
			q->n = n;
			q->next = NULL;
			if (o->tail)
				o->tail->next = q;
			else
				o->head = q;
			o->tail = q;
			o->depth++;
		}
		free(line);
		fclose(f);
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "--alert-spool %s: %s", o->spool_path,
		         strerror(errno));
		return -1;
	}
	/* rewrite the journal with only what is still queued */
	snprintf(tmp, sizeof(tmp), "%s.tmp", o->spool_path);
	o->spool_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (o->spool_fd < 0) {
		snprintf(err, errlen, "--alert-spool %s: %s", tmp,
		         strerror(errno));
		return -1;
	}
	for (struct qent *q = o->head; q; q = q->next)
		spool_add(o, q->n);
	close(o->spool_fd);
	if (rename(tmp, o->spool_path) < 0) {
		snprintf(err, errlen, "--alert-spool %s: %s", o->spool_path,
		         strerror(errno));
		o->spool_fd = -1;
		return -1;
	}
	o->spool_fd = open(o->spool_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (o->spool_fd < 0) {
		snprintf(err, errlen, "--alert-spool %s: %s", o->spool_path,
		         strerror(errno));
		return -1;
	}
	o->max_depth = o->depth;
	if (o->depth)
		alert_log(o->a, "%s: %llu notification%s from the spool",
		          o->name, (unsigned long long)o->depth,
		          o->depth == 1 ? "" : "s");
	return 0;
}

static void *
worker(void *arg)
{
	struct output *o = arg;
	struct alert *a = o->a;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (o->head == NULL && !o->stop)
			pthread_cond_wait(&o->cv, &o->mu);
		if (o->head == NULL || time_left_locked(o) <= 0)
			break;
		struct note *n = o->head->n;
		pthread_mutex_unlock(&o->mu);

		long retry_after = -1;
		int rc;
		switch (o->kind) {
		case OUT_JSON:
			rc = deliver_json(o, n);
			break;
		case OUT_SYSLOG:
			rc = deliver_syslog(o, n);
			break;
		default:
			rc = deliver_http(o, n, &retry_after);
			break;
		}

		pthread_mutex_lock(&o->mu);
		if (rc <= 0) {
			struct qent *q = o->head;
			o->head = q->next;
			if (o->head == NULL)
				o->tail = NULL;
			o->depth--;
			if (rc == 0)
				o->delivered++;
			else
				o->rejected++;
			if (o->attempt)
				alert_log(a, "%s: %s %s after %u retr%s", o->name,
				          n->key, rc == 0 ? "delivered" : "given up",
				          o->attempt, o->attempt == 1 ? "y" : "ies");
			o->attempt = 0;
			spool_done(o, n);
			free(q);
			note_unref(n);
			continue;
		}
		o->retries++;
		o->attempt++;
		double wait = alert_backoff(o->attempt, a->o.retry_min,
		                            a->o.retry_max, rnd(o), retry_after);
		struct timespec until;
		now_mono(&until);
		ts_add(&until, wait);
		/* sleep until the retry, waking early only to give up at the
		 * shutdown deadline */
		for (;;) {
			struct timespec wake = until;
			if (o->stop && ts_diff(&o->deadline, &wake) < 0)
				wake = o->deadline;
			int w = pthread_cond_timedwait(&o->cv, &o->mu, &wake);
			struct timespec now;
			now_mono(&now);
			if (ts_diff(&until, &now) <= 0)
				break;
			if (o->stop && ts_diff(&o->deadline, &now) <= 0)
				break;
			(void)w;
		}
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

/* ---- setup ------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void
curl_start(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

/* "webhook 127.0.0.1:8080": the host only, never the path or query,
 * which for Slack hold the secret. */
static void
url_name(const char *what, const char *url, char *out, size_t len)
{
	const char *h = strstr(url, "://");
	h = h ? h + 3 : url;
	const char *at = strchr(h, '@');
	size_t n = strcspn(h, "/?#");
	if (at && (size_t)(at - h) < n) { /* no user:password either */
		h = at + 1;
		n = strcspn(h, "/?#");
	}
	snprintf(out, len, "%s %.*s", what, (int)n, h);
}

struct alert *
alert_new(const struct alert_opts *opts, char *err, size_t errlen)
{
	struct alert *a = calloc(1, sizeof(*a));
	unsigned nout = (opts->json_path ? 1 : 0) + (opts->syslog ? 1 : 0) +
	                opts->nwebhook + opts->nslack;

	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->o = *opts;
	if (a->o.tag == NULL)
		a->o.tag = "vigil";
	if (a->o.syslog_socket == NULL)
		a->o.syslog_socket = "/dev/log";
	pthread_mutex_init(&a->logmu, NULL);
	a->out = calloc(nout ? nout : 1, sizeof(*a->out));
	if (a->out == NULL) {
		snprintf(err, errlen, "out of memory");
		free(a);
		return NULL;
	}
	if (opts->nwebhook || opts->nslack) {
		pthread_once(&curl_once, curl_start);
		if (!curl_ok) {
			snprintf(err, errlen, "libcurl failed to initialise");
			free(a->out);
			free(a);
			return NULL;
		}
	}
	for (unsigned i = 0; i < nout; i++) {
		struct output *o = &a->out[i];
		o->a = a;
		o->fd = -1;
		o->spool_fd = -1;
		o->rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)getpid() << 16) ^
		         (uint64_t)time(NULL) ^ ((uint64_t)(i + 1) << 40);
	}
	unsigned k = 0;
	if (opts->json_path) {
		struct output *o = &a->out[k++];
		o->kind = OUT_JSON;
		if (strcmp(opts->json_path, "-") == 0) {
			o->fd = STDOUT_FILENO;
			snprintf(o->name, sizeof(o->name), "json stdout");
		} else {
			o->fd = open(opts->json_path,
			             O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (o->fd < 0) {
				snprintf(err, errlen, "--alert-json %s: %s",
				         opts->json_path, strerror(errno));
				free(a->out);
				free(a);
				return NULL;
			}
			o->own_fd = 1;
			snprintf(o->name, sizeof(o->name), "json %s",
			         opts->json_path);
		}
	}
	if (opts->syslog) {
		struct output *o = &a->out[k++];
		o->kind = OUT_SYSLOG;
		snprintf(o->name, sizeof(o->name), "syslog %s",
		         a->o.syslog_socket);
		a->want_syslog = 1;
	}
	for (unsigned i = 0; i < opts->nwebhook; i++) {
		struct output *o = &a->out[k++];
		o->kind = OUT_WEBHOOK;
		o->url = opts->webhook[i];
		url_name("webhook", o->url, o->name, sizeof(o->name));
	}
	for (unsigned i = 0; i < opts->nslack; i++) {
		struct output *o = &a->out[k++];
		o->kind = OUT_SLACK;
		o->url = opts->slack[i];
		url_name("slack", o->url, o->name, sizeof(o->name));
		a->want_slack = 1;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (unsigned i = 0; i < nout; i++) {
		pthread_mutex_init(&a->out[i].mu, NULL);
		pthread_cond_init(&a->out[i].cv, &ca);
	}
	pthread_condattr_destroy(&ca);
	a->nout = nout;
	if (opts->spool_dir) {
		if (mkdir(opts->spool_dir, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "--alert-spool %s: %s",
			         opts->spool_dir, strerror(errno));
			goto fail;
		}
		for (unsigned i = 0; i < nout; i++) {
			struct output *o = &a->out[i];
			const char *target = o->kind == OUT_JSON ? opts->json_path
			                     : o->kind == OUT_SYSLOG
			                         ? a->o.syslog_socket
			                         : o->url;
			if (spool_open(o, opts->spool_dir, target, err, errlen) < 0)
				goto fail;
		}
	}
	for (unsigned i = 0; i < nout; i++) {
		struct output *o = &a->out[i];
		if (pthread_create(&o->th, NULL, worker, o) != 0) {
			snprintf(err, errlen, "cannot start a thread");
			goto fail;
		}
		o->started = 1;
	}
	return a;
fail:
	a->o.flush = 0;
	a->silent = 1;
	alert_free(a);
	return NULL;
}

/* ---- events ------------------------------------------------------------ */

static const char *
entity_name(struct alert *a, const struct vg_entity *e)
{
	if (e->kind == VG_ENT_COUNTRY)
		return geo_country_name(GEO_CC(e->cc[0], e->cc[1]));
	if (a->o.geo)
		return geo_asn_name(a->o.geo, e->asn);
	return NULL;
}

static void
emit(struct alert *a, const struct vg_event *ev, enum alert_transition t)
{
	const char *name = entity_name(a, &ev->ent);
	struct note *n = calloc(1, sizeof(*n));
	char key[160];

	alert_key(ev, t, key, sizeof(key));
	atomic_fetch_add(&a->notifications, 1);
	if (a->nout == 0) {
		free(n);
		return;
	}
	if (n == NULL)
		goto oom;
	n->t = t;
	n->level = ev->level;
	memcpy(n->key, key, sizeof(key));
	n->json = alert_json(ev, t, name, (uint32_t)time(NULL), &n->json_len);
	if (n->json == NULL)
		goto oom;
	/* the JSON line is the body plus a newline */
	char *j = realloc(n->json, n->json_len + 2);
	if (j == NULL)
		goto oom;
	n->json = j;
	n->json[n->json_len] = '\n';
	n->json[n->json_len + 1] = '\0';
	n->bytes = sizeof(*n) + n->json_len + 2;
	if (a->want_slack) {
		n->slack = alert_slack_json(ev, t, name, &n->slack_len);
		if (n->slack == NULL)
			goto oom;
		n->bytes += n->slack_len + 1;
	}
	if (a->want_syslog) {
		char sum[768];
		alert_summary(ev, t, name, sum, sizeof(sum));
		size_t l = strlen(sum) + strlen(key) + 16;
		if ((n->line = malloc(l)) == NULL)
			goto oom;
		snprintf(n->line, l, "%s [key %s]", sum, key);
		/* one line, whatever an AS name holds */
		for (char *c = n->line; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = ' ';
		n->bytes += l;
	}
	atomic_init(&n->refs, (int)a->nout);
	n->bytes += a->nout * sizeof(struct qent);
	n->owner = a;
	atomic_fetch_add(&a->bytes, n->bytes);
	for (unsigned i = 0; i < a->nout; i++) {
		struct output *o = &a->out[i];
		struct qent *q = malloc(sizeof(*q));
		if (q == NULL) {
			alert_log(a, "%s: out of memory: notification %s lost",
			          o->name, key);
			note_unref(n);
			continue;
		}
		q->n = n;
		q->next = NULL;
		pthread_mutex_lock(&o->mu);
		if (o->tail)
			o->tail->next = q;
		else
			o->head = q;
		o->tail = q;
		o->depth++;
		if (o->depth > o->max_depth)
			o->max_depth = o->depth;
		spool_add(o, n);
		pthread_cond_signal(&o->cv);
		pthread_mutex_unlock(&o->mu);
	}
	return;
oom:
	alert_log(a, "out of memory: notification %s lost", key);
	if (n) {
		free(n->json);
		free(n->slack);
		free(n->line);
		free(n);
	}
}

void
alert_event(struct alert *a, const struct vg_event *ev)
{
	size_t i;

	if (a == NULL || ev->id == 0)
		return;
	for (i = 0; i < a->nopen && a->open[i].id != ev->id; i++)
		;
	if (i == a->nopen) {
		emit(a, ev, ALERT_OPENED);
		if (ev->end) {
			emit(a, ev, ALERT_RESTORED);
			return;
		}
		if (a->nopen == a->capopen) {
			size_t nc = a->capopen ? a->capopen * 2 : 16;
			struct track *t = realloc(a->open, nc * sizeof(*t));
			if (t == NULL) {
				alert_log(a, "out of memory: event %llu not "
				          "followed", (unsigned long long)ev->id);
				return;
			}
			a->open = t;
			a->capopen = nc;
		}
		a->open[a->nopen].id = ev->id;
		a->open[a->nopen].level = ev->level;
		a->nopen++;
		return;
	}
	if (ev->level > a->open[i].level) {
		emit(a, ev, ALERT_ESCALATED);
		a->open[i].level = ev->level;
	}
	if (ev->end) {
		emit(a, ev, ALERT_RESTORED);
		a->open[i] = a->open[--a->nopen];
	}
}

void
alert_stats(struct alert *a, struct alert_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (a == NULL)
		return;
	st->notifications = atomic_load(&a->notifications);
	st->bytes_queued = atomic_load(&a->bytes);
	st->outputs = a->nout;
	for (unsigned i = 0; i < a->nout; i++) {
		struct output *o = &a->out[i];
		pthread_mutex_lock(&o->mu);
		st->queued += o->depth;
		if (o->max_depth > st->max_queued)
			st->max_queued = o->max_depth;
		st->delivered += o->delivered;
		st->retries += o->retries;
		st->rejected += o->rejected;
		pthread_mutex_unlock(&o->mu);
	}
}

void
alert_free(struct alert *a)
{
	struct timespec deadline;

	if (a == NULL)
		return;
	now_mono(&deadline);
	ts_add(&deadline, a->o.flush);
	for (unsigned i = 0; i < a->nout; i++) {
		struct output *o = &a->out[i];
		pthread_mutex_lock(&o->mu);
		o->stop = 1;
		o->deadline = deadline;
		pthread_cond_signal(&o->cv);
		pthread_mutex_unlock(&o->mu);
	}
	for (unsigned i = 0; i < a->nout; i++) {
		struct output *o = &a->out[i];
		if (o->started)
			pthread_join(o->th, NULL);
		char keys[400];
		size_t off = 0;
		keys[0] = '\0';
		unsigned shown = 0;
		for (struct qent *q = o->head; q && shown < 5; q = q->next, shown++) {
			int k = snprintf(keys + off, sizeof(keys) - off, "%s%s",
			                 shown ? ", " : "; undelivered: ", q->n->key);
			if (k < 0 || (size_t)k >= sizeof(keys) - off)
				break;
			off += (size_t)k;
		}
		if (!a->silent)
			alert_log(a,
			          "%s: %llu delivered, %llu retries, %llu "
			          "rejected, %llu undelivered%s, queue peaked at "
			          "%llu%s%s",
			          o->name, (unsigned long long)o->delivered,
			          (unsigned long long)o->retries,
			          (unsigned long long)o->rejected,
			          (unsigned long long)o->depth,
			          o->depth && o->spool_fd >= 0
			              ? " (kept in the spool)"
			              : "",
			          (unsigned long long)o->max_depth, keys,
			          o->depth > 5 ? ", ..." : "");
		while (o->head) {
			struct qent *q = o->head;
			o->head = q->next;
			note_unref(q->n);
			free(q);
		}
		if (o->curl)
			curl_easy_cleanup(o->curl);
		if (o->own_fd && o->fd >= 0)
			close(o->fd);
		if (o->spool_fd >= 0)
			close(o->spool_fd);
		pthread_mutex_destroy(&o->mu);
		pthread_cond_destroy(&o->cv);
	}
	pthread_mutex_destroy(&a->logmu);
	free(a->out);
	free(a->open);
	free(a);
}
