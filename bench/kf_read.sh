#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Read latency of the store's signal readers (bench/kf_read.c) on a replay
# database, default the one `bench/run.sh replay` leaves in bench/out/:
# microseconds per store_query_signals over the whole range, per
# store_signal_at (last bin, and between keyframes) and per
# store_signal_between (an hour back), for every country and every STEP-th
# other entity.  To compare two builds (or two layouts of the same data:
# the checksum must agree), build kf_read against each library, e.g.
#   LIB=/other/tree/build/libvigil.a INC=/other/tree bench/kf_read.sh DB
# Usage: bench/kf_read.sh [DB] [STEP] [REPEAT]
set -eu
cd "$(dirname "$0")/.."
DB=${1:-bench/out/replay.db}
LIB=${LIB:-build/libvigil.a}
INC=${INC:-.}
mkdir -p bench/out
make -s "$LIB" >/dev/null 2>&1 || true
cc -std=c11 -D_GNU_SOURCE -I"$INC/include" -I"$INC/src" -O2 \
	-o bench/out/kf_read bench/kf_read.c "$LIB" -lsqlite3 -lm
bench/out/kf_read "$DB" "${2:-100}" "${3:-3}"
