/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The packed keyframe rows (table keyframes, format in schema.sql): once
 * an hour every entity gets a signal row even when nothing changed, so
 * that readers never look back further; those rows are stored 64 entities
 * to a blob instead of one SQLite row each.  Pure code, no SQLite: the
 * decoder reads someone's database file and is fuzzed on its own
 * (fuzz/keyframe_fuzz.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store/store_impl.h"

/* Tag byte of an entry: how each double is stored, and whether the four
 * counters are (they are zero in almost every keyframe-only row). */
#define KF_BASE_SHIFT 0
#define KF_INST_SHIFT 2
#define KF_COUNTERS 0x10
#define KF_TAG_MASK 0x1f

enum { KF_NULL = 0, KF_INT = 1, KF_RAW = 2 };

#define KF_STR_(x) #x
#define KF_STR(x) KF_STR_(x)

/* 2^53: integers up to this are exact doubles. */
#define KF_INT_MAX 9007199254740992.0

static uint8_t *
put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static unsigned
real_kind(double v)
{
	if (isnan(v))
		return KF_NULL;
	/* -0.0 too: a REAL column of SQLite reads it back as 0, and these
	 * rows must read as they would from signals */
	if (v == floor(v) && fabs(v) <= KF_INT_MAX)
		return KF_INT;
	return KF_RAW;
}

static uint8_t *
put_real(uint8_t *p, unsigned kind, double v)
{
	if (kind == KF_INT) {
		int64_t i = (int64_t)v;
		return put_varint(p, ((uint64_t)i << 1) ^ (uint64_t)(i >> 63));
	}
	if (kind == KF_RAW) {
		uint64_t b;
		memcpy(&b, &v, sizeof(b));
		for (int k = 0; k < 8; k++)
			*p++ = (uint8_t)(b >> (8 * k));
	}
	return p;
}

size_t
store_kf_encode(int64_t first_id, const int64_t *ids,
                const struct vg_signal *sig, size_t n, uint8_t *buf,
                size_t cap)
{
	uint8_t *p = buf;
	int64_t prev = first_id - 1;

	if (n == 0 || n > STORE_KF_CHUNK || first_id < 0 ||
	    first_id > INT64_MAX - STORE_KF_CHUNK ||
	    first_id % STORE_KF_CHUNK || cap < 10 + n * STORE_KF_ENTRY_MAX)
		return 0;
	p = put_varint(p, n);
	for (size_t i = 0; i < n; i++) {
		const struct vg_signal *g = &sig[i];
		unsigned kb = real_kind(g->baseline), ki = real_kind(g->inst_score);
		int counters = g->announcements || g->withdrawals ||
		               g->path_changes || g->flaps;
		if (ids[i] <= prev || ids[i] >= first_id + STORE_KF_CHUNK)
			return 0;
		p = put_varint(p, (uint64_t)(ids[i] - prev - 1));
		prev = ids[i];
		*p++ = (uint8_t)(kb << KF_BASE_SHIFT | ki << KF_INST_SHIFT |
		                 (counters ? KF_COUNTERS : 0));
		p = put_varint(p, g->v4_units);
		p = put_varint(p, g->v6_units);
		p = put_varint(p, g->prefixes);
		p = put_varint(p, g->origins);
		p = put_varint(p, g->peers_up);
		if (counters) {
			p = put_varint(p, g->announcements);
			p = put_varint(p, g->withdrawals);
			p = put_varint(p, g->path_changes);
			p = put_varint(p, g->flaps);
		}
		p = put_real(p, kb, g->baseline);
		p = put_real(p, ki, g->inst_score);
	}
	return (size_t)(p - buf);
}

/* A bounds-checked reader: a failed read sets what went wrong and where. */
struct kf_cur {
	const uint8_t *p;
	size_t len, off;
	const char *why; /* NULL while all is well */
	size_t at;
};

static int
kf_fail(struct kf_cur *c, const char *why)
{
	if (c->why == NULL) {
		c->why = why;
		c->at = c->off;
	}
	return -1;
}

static int
get_varint(struct kf_cur *c, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned k = 0; k < 10; k++) {
		uint8_t b;
		if (c->off >= c->len)
			return kf_fail(c, "truncated");
		b = c->p[c->off];
		if (k == 9 && b > 1)
			return kf_fail(c, "varint longer than 64 bits");
		x |= (uint64_t)(b & 0x7f) << (7 * k);
		c->off++;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return kf_fail(c, "varint longer than 64 bits");
}

static int
get_u32(struct kf_cur *c, uint32_t *v)
{
	uint64_t x;
	size_t at = c->off;
	if (get_varint(c, &x) < 0)
		return -1;
	if (x > UINT32_MAX) {
		c->off = at;
		return kf_fail(c, "count larger than 32 bits");
	}
	*v = (uint32_t)x;
	return 0;
}

static int
get_real(struct kf_cur *c, unsigned kind, double *v)
{
	uint64_t x;
	switch (kind) {
	case KF_NULL:
		*v = NAN;
		return 0;
	case KF_INT:
		if (get_varint(c, &x) < 0)
			return -1;
		*v = (double)(int64_t)((x >> 1) ^ (0 - (x & 1)));
		return 0;
	case KF_RAW:
		if (c->len - c->off < 8)
			return kf_fail(c, "truncated");
		x = 0;
		for (int k = 0; k < 8; k++)
			x |= (uint64_t)c->p[c->off + k] << (8 * k);
		c->off += 8;
		memcpy(v, &x, sizeof(*v));
		return 0;
	}
	return kf_fail(c, "bad value kind");
}

int
store_kf_decode(const uint8_t *p, size_t len, int64_t first_id,
                int64_t *ids, struct vg_signal *sig, size_t *n, char *err,
                size_t errlen)
{
	struct kf_cur c = {p, p ? len : 0, 0, NULL, 0};
	uint64_t cnt = 0, gap;
	int64_t prev = first_id - 1;
	size_t i = 0;

	*n = 0;
	if (first_id < 0 || first_id > INT64_MAX - STORE_KF_CHUNK ||
	    first_id % STORE_KF_CHUNK) {
		snprintf(err, errlen, "row of first_id %lld: not a "
		         "multiple of %d", (long long)first_id, STORE_KF_CHUNK);
		return -1;
	}
	if (get_varint(&c, &cnt) == 0 && (cnt == 0 || cnt > STORE_KF_CHUNK)) {
		c.off = 0;
		kf_fail(&c, "entry count not in 1.." KF_STR(STORE_KF_CHUNK));
	}
	for (i = 0; c.why == NULL && i < cnt; i++) {
		struct vg_signal *g = &sig[i];
		uint8_t tag;
		size_t at = c.off;
		memset(g, 0, sizeof(*g));
		if (get_varint(&c, &gap) < 0)
			break;
		if (gap >= (uint64_t)(first_id + STORE_KF_CHUNK - prev - 1)) {
			c.off = at;
			kf_fail(&c, "entity id outside the chunk");
			break;
		}
		ids[i] = prev + 1 + (int64_t)gap;
		prev = ids[i];
		if (c.off >= c.len) {
			kf_fail(&c, "truncated");
			break;
		}
		tag = c.p[c.off];
		if ((tag & ~KF_TAG_MASK) || (tag >> KF_BASE_SHIFT & 3) == 3 ||
		    (tag >> KF_INST_SHIFT & 3) == 3) {
			kf_fail(&c, "bad entry tag");
			break;
		}
		c.off++;
		if (get_varint(&c, &g->v4_units) < 0 ||
		    get_varint(&c, &g->v6_units) < 0 ||
		    get_u32(&c, &g->prefixes) < 0 ||
		    get_u32(&c, &g->origins) < 0 ||
		    get_u32(&c, &g->peers_up) < 0)
			break;
		if ((tag & KF_COUNTERS) &&
		    (get_u32(&c, &g->announcements) < 0 ||
		     get_u32(&c, &g->withdrawals) < 0 ||
		     get_u32(&c, &g->path_changes) < 0 ||
		     get_u32(&c, &g->flaps) < 0))
			break;
		if (get_real(&c, tag >> KF_BASE_SHIFT & 3, &g->baseline) < 0 ||
		    get_real(&c, tag >> KF_INST_SHIFT & 3, &g->inst_score) < 0)
			break;
	}
	if (c.why == NULL && c.off != c.len) {
		c.why = "bytes after the last entry";
		c.at = c.off;
	}
	if (c.why) {
		snprintf(err, errlen,
		         "row of first_id %lld: %s at byte %zu of %zu",
		         (long long)first_id, c.why, c.at, len);
		return -1;
	}
	*n = (size_t)cnt;
	return 0;
}
