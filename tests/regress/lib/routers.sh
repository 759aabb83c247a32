# SPDX-License-Identifier: BSD-2-Clause
# Real BGP daemons as loopback peers of a collector, for the interop tests
# (sourced by tests/regress/once/collect_interop*.sh).  Recipes from
# ../shared/INTEROP.md.  Every router runs from its own directory under $T,
# on its own address, connects to the collector at $CADDR:$CPORT (AS 65000)
# and announces the table made by interop_table.py in $TAB, with explicit
# next hops 10.255.0.N.  Every PID goes to $T/pids; routers_stop kills them.
#
#   router   address     AS     table loaded with
#   bird     127.0.0.2   65002  static protocol big4 (per-route bgp_path)
#   frr      127.0.0.3   65003  `network P route-map` lines through vtysh
#   openbgpd 127.0.0.4   65004  bgpctl network bulk (paths: 65004)
#   exabgp   127.0.0.5   65005  API `announce attributes ... nlri` lines
#   gobgp    127.0.0.6   65006  gobgp mrt inject global (TABLE_DUMP_V2)
#
# Every router also sends 100 IPv6 /48s (MP-BGP over the IPv4 session).
# For each router R: R_start, R_load (the KP /24s, the IPv6 routes, then the
# rest of the table; BIRD and FRR have the KP /24s and the IPv6 routes in
# their start config), R_kp_withdraw,
# R_kp_announce (the four KP /24s), R_shutdown / R_enable (administrative
# shutdown of the session: a Cease NOTIFICATION, then back up).

: "${CADDR:=127.0.0.1}"
KP_PATH="2914 1239 4837 131279"

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

addpid() { echo "$1 $2" >>"$T/pids"; }

routers_stop() {
	[ -f "$T/pids" ] || return 0
	local name pid
	while read -r name pid; do
		kill "$pid" 2>/dev/null
	done <"$T/pids"
	local i
	for i in $(seq 50); do
		while read -r name pid; do
			kill -0 "$pid" 2>/dev/null && break
		done <"$T/pids"
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	while read -r name pid; do
		kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done <"$T/pids"
	rm -f "$T/pids"
}

# The tables: $TAB/{prefixes,kp,paths}.txt, per-daemon inputs.
make_tables() {
	local n=${1:-100000}
	TAB=$T/tab
	mkdir -p "$TAB"
	"$VIGIL" dump -m "$VIGIL_DATA/mrt/ris-bgpdump/input/updates.et-header.2015.gz" >"$TAB/et.txt" &&
		python3 tests/regress/lib/interop_table.py "$TAB/et.txt" "$n" "$TAB" >"$TAB/gen.out"
}

## BIRD 2 ------------------------------------------------------------------
bird_ctl() { birdc -s "$T/bird/bird.ctl" "$@"; }
bird_start() {
	local d=$T/bird port
	mkdir -p "$d"
	port=$(free_port)
	: >"$d/big4.conf"
	cat >"$d/bird.conf" <<EOF
log "$d/bird.log" all;
router id 127.0.0.2;
protocol device { }
protocol static kp4 {
  ipv4;
  route 175.45.176.0/24 blackhole { bgp_path.prepend(131279); bgp_path.prepend(4837); bgp_path.prepend(1239); bgp_path.prepend(2914); };
  route 175.45.177.0/24 blackhole { bgp_path.prepend(131279); bgp_path.prepend(4837); bgp_path.prepend(1239); bgp_path.prepend(2914); };
  route 175.45.178.0/24 blackhole { bgp_path.prepend(131279); bgp_path.prepend(4837); bgp_path.prepend(1239); bgp_path.prepend(2914); };
  route 175.45.179.0/24 blackhole { bgp_path.prepend(131279); bgp_path.prepend(4837); bgp_path.prepend(1239); bgp_path.prepend(2914); };
}
include "$d/big4.conf";
include "$TAB/bird-v6.conf";
protocol bgp collector {
  local 127.0.0.2 port $port as 65002;
  neighbor $CADDR port $CPORT as 65000;
  multihop;
  connect retry time 2;
  ipv4 { import none; export all; next hop address 10.255.0.2; };
  ipv6 { import none; export all; next hop address 2001:db8:ffff::2; };
}
EOF
	bird -f -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid" >"$d/bird.out" 2>&1 &
	addpid bird $!
}
bird_load() {
	cp "$TAB/bird-big.conf" "$T/bird/big4.conf" && bird_ctl configure >/dev/null
}
bird_kp_withdraw() { bird_ctl disable kp4 >/dev/null; }
bird_kp_announce() { bird_ctl enable kp4 >/dev/null; }
bird_shutdown() { bird_ctl disable collector >/dev/null; }
bird_enable() { bird_ctl enable collector >/dev/null; }

## FRR bgpd (no zebra) -----------------------------------------------------
frr_ctl() { vtysh --vty_socket "$T/frr" -d bgpd "$@"; }
frr_start() {
	local d=$T/frr
	mkdir -p "$d"
	cat >"$d/bgpd.conf" <<EOF
frr defaults traditional
hostname frr-lab
log file $d/bgpd.log
route-map REAL permit 10
 set as-path prepend 64500
route-map KP permit 10
 set as-path prepend $KP_PATH
route-map OUT4 permit 10
 set ip next-hop 10.255.0.3
route-map OUT6 permit 10
 set ipv6 next-hop global 2001:db8:ffff::3
router bgp 65003
 bgp router-id 127.0.0.3
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 neighbor $CADDR remote-as 65000
 neighbor $CADDR port $CPORT
 neighbor $CADDR update-source 127.0.0.3
 neighbor $CADDR disable-connected-check
 neighbor $CADDR timers connect 2
 address-family ipv4 unicast
  network 175.45.176.0/24 route-map KP
  network 175.45.177.0/24 route-map KP
  network 175.45.178.0/24 route-map KP
  network 175.45.179.0/24 route-map KP
  neighbor $CADDR activate
  neighbor $CADDR route-map OUT4 out
 exit-address-family
 address-family ipv6 unicast
$(cat "$TAB/frr-v6.conf")
  neighbor $CADDR activate
  neighbor $CADDR route-map OUT6 out
 exit-address-family
EOF
	/usr/lib/frr/bgpd -Z -S -f "$d/bgpd.conf" --vty_socket "$d" -i "$d/bgpd.pid" -p 0 -l 127.0.0.3 -P 0 \
		--log stdout >"$d/bgpd.out" 2>&1 &
	addpid frr $!
}
frr_load() { frr_ctl -f "$TAB/frr-big.conf" >/dev/null; }
frr_kp() {
	local neg=$1 p args=(-c 'conf t' -c 'router bgp 65003' -c 'address-family ipv4 unicast')
	for p in $(cat "$TAB/kp.txt"); do args+=(-c "${neg}network $p route-map KP"); done
	frr_ctl "${args[@]}" >/dev/null
}
frr_kp_withdraw() { frr_kp "no "; }
frr_kp_announce() { frr_kp ""; }
frr_shutdown() { frr_ctl -c 'conf t' -c 'router bgp 65003' -c "neighbor $CADDR shutdown" >/dev/null; }
frr_enable() { frr_ctl -c 'conf t' -c 'router bgp 65003' -c "no neighbor $CADDR shutdown" >/dev/null; }

## OpenBGPD ----------------------------------------------------------------
obgp_ctl() { bgpctl -s "$T/obgp/bgpd.sock" "$@"; }
obgp_start() {
	local d=$T/obgp port
	mkdir -p "$d"
	port=$(free_port)
	cat >"$d/bgpd.conf" <<EOF
AS 65004
router-id 127.0.0.4
listen on 127.0.0.4 port $port
socket "$d/bgpd.sock"
fib-update no
neighbor $CADDR {
  remote-as 65000
  port $CPORT
  local-address 127.0.0.4
  multihop 2
  announce IPv4 unicast
  announce IPv6 unicast
}
allow from any
allow to any
match to any set nexthop no-modify
EOF
	unshare -m sh -c "mount --make-rprivate / && mount -t tmpfs tmpfs /run && mkdir -m 755 /run/openbgpd && exec bgpd -d -v -f $d/bgpd.conf" \
		>"$d/bgpd.out" 2>&1 &
	addpid obgp $!
}
obgp_wait_sock() {
	local i
	for i in $(seq 100); do [ -S "$T/obgp/bgpd.sock" ] && return 0; sleep 0.1; done
	return 1
}
# `bgpctl network mrt` would keep the real paths, but its routes carry next
# hop self (127.0.0.4, which collectors treat as invalid), so the table goes
# in with `network bulk` (paths 65004 only; OpenBGPD cannot set foreign ASNs).
obgp_load() {
	obgp_wait_sock && obgp_kp_announce &&
		obgp_ctl network bulk nexthop 2001:db8:ffff::4 add <"$TAB/v6.txt" >/dev/null &&
		grep -v '^175\.45\.17[6-9]\.0/24$' "$TAB/prefixes.txt" |
		obgp_ctl network bulk nexthop 10.255.0.4 add >/dev/null
}
obgp_kp_withdraw() {
	local p
	for p in $(cat "$TAB/kp.txt"); do obgp_ctl network delete "$p" >/dev/null || return 1; done
}
obgp_kp_announce() {
	local p
	for p in $(cat "$TAB/kp.txt"); do obgp_ctl network add "$p" nexthop 10.255.0.4 >/dev/null || return 1; done
}
obgp_shutdown() { obgp_ctl neighbor "$CADDR" down >/dev/null; }
obgp_enable() { obgp_ctl neighbor "$CADDR" up >/dev/null; }

## ExaBGP ------------------------------------------------------------------
exa_start() {
	local d=$T/exa
	mkdir -p "$d"
	rm -f "$d/cmd.fifo"
	mkfifo "$d/cmd.fifo"
	cat >"$d/api.py" <<'EOF'
import sys, threading
def pump():
    while True:
        with open(sys.argv[1]) as f:
            for line in f:
                sys.stdout.write(line); sys.stdout.flush()
threading.Thread(target=pump, daemon=True).start()
for _ in sys.stdin:
    pass
EOF
	cat >"$d/exabgp.conf" <<EOF
process ctl {
  run /usr/bin/python3 $d/api.py $d/cmd.fifo;
  encoder text;
}
neighbor $CADDR {
  router-id 127.0.0.5;
  local-address 127.0.0.5;
  local-as 65005;
  peer-as 65000;
  connect $CPORT;
  family { ipv4 unicast; ipv6 unicast; }
  api { processes [ ctl ]; }
}
EOF
	env exabgp.daemon.user=root exabgp.daemon.daemonize=false exabgp.api.ack=false exabgp.api.cli=false \
		exabgp.log.destination=stdout exabgp.log.routes=false exabgp.log.level=WARNING exabgp.tcp.bind= \
		exabgp.daemon.pid="$d/exabgp.pid" exabgp "$d/exabgp.conf" >"$d/exabgp.out" 2>&1 &
	addpid exa $!
}
exa_cmd() { cat >"$T/exa/cmd.fifo"; }
exa_load() { exa_kp_announce && exa_cmd <"$TAB/exabgp-v6.txt" && exa_cmd <"$TAB/exabgp-big.txt"; }
exa_kp_withdraw() { sed 's|.*|withdraw route & next-hop 10.255.0.5|' "$TAB/kp.txt" | exa_cmd; }
exa_kp_announce() {
	echo "announce attributes origin igp next-hop 10.255.0.5 as-path [ 65005 $KP_PATH ] nlri $(tr '\n' ' ' <"$TAB/kp.txt")" | exa_cmd
}
exa_shutdown() { echo "neighbor $CADDR teardown 2" | exa_cmd; }
exa_enable() { :; }   # ExaBGP reconnects by itself

## GoBGP -------------------------------------------------------------------
gobgp_ctl() { gobgp -p "$GOBGP_API" "$@"; }
# gobgpd's configuration for a speaker that only connects (port -1):
# ADDR (router id and local address) and AS, to NEIGHBOR AS PEER_AS on
# PORT, reconnecting every RETRY seconds, IPv4 and IPv6 unicast; with
# SEND_MAX, ADD-PATH send of up to that many paths.  Also used by
# once/bmp_gobgp.sh, once/collect_frr_bmp.sh and bench/collect.sh.
gobgp_speaker_toml() { # ADDR AS NEIGHBOR PEER_AS PORT RETRY [SEND_MAX]
	cat <<EOF
[global.config]
  as = $2
  router-id = "$1"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$3"
    peer-as = $4
  [neighbors.transport.config]
    local-address = "$1"
    remote-port = $5
  [neighbors.timers.config]
    connect-retry = $6
EOF
	if [ -n "${7:-}" ]; then
		printf '  [neighbors.add-paths.config]\n    send-max = %s\n' "$7"
	fi
	cat <<EOF
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
EOF
}
gobgp_start() {
	local d=$T/gobgp
	mkdir -p "$d"
	GOBGP_API=$(free_port)
	gobgp_speaker_toml 127.0.0.6 65006 "$CADDR" 65000 "$CPORT" 2 >"$d/gobgpd.toml"
	gobgpd -f "$d/gobgpd.toml" -p --api-hosts "127.0.0.1:$GOBGP_API" --pprof-disable >"$d/gobgpd.log" 2>&1 &
	addpid gobgp $!
}
gobgp_wait_api() {
	local i
	for i in $(seq 100); do gobgp_ctl global >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
gobgp_load() {
	gobgp_wait_api && gobgp_kp_announce && gobgp_v6 && gobgp_ctl mrt inject global "$TAB/big-10.255.0.6.mrt" >/dev/null
}
gobgp_v6() {
	local p
	for p in $(cat "$TAB/v6.txt"); do
		gobgp_ctl global rib add "$p" nexthop 2001:db8:ffff::6 aspath 64500 origin igp -a ipv6 >/dev/null || return 1
	done
}
gobgp_count() { gobgp_ctl global rib summary -a ipv4 | sed -n 's/.*Destination: \([0-9]*\).*/\1/p'; }
gobgp_kp_withdraw() {
	local p
	for p in $(cat "$TAB/kp.txt"); do gobgp_ctl global rib del "$p" -a ipv4 >/dev/null || return 1; done
}
gobgp_kp_announce() {
	local p
	for p in $(cat "$TAB/kp.txt"); do
		gobgp_ctl global rib add "$p" nexthop 10.255.0.6 aspath "${KP_PATH// /,}" origin igp -a ipv4 >/dev/null || return 1
	done
}
gobgp_shutdown() { gobgp_ctl neighbor "$CADDR" disable >/dev/null; }
gobgp_enable() { gobgp_ctl neighbor "$CADDR" enable >/dev/null; }
