/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the geography loaders: the first byte picks the
 * RIR delegation, CSV or asnames parser, the rest is the file content; a
 * second CSV load of the same bytes exercises the cross-file resolution,
 * then lookups over a few prefixes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sink(void *c, geo_cc cc, uint64_t f, uint64_t n)
{
	(void)c;
	(void)cc;
	(void)f;
	(void)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	char *buf;
	struct geo_db *db;
	struct vg_prefix p = {.afi = VG_AFI_IP4, .len = 8};

	if (size < 1)
		return 0;
	buf = malloc(size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = 0;
	db = geo_db_new();
	switch (data[0] % 3) {
	case 0:
		geo_rir_buf(db, "x", buf, size - 1, err, sizeof err);
		break;
	case 1:
		geo_csv_buf(db, "x", buf, size - 1, err, sizeof err);
		break;
	default:
		geo_asnames_buf(db, "x", buf, size - 1, err, sizeof err);
		break;
	}
	geo_csv_buf(db, "y", buf, size - 1, err, sizeof err);
	geo_db_finish(db);
	for (int i = 0; i < 4; i++) {
		p.addr[0] = (uint8_t)(i * 60);
		geo_prefix_units(db, &p, sink, NULL);
	}
	p.afi = VG_AFI_IP6;
	p.len = 16;
	memset(p.addr, 0, 16);
	p.addr[0] = 0x20;
	p.addr[1] = 1;
	geo_prefix_units(db, &p, sink, NULL);
	geo_asn_name(db, 1);
	geo_asn_country(db, 1);
	geo_db_free(db);
	free(buf);
	return 0;
}
