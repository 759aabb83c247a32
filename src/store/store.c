/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vigil database on SQLite (include/vigil/store.h; the schema is
 * schema.sql).  One handle is one connection, used by one thread at a time.
 * The file is in WAL mode with synchronous=NORMAL, so `vigil serve` and the
 * query commands read committed data while a replay writes, and a writer
 * pays one fsync per checkpoint rather than per commit.  Every statement is
 * prepared once and kept in the handle; the event query, whose WHERE clause
 * depends on the filters given, keeps one prepared statement per filter
 * shape so SQLite can use the right index for each.  Entity texts map to
 * row ids through an in-memory hash table: a replay writes every entity's
 * signal every bin and must not look each one up in SQL.  The hourly
 * keyframe-only rows go into table keyframes, 64 entities to a blob
 * (keyframe.c); the signal readers merge the two tables.  Callbacks may
 * call back into the store: a statement still being stepped is never
 * reused; a temporary one is prepared instead.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_impl.h"
#include "vigil/store.h"

/* Address space a read-only connection maps of the file (1 GiB). */
#define STORE_MMAP_BYTES "1073741824"

/* How long a connection waits for another one's lock (ms). */
#define STORE_BUSY_MS 10000

enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_META_SET,
	ST_META_GET,
	ST_PEER_PUT,
	ST_ENT_FIND,
	ST_ENT_INSERT,
	ST_ENT_SET_NAME,
	ST_ENT_NAME,
	ST_ENT_QUERY,
	ST_UPSTREAMS,
	ST_BIN_PUT,
	ST_SIG_PUT,
	ST_SIG_PUT_MANY,
	ST_SIG_RANGE,
	ST_SIG_AT,
	ST_TIME_RANGE,
	ST_TIME_RANGE_SCAN,
	ST_EV_PUT,
	ST_EV_GET,
	ST_EVID_DEL,
	ST_EVID_PUT,
	ST_EVID_GET,
	ST_ENT_QUERY_KIND,
	ST_DATA_VERSION,
	ST_SIG_BETWEEN,
	ST_BEGIN_READ,
	ST_BIN_HAS,
	ST_SIG_DEL,
	ST_KF_PUT,
	ST_KF_GET,
	ST_KF_DEL,
	ST_KF_RANGE,
	ST_KF_BACK,
	ST_KF_EXISTS,
	ST_CH_PUT,
	ST_CH_GET,
	ST_CH_DEL,
	ST_CH_RANGE,
	ST_CH_BACK,
	ST_FIXED_N,
};

/* Columns of an event row, shared by ST_EV_GET and the event queries. */
#define EVENT_COLS                                                          \
	"e.id, n.kind, n.cc, n.asn, e.kind, e.level, e.start, e.\"end\", "  \
	"e.depth, e.severity, e.baseline, e.bottom, e.n_evidence_total, "   \
	"(SELECT count(*) FROM evidence v WHERE v.event_id = e.id) "        \
	"FROM events e JOIN entities n ON n.id = e.entity_id "

#define SIGNAL_COLS                                                         \
	"bin_start, bin_len, v4_units, v6_units, prefixes, origins, "       \
	"announcements, withdrawals, path_changes, flaps, peers_up, "       \
	"baseline, inst_score "

#define SIGNAL_COLS_S                                                       \
	"s.bin_start, s.bin_len, s.v4_units, s.v6_units, s.prefixes, "      \
	"s.origins, s.announcements, s.withdrawals, s.path_changes, "       \
	"s.flaps, s.peers_up, s.baseline, s.inst_score "

/* The signal rows one ST_SIG_PUT_MANY writes, and its VALUES list. */
#define SIG_BATCH 32
#define SIG_ROW "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
#define SIG_ROWS4 SIG_ROW "," SIG_ROW "," SIG_ROW "," SIG_ROW
#define SIG_ROWS16 SIG_ROWS4 "," SIG_ROWS4 "," SIG_ROWS4 "," SIG_ROWS4
#define SIG_ROWS32 SIG_ROWS16 "," SIG_ROWS16
#define SIG_NCOLS 14

static const char *const fixed_sql[ST_FIXED_N] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT store_op",
    [ST_RELEASE] = "RELEASE store_op",
    [ST_ROLLBACK_TO] = "ROLLBACK TO store_op",
    [ST_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_PEER_PUT] =
        "INSERT INTO peers (collector, addr, asn, v4_routes, v6_routes, "
        "full_v4, full_v6, up, last_change) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (collector, addr, asn) DO UPDATE SET "
        "v4_routes = excluded.v4_routes, v6_routes = excluded.v6_routes, "
        "full_v4 = excluded.full_v4, full_v6 = excluded.full_v6, "
        "up = excluded.up, last_change = excluded.last_change",
    [ST_ENT_FIND] = "SELECT id FROM entities WHERE text = ?1",
    /* (a text already there: no change, then ST_ENT_FIND) */
    [ST_ENT_INSERT] = "INSERT INTO entities (kind, cc, asn, text, name) "
                      "VALUES (?1, ?2, ?3, ?4, ?5) "
                      "ON CONFLICT (text) DO NOTHING",
    [ST_ENT_SET_NAME] = "UPDATE entities SET name = ?2 WHERE id = ?1 "
                        "AND name IS NOT ?2",
    [ST_ENT_NAME] = "SELECT name FROM entities WHERE text = ?1",
    [ST_ENT_QUERY] = "SELECT kind, cc, asn, name FROM entities "
                     "WHERE ?1 IS NULL OR text LIKE ?1 ESCAPE '\\' "
                     "OR name LIKE ?1 ESCAPE '\\' "
                     "ORDER BY kind, cc, asn LIMIT ?2",
    [ST_UPSTREAMS] = "SELECT kind, cc, asn, name FROM entities "
                     "WHERE cc = ?1 AND kind = 3 ORDER BY asn",
    [ST_BIN_PUT] = "INSERT OR REPLACE INTO bins (bin_start, bin_len) "
                   "VALUES (?1, ?2)",
    [ST_SIG_PUT] =
        "INSERT OR REPLACE INTO signals (entity_id, " SIGNAL_COLS ") "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
        "?14)",
    /* SIG_BATCH rows in one statement: the statement's own cost (step,
     * reset, the VDBE's start) was most of a row's */
    [ST_SIG_PUT_MANY] =
        "INSERT OR REPLACE INTO signals (entity_id, " SIGNAL_COLS ") "
        "VALUES " SIG_ROWS32,
    [ST_SIG_RANGE] = "SELECT " SIGNAL_COLS_S "FROM bins b CROSS JOIN signals s "
                     "ON s.bin_start = b.bin_start AND s.entity_id = ?1 "
                     "WHERE b.bin_start BETWEEN ?2 AND ?3 "
                     "ORDER BY b.bin_start",
    [ST_SIG_AT] = "SELECT " SIGNAL_COLS_S "FROM bins b CROSS JOIN signals s "
                  "ON s.bin_start = b.bin_start AND s.entity_id = ?1 "
                  "WHERE b.bin_start <= ?2 "
                  "ORDER BY b.bin_start DESC LIMIT 1",
    [ST_TIME_RANGE] = "SELECT min(bin_start), max(bin_start) FROM bins",
    [ST_TIME_RANGE_SCAN] =
        "SELECT min(bin_start), max(bin_start) FROM signals",
    [ST_EV_PUT] =
        "INSERT INTO events (id, entity_id, kind, level, start, \"end\", "
        "depth, severity, baseline, bottom, n_evidence_total) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
        "ON CONFLICT (id) DO UPDATE SET entity_id = excluded.entity_id, "
        "kind = excluded.kind, level = excluded.level, "
        "start = excluded.start, \"end\" = excluded.\"end\", "
        "depth = excluded.depth, severity = excluded.severity, "
        "baseline = excluded.baseline, bottom = excluded.bottom, "
        "n_evidence_total = excluded.n_evidence_total",
    [ST_EV_GET] = "SELECT " EVENT_COLS "WHERE e.id = ?1",
    [ST_EVID_DEL] = "DELETE FROM evidence WHERE event_id = ?1",
    [ST_EVID_PUT] = "INSERT INTO evidence (event_id, seq, what, text, asn, "
                    "upstream, path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_EVID_GET] = "SELECT what, text, asn, upstream, path FROM evidence "
                    "WHERE event_id = ?1 ORDER BY seq",
    [ST_ENT_QUERY_KIND] = "SELECT kind, cc, asn, name FROM entities "
                          "WHERE kind = ?3 AND (?1 IS NULL "
                          "OR text LIKE ?1 ESCAPE '\\' "
                          "OR name LIKE ?1 ESCAPE '\\') "
                          "ORDER BY kind, cc, asn LIMIT ?2",
    [ST_BEGIN_READ] = "BEGIN DEFERRED",
    [ST_DATA_VERSION] = "PRAGMA data_version",
    [ST_SIG_BETWEEN] = "SELECT " SIGNAL_COLS_S "FROM bins b CROSS JOIN "
                       "signals s ON s.bin_start = b.bin_start AND "
                       "s.entity_id = ?1 "
                       "WHERE b.bin_start BETWEEN ?3 AND ?2 "
                       "ORDER BY b.bin_start DESC LIMIT 1",
    [ST_BIN_HAS] = "SELECT 1 FROM bins WHERE bin_start = ?1",
    [ST_SIG_DEL] = "DELETE FROM signals WHERE bin_start = ?1 AND "
                   "entity_id = ?2",
    /* the keyframes statements are prepared only when the table exists
     * (a version 1 database opened read-only may lack it) */
    [ST_KF_PUT] = "INSERT OR REPLACE INTO keyframes (first_id, bin_start, "
                  "bin_len, data) VALUES (?1, ?2, ?3, ?4)",
    [ST_KF_GET] = "SELECT bin_len, data FROM keyframes WHERE first_id = ?1 "
                  "AND bin_start = ?2",
    [ST_KF_DEL] = "DELETE FROM keyframes WHERE first_id = ?1 AND "
                  "bin_start = ?2",
    [ST_KF_RANGE] = "SELECT bin_start, bin_len, data FROM keyframes "
                    "WHERE first_id = ?1 AND bin_start BETWEEN ?2 AND ?3 "
                    "ORDER BY bin_start",
    [ST_KF_BACK] = "SELECT bin_start, bin_len, data FROM keyframes "
                   "WHERE first_id = ?1 AND bin_start BETWEEN ?3 AND ?2 "
                   "ORDER BY bin_start DESC",
    [ST_KF_EXISTS] = "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                     "AND name = 'keyframes'",
    /* version 3: every row in signal_chunks, read through bins */
    [ST_CH_PUT] = "INSERT OR REPLACE INTO signal_chunks (bin_start, "
                  "first_id, bin_len, data) VALUES (?2, ?1, ?3, ?4)",
    [ST_CH_GET] = "SELECT bin_len, data FROM signal_chunks WHERE "
                  "bin_start = ?2 AND first_id = ?1",
    [ST_CH_DEL] = "DELETE FROM signal_chunks WHERE bin_start = ?2 AND "
                  "first_id = ?1",
    [ST_CH_RANGE] = "SELECT b.bin_start, c.bin_len, c.data FROM bins b "
                    "CROSS JOIN signal_chunks c ON c.bin_start = "
                    "b.bin_start AND c.first_id = ?1 "
                    "WHERE b.bin_start BETWEEN ?2 AND ?3 "
                    "ORDER BY b.bin_start",
    [ST_CH_BACK] = "SELECT b.bin_start, c.bin_len, c.data FROM bins b "
                   "CROSS JOIN signal_chunks c ON c.bin_start = "
                   "b.bin_start AND c.first_id = ?1 "
                   "WHERE b.bin_start BETWEEN ?3 AND ?2 "
                   "ORDER BY b.bin_start DESC",
};

/*
 * Event query shapes: which filters are present.  The entity filter is
 * none, exact (one entity id) or tree (a country and its upstreams).
 */
#define EVQ_KIND 0x01
#define EVQ_LEVEL 0x02
#define EVQ_SINCE 0x04
#define EVQ_UNTIL 0x08
#define EVQ_OPEN 0x10
#define EVQ_FLAGS 0x20 /* shapes per entity mode */
#define EVQ_ENT_EXACT 1
#define EVQ_ENT_TREE 2
#define EVQ_N (3 * EVQ_FLAGS)

/* Slots: the fixed statements, then the event queries by shape, then the
 * same shapes counting the matches (store_count_events). */
#define ST_N (ST_FIXED_N + 2 * EVQ_N)

struct stmt_slot {
	sqlite3_stmt *st;
	int busy; /* being stepped: a nested user prepares a temporary one */
};

/* Entity key -> row id, open addressing; key 0 marks an empty cell. */
struct ent_cell {
	uint64_t key;
	int64_t id;
};

struct vg_store {
	sqlite3 *db;
	int rdonly;
	struct stmt_slot stmt[ST_N];
	struct ent_cell *ents;
	size_t ents_cap, ents_n; /* cap is a power of two */
	int64_t last_bin;        /* last bin put in the bins table, or -1 */
	uint32_t last_bin_len;
	int64_t deadline_ns;     /* store_set_deadline: CLOCK_MONOTONIC, 0 none */
	unsigned deadline_ms;
	int progress_on;         /* the progress handler is installed */
	int timed_out;           /* the deadline interrupted a statement */
	struct sig_ord {         /* put_signals: rows in key order */
		int64_t bin, id;
		size_t i;
	} *ord;
	size_t cap_ord;
	uint32_t *slot;          /* put_signals: row + 1 by entity id */
	size_t cap_slot;
	int has_kf;              /* the keyframes table exists: read it */
	int kf_pack;             /* write keyframe-only rows to it */
	int chunks;              /* version 3: every row in signal_chunks */
	struct kf_acc {          /* put_signals: the blob being filled */
		int active, loaded, dirty;
		int64_t first_id;
		uint32_t bin, bin_len;
		size_t n;
		int64_t ids[STORE_KF_CHUNK];
		struct vg_signal sig[STORE_KF_CHUNK];
		uint8_t buf[10 + STORE_KF_CHUNK * STORE_KF_ENTRY_MAX];
	} kf;
	char err[256];
};

static void
set_err(struct vg_store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_err(struct vg_store *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

/* Record the connection's last error with what we were doing. */
static int
db_fail(struct vg_store *s, const char *what)
{
	if (s->timed_out)
		set_err(s, "%s: the query took longer than %u ms", what,
		        s->deadline_ms);
	else
		set_err(s, "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

const char *
store_error(const struct vg_store *s)
{
	if (s == NULL)
		return "no database";
	return s->err[0] ? s->err : sqlite3_errmsg(s->db);
}

/* ---- prepared statements ---- */

static size_t
evq_sql(unsigned shape, int count, char *buf, size_t len)
{
	unsigned ent = shape / EVQ_FLAGS, fl = shape % EVQ_FLAGS;
	int n = count ? snprintf(buf, len,
	                         "SELECT count(*) FROM events e JOIN entities "
	                         "n ON n.id = e.entity_id WHERE 1")
	              : snprintf(buf, len, "SELECT " EVENT_COLS "WHERE 1");
	size_t off = n > 0 ? (size_t)n : 0;

#define ADD(txt)                                                            \
	do {                                                                \
		n = snprintf(buf + off, off < len ? len - off : 0, "%s", txt); \
		off += n > 0 ? (size_t)n : 0;                               \
	} while (0)
	if (ent == EVQ_ENT_EXACT)
		ADD(" AND e.entity_id = ?1");
	else if (ent == EVQ_ENT_TREE)
		ADD(" AND n.cc = ?1 AND n.kind IN (1, 3)");
	if (fl & EVQ_KIND)
		ADD(" AND e.kind = ?2");
	if (fl & EVQ_LEVEL)
		ADD(" AND e.level >= ?3");
	if (fl & EVQ_SINCE)
		ADD(" AND (e.\"end\" IS NULL OR e.\"end\" >= ?4)");
	if (fl & EVQ_UNTIL)
		ADD(" AND e.start <= ?5");
	if (fl & EVQ_OPEN)
		ADD(" AND e.\"end\" IS NULL");
	if (!count)
		ADD(" ORDER BY e.start DESC, e.id DESC LIMIT ?6 OFFSET ?7");
#undef ADD
	return off;
}

/*
 * The statement of slot I, reset and unbound, ready to bind; NULL on error.
 * If the cached one is being stepped (a callback calling back into the
 * store), a temporary statement is returned: stmt_put finalizes it.
 */
static sqlite3_stmt *
stmt_get(struct vg_store *s, int i)
{
	struct stmt_slot *sl = &s->stmt[i];
	sqlite3_stmt *st = NULL;
	char buf[1024];
	const char *sql = buf;

	if (sl->st && !sl->busy) {
		sl->busy = 1;
		return sl->st;
	}
	if (i < ST_FIXED_N)
		sql = fixed_sql[i];
	else if (i < ST_FIXED_N + EVQ_N)
		evq_sql((unsigned)(i - ST_FIXED_N), 0, buf, sizeof(buf));
	else
		evq_sql((unsigned)(i - ST_FIXED_N - EVQ_N), 1, buf, sizeof(buf));
	if (sqlite3_prepare_v3(s->db, sql, -1,
	                       sl->st ? 0 : SQLITE_PREPARE_PERSISTENT, &st,
	                       NULL) != SQLITE_OK) {
		db_fail(s, "preparing a statement");
		return NULL;
	}
	if (sl->st == NULL) {
		sl->st = st;
		sl->busy = 1;
	}
	return st;
}

/* Done with a statement from stmt_get (its results are no longer read). */
static void
stmt_put(struct vg_store *s, int i, sqlite3_stmt *st)
{
	struct stmt_slot *sl = &s->stmt[i];
	if (st == NULL)
		return;
	if (st == sl->st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sl->busy = 0;
	} else {
		sqlite3_finalize(st);
	}
}

/* Step ST (slot I, its parameters bound), a statement that returns no
 * rows, and give it back; a failure is reported as WHAT.  0 / -1. */
static int
step_done(struct vg_store *s, int i, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		db_fail(s, what);
	stmt_put(s, i, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Run a statement that returns no rows and takes no parameters.  0 / -1. */
static int
exec_stmt(struct vg_store *s, int i, const char *what)
{
	sqlite3_stmt *st = stmt_get(s, i);
	if (st == NULL)
		return -1;
	return step_done(s, i, st, what);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *t)
{
	sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
}

/* NaN is stored as NULL. */
static void
bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

static double
col_real(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NAN;
	return sqlite3_column_double(st, i);
}

static uint32_t
col_u32(sqlite3_stmt *st, int i)
{
	return (uint32_t)sqlite3_column_int64(st, i);
}

static void
col_str(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (len == 0)
		return;
	snprintf(buf, len, "%s", t ? (const char *)t : "");
}

/* ---- transactions ---- */

static void
ents_clear(struct vg_store *s)
{
	if (s->ents)
		memset(s->ents, 0, s->ents_cap * sizeof(*s->ents));
	s->ents_n = 0;
	s->last_bin = -1;
}

int
store_begin(struct vg_store *s)
{
	if (!sqlite3_get_autocommit(s->db)) {
		set_err(s, "store_begin: a transaction is already open");
		return -1;
	}
	return exec_stmt(s, ST_BEGIN, "begin");
}

int
store_begin_read(struct vg_store *s)
{
	if (!sqlite3_get_autocommit(s->db)) {
		set_err(s, "store_begin_read: a transaction is already open");
		return -1;
	}
	return exec_stmt(s, ST_BEGIN_READ, "begin");
}

int
store_commit(struct vg_store *s)
{
	if (sqlite3_get_autocommit(s->db)) {
		set_err(s, "store_commit: no transaction is open");
		return -1;
	}
	if (exec_stmt(s, ST_COMMIT, "commit") == 0)
		return 0;
	/* Whatever was written is gone: so are the ids of new entities. */
	if (!sqlite3_get_autocommit(s->db))
		exec_stmt(s, ST_ROLLBACK, "rollback");
	ents_clear(s);
	return -1;
}

/*
 * Make one store call atomic: a transaction of its own when none is open,
 * else a savepoint inside the caller's.  Returns the mode for op_end.
 */
static int
op_begin(struct vg_store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return exec_stmt(s, ST_BEGIN, "begin") == 0 ? 1 : -1;
	return exec_stmt(s, ST_SAVEPOINT, "savepoint") == 0 ? 2 : -1;
}

static int
op_end(struct vg_store *s, int mode, int ok)
{
	char keep[sizeof(s->err)];

	if (mode == 1 && ok)
		return store_commit(s);
	if (mode == 2 && ok)
		return exec_stmt(s, ST_RELEASE, "release");
	if (mode < 0)
		return -1;
	/* Undo, but keep the message of what failed. */
	memcpy(keep, s->err, sizeof(keep));
	if (mode == 1) {
		exec_stmt(s, ST_ROLLBACK, "rollback");
		ents_clear(s);
	} else {
		exec_stmt(s, ST_ROLLBACK_TO, "rollback to savepoint");
		exec_stmt(s, ST_RELEASE, "release");
		ents_clear(s);
	}
	memcpy(s->err, keep, sizeof(keep));
	return -1;
}

/* ---- entities ---- */

static uint64_t
ent_key(const struct vg_entity *e)
{
	return (uint64_t)e->kind << 48 | (uint64_t)(uint8_t)e->cc[0] << 40 |
	       (uint64_t)(uint8_t)e->cc[1] << 32 | e->asn;
}

static size_t
ent_hash(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k & (cap - 1);
}

static int
ents_grow(struct vg_store *s)
{
	size_t ncap = s->ents_cap ? s->ents_cap * 2 : 1024;
	struct ent_cell *n = calloc(ncap, sizeof(*n));
	if (n == NULL) {
		set_err(s, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < s->ents_cap; i++) {
		size_t h;
		if (s->ents[i].key == 0)
			continue;
		h = ent_hash(s->ents[i].key, ncap);
		while (n[h].key)
			h = (h + 1) & (ncap - 1);
		n[h] = s->ents[i];
	}
	free(s->ents);
	s->ents = n;
	s->ents_cap = ncap;
	return 0;
}

static void
ents_add(struct vg_store *s, uint64_t key, int64_t id)
{
	size_t h;
	if ((s->ents_n + 1) * 2 > s->ents_cap && ents_grow(s) < 0)
		return; /* only a cache: lookups go to SQL */
	h = ent_hash(key, s->ents_cap);
	while (s->ents[h].key && s->ents[h].key != key)
		h = (h + 1) & (s->ents_cap - 1);
	if (s->ents[h].key == 0)
		s->ents_n++;
	s->ents[h].key = key;
	s->ents[h].id = id;
}

static int
valid_entity(const struct vg_entity *e)
{
	return e->kind >= VG_ENT_COUNTRY && e->kind <= VG_ENT_UPSTREAM;
}

/* Add entity E (TEXT, named NAME) with its id in *ID: 2, or 0 if there is
 * one of that text already, -1 on error. */
static int
entity_insert(struct vg_store *s, const struct vg_entity *e,
              const char *text, const char *name, int64_t *id)
{
	sqlite3_stmt *st;
	if ((st = stmt_get(s, ST_ENT_INSERT)) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, e->kind);
	bind_text(st, 2, e->kind == VG_ENT_ASN ? "" : e->cc);
	sqlite3_bind_int64(st, 3, e->kind == VG_ENT_COUNTRY ? 0 : e->asn);
	bind_text(st, 4, text);
	bind_text(st, 5, name ? name : "");
	if (step_done(s, ST_ENT_INSERT, st, "adding an entity") < 0)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return 0;
	*id = sqlite3_last_insert_rowid(s->db);
	ents_add(s, ent_key(e), *id);
	return 2;
}

/*
 * The row id of entity E into *ID: 1 found, 2 created (with CREATE; named
 * NAME, if not NULL), 0 not in the database, -1 error.
 */
static int
entity_id_named(struct vg_store *s, const struct vg_entity *e, int create,
                const char *name, int64_t *id)
{
	uint64_t key = ent_key(e);
	char text[VG_ENTITY_STRLEN];
	sqlite3_stmt *st;
	int rc;

	if (!valid_entity(e)) {
		set_err(s, "invalid entity (kind %u)", e->kind);
		return -1;
	}
	if (s->ents_cap) {
		size_t h = ent_hash(key, s->ents_cap);
		while (s->ents[h].key) {
			if (s->ents[h].key == key) {
				*id = s->ents[h].id;
				return 1;
			}
			h = (h + 1) & (s->ents_cap - 1);
		}
	}
	vg_entity_fmt(e, text);
	/* creating: added, or found if it was there (one statement for a
	 * new entity, the usual case of a writer) */
	if (create) {
		int added = entity_insert(s, e, text, name, id);
		if (added != 0)
			return added;
	}
	if ((st = stmt_get(s, ST_ENT_FIND)) == NULL)
		return -1;
	bind_text(st, 1, text);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		db_fail(s, "looking up an entity");
	stmt_put(s, ST_ENT_FIND, st);
	if (rc == SQLITE_ROW) {
		ents_add(s, key, *id);
		return 1;
	}
	if (rc != SQLITE_DONE)
		return -1;
	if (create) { /* neither added nor found: cannot be */
		set_err(s, "adding an entity: %s not added, not found", text);
		return -1;
	}
	return 0;
}

static int
entity_id(struct vg_store *s, const struct vg_entity *e, int create,
          int64_t *id)
{
	return entity_id_named(s, e, create, NULL, id);
}

int
store_put_entity(struct vg_store *s, const struct vg_entity *e,
                 const char *name)
{
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	if ((rc = entity_id_named(s, e, 1, name, &id)) < 0)
		return -1;
	if (rc == 2 || name == NULL || name[0] == '\0')
		return 0; /* new, named as it was added; or nothing to say */
	if ((st = stmt_get(s, ST_ENT_SET_NAME)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, name);
	return step_done(s, ST_ENT_SET_NAME, st, "naming an entity");
}

int
store_entity_name(struct vg_store *s, const struct vg_entity *e, char *buf,
                  size_t len)
{
	char text[VG_ENTITY_STRLEN];
	sqlite3_stmt *st;
	int rc;

	if (len)
		buf[0] = '\0';
	if (!valid_entity(e))
		return 0;
	vg_entity_fmt(e, text);
	if ((st = stmt_get(s, ST_ENT_NAME)) == NULL)
		return -1;
	bind_text(st, 1, text);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		col_str(st, 0, buf, len);
	else if (rc != SQLITE_DONE)
		db_fail(s, "reading an entity name");
	stmt_put(s, ST_ENT_NAME, st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Run an entity-listing statement, calling FN per row. */
static int
entity_rows(struct vg_store *s, int i, sqlite3_stmt *st, store_entity_fn fn,
            void *ctx)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct vg_entity e;
		const unsigned char *name;
		memset(&e, 0, sizeof(e));
		e.kind = (uint8_t)sqlite3_column_int(st, 0);
		col_str(st, 1, e.cc, sizeof(e.cc));
		e.asn = col_u32(st, 2);
		name = sqlite3_column_text(st, 3);
		if (fn(ctx, &e, name ? (const char *)name : ""))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_fail(s, "listing entities");
	stmt_put(s, i, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* '%Q%' for LIKE, with LIKE's own wildcards in Q taken literally; malloc'ed,
 * NULL (out of memory, recorded) on failure. */
static char *
like_pattern(struct vg_store *s, const char *q)
{
	size_t n = strlen(q), j = 0;
	char *pat = malloc(2 * n + 3);
	if (pat == NULL) {
		set_err(s, "out of memory");
		return NULL;
	}
	pat[j++] = '%';
	for (size_t i = 0; i < n; i++) {
		if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
			pat[j++] = '\\';
		pat[j++] = q[i];
	}
	pat[j++] = '%';
	pat[j] = '\0';
	return pat;
}

int
store_query_entities(struct vg_store *s, const char *q, uint32_t limit,
                     store_entity_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	char *pat = NULL;

	if (q && (pat = like_pattern(s, q)) == NULL)
		return -1;
	if ((st = stmt_get(s, ST_ENT_QUERY)) == NULL) {
		free(pat);
		return -1;
	}
	if (pat)
		sqlite3_bind_text(st, 1, pat, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
	free(pat);
	return entity_rows(s, ST_ENT_QUERY, st, fn, ctx);
}

int
store_find_entities(struct vg_store *s, const char *q, unsigned kind,
                    uint32_t limit, store_entity_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	char *pat = NULL;
	/* one kind: its own statement, so the kind index is used */
	int i = kind ? ST_ENT_QUERY_KIND : ST_ENT_QUERY;

	if (q && (pat = like_pattern(s, q)) == NULL)
		return -1;
	if ((st = stmt_get(s, i)) == NULL) {
		free(pat);
		return -1;
	}
	if (pat)
		sqlite3_bind_text(st, 1, pat, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
	if (kind)
		sqlite3_bind_int(st, 3, (int)kind);
	free(pat);
	return entity_rows(s, i, st, fn, ctx);
}

int
store_query_upstreams(struct vg_store *s, const char *cc, store_entity_fn fn,
                      void *ctx)
{
	sqlite3_stmt *st = stmt_get(s, ST_UPSTREAMS);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, cc, -1, SQLITE_TRANSIENT);
	return entity_rows(s, ST_UPSTREAMS, st, fn, ctx);
}

/* ---- meta and peers ---- */

int
store_set_meta(struct vg_store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = stmt_get(s, ST_META_SET);
	if (st == NULL)
		return -1;
	bind_text(st, 1, key);
	bind_text(st, 2, value ? value : "");
	return step_done(s, ST_META_SET, st, "setting meta");
}

int
store_get_meta(struct vg_store *s, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *st = stmt_get(s, ST_META_GET);
	int rc;
	if (st == NULL)
		return -1;
	bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		col_str(st, 0, buf, len);
	else if (rc != SQLITE_DONE)
		db_fail(s, "reading meta");
	else
		set_err(s, "no meta key '%s'", key);
	stmt_put(s, ST_META_GET, st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_put_peer(struct vg_store *s, const struct store_peer *p)
{
	sqlite3_stmt *st = stmt_get(s, ST_PEER_PUT);
	char addr[VG_ADDR_STRLEN] = "";
	if (st == NULL)
		return -1;
	if (p->addr.afi == VG_AFI_IP4 || p->addr.afi == VG_AFI_IP6)
		vg_addr_str(&p->addr, addr);
	bind_text(st, 1, p->collector);
	bind_text(st, 2, addr);
	sqlite3_bind_int64(st, 3, p->asn);
	sqlite3_bind_int64(st, 4, p->v4_routes);
	sqlite3_bind_int64(st, 5, p->v6_routes);
	sqlite3_bind_int(st, 6, p->full_v4 != 0);
	sqlite3_bind_int(st, 7, p->full_v6 != 0);
	sqlite3_bind_int(st, 8, p->up != 0);
	sqlite3_bind_int64(st, 9, p->last_change);
	return step_done(s, ST_PEER_PUT, st, "writing a peer");
}

/* ---- signals ---- */

static int
put_bin(struct vg_store *s, uint32_t start, uint32_t len)
{
	sqlite3_stmt *st;
	if (s->last_bin == (int64_t)start && s->last_bin_len == len)
		return 0;
	if ((st = stmt_get(s, ST_BIN_PUT)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, start);
	sqlite3_bind_int64(st, 2, len);
	if (step_done(s, ST_BIN_PUT, st, "writing a bin") < 0)
		return -1;
	s->last_bin = start;
	s->last_bin_len = len;
	return 0;
}

/* ---- keyframes (the packed keyframe-only rows; see schema.sql) ---- */

/* 1 if bin START has its bins row (signals were written for it before),
 * 0 if not, -1 on error. */
static int
bin_has(struct vg_store *s, uint32_t start)
{
	sqlite3_stmt *st = stmt_get(s, ST_BIN_HAS);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, start);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_fail(s, "reading a bin");
	stmt_put(s, ST_BIN_HAS, st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
sig_del(struct vg_store *s, uint32_t bin, int64_t id)
{
	sqlite3_stmt *st = stmt_get(s, ST_SIG_DEL);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, bin);
	sqlite3_bind_int64(st, 2, id);
	return step_done(s, ST_SIG_DEL, st, "replacing a signal");
}

/* Decode a keyframes blob (column COL of ST) into the caller's arrays; a
 * corrupt one is an error naming the row.  0 / -1. */
static int
kf_col_decode(struct vg_store *s, sqlite3_stmt *st, int col, int64_t first,
              uint32_t bin, int64_t *ids, struct vg_signal *sig, size_t *n)
{
	char why[200];
	const void *p = sqlite3_column_blob(st, col);
	size_t len = (size_t)sqlite3_column_bytes(st, col);
	if (store_kf_decode(p, len, first, ids, sig, n, why, sizeof(why)) < 0) {
		set_err(s, "corrupt database: %s %s (bin %u)",
		        s->chunks ? "signal_chunks" : "keyframes", why, bin);
		return -1;
	}
	return 0;
}

/*
 * Begin the blob of chunk FIRST in bin BIN.  With LOAD (the bin is being
 * written again), start from the entries already stored.  0 / -1.
 */
static int
kf_start(struct vg_store *s, int64_t first, uint32_t bin, uint32_t bin_len,
         int load)
{
	struct kf_acc *a = &s->kf;
	sqlite3_stmt *st;
	int rc, ret = 0;

	a->active = 1;
	a->loaded = a->dirty = 0;
	a->first_id = first;
	a->bin = bin;
	a->bin_len = bin_len;
	a->n = 0;
	if (!load)
		return 0;
	int get = s->chunks ? ST_CH_GET : ST_KF_GET;
	if ((st = stmt_get(s, get)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, bin);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		a->loaded = 1;
		ret = kf_col_decode(s, st, 1, first, bin, a->ids, a->sig, &a->n);
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(s, "reading signals");
	}
	stmt_put(s, get, st);
	return ret;
}

/* Put the keyframe entry of ID (in the current chunk), replacing one. */
static int
kf_set(struct vg_store *s, int64_t id, const struct vg_signal *g)
{
	struct kf_acc *a = &s->kf;
	size_t i = a->n;
	while (i > 0 && a->ids[i - 1] > id)
		i--;
	if (i == 0 || a->ids[i - 1] != id) {
		if (a->n == STORE_KF_CHUNK) { /* ids are unique: cannot be */
			set_err(s, "keyframes: chunk of %lld overfull",
			        (long long)a->first_id);
			return -1;
		}
		memmove(&a->ids[i + 1], &a->ids[i], (a->n - i) * sizeof(*a->ids));
		memmove(&a->sig[i + 1], &a->sig[i], (a->n - i) * sizeof(*a->sig));
		a->n++;
	} else {
		i--;
	}
	a->ids[i] = id;
	a->sig[i] = *g;
	a->dirty = 1;
	return 0;
}

/* Drop the keyframe entry of ID if the chunk has one. */
static void
kf_remove(struct vg_store *s, int64_t id)
{
	struct kf_acc *a = &s->kf;
	for (size_t i = 0; i < a->n; i++)
		if (a->ids[i] == id) {
			memmove(&a->ids[i], &a->ids[i + 1],
			        (a->n - i - 1) * sizeof(*a->ids));
			memmove(&a->sig[i], &a->sig[i + 1],
			        (a->n - i - 1) * sizeof(*a->sig));
			a->n--;
			a->dirty = 1;
			return;
		}
}

/* Write the current blob if it changed (or delete an emptied one). */
static int
kf_flush(struct vg_store *s)
{
	struct kf_acc *a = &s->kf;
	sqlite3_stmt *st;
	int i;

	if (!a->active)
		return 0;
	a->active = 0;
	if (!a->dirty)
		return 0;
	if (a->n == 0 && !a->loaded)
		return 0;
	if (s->chunks)
		i = a->n ? ST_CH_PUT : ST_CH_DEL;
	else
		i = a->n ? ST_KF_PUT : ST_KF_DEL;
	if ((st = stmt_get(s, i)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, a->first_id);
	sqlite3_bind_int64(st, 2, a->bin);
	if (a->n) {
		size_t len = store_kf_encode(a->first_id, a->ids, a->sig, a->n,
		                             a->buf, sizeof(a->buf));
		if (len == 0) {
			stmt_put(s, i, st);
			set_err(s, "keyframes: cannot encode the chunk of %lld",
			        (long long)a->first_id);
			return -1;
		}
		sqlite3_bind_int64(st, 3, a->bin_len);
		sqlite3_bind_blob(st, 4, a->buf, (int)len, SQLITE_STATIC);
	}
	return step_done(s, i, st, "writing signals");
}

static int
sig_ord_cmp(const void *a, const void *b)
{
	const struct sig_ord *x = a, *y = b;
	if (x->bin != y->bin)
		return x->bin < y->bin ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * The rows are written in primary-key order (bin, entity id): appended to
 * the table's b-tree instead of scattered through the bin's pages (the
 * caller's order is the entities' own, not their ids').  Ids are found,
 * and new entities added, in the caller's order first, so they are what
 * they would be otherwise; rows of one key keep their order (the last
 * wins).
 */
/* Bind signal G of entity ID to the SIG_NCOLS parameters of ST from
 * BASE + 1 on. */
static void
bind_signal(sqlite3_stmt *st, int base, int64_t id, const struct vg_signal *g)
{
	sqlite3_bind_int64(st, base + 1, id);
	sqlite3_bind_int64(st, base + 2, g->bin_start);
	sqlite3_bind_int64(st, base + 3, g->bin_len);
	sqlite3_bind_int64(st, base + 4, (sqlite3_int64)g->v4_units);
	sqlite3_bind_int64(st, base + 5, (sqlite3_int64)g->v6_units);
	sqlite3_bind_int64(st, base + 6, g->prefixes);
	sqlite3_bind_int64(st, base + 7, g->origins);
	sqlite3_bind_int64(st, base + 8, g->announcements);
	sqlite3_bind_int64(st, base + 9, g->withdrawals);
	sqlite3_bind_int64(st, base + 10, g->path_changes);
	sqlite3_bind_int64(st, base + 11, g->flaps);
	sqlite3_bind_int64(st, base + 12, g->peers_up);
	bind_real(st, base + 13, g->baseline);
	bind_real(st, base + 14, g->inst_score);
}

/* Signal rows waiting to be written SIG_BATCH at a time (in key order;
 * the rest one by one at the end of put_signals). */
struct sig_batch {
	int64_t id[SIG_BATCH];
	const struct vg_signal *g[SIG_BATCH];
	unsigned n;
};

/* Write the N first rows of B, all SIG_BATCH of them in one statement if
 * it is full, else one statement per row.  0 or -1. */
static int
sig_batch_write(struct vg_store *s, struct sig_batch *b)
{
	int full = b->n == SIG_BATCH, rc = SQLITE_DONE;
	int which = full ? ST_SIG_PUT_MANY : ST_SIG_PUT;
	sqlite3_stmt *st = stmt_get(s, which);
	if (st == NULL)
		return -1;
	for (unsigned k = 0; k < b->n && rc == SQLITE_DONE; k++) {
		bind_signal(st, full ? (int)k * SIG_NCOLS : 0, b->id[k], b->g[k]);
		if (full && k + 1 < b->n)
			continue;
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	stmt_put(s, which, st);
	b->n = 0;
	if (rc != SQLITE_DONE) {
		db_fail(s, "writing a signal");
		return -1;
	}
	return 0;
}

static int
put_signals(struct vg_store *s, const struct vg_signal *sig, size_t n)
{

	if (n > s->cap_ord) {
		size_t nc = s->cap_ord ? s->cap_ord : 1024;
		while (nc < n)
			nc *= 2;
		struct sig_ord *no = realloc(s->ord, nc * sizeof(*no));
		if (no == NULL) {
			set_err(s, "out of memory");
			return -1;
		}
		s->ord = no;
		s->cap_ord = nc;
	}
	int64_t maxid = 0;
	int onebin = 1;
	for (size_t i = 0; i < n; i++) {
		const struct vg_signal *g = &sig[i];
		if (entity_id(s, &g->ent, 1, &s->ord[i].id) < 0)
			return -1;
		s->ord[i].bin = g->bin_start;
		s->ord[i].i = i;
		if (s->ord[i].id > maxid)
			maxid = s->ord[i].id;
		onebin &= g->bin_start == sig[0].bin_start;
	}
	/* one bin's rows (the usual call) are placed by id, in a table as
	 * long as the entity ids, when that is not much longer than the
	 * rows (a walk over 64 slots costs about what sorting one row
	 * does); otherwise (or with an id twice) sorted */
	int sorted = 0;
	if (onebin && maxid >= 0 && (uint64_t)maxid < 64 * (uint64_t)n + 65536) {
		size_t need = (size_t)maxid + 1;
		if (need > s->cap_slot) {
			uint32_t *ns = realloc(s->slot, need * sizeof(*ns));
			if (ns) {
				memset(ns + s->cap_slot, 0,
				       (need - s->cap_slot) * sizeof(*ns));
				s->slot = ns;
				s->cap_slot = need;
			}
		}
		if (need <= s->cap_slot) {
			int dup = 0;
			for (size_t i = 0; i < n && !dup; i++) {
				uint32_t *c = &s->slot[s->ord[i].id];
				dup = *c != 0;
				*c = (uint32_t)i + 1;
			}
			size_t k = 0;
			for (size_t id = 0; id < need; id++) {
				if (s->slot[id] == 0)
					continue;
				if (!dup) {
					size_t i = s->slot[id] - 1;
					s->ord[k].bin = sig[i].bin_start;
					s->ord[k].id = (int64_t)id;
					s->ord[k].i = i;
					k++;
				}
				s->slot[id] = 0;
			}
			sorted = !dup;
			if (dup) /* put the list back as it was */
				for (size_t i = 0; i < n; i++) {
					int64_t id;
					entity_id(s, &sig[i].ent, 1, &id);
					s->ord[i].bin = sig[i].bin_start;
					s->ord[i].id = id;
					s->ord[i].i = i;
				}
		}
	}
	if (!sorted)
		qsort(s->ord, n, sizeof(*s->ord), sig_ord_cmp);
	struct sig_batch b;
	b.n = 0;
	struct kf_acc *a = &s->kf;
	int64_t cur_bin = -1;
	int reput = 0, failed = 0;
	a->active = 0;
	for (size_t k = 0; k < n && !failed; k++) {
		const struct vg_signal *g = &sig[s->ord[k].i];
		int64_t id = s->ord[k].id;
		/* rows of one key: the last wins */
		if (k + 1 < n && s->ord[k + 1].bin == s->ord[k].bin &&
		    s->ord[k + 1].id == id)
			continue;
		if ((int64_t)g->bin_start != cur_bin) {
			int rc2;
			if (kf_flush(s) < 0 ||
			    (rc2 = s->kf_pack || s->chunks
			               ? bin_has(s, g->bin_start)
			               : 0) < 0 ||
			    put_bin(s, g->bin_start, g->bin_len) < 0) {
				failed = 1;
				break;
			}
			reput = rc2;
			cur_bin = g->bin_start;
		}
		int packed = s->chunks ||
		             (s->kf_pack && (g->flags & VG_SIG_KEYFRAME_ONLY));
		if (packed || reput) {
			int64_t first = id / STORE_KF_CHUNK * STORE_KF_CHUNK;
			if (a->active && a->first_id != first && kf_flush(s) < 0) {
				failed = 1;
				break;
			}
			if (!a->active &&
			    kf_start(s, first, g->bin_start, g->bin_len, reput) < 0) {
				failed = 1;
				break;
			}
		}
		if (packed) {
			/* a bin written again: the row may be in signals */
			if (kf_set(s, id, g) < 0 ||
			    (reput && !s->chunks &&
			     sig_del(s, g->bin_start, id) < 0)) {
				failed = 1;
				break;
			}
			continue;
		}
		if (reput)
			kf_remove(s, id);
		/* (keys are distinct: rows waiting here never meet a
		 * sig_del of the same key) */
		b.id[b.n] = id;
		b.g[b.n++] = g;
		if (b.n == SIG_BATCH && sig_batch_write(s, &b) < 0)
			failed = 1;
	}
	if (!failed && b.n && sig_batch_write(s, &b) < 0)
		failed = 1;
	if (!failed && kf_flush(s) < 0)
		failed = 1;
	a->active = 0;
	return failed ? -1 : 0;
}

int
store_put_signals(struct vg_store *s, const struct vg_signal *sig, size_t n)
{
	int mode;
	if (n == 0)
		return 0;
	if ((mode = op_begin(s)) < 0)
		return -1;
	return op_end(s, mode, put_signals(s, sig, n) == 0);
}

static void
row_signal(sqlite3_stmt *st, const struct vg_entity *ent,
           struct vg_signal *g)
{
	memset(g, 0, sizeof(*g));
	g->ent = *ent;
	g->bin_start = col_u32(st, 0);
	g->bin_len = col_u32(st, 1);
	g->v4_units = (uint64_t)sqlite3_column_int64(st, 2);
	g->v6_units = (uint64_t)sqlite3_column_int64(st, 3);
	g->prefixes = col_u32(st, 4);
	g->origins = col_u32(st, 5);
	g->announcements = col_u32(st, 6);
	g->withdrawals = col_u32(st, 7);
	g->path_changes = col_u32(st, 8);
	g->flaps = col_u32(st, 9);
	g->peers_up = col_u32(st, 10);
	g->baseline = col_real(st, 11);
	g->inst_score = col_real(st, 12);
}

/*
 * Keyframe entries of one entity, read from the rows of its chunk that a
 * statement returns (bin_start, bin_len, data), in the statement's order.
 */
struct kf_reader {
	sqlite3_stmt *st;
	int slot;
	int64_t id, first;
	int64_t ids[STORE_KF_CHUNK];
	struct vg_signal sig[STORE_KF_CHUNK];
};

/* A reader of entity ID's keyframe entries through statement SLOT
 * (ST_KF_RANGE: bins A to B; ST_KF_BACK: bins A down to B); NULL on error
 * (reported).  Done with it: stmt_put(s, r->slot, r->st) and free(r). */
static struct kf_reader *
kf_reader_open(struct vg_store *s, int64_t id, int slot, int64_t a, int64_t b)
{
	struct kf_reader *r = malloc(sizeof(*r));
	if (r == NULL) {
		set_err(s, "out of memory");
		return NULL;
	}
	r->id = id;
	r->first = id / STORE_KF_CHUNK * STORE_KF_CHUNK;
	r->slot = slot;
	if ((r->st = stmt_get(s, slot)) == NULL) {
		free(r);
		return NULL;
	}
	sqlite3_bind_int64(r->st, 1, r->first);
	sqlite3_bind_int64(r->st, 2, a);
	sqlite3_bind_int64(r->st, 3, b);
	return r;
}

/* The next row of the chunk: 1 with its bin in *BIN and the entity's
 * entry in *G if it has one (*HAVE), 0 at the end, -1 on error. */
static int
kf_next(struct vg_store *s, struct kf_reader *r, const struct vg_entity *ent,
        uint32_t *bin, int *have, struct vg_signal *g)
{
	size_t n;
	int rc = sqlite3_step(r->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return db_fail(s, "reading signals");
	*bin = col_u32(r->st, 0);
	*have = 0;
	if (kf_col_decode(s, r->st, 2, r->first, *bin, r->ids, r->sig, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (r->ids[i] == r->id) {
			*g = r->sig[i];
			g->ent = *ent;
			g->bin_start = *bin;
			g->bin_len = col_u32(r->st, 1);
			*have = 1;
			break;
		}
	return 1;
}

/* The next keyframe entry of the entity: 1 (in *G), 0 none, -1 error. */
static int
kf_next_entry(struct vg_store *s, struct kf_reader *r,
              const struct vg_entity *ent, struct vg_signal *g)
{
	uint32_t bin;
	int have, rc;
	while ((rc = kf_next(s, r, ent, &bin, &have, g)) == 1)
		if (have)
			return 1;
	return rc;
}

/* Version 3: the entity's entries in its chunk's rows of bins [from,
 * until], in order.  0 / -1 (reported), as store_query_signals. */
static int
query_chunks(struct vg_store *s, const struct vg_entity *ent, int64_t id,
             uint32_t from, uint32_t until, store_signal_fn fn, void *ctx)
{
	struct kf_reader *r = kf_reader_open(s, id, ST_CH_RANGE, from, until);
	struct vg_signal g;
	int rc;
	if (r == NULL)
		return -1;
	while ((rc = kf_next_entry(s, r, ent, &g)) == 1)
		if (fn(ctx, &g))
			break;
	stmt_put(s, r->slot, r->st);
	free(r);
	return rc < 0 ? -1 : 0;
}

/*
 * The entity's rows in signals merged with its entries in keyframes, by
 * bin: one range read of each (the chunk's keyframes rows are adjacent),
 * exactly the rows a version 1 database held in signals alone.  Version
 * 3 has them all in signal_chunks.
 */
int
store_query_signals(struct vg_store *s, const struct vg_entity *ent,
                    uint32_t from, uint32_t until, store_signal_fn fn,
                    void *ctx)
{
	struct kf_reader *r = NULL;
	struct vg_signal a, b;
	sqlite3_stmt *st;
	int64_t id;
	int rc, ra = 0, rb = 0, failed = 0;

	if ((rc = entity_id(s, ent, 0, &id)) <= 0)
		return rc;
	if (s->chunks)
		return query_chunks(s, ent, id, from, until, fn, ctx);
	if (s->has_kf &&
	    (r = kf_reader_open(s, id, ST_KF_RANGE, from, until)) == NULL)
		return -1;
	if ((st = stmt_get(s, ST_SIG_RANGE)) == NULL) {
		if (r) {
			stmt_put(s, r->slot, r->st);
			free(r);
		}
		return -1;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, until);

	/* ra, rb: 1 while a (signals) or b (keyframes) holds the next row */
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row_signal(st, ent, &a);
		ra = 1;
	} else if (rc != SQLITE_DONE) {
		failed = db_fail(s, "reading signals");
	}
	if (!failed && r && (rb = kf_next_entry(s, r, ent, &b)) < 0)
		failed = 1;
	while (!failed && (ra || rb)) {
		const struct vg_signal *g;
		int take_a = ra && (!rb || a.bin_start <= b.bin_start);
		struct vg_signal out;
		/* never both in one bin; if a file has both, signals wins */
		if (take_a && rb && a.bin_start == b.bin_start &&
		    (rb = kf_next_entry(s, r, ent, &b)) < 0) {
			failed = 1;
			break;
		}
		out = take_a ? a : b;
		g = &out;
		if (fn(ctx, g))
			break;
		if (take_a) {
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW) {
				row_signal(st, ent, &a);
			} else {
				ra = 0;
				if (rc != SQLITE_DONE)
					failed = db_fail(s, "reading signals");
			}
		} else if ((rb = kf_next_entry(s, r, ent, &b)) < 0) {
			failed = 1;
		}
	}
	stmt_put(s, ST_SIG_RANGE, st);
	if (r) {
		stmt_put(s, r->slot, r->st);
		free(r);
	}
	return failed ? -1 : 0;
}

/* The latest row of ENT in signals alone in [since, at]: statement I binds
 * since as ?3 or not at all.  1 (in SIG) / 0 / -1. */
static int
signal_latest_rows(struct vg_store *s, int i, int64_t id,
                   const struct vg_entity *ent, uint32_t since, uint32_t at,
                   struct vg_signal *sig)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt_get(s, i)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	if (i == ST_SIG_BETWEEN)
		sqlite3_bind_int64(st, 3, since);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_signal(st, ent, sig);
	else if (rc != SQLITE_DONE)
		db_fail(s, "reading a signal");
	stmt_put(s, i, st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The latest signal of ENT in [since, at] (statement I: ST_SIG_AT, since
 * 0, or ST_SIG_BETWEEN).  Walks the chunk's keyframes rows back from AT:
 * for each (bin k), a signals row in [k, hi] is the answer, else the
 * entity's entry in k if it has one, else on to the row before, hi = k - 1.
 * An entity in the latest keyframe costs one keyframes seek and the
 * signals lookups of the bins after it (at most an hour's).  Version 3:
 * the chunk's rows back from AT, to the first that lists the entity (at
 * most an hour's, once the entity has rows).
 */
static int
signal_latest(struct vg_store *s, int i, const struct vg_entity *ent,
              uint32_t since, uint32_t at, struct vg_signal *sig)
{
	struct kf_reader *r;
	struct vg_signal kg;
	int64_t id;
	uint32_t hi = at, k;
	int rc, have;

	if ((rc = entity_id(s, ent, 0, &id)) <= 0)
		return rc;
	if (s->chunks) {
		if ((r = kf_reader_open(s, id, ST_CH_BACK, at, since)) == NULL)
			return -1;
		rc = kf_next_entry(s, r, ent, sig);
		stmt_put(s, r->slot, r->st);
		free(r);
		return rc;
	}
	if (!s->has_kf)
		return signal_latest_rows(s, i, id, ent, since, at, sig);
	if ((r = kf_reader_open(s, id, ST_KF_BACK, at, since)) == NULL)
		return -1;
	for (;;) {
		rc = kf_next(s, r, ent, &k, &have, &kg);
		if (rc < 0)
			break;
		if (rc == 0) { /* no keyframe left: signals alone */
			rc = signal_latest_rows(s, i, id, ent, since, hi, sig);
			break;
		}
		rc = signal_latest_rows(s, ST_SIG_BETWEEN, id, ent, k, hi, sig);
		if (rc != 0)
			break;
		if (have) {
			*sig = kg;
			rc = 1;
			break;
		}
		if (k == 0 || k - 1 < since) {
			rc = 0;
			break;
		}
		hi = k - 1;
	}
	stmt_put(s, r->slot, r->st);
	free(r);
	return rc;
}

int
store_signal_at(struct vg_store *s, const struct vg_entity *ent, uint32_t at,
                struct vg_signal *sig)
{
	return signal_latest(s, ST_SIG_AT, ent, 0, at, sig);
}

int
store_signal_between(struct vg_store *s, const struct vg_entity *ent,
                     uint32_t since, uint32_t at, struct vg_signal *sig)
{
	if (since > at)
		return 0;
	return signal_latest(s, ST_SIG_BETWEEN, ent, since, at, sig);
}

int
store_time_range(struct vg_store *s, uint32_t *first, uint32_t *last)
{
	/* The bins table answers from its index; a database filled by other
	 * means (the sqlite3 shell) may lack it, so fall back to a scan. */
	static const int which[2] = {ST_TIME_RANGE, ST_TIME_RANGE_SCAN};
	for (int k = 0; k < 2; k++) {
		sqlite3_stmt *st = stmt_get(s, which[k]);
		int rc, found = 0;
		if (st == NULL)
			return -1;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) != SQLITE_NULL) {
			*first = col_u32(st, 0);
			*last = col_u32(st, 1);
			found = 1;
		} else if (rc != SQLITE_ROW) {
			db_fail(s, "reading the time range");
		}
		stmt_put(s, which[k], st);
		if (rc != SQLITE_ROW)
			return -1;
		if (found)
			return 0;
	}
	set_err(s, "no signals in the database");
	return -1;
}

/* ---- events ---- */

static int
put_event(struct vg_store *s, const struct vg_event *ev)
{
	sqlite3_stmt *st;
	int64_t eid;
	int rc = SQLITE_DONE;

	if (entity_id(s, &ev->ent, 1, &eid) < 0)
		return -1;
	if ((st = stmt_get(s, ST_EV_PUT)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->id);
	sqlite3_bind_int64(st, 2, eid);
	sqlite3_bind_int(st, 3, ev->kind);
	sqlite3_bind_int(st, 4, ev->level);
	sqlite3_bind_int64(st, 5, ev->start);
	if (ev->end)
		sqlite3_bind_int64(st, 6, ev->end);
	else
		sqlite3_bind_null(st, 6);
	bind_real(st, 7, ev->depth);
	bind_real(st, 8, ev->severity);
	bind_real(st, 9, ev->baseline);
	bind_real(st, 10, ev->bottom);
	sqlite3_bind_int64(st, 11, ev->n_evidence_total);
	if (step_done(s, ST_EV_PUT, st, "writing an event") < 0)
		return -1;

	if ((st = stmt_get(s, ST_EVID_DEL)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->id);
	if (step_done(s, ST_EVID_DEL, st, "replacing evidence") < 0)
		return -1;

	if (ev->n_evidence == 0 || ev->evidence == NULL)
		return 0;
	if ((st = stmt_get(s, ST_EVID_PUT)) == NULL)
		return -1;
	for (uint32_t i = 0; i < ev->n_evidence; i++) {
		const struct vg_evidence *x = &ev->evidence[i];
		char what[2] = {(char)x->what, '\0'};
		sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->id);
		sqlite3_bind_int64(st, 2, i);
		sqlite3_bind_text(st, 3, what, -1, SQLITE_TRANSIENT);
		/* the fixed arrays may be full: never read past them */
		sqlite3_bind_text(st, 4, x->text,
		                  (int)strnlen(x->text, sizeof(x->text)),
		                  SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, x->asn);
		sqlite3_bind_int64(st, 6, x->upstream);
		sqlite3_bind_text(st, 7, x->path,
		                  (int)strnlen(x->path, sizeof(x->path)),
		                  SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			db_fail(s, "writing evidence");
			break;
		}
	}
	stmt_put(s, ST_EVID_PUT, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_put_event(struct vg_store *s, const struct vg_event *ev)
{
	int mode = op_begin(s);
	if (mode < 0)
		return -1;
	return op_end(s, mode, put_event(s, ev) == 0);
}

static void
row_event(sqlite3_stmt *st, struct vg_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->id = (uint64_t)sqlite3_column_int64(st, 0);
	ev->ent.kind = (uint8_t)sqlite3_column_int(st, 1);
	col_str(st, 2, ev->ent.cc, sizeof(ev->ent.cc));
	ev->ent.asn = col_u32(st, 3);
	ev->kind = (uint8_t)sqlite3_column_int(st, 4);
	ev->level = (uint8_t)sqlite3_column_int(st, 5);
	ev->start = col_u32(st, 6);
	ev->end = col_u32(st, 7); /* NULL reads as 0: open */
	ev->depth = col_real(st, 8);
	ev->severity = col_real(st, 9);
	ev->baseline = col_real(st, 10);
	ev->bottom = col_real(st, 11);
	ev->n_evidence_total = col_u32(st, 12);
	ev->n_evidence = col_u32(st, 13);
}

/*
 * Load the evidence of event EV (n_evidence items) into *BUF (grown as
 * needed, *CAP items) and point ev->evidence at it.  0 / -1.
 */
static int
load_evidence(struct vg_store *s, struct vg_event *ev,
              struct vg_evidence **buf, size_t *cap)
{
	sqlite3_stmt *st;
	uint32_t n = 0;
	int rc;

	ev->evidence = NULL;
	if (ev->n_evidence == 0)
		return 0;
	if (*cap < ev->n_evidence) {
		struct vg_evidence *nb =
		    realloc(*buf, ev->n_evidence * sizeof(**buf));
		if (nb == NULL) {
			set_err(s, "out of memory");
			return -1;
		}
		*buf = nb;
		*cap = ev->n_evidence;
	}
	if ((st = stmt_get(s, ST_EVID_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < ev->n_evidence) {
		struct vg_evidence *x = &(*buf)[n++];
		const unsigned char *w = sqlite3_column_text(st, 0);
		memset(x, 0, sizeof(*x));
		x->what = w ? w[0] : 0;
		col_str(st, 1, x->text, sizeof(x->text));
		x->asn = col_u32(st, 2);
		x->upstream = col_u32(st, 3);
		col_str(st, 4, x->path, sizeof(x->path));
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_fail(s, "reading evidence");
	stmt_put(s, ST_EVID_GET, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	ev->n_evidence = n;
	ev->evidence = *buf;
	return 0;
}

/*
 * The statement slot for query Q (event rows, or with COUNT their number),
 * bound and ready to step: 1, 0 if Q names an entity the database does not
 * know (nothing matches), -1 on error.
 */
static int
evq_prepare(struct vg_store *s, const struct store_event_query *q, int count,
            int *slot, sqlite3_stmt **out)
{
	unsigned shape = 0;
	sqlite3_stmt *st;
	int64_t eid = 0;
	int rc;

	if (q->ent) {
		if (q->ent_prefix_only && q->ent->kind == VG_ENT_COUNTRY) {
			shape = EVQ_ENT_TREE * EVQ_FLAGS;
		} else {
			if ((rc = entity_id(s, q->ent, 0, &eid)) <= 0)
				return rc; /* unknown: nothing matches */
			shape = EVQ_ENT_EXACT * EVQ_FLAGS;
		}
	}
	shape |= (q->kind ? EVQ_KIND : 0) | (q->min_level ? EVQ_LEVEL : 0) |
	         (q->since ? EVQ_SINCE : 0) | (q->until ? EVQ_UNTIL : 0) |
	         (q->open_only ? EVQ_OPEN : 0);
	*slot = ST_FIXED_N + (count ? EVQ_N : 0) + (int)shape;
	if ((st = stmt_get(s, *slot)) == NULL)
		return -1;
	if (shape / EVQ_FLAGS == EVQ_ENT_TREE)
		sqlite3_bind_text(st, 1, q->ent->cc, -1, SQLITE_TRANSIENT);
	else if (q->ent)
		sqlite3_bind_int64(st, 1, eid);
	/* parameters a shape does not use are not bound (SQLITE_RANGE) */
	sqlite3_bind_int(st, 2, q->kind);
	sqlite3_bind_int(st, 3, q->min_level);
	sqlite3_bind_int64(st, 4, q->since);
	sqlite3_bind_int64(st, 5, q->until);
	if (!count) {
		sqlite3_bind_int64(st, 6,
		                   q->limit ? (sqlite3_int64)q->limit : -1);
		sqlite3_bind_int64(st, 7, q->offset);
	}
	*out = st;
	return 1;
}

int
store_query_events(struct vg_store *s, const struct store_event_query *q,
                   store_event_fn fn, void *ctx)
{
	struct vg_evidence *evbuf = NULL;
	size_t evcap = 0;
	sqlite3_stmt *st;
	int rc, slot, failed = 0;

	if ((rc = evq_prepare(s, q, 0, &slot, &st)) <= 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct vg_event ev;
		row_event(st, &ev);
		if (q->with_evidence &&
		    load_evidence(s, &ev, &evbuf, &evcap) < 0) {
			failed = 1;
			break;
		}
		if (fn(ctx, &ev))
			break;
	}
	if (!failed && rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(s, "reading events");
		failed = 1;
	}
	stmt_put(s, slot, st);
	free(evbuf);
	return failed ? -1 : 0;
}

int
store_count_events(struct vg_store *s, const struct store_event_query *q,
                   uint64_t *n)
{
	sqlite3_stmt *st;
	int rc, slot;

	*n = 0;
	if ((rc = evq_prepare(s, q, 1, &slot, &st)) <= 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	else
		db_fail(s, "counting events");
	stmt_put(s, slot, st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_get_event(struct vg_store *s, uint64_t id, struct vg_event *ev)
{
	sqlite3_stmt *st = stmt_get(s, ST_EV_GET);
	struct vg_evidence *buf = NULL;
	size_t cap = 0;
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_event(st, ev);
	else if (rc != SQLITE_DONE)
		db_fail(s, "reading an event");
	stmt_put(s, ST_EV_GET, st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
	if (load_evidence(s, ev, &buf, &cap) < 0) {
		free(buf);
		ev->evidence = NULL;
		ev->n_evidence = 0;
		return -1;
	}
	if (ev->evidence == NULL)
		free(buf);
	return 1;
}

void
store_event_free(struct vg_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->evidence);
	ev->evidence = NULL;
	ev->n_evidence = 0;
}

/* ---- deadlines and change detection ---- */

static int64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* SQLite calls this every STORE_PROGRESS_OPS virtual machine steps; non-zero
 * interrupts the running statement (SQLITE_INTERRUPT). */
#define STORE_PROGRESS_OPS 1000
static int
on_progress(void *ctx)
{
	struct vg_store *s = ctx;
	if (s->deadline_ns == 0 || mono_ns() < s->deadline_ns)
		return 0;
	s->timed_out = 1;
	return 1;
}

void
store_set_deadline(struct vg_store *s, unsigned ms)
{
	s->timed_out = 0;
	s->deadline_ms = ms;
	s->deadline_ns = ms ? mono_ns() + (int64_t)ms * 1000000 : 0;
	if (ms && !s->progress_on) {
		sqlite3_progress_handler(s->db, STORE_PROGRESS_OPS, on_progress,
		                         s);
		s->progress_on = 1;
	}
}

int
store_timed_out(const struct vg_store *s)
{
	return s->timed_out;
}

int
store_data_version(struct vg_store *s, uint64_t *v)
{
	sqlite3_stmt *st = stmt_get(s, ST_DATA_VERSION);
	int rc;
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = (uint64_t)sqlite3_column_int64(st, 0);
	else
		db_fail(s, "reading the data version");
	stmt_put(s, ST_DATA_VERSION, st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* ---- open / close ---- */

static int
exec_sql(struct vg_store *s, const char *sql, const char *what)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		set_err(s, "%s: %s", what, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Check meta.schema_version; with CREATE, create the schema first. */
static int
setup_schema(struct vg_store *s, int create)
{
	char v[32];
	long ver;

	if (create) {
		if (exec_sql(s, "BEGIN IMMEDIATE", "creating the schema") < 0)
			return -1;
		if (exec_sql(s, store_schema_sql, "creating the schema") < 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (store_get_meta(s, "schema_version", v, sizeof(v)) < 0) {
			/* VIGIL_STORE_VERSION=1 or 2: a database in an
			 * older layout (a reference for the tests, or a file
			 * for an older vigil); VIGIL_KEYFRAME_ROWS=1 is
			 * version 1 too */
			const char *rows = getenv("VIGIL_KEYFRAME_ROWS");
			const char *want = getenv("VIGIL_STORE_VERSION");
			int make = STORE_SCHEMA_VERSION;
			if (want && want[0] >= '1' &&
			    want[0] < '0' + STORE_SCHEMA_VERSION && !want[1])
				make = want[0] - '0';
			if (rows && strcmp(rows, "1") == 0)
				make = 1;
			snprintf(v, sizeof(v), "%d", make);
			if (store_set_meta(s, "schema_version", v) < 0) {
				sqlite3_exec(s->db, "ROLLBACK", NULL, NULL,
				             NULL);
				return -1;
			}
		}
		if (exec_sql(s, "COMMIT", "creating the schema") < 0)
			return -1;
	}
	if (store_get_meta(s, "schema_version", v, sizeof(v)) < 0) {
		char why[sizeof(s->err)];
		memcpy(why, s->err, sizeof(why));
		set_err(s, "not a vigil database (%s)", why);
		return -1;
	}
	ver = strtol(v, NULL, 10);
	if (ver < 1 || ver > STORE_SCHEMA_VERSION) {
		set_err(s, "database schema version %s; this vigil reads %d",
		        v, STORE_SCHEMA_VERSION);
		return -1;
	}
	/* Version 1 keeps its layout (every row in signals: an older vigil
	 * still reads it whole), and may lack the table when opened
	 * read-only; it is read wherever it exists. */
	sqlite3_stmt *st = stmt_get(s, ST_KF_EXISTS);
	int rc;
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_fail(s, "reading the schema");
	stmt_put(s, ST_KF_EXISTS, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	s->has_kf = rc == SQLITE_ROW;
	s->kf_pack = s->has_kf && ver == 2;
	s->chunks = ver >= 3;
	s->err[0] = '\0';
	return 0;
}

struct vg_store *
store_open(const char *path, int flags, char *err, size_t errlen)
{
	struct vg_store *s = calloc(1, sizeof(*s));
	int oflags = SQLITE_OPEN_NOMUTEX;
	int rdonly = (flags & STORE_RDONLY) != 0;
	int create = !rdonly && (flags & STORE_CREATE);

	if (s == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	s->last_bin = -1;
	s->rdonly = rdonly;
	oflags |= rdonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (create)
		oflags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		         s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	/* Readers map the file: a page read is a memory access instead of a
	 * pread() into each connection's own small cache (a day of a random
	 * AS's signals: 20% less CPU, 30% less time).  Writers never shrink
	 * the file (WAL, no VACUUM); a replay replaces it, which leaves the
	 * mapped one intact. */
	if (rdonly)
		exec_sql(s, "PRAGMA mmap_size = " STORE_MMAP_BYTES, "mmap");
	if (!rdonly) {
		/* WAL: readers never block the writer nor see a half-written
		 * bin; NORMAL: durable at checkpoints, consistent always. */
		if (exec_sql(s, "PRAGMA journal_mode = WAL", "WAL mode") < 0 ||
		    exec_sql(s,
		             "PRAGMA synchronous = NORMAL;"
		             "PRAGMA cache_size = -65536;"
		             "PRAGMA temp_store = MEMORY",
		             "pragmas") < 0)
			goto fail_msg;
	}
	if (setup_schema(s, create) < 0)
		goto fail_msg;
	return s;

fail_msg:
	snprintf(err, errlen, "%s: %s", path, s->err);
fail:
	/* statements the schema check prepared (a refused version) */
	for (int i = 0; i < ST_N; i++)
		sqlite3_finalize(s->stmt[i].st);
	if (s->db)
		sqlite3_close_v2(s->db);
	free(s);
	return NULL;
}

void
store_close(struct vg_store *s)
{
	if (s == NULL)
		return;
	/* An open transaction is rolled back: only store_commit commits. */
	for (int i = 0; i < ST_N; i++)
		sqlite3_finalize(s->stmt[i].st);
	sqlite3_close_v2(s->db);
	free(s->ents);
	free(s->ord);
	free(s->slot);
	free(s);
}

int
store_put_gap(struct vg_store *s, const char *collector, uint32_t from,
              uint32_t until, const char *reason)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(
	    s->db,
	    "INSERT OR REPLACE INTO gaps (collector, start, \"end\", reason) "
	    "VALUES (?, ?, ?, ?)",
	    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		db_fail(s, "storing a gap");
		return -1;
	}
	sqlite3_bind_text(st, 1, collector, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, until);
	sqlite3_bind_text(st, 4, reason ? reason : "", -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		db_fail(s, "storing a gap");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
