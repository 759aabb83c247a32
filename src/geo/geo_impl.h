/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside the geo module: the database layout shared by the loaders (rir.c,
 * csv.c, mmdb.c, asnames.c) and the resolver and lookups (db.c).  Loaders
 * only append raw ranges and names through the helpers below; every range
 * is a pair of inclusive 64-bit keys (the IPv4 address, the top 64 bits of
 * an IPv6 address, or an AS number) so one resolver serves all three
 * spaces.
 */
#ifndef VIGIL_GEO_IMPL_H
#define VIGIL_GEO_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/geo.h"

enum geo_space {
	GEO_SPACE_IP4 = 0,
	GEO_SPACE_IP6 = 1,
	GEO_SPACE_ASN = 2,
	GEO_NSPACE = 3,
};

/* One source range before resolution.  LOAD numbers the load (file) it
 * came from, counting up; within a load, ranges stay in file order. */
struct geo_raw {
	uint64_t first, last; /* inclusive keys */
	uint32_t load;
	geo_cc cc;
};

struct geo_rawvec {
	struct geo_raw *v;
	size_t n, cap;
};

/* Resolved map: START[0] == 0, strictly increasing; interval i covers
 * [start[i], start[i+1]) with country CC[i] (0 for gaps); the last interval
 * runs to the end of the key space. */
struct geo_map {
	uint64_t *start;
	geo_cc *cc;
	size_t n;
};

struct geo_asname {
	uint32_t asn;
	uint32_t seq;
	uint32_t off; /* into the name pool */
};

struct geo_db {
	struct geo_rawvec raw[GEO_NSPACE];
	struct geo_map map[GEO_NSPACE];
	uint32_t load; /* current load number */
	uint32_t seq;  /* order of names */
	int finished;

	struct geo_asname *names;
	size_t n_names, cap_names;
	char *pool;
	size_t pool_len, pool_cap;

	unsigned long warnings;
	char first_warning[256];
};

/* Where a load started, to undo it if it fails. */
struct geo_mark {
	size_t raw_n[GEO_NSPACE];
	size_t n_names, pool_len;
	uint32_t load, seq;
	unsigned long warnings;
	int had_warning;
};

/* Start a load: note where it starts in M and give it the next load
 * number.  Undo everything it added with geo_mark_rollback(). */
void geo_load_begin(struct geo_db *db, struct geo_mark *m);
void geo_mark_rollback(struct geo_db *db, const struct geo_mark *m);

/* Append a range [FIRST, LAST] of SPACE with country CC.  0 / -1 (ENOMEM). */
int geo_add_range(struct geo_db *db, enum geo_space space, uint64_t first,
                  uint64_t last, geo_cc cc);

/* Append a name (LEN bytes, need not be NUL-terminated) for ASN. 0 / -1. */
int geo_add_name(struct geo_db *db, uint32_t asn, const char *name,
                 size_t len);

/* Count a skipped line; the first one's text is kept. */
void geo_warn(struct geo_db *db, const char *path, unsigned long line,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* snprintf into ERR if ERRLEN > 0. */
void geo_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* geo_cc_from_str on a counted string. */
geo_cc geo_cc_from_mem(const char *s, size_t len);

/* Whole file PATH (gzip or plain) into a NUL-terminated heap buffer.
 * 0 / -1 with ERR set. */
int geo_slurp(const char *path, char **buf, size_t *len, char *err,
              size_t errlen);

/* Next line of [*P, END): sets *LINE and *LEN (without "\n" or "\r\n") and
 * advances *P; 0 at the end. */
int geo_next_line(const char **p, const char *end, const char **line,
                  size_t *len);

/* Parsers on counted strings (no surrounding blanks). 0 / -1. */
/* A field of a delimited text line, borrowed from the line. */
struct geo_field {
	const char *s;
	size_t len;
};

/*
 * Split LINE (LEN bytes) at SEP into at most MAXF fields (the rest of the
 * line is ignored), trimming blanks; with UNQUOTE, one pair of
 * surrounding double quotes is removed too.  Returns the number of
 * fields.
 */
int geo_split(const char *line, size_t len, char sep, struct geo_field *f,
              int maxf, int unquote);

int geo_parse_u64(const char *s, size_t len, uint64_t *v);
int geo_parse_ip4(const char *s, size_t len, uint32_t *v);
int geo_parse_ip6(const char *s, size_t len, uint8_t out[16]);

/* The 8 bytes at A as a big-endian number: the key of an IPv6 address
 * (its top 64 bits), or, at A + 8, its lower half. */
uint64_t geo_ip6_key(const uint8_t *a);

/* Loaders on a buffer already in memory (PATH only for messages). */
int geo_rir_buf(struct geo_db *db, const char *path, const char *buf,
                size_t len, char *err, size_t errlen);
int geo_csv_buf(struct geo_db *db, const char *path, const char *buf,
                size_t len, char *err, size_t errlen);
int geo_asnames_buf(struct geo_db *db, const char *path, const char *buf,
                    size_t len, char *err, size_t errlen);

#endif
