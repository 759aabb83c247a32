/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Charts of an entity's signals as self-contained SVG (no scripts, no
 * external fonts or images): the visible address space as a line with its
 * baseline dashed, outage spans shaded (amber warning, red critical) and
 * labelled with their start and end, one line per upstream of a country,
 * an instability strip along the bottom, a second panel for IPv6 when the
 * entity has any, UTC time ticks and round y ticks.  The renderer takes
 * plain arrays, so `vigil plot`, the HTTP server and the tests share it; it
 * does no I/O beyond the output buffer it is given.
 */
#ifndef VIGIL_PLOT_H
#define VIGIL_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/entity.h"
#include "vigil/obuf.h"

/* One extra line: an upstream of the country ("via AS4837 (China
 * Unicom)"); its v4_units are drawn. */
struct plot_line {
	const char *label;           /* legend text (UTF-8) */
	const struct vg_signal *sig; /* oldest first */
	size_t n;
};

struct plot_spec {
	const char *entity;          /* "country:KP" */
	const char *name;            /* "North Korea", or NULL / "" */
	const struct vg_signal *sig; /* the entity's series, oldest first */
	size_t n;
	const struct plot_line *lines; /* upstream lines, or NULL */
	size_t n_lines;
	const struct vg_event *events; /* the entity's events (any order;
	                                  those outside the range are
	                                  ignored; evidence is not used) */
	size_t n_events;
	uint32_t from, until; /* time shown; 0 = from the first bin's start /
	                         to the last bin's end (or data_end) */
	uint32_t hold;        /* series may be sparse (the observatory writes
	                         a row when something changed, and every
	                         hour): a row's values hold until the next row
	                         for at most HOLD seconds, else the line
	                         breaks; 0 = 3900 (an hour and a bin) */
	uint32_t data_end;    /* where the data ends (rows hold no further);
	                         0 = unknown */
	const char *footer;   /* left footer text (data source), or NULL */
	unsigned width, height; /* pixels; 0 = 1000 x 420 (+110 with an IPv6
	                           panel) */
};

/* Where things go, for callers that overlay or hit-test the chart. */
struct plot_layout {
	unsigned width, height;
	double x0, x1;     /* the plot area's left and right edges */
	double top, bottom; /* the IPv4 panel's top and bottom */
	double v6_top, v6_bottom; /* the IPv6 panel, or both 0 */
	uint32_t t0, t1;   /* the times at x0 and x1 */
	uint32_t hold;     /* the hold in effect (see plot_spec) */
	double ymax;       /* the IPv4 value at top */
	double v6_ymax;
	int legend_rows;
};

/* Work out the layout of SPEC.  0, or -1 if SPEC is unusable (no entity,
 * until before from). */
int plot_layout(const struct plot_spec *spec, struct plot_layout *lay);

/* The x coordinate of time T (not clamped to the plot area). */
double plot_x(const struct plot_layout *lay, uint32_t t);

/*
 * Write SPEC as one SVG document to OUT.  All text from SPEC (entity,
 * name, labels, footer) is XML-escaped; invalid UTF-8 becomes U+FFFD.
 * Returns 0, or -1 if SPEC is unusable or OUT failed (out->error).
 */
int plot_svg(const struct plot_spec *spec, struct vg_obuf *out);

#endif
