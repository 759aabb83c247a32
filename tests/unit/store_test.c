/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Store tests: a database in a temporary directory gets entities, a few
 * days of synthetic 5-minute signals and events with evidence, and every
 * query reads them back (filters, paging, open events, NaN baselines,
 * event upserts that replace evidence); a read-only second connection reads
 * while a writer holds a transaction; and the insert rate is measured
 * (VIGIL_STORE_BENCH_ROWS=N for a longer run).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store_impl.h"
#include "test.h"
#include "vigil/store.h"

#define T0 1419206400u /* 2014-12-22T00:00Z */
#define BIN 300u
#define DAYS 3
#define NBINS (DAYS * 86400 / BIN)

static char dir[64];
static char dbpath[128];

static void
ent(struct vg_entity *e, const char *text)
{
	if (vg_entity_parse(e, text) < 0)
		abort();
}

static struct vg_store *
open_db(int flags)
{
	char err[256];
	struct vg_store *s = store_open(dbpath, flags, err, sizeof(err));
	if (s == NULL)
		fprintf(stderr, "  store_open: %s\n", err);
	return s;
}

/* KP's visibility: 4 /24s, 0 from 16:15 on day 0 until 01:46 on day 1. */
static uint64_t
kp_units(uint32_t t)
{
	return t >= T0 + 16 * 3600 + 15 * 60 && t < T0 + 86400 + 105 * 60 ? 0
	                                                                   : 4;
}

static void
fill_signal(struct vg_signal *g, const char *text, uint32_t t, uint64_t v4)
{
	memset(g, 0, sizeof(*g));
	ent(&g->ent, text);
	g->bin_start = t;
	g->bin_len = BIN;
	g->v4_units = v4;
	g->v6_units = 0;
	g->prefixes = (uint32_t)v4;
	g->origins = v4 ? 1 : 0;
	g->announcements = (t / BIN) % 7;
	g->withdrawals = (t / BIN) % 3;
	g->peers_up = 40;
	/* warming up for the first two hours */
	g->baseline = t < T0 + 7200 ? NAN : 4.0;
	g->inst_score = (t / BIN) % 5 == 0 ? NAN : 0.5;
}

static struct vg_evidence kp_evidence[] = {
    {'p', "175.45.176.0/24", 131279, 4837, "3356 4837 131279"},
    {'p', "175.45.177.0/24", 131279, 4837, "3356 4837 131279"},
    {'p', "175.45.178.0/24", 131279, 4837, "3356 4837 131279"},
    {'p', "175.45.179.0/24", 131279, 4837, "3356 4837 131279"},
    {'o', "", 131279, 0, ""},
    {'u', "", 4837, 0, ""},
};

static void
fill_event(struct vg_event *ev, uint64_t id, const char *text, int kind,
           int level, uint32_t start, uint32_t end)
{
	memset(ev, 0, sizeof(*ev));
	ev->id = id;
	ent(&ev->ent, text);
	ev->kind = (uint8_t)kind;
	ev->level = (uint8_t)level;
	ev->start = start;
	ev->end = end;
	ev->depth = kind == VG_EVENT_OUTAGE ? 1.0 : 7.5;
	ev->severity = 9.5;
	ev->baseline = 4;
	ev->bottom = 0;
}

static void
test_schema_matches_sql(void)
{
	FILE *f = fopen("src/store/schema.sql", "r");
	char *buf;
	size_t n;
	CHECK(f != NULL);
	if (f == NULL)
		return;
	buf = calloc(1, 1 << 20);
	n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (strcmp(buf, store_schema_sql) != 0)
		fprintf(stderr, "  src/store/schema.c is stale: run "
		                "src/store/schema_gen.sh\n");
	CHECK(strcmp(buf, store_schema_sql) == 0);
	free(buf);
}

static void
test_open_errors(void)
{
	char err[256], path[192];
	struct vg_store *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/missing.db", dir);
	s = store_open(path, 0, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, "missing.db") != NULL);
	s = store_open(path, STORE_RDONLY, err, sizeof(err));
	CHECK(s == NULL);

	snprintf(path, sizeof(path), "%s/garbage.db", dir);
	f = fopen(path, "w");
	fputs("this is not a database, not even close............"
	      "..................................................",
	      f);
	fclose(f);
	s = store_open(path, STORE_RDONLY, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, "not a vigil database") != NULL ||
	      strstr(err, "not a database") != NULL);
}

static void
test_meta_and_peers(void)
{
	struct vg_store *s = open_db(STORE_CREATE);
	struct store_peer p;
	char buf[64];

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(store_get_meta(s, "schema_version", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "2");
	CHECK_EQ_INT(store_set_meta(s, "bin_len", "300"), 0);
	CHECK_EQ_INT(store_set_meta(s, "bin_len", "600"), 0);
	CHECK_EQ_INT(store_get_meta(s, "bin_len", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "600");
	CHECK_EQ_INT(store_set_meta(s, "bin_len", "300"), 0);
	CHECK_EQ_INT(store_get_meta(s, "nope", buf, sizeof(buf)), -1);
	/* truncated copy */
	CHECK_EQ_INT(store_set_meta(s, "source", "route-views2 rrc00"), 0);
	CHECK_EQ_INT(store_get_meta(s, "source", buf, 6), 0);
	CHECK_EQ_STR(buf, "route");

	memset(&p, 0, sizeof(p));
	snprintf(p.collector, sizeof(p.collector), "rrc00");
	vg_addr_parse(&p.addr, "193.0.0.56");
	p.asn = 3333;
	p.v4_routes = 500000;
	p.full_v4 = 1;
	p.up = 1;
	p.last_change = T0;
	CHECK_EQ_INT(store_put_peer(s, &p), 0);
	p.up = 0;
	p.last_change = T0 + 60;
	CHECK_EQ_INT(store_put_peer(s, &p), 0); /* update, not a new row */
	store_close(s);
}

static void
test_entities(void)
{
	struct vg_store *s = open_db(0);
	struct vg_entity e;
	char name[64];

	CHECK(s != NULL);
	if (s == NULL)
		return;
	ent(&e, "country:KP");
	CHECK_EQ_INT(store_put_entity(s, &e, "North Korea"), 0);
	ent(&e, "asn:131279");
	CHECK_EQ_INT(store_put_entity(s, &e, "STAR-KP"), 0);
	ent(&e, "upstream:KP:4837");
	CHECK_EQ_INT(store_put_entity(s, &e, "China Unicom <CHINA169> & \"co\""),
	             0);
	ent(&e, "upstream:KP:9002");
	CHECK_EQ_INT(store_put_entity(s, &e, "RETN"), 0);
	CHECK_EQ_INT(store_put_entity(s, &e, NULL), 0); /* keeps the name */
	ent(&e, "country:NL");
	CHECK_EQ_INT(store_put_entity(s, &e, "Netherlands"), 0);

	ent(&e, "upstream:KP:9002");
	CHECK_EQ_INT(store_entity_name(s, &e, name, sizeof(name)), 1);
	CHECK_EQ_STR(name, "RETN");
	ent(&e, "country:ZZ");
	CHECK_EQ_INT(store_entity_name(s, &e, name, sizeof(name)), 0);
	CHECK_EQ_STR(name, "");
	e.kind = 9;
	CHECK_EQ_INT(store_put_entity(s, &e, "bad"), -1);
	store_close(s);
}

struct ent_list {
	int n;
	char text[8][VG_ENTITY_STRLEN];
	char name[8][64];
};

static int
on_entity(void *ctx, const struct vg_entity *e, const char *name)
{
	struct ent_list *l = ctx;
	if (l->n < 8) {
		vg_entity_fmt(e, l->text[l->n]);
		snprintf(l->name[l->n], sizeof(l->name[0]), "%s", name);
	}
	l->n++;
	return 0;
}

static void
test_entity_queries(void)
{
	struct vg_store *s = open_db(STORE_RDONLY);
	struct ent_list l;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_entities(s, NULL, 0, on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 5);
	CHECK_EQ_STR(l.text[0], "country:KP"); /* countries, then ASNs, ... */
	CHECK_EQ_STR(l.text[1], "country:NL");
	CHECK_EQ_STR(l.text[2], "asn:131279");

	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_entities(s, "korea", 0, on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_STR(l.name[0], "North Korea");

	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_entities(s, ":KP", 2, on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 2); /* limit */

	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_entities(s, "100%", 0, on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 0); /* '%' is literal */

	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_upstreams(s, "KP", on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_STR(l.text[0], "upstream:KP:4837");
	CHECK_EQ_STR(l.text[1], "upstream:KP:9002");
	store_close(s);
}

static const char *const sig_ents[] = {"country:KP", "upstream:KP:4837",
                                       "upstream:KP:9002", "asn:131279"};

static void
test_signals_write(void)
{
	struct vg_store *s = open_db(0);
	struct vg_signal *sig = calloc(4, sizeof(*sig));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	for (unsigned b = 0; b < NBINS; b++) {
		uint32_t t = T0 + b * BIN;
		uint64_t v = kp_units(t);
		if (b % 288 == 0)
			CHECK_EQ_INT(store_begin(s), 0);
		fill_signal(&sig[0], sig_ents[0], t, v);
		fill_signal(&sig[1], sig_ents[1], t, v ? 3 : 0);
		fill_signal(&sig[2], sig_ents[2], t, v ? 1 : 0);
		fill_signal(&sig[3], sig_ents[3], t, v);
		CHECK_EQ_INT(store_put_signals(s, sig, 4), 0);
		if (b % 288 == 287)
			CHECK_EQ_INT(store_commit(s), 0);
	}
	/* outside a transaction: the call makes its own */
	fill_signal(&sig[0], "country:NL", T0, 1000);
	CHECK_EQ_INT(store_put_signals(s, sig, 1), 0);
	/* rewrite one bin: replaced, not doubled */
	fill_signal(&sig[0], "country:KP", T0 + 10 * BIN, 3);
	CHECK_EQ_INT(store_put_signals(s, sig, 1), 0);
	/* bad entity: error, nothing of the batch kept */
	fill_signal(&sig[0], "country:KP", T0 + NBINS * BIN, 4);
	fill_signal(&sig[1], "country:KP", T0 + NBINS * BIN + BIN, 4);
	sig[1].ent.kind = 0;
	CHECK_EQ_INT(store_put_signals(s, sig, 2), -1);
	CHECK(strstr(store_error(s), "invalid entity") != NULL);
	free(sig);
	store_close(s);
}

struct sig_list {
	size_t n;
	struct vg_signal last, first;
	int nan_baseline, ordered;
	int stop_after;
};

static int
on_signal(void *ctx, const struct vg_signal *g)
{
	struct sig_list *l = ctx;
	if (l->n == 0)
		l->first = *g;
	else if (g->bin_start <= l->last.bin_start)
		l->ordered = 0;
	l->last = *g;
	if (isnan(g->baseline))
		l->nan_baseline++;
	l->n++;
	return l->stop_after && (int)l->n >= l->stop_after;
}

static void
test_signals_read(void)
{
	struct vg_store *s = open_db(STORE_RDONLY);
	struct sig_list l;
	struct vg_entity e;
	struct vg_signal g;
	uint32_t first, last;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	ent(&e, "country:KP");
	memset(&l, 0, sizeof(l));
	l.ordered = 1;
	CHECK_EQ_INT(store_query_signals(s, &e, 0, UINT32_MAX, on_signal, &l),
	             0);
	CHECK_EQ_INT(l.n, NBINS);
	CHECK(l.ordered);
	CHECK_EQ_INT(l.first.bin_start, T0);
	CHECK_EQ_INT(l.last.bin_start, T0 + (NBINS - 1) * BIN);
	CHECK_EQ_INT(l.nan_baseline, 7200 / BIN); /* NaN round trip */
	CHECK_EQ_INT(l.last.v4_units, 4);
	CHECK_EQ_INT(l.last.peers_up, 40);
	CHECK_EQ_STR(l.last.ent.cc, "KP");

	/* a window: inclusive at both ends */
	memset(&l, 0, sizeof(l));
	l.ordered = 1;
	CHECK_EQ_INT(store_query_signals(s, &e, T0 + 16 * 3600,
	                                 T0 + 17 * 3600, on_signal, &l),
	             0);
	CHECK_EQ_INT(l.n, 13);
	CHECK_EQ_INT(l.first.v4_units, 4);
	CHECK_EQ_INT(l.last.v4_units, 0);

	/* stop early */
	memset(&l, 0, sizeof(l));
	l.stop_after = 5;
	CHECK_EQ_INT(store_query_signals(s, &e, 0, UINT32_MAX, on_signal, &l),
	             0);
	CHECK_EQ_INT(l.n, 5);

	/* the rewritten bin */
	CHECK_EQ_INT(store_signal_at(s, &e, T0 + 10 * BIN + 10, &g), 1);
	CHECK_EQ_INT(g.bin_start, T0 + 10 * BIN);
	CHECK_EQ_INT(g.v4_units, 3);
	CHECK_EQ_INT(store_signal_at(s, &e, T0 + 20 * 3600, &g), 1);
	CHECK_EQ_INT(g.v4_units, 0);
	CHECK(g.baseline == 4.0);
	CHECK(g.inst_score == 0.5 || isnan(g.inst_score));
	CHECK_EQ_INT(store_signal_at(s, &e, T0 - 1, &g), 0);

	/* unknown entity: nothing, no error */
	ent(&e, "country:ZZ");
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_signals(s, &e, 0, UINT32_MAX, on_signal, &l),
	             0);
	CHECK_EQ_INT(l.n, 0);
	CHECK_EQ_INT(store_signal_at(s, &e, T0 + 3600, &g), 0);

	ent(&e, "country:NL");
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_signals(s, &e, 0, UINT32_MAX, on_signal, &l),
	             0);
	CHECK_EQ_INT(l.n, 1);

	CHECK_EQ_INT(store_time_range(s, &first, &last), 0);
	CHECK_EQ_INT(first, T0);
	CHECK_EQ_INT(last, T0 + (NBINS - 1) * BIN); /* the failed batch left
	                                               no bin behind */
	store_close(s);
}

static void
test_events_write(void)
{
	struct vg_store *s = open_db(0);
	struct vg_event ev;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	/* 1: KP outage, first seen as a warning, open */
	fill_event(&ev, 1, "country:KP", VG_EVENT_OUTAGE, VG_LEVEL_WARNING,
	           T0 + 16 * 3600 + 15 * 60, 0);
	ev.depth = 0.5;
	ev.evidence = kp_evidence;
	ev.n_evidence = 6;
	ev.n_evidence_total = 6;
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	/* 2: the upstream's outage, closed */
	fill_event(&ev, 2, "upstream:KP:4837", VG_EVENT_OUTAGE,
	           VG_LEVEL_CRITICAL, T0 + 16 * 3600 + 15 * 60,
	           T0 + 86400 + 105 * 60);
	ev.evidence = kp_evidence;
	ev.n_evidence = 4;
	ev.n_evidence_total = 40; /* capped */
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	/* 3: instability of the ASN on day 2, warning, closed */
	CHECK_EQ_INT(store_begin(s), 0);
	fill_event(&ev, 3, "asn:131279", VG_EVENT_INSTABILITY,
	           VG_LEVEL_WARNING, T0 + 2 * 86400 + 3600,
	           T0 + 2 * 86400 + 7200);
	ev.depth = NAN; /* NaN survives as NULL */
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	/* 4: NL outage on day 2, open, critical */
	fill_event(&ev, 4, "country:NL", VG_EVENT_OUTAGE, VG_LEVEL_CRITICAL,
	           T0 + 2 * 86400 + 43200, 0);
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	/* 5: an early KP instability, closed */
	fill_event(&ev, 5, "country:KP", VG_EVENT_INSTABILITY,
	           VG_LEVEL_WARNING, T0 + 3600, T0 + 5400);
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	CHECK_EQ_INT(store_commit(s), 0);

	/* event 1 deepens and ends: the upsert replaces the evidence */
	fill_event(&ev, 1, "country:KP", VG_EVENT_OUTAGE, VG_LEVEL_CRITICAL,
	           T0 + 16 * 3600 + 15 * 60, T0 + 86400 + 105 * 60);
	ev.evidence = kp_evidence + 3;
	ev.n_evidence = 3;
	ev.n_evidence_total = 3;
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	store_close(s);
}

struct ev_list {
	int n;
	uint64_t ids[16];
	uint32_t n_evidence[16];
	int evidence_loaded;
	struct vg_store *s; /* for nested calls */
	int nested_ok;
};

static int
on_event(void *ctx, const struct vg_event *ev)
{
	struct ev_list *l = ctx;
	if (l->n < 16) {
		l->ids[l->n] = ev->id;
		l->n_evidence[l->n] = ev->n_evidence;
	}
	if (ev->evidence)
		l->evidence_loaded++;
	l->n++;
	if (l->s) {
		/* a callback may use the store, even the same query */
		char name[64];
		struct store_event_query q;
		struct ev_list inner;
		memset(&q, 0, sizeof(q));
		memset(&inner, 0, sizeof(inner));
		if (store_entity_name(l->s, &ev->ent, name, sizeof(name)) == 1 &&
		    store_query_events(l->s, &q, on_event, &inner) == 0 &&
		    inner.n == 5)
			l->nested_ok++;
	}
	return 0;
}

static struct ev_list
run_query(struct vg_store *s, const struct store_event_query *q)
{
	struct ev_list l;
	memset(&l, 0, sizeof(l));
	if (store_query_events(s, q, on_event, &l) < 0)
		l.n = -1;
	return l;
}

static void
test_events_read(void)
{
	struct vg_store *s = open_db(STORE_RDONLY);
	struct store_event_query q;
	struct ev_list l;
	struct vg_entity e;
	struct vg_event ev;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	/* all, newest start first (1 and 2 share a start: higher id first) */
	memset(&q, 0, sizeof(q));
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 5);
	CHECK_EQ_INT(l.ids[0], 4);
	CHECK_EQ_INT(l.ids[1], 3);
	CHECK_EQ_INT(l.ids[2], 2);
	CHECK_EQ_INT(l.ids[3], 1);
	CHECK_EQ_INT(l.ids[4], 5);
	CHECK_EQ_INT(l.evidence_loaded, 0);
	CHECK_EQ_INT(l.n_evidence[2], 4); /* counted without loading */
	CHECK_EQ_INT(l.n_evidence[3], 3); /* the upsert replaced 6 by 3 */

	/* paging */
	q.limit = 2;
	q.offset = 2;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_INT(l.ids[0], 2);
	CHECK_EQ_INT(l.ids[1], 1);
	q.offset = 4;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 1);
	q.limit = q.offset = 0;

	/* an entity alone, and a country with its upstreams */
	ent(&e, "country:KP");
	q.ent = &e;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_INT(l.ids[0], 1);
	CHECK_EQ_INT(l.ids[1], 5);
	q.ent_prefix_only = 1;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 3);
	ent(&e, "country:ZZ");
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 0);
	q.ent_prefix_only = 0;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 0);
	q.ent = NULL;

	/* kind and level */
	q.kind = VG_EVENT_INSTABILITY;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 2);
	q.kind = VG_EVENT_OUTAGE;
	q.min_level = VG_LEVEL_CRITICAL;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 3);
	q.kind = 0;
	q.min_level = VG_LEVEL_WARNING;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 5);
	q.min_level = 0;

	/* time overlap: day 0 20:00..21:00 is inside events 1 and 2 */
	q.since = T0 + 20 * 3600;
	q.until = T0 + 21 * 3600;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 2);
	/* an open event overlaps everything after its start */
	q.since = T0 + 2 * 86400 + 80000;
	q.until = 0;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_INT(l.ids[0], 4);
	/* until only */
	q.since = 0;
	q.until = T0 + 7200;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_INT(l.ids[0], 5);
	q.until = 0;

	/* open only */
	q.open_only = 1;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_INT(l.ids[0], 4);
	q.open_only = 0;

	/* with evidence, and a callback that calls back into the store */
	q.with_evidence = 1;
	memset(&l, 0, sizeof(l));
	l.s = s;
	CHECK_EQ_INT(store_query_events(s, &q, on_event, &l), 0);
	CHECK_EQ_INT(l.n, 5);
	CHECK_EQ_INT(l.evidence_loaded, 2); /* events 1 and 2 have some */
	CHECK_EQ_INT(l.nested_ok, 5);

	/* one event */
	CHECK_EQ_INT(store_get_event(s, 1, &ev), 1);
	CHECK_EQ_INT(ev.level, VG_LEVEL_CRITICAL);
	CHECK_EQ_INT(ev.end, T0 + 86400 + 105 * 60);
	CHECK_EQ_INT(ev.n_evidence, 3);
	CHECK(ev.evidence != NULL);
	if (ev.evidence) {
		CHECK_EQ_STR(ev.evidence[0].text, "175.45.179.0/24");
		CHECK_EQ_INT(ev.evidence[0].what, 'p');
		CHECK_EQ_INT(ev.evidence[0].upstream, 4837);
		CHECK_EQ_STR(ev.evidence[0].path, "3356 4837 131279");
		CHECK_EQ_INT(ev.evidence[2].what, 'u');
		CHECK_EQ_INT(ev.evidence[2].asn, 4837);
	}
	CHECK_EQ_STR(ev.ent.cc, "KP");
	store_event_free(&ev);
	CHECK(ev.evidence == NULL);
	CHECK_EQ_INT(store_get_event(s, 2, &ev), 1);
	CHECK_EQ_INT(ev.n_evidence, 4);
	CHECK_EQ_INT(ev.n_evidence_total, 40);
	store_event_free(&ev);
	CHECK_EQ_INT(store_get_event(s, 3, &ev), 1);
	CHECK(isnan(ev.depth));
	store_event_free(&ev);
	CHECK_EQ_INT(store_get_event(s, 4, &ev), 1);
	CHECK_EQ_INT(ev.end, 0);
	CHECK_EQ_INT(ev.n_evidence, 0);
	CHECK(ev.evidence == NULL);
	store_event_free(&ev);
	CHECK_EQ_INT(store_get_event(s, 99, &ev), 0);

	/* a read-only handle cannot write */
	CHECK_EQ_INT(store_set_meta(s, "x", "y"), -1);
	CHECK(strstr(store_error(s), "readonly") != NULL ||
	      strstr(store_error(s), "read-only") != NULL);
	store_close(s);
}

static int
count_signal(void *ctx, const struct vg_signal *g)
{
	(*(size_t *)ctx)++;
	return 0;
}

static void
test_concurrent_read(void)
{
	struct vg_store *w = open_db(0), *r = open_db(STORE_RDONLY);
	struct vg_signal g;
	struct vg_entity e;
	char buf[32];
	size_t n = 0;
	uint32_t first, last;

	CHECK(w != NULL && r != NULL);
	if (w == NULL || r == NULL)
		return;
	ent(&e, "country:KP");
	CHECK_EQ_INT(store_begin(w), 0);
	CHECK_EQ_INT(store_begin(w), -1); /* no nesting */
	for (unsigned b = 0; b < 12; b++) {
		fill_signal(&g, "country:KP", T0 + (NBINS + b) * BIN, 4);
		CHECK_EQ_INT(store_put_signals(w, &g, 1), 0);
	}
	CHECK_EQ_INT(store_set_meta(w, "state", "writing"), 0);
	/* the reader sees what was committed, does not wait */
	CHECK_EQ_INT(store_query_signals(r, &e, 0, UINT32_MAX, count_signal,
	                                 &n),
	             0);
	CHECK_EQ_INT(n, NBINS);
	CHECK_EQ_INT(store_get_meta(r, "state", buf, sizeof(buf)), -1);
	CHECK_EQ_INT(store_time_range(r, &first, &last), 0);
	CHECK_EQ_INT(last, T0 + (NBINS - 1) * BIN);
	CHECK_EQ_INT(store_commit(w), 0);
	CHECK_EQ_INT(store_commit(w), -1);
	n = 0;
	CHECK_EQ_INT(store_query_signals(r, &e, 0, UINT32_MAX, count_signal,
	                                 &n),
	             0);
	CHECK_EQ_INT(n, NBINS + 12);
	CHECK_EQ_INT(store_get_meta(r, "state", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "writing");
	CHECK_EQ_INT(store_time_range(r, &first, &last), 0);
	CHECK_EQ_INT(last, T0 + (NBINS + 11) * BIN);
	store_close(r);
	store_close(w);
}

/*
 * What `vigil serve` reads with: entity listings by kind, event counts,
 * bounded signal lookups, data_version moving with a writer's commits, a
 * read transaction keeping its snapshot, and a deadline interrupting a
 * query.
 */
static void
test_reader_extras(void)
{
	struct vg_store *w = open_db(0), *r = open_db(STORE_RDONLY);
	struct store_event_query q;
	struct ent_list l;
	struct vg_entity e;
	struct vg_signal g;
	uint64_t n, v1, v2, v3;
	size_t cnt = 0;
	char buf[32];

	CHECK(w != NULL && r != NULL);
	if (w == NULL || r == NULL)
		return;
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_find_entities(r, NULL, VG_ENT_COUNTRY, 0, on_entity,
	                                 &l),
	             0);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_STR(l.text[0], "country:KP");
	CHECK_EQ_STR(l.text[1], "country:NL");
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_find_entities(r, "korea", VG_ENT_COUNTRY, 0,
	                                 on_entity, &l),
	             0);
	CHECK_EQ_INT(l.n, 1);
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_find_entities(r, NULL, VG_ENT_UPSTREAM, 1, on_entity,
	                                 &l),
	             0);
	CHECK_EQ_INT(l.n, 1); /* limit */
	CHECK_EQ_STR(l.text[0], "upstream:KP:4837");
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_find_entities(r, NULL, 0, 0, on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 5); /* kind 0: every kind */

	memset(&q, 0, sizeof(q));
	CHECK_EQ_INT(store_count_events(r, &q, &n), 0);
	CHECK_EQ_INT(n, 5);
	q.limit = 1;
	q.offset = 3; /* ignored by the count */
	CHECK_EQ_INT(store_count_events(r, &q, &n), 0);
	CHECK_EQ_INT(n, 5);
	ent(&e, "country:KP");
	q.ent = &e;
	q.ent_prefix_only = 1;
	CHECK_EQ_INT(store_count_events(r, &q, &n), 0);
	CHECK_EQ_INT(n, 3);
	q.kind = VG_EVENT_OUTAGE;
	q.open_only = 1;
	CHECK_EQ_INT(store_count_events(r, &q, &n), 0);
	CHECK(n <= 3);
	ent(&e, "country:ZZ");
	q.ent_prefix_only = 0;
	n = 99;
	CHECK_EQ_INT(store_count_events(r, &q, &n), 0);
	CHECK_EQ_INT(n, 0);

	ent(&e, "country:KP");
	CHECK_EQ_INT(store_signal_between(r, &e, T0 + 10 * BIN,
	                                  T0 + 10 * BIN + 10, &g),
	             1);
	CHECK_EQ_INT(g.bin_start, T0 + 10 * BIN);
	CHECK_EQ_INT(store_signal_between(r, &e, T0 + 10 * BIN + 1,
	                                  T0 + 10 * BIN + 10, &g),
	             0);
	CHECK_EQ_INT(store_signal_between(r, &e, T0 + 5, T0, &g), 0);
	ent(&e, "country:ZZ");
	CHECK_EQ_INT(store_signal_between(r, &e, 0, UINT32_MAX, &g), 0);

	/* data_version moves with another connection's commit only */
	CHECK_EQ_INT(store_data_version(r, &v1), 0);
	CHECK_EQ_INT(store_data_version(r, &v2), 0);
	CHECK_EQ_INT(v1, v2);
	CHECK_EQ_INT(store_set_meta(w, "state", "one"), 0);
	CHECK_EQ_INT(store_data_version(r, &v3), 0);
	CHECK(v3 != v2);

	/* a read transaction keeps its snapshot */
	CHECK_EQ_INT(store_begin_read(r), 0);
	CHECK_EQ_INT(store_begin_read(r), -1);
	CHECK_EQ_INT(store_get_meta(r, "state", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "one");
	CHECK_EQ_INT(store_set_meta(w, "state", "two"), 0);
	CHECK_EQ_INT(store_get_meta(r, "state", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "one");
	CHECK_EQ_INT(store_commit(r), 0);
	CHECK_EQ_INT(store_get_meta(r, "state", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "two");

	/* a deadline in the past interrupts the next long query */
	ent(&e, "country:KP");
	store_set_deadline(r, 1);
	usleep(5000);
	CHECK_EQ_INT(store_query_signals(r, &e, 0, UINT32_MAX, count_signal,
	                                 &cnt),
	             -1);
	CHECK_EQ_INT(store_timed_out(r), 1);
	CHECK(strstr(store_error(r), "longer than 1 ms") != NULL);
	store_set_deadline(r, 0);
	CHECK_EQ_INT(store_timed_out(r), 0);
	cnt = 0;
	CHECK_EQ_INT(store_query_signals(r, &e, 0, UINT32_MAX, count_signal,
	                                 &cnt),
	             0);
	CHECK(cnt >= NBINS);
	/* a generous one does not */
	store_set_deadline(r, 60000);
	cnt = 0;
	CHECK_EQ_INT(store_query_signals(r, &e, 0, UINT32_MAX, count_signal,
	                                 &cnt),
	             0);
	CHECK(cnt >= NBINS);
	store_set_deadline(r, 0);
	store_close(r);
	store_close(w);
}

/*
 * The replay's write pattern: every bin, one signal per entity, committed
 * per bin.  Reports rows/s on stdout as a comment line.
 */
static void
test_insert_rate(void)
{
	char path[192], err[256];
	const char *env = getenv("VIGIL_STORE_BENCH_ROWS");
	size_t rows = env ? strtoul(env, NULL, 10) : 200000;
	size_t nent = 20000, nbins, done = 0;
	struct vg_signal *sig = calloc(nent, sizeof(*sig));
	struct vg_store *s;
	struct timespec a, b;
	double dt;

	snprintf(path, sizeof(path), "%s/bench.db", dir);
	s = store_open(path, STORE_CREATE, err, sizeof(err));
	CHECK(s != NULL && sig != NULL);
	if (s == NULL || sig == NULL) {
		free(sig);
		return;
	}
	for (size_t i = 0; i < nent; i++) {
		struct vg_signal *g = &sig[i];
		if (i < 250) {
			g->ent.kind = VG_ENT_COUNTRY;
			g->ent.cc[0] = (char)('A' + i / 26);
			g->ent.cc[1] = (char)('A' + i % 26);
		} else if (i < 2000) {
			g->ent.kind = VG_ENT_UPSTREAM;
			g->ent.cc[0] = (char)('A' + i % 10);
			g->ent.cc[1] = 'X';
			g->ent.asn = (uint32_t)(1000 + i);
		} else {
			g->ent.kind = VG_ENT_ASN;
			g->ent.asn = (uint32_t)(10000 + i * 7);
		}
		g->bin_len = BIN;
		g->baseline = 100;
		g->inst_score = NAN;
	}
	nbins = (rows + nent - 1) / nent;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t bi = 0; bi < nbins; bi++) {
		for (size_t i = 0; i < nent; i++) {
			sig[i].bin_start = (uint32_t)(T0 + bi * BIN);
			sig[i].v4_units = 100 + (i + bi) % 13;
			sig[i].prefixes = 10 + (uint32_t)(i % 7);
			sig[i].announcements = (uint32_t)((i * 31 + bi) % 50);
		}
		CHECK_EQ_INT(store_begin(s), 0);
		CHECK_EQ_INT(store_put_signals(s, sig, nent), 0);
		CHECK_EQ_INT(store_commit(s), 0);
		done += nent;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	dt = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("# store insert rate: %zu rows (%zu entities x %zu bins) in "
	       "%.2fs = %.0f rows/s\n",
	       done, nent, nbins, dt, dt > 0 ? (double)done / dt : 0.0);
	store_close(s);
	free(sig);
}

static void
cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", dir);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/vigil-store-XXXXXX",
	         tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/vigil.db", dir);
	RUN(test_schema_matches_sql);
	RUN(test_open_errors);
	RUN(test_meta_and_peers);
	RUN(test_entities);
	RUN(test_entity_queries);
	RUN(test_signals_write);
	RUN(test_signals_read);
	RUN(test_events_write);
	RUN(test_events_read);
	RUN(test_concurrent_read);
	RUN(test_reader_extras);
	RUN(test_insert_rate);
	cleanup();
	return TEST_MAIN_END();
}
