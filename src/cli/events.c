/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil events`: the outages and instability episodes in a database, as
 * a table for people or JSON lines (with the evidence) for programs.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "query.h"

static const char events_usage[] =
    "usage: vigil events [OPTIONS]\n"
    "\n"
    "List the events a replay or collector recorded in a vigil database,\n"
    "newest first: outages (visible address space lost against its\n"
    "baseline) and instability episodes (unusual churn), each with its\n"
    "entity, times, level, depth, severity and the evidence found.\n"
    "\n"
    "Options:\n"
    "  --db FILE          the database (default vigil.db)\n"
    "  -e, --entity E     events of E only: country:KP (with its upstreams\n"
    "                     upstream:KP:*), asn:131279, upstream:KP:4837;\n"
    "                     also KP, AS131279, 131279\n"
    "  --exact            with a country: the country's own events only\n"
    "  -k, --kind K       outage or instability\n"
    "  -l, --level L      warning (the default: all) or critical\n"
    "  --since T          events still going on at or after T\n"
    "  --until T          events that started at or before T\n"
    "                     T: Unix seconds or YYYY-MM-DD[THH:MM[:SS]][Z] (UTC)\n"
    "  --open             events without an end (ongoing at the last bin)\n"
    "  -n, --limit N      at most N events (default: all)\n"
    "  --offset N         skip the first N (paging)\n"
    "  -v, --evidence     (table) list each event's evidence under it\n"
    "  -j, --json         JSON lines: one object per event with every field\n"
    "                     and its evidence\n"
    "  -h, --help         this text\n"
    "\n"
    "Table columns: START and END (UTC; 'ongoing' while open), DURATION\n"
    "(to the end, or to the end of the data with '+'), ENTITY and NAME,\n"
    "KIND, LEVEL (highest reached), DEPTH (outage: share of the baseline\n"
    "lost; instability: peak score as 'z N'), SEV (severity: depth x\n"
    "duration), EVIDENCE (prefixes, origin and upstream ASes that\n"
    "disappeared).\n"
    "\n"
    "JSON fields: id, entity, name, kind, level, start, end (Unix seconds;\n"
    "end null while open), start_time, end_time (ISO 8601), duration\n"
    "(seconds, null while open), depth, severity, baseline, bottom (null\n"
    "when unknown), n_evidence, n_evidence_total, evidence: [{what: prefix|\n"
    "origin|upstream, prefix, asn, upstream, path}].\n"
    "\n"
    "Exit status: 0 the query ran, even when no event matched (the table\n"
    "then says so; JSON prints nothing); 1 --entity names an entity the\n"
    "database does not know; 2 usage error or the database could not be\n"
    "read.\n"
    "\n"
    "Examples:\n"
    "  vigil events --entity KP --since 2014-12-22 --until 2014-12-23\n"
    "  vigil events --open --level critical\n"
    "  vigil events --kind outage --json | jq .entity\n";

struct row {
	struct vg_event ev; /* evidence not kept */
	char name[64];
	char summary[160];
};

struct events_ctx {
	struct vg_store *s;
	int json, show_evidence;
	uint32_t data_end;
	struct row *rows;
	size_t n, cap;
	/* evidence kept for -v: one block per row */
	char **evtext;
	int failed;
};


/* The evidence of EV as indented lines, for -v. */
static char *
evidence_lines(const struct vg_event *ev)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	for (uint32_t i = 0; i < ev->n_evidence && ev->evidence; i++) {
		const struct vg_evidence *x = &ev->evidence[i];
		if (x->what == 'p') {
			fprintf(f, "    prefix   %-18s origin AS%u", x->text,
			        x->asn);
			if (x->upstream)
				fprintf(f, " via AS%u", x->upstream);
			if (x->path[0])
				fprintf(f, "  path %s", x->path);
		} else if (x->what == 'o') {
			fprintf(f, "    origin   AS%u", x->asn);
		} else if (x->what == 'u') {
			fprintf(f, "    upstream AS%u", x->asn);
		} else {
			fprintf(f, "    %c        %s AS%u", x->what ? x->what : '?',
			        x->text, x->asn);
		}
		fputc('\n', f);
	}
	if (ev->n_evidence_total > ev->n_evidence)
		fprintf(f, "    ... and %u more\n",
		        ev->n_evidence_total - ev->n_evidence);
	fclose(f);
	return buf;
}

static int
on_event(void *vctx, const struct vg_event *ev)
{
	struct events_ctx *c = vctx;
	char name[64];
	struct row *r;

	if (store_entity_name(c->s, &ev->ent, name, sizeof(name)) < 0)
		name[0] = '\0';
	if (c->json) {
		query_json_event(stdout, ev, name);
		return 0;
	}
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		struct row *nr = realloc(c->rows, nc * sizeof(*nr));
		char **ne = realloc(c->evtext, nc * sizeof(*ne));
		if (nr)
			c->rows = nr;
		if (ne)
			c->evtext = ne;
		if (nr == NULL || ne == NULL) {
			c->failed = 1;
			return 1;
		}
		c->cap = nc;
	}
	r = &c->rows[c->n];
	r->ev = *ev;
	r->ev.evidence = NULL;
	snprintf(r->name, sizeof(r->name), "%s", name);
	{
		char tmp[sizeof(r->summary)];
		snprintf(r->summary, sizeof(r->summary), "%s",
		         query_evidence_summary(ev, tmp, sizeof(tmp)));
	}
	c->evtext[c->n] = c->show_evidence ? evidence_lines(ev) : NULL;
	c->n++;
	return 0;
}

enum { COL_START, COL_END, COL_DUR, COL_ENT, COL_NAME, COL_KIND, COL_LEVEL,
       COL_DEPTH, COL_SEV, COL_EVID, NCOL };

static void
row_cells(const struct events_ctx *c, const struct row *r,
          char cell[NCOL][160])
{
	const struct vg_event *ev = &r->ev;
	char d[32];

	query_time(ev->start, cell[COL_START]);
	if (ev->end) {
		query_time(ev->end, cell[COL_END]);
		query_dur(ev->end - ev->start, cell[COL_DUR], 160);
	} else {
		snprintf(cell[COL_END], 160, "ongoing");
		query_dur(c->data_end > ev->start ? c->data_end - ev->start : 0,
		          d, sizeof(d));
		snprintf(cell[COL_DUR], 160, "%s+", d);
	}
	vg_entity_fmt(&ev->ent, cell[COL_ENT]);
	snprintf(cell[COL_NAME], 160, "%s", r->name[0] ? r->name : "-");
	snprintf(cell[COL_KIND], 160, "%s", vg_event_kind_name(ev->kind));
	snprintf(cell[COL_LEVEL], 160, "%s", vg_event_level_name(ev->level));
	if (ev->depth != ev->depth)
		snprintf(cell[COL_DEPTH], 160, "-");
	else if (ev->kind == VG_EVENT_OUTAGE)
		snprintf(cell[COL_DEPTH], 160, "%.0f%%", ev->depth * 100);
	else
		snprintf(cell[COL_DEPTH], 160, "z %.1f", ev->depth);
	if (ev->severity != ev->severity)
		snprintf(cell[COL_SEV], 160, "-");
	else
		snprintf(cell[COL_SEV], 160, "%.1f", ev->severity);
	snprintf(cell[COL_EVID], 160, "%s", r->summary);
}

static void
print_table(struct events_ctx *c)
{
	static const char *const head[NCOL] = {
	    "START", "END", "DURATION", "ENTITY", "NAME", "KIND",
	    "LEVEL", "DEPTH", "SEV", "EVIDENCE"};
	static char cell[NCOL][160];
	int w[NCOL];

	for (int k = 0; k < NCOL; k++)
		w[k] = query_width(head[k]);
	for (size_t i = 0; i < c->n; i++) {
		row_cells(c, &c->rows[i], cell);
		for (int k = 0; k < NCOL; k++) {
			int n = query_width(cell[k]);
			if (k == COL_NAME && n > 24)
				n = 24; /* long AS names are cut */
			if (n > w[k])
				w[k] = n;
		}
	}
	for (int k = 0; k < NCOL; k++) {
		if (k == NCOL - 1)
			fputs(head[k], stdout);
		else
			query_pad(stdout, head[k], w[k] + 2);
	}
	fputc('\n', stdout);
	for (size_t i = 0; i < c->n; i++) {
		row_cells(c, &c->rows[i], cell);
		for (int k = 0; k < NCOL; k++) {
			if (k == NCOL - 1)
				fputs(cell[k], stdout);
			else if (k == COL_DEPTH || k == COL_SEV) {
				/* numbers to the right */
				printf("%*s  ", w[k], cell[k]);
			} else
				query_pad(stdout, cell[k], w[k] + 2);
		}
		fputc('\n', stdout);
		if (c->evtext[i])
			fputs(c->evtext[i], stdout);
	}
}

enum { OPT_DB = 256, OPT_EXACT, OPT_SINCE, OPT_UNTIL, OPT_OPEN, OPT_OFFSET };

int
cmd_events(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"entity", required_argument, NULL, 'e'},
	    {"exact", no_argument, NULL, OPT_EXACT},
	    {"kind", required_argument, NULL, 'k'},
	    {"level", required_argument, NULL, 'l'},
	    {"since", required_argument, NULL, OPT_SINCE},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"open", no_argument, NULL, OPT_OPEN},
	    {"limit", required_argument, NULL, 'n'},
	    {"offset", required_argument, NULL, OPT_OFFSET},
	    {"evidence", no_argument, NULL, 'v'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = QUERY_DEFAULT_DB, *ent_arg = NULL;
	struct store_event_query q;
	struct events_ctx c;
	struct vg_entity ent;
	uint32_t first, last;
	int opt, exact = 0, status = EXIT_CLEAN;
	char name[64], *end;

	memset(&q, 0, sizeof(q));
	memset(&c, 0, sizeof(c));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "e:k:l:n:vjh", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case OPT_DB:
			db = optarg;
			break;
		case 'e':
			ent_arg = optarg;
			break;
		case OPT_EXACT:
			exact = 1;
			break;
		case 'k':
			if (strcmp(optarg, "outage") == 0)
				q.kind = VG_EVENT_OUTAGE;
			else if (strcmp(optarg, "instability") == 0)
				q.kind = VG_EVENT_INSTABILITY;
			else {
				fprintf(stderr, "vigil events: --kind '%s': "
				                "outage or instability\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			if (strcmp(optarg, "warning") == 0)
				q.min_level = VG_LEVEL_WARNING;
			else if (strcmp(optarg, "critical") == 0)
				q.min_level = VG_LEVEL_CRITICAL;
			else {
				fprintf(stderr, "vigil events: --level '%s': "
				                "warning or critical\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_SINCE:
			if (query_time_arg("events", "--since", optarg,
			                   &q.since) < 0)
				return EXIT_USAGE;
			break;
		case OPT_UNTIL:
			if (query_time_arg("events", "--until", optarg,
			                   &q.until) < 0)
				return EXIT_USAGE;
			break;
		case OPT_OPEN:
			q.open_only = 1;
			break;
		case 'n':
		case OPT_OFFSET: {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end || *optarg == '-' ||
			    v > 0xffffffffUL) {
				fprintf(stderr, "vigil events: %s '%s' is not "
				                "a count\n",
				        opt == 'n' ? "--limit" : "--offset",
				        optarg);
				return EXIT_USAGE;
			}
			if (opt == 'n')
				q.limit = (uint32_t)v;
			else
				q.offset = (uint32_t)v;
			break;
		}
		case 'v':
			c.show_evidence = 1;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'h':
			fputs(events_usage, stdout);
			return EXIT_CLEAN;
		default:
			fputs("try `vigil events --help`\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigil events: unexpected '%s' (the entity "
		                "goes with --entity)\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	if (q.since && q.until && q.until < q.since) {
		fputs("vigil events: --until is before --since\n", stderr);
		return EXIT_USAGE;
	}
	if (ent_arg && query_entity_arg("events", ent_arg, &ent) < 0)
		return EXIT_USAGE;
	if ((c.s = query_open("events", db)) == NULL)
		return EXIT_USAGE;
	if (ent_arg) {
		int rc = query_entity_known("events", c.s, db, &ent, name,
		                            sizeof(name));
		if (rc <= 0) {
			store_close(c.s);
			return rc < 0 ? EXIT_USAGE : EXIT_PROBLEMS;
		}
		q.ent = &ent;
		q.ent_prefix_only = !exact;
	}
	q.with_evidence = 1;
	if (store_time_range(c.s, &first, &last) == 0)
		c.data_end = last + query_bin_len(c.s);
	if (store_query_events(c.s, &q, on_event, &c) < 0) {
		fprintf(stderr, "vigil events: %s: %s\n", db, store_error(c.s));
		status = EXIT_USAGE;
	} else if (c.failed) {
		fputs("vigil events: out of memory\n", stderr);
		status = EXIT_USAGE;
	} else if (!c.json) {
		if (c.n)
			print_table(&c);
		else
			puts("no matching events");
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.evtext[i]);
	free(c.evtext);
	free(c.rows);
	store_close(c.s);
	if (fflush(stdout) != 0 && status == EXIT_CLEAN)
		status = EXIT_USAGE;
	return status;
}
