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
#include "fetch_cli.h"
#include "query.h"
#include "vigil/alert.h"
#include "vigil/mrt.h"
#include "vigil/obs.h"
#include "vigil/partial.h"
#include "vigil/store.h"
#include "vigil/vec.h"
#include "vigil/store.h"

static const char replay_usage[] =
    "usage: vigil replay [OPTIONS] FILE...\n"
    "       vigil replay [OPTIONS] --collector LIST --from TIME --until TIME\n"
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
    "\n"
    "Input from the archives (instead of FILEs; see `vigil fetch --help`):\n"
    "the files are downloaded into the cache and replayed while later ones\n"
    "still download; intervals without data (files missing from the\n"
    "archive) are reported, stored in the database (table gaps) and not\n"
    "evaluated by the detectors.  Without --geo, the RIR delegation files\n"
    "of the start date in the cache (`vigil fetch --geo`) are used.\n";
/* then fetch_cli_help, then: */
static const char replay_usage2[] =
    "  --geo FILE              address space and AS -> country data (RIR\n"
    "                          delegated-*-extended files, CSV ranges, MMDB,\n"
    "                          asnames.json); repeatable, later files win\n"
    "                          for equal ranges\n"
    "\n"
    "Splitting the work by collector (docs/partials.md):\n"
    "  --partial FILE          instead of a database, write the run's\n"
    "                          per-bin partial counts to FILE (one process\n"
    "                          per collector or group of collectors; every\n"
    "                          run with the same options and --geo, and\n"
    "                          over the same time span)\n"
    "  --merge                 the FILEs are partial files: union them bin\n"
    "                          by bin and run the detectors; signals and\n"
    "                          events are exactly those of one process\n"
    "                          reading every collector's MRT files.  The\n"
    "                          routing options come from the partials;\n"
    "                          give the same --geo\n"
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
    "  --eager                 run every entity's detectors in every bin,\n"
    "                          and re-derive every prefix when the full-feed\n"
    "                          peers change; by default an idle entity\n"
    "                          (nothing changed, no event open or pending,\n"
    "                          a flat history) is skipped and its detectors\n"
    "                          caught up when it changes or on the hour,\n"
    "                          and a prefix whose routes did not change only\n"
    "                          gets its visibility and sample route again,\n"
    "                          with the same results.  Slower; for checking\n"
    "                          that\n"
    "  --no-lookahead          apply each element before reading the next;\n"
    "                          by default a few route elements wait while\n"
    "                          the memory they will touch is fetched, with\n"
    "                          the same results.  Slower; for checking that\n"
    "\n";

static const char replay_usage_exit[] =
    "\n"
    "Exit status: 0 clean; 1 finished but some input was bad (reported on\n"
    "stderr) or missing from the archive; 2 usage error, unreadable input\n"
    "or database error.\n";

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
	struct replay_fetch *rf; /* --collector --from --until: the download */
	uint32_t now; /* time of the element being applied */
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

/* The metrics snapshot of contract D (served by `vigil serve` at /metrics)
 * into the meta key "metrics", in the bin's transaction.  Detection lag is
 * in the data's own time: how far past the end of the bin the element that
 * closed it was. */
static int
put_metrics(struct replay *rp, const struct vg_signal *s, size_t n)
{
	struct obs_stats st;
	struct rib *rib = obs_rib(rp->ob);
	unsigned up = 0, open = 0;
	uint32_t end = n ? s[0].bin_start + s[0].bin_len : 0;
	char buf[2048];

	obs_stats(rp->ob, &st);
	for (unsigned i = 0; i < rib_npeers(rib); i++)
		up += rib_peer(rib, i)->up != 0;
	for (uint32_t i = 0; i < rp->nevents; i++)
		open += rp->events[i].end == 0;
	snprintf(buf, sizeof(buf),
	         "# vigil replay, bin %u\n"
	         "# TYPE vigil_elements_total counter\n"
	         "vigil_elements_total %llu\n"
	         "# TYPE vigil_peers_up gauge\nvigil_peers_up %u\n"
	         "# TYPE vigil_routes gauge\nvigil_routes %llu\n"
	         "# TYPE vigil_memory_bytes gauge\n"
	         "vigil_memory_bytes{subsystem=\"rib\"} %llu\n"
	         "vigil_memory_bytes{subsystem=\"obs\"} %llu\n"
	         "vigil_memory_bytes{subsystem=\"queue\"} 0\n"
	         "# TYPE vigil_queue_depth gauge\nvigil_queue_depth 0\n"
	         "# TYPE vigil_queue_overflows_total counter\n"
	         "vigil_queue_overflows_total 0\n"
	         "# TYPE vigil_events_open gauge\nvigil_events_open %u\n"
	         "# TYPE vigil_detection_lag_seconds gauge\n"
	         "vigil_detection_lag_seconds %u\n",
	         n ? s[0].bin_start : 0, (unsigned long long)st.elems, up,
	         (unsigned long long)st.rib.routes,
	         (unsigned long long)(st.rib.bytes_routes +
	                              st.rib.bytes_prefixes +
	                              st.rib.bytes_index + st.rib.bytes_paths),
	         (unsigned long long)st.bytes_obs, open,
	         rp->now > end ? rp->now - end : 0);
	return store_set_meta(rp->db, "metrics", buf);
}

static void
sink_signals(void *ctx, const struct vg_signal *s, size_t n)
{
	struct replay *rp = ctx;
	if (rp->db == NULL || rp->dberr)
		return;
	/* one transaction per bin: entities, events and signals together */
	if (store_put_signals(rp->db, s, n) < 0 || put_metrics(rp, s, n) < 0 ||
	    store_commit(rp->db) < 0 ||
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
			if (rp->rf && replay_fetch_wait(rp->rf, path) < 0)
				continue; /* missing: a gap, reported */
			s->s = vg_stream_open(path, NULL, err, sizeof(err));
			if (s->s == NULL) {
				fprintf(stderr, "vigil: %s\n", err);
				rp->bad = 2;
				continue;
			}
			s->r = mrt_reader_new(s->s, path, on_problem, rp);
			if (s->r == NULL)
				return -1;
			/* as the live collector does (RFC 4724 End-of-RIB) */
			mrt_reader_set_eor(s->r, 1);
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
	if (rp->nevents) /* events is NULL when there are none */
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
	O_EAGER,
	O_NOLOOKAHEAD,
	O_ALERT,
	O_PARTIAL,
	O_MERGE,
};

/* ---- merging partial files --------------------------------------------- */

struct mpeer_key {
	char collector[32];
	struct vg_addr addr;
	uint32_t asn;
};

struct mfile {
	FILE *f;
	struct vgp_reader *r;
	const char *path;
	struct vgp_hdr h;
	uint32_t next_bin; /* the BIN record read ahead */
	int more;          /* a BIN is pending */
	struct mpeer_key *peers;
	uint32_t cap_peers;
};

static int
hdr_same(const struct vgp_hdr *a, const struct vgp_hdr *b)
{
	return a->bin_len == b->bin_len && a->full_v4 == b->full_v4 &&
	       a->full_v6 == b->full_v6 && a->stale_grace == b->stale_grace &&
	       a->visible_ratio == b->visible_ratio &&
	       a->min_len_v4 == b->min_len_v4 &&
	       a->min_len_v6 == b->min_len_v6 &&
	       a->asn_entities == b->asn_entities;
}

/* Read partial M up to its next BIN record (or its end), handing every
 * record to the observatory.  0, or -1 with the reason printed. */
static int
merge_until_bin(struct replay *rp, struct mfile *m, unsigned part)
{
	struct vgp_rec r;
	int rc;
	m->more = 0;
	while ((rc = vgp_next(m->r, &r)) > 0) {
		if (r.type == VGP_BIN) {
			m->next_bin = r.bin_start;
			m->more = 1;
			return 0;
		}
		if (r.type == VGP_PEER) {
			if (r.peer >= m->cap_peers &&
			    vg_grow((void **)&m->peers, &m->cap_peers,
			            r.peer + 1u, sizeof(*m->peers)) < 0)
				goto oom;
			snprintf(m->peers[r.peer].collector, 32, "%s",
			         r.collector);
			m->peers[r.peer].addr = r.addr;
			m->peers[r.peer].asn = r.asn;
		}
		if (r.type == VGP_PEERSTATE) {
			if (r.peer >= m->cap_peers ||
			    m->peers[r.peer].collector[0] == '\0') {
				fprintf(stderr, "vigil replay: %s: state of "
				        "peer %u, which was never introduced\n",
				        m->path, r.peer);
				return -1;
			}
			if (rp->db && !rp->dberr) {
				struct store_peer sp;
				memset(&sp, 0, sizeof(sp));
				snprintf(sp.collector, sizeof(sp.collector), "%s",
				         m->peers[r.peer].collector);
				sp.addr = m->peers[r.peer].addr;
				sp.asn = m->peers[r.peer].asn;
				sp.v4_routes = r.n_v4;
				sp.v6_routes = r.n_v6;
				sp.full_v4 = r.full_v4;
				sp.full_v6 = r.full_v6;
				sp.up = r.up;
				sp.last_change = r.last_change;
				store_put_peer(rp->db, &sp);
			}
			continue;
		}
		int e = obs_merge_rec(rp->ob, part, &r);
		if (e == -1)
			goto oom;
		if (e < 0) {
			fprintf(stderr, "vigil replay: %s: inconsistent record "
			        "(type %u): a sample route of a peer never "
			        "introduced, or a malformed path\n",
			        m->path, r.type);
			return -1;
		}
	}
	if (rc < 0) {
		fprintf(stderr, "vigil replay: %s\n", vgp_reader_error(m->r));
		return -1;
	}
	return 0;
oom:
	fputs("vigil replay: out of memory\n", stderr);
	return -1;
}

/* `vigil replay --merge`: the partial files FILES[0..N) into RP->ob. */
static int
merge_run(struct replay *rp, struct mfile *mf, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (merge_until_bin(rp, &mf[i], i) < 0)
			return -1;
	for (;;) {
		uint32_t t = UINT32_MAX;
		for (uint32_t i = 0; i < n; i++)
			if (mf[i].more && mf[i].next_bin < t)
				t = mf[i].next_bin;
		if (t == UINT32_MAX)
			break;
		if (obs_merge_bin(rp->ob, t) < 0) {
			fprintf(stderr, "vigil replay: partial bins out of order "
			        "or misaligned, or a gap of over a year, at %u\n", t);
			return -1;
		}
		for (uint32_t i = 0; i < n; i++)
			if (mf[i].more && mf[i].next_bin == t &&
			    merge_until_bin(rp, &mf[i], i) < 0)
				return -1;
	}
	obs_finish(rp->ob);
	return 0;
}

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
	    {"eager", no_argument, NULL, O_EAGER},
	    {"no-lookahead", no_argument, NULL, O_NOLOOKAHEAD},
	    ALERT_LONGOPTS(O_ALERT),
	    {"partial", required_argument, NULL, O_PARTIAL},
	    {"merge", no_argument, NULL, O_MERGE},
	    FETCH_CLI_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct replay rp;
	struct obs_opts oo;
	const char *collector = NULL, *dbpath = "vigil.db";
	const char *geos[64];
	unsigned ngeo = 0;
	int nodb = 0, c, status = EXIT_CLEAN, merge = 0, lookahead = 1;
	const char *partial = NULL;
	FILE *pf = NULL;
	struct vgp_writer *pw = NULL;
	struct mfile *mf = NULL;
	uint32_t nmf = 0;
	struct file_key *keys = NULL;
	char (*colls)[32] = NULL;
	char err[512];
	struct geo_db *geo = NULL;
	struct alert_opts ao;
	int li = 0;
	struct fetch_cli fc;

	memset(&rp, 0, sizeof(rp));
	fetch_cli_init(&fc);
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
			fputs(fetch_cli_help, stdout);
			fputs(replay_usage2, stdout);
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
		case O_EAGER:
			oo.eager = 1;
			break;
		case O_NOLOOKAHEAD:
			lookahead = 0;
			break;
		case O_ALERT:
			if (alert_opts_parse(&ao, longopts[li].name, optarg) < 0) {
				fprintf(stderr, "vigil replay: %s\n", ao.err);
				return EXIT_USAGE;
			}
			break;
		case O_PARTIAL:
			partial = optarg;
			break;
		case O_MERGE:
			merge = 1;
			break;
		default:
			if ((c = fetch_cli_opt(&fc, "replay", c, optarg)) == 0)
				break;
			if (c == -1)
				fputs("Try `vigil replay --help`.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc && !(fc.have_from && collector)) {
		fputs("vigil replay: no input files\nTry `vigil replay --help`.\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (optind < argc && (fc.have_from || fc.have_until)) {
		fputs("vigil replay: --from/--until choose archive files to "
		      "fetch; give them or FILEs, not both\n", stderr);
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
	if (partial && merge) {
		fputs("vigil replay: --partial and --merge exclude each other\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (partial)
		nodb = 1;
	if (merge && optind >= argc) {
		fputs("vigil replay: --merge needs the partial files\n", stderr);
		return EXIT_USAGE;
	}
	if (merge) {
		nmf = (uint32_t)(argc - optind);
		mf = calloc(nmf, sizeof(*mf));
		if (mf == NULL) {
			fputs("vigil: out of memory\n", stderr);
			return EXIT_USAGE;
		}
		for (uint32_t i = 0; i < nmf; i++) {
			mf[i].path = argv[optind + i];
			mf[i].f = fopen(mf[i].path, "rb");
			if (mf[i].f == NULL) {
				fprintf(stderr, "vigil replay: cannot open %s: %m\n",
				        mf[i].path);
				status = EXIT_USAGE;
				goto merge_out;
			}
			mf[i].r = vgp_reader_new(mf[i].f, mf[i].path, &mf[i].h,
			                         err, sizeof(err));
			if (mf[i].r == NULL) {
				fprintf(stderr, "vigil replay: %s\n", err);
				status = EXIT_USAGE;
				goto merge_out;
			}
			if (!hdr_same(&mf[i].h, &mf[0].h)) {
				fprintf(stderr, "vigil replay: %s was made with "
				        "other options than %s (bin length, "
				        "full-feed, visibility, grace)\n",
				        mf[i].path, mf[0].path);
				status = EXIT_USAGE;
				goto merge_out;
			}
		}
		oo.bin_len = mf[0].h.bin_len;
		oo.rib.full_v4 = mf[0].h.full_v4;
		oo.rib.full_v6 = mf[0].h.full_v6;
		oo.rib.stale_grace = mf[0].h.stale_grace;
		oo.rib.visible_ratio = mf[0].h.visible_ratio;
		oo.min_len_v4 = mf[0].h.min_len_v4;
		oo.min_len_v6 = mf[0].h.min_len_v6;
		oo.asn_entities = mf[0].h.asn_entities;
		if (oo.bin_len < 10) {
			fputs("vigil replay: a partial's bin length is out of "
			      "range\n", stderr);
			status = EXIT_USAGE;
			goto merge_out;
		}
	}
	rp.tty = isatty(STDERR_FILENO);
	if (optind >= argc) {
		/* --collector LIST --from --until: from the archives */
		rp.rf = replay_fetch_start(&fc, collector, rp.quiet);
		if (rp.rf == NULL)
			return EXIT_USAGE;
	}

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
	if (ngeo == 0 && rp.rf) {
		int n = replay_fetch_geo(rp.rf, geo);
		if (n < 0) {
			replay_fetch_free(rp.rf);
			geo_db_free(geo);
			return EXIT_USAGE;
		}
		ngeo = (unsigned)n;
		if (n && !rp.quiet)
			fprintf(stderr, "vigil replay: geography from %d cached "
			        "RIR delegation file%s of the start date\n", n,
			        n == 1 ? "" : "s");
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
	uint32_t nfiles = merge ? 0 : (uint32_t)(argc - optind);
	char **inputs = argv + optind;
	const char **rf_colls = NULL;
	uint32_t *rf_times = NULL;
	if (rp.rf)
		nfiles = (uint32_t)replay_fetch_files(rp.rf, &inputs, &rf_colls,
		                                      &rf_times);
	keys = calloc(nfiles + 1, sizeof(*keys));
	colls = calloc(nfiles + 1, 32);
	rp.streams = calloc(nfiles + 1, sizeof(*rp.streams));
	if (!keys || !colls || !rp.streams) {
		fputs("vigil: out of memory\n", stderr);
		return EXIT_USAGE;
	}
	for (uint32_t i = 0; i < nfiles; i++) {
		char *path = inputs[i];
		if (rp.rf) {
			/* not downloaded yet: the plan's order and names */
			keys[i].path = path;
			keys[i].t = rf_times[i];
			snprintf(colls[i], 32, "%s", rf_colls[i]);
			continue;
		}
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
		store_set_meta(rp.db, "source", merge ? "merge" : "replay");
	}

	if (rp.db && store_begin(rp.db) < 0) {
		fprintf(stderr, "vigil replay: database: %s\n", store_error(rp.db));
		return EXIT_USAGE;
	}
	struct obs_sink sink = {&rp, sink_signals, sink_event, sink_entity};
	rp.ob = obs_new(&oo, geo, &sink);
	if (rp.ob == NULL || (lookahead && obs_set_lookahead(rp.ob, 1) < 0)) {
		fputs("vigil: out of memory\n", stderr);
		return EXIT_USAGE;
	}
	if (partial) {
		struct vgp_hdr h;
		pf = strcmp(partial, "-") == 0 ? stdout : fopen(partial, "wb");
		if (pf == NULL) {
			fprintf(stderr, "vigil replay: cannot create %s: %m\n",
			        partial);
			return EXIT_USAGE;
		}
		obs_partial_hdr(rp.ob, &h);
		pw = vgp_writer_new(pf, &h);
		if (pw == NULL || obs_set_partial(rp.ob, pw) < 0) {
			fputs("vigil: out of memory\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (merge) {
		if (obs_set_merge(rp.ob, nmf) < 0) {
			fputs("vigil: out of memory\n", stderr);
			return EXIT_USAGE;
		}
		if (merge_run(&rp, mf, nmf) < 0)
			status = EXIT_USAGE;
		if (rp.db && !rp.dberr)
			store_commit(rp.db);
		if (status == EXIT_CLEAN && (!rp.quiet || rp.json))
			print_events(&rp);
		if (!rp.quiet && status == EXIT_CLEAN) {
			struct obs_stats st;
			struct rusage ru;
			obs_stats(rp.ob, &st);
			getrusage(RUSAGE_SELF, &ru);
			fprintf(stderr,
			        "vigil replay: merged %u partials: %llu prefixes, "
			        "%llu entities, %llu bins, %u events, peak RSS "
			        "%ld MB\n",
			        nmf, (unsigned long long)st.rib.prefixes,
			        (unsigned long long)st.entities,
			        (unsigned long long)st.bins, rp.nevents,
			        ru.ru_maxrss / 1024);
		}
		if (rp.dberr)
			status = EXIT_USAGE;
		goto merge_out;
	}
	if (rp.rf)
		replay_fetch_attach(rp.rf, rp.ob);

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
		rp.now = best->cur->time_sec;
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
	if (pw) {
		/* the peers' final state, then the end mark */
		struct rib *rib = obs_rib(rp.ob);
		for (unsigned i = 0; i < rib_npeers(rib); i++) {
			const struct rib_peer *p = rib_peer(rib, i);
			struct vgp_rec r;
			memset(&r, 0, sizeof(r));
			r.type = VGP_PEERSTATE;
			r.peer = (uint16_t)i;
			r.n_v4 = p->n_v4;
			r.n_v6 = p->n_v6;
			r.full_v4 = p->full_v4;
			r.full_v6 = p->full_v6;
			r.up = p->up;
			r.last_change = p->last_change;
			vgp_write(pw, &r);
		}
		if (vgp_writer_finish(pw) < 0 || obs_partial_error(rp.ob) ||
		    (pf != stdout && fclose(pf) != 0)) {
			fprintf(stderr, "vigil replay: cannot write %s\n",
			        partial);
			status = EXIT_USAGE;
		}
		pf = NULL;
		vgp_writer_free(pw);
		pw = NULL;
	}
	progress(&rp, 1);
	/* deliver what is queued (bounded by --alert-flush) before printing,
	 * so JSON lines on stdout do not mix with the summary */
	alert_free(rp.alert);
	rp.alert = NULL;
	if (rp.tty && !rp.quiet)
		fputc('\n', stderr);

	if (rp.rf) {
		/* the intervals without data: reported and stored */
		int g = replay_fetch_finish(rp.rf, rp.dberr ? NULL : rp.db,
		                            rp.quiet);
		if (g < 0)
			rp.dberr = 1;
		else if (g > 0 && !rp.bad)
			rp.bad = 1;
	}

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

	replay_fetch_free(rp.rf);
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

merge_out:
	obs_free(rp.ob);
	if (rp.db)
		store_close(rp.db);
	geo_db_free(geo);
	for (uint32_t i = 0; i < rp.nevents; i++)
		free(rp.events[i].evidence);
	free(rp.events);
	for (uint32_t i = 0; i < nmf; i++) {
		vgp_reader_free(mf[i].r);
		if (mf[i].f)
			fclose(mf[i].f);
		free(mf[i].peers);
	}
	free(mf);
	free(rp.streams);
	free(keys);
	free(colls);
	return status;
}
