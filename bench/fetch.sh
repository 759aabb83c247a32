#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# vigil fetch against the real peer for the same job: curl (4 transfers at
# once, like --jobs 4) followed by `bzip2 -t` (the integrity check vigil
# does by decoding every file), on the real route-views2 day of 2008-02-23
# (94 files, 24 MB) served by tests/regress/lib/archive_server.py on
# 127.0.0.1.  Prints wall seconds, user seconds and peak RSS of each, and
# the ratio.  Figures are printed, never asserted.
set -u
cd "$(dirname "$0")/.."
DATA=${VIGIL_DATA:-$(cd .. && pwd)/shared/data}
make -s all >/dev/null || exit 2
V=$PWD/build/vigil
T=$(mktemp -d)
trap 'kill $SRV 2>/dev/null; rm -rf "$T"' EXIT
U=$T/mirror/rv/bgpdata/2008.02/UPDATES
mkdir -p "$U"
cp "$DATA"/mrt/rv2-2008-02-23/*.bz2 "$U/"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 tests/regress/lib/archive_server.py --dir "$T/mirror" --port "$PORT" \
	--log "$T/log" &
SRV=$!
sleep 0.5
ls "$U" | sed "s|^|http://127.0.0.1:$PORT/rv/bgpdata/2008.02/UPDATES/|" >"$T/urls"

/usr/bin/time -f "%e %U %M" -o "$T/t1" "$V" fetch -q --jobs 4 \
	--collector route-views2 --from 2008-02-23 --until 2008-02-24T00:15 \
	--rv-base "http://127.0.0.1:$PORT/rv" --cache "$T/cache" >/dev/null 2>&1
mkdir "$T/curl"
/usr/bin/time -f "%e %U %M" -o "$T/t2" sh -c \
	"cd '$T/curl' && xargs -P4 -n1 curl -s -O <'$T/urls' && for f in *.bz2; do bzip2 -t \$f || exit 1; done"
read -r w1 u1 m1 < <(tail -n 1 "$T/t1")
read -r w2 u2 m2 < <(tail -n 1 "$T/t2")
n=$(find "$T/cache" -name '*.bz2' | wc -l)
echo "fetch: $n files, $(du -sm "$U" | cut -f1) MB, local HTTP server"
printf '%-32s %8s s wall %8s s user %8s KB peak RSS\n' "vigil fetch --jobs 4" "$w1" "$u1" "$m1"
printf '%-32s %8s s wall %8s s user %8s KB peak RSS\n' "curl -P4 + bzip2 -t" "$w2" "$u2" "$m2"
awk -v a="$w1" -v b="$w2" 'BEGIN { if (b > 0) printf "ratio vigil / curl+bzip2 (wall): %.2f\n", a / b }'
