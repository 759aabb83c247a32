/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for partial-count files (docs/partials.md): the bytes
 * are read as a whole partial file (magic, header, records) and every
 * record is fed to an observatory in merge mode, as `vigil replay --merge`
 * does; then the first byte picks a record type and the rest is decoded
 * as its payload alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/obs.h"
#include "vigil/partial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct vgp_hdr h;
	struct vgp_rec r;

	if (size == 0)
		return 0;
	FILE *f = fmemopen((void *)data, size, "rb");
	if (f) {
		struct vgp_reader *rd = vgp_reader_new(f, "fuzz", &h, err, sizeof(err));
		if (rd) {
			struct obs_opts o;
			obs_opts_default(&o);
			struct obs *ob = obs_new(&o, NULL, NULL);
			if (ob && obs_set_merge(ob, 1) == 0) {
				int started = 0;
				while (vgp_next(rd, &r) > 0) {
					if (r.type == VGP_BIN) {
						if (obs_merge_bin(ob, r.bin_start) < 0)
							break;
						started = 1;
					} else if (started &&
					           obs_merge_rec(ob, 0, &r) == -1) {
						break;
					}
				}
				obs_finish(ob);
			}
			obs_free(ob);
			vgp_reader_free(rd);
		}
		fclose(f);
	}
	vgp_decode(data[0], data + 1, size - 1, &r, err, sizeof(err));
	return 0;
}
