/* SPDX-License-Identifier: BSD-2-Clause */
/* Growable arrays (see include/vigil/vec.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vigil/vec.h"

int
vg_grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t nc;
	void *np;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap : 8;
	while (nc < need) {
		if (nc > UINT32_MAX / 2)
			return -1;
		nc *= 2;
	}
	if ((size_t)nc * elem >= ((size_t)1 << 20)) {
		/* big: fresh zeroed memory (mapped, so the part not used yet
		 * is not touched, nor counted in the RSS), the old copied */
		np = calloc(nc, elem);
		if (np == NULL)
			return -1;
		if (*cap)
			memcpy(np, *p, (size_t)*cap * elem);
		free(*p);
	} else {
		np = realloc(*p, (size_t)nc * elem);
		if (np == NULL)
			return -1;
		memset((char *)np + (size_t)*cap * elem, 0,
		       (size_t)(nc - *cap) * elem);
	}
	*p = np;
	*cap = nc;
	return 0;
}

void
vg_advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t b = ((uintptr_t)p + bytes) & ~(huge - 1);
	if (p && b > a)
		(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)bytes;
#endif
}
