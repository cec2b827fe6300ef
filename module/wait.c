// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - the sleeping and waking helpers every object kind shares.
 */

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "kipc.h"

/**
 * DOC: waits
 *
 * Every kind's blocking call follows one pattern: turn the caller's
 * relative timeout into an absolute deadline (kipc_deadline()), publish a
 * waiter under the object's lock, set TASK_INTERRUPTIBLE, unlock and
 * sleep (kipc_sleep()); a signal ends the wait with kipc_interrupted(),
 * so every wait is killable and nothing is consumed before it returns.
 * A waker takes waiters off their list under the lock and collects the
 * tasks in a &struct kipc_wake_list, woken by kipc_wake_all() once the
 * lock is dropped.
 */

/**
 * kipc_deadline() - turn a relative timeout into an absolute deadline
 * @timeout_ns: relative CLOCK_MONOTONIC nanoseconds; < 0 means forever
 * @buf: storage for the deadline
 *
 * Return: @buf holding the deadline, or NULL when the wait is unbounded.
 */
ktime_t *kipc_deadline(s64 timeout_ns, ktime_t *buf)
{
	if (timeout_ns < 0)
		return NULL;
	/*
	 * A zero timeout never sleeps: any past instant will do, and the
	 * clock read it saves is a measurable part of a non-blocking call.
	 */
	*buf = timeout_ns ? ktime_add_safe(ktime_get(),
					   ns_to_ktime(timeout_ns)) : 0;
	return buf;
}

/**
 * kipc_sleep() - sleep until woken, the deadline or a signal
 * @deadline: absolute CLOCK_MONOTONIC deadline, or NULL for none
 *
 * The caller has set TASK_INTERRUPTIBLE and published itself on a waiter
 * list before dropping its lock.
 *
 * Return: -ETIMEDOUT when the deadline passed, else 0.
 */
int kipc_sleep(ktime_t *deadline)
{
	if (!deadline) {
		schedule();
		return 0;
	}
	if (!schedule_hrtimeout_range(deadline, 0, HRTIMER_MODE_ABS))
		return -ETIMEDOUT;
	return 0;
}

/**
 * kipc_interrupted() - the error for a wait that a signal interrupted
 * @deadline: the wait's deadline, or NULL when unbounded
 *
 * Nothing was consumed, so the call can be restarted.  An unbounded wait
 * restarts after a handler installed with SA_RESTART, and always after a
 * stop and continue; a timed wait restarts (with its whole timeout) only
 * when no handler ran, else it returns -EINTR to userspace.
 *
 * Return: -ERESTARTSYS or -ERESTARTNOHAND.
 */
int kipc_interrupted(ktime_t *deadline)
{
	return deadline ? -ERESTARTNOHAND : -ERESTARTSYS;
}

/**
 * kipc_wake_add() - queue a task to be woken after unlocking
 * @wl: the wake list
 * @task: the task; its waiter may vanish once the caller publishes the
 *	new waiter state, so the reference is taken here, before that
 *
 * When the list is full the task is woken at once instead.
 */
void kipc_wake_add(struct kipc_wake_list *wl, struct task_struct *task)
{
	if (wl->n == KIPC_WAKE_BATCH) {
		wake_up_process(task);
		return;
	}
	get_task_struct(task);
	wl->tasks[wl->n++] = task;
}

/**
 * kipc_wake_all() - wake the tasks of a wake list, with no lock held
 * @wl: the wake list; emptied
 */
void kipc_wake_all(struct kipc_wake_list *wl)
{
	unsigned int i;

	for (i = 0; i < wl->n; i++) {
		wake_up_process(wl->tasks[i]);
		put_task_struct(wl->tasks[i]);
	}
	wl->n = 0;
}
