/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The parallel MRT decoder (src/wire/mrt_par.c) against the one-thread
 * reader on the same bytes: real files from $VIGIL_DATA (read in place,
 * decompressed into memory), their concatenation (several PEER_INDEX_TABLEs,
 * ADD-PATH sessions learned from OPENs), damaged copies (cut, garbage, a
 * lying length), through memory and through a stream, with 1..4 threads
 * and chunk sizes from one record up.  The formatted elements, the problems
 * (record, offset, kind, action, message) and every counter must be equal.
 * Also: the worker index stays below the thread count, an output callback
 * that fails stops the run, empty input ends cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/fmt.h"
#include "vigil/mrt.h"
#include "vigil/mrt_par.h"
#include "vigil/obuf.h"
#include "vigil/stream.h"
#include "test.h"

#define MAXW 4

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n) {
		size_t nc = b->cap ? b->cap : 1 << 16;
		while (nc - b->len < n)
			nc *= 2;
		b->p = realloc(b->p, nc);
		if (b->p == NULL)
			abort();
		b->cap = nc;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* Append the decompressed contents of a data file. */
static int
load(struct buf *b, const char *rel)
{
	char path[512], err[256];
	uint8_t tmp[1 << 16];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/mrt/%s", test_data_dir(), rel);
	vg_stream *s = vg_stream_open(path, NULL, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "  %s\n", err);
		return -1;
	}
	while ((n = vg_stream_read(s, tmp, sizeof(tmp))) > 0)
		buf_add(b, tmp, (size_t)n);
	vg_stream_close(s);
	return n < 0 ? -1 : 0;
}

/* What a run produced. */
struct result {
	struct vg_obuf text;     /* elements as bgpdump -m */
	struct vg_obuf problems; /* one line per problem */
	struct mrt_stats st;
	int rc;
	unsigned bad_worker;
	struct fmt_bgpdump fb[MAXW];
	int stop_after; /* on_out fails after this many calls (0: never) */
	int outs;
};

static void
result_init(struct result *r)
{
	memset(r, 0, sizeof(*r));
	vg_obuf_init(&r->text, -1, 1 << 16);
	vg_obuf_init(&r->problems, -1, 1 << 12);
	for (int i = 0; i < MAXW; i++)
		fmt_bgpdump_init(&r->fb[i]);
}

static void
result_destroy(struct result *r)
{
	vg_obuf_destroy(&r->text);
	vg_obuf_destroy(&r->problems);
	for (int i = 0; i < MAXW; i++)
		fmt_bgpdump_destroy(&r->fb[i]);
}

static void
on_problem(void *ctx, const struct mrt_problem *p)
{
	struct result *r = ctx;
	vg_obuf_printf(&r->problems, "%s rec %llu off %llu %u/%u err %u act %u "
	               "attr %u: %s\n", p->file, (unsigned long long)p->record,
	               (unsigned long long)p->offset, p->type, p->subtype,
	               p->err, p->action, p->attr_type, p->msg);
}

static void
on_elem(void *ctx, unsigned worker, struct vg_obuf *o, const struct vg_elem *e)
{
	struct result *r = ctx;
	if (worker >= MAXW) {
		r->bad_worker = 1;
		return;
	}
	fmt_bgpdump_elem(&r->fb[worker], o, e);
}

static int
on_out(void *ctx, const char *p, size_t n)
{
	struct result *r = ctx;
	if (r->stop_after && ++r->outs >= r->stop_after)
		return -1;
	vg_obuf_put(&r->text, p, n);
	return 0;
}

static void
run_seq(const struct buf *in, struct result *r)
{
	const struct vg_elem *e;
	struct mrt_reader *rd = mrt_reader_new_mem(in->p, in->len, 0, "t",
	                                           on_problem, r);
	while ((r->rc = mrt_reader_next_elem(rd, &e)) > 0)
		fmt_bgpdump_elem(&r->fb[0], &r->text, e);
	r->st = *mrt_reader_stats(rd);
	mrt_reader_free(rd);
}

static void
run_par(const struct buf *in, int stream, unsigned threads, size_t chunk,
        struct result *r)
{
	struct mrt_par_opts o = {.threads = threads, .chunk_bytes = chunk};
	struct mrt_par_cb cb = {on_elem, on_out, on_problem, r};
	char err[256];
	vg_stream *s = NULL;

	if (stream) {
		s = vg_stream_open_mem(in->p, in->len, NULL, err, sizeof(err));
		CHECK(s != NULL);
	}
	r->rc = mrt_par_run(s, stream ? NULL : in->p, stream ? 0 : in->len, 0,
	                    "t", &o, &cb, &r->st);
	vg_stream_close(s);
}

/* Compare the one-thread reader with the parallel one in every mode. */
static int
same_everywhere(const struct buf *in, const char *what)
{
	static const size_t chunks[] = {1, 97, 4096, 1 << 20};
	struct result a;
	int bad = 0;

	result_init(&a);
	run_seq(in, &a);
	for (unsigned t = 1; t <= MAXW; t++)
		for (size_t ci = 0; ci < sizeof(chunks) / sizeof(chunks[0]); ci++)
			for (int stream = 0; stream < 2; stream++) {
				struct result b;
				result_init(&b);
				run_par(in, stream, t, chunks[ci], &b);
				int ok = b.rc == a.rc && !b.bad_worker &&
				         b.text.len == a.text.len &&
				         memcmp(b.text.buf, a.text.buf, a.text.len) == 0 &&
				         b.problems.len == a.problems.len &&
				         memcmp(b.problems.buf, a.problems.buf,
				                a.problems.len) == 0 &&
				         memcmp(&b.st, &a.st, sizeof(a.st)) == 0;
				if (!ok && !bad) {
					fprintf(stderr, "  %s: threads %u chunk %zu %s: "
					        "rc %d/%d text %zu/%zu problems %zu/%zu "
					        "elems %llu/%llu\n", what, t, chunks[ci],
					        stream ? "stream" : "memory", b.rc, a.rc,
					        b.text.len, a.text.len, b.problems.len,
					        a.problems.len,
					        (unsigned long long)b.st.elems,
					        (unsigned long long)a.st.elems);
					bad = 1;
				}
				result_destroy(&b);
			}
	CHECK(a.text.len > 0);
	result_destroy(&a);
	return bad ? -1 : 0;
}

static struct buf concat;

static void
test_par_real_files(void)
{
	static const char *const files[] = {
	    "ris-bgpdump/input/updates.20071015.1505.gz",
	    "ris-bgpdump/input/bview.ipv4_unicast_add_path.gz",
	    "ris-bgpdump/input/bview.ipv6_unicast_add_path.gz",
	    "router-samples/bird_bgp",
	    "router-samples/bird6_bgp",
	    "router-samples/openbgpd_rib_table-v2",
	    "router-samples/quagga_rib",
	    "router-samples/openbgpd_bgp",
	    "ris-bgpdump/input/bview.64k_stream_overflow.gz",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct buf b = {0};
		CHECK(load(&b, files[i]) == 0);
		CHECK(same_everywhere(&b, files[i]) == 0);
		buf_add(&concat, b.p, b.len);
		free(b.p);
	}
}

static void
test_par_concatenation(void)
{
	CHECK(concat.len > 100000);
	CHECK(same_everywhere(&concat, "concatenation") == 0);
}

static void
test_par_damaged(void)
{
	struct buf b = {0};
	static const uint8_t junk[] = "\x00\x00\x00\x00 not MRT \xff\xff\xff\xff";

	/* cut inside a record */
	b.len = 0;
	buf_add(&b, concat.p, concat.len / 3 + 7);
	CHECK(same_everywhere(&b, "cut") == 0);
	/* garbage inside */
	buf_add(&b, junk, sizeof(junk));
	buf_add(&b, concat.p + concat.len / 3, concat.len / 3);
	CHECK(same_everywhere(&b, "garbage") == 0);
	/* a lying length in the fifth record */
	b.len = 0;
	buf_add(&b, concat.p, 200000);
	size_t off = 0;
	for (int k = 0; k < 4; k++)
		off += 12 + vg_load_be32(b.p + off + 8);
	uint32_t len = vg_load_be32(b.p + off + 8) + 40;
	b.p[off + 8] = (uint8_t)(len >> 24);
	b.p[off + 9] = (uint8_t)(len >> 16);
	b.p[off + 10] = (uint8_t)(len >> 8);
	b.p[off + 11] = (uint8_t)len;
	CHECK(same_everywhere(&b, "lying length") == 0);
	free(b.p);
}

static void
test_par_out_stops(void)
{
	struct result r;
	result_init(&r);
	r.stop_after = 3;
	struct mrt_par_opts o = {.threads = 2, .chunk_bytes = 1000};
	struct mrt_par_cb cb = {on_elem, on_out, on_problem, &r};
	CHECK_EQ_INT(mrt_par_run(NULL, concat.p, concat.len, 0, "t", &o, &cb,
	                         &r.st), -2);
	CHECK_EQ_INT(r.outs, 3);
	CHECK(r.st.elems > 0);
	result_destroy(&r);
}

static void
test_par_empty(void)
{
	struct result r;
	result_init(&r);
	struct mrt_par_opts o = {.threads = 3};
	struct mrt_par_cb cb = {on_elem, on_out, on_problem, &r};
	CHECK_EQ_INT(mrt_par_run(NULL, concat.p, 0, 0, "t", &o, &cb, &r.st), 0);
	CHECK_EQ_INT(r.st.elems, 0);
	CHECK_EQ_INT(r.st.records, 0);
	CHECK_EQ_INT(r.problems.len, 0);
	result_destroy(&r);
}

int
main(void)
{
	RUN(test_par_real_files);
	RUN(test_par_concatenation);
	RUN(test_par_damaged);
	RUN(test_par_out_stops);
	RUN(test_par_empty);
	free(concat.p);
	return TEST_MAIN_END();
}
