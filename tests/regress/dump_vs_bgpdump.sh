#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# vigil dump -m against Debian's bgpdump -m, run side by side on every other
# real MRT file in $VIGIL_DATA/mrt.  Where bgpdump is wrong, vigil's output
# is checked against a reviewed golden file in tests/golden/ instead, and
# the bgpdump difference is asserted to be the known one (see
# tests/golden/README.md).
set -u
cd "$(dirname "$0")/../.."
M=$VIGIL_DATA/mrt
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
if ! command -v bgpdump >/dev/null; then
	echo "FAIL vs_bgpdump: Debian's bgpdump is not installed"
	exit 1
fi
golden() { # file golden-name
	local f=$1 g=tests/golden/$2.m.out
	"$VIGIL" dump -m "$f" >"$T/v" 2>"$T/e"
	if cmp -s "$g" "$T/v"; then
		echo "ok golden_$2"
	else
		echo "FAIL golden_$2"; diff "$g" "$T/v" | head -5
	fi
	if bgpdump -m "$f" 2>/dev/null | cmp -s - "$T/v"; then
		echo "FAIL golden_$2_differs: bgpdump now agrees; drop the golden file"
	else
		echo "ok golden_$2_differs_from_bgpdump"
	fi
}
check() { # file
	local f=$1 b
	b=$(basename "$f")
	bgpdump -m "$f" >"$T/d" 2>/dev/null
	"$VIGIL" dump -m "$f" >"$T/v" 2>"$T/e"
	local rc=$?
	if ! cmp -s "$T/d" "$T/v"; then
		echo "FAIL vs_bgpdump_$b: $(diff "$T/d" "$T/v" | grep -c '^[<>]') lines differ"
		diff "$T/d" "$T/v" | head -4
	elif [ "$rc" -ge 2 ]; then
		echo "FAIL vs_bgpdump_$b: exit $rc"; head -3 "$T/e"
	else
		echo "ok vs_bgpdump_$b ($(wc -l <"$T/v") lines, exit $rc)"
	fi
}
for f in "$M"/router-samples/*; do
	case $(basename "$f") in
	*.conf|*.rst) ;;
	bird_bgp|bird6_bgp|openbgpd_rib_table|openbgpd_rib_table-mp)
		golden "$f" "$(basename "$f")" ;;
	*) check "$f" ;;
	esac
done
for f in "$M"/ris-rrc00-2019/* "$M"/ris-rv-2015/* "$M"/rv2-2008-02-23/*.bz2; do
	check "$f"
done
