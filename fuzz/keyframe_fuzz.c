/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the packed keyframe rows of the database (table
 * keyframes, src/store/keyframe.c): a database file is someone else's
 * input.  Byte 0 picks the row's first_id (a multiple of the chunk size,
 * or, when it is 255, one that is not), the rest is the blob.  A blob
 * that decodes must hold 1..STORE_KF_CHUNK entries with strictly
 * increasing ids inside the chunk; encoding them again and decoding that
 * gives the same entries (doubles exactly, NaN as NaN).  A blob that does
 * not decode must say where, inside the input.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same_double(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return a == b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vg_signal sig[STORE_KF_CHUNK], again[STORE_KF_CHUNK];
	static int64_t ids[STORE_KF_CHUNK], ids2[STORE_KF_CHUNK];
	static uint8_t buf[10 + STORE_KF_CHUNK * STORE_KF_ENTRY_MAX];
	char err[256];
	size_t n, n2, len;
	int64_t first;

	if (size == 0)
		return 0;
	first = data[0] == 255 ? 100 : (int64_t)data[0] * STORE_KF_CHUNK;
	/* the blob in its own allocation: ASan sees any read past it */
	uint8_t *blob = malloc(size - 1 ? size - 1 : 1);
	if (blob == NULL)
		return 0;
	memcpy(blob, data + 1, size - 1);
	if (store_kf_decode(blob, size - 1, first, ids, sig, &n, err,
	                    sizeof(err)) < 0) {
		const char *at = strstr(err, " at byte ");
		unsigned long long off;
		if (data[0] == 255)
			goto out; /* refused before reading */
		if (n != 0 || at == NULL || sscanf(at, " at byte %llu", &off) != 1 ||
		    off > size - 1)
			abort();
		goto out;
	}
	if (data[0] == 255 || n < 1 || n > STORE_KF_CHUNK)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (ids[i] < first || ids[i] >= first + STORE_KF_CHUNK ||
		    (i && ids[i] <= ids[i - 1]))
			abort();
	}
	len = store_kf_encode(first, ids, sig, n, buf, sizeof(buf));
	if (len == 0 || len > 10 + n * STORE_KF_ENTRY_MAX)
		abort();
	if (store_kf_decode(buf, len, first, ids2, again, &n2, err,
	                    sizeof(err)) < 0 || n2 != n)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct vg_signal *a = &sig[i], *b = &again[i];
		if (ids2[i] != ids[i] || a->v4_units != b->v4_units ||
		    a->v6_units != b->v6_units || a->prefixes != b->prefixes ||
		    a->origins != b->origins || a->peers_up != b->peers_up ||
		    a->announcements != b->announcements ||
		    a->withdrawals != b->withdrawals ||
		    a->path_changes != b->path_changes || a->flaps != b->flaps ||
		    !same_double(a->baseline, b->baseline) ||
		    !same_double(a->inst_score, b->inst_score))
			abort();
	}
out:
	free(blob);
	return 0;
}
