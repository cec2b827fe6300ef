/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kipc - generic netlink family "kipc": a live view of every object.
 */
#ifndef _UAPI_LINUX_KIPC_NETLINK_H
#define _UAPI_LINUX_KIPC_NETLINK_H

/**
 * DOC: the kipc generic netlink family
 *
 * Family KIPC_GENL_NAME, version KIPC_GENL_VERSION.  Everything is scoped
 * to the caller's IPC namespace: a dump never shows, and the events group
 * never reports, another namespace's objects.
 *
 * - KIPC_CMD_GET_OBJECT, dump: every object, one message each.
 * - KIPC_CMD_GET_OBJECT, do, with KIPC_A_OBJ_NAME or KIPC_A_OBJ_ID: one
 *   object; -ENOENT when there is none.
 * - KIPC_CMD_GET_MODULE, do: the module's limits and totals.
 * - Events: a socket subscribes with one KIPC_CMD_NOTIFY request (no
 *   attributes) and from then on receives KIPC_CMD_NOTIFY messages for the
 *   objects of the subscriber's IPC namespace: KIPC_A_NOTIFY_TYPE, the
 *   object's id, kind and name (if named) and, for OWNER_DIED, the owner's
 *   pid in KIPC_A_NOTIFY_PID.  DROP and OVERFLOW are rate-limited to one
 *   per object per second.  The messages are sent to each subscribed
 *   socket rather than to a multicast group because a netlink multicast
 *   group is scoped by network namespace only, and kipc's objects are
 *   scoped by IPC namespace.  The group KIPC_GENL_MCGRP_EVENTS exists for
 *   tools that join it out of habit; nothing is sent on it.  A subscriber
 *   whose receive buffer is full misses events (the dump is the truth).
 *   Each user (kuid: the user namespace it is mapped from does not
 *   matter) may hold KIPC_GENL_USER_SUBS_MAX subscriptions over all
 *   namespaces; more is -ENOSPC.
 *
 * Attributes are validated strictly: unknown attributes, wrong types and
 * oversized strings are -EINVAL with an extack message.
 */

#define KIPC_GENL_NAME		"kipc"
#define KIPC_GENL_VERSION	1
#define KIPC_GENL_MCGRP_EVENTS	"events"
#define KIPC_GENL_USER_SUBS_MAX	32

enum kipc_cmd {
	KIPC_CMD_UNSPEC,
	KIPC_CMD_GET_OBJECT,
	KIPC_CMD_GET_MODULE,
	KIPC_CMD_NOTIFY,

	__KIPC_CMD_MAX,
	KIPC_CMD_MAX = __KIPC_CMD_MAX - 1
};

/* KIPC_A_NOTIFY_TYPE values. */
enum kipc_notify {
	KIPC_NOTIFY_UNSPEC,
	KIPC_NOTIFY_CREATED,
	KIPC_NOTIFY_DESTROYED,		/* freed: last handle and mapping gone */
	KIPC_NOTIFY_OWNER_DIED,		/* owner handle released: object dead */
	KIPC_NOTIFY_SHUTDOWN,
	KIPC_NOTIFY_DROP,		/* a queue's policy discarded messages */
	KIPC_NOTIFY_OVERFLOW,		/* FAIL refusal, event overflow */

	__KIPC_NOTIFY_MAX,
	KIPC_NOTIFY_MAX = __KIPC_NOTIFY_MAX - 1
};

/* Top-level attributes. */
enum kipc_attr {
	KIPC_A_UNSPEC,
	KIPC_A_OBJ_ID,			/* u32 */
	KIPC_A_OBJ_KIND,		/* u32: KIPC_KIND_* */
	KIPC_A_OBJ_NAME,		/* string, with its leading '/' */
	KIPC_A_OBJ_STATE,		/* u32: KIPC_STATE_* */
	KIPC_A_OBJ_OWNER_PID,		/* u32, caller's pid ns; 0 if hidden */
	KIPC_A_OBJ_UID,			/* u32, in the caller's user ns */
	KIPC_A_OBJ_GID,			/* u32 */
	KIPC_A_OBJ_MODE,		/* u32 */
	KIPC_A_OBJ_PERSIST,		/* flag */
	KIPC_A_OBJ_HANDLES,		/* u32: handles open */
	KIPC_A_OBJ_READERS,		/* u32: handles with read access */
	KIPC_A_OBJ_WRITERS,		/* u32: handles with write access */
	KIPC_A_OBJ_OWNER_ALIVE,		/* u8: 1 while the owner handle exists */
	KIPC_A_QUEUE,			/* nest: KIPC_A_Q_* */
	KIPC_A_REGION,			/* nest: KIPC_A_R_* */
	KIPC_A_EVENT,			/* nest: KIPC_A_E_* */
	KIPC_A_MODULE,			/* nest: KIPC_A_M_* */
	KIPC_A_NOTIFY_TYPE,		/* u32: KIPC_NOTIFY_* */
	KIPC_A_NOTIFY_PID,		/* u32: the pid concerned */
	KIPC_A_PAD,

	__KIPC_A_MAX,
	KIPC_A_MAX = __KIPC_A_MAX - 1
};

/* Queue statistics, nested in KIPC_A_QUEUE; u64 unless noted. */
enum kipc_attr_queue {
	KIPC_A_Q_UNSPEC,
	KIPC_A_Q_DEPTH_MSGS,
	KIPC_A_Q_DEPTH_BYTES,
	KIPC_A_Q_MAX_MSGS,
	KIPC_A_Q_MAX_BYTES,
	KIPC_A_Q_MAX_MSG_SIZE,
	KIPC_A_Q_HIGH_WATER,
	KIPC_A_Q_SENT,
	KIPC_A_Q_RECEIVED,
	KIPC_A_Q_DROPPED_NEW,
	KIPC_A_Q_DROPPED_OLDEST,
	KIPC_A_Q_CONFLATED,
	KIPC_A_Q_REJECTED,
	KIPC_A_Q_TIMEOUTS,
	KIPC_A_Q_WAKEUPS,
	KIPC_A_Q_POLICY,		/* u32 */
	KIPC_A_Q_FLAGS,			/* u32 */
	KIPC_A_Q_BLOCKED_SENDERS,	/* u32 */
	KIPC_A_Q_BLOCKED_RECEIVERS,	/* u32 */
	KIPC_A_Q_PAD,
	KIPC_A_Q_INFLIGHT_MSGS,		/* leased now */
	KIPC_A_Q_INFLIGHT_BYTES,
	KIPC_A_Q_LEASED,
	KIPC_A_Q_ACKED,
	KIPC_A_Q_NACKED,
	KIPC_A_Q_EXPIRED,
	KIPC_A_Q_REDELIVERED,
	KIPC_A_Q_DEAD_LETTERED,
	KIPC_A_Q_DEAD_DROPPED,
	KIPC_A_Q_MAX_DELIVERIES,	/* u32 */
	KIPC_A_Q_LEASE_TIMEOUT_MS,	/* u32 */
	KIPC_A_Q_LEASES,		/* nest: <= 32 KIPC_A_LEASE, oldest */

	__KIPC_A_Q_MAX,
	KIPC_A_Q_MAX = __KIPC_A_Q_MAX - 1
};

/* In KIPC_A_Q_LEASES: one KIPC_A_LEASE nest per lease. */
enum {
	KIPC_A_LEASE_UNSPEC,
	KIPC_A_LEASE,			/* nest: the attributes below */
	KIPC_A_LEASE_SEQ,		/* u64: the message's sequence number */
	KIPC_A_LEASE_AGE_NS,		/* u64: how long it has been leased */
	KIPC_A_LEASE_PID,		/* u32: the holder's process or 0 */
	KIPC_A_LEASE_TID,		/* u32: the holder's thread */
	KIPC_A_LEASE_LEN,		/* u32: payload bytes */
	KIPC_A_LEASE_PAD,

	__KIPC_A_LEASE_MAX,
	KIPC_A_LEASE_MAX = __KIPC_A_LEASE_MAX - 1
};

/* Region state, nested in KIPC_A_REGION. */
enum kipc_attr_region {
	KIPC_A_R_UNSPEC,
	KIPC_A_R_SIZE,			/* u64 */
	KIPC_A_R_WAITERS,		/* u32: in wait and lock */
	KIPC_A_R_ORPHANED,		/* u8: a peer existed and is gone */
	KIPC_A_R_OWNER_DIED,		/* u32: -EOWNERDEAD recoveries */
	KIPC_A_R_LOCK,			/* nest, one per registered lock */
	KIPC_A_R_RING,			/* nest: KIPC_A_RING_* */
	KIPC_A_R_PAD,

	__KIPC_A_R_MAX,
	KIPC_A_R_MAX = __KIPC_A_R_MAX - 1
};

/* One robust lock, nested in KIPC_A_R_LOCK. */
enum kipc_attr_lock {
	KIPC_A_L_UNSPEC,
	KIPC_A_L_OFFSET,		/* u64 */
	KIPC_A_L_WORD,			/* u32: the lock word as it is */
	KIPC_A_L_HOLDER_PID,		/* u32: opener of the holding handle */
	KIPC_A_L_OWNER_DIED,		/* flag: last owner died holding it */
	KIPC_A_L_NOTRECOVERABLE,	/* flag */
	KIPC_A_L_WAITERS,		/* u32: tasks asleep on it */
	KIPC_A_L_PAD,
	KIPC_A_L_HOLDER_TID,		/* u32: thread of a thread handle */

	__KIPC_A_L_MAX,
	KIPC_A_L_MAX = __KIPC_A_L_MAX - 1
};

/* Ring state, nested in KIPC_A_R_RING; read from the shared header. */
enum kipc_attr_ring {
	KIPC_A_RING_UNSPEC,
	KIPC_A_RING_CAPACITY,		/* u32 */
	KIPC_A_RING_USED,		/* u32: bytes queued */
	KIPC_A_RING_PRODUCER_PID,	/* u32: absent when no producer */
	KIPC_A_RING_CONSUMER_PID,	/* u32: absent when no consumer */
	KIPC_A_RING_PRODUCER_GONE,	/* flag */
	KIPC_A_RING_CONSUMER_GONE,	/* flag */

	__KIPC_A_RING_MAX,
	KIPC_A_RING_MAX = __KIPC_A_RING_MAX - 1
};

/* Event state, nested in KIPC_A_EVENT. */
enum kipc_attr_event {
	KIPC_A_E_UNSPEC,
	KIPC_A_E_KIND,			/* u32: KIPC_EVENT_* */
	KIPC_A_E_COUNT,			/* u64 */
	KIPC_A_E_POSTS,			/* u64 */
	KIPC_A_E_WAITS,			/* u64 */
	KIPC_A_E_WAITERS,		/* u32 */
	KIPC_A_E_PAD,

	__KIPC_A_E_MAX,
	KIPC_A_E_MAX = __KIPC_A_E_MAX - 1
};

/* Module limits and totals, nested in KIPC_A_MODULE. */
enum kipc_attr_module {
	KIPC_A_M_UNSPEC,
	KIPC_A_M_MAX_OBJECTS,		/* u32, per IPC namespace */
	KIPC_A_M_MAX_USER_BYTES,	/* u64 */
	KIPC_A_M_MAX_MSG_SIZE,		/* u32 */
	KIPC_A_M_MAX_REGION_SIZE,	/* u64 */
	KIPC_A_M_LIVE_OBJECTS,		/* u32: in every namespace */
	KIPC_A_M_NS_OBJECTS,		/* u32: in the caller's namespace */
	KIPC_A_M_USER_BYTES,		/* u64: charged to the caller's uid */
	KIPC_A_M_PAD,

	__KIPC_A_M_MAX,
	KIPC_A_M_MAX = __KIPC_A_M_MAX - 1
};

#endif /* _UAPI_LINUX_KIPC_NETLINK_H */
