/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The BMP listener (RFC 7854 3.2: the router connects to the monitoring
 * station): a TCP listener on a libevent base, one struct bmp_session per
 * accepted connection, messages decoded as bytes arrive and handed to the
 * caller's callbacks.  Reading is driven by the callbacks: everything read
 * is decoded and delivered inside the read callback, the input buffer of
 * a connection is bounded by a read watermark, so a consumer that cannot
 * keep up slows the routers through TCP flow control instead of growing
 * memory or dropping data.  A stream that cannot be framed any more is
 * closed (the router reconnects and resends its state, RFC 7854 3.3).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "vigil/bmp.h"

/* Most bytes buffered per connection before reading pauses. */
#define CONN_READ_HIGH (1u << 20)

struct bmp_conn {
	struct bmp_listener *l;
	struct bufferevent *bev;
	struct bmp_session *s;
	struct bmp_conn *prev, *next;
	char name[64];
};

struct bmp_listener {
	struct event_base *base;
	struct evconnlistener *lev;
	bmp_elem_fn on_elem;
	bmp_peer_fn on_peer;
	bmp_router_fn on_router;
	bmp_msg_fn on_msg;
	bmp_problem_fn on_problem;
	bmp_batch_fn on_batch;
	void *ctx;
	int all_safi, paused;
	uint16_t port;
	struct bmp_conn *conns;
	struct bmp_listener_stats closed; /* counters of closed connections */
};

static void
on_session_problem(void *vconn, const struct bmp_problem *p)
{
	struct bmp_conn *c = vconn;
	if (c->l->on_problem)
		c->l->on_problem(c->l->ctx, p);
}

static void
add_stats(struct bmp_listener_stats *st, const struct bmp_session_stats *ss)
{
	st->bytes += ss->bytes;
	st->msgs += ss->msgs;
	st->elems += ss->elems;
	st->problems += ss->problems;
	for (int i = 0; i < 8; i++)
		st->by_type[i] += ss->by_type[i];
}

static void
conn_close(struct bmp_conn *c, int error)
{
	struct bmp_listener *l = c->l;

	bmp_session_end(c->s);
	if (error || bmp_session_failed(c->s))
		l->closed.closed_error++;
	add_stats(&l->closed, bmp_session_stats(c->s));
	if (l->on_router)
		l->on_router(l->ctx, c->name, 0, bmp_session_stats(c->s));
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	bufferevent_free(c->bev);
	bmp_session_free(c->s);
	free(c);
}

static int
deliver_elem(const struct bmp_listener *l, const struct vg_elem *e)
{
	if (l->all_safi || e->type == VG_ELEM_STATE)
		return 1;
	return e->prefix.safi == 1 || e->prefix.safi == 2 || e->prefix.safi == 4;
}

/* Decode and deliver every whole message in the session. */
static void
drain(struct bmp_conn *c)
{
	struct bmp_listener *l = c->l;
	const struct bmp_msg *m;
	const struct vg_elem *e;

	while (bmp_session_next(c->s, &m) > 0) {
		if (l->on_msg)
			l->on_msg(l->ctx, c->name, m, c->s);
		while (bmp_session_next_elem(c->s, &e) > 0) {
			if (e->type == VG_ELEM_STATE && l->on_peer) {
				struct bmp_peer_info pi = {
				    .hdr = m->peer,
				    .asn = m->peer.asn,
				    .reason = m->type == BMP_PEER_DOWN ? m->reason : 0,
				    .notification = m->has_notification
				                        ? &m->notification
				                        : NULL,
				    .msg = m,
				};
				l->on_peer(l->ctx, c->name, &pi,
				           m->type == BMP_PEER_UP);
			}
			if (l->on_elem && deliver_elem(l, e))
				l->on_elem(l->ctx, c->name, e);
		}
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct bmp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		struct evbuffer_iovec v[8];
		int n = evbuffer_peek(in, -1, NULL, v, 8);
		size_t took = 0;
		if (n <= 0)
			break;
		for (int i = 0; i < n && i < 8; i++) {
			if (bmp_session_push(c->s, v[i].iov_base, v[i].iov_len) < 0)
				break;
			took += v[i].iov_len;
			/* decode as we go: the session buffer stays small */
			drain(c);
			if (bmp_session_failed(c->s))
				break;
		}
		evbuffer_drain(in, took);
		if (bmp_session_failed(c->s)) {
			conn_close(c, 1);
			return;
		}
		if (took == 0)
			break;
	}
	if (c->l->on_batch)
		c->l->on_batch(c->l->ctx, c->name);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bmp_conn *c = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		/* bytes still buffered were read before the end */
		read_cb(bev, arg);
		/* read_cb may have closed it already on a failed stream */
		struct bmp_conn *x;
		for (x = c->l->conns; x && x != c; x = x->next)
			;
		if (x)
			conn_close(c, (what & BEV_EVENT_ERROR) != 0);
	}
}

static void
name_conn(struct bmp_listener *l, struct bmp_conn *c, const struct sockaddr *sa)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
	}
	snprintf(c->name, sizeof(c->name), "%s", a);
	for (struct bmp_conn *o = l->conns; o; o = o->next)
		if (strcmp(o->name, c->name) == 0) {
			snprintf(c->name, sizeof(c->name),
			         sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
			         port);
			break;
		}
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
          int salen, void *arg)
{
	struct bmp_listener *l = arg;
	struct bmp_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->l = l;
	name_conn(l, c, sa);
	c->s = bmp_session_new(c->name, on_session_problem, c);
	c->bev = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->s == NULL || c->bev == NULL) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		bmp_session_free(c->s);
		free(c);
		return;
	}
	l->closed.connections++;
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_READ_HIGH);
	if (!l->paused)
		bufferevent_enable(c->bev, EV_READ);
	if (l->on_router)
		l->on_router(l->ctx, c->name, 1, bmp_session_stats(c->s));
}

struct bmp_listener *
bmp_listener_new(struct event_base *base, const char *addr, uint16_t port,
                 bmp_elem_fn on_elem, bmp_peer_fn on_peer, void *ctx,
                 char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct bmp_listener *l;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr,
	                     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sl = sizeof(*s6);
	} else {
		snprintf(err, errlen, "bmp listen: '%s' is not an IPv4 or IPv6 "
		                      "address", addr);
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->base = base;
	l->on_elem = on_elem;
	l->on_peer = on_peer;
	l->ctx = ctx;
	l->lev = evconnlistener_new_bind(base, accept_cb, l,
	                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	                                     LEV_OPT_CLOSE_ON_EXEC,
	                                 64, (struct sockaddr *)&ss, (int)sl);
	if (l->lev == NULL) {
		snprintf(err, errlen, "bmp listen on %s port %u: %s", addr, port,
		         strerror(errno));
		free(l);
		return NULL;
	}
	sl = sizeof(ss);
	if (getsockname(evconnlistener_get_fd(l->lev), (struct sockaddr *)&ss,
	                &sl) == 0)
		l->port = ntohs(ss.ss_family == AF_INET
		                    ? ((struct sockaddr_in *)&ss)->sin_port
		                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return l;
}

void
bmp_listener_set_router_cb(struct bmp_listener *l, bmp_router_fn fn)
{
	l->on_router = fn;
}

void
bmp_listener_set_msg_cb(struct bmp_listener *l, bmp_msg_fn fn)
{
	l->on_msg = fn;
}

void
bmp_listener_set_batch_cb(struct bmp_listener *l, bmp_batch_fn fn)
{
	l->on_batch = fn;
}

void
bmp_listener_set_problem_cb(struct bmp_listener *l, bmp_problem_fn fn)
{
	l->on_problem = fn;
}

void
bmp_listener_all_safi(struct bmp_listener *l, int on)
{
	l->all_safi = on;
}

void
bmp_listener_pause(struct bmp_listener *l, int paused)
{
	l->paused = paused;
	for (struct bmp_conn *c = l->conns; c; c = c->next) {
		if (paused)
			bufferevent_disable(c->bev, EV_READ);
		else
			bufferevent_enable(c->bev, EV_READ);
	}
}

uint16_t
bmp_listener_port(const struct bmp_listener *l)
{
	return l->port;
}

void
bmp_listener_stats(const struct bmp_listener *l, struct bmp_listener_stats *st)
{
	*st = l->closed;
	st->routers_open = 0;
	for (const struct bmp_conn *c = l->conns; c; c = c->next) {
		st->routers_open++;
		add_stats(st, bmp_session_stats(c->s));
	}
}

void
bmp_listener_router_stats(const struct bmp_listener *l,
                          void (*fn)(void *ctx, const char *router,
                                     const struct bmp_session_stats *st),
                          void *ctx)
{
	for (const struct bmp_conn *c = l->conns; c; c = c->next)
		fn(ctx, c->name, bmp_session_stats(c->s));
}

void
bmp_listener_free(struct bmp_listener *l)
{
	if (l == NULL)
		return;
	while (l->conns)
		conn_close(l->conns, 0);
	if (l->lev)
		evconnlistener_free(l->lev);
	free(l);
}
