#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# vigil dump -m against bgpdump's own expected outputs (RIPE-NCC/bgpdump
# test_expect, in $VIGIL_DATA/mrt/ris-bgpdump/expect): identical, line for
# line, for every input.  updates.nlri_mask_trailing_bits also holds a
# truncated final NLRI entry, which vigil reports (exit 1); every other
# input must decode cleanly (exit 0).
set -u
D=$VIGIL_DATA/mrt/ris-bgpdump
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for f in "$D"/input/*; do
	b=$(basename "$f")
	"$VIGIL" dump -m "$f" >"$T/out" 2>"$T/err"
	rc=$?
	want_rc=0
	[ "$b" = updates.nlri_mask_trailing_bits.gz ] && want_rc=1
	if ! zcat "$D/expect/$b.bgp.gz" | cmp -s - "$T/out"; then
		echo "FAIL expect_$b: output differs from bgpdump's expected output"
		zcat "$D/expect/$b.bgp.gz" | diff - "$T/out" | head -5
	elif [ "$rc" -ne "$want_rc" ]; then
		echo "FAIL expect_$b: exit $rc, wanted $want_rc"; head -3 "$T/err"
	else
		echo "ok expect_$b ($(wc -l <"$T/out") lines)"
	fi
done
# The truncated NLRI entry is reported with file, record and byte offset.
"$VIGIL" dump -m "$D/input/updates.nlri_mask_trailing_bits.gz" 2>&1 >/dev/null |
	grep -q 'updates.nlri_mask_trailing_bits.gz: record 1 at byte 87 .*NLRI entry cut short' &&
	echo "ok expect_truncated_nlri_reported" ||
	echo "FAIL expect_truncated_nlri_reported"
