// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - events: semaphores, counters and flags.
 */

#include <linux/limits.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include <linux/kipc_netlink.h>
#include <net/netlink.h>

#include "kipc.h"

/**
 * DOC: events
 *
 * An event is a 64-bit count with one of three meanings, fixed at
 * creation:
 *
 * - KIPC_EVENT_SEMAPHORE: a post of n adds n; a wait takes 1.
 * - KIPC_EVENT_COUNTER: a post of n adds n; a wait takes the whole count
 *   and returns it (events accumulate, as in eventfd).
 * - KIPC_EVENT_FLAG: a post sets the count to 1 (posts merge); a wait
 *   takes it.
 *
 * A count that would pass U64_MAX is -EOVERFLOW and nothing changes.
 *
 * &kipc_event.lock is a spinlock, as the waitqueue lock is in eventfd:
 * nothing is allocated or copied under it.  Waiters sleep on their own
 * stack in a FIFO list and are served oldest first.  A post hands its
 * units straight to sleeping waiters (a semaphore one unit each, a
 * counter everything to the first, a flag to the first), so while anyone
 * sleeps the count is 0 and a task that arrives later cannot overtake
 * the sleepers.  The waker unlinks the waiter, stores what it got and
 * publishes the new state with a release; the waiter reads it with an
 * acquire and, when handed its units, returns without taking the lock
 * again.  Tasks are woken after the lock is dropped.
 *
 * When the owner dies the event is dead: posts get -EPIPE, sleeping
 * waiters are woken to look again, and a wait takes what is left and
 * then gets -EPIPE.
 *
 * The count and state are also read locklessly by poll and fdinfo;
 * every change that could flip a poll bit wakes &kipc_event.poll_wq
 * after it is made, through wq_has_sleeper(), whose full barrier pairs
 * with the smp_mb() poll makes after poll_wait().
 */

/* Waiter states; a waiter's owner reads them with acquire. */
#define KIPC_EW_WAITING		0
#define KIPC_EW_WOKEN		1	/* off the list: look again */
#define KIPC_EW_HANDED		2	/* off the list: @value is yours */

/**
 * struct kipc_ewaiter - a task asleep in an event wait, on its own stack
 * @node: entry in &kipc_event.waiters
 * @task: the sleeping task
 * @state: KIPC_EW_*; written by wakers with release
 * @value: what a post handed to it (KIPC_EW_HANDED)
 */
struct kipc_ewaiter {
	struct list_head node;
	struct task_struct *task;
	int state;
	u64 value;
};

/**
 * struct kipc_event - a semaphore, counter or flag
 * @obj: common object part
 * @lock: protects everything below but @poll_wq
 * @waiters: tasks asleep in wait, oldest first
 * @poll_wq: poll and epoll waiters
 * @kind: KIPC_EVENT_*
 * @state: KIPC_STATE_LIVE or KIPC_STATE_DEAD (read locklessly by poll)
 * @count: the current count (read locklessly by poll)
 * @nr_waiters: tasks on @waiters
 * @posts: successful posts
 * @waits: successful waits
 */
struct kipc_event {
	struct kipc_object obj;
	spinlock_t lock;	/* see the comment above */
	struct list_head waiters;
	wait_queue_head_t poll_wq;
	u32 kind;
	u32 state;
	u64 count;
	u32 nr_waiters;
	u64 posts;
	u64 waits;
};

static struct kipc_event *kipc_event(struct kipc_object *obj)
{
	return container_of(obj, struct kipc_event, obj);
}

static void kipc_event_poll_wake(struct kipc_event *e, __poll_t mask)
{
	if (wq_has_sleeper(&e->poll_wq))
		wake_up_interruptible_poll(&e->poll_wq, mask);
}

/* Take @w off the list and tell it @state; @w may vanish after this. */
static void kipc_event_wake_waiter(struct kipc_event *e,
				   struct kipc_ewaiter *w, int state,
				   struct kipc_wake_list *wl)
	__must_hold(&e->lock)
{
	list_del(&w->node);
	e->nr_waiters--;
	kipc_wake_add(wl, w->task);
	/* Pairs with the acquire in kipc_event_take(). */
	smp_store_release(&w->state, state);
}

/* Hand @value to the oldest sleeping waiter. */
static void kipc_event_hand(struct kipc_event *e, u64 value,
			    struct kipc_wake_list *wl)
	__must_hold(&e->lock)
{
	struct kipc_ewaiter *w;

	w = list_first_entry(&e->waiters, struct kipc_ewaiter, node);
	w->value = value;
	e->waits++;
	kipc_event_wake_waiter(e, w, KIPC_EW_HANDED, wl);
}

/*
 * Add @n to the event, handing units to sleepers first.  Returns 0,
 * -EPIPE when dead or -EOVERFLOW, changing nothing then.
 */
static int kipc_event_post_locked(struct kipc_event *e, u64 n,
				  struct kipc_wake_list *wl)
	__must_hold(&e->lock)
{
	if (e->state != KIPC_STATE_LIVE)
		return -EPIPE;

	switch (e->kind) {
	case KIPC_EVENT_SEMAPHORE:
		if (n > U64_MAX - e->count)
			return -EOVERFLOW;
		for (; n && !list_empty(&e->waiters); n--)
			kipc_event_hand(e, 1, wl);
		break;
	case KIPC_EVENT_COUNTER:
		if (n > U64_MAX - e->count)
			return -EOVERFLOW;
		if (!list_empty(&e->waiters)) {
			/* Someone sleeps, so the count is 0: n is the sum. */
			kipc_event_hand(e, n, wl);
			n = 0;
		}
		break;
	case KIPC_EVENT_FLAG:
		if (!list_empty(&e->waiters)) {
			kipc_event_hand(e, 1, wl);
			n = 0;
		} else {
			/* Posts merge: the flag is set, once. */
			n = 1 - e->count;
		}
		break;
	}
	WRITE_ONCE(e->count, e->count + n);
	e->posts++;
	return 0;
}

/* KIPC_IOC_EVENT_POST */
static long kipc_event_post_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_event *e = kipc_event(h->obj);
	struct kipc_ioc_event_post *args = arg;
	struct kipc_wake_list wl = { 0 };
	long ret;

	if (!args->value)
		return -EINVAL;

	spin_lock(&e->lock);
	ret = kipc_event_post_locked(e, args->value, &wl);
	spin_unlock(&e->lock);
	kipc_wake_all(&wl);
	if (!ret)
		kipc_event_poll_wake(e, EPOLLIN | EPOLLRDNORM);
	else if (ret == -EOVERFLOW)
		kipc_genl_notify_ratelimited(&e->obj, KIPC_NOTIFY_OVERFLOW);
	return ret;
}

/* Take what a wait gets from a non-zero count; returns it. */
static u64 kipc_event_take_locked(struct kipc_event *e)
	__must_hold(&e->lock)
{
	u64 value = e->kind == KIPC_EVENT_COUNTER ? e->count : 1;

	WRITE_ONCE(e->count, e->count - value);
	e->waits++;
	return value;
}

/*
 * Wait until the count is not 0 and take from it, or until a post hands
 * units over.  Returns 0 with *@value set, or -errno.
 */
static int kipc_event_take(struct kipc_event *e, s64 timeout_ns,
			   bool nonblock, u64 *value)
{
	bool timed_out = false;
	struct kipc_ewaiter w;
	ktime_t dl, *deadline;
	int ret;

	deadline = kipc_deadline(timeout_ns, &dl);

	spin_lock(&e->lock);
	for (;;) {
		if (e->count) {
			*value = kipc_event_take_locked(e);
			ret = 0;
			break;
		}
		if (e->state != KIPC_STATE_LIVE) {
			ret = -EPIPE;
			break;
		}
		if (nonblock) {
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

		w.task = current;
		w.state = KIPC_EW_WAITING;
		list_add_tail(&w.node, &e->waiters);
		e->nr_waiters++;
		set_current_state(TASK_INTERRUPTIBLE);
		spin_unlock(&e->lock);

		ret = kipc_sleep(deadline);
		__set_current_state(TASK_RUNNING);
		/*
		 * Pairs with the release in kipc_event_wake_waiter(): the
		 * value is ours and the waker no longer touches @w.
		 */
		if (smp_load_acquire(&w.state) == KIPC_EW_HANDED) {
			*value = w.value;
			return 0;
		}

		spin_lock(&e->lock);
		/* Under the lock only a wake before it can have changed it. */
		switch (READ_ONCE(w.state)) {
		case KIPC_EW_HANDED:
			spin_unlock(&e->lock);
			*value = w.value;
			return 0;
		case KIPC_EW_WAITING:
			list_del(&w.node);
			e->nr_waiters--;
			timed_out = ret == -ETIMEDOUT;
			break;
		}
	}
	spin_unlock(&e->lock);
	if (!ret)
		kipc_event_poll_wake(e, EPOLLOUT | EPOLLWRNORM);
	return ret;
}

/*
 * KIPC_IOC_EVENT_WAIT.  kipc_ioctl() made sure the result can be stored
 * before anything is taken, so a read-only struct does not swallow units
 * (eventfd's read would), and copies it out.
 */
static long kipc_event_wait_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_event *e = kipc_event(h->obj);
	struct kipc_ioc_event_wait *args = arg;

	return kipc_event_take(e, args->timeout_ns,
			       !args->timeout_ns || kipc_file_nonblock(h->file),
			       &args->value);
}

/* KIPC_IOC_EVENT_STAT; kipc_ioctl() copies the result out. */
static long kipc_event_stat_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_event *e = kipc_event(h->obj);
	struct kipc_ioc_event_stat *st = arg;

	spin_lock(&e->lock);
	st->count = e->count;
	st->posts = e->posts;
	st->waits = e->waits;
	st->state = e->state;
	st->waiters = e->nr_waiters;
	spin_unlock(&e->lock);
	st->kind = e->kind;
	st->owner_pid = pid_nr_ns(e->obj.owner_pid,
				  task_active_pid_ns(current));
	st->id = e->obj.id;
	st->__reserved = 0;
	return 0;
}

static const struct kipc_ioctl_op kipc_event_ioctls[] = {
	KIPC_IOCTL(EVENT_POST, event_post, value, KIPC_WRONLY, 0),
	KIPC_IOCTL_OUT(EVENT_WAIT, event_wait, value, KIPC_RDONLY, 0),
	KIPC_IOCTL_OUT(EVENT_STAT, event_stat, __reserved, 0, 0),
};

/*
 * Lockless: the count and state are read with READ_ONCE and may be stale
 * by the time poll returns, which poll's contract allows; every change
 * that could flip a bit wakes @poll_wq after it is made.
 */
static __poll_t kipc_event_poll(struct kipc_handle *h, struct file *file,
				struct poll_table_struct *wait)
{
	struct kipc_event *e = kipc_event(h->obj);
	__poll_t mask = 0;
	u32 state;
	u64 count;

	poll_wait(file, &e->poll_wq, wait);
	/*
	 * Pairs with the barrier in wq_has_sleeper() of the waker: either
	 * it sees this task on @poll_wq, or this reads its new state (the
	 * store-buffering pattern; sock_poll_wait() does the same).
	 */
	smp_mb();
	state = READ_ONCE(e->state);
	count = READ_ONCE(e->count);
	if (count && h->access & KIPC_RDONLY)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (state == KIPC_STATE_LIVE && h->access & KIPC_WRONLY &&
	    count < U64_MAX)
		mask |= EPOLLOUT | EPOLLWRNORM;
	if (state == KIPC_STATE_DEAD)
		mask |= EPOLLHUP;
	return mask;
}

/* The owner died: refuse posts, wake every sleeper to look again. */
static void kipc_event_kill(struct kipc_object *obj)
{
	struct kipc_event *e = kipc_event(obj);
	struct kipc_wake_list wl = { 0 };
	struct kipc_ewaiter *w, *tmp;

	spin_lock(&e->lock);
	WRITE_ONCE(e->state, KIPC_STATE_DEAD);
	/* Beyond the wake list's batch, kipc_wake_add() wakes at once. */
	list_for_each_entry_safe(w, tmp, &e->waiters, node)
		kipc_event_wake_waiter(e, w, KIPC_EW_WOKEN, &wl);
	spin_unlock(&e->lock);
	kipc_wake_all(&wl);
	kipc_event_poll_wake(e, EPOLLIN | EPOLLOUT | EPOLLHUP);
}

static void kipc_event_show_fdinfo(struct kipc_handle *h, struct seq_file *m)
{
	struct kipc_event *e = kipc_event(h->obj);

	seq_printf(m, "kipc-state:\t%s\n",
		   kipc_state_name(READ_ONCE(e->state)));
	seq_printf(m, "kipc-count:\t%llu\n", READ_ONCE(e->count));
}

static void kipc_event_free(struct kipc_object *obj)
{
	struct kipc_event *e = kipc_event(obj);

	WARN_ON(!list_empty(&e->waiters));
	kipc_object_release_common(obj);
	kfree(e);
}

static int kipc_event_fill_nl(struct kipc_object *obj, struct sk_buff *skb,
			      struct pid_namespace *pidns)
{
	struct kipc_event *e = kipc_event(obj);
	u64 count, posts, waits;
	u32 state, waiters;
	struct nlattr *nest;

	spin_lock(&e->lock);
	state = e->state;
	count = e->count;
	posts = e->posts;
	waits = e->waits;
	waiters = e->nr_waiters;
	spin_unlock(&e->lock);

	if (nla_put_u32(skb, KIPC_A_OBJ_STATE, state))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, KIPC_A_EVENT);
	if (!nest ||
	    nla_put_u32(skb, KIPC_A_E_KIND, e->kind) ||
	    nla_put_u64_64bit(skb, KIPC_A_E_COUNT, count, KIPC_A_E_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_E_POSTS, posts, KIPC_A_E_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_E_WAITS, waits, KIPC_A_E_PAD) ||
	    nla_put_u32(skb, KIPC_A_E_WAITERS, waiters))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static const struct kipc_object_ops kipc_event_ops = {
	.kind		= KIPC_KIND_EVENT,
	.name		= "event",
	.ioctls		= kipc_event_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kipc_event_ioctls),
	.poll		= kipc_event_poll,
	.kill		= kipc_event_kill,
	.free		= kipc_event_free,
	.show_fdinfo	= kipc_event_show_fdinfo,
	.fill_nl	= kipc_event_fill_nl,
};

static int kipc_event_check_attr(const struct kipc_ioc_event_create *a)
{
	if (a->mode & ~0777 || a->kind < KIPC_EVENT_SEMAPHORE ||
	    a->kind > KIPC_EVENT_FLAG)
		return -EINVAL;
	if (a->kind == KIPC_EVENT_FLAG && a->initial > 1)
		return -EINVAL;
	return 0;
}

/**
 * kipc_event_create_ioctl() - KIPC_IOC_EVENT_CREATE
 * @h: NULL: a context command
 * @arg: the kernel's copy of &struct kipc_ioc_event_create
 *
 * Creates a semaphore, counter or flag with its initial count.  An event
 * allocates nothing after its creation: its structure (and its name) is
 * all it charges to max_user_bytes.
 *
 * Return: the owner handle's fd, or -errno.
 */
long kipc_event_create_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_ioc_event_create *args = arg;
	struct kipc_event *e;
	long ret;

	ret = kipc_event_check_attr(args);
	if (ret)
		return ret;
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;

	spin_lock_init(&e->lock);
	INIT_LIST_HEAD(&e->waiters);
	init_waitqueue_head(&e->poll_wq);
	e->kind = args->kind;
	e->state = KIPC_STATE_LIVE;
	e->count = args->initial;

	ret = kipc_object_init(&e->obj, &kipc_event_ops, args->name, args->mode,
			       args->flags, kmalloc_size_roundup(sizeof(*e)));
	if (ret) {
		kipc_object_put(&e->obj);
		return ret;
	}
	return kipc_object_create(&e->obj);
}
