/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the observatory (src/detect/obs.c) on hand-made routes:
 * what the signals of a country say when the set of full-feed peers
 * changes, with the per-bin shortcuts on and off (--eager).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "test_elem.h"
#include "vigil/geo.h"
#include "vigil/obs.h"

#define T0 1445558400u /* a bin boundary */

/* An element of peer 192.0.2.PEER (AS 65000 + PEER) with AS path ASNS. */
static const struct vg_elem *
mk(struct test_elem *b, enum vg_elem_type type, uint32_t t, unsigned peer,
   struct vg_prefix p, const uint32_t *asns, unsigned n)
{
	test_elem(b, type, t, p, asns, n);
	b->e.peer_asn = 65000 + peer;
	b->e.peer_addr.afi = VG_AFI_IP4;
	b->e.peer_addr.addr[0] = 192;
	b->e.peer_addr.addr[2] = 2;
	b->e.peer_addr.addr[3] = (uint8_t)peer;
	return &b->e;
}

static void
announce(struct obs *ob, uint32_t t, unsigned peer, struct vg_prefix p,
         uint32_t origin)
{
	struct test_elem b;
	uint32_t path[2] = {65000 + peer, origin};
	CHECK_EQ_INT(obs_elem(ob, "rrc00", mk(&b, VG_ELEM_ANNOUNCE, t, peer, p,
	                                      path, 2)),
	             0);
}

static void
session_down(struct obs *ob, uint32_t t, unsigned peer)
{
	struct test_elem b;
	mk(&b, VG_ELEM_STATE, t, peer, test_pfx4(0, 0, 0, 0), NULL, 0);
	b.e.old_state = VG_STATE_ESTABLISHED;
	b.e.new_state = VG_STATE_IDLE;
	CHECK_EQ_INT(obs_elem(ob, "rrc00", &b.e), 0);
}

/* country:KP's signal per bin: origins and prefixes, -1 if no row */
struct kp_rows {
	int origins[8];
	int prefixes[8];
	uint64_t units[8];
};

static void
on_signals(void *ctx, const struct vg_signal *s, size_t n)
{
	struct kp_rows *k = ctx;
	for (size_t i = 0; i < n; i++) {
		unsigned bin = (s[i].bin_start - T0) / 300;
		if (s[i].ent.kind != VG_ENT_COUNTRY || strcmp(s[i].ent.cc, "KP") ||
		    bin >= 8)
			continue;
		k->origins[bin] = (int)s[i].origins;
		k->prefixes[bin] = (int)s[i].prefixes;
		k->units[bin] = s[i].v4_units;
	}
}

static struct geo_db *
kp_geo(void)
{
	char path[] = "/tmp/vigil_obs_test_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w");
	fputs("10.0.0.0,10.255.255.255,KP\n", f);
	fclose(f);
	struct geo_db *db = geo_db_new();
	char err[256];
	CHECK_EQ_INT(geo_load_csv(db, path, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	unlink(path);
	return db;
}

/*
 * Two full-feed peers (AS 65001, 65002).  10.1.0.0/16 is MOAS: peer 1
 * says origin 100, peer 2 origin 200; 10.2.0.0/16 has origin 200 at both.
 * The country's sample route of a prefix is the first counting route in
 * peer order, so KP has origins {100, 200} until peer 1's session goes
 * down; then both prefixes stay visible (1 of 1 full-feed ASN) and
 * 10.1.0.0/16's sample moves to peer 2's route: origins {200}.  No route
 * changed, only which routes count: the sweep that follows a change of
 * full-feed peers must still move the sample.
 */
static void
run_moas_session_drop(int eager, struct kp_rows *k)
{
	struct obs_opts o;
	struct obs_sink sink;
	obs_opts_default(&o);
	o.rib.full_v4 = 1;
	o.eager = eager;
	memset(k, 0xff, sizeof(*k));
	memset(&sink, 0, sizeof(sink));
	sink.ctx = k;
	sink.signals = on_signals;
	struct geo_db *geo = kp_geo();
	if (geo == NULL)
		return;
	struct obs *ob = obs_new(&o, geo, &sink);
	CHECK(ob != NULL);
	if (ob == NULL) {
		geo_db_free(geo);
		return;
	}
	announce(ob, T0 + 10, 1, test_pfx4(10, 1, 0, 16), 100);
	announce(ob, T0 + 11, 2, test_pfx4(10, 1, 0, 16), 200);
	announce(ob, T0 + 12, 1, test_pfx4(10, 2, 0, 16), 200);
	announce(ob, T0 + 13, 2, test_pfx4(10, 2, 0, 16), 200);
	session_down(ob, T0 + 400, 1);
	obs_advance(ob, T0 + 900);
	obs_finish(ob);
	obs_free(ob);
	geo_db_free(geo);
}

static void
test_sweep_moves_sample(void)
{
	struct kp_rows lazy, eager;
	run_moas_session_drop(0, &lazy);
	run_moas_session_drop(1, &eager);
	for (int bin = 0; bin < 2; bin++) {
		CHECK_EQ_INT(lazy.prefixes[bin], 2);
		CHECK_EQ_INT(lazy.units[bin], 512);
	}
	CHECK_EQ_INT(lazy.origins[0], 2);
	CHECK_EQ_INT(lazy.origins[1], 1);
	CHECK(memcmp(&lazy, &eager, sizeof(lazy)) == 0);
}

int
main(void)
{
	RUN(test_sweep_moves_sample);
	return TEST_MAIN_END();
}
