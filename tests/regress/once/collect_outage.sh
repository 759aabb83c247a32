#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End to end, live: three scripted peers (distinct ASNs) send real routes
# (the first 20,000 UPDATEs of the 2015 RIS full-table session) and North
# Korea's four /24s via 2914 1239 4837 131279; after the baseline has
# formed (10 s bins), every peer withdraws the KP /24s.  The outage of
# country:KP must appear in the log and the database within one bin of the
# withdrawal (plus the 2 s the collector waits for late records), and a
# replay of the collector's archive must give the same events.
set -u
cd "$(dirname "$0")/../../.."
T=$(mktemp -d)
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$T"' EXIT
D=$VIGIL_DATA
G=$D/geo
PEER="python3 tests/regress/lib/bgp_peer.py"
MRT=$D/mrt/ris-bgpdump/input/updates.et-header.2015.gz
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BIN=10
KP=175.45.176.0/24,175.45.177.0/24,175.45.178.0/24,175.45.179.0/24

ok() { echo "ok $1"; }
bad() { echo "FAIL $1${2:+ ($2)}"; }
wait_log() { # SECONDS REGEX
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		grep -qE "$2" "$T/log" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

mkdir "$T/arc"
cat >"$T/c.conf" <<EOF
collector e2e
local-as 65000
router-id 127.0.0.1
listen 127.0.0.1 $PORT
archive $T/arc
updates-interval 60
db $T/live.db
bin $BIN
warmup 2
window 12
min-bins 1
full-feed-v4 1000
full-feed-v6 1
geo-rir $G/delegated-apnic-extended-latest
geo-asnames $G/asnames.json.gz
status-file $T/status.json
log $T/log
alert-json $T/alerts.jsonl
peer 127.0.0.2 as 65002
peer 127.0.0.3 as 65003
peer 127.0.0.4 as 65004
EOF
"$VIGIL" collect -c "$T/c.conf" 2>"$T/stderr" &
CPID=$!
PIDS="$CPID"
wait_log 10 "event=listening" || { bad collector_started; cat "$T/stderr"; exit 1; }

# each peer: table, KP, then wait for the go file, withdraw KP, stay up
for n in 2 3 4; do
	$PEER 127.0.0.$n "$PORT" 6500$n "open; established; mrt $MRT limit=20000; \
announce $KP 2914,1239,4837,131279; sleep 45; withdraw $KP; sleep 40" 2>"$T/p$n.err" &
	PIDS="$PIDS $!"
done
start=$SECONDS
n_up=0
for n in 2 3 4; do
	wait_log 15 "peer=127.0.0.$n as=6500$n event=established" && n_up=$((n_up + 1))
done
[ $n_up -eq 3 ] && ok e2e_sessions_established || bad e2e_sessions_established "$n_up of 3"

# the withdrawals go out ~45 s after the sessions came up
wait_log 70 'event=outage-open .*entity=country:KP ' 
rc=$?
[ $rc -eq 0 ] && ok e2e_outage_live || { bad e2e_outage_live; tail -20 "$T/log"; }
grep -m1 -E 'event=outage-open .*entity=country:KP ' "$T/log" | grep -q 'level=critical' &&
	ok e2e_outage_critical || bad e2e_outage_critical
sqlite3 "$T/live.db" "select count(*) from events e join entities n on n.id = e.entity_id where n.text = 'country:KP' and e.kind = 1" >"$T/n" 2>&1
[ "$(cat "$T/n")" -ge 1 ] && ok e2e_outage_in_db || bad e2e_outage_in_db "$(cat "$T/n")"

sleep 3
kill -TERM $CPID
wait $CPID
rc=$?
[ $rc -eq 0 ] && ok e2e_shutdown_clean || bad e2e_shutdown_clean "exit $rc"
for p in $PIDS; do [ "$p" = "$CPID" ] || kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
PIDS=""

# the collector's own shutdown (every session closed) is no outage: the
# only outages stored are North Korea's
other=$(sqlite3 "$T/live.db" "select count(*) from events e join entities n on n.id = e.entity_id where e.kind = 1 and n.text not in ('country:KP', 'asn:131279') and n.text not like 'upstream:KP:%'" 2>&1)
[ "$other" = 0 ] && ok e2e_shutdown_no_outage || bad e2e_shutdown_no_outage "$other other outages"

# time of the first KP withdrawal, as the archive recorded it
"$VIGIL" dump -m "$T"/arc/*/updates.*.gz >"$T/dump.m" 2>/dev/null
wd=$(grep -m1 '|W|127.0.0.[234]|6500[234]|175.45.176.0/24$' "$T/dump.m" | cut -d'|' -f2 | cut -d. -f1)
wd=${wd:-0}
opened=$(grep -m1 -E 'event=outage-open .*entity=country:KP ' "$T/log" | cut -c1-20)
opened_s=$(date -u -d "$opened" +%s 2>/dev/null || echo 0)
lag=$((opened_s - wd))
if [ "$wd" -gt 0 ] && [ "$opened_s" -gt 0 ] && [ $lag -ge 0 ] && [ $lag -le $((BIN + 3)) ]; then
	ok "e2e_outage_within_one_bin"
else
	bad e2e_outage_within_one_bin "withdrawn at $wd, logged at $opened_s"
fi

# the alert (contract E): the KP outage opened
grep '"country:KP"' "$T/alerts.jsonl" 2>/dev/null | grep -q '"opened"' &&
	ok e2e_alert_json || { bad e2e_alert_json; head -c 600 "$T/alerts.jsonl"; }

# the archive replayed gives the same events
"$VIGIL" replay -q --collector e2e --bin $BIN --warmup 2 --window 12 --min-bins 1 \
	--full-feed-v4 1000 --full-feed-v6 1 --geo "$G/delegated-apnic-extended-latest" \
	--geo "$G/asnames.json.gz" --db "$T/replay.db" "$T"/arc/*/updates.*.gz 2>"$T/replay.err"
rc=$?
[ $rc -eq 0 ] && ok e2e_replay_exit_0 || { bad e2e_replay_exit_0 "exit $rc"; cat "$T/replay.err"; }
"$VIGIL" events --json --db "$T/live.db" >"$T/ev.live"
"$VIGIL" events --json --db "$T/replay.db" >"$T/ev.replay"
if grep -q '"country:KP"' "$T/ev.live" && cmp -s "$T/ev.live" "$T/ev.replay"; then
	ok e2e_replay_events_eq_live
else
	bad e2e_replay_events_eq_live; diff "$T/ev.live" "$T/ev.replay" | cut -c1-300 | head -6
fi
exit 0
