#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# BMP decoding speed.  bench/mrt2bmp.py turns the BGP4MP UPDATEs of real MRT
# archives (RIS rrc00 2019-01-01 00:00, 4-byte AS; two hours of RouteViews
# route-views2 2008-02-23, 2-byte AS) into the BMP stream a router monitoring
# those sessions would send, and the same bytes are decoded:
#   - from the MRT files: vigil dump -n (the reference: same UPDATEs),
#   - from the BMP file: vigil dump -n --bmp, and vigil dump -m --bmp,
#   - over TCP into vigil bmp-listen -m (one router connection, the whole
#     stream written as fast as loopback takes it).
# Prints seconds, MB/s, elements/s and peak RSS; nothing is asserted.  Read
# the lines as ratios: the machine is shared and its clocks are noisy.
set -u
cd "$(dirname "$0")/.."
DATA=${VIGIL_DATA:-$(cd .. && pwd)/shared/data}
OUT=bench/out
mkdir -p "$OUT"
make -s all >/dev/null || exit 2
V=$PWD/build/vigil
MRT=("$DATA"/mrt/ris-rrc00-2019/updates.20190101.0000.gz
     "$DATA"/mrt/rv2-2008-02-23/updates.20080223.0[0-1]*.bz2)
B=$OUT/bench.bmp
if [ ! -s "$B" ]; then
	python3 bench/mrt2bmp.py "$B.one" "${MRT[@]}" || exit 2
	: >"$B"
	for _ in 1 2 3 4 5; do cat "$B.one" >>"$B"; done
	rm -f "$B.one"
	: >"$OUT/bench.mrt"
	for _ in 1 2 3 4 5; do
		for f in "${MRT[@]}"; do
			case $f in *.gz) zcat "$f" ;; *.bz2) bzcat "$f" ;; esac
		done >>"$OUT/bench.mrt"
	done
fi
mb=$(( $(stat -c %s "$B") / 1000000 ))
elems=$("$V" dump -m --bmp "$B" | grep -c '|[AW]|')
echo "BMP stream: $B, $mb MB, $elems route elements"
measure() { # label cmd...
	local label=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$OUT/time" "$@" >/dev/null 2>"$OUT/stderr"
	read -r wall usr sys kb < <(tail -n 1 "$OUT/time")
	cpu=$(echo "$usr + $sys" | bc)
	printf '%-34s wall %6.2fs (cpu %5.2fs)  %6.1f MB/s  %5.2f M elements/s  peak RSS %d MB\n' \
	    "$label" "$wall" "$cpu" "$(echo "$mb / $wall" | bc -l)" \
	    "$(echo "$elems / $wall / 1000000" | bc -l)" $((kb / 1024))
}
shift 0
mb_bmp=$mb
mb=$(( $(stat -c %s "$OUT/bench.mrt") / 1000000 ))
measure "dump -n, the MRT source" "$V" dump -n "$OUT/bench.mrt"
mb=$mb_bmp
measure "dump -n --bmp" "$V" dump -n --bmp "$B"
measure "dump -m --bmp" "$V" dump -m --bmp "$B"
# over TCP: the listener's CPU and RSS, the sender a python socket
rm -f "$OUT/port"
/usr/bin/time -f "%e %U %S %M" -o "$OUT/time" "$V" bmp-listen -m --exit-after 1 \
    --port-file "$OUT/port" 127.0.0.1 0 >/dev/null 2>"$OUT/stderr" &
lp=$!
for _ in $(seq 100); do [ -s "$OUT/port" ] && break; sleep 0.1; done
python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "rb") as f:
    while True:
        b = f.read(1 << 20)
        if not b:
            break
        s.sendall(b)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
' "$(cat "$OUT/port")" "$B"
wait "$lp"
read -r wall usr sys kb < <(tail -n 1 "$OUT/time")
cpu=$(echo "$usr + $sys" | bc)
# wall time here includes the listener's start: CPU is the figure to read
printf '%-34s wall %6.2fs (cpu %5.2fs)  %6.1f MB/s  %5.2f M elements/s  peak RSS %d MB (per CPU second)\n' \
    "bmp-listen -m over TCP" "$wall" "$cpu" "$(echo "$mb / $cpu" | bc -l)" \
    "$(echo "$elems / $cpu / 1000000" | bc -l)" $((kb / 1024))
