#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The RIB dumps of `vigil collect` carry every attribute, with real routers
# as peers (tests/regress/lib/routers.sh): BIRD 2 (127.0.0.2), FRR bgpd
# (.3) and GoBGP (.6) each send a 3,000-route IPv4 table from the real 2015
# RIS session and 100 IPv6 /48s; FRR and GoBGP also send routes with ORIGIN
# EGP/INCOMPLETE, MED, communities, large communities,
# AGGREGATOR and ATOMIC_AGGREGATE set.  Once every table is in, a RIB dump
# (bview) is awaited; afterwards `bgpdump -m -l -u` of that dump must show,
# for every route, the same AS path, ORIGIN, NEXT_HOP, LOCAL_PREF, MED,
# communities, large communities, ATOMIC_AGGREGATE, AGGREGATOR (and unknown
# attributes) as the route's last announcement in `bgpdump -m -l -u` of the
# updates files (tests/regress/lib/bview_vs_updates.py).
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
G=$VIGIL_DATA/geo
N=3000
ROUTERS="bird frr gobgp"
declare -A ADDR=([bird]=127.0.0.2 [frr]=127.0.0.3 [gobgp]=127.0.0.6)
declare -A ASN=([bird]=65002 [frr]=65003 [gobgp]=65006)
# extra IPv4 routes with attributes set
declare -A EXTRA=([bird]=0 [frr]=1 [gobgp]=1)

ok() { echo "ok $1"; }
bad() { echo "FAIL $1${2:+ ($2)}"; }
status() { python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
p = {x["addr"]: x for x in s["peers"]}
print(eval(sys.argv[2]))' "$T/status.json" "$1"; }
wait_for() { # SECONDS PYTHON-EXPR: until status() prints True
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		[ -s "$T/status.json" ] && [ "$(status "$2" 2>/dev/null)" = True ] && return 0
		sleep 0.3
	done
	return 1
}
wait_log_count() { # SECONDS REGEX N: until REGEX matches N lines or more
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		local c
		c=$(grep -cE "$2" "$T/log" 2>/dev/null)
		[ "${c:-0}" -ge "$3" ] && return 0
		sleep 0.3
	done
	return 1
}

make_tables "$N" || { bad tables "$(cat "$TAB/gen.out")"; exit 1; }
CPORT=$(free_port)
mkdir "$T/arc"
{
	printf '%s\n' "collector bv" "local-as 65000" "router-id 127.0.0.1" \
		"listen $CADDR $CPORT" "archive $T/arc" "updates-interval 60" \
		"rib-interval 10" "bin 10" "full-feed-v4 1" "full-feed-v6 1" \
		"geo-rir $G/delegated-apnic-extended-latest" \
		"status-file $T/status.json" "log $T/log"
	for r in $ROUTERS; do echo "peer ${ADDR[$r]} as ${ASN[$r]} name $r"; done
} >"$T/c.conf"
"$VIGIL" collect -c "$T/c.conf" 2>"$T/stderr" &
CPID=$!
wait_log_count 10 "event=listening" 1 || { bad collector_started "$(cat "$T/stderr")"; exit 1; }

for r in $ROUTERS; do "${r}_start"; done
for r in $ROUTERS; do
	wait_for 60 "p['${ADDR[$r]}']['state'] == 'Established'" && ok "established_$r" || bad "established_$r"
done
# routes with more attributes than the tables have
gobgp_wait_api &&
	gobgp_ctl global rib add 198.51.100.0/24 nexthop 10.255.0.6 aspath 64500,64501 origin egp \
		med 20 community 65006:1,65006:2 large-community 65006:3:4 \
		aggregator 64501:192.0.2.6 -a ipv4 >"$T/gobgp.err" 2>&1 &&
	gobgp_ctl global rib add 2001:db8:aaaa::/48 nexthop 2001:db8:ffff::6 aspath 64500 origin incomplete \
		med 7 community 65006:7 -a ipv6 >>"$T/gobgp.err" 2>&1
[ $? -eq 0 ] && ok gobgp_attr_routes || bad gobgp_attr_routes "$(cat "$T/gobgp.err")"
frr_ctl -c 'conf t' -c 'route-map ATTR permit 10' -c 'set origin egp' -c 'set metric 33' \
	-c 'set community 65003:5 65003:6' -c 'set large-community 65003:7:8' -c 'set as-path prepend 64502' \
	-c 'router bgp 65003' -c 'address-family ipv4 unicast' -c 'network 198.51.100.0/24 route-map ATTR' \
	>"$T/frr.err" 2>&1 && ok frr_attr_route || bad frr_attr_route "$(cat "$T/frr.err")"
for r in $ROUTERS; do "${r}_load" || bad "load_$r"; done
for r in $ROUTERS; do
	wait_for 120 "p['${ADDR[$r]}']['routes_v4'] == $N + ${EXTRA[$r]} and p['${ADDR[$r]}']['routes_v6'] >= 100" &&
		ok "table_$r" || bad "table_$r" "$(status "p.get('${ADDR[$r]}')" 2>&1 | cut -c1-300)"
done
# a dump of all of it (dumps are 10 s apart)
total=$((3 * (N + 100) + 3))
wait_log_count 40 "event=rib-dump .* routes=$total " 1 && ok rib_dump_written || bad rib_dump_written "$(tail -3 "$T/log")"
kill -TERM "$CPID"
wait "$CPID"
rc=$?
CPID=""
[ $rc -eq 0 ] && ok collector_shutdown_clean || bad collector_shutdown_clean "exit $rc"
routers_stop

b=$(grep "event=rib-dump .* routes=$total " "$T/log" | tail -1 | sed 's/.* file=\([^ ]*\) .*/\1/')
bgpdump -m -l -u "$b" 2>/dev/null | grep -v '^$' >"$T/bview.m"
for f in "$T"/arc/*/updates.*.gz; do bgpdump -m -l -u "$f" 2>/dev/null; done | grep -v '^$' >"$T/updates.m"
for r in $ROUTERS; do
	n=$(grep -c "|B|${ADDR[$r]}|${ASN[$r]}|" "$T/bview.m")
	[ "$n" -ge $((N + 100)) ] && ok "bview_routes_$r ($n)" || bad "bview_routes_$r" "$n"
done
python3 tests/regress/lib/bview_vs_updates.py "$T/bview.m" "$T/updates.m" $total >"$T/cmp.out"
[ $? -eq 0 ] && ok "bview_attrs_eq_updates ($(tail -1 "$T/cmp.out"))" || bad bview_attrs_eq_updates "$(cat "$T/cmp.out")"
grep -q '|B|127.0.0.6|65006|198.51.100.0/24|65006 64500 64501|EGP|10.255.0.6|0|20|65006:1 65006:2|65006:3:4|NAG|64501 192.0.2.6|' "$T/bview.m" &&
	ok bview_gobgp_attrs || bad bview_gobgp_attrs "$(grep '|198.51.100.0/24|' "$T/bview.m")"
grep -q '|B|127.0.0.6|65006|2001:db8:aaaa::/48|65006 64500|INCOMPLETE|2001:db8:ffff::6|0|7|65006:7|' "$T/bview.m" &&
	ok bview_gobgp_v6 || bad bview_gobgp_v6 "$(grep '|2001:db8:aaaa::/48|' "$T/bview.m")"
grep -qE '\|B\|127.0.0.3\|65003\|198.51.100.0/24\|65003 64502\|EGP\|10.255.0.3\|0\|33\|65003:5 65003:6\|65003:7:8\|NAG\|' "$T/bview.m" &&
	ok bview_frr_attrs || bad bview_frr_attrs "$(grep '|198.51.100.0/24|' "$T/bview.m")"
exit 0
