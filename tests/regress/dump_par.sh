#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Parallel decoding (vigil dump --threads N, src/wire/mrt_par.c) must be
# invisible: for every MRT file in $VIGIL_DATA/mrt, and for damaged and
# concatenated copies built here in a mktemp directory, the -m output, the
# JSON output, the diagnostics on stderr (record numbers, byte offsets, the
# -s summary) and the exit status with --threads 2 and 3 are byte-identical
# to --threads 1.  VIGIL_MRT_CHUNK forces tiny chunks (down to one record
# per chunk) so chunk boundaries land everywhere: between the records of
# damaged regions, right after PEER_INDEX_TABLEs and ADD-PATH OPENs.  Plain
# files (mapped), gzip, standard input (streamed) and filters are covered.
# Prints "ok NAME" / "FAIL NAME" per case.
set -u
D=$VIGIL_DATA/mrt
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# same NAME CHUNKS ARGS...: --threads 1 vs 2 and 3 with each chunk size;
# standard input comes from $IN
IN=/dev/null
same() {
	local name=$1 chunks=$2 c t rc1 rc2 bad=""
	shift 2
	"$VIGIL" dump -s --threads 1 "$@" <"$IN" >"$T/1.out" 2>"$T/1.err"
	rc1=$?
	for c in $chunks; do
		for t in 2 3; do
			VIGIL_MRT_CHUNK=$c "$VIGIL" dump -s --threads $t "$@" \
			    <"$IN" >"$T/2.out" 2>"$T/2.err"
			rc2=$?
			if ! cmp -s "$T/1.out" "$T/2.out"; then
				bad="output differs (threads $t, chunk $c)"
				diff "$T/1.out" "$T/2.out" | head -4 | sed 's/^/    /'
			elif ! cmp -s "$T/1.err" "$T/2.err"; then
				bad="stderr differs (threads $t, chunk $c)"
				diff "$T/1.err" "$T/2.err" | head -4 | sed 's/^/    /'
			elif [ "$rc1" != "$rc2" ]; then
				bad="exit $rc2, one thread exits $rc1 (threads $t, chunk $c)"
			fi
			[ -n "$bad" ] && break 2
		done
	done
	if [ -n "$bad" ]; then
		echo "FAIL par_$name: $bad"
	elif [ ! -s "$T/1.err" ]; then
		echo "FAIL par_$name: no summary on stderr"
	else
		echo "ok par_$name ($(wc -l <"$T/1.out") lines, exit $rc1)"
	fi
}

# Decompressed copies of every real file, named after it.
plain=()
for f in "$D"/ris-bgpdump/input/* "$D"/ris-rrc00-2019/* "$D"/ris-rv-2015/* \
         "$D"/rv2-2008-02-23/updates.20080223.00[14]4.bz2 \
         "$D"/router-samples/*_bgp "$D"/router-samples/*_rib* \
         "$D"/router-samples/openbgpd_rib_table*; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	case $f in
	*.gz) zcat "$f" >"$T/$b.mrt" ;;
	*.bz2) bzcat "$f" >"$T/$b.mrt" ;;
	*) cp "$f" "$T/$b.mrt" ;;
	esac
	plain+=("$T/$b.mrt")
done
[ ${#plain[@]} -ge 30 ] || echo "FAIL par_data: only ${#plain[@]} files in $D"

# Every file, plain (mapped): -m and JSON; one record per chunk for the
# small ones.
for f in "${plain[@]}"; do
	b=$(basename "$f" .mrt)
	if [ "$(stat -c %s "$f")" -lt 1500000 ]; then ch="1 5000"; else ch="20000"; fi
	same "m_$b" "$ch" -m "$f"
	same "json_$b" "$ch" -j "$f"
done

# The compressed originals (streamed through the reader's copy path).
for f in "$D"/ris-bgpdump/input/updates.20070211.0141.gz \
         "$D"/ris-bgpdump/input/bview.20020722.2337.gz "$D"/ris-rv-2015/*.gz; do
	same "gz_$(basename "$f")" "3000 65536" -m "$f"
done

# bgpdump's expected outputs hold with threads and tiny chunks too.
for f in "$D"/ris-bgpdump/input/*; do
	b=$(basename "$f")
	VIGIL_MRT_CHUNK=777 "$VIGIL" dump -m --threads 2 "$f" >"$T/e.out" 2>/dev/null
	zcat "$D/ris-bgpdump/expect/$b.bgp.gz" | cmp -s - "$T/e.out" &&
		echo "ok par_expect_$b" ||
		echo "FAIL par_expect_$b: differs from bgpdump's expected output"
done

# Standard input, several files in one run, several PEER_INDEX_TABLEs in
# one stream (each RIB record uses the latest), ADD-PATH learned from OPEN.
cat "$T"/bview.*_*.mrt "$T"/openbgpd_rib_table-v2.mrt "$T"/quagga_rib.mrt \
    "$T"/bird-mrtdump_rib.mrt "$T"/bird6-mrtdump_rib.mrt \
    "$T"/bview.64k_stream_overflow.gz.mrt "$T"/bird_bgp.mrt \
    "$T"/bird-mrtdump_bgp.mrt "$T"/bird6_bgp.mrt >"$T/pits.mrt"
npit=$("$VIGIL" dump -j "$T/pits.mrt" 2>/dev/null | grep -c '"type":"rib"')
[ "$npit" -gt 100 ] && echo "ok par_pits_has_ribs ($npit)" ||
	echo "FAIL par_pits_has_ribs: $npit RIB elements"
same pits "1 300 4096" -m "$T/pits.mrt"
same pits_json "1 4096" -j "$T/pits.mrt"
IN=$T/pits.mrt same pits_stdin "1 4096" -m -
IN=$T/pits.mrt same pits_stdin_json "1 4096" -j -
cat "$T/pits.mrt" >"$T/pipe_src"
VIGIL_MRT_CHUNK=1 "$VIGIL" dump -s --threads 2 -m - <"$T/pipe_src" >"$T/a.out" 2>"$T/a.err"
cat "$T/pipe_src" | VIGIL_MRT_CHUNK=1 "$VIGIL" dump -s --threads 2 -m - >"$T/b.out" 2>"$T/b.err"
cmp -s "$T/a.out" "$T/b.out" && cmp -s "$T/a.err" "$T/b.err" &&
	echo "ok par_pipe" || echo "FAIL par_pipe: a pipe reads differently"
same many_files "1 2000" -m "$T/bird_bgp.mrt" "$T/pits.mrt" \
    "$D/ris-rv-2015/ris.rrc06.updates.1427846400.gz" "$T/quagga_bgp.mrt"

# Damage: truncated at many offsets, garbage, lying lengths.
S=$T/updates.20020722.2238.gz.mrt
size=$(stat -c %s "$S")
for cut in 1 11 12 13 100 517 1000 2049 4093 7777 9999 12345 20000 \
           $((size / 2)) $((size - 1)) $((size - 13)); do
	head -c "$cut" "$S" >"$T/cut.mrt"
	same "cut_$cut" "1 333" -m "$T/cut.mrt"
done
# garbage between records and inside them
for at in 0 3000 15000 40000; do
	{ head -c "$at" "$S"; head -c 700 "$D/ris-rv-2015/ris.rrc06.updates.1427846400.gz"
	  tail -c +$((at + 1)) "$S"; } >"$T/garbage.mrt"
	same "garbage_$at" "1 1000" -m "$T/garbage.mrt"
	same "garbage_json_$at" "1000" -j "$T/garbage.mrt"
done
# lying record lengths: the 20th record says 0xffffffff, +50, -5 bytes
off=0
for ((k = 0; k < 19; k++)); do
	len=$(od -An -tu4 --endian=big -j $((off + 8)) -N 4 "$S" | tr -d ' ')
	off=$((off + 12 + len))
done
len=$(od -An -tu4 --endian=big -j $((off + 8)) -N 4 "$S" | tr -d ' ')
for v in ffffffff $(printf %08x $((len + 50))) $(printf %08x $((len - 5))); do
	cp "$S" "$T/lie.mrt"
	printf "$(echo "$v" | sed 's/\(..\)/\\x\1/g')" |
		dd of="$T/lie.mrt" bs=1 seek=$((off + 8)) conv=notrunc status=none
	same "lie_$v" "1 700" -m "$T/lie.mrt"
done
# a bit flipped in many places of a RIB file (attribute and peer-index
# errors, RFC 7606 actions)
R=$T/bview.ipv4_unicast_add_path.gz.mrt
rsize=$(stat -c %s "$R")
for at in 40 90 130 $((rsize / 3)) $((rsize / 2)) $((rsize - 20)); do
	cp "$R" "$T/flip.mrt"
	printf '\xff' | dd of="$T/flip.mrt" bs=1 seek="$at" conv=notrunc status=none
	same "flip_$at" "1" -m "$T/flip.mrt"
done

# Filters behave the same.
U=$T/updates.20190101.0000.gz.mrt
same filter_type "3000" -m --type withdraw,state "$U"
same filter_origin "3000" -m --origin 13335 "$U"
same filter_more "3000" -j --more-specific 0.0.0.0/1 --since 2019-01-01T00:02 "$U"
peer=$("$VIGIL" dump -m "$U" 2>/dev/null | sed -n '100p' | cut -d'|' -f4)
same filter_peer "3000" -m --peer "$peer" "$U"
same filter_change_time "1" -m -t change "$T/bview.64k_stream_overflow.gz.mrt"
same filter_large "5000" -m -l "$U"
same parse_only "1 3000" -n "$U"

# A write error stops both the same way.
for t in 1 2; do
	VIGIL_MRT_CHUNK=1000 "$VIGIL" dump --threads $t -m "$U" >/dev/full 2>"$T/full$t.err"
	echo $? >"$T/full$t.rc"
done
if cmp -s "$T/full1.rc" "$T/full2.rc" && [ "$(cat "$T/full2.rc")" = 2 ] &&
   grep -q 'write error' "$T/full2.err"; then
	echo "ok par_write_error"
else
	echo "FAIL par_write_error: exit $(cat "$T/full1.rc") vs $(cat "$T/full2.rc")"
fi

# The default (no --threads) on a large input uses every core, and still
# matches one thread.
while [ "$(stat -c %s "$T/big.mrt" 2>/dev/null || echo 0)" -lt 34000000 ]; do
	cat "$U" "$T/pits.mrt" "$T/garbage.mrt" >>"$T/big.mrt"
done
"$VIGIL" dump -s -m --threads 1 "$T/big.mrt" >"$T/1.out" 2>"$T/1.err"
rc1=$?
"$VIGIL" dump -s -m "$T/big.mrt" >"$T/2.out" 2>"$T/2.err"
rc2=$?
if cmp -s "$T/1.out" "$T/2.out" && cmp -s "$T/1.err" "$T/2.err" &&
   [ "$rc1" = "$rc2" ]; then
	echo "ok par_default_large ($(wc -l <"$T/1.out") lines)"
else
	echo "FAIL par_default_large: differs from --threads 1"
fi
