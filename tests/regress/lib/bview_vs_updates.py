#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Check a RIB dump against the updates it was built from.

usage: bview_vs_updates.py BVIEW_M UPDATES_M MIN [EXCLUDED_PREFIX...]

BVIEW_M is `bgpdump -m` of one bview (TABLE_DUMP2 lines), UPDATES_M is
`bgpdump -m` of the updates files (BGP4MP lines, in time order).  For every
route of the dump, the last announcement of that peer and prefix at or before
the dump's time must carry the same AS path, ORIGIN, NEXT_HOP, LOCAL_PREF,
MED, communities, ATOMIC_AGGREGATE and AGGREGATOR (and path id under ADD-PATH)
as the dump's line.  An update in the dump's own second may or may not be in
it, so the state just before that second is accepted too.  At least MIN
routes must be compared and every route of the dump must have its
announcement.  Prints one summary line, and the first mismatches.
"""
import sys

bview_m, upd_m, need = sys.argv[1], sys.argv[2], int(sys.argv[3])
excluded = set(sys.argv[4:])

dump = []
t_dump = None
for line in open(bview_m):
    f = line.rstrip("\n").split("|")
    if len(f) < 14 or f[2] != "B":
        continue
    ap = f[0].endswith("_AP")
    key = (f[3], f[4], f[5])
    dump.append((key, f[6:]))
    t_dump = int(f[1])
if t_dump is None:
    print("bview: no RIB entries")
    sys.exit(1)

# per (peer, asn, prefix): the route at the end of second t_dump ("now")
# and the one before that second began ("before")
now, before = {}, {}
for line in open(upd_m):
    f = line.rstrip("\n").split("|")
    if len(f) < 6 or f[2] not in ("A", "W"):
        continue
    t = float(f[1])
    if t >= t_dump + 1:
        continue
    key = (f[3], f[4], f[5])
    val = f[6:] if f[2] == "A" else None
    if t < t_dump:
        before[key] = val
    now[key] = val

compared = bad = 0
for key, val in dump:
    if key[2] in excluded:
        continue
    compared += 1
    if val == now.get(key) or val == before.get(key):
        continue
    bad += 1
    if bad <= 5:
        print("mismatch %s|%s|%s\n  bview:   %s\n  updates: %s" %
              (key[0], key[1], key[2], "|".join(val),
               "|".join(now.get(key) or ["(none)"])))
print("bview %d: %d routes compared with their last announcement, %d differ"
      % (t_dump, compared, bad))
sys.exit(0 if bad == 0 and compared >= need else 1)
