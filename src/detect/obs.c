/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The observatory (see include/vigil/obs.h): entities, their membership
 * (which prefixes count for which country, origin AS and upstream), the
 * per-bin counters and visibility, and the hand-off to the detectors
 * (detector.c).
 *
 * Per element the work is O(1): apply it to the routing state, add to the
 * bin counters of the prefix's entities.  At the end of a bin only dirty
 * prefixes are re-evaluated, and only entities whose members changed
 * visibility have their address space recounted (a union of unit
 * intervals, each /24 or /48 counted once however many prefixes cover it).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_impl.h"
#include "vigil/vec.h"

void
obs_opts_default(struct obs_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->bin_len = 300;
	o->min_len_v4 = 8;
	o->min_len_v6 = 16;
	rib_opts_default(&o->rib);
	o->window_bins = 288;
	o->warmup_bins = 12;
	o->outage_warning = 0.2;
	o->outage_critical = 0.5;
	o->restore_ratio = 0.5;
	o->min_bins = 2;
	o->min_units = 1;
	o->inst_score = 3;
	o->inst_critical = 10;
	o->inst_min = 2;
	o->inst_share = 0.25;
	o->inst_gap_bins = 3;
	o->inst_min_bins = 3;
	o->evidence_max = 256;
	o->asn_entities = 1;
}



static void count_for_countries(struct obs *ob, struct opfx *o, int delta);

/* ---- entities ---------------------------------------------------------- */

static uint64_t
ent_key(unsigned kind, geo_cc cc, uint32_t asn)
{
	return (uint64_t)kind << 48 | (uint64_t)cc << 32 | asn;
}

static int
ent_rehash(struct obs *ob, uint32_t nslots)
{
	uint32_t *ns = calloc(nslots, sizeof(*ns));
	if (ns == NULL)
		return -1;
	for (uint32_t i = 0; i < ob->nents; i++) {
		uint32_t h = (uint32_t)vg_mix64(ob->ents[i].key) & (nslots - 1);
		while (ns[h])
			h = (h + 1) & (nslots - 1);
		ns[h] = i + 1;
	}
	free(ob->ent_slots);
	ob->ent_slots = ns;
	ob->ent_mask = nslots - 1;
	return 0;
}

uint32_t
obs_ent_find(const struct obs *ob, unsigned kind, geo_cc cc, uint32_t asn)
{
	uint64_t key = ent_key(kind, cc, asn);
	uint32_t h = (uint32_t)vg_mix64(key) & ob->ent_mask;
	for (;;) {
		uint32_t s = ob->ent_slots[h];
		if (s == 0)
			return UINT32_MAX;
		if (ob->ents[s - 1].key == key)
			return s - 1;
		h = (h + 1) & ob->ent_mask;
	}
}

/* The entity (kind, cc, asn), created if new; UINT32_MAX on failure. */
uint32_t
obs_ent(struct obs *ob, unsigned kind, geo_cc cc, uint32_t asn)
{
	uint64_t key = ent_key(kind, cc, asn);
	uint32_t h = (uint32_t)vg_mix64(key) & ob->ent_mask;

	for (;;) {
		uint32_t s = ob->ent_slots[h];
		if (s == 0)
			break;
		if (ob->ents[s - 1].key == key)
			return s - 1;
		h = (h + 1) & ob->ent_mask;
	}
	if ((ob->nents + 1) * 10u > (ob->ent_mask + 1) * 7u) {
		if (ent_rehash(ob, (ob->ent_mask + 1) * 2) < 0)
			return UINT32_MAX;
		return obs_ent(ob, kind, cc, asn);
	}
	if (vg_grow((void **)&ob->ents, &ob->cap_ents, ob->nents + 1,
	         sizeof(*ob->ents)) < 0)
		return UINT32_MAX;
	struct ent *e = &ob->ents[ob->nents];
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->cc = cc;
	e->id.kind = (uint8_t)kind;
	e->id.asn = asn;
	geo_cc_str(cc, e->id.cc);
	ob->ent_slots[h] = ob->nents + 1;
	ob->order_dirty = 1;

	if (ob->sink.entity) {
		char name[160];
		const char *n = NULL;
		name[0] = '\0';
		if (kind == VG_ENT_COUNTRY) {
			n = geo_country_name(cc);
			snprintf(name, sizeof(name), "%s", n ? n : "");
		} else if (kind == VG_ENT_ASN) {
			n = ob->geo ? geo_asn_name(ob->geo, asn) : NULL;
			snprintf(name, sizeof(name), "%s", n ? n : "");
		} else {
			const char *cn = geo_country_name(cc);
			n = ob->geo ? geo_asn_name(ob->geo, asn) : NULL;
			snprintf(name, sizeof(name), "AS%u%s%s%s upstream of %s",
			         asn, n ? " (" : "", n ? n : "", n ? ")" : "",
			         cn ? cn : e->id.cc);
		}
		ob->sink.entity(ob->sink.ctx, &e->id, name);
	}
	return ob->nents++;
}

/* Members are kept in address order (IPv4 before IPv6, then address,
 * then length), so recounting an entity's space needs no sort.  Tables
 * arrive in address order, so this is mostly an append. */
static int
pfx_before(struct obs *ob, uint32_t a, uint32_t b)
{
	const struct vg_prefix *x = &rib_pfx(ob->rib, a)->p;
	const struct vg_prefix *y = &rib_pfx(ob->rib, b)->p;
	if (x->afi != y->afi)
		return x->afi < y->afi;
	int c = memcmp(x->addr, y->addr, 16);
	if (c != 0)
		return c < 0;
	return x->len < y->len;
}

static int
ent_add_member(struct obs *ob, uint32_t ent, uint32_t pfx)
{
	struct ent *e = &ob->ents[ent];
	uint32_t lo = 0, hi = e->nmem;
	if (vg_grow((void **)&e->mem, &e->capmem, e->nmem + 1, sizeof(uint32_t)) < 0)
		return -1;
	if (e->nmem && pfx_before(ob, e->mem[e->nmem - 1], pfx)) {
		lo = e->nmem;
	} else {
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;
			if (pfx_before(ob, e->mem[mid], pfx))
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	memmove(&e->mem[lo + 1], &e->mem[lo], (e->nmem - lo) * sizeof(uint32_t));
	e->mem[lo] = pfx;
	e->nmem++;
	e->dirty = 1;
	return 0;
}

static void
ent_del_member(struct obs *ob, uint32_t ent, uint32_t pfx)
{
	struct ent *e = &ob->ents[ent];
	for (uint32_t i = e->nmem; i-- > 0;) {
		if (e->mem[i] == pfx) {
			memmove(&e->mem[i], &e->mem[i + 1],
			        (e->nmem - i - 1) * sizeof(uint32_t));
			e->nmem--;
			e->dirty = 1;
			return;
		}
	}
}

/* ---- per-prefix observatory data --------------------------------------- */

struct cc_collect {
	geo_cc cc[OBS_MAX_CC];
	unsigned n;
	unsigned more;
};

static void
collect_cc(void *ctx, geo_cc cc, uint64_t first, uint64_t n)
{
	struct cc_collect *c = ctx;
	if (cc == 0)
		return;
	for (unsigned i = 0; i < c->n; i++)
		if (c->cc[i] == cc)
			return;
	if (c->n < OBS_MAX_CC)
		c->cc[c->n++] = cc;
	else
		c->more++;
}

/* The observatory slot of rib prefix ID, set up on first sight: its
 * countries (static: geography does not change during a run). */
static struct opfx *
opfx_get(struct obs *ob, uint32_t id)
{
	if (id >= ob->cap_opfx &&
	    vg_grow((void **)&ob->opfx, &ob->cap_opfx, id + 1, sizeof(*ob->opfx)) < 0)
		return NULL;
	struct opfx *o = &ob->opfx[id];
	if (!o->init) {
		struct rib_pfx *x = rib_pfx(ob->rib, id);
		struct cc_collect c = {{0}, 0, 0};
		o->init = 1;
		if (ob->geo)
			geo_prefix_units(ob->geo, &x->p, collect_cc, &c);
		o->ncc = (uint8_t)c.n;
		for (unsigned i = 0; i < c.n; i++) {
			o->cc[i] = c.cc[i];
			o->cc_ent[i] = obs_ent(ob, VG_ENT_COUNTRY, c.cc[i], 0);
			ent_add_member(ob, o->cc_ent[i], id);
			if (x->p.afi == VG_AFI_IP6 && o->cc_ent[i] != UINT32_MAX) {
				struct ent *e = &ob->ents[o->cc_ent[i]];
				if (vg_grow((void **)&e->mem6, &e->capmem6, e->nmem6 + 1,
				         sizeof(uint32_t)) == 0)
					e->mem6[e->nmem6++] = id;
			}
		}
	}
	return o;
}

/*
 * The upstream of PATH for country CC: walking from the origin towards the
 * collector, the first AS registered outside CC.  0 when every AS on the
 * path is in CC.  The first AS of the path is the collector's peer (the
 * observation point, not the country's connectivity) and is not taken.
 * One cached answer per path (paths rarely serve prefixes of two
 * countries).
 */
uint32_t
obs_path_upstream(struct obs *ob, uint32_t path, geo_cc cc)
{
	uint32_t n;
	const uint32_t *asn;

	if (path == 0 || ob->geo == NULL)
		return 0;
	if (path >= ob->cap_pup) {
		uint32_t need = rib_path_capacity(ob->rib) + 1;
		if (vg_grow((void **)&ob->pup, &ob->cap_pup, need, sizeof(*ob->pup)) < 0)
			return 0;
	}
	struct path_up *pu = &ob->pup[path];
	uint32_t serial = rib_path_serial(ob->rib, path);
	if (pu->cc == cc && pu->gen == serial)
		return pu->up;
	if (pu->gen != serial)
		pu->org_ent = 0;
	pu->up_ent = 0;
	asn = rib_path_asns(ob->rib, path, &n);
	uint32_t up = 0;
	for (uint32_t i = n; i-- > 1;) {
		geo_cc c = geo_asn_country(ob->geo, asn[i]);
		if (c != cc) {
			up = asn[i];
			break;
		}
	}
	pu->cc = cc;
	pu->up = up;
	pu->gen = serial;
	return up;
}

/* The origin entity of PATH (cached per path), UINT32_MAX if none. */
static uint32_t
path_org_ent(struct obs *ob, uint32_t path)
{
	uint32_t origin = rib_path_origin(ob->rib, path);
	if (!origin || !ob->o.asn_entities)
		return UINT32_MAX;
	uint32_t serial = rib_path_serial(ob->rib, path);
	if (path < ob->cap_pup && ob->pup[path].gen == serial &&
	    ob->pup[path].org_ent)
		return ob->pup[path].org_ent - 1;
	uint32_t id = obs_ent(ob, VG_ENT_ASN, 0, origin);
	if (id != UINT32_MAX && path < ob->cap_pup &&
	    ob->pup[path].gen == serial)
		ob->pup[path].org_ent = id + 1;
	return id;
}

/* The upstream entity of PATH for country CC, UINT32_MAX if none. */
static uint32_t
path_up_ent(struct obs *ob, uint32_t path, geo_cc cc)
{
	uint32_t up = obs_path_upstream(ob, path, cc);
	if (!up)
		return UINT32_MAX;
	struct path_up *pu = path < ob->cap_pup ? &ob->pup[path] : NULL;
	uint32_t serial = rib_path_serial(ob->rib, path);
	if (pu && pu->cc == cc && pu->gen == serial && pu->up_ent)
		return pu->up_ent - 1;
	uint32_t id = obs_ent(ob, VG_ENT_UPSTREAM, cc, up);
	if (pu && id != UINT32_MAX && pu->cc == cc && pu->gen == serial)
		pu->up_ent = id + 1;
	return id;
}

#define CNT_ANN 0x01
#define CNT_WD 0x02
#define CNT_PC 0x04
#define CNT_FLAPS 0x08
#define CNT_FLAP_EVENTS 0x10
#define CNT_UNSTABLE 0x20

/* Add one to the counters in FIELDS (CNT_*) of every entity the prefix
 * counts for, with the origin/upstream taken from PATH. */
static void
count_event(struct obs *ob, struct opfx *o, uint32_t path, unsigned fields)
{
	uint32_t seen[OBS_MAX_CC * 2 + 2];
	unsigned nseen = 0;

	for (unsigned i = 0; i < o->ncc; i++)
		seen[nseen++] = o->cc_ent[i];
	seen[nseen++] = path_org_ent(ob, path);
	for (unsigned i = 0; i < o->ncc; i++)
		seen[nseen++] = path_up_ent(ob, path, o->cc[i]);
	for (unsigned i = 0; i < nseen; i++) {
		if (seen[i] == UINT32_MAX)
			continue;
		struct ent *e = &ob->ents[seen[i]];
		e->ann += (fields & CNT_ANN) != 0;
		e->wd += (fields & CNT_WD) != 0;
		e->pc += (fields & CNT_PC) != 0;
		e->flaps += (fields & CNT_FLAPS) != 0;
		e->flap_events += (fields & CNT_FLAP_EVENTS) != 0;
		e->unstable += (fields & CNT_UNSTABLE) != 0;
		e->active = 1;
		e->touched = 1;
	}
}

int
obs_elem(struct obs *ob, const char *collector, const struct vg_elem *e)
{
	struct rib_change_info ci;
	int peer;

	if (e->time_sec >= ob->bin_end)
		obs_advance(ob, e->time_sec);
	ob->elems++;
	if (ob->last_collector && e->peer_asn == ob->last_asn &&
	    strcmp(collector, ob->last_collector) == 0 &&
	    e->peer_addr.afi == ob->last_addr.afi &&
	    memcmp(e->peer_addr.addr, ob->last_addr.addr, 16) == 0) {
		peer = ob->last_peer;
	} else {
		peer = rib_peer_id(ob->rib, collector, &e->peer_addr,
		                   e->peer_asn);
		if (peer < 0)
			return -1;
		snprintf(ob->last_coll, sizeof(ob->last_coll), "%s", collector);
		ob->last_collector = ob->last_coll;
		ob->last_addr = e->peer_addr;
		ob->last_asn = e->peer_asn;
		ob->last_peer = peer;
	}
	if (e->type == VG_ELEM_STATE) {
		rib_peer_state(ob->rib, (unsigned)peer, e->new_state, e->time_sec);
		return 0;
	}
	if (e->prefix.safi != VG_SAFI_UNICAST)
		return 0; /* multicast routes are not reachability */
	if (e->prefix.len < (e->prefix.afi == VG_AFI_IP4 ? ob->o.min_len_v4
	                                                 : ob->o.min_len_v6)) {
		/* a default route or an absurd aggregate would make all the
		 * address space it covers look reachable */
		ob->ignored++;
		return 0;
	}
	if (rib_apply(ob->rib, (unsigned)peer, e, ob->o.bin_len, &ci) < 0)
		return -1;
	if (e->type == VG_ELEM_RIB || ci.pfx == UINT32_MAX)
		return 0; /* table state, not an event */
	struct opfx *o = opfx_get(ob, ci.pfx);
	if (o == NULL)
		return -1;
	unsigned fields = 0;
	uint32_t path = ci.change == RIB_WD ? ci.old_path : ci.new_path;
	switch (ci.change) {
	case RIB_NEW:
		fields |= CNT_ANN;
		break;
	case RIB_PATH:
		fields |= CNT_ANN | CNT_PC;
		break;
	case RIB_WD:
		fields |= CNT_WD;
		break;
	default:
		break;
	}
	if (ci.flap) {
		fields |= CNT_FLAP_EVENTS;
		if (o->flap_bin != ob->bin_index + 1) {
			o->flap_bin = ob->bin_index + 1;
			fields |= CNT_FLAPS;
		}
	}
	/* a prefix is unstable in a bin once, however many peers */
	if ((ci.flap || ci.change == RIB_PATH) &&
	    o->unstable_bin != ob->bin_index + 1) {
		o->unstable_bin = ob->bin_index + 1;
		fields |= CNT_UNSTABLE;
	}
	if (fields)
		count_event(ob, o, path, fields);
	return 0;
}

void
obs_dump_begin(struct obs *ob, const char *collector)
{
	rib_dump_begin(ob->rib, collector);
}

void
obs_dump_end(struct obs *ob, const char *collector)
{
	rib_dump_end(ob->rib, collector);
}

/* ---- bin end: memberships and visibility ------------------------------- */

/* Re-derive the origin and upstream memberships of prefix ID from every
 * route held (a peer that is down keeps its routes: a session drop moves
 * no prefix between entities); with no route at all, keep the old ones so
 * a vanished prefix stays a member of what it belonged to.  The sample
 * path for evidence comes from a route that counts, if any. */
static void
update_membership(struct obs *ob, uint32_t id, struct opfx *o)
{
	struct rib_pfx *x = rib_pfx(ob->rib, id);
	uint32_t want[OBS_MAX_MEMB];
	unsigned nwant = 0, counting = 0;
	uint32_t sample = 0;

	for (unsigned i = 0; i < x->nroutes; i++) {
		const struct rib_route *rt = &x->routes[i];
		counting++;
		if (!sample || rib_route_counts(ob->rib, rt, x->p.afi))
			sample = rt->path;
		uint32_t origin = rib_path_origin(ob->rib, rt->path);
		uint32_t cand[1 + OBS_MAX_CC];
		unsigned nc = 0;
		if (origin && ob->o.asn_entities)
			cand[nc++] = obs_ent(ob, VG_ENT_ASN, 0, origin);
		for (unsigned c = 0; c < o->ncc; c++) {
			uint32_t up = obs_path_upstream(ob, rt->path, o->cc[c]);
			if (up)
				cand[nc++] = obs_ent(ob, VG_ENT_UPSTREAM, o->cc[c], up);
		}
		for (unsigned k = 0; k < nc; k++) {
			unsigned j;
			if (cand[k] == UINT32_MAX)
				continue;
			for (j = 0; j < nwant; j++)
				if (want[j] == cand[k])
					break;
			if (j == nwant && nwant < OBS_MAX_MEMB)
				want[nwant++] = cand[k];
		}
	}
	if (counting == 0)
		return;
	if (sample && sample != o->sample_path) {
		int counted = o->counted_origin != 0;
		if (counted &&
		    rib_path_origin(ob->rib, sample) != o->counted_origin)
			count_for_countries(ob, o, -1);
		else
			counted = 0;
		rib_path_ref(ob->rib, sample);
		rib_path_unref(ob->rib, o->sample_path);
		o->sample_path = sample;
		if (counted)
			count_for_countries(ob, o, +1);
	}
	/* remove memberships no longer wanted, add new ones */
	for (unsigned i = 0; i < o->nmemb;) {
		unsigned j;
		for (j = 0; j < nwant; j++)
			if (want[j] == o->memb[i])
				break;
		if (j == nwant) {
			ent_del_member(ob, o->memb[i], id);
			o->memb[i] = o->memb[--o->nmemb];
		} else {
			i++;
		}
	}
	for (unsigned j = 0; j < nwant; j++) {
		unsigned i;
		for (i = 0; i < o->nmemb; i++)
			if (o->memb[i] == want[j])
				break;
		if (i == o->nmemb && o->nmemb < OBS_MAX_MEMB) {
			o->memb[o->nmemb++] = want[j];
			ent_add_member(ob, want[j], id);
		}
	}
}

/* The (country entity, origin) counter; NULL if memory runs out. */
static uint32_t *
org_count(struct obs *ob, uint32_t ent, uint32_t origin)
{
	uint64_t key = (uint64_t)ent << 32 | origin;
	if (ob->orgs == NULL || (ob->norgs + 1) * 10u > (ob->org_mask + 1) * 7u) {
		uint32_t nslots = ob->orgs ? (ob->org_mask + 1) * 2 : 4096;
		struct org_slot *ns = calloc(nslots, sizeof(*ns));
		if (ns == NULL)
			return NULL;
		for (uint32_t i = 0; ob->orgs && i <= ob->org_mask; i++) {
			if (ob->orgs[i].key == 0)
				continue;
			uint32_t h = (uint32_t)vg_mix64(ob->orgs[i].key) & (nslots - 1);
			while (ns[h].key)
				h = (h + 1) & (nslots - 1);
			ns[h] = ob->orgs[i];
		}
		free(ob->orgs);
		ob->orgs = ns;
		ob->org_mask = nslots - 1;
	}
	uint32_t h = (uint32_t)vg_mix64(key) & ob->org_mask;
	while (ob->orgs[h].key && ob->orgs[h].key != key)
		h = (h + 1) & ob->org_mask;
	if (ob->orgs[h].key == 0) {
		ob->orgs[h].key = key;
		ob->norgs++;
	}
	return &ob->orgs[h].count;
}

/* Count prefix O (visible) for its countries (DELTA +1) or stop counting
 * it (-1): visible prefixes and distinct origins. */
static void
count_for_countries(struct obs *ob, struct opfx *o, int delta)
{
	uint32_t origin = delta > 0 ? rib_path_origin(ob->rib, o->sample_path)
	                            : o->counted_origin;
	for (unsigned i = 0; i < o->ncc; i++) {
		if (o->cc_ent[i] == UINT32_MAX)
			continue;
		struct ent *e = &ob->ents[o->cc_ent[i]];
		e->inc_npfx += delta;
		if (origin) {
			uint32_t *c = org_count(ob, o->cc_ent[i], origin);
			if (c == NULL)
				continue;
			if (delta > 0 && (*c)++ == 0)
				e->inc_norig++;
			else if (delta < 0 && *c > 0 && --(*c) == 0)
				e->inc_norig--;
		}
	}
	o->counted_origin = delta > 0 ? origin : 0;
}

/* Prefix X became visible (DELTA +1) or invisible (-1): update the
 * per-/24 coverage and the countries' visible /24 counts. */
static void
cover4(struct obs *ob, const struct rib_pfx *x, int delta)
{
	uint64_t first, n;
	if (ob->cov4 == NULL || x->p.afi != VG_AFI_IP4)
		return;
	if (x->p.len >= 24) {
		first = (uint64_t)x->p.addr[0] << 16 | (uint64_t)x->p.addr[1] << 8 |
		        x->p.addr[2];
		n = 1;
	} else {
		first = (uint64_t)x->p.addr[0] << 16 | (uint64_t)x->p.addr[1] << 8 |
		        x->p.addr[2];
		n = (uint64_t)1 << (24 - x->p.len);
	}
	for (uint64_t u = first; u < first + n; u++) {
		if (delta > 0) {
			if (ob->cov4[u]++ == 0)
				ob->cc_v4[ob->cc4[u]]++;
		} else if (ob->cov4[u] > 0) {
			if (--ob->cov4[u] == 0)
				ob->cc_v4[ob->cc4[u]]--;
		}
	}
}

static void
fill_cc4(void *ctx, geo_cc cc, uint64_t first, uint64_t n)
{
	struct obs *ob = ctx;
	for (uint64_t u = first; u < first + n && u < (1u << 24); u++)
		ob->cc4[u] = cc;
}

static void
mark_members_dirty(struct obs *ob, struct opfx *o)
{
	for (unsigned i = 0; i < o->ncc; i++)
		if (o->cc_ent[i] != UINT32_MAX)
			ob->ents[o->cc_ent[i]].dirty = 1;
	for (unsigned i = 0; i < o->nmemb; i++)
		ob->ents[o->memb[i]].dirty = 1;
}

/* Unit interval of a prefix: /24 units for IPv4, /48 for IPv6. */
static void
pfx_units(const struct vg_prefix *p, uint64_t *first, uint64_t *n)
{
	if (p->afi == VG_AFI_IP4) {
		*first = (uint64_t)p->addr[0] << 16 | (uint64_t)p->addr[1] << 8 |
		         p->addr[2];
		*n = p->len >= 24 ? 1 : (uint64_t)1 << (24 - p->len);
	} else {
		uint64_t a = 0;
		for (int i = 0; i < 6; i++)
			a = a << 8 | p->addr[i];
		*first = a;
		*n = p->len >= 48 ? 1 : (uint64_t)1 << (48 - p->len);
	}
}

struct ivl_ctx {
	struct obs *ob;
	geo_cc cc;
	uint8_t v6;
};

static void
push_ivl(struct obs *ob, int v6, uint64_t first, uint64_t n)
{
	struct ivl **arr = v6 ? &ob->iv6 : &ob->iv4;
	uint32_t *cnt = v6 ? &ob->niv6 : &ob->niv4;
	uint32_t *cap = v6 ? &ob->capiv6 : &ob->capiv4;
	if (vg_grow((void **)arr, cap, *cnt + 1, sizeof(struct ivl)) < 0)
		return;
	(*arr)[*cnt].first = first;
	(*arr)[*cnt].n = n;
	(*cnt)++;
}

static void
cc_ivl(void *ctx, geo_cc cc, uint64_t first, uint64_t n)
{
	struct ivl_ctx *c = ctx;
	if (cc == c->cc)
		push_ivl(c->ob, c->v6, first, n);
}

static int
ivl_cmp(const void *a, const void *b)
{
	const struct ivl *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static uint64_t
ivl_union(struct ivl *v, uint32_t n)
{
	uint64_t total = 0, end = 0;
	int have = 0;
	/* members come in address order: sort only if they did not */
	for (uint32_t i = 1; i < n; i++) {
		if (v[i].first < v[i - 1].first) {
			qsort(v, n, sizeof(*v), ivl_cmp);
			break;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t s = v[i].first, e = v[i].first + v[i].n;
		if (!have || s >= end) {
			total += e - s;
			end = e;
			have = 1;
		} else if (e > end) {
			total += e - end;
			end = e;
		}
	}
	return total;
}

/* Recount an entity's visible address space, prefixes and origins. */
static void
recount(struct obs *ob, struct ent *e)
{
	uint32_t norig = 0;
	uint32_t npfx = 0;

	ob->niv4 = ob->niv6 = 0;
	ob->stamp++;
	if (e->id.kind == VG_ENT_COUNTRY && ob->cov4) {
		/* IPv4 /24s, prefixes and origins are kept as prefixes
		 * change; only IPv6 space is recounted */
		for (uint32_t i = 0; i < e->nmem6; i++) {
			uint32_t id = e->mem6[i];
			struct rib_pfx *x = rib_pfx(ob->rib, id);
			uint64_t first, n;
			if (!(x->flags & RIB_PFX_VISIBLE))
				continue;
			if (ob->opfx[id].ncc > 1) {
				struct ivl_ctx c = {ob, e->cc, 1};
				geo_prefix_units(ob->geo, &x->p, cc_ivl, &c);
			} else {
				pfx_units(&x->p, &first, &n);
				push_ivl(ob, 1, first, n);
			}
		}
		e->v4 = ob->cc_v4[e->cc] > 0 ? (uint64_t)ob->cc_v4[e->cc] : 0;
		e->v6 = ivl_union(ob->iv6, ob->niv6);
		e->npfx = e->inc_npfx > 0 ? (uint32_t)e->inc_npfx : 0;
		e->norig = e->inc_norig > 0 ? (uint32_t)e->inc_norig : 0;
		if (e->npfx)
			e->active = 1;
		e->dirty = 0;
		e->changed = 1;
		return;
	}
	for (uint32_t i = 0; i < e->nmem; i++) {
		uint32_t id = e->mem[i];
		struct rib_pfx *x = rib_pfx(ob->rib, id);
		struct opfx *o = &ob->opfx[id];
		uint64_t first, n;
		if (!(x->flags & RIB_PFX_VISIBLE))
			continue;
		npfx++;
		int v6 = x->p.afi == VG_AFI_IP6;
		if (e->id.kind == VG_ENT_COUNTRY && !v6 && ob->cov4) {
			/* kept by cover4() */
		} else if (e->id.kind != VG_ENT_ASN && o->ncc > 1) {
			struct ivl_ctx c = {ob, e->cc, (uint8_t)v6};
			geo_prefix_units(ob->geo, &x->p, cc_ivl, &c);
		} else {
			pfx_units(&x->p, &first, &n);
			push_ivl(ob, v6, first, n);
		}
		if (e->id.kind != VG_ENT_ASN) {
			uint32_t org = rib_path_origin(ob->rib, o->sample_path);
			if (org) {
				/* distinct origins, by a stamp per AS entity */
				uint32_t oe = obs_ent_find(ob, VG_ENT_ASN, 0,
				                           org);
				if (oe != UINT32_MAX) {
					if (ob->ents[oe].stamp != ob->stamp) {
						ob->ents[oe].stamp = ob->stamp;
						norig++;
					}
				} else {
					norig++;
				}
			}
		}
	}
	if (e->id.kind == VG_ENT_COUNTRY && ob->cov4)
		e->v4 = ob->cc_v4[e->cc] > 0 ? (uint64_t)ob->cc_v4[e->cc] : 0;
	else
		e->v4 = ivl_union(ob->iv4, ob->niv4);
	e->v6 = ivl_union(ob->iv6, ob->niv6);
	e->npfx = npfx;
	e->norig = e->id.kind == VG_ENT_ASN ? (npfx ? 1 : 0) : norig;
	if (npfx)
		e->active = 1;
	e->dirty = 0;
	e->changed = 1;
}

/* Keys sort as entities do: kind, country letters, AS number. */
static int
ent_order_cmp(const void *a, const void *b, void *ctx)
{
	const struct obs *ob = ctx;
	uint64_t x = ob->ents[*(const uint32_t *)a].key;
	uint64_t y = ob->ents[*(const uint32_t *)b].key;
	return x < y ? -1 : x > y;
}

static void
close_bin(struct obs *ob)
{
	const uint32_t *ids;
	size_t n;
	uint32_t bin_start = ob->bin_end - ob->o.bin_len;

	rib_expire_stale(ob->rib, ob->bin_end);
	rib_update_full_feed(ob->rib);
	rib_take_dirty(ob->rib, &ids, &n);
	for (size_t i = 0; i < n; i++) {
		uint32_t id = ids[i];
		struct opfx *o = opfx_get(ob, id);
		if (o == NULL)
			continue;
		int changed = rib_recompute(ob->rib, id);
		update_membership(ob, id, o);
		if (changed) {
			struct rib_pfx *x = rib_pfx(ob->rib, id);
			int vis = (x->flags & RIB_PFX_VISIBLE) != 0;
			cover4(ob, x, vis ? 1 : -1);
			count_for_countries(ob, o, vis ? 1 : -1);
			mark_members_dirty(ob, o);
			if (rib_pfx(ob->rib, id)->flags & RIB_PFX_VISIBLE)
				o->last_visible = ob->bin_end;
			else
				o->lost_at = bin_start;
		}
	}
	/* the list memory was the rib's; it refills from now on */

	if (ob->order_dirty &&
	    vg_grow((void **)&ob->order, &ob->cap_order, ob->nents * 2,
	         sizeof(uint32_t)) == 0) {
		/* sort the new entities and merge them into the order */
		uint32_t old = ob->norder, add = ob->nents - old;
		uint32_t *tmp = ob->order + ob->nents, i = 0, j = 0, k = 0;
		for (uint32_t x = 0; x < add; x++)
			ob->order[old + x] = old + x;
		qsort_r(ob->order + old, add, sizeof(uint32_t), ent_order_cmp, ob);
		memcpy(tmp, ob->order, ob->nents * sizeof(uint32_t));
		while (i < old || j < add) {
			if (j == add || (i < old &&
			                 ob->ents[tmp[i]].key < ob->ents[tmp[old + j]].key))
				ob->order[k++] = tmp[i++];
			else
				ob->order[k++] = tmp[old + j++];
		}
		ob->norder = ob->nents;
		ob->order_dirty = 0;
	}

	ob->nsig = 0;
	for (uint32_t k = 0; k < ob->norder; k++) {
		uint32_t ei = ob->order[k];
		struct ent *e = &ob->ents[ei];
		if (e->dirty)
			recount(ob, e);
		if (!e->active)
			continue;
		det_bin(ob, ei, bin_start);
		e->ann = e->wd = e->pc = e->flaps = e->flap_events = 0;
		e->unstable = 0;
		e->touched = 0;
		e->changed = 0;
	}
	if (ob->sink.signals && ob->nsig)
		ob->sink.signals(ob->sink.ctx, ob->sig, ob->nsig);
	ob->signals += ob->nsig;
	ob->bins++;
	ob->bin_index++;
	ob->bin_end += ob->o.bin_len;
}

void
obs_advance(struct obs *ob, uint32_t t)
{
	if (!ob->started) {
		/* bins are aligned to multiples of the bin length */
		ob->bin_end = t - t % ob->o.bin_len + ob->o.bin_len;
		ob->started = 1;
		return;
	}
	while (ob->bin_end <= t) {
		close_bin(ob);
		/* a long gap in the data: skip bins with nothing in them
		 * except the detectors' bookkeeping, which close_bin does */
	}
}

int
obs_gap(struct obs *ob, uint32_t from, uint32_t until)
{
	if (until <= from)
		return 0;
	if (ob->ngaps == ob->capgaps) {
		uint32_t nc = ob->capgaps ? ob->capgaps * 2 : 16;
		struct obs_gap_ivl *ng = realloc(ob->gaps, nc * sizeof(*ng));
		if (ng == NULL)
			return -1;
		ob->gaps = ng;
		ob->capgaps = nc;
	}
	ob->gaps[ob->ngaps].from = from;
	ob->gaps[ob->ngaps].until = until;
	ob->ngaps++;
	return 0;
}

int
obs_in_gap(const struct obs *ob, uint32_t from, uint32_t until)
{
	for (uint32_t i = 0; i < ob->ngaps; i++)
		if (ob->gaps[i].from < until && ob->gaps[i].until > from)
			return 1;
	return 0;
}

void
obs_finish(struct obs *ob)
{
	if (!ob->started)
		return;
	close_bin(ob);
	/* events still open: report them once more with their severity up
	 * to the end of the data */
	for (uint32_t k = 0; k < ob->norder; k++)
		det_finish(ob, ob->order[k], ob->bin_end - ob->o.bin_len);
}

/* ---- lifecycle --------------------------------------------------------- */

struct obs *
obs_new(const struct obs_opts *o, const struct geo_db *geo,
        const struct obs_sink *sink)
{
	struct obs *ob = calloc(1, sizeof(*ob));
	if (ob == NULL)
		return NULL;
	if (o)
		ob->o = *o;
	else
		obs_opts_default(&ob->o);
	if (ob->o.bin_len == 0)
		ob->o.bin_len = 300;
	if (sink)
		ob->sink = *sink;
	ob->geo = geo;
	ob->rib = rib_new(&ob->o.rib);
	ob->ent_mask = 1023;
	ob->ent_slots = calloc(ob->ent_mask + 1, sizeof(uint32_t));
	if (ob->rib == NULL || ob->ent_slots == NULL) {
		obs_free(ob);
		return NULL;
	}
	if (geo) {
		struct vg_prefix all;
		memset(&all, 0, sizeof(all));
		all.afi = VG_AFI_IP4;
		ob->cov4 = calloc((size_t)1 << 24, sizeof(uint16_t));
		ob->cc4 = calloc((size_t)1 << 24, sizeof(geo_cc));
		ob->cc_v4 = calloc(65536, sizeof(int64_t));
		if (!ob->cov4 || !ob->cc4 || !ob->cc_v4) {
			obs_free(ob);
			return NULL;
		}
		geo_prefix_units(geo, &all, fill_cc4, ob);
	}
	return ob;
}

void
obs_free(struct obs *ob)
{
	if (ob == NULL)
		return;
	for (uint32_t i = 0; i < ob->nents; i++) {
		free(ob->ents[i].mem);
		free(ob->ents[i].mem6);
		det_free(&ob->ents[i]);
	}
	free(ob->orgs);
	free(ob->ents);
	free(ob->ent_slots);
	free(ob->order);
	free(ob->opfx);
	free(ob->pup);
	free(ob->iv4);
	free(ob->iv6);
	free(ob->cov4);
	free(ob->cc4);
	free(ob->cc_v4);
	free(ob->sig);
	free(ob->ev_scratch);
	free(ob->gaps);
	rib_free(ob->rib);
	free(ob);
}

struct rib *
obs_rib(struct obs *ob)
{
	return ob->rib;
}

void
obs_stats(const struct obs *ob, struct obs_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->elems = ob->elems;
	st->bins = ob->bins;
	st->events = ob->next_event_id;
	st->signals = ob->signals;
	st->entities = ob->nents;
	rib_stats(ob->rib, &st->rib);
	st->bytes_obs = (uint64_t)ob->cap_opfx * sizeof(struct opfx) +
	                (uint64_t)ob->cap_ents * sizeof(struct ent) +
	                (uint64_t)ob->cap_pup * sizeof(struct path_up);
	for (uint32_t i = 0; i < ob->nents; i++)
		st->bytes_obs += (uint64_t)ob->ents[i].capmem * 4 +
		                 det_memory(&ob->ents[i]);
}
