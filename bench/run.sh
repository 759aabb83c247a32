#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# vigil's benchmarks, each against a real peer run side by side on the
# same bytes, with peak memory.
# Usage: bench/run.sh [dump|decomp|replay|api|collect|all]
#   dump    vigil dump -m vs Debian's bgpdump -m on >= 300 MB of
#           concatenated real MRT files (plain, .gz, .bz2), parse-only,
#           and the raw limits (cat, a bare header walk in memory)
#   decomp  decompression alone: vigil's streams vs zcat/bzcat/lbzip2/zstd
#   replay  vigil replay of 12 full-feed peers x the 577k-prefix 2015 table
#           plus a day of updates (built by vigil scenario)
#   api     vigil serve under wrk: status and signals requests/s and p99 on
#           a week of 5-minute bins for every country and origin AS
#           (bench/api.sh)
#   collect vigil collect receiving 1.15 M routes over BGP from two GoBGP
#           speakers and from two scripted peers (bench/collect.sh)
# Work files go to bench/out/ (git-ignored) and are reused.  Figures are
# printed, never asserted: the machine decides them.
set -u
cd "$(dirname "$0")/.."
DATA=${VIGIL_DATA:-$(cd .. && pwd)/shared/data}
OUT=bench/out
mkdir -p "$OUT"
what=${1:-all}
make -s all >/dev/null || exit 2
V=$PWD/build/vigil

# run LABEL CMD...: wall seconds, peak RSS and CPU seconds (user+sys) of
# CMD, output discarded
run() {
	local label=$1; shift
	/usr/bin/time -f "%e %M %U %S" -o "$OUT/time" "$@" >/dev/null 2>"$OUT/stderr"
	read -r secs kb us ss < <(tail -n 1 "$OUT/time")
	echo "$label $secs $kb $(awk -v u="$us" -v s="$ss" 'BEGIN{printf "%.2f", u+s}')"
}

bench_dump() {
	local IN=$OUT/dump.mrt
	if [ ! -s "$IN" ]; then
		echo "building $IN from $DATA/mrt ..." >&2
		: >"$IN"
		while [ "$(stat -c %s "$IN")" -lt 300000000 ]; do
			for f in "$DATA"/mrt/ris-bgpdump/input/* "$DATA"/mrt/ris-rrc00-2019/* \
			         "$DATA"/mrt/ris-rv-2015/*.gz; do zcat "$f"; done >>"$IN"
			for f in "$DATA"/mrt/ris-rv-2015/*.bz2 "$DATA"/mrt/rv2-2008-02-23/*.bz2; do
				bzcat "$f"; done >>"$IN"
		done
		gzip -6 -c "$IN" >"$IN.gz"
		bzip2 -9 -c "$IN" >"$IN.bz2"
	fi
	cc -O2 -o "$OUT/mrtwalk" bench/mrtwalk.c
	local bytes elems
	bytes=$(stat -L -c %s "$IN")
	elems=$("$V" dump -q -m "$IN" | wc -l)
	echo "input: $bytes bytes decompressed, $elems elements (bgpdump -m lines)"
	printf '%-36s %8s %8s %7s %9s %9s %10s\n' "what" "seconds" "CPU s" "MB/s" "Melem/s" \
	    "x bgpdump" "peak RSS"
	local base_secs=""
	report() { # label secs kb cpu
		local mbs eps x
		mbs=$(awk -v b="$bytes" -v s="$2" 'BEGIN{printf "%.0f", b/s/1e6}')
		eps=$(awk -v e="$elems" -v s="$2" 'BEGIN{printf "%.2f", e/s/1e6}')
		x=$(awk -v a="${base_secs:-0}" -v s="$2" 'BEGIN{if (a > 0) printf "%.1f", a/s; else printf "-"}')
		printf '%-36s %8s %8s %7s %9s %9s %7d MB\n' "$1" "$2" "$4" "$mbs" "$eps" "$x" $(($3 / 1024))
	}
	set -- $(run cat cat "$IN"); report "read (cat)" "$2" "$3" "$4"
	local walk; walk=$("$OUT/mrtwalk" "$IN")
	echo "header walk in memory: $walk"
	set -- $(run bgpdump bgpdump -m "$IN"); base_secs=$2; report "bgpdump -m" "$2" "$3" "$4"
	local t vm=""
	# busiest: the largest per-worker CPU time of the last 2-thread run
	# (VIGIL_PAR_STATS): what it takes on two otherwise idle cores
	busiest() {
		local w
		w=$(sed -n 's/.*worker CPU seconds //p' "$OUT/stderr" | tr ' ' '\n' | sort -rn | head -1)
		[ -n "$w" ] && awk -v b="$bytes" -v w="$w" \
		    'BEGIN{printf "%38s busiest worker %.2f CPU s: %.0f MB/s on two idle cores\n", "", w, b/w/1e6}'
	}
	export VIGIL_PAR_STATS=1
	# --threads 1 is one core; --threads 2 decodes (and formats) on two
	# (plain and .gz; for .bz2 the threads decompress, one decodes)
	for t in 1 2; do
		set -- $(run v "$V" dump -q -n --threads $t "$IN")
		report "vigil dump -n (parse only) ${t}T" "$2" "$3" "$4"
		[ $t = 2 ] && busiest
	done
	for t in 1 2; do
		set -- $(run v "$V" dump -q -m --threads $t "$IN")
		report "vigil dump -m ${t}T" "$2" "$3" "$4"; [ -n "$vm" ] || vm=$2
		[ $t = 2 ] && busiest
	done
	for t in 1 2; do
		set -- $(run v "$V" dump -q -n --threads $t "$IN.gz")
		report "vigil dump -n .gz ${t}T" "$2" "$3" "$4"
		[ $t = 2 ] && busiest
	done
	for t in 1 2; do
		set -- $(run v "$V" dump -q -m --threads $t "$IN.gz")
		report "vigil dump -m .gz ${t}T" "$2" "$3" "$4"
		[ $t = 2 ] && busiest
	done
	for t in 1 2; do
		set -- $(run v "$V" dump -q -n --threads $t "$IN.bz2")
		report "vigil dump -n .bz2 ${t}T" "$2" "$3" "$4"
	done
	for t in 1 2; do
		set -- $(run v "$V" dump -q -m --threads $t "$IN.bz2")
		report "vigil dump -m .bz2 ${t}T" "$2" "$3" "$4"
	done
	unset VIGIL_PAR_STATS
	awk -v a="$base_secs" -v b="$vm" 'BEGIN{printf "vigil dump -m (one thread) vs bgpdump -m: %.1fx faster\n", a/b}'
}

bench_replay() {
	local SC=$OUT/replay-scenario
	if [ ! -s "$SC/truth.json" ]; then
		cat >"$OUT/replay.spec" <<SPEC
seed 1
start 2015-10-23T00:00:00Z
duration 24h
peers 12
peer-asns 65536,65537,65538,65539,65540,65541,65542,65543,65544,65545,65546,65547
source $DATA/mrt/ris-bgpdump/input/updates.et-header.2015.gz
churn 300/min
outage origin 131279 from 2015-10-23T16:15:00Z until 2015-10-24T01:46:00Z
flap origin 131279 every 10m from 2015-10-23T12:00:00Z until 2015-10-23T14:00:00Z
session-drop peer 3 at 2015-10-23T08:00:00Z until 2015-10-23T08:20:00Z
table-resend peer 5 at 2015-10-23T10:00:00Z
SPEC
		rm -rf "$SC"
		"$V" scenario -q "$OUT/replay.spec" "$SC" || return 1
	fi
	local G=$DATA/geo
	/usr/bin/time -f "%e %U %S %M" -o "$OUT/time" "$V" replay --db "$OUT/replay.db" \
		--geo $G/delegated-apnic-extended-latest --geo $G/delegated-afrinic-extended-latest \
		--geo $G/delegated-lacnic-extended-latest --geo $G/asnames.json.gz "$SC"/*.gz \
		>"$OUT/replay.out" 2>"$OUT/replay.err"
	read -r wall user sys kb < <(tail -n 1 "$OUT/time")
	local line; line=$(grep "elements" "$OUT/replay.err")
	local elems; elems=$(echo "$line" | awk '{print $3}')
	local bpr; bpr=$(echo "$line" | sed -n 's/.*(\([0-9.]*\) bytes\/route).*/\1/p')
	echo "$line"
	# elements/s of CPU: user time (the replay is one thread), and user +
	# system (page faults of a growing heap, the database's writes)
	awk -v e="$elems" -v w="$wall" -v u="$user" -v s="$sys" -v k="$kb" -v b="$bpr" 'BEGIN{
		printf "replay: %.1f s wall, %.2f s user + %.2f s sys CPU, %.2f M elements/s (user CPU), %.2f M elements/s (user+sys), peak RSS %d MB, %s bytes/route\n",
		       w, u, s, e/u/1e6, e/(u+s)/1e6, k/1024, b}'
	grep -E "^20" "$OUT/replay.out" | head -8
}

case $what in
dump) bench_dump ;;
decomp) sh bench/decomp.sh ;;
replay) bench_replay ;;
api) bash bench/api.sh ;;
collect) bash bench/collect.sh all ;;
all) bench_dump; sh bench/decomp.sh; bench_replay; bash bench/api.sh
     bash bench/collect.sh all ;;
*) echo "usage: bench/run.sh [dump|decomp|replay|api|collect|all]" >&2; exit 2 ;;
esac
