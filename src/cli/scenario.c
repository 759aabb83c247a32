/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil scenario`: build a scripted multi-peer scenario (RIS-style bview
 * and 5-minute update files plus truth.json) from a spec and real data, to
 * test the outage detector against a known truth.  The work is done by
 * src/scenario/; this file parses options, prints progress and the summary.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli.h"
#include "vigil/scenario.h"

static const char scenario_usage[] =
    "usage: vigil scenario [OPTIONS] SPEC OUTDIR\n"
    "\n"
    "Clone one real full-table BGP session (an MRT file) to N collector\n"
    "peers and script outages, flaps, path changes, session drops and\n"
    "table re-sends over background churn, deterministically from a seed.\n"
    "OUTDIR (created if missing) gets what a RIPE RIS collector writes:\n"
    "bview.YYYYMMDD.HHMM.gz (TABLE_DUMP_V2) at the start, then\n"
    "updates.YYYYMMDD.HHMM.gz (BGP4MP_ET) every 5 minutes, and truth.json\n"
    "with every scripted event, its prefixes, peers and expected depth.\n"
    "Files of the same names are replaced, others left alone: use a fresh\n"
    "OUTDIR so no stale update files remain.\n"
    "Peers use documentation addresses (192.0.2.N, 2001:db8::N) and private\n"
    "ASNs (65536+, RFC 5398); nothing is ever sent anywhere.\n"
    "\n"
    "Options:\n"
    "  --source FILE   use FILE as the source session (overrides 'source')\n"
    "  --seed N        override the spec's seed\n"
    "  --level N       gzip level 1..9 (default 6)\n"
    "  --plain         write uncompressed MRT files\n"
    "  -q, --quiet     no progress lines\n"
    "  -n, --dry-run   check the spec and list its events; build nothing\n"
    "                  (OUTDIR may be omitted)\n"
    "  --example       print a commented example spec and exit\n"
    "\n"
    "Spec statements (one per line, '#' comments; TIME is ISO 8601 UTC,\n"
    "Unix seconds or +DUR after start; DUR like 90s, 10m, 2h, 1d, 1h30m):\n"
    "  seed N, start TIME, duration DUR, source PATH, source-peer ADDR,\n"
    "  peers N, peer-asns A,B,..., v6-peers K, partial-peers K fraction F,\n"
    "  churn R/min, jitter DUR, rib-interval DUR, collectors N (peers dealt\n"
    "  over OUTDIR/rrc00, rrc01, ...), compress gzip|none,\n"
    "  level N\n"
    "  outage SEL [fraction F] [peers LIST] from TIME until TIME\n"
    "  flap SEL [fraction F] [peers LIST] every DUR [down DUR]\n"
    "       from TIME until TIME\n"
    "  pathchange SEL [fraction F] [peers LIST] every DUR\n"
    "       from TIME until TIME\n"
    "  session-drop peer I at TIME until TIME\n"
    "  table-resend peer I at TIME\n"
    "  SEL: origin ASN | upstream ASN | prefix P[,P...] (and-ed)\n"
    "\n"
    "Exit status: 0 built; 2 usage or spec error, unreadable source, or a\n"
    "file could not be written.\n";

static const char example_spec[] =
    "# vigil scenario spec: the 2015-10-23 RIS session cloned to 12 peers\n"
    "seed 42\n"
    "start 2015-10-23T00:00:00Z\n"
    "duration 24h\n"
    "source $VIGIL_DATA/mrt/ris-bgpdump/input/updates.et-header.2015.gz\n"
    "peers 12\n"
    "v6-peers 2                  # peers 11 and 12 on IPv6 sessions\n"
    "partial-peers 2 fraction 0.5\n"
    "churn 300/min\n"
    "jitter 30s\n"
    "\n"
    "# North Korea (AS131279, 175.45.176.0/22) goes dark\n"
    "outage origin 131279 from 2015-10-23T16:15:00Z until "
    "2015-10-23T21:46:00Z\n"
    "# a quarter of China Unicom's prefixes\n"
    "outage origin 4837 fraction 0.25 from +2h until +3h\n"
    "# a tenth of the routes to AS7018 that go through AS1239 flap\n"
    "flap upstream 1239 origin 7018 fraction 0.1 every 10m from +5h until +6h\n"
    "pathchange prefix 8.8.8.0/24 every 5m from +7h until +8h\n"
    "session-drop peer 3 at +9h until +9h20m\n"
    "table-resend peer 5 at +11h\n";

struct progress {
	int quiet;
};

/* --dry-run: what the spec says, one line per event. */
static void
print_spec(const struct scenario_spec *s)
{
	char a[32], b[32];
	time_t t = (time_t)s->start;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("seed %llu, start %s, %u s, %u peers (%u IPv6, %u partial at "
	       "%.3g), churn %.6g/min, jitter %u s\nsource %s\n",
	       (unsigned long long)s->seed, a, s->duration, s->n_peers,
	       s->v6_peers, s->partial_peers, s->partial_fraction,
	       s->churn_per_min, s->jitter, s->source);
	for (uint32_t i = 0; i < s->n_events; i++) {
		const struct scenario_event *e = &s->events[i];
		const struct scenario_selector *q = &e->sel;
		t = (time_t)e->start;
		gmtime_r(&t, &tm);
		strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%SZ", &tm);
		t = (time_t)e->end;
		gmtime_r(&t, &tm);
		strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("line %u: %s %s .. %s", e->line,
		       scenario_kind_name(e->kind, q->fraction), a, b);
		if (q->origin)
			printf(" origin %u", q->origin);
		if (q->upstream)
			printf(" upstream %u", q->upstream);
		for (uint32_t k = 0; k < q->n_prefixes; k++) {
			char ps[VG_PREFIX_STRLEN];
			printf("%s%s", k ? "," : " prefix ",
			       vg_prefix_str(&q->prefixes[k], ps));
		}
		if (q->fraction < 1)
			printf(" fraction %.6g", q->fraction);
		if (e->every)
			printf(" every %u s", e->every);
		if (e->down)
			printf(" down %u s", e->down);
		for (uint32_t k = 0; k < e->n_peers; k++)
			printf("%s%u", k ? "," : " peers ", e->peers[k]);
		putchar('\n');
	}
}

static void
on_progress(void *ctx, const char *msg)
{
	struct progress *p = ctx;
	if (!p->quiet)
		fprintf(stderr, "vigil scenario: %s\n", msg);
}

enum {
	OPT_SOURCE = 256,
	OPT_SEED,
	OPT_LEVEL,
	OPT_PLAIN,
	OPT_EXAMPLE,
};

int
cmd_scenario(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"source", required_argument, NULL, OPT_SOURCE},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"level", required_argument, NULL, OPT_LEVEL},
	    {"plain", no_argument, NULL, OPT_PLAIN},
	    {"example", no_argument, NULL, OPT_EXAMPLE},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *source = NULL, *seed = NULL;
	int level = 0, plain = 0, dry = 0, c;
	struct progress pr = {0};
	struct scenario_spec spec;
	struct scenario_stats st;
	struct rusage ru;
	char err[512];

	optind = 1;
	while ((c = getopt_long(argc, argv, "qnh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SOURCE:
			source = optarg;
			break;
		case OPT_SEED:
			seed = optarg;
			break;
		case OPT_LEVEL:
			level = atoi(optarg);
			if (level < 1 || level > 9) {
				fprintf(stderr, "vigil scenario: --level takes "
				                "1..9\n");
				goto usage;
			}
			break;
		case OPT_PLAIN:
			plain = 1;
			break;
		case OPT_EXAMPLE:
			fputs(example_spec, stdout);
			return EXIT_CLEAN;
		case 'q':
			pr.quiet = 1;
			break;
		case 'n':
			dry = 1;
			break;
		case 'h':
			fputs(scenario_usage, stdout);
			return EXIT_CLEAN;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2 && !(dry && argc - optind == 1)) {
		fprintf(stderr,
		        "vigil scenario: need a SPEC file and an OUTDIR\n");
		goto usage;
	}
	scenario_spec_init(&spec);
	if (scenario_spec_load(&spec, argv[optind], err, sizeof(err)) < 0) {
		fprintf(stderr, "vigil scenario: %s\n", err);
		scenario_spec_destroy(&spec);
		return EXIT_USAGE;
	}
	if (source) {
		char *dup = strdup(source);
		if (dup == NULL) {
			fprintf(stderr, "vigil: out of memory\n");
			scenario_spec_destroy(&spec);
			return EXIT_USAGE;
		}
		free(spec.source);
		spec.source = dup;
	}
	if (seed) {
		char *end;
		spec.seed = strtoull(seed, &end, 10);
		if (*end || !*seed) {
			fprintf(stderr, "vigil scenario: bad --seed '%s'\n",
			        seed);
			scenario_spec_destroy(&spec);
			return EXIT_USAGE;
		}
	}
	if (level)
		spec.level = level;
	if (plain)
		spec.gzip = 0;
	if (dry) {
		print_spec(&spec);
		scenario_spec_destroy(&spec);
		return EXIT_CLEAN;
	}

	if (scenario_build(&spec, argv[optind + 1], &st, on_progress, &pr, err,
	                   sizeof(err)) < 0) {
		fprintf(stderr, "vigil scenario: %s\n", err);
		scenario_spec_destroy(&spec);
		return EXIT_USAGE;
	}
	getrusage(RUSAGE_SELF, &ru);
	if (!pr.quiet) {
		fprintf(stderr,
		        "vigil scenario: %s: %u bview (%llu RIB entries), %u "
		        "update files: %llu messages, %llu announcements, %llu "
		        "withdrawals, %llu state changes; %llu churn events, "
		        "%u scripted events; truth.json\n",
		        argv[optind + 1], st.rib_files,
		        (unsigned long long)st.rib_entries, st.update_files,
		        (unsigned long long)st.update_messages,
		        (unsigned long long)st.announcements,
		        (unsigned long long)st.withdrawals,
		        (unsigned long long)st.state_changes,
		        (unsigned long long)st.churn_events, spec.n_events);
		fprintf(stderr,
		        "vigil scenario: %.1f s reading the source, %.1f s the "
		        "bview, %.1f s the updates; %.0f MB of MRT before "
		        "compression; %.0f MB of tables, peak RSS %.0f MB\n",
		        st.sec_load, st.sec_rib, st.sec_updates,
		        st.bytes_raw / 1e6, st.mem_bytes / 1e6,
		        ru.ru_maxrss / 1024.0);
	}
	scenario_spec_destroy(&spec);
	return EXIT_CLEAN;

usage:
	fputs("Try `vigil scenario --help`.\n", stderr);
	return EXIT_USAGE;
}
