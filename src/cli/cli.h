/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared pieces of the `vigil` command: subcommand entry points. */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

/* Exit statuses, documented in `vigil --help` and README.md. */
#define EXIT_CLEAN 0
#define EXIT_PROBLEMS 1 /* finished, but some input was bad or skipped */
#define EXIT_USAGE 2    /* bad command line, or a file could not be read */

int cmd_dump(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_scenario(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_signals(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_collect(int argc, char **argv);

extern const char *vigil_progname;

#endif
