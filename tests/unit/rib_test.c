/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the routing state (src/rib): route changes as reported to
 * the observatory, flaps, path interning, session drops with the stale
 * grace period, RIB dump resynchronisation, full-feed peers and the
 * distinct-ASN visibility rule.
 */
#include <string.h>

#include "test.h"
#include "test_elem.h"
#include "vigil/rib.h"

static struct vg_addr
addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct vg_addr x;
	memset(&x, 0, sizeof(x));
	x.afi = VG_AFI_IP4;
	x.addr[0] = a;
	x.addr[1] = b;
	x.addr[2] = c;
	x.addr[3] = d;
	return x;
}

static void
test_announce_withdraw_pathchange(void)
{
	struct rib_opts o;
	rib_opts_default(&o);
	struct rib *r = rib_new(&o);
	struct test_elem b;
	struct rib_change_info ci;
	struct vg_addr pa = addr4(192, 0, 2, 1);
	int peer = rib_peer_id(r, "rrc00", &pa, 64496);
	static const uint32_t p1[] = {64496, 4837, 131279};
	static const uint32_t p2[] = {64496, 1239, 4837, 131279};

	CHECK(peer >= 0);
	CHECK_EQ_INT(rib_peer_id(r, "rrc00", &pa, 64496), peer);
	CHECK(rib_peer_id(r, "rrc01", &pa, 64496) != peer);

	CHECK_EQ_INT(rib_apply(r, (unsigned)peer,
	                       test_elem(&b, VG_ELEM_ANNOUNCE, 1000,
	                          test_pfx4(175, 45, 176, 24), p1, 3),
	                       300, &ci), 0);
	CHECK_EQ_INT(ci.change, RIB_NEW);
	CHECK_EQ_INT(rib_path_origin(r, ci.new_path), 131279);
	uint32_t pid1 = ci.new_path;
	/* the same route again: a duplicate, same interned path */
	rib_apply(r, (unsigned)peer,
	          test_elem(&b, VG_ELEM_ANNOUNCE, 1010, test_pfx4(175, 45, 176, 24), p1, 3),
	          300, &ci);
	CHECK_EQ_INT(ci.change, RIB_DUP);
	CHECK_EQ_INT(ci.new_path, pid1);
	/* another path */
	rib_apply(r, (unsigned)peer,
	          test_elem(&b, VG_ELEM_ANNOUNCE, 1020, test_pfx4(175, 45, 176, 24), p2, 4),
	          300, &ci);
	CHECK_EQ_INT(ci.change, RIB_PATH);
	CHECK_EQ_INT(ci.old_path, pid1);
	CHECK(ci.new_path != pid1);
	char txt[64];
	rib_path_text(r, ci.new_path, txt, sizeof(txt));
	CHECK_EQ_STR(txt, "64496 1239 4837 131279");
	/* withdraw: the old path is reported */
	uint32_t pid2 = ci.new_path;
	rib_apply(r, (unsigned)peer,
	          test_elem(&b, VG_ELEM_WITHDRAW, 1030, test_pfx4(175, 45, 176, 24), NULL, 0),
	          300, &ci);
	CHECK_EQ_INT(ci.change, RIB_WD);
	CHECK_EQ_INT(ci.old_path, pid2);
	CHECK_EQ_INT(rib_peer(r, (unsigned)peer)->n_v4, 0);
	/* withdrawing again, or an unknown prefix: nothing to remove */
	rib_apply(r, (unsigned)peer,
	          test_elem(&b, VG_ELEM_WITHDRAW, 1040, test_pfx4(175, 45, 176, 24), NULL, 0),
	          300, &ci);
	CHECK_EQ_INT(ci.change, RIB_WD_NONE);
	rib_apply(r, (unsigned)peer,
	          test_elem(&b, VG_ELEM_WITHDRAW, 1040, test_pfx4(10, 0, 0, 8), NULL, 0), 300,
	          &ci);
	CHECK_EQ_INT(ci.change, RIB_WD_NONE);
	/* unreferenced paths are collected: no path is left */
	const uint32_t *ids;
	size_t n;
	rib_take_dirty(r, &ids, &n);
	struct rib_stats st;
	rib_stats(r, &st);
	CHECK_EQ_INT(st.routes, 0);
	CHECK_EQ_INT(st.paths, 0);
	rib_free(r);
}

static void
test_flaps(void)
{
	struct rib *r = rib_new(NULL);
	struct test_elem b;
	struct rib_change_info ci;
	struct vg_addr pa = addr4(192, 0, 2, 1);
	int peer = rib_peer_id(r, "c", &pa, 64496);
	static const uint32_t p1[] = {64496, 131279};
	struct vg_prefix p = test_pfx4(175, 45, 177, 24);

	rib_apply(r, (unsigned)peer, test_elem(&b, VG_ELEM_ANNOUNCE, 1000, p, p1, 2), 300,
	          &ci);
	CHECK_EQ_INT(ci.flap, 0);
	/* withdrawn 2 minutes after being announced: a flap */
	rib_apply(r, (unsigned)peer, test_elem(&b, VG_ELEM_WITHDRAW, 1120, p, NULL, 0),
	          300, &ci);
	CHECK_EQ_INT(ci.flap, 1);
	/* back 100 s later: a flap */
	rib_apply(r, (unsigned)peer, test_elem(&b, VG_ELEM_ANNOUNCE, 1220, p, p1, 2), 300,
	          &ci);
	CHECK_EQ_INT(ci.change, RIB_NEW);
	CHECK_EQ_INT(ci.flap, 1);
	/* withdrawn an hour later and back an hour after: no flap */
	rib_apply(r, (unsigned)peer, test_elem(&b, VG_ELEM_WITHDRAW, 4820, p, NULL, 0),
	          300, &ci);
	CHECK_EQ_INT(ci.flap, 0);
	rib_apply(r, (unsigned)peer, test_elem(&b, VG_ELEM_ANNOUNCE, 8420, p, p1, 2), 300,
	          &ci);
	CHECK_EQ_INT(ci.flap, 0);
	rib_free(r);
}

/* Flaps are timed per collector: a withdrawal at one collector and an
 * announcement at another are no flap (so per-collector partial runs
 * see the same flaps as one process); the same at one collector is. */
static void
test_flaps_per_collector(void)
{
	struct rib *r = rib_new(NULL);
	struct test_elem b;
	struct rib_change_info ci;
	struct vg_addr pa = addr4(192, 0, 2, 1), pb = addr4(192, 0, 2, 2);
	int a = rib_peer_id(r, "rrc00", &pa, 64496);
	int c = rib_peer_id(r, "rrc01", &pb, 64497);
	int a2 = rib_peer_id(r, "rrc00", &pb, 64497);
	static const uint32_t p1[] = {64496, 131279};
	struct vg_prefix p = test_pfx4(175, 45, 177, 24);

	rib_apply(r, (unsigned)a, test_elem(&b, VG_ELEM_ANNOUNCE, 1000, p, p1, 2), 300, &ci);
	rib_apply(r, (unsigned)a, test_elem(&b, VG_ELEM_WITHDRAW, 2000, p, NULL, 0), 300, &ci);
	CHECK_EQ_INT(ci.flap, 0);
	/* another collector's peer announces it 60 s later: not a flap */
	rib_apply(r, (unsigned)c, test_elem(&b, VG_ELEM_ANNOUNCE, 2060, p, p1, 2), 300, &ci);
	CHECK_EQ_INT(ci.change, RIB_NEW);
	CHECK_EQ_INT(ci.flap, 0);
	/* a second peer of the first collector: a flap */
	rib_apply(r, (unsigned)a2, test_elem(&b, VG_ELEM_ANNOUNCE, 2100, p, p1, 2), 300, &ci);
	CHECK_EQ_INT(ci.change, RIB_NEW);
	CHECK_EQ_INT(ci.flap, 1);
	/* the global activity times still follow every collector */
	CHECK_EQ_INT(rib_pfx(r, ci.pfx)->last_ann, 2100);
	CHECK_EQ_INT(rib_pfx(r, ci.pfx)->last_wd, 2000);
	/* canonical peer order: collector first, then address */
	CHECK(rib_peer_cmp(rib_peer(r, (unsigned)a), rib_peer(r, (unsigned)a2)) < 0);
	CHECK(rib_peer_cmp(rib_peer(r, (unsigned)a2), rib_peer(r, (unsigned)c)) < 0);
	rib_free(r);
}

/* Peers with routes to N prefixes 10.x.0.0/16 */
static void
fill(struct rib *r, int peer, unsigned n, uint32_t asn, uint32_t t,
     enum vg_elem_type type)
{
	struct test_elem b;
	struct rib_change_info ci;
	uint32_t path[] = {asn, 3356, 65000};
	for (unsigned i = 0; i < n; i++)
		rib_apply(r, (unsigned)peer,
		          test_elem(&b, type, t, test_pfx4(10, (uint8_t)(i / 256), (uint8_t)i, 24),
		             path, 3),
		          300, &ci);
}

static void
test_visibility_distinct_asns(void)
{
	struct rib_opts o;
	rib_opts_default(&o);
	o.full_v4 = 100; /* a small "full table" */
	struct rib *r = rib_new(&o);
	struct vg_addr a1 = addr4(192, 0, 2, 1), a2 = addr4(192, 0, 2, 2),
	               a3 = addr4(192, 0, 2, 3), a4 = addr4(192, 0, 2, 4);
	int p1 = rib_peer_id(r, "c", &a1, 1);
	int p2 = rib_peer_id(r, "c", &a2, 1); /* a second session of AS1 */
	int p3 = rib_peer_id(r, "c", &a3, 2);
	int p4 = rib_peer_id(r, "c", &a4, 3);
	fill(r, p1, 100, 1, 1000, VG_ELEM_ANNOUNCE);
	fill(r, p2, 100, 1, 1000, VG_ELEM_ANNOUNCE);
	fill(r, p3, 100, 2, 1000, VG_ELEM_ANNOUNCE);
	fill(r, p4, 50, 3, 1000, VG_ELEM_ANNOUNCE); /* partial: not full */
	CHECK_EQ_INT(rib_update_full_feed(r), 1);
	/* denominator: distinct ASNs of full-feed peers (1, 2), not 3
	 * sessions, and not the partial peer */
	CHECK_EQ_INT(rib_full_asns(r, VG_AFI_IP4), 2);
	CHECK_EQ_INT(rib_update_full_feed(r), 0);

	const uint32_t *ids;
	size_t n;
	rib_take_dirty(r, &ids, &n);
	CHECK_EQ_INT(n, 100);
	for (size_t i = 0; i < n; i++)
		rib_recompute(r, ids[i]);
	uint32_t visible = 0;
	for (uint32_t i = 0; i < rib_npfx(r); i++)
		visible += (rib_pfx(r, i)->flags & RIB_PFX_VISIBLE) != 0;
	CHECK_EQ_INT(visible, 100);
	/* both sessions of AS1 count once */
	CHECK_EQ_INT(rib_pfx(r, 0)->seen_asns, 2);

	/* AS2 withdraws 10.0.5.0/24: seen by 1 of 2 ASNs = 50% = visible;
	 * the AS1 sessions withdraw it too: invisible */
	struct test_elem b;
	struct rib_change_info ci;
	rib_apply(r, (unsigned)p3,
	          test_elem(&b, VG_ELEM_WITHDRAW, 1100, test_pfx4(10, 0, 5, 24), NULL, 0), 300,
	          &ci);
	rib_take_dirty(r, &ids, &n);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(rib_recompute(r, ids[0]), 0);
	CHECK(rib_pfx(r, ids[0])->flags & RIB_PFX_VISIBLE);
	rib_apply(r, (unsigned)p1,
	          test_elem(&b, VG_ELEM_WITHDRAW, 1100, test_pfx4(10, 0, 5, 24), NULL, 0), 300,
	          &ci);
	rib_apply(r, (unsigned)p2,
	          test_elem(&b, VG_ELEM_WITHDRAW, 1100, test_pfx4(10, 0, 5, 24), NULL, 0), 300,
	          &ci);
	rib_take_dirty(r, &ids, &n);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(rib_recompute(r, ids[0]), 1);
	CHECK(!(rib_pfx(r, ids[0])->flags & RIB_PFX_VISIBLE));
	rib_free(r);
}

static void
test_session_drop_and_grace(void)
{
	struct rib_opts o;
	rib_opts_default(&o);
	o.full_v4 = 10;
	o.stale_grace = 600;
	struct rib *r = rib_new(&o);
	struct vg_addr a1 = addr4(192, 0, 2, 1), a2 = addr4(192, 0, 2, 2);
	int p1 = rib_peer_id(r, "c", &a1, 1);
	int p2 = rib_peer_id(r, "c", &a2, 2);
	fill(r, p1, 20, 1, 1000, VG_ELEM_ANNOUNCE);
	fill(r, p2, 20, 2, 1000, VG_ELEM_ANNOUNCE);
	rib_update_full_feed(r);
	CHECK_EQ_INT(rib_full_asns(r, VG_AFI_IP4), 2);

	/* the session drops: routes stay, the peer does not count */
	rib_peer_state(r, (unsigned)p1, VG_STATE_IDLE, 2000);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p1)->n_v4, 20);
	CHECK_EQ_INT(rib_update_full_feed(r), 1);
	CHECK_EQ_INT(rib_full_asns(r, VG_AFI_IP4), 1);

	/* back up; re-announces 15 of its 20 routes: duplicates, no change */
	rib_peer_state(r, (unsigned)p1, VG_STATE_ESTABLISHED, 2100);
	struct test_elem b;
	struct rib_change_info ci;
	uint32_t path[] = {1, 3356, 65000};
	unsigned dups = 0;
	for (unsigned i = 0; i < 15; i++) {
		rib_apply(r, (unsigned)p1,
		          test_elem(&b, VG_ELEM_ANNOUNCE, 2110,
		             test_pfx4(10, 0, (uint8_t)i, 24), path, 3),
		          300, &ci);
		dups += ci.change == RIB_DUP;
	}
	CHECK_EQ_INT(dups, 15);
	/* before the grace period ends nothing is dropped */
	CHECK_EQ_INT(rib_expire_stale(r, 2600), 0);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p1)->n_v4, 20);
	/* after it, the 5 routes not re-announced are */
	CHECK_EQ_INT(rib_expire_stale(r, 2700), 5);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p1)->n_v4, 15);
	CHECK_EQ_INT(rib_expire_stale(r, 9999), 0);
	rib_free(r);
}

static void
test_rib_dump_resync(void)
{
	struct rib *r = rib_new(NULL);
	struct vg_addr a1 = addr4(192, 0, 2, 1), a2 = addr4(192, 0, 2, 2);
	int p1 = rib_peer_id(r, "rrc00", &a1, 1);
	int p2 = rib_peer_id(r, "rrc00", &a2, 2);
	fill(r, p1, 30, 1, 1000, VG_ELEM_ANNOUNCE);
	fill(r, p2, 30, 2, 1000, VG_ELEM_ANNOUNCE);
	/* a dump that lists 20 of p1's routes and none of p2 */
	rib_dump_begin(r, "rrc00");
	fill(r, p1, 20, 1, 2000, VG_ELEM_RIB);
	CHECK_EQ_INT(rib_dump_end(r, "rrc00"), 10);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p1)->n_v4, 20);
	/* a peer absent from the dump keeps its routes */
	CHECK_EQ_INT(rib_peer(r, (unsigned)p2)->n_v4, 30);
	/* and they stay through a later grace expiry */
	CHECK_EQ_INT(rib_expire_stale(r, 1000000), 0);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p2)->n_v4, 30);
	rib_free(r);
}

/* The dump end looks for unconfirmed routes only when a peer holds some
 * (a count kept as routes are confirmed, added and removed): these are
 * the cases where the count must be right for the answer to be. */
static void
test_rib_dump_confirm_count(void)
{
	struct rib *r = rib_new(NULL);
	struct vg_addr a1 = addr4(192, 0, 2, 1);
	int p1 = rib_peer_id(r, "rrc00", &a1, 1);
	struct test_elem b;
	struct rib_change_info ci;
	uint32_t path[] = {1, 3356, 65000};

	fill(r, p1, 30, 1, 1000, VG_ELEM_ANNOUNCE);
	/* every route listed, some twice, one withdrawn and one new one
	 * announced during the dump: nothing is unconfirmed */
	rib_dump_begin(r, "rrc00");
	fill(r, p1, 30, 1, 2000, VG_ELEM_RIB);
	fill(r, p1, 5, 1, 2000, VG_ELEM_RIB);
	rib_apply(r, (unsigned)p1, test_elem(&b, VG_ELEM_WITHDRAW, 2001,
	                              test_pfx4(10, 0, 3, 24), NULL, 0), 300, &ci);
	CHECK_EQ_INT(ci.change, RIB_WD);
	rib_apply(r, (unsigned)p1, test_elem(&b, VG_ELEM_ANNOUNCE, 2002,
	                              test_pfx4(10, 1, 0, 24), path, 3), 300, &ci);
	CHECK_EQ_INT(ci.change, RIB_NEW);
	CHECK_EQ_INT(rib_dump_end(r, "rrc00"), 0);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p1)->n_v4, 30);

	/* the next dump lists 10.0.0-28 (10.0.3 anew); 10.0.29 and 10.1.0
	 * come as updates instead, and a listed one is withdrawn: still
	 * nothing unconfirmed */
	rib_dump_begin(r, "rrc00");
	fill(r, p1, 29, 1, 3000, VG_ELEM_RIB);
	rib_apply(r, (unsigned)p1, test_elem(&b, VG_ELEM_WITHDRAW, 3001,
	                              test_pfx4(10, 0, 7, 24), NULL, 0), 300, &ci);
	rib_apply(r, (unsigned)p1, test_elem(&b, VG_ELEM_ANNOUNCE, 3002,
	                              test_pfx4(10, 1, 0, 24), path, 3), 300, &ci);
	CHECK_EQ_INT(ci.change, RIB_DUP);
	rib_apply(r, (unsigned)p1, test_elem(&b, VG_ELEM_ANNOUNCE, 3002,
	                              test_pfx4(10, 0, 29, 24), path, 3), 300, &ci);
	CHECK_EQ_INT(rib_dump_end(r, "rrc00"), 0);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p1)->n_v4, 30);

	/* 30 entries for the 30 held (10.0.0-29 but 7, then 10.0.0 again):
	 * as many entries as routes, yet 10.1.0 was not listed */
	rib_dump_begin(r, "rrc00");
	for (unsigned i = 0; i < 31; i++)
		if (i != 7)
			rib_apply(r, (unsigned)p1,
			          test_elem(&b, VG_ELEM_RIB, 3500,
			             test_pfx4(10, 0, (uint8_t)(i % 30), 24), path, 3),
			          300, &ci);
	CHECK_EQ_INT(rib_dump_end(r, "rrc00"), 1);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p1)->n_v4, 29);

	/* a dump of 10.0.0-9 (7 anew), one of them twice: the other 20 go,
	 * at once */
	rib_dump_begin(r, "rrc00");
	fill(r, p1, 10, 1, 4000, VG_ELEM_RIB);
	fill(r, p1, 1, 1, 4000, VG_ELEM_RIB);
	CHECK_EQ_INT(rib_dump_end(r, "rrc00"), 20);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p1)->n_v4, 10);

	/* a session reset: re-announced routes stay, at End-of-RIB the one
	 * that was not goes (and with all re-announced, none does) */
	rib_peer_state(r, (unsigned)p1, VG_STATE_IDLE, 5000);
	rib_peer_state(r, (unsigned)p1, VG_STATE_ESTABLISHED, 5001);
	fill(r, p1, 9, 1, 5002, VG_ELEM_ANNOUNCE);
	CHECK_EQ_INT(rib_peer_eor(r, (unsigned)p1, VG_AFI_IP4), 1);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p1)->n_v4, 9);
	rib_peer_state(r, (unsigned)p1, VG_STATE_IDLE, 6000);
	rib_peer_state(r, (unsigned)p1, VG_STATE_ESTABLISHED, 6001);
	fill(r, p1, 9, 1, 6002, VG_ELEM_ANNOUNCE);
	CHECK_EQ_INT(rib_peer_eor(r, (unsigned)p1, VG_AFI_IP4), 0);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p1)->n_v4, 9);
	rib_free(r);
}

/* A RIB record's first entry sizes the prefix's route array for the
 * record's other entries (the rib_more hint): one allocation, no slack. */
static void
test_rib_record_sizing(void)
{
	struct rib *r = rib_new(NULL);
	struct test_elem b;
	struct rib_change_info ci;
	struct rib_stats st;
	uint32_t path[] = {1, 3356, 65000};
	for (unsigned i = 0; i < 12; i++) {
		struct vg_addr a = addr4(192, 0, 2, (uint8_t)(i + 1));
		int p = rib_peer_id(r, "rrc00", &a, 64496 + i);
		path[0] = 64496 + i;
		test_elem(&b, VG_ELEM_RIB, 1000, test_pfx4(10, 0, 0, 24), path, 3);
		b.e.rib_more = (uint16_t)(11 - i);
		CHECK_EQ_INT(rib_apply(r, (unsigned)p, &b.e, 300, &ci), 0);
	}
	rib_stats(r, &st);
	CHECK_EQ_INT(st.routes, 12);
	CHECK_EQ_INT(st.bytes_routes, 12 * sizeof(struct rib_route));
	CHECK_EQ_INT(rib_pfx(r, ci.pfx)->nroutes, 12);
	for (unsigned i = 1; i < 12; i++)
		CHECK(rib_pfx(r, ci.pfx)->routes[i - 1].peer <
		      rib_pfx(r, ci.pfx)->routes[i].peer);
	rib_free(r);
}

struct freed {
	uint32_t ids[8];
	unsigned n;
};

static void
on_free(void *ctx, uint32_t path)
{
	struct freed *f = ctx;
	if (f->n < 8)
		f->ids[f->n++] = path;
}

/* Side tables keyed by path id hear of each freed id, and only of those. */
static void
test_path_free_hook(void)
{
	struct rib *r = rib_new(NULL);
	struct freed f = {{0}, 0};
	struct vg_addr a1 = addr4(192, 0, 2, 1), a2 = addr4(192, 0, 2, 2);
	int p1 = rib_peer_id(r, "rrc00", &a1, 1);
	int p2 = rib_peer_id(r, "rrc00", &a2, 2);
	struct test_elem b;
	struct rib_change_info ci;
	const uint32_t *ids;
	size_t n;
	uint32_t pa[] = {1, 3356, 65000}, pb[] = {2, 3356, 65000};

	rib_on_path_free(r, on_free, &f);
	rib_apply(r, (unsigned)p1, test_elem(&b, VG_ELEM_ANNOUNCE, 10,
	                              test_pfx4(10, 0, 0, 24), pa, 3), 300, &ci);
	uint32_t ida = ci.new_path;
	rib_apply(r, (unsigned)p2, test_elem(&b, VG_ELEM_ANNOUNCE, 10,
	                              test_pfx4(10, 0, 0, 24), pb, 3), 300, &ci);
	uint32_t idb = ci.new_path;
	rib_apply(r, (unsigned)p2, test_elem(&b, VG_ELEM_ANNOUNCE, 10,
	                              test_pfx4(10, 0, 1, 24), pb, 3), 300, &ci);
	/* pa loses its only route; pb keeps one of two */
	rib_apply(r, (unsigned)p1, test_elem(&b, VG_ELEM_WITHDRAW, 20,
	                              test_pfx4(10, 0, 0, 24), NULL, 0), 300, &ci);
	rib_apply(r, (unsigned)p2, test_elem(&b, VG_ELEM_WITHDRAW, 20,
	                              test_pfx4(10, 0, 0, 24), NULL, 0), 300, &ci);
	CHECK_EQ_INT(f.n, 0); /* not before the collection */
	rib_take_dirty(r, &ids, &n);
	CHECK_EQ_INT(f.n, 1);
	CHECK_EQ_INT(f.ids[0], ida);
	CHECK(rib_path_serial(r, idb) != 0);
	CHECK_EQ_INT(rib_path_serial(r, ida), 0);
	rib_free(r);
}

static void
test_memory_per_route(void)
{
	struct rib_opts o;
	rib_opts_default(&o);
	struct rib *r = rib_new(&o);
	struct vg_addr a[12];
	int peer[12];
	for (int i = 0; i < 12; i++) {
		a[i] = addr4(192, 0, 2, (uint8_t)(i + 1));
		peer[i] = rib_peer_id(r, "c", &a[i], 65536 + (uint32_t)i);
	}
	struct test_elem b;
	struct rib_change_info ci;
	for (unsigned i = 0; i < 20000; i++) {
		uint32_t path[] = {0, 3356, 1000 + i % 500};
		for (int k = 0; k < 12; k++) {
			path[0] = 65536 + (uint32_t)k;
			rib_apply(r, (unsigned)peer[k],
			          test_elem(&b, VG_ELEM_RIB, 1000,
			             test_pfx4((uint8_t)(1 + i / 65536),
			                  (uint8_t)(i / 256), (uint8_t)i, 24),
			             path, 3),
			          300, &ci);
		}
	}
	struct rib_stats st;
	rib_stats(r, &st);
	CHECK_EQ_INT(st.routes, 240000);
	double per = (double)(st.bytes_routes + st.bytes_prefixes + st.bytes_index +
	                      st.bytes_paths) /
	             st.routes;
	printf("# %.1f bytes per route (12 peers, 20000 prefixes)\n", per);
	CHECK(per < 40);
	rib_free(r);
}

int
main(void)
{
	RUN(test_announce_withdraw_pathchange);
	RUN(test_flaps);
	RUN(test_flaps_per_collector);
	RUN(test_visibility_distinct_asns);
	RUN(test_session_drop_and_grace);
	RUN(test_rib_dump_resync);
	RUN(test_rib_dump_confirm_count);
	RUN(test_rib_record_sizing);
	RUN(test_path_free_hook);
	RUN(test_memory_per_route);
	return TEST_MAIN_END();
}
