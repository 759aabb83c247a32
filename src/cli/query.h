/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pieces shared by the commands that read a vigil database (events,
 * status, signals, plot): opening it, parsing time and entity arguments
 * with one clear message each, and the text forms of times, durations and
 * JSON values they print.
 */
#ifndef VIGIL_CLI_QUERY_H
#define VIGIL_CLI_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil/entity.h"
#include "vigil/store.h"

#define QUERY_DEFAULT_DB "vigil.db"

/* ISO 8601 UTC text: "2014-12-22T16:15Z", with ":SS" when not zero. */
#define QUERY_TIMELEN 64

/* Open PATH read-only; on failure print "vigil CMD: PATH: why" (with a
 * hint when the file is missing) and return NULL. */
struct vg_store *query_open(const char *cmd, const char *path);

/* Parse OPT's value S (Unix seconds or ISO 8601 UTC) into *OUT; prints
 * the problem and returns -1 when it is not a time. */
int query_time_arg(const char *cmd, const char *opt, const char *s,
                   uint32_t *out);

/* Parse an entity argument ("country:KP", "KP", "AS131279", ...); prints
 * the problem and returns -1. */
int query_entity_arg(const char *cmd, const char *s, struct vg_entity *e);

/* Name of E into NAME; prints "vigil CMD: E is not in PATH" and returns 0
 * when the database does not know E, -1 on error (printed), 1 found. */
int query_entity_known(const char *cmd, struct vg_store *s, const char *path,
                       const struct vg_entity *e, char *name, size_t len);

/* The name to show for upstream entity E ("upstream:KP:4837"): the name
 * of asn:4837 when the database has one, else FALLBACK (the upstream
 * entity's own name).  Cut to MAX code points with an ellipsis. */
void query_upstream_name(struct vg_store *s, const struct vg_entity *e,
                         const char *fallback, int max, char *buf,
                         size_t len);

/* The database's bin length (meta bin_len, else the default 300 s). */
uint32_t query_bin_len(struct vg_store *s);

const char *query_time(uint32_t t, char buf[QUERY_TIMELEN]);
/* "9h31m", "2d3h", "45m", "30s" */
const char *query_dur(uint32_t d, char *buf, size_t len);

/* JSON: a string (UTF-8 kept when valid; other bytes escaped), a number
 * (null for NaN), a time as a string (null for 0). */
void query_json_str(FILE *f, const char *s);
void query_json_num(FILE *f, double v);
void query_json_time(FILE *f, uint32_t t);
/* The evidence array of EV as JSON. */
void query_json_evidence(FILE *f, const struct vg_event *ev);
/* EV as one JSON object and a newline, evidence included; NAME (the
 * entity's name) may be NULL. */
void query_json_event(FILE *f, const struct vg_event *ev, const char *name);

/* "4 prefixes, origin AS131279, upstream AS4837 (+36 more)" or "-". */
const char *query_evidence_summary(const struct vg_event *ev, char *buf,
                                   size_t len);

/* Print S, cut or padded to WIDTH columns (UTF-8 aware). */
void query_pad(FILE *f, const char *s, int width);
/* Columns S takes (code points). */
int query_width(const char *s);

#endif
