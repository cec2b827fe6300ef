// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl - the generic netlink client of the "kipc" family (libnl-genl-3).
 *
 * Shaped like ktls-utils' tlshd/netlink.c: nl_socket_alloc() and
 * genl_connect(), genl_ctrl_resolve() for the family, one request at a
 * time with our own callbacks on the socket, genlmsg_parse() with a
 * policy, and genl_ctrl_resolve_grp() + nl_socket_add_membership() for
 * events.  Everything returns 0 or a negative errno: libnl's own NLE_*
 * codes are turned into errnos here, and an error the kernel reports
 * (NLMSG_ERROR, or a failed dump's NLMSG_DONE) is passed on as it came,
 * with the kernel's extended-ack message kept for kctl_nl_extack().
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/kipc_netlink.h>

#include "kipcctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* What one object message's parser fills, for dumps and gets. */
struct kctl_objvec {
	struct kctl_obj *objs;
	size_t n, cap;
};

struct kctl_nl {
	struct nl_sock *sk;
	struct nl_cb *cb;
	int family;
	/* state of the request in flight */
	bool done;
	int err;			/* from NLMSG_ERROR / NLMSG_DONE */
	int parse_err;			/* a reply we could not parse */
	char extack[256];
	int (*parse)(struct nlmsghdr *nlh, void *arg);
	void *arg;
	/* events */
	bool subscribed;
	int (*on_event)(const struct kctl_notify *ev, void *arg);
	void *event_arg;
	bool stop;
	struct kctl_notify *pending;	/* arrived before the subscribe ack */
	size_t nr_pending;
};

/* libnl's NLE_* code (negative) as a negative errno. */
static int kctl_nl_errno(int nlerr)
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
 * Parsing.  The policies check lengths; strict checks of the kernel's
 * replies are the tests' business, kipcctl only needs to read them safely.
 */

static struct nla_policy kctl_obj_policy[KIPC_A_MAX + 1] = {
	[KIPC_A_OBJ_ID]		= { .type = NLA_U32 },
	[KIPC_A_OBJ_KIND]	= { .type = NLA_U32 },
	[KIPC_A_OBJ_NAME]	= { .type = NLA_STRING,
				    .maxlen = KIPC_NAME_MAX + 2 },
	[KIPC_A_OBJ_STATE]	= { .type = NLA_U32 },
	[KIPC_A_OBJ_OWNER_PID]	= { .type = NLA_U32 },
	[KIPC_A_OBJ_UID]	= { .type = NLA_U32 },
	[KIPC_A_OBJ_GID]	= { .type = NLA_U32 },
	[KIPC_A_OBJ_MODE]	= { .type = NLA_U32 },
	[KIPC_A_OBJ_PERSIST]	= { .type = NLA_FLAG },
	[KIPC_A_OBJ_HANDLES]	= { .type = NLA_U32 },
	[KIPC_A_OBJ_READERS]	= { .type = NLA_U32 },
	[KIPC_A_OBJ_WRITERS]	= { .type = NLA_U32 },
	[KIPC_A_OBJ_OWNER_ALIVE] = { .type = NLA_U8 },
	[KIPC_A_QUEUE]		= { .type = NLA_NESTED },
	[KIPC_A_REGION]		= { .type = NLA_NESTED },
	[KIPC_A_EVENT]		= { .type = NLA_NESTED },
	[KIPC_A_MODULE]		= { .type = NLA_NESTED },
	[KIPC_A_NOTIFY_TYPE]	= { .type = NLA_U32 },
	[KIPC_A_NOTIFY_PID]	= { .type = NLA_U32 },
};

static struct nla_policy kctl_queue_policy[KIPC_A_Q_MAX + 1] = {
	[KIPC_A_Q_DEPTH_MSGS]		= { .type = NLA_U64 },
	[KIPC_A_Q_DEPTH_BYTES]		= { .type = NLA_U64 },
	[KIPC_A_Q_MAX_MSGS]		= { .type = NLA_U64 },
	[KIPC_A_Q_MAX_BYTES]		= { .type = NLA_U64 },
	[KIPC_A_Q_MAX_MSG_SIZE]		= { .type = NLA_U64 },
	[KIPC_A_Q_HIGH_WATER]		= { .type = NLA_U64 },
	[KIPC_A_Q_SENT]			= { .type = NLA_U64 },
	[KIPC_A_Q_RECEIVED]		= { .type = NLA_U64 },
	[KIPC_A_Q_DROPPED_NEW]		= { .type = NLA_U64 },
	[KIPC_A_Q_DROPPED_OLDEST]	= { .type = NLA_U64 },
	[KIPC_A_Q_CONFLATED]		= { .type = NLA_U64 },
	[KIPC_A_Q_REJECTED]		= { .type = NLA_U64 },
	[KIPC_A_Q_TIMEOUTS]		= { .type = NLA_U64 },
	[KIPC_A_Q_WAKEUPS]		= { .type = NLA_U64 },
	[KIPC_A_Q_POLICY]		= { .type = NLA_U32 },
	[KIPC_A_Q_FLAGS]		= { .type = NLA_U32 },
	[KIPC_A_Q_BLOCKED_SENDERS]	= { .type = NLA_U32 },
	[KIPC_A_Q_BLOCKED_RECEIVERS]	= { .type = NLA_U32 },
	[KIPC_A_Q_INFLIGHT_MSGS]	= { .type = NLA_U64 },
	[KIPC_A_Q_INFLIGHT_BYTES]	= { .type = NLA_U64 },
	[KIPC_A_Q_LEASED]		= { .type = NLA_U64 },
	[KIPC_A_Q_ACKED]		= { .type = NLA_U64 },
	[KIPC_A_Q_NACKED]		= { .type = NLA_U64 },
	[KIPC_A_Q_EXPIRED]		= { .type = NLA_U64 },
	[KIPC_A_Q_REDELIVERED]		= { .type = NLA_U64 },
	[KIPC_A_Q_DEAD_LETTERED]	= { .type = NLA_U64 },
	[KIPC_A_Q_DEAD_DROPPED]		= { .type = NLA_U64 },
	[KIPC_A_Q_MAX_DELIVERIES]	= { .type = NLA_U32 },
	[KIPC_A_Q_LEASE_TIMEOUT_MS]	= { .type = NLA_U32 },
	[KIPC_A_Q_LEASES]		= { .type = NLA_NESTED },
};

static struct nla_policy kctl_region_policy[KIPC_A_R_MAX + 1] = {
	[KIPC_A_R_SIZE]		= { .type = NLA_U64 },
	[KIPC_A_R_WAITERS]	= { .type = NLA_U32 },
	[KIPC_A_R_ORPHANED]	= { .type = NLA_U8 },
	[KIPC_A_R_OWNER_DIED]	= { .type = NLA_U32 },
	[KIPC_A_R_LOCK]		= { .type = NLA_NESTED },
	[KIPC_A_R_RING]		= { .type = NLA_NESTED },
};

static struct nla_policy kctl_lease_policy[KIPC_A_LEASE_MAX + 1] = {
	[KIPC_A_LEASE]			= { .type = NLA_NESTED },
	[KIPC_A_LEASE_SEQ]		= { .type = NLA_U64 },
	[KIPC_A_LEASE_AGE_NS]		= { .type = NLA_U64 },
	[KIPC_A_LEASE_PID]		= { .type = NLA_U32 },
	[KIPC_A_LEASE_TID]		= { .type = NLA_U32 },
	[KIPC_A_LEASE_LEN]		= { .type = NLA_U32 },
};

static struct nla_policy kctl_lock_policy[KIPC_A_L_MAX + 1] = {
	[KIPC_A_L_OFFSET]		= { .type = NLA_U64 },
	[KIPC_A_L_WORD]			= { .type = NLA_U32 },
	[KIPC_A_L_HOLDER_PID]		= { .type = NLA_U32 },
	[KIPC_A_L_HOLDER_TID]		= { .type = NLA_U32 },
	[KIPC_A_L_OWNER_DIED]		= { .type = NLA_FLAG },
	[KIPC_A_L_NOTRECOVERABLE]	= { .type = NLA_FLAG },
	[KIPC_A_L_WAITERS]		= { .type = NLA_U32 },
};

static struct nla_policy kctl_ring_policy[KIPC_A_RING_MAX + 1] = {
	[KIPC_A_RING_CAPACITY]		= { .type = NLA_U32 },
	[KIPC_A_RING_USED]		= { .type = NLA_U32 },
	[KIPC_A_RING_PRODUCER_PID]	= { .type = NLA_U32 },
	[KIPC_A_RING_CONSUMER_PID]	= { .type = NLA_U32 },
	[KIPC_A_RING_PRODUCER_GONE]	= { .type = NLA_FLAG },
	[KIPC_A_RING_CONSUMER_GONE]	= { .type = NLA_FLAG },
};

static struct nla_policy kctl_event_policy[KIPC_A_E_MAX + 1] = {
	[KIPC_A_E_KIND]		= { .type = NLA_U32 },
	[KIPC_A_E_COUNT]	= { .type = NLA_U64 },
	[KIPC_A_E_POSTS]	= { .type = NLA_U64 },
	[KIPC_A_E_WAITS]	= { .type = NLA_U64 },
	[KIPC_A_E_WAITERS]	= { .type = NLA_U32 },
};

static struct nla_policy kctl_module_policy[KIPC_A_M_MAX + 1] = {
	[KIPC_A_M_MAX_OBJECTS]		= { .type = NLA_U32 },
	[KIPC_A_M_MAX_USER_BYTES]	= { .type = NLA_U64 },
	[KIPC_A_M_MAX_MSG_SIZE]		= { .type = NLA_U32 },
	[KIPC_A_M_MAX_REGION_SIZE]	= { .type = NLA_U64 },
	[KIPC_A_M_LIVE_OBJECTS]		= { .type = NLA_U32 },
	[KIPC_A_M_NS_OBJECTS]		= { .type = NLA_U32 },
	[KIPC_A_M_USER_BYTES]		= { .type = NLA_U64 },
};

static uint32_t get_u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static uint64_t get_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static int kctl_parse_queue(struct nlattr *nest, struct kctl_queue *q)
{
	struct nlattr *tb[KIPC_A_Q_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, KIPC_A_Q_MAX, nest, kctl_queue_policy);
	if (ret < 0)
		return kctl_nl_errno(ret);
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
		struct nlattr *a, *lb[KIPC_A_LEASE_MAX + 1];
		struct kctl_lease *l;
		int rem;

		nla_for_each_nested(a, tb[KIPC_A_Q_LEASES], rem) {
			if (nla_type(a) != KIPC_A_LEASE ||
			    q->nr_leases == KCTL_LEASES_MAX)
				continue;
			if (nla_parse_nested(lb, KIPC_A_LEASE_MAX, a,
					     kctl_lease_policy) < 0)
				continue;
			l = &q->leases[q->nr_leases++];
			l->seq = get_u64(lb, KIPC_A_LEASE_SEQ);
			l->age_ns = get_u64(lb, KIPC_A_LEASE_AGE_NS);
			l->pid = get_u32(lb, KIPC_A_LEASE_PID);
			l->tid = get_u32(lb, KIPC_A_LEASE_TID);
			l->len = get_u32(lb, KIPC_A_LEASE_LEN);
		}
	}
	return 0;
}

static int kctl_parse_lock(struct nlattr *nest, struct kctl_lock *l)
{
	struct nlattr *tb[KIPC_A_L_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, KIPC_A_L_MAX, nest, kctl_lock_policy);
	if (ret < 0)
		return kctl_nl_errno(ret);
	l->offset = get_u64(tb, KIPC_A_L_OFFSET);
	l->word = get_u32(tb, KIPC_A_L_WORD);
	l->has_holder = tb[KIPC_A_L_HOLDER_PID];
	l->holder_pid = get_u32(tb, KIPC_A_L_HOLDER_PID);
	l->holder_tid = get_u32(tb, KIPC_A_L_HOLDER_TID);
	l->owner_died = tb[KIPC_A_L_OWNER_DIED];
	l->notrecoverable = tb[KIPC_A_L_NOTRECOVERABLE];
	l->waiters = get_u32(tb, KIPC_A_L_WAITERS);
	return 0;
}

static int kctl_parse_ring(struct nlattr *nest, struct kctl_ring *rg)
{
	struct nlattr *tb[KIPC_A_RING_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, KIPC_A_RING_MAX, nest, kctl_ring_policy);
	if (ret < 0)
		return kctl_nl_errno(ret);
	rg->capacity = get_u32(tb, KIPC_A_RING_CAPACITY);
	rg->used = get_u32(tb, KIPC_A_RING_USED);
	rg->has_producer = tb[KIPC_A_RING_PRODUCER_PID];
	rg->producer_pid = get_u32(tb, KIPC_A_RING_PRODUCER_PID);
	rg->has_consumer = tb[KIPC_A_RING_CONSUMER_PID];
	rg->consumer_pid = get_u32(tb, KIPC_A_RING_CONSUMER_PID);
	rg->producer_gone = tb[KIPC_A_RING_PRODUCER_GONE];
	rg->consumer_gone = tb[KIPC_A_RING_CONSUMER_GONE];
	return 0;
}

static int kctl_parse_region(struct nlattr *nest, struct kctl_region *r)
{
	struct nlattr *tb[KIPC_A_R_MAX + 1], *a;
	unsigned int n = 0;
	int ret, rem;

	ret = nla_parse_nested(tb, KIPC_A_R_MAX, nest, kctl_region_policy);
	if (ret < 0)
		return kctl_nl_errno(ret);
	r->size = get_u64(tb, KIPC_A_R_SIZE);
	r->waiters = get_u32(tb, KIPC_A_R_WAITERS);
	r->orphaned = tb[KIPC_A_R_ORPHANED] &&
		      nla_get_u8(tb[KIPC_A_R_ORPHANED]);
	r->owner_died = get_u32(tb, KIPC_A_R_OWNER_DIED);
	if (tb[KIPC_A_R_RING]) {
		ret = kctl_parse_ring(tb[KIPC_A_R_RING], &r->ring);
		if (ret)
			return ret;
		r->has_ring = true;
	}
	/* nla_parse() keeps the last of repeated attributes: walk them. */
	nla_for_each_nested(a, nest, rem)
		if (nla_type(a) == KIPC_A_R_LOCK)
			n++;
	if (!n)
		return 0;
	r->locks = calloc(n, sizeof(*r->locks));
	if (!r->locks)
		return -ENOMEM;
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != KIPC_A_R_LOCK)
			continue;
		ret = kctl_parse_lock(a, &r->locks[r->nr_locks]);
		if (ret)
			return ret;
		r->nr_locks++;
	}
	return 0;
}

static int kctl_parse_event(struct nlattr *nest, struct kctl_event *e)
{
	struct nlattr *tb[KIPC_A_E_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, KIPC_A_E_MAX, nest, kctl_event_policy);
	if (ret < 0)
		return kctl_nl_errno(ret);
	e->kind = get_u32(tb, KIPC_A_E_KIND);
	e->count = get_u64(tb, KIPC_A_E_COUNT);
	e->posts = get_u64(tb, KIPC_A_E_POSTS);
	e->waits = get_u64(tb, KIPC_A_E_WAITS);
	e->waiters = get_u32(tb, KIPC_A_E_WAITERS);
	return 0;
}

static void kctl_copy_name(char *dst, struct nlattr *a)
{
	size_t len = nla_len(a);

	if (len > KIPC_NAME_MAX + 1)
		len = KIPC_NAME_MAX + 1;
	memcpy(dst, nla_data(a), len);
	dst[len] = '\0';
}

void kctl_obj_release(struct kctl_obj *obj)
{
	free(obj->r.locks);
	obj->r.locks = NULL;
	obj->r.nr_locks = 0;
}

void kctl_objs_free(struct kctl_obj *objs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		kctl_obj_release(&objs[i]);
	free(objs);
}

static int kctl_parse_obj(struct nlmsghdr *nlh, struct kctl_obj *obj)
{
	struct nlattr *tb[KIPC_A_MAX + 1];
	int ret;

	memset(obj, 0, sizeof(*obj));
	ret = genlmsg_parse(nlh, 0, tb, KIPC_A_MAX, kctl_obj_policy);
	if (ret < 0)
		return kctl_nl_errno(ret);
	if (!tb[KIPC_A_OBJ_ID] || !tb[KIPC_A_OBJ_KIND])
		return -EPROTO;
	obj->id = nla_get_u32(tb[KIPC_A_OBJ_ID]);
	obj->kind = nla_get_u32(tb[KIPC_A_OBJ_KIND]);
	if (tb[KIPC_A_OBJ_NAME]) {
		obj->has_name = true;
		kctl_copy_name(obj->name, tb[KIPC_A_OBJ_NAME]);
	}
	obj->has_state = tb[KIPC_A_OBJ_STATE];
	obj->state = get_u32(tb, KIPC_A_OBJ_STATE);
	obj->owner_pid = get_u32(tb, KIPC_A_OBJ_OWNER_PID);
	obj->uid = get_u32(tb, KIPC_A_OBJ_UID);
	obj->gid = get_u32(tb, KIPC_A_OBJ_GID);
	obj->mode = get_u32(tb, KIPC_A_OBJ_MODE);
	obj->persist = tb[KIPC_A_OBJ_PERSIST];
	obj->handles = get_u32(tb, KIPC_A_OBJ_HANDLES);
	obj->readers = get_u32(tb, KIPC_A_OBJ_READERS);
	obj->writers = get_u32(tb, KIPC_A_OBJ_WRITERS);
	obj->has_owner_alive = tb[KIPC_A_OBJ_OWNER_ALIVE];
	obj->owner_alive = tb[KIPC_A_OBJ_OWNER_ALIVE] &&
			   nla_get_u8(tb[KIPC_A_OBJ_OWNER_ALIVE]);
	if (tb[KIPC_A_QUEUE]) {
		obj->has_queue = true;
		ret = kctl_parse_queue(tb[KIPC_A_QUEUE], &obj->q);
	} else if (tb[KIPC_A_REGION]) {
		obj->has_region = true;
		ret = kctl_parse_region(tb[KIPC_A_REGION], &obj->r);
	} else if (tb[KIPC_A_EVENT]) {
		obj->has_event = true;
		ret = kctl_parse_event(tb[KIPC_A_EVENT], &obj->e);
	}
	if (ret)
		kctl_obj_release(obj);
	return ret;
}

static int kctl_parse_notify(struct nlmsghdr *nlh, struct kctl_notify *ev)
{
	struct nlattr *tb[KIPC_A_MAX + 1];
	int ret;

	memset(ev, 0, sizeof(*ev));
	ret = genlmsg_parse(nlh, 0, tb, KIPC_A_MAX, kctl_obj_policy);
	if (ret < 0)
		return kctl_nl_errno(ret);
	if (!tb[KIPC_A_NOTIFY_TYPE] || !tb[KIPC_A_OBJ_ID])
		return -EPROTO;
	ev->type = nla_get_u32(tb[KIPC_A_NOTIFY_TYPE]);
	ev->id = nla_get_u32(tb[KIPC_A_OBJ_ID]);
	ev->has_kind = tb[KIPC_A_OBJ_KIND];
	ev->kind = get_u32(tb, KIPC_A_OBJ_KIND);
	if (tb[KIPC_A_OBJ_NAME]) {
		ev->has_name = true;
		kctl_copy_name(ev->name, tb[KIPC_A_OBJ_NAME]);
	}
	ev->has_pid = tb[KIPC_A_NOTIFY_PID];
	ev->pid = get_u32(tb, KIPC_A_NOTIFY_PID);
	return 0;
}

/* ---------------------------------------------------------------------
 * Callbacks and the request/response loop.
 */

/* Keep the kernel's extended-ack message of an NLMSG_ERROR or DONE. */
static void kctl_nl_extack_parse(struct kctl_nl *nl, struct nlmsghdr *nlh,
				 size_t off)
{
	struct nlattr *a;
	size_t len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_ALIGN(off);
	if (nlh->nlmsg_len < NLMSG_HDRLEN + off)
		return;
	len = nlh->nlmsg_len - NLMSG_HDRLEN - off;
	a = nla_find((struct nlattr *)((char *)nlmsg_data(nlh) + off), len,
		     NLMSGERR_ATTR_MSG);
	if (a && nla_len(a) > 0) {
		snprintf(nl->extack, sizeof(nl->extack), "%.*s",
			 nla_len(a), (const char *)nla_data(a));
		nl->extack[strcspn(nl->extack, "\n")] = '\0';
	}
}

static int kctl_nl_on_error(struct sockaddr_nl *who, struct nlmsgerr *e,
			    void *arg)
{
	struct kctl_nl *nl = arg;
	struct nlmsghdr *nlh = (void *)((char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e);

	(void)who;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len >= NLMSG_HDRLEN)
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	nl->err = e->error < 0 ? e->error : -EPROTO;
	kctl_nl_extack_parse(nl, nlh, off);
	nl->done = true;
	return NL_STOP;
}

static int kctl_nl_on_ack(struct nl_msg *msg, void *arg)
{
	struct kctl_nl *nl = arg;

	(void)msg;
	nl->done = true;
	return NL_STOP;
}

/* NLMSG_DONE: a dump ended; a failed one carries a negative errno. */
static int kctl_nl_on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct kctl_nl *nl = arg;
	int err;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0) {
			nl->err = err;
			kctl_nl_extack_parse(nl, nlh, sizeof(int));
		}
	}
	nl->done = true;
	return NL_STOP;
}

static int kctl_nl_queue_pending(struct kctl_nl *nl,
				 const struct kctl_notify *ev)
{
	struct kctl_notify *p;

	p = realloc(nl->pending, (nl->nr_pending + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	p[nl->nr_pending++] = *ev;
	nl->pending = p;
	return 0;
}

static int kctl_nl_on_valid(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct kctl_nl *nl = arg;
	struct genlmsghdr *gh;
	struct kctl_notify ev;
	int ret;

	if (nlh->nlmsg_type != nl->family ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return NL_SKIP;
	gh = nlmsg_data(nlh);
	if (gh->cmd == KIPC_CMD_NOTIFY) {
		if (!nl->subscribed || kctl_parse_notify(nlh, &ev))
			return NL_SKIP;
		if (!nl->on_event)
			kctl_nl_queue_pending(nl, &ev);
		else if (nl->on_event(&ev, nl->event_arg))
			nl->stop = true;
		return NL_OK;
	}
	if (nl->parse) {
		ret = nl->parse(nlh, nl->arg);
		if (ret && !nl->parse_err)
			nl->parse_err = ret;
	}
	return NL_OK;
}

/* Sequence numbers are checked only for our requests' replies. */
static int kctl_nl_on_seq(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

int kctl_nl_open(struct kctl_nl **out)
{
	struct kctl_nl *nl;
	int one = 1, ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	nl->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nl->sk || !nl->cb) {
		ret = -ENOMEM;
		goto err;
	}
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		ret = kctl_nl_errno(ret);
		goto err;
	}
	/* Best effort: the kernel's reason comes with its errors. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	nl_socket_set_buffer_size(nl->sk, 1 << 20, 0);

	nl->family = genl_ctrl_resolve(nl->sk, KIPC_GENL_NAME);
	if (nl->family < 0) {
		ret = nl->family == -NLE_OBJ_NOTFOUND ? -KCTL_ENOFAMILY :
			kctl_nl_errno(nl->family);
		goto err;
	}
	nl_cb_err(nl->cb, NL_CB_CUSTOM, kctl_nl_on_error, nl);
	nl_cb_set(nl->cb, NL_CB_ACK, NL_CB_CUSTOM, kctl_nl_on_ack, nl);
	nl_cb_set(nl->cb, NL_CB_FINISH, NL_CB_CUSTOM, kctl_nl_on_finish, nl);
	nl_cb_set(nl->cb, NL_CB_VALID, NL_CB_CUSTOM, kctl_nl_on_valid, nl);
	*out = nl;
	return 0;
err:
	kctl_nl_close(nl);
	return ret;
}

void kctl_nl_close(struct kctl_nl *nl)
{
	if (!nl)
		return;
	if (nl->cb)
		nl_cb_put(nl->cb);
	if (nl->sk)
		nl_socket_free(nl->sk);
	free(nl->pending);
	free(nl);
}

const char *kctl_nl_extack(const struct kctl_nl *nl)
{
	return nl && nl->extack[0] ? nl->extack : NULL;
}

/* Send @cmd (with @flags, and @name or @id when given) and read until the
 * reply ends; @parse sees each reply message.
 */
static int kctl_nl_request(struct kctl_nl *nl, uint8_t cmd, int flags,
			   const char *name, uint32_t id, bool with_id,
			   int (*parse)(struct nlmsghdr *, void *), void *arg)
{
	struct nl_msg *msg;
	int ret;

	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags, cmd, KIPC_GENL_VERSION) ||
	    (name && nla_put_string(msg, KIPC_A_OBJ_NAME, name) < 0) ||
	    (with_id && nla_put_u32(msg, KIPC_A_OBJ_ID, id) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	nl->done = false;
	nl->err = 0;
	nl->parse_err = 0;
	nl->extack[0] = '\0';
	nl->parse = parse;
	nl->arg = arg;
	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0)
		return kctl_nl_errno(ret);
	while (!nl->done) {
		ret = nl_recvmsgs(nl->sk, nl->cb);
		if (nl->err)
			break;
		if (ret < 0)
			return kctl_nl_errno(ret);
	}
	nl->parse = NULL;
	return nl->err ? nl->err : nl->parse_err;
}

static int kctl_nl_parse_into_vec(struct nlmsghdr *nlh, void *arg)
{
	struct kctl_objvec *v = arg;
	struct kctl_obj *o;
	int ret;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;

		o = realloc(v->objs, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		v->objs = o;
		v->cap = cap;
	}
	ret = kctl_parse_obj(nlh, &v->objs[v->n]);
	if (!ret)
		v->n++;
	return ret;
}

int kctl_nl_dump(struct kctl_nl *nl, struct kctl_obj **objs, size_t *n)
{
	struct kctl_objvec v = { 0 };
	int ret;

	ret = kctl_nl_request(nl, KIPC_CMD_GET_OBJECT, NLM_F_DUMP, NULL, 0,
			      false, kctl_nl_parse_into_vec, &v);
	if (ret) {
		kctl_objs_free(v.objs, v.n);
		return ret;
	}
	*objs = v.objs;
	*n = v.n;
	return 0;
}

int kctl_nl_get(struct kctl_nl *nl, const char *name, uint32_t id,
		struct kctl_obj *obj)
{
	struct kctl_objvec v = { 0 };
	int ret;

	ret = kctl_nl_request(nl, KIPC_CMD_GET_OBJECT, 0, name, id, !name,
			      kctl_nl_parse_into_vec, &v);
	if (!ret && v.n != 1)
		ret = -EPROTO;
	if (ret) {
		kctl_objs_free(v.objs, v.n);
		return ret;
	}
	*obj = v.objs[0];
	free(v.objs);
	return 0;
}

static int kctl_nl_parse_module(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[KIPC_A_MAX + 1], *mb[KIPC_A_M_MAX + 1];
	struct kctl_module *m = arg;
	int ret;

	ret = genlmsg_parse(nlh, 0, tb, KIPC_A_MAX, kctl_obj_policy);
	if (ret < 0)
		return kctl_nl_errno(ret);
	if (!tb[KIPC_A_MODULE])
		return -EPROTO;
	ret = nla_parse_nested(mb, KIPC_A_M_MAX, tb[KIPC_A_MODULE],
			       kctl_module_policy);
	if (ret < 0)
		return kctl_nl_errno(ret);
	m->max_objects = get_u32(mb, KIPC_A_M_MAX_OBJECTS);
	m->max_user_bytes = get_u64(mb, KIPC_A_M_MAX_USER_BYTES);
	m->max_msg_size = get_u32(mb, KIPC_A_M_MAX_MSG_SIZE);
	m->max_region_size = get_u64(mb, KIPC_A_M_MAX_REGION_SIZE);
	m->live_objects = get_u32(mb, KIPC_A_M_LIVE_OBJECTS);
	m->ns_objects = get_u32(mb, KIPC_A_M_NS_OBJECTS);
	m->user_bytes = get_u64(mb, KIPC_A_M_USER_BYTES);
	return 0;
}

int kctl_nl_module(struct kctl_nl *nl, struct kctl_module *m)
{
	memset(m, 0, sizeof(*m));
	return kctl_nl_request(nl, KIPC_CMD_GET_MODULE, 0, NULL, 0, false,
			       kctl_nl_parse_module, m);
}

/*
 * Join the "events" group and subscribe with KIPC_CMD_NOTIFY from this
 * socket: the kernel then sends this socket the events of the caller's
 * IPC namespace, and no other namespace's.
 */
int kctl_nl_subscribe(struct kctl_nl *nl)
{
	int grp, ret;

	grp = genl_ctrl_resolve_grp(nl->sk, KIPC_GENL_NAME,
				    KIPC_GENL_MCGRP_EVENTS);
	if (grp < 0)
		return grp == -NLE_OBJ_NOTFOUND ? -KCTL_ENOFAMILY :
			kctl_nl_errno(grp);
	ret = nl_socket_add_membership(nl->sk, grp);
	if (ret < 0)
		return kctl_nl_errno(ret);
	/* Events carry sequence number 0: accept them alongside replies. */
	nl_cb_set(nl->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, kctl_nl_on_seq, nl);
	nl->subscribed = true;
	return kctl_nl_request(nl, KIPC_CMD_NOTIFY, 0, NULL, 0, false,
			       NULL, NULL);
}

static int64_t kctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int kctl_nl_listen(struct kctl_nl *nl, int timeout_ms,
		   int (*fn)(const struct kctl_notify *ev, void *arg),
		   void *arg)
{
	int64_t deadline = timeout_ms < 0 ? -1 : kctl_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = nl_socket_get_fd(nl->sk), .events = POLLIN };
	size_t i;
	int ret;

	/* Events that came in before the subscription was acknowledged. */
	for (i = 0; i < nl->nr_pending; i++) {
		if (fn(&nl->pending[i], arg)) {
			memmove(nl->pending, nl->pending + i + 1,
				(nl->nr_pending - i - 1) * sizeof(*nl->pending));
			nl->nr_pending -= i + 1;
			return 1;
		}
	}
	nl->nr_pending = 0;

	nl->on_event = fn;
	nl->event_arg = arg;
	nl->stop = false;
	for (;;) {
		int wait = -1;

		if (deadline >= 0) {
			int64_t left = deadline - kctl_now_ms();

			if (left <= 0) {
				ret = 0;
				break;
			}
			wait = left > 60000 ? 60000 : (int)left;
		}
		ret = poll(&pfd, 1, wait);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (!ret)
			continue;
		ret = nl_recvmsgs(nl->sk, nl->cb);
		if (nl->stop) {
			ret = 1;
			break;
		}
		/* ENOBUFS (events lost to a full socket buffer) is NLE_NOMEM. */
		if (ret < 0 && ret != -NLE_NOMEM) {
			ret = kctl_nl_errno(ret);
			break;
		}
		if (ret == -NLE_NOMEM) {
			ret = -ENOBUFS;
			break;
		}
	}
	nl->on_event = NULL;
	return ret;
}
