#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Make the route tables that the interop tests' real routers announce.

usage: interop_table.py DUMP.txt N OUTDIR

DUMP.txt is `vigil dump -m` of a real full-table session (the 2015 RIS
BGP4MP_ET capture).  From its IPv4 announcements (prefix lengths 8..24, AS
paths without sets, last announcement of each prefix wins) N prefixes are
picked, spread evenly over the table, always including North Korea's four
/24s 175.45.176-179.0/24 (path ... 4837 131279).  Every prefix keeps its
real AS path (the router prepends its own AS, or the test writes it).

Written to OUTDIR:
  prefixes.txt        one prefix a line (the whole table)
  kp.txt              the KP /24s
  paths.txt           PREFIX<TAB>AS PATH
  big-NH.mrt, kp-NH.mrt  TABLE_DUMP_V2 (PEER_INDEX_TABLE + RIB_IPV4_UNICAST,
                      ORIGIN / AS_PATH / NEXT_HOP NH) of the table without
                      / with only the KP /24s, for NH in 10.255.0.4
                      (OpenBGPD) and 10.255.0.6 (GoBGP)
The rest hold the table without the KP /24s (the test announces those):
  bird-big.conf       BIRD static protocol "big4", each route's real path
                      set per route (bgp_path.prepend), exported as is
  frr-big.conf        vtysh input: `network P route-map REAL` lines (FRR
                      cannot set a path per network without a route-map
                      each, so its paths are 65003 64500)
  v6.txt, bird-v6.conf, frr-v6.conf, exabgp-v6.txt
                      100 IPv6 documentation /48s (path 64500) for every
                      router, sent over the IPv4 session (MP-BGP)
  exabgp-big.txt      ExaBGP API lines, `announce attributes ... nlri`,
                      routes of one path grouped (≤ 500 prefixes a line)
"""
import os
import struct
import sys

KP = ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"]


def load(path):
    routes = {}
    for line in open(path, errors="replace"):
        f = line.rstrip("\n").split("|")
        if len(f) < 7:
            continue
        if f[2] == "W":
            routes.pop(f[5], None)
            continue
        if f[2] != "A" or ":" in f[5] or "{" in f[6]:
            continue
        pfx, _, ln = f[5].partition("/")
        if not ln.isdigit() or not 8 <= int(ln) <= 24:
            continue
        try:
            path = [int(a) for a in f[6].split()]
        except ValueError:
            continue
        if not path or any(a == 0 or a > 0xFFFFFFFF for a in path):
            continue
        routes[f[5]] = path
    return routes


def attrs(path, nh):
    a = struct.pack("!BBBB", 0x40, 1, 1, 0)  # ORIGIN IGP
    segs = b""
    for i in range(0, len(path), 255):
        chunk = path[i:i + 255]
        segs += struct.pack("!BB", 2, len(chunk)) + b"".join(struct.pack("!I", x) for x in chunk)
    if len(segs) > 255:
        a += struct.pack("!BBH", 0x50, 2, len(segs)) + segs
    else:
        a += struct.pack("!BBB", 0x40, 2, len(segs)) + segs
    a += struct.pack("!BBB", 0x40, 3, 4) + bytes(map(int, nh.split(".")))
    return a


def key(p):
    a, _, n = p.partition("/")
    b = a.split(".")
    return ((int(b[0]) << 24) | (int(b[1]) << 16) | (int(b[2]) << 8) | int(b[3]), int(n))


def mrt(out, table, nh, ts=1445565700):
    def rec(sub, body):
        out.write(struct.pack("!IHHI", ts, 13, sub, len(body)) + body)
    peer = (struct.pack("!B", 2) + bytes(map(int, "10.255.0.250".split(".")))
            + bytes(map(int, "10.255.0.250".split("."))) + struct.pack("!I", 64999))
    rec(1, bytes(map(int, "10.255.0.250".split("."))) + struct.pack("!HH", 0, 1) + peer)
    for seq, (p, path) in enumerate(table):
        addr, ln = key(p)
        nb = (ln + 7) // 8
        a = attrs(path, nh)
        body = (struct.pack("!IB", seq, ln) + struct.pack("!I", addr)[:nb]
                + struct.pack("!HHIH", 1, 0, ts, len(a)) + a)
        rec(2, body)


def main():
    dump, n, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    routes = load(dump)
    for p in KP:
        if p not in routes:
            sys.exit("interop_table: %s is not in %s" % (p, dump))
    others = sorted((p for p in routes if p not in KP), key=key)
    if len(others) < n - len(KP):
        sys.exit("interop_table: only %d prefixes in %s" % (len(others), dump))
    step = len(others) / (n - len(KP))
    chosen = [others[int(i * step)] for i in range(n - len(KP))] + KP
    chosen.sort(key=key)
    table = [(p, routes[p]) for p in chosen]
    big = [(p, a) for p, a in table if p not in KP]
    kp = [(p, routes[p]) for p in KP]
    os.makedirs(outdir, exist_ok=True)
    j = lambda f: os.path.join(outdir, f)
    with open(j("prefixes.txt"), "w") as f:
        f.writelines(p + "\n" for p, _ in table)
    with open(j("kp.txt"), "w") as f:
        f.writelines(p + "\n" for p in KP)
    with open(j("paths.txt"), "w") as f:
        f.writelines("%s\t%s\n" % (p, " ".join(map(str, a))) for p, a in table)
    for nh in ("10.255.0.4", "10.255.0.6"):
        with open(j("big-%s.mrt" % nh), "wb") as f:
            # `gobgp mrt inject` loses the last few hundred entries of a
            # file (its stream is cut before they are applied), so the
            # first 5,000 routes are repeated at the end.
            mrt(f, big + (big[:5000] if nh == "10.255.0.6" else []), nh)
        with open(j("kp-%s.mrt" % nh), "wb") as f:
            mrt(f, kp, nh)
    with open(j("bird-big.conf"), "w") as f:
        f.write("protocol static big4 {\n  ipv4;\n")
        for p, path in big:
            pre = " ".join("bgp_path.prepend(%d);" % a for a in reversed(path))
            f.write("  route %s blackhole { %s };\n" % (p, pre))
        f.write("}\n")
    with open(j("frr-big.conf"), "w") as f:
        f.write("router bgp 65003\n address-family ipv4 unicast\n")
        for p, _ in big:
            f.write("  network %s route-map REAL\n" % p)
        f.write(" exit-address-family\n")
    # IPv6 (carried over the IPv4 session, MP-BGP): 100 documentation /48s
    v6 = ["2001:db8:%x::/48" % i for i in range(1, 101)]
    with open(j("v6.txt"), "w") as f:
        f.writelines(p + "\n" for p in v6)
    with open(j("bird-v6.conf"), "w") as f:
        f.write("protocol static s6 {\n  ipv6;\n")
        f.writelines("  route %s blackhole { bgp_path.prepend(64500); };\n" % p for p in v6)
        f.write("}\n")
    with open(j("frr-v6.conf"), "w") as f:
        f.writelines("  network %s route-map REAL\n" % p for p in v6)
    groups = {}
    for p, path in big:
        groups.setdefault(tuple(path), []).append(p)
    with open(j("exabgp-big.txt"), "w") as f:
        for path, ps in groups.items():
            for i in range(0, len(ps), 500):
                f.write("announce attributes origin igp next-hop 10.255.0.5 as-path [ 65005 %s ] nlri %s\n"
                        % (" ".join(map(str, path)), " ".join(ps[i:i + 500])))
    with open(j("exabgp-v6.txt"), "w") as f:
        f.write("announce attributes origin igp next-hop 2001:db8:ffff::5 as-path [ 65005 64500 ] nlri %s\n"
                % " ".join(v6))
    print("%d routes, %d paths, %d IPv6 routes" % (len(table), len(groups), len(v6)))


if __name__ == "__main__":
    main()
