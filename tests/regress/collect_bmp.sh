#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `vigil collect` with a BMP listener (contract B): the five real router
# captures in $VIGIL_DATA/bmp are streamed over TCP, one router connection
# each, from 127.0.0.5.  Their monitored peers must appear in the status
# file (kind "bmp", the router's address) with the routes of their route
# monitoring messages in the routing state, under collector NAME/ROUTER in
# the database; Peer Up/Down and the router's disconnection are logged.
# The archive: every route monitoring UPDATE as a BGP4MP_ET MESSAGE_AS4
# record (peer: the monitored peer; local: the router's address and AS from
# its Peer Up), Peer Up/Down as STATE_CHANGE_AS4, in the same updates files,
# read back alike by `vigil dump -m`, `bgpdump -m` and `vigil replay`; a
# made-up router (127.0.0.6) adds a 2-byte-AS peer (A flag: BGP4MP MESSAGE
# records) and an ADD-PATH one (MESSAGE_AS4_ADDPATH).
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
CPID=""
trap '[ -n "$CPID" ] && kill -9 $CPID 2>/dev/null; rm -rf "$T"' EXIT
D=$VIGIL_DATA
ok() { echo "ok $1"; }
bad() { echo "FAIL $1${2:+ ($2)}"; }
P=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
B=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir "$T/arc"
cat >"$T/c.conf" <<EOF
collector live
local-as 65000
router-id 127.0.0.1
listen 127.0.0.1 $P
bmp-listen 127.0.0.1 $B
archive $T/arc
db $T/v.db
bin 10
status-file $T/status.json
log $T/log
EOF
cat >"$T/gen.py" <<'EOF'
# A made-up router's BMP stream: a 2-byte-AS peer (A flag) and a 4-byte
# ADD-PATH peer, each up, an UPDATE (and for one a withdrawal), then down.
import socket, struct, sys, time
sys.path.insert(0, "tests/regress/lib")
from bmp_gen import bmp, peer_hdr, open_msg, MP4, AS4, ADDPATH, peer_up, update

A = 0x20
out = bmp(4, struct.pack("!HH", 2, 4) + b"test")
# 10.9.9.9 AS 64999: neither OPEN has the AS4 capability, A flag
out += peer_up("10.9.9.9", 64999, A, open_msg(65010, "192.0.2.250", [MP4]),
               open_msg(64999, "10.9.9.9", [MP4]))
out += bmp(0, peer_hdr("10.9.9.9", 64999, A) +
           update([64999, 65001], 2, bytes([16, 10, 99])))
# 10.9.9.10 AS 4200000001: ADD-PATH, the peer sends, the router receives
out += peer_up("10.9.9.10", 4200000001, 0,
               open_msg(65010, "192.0.2.250", [MP4, AS4(65010), ADDPATH(1)]),
               open_msg(23456, "10.9.9.10", [MP4, AS4(4200000001), ADDPATH(2)]))
pfx = struct.pack("!I", 7) + bytes([16, 10, 98])
out += bmp(0, peer_hdr("10.9.9.10", 4200000001) +
           update([4200000001, 65002], 4, pfx))
out += bmp(0, peer_hdr("10.9.9.10", 4200000001) + update([], 4, b"", pfx))
out += bmp(2, peer_hdr("10.9.9.9", 64999, A) + b"\x04")
out += bmp(2, peer_hdr("10.9.9.10", 4200000001) + b"\x04")
s = socket.socket(); s.bind(("127.0.0.6", 0)); s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(out); time.sleep(0.5); s.close()
EOF
"$VIGIL" collect -c "$T/c.conf" 2>"$T/stderr" &
CPID=$!
for i in $(seq 50); do grep -q 'kind=bmp' "$T/log" 2>/dev/null && break; sleep 0.1; done
grep -q "event=listening kind=bmp addr=127.0.0.1 port=$B" "$T/log" && ok bmp_listening || bad bmp_listening
for f in "$D"/bmp/2*/traffic-00.pcap.flow0.bmp; do
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.5", 0)); s.connect(("127.0.0.1", int(sys.argv[2])))
s.sendall(open(sys.argv[1], "rb").read()); time.sleep(0.5); s.close()' "$f" "$B"
done
python3 "$T/gen.py" "$B"
sleep 1.5
python3 - "$T/status.json" >"$T/check" 2>&1 <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
bmp = [p for p in s["peers"] if p["kind"] == "bmp" and p.get("router") != "127.0.0.6"]
print("peers", len(bmp))
print("router", all(p.get("router") == "127.0.0.5" for p in bmp))
print("routes", sum(p["routes_v4"] + p["routes_v6"] for p in bmp))
print("announce", sum(p["announce"] for p in bmp))
print("withdraw", sum(p["withdraw"] for p in bmp))
print("v6", sum(p["routes_v6"] for p in bmp))
PY
v() { awk -v k="$1" '$1 == k {print $2}' "$T/check"; }
[ "$(v peers)" -ge 10 ] && ok bmp_peers_in_status || { bad bmp_peers_in_status; cat "$T/check"; }
[ "$(v router)" = True ] && ok bmp_router_field || bad bmp_router_field
[ "$(v routes)" -ge 100 ] && ok bmp_routes_in_state || bad bmp_routes_in_state "$(v routes)"
[ "$(v v6)" -ge 10 ] && ok bmp_v6_routes || bad bmp_v6_routes
[ "$(v withdraw)" -ge 1 ] && ok bmp_withdrawals || bad bmp_withdrawals
grep -q 'router=127.0.0.5 peer=.* kind=bmp event=bmp-peer-up' "$T/log" && ok bmp_peer_up_logged || bad bmp_peer_up_logged
grep -q 'router=127.0.0.5 peer=.* kind=bmp event=bmp-peer-down' "$T/log" && ok bmp_peer_down_logged || bad bmp_peer_down_logged
grep -q 'router=127.0.0.5 event=bmp-router-down msgs=[1-9]' "$T/log" && ok bmp_router_down_logged || bad bmp_router_down_logged
# A router that stays connected: its route monitoring must reach the
# routing state while the connection is open, not only when it closes
# (this capture ends with route monitoring after its last Peer Up).
f=$(echo "$D"/bmp/203-*/traffic-00.pcap.flow0.bmp)
python3 - "$f" "$B" "$T/status.json" >"$T/open" 2>&1 <<'PY'
import json, socket, sys, time
def announced():
    for _ in range(20):
        try:
            st = json.load(open(sys.argv[3]))
            return sum(p["announce"] for p in st["peers"] if p.get("router") == "127.0.0.7")
        except ValueError:
            time.sleep(0.05)
s = socket.socket(); s.bind(("127.0.0.7", 0)); s.connect(("127.0.0.1", int(sys.argv[2])))
s.sendall(open(sys.argv[1], "rb").read())
time.sleep(2.5)
n_open = announced()
s.close()
time.sleep(2.5)
print(n_open, announced())
PY
read -r n_open n_closed <"$T/open"
[ "${n_open:-x}" = "${n_closed:-y}" ] && [ "$n_open" -gt 0 ] && ok "bmp_routes_while_connected ($n_open announcements)" ||
	bad bmp_routes_while_connected "$(cat "$T/open"): announcements while connected, after closing"
kill -TERM $CPID
wait $CPID
rc=$?
CPID=""
[ $rc -eq 0 ] && ok bmp_clean_exit || bad bmp_clean_exit "exit $rc"
n=$(sqlite3 "$T/v.db" "select count(*) from peers where collector = 'live/127.0.0.5'")
[ "$n" -ge 10 ] && ok bmp_db_collector_name || bad bmp_db_collector_name "$n"

# ---- the archive ----
ls "$T"/arc/*/updates.*.gz >/dev/null 2>&1 && ok bmp_archive_files || bad bmp_archive_files
"$VIGIL" dump -m "$T"/arc/*/updates.*.gz >"$T/vd" 2>/dev/null
for f in "$T"/arc/*/updates.*.gz; do bgpdump -m "$f"; done >"$T/bd" 2>/dev/null # it reads one file per run
[ -s "$T/vd" ] && cmp -s "$T/vd" "$T/bd" && ok bmp_archive_dump_equals_bgpdump ||
	{ bad bmp_archive_dump_equals_bgpdump; diff "$T/vd" "$T/bd" | head -5; }
# every capture once from 127.0.0.5, and 203's again from the router that
# stayed connected (127.0.0.7)
for f in "$D"/bmp/2*/traffic-00.pcap.flow0.bmp "$D"/bmp/203-*/traffic-00.pcap.flow0.bmp; do
	"$VIGIL" dump --json --bmp "$f" 2>/dev/null
done >"$T/cap.json"
"$VIGIL" dump --json "$T"/arc/*/updates.*.gz >"$T/arc.json" 2>/dev/null
python3 - "$T/cap.json" "$T/arc.json" "$T/bd" "$T"/arc/*/updates.*.gz >"$T/acheck" 2>&1 <<'PY'
import collections, gzip, ipaddress, json, struct, sys
made_up = {"10.9.9.9", "10.9.9.10"}
# What the captures' route monitoring carries, as `vigil dump --bmp` reads
# it: unicast and multicast SAFIs (an MRT reader, ours or bgpdump, decodes
# no labeled or VPN NLRI), Adj-RIB-Out skipped by the collector.
want, peers_up, local = collections.Counter(), set(), collections.defaultdict(set)
for l in open(sys.argv[1]):
    o = json.loads(l)
    b = o.get("bmp", {})
    if o["type"] == "state" and b.get("msg") == "peer_up":
        k = (o["peer"], o["peer_asn"])
        peers_up.add(k)
        local[k].add((b.get("local_addr"), b["sent_open"]["asn"]))
    if o["type"] in ("announce", "withdraw") and o.get("safi", 1) in (1, 2) \
            and not b.get("adj_rib_out"):
        want[(o["type"], o["peer"], o["peer_asn"], o["prefix"], o.get("as_path"))] += 1
got, ups, made = collections.Counter(), set(), []
for l in open(sys.argv[2]):
    o = json.loads(l)
    if o["peer"] in made_up:
        made.append(o)
    elif o["type"] == "state":
        if o["new_state"] == "Established":
            ups.add((o["peer"], o["peer_asn"]))
    else:
        got[(o["type"], o["peer"], o["peer_asn"], o["prefix"], o.get("as_path"))] += 1
print("routes_equal", got == want and len(want) > 0)
print("announce", sum(v for k, v in got.items() if k[0] == "announce"),
      sum(v for k, v in want.items() if k[0] == "announce"))
print("withdraw", sum(v for k, v in got.items() if k[0] == "withdraw"),
      sum(v for k, v in want.items() if k[0] == "withdraw"))
print("peers_up", ups == peers_up and len(ups) > 0)
# the made-up router's peers: the 2-byte path read back, the ADD-PATH
# announcement and withdrawal with their path id
m = [(o["type"], o["peer"], o.get("prefix"), o.get("as_path"), o.get("path_id"),
      o.get("old_state"), o.get("new_state")) for o in made]
print("made_up", m == [
    ("state", "10.9.9.9", None, None, None, "Idle", "Established"),
    ("announce", "10.9.9.9", "10.99.0.0/16", "64999 65001", None, None, None),
    ("state", "10.9.9.10", None, None, None, "Idle", "Established"),
    ("announce", "10.9.9.10", "10.98.0.0/16", "4200000001 65002", 7, None, None),
    ("withdraw", "10.9.9.10", "10.98.0.0/16", None, 7, None, None),
    ("state", "10.9.9.9", None, None, None, "Established", "Idle"),
    ("state", "10.9.9.10", None, None, None, "Established", "Idle")], m)
bd = [l.split("|") for l in open(sys.argv[3])]
print("bgpdump_made_up",
      sum(1 for f in bd if f[3] == "10.9.9.9" and f[2] == "A" and
          f[5] == "10.99.0.0/16" and f[6] == "64999 65001") == 1 and
      sum(1 for f in bd if f[3] == "10.9.9.10" and f[2] in ("A", "W")) == 2)
# The records themselves: subtypes, and the router as the local side
# (its address on the monitored session and its AS, from the Peer Up).
sub, bad_local, n = collections.Counter(), [], 0
for path in sys.argv[4:]:
    d = gzip.open(path).read()
    off = 0
    while off + 12 <= len(d):
        t, ty, st, ln = struct.unpack_from("!IHHI", d, off)
        body = d[off + 16:off + 12 + ln]
        off += 12 + ln
        if st in (0, 1, 8, 10):  # 2-byte ASNs
            pas, las = struct.unpack_from("!HH", body)
            body = body[4:]
        else:
            pas, las = struct.unpack_from("!II", body)
            body = body[8:]
        al = 4 if struct.unpack_from("!H", body, 2)[0] == 1 else 16
        pa = str(ipaddress.ip_address(body[4:4 + al]))
        la = str(ipaddress.ip_address(body[4 + al:4 + 2 * al]))
        if pa in made_up:
            sub[(pa, st)] += 1
            if (la, las) != ("192.0.2.250", 65010):
                bad_local.append((pa, la, las))
            continue
        n += 1
        ok = False
        for addr, asn in local.get((pa, pas), ()):
            same = addr and ipaddress.ip_address(addr).version == \
                ipaddress.ip_address(pa).version
            ok |= las == asn and (la == addr if same else
                                  ipaddress.ip_address(la).is_unspecified)
        if not ok:
            bad_local.append((pa, pas, la, las))
print("records", n)
print("local_is_router", not bad_local and n > 0, bad_local[:3])
# 10.9.9.9: STATE_CHANGE_AS4 (5) x2, MESSAGE (1); 10.9.9.10: 5 x2,
# MESSAGE_AS4_ADDPATH (9) x2
print("subtypes", sub == {("10.9.9.9", 5): 2, ("10.9.9.9", 1): 1,
                          ("10.9.9.10", 5): 2, ("10.9.9.10", 9): 2}, dict(sub))
PY
a() { awk -v k="$1" '$1 == k {$1 = ""; print substr($0, 2)}' "$T/acheck"; }
[ "$(a routes_equal)" = True ] && ok bmp_archive_routes_equal_capture ||
	{ bad bmp_archive_routes_equal_capture; cat "$T/acheck"; }
set -- $(a announce)
[ "${1:-0}" -ge 100 ] && [ "$1" = "${2:-}" ] && ok bmp_archive_announcements ||
	bad bmp_archive_announcements "$*"
set -- $(a withdraw)
[ "${1:-0}" -ge 1 ] && [ "$1" = "${2:-}" ] && ok bmp_archive_withdrawals ||
	bad bmp_archive_withdrawals "$*"
[ "$(a peers_up)" = True ] && ok bmp_archive_peer_up_states || bad bmp_archive_peer_up_states
[ "$(a made_up | cut -d" " -f1)" = True ] && ok bmp_archive_as2_addpath_vigil ||
	bad bmp_archive_as2_addpath_vigil "$(a made_up)"
[ "$(a bgpdump_made_up)" = True ] && ok bmp_archive_as2_addpath_bgpdump ||
	bad bmp_archive_as2_addpath_bgpdump
[ "$(a local_is_router | cut -d' ' -f1)" = True ] && ok bmp_archive_local_is_router ||
	bad bmp_archive_local_is_router "$(a local_is_router)"
[ "$(a subtypes | cut -d' ' -f1)" = True ] && ok bmp_archive_subtypes ||
	bad bmp_archive_subtypes "$(a subtypes)"
# every monitored peer that came up went down (Peer Down or the router's
# disconnection): as many Established->Idle as Idle->Established
nup=$(grep -c '|STATE|.*|1|6$' "$T/vd")
ndown=$(grep -c '|STATE|.*|6|1$' "$T/vd")
[ "$nup" -ge 10 ] && [ "$nup" = "$ndown" ] && ok bmp_archive_up_down_paired ||
	bad bmp_archive_up_down_paired "$nup up, $ndown down"
# `vigil replay` reads the same elements back
"$VIGIL" replay --db "$T/r.db" --collector live "$T"/arc/*/updates.*.gz >/dev/null 2>"$T/replay"
n=$(sed -n 's/.*: \([0-9]*\) elements,.*/\1/p' "$T/replay")
[ "${n:-0}" -gt 0 ] && [ "$n" = "$(wc -l <"$T/vd")" ] && ok bmp_archive_replay ||
	bad bmp_archive_replay "$n elements, $(wc -l <"$T/vd") lines"
