/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The geo database proper: the raw ranges the loaders append, the resolver
 * that turns them into one sorted, gap-free interval array per key space
 * (IPv4 addresses, top 64 bits of IPv6 addresses, AS numbers), and the
 * lookups on those arrays.  Resolution is a sweep over range endpoints with
 * a heap of the ranges covering the current point; the best of them (the
 * smallest, then the latest loaded) gives the country.  Lookups are a
 * branch-light binary search over the start keys only, which stay in their
 * own array so a search touches as few cache lines as possible.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_impl.h"

/* ---- country codes ------------------------------------------------------ */

geo_cc
geo_cc_from_mem(const char *s, size_t len)
{
	if (len != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return 0;
	if (s[0] == 'Z' && s[1] == 'Z')
		return 0;
	return GEO_CC(s[0], s[1]);
}

geo_cc
geo_cc_from_str(const char *s)
{
	if (!s)
		return 0;
	return geo_cc_from_mem(s, strnlen(s, 3));
}

void
geo_cc_str(geo_cc cc, char out[3])
{
	if (!cc) {
		out[0] = '\0';
		return;
	}
	out[0] = (char)(cc >> 8);
	out[1] = (char)(cc & 0xff);
	out[2] = '\0';
}

/* ---- lifecycle ---------------------------------------------------------- */

struct geo_db *
geo_db_new(void)
{
	return calloc(1, sizeof(struct geo_db));
}

static void
map_free(struct geo_map *m)
{
	free(m->start);
	free(m->cc);
	m->start = NULL;
	m->cc = NULL;
	m->n = 0;
}

void
geo_db_free(struct geo_db *db)
{
	if (!db)
		return;
	for (int s = 0; s < GEO_NSPACE; s++) {
		free(db->raw[s].v);
		map_free(&db->map[s]);
	}
	free(db->names);
	free(db->pool);
	free(db);
}

void
geo_load_begin(struct geo_db *db, struct geo_mark *m)
{
	for (int s = 0; s < GEO_NSPACE; s++)
		m->raw_n[s] = db->raw[s].n;
	m->n_names = db->n_names;
	m->pool_len = db->pool_len;
	m->load = db->load;
	m->seq = db->seq;
	m->warnings = db->warnings;
	m->had_warning = db->first_warning[0] != '\0';
	db->load++;
}

void
geo_mark_rollback(struct geo_db *db, const struct geo_mark *m)
{
	for (int s = 0; s < GEO_NSPACE; s++)
		db->raw[s].n = m->raw_n[s];
	db->n_names = m->n_names;
	db->pool_len = m->pool_len;
	db->load = m->load;
	db->seq = m->seq;
	db->warnings = m->warnings;
	if (!m->had_warning)
		db->first_warning[0] = '\0';
}

/* ---- loaders' helpers --------------------------------------------------- */

int
geo_add_range(struct geo_db *db, enum geo_space space, uint64_t first,
              uint64_t last, geo_cc cc)
{
	struct geo_rawvec *rv = &db->raw[space];

	if (rv->n == rv->cap) {
		size_t ncap = rv->cap ? rv->cap * 2 : 1024;
		struct geo_raw *nv = realloc(rv->v, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		rv->v = nv;
		rv->cap = ncap;
	}
	rv->v[rv->n++] = (struct geo_raw){
	    .first = first, .last = last, .load = db->load, .cc = cc};
	return 0;
}

int
geo_add_name(struct geo_db *db, uint32_t asn, const char *name, size_t len)
{
	if (db->n_names == db->cap_names) {
		size_t ncap = db->cap_names ? db->cap_names * 2 : 1024;
		struct geo_asname *nv = realloc(db->names, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		db->names = nv;
		db->cap_names = ncap;
	}
	if (len + 1 > UINT32_MAX - db->pool_len)
		return -1;
	if (db->pool_len + len + 1 > db->pool_cap) {
		size_t ncap = db->pool_cap ? db->pool_cap : 65536;
		while (ncap < db->pool_len + len + 1)
			ncap *= 2;
		char *np = realloc(db->pool, ncap);
		if (!np)
			return -1;
		db->pool = np;
		db->pool_cap = ncap;
	}
	if (len)
		memcpy(db->pool + db->pool_len, name, len);
	db->pool[db->pool_len + len] = '\0';
	db->names[db->n_names++] = (struct geo_asname){
	    .asn = asn, .seq = db->seq++, .off = (uint32_t)db->pool_len};
	db->pool_len += len + 1;
	return 0;
}

void
geo_warn(struct geo_db *db, const char *path, unsigned long line,
         const char *fmt, ...)
{
	if (db->warnings++ == 0) {
		int n = snprintf(db->first_warning, sizeof(db->first_warning),
		                 "%s:%lu: ", path, line);
		if (n < 0 || (size_t)n >= sizeof(db->first_warning))
			return;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(db->first_warning + n,
		          sizeof(db->first_warning) - (size_t)n, fmt, ap);
		va_end(ap);
	}
}

void
geo_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

unsigned long
geo_db_warnings(const struct geo_db *db, const char **first)
{
	if (first)
		*first = db->first_warning[0] ? db->first_warning : NULL;
	return db->warnings;
}

/* ---- resolution --------------------------------------------------------- */

/* A range as the sweep sees it.  Of the ranges covering a point, the one
 * with the smallest SIZE wins, and of equal sizes the one with the largest
 * RANK. */
struct item {
	uint64_t first, last;
	uint64_t size;
	uint32_t rank;
	geo_cc cc;
};

static inline int
item_better(const struct item *a, const struct item *b)
{
	if (a->size != b->size)
		return a->size < b->size;
	return a->rank > b->rank;
}

struct sweep_ev {
	uint64_t pos;
	uint32_t idx;
	uint32_t is_end;
};

static int
ev_cmp(const void *a, const void *b)
{
	const struct sweep_ev *x = a, *y = b;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return 0;
}

struct heap {
	uint32_t *v;
	size_t n;
	const struct item *it;
};

static void
heap_push(struct heap *h, uint32_t idx)
{
	size_t i = h->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!item_better(&h->it[idx], &h->it[h->v[parent]]))
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = idx;
}

static void
heap_pop(struct heap *h)
{
	uint32_t last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n &&
		    item_better(&h->it[h->v[c + 1]], &h->it[h->v[c]]))
			c++;
		if (!item_better(&h->it[h->v[c]], &h->it[last]))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
}

typedef void (*sweep_fn)(void *ctx, uint64_t pos, const struct item *top);

/* Sweep over the N items IT in key order: at every point where an item
 * starts or ends, call FN with that point and the winning item from there
 * on (NULL if none covers it), in increasing order of points.  The winner
 * stays the same up to the next call.  0 / -1 (ENOMEM). */
static int
sweep(const struct item *it, size_t n, sweep_fn fn, void *ctx)
{
	size_t nev = 0;
	struct sweep_ev *ev;
	unsigned char *dead;
	struct heap h = {.it = it};

	if (n >= UINT32_MAX)
		return -1;
	ev = malloc((2 * n + 1) * sizeof(*ev));
	dead = calloc(n + 1, 1);
	h.v = malloc((n + 1) * sizeof(*h.v));
	if (!ev || !dead || !h.v) {
		free(ev);
		free(dead);
		free(h.v);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		ev[nev++] = (struct sweep_ev){it[i].first, (uint32_t)i, 0};
		/* a range that reaches the end of the key space never ends */
		if (it[i].last != UINT64_MAX)
			ev[nev++] = (struct sweep_ev){it[i].last + 1,
			                              (uint32_t)i, 1};
	}
	qsort(ev, nev, sizeof(*ev), ev_cmp);
	for (size_t i = 0; i < nev;) {
		uint64_t pos = ev[i].pos;
		for (; i < nev && ev[i].pos == pos; i++) {
			if (ev[i].is_end)
				dead[ev[i].idx] = 1;
			else
				heap_push(&h, ev[i].idx);
		}
		while (h.n && dead[h.v[0]])
			heap_pop(&h);
		fn(ctx, pos, h.n ? &it[h.v[0]] : NULL);
	}
	free(ev);
	free(dead);
	free(h.v);
	return 0;
}

/* Stage 1 output: the pieces of one load's ranges that stay visible when
 * later lines override earlier ones, each carrying the size of the range
 * it came from and the load number as its rank. */
struct pieces {
	struct item *v; /* room for every piece, sized by the caller */
	size_t n;
	uint32_t load;
	const struct item *open;
	uint64_t start;
};

static void
pieces_add(struct pieces *p, uint64_t last)
{
	const struct item *o = p->open;
	p->v[p->n++] = (struct item){.first = p->start,
	                             .last = last,
	                             .size = o->last - o->first,
	                             .rank = p->load,
	                             .cc = o->cc};
}

static void
pieces_fn(void *ctx, uint64_t pos, const struct item *top)
{
	struct pieces *p = ctx;
	if (top == p->open)
		return;
	if (p->open)
		pieces_add(p, pos - 1);
	p->open = top;
	p->start = pos;
}

/* Stage 2 output: the map itself (arrays sized by the caller), kept
 * canonical: one entry per position, no two neighbours of one country. */
static void
map_fn(void *ctx, uint64_t pos, const struct item *top)
{
	struct geo_map *m = ctx;
	geo_cc cc = top ? top->cc : 0;

	if (m->n && m->start[m->n - 1] == pos) {
		m->cc[m->n - 1] = cc;
		if (m->n >= 2 && m->cc[m->n - 2] == cc)
			m->n--;
		return;
	}
	if (m->n && m->cc[m->n - 1] == cc)
		return;
	m->start[m->n] = pos;
	m->cc[m->n] = cc;
	m->n++;
}

/*
 * Build map OUT from the ranges in RV, in two stages.  Within one load
 * (one file) a later range overrides an earlier one where they overlap:
 * that is how MaxMind DB writers build their trees from range lists, and
 * @ip-location-db's CSVs, which do overlap, match their MMDB twins only
 * when read that way.  Between loads, the pieces that survive compete by
 * the size of the range they came from (smallest wins), then by load
 * order (latest wins).  One sweep with a single ordering could not do
 * both: mixing "later line" and "smaller range" is not a total order.
 * 0 / -1 (ENOMEM).
 */
static int
resolve(const struct geo_rawvec *rv, struct geo_map *out)
{
	size_t n = rv->n;
	struct item *it = NULL;
	struct pieces pc = {0};
	struct geo_map m = {0};

	/* a range gives one piece, plus one more for each range it ends
	 * inside of: at most 2n in all */
	it = malloc((n + 1) * sizeof(*it));
	pc.v = malloc((2 * n + 1) * sizeof(*pc.v));
	if (!it || !pc.v)
		goto fail;

	/* ranges of one load are contiguous: loads only append */
	for (size_t b = 0; b < n;) {
		size_t e = b;
		while (e < n && rv->v[e].load == rv->v[b].load)
			e++;
		for (size_t i = b; i < e; i++)
			it[i - b] = (struct item){.first = rv->v[i].first,
			                          .last = rv->v[i].last,
			                          .size = 0,
			                          .rank = (uint32_t)(i - b),
			                          .cc = rv->v[i].cc};
		pc.load = rv->v[b].load;
		pc.open = NULL;
		if (sweep(it, e - b, pieces_fn, &pc) < 0)
			goto fail;
		if (pc.open)
			pieces_add(&pc, pc.open->last);
		b = e;
	}
	free(it);
	it = NULL;

	/* at most two change points per piece, plus the one at 0 */
	m.start = malloc((2 * pc.n + 1) * sizeof(*m.start));
	m.cc = malloc((2 * pc.n + 1) * sizeof(*m.cc));
	if (!m.start || !m.cc)
		goto fail;
	map_fn(&m, 0, NULL);
	if (sweep(pc.v, pc.n, map_fn, &m) < 0)
		goto fail;
	free(pc.v);

	/* shrink to fit; failure to shrink is harmless */
	uint64_t *ns = realloc(m.start, m.n * sizeof(*ns));
	if (ns)
		m.start = ns;
	geo_cc *nc = realloc(m.cc, m.n * sizeof(*nc));
	if (nc)
		m.cc = nc;
	*out = m;
	return 0;
fail:
	free(it);
	free(pc.v);
	free(m.start);
	free(m.cc);
	return -1;
}

static int
name_cmp(const void *a, const void *b)
{
	const struct geo_asname *x = a, *y = b;
	if (x->asn != y->asn)
		return x->asn < y->asn ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

/* Sort the names by AS, keep the last loaded name of each AS, and copy the
 * kept strings into a pool of exactly the right size. */
static int
finish_names(struct geo_db *db)
{
	size_t k = 0, plen = 0;
	char *pool;

	if (!db->n_names)
		return 0;
	qsort(db->names, db->n_names, sizeof(*db->names), name_cmp);
	for (size_t i = 0; i < db->n_names; i++) {
		if (i + 1 < db->n_names &&
		    db->names[i + 1].asn == db->names[i].asn)
			continue;
		db->names[k++] = db->names[i];
		plen += strlen(db->pool + db->names[i].off) + 1;
	}
	pool = malloc(plen);
	if (!pool)
		return -1;
	plen = 0;
	for (size_t i = 0; i < k; i++) {
		size_t len = strlen(db->pool + db->names[i].off) + 1;
		memcpy(pool + plen, db->pool + db->names[i].off, len);
		db->names[i].off = (uint32_t)plen;
		plen += len;
	}
	free(db->pool);
	db->pool = pool;
	db->pool_len = db->pool_cap = plen;
	db->n_names = k;
	struct geo_asname *nn = realloc(db->names, k * sizeof(*nn));
	if (nn) {
		db->names = nn;
		db->cap_names = k;
	}
	return 0;
}

int
geo_db_finish(struct geo_db *db)
{
	struct geo_map maps[GEO_NSPACE] = {{0}};

	if (db->finished)
		return 0;
	for (int s = 0; s < GEO_NSPACE; s++) {
		if (resolve(&db->raw[s], &maps[s]) < 0) {
			for (int t = 0; t < s; t++)
				map_free(&maps[t]);
			return -1;
		}
	}
	if (finish_names(db) < 0) {
		for (int t = 0; t < GEO_NSPACE; t++)
			map_free(&maps[t]);
		return -1;
	}
	for (int s = 0; s < GEO_NSPACE; s++) {
		db->map[s] = maps[s];
		free(db->raw[s].v);
		db->raw[s] = (struct geo_rawvec){0};
	}
	db->finished = 1;
	return 0;
}

/* ---- lookups ------------------------------------------------------------ */

/* Index of the interval containing KEY (M->n >= 1, start[0] == 0). */
static inline size_t
map_find(const struct geo_map *m, uint64_t key)
{
	const uint64_t *s = m->start;
	size_t lo = 0, n = m->n;

	while (n > 1) {
		size_t half = n / 2;
		lo = s[lo + half] <= key ? lo + half : lo;
		n -= half;
	}
	return lo;
}

static inline uint32_t
load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

uint64_t
geo_ip6_key(const uint8_t *a)
{
	return (uint64_t)load_be32(a) << 32 | load_be32(a + 4);
}

geo_cc
geo_lookup(const struct geo_db *db, const struct vg_addr *a)
{
	const struct geo_map *m;
	uint64_t key;

	if (a->afi == VG_AFI_IP4) {
		m = &db->map[GEO_SPACE_IP4];
		key = load_be32(a->addr);
	} else if (a->afi == VG_AFI_IP6) {
		m = &db->map[GEO_SPACE_IP6];
		key = geo_ip6_key(a->addr);
	} else {
		return 0;
	}
	if (!m->n)
		return 0;
	return m->cc[map_find(m, key)];
}

int
geo_prefix_units(const struct geo_db *db, const struct vg_prefix *p,
                 geo_units_fn fn, void *ctx)
{
	const struct geo_map *m;
	unsigned shift, ubits;
	uint64_t key;

	if (p->afi == VG_AFI_IP4 && p->len <= 32) {
		m = &db->map[GEO_SPACE_IP4];
		shift = 32 - GEO_UNIT_BITS_IP4;
		ubits = GEO_UNIT_BITS_IP4;
		key = load_be32(p->addr);
		if (p->len < 32)
			key &= ~(((uint64_t)1 << (32 - p->len)) - 1) &
			       0xffffffffu;
	} else if (p->afi == VG_AFI_IP6 && p->len <= 128) {
		m = &db->map[GEO_SPACE_IP6];
		shift = 64 - GEO_UNIT_BITS_IP6;
		ubits = GEO_UNIT_BITS_IP6;
		key = geo_ip6_key(p->addr);
		if (p->len == 0)
			key = 0;
		else if (p->len < 64)
			key &= ~(((uint64_t)1 << (64 - p->len)) - 1);
	} else {
		return -1;
	}

	uint64_t cur = key >> shift;
	uint64_t n = p->len >= ubits ? 1 : (uint64_t)1 << (ubits - p->len);
	uint64_t u_last = cur + n - 1;

	if (!m->n) {
		fn(ctx, 0, cur, n);
		return 0;
	}

	/* Runs of one country can be cut by an interval smaller than a unit
	 * that no unit starts in; hold each run back until the next one
	 * shows a different country. */
	geo_cc run_cc = 0;
	uint64_t run_first = cur, run_n = 0;
	size_t i = map_find(m, cur << shift);

	for (;;) {
		uint64_t end_u = u_last;
		if (i + 1 < m->n) {
			/* last unit whose first address is in interval i */
			uint64_t e = (m->start[i + 1] - 1) >> shift;
			if (e < end_u)
				end_u = e;
		}
		geo_cc cc = m->cc[i];
		if (run_n && cc != run_cc) {
			fn(ctx, run_cc, run_first, run_n);
			run_n = 0;
		}
		if (!run_n) {
			run_cc = cc;
			run_first = cur;
		}
		run_n += end_u - cur + 1;
		if (end_u == u_last)
			break;
		cur = end_u + 1;
		uint64_t k = cur << shift;
		i++;
		while (i + 1 < m->n && m->start[i + 1] <= k)
			i++;
	}
	fn(ctx, run_cc, run_first, run_n);
	return 0;
}

geo_cc
geo_asn_country(const struct geo_db *db, uint32_t asn)
{
	const struct geo_map *m = &db->map[GEO_SPACE_ASN];
	if (!m->n)
		return 0;
	return m->cc[map_find(m, asn)];
}

const char *
geo_asn_name(const struct geo_db *db, uint32_t asn)
{
	size_t lo = 0, hi;

	if (!db->finished)
		return NULL;
	hi = db->n_names;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (db->names[mid].asn < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < db->n_names && db->names[lo].asn == asn)
		return db->pool + db->names[lo].off;
	return NULL;
}

size_t
geo_db_memory(const struct geo_db *db)
{
	size_t total = sizeof(*db);

	for (int s = 0; s < GEO_NSPACE; s++) {
		total += db->raw[s].cap * sizeof(struct geo_raw);
		total += db->map[s].n * (sizeof(uint64_t) + sizeof(geo_cc));
	}
	total += db->cap_names * sizeof(struct geo_asname);
	total += db->pool_cap;
	return total;
}
