/* SPDX-License-Identifier: BSD-2-Clause */
/* The small-block pool (include/vigil/pool.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vigil/pool.h"

/* Blocks of every size hold their bytes apart from each other; a block
 * given back is the next one of its size class handed out; the byte count
 * follows. */
static void
test_pool_blocks(void)
{
	struct vg_pool p;
	enum { N = 3000 };
	static unsigned char *b[N];
	static size_t len[N];

	memset(&p, 0, sizeof(p));
	for (size_t i = 0; i < N; i++) {
		len[i] = 1 + (i * 37) % (VG_POOL_MAX + 64); /* some malloc's */
		b[i] = vg_pool_alloc(&p, len[i]);
		CHECK(b[i] != NULL);
		if (b[i] == NULL)
			return;
		CHECK(((uintptr_t)b[i] & 7) == 0);
		memset(b[i], (int)(i & 0xff), len[i]);
	}
	int clobbered = 0;
	for (size_t i = 0; i < N; i++)
		for (size_t k = 0; k < len[i]; k++)
			clobbered |= b[i][k] != (unsigned char)(i & 0xff);
	CHECK(!clobbered);
	uint64_t before = p.bytes;
	/* 8-byte classes: 17..24 bytes share one */
	unsigned char *x = vg_pool_alloc(&p, 20);
	CHECK_EQ_INT(p.bytes, before + 24);
	vg_pool_put(&p, x, 20);
	CHECK_EQ_INT(p.bytes, before);
	CHECK(vg_pool_alloc(&p, 17) == x);
	vg_pool_put(&p, x, 17);
	CHECK(vg_pool_alloc(&p, 16) != x); /* another class */
	/* every block back: the count is 16 (the 16-byte one still out) */
	for (size_t i = 0; i < N; i++)
		vg_pool_put(&p, b[i], len[i]);
	CHECK_EQ_INT(p.bytes, 16);
	vg_pool_put(&p, NULL, 8);
	CHECK(vg_pool_alloc(&p, 0) == NULL);
	vg_pool_free_all(&p);
	CHECK_EQ_INT(p.bytes, 0);
	CHECK_EQ_INT(p.nslabs, 0);
	/* usable again */
	x = vg_pool_alloc(&p, 100);
	CHECK(x != NULL);
	if (x)
		memset(x, 1, 100);
	vg_pool_free_all(&p);
}

/* Many blocks: more than one slab, each block still its own. */
static void
test_pool_slabs(void)
{
	struct vg_pool p;
	enum { N = 200000 };
	uint32_t **v = malloc(N * sizeof(*v));
	memset(&p, 0, sizeof(p));
	CHECK(v != NULL);
	if (v == NULL)
		return;
	for (uint32_t i = 0; i < N; i++) {
		v[i] = vg_pool_alloc(&p, 12);
		CHECK(v[i] != NULL);
		if (v[i] == NULL)
			break;
		v[i][0] = i;
		v[i][2] = ~i;
	}
	CHECK(p.nslabs >= 3); /* 200k x 16 bytes over 1 MiB slabs */
	int bad = 0;
	for (uint32_t i = 0; i < N; i++)
		bad |= v[i][0] != i || v[i][2] != ~i;
	CHECK(!bad);
	vg_pool_free_all(&p);
	free(v);
}

int
main(void)
{
	RUN(test_pool_blocks);
	RUN(test_pool_slabs);
	return TEST_MAIN_END();
}
