/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil status ENTITY`: where an entity stands at one time (by default
 * the last bin in the database): visibility against its baseline, the
 * events open then, its last change, and for a country how each upstream
 * carries it.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "query.h"

static const char status_usage[] =
    "usage: vigil status ENTITY [--at TIME] [--db FILE] [--json]\n"
    "\n"
    "Show the state of ENTITY (country:KP, asn:131279, upstream:KP:4837;\n"
    "also KP, AS131279, 131279) in a vigil database at one time:\n"
    "  state        outage, unstable, normal, or warming up (no baseline\n"
    "               yet), from the events open at that time\n"
    "  visible      visible /24s (IPv4) and /48s (IPv6) at the end of the\n"
    "               bin, against the detector's baseline\n"
    "  routing      visible prefixes and origin ASes, full-feed peers up\n"
    "  activity     announcements, withdrawals, path changes and flaps in\n"
    "               the bin, and the instability score\n"
    "  last change  the last bin whose visibility differed from the one\n"
    "               before it (searched 30 days back)\n"
    "  open events  with their evidence summary\n"
    "  upstreams    for a country: each upstream:CC:ASN with its visible\n"
    "               /24s, baseline and share, and its open event if any\n"
    "\n"
    "Options:\n"
    "  --at TIME      the state at TIME (the latest bin starting at or\n"
    "                 before it); Unix seconds or YYYY-MM-DD[THH:MM[:SS]][Z]\n"
    "                 (UTC); default: the last bin in the database\n"
    "  --db FILE      the database (default vigil.db)\n"
    "  -j, --json     one JSON object with the same facts\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit status: 0 shown; 1 the database does not know ENTITY or has no\n"
    "signal for it at or before TIME; 2 usage error or the database could\n"
    "not be read.\n";

#define MAX_EVENTS 64
#define MAX_UPSTREAMS 512

struct up {
	struct vg_entity ent;
	char name[64];
	struct vg_signal sig;
	int have;        /* a signal at or before the time */
	int ev;          /* index into events[], or -1 */
};

struct status {
	struct vg_store *s;
	struct vg_entity ent;
	uint32_t at;
	/* open events of the entity (and, for a country, its upstreams) */
	struct vg_event ev[MAX_EVENTS];
	char ev_sum[MAX_EVENTS][160];
	struct vg_evidence *ev_keep[MAX_EVENTS];
	int n_ev;
	struct up *ups;
	int n_ups, more_ups;
	uint32_t hold; /* a row stands for the bins after it this long */
	/* last change */
	int have_prev, changed;
	uint64_t prev_v4;
	uint32_t change_at;
	uint64_t change_from, change_to;
};

static int
on_open_event(void *vctx, const struct vg_event *ev)
{
	struct status *st = vctx;
	char tmp[160];
	if (ev->end && ev->end <= st->at)
		return 0; /* ended by then */
	if (st->n_ev >= MAX_EVENTS)
		return 1;
	st->ev[st->n_ev] = *ev;
	snprintf(st->ev_sum[st->n_ev], sizeof(st->ev_sum[0]), "%s",
	         query_evidence_summary(ev, tmp, sizeof(tmp)));
	st->ev_keep[st->n_ev] = NULL;
	if (ev->n_evidence && ev->evidence) {
		st->ev_keep[st->n_ev] =
		    malloc(ev->n_evidence * sizeof(*ev->evidence));
		if (st->ev_keep[st->n_ev])
			memcpy(st->ev_keep[st->n_ev], ev->evidence,
			       ev->n_evidence * sizeof(*ev->evidence));
	}
	st->ev[st->n_ev].evidence = st->ev_keep[st->n_ev];
	if (st->ev[st->n_ev].evidence == NULL)
		st->ev[st->n_ev].n_evidence = 0;
	st->n_ev++;
	return 0;
}

static int
on_upstream(void *vctx, const struct vg_entity *e, const char *name)
{
	struct status *st = vctx;
	struct up *u;
	if (st->n_ups >= MAX_UPSTREAMS) {
		st->more_ups++;
		return 0;
	}
	u = &st->ups[st->n_ups++];
	memset(u, 0, sizeof(*u));
	u->ent = *e;
	u->ev = -1;
	query_upstream_name(st->s, e, name, 60, u->name, sizeof(u->name));
	return 0;
}

static int
on_history(void *vctx, const struct vg_signal *g)
{
	struct status *st = vctx;
	if (st->have_prev && g->v4_units != st->prev_v4) {
		st->changed = 1;
		st->change_at = g->bin_start;
		st->change_from = st->prev_v4;
		st->change_to = g->v4_units;
	}
	st->have_prev = 1;
	st->prev_v4 = g->v4_units;
	return 0;
}

static int
up_cmp(const void *a, const void *b)
{
	const struct up *x = a, *y = b;
	double bx = x->have && isfinite(x->sig.baseline) ? x->sig.baseline : 0;
	double by = y->have && isfinite(y->sig.baseline) ? y->sig.baseline : 0;
	uint64_t vx = x->have ? x->sig.v4_units : 0;
	uint64_t vy = y->have ? y->sig.v4_units : 0;
	/* the biggest carriers first: by baseline, then by what they carry */
	if (bx != by)
		return bx > by ? -1 : 1;
	if (vx != vy)
		return vx > vy ? -1 : 1;
	return x->ent.asn < y->ent.asn ? -1 : x->ent.asn > y->ent.asn;
}

static const char *
state_of(const struct status *st, const struct vg_signal *g)
{
	int inst = 0;
	for (int i = 0; i < st->n_ev; i++) {
		if (vg_entity_cmp(&st->ev[i].ent, &st->ent) != 0)
			continue;
		if (st->ev[i].kind == VG_EVENT_OUTAGE)
			return "outage";
		inst = 1;
	}
	if (inst)
		return "unstable";
	return isfinite(g->baseline) ? "normal" : "warming up";
}

static int
entity_event(const struct status *st, const struct vg_entity *e, int kind)
{
	for (int i = 0; i < st->n_ev; i++)
		if (vg_entity_cmp(&st->ev[i].ent, e) == 0 &&
		    (!kind || st->ev[i].kind == kind))
			return i;
	return -1;
}

/* Decimals for a baseline: 219921, 4, 3.5 */
static int
base_prec(double v)
{
	return v >= 100 || v == floor(v) ? 0 : 1;
}

static void
print_share(FILE *f, uint64_t v, double base)
{
	if (isfinite(base) && base > 0)
		fprintf(f, "%.0f%%", 100.0 * (double)v / base);
	else
		fputs("-", f);
}

static void
print_text(struct status *st, const char *name, const struct vg_signal *g,
           uint32_t data_last)
{
	char t[QUERY_TIMELEN], t2[QUERY_TIMELEN], d[32], text[VG_ENTITY_STRLEN];
	const char *state = state_of(st, g);
	int oi = entity_event(st, &st->ent, VG_EVENT_OUTAGE);
	int ii = entity_event(st, &st->ent, VG_EVENT_INSTABILITY);

	vg_entity_fmt(&st->ent, text);
	int current = g->bin_start + g->bin_len > st->at;

	printf("%s  %s\n", text, name[0] ? name : "");
	printf("  at           %s (data until %s)\n", query_time(st->at, t),
	       query_time(data_last, t2));
	if (g->bin_start + st->hold <= st->at)
		printf("  stale        the last signal is from %s: not seen "
		       "since\n",
		       query_time(g->bin_start, t));
	else if (!current)
		printf("  as of        %s (no change recorded since)\n",
		       query_time(g->bin_start, t));
	if (oi >= 0) {
		const struct vg_event *ev = &st->ev[oi];
		printf("  state        OUTAGE %s since %s (%s)",
		       vg_event_level_name(ev->level), query_time(ev->start, t),
		       query_dur(st->at - ev->start, d, sizeof(d)));
		if (isfinite(ev->depth))
			printf(", depth %.0f%%", ev->depth * 100);
		putchar('\n');
	} else if (ii >= 0) {
		const struct vg_event *ev = &st->ev[ii];
		printf("  state        UNSTABLE (%s) since %s (%s)\n",
		       vg_event_level_name(ev->level), query_time(ev->start, t),
		       query_dur(st->at - ev->start, d, sizeof(d)));
	} else {
		printf("  state        %s\n", state);
	}
	printf("  visible      %llu /24s", (unsigned long long)g->v4_units);
	if (isfinite(g->baseline)) {
		printf(" of a baseline of %.*f (", base_prec(g->baseline),
		       g->baseline);
		print_share(stdout, g->v4_units, g->baseline);
		putchar(')');
	} else {
		printf(" (no baseline yet)");
	}
	printf("; %llu /48s IPv6\n", (unsigned long long)g->v6_units);
	printf("  routing      %u prefixes from %u origin ASes; %u full-feed "
	       "peers up\n",
	       g->prefixes, g->origins, g->peers_up);
	if (current) {
		printf("  activity     %u announcements, %u withdrawals, %u "
		       "path changes, %u flaps",
		       g->announcements, g->withdrawals, g->path_changes,
		       g->flaps);
		if (isfinite(g->inst_score))
			printf("; instability score %.1f", g->inst_score);
		putchar('\n');
	} else {
		printf("  activity     none in this bin\n");
	}
	if (st->changed)
		printf("  last change  %s: %llu -> %llu /24s (%s before)\n",
		       query_time(st->change_at, t),
		       (unsigned long long)st->change_from,
		       (unsigned long long)st->change_to,
		       query_dur(st->at - st->change_at, d, sizeof(d)));
	else
		printf("  last change  none in the 30 days before\n");

	printf(st->n_ev ? "  open events\n" : "  open events  none\n");
	for (int i = 0; i < st->n_ev; i++) {
		const struct vg_event *ev = &st->ev[i];
		vg_entity_fmt(&ev->ent, text);
		printf("    #%llu %s %s %s since %s", (unsigned long long)ev->id,
		       text, vg_event_kind_name(ev->kind),
		       vg_event_level_name(ev->level), query_time(ev->start, t));
		if (isfinite(ev->depth))
			printf(ev->kind == VG_EVENT_OUTAGE ? ", depth %.0f%%"
			                                   : ", peak z %.1f",
			       ev->kind == VG_EVENT_OUTAGE ? ev->depth * 100
			                                   : ev->depth);
		printf(": %s\n", st->ev_sum[i]);
	}
	if (st->ent.kind != VG_ENT_COUNTRY)
		return;
	if (st->n_ups == 0) {
		printf("  upstreams    none recorded\n");
		return;
	}
	printf("  upstreams\n    %-12s%-26s%8s  %8s  %s\n", "AS", "NAME",
	       "/24S", "BASELINE", "SHARE");
	for (int i = 0; i < st->n_ups; i++) {
		const struct up *u = &st->ups[i];
		char as[24];
		snprintf(as, sizeof(as), "AS%u", u->ent.asn);
		fputs("    ", stdout);
		query_pad(stdout, as, 12);
		query_pad(stdout, u->name[0] ? u->name : "-", 26);
		if (!u->have) {
			printf("no signal\n");
			continue;
		}
		printf("%8llu  ", (unsigned long long)u->sig.v4_units);
		if (isfinite(u->sig.baseline))
			printf("%8.*f  ", base_prec(u->sig.baseline),
			       u->sig.baseline);
		else
			printf("%8s  ", "-");
		print_share(stdout, u->sig.v4_units, u->sig.baseline);
		if (u->sig.bin_start + st->hold <= st->at)
			printf("  (last seen %s)", query_time(u->sig.bin_start, t));
		if (u->ev >= 0)
			printf("  %s %s since %s",
			       vg_event_kind_name(st->ev[u->ev].kind),
			       vg_event_level_name(st->ev[u->ev].level),
			       query_time(st->ev[u->ev].start, t2));
		putchar('\n');
	}
	if (st->more_ups)
		printf("    ... and %d more\n", st->more_ups);
}

static void
json_event(const struct status *st, int i)
{
	const struct vg_event *ev = &st->ev[i];
	char text[VG_ENTITY_STRLEN];
	vg_entity_fmt(&ev->ent, text);
	printf("{\"id\":%llu,\"entity\":\"%s\",\"kind\":\"%s\",\"level\":"
	       "\"%s\",\"start\":%u,\"start_time\":",
	       (unsigned long long)ev->id, text, vg_event_kind_name(ev->kind),
	       vg_event_level_name(ev->level), ev->start);
	query_json_time(stdout, ev->start);
	fputs(",\"depth\":", stdout);
	query_json_num(stdout, ev->depth);
	fputs(",\"severity\":", stdout);
	query_json_num(stdout, ev->severity);
	fputs(",\"baseline\":", stdout);
	query_json_num(stdout, ev->baseline);
	fputs(",\"bottom\":", stdout);
	query_json_num(stdout, ev->bottom);
	fputs(",\"summary\":", stdout);
	query_json_str(stdout, st->ev_sum[i]);
	printf(",\"n_evidence_total\":%u,\"evidence\":", ev->n_evidence_total);
	query_json_evidence(stdout, ev);
	putchar('}');
}

static void
print_json(struct status *st, const char *name, const struct vg_signal *g,
           uint32_t data_last)
{
	char text[VG_ENTITY_STRLEN];
	vg_entity_fmt(&st->ent, text);
	printf("{\"entity\":\"%s\",\"name\":", text);
	query_json_str(stdout, name);
	printf(",\"at\":%u,\"at_time\":", st->at);
	query_json_time(stdout, st->at);
	printf(",\"row_start\":%u,\"stale\":%s,\"bin_len\":%u,"
	       "\"data_until\":",
	       g->bin_start, g->bin_start + st->hold <= st->at ? "true" : "false",
	       g->bin_len);
	query_json_time(stdout, data_last);
	printf(",\"state\":\"%s\",\"v4_units\":%llu,\"v6_units\":%llu,"
	       "\"baseline\":",
	       state_of(st, g), (unsigned long long)g->v4_units,
	       (unsigned long long)g->v6_units);
	query_json_num(stdout, g->baseline);
	fputs(",\"share\":", stdout);
	query_json_num(stdout, isfinite(g->baseline) && g->baseline > 0
	                           ? (double)g->v4_units / g->baseline
	                           : NAN);
	printf(",\"prefixes\":%u,\"origins\":%u,\"peers_up\":%u,"
	       "\"announcements\":%u,\"withdrawals\":%u,\"path_changes\":%u,"
	       "\"flaps\":%u,\"inst_score\":",
	       g->prefixes, g->origins, g->peers_up, g->announcements,
	       g->withdrawals, g->path_changes, g->flaps);
	query_json_num(stdout, g->inst_score);
	fputs(",\"last_change\":", stdout);
	if (st->changed) {
		printf("{\"time\":%u,\"time_iso\":", st->change_at);
		query_json_time(stdout, st->change_at);
		printf(",\"from\":%llu,\"to\":%llu}",
		       (unsigned long long)st->change_from,
		       (unsigned long long)st->change_to);
	} else {
		fputs("null", stdout);
	}
	fputs(",\"open_events\":[", stdout);
	for (int i = 0, n = 0; i < st->n_ev; i++) {
		if (vg_entity_cmp(&st->ev[i].ent, &st->ent) != 0)
			continue;
		if (n++)
			putchar(',');
		json_event(st, i);
	}
	putchar(']');
	if (st->ent.kind == VG_ENT_COUNTRY) {
		fputs(",\"upstreams\":[", stdout);
		for (int i = 0; i < st->n_ups; i++) {
			const struct up *u = &st->ups[i];
			vg_entity_fmt(&u->ent, text);
			printf("%s{\"entity\":\"%s\",\"asn\":%u,\"name\":",
			       i ? "," : "", text, u->ent.asn);
			query_json_str(stdout, u->name);
			if (u->have) {
				printf(",\"bin_start\":%u,\"v4_units\":%llu,"
				       "\"baseline\":",
				       u->sig.bin_start,
				       (unsigned long long)u->sig.v4_units);
				query_json_num(stdout, u->sig.baseline);
			} else {
				fputs(",\"bin_start\":null,\"v4_units\":null,"
				      "\"baseline\":null",
				      stdout);
			}
			fputs(",\"open_event\":", stdout);
			if (u->ev >= 0)
				json_event(st, u->ev);
			else
				fputs("null", stdout);
			putchar('}');
		}
		putchar(']');
	}
	fputs("}\n", stdout);
}

enum { OPT_DB = 256, OPT_AT };

int
cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"at", required_argument, NULL, OPT_AT},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = QUERY_DEFAULT_DB;
	struct status *st;
	struct store_event_query q;
	struct vg_signal g;
	uint32_t at = 0, first, last, data_last;
	int opt, json = 0, have_at = 0, rc, status = EXIT_CLEAN;
	char name[64], text[VG_ENTITY_STRLEN], t[QUERY_TIMELEN];

	optind = 1;
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_DB:
			db = optarg;
			break;
		case OPT_AT:
			if (query_time_arg("status", "--at", optarg, &at) < 0)
				return EXIT_USAGE;
			have_at = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(status_usage, stdout);
			return EXIT_CLEAN;
		default:
			fputs("try `vigil status --help`\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(optind < argc ? "vigil status: one ENTITY, please\n"
		                    : "usage: vigil status ENTITY [--at TIME] "
		                      "[--db FILE] [--json]\n",
		      stderr);
		return EXIT_USAGE;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->ups = calloc(MAX_UPSTREAMS, sizeof(*st->ups))) == NULL) {
		fputs("vigil status: out of memory\n", stderr);
		if (st)
			free(st);
		return EXIT_USAGE;
	}
	if (query_entity_arg("status", argv[optind], &st->ent) < 0) {
		status = EXIT_USAGE;
		goto out;
	}
	vg_entity_fmt(&st->ent, text);
	if ((st->s = query_open("status", db)) == NULL) {
		status = EXIT_USAGE;
		goto out;
	}
	rc = query_entity_known("status", st->s, db, &st->ent, name,
	                        sizeof(name));
	if (rc <= 0) {
		status = rc < 0 ? EXIT_USAGE : EXIT_PROBLEMS;
		goto out;
	}
	if (store_time_range(st->s, &first, &last) < 0) {
		fprintf(stderr, "vigil status: %s holds no signals\n", db);
		status = EXIT_PROBLEMS;
		goto out;
	}
	data_last = last + query_bin_len(st->s);
	if (!have_at)
		at = last;
	rc = store_signal_at(st->s, &st->ent, at, &g);
	if (rc <= 0) {
		if (rc < 0)
			fprintf(stderr, "vigil status: %s: %s\n", db,
			        store_error(st->s));
		else
			fprintf(stderr, "vigil status: no signal of %s at or "
			                "before %s\n",
			        text, query_time(at, t));
		status = rc < 0 ? EXIT_USAGE : EXIT_PROBLEMS;
		goto out;
	}
	st->at = at;
	st->hold = 3600 + query_bin_len(st->s);

	/* events open at that time: the entity's, and its upstreams' */
	memset(&q, 0, sizeof(q));
	q.ent = &st->ent;
	q.ent_prefix_only = 1;
	q.since = st->at ? st->at : 1;
	q.until = st->at;
	q.with_evidence = 1;
	if (store_query_events(st->s, &q, on_open_event, st) < 0)
		goto dberr;

	/* the last change in visibility, 30 days back at most */
	if (store_query_signals(st->s, &st->ent,
	                        st->at > 30 * 86400 ? st->at - 30 * 86400 : 0,
	                        st->at, on_history, st) < 0)
		goto dberr;

	if (st->ent.kind == VG_ENT_COUNTRY) {
		if (store_query_upstreams(st->s, st->ent.cc, on_upstream, st) <
		    0)
			goto dberr;
		for (int i = 0; i < st->n_ups; i++) {
			struct up *u = &st->ups[i];
			rc = store_signal_at(st->s, &u->ent, st->at, &u->sig);
			if (rc < 0)
				goto dberr;
			u->have = rc;
		}
		qsort(st->ups, (size_t)st->n_ups, sizeof(*st->ups), up_cmp);
		for (int i = 0; i < st->n_ups; i++)
			st->ups[i].ev = entity_event(st, &st->ups[i].ent, 0);
	}
	if (json)
		print_json(st, name, &g, data_last);
	else
		print_text(st, name, &g, data_last);
	goto out;

dberr:
	fprintf(stderr, "vigil status: %s: %s\n", db, store_error(st->s));
	status = EXIT_USAGE;
out:
	for (int i = 0; i < st->n_ev; i++)
		free(st->ev_keep[i]);
	store_close(st->s);
	free(st->ups);
	free(st);
	if (fflush(stdout) != 0 && status == EXIT_CLEAN)
		status = EXIT_USAGE;
	return status;
}
