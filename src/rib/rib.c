/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Routing state (see include/vigil/rib.h): the prefix table, per-prefix
 * route arrays, interned AS paths, peers, full-feed and visibility.
 *
 * Memory per (peer, prefix) route: one struct rib_route (8 bytes) in the
 * prefix's array plus array slack; per prefix a struct rib_pfx and a hash
 * slot; per distinct path its ASNs once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rib/rib_attrs.h"
#include "vigil/pool.h"
#include "vigil/vec.h"
#include "vigil/rib.h"

#define PATH_NONE 0u

struct rib_path {
	uint32_t hash;
	uint32_t serial; /* distinguishes reuses of one id */
	uint32_t refs;
	uint32_t origin;
	uint16_t nasn, nseg;
	uint32_t *data; /* nasn ASNs, then nseg words (type << 24 | len) */
};

struct rib {
	struct rib_opts o;

	struct rib_pfx *pfx;
	uint32_t npfx, cap_pfx;
	/* open addressing: hash << 32 | id + 1, 0 empty (the hash in the
	 * slot spares a probe the visit to the prefix) */
	uint64_t *pfx_slots;
	uint32_t pfx_mask;

	struct rib_path *paths; /* index 0 unused */
	uint32_t npaths, cap_paths;
	uint32_t *path_free;    /* free path ids */
	uint32_t nfree, cap_free;
	/* open addressing: hash << 32 | id, 0 empty (the hash in the slot
	 * spares a probe the visit to the path) */
	uint64_t *path_slots;
	uint32_t path_mask;
	uint32_t live_paths;
	uint32_t next_serial;
	uint32_t *garbage;      /* paths at zero refs, freed later */
	uint32_t ngarbage, cap_garbage;

	struct rib_peer *peers;
	uint32_t npeers, cap_peers;
	uint32_t *peer_slots;
	uint32_t peer_mask;
	uint32_t nasns;         /* distinct peer ASNs */
	uint32_t *asn_of_idx;
	uint32_t *asn_stamp;
	uint32_t stamp;
	unsigned full_asns[3];  /* by AFI */
	uint64_t full_sig[3];   /* hash of the full-feed up ASN set */

	uint32_t *dirty;
	uint32_t ndirty, cap_dirty;

	/* collectors, and per collector and prefix the times of the last
	 * withdrawal and announcement: a flap is a withdrawal and an
	 * announcement of one prefix at one collector within the window, so
	 * that collectors replayed in separate processes see the same flaps
	 * as one process does (docs/partials.md) */
	char (*colls)[32];
	uint32_t ncolls, cap_colls;
	struct rib_fts {
		uint32_t wd, ann;
	} **fts;
	uint32_t *cap_fts, cap_fts_arr;

	/* one-entry cache: the last element's attributes -> path */
	const void *cache_attrs;
	uint32_t cache_gen, cache_path;
	/* the last prefix looked up (a RIB record's entries share it) */
	uint32_t last_pfx;
	uint64_t routes;
	/* memory kept as it changes, so rib_stats is O(1) (it is read for
	 * the metrics snapshot every bin) */
	uint64_t bytes_routes; /* route arrays' capacity */
	uint64_t bytes_paths;  /* interned paths' ASN data */
	struct vg_pool path_pool; /* the paths' data */
	/* per-route attribute sets, kept only when asked (rib_attrs.c) */
	struct rib_attrs *attrs;
	/* told of each freed path id */
	void (*on_free)(void *ctx, uint32_t path);
	void *on_free_ctx;
};

void
rib_opts_default(struct rib_opts *o)
{
	o->full_v4 = 400000;
	o->full_v6 = 10000;
	o->visible_ratio = 0.5;
	o->stale_grace = 900;
}



/* ---- prefixes ---------------------------------------------------------- */

static uint32_t
pfx_hash(const struct vg_prefix *p)
{
	uint64_t a, b;
	memcpy(&a, p->addr, 8);
	memcpy(&b, p->addr + 8, 8);
	return (uint32_t)vg_mix64(a ^ vg_mix64(b ^ ((uint64_t)p->afi << 8 | p->len)));
}

static int
pfx_eq(const struct vg_prefix *a, const struct vg_prefix *b)
{
	return a->afi == b->afi && a->len == b->len &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

static int
pfx_rehash(struct rib *r, uint32_t nslots)
{
	uint64_t *ns = calloc(nslots, sizeof(*ns));
	if (ns == NULL)
		return -1;
	vg_advise_huge(ns, nslots * sizeof(*ns));
	for (uint32_t i = 0; i < r->npfx; i++) {
		uint32_t hash = pfx_hash(&r->pfx[i].p);
		uint32_t h = hash & (nslots - 1);
		while (ns[h])
			h = (h + 1) & (nslots - 1);
		ns[h] = (uint64_t)hash << 32 | (i + 1);
	}
	free(r->pfx_slots);
	r->pfx_slots = ns;
	r->pfx_mask = nslots - 1;
	return 0;
}

/* Find prefix P, whose pfx_hash is HASH; create it if CREATE.  Returns
 * the id or UINT32_MAX. */
static uint32_t
pfx_find_h(struct rib *r, const struct vg_prefix *p, uint32_t hash, int create)
{
	if (r->last_pfx < r->npfx && pfx_eq(&r->pfx[r->last_pfx].p, p))
		return r->last_pfx;
	uint32_t h = hash & r->pfx_mask;
	for (;;) {
		uint64_t v = r->pfx_slots[h];
		if (v == 0)
			break;
		uint32_t s = (uint32_t)v;
		if ((uint32_t)(v >> 32) == hash && pfx_eq(&r->pfx[s - 1].p, p))
			return r->last_pfx = s - 1;
		h = (h + 1) & r->pfx_mask;
	}
	if (!create)
		return UINT32_MAX;
	if ((r->npfx + 1) * 10u > (r->pfx_mask + 1) * 7u) {
		if (pfx_rehash(r, (r->pfx_mask + 1) * 2) < 0)
			return UINT32_MAX;
		return pfx_find_h(r, p, hash, create);
	}
	if (vg_grow((void **)&r->pfx, &r->cap_pfx, r->npfx + 1, sizeof(*r->pfx)) < 0)
		return UINT32_MAX;
	struct rib_pfx *x = &r->pfx[r->npfx];
	memset(x, 0, sizeof(*x));
	x->p = *p;
	x->p.safi = VG_SAFI_UNICAST;
	r->pfx_slots[h] = (uint64_t)hash << 32 | (r->npfx + 1);
	r->last_pfx = r->npfx;
	return r->npfx++;
}

/* Find prefix P; create it if CREATE.  Returns the id or UINT32_MAX. */
static uint32_t
pfx_find(struct rib *r, const struct vg_prefix *p, int create)
{
	if (r->last_pfx < r->npfx && pfx_eq(&r->pfx[r->last_pfx].p, p))
		return r->last_pfx;
	return pfx_find_h(r, p, pfx_hash(p), create);
}

static void
mark_dirty(struct rib *r, uint32_t id)
{
	struct rib_pfx *x = &r->pfx[id];
	if (x->flags & RIB_PFX_DIRTY)
		return;
	if (vg_grow((void **)&r->dirty, &r->cap_dirty, r->ndirty + 1,
	         sizeof(*r->dirty)) < 0) {
		/* not listed: recomputed on the next sweep */
		x->flags |= RIB_PFX_UNLISTED;
		return;
	}
	x->flags |= RIB_PFX_DIRTY;
	r->dirty[r->ndirty++] = id;
}

/* ---- paths ------------------------------------------------------------- */

/* Bytes of a path's data: NASN ASNs, NSEG segment words and one more. */
static size_t
path_bytes(uint32_t nasn, uint32_t nseg)
{
	return (nasn + nseg + 1) * sizeof(uint32_t);
}

/* What a path's data costs, for bytes_paths: as the pool rounds it (a
 * large one: malloc's block, with its header). */
static uint64_t
path_cost(uint32_t nasn, uint32_t nseg)
{
	size_t b = path_bytes(nasn, nseg);
	return b > VG_POOL_MAX ? b + 16 : (b + 7) / 8 * 8;
}

static uint32_t
path_hash(const struct bgp_path *bp)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ bp->nasn;
	for (uint32_t i = 0; i < bp->nasn; i++)
		h = vg_mix64(h ^ bp->asn[i]);
	for (uint32_t s = 0; s < bp->nseg; s++)
		h = vg_mix64(h ^ ((uint64_t)bp->seg_type[s] << 32 | bp->seg_len[s]));
	return (uint32_t)h | 1u;
}

static int
path_eq(const struct rib_path *rp, const struct bgp_path *bp)
{
	if (rp->nasn != bp->nasn || rp->nseg != bp->nseg)
		return 0;
	if (memcmp(rp->data, bp->asn, bp->nasn * sizeof(uint32_t)) != 0)
		return 0;
	for (uint32_t s = 0; s < bp->nseg; s++)
		if (rp->data[bp->nasn + s] !=
		    ((uint32_t)bp->seg_type[s] << 24 | bp->seg_len[s]))
			return 0;
	return 1;
}

static int
path_rehash(struct rib *r, uint32_t nslots)
{
	uint64_t *ns = calloc(nslots, sizeof(*ns));
	if (ns == NULL)
		return -1;
	vg_advise_huge(ns, nslots * sizeof(*ns));
	for (uint32_t i = 1; i < r->npaths; i++) {
		if (r->paths[i].data == NULL)
			continue;
		uint32_t h = r->paths[i].hash & (nslots - 1);
		while (ns[h])
			h = (h + 1) & (nslots - 1);
		ns[h] = (uint64_t)r->paths[i].hash << 32 | i;
	}
	free(r->path_slots);
	r->path_slots = ns;
	r->path_mask = nslots - 1;
	return 0;
}

/* The id of path BP, whose path_hash is HASH (created with zero
 * references if new), 0 on failure. */
static uint32_t
path_intern_h(struct rib *r, const struct bgp_path *bp, uint32_t hash)
{
	uint32_t h = hash & r->path_mask;
	uint32_t id;

	for (;;) {
		uint64_t v = r->path_slots[h];
		if (v == 0)
			break;
		uint32_t s = (uint32_t)v;
		if ((uint32_t)(v >> 32) == hash && path_eq(&r->paths[s], bp))
			return s;
		h = (h + 1) & r->path_mask;
	}
	if ((r->live_paths + 1) * 10u > (r->path_mask + 1) * 6u) {
		if (path_rehash(r, (r->path_mask + 1) * 2) < 0)
			return PATH_NONE;
		return path_intern_h(r, bp, hash);
	}
	if (r->nfree) {
		id = r->path_free[--r->nfree];
	} else {
		if (vg_grow((void **)&r->paths, &r->cap_paths, r->npaths + 1,
		         sizeof(*r->paths)) < 0)
			return PATH_NONE;
		id = r->npaths++;
	}
	struct rib_path *rp = &r->paths[id];
	rp->data = vg_pool_alloc(&r->path_pool, path_bytes(bp->nasn, bp->nseg));
	if (rp->data == NULL)
		return PATH_NONE;
	memcpy(rp->data, bp->asn, bp->nasn * sizeof(uint32_t));
	for (uint32_t s = 0; s < bp->nseg; s++)
		rp->data[bp->nasn + s] =
		    (uint32_t)bp->seg_type[s] << 24 | bp->seg_len[s];
	rp->hash = hash;
	rp->serial = ++r->next_serial ? r->next_serial : ++r->next_serial;
	rp->refs = 0;
	rp->nasn = (uint16_t)bp->nasn;
	rp->nseg = (uint16_t)bp->nseg;
	rp->origin = bgp_path_origin(bp);
	r->bytes_paths += path_cost(bp->nasn, bp->nseg);
	r->path_slots[h] = (uint64_t)hash << 32 | id;
	r->live_paths++;
	return id;
}

static uint32_t
path_intern(struct rib *r, const struct bgp_path *bp)
{
	return path_intern_h(r, bp, path_hash(bp));
}

static void
path_unref(struct rib *r, uint32_t id)
{
	if (id == PATH_NONE)
		return;
	if (--r->paths[id].refs == 0 &&
	    vg_grow((void **)&r->garbage, &r->cap_garbage, r->ngarbage + 1,
	         sizeof(uint32_t)) == 0)
		r->garbage[r->ngarbage++] = id;
}

/* Free paths that are still unreferenced (called between elements, when no
 * caller holds a path id from a change report). */
static void
path_collect(struct rib *r)
{
	for (uint32_t i = 0; i < r->ngarbage; i++) {
		uint32_t id = r->garbage[i];
		struct rib_path *rp = &r->paths[id];
		if (rp->refs != 0 || rp->data == NULL)
			continue;
		/* remove from the hash: find its slot, then re-place the
		 * cluster after it (linear probing deletion) */
		uint32_t h = rp->hash & r->path_mask;
		while ((uint32_t)r->path_slots[h] != id)
			h = (h + 1) & r->path_mask;
		r->path_slots[h] = 0;
		for (uint32_t j = (h + 1) & r->path_mask; r->path_slots[j];
		     j = (j + 1) & r->path_mask) {
			uint64_t v = r->path_slots[j];
			r->path_slots[j] = 0;
			uint32_t k = (uint32_t)(v >> 32) & r->path_mask;
			while (r->path_slots[k])
				k = (k + 1) & r->path_mask;
			r->path_slots[k] = v;
		}
		r->bytes_paths -= path_cost(rp->nasn, rp->nseg);
		vg_pool_put(&r->path_pool, rp->data,
		            path_bytes(rp->nasn, rp->nseg));
		rp->data = NULL;
		r->live_paths--;
		if (r->on_free)
			r->on_free(r->on_free_ctx, id);
		if (vg_grow((void **)&r->path_free, &r->cap_free, r->nfree + 1,
		         sizeof(uint32_t)) == 0)
			r->path_free[r->nfree++] = id;
	}
	r->ngarbage = 0;
	r->cache_attrs = NULL;
}

void
rib_path_ref(struct rib *r, uint32_t path)
{
	if (path != PATH_NONE && path < r->npaths && r->paths[path].data)
		r->paths[path].refs++;
}

void
rib_path_unref(struct rib *r, uint32_t path)
{
	if (path != PATH_NONE && path < r->npaths && r->paths[path].data)
		path_unref(r, path);
}

uint32_t
rib_path_capacity(const struct rib *r)
{
	return r->npaths;
}

uint32_t
rib_path_serial(const struct rib *r, uint32_t path)
{
	return path && path < r->npaths && r->paths[path].data
	           ? r->paths[path].serial
	           : 0;
}

void
rib_on_path_free(struct rib *r, void (*fn)(void *ctx, uint32_t path),
                 void *ctx)
{
	r->on_free = fn;
	r->on_free_ctx = ctx;
}

uint32_t
rib_path_origin(const struct rib *r, uint32_t path)
{
	return path && path < r->npaths ? r->paths[path].origin : 0;
}

const uint32_t *
rib_path_asns(const struct rib *r, uint32_t path, uint32_t *n)
{
	if (path == PATH_NONE || path >= r->npaths || !r->paths[path].data) {
		*n = 0;
		return NULL;
	}
	*n = r->paths[path].nasn;
	return r->paths[path].data;
}

size_t
rib_path_text(const struct rib *r, uint32_t path, char *buf, size_t len)
{
	struct bgp_path bp;
	const struct rib_path *rp;
	uint8_t types[256];
	uint32_t lens[256];

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (path == PATH_NONE || path >= r->npaths || !r->paths[path].data)
		return 0;
	rp = &r->paths[path];
	if (rp->nseg > 256)
		return 0;
	for (uint32_t s = 0; s < rp->nseg; s++) {
		types[s] = (uint8_t)(rp->data[rp->nasn + s] >> 24);
		lens[s] = rp->data[rp->nasn + s] & 0xffffff;
	}
	bp.asn = rp->data;
	bp.seg_type = types;
	bp.seg_len = lens;
	bp.nasn = rp->nasn;
	bp.nseg = rp->nseg;
	return bgp_path_fmt(&bp, buf, len);
}

/* ---- peers ------------------------------------------------------------- */

static uint32_t
peer_hash(const char *collector, const struct vg_addr *a, uint32_t asn)
{
	uint64_t x, y, h = asn;
	memcpy(&x, a->addr, 8);
	memcpy(&y, a->addr + 8, 8);
	for (const char *c = collector; *c; c++)
		h = h * 31 + (unsigned char)*c;
	return (uint32_t)vg_mix64(h ^ vg_mix64(x ^ vg_mix64(y)));
}

int
rib_peer_id(struct rib *r, const char *collector_in,
            const struct vg_addr *addr, uint32_t asn)
{
	/* collector names are kept to 31 bytes: compare what is kept */
	char collector[sizeof(((struct rib_peer *)0)->collector)];
	snprintf(collector, sizeof(collector), "%s", collector_in);
	uint32_t h = peer_hash(collector, addr, asn) & r->peer_mask;
	for (;;) {
		uint32_t s = r->peer_slots[h];
		if (s == 0)
			break;
		struct rib_peer *p = &r->peers[s - 1];
		if (p->asn == asn && p->addr.afi == addr->afi &&
		    memcmp(p->addr.addr, addr->addr, 16) == 0 &&
		    strcmp(p->collector, collector) == 0)
			return (int)(s - 1);
		h = (h + 1) & r->peer_mask;
	}
	if (r->npeers >= 65535 || r->npeers * 2 >= r->peer_mask)
		return -1;
	if (vg_grow((void **)&r->peers, &r->cap_peers, r->npeers + 1,
	         sizeof(*r->peers)) < 0)
		return -1;
	struct rib_peer *p = &r->peers[r->npeers];
	memset(p, 0, sizeof(*p));
	snprintf(p->collector, sizeof(p->collector), "%s", collector);
	p->addr = *addr;
	p->asn = asn;
	p->up = 1; /* until a state change says otherwise */
	p->gen = 1;
	/* dense ASN index */
	uint32_t i;
	for (i = 0; i < r->nasns; i++)
		if (r->asn_of_idx[i] == asn)
			break;
	if (i == r->nasns)
		r->asn_of_idx[r->nasns++] = asn; /* sized for 65536 */
	p->asn_idx = (uint16_t)i;
	for (i = 0; i < r->ncolls; i++)
		if (strcmp(r->colls[i], p->collector) == 0)
			break;
	if (i == r->ncolls) {
		if (vg_grow((void **)&r->colls, &r->cap_colls, r->ncolls + 1,
		            sizeof(*r->colls)) < 0 ||
		    vg_grow((void **)&r->fts, &r->cap_fts_arr, r->ncolls + 1,
		            sizeof(*r->fts)) < 0)
			return -1;
		uint32_t *nc = realloc(r->cap_fts,
		                       r->cap_fts_arr * sizeof(uint32_t));
		if (nc == NULL)
			return -1;
		r->cap_fts = nc;
		r->cap_fts[r->ncolls] = 0;
		r->fts[r->ncolls] = NULL;
		memcpy(r->colls[r->ncolls], p->collector, sizeof(r->colls[0]));
		r->ncolls++;
	}
	p->coll = (uint16_t)i;
	r->peer_slots[h] = r->npeers + 1;
	return (int)r->npeers++;
}

const struct rib_peer *
rib_peer(const struct rib *r, unsigned id)
{
	return id < r->npeers ? &r->peers[id] : NULL;
}

unsigned
rib_npeers(const struct rib *r)
{
	return r->npeers;
}

/* ---- lifecycle --------------------------------------------------------- */

struct rib *
rib_new(const struct rib_opts *o)
{
	struct rib *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if (o)
		r->o = *o;
	else
		rib_opts_default(&r->o);
	r->pfx_mask = (1u << 16) - 1;
	r->path_mask = (1u << 14) - 1;
	r->peer_mask = 65536u * 2 - 1;
	r->pfx_slots = calloc(r->pfx_mask + 1, sizeof(uint64_t));
	r->path_slots = calloc(r->path_mask + 1, sizeof(uint64_t));
	r->peer_slots = calloc(r->peer_mask + 1, sizeof(uint32_t));
	r->asn_stamp = calloc(65536, sizeof(uint32_t));
	r->asn_of_idx = calloc(65536, sizeof(uint32_t));
	r->npaths = 1; /* id 0 = no path */
	if (vg_grow((void **)&r->paths, &r->cap_paths, 1, sizeof(*r->paths)) < 0 ||
	    !r->pfx_slots || !r->path_slots || !r->peer_slots ||
	    !r->asn_stamp || !r->asn_of_idx) {
		rib_free(r);
		return NULL;
	}
	memset(&r->paths[0], 0, sizeof(r->paths[0]));
	r->cap_peers = 0;
	return r;
}

void
rib_free(struct rib *r)
{
	if (r == NULL)
		return;
	for (uint32_t i = 0; i < r->npfx; i++)
		free(r->pfx[i].routes);
	/* (the pool's slabs at once; only large paths are malloc's) */
	for (uint32_t i = 1; i < r->npaths; i++)
		if (path_bytes(r->paths[i].nasn, r->paths[i].nseg) > VG_POOL_MAX)
			vg_pool_put(&r->path_pool, r->paths[i].data,
			            path_bytes(r->paths[i].nasn,
			                       r->paths[i].nseg));
	vg_pool_free_all(&r->path_pool);
	free(r->pfx);
	free(r->pfx_slots);
	free(r->paths);
	free(r->path_free);
	free(r->path_slots);
	free(r->garbage);
	free(r->peers);
	free(r->peer_slots);
	free(r->asn_of_idx);
	free(r->asn_stamp);
	free(r->dirty);
	for (uint32_t i = 0; i < r->ncolls; i++)
		free(r->fts[i]);
	free(r->fts);
	free(r->cap_fts);
	free(r->colls);
	rib_attrs_destroy(r->attrs);
	free(r);
}

/* ---- routes ------------------------------------------------------------ */

/* Index of PEER's route in X, or -(insertion point) - 1. */
static int
route_find(const struct rib_pfx *x, unsigned peer)
{
	int lo = 0, hi = x->nroutes;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (x->routes[mid].peer < peer)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < x->nroutes && x->routes[lo].peer == peer)
		return lo;
	return -lo - 1;
}

static void
count_route(struct rib *r, struct rib_peer *p, const struct rib_pfx *x,
            int delta)
{
	if (x->p.afi == VG_AFI_IP4)
		p->n_v4 += (uint32_t)delta;
	else
		p->n_v6 += (uint32_t)delta;
	r->routes += (uint64_t)(int64_t)delta;
}

static void
route_remove(struct rib *r, uint32_t id, int idx)
{
	struct rib_pfx *x = &r->pfx[id];
	struct rib_route rt = x->routes[idx];
	memmove(&x->routes[idx], &x->routes[idx + 1],
	        (x->nroutes - idx - 1) * sizeof(*x->routes));
	x->nroutes--;
	if (rt.gen == r->peers[rt.peer].gen)
		r->peers[rt.peer].n_cur--;
	count_route(r, &r->peers[rt.peer], x, -1);
	path_unref(r, rt.path);
	if (r->attrs)
		rib_attrs_route_gone(r->attrs, id, rt.peer);
	mark_dirty(r, id);
}

/* The flap times of prefix ID at the collector of peer P; NULL out of
 * memory. */
static struct rib_fts *
fts_of(struct rib *r, const struct rib_peer *p, uint32_t id)
{
	if (id >= r->cap_fts[p->coll] &&
	    vg_grow((void **)&r->fts[p->coll], &r->cap_fts[p->coll], id + 1,
	            sizeof(struct rib_fts)) < 0)
		return NULL;
	return &r->fts[p->coll][id];
}

int
rib_apply(struct rib *r, unsigned peer, const struct vg_elem *e,
          uint32_t flap_window, struct rib_change_info *out)
{
	return rib_apply_h(r, peer, e, flap_window, out, NULL);
}

int
rib_apply_h(struct rib *r, unsigned peer, const struct vg_elem *e,
            uint32_t flap_window, struct rib_change_info *out,
            const struct rib_hint *hint)
{
	struct rib_peer *p = &r->peers[peer];
	uint32_t t = e->time_sec;
	uint32_t id;
	struct rib_pfx *x;
	int idx;

	memset(out, 0, sizeof(*out));
	if (r->ngarbage > 4096)
		path_collect(r);
	if (e->type == VG_ELEM_WITHDRAW) {
		id = hint ? pfx_find_h(r, &e->prefix, hint->pfx_hash, 0)
		          : pfx_find(r, &e->prefix, 0);
		if (id == UINT32_MAX) {
			out->change = RIB_WD_NONE;
			out->pfx = UINT32_MAX;
			return 0;
		}
		x = &r->pfx[id];
		out->pfx = id;
		idx = route_find(x, peer);
		if (idx < 0) {
			out->change = RIB_WD_NONE;
			return 0;
		}
		out->old_path = x->routes[idx].path;
		out->change = RIB_WD;
		/* keep the old path alive until the next collection */
		route_remove(r, id, idx);
		struct rib_fts *ft = fts_of(r, p, id);
		if (ft == NULL)
			return -1;
		if (ft->ann && t - ft->ann < flap_window)
			out->flap = 1;
		ft->wd = t;
		x->last_wd = t;
		return 0;
	}

	/* announcement or RIB entry */
	uint32_t pid;
	if (e->attrs == r->cache_attrs && e->attrs_gen == r->cache_gen &&
	    r->cache_path) {
		pid = r->cache_path;
	} else {
		struct bgp_path empty = {0};
		const struct bgp_path *bp = e->path ? e->path : &empty;
		/* a peer's consecutive RIB entries mostly share a path */
		pid = p->last_path;
		if (pid == PATH_NONE || pid >= r->npaths ||
		    r->paths[pid].data == NULL || !path_eq(&r->paths[pid], bp)) {
			pid = hint && e->path ? path_intern_h(r, bp, hint->path_hash)
			                      : path_intern(r, bp);
			if (pid == PATH_NONE)
				return -1;
			p->last_path = pid;
		}
		r->cache_attrs = e->attrs;
		r->cache_gen = e->attrs_gen;
		r->cache_path = pid;
	}
	id = hint ? pfx_find_h(r, &e->prefix, hint->pfx_hash, 1)
	          : pfx_find(r, &e->prefix, 1);
	if (id == UINT32_MAX)
		return -1;
	x = &r->pfx[id];
	out->pfx = id;
	out->new_path = pid;
	idx = route_find(x, peer);
	if (idx >= 0) {
		struct rib_route *rt = &x->routes[idx];
		p->n_cur += rt->gen != p->gen;
		rt->gen = p->gen;
		if (rt->path == pid) {
			out->change = RIB_DUP;
			out->old_path = pid;
		} else {
			out->old_path = rt->path;
			out->change = RIB_PATH;
			r->paths[pid].refs++;
			path_unref(r, rt->path);
			rt->path = pid;
			mark_dirty(r, id);
		}
	} else {
		idx = -idx - 1;
		if (x->nroutes == x->cap) {
			uint32_t cap = x->cap;
			if (x->nroutes == 0 && e->type == VG_ELEM_RIB &&
			    e->rib_more) {
				/* the first entry of a RIB record: room for the
				 * record's other entries (same prefix) at once */
				cap = 1u + e->rib_more;
				void *nr = realloc(x->routes,
				                   cap * sizeof(*x->routes));
				if (nr == NULL)
					return -1;
				x->routes = nr;
			} else if (vg_grow((void **)&x->routes, &cap,
			                   x->nroutes + 1u > 2 ? x->nroutes + 1u : 2,
			                   sizeof(*x->routes)) < 0) {
				return -1;
			}
			cap = cap > 65535 ? 65535 : cap;
			r->bytes_routes += (uint64_t)(cap - x->cap) *
			                   sizeof(struct rib_route);
			x->cap = (uint16_t)cap;
		}
		memmove(&x->routes[idx + 1], &x->routes[idx],
		        (x->nroutes - idx) * sizeof(*x->routes));
		x->routes[idx].peer = (uint16_t)peer;
		x->routes[idx].gen = p->gen;
		p->n_cur++;
		x->routes[idx].path = pid;
		x->nroutes++;
		r->paths[pid].refs++;
		count_route(r, p, x, +1);
		mark_dirty(r, id);
		out->change = RIB_NEW;
		if (e->type != VG_ELEM_RIB) {
			struct rib_fts *ft = fts_of(r, p, id);
			if (ft == NULL)
				return -1;
			if (ft->wd && t - ft->wd < flap_window)
				out->flap = 1;
		}
	}
	if (e->type == VG_ELEM_RIB) {
		p->in_dump = 1;
	} else {
		struct rib_fts *ft = fts_of(r, p, id);
		if (ft == NULL)
			return -1;
		ft->ann = t;
		x->last_ann = t;
	}
	return 0;
}

/* A new generation for P: every route it holds is unconfirmed until
 * announced again. */
static void
next_gen(struct rib_peer *p)
{
	p->gen++;
	if (p->gen == 0)
		p->gen = 1;
	p->n_cur = 0;
}

/* The id in hash slots SLOTS (MASK) of the first entry with HASH, from
 * slot HASH & MASK on; UINT32_MAX if none before an empty slot (a probe
 * that only reads: a hint, not an answer). */
static uint32_t
slot_peek(const uint64_t *slots, uint32_t mask, uint32_t hash)
{
	for (uint32_t h = hash & mask, k = 0; k < 8; h = (h + 1) & mask, k++) {
		uint64_t v = slots[h];
		if (v == 0)
			break;
		if ((uint32_t)(v >> 32) == hash)
			return (uint32_t)v;
	}
	return UINT32_MAX;
}

void
rib_prefetch(const struct rib *r, const struct vg_prefix *p,
             const struct bgp_path *bp, struct rib_hint *h, int stage)
{
	switch (stage) {
	case 0:
		h->pfx = h->path = UINT32_MAX;
		h->pfx_hash = pfx_hash(p);
		__builtin_prefetch(&r->pfx_slots[h->pfx_hash & r->pfx_mask]);
		if (bp) {
			h->path_hash = path_hash(bp);
			__builtin_prefetch(
			    &r->path_slots[h->path_hash & r->path_mask]);
		}
		break;
	case 1: {
		uint32_t s = slot_peek(r->pfx_slots, r->pfx_mask, h->pfx_hash);
		/* prefix slots hold id + 1 */
		h->pfx = s != UINT32_MAX && s - 1 < r->npfx ? s - 1 : UINT32_MAX;
		if (h->pfx != UINT32_MAX)
			__builtin_prefetch(&r->pfx[h->pfx]);
		if (bp) {
			s = slot_peek(r->path_slots, r->path_mask, h->path_hash);
			h->path = s < r->npaths ? s : UINT32_MAX;
			if (h->path != UINT32_MAX)
				__builtin_prefetch(&r->paths[h->path]);
		}
		break;
	}
	default:
		if (h->pfx != UINT32_MAX && h->pfx < r->npfx)
			__builtin_prefetch(r->pfx[h->pfx].routes);
		else
			h->pfx = UINT32_MAX;
		if (h->path != UINT32_MAX && h->path < r->npaths)
			__builtin_prefetch(r->paths[h->path].data);
		break;
	}
}

/* Drop routes of PEER whose generation is not the peer's current one. */
static uint64_t
drop_unconfirmed(struct rib *r, unsigned peer)
{
	struct rib_peer *p = &r->peers[peer];
	uint64_t n = 0;
	if (p->n_cur == p->n_v4 + p->n_v6)
		return 0; /* every route confirmed: nothing to look for */
	for (uint32_t id = 0; id < r->npfx; id++) {
		struct rib_pfx *x = &r->pfx[id];
		int idx = route_find(x, peer);
		if (idx >= 0 && x->routes[idx].gen != p->gen) {
			route_remove(r, id, idx);
			n++;
		}
	}
	return n;
}

void
rib_peer_state(struct rib *r, unsigned peer, unsigned new_state, uint32_t t)
{
	struct rib_peer *p = &r->peers[peer];
	int up = new_state == VG_STATE_ESTABLISHED;

	if (up == p->up)
		return;
	p->up = (uint8_t)up;
	p->last_change = t;
	if (up) {
		/* A new session: what it held before must be re-announced
		 * within the grace period. */
		next_gen(p);
		p->up_since = t;
		p->stale_pending = 1;
	}
}

uint64_t
rib_expire_stale(struct rib *r, uint32_t now)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < r->npeers; i++) {
		struct rib_peer *p = &r->peers[i];
		if (p->stale_pending && p->up &&
		    now >= p->up_since + r->o.stale_grace) {
			n += drop_unconfirmed(r, i);
			p->stale_pending = 0;
		}
	}
	return n;
}

uint64_t
rib_peer_eor(struct rib *r, unsigned peer, unsigned afi)
{
	struct rib_peer *p = &r->peers[peer];
	uint64_t n = 0;
	if (!p->stale_pending || !p->up || p->dumping ||
	    p->n_cur == p->n_v4 + p->n_v6)
		return 0;
	for (uint32_t id = 0; id < r->npfx; id++) {
		struct rib_pfx *x = &r->pfx[id];
		if (x->p.afi != afi || x->nroutes == 0)
			continue;
		int idx = route_find(x, peer);
		if (idx >= 0 && x->routes[idx].gen != p->gen) {
			route_remove(r, id, idx);
			n++;
		}
	}
	return n;
}

void
rib_dump_begin(struct rib *r, const char *collector)
{
	for (uint32_t i = 0; i < r->npeers; i++) {
		struct rib_peer *p = &r->peers[i];
		if (strcmp(p->collector, collector) == 0) {
			p->in_dump = 0;
			p->dumping = 1;
			/* entries of this dump confirm routes with a new
			 * generation; what is left unconfirmed is gone */
			next_gen(p);
		}
	}
}

uint64_t
rib_dump_end(struct rib *r, const char *collector)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < r->npeers; i++) {
		struct rib_peer *p = &r->peers[i];
		if (strcmp(p->collector, collector) != 0)
			continue;
		p->dumping = 0;
		if (p->in_dump) {
			n += drop_unconfirmed(r, i);
			p->in_dump = 0;
		} else {
			/* not in this dump: its routes keep their standing */
			for (uint32_t id = 0; id < r->npfx; id++) {
				struct rib_pfx *x = &r->pfx[id];
				int idx = route_find(x, i);
				if (idx >= 0)
					x->routes[idx].gen = p->gen;
			}
			p->n_cur = p->n_v4 + p->n_v6;
		}
	}
	return n;
}

/* ---- visibility -------------------------------------------------------- */

int
rib_route_counts(const struct rib *r, const struct rib_route *rt, unsigned afi)
{
	const struct rib_peer *p = &r->peers[rt->peer];
	return p->up && (afi == VG_AFI_IP4 ? p->full_v4 : p->full_v6);
}

int
rib_check_full_feed(struct rib *r)
{
	int changed = 0;
	for (unsigned afi = 1; afi <= 2; afi++) {
		uint64_t sig = 0;
		unsigned n = 0;
		r->stamp++;
		for (uint32_t i = 0; i < r->npeers; i++) {
			struct rib_peer *p = &r->peers[i];
			int full = afi == 1 ? p->n_v4 >= r->o.full_v4
			                    : p->n_v6 >= r->o.full_v6;
			if (afi == 1)
				p->full_v4 = (uint8_t)full;
			else
				p->full_v6 = (uint8_t)full;
			if (full && p->up) {
				sig ^= vg_mix64((uint64_t)i + 1);
				if (r->asn_stamp[p->asn_idx] != r->stamp) {
					r->asn_stamp[p->asn_idx] = r->stamp;
					n++;
				}
			}
		}
		if (sig != r->full_sig[afi] || n != r->full_asns[afi])
			changed = 1;
		r->full_sig[afi] = sig;
		r->full_asns[afi] = n;
	}
	return changed;
}

int
rib_update_full_feed(struct rib *r)
{
	int changed = rib_check_full_feed(r);
	if (changed)
		for (uint32_t id = 0; id < r->npfx; id++)
			mark_dirty(r, id);
	return changed;
}

unsigned
rib_full_asns(const struct rib *r, unsigned afi)
{
	return afi <= 2 ? r->full_asns[afi] : 0;
}

int
rib_recompute(struct rib *r, uint32_t id)
{
	struct rib_pfx *x = &r->pfx[id];
	unsigned afi = x->p.afi, denom = r->full_asns[afi <= 2 ? afi : 0];
	unsigned seen = 0;
	int was = (x->flags & RIB_PFX_VISIBLE) != 0, now;

	r->stamp++;
	for (unsigned i = 0; i < x->nroutes; i++) {
		const struct rib_peer *p = &r->peers[x->routes[i].peer];
		if (!p->up || !(afi == VG_AFI_IP4 ? p->full_v4 : p->full_v6))
			continue;
		if (r->asn_stamp[p->asn_idx] != r->stamp) {
			r->asn_stamp[p->asn_idx] = r->stamp;
			seen++;
		}
	}
	x->seen_asns = (uint16_t)seen;
	now = rib_visible_rule(r, seen, denom);
	x->flags = (uint8_t)((x->flags & ~(RIB_PFX_DIRTY | RIB_PFX_UNLISTED |
	                                   RIB_PFX_VISIBLE)) |
	                     (now ? RIB_PFX_VISIBLE : 0));
	return now != was;
}

void
rib_take_dirty(struct rib *r, const uint32_t **ids, size_t *n)
{
	/* The caller recomputes each listed prefix; the list is reset now
	 * and refilled by later changes. */
	*ids = r->dirty;
	*n = r->ndirty;
	r->ndirty = 0;
	path_collect(r);
}

uint32_t
rib_npfx(const struct rib *r)
{
	return r->npfx;
}

struct rib_pfx *
rib_pfx(struct rib *r, uint32_t id)
{
	return id < r->npfx ? &r->pfx[id] : NULL;
}

void
rib_stats(const struct rib *r, struct rib_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->routes = r->routes;
	st->prefixes = r->npfx;
	st->paths = r->live_paths;
	st->bytes_routes = r->bytes_routes;
	st->bytes_prefixes = (uint64_t)r->cap_pfx * sizeof(struct rib_pfx);
	for (uint32_t i = 0; i < r->ncolls; i++)
		st->bytes_prefixes += (uint64_t)r->cap_fts[i] * sizeof(struct rib_fts);
	st->bytes_index = (uint64_t)(r->pfx_mask + 1) * 8 +
	                  (uint64_t)(r->path_mask + 1) * 8;
	st->bytes_paths = r->bytes_paths +
	                  (uint64_t)r->cap_paths * sizeof(struct rib_path);
	st->bytes_attrs = rib_attrs_bytes(r->attrs);
}

/* ---- for partial runs and their merge (docs/partials.md) --------------- */

int
rib_peer_cmp(const struct rib_peer *a, const struct rib_peer *b)
{
	int c = strcmp(a->collector, b->collector);
	if (c != 0)
		return c;
	if (a->addr.afi != b->addr.afi)
		return a->addr.afi < b->addr.afi ? -1 : 1;
	c = memcmp(a->addr.addr, b->addr.addr, 16);
	if (c != 0)
		return c;
	return a->asn < b->asn ? -1 : a->asn > b->asn;
}

uint32_t
rib_pfx_intern(struct rib *r, const struct vg_prefix *p)
{
	return pfx_find(r, p, 1);
}

uint32_t
rib_path_intern_raw(struct rib *r, const uint32_t *asn, uint32_t nasn,
                    const uint32_t *seg, uint32_t nseg)
{
	uint8_t types[256];
	uint32_t lens[256];
	struct bgp_path bp;
	uint64_t sum = 0;

	if (nseg > 256 || nasn > 65535)
		return PATH_NONE;
	for (uint32_t i = 0; i < nseg; i++) {
		types[i] = (uint8_t)(seg[i] >> 24);
		lens[i] = seg[i] & 0xffffff;
		sum += lens[i];
	}
	if (sum != nasn)
		return PATH_NONE;
	memset(&bp, 0, sizeof(bp));
	bp.asn = (uint32_t *)asn;
	bp.seg_type = types;
	bp.seg_len = lens;
	bp.nasn = nasn;
	bp.nseg = nseg;
	return path_intern(r, &bp);
}

const uint32_t *
rib_path_raw(const struct rib *r, uint32_t path, uint32_t *nasn,
             uint32_t *nseg)
{
	if (path == PATH_NONE || path >= r->npaths || !r->paths[path].data) {
		*nasn = *nseg = 0;
		return NULL;
	}
	*nasn = r->paths[path].nasn;
	*nseg = r->paths[path].nseg;
	return r->paths[path].data;
}

void
rib_path_gc(struct rib *r)
{
	path_collect(r);
}

int
rib_visible_rule(const struct rib *r, unsigned seen, unsigned denom)
{
	return denom > 0 && (double)seen >= r->o.visible_ratio * denom - 1e-9;
}

/* ---- glue for the attribute sets (rib_attrs.c) ------------------------- */

struct rib_attrs **
rib_attrs_slot(struct rib *r)
{
	return &r->attrs;
}

const struct rib_attrs *
rib_attrs_get(const struct rib *r)
{
	return r->attrs;
}

uint32_t
rib_route_pfx(struct rib *r, unsigned peer, const struct vg_prefix *p)
{
	uint32_t id = pfx_find(r, p, 0);
	if (id == UINT32_MAX || route_find(&r->pfx[id], peer) < 0)
		return UINT32_MAX;
	return id;
}
