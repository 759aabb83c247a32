/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil plot ENTITY -o FILE.svg`: an entity's visibility over a time range
 * as a self-contained SVG chart (src/plot), with its baseline, its outages
 * shaded, its instability and, for a country, a line per upstream.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "query.h"
#include "vigil/obuf.h"
#include "vigil/plot.h"

static const char plot_usage[] =
    "usage: vigil plot ENTITY -o FILE.svg [--from T] [--until T] [--db FILE]\n"
    "\n"
    "Draw the visibility of ENTITY (country:KP, asn:131279,\n"
    "upstream:KP:4837; also KP, AS131279, 131279) as an SVG chart that\n"
    "needs nothing else to display (no scripts, fonts or images):\n"
    "  - visible /24s as a line, the detector's baseline dashed;\n"
    "  - outages shaded, amber (warning) or red (critical), labelled with\n"
    "    their start and end times, depth and duration;\n"
    "  - for a country, one line per upstream AS (\"via AS4837 (China\n"
    "    Unicom)\"), the biggest ones first;\n"
    "  - an instability strip under the chart: episodes and the score;\n"
    "  - a second panel with visible /48s when the entity has IPv6 space;\n"
    "  - UTC time axis; the data source and time range in the footer.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE    where to write the SVG ('-': standard output)\n"
    "  --from T, --until T  the time range shown; Unix seconds or\n"
    "                       YYYY-MM-DD[THH:MM[:SS]][Z] (UTC).  Default: the\n"
    "                       last 24 hours of the database; with --from\n"
    "                       alone, the 24 hours after it\n"
    "  --upstreams N        at most N upstream lines (default 6; 0: none)\n"
    "  --width W, --height H  size in pixels (default 1000 x 420, taller\n"
    "                       with an IPv6 panel)\n"
    "  --db FILE            the database (default vigil.db)\n"
    "  -h, --help           this text\n"
    "\n"
    "Convert to PNG with e.g. `rsvg-convert -o chart.png chart.svg`.\n"
    "\n"
    "Exit status: 0 written; 1 no such entity, or no signal in the range\n"
    "(nothing written); 2 usage error, the database could not be read or\n"
    "the file could not be written.\n";

struct series {
	struct vg_signal *sig;
	size_t n, cap;
	int failed;
};

static int
on_signal(void *vctx, const struct vg_signal *g)
{
	struct series *s = vctx;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024;
		struct vg_signal *ns = realloc(s->sig, nc * sizeof(*ns));
		if (ns == NULL) {
			s->failed = 1;
			return 1;
		}
		s->sig = ns;
		s->cap = nc;
	}
	s->sig[s->n++] = *g;
	return 0;
}

struct events {
	struct vg_event *ev;
	size_t n, cap;
	int failed;
};

static int
on_event(void *vctx, const struct vg_event *ev)
{
	struct events *e = vctx;
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 32;
		struct vg_event *ne = realloc(e->ev, nc * sizeof(*ne));
		if (ne == NULL) {
			e->failed = 1;
			return 1;
		}
		e->ev = ne;
		e->cap = nc;
	}
	e->ev[e->n] = *ev;
	e->ev[e->n].evidence = NULL;
	e->ev[e->n].n_evidence = 0;
	e->n++;
	return 0;
}

struct upstream {
	struct vg_entity ent;
	char label[128];
	struct series s;
	double peak; /* largest v4_units or baseline in the range */
};

struct up_list {
	struct vg_store *s;
	struct upstream *u;
	size_t n, cap;
	int failed;
};

static int
on_upstream(void *vctx, const struct vg_entity *e, const char *name)
{
	struct up_list *l = vctx;
	struct upstream *u;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct upstream *nu = realloc(l->u, nc * sizeof(*nu));
		if (nu == NULL) {
			l->failed = 1;
			return 1;
		}
		l->u = nu;
		l->cap = nc;
	}
	u = &l->u[l->n++];
	memset(u, 0, sizeof(*u));
	u->ent = *e;
	/* the AS's own name ("CHINA169-BACKBONE ...") reads better in a
	 * legend than the upstream entity's description */
	{
		char asname[96];
		query_upstream_name(l->s, e, name, 40, asname, sizeof(asname));
		if (asname[0])
			snprintf(u->label, sizeof(u->label), "via AS%u (%s)",
			         e->asn, asname);
		else
			snprintf(u->label, sizeof(u->label), "via AS%u",
			         e->asn);
	}
	return 0;
}

static int
peak_cmp(const void *a, const void *b)
{
	const struct upstream *x = a, *y = b;
	if (x->peak != y->peak)
		return x->peak > y->peak ? -1 : 1;
	return x->ent.asn < y->ent.asn ? -1 : x->ent.asn > y->ent.asn;
}

static int
parse_count(const char *opt, const char *v, unsigned long max,
            unsigned long *out)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (*v == '\0' || *v == '-' || *end || n > max) {
		fprintf(stderr, "vigil plot: %s '%s': a number up to %lu\n", opt,
		        v, max);
		return -1;
	}
	*out = n;
	return 0;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

enum { OPT_DB = 256, OPT_FROM, OPT_UNTIL, OPT_UPS, OPT_W, OPT_H };

int
cmd_plot(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"since", required_argument, NULL, OPT_FROM},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"output", required_argument, NULL, 'o'},
	    {"upstreams", required_argument, NULL, OPT_UPS},
	    {"width", required_argument, NULL, OPT_W},
	    {"height", required_argument, NULL, OPT_H},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = QUERY_DEFAULT_DB, *outpath = NULL;
	struct vg_entity ent;
	struct vg_store *s = NULL;
	struct series main_s = {0};
	struct events evs = {0};
	struct up_list ups = {0};
	struct plot_line *lines = NULL;
	struct plot_spec spec;
	struct store_event_query q;
	struct vg_obuf o = {0};
	uint32_t from = 0, until = 0, first, last, bin_len, hold, qfrom;
	unsigned long max_ups = 6, width = 0, height = 0;
	size_t n_lines = 0;
	int opt, have_from = 0, have_until = 0, rc, status = EXIT_USAGE;
	char name[64], text[VG_ENTITY_STRLEN], source[128], footer[256];
	char a[QUERY_TIMELEN], b[QUERY_TIMELEN], c1[QUERY_TIMELEN],
	    c2[QUERY_TIMELEN];
	FILE *f;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_DB:
			db = optarg;
			break;
		case OPT_FROM:
			if (query_time_arg("plot", "--from", optarg, &from) < 0)
				return EXIT_USAGE;
			have_from = 1;
			break;
		case OPT_UNTIL:
			if (query_time_arg("plot", "--until", optarg, &until) < 0)
				return EXIT_USAGE;
			have_until = 1;
			break;
		case 'o':
			outpath = optarg;
			break;
		case OPT_UPS:
			if (parse_count("--upstreams", optarg, 64, &max_ups) < 0)
				return EXIT_USAGE;
			break;
		case OPT_W:
		case OPT_H:
			if (parse_count(opt == OPT_W ? "--width" : "--height",
			                optarg, 10000,
			                opt == OPT_W ? &width : &height) < 0)
				return EXIT_USAGE;
			break;
		case 'h':
			fputs(plot_usage, stdout);
			return EXIT_CLEAN;
		default:
			fputs("try `vigil plot --help`\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || outpath == NULL) {
		fputs(optind < argc - 1 ? "vigil plot: one ENTITY, please\n"
		                        : "usage: vigil plot ENTITY -o FILE.svg "
		                          "[--from T] [--until T] [--db FILE]\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (query_entity_arg("plot", argv[optind], &ent) < 0)
		return EXIT_USAGE;
	if (have_from && have_until && until <= from) {
		fputs("vigil plot: --until must be after --from\n", stderr);
		return EXIT_USAGE;
	}
	if ((width && width < 300) || (height && height < 200)) {
		fputs("vigil plot: the chart needs at least 300 x 200 pixels\n",
		      stderr);
		return EXIT_USAGE;
	}
	vg_entity_fmt(&ent, text);
	if ((s = query_open("plot", db)) == NULL)
		return EXIT_USAGE;
	rc = query_entity_known("plot", s, db, &ent, name, sizeof(name));
	if (rc <= 0) {
		status = rc < 0 ? EXIT_USAGE : EXIT_PROBLEMS;
		goto out;
	}
	if (store_time_range(s, &first, &last) < 0) {
		fprintf(stderr, "vigil plot: %s holds no signals\n", db);
		status = EXIT_PROBLEMS;
		goto out;
	}
	bin_len = query_bin_len(s);
	if (!have_until)
		until = have_from && from + 86400 < last + bin_len
		            ? from + 86400
		            : last + bin_len;
	if (!have_from)
		from = until > 86400 ? until - 86400 : 0;
	if (until <= from)
		until = from + bin_len;

	/* the entity, its events, its upstreams; rows hold up to an hour and
	 * a bin (the observatory writes one at least every hour), so the
	 * row before FROM may still be in force at FROM */
	hold = 3600 + bin_len;
	qfrom = from > hold ? from - hold : 0;
	if (store_query_signals(s, &ent, qfrom, until - 1, on_signal,
	                        &main_s) < 0)
		goto dberr;
	if (main_s.failed)
		goto nomem;
	if (main_s.n == 0 || main_s.sig[main_s.n - 1].bin_start +
	                         (uint64_t)hold <= from) {
		fprintf(stderr,
		        "vigil plot: no signal of %s from %s until %s (the "
		        "database covers %s to %s); nothing written\n",
		        text, query_time(from, a), query_time(until, b),
		        query_time(first, c1), query_time(last + bin_len, c2));
		status = EXIT_PROBLEMS;
		goto out;
	}
	memset(&q, 0, sizeof(q));
	q.ent = &ent;
	q.since = from;
	q.until = until;
	if (store_query_events(s, &q, on_event, &evs) < 0)
		goto dberr;
	if (evs.failed)
		goto nomem;
	if (ent.kind == VG_ENT_COUNTRY && max_ups > 0) {
		ups.s = s;
		if (store_query_upstreams(s, ent.cc, on_upstream, &ups) < 0)
			goto dberr;
		if (ups.failed)
			goto nomem;
		for (size_t i = 0; i < ups.n; i++) {
			struct upstream *u = &ups.u[i];
			if (store_query_signals(s, &u->ent, qfrom, until - 1,
			                        on_signal, &u->s) < 0)
				goto dberr;
			if (u->s.failed)
				goto nomem;
			for (size_t k = 0; k < u->s.n; k++) {
				double v = (double)u->s.sig[k].v4_units;
				double bl = u->s.sig[k].baseline;
				if (v > u->peak)
					u->peak = v;
				if (isfinite(bl) && bl > u->peak)
					u->peak = bl;
			}
		}
		qsort(ups.u, ups.n, sizeof(*ups.u), peak_cmp);
		lines = calloc(max_ups, sizeof(*lines));
		if (lines == NULL)
			goto nomem;
		for (size_t i = 0; i < ups.n && n_lines < max_ups; i++) {
			if (ups.u[i].peak <= 0)
				continue; /* carried nothing in the range */
			lines[n_lines].label = ups.u[i].label;
			lines[n_lines].sig = ups.u[i].s.sig;
			lines[n_lines].n = ups.u[i].s.n;
			n_lines++;
		}
	}

	/* footer: where the data came from */
	if (store_get_meta(s, "source", source, sizeof(source)) < 0)
		source[0] = '\0';
	{
		size_t shown = 0;
		int off;
		for (size_t i = 0; i < ups.n; i++)
			shown += ups.u[i].peak > 0;
		off = snprintf(footer, sizeof(footer), "data: %s%s%s%s",
		               base_name(db), source[0] ? " (" : "", source,
		               source[0] ? ")" : "");
		if (off > 0 && (size_t)off < sizeof(footer) &&
		    shown > n_lines && n_lines)
			snprintf(footer + off, sizeof(footer) - (size_t)off,
			         " \xc2\xb7 the %zu largest of %zu upstreams",
			         n_lines, shown);
	}

	memset(&spec, 0, sizeof(spec));
	spec.entity = text;
	spec.name = name;
	spec.sig = main_s.sig;
	spec.n = main_s.n;
	spec.lines = lines;
	spec.n_lines = n_lines;
	spec.events = evs.ev;
	spec.n_events = evs.n;
	spec.from = from;
	spec.until = until;
	spec.hold = hold;
	spec.data_end = last + bin_len;
	spec.footer = footer;
	spec.width = (unsigned)width;
	spec.height = (unsigned)height;
	if (vg_obuf_init(&o, -1, 1 << 16) < 0)
		goto nomem;
	if (plot_svg(&spec, &o) < 0) {
		fprintf(stderr, "vigil plot: %s\n",
		        o.error ? "out of memory" : "cannot lay out the chart");
		goto out;
	}
	f = strcmp(outpath, "-") == 0 ? stdout : fopen(outpath, "w");
	if (f == NULL) {
		perror(outpath);
		goto out;
	}
	if (fwrite(o.buf, 1, o.len, f) != o.len ||
	    (f == stdout ? fflush(f) : fclose(f)) != 0) {
		fprintf(stderr, "vigil plot: %s: write failed\n", outpath);
		goto out;
	}
	status = EXIT_CLEAN;
	goto out;

nomem:
	fputs("vigil plot: out of memory\n", stderr);
	goto out;
dberr:
	fprintf(stderr, "vigil plot: %s: %s\n", db, store_error(s));
out:
	if (o.buf)
		vg_obuf_destroy(&o);
	for (size_t i = 0; i < ups.n; i++)
		free(ups.u[i].s.sig);
	free(ups.u);
	free(lines);
	free(evs.ev);
	free(main_s.sig);
	store_close(s);
	return status;
}
