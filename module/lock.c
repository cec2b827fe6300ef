// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - robust locks in a region's words, and thread handles.
 */

#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "region.h"

/**
 * DOC: robust locks
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
 * Contended lock callers sleep in the region's word buckets (word.c).
 */

#define KIPC_REGION_LOCKS_MAX	1024
/* Failed compare-and-swaps on one lock word in one call, at most. */
#define KIPC_LOCK_RETRIES	64

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

static bool kipc_region_token_live(struct kipc_region *r, u32 token)
{
	return token && xa_load(&r->tokens, token);
}

static bool kipc_bucket_has_lock_waiter(struct kipc_rbucket *b, u64 off)
{
	return kipc_bucket_lock_waiters(b, off, 1);
}

static int kipc_region_lock_args(struct kipc_region *r,
				 const struct kipc_ioc_lock *args,
				 bool timeout_ok)
{
	if ((!timeout_ok && args->timeout_ns) ||
	    kipc_region_check_off(r, args->offset))
		return -EINVAL;
	return 0;
}

static bool kipc_region_lock_registered(struct kipc_region *r, u64 off)
{
	return xa_load(&r->locks, off / sizeof(u32));
}

/* The arguments of a call on a registered lock: lock, unlock, consistent. */
static int kipc_region_lock_find(struct kipc_region *r,
				 const struct kipc_ioc_lock *args,
				 bool timeout_ok)
{
	int ret = kipc_region_lock_args(r, args, timeout_ok);

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

/**
 * kipc_lock_init_ioctl() - KIPC_IOC_LOCK_INIT: register a lock, unlocked
 * @h: the region handle (write access, checked by kipc_ioctl())
 * @arg: the kernel's copy of &struct kipc_ioc_lock
 *
 * Return: 0, -EBUSY when a live handle holds the lock, -ENOSPC past
 * KIPC_REGION_LOCKS_MAX locks or the uid's charge, or -errno.
 */
long kipc_lock_init_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_region *r = kipc_region(h->obj);
	struct kipc_ioc_lock *args = arg;
	struct kipc_rbucket *b;
	u32 *word;
	long ret;

	ret = kipc_region_lock_args(r, args, false);
	if (ret)
		return ret;
	word = kipc_region_word(r, args->offset);
	b = kipc_region_bucket(r, args->offset);

	if (!kipc_region_lock_registered(r, args->offset)) {
		ret = kipc_region_lock_add(r, args->offset / sizeof(u32));
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

/**
 * kipc_lock_ioctl() - KIPC_IOC_LOCK: take a registered robust lock
 * @h: the region handle, whose token the lock word gets (write access)
 * @arg: the kernel's copy of &struct kipc_ioc_lock
 *
 * Return: 0, -EOWNERDEAD when taken from a dead owner, -ENOTRECOVERABLE,
 * -EDEADLK when @h holds it already, -EAGAIN, -ETIMEDOUT, -EPIPE, or an
 * error from the arguments.
 */
long kipc_lock_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_region *r = kipc_region(h->obj);
	u32 token = kipc_rhandle(h)->token;
	struct kipc_rwaiter w = { .lock = true };
	struct kipc_wake_list wl = { 0 };
	bool nonblock, woken = false;
	struct kipc_ioc_lock *args = arg;
	unsigned int tries = 0;
	ktime_t dl, *deadline;
	struct kipc_rbucket *b;
	u32 *word, v;
	long ret;

	ret = kipc_region_lock_find(r, args, true);
	if (ret)
		return ret;

	nonblock = !args->timeout_ns || kipc_file_nonblock(h->file);
	deadline = kipc_deadline(args->timeout_ns, &dl);
	word = kipc_region_word(r, args->offset);
	b = kipc_region_bucket(r, args->offset);
	w.offset = args->offset;

	spin_lock(&b->lock);
	for (;;) {
		v = READ_ONCE(*word);
		if ((v & KIPC_LOCK_OWNER_MASK) == KIPC_LOCK_NOTRECOVERABLE) {
			ret = -ENOTRECOVERABLE;
			break;
		}
		if ((v & KIPC_LOCK_OWNER_MASK) == token) {
			ret = -EDEADLK;
			break;
		}
		ret = kipc_lock_try(r, b, args->offset, word, v, token);
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
				/*
				 * The bound is on changes in a row with no
				 * sleep between: contention that let us
				 * sleep is no peer scribbling the word.
				 */
				tries = 0;
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
		kipc_bucket_wake(b, args->offset, true, 1, KIPC_RW_WOKEN, &wl);
	spin_unlock(&b->lock);
	kipc_wake_all(&wl);
	return ret;
}

/**
 * kipc_unlock_ioctl() - KIPC_IOC_UNLOCK: release a lock and wake a waiter
 * @h: the region handle, which must hold the lock
 * @arg: the kernel's copy of &struct kipc_ioc_lock
 *
 * A lock taken with -EOWNERDEAD and unlocked without
 * KIPC_IOC_LOCK_CONSISTENT becomes not recoverable, and every waiter is
 * woken.
 *
 * Return: 0, -EPERM when @h does not hold the lock, or -errno.
 */
long kipc_unlock_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_region *r = kipc_region(h->obj);
	u32 token = kipc_rhandle(h)->token;
	struct kipc_ioc_lock *args = arg;
	struct kipc_wake_list wl = { 0 };
	unsigned int tries = 0, nwait;
	struct kipc_rbucket *b;
	u32 *word, v, new;
	long ret;

	ret = kipc_region_lock_find(r, args, false);
	if (ret)
		return ret;
	word = kipc_region_word(r, args->offset);
	b = kipc_region_bucket(r, args->offset);

	spin_lock(&b->lock);
	for (;;) {
		v = READ_ONCE(*word);
		if ((v & KIPC_LOCK_OWNER_MASK) != token) {
			ret = -EPERM;
			break;
		}
		nwait = kipc_bucket_lock_waiters(b, args->offset, 2);
		/* Unlocked without kipc_lock_consistent(): unusable. */
		if (v & KIPC_LOCK_OWNER_DIED)
			new = KIPC_LOCK_NOTRECOVERABLE;
		else
			/* Free, and still contended if others sleep on. */
			new = nwait > 1 ? KIPC_LOCK_WAITERS : 0;
		if (cmpxchg(word, v, new) == v) {
			kipc_bucket_wake(b, args->offset, true,
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

/**
 * kipc_lock_consistent_ioctl() - KIPC_IOC_LOCK_CONSISTENT
 * @h: the region handle, which took the lock with -EOWNERDEAD
 * @arg: the kernel's copy of &struct kipc_ioc_lock
 *
 * Clears KIPC_LOCK_OWNER_DIED of the lock, for a caller without a
 * mapping.
 *
 * Return: 0, -EINVAL when @h does not hold the lock owner-died, or -errno.
 */
long kipc_lock_consistent_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_region *r = kipc_region(h->obj);
	u32 token = kipc_rhandle(h)->token;
	struct kipc_ioc_lock *args = arg;
	struct kipc_rbucket *b;
	unsigned int tries = 0;
	u32 *word, v;
	long ret;

	ret = kipc_region_lock_find(r, args, false);
	if (ret)
		return ret;
	word = kipc_region_word(r, args->offset);
	b = kipc_region_bucket(r, args->offset);

	spin_lock(&b->lock);
	for (;;) {
		v = READ_ONCE(*word);
		if ((v & KIPC_LOCK_OWNER_MASK) != token ||
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

/**
 * kipc_region_thread_ioctl() - KIPC_IOC_REGION_THREAD: a handle for one
 *	thread
 * @h: the caller's region handle, whose access the new one gets
 * @arg: the kernel's copy of &struct kipc_ioc_region_thread (nothing but
 *	its size and flags, checked by kipc_ioctl())
 *
 * Return: the thread handle's fd, or -errno.
 */
long kipc_region_thread_ioctl(struct kipc_handle *h, void *arg)
{
	return kipc_object_install_thread(h->obj, h->access,
					  kipc_file_nonblock(h->file));
}

/**
 * kipc_region_release_locks() - a handle is going: its locks' owner died
 * @r: the region
 * @h: the handle
 *
 * Every lock @h holds becomes owner-died.  Its token already names no
 * live handle (kipc_region_handle_del()), so a waiter woken here takes
 * the lock with -EOWNERDEAD even when a scribbler made the
 * compare-and-swap below fail every time.
 */
void kipc_region_release_locks(struct kipc_region *r, struct kipc_handle *h)
{
	u32 token = kipc_rhandle(h)->token;
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
			if ((v & KIPC_LOCK_OWNER_MASK) != token)
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

/**
 * kipc_region_lock_charge() - what one registered lock may cost
 * @size: the region's size in bytes
 *
 * A node of the locks xarray per level of a tree indexing every word of
 * the region (sparse locks each need their own nodes; dense ones share
 * them, so this is an upper bound).
 *
 * Return: bytes to charge per registered lock.
 */
u32 kipc_region_lock_charge(u64 size)
{
	unsigned int bits = fls64(size / sizeof(u32) - 1);

	return max(DIV_ROUND_UP(bits, XA_CHUNK_SHIFT), 1U) *
	       sizeof(struct xa_node);
}
