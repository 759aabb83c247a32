/* SPDX-License-Identifier: BSD-2-Clause */
/* `vigil dump` of BMP streams (src/cli/dump_bmp.c). */
#ifndef VIGIL_CLI_DUMP_BMP_H
#define VIGIL_CLI_DUMP_BMP_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/filter.h"
#include "vigil/fmt.h"
#include "vigil/stream.h"

struct dump_bmp_ctx {
	int json, parse_only, summary, quiet;
	unsigned long max_problems, shown, suppressed;
	const struct vg_filter *filter; /* NULL: print everything */
	struct fmt_bgpdump *fb;
	const struct fmt_json *fj;
	struct vg_obuf *out;
};

/* Does P[0..N) start like a BMP v3 stream? */
int dump_bmp_looks_like(const uint8_t *p, size_t n);

/* Decode the BMP stream ST (PRE[0..NPRE) already read from it) and print
 * it.  Returns EXIT_CLEAN, EXIT_PROBLEMS or EXIT_USAGE. */
int dump_bmp_stream(struct dump_bmp_ctx *ctx, vg_stream *st, const char *path,
                    const void *pre, size_t npre);

#endif
