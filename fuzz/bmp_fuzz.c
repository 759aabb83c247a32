/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the BMP decoder and session (src/wire/bmp.c,
 * src/wire/bmp_session.c, and the BGP decoders they drive).  Byte 0 picks
 * a chunk size; the rest is a BMP stream, pushed into one session whole
 * and into another in chunks of that size.  Both must give the same
 * messages, elements and problems (framing does not depend on how the
 * bytes arrive); every element is checked (prefix length, host bits,
 * attribute spans inside the input) and formatted with the JSON and
 * bgpdump formatters, every message with the BMP JSON formatter, every
 * problem for sane fields.  The stream is also decoded message by message
 * with bmp_frame()/bmp_msg_decode() directly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/bmp.h"
#include "vigil/fmt.h"
#include "vigil/obuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INVARIANT(cond)                                                     \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "bmp_fuzz: invariant %s failed at " \
			                "%s:%d\n", #cond, __FILE__, __LINE__); \
			abort();                                            \
		}                                                           \
	} while (0)

struct run {
	uint64_t problems;
	uint64_t hash; /* of everything printed and every problem */
	size_t size;
};

static void
mix(struct run *r, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		r->hash = (r->hash ^ b[i]) * 1099511628211ull;
}

static void
on_problem(void *vctx, const struct bmp_problem *p)
{
	struct run *r = vctx;
	size_t mlen;
	r->problems++;
	INVARIANT(p->msg_text != NULL);
	mlen = strlen(p->msg_text);
	INVARIANT(mlen > 0 && mlen < VG_DIAG_MSGLEN);
	INVARIANT(p->err >= VG_ERR_TRUNCATED && p->err <= VG_ERR_UNSUPPORTED);
	INVARIANT(p->action <= VG_ACT_PARTIAL);
	INVARIANT(p->offset <= r->size);
	mix(r, p->msg_text, mlen);
	mix(r, &p->offset, sizeof(p->offset));
}

static void
in_input(const uint8_t *p, size_t n, const uint8_t *lo, const uint8_t *hi)
{
	if (n == 0)
		return;
	INVARIANT(p >= lo && p + n <= hi);
}

static void
check_elem(const struct vg_elem *e, const struct bmp_session *s)
{
	INVARIANT(e->flags & VG_ELEM_F_BMP);
	INVARIANT(e->source != NULL);
	if (e->type == VG_ELEM_STATE)
		return;
	INVARIANT(e->type == VG_ELEM_ANNOUNCE || e->type == VG_ELEM_WITHDRAW);
	INVARIANT(e->prefix.afi == VG_AFI_IP4 || e->prefix.afi == VG_AFI_IP6);
	INVARIANT(e->prefix.len <= (e->prefix.afi == VG_AFI_IP4 ? 32 : 128));
	unsigned nb = e->prefix.afi == VG_AFI_IP4 ? 4 : 16;
	for (unsigned bit = e->prefix.len; bit < nb * 8; bit++)
		INVARIANT(!(e->prefix.addr[bit / 8] & (0x80 >> (bit % 8))));
	if (e->type == VG_ELEM_ANNOUNCE) {
		const struct bmp_elem_src *src = e->source;
		const uint8_t *lo = src->msg->bgp.p;
		const uint8_t *hi = lo + src->msg->bgp.len;
		INVARIANT(e->attrs && e->path);
		in_input(e->attrs->all.p, e->attrs->all.len, lo, hi);
		in_input(e->attrs->as_path.p, e->attrs->as_path.len, lo, hi);
		in_input(e->attrs->communities.p, e->attrs->communities.len, lo, hi);
	}
	(void)s;
}

static void
drain(struct bmp_session *s, struct run *r, struct vg_obuf *o,
      struct fmt_bgpdump *fb)
{
	const struct bmp_msg *m;
	const struct vg_elem *e;
	struct fmt_json fj = {0};
	uint16_t afi;
	uint8_t safi;

	while (bmp_session_next(s, &m) > 0) {
		INVARIANT(m->version == BMP_VERSION && m->len >= 6);
		while (bmp_session_next_elem(s, &e) > 0) {
			check_elem(e, s);
			fmt_json_elem(&fj, o, e);
			fmt_bgpdump_elem(fb, o, e);
		}
		if (bmp_session_eor(s, &afi, &safi))
			fmt_json_bmp_msg(o, m, "r", 0, 1, afi, safi);
		else
			fmt_json_bmp_msg(o, m, "r", 0, 0, 0, 0);
		mix(r, o->buf, o->len);
		o->len = 0;
		/* the formatter cache is keyed by attrs_gen: fine within one
		 * session, reset here to keep runs independent */
		fb->have = 0;
	}
}

static void
run_stream(const uint8_t *p, size_t n, size_t chunk, struct run *r)
{
	struct bmp_session *s = bmp_session_new("fuzz", on_problem, r);
	struct vg_obuf o;
	struct fmt_bgpdump fb;
	if (s == NULL || vg_obuf_init(&o, -1, 1) < 0)
		abort();
	fmt_bgpdump_init(&fb);
	r->size = n;
	for (size_t off = 0; off < n; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;
		if (bmp_session_push(s, p + off, k) < 0) {
			INVARIANT(bmp_session_failed(s));
			break;
		}
		drain(s, r, &o, &fb);
	}
	bmp_session_end(s);
	const struct bmp_session_stats *st = bmp_session_stats(s);
	INVARIANT(st->problems == r->problems);
	INVARIANT(st->msgs <= n / 6 + 1);
	mix(r, &st->elems, sizeof(st->elems));
	mix(r, &st->msgs, sizeof(st->msgs));
	vg_obuf_destroy(&o);
	fmt_bgpdump_destroy(&fb);
	bmp_session_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = {1, 2, 3, 5, 6, 7, 13, 41, 42, 43, 64, 100,
	                                 255, 1000, 4096, 65536};
	struct run whole = {0}, split = {0};

	if (size < 1)
		return 0;
	size_t chunk = chunks[data[0] & 15];
	data++;
	size--;
	run_stream(data, size, size ? size : 1, &whole);
	run_stream(data, size, chunk, &split);
	INVARIANT(whole.hash == split.hash);
	INVARIANT(whole.problems == split.problems);

	/* message by message, straight through the pure decoder */
	size_t off = 0;
	static struct bmp_msg m;
	while (off < size) {
		struct vg_diag d;
		vg_diag_reset(&d);
		long n = bmp_frame(data + off, size - off, NULL, &d);
		if (n <= 0)
			break;
		vg_diag_reset(&d);
		bmp_msg_decode(&m, data + off, (size_t)n, &d);
		INVARIANT(d.n <= VG_DIAG_MAX);
		for (unsigned i = 0; i < d.n; i++)
			INVARIANT(d.items[i].offset <= (uint32_t)n);
		INVARIANT(m.n_tlv <= BMP_MAX_TLV);
		off += (size_t)n;
	}
	return 0;
}
