#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Decompression benchmark: vg_stream against the reference tools.  Builds
# bench/decomp, makes a >= 300 MB input by decompressing the real MRT files
# under $VIGIL_DATA/mrt (default ../shared/data/mrt) and concatenating them
# until large enough, compresses it with gzip -6, bzip2 -9 and zstd -3, then
# times each decoder and reports MB/s of decompressed output (10^6 bytes/s)
# and peak RSS.  Work files live in bench/out/ (git-ignored) and are reused
# by later runs; `rm -r bench/out/decomp` to start afresh.
set -eu

cd "$(dirname "$0")/.."
DATA=${VIGIL_DATA:-../shared/data}/mrt
OUT=bench/out/decomp
MIN_BYTES=${DECOMP_MIN_BYTES:-300000000}
mkdir -p "$OUT"

cc -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -O2 -g -o "$OUT/decomp" \
	bench/decomp.c src/io/*.c -lisal -lz -lbz2 -lzstd -llzma -lpthread

RAW=$OUT/input.mrt
if [ ! -s "$RAW" ] || [ "$(stat -c %s "$RAW")" -lt "$MIN_BYTES" ]; then
	echo "building input from $DATA ..." >&2
	: >"$RAW.tmp"
	files=$(find "$DATA" -type f \( -name '*.gz' -o -name '*.bz2' \) | sort)
	[ -n "$files" ] || { echo "no MRT files under $DATA" >&2; exit 1; }
	while [ "$(stat -c %s "$RAW.tmp")" -lt "$MIN_BYTES" ]; do
		before=$(stat -c %s "$RAW.tmp")
		for f in $files; do
			case $f in
			*.gz) gzip -dc "$f" ;;
			*.bz2) bzip2 -dc "$f" ;;
			esac
		done >>"$RAW.tmp"
		[ "$(stat -c %s "$RAW.tmp")" -gt "$before" ] ||
			{ echo "MRT files decompress to nothing" >&2; exit 1; }
	done
	mv "$RAW.tmp" "$RAW"
	rm -f "$RAW.gz" "$RAW.bz2" "$RAW.zst"
fi
# Compress in parallel; bzip2 -9 is the long pole (about a minute).
[ -s "$RAW.bz2" ] || { bzip2 -9 -c "$RAW" >"$RAW.bz2.tmp" && mv "$RAW.bz2.tmp" "$RAW.bz2"; } &
[ -s "$RAW.gz" ] || { gzip -6 -c "$RAW" >"$RAW.gz.tmp" && mv "$RAW.gz.tmp" "$RAW.gz"; }
[ -s "$RAW.zst" ] || zstd -q -3 -c "$RAW" >"$RAW.zst"
wait

SIZE=$(stat -c %s "$RAW")
printf 'input: %s bytes decompressed; gz %s, bz2 %s, zst %s bytes\n' \
	"$SIZE" "$(stat -c %s "$RAW.gz")" "$(stat -c %s "$RAW.bz2")" \
	"$(stat -c %s "$RAW.zst")"
# Other work on the machine skews the threaded numbers: show the load.
printf '%s cores, load average %s\n' "$(nproc)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %8s %8s %9s %10s\n' decoder wall_s cpu_s MB/s 'RSS(KiB)'

# run NAME CMD...: time CMD with its output going to /dev/null (not to a
# pipe: a reader process would steal one of the two cores from the
# threaded decoders).  Correctness is the unit tests' job.
run() {
	name=$1
	shift
	if ! /usr/bin/time -f '%e %U %S %M' -o "$OUT/time" "$@" >/dev/null \
		2>"$OUT/err"; then
		echo "$name: failed: $(tail -n 1 "$OUT/err")" >&2
		return 0
	fi
	set -- $(tail -n 1 "$OUT/time")
	mbs=$(awk -v b="$SIZE" -v t="$1" \
		'BEGIN { printf "%.1f", (t > 0 ? b / t / 1e6 : 0) }')
	cpu=$(awk -v u="$2" -v s="$3" 'BEGIN { printf "%.2f", u + s }')
	printf '%-28s %8s %8s %9s %10s\n' "$name" "$1" "$cpu" "$mbs" "$4"
}

D=$OUT/decomp
run 'zcat' zcat "$RAW.gz"
run 'vg gzip (isa-l)' "$D" -o - "$RAW.gz"
run 'vg gzip (zlib)' "$D" --zlib -o - "$RAW.gz"
run 'bzcat (1 core)' bzcat "$RAW.bz2"
run 'lbzip2 -dc -n 2' lbzip2 -dc -n 2 "$RAW.bz2"
run 'vg bzip2 threads=1' "$D" --threads 1 -o - "$RAW.bz2"
run 'vg bzip2 threads=2' "$D" --threads 2 -o - "$RAW.bz2"
run 'zstd -dc' zstd -dc "$RAW.zst"
run 'vg zstd' "$D" -o - "$RAW.zst"
run 'cat (plain)' cat "$RAW"
run 'vg plain' "$D" -o - "$RAW"
