/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Archive fetching shared by `vigil fetch` and `vigil replay --collector
 * ... --from ... --until ...` (src/cli/fetch.c): the options both take,
 * and the session replay runs while it reads the files.
 */
#ifndef VIGIL_CLI_FETCH_H
#define VIGIL_CLI_FETCH_H

#include <getopt.h>

#include "vigil/fetch.h"
#include "vigil/geo.h"
#include "vigil/obs.h"
#include "vigil/store.h"

enum {
	FO_FROM = 0x1000,
	FO_UNTIL,
	FO_CACHE,
	FO_RIS_BASE,
	FO_RV_BASE,
	FO_BASE,
	FO_RIR_BASE,
	FO_JOBS,
	FO_RETRIES,
	FO_RETRY_WAIT,
	FO_TIMEOUT,
	FO_CONNECT_TIMEOUT,
	FO_NO_LISTING,
};

/* getopt_long entries of the shared options (put them in a command's
 * table; fetch_cli_opt handles their codes) */
#define FETCH_CLI_LONGOPTS                                                   \
	{"from", required_argument, NULL, FO_FROM},                          \
	{"until", required_argument, NULL, FO_UNTIL},                        \
	{"cache", required_argument, NULL, FO_CACHE},                        \
	{"ris-base", required_argument, NULL, FO_RIS_BASE},                  \
	{"rv-base", required_argument, NULL, FO_RV_BASE},                    \
	{"base", required_argument, NULL, FO_BASE},                          \
	{"rir-base", required_argument, NULL, FO_RIR_BASE},                  \
	{"jobs", required_argument, NULL, FO_JOBS},                          \
	{"retries", required_argument, NULL, FO_RETRIES},                    \
	{"retry-wait", required_argument, NULL, FO_RETRY_WAIT},              \
	{"timeout", required_argument, NULL, FO_TIMEOUT},                    \
	{"connect-timeout", required_argument, NULL, FO_CONNECT_TIMEOUT},    \
	{"no-listing", no_argument, NULL, FO_NO_LISTING}

/* The options' help text (for --help of fetch and replay). */
extern const char fetch_cli_help[];

struct fetch_cli {
	struct fetch_opts o;
	uint32_t from, until;
	int have_from, have_until;
	const char *ris_base, *rv_base;
	struct {
		char name[32];
		const char *url;
	} bases[32];
	unsigned nbases;
};

void fetch_cli_init(struct fetch_cli *fc);

/* Handle option CODE with ARG: 0 handled, -1 not one of ours, -2 bad value
 * (reported on stderr, prefixed by CMD). */
int fetch_cli_opt(struct fetch_cli *fc, const char *cmd, int code,
                  const char *arg);

/* Plan the comma-separated COLLECTORS over fc's range into P (sorted).
 * 0, or -1 (reported on stderr, prefixed by CMD). */
int fetch_cli_plan(struct fetch_cli *fc, const char *cmd,
                   const char *collectors, struct fetch_plan *p);

/* ---- replay's session ---------------------------------------------------- */

struct replay_fetch;

/* Plan and start downloading COLLECTORS over fc's range.  NULL on error
 * (reported).  QUIET: no plan notes. */
struct replay_fetch *replay_fetch_start(struct fetch_cli *fc,
                                        const char *collectors, int quiet);

/* The MRT files, in plan order: their cache paths, collectors and times.
 * The arrays belong to the session. */
size_t replay_fetch_files(struct replay_fetch *rf, char ***paths,
                          const char ***collectors, uint32_t **times);

/* Load the cached RIR delegation files of the start date (`vigil fetch
 * --geo`) into GEO; the number loaded, or -1 (reported). */
int replay_fetch_geo(struct replay_fetch *rf, struct geo_db *geo);

/* Tell the observatory the gaps known from the plan. */
void replay_fetch_attach(struct replay_fetch *rf, struct obs *ob);

/* Block until PATH (one of the session's files) is in the cache.  0, or
 * -1 if it is missing or failed: then its interval is a gap (reported,
 * told to the observatory) and the caller skips the file. */
int replay_fetch_wait(struct replay_fetch *rf, const char *path);

/* Print the files missing and the intervals without data (unless QUIET)
 * and store the gaps in DB (may be NULL).  Returns 1 if data was missing,
 * 0 if not, -1 on a database error. */
int replay_fetch_finish(struct replay_fetch *rf, struct vg_store *db,
                        int quiet);

void replay_fetch_free(struct replay_fetch *rf);

#endif
