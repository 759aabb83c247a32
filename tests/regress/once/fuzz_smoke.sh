#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A short fuzzing run in CI: builds the libFuzzer harnesses (`make fuzz`)
# and runs each one for ~20 seconds, all at once, on seed corpora made from
# the real MRT files in $VIGIL_DATA, in a temporary directory (fuzz/run.sh
# does the work).  Prints "ok fuzz_NAME" or "FAIL fuzz_NAME" per harness,
# with the reproducer of any finding.  Without clang it fails: CI installs
# it, and a fuzz harness that silently does not run protects nothing.
set -u
cd "$(dirname "$0")/../../.."
SECS=${FUZZ_SMOKE_SECONDS:-20}
HARNESSES=$(for f in fuzz/*_fuzz.c; do basename "$f" _fuzz.c; done)

if ! command -v clang >/dev/null 2>&1; then
	for h in $HARNESSES; do
		echo "FAIL fuzz_$h: clang is not installed (apt-get install clang)"
	done
	exit 1
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
FUZZ_WORK=$W FUZZ_PARALLEL=1 FUZZ_RECORDS=30 fuzz/run.sh "$SECS" >"$W/smoke.out" 2>&1
rc=$?
cat "$W/smoke.out"
if ! grep -q '^\(ok\|FAIL\) fuzz_' "$W/smoke.out"; then
	# the build or the seeding failed before any harness ran
	for h in $HARNESSES; do
		echo "FAIL fuzz_$h: fuzz/run.sh exited $rc before running it"
	done
fi
exit $rc
