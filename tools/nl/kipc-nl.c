// SPDX-License-Identifier: GPL-2.0
/*
 * libkipcnl - the generic netlink client of the "kipc" family; see
 * kipc-nl.h for the layers.  libnl-genl-3 builds the requests and walks
 * the attributes; the receive loop is ours, so that replies are matched
 * to their request by sequence number and everything else (events) is
 * kept for kipcnl_recv() instead of being taken for a reply.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>

#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "kipc-nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

#define KIPCNL_BUF		32768
#define KIPCNL_PENDING_MAX	4096	/* events kept during requests */
#define KIPCNL_TIMEOUT_S	30	/* for a reply that never comes */

struct kipcnl {
	struct nl_sock *sk;
	int family;
	char extack[256];
	unsigned char *buf;		/* one datagram */
	size_t cap;
	struct nlmsghdr **pending;	/* events read during requests */
	size_t nr_pending;
	bool overrun;			/* pending was full, or ENOBUFS */
};

#define ERR(err, ...)	do { if (err) snprintf(err, 256, __VA_ARGS__); } while (0)

/* libnl's NLE_* code (negative) as a negative errno. */
static int kipcnl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_PERM:		return -EPERM;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_INTR:		return -EINTR;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_MSGSIZE:	return -EMSGSIZE;
	case NLE_MSG_TRUNC:	return -EMSGSIZE;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:	return -EAFNOSUPPORT;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_BAD_SOCK:	return -EBADF;
	case NLE_BUSY:		return -EBUSY;
	case NLE_EXIST:		return -EEXIST;
	case NLE_DUMP_INTR:	return -EINTR;
	default:		return -EIO;
	}
}

/* ---------------------------------------------------------------------
 * 1. Transport.
 */

/* Read one datagram into nl->buf; its length or -errno. */
static int kipcnl_read(struct kipcnl *nl, int flags)
{
	int fd = nl_socket_get_fd(nl->sk);
	ssize_t n;

	/* Its size first: an ack echoing a large request can be large. */
	n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | flags);
	if (n < 0)
		return errno == EAGAIN && !flags ? -ETIMEDOUT : -errno;
	if ((size_t)n > nl->cap) {
		unsigned char *b = realloc(nl->buf, n);

		if (!b)
			return -ENOMEM;
		nl->buf = b;
		nl->cap = n;
	}
	n = recv(fd, nl->buf, nl->cap, flags);
	if (n < 0)
		return errno == EAGAIN && !flags ? -ETIMEDOUT : -errno;
	return (int)n;
}

static void kipcnl_keep(struct kipcnl *nl, const struct nlmsghdr *h)
{
	struct nlmsghdr **v, *c;

	if (nl->nr_pending == KIPCNL_PENDING_MAX) {
		nl->overrun = true;
		return;
	}
	v = realloc(nl->pending, (nl->nr_pending + 1) * sizeof(*v));
	c = malloc(h->nlmsg_len);
	if (!v || !c) {
		if (v)
			nl->pending = v;
		free(c);
		nl->overrun = true;
		return;
	}
	memcpy(c, h, h->nlmsg_len);
	nl->pending = v;
	v[nl->nr_pending++] = c;
}

/* Keep the kernel's extended-ack message of an NLMSG_ERROR or DONE. */
static void kipcnl_extack_parse(struct kipcnl *nl, const struct nlmsghdr *h,
				size_t off)
{
	struct nlattr *a;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_ALIGN(off);
	if (h->nlmsg_len < NLMSG_HDRLEN + off)
		return;
	a = nla_find((struct nlattr *)((char *)nlmsg_data(h) + off),
		     h->nlmsg_len - NLMSG_HDRLEN - off, NLMSGERR_ATTR_MSG);
	if (a && nla_len(a) > 0) {
		snprintf(nl->extack, sizeof(nl->extack), "%.*s", nla_len(a),
			 (const char *)nla_data(a));
		nl->extack[strcspn(nl->extack, "\n")] = '\0';
	}
}

/*
 * Read until request @seq is answered.  *@kerr gets the kernel's errno;
 * @fn sees the other messages of the request (its first negative return
 * is kept in *@fnerr, reading goes on to the end).  0 or -errno of recv.
 */
static int kipcnl_wait(struct kipcnl *nl, uint32_t seq, int *kerr,
		       int (*fn)(const struct nlmsghdr *h, void *arg),
		       void *arg, int *fnerr)
{
	*kerr = 0;
	*fnerr = 0;
	for (;;) {
		const struct nlmsghdr *h;
		bool done = false;
		int len = kipcnl_read(nl, 0);

		if (len < 0)
			return len;
		for (h = (void *)nl->buf; nlmsg_ok(h, len);
		     h = nlmsg_next((struct nlmsghdr *)h, &len)) {
			if (h->nlmsg_seq != seq) {
				/* An event (seq 0), or a stale reply. */
				if (!h->nlmsg_seq && h->nlmsg_type != NLMSG_ERROR &&
				    h->nlmsg_type != NLMSG_DONE)
					kipcnl_keep(nl, h);
				continue;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = nlmsg_data(h);
				size_t off = sizeof(*e);

				if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(*e)) {
					*kerr = -EPROTO;
				} else {
					if (!(h->nlmsg_flags & NLM_F_CAPPED) &&
					    e->msg.nlmsg_len >= NLMSG_HDRLEN)
						off += e->msg.nlmsg_len -
						       NLMSG_HDRLEN;
					*kerr = e->error;
					kipcnl_extack_parse(nl, h, off);
				}
				done = true;
			} else if (h->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					memcpy(&err, nlmsg_data(h), sizeof(err));
				if (err < 0) {
					*kerr = err;
					kipcnl_extack_parse(nl, h, sizeof(int));
				}
				done = true;
			} else if (fn && !*fnerr) {
				int ret = fn(h, arg);

				if (ret < 0)
					*fnerr = ret;
			}
		}
		if (done)
			return 0;
	}
}

static int kipcnl_send_msg(struct kipcnl *nl, struct nl_msg *msg,
			   uint32_t *seq)
{
	int ret;

	if (!msg)
		return -ENOMEM;
	nl->extack[0] = '\0';
	ret = nl_send_auto(nl->sk, msg);
	*seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	return ret < 0 ? kipcnl_errno(ret) : 0;
}

int kipcnl_request(struct kipcnl *nl, struct nl_msg *msg,
		   int (*fn)(const struct nlmsghdr *h, void *arg), void *arg)
{
	int ret, kerr, fnerr;
	uint32_t seq;

	ret = kipcnl_send_msg(nl, msg, &seq);
	if (!ret)
		ret = kipcnl_wait(nl, seq, &kerr, fn, arg, &fnerr);
	if (ret)
		return ret;
	return kerr ? kerr : fnerr;
}

struct nl_msg *kipcnl_msg(struct kipcnl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc();

	if (m && !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			      flags, cmd, KIPC_GENL_VERSION)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

static int kipcnl_copy_fn(const struct nlmsghdr *h, void *arg)
{
	struct kipcnl_reply *r = arg;
	struct nlmsghdr **v, *c;

	v = realloc(r->msgs, (r->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->msgs = v;
	c = malloc(h->nlmsg_len);
	if (!c)
		return -ENOMEM;
	memcpy(c, h, h->nlmsg_len);
	v[r->n++] = c;
	if (h->nlmsg_flags & NLM_F_DUMP_INTR)
		r->dump_intr = true;
	return 0;
}

static int kipcnl_collect(struct kipcnl *nl, uint32_t seq,
			  struct kipcnl_reply *r)
{
	int ret, fnerr;

	ret = kipcnl_wait(nl, seq, &r->err, kipcnl_copy_fn, r, &fnerr);
	snprintf(r->extack, sizeof(r->extack), "%s", nl->extack);
	return ret ? ret : fnerr;
}

int kipcnl_xfer(struct kipcnl *nl, struct nl_msg *msg, struct kipcnl_reply *r)
{
	uint32_t seq;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = kipcnl_send_msg(nl, msg, &seq);
	return ret ? ret : kipcnl_collect(nl, seq, r);
}

void kipcnl_reply_free(struct kipcnl_reply *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->msgs[i]);
	free(r->msgs);
	memset(r, 0, sizeof(*r));
}

int kipcnl_raw_send(struct kipcnl *nl, void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *h = buf;

	if (len >= NLMSG_HDRLEN) {
		h->nlmsg_seq = nl_socket_use_seq(nl->sk);
		h->nlmsg_pid = nl_socket_get_local_port(nl->sk);
	}
	nl->extack[0] = '\0';
	if (sendto(nl_socket_get_fd(nl->sk), buf, len, 0,
		   (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

int kipcnl_raw_xfer(struct kipcnl *nl, void *buf, size_t len,
		    struct kipcnl_reply *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	if (len < NLMSG_HDRLEN)
		return -EINVAL;
	ret = kipcnl_raw_send(nl, buf, len);
	return ret ? ret : kipcnl_collect(nl, ((struct nlmsghdr *)buf)->nlmsg_seq,
					  r);
}

void kipcnl_drain(struct kipcnl *nl)
{
	int n;

	do
		n = kipcnl_read(nl, MSG_DONTWAIT);
	while (n > 0 || n == -ENOBUFS);
}

static int64_t kipcnl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int kipcnl_recv(struct kipcnl *nl, int timeout_ms,
		int (*fn)(const struct nlmsghdr *h, void *arg), void *arg)
{
	int64_t deadline = timeout_ms < 0 ? -1 : kipcnl_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = nl_socket_get_fd(nl->sk), .events = POLLIN };
	size_t i, seen;
	int ret;

	/* Kept events first, in order; those @fn did not see stay. */
	for (seen = 0, ret = 0; seen < nl->nr_pending && !ret; seen++)
		ret = fn(nl->pending[seen], arg);
	for (i = 0; i < seen; i++)
		free(nl->pending[i]);
	memmove(nl->pending, nl->pending + seen,
		(nl->nr_pending - seen) * sizeof(*nl->pending));
	nl->nr_pending -= seen;
	if (ret)
		return ret;
	if (nl->overrun) {
		nl->overrun = false;
		return -ENOBUFS;
	}
	for (;;) {
		const struct nlmsghdr *h;
		int wait = -1, len;

		if (deadline >= 0) {
			int64_t left = deadline - kipcnl_now_ms();

			if (left <= 0)
				return 0;
			wait = left > 60000 ? 60000 : (int)left;
		}
		ret = poll(&pfd, 1, wait);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret <= 0)
			continue;
		ret = 0;
		len = kipcnl_read(nl, MSG_DONTWAIT);
		if (len == -EAGAIN)
			continue;
		if (len < 0)
			return len;
		for (h = (void *)nl->buf; nlmsg_ok(h, len);
		     h = nlmsg_next((struct nlmsghdr *)h, &len)) {
			if (h->nlmsg_type == NLMSG_ERROR ||
			    h->nlmsg_type == NLMSG_DONE)
				continue;	/* a stale reply */
			if (ret)
				kipcnl_keep(nl, h);	/* after the stop */
			else
				ret = fn(h, arg);
		}
		if (ret)
			return ret;
	}
}

/* Ask the controller about @name: the family's id, and the id of its
 * multicast group @grp when @grp_id is given.
 */
struct kipcnl_ctrl {
	const char *grp;
	int id, grp_id;
};

static int kipcnl_ctrl_fn(const struct nlmsghdr *h, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(h);
	struct kipcnl_ctrl *c = arg;
	struct nlattr *a, *g, *n, *i;
	int len, rem;

	if (h->nlmsg_type != GENL_ID_CTRL ||
	    h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return 0;
	len = genlmsg_attrlen(gh, 0);
	a = nla_find(genlmsg_attrdata(gh, 0), len, CTRL_ATTR_FAMILY_ID);
	if (a && nla_len(a) >= 2)
		c->id = nla_get_u16(a);
	a = nla_find(genlmsg_attrdata(gh, 0), len, CTRL_ATTR_MCAST_GROUPS);
	if (!a || !c->grp)
		return 0;
	nla_for_each_nested(g, a, rem) {
		n = nla_find(nla_data(g), nla_len(g), CTRL_ATTR_MCAST_GRP_NAME);
		i = nla_find(nla_data(g), nla_len(g), CTRL_ATTR_MCAST_GRP_ID);
		if (n && i && nla_len(i) >= 4 &&
		    !strncmp(nla_data(n), c->grp, nla_len(n)))
			c->grp_id = (int)nla_get_u32(i);
	}
	return 0;
}

static int kipcnl_ctrl(struct kipcnl *nl, struct kipcnl_ctrl *c)
{
	struct nl_msg *m = nlmsg_alloc();
	int ret;

	c->id = -1;
	c->grp_id = -1;
	if (m && (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0,
			       0, CTRL_CMD_GETFAMILY, 1) ||
		  nla_put_string(m, CTRL_ATTR_FAMILY_NAME, KIPC_GENL_NAME))) {
		nlmsg_free(m);
		return -EMSGSIZE;
	}
	ret = kipcnl_request(nl, m, kipcnl_ctrl_fn, c);
	if (!ret && (c->id < 0 || (c->grp && c->grp_id < 0)))
		ret = -ENOENT;
	return ret;
}

int kipcnl_resolve(struct kipcnl *nl)
{
	struct kipcnl_ctrl c = { 0 };
	int ret = kipcnl_ctrl(nl, &c);

	return ret ? ret : c.id;
}

int kipcnl_open(struct kipcnl **out)
{
	struct timeval tv = { .tv_sec = KIPCNL_TIMEOUT_S };
	struct kipcnl *nl;
	int one = 1, ret, fd;

	*out = NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->cap = KIPCNL_BUF;
	nl->buf = malloc(nl->cap);
	nl->sk = nl_socket_alloc();
	if (!nl->sk || !nl->buf) {
		ret = -ENOMEM;
		goto err;
	}
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		ret = kipcnl_errno(ret);
		goto err;
	}
	fd = nl_socket_get_fd(nl->sk);
	/* Best effort: the kernel's reason comes with its errors. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* A reply that never comes is an error, not a hang. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl_socket_set_buffer_size(nl->sk, 1 << 20, 0);
	/*
	 * Replies are matched here, not by libnl, whose own expected
	 * sequence number our requests would leave behind: so that libnl's
	 * calls on kipcnl_sock() (a family cache) work, it checks none.
	 */
	nl_socket_disable_seq_check(nl->sk);
	ret = kipcnl_resolve(nl);
	if (ret < 0)
		goto err;
	nl->family = ret;
	*out = nl;
	return 0;
err:
	kipcnl_close(nl);
	return ret;
}

void kipcnl_close(struct kipcnl *nl)
{
	size_t i;

	if (!nl)
		return;
	if (nl->sk)
		nl_socket_free(nl->sk);
	for (i = 0; i < nl->nr_pending; i++)
		free(nl->pending[i]);
	free(nl->pending);
	free(nl->buf);
	free(nl);
}

int kipcnl_family(const struct kipcnl *nl)
{
	return nl->family;
}

int kipcnl_fd(const struct kipcnl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

struct nl_sock *kipcnl_sock(struct kipcnl *nl)
{
	return nl->sk;
}

const char *kipcnl_extack(const struct kipcnl *nl)
{
	return nl && nl->extack[0] ? nl->extack : NULL;
}

/* ---------------------------------------------------------------------
 * 2. Attributes: one table per nest.  The kernel's side is
 * module/netlink.c; a new attribute is one line here.
 */

#define POLICY(var, label, max, tbl, rep, needs)			\
	const struct kipcnl_policy var = {				\
		.name = label, .maxtype = max, .types = tbl,		\
		.repeat = rep, .need = needs,				\
		.nr_need = sizeof(needs) / sizeof(needs[0]),		\
	}

static const uint8_t obj_types[KIPC_A_MAX + 1] = {
	[KIPC_A_OBJ_ID]		= KIPCNL_T_U32,
	[KIPC_A_OBJ_KIND]	= KIPCNL_T_U32,
	[KIPC_A_OBJ_NAME]	= KIPCNL_T_STR,
	[KIPC_A_OBJ_STATE]	= KIPCNL_T_U32,
	[KIPC_A_OBJ_OWNER_PID]	= KIPCNL_T_U32,
	[KIPC_A_OBJ_UID]	= KIPCNL_T_U32,
	[KIPC_A_OBJ_GID]	= KIPCNL_T_U32,
	[KIPC_A_OBJ_MODE]	= KIPCNL_T_U32,
	[KIPC_A_OBJ_PERSIST]	= KIPCNL_T_FLAG,
	[KIPC_A_OBJ_HANDLES]	= KIPCNL_T_U32,
	[KIPC_A_OBJ_READERS]	= KIPCNL_T_U32,
	[KIPC_A_OBJ_WRITERS]	= KIPCNL_T_U32,
	[KIPC_A_OBJ_OWNER_ALIVE] = KIPCNL_T_U8,
	[KIPC_A_QUEUE]		= KIPCNL_T_NEST,
	[KIPC_A_REGION]		= KIPCNL_T_NEST,
	[KIPC_A_EVENT]		= KIPCNL_T_NEST,
	[KIPC_A_PAD]		= KIPCNL_T_PAD,
};

static const int obj_need[] = {
	KIPC_A_OBJ_ID, KIPC_A_OBJ_KIND, KIPC_A_OBJ_STATE,
	KIPC_A_OBJ_OWNER_PID, KIPC_A_OBJ_UID, KIPC_A_OBJ_GID,
	KIPC_A_OBJ_MODE, KIPC_A_OBJ_HANDLES, KIPC_A_OBJ_READERS,
	KIPC_A_OBJ_WRITERS, KIPC_A_OBJ_OWNER_ALIVE,
};

POLICY(kipcnl_obj_policy, "object", KIPC_A_MAX, obj_types, 0, obj_need);

static const uint8_t notify_types[KIPC_A_MAX + 1] = {
	[KIPC_A_OBJ_ID]		= KIPCNL_T_U32,
	[KIPC_A_OBJ_KIND]	= KIPCNL_T_U32,
	[KIPC_A_OBJ_NAME]	= KIPCNL_T_STR,
	[KIPC_A_NOTIFY_TYPE]	= KIPCNL_T_U32,
	[KIPC_A_NOTIFY_PID]	= KIPCNL_T_U32,
};

static const int notify_need[] = {
	KIPC_A_NOTIFY_TYPE, KIPC_A_OBJ_ID, KIPC_A_OBJ_KIND,
};

POLICY(kipcnl_notify_policy, "notify", KIPC_A_MAX, notify_types, 0,
       notify_need);

static const uint8_t queue_types[KIPC_A_Q_MAX + 1] = {
	[KIPC_A_Q_DEPTH_MSGS]		= KIPCNL_T_U64,
	[KIPC_A_Q_DEPTH_BYTES]		= KIPCNL_T_U64,
	[KIPC_A_Q_MAX_MSGS]		= KIPCNL_T_U64,
	[KIPC_A_Q_MAX_BYTES]		= KIPCNL_T_U64,
	[KIPC_A_Q_MAX_MSG_SIZE]		= KIPCNL_T_U64,
	[KIPC_A_Q_HIGH_WATER]		= KIPCNL_T_U64,
	[KIPC_A_Q_SENT]			= KIPCNL_T_U64,
	[KIPC_A_Q_RECEIVED]		= KIPCNL_T_U64,
	[KIPC_A_Q_DROPPED_NEW]		= KIPCNL_T_U64,
	[KIPC_A_Q_DROPPED_OLDEST]	= KIPCNL_T_U64,
	[KIPC_A_Q_CONFLATED]		= KIPCNL_T_U64,
	[KIPC_A_Q_REJECTED]		= KIPCNL_T_U64,
	[KIPC_A_Q_TIMEOUTS]		= KIPCNL_T_U64,
	[KIPC_A_Q_WAKEUPS]		= KIPCNL_T_U64,
	[KIPC_A_Q_POLICY]		= KIPCNL_T_U32,
	[KIPC_A_Q_FLAGS]		= KIPCNL_T_U32,
	[KIPC_A_Q_BLOCKED_SENDERS]	= KIPCNL_T_U32,
	[KIPC_A_Q_BLOCKED_RECEIVERS]	= KIPCNL_T_U32,
	[KIPC_A_Q_PAD]			= KIPCNL_T_PAD,
	[KIPC_A_Q_INFLIGHT_MSGS]	= KIPCNL_T_U64,
	[KIPC_A_Q_INFLIGHT_BYTES]	= KIPCNL_T_U64,
	[KIPC_A_Q_LEASED]		= KIPCNL_T_U64,
	[KIPC_A_Q_ACKED]		= KIPCNL_T_U64,
	[KIPC_A_Q_NACKED]		= KIPCNL_T_U64,
	[KIPC_A_Q_EXPIRED]		= KIPCNL_T_U64,
	[KIPC_A_Q_REDELIVERED]		= KIPCNL_T_U64,
	[KIPC_A_Q_DEAD_LETTERED]	= KIPCNL_T_U64,
	[KIPC_A_Q_DEAD_DROPPED]		= KIPCNL_T_U64,
	[KIPC_A_Q_MAX_DELIVERIES]	= KIPCNL_T_U32,
	[KIPC_A_Q_LEASE_TIMEOUT_MS]	= KIPCNL_T_U32,
	[KIPC_A_Q_LEASES]		= KIPCNL_T_NEST,
};

static const int queue_need[] = {
	KIPC_A_Q_DEPTH_MSGS, KIPC_A_Q_DEPTH_BYTES, KIPC_A_Q_MAX_MSGS,
	KIPC_A_Q_MAX_BYTES, KIPC_A_Q_MAX_MSG_SIZE, KIPC_A_Q_HIGH_WATER,
	KIPC_A_Q_SENT, KIPC_A_Q_RECEIVED, KIPC_A_Q_DROPPED_NEW,
	KIPC_A_Q_DROPPED_OLDEST, KIPC_A_Q_CONFLATED, KIPC_A_Q_REJECTED,
	KIPC_A_Q_TIMEOUTS, KIPC_A_Q_WAKEUPS, KIPC_A_Q_POLICY, KIPC_A_Q_FLAGS,
	KIPC_A_Q_BLOCKED_SENDERS, KIPC_A_Q_BLOCKED_RECEIVERS,
	KIPC_A_Q_INFLIGHT_MSGS, KIPC_A_Q_INFLIGHT_BYTES, KIPC_A_Q_LEASED,
	KIPC_A_Q_ACKED, KIPC_A_Q_NACKED, KIPC_A_Q_EXPIRED,
	KIPC_A_Q_REDELIVERED, KIPC_A_Q_DEAD_LETTERED, KIPC_A_Q_DEAD_DROPPED,
	KIPC_A_Q_MAX_DELIVERIES, KIPC_A_Q_LEASE_TIMEOUT_MS,
};

POLICY(kipcnl_queue_policy, "queue", KIPC_A_Q_MAX, queue_types, 0,
       queue_need);

/* KIPC_A_Q_LEASES holds KIPC_A_LEASE nests only, each of these. */
static const uint8_t leases_types[KIPC_A_LEASE_MAX + 1] = {
	[KIPC_A_LEASE]			= KIPCNL_T_NEST,
};

static const int leases_need[] = { KIPC_A_LEASE };

POLICY(kipcnl_leases_policy, "leases", KIPC_A_LEASE_MAX, leases_types,
       KIPC_A_LEASE, leases_need);

static const uint8_t lease_types[KIPC_A_LEASE_MAX + 1] = {
	[KIPC_A_LEASE_SEQ]		= KIPCNL_T_U64,
	[KIPC_A_LEASE_AGE_NS]		= KIPCNL_T_U64,
	[KIPC_A_LEASE_PID]		= KIPCNL_T_U32,
	[KIPC_A_LEASE_TID]		= KIPCNL_T_U32,
	[KIPC_A_LEASE_LEN]		= KIPCNL_T_U32,
	[KIPC_A_LEASE_PAD]		= KIPCNL_T_PAD,
};

static const int lease_need[] = {
	KIPC_A_LEASE_SEQ, KIPC_A_LEASE_AGE_NS, KIPC_A_LEASE_PID,
	KIPC_A_LEASE_TID, KIPC_A_LEASE_LEN,
};

POLICY(kipcnl_lease_policy, "lease", KIPC_A_LEASE_MAX, lease_types, 0,
       lease_need);

static const uint8_t region_types[KIPC_A_R_MAX + 1] = {
	[KIPC_A_R_SIZE]		= KIPCNL_T_U64,
	[KIPC_A_R_WAITERS]	= KIPCNL_T_U32,
	[KIPC_A_R_ORPHANED]	= KIPCNL_T_U8,
	[KIPC_A_R_OWNER_DIED]	= KIPCNL_T_U32,
	[KIPC_A_R_LOCK]		= KIPCNL_T_NEST,
	[KIPC_A_R_RING]		= KIPCNL_T_NEST,
	[KIPC_A_R_PAD]		= KIPCNL_T_PAD,
};

static const int region_need[] = {
	KIPC_A_R_SIZE, KIPC_A_R_WAITERS, KIPC_A_R_ORPHANED,
	KIPC_A_R_OWNER_DIED,
};

POLICY(kipcnl_region_policy, "region", KIPC_A_R_MAX, region_types,
       KIPC_A_R_LOCK, region_need);

static const uint8_t lock_types[KIPC_A_L_MAX + 1] = {
	[KIPC_A_L_OFFSET]		= KIPCNL_T_U64,
	[KIPC_A_L_WORD]			= KIPCNL_T_U32,
	[KIPC_A_L_HOLDER_PID]		= KIPCNL_T_U32,
	[KIPC_A_L_OWNER_DIED]		= KIPCNL_T_FLAG,
	[KIPC_A_L_NOTRECOVERABLE]	= KIPCNL_T_FLAG,
	[KIPC_A_L_WAITERS]		= KIPCNL_T_U32,
	[KIPC_A_L_PAD]			= KIPCNL_T_PAD,
	[KIPC_A_L_HOLDER_TID]		= KIPCNL_T_U32,
};

static const int lock_need[] = {
	KIPC_A_L_OFFSET, KIPC_A_L_WORD, KIPC_A_L_WAITERS,
};

POLICY(kipcnl_lock_policy, "lock", KIPC_A_L_MAX, lock_types, 0, lock_need);

static const uint8_t ring_types[KIPC_A_RING_MAX + 1] = {
	[KIPC_A_RING_CAPACITY]		= KIPCNL_T_U32,
	[KIPC_A_RING_USED]		= KIPCNL_T_U32,
	[KIPC_A_RING_PRODUCER_PID]	= KIPCNL_T_U32,
	[KIPC_A_RING_CONSUMER_PID]	= KIPCNL_T_U32,
	[KIPC_A_RING_PRODUCER_GONE]	= KIPCNL_T_FLAG,
	[KIPC_A_RING_CONSUMER_GONE]	= KIPCNL_T_FLAG,
};

static const int ring_need[] = {
	KIPC_A_RING_CAPACITY, KIPC_A_RING_USED,
};

POLICY(kipcnl_ring_policy, "ring", KIPC_A_RING_MAX, ring_types, 0,
       ring_need);

static const uint8_t event_types[KIPC_A_E_MAX + 1] = {
	[KIPC_A_E_KIND]		= KIPCNL_T_U32,
	[KIPC_A_E_COUNT]	= KIPCNL_T_U64,
	[KIPC_A_E_POSTS]	= KIPCNL_T_U64,
	[KIPC_A_E_WAITS]	= KIPCNL_T_U64,
	[KIPC_A_E_WAITERS]	= KIPCNL_T_U32,
	[KIPC_A_E_PAD]		= KIPCNL_T_PAD,
};

static const int event_need[] = {
	KIPC_A_E_KIND, KIPC_A_E_COUNT, KIPC_A_E_POSTS, KIPC_A_E_WAITS,
	KIPC_A_E_WAITERS,
};

POLICY(kipcnl_event_policy, "event", KIPC_A_E_MAX, event_types, 0,
       event_need);

static const uint8_t module_types[KIPC_A_M_MAX + 1] = {
	[KIPC_A_M_MAX_OBJECTS]		= KIPCNL_T_U32,
	[KIPC_A_M_MAX_USER_BYTES]	= KIPCNL_T_U64,
	[KIPC_A_M_MAX_MSG_SIZE]		= KIPCNL_T_U32,
	[KIPC_A_M_MAX_REGION_SIZE]	= KIPCNL_T_U64,
	[KIPC_A_M_LIVE_OBJECTS]		= KIPCNL_T_U32,
	[KIPC_A_M_NS_OBJECTS]		= KIPCNL_T_U32,
	[KIPC_A_M_USER_BYTES]		= KIPCNL_T_U64,
	[KIPC_A_M_PAD]			= KIPCNL_T_PAD,
};

static const int module_need[] = {
	KIPC_A_M_MAX_OBJECTS, KIPC_A_M_MAX_USER_BYTES, KIPC_A_M_MAX_MSG_SIZE,
	KIPC_A_M_MAX_REGION_SIZE, KIPC_A_M_LIVE_OBJECTS, KIPC_A_M_NS_OBJECTS,
	KIPC_A_M_USER_BYTES,
};

POLICY(kipcnl_module_policy, "module", KIPC_A_M_MAX, module_types, 0,
       module_need);

static const uint8_t module_top_types[KIPC_A_MAX + 1] = {
	[KIPC_A_MODULE]		= KIPCNL_T_NEST,
};

static const int module_top_need[] = { KIPC_A_MODULE };

POLICY(kipcnl_module_top_policy, "module reply", KIPC_A_MAX,
       module_top_types, 0, module_top_need);

/* Is @l a good size for @type: exactly (@strict) or at least? */
static bool kipcnl_size_ok(uint8_t type, const struct nlattr *a, bool strict)
{
	int l = nla_len(a);
	const char *s = nla_data(a);

	switch (type) {
	case KIPCNL_T_U8:	return strict ? l == 1 : l >= 1;
	case KIPCNL_T_U32:	return strict ? l == 4 : l >= 4;
	case KIPCNL_T_U64:	return strict ? l == 8 : l >= 8;
	case KIPCNL_T_FLAG:	return !strict || l == 0;
	case KIPCNL_T_STR:
		/* A name: "/" and up to KIPC_NAME_MAX bytes, then NUL. */
		return l >= 2 && l <= KIPC_NAME_MAX + 2 && !s[l - 1] &&
		       strlen(s) == (size_t)l - 1;
	default:		return true;
	}
}

int kipcnl_attrs(const struct nlattr *head, int len,
		 const struct kipcnl_policy *p, unsigned int flags,
		 const struct nlattr **tb, char *err)
{
	bool strict = flags & KIPCNL_STRICT;
	const struct nlattr *a;
	int rem;
	size_t i;

	memset(tb, 0, (p->maxtype + 1) * sizeof(*tb));
	nla_for_each_attr(a, head, len, rem) {
		int type = nla_type(a);
		bool nested = a->nla_type & NLA_F_NESTED;
		uint8_t t = type <= p->maxtype ? p->types[type] : KIPCNL_T_NONE;

		if (t == KIPCNL_T_NONE) {
			if (!strict)
				continue;	/* newer than this client */
			ERR(err, "%s: unexpected attribute %d (len %d)",
			    p->name, type, nla_len(a));
			return -EPROTO;
		}
		if (!kipcnl_size_ok(t, a, strict)) {
			ERR(err, "%s: attribute %d has a bad size %d",
			    p->name, type, nla_len(a));
			return -EPROTO;
		}
		if (strict && nested != (t == KIPCNL_T_NEST)) {
			ERR(err, "%s: attribute %d: NLA_F_NESTED %s", p->name,
			    type, nested ? "set" : "missing");
			return -EPROTO;
		}
		if (strict && tb[type] && type != p->repeat) {
			ERR(err, "%s: attribute %d repeated", p->name, type);
			return -EPROTO;
		}
		if (!tb[type] || type != p->repeat)
			tb[type] = a;
	}
	if (strict && rem) {
		ERR(err, "%s: %d bytes left over after the attributes",
		    p->name, rem);
		return -EPROTO;
	}
	for (i = 0; strict && i < p->nr_need; i++) {
		if (!tb[p->need[i]]) {
			ERR(err, "%s: attribute %d missing", p->name,
			    p->need[i]);
			return -EPROTO;
		}
	}
	return 0;
}

/* The genl header of a message of @family and @cmd; NULL if it is not. */
static const struct genlmsghdr *kipcnl_genl(const struct nlmsghdr *h,
					    int family, uint8_t cmd,
					    unsigned int flags, char *err)
{
	const struct genlmsghdr *gh;

	if (h->nlmsg_type != family) {
		ERR(err, "message type %d, not the family's %d",
		    h->nlmsg_type, family);
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
	if ((flags & KIPCNL_STRICT) && gh->version != KIPC_GENL_VERSION) {
		ERR(err, "genl version %d", gh->version);
		return NULL;
	}
	return gh;
}

static int kipcnl_nest(const struct nlattr *nest,
		       const struct kipcnl_policy *p, unsigned int flags,
		       const struct nlattr **tb, char *err)
{
	return kipcnl_attrs(nla_data(nest), nla_len(nest), p, flags, tb, err);
}

int kipcnl_lock_tb(const struct kipcnl_tb *tb, unsigned int i,
		   const struct nlattr **ltb)
{
	const struct nlattr *a;
	int rem;

	if (!tb->a[KIPC_A_REGION])
		return -ENOENT;
	nla_for_each_nested(a, tb->a[KIPC_A_REGION], rem) {
		if (nla_type(a) != KIPC_A_R_LOCK || i--)
			continue;
		return kipcnl_nest(a, &kipcnl_lock_policy, 0, ltb, NULL);
	}
	return -ENOENT;
}

/* The queue nest, and each lease in its KIPC_A_Q_LEASES, checked. */
static int kipcnl_queue_tb(struct kipcnl_tb *tb, unsigned int flags,
			   char *err)
{
	const struct nlattr *ltb[KIPC_A_LEASE_MAX + 1];
	const struct nlattr *a;
	int rem, ret;

	ret = kipcnl_nest(tb->a[KIPC_A_QUEUE], &kipcnl_queue_policy, flags,
			  tb->q, err);
	if (ret || !tb->q[KIPC_A_Q_LEASES])
		return ret;
	ret = kipcnl_nest(tb->q[KIPC_A_Q_LEASES], &kipcnl_leases_policy,
			  flags, ltb, err);
	if (ret)
		return ret;
	nla_for_each_nested(a, tb->q[KIPC_A_Q_LEASES], rem) {
		if (nla_type(a) != KIPC_A_LEASE)
			continue;
		ret = kipcnl_nest(a, &kipcnl_lease_policy, flags, ltb, err);
		if (ret)
			return ret;
		tb->nr_leases++;
	}
	return 0;
}

int kipcnl_obj_tb(const struct nlmsghdr *h, int family, unsigned int flags,
		  struct kipcnl_tb *tb, char *err)
{
	const struct nlattr *ltb[KIPC_A_L_MAX + 1];
	const struct genlmsghdr *gh;
	bool strict = flags & KIPCNL_STRICT;
	const struct nlattr *a;
	int rem, nests, nest, ret;
	uint32_t kind;

	memset(tb, 0, sizeof(*tb));
	tb->nlh = h;
	gh = kipcnl_genl(h, family, KIPC_CMD_GET_OBJECT, flags, err);
	if (!gh)
		return -EPROTO;
	ret = kipcnl_attrs(genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			   &kipcnl_obj_policy, flags, tb->a, err);
	if (ret)
		return ret;
	if (!tb->a[KIPC_A_OBJ_ID] || !tb->a[KIPC_A_OBJ_KIND]) {
		ERR(err, "object: no id or kind");
		return -EPROTO;
	}
	kind = nla_get_u32(tb->a[KIPC_A_OBJ_KIND]);
	nests = !!tb->a[KIPC_A_QUEUE] + !!tb->a[KIPC_A_REGION] +
		!!tb->a[KIPC_A_EVENT];
	if (strict && nests != 1) {
		ERR(err, "object: %d kind nests", nests);
		return -EPROTO;
	}
	switch (kind) {
	case KIPC_KIND_QUEUE:
		nest = KIPC_A_QUEUE;
		break;
	case KIPC_KIND_REGION:
		nest = KIPC_A_REGION;
		break;
	case KIPC_KIND_EVENT:
		nest = KIPC_A_EVENT;
		break;
	default:
		if (!strict)
			return 0;	/* a kind newer than this client */
		ERR(err, "object: unknown kind %u", kind);
		return -EPROTO;
	}
	if (!tb->a[nest]) {
		if (!strict)
			return 0;
		ERR(err, "object: kind %u without its nest %d", kind, nest);
		return -EPROTO;
	}
	if (nest == KIPC_A_QUEUE)
		return kipcnl_queue_tb(tb, flags, err);
	if (nest == KIPC_A_EVENT)
		return kipcnl_nest(tb->a[nest], &kipcnl_event_policy, flags,
				   tb->e, err);
	ret = kipcnl_nest(tb->a[nest], &kipcnl_region_policy, flags, tb->r,
			  err);
	if (ret)
		return ret;
	nla_for_each_nested(a, tb->a[nest], rem) {
		if (nla_type(a) != KIPC_A_R_LOCK)
			continue;
		ret = kipcnl_nest(a, &kipcnl_lock_policy, flags, ltb, err);
		if (ret)
			return ret;
		tb->nr_locks++;
	}
	if (tb->r[KIPC_A_R_RING])
		return kipcnl_nest(tb->r[KIPC_A_R_RING], &kipcnl_ring_policy,
				   flags, tb->ring, err);
	return 0;
}

int kipcnl_notify_tb(const struct nlmsghdr *h, int family,
		     unsigned int flags, const struct nlattr **tb, char *err)
{
	const struct genlmsghdr *gh;

	gh = kipcnl_genl(h, family, KIPC_CMD_NOTIFY, flags, err);
	if (!gh)
		return -EPROTO;
	return kipcnl_attrs(genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			    &kipcnl_notify_policy, flags, tb, err);
}

int kipcnl_module_tb(const struct nlmsghdr *h, int family,
		     unsigned int flags, const struct nlattr **tb, char *err)
{
	const struct nlattr *top[KIPC_A_MAX + 1];
	const struct genlmsghdr *gh;
	int ret;

	gh = kipcnl_genl(h, family, KIPC_CMD_GET_MODULE, flags, err);
	if (!gh)
		return -EPROTO;
	ret = kipcnl_attrs(genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			   &kipcnl_module_top_policy, flags, top, err);
	if (ret)
		return ret;
	if (!top[KIPC_A_MODULE]) {
		ERR(err, "no KIPC_A_MODULE");
		return -EPROTO;
	}
	return kipcnl_nest(top[KIPC_A_MODULE], &kipcnl_module_policy, flags,
			   tb, err);
}

/* ---------------------------------------------------------------------
 * 3. Typed.
 */

static uint32_t get_u32(const struct nlattr *const *tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static uint64_t get_u64(const struct nlattr *const *tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static bool get_u8(const struct nlattr *const *tb, int type)
{
	return tb[type] && nla_get_u8(tb[type]);
}

static void kipcnl_parse_queue(const struct nlattr *const *tb,
			       struct kipcnl_queue *q)
{
	q->depth_msgs = get_u64(tb, KIPC_A_Q_DEPTH_MSGS);
	q->depth_bytes = get_u64(tb, KIPC_A_Q_DEPTH_BYTES);
	q->max_msgs = get_u64(tb, KIPC_A_Q_MAX_MSGS);
	q->max_bytes = get_u64(tb, KIPC_A_Q_MAX_BYTES);
	q->max_msg_size = get_u64(tb, KIPC_A_Q_MAX_MSG_SIZE);
	q->high_water = get_u64(tb, KIPC_A_Q_HIGH_WATER);
	q->sent = get_u64(tb, KIPC_A_Q_SENT);
	q->received = get_u64(tb, KIPC_A_Q_RECEIVED);
	q->dropped_new = get_u64(tb, KIPC_A_Q_DROPPED_NEW);
	q->dropped_oldest = get_u64(tb, KIPC_A_Q_DROPPED_OLDEST);
	q->conflated = get_u64(tb, KIPC_A_Q_CONFLATED);
	q->rejected = get_u64(tb, KIPC_A_Q_REJECTED);
	q->timeouts = get_u64(tb, KIPC_A_Q_TIMEOUTS);
	q->wakeups = get_u64(tb, KIPC_A_Q_WAKEUPS);
	q->policy = get_u32(tb, KIPC_A_Q_POLICY);
	q->flags = get_u32(tb, KIPC_A_Q_FLAGS);
	q->blocked_senders = get_u32(tb, KIPC_A_Q_BLOCKED_SENDERS);
	q->blocked_receivers = get_u32(tb, KIPC_A_Q_BLOCKED_RECEIVERS);
	q->inflight_msgs = get_u64(tb, KIPC_A_Q_INFLIGHT_MSGS);
	q->inflight_bytes = get_u64(tb, KIPC_A_Q_INFLIGHT_BYTES);
	q->leased = get_u64(tb, KIPC_A_Q_LEASED);
	q->acked = get_u64(tb, KIPC_A_Q_ACKED);
	q->nacked = get_u64(tb, KIPC_A_Q_NACKED);
	q->expired = get_u64(tb, KIPC_A_Q_EXPIRED);
	q->redelivered = get_u64(tb, KIPC_A_Q_REDELIVERED);
	q->dead_lettered = get_u64(tb, KIPC_A_Q_DEAD_LETTERED);
	q->dead_dropped = get_u64(tb, KIPC_A_Q_DEAD_DROPPED);
	q->max_deliveries = get_u32(tb, KIPC_A_Q_MAX_DELIVERIES);
	q->lease_timeout_ms = get_u32(tb, KIPC_A_Q_LEASE_TIMEOUT_MS);
	q->nr_leases = 0;
	if (tb[KIPC_A_Q_LEASES]) {
		const struct nlattr *lb[KIPC_A_LEASE_MAX + 1];
		const struct nlattr *a;
		struct kipcnl_lease *l;
		int rem;

		nla_for_each_nested(a, tb[KIPC_A_Q_LEASES], rem) {
			if (nla_type(a) != KIPC_A_LEASE ||
			    q->nr_leases == KIPCNL_LEASES_MAX ||
			    kipcnl_nest(a, &kipcnl_lease_policy, 0, lb, NULL))
				continue;
			l = &q->leases[q->nr_leases++];
			l->seq = get_u64(lb, KIPC_A_LEASE_SEQ);
			l->age_ns = get_u64(lb, KIPC_A_LEASE_AGE_NS);
			l->pid = get_u32(lb, KIPC_A_LEASE_PID);
			l->tid = get_u32(lb, KIPC_A_LEASE_TID);
			l->len = get_u32(lb, KIPC_A_LEASE_LEN);
		}
	}
}

static void kipcnl_parse_lock(const struct nlattr *const *tb,
			       struct kipcnl_lock *l)
{
	l->offset = get_u64(tb, KIPC_A_L_OFFSET);
	l->word = get_u32(tb, KIPC_A_L_WORD);
	l->has_holder = tb[KIPC_A_L_HOLDER_PID];
	l->holder_pid = get_u32(tb, KIPC_A_L_HOLDER_PID);
	l->holder_tid = get_u32(tb, KIPC_A_L_HOLDER_TID);
	l->owner_died = tb[KIPC_A_L_OWNER_DIED];
	l->notrecoverable = tb[KIPC_A_L_NOTRECOVERABLE];
	l->waiters = get_u32(tb, KIPC_A_L_WAITERS);
}

static void kipcnl_parse_ring(const struct nlattr *const *tb,
			       struct kipcnl_ring *rg)
{
	rg->capacity = get_u32(tb, KIPC_A_RING_CAPACITY);
	rg->used = get_u32(tb, KIPC_A_RING_USED);
	rg->has_producer = tb[KIPC_A_RING_PRODUCER_PID];
	rg->producer_pid = get_u32(tb, KIPC_A_RING_PRODUCER_PID);
	rg->has_consumer = tb[KIPC_A_RING_CONSUMER_PID];
	rg->consumer_pid = get_u32(tb, KIPC_A_RING_CONSUMER_PID);
	rg->producer_gone = tb[KIPC_A_RING_PRODUCER_GONE];
	rg->consumer_gone = tb[KIPC_A_RING_CONSUMER_GONE];
}

static int kipcnl_parse_region(const struct kipcnl_tb *tb,
			       struct kipcnl_region *r)
{
	const struct nlattr *ltb[KIPC_A_L_MAX + 1];
	unsigned int i;

	r->size = get_u64(tb->r, KIPC_A_R_SIZE);
	r->waiters = get_u32(tb->r, KIPC_A_R_WAITERS);
	r->orphaned = get_u8(tb->r, KIPC_A_R_ORPHANED);
	r->owner_died = get_u32(tb->r, KIPC_A_R_OWNER_DIED);
	if (tb->r[KIPC_A_R_RING]) {
		r->has_ring = true;
		kipcnl_parse_ring(tb->ring, &r->ring);
	}
	if (!tb->nr_locks)
		return 0;
	r->locks = calloc(tb->nr_locks, sizeof(*r->locks));
	if (!r->locks)
		return -ENOMEM;
	for (i = 0; i < tb->nr_locks; i++) {
		if (kipcnl_lock_tb(tb, i, ltb))
			return -EPROTO;
		kipcnl_parse_lock(ltb, &r->locks[r->nr_locks++]);
	}
	return 0;
}

static void kipcnl_parse_event(const struct nlattr *const *tb,
			       struct kipcnl_event *e)
{
	e->kind = get_u32(tb, KIPC_A_E_KIND);
	e->count = get_u64(tb, KIPC_A_E_COUNT);
	e->posts = get_u64(tb, KIPC_A_E_POSTS);
	e->waits = get_u64(tb, KIPC_A_E_WAITS);
	e->waiters = get_u32(tb, KIPC_A_E_WAITERS);
}

static void kipcnl_copy_name(char *dst, const struct nlattr *a)
{
	snprintf(dst, KIPC_NAME_MAX + 2, "%s", (const char *)nla_data(a));
}

void kipcnl_obj_release(struct kipcnl_obj *obj)
{
	free(obj->r.locks);
	obj->r.locks = NULL;
	obj->r.nr_locks = 0;
}

void kipcnl_objs_free(struct kipcnl_obj *objs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		kipcnl_obj_release(&objs[i]);
	free(objs);
}

int kipcnl_parse_obj(const struct nlmsghdr *h, int family,
		     struct kipcnl_obj *obj)
{
	struct kipcnl_tb tb;
	const struct nlattr **a = tb.a;
	int ret;

	memset(obj, 0, sizeof(*obj));
	ret = kipcnl_obj_tb(h, family, 0, &tb, NULL);
	if (ret)
		return ret;
	obj->id = get_u32(a, KIPC_A_OBJ_ID);
	obj->kind = get_u32(a, KIPC_A_OBJ_KIND);
	if (a[KIPC_A_OBJ_NAME]) {
		obj->has_name = true;
		kipcnl_copy_name(obj->name, a[KIPC_A_OBJ_NAME]);
	}
	obj->has_state = a[KIPC_A_OBJ_STATE];
	obj->state = get_u32(a, KIPC_A_OBJ_STATE);
	obj->owner_pid = get_u32(a, KIPC_A_OBJ_OWNER_PID);
	obj->uid = get_u32(a, KIPC_A_OBJ_UID);
	obj->gid = get_u32(a, KIPC_A_OBJ_GID);
	obj->mode = get_u32(a, KIPC_A_OBJ_MODE);
	obj->persist = a[KIPC_A_OBJ_PERSIST];
	obj->handles = get_u32(a, KIPC_A_OBJ_HANDLES);
	obj->readers = get_u32(a, KIPC_A_OBJ_READERS);
	obj->writers = get_u32(a, KIPC_A_OBJ_WRITERS);
	obj->has_owner_alive = a[KIPC_A_OBJ_OWNER_ALIVE];
	obj->owner_alive = get_u8(a, KIPC_A_OBJ_OWNER_ALIVE);
	if (a[KIPC_A_QUEUE]) {
		obj->has_queue = true;
		kipcnl_parse_queue(tb.q, &obj->q);
	} else if (a[KIPC_A_REGION]) {
		obj->has_region = true;
		ret = kipcnl_parse_region(&tb, &obj->r);
	} else if (a[KIPC_A_EVENT]) {
		obj->has_event = true;
		kipcnl_parse_event(tb.e, &obj->e);
	}
	if (ret)
		kipcnl_obj_release(obj);
	return ret;
}

int kipcnl_parse_notify(const struct nlmsghdr *h, int family,
			struct kipcnl_notify *ev)
{
	const struct nlattr *tb[KIPC_A_MAX + 1];
	int ret;

	memset(ev, 0, sizeof(*ev));
	ret = kipcnl_notify_tb(h, family, 0, tb, NULL);
	if (ret)
		return ret;
	if (!tb[KIPC_A_NOTIFY_TYPE] || !tb[KIPC_A_OBJ_ID])
		return -EPROTO;
	ev->type = get_u32(tb, KIPC_A_NOTIFY_TYPE);
	ev->id = get_u32(tb, KIPC_A_OBJ_ID);
	ev->has_kind = tb[KIPC_A_OBJ_KIND];
	ev->kind = get_u32(tb, KIPC_A_OBJ_KIND);
	if (tb[KIPC_A_OBJ_NAME]) {
		ev->has_name = true;
		kipcnl_copy_name(ev->name, tb[KIPC_A_OBJ_NAME]);
	}
	ev->has_pid = tb[KIPC_A_NOTIFY_PID];
	ev->pid = get_u32(tb, KIPC_A_NOTIFY_PID);
	return 0;
}

/* What the object replies of a request are parsed into. */
struct kipcnl_objvec {
	int family;
	struct kipcnl_obj *objs;
	size_t n, cap;
};

static int kipcnl_objvec_fn(const struct nlmsghdr *h, void *arg)
{
	struct kipcnl_objvec *v = arg;
	struct kipcnl_obj *o;
	int ret;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;

		o = realloc(v->objs, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		v->objs = o;
		v->cap = cap;
	}
	ret = kipcnl_parse_obj(h, v->family, &v->objs[v->n]);
	if (!ret)
		v->n++;
	return ret;
}

int kipcnl_dump(struct kipcnl *nl, struct kipcnl_obj **objs, size_t *n)
{
	struct kipcnl_objvec v = { .family = nl->family };
	int ret;

	ret = kipcnl_request(nl, kipcnl_msg(nl, KIPC_CMD_GET_OBJECT, NLM_F_DUMP),
			     kipcnl_objvec_fn, &v);
	if (ret) {
		kipcnl_objs_free(v.objs, v.n);
		return ret;
	}
	*objs = v.objs;
	*n = v.n;
	return 0;
}

struct nl_msg *kipcnl_get_msg(struct kipcnl *nl, const char *name,
			      uint32_t id)
{
	struct nl_msg *m = kipcnl_msg(nl, KIPC_CMD_GET_OBJECT, 0);

	if (m && (name ? nla_put_string(m, KIPC_A_OBJ_NAME, name) :
			 nla_put_u32(m, KIPC_A_OBJ_ID, id)) < 0) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

int kipcnl_get(struct kipcnl *nl, const char *name, uint32_t id,
	       struct kipcnl_obj *obj)
{
	struct kipcnl_objvec v = { .family = nl->family };
	int ret;

	ret = kipcnl_request(nl, kipcnl_get_msg(nl, name, id),
			     kipcnl_objvec_fn, &v);
	if (!ret && v.n != 1)
		ret = -EPROTO;
	if (ret) {
		kipcnl_objs_free(v.objs, v.n);
		return ret;
	}
	*obj = v.objs[0];
	free(v.objs);
	return 0;
}

struct kipcnl_modarg {
	int family;
	struct kipcnl_module *m;
	bool got;
};

static int kipcnl_module_fn(const struct nlmsghdr *h, void *arg)
{
	const struct nlattr *tb[KIPC_A_M_MAX + 1];
	struct kipcnl_modarg *ma = arg;
	struct kipcnl_module *m = ma->m;
	int ret;

	ret = kipcnl_module_tb(h, ma->family, 0, tb, NULL);
	if (ret)
		return ret;
	m->max_objects = get_u32(tb, KIPC_A_M_MAX_OBJECTS);
	m->max_user_bytes = get_u64(tb, KIPC_A_M_MAX_USER_BYTES);
	m->max_msg_size = get_u32(tb, KIPC_A_M_MAX_MSG_SIZE);
	m->max_region_size = get_u64(tb, KIPC_A_M_MAX_REGION_SIZE);
	m->live_objects = get_u32(tb, KIPC_A_M_LIVE_OBJECTS);
	m->ns_objects = get_u32(tb, KIPC_A_M_NS_OBJECTS);
	m->user_bytes = get_u64(tb, KIPC_A_M_USER_BYTES);
	ma->got = tb[KIPC_A_M_USER_BYTES];
	return 0;
}

int kipcnl_module(struct kipcnl *nl, struct kipcnl_module *m)
{
	struct kipcnl_modarg ma = { .family = nl->family, .m = m };
	int ret;

	memset(m, 0, sizeof(*m));
	ret = kipcnl_request(nl, kipcnl_msg(nl, KIPC_CMD_GET_MODULE, 0),
			     kipcnl_module_fn, &ma);
	return !ret && !ma.got ? -EPROTO : ret;
}

int kipcnl_join_events(struct kipcnl *nl)
{
	struct kipcnl_ctrl c = { .grp = KIPC_GENL_MCGRP_EVENTS };
	int ret = kipcnl_ctrl(nl, &c);

	if (ret)
		return ret;
	ret = nl_socket_add_membership(nl->sk, c.grp_id);
	return ret < 0 ? kipcnl_errno(ret) : 0;
}

int kipcnl_subscribe(struct kipcnl *nl)
{
	return kipcnl_request(nl, kipcnl_msg(nl, KIPC_CMD_NOTIFY, 0), NULL,
			      NULL);
}

struct kipcnl_listen_arg {
	int family;
	int (*fn)(const struct kipcnl_notify *ev, void *arg);
	void *arg;
};

static int kipcnl_listen_fn(const struct nlmsghdr *h, void *arg)
{
	struct kipcnl_listen_arg *la = arg;
	struct kipcnl_notify ev;

	if (kipcnl_parse_notify(h, la->family, &ev))
		return 0;		/* not an event we know */
	return la->fn(&ev, la->arg) ? 1 : 0;
}

int kipcnl_listen(struct kipcnl *nl, int timeout_ms,
		  int (*fn)(const struct kipcnl_notify *ev, void *arg),
		  void *arg)
{
	struct kipcnl_listen_arg la = {
		.family = nl->family, .fn = fn, .arg = arg,
	};

	return kipcnl_recv(nl, timeout_ms, kipcnl_listen_fn, &la);
}

uint64_t kipcnl_charged(void)
{
	struct kipcnl_module m;
	struct kipcnl *nl;
	uint64_t b = UINT64_MAX;

	if (kipcnl_open(&nl))
		return UINT64_MAX;
	if (!kipcnl_module(nl, &m))
		b = m.user_bytes;
	kipcnl_close(nl);
	return b;
}
