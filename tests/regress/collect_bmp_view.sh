#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `bmp-view`: a router that monitors both the pre- and the post-policy
# Adj-RIB-In of a peer sends every route twice, the post-policy copy with
# the router's import policy applied (here: a prepended path, a route the
# pre-policy view does not carry).  One view per monitored peer feeds the
# routing state and the archive; the other is counted in the status file
# ("other_view_updates") and its Peer Up/Down are logged and ignored.
# The view is chosen per address family (FRR configures BMP monitoring
# per AFI: IPv4 pre-policy and IPv6 post-policy is a real setup).
# Checked for `bmp-view first` (the default: the view of the peer's first
# route monitoring message), `pre-policy` and `post-policy`, in the status
# file, the log and the archive (`vigil dump -m` and `bgpdump -m`); and a
# bad value is refused with the file and line.
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
CPID=""
trap '[ -n "$CPID" ] && kill -9 $CPID 2>/dev/null; rm -rf "$T"' EXIT
ok() { echo "ok $1"; }
bad() { echo "FAIL $1${2:+ ($2)}"; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cat >"$T/gen.py" <<'EOF'
# Router 127.0.0.8: peer 10.8.8.1 (AS 65101) pre-policy first, peer
# 10.8.8.2 (AS 65102) post-policy first; both views of both, then a
# post-policy Peer Down of 10.8.8.1 while its session stays up.  The
# connection stays open until the status file has been read.
import socket, struct, sys
sys.path.insert(0, "tests/regress/lib")
from bmp_gen import bmp, peer_hdr, bgp, open_msg, MP4, AS4, attr, update
import bmp_gen

def peer_up(addr, asn, flags):
    return bmp_gen.peer_up(addr, asn, flags,
                           open_msg(65010, "192.0.2.250", [MP4, AS4(65010)]),
                           open_msg(asn, addr, [MP4, AS4(asn)]))

def rm(addr, asn, flags, path, *pfx):
    nlri = b"".join(bytes([16, 10, p]) for p in pfx)
    return bmp(0, peer_hdr(addr, asn, flags) + update(path, 4, nlri))

def rm6(addr, asn, flags, path, p3):
    # 2001:db8:P3::/48 in MP_REACH_NLRI, next hop 2001:db8::1
    seg = struct.pack("!BB", 2, len(path)) + b"".join(struct.pack("!I", a) for a in path)
    mp = (struct.pack("!HBB", 2, 1, 16) + socket.inet_pton(socket.AF_INET6, "2001:db8::1") +
          b"\0" + bytes([48]) + socket.inet_pton(socket.AF_INET6, "2001:db8:%x::" % p3)[:6])
    attrs = (attr(1, b"\0") + attr(2, seg) +
             struct.pack("!BBB", 0x80, 14, len(mp)) + mp)
    msg = bgp(2, struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs)
    return bmp(0, peer_hdr(addr, asn, flags) + msg)

L = 0x40
A, B, C = ("10.8.8.1", 65101), ("10.8.8.2", 65102), ("10.8.8.3", 65103)
out = bmp(4, struct.pack("!HH", 2, 4) + b"test")
out += peer_up(*A, 0) + peer_up(*A, L) + peer_up(*B, 0) + peer_up(*B, L)
# C: monitored per address family, as FRR's `bmp monitor ipv4 unicast
# pre-policy` + `bmp monitor ipv6 unicast post-policy` does
out += peer_up(*C, 0) + peer_up(*C, L)
out += rm(*C, 0, [65103, 65301], 71)
out += rm6(*C, L, [65103, 65103, 65301], 0x71)
out += rm(*C, L, [65103, 65103, 65301], 71, 72)
out += rm6(*C, 0, [65103, 65302], 0x72)
out += rm(*A, 0, [65101, 65201], 81)
out += rm(*A, L, [65101, 65101, 65201], 81, 82)
out += rm(*A, 0, [65101, 65203], 83)
out += rm(*B, L, [65102, 65102, 65202], 91, 92)
out += rm(*B, 0, [65102, 65202], 91)
out += bmp(2, peer_hdr(*A, L) + b"\x04")
s = socket.socket(); s.bind(("127.0.0.8", 0)); s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(out)
# hold the connection while the test reads the status file
sys.stdin.read()
s.close()
EOF

# run VIEW: collect with `bmp-view VIEW` (none: the default), the stream
# sent and held open; leaves $T/VIEW/{status.json,log,vd,bd}
run() {
	local v=$1 W=$T/$1 P B
	mkdir -p "$W/arc"
	P=$(freeport); B=$(freeport)
	{
		echo "collector live"
		echo "local-as 65000"
		echo "router-id 127.0.0.1"
		echo "listen 127.0.0.1 $P"
		echo "bmp-listen 127.0.0.1 $B"
		echo "archive $W/arc"
		echo "status-file $W/status.json"
		echo "log $W/log"
		[ "$v" = none ] || echo "bmp-view $v"
	} >"$W/c.conf"
	"$VIGIL" collect -c "$W/c.conf" 2>"$W/stderr" &
	CPID=$!
	for _ in $(seq 50); do grep -q 'kind=bmp' "$W/log" 2>/dev/null && break; sleep 0.1; done
	mkfifo "$W/hold"
	python3 "$T/gen.py" "$B" <"$W/hold" &
	local gpid=$!
	exec 7>"$W/hold"
	for _ in $(seq 50); do
		grep -q '"other_view_updates":[1-9]' "$W/status.json" 2>/dev/null &&
			grep -q 'view not taken' "$W/log" && break
		sleep 0.1
	done
	sleep 1.2 # one more status write after the last message
	cp "$W/status.json" "$W/st.json"
	exec 7>&-
	wait $gpid
	kill -TERM $CPID
	wait $CPID
	echo $? >"$W/rc"
	CPID=""
	"$VIGIL" dump -m "$W"/arc/*/updates.*.gz >"$W/vd" 2>/dev/null
	for f in "$W"/arc/*/updates.*.gz; do bgpdump -m "$f"; done >"$W/bd" 2>/dev/null # one file per run
}

# peer ADDR FIELD: a field of the BMP peer ADDR in the status snapshot
peer() {
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
p = [p for p in s["peers"] if p["addr"] == sys.argv[2] and p.get("router") == "127.0.0.8"]
f = sys.argv[3]
if len(p) != 1:
    print("missing")
elif f in ("ipv4", "ipv6"):
    print(json.dumps(p[0]["view"][f]))
else:
    print(json.dumps(p[0].get(f)))' "$1" "$2" "$3"
}

# check VIEW A_VIEW A_ROUTES A_OTHER B_VIEW B_ROUTES B_OTHER PATHS...:
# PATHS are "prefix|path" announcements the archive must hold, exactly
check() {
	local v=$1 W=$T/$1
	[ "$(cat "$W/rc")" = 0 ] && ok "${v}_clean_exit" || bad "${v}_clean_exit" "$(cat "$W/stderr")"
	local got="$(peer "$W/st.json" 10.8.8.1 ipv4) $(peer "$W/st.json" 10.8.8.1 routes_v4) $(peer "$W/st.json" 10.8.8.1 other_view_updates)"
	[ "$got" = "$2 $3 $4" ] && ok "${v}_peer_a" || bad "${v}_peer_a" "view routes other: $got, want $2 $3 $4"
	got="$(peer "$W/st.json" 10.8.8.2 ipv4) $(peer "$W/st.json" 10.8.8.2 routes_v4) $(peer "$W/st.json" 10.8.8.2 other_view_updates)"
	[ "$got" = "$5 $6 $7" ] && ok "${v}_peer_b" || bad "${v}_peer_b" "view routes other: $got, want $5 $6 $7"
	got="$(peer "$W/st.json" 10.8.8.3 ipv4) $(peer "$W/st.json" 10.8.8.3 ipv6) $(peer "$W/st.json" 10.8.8.3 routes_v4) $(peer "$W/st.json" 10.8.8.3 routes_v6) $(peer "$W/st.json" 10.8.8.3 other_view_updates)"
	[ "$got" = "$8" ] && ok "${v}_peer_per_family" || bad "${v}_peer_per_family" "view4 view6 routes4 routes6 other: $got, want $8"
	shift 8
	awk -F'|' '$3 == "A" {print $6 "|" $7}' "$W/vd" | sort >"$W/ann"
	printf '%s\n' "$@" | sort >"$W/want"
	cmp -s "$W/ann" "$W/want" && ok "${v}_archive_one_view" ||
		{ bad "${v}_archive_one_view"; diff "$W/ann" "$W/want" | head -6; }
	[ -s "$W/vd" ] && cmp -s "$W/vd" "$W/bd" && ok "${v}_archive_equals_bgpdump" || bad "${v}_archive_equals_bgpdump"
}

run none
W=$T/none
check none '"pre-policy"' 2 1 '"post-policy"' 2 1 '"pre-policy" "post-policy" 1 1 2' \
	"10.71.0.0/16|65103 65301" "2001:db8:71::/48|65103 65103 65301" \
	"10.81.0.0/16|65101 65201" "10.83.0.0/16|65101 65203" \
	"10.91.0.0/16|65102 65102 65202" "10.92.0.0/16|65102 65102 65202"
grep -q 'router=127.0.0.8 peer=10.8.8.1 as=65101 kind=bmp event=bmp-view family=ipv4 view=pre-policy' "$W/log" &&
	grep -q 'router=127.0.0.8 peer=10.8.8.2 as=65102 kind=bmp event=bmp-view family=ipv4 view=post-policy' "$W/log" &&
	grep -q 'router=127.0.0.8 peer=10.8.8.3 as=65103 kind=bmp event=bmp-view family=ipv6 view=post-policy' "$W/log" &&
	ok first_view_logged || bad first_view_logged
grep -q 'peer=10.8.8.1 as=65101 kind=bmp event=bmp-peer-down view=post-policy note="view not taken, ignored"' "$W/log" &&
	ok other_view_down_ignored || bad other_view_down_ignored
[ "$(peer "$W/st.json" 10.8.8.1 state)" = '"Established"' ] && ok other_view_down_keeps_peer_up ||
	bad other_view_down_keeps_peer_up "$(peer "$W/st.json" 10.8.8.1 state)"

run pre-policy
check pre-policy '"pre-policy"' 2 1 '"pre-policy"' 1 1 '"pre-policy" "pre-policy" 1 1 2' \
	"10.71.0.0/16|65103 65301" "2001:db8:72::/48|65103 65302" \
	"10.81.0.0/16|65101 65201" "10.83.0.0/16|65101 65203" "10.91.0.0/16|65102 65202"

run post-policy
check post-policy '"post-policy"' 2 2 '"post-policy"' 2 1 '"post-policy" "post-policy" 2 1 2' \
	"10.71.0.0/16|65103 65103 65301" "10.72.0.0/16|65103 65103 65301" "2001:db8:71::/48|65103 65103 65301" \
	"10.81.0.0/16|65101 65101 65201" "10.82.0.0/16|65101 65101 65201" \
	"10.91.0.0/16|65102 65102 65202" "10.92.0.0/16|65102 65102 65202"
# the post-policy Peer Down of 10.8.8.1 is the taken view's: it goes down
[ "$(peer "$T/post-policy/st.json" 10.8.8.1 state)" = '"Idle"' ] && ok post_view_down_taken ||
	bad post_view_down_taken "$(peer "$T/post-policy/st.json" 10.8.8.1 state)"

printf 'local-as 65000\nrouter-id 127.0.0.1\nbmp-view sideways\n' >"$T/bad.conf"
"$VIGIL" collect -c "$T/bad.conf" >/dev/null 2>"$T/bad.err"
rc=$?
[ $rc -eq 2 ] && grep -q "bad.conf:3: bmp-view: first, pre-policy or post-policy, not 'sideways'" "$T/bad.err" &&
	ok bad_view_refused || bad bad_view_refused "exit $rc: $(cat "$T/bad.err")"
