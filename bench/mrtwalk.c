/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The raw limit for MRT decoding: read a (decompressed) file into memory
 * and walk its record headers, touching nothing else.  Prints bytes,
 * records and MB/s of the walk alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int
main(int argc, char **argv)
{
	FILE *f;
	long sz;
	uint8_t *buf;
	struct timespec a, b;
	uint64_t off = 0, n = 0;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: mrtwalk FILE\n");
		return 2;
	}
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	rewind(f);
	buf = malloc((size_t)sz);
	if (buf == NULL || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		fprintf(stderr, "mrtwalk: cannot read %s\n", argv[1]);
		return 2;
	}
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &a);
	while (off + 12 <= (uint64_t)sz) {
		uint32_t len = (uint32_t)buf[off + 8] << 24 |
		               (uint32_t)buf[off + 9] << 16 |
		               (uint32_t)buf[off + 10] << 8 | buf[off + 11];
		off += 12 + (uint64_t)len;
		n++;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%ld bytes %llu records %.4f s %.0f MB/s\n", sz,
	       (unsigned long long)n, s, sz / s / 1e6);
	free(buf);
	return 0;
}
