/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc: typed message queues.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "kipc.h"
#include "syscall.h"
#include "region.h"

/* The ioctl argument sizes are ABI: a change here breaks binaries. */
_Static_assert(sizeof(struct kipc_ioc_queue_create) == 64, "struct kipc_ioc_queue_create ABI");
_Static_assert(sizeof(struct kipc_ioc_open) == 24, "struct kipc_ioc_open ABI");
_Static_assert(sizeof(struct kipc_ioc_send) == 32, "struct kipc_ioc_send ABI");
_Static_assert(sizeof(struct kipc_ioc_recv) == 40, "struct kipc_ioc_recv ABI");
_Static_assert(sizeof(struct kipc_ioc_shutdown) == 8, "struct kipc_ioc_shutdown ABI");
_Static_assert(sizeof(struct kipc_ioc_queue_stat) == 248, "struct kipc_ioc_queue_stat ABI");
_Static_assert(sizeof(struct kipc_ioc_queue_thread) == 8, "struct kipc_ioc_queue_thread ABI");
_Static_assert(sizeof(struct kipc_ioc_recv_leased) == 40, "struct kipc_ioc_recv_leased ABI");
_Static_assert(sizeof(struct kipc_ioc_ack) == 24, "struct kipc_ioc_ack ABI");
_Static_assert(sizeof(struct kipc_msgdesc) == 56, "struct kipc_msgdesc ABI");

/* What the kernel reports of a received message, from @d into @m. */
static void kipc__msg_out(struct kipc_msg *m, const struct kipc_msgdesc *d)
{
	m->type = d->type;
	m->prio = d->prio;
	m->len = d->len;
	m->flags = d->flags;
	m->pid = d->pid;
	m->uid = d->uid;
	m->deliveries = d->deliveries;
	m->seq = d->seq;
	m->ts_ns = d->ts_ns;
}

/*
 * The end of a one-message receive into @buf: the result, and @info
 * (the length a too-small buffer needs on -EMSGSIZE).
 */
static ssize_t kipc__recv_done(int ret, const struct kipc_msgdesc *d,
			       void *buf, struct kipc_msg *info)
{
	if (ret == -EMSGSIZE && info)
		info->len = d->len;	/* the length the message needs */
	if (ret < 0)
		return ret;
	if (info) {
		*info = (struct kipc_msg) { .data = buf };
		kipc__msg_out(info, d);
	}
	return (ssize_t)d->len;
}

/*
 * struct kipc_msg is struct kipc_msgdesc with a native pointer and size_t.
 * On LP64 the two are the same bytes, so an array of kipc_msg goes to the
 * kernel as is; elsewhere it is converted through a temporary array.
 */
#if UINTPTR_MAX == UINT64_MAX
#define KIPC__MSG_SAME(m)						\
	_Static_assert(offsetof(struct kipc_msg, m) ==			\
		       offsetof(struct kipc_msgdesc, m) &&		\
		       sizeof(((struct kipc_msg *)0)->m) ==		\
		       sizeof(((struct kipc_msgdesc *)0)->m),		\
		       "struct kipc_msg." #m " != struct kipc_msgdesc." #m)

KIPC__MSG_SAME(type);
KIPC__MSG_SAME(prio);
KIPC__MSG_SAME(data);
KIPC__MSG_SAME(len);
KIPC__MSG_SAME(flags);
KIPC__MSG_SAME(pid);
KIPC__MSG_SAME(uid);
KIPC__MSG_SAME(__reserved);
KIPC__MSG_SAME(deliveries);
KIPC__MSG_SAME(seq);
KIPC__MSG_SAME(ts_ns);
_Static_assert(sizeof(struct kipc_msg) == sizeof(struct kipc_msgdesc),
	       "struct kipc_msg != struct kipc_msgdesc");
_Static_assert(_Alignof(struct kipc_msg) == _Alignof(struct kipc_msgdesc),
	       "struct kipc_msg alignment");

/* Issue @cmd with @arg's msgs pointing at the caller's array. */
static int kipc__batch(int q, unsigned long cmd, void *arg, __u64 *argmsgs,
		       struct kipc_msg *msgs, unsigned int n)
{
	(void)n;
	*argmsgs = kipc__ptr(msgs);
	return kipc__ioctl(q, cmd, arg);
}
#else
static int kipc__batch(int q, unsigned long cmd, void *arg, __u64 *argmsgs,
		       struct kipc_msg *msgs, unsigned int n)
{
	struct kipc_msgdesc *d;
	unsigned int i;
	int ret;

	/* What the kernel would answer, without allocating for it. */
	if (n == 0 || n > KIPC_BATCH_MAX)
		return -EINVAL;
	if (!msgs)
		return -EFAULT;

	d = malloc(n * sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		d[i] = (struct kipc_msgdesc) {
			.type		= msgs[i].type,
			.prio		= msgs[i].prio,
			.data		= kipc__ptr(msgs[i].data),
			.len		= msgs[i].len,
			.flags		= msgs[i].flags,
			.pid		= msgs[i].pid,
			.uid		= msgs[i].uid,
			.__reserved	= msgs[i].__reserved,
			.seq		= msgs[i].seq,
			.ts_ns		= msgs[i].ts_ns,
		};
	}

	*argmsgs = kipc__ptr(d);
	ret = kipc__ioctl(q, cmd, arg);

	/* Outputs come back on errors too (the length on -EMSGSIZE). */
	for (i = 0; i < n; i++)
		kipc__msg_out(&msgs[i], &d[i]);
	free(d);
	return ret;
}
#endif

KIPC_API int kipc_queue_create(const char *name,
			       const struct kipc_queue_attr *attr,
			       int flags, mode_t mode)
{
	struct kipc_ioc_queue_create arg = {
		.size	= sizeof(arg),
		.flags	= flags,
		.name	= kipc__ptr(name),
		.mode	= mode,
	};

	if (attr) {
		arg.policy = attr->policy;
		arg.max_msgs = attr->max_msgs;
		arg.max_msg_size = attr->max_msg_size;
		arg.max_bytes = attr->max_bytes;
		arg.qflags = attr->flags;
		arg.max_deliveries = attr->max_deliveries;
		arg.lease_timeout_ms = attr->lease_timeout_ms;
		arg.dead_letter = kipc__ptr(attr->dead_letter);
	}

	return kipc__ctx_ioctl(KIPC_IOC_QUEUE_CREATE, &arg);
}

KIPC_API int kipc_queue_open(const char *name, int flags)
{
	return kipc__open(name, flags, KIPC_KIND_QUEUE);
}

KIPC_API int kipc_send(int q, uint32_t type, uint32_t prio, const void *buf,
		       size_t len, int64_t timeout_ns)
{
	struct kipc_msgdesc d = {
		.type	= type,
		.prio	= prio,
		.data	= kipc__ptr(buf),
		.len	= len,
	};
	struct kipc_ioc_send arg = {
		.size		= sizeof(arg),
		.msgs		= kipc__ptr(&d),
		.count		= 1,
		.timeout_ns	= timeout_ns,
	};
	int ret;

	ret = kipc__ioctl(q, KIPC_IOC_SEND, &arg);
	if (ret < 0)
		return ret;
	return (d.flags & KIPC_MSG_DROPPED) ? KIPC_DROPPED : 0;
}

KIPC_API ssize_t kipc_recv(int q, const struct kipc_select *sel, void *buf,
			   size_t cap, struct kipc_msg *info,
			   int64_t timeout_ns)
{
	struct kipc_msgdesc d = {
		.data	= kipc__ptr(buf),
		.len	= cap,
	};
	struct kipc_ioc_recv arg = {
		.size		= sizeof(arg),
		.msgs		= kipc__ptr(&d),
		.count		= 1,
		.sel_mode	= sel ? sel->mode : KIPC_SEL_ANY,
		.sel_type	= sel ? sel->type : 0,
		.timeout_ns	= timeout_ns,
	};
	int ret;

	ret = kipc__ioctl(q, KIPC_IOC_RECV, &arg);
	return kipc__recv_done(ret, &d, buf, info);
}

KIPC_API int kipc_sendv(int q, struct kipc_msg *msgs, unsigned int n,
			int64_t timeout_ns)
{
	struct kipc_ioc_send arg = {
		.size		= sizeof(arg),
		.count		= n,
		.timeout_ns	= timeout_ns,
	};

	return kipc__batch(q, KIPC_IOC_SEND, &arg, &arg.msgs, msgs, n);
}

KIPC_API int kipc_recvv(int q, const struct kipc_select *sel,
			struct kipc_msg *msgs, unsigned int n,
			int64_t timeout_ns)
{
	struct kipc_ioc_recv arg = {
		.size		= sizeof(arg),
		.count		= n,
		.sel_mode	= sel ? sel->mode : KIPC_SEL_ANY,
		.sel_type	= sel ? sel->type : 0,
		.timeout_ns	= timeout_ns,
	};

	return kipc__batch(q, KIPC_IOC_RECV, &arg, &arg.msgs, msgs, n);
}

KIPC_API int kipc_queue_shutdown(int q)
{
	struct kipc_ioc_shutdown arg = {
		.size	= sizeof(arg),
	};

	return kipc__ioctl(q, KIPC_IOC_SHUTDOWN, &arg);
}

KIPC_API int kipc_queue_stat(int q, struct kipc_queue_stat *st)
{
	struct kipc_ioc_queue_stat qi = {
		.size	= sizeof(qi),
	};
	int ret;

	if (!st)
		return -EINVAL;
	ret = kipc__ioctl(q, KIPC_IOC_QUEUE_STAT, &qi);
	if (ret < 0)
		return ret;

	*st = (struct kipc_queue_stat) {
		.depth_msgs		= qi.depth_msgs,
		.depth_bytes		= qi.depth_bytes,
		.max_msgs		= qi.max_msgs,
		.max_bytes		= qi.max_bytes,
		.high_water		= qi.high_water,
		.sent			= qi.sent,
		.received		= qi.received,
		.dropped_new		= qi.dropped_new,
		.dropped_oldest		= qi.dropped_oldest,
		.conflated		= qi.conflated,
		.rejected		= qi.rejected,
		.timeouts		= qi.timeouts,
		.wakeups		= qi.wakeups,
		.max_msg_size		= qi.max_msg_size,
		.policy			= qi.policy,
		.flags			= qi.qflags,
		.blocked_senders	= qi.blocked_senders,
		.blocked_receivers	= qi.blocked_receivers,
		.senders		= qi.senders,
		.receivers		= qi.receivers,
		.state			= qi.state,
		.owner_pid		= qi.owner_pid,
		.id			= qi.id,
		.inflight_msgs		= qi.inflight_msgs,
		.inflight_bytes		= qi.inflight_bytes,
		.leased			= qi.leased,
		.acked			= qi.acked,
		.nacked			= qi.nacked,
		.expired		= qi.expired,
		.redelivered		= qi.redelivered,
		.dead_lettered		= qi.dead_lettered,
		.dead_dropped		= qi.dead_dropped,
		.handle_inflight	= qi.handle_inflight,
		.max_deliveries		= qi.max_deliveries,
		.lease_timeout_ms	= qi.lease_timeout_ms,
		.dead_letter_id		= qi.dead_letter_id,
	};
	return 0;
}

/*
 * Leased receive.  The lease owner is the calling thread: the kernel
 * takes a thread handle of the queue (lib/thread.c) only from the thread
 * that made it.  A thread's table entry can be stale (the fd was closed
 * and its number reused, the thread handle was closed behind the
 * library's back): the kernel then says -EBADF, and the call is tried
 * once more with a new thread handle.
 */
static int kipc__leased(int q, struct kipc_ioc_recv_leased *arg,
			struct kipc_msg *msgs, unsigned int n)
{
	int tfd, ret, fresh;

	for (fresh = 0; fresh < 2; fresh++) {
		tfd = kipc__queue_thread(q, fresh);
		if (tfd < 0)
			return tfd;
		arg->thread_fd = tfd;
		if (msgs)
			ret = kipc__batch(q, KIPC_IOC_RECV_LEASED, arg,
					  &arg->msgs, msgs, n);
		else
			ret = kipc__ioctl(q, KIPC_IOC_RECV_LEASED, arg);
		if (ret != -EBADF)
			break;
	}
	return ret;
}

KIPC_API ssize_t kipc_recv_leased(int q, const struct kipc_select *sel,
				  void *buf, size_t cap,
				  struct kipc_msg *info, int64_t timeout_ns)
{
	struct kipc_msgdesc d = {
		.data	= kipc__ptr(buf),
		.len	= cap,
	};
	struct kipc_ioc_recv_leased arg = {
		.size		= sizeof(arg),
		.msgs		= kipc__ptr(&d),
		.count		= 1,
		.sel_mode	= sel ? sel->mode : KIPC_SEL_ANY,
		.sel_type	= sel ? sel->type : 0,
		.timeout_ns	= timeout_ns,
	};
	int ret;

	ret = kipc__leased(q, &arg, NULL, 1);
	return kipc__recv_done(ret, &d, buf, info);
}

KIPC_API int kipc_recvv_leased(int q, const struct kipc_select *sel,
			       struct kipc_msg *msgs, unsigned int n,
			       int64_t timeout_ns)
{
	struct kipc_ioc_recv_leased arg = {
		.size		= sizeof(arg),
		.count		= n,
		.sel_mode	= sel ? sel->mode : KIPC_SEL_ANY,
		.sel_type	= sel ? sel->type : 0,
		.timeout_ns	= timeout_ns,
	};

	return kipc__leased(q, &arg, msgs, n);
}

static int kipc__ack(int q, const uint64_t *seqs, unsigned int n,
		     uint32_t flags)
{
	struct kipc_ioc_ack arg = {
		.size	= sizeof(arg),
		.flags	= flags,
		.seqs	= kipc__ptr(seqs),
		.count	= n,
	};

	return kipc__ioctl(q, KIPC_IOC_ACK, &arg);
}

KIPC_API int kipc_lease_release(int q)
{
	kipc__queue_forget(q);
	return 0;
}

KIPC_API int kipc_ack(int q, uint64_t seq)
{
	int ret = kipc__ack(q, &seq, 1, 0);

	return ret < 0 ? ret : 0;
}

KIPC_API int kipc_nack(int q, uint64_t seq)
{
	int ret = kipc__ack(q, &seq, 1, KIPC_ACK_NACK);

	return ret < 0 ? ret : 0;
}

KIPC_API int kipc_ackv(int q, const uint64_t *seqs, unsigned int n)
{
	return kipc__ack(q, seqs, n, 0);
}

KIPC_API int kipc_nackv(int q, const uint64_t *seqs, unsigned int n)
{
	return kipc__ack(q, seqs, n, KIPC_ACK_NACK);
}
