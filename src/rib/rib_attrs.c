/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-route attribute sets for the collector's RIB dumps (include/vigil/
 * rib.h, "Attribute sets").  Like BIRD's attribute cache or OpenBGPD's
 * rde_aspath: every distinct set is stored once, with a reference count,
 * and a route refers to its set by a 32-bit id.  The sets are opaque byte
 * strings to the routing state (the collector stores the TABLE_DUMP_V2
 * attribute block it will write).
 *
 * The route -> set map is a separate open-addressing table keyed by
 * (prefix id, peer), not a field of struct rib_route: `vigil replay`,
 * which keeps no attributes, pays nothing per route, and the observatory
 * (which compares AS paths only) never sees the sets.  rib.c tells this
 * file when a route goes (rib_attrs_route_gone), so a set is released
 * with the last route using it.
 *
 * Memory: 12 bytes per route in the map (at most 70 % full, so ~17), and
 * per distinct set its bytes plus 24 bytes and a hash slot.
 */
#include <stdlib.h>
#include <string.h>

#include "rib/rib_attrs.h"
#include "vigil/vec.h"

struct aset {
	uint32_t hash;
	uint32_t refs;
	uint32_t len;
	uint8_t *data; /* NULL: free id */
};

struct aroute {
	uint32_t pfx;
	uint16_t peer;
	uint16_t pad;
	uint32_t set; /* 0: empty slot */
};

struct rib_attrs {
	struct aset *sets; /* index 0 unused */
	uint32_t nsets, cap_sets;
	uint32_t *free_ids;
	uint32_t nfree, cap_free;
	uint32_t *slots; /* set ids, 0 empty */
	uint32_t mask;
	uint32_t live;
	struct aroute *map;
	uint32_t map_mask;
	uint32_t map_used;
	uint64_t bytes_data;
};

static uint32_t
blob_hash(const uint8_t *p, uint32_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
	uint32_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		h = vg_mix64(h ^ v);
	}
	if (i < len) {
		uint64_t v = 0;
		memcpy(&v, p + i, len - i);
		h = vg_mix64(h ^ v ^ 0x5bd1e995u);
	}
	return (uint32_t)h | 1u;
}

static uint32_t
map_hash(uint32_t pfx, unsigned peer)
{
	return (uint32_t)vg_mix64((uint64_t)pfx << 16 | peer);
}

int
rib_keep_attrs(struct rib *r)
{
	struct rib_attrs **slot = rib_attrs_slot(r);
	struct rib_attrs *a;
	if (*slot)
		return 0;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -1;
	a->mask = (1u << 12) - 1;
	a->map_mask = (1u << 12) - 1;
	a->slots = calloc(a->mask + 1, sizeof(*a->slots));
	a->map = calloc(a->map_mask + 1, sizeof(*a->map));
	if (a->slots == NULL || a->map == NULL ||
	    vg_grow((void **)&a->sets, &a->cap_sets, 1, sizeof(*a->sets)) < 0) {
		rib_attrs_destroy(a);
		return -1;
	}
	a->nsets = 1;
	*slot = a;
	return 0;
}

void
rib_attrs_destroy(struct rib_attrs *a)
{
	if (a == NULL)
		return;
	for (uint32_t i = 1; i < a->nsets; i++)
		free(a->sets[i].data);
	free(a->sets);
	free(a->free_ids);
	free(a->slots);
	free(a->map);
	free(a);
}

uint64_t
rib_attrs_bytes(const struct rib_attrs *a)
{
	if (a == NULL)
		return 0;
	return a->bytes_data + (uint64_t)a->cap_sets * sizeof(struct aset) +
	       (uint64_t)(a->mask + 1) * 4 + (uint64_t)a->cap_free * 4 +
	       (uint64_t)(a->map_mask + 1) * sizeof(struct aroute);
}

static int
set_rehash(struct rib_attrs *a, uint32_t nslots)
{
	uint32_t *ns = calloc(nslots, sizeof(*ns));
	if (ns == NULL)
		return -1;
	for (uint32_t i = 1; i < a->nsets; i++) {
		if (a->sets[i].data == NULL)
			continue;
		uint32_t h = a->sets[i].hash & (nslots - 1);
		while (ns[h])
			h = (h + 1) & (nslots - 1);
		ns[h] = i;
	}
	free(a->slots);
	a->slots = ns;
	a->mask = nslots - 1;
	return 0;
}

uint32_t
rib_attrs_intern(struct rib *r, const void *data, uint32_t len)
{
	struct rib_attrs *a = *rib_attrs_slot(r);
	uint32_t hash, h, id;

	if (a == NULL)
		return 0;
	if ((a->live + 1) * 10u > (a->mask + 1) * 7u &&
	    set_rehash(a, (a->mask + 1) * 2) < 0)
		return 0;
	hash = blob_hash(data, len);
	for (h = hash & a->mask; a->slots[h]; h = (h + 1) & a->mask) {
		struct aset *s = &a->sets[a->slots[h]];
		if (s->hash == hash && s->len == len &&
		    memcmp(s->data, data, len) == 0) {
			s->refs++;
			return a->slots[h];
		}
	}
	uint8_t *copy = malloc(len ? len : 1);
	if (copy == NULL)
		return 0;
	if (a->nfree) {
		id = a->free_ids[--a->nfree];
	} else {
		if (vg_grow((void **)&a->sets, &a->cap_sets, a->nsets + 1,
		            sizeof(*a->sets)) < 0) {
			free(copy);
			return 0;
		}
		id = a->nsets++;
	}
	memcpy(copy, data, len);
	a->sets[id] = (struct aset){hash, 1, len, copy};
	a->slots[h] = id;
	a->live++;
	a->bytes_data += len;
	return id;
}

void
rib_attrs_ref(struct rib *r, uint32_t id)
{
	struct rib_attrs *a = *rib_attrs_slot(r);
	if (a && id && id < a->nsets && a->sets[id].data)
		a->sets[id].refs++;
}

/* Drop a reference; free the set with the last one. */
static void
set_unref(struct rib_attrs *a, uint32_t id)
{
	struct aset *s;
	if (id == 0 || id >= a->nsets || a->sets[id].data == NULL)
		return;
	s = &a->sets[id];
	if (--s->refs)
		return;
	/* linear probing deletion: empty the slot, re-place the cluster */
	uint32_t h = s->hash & a->mask;
	while (a->slots[h] != id)
		h = (h + 1) & a->mask;
	a->slots[h] = 0;
	for (uint32_t j = (h + 1) & a->mask; a->slots[j]; j = (j + 1) & a->mask) {
		uint32_t o = a->slots[j];
		a->slots[j] = 0;
		uint32_t k = a->sets[o].hash & a->mask;
		while (a->slots[k])
			k = (k + 1) & a->mask;
		a->slots[k] = o;
	}
	a->bytes_data -= s->len;
	free(s->data);
	s->data = NULL;
	a->live--;
	/* if the free list cannot grow, the id is only lost, not misused */
	if (vg_grow((void **)&a->free_ids, &a->cap_free, a->nfree + 1,
	            sizeof(uint32_t)) == 0)
		a->free_ids[a->nfree++] = id;
}

void
rib_attrs_unref(struct rib *r, uint32_t id)
{
	struct rib_attrs *a = *rib_attrs_slot(r);
	if (a)
		set_unref(a, id);
}

static int
map_grow(struct rib_attrs *a)
{
	uint32_t nmask = a->map_mask * 2 + 1;
	struct aroute *nm = calloc((size_t)nmask + 1, sizeof(*nm));
	if (nm == NULL)
		return -1;
	for (uint32_t i = 0; i <= a->map_mask; i++) {
		const struct aroute *e = &a->map[i];
		if (e->set == 0)
			continue;
		uint32_t h = map_hash(e->pfx, e->peer) & nmask;
		while (nm[h].set)
			h = (h + 1) & nmask;
		nm[h] = *e;
	}
	free(a->map);
	a->map = nm;
	a->map_mask = nmask;
	return 0;
}

/* The map slot of (PFX, PEER), or the empty slot where it would go. */
static uint32_t
map_slot(const struct rib_attrs *a, uint32_t pfx, unsigned peer)
{
	uint32_t h = map_hash(pfx, peer) & a->map_mask;
	while (a->map[h].set &&
	       (a->map[h].pfx != pfx || a->map[h].peer != peer))
		h = (h + 1) & a->map_mask;
	return h;
}

int
rib_route_set_attrs(struct rib *r, unsigned peer, const struct vg_prefix *p,
                    uint32_t id)
{
	struct rib_attrs *a = *rib_attrs_slot(r);
	uint32_t pfx, h;

	if (a == NULL || id == 0)
		return -1;
	pfx = rib_route_pfx(r, peer, p);
	if (pfx == UINT32_MAX) {
		set_unref(a, id);
		return 1;
	}
	if ((a->map_used + 1) * 10u > (a->map_mask + 1) * 7u &&
	    map_grow(a) < 0) {
		set_unref(a, id);
		return -1;
	}
	h = map_slot(a, pfx, peer);
	if (a->map[h].set) {
		uint32_t old = a->map[h].set;
		a->map[h].set = id;
		set_unref(a, old);
		return 0;
	}
	a->map[h] = (struct aroute){pfx, (uint16_t)peer, 0, id};
	a->map_used++;
	return 0;
}

const uint8_t *
rib_route_attrs(const struct rib *r, uint32_t pfx, unsigned peer,
                uint32_t *len)
{
	const struct rib_attrs *a = rib_attrs_get(r);
	uint32_t h;
	if (a == NULL)
		return NULL;
	h = map_slot(a, pfx, peer);
	if (a->map[h].set == 0)
		return NULL;
	*len = a->sets[a->map[h].set].len;
	return a->sets[a->map[h].set].data;
}

void
rib_attrs_route_gone(struct rib_attrs *a, uint32_t pfx, unsigned peer)
{
	uint32_t h = map_slot(a, pfx, peer);
	uint32_t id = a->map[h].set;
	if (id == 0)
		return;
	/* backward-shift deletion keeps every probe chain intact */
	a->map[h].set = 0;
	a->map_used--;
	for (uint32_t j = (h + 1) & a->map_mask; a->map[j].set;
	     j = (j + 1) & a->map_mask) {
		struct aroute e = a->map[j];
		a->map[j].set = 0;
		uint32_t k = map_hash(e.pfx, e.peer) & a->map_mask;
		while (a->map[k].set)
			k = (k + 1) & a->map_mask;
		a->map[k] = e;
	}
	set_unref(a, id);
}

void
rib_attrs_stats(const struct rib *r, uint64_t *sets, uint64_t *routes,
                uint64_t *bytes)
{
	const struct rib_attrs *a = rib_attrs_get(r);
	*sets = a ? a->live : 0;
	*routes = a ? a->map_used : 0;
	*bytes = rib_attrs_bytes(a);
}
