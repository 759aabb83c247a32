#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `vigil collect` with a BMP listener (contract B): the five real router
# captures in $VIGIL_DATA/bmp are streamed over TCP, one router connection
# each, from 127.0.0.5.  Their monitored peers must appear in the status
# file (kind "bmp", the router's address) with the routes of their route
# monitoring messages in the routing state, under collector NAME/ROUTER in
# the database; Peer Up/Down and the router's disconnection are logged.
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
cat >"$T/c.conf" <<EOF
collector live
local-as 65000
router-id 127.0.0.1
listen 127.0.0.1 $P
bmp-listen 127.0.0.1 $B
db $T/v.db
bin 10
status-file $T/status.json
log $T/log
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
sleep 1.5
python3 - "$T/status.json" >"$T/check" 2>&1 <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
bmp = [p for p in s["peers"] if p["kind"] == "bmp"]
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
