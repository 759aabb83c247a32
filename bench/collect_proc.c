/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The collector's processing thread alone, without sockets: the BGP4MP
 * records of MRT files are put into a collector queue the way the event
 * loop puts them (BGP4MP_ET records, published every CHUNK bytes as the
 * loop publishes after each socket read), then the processing thread of
 * `vigil collect` (src/collect/proc.c: archive, decode, routing state,
 * observatory) is started on the full queue and timed until it has taken
 * everything.  The main thread only waits meanwhile, so the process's CPU
 * time over that span is the processing thread's.  For profiles
 * (valgrind --tool=callgrind, perf) and per-UPDATE costs.
 *
 * Usage: collect_proc [-a ARCHIVE_DIR] [-g GEO_FILE] [-c CHUNK_BYTES]
 *                     [-r REPEAT] FILE...
 * Prints: records, elements, routes held, seconds of CPU, routes/s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "collect/collect_impl.h"
#include "vigil/cursor.h"
#include "vigil/mrt.h"
#include "vigil/stream.h"

static struct cpeer **slots;
static unsigned nslots;

static struct cpeer *
peer_for(const struct collect_cfg *c, const struct vg_addr *a, uint32_t asn)
{
	for (unsigned i = 0; i < nslots; i++)
		if (slots[i]->cfg.asn == asn &&
		    slots[i]->cfg.addr.afi == a->afi &&
		    memcmp(slots[i]->cfg.addr.addr, a->addr, 16) == 0)
			return slots[i];
	struct cpeer *p = calloc(1, sizeof(*p));
	struct cpeer **ns = realloc(slots, (nslots + 1) * sizeof(*ns));
	if (p == NULL || ns == NULL) {
		fprintf(stderr, "collect_proc: out of memory\n");
		exit(1);
	}
	slots = ns;
	p->cfg.addr = *a;
	p->cfg.asn = asn;
	snprintf(p->coll, sizeof(p->coll), "%s", c->collector);
	p->rib_id = -1;
	p->slot = nslots;
	slots[nslots++] = p;
	return p;
}

static double
cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int
main(int argc, char **argv)
{
	struct collect_cfg cfg;
	struct cqueue q;
	char err[512];
	size_t chunk = 64u << 10;
	int opt, repeat = 1;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.collector, sizeof(cfg.collector), "bench");
	cfg.local_as = 65000;
	cfg.updates_interval = 300;
	obs_opts_default(&cfg.obs);
	while ((opt = getopt(argc, argv, "a:g:c:r:")) != -1) {
		switch (opt) {
		case 'a':
			snprintf(cfg.archive, sizeof(cfg.archive), "%s", optarg);
			break;
		case 'g':
			if (cfg.ngeo < COLLECT_MAX_GEO)
				cfg.geo[cfg.ngeo++] = optarg;
			break;
		case 'c':
			chunk = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			repeat = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: collect_proc [-a DIR] [-g GEO] "
			                "[-c CHUNK] [-r REPEAT] FILE...\n");
			return 2;
		}
	}
	if (optind >= argc || cq_init(&q, SIZE_MAX) < 0)
		return 2;
	uint64_t nrec = 0;
	for (int rep = 0; rep < repeat; rep++)
		for (int i = optind; i < argc; i++) {
			vg_stream *s = vg_stream_open(argv[i], NULL, err, sizeof(err));
			if (s == NULL) {
				fprintf(stderr, "collect_proc: %s\n", err);
				return 1;
			}
			struct mrt_reader *r = mrt_reader_new(s, argv[i], NULL, NULL);
			const struct mrt_record *rec;
			while (mrt_reader_next_record(r, &rec) > 0) {
				if (rec->type != MRT_BGP4MP && rec->type != MRT_BGP4MP_ET)
					continue;
				/* peer AS, local AS, ifindex, AFI, addresses */
				const uint8_t *b = rec->body;
				int as4 = rec->subtype != MRT_BGP4MP_MESSAGE &&
				          rec->subtype != MRT_BGP4MP_STATE_CHANGE &&
				          rec->subtype != MRT_BGP4MP_MESSAGE_LOCAL &&
				          rec->subtype != MRT_BGP4MP_MESSAGE_ADDPATH &&
				          rec->subtype != MRT_BGP4MP_MESSAGE_LOCAL_ADDPATH;
				size_t al = as4 ? 8 : 4;
				if (rec->len < al + 4)
					continue;
				struct vg_addr a;
				memset(&a, 0, sizeof(a));
				unsigned afi = vg_load_be16(b + al + 2);
				a.afi = afi == 2 ? VG_AFI_IP6 : VG_AFI_IP4;
				size_t alen = afi == 2 ? 16 : 4;
				if (rec->len < al + 4 + 2 * alen)
					continue;
				memcpy(a.addr, b + al + 4, alen);
				uint32_t asn = as4 ? vg_load_be32(b) : vg_load_be16(b);
				struct cpeer *p = peer_for(&cfg, &a, asn);
				uint8_t *w = cq_reserve(&q, 16 + rec->len, p->coll);
				if (w == NULL)
					return 1;
				vg_store_be32(w, rec->time_sec);
				vg_store_be16(w + 4, MRT_BGP4MP_ET);
				vg_store_be16(w + 6, rec->subtype);
				vg_store_be32(w + 8, rec->len + 4);
				vg_store_be32(w + 12, rec->time_usec);
				memcpy(w + 16, rec->body, rec->len);
				cq_commit(&q, 16 + rec->len);
				if (q.cur->len >= chunk)
					cq_publish(&q);
				nrec++;
			}
			mrt_reader_free(r);
			vg_stream_close(s);
		}
	cq_publish(&q);

	struct proc *pr = proc_new(&cfg, &q, err, sizeof(err));
	if (pr == NULL) {
		fprintf(stderr, "collect_proc: %s\n", err);
		return 1;
	}
	proc_set_peers(pr, slots, nslots);
	cq_close(&q);
	struct timespec t0, t1;
	double c0 = cpu_now();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (proc_start(pr) < 0)
		return 1;
	struct proc_stats st;
	/* proc_join_free waits for the thread; the queue is closed, so it
	 * ends once everything is taken */
	uint64_t routes = 0;
	int rc = proc_join_free(pr, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double cpu = cpu_now() - c0;
	double wall = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	uint64_t ann = 0;
	for (unsigned i = 0; i < nslots; i++) {
		routes += atomic_load(&slots[i]->routes_v4) +
		          atomic_load(&slots[i]->routes_v6);
		ann += atomic_load(&slots[i]->announce);
	}
	printf("records %llu elements %llu announcements %llu routes %llu "
	       "cpu %.3f s wall %.3f s = %.0f elements/s on one core\n",
	       (unsigned long long)nrec, (unsigned long long)st.elements,
	       (unsigned long long)ann, (unsigned long long)routes, cpu, wall,
	       st.elements / (cpu > 0 ? cpu : 1e-9));
	for (unsigned i = 0; i < nslots; i++)
		free(slots[i]);
	free(slots);
	cq_destroy(&q);
	return rc < 0 ? 1 : 0;
}
