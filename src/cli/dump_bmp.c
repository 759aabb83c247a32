/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil dump` of BMP streams (a raw RFC 7854 byte stream as a router sends
 * it, e.g. reassembled from a capture): the stream goes through one
 * struct bmp_session exactly as the listener's connections do, elements are
 * printed like MRT ones (bgpdump -m lines typed BMP, or JSON lines with a
 * "bmp" object) and, in JSON, the messages that make no element too.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dump_bmp.h"
#include "vigil/bmp.h"

int
dump_bmp_looks_like(const uint8_t *p, size_t n)
{
	/* BMP v3 common header: version 3, a sane length, a known type.  An
	 * MRT file starts with a timestamp: a first byte of 3 would be 1971. */
	if (n < BMP_COMMON_HDR_LEN || p[0] != BMP_VERSION || p[5] > 6)
		return 0;
	uint32_t len = vg_load_be32(p + 1);
	return len >= BMP_COMMON_HDR_LEN && len <= BMP_MAX_MSG_LEN;
}

static void
on_problem(void *vctx, const struct bmp_problem *p)
{
	struct dump_bmp_ctx *ctx = vctx;
	if (ctx->quiet)
		return;
	if (ctx->shown >= ctx->max_problems) {
		ctx->suppressed++;
		return;
	}
	ctx->shown++;
	fprintf(stderr, "vigil: %s: BMP message %llu at byte %llu (%s): %s; %s\n",
	        p->router, (unsigned long long)p->msg,
	        (unsigned long long)p->offset,
	        p->msg_type == 0xff ? "?" : bmp_msg_type_name(p->msg_type),
	        p->msg_text, vg_action_name((enum vg_action)p->action));
}

static void
print_elem(struct dump_bmp_ctx *ctx, const struct vg_elem *e)
{
	if (ctx->filter && !vg_filter_match(ctx->filter, e))
		return;
	if (ctx->parse_only)
		return;
	if (ctx->json)
		fmt_json_elem(ctx->fj, ctx->out, e);
	else
		fmt_bgpdump_elem(ctx->fb, ctx->out, e);
}

static void
drain(struct dump_bmp_ctx *ctx, struct bmp_session *s)
{
	const struct bmp_msg *m;
	const struct vg_elem *e;
	uint16_t afi;
	uint8_t safi;

	while (bmp_session_next(s, &m) > 0) {
		int n = 0;
		while (bmp_session_next_elem(s, &e) > 0) {
			print_elem(ctx, e);
			n++;
		}
		if (!ctx->json || ctx->parse_only || ctx->filter)
			continue;
		if (bmp_session_eor(s, &afi, &safi))
			fmt_json_bmp_msg(ctx->out, m, bmp_session_router(s),
			                 bmp_session_stats(s)->msgs, 1, afi, safi);
		else if (m->type != BMP_ROUTE_MONITORING &&
		         m->type != BMP_PEER_UP && m->type != BMP_PEER_DOWN)
			fmt_json_bmp_msg(ctx->out, m, bmp_session_router(s),
			                 bmp_session_stats(s)->msgs, 0, 0, 0);
	}
}

int
dump_bmp_stream(struct dump_bmp_ctx *ctx, vg_stream *st, const char *path,
                const void *pre, size_t npre)
{
	struct bmp_session *s = bmp_session_new(path, on_problem, ctx);
	static uint8_t buf[1 << 16];
	ssize_t n;
	int status = EXIT_CLEAN;

	if (s == NULL) {
		fprintf(stderr, "vigil: out of memory\n");
		return EXIT_USAGE;
	}
	/* the formatter caches by attrs_gen, which restarts per session */
	ctx->fb->have = 0;
	if (npre) {
		bmp_session_push(s, pre, npre);
		drain(ctx, s);
	}
	while (!bmp_session_failed(s) && (n = vg_stream_read(st, buf, sizeof(buf))) > 0) {
		bmp_session_push(s, buf, (size_t)n);
		drain(ctx, s);
		if (ctx->out->error)
			break;
	}
	if (!bmp_session_failed(s) && vg_stream_error(st)) {
		fprintf(stderr, "vigil: %s: %s\n", path, vg_stream_error(st));
		status = EXIT_PROBLEMS;
	}
	bmp_session_end(s);
	const struct bmp_session_stats *ss = bmp_session_stats(s);
	if (ss->problems || ss->msgs_bad || bmp_session_failed(s))
		status = EXIT_PROBLEMS;
	if (ctx->summary)
		fprintf(stderr,
		        "vigil: %s: BMP, %llu bytes, %llu messages (%llu route "
		        "monitoring, %llu statistics, %llu peer down, %llu peer "
		        "up, %llu initiation, %llu termination, %llu mirroring), "
		        "%llu elements, %llu problems (%llu messages bad)%s\n",
		        path, (unsigned long long)ss->bytes,
		        (unsigned long long)ss->msgs,
		        (unsigned long long)ss->by_type[0],
		        (unsigned long long)ss->by_type[1],
		        (unsigned long long)ss->by_type[2],
		        (unsigned long long)ss->by_type[3],
		        (unsigned long long)ss->by_type[4],
		        (unsigned long long)ss->by_type[5],
		        (unsigned long long)ss->by_type[6],
		        (unsigned long long)ss->elems,
		        (unsigned long long)ss->problems,
		        (unsigned long long)ss->msgs_bad,
		        bmp_session_failed(s) ? ", stream failed" : "");
	bmp_session_free(s);
	return status;
}
