/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Address space to country, and AS number to country and name: the map the
 * outage observatory uses to turn visible prefixes into per-country counts
 * of /24 (IPv4) and /48 (IPv6) units.  A struct geo_db is filled from any
 * mix of RIR extended delegation files, "first,last,CC" CSV ranges, MaxMind
 * DB files and an AS-names JSON object, then frozen by geo_db_finish() into
 * one sorted, gap-free interval array per address family (and one for AS
 * numbers) that every lookup binary-searches.  Overlaps are resolved once,
 * at finish: within one file a later line overrides an earlier one (the
 * way MaxMind DB writers read range lists; the @ip-location-db CSVs rely on
 * it); between files the most specific range (fewest addresses) wins, and
 * of equal sizes the one loaded last.  IPv4 is kept to the address, IPv6 to
 * the /64 (only the top 64 bits are stored, finer than the /48 counting
 * unit), a /64 taking the country of its first address.  Loaders skip and
 * count bad lines instead of failing a file; only a missing or unreadable
 * file, a file that is not of the expected kind at all, or lack of memory
 * makes them return -1.  Nothing here prints or exits.  A finished database
 * is read-only and may be shared by threads without locking.
 */
#ifndef VIGIL_GEO_H
#define VIGIL_GEO_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/addr.h"

/* A country code: the two upper-case ASCII letters packed as ('K'<<8)|'P'.
 * 0 means unknown.  Values sort alphabetically. */
typedef uint16_t geo_cc;

#define GEO_CC(a, b) ((geo_cc)(((unsigned)(a) << 8) | (unsigned)(b)))

/* Units of address space: an IPv4 unit is a /24 (index = address >> 8), an
 * IPv6 unit is a /48 (index = the top 48 bits of the address). */
#define GEO_UNIT_BITS_IP4 24
#define GEO_UNIT_BITS_IP6 48

struct geo_db;

/* The code of S if S is exactly two upper-case ASCII letters, else 0.
 * "ZZ" (used by several databases for "unknown") also gives 0.  Lower case
 * is refused on purpose: asnames.json writes "na" for "not available", which
 * must not become Namibia. */
geo_cc geo_cc_from_str(const char *s);

/* Write the two letters of CC and a NUL into OUT; "" for 0. */
void geo_cc_str(geo_cc cc, char out[3]);

/* English short name of CC ("North Korea", "Germany"), from ISO 3166-1 as
 * shipped in Debian's iso-codes plus the RIR codes EU, AP, UK and XK; NULL
 * if the code is not in the table.  Static storage. */
const char *geo_country_name(geo_cc cc);

/* An empty database, or NULL if out of memory.  Free with geo_db_free(). */
struct geo_db *geo_db_new(void);
void geo_db_free(struct geo_db *db);

/*
 * Loaders.  Each reads PATH (plain or gzip-compressed, except MMDB which must
 * be plain) and adds its ranges to DB, which must not be finished yet.  They
 * return 0 when the file was read, even if some lines were bad: bad lines
 * are skipped and counted (see geo_db_warnings()).  They return -1, with a
 * one-line message "PATH: what" in ERR (ERRLEN bytes, may be 0), when the
 * file cannot be opened or read, is not of the expected format, memory runs
 * out, or DB is already finished; DB is then unchanged.
 *
 * geo_load_rir: RIR extended delegation statistics ("registry|cc|type|start|
 *   value|date|status|..."): ipv4 records give a start and an address count
 *   (any count, not only powers of two), ipv6 records a start and a prefix
 *   length, asn records a first AS and a count, all with the country.  Only
 *   status allocated and assigned is used; reserved and available records,
 *   country "ZZ", IPv6 records smaller than a /64 that do not start one,
 *   the version line, summary lines, comments and blank lines are skipped
 *   without a warning.
 * geo_load_csv: lines "first,last,CC" (fields may be double-quoted; extra
 *   fields ignored), addresses as IPv4 or IPv6 text or as decimal integers
 *   (the "-num" files of @ip-location-db; a decimal value above 2^32-1 means
 *   IPv6).  IPv4 and IPv6 may be mixed in one file, ranges need not be
 *   CIDR blocks, and a later line overrides an earlier one it overlaps.  An
 *   IPv6 range that starts inside a /64 leaves that /64 to the range
 *   before it.  Country "ZZ" or empty means unknown: the line is skipped
 *   without a warning.  A first line that does not start with an address is
 *   taken as a header.
 * geo_load_mmdb: a MaxMind DB file (IPv4 or IPv6 tree), read through
 *   libmaxminddb.  The country is taken from "country_code" (ip-location-db),
 *   else "country"/"iso_code" (GeoLite2/GeoIP2 Country), else
 *   "registered_country"/"iso_code".  The IPv4 subtree of an IPv6 tree
 *   (::/96) is loaded as IPv4; its aliases (::ffff:0:0/96, 2002::/16) are
 *   not loaded.  Adjacent networks of the same country are merged into one
 *   range first, so an MMDB and the CSV of the same data rank the same
 *   against other files (and give the same map: checked on
 *   geo-whois-asn-country).  Networks without a country are skipped; a file
 *   with no country at all is refused.
 * geo_load_asnames: a JSON object {"ASN": "NAME, CC", ...} such as pyasn's
 *   asnames.json (keys may carry an "AS" prefix).  Sets the AS name and, if
 *   the value ends in ", CC", the AS country (as a one-AS range, so it wins
 *   over an RIR asn block and ties with an RIR one-AS record by load order).
 * geo_load: looks at the content and calls one of the above: an MMDB
 *   metadata marker, a JSON object, '|'-separated or ','-separated lines.
 */
int geo_load_rir(struct geo_db *db, const char *path, char *err,
                 size_t errlen);
int geo_load_csv(struct geo_db *db, const char *path, char *err,
                 size_t errlen);
int geo_load_mmdb(struct geo_db *db, const char *path, char *err,
                  size_t errlen);
int geo_load_asnames(struct geo_db *db, const char *path, char *err,
                     size_t errlen);
int geo_load(struct geo_db *db, const char *path, char *err, size_t errlen);

/* Number of bad lines or entries skipped by all loads so far; if FIRST is
 * not NULL it receives the description of the first one ("PATH:LINE: what")
 * or NULL if there was none (valid until geo_db_free()). */
unsigned long geo_db_warnings(const struct geo_db *db, const char **first);

/* Resolve the overlaps and build the lookup arrays; frees the loaders'
 * intermediate data.  Call after the last load (a finished database takes
 * no more loads; finishing it again does nothing); lookups on a database
 * that is not finished find nothing.  Returns 0, or -1 if out of memory
 * (DB is then still unfinished and can be freed). */
int geo_db_finish(struct geo_db *db);

/* Country of address A (IPv6 resolved to its /64), 0 if unknown or if A is
 * neither IPv4 nor IPv6. */
geo_cc geo_lookup(const struct geo_db *db, const struct vg_addr *a);

/*
 * Split prefix P into runs of consecutive units of one country and call
 * FN(CTX, cc, first_unit, n_units) for each, in address order; the runs
 * cover P exactly, unknown space included (cc 0), and two consecutive runs
 * never have the same country.  A unit belongs to the country of its first
 * address: a /24 that the data splits between two countries at a finer
 * level counts for the country of its .0 address.  A prefix longer than the
 * unit is the one unit that contains it (a /25 is one /24).  Host bits of P
 * are ignored.  Returns 0, or -1 (without calling FN) if P's family or
 * length is invalid.  An IPv4 /0 gives 2^24 units, an IPv6 /0 2^48.
 */
typedef void (*geo_units_fn)(void *ctx, geo_cc cc, uint64_t first_unit,
                             uint64_t n_units);
int geo_prefix_units(const struct geo_db *db, const struct vg_prefix *p,
                     geo_units_fn fn, void *ctx);

/* Country of AS number ASN (from RIR asn records and asnames), 0 if
 * unknown. */
geo_cc geo_asn_country(const struct geo_db *db, uint32_t asn);

/* Name of AS number ASN from asnames ("STAR-KP Ryugyong-dong"), without
 * the trailing ", CC"; NULL if unknown.  Valid until geo_db_free(). */
const char *geo_asn_name(const struct geo_db *db, uint32_t asn);

/* Bytes of heap DB holds now (the struct, intermediate data before finish,
 * lookup arrays and AS names after), for vigil's memory report. */
size_t geo_db_memory(const struct geo_db *db);

#endif
