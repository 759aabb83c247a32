/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SVG chart tests: a North-Korea-like day (4 visible /24s, dark from 16:15
 * to 01:46, an instability episode before) must come out as well-formed
 * XML (a small checker here, and xmllint when installed) with the outage
 * span shaded exactly over its time, the legend, and every name escaped.
 * Also: an IPv6 panel, a month of bins reduced per pixel column, no data,
 * bad specs.  VIGIL_PLOT_OUT=FILE.svg keeps the KP chart for a look.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "vigil/plot.h"

#define T0 1419206400u /* 2014-12-22T00:00Z */
#define BIN 300u
#define OUT_START (T0 + 16 * 3600 + 15 * 60)    /* 16:15 */
#define OUT_END (T0 + 86400 + 1 * 3600 + 46 * 60) /* 01:46 the next day */

/* ---- a small XML well-formedness checker ---- */

static int
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' ||
	       c == '.';
}

/* An entity or character reference at S ("&amp;" ...): its length. */
static size_t
xml_ref(const char *s)
{
	static const char *const names[] = {"&amp;", "&lt;", "&gt;",
	                                    "&quot;", "&apos;"};
	size_t i;
	for (i = 0; i < 5; i++)
		if (strncmp(s, names[i], strlen(names[i])) == 0)
			return strlen(names[i]);
	if (s[1] == '#') {
		i = 2;
		if (s[2] == 'x')
			i++;
		while (s[i] && s[i] != ';' && i < 10)
			i++;
		return s[i] == ';' && i > 2 ? i + 1 : 0;
	}
	return 0;
}

static int
utf8_ok(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80 ? 1 : (*s & 0xe0) == 0xc0 ? 2
		                    : (*s & 0xf0) == 0xe0   ? 3
		                    : (*s & 0xf8) == 0xf0   ? 4
		                                            : 0;
		if (n == 0 || (n == 2 && *s < 0xc2))
			return 0;
		for (int i = 1; i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				return 0;
		if (*s < 0x20 && *s != '\n' && *s != '\t' && *s != '\r')
			return 0;
		s += n;
	}
	return 1;
}

/* 1 if DOC is a well-formed XML document with one root element. */
static int
xml_well_formed(const char *doc)
{
	char stack[64][32];
	int depth = 0, roots = 0;
	const char *p = doc;

	if (!utf8_ok((const unsigned char *)doc))
		return 0;
	if (strncmp(p, "<?xml", 5) == 0) {
		p = strstr(p, "?>");
		if (p == NULL)
			return 0;
		p += 2;
	}
	while (*p) {
		if (*p == '&') {
			size_t n = xml_ref(p);
			if (n == 0)
				return 0;
			p += n;
		} else if (*p == '>') {
			return 0; /* legal, but we escape it: stray here */
		} else if (strncmp(p, "<!--", 4) == 0) {
			p = strstr(p + 4, "-->");
			if (p == NULL)
				return 0;
			p += 3;
		} else if (p[0] == '<' && p[1] == '/') {
			size_t n = 0;
			p += 2;
			while (name_char(p[n]))
				n++;
			if (depth == 0 || strlen(stack[depth - 1]) != n ||
			    strncmp(stack[depth - 1], p, n) != 0 || p[n] != '>')
				return 0;
			depth--;
			p += n + 1;
		} else if (*p == '<') {
			size_t n = 0;
			p++;
			while (name_char(p[n]))
				n++;
			if (n == 0 || n >= 32 || depth >= 64)
				return 0;
			if (depth == 0 && ++roots > 1)
				return 0;
			memcpy(stack[depth], p, n);
			stack[depth][n] = '\0';
			p += n;
			for (;;) { /* attributes */
				size_t an = 0;
				char q;
				while (*p == ' ' || *p == '\n' || *p == '\t')
					p++;
				if (*p == '>' || (p[0] == '/' && p[1] == '>'))
					break;
				while (name_char(p[an]))
					an++;
				if (an == 0 || p[an] != '=')
					return 0;
				p += an + 1;
				q = *p;
				if (q != '"' && q != '\'')
					return 0;
				for (p++; *p != q; p++) {
					if (*p == '\0' || *p == '<')
						return 0;
					if (*p == '&') {
						size_t r = xml_ref(p);
						if (r == 0)
							return 0;
						p += r - 1;
					}
				}
				p++;
			}
			if (*p == '/') {
				p += 2;
			} else {
				depth++;
				p++;
			}
		} else {
			if (depth == 0 && *p != '\n' && *p != ' ')
				return 0;
			p++;
		}
	}
	return depth == 0 && roots == 1;
}

/* ---- a KP-like day ---- */

static struct vg_signal kp[2 * 288], up1[2 * 288], up2[2 * 288];
static size_t n_kp;

static void
make_series(void)
{
	n_kp = 0;
	for (uint32_t t = T0; t < T0 + 2 * 86400; t += BIN) {
		int dark = t >= OUT_START && t < OUT_END;
		struct vg_signal *g = &kp[n_kp];
		memset(g, 0, sizeof(*g));
		vg_entity_parse(&g->ent, "country:KP");
		g->bin_start = t;
		g->bin_len = BIN;
		g->v4_units = dark ? 0 : 4;
		g->prefixes = dark ? 0 : 4;
		g->baseline = t < T0 + 7200 ? NAN : 4.0;
		g->inst_score = t >= T0 + 14 * 3600 && t < T0 + 15 * 3600 + 1800
		                    ? 3.0 + (t / BIN) % 6
		                    : ((t / BIN) % 9 == 0 ? 1.0 : NAN);
		up1[n_kp] = *g;
		vg_entity_parse(&up1[n_kp].ent, "upstream:KP:4837");
		up1[n_kp].v4_units = dark ? 0 : 3;
		up2[n_kp] = *g;
		vg_entity_parse(&up2[n_kp].ent, "upstream:KP:9002");
		/* the second upstream gives out an hour early */
		up2[n_kp].v4_units = t >= OUT_START - 3600 && t < OUT_END ? 0 : 1;
		n_kp++;
	}
}

static struct vg_event kp_events[2];

static void
make_events(void)
{
	memset(kp_events, 0, sizeof(kp_events));
	vg_entity_parse(&kp_events[0].ent, "country:KP");
	kp_events[0].id = 1;
	kp_events[0].kind = VG_EVENT_OUTAGE;
	kp_events[0].level = VG_LEVEL_CRITICAL;
	kp_events[0].start = OUT_START;
	kp_events[0].end = OUT_END;
	kp_events[0].depth = 1.0;
	kp_events[0].baseline = 4;
	kp_events[1] = kp_events[0];
	kp_events[1].id = 2;
	kp_events[1].kind = VG_EVENT_INSTABILITY;
	kp_events[1].level = VG_LEVEL_WARNING;
	kp_events[1].start = T0 + 14 * 3600;
	kp_events[1].end = T0 + 15 * 3600 + 1800;
	kp_events[1].depth = 8;
}

static struct plot_line kp_lines[2];

static void
kp_spec(struct plot_spec *sp)
{
	make_series();
	make_events();
	kp_lines[0].label = "via AS4837 (China Unicom <CHINA169> & \"co\")";
	kp_lines[0].sig = up1;
	kp_lines[0].n = n_kp;
	kp_lines[1].label = "via AS9002 (RETN)";
	kp_lines[1].sig = up2;
	kp_lines[1].n = n_kp;
	memset(sp, 0, sizeof(*sp));
	sp->entity = "country:KP";
	sp->name = "North Korea";
	sp->sig = kp;
	sp->n = n_kp;
	sp->lines = kp_lines;
	sp->n_lines = 2;
	sp->events = kp_events;
	sp->n_events = 2;
	sp->from = T0 + 6 * 3600;
	sp->until = T0 + 86400 + 8 * 3600;
	sp->footer = "data: vigil.db \xc2\xb7 RouteViews route-views2, "
	             "RIPE RIS rrc00";
}

static char *
render(const struct plot_spec *sp)
{
	struct vg_obuf o;
	if (vg_obuf_init(&o, -1, 1 << 16) < 0)
		return NULL;
	if (plot_svg(sp, &o) < 0) {
		vg_obuf_destroy(&o);
		return NULL;
	}
	vg_obuf_putc(&o, '\0');
	return o.buf; /* the buffer is ours now */
}

/* The value of attribute NAME in the first element starting with HEAD. */
static double
attr_of(const char *svg, const char *head, const char *name)
{
	const char *e = strstr(svg, head), *end, *a;
	char key[32];
	if (e == NULL)
		return NAN;
	end = strchr(e, '>');
	snprintf(key, sizeof(key), " %s=\"", name);
	a = strstr(e, key);
	if (a == NULL || a > end)
		return NAN;
	return strtod(a + strlen(key), NULL);
}

static void
xmllint(const char *svg)
{
	char path[] = "/tmp/vigil-plot-XXXXXX";
	char cmd[128];
	int fd;
	if (system("command -v xmllint >/dev/null 2>&1") != 0)
		return; /* optional: the checker above still ran */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, svg, strlen(svg)) == (ssize_t)strlen(svg));
	close(fd);
	snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path);
	CHECK_EQ_INT(system(cmd), 0);
	unlink(path);
}

static void
test_checker(void)
{
	/* the checker itself must catch what it is for */
	CHECK(xml_well_formed("<a><b x=\"1\"/>t &amp; u</a>"));
	CHECK(!xml_well_formed("<a><b></a></b>"));
	CHECK(!xml_well_formed("<a x=\"<\"/>"));
	CHECK(!xml_well_formed("<a>AT&T</a>"));
	CHECK(!xml_well_formed("<a x=1/>"));
	CHECK(!xml_well_formed("<a/><b/>"));
	CHECK(!xml_well_formed("<a>\xff</a>"));
}

static void
test_kp_chart(void)
{
	struct plot_spec sp;
	struct plot_layout lay;
	char *svg;
	double x, w, xs, xe;
	const char *keep = getenv("VIGIL_PLOT_OUT");

	kp_spec(&sp);
	CHECK_EQ_INT(plot_layout(&sp, &lay), 0);
	CHECK_EQ_INT(lay.width, 1000);
	CHECK_EQ_INT(lay.height, 420);
	CHECK_EQ_INT(lay.t0, sp.from);
	CHECK_EQ_INT(lay.t1, sp.until);
	CHECK(lay.ymax >= 4 && lay.ymax <= 6);
	svg = render(&sp);
	CHECK(svg != NULL);
	if (svg == NULL)
		return;
	if (keep) {
		FILE *f = fopen(keep, "w");
		if (f) {
			fputs(svg, f);
			fclose(f);
		}
	}
	CHECK(xml_well_formed(svg));
	xmllint(svg);
	CHECK(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
	CHECK(strstr(svg, "<script") == NULL);
	CHECK(strstr(svg, "href") == NULL); /* nothing external */

	/* the outage span, exactly over 16:15 .. 01:46 */
	xs = plot_x(&lay, OUT_START);
	xe = plot_x(&lay, OUT_END);
	x = attr_of(svg, "<rect class=\"outage critical\"", "x");
	w = attr_of(svg, "<rect class=\"outage critical\"", "width");
	CHECK(fabs(x - xs) < 0.06);
	CHECK(fabs(x + w - xe) < 0.11);
	CHECK(xs > lay.x0 && xe < lay.x1);
	CHECK(attr_of(svg, "<rect class=\"outage critical\"", "y") ==
	      lay.top);
	CHECK(strstr(svg, ">16:15</text>") != NULL);
	CHECK(strstr(svg, ">01:46</text>") != NULL);
	CHECK(strstr(svg, "critical outage \xc2\xb7 \xe2\x88\x92"
	                  "100% \xc2\xb7 9h31m") != NULL);
	CHECK(strstr(svg, "class=\"outage warning\"") == NULL);

	/* legend and title, escaped */
	CHECK(strstr(svg, "via AS4837 (China Unicom &lt;CHINA169&gt; &amp; "
	                  "&quot;co&quot;)") != NULL);
	CHECK(strstr(svg, "<CHINA169>") == NULL);
	CHECK(strstr(svg, ">via AS9002 (RETN)</text>") != NULL);
	CHECK(strstr(svg, ">baseline</text>") != NULL);
	CHECK(strstr(svg, ">critical outage</text>") != NULL);
	CHECK(strstr(svg, ">instability</text>") != NULL);
	CHECK(strstr(svg, "country:KP <tspan font-weight=\"normal\">North "
	                  "Korea</tspan>") != NULL);
	CHECK(strstr(svg, "<title>country:KP North Korea \xe2\x80\x94 visible "
	                  "/24s</title>") != NULL);
	/* lines: two upstreams, the baseline, the entity */
	CHECK(strstr(svg, "class=\"upstream\"") != NULL);
	CHECK(strstr(svg, "class=\"baseline\"") != NULL);
	CHECK(strstr(svg, "class=\"visibility\"") != NULL);
	CHECK(strstr(svg, "class=\"visibility6\"") == NULL); /* no IPv6 */
	CHECK(strstr(svg, "class=\"instability\"") != NULL);
	/* time axis: days and hours; the footer */
	CHECK(strstr(svg, ">Mon 22 Dec 2014</text>") != NULL);
	CHECK(strstr(svg, ">Tue 23 Dec 2014</text>") != NULL);
	CHECK(strstr(svg, ">12:00</text>") != NULL);
	CHECK(strstr(svg, "RIPE RIS rrc00</text>") != NULL);
	CHECK(strstr(svg, "2014-12-22 06:00 \xe2\x80\x93 2014-12-23 08:00 "
	                  "UTC") != NULL);
	free(svg);
}

static void
test_escaping_and_bad_utf8(void)
{
	struct plot_spec sp;
	char *svg;
	kp_spec(&sp);
	sp.name = "Bad \xff\xfe name & <b>\x01";
	sp.footer = "it's \"quoted\"";
	svg = render(&sp);
	CHECK(svg != NULL);
	if (svg == NULL)
		return;
	CHECK(xml_well_formed(svg));
	xmllint(svg);
	CHECK(strstr(svg, "Bad \xef\xbf\xbd\xef\xbf\xbd name &amp; &lt;b&gt;") !=
	      NULL);
	CHECK(strstr(svg, "it&apos;s &quot;quoted&quot;") != NULL);
	free(svg);
}

static void
test_v6_panel_and_open_outage(void)
{
	struct plot_spec sp;
	struct plot_layout lay;
	char *svg;
	kp_spec(&sp);
	for (size_t i = 0; i < n_kp; i++)
		kp[i].v6_units = kp[i].v4_units ? 2 : 0;
	kp_events[0].end = 0; /* still dark */
	kp_events[0].level = VG_LEVEL_WARNING;
	CHECK_EQ_INT(plot_layout(&sp, &lay), 0);
	CHECK_EQ_INT(lay.height, 530);
	CHECK(lay.v6_top > lay.bottom && lay.v6_bottom > lay.v6_top);
	svg = render(&sp);
	CHECK(svg != NULL);
	if (svg == NULL)
		return;
	CHECK(xml_well_formed(svg));
	CHECK(strstr(svg, "class=\"visibility6\"") != NULL);
	CHECK(strstr(svg, ">visible /48s (IPv6)</text>") != NULL);
	CHECK(strstr(svg, ">ongoing</text>") != NULL);
	/* an open outage runs to the right edge */
	CHECK(fabs(attr_of(svg, "<rect class=\"outage warning\"", "x") +
	           attr_of(svg, "<rect class=\"outage warning\"", "width") -
	           lay.x1) < 0.11);
	free(svg);
}

static void
test_month_is_reduced(void)
{
	static struct vg_signal month[30 * 288];
	struct plot_spec sp;
	char *svg;
	const char *d;
	size_t n = 30 * 288;
	for (size_t i = 0; i < n; i++) {
		memset(&month[i], 0, sizeof(month[i]));
		vg_entity_parse(&month[i].ent, "asn:131279");
		month[i].bin_start = T0 + (uint32_t)i * BIN;
		month[i].bin_len = BIN;
		/* one 5-minute drop to 0 in the middle */
		month[i].v4_units = i == n / 2 ? 0 : 1000 + i % 50;
		month[i].baseline = 1000;
		month[i].inst_score = NAN;
	}
	memset(&sp, 0, sizeof(sp));
	sp.entity = "asn:131279";
	sp.sig = month;
	sp.n = n;
	svg = render(&sp);
	CHECK(svg != NULL);
	if (svg == NULL)
		return;
	CHECK(xml_well_formed(svg));
	/* per pixel column: far fewer path commands than bins */
	d = strstr(svg, "class=\"visibility\"");
	CHECK(d != NULL);
	CHECK(strlen(svg) < 200000);
	/* the drop survives the reduction: the path reaches the bottom */
	{
		struct plot_layout lay;
		char y[32];
		plot_layout(&sp, &lay);
		snprintf(y, sizeof(y), "V%.0f", lay.bottom);
		CHECK(strstr(svg, y) != NULL);
	}
	CHECK(strstr(svg, ">1 Jan</text>") != NULL ||
	      strstr(svg, " Jan</text>") != NULL);
	free(svg);
}

static void
test_no_data_and_bad_specs(void)
{
	struct plot_spec sp;
	struct plot_layout lay;
	struct vg_obuf o;
	char *svg;
	memset(&sp, 0, sizeof(sp));
	sp.entity = "country:ZZ";
	sp.from = T0;
	sp.until = T0 + 3600;
	svg = render(&sp);
	CHECK(svg != NULL);
	if (svg) {
		CHECK(xml_well_formed(svg));
		CHECK(strstr(svg, "no data in this time range") != NULL);
		free(svg);
	}
	sp.until = T0 - 1;
	CHECK_EQ_INT(plot_layout(&sp, &lay), -1);
	vg_obuf_init(&o, -1, 1024);
	CHECK_EQ_INT(plot_svg(&sp, &o), -1);
	vg_obuf_destroy(&o);
	sp.until = 0;
	sp.entity = NULL;
	CHECK_EQ_INT(plot_layout(&sp, &lay), -1);
}

int
main(void)
{
	RUN(test_checker);
	RUN(test_kp_chart);
	RUN(test_escaping_and_bad_utf8);
	RUN(test_v6_panel_and_open_outage);
	RUN(test_month_is_reduced);
	RUN(test_no_data_and_bad_specs);
	return TEST_MAIN_END();
}
