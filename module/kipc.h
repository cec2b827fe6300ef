/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc - private declarations shared by the module's files.
 */
#ifndef _KIPC_PRIVATE_H
#define _KIPC_PRIVATE_H

#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/hashtable.h>
#include <linux/rbtree.h>
#include <linux/workqueue.h>
#include <linux/kipc.h>

/**
 * DOC: kipc objects, handles and locking
 *
 * A *context* is an open file of /dev/kipc; it holds nothing.  Create and
 * open calls on it give *handles*: anonymous-inode files whose
 * private_data is a &struct kipc_handle, each holding a reference on one
 * &struct kipc_object.  The handle that created an object is its *owner*;
 * when the owner file is released the object is killed unless it was
 * created with KIPC_PERSIST.  A named object is also referenced by its
 * namespace's name table while linked.  The object is freed when the last
 * reference goes, so a waitqueue inside it lives as long as every file
 * that can poll it.
 *
 * Lock order, outermost first: a lock may be taken while the ones above
 * it are held, never while one below it is.  The nestings that exist:
 *
 * 1. kipc_subs_lock (genl.c, netlink subscribers).  Held while a
 *    notification is built, which takes the object's lock (fill_nl), and
 *    while a subscriber is dropped, which puts its namespace entry and
 *    so may take kipc_ns_mutex.  It is never taken with another kipc
 *    lock held: notifications are sent after unlocking.
 * 2. kipc_ns_mutex (names.c, the list of &struct kipc_ns).
 * 3. &kipc_ns.lock (one namespace's name table and object count).
 * 4. The object's own lock: &kipc_queue.lock, a mutex (a message's list
 *    head, index slot and lease record are allocated under it; a queue's
 *    leases, &struct kipc_leases, are under it too), or &kipc_region.lock
 *    or &kipc_event.lock, spinlocks.  Two queue locks never nest: a
 *    message moved to a dead-letter queue is pushed there after the
 *    source queue's lock is dropped.
 * 5. A region's wait bucket lock (&kipc_rbucket.lock).
 *
 * Innermost, with nothing taken inside them: kipc_users_lock (object.c,
 * per-uid charges) and the xarrays' own locks (kipc_objects, a region's
 * tokens).
 *
 * Nothing is allocated and nothing sleeps under a spinlock: a region's
 * and an event's locks and the bucket locks cover counters, lists of
 * waiters on their own stacks and compare-and-swaps on region words;
 * what a region allocates (lock registrations, tokens) is allocated
 * before they are taken.  No user memory is touched under a spinlock
 * either.
 *
 * Tasks are never woken with an object lock held on the hot paths: a
 * waker moves the task onto a &struct kipc_wake_list and wakes it after
 * unlocking (wait.c; the module cannot use wake_q, which is not
 * exported).
 */

struct kipc_object;
struct kipc_handle;
struct seq_file;
struct ipc_namespace;
struct pid_namespace;
struct sk_buff;

/**
 * struct kipc_ns - kipc's state for one IPC namespace
 * @ref: one per object of the namespace, plus transient lookups
 * @node: entry in the list of all namespaces kipc knows
 * @ipc_ns: the namespace, pinned while kipc knows it, so that its address
 *	cannot be reused by a new namespace
 * @lock: protects @names and @nr_objects
 * @names: linked objects, hashed by name
 * @nr_objects: objects alive in this namespace (for the max_objects limit)
 */
struct kipc_ns {
	struct kref ref;
	struct list_head node;
	struct ipc_namespace *ipc_ns;
	struct mutex lock;	/* protects @names and @nr_objects */
	DECLARE_HASHTABLE(names, 8);
	unsigned int nr_objects;
};

/* The largest ioctl struct a command table may name. */
#define KIPC_IOCTL_MAX		256

/**
 * struct kipc_ioctl_op - one command of a handle kind or of the context
 * @nr: its KIPC_CMD_* number; the command is _IO(KIPC_IOC_MAGIC, @nr)
 * @size: sizeof() its struct, as this kernel knows it
 * @min_size: the size of the struct's version 1; a smaller size is
 *	-EINVAL
 * @flags: the bits the struct's flags field may hold; others are -EINVAL
 * @access: KIPC_RDONLY and/or KIPC_WRONLY the handle must have (-EBADF),
 *	0 for none (and always 0 for the context)
 * @out: the struct is written back: the dispatcher makes sure it can be
 *	before the handler runs, and copies the result once on success
 * @fn: the handler, given the handle (NULL for the context) and the
 *	kernel's copy of the struct, whose size, flags and access are
 *	checked already
 *
 * kipc_ioctl() is the one dispatcher: see its comment for the order of
 * the checks.
 */
struct kipc_ioctl_op {
	unsigned int nr;
	u32 size;
	u32 min_size;
	u32 flags;
	unsigned int access;
	bool out;
	long (*fn)(struct kipc_handle *h, void *arg);
};

/*
 * KIPC_IOCTL(SEND, send, timeout_ns, KIPC_WRONLY, 0): command
 * KIPC_CMD_SEND, handled by kipc_send_ioctl(), taking a struct
 * kipc_ioc_send whose version 1 ends with @timeout_ns, on a handle with
 * write access, no flag bits.  KIPC_IOCTL_OUT also writes it back;
 * KIPC_IOCTL_LOCK is one of the lock commands, which share struct
 * kipc_ioc_lock.
 */
#define KIPC_IOCTL_OP(_nr, _fn, _type, _last, _access, _flags, _out)	\
	{								\
		.nr = KIPC_CMD_##_nr,					\
		.size = sizeof(_type) +					\
			BUILD_BUG_ON_ZERO(sizeof(_type) >		\
					  KIPC_IOCTL_MAX) +		\
			BUILD_BUG_ON_ZERO(offsetof(_type, flags) != 4),	\
		.min_size = offsetofend(_type, _last),			\
		.flags = _flags,					\
		.access = _access,					\
		.out = _out,						\
		.fn = _fn,						\
	}
#define KIPC_IOCTL(_nr, _op, _last, _access, _flags)			\
	KIPC_IOCTL_OP(_nr, kipc_##_op##_ioctl, struct kipc_ioc_##_op,	\
		      _last, _access, _flags, false)
#define KIPC_IOCTL_OUT(_nr, _op, _last, _access, _flags)		\
	KIPC_IOCTL_OP(_nr, kipc_##_op##_ioctl, struct kipc_ioc_##_op,	\
		      _last, _access, _flags, true)
#define KIPC_IOCTL_LOCK(_nr, _op)					\
	KIPC_IOCTL_OP(_nr, kipc_##_op##_ioctl, struct kipc_ioc_lock,	\
		      timeout_ns, KIPC_WRONLY, 0, false)

/* The flags of every create command. */
#define KIPC_CREATE_FLAGS	(KIPC_PERSIST | KIPC_NONBLOCK)

/**
 * struct kipc_object_ops - what one kind of object provides
 * @kind: KIPC_KIND_*
 * @name: "queue", "region" or "event" (fdinfo, anon inode name)
 * @ioctls: the kind's command table (see &struct kipc_ioctl_op)
 * @nr_ioctls: entries in @ioctls
 * @poll: poll of a handle
 * @kill: the owner died: wake every waiter, refuse new work
 * @free: free the kind's structure once the last reference is gone
 * @handle_add: a handle is being created (access counting); may fail
 * @handle_del: a handle is being released
 * @show_fdinfo: kind-specific fdinfo lines, "kipc-state:" at least
 * @mmap: map the object; NULL when the kind cannot be mapped (-ENODEV)
 * @fill_nl: put KIPC_A_OBJ_STATE and the kind's netlink nest
 * @handle_size: size of the kind's handle, which starts with a
 *	&struct kipc_handle; 0 when it is a bare &struct kipc_handle
 */
struct kipc_object_ops {
	unsigned int kind;
	const char *name;
	const struct kipc_ioctl_op *ioctls;
	unsigned int nr_ioctls;
	__poll_t (*poll)(struct kipc_handle *h, struct file *file,
			 struct poll_table_struct *wait);
	void (*kill)(struct kipc_object *obj);
	void (*free)(struct kipc_object *obj);
	int (*handle_add)(struct kipc_handle *h);
	void (*handle_del)(struct kipc_handle *h);
	void (*show_fdinfo)(struct kipc_handle *h, struct seq_file *m);
	int (*mmap)(struct kipc_handle *h, struct file *file,
		    struct vm_area_struct *vma);
	int (*fill_nl)(struct kipc_object *obj, struct sk_buff *skb,
		       struct pid_namespace *pidns);
	size_t handle_size;
};

/* Bits of &kipc_object.flags. */
#define KIPC_OBJ_LINKED		0	/* in the name table (kns->lock) */
#define KIPC_OBJ_DEAD		1	/* killed: owner gone */
#define KIPC_OBJ_PUBLISHED	2	/* visible to netlink, CREATED sent */

/**
 * struct kipc_object - what every kind of object has in common
 * @ref: handles, the name table while linked, transient users
 * @ops: the kind's operations
 * @kns: the IPC namespace the object lives in (referenced)
 * @id: module-wide id, shown in fdinfo and netlink
 * @name: the name without its leading '/', or NULL when anonymous
 * @name_node: entry in @kns->names, under @kns->lock
 * @flags: KIPC_OBJ_* bits
 * @create_flags: the KIPC_PERSIST and KIPC_NONBLOCK flags of the create
 * @uid: owner uid (as SysV ipc_perm.uid)
 * @gid: owner gid
 * @cuid: creator uid
 * @cgid: creator gid
 * @mode: permission bits
 * @owner_pid: the creating process
 * @charge_uid: the uid charged for @charge bytes
 * @charge: bytes charged against max_user_bytes (kipc_object_charge())
 * @nr_handles: handles open
 * @nr_readers: handles with read access
 * @nr_writers: handles with write access
 * @owner_alive: the owner handle exists
 * @notify_stamp: jiffies of the last rate-limited netlink notification
 */
struct kipc_object {
	struct kref ref;
	const struct kipc_object_ops *ops;
	struct kipc_ns *kns;
	u32 id;
	char *name;
	struct hlist_node name_node;
	unsigned long flags;
	unsigned int create_flags;
	kuid_t uid;
	kgid_t gid;
	kuid_t cuid;
	kgid_t cgid;
	umode_t mode;
	struct pid *owner_pid;
	kuid_t charge_uid;
	atomic64_t charge;
	atomic_t nr_handles;
	atomic_t nr_readers;
	atomic_t nr_writers;
	bool owner_alive;
	unsigned long notify_stamp;
};

/**
 * struct kipc_handle - private data of a handle file
 * @obj: the object (referenced)
 * @access: KIPC_RDONLY and/or KIPC_WRONLY
 * @owner: this handle created the object
 * @file: the handle's file, which owns this structure
 * @pid: the process that opened it (introspection)
 * @thread: regions: a thread handle (KIPC_IOC_REGION_THREAD), which is
 *	no peer: it counts in no handle count and holds no ring role
 * @tid: a thread handle's creating thread (introspection), else NULL
 *
 * A kind whose handles carry more embeds this struct first in its own
 * and sets &kipc_object_ops.handle_size (&struct kipc_region_handle).
 */
struct kipc_handle {
	struct kipc_object *obj;
	unsigned int access;
	bool owner;
	bool thread;
	struct file *file;
	struct pid *pid;
	struct pid *tid;
};

/**
 * struct kipc_leases - a queue's leased messages (lease.c), under the
 *	queue's lock
 * @tree: &struct kipc_lease by sequence number
 * @list: the same, oldest lease first (the order they expire in)
 * @expire: ends leases whose timeout passed
 * @dlq: the dead-letter queue (referenced), or NULL
 * @timeout_ms: lease timeout, 0 for none
 * @max_deliveries: deliveries before a message is dead-lettered, 0: no bound
 * @nr: messages leased now
 * @bytes: their payload bytes
 * @leased: leased deliveries
 * @acked: leases acked
 * @nacked: leases nacked
 * @expired: leases ended by the timeout
 * @redelivered: messages put back after a lease ended without an ack
 * @dead_lettered: messages moved to @dlq at max_deliveries
 * @dead_dropped: messages dropped at max_deliveries (no @dlq, or it
 *	refused them)
 */
struct kipc_leases {
	struct rb_root tree;
	struct list_head list;
	struct delayed_work expire;
	struct kipc_object *dlq;
	u32 timeout_ms;
	u32 max_deliveries;
	u32 nr;
	u64 bytes;
	u64 leased;
	u64 acked;
	u64 nacked;
	u64 expired;
	u64 redelivered;
	u64 dead_lettered;
	u64 dead_dropped;
};

struct kipc_qmsg;

/**
 * struct kipc_lease - one leased message
 * @node: entry in &kipc_leases.tree
 * @link: entry in &kipc_leases.list, or in a caller's list once taken out
 * @msg: the message (out of the ready set, still charged to the queue)
 * @owner: the thread handle that holds the lease
 * @via: the handle the leased receive was made on
 * @seq: the message's sequence number
 * @since: when it was leased, CLOCK_MONOTONIC ns
 * @len: the message's payload length
 * @busy: the receive that took it is still copying it out: the timeout
 *	leaves it alone
 */
struct kipc_lease {
	struct rb_node node;
	struct list_head link;
	struct kipc_qmsg *msg;
	struct kipc_handle *owner;
	struct kipc_handle *via;
	u64 seq;
	u64 since;
	u32 len;
	bool busy;
};

#define KIPC_WAKE_BATCH		8

/**
 * struct kipc_wake_list - tasks to wake once the lock is dropped
 * @n: tasks in @tasks
 * @tasks: referenced tasks
 */
struct kipc_wake_list {
	unsigned int n;
	struct task_struct *tasks[KIPC_WAKE_BATCH];
};

/* main.c */
extern unsigned int kipc_max_objects;
extern unsigned long kipc_max_user_bytes;
extern unsigned int kipc_max_msg_size;
extern unsigned long kipc_max_region_size;

long kipc_ioctl(const struct kipc_ioctl_op *ops, unsigned int n,
		struct kipc_handle *h, unsigned int cmd, void __user *uarg);

/* wait.c */
ktime_t *kipc_deadline(s64 timeout_ns, ktime_t *buf);
int kipc_sleep(ktime_t *deadline);
int kipc_interrupted(ktime_t *deadline);
void kipc_wake_add(struct kipc_wake_list *wl, struct task_struct *task);
void kipc_wake_all(struct kipc_wake_list *wl);

/* names.c */
void kipc_names_exit(void);
struct kipc_ns *kipc_ns_current(void);
void kipc_ns_put(struct kipc_ns *kns);
int kipc_name_from_user(u64 uname, char **name);
int kipc_name_link(struct kipc_object *obj);
bool kipc_name_unlink_obj(struct kipc_object *obj);
struct kipc_object *kipc_name_lookup(struct kipc_ns *kns, const char *name);
struct kipc_ns *kipc_ns_find(struct ipc_namespace *ipc_ns);
int kipc_name_unlink(struct kipc_ns *kns, const char *name);

/* object.c */
void kipc_objects_exit(void);
unsigned int kipc_live_objects(void);
int kipc_object_init(struct kipc_object *obj,
		     const struct kipc_object_ops *ops, u64 uname,
		     umode_t mode, unsigned int create_flags, u64 charge);
long kipc_object_create(struct kipc_object *obj);
int kipc_object_charge(struct kipc_object *obj, u64 bytes);
void kipc_object_uncharge(struct kipc_object *obj, u64 bytes);
void kipc_object_release_common(struct kipc_object *obj);
int kipc_object_install(struct kipc_object *obj, unsigned int access,
			bool owner, bool nonblock);
int kipc_object_install_thread(struct kipc_object *obj, unsigned int access,
			       bool nonblock);
long kipc_open_ioctl(struct kipc_handle *h, void *arg);
long kipc_unlink_ioctl(struct kipc_handle *h, void *arg);
void kipc_object_kill(struct kipc_object *obj);
bool kipc_object_perm(struct kipc_object *obj, unsigned int access);
bool kipc_object_may_admin(struct kipc_object *obj);
bool kipc_file_nonblock(struct file *file);
struct kipc_object *kipc_object_next(unsigned long *id);
u64 kipc_user_charged(kuid_t uid);
const char *kipc_state_name(unsigned int state);
extern const struct file_operations kipc_handle_fops;

static inline void kipc_object_get(struct kipc_object *obj)
{
	kref_get(&obj->ref);
}

void kipc_object_put(struct kipc_object *obj);

static inline bool kipc_object_dead(const struct kipc_object *obj)
{
	return test_bit(KIPC_OBJ_DEAD, &obj->flags);
}

/* queue.c */
int kipc_queue_init(void);
void kipc_queue_exit(void);
long kipc_queue_create_ioctl(struct kipc_handle *h, void *arg);

/* queue.c, for lease.c */
void kipc_queue_lease_expire(struct work_struct *work);
long kipc_queue_recv_leased(struct kipc_handle *h, struct kipc_ioc_recv *args,
			    struct kipc_handle *th);
long kipc_queue_ack(struct kipc_handle *h, const u64 *seqs,
		    unsigned int n, bool nack);

/* lease.c */
int kipc_lease_cache_init(void);
void kipc_lease_cache_exit(void);
u64 kipc_lease_bytes(void);
int kipc_leases_init(struct kipc_leases *ls, u32 max_deliveries,
		     u32 timeout_ms, u64 dlq_name);
void kipc_leases_destroy(struct kipc_leases *ls);
struct kipc_lease *kipc_lease_alloc(void);
void kipc_lease_free(struct kipc_lease *l);
void kipc_lease_add(struct kipc_leases *ls, struct kipc_lease *l,
		    struct kipc_qmsg *msg, u64 seq, u32 len,
		    struct kipc_handle *owner, struct kipc_handle *via);
struct kipc_lease *kipc_lease_find(struct kipc_leases *ls, u64 seq);
void kipc_lease_del(struct kipc_leases *ls, struct kipc_lease *l);
bool kipc_lease_held(const struct kipc_lease *l);
unsigned int kipc_lease_take_handle(struct kipc_leases *ls,
				    struct kipc_handle *h,
				    struct list_head *out);
unsigned int kipc_lease_take_expired(struct kipc_leases *ls,
				     struct list_head *out);
void kipc_lease_arm(struct kipc_leases *ls);
unsigned int kipc_lease_count_handle(struct kipc_leases *ls,
				     struct kipc_handle *h);
int kipc_lease_fill_nl(struct kipc_leases *ls, struct sk_buff *skb,
		       struct pid_namespace *pidns);
long kipc_queue_thread_ioctl(struct kipc_handle *h, void *arg);
long kipc_recv_leased_ioctl(struct kipc_handle *h, void *arg);
long kipc_ack_ioctl(struct kipc_handle *h, void *arg);

/* region.c */
long kipc_region_create_ioctl(struct kipc_handle *h, void *arg);

/* event.c */
long kipc_event_create_ioctl(struct kipc_handle *h, void *arg);

/* genl.c */
int kipc_genl_init(void);
void kipc_genl_exit(void);
void kipc_genl_notify(struct kipc_object *obj, u32 type, struct pid *pid);
void kipc_genl_notify_ratelimited(struct kipc_object *obj, u32 type);

#endif /* _KIPC_PRIVATE_H */
