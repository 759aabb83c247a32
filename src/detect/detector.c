/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The detectors, run for every entity at the end of every bin.
 *
 * Outage: the entity's visible address space (IPv4 /24s, or IPv6 /48s for
 * an IPv6-only entity) against its own recent history: the baseline is the
 * median of the last window_bins bins (after warmup_bins of history).  A
 * bin below (1 - outage_warning) x baseline starts a pending drop; after
 * min_bins such bins the outage opens, dated back to its first bin, with
 * the baseline frozen at its value before the drop.  The level is critical
 * once the loss reaches outage_critical.  The outage ends (restoration) in
 * the first bin back above (1 - outage_warning x restore_ratio) x baseline.
 * Depth is the largest fraction lost; severity = depth x duration in hours.
 * Small entities count: losing 1 of North Korea's 4 /24s is a 25% drop.
 *
 * Instability: per bin, the entity's unstable prefixes: those with a path
 * change or a flap (a route re-announced within a bin length of its
 * withdrawal, or withdrawn within one of its announcement), each counted
 * once however many peers saw it, so one prefix's path exploration across
 * forty peers is one, not a hundred.  A bin is flagged when at least
 * inst_min prefixes and inst_share of the entity's visible prefixes (it
 * must have some) are unstable,
 * more than twice the 95th percentile of its history, and its robust z
 * score (median, MAD floored at sqrt(median) as counts are Poisson-like)
 * reaches inst_score;
 * against the median and MAD of the same count over the window (a robust z
 * score, MAD floored at 1).  A bin with at least inst_min events and a
 * score of inst_score or more is flagged; flagged bins less than
 * inst_gap_bins apart form one episode (event).
 *
 * Medians are recomputed only when the window changed, and at most every
 * few bins otherwise, so an idle entity costs a few comparisons per bin.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect_impl.h"

#define RECOMPUTE_BINS 6
#define KEYFRAME_BINS 12

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double
median_u32(const uint32_t *v, uint32_t n, uint32_t *scratch)
{
	if (n == 0)
		return 0;
	memcpy(scratch, v, n * sizeof(uint32_t));
	qsort(scratch, n, sizeof(uint32_t), u32_cmp);
	if (n % 2)
		return scratch[n / 2];
	return (scratch[n / 2 - 1] + (double)scratch[n / 2]) / 2;
}

/*
 * Median, MAD and 95th percentile of small counts (all below 128) by
 * counting instead of sorting: instability counts are mostly 0..10.  The
 * counts are ZEROS zeros and the NV values at V.  Returns 0, or -1 if a
 * value is too large (the caller sorts instead).
 */
static int
small_stats(const uint32_t *v, uint32_t nv, uint32_t zeros, double *med,
            double *mad, double *p95)
{
	uint32_t cnt[256], dev[256], maxv = 0, n = nv + zeros;
	if (n == 0) {
		*med = *mad = *p95 = 0;
		return 0;
	}
	for (uint32_t i = 0; i < nv; i++)
		if (v[i] > maxv)
			maxv = v[i];
	if (maxv > 127)
		return -1;
	/* only the counters up to the largest value are used */
	memset(cnt, 0, (maxv + 1) * sizeof(cnt[0]));
	memset(dev, 0, (2 * maxv + 2) * sizeof(dev[0]));
	cnt[0] = zeros;
	for (uint32_t i = 0; i < nv; i++)
		cnt[v[i]]++;
	/* the k-th smallest value, 0-based */
#define KTH(arr, k, out)                                                    \
	do {                                                                \
		uint32_t acc_ = 0, kk_ = (k);                               \
		for (uint32_t x_ = 0; x_ < 2 * maxv + 2; x_++) {            \
			acc_ += (arr)[x_];                                  \
			if (acc_ > kk_) {                                   \
				(out) = x_;                                 \
				break;                                      \
			}                                                   \
		}                                                           \
	} while (0)
	uint32_t a = 0, b = 0, q = 0;
	KTH(cnt, (n - 1) / 2, a);
	KTH(cnt, n / 2, b);
	*med = (a + (double)b) / 2;
	KTH(cnt, (uint32_t)((n - 1) * 0.95 + 0.5), q);
	*p95 = q;
	/* deviations in half units, as mad_u32 does */
	for (uint32_t x = 0; x <= maxv; x++) {
		if (!cnt[x])
			continue;
		uint32_t d2 = (uint32_t)(fabs(x - *med) * 2 + 0.5);
		dev[d2] += cnt[x];
	}
	KTH(dev, (n - 1) / 2, a);
	KTH(dev, n / 2, b);
	*mad = (a + (double)b) / 4;
#undef KTH
	return 0;
}

/* The 95th percentile of the values median_u32 just sorted. */
static double
p95_sorted(const uint32_t *sorted, uint32_t n)
{
	return n ? sorted[(uint32_t)((n - 1) * 0.95 + 0.5)] : 0;
}

static double
mad_u32(const uint32_t *v, uint32_t n, double med, uint32_t *scratch)
{
	if (n == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		double d = fabs(v[i] - med);
		scratch[i] = (uint32_t)(d * 2 + 0.5); /* half-unit precision */
	}
	qsort(scratch, n, sizeof(uint32_t), u32_cmp);
	double m = n % 2 ? scratch[n / 2]
	                 : (scratch[n / 2 - 1] + (double)scratch[n / 2]) / 2;
	return m / 2;
}

static struct det *
det_get(struct obs *ob, struct ent *e)
{
	if (e->det)
		return e->det;
	/* the history's memory comes later, if ever (hist_make, inz_add) */
	struct det *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->win = ob->o.window_bins;
	d->use_v6 = e->v4 == 0 && e->v6 > 0;
	d->base = NAN;
	e->det = d;
	ob->bytes_ents += det_memory(e);
	return d;
}

void
det_free(struct ent *e)
{
	struct det *d = e->det;
	if (d == NULL)
		return;
	free(d->out.evidence);
	free(d->inst.evidence);
	free(d->hist);
	free(d->inzs);
	free(d);
	e->det = NULL;
}

uint64_t
det_memory(const struct ent *e)
{
	if (e->det == NULL)
		return 0;
	return sizeof(struct det) + (e->det->hist ? e->det->win * 4u : 0) +
	       e->det->cap_inz * sizeof(struct det_inz);
}

static void
emit_event(struct obs *ob, const struct vg_event *ev)
{
	if (ob->sink.event)
		ob->sink.event(ob->sink.ctx, ev);
}

/* ---- evidence ---------------------------------------------------------- */

static void
add_ev(struct vg_event *ev, uint32_t max, const struct vg_evidence *it)
{
	ev->n_evidence_total++;
	if (ev->n_evidence >= max)
		return;
	struct vg_evidence *n = realloc(ev->evidence,
	                                (ev->n_evidence + 1) * sizeof(*n));
	if (n == NULL)
		return;
	ev->evidence = n;
	ev->evidence[ev->n_evidence++] = *it;
}

static int
ev_has_asn(const struct vg_event *ev, uint8_t what, uint32_t asn)
{
	for (uint32_t i = 0; i < ev->n_evidence; i++)
		if (ev->evidence[i].what == what && ev->evidence[i].asn == asn)
			return 1;
	return 0;
}

/*
 * Evidence of an outage: the entity's member prefixes that are invisible
 * now and were lost since SINCE, each with its origin, the upstream it was
 * seen through and a sample path; then the distinct origins and upstreams.
 */
static void
outage_evidence(struct obs *ob, struct ent *e, struct vg_event *ev,
                uint32_t since)
{
	uint32_t max = ob->o.evidence_max;
	free(ev->evidence);
	ev->evidence = NULL;
	ev->n_evidence = ev->n_evidence_total = 0;

	/* prefixes first, in address order for stable output */
	uint32_t *lost = NULL, nlost = 0;
	for (uint32_t i = 0; i < e->nmem; i++) {
		uint32_t id = e->mem[i];
		struct rib_pfx *x = rib_pfx(ob->rib, id);
		struct opfx *o = &ob->opfx[id];
		if ((x->flags & RIB_PFX_VISIBLE) || o->lost_at < since ||
		    o->lost_at == 0)
			continue;
		uint32_t *nl = realloc(lost, (nlost + 1) * sizeof(*nl));
		if (nl == NULL)
			break;
		lost = nl;
		lost[nlost++] = id;
	}
	/* sort by prefix */
	for (uint32_t i = 1; i < nlost; i++) {
		uint32_t v = lost[i], j = i;
		const struct vg_prefix *pv = &rib_pfx(ob->rib, v)->p;
		while (j > 0) {
			const struct vg_prefix *pj = &rib_pfx(ob->rib, lost[j - 1])->p;
			int c = pj->afi != pv->afi ? pj->afi - pv->afi
			                           : memcmp(pj->addr, pv->addr, 16);
			if (c == 0)
				c = pj->len - pv->len;
			if (c <= 0)
				break;
			lost[j] = lost[j - 1];
			j--;
		}
		lost[j] = v;
	}
	geo_cc cc = e->cc;
	for (uint32_t i = 0; i < nlost; i++) {
		struct opfx *o = &ob->opfx[lost[i]];
		struct vg_evidence it;
		memset(&it, 0, sizeof(it));
		it.what = 'p';
		vg_prefix_str(&rib_pfx(ob->rib, lost[i])->p, it.text);
		it.asn = rib_path_origin(ob->rib, o->sample_path);
		it.upstream = obs_path_upstream(ob, o->sample_path,
		                                cc ? cc : o->cc[0]);
		rib_path_text(ob->rib, o->sample_path, it.path, sizeof(it.path));
		add_ev(ev, max, &it);
	}
	uint32_t nprefix_items = ev->n_evidence;
	for (uint32_t i = 0; i < nprefix_items; i++) {
		struct vg_evidence o = ev->evidence[i], it;
		memset(&it, 0, sizeof(it));
		if (o.asn && !ev_has_asn(ev, 'o', o.asn)) {
			it.what = 'o';
			it.asn = o.asn;
			add_ev(ev, max + 64, &it);
		}
		if (o.upstream && !ev_has_asn(ev, 'u', o.upstream)) {
			memset(&it, 0, sizeof(it));
			it.what = 'u';
			it.asn = o.upstream;
			add_ev(ev, max + 64, &it);
		}
	}
	/* n_evidence_total counts prefixes lost, the meaningful total */
	ev->n_evidence_total = nlost + (ev->n_evidence - nprefix_items);
	free(lost);
}

/* Evidence of instability: members that changed in the bin. */
static void
instability_evidence(struct obs *ob, struct ent *e, struct vg_event *ev,
                     uint32_t bin_start)
{
	uint32_t max = ob->o.evidence_max;
	for (uint32_t i = 0; i < e->nmem; i++) {
		uint32_t id = e->mem[i];
		struct rib_pfx *x = rib_pfx(ob->rib, id);
		if (x->last_wd < bin_start && x->last_ann < bin_start)
			continue;
		char txt[VG_PREFIX_STRLEN];
		vg_prefix_str(&x->p, txt);
		int dup = 0;
		for (uint32_t k = 0; k < ev->n_evidence && !dup; k++)
			dup = ev->evidence[k].what == 'p' &&
			      strcmp(ev->evidence[k].text, txt) == 0;
		if (dup)
			continue;
		struct opfx *o = &ob->opfx[id];
		struct vg_evidence it;
		memset(&it, 0, sizeof(it));
		it.what = 'p';
		memcpy(it.text, txt, sizeof(txt));
		it.asn = rib_path_origin(ob->rib, o->sample_path);
		it.upstream = obs_path_upstream(ob, o->sample_path,
		                                e->cc ? e->cc : o->cc[0]);
		rib_path_text(ob->rib, o->sample_path, it.path, sizeof(it.path));
		add_ev(ev, max, &it);
	}
}

/* ---- the detectors ----------------------------------------------------- */

/* Out of memory for the history: it starts again (n = 0: a warm-up), as
 * when the metric switches. */
static void
hist_restart(struct det *d)
{
	d->n = d->pos = d->same_run = d->inz = d->innz = 0;
	d->base = NAN;
}

/* Give D its visibility ring, holding what it stands for until now:
 * lastv in the n entries. */
static void
hist_make(struct obs *ob, struct det *d)
{
	uint32_t w = d->win;
	uint32_t *r = malloc((size_t)w * sizeof(uint32_t));
	if (r == NULL) {
		hist_restart(d);
		return;
	}
	for (uint32_t i = 0; i < w; i++)
		r[i] = d->lastv;
	d->hist = r;
	ob->bytes_ents += w * 4u;
}

/* Drop the instability counts that left the window with push d->t. */
static void
inz_expire(struct det *d, uint32_t w)
{
	/* (inz_t0 first: the entries are another block, often not cached) */
	while (d->innz && d->t - d->inz_t0 >= w) {
		d->inz_head = (d->inz_head + 1) & (d->cap_inz - 1);
		if (--d->innz)
			d->inz_t0 = d->inzs[d->inz_head].t;
	}
}

/* Append non-zero count X of push d->t.  0, or -1 out of memory. */
static int
inz_add(struct obs *ob, struct det *d, uint32_t x)
{
	if (d->innz == d->cap_inz) {
		uint32_t nc = d->cap_inz ? 2 * d->cap_inz : 4;
		struct det_inz *n = malloc(nc * sizeof(*n));
		if (n == NULL)
			return -1;
		for (uint32_t i = 0; i < d->innz; i++)
			n[i] = d->inzs[(d->inz_head + i) & (d->cap_inz - 1)];
		free(d->inzs);
		ob->bytes_ents += (nc - d->cap_inz) * sizeof(*n);
		d->inzs = n;
		d->cap_inz = nc;
		d->inz_head = 0;
	}
	struct det_inz *z = &d->inzs[(d->inz_head + d->innz) & (d->cap_inz - 1)];
	z->t = d->t;
	z->x = x;
	if (d->innz++ == 0)
		d->inz_t0 = d->t;
	return 0;
}

static void
push(struct obs *ob, struct det *d, uint32_t v, uint32_t x)
{
	uint32_t w = ob->o.window_bins;
	if (d->hist == NULL && d->n && v != d->lastv)
		hist_make(ob, d);
	uint32_t prev = d->n ? d->lastv : v;
	if (v != prev || d->n == 0)
		d->same_run = 0;
	else
		d->same_run++;
	if (x)
		d->inz = 0;
	else
		d->inz++;
	d->t++;
	inz_expire(d, w);
	if (x && inz_add(ob, d, x) < 0)
		hist_restart(d);
	if (d->hist)
		d->hist[d->pos] = v;
	d->lastv = v;
	d->pos = d->pos + 1 < w ? d->pos + 1 : 0;
	if (d->n < w)
		d->n++;
}

/* K times push(ob, d, V, 0), for a history whose latest value is V
 * (a parked entity's). */
static void
push_run(struct obs *ob, struct det *d, uint32_t v, uint32_t k)
{
	uint32_t w = ob->o.window_bins;
	if (k == 0)
		return;
	if (d->n == 0 || d->lastv != v) {
		push(ob, d, v, 0);
		k--;
	}
	d->same_run += k;
	d->inz += k;
	d->t += k;
	inz_expire(d, w);
	if (d->hist) {
		/* v in the k entries from pos on (all of them if k >= w) */
		uint32_t m = k < w ? k : w, pos = d->pos;
		for (uint32_t i = 0; i < m; i++) {
			d->hist[pos] = v;
			pos = pos + 1 < w ? pos + 1 : 0;
		}
	}
	d->n = d->n + (uint64_t)k < w ? d->n + k : w;
	if (k < w) /* (a division costs more than the whole of the rest) */
		d->pos = d->pos + k < w ? d->pos + k : d->pos + k - w;
	else
		d->pos = (uint32_t)((d->pos + (uint64_t)k) % w);
}

static double
baseline(struct obs *ob, struct det *d, uint32_t v)
{
	/* constant window: the median is that value */
	if (d->n > 0 && d->same_run + 1 >= d->n) {
		d->base = d->lastv;
		d->base_age = 0;
		return d->base;
	}
	if (isnan(d->base) || d->base_age >= RECOMPUTE_BINS ||
	    v < d->base * (1 - ob->o.outage_warning)) {
		uint32_t scratch[4096];
		uint32_t n = d->n < 4096 ? d->n : 4096;
		d->base = median_u32(d->hist, n, scratch);
		d->base_age = 0;
	} else {
		d->base_age++;
	}
	return d->base;
}

static void
outage_step(struct obs *ob, struct ent *e, struct det *d, uint32_t v,
            uint32_t x, uint32_t bin_start, int ready)
{
	const struct obs_opts *o = &ob->o;
	struct vg_event *ev = &d->out;

	if (ev->id == 0) {
		double base = ready ? baseline(ob, d, v) : NAN;
		if (ready && base >= o->min_units &&
		    v < base * (1 - o->outage_warning) - 1e-9) {
			if (d->pend == 0) {
				d->pend_start = bin_start;
				d->pend_min = v;
				d->frozen_base = base;
			}
			d->pend++;
			if (v < d->pend_min)
				d->pend_min = v;
			if (d->pend >= o->min_bins) {
				memset(ev, 0, sizeof(*ev));
				ev->id = ++ob->next_event_id;
				ev->ent = e->id;
				ev->kind = VG_EVENT_OUTAGE;
				ev->start = d->pend_start;
				ev->baseline = d->frozen_base;
				ev->bottom = d->pend_min;
				ev->depth = (d->frozen_base - d->pend_min) /
				            d->frozen_base;
				ev->level = ev->depth >= o->outage_critical - 1e-9
				                ? VG_LEVEL_CRITICAL
				                : VG_LEVEL_WARNING;
				ev->severity = ev->depth *
				               (bin_start + o->bin_len - ev->start) /
				               3600.0;
				outage_evidence(ob, e, ev, d->pend_start);
				emit_event(ob, ev);
			}
			return; /* the drop does not enter the history */
		}
		d->pend = 0;
		push(ob, d, v, x);
		return;
	}

	/* an open outage */
	double base = d->frozen_base;
	double depth = (base - v) / base;
	int changed = 0;
	if (v < ev->bottom) {
		ev->bottom = v;
		ev->depth = (base - v) / base;
		changed = 1;
		outage_evidence(ob, e, ev, ev->start);
	}
	if (depth >= o->outage_critical - 1e-9 && ev->level < VG_LEVEL_CRITICAL) {
		ev->level = VG_LEVEL_CRITICAL;
		changed = 1;
	}
	if (v >= base * (1 - o->outage_warning * o->restore_ratio) - 1e-9) {
		ev->end = bin_start;
		ev->severity = ev->depth * (ev->end - ev->start) / 3600.0;
		emit_event(ob, ev);
		free(ev->evidence);
		memset(ev, 0, sizeof(*ev));
		d->pend = 0;
		push(ob, d, v, x);
		return;
	}
	ev->severity = ev->depth * (bin_start + o->bin_len - ev->start) / 3600.0;
	if (changed)
		emit_event(ob, ev);
}

/* Median, MAD and 95th percentile of the instability history. */
static void
inst_stats(struct det *d)
{
	uint32_t vals[4096], scratch[4096];
	uint32_t n = d->n < 4096 ? d->n : 4096;
	if (n - d->innz > (uint32_t)((n - 1) * 0.95 + 0.5)) {
		/* more zeros than the 95th percentile's rank: median, MAD
		 * and p95 are all 0 (what small_stats would find, without
		 * the scan) */
		d->imed = d->imad = d->ip95 = 0;
		return;
	}
	/* the window's counts, in no order (the statistics need none):
	 * the zeros, then the others */
	uint32_t nz = d->innz < n ? d->innz : n;
	uint32_t *nonzero = vals + (n - nz);
	for (uint32_t i = 0; i < nz; i++)
		nonzero[i] = d->inzs[(d->inz_head + i) & (d->cap_inz - 1)].x;
	if (small_stats(nonzero, nz, n - nz, &d->imed, &d->imad,
	                &d->ip95) < 0) {
		memset(vals, 0, (n - nz) * sizeof(*vals));
		d->imed = median_u32(vals, n, scratch);
		d->ip95 = p95_sorted(scratch, n);
		d->imad = mad_u32(vals, n, d->imed, scratch);
	}
}

static double
instability_step(struct obs *ob, struct ent *e, struct det *d, uint32_t x,
                 uint32_t bin_start, int ready, int suppress)
{
	const struct obs_opts *o = &ob->o;
	struct vg_event *ev = &d->inst;
	double score = NAN;

	if (ready) {
		if (d->inz >= d->n) {
			d->imed = d->imad = d->ip95 = 0;
			d->iage = 0;
		} else if (d->iage >= RECOMPUTE_BINS || d->iage == 0 ||
		           (x >= o->inst_min &&
		            x > d->imed + o->inst_score * 1.4826 * d->imad)) {
			inst_stats(d);
			d->iage = 1;
		} else {
			d->iage++;
		}
		/* counts are Poisson-like: a small median's MAD understates
		 * its spread, so never trust less than sqrt(median) */
		double spread = 1.4826 * d->imad;
		double pois = sqrt(d->imed > 1 ? d->imed : 1);
		if (spread < pois)
			spread = pois;
		score = (x - d->imed) / spread;
	}
	/* The share is of the entity's visible prefixes (now or at the end
	 * of the last bin, as a flapping entity may close a bin with its
	 * routes withdrawn).  An entity with nothing visible has no size to
	 * judge a share of: with no full-feed peers (an archive of updates
	 * only, or of peers with partial tables) nothing is flagged, which
	 * is what keeps a day of ordinary churn quiet. */
	double size = e->npfx > e->last_emit_npfx ? e->npfx : e->last_emit_npfx;
	/* and clearly above the entity's own busy bins: an entity that
	 * churns now and then is not flagged for churning again */
	int flagged = ready && size > 0 && x >= o->inst_min &&
	              score >= o->inst_score && x >= o->inst_share * size &&
	              x > 2 * d->ip95 && !suppress;
	d->flagged_now = (uint8_t)flagged;
	if (flagged) {
		d->quiet = 0;
		d->last_flag = bin_start;
		if (d->iflags++ == 0) {
			/* a candidate episode: an event once it has
			 * inst_min_bins flagged bins */
			free(ev->evidence);
			memset(ev, 0, sizeof(*ev));
			ev->ent = e->id;
			ev->kind = VG_EVENT_INSTABILITY;
			ev->start = bin_start;
			ev->baseline = d->imed;
			ev->level = VG_LEVEL_WARNING;
		}
		int changed = 0;
		if (score > ev->depth) {
			ev->depth = score;
			changed = 1;
		}
		if (score >= o->inst_critical && ev->level < VG_LEVEL_CRITICAL) {
			ev->level = VG_LEVEL_CRITICAL;
			changed = 1;
		}
		if (x > ev->bottom)
			ev->bottom = x; /* peak events in a bin */
		uint32_t before = ev->n_evidence;
		instability_evidence(ob, e, ev, bin_start);
		ev->severity = ev->depth *
		               (bin_start + o->bin_len - ev->start) / 3600.0;
		if (ev->id == 0 && d->iflags >= o->inst_min_bins) {
			ev->id = ++ob->next_event_id;
			emit_event(ob, ev);
		} else if (ev->id && (changed || ev->n_evidence != before)) {
			emit_event(ob, ev);
		}
	} else if (d->iflags) {
		if (++d->quiet >= o->inst_gap_bins) {
			if (ev->id) {
				ev->end = d->last_flag + o->bin_len;
				ev->severity = ev->depth * (ev->end - ev->start) /
				               3600.0;
				emit_event(ob, ev);
			}
			free(ev->evidence);
			memset(ev, 0, sizeof(*ev));
			d->iflags = 0;
		}
	}
	return score;
}

void
det_finish(struct obs *ob, uint32_t ei, uint32_t data_end)
{
	struct det *d = ob->ents[ei].det;
	if (d == NULL)
		return;
	if (d->out.id) {
		d->out.severity = d->out.depth * (data_end - d->out.start) / 3600.0;
		emit_event(ob, &d->out);
	}
	if (d->inst.id) {
		d->inst.severity = d->inst.depth *
		                   (data_end - d->inst.start) / 3600.0;
		emit_event(ob, &d->inst);
	}
}

/* ---- idle entities ----------------------------------------------------- */

int
det_keyframe(const struct obs *ob, uint32_t bin_start)
{
	return (bin_start / ob->o.bin_len) % KEYFRAME_BINS == 0;
}

/* The visibility metric det_bin uses for E. */
static uint32_t
det_metric(const struct ent *e, const struct det *d)
{
	return (uint32_t)(d->use_v6 ? (e->v6 > UINT32_MAX ? UINT32_MAX : e->v6)
	                            : (e->v4 > UINT32_MAX ? UINT32_MAX : e->v4));
}

int
det_park(struct obs *ob, uint32_t ei, uint32_t next_bin)
{
	struct ent *e = &ob->ents[ei];
	struct det *d = e->det;

	/* no event open or pending, a history of one value (the baseline is
	 * that value: no drop can start while it is pushed again); bins
	 * with no instability cannot raise a flag (x > 2 p95 fails) nor,
	 * with inst_min >= 1, force a recount of the statistics */
	if (d == NULL || d->out.id || d->inst.id || d->iflags || d->pend ||
	    d->n == 0 || d->same_run + 1 < d->n || ob->o.inst_min == 0 ||
	    d->lastv != det_metric(e, d))
		return 0;
	d->lazy = 1;
	d->lazy_from = next_bin;
	return 1;
}

void
det_catch_up(struct obs *ob, uint32_t ei, uint32_t upto)
{
	struct ent *e = &ob->ents[ei];
	struct det *d = e->det;
	uint32_t w = ob->o.window_bins, warm = ob->o.warmup_bins;

	if (d == NULL || !d->lazy)
		return;
	/* the value at parking (the entity may have been recounted since:
	 * that is the bin being judged next, not these) */
	uint32_t v = d->lastv;
	unsigned bit = d->use_v6 ? 2 : 1;
	int outage = !(e->id.kind == VG_ENT_UPSTREAM && !ob->o.upstream_outages);

	/* What det_bin does to a parked entity, bin by bin: the metric
	 * switch is settled, x = 0, nothing is flagged or opened.  The
	 * instability statistics computed in a skipped bin are only read by
	 * the next computation, so only the last one is done: find it
	 * first, from the counters alone. */
	uint32_t n = d->n, inz = d->inz, iage = d->iage, last = UINT32_MAX;
	for (uint32_t j = d->lazy_from; j < upto; j++) {
		if (ob->nojudge[j] & bit)
			continue;
		if (n >= warm) {
			if (inz >= n) {
				iage = 0;
			} else if (iage >= RECOMPUTE_BINS || iage == 0) {
				last = j;
				iage = 1;
			} else {
				iage++;
			}
		}
		inz++;
		if (n < w)
			n++;
	}
	/* The same walk with the pushes gathered: only inst_stats reads the
	 * rings, so they are written up to the bin before it (the history
	 * it reads), and the rest at the end.  N and INZ stand for d->n and
	 * d->inz as the pushes would have left them. */
	uint32_t pending = 0;
	n = d->n;
	inz = d->inz;
	for (uint32_t j = d->lazy_from; j < upto; j++) {
		if (ob->nojudge[j] & bit)
			continue; /* nothing judged, nothing pushed */
		if (n >= warm) {
			/* instability_step with x = 0 */
			if (inz >= n) {
				d->imed = d->imad = d->ip95 = 0;
				d->iage = 0;
			} else if (d->iage >= RECOMPUTE_BINS || d->iage == 0) {
				if (j == last) {
					push_run(ob, d, v, pending);
					pending = 0;
					inst_stats(d);
				}
				d->iage = 1;
			} else {
				d->iage++;
			}
			/* baseline(): a constant window */
			if (outage) {
				d->base = v;
				d->base_age = 0;
			}
		}
		pending++;
		inz++;
		if (n < w)
			n++;
	}
	push_run(ob, d, v, pending);
	d->flagged_now = 0;
	d->lazy = 0;
}

void
det_bin(struct obs *ob, uint32_t ei, uint32_t bin_start)
{
	struct ent *e = &ob->ents[ei];
	struct det *d = det_get(ob, e);
	uint32_t v, x;
	int ready;
	double score = NAN;

	if (d == NULL)
		return;
	/* the metric: IPv4 /24s once the entity has had any IPv4 space,
	 * IPv6 /48s before that; a switch restarts the history */
	if (e->v4 > 0 && !d->seen_v4) {
		d->seen_v4 = 1;
		if (d->use_v6 || d->n) {
			d->use_v6 = 0;
			d->n = d->pos = d->same_run = d->inz = d->innz = 0;
			d->base = NAN;
		}
	} else if (!d->seen_v4 && !d->use_v6 && e->v6 > 0) {
		d->use_v6 = 1;
		d->n = d->pos = d->same_run = d->inz = d->innz = 0;
		d->base = NAN;
	}
	v = (uint32_t)(d->use_v6 ? (e->v6 > UINT32_MAX ? UINT32_MAX : e->v6)
	                         : (e->v4 > UINT32_MAX ? UINT32_MAX : e->v4));
	/* instability: path changes and flapping (a route back within a
	 * bin length of its withdrawal, or gone within one of coming); plain
	 * withdrawals are an outage's business, re-announcements after hours
	 * a restoration's */
	x = e->unstable;
	ready = d->n >= ob->o.warmup_bins;

	/* instability reads the history before this bin is pushed; the
	 * withdrawals of a bin in which the entity is going dark are the
	 * outage itself, not instability */
	if (obs_in_gap(ob, bin_start, bin_start + ob->o.bin_len) ||
	    obs_full_asns(ob, d->use_v6 ? VG_AFI_IP6 : VG_AFI_IP4) == 0) {
		/* no data here (missing archive files), or no full-feed
		 * peer up to see anything (every session down: the
		 * collector's own shutdown or link, not the Internet's):
		 * nothing is judged, nothing enters the history, a pending
		 * drop is forgotten */
		d->pend = 0;
		d->flagged_now = 0;
	} else {
		score = instability_step(ob, e, d, x, bin_start, ready,
		                         d->out.id != 0);
		/* A flagged bin enters the instability history as the
		 * median, not as itself: otherwise a sustained episode
		 * raises its own baseline and stops being flagged after a
		 * few bins. */
		uint32_t xh = d->flagged_now ? (uint32_t)d->imed : x;
		if (e->id.kind == VG_ENT_UPSTREAM && !ob->o.upstream_outages)
			push(ob, d, v, xh);
		else
			outage_step(ob, e, d, v, xh, bin_start, ready);
	}

	/* the signal: sparse, see README (a row when something changed, the
	 * counters are not zero, an event is open, or every hour) */
	int changed = e->touched || e->v4 != e->last_v4 ||
	              e->v6 != e->last_v6 || e->npfx != e->last_emit_npfx ||
	              e->norig != e->last_emit_norig ||
	              d->out.id || d->inst.id || d->pend;
	int keyframe = det_keyframe(ob, bin_start);
	if (!changed && !keyframe)
		return;
	if (ob->nsig == ob->capsig) {
		uint32_t nc = ob->capsig ? ob->capsig * 2 : 1024;
		struct vg_signal *ns = realloc(ob->sig, nc * sizeof(*ns));
		if (ns == NULL)
			return;
		ob->sig = ns;
		ob->capsig = nc;
	}
	struct vg_signal *s = &ob->sig[ob->nsig++];
	memset(s, 0, sizeof(*s));
	s->ent = e->id;
	s->bin_start = bin_start;
	s->bin_len = ob->o.bin_len;
	s->v4_units = e->v4;
	s->v6_units = e->v6;
	s->prefixes = e->npfx;
	s->origins = e->norig;
	s->announcements = e->ann;
	s->withdrawals = e->wd;
	s->path_changes = e->pc;
	s->flaps = e->flaps;
	s->peers_up = obs_full_asns(ob, d->use_v6 ? VG_AFI_IP6 : VG_AFI_IP4);
	s->baseline = d->out.id || d->pend ? d->frozen_base
	              : ready               ? d->base
	                                    : NAN;
	s->inst_score = score;
	/* only the hour's keyframe asked for it: the store packs these */
	s->flags = changed ? 0 : VG_SIG_KEYFRAME_ONLY;
	e->last_v4 = e->v4;
	e->last_v6 = e->v6;
	e->last_emit_npfx = e->npfx;
	e->last_emit_norig = e->norig;
}
