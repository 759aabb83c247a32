/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `vigil bmp-listen`: the BMP listener on its own, printing what routers
 * send as `vigil dump` prints BMP files.  For looking at a router's BMP
 * feed, and for the tests that stream captures over TCP; the collector
 * (`vigil collect`, `bmp-listen` directive) uses the same listener.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cli.h"
#include "vigil/bmp.h"
#include "vigil/fmt.h"

static const char bmp_listen_usage[] =
    "usage: vigil bmp-listen [OPTIONS] ADDR PORT\n"
    "\n"
    "Accept BMP connections (RFC 7854; Loc-RIB RFC 9069) from routers on\n"
    "ADDR (IPv4 or IPv6) PORT (0: any free port) and print what they send,\n"
    "as `vigil dump` prints a BMP file: route monitoring as elements, Peer\n"
    "Up/Down as state changes, and (with --json) Initiation, Termination,\n"
    "Statistics, Route Mirroring and End-of-RIB as their own objects.  Each\n"
    "connection is one router, named by its remote address (ADDR:PORT when\n"
    "that address already has a connection open); the JSON \"bmp\" object\n"
    "carries that name as \"router\".  Many routers may be connected at once.\n"
    "\n"
    "Options:\n"
    "  -j, --json           JSON lines (README.md, \"BMP\")\n"
    "  -m, --bgpdump        bgpdump -m style lines, typed BMP (the default)\n"
    "  --unicast-only       only SAFI 1, 2 and 4 routes (what `vigil collect`\n"
    "                       feeds its routing state); default: every SAFI\n"
    "  --exit-after N       exit after N router connections have closed\n"
    "  --port-file FILE     write the bound port to FILE once listening\n"
    "  -q, --quiet          no problem lines on stderr (still counted)\n"
    "  -h, --help           this text\n"
    "\n"
    "On stderr: one line per router connecting and disconnecting (with its\n"
    "counters: bytes, messages by type, elements, problems) and one per\n"
    "problem in a stream:\n"
    "  vigil: ROUTER: BMP message N at byte OFFSET (TYPE): what; what was done\n"
    "A stream that cannot be framed (bad version, impossible length) is\n"
    "closed; a malformed message is skipped; malformed BGP attributes follow\n"
    "RFC 7606.  Output is flushed at least every 100 ms; SIGINT or SIGTERM\n"
    "stops the listener.\n"
    "\n"
    "Exit status: 0; 1 if some stream had problems; 2 usage or socket error.\n";

struct bl_ctx {
	struct event_base *base;
	struct vg_obuf out;
	struct fmt_bgpdump fb;
	struct fmt_json fj;
	int json, quiet;
	long exit_after, closed;
	int problems;
};

static void
on_problem(void *vctx, const struct bmp_problem *p)
{
	struct bl_ctx *c = vctx;
	c->problems = 1;
	if (c->quiet)
		return;
	fprintf(stderr, "vigil: %s: BMP message %llu at byte %llu (%s): %s; %s\n",
	        p->router, (unsigned long long)p->msg,
	        (unsigned long long)p->offset,
	        p->msg_type == 0xff ? "?" : bmp_msg_type_name(p->msg_type),
	        p->msg_text, vg_action_name((enum vg_action)p->action));
}

static void
on_elem(void *vctx, const char *router, const struct vg_elem *e)
{
	struct bl_ctx *c = vctx;
	if (c->json)
		fmt_json_elem(&c->fj, &c->out, e);
	else
		fmt_bgpdump_elem(&c->fb, &c->out, e);
}

static void
on_msg(void *vctx, const char *router, const struct bmp_msg *m,
       const struct bmp_session *s)
{
	struct bl_ctx *c = vctx;
	uint16_t afi;
	uint8_t safi;

	if (!c->json)
		return;
	if (bmp_session_eor(s, &afi, &safi))
		fmt_json_bmp_msg(&c->out, m, router, bmp_session_stats(s)->msgs, 1,
		                 afi, safi);
	else if (m->type != BMP_ROUTE_MONITORING && m->type != BMP_PEER_UP &&
	         m->type != BMP_PEER_DOWN)
		fmt_json_bmp_msg(&c->out, m, router, bmp_session_stats(s)->msgs, 0,
		                 0, 0);
}

static void
on_router(void *vctx, const char *router, int up,
          const struct bmp_session_stats *st)
{
	struct bl_ctx *c = vctx;
	if (up) {
		fprintf(stderr, "vigil: router %s connected\n", router);
		/* the formatter caches by attrs_gen, which restarts per session */
		c->fb.have = 0;
		return;
	}
	vg_obuf_flush(&c->out);
	fprintf(stderr,
	        "vigil: router %s disconnected: %llu bytes, %llu messages "
	        "(%llu route monitoring, %llu statistics, %llu peer down, %llu "
	        "peer up, %llu initiation, %llu termination, %llu mirroring), "
	        "%llu elements, %llu problems\n",
	        router, (unsigned long long)st->bytes,
	        (unsigned long long)st->msgs, (unsigned long long)st->by_type[0],
	        (unsigned long long)st->by_type[1],
	        (unsigned long long)st->by_type[2],
	        (unsigned long long)st->by_type[3],
	        (unsigned long long)st->by_type[4],
	        (unsigned long long)st->by_type[5],
	        (unsigned long long)st->by_type[6],
	        (unsigned long long)st->elems, (unsigned long long)st->problems);
	if (c->exit_after > 0 && ++c->closed >= c->exit_after)
		event_base_loopbreak(c->base);
}

/* Live output: what was decoded goes out within 100 ms. */
static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct bl_ctx *c = arg;
	if (c->out.len)
		vg_obuf_flush(&c->out);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

int
cmd_bmp_listen(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"bgpdump", no_argument, NULL, 'm'},
	    {"unicast-only", no_argument, NULL, 'u'},
	    {"exit-after", required_argument, NULL, 'x'},
	    {"port-file", required_argument, NULL, 'p'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct bl_ctx c;
	const char *port_file = NULL;
	int unicast_only = 0, ch, status;
	char err[256];

	memset(&c, 0, sizeof(c));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "jmqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			c.json = 1;
			break;
		case 'm':
			c.json = 0;
			break;
		case 'u':
			unicast_only = 1;
			break;
		case 'x':
			c.exit_after = strtol(optarg, NULL, 10);
			break;
		case 'p':
			port_file = optarg;
			break;
		case 'q':
			c.quiet = 1;
			break;
		case 'h':
			fputs(bmp_listen_usage, stdout);
			return EXIT_CLEAN;
		default:
			fputs("Try `vigil bmp-listen --help`.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fputs("vigil bmp-listen: ADDR and PORT expected\n"
		      "Try `vigil bmp-listen --help`.\n", stderr);
		return EXIT_USAGE;
	}
	char *end;
	long port = strtol(argv[optind + 1], &end, 10);
	if (*end || port < 0 || port > 65535) {
		fprintf(stderr, "vigil bmp-listen: bad port '%s'\n", argv[optind + 1]);
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	c.base = event_base_new();
	if (c.base == NULL || vg_obuf_init(&c.out, STDOUT_FILENO, 1 << 16) < 0) {
		fprintf(stderr, "vigil bmp-listen: out of memory\n");
		return EXIT_USAGE;
	}
	fmt_bgpdump_init(&c.fb);
	struct bmp_listener *l = bmp_listener_new(c.base, argv[optind],
	                                          (uint16_t)port, on_elem, NULL,
	                                          &c, err, sizeof(err));
	if (l == NULL) {
		fprintf(stderr, "vigil: %s\n", err);
		event_base_free(c.base);
		vg_obuf_destroy(&c.out);
		fmt_bgpdump_destroy(&c.fb);
		return EXIT_USAGE;
	}
	bmp_listener_set_router_cb(l, on_router);
	bmp_listener_set_msg_cb(l, on_msg);
	bmp_listener_set_problem_cb(l, on_problem);
	bmp_listener_all_safi(l, !unicast_only);
	struct event *sint = evsignal_new(c.base, SIGINT, on_signal, c.base);
	struct event *sterm = evsignal_new(c.base, SIGTERM, on_signal, c.base);
	struct event *flush = event_new(c.base, -1, EV_PERSIST, on_flush, &c);
	struct timeval tick = {0, 100000};
	event_add(sint, NULL);
	event_add(sterm, NULL);
	event_add(flush, &tick);
	fprintf(stderr, "vigil: listening for BMP on %s port %u\n", argv[optind],
	        bmp_listener_port(l));
	if (port_file) {
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		FILE *f = fopen(tmp, "w");
		if (f == NULL || fprintf(f, "%u\n", bmp_listener_port(l)) < 0 ||
		    fclose(f) != 0 || rename(tmp, port_file) != 0)
			fprintf(stderr, "vigil bmp-listen: cannot write %s\n",
			        port_file);
	}
	event_base_dispatch(c.base);
	bmp_listener_free(l);
	event_free(sint);
	event_free(sterm);
	event_free(flush);
	event_base_free(c.base);
	status = c.problems ? EXIT_PROBLEMS : EXIT_CLEAN;
	if (vg_obuf_flush(&c.out) < 0)
		status = EXIT_USAGE;
	vg_obuf_destroy(&c.out);
	fmt_bgpdump_destroy(&c.fb);
	return status;
}
