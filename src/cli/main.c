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
    "  collect   run a live BGP route collector: archive, detect, store\n"
    "  scenario  build a multi-peer MRT test scenario from a real table,\n"
    "            with scripted outages, flaps and session drops\n"
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

/* One row per subcommand; a new command is one line here and one in cli.h. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"dump", cmd_dump},
	{"replay", cmd_replay},
	{"scenario", cmd_scenario},
	{"events", cmd_events},
	{"status", cmd_status},
	{"signals", cmd_signals},
	{"plot", cmd_plot},
	{"collect", cmd_collect},
};

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct command *c;
	const char *cmd;

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		if (strcmp(cmd, "help") == 0 && argc > 2 &&
		    (c = find_command(argv[2])) != NULL) {
			char *av[] = {argv[2], "--help", NULL};
			return c->run(2, av);
		}
		fputs(usage, stdout);
		return EXIT_CLEAN;
	}
	if (strcmp(cmd, "--version") == 0) {
		puts("vigil 0.1");
		return EXIT_CLEAN;
	}
	if ((c = find_command(cmd)) != NULL)
		return c->run(argc - 1, argv + 1);
	fprintf(stderr, "vigil: unknown command '%s' (try `vigil --help`)\n",
	        cmd);
	return EXIT_USAGE;
}
