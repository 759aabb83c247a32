#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compare `vigil serve` answers of databases that hold the same signals in
different layouts (tests/regress/keyframes.sh): the first URL serves the
packed database (schema version 2), the others version 1 references.

  kf_compare.py V1DB URL URL...

V1DB (a version 1 database: every row in signals) picks the entities and
times: every country, KP's upstreams and every 40th other upstream, every
160th origin AS, the entities that appear late (their first row hours after
the first bin: readers must not find an older keyframe of their chunk), at
keyframe bins, a second before and a bin after them, between keyframes,
before the first bin and at the last.  Every answer must be byte-identical
across the URLs.  Prints ok/FAIL lines."""
import sqlite3
import sys
import urllib.error
import urllib.parse
import urllib.request


def get(base, path):
    try:
        with urllib.request.urlopen(base + path, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main():
    db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
    urls = sys.argv[2:]
    first, last, bl = db.execute(
        "select min(bin_start), max(bin_start), max(bin_len) from bins"
    ).fetchone()
    ents = [t for (t,) in db.execute(
        "select text from entities where kind = 1 order by id")]
    ents += [t for (t,) in db.execute(
        "select text from entities where kind = 3 and (cc = 'KP' or "
        "id % 40 = 0) order by id")]
    ents += [t for (t,) in db.execute(
        "select text from entities where kind = 2 and (id % 160 = 0 or "
        "asn in (131279, 17557)) order by id")]
    late = [t for (t,) in db.execute(
        "select e.text from entities e join (select entity_id, "
        "min(bin_start) m from signals group by 1) f on f.entity_id = e.id "
        "where f.m >= ? order by f.m desc, e.id limit 40", (first + 7200,))]
    ents += late
    kf = [t for t in range(first, last + 1, bl) if (t // bl) % 12 == 0]
    mid = [k + 5 * bl for k in kf if k + 5 * bl <= last]
    times = sorted(set([first - 1, first, last, last + 7200] + kf +
                       [k - 1 for k in kf] + [k + bl for k in kf] + mid))
    fail = n = 0

    def same(path):
        nonlocal fail, n
        ans = [get(u, path) for u in urls]
        n += 1
        for u, a in zip(urls[1:], ans[1:]):
            if a != ans[0]:
                fail += 1
                if fail <= 5:
                    print("  differs: %s (%s: %d, %d bytes; %s: %d, %d "
                          "bytes)" % (path, urls[0], ans[0][0],
                                      len(ans[0][1]), u, a[0], len(a[1])))
        return ans[0]

    codes = {}
    for e in ents:
        q = urllib.parse.quote(e, safe=":")
        for f, u in ((first, last), (kf[1] - bl, kf[2] + bl),
                     (kf[-1] + bl, last), (first + 7 * bl, first + 7 * bl)):
            c, _ = same("/api/v1/signals/%s?from=%d&until=%d" % (q, f, u))
            codes[c] = codes.get(c, 0) + 1
    print("%s kf_api_signals_same (%d entities, %d requests, status %s)" %
          ("ok" if fail == 0 and codes.get(200, 0) > len(ents) else "FAIL",
           len(ents), n, codes))
    f0, n0 = fail, n
    for t in times:
        same("/api/v1/status?at=%d" % t)
    print("%s kf_api_status_same (%d times)" %
          ("ok" if fail == f0 else "FAIL", n - n0))
    # the late entities: the reason they are here must hold
    print("%s kf_late_entities (%d)" % ("ok" if len(late) >= 5 else "FAIL",
                                       len(late)))
    sys.exit(1 if fail else 0)


if __name__ == "__main__":
    main()
