#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Build the libFuzzer harnesses (`make fuzz`), make their seed corpora from
# the real MRT files in $VIGIL_DATA (default ../shared/data; nothing is
# copied into the repository), and run each harness for SECONDS (default
# 60).  Prints "ok fuzz_NAME" or "FAIL fuzz_NAME" per harness, with the
# crash summary and the reproducer's path for every finding; exit status 1
# if any harness found something, 2 if the build or the seeding failed.
#
# usage: fuzz/run.sh [SECONDS [NAME...]]   (NAME: mrt, bgp_update, ...; all
#                                            fuzz/*_fuzz.c by default)
# environment:
#   FUZZ_WORK=DIR      seeds, growing corpora, artifacts and logs
#                      (default build-fuzz/work; corpora persist across runs)
#   FUZZ_PARALLEL=1    run the harnesses at the same time
#   FUZZ_RECORDS=N     records taken from each MRT file (default 60)
#   FUZZ_ARGS=...      extra libFuzzer flags
set -u
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in fuzz/*_fuzz.c; do names+=("$(basename "$f" _fuzz.c)"); done
fi
DATA=${VIGIL_DATA:-$(cd .. && pwd)/shared/data}
WORK=${FUZZ_WORK:-build-fuzz/work}
NREC=${FUZZ_RECORDS:-60}

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz/run.sh: clang not found (the harnesses need libFuzzer)" >&2
	exit 2
fi
mkdir -p "$WORK" || exit 2
if ! make -s -j"$(nproc 2>/dev/null || echo 2)" fuzz >"$WORK/build.log" 2>&1; then
	echo "fuzz/run.sh: make fuzz failed:" >&2
	tail -20 "$WORK/build.log" >&2
	exit 2
fi

# ---- seed corpora ---------------------------------------------------------
# mrt:        single records (TABLE_DUMP_V2 RIB records with their
#             PEER_INDEX_TABLE in front), runs of 5 records, whole small files
# bgp_update: option byte + UPDATE body from BGP4MP/BGP records, and
#             option byte + RIB entry attribute blocks (bare-attribute mode)
# bgp_msg:    whole BGP messages of every type from BGP4MP records, plus a
#             few built by hand (RFC 9072 OPEN, RFC 9003 shutdown, ROUTE-REFRESH)
# bmp:        BMP messages from the router captures in $VIGIL_DATA/bmp
# mrt_par:    the mrt seeds (a differential run: one thread vs mrt_par_run)
# Other harnesses start from an empty corpus (or what earlier runs left).
rm -rf "$WORK/seeds"
if ! python3 - "$DATA" "$WORK/seeds" "$NREC" <<'EOF'
import bz2, gzip, hashlib, os, struct, sys

data, out, nrec = sys.argv[1], sys.argv[2], int(sys.argv[3])
M = data + "/mrt/"
FILES = [
    "ris-bgpdump/input/updates.20020722.2238.gz",
    "ris-bgpdump/input/updates.20070211.0141.gz",
    "ris-bgpdump/input/updates.20071015.1505.gz",
    "ris-bgpdump/input/updates.20100722.2015.gz",
    "ris-bgpdump/input/updates.20160811.1600.gz",
    "ris-bgpdump/input/updates.et-header.2015.gz",
    "ris-bgpdump/input/updates.long_withdrawal.gz",
    "ris-bgpdump/input/updates.nlri_mask_trailing_bits.gz",
    "ris-bgpdump/input/bview.20020722.2337.gz",
    "ris-bgpdump/input/bview.64k_stream_overflow.gz",
    "ris-bgpdump/input/bview.ipv4_unicast_add_path.gz",
    "ris-bgpdump/input/bview.ipv6_unicast_add_path.gz",
    "ris-rrc00-2019/updates.20190101.0000.gz",
    "ris-rv-2015/ris.rrc06.updates.1427846400.gz",
    "ris-rv-2015/routeviews.route-views.jinx.updates.1427846400.bz2",
    "rv2-2008-02-23/updates.20080223.0014.bz2",
]
SAMPLES = M + "router-samples"
MAXLEN = 65536
seen = {}

def save(kind, blob):
    if not blob or len(blob) > MAXLEN:
        return
    h = hashlib.sha1(blob).hexdigest()
    if (kind, h) in seen:
        return
    seen[(kind, h)] = 1
    d = os.path.join(out, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, h), "wb") as f:
        f.write(blob)

def records(raw, limit):
    """(header+body bytes, type, subtype, body) of the first LIMIT records."""
    off, n = 0, 0
    while off + 12 <= len(raw) and n < limit:
        _, t, s, l = struct.unpack(">IHHI", raw[off:off + 12])
        if off + 12 + l > len(raw):
            break
        yield raw[off:off + 12 + l], t, s, raw[off + 12:off + 12 + l]
        off += 12 + l
        n += 1

def opener(path):
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")

def bgp_messages(t, s, body):
    """(message, asn_size, addpath) of a BGP4MP/BGP record."""
    if t in (16, 17):
        if t == 17:
            body = body[4:]
        if s in (1, 6, 8, 10):
            asz = 2
        elif s in (4, 7, 9, 11):
            asz = 4
        else:
            return
        off = 2 * asz + 2
        if len(body) < off + 2:
            return
        afi = struct.unpack(">H", body[off:off + 2])[0]
        alen = {1: 4, 2: 16}.get(afi)
        if not alen:
            return
        off += 2 + 2 * alen
        yield body[off:], asz, s >= 8
    elif t == 5 and s == 1:
        # deprecated BGP UPDATE: no BGP header, the body follows the peers
        yield None, 2, False

def update_seeds(t, s, body):
    if t == 5 and s == 1:
        save("bgp_update", bytes([0]) + body[12:])
        return
    for msg, asz, ap in bgp_messages(t, s, body):
        if len(msg) < 19:
            continue
        save("bgp_msg", msg)
        mlen = struct.unpack(">H", msg[16:18])[0]
        if msg[18] == 2 and 19 <= mlen <= len(msg):
            sel = (1 if asz == 4 else 0) | (2 if ap else 0)
            save("bgp_update", bytes([sel]) + msg[19:mlen])
            # the same message cut short, as a recorder may leave it
            if mlen > 30:
                save("bgp_update", bytes([sel | 0x40]) + msg[19:mlen - 7])

def rib_attr_seeds(t, s, body):
    """Attribute blocks of TABLE_DUMP / TABLE_DUMP_V2 RIB entries."""
    if t == 12 and s in (1, 2):
        alen_off = 4 + (4 if s == 1 else 16) + 2 + 4 + (4 if s == 1 else 16) + 2
        if len(body) >= alen_off + 2:
            alen = struct.unpack(">H", body[alen_off:alen_off + 2])[0]
            sel = 0x24 | (0x08 if s == 2 else 0)
            save("bgp_update", bytes([sel]) + body[alen_off + 2:alen_off + 2 + alen])
    elif t == 13 and s in (2, 3, 4, 5, 8, 9, 10, 11):
        ap = s >= 8
        v6 = s in (4, 5, 10, 11)
        plen = body[4]
        off = 5 + (plen + 7) // 8
        count = struct.unpack(">H", body[off:off + 2])[0]
        off += 2
        for _ in range(min(count, 4)):
            off += 6 + (4 if ap else 0)
            if off + 2 > len(body):
                return
            alen = struct.unpack(">H", body[off:off + 2])[0]
            sel = 0x25 | (0x08 if v6 else 0) | (0x02 if ap else 0)
            save("bgp_update", bytes([sel]) + body[off + 2:off + 2 + alen])
            off += 2 + alen

for rel in FILES:
    path = M + rel
    if not os.path.exists(path):
        continue
    with opener(path) as f:
        raw = f.read(4 << 20)
    recs = list(records(raw, nrec))
    pit = b""
    for i, (rec, t, s, body) in enumerate(recs):
        if t == 13 and s == 1:
            pit = rec
            continue
        save("mrt", (pit if t == 13 else b"") + rec)
        update_seeds(t, s, body)
        rib_attr_seeds(t, s, body)
    for i in range(0, len(recs), 5):
        save("mrt", b"".join(r[0] for r in recs[i:i + 5]))

for name in sorted(os.listdir(SAMPLES)):
    path = os.path.join(SAMPLES, name)
    if name.endswith((".conf", ".rst")):
        continue
    with open(path, "rb") as f:
        raw = f.read()
    save("mrt", raw)
    for rec, t, s, body in records(raw, 1 << 30):
        update_seeds(t, s, body)
        rib_attr_seeds(t, s, body)

# Hand-built BGP messages for paths the archives rarely take.
def msg(t, body):
    return b"\xff" * 16 + struct.pack(">HB", 19 + len(body), t) + body
caps = bytes([1, 4, 0, 1, 0, 1, 65, 4, 0, 1, 0x11, 0x70,
              69, 4, 0, 1, 1, 3, 64, 2, 0x80, 120, 2, 0, 6, 0])
save("bgp_msg", msg(1, bytes([4, 0x5b, 0xa0, 0, 180, 10, 0, 0, 1,
                              len(caps) + 2, 2, len(caps)]) + caps))
save("bgp_msg", msg(1, bytes([4, 0x5b, 0xa0, 0, 180, 10, 0, 0, 1,
                              255, 255]) + struct.pack(">H", len(caps) + 3) +
     bytes([2]) + struct.pack(">H", len(caps)) + caps))
save("bgp_msg", msg(3, bytes([6, 2, 11]) + b"maintenance"))
save("bgp_msg", msg(5, bytes([0, 1, 0, 1])))
save("bgp_msg", msg(4, b""))
# HTTP requests of `vigil serve`: a path line, then a query string.
for req in (b"/api/v1/events\nentity=country%3AKP&kind=outage&from=2014-12-22T16:15Z&until=1419337800&limit=5&offset=2&evidence=0",
            b"/api/v1/signals/upstream:KP:4837\nfrom=2014-12-22&until=2014-12-23&upstreams=3",
            b"/api/v1/entities\nsearch=north+korea&kind=country&limit=10",
            b"/api/v1/status\nat=1419264900", b"/api/v1/events/42\n",
            b"/js/../app.js\n"):
    save("http_params", req)
# bmp: byte 0 picks the chunk size, then BMP messages from the real router
# captures: each message alone, runs of 5, the first 64 KiB of each stream
BMP = data + "/bmp/"
if os.path.isdir(BMP):
    for case in sorted(os.listdir(BMP)):
        d = os.path.join(BMP, case)
        for fn in sorted(os.listdir(d)):
            if not fn.endswith(".bmp"):
                continue
            with open(os.path.join(d, fn), "rb") as f:
                raw = f.read()
            msgs, off = [], 0
            while off + 6 <= len(raw):
                l = struct.unpack(">I", raw[off + 1:off + 5])[0]
                if l < 6 or off + l > len(raw):
                    break
                msgs.append(raw[off:off + l])
                off += l
            for i, m in enumerate(msgs[:nrec]):
                save("bmp", bytes([i & 15]) + m)
            for i in range(0, min(len(msgs), nrec * 5), 5):
                save("bmp", bytes([(i // 5) & 15]) + b"".join(msgs[i:i + 5]))
            save("bmp", bytes([7]) + raw[:MAXLEN - 1])
counts = {k: len(os.listdir(os.path.join(out, k))) for k in sorted(os.listdir(out))}
print("seeds:", ", ".join("%s %d" % kv for kv in counts.items()))
EOF
then
	echo "fuzz/run.sh: building the seed corpora failed" >&2
	exit 2
fi

# mrt_par: the mrt seeds (a differential run of the same inputs)
mkdir -p "$WORK/seeds/mrt_par"
cp "$WORK/seeds/mrt/"* "$WORK/seeds/mrt_par/" 2>/dev/null

# partial: a partial-count file of a real updates file (the first 60 kB, a
# run cut short, and the whole of a small one), when vigil is built
if [ -x build/vigil ]; then
	mkdir -p "$WORK/seeds/partial"
	build/vigil replay -q --partial "$WORK/seeds/partial/whole.vgp" \
	    --full-feed-v4 1000 "$DATA/mrt/ris-bgpdump/input/updates.20160811.1600.gz" \
	    2>/dev/null && head -c 60000 "$WORK/seeds/partial/whole.vgp" \
	    >"$WORK/seeds/partial/head.vgp"
	build/vigil replay -q --partial "$WORK/seeds/partial/small.vgp" \
	    --full-feed-v4 10 "$DATA/mrt/ris-bgpdump/input/updates.long_withdrawal.gz" 2>/dev/null
	find "$WORK/seeds/partial" -size +65536c -delete
fi

# keyframe: packed keyframe rows of a real replay (byte 0: the chunk index
# of the row's first_id, then the blob), when vigil is built
if [ -x build/vigil ] && command -v sqlite3 >/dev/null; then
	mkdir -p "$WORK/seeds/keyframe"
	# an hour of RouteViews updates across 01:00, a keyframe bin
	# shellcheck disable=SC2046
	build/vigil replay -q --db "$WORK/kf.db" --full-feed-v4 1000 \
	    $(ls "$DATA"/mrt/rv2-2008-02-23/updates.*.bz2 | head -4) 2>/dev/null
	if [ -s "$WORK/kf.db" ]; then
		sqlite3 "$WORK/kf.db" "select writefile('$WORK/seeds/keyframe/' ||
		    first_id || '-' || bin_start, cast(char(first_id / 64) as blob) || data)
		    from keyframes where first_id < 64 * 128 limit 20" >/dev/null
	fi
	rm -f "$WORK"/kf.db*
fi

# ---- run ------------------------------------------------------------------
run_one() {
	local h=$1
	local bin=build-fuzz/${h}_fuzz
	mkdir -p "$WORK/corpus/$h" "$WORK/artifacts/$h" "$WORK/seeds/$h"
	touch "$WORK/$h.start"
	# shellcheck disable=SC2086
	"$bin" -max_len=65536 -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$WORK/artifacts/$h/" ${FUZZ_ARGS:-} \
	    "$WORK/corpus/$h" "$WORK/seeds/$h" >"$WORK/$h.log" 2>&1
	echo $? >"$WORK/$h.rc"
}
if [ "${FUZZ_PARALLEL:-0}" = 1 ]; then
	for h in "${names[@]}"; do run_one "$h" & done
	wait
else
	for h in "${names[@]}"; do run_one "$h"; done
fi

status=0
for h in "${names[@]}"; do
	rc=$(cat "$WORK/$h.rc" 2>/dev/null || echo 99)
	arts=$(find "$WORK/artifacts/$h" -type f -newer "$WORK/$h.start" \
	    2>/dev/null | sort)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$h.log")
	[ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$WORK/$h.log" | tail -1 | tr -d '#')
	cov=$(grep -o 'cov: [0-9]*' "$WORK/$h.log" | tail -1)
	if [ "$rc" -eq 0 ] && [ -z "$arts" ]; then
		echo "ok fuzz_$h (${execs:-?} runs, ${cov:-cov ?}, ${secs}s)"
	else
		status=1
		echo "FAIL fuzz_$h (exit $rc, log $WORK/$h.log)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant .* failed|.*runtime error)' \
		    "$WORK/$h.log" | head -5 | sed 's/^/    /'
		# the first frames outside libFuzzer, the sanitizers and libc
		grep -E '^ +#[0-9]+ ' "$WORK/$h.log" |
		    grep -vE 'fuzzer::|__sanitizer|__interceptor|libc\.so|pthread_kill|raise|abort' |
		    head -8 | sed 's/^/    /'
		for a in $arts; do
			echo "    reproducer: $a ($(wc -c <"$a") bytes)"
			echo "    hex: $(head -c 256 "$a" | od -An -tx1 -v | tr -d ' \n')"
		done
	fi
done
exit $status
