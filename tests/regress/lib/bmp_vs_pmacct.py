#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""BMP conformance: vigil's decoding of a real router's BMP stream against
pmacct's (nfacctd / pmbmpd) JSON output for the same stream.

usage: bmp_vs_pmacct.py CASE_DIR (--vigil BIN | --json NN=FILE ...)

CASE_DIR is one of ../shared/data/bmp/2xx-*: traffic-NN.pcap.flow0.bmp
(the stream), traffic-reproducer-NN.yml (the router's address, repro_ip,
which pmacct reports as bmp_router), output-bmp-*.json (pmacct's JSON
lines).  vigil's side is `BIN dump --json traffic-NN.pcap.flow0.bmp`, or
the JSON lines in FILE (e.g. what the TCP listener printed) for NN.

Prints one "ok NAME (counts)" or "FAIL NAME: detail" line per category
and case, exit 1 on any FAIL.  Every record pmacct printed must match a
record vigil printed and the other way round (multisets), field by field.

Categories (pmacct's bmp_msg_type / log_type -> what vigil printed):
  init        init               -> {"type":"bmp","bmp":{"msg":"initiation"}}
  peer_up     peer_up            -> state element, bmp.msg peer_up
  peer_down   peer_down          -> state element, bmp.msg peer_down
  update      route_monitor/update   -> announce elements
  withdraw    route_monitor/withdraw -> withdraw elements
  eor         route_monitor/end-of-rib -> {"type":"end_of_rib"}
  stats       stats (one line per counter) -> bmp.stats[] entries
  rib_delete  internal/delete: pmacct's own table, flushed when a peer goes
              down or the router disconnects -> vigil's elements replayed
              into a table here; the flushed routes and their attributes
              must be exactly what that table holds for the peer
  rib_dump    (203) pmacct's periodic table dump -> the same table at the
              end of the stream, and the peers up
  withdraw_attrs  pmacct prints, on a withdrawal, the attributes the route
              had in its table -> the replayed table must hold them

Representation differences normalised (and nothing else):
  - timestamps: pmacct "SEC.USEC" string; vigil timestamp + usec fields;
  - as_path, comms, ecomms, lcomms: pmacct prints lists or space-separated
    strings depending on its configuration; both become lists;
  - ecomms: vigil prints the 8 raw bytes in hex, converted here to
    pmacct's "RT:AS:N" / "SoO:AS:N" / "RT:a.b.c.d:N" text;
  - origin: pmacct i/e/u, vigil IGP/EGP/INCOMPLETE;
  - peer flags: pmacct is_in/is_post/is_out/is_loc/is_filtered (null when
    not applicable), vigil peer_type + post_policy/adj_rib_out/filtered;
  - rd: pmacct prints one "rd" with rd_origin "bgp" (the VPN NLRI's RD) or
    "bmp" (the per-peer header's distinguisher); vigil prints bmp.rd and
    bmp.peer_rd separately (peer_rd only when non-zero);
  - mpls_label: pmacct the first label as a string, vigil bmp.labels[];
  - aigp / psid_li: vigil does not decode AIGP (26) or Prefix-SID (40); it
    keeps them raw in unknown_attrs, decoded here (AIGP TLV 1, Prefix-SID
    label index TLV 1);
  - counters: pmacct one line per counter, vigil one object per message.
Every line pmacct printed is compared except its own markers (log_init,
dump_init, dump_close) and the Initiation it repeats in a table dump.
Fields pmacct prints that the BMP stream does not carry (seq, writer_id,
timestamp_arrival, bmp_router_port, label, tag, peer_tcp_port, the
internal/delete and dump lines' timestamps, which are pmacct's own clock)
are not compared.
"""
import collections
import json
import os
import re
import subprocess
import sys

PEER_TYPES = {"global": 0, "rd": 1, "local": 2, "loc_rib": 3}
ORIGIN = {"IGP": "i", "EGP": "e", "INCOMPLETE": "u"}

failures = 0


def say_ok(name, detail):
    print("ok %s (%s)" % (name, detail))


def say_fail(name, detail):
    global failures
    failures += 1
    print("FAIL %s: %s" % (name, detail))


def as_list(v):
    if v is None:
        return []
    if isinstance(v, list):
        return [str(x) for x in v]
    return v.split()


def nh_norm(a):
    # pmacct prints an IPv4 next hop as ::ffff:a.b.c.d in some places and
    # ::ffff:a.b.c.d as a.b.c.d in others: both sides use the IPv4 form
    if a and a.startswith("::ffff:") and "." in a:
        return a[7:]
    return a


def comm_sorted(v):
    # pmacct prints communities sorted (its community code canonicalises
    # the list); vigil in wire order
    def k(c):
        try:
            return tuple(int(x) for x in c.split(":"))
        except ValueError:
            return (1 << 40, c)
    return tuple(sorted(v, key=k))


def ts(sec, usec):
    return "%d.%06d" % (sec, usec or 0)


def ecomm_text(h):
    b = bytes.fromhex(h)
    t, st = b[0] & 0x3F, b[1]
    name = {2: "RT", 3: "SoO"}.get(st)
    if name is None:
        return "0x" + h
    if t == 0:
        return "%s:%d:%d" % (name, int.from_bytes(b[2:4], "big"),
                             int.from_bytes(b[4:8], "big"))
    if t == 1:
        return "%s:%d.%d.%d.%d:%d" % (name, b[2], b[3], b[4], b[5],
                                      int.from_bytes(b[6:8], "big"))
    if t == 2:
        return "%s:%d:%d" % (name, int.from_bytes(b[2:6], "big"),
                             int.from_bytes(b[6:8], "big"))
    return "0x" + h


# ---- vigil side -------------------------------------------------------------

def flags_key(peer_type, post, out, filtered):
    if peer_type == 3:
        return ("loc", 1 if filtered else 0)
    return ("out" if out else "in", 1 if post else 0)


def v_peer(o):
    b = o["bmp"]
    pt = PEER_TYPES.get(b.get("peer_type"), b.get("peer_type"))
    return (o.get("peer"), pt,
            flags_key(pt, b.get("post_policy"), b.get("adj_rib_out"),
                      b.get("filtered")))


def unknown_attr(o, t):
    for a in o.get("unknown_attrs", []):
        if a["type"] == t:
            return bytes.fromhex(a["value"])
    return None


def v_aigp(o):
    v = unknown_attr(o, 26)
    while v and len(v) >= 3:
        tt, ll = v[0], int.from_bytes(v[1:3], "big")
        if tt == 1 and ll == 11:
            return int.from_bytes(v[3:11], "big")
        v = v[ll:] if ll >= 3 else b""
    return None


def v_psid_li(o):
    v = unknown_attr(o, 40)
    while v and len(v) >= 3:
        tt, ll = v[0], int.from_bytes(v[1:3], "big")
        if tt == 1 and ll == 7:
            return int.from_bytes(v[6:10], "big")
        v = v[3 + ll:]
    return None


def v_attrs(o):
    labels = o["bmp"].get("labels") or []
    return (
        nh_norm(o.get("next_hop")),
        tuple(as_list(o.get("as_path"))),
        comm_sorted(o.get("communities", [])),
        tuple(sorted(ecomm_text(h) for h in o.get("ext_communities", []))),
        comm_sorted(o.get("large_communities", [])),
        ORIGIN.get(o.get("origin")),
        o.get("local_pref"),
        o.get("med"),
        str(labels[0]) if labels else None,
        v_aigp(o),
        v_psid_li(o),
        o.get("otc"),
    )


def v_route_key(o):
    b = o["bmp"]
    peer = v_peer(o)
    safi = o.get("safi", 1)
    rd, rd_origin = None, None
    if b.get("rd"):
        rd, rd_origin = b["rd"], "bgp"
    elif b.get("peer_rd") and safi != 4:
        # pmacct does not attach the per-peer distinguisher to labeled
        # unicast (SAFI 4) routes; vigil prints it as bmp.peer_rd
        rd, rd_origin = b["peer_rd"], "bmp"
    afi = 2 if ":" in o["prefix"] else 1
    return (peer, rd, rd_origin, afi, safi, o["prefix"],
            o.get("path_id"))


def vigil_records(objs):
    """pmacct-comparable records from vigil's JSON lines, plus the table
    replay (rib_delete, rib_dump, withdraw_attrs checks)."""
    rec = collections.defaultdict(list)
    rib = {}          # route key -> attrs
    peer_routes = collections.defaultdict(set)  # (peer ip, type, flags, rd)
    deletes = []      # (peer key, [(route key, attrs)]) at each peer down
    withdraw_attrs = []
    peers_up = []     # one entry per Peer Up still standing (pmacct's dump
                      # repeats a peer once per Peer Up it received)
    for o in objs:
        b = o.get("bmp", {})
        msg = b.get("msg")
        if o["type"] == "bmp" and msg == "initiation":
            info = b.get("info", {})
            rec["init"].append((info.get("sysname"), info.get("sysdescr"),
                                tuple(info.get("string", []))))
        elif o["type"] == "state" and msg in ("peer_up", "peer_down"):
            peer = v_peer(o)
            rd = b.get("peer_rd")
            t = ts(o["timestamp"], o.get("usec"))
            pkey = (peer[0], peer[1], peer[2], rd)
            if msg == "peer_up":
                info = b.get("info", {})
                rec["peer_up"].append((
                    t, peer, rd, o["peer_asn"], b.get("peer_bgp_id"),
                    b.get("local_addr"), b.get("local_port"),
                    b.get("remote_port"), info.get("vrf_table_name"),
                    tuple(info.get("string", []))))
                peers_up.append(pkey)
            else:
                rec["peer_down"].append((t, peer, rd, o["peer_asn"],
                                         b.get("reason")))
                flushed = []
                for k in sorted(peer_routes.pop(pkey, set()), key=str):
                    if k in rib:
                        flushed.append((k, rib.pop(k)))
                deletes.append((pkey, flushed))
                peers_up = [p for p in peers_up if p != pkey]
        elif o["type"] in ("announce", "withdraw") and msg == "route_monitoring":
            k = v_route_key(o)
            peer, rd = k[0], b.get("peer_rd")
            pkey = (peer[0], peer[1], peer[2], rd)
            t = ts(o["timestamp"], o.get("usec"))
            if o["type"] == "announce":
                a = v_attrs(o)
                rec["update"].append((t, k, a))
                rib[k] = a
                peer_routes[pkey].add(k)
            elif k in rib:
                rec["withdraw"].append((t, k))
                withdraw_attrs.append((t, k, rib.pop(k)))
            else:
                # pmacct logs a withdrawal only for a route in its table
                rec["withdraw_unknown"].append((t, k))
        elif o["type"] == "end_of_rib":
            peer = v_peer(o)
            rec["eor"].append((ts(o["timestamp"], o.get("usec")), peer,
                               b.get("peer_rd"), o["afi"], o["safi"]))
        elif o["type"] == "bmp" and msg == "statistics":
            peer = v_peer(o)
            t = ts(o["timestamp"], o.get("usec"))
            for s in b.get("stats", []):
                rec["stats"].append((t, peer, b.get("peer_rd"), s["type"],
                                     s.get("afi"), s.get("safi"),
                                     s.get("value")))
    # the router disconnecting flushes every table (pmacct: internal delete)
    rest = []
    for pkey in sorted(peer_routes, key=str):
        rest += [(k, rib[k]) for k in sorted(peer_routes[pkey], key=str)
                 if k in rib]
    return rec, deletes, rest, withdraw_attrs, rib, peers_up


# ---- pmacct side ------------------------------------------------------------

def p_peer(j):
    pt = j.get("peer_type")
    if pt is None:  # route_monitor lines have no peer_type: from the flags
        pt = 3 if j.get("is_loc") else None
    if j.get("is_loc"):
        return (j.get("peer_ip"), 3, ("loc", j.get("is_filtered") or 0))
    return (j.get("peer_ip"), pt,
            ("out" if j.get("is_out") else "in", j.get("is_post") or 0))


def p_attrs(j):
    return (
        nh_norm(j.get("bgp_nexthop")),
        tuple(as_list(j.get("as_path"))),
        comm_sorted(as_list(j.get("comms"))),
        tuple(sorted(as_list(j.get("ecomms")))),
        comm_sorted(as_list(j.get("lcomms"))),
        j.get("origin"),
        j.get("local_pref"),
        j.get("med"),
        j.get("mpls_label"),
        j.get("aigp"),
        j.get("psid_li"),
        j.get("otc"),
    )


def p_route_key(j, peer_types):
    peer = p_peer(j)
    if peer[1] is None:
        # route_monitor lines do not say the peer type: take it from the
        # peer's Peer Up (global or RD instance)
        peer = (peer[0], peer_types.get((peer[0], peer[2]), None), peer[2])
    return (peer, j.get("rd"), j.get("rd_origin"), j.get("afi"),
            j.get("safi"), j.get("ip_prefix"), j.get("as_path_id"))


def pmacct_records(lines, router):
    rec = collections.defaultdict(list)
    deletes = []
    dump = []
    dump_peers = []
    peer_types = {}
    objs = [j for j in lines if j.get("bmp_router") == router]
    for j in objs:
        if j.get("bmp_msg_type") == "peer_up":
            p = p_peer(j)
            peer_types[(p[0], p[2])] = p[1]
    for j in objs:
        mt = j.get("bmp_msg_type")
        et = j.get("event_type")
        if et == "dump":
            if mt == "route_monitor":
                dump.append((p_route_key(j, peer_types), p_attrs(j)))
            elif mt == "peer_up":
                dump_peers.append((p_peer(j), j.get("rd")))
            continue
        if et != "log":
            continue
        if mt == "init":
            s = j.get("bmp_init_info_string")
            rec["init"].append((j.get("bmp_init_info_sysname"),
                                j.get("bmp_init_info_sysdescr"),
                                tuple([s] if s else [])))
        elif mt == "peer_up":
            s = j.get("bmp_peer_up_info_string")
            rec["peer_up"].append((
                j["timestamp"], p_peer(j), j.get("rd"), j.get("peer_asn"),
                j.get("bgp_id"), j.get("local_ip"), j.get("local_port"),
                j.get("remote_port"), j.get("bmp_peer_up_info_vrf_table_name"),
                tuple([s] if s else [])))
        elif mt == "peer_down":
            rec["peer_down"].append((j["timestamp"], p_peer(j), j.get("rd"),
                                     j.get("peer_asn"), j.get("reason_type")))
        elif mt == "route_monitor":
            lt = j.get("log_type")
            if lt == "update":
                rec["update"].append((j["timestamp"],
                                      p_route_key(j, peer_types), p_attrs(j)))
            elif lt == "withdraw":
                k = p_route_key(j, peer_types)
                rec["withdraw"].append((j["timestamp"], k))
                rec["withdraw_attrs"].append((j["timestamp"], k, p_attrs(j)))
            elif lt == "end-of-rib":
                p = p_peer(j)
                p = (p[0], peer_types.get((p[0], p[2]), p[1]), p[2])
                rd = j.get("rd") if j.get("rd_origin") == "bmp" else None
                rec["eor"].append((j["timestamp"], p, rd, j.get("afi"),
                                   j.get("safi")))
        elif mt == "stats":
            rd = j.get("rd") if j.get("rd_origin") in (None, "bmp") else None
            rec["stats"].append((j["timestamp"], p_peer(j), rd,
                                 j.get("counter_type"), j.get("afi"),
                                 j.get("safi"), j.get("counter_value")))
        elif mt == "internal" and j.get("log_type") == "delete":
            deletes.append((p_route_key(j, peer_types), p_attrs(j)))
    return rec, deletes, dump, dump_peers


# ---- comparison -------------------------------------------------------------

def compare(name, vig, pm, show=4):
    cv, cp = collections.Counter(vig), collections.Counter(pm)
    if cv == cp:
        say_ok(name, "%d match" % sum(cp.values()))
        return
    only_p = list((cp - cv).elements())
    only_v = list((cv - cp).elements())
    detail = "%d matched, %d only in pmacct, %d only in vigil" % (
        sum((cp & cv).values()), len(only_p), len(only_v))
    for x in only_p[:show]:
        detail += "\n    pmacct: %r" % (x,)
    for x in only_v[:show]:
        detail += "\n    vigil:  %r" % (x,)
    say_fail(name, detail)


def repro_ip(case, nn):
    with open(os.path.join(case, "traffic-reproducer-%s.yml" % nn)) as f:
        m = re.search(r"repro_ip:\s*([0-9a-fA-F:.]+)", f.read())
    return m.group(1)


def main(argv):
    case = argv[1]
    vigil = None
    given = {}
    i = 2
    while i < len(argv):
        if argv[i] == "--vigil":
            vigil = argv[i + 1]
            i += 2
        elif argv[i] == "--json":
            nn, path = argv[i + 1].split("=", 1)
            given[nn] = path
            i += 2
        else:
            sys.exit("usage: bmp_vs_pmacct.py CASE_DIR (--vigil BIN | "
                     "--json NN=FILE ...)")
    cname = os.path.basename(case.rstrip("/")).split("-")[0]
    pm_lines = []
    pm_dump = []
    for fn in sorted(os.listdir(case)):
        if fn.startswith("output-bmp") and fn.endswith(".json"):
            with open(os.path.join(case, fn)) as f:
                objs = [json.loads(l) for l in f if l.strip()]
            (pm_dump if "dump" in fn else pm_lines).extend(objs)
    streams = sorted(fn for fn in os.listdir(case) if fn.endswith(".flow0.bmp"))
    totals = collections.Counter()
    for fn in streams:
        nn = re.match(r"traffic-(\d+)", fn).group(1)
        router = repro_ip(case, nn)
        tag = "bmp_pmacct_%s_%s" % (cname, nn)
        if nn in given:
            with open(given[nn]) as f:
                text = f.read()
        else:
            r = subprocess.run([vigil, "dump", "--json", os.path.join(case, fn)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True)
            if r.returncode not in (0, 1):
                say_fail(tag, "vigil dump exited %d: %s" % (r.returncode,
                                                            r.stderr[-500:]))
                continue
            text = r.stdout
        objs = [json.loads(l) for l in text.splitlines() if l.strip()]
        vrec, vdel, vrest, vwattrs, vrib, vpeers = vigil_records(objs)
        prec, pdel, pdump, pdump_peers = pmacct_records(pm_lines + pm_dump,
                                                         router)
        if not any(prec.values()):
            say_fail(tag, "pmacct printed nothing for router %s" % router)
            continue
        for cat in ("init", "peer_up", "peer_down", "update", "withdraw",
                    "eor", "stats"):
            compare("%s_%s" % (tag, cat), vrec[cat], prec[cat])
            totals[cat] += len(prec[cat])
        if vrec["withdraw_unknown"]:
            print("# %s: %d withdrawals of routes not in the table (pmacct "
                  "does not log these): %s" % (
                      tag, len(vrec["withdraw_unknown"]),
                      ", ".join(sorted(set(k[5] for _, k in
                                           vrec["withdraw_unknown"])))))
        # attributes pmacct shows on withdrawals come from its table
        if prec["withdraw_attrs"]:
            compare("%s_withdraw_attrs" % tag,
                    [(t, k, a) for t, k, a in vwattrs],
                    prec["withdraw_attrs"])
        # pmacct's table flushes: at each peer down, then (if the case
        # closed the connection) everything left
        if pdel:
            vflushed = [x for _, fl in vdel for x in fl]
            closed = len(pdel) > len(vflushed)
            if closed:
                vflushed += vrest
            compare("%s_rib_delete" % tag, vflushed, pdel)
            totals["rib_delete"] += len(pdel)
        if pdump:
            compare("%s_rib_dump" % tag, list(vrib.items()), pdump)
            compare("%s_rib_dump_peers" % tag,
                    [(k[:3], k[3]) for k in vpeers], pdump_peers)
            totals["rib_dump"] += len(pdump)
            totals["rib_dump_peers"] += len(pdump_peers)
    print("# %s: pmacct records compared: %s" % (
        cname, ", ".join("%s %d" % kv for kv in sorted(totals.items()))))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
