/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests for the input streams (src/io/): every format is decoded from real
 * MRT files and compared byte for byte with the reference tools (zcat,
 * bzcat, zstd, xz); multi-member and concatenated inputs, both gzip back
 * ends, bzip2 with one and several threads, truncation at many offsets,
 * garbage, detection on plain files and on a pipe as standard input.  The
 * zstd/xz/crafted-bzip2 inputs are made in a mkdtemp() directory under /tmp
 * that is removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vigil/stream.h"
#include "test.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static char tmpdir[64];

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (b->p == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
buf_eq(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* Whether A is a prefix of B. */
static int
buf_is_prefix(const struct buf *a, const struct buf *b)
{
	return a->len <= b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static struct buf
read_file(const char *path)
{
	struct buf b = {0};
	char tmp[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return b;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	return b;
}

static int
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Standard output of a shell command; sets *RC to its exit status. */
static struct buf
run_cmd(const char *cmd, int *rc)
{
	struct buf b = {0};
	char tmp[65536];
	FILE *f = popen(cmd, "r");
	size_t n;
	int st;

	if (f == NULL) {
		*rc = -1;
		return b;
	}
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	st = pclose(f);
	*rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return b;
}

static struct buf
reference(const char *tool, const char *path)
{
	char cmd[1024];
	int rc;
	struct buf b;

	snprintf(cmd, sizeof(cmd), "%s '%s'", tool, path);
	b = run_cmd(cmd, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK(b.len > 0);
	return b;
}

static void
data_path(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/%s", test_data_dir(), rel);
}

static void
tmp_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

/*
 * Read S to the end in CHUNK-byte reads.  *RC is 0 for a clean end or -1
 * for an error; checks that an error is sticky and has a message.
 */
static struct buf
drain(vg_stream *s, size_t chunk, int *rc)
{
	struct buf b = {0};
	uint8_t *tmp = malloc(chunk);
	ssize_t r;

	CHECK(tmp != NULL);
	while ((r = vg_stream_read(s, tmp, chunk)) > 0) {
		CHECK((size_t)r <= chunk);
		buf_add(&b, tmp, (size_t)r);
	}
	*rc = r < 0 ? -1 : 0;
	if (r < 0) {
		CHECK(vg_stream_error(s) != NULL);
		CHECK_EQ_INT(vg_stream_read(s, tmp, chunk), -1);
	} else {
		CHECK(vg_stream_error(s) == NULL);
		CHECK_EQ_INT(vg_stream_read(s, tmp, chunk), 0);
	}
	free(tmp);
	return b;
}

/* Decode PATH through vg_stream; checks the detected compression. */
static struct buf
decode_file(const char *path, const struct vg_stream_opts *o, size_t chunk,
            enum vg_compression want, int *rc)
{
	char err[512];
	vg_stream *s = vg_stream_open(path, o, err, sizeof(err));
	struct buf b = {0};

	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "  open %s: %s\n", path, err);
		*rc = -2;
		return b;
	}
	CHECK_EQ_INT(vg_stream_compression(s), want);
	b = drain(s, chunk, rc);
	if (*rc == 0) {
		/* Progress reaches the end of the compressed input. */
		CHECK(vg_stream_raw_size(s) > 0);
		CHECK_EQ_INT(vg_stream_raw_offset(s), vg_stream_raw_size(s));
	} else {
		fprintf(stderr, "  %s: %s\n", path, vg_stream_error(s));
	}
	vg_stream_close(s);
	return b;
}

static struct buf
decode_mem(const struct buf *in, const struct vg_stream_opts *o, size_t chunk,
           enum vg_compression *comp, int *rc)
{
	char err[512];
	vg_stream *s = vg_stream_open_mem(in->p, in->len, o, err, sizeof(err));
	struct buf b = {0};

	CHECK(s != NULL);
	if (s == NULL) {
		*rc = -2;
		return b;
	}
	*comp = vg_stream_compression(s);
	b = drain(s, chunk, rc);
	vg_stream_close(s);
	return b;
}

/* Decode PATH and compare with REF; returns 1 when equal. */
static int
same_as(const char *path, const struct vg_stream_opts *o, size_t chunk,
        enum vg_compression want, const struct buf *ref)
{
	int rc, eq;
	struct buf got = decode_file(path, o, chunk, want, &rc);

	CHECK_EQ_INT(rc, 0);
	eq = buf_eq(&got, ref);
	CHECK(eq);
	if (!eq)
		fprintf(stderr, "  %s (chunk %zu): %zu bytes, want %zu\n", path,
		        chunk, got.len, ref->len);
	buf_free(&got);
	return eq;
}

static const char *gz_files[] = {
	"mrt/ris-bgpdump/input/bview.20020722.2337.gz",
	"mrt/ris-bgpdump/input/updates.et-header.2015.gz",
	"mrt/ris-bgpdump/input/updates.20071015.1505.gz",
	"mrt/ris-bgpdump/input/updates.nlri_mask_trailing_bits.gz",
	"mrt/ris-rv-2015/ris.rrc06.updates.1427846400.gz",
};

static const char *bz_files[] = {
	"mrt/rv2-2008-02-23/updates.20080223.0014.bz2",
	"mrt/rv2-2008-02-23/updates.20080223.0502.bz2",
	"mrt/ris-rv-2015/routeviews.route-views.jinx.updates.1427846400.bz2",
};

static const size_t chunks[] = {1, 7, 4096, 1u << 20};

/* Files big enough that 1-byte reads would only make the test slow. */
static size_t
chunk_for(size_t i, size_t len)
{
	if (chunks[i] < 4096 && len > (4u << 20))
		return chunks[i] * 4096 + 1;
	return chunks[i];
}

static void
check_gzip_backend(int zlib)
{
	struct vg_stream_opts o = {.force_zlib = zlib};
	char path[512];

	for (size_t f = 0; f < sizeof(gz_files) / sizeof(gz_files[0]); f++) {
		data_path(path, sizeof(path), gz_files[f]);
		struct buf ref = reference("zcat", path);
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
			same_as(path, &o, chunk_for(c, ref.len), VG_COMP_GZIP,
			        &ref);
		buf_free(&ref);
	}
}

static void
test_gzip_isal(void)
{
	check_gzip_backend(0);
}

static void
test_gzip_zlib(void)
{
	check_gzip_backend(1);
}

/* Concatenated members decode to the concatenation, with both back ends,
 * from a file and from memory. */
static void
test_gzip_multi_member(void)
{
	char a[512], b[512], cat[512];
	struct buf ra, rb, fa, fb, all = {0}, want = {0};

	data_path(a, sizeof(a), gz_files[2]);
	data_path(b, sizeof(b), gz_files[4]);
	ra = reference("zcat", a);
	rb = reference("zcat", b);
	buf_add(&want, ra.p, ra.len);
	buf_add(&want, rb.p, rb.len);
	buf_add(&want, ra.p, ra.len);
	fa = read_file(a);
	fb = read_file(b);
	buf_add(&all, fa.p, fa.len);
	buf_add(&all, fb.p, fb.len);
	buf_add(&all, fa.p, fa.len);
	tmp_path(cat, sizeof(cat), "multi.gz");
	CHECK_EQ_INT(write_file(cat, all.p, all.len), 0);
	for (int zlib = 0; zlib <= 1; zlib++) {
		struct vg_stream_opts o = {.force_zlib = zlib};
		enum vg_compression comp;
		int rc;

		same_as(cat, &o, 4096, VG_COMP_GZIP, &want);
		same_as(cat, &o, 7, VG_COMP_GZIP, &want);
		struct buf got = decode_mem(&all, &o, 65536, &comp, &rc);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(comp, VG_COMP_GZIP);
		CHECK(buf_eq(&got, &want));
		buf_free(&got);
	}
	buf_free(&ra);
	buf_free(&rb);
	buf_free(&fa);
	buf_free(&fb);
	buf_free(&all);
	buf_free(&want);
}

static void
test_bzip2_real(void)
{
	char path[512];
	static const int threads[] = {1, 2, 3, 0};

	for (size_t f = 0; f < sizeof(bz_files) / sizeof(bz_files[0]); f++) {
		data_path(path, sizeof(path), bz_files[f]);
		struct buf ref = reference("bzcat", path);
		for (size_t t = 0; t < 4; t++) {
			struct vg_stream_opts o = {.threads = threads[t]};
			for (size_t c = 0; c < 4; c++)
				same_as(path, &o, chunk_for(c, ref.len),
				        VG_COMP_BZIP2, &ref);
		}
		buf_free(&ref);
	}
}

/* threads=1 (libbz2 streaming) and threads=2 (block-parallel) agree. */
static void
test_bzip2_threads_identical(void)
{
	char path[512];
	struct vg_stream_opts o1 = {.threads = 1}, o2 = {.threads = 2};
	struct buf a, b;
	int rc1, rc2;

	data_path(path, sizeof(path), "mrt/rv2-2008-02-23/updates.20080223.0316.bz2");
	a = decode_file(path, &o1, 1u << 20, VG_COMP_BZIP2, &rc1);
	b = decode_file(path, &o2, 1u << 20, VG_COMP_BZIP2, &rc2);
	CHECK_EQ_INT(rc1, 0);
	CHECK_EQ_INT(rc2, 0);
	CHECK(a.len > 1000000);
	CHECK(buf_eq(&a, &b));
	buf_free(&a);
	buf_free(&b);
}

static void
test_bzip2_concatenated(void)
{
	static const char *names[] = {
		"mrt/rv2-2008-02-23/updates.20080223.0014.bz2",
		"mrt/ris-rv-2015/routeviews.route-views.jinx.updates.1427846400.bz2",
		"mrt/rv2-2008-02-23/updates.20080223.0044.bz2",
	};
	struct buf all = {0}, want = {0};
	char path[512], cat[512];

	for (int i = 0; i < 3; i++) {
		data_path(path, sizeof(path), names[i]);
		struct buf r = reference("bzcat", path);
		struct buf f = read_file(path);
		buf_add(&want, r.p, r.len);
		buf_add(&all, f.p, f.len);
		buf_free(&r);
		buf_free(&f);
	}
	/* Zero padding between streams is skipped, as bzip2 -d does. */
	tmp_path(cat, sizeof(cat), "multi.bz2");
	CHECK_EQ_INT(write_file(cat, all.p, all.len), 0);
	for (int t = 1; t <= 3; t++) {
		struct vg_stream_opts o = {.threads = t};
		same_as(cat, &o, 1u << 20, VG_COMP_BZIP2, &want);
		same_as(cat, &o, 4093, VG_COMP_BZIP2, &want);
	}
	buf_add(&all, "\0\0\0\0", 4);
	CHECK_EQ_INT(write_file(cat, all.p, all.len), 0);
	for (int t = 1; t <= 2; t++) {
		struct vg_stream_opts o = {.threads = t};
		same_as(cat, &o, 1u << 20, VG_COMP_BZIP2, &want);
	}
	buf_free(&all);
	buf_free(&want);
}

/* Count the 48-bit pattern MAGIC at every bit offset of B. */
static int
count_magic(const struct buf *b, uint64_t magic)
{
	uint64_t w = 0;
	int n = 0;

	for (size_t i = 0; i < b->len; i++) {
		for (int bit = 7; bit >= 0; bit--) {
			w = (w << 1 | ((b->p[i] >> bit) & 1)) & 0xffffffffffffULL;
			if (w == magic && i >= 5)
				n++;
		}
	}
	return n;
}

/*
 * Text over the byte set whose bzip2 "bytes in use" bitmap reads MAP: the
 * bitmap (16 bits of ranges, then 16 bits per range in use) directly
 * follows the block header, so the compressed stream then contains MAP's
 * first 48 bits right inside every block -- a false magic.  No byte
 * repeats, so bzip2's first run-length stage adds no other byte values.
 */
static void
make_map_text(struct buf *out, const uint16_t *map, size_t nmap, size_t len)
{
	uint8_t set[256];
	size_t nset = 0, w = 1;
	uint32_t x = 12345;
	uint8_t prev = 0;

	for (int r = 0; r < 16; r++) {
		if (!(map[0] & (0x8000 >> r)))
			continue;
		uint16_t m = w < nmap ? map[w] : 0x8000;
		w++;
		for (int k = 0; k < 16; k++)
			if (m & (0x8000 >> k))
				set[nset++] = (uint8_t)(r * 16 + k);
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t c;
		do {
			x = x * 1103515245u + 12345u;
			c = set[(x >> 16) % nset];
		} while (c == prev);
		buf_add(out, &c, 1);
		prev = c;
	}
}

/*
 * Inputs whose compressed form contains the block magic (and separately
 * the end-of-stream magic) inside block data: the parallel decoder must
 * merge the pieces around a false block magic and ignore a false
 * end-of-stream magic, and still return exactly bzcat's bytes.
 */
static void
test_bzip2_false_magic(void)
{
	static const uint16_t blk[] = {0x3141, 0x5926, 0x5359};
	static const uint16_t eos[] = {0x1772, 0x4538, 0x5090};
	struct buf text = {0}, comp, all = {0}, want = {0};
	char raw[512], bz[512], cmd[1200];
	int rc;

	for (int v = 0; v < 2; v++) {
		buf_free(&text);
		/* Two and a half blocks of 900k. */
		make_map_text(&text, v == 0 ? blk : eos, 3, 2300000);
		tmp_path(raw, sizeof(raw), "map.txt");
		tmp_path(bz, sizeof(bz), v == 0 ? "blk.bz2" : "eos.bz2");
		CHECK_EQ_INT(write_file(raw, text.p, text.len), 0);
		snprintf(cmd, sizeof(cmd), "bzip2 -9 -c '%s' > '%s'", raw, bz);
		CHECK_EQ_INT(system(cmd), 0);
		comp = read_file(bz);
		/* The trap is really there: more magics than blocks. */
		CHECK(count_magic(&comp, v == 0 ? 0x314159265359ULL
		                                : 0x177245385090ULL) >= 3);
		for (int t = 1; t <= 2; t++) {
			struct vg_stream_opts o = {.threads = t};
			same_as(bz, &o, 1u << 20, VG_COMP_BZIP2, &text);
		}
		buf_add(&all, comp.p, comp.len);
		buf_add(&want, text.p, text.len);
		buf_free(&comp);
		unlink(raw);
	}
	tmp_path(bz, sizeof(bz), "both.bz2");
	CHECK_EQ_INT(write_file(bz, all.p, all.len), 0);
	struct vg_stream_opts o = {.threads = 2};
	same_as(bz, &o, 65536, VG_COMP_BZIP2, &want);
	/* And from memory, where the whole input is one window. */
	enum vg_compression c;
	struct buf got = decode_mem(&all, &o, 1u << 20, &c, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK(buf_eq(&got, &want));
	buf_free(&got);
	buf_free(&text);
	buf_free(&all);
	buf_free(&want);
}

/* Compress the decompressed REF with CMD (zstd, xz) into tmpdir/NAME. */
static void
make_compressed(const struct buf *ref, const char *cmd, const char *name,
                char *out, size_t n)
{
	char raw[512], line[1200];

	tmp_path(raw, sizeof(raw), "ref.raw");
	tmp_path(out, n, name);
	CHECK_EQ_INT(write_file(raw, ref->p, ref->len), 0);
	snprintf(line, sizeof(line), "%s -c '%s' > '%s'", cmd, raw, out);
	CHECK_EQ_INT(system(line), 0);
	unlink(raw);
}

/* zstd or xz: a real file, odd chunks, and two concatenated frames. */
static void
check_tool_format(const char *cmd, const char *ext, enum vg_compression comp)
{
	char path[512], out[512], name[64];
	struct buf ref, c, all = {0}, want = {0};

	data_path(path, sizeof(path), gz_files[0]);
	ref = reference("zcat", path);
	snprintf(name, sizeof(name), "a.%s", ext);
	make_compressed(&ref, cmd, name, out, sizeof(out));
	for (size_t k = 0; k < 4; k++)
		same_as(out, NULL, chunk_for(k, ref.len), comp, &ref);
	c = read_file(out);
	buf_add(&all, c.p, c.len);
	buf_add(&want, ref.p, ref.len);
	buf_free(&c);
	buf_free(&ref);

	data_path(path, sizeof(path), gz_files[2]);
	ref = reference("zcat", path);
	snprintf(name, sizeof(name), "b.%s", ext);
	make_compressed(&ref, cmd, name, out, sizeof(out));
	c = read_file(out);
	buf_add(&all, c.p, c.len);
	buf_add(&want, ref.p, ref.len);
	snprintf(name, sizeof(name), "ab.%s", ext);
	tmp_path(out, sizeof(out), name);
	CHECK_EQ_INT(write_file(out, all.p, all.len), 0);
	same_as(out, NULL, 4096, comp, &want);
	same_as(out, NULL, 7, comp, &want);
	buf_free(&c);
	buf_free(&ref);
	buf_free(&all);
	buf_free(&want);
}

static void
test_zstd(void)
{
	check_tool_format("zstd -q -3", "zst", VG_COMP_ZSTD);
}

static void
test_xz(void)
{
	check_tool_format("xz -6", "xz", VG_COMP_XZ);
}

/*
 * Cut the compressed file F at several offsets: every result must be a
 * prefix of the full output followed by a "truncated" error, except cuts
 * shorter than the magic, which are plain data.
 */
static void
check_truncation(const char *file, const struct vg_stream_opts *o,
                 enum vg_compression comp, size_t magic_len)
{
	struct buf in = read_file(file), full, part, got;
	enum vg_compression c;
	size_t cuts[40];
	size_t ncut = 0;
	int rc;
	char prefix[32];

	CHECK(in.len > 100);
	if (in.len <= 100)
		return;
	full = decode_mem(&in, o, 1u << 20, &c, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(c, comp);
	for (size_t i = 1; i <= 20; i++)
		cuts[ncut++] = i;
	for (size_t i = 1; i <= 10; i++)
		cuts[ncut++] = in.len * i / 11;
	cuts[ncut++] = in.len - 1;
	cuts[ncut++] = in.len - 4;
	snprintf(prefix, sizeof(prefix), "%s: ", vg_compression_name(comp));
	for (size_t i = 0; i < ncut; i++) {
		part.p = in.p;
		part.len = cuts[i];
		got = decode_mem(&part, o, 65536, &c, &rc);
		if (cuts[i] < magic_len) {
			CHECK_EQ_INT(c, VG_COMP_NONE);
			CHECK_EQ_INT(rc, 0);
			CHECK(buf_eq(&got, &part));
		} else {
			CHECK_EQ_INT(c, comp);
			CHECK_EQ_INT(rc, -1);
			CHECK(buf_is_prefix(&got, &full));
			/* A cut in the trailer may come after all data. */
			if (cuts[i] + 32 < in.len)
				CHECK(got.len < full.len);
		}
		buf_free(&got);
	}
	/* The message names the format and the cause. */
	{
		char err[256];
		part.len = in.len / 2;
		vg_stream *s = vg_stream_open_mem(part.p, part.len, o, err,
		                                  sizeof(err));
		CHECK(s != NULL);
		got = drain(s, 4096, &rc);
		CHECK_EQ_INT(rc, -1);
		const char *e = vg_stream_error(s);
		CHECK(e != NULL && strncmp(e, prefix, strlen(prefix)) == 0);
		CHECK(e != NULL && strstr(e, "unexpected end of data") != NULL);
		CHECK(e != NULL && strchr(e, '\n') == NULL);
		if (e != NULL && strstr(e, "unexpected end") == NULL)
			fprintf(stderr, "  error was: %s\n", e);
		buf_free(&got);
		vg_stream_close(s);
	}
	buf_free(&full);
	buf_free(&in);
}

static void
test_truncated(void)
{
	char path[512], out[512];
	struct vg_stream_opts zl = {.force_zlib = 1}, t1 = {.threads = 1},
	                      t2 = {.threads = 2};
	struct buf ref;

	data_path(path, sizeof(path), gz_files[2]);
	check_truncation(path, NULL, VG_COMP_GZIP, 2);
	check_truncation(path, &zl, VG_COMP_GZIP, 2);
	data_path(path, sizeof(path), bz_files[0]);
	check_truncation(path, &t1, VG_COMP_BZIP2, 4);
	check_truncation(path, &t2, VG_COMP_BZIP2, 4);
	data_path(path, sizeof(path), bz_files[2]);
	check_truncation(path, &t2, VG_COMP_BZIP2, 4);
	data_path(path, sizeof(path), gz_files[2]);
	ref = reference("zcat", path);
	make_compressed(&ref, "zstd -q -3", "t.zst", out, sizeof(out));
	check_truncation(out, NULL, VG_COMP_ZSTD, 4);
	make_compressed(&ref, "xz -6", "t.xz", out, sizeof(out));
	check_truncation(out, NULL, VG_COMP_XZ, 6);
	buf_free(&ref);
}

/* Bytes that fail as the format says they are: magic then garbage. */
static void
test_garbage_after_magic(void)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *name;
	} m[] = {
		{"\x1f\x8b", 2, "gzip: "},
		{"BZh9", 4, "bzip2: "},
		{"\x28\xb5\x2f\xfd", 4, "zstd: "},
		{"\xfd" "7zXZ\0", 6, "xz: "},
	};
	uint8_t data[4096];
	uint32_t x = 99;

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		for (int variant = 0; variant < 3; variant++) {
			struct vg_stream_opts o = {.threads = variant == 1 ? 1 : 2,
			                           .force_zlib = variant == 2};
			size_t len = variant == 0 ? 4096 : 64 + 100 * (size_t)variant;
			struct buf in = {0}, got;
			enum vg_compression c;
			int rc;

			for (size_t k = 0; k < len; k++) {
				x = x * 1103515245u + 12345u;
				data[k] = (uint8_t)(x >> 16);
			}
			memcpy(data, m[i].magic, m[i].len);
			buf_add(&in, data, len);
			char err[256];
			vg_stream *s = vg_stream_open_mem(in.p, in.len, &o, err,
			                                  sizeof(err));
			CHECK(s != NULL);
			if (s == NULL)
				continue;
			c = vg_stream_compression(s);
			CHECK_EQ_INT(c, (enum vg_compression)(i + 1));
			got = drain(s, 4096, &rc);
			CHECK_EQ_INT(rc, -1);
			const char *e = vg_stream_error(s);
			CHECK(e != NULL &&
			      strncmp(e, m[i].name, strlen(m[i].name)) == 0);
			buf_free(&got);
			buf_free(&in);
			vg_stream_close(s);
			(void)c;
		}
	}
}

/*
 * A flipped byte in the middle of a bzip2 file: the block-parallel decoder
 * returns only blocks whose CRC checked, i.e. a prefix of the true output,
 * then a "corrupt" error.  gzip must report corrupt data or a bad trailer.
 */
static void
test_corrupt_middle(void)
{
	char path[512];
	struct vg_stream_opts t2 = {.threads = 2}, zl = {.force_zlib = 1};
	struct buf in, full, got;
	enum vg_compression c;
	int rc;

	data_path(path, sizeof(path), bz_files[1]);
	in = read_file(path);
	full = decode_mem(&in, &t2, 1u << 20, &c, &rc);
	CHECK_EQ_INT(rc, 0);
	for (int k = 1; k <= 3; k++) {
		size_t at = in.len * (size_t)k / 4;
		in.p[at] ^= 0x5a;
		got = decode_mem(&in, &t2, 65536, &c, &rc);
		CHECK_EQ_INT(rc, -1);
		CHECK(buf_is_prefix(&got, &full));
		CHECK(got.len < full.len);
		buf_free(&got);
		in.p[at] ^= 0x5a;
	}
	{
		char err[256];
		in.p[in.len / 2] ^= 0x5a;
		vg_stream *s = vg_stream_open_mem(in.p, in.len, &t2, err,
		                                  sizeof(err));
		got = drain(s, 65536, &rc);
		CHECK(vg_stream_error(s) != NULL &&
		      strncmp(vg_stream_error(s), "bzip2: corrupt data", 19) == 0);
		buf_free(&got);
		vg_stream_close(s);
	}
	buf_free(&in);
	buf_free(&full);

	data_path(path, sizeof(path), gz_files[0]);
	in = read_file(path);
	for (int z = 0; z <= 1; z++) {
		char err[256];
		in.p[in.len / 2] ^= 0x5a;
		vg_stream *s = vg_stream_open_mem(in.p, in.len, z ? &zl : NULL,
		                                  err, sizeof(err));
		got = drain(s, 65536, &rc);
		CHECK_EQ_INT(rc, -1);
		CHECK(vg_stream_error(s) != NULL &&
		      strncmp(vg_stream_error(s), "gzip: corrupt data", 18) == 0);
		buf_free(&got);
		vg_stream_close(s);
		in.p[in.len / 2] ^= 0x5a;
	}
	buf_free(&in);
}

/* Trailing zeros are padding; other trailing bytes are an error reported
 * after all the data. */
static void
test_trailing_bytes(void)
{
	char path[512];
	struct vg_stream_opts opts[3] = {{0}, {.force_zlib = 1}, {.threads = 2}};
	const char *files[3] = {gz_files[2], gz_files[2], bz_files[2]};

	for (int i = 0; i < 3; i++) {
		struct buf in, full, got;
		enum vg_compression c;
		int rc;

		data_path(path, sizeof(path), files[i]);
		in = read_file(path);
		full = decode_mem(&in, &opts[i], 65536, &c, &rc);
		CHECK_EQ_INT(rc, 0);
		buf_add(&in, "\0\0\0\0\0\0\0", 7);
		got = decode_mem(&in, &opts[i], 65536, &c, &rc);
		CHECK_EQ_INT(rc, 0);
		CHECK(buf_eq(&got, &full));
		buf_free(&got);
		buf_add(&in, "junk", 4);
		char err[256];
		vg_stream *s = vg_stream_open_mem(in.p, in.len, &opts[i], err,
		                                  sizeof(err));
		got = drain(s, 65536, &rc);
		CHECK_EQ_INT(rc, -1);
		CHECK(buf_eq(&got, &full));
		CHECK(vg_stream_error(s) != NULL &&
		      strstr(vg_stream_error(s), "trailing garbage") != NULL);
		buf_free(&got);
		vg_stream_close(s);
		buf_free(&in);
		buf_free(&full);
	}
}

static void
test_detect_plain(void)
{
	char path[512];
	struct buf ref, got;
	enum vg_compression c;
	int rc;

	data_path(path, sizeof(path), "mrt/router-samples/bird_bgp");
	ref = read_file(path);
	CHECK(ref.len > 0);
	for (size_t k = 0; k < 4; k++)
		same_as(path, NULL, chunks[k], VG_COMP_NONE, &ref);
	buf_free(&ref);

	/* Near misses of the magics, and inputs shorter than any magic. */
	static const struct {
		const char *p;
		size_t n;
	} plain[] = {
		{"", 0},           {"\x1f", 1},         {"\x1f\x8c", 2},
		{"BZh", 3},        {"BZh0", 4},         {"BZhx", 4},
		{"BZ", 2},         {"\x28\xb5\x2f", 3}, {"\x28\xb5\x2f\xfe", 4},
		{"\xfd" "7zXZ", 5}, {"\xfd" "7zXZ\1", 6}, {"hello world", 11},
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		struct buf in = {0};
		buf_add(&in, plain[i].p, plain[i].n);
		got = decode_mem(&in, NULL, 7, &c, &rc);
		CHECK_EQ_INT(c, VG_COMP_NONE);
		CHECK_EQ_INT(rc, 0);
		CHECK(buf_eq(&got, &in));
		buf_free(&got);
		buf_free(&in);
	}
	CHECK_EQ_STR(vg_compression_name(VG_COMP_NONE), "none");
	CHECK_EQ_STR(vg_compression_name(VG_COMP_GZIP), "gzip");
	CHECK_EQ_STR(vg_compression_name(VG_COMP_BZIP2), "bzip2");
	CHECK_EQ_STR(vg_compression_name(VG_COMP_ZSTD), "zstd");
	CHECK_EQ_STR(vg_compression_name(VG_COMP_XZ), "xz");
}

/*
 * Feed FILE to "-" through a pipe, written in small delayed pieces so the
 * magic arrives split across reads.  Returns what vg_stream decoded.
 */
static struct buf
decode_stdin(const char *file, const struct vg_stream_opts *o,
             enum vg_compression *comp, int *rc)
{
	struct buf in = read_file(file), got = {0};
	int fds[2], saved;
	pid_t pid;
	char err[512];

	CHECK_EQ_INT(pipe(fds), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		size_t off = 0;
		close(fds[0]);
		/* One byte, 11 more, then the rest in odd pieces, with
		 * pauses: the magic and a gzip header (its file name) arrive
		 * split across reads. */
		while (off < in.len) {
			size_t n = off == 0 ? 1 : off == 1 ? 11 : 65521;
			if (n > in.len - off)
				n = in.len - off;
			if (write(fds[1], in.p + off, n) != (ssize_t)n) {
				buf_free(&in);
				_exit(1);
			}
			off += n;
			if (off <= 12)
				usleep(20000);
		}
		buf_free(&in);
		_exit(0);
	}
	close(fds[1]);
	saved = dup(STDIN_FILENO);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	vg_stream *s = vg_stream_open("-", o, err, sizeof(err));
	CHECK(s != NULL);
	if (s != NULL) {
		*comp = vg_stream_compression(s);
		CHECK_EQ_INT(vg_stream_raw_size(s), 0);
		got = drain(s, 1u << 20, rc);
		CHECK_EQ_INT(vg_stream_raw_offset(s), in.len);
		vg_stream_close(s);
	}
	dup2(saved, STDIN_FILENO);
	close(saved);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	buf_free(&in);
	return got;
}

static void
test_stdin_pipe(void)
{
	char path[512];
	struct vg_stream_opts t2 = {.threads = 2};
	enum vg_compression c = VG_COMP_NONE;
	struct buf ref, got;
	int rc = -3;

	data_path(path, sizeof(path), gz_files[2]);
	ref = reference("zcat", path);
	got = decode_stdin(path, NULL, &c, &rc);
	CHECK_EQ_INT(c, VG_COMP_GZIP);
	CHECK_EQ_INT(rc, 0);
	CHECK(buf_eq(&got, &ref));
	buf_free(&got);
	buf_free(&ref);

	data_path(path, sizeof(path), bz_files[0]);
	ref = reference("bzcat", path);
	got = decode_stdin(path, &t2, &c, &rc);
	CHECK_EQ_INT(c, VG_COMP_BZIP2);
	CHECK_EQ_INT(rc, 0);
	CHECK(buf_eq(&got, &ref));
	buf_free(&got);
	buf_free(&ref);

	data_path(path, sizeof(path), "mrt/router-samples/bird_bgp");
	ref = read_file(path);
	got = decode_stdin(path, NULL, &c, &rc);
	CHECK_EQ_INT(c, VG_COMP_NONE);
	CHECK_EQ_INT(rc, 0);
	CHECK(buf_eq(&got, &ref));
	buf_free(&got);
	buf_free(&ref);
}

static void
test_open_errors(void)
{
	char err[512] = "";
	char path[512];
	vg_stream *s;

	tmp_path(path, sizeof(path), "no-such-file.gz");
	s = vg_stream_open(path, NULL, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "No such file") != NULL);
	/* A short error buffer is truncated, not overrun. */
	char small[8];
	memset(small, 'x', sizeof(small));
	s = vg_stream_open(path, NULL, small, sizeof(small));
	CHECK(s == NULL);
	CHECK_EQ_INT(strlen(small), 7);
	/* A directory opens but cannot be read: an error, not a crash. */
	s = vg_stream_open(tmpdir, NULL, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, tmpdir) != NULL);
	CHECK(vg_stream_error(NULL) == NULL);
	vg_stream_close(NULL);
}

static void
remove_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char path[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

int
main(void)
{
	char probe[512];

	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vigil-io-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	data_path(probe, sizeof(probe), gz_files[0]);
	if (access(probe, R_OK) != 0)
		fprintf(stderr, "io_test: missing test data %s "
		        "(set VIGIL_DATA)\n", probe);

	RUN(test_gzip_isal);
	RUN(test_gzip_zlib);
	RUN(test_gzip_multi_member);
	RUN(test_bzip2_real);
	RUN(test_bzip2_threads_identical);
	RUN(test_bzip2_concatenated);
	RUN(test_bzip2_false_magic);
	RUN(test_zstd);
	RUN(test_xz);
	RUN(test_truncated);
	RUN(test_garbage_after_magic);
	RUN(test_corrupt_middle);
	RUN(test_trailing_bytes);
	RUN(test_detect_plain);
	RUN(test_stdin_pipe);
	RUN(test_open_errors);

	remove_tmpdir();
	return TEST_MAIN_END();
}
