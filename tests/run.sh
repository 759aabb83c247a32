#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every unit test program in $BUILD/tests and every regress script in
# tests/regress/*.sh, counts cases ("ok NAME" / "FAIL NAME" lines) and ends
# with the line "N passed, N failed".  Exit status 1 if anything failed.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
export VIGIL=${VIGIL:-$PWD/$BUILD/vigil}
export VIGIL_DATA=${VIGIL_DATA:-$(cd .. && pwd)/shared/data}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0; fail=0
run_one() {
	local name=$1; shift
	local log="$out/$(basename "$name").log"
	local start=$SECONDS
	"$@" >"$log" 2>&1
	local rc=$?
	local p f
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name (exit $rc, no case reported a failure)" >>"$log"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name (ran no case)" >>"$log"
		f=1
	fi
	pass=$((pass + p)); fail=$((fail + f))
	printf '%-40s %4d ok %3d failed  %3ds\n' "$name" "$p" "$f" $((SECONDS - start))
	if [ "$f" -ne 0 ]; then
		sed 's/^/    /' "$log" | tail -40
	fi
}
for t in "$BUILD"/tests/*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for s in tests/regress/*.sh; do
	[ -f "$s" ] || continue
	run_one "regress/$(basename "$s" .sh)" bash "$s"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
