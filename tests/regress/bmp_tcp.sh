#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The real router captures streamed over TCP into the BMP listener
# (`vigil bmp-listen`), four routers at once from 127.0.0.2-5, each stream
# written in random-sized chunks: for every router the listener must print
# exactly what `vigil dump --json` prints for the file (same lines, same
# order; only the router name differs), the pmacct conformance
# (lib/bmp_vs_pmacct.py) must hold on what came over TCP, and the listener
# must report the one capture that ends inside a message.
set -u
D=$VIGIL_DATA/bmp
LIB=$(dirname "$0")/lib
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
C2=$(echo "$D"/202-*)
C4=$(echo "$D"/204-*)
declare -A SRC=([127.0.0.2]=$C2/traffic-00.pcap.flow0.bmp
                [127.0.0.3]=$C2/traffic-01.pcap.flow0.bmp
                [127.0.0.4]=$C2/traffic-02.pcap.flow0.bmp
                [127.0.0.5]=$C4/traffic-00.pcap.flow0.bmp)
for seed in 1 2; do
	rm -f "$T/port"
	"$VIGIL" bmp-listen --json --exit-after 4 --port-file "$T/port" \
	    127.0.0.1 0 >"$T/out" 2>"$T/err" &
	pid=$!
	for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
	if [ ! -s "$T/port" ]; then
		echo "FAIL bmp_tcp_listen_$seed: no port"; cat "$T/err"; exit 1
	fi
	args=()
	for a in "${!SRC[@]}"; do args+=("$a=${SRC[$a]}"); done
	if ! timeout 60 python3 "$LIB/bmp_send.py" "$(cat "$T/port")" "${args[@]}" --seed "$seed"; then
		echo "FAIL bmp_tcp_send_$seed"
	fi
	timeout 30 tail --pid="$pid" -f /dev/null
	wait "$pid"; rc=$?; pid=
	[ "$rc" -eq 1 ] && echo "ok bmp_tcp_exit_$seed (problems reported: exit 1)" ||
		{ echo "FAIL bmp_tcp_exit_$seed: exit $rc, wanted 1"; tail -5 "$T/err"; }
	grep -q 'vigil: 127.0.0.4: BMP message 67 at byte 12503 (route_monitoring): stream ended inside a message: 156 of 185 bytes' "$T/err" &&
		echo "ok bmp_tcp_truncated_reported_$seed" ||
		{ echo "FAIL bmp_tcp_truncated_reported_$seed"; grep -v connected "$T/err" | head -5; }
	for a in "${!SRC[@]}"; do
		f=${SRC[$a]}
		"$VIGIL" dump --json "$f" >"$T/file.json" 2>/dev/null
		python3 - "$T/out" "$a" "$T/file.json" "$T/tcp-$a.json" "$seed" <<'PY'
import json, sys
out, router, filej, save, seed = sys.argv[1:]
def strip(o):
    o.get("bmp", {}).pop("router", None)
    return o
tcp = [json.loads(l) for l in open(out) if l.strip()]
mine = [l for l in tcp if l.get("bmp", {}).get("router") == router]
with open(save, "w") as f:
    for o in mine:
        f.write(json.dumps(o) + "\n")
want = [strip(json.loads(l)) for l in open(filej) if l.strip()]
got = [strip(o) for o in mine]
if got == want:
    print("ok bmp_tcp_same_as_file_%s_%s (%d lines)" % (router, seed, len(got)))
else:
    i = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]),
             min(len(got), len(want)))
    print("FAIL bmp_tcp_same_as_file_%s_%s: %d lines over TCP, %d from the "
          "file, first difference at line %d:\n    tcp:  %s\n    file: %s" % (
              router, seed, len(got), len(want), i + 1,
              json.dumps(got[i]) if i < len(got) else "-",
              json.dumps(want[i]) if i < len(want) else "-"))
PY
	done
done
# pmacct conformance on what arrived over TCP (last run)
python3 "$LIB/bmp_vs_pmacct.py" "$C2" --json 00="$T/tcp-127.0.0.2.json" \
    --json 01="$T/tcp-127.0.0.3.json" --json 02="$T/tcp-127.0.0.4.json" |
	sed 's/^\(ok\|FAIL\) bmp_pmacct_/\1 bmp_tcp_pmacct_/'
python3 "$LIB/bmp_vs_pmacct.py" "$C4" --json 00="$T/tcp-127.0.0.5.json" |
	sed 's/^\(ok\|FAIL\) bmp_pmacct_/\1 bmp_tcp_pmacct_/'
