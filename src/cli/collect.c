/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil collect`: the live collector.  Reads the configuration file and
 * hands over to the collector (src/collect/); see docs/collect.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vigil/alert.h"
#include "vigil/collect.h"

static const char collect_usage[] =
    "usage: vigil collect -c FILE [-f] [--check]\n"
    "\n"
    "Run vigil as a live route collector: a passive BGP speaker that\n"
    "accepts sessions from the configured peers only, archives everything\n"
    "it receives as RIPE RIS-style MRT files, and runs it through the same\n"
    "routing state and detectors as `vigil replay`, closing a time bin\n"
    "every `bin` seconds of wall-clock time; signals and events go to the\n"
    "SQLite database, events to the log as they open and close.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE   configuration file (required; format below)\n"
    "  -f, --foreground    also copy the log to stderr when `log` names a\n"
    "                      file\n"
    "  --check             read the configuration, report problems, exit\n"
    "  --alert-* ...       alerts, as below; added to the file's alert-*\n"
    "                      directives (same names without the dashes)\n"
    "\n"
    "Configuration (one directive per line, # comments; docs/collect.md):\n"
    "  collector NAME             archive sub-directory name and database\n"
    "                             collector key (default vigil)\n"
    "  local-as ASN               our AS (required)\n"
    "  router-id A.B.C.D          our BGP identifier (required)\n"
    "  listen ADDRESS PORT        BGP listener; repeatable\n"
    "  bmp-listen ADDRESS PORT    BMP listener; repeatable\n"
    "  bmp-view first|pre-policy|post-policy\n"
    "                             the Adj-RIB-In view of a BMP-monitored\n"
    "                             peer that counts, per address family\n"
    "                             (first: that of its first route\n"
    "                             monitoring message)\n"
    "  hold-time SECONDS          offered hold time (90; 0 = none)\n"
    "  archive DIR                MRT archive: DIR/YYYY.MM/updates.YYYYMMDD.\n"
    "                             HHMM.gz and bview.YYYYMMDD.HHMM.gz\n"
    "  updates-interval SECONDS   one updates file per interval (300)\n"
    "  rib-interval SECONDS       RIB dump period (28800; 0 = none); every\n"
    "                             attribute of every route; a second dump\n"
    "                             in a minute is named bview.YYYYMMDD.\n"
    "                             HHMMSS.gz\n"
    "  db FILE                    SQLite database (created if missing)\n"
    "  bin SECONDS                detection bin (300)\n"
    "  geo-rir FILE, geo-csv FILE, geo-mmdb FILE, geo-asnames FILE\n"
    "                             geography, as `vigil replay --geo`\n"
    "  status-file FILE           JSON status, rewritten every second\n"
    "  log FILE                   log file (default stderr)\n"
    "  peer ADDRESS as ASN [name NAME] [add-path]\n"
    "                             a peer; only these are accepted\n"
    "  queue-size MIB             bound of the queue between the socket\n"
    "                             loop and processing (64)\n"
    "  full-feed-v4 N, full-feed-v6 N, visible-ratio R, stale-grace S,\n"
    "  window BINS, warmup BINS, min-bins N, warning F, critical F\n"
    "                             as the `vigil replay` options\n"
    "  alert-json FILE, alert-syslog, alert-webhook URL, alert-slack URL,\n"
    "  alert-spool DIR, ...       notifications as events open, escalate\n"
    "                             and close (the --alert-* options below)\n"
    "\n"
    "Signals: SIGHUP re-reads the file and adds or removes peers; SIGTERM\n"
    "and SIGINT close the sessions (Cease/Administrative Shutdown), finish\n"
    "the archive files and commit the database.\n"
    "\n"
    "Log lines: `TIME key=value ...`, one per event, e.g.\n"
    "  2026-11-23T13:20:00Z peer=127.0.0.2 as=65002 "
    "event=notification-received\n"
    "  code=6 subcode=2 reason=\"Cease/Administrative Shutdown\"\n"
    "\n"
    "Exit status: 0 after a clean shutdown; 2 on a usage or configuration\n"
    "error, or when something could not be set up (listener, database,\n"
    "archive).\n";

#define O_ALERT 300

int
cmd_collect(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"check", no_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    ALERT_LONGOPTS(O_ALERT),
	    {NULL, 0, NULL, 0},
	};
	struct collect_run_opts ro;
	struct collect_cfg cfg;
	struct alert_opts ao;
	char err[1024];
	const char *aopt[16], *aarg[16];
	unsigned nalert = 0;
	int c, li, check = 0;

	memset(&ro, 0, sizeof(ro));
	alert_opts_default(&ao);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:fh", longopts, &li)) != -1) {
		switch (c) {
		case O_ALERT:
			if (alert_opts_parse(&ao, longopts[li].name, optarg) < 0) {
				fprintf(stderr, "vigil collect: %s\n", ao.err);
				return EXIT_USAGE;
			}
			if (nalert == 16) {
				fputs("vigil collect: at most 16 alert options\n",
				      stderr);
				return EXIT_USAGE;
			}
			aopt[nalert] = longopts[li].name;
			aarg[nalert++] = optarg;
			break;
		case 'c':
			ro.cfg_path = optarg;
			break;
		case 'f':
			ro.foreground = 1;
			break;
		case 'C':
			check = 1;
			break;
		case 'h':
			fputs(collect_usage, stdout);
			fputs("\nAlert options:\n", stdout);
			fputs(alert_usage, stdout);
			return EXIT_CLEAN;
		default:
			fputs("Try `vigil collect --help`.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (ro.cfg_path == NULL || optind != argc) {
		fputs("vigil collect: -c FILE is required and nothing else\n"
		      "Try `vigil collect --help`.\n", stderr);
		return EXIT_USAGE;
	}
	if (collect_cfg_load(&cfg, ro.cfg_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "vigil collect: %s\n", err);
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < nalert; i++) {
		if (cfg.nalert == 16) {
			fputs("vigil collect: at most 16 alert directives and "
			      "options\n", stderr);
			collect_cfg_free(&cfg);
			return EXIT_USAGE;
		}
		cfg.alert_opt[cfg.nalert] = strdup(aopt[i]);
		cfg.alert_arg[cfg.nalert] = aarg[i] ? strdup(aarg[i]) : NULL;
		cfg.nalert++;
	}
	if (check) {
		printf("%s: %u peer%s, %u listener%s\n", ro.cfg_path, cfg.npeers,
		       cfg.npeers == 1 ? "" : "s", cfg.nlisten,
		       cfg.nlisten == 1 ? "" : "s");
		collect_cfg_free(&cfg);
		return EXIT_CLEAN;
	}
	return collect_run(&cfg, &ro) == 0 ? EXIT_CLEAN : EXIT_USAGE;
}
