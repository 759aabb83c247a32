/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil dump`: MRT archives to text, a faster drop-in for `bgpdump -m`,
 * with JSON lines output and element filters.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dump_bmp.h"
#include "vigil/filter.h"
#include "vigil/fmt.h"
#include "vigil/mrt.h"
#include "vigil/mrt_par.h"

static const char dump_usage[] =
    "usage: vigil dump [OPTIONS] FILE...\n"
    "\n"
    "Decode MRT archives (RFC 6396, RFC 8050: TABLE_DUMP, TABLE_DUMP_V2,\n"
    "BGP4MP, BGP4MP_ET, the deprecated BGP and BGP4MP_ENTRY records) and\n"
    "print one line per routing element.  Files are read in the order given;\n"
    "plain, gzip, bzip2, zstd and xz are detected from their first bytes;\n"
    "'-' is standard input.\n"
    "\n"
    "Output:\n"
    "  -m, --bgpdump      bgpdump -m lines (the default):\n"
    "                       TYPE|time|B/A|peer|peer-AS|prefix|AS path|origin|\n"
    "                       next hop|local pref|MED|communities|AG/NAG|aggregator|\n"
    "                       TYPE|time|W|peer|peer-AS|prefix\n"
    "                       TYPE|time|STATE|peer|peer-AS|old|new\n"
    "  -j, --json         JSON lines, one object per element (README.md has\n"
    "                     the schema)\n"
    "  -l                 (-m) add the large communities field after\n"
    "                     communities, like bgpdump -l\n"
    "  -t dump|change     (-m) RIB lines show the dump time (default) or the\n"
    "                     time the route was learned, like bgpdump -t\n"
    "  -O, --output FILE  write to FILE instead of standard output\n"
    "  -n, --parse-only   decode every element and attribute, print nothing\n"
    "                     (for benchmarks; the summary still counts)\n"
    "\n"
    "Filters (different kinds AND together, repeats of one kind OR):\n"
    "  --peer ADDR              elements from this collector peer\n"
    "  --peer-asn ASN           elements from peers with this AS number\n"
    "  --prefix P               exactly this prefix\n"
    "  --more-specific P        P and every prefix inside it\n"
    "  --less-specific P        P and every prefix covering it\n"
    "  --origin ASN             routes whose AS path ends in ASN\n"
    "  --type LIST              rib,announce,withdraw,state\n"
    "  --since T, --until T     time range, inclusive; Unix seconds or\n"
    "                           YYYY-MM-DD[THH:MM[:SS]][Z] (UTC)\n"
    "\n"
    "Diagnostics:\n"
    "  Every problem in the input is reported on stderr, one line each:\n"
    "    vigil: FILE: record N at byte OFFSET (TYPE/SUBTYPE): what was wrong;\n"
    "    what was done\n"
    "  Malformed BGP attributes are handled as RFC 7606 says (attribute\n"
    "  discarded, or the announced routes treated as withdrawn); truncated\n"
    "  records, lying lengths and garbage are skipped and reading goes on.\n"
    "  -q, --quiet             do not print problem lines (still counted)\n"
    "  --max-problems N        print at most N problem lines (default 1000)\n"
    "  -s, --summary           print counts per file on stderr at the end\n"
    "  -v                      accepted for bgpdump compatibility\n"
    "\n"
    "Input:\n"
    "  --bmp              the files are BMP streams (RFC 7854: raw bytes as a\n"
    "                     router sends them); without it a file whose first\n"
    "                     bytes are a BMP v3 header is read as BMP, anything\n"
    "                     else as MRT ('-' is always MRT unless --bmp).  BMP\n"
    "                     route monitoring prints like MRT updates, lines\n"
    "                     typed BMP with the monitored peer as peer; Peer\n"
    "                     Up/Down print as STATE lines (Idle->Established and\n"
    "                     back).  With --json, elements carry a \"bmp\" object\n"
    "                     (router, peer type and flags, RDs, labels, Peer\n"
    "                     Up/Down details) and Initiation, Termination,\n"
    "                     Statistics, Route Mirroring and End-of-RIB messages\n"
    "                     print as objects of type \"bmp\" / \"end_of_rib\"\n"
    "                     (not when filters are given).  README.md, \"BMP\".\n"
    "  --threads N        use N threads (1..64).  Plain, gzip, zstd and xz\n"
    "                     input: records are decoded (and, with -m or -j,\n"
    "                     formatted) on N cores, output and diagnostics in\n"
    "                     input order, identical to one thread.  bzip2\n"
    "                     input: N threads decompress, one decodes.\n"
    "                     Default: every online core for inputs of 32 MB or\n"
    "                     more (8 MB compressed), one thread for smaller\n"
    "                     ones and for standard input; bzip2: 2\n"
    "  --zlib             decode gzip with zlib instead of ISA-L\n"
    "\n"
    "Exit status: 0 clean; 1 some records were malformed or skipped;\n"
    "2 usage error or an input could not be opened or read.\n"
    "\n"
    "Differences from bgpdump -m (deliberate): host bits beyond the prefix\n"
    "length are cleared (11.8.0.0/13, not 11.10.0.0/13); RIB_GENERIC and\n"
    "BGP4MP_ENTRY records are printed (bgpdump skips them); the deprecated\n"
    "BGP type 5 lines have every field (bgpdump omits a separator); routes\n"
    "with malformed attributes follow RFC 7606 (a treat-as-withdraw route\n"
    "prints as W).\n";

/* A plain file mapped into memory, read in place. */
struct dump_map {
	const uint8_t *p;
	size_t len;
};

static int
map_file(const char *path, struct dump_map *m)
{
	struct stat sb;
	int fd = open(path, O_RDONLY);
	void *p;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0) {
		close(fd);
		return -1;
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	madvise(p, (size_t)sb.st_size, MADV_SEQUENTIAL);
	m->p = p;
	m->len = (size_t)sb.st_size;
	return 0;
}

/* What every element goes through, on one thread or many. */
struct dump_elem_ctx {
	const struct vg_filter *filter; /* NULL: none */
	int parse_only, change_time, json;
	struct fmt_json *fj;
	struct fmt_bgpdump *fb; /* one per worker thread */
	struct vg_obuf *out;    /* the program's output (in order) */
};

static inline void
dump_elem(const struct dump_elem_ctx *d, struct fmt_bgpdump *fb,
          struct vg_obuf *o, const struct vg_elem *e)
{
	struct vg_elem tmp;

	if (d->filter && !vg_filter_match(d->filter, e))
		return;
	if (d->parse_only)
		return;
	if (d->change_time && e->type == VG_ELEM_RIB) {
		tmp = *e;
		tmp.time_sec = e->originated;
		e = &tmp;
	}
	if (d->json)
		fmt_json_elem(d->fj, o, e);
	else
		fmt_bgpdump_elem(fb, o, e);
}

struct dump_ctx {
	int quiet;
	unsigned long max_problems;
	unsigned long shown;
	unsigned long suppressed;
};

static void
on_problem(void *vctx, const struct mrt_problem *p)
{
	struct dump_ctx *ctx = vctx;
	const char *sub;

	if (ctx->quiet)
		return;
	if (ctx->shown >= ctx->max_problems) {
		ctx->suppressed++;
		return;
	}
	ctx->shown++;
	if (p->record) {
		sub = mrt_subtype_name(p->type, p->subtype);
		fprintf(stderr, "vigil: %s: record %llu at byte %llu (%s/",
		        p->file, (unsigned long long)p->record,
		        (unsigned long long)p->offset, mrt_type_name(p->type));
		if (sub)
			fprintf(stderr, "%s", sub);
		else
			fprintf(stderr, "%u", p->subtype);
		fprintf(stderr, "): %s; %s\n", p->msg,
		        vg_action_name((enum vg_action)p->action));
	} else {
		fprintf(stderr, "vigil: %s: at byte %llu: %s; %s\n", p->file,
		        (unsigned long long)p->offset, p->msg,
		        vg_action_name((enum vg_action)p->action));
	}
}

/* The callbacks of a parallel run (vigil/mrt_par.h). */
struct dump_run {
	struct dump_elem_ctx d;
	struct dump_ctx *pc;
};

static void
par_elem(void *ctx, unsigned worker, struct vg_obuf *o,
         const struct vg_elem *e)
{
	const struct dump_run *run = ctx;
	dump_elem(&run->d, &run->d.fb[worker], o, e);
}

static void
par_problem(void *ctx, const struct mrt_problem *p)
{
	struct dump_run *run = ctx;
	on_problem(run->pc, p);
}

/* A chunk's text, in input order: straight to the output file. */
static int
par_out(void *ctx, const char *buf, size_t len)
{
	struct dump_run *run = ctx;
	struct vg_obuf *o = run->d.out;

	if (len < (16u << 10) && len < o->cap - o->len) {
		/* small pieces are gathered; large ones written as they are */
		vg_obuf_put(o, buf, len);
		return o->error ? -1 : 0;
	}
	if (vg_obuf_flush(o) < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(o->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			o->error = errno;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Threads for one input: --threads, or every core for a large input. */
static unsigned
dump_threads(int opt, enum vg_compression comp, uint64_t size)
{
	long ncpu;

	if (comp == VG_COMP_BZIP2)
		return 1; /* its threads decompress (vg_stream_opts) */
	if (opt > 0)
		return (unsigned)opt;
	if (size < (comp == VG_COMP_NONE ? 32u << 20 : 8u << 20))
		return 1;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	return ncpu > 1 ? (unsigned)(ncpu > 64 ? 64 : ncpu) : 1;
}

enum {
	OPT_PEER = 256,
	OPT_PEER_ASN,
	OPT_PREFIX,
	OPT_MORE,
	OPT_LESS,
	OPT_ORIGIN,
	OPT_TYPE,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_MAXPROB,
	OPT_THREADS,
	OPT_ZLIB,
	OPT_BMP,
};

int
cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"bgpdump", no_argument, NULL, 'm'},
	    {"json", no_argument, NULL, 'j'},
	    {"output", required_argument, NULL, 'O'},
	    {"parse-only", no_argument, NULL, 'n'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"summary", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {"peer", required_argument, NULL, OPT_PEER},
	    {"peer-asn", required_argument, NULL, OPT_PEER_ASN},
	    {"prefix", required_argument, NULL, OPT_PREFIX},
	    {"more-specific", required_argument, NULL, OPT_MORE},
	    {"less-specific", required_argument, NULL, OPT_LESS},
	    {"origin", required_argument, NULL, OPT_ORIGIN},
	    {"type", required_argument, NULL, OPT_TYPE},
	    {"since", required_argument, NULL, OPT_SINCE},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"max-problems", required_argument, NULL, OPT_MAXPROB},
	    {"threads", required_argument, NULL, OPT_THREADS},
	    {"zlib", no_argument, NULL, OPT_ZLIB},
	    {"bmp", no_argument, NULL, OPT_BMP},
	    {NULL, 0, NULL, 0},
	};
	static const char *const filter_kind[] = {
	    [OPT_PEER - OPT_PEER] = "peer",
	    [OPT_PEER_ASN - OPT_PEER] = "peer-asn",
	    [OPT_PREFIX - OPT_PEER] = "prefix",
	    [OPT_MORE - OPT_PEER] = "more-specific",
	    [OPT_LESS - OPT_PEER] = "less-specific",
	    [OPT_ORIGIN - OPT_PEER] = "origin",
	    [OPT_TYPE - OPT_PEER] = "type",
	    [OPT_SINCE - OPT_PEER] = "since",
	    [OPT_UNTIL - OPT_PEER] = "until",
	};
	struct dump_ctx ctx = {.max_problems = 1000};
	struct vg_stream_opts sopts = {0};
	struct vg_filter *filter = vg_filter_new();
	struct fmt_bgpdump fb;
	struct fmt_json fj = {0};
	struct vg_obuf out;
	int json = 0, parse_only = 0, summary = 0, change_time = 0, bmp = 0;
	int status = EXIT_CLEAN, c, outfd = STDOUT_FILENO;
	const char *outfile = NULL;
	char err[256];

	if (filter == NULL) {
		fprintf(stderr, "vigil: out of memory\n");
		return EXIT_USAGE;
	}
	fmt_bgpdump_init(&fb);
	optind = 1;
	while ((c = getopt_long(argc, argv, "mjlt:O:nqsvhH", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			json = 0;
			break;
		case 'j':
			json = 1;
			break;
		case 'l':
			fb.show_large = 1;
			break;
		case 't':
			if (strcmp(optarg, "dump") == 0)
				change_time = 0;
			else if (strcmp(optarg, "change") == 0)
				change_time = 1;
			else {
				fprintf(stderr, "vigil dump: -t takes 'dump' or "
				                "'change'\n");
				goto usage;
			}
			break;
		case 'O':
			outfile = optarg;
			break;
		case 'n':
			parse_only = 1;
			break;
		case 'q':
			ctx.quiet = 1;
			break;
		case 's':
			summary = 1;
			break;
		case 'v':
			break;
		case 'h':
			fputs(dump_usage, stdout);
			vg_filter_free(filter);
			fmt_bgpdump_destroy(&fb);
			return EXIT_CLEAN;
		case OPT_MAXPROB:
			ctx.max_problems = strtoul(optarg, NULL, 10);
			break;
		case OPT_THREADS:
			sopts.threads = atoi(optarg);
			if (sopts.threads < 1 || sopts.threads > 64) {
				fprintf(stderr, "vigil dump: --threads takes 1..64\n");
				goto usage;
			}
			break;
		case OPT_ZLIB:
			sopts.force_zlib = 1;
			break;
		case OPT_BMP:
			bmp = 1;
			break;
		case OPT_PEER:
		case OPT_PEER_ASN:
		case OPT_PREFIX:
		case OPT_MORE:
		case OPT_LESS:
		case OPT_ORIGIN:
		case OPT_TYPE:
		case OPT_SINCE:
		case OPT_UNTIL:
			if (vg_filter_add(filter, filter_kind[c - OPT_PEER], optarg,
			                  err, sizeof(err)) < 0) {
				fprintf(stderr, "vigil dump: %s\n", err);
				goto usage;
			}
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vigil dump: no input files (use '-' for "
		                "standard input)\n");
		goto usage;
	}
	if (outfile) {
		outfd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (outfd < 0) {
			fprintf(stderr, "vigil dump: cannot write %s: %m\n",
			        outfile);
			vg_filter_free(filter);
			fmt_bgpdump_destroy(&fb);
			return EXIT_USAGE;
		}
	}
	if (vg_obuf_init(&out, parse_only ? -1 : outfd, 1 << 20) < 0) {
		fprintf(stderr, "vigil: out of memory\n");
		return EXIT_USAGE;
	}
	int filtering = !vg_filter_empty(filter);
	struct dump_elem_ctx delem = {
	    .filter = filtering ? filter : NULL, .parse_only = parse_only,
	    .change_time = change_time, .json = json, .fj = &fj, .out = &out};
	struct fmt_bgpdump *fbs = NULL;
	unsigned nfb = 0;

	for (int i = optind; i < argc; i++) {
		const char *path = argv[i];
		vg_stream *s = vg_stream_open(path, &sopts, err, sizeof(err));
		struct mrt_reader *r;
		const struct vg_elem *e;
		const struct mrt_stats *st;
		int rc;

		if (s == NULL) {
			fprintf(stderr, "vigil: %s\n", err);
			status = EXIT_USAGE;
			continue;
		}
		if (bmp || strcmp(path, "-") != 0) {
			/* BMP by option or by its first bytes; an MRT file is
			 * opened again for the MRT reader */
			static uint8_t head[1 << 12];
			ssize_t nh = 0;
			if (!bmp) {
				ssize_t k;
				while (nh < (ssize_t)sizeof(head) &&
				       (k = vg_stream_read(s, head + nh,
				                           sizeof(head) - (size_t)nh)) > 0)
					nh += k;
			}
			if (bmp || dump_bmp_looks_like(head, (size_t)nh)) {
				struct dump_bmp_ctx bc = {
				    .json = json, .parse_only = parse_only,
				    .summary = summary, .quiet = ctx.quiet,
				    .max_problems = ctx.max_problems,
				    .shown = ctx.shown,
				    .filter = filtering ? filter : NULL,
				    .fb = &fb, .fj = &fj, .out = &out};
				rc = dump_bmp_stream(&bc, s, path, head,
				                     nh > 0 ? (size_t)nh : 0);
				ctx.shown = bc.shown;
				ctx.suppressed += bc.suppressed;
				if (rc > status)
					status = rc;
				vg_stream_close(s);
				if (out.error)
					break;
				continue;
			}
			vg_stream_close(s);
			s = vg_stream_open(path, &sopts, err, sizeof(err));
			if (s == NULL) {
				fprintf(stderr, "vigil: %s\n", err);
				status = EXIT_USAGE;
				continue;
			}
		}
		/* A plain file is mapped and read in place. */
		struct dump_map map = {0};
		enum vg_compression comp = vg_stream_compression(s);
		uint64_t size = vg_stream_raw_size(s);
		struct mrt_stats pst;
		if (comp == VG_COMP_NONE && strcmp(path, "-") != 0 &&
		    map_file(path, &map) == 0) {
			vg_stream_close(s);
			s = NULL;
			size = map.len;
		}
		unsigned nthr = dump_threads(sopts.threads, comp, size);
		if (nthr > 1) {
			/* text is up to ~40 times the bytes it comes from
			 * (a 4096-prefix withdrawal): smaller chunks keep
			 * the buffers in flight small */
			struct mrt_par_opts po = {
			    .threads = nthr,
			    .chunk_bytes = parse_only ? 0 : 64u << 10};
			struct dump_run run = {.d = delem, .pc = &ctx};
			/* parse-only without filters: workers only count */
			struct mrt_par_cb cb = {.on_elem = parse_only && !filtering
			                                       ? NULL : par_elem,
			                        .on_out = parse_only ? NULL : par_out,
			                        .on_problem = par_problem,
			                        .ctx = &run};
			if (nthr > nfb) {
				struct fmt_bgpdump *nf =
				    realloc(fbs, nthr * sizeof(*nf));
				if (nf == NULL) {
					fprintf(stderr, "vigil: out of memory\n");
					status = EXIT_USAGE;
					break;
				}
				fbs = nf;
				for (; nfb < nthr; nfb++) {
					fmt_bgpdump_init(&fbs[nfb]);
					fbs[nfb].show_large = fb.show_large;
				}
			}
			run.d.fb = fbs;
			/* VIGIL_PAR_STATS: each thread's CPU time, for
			 * bench/run.sh (what two idle cores would take) */
			double cpu[64];
			const char *ps = getenv("VIGIL_PAR_STATS");
			if (ps && *ps)
				po.cpu_secs = cpu;
			rc = mrt_par_run(s, map.p, map.len, map.p != NULL, path,
			                 &po, &cb, &pst);
			if (po.cpu_secs) {
				fprintf(stderr, "vigil: %s: worker CPU seconds",
				        path);
				for (unsigned k = 0; k < nthr; k++)
					fprintf(stderr, " %.3f", cpu[k]);
				fprintf(stderr, "\n");
			}
			if (rc == -2 && !out.error) {
				fprintf(stderr, "vigil: %s: out of memory or "
				                "threads\n", path);
				status = EXIT_USAGE;
			}
			st = &pst;
			r = NULL;
		} else {
			r = s ? mrt_reader_new(s, path, on_problem, &ctx)
			      : mrt_reader_new_mem(map.p, map.len, 1, path,
			                           on_problem, &ctx);
			if (r == NULL) {
				fprintf(stderr, "vigil: out of memory\n");
				vg_stream_close(s);
				if (map.p)
					munmap((void *)map.p, map.len);
				status = EXIT_USAGE;
				break;
			}
			while ((rc = mrt_reader_next_elem(r, &e)) > 0)
				dump_elem(&delem, &fb, &out, e);
			st = mrt_reader_stats(r);
		}
		/* A stream that fails midway (truncated or corrupt compressed
		 * data, reported above) is bad input, like a bad record. */
		if (rc == -1 && status == EXIT_CLEAN)
			status = EXIT_PROBLEMS;
		else if ((st->problems > st->unsupported || st->records_bad) &&
		         status == EXIT_CLEAN)
			status = EXIT_PROBLEMS;
		if (summary)
			fprintf(stderr,
			        "vigil: %s: %s, %llu bytes, %llu records, %llu "
			        "elements, %llu problems (%llu records bad, %llu "
			        "unsupported, %llu bytes skipped)%s\n",
			        path, vg_compression_name(comp),
			        (unsigned long long)st->bytes,
			        (unsigned long long)st->records,
			        (unsigned long long)st->elems,
			        (unsigned long long)st->problems,
			        (unsigned long long)st->records_bad,
			        (unsigned long long)st->unsupported,
			        (unsigned long long)st->bytes_skipped,
			        st->truncated ? ", truncated" : "");
		mrt_reader_free(r);
		vg_stream_close(s);
		if (map.p)
			munmap((void *)map.p, map.len);
		if (out.error)
			break;
	}
	if (ctx.suppressed)
		fprintf(stderr, "vigil: %lu more problems not shown "
		                "(--max-problems)\n", ctx.suppressed);
	if (!parse_only && vg_obuf_flush(&out) < 0) {
		fprintf(stderr, "vigil dump: write error: %s\n",
		        strerror(out.error));
		status = EXIT_USAGE;
	}
	vg_obuf_destroy(&out);
	if (outfile)
		close(outfd);
	vg_filter_free(filter);
	fmt_bgpdump_destroy(&fb);
	for (unsigned i = 0; i < nfb; i++)
		fmt_bgpdump_destroy(&fbs[i]);
	free(fbs);
	return status;

usage:
	fputs("Try `vigil dump --help`.\n", stderr);
	vg_filter_free(filter);
	fmt_bgpdump_destroy(&fb);
	return EXIT_USAGE;
}
