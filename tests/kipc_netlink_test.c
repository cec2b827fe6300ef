// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "kipc" (uapi/linux/kipc_netlink.h), spoken
 * with libnl-genl-3 and checked byte by byte:
 *
 * - the family, its version and its "events" group;
 * - KIPC_CMD_GET_OBJECT dumps: every attribute of queues (named,
 *   anonymous, persistent, shut down, dead, with blocked tasks), regions
 *   (robust locks with holders, waiters, owner-died and not-recoverable
 *   states; orphaning), rings (fill, producer and consumer, a gone peer)
 *   and events, compared with what the objects' stat calls report and
 *   with what the test did to them; every attribute has its exact type
 *   and size, appears once, and nothing unknown is sent;
 * - GET_OBJECT by name (with and without '/') and by id, and its errors;
 *   a do and a dump of a quiet object are the same message;
 * - KIPC_CMD_GET_MODULE against the module parameters and the objects the
 *   test creates;
 * - events: CREATED, SHUTDOWN, DROP and OVERFLOW (rate-limited),
 *   OWNER_DIED (with the pid, also after kill -9) and DESTROYED, with
 *   their attributes, for each kind; a socket receives events only after
 *   it subscribes with KIPC_CMD_NOTIFY, and only once;
 * - IPC namespace isolation of dumps, gets, module counts and events;
 * - dumps racing the creation and destruction of objects;
 * - malformed requests (missing, oversized, wrong-type, unknown and
 *   truncated attributes, bad commands) get an error, never a crash, and
 *   a few thousand random ones leave the family working.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/kipc_netlink.h>

#include "kipc_test.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* ---------------------------------------------------------------------
 * A libnl socket of the family and a strict request/response loop.
 */

struct nlt {
	struct nl_sock *sk;
	int family;
	uint32_t seq;			/* for hand-built requests */
};

/* The messages answering one request, copied out of the socket. */
struct nlt_reply {
	int err;			/* NLMSG_ERROR's or NLMSG_DONE's */
	char extack[256];
	size_t n;
	struct nlmsghdr **msgs;
	bool dump_intr;
};

static void nlt_reply_free(struct nlt_reply *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->msgs[i]);
	free(r->msgs);
	memset(r, 0, sizeof(*r));
}

static int nlt_open(struct nlt *t)
{
	struct timeval tv = { .tv_sec = 30 };
	int one = 1, fd;

	memset(t, 0, sizeof(*t));
	t->sk = nl_socket_alloc();
	if (!t->sk)
		return -ENOMEM;
	if (genl_connect(t->sk)) {
		nl_socket_free(t->sk);
		return -EIO;
	}
	nl_socket_enable_msg_peek(t->sk);
	fd = nl_socket_get_fd(t->sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* A reply that never comes fails the test instead of hanging it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t->family = genl_ctrl_resolve(t->sk, KIPC_GENL_NAME);
	if (t->family < 0) {
		nl_socket_free(t->sk);
		t->sk = NULL;
		return -ENOENT;
	}
	/* Replies are matched by nlt_collect(), which libnl does not see. */
	nl_socket_disable_seq_check(t->sk);
	t->seq = 0x10000000;
	return 0;
}

static void nlt_close(struct nlt *t)
{
	if (t->sk)
		nl_socket_free(t->sk);
	t->sk = NULL;
}

static void nlt_extack(struct nlt_reply *r, struct nlmsghdr *h, size_t off)
{
	struct nlattr *a;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_ALIGN(off);
	if (h->nlmsg_len < NLMSG_HDRLEN + off)
		return;
	a = nla_find((struct nlattr *)((char *)nlmsg_data(h) + off),
		     h->nlmsg_len - NLMSG_HDRLEN - off, NLMSGERR_ATTR_MSG);
	if (a)
		snprintf(r->extack, sizeof(r->extack), "%.*s", nla_len(a),
			 (char *)nla_data(a));
}

/*
 * Read until the request @seq is answered: its replies are copied into
 * @r; the ack or NLMSG_DONE sets r->err.  Other messages (events) are
 * ignored.  0, or -ETIMEDOUT / -EIO when the socket fails.
 */
static int nlt_collect(struct nlt *t, uint32_t seq, struct nlt_reply *r)
{
	for (;;) {
		struct sockaddr_nl peer;
		unsigned char *buf = NULL;
		struct nlmsghdr *h;
		bool done = false;
		int n, len;

		n = nl_recv(t->sk, &peer, &buf, NULL);
		if (n <= 0) {
			free(buf);
			return n == -NLE_AGAIN ? -ETIMEDOUT : -EIO;
		}
		len = n;
		for (h = (void *)buf; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = nlmsg_data(h);
				size_t off = sizeof(*e);

				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - NLMSG_HDRLEN;
				r->err = e->error;
				nlt_extack(r, h, off);
				done = true;
			} else if (h->nlmsg_type == NLMSG_DONE) {
				if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					memcpy(&r->err, nlmsg_data(h), sizeof(int));
				nlt_extack(r, h, sizeof(int));
				done = true;
			} else {
				struct nlmsghdr **v;

				v = realloc(r->msgs, (r->n + 1) * sizeof(*v));
				if (!v)
					abort();
				r->msgs = v;
				v[r->n] = malloc(h->nlmsg_len);
				if (!v[r->n])
					abort();
				memcpy(v[r->n], h, h->nlmsg_len);
				r->n++;
				if (h->nlmsg_flags & NLM_F_DUMP_INTR)
					r->dump_intr = true;
			}
		}
		free(buf);
		if (done)
			return 0;
	}
}

/* Send a libnl-built request (freed here) and collect its answer. */
static int nlt_xfer(struct nlt *t, struct nl_msg *m, struct nlt_reply *r)
{
	uint32_t seq;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = nl_send_auto(t->sk, m);
	seq = nlmsg_hdr(m)->nlmsg_seq;
	nlmsg_free(m);
	if (ret < 0)
		return -EIO;
	return nlt_collect(t, seq, r);
}

static struct nl_msg *nlt_msg(struct nlt *t, uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc();

	if (!m || !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, t->family, 0,
			       flags, cmd, KIPC_GENL_VERSION))
		abort();
	return m;
}

static int nlt_dump(struct nlt *t, struct nlt_reply *r)
{
	return nlt_xfer(t, nlt_msg(t, KIPC_CMD_GET_OBJECT, NLM_F_DUMP), r);
}

static int nlt_get_name(struct nlt *t, const char *name, struct nlt_reply *r)
{
	struct nl_msg *m = nlt_msg(t, KIPC_CMD_GET_OBJECT, 0);

	nla_put_string(m, KIPC_A_OBJ_NAME, name);
	return nlt_xfer(t, m, r);
}

static int nlt_get_id(struct nlt *t, uint32_t id, struct nlt_reply *r)
{
	struct nl_msg *m = nlt_msg(t, KIPC_CMD_GET_OBJECT, 0);

	nla_put_u32(m, KIPC_A_OBJ_ID, id);
	return nlt_xfer(t, m, r);
}

/* ---------------------------------------------------------------------
 * Strict parsing: each attribute known, of its exact size, once.
 */

enum { T_NONE, T_U8, T_U32, T_U64, T_FLAG, T_STR, T_NEST, T_PAD };

/* Attributes of an object message (GET_OBJECT). */
static const uint8_t obj_types[KIPC_A_MAX + 1] = {
	[KIPC_A_OBJ_ID]		= T_U32,
	[KIPC_A_OBJ_KIND]	= T_U32,
	[KIPC_A_OBJ_NAME]	= T_STR,
	[KIPC_A_OBJ_STATE]	= T_U32,
	[KIPC_A_OBJ_OWNER_PID]	= T_U32,
	[KIPC_A_OBJ_UID]	= T_U32,
	[KIPC_A_OBJ_GID]	= T_U32,
	[KIPC_A_OBJ_MODE]	= T_U32,
	[KIPC_A_OBJ_PERSIST]	= T_FLAG,
	[KIPC_A_OBJ_HANDLES]	= T_U32,
	[KIPC_A_OBJ_READERS]	= T_U32,
	[KIPC_A_OBJ_WRITERS]	= T_U32,
	[KIPC_A_OBJ_OWNER_ALIVE] = T_U8,
	[KIPC_A_QUEUE]		= T_NEST,
	[KIPC_A_REGION]		= T_NEST,
	[KIPC_A_EVENT]		= T_NEST,
	[KIPC_A_PAD]		= T_PAD,
};

/* Attributes of a KIPC_CMD_NOTIFY message. */
static const uint8_t notify_types[KIPC_A_MAX + 1] = {
	[KIPC_A_OBJ_ID]		= T_U32,
	[KIPC_A_OBJ_KIND]	= T_U32,
	[KIPC_A_OBJ_NAME]	= T_STR,
	[KIPC_A_NOTIFY_TYPE]	= T_U32,
	[KIPC_A_NOTIFY_PID]	= T_U32,
};

static const uint8_t queue_types[KIPC_A_Q_MAX + 1] = {
	[KIPC_A_Q_DEPTH_MSGS]		= T_U64,
	[KIPC_A_Q_DEPTH_BYTES]		= T_U64,
	[KIPC_A_Q_MAX_MSGS]		= T_U64,
	[KIPC_A_Q_MAX_BYTES]		= T_U64,
	[KIPC_A_Q_MAX_MSG_SIZE]		= T_U64,
	[KIPC_A_Q_HIGH_WATER]		= T_U64,
	[KIPC_A_Q_SENT]			= T_U64,
	[KIPC_A_Q_RECEIVED]		= T_U64,
	[KIPC_A_Q_DROPPED_NEW]		= T_U64,
	[KIPC_A_Q_DROPPED_OLDEST]	= T_U64,
	[KIPC_A_Q_CONFLATED]		= T_U64,
	[KIPC_A_Q_REJECTED]		= T_U64,
	[KIPC_A_Q_TIMEOUTS]		= T_U64,
	[KIPC_A_Q_WAKEUPS]		= T_U64,
	[KIPC_A_Q_POLICY]		= T_U32,
	[KIPC_A_Q_FLAGS]		= T_U32,
	[KIPC_A_Q_BLOCKED_SENDERS]	= T_U32,
	[KIPC_A_Q_BLOCKED_RECEIVERS]	= T_U32,
	[KIPC_A_Q_PAD]			= T_PAD,
	[KIPC_A_Q_INFLIGHT_MSGS]	= T_U64,
	[KIPC_A_Q_INFLIGHT_BYTES]	= T_U64,
	[KIPC_A_Q_LEASED]		= T_U64,
	[KIPC_A_Q_ACKED]		= T_U64,
	[KIPC_A_Q_NACKED]		= T_U64,
	[KIPC_A_Q_EXPIRED]		= T_U64,
	[KIPC_A_Q_REDELIVERED]		= T_U64,
	[KIPC_A_Q_DEAD_LETTERED]	= T_U64,
	[KIPC_A_Q_DEAD_DROPPED]		= T_U64,
	[KIPC_A_Q_MAX_DELIVERIES]	= T_U32,
	[KIPC_A_Q_LEASE_TIMEOUT_MS]	= T_U32,
	[KIPC_A_Q_LEASES]		= T_NEST,
};

static const uint8_t region_types[KIPC_A_R_MAX + 1] = {
	[KIPC_A_R_SIZE]		= T_U64,
	[KIPC_A_R_WAITERS]	= T_U32,
	[KIPC_A_R_ORPHANED]	= T_U8,
	[KIPC_A_R_OWNER_DIED]	= T_U32,
	[KIPC_A_R_LOCK]		= T_NEST,
	[KIPC_A_R_RING]		= T_NEST,
	[KIPC_A_R_PAD]		= T_PAD,
};

static const uint8_t lock_types[KIPC_A_L_MAX + 1] = {
	[KIPC_A_L_OFFSET]		= T_U64,
	[KIPC_A_L_WORD]			= T_U32,
	[KIPC_A_L_HOLDER_PID]		= T_U32,
	[KIPC_A_L_OWNER_DIED]		= T_FLAG,
	[KIPC_A_L_NOTRECOVERABLE]	= T_FLAG,
	[KIPC_A_L_WAITERS]		= T_U32,
	[KIPC_A_L_PAD]			= T_PAD,
	[KIPC_A_L_HOLDER_TID]		= T_U32,
};

static const uint8_t ring_types[KIPC_A_RING_MAX + 1] = {
	[KIPC_A_RING_CAPACITY]		= T_U32,
	[KIPC_A_RING_USED]		= T_U32,
	[KIPC_A_RING_PRODUCER_PID]	= T_U32,
	[KIPC_A_RING_CONSUMER_PID]	= T_U32,
	[KIPC_A_RING_PRODUCER_GONE]	= T_FLAG,
	[KIPC_A_RING_CONSUMER_GONE]	= T_FLAG,
};

static const uint8_t event_types[KIPC_A_E_MAX + 1] = {
	[KIPC_A_E_KIND]		= T_U32,
	[KIPC_A_E_COUNT]	= T_U64,
	[KIPC_A_E_POSTS]	= T_U64,
	[KIPC_A_E_WAITS]	= T_U64,
	[KIPC_A_E_WAITERS]	= T_U32,
	[KIPC_A_E_PAD]		= T_PAD,
};

static const uint8_t module_types[KIPC_A_M_MAX + 1] = {
	[KIPC_A_M_MAX_OBJECTS]		= T_U32,
	[KIPC_A_M_MAX_USER_BYTES]	= T_U64,
	[KIPC_A_M_MAX_MSG_SIZE]		= T_U32,
	[KIPC_A_M_MAX_REGION_SIZE]	= T_U64,
	[KIPC_A_M_LIVE_OBJECTS]		= T_U32,
	[KIPC_A_M_NS_OBJECTS]		= T_U32,
	[KIPC_A_M_USER_BYTES]		= T_U64,
	[KIPC_A_M_PAD]			= T_PAD,
};

#define ERR(buf, ...)	snprintf(buf, 256, __VA_ARGS__)

/*
 * Check the attributes in [@head, @head + @len) against @types: known,
 * the exact size, NLA_F_NESTED exactly on nests, not repeated (except
 * type @repeat), strings NUL-terminated, no bytes left over.  Fills @tb;
 * 0, or -1 with the first violation in @err.
 */
static int check_attrs(struct nlattr *head, int len, const uint8_t *types,
		       int maxtype, int repeat, struct nlattr **tb,
		       const char *where, char *err)
{
	struct nlattr *a;
	int rem;

	memset(tb, 0, (maxtype + 1) * sizeof(*tb));
	nla_for_each_attr(a, head, len, rem) {
		int type = nla_type(a), l = nla_len(a);
		bool nested = a->nla_type & NLA_F_NESTED;
		bool ok;

		if (type < 1 || type > maxtype || types[type] == T_NONE) {
			ERR(err, "%s: unexpected attribute %d (len %d)", where,
			    type, l);
			return -1;
		}
		switch (types[type]) {
		case T_U8:	ok = l == 1; break;
		case T_U32:	ok = l == 4; break;
		case T_U64:	ok = l == 8; break;
		case T_FLAG:	ok = l == 0; break;
		case T_STR:
			ok = l >= 2 && l <= KIPC_NAME_MAX + 2 &&
			     ((char *)nla_data(a))[l - 1] == '\0' &&
			     strlen(nla_data(a)) == (size_t)l - 1;
			break;
		default:	ok = true; break;
		}
		if (!ok) {
			ERR(err, "%s: attribute %d has a bad size %d", where,
			    type, l);
			return -1;
		}
		if (nested != (types[type] == T_NEST)) {
			ERR(err, "%s: attribute %d: NLA_F_NESTED %s", where,
			    type, nested ? "set" : "missing");
			return -1;
		}
		if (tb[type] && type != repeat) {
			ERR(err, "%s: attribute %d repeated", where, type);
			return -1;
		}
		tb[type] = a;
	}
	if (rem) {
		ERR(err, "%s: %d bytes left over after the attributes", where,
		    rem);
		return -1;
	}
	return 0;
}

/* Every attribute of @need is in @tb. */
static int check_present(struct nlattr **tb, const int *need, size_t n,
			 const char *where, char *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!tb[need[i]]) {
			ERR(err, "%s: attribute %d missing", where, need[i]);
			return -1;
		}
	}
	return 0;
}

#define MAX_LOCKS	8

/* One object message, checked; the pointers point into its reply. */
struct tobj {
	struct nlattr *a[KIPC_A_MAX + 1];
	struct nlattr *q[KIPC_A_Q_MAX + 1];
	struct nlattr *r[KIPC_A_R_MAX + 1];
	struct nlattr *ring[KIPC_A_RING_MAX + 1];
	struct nlattr *e[KIPC_A_E_MAX + 1];
	struct nlattr *lock[MAX_LOCKS][KIPC_A_L_MAX + 1];
	int nlocks;
	struct nlmsghdr *nlh;
	char err[256];
};

static struct genlmsghdr *check_genl(struct nlmsghdr *h, int family,
				     uint8_t cmd, char *err)
{
	struct genlmsghdr *gh;

	if (h->nlmsg_type != family) {
		ERR(err, "message type %d, not the family's %d", h->nlmsg_type,
		    family);
		return NULL;
	}
	if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		ERR(err, "message of %u bytes", h->nlmsg_len);
		return NULL;
	}
	gh = nlmsg_data(h);
	if (gh->cmd != cmd) {
		ERR(err, "genl command %d, expected %d", gh->cmd, cmd);
		return NULL;
	}
	if (gh->version != KIPC_GENL_VERSION) {
		ERR(err, "genl version %d", gh->version);
		return NULL;
	}
	return gh;
}

static int parse_obj(struct nlmsghdr *h, int family, struct tobj *o)
{
	static const int need[] = {
		KIPC_A_OBJ_ID, KIPC_A_OBJ_KIND, KIPC_A_OBJ_STATE,
		KIPC_A_OBJ_OWNER_PID, KIPC_A_OBJ_UID, KIPC_A_OBJ_GID,
		KIPC_A_OBJ_MODE, KIPC_A_OBJ_HANDLES, KIPC_A_OBJ_READERS,
		KIPC_A_OBJ_WRITERS, KIPC_A_OBJ_OWNER_ALIVE,
	};
	static const int need_q[] = {
		KIPC_A_Q_DEPTH_MSGS, KIPC_A_Q_DEPTH_BYTES, KIPC_A_Q_MAX_MSGS,
		KIPC_A_Q_MAX_BYTES, KIPC_A_Q_MAX_MSG_SIZE, KIPC_A_Q_HIGH_WATER,
		KIPC_A_Q_SENT, KIPC_A_Q_RECEIVED, KIPC_A_Q_DROPPED_NEW,
		KIPC_A_Q_DROPPED_OLDEST, KIPC_A_Q_CONFLATED,
		KIPC_A_Q_REJECTED, KIPC_A_Q_TIMEOUTS, KIPC_A_Q_WAKEUPS,
		KIPC_A_Q_POLICY, KIPC_A_Q_FLAGS, KIPC_A_Q_BLOCKED_SENDERS,
		KIPC_A_Q_BLOCKED_RECEIVERS,
	};
	static const int need_r[] = {
		KIPC_A_R_SIZE, KIPC_A_R_WAITERS, KIPC_A_R_ORPHANED,
		KIPC_A_R_OWNER_DIED,
	};
	static const int need_l[] = {
		KIPC_A_L_OFFSET, KIPC_A_L_WORD, KIPC_A_L_WAITERS,
	};
	static const int need_ring[] = {
		KIPC_A_RING_CAPACITY, KIPC_A_RING_USED,
	};
	static const int need_e[] = {
		KIPC_A_E_KIND, KIPC_A_E_COUNT, KIPC_A_E_POSTS, KIPC_A_E_WAITS,
		KIPC_A_E_WAITERS,
	};
	struct genlmsghdr *gh;
	struct nlattr *a;
	uint32_t kind;
	int rem, nests;

	memset(o, 0, sizeof(*o));
	o->nlh = h;
	gh = check_genl(h, family, KIPC_CMD_GET_OBJECT, o->err);
	if (!gh)
		return -1;
	if (check_attrs(genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			obj_types, KIPC_A_MAX, -1, o->a, "object", o->err) ||
	    check_present(o->a, need, ARRAY_SIZE(need), "object", o->err))
		return -1;
	kind = nla_get_u32(o->a[KIPC_A_OBJ_KIND]);
	nests = !!o->a[KIPC_A_QUEUE] + !!o->a[KIPC_A_REGION] +
		!!o->a[KIPC_A_EVENT];
	if (nests != 1) {
		ERR(o->err, "object: %d kind nests", nests);
		return -1;
	}
	switch (kind) {
	case KIPC_KIND_QUEUE:
		if (!o->a[KIPC_A_QUEUE]) {
			ERR(o->err, "a queue without KIPC_A_QUEUE");
			return -1;
		}
		if (check_attrs(nla_data(o->a[KIPC_A_QUEUE]),
				nla_len(o->a[KIPC_A_QUEUE]), queue_types,
				KIPC_A_Q_MAX, -1, o->q, "queue", o->err) ||
		    check_present(o->q, need_q, ARRAY_SIZE(need_q), "queue",
				  o->err))
			return -1;
		break;
	case KIPC_KIND_REGION:
		if (!o->a[KIPC_A_REGION]) {
			ERR(o->err, "a region without KIPC_A_REGION");
			return -1;
		}
		if (check_attrs(nla_data(o->a[KIPC_A_REGION]),
				nla_len(o->a[KIPC_A_REGION]), region_types,
				KIPC_A_R_MAX, KIPC_A_R_LOCK, o->r, "region",
				o->err) ||
		    check_present(o->r, need_r, ARRAY_SIZE(need_r), "region",
				  o->err))
			return -1;
		nla_for_each_nested(a, o->a[KIPC_A_REGION], rem) {
			if (nla_type(a) != KIPC_A_R_LOCK)
				continue;
			if (o->nlocks == MAX_LOCKS) {
				ERR(o->err, "region: more than %d locks",
				    MAX_LOCKS);
				return -1;
			}
			if (check_attrs(nla_data(a), nla_len(a), lock_types,
					KIPC_A_L_MAX, -1, o->lock[o->nlocks],
					"lock", o->err) ||
			    check_present(o->lock[o->nlocks], need_l,
					  ARRAY_SIZE(need_l), "lock", o->err))
				return -1;
			o->nlocks++;
		}
		if (o->r[KIPC_A_R_RING] &&
		    (check_attrs(nla_data(o->r[KIPC_A_R_RING]),
				 nla_len(o->r[KIPC_A_R_RING]), ring_types,
				 KIPC_A_RING_MAX, -1, o->ring, "ring",
				 o->err) ||
		     check_present(o->ring, need_ring, ARRAY_SIZE(need_ring),
				   "ring", o->err)))
			return -1;
		break;
	case KIPC_KIND_EVENT:
		if (!o->a[KIPC_A_EVENT]) {
			ERR(o->err, "an event without KIPC_A_EVENT");
			return -1;
		}
		if (check_attrs(nla_data(o->a[KIPC_A_EVENT]),
				nla_len(o->a[KIPC_A_EVENT]), event_types,
				KIPC_A_E_MAX, -1, o->e, "event", o->err) ||
		    check_present(o->e, need_e, ARRAY_SIZE(need_e), "event",
				  o->err))
			return -1;
		break;
	default:
		ERR(o->err, "object: unknown kind %u", kind);
		return -1;
	}
	return 0;
}

/*
 * Check every message of a dump; find the one of object @id in @o.
 * Returns how many messages had that id, or -1 (o->err says why) when a
 * message is malformed or an id appears twice.
 */
static int dump_find(int family, struct nlt_reply *r, uint32_t id,
		     struct tobj *o)
{
	struct tobj tmp;
	uint32_t *ids;
	size_t i, j;
	int found = 0;

	memset(o, 0, sizeof(*o));
	if (r->err) {
		ERR(o->err, "dump failed: %d (%.200s)", r->err, r->extack);
		return -1;
	}
	ids = calloc(r->n + 1, sizeof(*ids));
	for (i = 0; i < r->n; i++) {
		if (parse_obj(r->msgs[i], family, &tmp)) {
			memcpy(o->err, tmp.err, sizeof(o->err));
			free(ids);
			return -1;
		}
		ids[i] = nla_get_u32(tmp.a[KIPC_A_OBJ_ID]);
		for (j = 0; j < i; j++) {
			if (ids[j] == ids[i]) {
				ERR(o->err, "object %u dumped twice", ids[i]);
				free(ids);
				return -1;
			}
		}
		if (ids[i] == id) {
			*o = tmp;
			found++;
		}
	}
	free(ids);
	return found;
}

/* Dump, then dump_find(); the reply stays in @r for @o's pointers. */
static int dump_obj(struct nlt *t, uint32_t id, struct tobj *o,
		    struct nlt_reply *r)
{
	int ret = nlt_dump(t, r);

	if (ret) {
		memset(o, 0, sizeof(*o));
		ERR(o->err, "dump: %d", ret);
		return -1;
	}
	return dump_find(t->family, r, id, o);
}

/* GET by id into @o; the kernel's errno (0) or -1 if malformed. */
static int get_obj(struct nlt *t, uint32_t id, struct tobj *o,
		   struct nlt_reply *r)
{
	int ret = nlt_get_id(t, id, r);

	memset(o, 0, sizeof(*o));
	if (ret) {
		ERR(o->err, "get: %d", ret);
		return -1;
	}
	if (r->err)
		return r->err;
	if (r->n != 1) {
		ERR(o->err, "get: %zu replies", r->n);
		return -1;
	}
	return parse_obj(r->msgs[0], t->family, o);
}

static struct nlattr **find_lock(struct tobj *o, uint64_t off)
{
	int i;

	for (i = 0; i < o->nlocks; i++)
		if (nla_get_u64(o->lock[i][KIPC_A_L_OFFSET]) == off)
			return o->lock[i];
	return NULL;
}

/* EXPECT an attribute present with a value. */
#define EXPECT_ATTR(tb, attr, get, want) do {				\
	EXPECT_TRUE((tb)[attr] != NULL) TH_LOG("%s is missing", #attr);	\
	if ((tb)[attr]) {						\
		EXPECT_EQ((uint64_t)(want), (uint64_t)get((tb)[attr]))	\
			TH_LOG("%s", #attr);				\
	}								\
} while (0)

#define EXPECT_U32(tb, attr, want)	EXPECT_ATTR(tb, attr, nla_get_u32, want)
#define EXPECT_U64(tb, attr, want)	EXPECT_ATTR(tb, attr, nla_get_u64, want)
#define EXPECT_U8(tb, attr, want)	EXPECT_ATTR(tb, attr, nla_get_u8, want)
#define EXPECT_ABSENT(tb, attr)						\
	EXPECT_TRUE((tb)[attr] == NULL) TH_LOG("%s is present", #attr)
#define EXPECT_PRESENT(tb, attr)					\
	EXPECT_TRUE((tb)[attr] != NULL) TH_LOG("%s is missing", #attr)

/* The queue nest holds exactly what kipc_queue_stat() says. */
#define EXPECT_QUEUE_IS_STAT(o, st) do {				\
	EXPECT_U64((o).q, KIPC_A_Q_DEPTH_MSGS, (st).depth_msgs);	\
	EXPECT_U64((o).q, KIPC_A_Q_DEPTH_BYTES, (st).depth_bytes);	\
	EXPECT_U64((o).q, KIPC_A_Q_MAX_MSGS, (st).max_msgs);		\
	EXPECT_U64((o).q, KIPC_A_Q_MAX_BYTES, (st).max_bytes);		\
	EXPECT_U64((o).q, KIPC_A_Q_MAX_MSG_SIZE, (st).max_msg_size);	\
	EXPECT_U64((o).q, KIPC_A_Q_HIGH_WATER, (st).high_water);	\
	EXPECT_U64((o).q, KIPC_A_Q_SENT, (st).sent);			\
	EXPECT_U64((o).q, KIPC_A_Q_RECEIVED, (st).received);		\
	EXPECT_U64((o).q, KIPC_A_Q_DROPPED_NEW, (st).dropped_new);	\
	EXPECT_U64((o).q, KIPC_A_Q_DROPPED_OLDEST, (st).dropped_oldest);\
	EXPECT_U64((o).q, KIPC_A_Q_CONFLATED, (st).conflated);		\
	EXPECT_U64((o).q, KIPC_A_Q_REJECTED, (st).rejected);		\
	EXPECT_U64((o).q, KIPC_A_Q_TIMEOUTS, (st).timeouts);		\
	EXPECT_U64((o).q, KIPC_A_Q_WAKEUPS, (st).wakeups);		\
	EXPECT_U32((o).q, KIPC_A_Q_POLICY, (st).policy);		\
	EXPECT_U32((o).q, KIPC_A_Q_FLAGS, (st).flags);			\
	EXPECT_U32((o).q, KIPC_A_Q_BLOCKED_SENDERS, (st).blocked_senders);\
	EXPECT_U32((o).q, KIPC_A_Q_BLOCKED_RECEIVERS,			\
		   (st).blocked_receivers);				\
	EXPECT_U32((o).a, KIPC_A_OBJ_STATE, (st).state);		\
	EXPECT_U32((o).a, KIPC_A_OBJ_OWNER_PID, (st).owner_pid);	\
	EXPECT_U32((o).a, KIPC_A_OBJ_READERS, (st).receivers);		\
	EXPECT_U32((o).a, KIPC_A_OBJ_WRITERS, (st).senders);		\
} while (0)

/* ---------------------------------------------------------------------
 * Events.
 */

struct tev {
	uint32_t type, id, kind, pid;
	bool has_kind, has_name, has_pid;
	char name[KIPC_NAME_MAX + 2];
	char err[256];
};

#define MAX_SEEN	512

/* More namespaces than the whole table (4096) needs at 32 each. */
#define KIPC_GENL_MAX_SUBS_GUESS	(4096 / KIPC_GENL_USER_SUBS_MAX + 4)

/* A subscribed socket and the events read from it so far. */
struct evsock {
	struct nlt t;
	struct tev seen[MAX_SEEN];
	int nseen;
	int bad;			/* malformed events */
	char bad_err[256];
};

static int parse_event(struct nlmsghdr *h, int family, struct tev *ev)
{
	struct nlattr *tb[KIPC_A_MAX + 1];
	struct genlmsghdr *gh;

	memset(ev, 0, sizeof(*ev));
	gh = check_genl(h, family, KIPC_CMD_NOTIFY, ev->err);
	if (!gh)
		return -1;
	if (check_attrs(genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			notify_types, KIPC_A_MAX, -1, tb, "notify", ev->err))
		return -1;
	if (!tb[KIPC_A_NOTIFY_TYPE] || !tb[KIPC_A_OBJ_ID] ||
	    !tb[KIPC_A_OBJ_KIND]) {
		ERR(ev->err, "notify: type, id or kind missing");
		return -1;
	}
	ev->type = nla_get_u32(tb[KIPC_A_NOTIFY_TYPE]);
	ev->id = nla_get_u32(tb[KIPC_A_OBJ_ID]);
	ev->has_kind = true;
	ev->kind = nla_get_u32(tb[KIPC_A_OBJ_KIND]);
	if (tb[KIPC_A_OBJ_NAME]) {
		ev->has_name = true;
		snprintf(ev->name, sizeof(ev->name), "%s",
			 (char *)nla_data(tb[KIPC_A_OBJ_NAME]));
	}
	if (tb[KIPC_A_NOTIFY_PID]) {
		ev->has_pid = true;
		ev->pid = nla_get_u32(tb[KIPC_A_NOTIFY_PID]);
	}
	if (ev->type < KIPC_NOTIFY_CREATED || ev->type > KIPC_NOTIFY_MAX) {
		ERR(ev->err, "notify: unknown type %u", ev->type);
		return -1;
	}
	if (ev->has_pid != (ev->type == KIPC_NOTIFY_OWNER_DIED)) {
		ERR(ev->err, "notify: type %u %s KIPC_A_NOTIFY_PID", ev->type,
		    ev->has_pid ? "with" : "without");
		return -1;
	}
	return 0;
}

/* Join the events group and send KIPC_CMD_NOTIFY; 0 or -errno. */
static int ev_subscribe(struct nlt *t)
{
	struct nlt_reply r;
	int grp, ret;

	grp = genl_ctrl_resolve_grp(t->sk, KIPC_GENL_NAME,
				    KIPC_GENL_MCGRP_EVENTS);
	if (grp < 0)
		return -ENOENT;
	if (nl_socket_add_membership(t->sk, grp))
		return -EIO;
	ret = nlt_xfer(t, nlt_msg(t, KIPC_CMD_NOTIFY, 0), &r);
	if (!ret)
		ret = r.err;
	nlt_reply_free(&r);
	return ret;
}

static int ev_open(struct evsock *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = nlt_open(&s->t);
	if (!ret)
		ret = ev_subscribe(&s->t);
	return ret;
}

/*
 * Read events for up to @ms until one of @type (0: any) about @id arrives;
 * every event read is appended to s->seen.  Returns its index in seen[],
 * or -ETIMEDOUT.
 */
static int ev_wait(struct evsock *s, uint32_t type, uint32_t id, int ms)
{
	int64_t end = kt_now_ns() + (int64_t)ms * MS;
	struct pollfd pfd = { .fd = nl_socket_get_fd(s->t.sk),
			      .events = POLLIN };

	for (;;) {
		int64_t left = (end - kt_now_ns()) / MS;
		struct sockaddr_nl peer;
		unsigned char *buf = NULL;
		struct nlmsghdr *h;
		int n, len, match = -1;

		if (left < 0 || poll(&pfd, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		n = nl_recv(s->t.sk, &peer, &buf, NULL);
		if (n <= 0) {
			free(buf);
			return -EIO;
		}
		len = n;
		for (h = (void *)buf; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			struct tev ev;

			if (h->nlmsg_type == NLMSG_ERROR ||
			    h->nlmsg_type == NLMSG_DONE)
				continue;
			if (parse_event(h, s->t.family, &ev)) {
				if (!s->bad++)
					memcpy(s->bad_err, ev.err,
					       sizeof(s->bad_err));
				continue;
			}
			if (s->nseen == MAX_SEEN)
				continue;
			s->seen[s->nseen] = ev;
			if (match < 0 && ev.id == id &&
			    (!type || ev.type == type))
				match = s->nseen;
			s->nseen++;
		}
		free(buf);
		if (match >= 0)
			return match;
	}
}

/* Like ev_wait(), but an event already read counts too. */
static int ev_find(struct evsock *s, uint32_t type, uint32_t id, int ms)
{
	int i;

	for (i = 0; i < s->nseen; i++)
		if (s->seen[i].id == id && (!type || s->seen[i].type == type))
			return i;
	return ev_wait(s, type, id, ms);
}

/* How many seen events are of @type (0: any) about @id. */
static int ev_count(const struct evsock *s, uint32_t type, uint32_t id)
{
	int i, n = 0;

	for (i = 0; i < s->nseen; i++)
		if (s->seen[i].id == id && (!type || s->seen[i].type == type))
			n++;
	return n;
}

/* Create and close an anonymous event: a fence whose CREATED, once read,
 * proves every earlier event of our namespace was read.  Its id.
 */
static uint32_t marker(void)
{
	struct kipc_event_stat st;
	int e = kipc_event_create(NULL, KIPC_EVENT_FLAG, 0, 0, 0600);

	if (e < 0 || kipc_event_stat(e, &st))
		abort();
	close(e);
	return st.id;
}

static uint32_t queue_id(int q)
{
	struct kipc_queue_stat st;

	return kipc_queue_stat(q, &st) ? 0 : st.id;
}

static uint32_t region_id(int r)
{
	struct kipc_region_stat st;

	return kipc_region_stat(r, &st) ? 0 : st.id;
}

static uint32_t event_id(int e)
{
	struct kipc_event_stat st;

	return kipc_event_stat(e, &st) ? 0 : st.id;
}

/* Read a u64 from /sys/module/kipc/parameters/@name; -1 if unreadable. */
static int64_t module_param(const char *name)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/kipc/parameters/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/* GET_MODULE into @tb (pointing into @r); the kernel's errno, or -1. */
static int get_module(struct nlt *t, struct nlattr **tb, struct nlt_reply *r,
		      char *err)
{
	struct nlattr *top[KIPC_A_MAX + 1];
	static const uint8_t top_types[KIPC_A_MAX + 1] = {
		[KIPC_A_MODULE] = T_NEST,
	};
	static const int need[] = {
		KIPC_A_M_MAX_OBJECTS, KIPC_A_M_MAX_USER_BYTES,
		KIPC_A_M_MAX_MSG_SIZE, KIPC_A_M_MAX_REGION_SIZE,
		KIPC_A_M_LIVE_OBJECTS, KIPC_A_M_NS_OBJECTS,
		KIPC_A_M_USER_BYTES,
	};
	struct genlmsghdr *gh;
	int ret;

	err[0] = '\0';
	ret = nlt_xfer(t, nlt_msg(t, KIPC_CMD_GET_MODULE, 0), r);
	if (ret) {
		ERR(err, "get_module: %d", ret);
		return -1;
	}
	if (r->err)
		return r->err;
	if (r->n != 1) {
		ERR(err, "get_module: %zu replies", r->n);
		return -1;
	}
	gh = check_genl(r->msgs[0], t->family, KIPC_CMD_GET_MODULE, err);
	if (!gh ||
	    check_attrs(genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			top_types, KIPC_A_MAX, -1, top, "module reply", err))
		return -1;
	if (!top[KIPC_A_MODULE]) {
		ERR(err, "no KIPC_A_MODULE");
		return -1;
	}
	if (check_attrs(nla_data(top[KIPC_A_MODULE]),
			nla_len(top[KIPC_A_MODULE]), module_types,
			KIPC_A_M_MAX, -1, tb, "module", err) ||
	    check_present(tb, need, ARRAY_SIZE(need), "module", err))
		return -1;
	return 0;
}

/* unshare(CLONE_NEWIPC) in a child; exit KT_SKIP_STATUS if not allowed. */
static void child_newipc(void)
{
	if (unshare(CLONE_NEWIPC)) {
		fprintf(stderr, "# unshare(CLONE_NEWIPC): %s\n",
			strerror(errno));
		_exit(KT_SKIP_STATUS);
	}
}

static void write_u32(int fd, uint32_t v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		_exit(97);
}

static uint32_t read_u32(int fd)
{
	uint32_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		_exit(96);
	return v;
}

/* ---------------------------------------------------------------------
 * The tests.
 */

FIXTURE(nl) {
	struct nlt t;
	char name[64];
	char name2[64];
};

FIXTURE_SETUP(nl)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "nl");
	kt_name(self->name2, sizeof(self->name2), "nl2");
	ASSERT_EQ(0, nlt_open(&self->t))
		TH_LOG("/dev/kipc exists but no generic netlink family \"%s\"",
		       KIPC_GENL_NAME);
}

FIXTURE_TEARDOWN(nl)
{
	nlt_close(&self->t);
}

TEST_F(nl, family)
{
	struct genl_family *fam;
	struct nl_cache *cache;

	ASSERT_EQ(0, genl_ctrl_alloc_cache(self->t.sk, &cache));
	fam = genl_ctrl_search_by_name(cache, KIPC_GENL_NAME);
	ASSERT_TRUE(fam != NULL);
	EXPECT_EQ(KIPC_GENL_VERSION, genl_family_get_version(fam));
	EXPECT_EQ(KIPC_A_MAX, genl_family_get_maxattr(fam));
	EXPECT_EQ(self->t.family, genl_family_get_id(fam));
	genl_family_put(fam);
	nl_cache_free(cache);
	EXPECT_LE(0, genl_ctrl_resolve_grp(self->t.sk, KIPC_GENL_NAME,
					   KIPC_GENL_MCGRP_EVENTS));
}

/* A named queue after sends, drops, receives and a timeout. */
TEST_F_TIMEOUT(nl, dump_queue_fields, 120)
{
	struct kipc_queue_attr attr = {
		.max_msgs	= 8,
		.max_msg_size	= 64,
		.max_bytes	= 1000,
		.policy		= KIPC_POLICY_DROP_OLDEST,
	};
	struct kipc_select sel = { .mode = KIPC_SEL_EQ, .type = 99 };
	struct kipc_queue_stat st, st2;
	struct nlt_reply r;
	struct kipc_msg info;
	char buf[20] = { 0 }, out[64];
	struct tobj o;
	int q, rd, wr, i;

	q = kipc_queue_create(self->name, &attr, 0, 0640);
	ASSERT_LE(0, q);
	rd = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, rd);
	wr = kipc_queue_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, wr);
	for (i = 0; i < 11; i++)
		ASSERT_EQ(0, kipc_send(wr, 1 + i % 3, i % 4, buf, 20, 0));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(20, kipc_recv(rd, NULL, out, sizeof(out), &info, 0));
	ASSERT_EQ(-ETIMEDOUT, kipc_recv(rd, &sel, out, sizeof(out), &info,
					1 * MS));

	ASSERT_EQ(0, kt_stat(q, &st));
	ASSERT_EQ(1, dump_obj(&self->t, st.id, &o, &r)) TH_LOG("%s", o.err);
	ASSERT_EQ(0, kt_stat(q, &st2));
	ASSERT_EQ(0, memcmp(&st, &st2, sizeof(st))) TH_LOG("the queue changed");

	EXPECT_U32(o.a, KIPC_A_OBJ_ID, st.id);
	EXPECT_U32(o.a, KIPC_A_OBJ_KIND, KIPC_KIND_QUEUE);
	ASSERT_TRUE(o.a[KIPC_A_OBJ_NAME] != NULL);
	EXPECT_STREQ(self->name, nla_get_string(o.a[KIPC_A_OBJ_NAME]));
	EXPECT_U32(o.a, KIPC_A_OBJ_STATE, KIPC_STATE_LIVE);
	EXPECT_U32(o.a, KIPC_A_OBJ_OWNER_PID, getpid());
	EXPECT_U32(o.a, KIPC_A_OBJ_UID, getuid());
	EXPECT_U32(o.a, KIPC_A_OBJ_GID, getgid());
	EXPECT_U32(o.a, KIPC_A_OBJ_MODE, 0640);
	EXPECT_ABSENT(o.a, KIPC_A_OBJ_PERSIST);
	EXPECT_U32(o.a, KIPC_A_OBJ_HANDLES, 3);
	EXPECT_U32(o.a, KIPC_A_OBJ_READERS, 2);
	EXPECT_U32(o.a, KIPC_A_OBJ_WRITERS, 2);
	EXPECT_U8(o.a, KIPC_A_OBJ_OWNER_ALIVE, 1);
	EXPECT_QUEUE_IS_STAT(o, st);

	/* What the test did, independently of stat. */
	EXPECT_U64(o.q, KIPC_A_Q_SENT, 11);
	EXPECT_U64(o.q, KIPC_A_Q_DROPPED_OLDEST, 3);
	EXPECT_U64(o.q, KIPC_A_Q_RECEIVED, 2);
	EXPECT_U64(o.q, KIPC_A_Q_DEPTH_MSGS, 6);
	EXPECT_U64(o.q, KIPC_A_Q_DEPTH_BYTES, 120);
	EXPECT_U64(o.q, KIPC_A_Q_HIGH_WATER, 8);
	EXPECT_U64(o.q, KIPC_A_Q_MAX_MSGS, 8);
	EXPECT_U64(o.q, KIPC_A_Q_MAX_MSG_SIZE, 64);
	EXPECT_U64(o.q, KIPC_A_Q_MAX_BYTES, 1000);
	EXPECT_U64(o.q, KIPC_A_Q_TIMEOUTS, 1);
	EXPECT_U32(o.q, KIPC_A_Q_POLICY, KIPC_POLICY_DROP_OLDEST);
	nlt_reply_free(&r);
}

/* Anonymous, conflating FAIL, persistent, shut down, blocked, dead. */
TEST_F_TIMEOUT(nl, dump_queue_states, 180)
{
	struct kipc_queue_stat st;
	struct nlt_reply r;
	struct tobj o;
	int a, p, q, h, fds[2];
	char c = 'x';
	pid_t pid;

	/* Anonymous, FAIL, conflating: conflated and rejected count. */
	a = kt_queue(NULL, 2, 16, 0, KIPC_POLICY_FAIL, KIPC_Q_CONFLATE);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, kipc_send(a, 1, 0, &c, 1, 0));
	ASSERT_EQ(0, kipc_send(a, 1, 0, &c, 1, 0));
	ASSERT_EQ(0, kipc_send(a, 2, 0, &c, 1, 0));
	ASSERT_EQ(-EAGAIN, kipc_send(a, 3, 0, &c, 1, 0));
	ASSERT_EQ(0, kt_stat(a, &st));
	ASSERT_EQ(1, dump_obj(&self->t, st.id, &o, &r)) TH_LOG("%s", o.err);
	EXPECT_ABSENT(o.a, KIPC_A_OBJ_NAME);
	EXPECT_QUEUE_IS_STAT(o, st);
	EXPECT_U64(o.q, KIPC_A_Q_CONFLATED, 1);
	EXPECT_U64(o.q, KIPC_A_Q_REJECTED, 1);
	EXPECT_U32(o.q, KIPC_A_Q_FLAGS, KIPC_Q_CONFLATE);
	EXPECT_U32(o.q, KIPC_A_Q_POLICY, KIPC_POLICY_FAIL);
	EXPECT_U32(o.a, KIPC_A_OBJ_HANDLES, 1);
	nlt_reply_free(&r);

	/* Persistent. */
	p = kipc_queue_create(self->name2, NULL, KIPC_PERSIST, 0600);
	ASSERT_LE(0, p);
	ASSERT_EQ(1, dump_obj(&self->t, queue_id(p), &o, &r))
		TH_LOG("%s", o.err);
	EXPECT_PRESENT(o.a, KIPC_A_OBJ_PERSIST);
	nlt_reply_free(&r);
	/* Its creator's handle gone, it lives on: owner_alive 0. */
	st.id = queue_id(p);
	h = kipc_queue_open(self->name2, KIPC_RDONLY);
	ASSERT_LE(0, h);
	close(p);
	ASSERT_EQ(0, get_obj(&self->t, st.id, &o, &r)) TH_LOG("%s", o.err);
	EXPECT_U8(o.a, KIPC_A_OBJ_OWNER_ALIVE, 0);
	EXPECT_U32(o.a, KIPC_A_OBJ_STATE, KIPC_STATE_LIVE);
	EXPECT_U32(o.a, KIPC_A_OBJ_HANDLES, 1);
	EXPECT_U32(o.a, KIPC_A_OBJ_WRITERS, 0);
	nlt_reply_free(&r);
	close(h);
	ASSERT_EQ(0, kipc_unlink(self->name2));

	/* A blocked receiver, then a blocked sender. */
	q = kt_queue(self->name, 1, 16, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char b[16];
		int rq = kipc_queue_open(self->name, KIPC_RDONLY);

		close(q);	/* the owner handle is the parent's alone */
		KT_CHILD_CHECK(rq >= 0);
		kipc_recv(rq, NULL, b, sizeof(b), NULL, -1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_blocked(q, 0, 1));
	ASSERT_EQ(0, kt_stat(q, &st));
	ASSERT_EQ(1, dump_obj(&self->t, st.id, &o, &r)) TH_LOG("%s", o.err);
	EXPECT_U32(o.q, KIPC_A_Q_BLOCKED_RECEIVERS, 1);
	EXPECT_U32(o.a, KIPC_A_OBJ_HANDLES, 2);
	EXPECT_U32(o.a, KIPC_A_OBJ_READERS, 2);
	EXPECT_U32(o.a, KIPC_A_OBJ_WRITERS, 1);
	EXPECT_QUEUE_IS_STAT(o, st);
	nlt_reply_free(&r);
	kill(pid, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));

	ASSERT_EQ(0, kipc_send(q, 1, 0, &c, 1, 0));
	ASSERT_EQ(0, pipe(fds));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int wq = kipc_queue_open(self->name, KIPC_WRONLY);

		close(q);
		KT_CHILD_CHECK(wq >= 0);
		kt_signal(fds[1]);
		kipc_send(wq, 1, 0, &c, 1, -1);
		pause();
		_exit(0);
	}
	kt_await(fds[0]);
	ASSERT_EQ(0, kt_wait_blocked(q, 1, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	ASSERT_EQ(1, dump_obj(&self->t, st.id, &o, &r)) TH_LOG("%s", o.err);
	EXPECT_U32(o.q, KIPC_A_Q_BLOCKED_SENDERS, 1);
	EXPECT_U64(o.q, KIPC_A_Q_DEPTH_MSGS, 1);
	EXPECT_QUEUE_IS_STAT(o, st);
	nlt_reply_free(&r);

	/* Shut down: the state says so, the sender is woken. */
	ASSERT_EQ(0, kipc_queue_shutdown(q));
	ASSERT_EQ(0, kt_stat(q, &st));
	ASSERT_EQ(0, get_obj(&self->t, st.id, &o, &r)) TH_LOG("%s", o.err);
	EXPECT_U32(o.a, KIPC_A_OBJ_STATE, KIPC_STATE_SHUTDOWN);
	nlt_reply_free(&r);

	/* Dead: the owner closes while the child's handle keeps it. */
	close(q);
	ASSERT_EQ(0, get_obj(&self->t, st.id, &o, &r)) TH_LOG("%s", o.err);
	EXPECT_U32(o.a, KIPC_A_OBJ_STATE, KIPC_STATE_DEAD);
	EXPECT_U8(o.a, KIPC_A_OBJ_OWNER_ALIVE, 0);
	EXPECT_U32(o.a, KIPC_A_OBJ_HANDLES, 1);
	nlt_reply_free(&r);
	/* ...and the name is gone. */
	ASSERT_EQ(0, nlt_get_name(&self->t, self->name, &r));
	EXPECT_EQ(-ENOENT, r.err);
	nlt_reply_free(&r);

	kill(pid, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));
	/* The last handle gone, the object is gone. */
	ASSERT_EQ(-ENOENT, get_obj(&self->t, st.id, &o, &r));
	nlt_reply_free(&r);
}

/* Robust locks: holders, waiters, owner died, not recoverable. */
TEST_F_TIMEOUT(nl, dump_region_locks, 180)
{
	int r, ready[2], res[2], go[2], ret;
	struct kipc_region_stat st;
	struct nlattr **l;
	struct nlt_reply rep;
	pid_t a, b;
	int64_t token;
	struct tobj o;
	size_t size;
	void *base;

	r = kipc_region_create(self->name, 10000, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_region_map(r, &base, &size));
	ASSERT_EQ(0, kipc_lock_init(r, 0));
	ASSERT_EQ(0, kipc_lock_init(r, 64));
	ASSERT_EQ(0, kipc_lock_init(r, 128));
	ASSERT_EQ(0, kipc_lock(r, 64, 0));
	/* The word holds this thread's token (its thread handle's). */
	token = kipc_lock_token(r);
	ASSERT_LT(0, token);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(res));
	ASSERT_EQ(0, pipe(go));

	/* A holds lock 0. */
	a = kt_fork();
	ASSERT_LE(0, a);
	if (a == 0) {
		int h = kipc_region_open(self->name, KIPC_RDWR);
		void *p;
		size_t s;

		KT_CHILD_CHECK(h >= 0);
		KT_CHILD_CHECK(kipc_region_map(h, &p, &s) == 0);
		KT_CHILD_CHECK(kipc_lock(h, 0, 0) == 0);
		kt_signal(ready[1]);
		pause();
		_exit(0);
	}
	kt_await(ready[0]);

	/* B waits for lock 0, gets it from the dead A, unlocks it dirty. */
	b = kt_fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		int h = kipc_region_open(self->name, KIPC_RDWR);
		void *p;
		size_t s;

		KT_CHILD_CHECK(h >= 0);
		KT_CHILD_CHECK(kipc_region_map(h, &p, &s) == 0);
		write_u32(res[1], (uint32_t)kipc_lock(h, 0, -1));
		kt_await(go[0]);
		write_u32(res[1], (uint32_t)kipc_unlock(h, 0));
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, kt_region_waiters(r, 1));

	ASSERT_EQ(0, kipc_region_stat(r, &st));
	ASSERT_EQ(1, dump_obj(&self->t, st.id, &o, &rep)) TH_LOG("%s", o.err);
	EXPECT_U32(o.a, KIPC_A_OBJ_KIND, KIPC_KIND_REGION);
	EXPECT_STREQ(self->name, nla_get_string(o.a[KIPC_A_OBJ_NAME]));
	EXPECT_U32(o.a, KIPC_A_OBJ_HANDLES, 3);
	EXPECT_U32(o.a, KIPC_A_OBJ_OWNER_PID, getpid());
	EXPECT_U64(o.r, KIPC_A_R_SIZE, st.size);
	EXPECT_U64(o.r, KIPC_A_R_SIZE, 12288);
	EXPECT_U32(o.r, KIPC_A_R_WAITERS, st.waiters);
	EXPECT_U32(o.r, KIPC_A_R_WAITERS, 1);
	EXPECT_U8(o.r, KIPC_A_R_ORPHANED, 0);
	EXPECT_U32(o.r, KIPC_A_R_OWNER_DIED, 0);
	EXPECT_ABSENT(o.r, KIPC_A_R_RING);
	EXPECT_EQ(3, o.nlocks);

	l = find_lock(&o, 0);
	ASSERT_TRUE(l != NULL);
	EXPECT_U32(l, KIPC_A_L_HOLDER_PID, a);
	EXPECT_U32(l, KIPC_A_L_WAITERS, 1);
	EXPECT_U32(l, KIPC_A_L_WORD, *(volatile uint32_t *)base);
	EXPECT_ABSENT(l, KIPC_A_L_OWNER_DIED);
	EXPECT_ABSENT(l, KIPC_A_L_NOTRECOVERABLE);
	l = find_lock(&o, 64);
	ASSERT_TRUE(l != NULL);
	EXPECT_U32(l, KIPC_A_L_HOLDER_PID, getpid());
	EXPECT_U32(l, KIPC_A_L_HOLDER_TID, (uint32_t)syscall(SYS_gettid));
	EXPECT_U32(l, KIPC_A_L_WAITERS, 0);
	EXPECT_U32(l, KIPC_A_L_WORD, token);
	l = find_lock(&o, 128);
	ASSERT_TRUE(l != NULL);
	EXPECT_ABSENT(l, KIPC_A_L_HOLDER_PID);
	EXPECT_U32(l, KIPC_A_L_WORD, 0);
	EXPECT_U32(l, KIPC_A_L_WAITERS, 0);
	nlt_reply_free(&rep);

	/* A dies holding lock 0: B takes it with EOWNERDEAD. */
	kill(a, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(a));
	ret = (int)read_u32(res[0]);
	ASSERT_EQ(-EOWNERDEAD, ret);
	ASSERT_EQ(0, kipc_region_stat(r, &st));
	ASSERT_EQ(0, get_obj(&self->t, st.id, &o, &rep)) TH_LOG("%s", o.err);
	EXPECT_U32(o.a, KIPC_A_OBJ_HANDLES, 2);
	EXPECT_U32(o.r, KIPC_A_R_OWNER_DIED, st.owner_died);
	EXPECT_U32(o.r, KIPC_A_R_OWNER_DIED, 1);
	EXPECT_U32(o.r, KIPC_A_R_WAITERS, 0);
	l = find_lock(&o, 0);
	ASSERT_TRUE(l != NULL);
	EXPECT_U32(l, KIPC_A_L_HOLDER_PID, b);
	EXPECT_PRESENT(l, KIPC_A_L_OWNER_DIED);
	EXPECT_ABSENT(l, KIPC_A_L_NOTRECOVERABLE);
	EXPECT_U32(l, KIPC_A_L_WAITERS, 0);
	EXPECT_U32(l, KIPC_A_L_WORD, *(volatile uint32_t *)base);
	nlt_reply_free(&rep);

	/* B unlocks without kipc_lock_consistent: not recoverable. */
	kt_signal(go[1]);
	ASSERT_EQ(0, (int)read_u32(res[0]));
	ASSERT_EQ(0, get_obj(&self->t, st.id, &o, &rep)) TH_LOG("%s", o.err);
	l = find_lock(&o, 0);
	ASSERT_TRUE(l != NULL);
	EXPECT_PRESENT(l, KIPC_A_L_NOTRECOVERABLE);
	EXPECT_ABSENT(l, KIPC_A_L_HOLDER_PID);
	EXPECT_U32(l, KIPC_A_L_WORD, *(volatile uint32_t *)base);
	nlt_reply_free(&rep);
	EXPECT_EQ(-ENOTRECOVERABLE, kipc_lock(r, 0, 0));

	kill(b, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(b));
}

/* A region whose only peer left is orphaned until someone opens it. */
TEST_F_TIMEOUT(nl, dump_region_orphaned, 120)
{
	struct nlt_reply rep;
	struct tobj o;
	uint32_t id;
	pid_t pid;
	int r;

	r = kipc_region_create(self->name, 4096, 0, 0600);
	ASSERT_LE(0, r);
	id = region_id(r);
	ASSERT_EQ(0, get_obj(&self->t, id, &o, &rep)) TH_LOG("%s", o.err);
	EXPECT_U8(o.r, KIPC_A_R_ORPHANED, 0);
	EXPECT_U64(o.r, KIPC_A_R_SIZE, 4096);
	EXPECT_EQ(0, o.nlocks);
	nlt_reply_free(&rep);

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		KT_CHILD_CHECK(kipc_region_open(self->name, KIPC_RDWR) >= 0);
		_exit(0);
	}
	ASSERT_EQ(0, kt_reap(pid));
	ASSERT_EQ(0, get_obj(&self->t, id, &o, &rep)) TH_LOG("%s", o.err);
	EXPECT_U8(o.r, KIPC_A_R_ORPHANED, 1);
	EXPECT_U32(o.a, KIPC_A_OBJ_HANDLES, 1);
	nlt_reply_free(&rep);
	/* What the orphaned state means to a waiter. */
	EXPECT_EQ(-EPIPE, kipc_wait(r, 0, 0, 10 * MS));

	ASSERT_LE(0, kipc_region_open(self->name, KIPC_RDONLY));
	ASSERT_EQ(0, get_obj(&self->t, id, &o, &rep)) TH_LOG("%s", o.err);
	EXPECT_U8(o.r, KIPC_A_R_ORPHANED, 0);
	EXPECT_U32(o.a, KIPC_A_OBJ_HANDLES, 2);
	EXPECT_U32(o.a, KIPC_A_OBJ_READERS, 2);
	EXPECT_U32(o.a, KIPC_A_OBJ_WRITERS, 1);
	nlt_reply_free(&rep);
}

/* A ring: capacity, fill, producer and consumer, a consumer gone. */
TEST_F_TIMEOUT(nl, dump_ring, 120)
{
	struct kipc_region_stat st;
	struct kipc_ring *ring;
	struct nlt_reply rep;
	char buf[10] = "0123456789";
	int fds[2], i;
	struct tobj o;
	pid_t pid;

	ASSERT_EQ(0, kipc_ring_create(self->name, 4096, KIPC_RING_PRODUCER,
				      0600, &ring));
	ASSERT_EQ(0, kipc_region_stat(kipc_ring_fd(ring), &st));
	ASSERT_EQ(0, get_obj(&self->t, st.id, &o, &rep)) TH_LOG("%s", o.err);
	ASSERT_TRUE(o.r[KIPC_A_R_RING] != NULL);
	EXPECT_U32(o.ring, KIPC_A_RING_CAPACITY, 4096);
	EXPECT_U32(o.ring, KIPC_A_RING_USED, 0);
	EXPECT_U32(o.ring, KIPC_A_RING_PRODUCER_PID, getpid());
	EXPECT_ABSENT(o.ring, KIPC_A_RING_CONSUMER_PID);
	EXPECT_ABSENT(o.ring, KIPC_A_RING_PRODUCER_GONE);
	EXPECT_ABSENT(o.ring, KIPC_A_RING_CONSUMER_GONE);
	EXPECT_U64(o.r, KIPC_A_R_SIZE, st.size);
	nlt_reply_free(&rep);

	ASSERT_EQ(0, pipe(fds));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_ring *c;

		KT_CHILD_CHECK(kipc_ring_open(self->name, KIPC_RDWR, &c) == 0);
		kt_signal(fds[1]);
		pause();
		_exit(0);
	}
	kt_await(fds[0]);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, kipc_ring_send(ring, 1, buf, sizeof(buf), 0));
	ASSERT_EQ(0, get_obj(&self->t, st.id, &o, &rep)) TH_LOG("%s", o.err);
	/* Three records of an 8-byte header and 10 bytes padded to 16. */
	EXPECT_U32(o.ring, KIPC_A_RING_USED, 3 * (8 + 16));
	EXPECT_U32(o.ring, KIPC_A_RING_PRODUCER_PID, getpid());
	EXPECT_U32(o.ring, KIPC_A_RING_CONSUMER_PID, pid);
	EXPECT_ABSENT(o.ring, KIPC_A_RING_CONSUMER_GONE);
	EXPECT_U32(o.a, KIPC_A_OBJ_HANDLES, 2);
	nlt_reply_free(&rep);

	kill(pid, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));
	ASSERT_EQ(0, get_obj(&self->t, st.id, &o, &rep)) TH_LOG("%s", o.err);
	EXPECT_PRESENT(o.ring, KIPC_A_RING_CONSUMER_GONE);
	EXPECT_ABSENT(o.ring, KIPC_A_RING_CONSUMER_PID);
	EXPECT_ABSENT(o.ring, KIPC_A_RING_PRODUCER_GONE);
	EXPECT_U32(o.ring, KIPC_A_RING_PRODUCER_PID, getpid());
	EXPECT_U32(o.ring, KIPC_A_RING_USED, 3 * (8 + 16));
	nlt_reply_free(&rep);
	EXPECT_EQ(-EPIPE, kipc_ring_send(ring, 1, buf, sizeof(buf), 0));
	kipc_ring_close(ring);
}

TEST_F_TIMEOUT(nl, dump_events, 120)
{
	struct kipc_event_stat st;
	struct nlt_reply rep;
	int c, s, f, fds[2];
	struct tobj o;
	uint64_t v;
	pid_t pid;

	c = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 5, 0, 0604);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, kipc_event_post(c, 3));
	ASSERT_EQ(0, kipc_event_stat(c, &st));
	ASSERT_EQ(1, dump_obj(&self->t, st.id, &o, &rep)) TH_LOG("%s", o.err);
	EXPECT_U32(o.a, KIPC_A_OBJ_KIND, KIPC_KIND_EVENT);
	EXPECT_STREQ(self->name, nla_get_string(o.a[KIPC_A_OBJ_NAME]));
	EXPECT_U32(o.a, KIPC_A_OBJ_MODE, 0604);
	EXPECT_U32(o.a, KIPC_A_OBJ_STATE, st.state);
	EXPECT_U32(o.a, KIPC_A_OBJ_OWNER_PID, st.owner_pid);
	EXPECT_U32(o.e, KIPC_A_E_KIND, KIPC_EVENT_COUNTER);
	EXPECT_U64(o.e, KIPC_A_E_COUNT, 8);
	EXPECT_U64(o.e, KIPC_A_E_COUNT, st.count);
	EXPECT_U64(o.e, KIPC_A_E_POSTS, st.posts);
	EXPECT_U64(o.e, KIPC_A_E_WAITS, st.waits);
	EXPECT_U32(o.e, KIPC_A_E_WAITERS, 0);
	nlt_reply_free(&rep);

	ASSERT_EQ(0, kipc_event_wait(c, &v, 0));
	ASSERT_EQ(8, v);
	ASSERT_EQ(0, kipc_event_stat(c, &st));
	ASSERT_EQ(0, get_obj(&self->t, st.id, &o, &rep)) TH_LOG("%s", o.err);
	EXPECT_U64(o.e, KIPC_A_E_COUNT, 0);
	EXPECT_U64(o.e, KIPC_A_E_WAITS, st.waits);
	EXPECT_U64(o.e, KIPC_A_E_POSTS, st.posts);
	nlt_reply_free(&rep);

	/* A semaphore with a sleeper. */
	s = kipc_event_create(self->name2, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, pipe(fds));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int h = kipc_event_open(self->name2, KIPC_RDONLY);
		uint64_t x;

		KT_CHILD_CHECK(h >= 0);
		KT_CHILD_CHECK(kipc_event_wait(h, &x, -1) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, kt_event_wait_blocked(s, 1));
	ASSERT_EQ(0, kipc_event_stat(s, &st));
	ASSERT_EQ(0, get_obj(&self->t, st.id, &o, &rep)) TH_LOG("%s", o.err);
	EXPECT_U32(o.e, KIPC_A_E_KIND, KIPC_EVENT_SEMAPHORE);
	EXPECT_U32(o.e, KIPC_A_E_WAITERS, 1);
	EXPECT_U32(o.e, KIPC_A_E_WAITERS, st.waiters);
	EXPECT_U32(o.a, KIPC_A_OBJ_HANDLES, 2);
	EXPECT_U32(o.a, KIPC_A_OBJ_READERS, 2);
	EXPECT_U32(o.a, KIPC_A_OBJ_WRITERS, 1);
	nlt_reply_free(&rep);
	ASSERT_EQ(0, kipc_event_post(s, 1));
	ASSERT_EQ(0, kt_reap(pid));

	/* An anonymous flag. */
	f = kipc_event_create(NULL, KIPC_EVENT_FLAG, 1, 0, 0600);
	ASSERT_LE(0, f);
	ASSERT_EQ(0, get_obj(&self->t, event_id(f), &o, &rep))
		TH_LOG("%s", o.err);
	EXPECT_ABSENT(o.a, KIPC_A_OBJ_NAME);
	EXPECT_U32(o.e, KIPC_A_E_KIND, KIPC_EVENT_FLAG);
	EXPECT_U64(o.e, KIPC_A_E_COUNT, 1);
	nlt_reply_free(&rep);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(nl, get_object)
{
	struct nlt_reply r, d;
	struct tobj o, od;
	struct nl_msg *m;
	uint32_t id;
	char big[300];
	int q, a;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	id = queue_id(q);

	/* By name with and without '/', by id: the same object. */
	ASSERT_EQ(0, nlt_get_name(&self->t, self->name, &r));
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	ASSERT_EQ(1, r.n);
	ASSERT_EQ(0, parse_obj(r.msgs[0], self->t.family, &o))
		TH_LOG("%s", o.err);
	EXPECT_U32(o.a, KIPC_A_OBJ_ID, id);
	nlt_reply_free(&r);

	ASSERT_EQ(0, nlt_get_name(&self->t, self->name + 1, &r));
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	ASSERT_EQ(1, r.n);
	ASSERT_EQ(0, parse_obj(r.msgs[0], self->t.family, &o))
		TH_LOG("%s", o.err);
	EXPECT_U32(o.a, KIPC_A_OBJ_ID, id);
	EXPECT_STREQ(self->name, nla_get_string(o.a[KIPC_A_OBJ_NAME]));
	nlt_reply_free(&r);

	/* A do and a dump of a quiet object say the same. */
	ASSERT_EQ(0, get_obj(&self->t, id, &o, &r)) TH_LOG("%s", o.err);
	ASSERT_EQ(1, dump_obj(&self->t, id, &od, &d)) TH_LOG("%s", od.err);
	EXPECT_EQ(genlmsg_attrlen(nlmsg_data(o.nlh), 0),
		  genlmsg_attrlen(nlmsg_data(od.nlh), 0));
	EXPECT_EQ(0, memcmp(genlmsg_attrdata(nlmsg_data(o.nlh), 0),
			    genlmsg_attrdata(nlmsg_data(od.nlh), 0),
			    genlmsg_attrlen(nlmsg_data(o.nlh), 0)));
	nlt_reply_free(&r);
	nlt_reply_free(&d);

	/* Anonymous objects are found by id. */
	a = kipc_event_create(NULL, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, get_obj(&self->t, event_id(a), &o, &r))
		TH_LOG("%s", o.err);
	EXPECT_U32(o.a, KIPC_A_OBJ_KIND, KIPC_KIND_EVENT);
	nlt_reply_free(&r);

	/* Unknown names and ids. */
	ASSERT_EQ(0, nlt_get_name(&self->t, self->name2, &r));
	EXPECT_EQ(-ENOENT, r.err);
	EXPECT_EQ(0, r.n);
	nlt_reply_free(&r);
	ASSERT_EQ(0, nlt_get_id(&self->t, 0xfffffff0, &r));
	EXPECT_EQ(-ENOENT, r.err);
	nlt_reply_free(&r);
	ASSERT_EQ(0, nlt_get_id(&self->t, 0, &r));
	EXPECT_EQ(-ENOENT, r.err);
	nlt_reply_free(&r);

	/* Neither, both, or a name longer than any. */
	ASSERT_EQ(0, nlt_xfer(&self->t, nlt_msg(&self->t, KIPC_CMD_GET_OBJECT, 0),
			      &r));
	EXPECT_EQ(-EINVAL, r.err);
	EXPECT_NE(0, r.extack[0]) TH_LOG("no extack message");
	nlt_reply_free(&r);
	m = nlt_msg(&self->t, KIPC_CMD_GET_OBJECT, 0);
	nla_put_u32(m, KIPC_A_OBJ_ID, id);
	nla_put_string(m, KIPC_A_OBJ_NAME, self->name);
	ASSERT_EQ(0, nlt_xfer(&self->t, m, &r));
	EXPECT_EQ(-EINVAL, r.err);
	nlt_reply_free(&r);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ASSERT_EQ(0, nlt_get_name(&self->t, big, &r));
	EXPECT_EQ(-EINVAL, r.err);
	nlt_reply_free(&r);
	/* "/" and 255 bytes: the longest name there can be, not found. */
	big[0] = '/';
	big[KIPC_NAME_MAX + 1] = '\0';
	ASSERT_EQ(0, nlt_get_name(&self->t, big, &r));
	EXPECT_EQ(-ENOENT, r.err) TH_LOG("%s", r.extack);
	nlt_reply_free(&r);
	/* One more byte is refused by the policy. */
	big[KIPC_NAME_MAX + 1] = 'a';
	big[KIPC_NAME_MAX + 2] = '\0';
	ASSERT_EQ(0, nlt_get_name(&self->t, big, &r));
	EXPECT_EQ(-EINVAL, r.err);
	nlt_reply_free(&r);

	/* A closed owner handle: gone from gets and dumps. */
	close(q);
	ASSERT_EQ(0, nlt_get_id(&self->t, id, &r));
	EXPECT_EQ(-ENOENT, r.err);
	nlt_reply_free(&r);
	ASSERT_EQ(0, dump_obj(&self->t, id, &o, &r)) TH_LOG("%s", o.err);
	nlt_reply_free(&r);
}

TEST_F(nl, get_module)
{
	struct nlattr *tb[KIPC_A_M_MAX + 1], *tb2[KIPC_A_M_MAX + 1];
	struct nlt_reply r, r2;
	struct kipc_queue_attr attr = {
		.max_msgs = 16, .max_msg_size = 1000,
	};
	char err[256];
	int64_t p;
	int q;

	ASSERT_EQ(0, get_module(&self->t, tb, &r, err)) TH_LOG("%s", err);
	p = module_param("max_objects");
	if (p >= 0)
		EXPECT_U32(tb, KIPC_A_M_MAX_OBJECTS, p);
	p = module_param("max_user_bytes");
	if (p >= 0)
		EXPECT_U64(tb, KIPC_A_M_MAX_USER_BYTES, p);
	p = module_param("max_msg_size");
	if (p >= 0)
		EXPECT_U32(tb, KIPC_A_M_MAX_MSG_SIZE, p);
	p = module_param("max_region_size");
	if (p >= 0)
		EXPECT_U64(tb, KIPC_A_M_MAX_REGION_SIZE, p);
	EXPECT_GE(nla_get_u32(tb[KIPC_A_M_LIVE_OBJECTS]),
		  nla_get_u32(tb[KIPC_A_M_NS_OBJECTS]));

	q = kipc_queue_create(NULL, &attr, 0, 0600);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, get_module(&self->t, tb2, &r2, err)) TH_LOG("%s", err);
	EXPECT_EQ(nla_get_u32(tb[KIPC_A_M_NS_OBJECTS]) + 1,
		  nla_get_u32(tb2[KIPC_A_M_NS_OBJECTS]));
	EXPECT_EQ(nla_get_u32(tb[KIPC_A_M_LIVE_OBJECTS]) + 1,
		  nla_get_u32(tb2[KIPC_A_M_LIVE_OBJECTS]));
	/*
	 * A queue charges its creator's uid its capacity and, per message,
	 * at least a message header's slab object (256 bytes) and a list
	 * of its own (docs/architecture.md, "Memory and the quota").
	 */
	EXPECT_LE(nla_get_u64(tb[KIPC_A_M_USER_BYTES]) + 16 * 1000 + 16 * 256,
		  nla_get_u64(tb2[KIPC_A_M_USER_BYTES]));
	p = module_param("live_objects");
	if (p >= 0)
		EXPECT_EQ(p, nla_get_u32(tb2[KIPC_A_M_LIVE_OBJECTS]));
	nlt_reply_free(&r2);

	close(q);
	ASSERT_EQ(0, get_module(&self->t, tb2, &r2, err)) TH_LOG("%s", err);
	EXPECT_EQ(nla_get_u32(tb[KIPC_A_M_NS_OBJECTS]),
		  nla_get_u32(tb2[KIPC_A_M_NS_OBJECTS]));
	EXPECT_EQ(nla_get_u64(tb[KIPC_A_M_USER_BYTES]),
		  nla_get_u64(tb2[KIPC_A_M_USER_BYTES]));
	nlt_reply_free(&r2);
	nlt_reply_free(&r);
}

/* Every event type, with its attributes, for the objects that cause it. */
TEST_F_TIMEOUT(nl, events, 180)
{
	struct kipc_queue_attr dn = {
		.max_msgs = 2, .max_msg_size = 16, .policy = KIPC_POLICY_DROP_NEW,
	};
	struct evsock *s;
	uint32_t id, mk;
	int q, i, k, e, fds[2];
	int64_t t0, t1;
	struct tev *ev;
	char c = 'x';
	pid_t pid;

	s = calloc(1, sizeof(*s));
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(0, ev_open(s));

	/* CREATED: type, id, kind, name, and nothing else. */
	q = kipc_queue_create(self->name, &dn, 0, 0600);
	ASSERT_LE(0, q);
	id = queue_id(q);
	k = ev_wait(s, KIPC_NOTIFY_CREATED, id, 5000);
	ASSERT_LE(0, k);
	ev = &s->seen[k];
	EXPECT_EQ(KIPC_KIND_QUEUE, ev->kind);
	EXPECT_TRUE(ev->has_name);
	EXPECT_STREQ(self->name, ev->name);
	EXPECT_FALSE(ev->has_pid);

	/* DROP: a burst of drops gives one event a second, not one each. */
	ASSERT_EQ(0, kipc_send(q, 1, 0, &c, 1, 0));
	ASSERT_EQ(0, kipc_send(q, 1, 0, &c, 1, 0));
	t0 = kt_now_ns();
	for (i = 0; i < 50; i++)
		ASSERT_EQ(KIPC_DROPPED, kipc_send(q, 1, 0, &c, 1, 0));
	t1 = kt_now_ns();
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_DROP, id, 5000));
	mk = marker();
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_CREATED, mk, 5000));
	EXPECT_LE(1, ev_count(s, KIPC_NOTIFY_DROP, id));
	EXPECT_GE(2 + (t1 - t0) / (1000 * MS), ev_count(s, KIPC_NOTIFY_DROP, id))
		TH_LOG("%d DROP events for 50 drops in %lld ms",
		       ev_count(s, KIPC_NOTIFY_DROP, id),
		       (long long)((t1 - t0) / MS));
	/* A second later, the next drop is reported again. */
	usleep(1100 * 1000);
	k = ev_count(s, KIPC_NOTIFY_DROP, id);
	ASSERT_EQ(KIPC_DROPPED, kipc_send(q, 1, 0, &c, 1, 0));
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_DROP, id, 5000));
	EXPECT_EQ(k + 1, ev_count(s, KIPC_NOTIFY_DROP, id));
	for (i = 0; i < s->nseen; i++) {
		if (s->seen[i].type != KIPC_NOTIFY_DROP)
			continue;
		EXPECT_EQ(KIPC_KIND_QUEUE, s->seen[i].kind);
		EXPECT_STREQ(self->name, s->seen[i].name);
	}

	/* SHUTDOWN. */
	ASSERT_EQ(0, kipc_queue_shutdown(q));
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_SHUTDOWN, id, 5000));

	/* Closing the owner handle: OWNER_DIED with our pid, DESTROYED. */
	close(q);
	k = ev_wait(s, KIPC_NOTIFY_OWNER_DIED, id, 5000);
	ASSERT_LE(0, k);
	EXPECT_TRUE(s->seen[k].has_pid);
	EXPECT_EQ(getpid(), s->seen[k].pid);
	EXPECT_EQ(KIPC_KIND_QUEUE, s->seen[k].kind);
	i = ev_wait(s, KIPC_NOTIFY_DESTROYED, id, 5000);
	ASSERT_LE(0, i);
	EXPECT_LT(k, i) TH_LOG("DESTROYED before OWNER_DIED");
	EXPECT_FALSE(s->seen[i].has_pid);
	EXPECT_EQ(KIPC_KIND_QUEUE, s->seen[i].kind);

	/* OVERFLOW: a FAIL queue refusing, an event that would overflow. */
	q = kt_queue(NULL, 1, 16, 0, KIPC_POLICY_FAIL, 0);
	ASSERT_LE(0, q);
	id = queue_id(q);
	k = ev_wait(s, KIPC_NOTIFY_CREATED, id, 5000);
	ASSERT_LE(0, k);
	EXPECT_FALSE(s->seen[k].has_name);
	ASSERT_EQ(0, kipc_send(q, 1, 0, &c, 1, 0));
	ASSERT_EQ(-EAGAIN, kipc_send(q, 1, 0, &c, 1, 0));
	k = ev_wait(s, KIPC_NOTIFY_OVERFLOW, id, 5000);
	ASSERT_LE(0, k);
	EXPECT_EQ(KIPC_KIND_QUEUE, s->seen[k].kind);
	EXPECT_FALSE(s->seen[k].has_name);

	e = kipc_event_create(self->name2, KIPC_EVENT_COUNTER, UINT64_MAX - 1,
			      0, 0600);
	ASSERT_LE(0, e);
	ASSERT_EQ(-EOVERFLOW, kipc_event_post(e, 5));
	k = ev_wait(s, KIPC_NOTIFY_OVERFLOW, event_id(e), 5000);
	ASSERT_LE(0, k);
	EXPECT_EQ(KIPC_KIND_EVENT, s->seen[k].kind);
	EXPECT_STREQ(self->name2, s->seen[k].name);
	close(e);

	/* kill -9 of an owner: OWNER_DIED with its pid, then DESTROYED. */
	ASSERT_EQ(0, pipe(fds));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int r = kipc_region_create(self->name, 4096, 0, 0600);

		KT_CHILD_CHECK(r >= 0);
		write_u32(fds[1], region_id(r));
		pause();
		_exit(0);
	}
	id = read_u32(fds[0]);
	k = ev_wait(s, KIPC_NOTIFY_CREATED, id, 5000);
	ASSERT_LE(0, k);
	EXPECT_EQ(KIPC_KIND_REGION, s->seen[k].kind);
	kill(pid, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));
	k = ev_wait(s, KIPC_NOTIFY_OWNER_DIED, id, 5000);
	ASSERT_LE(0, k);
	EXPECT_EQ(pid, s->seen[k].pid);
	EXPECT_EQ(KIPC_KIND_REGION, s->seen[k].kind);
	EXPECT_STREQ(self->name, s->seen[k].name);
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_DESTROYED, id, 5000));

	/* A persistent object: no OWNER_DIED; DESTROYED once unlinked. */
	q = kipc_queue_create(self->name2, NULL, KIPC_PERSIST, 0600);
	ASSERT_LE(0, q);
	id = queue_id(q);
	close(q);
	mk = marker();
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_CREATED, mk, 5000));
	EXPECT_EQ(1, ev_count(s, KIPC_NOTIFY_CREATED, id));
	EXPECT_EQ(0, ev_count(s, KIPC_NOTIFY_OWNER_DIED, id));
	EXPECT_EQ(0, ev_count(s, KIPC_NOTIFY_DESTROYED, id));
	ASSERT_EQ(0, kipc_unlink(self->name2));
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_DESTROYED, id, 5000));
	EXPECT_EQ(0, ev_count(s, KIPC_NOTIFY_OWNER_DIED, id));

	EXPECT_EQ(0, s->bad) TH_LOG("%d malformed events: %s", s->bad,
				    s->bad_err);
	close(q);
	free(s);
}

/* Joining the group is not enough; subscribing twice is once. */
TEST_F_TIMEOUT(nl, events_need_subscription, 60)
{
	struct pollfd pfd;
	struct evsock *s;
	struct nlt joined;
	uint32_t id, mk;
	int grp, q;

	s = calloc(1, sizeof(*s));
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(0, ev_open(s));
	ASSERT_EQ(0, ev_subscribe(&s->t));	/* again */
	ASSERT_EQ(0, nlt_open(&joined));
	grp = genl_ctrl_resolve_grp(joined.sk, KIPC_GENL_NAME,
				    KIPC_GENL_MCGRP_EVENTS);
	ASSERT_LE(0, grp);
	ASSERT_EQ(0, nl_socket_add_membership(joined.sk, grp));

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	id = queue_id(q);
	close(q);
	mk = marker();
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_CREATED, mk, 5000));
	EXPECT_EQ(1, ev_count(s, KIPC_NOTIFY_CREATED, id));
	EXPECT_EQ(1, ev_count(s, KIPC_NOTIFY_OWNER_DIED, id));
	EXPECT_EQ(1, ev_count(s, KIPC_NOTIFY_DESTROYED, id));

	pfd.fd = nl_socket_get_fd(joined.sk);
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 200))
		TH_LOG("a socket that did not subscribe got events");
	nlt_close(&joined);
	nlt_close(&s->t);
	/* The closed subscriber is forgotten: events go on. */
	ASSERT_EQ(0, ev_open(s));
	mk = marker();
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_CREATED, mk, 5000));
	free(s);
}

/* Dumps, gets and module counts of another IPC namespace. */
TEST_F_TIMEOUT(nl, namespace_dump, 120)
{
	int q, e, up[2], down[2];
	uint32_t pq, pe, cq, ce;
	struct nlt_reply r;
	struct tobj o;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root for unshare(CLONE_NEWIPC)");
	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	e = kipc_event_create(NULL, KIPC_EVENT_FLAG, 0, 0, 0600);
	ASSERT_LE(0, e);
	pq = queue_id(q);
	pe = event_id(e);
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlattr *tb[KIPC_A_M_MAX + 1];
		struct nlt t;
		struct nlt_reply cr;
		struct tobj co;
		char err[256];
		int q2, e2;
		size_t i;

		child_newipc();
		/* The same name is free in the new namespace. */
		q2 = kipc_queue_create(self->name, NULL, 0, 0600);
		KT_CHILD_CHECK(q2 >= 0);
		e2 = kipc_event_create(NULL, KIPC_EVENT_FLAG, 0, 0, 0600);
		KT_CHILD_CHECK(e2 >= 0);
		KT_CHILD_CHECK(nlt_open(&t) == 0);
		KT_CHILD_CHECK(nlt_dump(&t, &cr) == 0 && cr.err == 0);
		KT_CHILD_CHECK(cr.n == 2);
		for (i = 0; i < cr.n; i++) {
			uint32_t id;

			KT_CHILD_CHECK(parse_obj(cr.msgs[i], t.family, &co) == 0);
			id = nla_get_u32(co.a[KIPC_A_OBJ_ID]);
			KT_CHILD_CHECK(id == queue_id(q2) || id == event_id(e2));
		}
		nlt_reply_free(&cr);
		KT_CHILD_CHECK(get_obj(&t, pq, &co, &cr) == -ENOENT);
		nlt_reply_free(&cr);
		KT_CHILD_CHECK(get_obj(&t, pe, &co, &cr) == -ENOENT);
		nlt_reply_free(&cr);
		KT_CHILD_CHECK(nlt_get_name(&t, self->name, &cr) == 0);
		KT_CHILD_CHECK(cr.err == 0 && cr.n == 1);
		KT_CHILD_CHECK(parse_obj(cr.msgs[0], t.family, &co) == 0);
		KT_CHILD_CHECK(nla_get_u32(co.a[KIPC_A_OBJ_ID]) == queue_id(q2));
		nlt_reply_free(&cr);
		KT_CHILD_CHECK(get_module(&t, tb, &cr, err) == 0);
		KT_CHILD_CHECK(nla_get_u32(tb[KIPC_A_M_NS_OBJECTS]) == 2);
		nlt_reply_free(&cr);
		write_u32(up[1], queue_id(q2));
		write_u32(up[1], event_id(e2));
		kt_await(down[0]);
		_exit(0);
	}
	cq = read_u32(up[0]);
	ce = read_u32(up[0]);
	ASSERT_EQ(0, dump_obj(&self->t, cq, &o, &r)) TH_LOG("%s", o.err);
	nlt_reply_free(&r);
	ASSERT_EQ(0, dump_obj(&self->t, ce, &o, &r)) TH_LOG("%s", o.err);
	nlt_reply_free(&r);
	ASSERT_EQ(1, dump_obj(&self->t, pq, &o, &r)) TH_LOG("%s", o.err);
	nlt_reply_free(&r);
	EXPECT_EQ(-ENOENT, get_obj(&self->t, cq, &o, &r));
	nlt_reply_free(&r);
	EXPECT_EQ(-ENOENT, get_obj(&self->t, ce, &o, &r));
	nlt_reply_free(&r);
	ASSERT_EQ(0, nlt_get_name(&self->t, self->name, &r));
	ASSERT_EQ(0, r.err);
	ASSERT_EQ(1, r.n);
	ASSERT_EQ(0, parse_obj(r.msgs[0], self->t.family, &o));
	EXPECT_U32(o.a, KIPC_A_OBJ_ID, pq);
	nlt_reply_free(&r);
	kt_signal(down[1]);
	ASSERT_EQ(0, kt_reap(pid));
}

/* Each namespace's subscribers see its events and no other's. */
TEST_F_TIMEOUT(nl, namespace_events, 120)
{
	int up[2], down[2], q, ret;
	struct evsock *s;
	uint32_t x, y, mk;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root for unshare(CLONE_NEWIPC)");
	s = calloc(1, sizeof(*s));
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(0, ev_open(s));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct evsock *cs = calloc(1, sizeof(*cs));
		uint32_t px, cy;
		int i, k, cq;

		KT_CHILD_CHECK(cs != NULL);
		child_newipc();
		KT_CHILD_CHECK(ev_open(cs) == 0);
		write_u32(up[1], 0);			/* subscribed */
		px = read_u32(down[0]);			/* parent created X */
		cq = kipc_queue_create(self->name, NULL, 0, 0600);
		KT_CHILD_CHECK(cq >= 0);
		cy = queue_id(cq);
		write_u32(up[1], cy);
		k = ev_wait(cs, KIPC_NOTIFY_CREATED, cy, 5000);
		KT_CHILD_CHECK(k >= 0);
		for (i = 0; i < cs->nseen; i++)
			KT_CHILD_CHECK(cs->seen[i].id != px);
		close(cq);
		KT_CHILD_CHECK(ev_wait(cs, KIPC_NOTIFY_DESTROYED, cy, 5000) >= 0);
		for (i = 0; i < cs->nseen; i++)
			KT_CHILD_CHECK(cs->seen[i].id != px);
		KT_CHILD_CHECK(cs->bad == 0);
		_exit(0);
	}
	read_u32(up[0]);
	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	x = queue_id(q);
	write_u32(down[1], x);
	y = read_u32(up[0]);
	ret = kt_reap(pid);
	if (ret == KT_SKIP_STATUS)
		SKIP(return, "unshare(CLONE_NEWIPC) is not allowed");
	ASSERT_EQ(0, ret);
	close(q);
	mk = marker();
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_CREATED, mk, 5000));
	EXPECT_EQ(1, ev_count(s, KIPC_NOTIFY_CREATED, x));
	EXPECT_EQ(1, ev_count(s, KIPC_NOTIFY_OWNER_DIED, x));
	EXPECT_EQ(0, ev_count(s, 0, y))
		TH_LOG("saw the other namespace's object %u", y);
	EXPECT_EQ(0, s->bad) TH_LOG("%s", s->bad_err);
	free(s);
}

/* The file a namespace shows for ids it cannot map (overflowuid). */
static uint32_t overflow_id(const char *file)
{
	char path[64], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 65534;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (uint32_t)strtoul(buf, NULL, 10) : 65534;
}

/*
 * Pids in dumps and events are in the reader's pid namespace (0 when not
 * visible there), uids and gids in its user namespace.
 */
TEST_F_TIMEOUT(nl, namespace_ids, 120)
{
	int mid_up[2], gc_up[2], down[2], q, x, k, ret;
	uint32_t qid, qqid, xid;
	struct nlt_reply r;
	struct evsock *s;
	struct tobj o;
	pid_t mid, gc;

	if (geteuid())
		SKIP(return, "needs root for unshare()");
	s = calloc(1, sizeof(*s));
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(0, ev_open(s));
	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	qid = queue_id(q);
	ASSERT_EQ(0, pipe(mid_up));
	ASSERT_EQ(0, pipe(gc_up));
	ASSERT_EQ(0, pipe(down));

	mid = kt_fork();
	ASSERT_LE(0, mid);
	if (mid == 0) {
		if (unshare(CLONE_NEWPID))
			_exit(KT_SKIP_STATUS);
		gc = fork();
		if (gc == 0) {
			struct evsock *cs = calloc(1, sizeof(*cs));
			struct nlt t;
			struct nlt_reply cr;
			struct tobj co;
			uint32_t cx;
			int qq, i;

			KT_CHILD_CHECK(getpid() == 1 && cs);
			KT_CHILD_CHECK(nlt_open(&t) == 0);
			/* Our parent's object: its owner is not visible. */
			KT_CHILD_CHECK(get_obj(&t, qid, &co, &cr) == 0);
			KT_CHILD_CHECK(nla_get_u32(co.a[KIPC_A_OBJ_OWNER_PID]) == 0);
			nlt_reply_free(&cr);
			/* Ours: owner pid 1. */
			qq = kipc_queue_create(self->name2, NULL, 0, 0600);
			KT_CHILD_CHECK(qq >= 0);
			KT_CHILD_CHECK(get_obj(&t, queue_id(qq), &co, &cr) == 0);
			KT_CHILD_CHECK(nla_get_u32(co.a[KIPC_A_OBJ_OWNER_PID]) == 1);
			nlt_reply_free(&cr);
			KT_CHILD_CHECK(ev_open(cs) == 0);
			write_u32(gc_up[1], queue_id(qq));
			/* The parent's owner dies: pid 0 here. */
			cx = read_u32(down[0]);
			i = ev_wait(cs, KIPC_NOTIFY_OWNER_DIED, cx, 5000);
			KT_CHILD_CHECK(i >= 0);
			KT_CHILD_CHECK(cs->seen[i].has_pid && cs->seen[i].pid == 0);
			KT_CHILD_CHECK(cs->bad == 0);
			/* In a user namespace with no mapping: overflow ids. */
			KT_CHILD_CHECK(unshare(CLONE_NEWUSER) == 0);
			KT_CHILD_CHECK(get_obj(&t, qid, &co, &cr) == 0);
			KT_CHILD_CHECK(nla_get_u32(co.a[KIPC_A_OBJ_UID]) ==
				       overflow_id("overflowuid"));
			KT_CHILD_CHECK(nla_get_u32(co.a[KIPC_A_OBJ_GID]) ==
				       overflow_id("overflowgid"));
			nlt_reply_free(&cr);
			_exit(0);
		}
		write_u32(mid_up[1], gc);
		_exit(kt_reap(gc));
	}
	ret = 0;
	gc = read_u32(mid_up[0]);
	qqid = read_u32(gc_up[0]);
	/* Seen from here, the grandchild's object has its real pid. */
	ASSERT_EQ(0, get_obj(&self->t, qqid, &o, &r)) TH_LOG("%s", o.err);
	EXPECT_U32(o.a, KIPC_A_OBJ_OWNER_PID, gc);
	nlt_reply_free(&r);
	x = kipc_queue_create(NULL, NULL, 0, 0600);
	ASSERT_LE(0, x);
	xid = queue_id(x);
	close(x);
	write_u32(down[1], xid);
	ret = kt_reap(mid);
	if (ret == KT_SKIP_STATUS)
		SKIP(return, "unshare(CLONE_NEWPID) is not allowed");
	ASSERT_EQ(0, ret);
	/* Its owner died with it: the real pid here. */
	k = ev_find(s, KIPC_NOTIFY_OWNER_DIED, qqid, 5000);
	ASSERT_LE(0, k);
	EXPECT_EQ(gc, s->seen[k].pid);
	k = ev_find(s, KIPC_NOTIFY_OWNER_DIED, xid, 5000);
	ASSERT_LE(0, k);
	EXPECT_EQ(getpid(), s->seen[k].pid);
	close(q);
	free(s);
}

/*
 * A subscriber that does not read: creators never wait for it, it is
 * told it lost events (ENOBUFS), and it stays subscribed.
 */
TEST_F_TIMEOUT(nl, events_overrun, 300)
{
	int small = 4096, fd, i, enobufs = 0, msgs = 0;
	struct evsock *s;
	int64_t t0, ms;
	uint32_t mk;

	s = calloc(1, sizeof(*s));
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(0, ev_open(s));
	fd = nl_socket_get_fd(s->t.sk);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small,
				sizeof(small)));
	t0 = kt_now_ns();
	for (i = 0; i < 500; i++) {
		int e = kipc_event_create(NULL, KIPC_EVENT_FLAG, 0, 0, 0600);

		ASSERT_LE(0, e);
		close(e);
	}
	ms = (kt_now_ns() - t0) / MS;
	TH_LOG("500 objects (1500 events) in %lld ms", (long long)ms);
	/* Drain: some events, then the overrun is reported. */
	for (;;) {
		char buf[8192];
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == ENOBUFS) {
			enobufs++;
			continue;
		}
		if (n <= 0)
			break;
		msgs++;
	}
	TH_LOG("%d messages read, %d overruns", msgs, enobufs);
	EXPECT_LT(0, msgs);
	EXPECT_LT(0, enobufs);
	EXPECT_GT(1500, msgs);
	/* Still subscribed. */
	mk = marker();
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_CREATED, mk, 5000));
	free(s);
}

/* Many subscribers: each one is served or told ENOSPC; closing them
 * makes room again.
 */
TEST_F_TIMEOUT(nl, many_subscribers, 300)
{
	int n = 300, i, ok = 0, nospc = 0, other = 0, ret;
	struct nlt *t = calloc(n, sizeof(*t));
	struct evsock *s;
	uint32_t mk;
	pid_t pid;

	ASSERT_TRUE(t != NULL);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, nlt_open(&t[i]));
		ret = ev_subscribe(&t[i]);
		if (!ret)
			ok++;
		else if (ret == -ENOSPC)
			nospc++;
		else
			other++;
	}
	TH_LOG("%d subscribed, %d refused with ENOSPC", ok, nospc);
	EXPECT_EQ(0, other);
	/* The limit is per user in an IPC namespace... */
	EXPECT_EQ(KIPC_GENL_USER_SUBS_MAX, ok);
	/* ...so another user is not starved by this one. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct nlt u;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(2);
		if (nlt_open(&u) || ev_subscribe(&u))
			_exit(1);
		nlt_close(&u);
		_exit(0);
	}
	EXPECT_EQ(0, kt_reap(pid));
	/* Every subscriber gets the event. */
	mk = marker();
	for (i = 0; i < n; i += 37) {
		struct evsock *e = calloc(1, sizeof(*e));

		ASSERT_TRUE(e != NULL);
		e->t = t[i];
		if (i < ok)
			EXPECT_LE(0, ev_wait(e, KIPC_NOTIFY_CREATED, mk, 5000));
		free(e);
	}
	for (i = 0; i < n; i++)
		nlt_close(&t[i]);
	free(t);
	s = calloc(1, sizeof(*s));
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(0, ev_open(s));
	mk = marker();
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_CREATED, mk, 5000));
	free(s);
}

/* Dumps while other threads create and destroy objects. */
struct churn {
	atomic_bool stop;
	atomic_uint made;
	char prefix[96];
	int idx;
};

static void *churn_fn(void *arg)
{
	struct churn *c = arg;
	char name[160];
	unsigned int i = 0;
	char b = 'x';
	int fd;

	while (!atomic_load(&c->stop)) {
		snprintf(name, sizeof(name), "%s.%d.%u", c->prefix, c->idx, i);
		switch (i++ % 4) {
		case 0:
			fd = kipc_queue_create(name, NULL, 0, 0600);
			if (fd >= 0)
				kipc_send(fd, 1, 0, &b, 1, 0);
			break;
		case 1:
			fd = kipc_region_create(name, 4096, 0, 0600);
			break;
		case 2:
			fd = kipc_event_create(NULL, KIPC_EVENT_COUNTER, 1, 0,
					       0600);
			break;
		default:
			fd = kipc_queue_create(NULL, NULL, 0, 0600);
			break;
		}
		if (fd >= 0) {
			atomic_fetch_add(&c->made, 1);
			close(fd);
		}
	}
	return NULL;
}

#define STABLE	100

static const struct kipc_queue_attr small_q = {
	.max_msgs = 16, .max_msg_size = 256,
};

TEST_F_TIMEOUT(nl, dump_races_churn, 300)
{
	struct churn c[2];
	pthread_t th[2];
	uint32_t ids[STABLE];
	int fds[STABLE], i, d, j, dumps = 0, multi = 0;
	struct nlt_reply r;
	struct tobj o;
	int64_t end;

	for (i = 0; i < STABLE; i++) {
		char name[96];

		snprintf(name, sizeof(name), "%s.stable.%d", self->name, i);
		/* Small: 100 default queues would pass the uid's quota. */
		fds[i] = kipc_queue_create(name, &small_q, 0, 0600);
		ASSERT_LE(0, fds[i]);
		ids[i] = queue_id(fds[i]);
	}
	for (i = 0; i < 2; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		snprintf(c[i].prefix, sizeof(c[i].prefix), "%s.churn",
			 self->name);
		c[i].idx = i;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, churn_fn, &c[i]));
	}
	end = kt_now_ns() + 60000 * MS;
	for (d = 0; d < 40 && kt_now_ns() < end; d++) {
		ASSERT_EQ(0, nlt_dump(&self->t, &r));
		ASSERT_EQ(0, r.err) TH_LOG("dump %d: %s", d, r.extack);
		ASSERT_LE(STABLE, r.n);
		/* Every message well-formed, no id twice, every stable once. */
		for (i = 0; i < STABLE; i++) {
			ASSERT_EQ(1, dump_find(self->t.family, &r, ids[i], &o))
				TH_LOG("dump %d, object %u: %s", d, ids[i],
				       o.err);
		}
		/* Gets of whatever was just dumped: the object or ENOENT. */
		for (j = 0; j < (int)r.n && j < 20; j++) {
			struct nlt_reply g;
			struct tobj go;
			int ret;

			ASSERT_EQ(0, parse_obj(r.msgs[r.n - 1 - j],
					       self->t.family, &o));
			ret = get_obj(&self->t,
				      nla_get_u32(o.a[KIPC_A_OBJ_ID]), &go, &g);
			EXPECT_TRUE(ret == 0 || ret == -ENOENT)
				TH_LOG("get: %d %s", ret, go.err);
			nlt_reply_free(&g);
		}
		if (r.n > 10)
			multi++;
		nlt_reply_free(&r);
		dumps++;
	}
	for (i = 0; i < 2; i++) {
		atomic_store(&c[i].stop, true);
		pthread_join(th[i], NULL);
	}
	TH_LOG("%d dumps while %u objects came and went", dumps,
	       atomic_load(&c[0].made) + atomic_load(&c[1].made));
	EXPECT_LE(5, dumps);
	EXPECT_LT(0, atomic_load(&c[0].made));
	for (i = 0; i < STABLE; i++)
		close(fds[i]);
}

/* ---------------------------------------------------------------------
 * Malformed requests, built byte by byte.
 */

struct raw {
	unsigned char buf[70000] __attribute__((aligned(4)));
	size_t len;
};

static void raw_init(struct raw *m, int family, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *h = (void *)m->buf;
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	h->nlmsg_type = family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g = nlmsg_data(h);
	g->cmd = cmd;
	g->version = KIPC_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* An attribute whose nla_len says @nla_len, followed by @len bytes. */
static void raw_attr_len(struct raw *m, uint16_t type, uint16_t nla_len,
			 const void *data, size_t len)
{
	struct nlattr *a = (void *)(m->buf + m->len);

	a->nla_len = nla_len;
	a->nla_type = type;
	if (len)
		memcpy(a + 1, data, len);
	m->len += NLA_ALIGN(NLA_HDRLEN + len);
}

static void raw_attr(struct raw *m, uint16_t type, const void *data,
		     size_t len)
{
	raw_attr_len(m, type, NLA_HDRLEN + len, data, len);
}

/* Send as is (nlmsg_len = @m->len) and collect the answer. */
static int raw_xfer(struct nlt *t, struct raw *m, struct nlt_reply *r)
{
	struct nlmsghdr *h = (void *)m->buf;

	memset(r, 0, sizeof(*r));
	h->nlmsg_len = m->len;
	h->nlmsg_seq = ++t->seq;
	h->nlmsg_pid = nl_socket_get_local_port(t->sk);
	if (nl_sendto(t->sk, m->buf, m->len) < 0)
		return -EIO;
	return nlt_collect(t, h->nlmsg_seq, r);
}

/* The errno a hand-built request gets (0 for success), or -1000-ish. */
static int raw_err(struct nlt *t, struct raw *m)
{
	struct nlt_reply r;
	int ret = raw_xfer(t, m, &r);

	if (!ret)
		ret = r.err;
	else
		ret = -1000 + ret;
	nlt_reply_free(&r);
	return ret;
}

TEST_F_TIMEOUT(nl, malformed, 120)
{
	const int fam = self->t.family;
	struct raw *m = malloc(sizeof(*m));
	struct nlattr *tb[KIPC_A_M_MAX + 1];
	struct nlt_reply r;
	uint32_t id, u32 = 1;
	uint64_t u64 = 1;
	char name[300], err[256];
	struct nlmsghdr *h;
	uint8_t u8 = 1;
	int q;

	ASSERT_TRUE(m != NULL);
	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	id = queue_id(q);

	/* A well-formed raw request works, so the failures below are real. */
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_ID, &id, 4);
	ASSERT_EQ(0, raw_xfer(&self->t, m, &r));
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(1, r.n);
	nlt_reply_free(&r);

	/* Missing: a get with no attribute, with an extack message. */
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	ASSERT_EQ(0, raw_xfer(&self->t, m, &r));
	EXPECT_EQ(-EINVAL, r.err);
	EXPECT_NE(0, r.extack[0]);
	nlt_reply_free(&r);

	/* Oversized: a name of 299 bytes, and one of 32000. */
	memset(name, 'a', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_NAME, name, sizeof(name));
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	memset(m->buf + m->len + NLA_HDRLEN, 'b', 32000);
	m->buf[m->len + NLA_HDRLEN + 31999] = '\0';
	raw_attr_len(m, KIPC_A_OBJ_NAME, NLA_HDRLEN + 32000, NULL, 0);
	m->len += NLA_ALIGN(32000);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));

	/* A name without its NUL. */
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_NAME, self->name, strlen(self->name));
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));

	/* Wrong types: an id of 0, 1, 2 and 8 bytes, a nested id. */
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_ID, NULL, 0);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_ID, &u8, 1);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_ID, &u32, 2);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_ID, &u64, 8);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_ID | NLA_F_NESTED, &id, 4);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	/* A name given as a u32 (with no NUL byte in it). */
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_NAME, &(uint32_t){ 0x41424344 }, 4);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));

	/* Unknown attributes: past the max, type 0, the largest type. */
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_ID, &id, 4);
	raw_attr(m, KIPC_A_MAX + 1, &u32, 4);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_ID, &id, 4);
	raw_attr(m, 0, &u32, 4);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_ID, &id, 4);
	raw_attr(m, 0x3fff, &u32, 4);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	/* A known attribute the command does not take. */
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_ID, &id, 4);
	raw_attr(m, KIPC_A_NOTIFY_TYPE, &u32, 4);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));

	/* Truncated: an attribute header claiming 2 bytes, one claiming
	 * more than the message holds, 3 stray bytes at the end.
	 */
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr_len(m, KIPC_A_OBJ_ID, 2, &id, 4);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr_len(m, KIPC_A_OBJ_ID, 200, &id, 4);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_ID, &id, 4);
	m->len += 3;
	m->buf[m->len - 1] = 0x5a;
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	/* A genl header cut short. */
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	m->len = NLMSG_HDRLEN + 2;
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));

	/* Dumps validate their attributes too. */
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, NLM_F_DUMP);
	raw_attr(m, KIPC_A_MAX + 1, &u32, 4);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, NLM_F_DUMP);
	raw_attr(m, KIPC_A_OBJ_NAME, name, sizeof(name));
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, NLM_F_DUMP);
	raw_attr(m, KIPC_A_OBJ_ID, &u8, 1);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	/* ...and so do the other commands. */
	raw_init(m, fam, KIPC_CMD_GET_MODULE, 0);
	raw_attr(m, KIPC_A_MAX + 1, &u32, 4);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_NOTIFY, 0);
	raw_attr(m, KIPC_A_MAX + 1, &u32, 4);
	EXPECT_EQ(-EINVAL, raw_err(&self->t, m));

	/* Commands that do not exist, or not as a dump. */
	raw_init(m, fam, KIPC_CMD_UNSPEC, 0);
	EXPECT_EQ(-EOPNOTSUPP, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_MAX + 1, 0);
	EXPECT_EQ(-EOPNOTSUPP, raw_err(&self->t, m));
	raw_init(m, fam, 250, NLM_F_DUMP);
	EXPECT_EQ(-EOPNOTSUPP, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_NOTIFY, NLM_F_DUMP);
	EXPECT_EQ(-EOPNOTSUPP, raw_err(&self->t, m));
	raw_init(m, fam, KIPC_CMD_GET_MODULE, NLM_F_DUMP);
	EXPECT_EQ(-EOPNOTSUPP, raw_err(&self->t, m));

	/* After all that, the family still answers. */
	ASSERT_EQ(0, get_module(&self->t, tb, &r, err)) TH_LOG("%s", err);
	nlt_reply_free(&r);
	raw_init(m, fam, KIPC_CMD_GET_OBJECT, 0);
	raw_attr(m, KIPC_A_OBJ_NAME, self->name, strlen(self->name) + 1);
	ASSERT_EQ(0, raw_xfer(&self->t, m, &r));
	EXPECT_EQ(0, r.err);
	ASSERT_EQ(1, r.n);
	h = r.msgs[0];
	{
		struct tobj o;

		ASSERT_EQ(0, parse_obj(h, fam, &o)) TH_LOG("%s", o.err);
		EXPECT_U32(o.a, KIPC_A_OBJ_ID, id);
	}
	nlt_reply_free(&r);
	free(m);
}

/* A few thousand random requests: each is answered, none crashes. */
TEST_F_TIMEOUT(nl, fuzz, 600)
{
	const int fam = self->t.family;
	struct raw *m = malloc(sizeof(*m));
	struct nlattr *tb[KIPC_A_M_MAX + 1];
	unsigned int seed = (unsigned int)kt_now_ns(), i, errors = 0;
	struct nlt_reply r;
	char err[256];
	int q, ret;

	ASSERT_TRUE(m != NULL);
	TH_LOG("seed %u", seed);
	srandom(seed);
	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);

	for (i = 0; i < 3000; i++) {
		int nattr = random() % 6, k;
		uint8_t cmd = random() % 6;

		raw_init(m, fam, cmd, random() % 4 ? 0 : NLM_F_DUMP);
		for (k = 0; k < nattr; k++) {
			uint16_t type = random() % (KIPC_A_MAX + 4);
			size_t len = random() % 3 ? random() % 12 :
				     random() % 400;
			unsigned char data[400];
			size_t b;

			if (!(random() % 8))
				type |= NLA_F_NESTED;
			for (b = 0; b < len; b++)
				data[b] = random();
			/* Sometimes a real id, name or NUL-terminated text. */
			switch (random() % 5) {
			case 0:
				if (len >= 4)
					memcpy(data, &(uint32_t){ queue_id(q) }, 4);
				break;
			case 1:
				if (len)
					data[len - 1] = '\0';
				break;
			}
			if (!(random() % 10))
				raw_attr_len(m, type, random() % 512, data, len);
			else
				raw_attr(m, type, data, len);
		}
		ret = raw_xfer(&self->t, m, &r);
		ASSERT_EQ(0, ret) TH_LOG("request %u went unanswered", i);
		if (r.err)
			errors++;
		nlt_reply_free(&r);
	}
	TH_LOG("3000 requests, %u refused", errors);
	EXPECT_LT(0, errors);
	ASSERT_EQ(0, get_module(&self->t, tb, &r, err)) TH_LOG("%s", err);
	nlt_reply_free(&r);
	free(m);
}

/*
 * A create that fails with EEXIST published nothing, so it must send
 * nothing: no OWNER_DIED (nor anything else) with the name of an object
 * that never existed for anyone.
 */
TEST_F_TIMEOUT(nl, create_eexist_sends_nothing, 120)
{
	struct evsock *s = calloc(1, sizeof(*s));
	uint32_t x, mk;
	int q, i;

	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(0, ev_open(s));
	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	x = queue_id(q);
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_CREATED, x, 5000));
	EXPECT_EQ(-EEXIST, kipc_queue_create(self->name, NULL, 0, 0600));
	EXPECT_EQ(-EEXIST, kipc_event_create(self->name, KIPC_EVENT_FLAG, 0,
					     0, 0600));
	EXPECT_EQ(-EEXIST, kipc_region_create(self->name, 4096, 0, 0600));
	mk = marker();
	ASSERT_LE(0, ev_wait(s, KIPC_NOTIFY_DESTROYED, mk, 5000));
	for (i = 0; i < s->nseen; i++)
		EXPECT_TRUE(s->seen[i].id == x || s->seen[i].id == mk)
			TH_LOG("event type %u about object %u (name \"%s\"), "
			       "which was never published", s->seen[i].type,
			       s->seen[i].id, s->seen[i].has_name ?
			       s->seen[i].name : "");
	EXPECT_EQ(1, ev_count(s, 0, x));
	close(q);
	EXPECT_EQ(0, s->bad) TH_LOG("%s", s->bad_err);
	free(s);
}

/*
 * The subscriber limit counts per real user (the kuid), not per user in
 * an IPC namespace: an unprivileged user who makes user and IPC
 * namespaces in a loop and subscribes in each gets no more than
 * KIPC_GENL_USER_SUBS_MAX in all, and another user can still subscribe.
 */
TEST_F_TIMEOUT(nl, subscribers_per_real_user, 900)
{
	int up[2], down[2], total, ret;
	pid_t pid, other;

	if (geteuid())
		SKIP(return, "needs root to become two other users");
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static pid_t kids[KIPC_GENL_MAX_SUBS_GUESS];
		int nkids = 0, sum = 0, i;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(2);
		for (i = 0; i < KIPC_GENL_MAX_SUBS_GUESS; i++) {
			int p[2], got = 0, k;
			pid_t g;

			KT_CHILD_CHECK(pipe(p) == 0);
			g = fork();
			KT_CHILD_CHECK(g >= 0);
			if (!g) {
				struct nlt t[KIPC_GENL_USER_SUBS_MAX + 1];

				if (unshare(CLONE_NEWUSER | CLONE_NEWIPC))
					got = -1;
				for (k = 0; got >= 0 &&
				     k <= KIPC_GENL_USER_SUBS_MAX; k++)
					if (!nlt_open(&t[k]) &&
					    !ev_subscribe(&t[k]))
						got++;
				write_u32(p[1], got);
				pause();
				_exit(0);
			}
			kids[nkids++] = g;
			got = (int)read_u32(p[0]);
			close(p[0]);
			close(p[1]);
			if (got < 0) {
				sum = -1;
				break;
			}
			sum += got;
			if (!got)
				break;	/* nothing more for this user */
		}
		write_u32(up[1], sum);
		read_u32(down[0]);
		for (i = 0; i < nkids; i++) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
		_exit(0);
	}
	total = (int)read_u32(up[0]);
	if (total == -1) {
		write_u32(down[1], 0);
		kt_reap(pid);
		SKIP(return, "unprivileged user namespaces are not allowed");
	}
	TH_LOG("uid 65534 got %d subscriptions over its namespaces", total);
	EXPECT_GE(KIPC_GENL_USER_SUBS_MAX, total);
	EXPECT_LE(1, total);
	/* While they are held, another user still gets one. */
	other = fork();
	ASSERT_LE(0, other);
	if (!other) {
		struct nlt u;

		if (setresgid(65533, 65533, 65533) ||
		    setresuid(65533, 65533, 65533))
			_exit(2);
		if (nlt_open(&u))
			_exit(3);
		ret = ev_subscribe(&u);
		if (ret)
			fprintf(stderr, "# uid 65533: subscribe: %s\n",
				strerror(-ret));
		_exit(ret ? 1 : 0);
	}
	EXPECT_EQ(0, kt_reap(other));
	write_u32(down[1], 0);
	EXPECT_EQ(0, kt_reap(pid));
}

TEST_HARNESS_MAIN
