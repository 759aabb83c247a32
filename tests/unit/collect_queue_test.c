/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The collector's ingest path: the queue between the event loop and the
 * processing thread (publishes merged into the chunk still waiting, chunk
 * reuse, order, byte accounting, the bound), and the updates archive's
 * ISA-L gzip writer, whose files must read back byte for byte through
 * zlib and through vigil's own reader.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "collect/collect_impl.h"
#include "test.h"
#include "vigil/mrt.h"
#include "vigil/mrt_write.h"
#include "vigil/stream.h"

static char tmpdir[64];

/* Put N bytes of value V (a fake record) into the loop's chunk. */
static void
put(struct cqueue *q, const char *coll, size_t n, uint8_t v)
{
	uint8_t *w = cq_reserve(q, n, coll);
	CHECK(w != NULL);
	if (w == NULL)
		return;
	memset(w, v, n);
	cq_commit(q, n);
}

static void
test_queue_merge(void)
{
	struct cqueue q;
	int closed;

	CHECK_EQ_INT(cq_init(&q, 1u << 30), 0);
	put(&q, "a", 100, 1);
	CHECK_EQ_INT(cq_publish(&q), 0);
	/* the first chunk is waiting: the next publishes join it */
	put(&q, "a", 50, 2);
	CHECK_EQ_INT(cq_publish(&q), 0);
	put(&q, "a", 25, 3);
	CHECK_EQ_INT(cq_publish(&q), 0);
	CHECK_EQ_INT(q.merged, 2);
	CHECK_EQ_INT(atomic_load(&q.depth), 175);
	/* another collector (a BMP router) needs its own chunk */
	put(&q, "a/r1", 10, 4);
	CHECK_EQ_INT(cq_publish(&q), 0);
	CHECK_EQ_INT(q.merged, 2);
	put(&q, "a", 5, 5);
	CHECK_EQ_INT(cq_publish(&q), 0);

	struct cq_chunk *c = cq_pop(&q, 0, &closed);
	CHECK(c != NULL);
	if (c) {
		CHECK_EQ_STR(c->coll, "a");
		CHECK_EQ_INT(c->len, 175);
		int order = 1;
		for (size_t i = 0; i < c->len; i++)
			if (c->data[i] != (i < 100 ? 1 : i < 150 ? 2 : 3))
				order = 0;
		CHECK(order);
	}
	CHECK_EQ_INT(atomic_load(&q.depth), 15);
	struct cq_chunk *c2 = cq_pop(&q, 0, &closed);
	CHECK(c2 != NULL);
	if (c2) {
		CHECK_EQ_STR(c2->coll, "a/r1");
		CHECK_EQ_INT(c2->len, 10);
	}
	struct cq_chunk *c3 = cq_pop(&q, 0, &closed);
	CHECK(c3 != NULL);
	if (c3) {
		CHECK_EQ_STR(c3->coll, "a");
		CHECK_EQ_INT(c3->len, 5);
		CHECK_EQ_INT(c3->data[0], 5);
	}
	CHECK(cq_pop(&q, 0, &closed) == NULL);
	CHECK_EQ_INT(closed, 0);
	CHECK_EQ_INT(atomic_load(&q.depth), 0);

	/* taken chunks are reused by the loop, not freed */
	cq_free(&q, c);
	put(&q, "b", 7, 6);
	CHECK(q.cur == c);
	CHECK_EQ_INT(q.cur->len, 7);
	CHECK_EQ_STR(q.cur->coll, "b");
	cq_free(&q, c2);
	cq_free(&q, c3);
	cq_close(&q);
	CHECK_EQ_INT(cq_publish(&q), 0);
	struct cq_chunk *c4 = cq_pop(&q, 0, &closed);
	CHECK(c4 == c);
	CHECK(cq_pop(&q, 0, &closed) == NULL);
	CHECK_EQ_INT(closed, 1);
	cq_free(&q, c4);
	cq_destroy(&q);
}

/* A full chunk is not merged into: the bound and the chunk size hold. */
static void
test_queue_bound(void)
{
	struct cqueue q;
	int closed;
	size_t big = CQ_CHUNK - 1000;

	CHECK_EQ_INT(cq_init(&q, 3 * (size_t)CQ_CHUNK / 2), 0);
	put(&q, "a", big, 1);
	CHECK_EQ_INT(cq_publish(&q), 0);
	put(&q, "a", 2000, 2); /* does not fit in the waiting chunk */
	CHECK_EQ_INT(cq_publish(&q), 0);
	CHECK_EQ_INT(q.merged, 0);
	put(&q, "a", big, 3);  /* over the bound now */
	CHECK_EQ_INT(cq_publish(&q), 1);
	CHECK_EQ_INT(atomic_load(&q.depth), 2 * big + 2000);
	size_t total = 0, chunks = 0;
	struct cq_chunk *c;
	while ((c = cq_pop(&q, 0, &closed)) != NULL) {
		CHECK(c->len <= c->cap);
		total += c->len;
		chunks++;
		cq_free(&q, c);
	}
	CHECK_EQ_INT(total, 2 * big + 2000);
	CHECK(chunks >= 2);
	cq_destroy(&q);
}

/* The loop publishing while the processing thread takes: every byte
 * arrives once, in order. */
struct feeder {
	struct cqueue *q;
	unsigned n;
};

static void *
feed(void *arg)
{
	struct feeder *f = arg;
	for (unsigned i = 0; i < f->n; i++) {
		uint8_t *w = cq_reserve(f->q, 4, "x");
		if (w == NULL)
			break;
		memcpy(w, &i, 4);
		cq_commit(f->q, 4);
		if (i % 7 == 0)
			cq_publish(f->q);
	}
	cq_publish(f->q);
	cq_close(f->q);
	return NULL;
}

static void
test_queue_threads(void)
{
	struct cqueue q;
	struct feeder f = {&q, 200000};
	pthread_t th;
	int closed = 0, order = 1;
	unsigned next = 0;

	CHECK_EQ_INT(cq_init(&q, 1u << 30), 0);
	CHECK_EQ_INT(pthread_create(&th, NULL, feed, &f), 0);
	while (!closed) {
		struct cq_chunk *c = cq_pop(&q, 100, &closed);
		if (c == NULL)
			continue;
		for (size_t o = 0; o + 4 <= c->len; o += 4) {
			unsigned v;
			memcpy(&v, c->data + o, 4);
			if (v != next)
				order = 0;
			next++;
		}
		cq_free(&q, c);
	}
	pthread_join(th, NULL);
	CHECK(order);
	CHECK_EQ_INT(next, f.n);
	cq_destroy(&q);
}

/* ---- the ISA-L gzip writer ---------------------------------------------- */

/* Records of varied content, about N bytes of MRT in all. */
static size_t
write_records(struct mrt_writer *w, size_t n)
{
	uint8_t body[600];
	size_t total = 0;
	uint32_t x = 12345;
	for (uint32_t i = 0; total < n; i++) {
		size_t len = 40 + i % 500;
		for (size_t k = 0; k < len; k++) {
			x = x * 1103515245u + 12345u;
			/* half repetitive, half noise: both code paths */
			body[k] = k % 2 ? (uint8_t)(x >> 24) : (uint8_t)(k + i);
		}
		CHECK_EQ_INT(mrt_write_record(w, 1445558400 + i / 1000, i % 1000000,
		                              MRT_BGP4MP_ET, 4, body, len), 0);
		total += 16 + len;
	}
	return total;
}

static uint8_t *
slurp_gz(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb");
	size_t cap = 1 << 20, n = 0;
	uint8_t *b = malloc(cap);
	int r;
	if (g == NULL || b == NULL) {
		free(b);
		if (g)
			gzclose(g);
		return NULL;
	}
	for (;;) {
		if (cap - n < (1 << 16)) {
			cap *= 2;
			b = realloc(b, cap);
		}
		r = gzread(g, b + n, 1 << 16);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	CHECK(r == 0);
	gzclose(g);
	*len = n;
	return b;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void
isal_case(size_t bytes, int level)
{
	char plain[128], gz[128], err[256];
	snprintf(plain, sizeof(plain), "%s/plain.mrt", tmpdir);
	snprintf(gz, sizeof(gz), "%s/isal.mrt.gz", tmpdir);
	struct mrt_writer_opts po = {0};
	struct mrt_writer_opts zo = {.gzip = 1, .isal = 1, .level = level,
	                             .atomic = 1};
	struct mrt_writer *w1 = mrt_writer_open(plain, &po, err, sizeof(err));
	struct mrt_writer *w2 = mrt_writer_open(gz, &zo, err, sizeof(err));
	CHECK(w1 != NULL && w2 != NULL);
	if (w1 == NULL || w2 == NULL)
		return;
	size_t n1 = write_records(w1, bytes), n2 = write_records(w2, bytes);
	CHECK_EQ_INT(n1, n2);
	CHECK_EQ_INT(mrt_writer_close(w1, err, sizeof(err)), 0);
	CHECK(access(gz, F_OK) != 0); /* atomic: not there before the close */
	CHECK_EQ_INT(mrt_writer_close(w2, err, sizeof(err)), 0);

	size_t lp, lz, lraw;
	uint8_t *bp = slurp(plain, &lp), *bz = slurp_gz(gz, &lz);
	uint8_t *raw = slurp(gz, &lraw);
	CHECK(bp && bz && raw);
	if (bp && bz && raw) {
		CHECK_EQ_INT(lp, n1);
		CHECK_EQ_INT(lz, lp);
		CHECK(lz == lp && memcmp(bp, bz, lp) == 0);
		CHECK(lraw > 18 && raw[0] == 0x1f && raw[1] == 0x8b);
		if (bytes > 100000)
			CHECK(lraw < lp); /* it did compress */
	}
	free(bp);
	free(bz);
	free(raw);

	/* vigil's own reader sees the same records */
	vg_stream *s1 = vg_stream_open(plain, NULL, err, sizeof(err));
	vg_stream *s2 = vg_stream_open(gz, NULL, err, sizeof(err));
	CHECK(s1 && s2);
	if (s1 && s2) {
		struct mrt_reader *r1 = mrt_reader_new(s1, plain, NULL, NULL);
		struct mrt_reader *r2 = mrt_reader_new(s2, gz, NULL, NULL);
		const struct mrt_record *a, *b;
		uint64_t recs = 0;
		int same = 1;
		for (;;) {
			int x1 = mrt_reader_next_record(r1, &a);
			int x2 = mrt_reader_next_record(r2, &b);
			if (x1 != x2) {
				same = 0;
				break;
			}
			if (x1 <= 0)
				break;
			if (a->len != b->len || a->time_usec != b->time_usec ||
			    memcmp(a->body, b->body, a->len) != 0)
				same = 0;
			recs++;
		}
		CHECK(same);
		CHECK(recs > 0);
		CHECK_EQ_INT(mrt_reader_stats(r2)->problems, 0);
		mrt_reader_free(r1);
		mrt_reader_free(r2);
	}
	vg_stream_close(s1);
	vg_stream_close(s2);
	unlink(plain);
	unlink(gz);
}

static void
test_isal_small(void)
{
	isal_case(1, 1); /* one record */
	isal_case(3000, 0);
}

static void
test_isal_large(void)
{
	/* past the writer's 1 MiB buffer and the 256 KiB output buffer */
	isal_case(5u << 20, 1);
}

static void
test_isal_empty(void)
{
	char gz[128], err[256];
	snprintf(gz, sizeof(gz), "%s/empty.mrt.gz", tmpdir);
	struct mrt_writer_opts zo = {.gzip = 1, .isal = 1, .level = 1};
	struct mrt_writer *w = mrt_writer_open(gz, &zo, err, sizeof(err));
	CHECK(w != NULL);
	CHECK_EQ_INT(mrt_writer_close(w, err, sizeof(err)), 0);
	size_t n = 99;
	uint8_t *b = slurp_gz(gz, &n);
	CHECK(b != NULL);
	CHECK_EQ_INT(n, 0);
	free(b);
	unlink(gz);
}

int
main(void)
{
	strcpy(tmpdir, "/tmp/vigil-cq-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_queue_merge);
	RUN(test_queue_bound);
	RUN(test_queue_threads);
	RUN(test_isal_small);
	RUN(test_isal_large);
	RUN(test_isal_empty);
	rmdir(tmpdir);
	return TEST_MAIN_END();
}
