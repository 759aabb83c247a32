/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Turning the spec into route actions: each scripted event selects its
 * prefixes (origin, upstream, prefix list, seeded fraction) and schedules
 * holds, attribute changes or session state changes per peer, with a
 * seeded per-peer delay inside the spec's jitter; then background churn is
 * drawn as a Poisson process over the prefixes no event names.  Each event
 * and the churn draw from their own PRNG stream, so editing one line of a
 * spec does not reshuffle the rest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_impl.h"

#define US 1000000LL

int
scn_add(struct scn_builder *b, int64_t t, uint16_t peer, uint8_t op,
        uint32_t pfx, uint32_t arg)
{
	struct scn_action *a;

	if (t < b->start_us || t >= b->end_us)
		return 0; /* outside the scenario: nothing to write */
	if (b->nact == b->capact) {
		size_t nc = b->capact ? b->capact * 2 : 1u << 16;
		struct scn_action *na = realloc(b->act, nc * sizeof(*na));
		if (na == NULL)
			return -1;
		b->act = na;
		b->capact = nc;
	}
	a = &b->act[b->nact++];
	a->t = t;
	a->seq = b->seq++;
	a->pfx = pfx;
	a->arg = arg;
	a->peer = peer;
	a->op = op;
	return 0;
}

static int64_t
jitter(struct scn_builder *b, struct scn_rng *r)
{
	uint64_t j = (uint64_t)b->spec->jitter * US;
	return j ? (int64_t)scn_rng_below(r, j) : 0;
}

/* First table index whose prefix is not below P in the table order. */
static uint32_t
lower_bound(const struct scn_builder *b, const struct vg_prefix *p)
{
	uint32_t lo = 0, hi = b->P;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct vg_prefix *q = &b->tab.pfx[mid].p;
		int c = q->afi != p->afi ? (q->afi < p->afi ? -1 : 1)
		                         : memcmp(q->addr, p->addr, 16);
		if (c == 0)
			c = q->len < p->len ? -1 : q->len > p->len;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Mark in M every table prefix covered by one of the selector's prefixes:
 * they are contiguous in the table order from the covering one on. */
static void
mark_covered(const struct scn_builder *b, const struct scenario_selector *s,
             uint8_t *m)
{
	for (uint32_t k = 0; k < s->n_prefixes; k++) {
		const struct vg_prefix *outer = &s->prefixes[k];
		for (uint32_t i = lower_bound(b, outer); i < b->P; i++) {
			const struct vg_prefix *q = &b->tab.pfx[i].p;
			if (!vg_prefix_covers(outer, q))
				break;
			m[i] = 1;
		}
	}
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The prefixes of event E into O (pfx, n_pfx, base). */
static int
select_prefixes(struct scn_builder *b, const struct scenario_event *e,
                struct scn_event_out *o, struct scn_rng *r)
{
	const struct scenario_selector *s = &e->sel;
	uint8_t *listed = NULL;
	uint32_t n = 0;

	if ((o->pfx = malloc((size_t)b->P * sizeof(*o->pfx))) == NULL)
		return -1;
	if (s->n_prefixes) {
		if ((listed = calloc(b->P, 1)) == NULL)
			return -1;
		mark_covered(b, s, listed);
	}
	for (uint32_t i = 0; i < b->P; i++) {
		const struct scn_attr *a = &b->tab.attrs[b->tab.pfx[i].attr];
		int up = !s->upstream || scn_attr_has_upstream(a, s->upstream);
		if (s->origin && a->origin_as != s->origin)
			continue;
		if (listed && !listed[i])
			continue;
		/* The depth's denominator is what origin/prefix name (the
		 * "entity"); upstream alone names the routes via it. */
		if (!s->origin && !listed && !up)
			continue;
		o->base++;
		if (up)
			o->pfx[n++] = i;
	}
	free(listed);
	if (s->fraction < 1.0 && n > 0) {
		uint32_t k = (uint32_t)(s->fraction * n + 0.5);
		if (k == 0)
			k = 1;
		/* a seeded partial Fisher-Yates shuffle picks K of N */
		for (uint32_t j = 0; j < k; j++) {
			uint32_t x = j + (uint32_t)scn_rng_below(r, n - j);
			uint32_t t = o->pfx[j];
			o->pfx[j] = o->pfx[x];
			o->pfx[x] = t;
		}
		n = k;
		qsort(o->pfx, n, sizeof(*o->pfx), u32_cmp);
	}
	o->n_pfx = n;
	return 0;
}

static int
carried(const struct scn_builder *b, uint32_t p, uint32_t i)
{
	return (b->st[(size_t)p * b->P + i] & SCN_CARRIED) != 0;
}

/* The peers of E (0-based) into O->peers; those carrying none of the
 * event's prefixes are dropped later. */
static int
event_peers(struct scn_builder *b, const struct scenario_event *e,
            uint32_t **list, uint32_t *n)
{
	*n = e->n_peers ? e->n_peers : b->np;
	if ((*list = malloc(*n * sizeof(**list))) == NULL)
		return -1;
	for (uint32_t k = 0; k < *n; k++)
		(*list)[k] = e->n_peers ? e->peers[k] - 1 : k;
	return 0;
}

/* Add the route action OP for every affected prefix peer P carries;
 * returns how many, or -1. */
static int64_t
add_all(struct scn_builder *b, struct scn_event_out *o, uint16_t p,
        int64_t t, uint8_t op, unsigned variant)
{
	int64_t n = 0;

	for (uint32_t x = 0; x < o->n_pfx; x++) {
		uint32_t i = o->pfx[x], arg = 0;
		if (!carried(b, p, i))
			continue;
		if (op == SCN_SET_ATTR) {
			/* variant 0 is the route's own set */
			arg = scn_table_variant(&b->tab, b->tab.pfx[i].attr,
			                        variant);
			if (arg == 0)
				return -1;
		}
		if (scn_add(b, t, p, op, i, arg) < 0)
			return -1;
		n++;
	}
	return n;
}

/* Outage: held from start until end (plus each peer's delay). */
static int64_t
sched_outage(struct scn_builder *b, const struct scenario_event *e,
             struct scn_event_out *o, uint16_t p, struct scn_rng *r)
{
	int64_t on = e->start * US + jitter(b, r);
	int64_t off = e->end * US + jitter(b, r);
	int64_t n = add_all(b, o, p, on, SCN_HOLD_ON, 0);

	if (n < 0 || add_all(b, o, p, off, SCN_HOLD_OFF, 0) < 0)
		return -1;
	return n;
}

/* Flap: held for DOWN seconds at the start of every period. */
static int64_t
sched_flap(struct scn_builder *b, const struct scenario_event *e,
           struct scn_event_out *o, uint16_t p, struct scn_rng *r)
{
	int64_t n = 0;

	for (uint32_t c = 0; c < o->cycles; c++) {
		int64_t s = (e->start + (int64_t)c * e->every) * US;
		int64_t d = s + (int64_t)e->down * US, j = jitter(b, r), k;
		if (d > e->end * US)
			d = e->end * US;
		if ((k = add_all(b, o, p, s + j, SCN_HOLD_ON, 0)) < 0 ||
		    add_all(b, o, p, d + j, SCN_HOLD_OFF, 0) < 0)
			return -1;
		if (c == 0)
			n = k;
	}
	return n;
}

/* Path change: another path every period (origin prepending, another
 * first transit, both, in turn), the route's own again at the end. */
static int64_t
sched_pathchange(struct scn_builder *b, const struct scenario_event *e,
                 struct scn_event_out *o, uint16_t p, struct scn_rng *r)
{
	int64_t n = 0;

	for (uint32_t c = 0; c <= o->cycles; c++) {
		int last = c == o->cycles;
		int64_t s = last ? e->end * US
		                 : (e->start + (int64_t)c * e->every) * US;
		int64_t k = add_all(b, o, p, s + jitter(b, r), SCN_SET_ATTR,
		                    last ? 0 : 1 + c % 3);
		if (k < 0)
			return -1;
		if (c == 0)
			n = k;
	}
	return n;
}

static int
schedule_route_event(struct scn_builder *b, uint32_t ei, struct scn_rng *r)
{
	const struct scenario_event *e = &b->spec->events[ei];
	struct scn_event_out *o = &b->evo[ei];
	uint32_t *pl, npl;

	if (select_prefixes(b, e, o, r) < 0 || event_peers(b, e, &pl, &npl) < 0)
		return -1;
	for (uint32_t k = 0; k < o->n_pfx; k++)
		b->excluded[o->pfx[k]] = 1;
	if (e->kind != SCENARIO_OUTAGE)
		for (int64_t t = e->start; t < e->end; t += e->every)
			o->cycles++;
	o->peers = pl;
	o->n_peers = 0;
	for (uint32_t k = 0; k < npl; k++) {
		uint16_t p = (uint16_t)pl[k];
		int64_t n;
		if (e->kind == SCENARIO_OUTAGE)
			n = sched_outage(b, e, o, p, r);
		else if (e->kind == SCENARIO_FLAP)
			n = sched_flap(b, e, o, p, r);
		else
			n = sched_pathchange(b, e, o, p, r);
		if (n < 0)
			return -1;
		/* peers that carry none of the prefixes do not see it */
		if (n > 0)
			o->peers[o->n_peers++] = p;
		o->routes += (uint64_t)n;
	}
	return 0;
}

static int
schedule_session_event(struct scn_builder *b, uint32_t ei)
{
	const struct scenario_event *e = &b->spec->events[ei];
	struct scn_event_out *o = &b->evo[ei];
	int64_t t0 = e->start * US, t1 = e->end * US;

	if (event_peers(b, e, &o->peers, &o->n_peers) < 0)
		return -1;
	for (uint32_t k = 0; k < o->n_peers; k++) {
		uint16_t p = (uint16_t)o->peers[k];
		o->routes += b->peers[p].carried;
		if (e->kind == SCENARIO_TABLE_RESEND) {
			if (scn_add(b, t0, p, SCN_RESEND, 0, 0) < 0)
				return -1;
			continue;
		}
		/* RIS logs the FSM steps; the timing follows the source
		 * session of 2015-10-23: OpenSent 2 ms after Connect,
		 * OpenConfirm and Established ~8 s later. */
		static const struct {
			int64_t after; /* microseconds after the end */
			uint32_t arg;  /* old << 8 | new */
		} up[] = {{0, 1u << 8 | 2u},
		          {1927, 2u << 8 | 4u},
		          {7848136, 4u << 8 | 5u},
		          {7848174, 5u << 8 | 6u}};
		if (scn_add(b, t0, p, SCN_STATE, 0, 6u << 8 | 1u) < 0)
			return -1;
		for (unsigned u = 0; u < sizeof(up) / sizeof(up[0]); u++)
			if (scn_add(b, t1 + up[u].after, p, SCN_STATE, 0,
			            up[u].arg) < 0)
				return -1;
	}
	return 0;
}

/* Session drops of one peer must not overlap. */
static int
check_sessions(const struct scenario_spec *s, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < s->n_events; i++) {
		const struct scenario_event *a = &s->events[i];
		if (a->kind != SCENARIO_SESSION_DROP)
			continue;
		for (uint32_t j = i + 1; j < s->n_events; j++) {
			const struct scenario_event *c = &s->events[j];
			if (c->kind != SCENARIO_SESSION_DROP ||
			    c->start > a->end + 10 || a->start > c->end + 10)
				continue;
			for (uint32_t x = 0; x < a->n_peers; x++)
				for (uint32_t y = 0; y < c->n_peers; y++)
					if (a->peers[x] == c->peers[y]) {
						snprintf(err, errlen,
						         "line %u: session-drop "
						         "of peer %u overlaps "
						         "the one of line %u",
						         c->line, c->peers[y],
						         a->line);
						return -1;
					}
		}
	}
	return 0;
}

static int
schedule_churn(struct scn_builder *b)
{
	struct scn_rng r;
	double rate = b->spec->churn_per_min / (60.0 * US); /* per us */
	double t = (double)b->start_us;

	if (rate <= 0 || b->np == 0)
		return 0;
	scn_rng_seed(&r, b->spec->seed, 0xc4c4c4c4u);
	for (;;) {
		double u = scn_rng_unit(&r);
		uint32_t i = UINT32_MAX, kind, src, v;
		/* exponential gaps: a Poisson process */
		uint16_t p;
		int64_t ti, d;

		t += -log(1.0 - u) / rate;
		if (t >= (double)b->end_us)
			break;
		ti = (int64_t)t;
		p = (uint16_t)scn_rng_below(&r, b->np);
		for (int tries = 0; tries < 16; tries++) {
			uint32_t c = (uint32_t)scn_rng_below(&r, b->P);
			if (!b->excluded[c] && carried(b, p, c)) {
				i = c;
				break;
			}
		}
		kind = (uint32_t)scn_rng_below(&r, 100);
		if (i == UINT32_MAX)
			continue;
		b->churn_events++;
		if (kind < 50) {
			/* withdrawn for 15 s .. 10 min */
			d = (15 + (int64_t)scn_rng_below(&r, 585)) * US;
			if (scn_add(b, ti, p, SCN_CHURN_DOWN, i, 0) < 0 ||
			    scn_add(b, ti + d, p, SCN_CHURN_UP, i, 0) < 0)
				return -1;
		} else if (kind < 85) {
			/* another path for 1 min .. 1 h */
			src = b->tab.pfx[i].attr;
			v = 1 + (uint32_t)scn_rng_below(&r, 3);
			v = scn_table_variant(&b->tab, src, v);
			d = (60 + (int64_t)scn_rng_below(&r, 3540)) * US;
			if (v == 0 ||
			    scn_add(b, ti, p, SCN_SET_ATTR, i, v) < 0 ||
			    scn_add(b, ti + d, p, SCN_SET_ATTR, i, src) < 0)
				return -1;
		} else {
			/* a duplicate announcement */
			if (scn_add(b, ti, p, SCN_REANNOUNCE, i, 0) < 0)
				return -1;
		}
	}
	return 0;
}

int
scn_schedule(struct scn_builder *b, char *err, size_t errlen)
{
	const struct scenario_spec *s = b->spec;

	if (check_sessions(s, err, errlen) < 0)
		return -1;
	for (uint32_t ei = 0; ei < s->n_events; ei++) {
		const struct scenario_event *e = &s->events[ei];
		struct scn_rng r;
		int rc;

		b->evo[ei].ev = e;
		scn_rng_seed(&r, s->seed, 0x1000u + ei);
		if (e->kind == SCENARIO_SESSION_DROP ||
		    e->kind == SCENARIO_TABLE_RESEND)
			rc = schedule_session_event(b, ei);
		else
			rc = schedule_route_event(b, ei, &r);
		if (rc < 0) {
			snprintf(err, errlen,
			         "out of memory scheduling line %u", e->line);
			return -1;
		}
	}
	if (schedule_churn(b) < 0) {
		snprintf(err, errlen, "out of memory scheduling churn");
		return -1;
	}
	return 0;
}
