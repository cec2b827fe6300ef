// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - waiting on and waking a region's words.
 */

#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>

#include "region.h"

/**
 * DOC: word wait and wake
 *
 * The kernel reads and writes 32-bit words of the region through the
 * direct map, never through a user address, so a word's value is only
 * data: no value a process writes can make the kernel fault.
 *
 * Waiters of kipc_wait() and of contended robust locks (lock.c) sleep in
 * one of KIPC_REGION_BUCKETS lists chosen by a hash of the word's offset;
 * a bucket's spinlock orders the check of the word against a waker's
 * change of it, as the futex hash bucket lock does.  A waker takes the
 * waiter off its list under the bucket lock and wakes the task after
 * unlocking (&struct kipc_wake_list).
 */

static void kipc_rwaiter_wake(struct kipc_rwaiter *w, int state,
			      struct kipc_wake_list *wl)
{
	list_del(&w->node);
	kipc_wake_add(wl, w->task);
	/* Pairs with the acquire in kipc_region_sleep(). */
	smp_store_release(&w->state, state);
}

/**
 * kipc_bucket_wake() - wake waiters of one word
 * @b: the word's bucket, locked
 * @off: the word's offset
 * @lock: wake lock waiters, else kipc_wait() waiters
 * @count: how many at most
 * @state: KIPC_RW_WOKEN or KIPC_RW_HUP
 * @wl: where the tasks go, to be woken after unlocking
 *
 * Return: the number of waiters taken off the bucket.
 */
unsigned int kipc_bucket_wake(struct kipc_rbucket *b, u64 off, bool lock,
			      unsigned int count, int state,
			      struct kipc_wake_list *wl)
	__must_hold(&b->lock)
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

/**
 * kipc_bucket_lock_waiters() - count the lock waiters of one word
 * @b: the word's bucket, locked
 * @off: the word's offset
 * @max: stop counting here
 *
 * Return: the lock waiters of the word at @off, at most @max.
 */
unsigned int kipc_bucket_lock_waiters(struct kipc_rbucket *b, u64 off,
				      unsigned int max)
	__must_hold(&b->lock)
{
	struct kipc_rwaiter *w;
	unsigned int n = 0;

	list_for_each_entry(w, &b->waiters, node) {
		if (w->offset == off && w->lock && ++n == max)
			break;
	}
	return n;
}

/**
 * kipc_region_hup() - wake every kipc_wait() waiter and every poller
 * @r: the region, which died or was orphaned
 *
 * Lock waiters sleep on: only an unlock or an owner's death ends them.
 */
void kipc_region_hup(struct kipc_region *r)
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

/**
 * kipc_region_sleep() - sleep on a word's bucket
 * @r: the region
 * @b: the bucket, locked, after the caller checked the word
 * @w: the caller's waiter, with @w->offset and @w->lock set
 * @deadline: absolute deadline, or NULL
 *
 * Returns with @b locked and @w off the list.
 *
 * Return: 0 when woken, -EPIPE when the region died or was orphaned,
 * -ETIMEDOUT, or 1 to look again (a signal or a spurious wakeup).
 */
int kipc_region_sleep(struct kipc_region *r, struct kipc_rbucket *b,
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

/**
 * kipc_wait_ioctl() - KIPC_IOC_WAIT: sleep while a word holds a value
 * @h: the region handle (read access, checked by kipc_ioctl())
 * @arg: the kernel's copy of &struct kipc_ioc_wait
 *
 * Return: 0 when woken, -EAGAIN when the word differs (or the call may
 * not block), -ETIMEDOUT, -EPIPE, or an error from the arguments.
 */
long kipc_wait_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_region *r = kipc_region(h->obj);
	struct kipc_rwaiter w = { .lock = false };
	struct kipc_ioc_wait *args = arg;
	bool nonblock, timed_out = false;
	ktime_t dl, *deadline;
	struct kipc_rbucket *b;
	long ret;

	if (args->__reserved || kipc_region_check_off(r, args->offset))
		return -EINVAL;

	nonblock = !args->timeout_ns || kipc_file_nonblock(h->file);
	deadline = kipc_deadline(args->timeout_ns, &dl);
	w.offset = args->offset;
	b = kipc_region_bucket(r, args->offset);

	spin_lock(&b->lock);
	for (;;) {
		ret = kipc_region_alive(r);
		if (ret)
			break;
		if (READ_ONCE(*kipc_region_word(r, args->offset)) !=
		    args->expected || nonblock) {
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

/**
 * kipc_wake_ioctl() - KIPC_IOC_WAKE: wake kipc_wait() waiters of a word
 * @h: the region handle (write access, checked by kipc_ioctl())
 * @arg: the kernel's copy of &struct kipc_ioc_wake
 *
 * Return: the number of waiters woken, or -errno.
 */
long kipc_wake_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_region *r = kipc_region(h->obj);
	struct kipc_ioc_wake *args = arg;
	struct kipc_wake_list wl = { 0 };
	struct kipc_rbucket *b;
	unsigned int n;

	if (args->__reserved || kipc_region_check_off(r, args->offset))
		return -EINVAL;

	b = kipc_region_bucket(r, args->offset);
	spin_lock(&b->lock);
	n = kipc_bucket_wake(b, args->offset, false, args->count, KIPC_RW_WOKEN,
			     &wl);
	spin_unlock(&b->lock);
	kipc_wake_all(&wl);
	if (r->ring_role && wq_has_sleeper(&r->poll_wq))
		wake_up_interruptible_poll(&r->poll_wq, EPOLLIN | EPOLLOUT);
	return n;
}
