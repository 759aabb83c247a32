/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bzip2 back end.  libbz2 decodes about 75 MB/s on one core, slower than an
 * MRT parser consumes, so by default the blocks of a stream are decoded in
 * parallel.  A bzip2 stream is "BZh" + level digit, then blocks that each
 * begin with the 48-bit magic 0x314159265359 at any *bit* offset followed by
 * the block's CRC-32, then the end-of-stream magic 0x177245385090, the
 * combined CRC and padding to a byte.  Blocks share no state, so we cut the
 * input at the block magics (a bit-level scan) and turn each piece into a
 * standalone one-block stream: header, the piece's bits shifted to a byte
 * boundary, end-of-stream magic, and a combined CRC equal to the block CRC
 * (for one block the two are the same).  libbz2 then decodes each piece and
 * checks its CRC, on worker threads, and the pieces are handed out in order.
 *
 * The magic can also occur by chance inside compressed data.  The piece that
 * ends at such a false magic fails its CRC check; it is then merged with the
 * following piece and decoded again, so wrong bytes are never returned.  An
 * end-of-stream candidate is accepted only if the combined CRC after it
 * matches the block CRCs seen, or a new stream or the end of input follows.
 *
 * With opts.threads == 1 the plain sequential BZ2_bzDecompress() loop is
 * used instead; it returns bytes as libbz2 produces them, i.e. before the
 * block's CRC has been checked.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>

#include "io/io_impl.h"

#define BZ_BLOCK_MAGIC 0x314159265359ULL
#define BZ_EOS_MAGIC 0x177245385090ULL
#define BZ_MASK48 0xffffffffffffULL

/* A block holds at most 900 kB before Huffman coding, which cannot expand
 * it to anywhere near this; a longer piece means corrupt input. */
#define BZ_PIECE_MAX (4u << 20)
/* Compressed bytes the scanner reads at a time. */
#define BZ_READ_CHUNK (1u << 20)
/* Zero bytes kept after every buffer so 64-bit loads never run off it. */
#define BZ_SLACK 16
/* One block can expand a lot (runs of 4..255 equal bytes cost 5 bytes
 * before Huffman coding); this bounds a piece's output all the same. */
#define BZ_OUT_MAX (64u << 20)

/* ---- Bit helpers ------------------------------------------------------ */

static uint64_t
load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* N (<= 48) bits starting at bit POS of P, most significant bit first. */
static uint64_t
get_bits(const uint8_t *p, uint64_t pos, int n)
{
	uint64_t w = load_be64(p + pos / 8);

	return (w >> (64 - (int)(pos % 8) - n)) & ((1ULL << n) - 1);
}

/* OR the low N (<= 48) bits of V into D at bit POS; D is zero there. */
static void
put_bits(uint8_t *d, uint64_t pos, uint64_t v, int n)
{
	while (n > 0) {
		int room = 8 - (int)(pos % 8);
		int k = n < room ? n : room;
		uint8_t bits = (uint8_t)((v >> (n - k)) & ((1u << k) - 1));

		d[pos / 8] |= (uint8_t)(bits << (room - k));
		pos += (uint64_t)k;
		n -= k;
	}
}

/*
 * Copy N bits from bit SPOS of S to bit DPOS of D, where D is zero from
 * DPOS on.  The usual case, a byte-aligned destination, shifts whole bytes;
 * the general case (only when merging pieces) goes 32 bits at a time.
 */
static void
copy_bits(uint8_t *d, uint64_t dpos, const uint8_t *s, uint64_t spos,
          uint64_t n)
{
	if (dpos % 8 == 0) {
		uint8_t *dp = d + dpos / 8;
		const uint8_t *sp = s + spos / 8;
		unsigned sh = (unsigned)(spos % 8);
		size_t nbytes = (size_t)((n + 7) / 8);

		if (sh == 0) {
			memcpy(dp, sp, nbytes);
		} else {
			for (size_t i = 0; i < nbytes; i++)
				dp[i] = (uint8_t)(sp[i] << sh |
				                  sp[i + 1] >> (8 - sh));
		}
		/* Clear the bits past the end for the writes that follow. */
		if (n % 8)
			dp[nbytes - 1] &= (uint8_t)(0xff00u >> (n % 8));
		return;
	}
	while (n > 0) {
		int k = n > 32 ? 32 : (int)n;

		put_bits(d, dpos, get_bits(s, spos, k), k);
		dpos += (uint64_t)k;
		spos += (uint64_t)k;
		n -= (uint64_t)k;
	}
}

static uint32_t
rotl1(uint32_t x)
{
	return x << 1 | x >> 31;
}

/* ---- Allocation cache for libbz2 -------------------------------------- */

/*
 * Every piece needs a fresh decompressor, and libbz2 allocates its state
 * (64 kB) and its block array (up to 3.6 MB) for each one.  A small
 * per-thread cache hands the same memory back instead of going through
 * mmap/munmap and page faults for every block.
 */
#define BZ_CACHE_SLOTS 4

struct bz_cache {
	void *ptr[BZ_CACHE_SLOTS];
	size_t size[BZ_CACHE_SLOTS];
	int used[BZ_CACHE_SLOTS];
};

static void *
cache_alloc(void *opaque, int items, int size)
{
	struct bz_cache *c = opaque;
	size_t n = (size_t)items * (size_t)size;
	int i;

	for (i = 0; i < BZ_CACHE_SLOTS; i++) {
		if (c->ptr[i] != NULL && !c->used[i] && c->size[i] == n) {
			c->used[i] = 1;
			return c->ptr[i];
		}
	}
	for (i = 0; i < BZ_CACHE_SLOTS; i++) {
		if (c->ptr[i] == NULL) {
			c->ptr[i] = malloc(n);
			if (c->ptr[i] == NULL)
				return NULL;
			c->size[i] = n;
			c->used[i] = 1;
			return c->ptr[i];
		}
	}
	return malloc(n);
}

static void
cache_free(void *opaque, void *p)
{
	struct bz_cache *c = opaque;

	for (int i = 0; i < BZ_CACHE_SLOTS; i++) {
		if (c->ptr[i] == p) {
			c->used[i] = 0;
			return;
		}
	}
	free(p);
}

static void
cache_destroy(struct bz_cache *c)
{
	for (int i = 0; i < BZ_CACHE_SLOTS; i++)
		free(c->ptr[i]);
	memset(c, 0, sizeof(*c));
}

/* ---- Sequential decoder (threads == 1) -------------------------------- */

struct bz_seq {
	bz_stream z;
	int ready;               /* z initialised */
	int in_stream;
	uint64_t streams;
};

static uint64_t
seq_offset(const vg_stream *s)
{
	return s->src_read - io_avail(s);
}

/* Start the next concatenated stream: 1, 0 at a clean end, -1 on error. */
static int
seq_next_stream(vg_stream *s, struct bz_seq *q)
{
	const uint8_t *p;
	size_t k;

	for (;;) {
		if (io_avail(s) < 4 && !s->src_eof) {
			if (io_fill(s) < 0)
				return -1;
			continue;
		}
		if (io_avail(s) == 0)
			return 0;
		p = s->in + s->in_pos;
		k = io_avail(s) < 4 ? io_avail(s) : 4;
		/* A cut-off header is a truncated stream: let libbz2 see it. */
		if (memcmp(p, "BZh", k < 3 ? k : 3) == 0 &&
		    (k < 4 || (p[3] >= '1' && p[3] <= '9')))
			break;
		if (p[0] != 0 || q->streams == 0)
			return io_fail(s, "bzip2: trailing garbage after end "
			               "of compressed data at offset %llu",
			               (unsigned long long)seq_offset(s));
		while (s->in_pos < s->in_len && s->in[s->in_pos] == 0)
			s->in_pos++;
	}
	if (q->ready)
		BZ2_bzDecompressEnd(&q->z);
	memset(&q->z, 0, sizeof(q->z));
	q->ready = 0;
	if (BZ2_bzDecompressInit(&q->z, 0, 0) != BZ_OK)
		return io_fail(s, "bzip2: out of memory");
	q->ready = 1;
	q->in_stream = 1;
	q->streams++;
	return 1;
}

static ssize_t
seq_read(vg_stream *s, uint8_t *buf, size_t n)
{
	struct bz_seq *q = s->state;
	unsigned want = n > UINT_MAX ? UINT_MAX : (unsigned)n;
	size_t avail, used, produced;
	int ret, r;

	for (;;) {
		if (!q->in_stream) {
			r = seq_next_stream(s, q);
			if (r <= 0)
				return r;
		}
		if (io_avail(s) == 0 && !s->src_eof && io_fill(s) < 0)
			return -1;
		avail = io_avail(s);
		if (avail > UINT_MAX)
			avail = UINT_MAX;
		/* libbz2 never writes through next_in; its type lacks const. */
		q->z.next_in = (char *)(s->in + s->in_pos);
		q->z.avail_in = (unsigned)avail;
		q->z.next_out = (char *)buf;
		q->z.avail_out = want;
		ret = BZ2_bzDecompress(&q->z);
		used = avail - q->z.avail_in;
		s->in_pos += used;
		produced = want - q->z.avail_out;
		if (ret == BZ_STREAM_END) {
			q->in_stream = 0;
		} else if (ret != BZ_OK) {
			io_fail(s, "bzip2: corrupt data: %s at offset %llu",
			        ret == BZ_DATA_ERROR_MAGIC ? "bad stream header"
			        : ret == BZ_MEM_ERROR ? "out of memory"
			                              : "CRC or format error",
			        (unsigned long long)seq_offset(s));
			return produced > 0 ? (ssize_t)produced : -1;
		}
		if (produced > 0)
			return (ssize_t)produced;
		if (used == 0 && q->in_stream) {
			if (s->src_eof)
				return io_fail(s, "bzip2: unexpected end of "
				               "data (truncated file?)");
			if (io_fill(s) < 0)
				return -1;
		}
	}
}

static void
seq_close(vg_stream *s)
{
	struct bz_seq *q = s->state;

	if (q == NULL)
		return;
	if (q->ready)
		BZ2_bzDecompressEnd(&q->z);
	free(q);
	s->state = NULL;
}

static const struct io_codec bz_seq_codec = {
	.read = seq_read,
	.close = seq_close,
};

/* ---- Parallel decoder: pieces and workers ----------------------------- */

enum { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

/* One piece of a stream, from a block magic up to the next magic. */
struct bz_job {
	struct bz_job *next;
	int state;               /* JOB_*, under bz_par.mu */
	int ok;                  /* decoded, block and stream CRC good */

	/* Standalone one-block stream: "BZh" level, piece bits at bit 32,
	 * end-of-stream magic, CRC, padding. */
	uint8_t *in;
	size_t in_len, in_cap;
	uint64_t nbits;          /* piece bits, from its magic on */
	char level;
	uint32_t crc;            /* block CRC, the 32 bits after the magic */
	uint64_t raw_start;      /* file offsets of the piece, for messages */
	uint64_t raw_end;
	int stream_end;          /* last piece of its stream ... */
	uint32_t stream_crc;     /* ... with this stored combined CRC */
	int cut;                 /* input ended inside this piece */

	uint8_t *out;
	size_t out_len, out_cap;
};

enum { SCAN_HEADER, SCAN_STREAM, SCAN_DONE, SCAN_CUT, SCAN_FAILED };

struct bz_par {
	pthread_mutex_t mu;
	pthread_cond_t work_cv;  /* a job was queued, or stop */
	pthread_cond_t done_cv;  /* a job finished */
	pthread_t *tids;
	int nworkers;
	int stop;
	struct bz_job *head, *tail;   /* pieces in input order */
	int njobs;
	int max_jobs;
	struct bz_job *spare;    /* finished jobs kept for their buffers */

	struct bz_job *cur;      /* piece being handed out */
	size_t cur_pos;
	uint32_t out_crc;        /* combined CRC of pieces handed out */
	uint64_t raw_done;
	struct bz_cache cache;   /* for pieces the reading thread decodes */

	/* Scanner: buf[0..len) is the input from file offset base on. */
	uint8_t *buf;
	size_t len, cap;
	uint64_t base;
	int state;               /* SCAN_* */
	size_t hdr;              /* SCAN_HEADER: index of the next header */
	uint64_t piece;          /* SCAN_STREAM: bit index of the open piece */
	size_t key;              /* next byte index the magic search tests */
	int eof;                 /* the source has no more bytes */
	char level;
	uint32_t scan_crc;       /* combined CRC of pieces emitted so far */
	char scan_err[256];      /* reported after the pieces before it */
	uint16_t tab[65536];     /* see bz_table_init() */
};

/*
 * Decode one piece with libbz2 into j->out; sets j->ok.  Runs on any
 * thread, touching only J and that thread's allocation cache.
 */
static void
bz_decode(struct bz_job *j, struct bz_cache *c)
{
	bz_stream z;
	int ret;

	j->ok = 0;
	j->out_len = 0;
	memset(&z, 0, sizeof(z));
	z.bzalloc = cache_alloc;
	z.bzfree = cache_free;
	z.opaque = c;
	if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK)
		return;
	z.next_in = (char *)j->in;
	z.avail_in = (unsigned)j->in_len;
	for (;;) {
		if (j->out_cap - j->out_len < (64u << 10)) {
			size_t ncap = j->out_cap ? j->out_cap * 2 : (1u << 20);
			uint8_t *p;

			if (ncap > BZ_OUT_MAX)
				break;
			p = realloc(j->out, ncap);
			if (p == NULL)
				break;
			j->out = p;
			j->out_cap = ncap;
		}
		size_t room = j->out_cap - j->out_len;
		unsigned before_in = z.avail_in;

		z.next_out = (char *)j->out + j->out_len;
		z.avail_out = (unsigned)room;
		ret = BZ2_bzDecompress(&z);
		j->out_len += room - z.avail_out;
		if (ret == BZ_STREAM_END) {
			j->ok = 1;
			break;
		}
		if (ret != BZ_OK)
			break;
		/* All input given and no output room used up: the piece
		 * ends before its block does. */
		if (z.avail_out > 0 && z.avail_in == before_in)
			break;
	}
	BZ2_bzDecompressEnd(&z);
}

static struct bz_job *
first_queued(struct bz_par *p)
{
	for (struct bz_job *j = p->head; j != NULL; j = j->next)
		if (j->state == JOB_QUEUED)
			return j;
	return NULL;
}

static void *
bz_worker(void *arg)
{
	struct bz_par *p = arg;
	struct bz_cache cache;
	struct bz_job *j;

	memset(&cache, 0, sizeof(cache));
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && (j = first_queued(p)) == NULL)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->stop)
			break;
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&p->mu);
		bz_decode(j, &cache);
		pthread_mutex_lock(&p->mu);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	cache_destroy(&cache);
	return NULL;
}

/*
 * Take the oldest piece off the queue once it is decoded.  While it is
 * still being worked on, the reading thread decodes queued pieces itself,
 * so `threads` counts it as one of the decoders.  NULL if the queue is empty.
 */
static struct bz_job *
bz_pop(struct bz_par *p)
{
	struct bz_job *j, *h;

	pthread_mutex_lock(&p->mu);
	h = p->head;
	while (h != NULL && h->state != JOB_DONE) {
		j = first_queued(p);
		if (j != NULL) {
			j->state = JOB_RUNNING;
			pthread_mutex_unlock(&p->mu);
			bz_decode(j, &p->cache);
			pthread_mutex_lock(&p->mu);
			j->state = JOB_DONE;
			pthread_cond_broadcast(&p->done_cv);
		} else {
			pthread_cond_wait(&p->done_cv, &p->mu);
		}
	}
	if (h != NULL) {
		p->head = h->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->njobs--;
		h->next = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	return h;
}

static void
bz_push(struct bz_par *p, struct bz_job *j)
{
	j->state = JOB_QUEUED;
	j->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->njobs++;
	pthread_cond_signal(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
}

/* Jobs off the queue belong to the reading thread alone: no lock here. */
static struct bz_job *
job_get(struct bz_par *p)
{
	struct bz_job *j = p->spare;

	if (j != NULL) {
		p->spare = j->next;
		j->next = NULL;
	} else {
		j = calloc(1, sizeof(*j));
	}
	return j;
}

static void
job_put(struct bz_par *p, struct bz_job *j)
{
	if (j == NULL)
		return;
	j->next = p->spare;
	p->spare = j;
}

static void
job_free(struct bz_job *j)
{
	free(j->in);
	free(j->out);
	free(j);
}

/* Make room for a standalone stream of NBITS piece bits. */
static int
job_reserve(struct bz_job *j, uint64_t nbits)
{
	size_t need = 4 + (size_t)((nbits + 80 + 7) / 8) + BZ_SLACK;

	if (j->in_cap < need) {
		uint8_t *q = realloc(j->in, need);

		if (q == NULL)
			return -1;
		j->in = q;
		j->in_cap = need;
	}
	memset(j->in, 0, need);
	j->in[0] = 'B';
	j->in[1] = 'Z';
	j->in[2] = 'h';
	j->in[3] = (uint8_t)j->level;
	return 0;
}

/* Close a standalone stream whose piece bits are in place. */
static void
job_seal(struct bz_job *j)
{
	uint64_t pos = 32 + j->nbits;

	put_bits(j->in, pos, BZ_EOS_MAGIC, 48);
	put_bits(j->in, pos + 48, j->crc, 32);
	j->in_len = (size_t)((pos + 80 + 7) / 8);
}

/* ---- Parallel decoder: scanner ---------------------------------------- */

/*
 * tab[k] says for which bit shifts a magic could start in the byte before
 * a position whose next two bytes read k: bit SH for the block magic, bit
 * 8 + SH for the end-of-stream magic.  The two bytes after the starting
 * byte always lie wholly inside a 48-bit magic, so one lookup per input
 * byte filters out all but a few candidates.
 */
static void
bz_table_init(struct bz_par *p)
{
	memset(p->tab, 0, sizeof(p->tab));
	for (int sh = 0; sh < 8; sh++) {
		p->tab[(BZ_BLOCK_MAGIC >> (24 + sh)) & 0xffff] |=
			(uint16_t)(1u << sh);
		p->tab[(BZ_EOS_MAGIC >> (24 + sh)) & 0xffff] |=
			(uint16_t)(1u << (8 + sh));
	}
}

static void
scan_fail(struct bz_par *p, const char *fmt, unsigned long long off)
{
	if (p->scan_err[0] == '\0')
		snprintf(p->scan_err, sizeof(p->scan_err), fmt, off);
	p->state = SCAN_FAILED;
}

/*
 * Read more input, first dropping what lies before the open piece (or the
 * next header).  Returns bytes added, 0 at end of input, -1 on failure
 * (recorded in scan_err).
 */
static ssize_t
scan_more(vg_stream *s, struct bz_par *p)
{
	size_t keep = p->state == SCAN_STREAM ? (size_t)(p->piece / 8) : p->hdr;
	size_t room;
	ssize_t r;

	if (keep > 0) {
		memmove(p->buf, p->buf + keep, p->len - keep);
		p->len -= keep;
		p->base += keep;
		p->key = p->key > keep ? p->key - keep : 0;
		if (p->state == SCAN_STREAM)
			p->piece -= (uint64_t)keep * 8;
		else
			p->hdr = 0;
	}
	room = p->cap - p->len;
	if (room == 0) {
		scan_fail(p, "bzip2: corrupt data: block too long at offset "
		          "%llu", (unsigned long long)p->base);
		return -1;
	}
	if (room > BZ_READ_CHUNK)
		room = BZ_READ_CHUNK;
	r = io_read_raw(s, p->buf + p->len, room);
	if (r < 0) {
		/* Keep the I/O error for after the pieces already queued. */
		snprintf(p->scan_err, sizeof(p->scan_err), "%s", s->err);
		s->err[0] = '\0';
		p->state = SCAN_FAILED;
		return -1;
	}
	if (r == 0)
		p->eof = 1;
	p->len += (size_t)r;
	memset(p->buf + p->len, 0, BZ_SLACK);
	return r;
}

/* Queue the piece [A, B) (bit indexes into buf) for decoding. */
static int
scan_emit(struct bz_par *p, uint64_t a, uint64_t b, int stream_end,
          uint32_t stream_crc, int cut)
{
	struct bz_job *j = job_get(p);

	if (j == NULL)
		goto oom;
	j->level = p->level;
	j->nbits = b - a;
	if (job_reserve(j, j->nbits) < 0) {
		job_put(p, j);
		goto oom;
	}
	copy_bits(j->in, 32, p->buf, a, j->nbits);
	j->crc = (uint32_t)get_bits(p->buf, a + 48, 32);
	job_seal(j);
	j->raw_start = p->base + a / 8;
	/* A stream's last piece also owns the end-of-stream marker. */
	j->raw_end = p->base + (b + (stream_end ? 80 : 0) + 7) / 8;
	j->stream_end = stream_end;
	j->stream_crc = stream_crc;
	j->cut = cut;
	p->scan_crc = rotl1(p->scan_crc) ^ j->crc;
	bz_push(p, j);
	return 0;
oom:
	scan_fail(p, "bzip2: out of memory at offset %llu",
	          (unsigned long long)(p->base + a / 8));
	return -1;
}

static int
is_header(const uint8_t *q)
{
	return q[0] == 'B' && q[1] == 'Z' && q[2] == 'h' && q[3] >= '1' &&
	       q[3] <= '9';
}

/*
 * Expect a stream header at p->hdr: open its first piece, skip an empty
 * stream or zero padding, or finish.  Returns 1 to go on scanning, 0 when
 * done or failed.
 */
static int
scan_header(vg_stream *s, struct bz_par *p)
{
	for (;;) {
		size_t avail = p->len - p->hdr;
		const uint8_t *q = p->buf + p->hdr;
		uint64_t m;

		if (avail < 14 && !p->eof) {
			if (scan_more(s, p) < 0)
				return 0;
			continue;
		}
		if (avail == 0) {
			p->state = SCAN_DONE;
			return 0;
		}
		if (q[0] == 0) {
			/* Zero padding after a stream: skipped, as bzip2
			 * -d does (it warns; we have no one to warn). */
			while (p->hdr < p->len && p->buf[p->hdr] == 0)
				p->hdr++;
			continue;
		}
		if (avail < 4 || !is_header(q)) {
			size_t k = avail < 3 ? avail : 3;

			if (avail < 4 && memcmp(q, "BZh", k) == 0)
				goto cut;
			scan_fail(p, "bzip2: trailing garbage after end of "
			          "compressed data at offset %llu",
			          (unsigned long long)(p->base + p->hdr));
			return 0;
		}
		if (avail < 10)
			goto cut;
		p->level = (char)q[3];
		m = get_bits(q, 32, 48);
		if (m == BZ_BLOCK_MAGIC) {
			p->piece = (uint64_t)(p->hdr + 4) * 8;
			p->key = p->hdr + 4 + 1;
			p->scan_crc = 0;
			p->state = SCAN_STREAM;
			return 1;
		}
		if (m == BZ_EOS_MAGIC) {
			if (avail < 14)
				goto cut;
			p->hdr += 14;    /* empty stream: nothing to decode */
			continue;
		}
		scan_fail(p, "bzip2: corrupt data: bad block header at "
		          "offset %llu",
		          (unsigned long long)(p->base + p->hdr + 4));
		return 0;
	}
cut:
	p->state = SCAN_CUT;
	return 0;
}

/*
 * Whether the end-of-stream candidate at bit E is real: its combined CRC
 * matches the blocks seen, or the input ends or a new stream starts right
 * after it.  Returns 1 yes, 0 no, -1 when more input is needed to decide.
 */
static int
eos_valid(struct bz_par *p, uint64_t e)
{
	uint64_t end = e + 80;
	size_t next = (size_t)((end + 7) / 8);
	uint32_t stored, want;

	if (end > (uint64_t)p->len * 8)
		return p->eof ? 0 : -1;
	stored = (uint32_t)get_bits(p->buf, e + 48, 32);
	want = rotl1(p->scan_crc) ^ (uint32_t)get_bits(p->buf, p->piece + 48, 32);
	if (stored == want)
		return 1;
	/* Zero padding may sit between streams (scan_header skips it). */
	while (next < p->len && p->buf[next] == 0)
		next++;
	if (next == p->len && p->eof)
		return 1;
	if (p->len - next < 10)
		return p->eof ? 0 : -1;
	return is_header(p->buf + next) &&
	       get_bits(p->buf + next, 32, 48) == BZ_BLOCK_MAGIC;
}

/*
 * Find where the open piece ends and queue it.  Returns 1 after queueing a
 * piece, 0 when done or failed.
 */
static int
scan_stream(vg_stream *s, struct bz_par *p)
{
	for (;;) {
		size_t lim = p->eof ? p->len : (p->len > 6 ? p->len - 6 : 0);
		/* A real next magic is at least magic + CRC away, but a
		 * false one just before a real one must not hide it: search
		 * from the next bit, and let bz_repair() merge tiny pieces. */
		uint64_t from = p->piece + 1;
		size_t k = p->key;

		for (; k < lim; k++) {
			unsigned m = p->tab[p->buf[k] << 8 | p->buf[k + 1]];

			if (m == 0 || k == 0)
				continue;
			for (int sh = 0; sh < 8; sh++) {
				uint64_t at = (uint64_t)(k - 1) * 8 + (unsigned)sh;
				uint64_t w;
				int v;

				if (!(m & (0x101u << sh)) || at < from ||
				    at + 48 > (uint64_t)p->len * 8)
					continue;
				w = get_bits(p->buf, at, 48);
				if (w == BZ_BLOCK_MAGIC) {
					p->key = k + 1;
					if (scan_emit(p, p->piece, at, 0, 0,
					              0) < 0)
						return 0;
					p->piece = at;
					p->key = (size_t)((at + 1) / 8) + 1;
					return 1;
				}
				if (w != BZ_EOS_MAGIC)
					continue;
				v = eos_valid(p, at);
				if (v < 0) {
					/* Decide once more input is in. */
					p->key = k;
					goto more;
				}
				if (v == 0)
					continue;
				if (scan_emit(p, p->piece, at, 1,
				              (uint32_t)get_bits(p->buf, at + 48,
				                                 32),
				              0) < 0)
					return 0;
				p->hdr = (size_t)((at + 80 + 7) / 8);
				p->state = SCAN_HEADER;
				return 1;
			}
		}
		p->key = k;
		if (p->eof) {
			/* No end-of-stream marker: decode what there is;
			 * the error follows the pieces. */
			if (scan_emit(p, p->piece, (uint64_t)p->len * 8, 0, 0,
			              1) < 0)
				return 0;
			p->state = SCAN_CUT;
			return 1;
		}
	more:
		if (scan_more(s, p) < 0)
			return 0;
	}
}

/* Queue pieces until enough are in flight or the input is used up. */
static void
bz_fill(vg_stream *s, struct bz_par *p)
{
	while (p->njobs < p->max_jobs) {
		if (p->state == SCAN_HEADER) {
			if (!scan_header(s, p))
				continue;
		} else if (p->state == SCAN_STREAM) {
			scan_stream(s, p);
		} else {
			return;
		}
	}
}

/*
 * HEAD failed to decode: most likely it ends at a false magic inside its
 * block.  Merge it with the pieces after it, one at a time, until it
 * decodes or cannot be the start of a real block.  Returns 0 with HEAD
 * decoded, -1 with the error recorded.
 */
static int
bz_repair(vg_stream *s, struct bz_par *p, struct bz_job *head)
{
	struct bz_job *next, *m;

	for (;;) {
		if (head->cut)
			break;
		if (head->stream_end || head->nbits > (uint64_t)BZ_PIECE_MAX * 8)
			goto corrupt;
		if (p->njobs == 0)
			bz_fill(s, p);
		next = bz_pop(p);
		if (next == NULL)
			goto scanner;
		m = job_get(p);
		if (m == NULL) {
			job_put(p, next);
			return io_fail(s, "bzip2: out of memory");
		}
		m->level = head->level;
		m->nbits = head->nbits + next->nbits;
		if (job_reserve(m, m->nbits) < 0) {
			job_put(p, m);
			job_put(p, next);
			return io_fail(s, "bzip2: out of memory");
		}
		copy_bits(m->in, 32, head->in, 32, head->nbits);
		copy_bits(m->in, 32 + head->nbits, next->in, 32, next->nbits);
		m->crc = head->crc;
		job_seal(m);
		m->raw_start = head->raw_start;
		m->raw_end = next->raw_end;
		m->stream_end = next->stream_end;
		m->stream_crc = next->stream_crc;
		m->cut = next->cut;
		/* The false piece's "CRC" went into the scanner's sum. */
		job_put(p, next);
		/* Swap buffers so HEAD, owned by the caller, holds the merge. */
		struct bz_job tmp = *head;
		*head = *m;
		*m = tmp;
		head->next = NULL;
		job_put(p, m);
		bz_decode(head, &p->cache);
		if (head->ok)
			return 0;
	}
	return io_fail(s, "bzip2: unexpected end of data (truncated file?)");
corrupt:
	return io_fail(s, "bzip2: corrupt data in block at offset %llu "
	               "(CRC or format error)",
	               (unsigned long long)head->raw_start);
scanner:
	if (p->state == SCAN_CUT)
		return io_fail(s, "bzip2: unexpected end of data "
		               "(truncated file?)");
	if (p->scan_err[0] != '\0')
		return io_fail(s, "%s", p->scan_err);
	goto corrupt;
}

static ssize_t
par_read(vg_stream *s, uint8_t *buf, size_t n)
{
	struct bz_par *p = s->state;
	struct bz_job *j;
	size_t k;

	for (;;) {
		j = p->cur;
		if (j != NULL && p->cur_pos < j->out_len) {
			k = j->out_len - p->cur_pos;
			if (k > n)
				k = n;
			memcpy(buf, j->out + p->cur_pos, k);
			p->cur_pos += k;
			return (ssize_t)k;
		}
		if (j != NULL) {
			job_put(p, j);
			p->cur = NULL;
		}
		bz_fill(s, p);
		j = bz_pop(p);
		if (j == NULL) {
			if (p->state == SCAN_CUT)
				return io_fail(s, "bzip2: unexpected end of "
				               "data (truncated file?)");
			if (p->state == SCAN_FAILED)
				return io_fail(s, "%s", p->scan_err);
			p->raw_done = p->base + p->len;
			return 0;
		}
		p->cur = j;
		p->cur_pos = 0;
		if (!j->ok && bz_repair(s, p, j) < 0) {
			j->out_len = 0;  /* unverified: never hand it out */
			return -1;
		}
		p->out_crc = rotl1(p->out_crc) ^ j->crc;
		if (j->stream_end) {
			if (p->out_crc != j->stream_crc)
				return io_fail(s, "bzip2: corrupt data: stream "
				               "CRC mismatch at offset %llu",
				               (unsigned long long)j->raw_end);
			p->out_crc = 0;
		}
		p->raw_done = j->raw_end;
	}
}

static uint64_t
par_offset(const vg_stream *s)
{
	const struct bz_par *p = s->state;

	return p->raw_done;
}

static void
par_close(vg_stream *s)
{
	struct bz_par *p = s->state;
	struct bz_job *j, *nx;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nworkers; i++)
		pthread_join(p->tids[i], NULL);
	for (j = p->head; j != NULL; j = nx) {
		nx = j->next;
		job_free(j);
	}
	for (j = p->spare; j != NULL; j = nx) {
		nx = j->next;
		job_free(j);
	}
	if (p->cur != NULL)
		job_free(p->cur);
	cache_destroy(&p->cache);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
	free(p->tids);
	free(p->buf);
	free(p);
	s->state = NULL;
}

static const struct io_codec bz_par_codec = {
	.read = par_read,
	.close = par_close,
	.raw_offset = par_offset,
};

static int
par_init(vg_stream *s)
{
	struct bz_par *p = calloc(1, sizeof(*p));
	int want;

	if (p == NULL)
		return io_fail(s, "bzip2: out of memory");
	/* Set up the locks before anything can fail: close needs them. */
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	s->state = p;
	s->codec = &bz_par_codec;
	bz_table_init(p);
	p->cap = BZ_PIECE_MAX + BZ_READ_CHUNK;
	p->buf = malloc(p->cap + BZ_SLACK);
	if (p->buf == NULL)
		return io_fail(s, "bzip2: out of memory");
	memset(p->buf, 0, BZ_SLACK);
	p->state = SCAN_HEADER;
	p->raw_done = 0;
	/* Enough pieces in flight to keep every decoder busy while the
	 * reader hands one out, and few enough to bound memory (each piece
	 * holds up to ~1 MB in and ~1 MB out). */
	want = s->opts.threads > 64 ? 64 : s->opts.threads;
	p->max_jobs = want + 2;
	p->tids = calloc((size_t)want, sizeof(*p->tids));
	if (p->tids == NULL)
		return io_fail(s, "bzip2: out of memory");
	/* The reading thread decodes too, so start one worker fewer.  If
	 * threads cannot be made, the reading thread does all the work. */
	for (int i = 0; i < want - 1; i++) {
		if (pthread_create(&p->tids[i], NULL, bz_worker, p) != 0)
			break;
		p->nworkers++;
	}
	return 0;
}

int
io_bzip2_init(vg_stream *s)
{
	struct bz_seq *q;

	if (s->opts.threads > 1)
		return par_init(s);
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return io_fail(s, "bzip2: out of memory");
	s->state = q;
	s->codec = &bz_seq_codec;
	return 0;
}
