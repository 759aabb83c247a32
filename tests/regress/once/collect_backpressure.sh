#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Backpressure: processing slowed down on purpose (debug-process-delay) and
# a 256 KiB queue, while a scripted peer with a 3 s hold time sends the
# whole 2015 RIS full-table session (577k routes).  The queue must fill
# (overflows counted, reading paused), the session must stay up (no hold
# timer expiry on either side: the collector's KEEPALIVEs keep flowing,
# no gap over the 1 s keepalive interval plus slack), and every route must
# arrive: nothing dropped.
set -u
cd "$(dirname "$0")/../../.."
T=$(mktemp -d)
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
D=$VIGIL_DATA
PEER="python3 tests/regress/lib/bgp_peer.py"
MRT=$D/mrt/ris-bgpdump/input/updates.et-header.2015.gz
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ok() { echo "ok $1"; }
bad() { echo "FAIL $1${2:+ ($2)}"; }

cat >"$T/c.conf" <<EOF
collector bp
local-as 65000
router-id 127.0.0.1
listen 127.0.0.1 $PORT
hold-time 3
queue-size 256K
debug-process-delay 100
status-file $T/status.json
log $T/log
peer 127.0.0.2 as 65002
EOF
"$VIGIL" collect -c "$T/c.conf" 2>"$T/stderr" &
CPID=$!
PIDS=$CPID
sleep 0.5
# the routes the table leaves in the routing state (prefixes >= /8, /16)
want=$("$VIGIL" dump -q -m "$MRT" | awk -F'|' '
	{ split($6, a, "/"); v6 = index($6, ":") > 0; if (a[2] + 0 < (v6 ? 16 : 8)) next }
	$3 == "A" { r[$6] = 1 } $3 == "W" { delete r[$6] } END { print length(r) }')
# the peer stays up (checking the collector's keepalives) while the
# collector works through what it sent
$PEER 127.0.0.2 "$PORT" 65002 "open hold=3; established; mrt $MRT; sleep 2; max-ka-gap 2.5; \
sleep 20; max-ka-gap 2.5" 2>"$T/peer.err" &
PP=$!
PIDS="$PIDS $PP"
st() { python3 -c "import json; s=json.load(open('$T/status.json')); p=s['peers'][0]
print(eval('$1'))"; }
end=$((SECONDS + ${BP_WAIT:-120}))
while [ $SECONDS -lt $end ]; do
	[ "$(st 'p["routes_v4"] + p["routes_v6"]')" = "$want" ] && [ "$(st 's["queue_depth"]')" = 0 ] && break
	sleep 0.5
done
got=$(st 'p["routes_v4"] + p["routes_v6"]')
wait $PP
rc=$?
[ $rc -eq 0 ] && ok backpressure_session_and_keepalives || { bad backpressure_session_and_keepalives; cat "$T/peer.err"; }
[ "$got" = "$want" ] && ok backpressure_nothing_lost || bad backpressure_nothing_lost "$got of $want routes"
ov=$(st 's["queue_overflows"]')
[ "$ov" -ge 1 ] && ok backpressure_overflow_counted || bad backpressure_overflow_counted "$ov"
grep -q 'event=queue-full' "$T/log" && grep -q 'event=queue-resumed' "$T/log" &&
	ok backpressure_logged || bad backpressure_logged
grep -q 'hold-timer-expired\|notification' "$T/log" && bad backpressure_no_hold_expiry ||
	ok backpressure_no_hold_expiry
kill -TERM $CPID
wait $CPID
[ $? -eq 0 ] && ok backpressure_clean_exit || bad backpressure_clean_exit
