#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `vigil collect` against scripted BGP peers (tests/regress/lib/bgp_peer.py)
# on 127.0.0.0/8: an unconfigured source is refused; sessions establish;
# real UPDATEs (the first messages of the 2015 RIS full-table session) and
# hand-built ones arrive in the status file; withdrawals count; a malformed
# attribute is treated as withdraw with the session kept; a NOTIFICATION's
# reason is logged; a silent peer's hold timer expires; a wrong peer AS is
# refused with OPEN Message Error/Bad Peer AS; SIGHUP adds a peer; an
# ADD-PATH session works; a restarted peer's End-of-RIB drops its stale
# routes at once, per address family (RFC 4724); SIGTERM shuts down cleanly;
# the archive reads back the same with `vigil dump -m` and Debian's
# `bgpdump -m`, and a replay of it gives the same signals and events as the
# live run stored.  The RIB dumps carry every attribute of every route: each
# route's line in `bgpdump -m` of a bview equals its last announcement in the
# updates files; a second dump in one minute gets a name with seconds.
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
CPID=""
trap '[ -n "$CPID" ] && kill -9 $CPID 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
D=$VIGIL_DATA
PEER="python3 tests/regress/lib/bgp_peer.py"
MRT=$D/mrt/ris-bgpdump/input/updates.et-header.2015.gz
G=$D/geo
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

ok() { echo "ok $1"; }
bad() { echo "FAIL $1${2:+ ($2)}"; }
check() { # NAME CMD...
	local n=$1; shift
	if "$@"; then ok "$n"; else bad "$n"; fi
}
status() { python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
p = {x["addr"]: x for x in s["peers"]}
print(eval(sys.argv[2]))' "$T/status.json" "$1"; }
wait_for() { # SECONDS PYTHON-EXPR: until status() prints True
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		[ -s "$T/status.json" ] && [ "$(status "$2" 2>/dev/null)" = True ] && return 0
		sleep 0.2
	done
	return 1
}
wait_log() { # SECONDS REGEX
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		grep -qE "$2" "$T/log" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

mkdir "$T/arc"
write_conf() {
	cat >"$T/c.conf" <<EOF
# test collector
collector live
local-as 65000
router-id 127.0.0.1
listen 127.0.0.1 $PORT
hold-time 30
archive $T/arc
updates-interval 60
rib-interval 10
db $T/live.db
bin 10
full-feed-v4 100
full-feed-v6 1
geo-rir $G/delegated-apnic-extended-latest
status-file $T/status.json
log $T/log
peer 127.0.0.2 as 65002 name ris
peer 127.0.0.3 as 65003 name silent
peer 127.0.0.4 as 65004
peer 127.0.0.6 as 4200000006 name ap add-path
peer 127.0.0.7 as 65007 name gr
peer 127.0.0.8 as 65008 name eor
$1
EOF
}
write_conf ""
"$VIGIL" collect -c "$T/c.conf" --check >/dev/null 2>"$T/err"
check config_check [ $? -eq 0 ]
printf 'local-as 1\nrouter-id 1.2.3.4\nlisten 127.0.0.1 1\npeer 10.0.0.1 as 5 bogus\n' >"$T/bad.conf"
"$VIGIL" collect -c "$T/bad.conf" 2>"$T/err"
rc=$?
check config_error_exit_2 [ $rc -eq 2 ]
check config_error_names_line grep -q "bad.conf:4: peer: unknown option 'bogus'" "$T/err"

"$VIGIL" collect -c "$T/c.conf" 2>"$T/stderr" &
CPID=$!
wait_log 10 "event=listening" || { bad collector_started; cat "$T/stderr"; exit 1; }

# an unconfigured source address: closed at once, no OPEN
$PEER 127.0.0.9 "$PORT" 65009 "open; expect-closed 5" 2>"$T/p9.err"
check refused_peer_closed [ $? -eq 0 ]
check refused_logged wait_log 5 'peer=127.0.0.9 port=[0-9]+ event=refused reason="not a configured peer"'

# UPDATEs with every kind of attribute: ORIGIN EGP, MED, LOCAL_PREF,
# ATOMIC_AGGREGATE, AGGREGATOR, communities, large communities, an unknown
# optional transitive attribute (kept in RIB dumps) and an unknown
# non-transitive one (not kept); IPv6 with a global + link-local next hop
read -r UPD_V4 UPD_V6 <<<"$(python3 - <<'PY'
import ipaddress, struct
def attr(fl, t, v):
    return struct.pack("!BBB", fl, t, len(v)) + v
def path4(*asns):
    return struct.pack("!BB", 2, len(asns)) + b"".join(struct.pack("!I", a) for a in asns)
def upd(attrs, nlri=b""):
    body = struct.pack("!HH", 0, len(attrs)) + attrs + nlri
    return (b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 2) + body).hex()
v4 = (attr(0x40, 1, b"\x01") + attr(0x40, 2, path4(65002, 64496)) +
      attr(0x40, 3, bytes([192, 0, 2, 1])) + attr(0x80, 4, struct.pack("!I", 77)) +
      attr(0x40, 5, struct.pack("!I", 250)) + attr(0x40, 6, b"") +
      attr(0xC0, 7, struct.pack("!I", 64496) + bytes([192, 0, 2, 9])) +
      attr(0xC0, 8, struct.pack("!HHHH", 65002, 1, 65002, 2)) +
      attr(0xC0, 32, struct.pack("!III", 65002, 1, 2)) +
      attr(0xC0, 240, b"vigil") + attr(0x80, 241, b"drop"))
nh = ipaddress.ip_address("2001:db8::1").packed + ipaddress.ip_address("fe80::1").packed
mp = (struct.pack("!HBB", 2, 1, 32) + nh + b"\x00" + bytes([48]) +
      ipaddress.ip_address("2001:db8:77::").packed[:6])
v6 = (attr(0x40, 1, b"\x00") + attr(0x40, 2, path4(65002, 64497)) +
      attr(0x80, 4, struct.pack("!I", 5)) + attr(0xC0, 8, struct.pack("!HH", 65002, 6)) +
      attr(0x80, 14, mp))
print(upd(v4, bytes([25, 203, 0, 113, 128])), upd(v6))
PY
)"
# End-of-RIB markers (RFC 4724 2): IPv4 unicast, IPv6 unicast
EOR_V4=ffffffffffffffffffffffffffffffff00170200000000
EOR_V6=ffffffffffffffffffffffffffffffff001d0200000006800f03000201

# a real RIS session's first 3000 UPDATEs, then hand-built routes
$PEER 127.0.0.2 "$PORT" 65002 "open hold=30; established; mrt $MRT limit=3000; \
announce 175.45.176.0/24,175.45.177.0/24 64500,131279; announce 2001:db8:1::/48 64500,131279; \
raw $UPD_V4; raw $UPD_V6; \
sleep 0.5; withdraw 175.45.177.0/24; badattr 198.51.100.0/24; sleep 4" 2>"$T/p2.err" &
P2=$!
check session_established wait_log 10 'peer=127.0.0.2 as=65002 name=ris event=established hold=30 keepalive=10 as4=yes'
check status_established wait_for 10 'p["127.0.0.2"]["state"] == "Established"'
check status_routes wait_for 15 'p["127.0.0.2"]["routes_v4"] > 1000 and p["127.0.0.2"]["routes_v6"] >= 1'
check status_withdrawals wait_for 10 'p["127.0.0.2"]["withdraw"] >= 2 and p["127.0.0.2"]["treat_as_withdraw"] == 1'
check treat_as_withdraw_logged wait_log 5 'peer=127.0.0.2 as=65002 name=ris event=update-error attr=1 action=treat-as-withdraw .* session=kept'
check session_kept_after_malformed wait_for 3 'p["127.0.0.2"]["state"] == "Established" and p["127.0.0.2"]["notifications_out"] == 0'
wait $P2
check peer_script_2 [ $? -eq 0 ]

# the peer sends Cease/Administrative Shutdown with a message (RFC 9003)
$PEER 127.0.0.2 "$PORT" 65002 "open hold=30; established; notify 6 2 maintenance window" 2>>"$T/p2.err"
check notification_received_logged wait_log 5 'peer=127.0.0.2 as=65002 name=ris event=notification-received code=6 subcode=2 reason="Cease/Administrative Shutdown" message="maintenance window"'
check status_notification wait_for 5 'p["127.0.0.2"]["notifications_in"] == 1 and p["127.0.0.2"]["state"] == "Idle" and p["127.0.0.2"]["flaps"] == 2 and "maintenance window" in p["127.0.0.2"]["last_notification"]'

# a peer that goes silent: hold time 3 s negotiated, then Hold Timer Expired
$PEER 127.0.0.3 "$PORT" 65003 "open hold=3; established; keepalives off; expect-notify 4 0 8" 2>"$T/p3.err"
check hold_timer_notification [ $? -eq 0 ]
check hold_timer_logged wait_log 5 'peer=127.0.0.3 as=65003 name=silent event=hold-timer-expired hold=3'
check hold_timer_sent_logged grep -q 'peer=127.0.0.3 .*event=notification-sent code=4 subcode=0 reason="Hold Timer Expired"' "$T/log"

# wrong AS in the OPEN: OPEN Message Error / Bad Peer AS
$PEER 127.0.0.4 "$PORT" 65004 "open asn=65099; expect-notify 2 2 5" 2>"$T/p4.err"
check bad_peer_as_notification [ $? -eq 0 ]
check bad_peer_as_logged grep -q 'peer=127.0.0.4 as=65004 event=notification-sent code=2 subcode=2 reason="OPEN Message Error/Bad Peer AS" why="peer says AS65099, configured AS65004"' "$T/log"

# ADD-PATH receive with a 4-byte ASN
$PEER 127.0.0.6 "$PORT" 4200000006 "open addpath=1; established; announce 192.0.2.0/24 4200000006,64501; sleep 1.5" 2>"$T/p6.err"
check addpath_session [ $? -eq 0 ]
check addpath_logged grep -q 'peer=127.0.0.6 as=4200000006 name=ap event=established .*add-path=ipv4,ipv6' "$T/log"
check addpath_routes wait_for 5 'p["127.0.0.6"]["routes_v4"] == 1'

# graceful restart (RFC 4724): the TCP connection drops without a
# NOTIFICATION; the routes stay, stale, until the restart time (3 s) ends
$PEER 127.0.0.7 "$PORT" 65007 "open gr=3; established; announce 192.0.2.128/25 65007,64502; sleep 1.5; close" 2>"$T/p7.err"
check gr_session [ $? -eq 0 ]
check gr_logged wait_log 5 'peer=127.0.0.7 as=65007 name=gr event=session-down state=Idle graceful-restart=yes restart_time=3'
check gr_routes_kept_stale wait_for 3 'p["127.0.0.7"]["stale"] and p["127.0.0.7"]["routes_v4"] == 1'
check gr_restart_time_ends wait_log 6 'peer=127.0.0.7 as=65007 name=gr event=graceful-restart-end reason="restart time ran out"'
check gr_not_stale_after wait_for 3 'not p["127.0.0.7"]["stale"]'
# back within the restart time: the old session ends when the new one starts
$PEER 127.0.0.7 "$PORT" 65007 "open gr=30; established; sleep 0.5; close" 2>>"$T/p7.err"
$PEER 127.0.0.7 "$PORT" 65007 "open gr=30; established; announce 192.0.2.128/25 65007,64502; sleep 1" 2>>"$T/p7.err"
check gr_reconnect [ $? -eq 0 ]
check gr_reconnect_logged wait_log 5 'peer=127.0.0.7 as=65007 name=gr event=graceful-restart-end reason="the peer reconnected"'

# End-of-RIB after a graceful restart: the routes the restarted peer does
# not announce again go when its End-of-RIB for their address family
# arrives, not at the stale-grace timer (900 s here)
$PEER 127.0.0.8 "$PORT" 65008 "open gr=30; established; announce 198.18.0.0/24,198.18.1.0/24 65008,64510; \
announce 2001:db8:8::/48 65008,64510; sleep 1; close" 2>"$T/p8.err"
check eor_first_session [ $? -eq 0 ]
check eor_routes_stale wait_for 5 'p["127.0.0.8"]["stale"] and p["127.0.0.8"]["routes_v4"] == 2 and p["127.0.0.8"]["routes_v6"] == 1'
$PEER 127.0.0.8 "$PORT" 65008 "open gr=30; established; announce 198.18.0.0/24 65008,64510; sleep 0.5; \
raw $EOR_V4; sleep 4; raw $EOR_V6; sleep 3" 2>>"$T/p8.err" &
P8=$!
check eor_v4_drops_stale_v4_only wait_for 4 'p["127.0.0.8"]["state"] == "Established" and p["127.0.0.8"]["routes_v4"] == 1 and p["127.0.0.8"]["routes_v6"] == 1'
check eor_v6_drops_stale_v6 wait_for 6 'p["127.0.0.8"]["routes_v4"] == 1 and p["127.0.0.8"]["routes_v6"] == 0'
wait $P8
check eor_second_session [ $? -eq 0 ]

# SIGHUP: a new peer appears, peer .4 goes
write_conf "peer 127.0.0.5 as 65005 name new"
sed -i '/^peer 127.0.0.4/d' "$T/c.conf"
kill -HUP $CPID
check reload_logged wait_log 5 'event=reload peers_added=1 peers_removed=1'
$PEER 127.0.0.5 "$PORT" 65005 "open; established; announce 203.0.113.0/24 65005; sleep 1" 2>"$T/p5.err"
check reload_new_peer [ $? -eq 0 ]
check reload_status wait_for 5 '"127.0.0.5" in p and "127.0.0.4" not in p'

# clean shutdown
sleep 1
kill -TERM $CPID
wait $CPID
rc=$?
CPID=""
check shutdown_exit_0 [ $rc -eq 0 ]
check shutdown_logged grep -q 'event=stopped' "$T/log"
check no_tmp_files_left [ -z "$(find "$T/arc" -name '*.tmp')" ]
ls "$T"/arc/*/updates.*.gz >"$T/files" 2>/dev/null
check archive_ris_names grep -qE '/arc/[0-9]{4}\.[0-9]{2}/updates\.[0-9]{8}\.[0-9]{4}\.gz$' "$T/files"

# the archive read back: vigil and Debian's bgpdump agree, line for line
"$VIGIL" dump -m $(cat "$T/files") >"$T/vigil.m" 2>"$T/dump.err"
rc=$?
# exit 1: the one malformed UPDATE the test sent is reported, nothing else
check archive_dump_one_problem [ $rc -eq 1 ] && [ "$(wc -l <"$T/dump.err")" -eq 1 ] &&
	grep -q 'ORIGIN malformed.*treated as withdraw' "$T/dump.err"
# bgpdump does not apply RFC 7606 (tests/golden/README.md): the malformed
# announcement is left out of the comparison
for f in $(cat "$T/files"); do bgpdump -m "$f" 2>/dev/null; done | grep -v '^$' | grep -v '|198.51.100.0/24' >"$T/bgpdump.m"
grep -v '|198.51.100.0/24' "$T/vigil.m" >"$T/vigil.m2"
check archive_dump_nonempty [ "$(grep -c '|A|' "$T/vigil.m")" -gt 3000 ]
if cmp -s "$T/vigil.m2" "$T/bgpdump.m"; then ok archive_vigil_eq_bgpdump; else
	bad archive_vigil_eq_bgpdump; diff "$T/vigil.m2" "$T/bgpdump.m" | head -5; fi
check archive_has_withdrawal grep -q '|W|127.0.0.2|65002|175.45.177.0/24$' "$T/vigil.m"
check archive_taw_withdrawal grep -q '|W|127.0.0.2|65002|198.51.100.0/24$' "$T/vigil.m"
check archive_addpath grep -q '^BGP4MP_ET_AP|.*|A|127.0.0.6|4200000006|192.0.2.0/24|1|4200000006 64501|' "$T/vigil.m"
check archive_states grep -q '|STATE|127.0.0.2|65002|6|1$' "$T/vigil.m"
# the GR session's end is recorded when the restart time ran out, ~3 s
# after its last UPDATE
python3 - "$T/vigil.m" <<'PY' && ok archive_gr_state_delayed || bad archive_gr_state_delayed
import sys
ann = down = None
for l in open(sys.argv[1]):
    f = l.split("|")
    if f[3] != "127.0.0.7":
        continue
    if f[2] == "A" and ann is None:
        ann = float(f[1])
    if f[2] == "STATE" and f[5] == "6" and f[6].strip() == "1" and down is None:
        down = float(f[1])
sys.exit(0 if ann and down and 4.0 <= down - ann <= 6.5 else 1)
PY
check archive_v6 grep -q '|A|127.0.0.2|65002|2001:db8:1::/48|64500 131279|' "$T/vigil.m"

# RIB dumps of the routing state (TABLE_DUMP_V2), read alike by both
ls "$T"/arc/*/bview.*.gz >"$T/bviews" 2>/dev/null
check bview_written [ -s "$T/bviews" ]
# the last one written (the log says which: names do not sort alike in
# every locale)
b=$(grep -o 'event=rib-dump file=[^ ]*' "$T/log" | tail -1 | cut -d= -f3)
"$VIGIL" dump -m "$b" >"$T/bview.m" 2>"$T/bview.err"
check bview_dump_clean [ $? -eq 0 ]
check bview_has_routes [ "$(grep -c '^TABLE_DUMP2|[0-9]*|B|127.0.0.2|65002|' "$T/bview.m")" -gt 1000 ]
bgpdump -m "$b" 2>/dev/null | grep -v '^$' >"$T/bview.bgpdump"
check bview_vigil_eq_bgpdump cmp -s "$T/bview.m" "$T/bview.bgpdump"
check bview_path grep -q '|B|127.0.0.2|65002|175.45.176.0/24|64500 131279|IGP|10.255.0.2|0|0||NAG||$' "$T/bview.m"
# every attribute, as the updates carried it (bgpdump -l -u: with large
# communities and unknown attributes)
bgpdump -m -l -u "$b" 2>/dev/null | grep -v '^$' >"$T/bview.lu"
for f in $(cat "$T/files"); do bgpdump -m -l -u "$f" 2>/dev/null; done | grep -v '^$' >"$T/updates.lu"
python3 tests/regress/lib/bview_vs_updates.py "$T/bview.lu" "$T/updates.lu" 3000 198.51.100.0/24 203.0.113.128/25 >"$T/bvu.out"
rc=$?
check bview_attrs_eq_updates [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$T/bvu.out"
check bview_all_attrs grep -q '|B|127.0.0.2|65002|203.0.113.128/25|65002 64496|EGP|192.0.2.1|250|77|65002:1 65002:2|65002:1:2|AG|64496 192.0.2.9|f0:c0:766967696c|$' "$T/bview.lu"
check bview_addpath grep -q '^TABLE_DUMP2_AP|[0-9]*|B|127.0.0.6|4200000006|192.0.2.0/24|1|4200000006 64501|IGP|' "$T/bview.m"
check bview_v6_nexthop grep -q '|B|127.0.0.2|65002|2001:db8:77::/48|65002 64497|IGP|2001:db8::1|0|5|65002:6|' "$T/bview.lu"
check bview_has_communities [ "$(awk -F'|' '$12 != ""' "$T/bview.lu" | wc -l)" -gt 1000 ]
check bview_has_aggregators [ "$(awk -F'|' '$15 != ""' "$T/bview.lu" | wc -l)" -gt 10 ]

# a replay of the archive gives what the live run stored
"$VIGIL" replay -q --collector live --bin 10 --full-feed-v4 100 --full-feed-v6 1 \
	--geo "$G/delegated-apnic-extended-latest" --db "$T/replay.db" $(cat "$T/files") 2>"$T/replay.err"
check replay_exit_1_malformed_only [ $? -eq 1 ]
ents=$(python3 tests/regress/lib/kf_expand.py --query "$T/live.db" "select e.text from entities e
	join signals_all s on s.entity_id = e.id group by e.id order by count(*) desc, e.text limit 3")
for e in country:KP asn:131279 $ents; do
	"$VIGIL" signals "$e" --from 0 --until 4000000000 --format csv --db "$T/live.db" >"$T/sig.live" 2>&1
	"$VIGIL" signals "$e" --from 0 --until 4000000000 --format csv --db "$T/replay.db" >"$T/sig.replay" 2>&1
	if [ -s "$T/sig.live" ] && [ "$(wc -l <"$T/sig.live")" -gt 1 ] && cmp -s "$T/sig.live" "$T/sig.replay"; then
		ok "replay_signals_eq_live_$e"
	else
		bad "replay_signals_eq_live_$e"; diff "$T/sig.live" "$T/sig.replay" | head -5
	fi
done
"$VIGIL" events --json --db "$T/live.db" >"$T/ev.live" 2>&1
"$VIGIL" events --json --db "$T/replay.db" >"$T/ev.replay" 2>&1
check replay_events_eq_live cmp -s "$T/ev.live" "$T/ev.replay"
# the routes each peer holds at the end; the replay too drops the stale
# routes at End-of-RIB (the peer with End-of-RIB keeps 1 IPv4, 0 IPv6)
sqlite3 "$T/live.db" "select * from peers order by addr" >"$T/peers.live" 2>&1
sqlite3 "$T/replay.db" "select * from peers order by addr" >"$T/peers.replay" 2>&1
check replay_peers_eq_live cmp -s "$T/peers.live" "$T/peers.replay"
check replay_eor_routes [ "$(sqlite3 "$T/replay.db" "select v4_routes, v6_routes from peers where addr = '127.0.0.8'")" = "1|0" ]
# metrics snapshot (contract D)
sqlite3 "$T/live.db" "select value from meta where key='metrics'" >"$T/metrics" 2>&1
check metrics_snapshot grep -q '^vigil_elements_total [1-9]' "$T/metrics"
check metrics_queue grep -q '^vigil_queue_overflows_total 0' "$T/metrics"

# the RIS name has minutes only: a dump in a minute that has one already -
# here files put there beforehand for this minute and the next - is named
# with the seconds too; nothing is overwritten
PORT2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
t=$(date +%s)
PH=""
for m in 0 60; do
	f=$T/arc2/$(date -u -d @$((t + m)) +%Y.%m/bview.%Y%m%d.%H%M.gz)
	mkdir -p "$(dirname "$f")" && echo placeholder >"$f"
	PH="$PH $f"
done
printf '%s\n' "collector live2" "local-as 65000" "router-id 127.0.0.1" "listen 127.0.0.1 $PORT2" \
	"archive $T/arc2" "rib-interval 10" "log $T/log2" "peer 127.0.0.2 as 65002" >"$T/c2.conf"
"$VIGIL" collect -c "$T/c2.conf" 2>"$T/stderr2" &
CPID=$!
sleep 0.5
$PEER 127.0.0.2 "$PORT2" 65002 "open; established; announce 192.0.2.0/24 65002; sleep 12" 2>"$T/p2b.err"
check minute_peer [ $? -eq 0 ]
kill -TERM $CPID
wait $CPID
CPID=""
b2=$(grep -o 'event=rib-dump file=[^ ]*' "$T/log2" | head -1 | cut -d= -f3)
check rib_dump_seconds_name grep -qE '/arc2/[0-9]{4}\.[0-9]{2}/bview\.[0-9]{8}\.[0-9]{6}\.gz$' <<<"$b2"
check rib_dump_seconds_readable grep -q '^TABLE_DUMP2|[0-9]*|B|127.0.0.2|65002|192.0.2.0/24|65002|IGP|' <(bgpdump -m "$b2" 2>/dev/null)
check rib_dump_not_overwritten [ "$(cat $PH | sort -u)" = placeholder ]
exit 0
