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
 * Every command is ``_IO(KIPC_IOC_MAGIC, nr)`` with a KIPC_CMD_* number:
 * it encodes no size, so the command stays the same when its struct
 * grows.  A number that is not exactly such a command is -ENOTTY.
 *
 * Every ioctl argument is an extensible struct that starts with
 * ``__u32 size; __u32 flags;``.  ``size`` is sizeof() the struct as the
 * caller knows it.  A size smaller than the struct's version 1 (marked in
 * each struct; kipc 1.0 published them) is -EINVAL; a larger size is
 * accepted when every byte the kernel does not know is zero, else -E2BIG.
 * A struct only ever grows at its end, by fields whose zero value means
 * what the shorter struct meant, so an old caller keeps working with a
 * newer kernel and a new caller of a newer field gets -E2BIG from an older
 * one.  A struct the kernel fills in is written back for as many bytes as
 * both sides know.  Unknown bits in ``flags`` and non-zero ``__reserved``
 * fields are -EINVAL.  Pointers travel as ``__aligned_u64``.
 *
 * Errors have the same meaning everywhere; this is every errno the ioctls
 * (and mmap(2) of a handle) return:
 *
 * - EINVAL: bad attribute, unknown flag bit, type 0, priority > 31,
 *   misaligned offset, reserved field not 0, size below version 1; an
 *   offset that is no registered lock; KIPC_IOC_LOCK_CONSISTENT on a lock
 *   the handle does not hold owner-died; a second ring role for a handle;
 *   a private mapping.
 * - E2BIG: a struct larger than the kernel knows, with a non-zero tail.
 * - EMSGSIZE: payload larger than max_msg_size; receive buffer too small
 *   (the message stays queued and its length is reported).
 * - EAGAIN: the call would block (timeout 0, KIPC_NONBLOCK,
 *   KIPC_POLICY_FAIL); a wait word that differs from ``expected``; a lock
 *   word that others rewrote outside the lock protocol too often in one
 *   call.
 * - ETIMEDOUT: the timeout passed.
 * - EINTR: a signal handler ran; nothing was consumed or lost.  A wait
 *   without a timeout is restarted instead when the handler has
 *   SA_RESTART; any wait is restarted after a stop and continue.
 * - EPIPE: the object was shut down, its owner died, or the peer is gone.
 * - EOWNERDEAD: KIPC_IOC_LOCK took a lock whose holder died; the caller
 *   holds it and makes it consistent (KIPC_IOC_LOCK_CONSISTENT) or not.
 * - ENOTRECOVERABLE: the lock was unlocked after EOWNERDEAD without being
 *   made consistent; it can never be taken again.
 * - EDEADLK: KIPC_IOC_LOCK on a lock the calling handle holds.
 * - EBUSY: KIPC_IOC_LOCK_INIT on a lock a live handle holds; a ring role
 *   another handle holds.
 * - EOVERFLOW: an event count that would pass 2^64 - 1; nothing changes.
 * - ENOENT, EEXIST, ENAMETOOLONG: names; ENOENT also for an ack or nack
 *   of a sequence number the calling thread holds no lease on.
 * - EACCES: the caller's fsuid/fsgid has no such access to the object; a
 *   mapping with more access than the handle.
 * - EPERM: only the object's uid or CAP_IPC_OWNER may unlink it; unlock of
 *   a lock the handle does not hold.
 * - ENOSPC: a kipc limit or quota (see the module parameters).
 * - ENOMEM: the kernel, or the caller's memory cgroup, is out of memory.
 * - EBADF: not a kipc handle, or a handle opened without the access the
 *   call needs (receive on a write-only handle, like read(2)).
 * - ENOTTY: the wrong kind of handle for the call, or, on open, a name that
 *   belongs to an object of another kind.
 * - ENODEV: mmap(2) of a handle whose kind cannot be mapped.
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

/* Queue flags (struct kipc_ioc_queue_create.qflags). */
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
/*
 * struct kipc_msgdesc.flags, out: the message was delivered before and
 * that lease ended without an ack (nack, the holder ended, timeout).
 */
#define KIPC_MSG_REDELIVERED	_BITUL(1)

/* struct kipc_ioc_ack.flags: give the messages back instead (nack). */
#define KIPC_ACK_NACK		_BITUL(0)

/**
 * struct kipc_ioc_queue_create - KIPC_IOC_QUEUE_CREATE argument
 * @size: sizeof(struct kipc_ioc_queue_create)
 * @flags: KIPC_PERSIST, KIPC_NONBLOCK
 * @name: pointer to a NUL-terminated name, or 0 for an anonymous queue
 * @mode: permission bits (0777 mask), like SysV ipc_perm
 * @policy: KIPC_POLICY_*
 * @max_msgs: capacity in messages, 0 for the default (256)
 * @max_msg_size: largest payload in bytes, 0 for the default (8192)
 * @max_bytes: capacity in payload bytes, 0 for max_msgs * max_msg_size
 * @qflags: KIPC_Q_CONFLATE
 * @__reserved: must be 0
 * @max_deliveries: leases: after this many deliveries that ended without
 *	an ack, a message goes to @dead_letter (or is dropped and counted
 *	when @dead_letter is 0); 0 means no bound
 * @lease_timeout_ms: leases: a lease not acked within this many
 *	milliseconds ends (the message is put back); 0 means none
 * @dead_letter: pointer to the name of a queue the caller may send to,
 *	or 0; only with @max_deliveries
 *
 * The fields from @max_deliveries on were added with leases; a caller
 * that passes version 1's size (48 bytes) gets
 * 0 for them.  Returns the new handle fd (KIPC_RDWR, the queue's owner).
 */
struct kipc_ioc_queue_create {
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
	/* end of version 1: 48 bytes */
	__u32 max_deliveries;
	__u32 lease_timeout_ms;
	__aligned_u64 dead_letter;
	/* end of version 2 (kipc 1.0, leases): 64 bytes */
};

/**
 * struct kipc_ioc_open - KIPC_IOC_OPEN argument
 * @size: sizeof(struct kipc_ioc_open)
 * @flags: KIPC_RDONLY, KIPC_WRONLY, KIPC_RDWR, KIPC_NONBLOCK
 * @name: pointer to a NUL-terminated name
 * @kind: KIPC_KIND_*; an object of another kind is -ENOTTY
 * @__reserved: must be 0
 *
 * Returns the new handle fd.
 */
struct kipc_ioc_open {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
	__u32 kind;
	__u32 __reserved;
	/* end of version 1 (kipc 1.0): 24 bytes */
};

/**
 * struct kipc_ioc_unlink - KIPC_IOC_UNLINK argument
 * @size: sizeof(struct kipc_ioc_unlink)
 * @flags: must be 0
 * @name: pointer to a NUL-terminated name
 *
 * Removes the name.  The object lives on until its last handle is closed.
 */
struct kipc_ioc_unlink {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
	/* end of version 1 (kipc 1.0): 16 bytes */
};

/**
 * struct kipc_msgdesc - one message of a batch send or receive
 * @type: message type, >= 1 (send: in; receive: out)
 * @prio: priority 0..31, higher first (send: in; receive: out)
 * @data: pointer to the payload (send) or to the buffer (receive)
 * @len: send: payload length; receive: in buffer capacity, out length
 *	(on -EMSGSIZE, the length the message needs)
 * @flags: send: in 0, out KIPC_MSG_DROPPED; receive: out 0 or
 *	KIPC_MSG_REDELIVERED
 * @pid: receive: sender's pid in the receiver's pid namespace, 0 if not
 *	visible
 * @uid: receive: sender's uid in the receiver's user namespace
 * @__reserved: must be 0 on send
 * @deliveries: receive: out, how many times the message has been
 *	delivered, this time included (1 unless a lease of it ended without
 *	an ack)
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
	union {
		__u32 __reserved;
		__u32 deliveries;
	};
	__aligned_u64 seq;
	__aligned_u64 ts_ns;
};

/**
 * struct kipc_ioc_send - KIPC_IOC_SEND argument
 * @size: sizeof(struct kipc_ioc_send)
 * @flags: must be 0
 * @msgs: pointer to @count struct kipc_msgdesc
 * @count: 1..KIPC_BATCH_MAX
 * @__reserved: must be 0
 * @timeout_ns: relative CLOCK_MONOTONIC timeout; < 0 forever, 0 never block
 *
 * Returns how many messages were accepted (queued, handed to a receiver or
 * discarded by the policy, which sets KIPC_MSG_DROPPED).  A send that was
 * stopped by the timeout, a signal, a full KIPC_POLICY_FAIL queue or a
 * fault (a bad payload, or descriptors that cannot be written back) after
 * accepting some messages returns that count; with none it returns the
 * error.
 */
struct kipc_ioc_send {
	__u32 size;
	__u32 flags;
	__aligned_u64 msgs;
	__u32 count;
	__u32 __reserved;
	__s64 timeout_ns;
	/* end of version 1 (kipc 1.0): 32 bytes */
};

/**
 * struct kipc_ioc_recv - KIPC_IOC_RECV argument
 * @size: sizeof(struct kipc_ioc_recv)
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
struct kipc_ioc_recv {
	__u32 size;
	__u32 flags;
	__aligned_u64 msgs;
	__u32 count;
	__u32 sel_mode;
	__u32 sel_type;
	__u32 __reserved;
	__s64 timeout_ns;
	/* end of version 1 (kipc 1.0): 40 bytes */
};

/**
 * struct kipc_ioc_shutdown - KIPC_IOC_SHUTDOWN argument
 * @size: sizeof(struct kipc_ioc_shutdown)
 * @flags: must be 0
 *
 * Graceful drain: new sends get -EPIPE; receivers drain what is queued,
 * then get -EPIPE.  Needs a handle with write access.
 */
struct kipc_ioc_shutdown {
	__u32 size;
	__u32 flags;
	/* end of version 1 (kipc 1.0): 8 bytes */
};

/**
 * struct kipc_ioc_queue_stat - KIPC_IOC_QUEUE_STAT argument
 * @size: sizeof(struct kipc_ioc_queue_stat); the kernel fills that much
 * @flags: must be 0
 *
 * The counters obey sent == received + depth_msgs + inflight_msgs +
 * dropped_new + dropped_oldest + conflated + dead_lettered + dead_dropped
 * (received counts plain receives and acks); rejected counts
 * KIPC_POLICY_FAIL refusals (not in sent), timeouts counts sends and
 * receives that timed out.
 *
 * The fields from @inflight_msgs on were added with leases (a caller that
 * passes version 1's size, 160 bytes, does not get them): messages leased
 * now (queue-wide, and @handle_inflight: taken through this handle or
 * held by it when it is a thread handle), leased deliveries, acks, nacks, lease timeouts,
 * messages put back (redelivered), moved to the dead-letter queue or
 * dropped at max_deliveries, and the queue's lease attributes.
 */
struct kipc_ioc_queue_stat {
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
	/* end of version 1: 160 bytes */
	__u64 inflight_msgs;
	__u64 inflight_bytes;
	__u64 leased;
	__u64 acked;
	__u64 nacked;
	__u64 expired;
	__u64 redelivered;
	__u64 dead_lettered;
	__u64 dead_dropped;
	__u32 handle_inflight;
	__u32 max_deliveries;
	__u32 lease_timeout_ms;
	__u32 dead_letter_id;
	/* end of version 2 (kipc 1.0, leases): 248 bytes */
};

/**
 * struct kipc_ioc_queue_thread - KIPC_IOC_QUEUE_THREAD argument
 * @size: sizeof(struct kipc_ioc_queue_thread)
 * @flags: must be 0
 *
 * Makes a *thread handle* of the queue (as KIPC_IOC_REGION_THREAD does for
 * a region): the handle needs read access, the new one has the same, is
 * never the owner, counts in no handle count and records the calling
 * thread.  Leases taken with it as @thread_fd belong to that thread and
 * end when the thread handle is released.  Returns the new fd.
 */
struct kipc_ioc_queue_thread {
	__u32 size;
	__u32 flags;
	/* end of version 1 (kipc 1.0): 8 bytes */
};

/**
 * struct kipc_ioc_recv_leased - KIPC_IOC_RECV_LEASED argument
 * @size: sizeof(struct kipc_ioc_recv_leased)
 * @flags: must be 0
 * @msgs: pointer to @count struct kipc_msgdesc, as for KIPC_IOC_RECV
 * @count: 1..KIPC_BATCH_MAX
 * @sel_mode: KIPC_SEL_*
 * @sel_type: the selector's type
 * @thread_fd: a thread handle of this queue made by the calling thread
 *	(KIPC_IOC_QUEUE_THREAD); -EBADF otherwise
 * @timeout_ns: as for KIPC_IOC_RECV
 *
 * As KIPC_IOC_RECV, but each message is *leased*: it leaves the ready set,
 * stays charged to the queue and belongs to the calling thread until
 * KIPC_IOC_ACK.  A lease ends without an ack when @thread_fd or the handle
 * the call was made on is released, on a nack, or after the queue's lease
 * timeout; the message then goes back to its place (priority, sequence
 * order) with KIPC_MSG_REDELIVERED, or to the dead-letter queue.
 */
struct kipc_ioc_recv_leased {
	__u32 size;
	__u32 flags;
	__aligned_u64 msgs;
	__u32 count;
	__u32 sel_mode;
	__u32 sel_type;
	__s32 thread_fd;
	__s64 timeout_ns;
	/* end of version 1 (kipc 1.0): 40 bytes */
};

/**
 * struct kipc_ioc_ack - KIPC_IOC_ACK argument
 * @size: sizeof(struct kipc_ioc_ack)
 * @flags: 0 to ack (free the messages), KIPC_ACK_NACK to give them back
 * @seqs: pointer to @count __u64 sequence numbers
 * @count: 1..KIPC_BATCH_MAX
 * @__reserved: must be 0
 *
 * Every sequence number must name a lease the calling thread holds;
 * the first that does not stops the call (-ENOENT when it is the first).
 * Acks on a dead queue are -EPIPE.  Returns how many were done.
 */
struct kipc_ioc_ack {
	__u32 size;
	__u32 flags;
	__aligned_u64 seqs;
	__u32 count;
	__u32 __reserved;
	/* end of version 1 (kipc 1.0): 24 bytes */
};

/**
 * struct kipc_ioc_region_create - KIPC_IOC_REGION_CREATE argument
 * @size: sizeof(struct kipc_ioc_region_create)
 * @flags: KIPC_PERSIST, KIPC_NONBLOCK
 * @name: pointer to a NUL-terminated name, or 0 for an anonymous region
 * @mode: permission bits (0777 mask)
 * @ring: 0 for a plain region; KIPC_RING_PRODUCER or KIPC_RING_CONSUMER to
 *	make it an SPSC ring whose creator takes that role
 * @region_size: plain region: bytes, rounded up to pages; ring: the data
 *	capacity in bytes, a power of two from KIPC_RING_MIN_CAPACITY to
 *	KIPC_RING_MAX_CAPACITY (one header page is added in front)
 *
 * Returns the new handle fd (KIPC_RDWR, the region's owner).
 */
struct kipc_ioc_region_create {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
	__u32 mode;
	__u32 ring;
	__aligned_u64 region_size;
	/* end of version 1 (kipc 1.0): 32 bytes */
};

/*
 * Ring roles (struct kipc_ioc_region_create.ring, struct kipc_ioc_ring_attach);
 * distinct from the open flags so kipc_ring_create() can take them in its
 * flags.
 */
#define KIPC_RING_PRODUCER	_BITUL(4)
#define KIPC_RING_CONSUMER	_BITUL(5)

/**
 * struct kipc_ioc_region_stat - KIPC_IOC_REGION_STAT argument
 * @size: sizeof(struct kipc_ioc_region_stat); the kernel fills that much
 * @flags: must be 0
 * @region_size: bytes (page-rounded), the length to mmap
 * @token: this handle's lock owner id, the value a lock word holds while
 *	this handle owns it (1..KIPC_LOCK_OWNER_MASK - 1)
 * @access: KIPC_RDONLY and/or KIPC_WRONLY: what this handle may do
 * @handles: handles open on the region
 * @waiters: tasks asleep in wait or lock
 * @locks: registered robust locks
 * @state: KIPC_STATE_*
 * @ring_role: this handle's ring role, 0 if none or not a ring
 * @owner_pid: the creator's pid, 0 if not visible
 * @id: the object's id
 * @owner_died: lock recoveries handed out with -EOWNERDEAD
 */
struct kipc_ioc_region_stat {
	__u32 size;
	__u32 flags;
	__u64 region_size;
	__u32 token;
	__u32 access;
	__u32 handles;
	__u32 waiters;
	__u32 locks;
	__u32 state;
	__u32 ring_role;
	__s32 owner_pid;
	__u32 id;
	__u32 owner_died;
	/* end of version 1 (kipc 1.0): 56 bytes */
};

/**
 * struct kipc_ioc_wait - KIPC_IOC_WAIT argument
 * @size: sizeof(struct kipc_ioc_wait)
 * @flags: must be 0
 * @offset: byte offset of a 32-bit word in the region, 4-byte aligned
 * @expected: sleep only while the word holds this value
 * @__reserved: must be 0
 * @timeout_ns: relative CLOCK_MONOTONIC timeout; < 0 forever, 0 never block
 *
 * Returns 0 when woken; -EAGAIN when the word differs; -EPIPE when the
 * region is dead or its other handles are all gone.
 */
struct kipc_ioc_wait {
	__u32 size;
	__u32 flags;
	__aligned_u64 offset;
	__u32 expected;
	__u32 __reserved;
	__s64 timeout_ns;
	/* end of version 1 (kipc 1.0): 32 bytes */
};

/**
 * struct kipc_ioc_wake - KIPC_IOC_WAKE argument
 * @size: sizeof(struct kipc_ioc_wake)
 * @flags: must be 0
 * @offset: byte offset of the word, 4-byte aligned
 * @count: wake at most this many waiters of that word
 * @__reserved: must be 0
 *
 * Returns how many waiters were woken.
 */
struct kipc_ioc_wake {
	__u32 size;
	__u32 flags;
	__aligned_u64 offset;
	__u32 count;
	__u32 __reserved;
	/* end of version 1 (kipc 1.0): 24 bytes */
};

/*
 * Robust lock word, a __u32 in a region: the owner handle's token in the
 * low 30 bits (0 = unlocked), KIPC_LOCK_OWNER_DIED when the previous owner
 * died holding it, KIPC_LOCK_WAITERS when someone sleeps in the kernel.
 * An owner field of all ones means the lock is not recoverable.  libkipc
 * takes locks through a *thread handle* (KIPC_IOC_REGION_THREAD) of the
 * calling thread, so the owner is the thread.
 */
#define KIPC_LOCK_OWNER_MASK	0x3fffffffU
#define KIPC_LOCK_OWNER_DIED	0x40000000U
#define KIPC_LOCK_WAITERS	0x80000000U
#define KIPC_LOCK_NOTRECOVERABLE KIPC_LOCK_OWNER_MASK

/**
 * struct kipc_ioc_lock - KIPC_IOC_LOCK_INIT, KIPC_IOC_LOCK, KIPC_IOC_UNLOCK
 * @size: sizeof(struct kipc_ioc_lock)
 * @flags: must be 0
 * @offset: byte offset of the lock word, 4-byte aligned
 * @timeout_ns: KIPC_IOC_LOCK: relative timeout; < 0 forever, 0 try once
 *	(-EAGAIN when held); others: must be 0
 *
 * LOCK returns 0, or -EOWNERDEAD when the lock was acquired from a dead
 * owner, or -ENOTRECOVERABLE, -EDEADLK (this handle holds it), -EAGAIN,
 * -ETIMEDOUT, -EINTR.  UNLOCK returns -EPERM unless this handle owns the
 * lock; unlocking an owner-died lock that was not made consistent makes it
 * not recoverable.  KIPC_IOC_LOCK_CONSISTENT (timeout_ns 0) clears
 * KIPC_LOCK_OWNER_DIED of a lock this handle owns; -EINVAL otherwise.
 */
struct kipc_ioc_lock {
	__u32 size;
	__u32 flags;
	__aligned_u64 offset;
	__s64 timeout_ns;
	/* end of version 1 (kipc 1.0): 24 bytes */
};

/**
 * struct kipc_ioc_region_thread - KIPC_IOC_REGION_THREAD argument
 * @size: sizeof(struct kipc_ioc_region_thread)
 * @flags: must be 0
 *
 * Makes a *thread handle*: another handle of the same region with the
 * same access, never the owner, close-on-exec, with its own lock token
 * (KIPC_IOC_REGION_STAT on it).  A thread handle is no peer: it counts in
 * no handle count, holds no ring role and does not keep a region from
 * being orphaned.  Returns the new fd.
 */
struct kipc_ioc_region_thread {
	__u32 size;
	__u32 flags;
	/* end of version 1 (kipc 1.0): 8 bytes */
};

/**
 * DOC: SPSC rings
 *
 * This is the one description of the ring protocol; libkipc (lib/ring.c),
 * the module (module/ring.c) and docs/regions.md refer to it.
 *
 * A ring is a region created with a role in &struct kipc_ioc_region_create.ring.
 * Its first page is a &struct kipc_ring_hdr; the data area of ``capacity``
 * bytes (a power of two, KIPC_RING_MIN_CAPACITY to KIPC_RING_MAX_CAPACITY)
 * starts at ``data_offset``.  One handle holds each role
 * (KIPC_IOC_RING_ATTACH).
 *
 * Indices.  ``head`` and ``tail`` are free-running __u32 byte counters;
 * the producer alone writes ``head``, the consumer alone writes ``tail``,
 * ``head - tail`` bytes are in use and a counter's offset in the data area
 * is ``counter & (capacity - 1)``.
 *
 * Records.  A record is a &struct kipc_ring_rec followed by its payload,
 * padded to 8 bytes, and never wraps: when it does not fit before the end
 * of the data area, the producer first writes a padding record (type 0,
 * len = the bytes to the end - 8) and continues at offset 0.  Every size
 * and offset is a multiple of 8, so there is always room for a padding
 * header.  The largest record is capacity - 8 bytes of payload.
 *
 * Ordering.  The producer writes the record with plain stores and
 * publishes ``head`` with a release store; the consumer loads ``head``
 * with acquire, reads the record and publishes ``tail`` with a release
 * store, which the producer loads with acquire before it reuses the bytes.
 * A side may keep the peer's index it loaded last and load it again only
 * when the records (or the room) it showed are used up: indices only move
 * forward, so a stale one shows less, never more.
 *
 * Sleeping.  A side that finds the ring empty (consumer) or full
 * (producer) sleeps with KIPC_IOC_WAIT on the other side's index word
 * after announcing itself in its own ``*_waiting`` word; the other side
 * wakes it with KIPC_IOC_WAKE on that index word.  Both follow a Dekker
 * pattern, so no wakeup is lost::
 *
 *   publisher                          sleeper
 *   store index (release)              store my_waiting = seen | 2
 *   full fence                         full fence
 *   load peer_waiting; set: wake       load index; unchanged: wait(seen)
 *
 * (The publisher's store and fence may be one sequentially consistent
 * exchange, followed by a sequentially consistent load.)  These two
 * fences are the only full ones: the fast path is acquire and release.
 *
 * Either the publisher sees the announcement or the sleeper sees the new
 * index; the kernel compares the word with ``seen`` under the lock the
 * wake takes, so the sleeper is woken or refused with EAGAIN, never left
 * asleep.
 *
 * One wake per sleep.  The announcement is the index the sleeper saw ORed
 * with 2 (indices are multiples of 8, so it is never 0 nor 1), renewed
 * whenever its re-read differs.  A publisher whose new index differs from
 * the announced one takes the announcement with a compare-and-swap of
 * exactly the value it loaded and wakes; the publishes after it see 0 and
 * make no syscall.  If the sleeper announced again in between, the swap
 * fails and the sleeper's re-read sees the new index.  The sleeper clears
 * its word when it stops waiting.  The kernel's poll announces 1, which a
 * publisher wakes for but never clears; any other non-zero value is
 * treated as 1.
 *
 * Peers going.  When a role's handle is released the kernel sets that
 * side's ``*_gone`` word and wakes every waiter; a new handle that takes
 * the role clears it.  The kernel keeps its own record of the roles and
 * of the capacity, since any mapper can rewrite the header: poll reports
 * EPOLLHUP from that record, EPOLLIN to the consumer when data is in use
 * and EPOLLOUT to the producer when a record header and 8 bytes fit.
 */
#define KIPC_RING_MAGIC		0x6b697072U	/* "kipr" */
#define KIPC_RING_MIN_CAPACITY	4096U
#define KIPC_RING_MAX_CAPACITY	0x40000000U	/* 1 GiB */

struct kipc_ring_hdr {
	__u32 magic;
	__u32 capacity;
	__u32 data_offset;
	__u32 __pad0[13];
	/* written by the producer */
	__u32 head;
	__u32 producer_waiting;
	__u32 producer_gone;
	__u32 __pad1[13];
	/* written by the consumer */
	__u32 tail;
	__u32 consumer_waiting;
	__u32 consumer_gone;
	__u32 __pad2[13];
};

struct kipc_ring_rec {
	__u32 len;
	__u32 type;
};

/**
 * struct kipc_ioc_ring_attach - KIPC_IOC_RING_ATTACH argument
 * @size: sizeof(struct kipc_ioc_ring_attach)
 * @flags: must be 0
 * @role: 0 for the free role, or KIPC_RING_PRODUCER / KIPC_RING_CONSUMER;
 *	out: the role taken
 * @__reserved: must be 0
 *
 * Takes a role on a ring region handle opened with KIPC_RDWR.  -EBUSY when
 * the role is taken, -ENOTTY when the region is not a ring.
 */
struct kipc_ioc_ring_attach {
	__u32 size;
	__u32 flags;
	__u32 role;
	__u32 __reserved;
	/* end of version 1 (kipc 1.0): 16 bytes */
};

/* Event kinds. */
#define KIPC_EVENT_SEMAPHORE	1
#define KIPC_EVENT_COUNTER	2
#define KIPC_EVENT_FLAG		3

/**
 * struct kipc_ioc_event_create - KIPC_IOC_EVENT_CREATE argument
 * @size: sizeof(struct kipc_ioc_event_create)
 * @flags: KIPC_PERSIST, KIPC_NONBLOCK
 * @name: pointer to a NUL-terminated name, or 0 for an anonymous event
 * @mode: permission bits (0777 mask)
 * @kind: KIPC_EVENT_*
 * @initial: initial count (a flag: 0 or 1)
 */
struct kipc_ioc_event_create {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
	__u32 mode;
	__u32 kind;
	__aligned_u64 initial;
	/* end of version 1 (kipc 1.0): 32 bytes */
};

/**
 * struct kipc_ioc_event_post - KIPC_IOC_EVENT_POST argument
 * @size: sizeof(struct kipc_ioc_event_post)
 * @flags: must be 0
 * @value: n >= 1: semaphore and counter add n (-EOVERFLOW rather than
 *	wrap), a flag is set
 */
struct kipc_ioc_event_post {
	__u32 size;
	__u32 flags;
	__aligned_u64 value;
	/* end of version 1 (kipc 1.0): 16 bytes */
};

/**
 * struct kipc_ioc_event_wait - KIPC_IOC_EVENT_WAIT argument
 * @size: sizeof(struct kipc_ioc_event_wait)
 * @flags: must be 0
 * @timeout_ns: relative CLOCK_MONOTONIC timeout; < 0 forever, 0 never block
 * @value: out: what was taken (semaphore and flag: 1; counter: the sum)
 */
struct kipc_ioc_event_wait {
	__u32 size;
	__u32 flags;
	__s64 timeout_ns;
	__aligned_u64 value;
	/* end of version 1 (kipc 1.0): 24 bytes */
};

/**
 * struct kipc_ioc_event_stat - KIPC_IOC_EVENT_STAT argument
 * @size: sizeof(struct kipc_ioc_event_stat); the kernel fills that much
 * @flags: must be 0
 * @count: the current count
 * @posts: successful posts
 * @waits: successful waits
 * @kind: KIPC_EVENT_*
 * @state: KIPC_STATE_*
 * @waiters: tasks asleep in wait
 * @owner_pid: the creator's pid, 0 if not visible
 * @id: the object's id
 * @__reserved: 0
 */
struct kipc_ioc_event_stat {
	__u32 size;
	__u32 flags;
	__u64 count;
	__u64 posts;
	__u64 waits;
	__u32 kind;
	__u32 state;
	__u32 waiters;
	__s32 owner_pid;
	__u32 id;
	__u32 __reserved;
	/* end of version 1 (kipc 1.0): 56 bytes */
};

/*
 * Command numbers.  A command is _IO(KIPC_IOC_MAGIC, nr): its number
 * encodes no size or direction, so a struct that grows keeps its command;
 * the struct's own size field says which version the caller knows.  These
 * numbers are ABI and are never reused.
 */
enum {
	/* Context ioctls (/dev/kipc). */
	KIPC_CMD_QUEUE_CREATE		= 0x00,
	KIPC_CMD_OPEN			= 0x01,
	KIPC_CMD_UNLINK			= 0x02,
	KIPC_CMD_REGION_CREATE		= 0x03,
	KIPC_CMD_EVENT_CREATE		= 0x04,

	/* Queue handle ioctls. */
	KIPC_CMD_SEND			= 0x10,
	KIPC_CMD_RECV			= 0x11,
	KIPC_CMD_SHUTDOWN		= 0x12,
	KIPC_CMD_QUEUE_STAT		= 0x13,
	KIPC_CMD_QUEUE_THREAD		= 0x14,
	KIPC_CMD_RECV_LEASED		= 0x15,
	KIPC_CMD_ACK			= 0x16,

	/* Region handle ioctls. */
	KIPC_CMD_REGION_STAT		= 0x20,
	KIPC_CMD_WAIT			= 0x21,
	KIPC_CMD_WAKE			= 0x22,
	KIPC_CMD_LOCK_INIT		= 0x23,
	KIPC_CMD_LOCK			= 0x24,
	KIPC_CMD_UNLOCK			= 0x25,
	KIPC_CMD_RING_ATTACH		= 0x26,
	KIPC_CMD_REGION_THREAD		= 0x27,
	KIPC_CMD_LOCK_CONSISTENT	= 0x28,

	/* Event handle ioctls. */
	KIPC_CMD_EVENT_POST		= 0x30,
	KIPC_CMD_EVENT_WAIT		= 0x31,
	KIPC_CMD_EVENT_STAT		= 0x32,
};

#define KIPC_IOC_QUEUE_CREATE	_IO(KIPC_IOC_MAGIC, KIPC_CMD_QUEUE_CREATE)
#define KIPC_IOC_OPEN		_IO(KIPC_IOC_MAGIC, KIPC_CMD_OPEN)
#define KIPC_IOC_UNLINK		_IO(KIPC_IOC_MAGIC, KIPC_CMD_UNLINK)
#define KIPC_IOC_REGION_CREATE	_IO(KIPC_IOC_MAGIC, KIPC_CMD_REGION_CREATE)
#define KIPC_IOC_EVENT_CREATE	_IO(KIPC_IOC_MAGIC, KIPC_CMD_EVENT_CREATE)

#define KIPC_IOC_SEND		_IO(KIPC_IOC_MAGIC, KIPC_CMD_SEND)
#define KIPC_IOC_RECV		_IO(KIPC_IOC_MAGIC, KIPC_CMD_RECV)
#define KIPC_IOC_SHUTDOWN	_IO(KIPC_IOC_MAGIC, KIPC_CMD_SHUTDOWN)
#define KIPC_IOC_QUEUE_STAT	_IO(KIPC_IOC_MAGIC, KIPC_CMD_QUEUE_STAT)
#define KIPC_IOC_QUEUE_THREAD	_IO(KIPC_IOC_MAGIC, KIPC_CMD_QUEUE_THREAD)
#define KIPC_IOC_RECV_LEASED	_IO(KIPC_IOC_MAGIC, KIPC_CMD_RECV_LEASED)
#define KIPC_IOC_ACK		_IO(KIPC_IOC_MAGIC, KIPC_CMD_ACK)

#define KIPC_IOC_REGION_STAT	_IO(KIPC_IOC_MAGIC, KIPC_CMD_REGION_STAT)
#define KIPC_IOC_WAIT		_IO(KIPC_IOC_MAGIC, KIPC_CMD_WAIT)
#define KIPC_IOC_WAKE		_IO(KIPC_IOC_MAGIC, KIPC_CMD_WAKE)
#define KIPC_IOC_LOCK_INIT	_IO(KIPC_IOC_MAGIC, KIPC_CMD_LOCK_INIT)
#define KIPC_IOC_LOCK		_IO(KIPC_IOC_MAGIC, KIPC_CMD_LOCK)
#define KIPC_IOC_UNLOCK		_IO(KIPC_IOC_MAGIC, KIPC_CMD_UNLOCK)
#define KIPC_IOC_RING_ATTACH	_IO(KIPC_IOC_MAGIC, KIPC_CMD_RING_ATTACH)
#define KIPC_IOC_REGION_THREAD	_IO(KIPC_IOC_MAGIC, KIPC_CMD_REGION_THREAD)
#define KIPC_IOC_LOCK_CONSISTENT _IO(KIPC_IOC_MAGIC, KIPC_CMD_LOCK_CONSISTENT)

#define KIPC_IOC_EVENT_POST	_IO(KIPC_IOC_MAGIC, KIPC_CMD_EVENT_POST)
#define KIPC_IOC_EVENT_WAIT	_IO(KIPC_IOC_MAGIC, KIPC_CMD_EVENT_WAIT)
#define KIPC_IOC_EVENT_STAT	_IO(KIPC_IOC_MAGIC, KIPC_CMD_EVENT_STAT)

#endif /* _UAPI_LINUX_KIPC_H */
