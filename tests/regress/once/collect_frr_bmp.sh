#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `vigil collect` fed by FRR's BMP module (issue 4): FRR bgpd (without
# zebra, `-M bmp`) on 127.0.0.3, AS 65003, monitors its session with a
# GoBGP speaker (127.0.0.6, AS 65006) and sends BMP (pre-policy Adj-RIB-In,
# IPv4 and IPv6 unicast) to the collector's `bmp-listen` on 127.0.0.1.  The
# speaker announces a table of real prefixes with their real AS paths,
# taken from the 2015 RIS full-table session (tests/regress/lib/
# interop_table.py), North Korea's four /24s among them, and 100 IPv6 /48s.
#   - FRR's BMP session reaches vigil (bmp-router-up logged);
#   - the monitored peer comes up (bmp-peer-up; in the status file as kind
#     "bmp" under FRR's router address, Established) with the whole table
#     counted (routes_v4, routes_v6);
#   - the KP /24s withdrawn at the speaker arrive as withdrawals, and come
#     back when re-announced;
#   - the routing state reaches the observatory and the database: a
#     signals row for every origin AS of the table, the KP /24s visible as
#     asn:131279 and country:KP, then gone in a later bin;
#   - the speaker stopped: bmp-peer-down, the peer no longer Established;
#   - FRR stopped: bmp-router-down; the collector exits cleanly.
# Loopback only, free ports; everything started is killed on exit.
#
# FRR 8.4.4 (Debian 12) findings this relies on:
#   - pre-policy monitoring needs `soft-reconfiguration inbound` on the
#     monitored neighbor: without it FRR keeps no Adj-RIB-In copy and sends
#     every route as a withdrawal (UPDATEs with only withdrawn routes);
#   - post-policy works without it (used here for IPv6);
#   - FRR prepends its own AS to the monitored AS paths (pre- and
#     post-policy: "65003 65006 ..." for routes 65006 sent), so origins are
#     right but the first hop is FRR's;
#   - FRR connects from 127.0.0.1 (no zebra, no source address), so the
#     router is named 127.0.0.1; its Peer Up is stamped hours in the past.
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
N=3000
BIN=10
RTR=127.0.0.3
SPK=127.0.0.6

ok() { echo "ok frr_bmp_$1"; }
bad() { echo "FAIL frr_bmp_$1${2:+ ($2)}"; }
status() { python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
p = {x["addr"]: x for x in s["peers"] if x["kind"] == "bmp"}
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
sq() { sqlite3 "$T/live.db" "$1" 2>&1; }
# sqs SQL: SQL over signals_all, every signal row however stored (packed in
# signal_chunks by default: lib/kf_expand.py unpacks them)
sqs() { python3 tests/regress/lib/kf_expand.py --query "$T/live.db" "$1" 2>&1; }
wait_db() { # SECONDS SQL [sq|sqs]: until it prints 1
	local end=$((SECONDS + $1)) q=${3:-sq}
	while [ $SECONDS -lt $end ]; do
		[ "$($q "$2")" = 1 ] && return 0
		sleep 0.5
	done
	return 1
}
peer() { status "p.get('$SPK')" 2>&1 | cut -c1-300; }

for c in gobgpd gobgp vtysh sqlite3; do
	command -v $c >/dev/null || { bad tools "$c not installed"; exit 1; }
done
[ -x /usr/lib/frr/bgpd ] && ls /usr/lib/*/frr/modules/bgpd_bmp.so >/dev/null 2>&1 ||
	{ bad tools "FRR bgpd or its BMP module (bgpd_bmp.so) missing"; exit 1; }
make_tables "$N" || { bad tables "$(cat "$TAB/gen.out")"; exit 1; }

# the collector: a BMP listener (and a BGP one, unused)
CPORT=$(free_port)
BPORT=$(free_port)
cat >"$T/c.conf" <<EOF
collector frrbmp
local-as 65000
router-id 127.0.0.1
listen 127.0.0.1 $CPORT
bmp-listen 127.0.0.1 $BPORT
db $T/live.db
bin $BIN
warmup 1
window 6
min-bins 1
full-feed-v4 1
full-feed-v6 1
geo-rir $VIGIL_DATA/geo/delegated-apnic-extended-latest
geo-asnames $VIGIL_DATA/geo/asnames.json.gz
status-file $T/status.json
log $T/log
EOF
"$VIGIL" collect -c "$T/c.conf" 2>"$T/stderr" &
CPID=$!
wait_log 10 "event=listening kind=bmp addr=127.0.0.1 port=$BPORT" ||
	{ bad collector_started "$(cat "$T/stderr" "$T/log" 2>/dev/null | tail -3)"; exit 1; }

# FRR: BGP on $RTR (passive towards the speaker), BMP out to the collector
FPORT=$(free_port)
d=$T/frr
mkdir -p "$d"
cat >"$d/bgpd.conf" <<EOF
frr defaults traditional
hostname frr-bmp
log file $d/bgpd.log
router bgp 65003
 bgp router-id $RTR
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor $SPK remote-as 65006
 neighbor $SPK passive
 neighbor $SPK disable-connected-check
 address-family ipv4 unicast
  neighbor $SPK activate
  neighbor $SPK soft-reconfiguration inbound
 exit-address-family
 address-family ipv6 unicast
  neighbor $SPK activate
  neighbor $SPK soft-reconfiguration inbound
 exit-address-family
 bmp targets vigil
  bmp monitor ipv4 unicast pre-policy
  bmp monitor ipv6 unicast post-policy
  bmp connect 127.0.0.1 port $BPORT min-retry 100 max-retry 1000
 exit
EOF
/usr/lib/frr/bgpd -Z -S -M bmp -f "$d/bgpd.conf" --vty_socket "$d" -i "$d/bgpd.pid" -p "$FPORT" -l "$RTR" -P 0 \
	--log stdout >"$d/bgpd.out" 2>&1 &
FPID=$!
addpid frr $FPID
frr_ctl() { vtysh --vty_socket "$T/frr" -d bgpd "$@"; }

if wait_log 15 'router=127\.0\.0\.[0-9]+ event=bmp-router-up'; then
	BR=$(grep -m1 -oE 'router=[0-9.]+ event=bmp-router-up' "$T/log" | sed 's/router=//; s/ .*//')
	ok "router_up ($BR)"
else
	bad router_up "$(tail -3 "$d/bgpd.out")"
	exit 1
fi

# the speaker: GoBGP, connecting to FRR
GOBGP_API=$(free_port)
mkdir -p "$T/gobgp"
gobgp_speaker_toml "$SPK" 65006 "$RTR" 65003 "$FPORT" 1 >"$T/gobgp/gobgpd.toml"
gobgpd -f "$T/gobgp/gobgpd.toml" -p --api-hosts "127.0.0.1:$GOBGP_API" --pprof-disable \
	>"$T/gobgp/gobgpd.log" 2>&1 &
SPID=$!
addpid gobgp $SPID

if wait_log 30 "router=$BR peer=$SPK as=65006 kind=bmp event=bmp-peer-up"; then
	ok peer_up_logged
else
	bad peer_up_logged "$(frr_ctl -c 'show bgp summary' 2>&1 | tail -3)"
fi
wait_for 5 "p['$SPK']['state'] == 'Established' and p['$SPK']['router'] == '$BR' and p['$SPK']['as'] == 65006" &&
	ok peer_established_in_status || bad peer_established_in_status "$(peer)"

# the table: the KP /24s, the IPv6 /48s, the rest
gobgp_load || bad speaker_load
[ "$(gobgp_count)" = "$N" ] && ok speaker_holds_table || bad speaker_holds_table "$(gobgp_count)"
if wait_for 40 "p['$SPK']['routes_v4'] == $N and p['$SPK']['routes_v6'] == 100"; then
	ok "table_${N}_and_100_ipv6"
else
	bad "table_${N}_and_100_ipv6" "$(peer)"
fi
n=$(frr_ctl -c 'show bgp ipv4 unicast summary json' | python3 -c '
import json, sys; print(json.load(sys.stdin)["peers"]["'"$SPK"'"]["pfxRcd"])' 2>&1)
[ "$n" = "$N" ] && ok frr_received_table || bad frr_received_table "$n"

# the store keeps a bin's rows of the entities that changed in it: wait
# until a bin with the whole table is stored
cat >"$T/origins.py" <<'EOF'
# every origin AS of the table has a signals row with its prefixes visible
import sqlite3, sys
sys.path.insert(0, "tests/regress/lib")
import kf_expand
db = sqlite3.connect(sys.argv[1])
want = {}
for line in open(sys.argv[2]):
    p, path = line.rstrip("\n").split("\t")
    o = int(path.split()[-1])
    want[o] = want.get(o, 0) + 1
asn = dict(db.execute("select id, asn from entities where kind = 2"))
got = {}
for r in kf_expand.all_rows(db):  # (entity_id, bin_start, bin_len, v4, v6, prefixes, ...)
    if r[0] in asn:
        got[asn[r[0]]] = max(got.get(asn[r[0]], 0), r[5])
miss = [o for o in want if not got.get(o)]
short = [o for o in want if got.get(o) and got[o] < want[o]]
print("%s frr_bmp_signals_every_origin (%d origin ASes in the table, %d with signals, %d missing, %d short)"
      % ("ok" if not miss and not short else "FAIL", len(want), len(got), len(miss), len(short)))
sys.exit(1 if miss or short else 0)
EOF
end=$((SECONDS + 2 * BIN + 10))
until python3 "$T/origins.py" "$T/live.db" "$TAB/paths.txt" >"$T/origins.out" 2>&1 || [ $SECONDS -ge $end ]; do
	sleep 1
done
cat "$T/origins.out"
v=$(sqs "select max(s.v4_units) from signals_all s join entities n on n.id = s.entity_id where n.text = 'country:KP'")
[ "$v" = 4 ] && ok signals_country_KP_visible || bad signals_country_KP_visible "$v"
wait_db $((BIN + 5)) "select count(*) = 1 from peers where collector = 'frrbmp/$BR' and addr = '$SPK'
	and asn = 65006 and up = 1 and v4_routes = $N and v6_routes = 100" && ok db_peer_row ||
	bad db_peer_row "$(sq "select * from peers")"

# the KP /24s withdrawn at the speaker
tw=$(date +%s)
gobgp_kp_withdraw || bad speaker_kp_withdraw
wait_for 20 "p['$SPK']['routes_v4'] == $N - 4 and p['$SPK']['withdraw'] >= 4" &&
	ok kp_withdrawn || bad kp_withdrawn "$(peer)"
# a bin that starts after the withdrawals shows the KP /24s gone
# (its withdrawal counter back to 0 makes it a changed row)
wait_db $((2 * BIN + 5)) "select count(*) > 0 from signals_all s join entities n on n.id = s.entity_id
	where n.text = 'asn:131279' and s.bin_start >= $tw and s.v4_units = 0" sqs && ok signals_kp_origin_gone ||
	bad signals_kp_origin_gone "v4_units since the withdrawal: $(sqs "select group_concat(s.v4_units)
	from signals_all s join entities n on n.id = s.entity_id where n.text = 'asn:131279' and s.bin_start >= $tw")"
v=$(sqs "select sum(s.withdrawals) from signals_all s join entities n on n.id = s.entity_id
	where n.text = 'country:KP' and s.bin_start >= $tw - $BIN")
[ "${v:-0}" -ge 4 ] 2>/dev/null && ok signals_kp_withdrawals_counted || bad signals_kp_withdrawals_counted "$v"

# and back
gobgp_kp_announce || bad speaker_kp_announce
wait_for 20 "p['$SPK']['routes_v4'] == $N" && ok kp_reannounced || bad kp_reannounced "$(peer)"

# the speaker stops: FRR's Peer Down
kill "$SPID"
if wait_log 20 "router=$BR peer=$SPK as=65006 kind=bmp event=bmp-peer-down"; then
	ok peer_down_logged
else
	bad peer_down_logged "$(grep "peer=$SPK" "$T/log" | tail -2)"
fi
wait_for 5 "p['$SPK']['state'] != 'Established' and p['$SPK']['flaps'] == 1" &&
	ok peer_down_in_status || bad peer_down_in_status "$(peer)"

# FRR stops: its BMP session ends
kill "$FPID"
if wait_log 10 "router=$BR event=bmp-router-down msgs=[1-9]"; then
	ok router_down_logged
else
	bad router_down_logged "$(tail -2 "$T/log")"
fi
kill -TERM "$CPID"
wait "$CPID"
rc=$?
CPID=""
[ $rc -eq 0 ] && ok collector_exit_clean || bad collector_exit_clean "exit $rc: $(tail -2 "$T/stderr")"
n=$(sq "select count(*) from peers where collector = 'frrbmp/$BR' and addr = '$SPK' and up = 0")
[ "$n" = 1 ] && ok db_peer_down || bad db_peer_down "$(sq "select * from peers")"
exit 0
