/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Alerts: outage, instability and restoration notifications, sent to JSON
 * lines (a file or stdout), syslog and webhooks (generic JSON and
 * Slack-compatible) without ever holding up the caller.
 *
 * The observatory reports an event each time it opens, changes and
 * closes (obs_sink.event); alert_event() turns those reports into
 * notifications on three transitions only:
 *   opened     the first report of an event (its level at that time)
 *   escalated  the level rose from warning to critical while open
 *   restored   the event closed (end != 0): the outage is over, the
 *              instability episode has calmed down
 * Deeper drops and new evidence within the same level notify nobody; an
 * event first reported already closed gives "opened" then "restored".
 *
 * Each notification has a stable idempotency key,
 *   "<event id>-<entity>-<start>-<transition>"  e.g. "3-country:KP-1445570100-opened"
 * (the id alone restarts at 1 in every process; with the entity and the
 * start time the key is unique across restarts, and replaying the same
 * data gives the same keys, so a receiver can drop what it has seen).
 * It is sent as the Idempotency-Key header of a webhook, as "key" in the
 * JSON body, in the context block of a Slack message, and in syslog
 * lines.
 *
 * Every output (the JSON lines file, syslog, each webhook URL) has its
 * own worker thread and FIFO queue: notifications reach each output in
 * order, one at a time.  Failures are retried for ever with exponential
 * backoff and jitter (connection errors, timeouts, HTTP 5xx, 408 and 429,
 * whose Retry-After is honoured; syslog socket errors; file write
 * errors); other HTTP statuses (4xx, 3xx) are permanent: logged and the
 * notification dropped for that output.  Queues grow without bound while
 * the process runs; alert_free() gives the workers a bounded time to
 * drain them and reports what could not be delivered.  Without a spool
 * that is lost when the process ends; with --alert-spool DIR each output
 * also journals its queue to a file, and a restart with the same outputs
 * sends what was left, first (see alert.c for the format).
 */
#ifndef VIGIL_ALERT_H
#define VIGIL_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/entity.h"

struct geo_db;

#define ALERT_MAX_URLS 8

struct alert_opts {
	const char *json_path;     /* --alert-json FILE (appended) or "-"
	                              (stdout), NULL: none */
	int syslog;                /* --alert-syslog */
	int syslog_facility;       /* LOG_DAEMON (--alert-syslog-facility) */
	const char *syslog_socket; /* "/dev/log" (--alert-syslog-socket) */
	const char *webhook[ALERT_MAX_URLS]; /* --alert-webhook URL */
	unsigned nwebhook;
	const char *slack[ALERT_MAX_URLS];   /* --alert-slack URL */
	unsigned nslack;
	double retry_min;          /* first retry after ~this, s (1) */
	double retry_max;          /* backoff cap, s (300) */
	double timeout;            /* one HTTP request, s (10) */
	double flush;              /* alert_free waits at most, s (10) */
	const char *tag;           /* syslog tag and User-Agent ("vigil") */
	const char *spool_dir;     /* --alert-spool DIR: queues kept on disk
	                              too, resent after a restart; NULL */
	/* optional: entity names (countries, AS names); must outlive the
	 * alert object; only read by alert_event's caller */
	const struct geo_db *geo;
	/* where problems and the final report go (NULL: stderr, one line
	 * each, "vigil: alert: ...") */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
	char err[160];             /* alert_opts_parse's last complaint */
};

/* Defaults: no output at all. */
void alert_opts_default(struct alert_opts *o);

/* One command-line option (OPT: "--alert-json" or "alert-json") with its
 * argument ARG (NULL for flags).  1: an alert option, taken; 0: not an
 * alert option; -1: a bad value (the reason in o->err). */
int alert_opts_parse(struct alert_opts *o, const char *opt, const char *arg);

/* Non-zero if O asks for any output. */
int alert_opts_any(const struct alert_opts *o);

/* getopt_long rows for every alert option, all returning VAL: put
 * ALERT_LONGOPTS(VAL) in a command's option table and hand
 * longopts[index].name and optarg to alert_opts_parse.  Needs getopt.h. */
#define ALERT_LONGOPTS(val)                                                 \
	{"alert-json", required_argument, NULL, (val)},                     \
	{"alert-syslog", no_argument, NULL, (val)},                         \
	{"alert-syslog-facility", required_argument, NULL, (val)},          \
	{"alert-syslog-socket", required_argument, NULL, (val)},            \
	{"alert-webhook", required_argument, NULL, (val)},                  \
	{"alert-slack", required_argument, NULL, (val)},                    \
	{"alert-retry-min", required_argument, NULL, (val)},                \
	{"alert-retry-max", required_argument, NULL, (val)},                \
	{"alert-timeout", required_argument, NULL, (val)},                  \
	{"alert-flush", required_argument, NULL, (val)},                    \
	{"alert-spool", required_argument, NULL, (val)}

/* The options' --help text (a block of lines, each ending in \n). */
extern const char alert_usage[];

struct alert;

/* Open the outputs of O (files opened, sockets and threads started; a
 * webhook receiver that is down is no error).  NULL on error with the
 * reason in ERR (bad URL, unopenable file, out of memory).  O's strings
 * must outlive the object. */
struct alert *alert_new(const struct alert_opts *o, char *err, size_t n);

/* The observatory's report of EV (see above for which reports notify).
 * Never waits for a receiver, a socket or a pipe: the payloads are built
 * here and queued, the workers send them (with a spool, the journal line
 * is appended here, to a local file).  Calls must not overlap (one thread
 * at a time); EV is not kept. */
void alert_event(struct alert *a, const struct vg_event *ev);

struct alert_stats {
	uint64_t notifications; /* made by alert_event */
	uint64_t queued;        /* waiting now, all outputs together */
	uint64_t max_queued;    /* the largest any single output's queue got */
	uint64_t delivered;     /* (notification, output) pairs delivered */
	uint64_t retries;       /* failed attempts that were retried */
	uint64_t rejected;      /* permanent failures (dropped) */
	uint64_t bytes_queued;  /* memory held by queued notifications (each
	                           counted once, however many outputs wait
	                           for it) */
	unsigned outputs;
};
void alert_stats(struct alert *a, struct alert_stats *st);

/* Stop: the workers get o->flush seconds in all to deliver what is
 * queued (retrying as usual; a transfer still under way then is cut
 * within about a second, whatever o->timeout), then everything is freed.  Logs one line
 * per output: delivered, retries, rejected and undelivered counts.
 * NULL is fine. */
void alert_free(struct alert *a);

/* ---- pieces, exposed for the tests ------------------------------------- */

enum alert_transition {
	ALERT_OPENED = 1,
	ALERT_ESCALATED = 2,
	ALERT_RESTORED = 3,
};
const char *alert_transition_name(enum alert_transition t);

/* "3-country:KP-1445570100-opened" into BUF. */
void alert_key(const struct vg_event *ev, enum alert_transition t, char *buf,
               size_t len);

/* One line of text for people ("Outage in North Korea (country:KP) ..."),
 * NAME the entity's name or NULL.  Returns BUF. */
char *alert_summary(const struct vg_event *ev, enum alert_transition t,
                    const char *name, char *buf, size_t len);

/* The generic JSON body (also the JSON line, without the newline) and
 * the Slack body, malloc'd NUL-terminated text (NULL: out of memory).
 * AT is the wall-clock time the transition was seen. */
char *alert_json(const struct vg_event *ev, enum alert_transition t,
                 const char *name, uint32_t at, size_t *len);
char *alert_slack_json(const struct vg_event *ev, enum alert_transition t,
                       const char *name, size_t *len);

/* Seconds to wait before attempt ATTEMPT + 1 after ATTEMPT (>= 1)
 * failures in a row: min(RETRY_MAX, RETRY_MIN * 2^(ATTEMPT-1)) with
 * "equal jitter" (between half of it and all of it, by U in [0, 1)).
 * A server's RETRY_AFTER (seconds, < 0: none) replaces it, capped at one
 * hour. */
double alert_backoff(unsigned attempt, double retry_min, double retry_max,
                     double u, long retry_after);

/* HTTP status: 1 retry (5xx, 408, 429), 0 delivered (2xx), -1 permanent
 * (anything else). */
int alert_http_verdict(long status);

#endif
