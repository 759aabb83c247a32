/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil signals ENTITY`: an entity's per-bin signals over a time range,
 * as an aligned table, CSV or JSON lines.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "query.h"

static const char signals_usage[] =
    "usage: vigil signals ENTITY [--from T] [--until T] [--format F]\n"
    "                    [--db FILE]\n"
    "\n"
    "Print the signals of ENTITY (country:KP, asn:131279, upstream:KP:4837;\n"
    "also KP, AS131279, 131279), one line per time bin, oldest first.\n"
    "\n"
    "Options:\n"
    "  --from T, --until T  bins starting in [T, T'], inclusive; Unix\n"
    "                       seconds or YYYY-MM-DD[THH:MM[:SS]][Z] (UTC).\n"
    "                       Default: the last 24 hours of the database;\n"
    "                       with --from alone, the 24 hours after it\n"
    "  -f, --format F       table (default), csv or json (JSON lines)\n"
    "  --fill               one line for every bin (see below)\n"
    "  --db FILE            the database (default vigil.db)\n"
    "  -h, --help           this text\n"
    "\n"
    "Fields (table headings in brackets):\n"
    "  time [TIME], bin_start, bin_len   the bin (UTC; Unix seconds)\n"
    "  v4_units [V4]     visible IPv4 /24s at the end of the bin\n"
    "  v6_units [V6]     visible IPv6 /48s\n"
    "  prefixes [PFX], origins [ORIG]    visible prefixes, origin ASes\n"
    "  announcements [ANN], withdrawals [WDR], path_changes [PATHCHG],\n"
    "  flaps [FLAPS]     what happened during the bin\n"
    "  peers_up [PEERS]  full-feed peer ASNs up\n"
    "  baseline [BASE]   the detector's visibility baseline ('-', empty or\n"
    "                    null while it warms up)\n"
    "  inst_score [INST] instability score (robust z; '-' when none)\n"
    "\n"
    "Signals are sparse: the database has a row for a bin when the\n"
    "entity's visibility changed, something happened (the counters are\n"
    "not zero), an event was open, or on the hour.  A bin without a row\n"
    "had the visibility of the row before it and no activity.  --fill\n"
    "prints those bins too, repeating the visibility and baseline with\n"
    "zero counters and no instability score (up to an hour after a row).\n"
    "\n"
    "Exit status: 0 printed; 1 no such entity, or no signal in the range;\n"
    "2 usage error or the database could not be read.\n";

enum { FMT_TABLE, FMT_CSV, FMT_JSON };

struct sig_ctx {
	int fmt;
	size_t n;
	const char *text;
	/* --fill */
	int fill, have_prev;
	uint32_t from, until, bin_len, hold;
	struct vg_signal prev;
};

static void
table_num(double v, int prec, int width)
{
	if (isfinite(v))
		printf(" %*.*f", width, prec, v);
	else
		printf(" %*s", width, "-");
}

static void
print_row(struct sig_ctx *c, const struct vg_signal *g)
{
	char t[QUERY_TIMELEN];

	query_time(g->bin_start, t);
	if (c->n++ == 0) {
		if (c->fmt == FMT_TABLE)
			printf("%-17s %8s %8s %7s %5s %7s %7s %7s %6s %5s %9s "
			       "%6s\n",
			       "TIME", "V4", "V6", "PFX", "ORIG", "ANN", "WDR",
			       "PATHCHG", "FLAPS", "PEERS", "BASE", "INST");
		else if (c->fmt == FMT_CSV)
			puts("time,bin_start,bin_len,v4_units,v6_units,prefixes,"
			     "origins,announcements,withdrawals,path_changes,"
			     "flaps,peers_up,baseline,inst_score");
	}
	switch (c->fmt) {
	case FMT_TABLE:
		printf("%-17s %8llu %8llu %7u %5u %7u %7u %7u %6u %5u", t,
		       (unsigned long long)g->v4_units,
		       (unsigned long long)g->v6_units, g->prefixes, g->origins,
		       g->announcements, g->withdrawals, g->path_changes,
		       g->flaps, g->peers_up);
		table_num(g->baseline, 1, 9);
		table_num(g->inst_score, 1, 6);
		putchar('\n');
		break;
	case FMT_CSV:
		printf("%s,%u,%u,%llu,%llu,%u,%u,%u,%u,%u,%u,%u,", t,
		       g->bin_start, g->bin_len,
		       (unsigned long long)g->v4_units,
		       (unsigned long long)g->v6_units, g->prefixes, g->origins,
		       g->announcements, g->withdrawals, g->path_changes,
		       g->flaps, g->peers_up);
		if (isfinite(g->baseline))
			printf("%.6g", g->baseline);
		putchar(',');
		if (isfinite(g->inst_score))
			printf("%.6g", g->inst_score);
		putchar('\n');
		break;
	default:
		printf("{\"entity\":\"%s\",\"time\":\"%s\",\"bin_start\":%u,"
		       "\"bin_len\":%u,\"v4_units\":%llu,\"v6_units\":%llu,"
		       "\"prefixes\":%u,\"origins\":%u,\"announcements\":%u,"
		       "\"withdrawals\":%u,\"path_changes\":%u,\"flaps\":%u,"
		       "\"peers_up\":%u,\"baseline\":",
		       c->text, t, g->bin_start, g->bin_len,
		       (unsigned long long)g->v4_units,
		       (unsigned long long)g->v6_units, g->prefixes, g->origins,
		       g->announcements, g->withdrawals, g->path_changes,
		       g->flaps, g->peers_up);
		query_json_num(stdout, g->baseline);
		fputs(",\"inst_score\":", stdout);
		query_json_num(stdout, g->inst_score);
		fputs("}\n", stdout);
		break;
	}
}

/* --fill: the bins in [after PREV, STOP) that have no row, as PREV held
 * with nothing happening; no further than the hold after PREV. */
static void
fill_to(struct sig_ctx *c, uint64_t stop)
{
	const struct vg_signal *p = &c->prev;
	uint64_t lim = (uint64_t)p->bin_start + c->hold;
	for (uint64_t t = (uint64_t)p->bin_start + c->bin_len;
	     t < stop && t < lim && t <= c->until; t += c->bin_len) {
		struct vg_signal g = *p;
		if (t < c->from)
			continue;
		g.bin_start = (uint32_t)t;
		g.announcements = g.withdrawals = 0;
		g.path_changes = g.flaps = 0;
		g.inst_score = NAN;
		print_row(c, &g);
	}
}

static int
on_signal(void *vctx, const struct vg_signal *g)
{
	struct sig_ctx *c = vctx;
	if (c->fill && c->have_prev)
		fill_to(c, g->bin_start);
	if (g->bin_start >= c->from)
		print_row(c, g);
	c->prev = *g;
	c->have_prev = 1;
	return 0;
}

enum { OPT_DB = 256, OPT_FROM, OPT_UNTIL, OPT_FILL };

int
cmd_signals(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"since", required_argument, NULL, OPT_FROM},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"format", required_argument, NULL, 'f'},
	    {"fill", no_argument, NULL, OPT_FILL},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = QUERY_DEFAULT_DB;
	struct sig_ctx c;
	struct vg_entity ent;
	struct vg_store *s;
	uint32_t from = 0, until = 0, first, last;
	int opt, have_from = 0, have_until = 0, rc, status = EXIT_CLEAN;
	char name[64], text[VG_ENTITY_STRLEN], a[QUERY_TIMELEN],
	    b[QUERY_TIMELEN], c1[QUERY_TIMELEN], c2[QUERY_TIMELEN];

	memset(&c, 0, sizeof(c));
	c.fmt = FMT_TABLE;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_DB:
			db = optarg;
			break;
		case OPT_FROM:
			if (query_time_arg("signals", "--from", optarg, &from) < 0)
				return EXIT_USAGE;
			have_from = 1;
			break;
		case OPT_UNTIL:
			if (query_time_arg("signals", "--until", optarg,
			                   &until) < 0)
				return EXIT_USAGE;
			have_until = 1;
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0)
				c.fmt = FMT_TABLE;
			else if (strcmp(optarg, "csv") == 0)
				c.fmt = FMT_CSV;
			else if (strcmp(optarg, "json") == 0)
				c.fmt = FMT_JSON;
			else {
				fprintf(stderr, "vigil signals: --format '%s': "
				                "table, csv or json\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_FILL:
			c.fill = 1;
			break;
		case 'h':
			fputs(signals_usage, stdout);
			return EXIT_CLEAN;
		default:
			fputs("try `vigil signals --help`\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(optind < argc ? "vigil signals: one ENTITY, please\n"
		                    : "usage: vigil signals ENTITY [--from T] "
		                      "[--until T] [--format F] [--db FILE]\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (query_entity_arg("signals", argv[optind], &ent) < 0)
		return EXIT_USAGE;
	if (have_from && have_until && until < from) {
		fputs("vigil signals: --until is before --from\n", stderr);
		return EXIT_USAGE;
	}
	vg_entity_fmt(&ent, text);
	c.text = text;
	if ((s = query_open("signals", db)) == NULL)
		return EXIT_USAGE;
	rc = query_entity_known("signals", s, db, &ent, name, sizeof(name));
	if (rc <= 0) {
		store_close(s);
		return rc < 0 ? EXIT_USAGE : EXIT_PROBLEMS;
	}
	if (store_time_range(s, &first, &last) < 0) {
		fprintf(stderr, "vigil signals: %s holds no signals\n", db);
		store_close(s);
		return EXIT_PROBLEMS;
	}
	if (!have_until)
		until = have_from && from + 86400 - 1 < last ? from + 86400 - 1
		                                             : last;
	if (!have_from)
		from = until >= 86400 - 1 ? until - (86400 - 1) : 0;
	c.from = from;
	c.until = until < last ? until : last;
	c.bin_len = query_bin_len(s);
	c.hold = 3600 + c.bin_len;
	/* with --fill, the row before FROM may hold into the range */
	if (store_query_signals(s, &ent,
	                        c.fill && from > c.hold ? from - c.hold : from,
	                        until, on_signal, &c) < 0) {
		fprintf(stderr, "vigil signals: %s: %s\n", db, store_error(s));
		status = EXIT_USAGE;
		goto out;
	}
	if (c.fill && c.have_prev)
		fill_to(&c, (uint64_t)c.until + 1);
	if (c.n == 0) {
		fprintf(stderr,
		        "vigil signals: no signal of %s from %s until %s (the "
		        "database covers %s to %s)\n",
		        text, query_time(from, a), query_time(until, b),
		        query_time(first, c1), query_time(last, c2));
		status = EXIT_PROBLEMS;
	}
out:
	store_close(s);
	if (fflush(stdout) != 0 && status == EXIT_CLEAN)
		status = EXIT_USAGE;
	return status;
}
