#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A live BMP feed from a real router: GoBGP (gobgpd, Debian) monitors its
# session with a second GoBGP that announces and withdraws routes, and sends
# BMP (pre-policy Adj-RIB-In) to `vigil bmp-listen` on loopback.  The BGP
# session negotiates ADD-PATH (router receive, speaker send), which the BMP
# stream does not flag anywhere but in the two OPENs of the Peer Up.  vigil
# must show the Initiation, the Peer Up of 127.0.0.6 (AS 65006) with both
# OPENs, the announced IPv4 and IPv6 routes with their AS paths and path ids
# (ADD-PATH inferred from the Peer Up), the withdrawal,
# and the Peer Down when the speaker stops; then the router's disconnect.
# Then the same with GoBGP's Loc-RIB monitoring (RFC 9069 peer type 3).
# Everything runs on 127.0.0.0/8 with free ports; every daemon is killed on
# exit.
set -u
T=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
if ! command -v gobgpd >/dev/null || ! command -v gobgp >/dev/null; then
	echo "FAIL bmp_gobgp: gobgpd/gobgp not installed (apt-get install gobgpd)"
	exit 1
fi
. "$(dirname "$0")/../lib/routers.sh" # gobgp_speaker_toml
free_ports() {
	python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}

# wait for a grep to match in vigil's output (up to N seconds)
wait_for() {
	local pat=$1 secs=$2
	for _ in $(seq $((secs * 10))); do
		grep -q "$pat" "$T/out" && return 0
		sleep 0.1
	done
	return 1
}
check() { # name, pattern, seconds
	if wait_for "$2" "$3"; then
		echo "ok bmp_gobgp_${TAG}_$1"
	else
		echo "FAIL bmp_gobgp_${TAG}_$1: no line matching $2 in vigil's output"
		tail -5 "$T/out"; tail -3 "$T/err"; tail -3 "$T/router.log"
	fi
}

# run_case TAG POLICY RPEER PID PTYPE: a router and a speaker, BMP route
# monitoring POLICY; routes expected from RPEER ("peer","peer_asn" JSON),
# with path id text PID, peer type PTYPE
run_case() {
TAG=$1 POLICY=$2 RPEER=$3 PID=$4 PTYPE=$5
read -r BGP_PORT API_R API_S < <(free_ports)
rm -f "$T/port"

"$VIGIL" bmp-listen --json --exit-after 1 --port-file "$T/port" 127.0.0.1 0 \
    >"$T/out" 2>"$T/err" &
vpid=$!
pids+=("$vpid")
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
BMP_PORT=$(cat "$T/port")

cat >"$T/router.toml" <<EOT
[global.config]
  as = 65000
  router-id = "127.0.0.1"
  port = $BGP_PORT
  local-address-list = ["127.0.0.1"]
[[bmp-servers]]
  [bmp-servers.config]
    address = "127.0.0.1"
    port = $BMP_PORT
    route-monitoring-policy = "$POLICY"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.6"
    peer-as = 65006
  [neighbors.transport.config]
    passive-mode = true
  [neighbors.add-paths.config]
    receive = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
EOT
gobgp_speaker_toml 127.0.0.6 65006 127.0.0.1 65000 "$BGP_PORT" 2 4 >"$T/speaker.toml"
gobgpd -f "$T/router.toml" -p --api-hosts "127.0.0.1:$API_R" --pprof-disable \
    >"$T/router.log" 2>&1 &
rpid=$!
pids+=("$rpid")
gobgpd -f "$T/speaker.toml" -p --api-hosts "127.0.0.1:$API_S" --pprof-disable \
    >"$T/speaker.log" 2>&1 &
spid=$!
pids+=("$spid")

check initiation '"msg":"initiation"' 20
check peer_up '"type":"state","timestamp":[0-9]*,.*"peer":"127.0.0.6","peer_asn":65006,"old_state":"Idle","new_state":"Established".*"msg":"peer_up".*"sent_open":{"asn":65000,.*"add_path":\["1/1/receive","2/1/receive"\]},"recv_open":{"asn":65006,"bgp_id":"127.0.0.6",.*"add_path":\["1/1/send","2/1/send"\]}' 60
gobgp -p "$API_S" global rib add 175.45.176.0/24 nexthop 10.255.0.6 aspath 64500,131279 origin igp -a ipv4 >/dev/null
gobgp -p "$API_S" global rib add 2001:db8:175::/48 nexthop 2001:db8:ffff::6 aspath 64500,131279 -a ipv6 >/dev/null
check announce_v4 '"type":"announce",.*'"$RPEER"',"prefix":"175.45.176.0/24",'"$PID"'"as_path":"65006 64500 131279","origin_asn":131279,"origin":"IGP","next_hop":"10.255.0.6"' 30
check announce_v6 '"type":"announce",.*'"$RPEER"',"prefix":"2001:db8:175::/48",'"$PID"'"as_path":"65006 64500 131279"' 30
gobgp -p "$API_S" global rib del 175.45.176.0/24 -a ipv4 >/dev/null
check withdraw '"type":"withdraw",.*'"$RPEER"',"prefix":"175.45.176.0/24",'"$PID"'"bmp":{.*"peer_type":"'"$PTYPE"'"' 30
kill "$spid"
check peer_down '"type":"state",.*"peer":"127.0.0.6","peer_asn":65006,"old_state":"Established","new_state":"Idle".*"msg":"peer_down","index":[0-9]*,.*"reason":[1-5]' 60
kill "$rpid"
for _ in $(seq 100); do kill -0 "$vpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$vpid" 2>/dev/null; then
	echo "FAIL bmp_gobgp_${TAG}_router_disconnect: bmp-listen still running"
else
	wait "$vpid"; rc=$?
	if [ "$rc" -eq 0 ] && grep -q 'router 127.0.0.1 disconnected: .* 1 initiation, .*0 problems' "$T/err"; then
		echo "ok bmp_gobgp_${TAG}_router_disconnect (clean stream, exit 0)"
	else
		echo "FAIL bmp_gobgp_${TAG}_router_disconnect: exit $rc"; tail -3 "$T/err"
	fi
fi
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
pids=()
}

# Adj-RIB-In pre-policy: the monitored peer's routes, with the path ids
# ADD-PATH negotiated (known only from the Peer Up's OPENs)
run_case adjin pre-policy '"peer":"127.0.0.6","peer_asn":65006' \
    '"path_id":1,' global
# Loc-RIB (RFC 9069): the router's own best routes, peer 0.0.0.0 with the
# router's AS, no path ids
run_case locrib local-rib '"peer":"0.0.0.0","peer_asn":65000' '' loc_rib
