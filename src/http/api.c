/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The API's answers (contract C, docs/api.md): a validated request and a
 * read-only store handle in, a JSON document out.  Everything goes through
 * the store's prepared statements; event objects are printed by the same
 * function as `vigil events --json` (passed in by the caller, so this
 * library module does not depend on the CLI).
 *
 * Signals are stored sparsely (a row when something changed, every hour
 * otherwise; see `vigil signals --help`): the series here are dense, one
 * value per bin, a bin without a row carrying the visibility of the row
 * before it for up to an hour (counters zero, no instability score), and
 * null beyond that, exactly as `vigil signals --fill` prints them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_impl.h"

/* ---- JSON pieces ---- */

static int
utf8_len(const unsigned char *s)
{
	int n = s[0] < 0x80                     ? 1
	        : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
	        : s[0] >= 0xe0 && s[0] <= 0xef ? 3
	        : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
	                                        : 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void
json_str(struct vg_obuf *o, const char *s)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	vg_obuf_putc(o, '"');
	while (*p) {
		int n;
		if (*p == '"' || *p == '\\') {
			vg_obuf_putc(o, '\\');
			vg_obuf_putc(o, (char)*p++);
		} else if (*p < 0x20) {
			char esc[6] = {'\\', 'u', '0', '0', hx[*p >> 4],
			               hx[*p & 15]};
			vg_obuf_put(o, esc, 6);
			p++;
		} else if ((n = utf8_len(p)) == 0) {
			vg_obuf_puts(o, "\\ufffd");
			p++;
		} else {
			vg_obuf_put(o, p, (size_t)n);
			p += n;
		}
	}
	vg_obuf_putc(o, '"');
}

void
json_num(struct vg_obuf *o, double v)
{
	char b[32];
	int n;
	if (!isfinite(v)) {
		vg_obuf_put(o, "null", 4);
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		if (v < 0) {
			vg_obuf_putc(o, '-');
			v = -v;
		}
		vg_obuf_u64(o, (unsigned long long)v);
		return;
	}
	n = snprintf(b, sizeof(b), "%.6g", v);
	vg_obuf_put(o, b, (size_t)n);
}

void
json_error(struct vg_obuf *o, const char *msg)
{
	o->len = 0;
	vg_obuf_puts(o, "{\"error\":");
	json_str(o, msg);
	vg_obuf_puts(o, "}\n");
}

static void
json_entity_fields(struct vg_obuf *o, const struct vg_entity *e,
                   const char *name)
{
	char text[VG_ENTITY_STRLEN];
	size_t len = vg_entity_fmt(e, text);
	const char *colon = memchr(text, ':', len);
	vg_obuf_puts(o, "\"entity\":");
	json_str(o, text);
	vg_obuf_puts(o, ",\"kind\":\"");
	vg_obuf_puts(o, e->kind == VG_ENT_COUNTRY ? "country"
	                : e->kind == VG_ENT_ASN   ? "asn"
	                                          : "upstream");
	vg_obuf_puts(o, "\",\"code\":");
	json_str(o, colon ? colon + 1 : text);
	vg_obuf_puts(o, ",\"name\":");
	if (name && name[0])
		json_str(o, name);
	else
		vg_obuf_puts(o, "null");
	if (e->kind != VG_ENT_ASN) {
		vg_obuf_puts(o, ",\"cc\":");
		json_str(o, e->cc);
	}
	if (e->kind != VG_ENT_COUNTRY) {
		vg_obuf_puts(o, ",\"asn\":");
		vg_obuf_u32(o, e->asn);
	}
}

/* EV as `vigil events --json` prints it, without the newline. */
static int
put_event(struct api_ctx *c, struct vg_obuf *o, const struct vg_event *ev,
          int keep_open)
{
	char name[128], *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (store_entity_name(c->s, &ev->ent, name, sizeof(name)) < 0)
		return -1;
	if ((f = open_memstream(&buf, &len)) == NULL)
		return -1;
	c->event_json(f, ev, name);
	if (fclose(f) != 0) {
		free(buf);
		return -1;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	if (keep_open && len && buf[len - 1] == '}')
		len--; /* the caller adds fields and the brace */
	vg_obuf_put(o, buf, len);
	free(buf);
	return 0;
}

uint32_t
api_bin_len(struct vg_store *s)
{
	char v[32];
	unsigned long n;
	if (store_get_meta(s, "bin_len", v, sizeof(v)) < 0)
		return 300;
	n = strtoul(v, NULL, 10);
	return n > 0 && n < 86400 * 7 ? (uint32_t)n : 300;
}

/* ---- entities ---- */

struct ent_ctx {
	struct vg_obuf *o;
	int n;
};

static int
on_entity(void *vctx, const struct vg_entity *e, const char *name)
{
	struct ent_ctx *c = vctx;
	if (c->n++)
		vg_obuf_putc(c->o, ',');
	vg_obuf_putc(c->o, '{');
	json_entity_fields(c->o, e, name);
	vg_obuf_putc(c->o, '}');
	return 0;
}

static int
do_entities(struct api_ctx *c, const struct api_req *r, struct vg_obuf *o)
{
	struct ent_ctx ec = {o, 0};
	vg_obuf_puts(o, "{\"data\":[");
	if (store_find_entities(c->s, (r->given & P_SEARCH) ? r->search : NULL,
	                        r->ent_kind, r->limit, on_entity, &ec) < 0)
		return -1;
	vg_obuf_puts(o, "]}\n");
	return 200;
}

/* ---- signals ---- */

struct sigvec {
	struct vg_signal *v;
	size_t n, cap;
	int oom;
};

static int
on_sig(void *vctx, const struct vg_signal *g)
{
	struct sigvec *sv = vctx;
	if (sv->n == sv->cap) {
		size_t nc = sv->cap ? sv->cap * 2 : 256;
		struct vg_signal *nv = realloc(sv->v, nc * sizeof(*nv));
		if (nv == NULL) {
			sv->oom = 1;
			return 1;
		}
		sv->v = nv;
		sv->cap = nc;
	}
	sv->v[sv->n++] = *g;
	return 0;
}

/* The bins of a series: where each takes its values from. */
enum { CELL_NULL, CELL_ROW, CELL_HELD };
struct cell {
	uint8_t how;
	const struct vg_signal *g;
};

struct grid {
	uint32_t t0, bin_len, hold;
	size_t nb;
};

/* Place the sparse rows SV on grid G (CELLS has G->nb entries). */
static void
place(const struct grid *g, const struct sigvec *sv, struct cell *cells)
{
	size_t j = 0;
	for (size_t i = 0; i < g->nb; i++) {
		uint64_t t = (uint64_t)g->t0 + i * g->bin_len;
		const struct vg_signal *row;
		while (j + 1 < sv->n && sv->v[j + 1].bin_start <= t)
			j++;
		row = sv->n && sv->v[j].bin_start <= t ? &sv->v[j] : NULL;
		cells[i].g = row;
		if (row == NULL)
			cells[i].how = CELL_NULL;
		else if (row->bin_start == t)
			cells[i].how = CELL_ROW;
		else if (t < (uint64_t)row->bin_start + g->hold)
			cells[i].how = CELL_HELD;
		else
			cells[i].how = CELL_NULL;
	}
}

enum {
	F_V4,
	F_V6,
	F_PREFIXES,
	F_ORIGINS,
	F_ANN,
	F_WDR,
	F_PATHCHG,
	F_FLAPS,
	F_PEERS,
	F_BASELINE,
	F_INST,
	F_N
};
static const char *const field_names[F_N] = {
    "v4_units",    "v6_units",     "prefixes", "origins",
    "announcements", "withdrawals", "path_changes", "flaps",
    "peers_up",    "baseline",     "inst_score",
};

static void
put_series(struct vg_obuf *o, const struct cell *cells, size_t nb, int f)
{
	vg_obuf_putc(o, '[');
	for (size_t i = 0; i < nb; i++) {
		const struct vg_signal *g = cells[i].g;
		int held = cells[i].how == CELL_HELD;
		if (i)
			vg_obuf_putc(o, ',');
		if (cells[i].how == CELL_NULL) {
			vg_obuf_put(o, "null", 4);
			continue;
		}
		switch (f) {
		case F_V4:
			vg_obuf_u64(o, g->v4_units);
			break;
		case F_V6:
			vg_obuf_u64(o, g->v6_units);
			break;
		case F_PREFIXES:
			vg_obuf_u32(o, g->prefixes);
			break;
		case F_ORIGINS:
			vg_obuf_u32(o, g->origins);
			break;
		case F_PEERS:
			vg_obuf_u32(o, g->peers_up);
			break;
		case F_BASELINE:
			json_num(o, g->baseline);
			break;
		case F_INST:
			json_num(o, held ? NAN : g->inst_score);
			break;
		default:
			vg_obuf_u32(o, held                ? 0
			               : f == F_ANN        ? g->announcements
			               : f == F_WDR        ? g->withdrawals
			               : f == F_PATHCHG    ? g->path_changes
			                                   : g->flaps);
			break;
		}
	}
	vg_obuf_putc(o, ']');
}

static void
put_times(struct vg_obuf *o, const struct grid *g)
{
	vg_obuf_putc(o, '[');
	for (size_t i = 0; i < g->nb; i++) {
		if (i)
			vg_obuf_putc(o, ',');
		vg_obuf_u64(o, (uint64_t)g->t0 + i * g->bin_len);
	}
	vg_obuf_putc(o, ']');
}

/* The rows of ENT that the grid needs (one hold back), placed. */
static int
read_series(struct api_ctx *c, const struct vg_entity *ent,
            const struct grid *g, struct sigvec *sv, struct cell *cells)
{
	uint32_t until = g->t0 + (uint32_t)(g->nb - 1) * g->bin_len;
	sv->n = 0;
	if (store_query_signals(c->s, ent, g->t0 > g->hold ? g->t0 - g->hold : 0,
	                        until, on_sig, sv) < 0)
		return -1;
	if (sv->oom)
		return -1;
	place(g, sv, cells);
	return 0;
}

struct up {
	struct vg_entity ent;
	char name[128];
	struct vg_signal sig;
	int have;
};

struct ups {
	struct api_ctx *c;
	struct up *v;
	size_t n, cap;
	int oom;
};

static int
on_upstream(void *vctx, const struct vg_entity *e, const char *name)
{
	struct ups *u = vctx;
	if (u->n == u->cap) {
		size_t nc = u->cap ? u->cap * 2 : 64;
		struct up *nv = realloc(u->v, nc * sizeof(*nv));
		if (nv == NULL) {
			u->oom = 1;
			return 1;
		}
		u->v = nv;
		u->cap = nc;
	}
	memset(&u->v[u->n], 0, sizeof(u->v[0]));
	u->v[u->n].ent = *e;
	snprintf(u->v[u->n].name, sizeof(u->v[0].name), "%s", name);
	u->n++;
	return 0;
}

/* The biggest carriers first: by baseline, then by what they carry, as
 * `vigil status` lists them. */
static int
up_cmp(const void *a, const void *b)
{
	const struct up *x = a, *y = b;
	double bx = x->have && isfinite(x->sig.baseline) ? x->sig.baseline : 0;
	double by = y->have && isfinite(y->sig.baseline) ? y->sig.baseline : 0;
	uint64_t vx = x->have ? x->sig.v4_units : 0;
	uint64_t vy = y->have ? y->sig.v4_units : 0;
	if (bx != by)
		return bx > by ? -1 : 1;
	if (vx != vy)
		return vx > vy ? -1 : 1;
	return x->ent.asn < y->ent.asn ? -1 : x->ent.asn > y->ent.asn;
}

struct evlist {
	struct api_ctx *c;
	struct vg_obuf *o;
	int n, failed;
};

static int
on_event_out(void *vctx, const struct vg_event *ev)
{
	struct evlist *l = vctx;
	if (l->n++)
		vg_obuf_putc(l->o, ',');
	if (put_event(l->c, l->o, ev, 0) < 0) {
		l->failed = 1;
		return 1;
	}
	return 0;
}

static int
not_found_entity(struct vg_obuf *o, const struct vg_entity *e)
{
	char text[VG_ENTITY_STRLEN], msg[96];
	vg_entity_fmt(e, text);
	snprintf(msg, sizeof(msg), "%s is not in the database", text);
	json_error(o, msg);
	return 404;
}

static int
do_signals(struct api_ctx *c, const struct api_req *r, struct vg_obuf *o,
           char *err, size_t n)
{
	char name[128], text[VG_ENTITY_STRLEN];
	struct sigvec sv = {0};
	struct ups ups = {c, NULL, 0, 0, 0};
	struct cell *cells = NULL;
	struct grid g;
	uint32_t first, last, from, until, bl;
	int rc, ret = -1;

	if ((rc = store_entity_name(c->s, &r->ent, name, sizeof(name))) <= 0)
		return rc < 0 ? -1 : not_found_entity(o, &r->ent);
	bl = api_bin_len(c->s);
	vg_entity_fmt(&r->ent, text);
	vg_obuf_puts(o, "{\"entity\":");
	json_str(o, text);
	vg_obuf_puts(o, ",\"name\":");
	if (name[0])
		json_str(o, name);
	else
		vg_obuf_puts(o, "null");
	vg_obuf_printf(o, ",\"bin_len\":%u", bl);
	if (store_time_range(c->s, &first, &last) < 0) {
		if (store_timed_out(c->s))
			return -1;
		/* no signals yet (a collector just started) */
		vg_obuf_puts(o, ",\"from\":null,\"until\":null,\"series\":{\"t\":[]");
		for (int f = 0; f < F_N; f++)
			vg_obuf_printf(o, ",\"%s\":[]", field_names[f]);
		vg_obuf_puts(o, "},\"upstreams\":[],\"events\":[]}\n");
		return 200;
	}
	/* the range asked for, defaults as `vigil signals` */
	until = (r->given & P_UNTIL) ? r->until : last;
	if (!(r->given & P_UNTIL) && (r->given & P_FROM))
		until = r->from + (API_RANGE_DEFAULT - 1) < last
		            ? r->from + (API_RANGE_DEFAULT - 1)
		            : last;
	from = (r->given & P_FROM) ? r->from
	       : until >= API_RANGE_DEFAULT - 1 ? until - (API_RANGE_DEFAULT - 1)
	                                        : 0;
	if (from > until)
		until = from; /* from after the data: nothing in range */
	if ((uint64_t)(until - from) / bl + 1 > API_BINS_MAX) {
		snprintf(err, n,
		         "the range holds more than %u bins of %u s; ask for "
		         "a shorter one",
		         API_BINS_MAX, bl);
		return 400;
	}
	/* the bins of the database inside it */
	g.bin_len = bl;
	g.hold = 3600 + bl;
	if (from < first)
		from = first;
	g.t0 = first + (uint32_t)(((uint64_t)from - first + bl - 1) / bl * bl);
	if (until > last)
		until = last;
	g.nb = g.t0 <= until ? (until - g.t0) / bl + 1 : 0;
	vg_obuf_printf(o, ",\"from\":%u,\"until\":%u,\"series\":{\"t\":",
	               g.t0, g.nb ? g.t0 + (uint32_t)(g.nb - 1) * bl : g.t0);
	put_times(o, &g);
	if (g.nb && (cells = calloc(g.nb, sizeof(*cells))) == NULL) {
		snprintf(err, n, "out of memory");
		goto out;
	}
	if (g.nb && read_series(c, &r->ent, &g, &sv, cells) < 0)
		goto out;
	for (int f = 0; f < F_N; f++) {
		vg_obuf_printf(o, ",\"%s\":", field_names[f]);
		put_series(o, cells, g.nb, f);
	}
	vg_obuf_puts(o, "},\"upstreams\":[");
	if (r->ent.kind == VG_ENT_COUNTRY &&
	    (store_query_upstreams(c->s, r->ent.cc, on_upstream, &ups) < 0 ||
	     ups.oom))
		goto out;
	if (r->ent.kind == VG_ENT_COUNTRY && r->upstreams && g.nb) {
		/* Ranked at the last keyframe bin of the range: the detector
		 * writes every entity's row there (every KEYFRAME_BINS bins),
		 * so it is one lookup per upstream, not a search back through
		 * the bins of each (a big country has hundreds) */
		uint32_t end = g.t0 + (uint32_t)(g.nb - 1) * bl;
		uint32_t kf = end / bl / API_KEYFRAME_BINS * API_KEYFRAME_BINS * bl;
		for (size_t i = 0; i < ups.n; i++) {
			rc = store_signal_between(c->s, &ups.v[i].ent, kf, kf,
			                          &ups.v[i].sig);
			if (rc < 0)
				goto out;
			ups.v[i].have = rc;
		}
		if (ups.n > 1)
			qsort(ups.v, ups.n, sizeof(*ups.v), up_cmp);
		for (size_t i = 0; i < ups.n && i < r->upstreams; i++) {
			struct up *u = &ups.v[i];
			struct vg_entity as = {.kind = VG_ENT_ASN,
			                       .asn = u->ent.asn};
			char asname[128];
			vg_entity_fmt(&u->ent, text);
			if (store_entity_name(c->s, &as, asname,
			                      sizeof(asname)) < 0)
				goto out;
			vg_obuf_puts(o, i ? ",{\"entity\":" : "{\"entity\":");
			json_str(o, text);
			vg_obuf_printf(o, ",\"asn\":%u,\"name\":", u->ent.asn);
			json_str(o, asname[0] ? asname : u->name);
			vg_obuf_puts(o, ",\"t\":");
			put_times(o, &g);
			if (read_series(c, &u->ent, &g, &sv, cells) < 0)
				goto out;
			vg_obuf_puts(o, ",\"v4_units\":");
			put_series(o, cells, g.nb, F_V4);
			vg_obuf_puts(o, ",\"baseline\":");
			put_series(o, cells, g.nb, F_BASELINE);
			vg_obuf_putc(o, '}');
		}
	}
	vg_obuf_printf(o, "],\"upstreams_total\":%zu,\"events\":[",
	               r->ent.kind == VG_ENT_COUNTRY ? ups.n : (size_t)0);
	if (g.nb) {
		struct store_event_query q;
		struct evlist l = {c, o, 0, 0};
		memset(&q, 0, sizeof(q));
		q.ent = &r->ent;
		q.ent_prefix_only = 1;
		q.since = g.t0 ? g.t0 : 1;
		q.until = g.t0 + (uint32_t)(g.nb - 1) * bl + bl - 1;
		q.limit = API_EVENTS_LIMIT_MAX;
		q.with_evidence = 1;
		if (store_query_events(c->s, &q, on_event_out, &l) < 0 ||
		    l.failed)
			goto out;
	}
	vg_obuf_puts(o, "]}\n");
	ret = 200;
out:
	free(cells);
	free(sv.v);
	free(ups.v);
	return ret;
}

/* ---- events ---- */

static int
do_events(struct api_ctx *c, const struct api_req *r, struct vg_obuf *o)
{
	struct store_event_query q;
	struct evlist l = {c, o, 0, 0};
	uint64_t total;
	char name[8];
	int rc;

	memset(&q, 0, sizeof(q));
	if (r->given & P_ENTITY) {
		if ((rc = store_entity_name(c->s, &r->ent, name,
		                            sizeof(name))) <= 0)
			return rc < 0 ? -1 : not_found_entity(o, &r->ent);
		q.ent = &r->ent;
		q.ent_prefix_only = !r->exact;
	}
	q.kind = r->ev_kind;
	q.min_level = r->level;
	q.since = (r->given & P_FROM) ? (r->from ? r->from : 1) : 0;
	q.until = (r->given & P_UNTIL) ? r->until : 0;
	q.open_only = r->open_only;
	q.limit = r->limit;
	q.offset = r->offset;
	q.with_evidence = r->evidence;
	if (store_count_events(c->s, &q, &total) < 0)
		return -1;
	vg_obuf_puts(o, "{\"data\":[");
	if (store_query_events(c->s, &q, on_event_out, &l) < 0 || l.failed)
		return -1;
	vg_obuf_printf(o, "],\"total\":%llu,\"limit\":%u,\"offset\":%u}\n",
	               (unsigned long long)total, r->limit, r->offset);
	return 200;
}

/* Add AS to SET (N of CAP) unless there; 1 if added. */
static int
as_add(uint32_t *set, size_t *n, size_t cap, uint32_t as)
{
	for (size_t i = 0; i < *n; i++)
		if (set[i] == as)
			return 0;
	if (*n == cap)
		return 0;
	set[(*n)++] = as;
	return 1;
}

static int
do_event(struct api_ctx *c, const struct api_req *r, struct vg_obuf *o)
{
	struct vg_event ev;
	uint32_t *origins = NULL, *ups = NULL;
	size_t no = 0, nu = 0, np = 0;
	int rc, ret = -1;

	if ((rc = store_get_event(c->s, r->event_id, &ev)) <= 0) {
		char msg[64];
		if (rc < 0)
			return -1;
		snprintf(msg, sizeof(msg), "no event %llu",
		         (unsigned long long)r->event_id);
		json_error(o, msg);
		return 404;
	}
	if (put_event(c, o, &ev, 1) < 0)
		goto out;
	/* the evidence grouped: what the event page shows */
	origins = calloc(ev.n_evidence + 1, sizeof(*origins));
	ups = calloc(ev.n_evidence + 1, sizeof(*ups));
	if (origins == NULL || ups == NULL)
		goto out;
	vg_obuf_puts(o, ",\"prefixes\":[");
	for (uint32_t i = 0; i < ev.n_evidence; i++) {
		const struct vg_evidence *x = &ev.evidence[i];
		if (x->what == 'p') {
			if (np++)
				vg_obuf_putc(o, ',');
			json_str(o, x->text);
		}
		if ((x->what == 'p' || x->what == 'o') && x->asn)
			as_add(origins, &no, ev.n_evidence, x->asn);
		if (x->what == 'u' && x->asn)
			as_add(ups, &nu, ev.n_evidence, x->asn);
		if (x->what == 'p' && x->upstream)
			as_add(ups, &nu, ev.n_evidence, x->upstream);
	}
	for (int k = 0; k < 2; k++) {
		const uint32_t *set = k ? ups : origins;
		size_t cnt = k ? nu : no;
		vg_obuf_puts(o, k ? "],\"upstreams\":[" : "],\"origins\":[");
		for (size_t i = 0; i < cnt; i++) {
			struct vg_entity as = {.kind = VG_ENT_ASN,
			                       .asn = set[i]};
			char name[128];
			if (store_entity_name(c->s, &as, name, sizeof(name)) <
			    0)
				goto out;
			vg_obuf_printf(o, "%s{\"asn\":%u,\"name\":",
			               i ? "," : "", set[i]);
			if (name[0])
				json_str(o, name);
			else
				vg_obuf_puts(o, "null");
			vg_obuf_putc(o, '}');
		}
	}
	vg_obuf_puts(o, "]}\n");
	ret = 200;
out:
	free(origins);
	free(ups);
	store_event_free(&ev);
	return ret;
}

/* ---- status ---- */

struct st_ev {
	struct vg_entity ent;
	uint64_t id;
	uint8_t kind, level;
	double severity;
};

struct st_entry {
	struct vg_entity ent;
	char name[128];
	const struct st_ev *ev; /* the one that sets its status, or NULL */
	int have;               /* a signal within the hold */
	struct vg_signal sig;
	int rank;
};

struct st_ctx {
	uint32_t at;
	struct st_ev *ev;
	size_t nev, capev;
	struct st_entry *e;
	size_t ne, cape;
	int oom;
};

static int
on_st_event(void *vctx, const struct vg_event *ev)
{
	struct st_ctx *c = vctx;
	if (ev->end && ev->end <= c->at)
		return 0; /* over by then */
	if (c->nev == c->capev) {
		size_t nc = c->capev ? c->capev * 2 : 64;
		struct st_ev *nv = realloc(c->ev, nc * sizeof(*nv));
		if (nv == NULL) {
			c->oom = 1;
			return 1;
		}
		c->ev = nv;
		c->capev = nc;
	}
	c->ev[c->nev].ent = ev->ent;
	c->ev[c->nev].id = ev->id;
	c->ev[c->nev].kind = ev->kind;
	c->ev[c->nev].level = ev->level;
	c->ev[c->nev].severity = ev->severity;
	c->nev++;
	return 0;
}

static struct st_entry *
st_add(struct st_ctx *c, const struct vg_entity *e, const char *name)
{
	struct st_entry *x;
	if (c->ne == c->cape) {
		size_t nc = c->cape ? c->cape * 2 : 256;
		struct st_entry *nv = realloc(c->e, nc * sizeof(*nv));
		if (nv == NULL) {
			c->oom = 1;
			return NULL;
		}
		c->e = nv;
		c->cape = nc;
	}
	x = &c->e[c->ne++];
	memset(x, 0, sizeof(*x));
	x->ent = *e;
	snprintf(x->name, sizeof(x->name), "%s", name ? name : "");
	return x;
}

static int
on_country(void *vctx, const struct vg_entity *e, const char *name)
{
	struct st_ctx *c = vctx;
	return st_add(c, e, name) == NULL;
}

/* Outage before instability, critical before warning. */
static int
ev_rank(const struct st_ev *ev)
{
	if (ev == NULL)
		return 0;
	return (ev->kind == VG_EVENT_OUTAGE ? 2 : 0) + ev->level;
}

static double
ev_sev(const struct st_ev *ev)
{
	return ev && isfinite(ev->severity) ? ev->severity : 0;
}

static int
st_ev_cmp(const void *a, const void *b)
{
	const struct st_ev *x = a, *y = b;
	int c = vg_entity_cmp(&x->ent, &y->ent);
	if (c)
		return c;
	if (ev_rank(x) != ev_rank(y))
		return ev_rank(x) > ev_rank(y) ? -1 : 1;
	if (ev_sev(x) != ev_sev(y))
		return ev_sev(x) > ev_sev(y) ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
st_entry_cmp(const void *a, const void *b)
{
	const struct st_entry *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	if (ev_sev(x->ev) != ev_sev(y->ev))
		return ev_sev(x->ev) > ev_sev(y->ev) ? -1 : 1;
	return vg_entity_cmp(&x->ent, &y->ent);
}

/* The first (worst) event of E in the sorted list, or NULL. */
static const struct st_ev *
st_find(const struct st_ctx *c, const struct vg_entity *e)
{
	size_t lo = 0, hi = c->nev;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (vg_entity_cmp(&c->ev[mid].ent, e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nev && vg_entity_cmp(&c->ev[lo].ent, e) == 0
	           ? &c->ev[lo]
	           : NULL;
}

static int
do_status(struct api_ctx *c, const struct api_req *r, struct vg_obuf *o)
{
	struct st_ctx sc;
	struct store_event_query q;
	uint32_t first, last, bl, hold;
	size_t ncountries, others = 0;
	int ret = -1;

	memset(&sc, 0, sizeof(sc));
	if (store_time_range(c->s, &first, &last) < 0) {
		if (store_timed_out(c->s))
			return -1;
		vg_obuf_puts(o, "{\"at\":null,\"data\":[]}\n");
		return 200;
	}
	bl = api_bin_len(c->s);
	hold = 3600 + bl;
	sc.at = (r->given & P_AT) ? r->at : last;

	/* every country, then the events open at AT */
	if (store_find_entities(c->s, NULL, VG_ENT_COUNTRY, 0, on_country,
	                        &sc) < 0 ||
	    sc.oom)
		goto out;
	ncountries = sc.ne;
	memset(&q, 0, sizeof(q));
	q.since = sc.at ? sc.at : 1;
	q.until = sc.at;
	if (store_query_events(c->s, &q, on_st_event, &sc) < 0 || sc.oom)
		goto out;
	if (sc.nev > 1)
		qsort(sc.ev, sc.nev, sizeof(*sc.ev), st_ev_cmp);
	/* the other entities with an event open then */
	for (size_t i = 0; i < sc.nev; i++) {
		char name[128];
		if (sc.ev[i].ent.kind == VG_ENT_COUNTRY ||
		    (i && vg_entity_cmp(&sc.ev[i].ent, &sc.ev[i - 1].ent) == 0))
			continue;
		if (others++ >= API_STATUS_OTHERS_MAX)
			break;
		if (store_entity_name(c->s, &sc.ev[i].ent, name,
		                      sizeof(name)) < 0)
			goto out;
		if (st_add(&sc, &sc.ev[i].ent, name) == NULL)
			goto out;
	}
	(void)ncountries;
	for (size_t i = 0; i < sc.ne; i++) {
		struct st_entry *x = &sc.e[i];
		int rc = store_signal_between(c->s, &x->ent,
		                              sc.at >= hold ? sc.at - hold + 1 : 0,
		                              sc.at, &x->sig);
		if (rc < 0)
			goto out;
		x->have = rc == 1;
		x->ev = st_find(&sc, &x->ent);
		x->rank = ev_rank(x->ev);
	}
	if (sc.ne > 1)
		qsort(sc.e, sc.ne, sizeof(*sc.e), st_entry_cmp);

	vg_obuf_printf(o, "{\"at\":%u,\"bin_len\":%u,\"data\":[", sc.at, bl);
	for (size_t i = 0; i < sc.ne; i++) {
		const struct st_entry *x = &sc.e[i];
		const struct st_ev *ev = x->ev;
		if (i)
			vg_obuf_putc(o, ',');
		vg_obuf_putc(o, '{');
		json_entity_fields(o, &x->ent, x->name);
		vg_obuf_puts(o, ",\"status\":\"");
		vg_obuf_puts(o, ev == NULL                       ? "normal"
		                : ev->kind == VG_EVENT_OUTAGE ? "outage"
		                                                : "unstable");
		vg_obuf_puts(o, "\",\"level\":");
		if (ev)
			vg_obuf_printf(o, "\"%s\"",
			               vg_event_level_name(ev->level));
		else
			vg_obuf_puts(o, "null");
		vg_obuf_puts(o, ",\"v4_units\":");
		if (x->have)
			vg_obuf_u64(o, x->sig.v4_units);
		else
			vg_obuf_puts(o, "null");
		vg_obuf_puts(o, ",\"baseline\":");
		json_num(o, x->have ? x->sig.baseline : NAN);
		vg_obuf_puts(o, ",\"share\":");
		json_num(o, x->have && isfinite(x->sig.baseline) &&
		                    x->sig.baseline > 0
		                ? (double)x->sig.v4_units / x->sig.baseline
		                : NAN);
		vg_obuf_puts(o, ",\"severity\":");
		json_num(o, ev ? ev->severity : NAN);
		vg_obuf_puts(o, ",\"event_id\":");
		if (ev)
			vg_obuf_u64(o, ev->id);
		else
			vg_obuf_puts(o, "null");
		vg_obuf_putc(o, '}');
	}
	vg_obuf_puts(o, "]}\n");
	ret = 200;
out:
	free(sc.ev);
	free(sc.e);
	return ret;
}

int
api_handle(struct api_ctx *c, const struct api_req *r, struct vg_obuf *o,
           char *err, size_t n)
{
	int rc;
	err[0] = '\0';
	switch (r->ep) {
	case EP_ENTITIES:
		rc = do_entities(c, r, o);
		break;
	case EP_SIGNALS:
		rc = do_signals(c, r, o, err, n);
		break;
	case EP_EVENTS:
		rc = do_events(c, r, o);
		break;
	case EP_EVENT:
		rc = do_event(c, r, o);
		break;
	case EP_STATUS:
		rc = do_status(c, r, o);
		break;
	default:
		snprintf(err, n, "not an API endpoint");
		return 500;
	}
	if (rc > 0 && o->error) {
		snprintf(err, n, "out of memory");
		return 500;
	}
	if (rc >= 0)
		return rc;
	if (err[0] == '\0')
		snprintf(err, n, "database: %s", store_error(c->s));
	return store_timed_out(c->s) ? 503 : 500;
}
