// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl - the diagnosis that ends "kipcctl show": the six questions of
 * a stuck channel (did data enter, was the receiver woken, are boundaries
 * intact, where is the backpressure, who holds which lock, which peer is
 * gone), each answered in one sentence from one snapshot of the object's
 * numbers, of the processes that hold handles on it (kipcctl-proc.c) and
 * of the other kipc objects that those asleep in kipc hold ("elsewhere"),
 * so that a wait on another object, such as a lock, can be followed.
 *
 * The kernel reports how many tasks wait on a queue or a lock, not which:
 * where a sentence pins a wait on a task from those counts, it says
 * "probably".
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kipcctl.h"

void sb_add(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->len >= sizeof(sb->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sizeof(sb->buf) - sb->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += n;
	if (sb->len >= sizeof(sb->buf))
		sb->len = sizeof(sb->buf) - 1;
}

const char *kctl_task_state(char st)
{
	switch (st) {
	case 'R':	return "running";
	case 'S':	return "sleeping (not in kipc)";
	case 'D':	return "in uninterruptible sleep";
	case 'T':	return "stopped (SIGSTOP)";
	case 't':	return "stopped by a tracer";
	case 'Z':	return "a zombie";
	default:	return "in an unknown state";
	}
}

/* "pid 12 (comm), which can receive, is stopped" for each holder with
 * @access not asleep in kipc, for the "why does nobody receive" answer.
 */
static void kctl_idle_holders(struct sbuf *sb, const struct kctl_holder *h,
			      size_t nh, char access)
{
	pid_t last = 0;
	size_t i;

	for (i = 0; i < nh; i++) {
		if (!strchr(h[i].access, access) || h[i].pid == last ||
		    h[i].blocked_tid)
			continue;
		last = h[i].pid;
		sb_add(sb, "; pid %d (%s), which can %s, is %s", (int)h[i].pid,
		       h[i].comm, access == 'r' ? "receive" : "send",
		       kctl_task_state(h[i].state));
	}
}

/* "pid 12 (owner), pid 40" for the holders with @access. */
static void kctl_holder_pids(struct sbuf *sb, const struct kctl_holder *h,
			     size_t nh, char access)
{
	const char *sep = "";
	pid_t last = 0;
	size_t i;

	for (i = 0; i < nh; i++) {
		if (!strchr(h[i].access, access) || h[i].pid == last)
			continue;
		last = h[i].pid;
		sb_add(sb, "%spid %d%s", sep, (int)h[i].pid,
		       h[i].owner ? " (owner)" : "");
		sep = ", ";
	}
}

#define KCTL_MAX_REL	32

/* A lock of region @r held by someone other than @pid, with waiters. */
static const struct kipcnl_lock *kctl_contended_lock(const struct kipcnl_obj *r,
						   pid_t pid)
{
	unsigned int i;

	if (!r->has_region)
		return NULL;
	for (i = 0; i < r->r.nr_locks; i++) {
		const struct kipcnl_lock *l = &r->r.locks[i];

		if (l->has_holder && l->waiters && (pid_t)l->holder_pid != pid)
			return l;
	}
	return NULL;
}

/* A region lock that @pid, asleep in kipc, probably waits for. */
static const struct kctl_rel *kctl_rel_lock(const struct kctl_show *s,
					    pid_t pid,
					    const struct kipcnl_lock **lock)
{
	size_t i;

	for (i = 0; i < s->nrel; i++) {
		if (s->rel[i].pid != pid)
			continue;
		*lock = kctl_contended_lock(&s->rel[i].obj, pid);
		if (*lock)
			return &s->rel[i];
	}
	return NULL;
}

/* A full queue with blocked senders that @pid has a handle on. */
static const struct kctl_rel *kctl_rel_full_queue(const struct kctl_show *s,
						  pid_t pid)
{
	size_t i;

	for (i = 0; i < s->nrel; i++) {
		const struct kipcnl_obj *q = &s->rel[i].obj;

		if (s->rel[i].pid == pid && q->has_queue &&
		    q->q.blocked_senders)
			return &s->rel[i];
	}
	return NULL;
}

static const struct kctl_holder *kctl_holder_pid(const struct kctl_show *s,
						 pid_t pid)
{
	size_t i;

	for (i = 0; i < s->nh; i++)
		if (s->h[i].pid == pid)
			return &s->h[i];
	return NULL;
}

/* "queue /orders (id 1)" */
static void kctl_obj_label(struct sbuf *sb, const struct kipcnl_obj *o)
{
	sb_add(sb, "%s %s (id %u)", kctl_obj_kind(o),
	       o->has_name ? o->name : "(anonymous)", o->id);
}

/* One line on what may make a task wait on @o. */
void kctl_rel_summary(struct sbuf *sb, const struct kipcnl_obj *o)
{
	unsigned int i;

	kctl_obj_label(sb, o);
	sb_add(sb, ": %s", kctl_state_name(o->state));
	if (o->has_queue)
		sb_add(sb, ", %llu/%llu messages, %u sender(s) and %u receiver(s) blocked",
		       ULL(o->q.depth_msgs), ULL(o->q.max_msgs),
		       o->q.blocked_senders, o->q.blocked_receivers);
	else if (o->has_event)
		sb_add(sb, ", count %llu, %u waiter(s)", ULL(o->e.count),
		       o->e.waiters);
	else if (o->has_region) {
		sb_add(sb, ", %u waiter(s)", o->r.waiters);
		for (i = 0; i < o->r.nr_locks; i++) {
			const struct kipcnl_lock *l = &o->r.locks[i];

			if (!l->has_holder && !l->waiters)
				continue;
			sb_add(sb, ", lock 0x%llx ", ULL(l->offset));
			if (l->has_holder)
				sb_add(sb, "held by pid %u", l->holder_pid);
			else
				sb_add(sb, "free");
			if (l->has_holder && l->holder_tid)
				sb_add(sb, " tid %u", l->holder_tid);
			sb_add(sb, " (%u waiting)", l->waiters);
		}
		if (o->r.has_ring)
			sb_add(sb, ", ring %u/%u bytes", o->r.ring.used,
			       o->r.ring.capacity);
	}
}

/*
 * Holders with @access that sleep in kipc, but not on this queue (it has
 * no blocked receivers): say where they probably wait.
 */
static void kctl_blocked_elsewhere(struct sbuf *sb, const struct kctl_show *s,
				   char access)
{
	const struct kipcnl_lock *l;
	const struct kctl_rel *r;
	pid_t last = 0;
	size_t i;

	for (i = 0; i < s->nh; i++) {
		const struct kctl_holder *h = &s->h[i];

		if (!strchr(h->access, access) || !h->blocked_tid ||
		    h->pid == last)
			continue;
		last = h->pid;
		/* A writer asleep while senders are blocked: one of them. */
		if (strchr(h->access, 'w') && s->o->q.blocked_senders)
			continue;
		sb_add(sb, "; pid %d (%s), which can %s, is asleep in %s, but not on this queue",
		       (int)h->pid, h->comm,
		       access == 'r' ? "receive" : "send", h->wchan);
		r = kctl_rel_lock(s, h->pid, &l);
		if (r) {
			sb_add(sb, ": it probably waits for the lock at 0x%llx of ",
			       ULL(l->offset));
			kctl_obj_label(sb, &r->obj);
			sb_add(sb, ", held by pid %u", l->holder_pid);
		}
	}
}

/* "; the sender is probably pid 12 (comm), asleep in WCHAN" */
static void kctl_blocked_senders(struct sbuf *sb, const struct kctl_holder *h,
				 size_t nh)
{
	const char *sep = "; blocked in kipc with send access: ";
	pid_t last = 0;
	size_t i;

	for (i = 0; i < nh; i++) {
		if (!strchr(h[i].access, 'w') || !h[i].blocked_tid ||
		    h[i].pid == last)
			continue;
		last = h[i].pid;
		sb_add(sb, "%spid %d (%s) in %s", sep, (int)h[i].pid,
		       h[i].comm, h[i].wchan);
		sep = ", ";
	}
}

/* A queue has no locks, but its receiver may wait for one. */
static void kctl_queue_locks(struct sbuf *sb, const struct kctl_show *s)
{
	const struct kctl_holder *h, *hh;
	const struct kipcnl_lock *l;
	const struct kctl_rel *r;
	size_t i;

	for (i = 0; i < s->nh; i++) {
		h = &s->h[i];
		if (!strchr(h->access, 'r') || !h->blocked_tid)
			continue;
		r = kctl_rel_lock(s, h->pid, &l);
		if (!r)
			continue;
		sb_add(sb, "none on the queue itself, but its receiver pid %d (%s) probably waits for the lock at 0x%llx of ",
		       (int)h->pid, h->comm, ULL(l->offset));
		kctl_obj_label(sb, &r->obj);
		sb_add(sb, ", held by pid %u", l->holder_pid);
		hh = kctl_holder_pid(s, l->holder_pid);
		if (hh && strchr(hh->access, 'w') && hh->blocked_tid &&
		    s->o->q.blocked_senders)
			sb_add(sb, ", which is blocked sending to this full queue: a deadlock (pid %u sends while holding the lock that pid %d needs before it receives)",
			       l->holder_pid, (int)h->pid);
		return;
	}
	sb_add(sb, "none: a queue has no locks");
}

static void kctl_diag_queue(const struct kctl_show *s, struct kctl_diag *d)
{
	const struct kipcnl_obj *o = s->o;
	const struct kctl_holder *h = s->h;
	size_t nh = s->nh;
	const struct kipcnl_queue *q = &o->q;
	uint64_t lost = q->dropped_new + q->dropped_oldest;
	bool full_msgs = q->depth_msgs >= q->max_msgs;
	bool full_bytes = q->max_bytes - q->depth_bytes < q->max_msg_size;

	/* 1. Did data enter the channel? */
	if (!q->sent)
		sb_add(&d->data_in, "no: nothing has been sent to this queue");
	else
		sb_add(&d->data_in, "yes: %llu sent, %llu received, %llu queued now (%llu bytes)",
		       ULL(q->sent), ULL(q->received), ULL(q->depth_msgs),
		       ULL(q->depth_bytes));
	if (q->rejected)
		sb_add(&d->data_in, "; %llu sends refused (queue full, policy fail)",
		       ULL(q->rejected));
	if (q->timeouts)
		sb_add(&d->data_in, "; %llu calls timed out",
		       ULL(q->timeouts));
	if (q->inflight_msgs)
		sb_add(&d->data_in, "; %llu leased (taken, not acked yet)",
		       ULL(q->inflight_msgs));
	if (q->redelivered || q->dead_lettered || q->dead_dropped)
		sb_add(&d->data_in, "; %llu given back after a lease ended without an ack, %llu dead-lettered, %llu dropped at max_deliveries",
		       ULL(q->redelivered), ULL(q->dead_lettered),
		       ULL(q->dead_dropped));
	if (q->sent != q->received + q->depth_msgs + q->inflight_msgs + lost +
	    q->conflated + q->dead_lettered + q->dead_dropped)
		sb_add(&d->data_in, "; WARNING: the counters do not balance (sent != received + queued + leased + dropped + conflated + dead letters)");

	/* 2. Was the receiver woken? */
	if (q->blocked_receivers && !q->depth_msgs)
		sb_add(&d->woken, "%u receiver(s) asleep on the empty queue, as they should be: the next send wakes one (%llu wakeups so far)",
		       q->blocked_receivers, ULL(q->wakeups));
	else if (q->blocked_receivers)
		sb_add(&d->woken, "%u receiver(s) asleep although %llu message(s) are queued: their type selector matches none of them",
		       q->blocked_receivers, ULL(q->depth_msgs));
	else if (q->depth_msgs) {
		sb_add(&d->woken, "no receiver is waiting: %llu message(s) wait for a recv call (%llu wakeups so far)",
		       ULL(q->depth_msgs), ULL(q->wakeups));
		kctl_idle_holders(&d->woken, h, nh, 'r');
		kctl_blocked_elsewhere(&d->woken, s, 'r');
	} else
		sb_add(&d->woken, "nothing to wake: the queue is empty and no receiver waits (%llu wakeups so far)",
		       ULL(q->wakeups));

	/* 3. Are message boundaries intact? */
	sb_add(&d->boundaries, "each message is received whole or not at all (max_msg_size %llu)",
	       ULL(q->max_msg_size));
	if (lost || q->conflated)
		sb_add(&d->boundaries, "; but %llu were discarded by the policy (dropped_new %llu, dropped_oldest %llu) and %llu replaced by a newer one of their type (conflated): receivers see gaps in seq",
		       ULL(lost), ULL(q->dropped_new),
		       ULL(q->dropped_oldest), ULL(q->conflated));
	else
		sb_add(&d->boundaries, "; none lost or merged: seq has no gaps");

	/* 4. Where is the backpressure? */
	if (o->state != KIPC_STATE_LIVE)
		sb_add(&d->backpressure, "none any more: the queue is %s, sends fail with EPIPE; %llu message(s) wait to be drained",
		       kctl_state_name(o->state), ULL(q->depth_msgs));
	else if (q->blocked_senders) {
		sb_add(&d->backpressure, "at the receiver: %u sender(s) blocked on a full queue (%llu/%llu messages, %llu/%llu bytes): the consumer does not keep up",
		       q->blocked_senders, ULL(q->depth_msgs),
		       ULL(q->max_msgs), ULL(q->depth_bytes),
		       ULL(q->max_bytes));
		kctl_blocked_senders(&d->backpressure, h, nh);
	} else if (full_msgs || full_bytes) {
		sb_add(&d->backpressure, "at the receiver: the queue is full (%llu/%llu messages, %llu/%llu bytes); policy %s: ",
		       ULL(q->depth_msgs), ULL(q->max_msgs),
		       ULL(q->depth_bytes), ULL(q->max_bytes),
		       kctl_policy_name(q->policy));
		switch (q->policy) {
		case KIPC_POLICY_BLOCK:
			sb_add(&d->backpressure, "the next send blocks");
			break;
		case KIPC_POLICY_FAIL:
			sb_add(&d->backpressure, "sends fail with EAGAIN (%llu so far)",
			       ULL(q->rejected));
			break;
		case KIPC_POLICY_DROP_NEW:
			sb_add(&d->backpressure, "new messages are discarded (%llu so far)",
			       ULL(q->dropped_new));
			break;
		default:
			sb_add(&d->backpressure, "the oldest messages are discarded (%llu so far)",
			       ULL(q->dropped_oldest));
			break;
		}
	} else if (q->blocked_receivers && !q->depth_msgs)
		sb_add(&d->backpressure, "at the producer: the queue is empty and a receiver waits; the sender is slow, stuck or gone");
	else
		sb_add(&d->backpressure, "none: %llu of %llu messages queued, no sender blocked (high water %llu)",
		       ULL(q->depth_msgs), ULL(q->max_msgs),
		       ULL(q->high_water));

	/* 5. Who holds which lock? */
	kctl_queue_locks(&d->locks, s);

	/* 6. Which peer is gone? */
	if (o->state == KIPC_STATE_DEAD)
		sb_add(&d->peers, "the owner (pid %u) is gone: the queue is dead; receivers drain the %llu message(s) left, then get EPIPE; sends get EPIPE",
		       o->owner_pid, ULL(q->depth_msgs));
	else if (o->state == KIPC_STATE_SHUTDOWN)
		sb_add(&d->peers, "shut down: sends get EPIPE; receivers drain the %llu message(s) left, then get EPIPE",
		       ULL(q->depth_msgs));
	else if (o->has_owner_alive && !o->owner_alive)
		sb_add(&d->peers, "the creator's handle is gone (the queue persists)");
	else
		sb_add(&d->peers, "the owner (pid %u) is alive", o->owner_pid);
	if (!o->readers)
		sb_add(&d->peers, "; no handle can receive: nothing will drain it");
	else {
		sb_add(&d->peers, "; %u handle(s) can receive", o->readers);
		if (nh) {
			sb_add(&d->peers, ": ");
			kctl_holder_pids(&d->peers, h, nh, 'r');
		}
	}
	if (!o->writers && o->state == KIPC_STATE_LIVE)
		sb_add(&d->peers, "; no handle can send: receivers wait for nothing");
	else if (o->writers) {
		sb_add(&d->peers, "; %u can send", o->writers);
		if (nh) {
			sb_add(&d->peers, ": ");
			kctl_holder_pids(&d->peers, h, nh, 'w');
		}
	}
}

static void kctl_diag_locks(const struct kipcnl_region *r, struct sbuf *sb)
{
	const char *sep = "";
	unsigned int i;

	if (!r->nr_locks) {
		sb_add(sb, "none registered");
		return;
	}
	for (i = 0; i < r->nr_locks; i++) {
		const struct kipcnl_lock *l = &r->locks[i];

		sb_add(sb, "%slock at 0x%llx ", sep, ULL(l->offset));
		sep = "; ";
		if (l->notrecoverable)
			sb_add(sb, "is not recoverable (a holder died and it was unlocked without kipc_lock_consistent): every kipc_lock fails");
		else if (l->has_holder && l->owner_died)
			sb_add(sb, "is held by pid %u, who took it from a dead holder and must call kipc_lock_consistent",
			       l->holder_pid);
		else if (l->has_holder)
			sb_add(sb, "is held by pid %u", l->holder_pid);
		else if (l->owner_died)
			sb_add(sb, "was held by a process that died: the next kipc_lock gets EOWNERDEAD");
		else
			sb_add(sb, "is free");
		if (l->waiters)
			sb_add(sb, ", %u waiting for it", l->waiters);
	}
	if (r->owner_died)
		sb_add(sb, "; %u EOWNERDEAD recoveries so far", r->owner_died);
}

/*
 * For each contended lock whose holder sleeps in kipc: is it blocked
 * sending to a full queue that a waiter here should drain?
 */
static void kctl_region_lock_chain(struct sbuf *sb, const struct kctl_show *s)
{
	const struct kipcnl_region *r = &s->o->r;
	const struct kctl_holder *hh;
	const struct kctl_rel *q;
	unsigned int i;
	size_t k;

	for (i = 0; i < r->nr_locks; i++) {
		const struct kipcnl_lock *l = &r->locks[i];

		if (!l->has_holder || !l->waiters)
			continue;
		hh = kctl_holder_pid(s, l->holder_pid);
		if (!hh || !hh->blocked_tid)
			continue;
		q = kctl_rel_full_queue(s, hh->pid);
		if (!q)
			continue;
		sb_add(sb, "; pid %u, holding the lock at 0x%llx, is itself asleep in %s and holds ",
		       l->holder_pid, ULL(l->offset), hh->wchan);
		kctl_obj_label(sb, &q->obj);
		sb_add(sb, ", which is full with %u sender(s) blocked",
		       q->obj.q.blocked_senders);
		for (k = 0; k < s->nrel; k++) {
			const struct kctl_rel *x = &s->rel[k];

			if (x->pid == hh->pid || x->obj.id != q->obj.id)
				continue;
			sb_add(sb, "; pid %d (%s), asleep here, holds that queue too: if it is the receiver, this is a deadlock (pid %u sends while holding the lock the receiver needs)",
			       (int)x->pid, x->comm, l->holder_pid);
			break;
		}
	}
}

static void kctl_diag_region(const struct kctl_show *s, struct kctl_diag *d)
{
	const struct kipcnl_obj *o = s->o;
	const struct kctl_holder *h = s->h;
	size_t nh = s->nh;
	const struct kipcnl_region *r = &o->r;
	const struct kipcnl_ring *rg = &r->ring;
	unsigned int lock_waiters = 0, i;
	bool full = false;

	for (i = 0; i < r->nr_locks; i++)
		lock_waiters += r->locks[i].waiters;
	if (r->has_ring)
		/* Less room than a small record: the producer must wait. */
		full = rg->capacity - rg->used < 64;

	if (r->has_ring) {
		if (rg->used)
			sb_add(&d->data_in, "yes: %u bytes are in the ring (of %u)",
			       rg->used, rg->capacity);
		else
			sb_add(&d->data_in, "the ring is empty now (a ring keeps no totals: what was sent has been consumed, or nothing was sent)");
		sb_add(&d->boundaries, "records are length-framed: a record is consumed whole, never split or merged");
	} else {
		sb_add(&d->data_in, "n/a: a plain region is shared memory (%llu bytes) with no message counters; see locks and waiters",
		       ULL(r->size));
		sb_add(&d->boundaries, "n/a: a plain region has no messages");
	}

	if (!r->waiters)
		sb_add(&d->woken, "no task is asleep in wait or lock");
	else
		sb_add(&d->woken, "%u task(s) asleep in wait or lock (%u on locks)",
		       r->waiters, lock_waiters);
	if (r->has_ring && r->waiters > lock_waiters) {
		if (!rg->used)
			sb_add(&d->woken, ": the consumer waits for data, as it should on an empty ring");
		else if (full)
			sb_add(&d->woken, ": the producer waits for room in the full ring");
		else
			sb_add(&d->woken, " although the ring holds data and has room: a wake-up was missed");
	}
	for (i = 0; i < nh; i++) {
		const struct kipcnl_lock *held = NULL, *waited = NULL;
		unsigned int k;

		if (!h[i].blocked_tid || (i && h[i].pid == h[i - 1].pid))
			continue;
		for (k = 0; k < r->nr_locks; k++) {
			const struct kipcnl_lock *l = &r->locks[k];

			if (l->has_holder && (pid_t)l->holder_pid == h[i].pid)
				held = held ? held : l;
			else if (l->waiters)
				waited = waited ? waited : l;
		}
		sb_add(&d->woken, "; pid %d (%s) is asleep in %s", (int)h[i].pid,
		       h[i].comm, h[i].wchan);
		if (held)
			sb_add(&d->woken, " while it holds the lock at 0x%llx: it waits on another object (see elsewhere)",
			       ULL(held->offset));
		else if (waited)
			sb_add(&d->woken, ", probably for the lock at 0x%llx",
			       ULL(waited->offset));
	}

	if (!r->has_ring)
		sb_add(&d->backpressure, "n/a: a plain region has no flow control");
	else if (full)
		sb_add(&d->backpressure, "at the consumer: the ring is full (%u/%u bytes); the producer waits for it",
		       rg->used, rg->capacity);
	else if (!rg->used)
		sb_add(&d->backpressure, "at the producer: the ring is empty; the consumer waits for it");
	else
		sb_add(&d->backpressure, "none: %u of %u bytes used", rg->used,
		       rg->capacity);

	kctl_diag_locks(r, &d->locks);
	kctl_region_lock_chain(&d->locks, s);

	if (o->state == KIPC_STATE_DEAD)
		sb_add(&d->peers, "the owner (pid %u) is gone: the region is dead (mappings stay valid; kipc_wait gets EPIPE)",
		       o->owner_pid);
	else if (o->has_owner_alive && !o->owner_alive)
		sb_add(&d->peers, "the creator's handle is gone (the region persists)");
	else
		sb_add(&d->peers, "the owner (pid %u) is alive", o->owner_pid);
	if (r->orphaned)
		sb_add(&d->peers, "; a peer is gone: only one handle is left, so kipc_wait returns EPIPE");
	sb_add(&d->peers, "; %u handle(s) open", o->handles);
	if (r->has_ring) {
		if (rg->producer_gone)
			sb_add(&d->peers, "; the ring's producer is gone: the consumer drains what is left, then gets EPIPE");
		else if (rg->has_producer)
			sb_add(&d->peers, "; producer pid %u", rg->producer_pid);
		else
			sb_add(&d->peers, "; no producer attached");
		if (rg->consumer_gone)
			sb_add(&d->peers, "; the ring's consumer is gone: the producer gets EPIPE");
		else if (rg->has_consumer)
			sb_add(&d->peers, "; consumer pid %u", rg->consumer_pid);
		else
			sb_add(&d->peers, "; no consumer attached");
	}
}

static void kctl_diag_event(const struct kipcnl_obj *o, struct kctl_diag *d)
{
	const struct kipcnl_event *e = &o->e;

	sb_add(&d->data_in, "%llu posts, %llu waits satisfied; the count is %llu",
	       ULL(e->posts), ULL(e->waits), ULL(e->count));
	if (e->waiters && !e->count)
		sb_add(&d->woken, "%u waiter(s) asleep: nothing was posted for them yet",
		       e->waiters);
	else if (e->waiters)
		sb_add(&d->woken, "%u waiter(s) asleep while the count is %llu: they are being woken",
		       e->waiters, ULL(e->count));
	else
		sb_add(&d->woken, "no waiter is asleep");
	switch (e->kind) {
	case KIPC_EVENT_SEMAPHORE:
		sb_add(&d->boundaries, "a semaphore: each post adds, each wait takes 1");
		break;
	case KIPC_EVENT_COUNTER:
		sb_add(&d->boundaries, "a counter: posts accumulate; a wait takes their sum");
		break;
	default:
		sb_add(&d->boundaries, "a flag: posts merge into one; a wait takes it");
		break;
	}
	sb_add(&d->backpressure, "none: a post never blocks (a count past 2^64-1 fails with EOVERFLOW)");
	sb_add(&d->locks, "none: an event has no locks");
	if (o->state == KIPC_STATE_DEAD)
		sb_add(&d->peers, "the owner (pid %u) is gone: waiters wake with EPIPE and posts fail",
		       o->owner_pid);
	else
		sb_add(&d->peers, "the owner (pid %u) is %s; %u handle(s): %u can wait, %u can post",
		       o->owner_pid,
		       o->has_owner_alive && !o->owner_alive ? "gone (the event persists)" : "alive",
		       o->handles, o->readers, o->writers);
}

void kctl_diagnose(const struct kctl_show *s, struct kctl_diag *d)
{
	memset(d, 0, sizeof(*d));
	if (s->o->has_queue)
		kctl_diag_queue(s, d);
	else if (s->o->has_region)
		kctl_diag_region(s, d);
	else if (s->o->has_event)
		kctl_diag_event(s->o, d);
}

/* The other objects of each holder that sleeps in kipc. */
void kctl_gather_rel(struct kipcnl *nl, struct kctl_show *s)
{
	size_t i, k, n;
	uint32_t *ids;
	pid_t last = 0;

	s->rel = calloc(KCTL_MAX_REL, sizeof(*s->rel));
	if (!s->rel)
		return;
	for (i = 0; i < s->nh; i++) {
		const struct kctl_holder *h = &s->h[i];

		if (!h->blocked_tid || h->pid == last)
			continue;
		last = h->pid;
		if (kctl_pid_objects(h->pid, &ids, &n))
			continue;
		for (k = 0; k < n && s->nrel < KCTL_MAX_REL; k++) {
			struct kctl_rel *r = &s->rel[s->nrel];

			if (ids[k] == s->o->id ||
			    kipcnl_get(nl, NULL, ids[k], &r->obj))
				continue;
			r->pid = h->pid;
			snprintf(r->comm, sizeof(r->comm), "%s", h->comm);
			s->nrel++;
		}
		free(ids);
	}
}

void kctl_release_rel(struct kctl_show *s)
{
	size_t i;

	for (i = 0; i < s->nrel; i++)
		kipcnl_obj_release(&s->rel[i].obj);
	free(s->rel);
}
