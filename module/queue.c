// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - typed message queues.
 */

#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>
#include <linux/kipc_netlink.h>
#include <net/netlink.h>

#include "kipc.h"

/**
 * DOC: queue data structures
 *
 * Messages of one (type, priority) pair sit in a FIFO list, a
 * &struct kipc_qtp.  Two indexes find the right list without ever walking
 * messages, so every selector costs the same at depth 10 as at 10,000:
 *
 * - &kipc_queue.index, an xarray keyed by ``type << 5 | (31 - prio)``.
 *   EQ t is the first entry in [t << 5, t << 5 | 31] (its highest
 *   priority); LE t is the first entry in [1 << 5, t << 5 | 31] (the
 *   smallest type ≤ t, at its highest priority).
 * - &kipc_queue.prio, one rbtree per priority of the lists that hold
 *   messages at that priority, ordered by the sequence number of their
 *   head message.  ANY is the leftmost list of the highest non-empty
 *   priority; NE t is that list, or, when it is type t, the next one (one
 *   list per type per priority, so the next one is another type).
 *
 * &kipc_queue.lock is a mutex: lists and xarray nodes are allocated
 * under it with GFP_KERNEL_ACCOUNT, while payloads are copied outside it.
 * A receiver that is asleep when a matching message arrives is handed the
 * message directly (it never enters the queue, as in mqueue's pipelined
 * send) and does not take the lock again.  A payload that cannot be
 * copied to the receiver is put back at the head of its list, so a bad
 * buffer never loses a message.
 *
 * Leased messages (lease.c) are out of the lists and the index but still
 * count against max_msgs and max_bytes; one whose lease ends without an
 * ack goes back into its list in sequence order.
 */

#define KIPC_QUEUE_MSGS_MAX	65536U
#define KIPC_QUEUE_BYTES_MAX	(4ULL << 30)
#define KIPC_QUEUE_DEF_MSGS	256U
#define KIPC_QUEUE_DEF_MSGSIZE	8192U
#define KIPC_NR_PRIO		(KIPC_PRIO_MAX + 1)
#define KIPC_SEND_CHUNK		16U
#define KIPC_SEND_CHUNK_BYTES	SZ_1M

/* Waiter states; a waiter's owner reads them with acquire. */
#define KIPC_W_WAITING		0
#define KIPC_W_WOKEN		1	/* off the list: look again */
#define KIPC_W_HANDED		2	/* off the list: @msg is yours */

/* kipc_queue_push_locked() result: full, the BLOCK policy waits. */
#define KIPC_PUSH_FULL		2

struct kipc_qtp;

/**
 * struct kipc_qmsg - one message
 * @node: entry in @tp's list while queued
 * @tp: the (type, priority) list it is queued on
 * @seq: per-queue sequence number
 * @ts: enqueue time, CLOCK_MONOTONIC ns
 * @pid: the sender's thread group
 * @uid: the sender's euid
 * @type: message type, >= 1
 * @prio: priority, 0..31
 * @len: payload length
 * @cache: the size class it came from, or KIPC_QMSG_KVMALLOC
 * @deliveries: leases of it that ended without an ack
 * @data: payload
 */
struct kipc_qmsg {
	struct list_head node;
	struct kipc_qtp *tp;
	u64 seq;
	u64 ts;
	struct pid *pid;
	kuid_t uid;
	u32 type;
	u32 prio;
	u32 len;
	u32 cache;
	u32 deliveries;
	u8 data[] __aligned(8);
};

/**
 * struct kipc_qtp - the FIFO of one (type, priority) pair
 * @node: entry in &kipc_queue.prio[@prio], keyed by @head_seq
 * @msgs: the messages, oldest first
 * @head_seq: sequence number of the first message
 * @type: the type
 * @prio: the priority
 */
struct kipc_qtp {
	struct rb_node node;
	struct list_head msgs;
	u64 head_seq;
	u32 type;
	u32 prio;
};

/**
 * struct kipc_qwaiter - a task asleep on a queue, on its own stack
 * @node: entry in &kipc_queue.recv_waiters or &kipc_queue.send_waiters
 * @task: the sleeping task
 * @state: KIPC_W_*; written by wakers with release
 * @sel_mode: receiver: KIPC_SEL_*
 * @sel_type: receiver: the selector's type
 * @cap: receiver: capacity of its first buffer
 * @msg: receiver: the message handed to it
 * @lease: leased receiver: a record for a message handed to it
 * @owner: leased receiver: the thread handle
 * @via: leased receiver: the handle of the call
 * @type: sender: type of the message it wants to queue
 * @len: sender: its length
 */
struct kipc_qwaiter {
	struct list_head node;
	struct task_struct *task;
	int state;
	u32 sel_mode;
	u32 sel_type;
	u64 cap;
	struct kipc_qmsg *msg;
	struct kipc_lease *lease;
	struct kipc_handle *owner;
	struct kipc_handle *via;
	u32 type;
	u32 len;
};

/**
 * struct kipc_queue - a typed message queue
 * @obj: common object part
 * @lock: protects everything below but the atomics and @poll_wq
 * @index: (type, priority) lists by ``type << 5 | (31 - prio)``
 * @prio: per priority, the non-empty lists by head sequence number
 * @prio_mask: bit p set when priority p has messages
 * @prio_msgs: messages queued per priority
 * @prio_bytes: bytes queued per priority
 * @spare_tp: one free list head kept for the next new pair
 * @empty_tp: the list that drained last, left in @index (in no priority
 *	tree) so that refilling it is an xa_load(), not an xa_store()
 * @recv_waiters: receivers asleep, FIFO
 * @send_waiters: senders asleep waiting for room, FIFO
 * @poll_wq: poll and epoll waiters
 * @state: KIPC_STATE_*
 * @depth_msgs: messages queued (read locklessly by poll)
 * @depth_bytes: bytes queued (read locklessly by poll)
 * @next_seq: sequence number of the next accepted message
 * @max_msgs: capacity in messages
 * @max_msg_size: largest payload
 * @max_bytes: capacity in bytes
 * @policy: KIPC_POLICY_*
 * @qflags: KIPC_Q_*
 * @nr_blocked_senders: senders asleep now
 * @nr_blocked_receivers: receivers asleep now
 * @high_water: largest @depth_msgs seen
 * @sent: see &struct kipc_ioc_queue_stat
 * @received: messages received
 * @dropped_new: new messages discarded by the policy
 * @dropped_oldest: queued messages evicted by DROP_OLDEST
 * @conflated: queued messages replaced by CONFLATE
 * @rejected: refused by KIPC_POLICY_FAIL
 * @timeouts: sends and receives that timed out
 * @wakeups: tasks woken
 * @leases: leased messages (lease.c)
 */
struct kipc_queue {
	struct kipc_object obj;
	struct mutex lock;	/* see the comment above */
	struct xarray index;
	struct rb_root_cached prio[KIPC_NR_PRIO];
	u32 prio_mask;
	u32 prio_msgs[KIPC_NR_PRIO];
	u64 prio_bytes[KIPC_NR_PRIO];
	struct kipc_qtp *spare_tp;
	struct kipc_qtp *empty_tp;
	struct list_head recv_waiters;
	struct list_head send_waiters;
	wait_queue_head_t poll_wq;
	u32 state;
	u32 depth_msgs;
	u64 depth_bytes;
	u64 next_seq;
	u32 max_msgs;
	u32 max_msg_size;
	u64 max_bytes;
	u32 policy;
	u32 qflags;
	u32 nr_blocked_senders;
	u32 nr_blocked_receivers;
	u64 high_water;
	u64 sent;
	u64 received;
	u64 dropped_new;
	u64 dropped_oldest;
	u64 conflated;
	u64 rejected;
	u64 timeouts;
	u64 wakeups;
	struct kipc_leases leases;
};

/*
 * Payloads get caches of their own (user-sized data does not share the
 * kmalloc caches other kernel objects use); larger ones use kvmalloc.
 */
static const unsigned int kipc_qmsg_sizes[] = { 256, 1024, 4096 };
#define KIPC_QMSG_NR_CACHES	ARRAY_SIZE(kipc_qmsg_sizes)
#define KIPC_QMSG_KVMALLOC	KIPC_QMSG_NR_CACHES
static struct kmem_cache *kipc_qmsg_caches[KIPC_QMSG_NR_CACHES];
static struct kmem_cache *kipc_qtp_cache;

static const struct kipc_object_ops kipc_queue_ops;

static struct kipc_queue *kipc_queue(struct kipc_object *obj)
{
	return container_of(obj, struct kipc_queue, obj);
}

static struct kipc_qmsg *kipc_qmsg_alloc(u32 len)
{
	size_t size = struct_size_t(struct kipc_qmsg, data, len);
	struct kipc_qmsg *msg;
	unsigned int i;

	for (i = 0; i < KIPC_QMSG_NR_CACHES; i++) {
		if (size <= kipc_qmsg_sizes[i]) {
			msg = kmem_cache_alloc(kipc_qmsg_caches[i],
					       GFP_KERNEL_ACCOUNT);
			goto out;
		}
	}
	msg = kvmalloc(size, GFP_KERNEL_ACCOUNT);
out:
	if (msg) {
		msg->cache = i;
		msg->len = len;
		msg->pid = NULL;
		msg->deliveries = 0;
	}
	return msg;
}

static void kipc_qmsg_free(struct kipc_qmsg *msg)
{
	put_pid(msg->pid);
	if (msg->cache == KIPC_QMSG_KVMALLOC)
		kvfree(msg);
	else
		kmem_cache_free(kipc_qmsg_caches[msg->cache], msg);
}

static void kipc_qmsg_free_list(struct list_head *list)
{
	struct kipc_qmsg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, list, node)
		kipc_qmsg_free(msg);
}

static unsigned long kipc_qidx(u32 type, u32 prio)
{
	return (unsigned long)type << 5 | (KIPC_PRIO_MAX - prio);
}

/* --- the index ----------------------------------------------------- */

static void kipc_qtp_tree_insert(struct kipc_queue *q, struct kipc_qtp *tp)
{
	struct rb_node **link = &q->prio[tp->prio].rb_root.rb_node;
	struct rb_node *parent = NULL;
	bool leftmost = true;

	while (*link) {
		parent = *link;
		if (tp->head_seq < rb_entry(parent, struct kipc_qtp,
					    node)->head_seq) {
			link = &parent->rb_left;
		} else {
			link = &parent->rb_right;
			leftmost = false;
		}
	}
	rb_link_node(&tp->node, parent, link);
	rb_insert_color_cached(&tp->node, &q->prio[tp->prio], leftmost);
}

/*
 * A reserved entry at an index no list uses (type 0) that is never
 * released: it keeps the index's first node, so a queue that drains to
 * empty and refills (every ping-pong message) does not free that node
 * (by RCU) and allocate it again on every send.  Loads and finds skip
 * reserved entries; xa_destroy() frees the node.
 */
#define KIPC_QIDX_PIN		1UL

/* Find or create the list of (type, prio); NULL when out of memory. */
static struct kipc_qtp *kipc_qtp_get(struct kipc_queue *q, u32 type,
				     u32 prio, gfp_t gfp)
{
	unsigned long idx = kipc_qidx(type, prio);
	struct kipc_qtp *tp;

	tp = xa_load(&q->index, idx);
	if (tp) {
		if (tp == q->empty_tp)
			q->empty_tp = NULL;
		return tp;
	}
	if (xa_empty(&q->index) && xa_reserve(&q->index, KIPC_QIDX_PIN, gfp))
		return NULL;
	tp = q->spare_tp;
	q->spare_tp = NULL;
	if (!tp)
		tp = kmem_cache_alloc(kipc_qtp_cache, gfp);
	if (!tp)
		return NULL;
	if (xa_err(xa_store(&q->index, idx, tp, gfp))) {
		q->spare_tp = tp;
		return NULL;
	}
	INIT_LIST_HEAD(&tp->msgs);
	RB_CLEAR_NODE(&tp->node);
	tp->type = type;
	tp->prio = prio;
	return tp;
}

static void kipc_qtp_put(struct kipc_queue *q, struct kipc_qtp *tp)
{
	xa_erase(&q->index, kipc_qidx(tp->type, tp->prio));
	if (!q->spare_tp)
		q->spare_tp = tp;
	else
		kmem_cache_free(kipc_qtp_cache, tp);
}

static void kipc_qtp_reposition(struct kipc_queue *q, struct kipc_qtp *tp)
{
	struct kipc_qmsg *head = list_first_entry(&tp->msgs,
						  struct kipc_qmsg, node);

	if (!RB_EMPTY_NODE(&tp->node)) {
		if (tp->head_seq == head->seq)
			return;
		rb_erase_cached(&tp->node, &q->prio[tp->prio]);
	}
	tp->head_seq = head->seq;
	kipc_qtp_tree_insert(q, tp);
	q->prio_mask |= BIT(tp->prio);
}

static void kipc_queue_account(struct kipc_queue *q, u32 prio, s64 len,
			       int n)
{
	q->prio_msgs[prio] += n;
	q->prio_bytes[prio] += len;
	WRITE_ONCE(q->depth_msgs, q->depth_msgs + n);
	WRITE_ONCE(q->depth_bytes, q->depth_bytes + len);
	if (q->depth_msgs > q->high_water)
		q->high_water = q->depth_msgs;
}

/* Queue @msg at the tail (@head false) or head of its list. */
static int kipc_queue_insert(struct kipc_queue *q, struct kipc_qmsg *msg,
			     bool head, gfp_t gfp)
{
	struct kipc_qtp *tp = kipc_qtp_get(q, msg->type, msg->prio, gfp);

	if (!tp)
		return -ENOMEM;
	if (head)
		list_add(&msg->node, &tp->msgs);
	else
		list_add_tail(&msg->node, &tp->msgs);
	msg->tp = tp;
	kipc_qtp_reposition(q, tp);
	kipc_queue_account(q, msg->prio, msg->len, 1);
	return 0;
}

/*
 * Queue @msg in its place by sequence number: a message that comes back
 * (a lease that ended, a receive that failed) is older than most of its
 * list, so the walk from the head is short.  Must not fail.
 */
static void kipc_queue_insert_sorted(struct kipc_queue *q,
				     struct kipc_qmsg *msg)
{
	struct kipc_qtp *tp;
	struct kipc_qmsg *pos;

	tp = kipc_qtp_get(q, msg->type, msg->prio,
			  GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	list_for_each_entry(pos, &tp->msgs, node)
		if (pos->seq > msg->seq)
			break;
	list_add_tail(&msg->node, &pos->node);
	msg->tp = tp;
	kipc_qtp_reposition(q, tp);
	kipc_queue_account(q, msg->prio, msg->len, 1);
}

static void kipc_queue_remove(struct kipc_queue *q, struct kipc_qmsg *msg)
{
	struct kipc_qtp *tp = msg->tp;

	list_del(&msg->node);
	kipc_queue_account(q, tp->prio, -(s64)msg->len, -1);
	if (!list_empty(&tp->msgs)) {
		kipc_qtp_reposition(q, tp);
		return;
	}
	rb_erase_cached(&tp->node, &q->prio[tp->prio]);
	RB_CLEAR_NODE(&tp->node);
	if (RB_EMPTY_ROOT(&q->prio[tp->prio].rb_root))
		q->prio_mask &= ~BIT(tp->prio);
	/*
	 * Keep the drained list in the index, where the next message of
	 * its (type, priority) finds it (a ping-pong queue drains on every
	 * message); only one, so the index stays bounded by max_msgs.
	 */
	if (q->empty_tp)
		kipc_qtp_put(q, q->empty_tp);
	q->empty_tp = tp;
}

/* The first non-empty list in [@idx, @max] of the index, or NULL. */
static struct kipc_qtp *kipc_qtp_find(struct kipc_queue *q,
				      unsigned long idx, unsigned long max)
{
	struct kipc_qtp *tp = xa_find(&q->index, &idx, max, XA_PRESENT);

	/* The one empty list the index holds is @q->empty_tp. */
	if (tp && tp == q->empty_tp)
		tp = xa_find_after(&q->index, &idx, max, XA_PRESENT);
	return tp;
}

static struct kipc_qtp *kipc_prio_first(struct kipc_queue *q, u32 prio)
{
	struct rb_node *node = rb_first_cached(&q->prio[prio]);

	return rb_entry(node, struct kipc_qtp, node);
}

static bool kipc_sel_match(u32 mode, u32 sel, u32 type)
{
	switch (mode) {
	case KIPC_SEL_EQ:
		return type == sel;
	case KIPC_SEL_LE:
		return type <= sel;
	case KIPC_SEL_NE:
		return type != sel;
	}
	return true;
}

/* The next message a receiver with this selector gets, or NULL. */
static struct kipc_qmsg *kipc_queue_find(struct kipc_queue *q, u32 mode,
					 u32 type)
{
	struct kipc_qtp *tp = NULL;
	struct rb_node *next;
	u32 mask, prio;

	switch (mode) {
	case KIPC_SEL_ANY:
		if (q->prio_mask)
			tp = kipc_prio_first(q, fls(q->prio_mask) - 1);
		break;
	case KIPC_SEL_EQ:
		tp = kipc_qtp_find(q, kipc_qidx(type, KIPC_PRIO_MAX),
				   kipc_qidx(type, 0));
		break;
	case KIPC_SEL_LE:
		tp = kipc_qtp_find(q, kipc_qidx(1, KIPC_PRIO_MAX),
				   kipc_qidx(type, 0));
		break;
	case KIPC_SEL_NE:
		for (mask = q->prio_mask; mask; mask &= ~BIT(prio)) {
			prio = fls(mask) - 1;
			tp = kipc_prio_first(q, prio);
			if (tp->type != type)
				break;
			next = rb_next(&tp->node);
			tp = next ? rb_entry(next, struct kipc_qtp, node) : NULL;
			if (tp)
				break;
		}
		break;
	}
	return tp ? list_first_entry(&tp->msgs, struct kipc_qmsg, node) : NULL;
}

/* --- waking -------------------------------------------------------- */

static void kipc_waiter_wake(struct kipc_queue *q, struct kipc_qwaiter *w,
			     int state, struct kipc_wake_list *wl)
{
	list_del(&w->node);
	kipc_wake_add(wl, w->task);
	q->wakeups++;
	/* Pairs with the acquire in the waiter; @w may vanish after this. */
	smp_store_release(&w->state, state);
}

static bool kipc_queue_fits(struct kipc_queue *q, u32 nmsgs, u64 bytes)
{
	return q->depth_msgs + q->leases.nr + nmsgs <= q->max_msgs &&
	       q->depth_bytes + q->leases.bytes + bytes <= q->max_bytes;
}

/*
 * Room was made: wake blocked senders, oldest first, while what they
 * want to queue fits.  A sender that does not fit stops the walk, so a
 * large message is not starved by a stream of small ones.
 */
static void kipc_queue_wake_senders(struct kipc_queue *q,
				    struct kipc_wake_list *wl)
{
	struct kipc_qwaiter *w, *tmp;
	u32 msgs = 0;
	u64 bytes = 0;

	list_for_each_entry_safe(w, tmp, &q->send_waiters, node) {
		if (!kipc_queue_fits(q, msgs + 1, bytes + w->len))
			break;
		msgs++;
		bytes += w->len;
		q->nr_blocked_senders--;
		kipc_waiter_wake(q, w, KIPC_W_WOKEN, wl);
	}
}

/* Wake the first receiver whose selector matches a message of @type. */
static void kipc_queue_wake_receiver(struct kipc_queue *q, u32 type,
				     struct kipc_wake_list *wl)
{
	struct kipc_qwaiter *w;

	list_for_each_entry(w, &q->recv_waiters, node) {
		if (kipc_sel_match(w->sel_mode, w->sel_type, type)) {
			q->nr_blocked_receivers--;
			kipc_waiter_wake(q, w, KIPC_W_WOKEN, wl);
			return;
		}
	}
}

static void kipc_queue_wake_everyone(struct kipc_queue *q,
				     struct kipc_wake_list *wl)
{
	struct kipc_qwaiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, &q->send_waiters, node) {
		q->nr_blocked_senders--;
		kipc_waiter_wake(q, w, KIPC_W_WOKEN, wl);
	}
	list_for_each_entry_safe(w, tmp, &q->recv_waiters, node) {
		q->nr_blocked_receivers--;
		kipc_waiter_wake(q, w, KIPC_W_WOKEN, wl);
	}
}

static void kipc_queue_poll_wake(struct kipc_queue *q, __poll_t mask)
{
	if (wq_has_sleeper(&q->poll_wq))
		wake_up_interruptible_poll(&q->poll_wq, mask);
}

/*
 * Sleep on @list until a waker changes @w->state, the deadline or a
 * signal.  Called with the lock held; returns with it held unless the
 * message was handed over (KIPC_W_HANDED), which needs no lock.
 */
static int kipc_queue_wait(struct kipc_queue *q, struct kipc_qwaiter *w,
			   struct list_head *list, ktime_t *deadline,
			   struct kipc_wake_list *wl)
	__must_hold(&q->lock)
{
	int ret;

	w->task = current;
	w->state = KIPC_W_WAITING;
	list_add_tail(&w->node, list);
	set_current_state(TASK_INTERRUPTIBLE);
	mutex_unlock(&q->lock);
	kipc_wake_all(wl);

	ret = kipc_sleep(deadline);
	__set_current_state(TASK_RUNNING);
	/*
	 * Pairs with the release in kipc_waiter_wake(): a handed message is
	 * ours, fully written, and the waker no longer touches @w.
	 */
	if (smp_load_acquire(&w->state) == KIPC_W_HANDED)
		return KIPC_W_HANDED;

	mutex_lock(&q->lock);
	/* Under the lock only a wake before it can have changed the state. */
	switch (READ_ONCE(w->state)) {
	case KIPC_W_HANDED:
		mutex_unlock(&q->lock);
		return KIPC_W_HANDED;
	case KIPC_W_WAITING:
		list_del(&w->node);
		if (list == &q->send_waiters)
			q->nr_blocked_senders--;
		else
			q->nr_blocked_receivers--;
		return ret;
	}
	return 0;
}

/* --- sending ------------------------------------------------------- */

/* Give @msg the next sequence number; kipc_qmsg_commit() consumes it. */
static void kipc_qmsg_stamp(struct kipc_queue *q, struct kipc_qmsg *msg)
{
	msg->seq = q->next_seq;
	msg->ts = ktime_get_ns();
}

static void kipc_qmsg_commit(struct kipc_queue *q)
{
	q->next_seq++;
	q->sent++;
}

/*
 * Hand @msg to a receiver asleep with a matching selector, if any.  The
 * release store in kipc_waiter_wake() gives @msg away: a receiver already
 * awake (timeout, signal) takes the lockless path at once and frees it,
 * so everything the sender reports about @msg (*@seq) is recorded before,
 * and @msg is not touched after.
 */
static bool kipc_queue_handoff(struct kipc_queue *q, struct kipc_qmsg *msg,
			       u64 *seq, struct kipc_wake_list *wl)
{
	struct kipc_qwaiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, &q->recv_waiters, node) {
		if (!kipc_sel_match(w->sel_mode, w->sel_type, msg->type))
			continue;
		/* A leased message stays charged: it needs room. */
		if (w->lease && !kipc_queue_fits(q, 1, msg->len))
			continue;
		q->nr_blocked_receivers--;
		if (msg->len > w->cap) {
			/* It will find the message queued: -EMSGSIZE. */
			kipc_waiter_wake(q, w, KIPC_W_WOKEN, wl);
			continue;
		}
		kipc_qmsg_stamp(q, msg);
		kipc_qmsg_commit(q);
		if (w->lease) {
			kipc_lease_add(&q->leases, w->lease, msg, msg->seq,
				       msg->len, w->owner, w->via);
			w->lease = NULL;
		} else {
			q->received++;
		}
		*seq = msg->seq;
		w->msg = msg;
		kipc_waiter_wake(q, w, KIPC_W_HANDED, wl);
		/* @msg may be freed already. */
		return true;
	}
	return false;
}

/*
 * DROP_OLDEST: can evicting the queued messages of priorities up to
 * @msg's make room for it?  Nothing is evicted here: that waits until
 * @msg is queued (kipc_queue_evict()), so a failed insert loses nothing.
 */
static bool kipc_queue_can_evict(struct kipc_queue *q,
				 const struct kipc_qmsg *msg)
{
	u32 msgs = 0, prio;
	u64 bytes = 0;

	for (prio = 0; prio <= msg->prio; prio++) {
		msgs += q->prio_msgs[prio];
		bytes += q->prio_bytes[prio];
	}
	/* Leased messages are never evicted, but they take room. */
	return q->depth_msgs + q->leases.nr - msgs + 1 <= q->max_msgs &&
	       q->depth_bytes + q->leases.bytes - bytes + msg->len <=
	       q->max_bytes;
}

/*
 * DROP_OLDEST, once the new message is queued: evict the oldest messages
 * of the lowest priorities until the queue is within its capacity again.
 * kipc_queue_can_evict() said that happens before the walk reaches the
 * new message, the youngest of its priority.
 */
static void kipc_queue_evict(struct kipc_queue *q, struct list_head *freed)
{
	struct kipc_qmsg *old;
	struct kipc_qtp *tp;

	while (!kipc_queue_fits(q, 0, 0)) {
		tp = kipc_prio_first(q, ffs(q->prio_mask) - 1);
		old = list_first_entry(&tp->msgs, struct kipc_qmsg, node);
		kipc_queue_remove(q, old);
		list_add_tail(&old->node, freed);
		q->dropped_oldest++;
	}
}

/*
 * CONFLATE: the queued message of @msg's type that @msg replaces (it fits
 * in its place), or NULL.  It is removed once @msg is queued.
 */
static struct kipc_qmsg *kipc_queue_conflatable(struct kipc_queue *q,
						const struct kipc_qmsg *msg)
{
	struct kipc_qmsg *old = kipc_queue_find(q, KIPC_SEL_EQ, msg->type);

	if (!old || q->depth_bytes + q->leases.bytes - old->len + msg->len >
		    q->max_bytes)
		return NULL;
	return old;
}

/*
 * Apply the queue's rules to one message.  Returns 0 when queued or
 * handed over, KIPC_DROPPED when discarded, KIPC_PUSH_FULL when a BLOCK
 * queue is full, or -EAGAIN, -EPIPE, -ENOMEM; *@seq is @msg's sequence
 * number when accepted (@msg itself may be gone by then).  Discarded and
 * replaced messages go to @freed.
 *
 * The insert is the only step that can fail (it may allocate a list and
 * an xarray node), so it comes first: a message CONFLATE replaces or
 * DROP_OLDEST evicts is taken out only once the new one is queued, and
 * -ENOMEM leaves the queue as it was.  Meanwhile the queue holds one
 * message over its capacity, under the lock where nobody sees it; the
 * high-water mark does not count it.
 */
static int kipc_queue_push_locked(struct kipc_queue *q, struct kipc_qmsg *msg,
				  u64 *seq, struct list_head *freed,
				  struct kipc_wake_list *wl)
{
	struct kipc_qmsg *old = NULL;
	bool evict = false;
	u64 high_water;

	if (q->state != KIPC_STATE_LIVE)
		return -EPIPE;
	if (kipc_queue_handoff(q, msg, seq, wl))
		return 0;
	if (q->qflags & KIPC_Q_CONFLATE)
		old = kipc_queue_conflatable(q, msg);
	if (!old && !kipc_queue_fits(q, 1, msg->len)) {
		switch (q->policy) {
		case KIPC_POLICY_FAIL:
			q->rejected++;
			return -EAGAIN;
		case KIPC_POLICY_BLOCK:
			return KIPC_PUSH_FULL;
		case KIPC_POLICY_DROP_OLDEST:
			evict = kipc_queue_can_evict(q, msg);
			if (evict)
				break;
			fallthrough;
		case KIPC_POLICY_DROP_NEW:
			kipc_qmsg_stamp(q, msg);
			kipc_qmsg_commit(q);
			q->dropped_new++;
			*seq = msg->seq;
			list_add_tail(&msg->node, freed);
			return KIPC_DROPPED;
		}
	}
	high_water = q->high_water;
	kipc_qmsg_stamp(q, msg);
	if (kipc_queue_insert(q, msg, false, GFP_KERNEL_ACCOUNT))
		return -ENOMEM;
	kipc_qmsg_commit(q);
	*seq = msg->seq;
	if (old) {
		kipc_queue_remove(q, old);
		list_add_tail(&old->node, freed);
		q->conflated++;
	}
	if (evict)
		kipc_queue_evict(q, freed);
	q->high_water = max_t(u64, high_water, q->depth_msgs);
	return 0;
}

/* Allocate and fill messages for descriptors [0, n); returns how many. */
static int kipc_queue_load(struct kipc_qmsg **msgs,
			   const struct kipc_msgdesc *d, unsigned int n,
			   int *err)
{
	struct pid *pid = task_tgid(current);
	kuid_t uid = current_euid();
	u64 bytes = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (i && bytes + d[i].len > KIPC_SEND_CHUNK_BYTES)
			break;
		msgs[i] = kipc_qmsg_alloc(d[i].len);
		if (!msgs[i]) {
			*err = -ENOMEM;
			break;
		}
		if (copy_from_user(msgs[i]->data, u64_to_user_ptr(d[i].data),
				   d[i].len)) {
			kipc_qmsg_free(msgs[i]);
			*err = -EFAULT;
			break;
		}
		msgs[i]->type = d[i].type;
		msgs[i]->prio = d[i].prio;
		msgs[i]->uid = uid;
		msgs[i]->pid = get_pid(pid);
		bytes += d[i].len;
	}
	return i;
}

/*
 * Queue @n loaded messages, sleeping while a BLOCK queue is full.
 * Returns how many were accepted; *err says why it stopped early.
 */
static unsigned int kipc_queue_push(struct kipc_queue *q,
				    struct kipc_qmsg **msgs,
				    struct kipc_msgdesc *d, unsigned int n,
				    bool nonblock, ktime_t *deadline, int *err,
				    struct kipc_wake_list *wl)
{
	bool slept = false, timed_out = false;
	u64 drops, rejected, seq;
	struct kipc_qwaiter w;
	unsigned int i = 0;
	LIST_HEAD(freed);
	int ret = 0;

	mutex_lock(&q->lock);
	drops = q->dropped_new + q->dropped_oldest;
	rejected = q->rejected;
	while (i < n) {
		ret = kipc_queue_push_locked(q, msgs[i], &seq, &freed, wl);
		if (ret == 0 || ret == KIPC_DROPPED) {
			/* A handed msgs[i] may be freed: use only @seq. */
			d[i].flags = ret == KIPC_DROPPED ? KIPC_MSG_DROPPED : 0;
			d[i].seq = seq;
			msgs[i++] = NULL;
			ret = 0;
			continue;
		}
		if (ret != KIPC_PUSH_FULL)
			break;
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		if (timed_out) {
			q->timeouts++;
			ret = -ETIMEDOUT;
			break;
		}
		if (signal_pending(current)) {
			ret = kipc_interrupted(deadline);
			break;
		}
		w.type = msgs[i]->type;
		w.len = msgs[i]->len;
		q->nr_blocked_senders++;
		timed_out = kipc_queue_wait(q, &w, &q->send_waiters, deadline,
					    wl) == -ETIMEDOUT;
		slept = true;
	}
	/* A sender woken for room it will not use passes the wake on. */
	if (i < n && slept)
		kipc_queue_wake_senders(q, wl);
	drops = q->dropped_new + q->dropped_oldest - drops;
	rejected = q->rejected - rejected;
	mutex_unlock(&q->lock);
	kipc_qmsg_free_list(&freed);
	if (drops)
		kipc_genl_notify_ratelimited(&q->obj, KIPC_NOTIFY_DROP);
	if (rejected)
		kipc_genl_notify_ratelimited(&q->obj, KIPC_NOTIFY_OVERFLOW);
	*err = ret;
	return i;
}

static int kipc_queue_check_desc(struct kipc_queue *q,
				 const struct kipc_msgdesc *d)
{
	if (!d->type || d->prio > KIPC_PRIO_MAX || d->flags || d->__reserved)
		return -EINVAL;
	if (d->len > q->max_msg_size)
		return -EMSGSIZE;
	return 0;
}

/* KIPC_IOC_SEND */
static long kipc_send_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_queue *q = kipc_queue(h->obj);
	struct kipc_ioc_send *args = arg;
	struct kipc_qmsg *msgs[KIPC_SEND_CHUNK];
	struct kipc_wake_list wl = { 0 };
	struct kipc_msgdesc one, *d = &one, __user *ud;
	unsigned int i, done = 0, loaded, pushed;
	ktime_t dl, *deadline;
	int err = 0, why;
	bool nonblock;
	long ret;

	if (args->__reserved || !args->count || args->count > KIPC_BATCH_MAX)
		return -EINVAL;

	ud = u64_to_user_ptr(args->msgs);
	if (args->count == 1) {
		if (copy_from_user(&one, ud, sizeof(one)))
			return -EFAULT;
	} else {
		d = memdup_user(ud, array_size(args->count, sizeof(*d)));
		if (IS_ERR(d))
			return PTR_ERR(d);
	}
	for (i = 0; i < args->count; i++) {
		ret = kipc_queue_check_desc(q, &d[i]);
		if (ret)
			goto out;
	}

	nonblock = !args->timeout_ns || kipc_file_nonblock(h->file);
	deadline = kipc_deadline(args->timeout_ns, &dl);
	/*
	 * Receivers are woken after each chunk, once the lock is dropped:
	 * one handed a message of this chunk must not stay asleep while the
	 * next chunk is loaded (copy_from_user may fault and take long).
	 */
	while (done < args->count && !err) {
		loaded = kipc_queue_load(msgs, d + done,
					 min(args->count - done,
					     KIPC_SEND_CHUNK), &err);
		pushed = kipc_queue_push(q, msgs, d + done, loaded, nonblock,
					 deadline, &why, &wl);
		for (i = pushed; i < loaded; i++)
			kipc_qmsg_free(msgs[i]);
		if (pushed < loaded)
			err = why;
		kipc_wake_all(&wl);
		if (pushed)
			kipc_queue_poll_wake(q, EPOLLIN | EPOLLRDNORM);
		/*
		 * Report flags and sequence numbers of what was accepted, in
		 * one copy.  Those messages stay accepted (and counted) if
		 * the caller cannot see that, but the batch stops there.
		 */
		if (pushed && copy_to_user(ud + done, d + done,
					   array_size(pushed, sizeof(*d))))
			err = -EFAULT;
		done += pushed;
	}
	ret = done ? done : err;
out:
	if (d != &one)
		kfree(d);
	return ret;
}

/* --- receiving ----------------------------------------------------- */

/**
 * struct kipc_qlctx - a leased receive's owner
 * @owner: the calling thread's thread handle
 * @via: the handle of the call
 * @spare: a lease record not used yet
 */
struct kipc_qlctx {
	struct kipc_handle *owner;
	struct kipc_handle *via;
	struct kipc_lease *spare;
};

/* Put messages the receiver could not take back in their places. */
static void kipc_queue_unreceive(struct kipc_queue *q, struct kipc_qmsg **msgs,
				 unsigned int n)
{
	struct kipc_wake_list wl = { 0 };
	unsigned int i;

	mutex_lock(&q->lock);
	for (i = n; i-- > 0;) {
		/* Never lose an accepted message: this must not fail. */
		kipc_queue_insert_sorted(q, msgs[i]);
		q->received--;
		kipc_queue_wake_receiver(q, msgs[i]->type, &wl);
	}
	mutex_unlock(&q->lock);
	kipc_wake_all(&wl);
	kipc_queue_poll_wake(q, EPOLLIN | EPOLLRDNORM);
}

/* Take up to @n ready messages matching the selector; never sleeps. */
static unsigned int kipc_queue_take(struct kipc_queue *q,
				    struct kipc_ioc_recv *args,
				    struct kipc_msgdesc *d,
				    struct kipc_qmsg **msgs, unsigned int i,
				    unsigned int n, struct kipc_qlctx *lc,
				    int *err)
	__must_hold(&q->lock)
{
	struct kipc_lease *l;
	struct kipc_qmsg *msg;

	for (; i < n; i++) {
		msg = kipc_queue_find(q, args->sel_mode, args->sel_type);
		if (!msg)
			break;
		if (msg->len > d[i].len) {
			if (!i) {
				d[0].len = msg->len;
				*err = -EMSGSIZE;
			}
			break;
		}
		if (lc) {
			l = lc->spare ? lc->spare : kipc_lease_alloc();
			lc->spare = NULL;
			if (!l) {
				if (!i)
					*err = -ENOMEM;
				break;
			}
			kipc_queue_remove(q, msg);
			kipc_lease_add(&q->leases, l, msg, msg->seq, msg->len,
				       lc->owner, lc->via);
		} else {
			kipc_queue_remove(q, msg);
			q->received++;
		}
		msgs[i] = msg;
	}
	return i;
}

/* Copy @msg's payload out and describe it in @d, for userspace. */
static int kipc_qmsg_deliver(struct kipc_qmsg *msg, struct kipc_msgdesc *d)
{
	if (copy_to_user(u64_to_user_ptr(d->data), msg->data, msg->len))
		return -EFAULT;
	d->type = msg->type;
	d->prio = msg->prio;
	d->len = msg->len;
	d->flags = msg->deliveries ? KIPC_MSG_REDELIVERED : 0;
	d->pid = pid_nr_ns(msg->pid, task_active_pid_ns(current));
	d->uid = from_kuid_munged(current_user_ns(), msg->uid);
	d->deliveries = msg->deliveries + (msg->deliveries < U32_MAX);
	d->seq = msg->seq;
	d->ts_ns = msg->ts;
	return 0;
}

static int kipc_queue_check_recv(const struct kipc_ioc_recv *args)
{
	if (args->__reserved || !args->count ||
	    args->count > KIPC_BATCH_MAX || args->sel_mode > KIPC_SEL_NE)
		return -EINVAL;
	if (args->sel_mode == KIPC_SEL_ANY ? args->sel_type : !args->sel_type)
		return -EINVAL;
	return 0;
}

/*
 * About to sleep: a sender asleep on a full queue with a message this
 * receiver wants is woken to hand it over, so a full queue of other types
 * never starves a selective receiver.
 */
static void kipc_queue_wake_sender_for(struct kipc_queue *q,
				       const struct kipc_qwaiter *r,
				       struct kipc_wake_list *wl)
{
	struct kipc_qwaiter *w;

	list_for_each_entry(w, &q->send_waiters, node) {
		if (kipc_sel_match(r->sel_mode, r->sel_type, w->type) &&
		    w->len <= r->cap) {
			q->nr_blocked_senders--;
			kipc_waiter_wake(q, w, KIPC_W_WOKEN, wl);
			return;
		}
	}
}

/*
 * Wait for at least one matching message and take what is ready.  Returns
 * how many messages are in @msgs; *err says why there are none.
 */
static unsigned int kipc_queue_pull(struct kipc_queue *q,
				    struct kipc_ioc_recv *args,
				    struct kipc_msgdesc *d,
				    struct kipc_qmsg **msgs, bool nonblock,
				    struct kipc_qlctx *lc, int *err)
{
	struct kipc_wake_list wl = { 0 };
	__poll_t key = EPOLLOUT | EPOLLWRNORM;
	bool timed_out = false;
	struct kipc_qwaiter w;
	ktime_t dl, *deadline;
	unsigned int n = 0;
	int ret;

	deadline = kipc_deadline(args->timeout_ns, &dl);
	w.sel_mode = args->sel_mode;
	w.sel_type = args->sel_type;
	w.cap = d[0].len;
	w.lease = NULL;
	if (lc) {
		w.owner = lc->owner;
		w.via = lc->via;
	}

	mutex_lock(&q->lock);
	for (;;) {
		n = kipc_queue_take(q, args, d, msgs, n, args->count, lc, err);
		if (n || *err)
			break;
		/* Leases out may come back: the queue is not drained yet. */
		if (q->state != KIPC_STATE_LIVE && !q->leases.nr) {
			*err = -EPIPE;
			break;
		}
		if (nonblock) {
			*err = -EAGAIN;
			break;
		}
		if (timed_out) {
			q->timeouts++;
			*err = -ETIMEDOUT;
			break;
		}
		if (signal_pending(current)) {
			*err = kipc_interrupted(deadline);
			break;
		}
		if (lc) {
			/* For a message a sender hands over while we sleep. */
			w.lease = lc->spare ? lc->spare : kipc_lease_alloc();
			lc->spare = NULL;
			if (!w.lease) {
				*err = -ENOMEM;
				break;
			}
		}
		q->nr_blocked_receivers++;
		/* A lease needs room: no sender is let past a full queue. */
		if (!lc)
			kipc_queue_wake_sender_for(q, &w, &wl);
		ret = kipc_queue_wait(q, &w, &q->recv_waiters, deadline, &wl);
		if (lc) {
			lc->spare = w.lease;
			w.lease = NULL;
		}
		switch (ret) {
		case KIPC_W_HANDED:
			msgs[n++] = w.msg;
			if (args->count == 1)
				return n;
			/* Take whatever else is ready, without waiting. */
			mutex_lock(&q->lock);
			break;
		case -ETIMEDOUT:
			timed_out = true;
			break;
		}
	}
	if (n) {
		kipc_queue_wake_senders(q, &wl);
		/*
		 * The last message of a stopped queue: every handle hangs
		 * up now.  The key must say so, or epoll drops the wake for
		 * an item registered for input or hang-up only.
		 */
		if (q->state != KIPC_STATE_LIVE && !q->depth_msgs)
			key |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLHUP;
	}
	mutex_unlock(&q->lock);
	kipc_wake_all(&wl);
	if (n)
		kipc_queue_poll_wake(q, key);
	return n;
}

static void kipc_queue_leased_done(struct kipc_queue *q,
				   struct kipc_qmsg **msgs, unsigned int ok,
				   unsigned int n);

/* A receive on @h, leased when @lc is not NULL, of the checked @a. */
static long kipc_queue_recv_args(struct kipc_handle *h,
				 struct kipc_ioc_recv *a,
				 struct kipc_qlctx *lc)
{
	struct kipc_queue *q = kipc_queue(h->obj);
	struct kipc_msgdesc one_d, *d, __user *ud;
	struct kipc_qmsg *one_msg, **msgs = &one_msg;
	unsigned int i, n;
	int err = 0;
	long ret;

	ret = kipc_queue_check_recv(a);
	if (ret)
		return ret;

	ud = u64_to_user_ptr(a->msgs);
	d = &one_d;
	if (a->count == 1) {
		if (copy_from_user(d, ud, sizeof(*d)))
			return -EFAULT;
	} else {
		d = memdup_user(ud, array_size(a->count, sizeof(*d)));
		if (IS_ERR(d))
			return PTR_ERR(d);
		msgs = kmalloc_array(a->count, sizeof(*msgs), GFP_KERNEL);
		if (!msgs) {
			ret = -ENOMEM;
			goto out;
		}
	}

	n = kipc_queue_pull(q, a, d, msgs,
			    !a->timeout_ns || kipc_file_nonblock(h->file), lc,
			    &err);
	if (lc)
		kipc_lease_free(lc->spare);
	for (i = 0; i < n; i++) {
		if (kipc_qmsg_deliver(msgs[i], &d[i]))
			break;
	}
	/* Without its descriptor a copied payload is not received either. */
	if (i && copy_to_user(ud, d, array_size(i, sizeof(*d))))
		i = 0;
	if (lc) {
		/* Leases stay for what was delivered; the rest go back. */
		kipc_queue_leased_done(q, msgs, i, n);
	} else if (i < n) {
		kipc_queue_unreceive(q, msgs + i, n - i);
	}
	if (i < n) {
		n = i;
		err = -EFAULT;
	}
	for (i = 0; i < n && !lc; i++)
		kipc_qmsg_free(msgs[i]);
	if (err == -EMSGSIZE && put_user(d[0].len, &ud[0].len))
		err = -EFAULT;
	ret = n ? n : err;
out:
	if (d != &one_d) {
		kfree(msgs);
		kfree(d);
	}
	return ret;
}

/* KIPC_IOC_RECV */
static long kipc_recv_ioctl(struct kipc_handle *h, void *arg)
{
	return kipc_queue_recv_args(h, arg, NULL);
}

/**
 * kipc_queue_recv_leased() - a leased receive (lease.c checked the call)
 * @h: the handle of the call, with read access
 * @args: the receive, as KIPC_IOC_RECV's
 * @th: the calling thread's thread handle, whose file lease.c holds
 *
 * Return: how many messages were leased, or -errno.
 */
long kipc_queue_recv_leased(struct kipc_handle *h, struct kipc_ioc_recv *args,
			    struct kipc_handle *th)
{
	struct kipc_qlctx lc = { .owner = th, .via = h };

	return kipc_queue_recv_args(h, args, &lc);
}

/* --- leases (their bookkeeping is in lease.c) ----------------------- */

/*
 * A lease ended without an ack: the message goes back to its place with
 * one more delivery, or, at max_deliveries, onto @dead.
 */
static void kipc_queue_lease_end(struct kipc_queue *q, struct kipc_lease *l,
				 struct list_head *dead,
				 struct kipc_wake_list *wl)
	__must_hold(&q->lock)
{
	struct kipc_leases *ls = &q->leases;
	struct kipc_qmsg *msg = l->msg;

	kipc_lease_free(l);
	if (msg->deliveries < U32_MAX)
		msg->deliveries++;
	if (ls->max_deliveries && msg->deliveries >= ls->max_deliveries) {
		list_add_tail(&msg->node, dead);
		if (ls->dlq)
			ls->dead_lettered++;
		else
			ls->dead_dropped++;
		return;
	}
	kipc_queue_insert_sorted(q, msg);
	ls->redelivered++;
	kipc_queue_wake_receiver(q, msg->type, wl);
}

/*
 * Dead letters, with no queue lock held: into the dead-letter queue by
 * its own rules (never waiting), or freed.  One it refuses is counted
 * as dropped instead.
 */
static void kipc_queue_dead_letter(struct kipc_queue *q,
				   struct list_head *dead)
{
	struct kipc_queue *dq = q->leases.dlq ? kipc_queue(q->leases.dlq) :
				NULL;
	struct kipc_wake_list wl = { 0 };
	unsigned int refused = 0, pushed = 0;
	struct kipc_qmsg *msg, *tmp;
	LIST_HEAD(freed);
	u64 seq;
	int ret;

	list_for_each_entry_safe(msg, tmp, dead, node) {
		list_del(&msg->node);
		if (!dq) {
			kipc_qmsg_free(msg);
			continue;
		}
		msg->deliveries = 0;
		mutex_lock(&dq->lock);
		ret = kipc_queue_push_locked(dq, msg, &seq, &freed, &wl);
		mutex_unlock(&dq->lock);
		kipc_wake_all(&wl);
		if (ret == 0 || ret == KIPC_DROPPED) {
			pushed++;
			continue;
		}
		kipc_qmsg_free(msg);
		refused++;
	}
	kipc_qmsg_free_list(&freed);
	if (pushed)
		kipc_queue_poll_wake(dq, EPOLLIN | EPOLLRDNORM);
	if (refused) {
		mutex_lock(&q->lock);
		q->leases.dead_lettered -= refused;
		q->leases.dead_dropped += refused;
		mutex_unlock(&q->lock);
	}
}

/*
 * Leases ended or were acked: the wakeups and the poll key, still under
 * the lock.  @room: messages left the queue for good; @back: messages
 * came back to the ready set.
 */
static __poll_t kipc_queue_lease_wake(struct kipc_queue *q, bool room,
				      bool back, struct kipc_wake_list *wl)
	__must_hold(&q->lock)
{
	struct kipc_qwaiter *w, *tmp;
	__poll_t key = 0;

	if (room) {
		kipc_queue_wake_senders(q, wl);
		key |= EPOLLOUT | EPOLLWRNORM;
	}
	if (back)
		key |= EPOLLIN | EPOLLRDNORM;
	/* The last lease of a stopped, empty queue: receivers hang up. */
	if (q->state != KIPC_STATE_LIVE && !q->depth_msgs && !q->leases.nr) {
		list_for_each_entry_safe(w, tmp, &q->recv_waiters, node) {
			q->nr_blocked_receivers--;
			kipc_waiter_wake(q, w, KIPC_W_WOKEN, wl);
		}
		key |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLHUP;
	}
	return key;
}

/* Then, unlocked: wake, free @freed, move @dead on. */
static void kipc_queue_lease_after(struct kipc_queue *q, __poll_t key,
				   struct list_head *dead,
				   struct list_head *freed,
				   struct kipc_wake_list *wl)
{
	kipc_wake_all(wl);
	if (key)
		kipc_queue_poll_wake(q, key);
	kipc_qmsg_free_list(freed);
	if (!list_empty(dead))
		kipc_queue_dead_letter(q, dead);
}

/*
 * After a leased receive copied out messages [0, @ok) of @msgs: their
 * leases may expire from now on; [@ok, @n) could not be delivered and
 * go back unleased, with no delivery counted.
 */
static void kipc_queue_leased_done(struct kipc_queue *q,
				   struct kipc_qmsg **msgs, unsigned int ok,
				   unsigned int n)
{
	struct kipc_wake_list wl = { 0 };
	struct kipc_lease *l;
	LIST_HEAD(none);
	unsigned int i;
	__poll_t key;

	if (!n)
		return;
	mutex_lock(&q->lock);
	for (i = 0; i < n; i++) {
		/* Busy: only this call can end these leases. */
		l = kipc_lease_find(&q->leases, msgs[i]->seq);
		if (WARN_ON_ONCE(!l))
			continue;
		if (i < ok) {
			l->busy = false;
			continue;
		}
		kipc_lease_del(&q->leases, l);
		kipc_lease_free(l);
		q->leases.leased--;
		kipc_queue_insert_sorted(q, msgs[i]);
		kipc_queue_wake_receiver(q, msgs[i]->type, &wl);
	}
	key = kipc_queue_lease_wake(q, false, ok < n, &wl);
	mutex_unlock(&q->lock);
	kipc_queue_lease_after(q, key, &none, &none, &wl);
}

/**
 * kipc_queue_ack() - ack or nack leases the calling thread holds
 * @h: a handle of the queue with read access
 * @seqs: the sequence numbers
 * @n: how many, 1..KIPC_BATCH_MAX
 * @nack: give the messages back instead of freeing them
 *
 * Return: how many were done; -ENOENT when the first is no lease of the
 * caller's, -EPIPE for an ack on a dead queue.
 */
long kipc_queue_ack(struct kipc_handle *h, const u64 *seqs,
		    unsigned int n, bool nack)
{
	struct kipc_queue *q = kipc_queue(h->obj);
	struct kipc_wake_list wl = { 0 };
	LIST_HEAD(freed);
	LIST_HEAD(dead);
	struct kipc_lease *l;
	unsigned int i;
	long ret = 0;
	__poll_t key;

	mutex_lock(&q->lock);
	if (q->state == KIPC_STATE_DEAD && !nack) {
		mutex_unlock(&q->lock);
		return -EPIPE;
	}
	for (i = 0; i < n; i++) {
		l = kipc_lease_find(&q->leases, seqs[i]);
		if (!l || !kipc_lease_held(l)) {
			ret = -ENOENT;
			break;
		}
		kipc_lease_del(&q->leases, l);
		if (nack) {
			q->leases.nacked++;
			kipc_queue_lease_end(q, l, &dead, &wl);
			continue;
		}
		list_add_tail(&l->msg->node, &freed);
		kipc_lease_free(l);
		q->leases.acked++;
		q->received++;
	}
	key = kipc_queue_lease_wake(q, i && (!nack || !list_empty(&dead)),
				    i && nack, &wl);
	mutex_unlock(&q->lock);
	kipc_queue_lease_after(q, key, &dead, &freed, &wl);
	return i ? i : ret;
}

/* A handle is released: the leases it held or was the receive's end. */
static void kipc_queue_release_leases(struct kipc_queue *q,
				      struct kipc_handle *h)
{
	struct kipc_wake_list wl = { 0 };
	struct kipc_lease *l, *tmp;
	LIST_HEAD(leases);
	LIST_HEAD(freed);
	LIST_HEAD(dead);
	__poll_t key;

	mutex_lock(&q->lock);
	if (!kipc_lease_take_handle(&q->leases, h, &leases)) {
		mutex_unlock(&q->lock);
		return;
	}
	list_for_each_entry_safe(l, tmp, &leases, link)
		kipc_queue_lease_end(q, l, &dead, &wl);
	key = kipc_queue_lease_wake(q, !list_empty(&dead), true, &wl);
	mutex_unlock(&q->lock);
	kipc_queue_lease_after(q, key, &dead, &freed, &wl);
}

/**
 * kipc_queue_lease_expire() - the lease timeout's work
 * @work: &kipc_leases.expire of a queue
 *
 * Ends the leases whose timeout passed and schedules itself for the next.
 */
void kipc_queue_lease_expire(struct work_struct *work)
{
	struct kipc_leases *ls = container_of(to_delayed_work(work),
					      struct kipc_leases, expire);
	struct kipc_queue *q = container_of(ls, struct kipc_queue, leases);
	struct kipc_wake_list wl = { 0 };
	struct kipc_lease *l, *tmp;
	LIST_HEAD(leases);
	LIST_HEAD(freed);
	LIST_HEAD(dead);
	unsigned int n;
	__poll_t key;

	mutex_lock(&q->lock);
	n = kipc_lease_take_expired(ls, &leases);
	ls->expired += n;
	list_for_each_entry_safe(l, tmp, &leases, link)
		kipc_queue_lease_end(q, l, &dead, &wl);
	kipc_lease_arm(ls);
	key = kipc_queue_lease_wake(q, !list_empty(&dead), n, &wl);
	mutex_unlock(&q->lock);
	kipc_queue_lease_after(q, key, &dead, &freed, &wl);
}

/* --- control ------------------------------------------------------- */

/* Shut down or kill: refuse sends, wake everyone; receivers drain. */
static void kipc_queue_stop(struct kipc_queue *q, u32 state)
{
	struct kipc_wake_list wl = { 0 };

	mutex_lock(&q->lock);
	if (q->state == KIPC_STATE_DEAD ||
	    (q->state == KIPC_STATE_SHUTDOWN && state == KIPC_STATE_SHUTDOWN)) {
		mutex_unlock(&q->lock);
		return;
	}
	WRITE_ONCE(q->state, state);
	kipc_queue_wake_everyone(q, &wl);
	mutex_unlock(&q->lock);
	/* Everyone: kill wakes more tasks than a wake list holds. */
	kipc_wake_all(&wl);
	/*
	 * Readers learn no more will come (EPOLLRDHUP; EPOLLIN so that an
	 * item registered for input only looks again), writers that they
	 * cannot write; EPOLLHUP once dead or empty, which poll decides.
	 */
	kipc_queue_poll_wake(q, EPOLLIN | EPOLLRDNORM | EPOLLRDHUP |
			     EPOLLOUT | EPOLLWRNORM | EPOLLHUP);
	if (state == KIPC_STATE_SHUTDOWN)
		kipc_genl_notify(&q->obj, KIPC_NOTIFY_SHUTDOWN, NULL);
}

/* KIPC_IOC_SHUTDOWN: struct kipc_ioc_shutdown has nothing but its header. */
static long kipc_shutdown_ioctl(struct kipc_handle *h, void *arg)
{
	kipc_queue_stop(kipc_queue(h->obj), KIPC_STATE_SHUTDOWN);
	return 0;
}

/* KIPC_IOC_QUEUE_STAT; kipc_ioctl() copies the result out. */
static long kipc_queue_stat_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_queue *q = kipc_queue(h->obj);
	struct kipc_ioc_queue_stat *st = arg;
	struct kipc_leases *ls = &q->leases;

	if (st->__reserved)
		return -EINVAL;

	mutex_lock(&q->lock);
	st->depth_msgs = q->depth_msgs;
	st->depth_bytes = q->depth_bytes;
	st->max_msgs = q->max_msgs;
	st->max_bytes = q->max_bytes;
	st->max_msg_size = q->max_msg_size;
	st->high_water = q->high_water;
	st->sent = q->sent;
	st->received = q->received;
	st->dropped_new = q->dropped_new;
	st->dropped_oldest = q->dropped_oldest;
	st->conflated = q->conflated;
	st->rejected = q->rejected;
	st->timeouts = q->timeouts;
	st->wakeups = q->wakeups;
	st->policy = q->policy;
	st->qflags = q->qflags;
	st->blocked_senders = q->nr_blocked_senders;
	st->blocked_receivers = q->nr_blocked_receivers;
	st->state = q->state;
	st->inflight_msgs = ls->nr;
	st->inflight_bytes = ls->bytes;
	st->leased = ls->leased;
	st->acked = ls->acked;
	st->nacked = ls->nacked;
	st->expired = ls->expired;
	st->redelivered = ls->redelivered;
	st->dead_lettered = ls->dead_lettered;
	st->dead_dropped = ls->dead_dropped;
	st->handle_inflight = kipc_lease_count_handle(ls, h);
	st->max_deliveries = ls->max_deliveries;
	st->lease_timeout_ms = ls->timeout_ms;
	st->dead_letter_id = ls->dlq ? ls->dlq->id : 0;
	mutex_unlock(&q->lock);
	st->senders = atomic_read(&q->obj.nr_writers);
	st->receivers = atomic_read(&q->obj.nr_readers);
	st->owner_pid = pid_nr_ns(q->obj.owner_pid,
				  task_active_pid_ns(current));
	st->id = q->obj.id;
	st->__reserved = 0;
	return 0;
}

static const struct kipc_ioctl_op kipc_queue_ioctls[] = {
	KIPC_IOCTL(SEND, send, timeout_ns, KIPC_WRONLY, 0),
	KIPC_IOCTL(RECV, recv, timeout_ns, KIPC_RDONLY, 0),
	KIPC_IOCTL(SHUTDOWN, shutdown, flags, KIPC_WRONLY, 0),
	KIPC_IOCTL_OUT(QUEUE_STAT, queue_stat, __reserved, 0, 0),
	KIPC_IOCTL(QUEUE_THREAD, queue_thread, flags, KIPC_RDONLY, 0),
	KIPC_IOCTL(RECV_LEASED, recv_leased, timeout_ns, KIPC_RDONLY, 0),
	KIPC_IOCTL(ACK, ack, __reserved, KIPC_RDONLY, KIPC_ACK_NACK),
};

/*
 * Lockless: the depth, capacity and state are read with READ_ONCE and may
 * be stale by the time poll returns, which poll's contract allows; every
 * change that could flip a bit wakes @poll_wq after it is made.
 *
 * The wakers test wq_has_sleeper() without the wait queue's lock: the
 * full barrier there pairs with the one here, between poll_wait() adding
 * us to @poll_wq and the reads of the state (as sock_poll_wait()).
 * Without it the two sides form the store-buffering pattern, which x86
 * allows: poll reads the old state while the waker sees no sleeper.
 */
static __poll_t kipc_queue_poll(struct kipc_handle *h, struct file *file,
				struct poll_table_struct *wait)
{
	struct kipc_queue *q = kipc_queue(h->obj);
	u32 state, depth, leased;
	__poll_t mask = 0;

	poll_wait(file, &q->poll_wq, wait);
	smp_mb();	/* pairs with the one in wq_has_sleeper() */
	state = READ_ONCE(q->state);
	depth = READ_ONCE(q->depth_msgs);
	/* Leased messages are not ready, but take room. */
	leased = READ_ONCE(q->leases.nr);
	if (depth && h->access & KIPC_RDONLY)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (state != KIPC_STATE_LIVE && h->access & KIPC_RDONLY)
		mask |= EPOLLRDHUP;
	if (state == KIPC_STATE_LIVE && h->access & KIPC_WRONLY &&
	    depth + leased < q->max_msgs &&
	    READ_ONCE(q->depth_bytes) + READ_ONCE(q->leases.bytes) +
	    q->max_msg_size <= q->max_bytes)
		mask |= EPOLLOUT | EPOLLWRNORM;
	if (state != KIPC_STATE_LIVE &&
	    (state == KIPC_STATE_DEAD || (!depth && !leased)))
		mask |= EPOLLHUP;
	return mask;
}

static void kipc_queue_kill(struct kipc_object *obj)
{
	kipc_queue_stop(kipc_queue(obj), KIPC_STATE_DEAD);
}

static void kipc_queue_handle_del(struct kipc_handle *h)
{
	kipc_queue_release_leases(kipc_queue(h->obj), h);
}

static void kipc_queue_show_fdinfo(struct kipc_handle *h, struct seq_file *m)
{
	struct kipc_queue *q = kipc_queue(h->obj);

	seq_printf(m, "kipc-state:\t%s\n",
		   kipc_state_name(READ_ONCE(q->state)));
	seq_printf(m, "kipc-depth:\t%u\n", READ_ONCE(q->depth_msgs));
	mutex_lock(&q->lock);
	seq_printf(m, "kipc-leases:\t%u\n",
		   kipc_lease_count_handle(&q->leases, h));
	mutex_unlock(&q->lock);
}

static void kipc_queue_free(struct kipc_object *obj)
{
	struct kipc_queue *q = kipc_queue(obj);
	struct kipc_qtp *tp;
	unsigned long idx;
	LIST_HEAD(msgs);

	kipc_leases_destroy(&q->leases);
	xa_for_each(&q->index, idx, tp) {
		list_splice_tail_init(&tp->msgs, &msgs);
		kmem_cache_free(kipc_qtp_cache, tp);
	}
	xa_destroy(&q->index);
	kipc_qmsg_free_list(&msgs);
	if (q->spare_tp)
		kmem_cache_free(kipc_qtp_cache, q->spare_tp);
	mutex_destroy(&q->lock);
	kipc_object_release_common(obj);
	kfree(q);
}

static int kipc_queue_fill_nl_leases(struct kipc_queue *q,
				     struct sk_buff *skb,
				     struct pid_namespace *pidns)
{
	struct kipc_leases *ls = &q->leases;

	if (nla_put_u64_64bit(skb, KIPC_A_Q_INFLIGHT_MSGS, ls->nr,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_INFLIGHT_BYTES, ls->bytes,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_LEASED, ls->leased, KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_ACKED, ls->acked, KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_NACKED, ls->nacked, KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_EXPIRED, ls->expired,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_REDELIVERED, ls->redelivered,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_DEAD_LETTERED, ls->dead_lettered,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_DEAD_DROPPED, ls->dead_dropped,
			      KIPC_A_Q_PAD) ||
	    nla_put_u32(skb, KIPC_A_Q_MAX_DELIVERIES, ls->max_deliveries) ||
	    nla_put_u32(skb, KIPC_A_Q_LEASE_TIMEOUT_MS, ls->timeout_ms))
		return -EMSGSIZE;
	return kipc_lease_fill_nl(ls, skb, pidns);
}

static int kipc_queue_fill_nl(struct kipc_object *obj, struct sk_buff *skb,
			      struct pid_namespace *pidns)
{
	struct kipc_queue *q = kipc_queue(obj);
	struct nlattr *nest;
	int ret = -EMSGSIZE;

	mutex_lock(&q->lock);
	if (nla_put_u32(skb, KIPC_A_OBJ_STATE, q->state))
		goto out;
	nest = nla_nest_start(skb, KIPC_A_QUEUE);
	if (!nest ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_DEPTH_MSGS, q->depth_msgs,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_DEPTH_BYTES, q->depth_bytes,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_MAX_MSGS, q->max_msgs,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_MAX_BYTES, q->max_bytes,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_MAX_MSG_SIZE, q->max_msg_size,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_HIGH_WATER, q->high_water,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_SENT, q->sent, KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_RECEIVED, q->received,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_DROPPED_NEW, q->dropped_new,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_DROPPED_OLDEST, q->dropped_oldest,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_CONFLATED, q->conflated,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_REJECTED, q->rejected,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_TIMEOUTS, q->timeouts,
			      KIPC_A_Q_PAD) ||
	    nla_put_u64_64bit(skb, KIPC_A_Q_WAKEUPS, q->wakeups,
			      KIPC_A_Q_PAD) ||
	    nla_put_u32(skb, KIPC_A_Q_POLICY, q->policy) ||
	    nla_put_u32(skb, KIPC_A_Q_FLAGS, q->qflags) ||
	    nla_put_u32(skb, KIPC_A_Q_BLOCKED_SENDERS, q->nr_blocked_senders) ||
	    nla_put_u32(skb, KIPC_A_Q_BLOCKED_RECEIVERS,
			q->nr_blocked_receivers) ||
	    kipc_queue_fill_nl_leases(q, skb, pidns))
		goto out;
	nla_nest_end(skb, nest);
	ret = 0;
out:
	mutex_unlock(&q->lock);
	return ret;
}

static const struct kipc_object_ops kipc_queue_ops = {
	.kind		= KIPC_KIND_QUEUE,
	.name		= "queue",
	.ioctls		= kipc_queue_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kipc_queue_ioctls),
	.poll		= kipc_queue_poll,
	.kill		= kipc_queue_kill,
	.handle_del	= kipc_queue_handle_del,
	.free		= kipc_queue_free,
	.show_fdinfo	= kipc_queue_show_fdinfo,
	.fill_nl	= kipc_queue_fill_nl,
};

/* Check the attributes and fill in the defaults. */
static int kipc_queue_check_attr(struct kipc_ioc_queue_create *a)
{
	if (a->__reserved || a->mode & ~0777 ||
	    a->policy > KIPC_POLICY_DROP_OLDEST ||
	    a->qflags & ~KIPC_Q_CONFLATE)
		return -EINVAL;
	if (!a->max_msgs)
		a->max_msgs = KIPC_QUEUE_DEF_MSGS;
	if (!a->max_msg_size)
		a->max_msg_size = KIPC_QUEUE_DEF_MSGSIZE;
	if (!a->max_bytes)
		a->max_bytes = (u64)a->max_msgs * a->max_msg_size;
	if (a->max_msgs > KIPC_QUEUE_MSGS_MAX ||
	    a->max_msg_size > KIPC_MSG_SIZE_MAX ||
	    a->max_bytes < a->max_msg_size ||
	    a->max_bytes > KIPC_QUEUE_BYTES_MAX)
		return -EINVAL;
	if (a->max_msg_size > READ_ONCE(kipc_max_msg_size))
		return -ENOSPC;
	return 0;
}

/*
 * What the allocator really hands out for one allocation of @size bytes:
 * kvmalloc() tries kmalloc (rounded to its bucket, pages beyond
 * KMALLOC_MAX_CACHE_SIZE) and falls back to vmalloc (whole pages, their
 * page array and the area's bookkeeping); take the larger.
 */
static u64 kipc_kvmalloc_bytes(size_t size)
{
	u64 km = size <= KMALLOC_MAX_SIZE ? kmalloc_size_roundup(size) : 0;
	u64 vm = PAGE_ALIGN(size) + (PAGE_ALIGN(size) >> PAGE_SHIFT) *
		 sizeof(struct page *) + 2 * 64;

	if (size <= KMALLOC_MAX_CACHE_SIZE)
		km += sizeof(void *);	/* the memcg's per-object pointer */
	return max(km, vm);
}

/*
 * The size class kipc_qmsg_alloc() uses for a payload of @len bytes (the
 * largest size it would serve from the same class), and in @bytes what
 * that allocation really takes.
 */
static u64 kipc_qmsg_class(u64 len, u64 *bytes)
{
	size_t size = struct_size_t(struct kipc_qmsg, data, len);
	unsigned int i;

	for (i = 0; i < KIPC_QMSG_NR_CACHES; i++) {
		if (size <= kipc_qmsg_sizes[i]) {
			*bytes = kipc_qmsg_sizes[i] + sizeof(void *);
			return kipc_qmsg_sizes[i];
		}
	}
	*bytes = kipc_kvmalloc_bytes(size);
	return size <= KMALLOC_MAX_SIZE ? kmalloc_size_roundup(size) :
	       PAGE_ALIGN(size);
}

/*
 * The most a message of at most @max_len payload bytes costs beyond its
 * payload.  Within one size class the cost is constant, so the overhead
 * peaks at the smallest length of each class (and, for vmalloc's page
 * rounding, possibly at @max_len): try those.
 */
static u64 kipc_qmsg_overhead(u32 max_len)
{
	const size_t hdr = struct_size_t(struct kipc_qmsg, data, 0);
	u64 len = 0, worst = 0, bytes, class;

	while (len <= max_len) {
		class = kipc_qmsg_class(len, &bytes);
		worst = max(worst, bytes - len);
		len = class - hdr + 1;	/* the first length of the next class */
	}
	kipc_qmsg_class(max_len, &bytes);
	return max(worst, bytes - max_len);
}

/*
 * The xarray nodes an index of @n entries can need at most.  A key is
 * type << 5 | (31 - prio): 37 bits, 6 per level.  A node at shift s
 * covers the keys that share their bits above s + 6, so a level has at
 * most one node per entry and at most 2^(37 - s - 6) nodes.
 */
static u64 kipc_qindex_nodes(u64 n)
{
	const unsigned int bits = 32 + 5;
	unsigned int shift;
	u64 nodes = 0;

	for (shift = 0; shift < bits; shift += XA_CHUNK_SHIFT) {
		unsigned int above = bits > shift + XA_CHUNK_SHIFT ?
				     bits - shift - XA_CHUNK_SHIFT : 0;

		nodes += min_t(u64, n, 1ULL << above);
	}
	return nodes;
}

/* A list head and an xarray node, as their caches hand them out. */
#define KIPC_QTP_BYTES	(ALIGN(sizeof(struct kipc_qtp), 8) + sizeof(void *))
#define KIPC_XA_NODE_BYTES (sizeof(struct xa_node) + 2 * sizeof(void *))

/**
 * kipc_queue_charge() - the most memory a queue can make the kernel hold
 * @a: the checked attributes
 *
 * As mqueue charges mq_treesize: the queue itself, max_bytes of payload
 * and, for each of max_msgs messages, the worst overhead of a message
 * (its header and the size class or page rounding of its allocation)
 * plus a (type, priority) list of its own and that list's share of the
 * index when every message has a distinct type and priority (the
 * xarray's nodes for max_msgs keys spread as far apart as they can be),
 * and the spare and the kept empty list (and their index entries, with
 * the pinned one), and a lease record for each of max_msgs messages
 * (leased ones count against max_msgs).  See docs/architecture.md,
 * "Memory and the quota".
 *
 * Return: bytes to charge against max_user_bytes.
 */
static u64 kipc_queue_charge(const struct kipc_ioc_queue_create *a)
{
	return kmalloc_size_roundup(sizeof(struct kipc_queue)) +
	       a->max_bytes +
	       (u64)a->max_msgs * (kipc_qmsg_overhead(a->max_msg_size) +
				   KIPC_QTP_BYTES) +
	       2 * KIPC_QTP_BYTES +
	       kipc_qindex_nodes(a->max_msgs + 2) * KIPC_XA_NODE_BYTES +
	       (u64)a->max_msgs * kipc_lease_bytes();
}

/**
 * kipc_queue_create_ioctl() - KIPC_IOC_QUEUE_CREATE
 * @h: NULL: a context command
 * @arg: the kernel's copy of &struct kipc_ioc_queue_create
 *
 * Return: the owner handle's fd, or -errno.
 */
long kipc_queue_create_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_ioc_queue_create *args = arg;
	struct kipc_queue *q;
	unsigned int i;
	long ret;

	ret = kipc_queue_check_attr(args);
	if (ret)
		return ret;
	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q)
		return -ENOMEM;
	ret = kipc_leases_init(&q->leases, args->max_deliveries,
			       args->lease_timeout_ms, args->dead_letter);
	if (ret) {
		kfree(q);
		return ret;
	}

	mutex_init(&q->lock);
	/* Without the flag, the index's nodes escape the memcg. */
	xa_init_flags(&q->index, XA_FLAGS_ACCOUNT);
	for (i = 0; i < KIPC_NR_PRIO; i++)
		q->prio[i] = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&q->recv_waiters);
	INIT_LIST_HEAD(&q->send_waiters);
	init_waitqueue_head(&q->poll_wq);
	q->state = KIPC_STATE_LIVE;
	q->next_seq = 1;
	q->max_msgs = args->max_msgs;
	q->max_msg_size = args->max_msg_size;
	q->max_bytes = args->max_bytes;
	q->policy = args->policy;
	q->qflags = args->qflags;

	ret = kipc_object_init(&q->obj, &kipc_queue_ops, args->name, args->mode,
			       args->flags, kipc_queue_charge(args));
	if (ret) {
		kipc_object_put(&q->obj);
		return ret;
	}
	return kipc_object_create(&q->obj);
}

/**
 * kipc_queue_init() - create the queue caches at module load
 *
 * Return: 0 or -ENOMEM.
 */
int kipc_queue_init(void)
{
	static const char *const names[] = {
		"kipc_msg_256", "kipc_msg_1k", "kipc_msg_4k",
	};
	size_t off = offsetof(struct kipc_qmsg, data);
	unsigned int i;

	BUILD_BUG_ON(ARRAY_SIZE(names) != KIPC_QMSG_NR_CACHES);
	kipc_qtp_cache = KMEM_CACHE(kipc_qtp, SLAB_ACCOUNT);
	if (!kipc_qtp_cache || kipc_lease_cache_init()) {
		kipc_queue_exit();
		return -ENOMEM;
	}
	for (i = 0; i < KIPC_QMSG_NR_CACHES; i++) {
		kipc_qmsg_caches[i] =
			kmem_cache_create_usercopy(names[i], kipc_qmsg_sizes[i],
						   8, SLAB_ACCOUNT, off,
						   kipc_qmsg_sizes[i] - off,
						   NULL);
		if (!kipc_qmsg_caches[i]) {
			kipc_queue_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * kipc_queue_exit() - destroy the queue caches at module unload
 */
void kipc_queue_exit(void)
{
	unsigned int i;

	for (i = 0; i < KIPC_QMSG_NR_CACHES; i++)
		kmem_cache_destroy(kipc_qmsg_caches[i]);
	kmem_cache_destroy(kipc_qtp_cache);
	kipc_lease_cache_exit();
}
