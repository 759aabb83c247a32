/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the MRT reader (src/wire/mrt.c and every decoder it
 * drives): the input is an MRT stream, read through vg_stream_open_mem,
 * mrt_reader_new and mrt_reader_next_elem to the end.  Every element is
 * checked field by field (prefix length and host bits, borrowed attribute
 * spans inside the record body, AS path text length) and formatted with
 * both text formatters into a memory buffer; every problem the reader
 * reports is checked for sane fields.  ASan catches reads outside the
 * input; the span checks catch reads outside a record but inside the
 * reader's own buffer, which ASan cannot see.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/fmt.h"
#include "vigil/mrt.h"
#include "vigil/obuf.h"
#include "vigil/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which and crash so libFuzzer keeps the input. */
#define INVARIANT(cond)                                                     \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "mrt_fuzz: invariant %s failed at " \
			                "%s:%d\n", #cond, __FILE__, __LINE__); \
			abort();                                            \
		}                                                           \
	} while (0)

struct fuzz_ctx {
	size_t size;       /* input bytes */
	int plain;         /* uncompressed: offsets are bounded by size */
	struct mrt_reader *r;
	uint64_t problems; /* callbacks seen */
};

static void
on_problem(void *vctx, const struct mrt_problem *p)
{
	struct fuzz_ctx *ctx = vctx;
	size_t mlen;

	ctx->problems++;
	INVARIANT(p->msg != NULL);
	mlen = strlen(p->msg);
	INVARIANT(mlen > 0 && mlen < 256);
	INVARIANT(p->file != NULL && strcmp(p->file, "fuzz") == 0);
	INVARIANT(p->err >= VG_ERR_TRUNCATED && p->err <= VG_ERR_UNSUPPORTED);
	INVARIANT(p->action <= VG_ACT_PARTIAL);
	if (ctx->plain)
		INVARIANT(p->offset <= ctx->size + 16);
	if (ctx->r) {
		const struct mrt_stats *st = mrt_reader_stats(ctx->r);
		INVARIANT(p->record <= st->records);
	}
	if (p->record == 0)
		INVARIANT(p->type == 0 && p->subtype == 0);
}

/* A borrowed span must lie inside the record body it came from. */
static void
check_span(const struct mrt_record *rec, const uint8_t *p, uint32_t len)
{
	volatile uint8_t sink = 0;

	if (len == 0)
		return;
	INVARIANT(p != NULL);
	INVARIANT(p >= rec->body && p + len <= rec->body + rec->len);
	/* Touch the first and last byte so ASan checks them too. */
	sink ^= p[0];
	sink ^= p[len - 1];
	(void)sink;
}

static void
check_prefix(const struct vg_prefix *p)
{
	unsigned max = p->afi == VG_AFI_IP4 ? 32 : 128;
	uint8_t masked[16];

	INVARIANT(p->afi == VG_AFI_IP4 || p->afi == VG_AFI_IP6);
	INVARIANT(p->len <= max);
	memcpy(masked, p->addr, 16);
	vg_addr_mask(masked, p->len, 16);
	INVARIANT(memcmp(masked, p->addr, 16) == 0);
}

static void
check_path(const struct bgp_path *path)
{
	uint32_t total = 0;
	char small[8];
	size_t need, got;
	char *full;

	for (uint32_t s = 0; s < path->nseg; s++) {
		INVARIANT(path->seg_type[s] >= BGP_AS_SET &&
		          path->seg_type[s] <= BGP_AS_CONFED_SET);
		total += path->seg_len[s];
	}
	INVARIANT(total == path->nasn);
	INVARIANT(bgp_path_count(path) <= path->nasn);
	(void)bgp_path_origin(path);
	need = bgp_path_fmt(path, NULL, 0);
	got = bgp_path_fmt(path, small, sizeof(small));
	INVARIANT(got == need);
	INVARIANT(strlen(small) == (need < sizeof(small) ? need : sizeof(small) - 1));
	full = malloc(need + 1);
	INVARIANT(full != NULL);
	got = bgp_path_fmt(path, full, need + 1);
	INVARIANT(got == need && strlen(full) == need);
	INVARIANT(strncmp(full, small, strlen(small)) == 0);
	free(full);
}

static void
check_attrs(const struct mrt_record *rec, const struct bgp_attrs *a)
{
	check_span(rec, a->all.p, a->all.len);
	INVARIANT(a->asn_size == 2 || a->asn_size == 4);
	INVARIANT(a->n_raw <= BGP_ATTR_MAX_RAW && a->n_raw <= a->n_raw_total);
	if (BGP_HAS(a, BGP_ATTR_ORIGIN))
		INVARIANT(a->origin <= 2);
	if (BGP_HAS(a, BGP_ATTR_AS_PATH))
		check_span(rec, a->as_path.p, a->as_path.len);
	if (BGP_HAS(a, BGP_ATTR_AS4_PATH))
		check_span(rec, a->as4_path.p, a->as4_path.len);
	if (BGP_HAS(a, BGP_ATTR_COMMUNITIES)) {
		INVARIANT(a->communities.len % 4 == 0);
		check_span(rec, a->communities.p, a->communities.len);
	}
	if (BGP_HAS(a, BGP_ATTR_EXT_COMMUNITIES)) {
		INVARIANT(a->ext_communities.len % 8 == 0);
		check_span(rec, a->ext_communities.p, a->ext_communities.len);
	}
	if (BGP_HAS(a, BGP_ATTR_LARGE_COMMUNITIES)) {
		INVARIANT(a->large_communities.len % 12 == 0);
		check_span(rec, a->large_communities.p, a->large_communities.len);
	}
	if (BGP_HAS(a, BGP_ATTR_CLUSTER_LIST))
		check_span(rec, a->cluster_list.p, a->cluster_list.len);
	if (BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI)) {
		INVARIANT(a->mp_reach.nh_len <= 48);
		check_span(rec, a->mp_reach.nlri.p, a->mp_reach.nlri.len);
	}
	if (BGP_HAS(a, BGP_ATTR_MP_UNREACH_NLRI))
		check_span(rec, a->mp_unreach.nlri.p, a->mp_unreach.nlri.len);
	for (unsigned i = 0; i < a->n_raw; i++)
		check_span(rec, a->raw[i].val.p, a->raw[i].val.len);
}

static void
check_elem(struct fuzz_ctx *ctx, const struct vg_elem *e)
{
	const struct mrt_record *rec = e->source;

	INVARIANT(rec != NULL);
	INVARIANT(rec->index >= 1);
	INVARIANT(rec->hdr_len == 12 || rec->hdr_len == 16);
	if (ctx->plain)
		INVARIANT(rec->offset + rec->hdr_len + rec->len <= ctx->size);
	INVARIANT(e->type >= VG_ELEM_RIB && e->type <= VG_ELEM_STATE);
	INVARIANT(vg_elem_type_name((enum vg_elem_type)e->type) != NULL);
	INVARIANT(e->peer_addr.afi <= VG_AFI_IP6);
	INVARIANT(e->nexthop.afi <= VG_AFI_IP6);
	if (e->type == VG_ELEM_STATE) {
		(void)vg_bgp_state_name(e->new_state);
		return;
	}
	check_prefix(&e->prefix);
	if (e->type == VG_ELEM_WITHDRAW)
		return;
	INVARIANT(e->attrs != NULL && e->path != NULL);
	check_attrs(rec, e->attrs);
	check_path(e->path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctx ctx = {.size = size};
	struct fmt_bgpdump fb;
	struct fmt_json fj = {.collector = "fuzz"};
	struct vg_obuf out;
	const struct vg_elem *e;
	const struct mrt_stats *st;
	const struct mrt_peer *peers;
	uint32_t npeers;
	uint64_t elems = 0;
	char err[256];
	vg_stream *s;
	int rc;

	s = vg_stream_open_mem(data, size, NULL, err, sizeof(err));
	if (s == NULL)
		return 0;
	ctx.plain = vg_stream_compression(s) == VG_COMP_NONE;
	ctx.r = mrt_reader_new(s, "fuzz", on_problem, &ctx);
	INVARIANT(ctx.r != NULL);
	/* End-of-RIB elements for half the inputs (replay and collect ask
	 * for them); they are not routes: not formatted, not counted */
	mrt_reader_set_eor(ctx.r, (size >> 1) & 1);
	INVARIANT(vg_obuf_init(&out, -1, 1) == 0);
	fmt_bgpdump_init(&fb);
	fb.show_large = size & 1;

	while ((rc = mrt_reader_next_elem(ctx.r, &e)) > 0) {
		if (e->type == VG_ELEM_EOR) {
			INVARIANT((size >> 1) & 1);
			INVARIANT(e->prefix.len == 0 && e->attrs == NULL &&
			          (e->prefix.afi == VG_AFI_IP4 ||
			           e->prefix.afi == VG_AFI_IP6));
			INVARIANT(!(e->flags & VG_ELEM_F_LOCAL));
			continue;
		}
		elems++;
		check_elem(&ctx, e);
		/* A fresh 1-byte buffer for each line: the formatters must
		 * reserve what they write, and a write past the reservation
		 * then lands outside the allocation, where ASan sees it. */
		vg_obuf_destroy(&out);
		INVARIANT(vg_obuf_init(&out, -1, 1) == 0);
		fmt_bgpdump_elem(&fb, &out, e);
		INVARIANT(out.error == 0 && out.len <= out.cap);
		INVARIANT(out.len > 0 && out.buf[out.len - 1] == '\n');
		INVARIANT(memchr(out.buf, '\n', out.len) == out.buf + out.len - 1);
		out.len = 0;
		fmt_json_elem(&fj, &out, e);
		INVARIANT(out.error == 0 && out.len <= out.cap);
		INVARIANT(out.len > 2 && out.buf[0] == '{' &&
		          out.buf[out.len - 1] == '\n');
	}
	INVARIANT(rc == 0 || (rc < 0 && !ctx.plain));
	/* The reader stays at its end. */
	INVARIANT(mrt_reader_next_elem(ctx.r, &e) == rc);

	st = mrt_reader_stats(ctx.r);
	INVARIANT(st->elems == elems);
	INVARIANT(st->problems == ctx.problems);
	INVARIANT(st->records_bad <= st->records + 1);
	INVARIANT(st->bytes_skipped <= st->bytes);
	if (ctx.plain && rc == 0)
		INVARIANT(st->bytes == size);
	peers = mrt_reader_peers(ctx.r, &npeers);
	if (peers) {
		for (uint32_t i = 0; i < npeers; i++)
			INVARIANT(peers[i].addr.afi == VG_AFI_IP4 ||
			          peers[i].addr.afi == VG_AFI_IP6);
	}

	fmt_bgpdump_destroy(&fb);
	vg_obuf_destroy(&out);
	mrt_reader_free(ctx.r);
	vg_stream_close(s);
	return 0;
}
