/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bad input for the MRT reader (src/wire/mrt.c): for every kind of damage
 * vigil promises to survive, the damaged bytes are fed through
 * vg_stream_open_mem and mrt_reader_next_elem, and the test checks that
 * the reader ends, that the expected problem is reported (kind, action,
 * byte offset, record number), and that every record that can still be
 * decoded yields exactly the elements it yields in the clean input
 * (compared as bgpdump -m lines).  Real records come from the shared data
 * ($VIGIL_DATA, read in place, never copied): a real file cut at every byte
 * offset, lying length fields, garbage between records, unknown types.
 * Hand-built records cover malformed attributes and TABLE_DUMP_V2 peer
 * index problems.  The test_fuzz_* cases replay fuzzer findings.
 *
 * The process caps its own memory (RLIMIT_AS, or ASan's allocation limit)
 * so that a reader that tries to allocate gigabytes for a lying length
 * fails here instead of passing on a machine with memory to spare.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vigil/fmt.h"
#include "vigil/mrt.h"
#include "vigil/obuf.h"
#include "vigil/stream.h"
#include "test.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define MEM_CAP_MB 1024

#ifdef UNDER_ASAN
/* ASan reserves terabytes of shadow, so RLIMIT_AS cannot be used: cap
 * single allocations instead, and let a failed one return NULL as it
 * would without ASan. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "max_allocation_size_mb=1024:allocator_may_return_null=1";
}
#endif

/* ---- byte buffers ----------------------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void
buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (b->p == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_u8(struct buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;
	buf_put(b, &x, 1);
}

static void
buf_u16(struct buf *b, unsigned v)
{
	uint8_t x[2];
	vg_store_be16(x, (uint16_t)v);
	buf_put(b, x, 2);
}

static void
buf_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4];
	vg_store_be32(x, v);
	buf_put(b, x, 4);
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Decompressed contents of a data file, read with vigil's own streams. */
static struct buf
load(const char *rel)
{
	struct buf b = {0};
	char path[1024], err[256], tmp[65536];
	vg_stream *s;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", test_data_dir(), rel);
	s = vg_stream_open(path, NULL, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "  cannot read test data: %s\n", err);
		return b;
	}
	while ((n = vg_stream_read(s, tmp, sizeof(tmp))) > 0)
		buf_put(&b, tmp, (size_t)n);
	vg_stream_close(s);
	return b;
}

/* Byte offsets of the first N record headers (all of them if N is 0),
 * with the end of the last one at off[count]. */
struct bounds {
	size_t off[4096];
	size_t count;
};

static void
record_bounds(const struct buf *b, size_t n, struct bounds *bd)
{
	size_t off = 0;

	bd->count = 0;
	while (off + 12 <= b->len && (n == 0 || bd->count < n) &&
	       bd->count + 1 < sizeof(bd->off) / sizeof(bd->off[0])) {
		uint32_t len = vg_load_be32(b->p + off + 8);
		if (off + 12 + len > b->len)
			break;
		bd->off[bd->count++] = off;
		off += 12 + len;
	}
	bd->off[bd->count] = off;
}

/* ---- running the reader ----------------------------------------------- */

struct prob {
	uint8_t err, action, attr_type;
	uint64_t record, offset;
	char msg[256];
};

struct result {
	int rc;
	char **lines;        /* one bgpdump -m line per element, no '\n' */
	uint64_t *line_rec;  /* record number of each line */
	uint8_t *line_flags; /* vg_elem flags of each line */
	size_t nlines;
	struct prob probs[256];
	size_t nprobs;       /* problems seen (only 256 kept) */
	struct mrt_stats st;
};

static void
on_problem(void *ctx, const struct mrt_problem *p)
{
	struct result *res = ctx;

	if (res->nprobs < sizeof(res->probs) / sizeof(res->probs[0])) {
		struct prob *q = &res->probs[res->nprobs];
		q->err = p->err;
		q->action = p->action;
		q->attr_type = p->attr_type;
		q->record = p->record;
		q->offset = p->offset;
		snprintf(q->msg, sizeof(q->msg), "%s", p->msg ? p->msg : "");
	}
	res->nprobs++;
}

static void
result_free(struct result *res)
{
	for (size_t i = 0; i < res->nlines; i++)
		free(res->lines[i]);
	free(res->lines);
	free(res->line_rec);
	free(res->line_flags);
	memset(res, 0, sizeof(*res));
}

/* Read LEN bytes at P to the end; every element becomes a line.  A reader
 * that does not end within a generous number of steps fails the test. */
static void
run_reader(const uint8_t *p, size_t len, struct result *res)
{
	struct fmt_bgpdump fb;
	struct vg_obuf o;
	struct mrt_reader *r;
	const struct vg_elem *e;
	char err[256];
	vg_stream *s;
	size_t cap = 0, steps = 0;

	memset(res, 0, sizeof(*res));
	res->rc = -99;
	s = vg_stream_open_mem(p, len, NULL, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	r = mrt_reader_new(s, "bad.mrt", on_problem, res);
	CHECK(r != NULL);
	fmt_bgpdump_init(&fb);
	vg_obuf_init(&o, -1, 1024);
	while ((res->rc = mrt_reader_next_elem(r, &e)) > 0) {
		const struct mrt_record *rec = e->source;
		if (++steps > 10 * len + 1000) {
			fprintf(stderr, "  reader does not end\n");
			CHECK(0);
			break;
		}
		o.len = 0;
		fmt_bgpdump_elem(&fb, &o, e);
		if (o.len && o.buf[o.len - 1] == '\n')
			o.len--;
		if (res->nlines == cap) {
			cap = cap ? 2 * cap : 64;
			res->lines = realloc(res->lines, cap * sizeof(char *));
			res->line_rec = realloc(res->line_rec, cap * sizeof(uint64_t));
			res->line_flags = realloc(res->line_flags, cap);
			if (!res->lines || !res->line_rec || !res->line_flags)
				exit(1);
		}
		res->lines[res->nlines] = strndup(o.buf, o.len);
		res->line_rec[res->nlines] = rec->index;
		res->line_flags[res->nlines] = e->flags;
		res->nlines++;
	}
	/* an ended reader stays ended */
	CHECK_EQ_INT(mrt_reader_next_elem(r, &e), res->rc);
	res->st = *mrt_reader_stats(r);
	vg_obuf_destroy(&o);
	fmt_bgpdump_destroy(&fb);
	mrt_reader_free(r);
	vg_stream_close(s);
}

static size_t
count_probs(const struct result *res, int err, int action)
{
	size_t n = 0;
	for (size_t i = 0; i < res->nprobs && i < 256; i++)
		if ((err < 0 || res->probs[i].err == err) &&
		    (action < 0 || res->probs[i].action == action))
			n++;
	return n;
}

static const struct prob *
find_prob(const struct result *res, int err, int action)
{
	for (size_t i = 0; i < res->nprobs && i < 256; i++)
		if ((err < 0 || res->probs[i].err == err) &&
		    (action < 0 || res->probs[i].action == action))
			return &res->probs[i];
	return NULL;
}

static void
dump_probs(const struct result *res)
{
	for (size_t i = 0; i < res->nprobs && i < 256; i++)
		fprintf(stderr, "    problem: record %llu byte %llu %s/%s: %s\n",
		        (unsigned long long)res->probs[i].record,
		        (unsigned long long)res->probs[i].offset,
		        vg_err_name((enum vg_err)res->probs[i].err),
		        vg_action_name((enum vg_action)res->probs[i].action),
		        res->probs[i].msg);
}

/*
 * Is GOT the clean lines with one contiguous stretch [FROM, TO) of them
 * allowed to be partly missing (a damaged record's elements), keeping
 * order?  Precisely: GOT = CLEAN[0..FROM) + a prefix of CLEAN[FROM..TO)
 * + CLEAN[TO..].  FROM == TO means GOT must equal CLEAN.
 */
static int
lines_match_with_gap(const struct result *got, const struct result *clean,
                     size_t from, size_t to)
{
	size_t g = 0, c = 0;
	size_t tail = clean->nlines - to;

	for (; c < from; c++, g++)
		if (g >= got->nlines || strcmp(got->lines[g], clean->lines[c]) != 0)
			goto bad;
	if (got->nlines < from + tail || got->nlines > clean->nlines)
		goto bad;
	/* the damaged stretch: a prefix of it */
	for (; g < got->nlines - tail; g++, c++)
		if (strcmp(got->lines[g], clean->lines[c]) != 0)
			goto bad;
	for (c = to; c < clean->nlines; c++, g++)
		if (strcmp(got->lines[g], clean->lines[c]) != 0)
			goto bad;
	return 1;
bad:
	fprintf(stderr, "  lines differ (got %zu, clean %zu, gap %zu..%zu); "
	                "first difference:\n", got->nlines, clean->nlines, from,
	        to);
	for (size_t i = 0; i < got->nlines || i < clean->nlines; i++) {
		const char *x = i < got->nlines ? got->lines[i] : "(none)";
		const char *y = i < clean->nlines ? clean->lines[i] : "(none)";
		if (strcmp(x, y) != 0) {
			fprintf(stderr, "    got   %s\n    clean %s\n", x, y);
			break;
		}
	}
	return 0;
}

/* The clean lines of records FIRST..LAST (1-based, inclusive) are
 * clean->lines[*from .. *to). */
static void
lines_of_records(const struct result *clean, uint64_t first, uint64_t last,
                 size_t *from, size_t *to)
{
	size_t i = 0;
	while (i < clean->nlines && clean->line_rec[i] < first)
		i++;
	*from = i;
	while (i < clean->nlines && clean->line_rec[i] <= last)
		i++;
	*to = i;
}

/* ---- truncation at every byte offset -------------------------------- */

/*
 * Cut CLEAN at every offset.  The elements of the records before the cut
 * come out unchanged, the record holding the cut may lose its elements,
 * and a TRUNCATED problem is reported exactly when the cut is not at a
 * record boundary, at the offset of the cut record.
 */
static void
truncate_everywhere(const char *rel, size_t nrec)
{
	struct buf b = load(rel);
	static struct bounds bd;
	struct result clean, cut;
	size_t k = 0, bad = 0;

	CHECK(b.len > 0);
	if (b.len == 0)
		return;
	record_bounds(&b, nrec, &bd);
	CHECK(bd.count > 0);
	run_reader(b.p, bd.off[bd.count], &clean);
	CHECK_EQ_INT(clean.rc, 0);
	CHECK_EQ_INT(count_probs(&clean, VG_ERR_TRUNCATED, -1), 0);
	CHECK_EQ_INT(count_probs(&clean, VG_ERR_MALFORMED, -1), 0);
	CHECK(clean.nlines > 0);
	CHECK_EQ_INT(clean.st.records, bd.count);

	for (size_t c = 0; c <= bd.off[bd.count] && bad < 5; c++) {
		int boundary;
		size_t from, to;
		const struct prob *tp;

		while (k < bd.count && bd.off[k + 1] <= c)
			k++;
		/* records 1..k are whole; record k+1 holds the cut */
		boundary = bd.off[k] == c;
		run_reader(b.p, c, &cut);
		lines_of_records(&clean, k + 1, k + 1, &from, &to);
		tp = find_prob(&cut, VG_ERR_TRUNCATED, -1);
		if (cut.rc != 0 || !lines_match_with_gap(&cut, &clean, from,
		                                        clean.nlines) ||
		    cut.nlines > to || (boundary ? tp != NULL : tp == NULL) ||
		    count_probs(&cut, VG_ERR_TRUNCATED, -1) > 1 ||
		    count_probs(&cut, VG_ERR_MALFORMED, -1) > 0 ||
		    (tp && (tp->offset != bd.off[k] ||
		            tp->action != VG_ACT_SKIP_RECORD)) ||
		    cut.st.records != k || cut.st.bytes != c ||
		    cut.st.truncated != !boundary) {
			fprintf(stderr, "  %s cut at %zu (record %zu at %zu): rc %d, "
			                "%zu lines (clean %zu..%zu), %llu records, "
			                "%llu bytes\n",
			        rel, c, k + 1, bd.off[k], cut.rc, cut.nlines, from,
			        to, (unsigned long long)cut.st.records,
			        (unsigned long long)cut.st.bytes);
			dump_probs(&cut);
			bad++;
		}
		result_free(&cut);
	}
	CHECK_EQ_INT(bad, 0);
	result_free(&clean);
	buf_free(&b);
}

static void
test_truncate_bgp4mp_every_offset(void)
{
	truncate_everywhere("mrt/ris-bgpdump/input/updates.20020722.2238.gz", 40);
}

static void
test_truncate_openbgpd_every_offset(void)
{
	/* 40 records: BGP4MP and BGP4MP_AS4 messages and state changes,
	 * IPv6, VPNv4 NLRI (reported as unsupported) */
	truncate_everywhere("mrt/router-samples/openbgpd_bgp", 40);
}

static void
test_truncate_table_dump_v2_every_offset(void)
{
	truncate_everywhere("mrt/router-samples/bird-mrtdump_rib", 0);
}

/* ---- lying length fields ---------------------------------------------- */

struct sample {
	struct buf b;          /* the first records of a real file */
	struct bounds bd;
	struct result clean;
};

static int
sample_load(struct sample *s, const char *rel, size_t nrec)
{
	memset(s, 0, sizeof(*s));
	s->b = load(rel);
	if (s->b.len == 0)
		return -1;
	record_bounds(&s->b, nrec, &s->bd);
	s->b.len = s->bd.off[s->bd.count];
	run_reader(s->b.p, s->b.len, &s->clean);
	CHECK_EQ_INT(s->clean.rc, 0);
	CHECK_EQ_INT(s->clean.nprobs, 0);
	return 0;
}

static void
sample_free(struct sample *s)
{
	result_free(&s->clean);
	buf_free(&s->b);
}

/* A copy of the sample with record I's length field set to LEN. */
static struct buf
with_length(const struct sample *s, size_t i, uint32_t len)
{
	struct buf b = {0};
	buf_put(&b, s->b.p, s->b.len);
	vg_store_be32(b.p + s->bd.off[i] + 8, len);
	return b;
}

/* Index of a BGP4MP MESSAGE record (an UPDATE with elements) near the
 * middle of the sample. */
static size_t
middle_update(const struct sample *s)
{
	for (size_t i = s->bd.count / 2; i + 1 < s->bd.count; i++) {
		const uint8_t *h = s->b.p + s->bd.off[i];
		size_t from, to;
		lines_of_records(&s->clean, i + 1, i + 1, &from, &to);
		if (vg_load_be16(h + 4) == MRT_BGP4MP && vg_load_be16(h + 6) == 1 &&
		    to > from)
			return i;
	}
	return s->bd.count / 2;
}

/* Too long: the BGP message inside says where the record really ends,
 * and a valid record starts there.  Nothing is lost. */
static void
test_lying_length_too_long(void)
{
	struct sample s;
	struct result res;
	struct buf b;
	size_t i;
	uint32_t len;
	const struct prob *p;

	if (sample_load(&s, "mrt/ris-bgpdump/input/updates.20020722.2238.gz", 40) < 0) {
		CHECK(0);
		return;
	}
	i = middle_update(&s);
	len = vg_load_be32(s.b.p + s.bd.off[i] + 8);
	for (uint32_t extra = 1; extra <= 200; extra += 199) {
		b = with_length(&s, i, len + extra);
		run_reader(b.p, b.len, &res);
		CHECK_EQ_INT(res.rc, 0);
		CHECK(lines_match_with_gap(&res, &s.clean, 0, 0));
		p = find_prob(&res, VG_ERR_MALFORMED, -1);
		CHECK(p != NULL);
		if (p) {
			CHECK(strstr(p->msg, "BGP message ends after") != NULL ||
			      p->action == VG_ACT_SKIP_BYTES);
			CHECK_EQ_INT(p->record, i + 1);
			CHECK(p->offset >= s.bd.off[i] && p->offset < s.bd.off[i + 1]);
		}
		CHECK_EQ_INT(count_probs(&res, VG_ERR_TRUNCATED, -1), 0);
		if (res.nlines != s.clean.nlines)
			dump_probs(&res);
		result_free(&res);
		buf_free(&b);
	}
	sample_free(&s);
}

/* Too short: the record is cut (its elements may be lost), the rest of
 * its bytes are garbage that is skipped, and every later record is read. */
static void
test_lying_length_too_short(void)
{
	struct sample s;
	struct result res;
	struct buf b;
	size_t i, from, to;
	uint32_t len;

	if (sample_load(&s, "mrt/ris-bgpdump/input/updates.20020722.2238.gz", 40) < 0) {
		CHECK(0);
		return;
	}
	i = middle_update(&s);
	len = vg_load_be32(s.b.p + s.bd.off[i] + 8);
	lines_of_records(&s.clean, i + 1, i + 1, &from, &to);
	for (uint32_t less = 1; less < len; less += len / 3) {
		const struct prob *p;
		b = with_length(&s, i, len - less);
		run_reader(b.p, b.len, &res);
		CHECK_EQ_INT(res.rc, 0);
		if (!lines_match_with_gap(&res, &s.clean, from, to)) {
			fprintf(stderr, "  record %zu length %u - %u\n", i + 1,
			        len, less);
			dump_probs(&res);
			CHECK(0);
		}
		p = find_prob(&res, VG_ERR_MALFORMED, VG_ACT_SKIP_BYTES);
		CHECK(p != NULL);
		if (p) {
			char want[64];
			CHECK_EQ_INT(p->record, 0);
			CHECK_EQ_INT(p->offset, s.bd.off[i] + 12 + len - less);
			snprintf(want, sizeof(want), "skipped %u bytes", less);
			CHECK(strstr(p->msg, want) != NULL);
		}
		result_free(&res);
		buf_free(&b);
	}
	sample_free(&s);
}

/* 0xffffffff (and other lengths past MRT_MAX_RECORD_LEN): the header is
 * garbage; the reader skips to the next valid record, without trying to
 * buffer gigabytes first. */
static void
test_lying_length_huge(void)
{
	static const uint32_t lens[] = {0xffffffffu, 0x80000000u,
	                                MRT_MAX_RECORD_LEN + 1};
	struct sample s;
	struct result res;
	struct buf b;
	size_t i, from, to;

	if (sample_load(&s, "mrt/ris-bgpdump/input/updates.20020722.2238.gz", 40) < 0) {
		CHECK(0);
		return;
	}
	i = middle_update(&s);
	lines_of_records(&s.clean, i + 1, i + 1, &from, &to);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		const struct prob *p;
		b = with_length(&s, i, lens[k]);
		run_reader(b.p, b.len, &res);
		CHECK_EQ_INT(res.rc, 0);
		/* record i is lost entirely; everything else is there */
		CHECK(lines_match_with_gap(&res, &s.clean, from, to));
		CHECK_EQ_INT(res.nlines, s.clean.nlines - (to - from));
		p = find_prob(&res, VG_ERR_MALFORMED, VG_ACT_SKIP_BYTES);
		CHECK(p != NULL);
		if (p) {
			char want[64];
			CHECK_EQ_INT(p->offset, s.bd.off[i]);
			snprintf(want, sizeof(want), "skipped %zu bytes",
			         s.bd.off[i + 1] - s.bd.off[i]);
			CHECK(strstr(p->msg, want) != NULL);
		}
		CHECK(strstr(res.nprobs ? res.probs[0].msg : "", "memory") == NULL);
		CHECK_EQ_INT(res.st.bytes, b.len);
		if (res.rc != 0 || res.nprobs != 1)
			dump_probs(&res);
		result_free(&res);
		buf_free(&b);
	}
	sample_free(&s);
}

/* A lying length in a TABLE_DUMP_V2 file: the RIB record after it is read
 * again after resynchronising. */
static void
test_lying_length_table_dump_v2(void)
{
	struct sample s;
	struct result res;
	struct buf b;
	size_t i = 3, from, to;
	uint32_t len;

	if (sample_load(&s, "mrt/router-samples/bird-mrtdump_rib", 0) < 0) {
		CHECK(0);
		return;
	}
	CHECK(s.bd.count > 5);
	len = vg_load_be32(s.b.p + s.bd.off[i] + 8);
	lines_of_records(&s.clean, i + 1, i + 1, &from, &to);
	b = with_length(&s, i, len + 7);
	run_reader(b.p, b.len, &res);
	CHECK_EQ_INT(res.rc, 0);
	/* record i reads 7 bytes of its neighbour as trailing bytes or is
	 * skipped; its neighbour's header is gone, so record i+1 is lost */
	{
		size_t f2, t2;
		lines_of_records(&s.clean, i + 1, i + 2, &f2, &t2);
		CHECK(lines_match_with_gap(&res, &s.clean, f2, t2));
	}
	CHECK(find_prob(&res, VG_ERR_MALFORMED, VG_ACT_SKIP_BYTES) != NULL ||
	      find_prob(&res, VG_ERR_MALFORMED, -1) != NULL);
	CHECK_EQ_INT(res.st.bytes, b.len);
	result_free(&res);
	buf_free(&b);
	sample_free(&s);
}

/* ---- garbage between records ---------------------------------------- */

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Insert G (N bytes) before record I (or at the end if I == count). */
static struct buf
with_insert(const struct sample *s, size_t i, const uint8_t *g, size_t n)
{
	struct buf b = {0};
	size_t at = s->bd.off[i];
	buf_put(&b, s->b.p, at);
	buf_put(&b, g, n);
	buf_put(&b, s->b.p + at, s->b.len - at);
	return b;
}

static void
test_garbage_between_records(void)
{
	struct sample s;
	uint8_t g[300];
	unsigned bad = 0;

	if (sample_load(&s, "mrt/ris-bgpdump/input/updates.20020722.2238.gz", 40) < 0) {
		CHECK(0);
		return;
	}
	for (unsigned kind = 0; kind < 4; kind++) {
		static const size_t sizes[] = {1, 5, 11, 12, 13, 37, 100, 299};
		for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
			size_t n = sizes[z];
			struct result res;
			struct buf b;
			char want[64];
			/* before record 1, in the middle, at the very end */
			size_t at = z % 3 == 0 ? 0 : z % 3 == 1 ? s.bd.count / 2
			                                        : s.bd.count;
			const struct prob *p;

			for (size_t j = 0; j < n; j++)
				g[j] = kind == 0 ? (uint8_t)rng()
				       : kind == 1 ? 0x00
				       : kind == 2 ? 0xff
				                   : (uint8_t)(j % 2 ? 0x10 : 0x00);
			b = with_insert(&s, at, g, n);
			run_reader(b.p, b.len, &res);
			/* expected: one SKIP_BYTES problem at the insertion
			 * point that names the exact count, no record number */
			int ok_prob;
			uint64_t want_off = s.bd.off[at], want_rec = 0;
			p = find_prob(&res, VG_ERR_MALFORMED, VG_ACT_SKIP_BYTES);
			snprintf(want, sizeof(want), "skipped %zu bytes", n);
			if (at == s.bd.count && n < 12) {
				/* too short for a header: a truncated one */
				p = find_prob(&res, VG_ERR_TRUNCATED, -1);
				snprintf(want, sizeof(want), "(%zu of 12 bytes)", n);
			}
			/* twelve zero bytes look like a header of type 0, which
			 * is reserved: garbage, like the rest */
			ok_prob = p != NULL && p->offset == want_off &&
			          p->record == want_rec && strstr(p->msg, want) &&
			          res.nprobs == 1 &&
			          (p->action != VG_ACT_SKIP_BYTES ||
			           res.st.bytes_skipped == n);
			if (res.rc != 0 || !lines_match_with_gap(&res, &s.clean, 0, 0) ||
			    !ok_prob || res.st.bytes != b.len) {
				fprintf(stderr, "  garbage kind %u, %zu bytes before "
				                "record %zu (byte %zu)\n", kind, n,
				        at + 1, s.bd.off[at]);
				dump_probs(&res);
				bad++;
			}
			result_free(&res);
			buf_free(&b);
		}
	}
	CHECK_EQ_INT(bad, 0);
	sample_free(&s);
}

/* ---- unknown and undecoded record types ------------------------------ */

static void
test_unknown_type_skipped(void)
{
	struct sample s;
	/* type 99 subtype 0 length 20; OSPFv2 (11); TABLE_DUMP_V2
	 * GEO_PEER_TABLE (RFC 6397); BGP4MP_SNAPSHOT */
	static const struct {
		uint16_t type, sub;
		uint32_t len;
	} kinds[] = {{99, 0, 20}, {11, 0, 24}, {13, 7, 10}, {16, 3, 8}};

	if (sample_load(&s, "mrt/ris-bgpdump/input/updates.20020722.2238.gz", 40) < 0) {
		CHECK(0);
		return;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct buf rec = {0}, b;
		struct result res;
		size_t at = s.bd.count / 2;
		const struct prob *p;

		/* same timestamp as its neighbour */
		buf_put(&rec, s.b.p + s.bd.off[at], 4);
		buf_u16(&rec, kinds[k].type);
		buf_u16(&rec, kinds[k].sub);
		buf_u32(&rec, kinds[k].len);
		for (uint32_t j = 0; j < kinds[k].len; j++)
			buf_u8(&rec, j);
		b = with_insert(&s, at, rec.p, rec.len);
		run_reader(b.p, b.len, &res);
		CHECK_EQ_INT(res.rc, 0);
		CHECK(lines_match_with_gap(&res, &s.clean, 0, 0));
		p = find_prob(&res, VG_ERR_UNSUPPORTED, VG_ACT_SKIP_RECORD);
		CHECK(p != NULL);
		CHECK_EQ_INT(res.nprobs, 1);
		if (p) {
			CHECK_EQ_INT(p->record, at + 1);
			CHECK(p->offset >= s.bd.off[at] &&
			      p->offset <= s.bd.off[at] + 12);
		}
		/* unsupported is not damage */
		CHECK_EQ_INT(res.st.records_bad, 0);
		CHECK_EQ_INT(res.st.unsupported, 1);
		CHECK_EQ_INT(res.st.records, s.bd.count + 1);
		if (res.nprobs != 1)
			dump_probs(&res);
		result_free(&res);
		buf_free(&b);
		buf_free(&rec);
	}
	sample_free(&s);
}

/* ---- hand-built records: malformed BGP inside MRT -------------------- */

#define TS 1000000000u

/* A BGP4MP MESSAGE_AS4 record carrying an UPDATE with BODY, whose BGP
 * header says BGP_LEN bytes (0: the real length; more: the recorder cut
 * the message); returns the stream offset of the UPDATE body. */
static size_t
add_update_len(struct buf *b, const uint8_t *body, size_t n, unsigned bgp_len)
{
	size_t body_off;

	buf_u32(b, TS);
	buf_u16(b, MRT_BGP4MP);
	buf_u16(b, MRT_BGP4MP_MESSAGE_AS4);
	buf_u32(b, (uint32_t)(20 + 19 + n));
	buf_u32(b, 65001);                 /* peer AS */
	buf_u32(b, 65000);                 /* local AS */
	buf_u16(b, 0);                     /* ifindex */
	buf_u16(b, 1);                     /* AFI IPv4 */
	buf_u32(b, 0xc0000201);            /* peer 192.0.2.1 */
	buf_u32(b, 0xc00002fe);            /* local 192.0.2.254 */
	for (int i = 0; i < 16; i++)
		buf_u8(b, 0xff);
	buf_u16(b, bgp_len ? bgp_len : (unsigned)(19 + n));
	buf_u8(b, BGP_MSG_UPDATE);
	body_off = b->len;
	buf_put(b, body, n);
	return body_off;
}

static size_t
add_update(struct buf *b, const uint8_t *body, size_t n)
{
	return add_update_len(b, body, n, 0);
}

/* A clean UPDATE after the damaged one, to show the reader goes on. */
static const uint8_t good_update[] = {
    0x00, 0x00, 0x00, 0x14,
    0x40, 0x01, 0x01, 0x00,
    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9,
    0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01,
    0x18, 0xcb, 0x00, 0x71,                          /* 203.0.113.0/24 */
};
static const char good_line[] =
    "BGP4MP|1000000000|A|192.0.2.1|65001|203.0.113.0/24|65001|IGP|"
    "192.0.2.1|0|0||NAG||";

static int
has_line(const struct result *res, const char *want)
{
	for (size_t i = 0; i < res->nlines; i++)
		if (strcmp(res->lines[i], want) == 0)
			return 1;
	return 0;
}

static void
print_lines(const struct result *res)
{
	for (size_t i = 0; i < res->nlines; i++)
		fprintf(stderr, "    line: %s\n", res->lines[i]);
	dump_probs(res);
}

/* Run one damaged UPDATE followed by good_update. */
static void
run_damaged(const uint8_t *body, size_t n, struct result *res, size_t *body_off)
{
	struct buf b = {0};
	*body_off = add_update(&b, body, n);
	add_update(&b, good_update, sizeof(good_update));
	run_reader(b.p, b.len, res);
	CHECK_EQ_INT(res->rc, 0);
	CHECK(res->nlines > 0 && strcmp(res->lines[res->nlines - 1], good_line) == 0);
	CHECK_EQ_INT(res->st.records, 2);
	CHECK_EQ_INT(res->st.bytes, b.len);
	buf_free(&b);
}

/* RFC 7606 7.2: an AS_PATH segment count larger than its bytes: the
 * announcements become withdrawals (flagged as treat-as-withdraw), the
 * peer's own withdrawals stay. */
static void
test_as_path_count_lying(void)
{
	static const uint8_t body[] = {
	    0x00, 0x04, 0x18, 0x0a, 0x01, 0x02,             /* W 10.1.2/24 */
	    0x00, 0x18,
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x02, 0x0a, 0x02, 0x03, 0x00, 0x00, 0xfd, 0xe9,
	    0x00, 0x00, 0xfd, 0xea,                         /* 3 said, 2 given */
	    0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01,
	    0x10, 0xc0, 0xa8, 0x18, 0xc6, 0x33, 0x64,
	};
	static const char *const want[] = {
	    "BGP4MP|1000000000|W|192.0.2.1|65001|10.1.2.0/24",
	    "BGP4MP|1000000000|W|192.0.2.1|65001|192.168.0.0/16",
	    "BGP4MP|1000000000|W|192.0.2.1|65001|198.51.100.0/24",
	};
	struct result res;
	size_t off;

	run_damaged(body, sizeof(body), &res, &off);
	CHECK_EQ_INT(res.nlines, 4);
	for (size_t i = 0; i < 3 && i < res.nlines; i++)
		CHECK_EQ_STR(res.lines[i], want[i]);
	if (res.nlines >= 3) {
		CHECK_EQ_INT(res.line_flags[0] & VG_ELEM_F_TAW, 0);
		CHECK(res.line_flags[1] & VG_ELEM_F_TAW);
		CHECK(res.line_flags[2] & VG_ELEM_F_TAW);
	}
	CHECK_EQ_INT(res.nprobs, 1);
	CHECK_EQ_INT(res.probs[0].err, VG_ERR_MALFORMED);
	CHECK_EQ_INT(res.probs[0].action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK_EQ_INT(res.probs[0].attr_type, BGP_ATTR_AS_PATH);
	CHECK_EQ_INT(res.probs[0].record, 1);
	CHECK_EQ_INT(res.probs[0].offset, off + 8 + 4);
	CHECK_EQ_INT(res.st.records_bad, 1);
	if (res.nlines != 4 || res.nprobs != 1)
		print_lines(&res);
	result_free(&res);
}

/* RFC 7606 4: an attribute length running past the attribute block. */
static void
test_attr_length_lying(void)
{
	static const uint8_t body[] = {
	    0x00, 0x00,
	    0x00, 0x14,
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01,
	    0x40, 0x02, 0x30, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9,
	    0x10, 0xc0, 0xa8,
	};
	struct result res;
	size_t off;

	run_damaged(body, sizeof(body), &res, &off);
	CHECK_EQ_INT(res.nlines, 2);
	if (res.nlines == 2) {
		CHECK_EQ_STR(res.lines[0],
		             "BGP4MP|1000000000|W|192.0.2.1|65001|192.168.0.0/16");
		CHECK(res.line_flags[0] & VG_ELEM_F_TAW);
	}
	CHECK_EQ_INT(res.nprobs, 1);
	CHECK_EQ_INT(res.probs[0].err, VG_ERR_TRUNCATED);
	CHECK_EQ_INT(res.probs[0].action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK_EQ_INT(res.probs[0].attr_type, BGP_ATTR_AS_PATH);
	CHECK_EQ_INT(res.probs[0].offset, off + 4 + 11);
	if (res.nlines != 2 || res.nprobs != 1)
		print_lines(&res);
	result_free(&res);
}

/* RFC 7606 5.3: a prefix length over 32: the prefixes before it are kept,
 * the rest of the field is not used. */
static void
test_prefix_length_over_32(void)
{
	static const uint8_t body[] = {
	    0x00, 0x00,
	    0x00, 0x14,
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9,
	    0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01,
	    0x10, 0xc0, 0xa8,                               /* 192.168/16 */
	    0x21, 0x0a, 0x00, 0x00, 0x01, 0x00,             /* /33 */
	    0x18, 0xc6, 0x33, 0x64,
	};
	struct result res;
	size_t off;

	run_damaged(body, sizeof(body), &res, &off);
	CHECK_EQ_INT(res.nlines, 2);
	CHECK(has_line(&res, "BGP4MP|1000000000|A|192.0.2.1|65001|192.168.0.0/16|"
	                     "65001|IGP|192.0.2.1|0|0||NAG||"));
	CHECK_EQ_INT(res.nprobs, 1);
	CHECK_EQ_INT(res.probs[0].err, VG_ERR_MALFORMED);
	CHECK_EQ_INT(res.probs[0].action, VG_ACT_PARTIAL);
	CHECK_EQ_INT(res.probs[0].offset, off + 24 + 3);
	if (res.nlines != 2 || res.nprobs != 1)
		print_lines(&res);
	result_free(&res);
}

/* RFC 7606 5.3 for MP_REACH_NLRI: a prefix length over 128. */
static void
test_prefix_length_over_128(void)
{
	static const uint8_t body[] = {
	    0x00, 0x00,
	    0x00, 0x2e,
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9,
	    0x80, 0x0e, 0x1e, 0x00, 0x02, 0x01, 0x10,
	    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	    0x00,
	    0x20, 0x20, 0x01, 0x0d, 0xb8,                   /* 2001:db8::/32 */
	    0x81, 0x20, 0x01, 0x0d,                         /* /129 */
	};
	struct result res;
	size_t off;

	run_damaged(body, sizeof(body), &res, &off);
	CHECK_EQ_INT(res.nlines, 2);
	CHECK(has_line(&res, "BGP4MP|1000000000|A|192.0.2.1|65001|2001:db8::/32|"
	                     "65001|IGP|2001:db8::1|0|0||NAG||"));
	CHECK_EQ_INT(res.nprobs, 1);
	CHECK_EQ_INT(res.probs[0].err, VG_ERR_MALFORMED);
	CHECK_EQ_INT(res.probs[0].action, VG_ACT_PARTIAL);
	CHECK_EQ_INT(res.probs[0].offset, off + sizeof(body) - 4);
	if (res.nlines != 2 || res.nprobs != 1)
		print_lines(&res);
	result_free(&res);
}

/* RFC 7606 5: total path attribute length past the message: nothing in
 * the UPDATE can be trusted (session reset); the next record is read. */
static void
test_attr_block_overrun(void)
{
	static const uint8_t body[] = {
	    0x00, 0x04, 0x18, 0x0a, 0x01, 0x02,
	    0x00, 0xc8,                                     /* 200 */
	    0x40, 0x01, 0x01, 0x00,
	    0x10, 0xc0, 0xa8,
	};
	struct result res;
	size_t off;

	run_damaged(body, sizeof(body), &res, &off);
	CHECK_EQ_INT(res.nlines, 1);
	CHECK_EQ_INT(res.nprobs, 1);
	CHECK_EQ_INT(res.probs[0].err, VG_ERR_MALFORMED);
	CHECK_EQ_INT(res.probs[0].action, VG_ACT_SESSION_RESET);
	CHECK_EQ_INT(res.probs[0].offset, off + 6);
	CHECK_EQ_INT(res.st.records_bad, 1);
	if (res.nlines != 1 || res.nprobs != 1)
		print_lines(&res);
	result_free(&res);
}

/* RFC 7606 3(d): an UPDATE with NLRI but no NEXT_HOP. */
static void
test_missing_mandatory_attribute(void)
{
	static const uint8_t body[] = {
	    0x00, 0x00,
	    0x00, 0x0d,
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9,
	    0x10, 0xc0, 0xa8,
	};
	struct result res;
	size_t off;

	run_damaged(body, sizeof(body), &res, &off);
	CHECK_EQ_INT(res.nlines, 2);
	if (res.nlines == 2) {
		CHECK_EQ_STR(res.lines[0],
		             "BGP4MP|1000000000|W|192.0.2.1|65001|192.168.0.0/16");
		CHECK(res.line_flags[0] & VG_ELEM_F_TAW);
	}
	CHECK_EQ_INT(res.nprobs, 1);
	CHECK_EQ_INT(res.probs[0].action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK(strstr(res.probs[0].msg, "NEXT_HOP") != NULL);
	result_free(&res);
}

/* A bad prefix in the withdrawn routes is reported at its own offset: the
 * field starts 2 bytes into the UPDATE body (after its length). */
static void
test_withdrawn_prefix_offset(void)
{
	static const uint8_t body[] = {
	    0x00, 0x06, 0x10, 0x0a, 0x01,                   /* 10.1/16 */
	    0x21, 0x0a, 0x00,                               /* /33 */
	    0x00, 0x00,
	};
	struct result res;
	size_t off;

	run_damaged(body, sizeof(body), &res, &off);
	CHECK_EQ_INT(res.nlines, 2);
	CHECK(has_line(&res, "BGP4MP|1000000000|W|192.0.2.1|65001|10.1.0.0/16"));
	CHECK_EQ_INT(res.nprobs, 1);
	CHECK_EQ_INT(res.probs[0].action, VG_ACT_PARTIAL);
	CHECK_EQ_INT(res.probs[0].offset, off + 2 + 3);
	if (res.nprobs != 1 || res.probs[0].offset != off + 5)
		print_lines(&res);
	result_free(&res);
}

/*
 * A message the recorder cut (BGP length past the record): what is whole
 * is used, and every problem points inside the record, at the field it is
 * about - the withdrawn routes length, the total path attribute length,
 * the cut NLRI entry.
 */
static void
test_cut_message_offsets(void)
{
	static const uint8_t cut_withdrawn[] = {
	    0x00, 0x08, 0x10, 0x0a, 0x01, 0x18, 0x0a,       /* 8 said, 5 here */
	};
	static const uint8_t cut_attrs[] = {
	    0x00, 0x00, 0x00, 0x14,                         /* 20 said */
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9,
	};
	struct buf b = {0};
	struct result res;
	size_t off, rec_end;
	const struct prob *p;
	int before = test_failed_checks;

	off = add_update_len(&b, cut_withdrawn, sizeof(cut_withdrawn),
	                     19 + 2 + 8 + 2);
	rec_end = b.len;
	run_reader(b.p, b.len, &res);
	CHECK_EQ_INT(res.rc, 0);
	CHECK_EQ_INT(res.nlines, 1);
	CHECK(has_line(&res, "BGP4MP|1000000000|W|192.0.2.1|65001|10.1.0.0/16"));
	for (size_t i = 0; i < res.nprobs; i++)
		CHECK(res.probs[i].offset < rec_end);
	/* the withdrawn routes length field, and the cut entry at 2 + 3 */
	p = find_prob(&res, VG_ERR_TRUNCATED, VG_ACT_PARTIAL);
	CHECK(p != NULL);
	CHECK_EQ_INT(count_probs(&res, VG_ERR_TRUNCATED, -1), 3);
	{
		int saw_len = 0, saw_entry = 0;
		for (size_t i = 0; i < res.nprobs; i++) {
			if (strstr(res.probs[i].msg, "withdrawn routes length"))
				saw_len = res.probs[i].offset == off;
			if (strstr(res.probs[i].msg, "NLRI entry cut short"))
				saw_entry = res.probs[i].offset == off + 2 + 3;
		}
		CHECK(saw_len);
		CHECK(saw_entry);
	}
	if (test_failed_checks != before)
		print_lines(&res);
	result_free(&res);
	buf_free(&b);

	before = test_failed_checks;
	off = add_update_len(&b, cut_attrs, sizeof(cut_attrs), 19 + 4 + 20 + 3);
	rec_end = b.len;
	run_reader(b.p, b.len, &res);
	CHECK_EQ_INT(res.rc, 0);
	CHECK_EQ_INT(res.nlines, 0);
	for (size_t i = 0; i < res.nprobs; i++)
		CHECK(res.probs[i].offset < rec_end);
	p = find_prob(&res, VG_ERR_TRUNCATED, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK(p != NULL);
	if (p) {
		CHECK(strstr(p->msg, "path attributes") != NULL);
		CHECK_EQ_INT(p->offset, off + 2);
	}
	if (test_failed_checks != before)
		dump_probs(&res);
	result_free(&res);
	buf_free(&b);
}

/* ---- hand-built TABLE_DUMP_V2 (RFC 6396 4.3) ------------------------- */

static void
add_peer_index_table(struct buf *b)
{
	size_t h = b->len;
	buf_u32(b, TS);
	buf_u16(b, MRT_TABLE_DUMP_V2);
	buf_u16(b, MRT_PEER_INDEX_TABLE);
	buf_u32(b, 0);
	buf_u32(b, 0x0a000001);            /* collector BGP id */
	buf_u16(b, 0);                     /* view name length */
	buf_u16(b, 2);                     /* peer count */
	buf_u8(b, 0x02);                   /* IPv4, 4-byte AS */
	buf_u32(b, 0x0a000002);
	buf_u32(b, 0xc0000202);            /* 192.0.2.2 */
	buf_u32(b, 65002);
	buf_u8(b, 0x02);
	buf_u32(b, 0x0a000003);
	buf_u32(b, 0xc0000203);            /* 192.0.2.3 */
	buf_u32(b, 70000);
	vg_store_be32(b->p + h + 8, (uint32_t)(b->len - h - 12));
}

static const uint8_t rib_attrs[] = {
    0x40, 0x01, 0x01, 0x00,
    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9,
    0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x09,
};

/* RIB_IPV4_UNICAST for 198.51.100.0/24 with one entry per peer index in
 * IDX (N of them); an entry's attribute length is ALEN_LIE if non-zero.
 * Returns the offset of the record; *ENTRY gets the body offsets of the
 * entries. */
static size_t
add_rib(struct buf *b, const uint16_t *idx, size_t n, size_t lie_at,
        uint16_t alen_lie, size_t *entry)
{
	size_t h = b->len;
	buf_u32(b, TS);
	buf_u16(b, MRT_TABLE_DUMP_V2);
	buf_u16(b, MRT_RIB_IPV4_UNICAST);
	buf_u32(b, 0);
	buf_u32(b, 7);                     /* sequence */
	buf_u8(b, 24);
	buf_u8(b, 198);
	buf_u8(b, 51);
	buf_u8(b, 100);
	buf_u16(b, (unsigned)n);
	for (size_t i = 0; i < n; i++) {
		if (entry)
			entry[i] = b->len - h - 12;
		buf_u16(b, idx[i]);
		buf_u32(b, TS - 100);
		buf_u16(b, i == lie_at && alen_lie ? alen_lie : sizeof(rib_attrs));
		buf_put(b, rib_attrs, sizeof(rib_attrs));
	}
	vg_store_be32(b->p + h + 8, (uint32_t)(b->len - h - 12));
	return h;
}

static const char rib_line_0[] =
    "TABLE_DUMP2|1000000000|B|192.0.2.2|65002|198.51.100.0/24|65001|IGP|"
    "192.0.2.9|0|0||NAG||";
static const char rib_line_1[] =
    "TABLE_DUMP2|1000000000|B|192.0.2.3|70000|198.51.100.0/24|65001|IGP|"
    "192.0.2.9|0|0||NAG||";

static void
test_rib_peer_index_out_of_range(void)
{
	static const uint16_t idx[] = {0, 5, 1, 2};
	struct buf b = {0};
	struct result res;
	size_t rec, entry[4];

	add_peer_index_table(&b);
	rec = add_rib(&b, idx, 4, 0, 0, entry);
	run_reader(b.p, b.len, &res);
	CHECK_EQ_INT(res.rc, 0);
	CHECK_EQ_INT(res.nlines, 2);
	if (res.nlines == 2) {
		CHECK_EQ_STR(res.lines[0], rib_line_0);
		CHECK_EQ_STR(res.lines[1], rib_line_1);
	}
	CHECK_EQ_INT(res.nprobs, 2);
	CHECK_EQ_INT(count_probs(&res, VG_ERR_MALFORMED, VG_ACT_SKIP_RECORD), 2);
	if (res.nprobs == 2) {
		CHECK_EQ_INT(res.probs[0].record, 2);
		CHECK_EQ_INT(res.probs[0].offset, rec + 12 + entry[1]);
		CHECK(strstr(res.probs[0].msg, "peer index 5") != NULL);
		CHECK_EQ_INT(res.probs[1].offset, rec + 12 + entry[3]);
	}
	if (res.nlines != 2 || res.nprobs != 2)
		print_lines(&res);
	result_free(&res);
	buf_free(&b);
}

static void
test_rib_before_peer_index_table(void)
{
	static const uint16_t idx[] = {0, 1};
	struct buf b = {0};
	struct result res;

	add_rib(&b, idx, 2, 0, 0, NULL);
	add_peer_index_table(&b);
	add_rib(&b, idx, 2, 0, 0, NULL);
	run_reader(b.p, b.len, &res);
	CHECK_EQ_INT(res.rc, 0);
	CHECK_EQ_INT(res.nlines, 2);
	if (res.nlines == 2) {
		CHECK_EQ_STR(res.lines[0], rib_line_0);
		CHECK_EQ_STR(res.lines[1], rib_line_1);
		CHECK_EQ_INT(res.line_rec[0], 3);
	}
	CHECK_EQ_INT(res.nprobs, 2);
	for (size_t i = 0; i < res.nprobs && i < 2; i++) {
		CHECK_EQ_INT(res.probs[i].record, 1);
		CHECK(strstr(res.probs[i].msg, "PEER_INDEX_TABLE") != NULL);
	}
	if (res.nlines != 2 || res.nprobs != 2)
		print_lines(&res);
	result_free(&res);
	buf_free(&b);
}

/* An entry whose attribute length overruns the record: the entries before
 * it are kept, the rest of the record cannot be framed. */
static void
test_rib_entry_attr_overrun(void)
{
	static const uint16_t idx[] = {0, 1, 0};
	struct buf b = {0};
	struct result res;
	size_t rec, entry[3];

	add_peer_index_table(&b);
	rec = add_rib(&b, idx, 3, 1, 500, entry);
	add_rib(&b, idx + 1, 1, 0, 0, NULL);
	run_reader(b.p, b.len, &res);
	CHECK_EQ_INT(res.rc, 0);
	CHECK_EQ_INT(res.nlines, 2);
	if (res.nlines == 2) {
		CHECK_EQ_STR(res.lines[0], rib_line_0);
		CHECK_EQ_STR(res.lines[1], rib_line_1);
		CHECK_EQ_INT(res.line_rec[1], 3);
	}
	CHECK(res.nprobs >= 1);
	CHECK_EQ_INT(res.probs[0].err, VG_ERR_TRUNCATED);
	CHECK_EQ_INT(res.probs[0].action, VG_ACT_PARTIAL);
	CHECK_EQ_INT(res.probs[0].offset, rec + 12 + entry[1]);
	if (res.nlines != 2)
		print_lines(&res);
	result_free(&res);
	buf_free(&b);
}

/* A malformed attribute in one RIB entry does not affect its neighbours. */
static void
test_rib_entry_bad_attribute(void)
{
	static const uint16_t idx[] = {0, 1};
	struct buf b = {0};
	struct result res;
	size_t rec, entry[2];

	add_peer_index_table(&b);
	rec = add_rib(&b, idx, 2, 0, 0, entry);
	/* first entry: ORIGIN value 7 */
	b.p[rec + 12 + entry[0] + 8 + 3] = 7;
	run_reader(b.p, b.len, &res);
	CHECK_EQ_INT(res.rc, 0);
	CHECK(has_line(&res, rib_line_1));
	CHECK_EQ_INT(res.nprobs, 1);
	CHECK_EQ_INT(res.probs[0].action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK_EQ_INT(res.probs[0].attr_type, BGP_ATTR_ORIGIN);
	CHECK_EQ_INT(res.probs[0].offset, rec + 12 + entry[0] + 8);
	result_free(&res);
	buf_free(&b);
}

/* RFC 6396 4.3.2: prefix length over 32 in a RIB_IPV4_UNICAST header. */
static void
test_rib_prefix_length_over_32(void)
{
	static const uint16_t idx[] = {0};
	struct buf b = {0};
	struct result res;
	size_t rec;

	add_peer_index_table(&b);
	rec = add_rib(&b, idx, 1, 0, 0, NULL);
	b.p[rec + 12 + 4] = 33;
	add_rib(&b, idx, 1, 0, 0, NULL);
	run_reader(b.p, b.len, &res);
	CHECK_EQ_INT(res.rc, 0);
	CHECK_EQ_INT(res.nlines, 1);
	CHECK(has_line(&res, rib_line_0));
	CHECK_EQ_INT(res.nprobs, 1);
	CHECK_EQ_INT(res.probs[0].err, VG_ERR_MALFORMED);
	CHECK_EQ_INT(res.probs[0].action, VG_ACT_SKIP_RECORD);
	CHECK_EQ_INT(res.probs[0].record, 2);
	result_free(&res);
	buf_free(&b);
}

/* ---- fuzz findings (fuzz/README.md) ----------------------------------- */

/* Run FN in a child process, so that a reproducer that still crashes (a
 * signal, or a sanitizer report) fails this case and not the whole run. */
static void
run_isolated(void (*fn)(void))
{
	pid_t pid;
	int st = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		CHECK(0);
		return;
	}
	if (pid == 0) {
		test_failed_checks = 0;
		fn();
		fflush(stderr);
		_exit(test_failed_checks ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) < 0) {
		perror("waitpid");
		CHECK(0);
		return;
	}
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "  reproducer killed by signal %d\n",
		        WTERMSIG(st));
		CHECK(0);
	} else {
		CHECK_EQ_INT(WEXITSTATUS(st), 0);
	}
}

/* mrt_fuzz: an empty stream.  The first fill() called
 * memmove(NULL, NULL + 0, 0), undefined behaviour that UBSan stops on
 * (only visible under SANITIZER=undefined; every input took that path). */
static void
fuzz_empty_input(void)
{
	struct result res;

	run_reader((const uint8_t *)"", 0, &res);
	CHECK_EQ_INT(res.rc, 0);
	CHECK_EQ_INT(res.nlines, 0);
	CHECK_EQ_INT(res.nprobs, 0);
	result_free(&res);
}

/* mrt_fuzz (out-of-memory): a 12-byte header of unknown type 0x4040 with
 * length 0xffff4040.  To see whether a record follows, the reader asked
 * fill() for 12 + length + 12 bytes and grew its buffer to 8 GiB; under a
 * memory limit the realloc failed and the reader gave up on the file. */
static void
fuzz_unknown_type_huge_length(void)
{
	static const uint8_t input[] = {
	    0x12, 0xdd, 0x0c, 0xff, 0x40, 0x40, 0xff, 0xff,
	    0xff, 0xff, 0x40, 0x40,
	};
	struct result res;

	run_reader(input, sizeof(input), &res);
	CHECK_EQ_INT(res.rc, 0);
	CHECK_EQ_INT(res.nlines, 0);
	CHECK_EQ_INT(res.nprobs, 1);
	CHECK(find_prob(&res, VG_ERR_MALFORMED, VG_ACT_SKIP_BYTES) != NULL);
	CHECK_EQ_INT(res.st.bytes, sizeof(input));
	if (res.nprobs != 1)
		dump_probs(&res);
	result_free(&res);
}

/*
 * mrt_fuzz (heap-use-after-free): a BGP4MP record whose MRT length is
 * longer than its BGP message, followed (where the BGP length says the
 * record ends) by a plausible header with a 15 MiB length.  Checking that
 * header made fill() grow - and move - the read buffer while r->rec.body
 * still pointed into the old one; start_bgp4mp() then read freed memory.
 * The record must decode (its withdrawal) with its 24 extra bytes noted.
 */
static void
fuzz_lookahead_moves_buffer(void)
{
	static const uint8_t input[] = {
	    /* BGP4MP MESSAGE_AS4, MRT length 71 = 47 + 24 */
	    0x3b, 0x9a, 0xca, 0x00, 0x00, 0x10, 0x00, 0x04, 0x00, 0x00, 0x00, 0x47,
	    0x00, 0x00, 0xfd, 0xe9, 0x00, 0x00, 0xfd, 0xe8, 0x00, 0x00, 0x00, 0x01,
	    0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0xfe,
	    /* BGP UPDATE, 27 bytes: withdraw 10.1.2.0/24 */
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0x00, 0x1b, 0x02, 0x00, 0x04, 0x18, 0x0a, 0x01, 0x02, 0x00, 0x00,
	    /* where the BGP length ends the record: a BGP4MP header that
	     * says 15 MiB, then 12 more bytes; the file ends there */
	    0x3b, 0x9a, 0xca, 0x00, 0x00, 0x10, 0x00, 0x04, 0x00, 0xf0, 0x00, 0x00,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	struct result res;

	run_reader(input, sizeof(input), &res);
	CHECK_EQ_INT(res.rc, 0);
	CHECK_EQ_INT(res.nlines, 1);
	if (res.nlines == 1)
		CHECK_EQ_STR(res.lines[0],
		             "BGP4MP|1000000000|W|192.0.2.1|65001|10.1.2.0/24");
	CHECK_EQ_INT(res.st.records, 1);
	CHECK_EQ_INT(res.st.bytes, sizeof(input));
	if (res.nlines != 1)
		print_lines(&res);
	result_free(&res);
}

static void
test_fuzz_empty_input(void)
{
	run_isolated(fuzz_empty_input);
}

static void
test_fuzz_unknown_type_huge_length(void)
{
	run_isolated(fuzz_unknown_type_huge_length);
}

static void
test_fuzz_lookahead_moves_buffer(void)
{
	run_isolated(fuzz_lookahead_moves_buffer);
}

int
main(void)
{
#ifndef UNDER_ASAN
	struct rlimit rl = {(rlim_t)MEM_CAP_MB << 20, (rlim_t)MEM_CAP_MB << 20};
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		perror("setrlimit");
#endif
	RUN(test_truncate_bgp4mp_every_offset);
	RUN(test_truncate_openbgpd_every_offset);
	RUN(test_truncate_table_dump_v2_every_offset);
	RUN(test_lying_length_too_long);
	RUN(test_lying_length_too_short);
	RUN(test_lying_length_huge);
	RUN(test_lying_length_table_dump_v2);
	RUN(test_garbage_between_records);
	RUN(test_unknown_type_skipped);
	RUN(test_as_path_count_lying);
	RUN(test_attr_length_lying);
	RUN(test_prefix_length_over_32);
	RUN(test_prefix_length_over_128);
	RUN(test_attr_block_overrun);
	RUN(test_missing_mandatory_attribute);
	RUN(test_withdrawn_prefix_offset);
	RUN(test_cut_message_offsets);
	RUN(test_rib_peer_index_out_of_range);
	RUN(test_rib_before_peer_index_table);
	RUN(test_rib_entry_attr_overrun);
	RUN(test_rib_entry_bad_attribute);
	RUN(test_rib_prefix_length_over_32);
	RUN(test_fuzz_empty_input);
	RUN(test_fuzz_unknown_type_huge_length);
	RUN(test_fuzz_lookahead_moves_buffer);
	return TEST_MAIN_END();
}
