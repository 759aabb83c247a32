/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil replay`: run MRT archives (RIB dumps and updates, any mix of
 * collectors) through the observatory, write signals and events to the
 * database and print the events found.
 *
 * Files are grouped by collector (named from the path: rrc00,
 * route-views2, ...; or --collector); each collector's files are read in
 * the order of their first record's time, and the collectors' element
 * streams are merged by time, so the observatory sees one time-ordered
 * stream whatever order the files were given in.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "query.h"
#include "vigil/alert.h"
#include "vigil/mrt.h"
#include "vigil/obs.h"
#include "vigil/store.h"

static const char replay_usage[] =
    "usage: vigil replay [OPTIONS] FILE...\n"
    "\n"
    "Replay MRT archives (RIB dumps and updates, RouteViews and RIPE RIS,\n"
    "any mix of collectors) through vigil's routing state and detectors.\n"
    "Signals (per entity and 5-minute bin) and events (outages,\n"
    "instability) go to a SQLite database; a summary of the events is\n"
    "printed at the end.\n"
    "\n"
    "Input:\n"
    "  FILE...                 MRT files, any compression; each collector's\n"
    "                          files are ordered by time and the collectors\n"
    "                          merged by time\n"
    "  --collector NAME        collector name for all files (default: from\n"
    "                          each path: rrcNN, route-views*, else the\n"
    "                          file's directory name)\n"
    "  --geo FILE              address space and AS -> country data (RIR\n"
    "                          delegated-*-extended files, CSV ranges, MMDB,\n"
    "                          asnames.json); repeatable, later files win\n"
    "                          for equal ranges\n"
    "\n"
    "Output:\n"
    "  --db FILE               database (default vigil.db; replaced)\n"
    "  --no-db                 do not write a database\n"
    "  -q, --quiet             no event summary, no progress\n"
    "  --json                  print events as JSON lines instead\n"
    "\n"
    "Routing state and visibility:\n"
    "  --full-feed-v4 N        routes a peer needs to be full-feed (400000)\n"
    "  --full-feed-v6 N        (10000)\n"
    "  --visible-ratio R       share of full-feed peer ASNs that must see a\n"
    "                          prefix for it to be visible (0.5)\n"
    "  --stale-grace SECONDS   after a session comes back, routes it has\n"
    "                          not re-announced by then are dropped (900)\n"
    "  --no-asn                do not track origin-AS entities\n"
    "\n"
    "Detection:\n"
    "  --bin SECONDS           time bin (300)\n"
    "  --window BINS           baseline window (288 = 24 h)\n"
    "  --warmup BINS           history needed before detecting (12)\n"
    "  --warning F             outage: fraction of the baseline lost (0.2)\n"
    "  --critical F            (0.5)\n"
    "  --min-bins N            bins a drop must last (2)\n"
    "  --inst-score Z          instability: robust z-score of a bin's\n"
    "                          unstable prefixes to flag it (3)\n"
    "  --inst-min N            instability: unstable prefixes per bin at\n"
    "                          least (2), and at least 25% of the entity's\n"
    "                          prefixes; 3 flagged bins make an episode\n"
    "\n";

static const char replay_usage_exit[] =
    "\n"
    "Exit status: 0 clean; 1 finished but some input was bad (reported on\n"
    "stderr); 2 usage error, unreadable input or database error.\n";

struct stream {
	char collector[32];
	char **files;
	uint32_t nfiles, next;
	vg_stream *s;
	struct mrt_reader *r;
	const struct vg_elem *cur;
	int in_dump;
	int done;
};

struct replay {
	struct stream *streams;
	uint32_t nstreams;
	struct vg_store *db;
	struct obs *ob;
	struct alert *alert;
	int quiet, json, bad, dberr;
	unsigned long problems_shown, problems;
	/* events, last state by id */
	struct vg_event *events;
	uint32_t nevents, capevents;
	char **names;
	uint64_t bytes_done, bytes_total;
	time_t last_progress;
	int tty;
};

/* ---- collector names --------------------------------------------------- */

/* rrc00, route-views2, route-views.jinx ... found in PATH, else the name of
 * the file's directory. */
static void
collector_of(const char *path, char *out, size_t len)
{
	const char *p;
	if ((p = strstr(path, "rrc")) != NULL && isdigit((unsigned char)p[3]) &&
	    isdigit((unsigned char)p[4])) {
		snprintf(out, len, "%.5s", p);
		return;
	}
	if ((p = strstr(path, "route-views")) != NULL) {
		size_t n = strcspn(p, "/");
		/* "route-views.jinx.updates.123" -> "route-views.jinx" */
		const char *u = strstr(p, ".updates");
		const char *b = strstr(p, ".rib");
		if (u && (size_t)(u - p) < n)
			n = (size_t)(u - p);
		if (b && (size_t)(b - p) < n)
			n = (size_t)(b - p);
		snprintf(out, len, "%.*s", (int)n, p);
		return;
	}
	const char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		const char *start = slash - 1;
		while (start > path && start[-1] != '/')
			start--;
		snprintf(out, len, "%.*s", (int)(slash - start), start);
		return;
	}
	snprintf(out, len, "default");
}

/* Time of the first record of PATH, 0 if none. */
static uint32_t
first_time(const char *path)
{
	char err[256];
	const struct mrt_record *rec;
	uint32_t t = 0;
	vg_stream *s = vg_stream_open(path, NULL, err, sizeof(err));
	if (s == NULL)
		return 0;
	struct mrt_reader *r = mrt_reader_new(s, path, NULL, NULL);
	if (r && mrt_reader_next_record(r, &rec) > 0)
		t = rec->time_sec;
	mrt_reader_free(r);
	vg_stream_close(s);
	return t;
}

struct file_key {
	char *path;
	uint32_t t;
};

static int
file_key_cmp(const void *a, const void *b)
{
	const struct file_key *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* ---- problems ---------------------------------------------------------- */

static void
on_problem(void *vctx, const struct mrt_problem *p)
{
	struct replay *rp = vctx;
	rp->problems++;
	if (p->err != VG_ERR_UNSUPPORTED)
		rp->bad = 1;
	if (rp->quiet || rp->problems_shown >= 20 || p->err == VG_ERR_UNSUPPORTED)
		return;
	rp->problems_shown++;
	if (rp->tty)
		fputc('\n', stderr);
	fprintf(stderr, "vigil: %s: record %llu at byte %llu: %s; %s\n",
	        p->file, (unsigned long long)p->record,
	        (unsigned long long)p->offset, p->msg,
	        vg_action_name((enum vg_action)p->action));
}

/* ---- sink -------------------------------------------------------------- */

static void
sink_signals(void *ctx, const struct vg_signal *s, size_t n)
{
	struct replay *rp = ctx;
	if (rp->db == NULL || rp->dberr)
		return;
	/* one transaction per bin: entities, events and signals together */
	if (store_put_signals(rp->db, s, n) < 0 || store_commit(rp->db) < 0 ||
	    store_begin(rp->db) < 0) {
		fprintf(stderr, "vigil replay: database: %s\n",
		        store_error(rp->db));
		rp->dberr = 1;
	}
}

static void
sink_event(void *ctx, const struct vg_event *ev)
{
	struct replay *rp = ctx;
	uint32_t i;

	alert_event(rp->alert, ev);
	if (rp->db && !rp->dberr && store_put_event(rp->db, ev) < 0) {
		fprintf(stderr, "vigil replay: database: %s\n",
		        store_error(rp->db));
		rp->dberr = 1;
	}
	for (i = 0; i < rp->nevents; i++)
		if (rp->events[i].id == ev->id)
			break;
	if (i == rp->nevents) {
		if (rp->nevents == rp->capevents) {
			uint32_t nc = rp->capevents ? rp->capevents * 2 : 64;
			struct vg_event *ne = realloc(rp->events, nc * sizeof(*ne));
			if (ne == NULL)
				return;
			rp->events = ne;
			rp->capevents = nc;
		}
		rp->nevents++;
	} else {
		free(rp->events[i].evidence);
	}
	rp->events[i] = *ev;
	rp->events[i].evidence = NULL;
	if (ev->n_evidence) {
		rp->events[i].evidence = malloc(ev->n_evidence * sizeof(*ev->evidence));
		if (rp->events[i].evidence)
			memcpy(rp->events[i].evidence, ev->evidence,
			       ev->n_evidence * sizeof(*ev->evidence));
		else
			rp->events[i].n_evidence = 0;
	}
}

static void
sink_entity(void *ctx, const struct vg_entity *e, const char *name)
{
	struct replay *rp = ctx;
	if (rp->db && !rp->dberr && store_put_entity(rp->db, e, name) < 0) {
		fprintf(stderr, "vigil replay: database: %s\n",
		        store_error(rp->db));
		rp->dberr = 1;
	}
}

/* ---- streams ----------------------------------------------------------- */

/* Advance stream S to its next element (opening files as needed). */
static int
stream_next(struct replay *rp, struct stream *s)
{
	char err[512];
	for (;;) {
		if (s->r == NULL) {
			if (s->next >= s->nfiles) {
				s->done = 1;
				s->cur = NULL;
				if (s->in_dump) {
					obs_dump_end(rp->ob, s->collector);
					s->in_dump = 0;
				}
				return 0;
			}
			const char *path = s->files[s->next++];
			s->s = vg_stream_open(path, NULL, err, sizeof(err));
			if (s->s == NULL) {
				fprintf(stderr, "vigil: %s\n", err);
				rp->bad = 2;
				continue;
			}
			s->r = mrt_reader_new(s->s, path, on_problem, rp);
			if (s->r == NULL)
				return -1;
		}
		int rc = mrt_reader_next_elem(s->r, &s->cur);
		if (rc > 0) {
			int rib = s->cur->type == VG_ELEM_RIB;
			if (rib && !s->in_dump) {
				obs_dump_begin(rp->ob, s->collector);
				s->in_dump = 1;
			} else if (!rib && s->in_dump) {
				obs_dump_end(rp->ob, s->collector);
				s->in_dump = 0;
			}
			return 1;
		}
		if (rc < 0)
			rp->bad = 2;
		rp->bytes_done += mrt_reader_stats(s->r)->bytes;
		mrt_reader_free(s->r);
		vg_stream_close(s->s);
		s->r = NULL;
		s->s = NULL;
		if (s->in_dump) {
			obs_dump_end(rp->ob, s->collector);
			s->in_dump = 0;
		}
	}
}

static void
progress(struct replay *rp, int force)
{
	time_t now = time(NULL);
	if (!rp->tty || rp->quiet || (!force && now == rp->last_progress))
		return;
	rp->last_progress = now;
	uint64_t done = rp->bytes_done;
	for (uint32_t i = 0; i < rp->nstreams; i++)
		if (rp->streams[i].s)
			done += vg_stream_raw_offset(rp->streams[i].s);
	double f = rp->bytes_total ? (double)done / rp->bytes_total : 0;
	if (f > 1)
		f = 1;
	int bar = (int)(f * 30);
	struct obs_stats st;
	obs_stats(rp->ob, &st);
	fprintf(stderr, "\r[%.*s%*s] %3.0f%% %llu elements, %llu events ",
	        bar, "##############################", 30 - bar, "", f * 100,
	        (unsigned long long)st.elems,
	        (unsigned long long)rp->nevents);
	fflush(stderr);
}

/* ---- summary ----------------------------------------------------------- */

static void
fmt_time(uint32_t t, char *buf, size_t len)
{
	time_t tt = t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}


static int
event_cmp(const void *a, const void *b)
{
	const struct vg_event *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	int c = vg_entity_cmp(&x->ent, &y->ent);
	if (c)
		return c;
	return x->kind - y->kind;
}

static void
print_evidence_summary(const struct vg_event *ev)
{
	uint32_t np = 0, printed = 0;
	for (uint32_t i = 0; i < ev->n_evidence; i++)
		if (ev->evidence[i].what == 'p')
			np++;
	if (ev->kind == VG_EVENT_OUTAGE)
		printf("    lost %u prefix%s", ev->n_evidence_total ? np : 0,
		       np == 1 ? "" : "es");
	else
		printf("    %u unstable prefix%s", np, np == 1 ? "" : "es");
	for (uint32_t i = 0; i < ev->n_evidence && printed < 4; i++) {
		if (ev->evidence[i].what != 'p')
			continue;
		printf("%s%s", printed ? ", " : ": ", ev->evidence[i].text);
		printed++;
	}
	if (np > printed)
		printf(", ...");
	printf("\n");
	int first = 1;
	for (uint32_t i = 0; i < ev->n_evidence; i++)
		if (ev->evidence[i].what == 'o') {
			printf("%sAS%u", first ? "    origins: " : " ",
			       ev->evidence[i].asn);
			first = 0;
		}
	if (!first)
		printf("\n");
	first = 1;
	for (uint32_t i = 0; i < ev->n_evidence; i++)
		if (ev->evidence[i].what == 'u') {
			printf("%sAS%u", first ? "    upstreams: " : " ",
			       ev->evidence[i].asn);
			first = 0;
		}
	if (!first)
		printf("\n");
	for (uint32_t i = 0; i < ev->n_evidence; i++)
		if (ev->evidence[i].what == 'p' && ev->evidence[i].path[0]) {
			printf("    sample path: %s\n", ev->evidence[i].path);
			break;
		}
}

static void
print_events(struct replay *rp)
{
	qsort(rp->events, rp->nevents, sizeof(*rp->events), event_cmp);
	if (rp->json) {
		/* the same objects as `vigil events --json` */
		for (uint32_t i = 0; i < rp->nevents; i++)
			query_json_event(stdout, &rp->events[i], NULL);
		return;
	}
	if (rp->nevents == 0) {
		printf("No events.\n");
		return;
	}
	printf("%u event%s:\n", rp->nevents, rp->nevents == 1 ? "" : "s");
	for (uint32_t i = 0; i < rp->nevents; i++) {
		const struct vg_event *ev = &rp->events[i];
		char ent[VG_ENTITY_STRLEN], t0[32], t1[32], dur[32];
		vg_entity_fmt(&ev->ent, ent);
		fmt_time(ev->start, t0, sizeof(t0));
		if (ev->end) {
			fmt_time(ev->end, t1, sizeof(t1));
			query_dur(ev->end - ev->start, dur, sizeof(dur));
		} else {
			snprintf(t1, sizeof(t1), "(ongoing)");
			snprintf(dur, sizeof(dur), "-");
		}
		if (ev->kind == VG_EVENT_OUTAGE)
			printf("%s  %-20s %-8s %s outage: %.0f%% of %.0f /24s "
			       "lost (to %.0f), until %s (%s), severity %.2f\n",
			       t0, ent, vg_event_level_name(ev->level),
			       ev->level == VG_LEVEL_CRITICAL ? "" : "",
			       ev->depth * 100, ev->baseline, ev->bottom, t1, dur,
			       ev->severity);
		else
			printf("%s  %-20s %-8s instability: peak score %.1f, "
			       "%.0f events/bin at peak (baseline %.0f), until "
			       "%s (%s)\n",
			       t0, ent, vg_event_level_name(ev->level), ev->depth,
			       ev->bottom, ev->baseline, t1, dur);
		print_evidence_summary(ev);
	}
}

/* ---- main -------------------------------------------------------------- */

enum {
	O_COLLECTOR = 256,
	O_GEO,
	O_DB,
	O_NODB,
	O_JSON,
	O_FF4,
	O_FF6,
	O_VISRATIO,
	O_GRACE,
	O_NOASN,
	O_BIN,
	O_WINDOW,
	O_WARMUP,
	O_WARN,
	O_CRIT,
	O_MINBINS,
	O_ISCORE,
	O_IMIN,
	O_ALERT,
};

int
cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"collector", required_argument, NULL, O_COLLECTOR},
	    {"geo", required_argument, NULL, O_GEO},
	    {"db", required_argument, NULL, O_DB},
	    {"no-db", no_argument, NULL, O_NODB},
	    {"json", no_argument, NULL, O_JSON},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"full-feed-v4", required_argument, NULL, O_FF4},
	    {"full-feed-v6", required_argument, NULL, O_FF6},
	    {"visible-ratio", required_argument, NULL, O_VISRATIO},
	    {"stale-grace", required_argument, NULL, O_GRACE},
	    {"no-asn", no_argument, NULL, O_NOASN},
	    {"bin", required_argument, NULL, O_BIN},
	    {"window", required_argument, NULL, O_WINDOW},
	    {"warmup", required_argument, NULL, O_WARMUP},
	    {"warning", required_argument, NULL, O_WARN},
	    {"critical", required_argument, NULL, O_CRIT},
	    {"min-bins", required_argument, NULL, O_MINBINS},
	    {"inst-score", required_argument, NULL, O_ISCORE},
	    {"inst-min", required_argument, NULL, O_IMIN},
	    ALERT_LONGOPTS(O_ALERT),
	    {NULL, 0, NULL, 0},
	};
	struct replay rp;
	struct obs_opts oo;
	const char *collector = NULL, *dbpath = "vigil.db";
	const char *geos[64];
	unsigned ngeo = 0;
	int nodb = 0, c, status = EXIT_CLEAN;
	char err[512];
	struct geo_db *geo = NULL;
	struct alert_opts ao;
	int li = 0;

	memset(&rp, 0, sizeof(rp));
	obs_opts_default(&oo);
	alert_opts_default(&ao);
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, &li)) != -1) {
		switch (c) {
		case O_COLLECTOR:
			collector = optarg;
			break;
		case O_GEO:
			if (ngeo < 64)
				geos[ngeo++] = optarg;
			break;
		case O_DB:
			dbpath = optarg;
			break;
		case O_NODB:
			nodb = 1;
			break;
		case O_JSON:
			rp.json = 1;
			break;
		case 'q':
			rp.quiet = 1;
			break;
		case 'h':
			fputs(replay_usage, stdout);
			fputs(alert_usage, stdout);
			fputs(replay_usage_exit, stdout);
			return EXIT_CLEAN;
		case O_FF4:
			oo.rib.full_v4 = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_FF6:
			oo.rib.full_v6 = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_VISRATIO:
			oo.rib.visible_ratio = atof(optarg);
			break;
		case O_GRACE:
			oo.rib.stale_grace = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_NOASN:
			oo.asn_entities = 0;
			break;
		case O_BIN:
			oo.bin_len = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_WINDOW:
			oo.window_bins = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_WARMUP:
			oo.warmup_bins = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_WARN:
			oo.outage_warning = atof(optarg);
			break;
		case O_CRIT:
			oo.outage_critical = atof(optarg);
			break;
		case O_MINBINS:
			oo.min_bins = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_ISCORE:
			oo.inst_score = atof(optarg);
			break;
		case O_IMIN:
			oo.inst_min = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_ALERT:
			if (alert_opts_parse(&ao, longopts[li].name, optarg) < 0) {
				fprintf(stderr, "vigil replay: %s\n", ao.err);
				return EXIT_USAGE;
			}
			break;
		default:
			fputs("Try `vigil replay --help`.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("vigil replay: no input files\nTry `vigil replay --help`.\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (oo.bin_len < 10 || oo.window_bins < 2 || oo.window_bins > 4096 ||
	    oo.outage_warning <= 0 || oo.outage_warning >= 1 ||
	    oo.outage_critical < oo.outage_warning || oo.outage_critical > 1 ||
	    oo.rib.visible_ratio <= 0 || oo.rib.visible_ratio > 1 ||
	    oo.min_bins < 1) {
		fputs("vigil replay: an option value is out of range (see "
		      "--help)\n", stderr);
		return EXIT_USAGE;
	}
	rp.tty = isatty(STDERR_FILENO);

	/* geography */
	geo = geo_db_new();
	if (geo == NULL) {
		fputs("vigil: out of memory\n", stderr);
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < ngeo; i++) {
		if (geo_load(geo, geos[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "vigil replay: %s\n", err);
			geo_db_free(geo);
			return EXIT_USAGE;
		}
	}
	if (geo_db_finish(geo) < 0) {
		fputs("vigil: out of memory\n", stderr);
		geo_db_free(geo);
		return EXIT_USAGE;
	}
	if (alert_opts_any(&ao)) {
		ao.geo = geo;
		ao.tag = "vigil-replay";
		if ((rp.alert = alert_new(&ao, err, sizeof(err))) == NULL) {
			fprintf(stderr, "vigil replay: %s\n", err);
			geo_db_free(geo);
			return EXIT_USAGE;
		}
	}
	if (ngeo == 0 && !rp.quiet)
		fputs("vigil replay: no --geo data: countries and upstreams "
		      "cannot be told, only origin ASes are watched\n", stderr);

	/* group files by collector, order each group by time */
	uint32_t nfiles = (uint32_t)(argc - optind);
	struct file_key *keys = calloc(nfiles, sizeof(*keys));
	char (*colls)[32] = calloc(nfiles, 32);
	rp.streams = calloc(nfiles, sizeof(*rp.streams));
	if (!keys || !colls || !rp.streams) {
		fputs("vigil: out of memory\n", stderr);
		return EXIT_USAGE;
	}
	for (uint32_t i = 0; i < nfiles; i++) {
		char *path = argv[optind + i];
		FILE *f = fopen(path, "rb");
		if (f == NULL) {
			fprintf(stderr, "vigil replay: cannot open %s: %m\n", path);
			status = EXIT_USAGE;
			continue;
		}
		fseek(f, 0, SEEK_END);
		long sz = ftell(f);
		fclose(f);
		if (sz > 0)
			rp.bytes_total += (uint64_t)sz;
		keys[i].path = path;
		keys[i].t = first_time(path);
		if (collector)
			snprintf(colls[i], 32, "%s", collector);
		else
			collector_of(path, colls[i], 32);
	}
	for (uint32_t i = 0; i < nfiles; i++) {
		if (keys[i].path == NULL)
			continue;
		uint32_t s;
		for (s = 0; s < rp.nstreams; s++)
			if (strcmp(rp.streams[s].collector, colls[i]) == 0)
				break;
		if (s == rp.nstreams) {
			snprintf(rp.streams[s].collector, 32, "%s", colls[i]);
			rp.streams[s].files = calloc(nfiles, sizeof(char *));
			rp.nstreams++;
		}
		rp.streams[s].files[rp.streams[s].nfiles++] = (char *)&keys[i];
	}
	for (uint32_t s = 0; s < rp.nstreams; s++) {
		struct stream *st = &rp.streams[s];
		struct file_key *tmp = calloc(st->nfiles, sizeof(*tmp));
		for (uint32_t k = 0; k < st->nfiles; k++)
			tmp[k] = *(struct file_key *)st->files[k];
		qsort(tmp, st->nfiles, sizeof(*tmp), file_key_cmp);
		for (uint32_t k = 0; k < st->nfiles; k++)
			st->files[k] = tmp[k].path;
		free(tmp);
	}

	/* database */
	if (!nodb) {
		unlink(dbpath);
		char wal[4096];
		snprintf(wal, sizeof(wal), "%s-wal", dbpath);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", dbpath);
		unlink(wal);
		rp.db = store_open(dbpath, STORE_CREATE, err, sizeof(err));
		if (rp.db == NULL) {
			fprintf(stderr, "vigil replay: %s\n", err);
			return EXIT_USAGE;
		}
		char v[64];
		snprintf(v, sizeof(v), "%u", oo.bin_len);
		store_set_meta(rp.db, "bin_len", v);
		store_set_meta(rp.db, "source", "replay");
	}

	if (rp.db && store_begin(rp.db) < 0) {
		fprintf(stderr, "vigil replay: database: %s\n", store_error(rp.db));
		return EXIT_USAGE;
	}
	struct obs_sink sink = {&rp, sink_signals, sink_event, sink_entity};
	rp.ob = obs_new(&oo, geo, &sink);
	if (rp.ob == NULL) {
		fputs("vigil: out of memory\n", stderr);
		return EXIT_USAGE;
	}

	/* merge the collectors' streams by time */
	for (uint32_t s = 0; s < rp.nstreams; s++)
		if (stream_next(&rp, &rp.streams[s]) < 0)
			status = EXIT_USAGE;
	for (;;) {
		struct stream *best = NULL;
		for (uint32_t s = 0; s < rp.nstreams; s++) {
			struct stream *st = &rp.streams[s];
			if (st->cur && (best == NULL ||
			                st->cur->time_sec < best->cur->time_sec))
				best = st;
		}
		if (best == NULL)
			break;
		if (obs_elem(rp.ob, best->collector, best->cur) < 0) {
			fputs("vigil replay: out of memory\n", stderr);
			status = EXIT_USAGE;
			break;
		}
		if (stream_next(&rp, best) < 0) {
			status = EXIT_USAGE;
			break;
		}
		if (rp.tty)
			progress(&rp, 0);
	}
	obs_finish(rp.ob);
	progress(&rp, 1);
	/* deliver what is queued (bounded by --alert-flush) before printing,
	 * so JSON lines on stdout do not mix with the summary */
	alert_free(rp.alert);
	rp.alert = NULL;
	if (rp.tty && !rp.quiet)
		fputc('\n', stderr);

	/* peers into the database, in the transaction still open */
	if (rp.db && !rp.dberr) {
		struct rib *rib = obs_rib(rp.ob);
		for (unsigned i = 0; i < rib_npeers(rib); i++) {
			const struct rib_peer *p = rib_peer(rib, i);
			struct store_peer sp;
			memset(&sp, 0, sizeof(sp));
			snprintf(sp.collector, sizeof(sp.collector), "%s",
			         p->collector);
			sp.addr = p->addr;
			sp.asn = p->asn;
			sp.v4_routes = p->n_v4;
			sp.v6_routes = p->n_v6;
			sp.full_v4 = p->full_v4;
			sp.full_v6 = p->full_v6;
			sp.up = p->up;
			sp.last_change = p->last_change;
			store_put_peer(rp.db, &sp);
		}
		store_commit(rp.db);
	}

	if (!rp.quiet || rp.json)
		print_events(&rp);
	if (!rp.quiet) {
		struct obs_stats st;
		struct rusage ru;
		obs_stats(rp.ob, &st);
		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr,
		        "vigil replay: %llu elements, %u peers, %llu prefixes, "
		        "%llu routes (%.1f bytes/route), %llu paths, %llu "
		        "entities, %llu bins, %u events, %lu input problems, "
		        "peak RSS %ld MB\n",
		        (unsigned long long)st.elems, rib_npeers(obs_rib(rp.ob)),
		        (unsigned long long)st.rib.prefixes,
		        (unsigned long long)st.rib.routes,
		        st.rib.routes ? (double)(st.rib.bytes_routes +
		                                 st.rib.bytes_prefixes +
		                                 st.rib.bytes_index +
		                                 st.rib.bytes_paths) /
		                            st.rib.routes
		                      : 0.0,
		        (unsigned long long)st.rib.paths,
		        (unsigned long long)st.entities,
		        (unsigned long long)st.bins, rp.nevents, rp.problems,
		        ru.ru_maxrss / 1024);
	}
	if (rp.dberr || rp.bad == 2)
		status = EXIT_USAGE;
	else if (rp.bad && status == EXIT_CLEAN)
		status = EXIT_PROBLEMS;

	obs_free(rp.ob);
	if (rp.db)
		store_close(rp.db);
	geo_db_free(geo);
	for (uint32_t i = 0; i < rp.nevents; i++)
		free(rp.events[i].evidence);
	free(rp.events);
	for (uint32_t s = 0; s < rp.nstreams; s++)
		free(rp.streams[s].files);
	free(rp.streams);
	free(keys);
	free(colls);
	return status;
}
