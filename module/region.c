// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - shared regions: mmap, wait/wake, robust locks and SPSC rings.
 */

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <linux/kipc_netlink.h>
#include <net/netlink.h>

#include "kipc.h"

/**
 * DOC: regions
 *
 * A region is an array of zeroed pages allocated at creation
 * (GFP_KERNEL_ACCOUNT) and inserted into each shared mapping with
 * vm_insert_page().  A mapping holds its handle file, which holds the
 * region, so the pages outlive the owner until the last handle and the
 * last mapping are gone.
 *
 * The kernel reads and writes 32-bit words of the region through the
 * direct map, never through a user address, so a word's value is only
 * data: no value a process writes can make the kernel fault.
 *
 * Waiters of kipc_wait() and of contended robust locks sleep in one of
 * KIPC_REGION_BUCKETS lists chosen by a hash of the word's offset; a
 * bucket's spinlock orders the check of the word against a waker's change
 * of it, as the futex hash bucket lock does.
 *
 * Robust locks are owned by handles: each handle gets a token, and a lock
 * word holds its owner's token.  When a handle is released, every
 * registered lock whose word holds its token becomes owner-died and one
 * waiter is woken to take it with -EOWNERDEAD.  An owner field naming no
 * live handle is treated the same way.  libkipc makes the owner a thread
 * by locking through a *thread handle* per thread and region
 * (KIPC_IOC_REGION_THREAD): a handle like the others for the locks, with
 * its own token, but no peer, so it changes no handle count, orphaned
 * state or ring role.
 *
 * Any process that maps a region can rewrite a lock word at any time, so
 * no value in it may decide how long the kernel works: a compare-and-swap
 * that fails is retried with the bucket unlocked, after cond_resched()
 * and a signal check, and at most KIPC_LOCK_RETRIES times per call.  A
 * kernel unlock that wakes one waiter keeps KIPC_LOCK_WAITERS set while
 * other lock waiters sleep, and a woken waiter that leaves without the
 * lock (signal, timeout, retries used up) wakes the next one, so a wake
 * is never lost.  Each registered lock charges its owner's uid
 * (max_user_bytes) with the xarray nodes it may cost.
 *
 * A ring is a region whose first page is a &struct kipc_ring_hdr.  The
 * kernel tracks which handle holds each role, reports the header's state
 * to poll, and sets the role's *_gone flag when its handle goes.
 */

#define KIPC_REGION_BUCKET_BITS	6
#define KIPC_REGION_BUCKETS	BIT(KIPC_REGION_BUCKET_BITS)
#define KIPC_REGION_LOCKS_MAX	1024
/* Failed compare-and-swaps on one lock word in one call, at most. */
#define KIPC_LOCK_RETRIES	64
#define KIPC_REGION_SIZE_MAX	BIT_ULL(40)

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
 * @handles: handles open, thread handles not counted
 * @thread_handles: thread handles open (KIPC_IOC_REGION_THREAD)
 * @orphaned: a peer handle existed and only one handle is left
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
	u32 handles;
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

static struct kipc_region *kipc_region(struct kipc_object *obj)
{
	return container_of(obj, struct kipc_region, obj);
}

static u32 *kipc_region_word(struct kipc_region *r, u64 off)
{
	return (u32 *)page_address(r->pages[off >> PAGE_SHIFT]) +
	       (off & ~PAGE_MASK) / sizeof(u32);
}

static struct kipc_ring_hdr *kipc_ring_hdr(struct kipc_region *r)
{
	return page_address(r->pages[0]);
}

static struct kipc_rbucket *kipc_region_bucket(struct kipc_region *r,
					       u64 off)
{
	return &r->buckets[hash_64(off, KIPC_REGION_BUCKET_BITS)];
}

static int kipc_region_check_off(struct kipc_region *r, u64 off)
{
	if (off % sizeof(u32) || off > r->size - sizeof(u32))
		return -EINVAL;
	return 0;
}

/* Can a kipc_wait() sleep?  -EPIPE when dead or orphaned. */
static int kipc_region_alive(struct kipc_region *r)
{
	if (READ_ONCE(r->state) != KIPC_STATE_LIVE || READ_ONCE(r->orphaned))
		return -EPIPE;
	return 0;
}

static void kipc_rwaiter_wake(struct kipc_rwaiter *w, int state,
			      struct kipc_wake_list *wl)
{
	list_del(&w->node);
	kipc_wake_add(wl, w->task);
	/* Pairs with the acquire in kipc_region_sleep(). */
	smp_store_release(&w->state, state);
}

/*
 * Wake up to @count waiters of the word at @off (@lock: lock waiters,
 * else kipc_wait() waiters) with @state.  Called with the bucket locked.
 */
static unsigned int kipc_bucket_wake(struct kipc_rbucket *b, u64 off,
				     bool lock, unsigned int count, int state,
				     struct kipc_wake_list *wl)
{
	struct kipc_rwaiter *w, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(w, tmp, &b->waiters, node) {
		if (n == count)
			break;
		if (w->offset != off || w->lock != lock)
			continue;
		kipc_rwaiter_wake(w, state, wl);
		n++;
	}
	return n;
}

/* Lock waiters of the word at @off, counted up to @max. */
static unsigned int kipc_bucket_lock_waiters(struct kipc_rbucket *b, u64 off,
					     unsigned int max)
{
	struct kipc_rwaiter *w;
	unsigned int n = 0;

	list_for_each_entry(w, &b->waiters, node) {
		if (w->offset == off && w->lock && ++n == max)
			break;
	}
	return n;
}

static bool kipc_bucket_has_lock_waiter(struct kipc_rbucket *b, u64 off)
{
	return kipc_bucket_lock_waiters(b, off, 1);
}

/* Which signals end a lock call's retries (kipc_lock_backoff()). */
#define KIPC_BACKOFF_NOSIG	0	/* none: a handle's release */
#define KIPC_BACKOFF_FATAL	1	/* a fatal one: unlock */
#define KIPC_BACKOFF_ANY	2	/* any: lock, a wait */

/*
 * A compare-and-swap on a lock word failed: the word changed under us.
 * Let go of the bucket, give the CPU away and look at signals (@sigs)
 * before the caller tries again.  Returns with @b locked: 0 to retry,
 * -EAGAIN when *@tries reached KIPC_LOCK_RETRIES (only a process writing
 * the word outside the lock protocol gets there), or the error for a
 * signal.
 */
static int kipc_lock_backoff(struct kipc_rbucket *b, unsigned int *tries,
			     int sigs, ktime_t *deadline)
	__must_hold(&b->lock)
{
	spin_unlock(&b->lock);
	cond_resched();
	spin_lock(&b->lock);
	if (++*tries >= KIPC_LOCK_RETRIES)
		return -EAGAIN;
	if (sigs == KIPC_BACKOFF_ANY && signal_pending(current))
		return kipc_interrupted(deadline);
	if (sigs == KIPC_BACKOFF_FATAL && fatal_signal_pending(current))
		return -EINTR;
	return 0;
}

/* Wake every kipc_wait() waiter: the region died or was orphaned. */
static void kipc_region_hup(struct kipc_region *r)
{
	struct kipc_wake_list wl = { 0 };
	struct kipc_rwaiter *w, *tmp;
	unsigned int i;

	for (i = 0; i < KIPC_REGION_BUCKETS; i++) {
		spin_lock(&r->buckets[i].lock);
		list_for_each_entry_safe(w, tmp, &r->buckets[i].waiters, node)
			if (!w->lock)
				kipc_rwaiter_wake(w, KIPC_RW_HUP, &wl);
		spin_unlock(&r->buckets[i].lock);
		kipc_wake_all(&wl);
	}
	wake_up_interruptible_poll(&r->poll_wq, EPOLLIN | EPOLLOUT | EPOLLHUP);
}

/*
 * Sleep on bucket @b.  Called with @b locked after the caller checked the
 * word; returns with @b locked and the waiter off the list: 0 when woken,
 * -EPIPE when the region died or was orphaned, -ETIMEDOUT, or 1 to look
 * again.
 */
static int kipc_region_sleep(struct kipc_region *r, struct kipc_rbucket *b,
			     struct kipc_rwaiter *w, ktime_t *deadline)
	__must_hold(&b->lock)
{
	int ret;

	w->task = current;
	w->state = KIPC_RW_WAITING;
	list_add_tail(&w->node, &b->waiters);
	atomic_inc(&r->nr_waiters);
	set_current_state(TASK_INTERRUPTIBLE);
	spin_unlock(&b->lock);

	ret = kipc_sleep(deadline);
	__set_current_state(TASK_RUNNING);

	spin_lock(&b->lock);
	atomic_dec(&r->nr_waiters);
	/* Pairs with the release in kipc_rwaiter_wake(). */
	switch (smp_load_acquire(&w->state)) {
	case KIPC_RW_WOKEN:
		return 0;
	case KIPC_RW_HUP:
		return -EPIPE;
	}
	list_del(&w->node);
	return ret ?: 1;	/* a signal or a spurious wakeup: look again */
}

/* --- wait / wake --------------------------------------------------- */

static long kipc_region_wait(struct kipc_region *r, struct file *file,
			     struct kipc_handle *h, void __user *arg)
{
	struct kipc_rwaiter w = { .lock = false };
	bool nonblock, timed_out = false;
	ktime_t dl, *deadline;
	struct kipc_rbucket *b;
	struct kipc_ioc_wait args;
	long ret;

	ret = kipc_copy_args(&args, sizeof(args), sizeof(args), arg);
	if (ret)
		return ret;
	if (args.flags || args.__reserved ||
	    kipc_region_check_off(r, args.offset))
		return -EINVAL;
	if (!(h->access & KIPC_RDONLY))
		return -EBADF;

	nonblock = !args.timeout_ns || kipc_file_nonblock(file);
	deadline = kipc_deadline(args.timeout_ns, &dl);
	w.offset = args.offset;
	b = kipc_region_bucket(r, args.offset);

	spin_lock(&b->lock);
	for (;;) {
		ret = kipc_region_alive(r);
		if (ret)
			break;
		if (READ_ONCE(*kipc_region_word(r, args.offset)) !=
		    args.expected || nonblock) {
			ret = -EAGAIN;
			break;
		}
		if (timed_out) {
			ret = -ETIMEDOUT;
			break;
		}
		if (signal_pending(current)) {
			ret = kipc_interrupted(deadline);
			break;
		}
		ret = kipc_region_sleep(r, b, &w, deadline);
		if (ret == 0 || ret == -EPIPE)
			break;
		timed_out = ret == -ETIMEDOUT;
	}
	spin_unlock(&b->lock);
	return ret;
}

static long kipc_region_wake(struct kipc_region *r, struct kipc_handle *h,
			     void __user *arg)
{
	struct kipc_wake_list wl = { 0 };
	struct kipc_rbucket *b;
	struct kipc_ioc_wake args;
	unsigned int n;
	long ret;

	ret = kipc_copy_args(&args, sizeof(args), sizeof(args), arg);
	if (ret)
		return ret;
	if (args.flags || args.__reserved ||
	    kipc_region_check_off(r, args.offset))
		return -EINVAL;
	if (!(h->access & KIPC_WRONLY))
		return -EBADF;

	b = kipc_region_bucket(r, args.offset);
	spin_lock(&b->lock);
	n = kipc_bucket_wake(b, args.offset, false, args.count, KIPC_RW_WOKEN,
			     &wl);
	spin_unlock(&b->lock);
	kipc_wake_all(&wl);
	if (r->ring_role && wq_has_sleeper(&r->poll_wq))
		wake_up_interruptible_poll(&r->poll_wq, EPOLLIN | EPOLLOUT);
	return n;
}

/* --- robust locks -------------------------------------------------- */

static bool kipc_region_token_live(struct kipc_region *r, u32 token)
{
	return token && xa_load(&r->tokens, token);
}

static int kipc_region_lock_args(struct kipc_region *r,
				 struct kipc_handle *h, void __user *arg,
				 struct kipc_ioc_lock *args, bool timeout_ok)
{
	int ret;

	ret = kipc_copy_args(args, sizeof(*args), sizeof(*args), arg);
	if (ret)
		return ret;
	if (args->flags || (!timeout_ok && args->timeout_ns) ||
	    kipc_region_check_off(r, args->offset))
		return -EINVAL;
	if (!(h->access & KIPC_WRONLY))
		return -EBADF;
	return 0;
}

static bool kipc_region_lock_registered(struct kipc_region *r, u64 off)
{
	return xa_load(&r->locks, off / sizeof(u32));
}

/* The arguments of a call on a registered lock: lock, unlock, consistent. */
static int kipc_region_lock_find(struct kipc_region *r,
				 struct kipc_handle *h, void __user *arg,
				 struct kipc_ioc_lock *args, bool timeout_ok)
{
	int ret = kipc_region_lock_args(r, h, arg, args, timeout_ok);

	if (!ret && !kipc_region_lock_registered(r, args->offset))
		ret = -EINVAL;
	return ret;
}

/*
 * Register the lock at word index @idx: take one of the region's
 * KIPC_REGION_LOCKS_MAX slots, charge the uid, then allocate, with no
 * spinlock held.  0 also when a concurrent call registered it first.
 */
static int kipc_region_lock_add(struct kipc_region *r, unsigned long idx)
{
	int ret;

	spin_lock(&r->lock);
	if (r->nr_locks >= KIPC_REGION_LOCKS_MAX) {
		spin_unlock(&r->lock);
		return -ENOSPC;
	}
	r->nr_locks++;
	spin_unlock(&r->lock);

	ret = kipc_object_charge(&r->obj, r->lock_charge);
	if (!ret) {
		ret = xa_insert(&r->locks, idx, xa_mk_value(1),
				GFP_KERNEL_ACCOUNT);
		if (ret)
			kipc_object_uncharge(&r->obj, r->lock_charge);
	}
	if (ret) {
		spin_lock(&r->lock);
		r->nr_locks--;
		spin_unlock(&r->lock);
	}
	return ret == -EBUSY ? 0 : ret;
}

static long kipc_region_lock_init(struct kipc_region *r,
				  struct kipc_handle *h, void __user *arg)
{
	struct kipc_ioc_lock args;
	struct kipc_rbucket *b;
	u32 *word;
	long ret;

	ret = kipc_region_lock_args(r, h, arg, &args, false);
	if (ret)
		return ret;
	word = kipc_region_word(r, args.offset);
	b = kipc_region_bucket(r, args.offset);

	if (!kipc_region_lock_registered(r, args.offset)) {
		ret = kipc_region_lock_add(r, args.offset / sizeof(u32));
		if (ret)
			return ret;
	}
	spin_lock(&b->lock);
	if (kipc_region_token_live(r, READ_ONCE(*word) & KIPC_LOCK_OWNER_MASK))
		ret = -EBUSY;
	else
		WRITE_ONCE(*word, 0);
	spin_unlock(&b->lock);
	return ret;
}

/*
 * Try to take the lock whose word holds @v for @token.  Called with the
 * bucket locked.  Returns 0 or -EOWNERDEAD when taken, -EAGAIN when the
 * word changed under us, 1 when it is held by a live handle.
 */
static int kipc_lock_try(struct kipc_region *r, struct kipc_rbucket *b,
			 u64 off, u32 *word, u32 v, u32 token)
	__must_hold(&b->lock)
{
	u32 owner = v & KIPC_LOCK_OWNER_MASK, new;
	bool died;

	if (owner && kipc_region_token_live(r, owner))
		return 1;
	died = owner || v & KIPC_LOCK_OWNER_DIED;
	new = token;
	if (died)
		new |= KIPC_LOCK_OWNER_DIED;
	if (kipc_bucket_has_lock_waiter(b, off))
		new |= KIPC_LOCK_WAITERS;
	if (cmpxchg(word, v, new) != v)
		return -EAGAIN;
	if (!died)
		return 0;
	atomic_inc(&r->owner_died);
	return -EOWNERDEAD;
}

static long kipc_region_lock(struct kipc_region *r, struct file *file,
			     struct kipc_handle *h, void __user *arg)
{
	struct kipc_rwaiter w = { .lock = true };
	struct kipc_wake_list wl = { 0 };
	bool nonblock, woken = false;
	unsigned int tries = 0;
	struct kipc_ioc_lock args;
	ktime_t dl, *deadline;
	struct kipc_rbucket *b;
	u32 *word, v;
	long ret;

	ret = kipc_region_lock_find(r, h, arg, &args, true);
	if (ret)
		return ret;

	nonblock = !args.timeout_ns || kipc_file_nonblock(file);
	deadline = kipc_deadline(args.timeout_ns, &dl);
	word = kipc_region_word(r, args.offset);
	b = kipc_region_bucket(r, args.offset);
	w.offset = args.offset;

	spin_lock(&b->lock);
	for (;;) {
		v = READ_ONCE(*word);
		if ((v & KIPC_LOCK_OWNER_MASK) == KIPC_LOCK_NOTRECOVERABLE) {
			ret = -ENOTRECOVERABLE;
			break;
		}
		if ((v & KIPC_LOCK_OWNER_MASK) == h->token) {
			ret = -EDEADLK;
			break;
		}
		ret = kipc_lock_try(r, b, args.offset, word, v, h->token);
		if (ret <= 0 && ret != -EAGAIN)
			break;
		if (ret == 1) {
			if (nonblock) {
				ret = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				ret = kipc_interrupted(deadline);
				break;
			}
			/* Tell the owner to unlock through the kernel. */
			if (v & KIPC_LOCK_WAITERS ||
			    cmpxchg(word, v, v | KIPC_LOCK_WAITERS) == v) {
				ret = kipc_region_sleep(r, b, &w, deadline);
				if (ret == -ETIMEDOUT || ret == -EPIPE)
					break;
				woken = !ret;
				continue;
			}
		}
		/* The word changed under us. */
		ret = kipc_lock_backoff(b, &tries, KIPC_BACKOFF_ANY,
					deadline);
		if (ret)
			break;
	}
	/*
	 * Woken to take the lock but leaving without it: the unlocker
	 * counted on us, so pass the wake on to the next waiter.
	 */
	if (woken && ret && ret != -EOWNERDEAD)
		kipc_bucket_wake(b, args.offset, true, 1, KIPC_RW_WOKEN, &wl);
	spin_unlock(&b->lock);
	kipc_wake_all(&wl);
	return ret;
}

static long kipc_region_unlock(struct kipc_region *r, struct kipc_handle *h,
			       void __user *arg)
{
	struct kipc_wake_list wl = { 0 };
	unsigned int tries = 0, nwait;
	struct kipc_ioc_lock args;
	struct kipc_rbucket *b;
	u32 *word, v, new;
	long ret;

	ret = kipc_region_lock_find(r, h, arg, &args, false);
	if (ret)
		return ret;
	word = kipc_region_word(r, args.offset);
	b = kipc_region_bucket(r, args.offset);

	spin_lock(&b->lock);
	for (;;) {
		v = READ_ONCE(*word);
		if ((v & KIPC_LOCK_OWNER_MASK) != h->token) {
			ret = -EPERM;
			break;
		}
		nwait = kipc_bucket_lock_waiters(b, args.offset, 2);
		/* Unlocked without kipc_lock_consistent(): unusable. */
		if (v & KIPC_LOCK_OWNER_DIED)
			new = KIPC_LOCK_NOTRECOVERABLE;
		else
			/* Free, and still contended if others sleep on. */
			new = nwait > 1 ? KIPC_LOCK_WAITERS : 0;
		if (cmpxchg(word, v, new) == v) {
			kipc_bucket_wake(b, args.offset, true,
					 v & KIPC_LOCK_OWNER_DIED ? UINT_MAX : 1,
					 KIPC_RW_WOKEN, &wl);
			break;
		}
		/* Not a wait: only a fatal signal stops it. */
		ret = kipc_lock_backoff(b, &tries, KIPC_BACKOFF_FATAL, NULL);
		if (ret)
			break;
	}
	spin_unlock(&b->lock);
	kipc_wake_all(&wl);
	return ret;
}

/*
 * KIPC_IOC_LOCK_CONSISTENT: clear KIPC_LOCK_OWNER_DIED of a lock this
 * handle took with -EOWNERDEAD, for a caller without a mapping.
 */
static long kipc_region_lock_consistent(struct kipc_region *r,
					struct kipc_handle *h,
					void __user *arg)
{
	struct kipc_ioc_lock args;
	struct kipc_rbucket *b;
	unsigned int tries = 0;
	u32 *word, v;
	long ret;

	ret = kipc_region_lock_find(r, h, arg, &args, false);
	if (ret)
		return ret;
	word = kipc_region_word(r, args.offset);
	b = kipc_region_bucket(r, args.offset);

	spin_lock(&b->lock);
	for (;;) {
		v = READ_ONCE(*word);
		if ((v & KIPC_LOCK_OWNER_MASK) != h->token ||
		    !(v & KIPC_LOCK_OWNER_DIED)) {
			ret = -EINVAL;
			break;
		}
		if (cmpxchg(word, v, v & ~KIPC_LOCK_OWNER_DIED) == v)
			break;
		ret = kipc_lock_backoff(b, &tries, KIPC_BACKOFF_FATAL, NULL);
		if (ret)
			break;
	}
	spin_unlock(&b->lock);
	return ret;
}

/* KIPC_IOC_REGION_THREAD: another handle of @r for one thread's locks. */
static long kipc_region_thread(struct kipc_region *r, struct file *file,
			       struct kipc_handle *h, void __user *arg)
{
	struct kipc_ioc_region_thread args;
	long ret;

	ret = kipc_copy_args(&args, sizeof(args), sizeof(args), arg);
	if (ret)
		return ret;
	if (args.flags)
		return -EINVAL;
	return kipc_object_install_thread(&r->obj, h->access,
					  kipc_file_nonblock(file));
}

/*
 * The handle is going: every lock it holds becomes owner-died.  Its token
 * already names no live handle (kipc_region_handle_del()), so a waiter
 * woken here takes the lock with -EOWNERDEAD even when a scribbler made
 * the compare-and-swap below fail every time.
 */
static void kipc_region_release_locks(struct kipc_region *r,
				      struct kipc_handle *h)
{
	struct kipc_wake_list wl = { 0 };
	struct kipc_rbucket *b;
	unsigned int tries;
	unsigned long idx;
	bool held;
	void *entry;
	u32 *word, v;
	u64 off;

	xa_for_each(&r->locks, idx, entry) {
		off = (u64)idx * sizeof(u32);
		word = kipc_region_word(r, off);
		b = kipc_region_bucket(r, off);
		held = false;
		tries = 0;
		spin_lock(&b->lock);
		for (;;) {
			v = READ_ONCE(*word);
			if ((v & KIPC_LOCK_OWNER_MASK) != h->token)
				break;
			held = true;
			if (cmpxchg(word, v, KIPC_LOCK_OWNER_DIED |
				    (v & KIPC_LOCK_WAITERS)) == v)
				break;
			/* A release cannot fail: give up on the word only. */
			if (kipc_lock_backoff(b, &tries, KIPC_BACKOFF_NOSIG,
					      NULL))
				break;
		}
		if (held)
			kipc_bucket_wake(b, off, true, 1, KIPC_RW_WOKEN, &wl);
		spin_unlock(&b->lock);
		kipc_wake_all(&wl);
		cond_resched();
	}
}

/* --- rings --------------------------------------------------------- */

static u32 kipc_ring_other(u32 role)
{
	return role == KIPC_RING_PRODUCER ? KIPC_RING_CONSUMER :
					    KIPC_RING_PRODUCER;
}

static u32 *kipc_ring_gone_flag(struct kipc_region *r, u32 role)
{
	struct kipc_ring_hdr *hdr = kipc_ring_hdr(r);

	return role == KIPC_RING_PRODUCER ? &hdr->producer_gone :
					    &hdr->consumer_gone;
}

static struct pid **kipc_ring_role_pid(struct kipc_region *r, u32 role)
{
	return &r->role_pid[role == KIPC_RING_PRODUCER ? 0 : 1];
}

/* Give @h @role; called with r->lock held. */
static void kipc_ring_take_role(struct kipc_region *r, struct kipc_handle *h,
				u32 role)
{
	r->role_taken |= role;
	r->role_gone &= ~role;
	h->ring_role = role;
	*kipc_ring_role_pid(r, role) = get_pid(h->pid);
	WRITE_ONCE(*kipc_ring_gone_flag(r, role), 0);
}

static long kipc_region_ring_attach(struct kipc_region *r,
				    struct kipc_handle *h, void __user *arg)
{
	struct kipc_ioc_ring_attach args;
	long ret;
	u32 role;

	ret = kipc_copy_args(&args, sizeof(args), sizeof(args), arg);
	if (ret)
		return ret;
	if (args.flags || args.__reserved ||
	    (args.role && args.role != KIPC_RING_PRODUCER &&
	     args.role != KIPC_RING_CONSUMER))
		return -EINVAL;
	if (!r->ring_role)
		return -ENOTTY;
	if ((h->access & KIPC_RDWR) != KIPC_RDWR)
		return -EBADF;
	if (h->thread)
		return -EINVAL;	/* no peer, so no role */

	spin_lock(&r->lock);
	role = args.role;
	if (!role)
		role = r->role_taken & KIPC_RING_PRODUCER ? KIPC_RING_CONSUMER :
							  KIPC_RING_PRODUCER;
	if (h->ring_role)
		ret = -EINVAL;
	else if (r->role_taken & role)
		ret = -EBUSY;
	else if (r->state != KIPC_STATE_LIVE)
		ret = -EPIPE;
	if (!ret)
		kipc_ring_take_role(r, h, role);
	spin_unlock(&r->lock);
	if (ret)
		return ret;
	args.role = role;
	return kipc_copy_out(arg, &args, sizeof(args));
}

/* The ring's free space in bytes, from the untrusted header. */
static u32 kipc_ring_used(struct kipc_region *r, struct kipc_ring_hdr *hdr)
{
	u32 used = READ_ONCE(hdr->head) - READ_ONCE(hdr->tail);

	return min(used, r->ring_cap);
}

static __poll_t kipc_ring_poll(struct kipc_region *r, struct kipc_handle *h)
{
	struct kipc_ring_hdr *hdr = kipc_ring_hdr(r);
	u32 *waiting;
	__poll_t mask = 0;
	int pass;

	if (!h->ring_role)
		return 0;
	/* The kernel's own record: any mapper can rewrite the header. */
	if (READ_ONCE(r->role_gone) & kipc_ring_other(h->ring_role))
		mask |= EPOLLHUP;
	waiting = h->ring_role == KIPC_RING_CONSUMER ? &hdr->consumer_waiting :
						       &hdr->producer_waiting;
	for (pass = 0; pass < 2; pass++) {
		if (h->ring_role == KIPC_RING_CONSUMER &&
		    kipc_ring_used(r, hdr))
			return mask | EPOLLIN | EPOLLRDNORM;
		if (h->ring_role == KIPC_RING_PRODUCER &&
		    r->ring_cap - kipc_ring_used(r, hdr) >=
		    2 * sizeof(struct kipc_ring_rec))
			return mask | EPOLLOUT | EPOLLWRNORM;
		/*
		 * Nothing yet: ask the peer to wake us after its next
		 * publish, then look once more (the peer publishes, fences,
		 * then reads the flag).
		 */
		WRITE_ONCE(*waiting, 1);
		/* Flag before index, as the library's sleeper does. */
		smp_mb();
	}
	return mask;
}

/* --- file operations ----------------------------------------------- */

static __poll_t kipc_region_poll(struct kipc_handle *h, struct file *file,
				 struct poll_table_struct *wait)
{
	struct kipc_region *r = kipc_region(h->obj);
	__poll_t mask;

	poll_wait(file, &r->poll_wq, wait);
	mask = r->ring_role ? kipc_ring_poll(r, h) : 0;
	if (kipc_region_alive(r))
		mask |= EPOLLHUP;
	return mask;
}

static long kipc_region_stat(struct kipc_region *r, struct kipc_handle *h,
			     void __user *arg)
{
	struct kipc_ioc_region_stat info;
	long ret;

	ret = kipc_copy_args(&info, sizeof(info), sizeof(info), arg);
	if (ret)
		return ret;
	if (info.flags)
		return -EINVAL;
	info.region_size = r->size;
	info.token = h->token;
	info.access = h->access;
	spin_lock(&r->lock);
	info.handles = r->handles;
	info.locks = r->nr_locks;
	info.state = r->state;
	spin_unlock(&r->lock);
	info.waiters = atomic_read(&r->nr_waiters);
	info.ring_role = h->ring_role;
	info.owner_pid = pid_nr_ns(r->obj.owner_pid,
				   task_active_pid_ns(current));
	info.id = r->obj.id;
	info.owner_died = atomic_read(&r->owner_died);
	return kipc_copy_out(arg, &info, sizeof(info));
}

static long kipc_region_ioctl(struct kipc_handle *h, struct file *file,
			      unsigned int cmd, void __user *arg)
{
	struct kipc_region *r = kipc_region(h->obj);

	switch (cmd) {
	case KIPC_IOC_REGION_STAT:
		return kipc_region_stat(r, h, arg);
	case KIPC_IOC_WAIT:
		return kipc_region_wait(r, file, h, arg);
	case KIPC_IOC_WAKE:
		return kipc_region_wake(r, h, arg);
	case KIPC_IOC_LOCK_INIT:
		return kipc_region_lock_init(r, h, arg);
	case KIPC_IOC_LOCK:
		return kipc_region_lock(r, file, h, arg);
	case KIPC_IOC_UNLOCK:
		return kipc_region_unlock(r, h, arg);
	case KIPC_IOC_RING_ATTACH:
		return kipc_region_ring_attach(r, h, arg);
	case KIPC_IOC_REGION_THREAD:
		return kipc_region_thread(r, file, h, arg);
	case KIPC_IOC_LOCK_CONSISTENT:
		return kipc_region_lock_consistent(r, h, arg);
	}
	return -ENOTTY;
}

/* Mappings are filled at mmap; this refills PTEs zapped since. */
static vm_fault_t kipc_region_fault(struct vm_fault *vmf)
{
	struct kipc_region *r = vmf->vma->vm_private_data;

	if (vmf->pgoff >= r->nr_pages)
		return VM_FAULT_SIGBUS;
	vmf->page = r->pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct kipc_region_vm_ops = {
	.fault = kipc_region_fault,
};

static int kipc_region_mmap(struct kipc_handle *h, struct file *file,
			    struct vm_area_struct *vma)
{
	struct kipc_region *r = kipc_region(h->obj);
	unsigned long i, npages = vma_pages(vma);
	int ret;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff >= r->nr_pages || npages > r->nr_pages - vma->vm_pgoff)
		return -EINVAL;
	if (!(h->access & KIPC_RDONLY) || vma->vm_flags & VM_EXEC ||
	    (vma->vm_flags & VM_WRITE && !(h->access & KIPC_WRONLY)))
		return -EACCES;
	/* 6.1 has no vm_flags_set()/vm_flags_clear() yet (added in 6.3). */
	if (!(h->access & KIPC_WRONLY))
		vma->vm_flags &= ~VM_MAYWRITE;
	vma->vm_flags &= ~VM_MAYEXEC;
	vma->vm_flags |= VM_DONTEXPAND;
	vma->vm_ops = &kipc_region_vm_ops;
	vma->vm_private_data = r;

	for (i = 0; i < npages; i++) {
		ret = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				     r->pages[vma->vm_pgoff + i]);
		if (ret)
			return ret;
	}
	return 0;
}

static void kipc_region_kill(struct kipc_object *obj)
{
	struct kipc_region *r = kipc_region(obj);

	spin_lock(&r->lock);
	WRITE_ONCE(r->state, KIPC_STATE_DEAD);
	spin_unlock(&r->lock);
	kipc_region_hup(r);
}

static int kipc_region_handle_add(struct kipc_handle *h)
{
	struct kipc_region *r = kipc_region(h->obj);
	int ret;

	ret = xa_alloc(&r->tokens, &h->token, h,
		       XA_LIMIT(1, KIPC_LOCK_OWNER_MASK - 1),
		       GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret == -EBUSY ? -ENOSPC : ret;
	spin_lock(&r->lock);
	if (h->thread) {
		r->thread_handles++;
		spin_unlock(&r->lock);
		return 0;
	}
	if (++r->handles > 1)
		WRITE_ONCE(r->orphaned, false);
	if (h->owner && r->ring_role)
		kipc_ring_take_role(r, h, r->ring_role);
	spin_unlock(&r->lock);
	return 0;
}

static void kipc_region_handle_del(struct kipc_handle *h)
{
	struct kipc_region *r = kipc_region(h->obj);
	bool hup;

	/*
	 * The token names no live handle from here on (in an allocating
	 * xarray, storing NULL reserves the index, so it is not reused
	 * before the words that hold it are released).  Then the locks,
	 * before the handle count: their waiters get -EOWNERDEAD, never
	 * -EPIPE.
	 */
	xa_store(&r->tokens, h->token, NULL, GFP_KERNEL);
	kipc_region_release_locks(r, h);
	xa_erase(&r->tokens, h->token);

	spin_lock(&r->lock);
	if (h->thread) {
		r->thread_handles--;
		spin_unlock(&r->lock);
		return;
	}
	hup = --r->handles == 1;
	if (hup)
		WRITE_ONCE(r->orphaned, true);
	if (h->ring_role) {
		r->role_taken &= ~h->ring_role;
		r->role_gone |= h->ring_role;
		put_pid(*kipc_ring_role_pid(r, h->ring_role));
		*kipc_ring_role_pid(r, h->ring_role) = NULL;
		WRITE_ONCE(*kipc_ring_gone_flag(r, h->ring_role), 1);
		hup = true;
	}
	spin_unlock(&r->lock);
	if (hup)
		kipc_region_hup(r);
}

static void kipc_region_show_fdinfo(struct kipc_handle *h, struct seq_file *m)
{
	struct kipc_region *r = kipc_region(h->obj);

	seq_printf(m, "kipc-state:\t%s\n",
		   kipc_state_name(READ_ONCE(r->state)));
	seq_printf(m, "kipc-size:\t%llu\n", r->size);
	seq_printf(m, "kipc-thread-handles:\t%u\n",
		   READ_ONCE(r->thread_handles));
	if (h->ring_role)
		seq_printf(m, "kipc-ring-role:\t%s\n",
			   h->ring_role == KIPC_RING_PRODUCER ? "producer" :
								"consumer");
}

static void kipc_region_free(struct kipc_object *obj)
{
	struct kipc_region *r = kipc_region(obj);
	unsigned long i;

	if (r->pages) {
		for (i = 0; i < r->nr_pages; i++)
			if (r->pages[i])
				__free_page(r->pages[i]);
		kvfree(r->pages);
	}
	xa_destroy(&r->locks);
	xa_destroy(&r->tokens);
	kipc_object_release_common(obj);
	kfree(r);
}

/* One registered lock: its word, holder and waiters. */
static int kipc_region_fill_lock(struct kipc_region *r, struct sk_buff *skb,
				 u64 off, struct pid_namespace *pidns)
{
	struct kipc_rbucket *b = kipc_region_bucket(r, off);
	u32 word = READ_ONCE(*kipc_region_word(r, off));
	u32 owner = word & KIPC_LOCK_OWNER_MASK;
	struct kipc_rwaiter *w;
	struct kipc_handle *h;
	struct nlattr *nest;
	u32 waiters = 0;
	pid_t holder = 0, tid = 0;

	spin_lock(&b->lock);
	list_for_each_entry(w, &b->waiters, node)
		waiters += w->offset == off && w->lock;
	spin_unlock(&b->lock);
	if (owner && owner != KIPC_LOCK_NOTRECOVERABLE) {
		/* A handle is freed only after its token is erased. */
		xa_lock(&r->tokens);
		h = xa_load(&r->tokens, owner);
		if (h) {
			holder = pid_nr_ns(h->pid, pidns);
			if (h->tid)
				tid = pid_nr_ns(h->tid, pidns);
		}
		xa_unlock(&r->tokens);
	}

	nest = nla_nest_start(skb, KIPC_A_R_LOCK);
	if (!nest ||
	    nla_put_u64_64bit(skb, KIPC_A_L_OFFSET, off, KIPC_A_L_PAD) ||
	    nla_put_u32(skb, KIPC_A_L_WORD, word) ||
	    (holder && nla_put_u32(skb, KIPC_A_L_HOLDER_PID, holder)) ||
	    (tid && nla_put_u32(skb, KIPC_A_L_HOLDER_TID, tid)) ||
	    (word & KIPC_LOCK_OWNER_DIED &&
	     nla_put_flag(skb, KIPC_A_L_OWNER_DIED)) ||
	    (owner == KIPC_LOCK_NOTRECOVERABLE &&
	     nla_put_flag(skb, KIPC_A_L_NOTRECOVERABLE)) ||
	    nla_put_u32(skb, KIPC_A_L_WAITERS, waiters))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int kipc_region_fill_ring(struct kipc_region *r, struct sk_buff *skb,
				 struct pid_namespace *pidns)
{
	struct kipc_ring_hdr *hdr = kipc_ring_hdr(r);
	struct nlattr *nest;
	pid_t pid[2];
	u32 gone;
	int i;

	spin_lock(&r->lock);
	for (i = 0; i < 2; i++)
		pid[i] = r->role_pid[i] ? pid_nr_ns(r->role_pid[i], pidns) : 0;
	gone = r->role_gone;
	spin_unlock(&r->lock);

	nest = nla_nest_start(skb, KIPC_A_R_RING);
	if (!nest ||
	    nla_put_u32(skb, KIPC_A_RING_CAPACITY, r->ring_cap) ||
	    nla_put_u32(skb, KIPC_A_RING_USED, kipc_ring_used(r, hdr)) ||
	    (pid[0] && nla_put_u32(skb, KIPC_A_RING_PRODUCER_PID, pid[0])) ||
	    (pid[1] && nla_put_u32(skb, KIPC_A_RING_CONSUMER_PID, pid[1])) ||
	    (gone & KIPC_RING_PRODUCER &&
	     nla_put_flag(skb, KIPC_A_RING_PRODUCER_GONE)) ||
	    (gone & KIPC_RING_CONSUMER &&
	     nla_put_flag(skb, KIPC_A_RING_CONSUMER_GONE)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int kipc_region_fill_nl(struct kipc_object *obj, struct sk_buff *skb,
			       struct pid_namespace *pidns)
{
	struct kipc_region *r = kipc_region(obj);
	struct nlattr *nest;
	unsigned long idx;
	void *entry;

	if (nla_put_u32(skb, KIPC_A_OBJ_STATE, READ_ONCE(r->state)))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, KIPC_A_REGION);
	if (!nest ||
	    nla_put_u64_64bit(skb, KIPC_A_R_SIZE, r->size, KIPC_A_R_PAD) ||
	    nla_put_u32(skb, KIPC_A_R_WAITERS, atomic_read(&r->nr_waiters)) ||
	    nla_put_u8(skb, KIPC_A_R_ORPHANED, READ_ONCE(r->orphaned)) ||
	    nla_put_u32(skb, KIPC_A_R_OWNER_DIED,
			atomic_read(&r->owner_died)))
		return -EMSGSIZE;
	xa_for_each(&r->locks, idx, entry)
		if (kipc_region_fill_lock(r, skb, (u64)idx * sizeof(u32),
					  pidns))
			return -EMSGSIZE;
	if (r->ring_role && kipc_region_fill_ring(r, skb, pidns))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static const struct kipc_object_ops kipc_region_ops = {
	.kind		= KIPC_KIND_REGION,
	.name		= "region",
	.ioctl		= kipc_region_ioctl,
	.poll		= kipc_region_poll,
	.kill		= kipc_region_kill,
	.free		= kipc_region_free,
	.handle_add	= kipc_region_handle_add,
	.handle_del	= kipc_region_handle_del,
	.show_fdinfo	= kipc_region_show_fdinfo,
	.mmap		= kipc_region_mmap,
	.fill_nl	= kipc_region_fill_nl,
};

/* Check the create arguments; returns the region's size in bytes. */
static int kipc_region_check(struct kipc_ioc_region_create *a, u64 *size)
{
	if (a->flags & ~(KIPC_PERSIST | KIPC_NONBLOCK) || a->mode & ~0777 ||
	    (a->ring && a->ring != KIPC_RING_PRODUCER &&
	     a->ring != KIPC_RING_CONSUMER))
		return -EINVAL;
	if (a->ring) {
		if (a->region_size < KIPC_RING_MIN_CAPACITY ||
		    a->region_size > KIPC_RING_MAX_CAPACITY ||
		    !is_power_of_2(a->region_size))
			return -EINVAL;
		*size = PAGE_SIZE + a->region_size;
	} else {
		if (!a->region_size || a->region_size > KIPC_REGION_SIZE_MAX)
			return -EINVAL;
		*size = PAGE_ALIGN(a->region_size);
	}
	if (*size > READ_ONCE(kipc_max_region_size))
		return -ENOSPC;
	return 0;
}

static int kipc_region_alloc_pages(struct kipc_region *r)
{
	unsigned long i;

	r->pages = kvcalloc(r->nr_pages, sizeof(*r->pages), GFP_KERNEL_ACCOUNT);
	if (!r->pages)
		return -ENOMEM;
	for (i = 0; i < r->nr_pages; i++) {
		r->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!r->pages[i])
			return -ENOMEM;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/*
 * What one registered lock may cost: a node of the locks xarray per level
 * of a tree indexing every word of the region (sparse locks each need
 * their own nodes; dense ones share them, so this is an upper bound).
 */
static u32 kipc_region_lock_charge(u64 size)
{
	unsigned int bits = fls64(size / sizeof(u32) - 1);

	return max(DIV_ROUND_UP(bits, XA_CHUNK_SHIFT), 1U) *
	       sizeof(struct xa_node);
}

static void kipc_ring_init(struct kipc_region *r, u32 cap)
{
	struct kipc_ring_hdr *hdr = kipc_ring_hdr(r);

	r->ring_cap = cap;
	hdr->magic = KIPC_RING_MAGIC;
	hdr->capacity = cap;
	hdr->data_offset = PAGE_SIZE;
}

/**
 * kipc_region_create_ioctl() - KIPC_IOC_REGION_CREATE
 * @h: NULL: a context command
 * @arg: the kernel's copy of &struct kipc_ioc_region_create
 *
 * Return: the owner handle's fd, or -errno.
 */
long kipc_region_create_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_ioc_region_create *args = arg;
	struct kipc_region *r;
	unsigned int i;
	u64 size;
	long ret;

	ret = kipc_region_check(args, &size);
	if (ret)
		return ret;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;

	for (i = 0; i < KIPC_REGION_BUCKETS; i++) {
		spin_lock_init(&r->buckets[i].lock);
		INIT_LIST_HEAD(&r->buckets[i].waiters);
	}
	xa_init(&r->locks);
	xa_init_flags(&r->tokens, XA_FLAGS_ALLOC1);
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->poll_wq);
	r->state = KIPC_STATE_LIVE;
	r->size = size;
	r->nr_pages = size >> PAGE_SHIFT;
	r->lock_charge = kipc_region_lock_charge(size);
	r->ring_role = args->ring;

	ret = kipc_object_init(&r->obj, &kipc_region_ops, args->name,
			       args->mode, args->flags, size);
	if (!ret)
		ret = kipc_region_alloc_pages(r);
	if (!ret && r->ring_role)
		kipc_ring_init(r, args->region_size);
	return kipc_object_create(&r->obj, ret);
}
