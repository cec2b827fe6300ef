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
 * Errors have the same meaning everywhere:
 *
 * - EINVAL: bad attribute, unknown flag bit, type 0, priority > 31,
 *   misaligned offset, reserved field not 0, size below version 1.
 * - E2BIG: a struct larger than the kernel knows, with a non-zero tail.
 * - EMSGSIZE: payload larger than max_msg_size; receive buffer too small
 *   (the message stays queued and its length is reported).
 * - EAGAIN: the call would block (timeout 0, KIPC_NONBLOCK,
 *   KIPC_POLICY_FAIL).
 * - ETIMEDOUT: the timeout passed.
 * - EINTR: a signal handler ran; nothing was consumed or lost.  A wait
 *   without a timeout is restarted instead when the handler has
 *   SA_RESTART; any wait is restarted after a stop and continue.
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
 *
 * Returns the new handle fd (KIPC_RDWR, the queue's owner).
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
	/* end of version 1 (kipc 1.0): 48 bytes */
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
 * The counters obey sent == received + depth_msgs + dropped_new +
 * dropped_oldest + conflated; rejected counts KIPC_POLICY_FAIL refusals
 * (not in sent), timeouts counts sends and receives that timed out.
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
	/* end of version 1 (kipc 1.0): 160 bytes */
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

/*
 * SPSC ring header, at offset 0 of a ring region; the data area starts at
 * data_offset.  head and tail are free-running byte counters (the index is
 * counter & (capacity - 1)); each record is a struct kipc_ring_rec
 * followed by its payload, padded to 8 bytes; a record of type 0 is
 * padding up to the end of the data area.  Waiters sleep on the head
 * (consumer) or tail (producer) word after setting their *_waiting word:
 * libkipc stores the index it saw ORed with 2 (indexes are multiples of
 * 8) and a publisher clears it with a compare-and-swap when it wakes
 * that sleeper, so one sleep costs one wake; the kernel's poll stores 1,
 * which a publisher wakes for but never clears.  Any other non-zero value
 * is treated as 1.  The kernel sets *_gone when that side's handle is
 * released.
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
