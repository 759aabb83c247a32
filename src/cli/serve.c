/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil serve`: the HTTP API, live stream, metrics and dashboard of a
 * vigil database (src/http), until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "query.h"
#include "vigil/http.h"

static const char serve_usage[] =
    "usage: vigil serve [--db FILE] [--listen ADDR:PORT] [--web DIR]\n"
    "                   [--threads N] [OPTIONS]\n"
    "\n"
    "Serve a vigil database over HTTP: a JSON API modelled on IODA's,\n"
    "server-sent events while `vigil replay` or `vigil collect` writes the\n"
    "database, Prometheus metrics, and the web dashboard.  The database is\n"
    "only read (one read-only SQLite connection per thread).\n"
    "\n"
    "Endpoints (JSON, times in Unix seconds; parameters take Unix seconds\n"
    "or YYYY-MM-DD[THH:MM[:SS]][Z], UTC; docs/api.md has the details):\n"
    "  GET /api/v1/entities?search=TEXT&kind=country|asn|upstream&limit=N\n"
    "  GET /api/v1/signals/ENTITY?from=T&until=T&upstreams=N\n"
    "  GET /api/v1/events?entity=E&exact=1&kind=outage|instability\n"
    "                    &level=warning|critical&from=T&until=T&open=1\n"
    "                    &limit=N&offset=N&evidence=0\n"
    "  GET /api/v1/events/ID        one event with its evidence\n"
    "  GET /api/v1/status?at=T      every country (and every entity with an\n"
    "                               open event), worst first\n"
    "  GET /api/v1/live             server-sent events: event, bin\n"
    "  GET /api/v1/openapi.json     the OpenAPI 3 description\n"
    "  GET /metrics                 Prometheus text\n"
    "  GET /, /FILE                 the dashboard (--web DIR)\n"
    "Errors are HTTP 400 (bad parameter), 404 (no such entity, event or\n"
    "endpoint), 503 (the database took longer than --timeout) with a body\n"
    "{\"error\":\"reason\"}.\n"
    "\n"
    "Limits: signals ranges up to 31 days (default the last 24 hours of\n"
    "the data) and 10000 bins, with up to 50 upstream series (default 5);\n"
    "events pages of up to 500 (default 100), offset up to 1000000;\n"
    "entities up to 1000 (default 50); search text up to 64 bytes.\n"
    "\n"
    "Options:\n"
    "  --db FILE          the database (default vigil.db); it may be\n"
    "                     written, and even replaced, while served\n"
    "  --listen ADDR:PORT where to listen (default 127.0.0.1:8080):\n"
    "                     127.0.0.1:8080, [::1]:8080, :8080 (every IPv4 and\n"
    "                     IPv6 address), 8080 (127.0.0.1); port 0 picks a\n"
    "                     free port (printed)\n"
    "  --web DIR          dashboard files; `/` is DIR/index.html (default:\n"
    "                     the `web` directory beside the vigil binary, if\n"
    "                     there is one; `--web none` serves no files)\n"
    "  --threads N        worker threads, each with its own database\n"
    "                     connection (default 4)\n"
    "  --timeout MS       database time allowed per request, in ms; past\n"
    "                     it the answer is 503 (default 5000)\n"
    "  --cache-mb N       memory for cached answers, per database version\n"
    "                     (default 64; 0 turns the cache off)\n"
    "  --max-clients N    connections at once (default 1024)\n"
    "  --max-live N       /api/v1/live streams at once (default 256)\n"
    "  --poll-ms N        how often the database is checked for changes\n"
    "                     (default 1000)\n"
    "  --access-log FILE  one line per request (`-`: standard output)\n"
    "  -h, --help         this text\n"
    "\n"
    "Stops cleanly on SIGINT or SIGTERM.\n"
    "\n"
    "Exit status: 0 stopped by a signal; 2 usage error, unreadable\n"
    "database, or the address could not be bound.\n";

enum {
	OPT_DB = 256,
	OPT_LISTEN,
	OPT_WEB,
	OPT_THREADS,
	OPT_TIMEOUT,
	OPT_CACHE,
	OPT_MAXCL,
	OPT_MAXLIVE,
	OPT_POLL,
	OPT_LOG,
};

static int
num_arg(const char *opt, const char *s, unsigned long min, unsigned long max,
        unsigned long *out)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno || v < min ||
	    v > max) {
		fprintf(stderr, "vigil serve: %s '%s': a number from %lu to %lu\n",
		        opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* DIR/web beside the running binary, if it is a directory. */
static const char *
default_web(char *buf, size_t len)
{
	char exe[PATH_MAX];
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return NULL;
	*slash = '\0';
	if (snprintf(buf, len, "%s/web", exe) >= (int)len)
		return NULL;
	if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return buf;
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"listen", required_argument, NULL, OPT_LISTEN},
	    {"web", required_argument, NULL, OPT_WEB},
	    {"threads", required_argument, NULL, OPT_THREADS},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"cache-mb", required_argument, NULL, OPT_CACHE},
	    {"max-clients", required_argument, NULL, OPT_MAXCL},
	    {"max-live", required_argument, NULL, OPT_MAXLIVE},
	    {"poll-ms", required_argument, NULL, OPT_POLL},
	    {"access-log", required_argument, NULL, OPT_LOG},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct http_opts o;
	struct http_server *srv;
	const char *web = NULL, *logpath = NULL;
	int opt, web_given = 0, sig = 0;
	char err[512], webbuf[PATH_MAX];
	unsigned long v;
	sigset_t set;
	struct stat st;
	FILE *log = NULL;

	http_opts_default(&o);
	o.db_path = QUERY_DEFAULT_DB;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_DB:
			o.db_path = optarg;
			break;
		case OPT_LISTEN:
			o.listen = optarg;
			break;
		case OPT_WEB:
			web = strcmp(optarg, "none") == 0 ? NULL : optarg;
			web_given = 1;
			break;
		case OPT_THREADS:
			if (num_arg("--threads", optarg, 1, 256, &v) < 0)
				return EXIT_USAGE;
			o.threads = (unsigned)v;
			break;
		case OPT_TIMEOUT:
			if (num_arg("--timeout", optarg, 1, 600000, &v) < 0)
				return EXIT_USAGE;
			o.timeout_ms = (unsigned)v;
			break;
		case OPT_CACHE:
			if (num_arg("--cache-mb", optarg, 0, 1 << 20, &v) < 0)
				return EXIT_USAGE;
			o.cache_bytes = (size_t)v << 20;
			break;
		case OPT_MAXCL:
			if (num_arg("--max-clients", optarg, 1, 60000, &v) < 0)
				return EXIT_USAGE;
			o.max_clients = (unsigned)v;
			break;
		case OPT_MAXLIVE:
			if (num_arg("--max-live", optarg, 0, 60000, &v) < 0)
				return EXIT_USAGE;
			o.max_live = (unsigned)v;
			break;
		case OPT_POLL:
			if (num_arg("--poll-ms", optarg, 10, 600000, &v) < 0)
				return EXIT_USAGE;
			o.poll_ms = (unsigned)v;
			break;
		case OPT_LOG:
			logpath = optarg;
			break;
		case 'h':
			fputs(serve_usage, stdout);
			return EXIT_CLEAN;
		default:
			fputs("try `vigil serve --help`\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vigil serve: unexpected argument '%s' (the "
		                "database is --db FILE)\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	if (stat(o.db_path, &st) < 0) {
		fprintf(stderr, "vigil serve: %s: %s%s\n", o.db_path,
		        strerror(errno),
		        errno == ENOENT ? " (make one with `vigil replay`, or "
		                          "give --db FILE)"
		                        : "");
		return EXIT_USAGE;
	}
	if (!web_given)
		web = default_web(webbuf, sizeof(webbuf));
	o.web_dir = web;
	if (logpath) {
		log = strcmp(logpath, "-") == 0 ? stdout : fopen(logpath, "a");
		if (log == NULL) {
			fprintf(stderr, "vigil serve: --access-log %s: %s\n",
			        logpath, strerror(errno));
			return EXIT_USAGE;
		}
		o.log = log;
	}
	o.event_json = query_json_event;

	/* the signals are taken by sigwait below: block them before any
	 * thread starts, so every thread inherits the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((srv = http_server_new(&o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "vigil serve: %s\n", err);
		if (log && log != stdout)
			fclose(log);
		return EXIT_USAGE;
	}
	fprintf(stderr, "vigil serve: %s (database %s, %u threads%s%s)\n",
	        http_server_url(srv), o.db_path, o.threads,
	        web ? ", dashboard " : ", no dashboard", web ? web : "");
	fflush(stderr);
	sigwait(&set, &sig);
	fprintf(stderr, "vigil serve: %s, stopping\n",
	        sig == SIGINT ? "interrupted" : "terminated");
	http_server_free(srv);
	if (log && log != stdout)
		fclose(log);
	return EXIT_CLEAN;
}
