/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SVG chart of include/vigil/plot.h.  Layout first (plot_layout: the
 * panels, the time range, the y scale, the legend's rows), then drawing in
 * paint order: frame and grid, outage spans, lines, labels, axes, footer.
 * Series are drawn as steps, since a signal holds for its whole bin; when a
 * range has more bins than the plot has pixel columns, each column draws
 * the span of its bins (first, lowest, highest, last) so a short drop to
 * zero stays visible at any zoom.  Text widths are estimated (no font
 * metrics in a library that has no fonts): 0.58 em per character.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/plot.h"

#define FONT "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"

#define C_TEXT "#1e293b"
#define C_MUTED "#64748b"
#define C_GRID "#e2e8f0"
#define C_GRID_DAY "#cbd5e1"
#define C_AXIS "#94a3b8"
#define C_MAIN "#1e3a8a"
#define C_BASE "#64748b"
#define C_V6 "#047857"
#define C_WARN "#f59e0b"
#define C_CRIT "#dc2626"
#define C_INST "#7c3aed"
#define C_INST_SCORE "#c4b5fd"

static const char *const palette[] = {
    "#0d9488", "#db2777", "#0284c7", "#65a30d",
    "#b45309", "#6d28d9", "#475569", "#be123c",
};
#define N_PALETTE (sizeof(palette) / sizeof(palette[0]))

#define LEGEND_TOP 60
#define LEGEND_ROW 18
#define V6_PANEL 80
#define STRIP_H 12
#define AXIS_H 36
#define FOOTER_H 24

/* ---- text ---- */

/* Characters (code points) in S, for width estimates. */
static size_t
text_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static double
text_width(const char *s, double size)
{
	return (double)text_chars(s) * size * 0.58;
}

/* Length of the valid UTF-8 sequence at S (1..4), or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n, i;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
	                                          cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* S as XML character data or attribute value: escaped, valid UTF-8, no
 * characters XML 1.0 forbids. */
static void
xml_put(struct vg_obuf *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		size_t n;
		switch (*p) {
		case '&':
			vg_obuf_puts(o, "&amp;");
			p++;
			continue;
		case '<':
			vg_obuf_puts(o, "&lt;");
			p++;
			continue;
		case '>':
			vg_obuf_puts(o, "&gt;");
			p++;
			continue;
		case '"':
			vg_obuf_puts(o, "&quot;");
			p++;
			continue;
		case '\'':
			vg_obuf_puts(o, "&apos;");
			p++;
			continue;
		}
		if (*p < 0x20) {
			if (*p == '\t' || *p == '\n' || *p == '\r')
				vg_obuf_putc(o, ' ');
			p++;
			continue;
		}
		if ((n = utf8_seq(p)) == 0) {
			vg_obuf_puts(o, "\xef\xbf\xbd"); /* U+FFFD */
			p++;
			continue;
		}
		vg_obuf_put(o, p, n);
		p += n;
	}
}

/* A coordinate: one decimal, no trailing ".0". */
static void
num(struct vg_obuf *o, double v)
{
	char b[32];
	long long t = llround(v * 10);
	int n;
	if (t % 10 == 0)
		n = snprintf(b, sizeof(b), "%lld", t / 10);
	else
		n = snprintf(b, sizeof(b), "%s%lld.%lld", t < 0 ? "-" : "",
		             llabs(t) / 10, llabs(t) % 10);
	vg_obuf_put(o, b, (size_t)n);
}

/* Start a <text> element; the caller writes the content and closes it. */
static void
text_open(struct vg_obuf *o, double x, double y, double size,
          const char *anchor, const char *fill, const char *extra)
{
	vg_obuf_puts(o, "<text x=\"");
	num(o, x);
	vg_obuf_puts(o, "\" y=\"");
	num(o, y);
	vg_obuf_printf(o, "\" font-size=\"%g\" fill=\"%s\"", size, fill);
	if (anchor && strcmp(anchor, "start") != 0)
		vg_obuf_printf(o, " text-anchor=\"%s\"", anchor);
	if (extra)
		vg_obuf_printf(o, " %s", extra);
	vg_obuf_putc(o, '>');
}

static void
text(struct vg_obuf *o, double x, double y, double size, const char *anchor,
     const char *fill, const char *extra, const char *s)
{
	text_open(o, x, y, size, anchor, fill, extra);
	xml_put(o, s);
	vg_obuf_puts(o, "</text>\n");
}

static void
rect(struct vg_obuf *o, const char *cls, double x, double y, double w,
     double h, const char *style)
{
	vg_obuf_puts(o, "<rect");
	if (cls)
		vg_obuf_printf(o, " class=\"%s\"", cls);
	vg_obuf_puts(o, " x=\"");
	num(o, x);
	vg_obuf_puts(o, "\" y=\"");
	num(o, y);
	vg_obuf_puts(o, "\" width=\"");
	num(o, w > 0 ? w : 0);
	vg_obuf_puts(o, "\" height=\"");
	num(o, h > 0 ? h : 0);
	vg_obuf_printf(o, "\" %s/>\n", style);
}

static void
line(struct vg_obuf *o, double xa, double ya, double xb, double yb,
     const char *style)
{
	vg_obuf_puts(o, "<line x1=\"");
	num(o, xa);
	vg_obuf_puts(o, "\" y1=\"");
	num(o, ya);
	vg_obuf_puts(o, "\" x2=\"");
	num(o, xb);
	vg_obuf_puts(o, "\" y2=\"");
	num(o, yb);
	vg_obuf_printf(o, "\" %s/>\n", style);
}

/* ---- times and numbers as text ---- */

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                     "May", "Jun", "Jul", "Aug",
                                     "Sep", "Oct", "Nov", "Dec"};
static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed",
                                    "Thu", "Fri", "Sat"};

static struct tm
utc(uint32_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	return tm;
}

/* "16:15", or "22 Dec 16:15" when WITH_DATE */
static void
fmt_hm(uint32_t t, int with_date, char *b, size_t len)
{
	struct tm tm = utc(t);
	if (with_date)
		snprintf(b, len, "%d %s %02d:%02d", tm.tm_mday,
		         months[tm.tm_mon], tm.tm_hour, tm.tm_min);
	else
		snprintf(b, len, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

static void
fmt_ymdhm(uint32_t t, char *b, size_t len)
{
	struct tm tm = utc(t);
	snprintf(b, len, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* "9h31m", "2d3h", "45m", "30s" */
static void
fmt_dur(uint32_t d, char *b, size_t len)
{
	if (d >= 86400)
		snprintf(b, len, "%ud%uh", d / 86400, d % 86400 / 3600);
	else if (d >= 3600)
		snprintf(b, len, "%uh%02um", d / 3600, d % 3600 / 60);
	else if (d >= 60)
		snprintf(b, len, "%um", d / 60);
	else
		snprintf(b, len, "%us", d);
}

/* A y tick label: 5, 2.5, 1200, 12k, 1.5M; one unit for the whole axis
 * (the one its top needs), so 5k sits under 10k, not 5000 */
static void
fmt_count(double v, double top, char *b, size_t len)
{
	if (v == 0)
		snprintf(b, len, "0");
	else if (top >= 1e6)
		snprintf(b, len, "%gM", v / 1e6);
	else if (top >= 1e4)
		snprintf(b, len, "%gk", v / 1e3);
	else
		snprintf(b, len, "%g", v);
}

/* 219921 -> "219,921"; small fractions keep a decimal: 2.5 */
static void
fmt_grouped(double v, char *b, size_t len)
{
	char d[32];
	int n;
	size_t j = 0;
	if (v < 100 && v != floor(v)) {
		snprintf(b, len, "%.1f", v);
		return;
	}
	n = snprintf(d, sizeof(d), "%.0f", v);
	for (int i = 0; i < n && j + 2 < len; i++) {
		if (i && d[i - 1] != '-' && (n - i) % 3 == 0)
			b[j++] = ',';
		b[j++] = d[i];
	}
	b[j] = '\0';
}

/* The smallest 1, 2, 2.5, 5 x 10^k at least RAW (at least 1 if INTEGRAL). */
static double
nice_step(double raw, int integral)
{
	double mag, norm, step;
	if (!(raw > 0))
		return 1;
	mag = pow(10, floor(log10(raw)));
	norm = raw / mag;
	step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5
	                                     : norm <= 5 ? 5 : 10) * mag;
	if (integral && step < 1)
		step = 1;
	return step;
}

/* Round scale for values up to MAX: the top and the tick step. */
static void
nice_scale(double max, double *top, double *step)
{
	double target = (max > 0 ? max : 1) * 1.08;
	*step = nice_step(target / 5, 1);
	*top = ceil(target / *step) * *step;
}

/* ---- layout ---- */

struct legend_item {
	char label[160];
	const char *color;
	int style; /* 0 line, 1 dashed line, 2 box */
	double w;
};

#define MAX_LEGEND 24

struct chart {
	const struct plot_spec *spec;
	struct vg_obuf *o;
	struct plot_layout lay;
	int has_v6, has_inst, integral;
	uint32_t bin_len;
	double v6_step, step;
	struct legend_item legend[MAX_LEGEND];
	int n_legend;
	double legend_x[MAX_LEGEND], legend_y[MAX_LEGEND];
};

/* The end of the time row G may stand for (its bin, or held). */
static uint64_t
row_end(const struct plot_layout *l, const struct vg_signal *g)
{
	uint32_t len = g->bin_len > l->hold ? g->bin_len : l->hold;
	return (uint64_t)g->bin_start + len;
}

/* Is row G (possibly held) in the time shown? */
static int
sig_in(const struct plot_layout *l, const struct vg_signal *g)
{
	return row_end(l, g) > l->t0 && g->bin_start < l->t1;
}

/* Is G's own bin in the time shown? */
static int
bin_in(const struct plot_layout *l, const struct vg_signal *g)
{
	return g->bin_start + g->bin_len > l->t0 && g->bin_start < l->t1;
}

static int
event_in(const struct plot_layout *l, const struct vg_event *ev)
{
	return ev->start < l->t1 && (ev->end == 0 || ev->end > l->t0);
}

static void
legend_add(struct chart *c, const char *label, const char *color, int style)
{
	struct legend_item *it;
	if (c->n_legend >= MAX_LEGEND)
		return;
	it = &c->legend[c->n_legend++];
	snprintf(it->label, sizeof(it->label), "%s", label);
	it->color = color;
	it->style = style;
	it->w = 26 + text_width(it->label, 12) + 18;
}

static int
chart_layout(struct chart *c, const struct plot_spec *sp)
{
	struct plot_layout *l = &c->lay;
	uint32_t first = UINT32_MAX, last = 0;
	double max = 0, v6max = 0, x, y, lowest;
	int levels = 0, inst_events = 0;

	memset(c, 0, sizeof(*c));
	c->spec = sp;
	if (sp == NULL || sp->entity == NULL ||
	    (sp->from && sp->until && sp->until <= sp->from))
		return -1;

	/* time range: given, or the data's */
	for (size_t i = 0; i < sp->n; i++) {
		const struct vg_signal *g = &sp->sig[i];
		if (g->bin_start < first)
			first = g->bin_start;
		if (g->bin_start + g->bin_len > last)
			last = g->bin_start + g->bin_len;
		if (!c->bin_len && g->bin_len)
			c->bin_len = g->bin_len;
	}
	for (size_t k = 0; k < sp->n_lines; k++)
		for (size_t i = 0; i < sp->lines[k].n; i++) {
			const struct vg_signal *g = &sp->lines[k].sig[i];
			if (g->bin_start < first)
				first = g->bin_start;
			if (g->bin_start + g->bin_len > last)
				last = g->bin_start + g->bin_len;
		}
	if (!c->bin_len)
		c->bin_len = 300;
	if (sp->data_end > last)
		last = sp->data_end;
	l->hold = sp->hold ? sp->hold : 3900;
	l->t0 = sp->from ? sp->from : first != UINT32_MAX ? first : 0;
	l->t1 = sp->until ? sp->until : last > l->t0 ? last : l->t0 + 86400;
	if (l->t1 <= l->t0)
		l->t1 = l->t0 + c->bin_len;

	/* what there is to draw */
	for (size_t i = 0; i < sp->n; i++) {
		const struct vg_signal *g = &sp->sig[i];
		if (!sig_in(l, g))
			continue;
		if ((double)g->v4_units > max)
			max = (double)g->v4_units;
		if (isfinite(g->baseline) && g->baseline > max)
			max = g->baseline;
		if ((double)g->v6_units > v6max)
			v6max = (double)g->v6_units;
		if (bin_in(l, g) && isfinite(g->inst_score) &&
		    g->inst_score >= 2)
			c->has_inst = 1;
	}
	for (size_t k = 0; k < sp->n_lines; k++)
		for (size_t i = 0; i < sp->lines[k].n; i++) {
			const struct vg_signal *g = &sp->lines[k].sig[i];
			if (sig_in(l, g) && (double)g->v4_units > max)
				max = (double)g->v4_units;
		}
	for (size_t i = 0; i < sp->n_events; i++) {
		const struct vg_event *ev = &sp->events[i];
		if (!event_in(l, ev))
			continue;
		if (ev->kind == VG_EVENT_OUTAGE)
			levels |= ev->level == VG_LEVEL_CRITICAL ? 2 : 1;
		else if (ev->kind == VG_EVENT_INSTABILITY)
			inst_events = c->has_inst = 1;
	}
	c->has_v6 = v6max > 0;
	nice_scale(max, &l->ymax, &c->step);
	if (c->has_v6)
		nice_scale(v6max, &l->v6_ymax, &c->v6_step);

	/* legend */
	legend_add(c, "visible /24s", C_MAIN, 0);
	legend_add(c, "baseline", C_BASE, 1);
	for (size_t k = 0; k < sp->n_lines; k++)
		legend_add(c, sp->lines[k].label ? sp->lines[k].label : "",
		           palette[k % N_PALETTE], 0);
	if (c->has_v6)
		legend_add(c, "visible /48s (IPv6)", C_V6, 0);
	if (levels & 1)
		legend_add(c, "warning outage", C_WARN, 2);
	if (levels & 2)
		legend_add(c, "critical outage", C_CRIT, 2);
	if (inst_events)
		legend_add(c, "instability", C_INST, 2);

	l->width = sp->width ? sp->width : 1000;
	l->height = sp->height ? sp->height : 420 + (c->has_v6 ? 110 : 0);
	l->x0 = 70;
	l->x1 = l->width - 28;
	if (l->x1 < l->x0 + 100)
		return -1;
	x = 16;
	y = LEGEND_TOP;
	l->legend_rows = 1;
	for (int i = 0; i < c->n_legend; i++) {
		if (x > 16 && x + c->legend[i].w - 18 > l->width - 16) {
			x = 16;
			y += LEGEND_ROW;
			l->legend_rows++;
		}
		c->legend_x[i] = x;
		c->legend_y[i] = y;
		x += c->legend[i].w;
	}
	l->top = LEGEND_TOP + l->legend_rows * LEGEND_ROW + 8;
	lowest = l->height - FOOTER_H - AXIS_H - 4 -
	         (c->has_inst ? STRIP_H + 6 : 0);
	if (c->has_v6) {
		l->v6_bottom = lowest;
		l->v6_top = lowest - V6_PANEL;
		l->bottom = l->v6_top - 18;
	} else {
		l->bottom = lowest;
	}
	if (l->bottom < l->top + 60)
		return -1;
	return 0;
}

int
plot_layout(const struct plot_spec *spec, struct plot_layout *lay)
{
	struct chart c;
	int rc;
	memset(lay, 0, sizeof(*lay));
	rc = chart_layout(&c, spec);
	if (rc == 0)
		*lay = c.lay;
	return rc;
}

double
plot_x(const struct plot_layout *l, uint32_t t)
{
	return l->x0 + ((double)t - (double)l->t0) * (l->x1 - l->x0) /
	                   ((double)l->t1 - (double)l->t0);
}

static double
clamp_x(const struct plot_layout *l, uint32_t t)
{
	double x = plot_x(l, t);
	return x < l->x0 ? l->x0 : x > l->x1 ? l->x1 : x;
}

/* ---- series ---- */

/* A step path under construction, with per-pixel-column reduction. */
struct pen {
	struct vg_obuf *o;
	const struct plot_layout *l;
	double top, bottom, ymax;
	int reduce;   /* one column per pixel */
	int down;     /* a segment is open */
	int area;     /* close each segment down to the bottom (a fill) */
	int open;     /* a subpath is open (area) */
	double x, y;  /* the pen's position */
	/* the column being gathered (reduce) */
	long col;
	double c_first, c_lo, c_hi, c_last;
	double c_xend; /* where the column's last row ends (held rows run
	                  over several columns) */
	int c_new; /* the column starts a segment */
};

static double
pen_y(const struct pen *p, double v)
{
	return p->bottom - v / p->ymax * (p->bottom - p->top);
}

/* Area: take the open subpath down to the bottom and close it. */
static void
pen_close(struct pen *p)
{
	if (!p->area || !p->open)
		return;
	vg_obuf_putc(p->o, 'V');
	num(p->o, p->bottom);
	vg_obuf_putc(p->o, 'Z');
	p->open = 0;
}

static void
pen_m(struct pen *p, double x, double y)
{
	pen_close(p);
	vg_obuf_putc(p->o, 'M');
	num(p->o, x);
	vg_obuf_putc(p->o, ' ');
	if (p->area) {
		/* from the bottom up, so the fill has a straight left edge */
		num(p->o, p->bottom);
		vg_obuf_putc(p->o, 'V');
		p->open = 1;
	}
	num(p->o, y);
	p->x = x;
	p->y = y;
	p->down = 1;
}

static void
pen_h(struct pen *p, double x)
{
	if (llround(x * 10) == llround(p->x * 10))
		return;
	vg_obuf_putc(p->o, 'H');
	num(p->o, x);
	p->x = x;
}

static void
pen_v(struct pen *p, double y)
{
	if (llround(y * 10) == llround(p->y * 10))
		return;
	vg_obuf_putc(p->o, 'V');
	num(p->o, y);
	p->y = y;
}

static void
pen_flush(struct pen *p)
{
	double xs, xe;
	if (p->col < 0)
		return;
	xs = p->l->x0 + (double)p->col;
	xe = p->c_xend > xs + 1 ? p->c_xend : xs + 1;
	if (p->c_new) {
		pen_m(p, xs, p->c_first);
	} else {
		if (xs > p->x)
			pen_h(p, xs);
		pen_v(p, p->c_first);
	}
	/* y grows downwards: c_lo is the highest value */
	pen_v(p, p->c_lo);
	pen_v(p, p->c_hi);
	pen_v(p, p->c_last);
	pen_h(p, xe);
	p->col = -1;
}

/* Break the line (missing bins, NaN). */
static void
pen_gap(struct pen *p)
{
	if (p->reduce) {
		pen_flush(p);
		p->c_new = 1;
	}
	pen_close(p);
	p->down = 0;
}

/* One bin [a, b) at value V. */
static void
pen_bin(struct pen *p, uint32_t a, uint32_t b, double v)
{
	double xa = plot_x(p->l, a), xb = plot_x(p->l, b), y = pen_y(p, v);
	if (p->reduce) {
		long col = (long)floor(xa - p->l->x0);
		if (col != p->col) {
			int fresh = p->c_new || !p->down;
			if (p->col >= 0) {
				pen_flush(p);
				fresh = 0;
			}
			p->col = col;
			p->c_new = fresh;
			p->c_first = p->c_lo = p->c_hi = y;
		}
		p->c_xend = xb;
		if (y < p->c_lo)
			p->c_lo = y;
		if (y > p->c_hi)
			p->c_hi = y;
		p->c_last = y;
		p->down = 1;
		return;
	}
	if (!p->down) {
		pen_m(p, xa, y);
	} else {
		pen_h(p, xa);
		pen_v(p, y);
	}
	pen_h(p, xb);
}

enum { VAL_V4, VAL_V6, VAL_BASE };

/* One series as a step path between TOP and BOTTOM; ATTRS has the stroke. */
static void
series(struct chart *c, const struct vg_signal *sig, size_t n, int which,
       double top, double bottom, double ymax, int area, const char *attrs)
{
	const struct plot_layout *l = &c->lay;
	struct pen p;
	size_t in = 0;
	uint32_t prev_end = 0;

	for (size_t i = 0; i < n; i++)
		in += sig_in(l, &sig[i]);
	if (in == 0)
		return;
	memset(&p, 0, sizeof(p));
	p.o = c->o;
	p.l = l;
	p.top = top;
	p.bottom = bottom;
	p.ymax = ymax;
	p.reduce = (double)in > (l->x1 - l->x0);
	p.area = area;
	p.col = -1;
	p.c_new = 1;

	vg_obuf_puts(c->o, "<path d=\"");
	for (size_t i = 0; i < n; i++) {
		const struct vg_signal *g = &sig[i];
		uint64_t end = row_end(l, g);
		double v;
		if (!sig_in(l, g))
			continue;
		v = which == VAL_V4   ? (double)g->v4_units
		    : which == VAL_V6 ? (double)g->v6_units
		                      : g->baseline;
		/* the row holds until the next one, the hold or the data's
		 * end, whichever comes first, but covers its own bin */
		if (i + 1 < n && sig[i + 1].bin_start > g->bin_start &&
		    sig[i + 1].bin_start < end)
			end = sig[i + 1].bin_start;
		if (c->spec->data_end && end > c->spec->data_end)
			end = c->spec->data_end;
		if (end < (uint64_t)g->bin_start + g->bin_len)
			end = (uint64_t)g->bin_start + g->bin_len;
		if (!isfinite(v)) {
			pen_gap(&p);
			continue;
		}
		if (p.down && g->bin_start > prev_end)
			pen_gap(&p); /* no row for longer than the hold */
		pen_bin(&p, g->bin_start, (uint32_t)end, v);
		prev_end = (uint32_t)end;
	}
	if (p.reduce)
		pen_flush(&p);
	pen_close(&p);
	if (area)
		vg_obuf_printf(c->o, "\" %s/>\n", attrs);
	else
		vg_obuf_printf(c->o,
		               "\" fill=\"none\" stroke-linejoin=\"round\" "
		               "%s/>\n",
		               attrs);
}

/* ---- parts of the chart ---- */

static void
draw_header(struct chart *c)
{
	const struct plot_spec *sp = c->spec;
	const struct plot_layout *l = &c->lay;
	struct vg_obuf *o = c->o;
	char sub[256], b[64];
	int n_warn = 0, n_crit = 0, n_inst = 0, off = 0;
	const struct vg_signal *last = NULL;
	double title_size, sub_size;

	/* title, smaller when it would not fit */
	{
		double chars = (double)text_chars(sp->entity) + 16 +
		               (sp->name ? (double)text_chars(sp->name) + 1 : 0);
		double size = (l->width - 32) / (chars * 0.6);
		title_size = size > 18 ? 18 : size < 10 ? 10 : floor(size);
	}
	text_open(o, 16, 27, title_size, "start", C_TEXT,
	          "font-weight=\"bold\"");
	xml_put(o, sp->entity);
	if (sp->name && sp->name[0]) {
		vg_obuf_puts(o, " <tspan font-weight=\"normal\">");
		xml_put(o, sp->name);
		vg_obuf_puts(o, "</tspan>");
	}
	vg_obuf_puts(o, " <tspan font-weight=\"normal\" fill=\"" C_MUTED
	                "\">\xe2\x80\x94 visible /24s</tspan></text>\n");

	/* subtitle: what happened, where it stands */
	for (size_t i = 0; i < sp->n_events; i++) {
		const struct vg_event *ev = &sp->events[i];
		if (!event_in(l, ev))
			continue;
		if (ev->kind == VG_EVENT_INSTABILITY)
			n_inst++;
		else if (ev->level == VG_LEVEL_CRITICAL)
			n_crit++;
		else
			n_warn++;
	}
	for (size_t i = 0; i < sp->n; i++)
		if (sig_in(l, &sp->sig[i]))
			last = &sp->sig[i];
#define SUB(...)                                                            \
	do {                                                                \
		int n_ = snprintf(sub + off, sizeof(sub) - (size_t)off,     \
		                  __VA_ARGS__);                              \
		if (n_ > 0 && (size_t)(off + n_) < sizeof(sub))             \
			off += n_;                                          \
	} while (0)
	if (n_crit)
		SUB("%d critical outage%s", n_crit, n_crit > 1 ? "s" : "");
	if (n_warn)
		SUB("%s%d warning outage%s", off ? " \xc2\xb7 " : "", n_warn,
		    n_warn > 1 ? "s" : "");
	if (n_inst)
		SUB("%s%d instability episode%s", off ? " \xc2\xb7 " : "",
		    n_inst, n_inst > 1 ? "s" : "");
	if (!off)
		SUB("no events");
	if (last) {
		fmt_grouped((double)last->v4_units, b, sizeof(b));
		SUB(" \xc2\xb7 last: %s /24s", b);
		if (isfinite(last->baseline)) {
			fmt_grouped(last->baseline, b, sizeof(b));
			SUB(" (baseline %s)", b);
		}
	}
	fmt_dur(c->bin_len, b, sizeof(b));
	SUB(" \xc2\xb7 %s bins", b);
#undef SUB
	sub_size = (l->width - 32) / (text_width(sub, 1));
	sub_size = sub_size > 12 ? 12 : sub_size < 8 ? 8 : floor(sub_size);
	text(o, 16, 46, sub_size, "start", C_MUTED, NULL, sub);

	/* legend */
	for (int i = 0; i < c->n_legend; i++) {
		const struct legend_item *it = &c->legend[i];
		double x = c->legend_x[i], y = c->legend_y[i];
		char st[160];
		if (it->style == 2) {
			snprintf(st, sizeof(st),
			         "fill=\"%s\" fill-opacity=\"0.3\" stroke=\"%s\" "
			         "stroke-width=\"1\"",
			         it->color, it->color);
			rect(o, NULL, x, y - 6, 22, 12, st);
		} else {
			snprintf(st, sizeof(st),
			         "stroke=\"%s\" stroke-width=\"%s\"%s", it->color,
			         it->style == 1 ? "1.5" : "2.5",
			         it->style == 1 ? " stroke-dasharray=\"5 3\"" : "");
			line(o, x, y, x + 22, y, st);
		}
		text(o, x + 28, y + 4, 12, "start", C_TEXT, NULL, it->label);
	}
}

/* A panel's frame, horizontal grid and y labels. */
static void
draw_panel(struct chart *c, double top, double bottom, double ymax,
           double step, const char *ylabel)
{
	const struct plot_layout *l = &c->lay;
	struct vg_obuf *o = c->o;
	char b[32], tr[64];
	double y;

	rect(o, NULL, l->x0, top, l->x1 - l->x0, bottom - top,
	     "fill=\"#f8fafc\"");
	for (double v = 0; v <= ymax + step / 2; v += step) {
		y = bottom - v / ymax * (bottom - top);
		if (v > 0)
			line(o, l->x0, y, l->x1, y,
			     "stroke=\"" C_GRID "\" stroke-width=\"1\"");
		fmt_count(v, ymax, b, sizeof(b));
		text(o, l->x0 - 8, y + 4, 11, "end", C_MUTED, NULL, b);
	}
	snprintf(tr, sizeof(tr), "transform=\"rotate(-90 20 %.1f)\"",
	         (top + bottom) / 2);
	text(o, 20, (top + bottom) / 2, 11, "middle", C_MUTED, tr, ylabel);
}

static const char *
outage_color(const struct vg_event *ev)
{
	return ev->level == VG_LEVEL_CRITICAL ? C_CRIT : C_WARN;
}

/* Shaded outage spans, under the lines. */
static void
draw_outages(struct chart *c)
{
	const struct plot_spec *sp = c->spec;
	const struct plot_layout *l = &c->lay;
	double bottom = c->has_v6 ? l->v6_bottom : l->bottom;
	char st[128];

	for (size_t i = 0; i < sp->n_events; i++) {
		const struct vg_event *ev = &sp->events[i];
		int crit = ev->level == VG_LEVEL_CRITICAL;
		double xs, xe;
		if (ev->kind != VG_EVENT_OUTAGE || !event_in(l, ev))
			continue;
		xs = clamp_x(l, ev->start);
		xe = ev->end ? clamp_x(l, ev->end) : l->x1;
		snprintf(st, sizeof(st), "fill=\"%s\" fill-opacity=\"%s\"",
		         outage_color(ev), crit ? "0.13" : "0.2");
		rect(c->o, crit ? "outage critical" : "outage warning", xs,
		     l->top, xe - xs, bottom - l->top, st);
		snprintf(st, sizeof(st),
		         "stroke=\"%s\" stroke-width=\"1.2\" stroke-opacity=\"0.7\"",
		         outage_color(ev));
		if (ev->start >= l->t0)
			line(c->o, xs, l->top, xs, bottom, st);
		if (ev->end && ev->end <= l->t1)
			line(c->o, xe, l->top, xe, bottom, st);
	}
}

#define HALO                                                                \
	"stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" "  \
	"paint-order=\"stroke\" font-weight=\"bold\""

/* Start/end times and a caption on each outage span, over the lines. */
static void
draw_outage_labels(struct chart *c)
{
	const struct plot_spec *sp = c->spec;
	const struct plot_layout *l = &c->lay;
	int with_date = l->t1 - l->t0 > 2 * 86400;

	for (size_t i = 0; i < sp->n_events; i++) {
		const struct vg_event *ev = &sp->events[i];
		const char *col;
		char ls[48], le[48], both[100], cap[128], d[32];
		double xs, xe, ws, we, y = l->top + 14;
		if (ev->kind != VG_EVENT_OUTAGE || !event_in(l, ev))
			continue;
		col = ev->level == VG_LEVEL_CRITICAL ? "#b91c1c" : "#b45309";
		xs = clamp_x(l, ev->start);
		xe = ev->end ? clamp_x(l, ev->end) : l->x1;
		fmt_hm(ev->start, with_date, ls, sizeof(ls));
		if (ev->end)
			fmt_hm(ev->end, with_date, le, sizeof(le));
		else
			snprintf(le, sizeof(le), "ongoing");
		ws = text_width(ls, 11) + 6;
		we = text_width(le, 11) + 6;
		if (xe - xs >= ws + we + 8) {
			text(c->o, xs + 4, y, 11, "start", col, HALO, ls);
			text(c->o, xe - 4, y, 11, "end", col, HALO, le);
		} else {
			snprintf(both, sizeof(both), "%s\xe2\x80\x93%s", ls, le);
			if (xe + 4 + text_width(both, 11) <= l->x1)
				text(c->o, xe + 4, y, 11, "start", col, HALO,
				     both);
			else
				text(c->o, xs - 4, y, 11, "end", col, HALO,
				     both);
		}
		/* caption: "critical outage · −100% · 9h31m" */
		if (ev->end)
			fmt_dur(ev->end - ev->start, d, sizeof(d));
		else
			snprintf(d, sizeof(d), "ongoing");
		if (isfinite(ev->depth) && ev->depth > 0)
			snprintf(cap, sizeof(cap),
			         "%s outage \xc2\xb7 \xe2\x88\x92%.0f%% \xc2\xb7 %s",
			         vg_event_level_name(ev->level),
			         ev->depth * 100, d);
		else
			snprintf(cap, sizeof(cap), "%s outage \xc2\xb7 %s",
			         vg_event_level_name(ev->level), d);
		if (xe - xs >= text_width(cap, 11) + 12)
			text(c->o, (xs + xe) / 2, y + 16, 11, "middle", col,
			     HALO, cap);
	}
}

/* The instability strip under the panels: event spans and score bars. */
static void
draw_instability(struct chart *c)
{
	const struct plot_spec *sp = c->spec;
	const struct plot_layout *l = &c->lay;
	struct vg_obuf *o = c->o;
	double y0 = (c->has_v6 ? l->v6_bottom : l->bottom) + 6;
	long col = -1;
	double colmax = 0, colx = 0, colw = 0;

	if (!c->has_inst)
		return;
	rect(o, "instability-strip", l->x0, y0, l->x1 - l->x0, STRIP_H,
	     "fill=\"#f1f5f9\"");
	text(o, l->x0 - 8, y0 + STRIP_H - 2, 10, "end", C_MUTED, NULL,
	     "instability");
	for (size_t i = 0; i < sp->n_events; i++) {
		const struct vg_event *ev = &sp->events[i];
		double xs, xe;
		if (ev->kind != VG_EVENT_INSTABILITY || !event_in(l, ev))
			continue;
		xs = clamp_x(l, ev->start);
		xe = ev->end ? clamp_x(l, ev->end) : l->x1;
		if (xe - xs < 2)
			xe = xs + 2;
		rect(o, "instability", xs, y0, xe - xs, STRIP_H,
		     "fill=\"" C_INST "\" fill-opacity=\"0.22\"");
		rect(o, NULL, xs, y0 + STRIP_H - 3, xe - xs, 3,
		     "fill=\"" C_INST "\"");
	}
	/* score bars, the highest per pixel column; a robust z of 8 fills
	 * the strip */
	for (size_t i = 0; i <= sp->n; i++) {
		const struct vg_signal *g = i < sp->n ? &sp->sig[i] : NULL;
		long gc = -2;
		double xa = 0, xb = 0, v = 0;
		if (g) {
			/* below 2 is ordinary noise: not drawn */
			if (!bin_in(l, g) || !isfinite(g->inst_score) ||
			    g->inst_score < 2)
				continue;
			xa = clamp_x(l, g->bin_start);
			xb = clamp_x(l, g->bin_start + g->bin_len);
			gc = (long)floor(xa);
			v = g->inst_score > 8 ? 8 : g->inst_score;
		}
		if (gc != col && col >= 0) {
			double h = colmax / 8 * (STRIP_H - 3);
			rect(o, NULL, colx, y0 + STRIP_H - 3 - h,
			     colw > 1 ? colw - 0.3 : 1, h,
			     "fill=\"" C_INST "\" fill-opacity=\"0.75\"");
			col = -1;
		}
		if (!g)
			break;
		if (col < 0) {
			col = gc;
			colmax = v;
			colx = xa;
			colw = xb - xa;
		} else if (v > colmax) {
			colmax = v;
		}
	}
}

/* Time grid and labels: HH:MM (or dates) and the day under them. */
static void
draw_time_axis(struct chart *c)
{
	static const uint32_t steps[] = {
	    300,    600,    900,    1800,    3600,    7200,   10800,
	    21600,  43200,  86400,  172800,  604800,  1209600, 2419200,
	    4838400, 9676800, 31536000,
	};
	const struct plot_layout *l = &c->lay;
	struct vg_obuf *o = c->o;
	double bottom = c->has_v6 ? l->v6_bottom : l->bottom;
	double ay = bottom + (c->has_inst ? STRIP_H + 6 : 0);
	uint32_t span = l->t1 - l->t0, step = steps[0];
	double max_ticks = (l->x1 - l->x0) / 78;
	int prev_day = -1, prev_year = -1;
	double date_right = 0; /* right end of the last day label */

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i];
		if ((double)span / step <= max_ticks)
			break;
	}
	for (uint64_t t = ((uint64_t)l->t0 + step - 1) / step * step;
	     t <= l->t1; t += step) {
		struct tm tm = utc((uint32_t)t);
		double x = plot_x(l, (uint32_t)t);
		int midnight = tm.tm_hour == 0 && tm.tm_min == 0;
		const char *anchor = "middle";
		char b[48], d[48];

		line(o, x, l->top, x, l->bottom,
		     midnight && step < 86400
		         ? "stroke=\"" C_GRID_DAY "\" stroke-width=\"1\""
		         : "stroke=\"" C_GRID "\" stroke-width=\"1\"");
		if (c->has_v6)
			line(o, x, l->v6_top, x, l->v6_bottom,
			     "stroke=\"" C_GRID "\" stroke-width=\"1\"");
		line(o, x, ay, x, ay + 4, "stroke=\"" C_AXIS "\"");
		if (x + 30 > l->width - 4)
			anchor = "end";
		if (step < 86400) {
			snprintf(b, sizeof(b), "%02d:%02d", tm.tm_hour,
			         tm.tm_min);
			text(o, x, ay + 15, 11, anchor, C_MUTED, NULL, b);
			if (tm.tm_yday != prev_day) {
				snprintf(d, sizeof(d), "%s %d %s %d",
				         wdays[tm.tm_wday], tm.tm_mday,
				         months[tm.tm_mon], tm.tm_year + 1900);
				text(o, x, ay + 29, 11, anchor, C_TEXT,
				     "font-weight=\"bold\"", d);
				date_right = x + text_width(d, 11) / 2;
			}
		} else {
			snprintf(b, sizeof(b), "%d %s", tm.tm_mday,
			         months[tm.tm_mon]);
			text(o, x, ay + 15, 11, anchor, C_MUTED, NULL, b);
			if (tm.tm_year != prev_year) {
				snprintf(d, sizeof(d), "%d", tm.tm_year + 1900);
				text(o, x, ay + 29, 11, anchor, C_TEXT,
				     "font-weight=\"bold\"", d);
				date_right = x + text_width(d, 11) / 2;
			}
		}
		prev_day = tm.tm_yday;
		prev_year = tm.tm_year;
	}
	/* the time zone, where no day label is in the way */
	if (date_right < l->x1 - 40)
		text(o, l->x1, ay + 29, 11, "end", C_MUTED, NULL, "UTC");
}

static void
draw_footer(struct chart *c)
{
	const struct plot_layout *l = &c->lay;
	char a[64], b[64], r[160];
	double y = l->height - 9;

	line(c->o, 16, l->height - FOOTER_H + 2, l->width - 16,
	     l->height - FOOTER_H + 2, "stroke=\"" C_GRID "\"");
	fmt_ymdhm(l->t0, a, sizeof(a));
	fmt_ymdhm(l->t1, b, sizeof(b));
	snprintf(r, sizeof(r), "%s \xe2\x80\x93 %s UTC", a, b);
	text(c->o, l->width - 16, y, 11, "end", C_MUTED, NULL, r);
	if (c->spec->footer)
		text(c->o, 16, y, 11, "start", C_MUTED, NULL, c->spec->footer);
}

int
plot_svg(const struct plot_spec *sp, struct vg_obuf *o)
{
	struct chart c;
	struct plot_layout *l;
	char st[96];
	int any = 0;

	if (chart_layout(&c, sp) < 0)
		return -1;
	c.o = o;
	l = &c.lay;

	vg_obuf_printf(o,
	               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
	               "height=\"%u\" viewBox=\"0 0 %u %u\" font-family=\"%s\" "
	               "role=\"img\">\n",
	               l->width, l->height, l->width, l->height, FONT);
	vg_obuf_puts(o, "<title>");
	xml_put(o, sp->entity);
	if (sp->name && sp->name[0]) {
		vg_obuf_putc(o, ' ');
		xml_put(o, sp->name);
	}
	vg_obuf_puts(o, " \xe2\x80\x94 visible /24s</title>\n");
	vg_obuf_puts(o, "<defs><clipPath id=\"vigil-clip\">");
	rect(o, NULL, l->x0, l->top - 2, l->x1 - l->x0, l->bottom - l->top + 4,
	     "");
	vg_obuf_puts(o, "</clipPath>");
	if (c.has_v6) {
		vg_obuf_puts(o, "<clipPath id=\"vigil-clip6\">");
		rect(o, NULL, l->x0, l->v6_top - 2, l->x1 - l->x0,
		     l->v6_bottom - l->v6_top + 4, "");
		vg_obuf_puts(o, "</clipPath>");
	}
	vg_obuf_puts(o, "</defs>\n");
	rect(o, NULL, 0, 0, l->width, l->height, "fill=\"#ffffff\"");

	draw_header(&c);
	draw_panel(&c, l->top, l->bottom, l->ymax, c.step, "visible /24s");
	if (c.has_v6)
		draw_panel(&c, l->v6_top, l->v6_bottom, l->v6_ymax, c.v6_step,
		           "visible /48s");
	draw_time_axis(&c);
	draw_outages(&c);

	/* the entity's area and line under its upstreams' (a country with
	 * one upstream would hide it), the baseline under all */
	vg_obuf_puts(o, "<g clip-path=\"url(#vigil-clip)\">\n");
	series(&c, sp->sig, sp->n, VAL_V4, l->top, l->bottom, l->ymax, 1,
	       "class=\"visibility-area\" fill=\"" C_MAIN "\" "
	       "fill-opacity=\"0.07\"");
	series(&c, sp->sig, sp->n, VAL_BASE, l->top, l->bottom, l->ymax, 0,
	       "class=\"baseline\" stroke=\"" C_BASE "\" stroke-width=\"1.5\" "
	       "stroke-dasharray=\"6 4\"");
	series(&c, sp->sig, sp->n, VAL_V4, l->top, l->bottom, l->ymax, 0,
	       "class=\"visibility\" stroke=\"" C_MAIN "\" "
	       "stroke-width=\"2.4\"");
	for (size_t k = 0; k < sp->n_lines; k++) {
		snprintf(st, sizeof(st),
		         "class=\"upstream\" stroke=\"%s\" stroke-width=\"1.4\"",
		         palette[k % N_PALETTE]);
		series(&c, sp->lines[k].sig, sp->lines[k].n, VAL_V4, l->top,
		       l->bottom, l->ymax, 0, st);
	}
	vg_obuf_puts(o, "</g>\n");
	if (c.has_v6) {
		vg_obuf_puts(o, "<g clip-path=\"url(#vigil-clip6)\">\n");
		series(&c, sp->sig, sp->n, VAL_V6, l->v6_top, l->v6_bottom,
		       l->v6_ymax, 1,
		       "fill=\"" C_V6 "\" fill-opacity=\"0.07\"");
		series(&c, sp->sig, sp->n, VAL_V6, l->v6_top, l->v6_bottom,
		       l->v6_ymax, 0,
		       "class=\"visibility6\" stroke=\"" C_V6 "\" "
		       "stroke-width=\"2\"");
		vg_obuf_puts(o, "</g>\n");
	}
	for (size_t i = 0; i < sp->n; i++)
		any |= sig_in(l, &sp->sig[i]);
	if (!any)
		text(o, (l->x0 + l->x1) / 2, (l->top + l->bottom) / 2, 14,
		     "middle", C_MUTED, NULL, "no data in this time range");
	draw_outage_labels(&c);
	line(o, l->x0, l->bottom, l->x1, l->bottom,
	     "stroke=\"" C_AXIS "\" stroke-width=\"1\"");
	if (c.has_v6)
		line(o, l->x0, l->v6_bottom, l->x1, l->v6_bottom,
		     "stroke=\"" C_AXIS "\" stroke-width=\"1\"");
	draw_instability(&c);
	draw_footer(&c);
	vg_obuf_puts(o, "</svg>\n");
	return o->error ? -1 : 0;
}
