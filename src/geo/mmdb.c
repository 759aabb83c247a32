/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loader for MaxMind DB files (GeoLite2/GeoIP2 Country, @ip-location-db's
 * *-mmdb packages) through libmaxminddb.  Rather than look addresses up in
 * the file one by one, it walks the whole search tree once, depth first and
 * so in address order, and turns every data record into a range of the
 * database; runs of adjacent networks with the same country become one
 * range.  In an IPv6 tree the IPv4 space is the subtree at ::/96, which
 * MaxMind's writer also links in at ::ffff:0:0/96 and 2002::/16: the walk
 * loads it once, as IPv4, and skips the links.  Build with
 * -DVIGIL_NO_MAXMINDDB to leave libmaxminddb out; geo_load_mmdb() then
 * fails with a message saying so.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_impl.h"

#ifdef VIGIL_NO_MAXMINDDB

int
geo_load_mmdb(struct geo_db *db, const char *path, char *err, size_t errlen)
{
	(void)db;
	geo_err(err, errlen, "%s: vigil was built without libmaxminddb",
	        path);
	return -1;
}

#else

#include <maxminddb.h>

#define CC_CACHE 4096 /* distinct data records remembered (power of 2) */

struct walk {
	struct geo_db *db;
	MMDB_s *mmdb;
	uint32_t node_count;
	uint32_t v4_start; /* node at ::/96 in an IPv6 tree, or UINT32_MAX */

	/* the range being grown, not yet added */
	int have;
	enum geo_space space;
	uint64_t first, last;
	geo_cc cc;

	unsigned long with_cc, without_cc;
	uint64_t visits, max_visits;
	int failed; /* 1 corrupt tree, 2 out of memory, 3 too many visits */

	uint32_t cache_off[CC_CACHE]; /* data offset + 1; 0 = free */
	geo_cc cache_cc[CC_CACHE];
};

static geo_cc
str_cc(MMDB_entry_s *e, const char *k1, const char *k2)
{
	MMDB_entry_data_s d;
	int rc = k2 ? MMDB_get_value(e, &d, k1, k2, NULL)
	            : MMDB_get_value(e, &d, k1, NULL);
	if (rc != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return 0;
	return geo_cc_from_mem(d.utf8_string, d.data_size);
}

/* Country of a data record: ip-location-db, then GeoIP2 Country keys. */
static geo_cc
record_cc(MMDB_entry_s *e)
{
	geo_cc cc = str_cc(e, "country_code", NULL);
	if (!cc)
		cc = str_cc(e, "country", "iso_code");
	if (!cc)
		cc = str_cc(e, "registered_country", "iso_code");
	return cc;
}

/* record_cc() through a small cache: a country database has a few hundred
 * distinct data records shared by a million tree leaves. */
static geo_cc
entry_cc(struct walk *w, MMDB_entry_s *e)
{
	uint32_t h = (e->offset * 2654435761u) & (CC_CACHE - 1);
	for (unsigned probe = 0; probe < 8; probe++) {
		uint32_t s = (h + probe) & (CC_CACHE - 1);
		if (w->cache_off[s] == e->offset + 1)
			return w->cache_cc[s];
		if (w->cache_off[s] == 0) {
			w->cache_off[s] = e->offset + 1;
			w->cache_cc[s] = record_cc(e);
			return w->cache_cc[s];
		}
	}
	return record_cc(e);
}

static void
flush(struct walk *w)
{
	if (w->have && !w->failed &&
	    geo_add_range(w->db, w->space, w->first, w->last, w->cc) < 0)
		w->failed = 2;
	w->have = 0;
}

/* A data record for keys [FIRST, LAST] of SPACE. */
static void
emit(struct walk *w, enum geo_space space, uint64_t first, uint64_t last,
     geo_cc cc)
{
	if (!cc) {
		w->without_cc++;
		return;
	}
	w->with_cc++;
	if (w->have && w->space == space) {
		if (cc == w->cc && first == w->last + 1) {
			w->last = last;
			return;
		}
	}
	flush(w);
	w->have = 1;
	w->space = space;
	w->first = first;
	w->last = last;
	w->cc = cc;
}

/* A data record with country CC for the network HI:LO/D (LO/D when BITS is
 * 32); V4ROOT if the network is ::/96, the whole IPv4 space. */
static void
data_record(struct walk *w, geo_cc cc, unsigned d, unsigned bits,
            uint64_t hi, uint64_t lo, int v4root)
{
	if (bits == 32) {
		uint64_t last = lo | ((((uint64_t)1) << (32 - d)) - 1);
		emit(w, GEO_SPACE_IP4, lo, last, cc);
	} else if (v4root) {
		emit(w, GEO_SPACE_IP4, 0, 0xffffffffu, cc);
	} else if (lo == 0) {
		/* a network smaller than a /64 counts only if it holds the
		 * /64's first address: a /64 takes the country of its first
		 * address */
		uint64_t last = hi;
		if (d < 64)
			last |= (((uint64_t)1) << (64 - d)) - 1;
		emit(w, GEO_SPACE_IP6, hi, last, cc);
	}
}

/* Walk the subtree of NODE at DEPTH whose prefix is HI:LO (v6) or LO (v4,
 * BITS == 32). */
static void
walk_node(struct walk *w, uint32_t node, unsigned depth, unsigned bits,
          uint64_t hi, uint64_t lo)
{
	MMDB_search_node_s sn;

	if (w->failed)
		return;
	/* A tree visits each node once (the IPv4 aliases are skipped); a
	 * file whose nodes are shared over and over would walk for ever. */
	if (++w->visits > w->max_visits) {
		w->failed = 3;
		return;
	}
	if (depth >= bits ||
	    MMDB_read_node(w->mmdb, node, &sn) != MMDB_SUCCESS) {
		w->failed = 1;
		return;
	}
	for (unsigned b = 0; b < 2 && !w->failed; b++) {
		unsigned d = depth + 1; /* length of the child's prefix */
		uint64_t chi = hi, clo = lo;
		if (b) {
			unsigned bit = bits - 1 - depth; /* from the right */
			if (bit >= 64)
				chi |= (uint64_t)1 << (bit - 64);
			else
				clo |= (uint64_t)1 << bit;
		}
		uint64_t rec = b ? sn.right_record : sn.left_record;
		uint8_t type = b ? sn.right_record_type : sn.left_record_type;
		MMDB_entry_s *ent = b ? &sn.right_record_entry
		                      : &sn.left_record_entry;
		int v4root = bits == 128 && d == 96 && chi == 0 && clo == 0;

		switch (type) {
		case MMDB_RECORD_TYPE_SEARCH_NODE:
			if (bits == 128 && rec == w->v4_start) {
				/* an alias of the IPv4 subtree is skipped */
				if (v4root)
					walk_node(w, w->v4_start, 0, 32, 0, 0);
				break;
			}
			walk_node(w, (uint32_t)rec, d, bits, chi, clo);
			break;
		case MMDB_RECORD_TYPE_DATA:
			data_record(w, entry_cc(w, ent), d, bits, chi, clo,
			            v4root);
			break;
		case MMDB_RECORD_TYPE_EMPTY:
			break;
		default:
			w->failed = 1;
			break;
		}
	}
}

int
geo_load_mmdb(struct geo_db *db, const char *path, char *err, size_t errlen)
{
	MMDB_s mmdb;
	struct geo_mark mark;
	struct walk *w;
	int rc;

	if (db->finished) {
		geo_err(err, errlen, "%s: database already finished", path);
		return -1;
	}
	errno = 0;
	rc = MMDB_open(path, MMDB_MODE_MMAP, &mmdb);
	if (rc != MMDB_SUCCESS) {
		geo_err(err, errlen, "%s: %s", path,
		        rc == MMDB_FILE_OPEN_ERROR && errno ? strerror(errno)
		                                          : MMDB_strerror(rc));
		return -1;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		MMDB_close(&mmdb);
		geo_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	w->db = db;
	w->mmdb = &mmdb;
	w->node_count = mmdb.metadata.node_count;
	w->v4_start = UINT32_MAX;
	w->max_visits = 16 * (uint64_t)w->node_count + 1024;

	geo_load_begin(db, &mark);
	if (mmdb.metadata.ip_version == 6) {
		/* follow 96 zero bits from the root to the IPv4 subtree */
		uint32_t node = 0;
		unsigned i;
		for (i = 0; i < 96 && node < w->node_count; i++) {
			MMDB_search_node_s sn;
			if (MMDB_read_node(&mmdb, node, &sn) != MMDB_SUCCESS ||
			    sn.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE)
				break;
			node = (uint32_t)sn.left_record;
		}
		if (i == 96)
			w->v4_start = node;
		walk_node(w, 0, 0, 128, 0, 0);
	} else if (mmdb.metadata.ip_version == 4) {
		walk_node(w, 0, 0, 32, 0, 0);
	} else {
		w->failed = 1;
	}
	flush(w);

	rc = 0;
	if (w->failed) {
		geo_mark_rollback(db, &mark);
		geo_err(err, errlen, "%s: %s", path,
		        w->failed == 2   ? "out of memory"
		        : w->failed == 3 ? "MaxMind DB search tree shares "
		                           "nodes too often to walk"
		                         : "corrupt MaxMind DB search tree");
		rc = -1;
	} else if (w->without_cc && !w->with_cc) {
		geo_mark_rollback(db, &mark);
		geo_err(err, errlen,
		        "%s: no country in this MaxMind DB (looked for "
		        "country_code, country/iso_code, "
		        "registered_country/iso_code)",
		        path);
		rc = -1;
	}
	free(w);
	MMDB_close(&mmdb);
	return rc;
}

#endif
