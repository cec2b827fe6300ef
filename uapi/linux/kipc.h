/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kipc - kernel-assisted IPC: typed message queues, shared regions, events.
 *
 * This is the ioctl ABI of /dev/kipc and of the handle file descriptors it
 * returns.
 */
#ifndef _UAPI_LINUX_KIPC_H
#define _UAPI_LINUX_KIPC_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/const.h>

/**
 * DOC: kipc ioctl ABI
 *
 * open("/dev/kipc") gives a *context* file descriptor.  The create and open
 * ioctls on it return a new *handle* file descriptor (an anonymous inode,
 * close-on-exec) bound to one object: a queue, a region or an event.  The
 * remaining ioctls are issued on handles.
 *
 * Every ioctl argument is an extensible struct that starts with
 * ``__u32 size; __u32 flags;``.  ``size`` is sizeof() the struct as the
 * caller knows it.  A size smaller than the first published version of the
 * struct is -EINVAL; a larger size is accepted when every byte the kernel
 * does not know is zero, else -E2BIG.  Unknown bits in ``flags`` and
 * non-zero ``__reserved`` fields are -EINVAL.  Pointers travel as
 * ``__aligned_u64``.
 *
 * Errors have the same meaning everywhere:
 *
 * - EINVAL: bad attribute, unknown flag bit, type 0, priority > 31,
 *   misaligned offset, reserved field not 0, size below the minimum.
 * - E2BIG: a struct larger than the kernel knows, with a non-zero tail.
 * - EMSGSIZE: payload larger than max_msg_size; receive buffer too small
 *   (the message stays queued and its length is reported).
 * - EAGAIN: the call would block (timeout 0, KIPC_NONBLOCK,
 *   KIPC_POLICY_FAIL).
 * - ETIMEDOUT: the timeout passed.
 * - EINTR: a signal arrived; nothing was consumed or lost.  A wait without
 *   a timeout returns -ERESTARTSYS instead, so SA_RESTART restarts it.
 * - EPIPE: the object was shut down, its owner died, or the peer is gone.
 * - ENOENT, EEXIST, ENAMETOOLONG: names.
 * - EACCES: the caller's fsuid/fsgid has no such access to the object.
 * - EPERM: only the object's uid or CAP_IPC_OWNER may unlink it.
 * - ENOSPC: a kipc limit or quota (see the module parameters).
 * - EBADF: not a kipc handle, or a handle opened without the access the
 *   call needs (receive on a write-only handle, like read(2)).
 * - ENOTTY: the wrong kind of handle for the call, or, on open, a name that
 *   belongs to an object of another kind.
 * - EFAULT: a bad user pointer.
 */

#define KIPC_IOC_MAGIC		0xB8

/* Object kinds. */
#define KIPC_KIND_QUEUE		1
#define KIPC_KIND_REGION	2
#define KIPC_KIND_EVENT		3

/* Object states, as reported by stat, fdinfo and netlink. */
#define KIPC_STATE_LIVE		0
#define KIPC_STATE_SHUTDOWN	1
#define KIPC_STATE_DEAD		2

/*
 * Flags of the create and open calls.  Access is a bit mask: a create
 * always gives a KIPC_RDWR handle; an open must ask for at least one of
 * KIPC_RDONLY and KIPC_WRONLY.
 */
#define KIPC_RDONLY		_BITUL(0)
#define KIPC_WRONLY		_BITUL(1)
#define KIPC_RDWR		(KIPC_RDONLY | KIPC_WRONLY)
#define KIPC_NONBLOCK		_BITUL(2)
#define KIPC_PERSIST		_BITUL(3)

#define KIPC_NAME_MAX		255

/* Queue backpressure policies: what a send does when the queue is full. */
#define KIPC_POLICY_BLOCK	0
#define KIPC_POLICY_FAIL	1
#define KIPC_POLICY_DROP_NEW	2
#define KIPC_POLICY_DROP_OLDEST	3

/* Queue flags (struct kipc_queue_create.qflags). */
#define KIPC_Q_CONFLATE		_BITUL(0)

/* Queue limits of the ABI; the module parameters may lower them. */
#define KIPC_PRIO_MAX		31
#define KIPC_MSG_SIZE_MAX	(1024U * 1024U)
#define KIPC_BATCH_MAX		1024

/* Receive selectors. */
#define KIPC_SEL_ANY		0
#define KIPC_SEL_EQ		1
#define KIPC_SEL_LE		2
#define KIPC_SEL_NE		3

/* kipc_send() result when the policy discarded the message. */
#define KIPC_DROPPED		1

/* struct kipc_msgdesc.flags, out: the policy discarded this message. */
#define KIPC_MSG_DROPPED	_BITUL(0)

/**
 * struct kipc_queue_create - KIPC_IOC_QUEUE_CREATE argument
 * @size: sizeof(struct kipc_queue_create)
 * @flags: KIPC_PERSIST, KIPC_NONBLOCK
 * @name: pointer to a NUL-terminated name, or 0 for an anonymous queue
 * @mode: permission bits (0777 mask), like SysV ipc_perm
 * @policy: KIPC_POLICY_*
 * @max_msgs: capacity in messages, 0 for the default (256)
 * @max_msg_size: largest payload in bytes, 0 for the default (8192)
 * @max_bytes: capacity in payload bytes, 0 for max_msgs * max_msg_size
 * @qflags: KIPC_Q_CONFLATE
 * @__reserved: must be 0
 *
 * Returns the new handle fd (KIPC_RDWR, the queue's owner).
 */
struct kipc_queue_create {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
	__u32 mode;
	__u32 policy;
	__u32 max_msgs;
	__u32 max_msg_size;
	__aligned_u64 max_bytes;
	__u32 qflags;
	__u32 __reserved;
};

/**
 * struct kipc_open - KIPC_IOC_OPEN argument
 * @size: sizeof(struct kipc_open)
 * @flags: KIPC_RDONLY, KIPC_WRONLY, KIPC_RDWR, KIPC_NONBLOCK
 * @name: pointer to a NUL-terminated name
 * @kind: KIPC_KIND_*; an object of another kind is -ENOTTY
 * @__reserved: must be 0
 *
 * Returns the new handle fd.
 */
struct kipc_open {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
	__u32 kind;
	__u32 __reserved;
};

/**
 * struct kipc_unlink - KIPC_IOC_UNLINK argument
 * @size: sizeof(struct kipc_unlink)
 * @flags: must be 0
 * @name: pointer to a NUL-terminated name
 *
 * Removes the name.  The object lives on until its last handle is closed.
 */
struct kipc_unlink {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
};

/**
 * struct kipc_msgdesc - one message of a batch send or receive
 * @type: message type, >= 1 (send: in; receive: out)
 * @prio: priority 0..31, higher first (send: in; receive: out)
 * @data: pointer to the payload (send) or to the buffer (receive)
 * @len: send: payload length; receive: in buffer capacity, out length
 *	(on -EMSGSIZE, the length the message needs)
 * @flags: send: in 0, out KIPC_MSG_DROPPED; receive: out 0
 * @pid: receive: sender's pid in the receiver's pid namespace, 0 if not
 *	visible
 * @uid: receive: sender's uid in the receiver's user namespace
 * @__reserved: must be 0 on send
 * @seq: out: the per-queue sequence number, strictly increasing in send
 *	order (a receiver sees the gaps drops leave)
 * @ts_ns: receive: enqueue time, CLOCK_MONOTONIC nanoseconds
 */
struct kipc_msgdesc {
	__u32 type;
	__u32 prio;
	__aligned_u64 data;
	__aligned_u64 len;
	__u32 flags;
	__s32 pid;
	__u32 uid;
	__u32 __reserved;
	__aligned_u64 seq;
	__aligned_u64 ts_ns;
};

/**
 * struct kipc_send - KIPC_IOC_SEND argument
 * @size: sizeof(struct kipc_send)
 * @flags: must be 0
 * @msgs: pointer to @count struct kipc_msgdesc
 * @count: 1..KIPC_BATCH_MAX
 * @__reserved: must be 0
 * @timeout_ns: relative CLOCK_MONOTONIC timeout; < 0 forever, 0 never block
 *
 * Returns how many messages were accepted (queued, handed to a receiver or
 * discarded by the policy, which sets KIPC_MSG_DROPPED).  A send that was
 * stopped by the timeout, a signal or a full KIPC_POLICY_FAIL queue after
 * accepting some messages returns that count; with none it returns the
 * error.
 */
struct kipc_send {
	__u32 size;
	__u32 flags;
	__aligned_u64 msgs;
	__u32 count;
	__u32 __reserved;
	__s64 timeout_ns;
};

/**
 * struct kipc_recv - KIPC_IOC_RECV argument
 * @size: sizeof(struct kipc_recv)
 * @flags: must be 0
 * @msgs: pointer to @count struct kipc_msgdesc (data and len are in)
 * @count: 1..KIPC_BATCH_MAX
 * @sel_mode: KIPC_SEL_*
 * @sel_type: the type the selector compares with (>= 1 unless ANY)
 * @__reserved: must be 0
 * @timeout_ns: relative CLOCK_MONOTONIC timeout; < 0 forever, 0 never block
 *
 * Waits for at least one matching message, then returns all that are
 * ready, up to @count.
 */
struct kipc_recv {
	__u32 size;
	__u32 flags;
	__aligned_u64 msgs;
	__u32 count;
	__u32 sel_mode;
	__u32 sel_type;
	__u32 __reserved;
	__s64 timeout_ns;
};

/**
 * struct kipc_shutdown - KIPC_IOC_SHUTDOWN argument
 * @size: sizeof(struct kipc_shutdown)
 * @flags: must be 0
 *
 * Graceful drain: new sends get -EPIPE; receivers drain what is queued,
 * then get -EPIPE.  Needs a handle with write access.
 */
struct kipc_shutdown {
	__u32 size;
	__u32 flags;
};

/**
 * struct kipc_queue_info - KIPC_IOC_QUEUE_STAT argument
 * @size: sizeof(struct kipc_queue_info); the kernel fills that much
 * @flags: must be 0
 *
 * The counters obey sent == received + depth_msgs + dropped_new +
 * dropped_oldest + conflated; rejected counts KIPC_POLICY_FAIL refusals
 * (not in sent), timeouts counts sends and receives that timed out.
 */
struct kipc_queue_info {
	__u32 size;
	__u32 flags;
	__u64 depth_msgs;
	__u64 depth_bytes;
	__u64 max_msgs;
	__u64 max_bytes;
	__u64 max_msg_size;
	__u64 high_water;
	__u64 sent;
	__u64 received;
	__u64 dropped_new;
	__u64 dropped_oldest;
	__u64 conflated;
	__u64 rejected;
	__u64 timeouts;
	__u64 wakeups;
	__u32 policy;
	__u32 qflags;
	__u32 blocked_senders;
	__u32 blocked_receivers;
	__u32 senders;
	__u32 receivers;
	__u32 state;
	__s32 owner_pid;
	__u32 id;
	__u32 __reserved;
};

/* Context ioctls (/dev/kipc). */
#define KIPC_IOC_QUEUE_CREATE	_IOW(KIPC_IOC_MAGIC, 0x00, struct kipc_queue_create)
#define KIPC_IOC_OPEN		_IOW(KIPC_IOC_MAGIC, 0x01, struct kipc_open)
#define KIPC_IOC_UNLINK		_IOW(KIPC_IOC_MAGIC, 0x02, struct kipc_unlink)

/* Queue handle ioctls. */
#define KIPC_IOC_SEND		_IOWR(KIPC_IOC_MAGIC, 0x10, struct kipc_send)
#define KIPC_IOC_RECV		_IOWR(KIPC_IOC_MAGIC, 0x11, struct kipc_recv)
#define KIPC_IOC_SHUTDOWN	_IOW(KIPC_IOC_MAGIC, 0x12, struct kipc_shutdown)
#define KIPC_IOC_QUEUE_STAT	_IOWR(KIPC_IOC_MAGIC, 0x13, struct kipc_queue_info)

#endif /* _UAPI_LINUX_KIPC_H */
