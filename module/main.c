// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - the /dev/kipc misc device, its parameters and the context ioctls.
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "kipc.h"

/**
 * DOC: the context device
 *
 * open("/dev/kipc") gives a context; its ioctls create objects, open them
 * by name and unlink names, always in the caller's IPC namespace.  Each
 * ioctl argument is an extensible struct (see the uapi header).  The
 * context and every kind of handle have a table of their commands
 * (&struct kipc_ioctl_op), and kipc_ioctl() is the one dispatcher for
 * all of them: it matches the number, reads ``size``, rejects anything
 * below the struct's version 1, copies with copy_struct_from_user(),
 * which refuses a non-zero tail the kernel does not know, checks the
 * flag bits and the handle's access, and hands the kernel copy to the
 * command's handler.
 */

unsigned int kipc_max_objects = 4096;
module_param_named(max_objects, kipc_max_objects, uint, 0644);
MODULE_PARM_DESC(max_objects, "Objects per IPC namespace (ENOSPC beyond)");

unsigned long kipc_max_user_bytes = 256UL << 20;
module_param_named(max_user_bytes, kipc_max_user_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_bytes,
		 "Kernel memory in bytes one uid's objects may hold, charged at creation (ENOSPC beyond)");

unsigned int kipc_max_msg_size = KIPC_MSG_SIZE_MAX;
module_param_named(max_msg_size, kipc_max_msg_size, uint, 0644);
MODULE_PARM_DESC(max_msg_size, "Largest max_msg_size a queue may have");

unsigned long kipc_max_region_size = 64UL << 20;
module_param_named(max_region_size, kipc_max_region_size, ulong, 0644);
MODULE_PARM_DESC(max_region_size, "Largest region, in bytes (ENOSPC beyond)");

static int kipc_live_objects_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", kipc_live_objects());
}

static const struct kernel_param_ops kipc_live_objects_ops = {
	.get = kipc_live_objects_get,
};

module_param_cb(live_objects, &kipc_live_objects_ops, NULL, 0444);
MODULE_PARM_DESC(live_objects, "Objects alive now (read-only)");

static const struct kipc_ioctl_op *
kipc_ioctl_find(const struct kipc_ioctl_op *ops, unsigned int n,
		unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (ops[i].nr == nr)
			return &ops[i];
	}
	return NULL;
}

/**
 * kipc_ioctl() - the one ioctl dispatcher, of the context and of handles
 * @ops: the command table of the context or of the handle's kind
 * @n: entries in @ops
 * @h: the handle, or NULL for the context
 * @cmd: the command; only _IO(KIPC_IOC_MAGIC, nr) of a number in @ops
 * @uarg: the user's struct; its first __u32 is the size the caller knows
 *
 * In this order: a command that is not exactly _IO(KIPC_IOC_MAGIC, nr)
 * for a number of the table is -ENOTTY; a size below the struct's
 * version 1 is -EINVAL; copy_struct_from_user() copies the struct once
 * (-E2BIG for a non-zero tail this kernel does not know, -EFAULT); flag
 * bits the command does not take are -EINVAL; a handle without the
 * access the command needs is -EBADF.  The handler then works on the
 * kernel copy.  A struct that is written back is made sure to be
 * writable first (by writing back what was read), so nothing a handler
 * takes is lost to a fault afterwards; the result is copied once, as many
 * bytes as both sides know.
 *
 * Return: the handler's result, or -errno.
 */
long kipc_ioctl(const struct kipc_ioctl_op *ops, unsigned int n,
		struct kipc_handle *h, unsigned int cmd, void __user *uarg)
{
	u64 buf[KIPC_IOCTL_MAX / sizeof(u64)];
	const struct kipc_ioctl_op *op;
	u32 usize, len;
	long ret;

	if (_IOC_TYPE(cmd) != KIPC_IOC_MAGIC ||
	    cmd != _IO(KIPC_IOC_MAGIC, _IOC_NR(cmd)))
		return -ENOTTY;
	op = kipc_ioctl_find(ops, n, _IOC_NR(cmd));
	if (!op)
		return -ENOTTY;
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(buf, op->size, uarg, usize);
	if (ret)
		return ret;
	if (((u32 *)buf)[1] & ~op->flags)
		return -EINVAL;
	if (h && (h->access & op->access) != op->access)
		return -EBADF;
	len = min(usize, op->size);
	if (op->out && copy_to_user(uarg, buf, len))
		return -EFAULT;
	ret = op->fn(h, buf);
	if (ret >= 0 && op->out && copy_to_user(uarg, buf, len))
		return -EFAULT;
	return ret;
}

static const struct kipc_ioctl_op kipc_ctx_ioctls[] = {
	KIPC_IOCTL(QUEUE_CREATE, queue_create, __reserved, 0,
		   KIPC_CREATE_FLAGS),
	KIPC_IOCTL(OPEN, open, __reserved, 0, KIPC_RDWR | KIPC_NONBLOCK),
	KIPC_IOCTL(UNLINK, unlink, name, 0, 0),
	KIPC_IOCTL(REGION_CREATE, region_create, region_size, 0,
		   KIPC_CREATE_FLAGS),
	KIPC_IOCTL(EVENT_CREATE, event_create, initial, 0, KIPC_CREATE_FLAGS),
};

static long kipc_ctx_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	return kipc_ioctl(kipc_ctx_ioctls, ARRAY_SIZE(kipc_ctx_ioctls), NULL,
			  cmd, (void __user *)arg);
}

static const struct file_operations kipc_ctx_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= kipc_ctx_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= no_llseek,
};

static struct miscdevice kipc_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "kipc",
	.fops		= &kipc_ctx_fops,
	.mode		= 0666,
};

/*
 * The ABI is frozen: version 1 of every struct (what kipc 1.0 published)
 * ends where it ends; a struct may only grow after it.  struct
 * kipc_msgdesc is an array element and never grows.
 */
#define KIPC_V1(type, last, bytes)					\
	BUILD_BUG_ON(offsetofend(struct type, last) != (bytes))

static void __init kipc_abi_check(void)
{
	KIPC_V1(kipc_ioc_queue_create, __reserved, 48);
	KIPC_V1(kipc_ioc_open, __reserved, 24);
	KIPC_V1(kipc_ioc_unlink, name, 16);
	KIPC_V1(kipc_ioc_send, timeout_ns, 32);
	KIPC_V1(kipc_ioc_recv, timeout_ns, 40);
	KIPC_V1(kipc_ioc_shutdown, flags, 8);
	KIPC_V1(kipc_ioc_queue_stat, __reserved, 160);
	KIPC_V1(kipc_ioc_region_create, region_size, 32);
	KIPC_V1(kipc_ioc_region_stat, owner_died, 56);
	KIPC_V1(kipc_ioc_wait, timeout_ns, 32);
	KIPC_V1(kipc_ioc_wake, __reserved, 24);
	KIPC_V1(kipc_ioc_lock, timeout_ns, 24);
	KIPC_V1(kipc_ioc_region_thread, flags, 8);
	KIPC_V1(kipc_ioc_ring_attach, __reserved, 16);
	KIPC_V1(kipc_ioc_event_create, initial, 32);
	KIPC_V1(kipc_ioc_event_post, value, 16);
	KIPC_V1(kipc_ioc_event_wait, value, 24);
	KIPC_V1(kipc_ioc_event_stat, __reserved, 56);
	KIPC_V1(kipc_ioc_queue_thread, flags, 8);
	KIPC_V1(kipc_ioc_recv_leased, timeout_ns, 40);
	KIPC_V1(kipc_ioc_ack, __reserved, 24);
	BUILD_BUG_ON(sizeof(struct kipc_msgdesc) != 56);
}

static int __init kipc_init(void)
{
	int ret;

	kipc_abi_check();

	ret = kipc_queue_init();
	if (ret)
		return ret;
	ret = kipc_genl_init();
	if (ret)
		goto err_queue;
	ret = misc_register(&kipc_misc);
	if (ret)
		goto err_genl;
	return 0;

err_genl:
	kipc_genl_exit();
err_queue:
	kipc_queue_exit();
	return ret;
}

static void __exit kipc_exit(void)
{
	misc_deregister(&kipc_misc);
	kipc_genl_exit();
	/* No handle is left (each pins the module); drop persistent names. */
	kipc_names_exit();
	kipc_queue_exit();
	kipc_objects_exit();
}

module_init(kipc_init);
module_exit(kipc_exit);

MODULE_DESCRIPTION("kipc: typed message queues, shared regions and events");
MODULE_AUTHOR("kipc developers");
MODULE_LICENSE("GPL");
