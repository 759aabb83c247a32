/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The live collector (`vigil collect`): passive BGP sessions with the
 * configured peers, every received message archived as MRT the way RIPE
 * RIS does, and fed to the observatory (routing state, signals,
 * detectors) whose signals and events go to the SQLite store as bins
 * close on the wall clock.
 *
 * Two threads: the event loop (libevent) reads sockets, frames messages,
 * runs the state machines and timers and never waits for storage; a
 * processing thread archives, decodes and detects.  Between them a
 * bounded queue of MRT records: when it is full the loop stops reading
 * from the sockets (TCP flow control pushes back to the routers) and
 * counts the overflow; nothing is dropped, and keepalives keep going out.
 *
 * The configuration file format is documented in docs/collect.md.
 */
#ifndef VIGIL_COLLECT_H
#define VIGIL_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/addr.h"
#include "vigil/obs.h"

#define COLLECT_MAX_LISTEN 16
#define COLLECT_MAX_GEO 32

struct collect_peer_cfg {
	struct vg_addr addr;
	uint32_t asn;
	char name[32];
	uint8_t addpath; /* offer ADD-PATH receive */
};

struct collect_listen {
	struct vg_addr addr;
	uint16_t port;
};

/* `bmp-view`: a router may monitor a peer's pre- and post-policy
 * Adj-RIB-In at once; one of them feeds the routing state and the archive
 * (two views of one peer would count every route twice and flip its path
 * between the two).  FIRST: the view of the first route monitoring message
 * seen for the peer. */
#define COLLECT_BMP_VIEW_FIRST 0
#define COLLECT_BMP_VIEW_PRE 1
#define COLLECT_BMP_VIEW_POST 2

struct collect_cfg {
	char collector[32];
	uint32_t local_as;
	uint8_t router_id[4];
	struct collect_listen listen[COLLECT_MAX_LISTEN];
	unsigned nlisten;
	struct collect_listen bmp_listen[COLLECT_MAX_LISTEN];
	unsigned nbmp;
	uint8_t bmp_view;         /* COLLECT_BMP_VIEW_*: which Adj-RIB-In view
	                             of a monitored peer feeds the state */
	uint16_t hold_time;
	char archive[1024];       /* "" = no archive */
	uint32_t updates_interval; /* seconds, 300 */
	uint32_t rib_interval;     /* seconds, 28800; 0 = no RIB dumps */
	char db[1024];            /* "" = no database */
	char status_file[1024];   /* "" = none */
	char log[1024];           /* "" = stderr */
	char *geo[COLLECT_MAX_GEO];
	unsigned ngeo;
	size_t queue_bytes;       /* queue bound, default 64 MiB */
	uint32_t debug_delay_ms;  /* testing aid: processing sleeps this long
	                             per 100 KiB of records (backpressure) */
	struct obs_opts obs;      /* bin, thresholds */
	struct collect_peer_cfg *peers;
	unsigned npeers;
	char *alert_opt[16];      /* --alert-* options, "name\0value" pairs */
	char *alert_arg[16];
	unsigned nalert;
};

/*
 * Read the configuration file PATH into C (zeroed and defaulted first).
 * Returns 0, or -1 with "PATH:LINE: what is wrong" in ERR.  Free with
 * collect_cfg_free().
 */
int collect_cfg_load(struct collect_cfg *c, const char *path, char *err,
                     size_t errlen);
void collect_cfg_free(struct collect_cfg *c);

/* Options of one run that are not in the file. */
struct collect_run_opts {
	const char *cfg_path;   /* re-read on SIGHUP */
	int foreground;         /* -f: also log to stderr */
};

/*
 * Run the collector with configuration C until SIGTERM or SIGINT.  Takes
 * ownership of C (it is replaced on reload and freed at the end).  Returns
 * 0 after a clean shutdown, or 2 if something could not be set up (the
 * reason printed on stderr / the log).
 */
int collect_run(struct collect_cfg *c, const struct collect_run_opts *o);

#endif
