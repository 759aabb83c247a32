/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Archive layouts and planning, without any I/O: which collector lives in
 * which archive, how its directories and files are named, how a directory
 * listing names them, and which files (and which gaps) a time range needs.
 * The network half is download.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/fetch.h"

static int
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) >= 32 || strstr(s, "..") || *s == '.')
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '.' && *s != '-' && *s != '_')
			return 0;
	return 1;
}

int
fetch_collector_init(struct fetch_collector *c, const char *name,
                     const char *base, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (!valid_name(name))
		goto unknown;
	if (strncmp(name, "rrc", 3) == 0 && isdigit((unsigned char)name[3]) &&
	    isdigit((unsigned char)name[4]) && name[5] == '\0') {
		c->project = FETCH_RIS;
		c->rib_interval = 8 * 3600;
		c->upd_interval = 300;
	} else if (strncmp(name, "route-views", 11) == 0 &&
	           (isdigit((unsigned char)name[11]) ||
	            (name[11] == '.' && name[12] != '\0'))) {
		c->project = FETCH_RV;
		c->rib_interval = 2 * 3600;
		c->upd_interval = 900;
	} else {
		goto unknown;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (base == NULL)
		base = c->project == FETCH_RIS ? FETCH_RIS_BASE : FETCH_RV_BASE;
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(c->base)) {
		snprintf(err, errlen, "collector %s: bad base URL '%s'", name,
		         base);
		return -1;
	}
	memcpy(c->base, base, n);
	c->base[n] = '\0';
	return 0;
unknown:
	snprintf(err, errlen,
	         "unknown collector '%s' (RIPE RIS: rrc00 ... rrc26; "
	         "RouteViews: route-views2, route-views3, route-views.linx, "
	         "route-views.NAME ...)",
	         name);
	return -1;
}

/* route-views2 is the archive's root collector: no directory of its own */
static int
rv_root(const struct fetch_collector *c)
{
	return c->project == FETCH_RV && strcmp(c->name, "route-views2") == 0;
}

void
fetch_dir_path(const struct fetch_collector *c, enum fetch_kind kind,
               int year, int mon, char *out, size_t n)
{
	if (c->project == FETCH_RIS)
		snprintf(out, n, "%s/%04d.%02d", c->name, year, mon);
	else
		snprintf(out, n, "%s%sbgpdata/%04d.%02d/%s",
		         rv_root(c) ? "" : c->name, rv_root(c) ? "" : "/", year,
		         mon, kind == FETCH_RIB ? "RIBS" : "UPDATES");
}

void
fetch_file_name(const struct fetch_collector *c, enum fetch_kind kind,
                uint32_t t, char *out, size_t n)
{
	time_t tt = t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	const char *pfx = kind == FETCH_UPDATES     ? "updates"
	                  : c->project == FETCH_RIS ? "bview"
	                                            : "rib";
	snprintf(out, n, "%s.%04d%02d%02d.%02d%02d.%s", pfx, tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	         c->project == FETCH_RIS ? "gz" : "bz2");
}

static void
rel_path(const struct fetch_collector *c, enum fetch_kind kind, uint32_t t,
         char *out, size_t n)
{
	time_t tt = t;
	struct tm tm;
	char dir[256], name[64];
	gmtime_r(&tt, &tm);
	fetch_dir_path(c, kind, tm.tm_year + 1900, tm.tm_mon + 1, dir,
	               sizeof(dir));
	fetch_file_name(c, kind, t, name, sizeof(name));
	snprintf(out, n, "%s/%s", dir, name);
}

void
fetch_file_url(const struct fetch_collector *c, enum fetch_kind kind,
               uint32_t t, char *out, size_t n)
{
	char rel[320];
	rel_path(c, kind, t, rel, sizeof(rel));
	snprintf(out, n, "%.400s/%.300s", c->base, rel);
}

void
fetch_cache_path(const struct fetch_collector *c, const char *cache,
                 enum fetch_kind kind, uint32_t t, char *out, size_t n)
{
	char rel[320];
	rel_path(c, kind, t, rel, sizeof(rel));
	snprintf(out, n, "%s/%s%s", cache, rv_root(c) ? "route-views2/" : "",
	         rel);
}

/* ---- listings ------------------------------------------------------------ */

static int
digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int
fetch_parse_stamp(const char *s, uint32_t *t)
{
	if (!digits(s, 8) || s[8] != '.' || !digits(s + 9, 4))
		return -1;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = num(s, 4) - 1900;
	tm.tm_mon = num(s + 4, 2) - 1;
	tm.tm_mday = num(s + 6, 2);
	tm.tm_hour = num(s + 9, 2);
	tm.tm_min = num(s + 11, 2);
	if (tm.tm_year < 70 || tm.tm_year > 200 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59)
		return -1;
	struct tm chk = tm;
	time_t v = timegm(&chk);
	/* 20150231 normalises to March: not a date */
	if (v < 0 || chk.tm_mday != tm.tm_mday || chk.tm_mon != tm.tm_mon ||
	    (uint64_t)v > UINT32_MAX)
		return -1;
	*t = (uint32_t)v;
	return 0;
}

static int
name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '.' || ch == '_' ||
	       ch == '-';
}

size_t
fetch_listing_parse(const char *text, size_t len, enum fetch_project project,
                    fetch_name_fn fn, void *ctx)
{
	static const struct {
		const char *pfx;
		enum fetch_kind kind;
		enum fetch_project proj;
	} pats[] = {
	    {"bview.", FETCH_RIB, FETCH_RIS},
	    {"updates.", FETCH_UPDATES, FETCH_RIS},
	    {"rib.", FETCH_RIB, FETCH_RV},
	    {"updates.", FETCH_UPDATES, FETCH_RV},
	};
	const char *ext = project == FETCH_RIS ? ".gz" : ".bz2";
	size_t elen = strlen(ext), found = 0;

	for (size_t i = 0; i < len; i++) {
		if (i > 0 && name_char(text[i - 1]))
			continue;
		for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
			if (pats[k].proj != project)
				continue;
			size_t pl = strlen(pats[k].pfx);
			/* prefix + YYYYMMDD.HHMM + extension */
			if (len - i < pl + 13 + elen ||
			    memcmp(text + i, pats[k].pfx, pl) != 0)
				continue;
			const char *st = text + i + pl;
			char stamp[14];
			memcpy(stamp, st, 13);
			stamp[13] = '\0';
			if (memcmp(st + 13, ext, elen) != 0)
				continue;
			size_t end = i + pl + 13 + elen;
			if (end < len && name_char(text[end]))
				continue; /* e.g. updates....gz.md5 */
			uint32_t t;
			if (fetch_parse_stamp(stamp, &t) < 0)
				continue;
			if (fn)
				fn(ctx, pats[k].kind, t);
			found++;
		}
	}
	return found;
}

/* ---- plans --------------------------------------------------------------- */

void
fetch_plan_init(struct fetch_plan *p)
{
	memset(p, 0, sizeof(*p));
}

void
fetch_plan_free(struct fetch_plan *p)
{
	for (size_t i = 0; i < p->nitems; i++)
		free(p->items[i].alt_url);
	free(p->items);
	free(p->gaps);
	memset(p, 0, sizeof(*p));
}

static struct fetch_item *
add_item(struct fetch_plan *p)
{
	if (p->nitems == p->capitems) {
		size_t nc = p->capitems ? p->capitems * 2 : 64;
		struct fetch_item *ni = realloc(p->items, nc * sizeof(*ni));
		if (ni == NULL)
			return NULL;
		p->items = ni;
		p->capitems = nc;
	}
	struct fetch_item *it = &p->items[p->nitems];
	memset(it, 0, sizeof(*it));
	it->seq = (uint32_t)p->nitems++;
	return it;
}

int
fetch_plan_add_gap(struct fetch_plan *p, const char *collector, uint32_t from,
                   uint32_t until, const char *reason)
{
	if (until <= from)
		return 0;
	for (size_t i = 0; i < p->ngaps; i++) {
		struct fetch_gap *g = &p->gaps[i];
		if (strcmp(g->collector, collector) != 0 || from > g->until ||
		    until < g->from)
			continue;
		if (from < g->from)
			g->from = from;
		if (until > g->until)
			g->until = until;
		return 0;
	}
	if (p->ngaps == p->capgaps) {
		size_t nc = p->capgaps ? p->capgaps * 2 : 16;
		struct fetch_gap *ng = realloc(p->gaps, nc * sizeof(*ng));
		if (ng == NULL)
			return -1;
		p->gaps = ng;
		p->capgaps = nc;
	}
	struct fetch_gap *g = &p->gaps[p->ngaps++];
	memset(g, 0, sizeof(*g));
	snprintf(g->collector, sizeof(g->collector), "%s", collector);
	g->from = from;
	g->until = until;
	snprintf(g->reason, sizeof(g->reason), "%s", reason);
	return 0;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* sorted, duplicates removed, in a malloc'ed copy */
static uint32_t *
sorted_unique(const uint32_t *v, size_t n, size_t *out_n)
{
	uint32_t *s = malloc((n ? n : 1) * sizeof(*s));
	size_t k = 0;
	if (s == NULL)
		return NULL;
	if (n)
		memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), u32_cmp);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || s[k - 1] != s[i])
			s[k++] = s[i];
	*out_n = k;
	return s;
}

static void
fmt_t(uint32_t t, char *buf, size_t n)
{
	time_t tt = t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
}

static void
note(struct fetch_plan *p, const char *fmt, const char *a, const char *b)
{
	if (p->nnotes < sizeof(p->notes) / sizeof(p->notes[0]))
		snprintf(p->notes[p->nnotes++], sizeof(p->notes[0]), fmt, a, b);
}

int
fetch_plan_collector(struct fetch_plan *p, const struct fetch_collector *c,
                     const char *cache, const uint32_t *ribs, size_t nribs,
                     const uint32_t *upds, size_t nupds, uint32_t from,
                     uint32_t until)
{
	size_t nr, nu;
	uint32_t *r = sorted_unique(ribs, nribs, &nr);
	uint32_t *u = sorted_unique(upds, nupds, &nu);
	uint32_t iv = c->upd_interval, start = from, rib = 0;
	int have_rib = 0, rc = -1;
	char tbuf[32];

	if (r == NULL || u == NULL)
		goto out;
	/* the RIB dump at or just before FROM (no older than two RIB
	 * intervals: replaying a day of updates to reach FROM is not what
	 * anyone wants) */
	for (size_t i = 0; i < nr; i++)
		if (r[i] <= from && (uint64_t)r[i] + 2ull * c->rib_interval > from) {
			rib = r[i];
			have_rib = 1;
		}
	if (have_rib) {
		struct fetch_item *it = add_item(p);
		if (it == NULL)
			goto out;
		snprintf(it->collector, sizeof(it->collector), "%s", c->name);
		it->kind = FETCH_RIB;
		it->time = rib;
		it->interval = c->rib_interval;
		fetch_file_url(c, FETCH_RIB, rib, it->url, sizeof(it->url));
		fetch_cache_path(c, cache, FETCH_RIB, rib, it->path,
		                 sizeof(it->path));
		start = rib;
	} else {
		fmt_t(from, tbuf, sizeof(tbuf));
		note(p, "%s: no RIB dump at or before %s; the routing state "
		        "builds up from updates only", c->name, tbuf);
	}

	/* update files: the one covering START (at or before it, within an
	 * interval and a half), then every one before UNTIL */
	size_t first = nu;
	for (size_t i = 0; i < nu; i++) {
		if (u[i] <= start) {
			if ((uint64_t)u[i] + iv + iv / 2 > start)
				first = i;
		} else {
			if (first == nu && u[i] < until)
				first = i;
			break;
		}
	}
	uint64_t cover = start;
	for (size_t i = first; i < nu && u[i] < until; i++) {
		if (u[i] > cover + iv / 2 &&
		    fetch_plan_add_gap(p, c->name, (uint32_t)cover, u[i],
		                       "no update file in the archive") < 0)
			goto out;
		struct fetch_item *it = add_item(p);
		if (it == NULL)
			goto out;
		snprintf(it->collector, sizeof(it->collector), "%s", c->name);
		it->kind = FETCH_UPDATES;
		it->time = u[i];
		it->interval = iv;
		it->next_time = i + 1 < nu && u[i + 1] < until
		                    ? u[i + 1]
		                    : (uint32_t)((uint64_t)u[i] + iv < until
		                                     ? u[i] + iv
		                                     : until);
		fetch_file_url(c, FETCH_UPDATES, u[i], it->url, sizeof(it->url));
		fetch_cache_path(c, cache, FETCH_UPDATES, u[i], it->path,
		                 sizeof(it->path));
		if ((uint64_t)u[i] + iv > cover)
			cover = (uint64_t)u[i] + iv;
	}
	if (cover < until &&
	    fetch_plan_add_gap(p, c->name, (uint32_t)cover, until,
	                       "no update file in the archive") < 0)
		goto out;
	rc = 0;
out:
	free(r);
	free(u);
	return rc;
}

int
fetch_slots(const struct fetch_collector *c, enum fetch_kind kind,
            uint32_t from, uint32_t until, uint32_t **out, size_t *n)
{
	uint32_t step = kind == FETCH_RIB ? c->rib_interval : c->upd_interval;
	uint32_t t0 = from - from % step;
	size_t cnt = until > t0 ? (until - t0 + step - 1) / step : 0;
	uint32_t *v = malloc((cnt ? cnt : 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	for (size_t i = 0; i < cnt; i++)
		v[i] = t0 + (uint32_t)i * step;
	*out = v;
	*n = cnt;
	return 0;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct fetch_item *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind == FETCH_RIB ? -1 : y->kind == FETCH_RIB ? 1 : 0;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
gap_cmp(const void *a, const void *b)
{
	const struct fetch_gap *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return strcmp(x->collector, y->collector);
}

void
fetch_plan_sort(struct fetch_plan *p)
{
	if (p->nitems)
		qsort(p->items, p->nitems, sizeof(*p->items), item_cmp);
	if (p->ngaps)
		qsort(p->gaps, p->ngaps, sizeof(*p->gaps), gap_cmp);
}

const char *
fetch_state_name(enum fetch_state s)
{
	switch (s) {
	case FETCH_PENDING: return "pending";
	case FETCH_ACTIVE: return "downloading";
	case FETCH_VERIFYING: return "verifying";
	case FETCH_DONE: return "fetched";
	case FETCH_CACHED: return "cached";
	case FETCH_MISSING: return "missing";
	case FETCH_FAILED: return "failed";
	}
	return "?";
}

/* ---- RIR delegation files ------------------------------------------------ */

const char *const fetch_rir_names[FETCH_NRIR] = {
    "afrinic", "apnic", "arin", "lacnic", "ripencc",
};

/* default bases (the directory above the year folders) and whether the
 * dated files sit in a YYYY folder; the compression of each RIR's file */
static const struct {
	const char *base;
	int year_dir;
	const char *ext;
} rir_layout[FETCH_NRIR] = {
    {"https://ftp.afrinic.net/pub/stats/afrinic", 1, ""},
    {"https://ftp.apnic.net/stats/apnic", 1, ".gz"},
    {"https://ftp.arin.net/pub/stats/arin", 0, ""},
    {"https://ftp.lacnic.net/pub/stats/lacnic", 0, ""},
    {"https://ftp.ripe.net/pub/stats/ripencc", 1, ".bz2"},
};

static void
rir_file(unsigned rir, uint32_t day, char *out, size_t n, int with_year)
{
	time_t tt = day;
	struct tm tm;
	gmtime_r(&tt, &tm);
	char y[16] = "";
	if (with_year && rir_layout[rir].year_dir)
		snprintf(y, sizeof(y), "%04d/", tm.tm_year + 1900);
	snprintf(out, n, "%sdelegated-%s-extended-%04d%02d%02d%s", y,
	         fetch_rir_names[rir], tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, rir_layout[rir].ext);
}

void
fetch_geo_path(const char *cache, unsigned rir, uint32_t day, char *out,
               size_t n)
{
	char f[96];
	rir_file(rir, day, f, sizeof(f), 1);
	snprintf(out, n, "%s/geo/%s/%s", cache, fetch_rir_names[rir], f);
}

int
fetch_plan_geo(struct fetch_plan *p, const struct fetch_opts *o, uint32_t day)
{
	day -= day % 86400;
	for (unsigned i = 0; i < FETCH_NRIR; i++) {
		struct fetch_item *it = add_item(p);
		char f[96];
		if (it == NULL)
			return -1;
		const char *base = o->rir_base[i] ? o->rir_base[i]
		                                  : rir_layout[i].base;
		size_t bl = strlen(base);
		while (bl > 0 && base[bl - 1] == '/')
			bl--;
		snprintf(it->collector, sizeof(it->collector), "%s",
		         fetch_rir_names[i]);
		it->kind = FETCH_GEO;
		it->time = day;
		it->interval = 86400;
		rir_file(i, day, f, sizeof(f), 1);
		snprintf(it->url, sizeof(it->url), "%.*s/%s", (int)bl, base, f);
		fetch_geo_path(o->cache, i, day, it->path, sizeof(it->path));
		if (strcmp(fetch_rir_names[i], "arin") == 0) {
			/* ARIN moves its older files to archive/YYYY/ */
			time_t tt = day;
			struct tm tm;
			gmtime_r(&tt, &tm);
			size_t n = bl + strlen(f) + 32;
			if ((it->alt_url = malloc(n)) == NULL)
				return -1;
			snprintf(it->alt_url, n, "%.*s/archive/%04d/%s", (int)bl,
			         base, tm.tm_year + 1900, f);
		}
	}
	return 0;
}
