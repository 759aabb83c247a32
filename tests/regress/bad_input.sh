#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `vigil dump` on damaged input, at the command level: copies of a real RIS
# update file ($VIGIL_DATA, decompressed into a mktemp directory, never into
# the repository) with a lying record length, a cut record, garbage between
# records, and a truncated .gz.  Each must exit 1, name the file, the record
# and the byte offset on stderr, and still print the lines of every
# undamaged record (compared with vigil's own output for the undamaged
# pieces).  A missing file and a usage error exit 2; the clean file exits 0.
# Prints "ok NAME" / "FAIL NAME" per case; exit 1 if any failed.
set -u
SRC=$VIGIL_DATA/mrt/ris-bgpdump/input/updates.20020722.2238.gz
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failed=0

ok() { echo "ok bad_input_$1"; }
fail() {
	echo "FAIL bad_input_$1: $2"
	failed=1
	[ -s "$T/err" ] && sed -n '1,3s/^/    stderr: /p' "$T/err"
	return 0
}

# run FILE...: stdout to $T/out, stderr to $T/err, exit status in $rc
run() {
	"$VIGIL" dump "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# Every stderr line names FILE and a byte offset; one names a record.
stderr_ok() {
	local f=$1
	[ -s "$T/err" ] || return 1
	grep -v -F "vigil: $f: " "$T/err" | grep -q . && return 1
	grep -v 'byte [0-9]' "$T/err" | grep -q . && return 1
	grep -q 'record' "$T/err"
}

# Does $T/out start with the lines of $1 and end with the lines of $2?
keeps_undamaged() {
	local pre=$1 post=$2 np nq
	np=$(wc -l <"$pre")
	nq=$(wc -l <"$post")
	[ "$(wc -l <"$T/out")" -ge $((np + nq)) ] || return 1
	head -n "$np" "$T/out" | cmp -s - "$pre" || return 1
	[ "$nq" -eq 0 ] || tail -n "$nq" "$T/out" | cmp -s - "$post"
}

if [ ! -r "$SRC" ]; then
	echo "FAIL bad_input_data: $SRC not readable (VIGIL_DATA=$VIGIL_DATA)"
	exit 1
fi
C=$T/clean.mrt
zcat "$SRC" >"$C"
size=$(wc -c <"$C")

# O[k]: byte offset of record k+1 (first 60 records)
O=(0)
off=0
for ((k = 0; k < 60 && off + 12 <= size; k++)); do
	len=$(od -An -tu4 --endian=big -j $((off + 8)) -N 4 "$C" | tr -d ' ')
	off=$((off + 12 + len))
	O+=("$off")
done

# piece NAME FROM TO: bytes [FROM, TO) of the clean file, and vigil's
# output for them in NAME.out
piece() {
	local end=${3:-$size}
	tail -c +$(($2 + 1)) "$C" | head -c $((end - $2)) >"$T/$1.mrt"
	"$VIGIL" dump "$T/$1.mrt" >"$T/$1.out" 2>/dev/null
}

# overwrite FILE OFFSET HEXBYTES
overwrite() {
	printf "$(echo "$3" | sed 's/\(..\)/\\x\1/g')" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# ---- the clean file ----------------------------------------------------
run "$SRC"
if [ "$rc" -ne 0 ]; then
	fail clean "exit $rc, wanted 0"
elif [ -s "$T/err" ]; then
	fail clean "problems reported for a clean file"
else
	ok clean
fi
cp "$T/out" "$T/clean.out"
run "$C"
cmp -s "$T/out" "$T/clean.out" && ok clean_decompressed ||
	fail clean_decompressed "output differs from the .gz run"

# ---- lying length fields in record 20 -----------------------------------
piece pre 0 "${O[19]}"
piece post "${O[20]}"
len20=$(od -An -tu4 --endian=big -j $((O[19] + 8)) -N 4 "$C" | tr -d ' ')
for kind in ffffffff long short; do
	f=$T/lie_$kind.mrt
	cp "$C" "$f"
	case $kind in
	ffffffff) overwrite "$f" $((O[19] + 8)) ffffffff ;;
	long) overwrite "$f" $((O[19] + 8)) "$(printf %08x $((len20 + 50)))" ;;
	short) overwrite "$f" $((O[19] + 8)) "$(printf %08x $((len20 - 5)))" ;;
	esac
	run "$f"
	if [ "$rc" -ne 1 ]; then
		fail "length_$kind" "exit $rc, wanted 1"
	elif ! stderr_ok "$f"; then
		fail "length_$kind" "stderr lacks file name, record or byte offset"
	elif ! keeps_undamaged "$T/pre.out" "$T/post.out"; then
		fail "length_$kind" "lines of undamaged records missing"
	elif [ $kind = long ] && ! cmp -s "$T/out" "$T/clean.out"; then
		fail "length_$kind" "the BGP length should recover record 20"
	elif [ $kind != long ] && ! grep -q 'skipped' "$T/err"; then
		fail "length_$kind" "no resynchronisation reported"
	else
		ok "length_$kind"
	fi
done

# the same damage inside a gzip file
gzip -c "$T/lie_ffffffff.mrt" >"$T/lie.mrt.gz"
run "$T/lie.mrt.gz"
[ "$rc" -eq 1 ] && stderr_ok "$T/lie.mrt.gz" &&
	keeps_undamaged "$T/pre.out" "$T/post.out" && ok length_in_gzip ||
	fail length_in_gzip "exit $rc or lines missing"

# ---- garbage between records 10 and 11 ----------------------------------
for kind in zeros ones text; do
	f=$T/garbage_$kind.mrt
	head -c "${O[10]}" "$C" >"$f"
	case $kind in
	zeros) head -c 37 /dev/zero >>"$f" ;;
	ones) head -c 64 /dev/zero | tr '\0' '\377' >>"$f" ;;
	text) printf 'this is not an MRT record, it is a sentence.\n' >>"$f" ;;
	esac
	tail -c +$((O[10] + 1)) "$C" >>"$f"
	run "$f"
	if [ "$rc" -ne 1 ]; then
		fail "garbage_$kind" "exit $rc, wanted 1"
	elif ! stderr_ok "$f"; then
		fail "garbage_$kind" "stderr lacks file name, record or byte offset"
	elif ! grep -q "at byte ${O[10]}:.*skipped" "$T/err"; then
		fail "garbage_$kind" "skip not reported at byte ${O[10]}"
	elif ! cmp -s "$T/out" "$T/clean.out"; then
		fail "garbage_$kind" "output differs from the clean file's"
	else
		ok "garbage_$kind"
	fi
done

# ---- a malformed attribute: record 20's first UPDATE byte after the
# withdrawn routes made an impossible attribute length ------------------
# (total path attribute length 0xffff: the UPDATE is unusable)
f=$T/attr.mrt
cp "$C" "$f"
sub=$(od -An -tu2 --endian=big -j $((O[19] + 6)) -N 2 "$C" | tr -d ' ')
mtype=$(od -An -tu1 -j $((O[19] + 12 + 16 + 18)) -N 1 "$C" | tr -d ' ')
if [ "$sub" -eq 1 ] && [ "$mtype" -eq 2 ]; then
	# BGP4MP MESSAGE (2-byte AS, IPv4): 12 + 16 bytes, then the BGP
	# header (19), then the withdrawn routes length
	w=$((O[19] + 12 + 16 + 19))
	wlen=$(od -An -tu2 --endian=big -j "$w" -N 2 "$C" | tr -d ' ')
	overwrite "$f" $((w + 2 + wlen)) ffff
	run "$f"
	if [ "$rc" -ne 1 ]; then
		fail attr_length "exit $rc, wanted 1"
	elif ! grep -qF "vigil: $f: record 20 at byte" "$T/err"; then
		fail attr_length "problem not reported as record 20"
	elif ! keeps_undamaged "$T/pre.out" "$T/post.out"; then
		fail attr_length "lines of undamaged records missing"
	else
		ok attr_length
	fi
else
	fail attr_length "record 20 is not a BGP4MP UPDATE (subtype $sub, type $mtype)"
fi

# ---- a file cut inside record 31 -----------------------------------------
piece first30 0 "${O[30]}"
f=$T/cut.mrt
head -c $((O[30] + 20)) "$C" >"$f"
run "$f"
if [ "$rc" -ne 1 ]; then
	fail cut_record "exit $rc, wanted 1"
elif ! grep -qF "vigil: $f: at byte ${O[30]}: record 31" "$T/err" ||
	! grep -q 'truncated' "$T/err"; then
	fail cut_record "truncation of record 31 not reported"
elif ! cmp -s "$T/out" "$T/first30.out"; then
	fail cut_record "lines of the 30 whole records differ"
else
	ok cut_record
fi

# ---- a truncated .gz ------------------------------------------------------
f=$T/truncated.gz
head -c $(($(wc -c <"$SRC") / 2)) "$SRC" >"$f"
run "$f"
if [ "$rc" -ne 1 ]; then
	fail truncated_gzip "exit $rc, wanted 1"
elif ! grep -qF "vigil: $f: " "$T/err" || ! grep -qi 'truncated\|unexpected end' "$T/err"; then
	fail truncated_gzip "no clear error naming the file"
elif [ ! -s "$T/out" ] || ! head -n "$(wc -l <"$T/out")" "$T/clean.out" | cmp -s - "$T/out"; then
	fail truncated_gzip "output is not a prefix of the clean output"
else
	ok truncated_gzip
fi

# ---- command-line errors ----------------------------------------------------
run "$T/no-such-file.mrt"
[ "$rc" -eq 2 ] && grep -qF "no-such-file.mrt" "$T/err" && ok missing_file ||
	fail missing_file "exit $rc, wanted 2 and the file named"
run "$T/no-such-file.mrt" "$SRC"
[ "$rc" -eq 2 ] && cmp -s "$T/out" "$T/clean.out" && ok missing_file_others_read ||
	fail missing_file_others_read "exit $rc, wanted 2 with the other file dumped"
run --no-such-option "$SRC"
[ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && ok usage_bad_option ||
	fail usage_bad_option "exit $rc, wanted 2"
run
[ "$rc" -eq 2 ] && ok usage_no_file || fail usage_no_file "exit $rc, wanted 2"
run -t sometimes "$SRC"
[ "$rc" -eq 2 ] && ok usage_bad_value || fail usage_bad_value "exit $rc, wanted 2"

exit $failed
