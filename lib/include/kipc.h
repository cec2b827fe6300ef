/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc - userspace library for the kipc kernel module.
 *
 * Every function returns >= 0 on success and -errno on failure; errno is
 * not used.  Timeouts are int64_t nanoseconds, relative, CLOCK_MONOTONIC:
 * < 0 waits forever, 0 never blocks.
 */
#ifndef LIBKIPC_KIPC_H
#define LIBKIPC_KIPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this header; kipc_version_major/minor() report the library's. */
#define KIPC_VERSION_MAJOR	1
#define KIPC_VERSION_MINOR	0

/* struct kipc_queue_attr: queue creation attributes; 0 means default. */
struct kipc_queue_attr {
	uint32_t max_msgs;		/* capacity in messages (256) */
	uint32_t max_msg_size;		/* largest payload, bytes (8192) */
	uint64_t max_bytes;		/* capacity in bytes (msgs * size) */
	uint32_t policy;		/* KIPC_POLICY_* (BLOCK) */
	uint32_t flags;			/* KIPC_Q_CONFLATE */
	/* Leases (kipc_recv_leased()); 0 means none: */
	uint32_t max_deliveries;	/* then to dead_letter, or dropped */
	uint32_t lease_timeout_ms;	/* an unacked lease ends after it */
	const char *dead_letter;	/* queue name, or NULL: drop */
};

/* struct kipc_select: receive selector; a NULL selector means ANY. */
struct kipc_select {
	uint32_t mode;			/* KIPC_SEL_ANY/EQ/LE/NE */
	uint32_t type;
};

/*
 * struct kipc_msg: one message of kipc_sendv()/kipc_recvv(), and the
 * metadata kipc_recv() reports.  Zero-initialise it: __reserved must be 0.
 */
struct kipc_msg {
	uint32_t type;			/* >= 1 */
	uint32_t prio;			/* 0..31, higher first */
	void *data;
	size_t len;			/* send: bytes; recv: in cap, out len */
	uint32_t flags;			/* out: KIPC_MSG_DROPPED, _REDELIVERED */
	int32_t pid;			/* out: sender pid, 0 if not visible */
	uint32_t uid;			/* out: sender uid */
	union {
		uint32_t __reserved;	/* send: 0 */
		uint32_t deliveries;	/* recv: out, 1 + ended leases */
	};
	uint64_t seq;			/* out: per-queue sequence number */
	uint64_t ts_ns;			/* out: enqueue time, CLOCK_MONOTONIC */
};

/* struct kipc_queue_stat: what kipc_queue_stat() reports. */
struct kipc_queue_stat {
	uint64_t depth_msgs;
	uint64_t depth_bytes;
	uint64_t max_msgs;
	uint64_t max_bytes;
	uint64_t high_water;
	uint64_t sent;
	uint64_t received;
	uint64_t dropped_new;
	uint64_t dropped_oldest;
	uint64_t conflated;
	uint64_t rejected;
	uint64_t timeouts;
	uint64_t wakeups;
	uint64_t max_msg_size;
	uint32_t policy;
	uint32_t flags;			/* KIPC_Q_CONFLATE */
	uint32_t blocked_senders;
	uint32_t blocked_receivers;
	uint32_t senders;		/* handles with send access */
	uint32_t receivers;		/* handles with receive access */
	uint32_t state;			/* KIPC_STATE_* */
	int32_t owner_pid;		/* 0 if not visible */
	uint32_t id;
	uint32_t __reserved;
	/* Leases: */
	uint64_t inflight_msgs;		/* leased now */
	uint64_t inflight_bytes;
	uint64_t leased;		/* leased deliveries */
	uint64_t acked;			/* also counted in received */
	uint64_t nacked;
	uint64_t expired;		/* leases ended by the timeout */
	uint64_t redelivered;		/* put back after a lease ended */
	uint64_t dead_lettered;		/* moved to the dead-letter queue */
	uint64_t dead_dropped;		/* dropped at max_deliveries */
	uint32_t handle_inflight;	/* leased through this handle */
	uint32_t max_deliveries;
	uint32_t lease_timeout_ms;
	uint32_t dead_letter_id;	/* the dead-letter queue's id, or 0 */
};

/* Queues. */
int kipc_queue_create(const char *name, const struct kipc_queue_attr *attr,
		      int flags, mode_t mode);
int kipc_queue_open(const char *name, int flags);
int kipc_send(int q, uint32_t type, uint32_t prio, const void *buf,
	      size_t len, int64_t timeout_ns);
ssize_t kipc_recv(int q, const struct kipc_select *sel, void *buf,
		  size_t cap, struct kipc_msg *info, int64_t timeout_ns);
int kipc_sendv(int q, struct kipc_msg *msgs, unsigned int n,
	       int64_t timeout_ns);
int kipc_recvv(int q, const struct kipc_select *sel, struct kipc_msg *msgs,
	       unsigned int n, int64_t timeout_ns);
int kipc_queue_shutdown(int q);
int kipc_queue_stat(int q, struct kipc_queue_stat *st);

/* Leased (acknowledged) receive: see kipc_recv_leased(3). */
ssize_t kipc_recv_leased(int q, const struct kipc_select *sel, void *buf,
			 size_t cap, struct kipc_msg *info,
			 int64_t timeout_ns);
int kipc_recvv_leased(int q, const struct kipc_select *sel,
		      struct kipc_msg *msgs, unsigned int n,
		      int64_t timeout_ns);
int kipc_ack(int q, uint64_t seq);
int kipc_nack(int q, uint64_t seq);
int kipc_ackv(int q, const uint64_t *seqs, unsigned int n);
int kipc_nackv(int q, const uint64_t *seqs, unsigned int n);
int kipc_lease_release(int q);

/*
 * Regions: shared memory with wait/wake and robust locks.  kipc_region_map
 * remembers the mapping of its fd so that an uncontended kipc_lock and
 * kipc_unlock need no syscall; call kipc_region_unmap before closing the
 * fd.  A robust lock is owned by the thread that took it, whichever
 * handle it used.  Semantics: docs/regions.md.
 */
struct kipc_region_stat {
	uint64_t size;			/* bytes, page-rounded */
	uint32_t handles;		/* handles open on the region */
	uint32_t waiters;		/* tasks asleep in wait or lock */
	uint32_t locks;			/* registered robust locks */
	uint32_t state;			/* KIPC_STATE_* */
	uint32_t owner_died;		/* -EOWNERDEAD recoveries handed out */
	int32_t owner_pid;		/* 0 if not visible */
	uint32_t id;
	uint32_t __reserved;
};

int kipc_region_create(const char *name, size_t size, int flags, mode_t mode);
int kipc_region_open(const char *name, int flags);
int kipc_region_map(int r, void **addr, size_t *size);
int kipc_region_unmap(int r);
int kipc_region_stat(int r, struct kipc_region_stat *st);
int kipc_wait(int r, size_t off, uint32_t expected, int64_t timeout_ns);
int kipc_wake(int r, size_t off, unsigned int count);
int kipc_lock_init(int r, size_t off);
int kipc_lock(int r, size_t off, int64_t timeout_ns);
int kipc_lock_consistent(int r, size_t off);
int kipc_unlock(int r, size_t off);
/* The calling thread's lock owner token for region handle @r, or -errno. */
int kipc_lock_token(int r);
/* Close the calling thread's lock handle for @r (before close(r)). */
int kipc_lock_release(int r);

/*
 * SPSC rings in a region.  kipc_ring_create takes KIPC_RING_PRODUCER or
 * KIPC_RING_CONSUMER (the creator's role) in its flags; kipc_ring_open
 * takes the free role, or the one its flags name.  One thread at a time
 * per side.  -EPIPE: the peer's role is gone (after draining, for the
 * consumer); -EPROTO: the shared header or a record is corrupt.
 */
struct kipc_ring;

int kipc_ring_create(const char *name, size_t capacity, int flags,
		     mode_t mode, struct kipc_ring **out);
int kipc_ring_open(const char *name, int flags, struct kipc_ring **out);
int kipc_ring_send(struct kipc_ring *r, uint32_t type, const void *buf,
		   size_t len, int64_t timeout_ns);
ssize_t kipc_ring_recv(struct kipc_ring *r, void *buf, size_t cap,
		       uint32_t *type, int64_t timeout_ns);
int kipc_ring_reserve(struct kipc_ring *r, size_t len, void **buf,
		      int64_t timeout_ns);
int kipc_ring_commit(struct kipc_ring *r, uint32_t type, size_t len);
ssize_t kipc_ring_peek(struct kipc_ring *r, const void **buf,
		       uint32_t *type, int64_t timeout_ns);
int kipc_ring_consume(struct kipc_ring *r);
int kipc_ring_fd(const struct kipc_ring *r);
void kipc_ring_close(struct kipc_ring *r);

/* Events: semaphore, counter, flag. */
struct kipc_event_stat {
	uint64_t count;
	uint64_t posts;
	uint64_t waits;
	uint32_t kind;			/* KIPC_EVENT_* */
	uint32_t state;			/* KIPC_STATE_* */
	uint32_t waiters;
	int32_t owner_pid;
	uint32_t id;
	uint32_t __reserved;
};

int kipc_event_create(const char *name, int kind, uint64_t initial,
		      int flags, mode_t mode);
int kipc_event_open(const char *name, int flags);
int kipc_event_post(int e, uint64_t n);
int kipc_event_wait(int e, uint64_t *value, int64_t timeout_ns);
int kipc_event_stat(int e, struct kipc_event_stat *st);

/* Names. */
int kipc_unlink(const char *name);

/* The library's version, for run-time checks. */
int kipc_version_major(void);
int kipc_version_minor(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBKIPC_KIPC_H */
