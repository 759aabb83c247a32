/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small container helpers shared by the modules that keep growable
 * arrays and hash tables (rib, detect, scenario): array growth and a
 * 64-bit hash finaliser.
 */
#ifndef VIGIL_VEC_H
#define VIGIL_VEC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Make the array *P (of *CAP elements of ELEM bytes) hold at least NEED
 * elements, doubling; new elements are zeroed.  Returns 0, or -1 out of
 * memory (then *P and *CAP are unchanged).  An array of 1 MiB or more
 * moves to fresh zeroed memory (the part not used yet stays untouched and
 * out of the RSS); old and new are both held during the copy.
 */
int vg_grow(void **p, uint32_t *cap, uint32_t need, size_t elem);

/*
 * Ask for huge pages behind the BYTES at P (the 2 MiB-aligned part of it):
 * for big tables read at random (hash slots), where a TLB miss would come
 * with nearly every cache miss.  A hint; nothing happens where the system
 * has no transparent huge pages or P is small.
 */
void vg_advise_huge(void *p, size_t bytes);

/* MurmurHash3's 64-bit finaliser: a cheap, well-mixed hash of H. */
static inline uint64_t
vg_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

#endif
