/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vigil: the command.  Dispatches to subcommands (dump, replay, ...), each in
 * its own file under src/cli/.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const char *vigil_progname = "vigil";

static const char usage[] =
    "usage: vigil COMMAND [OPTIONS] [FILE...]\n"
    "\n"
    "vigil watches the global routing table and tells you, with evidence,\n"
    "when a country or a network goes dark or starts to shake.\n"
    "\n"
    "Commands:\n"
    "  dump      decode MRT archives (RouteViews, RIPE RIS) to text:\n"
    "            bgpdump -m compatible lines or JSON, with filters\n"
    "  replay    run archives through the routing state and detectors;\n"
    "            signals and events to a database, events printed\n"
    "  events    list the outages and instability in a database\n"
    "  status    an entity's state at a time: visibility, events, upstreams\n"
    "  signals   an entity's per-bin signals (table, CSV, JSON)\n"
    "  plot      an entity's visibility and events as an SVG chart\n"
    "  help      show this text, or `vigil help COMMAND`\n"
    "\n"
    "Input files may be plain, gzip, bzip2, zstd or xz (detected from their\n"
    "contents); '-' reads standard input.\n"
    "\n"
    "Exit status: 0 all input decoded cleanly; 1 finished, but some records\n"
    "were malformed, truncated or skipped (each one reported on stderr);\n"
    "2 usage error or an input that could not be opened or read.\n"
    "\n"
    "Run `vigil COMMAND --help` for the options of a command.\n";

int
main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		if (strcmp(cmd, "help") == 0 && argc > 2) {
			char *av[] = {argv[2], "--help", NULL};
			if (strcmp(argv[2], "dump") == 0)
				return cmd_dump(2, av);
			if (strcmp(argv[2], "replay") == 0)
				return cmd_replay(2, av);
			if (strcmp(argv[2], "scenario") == 0)
				return cmd_scenario(2, av);
			if (strcmp(argv[2], "events") == 0)
				return cmd_events(2, av);
			if (strcmp(argv[2], "status") == 0)
				return cmd_status(2, av);
			if (strcmp(argv[2], "signals") == 0)
				return cmd_signals(2, av);
			if (strcmp(argv[2], "plot") == 0)
				return cmd_plot(2, av);
		}
		fputs(usage, stdout);
		return EXIT_CLEAN;
	}
	if (strcmp(cmd, "--version") == 0) {
		puts("vigil 0.1");
		return EXIT_CLEAN;
	}
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(argc - 1, argv + 1);
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(cmd, "scenario") == 0)
		return cmd_scenario(argc - 1, argv + 1);
	if (strcmp(cmd, "events") == 0)
		return cmd_events(argc - 1, argv + 1);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(cmd, "signals") == 0)
		return cmd_signals(argc - 1, argv + 1);
	if (strcmp(cmd, "plot") == 0)
		return cmd_plot(argc - 1, argv + 1);
	fprintf(stderr, "vigil: unknown command '%s' (try `vigil --help`)\n",
	        cmd);
	return EXIT_USAGE;
}
