/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil fetch`: download the RIPE RIS and RouteViews archive files (and
 * the RIRs' delegation files) a time range needs into a local cache; and
 * the session `vigil replay --collector ... --from ... --until ...` runs to
 * read them while later files still download.  The layouts, planning and
 * downloading are src/fetch (include/vigil/fetch.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "fetch_cli.h"
#include "vigil/filter.h"

const char fetch_cli_help[] =
    "  --collector LIST        collectors, comma-separated: rrc00 ... rrc26\n"
    "                          (RIPE RIS), route-views2, route-views3,\n"
    "                          route-views.linx, route-views.NAME ...\n"
    "                          (RouteViews)\n"
    "  --from TIME             start (Unix seconds or YYYY-MM-DD[THH:MM]);\n"
    "                          the RIB dump at or just before it is\n"
    "                          fetched, then every update file from there\n"
    "  --until TIME            end (exclusive)\n"
    "  --cache DIR             cache directory (default vigil-cache); it\n"
    "                          mirrors the archives' paths (route-views2's\n"
    "                          files under route-views2/); files already\n"
    "                          there are not fetched again\n"
    "  --ris-base URL          RIPE RIS archive (https://data.ris.ripe.net)\n"
    "  --rv-base URL           RouteViews archive\n"
    "                          (https://archive.routeviews.org)\n"
    "  --base NAME=URL         base URL of one collector (a mirror)\n"
    "  --rir-base RIR=URL      directory of an RIR's dated delegation files\n"
    "                          (RIR: afrinic apnic arin lacnic ripencc)\n"
    "                          file:// URLs work for all bases\n"
    "  --jobs N                parallel transfers (4)\n"
    "  --retries N             retries of a failed transfer (5), with\n"
    "  --retry-wait MS         exponential backoff from MS (1000)\n"
    "  --timeout SECONDS       a transfer receiving nothing for this long\n"
    "                          is abandoned and retried (60; libcurl\n"
    "                          averages the rate over a few seconds)\n"
    "  --connect-timeout SECONDS  (30)\n"
    "  --no-listing            plan the nominal file times instead of\n"
    "                          reading the archive's month directories\n";

static const char fetch_usage[] =
    "usage: vigil fetch --collector LIST --from TIME --until TIME [OPTIONS]\n"
    "       vigil fetch --geo --from TIME [OPTIONS]\n"
    "\n"
    "Download the RIPE RIS and RouteViews MRT archive files a time range\n"
    "needs into a cache directory: for each collector the RIB dump at or\n"
    "just before --from and every update file from there to --until.  The\n"
    "archives' month directories are read to find the files (old archives\n"
    "do not keep to the nominal times); RIS writes a RIB dump every 8 hours\n"
    "and updates every 5 minutes, RouteViews every 2 hours and 15 minutes.\n"
    "\n"
    "Transfers run in parallel, resume from where an interrupted one\n"
    "stopped (HTTP Range), are checked against Content-Length and decoded\n"
    "in full (gzip/bzip2 CRCs) before they enter the cache, and are retried\n"
    "with exponential backoff when the network, the server or the transfer\n"
    "fails.  Files the archive does not have are reported with the time\n"
    "interval left without data.\n"
    "\n"
    "Options:\n"
    "%s"
    "  --geo                   also fetch the five RIRs' extended delegation\n"
    "                          files of the --from date (dated archives);\n"
    "                          `vigil replay --collector ... --from ...`\n"
    "                          uses them when no --geo is given\n"
    "  --list                  print the plan (files, gaps), fetch nothing\n"
    "  -q, --quiet             only problems and the summary\n"
    "\n"
    "Output: one line per file (fetched, cached, missing, failed), the\n"
    "intervals without data, a summary.  Retries are reported on stderr.\n"
    "\n"
    "Exit status: 0 every file fetched or cached; 1 finished, but files\n"
    "were missing or failed (time without data); 2 usage error, or the\n"
    "archive could not be listed.\n";

void
fetch_cli_init(struct fetch_cli *fc)
{
	memset(fc, 0, sizeof(*fc));
	fetch_opts_default(&fc->o);
}

static int
uarg(const char *cmd, const char *opt, const char *arg, unsigned lo,
     unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "vigil %s: --%s: '%s' is not a number from %u "
		        "to %u\n", cmd, opt, arg, lo, hi);
		return -2;
	}
	*out = (unsigned)v;
	return 0;
}

int
fetch_cli_opt(struct fetch_cli *fc, const char *cmd, int code,
              const char *arg)
{
	long long t;
	const char *eq;
	switch (code) {
	case FO_FROM:
	case FO_UNTIL:
		if (vg_time_parse(arg, &t) < 0 || t < 0 || t > UINT32_MAX) {
			fprintf(stderr, "vigil %s: --%s: '%s' is not a time (Unix "
			        "seconds or YYYY-MM-DD[THH:MM[:SS]][Z])\n", cmd,
			        code == FO_FROM ? "from" : "until", arg);
			return -2;
		}
		if (code == FO_FROM) {
			fc->from = (uint32_t)t;
			fc->have_from = 1;
		} else {
			fc->until = (uint32_t)t;
			fc->have_until = 1;
		}
		return 0;
	case FO_CACHE:
		fc->o.cache = arg;
		return 0;
	case FO_RIS_BASE:
		fc->ris_base = arg;
		return 0;
	case FO_RV_BASE:
		fc->rv_base = arg;
		return 0;
	case FO_BASE:
		eq = strchr(arg, '=');
		if (eq == NULL || eq == arg || (size_t)(eq - arg) >= 32 ||
		    fc->nbases >= 32) {
			fprintf(stderr, "vigil %s: --base wants NAME=URL, e.g. "
			        "rrc00=https://mirror/ris\n", cmd);
			return -2;
		}
		snprintf(fc->bases[fc->nbases].name, 32, "%.*s",
		         (int)(eq - arg), arg);
		fc->bases[fc->nbases++].url = eq + 1;
		return 0;
	case FO_RIR_BASE:
		eq = strchr(arg, '=');
		for (unsigned i = 0; eq && i < FETCH_NRIR; i++)
			if (strlen(fetch_rir_names[i]) == (size_t)(eq - arg) &&
			    strncmp(arg, fetch_rir_names[i], (size_t)(eq - arg)) == 0) {
				fc->o.rir_base[i] = eq + 1;
				return 0;
			}
		fprintf(stderr, "vigil %s: --rir-base wants RIR=URL with RIR one "
		        "of afrinic, apnic, arin, lacnic, ripencc\n", cmd);
		return -2;
	case FO_JOBS:
		return uarg(cmd, "jobs", arg, 1, 64, &fc->o.jobs);
	case FO_RETRIES:
		return uarg(cmd, "retries", arg, 0, 100, &fc->o.retries);
	case FO_RETRY_WAIT:
		return uarg(cmd, "retry-wait", arg, 0, 600000,
		            &fc->o.retry_wait_ms);
	case FO_TIMEOUT:
		return uarg(cmd, "timeout", arg, 1, 86400, &fc->o.timeout);
	case FO_CONNECT_TIMEOUT:
		return uarg(cmd, "connect-timeout", arg, 1, 3600,
		            &fc->o.connect_timeout);
	case FO_NO_LISTING:
		fc->o.no_listing = 1;
		return 0;
	}
	return -1;
}

int
fetch_cli_plan(struct fetch_cli *fc, const char *cmd, const char *collectors,
               struct fetch_plan *p)
{
	struct fetch_collector cs[64];
	size_t nc = 0;
	char err[1024];
	const char *s = collectors;

	if (!fc->have_from || !fc->have_until) {
		fprintf(stderr, "vigil %s: --collector needs --from and --until\n",
		        cmd);
		return -1;
	}
	if (fc->until <= fc->from) {
		fprintf(stderr, "vigil %s: --until must be after --from\n", cmd);
		return -1;
	}
	while (*s) {
		size_t n = strcspn(s, ",");
		char name[64];
		if (n == 0 || n >= sizeof(name) || nc >= 64) {
			fprintf(stderr, "vigil %s: --collector: bad list '%s'\n",
			        cmd, collectors);
			return -1;
		}
		memcpy(name, s, n);
		name[n] = '\0';
		s += n + (s[n] == ',');
		const char *base = NULL;
		for (unsigned i = 0; i < fc->nbases; i++)
			if (strcmp(fc->bases[i].name, name) == 0)
				base = fc->bases[i].url;
		if (base == NULL)
			base = strncmp(name, "rrc", 3) == 0 ? fc->ris_base
			                                   : fc->rv_base;
		if (fetch_collector_init(&cs[nc], name, base, err,
		                         sizeof(err)) < 0) {
			fprintf(stderr, "vigil %s: %s\n", cmd, err);
			return -1;
		}
		int dup = 0;
		for (size_t i = 0; i < nc; i++)
			dup |= strcmp(cs[i].name, name) == 0;
		if (!dup)
			nc++;
	}
	if (nc == 0) {
		fprintf(stderr, "vigil %s: --collector: no collector named\n", cmd);
		return -1;
	}
	if (fetch_plan_build(p, &fc->o, cs, nc, fc->from, fc->until, err,
	                     sizeof(err)) < 0) {
		fprintf(stderr, "vigil %s: %s\n", cmd, err);
		return -1;
	}
	return 0;
}

static void
fmt_t(uint32_t t, char *buf, size_t n)
{
	time_t tt = t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%MZ", &tm);
}

static const char *
kind_name(enum fetch_kind k)
{
	return k == FETCH_RIB ? "rib" : k == FETCH_UPDATES ? "updates" : "geo";
}

static void
print_gap(FILE *out, const struct fetch_gap *g)
{
	char a[32], b[32];
	fmt_t(g->from, a, sizeof(a));
	fmt_t(g->until, b, sizeof(b));
	fprintf(out, "no data: %-16s %s - %s (%u min): %s\n", g->collector, a,
	        b, (g->until - g->from) / 60, g->reason);
}

/* a failed or missing update file leaves its interval without data */
static int
item_gap(struct fetch_plan *p, const struct fetch_item *it)
{
	if (it->kind != FETCH_UPDATES)
		return 0;
	char why[96];
	snprintf(why, sizeof(why), "%s: %.80s", fetch_state_name(it->state),
	         it->err);
	return fetch_plan_add_gap(p, it->collector, it->time,
	                          it->next_time > it->time
	                              ? it->next_time
	                              : it->time + it->interval,
	                          why);
}

int
cmd_fetch(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"collector", required_argument, NULL, 'c'},
	    {"geo", no_argument, NULL, 'g'},
	    {"list", no_argument, NULL, 'l'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    FETCH_CLI_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct fetch_cli fc;
	struct fetch_plan plan;
	const char *collectors = NULL;
	int c, geo = 0, list = 0, quiet = 0, rc;
	char err[512];

	fetch_cli_init(&fc);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			collectors = optarg;
			break;
		case 'g':
			geo = 1;
			break;
		case 'l':
			list = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			printf(fetch_usage, fetch_cli_help);
			return EXIT_CLEAN;
		default:
			rc = fetch_cli_opt(&fc, "fetch", c, optarg);
			if (rc == 0)
				break;
			if (rc == -1)
				fputs("Try `vigil fetch --help`.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigil fetch: unexpected argument '%s'\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	if (collectors == NULL && !geo) {
		fputs("vigil fetch: name --collector (and/or --geo)\nTry `vigil "
		      "fetch --help`.\n", stderr);
		return EXIT_USAGE;
	}
	if (!fc.have_from) {
		fputs("vigil fetch: --from is required\n", stderr);
		return EXIT_USAGE;
	}
	fc.o.quiet = 0; /* retries are always worth a line */
	fetch_plan_init(&plan);
	if (collectors && fetch_cli_plan(&fc, "fetch", collectors, &plan) < 0) {
		fetch_plan_free(&plan);
		return EXIT_USAGE;
	}
	if (geo && fetch_plan_geo(&plan, &fc.o, fc.from) < 0) {
		fputs("vigil fetch: out of memory\n", stderr);
		fetch_plan_free(&plan);
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < plan.nnotes; i++)
		fprintf(stderr, "vigil fetch: %s\n", plan.notes[i]);

	if (list) {
		char t[32];
		for (size_t i = 0; i < plan.nitems; i++) {
			const struct fetch_item *it = &plan.items[i];
			fmt_t(it->time, t, sizeof(t));
			printf("%s %-16s %-7s %s\n", t, it->collector,
			       kind_name(it->kind), it->url);
		}
		for (size_t i = 0; i < plan.ngaps; i++)
			print_gap(stdout, &plan.gaps[i]);
		printf("%zu file%s, %zu gap%s\n", plan.nitems,
		       plan.nitems == 1 ? "" : "s", plan.ngaps,
		       plan.ngaps == 1 ? "" : "s");
		fetch_plan_free(&plan);
		return EXIT_CLEAN;
	}

	struct fetcher *f = fetcher_start(&plan, &fc.o, err, sizeof(err));
	if (f == NULL) {
		fprintf(stderr, "vigil fetch: %s\n", err);
		fetch_plan_free(&plan);
		return EXIT_USAGE;
	}
	size_t nfetched = 0, ncached = 0, nmissing = 0, nfailed = 0;
	unsigned nretries = 0;
	uint64_t bytes = 0;
	size_t nitems = plan.nitems;
	for (size_t i = 0; i < nitems; i++) {
		enum fetch_state s = fetcher_wait(f, i);
		struct fetch_item *it = &plan.items[i];
		nretries += it->retries;
		switch (s) {
		case FETCH_DONE:
			nfetched++;
			bytes += it->bytes;
			if (!quiet)
				printf("fetched %s (%llu bytes%s)\n", it->path,
				       (unsigned long long)it->bytes,
				       it->retries ? ", after retries" : "");
			break;
		case FETCH_CACHED:
			ncached++;
			if (!quiet)
				printf("cached  %s\n", it->path);
			break;
		default:
			if (s == FETCH_MISSING)
				nmissing++;
			else
				nfailed++;
			printf("%s %s: %s\n", s == FETCH_MISSING ? "missing" : "failed ",
			       it->url, it->err);
			if (item_gap(&plan, it) < 0)
				fputs("vigil fetch: out of memory\n", stderr);
			break;
		}
	}
	fetcher_free(f);
	fetch_plan_sort(&plan); /* gaps found while downloading in order */
	for (size_t i = 0; i < plan.ngaps; i++)
		print_gap(stdout, &plan.gaps[i]);
	printf("%zu file%s: %zu fetched (%llu bytes), %zu cached, %zu missing, "
	       "%zu failed; %u retr%s; %zu interval%s without data\n",
	       nitems, nitems == 1 ? "" : "s", nfetched,
	       (unsigned long long)bytes, ncached, nmissing, nfailed, nretries,
	       nretries == 1 ? "y" : "ies", plan.ngaps,
	       plan.ngaps == 1 ? "" : "s");
	int status = nmissing || nfailed || plan.ngaps ? EXIT_PROBLEMS
	                                               : EXIT_CLEAN;
	fetch_plan_free(&plan);
	return status;
}

/* ---- replay's session ---------------------------------------------------- */

struct replay_fetch {
	struct fetch_cli *fc;
	struct fetch_plan plan;
	struct fetcher *f;
	struct obs *ob;
	char **paths;
	const char **colls;
	uint32_t *times;
	size_t *idx; /* plan index of each file */
	size_t nfiles;
	size_t nmissing;
	size_t hint; /* where the next file is likely to be */
	int quiet;
};

struct replay_fetch *
replay_fetch_start(struct fetch_cli *fc, const char *collectors, int quiet)
{
	struct replay_fetch *rf = calloc(1, sizeof(*rf));
	char err[512];
	if (rf == NULL) {
		fputs("vigil replay: out of memory\n", stderr);
		return NULL;
	}
	rf->fc = fc;
	rf->quiet = quiet;
	fetch_plan_init(&rf->plan);
	fc->o.quiet = 0;
	if (fetch_cli_plan(fc, "replay", collectors, &rf->plan) < 0) {
		replay_fetch_free(rf);
		return NULL;
	}
	if (!quiet)
		for (unsigned i = 0; i < rf->plan.nnotes; i++)
			fprintf(stderr, "vigil replay: %s\n", rf->plan.notes[i]);
	size_t n = rf->plan.nitems;
	rf->paths = calloc(n + 1, sizeof(*rf->paths));
	rf->colls = calloc(n + 1, sizeof(*rf->colls));
	rf->times = calloc(n + 1, sizeof(*rf->times));
	rf->idx = calloc(n + 1, sizeof(*rf->idx));
	if (!rf->paths || !rf->colls || !rf->times || !rf->idx) {
		fputs("vigil replay: out of memory\n", stderr);
		replay_fetch_free(rf);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct fetch_item *it = &rf->plan.items[i];
		rf->paths[rf->nfiles] = it->path;
		rf->colls[rf->nfiles] = it->collector;
		rf->times[rf->nfiles] = it->time;
		rf->idx[rf->nfiles++] = i;
	}
	if (!quiet)
		fprintf(stderr, "vigil replay: %zu archive file%s to read from "
		        "%s (downloading into %s)\n", rf->nfiles,
		        rf->nfiles == 1 ? "" : "s", collectors, fc->o.cache);
	rf->f = fetcher_start(&rf->plan, &fc->o, err, sizeof(err));
	if (rf->f == NULL) {
		fprintf(stderr, "vigil replay: %s\n", err);
		replay_fetch_free(rf);
		return NULL;
	}
	return rf;
}

size_t
replay_fetch_files(struct replay_fetch *rf, char ***paths,
                   const char ***collectors, uint32_t **times)
{
	*paths = rf->paths;
	*collectors = rf->colls;
	*times = rf->times;
	return rf->nfiles;
}

int
replay_fetch_geo(struct replay_fetch *rf, struct geo_db *geo)
{
	int n = 0;
	for (unsigned i = 0; i < FETCH_NRIR; i++) {
		char path[FETCH_PATH_MAX], err[512];
		struct stat st;
		fetch_geo_path(rf->fc->o.cache, i, rf->fc->from, path,
		               sizeof(path));
		if (stat(path, &st) < 0)
			continue;
		if (geo_load(geo, path, err, sizeof(err)) < 0) {
			fprintf(stderr, "vigil replay: %s\n", err);
			return -1;
		}
		n++;
	}
	return n;
}

void
replay_fetch_attach(struct replay_fetch *rf, struct obs *ob)
{
	rf->ob = ob;
	for (size_t i = 0; i < rf->plan.ngaps; i++)
		obs_gap(ob, rf->plan.gaps[i].from, rf->plan.gaps[i].until);
}

int
replay_fetch_wait(struct replay_fetch *rf, const char *path)
{
	/* files are asked for in about plan order: look from the last one */
	for (size_t j = 0; j < rf->nfiles; j++) {
		size_t k = (rf->hint + j) % rf->nfiles;
		if (rf->paths[k] != path && strcmp(rf->paths[k], path) != 0)
			continue;
		rf->hint = k + 1;
		struct fetch_item *it = &rf->plan.items[rf->idx[k]];
		enum fetch_state s = fetcher_state(rf->f, rf->idx[k]);
		if (!rf->quiet && s != FETCH_DONE && s != FETCH_CACHED &&
		    s != FETCH_MISSING && s != FETCH_FAILED)
			fprintf(stderr, "vigil replay: waiting for %s (%s)\n",
			        it->url, fetch_state_name(s));
		s = fetcher_wait(rf->f, rf->idx[k]);
		if (s == FETCH_DONE || s == FETCH_CACHED)
			return 0;
		rf->nmissing++;
		fprintf(stderr, "vigil replay: %s %s: %s\n",
		        fetch_state_name(s), it->url, it->err);
		if (it->kind == FETCH_UPDATES && item_gap(&rf->plan, it) == 0 &&
		    rf->ob) {
			uint32_t until = it->next_time > it->time
			                     ? it->next_time
			                     : it->time + it->interval;
			obs_gap(rf->ob, it->time, until);
		}
		return -1;
	}
	return 0; /* not one of ours */
}

int
replay_fetch_finish(struct replay_fetch *rf, struct vg_store *db, int quiet)
{
	int rc = 0;
	fetch_plan_sort(&rf->plan);
	for (size_t i = 0; i < rf->plan.ngaps; i++) {
		const struct fetch_gap *g = &rf->plan.gaps[i];
		if (!quiet)
			print_gap(stderr, g);
		if (db && store_put_gap(db, g->collector, g->from, g->until,
		                        g->reason) < 0) {
			fprintf(stderr, "vigil replay: database: %s\n",
			        store_error(db));
			rc = -1;
		}
	}
	if (!quiet)
		fprintf(stderr, "vigil replay: %zu file%s missing, %zu interval%s "
		        "without data (not evaluated by the detectors)\n",
		        rf->nmissing, rf->nmissing == 1 ? "" : "s",
		        rf->plan.ngaps, rf->plan.ngaps == 1 ? "" : "s");
	if (rc < 0)
		return -1;
	return rf->nmissing || rf->plan.ngaps ? 1 : 0;
}

void
replay_fetch_free(struct replay_fetch *rf)
{
	if (rf == NULL)
		return;
	fetcher_free(rf->f);
	fetch_plan_free(&rf->plan);
	free(rf->paths);
	free(rf->colls);
	free(rf->times);
	free(rf->idx);
	free(rf);
}
