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
	uint32_t lo = 0, hi = e->nmem, cap0 = e->capmem;
	if (vg_grow((void **)&e->mem, &e->capmem, e->nmem + 1, sizeof(uint32_t)) < 0)
		return -1;
	ob->bytes_ents += (uint64_t)(e->capmem - cap0) * 4;
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
	ent_wake(ob, ent);
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
			ent_wake(ob, ent);
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

static uint32_t path_org_ent(struct obs *ob, uint32_t path);

/* The cache entry of PATH, NULL if it cannot be had (out of memory). */
static struct path_up *
pup_get(struct obs *ob, uint32_t path)
{
	if (path >= ob->cap_pup) {
		uint32_t need = rib_path_capacity(ob->rib) + 1;
		if (need <= path)
			need = path + 1;
		if (vg_grow((void **)&ob->pup, &ob->cap_pup, need, sizeof(*ob->pup)) < 0)
			return NULL;
	}
	return &ob->pup[path];
}

/* rib_on_path_free: the id may go to a new path; forget what it was. */
static void
pup_forget(void *ctx, uint32_t path)
{
	struct obs *ob = ctx;
	if (path < ob->cap_pup)
		memset(&ob->pup[path], 0, sizeof(ob->pup[path]));
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
	/* the entry is set up (org_ent not 0) by path_org_ent */
	path_org_ent(ob, path);
	struct path_up *pu = path < ob->cap_pup && ob->pup[path].org_ent
	                         ? &ob->pup[path] : NULL;
	if (pu && pu->cc == cc)
		return pu->up;
	asn = rib_path_asns(ob->rib, path, &n);
	uint32_t up = 0;
	for (uint32_t i = n; i-- > 1;) {
		geo_cc c = geo_asn_country(ob->geo, asn[i]);
		if (c != cc) {
			up = asn[i];
			break;
		}
	}
	if (pu) {
		pu->cc = cc;
		pu->up = up;
		pu->up_ent = 0;
	}
	return up;
}

/* The origin entity of PATH (cached per path), UINT32_MAX if none. */
static uint32_t
path_org_ent(struct obs *ob, uint32_t path)
{
	struct path_up *pu = path < ob->cap_pup ? &ob->pup[path] : NULL;
	if (pu && pu->org_ent)
		return pu->org_ent == PUP_NONE ? UINT32_MAX : pu->org_ent - 1;
	if ((pu = pup_get(ob, path)) == NULL)
		return UINT32_MAX;
	uint32_t origin = rib_path_origin(ob->rib, path);
	if (!origin || !ob->o.asn_entities) {
		pu->org_ent = PUP_NONE;
		pu->cc = PUP_NO_CC;
		return UINT32_MAX;
	}
	uint32_t id = obs_ent(ob, VG_ENT_ASN, 0, origin);
	if (id == UINT32_MAX)
		return UINT32_MAX; /* out of memory: nothing kept */
	/* a new path here: its upstream is not known yet */
	pu->org_ent = id + 1;
	pu->cc = PUP_NO_CC;
	pu->up = 0;
	pu->up_ent = 0;
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
	if (pu && pu->cc == cc && pu->up_ent)
		return pu->up_ent - 1;
	uint32_t id = obs_ent(ob, VG_ENT_UPSTREAM, cc, up);
	if (pu && id != UINT32_MAX && pu->cc == cc)
		pu->up_ent = id + 1;
	return id;
}

#define CNT_ANN 0x01
#define CNT_WD 0x02
#define CNT_PC 0x04
#define CNT_FLAPS 0x08
#define CNT_FLAP_EVENTS 0x10
#define CNT_UNSTABLE 0x20

/* Mark (prefix PFX, entity ENT) with BITS (VGP_FLAPPED, VGP_UNSTABLE) in
 * this bin's set; returns the bits that were not set before. */
static unsigned
fset_add(struct obs *ob, uint32_t pfx, uint32_t ent, unsigned bits)
{
	uint64_t key = ((uint64_t)pfx << 32 | ent) + 1;
	if (ob->fset == NULL || (ob->nfset + 1) * 10u > (ob->fset_mask + 1) * 7u) {
		uint32_t nslots = ob->fset ? (ob->fset_mask + 1) * 2 : 1024;
		struct fset_slot *ns = calloc(nslots, sizeof(*ns));
		if (ns == NULL)
			return 0;
		for (uint32_t i = 0; ob->fset && i <= ob->fset_mask; i++) {
			if (ob->fset[i].key == 0)
				continue;
			uint32_t h = (uint32_t)vg_mix64(ob->fset[i].key) & (nslots - 1);
			while (ns[h].key)
				h = (h + 1) & (nslots - 1);
			ns[h] = ob->fset[i];
		}
		free(ob->fset);
		ob->fset = ns;
		ob->fset_mask = nslots - 1;
	}
	uint32_t h = (uint32_t)vg_mix64(key) & ob->fset_mask;
	while (ob->fset[h].key && ob->fset[h].key != key)
		h = (h + 1) & ob->fset_mask;
	if (ob->fset[h].key == 0) {
		ob->fset[h].key = key;
		ob->nfset++;
	}
	unsigned fresh = bits & ~ob->fset[h].bits;
	ob->fset[h].bits |= (uint8_t)bits;
	return fresh;
}

static void
fset_clear(struct obs *ob)
{
	if (ob->nfset)
		memset(ob->fset, 0, (ob->fset_mask + 1) * sizeof(*ob->fset));
	ob->nfset = 0;
}

/* Add one to the counters in FIELDS (CNT_*) of every entity prefix ID
 * counts for, with the origin/upstream taken from PATH.  Flaps and
 * unstable prefixes count once per (prefix, entity) and bin. */
static void
count_event(struct obs *ob, uint32_t id, struct opfx *o, uint32_t path,
            unsigned fields)
{
	uint32_t seen[OBS_MAX_CC * 2 + 2];
	unsigned nseen = 0;
	unsigned bits = ((fields & CNT_FLAPS) ? VGP_FLAPPED : 0) |
	                ((fields & CNT_UNSTABLE) ? VGP_UNSTABLE : 0);

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
		e->flap_events += (fields & CNT_FLAP_EVENTS) != 0;
		if (bits) {
			unsigned fresh = fset_add(ob, id, seen[i], bits);
			e->flaps += (fresh & VGP_FLAPPED) != 0;
			e->unstable += (fresh & VGP_UNSTABLE) != 0;
		}
		e->active = 1;
		e->touched = 1;
		ent_wake(ob, seen[i]);
	}
}

static void advance(struct obs *ob, uint32_t t);

/* Apply element E; HINT, if not NULL, holds its hashes (rib_prefetch). */
static int
elem_now(struct obs *ob, const char *collector, const struct vg_elem *e,
         const struct rib_hint *hint)
{
	struct rib_change_info ci;
	int peer;

	if (e->time_sec >= ob->bin_end)
		advance(ob, e->time_sec);
	if (e->type == VG_ELEM_EOR) {
		int id = rib_peer_id(ob->rib, collector, &e->peer_addr,
		                     e->peer_asn);
		if (id < 0)
			return -1;
		/* stale routes not refreshed go now, not at the grace
		 * timer (RFC 4724 4.2) */
		if (e->prefix.safi == VG_SAFI_UNICAST)
			rib_peer_eor(ob->rib, (unsigned)id, e->prefix.afi);
		return 0;
	}
	ob->elems++;
	/* the peer, through a small cache: a RIB record cycles through its
	 * peers, an UPDATE's elements share one */
	uint64_t a0, a1;
	memcpy(&a0, e->peer_addr.addr, 8);
	memcpy(&a1, e->peer_addr.addr + 8, 8);
	struct peer_cache *pc =
	    &ob->pcache[vg_mix64(a0 ^ vg_mix64(a1 ^ e->peer_asn)) & 63];
	if (pc->peer >= 0 && pc->asn == e->peer_asn &&
	    pc->addr.afi == e->peer_addr.afi &&
	    memcmp(pc->addr.addr, e->peer_addr.addr, 16) == 0 &&
	    strcmp(pc->coll, collector) == 0) {
		peer = pc->peer;
	} else {
		peer = rib_peer_id(ob->rib, collector, &e->peer_addr,
		                   e->peer_asn);
		if (peer < 0)
			return -1;
		size_t cl = strnlen(collector, sizeof(pc->coll) - 1);
		memcpy(pc->coll, collector, cl);
		pc->coll[cl] = '\0';
		pc->addr = e->peer_addr;
		pc->asn = e->peer_asn;
		pc->peer = peer;
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
	if (rib_apply_h(ob->rib, (unsigned)peer, e, ob->o.bin_len, &ci,
	                hint) < 0)
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
	if (ci.flap)
		fields |= CNT_FLAP_EVENTS | CNT_FLAPS;
	/* a prefix is unstable in a bin once per entity, however many
	 * peers */
	if (ci.flap || ci.change == RIB_PATH)
		fields |= CNT_UNSTABLE;
	if (fields)
		count_event(ob, ci.pfx, o, path, fields);
	/* partial runs list the prefixes announced or withdrawn in the bin
	 * (instability evidence) */
	if (ob->mode == OBS_PARTIAL && o->touch_bin != ob->bin_index + 1 &&
	    e->time_sec + ob->o.bin_len >= ob->bin_end &&
	    (ci.change == RIB_WD || e->type == VG_ELEM_ANNOUNCE)) {
		if (vg_grow((void **)&ob->touched, &ob->cap_touched,
		            ob->ntouched + 1, sizeof(uint32_t)) < 0)
			return -1;
		o->touch_bin = ob->bin_index + 1;
		ob->touched[ob->ntouched++] = ci.pfx;
	}
	return 0;
}

/* ---- lookahead --------------------------------------------------------- */

int
obs_set_lookahead(struct obs *ob, int on)
{
	obs_flush(ob);
	if (!on) {
		free(ob->ahead);
		ob->ahead = NULL;
		return 0;
	}
	if (ob->ahead == NULL &&
	    (ob->ahead = calloc(OBS_AHEAD, sizeof(*ob->ahead))) == NULL)
		return -1;
	return 0;
}

/* Apply the oldest held element.  Its prefetch is done: what is left of
 * its lookup hits the cache. */
static int
ahead_apply(struct obs *ob)
{
	struct obs_ahead *a = &ob->ahead[ob->ahead_head];
	ob->ahead_head = (ob->ahead_head + 1) % OBS_AHEAD;
	ob->ahead_n--;
	if (elem_now(ob, a->coll, &a->e, &a->hint) < 0) {
		ob->ahead_err = 1; /* told by the next obs_elem */
		return -1;
	}
	return 0;
}

void
obs_flush(struct obs *ob)
{
	while (ob->ahead_n > 0)
		ahead_apply(ob);
}

/* The held element K places back from the newest (0 the newest), or NULL. */
static struct obs_ahead *
ahead_back(struct obs *ob, unsigned k)
{
	if (k >= ob->ahead_n)
		return NULL;
	return &ob->ahead[(ob->ahead_head + ob->ahead_n - 1 - k) % OBS_AHEAD];
}

/* Stage STAGE of rib_prefetch for held element A (a withdrawal has no
 * path to look up). */
static void
ahead_fetch(struct obs *ob, struct obs_ahead *a, int stage)
{
	rib_prefetch(ob->rib, &a->e.prefix,
	             a->e.type == VG_ELEM_WITHDRAW ? NULL : a->e.path, &a->hint,
	             stage);
}

/* Hold a copy of route element E; 0 if it cannot be held (a long path,
 * a long collector name): the caller applies it at once. */
static int
ahead_hold(struct obs *ob, const char *collector, const struct vg_elem *e)
{
	const struct bgp_path *bp = e->path;
	size_t cl = strlen(collector);
	if (cl >= sizeof(ob->ahead[0].coll) ||
	    (bp && (bp->nasn > OBS_AHEAD_ASNS || bp->nseg > OBS_AHEAD_SEGS)))
		return 0;
	struct obs_ahead *a =
	    &ob->ahead[(ob->ahead_head + ob->ahead_n) % OBS_AHEAD];
	a->e = *e;
	a->e.source = NULL; /* the producer's record is gone by then */
	memcpy(a->coll, collector, cl + 1);
	if (bp) {
		memcpy(a->asn, bp->asn, bp->nasn * sizeof(uint32_t));
		memcpy(a->seg_len, bp->seg_len, bp->nseg * sizeof(uint32_t));
		memcpy(a->seg_type, bp->seg_type, bp->nseg);
		memset(&a->path, 0, sizeof(a->path));
		a->path.asn = a->asn;
		a->path.seg_len = a->seg_len;
		a->path.seg_type = a->seg_type;
		a->path.nasn = bp->nasn;
		a->path.nseg = bp->nseg;
		a->e.path = &a->path;
	}
	ob->ahead_n++;
	/* the stages, a few elements apart: by the time an element is
	 * applied, its slots, prefix, path, routes and side-table entries
	 * have been on their way for several elements' time */
	ahead_fetch(ob, a, 0);
	struct obs_ahead *b = ahead_back(ob, 5);
	if (b)
		ahead_fetch(ob, b, 1);
	b = ahead_back(ob, 10);
	if (b) {
		ahead_fetch(ob, b, 2);
		if (b->hint.pfx < ob->cap_opfx)
			__builtin_prefetch(&ob->opfx[b->hint.pfx]);
		if (b->hint.path < ob->cap_pup)
			__builtin_prefetch(&ob->pup[b->hint.path]);
	}
	return 1;
}

int
obs_elem(struct obs *ob, const char *collector, const struct vg_elem *e)
{
	int rc = 0;
	if (ob->ahead == NULL)
		return elem_now(ob, collector, e, NULL);
	if (ob->ahead_err) {
		/* a held element failed (out of memory) while being
		 * applied by a call that could not say so */
		ob->ahead_err = 0;
		rc = -1;
	}
	/* route elements are held; anything else (session states,
	 * End-of-RIB) waits for them */
	if ((e->type == VG_ELEM_ANNOUNCE || e->type == VG_ELEM_WITHDRAW ||
	     e->type == VG_ELEM_RIB) && ahead_hold(ob, collector, e)) {
		if (ob->ahead_n == OBS_AHEAD && ahead_apply(ob) < 0) {
			ob->ahead_err = 0; /* said now */
			rc = -1;
		}
		return rc;
	}
	while (ob->ahead_n > 0)
		if (ahead_apply(ob) < 0)
			rc = -1;
	ob->ahead_err = 0; /* said now */
	return elem_now(ob, collector, e, NULL) < 0 ? -1 : rc;
}

void
obs_dump_begin(struct obs *ob, const char *collector)
{
	obs_flush(ob);
	rib_dump_begin(ob->rib, collector);
}

void
obs_dump_end(struct obs *ob, const char *collector)
{
	obs_flush(ob);
	rib_dump_end(ob->rib, collector);
}

/* ---- bin end: memberships and visibility ------------------------------- */

/* Keep the OBS_MAX_MEMB smallest entity keys in KEYS (sorted, distinct):
 * the memberships of a prefix do not depend on the order routes are
 * seen in, and the smallest keys of a union are the smallest of the
 * parts' smallest keys. */
static void
memb_keep(uint64_t *keys, uint32_t *ids, unsigned *n, uint64_t k, uint32_t id)
{
	unsigned i;
	for (i = 0; i < *n; i++) {
		if (keys[i] == k)
			return;
		if (keys[i] > k)
			break;
	}
	if (i == OBS_MAX_MEMB)
		return;
	unsigned last = *n < OBS_MAX_MEMB ? *n : OBS_MAX_MEMB - 1;
	memmove(&keys[i + 1], &keys[i], (last - i) * sizeof(*keys));
	keys[i] = k;
	if (ids) {
		memmove(&ids[i + 1], &ids[i], (last - i) * sizeof(*ids));
		ids[i] = id;
	}
	if (*n < OBS_MAX_MEMB)
		(*n)++;
}

/* Peers ranked in the canonical order (collector, address, AS), brought
 * up to date when peers were added. */
static const uint32_t *
peer_ranks(struct obs *ob)
{
	unsigned np = rib_npeers(ob->rib);
	if (np == ob->nprank)
		return ob->prank;
	uint32_t *ids = malloc(np * sizeof(uint32_t));
	uint32_t *rk = realloc(ob->prank, np * sizeof(uint32_t));
	if (ids == NULL || rk == NULL) {
		free(ids);
		if (rk)
			ob->prank = rk;
		return NULL;
	}
	ob->prank = rk;
	/* insertion sort: peers are few and arrive mostly in order */
	for (unsigned i = 0; i < np; i++) {
		unsigned j = i;
		while (j > 0 && rib_peer_cmp(rib_peer(ob->rib, ids[j - 1]),
		                             rib_peer(ob->rib, i)) > 0) {
			ids[j] = ids[j - 1];
			j--;
		}
		ids[j] = i;
	}
	for (unsigned i = 0; i < np; i++)
		rk[ids[i]] = i;
	free(ids);
	ob->nprank = np;
	return rk;
}

/* What the routes held for one prefix say, independent of their order:
 * whether any is held, the smallest origin/upstream membership keys, and
 * the sample route (the first counting route in peer order, else the
 * first route). */
struct pfx_local {
	unsigned present;
	unsigned nmemb;
	uint64_t memb[OBS_MAX_MEMB];
	uint32_t memb_ent[OBS_MAX_MEMB];
	uint32_t sample;      /* path */
	int sample_peer;      /* rib peer id, -1 none */
	int sample_counts;
};

/* The sample route of prefix X into L (present, sample, sample_peer,
 * sample_counts): the first counting route in peer order, else the first
 * route.  Which routes count depends on the full-feed peers up; the
 * memberships (pfx_local) do not. */
static void
pfx_sample(struct obs *ob, const struct rib_pfx *x, struct pfx_local *L)
{
	const uint32_t *rank = peer_ranks(ob);
	int best_c = -1, best_a = -1;
	uint32_t rk_c = UINT32_MAX, rk_a = UINT32_MAX;

	for (unsigned i = 0; i < x->nroutes; i++) {
		const struct rib_route *rt = &x->routes[i];
		uint32_t rk = rank ? rank[rt->peer] : rt->peer;
		if (rk < rk_c && rib_route_counts(ob->rib, rt, x->p.afi)) {
			best_c = (int)i;
			rk_c = rk;
		}
		if (rk < rk_a) {
			best_a = (int)i;
			rk_a = rk;
		}
	}
	int best = best_c >= 0 ? best_c : best_a;
	L->present = x->nroutes;
	L->sample = best >= 0 ? x->routes[best].path : 0;
	L->sample_peer = best >= 0 ? x->routes[best].peer : -1;
	L->sample_counts = best_c >= 0;
}

/* Everything the routes of prefix ID say (struct pfx_local). */
static void
pfx_local(struct obs *ob, uint32_t id, struct opfx *o, struct pfx_local *L)
{
	struct rib_pfx *x = rib_pfx(ob->rib, id);

	pfx_sample(ob, x, L);
	L->nmemb = 0;
	for (unsigned i = 0; i < x->nroutes; i++) {
		const struct rib_route *rt = &x->routes[i];
		/* consecutive routes mostly share a path */
		if (i > 0 && rt->path == x->routes[i - 1].path)
			continue;
		uint32_t e = path_org_ent(ob, rt->path);
		if (e != UINT32_MAX)
			memb_keep(L->memb, L->memb_ent, &L->nmemb, ob->ents[e].key, e);
		for (unsigned c = 0; c < o->ncc; c++) {
			e = path_up_ent(ob, rt->path, o->cc[c]);
			if (e != UINT32_MAX)
				memb_keep(L->memb, L->memb_ent, &L->nmemb,
				          ob->ents[e].key, e);
		}
	}
}

static uint32_t
ent_of_key(struct obs *ob, uint64_t key)
{
	return obs_ent(ob, (unsigned)(key >> 48), (geo_cc)(key >> 32),
	               (uint32_t)key);
}

/* Make SAMPLE (non-zero) the sample path of prefix O, moving its country
 * origin count if the origin changes. */
static void
apply_sample(struct obs *ob, struct opfx *o, uint32_t sample)
{
	if (sample == o->sample_path)
		return;
	int counted = o->counted_origin != 0;
	if (counted && rib_path_origin(ob->rib, sample) != o->counted_origin)
		count_for_countries(ob, o, -1);
	else
		counted = 0;
	rib_path_ref(ob->rib, sample);
	rib_path_unref(ob->rib, o->sample_path);
	o->sample_path = sample;
	if (counted)
		count_for_countries(ob, o, +1);
}

/* Set the origin and upstream memberships of prefix ID to the entities
 * of KEYS and its sample path to SAMPLE (a peer that is down keeps its
 * routes: a session drop moves no prefix between entities); with no
 * route held at all (!PRESENT), keep the old ones so a vanished prefix
 * stays a member of what it belonged to. */
static void
apply_membership(struct obs *ob, uint32_t id, struct opfx *o,
                 unsigned present, const uint32_t *want, unsigned nwant,
                 uint32_t sample)
{
	if (!present)
		return;
	if (sample)
		apply_sample(ob, o, sample);
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

/* Re-derive the memberships and sample path of prefix ID from every route
 * held. */
static void
update_membership(struct obs *ob, uint32_t id, struct opfx *o)
{
	struct pfx_local L;
	pfx_local(ob, id, o, &L);
	apply_membership(ob, id, o, L.present, L.memb_ent, L.nmemb, L.sample);
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
		/* its counts move: recount it (a sample route's new origin
		 * moves them with no prefix changing visibility) */
		e->dirty = 1;
		ent_wake(ob, o->cc_ent[i]);
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
		if (o->cc_ent[i] != UINT32_MAX) {
			ob->ents[o->cc_ent[i]].dirty = 1;
			ent_wake(ob, o->cc_ent[i]);
		}
	for (unsigned i = 0; i < o->nmemb; i++) {
		ob->ents[o->memb[i]].dirty = 1;
		ent_wake(ob, o->memb[i]);
	}
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
		if (i + 8 < e->nmem) { /* members are scattered: fetch ahead */
			__builtin_prefetch(rib_pfx(ob->rib, e->mem[i + 8]));
			__builtin_prefetch(&ob->opfx[e->mem[i + 8]]);
		}
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
			/* distinct origins, by a stamp per AS entity (found
			 * through the path's cache if it has it) */
			uint32_t sp = o->sample_path, oe = UINT32_MAX, org = 1;
			const struct path_up *pu =
			    sp < ob->cap_pup ? &ob->pup[sp] : NULL;
			if (pu && pu->org_ent && pu->org_ent != PUP_NONE)
				oe = pu->org_ent - 1;
			else if ((org = rib_path_origin(ob->rib, sp)) != 0)
				oe = obs_ent_find(ob, VG_ENT_ASN, 0, org);
			if (oe != UINT32_MAX) {
				if (ob->ents[oe].stamp != ob->stamp) {
					ob->ents[oe].stamp = ob->stamp;
					norig++;
				}
			} else if (org) {
				norig++;
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

/* Prefix ID's visibility was recomputed (CHANGED: it flipped) in the bin
 * that started at BIN_START: keep the address-space and origin counts. */
static void
pfx_settle(struct obs *ob, uint32_t id, struct opfx *o, int changed,
           uint32_t bin_start)
{
	if (!changed)
		return;
	struct rib_pfx *x = rib_pfx(ob->rib, id);
	int vis = (x->flags & RIB_PFX_VISIBLE) != 0;
	cover4(ob, x, vis ? 1 : -1);
	count_for_countries(ob, o, vis ? 1 : -1);
	mark_members_dirty(ob, o);
	if (vis)
		o->last_visible = ob->bin_end;
	else
		o->lost_at = bin_start;
}

/* The dirty prefixes are scattered through memory: fetch what the ones
 * after I will need ahead, in stages (the prefix, then its routes, then
 * their paths' cache entries), so the misses overlap. */
static void
dirty_prefetch(struct obs *ob, const uint32_t *ids, size_t n, size_t i)
{
	if (i + 8 < n) {
		__builtin_prefetch(rib_pfx(ob->rib, ids[i + 8]));
		if (ids[i + 8] < ob->cap_opfx)
			__builtin_prefetch(&ob->opfx[ids[i + 8]]);
	}
	if (i + 4 < n)
		__builtin_prefetch(rib_pfx(ob->rib, ids[i + 4])->routes);
	if (i + 2 < n) {
		const struct rib_pfx *x = rib_pfx(ob->rib, ids[i + 2]);
		for (unsigned k = 0; k < x->nroutes && k < 16; k++)
			if (x->routes[k].path < ob->cap_pup)
				__builtin_prefetch(&ob->pup[x->routes[k].path]);
	}
}

/* The full-feed peers up changed: recompute the visibility of every
 * prefix.  Those whose routes changed too (dirty, or changed unlisted)
 * are re-derived in full; for the others only which routes count
 * changed, so of what pfx_local derives only the sample route can
 * differ, and the memberships stay. */
static void
sweep_all(struct obs *ob, uint32_t bin_start)
{
	uint32_t np = rib_npfx(ob->rib);
	for (uint32_t id = 0; id < np; id++) {
		struct rib_pfx *x = rib_pfx(ob->rib, id);
		if (id + 4 < np)
			__builtin_prefetch(rib_pfx(ob->rib, id + 4)->routes);
		struct opfx *o = opfx_get(ob, id);
		if (o == NULL)
			continue;
		int routes_changed = x->flags & (RIB_PFX_DIRTY | RIB_PFX_UNLISTED);
		int changed = rib_recompute(ob->rib, id); /* clears those */
		if (routes_changed) {
			update_membership(ob, id, o);
		} else if (x->nroutes) {
			struct pfx_local L;
			pfx_sample(ob, x, &L);
			apply_sample(ob, o, L.sample);
		}
		pfx_settle(ob, id, o, changed, bin_start);
	}
}

static void partial_close(struct obs *ob, uint32_t bin_start);
static void merge_prefixes(struct obs *ob, uint32_t bin_start);

static void
close_bin(struct obs *ob)
{
	const uint32_t *ids;
	size_t n;
	uint32_t bin_start = ob->bin_end - ob->o.bin_len;

	if (ob->mode == OBS_PARTIAL) {
		partial_close(ob, bin_start);
		goto next;
	}
	if (ob->mode == OBS_MERGE) {
		merge_prefixes(ob, bin_start);
	} else {
		rib_expire_stale(ob->rib, ob->bin_end);
		/* full-feed peers changed: sweep every prefix (sweep_all),
		 * or with --eager the plain way, every prefix listed dirty */
		int sweep = 0;
		if (ob->o.eager)
			rib_update_full_feed(ob->rib);
		else
			sweep = rib_check_full_feed(ob->rib);
		rib_take_dirty(ob->rib, &ids, &n);
		if (sweep) {
			sweep_all(ob, bin_start);
		} else {
			for (size_t i = 0; i < n; i++) {
				uint32_t id = ids[i];
				dirty_prefetch(ob, ids, n, i);
				struct opfx *o = opfx_get(ob, id);
				if (o == NULL)
					continue;
				int changed = rib_recompute(ob->rib, id);
				update_membership(ob, id, o);
				pfx_settle(ob, id, o, changed, bin_start);
			}
		}
		/* the list memory was the rib's; it refills from now on */
	}

	if (ob->order_dirty &&
	    vg_grow((void **)&ob->order, &ob->cap_order, ob->nents * 2,
	         sizeof(uint32_t)) == 0) {
		/* sort the new entities and merge them into the order */
		uint32_t old = ob->norder, add = ob->nents - old;
		uint32_t *tmp = ob->order + ob->nents;
		for (uint32_t x = 0; x < add; x++)
			tmp[x] = old + x;
		qsort_r(tmp, add, sizeof(uint32_t), ent_order_cmp, ob);
		/* from the back: each new one goes after the old ones with a
		 * smaller key, found by binary search (a few new entities
		 * among many old ones: no walk over all the old keys) */
		uint32_t end = old, k = ob->nents;
		for (uint32_t j = add; j-- > 0;) {
			uint64_t key = ob->ents[tmp[j]].key;
			uint32_t lo = 0, hi = end;
			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;
				if (ob->ents[ob->order[mid]].key < key)
					lo = mid + 1;
				else
					hi = mid;
			}
			memmove(&ob->order[k - (end - lo)], &ob->order[lo],
			        (end - lo) * sizeof(uint32_t));
			k -= end - lo;
			end = lo;
			ob->order[--k] = tmp[j];
		}
		ob->norder = ob->nents;
		ob->order_dirty = 0;
	}

	/* Idle entities are parked and skipped (their detectors catch up
	 * when next looked at), except in keyframe bins, where every entity
	 * gets a row.  What each bin was for the detectors (judged or not,
	 * per family) is kept for the catching up. */
	int keyframe = det_keyframe(ob, bin_start);
	int lazy = !ob->o.eager &&
	           vg_grow((void **)&ob->nojudge, &ob->cap_nojudge,
	                   ob->bin_index + 1, 1) == 0;
	if (lazy) {
		int gap = obs_in_gap(ob, bin_start, bin_start + ob->o.bin_len);
		ob->nojudge[ob->bin_index] =
		    (uint8_t)((gap || obs_full_asns(ob, VG_AFI_IP4) == 0) |
		              (gap || obs_full_asns(ob, VG_AFI_IP6) == 0) << 1);
	}
	if (ob->cap_parked < ob->nents) {
		uint32_t old = ob->cap_parked;
		if (vg_grow((void **)&ob->parked, &ob->cap_parked, ob->nents, 1) == 0)
			memset(ob->parked + old, 0, ob->cap_parked - old);
		else
			lazy = 0;
	}
	if (!lazy) /* out of memory: look at every entity */
		for (uint32_t i = 0; i < ob->cap_parked; i++)
			ob->parked[i] = 0;

	/* the entities to look at, in key order (not memory order): listed
	 * first, so the ones a few places ahead (and their detector state)
	 * can be fetched while one is worked on */
	const uint32_t *visit = ob->order;
	uint32_t nvisit = ob->norder;
	if (!keyframe && vg_grow((void **)&ob->visit, &ob->cap_visit,
	                         ob->norder, sizeof(uint32_t)) == 0) {
		nvisit = 0;
		for (uint32_t k = 0; k < ob->norder; k++) {
			uint32_t ei = ob->order[k];
			if (ei >= ob->cap_parked || !ob->parked[ei])
				ob->visit[nvisit++] = ei;
		}
		visit = ob->visit;
	}
	/* (else every entity: a keyframe, or out of memory, which is like
	 * --eager for this bin) */
	ob->nsig = 0;
	for (uint32_t k = 0; k < nvisit; k++) {
		uint32_t ei = visit[k];
		struct ent *e = &ob->ents[ei];
		if (k + 8 < nvisit) {
			const char *n8 = (const char *)&ob->ents[visit[k + 8]];
			__builtin_prefetch(n8);
			__builtin_prefetch(n8 + 64);
			__builtin_prefetch(n8 + 128);
		}
		if (k + 4 < nvisit && ob->ents[visit[k + 4]].det)
			__builtin_prefetch(ob->ents[visit[k + 4]].det);
		if (e->dirty)
			recount(ob, e);
		if (!e->active)
			continue;
		det_catch_up(ob, ei, ob->bin_index);
		det_bin(ob, ei, bin_start);
		e->ann = e->wd = e->pc = e->flaps = e->flap_events = 0;
		e->unstable = 0;
		e->touched = 0;
		e->changed = 0;
		if (ei < ob->cap_parked)
			ob->parked[ei] = lazy && det_park(ob, ei, ob->bin_index + 1);
	}
	if (ob->sink.signals && ob->nsig)
		ob->sink.signals(ob->sink.ctx, ob->sig, ob->nsig);
	ob->signals += ob->nsig;
next:
	fset_clear(ob);
	ob->bins++;
	ob->bin_index++;
	ob->bin_end += ob->o.bin_len;
}

/* ---- partial runs (docs/partials.md) ----------------------------------- */

static void
pw_put(struct obs *ob, const struct vgp_rec *r)
{
	if (vgp_write(ob->pw, r) < 0)
		ob->pw_err = 1;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Sort and deduplicate V[0..N); returns the new count. */
static uint32_t
sort_uniq(uint32_t *v, uint32_t n)
{
	uint32_t k = 0;
	qsort(v, n, sizeof(*v), u32_cmp);
	for (uint32_t i = 0; i < n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	return k;
}

static uint8_t *
be32_array(struct obs *ob, const uint32_t *v, uint32_t n, uint32_t at)
{
	/* scratch holds the ASNs; their big-endian copy goes after them */
	uint8_t *out = (uint8_t *)(ob->scratch + at);
	for (uint32_t i = 0; i < n; i++)
		vg_store_be32(out + 4 * i, v[i]);
	return out;
}

static int
scratch_room(struct obs *ob, uint32_t n)
{
	return vg_grow((void **)&ob->scratch, &ob->cap_scratch, n,
	               sizeof(uint32_t));
}

static uint64_t
hash_words(uint64_t h, const uint32_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		h = vg_mix64(h ^ v[i]);
	return h;
}

static void
partial_close(struct obs *ob, uint32_t bin_start)
{
	struct vgp_rec r;
	const uint32_t *ids;
	size_t n;
	unsigned np;

	memset(&r, 0, sizeof(r));
	r.type = VGP_BIN;
	r.bin_start = bin_start;
	pw_put(ob, &r);

	rib_expire_stale(ob->rib, ob->bin_end);
	rib_update_full_feed(ob->rib);

	/* new peers */
	np = rib_npeers(ob->rib);
	for (; ob->peers_sent < np; ob->peers_sent++) {
		const struct rib_peer *p = rib_peer(ob->rib, ob->peers_sent);
		memset(&r, 0, sizeof(r));
		r.type = VGP_PEER;
		r.peer = (uint16_t)ob->peers_sent;
		snprintf(r.collector, sizeof(r.collector), "%s", p->collector);
		r.addr = p->addr;
		r.asn = p->asn;
		pw_put(ob, &r);
	}
	if (scratch_room(ob, 2 * np + 2) < 0) {
		ob->pw_err = 1;
		return;
	}
	/* the full-feed up ASNs, per family, when they changed */
	for (unsigned afi = VG_AFI_IP4; afi <= VG_AFI_IP6; afi++) {
		uint32_t k = 0;
		for (unsigned i = 0; i < np; i++) {
			const struct rib_peer *p = rib_peer(ob->rib, i);
			if (p->up && (afi == VG_AFI_IP4 ? p->full_v4 : p->full_v6))
				ob->scratch[k++] = p->asn;
		}
		k = sort_uniq(ob->scratch, k);
		uint64_t h = hash_words(0x51ed27 + k, ob->scratch, k) | 1;
		if (h == ob->full_sent[afi])
			continue;
		ob->full_sent[afi] = h;
		memset(&r, 0, sizeof(r));
		r.type = VGP_FULL;
		r.afi = (uint8_t)afi;
		r.nasn = k;
		r.asns = be32_array(ob, ob->scratch, k, np + 1);
		pw_put(ob, &r);
	}

	/* prefixes whose routes changed: their summary, when it changed */
	rib_take_dirty(ob->rib, &ids, &n);
	for (size_t i = 0; i < n; i++) {
		uint32_t id = ids[i];
		struct opfx *o = opfx_get(ob, id);
		struct pfx_local L;
		if (o == NULL)
			continue;
		rib_recompute(ob->rib, id);
		pfx_local(ob, id, o, &L);
		struct rib_pfx *x = rib_pfx(ob->rib, id);
		if (scratch_room(ob, 2 * (uint32_t)x->nroutes + 2) < 0) {
			ob->pw_err = 1;
			return;
		}
		uint32_t k = 0;
		for (unsigned j = 0; j < x->nroutes; j++)
			if (rib_route_counts(ob->rib, &x->routes[j], x->p.afi))
				ob->scratch[k++] =
				    rib_peer(ob->rib, x->routes[j].peer)->asn;
		k = sort_uniq(ob->scratch, k);
		uint32_t pn = 0, ps = 0;
		const uint32_t *pw = L.sample_peer >= 0
		                         ? rib_path_raw(ob->rib, L.sample, &pn, &ps)
		                         : NULL;
		uint64_t h = hash_words(0x9e37 + k, ob->scratch, k);
		h = vg_mix64(h ^ ((uint64_t)L.present << 1 | (uint64_t)L.sample_counts));
		for (unsigned j = 0; j < L.nmemb; j++)
			h = vg_mix64(h ^ L.memb[j]);
		h = vg_mix64(h ^ (uint64_t)(L.sample_peer + 1) << 32 ^ pn << 16 ^ ps);
		h = hash_words(h, pw, pn + ps) | 1;
		if (o->psent && h == o->psum)
			continue;
		o->psent = 1;
		o->psum = h;
		memset(&r, 0, sizeof(r));
		r.type = VGP_PFX;
		r.prefix = x->p;
		r.flags = (uint8_t)((L.present ? VGP_PRESENT : 0) |
		                    (L.sample_counts ? VGP_COUNTS : 0) |
		                    (L.sample_peer >= 0 ? VGP_SAMPLE : 0));
		r.nasn = k;
		r.asns = be32_array(ob, ob->scratch, k, k);
		r.nmemb = (uint8_t)L.nmemb;
		memcpy(r.memb, L.memb, sizeof(r.memb));
		if (L.sample_peer >= 0) {
			uint8_t *pb = malloc(((size_t)pn + ps) * 4 + 1);
			if (pb == NULL) {
				ob->pw_err = 1;
				return;
			}
			for (uint32_t j = 0; j < pn + ps; j++)
				vg_store_be32(pb + 4 * j, pw[j]);
			r.sample_peer = (uint16_t)L.sample_peer;
			r.path_nasn = pn;
			r.path_nseg = ps;
			r.path = pb;
			pw_put(ob, &r);
			free(pb);
		} else {
			pw_put(ob, &r);
		}
	}

	/* additive counters */
	for (uint32_t i = 0; i < ob->nents; i++) {
		struct ent *e = &ob->ents[i];
		if (!e->touched)
			continue;
		memset(&r, 0, sizeof(r));
		r.type = VGP_CNT;
		r.ent = e->key;
		r.ann = e->ann;
		r.wd = e->wd;
		r.pc = e->pc;
		r.flap_events = e->flap_events;
		pw_put(ob, &r);
		e->ann = e->wd = e->pc = e->flaps = e->flap_events = 0;
		e->unstable = 0;
		e->touched = 0;
	}
	/* (prefix, entity) flaps and unstable prefixes */
	for (uint32_t i = 0; ob->nfset && i <= ob->fset_mask; i++) {
		if (ob->fset[i].key == 0)
			continue;
		uint64_t key = ob->fset[i].key - 1;
		memset(&r, 0, sizeof(r));
		r.type = VGP_FLAP;
		r.prefix = rib_pfx(ob->rib, (uint32_t)(key >> 32))->p;
		r.ent = ob->ents[(uint32_t)key].key;
		r.flags = ob->fset[i].bits;
		pw_put(ob, &r);
	}
	/* prefixes announced or withdrawn */
	for (uint32_t i = 0; i < ob->ntouched; i++) {
		memset(&r, 0, sizeof(r));
		r.type = VGP_TOUCH;
		r.prefix = rib_pfx(ob->rib, ob->touched[i])->p;
		pw_put(ob, &r);
	}
	ob->ntouched = 0;
}

int
obs_set_partial(struct obs *ob, struct vgp_writer *w)
{
	if (ob->started)
		return -1;
	ob->mode = OBS_PARTIAL;
	ob->pw = w;
	return 0;
}

int
obs_partial_error(const struct obs *ob)
{
	return ob->pw_err;
}

void
obs_partial_hdr(const struct obs *ob, struct vgp_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->version = VGP_VERSION;
	h->bin_len = ob->o.bin_len;
	h->full_v4 = ob->o.rib.full_v4;
	h->full_v6 = ob->o.rib.full_v6;
	h->stale_grace = ob->o.rib.stale_grace;
	h->visible_ratio = ob->o.rib.visible_ratio;
	h->min_len_v4 = ob->o.min_len_v4;
	h->min_len_v6 = ob->o.min_len_v6;
	h->asn_entities = (uint8_t)(ob->o.asn_entities != 0);
}

/* ---- merging partial runs ---------------------------------------------- */

unsigned
obs_full_asns(const struct obs *ob, unsigned afi)
{
	if (ob->mode == OBS_MERGE)
		return afi <= 2 ? ob->mdenom[afi] : 0;
	return rib_full_asns(ob->rib, afi);
}

int
obs_set_merge(struct obs *ob, unsigned nparts)
{
	if (ob->started || nparts == 0)
		return -1;
	ob->mparts = calloc(nparts, sizeof(*ob->mparts));
	if (ob->mparts == NULL)
		return -1;
	ob->nparts = nparts;
	ob->mode = OBS_MERGE;
	return 0;
}

int
obs_merge_bin(struct obs *ob, uint32_t bin_start)
{
	if (bin_start % ob->o.bin_len != 0)
		return -1;
	if (!ob->started) {
		if (bin_start > UINT32_MAX - 2 * ob->o.bin_len)
			return -1;
		ob->bin_end = bin_start + ob->o.bin_len;
		ob->started = 1;
		return 0;
	}
	if (bin_start + ob->o.bin_len < ob->bin_end)
		return -1; /* a bin already closed */
	if (bin_start > UINT32_MAX - 2 * ob->o.bin_len ||
	    (bin_start > ob->bin_end && bin_start - ob->bin_end > 366u * 86400))
		return -1; /* past 2106, or a gap of more than a year */
	obs_advance(ob, bin_start);
	return 0;
}

static void
merge_denominators(struct obs *ob)
{
	for (unsigned afi = VG_AFI_IP4; afi <= VG_AFI_IP6; afi++) {
		uint32_t tot = 0;
		for (uint32_t p = 0; p < ob->nparts; p++)
			tot += ob->mparts[p].nfull[afi];
		if (scratch_room(ob, tot + 1) < 0)
			return;
		uint32_t k = 0;
		for (uint32_t p = 0; p < ob->nparts; p++)
			for (uint32_t i = 0; i < ob->mparts[p].nfull[afi]; i++)
				ob->scratch[k++] = ob->mparts[p].full[afi][i];
		k = sort_uniq(ob->scratch, k);
		if (k != ob->mdenom[afi])
			ob->mdenom_changed = 1;
		ob->mdenom[afi] = k;
	}
}

/* Distinct ASNs seeing prefix ID across the partials. */
static unsigned
merge_seen(struct obs *ob, const struct mpfx *m)
{
	uint32_t tot = 0, k = 0;
	if (m->n == 1)
		return m->e[0].nasn;
	for (uint32_t i = 0; i < m->n; i++)
		tot += m->e[i].nasn;
	if (scratch_room(ob, tot + 1) < 0)
		return 0;
	for (uint32_t i = 0; i < m->n; i++)
		for (uint32_t j = 0; j < m->e[i].nasn; j++)
			ob->scratch[k++] = m->e[i].asns[j];
	return sort_uniq(ob->scratch, k);
}

static void
merge_membership(struct obs *ob, uint32_t id, struct opfx *o)
{
	const struct mpfx *m = &ob->mp[id];
	uint64_t keys[OBS_MAX_MEMB];
	unsigned nkeys = 0, present = 0;
	const struct mpart *best = NULL;

	for (uint32_t i = 0; i < m->n; i++) {
		const struct mpart *e = &m->e[i];
		present |= (e->flags & VGP_PRESENT) != 0;
		for (unsigned k = 0; k < e->nmemb; k++)
			memb_keep(keys, NULL, &nkeys, e->memb[k], 0);
		if (!(e->flags & VGP_SAMPLE) || !e->path)
			continue;
		int ec = (e->flags & VGP_COUNTS) != 0;
		int bc = best && (best->flags & VGP_COUNTS) != 0;
		if (best == NULL || ec > bc ||
		    (ec == bc && rib_peer_cmp(&ob->mpeers[e->peer],
		                              &ob->mpeers[best->peer]) < 0))
			best = e;
	}
	uint32_t want[OBS_MAX_MEMB];
	unsigned nwant = 0;
	for (unsigned k = 0; k < nkeys; k++) {
		uint32_t e = ent_of_key(ob, keys[k]);
		if (e != UINT32_MAX)
			want[nwant++] = e;
	}
	apply_membership(ob, id, o, present, want, nwant,
	                 best ? best->path : 0);
}

static void
merge_one(struct obs *ob, uint32_t id, uint32_t bin_start)
{
	struct opfx *o = opfx_get(ob, id);
	struct rib_pfx *x = rib_pfx(ob->rib, id);
	if (o == NULL)
		return;
	unsigned seen = id < ob->cap_mp ? merge_seen(ob, &ob->mp[id]) : 0;
	unsigned denom = ob->mdenom[x->p.afi <= 2 ? x->p.afi : 0];
	int was = (x->flags & RIB_PFX_VISIBLE) != 0;
	int now = rib_visible_rule(ob->rib, seen, denom);
	x->seen_asns = (uint16_t)seen;
	x->flags = (uint8_t)((x->flags & ~RIB_PFX_VISIBLE) |
	                     (now ? RIB_PFX_VISIBLE : 0));
	if (o->mdirty) {
		o->mdirty = 0;
		merge_membership(ob, id, o);
	}
	pfx_settle(ob, id, o, now != was, bin_start);
}

static void
merge_prefixes(struct obs *ob, uint32_t bin_start)
{
	if (ob->mdenom_changed) {
		/* the denominator moved: every prefix is re-evaluated, as a
		 * full-feed change makes the single process do */
		uint32_t np = rib_npfx(ob->rib);
		for (uint32_t id = 0; id < np; id++)
			merge_one(ob, id, bin_start);
		ob->mdenom_changed = 0;
	} else {
		for (uint32_t i = 0; i < ob->nmdirty; i++)
			merge_one(ob, ob->mdirty[i], bin_start);
	}
	ob->nmdirty = 0;
	rib_path_gc(ob->rib);
}

/* The merge index of peer LOCAL of partial PART; UINT32_MAX if unknown. */
static uint32_t
merge_peer(struct obs *ob, unsigned part, uint32_t local)
{
	struct mpmap *pm = &ob->mparts[part];
	if (local >= pm->cap || pm->g[local] == 0)
		return UINT32_MAX;
	return pm->g[local] - 1;
}

static int
merge_pfx(struct obs *ob, unsigned part, const struct vgp_rec *r)
{
	uint32_t id = rib_pfx_intern(ob->rib, &r->prefix);
	if (id == UINT32_MAX)
		return -1;
	struct opfx *o = opfx_get(ob, id);
	if (o == NULL)
		return -1;
	if (id >= ob->cap_mp &&
	    vg_grow((void **)&ob->mp, &ob->cap_mp, id + 1, sizeof(*ob->mp)) < 0)
		return -1;
	struct mpfx *m = &ob->mp[id];
	uint32_t i;
	for (i = 0; i < m->n; i++)
		if (m->e[i].part == part)
			break;
	if (i == m->n) {
		if (vg_grow((void **)&m->e, &m->cap, m->n + 1, sizeof(*m->e)) < 0)
			return -1;
		memset(&m->e[i], 0, sizeof(m->e[i]));
		m->e[i].part = (uint16_t)part;
		m->n++;
	}
	struct mpart *e = &m->e[i];
	uint32_t path = 0, peer = 0;
	if (r->flags & VGP_SAMPLE) {
		if (scratch_room(ob, r->path_nasn + r->path_nseg + 1) < 0)
			return -1;
		uint32_t *w = ob->scratch;
		for (uint32_t k = 0; k < r->path_nasn + r->path_nseg; k++)
			w[k] = vgp_u32_at(r->path, k);
		path = rib_path_intern_raw(ob->rib, w, r->path_nasn,
		                           w + r->path_nasn, r->path_nseg);
		peer = merge_peer(ob, part, r->sample_peer);
		if (path == 0 || peer == UINT32_MAX)
			return -2;
		rib_path_ref(ob->rib, path);
	}
	uint32_t *asns = NULL;
	if (r->nasn) {
		asns = malloc(r->nasn * sizeof(uint32_t));
		if (asns == NULL) {
			rib_path_unref(ob->rib, path);
			return -1;
		}
		for (uint32_t k = 0; k < r->nasn; k++)
			asns[k] = vgp_u32_at(r->asns, k);
	}
	rib_path_unref(ob->rib, e->path);
	free(e->asns);
	e->flags = r->flags;
	e->path = path;
	e->peer = peer;
	e->asns = asns;
	e->nasn = r->nasn > 1 ? sort_uniq(asns, r->nasn) : r->nasn;
	e->nmemb = r->nmemb;
	memcpy(e->memb, r->memb, sizeof(e->memb));
	if (!o->mdirty) {
		if (vg_grow((void **)&ob->mdirty, &ob->cap_mdirty, ob->nmdirty + 1,
		            sizeof(uint32_t)) < 0)
			return -1;
		o->mdirty = 1;
		ob->mdirty[ob->nmdirty++] = id;
	}
	return 0;
}

int
obs_merge_rec(struct obs *ob, unsigned part, const struct vgp_rec *r)
{
	struct mpmap *pm;
	uint32_t id, ei;
	struct opfx *o;

	if (ob->mode != OBS_MERGE || part >= ob->nparts || !ob->started)
		return -2;
	pm = &ob->mparts[part];
	switch (r->type) {
	case VGP_PEER: {
		uint32_t g;
		struct rib_peer key;
		memset(&key, 0, sizeof(key));
		snprintf(key.collector, sizeof(key.collector), "%s", r->collector);
		key.addr = r->addr;
		key.asn = r->asn;
		for (g = 0; g < ob->nmpeers; g++)
			if (rib_peer_cmp(&ob->mpeers[g], &key) == 0)
				break;
		if (g == ob->nmpeers) {
			if (vg_grow((void **)&ob->mpeers, &ob->cap_mpeers,
			            ob->nmpeers + 1, sizeof(*ob->mpeers)) < 0)
				return -1;
			ob->mpeers[ob->nmpeers++] = key;
		}
		if (r->peer >= pm->cap &&
		    vg_grow((void **)&pm->g, &pm->cap, r->peer + 1u,
		            sizeof(uint32_t)) < 0)
			return -1;
		pm->g[r->peer] = g + 1;
		return 0;
	}
	case VGP_FULL: {
		uint32_t *v = r->nasn ? malloc(r->nasn * sizeof(uint32_t)) : NULL;
		if (r->nasn && v == NULL)
			return -1;
		for (uint32_t k = 0; k < r->nasn; k++)
			v[k] = vgp_u32_at(r->asns, k);
		free(pm->full[r->afi]);
		pm->full[r->afi] = v;
		pm->nfull[r->afi] = r->nasn;
		merge_denominators(ob);
		return 0;
	}
	case VGP_PFX:
		return merge_pfx(ob, part, r);
	case VGP_CNT:
		ei = ent_of_key(ob, r->ent);
		if (ei == UINT32_MAX)
			return -1;
		ob->ents[ei].ann += r->ann;
		ob->ents[ei].wd += r->wd;
		ob->ents[ei].pc += r->pc;
		ob->ents[ei].flap_events += r->flap_events;
		ob->ents[ei].active = 1;
		ob->ents[ei].touched = 1;
		ent_wake(ob, ei);
		return 0;
	case VGP_FLAP: {
		id = rib_pfx_intern(ob->rib, &r->prefix);
		if (id == UINT32_MAX || (o = opfx_get(ob, id)) == NULL)
			return -1;
		ei = ent_of_key(ob, r->ent);
		if (ei == UINT32_MAX)
			return -1;
		unsigned fresh = fset_add(ob, id, ei, r->flags);
		ob->ents[ei].flaps += (fresh & VGP_FLAPPED) != 0;
		ob->ents[ei].unstable += (fresh & VGP_UNSTABLE) != 0;
		ob->ents[ei].active = 1;
		ob->ents[ei].touched = 1;
		ent_wake(ob, ei);
		return 0;
	}
	case VGP_TOUCH: {
		id = rib_pfx_intern(ob->rib, &r->prefix);
		if (id == UINT32_MAX || opfx_get(ob, id) == NULL)
			return -1;
		struct rib_pfx *x = rib_pfx(ob->rib, id);
		uint32_t bin_start = ob->bin_end - ob->o.bin_len;
		if (x->last_ann < bin_start)
			x->last_ann = bin_start;
		return 0;
	}
	default:
		return 0; /* BIN is the caller's, PEERSTATE the caller's */
	}
}

void
obs_advance(struct obs *ob, uint32_t t)
{
	obs_flush(ob);
	advance(ob, t);
}

/* Close every bin that ends at or before T (from inside: nothing held
 * is applied first). */
static void
advance(struct obs *ob, uint32_t t)
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
	obs_flush(ob);
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
	obs_flush(ob);
	if (!ob->started)
		return;
	close_bin(ob);
	if (ob->mode == OBS_PARTIAL)
		return;
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
	for (unsigned i = 0; i < 64; i++)
		ob->pcache[i].peer = -1;
	ob->rib = rib_new(&ob->o.rib);
	if (ob->rib)
		rib_on_path_free(ob->rib, pup_forget, ob);
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
	free(ob->fset);
	free(ob->prank);
	free(ob->touched);
	free(ob->scratch);
	for (uint32_t i = 0; i < ob->cap_mp; i++) {
		for (uint32_t j = 0; j < ob->mp[i].n; j++)
			free(ob->mp[i].e[j].asns);
		free(ob->mp[i].e);
	}
	free(ob->mp);
	for (uint32_t p = 0; p < ob->nparts; p++) {
		free(ob->mparts[p].g);
		for (unsigned a = 0; a < 3; a++)
			free(ob->mparts[p].full[a]);
	}
	free(ob->mparts);
	free(ob->mpeers);
	free(ob->mdirty);
	free(ob->ents);
	free(ob->ent_slots);
	free(ob->order);
	free(ob->opfx);
	free(ob->pup);
	free(ob->visit);
	free(ob->ahead);
	free(ob->iv4);
	free(ob->iv6);
	free(ob->cov4);
	free(ob->cc4);
	free(ob->cc_v4);
	free(ob->sig);
	free(ob->ev_scratch);
	free(ob->gaps);
	free(ob->parked);
	free(ob->nojudge);
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
	st->bytes_obs += ob->bytes_ents;
}
