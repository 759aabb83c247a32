/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A pool of small blocks: sizes rounded up to 8 bytes, carved from 1 MiB
 * slabs, kept on a free list per size when freed, all given back at once
 * by vg_pool_free_all.  For many small objects whose size is known when
 * they are freed (the rib's interned AS paths): no per-block header (malloc
 * takes 8 to 16 bytes a block), and no per-block free at the end.  Blocks
 * above VG_POOL_MAX bytes are plain malloc/free.  Blocks are 8-byte
 * aligned.  Under AddressSanitizer a freed block is poisoned, so a use
 * after free is still caught.
 */
#ifndef VIGIL_POOL_H
#define VIGIL_POOL_H

#include <stddef.h>
#include <stdint.h>

#define VG_POOL_MAX 256

struct vg_pool {
	void *free[VG_POOL_MAX / 8 + 1]; /* by size / 8 */
	char *cur;                        /* the slab being carved */
	size_t left;                      /* bytes left in it */
	void **slabs;                     /* every slab, for vg_pool_free_all */
	size_t nslabs, cap_slabs;
	uint64_t bytes;                   /* bytes in blocks handed out */
};

/* A block of BYTES (> 0), or NULL out of memory. */
void *vg_pool_alloc(struct vg_pool *p, size_t bytes);

/* Give back block B of BYTES (as it was asked for); NULL is ignored. */
void vg_pool_put(struct vg_pool *p, void *b, size_t bytes);

/* Give back every slab; the pool is empty and usable again.  Blocks above
 * VG_POOL_MAX are the caller's to vg_pool_put (they are malloc's). */
void vg_pool_free_all(struct vg_pool *p);

#endif
