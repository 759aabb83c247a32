#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `vigil collect` under stress and abuse, on loopback:
#   - malformed messages (tests/regress/lib/robust_peer.py builds them):
#     header errors get their NOTIFICATION (1/1, 1/2, 1/3), malformed
#     attributes are handled per RFC 7606 with the session kept (AS_PATH,
#     MED, NEXT_HOP: treat-as-withdraw; a repeated ORIGIN: discarded, the
#     route kept) or reset where the RFC says so (MP_REACH_NLRI twice);
#   - a peer that stops reading (tiny receive window, silent): closed by
#     the hold timer while another peer's table keeps flowing;
#   - a full table from ten peers at once: ten scripted peers send the
#     real 2015 RIS full-table session (577,706 IPv4 prefixes) each;
#   - 1,000 session flaps (four peers at once), each announcing a prefix,
#     with vigil collect under valgrind (memcheck): every flap counted,
#     every announcement and state change archived, no memory error, no
#     leak.  Set ROBUST_FLAPS to change the count.
set -u
cd "$(dirname "$0")/../../.."
T=$(mktemp -d)
CPID=""
. tests/regress/lib/routers.sh
cleanup() {
	routers_stop
	[ -n "$CPID" ] && kill -9 "$CPID" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT
PEER="python3 tests/regress/lib/bgp_peer.py"
ROBUST="python3 tests/regress/lib/robust_peer.py"
MRT=$VIGIL_DATA/mrt/ris-bgpdump/input/updates.et-header.2015.gz
FLAPS=${ROBUST_FLAPS:-1000}

ok() { echo "ok $1"; }
bad() { echo "FAIL $1${2:+ ($2)}"; }
check() { # NAME CMD...
	local n=$1; shift
	if "$@"; then ok "$n"; else bad "$n"; fi
}
now() { date +%s.%N; }
since() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }
status() { python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
p = {x["addr"]: x for x in s["peers"]}
print(eval(sys.argv[2]))' "$T/status.json" "$1"; }
wait_for() { # SECONDS PYTHON-EXPR
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		[ -s "$T/status.json" ] && [ "$(status "$2" 2>/dev/null)" = True ] && return 0
		sleep 0.3
	done
	return 1
}
wait_log() { # SECONDS REGEX
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		grep -qE "$2" "$T/log" 2>/dev/null && return 0
		sleep 0.3
	done
	return 1
}
conf() { # EXTRA-PEER-LINES...
	cat <<EOF
collector robust
local-as 65000
router-id 127.0.0.1
listen $CADDR $CPORT
hold-time 30
archive $T/arc
updates-interval 60
rib-interval 0
status-file $T/status.json
log $T/log
EOF
	printf '%s\n' "$@"
}
start_collector() { # [WRAPPER...]
	rm -rf "$T/arc" "$T/log" "$T/status.json"
	mkdir "$T/arc"
	"$@" "$VIGIL" collect -c "$T/c.conf" 2>"$T/stderr" &
	CPID=$!
	wait_log 60 "event=listening" || { bad collector_started "$(tail -5 "$T/stderr")"; exit 1; }
}
stop_collector() {
	kill -TERM "$CPID"
	wait "$CPID"
	local rc=$?
	CPID=""
	return $rc
}

## 1. malformed messages --------------------------------------------------
CPORT=$(free_port)
peers=()
for i in $(seq 2 9); do peers+=("peer 127.0.0.$i as 6500$i"); done
conf "${peers[@]}" >"$T/c.conf"
start_collector
hx() { $ROBUST hex "$1"; }
# header errors: NOTIFICATION Message Header Error with the right subcode
n=2
for c in "badmarker 1" "shortlen 2" "longlen 2" "badtype 3"; do
	set -- $c
	$PEER 127.0.0.$n "$CPORT" 6500$n "open; established; raw $(hx "$1"); expect-notify 1 $2 5" 2>"$T/p$n.err"
	check "header_${1}_notification_1_$2" [ $? -eq 0 ]
	n=$((n + 1))
done
check header_errors_logged wait_log 5 'peer=127.0.0.5 as=65005 event=notification-sent code=1 subcode=3 '
# attribute errors on one session that must stay up
$PEER 127.0.0.6 "$CPORT" 65006 "open; established; announce 192.0.2.0/24 65006,64500 nh=10.255.0.9; \
raw $(hx aspath-overrun); raw $(hx med-length); raw $(hx nh-length); raw $(hx dup-origin); sleep 2" 2>"$T/p6.err"
check rfc7606_peer_script [ $? -eq 0 ]
check rfc7606_session_kept wait_for 5 'p["127.0.0.6"]["notifications_out"] == 0 and p["127.0.0.6"]["flaps"] == 1 and p["127.0.0.6"]["treat_as_withdraw"] == 3'
for a in 2 4 3; do
	check "rfc7606_attr${a}_treat_as_withdraw_logged" grep -qE "peer=127.0.0.6 as=65006 event=update-error attr=$a action=treat-as-withdraw .*session=kept" "$T/log"
done
check rfc7606_dup_origin_discard_logged grep -qE 'peer=127.0.0.6 as=65006 event=update-error attr=1 action=attribute-discard .*session=kept' "$T/log"
# a repeated ORIGIN is discarded (the first one kept); then MP_REACH twice resets
$PEER 127.0.0.7 "$CPORT" 65007 "open; established; raw $(hx dup-origin); sleep 1; raw $(hx dup-mpreach); expect-notify 3 1 5" 2>"$T/p7.err"
check rfc7606_dup_mpreach_notification_3_1 [ $? -eq 0 ]
stop_collector
check malformed_collector_exit_0 [ $? -eq 0 ]
"$VIGIL" dump -m "$T"/arc/*/updates.*.gz >"$T/dump.m" 2>"$T/dump.err"
check rfc7606_archive_withdrawals [ "$(grep -cE '\|W\|127.0.0.6\|65006\|198.51.10[012].0/24$' "$T/dump.m")" -eq 3 ]
check rfc7606_dup_origin_route_kept grep -qE '\|A\|127.0.0.6\|65006\|198.51.103.0/24\|64500\|IGP\|' "$T/dump.m"
check rfc7606_good_route_kept grep -qE '\|A\|127.0.0.6\|65006\|192.0.2.0/24\|65006 64500\|' "$T/dump.m"

## 2. a peer that stops reading, while another sends a table --------------
CPORT=$(free_port)
conf "peer 127.0.0.2 as 65002" "peer 127.0.0.3 as 65003" >"$T/c.conf"
sed -i 's/^hold-time 30/hold-time 3/' "$T/c.conf"
start_collector
t0=$(now)
$ROBUST stall 127.0.0.3 "$CPORT" 65003 15 hold=3 2>"$T/stall.err" &
SP=$!
# (bgp_peer.py's keepalive thread keeps the interval it started with, so
# this peer sends its KEEPALIVEs as raw messages, one a second)
KA="raw ffffffffffffffffffffffffffffffff001304"
$PEER 127.0.0.2 "$CPORT" 65002 "open hold=3; established; mrt $MRT limit=30000; $KA; sleep 1; $KA; sleep 1; \
$KA; sleep 1; $KA; sleep 1; $KA; sleep 1; $KA; sleep 1; $KA" 2>"$T/p2.err" &
P2=$!
wait $SP
check stalled_peer_closed_by_hold_timer [ $? -eq 0 ]
check stalled_peer_hold_timer_logged wait_log 5 'peer=127.0.0.3 as=65003 event=hold-timer-expired'
echo "info stalled_peer_closed_after ($(since "$t0") s)"
check other_peer_table_during_stall wait_for 20 'p["127.0.0.2"]["state"] == "Established" and p["127.0.0.2"]["updates"] == 30000 and p["127.0.0.2"]["routes_v4"] > 100000'
check other_peer_never_dropped [ "$(status 'p["127.0.0.2"]["flaps"] + p["127.0.0.2"]["notifications_out"]')" = 0 ]
wait $P2
check other_peer_script [ $? -eq 0 ]
stop_collector
check stall_collector_exit_0 [ $? -eq 0 ]

## 3. a full table from ten peers at once ---------------------------------
# ten scripted peers (127.0.0.11-20) each send the real 2015 RIS full-table
# session's UPDATEs as recorded (577,737 announcements of 577,706 prefixes)
# (prefixes shorter than /8 or /16, like its default route, are ignored)
"$VIGIL" dump -m "$MRT" | awk -F'|' '$3 == "A" { s[$6] = 1; n++ } $3 == "W" { delete s[$6] }
	END { for (p in s) { split(p, a, "/"); if (p ~ /:/) v6 += a[2] >= 16; else v4 += a[2] >= 8 }
	print v4 + 0, v6 + 0, n }' >"$T/want"
read -r want4 want6 wantA <"$T/want"
CPORT=$(free_port)
peers=()
for i in $(seq 11 20); do peers+=("peer 127.0.0.$i as 650$i"); done
conf "${peers[@]}" >"$T/c.conf"
start_collector
t0=$(now)
pp=()
for i in $(seq 11 20); do
	# each stays up after its table (a peer that closes with data unread
	# resets the connection and the kernel drops what is queued)
	$PEER 127.0.0.$i "$CPORT" 650$i "open; established; mrt $MRT; sleep 200" 2>"$T/p$i.err" &
	pp+=($!)
done
if wait_for 150 "all(p['127.0.0.%d' % i]['routes_v4'] == $want4 and p['127.0.0.%d' % i]['routes_v6'] == $want6 for i in range(11, 21))"; then
	ok "ten_peers_full_tables ($((10 * want4)) routes in the state after $(since "$t0") s)"
else
	bad ten_peers_full_tables "want $want4: $(status "[p[a]['routes_v4'] for a in sorted(p)]")"
fi
echo "info ten_peers_queue_pauses ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["queue_overflows"])' "$T/status.json") times reading paused on a full queue)"
check ten_peers_none_dropped [ "$(status "sum(x['flaps'] + x['notifications_out'] for x in p.values())")" = 0 ]
stop_collector
check ten_peers_collector_exit_0 [ $? -eq 0 ]
for p in "${pp[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
"$VIGIL" dump -m "$T"/arc/*/updates.*.gz 2>/dev/null | awk -F'|' '$3 == "A" { n[$4]++ } END { for (a in n) print a, n[a] }' | sort >"$T/counts"
check ten_peers_archive_all_announcements [ "$(awk -v n="$wantA" '$2 == n' "$T/counts" | wc -l)" -eq 10 ]

## 4. 1,000 session flaps under valgrind -----------------------------------
# four peers (127.0.0.2-5) flap FLAPS/4 times each, concurrently
if ! command -v valgrind >/dev/null; then
	bad flaps_valgrind "valgrind is not installed"
	exit 1
fi
CPORT=$(free_port)
conf "peer 127.0.0.2 as 65002" "peer 127.0.0.3 as 65003" "peer 127.0.0.4 as 65004" "peer 127.0.0.5 as 65005" >"$T/c.conf"
t0=$(now)
start_collector valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--log-file="$T/valgrind.log"
each=$((FLAPS / 4))
fp=()
for i in 2 3 4 5; do
	$ROBUST flaps 127.0.0.$i "$CPORT" 6500$i "$each" "$T/flapped.$i" 2>"$T/flaps.$i.err" &
	fp+=($!)
done
nf=0
for p in "${fp[@]}"; do wait "$p" && nf=$((nf + 1)); done
check "flaps_$((4 * each))_peer_scripts" [ $nf -eq 4 ]
all4() { echo "all(p['127.0.0.%d' % i]$1 for i in range(2, 6))"; }
check "flaps_$((4 * each))_counted" wait_for 60 "$(all4 "['flaps'] == $each") and $(all4 "['announce'] == $each") and $(all4 "['state'] != 'Established'")"
check "flaps_$((4 * each))_notifications_counted" wait_for 5 "$(all4 "['notifications_in'] == $each // 2")"
stop_collector
rc=$?
check flaps_valgrind_clean [ $rc -eq 0 ] && [ ! -s "$T/valgrind.log" ]
[ $rc -eq 0 ] || head -30 "$T/valgrind.log"
echo "info flaps_valgrind_run ($((4 * each)) flaps in $(since "$t0") s)"
"$VIGIL" dump -m "$T"/arc/*/updates.*.gz >"$T/dump.m" 2>/dev/null
for i in 2 3 4 5; do
	grep "|A|127.0.0.$i|6500$i|" "$T/dump.m" | cut -d'|' -f6 | sort >"$T/got"
	sort "$T/flapped.$i" >"$T/sent"
	check "flaps_archive_every_announcement_127.0.0.$i" cmp -s "$T/got" "$T/sent"
	check "flaps_archive_every_state_change_127.0.0.$i" [ "$(grep -c "|STATE|127.0.0.$i|6500$i|5|6$" "$T/dump.m")" -eq "$each" ] &&
		[ "$(grep -c "|STATE|127.0.0.$i|6500$i|6|1$" "$T/dump.m")" -eq "$each" ]
done
exit 0
