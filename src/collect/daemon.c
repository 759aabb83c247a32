/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The collector's event loop (libevent): listening sockets, one passive
 * BGP session per configured peer, hold / keepalive / graceful-restart
 * timers, signals, the status file.  It frames messages, runs the state
 * machine (fsm.c) and turns what it receives into MRT records on the
 * queue; it never touches storage or detection, which the processing
 * thread (proc.c) does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "vigil/event_json.h"
#include "collect/collect_impl.h"
#include "vigil/bmp.h"
#include "vigil/elem.h"

#define OPENSENT_HOLD 240 /* RFC 4271 8: "large value", 4 minutes */
#define READ_HIGH_WATER (256u << 10)

struct daemon;

struct session {
	struct daemon *d;
	struct cpeer *p;
	struct bufferevent *bev;
	int fd;
	struct bgp_fsm fsm;
	struct event *hold_ev, *ka_ev, *close_ev;
	int closing;
	struct session *prev, *next; /* every session of the daemon */
	int lost_gracefully; /* ended without NOTIFICATION (GR applies) */
	int hold_due;        /* a message came in: re-arm the hold timer
	                        once the read batch is done */
};

struct listener {
	int fd;
	struct event *ev;
	struct collect_listen where;
};

struct daemon {
	struct collect_cfg *cfg;
	const struct collect_run_opts *ro;
	struct event_base *base;
	struct listener lis[COLLECT_MAX_LISTEN];
	unsigned nlis;
	struct cpeer **slots;
	unsigned nslots;
	struct cqueue q;
	struct proc *pr;
	struct event *sig_hup, *sig_term, *sig_int, *status_ev, *resume_ev;
	struct event *stop_ev;
	struct session *all;
	struct bmp_listener *bmp[COLLECT_MAX_LISTEN];
	unsigned nbmp;
	struct cpeer *bmp_last;   /* the last BMP peer looked up */
	struct proc_stats final; /* after the processing thread ended */
	int paused, stopping;
	uint64_t refused;
	FILE *logf;
	size_t pass_bytes;       /* BGP bytes read in this pass of the loop */
};

/* A pass of the event loop that read less than this from BGP sockets
 * (a message or a few) ends with a LOOP_NAP_NS nap (see collect_run).
 * Kept small: with 16 KiB, a full-speed one-prefix feed was held to a
 * tenth of its rate (bench/collect.sh single). */
#ifndef LOOP_SMALL_PASS
#define LOOP_SMALL_PASS 1024u
#endif
#ifndef LOOP_NAP_NS
#define LOOP_NAP_NS 2000000L
#endif

/* ---- helpers ------------------------------------------------------------ */

static void
sockaddr_to_vg(const struct sockaddr_storage *ss, struct vg_addr *a,
               uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		a->afi = VG_AFI_IP4;
		memcpy(a->addr, &s4->sin_addr, 4);
		if (port)
			*port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0,
		                                   0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(s6->sin6_addr.s6_addr, mapped, 12) == 0) {
			a->afi = VG_AFI_IP4;
			memcpy(a->addr, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			a->afi = VG_AFI_IP6;
			memcpy(a->addr, s6->sin6_addr.s6_addr, 16);
		}
		if (port)
			*port = ntohs(s6->sin6_port);
	}
}

static struct cpeer *
peer_find(struct daemon *d, const struct vg_addr *a)
{
	for (unsigned i = 0; i < d->nslots; i++) {
		struct cpeer *p = d->slots[i];
		if (!p->removed && !p->bmp && p->cfg.addr.afi == a->afi &&
		    memcmp(p->cfg.addr.addr, a->addr, 16) == 0)
			return p;
	}
	return NULL;
}

static void
reason_text(unsigned code, unsigned sub, char *buf, size_t len)
{
	/* codes without subcodes (Hold Timer Expired) read better alone */
	if (sub == 0 && (code == 4 || code == 8))
		snprintf(buf, len, "%s", bgp_notification_code_name(code));
	else
		bgp_fsm_reason(code, sub, buf, len);
}

/* RFC 7606 action as one log word */
static const char *
action_word(unsigned a)
{
	switch (a) {
	case VG_ACT_NONE:
		return "none";
	case VG_ACT_ATTR_DISCARD:
		return "attribute-discard";
	case VG_ACT_TREAT_AS_WITHDRAW:
		return "treat-as-withdraw";
	case VG_ACT_AFISAFI_DISABLE:
		return "afi-safi-disable";
	default:
		return "ignored";
	}
}

/* ---- sessions ----------------------------------------------------------- */

static void session_read(struct session *s);
static void session_close(struct session *s);

static void
pause_reading(struct daemon *d)
{
	if (d->paused)
		return;
	d->paused = 1;
	atomic_store(&d->q.paused, 1);
	atomic_fetch_add(&d->q.overflows, 1);
	for (unsigned i = 0; i < d->nslots; i++) {
		struct session *s = d->slots[i]->sess;
		if (s && !s->closing)
			bufferevent_disable(s->bev, EV_READ);
	}
	for (unsigned i = 0; i < d->nbmp; i++)
		bmp_listener_pause(d->bmp[i], 1);
	clog_printf("event=queue-full depth=%zu limit=%zu note=\"reading "
	            "paused until processing catches up\"",
	            (size_t)atomic_load(&d->q.depth), d->q.limit);
	/* the queue may have drained between the publish and now */
	if (atomic_load(&d->q.depth) <= d->q.limit / 2)
		event_active(d->resume_ev, 0, 0);
}

static void
publish(struct daemon *d)
{
	if (cq_publish(&d->q))
		pause_reading(d);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	if (!d->paused || atomic_load(&d->q.depth) > d->q.limit / 2)
		return;
	d->paused = 0;
	atomic_store(&d->q.paused, 0);
	clog_printf("event=queue-resumed depth=%zu",
	            (size_t)atomic_load(&d->q.depth));
	for (unsigned i = 0; i < d->nbmp; i++)
		bmp_listener_pause(d->bmp[i], 0);
	for (unsigned i = 0; i < d->nslots; i++) {
		struct session *s = d->slots[i]->sess;
		if (s && !s->closing) {
			bufferevent_enable(s->bev, EV_READ);
			session_read(s);
			if (d->paused)
				break;
		}
	}
}

/* Called by the processing thread. */
static void
wake_from_proc(void *ctx)
{
	struct daemon *d = ctx;
	event_active(d->resume_ev, 0, 0);
}

static void
record_state(struct daemon *d, struct cpeer *p, unsigned from, unsigned to)
{
	uint32_t las = p->bmp ? p->bmp_local_as : d->cfg->local_as;
	if (rec_state(&d->q, p, las, from, to) < 0)
		clog_printf("event=error error=\"out of memory for a record\"");
}

/* The graceful-restart time of P ran out: its routes stop counting. */
static void
gr_expired(struct daemon *d, struct cpeer *p, const char *why)
{
	char who[160];
	if (!p->gr_stale)
		return;
	p->gr_stale = 0;
	if (p->gr_ev)
		event_del(p->gr_ev);
	clog_peer(who, sizeof(who), p);
	clog_printf("%s event=graceful-restart-end reason=\"%s\"", who, why);
	record_state(d, p, VG_STATE_ESTABLISHED, VG_STATE_IDLE);
	publish(d);
}

/* Log, archive and count the state machine's transitions. */
static void
handle_trans(struct session *s)
{
	struct daemon *d = s->d;
	struct cpeer *p = s->p;
	char who[160];

	if (s->fsm.ntrans == 0)
		return;
	clog_peer(who, sizeof(who), p);
	for (unsigned i = 0; i < s->fsm.ntrans; i++) {
		unsigned from = s->fsm.trans[i].from, to = s->fsm.trans[i].to;
		if (p->gr_stale && from == VG_STATE_ACTIVE)
			gr_expired(d, p, "the peer reconnected");
		p->state = (uint8_t)to;
		if (from == VG_STATE_ESTABLISHED) {
			p->flaps++;
			if (s->lost_gracefully && s->fsm.gr && s->fsm.gr_time) {
				/* RFC 4724 4.2: keep the routes, stale,
				 * until the restart time runs out; the
				 * state change is recorded then */
				p->gr_stale = 1;
				p->gr_time = s->fsm.gr_time;
				struct timeval tv = {s->fsm.gr_time, 0};
				event_add(p->gr_ev, &tv);
				clog_printf("%s event=session-down state=%s "
				            "graceful-restart=yes restart_time=%u",
				            who, vg_bgp_state_name(to),
				            s->fsm.gr_time);
				continue;
			}
			clog_printf("%s event=session-down state=%s", who,
			            vg_bgp_state_name(to));
		}
		record_state(d, p, from, to);
		if (to == VG_STATE_ESTABLISHED) {
			const struct bgp_fsm *f = &s->fsm;
			p->up_since = (uint32_t)time(NULL);
			p->established_once = 1;
			clog_printf("%s event=established hold=%u keepalive=%u "
			            "as4=%s add-path=%s%s ext-msg=%s "
			            "route-refresh=%s graceful-restart=%s "
			            "restart_time=%u",
			            who, f->hold, f->keepalive,
			            f->as4 ? "yes" : "no",
			            (f->ap_mask & BGP_FSM_AP_V4) ? "ipv4" : "",
			            (f->ap_mask & BGP_FSM_AP_V6)
			                ? ((f->ap_mask & BGP_FSM_AP_V4) ? ",ipv6"
			                                                : "ipv6")
			                : (f->ap_mask ? "" : "no"),
			            f->ext_msg ? "yes" : "no",
			            f->route_refresh ? "yes" : "no",
			            f->gr ? "yes" : "no", f->gr_time);
		}
	}
	s->fsm.ntrans = 0;
}

/* Send what the state machine queued; archive our OPEN/NOTIFICATION. */
static void
flush_out(struct session *s)
{
	struct bgp_fsm *f = &s->fsm;
	size_t off = 0;
	while (off + BGP_HEADER_LEN <= f->outlen) {
		const uint8_t *m = f->out + off;
		size_t len = (size_t)m[16] << 8 | m[17];
		if (len < BGP_HEADER_LEN || off + len > f->outlen)
			break;
		if (m[18] == BGP_MSG_OPEN || m[18] == BGP_MSG_NOTIFICATION)
			rec_message(&s->d->q, s->p, s->d->cfg->local_as, m, len,
			            REC_LOCAL | (f->as4 || m[18] == BGP_MSG_OPEN
			                             ? 0
			                             : REC_AS2));
		off += len;
	}
	if (f->outlen)
		bufferevent_write(s->bev, f->out, f->outlen);
	f->outlen = 0;
}

static void
session_free(struct session *s)
{
	if (s->p && s->p->sess == s)
		s->p->sess = NULL;
	if (s->prev)
		s->prev->next = s->next;
	else if (s->d->all == s)
		s->d->all = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (s->hold_ev)
		event_free(s->hold_ev);
	if (s->ka_ev)
		event_free(s->ka_ev);
	if (s->close_ev)
		event_free(s->close_ev);
	if (s->bev)
		bufferevent_free(s->bev);
	free(s);
}

static void
close_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	session_free(arg);
}

/* Log a NOTIFICATION we queued. */
static void
log_sent(struct session *s)
{
	char who[160], reason[160];
	if (!s->fsm.sent_set)
		return;
	s->p->notif_out++;
	clog_peer(who, sizeof(who), s->p);
	reason_text(s->fsm.sent_code, s->fsm.sent_sub, reason, sizeof(reason));
	clog_printf("%s event=notification-sent code=%u subcode=%u "
	            "reason=\"%s\" why=\"%s\"",
	            who, s->fsm.sent_code, s->fsm.sent_sub, reason, s->fsm.why);
	snprintf(s->p->last_notif, sizeof(s->p->last_notif), "sent %s (%s)",
	         reason, s->fsm.why);
	s->fsm.sent_set = 0;
}

/*
 * End session S: send what is queued (a NOTIFICATION), shut our side,
 * and free it when the peer closes or after 2 s.  Everything the session
 * produced is on the queue before this returns.
 */
static void
session_close(struct session *s)
{
	struct timeval tv = {2, 0};
	if (s->closing)
		return;
	if (s->fsm.state != VG_STATE_IDLE)
		bgp_fsm_conn_lost(&s->fsm);
	handle_trans(s);
	flush_out(s);
	publish(s->d);
	s->closing = 1;
	if (s->p->sess == s)
		s->p->sess = NULL;
	event_del(s->hold_ev);
	event_del(s->ka_ev);
	bufferevent_enable(s->bev, EV_READ); /* drain until the peer closes */
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		shutdown(s->fd, SHUT_WR);
	evtimer_add(s->close_ev, &tv);
}

static void
hold_arm(struct session *s)
{
	unsigned h = s->fsm.state == VG_STATE_OPENSENT ? OPENSENT_HOLD
	                                                 : s->fsm.hold;
	if (h == 0) {
		event_del(s->hold_ev);
		return;
	}
	struct timeval tv = {h, 0};
	evtimer_add(s->hold_ev, &tv);
}

static void
hold_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	char who[160];
	if (s->d->paused) {
		/* we are not reading, so the peer's keepalives wait in the
		 * socket: not its fault */
		hold_arm(s);
		return;
	}
	clog_peer(who, sizeof(who), s->p);
	clog_printf("%s event=hold-timer-expired hold=%u", who,
	            s->fsm.state == VG_STATE_OPENSENT ? OPENSENT_HOLD
	                                              : s->fsm.hold);
	bgp_fsm_hold_expired(&s->fsm);
	log_sent(s);
	session_close(s);
}

static void
ka_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	bgp_fsm_keepalive(&s->fsm);
	flush_out(s);
}

/* One framed message. */
static void
session_msg(struct session *s, const uint8_t *m, size_t len)
{
	struct daemon *d = s->d;
	struct cpeer *p = s->p;
	struct bgp_fsm *f = &s->fsm;
	char who[160], reason[160];
	unsigned recfl = f->as4 ? 0 : REC_AS2;

	p->msgs_in++;
	p->bytes_in += len;
	int rc = bgp_fsm_input(f, m, len);
	switch (rc) {
	case BGP_FSM_OPEN:
		rec_message(&d->q, p, d->cfg->local_as, m, len, 0);
		s->hold_due = 1;
		if (f->keepalive) {
			struct timeval tv = {f->keepalive, 0};
			event_add(s->ka_ev, &tv);
		}
		break;
	case BGP_FSM_UPDATE: {
		p->updates++;
		/* RFC 8050 subtype when this message's family has path ids */
		unsigned afi = f->upd_afi;
		rec_message(&d->q, p, d->cfg->local_as, m, len,
		            recfl | (bgp_fsm_addpath(f, afi) ? REC_ADDPATH : 0));
		if (f->diag.n)
			clog_peer(who, sizeof(who), p);
		for (unsigned i = 0; i < f->diag.n; i++) {
			const struct vg_problem *pb = &f->diag.items[i];
			if (pb->action == VG_ACT_TREAT_AS_WITHDRAW)
				p->taw++;
			clog_printf("%s event=update-error attr=%u action=%s "
			            "error=\"%s\" session=kept",
			            who, pb->attr_type,
			            action_word(pb->action),
			            pb->msg);
		}
		s->hold_due = 1;
		break;
	}
	case BGP_FSM_NOTIFICATION:
		p->notif_in++;
		clog_peer(who, sizeof(who), p);
		rec_message(&d->q, p, d->cfg->local_as, m, len, recfl);
		reason_text(f->got_code, f->got_sub, reason, sizeof(reason));
		clog_printf("%s event=notification-received code=%u subcode=%u "
		            "reason=\"%s\"%s%s%s",
		            who, f->got_code, f->got_sub, reason,
		            f->got_msg[0] ? " message=\"" : "", f->got_msg,
		            f->got_msg[0] ? "\"" : "");
		snprintf(p->last_notif, sizeof(p->last_notif), "%s%s%s",
		         reason, f->got_msg[0] ? ": " : "", f->got_msg);
		session_close(s);
		return;
	case BGP_FSM_CLOSE:
		log_sent(s);
		session_close(s);
		return;
	case BGP_FSM_ROUTE_REFRESH:
		clog_peer(who, sizeof(who), p);
		clog_printf("%s event=route-refresh-received note=\"nothing to "
		            "send\"", who);
		s->hold_due = 1;
		break;
	default:
		s->hold_due = 1;
		break;
	}
	handle_trans(s);
	if (f->outlen)
		flush_out(s);
}

static void
session_read(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);

	if (s->closing) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	while (!s->closing && !s->d->paused) {
		size_t avail = evbuffer_get_length(in);
		if (avail < BGP_HEADER_LEN)
			break;
		const uint8_t *h = evbuffer_pullup(in, BGP_HEADER_LEN);
		int mlen = bgp_fsm_frame(&s->fsm, h, avail);
		if (mlen < 0) {
			s->p->msgs_in++;
			log_sent(s);
			session_close(s);
			break;
		}
		if (avail < (size_t)mlen)
			break;
		const uint8_t *m = evbuffer_pullup(in, mlen);
		session_msg(s, m, (size_t)mlen);
		if (s->closing)
			break;
		evbuffer_drain(in, (size_t)mlen);
		if (s->d->q.cur && s->d->q.cur->len >= CQ_CHUNK / 2)
			publish(s->d);
	}
	if (!s->closing) {
		if (s->hold_due) {
			s->hold_due = 0;
			hold_arm(s);
		}
		publish(s->d);
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	s->d->pass_bytes += evbuffer_get_length(bufferevent_get_input(bev));
	session_read(s);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	if (s->closing)
		shutdown(s->fd, SHUT_WR);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	char who[160];

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (s->closing) {
		session_free(s);
		return;
	}
	clog_peer(who, sizeof(who), s->p);
	if (what & BEV_EVENT_ERROR)
		clog_printf("%s event=connection-lost error=\"%s\" state=%s", who,
		            strerror(EVUTIL_SOCKET_ERROR()),
		            vg_bgp_state_name(s->fsm.state));
	else
		clog_printf("%s event=connection-lost error=\"closed by the "
		            "peer\" state=%s",
		            who, vg_bgp_state_name(s->fsm.state));
	s->lost_gracefully = 1;
	session_close(s);
	session_free(s);
}

/* ---- listeners ----------------------------------------------------------- */

static void
accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct daemon *d = arg;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				clog_printf("event=accept-error error=\"%s\"",
				            strerror(errno));
			return;
		}
		struct vg_addr a;
		uint16_t port = 0;
		char as[VG_ADDR_STRLEN];
		sockaddr_to_vg(&ss, &a, &port);
		struct cpeer *p = peer_find(d, &a);
		if (p == NULL || d->stopping) {
			/* not configured: closed before any state exists */
			close(fd);
			d->refused++;
			clog_printf("peer=%s port=%u event=refused reason=\"%s\"",
			            vg_addr_str(&a, as), port,
			            d->stopping ? "shutting down"
			                        : "not a configured peer");
			continue;
		}
		char who[160];
		clog_peer(who, sizeof(who), p);
		if (p->sess) {
			/* RFC 4724 4.2 and a restarted peer: the new
			 * connection wins; the old one is closed */
			clog_printf("%s event=connection-replaced old_state=%s",
			            who, vg_bgp_state_name(p->sess->fsm.state));
			struct session *old = p->sess;
			old->lost_gracefully = 1;
			bgp_fsm_stop(&old->fsm, 6, 7, NULL);
			log_sent(old);
			session_close(old);
		}
		struct session *s = calloc(1, sizeof(*s));
		if (s == NULL) {
			close(fd);
			continue;
		}
		s->d = d;
		s->p = p;
		s->fd = fd;
		s->next = d->all;
		if (d->all)
			d->all->prev = s;
		d->all = s;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct sockaddr_storage ls;
		socklen_t ll = sizeof(ls);
		if (getsockname(fd, (struct sockaddr *)&ls, &ll) == 0)
			sockaddr_to_vg(&ls, &p->local_addr, NULL);
		s->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
		s->hold_ev = evtimer_new(d->base, hold_cb, s);
		s->ka_ev = event_new(d->base, -1, EV_PERSIST, ka_cb, s);
		s->close_ev = evtimer_new(d->base, close_timer_cb, s);
		if (!s->bev || !s->hold_ev || !s->ka_ev || !s->close_ev) {
			if (!s->bev)
				close(fd);
			session_free(s);
			continue;
		}
		bufferevent_setcb(s->bev, read_cb, write_cb, event_cb, s);
		bufferevent_setwatermark(s->bev, EV_READ, 0, READ_HIGH_WATER);
		/* libevent reads 16 KiB at a time by default: a full table
		 * arrives faster in larger gulps (fewer callbacks, chunks) */
		bufferevent_set_max_single_read(s->bev, READ_HIGH_WATER);
		p->sess = s;
		clog_printf("%s event=connected port=%u", who, port);
		bgp_fsm_init(&s->fsm, &(struct bgp_fsm_cfg){
		                          .local_as = d->cfg->local_as,
		                          .peer_as = p->cfg.asn,
		                          .hold_time = d->cfg->hold_time,
		                          .addpath = p->cfg.addpath,
		                      });
		memcpy(s->fsm.cfg.router_id, d->cfg->router_id, 4);
		bgp_fsm_accept(&s->fsm);
		handle_trans(s);
		flush_out(s);
		publish(d);
		hold_arm(s);
		if (!d->paused)
			bufferevent_enable(s->bev, EV_READ);
	}
}

static int
listen_on(struct daemon *d, const struct collect_listen *w, char *err,
          size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char as[VG_ADDR_STRLEN];
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (w->addr.afi == VG_AFI_IP4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(w->port);
		memcpy(&s4->sin_addr, w->addr.addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(w->port);
		memcpy(&s6->sin6_addr, w->addr.addr, 16);
		sl = sizeof(*s6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0)
		goto fail;
	struct listener *l = &d->lis[d->nlis];
	l->fd = fd;
	l->where = *w;
	l->ev = event_new(d->base, fd, EV_READ | EV_PERSIST, accept_cb, d);
	if (l->ev == NULL || event_add(l->ev, NULL) < 0)
		goto fail;
	d->nlis++;
	clog_printf("event=listening addr=%s port=%u",
	            vg_addr_str(&w->addr, as), w->port);
	return 0;
fail:
	snprintf(err, errlen, "cannot listen on %s port %u: %s",
	         vg_addr_str(&w->addr, as), w->port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* ---- status file ------------------------------------------------------- */

/* A BMP Adj-RIB-In view's name (cpeer.bmp_view). */
static const char *
bmp_view_name(int v)
{
	return v ? "post-policy" : "pre-policy";
}

static void
write_status(struct daemon *d)
{
	char tmp[1100];
	struct proc_stats ps;
	FILE *f;

	if (d->cfg->status_file[0] == 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->cfg->status_file);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	if (d->pr)
		proc_stats(d->pr, &ps);
	else
		ps = d->final;
	fprintf(f, "{\"time\":%lld,\"collector\":", (long long)time(NULL));
	vg_json_str(f, d->cfg->collector);
	fputs(",\"peers\":[", f);
	int first = 1;
	for (unsigned i = 0; i < d->nslots; i++) {
		struct cpeer *p = d->slots[i];
		char a[VG_ADDR_STRLEN];
		if (p->removed)
			continue;
		fprintf(f, "%s{\"addr\":\"%s\",\"as\":%u,\"name\":", first ? "" : ",",
		        vg_addr_str(&p->cfg.addr, a), p->cfg.asn);
		first = 0;
		if (p->cfg.name[0])
			vg_json_str(f, p->cfg.name);
		else
			fputs("null", f);
		unsigned st = p->bmp    ? p->state
		              : p->sess ? p->sess->fsm.state
		                        : VG_STATE_IDLE;
		if (p->bmp) {
			fputs(",\"router\":", f);
			vg_json_str(f, p->router);
			fputs(",\"view\":{", f);
			for (int fam = 0; fam < 2; fam++)
				fprintf(f, "%s\"%s\":%s%s%s", fam ? "," : "",
				        fam ? "ipv6" : "ipv4",
				        p->bmp_view[fam] < 0 ? "null" : "\"",
				        p->bmp_view[fam] < 0
				            ? ""
				            : bmp_view_name(p->bmp_view[fam]),
				        p->bmp_view[fam] < 0 ? "" : "\"");
			fprintf(f, "},\"other_view_updates\":%llu",
			        (unsigned long long)p->bmp_other_view);
		}
		fprintf(f, ",\"kind\":\"%s\",\"state\":\"%s\",\"stale\":%s,"
		           "\"routes_v4\":%u,\"routes_v6\":%u,\"updates\":%llu,"
		           "\"announce\":%llu,\"withdraw\":%llu,"
		           "\"notifications_in\":%llu,\"notifications_out\":%llu,"
		           "\"last_notification\":",
		        p->bmp ? "bmp" : "bgp", vg_bgp_state_name(st),
		        p->gr_stale ? "true" : "false",
		        atomic_load(&p->routes_v4), atomic_load(&p->routes_v6),
		        (unsigned long long)p->updates,
		        (unsigned long long)atomic_load(&p->announce),
		        (unsigned long long)atomic_load(&p->withdraw),
		        (unsigned long long)p->notif_in,
		        (unsigned long long)p->notif_out);
		if (p->last_notif[0])
			vg_json_str(f, p->last_notif);
		else
			fputs("null", f);
		fprintf(f, ",\"flaps\":%llu,\"msgs_in\":%llu,\"bytes_in\":%llu,"
		           "\"treat_as_withdraw\":%llu,\"up_since\":%u}",
		        (unsigned long long)p->flaps,
		        (unsigned long long)p->msgs_in,
		        (unsigned long long)p->bytes_in,
		        (unsigned long long)p->taw,
		        st == VG_STATE_ESTABLISHED ? p->up_since : 0);
	}
	fprintf(f, "],\"elements\":%llu,\"queue_depth\":%llu,"
	           "\"queue_overflows\":%llu,\"events_open\":%u,"
	           "\"refused\":%llu,\"bins\":%llu}\n",
	        (unsigned long long)ps.elements,
	        (unsigned long long)atomic_load(&d->q.depth),
	        (unsigned long long)atomic_load(&d->q.overflows), ps.events_open,
	        (unsigned long long)d->refused, (unsigned long long)ps.bins);
	if (fclose(f) == 0)
		rename(tmp, d->cfg->status_file);
	else
		unlink(tmp);
}

static void
status_cb(evutil_socket_t fd, short what, void *arg)
{
	write_status(arg);
}

/* ---- peers and reload -------------------------------------------------- */

static void
gr_cb(evutil_socket_t fd, short what, void *arg);

struct gr_arg {
	struct daemon *d;
	struct cpeer *p;
};

static struct cpeer *
peer_new(struct daemon *d, const struct collect_peer_cfg *c)
{
	struct cpeer *p = calloc(1, sizeof(*p) + sizeof(struct gr_arg));
	if (p == NULL)
		return NULL;
	struct gr_arg *ga = (struct gr_arg *)(p + 1);
	ga->d = d;
	ga->p = p;
	p->cfg = *c;
	snprintf(p->coll, sizeof(p->coll), "%s", d->cfg->collector);
	p->rib_id = -1;
	p->state = VG_STATE_IDLE;
	atomic_init(&p->announce, 0);
	atomic_init(&p->withdraw, 0);
	atomic_init(&p->routes_v4, 0);
	atomic_init(&p->routes_v6, 0);
	p->gr_ev = evtimer_new(d->base, gr_cb, ga);
	if (p->gr_ev == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

static void
gr_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gr_arg *ga = arg;
	gr_expired(ga->d, ga->p, "restart time ran out");
}

/* Make the slot table hold every peer of C (new ones added, missing ones
 * marked removed and their sessions closed).  0 or -1. */
static int
apply_peers(struct daemon *d, const struct collect_cfg *c, int log)
{
	unsigned added = 0, removed = 0;
	struct cpeer **ns = malloc((d->nslots + c->npeers + 1) * sizeof(*ns));
	if (ns == NULL)
		return -1;
	if (d->nslots)
		memcpy(ns, d->slots, d->nslots * sizeof(*ns));
	unsigned n = d->nslots;
	for (unsigned i = 0; i < d->nslots; i++) {
		struct cpeer *p = d->slots[i];
		unsigned j;
		if (p->removed || p->bmp)
			continue;
		for (j = 0; j < c->npeers; j++)
			if (c->peers[j].addr.afi == p->cfg.addr.afi &&
			    memcmp(c->peers[j].addr.addr, p->cfg.addr.addr, 16) == 0 &&
			    c->peers[j].asn == p->cfg.asn &&
			    c->peers[j].addpath == p->cfg.addpath)
				break;
		if (j < c->npeers) {
			memcpy(p->cfg.name, c->peers[j].name, sizeof(p->cfg.name));
			continue;
		}
		char who[160];
		clog_peer(who, sizeof(who), p);
		clog_printf("%s event=peer-removed", who);
		p->removed = 1;
		removed++;
		if (p->sess) {
			bgp_fsm_stop(&p->sess->fsm, 6, 3, NULL);
			log_sent(p->sess);
			session_close(p->sess);
		}
		gr_expired(d, p, "peer removed");
	}
	for (unsigned j = 0; j < c->npeers; j++) {
		/* a removed slot with the same address is not reused: the
		 * processing thread may still be counting for it */
		if (peer_find(d, &c->peers[j].addr))
			continue;
		struct cpeer *p = peer_new(d, &c->peers[j]);
		if (p == NULL) {
			free(ns);
			return -1;
		}
		p->slot = n;
		ns[n++] = p;
		added++;
		if (log) {
			char who[160];
			clog_peer(who, sizeof(who), p);
			clog_printf("%s event=peer-added", who);
		}
	}
	struct cpeer **old = d->slots;
	d->slots = ns;
	d->nslots = n;
	/* the processing thread reads the table under its lock: once this
	 * returns it uses NS, and the old array can go */
	proc_set_peers(d->pr, ns, n);
	free(old);
	if (log)
		clog_printf("event=reload peers_added=%u peers_removed=%u", added,
		            removed);
	return 0;
}

static void
reload_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct collect_cfg nc;
	char err[1024];

	if (d->ro->cfg_path == NULL)
		return;
	clog_printf("event=reload-start config=%s", d->ro->cfg_path);
	if (collect_cfg_load(&nc, d->ro->cfg_path, err, sizeof(err)) < 0) {
		clog_printf("event=reload-failed error=\"%s\" note=\"the running "
		            "configuration stays\"", err);
		return;
	}
	if (apply_peers(d, &nc, 1) < 0) {
		clog_printf("event=reload-failed error=\"out of memory\"");
		collect_cfg_free(&nc);
		return;
	}
	if (strcmp(nc.collector, d->cfg->collector) || nc.local_as != d->cfg->local_as ||
	    memcmp(nc.router_id, d->cfg->router_id, 4) || nc.hold_time != d->cfg->hold_time ||
	    strcmp(nc.db, d->cfg->db) || strcmp(nc.archive, d->cfg->archive) ||
	    nc.obs.bin_len != d->cfg->obs.bin_len || nc.nlisten != d->cfg->nlisten)
		clog_printf("event=reload-note note=\"only peers change on "
		            "reload; other directives need a restart\"");
	/* keep the running settings, take the new peer list */
	free(d->cfg->peers);
	d->cfg->peers = nc.peers;
	d->cfg->npeers = nc.npeers;
	nc.peers = NULL;
	nc.npeers = 0;
	collect_cfg_free(&nc);
}

static void
stop_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	event_base_loopexit(d->base, NULL);
}

static void
term_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = {1, 0};

	if (d->stopping) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	d->stopping = 1;
	clog_printf("event=shutdown signal=%s", (int)fd == SIGHUP ? "HUP"
	            : (int)fd == SIGINT ? "INT" : "TERM");
	for (unsigned i = 0; i < d->nslots; i++) {
		struct cpeer *p = d->slots[i];
		if (p->sess && !p->sess->closing) {
			bgp_fsm_stop(&p->sess->fsm, 6, 2,
			             "vigil collector shutting down");
			log_sent(p->sess);
			session_close(p->sess);
		}
		gr_expired(d, p, "collector shutting down");
	}
	for (unsigned i = 0; i < d->nlis; i++)
		event_del(d->lis[i].ev);
	/* a second to let the NOTIFICATIONs out */
	evtimer_add(d->stop_ev, &tv);
}

/* ---- BMP (contract B: the listener is src/collect/bmp_listener.c) ---- */

/* Make room for one more slot and publish the table to the processing
 * thread.  0 or -1. */
static int
slots_add(struct daemon *d, struct cpeer *p)
{
	struct cpeer **ns = malloc((d->nslots + 1) * sizeof(*ns));
	if (ns == NULL)
		return -1;
	if (d->nslots)
		memcpy(ns, d->slots, d->nslots * sizeof(*ns));
	p->slot = d->nslots;
	ns[d->nslots] = p;
	struct cpeer **old = d->slots;
	d->slots = ns;
	d->nslots++;
	proc_set_peers(d->pr, ns, d->nslots);
	free(old);
	return 0;
}

/* The BMP peer (ROUTER, ADDR, ASN), created on first sight. */
/* The views a BMP peer starts with: the configured one, or none until
 * its first route monitoring message of each address family (bmp-view
 * first). */
static void
bmp_view_reset(const struct daemon *d, struct cpeer *p)
{
	int8_t v = d->cfg->bmp_view == COLLECT_BMP_VIEW_PRE    ? 0
	           : d->cfg->bmp_view == COLLECT_BMP_VIEW_POST ? 1
	                                                      : -1;
	p->bmp_view[0] = p->bmp_view[1] = v;
}

/* Is route monitoring M, of address family FAM (0 IPv4, 1 IPv6), of the
 * view P takes?  Loc-RIB peers have one view (their L bit is not
 * post-policy, RFC 9069 4.1). */
static int
bmp_view_taken(const struct cpeer *p, const struct bmp_msg *m, unsigned fam)
{
	if (m->peer.type == BMP_PEER_LOC_RIB || p->bmp_view[fam] < 0)
		return 1;
	return p->bmp_view[fam] == ((m->peer.flags & BMP_PEER_F_L) != 0);
}

/* Is Peer Up or Down M of a view P takes for some address family (or has
 * P taken none yet)? */
static int
bmp_view_state_taken(const struct cpeer *p, const struct bmp_msg *m)
{
	int l = (m->peer.flags & BMP_PEER_F_L) != 0;
	if (m->peer.type == BMP_PEER_LOC_RIB ||
	    (p->bmp_view[0] < 0 && p->bmp_view[1] < 0))
		return 1;
	return p->bmp_view[0] == l || p->bmp_view[1] == l;
}

static struct cpeer *
bmp_peer(struct daemon *d, const char *router, const struct vg_addr *addr,
         uint32_t asn)
{
	struct cpeer *p = d->bmp_last;
	if (p && p->cfg.asn == asn && p->cfg.addr.afi == addr->afi &&
	    memcmp(p->cfg.addr.addr, addr->addr, 16) == 0 &&
	    strcmp(p->router, router) == 0)
		return p;
	for (unsigned i = 0; i < d->nslots; i++) {
		p = d->slots[i];
		if (p->bmp && p->cfg.asn == asn && p->cfg.addr.afi == addr->afi &&
		    memcmp(p->cfg.addr.addr, addr->addr, 16) == 0 &&
		    strcmp(p->router, router) == 0)
			return d->bmp_last = p;
	}
	struct collect_peer_cfg pc;
	memset(&pc, 0, sizeof(pc));
	pc.addr = *addr;
	if (pc.addr.afi == 0)
		pc.addr.afi = VG_AFI_IP4; /* Loc-RIB peers have no address */
	pc.asn = asn;
	if ((p = peer_new(d, &pc)) == NULL)
		return NULL;
	p->bmp = 1;
	p->bmp_local_as = d->cfg->local_as; /* until a Peer Up tells */
	bmp_view_reset(d, p);
	snprintf(p->router, sizeof(p->router), "%s", router);
	/* the contract's NAME/ROUTER, within the routing state's 31 bytes */
	if ((size_t)snprintf(p->coll, sizeof(p->coll), "%s/%s",
	                     d->cfg->collector, router) >= sizeof(p->coll))
		clog_printf("router=%s event=warning note=\"collector name "
		            "%s cut to 31 bytes\"", router, p->coll);
	if (slots_add(d, p) < 0) {
		event_free(p->gr_ev);
		free(p);
		return NULL;
	}
	return d->bmp_last = p;
}

/* The ADD-PATH bit of AFI/SAFI in cpeer.bmp_ap (IPv4/IPv6 x unicast,
 * multicast, labeled, VPN, as the BMP session tracks them); 0 for other
 * kinds. */
static uint16_t
bmp_ap_bit(unsigned afi, unsigned safi)
{
	unsigned k;
	if (afi != 1 && afi != 2)
		return 0;
	switch (safi) {
	case 1: k = 0; break;
	case 2: k = 1; break;
	case 4: k = 2; break;
	case 128: k = 3; break;
	default: return 0;
	}
	return (uint16_t)(1u << ((afi - 1) * 4 + k));
}

/* RFC 7911 4: SENDER sends path ids for an AFI/SAFI it offered to send
 * and RECEIVER to receive; ANY_MODE (Loc-RIB, RFC 9069 5.1): any ADD-PATH
 * capability in SENDER's made-up OPEN says the routes carry path ids. */
static uint16_t
bmp_ap_mask(const struct bgp_open *sender, const struct bgp_open *receiver,
            int any_mode)
{
	uint16_t m = 0;
	for (unsigned i = 0; i < sender->n_addpath; i++) {
		unsigned afi = sender->addpath[i].afi;
		unsigned safi = sender->addpath[i].safi;
		if (any_mode || ((sender->addpath[i].mode & 2) &&
		                 bgp_open_addpath(receiver, afi, safi, 1)))
			m |= bmp_ap_bit(afi, safi);
	}
	return m;
}

/* The AFI/SAFI an UPDATE's routes belong to: its MP attribute's, else
 * IPv4 unicast. */
static void
update_afi(const uint8_t *m, size_t len, unsigned *afi, unsigned *safi)
{
	size_t off = 19, wl, al;
	*afi = 1;
	*safi = 1;
	if (len < 23)
		return;
	wl = (size_t)m[off] << 8 | m[off + 1];
	off += 2 + wl;
	if (off + 2 > len)
		return;
	al = (size_t)m[off] << 8 | m[off + 1];
	off += 2;
	size_t end = off + al < len ? off + al : len;
	while (off + 3 <= end) {
		uint8_t fl = m[off], ty = m[off + 1];
		size_t h = (fl & BGP_ATTR_FLAG_EXTLEN) ? 4 : 3;
		if (off + h > end)
			break;
		size_t vl = (fl & BGP_ATTR_FLAG_EXTLEN)
		                ? ((size_t)m[off + 2] << 8 | m[off + 3])
		                : m[off + 2];
		if ((ty == BGP_ATTR_MP_REACH_NLRI || ty == BGP_ATTR_MP_UNREACH_NLRI) &&
		    vl >= 3 && off + h + 3 <= end) {
			*afi = (unsigned)m[off + h] << 8 | m[off + h + 1];
			*safi = m[off + h + 2];
			return;
		}
		off += h + vl;
	}
}

static void
bmp_on_msg(void *ctx, const char *router, const struct bmp_msg *m,
           const struct bmp_session *s)
{
	struct daemon *d = ctx;
	int locrib = m->peer.type == BMP_PEER_LOC_RIB;
	if (m->type != BMP_ROUTE_MONITORING || !m->has_peer ||
	    m->bgp_type != BGP_MSG_UPDATE ||
	    (!locrib && (m->peer.flags & BMP_PEER_F_O)))
		return; /* Adj-RIB-Out is what the router sends, not receives */
	struct cpeer *p = bmp_peer(d, router, &m->peer.addr, m->peer.asn);
	if (p == NULL)
		return;
	unsigned afi, safi;
	update_afi(m->bgp.p, m->bgp.len, &afi, &safi);
	unsigned fam = afi == VG_AFI_IP6;
	if (!bmp_view_taken(p, m, fam)) {
		/* the peer's other Adj-RIB-In view: counted, not used */
		p->bmp_other_view++;
		return;
	}
	if (p->bmp_view[fam] < 0 && !locrib) {
		char a[VG_ADDR_STRLEN];
		p->bmp_view[fam] = (m->peer.flags & BMP_PEER_F_L) != 0;
		clog_printf("router=%s peer=%s as=%u kind=bmp event=bmp-view "
		            "family=%s view=%s", router,
		            vg_addr_str(&p->cfg.addr, a), p->cfg.asn,
		            fam ? "ipv6" : "ipv4", bmp_view_name(p->bmp_view[fam]));
	}
	p->msgs_in++;
	p->updates++;
	p->bytes_in += m->bgp.len;
	/* The UPDATE is queued, and archived, as received: a BGP4MP_ET
	 * MESSAGE_AS4 from the monitored peer to the router, or MESSAGE
	 * (2-byte ASNs in the record and the AS_PATH) where the A flag says
	 * the AS_PATH is 2-byte (RFC 7854 4.2; never for Loc-RIB, RFC 9069
	 * 4.1); RFC 8050 _ADDPATH where the peer's Peer Up negotiated
	 * ADD-PATH for the UPDATE's AFI/SAFI. */
	unsigned fl = (!locrib && (m->peer.flags & BMP_PEER_F_A)) ? REC_AS2 : 0;
	if (p->bmp_ap & bmp_ap_bit(afi, safi))
		fl |= REC_ADDPATH;
	if (rec_message(&d->q, p, p->bmp_local_as, m->bgp.p, m->bgp.len, fl) < 0)
		clog_printf("event=error error=\"out of memory for a record\"");
	if (d->q.cur && d->q.cur->len >= CQ_CHUNK / 2)
		publish(d);
	(void)s;
}

/* The end of a read from a router: its records go to processing now, as a
 * BGP session's do after each read (else they would wait in the queue's
 * open chunk until a megabyte had piled up or a peer changed state). */
static void
bmp_on_batch(void *ctx, const char *router)
{
	(void)router;
	publish(ctx);
}

static void
bmp_on_peer(void *ctx, const char *router, const struct bmp_peer_info *pi,
            int up)
{
	struct daemon *d = ctx;
	char a[VG_ADDR_STRLEN], reason[160] = "";
	struct cpeer *p = bmp_peer(d, router, &pi->hdr.addr, pi->asn);
	if (p == NULL)
		return;
	if (pi->msg && !bmp_view_state_taken(p, pi->msg)) {
		/* the Peer Up or Down of a view not taken says nothing of the
		 * one that feeds the state (a router may stop monitoring the
		 * post-policy view of a peer whose session stays up) */
		clog_printf("router=%s peer=%s as=%u kind=bmp event=%s "
		            "view=%s note=\"view not taken, ignored\"", router,
		            vg_addr_str(&p->cfg.addr, a), p->cfg.asn,
		            up ? "bmp-peer-up" : "bmp-peer-down",
		            bmp_view_name((pi->hdr.flags & BMP_PEER_F_L) != 0));
		return;
	}
	unsigned from = up ? VG_STATE_IDLE : VG_STATE_ESTABLISHED;
	unsigned to = up ? VG_STATE_ESTABLISHED : VG_STATE_IDLE;
	if (up && pi->msg) {
		/* RFC 7911: path ids where the monitored peer sends them and
		 * the router receives them */
		const struct bmp_msg *m = pi->msg;
		int locrib = m->peer.type == BMP_PEER_LOC_RIB;
		p->bmp_ap = bmp_ap_mask(&m->rcvd, &m->sent, locrib);
		if (locrib)
			p->bmp_ap |= bmp_ap_mask(&m->sent, &m->rcvd, 1);
		/* the archive's local side is the router: its address on
		 * the monitored session and its AS (the OPEN it sent) */
		p->local_addr = m->local_addr;
		if (bgp_open_asn(&m->sent))
			p->bmp_local_as = bgp_open_asn(&m->sent);
		p->up_since = (uint32_t)time(NULL);
	}
	if (!up) {
		p->flaps += p->state == VG_STATE_ESTABLISHED;
		if (pi->notification) {
			reason_text(pi->notification->code,
			            pi->notification->subcode, reason,
			            sizeof(reason));
			p->notif_in++;
			snprintf(p->last_notif, sizeof(p->last_notif), "%s",
			         reason);
		}
	}
	if (p->state == to)
		return;
	p->state = (uint8_t)to;
	record_state(d, p, from, to);
	publish(d);
	clog_printf("router=%s peer=%s as=%u kind=bmp event=%s%s%s%s", router,
	            vg_addr_str(&p->cfg.addr, a), p->cfg.asn,
	            up ? "bmp-peer-up" : "bmp-peer-down",
	            reason[0] ? " reason=\"" : "", reason, reason[0] ? "\"" : "");
}

static void
bmp_on_router(void *ctx, const char *router, int up,
              const struct bmp_session_stats *st)
{
	struct daemon *d = ctx;
	clog_printf("router=%s event=%s msgs=%llu", router,
	            up ? "bmp-router-up" : "bmp-router-down",
	            (unsigned long long)(st ? st->msgs : 0));
	if (up)
		return;
	/* its monitored peers are gone with it */
	for (unsigned i = 0; i < d->nslots; i++) {
		struct cpeer *p = d->slots[i];
		if (p->bmp && strcmp(p->router, router) == 0)
			bmp_view_reset(d, p); /* chosen anew */
		if (p->bmp && strcmp(p->router, router) == 0 &&
		    p->state == VG_STATE_ESTABLISHED) {
			p->state = VG_STATE_IDLE;
			p->flaps++;
			record_state(d, p, VG_STATE_ESTABLISHED, VG_STATE_IDLE);
		}
	}
	publish(d);
}

static void
bmp_on_elem(void *ctx, const char *router, const struct vg_elem *e)
{
	/* routes travel as the UPDATEs (bmp_on_msg), states from the Peer
	 * Up/Down callback: nothing to do per element */
	(void)ctx;
	(void)router;
	(void)e;
}

/* ---- run ------------------------------------------------------------------ */

int
collect_run(struct collect_cfg *cfg, const struct collect_run_opts *ro)
{
	struct daemon d;
	char err[1400];
	int rc = 0;

	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	d.ro = ro;
	if (cfg->log[0]) {
		d.logf = fopen(cfg->log, "a");
		if (d.logf == NULL) {
			fprintf(stderr, "vigil collect: cannot open log %s: %s\n",
			        cfg->log, strerror(errno));
			return 2;
		}
		clog_open(d.logf, ro->foreground);
	} else {
		clog_open(stderr, 0);
	}
	if (evthread_use_pthreads() < 0 || (d.base = event_base_new()) == NULL) {
		fprintf(stderr, "vigil collect: cannot set up libevent\n");
		rc = 2;
		goto out_log;
	}
	if (cq_init(&d.q, cfg->queue_bytes) < 0) {
		rc = 2;
		goto out_base;
	}
	d.q.wake = wake_from_proc;
	d.q.wake_ctx = &d;
	if (cfg->archive[0] && access(cfg->archive, W_OK) < 0) {
		snprintf(err, sizeof(err), "archive directory %s: %s",
		         cfg->archive, strerror(errno));
		goto fail_early;
	}
	if ((d.pr = proc_new(cfg, &d.q, err, sizeof(err))) == NULL)
		goto fail_early;
	d.resume_ev = event_new(d.base, -1, 0, resume_cb, &d);
	d.status_ev = event_new(d.base, -1, EV_PERSIST, status_cb, &d);
	d.stop_ev = evtimer_new(d.base, stop_done_cb, &d);
	d.sig_hup = evsignal_new(d.base, SIGHUP, reload_cb, &d);
	d.sig_term = evsignal_new(d.base, SIGTERM, term_cb, &d);
	d.sig_int = evsignal_new(d.base, SIGINT, term_cb, &d);
	if (!d.resume_ev || !d.status_ev || !d.stop_ev || !d.sig_hup ||
	    !d.sig_term || !d.sig_int) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	signal(SIGPIPE, SIG_IGN);
	for (unsigned i = 0; i < cfg->nlisten; i++)
		if (listen_on(&d, &cfg->listen[i], err, sizeof(err)) < 0)
			goto fail;
	for (unsigned i = 0; i < cfg->nbmp; i++) {
		char as[VG_ADDR_STRLEN];
		vg_addr_str(&cfg->bmp_listen[i].addr, as);
		d.bmp[i] = bmp_listener_new(d.base, as, cfg->bmp_listen[i].port,
		                            bmp_on_elem, bmp_on_peer, &d, err,
		                            sizeof(err));
		if (d.bmp[i] == NULL)
			goto fail;
		d.nbmp++;
		bmp_listener_set_msg_cb(d.bmp[i], bmp_on_msg);
		bmp_listener_set_router_cb(d.bmp[i], bmp_on_router);
		bmp_listener_set_batch_cb(d.bmp[i], bmp_on_batch);
		clog_printf("event=listening kind=bmp addr=%s port=%u", as,
		            bmp_listener_port(d.bmp[i]));
	}
	if (apply_peers(&d, cfg, 0) < 0) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (proc_start(d.pr) < 0) {
		snprintf(err, sizeof(err), "cannot start the processing thread");
		goto fail;
	}
	struct timeval one = {1, 0};
	event_add(d.sig_hup, NULL);
	event_add(d.sig_term, NULL);
	event_add(d.sig_int, NULL);
	event_add(d.status_ev, &one);
	clog_printf("event=start collector=%s local_as=%u peers=%u archive=%s "
	            "db=%s bin=%u", cfg->collector, cfg->local_as, cfg->npeers,
	            cfg->archive[0] ? cfg->archive : "-",
	            cfg->db[0] ? cfg->db : "-", cfg->obs.bin_len);
	write_status(&d);
	/* The loop, one pass at a time.  When the routers trickle (a pass
	 * read under 1 KiB), nap 2 ms before the next pass: messages
	 * gather in the socket buffers and the next pass frames many per
	 * read instead of paying a wakeup and a read for each, as a NIC
	 * coalesces interrupts.  Timers (keepalives, hold: seconds) run at
	 * most that much late; an idle loop or a busy one never naps. */
	for (;;) {
		d.pass_bytes = 0;
		if (event_base_loop(d.base, EVLOOP_ONCE) != 0 ||
		    event_base_got_exit(d.base) || event_base_got_break(d.base))
			break;
		if (LOOP_NAP_NS > 0 && d.pass_bytes > 0 &&
		    d.pass_bytes < LOOP_SMALL_PASS) {
			struct timespec ts = {0, LOOP_NAP_NS};
			nanosleep(&ts, NULL);
		}
	}

	for (unsigned i = 0; i < d.nbmp; i++)
		bmp_listener_free(d.bmp[i]); /* router-down callbacks run */
	d.nbmp = 0;
	/* sessions that did not close by themselves */
	for (unsigned i = 0; i < d.nslots; i++) {
		struct cpeer *p = d.slots[i];
		if (p->sess)
			session_close(p->sess);
	}
	publish(&d);
	cq_close(&d.q);
	if (proc_join_free(d.pr, &d.final) < 0)
		rc = 2;
	d.pr = NULL;
	goto cleanup;

fail:
	proc_join_free(d.pr, NULL);
	d.pr = NULL;
fail_early:
	clog_printf("event=error error=\"%s\"", err);
	if (d.logf)
		fprintf(stderr, "vigil collect: %s\n", err);
	rc = 2;
cleanup:
	for (unsigned i = 0; i < d.nbmp; i++)
		bmp_listener_free(d.bmp[i]);
	for (unsigned i = 0; i < d.nlis; i++) {
		event_free(d.lis[i].ev);
		close(d.lis[i].fd);
	}
	/* sessions still closing */
	for (unsigned i = 0; i < d.nslots; i++) {
		struct cpeer *p = d.slots[i];
		event_free(p->gr_ev);
	}
	while (d.all)
		session_free(d.all);
	if (rc == 0) {
		/* final status: everyone is down */
		write_status(&d);
		clog_printf("event=stopped");
	}
	for (unsigned i = 0; i < d.nslots; i++)
		free(d.slots[i]);
	free(d.slots);
	if (d.resume_ev) event_free(d.resume_ev);
	if (d.status_ev) event_free(d.status_ev);
	if (d.stop_ev) event_free(d.stop_ev);
	if (d.sig_hup) event_free(d.sig_hup);
	if (d.sig_term) event_free(d.sig_term);
	if (d.sig_int) event_free(d.sig_int);
	cq_destroy(&d.q);
out_base:
	event_base_free(d.base);
out_log:
	clog_open(NULL, 0);
	if (d.logf)
		fclose(d.logf);
	collect_cfg_free(cfg);
	return rc;
}
