#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs the test suite and ends with the line "N passed, N failed".
#  - every unit test program in $B/tests/ and every regress script in
#    tests/regress/*.sh, for each build B in $BUILDS (default $BUILD or
#    "build"; `make check` passes "build build-san" so everything also runs
#    under ASan/UBSan); a regress script finds the vigil binary in $VIGIL;
#  - every script in tests/regress/once/*.sh, once (fuzzing, slow peers).
# Cases are counted from "ok NAME" / "FAIL NAME" lines.  Exit 1 on failure.
set -u
cd "$(dirname "$0")/.."
BUILDS=${BUILDS:-${BUILD:-build}}
export VIGIL_DATA=${VIGIL_DATA:-$(cd .. && pwd)/shared/data}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0; fail=0
run_one() {
	local name=$1; shift
	local log="$out/$(echo "$name" | tr '/' '_').log"
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
	printf '%-44s %5d ok %4d failed %5ds\n' "$name" "$p" "$f" $((SECONDS - start))
	if [ "$f" -ne 0 ]; then
		grep -v '^ok ' "$log" | sed 's/^/    /' | tail -40
	fi
}
for B in $BUILDS; do
	export BUILD=$B VIGIL=$PWD/$B/vigil
	if [ ! -x "$VIGIL" ]; then
		echo "FAIL $B: $VIGIL not built"; fail=$((fail + 1)); continue
	fi
	for t in "$B"/tests/*; do
		[ -x "$t" ] || continue
		run_one "$B/unit/$(basename "$t")" "$t"
	done
	for s in tests/regress/*.sh; do
		[ -f "$s" ] || continue
		run_one "$B/regress/$(basename "$s" .sh)" bash "$s"
	done
done
export BUILD=${BUILDS%% *} VIGIL=$PWD/${BUILDS%% *}/vigil
for s in tests/regress/once/*.sh; do
	[ -f "$s" ] || continue
	run_one "once/$(basename "$s" .sh)" bash "$s"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
