#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs the test suite and ends with the line "N passed, N failed".
#  - every unit test program in $B/tests/ and every regress script in
#    tests/regress/*.sh, for each build B in $BUILDS (default $BUILD or
#    "build"; `make check` passes "build build-san" so everything also runs
#    under ASan/UBSan); a regress script finds the vigil binary in $VIGIL;
#    two or more builds run side by side (one per core; TEST_JOBS=1 runs
#    them one after the other), each build's lines printed when it is done;
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
# run_build B: B's unit tests and regress scripts; its counts go to
# $out/B.counts ("PASS FAIL")
run_build() {
	local B=$1
	pass=0; fail=0
	export BUILD=$B VIGIL=$PWD/$B/vigil
	if [ ! -x "$VIGIL" ]; then
		echo "FAIL $B: $VIGIL not built"; fail=$((fail + 1))
	else
		for t in "$B"/tests/*; do
			[ -x "$t" ] || continue
			run_one "$B/unit/$(basename "$t")" "$t"
		done
		for s in tests/regress/*.sh; do
			[ -f "$s" ] || continue
			run_one "$B/regress/$(basename "$s" .sh)" bash "$s"
		done
	fi
	echo "$pass $fail" >"$out/$B.counts"
}
tot_p=0; tot_f=0
# add_counts B: B's counts to the totals
add_counts() {
	local p f
	if read -r p f <"$out/$1.counts" 2>/dev/null; then
		tot_p=$((tot_p + p)); tot_f=$((tot_f + f))
	else
		echo "FAIL $1: its tests did not finish"; tot_f=$((tot_f + 1))
	fi
}
nb=$(echo $BUILDS | wc -w)
if [ "${TEST_JOBS:-2}" -gt 1 ] && [ "$nb" -gt 1 ]; then
	for B in $BUILDS; do
		( run_build "$B" >"$out/$B.out" 2>&1 ) &
	done
	wait
	for B in $BUILDS; do
		cat "$out/$B.out"
		add_counts "$B"
	done
else
	for B in $BUILDS; do
		run_build "$B"
		add_counts "$B"
	done
fi
pass=0; fail=0
export BUILD=${BUILDS%% *} VIGIL=$PWD/${BUILDS%% *}/vigil
for s in tests/regress/once/*.sh; do
	[ -f "$s" ] || continue
	run_one "once/$(basename "$s" .sh)" bash "$s"
done
tot_p=$((tot_p + pass)); tot_f=$((tot_f + fail))
echo "$tot_p passed, $tot_f failed"
[ "$tot_f" -eq 0 ]
