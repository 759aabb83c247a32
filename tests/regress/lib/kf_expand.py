#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Unpack the packed signal rows of a vigil database (the keyframes table of
schema version 2, the signal_chunks table of version 3) into ordinary
signals rows, as version 1 stored them: a second, independent reading of
the format documented in src/store/schema.sql.

  kf_expand.py DB OUT     copy DB to OUT with every packed entry moved
                          into signals, the keyframes and signal_chunks
                          tables dropped and schema_version 1 (a version
                          1 database)
  kf_expand.py --dump DB  print every signal row (signals, keyframes and
                          signal_chunks together) ordered by entity id, bin
  kf_expand.py --dump-text DB
                          the same with the entity's text for its id,
                          ordered by bin, text (ids differ between runs
                          that add entities in another order)
  kf_expand.py --query DB SQL
                          run SQL with a temporary table signals_all (the
                          columns of signals: every row of the three);
                          rows printed '|'-separated, NULL as ''

Exits 1 with a message on a malformed blob or an (entity, bin) that is in
two tables (or twice in one)."""
import math
import shutil
import sqlite3
import struct
import sys

CHUNK = 64


class Bad(Exception):
    pass


def varint(b, i):
    x = 0
    for k in range(10):
        if i >= len(b):
            raise Bad("truncated")
        c = b[i]
        i += 1
        x |= (c & 0x7F) << (7 * k)
        if not c & 0x80:
            if x >= 1 << 64:
                raise Bad("varint too long")
            return x, i
    raise Bad("varint too long")


def real(b, i, kind):
    if kind == 0:
        return None, i
    if kind == 1:
        z, i = varint(b, i)
        return float((z >> 1) ^ -(z & 1)), i
    if kind == 2:
        if i + 8 > len(b):
            raise Bad("truncated")
        v = struct.unpack("<d", bytes(b[i:i + 8]))[0]
        return (None if math.isnan(v) else v), i + 8
    raise Bad("bad kind")


def decode(first, data):
    """[(entity_id, v4, v6, prefixes, origins, ann, wd, pc, flaps,
    peers_up, baseline, inst)]"""
    n, i = varint(data, 0)
    if not 1 <= n <= CHUNK:
        raise Bad("count %d" % n)
    out, prev = [], first - 1
    for _ in range(n):
        gap, i = varint(data, i)
        eid = prev + 1 + gap
        if eid >= first + CHUNK:
            raise Bad("id outside the chunk")
        prev = eid
        if i >= len(data):
            raise Bad("truncated")
        tag = data[i]
        i += 1
        if tag & 0xE0 or tag & 3 == 3 or (tag >> 2) & 3 == 3:
            raise Bad("tag")
        v = []
        for _ in range(5):
            x, i = varint(data, i)
            v.append(x)
        v4, v6, pfx, orig, up = v
        cnt = [0, 0, 0, 0]
        if tag & 0x10:
            for k in range(4):
                cnt[k], i = varint(data, i)
        base, i = real(data, i, tag & 3)
        inst, i = real(data, i, (tag >> 2) & 3)
        out.append((eid, v4, v6, pfx, orig, *cnt, up, base, inst))
    if i != len(data):
        raise Bad("bytes after the last entry")
    return out


PACKED = ("keyframes", "signal_chunks")


def rows(db):
    """Every packed entry as a signals row (entity_id, bin_start, ...)."""
    res = []
    for table in PACKED:
        have = db.execute("select count(*) from sqlite_master where type = "
                          "'table' and name = ?", (table,)).fetchone()[0]
        if not have:
            continue
        for first, bin_start, bin_len, data in db.execute(
                "select first_id, bin_start, bin_len, data from " + table):
            try:
                ents = decode(first, data)
            except Bad as e:
                sys.exit("kf_expand: %s row (%d, %d): %s" %
                         (table, first, bin_start, e))
            for e in ents:
                res.append((e[0], bin_start, bin_len) + e[1:])
    return res


def all_rows(db):
    """signals and the packed tables together; an (entity, bin) twice is
    an error"""
    out = db.execute("select * from signals").fetchall()
    seen = {(r[0], r[1]) for r in out}
    for r in rows(db):
        if (r[0], r[1]) in seen:
            sys.exit("kf_expand: entity %d bin %d stored twice" %
                     (r[0], r[1]))
        seen.add((r[0], r[1]))
        out.append(r)
    return out


def line(r):
    return "|".join("" if x is None else
                    (repr(x) if isinstance(x, float) else str(x)) for x in r)


def main():
    if len(sys.argv) == 3 and sys.argv[1] in ("--dump", "--dump-text"):
        db = sqlite3.connect("file:%s?mode=ro" % sys.argv[2], uri=True)
        out = all_rows(db)
        if sys.argv[1] == "--dump-text":
            text = dict(db.execute("select id, text from entities"))
            out = [(text[r[0]],) + tuple(r[1:]) for r in out]
            out.sort(key=lambda r: (r[1], r[0]))
        else:
            out.sort(key=lambda r: (r[0], r[1], r[2]))
        for r in out:
            print(line(r))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--query":
        db = sqlite3.connect("file:%s?mode=ro" % sys.argv[2], uri=True)
        db.execute("create temp table signals_all as select * from signals "
                   "where 0")
        db.executemany("insert into temp.signals_all values "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       all_rows(db))
        for r in db.execute(sys.argv[3]):
            print(line(r))
        return
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    s = sqlite3.connect(src)
    s.execute("pragma wal_checkpoint(truncate)")
    s.close()
    shutil.copyfile(src, dst)
    db = sqlite3.connect(dst)
    kf = all_rows(db)[db.execute("select count(*) from signals")
                      .fetchone()[0]:]
    n0 = db.execute("select count(*) from signals").fetchone()[0]
    db.executemany("insert into signals values "
                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", kf)
    n1 = db.execute("select count(*) from signals").fetchone()[0]
    if n1 != n0 + len(kf):
        sys.exit("kf_expand: rows lost")
    for table in PACKED:
        db.execute("drop table if exists " + table)
    db.execute("update meta set value = '1' where key = 'schema_version'")
    db.commit()
    db.close()


if __name__ == "__main__":
    main()
