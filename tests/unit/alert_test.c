/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Alerts: keys, the text and JSON payloads (generic and Slack), the retry
 * schedule, option parsing, which observatory reports notify, ordered
 * delivery through the JSON lines worker, and the bounded wait at exit
 * when a webhook receiver never answers.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "vigil/alert.h"
#include "vigil/event_json.h"

static char dir[128];

static struct vg_evidence kp_evidence[] = {
    {'p', "175.45.176.0/24", 131279, 4837, "2914 1239 4837 131279"},
    {'p', "175.45.177.0/24", 131279, 4837, ""},
    {'o', "", 131279, 0, ""},
    {'u', "", 4837, 0, ""},
};

static struct vg_event
kp_outage(void)
{
	struct vg_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.id = 4;
	ev.ent.kind = VG_ENT_COUNTRY;
	memcpy(ev.ent.cc, "KP", 3);
	ev.kind = VG_EVENT_OUTAGE;
	ev.level = VG_LEVEL_WARNING;
	ev.start = 1445569200; /* 2015-10-23T03:00Z */
	ev.depth = 0.25;
	ev.severity = 0.125;
	ev.baseline = 4;
	ev.bottom = 3;
	ev.evidence = kp_evidence;
	ev.n_evidence = 4;
	ev.n_evidence_total = 4;
	return ev;
}

static void
test_keys_and_names(void)
{
	struct vg_event ev = kp_outage();
	char key[160];
	alert_key(&ev, ALERT_OPENED, key, sizeof(key));
	CHECK_EQ_STR(key, "4-country:KP-1445569200-opened");
	alert_key(&ev, ALERT_ESCALATED, key, sizeof(key));
	CHECK_EQ_STR(key, "4-country:KP-1445569200-escalated");
	ev.ent.kind = VG_ENT_UPSTREAM;
	ev.ent.asn = 4837;
	alert_key(&ev, ALERT_RESTORED, key, sizeof(key));
	CHECK_EQ_STR(key, "4-upstream:KP:4837-1445569200-restored");
	CHECK_EQ_STR(alert_transition_name(ALERT_OPENED), "opened");
	CHECK_EQ_STR(alert_transition_name((enum alert_transition)9), "unknown");
}

static void
test_summaries(void)
{
	struct vg_event ev = kp_outage();
	char b[768];
	CHECK_EQ_STR(alert_summary(&ev, ALERT_OPENED, "North Korea", b, sizeof(b)),
	             "Outage (warning) in North Korea (country:KP) since "
	             "2015-10-23T03:00Z: 25% of 4 /24s lost (down to 3), 2 "
	             "prefixes, origin AS131279, upstream AS4837");
	ev.level = VG_LEVEL_CRITICAL;
	ev.depth = 1;
	ev.bottom = 0;
	CHECK_EQ_STR(alert_summary(&ev, ALERT_ESCALATED, NULL, b, sizeof(b)),
	             "Outage in country:KP escalated to critical: 100% of 4 "
	             "/24s lost since 2015-10-23T03:00Z, 2 prefixes, origin "
	             "AS131279, upstream AS4837");
	ev.end = ev.start + 4500;
	CHECK_EQ_STR(alert_summary(&ev, ALERT_RESTORED, "North Korea", b,
	                           sizeof(b)),
	             "Outage in North Korea (country:KP) restored at "
	             "2015-10-23T04:15Z after 1h15m (critical, had lost 100% "
	             "of 4 /24s)");
	ev.kind = VG_EVENT_INSTABILITY;
	ev.level = VG_LEVEL_WARNING;
	ev.depth = 4.5;
	ev.bottom = 12;
	ev.baseline = 1;
	ev.n_evidence = 1;
	CHECK_EQ_STR(alert_summary(&ev, ALERT_OPENED, NULL, b, sizeof(b)),
	             "Instability (warning) in country:KP since "
	             "2015-10-23T03:00Z: score 4.5, 12 events per bin "
	             "(baseline 1), 1 prefix");
	CHECK_EQ_STR(alert_summary(&ev, ALERT_RESTORED, NULL, b, sizeof(b)),
	             "Instability in country:KP ended at 2015-10-23T04:15Z "
	             "after 1h15m (warning, peak score 4.5)");
	/* a short buffer is cut, never overrun */
	char small[16];
	memset(small, 'x', sizeof(small));
	alert_summary(&ev, ALERT_OPENED, NULL, small, 10);
	CHECK(strlen(small) == 9);
	CHECK(small[10] == 'x');
}

static void
test_json_body(void)
{
	struct vg_event ev = kp_outage();
	size_t len = 0;
	char *j = alert_json(&ev, ALERT_OPENED, "North \"Korea\"\x01\xff",
	                     1795430000, &len);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	CHECK_EQ_INT(len, strlen(j));
	const char *head =
	    "{\"key\":\"4-country:KP-1445569200-opened\",\"transition\":"
	    "\"opened\",\"kind\":\"outage\",\"level\":\"warning\",\"entity\":"
	    "\"country:KP\",\"name\":\"North \\\"Korea\\\"\\u0001\\ufffd\","
	    "\"detected_at\":1795430000,\"detected_time\":"
	    "\"2026-11-23T10:33:20Z\",\"summary\":\"Outage (warning) in North "
	    "\\\"Korea\\\"\\u0001\\ufffd (country:KP) since";
	CHECK(strncmp(j, head, strlen(head)) == 0);
	if (strncmp(j, head, strlen(head)) != 0)
		fprintf(stderr, "  got %s\n", j);
	/* the event object is exactly the one `vigil events --json` prints */
	char *e = NULL;
	size_t elen = 0;
	FILE *f = open_memstream(&e, &elen);
	vg_event_json(f, &ev, "North \"Korea\"\x01\xff");
	fclose(f);
	const char *at = strstr(j, ",\"event\":{");
	CHECK(at != NULL);
	if (at) {
		at += strlen(",\"event\":");
		CHECK(strlen(at) == elen + 1);
		CHECK(strncmp(at, e, elen) == 0);
		CHECK(strcmp(at + elen, "}") == 0);
	}
	CHECK(strstr(e, "\"evidence\":[{\"what\":\"prefix\",\"prefix\":"
	                "\"175.45.176.0/24\",\"asn\":131279,\"upstream\":4837,"
	                "\"path\":\"2914 1239 4837 131279\"}") != NULL);
	CHECK(strstr(e, "\"end\":null") != NULL);
	free(e);
	free(j);
	/* NaN (a baseline still warming up) is null, not "nan" */
	ev.baseline = NAN;
	j = alert_json(&ev, ALERT_RESTORED, NULL, 1, NULL);
	CHECK(j && strstr(j, "\"baseline\":null") && strstr(j, "\"name\":null") &&
	      !strstr(j, "nan"));
	free(j);
}

static void
test_slack_body(void)
{
	struct vg_event ev = kp_outage();
	size_t len = 0;
	char *s = alert_slack_json(&ev, ALERT_OPENED, "A<b>&c", &len);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(len, strlen(s));
	/* "text" carries the plain summary (notifications, fallback) */
	CHECK(strncmp(s, "{\"text\":\"Outage (warning) in A<b>&c (country:KP)",
	              strlen("{\"text\":\"Outage (warning) in A<b>&c "
	                     "(country:KP)")) == 0);
	/* the mrkdwn block has <, > and & escaped */
	CHECK(strstr(s, "\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":"
	                "\"mrkdwn\",\"text\":\":large_orange_circle: *Outage "
	                "opened: A&lt;b&gt;&amp;c*\\u000aOutage (warning) in A&lt;b&gt;&amp;c "
	                "(country:KP)") != NULL);
	CHECK(strstr(s, "{\"type\":\"context\",\"elements\":[{\"type\":"
	                "\"mrkdwn\",\"text\":\"vigil event 4 · country:KP · "
	                "warning · key 4-country:KP-1445569200-opened\"}]}]}") !=
	      NULL);
	CHECK(s[len - 1] == '}');
	free(s);
	ev.level = VG_LEVEL_CRITICAL;
	s = alert_slack_json(&ev, ALERT_ESCALATED, NULL, NULL);
	CHECK(s && strstr(s, ":red_circle: *Outage escalated: country:KP*"));
	free(s);
	ev.end = ev.start + 600;
	s = alert_slack_json(&ev, ALERT_RESTORED, NULL, NULL);
	CHECK(s && strstr(s, ":large_green_circle: *Outage restored: "));
	free(s);
}

static void
test_backoff_schedule(void)
{
	/* 1 s doubling to 60 s; jitter between half and all of it */
	double lo[] = {0.5, 1, 2, 4, 8, 16, 30, 30, 30};
	for (unsigned a = 1; a <= 9; a++) {
		double l = alert_backoff(a, 1, 60, 0, -1);
		double h = alert_backoff(a, 1, 60, 0.9999999, -1);
		double m = alert_backoff(a, 1, 60, 0.5, -1);
		CHECK(fabs(l - lo[a - 1]) < 1e-9);
		CHECK(h < 2 * lo[a - 1] + 1e-9 && h > 2 * lo[a - 1] - 1e-3);
		CHECK(m > l && m < h);
	}
	/* attempt 0 is treated as 1; huge attempts do not overflow */
	CHECK(alert_backoff(0, 1, 60, 0, -1) == 0.5);
	CHECK(alert_backoff(100000, 1, 60, 0, -1) == 30);
	/* u out of range is clamped */
	CHECK(alert_backoff(1, 1, 60, -5, -1) == 0.5);
	CHECK(alert_backoff(1, 1, 60, 7, -1) < 1);
	/* Retry-After wins, capped at an hour; 0 means now */
	CHECK(alert_backoff(1, 1, 60, 0.5, 120) == 120);
	CHECK(alert_backoff(9, 1, 60, 0.5, 0) == 0);
	CHECK(alert_backoff(1, 1, 60, 0.5, 86400) == 3600);
	/* sub-second settings (tests) */
	CHECK(fabs(alert_backoff(3, 0.2, 1, 0, -1) - 0.4) < 1e-9);
	CHECK(fabs(alert_backoff(4, 0.2, 1, 0, -1) - 0.5) < 1e-9);
}

static void
test_http_verdict(void)
{
	CHECK_EQ_INT(alert_http_verdict(200), 0);
	CHECK_EQ_INT(alert_http_verdict(204), 0);
	CHECK_EQ_INT(alert_http_verdict(500), 1);
	CHECK_EQ_INT(alert_http_verdict(502), 1);
	CHECK_EQ_INT(alert_http_verdict(503), 1);
	CHECK_EQ_INT(alert_http_verdict(429), 1);
	CHECK_EQ_INT(alert_http_verdict(408), 1);
	CHECK_EQ_INT(alert_http_verdict(400), -1);
	CHECK_EQ_INT(alert_http_verdict(401), -1);
	CHECK_EQ_INT(alert_http_verdict(404), -1);
	CHECK_EQ_INT(alert_http_verdict(410), -1);
	CHECK_EQ_INT(alert_http_verdict(301), -1);
	CHECK_EQ_INT(alert_http_verdict(100), -1);
	CHECK_EQ_INT(alert_http_verdict(600), -1);
}

static void
test_opts_parse(void)
{
	struct alert_opts o;
	alert_opts_default(&o);
	CHECK(!alert_opts_any(&o));
	CHECK_EQ_INT(alert_opts_parse(&o, "--db", "x"), 0);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-json", "-"), 1);
	CHECK_EQ_STR(o.json_path, "-");
	CHECK(alert_opts_any(&o));
	CHECK_EQ_INT(alert_opts_parse(&o, "alert-syslog", NULL), 1);
	CHECK(o.syslog);
	CHECK_EQ_INT(o.syslog_facility, LOG_DAEMON);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-syslog-facility", "local3"), 1);
	CHECK_EQ_INT(o.syslog_facility, LOG_LOCAL3);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-syslog-facility", "kern"), -1);
	CHECK(strstr(o.err, "local0..local7") != NULL);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-webhook", "https://h/x"), 1);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-webhook", "http://h:1/y"), 1);
	CHECK_EQ_INT(o.nwebhook, 2);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-webhook", "h/x"), -1);
	CHECK(strstr(o.err, "not an http") != NULL);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-slack", "https://hooks/T/B/x"), 1);
	CHECK_EQ_INT(o.nslack, 1);
	for (int i = 1; i < ALERT_MAX_URLS; i++)
		CHECK_EQ_INT(alert_opts_parse(&o, "--alert-slack", "http://a/"), 1);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-slack", "http://a/"), -1);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-retry-min", "0.25"), 1);
	CHECK(o.retry_min == 0.25);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-retry-min", "0"), -1);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-retry-max", "1x"), -1);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-timeout", "nan"), -1);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-flush", "0"), 1);
	CHECK(o.flush == 0);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-json", ""), -1);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-json", NULL), -1);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-bogus", "1"), 0);
	CHECK(alert_usage[0] && strstr(alert_usage, "--alert-slack URL"));
}

static char logbuf[8192];

static void
capture(void *ctx, const char *line)
{
	size_t n = strlen(logbuf);
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", line);
}

/* Run REPORTS through a JSON-lines alert object; return the file. */
static char *
run_json(const struct vg_event *reports, size_t n, unsigned *lines)
{
	char path[256];
	static unsigned seq;
	struct alert_opts o;
	char err[256];
	snprintf(path, sizeof(path), "%s/a%u.jsonl", dir, seq++);
	alert_opts_default(&o);
	o.json_path = path;
	o.log = capture;
	struct alert *a = alert_new(&o, err, sizeof(err));
	CHECK(a != NULL);
	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		alert_event(a, &reports[i]);
	struct alert_stats st;
	alert_stats(a, &st);
	CHECK_EQ_INT(st.outputs, 1);
	alert_free(a);
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0;
	*lines = 0;
	if (f) {
		char line[65536];
		while (fgets(line, sizeof(line), f)) {
			/* keep only the keys */
			char *k = strstr(line, "\"key\":\"");
			char *e = k ? strchr(k + 7, '"') : NULL;
			if (!e)
				continue;
			size_t l = (size_t)(e - (k + 7));
			if (len + l + 2 > cap) {
				cap = (len + l + 2) * 2;
				buf = realloc(buf, cap);
			}
			memcpy(buf + len, k + 7, l);
			len += l;
			buf[len++] = ' ';
			buf[len] = '\0';
			(*lines)++;
		}
		fclose(f);
	}
	unlink(path);
	return buf;
}

static void
test_transitions(void)
{
	struct vg_event r[8];
	unsigned lines = 0;
	struct vg_event ev = kp_outage();
	r[0] = ev;                      /* opened as a warning */
	r[1] = ev;                      /* deeper, more evidence: quiet */
	r[1].depth = 0.4;
	r[1].n_evidence = 2;
	r[2] = r[1];                    /* critical: escalated */
	r[2].level = VG_LEVEL_CRITICAL;
	r[2].depth = 1;
	r[3] = r[2];                    /* deeper still: quiet */
	r[4] = r[2];                    /* closed */
	r[4].end = ev.start + 900;
	r[5] = kp_outage();             /* another event, opened and closed */
	r[5].id = 9;                    /* in one report */
	r[5].end = r[5].start + 600;
	r[6] = kp_outage();             /* instability opened critical */
	r[6].id = 10;
	r[6].kind = VG_EVENT_INSTABILITY;
	r[6].level = VG_LEVEL_CRITICAL;
	r[7] = r[6];                    /* ... and closed at critical */
	r[7].end = r[7].start + 1200;
	logbuf[0] = '\0';
	char *keys = run_json(r, 8, &lines);
	CHECK_EQ_STR(keys, "4-country:KP-1445569200-opened "
	                   "4-country:KP-1445569200-escalated "
	                   "4-country:KP-1445569200-restored "
	                   "9-country:KP-1445569200-opened "
	                   "9-country:KP-1445569200-restored "
	                   "10-country:KP-1445569200-opened "
	                   "10-country:KP-1445569200-restored ");
	CHECK_EQ_INT(lines, 7);
	CHECK(strstr(logbuf, "7 delivered, 0 retries, 0 rejected, 0 undelivered") != NULL);
	free(keys);
	/* an id of 0 (not an event yet) notifies nobody */
	struct vg_event z = kp_outage();
	z.id = 0;
	keys = run_json(&z, 1, &lines);
	CHECK_EQ_INT(lines, 0);
	free(keys);
}

static void
test_many_in_order(void)
{
	enum { N = 3000 };
	struct vg_event *r = calloc(N, sizeof(*r));
	unsigned lines = 0;
	for (unsigned i = 0; i < N; i++) {
		r[i] = kp_outage();
		r[i].id = i / 2 + 1;
		if (i % 2)
			r[i].end = r[i].start + 300;
	}
	logbuf[0] = '\0';
	char *keys = run_json(r, N, &lines);
	CHECK_EQ_INT(lines, N);
	/* in order */
	char want[64];
	const char *p = keys;
	int ordered = keys != NULL;
	for (unsigned i = 0; i < N && ordered; i++) {
		int n = snprintf(want, sizeof(want), "%u-country:KP-1445569200-%s ",
		                 i / 2 + 1, i % 2 ? "restored" : "opened");
		if (strncmp(p, want, (size_t)n) != 0)
			ordered = 0;
		p += n;
	}
	CHECK(ordered);
	free(keys);
	free(r);
}

/* A webhook whose port refuses connections: alert_event does not wait,
 * alert_free gives up after --alert-flush and says what was lost. */
static void
test_flush_bounded(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* bound, never listening: connections are refused */
	CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(getsockname(s, (struct sockaddr *)&sin, &sl) == 0);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook",
	         ntohs(sin.sin_port));
	struct alert_opts o;
	char err[256];
	alert_opts_default(&o);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-webhook", url), 1);
	o.retry_min = 0.05;
	o.retry_max = 0.1;
	o.flush = 0.5;
	o.log = capture;
	logbuf[0] = '\0';
	struct alert *a = alert_new(&o, err, sizeof(err));
	CHECK(a != NULL);
	if (a == NULL) {
		close(s);
		return;
	}
	struct vg_event ev = kp_outage();
	alert_event(a, &ev);
	ev.end = ev.start + 300;
	alert_event(a, &ev);
	struct alert_stats st;
	alert_stats(a, &st);
	CHECK_EQ_INT(st.notifications, 2);
	CHECK(st.queued + st.delivered + st.rejected == 2);
	CHECK_EQ_INT(st.delivered, 0);
	CHECK(st.bytes_queued > 0);
	alert_free(a);
	close(s);
	char want[160];
	snprintf(want, sizeof(want), "webhook 127.0.0.1:%u: 0 delivered, ",
	         ntohs(sin.sin_port));
	CHECK(strstr(logbuf, want) != NULL);
	CHECK(strstr(logbuf, "0 rejected, 2 undelivered, queue peaked at 2; "
	                     "undelivered: 4-country:KP-1445569200-opened, "
	                     "4-country:KP-1445569200-restored") != NULL);
	/* the URL path is never logged */
	CHECK(strstr(logbuf, "/hook") == NULL);
}

static void
test_new_errors(void)
{
	struct alert_opts o;
	char err[256], path[256];
	alert_opts_default(&o);
	snprintf(path, sizeof(path), "%s/no/such/dir.jsonl", dir);
	o.json_path = path;
	CHECK(alert_new(&o, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "No such file or directory") != NULL);
	/* no outputs: valid, counts but sends nothing */
	alert_opts_default(&o);
	struct alert *a = alert_new(&o, err, sizeof(err));
	CHECK(a != NULL);
	struct vg_event ev = kp_outage();
	alert_event(a, &ev);
	struct alert_stats st;
	alert_stats(a, &st);
	CHECK_EQ_INT(st.notifications, 1);
	CHECK_EQ_INT(st.outputs, 0);
	alert_free(a);
	alert_free(NULL);
	alert_event(NULL, &ev);
}

/* ---- spool: a receiver that is down, a restart, the receiver up ---------- */

struct recv {
	pthread_mutex_t mu;
	char keys[2048];
	int bad_body;
	unsigned n;
};

struct upload {
	char *body;
	size_t len;
};

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *data,
           size_t *data_size, void **con_cls)
{
	struct recv *r = cls;
	struct upload *u = *con_cls;
	if (u == NULL) {
		*con_cls = calloc(1, sizeof(*u));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (*data_size) {
		char *nb = realloc(u->body, u->len + *data_size + 1);
		if (nb == NULL)
			return MHD_NO;
		memcpy(nb + u->len, data, *data_size);
		u->body = nb;
		u->len += *data_size;
		u->body[u->len] = '\0';
		*data_size = 0;
		return MHD_YES;
	}
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                              "Idempotency-Key");
	char want[200];
	snprintf(want, sizeof(want), "{\"key\":\"%s\",", key ? key : "");
	pthread_mutex_lock(&r->mu);
	size_t n = strlen(r->keys);
	snprintf(r->keys + n, sizeof(r->keys) - n, "%s ", key ? key : "?");
	if (!u->body || strncmp(u->body, want, strlen(want)) != 0 ||
	    u->body[u->len - 1] != '}')
		r->bad_body++;
	r->n++;
	pthread_mutex_unlock(&r->mu);
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
on_done(void *cls, struct MHD_Connection *c, void **con_cls,
        enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;
	if (u) {
		free(u->body);
		free(u);
	}
	*con_cls = NULL;
}

/* Lines and size of the one *.spool file in SPOOL, -1 if none. */
static char spool_file[512];

static long
spool_lines(const char *spool, long *size)
{
	DIR *d = opendir(spool);
	struct dirent *de;
	long lines = -1;
	char path[512];
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 6, ".spool") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", spool, de->d_name);
		snprintf(spool_file, sizeof(spool_file), "%s", path);
		FILE *f = fopen(path, "r");
		int ch;
		lines = 0;
		*size = 0;
		while (f && (ch = fgetc(f)) != EOF) {
			(*size)++;
			lines += ch == '\n';
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return lines;
}

static void
test_spool_restart(void)
{
	char spool[256], url[64], err[256];
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	long size = 0;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	snprintf(spool, sizeof(spool), "%s/spool", dir);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(getsockname(s, (struct sockaddr *)&sin, &sl) == 0);
	uint16_t port = ntohs(sin.sin_port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/h", port);

	struct alert_opts o;
	alert_opts_default(&o);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-webhook", url), 1);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-spool", spool), 1);
	o.retry_min = 0.05;
	o.retry_max = 0.1;
	o.flush = 0.3;
	o.log = capture;

	/* 1: the receiver is down; two notifications stay in the spool */
	logbuf[0] = '\0';
	struct alert *a = alert_new(&o, err, sizeof(err));
	CHECK(a != NULL);
	if (a == NULL)
		return;
	struct vg_event ev = kp_outage();
	alert_event(a, &ev);
	ev.end = ev.start + 300;
	alert_event(a, &ev);
	alert_free(a);
	CHECK(strstr(logbuf, "2 undelivered (kept in the spool)") != NULL);
	CHECK_EQ_INT(spool_lines(spool, &size), 2);

	/* 2: restarted, still down: the same two, nothing duplicated */
	logbuf[0] = '\0';
	a = alert_new(&o, err, sizeof(err));
	CHECK(a != NULL);
	CHECK(strstr(logbuf, "2 notifications from the spool") != NULL);
	alert_free(a);
	CHECK_EQ_INT(spool_lines(spool, &size), 2);
	close(s);
	/* damage: junk, short records, an unknown key, a torn last line */
	FILE *f = fopen(spool_file, "a");
	CHECK(f != NULL);
	if (f) {
		fputs("junk\n+\tonly-a-key\n+\tk\t1\n-\tno-such-key\n\n"
		      "+\ttorn\t1\t1\t{\"key\":\"torn\"}", f);
		fclose(f);
	}

	/* 3: the receiver is up: the spooled two, then a new one, in order */
	struct recv r;
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD, port, NULL, NULL, on_request, &r,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_END);
	CHECK(d != NULL);
	if (d == NULL)
		return;
	o.flush = 20;
	logbuf[0] = '\0';
	a = alert_new(&o, err, sizeof(err));
	CHECK(a != NULL);
	ev = kp_outage();
	ev.id = 5;
	if (a)
		alert_event(a, &ev);
	alert_free(a);
	CHECK_EQ_STR(r.keys, "4-country:KP-1445569200-opened "
	                     "4-country:KP-1445569200-restored "
	                     "5-country:KP-1445569200-opened ");
	CHECK_EQ_INT(r.bad_body, 0);
	CHECK(strstr(logbuf, "3 delivered, 0 retries, 0 rejected, 0 undelivered") != NULL);
	CHECK_EQ_INT(spool_lines(spool, &size), 0);
	CHECK_EQ_INT(size, 0);

	/* 4: restarted again: nothing is sent twice */
	a = alert_new(&o, err, sizeof(err));
	alert_free(a);
	CHECK_EQ_INT(r.n, 3);
	MHD_stop_daemon(d);
	pthread_mutex_destroy(&r.mu);

	/* a spool that cannot be made is an error at start */
	char bad[300];
	snprintf(bad, sizeof(bad), "%s/no/such", dir);
	o.spool_dir = bad;
	CHECK(alert_new(&o, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "--alert-spool") != NULL);

	char path[512];
	DIR *dd = opendir(spool);
	struct dirent *de;
	while (dd && (de = readdir(dd)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", spool, de->d_name);
		unlink(path);
	}
	if (dd)
		closedir(dd);
	rmdir(spool);
}

/* A receiver that takes the request and never answers: the transfer
 * under way is cut at the deadline, not after the request timeout. */
static void
test_flush_cuts_transfer(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(getsockname(s, (struct sockaddr *)&sin, &sl) == 0);
	CHECK(listen(s, 8) == 0); /* connections complete, nobody reads */
	char url[64], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/slow",
	         ntohs(sin.sin_port));
	struct alert_opts o;
	alert_opts_default(&o);
	CHECK_EQ_INT(alert_opts_parse(&o, "--alert-webhook", url), 1);
	o.timeout = 120;
	o.flush = 0.5;
	o.log = capture;
	logbuf[0] = '\0';
	struct alert *a = alert_new(&o, err, sizeof(err));
	CHECK(a != NULL);
	if (a == NULL) {
		close(s);
		return;
	}
	struct vg_event ev = kp_outage();
	alert_event(a, &ev);
	usleep(300000); /* the request is under way */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alert_free(a);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(s);
	double took = (double)(t1.tv_sec - t0.tv_sec) +
	              (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* 0.5 s of flush plus libcurl's progress tick, far from 120 s */
	CHECK(took < 10);
	CHECK(strstr(logbuf, "0 delivered, 1 retries, 0 rejected, 1 undelivered") != NULL);
	if (took >= 10 || !strstr(logbuf, "1 undelivered"))
		fprintf(stderr, "  took %.1f s; log: %s", took, logbuf);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/vigil-alert-XXXXXX",
	         tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("TZ", "UTC", 1);
	RUN(test_keys_and_names);
	RUN(test_summaries);
	RUN(test_json_body);
	RUN(test_slack_body);
	RUN(test_backoff_schedule);
	RUN(test_http_verdict);
	RUN(test_opts_parse);
	RUN(test_transitions);
	RUN(test_many_in_order);
	RUN(test_flush_bounded);
	RUN(test_flush_cuts_transfer);
	RUN(test_new_errors);
	RUN(test_spool_restart);
	rmdir(dir);
	return TEST_MAIN_END();
}
