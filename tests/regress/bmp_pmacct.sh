#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# BMP conformance: `vigil dump --json` of each real router capture in
# $VIGIL_DATA/bmp (Huawei VRP, Cisco IOS-XR: Loc-RIB, RD instance peers,
# several routers, table dump, peer down) against pmacct's JSON output
# beside it, record by record (tests/regress/lib/bmp_vs_pmacct.py says what
# is compared and which representation differences are normalised).  Also:
# the one capture cut short inside a message is reported with router,
# message number and byte offset (exit 1), every other decodes cleanly
# (exit 0), and `vigil dump -m` prints BMP lines for the same elements.
set -u
D=$VIGIL_DATA/bmp
LIB=$(dirname "$0")/lib
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for c in "$D"/2*/; do
	python3 "$LIB/bmp_vs_pmacct.py" "$c" --vigil "$VIGIL"
done
for f in "$D"/2*/traffic-*.flow0.bmp; do
	name=$(basename "$(dirname "$f")" | cut -d- -f1)_$(basename "$f" .pcap.flow0.bmp)
	"$VIGIL" dump -m "$f" >"$T/m" 2>"$T/err"
	rc=$?
	want=0
	case $f in */202-*/traffic-02.*) want=1 ;; esac
	nj=$("$VIGIL" dump --json "$f" 2>/dev/null | grep -c '"type":"\(announce\|withdraw\|state\)"')
	nm=$(grep -c '^BMP|' "$T/m")
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL bmp_dump_$name: exit $rc, wanted $want"; head -3 "$T/err"
	elif [ "$nm" -ne "$nj" ] || [ "$nm" -eq 0 ]; then
		echo "FAIL bmp_dump_$name: $nm -m lines, $nj JSON elements"
	else
		echo "ok bmp_dump_$name ($nm lines)"
	fi
done
"$VIGIL" dump -m "$D"/202-*/traffic-02.pcap.flow0.bmp 2>&1 >/dev/null |
	grep -q 'traffic-02.pcap.flow0.bmp: BMP message 67 at byte 12503 (route_monitoring): stream ended inside a message: 156 of 185 bytes' &&
	echo "ok bmp_dump_truncated_reported" ||
	echo "FAIL bmp_dump_truncated_reported"
# -m lines: a Loc-RIB labeled-unicast route and a peer down
f=$(echo "$D"/204-*/traffic-00.pcap.flow0.bmp)
"$VIGIL" dump -m "$f" >"$T/m" 2>/dev/null
grep -qx 'BMP|1705334000.455143|A|0.0.0.0|4226809946|203.0.113.21/32|64496|IGP|198.51.100.6|100|0||NAG||' "$T/m" &&
grep -q '^BMP|[0-9.]*|STATE|2001:db8:44::1|64496|6|1$' "$T/m" &&
	echo "ok bmp_dump_m_lines" || { echo "FAIL bmp_dump_m_lines"; grep -m3 203.0.113.21/32 "$T/m"; }
