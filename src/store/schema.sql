-- SPDX-License-Identifier: BSD-2-Clause
-- The vigil database schema (version 3).  Where the signal rows are kept
-- is what the versions differ in: version 1 holds every row in signals;
-- version 2 packs the rows written only because a keyframe bin came
-- (keyframes) and keeps the others in signals; version 3 packs every row
-- (signal_chunks), and leaves signals and keyframes empty.  vigil reads all
-- three, and writes a file in the layout it was created with.  This file is
-- the readable source;
-- src/store/schema.c holds the same text as a C string (regenerate it with
-- src/store/schema_gen.sh; tests/unit/store_test.c fails if they differ).
-- Every statement is idempotent: store_open(STORE_CREATE) runs all of it.
--
-- Conventions: times are Unix seconds (UTC) in INTEGER columns; counts are
-- INTEGER; an unknown floating-point value (NaN in C) is NULL.  Entity kinds
-- are 1 country, 2 asn, 3 upstream; event kinds 1 outage, 2 instability;
-- levels 1 warning, 2 critical (the enums of include/vigil/entity.h).

-- Facts about the run as key/value text: schema_version, bin_len, the
-- inputs and options of the replay or collector that wrote it.
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,  -- e.g. 'schema_version', 'bin_len', 'source'
	value TEXT NOT NULL
) WITHOUT ROWID;

-- Collector peers (BGP sessions that feed the tables), one row each.
CREATE TABLE IF NOT EXISTS peers (
	collector   TEXT NOT NULL,    -- collector name, e.g. 'rrc00', 'route-views2'
	addr        TEXT NOT NULL,    -- peer address as text ('' if unknown)
	asn         INTEGER NOT NULL, -- peer AS number
	v4_routes   INTEGER NOT NULL, -- IPv4 routes held at the last update
	v6_routes   INTEGER NOT NULL, -- IPv6 routes held at the last update
	full_v4     INTEGER NOT NULL, -- 1 if a full IPv4 feed now, else 0
	full_v6     INTEGER NOT NULL, -- 1 if a full IPv6 feed now, else 0
	up          INTEGER NOT NULL, -- 1 if the session is up, else 0
	last_change INTEGER NOT NULL, -- when up/full_* last changed
	PRIMARY KEY (collector, addr, asn)
) WITHOUT ROWID;

-- What is watched: a country, an origin AS, or a country's upstream AS.
CREATE TABLE IF NOT EXISTS entities (
	id   INTEGER PRIMARY KEY,              -- internal key for signals/events
	kind INTEGER NOT NULL,                 -- 1 country, 2 asn, 3 upstream
	cc   TEXT NOT NULL DEFAULT '',         -- country code (country, upstream)
	asn  INTEGER NOT NULL DEFAULT 0,       -- origin AS (asn), upstream AS
	text TEXT NOT NULL UNIQUE,             -- 'country:KP', 'asn:131279',
	                                       -- 'upstream:KP:4837'
	name TEXT NOT NULL DEFAULT ''          -- 'North Korea', 'STAR-KP', the
	                                       -- upstream AS's name; '' unknown
);
-- Listings by kind (every country for a map) without reading every AS.
CREATE INDEX IF NOT EXISTS entities_by_kind ON entities (kind, cc, asn);

-- Time bins that hold signals (one row per bin): the covered time range,
-- and the driver of per-entity signal reads (see signals).  Every
-- bin_start in signals, keyframes and signal_chunks must have its row
-- here; store_put_signals sees to
-- it, and whoever writes signals by other means must too.
CREATE TABLE IF NOT EXISTS bins (
	bin_start INTEGER PRIMARY KEY,  -- start of the bin
	bin_len   INTEGER NOT NULL      -- its length in seconds (e.g. 300)
);

-- One entity's signal in one bin [bin_start, bin_start + bin_len), as an
-- SQL row: the layout of versions 1 and 2 (version 3 packs these rows in
-- signal_chunks, below, and leaves this table empty).
-- Visibility columns are the state at the END of the bin; counters count
-- what happened during it.
--
-- The key is time first: a replay writes every entity's row of a bin at
-- once, and with (bin_start, entity_id) those rows append to the end of the
-- B-tree (~350k rows/s).  Keyed entity first, each bin would dirty one page
-- per entity (4 KiB of WAL per row; ~45k rows/s).  One entity's series is
-- read through the bins table, one key lookup per bin:
--   SELECT s.* FROM bins b CROSS JOIN signals s
--     ON s.bin_start = b.bin_start AND s.entity_id = ?
--   WHERE b.bin_start BETWEEN ? AND ? ORDER BY b.bin_start;
-- (~7 us a bin: 60 ms for 30 days of 5-minute bins).  The same key makes
-- "every entity at time T" (a dashboard map) one range read.
CREATE TABLE IF NOT EXISTS signals (
	entity_id     INTEGER NOT NULL,  -- entities.id
	bin_start     INTEGER NOT NULL,  -- start of the bin
	bin_len       INTEGER NOT NULL,  -- seconds
	v4_units      INTEGER NOT NULL,  -- visible IPv4 /24s
	v6_units      INTEGER NOT NULL,  -- visible IPv6 /48s
	prefixes      INTEGER NOT NULL,  -- visible prefixes
	origins       INTEGER NOT NULL,  -- visible origin ASNs
	announcements INTEGER NOT NULL,  -- announcements (incl. duplicates)
	withdrawals   INTEGER NOT NULL,  -- withdrawals
	path_changes  INTEGER NOT NULL,  -- announcements that changed a path
	flaps         INTEGER NOT NULL,  -- withdrawn and back (or the reverse)
	                                 -- by one peer within the bin
	peers_up      INTEGER NOT NULL,  -- full-feed peer ASNs up
	baseline      REAL,              -- detector's visibility baseline
	                                 -- (units); NULL while warming up
	inst_score    REAL,              -- instability score (robust z); NULL
	                                 -- if none
	PRIMARY KEY (bin_start, entity_id)  -- time first: see above
) WITHOUT ROWID;

-- Keyframe rows, packed.  Once an hour (every 12th bin of 5 minutes: bins
-- whose bin_start / bin_len is a multiple of 12) the detector writes a
-- signal for every entity, changed or not, so that a reader never looks
-- back more than an hour for an entity's state.  The rows it writes ONLY
-- for that reason (nothing changed since its last row, no event open or
-- pending) are not in signals but here, the rows of 64 consecutive entity
-- ids in one blob: one SQLite row per (chunk, keyframe bin) instead of 64.
-- Together, signals and keyframes hold what signals alone held in version
-- 1; an (entity, bin) is in one or the other, never both.  The store's
-- readers (store_query_signals, store_signal_at) merge them.  Keyed time
-- first, like signals, so a keyframe bin's blobs append to the end of the
-- B-tree (keyed chunk first, each blob went into the middle of its
-- chunk's run: a page split apiece, 4 times the pages written).  Readers
-- go through keyframes_by_chunk: "the chunk's latest keyframe at or
-- before T" is one seek there and one in the table.  (Files written
-- before this key order, chunk first, have no index and need none: the
-- same queries read both.)
--
-- data: varint N (1..64, entries), then N entries in increasing id order.
-- Varints are unsigned LEB128 (7 bits a byte, low first, at most 10 bytes).
-- An entry:
--   varint  id gap: entity_id - previous id - 1 (the first: entity_id -
--           first_id); every id is in [first_id, first_id + 64)
--   byte    tag: bits 0-1 how baseline is stored, bits 2-3 inst_score
--           (0 NULL, 1 an integer as a zigzag varint, 2 eight bytes of
--           IEEE 754 binary64, little-endian); bit 4 set when the four
--           counters follow (else they are 0); bits 5-7 zero
--   varint  v4_units, v6_units, prefixes, origins, peers_up
--   varint  announcements, withdrawals, path_changes, flaps (if bit 4)
--   baseline, then inst_score, as the tag says
-- bin_start and bin_len are the row's.  Doubles read back exactly, as
-- from signals (where SQLite turns -0.0 into 0: so does the encoder).
CREATE TABLE IF NOT EXISTS keyframes (
	first_id  INTEGER NOT NULL,  -- entity id / 64 * 64
	bin_start INTEGER NOT NULL,  -- the keyframe bin (has its bins row)
	bin_len   INTEGER NOT NULL,  -- seconds
	data      BLOB NOT NULL,     -- the entries, as above
	PRIMARY KEY (bin_start, first_id)  -- time first: see above
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keyframes_by_chunk ON keyframes (first_id, bin_start);

-- Version 3: every signal row, packed.  The rows of one bin whose entity
-- ids share a chunk of 64 (first_id = entity_id / 64 * 64) are one blob,
-- in the format of keyframes.data (above): one SQLite row per (bin, chunk)
-- instead of one per (bin, entity).  A bin holds the rows of the entities
-- that changed in it, and at keyframe bins (see keyframes) those of every
-- entity, so an entity's state at T is in the latest chunk row at or
-- before T that lists it, at most an hour back (asked for a time before
-- an entity's first row, the walk goes back to the first bin: a lookup
-- a bin, about 0.9 us each at the day read's rate, so some 8 ms for 30
-- days; estimated, not measured).  A reader still takes one
-- key lookup per bin, as signals took, and a decode (a day of one entity:
-- 252 us, against 239 us for version 2); the writer writes fewer, larger
-- rows: on the replay benchmark (12 full-feed peers, 54k entities, a day)
-- 609k signals rows and 19.6k keyframes blobs become 178k chunk rows, and
-- the replay spends about 0.3 s less (wall).  Keyed time first, like
-- signals, and read the same way, through bins:
--   SELECT b.bin_start, c.bin_len, c.data FROM bins b CROSS JOIN
--     signal_chunks c ON c.bin_start = b.bin_start AND c.first_id = ?
--   WHERE b.bin_start BETWEEN ? AND ? ORDER BY b.bin_start;
-- (no second index: one keyed chunk first would take a write in the
-- middle of its b-tree for every row; not measured, by the keyframes
-- table's key-order figures of version 2).
-- tests/regress/lib/kf_expand.py unpacks a file into plain signals rows
-- (a version 1 file) for SQL work.
CREATE TABLE IF NOT EXISTS signal_chunks (
	bin_start INTEGER NOT NULL,  -- the bin (has its bins row)
	first_id  INTEGER NOT NULL,  -- entity id / 64 * 64
	bin_len   INTEGER NOT NULL,  -- seconds
	data      BLOB NOT NULL,     -- the entries, as in keyframes.data
	PRIMARY KEY (bin_start, first_id)
) WITHOUT ROWID;

-- Outages and instability episodes raised by the detectors.  The detector
-- re-writes an event (same id) when it deepens and when it ends.
CREATE TABLE IF NOT EXISTS events (
	id               INTEGER PRIMARY KEY,  -- detector's stable event id
	entity_id        INTEGER NOT NULL,     -- entities.id
	kind             INTEGER NOT NULL,     -- 1 outage, 2 instability
	level            INTEGER NOT NULL,     -- highest reached: 1 warning,
	                                       -- 2 critical
	start            INTEGER NOT NULL,     -- first bin of the event
	"end"            INTEGER,              -- restoration time; NULL while
	                                       -- the event is open
	depth            REAL,                 -- outage: largest fraction of
	                                       -- the baseline lost (0..1);
	                                       -- instability: peak score
	severity         REAL,                 -- grows with depth x duration
	baseline         REAL,                 -- visibility before (units)
	bottom           REAL,                 -- lowest visibility (units)
	n_evidence_total INTEGER NOT NULL      -- evidence items found (the
	                                       -- evidence table may hold fewer)
);
CREATE INDEX IF NOT EXISTS events_by_start ON events (start);
CREATE INDEX IF NOT EXISTS events_by_entity ON events (entity_id, start);
CREATE INDEX IF NOT EXISTS events_open ON events (start) WHERE "end" IS NULL;

-- What disappeared (or shook) in an event, in the detector's order.
CREATE TABLE IF NOT EXISTS evidence (
	event_id INTEGER NOT NULL,  -- events.id
	seq      INTEGER NOT NULL,  -- 0, 1, ... within the event
	what     TEXT NOT NULL,     -- 'p' prefix, 'o' origin AS, 'u' upstream
	text     TEXT NOT NULL,     -- prefix text, or ''
	asn      INTEGER NOT NULL,  -- origin/upstream AS, or the prefix's origin
	upstream INTEGER NOT NULL,  -- for prefixes: the upstream it was seen
	                            -- via; 0 if none
	path     TEXT NOT NULL,     -- a sample AS path before the event, or ''
	PRIMARY KEY (event_id, seq)
) WITHOUT ROWID;

-- Intervals with no data from a collector: archive files that were missing
-- (not published, or not downloadable) when `vigil replay --collector
-- ... --from ... --until ...` fetched them.  The detectors do not judge
-- the bins that overlap a gap (no outage is reported for lack of data).
CREATE TABLE IF NOT EXISTS gaps (
	collector TEXT NOT NULL,     -- e.g. 'rrc00', 'route-views2'
	start     INTEGER NOT NULL,  -- first second without data
	"end"     INTEGER NOT NULL,  -- end of the gap (exclusive)
	reason    TEXT NOT NULL,     -- e.g. 'no update file in the archive',
	                             -- 'HTTP 404', 'timed out ...'
	PRIMARY KEY (collector, start)
) WITHOUT ROWID;

-- For people with the sqlite3 shell: events with their entity and times
-- as text, newest first.
CREATE VIEW IF NOT EXISTS event_list AS
SELECT e.id, n.text AS entity, n.name,
       CASE e.kind WHEN 1 THEN 'outage' WHEN 2 THEN 'instability' END
           AS kind,
       CASE e.level WHEN 1 THEN 'warning' WHEN 2 THEN 'critical' END
           AS level,
       strftime('%Y-%m-%dT%H:%M:%SZ', e.start, 'unixepoch') AS start,
       strftime('%Y-%m-%dT%H:%M:%SZ', e."end", 'unixepoch') AS "end",
       e.depth, e.severity, e.baseline, e.bottom, e.n_evidence_total
FROM events e JOIN entities n ON n.id = e.entity_id
ORDER BY e.start DESC;
