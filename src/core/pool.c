/* SPDX-License-Identifier: BSD-2-Clause */
/* Small-block pool (include/vigil/pool.h). */
#include <stdlib.h>
#include <string.h>

#include "vigil/pool.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(b, n) ASAN_POISON_MEMORY_REGION((b), (n))
#define UNPOISON(b, n) ASAN_UNPOISON_MEMORY_REGION((b), (n))
#else
#define POISON(b, n) ((void)(b), (void)(n))
#define UNPOISON(b, n) ((void)(b), (void)(n))
#endif

#define SLAB_BYTES (1u << 20)

void *
vg_pool_alloc(struct vg_pool *p, size_t bytes)
{
	size_t c = (bytes + 7) / 8, size = c * 8;
	void *b;

	if (bytes == 0)
		return NULL;
	if (size > VG_POOL_MAX)
		return malloc(bytes);
	if ((b = p->free[c]) != NULL) {
		void *next;
		UNPOISON(b, size);
		memcpy(&next, b, sizeof(next));
		p->free[c] = next;
		p->bytes += size;
		return b;
	}
	if (p->left < size) {
		if (p->nslabs == p->cap_slabs) {
			size_t nc = p->cap_slabs ? 2 * p->cap_slabs : 64;
			void **ns = realloc(p->slabs, nc * sizeof(*ns));
			if (ns == NULL)
				return NULL;
			p->slabs = ns;
			p->cap_slabs = nc;
		}
		/* (the tail of the slab before, under 256 bytes, is not used) */
		if ((p->cur = malloc(SLAB_BYTES)) == NULL) {
			p->left = 0;
			return NULL;
		}
		POISON(p->cur, SLAB_BYTES);
		p->slabs[p->nslabs++] = p->cur;
		p->left = SLAB_BYTES;
	}
	b = p->cur;
	p->cur += size;
	p->left -= size;
	p->bytes += size;
	UNPOISON(b, size);
	return b;
}

void
vg_pool_put(struct vg_pool *p, void *b, size_t bytes)
{
	size_t c = (bytes + 7) / 8, size = c * 8;

	if (b == NULL)
		return;
	if (size > VG_POOL_MAX) {
		free(b);
		return;
	}
	memcpy(b, &p->free[c], sizeof(void *));
	p->free[c] = b;
	p->bytes -= size;
	POISON(b, size); /* (vg_pool_alloc unpoisons it to read the link) */
}

void
vg_pool_free_all(struct vg_pool *p)
{
	for (size_t i = 0; i < p->nslabs; i++) {
		UNPOISON(p->slabs[i], SLAB_BYTES);
		free(p->slabs[i]);
	}
	free(p->slabs);
	memset(p, 0, sizeof(*p));
}
