/* SPDX-License-Identifier: BSD-2-Clause */
/* Growable arrays (see include/vigil/vec.h). */
#include <stdlib.h>
#include <string.h>

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
	np = realloc(*p, (size_t)nc * elem);
	if (np == NULL)
		return -1;
	memset((char *)np + (size_t)*cap * elem, 0, (size_t)(nc - *cap) * elem);
	*p = np;
	*cap = nc;
	return 0;
}
