#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Check vigil replay's events against a scenario's scripted truth.

usage: check_scenario.py TRUTH.json EVENTS.jsonl ORIGIN=PREFIXFILE...

Prints "ok NAME" / "FAIL NAME" lines.  Rules:
  - every scripted outage of a whole origin is found on asn:ORIGIN (and,
    for the North Korean origin, on country:KP) with start and end within
    one bin (300 s), critical, depth 1, and evidence naming the prefixes;
  - a partial outage (fraction < 1) is found on asn:ORIGIN with the depth
    that the withdrawn share of the origin's address space gives, computed
    here independently from the prefixes (PREFIXFILE lists every prefix the
    origin announces, one per line);
  - a flap period is flagged as instability on the origin;
  - nothing else: session drops, table re-sends and churn raise no event
    (events on country:/upstream: entities overlapping a scripted event
    are that event seen from another angle and allowed).
"""
import ipaddress
import json
import sys

BIN = 300


def units(prefixes):
    """Union of /24 (v4) or /48 (v6) units covered by PREFIXES."""
    ivs = []
    for p in prefixes:
        n = ipaddress.ip_network(p, strict=False)
        bits = 24 if n.version == 4 else 48
        total = 32 if n.version == 4 else 128
        first = int(n.network_address) >> (total - bits)
        count = 1 << max(bits - n.prefixlen, 0)
        ivs.append((n.version, first, first + count))
    ivs.sort()
    out, cur = 0, None
    for v, s, e in ivs:
        if cur and cur[0] == v and s < cur[2]:
            if e > cur[2]:
                out += e - cur[2]
                cur = (v, cur[1], e)
        else:
            out += e - s
            cur = (v, s, e)
    return out


def main():
    truth = json.load(open(sys.argv[1]))
    events = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    origin_prefixes = {}
    for arg in sys.argv[3:]:
        o, f = arg.split("=", 1)
        origin_prefixes[int(o)] = [l.strip() for l in open(f) if l.strip()]
    failed = 0

    def check(name, cond, detail=""):
        nonlocal failed
        if cond:
            print("ok", name)
        else:
            failed += 1
            print("FAIL", name, detail)

    used = set()
    windows = []
    for t in truth["events"]:
        kind = t["kind"]
        windows.append((t["start_ts"] - BIN, t["end_ts"] + BIN))
        if kind in ("outage", "partial-outage"):
            origin = t["selector"]["origin"]
            ents = ["asn:%d" % origin] + (["country:KP"] if origin == 131279 else [])
            for ent in ents:
                cand = [e for e in events if e["entity"] == ent and e["kind"] == "outage"
                        and abs(e["start"] - t["start_ts"]) <= BIN]
                name = "%s_%s_%s" % (kind, ent.replace(":", "_"), t["start"])
                check(name + "_found", len(cand) == 1, "events: %s" % [
                    (e["entity"], e["kind"], e["start"]) for e in events if e["entity"] == ent])
                if not cand:
                    continue
                e = cand[0]
                used.add(e["id"])
                check(name + "_start_within_bin", abs(e["start"] - t["start_ts"]) <= BIN,
                      "start %s truth %s" % (e["start"], t["start_ts"]))
                check(name + "_end_within_bin", e["end"] is not None and abs(e["end"] - t["end_ts"]) <= BIN,
                      "end %s truth %s" % (e["end"], t["end_ts"]))
                if t["selector"]["fraction"] >= 1:
                    check(name + "_critical_full_depth", e["level"] == "critical" and e["depth"] > 0.999,
                          "level %s depth %s" % (e["level"], e["depth"]))
                    lost = sorted(x["prefix"] for x in e["evidence"] if x["what"] == "prefix")
                    check(name + "_evidence_prefixes", lost == sorted(t["affected_prefixes"]),
                          "%s vs %s" % (lost, sorted(t["affected_prefixes"])))
                    if origin == 131279:
                        ups = [x["asn"] for x in e["evidence"] if x["what"] == "upstream"]
                        check(name + "_evidence_upstream_4837", ups == [4837], "upstreams %s" % ups)
                else:
                    allp = origin_prefixes.get(origin)
                    if allp is None:
                        check(name + "_depth", False, "no prefix list for origin %d" % origin)
                        continue
                    gone = set(t["affected_prefixes"])
                    u_all = units(allp)
                    u_left = units([p for p in allp if p not in gone])
                    want = 1 - u_left / u_all
                    check(name + "_depth", abs(e["depth"] - want) <= 0.05,
                          "depth %.3f, withdrawn share of the address space %.3f" % (e["depth"], want))
                    want_level = "critical" if want >= 0.5 else "warning"
                    check(name + "_level", e["level"] == want_level,
                          "level %s for depth %.3f" % (e["level"], want))
        elif kind == "flap":
            origin = t["selector"]["origin"]
            ent = "asn:%d" % origin
            cand = [e for e in events if e["entity"] == ent and e["kind"] == "instability"
                    and e["start"] <= t["end_ts"] and (e["end"] or 1 << 40) >= t["start_ts"]]
            name = "flap_%s_%s" % (ent.replace(":", "_"), t["start"])
            check(name + "_flagged", len(cand) >= 1)
            for e in cand:
                used.add(e["id"])
                check(name + "_starts_near", abs(e["start"] - t["start_ts"]) <= 2 * BIN,
                      "start %s truth %s" % (e["start"], t["start_ts"]))
            # the episode lasts as long as the flapping does
            last = max([e["end"] or 1 << 40 for e in cand] or [0])
            check(name + "_lasts", last >= t["end_ts"] - 2 * BIN,
                  "episode ends %s, flapping until %s" % (last, t["end_ts"]))
    # everything else must be explained by a scripted outage/flap window
    scripted = [(t["start_ts"] - BIN, t["end_ts"] + BIN) for t in truth["events"]
                if t["kind"] in ("outage", "partial-outage", "flap")]
    stray = []
    for e in events:
        if e["id"] in used:
            continue
        in_window = any(a <= e["start"] <= b for a, b in scripted)
        if in_window and (e["entity"].startswith("country:") or e["entity"].startswith("upstream:")
                          or e["entity"] == "asn:131279"):
            continue
        stray.append((e["entity"], e["kind"], e["start"], e["end"]))
    check("no_false_events", not stray, "unexplained events: %s" % stray[:10])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
