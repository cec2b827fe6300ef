// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - object lifetime, handles, ownership and permissions.
 */

#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/ipc_namespace.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/kipc_netlink.h>

#include "kipc.h"

/**
 * DOC: object lifetime and owner death
 *
 * An object is created with one reference, which its creator hands to the
 * owner handle.  kipc_object_install() makes the handle file before the
 * name is linked and installs the fd only once nothing can fail, so a
 * failed create never leaves a name or a stray fd behind.
 *
 * When the owner handle's file is released (close of its last dup, exit,
 * kill -9, exec with close-on-exec), the object is killed unless it was
 * created with KIPC_PERSIST: kipc_object_kill() removes the name, marks it
 * dead and lets the kind wake every waiter with -EPIPE.  Handles keep the
 * object's memory alive; it is freed with the last reference.
 *
 * Per-uid charges (max_user_bytes) are kept in an xarray keyed by uid and
 * released when the object is freed.
 */

/*
 * Both xarrays grow with what users do, so their nodes are charged to the
 * memcg of whoever makes them grow (the gfp of a store does not reach
 * the node allocation without XA_FLAGS_ACCOUNT).
 */
static DEFINE_XARRAY_FLAGS(kipc_objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
static u32 kipc_next_id;
static atomic_t kipc_nr_objects = ATOMIC_INIT(0);

static DEFINE_MUTEX(kipc_users_lock);
static DEFINE_XARRAY_FLAGS(kipc_users, XA_FLAGS_ACCOUNT);

static int kipc_charge(kuid_t uid, u64 bytes)
{
	unsigned long key = __kuid_val(uid);
	u64 cur;
	int ret;

	if (!bytes)
		return 0;
	mutex_lock(&kipc_users_lock);
	cur = xa_to_value(xa_load(&kipc_users, key) ?: xa_mk_value(0));
	if (bytes > kipc_max_user_bytes || cur > kipc_max_user_bytes - bytes) {
		ret = -ENOSPC;
	} else {
		ret = xa_err(xa_store(&kipc_users, key, xa_mk_value(cur + bytes),
				      GFP_KERNEL_ACCOUNT));
	}
	mutex_unlock(&kipc_users_lock);
	return ret;
}

static void kipc_uncharge(kuid_t uid, u64 bytes)
{
	unsigned long key = __kuid_val(uid);
	u64 cur;

	if (!bytes)
		return;
	mutex_lock(&kipc_users_lock);
	cur = xa_to_value(xa_load(&kipc_users, key) ?: xa_mk_value(0));
	if (WARN_ON(cur < bytes))
		cur = bytes;
	if (cur == bytes)
		xa_erase(&kipc_users, key);
	else
		/* Replaces an entry: allocates nothing. */
		xa_store(&kipc_users, key, xa_mk_value(cur - bytes),
			 GFP_KERNEL_ACCOUNT);
	mutex_unlock(&kipc_users_lock);
}

/**
 * kipc_object_charge() - charge memory an object allocates after creation
 * @obj: the object, set up by kipc_object_init()
 * @bytes: bytes about to be allocated on the object's behalf
 *
 * Charges the uid the object was charged to at creation against
 * max_user_bytes; kipc_object_release_common() gives everything back, and
 * kipc_object_uncharge() gives back part of it earlier.  May sleep; safe
 * against concurrent charges of the same object.
 *
 * Return: 0, -ENOSPC when the quota is exhausted, or -ENOMEM.
 */
int kipc_object_charge(struct kipc_object *obj, u64 bytes)
{
	int ret = kipc_charge(obj->charge_uid, bytes);

	if (!ret)
		atomic64_add(bytes, &obj->charge);
	return ret;
}

/**
 * kipc_object_uncharge() - give back part of an object's charge
 * @obj: the object
 * @bytes: bytes kipc_object_charge() charged and that are freed now
 *
 * May sleep.
 */
void kipc_object_uncharge(struct kipc_object *obj, u64 bytes)
{
	s64 left = atomic64_sub_return(bytes, &obj->charge);

	if (WARN_ON_ONCE(left < 0)) {
		atomic64_add(-left, &obj->charge);
		bytes += left;
	}
	kipc_uncharge(obj->charge_uid, bytes);
}

/**
 * kipc_live_objects() - objects allocated and not yet freed
 *
 * Return: the count, for the live_objects module parameter.
 */
unsigned int kipc_live_objects(void)
{
	return atomic_read(&kipc_nr_objects);
}

/**
 * kipc_object_init() - set up the common part of a new object
 * @obj: zeroed object embedded in the kind's structure, whose own fields
 *	are already set up so that its free operation works
 * @ops: the kind's operations
 * @uname: user pointer to the object's name, or 0 for an anonymous object
 * @mode: permission bits
 * @create_flags: KIPC_PERSIST, KIPC_NONBLOCK
 * @charge: bytes to charge the caller's uid (max_user_bytes) for the
 *	kind's structure and everything it may allocate later
 *
 * Copies and checks the name, finds the caller's IPC namespace, checks the
 * max_objects and max_user_bytes limits and reserves an id.  The name's
 * allocation is charged with @charge.  Whatever it
 * returns, the object holds one reference and can be released: on
 * success the caller finishes with kipc_object_create(), on failure
 * (this one or its own) it drops the reference with kipc_object_put(),
 * which frees the object.
 *
 * Return: 0, or -EFAULT, -EINVAL, -ENAMETOOLONG, -ENOSPC, -ENOMEM.
 */
int kipc_object_init(struct kipc_object *obj,
		     const struct kipc_object_ops *ops, u64 uname,
		     umode_t mode, unsigned int create_flags, u64 charge)
{
	struct kipc_ns *kns;
	int ret;

	kref_init(&obj->ref);
	INIT_HLIST_NODE(&obj->name_node);
	obj->ops = ops;
	obj->mode = mode;
	obj->create_flags = create_flags;
	obj->uid = current_fsuid();
	obj->cuid = obj->uid;
	obj->gid = current_fsgid();
	obj->cgid = obj->gid;
	obj->owner_pid = get_task_pid(current, PIDTYPE_TGID);
	atomic_inc(&kipc_nr_objects);

	if (uname) {
		ret = kipc_name_from_user(uname, &obj->name);
		if (ret)
			return ret;
		charge += kmalloc_size_roundup(strlen(obj->name) + 1);
	}
	kns = kipc_ns_current();
	if (!kns)
		return -ENOMEM;
	mutex_lock(&kns->lock);
	if (kns->nr_objects >= kipc_max_objects) {
		mutex_unlock(&kns->lock);
		kipc_ns_put(kns);
		return -ENOSPC;
	}
	kns->nr_objects++;
	mutex_unlock(&kns->lock);
	obj->kns = kns;

	ret = kipc_charge(obj->uid, charge);
	if (ret)
		return ret;
	obj->charge_uid = obj->uid;
	atomic64_set(&obj->charge, charge);

	/* Reserve the id; kipc_object_install() publishes the object. */
	ret = xa_alloc_cyclic(&kipc_objects, &obj->id, NULL, xa_limit_32b,
			      &kipc_next_id, GFP_KERNEL_ACCOUNT);
	if (ret == -EBUSY)
		return -ENOSPC;
	return ret < 0 ? ret : 0;
}

/**
 * kipc_object_create() - finish a create ioctl that nothing failed
 * @obj: the object, set up by kipc_object_init() and by its kind
 *
 * Gives the caller the owner handle, then drops the creator's reference:
 * when the handle cannot be made, that frees the object.
 *
 * Return: the owner handle's fd, or -errno.
 */
long kipc_object_create(struct kipc_object *obj)
{
	long ret;

	ret = kipc_object_install(obj, KIPC_RDWR, true,
				  obj->create_flags & KIPC_NONBLOCK);
	kipc_object_put(obj);
	return ret;
}

/**
 * kipc_object_next() - the next published object, for netlink dumps
 * @id: in: the first id to look at; out: the id found
 *
 * Return: the referenced object with the lowest id >= *@id, or NULL.
 */
struct kipc_object *kipc_object_next(unsigned long *id)
{
	struct kipc_object *obj;

	xa_lock(&kipc_objects);
	for (;;) {
		obj = xa_find(&kipc_objects, id, ULONG_MAX, XA_PRESENT);
		/* Freeing erases the id first, under this lock. */
		if (!obj || kref_get_unless_zero(&obj->ref))
			break;
		(*id)++;
	}
	xa_unlock(&kipc_objects);
	return obj;
}

/**
 * kipc_user_charged() - bytes charged to a uid
 * @uid: the uid
 *
 * Return: the bytes of capacity its objects hold.
 */
u64 kipc_user_charged(kuid_t uid)
{
	u64 cur;

	mutex_lock(&kipc_users_lock);
	cur = xa_to_value(xa_load(&kipc_users, __kuid_val(uid)) ?:
			  xa_mk_value(0));
	mutex_unlock(&kipc_users_lock);
	return cur;
}

/**
 * kipc_object_release_common() - undo kipc_object_init()
 * @obj: the object, whose last reference is gone
 *
 * Called by each kind's free operation before it frees its structure.
 */
void kipc_object_release_common(struct kipc_object *obj)
{
	struct kipc_ns *kns = obj->kns;

	if (obj->id) {
		xa_erase(&kipc_objects, obj->id);
		if (test_bit(KIPC_OBJ_PUBLISHED, &obj->flags))
			kipc_genl_notify(obj, KIPC_NOTIFY_DESTROYED, NULL);
	}
	kipc_uncharge(obj->charge_uid, atomic64_read(&obj->charge));
	if (kns) {
		mutex_lock(&kns->lock);
		kns->nr_objects--;
		mutex_unlock(&kns->lock);
		kipc_ns_put(kns);
	}
	put_pid(obj->owner_pid);
	kfree(obj->name);
	atomic_dec(&kipc_nr_objects);
}

static void kipc_object_release(struct kref *ref)
{
	struct kipc_object *obj = container_of(ref, struct kipc_object, ref);

	obj->ops->free(obj);
}

/**
 * kipc_object_put() - drop a reference to an object
 * @obj: the object; freed with its last reference
 */
void kipc_object_put(struct kipc_object *obj)
{
	kref_put(&obj->ref, kipc_object_release);
}

/**
 * kipc_object_kill() - the owner is gone: the object dies at once
 * @obj: the object; the caller holds a reference
 *
 * Removes the name and lets the kind wake every waiter.  Idempotent.
 */
void kipc_object_kill(struct kipc_object *obj)
{
	if (test_and_set_bit(KIPC_OBJ_DEAD, &obj->flags))
		return;
	if (obj->name)
		kipc_name_unlink_obj(obj);
	obj->ops->kill(obj);
	/* A create that failed (EEXIST) published nothing: say nothing. */
	if (test_bit(KIPC_OBJ_PUBLISHED, &obj->flags))
		kipc_genl_notify(obj, KIPC_NOTIFY_OWNER_DIED, obj->owner_pid);
}

/**
 * kipc_object_perm() - may the caller open @obj with @access?
 * @obj: the object
 * @access: KIPC_RDONLY and/or KIPC_WRONLY
 *
 * Like SysV ipcperms(): owner, group or other bits of the mode against the
 * caller's fsuid and fsgid; CAP_IPC_OWNER in the namespace overrides.
 *
 * Return: true when allowed.
 */
bool kipc_object_perm(struct kipc_object *obj, unsigned int access)
{
	kuid_t fsuid = current_fsuid();
	int requested = 0, granted = obj->mode;

	if (access & KIPC_RDONLY)
		requested |= 4;
	if (access & KIPC_WRONLY)
		requested |= 2;
	if (uid_eq(fsuid, obj->uid) || uid_eq(fsuid, obj->cuid))
		granted >>= 6;
	else if (in_group_p(obj->gid) || in_group_p(obj->cgid))
		granted >>= 3;
	if (!(requested & ~granted & 0007))
		return true;
	return ns_capable(obj->kns->ipc_ns->user_ns, CAP_IPC_OWNER);
}

/**
 * kipc_object_may_admin() - may the caller unlink or change @obj?
 * @obj: the object
 *
 * Return: true for the object's owner or creator uid, or CAP_IPC_OWNER.
 */
bool kipc_object_may_admin(struct kipc_object *obj)
{
	kuid_t fsuid = current_fsuid();

	return uid_eq(fsuid, obj->uid) || uid_eq(fsuid, obj->cuid) ||
	       ns_capable(obj->kns->ipc_ns->user_ns, CAP_IPC_OWNER);
}

/**
 * kipc_file_nonblock() - is the handle in non-blocking mode?
 * @file: the handle file
 *
 * Return: true when O_NONBLOCK is set (KIPC_NONBLOCK or fcntl).
 */
bool kipc_file_nonblock(struct file *file)
{
	return READ_ONCE(file->f_flags) & O_NONBLOCK;
}

static void kipc_handle_count(struct kipc_handle *h, int n)
{
	struct kipc_object *obj = h->obj;

	/* A thread handle is no peer: the counts show peers only. */
	if (h->thread)
		return;
	atomic_add(n, &obj->nr_handles);
	if (h->access & KIPC_RDONLY)
		atomic_add(n, &obj->nr_readers);
	if (h->access & KIPC_WRONLY)
		atomic_add(n, &obj->nr_writers);
}

static int kipc_handle_install(struct kipc_object *obj, unsigned int access,
			       bool owner, bool thread, bool nonblock)
{
	struct kipc_handle *h;
	struct file *file;
	char anon[16];
	int fd, ret;

	h = kzalloc(max(sizeof(*h), obj->ops->handle_size), GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kfree(h);
		return fd;
	}
	h->obj = obj;
	h->access = access;
	h->owner = owner;
	h->thread = thread;
	h->pid = get_task_pid(current, PIDTYPE_TGID);
	if (thread)
		h->tid = get_task_pid(current, PIDTYPE_PID);
	ret = obj->ops->handle_add ? obj->ops->handle_add(h) : 0;
	if (ret) {
		put_pid(h->tid);
		put_pid(h->pid);
		put_unused_fd(fd);
		kfree(h);
		return ret;
	}
	kipc_handle_count(h, 1);
	kipc_object_get(obj);
	snprintf(anon, sizeof(anon), "[kipc-%s]", obj->ops->name);
	file = anon_inode_getfile(anon, &kipc_handle_fops, h,
				  O_RDWR | (nonblock ? O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		kipc_handle_count(h, -1);
		if (obj->ops->handle_del)
			obj->ops->handle_del(h);
		put_pid(h->tid);
		put_pid(h->pid);
		put_unused_fd(fd);
		kipc_object_put(obj);
		kfree(h);
		return PTR_ERR(file);
	}
	h->file = file;

	if (owner && obj->name) {
		ret = kipc_name_link(obj);
		if (ret) {
			/* Releasing the owner file kills the unnamed object. */
			fput(file);
			put_unused_fd(fd);
			return ret;
		}
	}
	if (owner) {
		WRITE_ONCE(obj->owner_alive, true);
		/* The id is reserved: this store allocates nothing. */
		xa_store(&kipc_objects, obj->id, obj, GFP_KERNEL_ACCOUNT);
		set_bit(KIPC_OBJ_PUBLISHED, &obj->flags);
	}
	fd_install(fd, file);
	if (owner)
		kipc_genl_notify(obj, KIPC_NOTIFY_CREATED, NULL);
	return fd;
}

/**
 * kipc_object_install() - give the caller a new handle fd on @obj
 * @obj: the object; the handle takes its own reference
 * @access: KIPC_RDONLY and/or KIPC_WRONLY
 * @owner: this is the creating handle; the object's name, if any, is
 *	linked here, after the file exists and before the fd is installed
 * @nonblock: set O_NONBLOCK on the handle
 *
 * Return: the fd, or -errno (-EEXIST when the name is taken).
 */
int kipc_object_install(struct kipc_object *obj, unsigned int access,
			bool owner, bool nonblock)
{
	return kipc_handle_install(obj, access, owner, false, nonblock);
}

/**
 * kipc_object_install_thread() - give the caller a thread handle on @obj
 * @obj: the object (a region); the handle takes its own reference
 * @access: KIPC_RDONLY and/or KIPC_WRONLY, at most the caller's handle's
 * @nonblock: set O_NONBLOCK on the handle
 *
 * A thread handle is never the owner and is no peer: it counts in none
 * of the object's handle counts (kipc_handle_count()).  Its fd is
 * close-on-exec, as every handle's.
 *
 * Return: the fd, or -errno.
 */
int kipc_object_install_thread(struct kipc_object *obj, unsigned int access,
			       bool nonblock)
{
	return kipc_handle_install(obj, access, false, true, nonblock);
}

/**
 * kipc_open_ioctl() - KIPC_IOC_OPEN: open an object by name
 * @h: NULL: a context command
 * @arg: the kernel's copy of &struct kipc_ioc_open (size and flags
 *	checked by kipc_ioctl())
 *
 * Return: a new handle fd, or -errno.
 */
long kipc_open_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_ioc_open *args = arg;
	struct kipc_object *obj;
	struct kipc_ns *kns;
	unsigned int access;
	char *name;
	long ret;

	if (!(args->flags & KIPC_RDWR) || args->__reserved ||
	    args->kind < KIPC_KIND_QUEUE || args->kind > KIPC_KIND_EVENT)
		return -EINVAL;
	access = args->flags & KIPC_RDWR;

	ret = kipc_name_from_user(args->name, &name);
	if (ret)
		return ret;
	kns = kipc_ns_current();
	if (!kns) {
		ret = -ENOMEM;
		goto out_name;
	}
	obj = kipc_name_lookup(kns, name);
	if (!obj) {
		ret = -ENOENT;
		goto out_ns;
	}
	/*
	 * Access first: a caller who may not open the object is told
	 * EACCES whatever it is, and learns its kind only with access.
	 */
	if (!kipc_object_perm(obj, access))
		ret = -EACCES;
	else if (obj->ops->kind != args->kind)
		ret = -ENOTTY;
	else
		ret = kipc_object_install(obj, access, false,
					  args->flags & KIPC_NONBLOCK);
	kipc_object_put(obj);
out_ns:
	kipc_ns_put(kns);
out_name:
	kfree(name);
	return ret;
}

/**
 * kipc_unlink_ioctl() - KIPC_IOC_UNLINK: remove a name
 * @h: NULL: a context command
 * @arg: the kernel's copy of &struct kipc_ioc_unlink
 *
 * Return: 0 or -errno.
 */
long kipc_unlink_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_ioc_unlink *args = arg;
	struct kipc_ns *kns;
	char *name;
	long ret;

	ret = kipc_name_from_user(args->name, &name);
	if (ret)
		return ret;
	kns = kipc_ns_current();
	if (!kns) {
		ret = -ENOMEM;
		goto out_name;
	}
	ret = kipc_name_unlink(kns, name);
	kipc_ns_put(kns);
out_name:
	kfree(name);
	return ret;
}

static int kipc_handle_release(struct inode *inode, struct file *file)
{
	struct kipc_handle *h = file->private_data;
	struct kipc_object *obj = h->obj;

	kipc_handle_count(h, -1);
	if (obj->ops->handle_del)
		obj->ops->handle_del(h);
	if (h->owner) {
		WRITE_ONCE(obj->owner_alive, false);
		if (!(obj->create_flags & KIPC_PERSIST))
			kipc_object_kill(obj);
	}
	put_pid(h->tid);
	put_pid(h->pid);
	kipc_object_put(obj);
	kfree(h);
	return 0;
}

static long kipc_handle_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct kipc_handle *h = file->private_data;
	const struct kipc_object_ops *ops = h->obj->ops;

	return kipc_ioctl(ops->ioctls, ops->nr_ioctls, h, cmd,
			  (void __user *)arg);
}

static __poll_t kipc_handle_poll(struct file *file,
				 struct poll_table_struct *wait)
{
	struct kipc_handle *h = file->private_data;

	return h->obj->ops->poll(h, file, wait);
}

static int kipc_handle_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kipc_handle *h = file->private_data;

	if (!h->obj->ops->mmap)
		return -ENODEV;
	return h->obj->ops->mmap(h, file, vma);
}

static const char *const kipc_state_names[] = {
	[KIPC_STATE_LIVE]	= "live",
	[KIPC_STATE_SHUTDOWN]	= "shutdown",
	[KIPC_STATE_DEAD]	= "dead",
};

static void kipc_handle_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_handle *h = file->private_data;
	struct kipc_object *obj = h->obj;
	static const char *const access[] = { "", "r", "w", "rw" };

	seq_printf(m, "kipc-kind:\t%s\n", obj->ops->name);
	seq_printf(m, "kipc-id:\t%u\n", obj->id);
	if (obj->name)
		seq_printf(m, "kipc-name:\t/%s\n", obj->name);
	seq_printf(m, "kipc-access:\t%s\n", access[h->access & KIPC_RDWR]);
	seq_printf(m, "kipc-owner:\t%d\n", h->owner);
	if (h->thread)
		seq_puts(m, "kipc-thread-handle:\t1\n");
	if (obj->ops->show_fdinfo)
		obj->ops->show_fdinfo(h, m);
}

/**
 * kipc_state_name() - the name of a KIPC_STATE_* value
 * @state: KIPC_STATE_LIVE, _SHUTDOWN or _DEAD
 *
 * Return: "live", "shutdown" or "dead".
 */
const char *kipc_state_name(unsigned int state)
{
	if (state >= ARRAY_SIZE(kipc_state_names))
		return "?";
	return kipc_state_names[state];
}

const struct file_operations kipc_handle_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_handle_release,
	.unlocked_ioctl	= kipc_handle_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= kipc_handle_poll,
	.mmap		= kipc_handle_mmap,
	.show_fdinfo	= kipc_handle_show_fdinfo,
	.llseek		= no_llseek,
};

/**
 * kipc_objects_exit() - check that every object is gone at module unload
 */
void kipc_objects_exit(void)
{
	WARN_ON(!xa_empty(&kipc_objects));
	WARN_ON(!xa_empty(&kipc_users));
	xa_destroy(&kipc_objects);
	xa_destroy(&kipc_users);
}
