/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the parallel MRT decoder (src/wire/mrt_par.c): a
 * differential test.  The input is an MRT stream; it is decoded by the
 * one-thread reader and by mrt_par_run with 2 threads and a tiny chunk size
 * taken from the input's first byte (so chunk boundaries fall everywhere),
 * once from memory (plain inputs, read in place) and once through a stream
 * (the splitter's copy path).  Text output (bgpdump -m), every problem
 * (record, offset, kind, action, message) and every counter must be equal;
 * ASan/UBSan watch the threads' memory.  Seeded from the mrt harness's
 * corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/fmt.h"
#include "vigil/mrt.h"
#include "vigil/mrt_par.h"
#include "vigil/obuf.h"
#include "vigil/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INVARIANT(cond)                                                     \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "mrt_par_fuzz: invariant %s failed " \
			                "at %s:%d\n", #cond, __FILE__, __LINE__); \
			abort();                                            \
		}                                                           \
	} while (0)

struct run {
	struct vg_obuf text, problems;
	struct fmt_bgpdump fb[2];
	struct mrt_stats st;
	int rc;
};

static void
run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	INVARIANT(vg_obuf_init(&r->text, -1, 4096) == 0);
	INVARIANT(vg_obuf_init(&r->problems, -1, 4096) == 0);
	fmt_bgpdump_init(&r->fb[0]);
	fmt_bgpdump_init(&r->fb[1]);
}

static void
run_destroy(struct run *r)
{
	vg_obuf_destroy(&r->text);
	vg_obuf_destroy(&r->problems);
	fmt_bgpdump_destroy(&r->fb[0]);
	fmt_bgpdump_destroy(&r->fb[1]);
}

static void
on_problem(void *ctx, const struct mrt_problem *p)
{
	struct run *r = ctx;
	vg_obuf_printf(&r->problems, "%s %llu %llu %u %u %u %u %u %s\n", p->file,
	               (unsigned long long)p->record,
	               (unsigned long long)p->offset, p->type, p->subtype,
	               p->err, p->action, p->attr_type, p->msg);
}

static void
on_elem(void *ctx, unsigned worker, struct vg_obuf *o, const struct vg_elem *e)
{
	struct run *r = ctx;
	INVARIANT(worker < 2);
	fmt_bgpdump_elem(&r->fb[worker], o, e);
}

static int
on_out(void *ctx, const char *p, size_t n)
{
	struct run *r = ctx;
	vg_obuf_put(&r->text, p, n);
	return 0;
}

static void
same(const struct run *a, const struct run *b)
{
	INVARIANT(a->rc == b->rc);
	INVARIANT(a->text.len == b->text.len);
	INVARIANT(memcmp(a->text.buf, b->text.buf, a->text.len) == 0);
	INVARIANT(a->problems.len == b->problems.len);
	INVARIANT(memcmp(a->problems.buf, b->problems.buf, a->problems.len) == 0);
	INVARIANT(memcmp(&a->st, &b->st, sizeof(a->st)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b;
	const struct vg_elem *e;
	char err[256];
	vg_stream *s;
	struct mrt_par_opts o = {.threads = 2,
	                         .chunk_bytes = size ? 1 + data[0] % 128u : 1};
	int plain;

	s = vg_stream_open_mem(data, size, NULL, err, sizeof(err));
	if (s == NULL)
		return 0;
	plain = vg_stream_compression(s) == VG_COMP_NONE;
	run_init(&a);
	struct mrt_reader *rd = mrt_reader_new(s, "fuzz", on_problem, &a);
	INVARIANT(rd != NULL);
	while ((a.rc = mrt_reader_next_elem(rd, &e)) > 0)
		fmt_bgpdump_elem(&a.fb[0], &a.text, e);
	a.st = *mrt_reader_stats(rd);
	mrt_reader_free(rd);
	vg_stream_close(s);

	/* through a stream */
	run_init(&b);
	struct mrt_par_cb cb = {on_elem, on_out, on_problem, &b};
	s = vg_stream_open_mem(data, size, NULL, err, sizeof(err));
	INVARIANT(s != NULL);
	b.rc = mrt_par_run(s, NULL, 0, 0, "fuzz", &o, &cb, &b.st);
	vg_stream_close(s);
	same(&a, &b);
	run_destroy(&b);

	/* in place */
	if (plain) {
		run_init(&b);
		cb.ctx = &b;
		b.rc = mrt_par_run(NULL, data, size, 0, "fuzz", &o, &cb, &b.st);
		same(&a, &b);
		run_destroy(&b);
	}
	run_destroy(&a);
	return 0;
}
