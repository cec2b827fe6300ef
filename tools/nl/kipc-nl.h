/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libkipcnl - the one generic netlink client of the "kipc" family
 * (uapi/linux/kipc_netlink.h), on libnl-genl-3.  kipcctl and the tests
 * link it (a static archive, internal to this tree: not installed).
 *
 * Every function returns 0 (or a count) or a negative errno; libnl's
 * NLE_* codes are turned into errnos, and an error the kernel reports
 * (NLMSG_ERROR, or a failed dump's NLMSG_DONE) is returned as it came,
 * with its extended-ack message kept for kipcnl_extack().
 *
 * Layers, each built on the one before:
 *
 * 1. Transport: kipcnl_open() (a socket and the family's id), one
 *    request at a time; kipcnl_request() calls a function on each reply
 *    message of a request, kipcnl_xfer() copies them into a struct
 *    kipcnl_reply.  kipcnl_raw_send()/kipcnl_raw_xfer() send bytes the
 *    caller built (hostile-peer tests): the library only stamps the
 *    sequence number and port.  Messages that are not replies to the
 *    request in flight (events) are kept for kipcnl_recv().
 * 2. Attributes: one table per nest (struct kipcnl_policy: each
 *    attribute's type, which may repeat, which must be present);
 *    kipcnl_attrs() checks a nest against one, leniently (unknown
 *    attributes skipped, so an older tool reads a newer module) or with
 *    KIPCNL_STRICT (the tests: exact sizes, nothing unknown, repeated,
 *    missing or left over).  kipcnl_obj_tb(), kipcnl_notify_tb() and
 *    kipcnl_module_tb() check a whole message, nests included.
 * 3. Typed: struct kipcnl_obj, kipcnl_module, kipcnl_notify filled from
 *    those tables: kipcnl_dump(), kipcnl_get(), kipcnl_module(),
 *    kipcnl_subscribe() + kipcnl_listen(), kipcnl_charged().
 *
 * A new attribute is one line in its policy table (kipc-nl.c), a field
 * here and one line in the kipcnl_parse_*() function of its nest.
 */
#ifndef KIPC_NL_H
#define KIPC_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>
#include <linux/kipc.h>
#include <linux/kipc_netlink.h>

struct nl_msg;
struct nl_sock;
struct nlattr;

/* ---- 1. transport ---------------------------------------------------- */

struct kipcnl;

/* A socket with the family resolved; -ENOENT when it is not registered. */
int kipcnl_open(struct kipcnl **out);
void kipcnl_close(struct kipcnl *nl);
int kipcnl_family(const struct kipcnl *nl);
int kipcnl_fd(const struct kipcnl *nl);
/* The libnl socket, for what the library does not wrap (a family cache). */
struct nl_sock *kipcnl_sock(struct kipcnl *nl);
/* Resolve the family again on this socket: its id, or -ENOENT. */
int kipcnl_resolve(struct kipcnl *nl);
/* The kernel's extack message of the last request, or NULL. */
const char *kipcnl_extack(const struct kipcnl *nl);

/* A request of the kipc family for nla_put_*(); NULL without memory. */
struct nl_msg *kipcnl_msg(struct kipcnl *nl, uint8_t cmd, int flags);
/* GET_OBJECT of @name, or of @id when @name is NULL. */
struct nl_msg *kipcnl_get_msg(struct kipcnl *nl, const char *name,
			      uint32_t id);

/*
 * Send @msg (freed here) and read until its ACK, error or NLMSG_DONE;
 * @fn (may be NULL) sees every other reply message.  Returns the
 * kernel's errno (0), @fn's first negative return, or -errno of the
 * socket (-ETIMEDOUT when no answer came in 30 s).
 */
int kipcnl_request(struct kipcnl *nl, struct nl_msg *msg,
		   int (*fn)(const struct nlmsghdr *h, void *arg), void *arg);

/* The messages answering one request, copied. */
struct kipcnl_reply {
	int err;			/* the kernel's: NLMSG_ERROR's, DONE's */
	char extack[256];
	size_t n;
	struct nlmsghdr **msgs;
	bool dump_intr;			/* a message had NLM_F_DUMP_INTR */
};

/*
 * kipcnl_request() into @r.  Returns 0 once answered (the kernel's errno
 * is r->err), or -errno of the socket.  Free @r with kipcnl_reply_free().
 */
int kipcnl_xfer(struct kipcnl *nl, struct nl_msg *msg, struct kipcnl_reply *r);
void kipcnl_reply_free(struct kipcnl_reply *r);

/*
 * Send @len bytes the caller built, as they are (nlmsg_len included):
 * only nlmsg_seq and nlmsg_pid are stamped, when @len holds a header.
 * For tests that play a hostile peer.  0 or -errno of sendto.
 */
int kipcnl_raw_send(struct kipcnl *nl, void *buf, size_t len);
/* kipcnl_raw_send(), then collect the answer like kipcnl_xfer(). */
int kipcnl_raw_xfer(struct kipcnl *nl, void *buf, size_t len,
		    struct kipcnl_reply *r);
/* Read and drop whatever is queued on the socket, without waiting. */
void kipcnl_drain(struct kipcnl *nl);

/*
 * Wait up to @timeout_ms (< 0: forever) for messages that are not
 * replies (events), the ones kept during requests first; @fn sees each
 * and returns non-zero to stop.  Returns @fn's non-zero value, 0 on
 * timeout, -ENOBUFS when the kernel dropped messages for a full receive
 * buffer (the socket stays usable), or -errno.
 */
int kipcnl_recv(struct kipcnl *nl, int timeout_ms,
		int (*fn)(const struct nlmsghdr *h, void *arg), void *arg);

/* ---- 2. attributes --------------------------------------------------- */

enum kipcnl_type {
	KIPCNL_T_NONE,			/* not an attribute of this nest */
	KIPCNL_T_U8,
	KIPCNL_T_U32,
	KIPCNL_T_U64,
	KIPCNL_T_FLAG,
	KIPCNL_T_STR,			/* NUL-terminated, <= KIPC_NAME_MAX + 2 */
	KIPCNL_T_NEST,
	KIPCNL_T_PAD,			/* alignment padding: anything */
};

struct kipcnl_policy {
	const char *name;		/* for error messages */
	int maxtype;
	const uint8_t *types;		/* [maxtype + 1]: enum kipcnl_type */
	int repeat;			/* the one type that may repeat, or 0 */
	const int *need;		/* present in every message (strict) */
	size_t nr_need;
};

extern const struct kipcnl_policy kipcnl_obj_policy, kipcnl_queue_policy,
	kipcnl_leases_policy, kipcnl_lease_policy,
	kipcnl_region_policy, kipcnl_lock_policy, kipcnl_ring_policy,
	kipcnl_event_policy, kipcnl_module_policy, kipcnl_module_top_policy,
	kipcnl_notify_policy;

#define KIPCNL_STRICT	0x1

/*
 * Check the attributes in [@head, @head + @len) against @p and point
 * @tb[type] (p->maxtype + 1 entries) at each.  Known attributes must
 * have their type's size (exactly with KIPCNL_STRICT, at least without);
 * KIPCNL_STRICT also refuses unknown, repeated (but p->repeat), missing
 * (p->need), wrongly NLA_F_NESTED attributes and bytes left over.
 * 0, or -EPROTO with the first violation in @err (256 bytes, may be NULL).
 */
int kipcnl_attrs(const struct nlattr *head, int len,
		 const struct kipcnl_policy *p, unsigned int flags,
		 const struct nlattr **tb, char *err);

/* Every nest of one object message, checked. */
struct kipcnl_tb {
	const struct nlattr *a[KIPC_A_MAX + 1];
	const struct nlattr *q[KIPC_A_Q_MAX + 1];
	const struct nlattr *r[KIPC_A_R_MAX + 1];
	const struct nlattr *ring[KIPC_A_RING_MAX + 1];
	const struct nlattr *e[KIPC_A_E_MAX + 1];
	unsigned int nr_locks;		/* KIPC_A_R_LOCK nests, each checked */
	unsigned int nr_leases;		/* KIPC_A_LEASE nests, each checked */
	const struct nlmsghdr *nlh;
};

/*
 * Check @h, a KIPC_CMD_GET_OBJECT message of family @family: the genl
 * header, the top-level attributes and the kind's nest (an object has
 * exactly one, the one of its kind), with every lock.  0 or -EPROTO
 * (@err says why).
 */
int kipcnl_obj_tb(const struct nlmsghdr *h, int family, unsigned int flags,
		  struct kipcnl_tb *tb, char *err);
/* The attributes of lock @i (< tb->nr_locks) into @ltb; 0 or -ENOENT. */
int kipcnl_lock_tb(const struct kipcnl_tb *tb, unsigned int i,
		   const struct nlattr **ltb);
/* A KIPC_CMD_NOTIFY message into @tb[KIPC_A_MAX + 1]. */
int kipcnl_notify_tb(const struct nlmsghdr *h, int family,
		     unsigned int flags, const struct nlattr **tb, char *err);
/* A KIPC_CMD_GET_MODULE reply's KIPC_A_MODULE nest into @tb. */
int kipcnl_module_tb(const struct nlmsghdr *h, int family,
		     unsigned int flags, const struct nlattr **tb, char *err);

/* ---- 3. typed -------------------------------------------------------- */

/* One object as KIPC_CMD_GET_OBJECT reports it; has_* say what came. */
struct kipcnl_lock {
	uint64_t offset;
	uint32_t word;
	uint32_t holder_pid;
	uint32_t holder_tid;		/* 0: not known (an old module) */
	uint32_t waiters;
	bool has_holder;
	bool owner_died;
	bool notrecoverable;
};

struct kipcnl_ring {
	uint32_t capacity;
	uint32_t used;
	uint32_t producer_pid;
	uint32_t consumer_pid;
	bool has_producer;
	bool has_consumer;
	bool producer_gone;
	bool consumer_gone;
};

/* One leased message: who took it and never finished (so far). */
struct kipcnl_lease {
	uint64_t seq, age_ns;
	uint32_t pid, tid, len;
};

#define KIPCNL_LEASES_MAX	32	/* the kernel lists the 32 oldest */

struct kipcnl_queue {
	uint64_t depth_msgs, depth_bytes, max_msgs, max_bytes, max_msg_size;
	uint64_t high_water, sent, received, dropped_new, dropped_oldest;
	uint64_t conflated, rejected, timeouts, wakeups;
	uint32_t policy, flags, blocked_senders, blocked_receivers;
	uint64_t inflight_msgs, inflight_bytes, leased, acked, nacked;
	uint64_t expired, redelivered, dead_lettered, dead_dropped;
	uint32_t max_deliveries, lease_timeout_ms;
	unsigned int nr_leases;
	struct kipcnl_lease leases[KIPCNL_LEASES_MAX];
};

struct kipcnl_region {
	uint64_t size;
	uint32_t waiters;
	uint32_t owner_died;
	bool orphaned;
	unsigned int nr_locks;
	struct kipcnl_lock *locks;	/* malloc'd: kipcnl_obj_release() */
	bool has_ring;
	struct kipcnl_ring ring;
};

struct kipcnl_event {
	uint32_t kind;
	uint32_t waiters;
	uint64_t count, posts, waits;
};

struct kipcnl_obj {
	uint32_t id, kind, state;
	uint32_t owner_pid, uid, gid, mode;
	uint32_t handles, readers, writers;
	bool persist;
	bool owner_alive;
	bool has_name, has_state, has_owner_alive;
	bool has_queue, has_region, has_event;
	char name[KIPC_NAME_MAX + 2];
	struct kipcnl_queue q;
	struct kipcnl_region r;
	struct kipcnl_event e;
};

struct kipcnl_module {
	uint32_t max_objects, max_msg_size, live_objects, ns_objects;
	uint64_t max_user_bytes, max_region_size, user_bytes;
};

/* A KIPC_CMD_NOTIFY message. */
struct kipcnl_notify {
	uint32_t type, id, kind, pid;
	bool has_name, has_pid, has_kind;
	char name[KIPC_NAME_MAX + 2];
};

/* Fill @obj from @h (lenient); 0, -EPROTO or -ENOMEM. */
int kipcnl_parse_obj(const struct nlmsghdr *h, int family,
		     struct kipcnl_obj *obj);
int kipcnl_parse_notify(const struct nlmsghdr *h, int family,
			struct kipcnl_notify *ev);
void kipcnl_obj_release(struct kipcnl_obj *obj);
void kipcnl_objs_free(struct kipcnl_obj *objs, size_t n);

/* Every object of the caller's IPC namespace (free with kipcnl_objs_free). */
int kipcnl_dump(struct kipcnl *nl, struct kipcnl_obj **objs, size_t *n);
/* One object by @name (with or without '/'), or by @id when @name is NULL. */
int kipcnl_get(struct kipcnl *nl, const char *name, uint32_t id,
	       struct kipcnl_obj *obj);
int kipcnl_module(struct kipcnl *nl, struct kipcnl_module *m);

/* Join the "events" group (no events come on it: see the uapi). */
int kipcnl_join_events(struct kipcnl *nl);
/* Subscribe this socket to its IPC namespace's events (KIPC_CMD_NOTIFY). */
int kipcnl_subscribe(struct kipcnl *nl);
/*
 * kipcnl_recv() of events, parsed: @fn gets each one and returns
 * non-zero to stop.  Returns 0 on timeout, 1 when @fn stopped it, or
 * -errno (-ENOBUFS: events were lost to a full receive buffer).
 */
int kipcnl_listen(struct kipcnl *nl, int timeout_ms,
		  int (*fn)(const struct kipcnl_notify *ev, void *arg),
		  void *arg);

/* Bytes charged to the caller's uid (GET_MODULE on a socket of its own);
 * UINT64_MAX when netlink fails.
 */
uint64_t kipcnl_charged(void);

#endif /* KIPC_NL_H */
