/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc - the region's structure, shared by region.c, word.c, lock.c and
 * ring.c.
 */
#ifndef _KIPC_REGION_H
#define _KIPC_REGION_H

#include <linux/hash.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "kipc.h"

#define KIPC_REGION_BUCKET_BITS	6
#define KIPC_REGION_BUCKETS	BIT(KIPC_REGION_BUCKET_BITS)

/* Waiter states. */
#define KIPC_RW_WAITING		0
#define KIPC_RW_WOKEN		1	/* kipc_wake() or a lock handed on */
#define KIPC_RW_HUP		2	/* region dead or orphaned */

/**
 * struct kipc_rwaiter - a task asleep on a word, on its own stack
 * @node: entry in its bucket
 * @task: the task
 * @offset: the word's offset
 * @state: KIPC_RW_*, written by wakers with release
 * @lock: waits for a robust lock, not in kipc_wait()
 */
struct kipc_rwaiter {
	struct list_head node;
	struct task_struct *task;
	u64 offset;
	int state;
	bool lock;
};

struct kipc_rbucket {
	spinlock_t lock;	/* protects waiters and orders word checks */
	struct list_head waiters;
};

/**
 * struct kipc_region - a shared region
 * @obj: common object part
 * @pages: the pages
 * @nr_pages: how many
 * @size: bytes, nr_pages << PAGE_SHIFT
 * @buckets: waiters by hash of offset
 * @locks: registered lock offsets, indexed by offset / 4
 * @tokens: live handles by lock token
 * @lock: protects the fields below
 * @state: KIPC_STATE_LIVE or KIPC_STATE_DEAD
 * @thread_handles: thread handles open (KIPC_IOC_REGION_THREAD)
 * @orphaned: set by the release that leaves one peer handle, cleared by
 *	the next handle to join; see kipc_region_orphaned()
 * @nr_locks: registered locks
 * @lock_charge: bytes charged per registered lock (kipc_region_lock_add())
 * @ring_role: the creator's ring role; 0 for a plain region
 * @ring_cap: ring data capacity (the header's copy is not trusted)
 * @role_taken: KIPC_RING_* roles held by a handle
 * @role_gone: KIPC_RING_* roles whose handle went and was not replaced
 *	(the header's *_gone flags are only a copy for the library)
 * @role_pid: the opener of the producer [0] and consumer [1] handles
 * @nr_waiters: tasks asleep (stat)
 * @owner_died: -EOWNERDEAD recoveries handed out (stat)
 * @poll_wq: poll and epoll waiters
 */
struct kipc_region {
	struct kipc_object obj;
	struct page **pages;
	unsigned long nr_pages;
	u64 size;
	struct kipc_rbucket buckets[KIPC_REGION_BUCKETS];
	struct xarray locks;
	struct xarray tokens;
	spinlock_t lock;	/* see the comment above */
	u32 state;
	u32 thread_handles;
	bool orphaned;
	u32 nr_locks;
	u32 lock_charge;
	u32 ring_role;
	u32 ring_cap;
	u32 role_taken;
	u32 role_gone;
	struct pid *role_pid[2];
	atomic_t nr_waiters;
	atomic_t owner_died;
	wait_queue_head_t poll_wq;
};

/**
 * struct kipc_region_handle - a region's handle
 * @h: the common part, first: kipc_handle_install() allocates
 *	&kipc_object_ops.handle_size bytes and frees @h
 * @token: this handle's robust-lock owner id (KIPC_LOCK_OWNER_MASK bits)
 * @ring_role: KIPC_RING_PRODUCER, KIPC_RING_CONSUMER or 0
 */
struct kipc_region_handle {
	struct kipc_handle h;
	u32 token;
	u32 ring_role;
};

static inline struct kipc_region_handle *kipc_rhandle(struct kipc_handle *h)
{
	return container_of(h, struct kipc_region_handle, h);
}

static inline struct kipc_region *kipc_region(struct kipc_object *obj)
{
	return container_of(obj, struct kipc_region, obj);
}

static inline u32 *kipc_region_word(struct kipc_region *r, u64 off)
{
	return (u32 *)page_address(r->pages[off >> PAGE_SHIFT]) +
	       (off & ~PAGE_MASK) / sizeof(u32);
}

static inline struct kipc_rbucket *kipc_region_bucket(struct kipc_region *r,
						      u64 off)
{
	return &r->buckets[hash_64(off, KIPC_REGION_BUCKET_BITS)];
}

static inline int kipc_region_check_off(struct kipc_region *r, u64 off)
{
	if (off % sizeof(u32) || off > r->size - sizeof(u32))
		return -EINVAL;
	return 0;
}

/*
 * Orphaned: a peer handle existed and at most one is left.  The peers are
 * counted by the object (&kipc_object.nr_handles, which leaves thread
 * handles out), outside @r->lock: a handle is counted after handle_add
 * and uncounted before handle_del.  So @orphaned, which handle_add and
 * handle_del change under @r->lock, is only trusted while the count
 * agrees: a handle joining while another leaves never leaves two peers
 * orphaned.
 */
static inline bool kipc_region_orphaned(struct kipc_region *r)
{
	return READ_ONCE(r->orphaned) && atomic_read(&r->obj.nr_handles) <= 1;
}

/* Can a kipc_wait() sleep?  -EPIPE when dead or orphaned. */
static inline int kipc_region_alive(struct kipc_region *r)
{
	if (READ_ONCE(r->state) != KIPC_STATE_LIVE || kipc_region_orphaned(r))
		return -EPIPE;
	return 0;
}

/* word.c */
unsigned int kipc_bucket_wake(struct kipc_rbucket *b, u64 off, bool lock,
			      unsigned int count, int state,
			      struct kipc_wake_list *wl);
unsigned int kipc_bucket_lock_waiters(struct kipc_rbucket *b, u64 off,
				      unsigned int max);
int kipc_region_sleep(struct kipc_region *r, struct kipc_rbucket *b,
		      struct kipc_rwaiter *w, ktime_t *deadline);
void kipc_region_hup(struct kipc_region *r);
long kipc_wait_ioctl(struct kipc_handle *h, void *arg);
long kipc_wake_ioctl(struct kipc_handle *h, void *arg);

/* lock.c */
u32 kipc_region_lock_charge(u64 size);
long kipc_lock_init_ioctl(struct kipc_handle *h, void *arg);
long kipc_lock_ioctl(struct kipc_handle *h, void *arg);
long kipc_unlock_ioctl(struct kipc_handle *h, void *arg);
long kipc_lock_consistent_ioctl(struct kipc_handle *h, void *arg);
long kipc_region_thread_ioctl(struct kipc_handle *h, void *arg);
void kipc_region_release_locks(struct kipc_region *r, struct kipc_handle *h);

/* ring.c */
void kipc_ring_init(struct kipc_region *r, u32 cap);
void kipc_ring_take_role(struct kipc_region *r, struct kipc_handle *h,
			 u32 role);
void kipc_ring_drop_role(struct kipc_region *r, struct kipc_handle *h);
long kipc_ring_attach_ioctl(struct kipc_handle *h, void *arg);
__poll_t kipc_ring_poll(struct kipc_region *r, struct kipc_handle *h);
int kipc_region_fill_ring(struct kipc_region *r, struct sk_buff *skb,
			  struct pid_namespace *pidns);

#endif /* _KIPC_REGION_H */
