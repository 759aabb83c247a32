/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Events as JSON: the one encoder behind `vigil events --json`, `vigil
 * replay --json`, the alert payloads and anything else that prints an
 * event object, so every front end shows the same fields.  Writes to a
 * stdio stream (use open_memstream for a buffer).
 */
#ifndef VIGIL_EVENT_JSON_H
#define VIGIL_EVENT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil/entity.h"

/* ISO 8601 UTC text: "2014-12-22T16:15Z", with ":SS" when not zero. */
#define VG_TIME_ISOLEN 64
const char *vg_time_iso(uint32_t t, char buf[VG_TIME_ISOLEN]);

/* A duration as `vigil events` prints it: "9h31m", "2d3h", "45m", "30s". */
const char *vg_dur_fmt(uint32_t d, char *buf, size_t len);

/* JSON values: a string (UTF-8 kept when valid, other bytes as U+FFFD,
 * controls escaped; NULL prints ""), a number (null for NaN and the
 * infinities), a time as an ISO string (null for 0). */
void vg_json_str(FILE *f, const char *s);
void vg_json_num(FILE *f, double v);
void vg_json_time(FILE *f, uint32_t t);

/* The evidence array of EV. */
void vg_event_json_evidence(FILE *f, const struct vg_event *ev);

/* EV as one JSON object, evidence included, no newline.  NAME (the
 * entity's name) may be NULL (printed as null). */
void vg_event_json(FILE *f, const struct vg_event *ev, const char *name);

#endif
