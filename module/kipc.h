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
 * Lock ordering, outermost first; no other nesting exists:
 *
 * 1. kipc_ns_mutex (main list of &struct kipc_ns)
 * 2. &kipc_ns.lock (one namespace's name table and object count)
 * 3. the object's own lock (&kipc_queue.lock, &kipc_region.lock,
 *    &kipc_event.lock)
 * 4. a region's wait bucket lock (&kipc_rbucket.lock)
 * 5. kipc_users_lock (per-uid byte charges), taken alone
 * 6. kipc_subs_lock (netlink subscribers), never with an object's lock
 *    held: notifications are sent after unlocking.  Dropping a subscriber
 *    under it puts its namespace entry, which may take kipc_ns_mutex:
 *    kipc_subs_lock is the one lock taken before kipc_ns_mutex.
 *
 * Tasks are never woken with an object lock held on the hot paths: a
 * waker moves the task onto a &struct kipc_wake_list and wakes it after
 * unlocking (the module cannot use wake_q, which is not exported).
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
#define KIPC_IOCTL_MAX		192

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
 * @token: regions: this handle's robust-lock owner id
 * @ring_role: regions: KIPC_RING_PRODUCER, KIPC_RING_CONSUMER or 0
 */
struct kipc_handle {
	struct kipc_object *obj;
	unsigned int access;
	bool owner;
	bool thread;
	struct file *file;
	struct pid *pid;
	struct pid *tid;
	u32 token;
	u32 ring_role;
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
long kipc_object_create(struct kipc_object *obj, long ret);
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
