/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Decompression benchmark for vg_stream: reads one file (or "-") to the end
 * in 4 MiB reads, as the MRT reader does, and prints the decompressed size,
 * wall time and MB/s (10^6 bytes per second) of decompressed output.
 * `-o FILE` also writes the output, so results can be compared with the
 * reference tools.  Built and driven by bench/decomp.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/stream.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: decomp [--zlib] [--threads N] [--chunk BYTES] "
	                "[-o OUT] FILE\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct vg_stream_opts opts;
	const char *path = NULL, *out_path = NULL;
	size_t chunk = 4u << 20;
	char err[512];
	FILE *out = NULL;
	uint64_t total = 0;
	double t0, dt;
	ssize_t r;
	vg_stream *s;
	char *buf;

	memset(&opts, 0, sizeof(opts));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--zlib") == 0)
			opts.force_zlib = 1;
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			opts.threads = atoi(argv[++i]);
		else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc)
			chunk = (size_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else if (path == NULL)
			path = argv[i];
		else
			usage();
	}
	if (path == NULL || chunk == 0)
		usage();
	buf = malloc(chunk);
	if (buf == NULL) {
		fprintf(stderr, "decomp: out of memory\n");
		return 1;
	}
	if (out_path != NULL) {
		out = strcmp(out_path, "-") == 0 ? stdout : fopen(out_path, "wb");
		if (out == NULL) {
			perror(out_path);
			return 1;
		}
	}
	t0 = now();
	s = vg_stream_open(path, &opts, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "decomp: %s\n", err);
		free(buf);
		return 1;
	}
	while ((r = vg_stream_read(s, buf, chunk)) > 0) {
		total += (uint64_t)r;
		if (out != NULL && fwrite(buf, 1, (size_t)r, out) != (size_t)r) {
			perror("write");
			return 1;
		}
	}
	dt = now() - t0;
	if (r < 0) {
		fprintf(stderr, "decomp: %s: %s\n", path, vg_stream_error(s));
		vg_stream_close(s);
		free(buf);
		return 1;
	}
	fprintf(stderr, "%s %s: %llu bytes in %.3f s = %.1f MB/s\n",
	        vg_compression_name(vg_stream_compression(s)), path,
	        (unsigned long long)total, dt, dt > 0 ? total / dt / 1e6 : 0.0);
	vg_stream_close(s);
	if (out != NULL && out != stdout)
		fclose(out);
	free(buf);
	return 0;
}
