// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - leased (acknowledged) receive on queues.
 */

#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/kipc_netlink.h>
#include <net/netlink.h>

#include "kipc.h"

/**
 * DOC: leases
 *
 * A leased receive (KIPC_IOC_RECV_LEASED) takes messages out of a queue's
 * ready set without freeing them: each gets a &struct kipc_lease, kept in
 * the queue's &struct kipc_leases by sequence number (for ack and nack)
 * and in lease order (for the timeout, which is the same for every lease
 * of a queue, so the oldest lease always expires first).  A leased
 * message stays charged to the queue: it counts against max_msgs and
 * max_bytes, so a full queue of leased messages holds senders back.
 *
 * The owner of a lease is the calling *thread*, with the mechanism robust
 * locks use: libkipc gives each thread a thread handle of the queue
 * (KIPC_IOC_QUEUE_THREAD, kipc_object_install_thread()), which records
 * the thread, and passes it as @thread_fd of every leased receive.  The
 * kernel takes it only from the thread that made it, so forked workers
 * and threads sharing one handle each hold their own leases.  An ack or
 * nack is checked against the thread the owner handle records; nobody
 * else's ack reaches the lease (-ENOENT).  The release of the thread
 * handle (the thread ends and libkipc's destructor closes it, the
 * process exits or is killed, exec) or of the handle the receive was
 * made on ends its leases; so do a nack and the queue's lease timeout.
 * A lease that ends without an ack puts the message back in its place
 * (its priority's list, in sequence order) with one more delivery, or,
 * at the queue's max_deliveries, moves it to the dead-letter queue named
 * at creation (after the source queue's lock is dropped) or drops it.
 *
 * Every lease record is allocated with GFP_KERNEL_ACCOUNT from a cache
 * of its own, under the queue's mutex (never a spinlock), and the queue's
 * creation charges max_msgs of them (kipc_lease_bytes()) to its creator:
 * a queue never holds more leased messages than max_msgs.
 */

static struct kmem_cache *kipc_lease_cache;

/**
 * kipc_lease_cache_init() - create the lease cache at module load
 *
 * Return: 0 or -ENOMEM.
 */
int kipc_lease_cache_init(void)
{
	kipc_lease_cache = KMEM_CACHE(kipc_lease, SLAB_ACCOUNT);
	return kipc_lease_cache ? 0 : -ENOMEM;
}

/**
 * kipc_lease_cache_exit() - destroy the lease cache at module unload
 */
void kipc_lease_cache_exit(void)
{
	kmem_cache_destroy(kipc_lease_cache);
}

/**
 * kipc_lease_bytes() - what one lease record costs, for the quota
 *
 * Return: the cache's object size plus the memcg's per-object pointer.
 */
u64 kipc_lease_bytes(void)
{
	return ALIGN(sizeof(struct kipc_lease), 8) + sizeof(void *);
}

/**
 * kipc_leases_init() - set up a new queue's leases
 * @ls: zeroed
 * @max_deliveries: deliveries before dead-lettering, 0 for no bound
 * @timeout_ms: lease timeout, 0 for none
 * @dlq_name: user pointer to the dead-letter queue's name, or 0
 *
 * The dead-letter queue must exist in the caller's IPC namespace, be a
 * queue and be writable by the caller.
 *
 * Return: 0, -EINVAL, -ENOENT, -EACCES, -ENOTTY, -EFAULT, -ENOMEM.
 */
int kipc_leases_init(struct kipc_leases *ls, u32 max_deliveries,
		     u32 timeout_ms, u64 dlq_name)
{
	struct kipc_object *obj;
	struct kipc_ns *kns;
	char *name;
	int ret;

	ls->tree = RB_ROOT;
	INIT_LIST_HEAD(&ls->list);
	INIT_DELAYED_WORK(&ls->expire, kipc_queue_lease_expire);
	ls->max_deliveries = max_deliveries;
	ls->timeout_ms = timeout_ms;
	if (!dlq_name)
		return 0;
	if (!max_deliveries)
		return -EINVAL;
	ret = kipc_name_from_user(dlq_name, &name);
	if (ret)
		return ret;
	kns = kipc_ns_current();
	if (!kns) {
		kfree(name);
		return -ENOMEM;
	}
	obj = kipc_name_lookup(kns, name);
	kipc_ns_put(kns);
	kfree(name);
	if (!obj)
		return -ENOENT;
	ret = 0;
	if (!kipc_object_perm(obj, KIPC_WRONLY))
		ret = -EACCES;
	else if (obj->ops->kind != KIPC_KIND_QUEUE)
		ret = -ENOTTY;
	if (ret) {
		kipc_object_put(obj);
		return ret;
	}
	ls->dlq = obj;
	return 0;
}

/**
 * kipc_leases_destroy() - the queue is being freed
 * @ls: its leases; none is left (the handles that held them are gone)
 */
void kipc_leases_destroy(struct kipc_leases *ls)
{
	cancel_delayed_work_sync(&ls->expire);
	WARN_ON_ONCE(!list_empty(&ls->list));
	if (ls->dlq)
		kipc_object_put(ls->dlq);
}

/**
 * kipc_lease_alloc() - a lease record, charged to the caller's memcg
 *
 * Return: the record, or NULL.
 */
struct kipc_lease *kipc_lease_alloc(void)
{
	return kmem_cache_alloc(kipc_lease_cache, GFP_KERNEL_ACCOUNT);
}

/**
 * kipc_lease_free() - free a lease record
 * @l: the record, in no tree or list, or NULL
 */
void kipc_lease_free(struct kipc_lease *l)
{
	if (l)
		kmem_cache_free(kipc_lease_cache, l);
}

/**
 * kipc_lease_add() - lease a message the caller took out of the ready set
 * @ls: the queue's leases
 * @l: a record from kipc_lease_alloc()
 * @msg: the message
 * @seq: its sequence number
 * @len: its payload length
 * @owner: the thread handle that holds it
 * @via: the handle the receive was made on
 *
 * The lease starts busy (kipc_lease_arm() leaves it alone) until the
 * receive has copied the message out.
 */
void kipc_lease_add(struct kipc_leases *ls, struct kipc_lease *l,
		    struct kipc_qmsg *msg, u64 seq, u32 len,
		    struct kipc_handle *owner, struct kipc_handle *via)
{
	struct rb_node **link = &ls->tree.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (seq < rb_entry(parent, struct kipc_lease, node)->seq)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&l->node, parent, link);
	rb_insert_color(&l->node, &ls->tree);
	l->msg = msg;
	l->owner = owner;
	l->via = via;
	l->seq = seq;
	l->len = len;
	l->since = ktime_get_ns();
	l->busy = true;
	list_add_tail(&l->link, &ls->list);
	WRITE_ONCE(ls->nr, ls->nr + 1);
	WRITE_ONCE(ls->bytes, ls->bytes + len);
	ls->leased++;
	if (ls->timeout_ms && list_is_singular(&ls->list))
		kipc_lease_arm(ls);
}

/**
 * kipc_lease_find() - the lease of a sequence number
 * @ls: the queue's leases
 * @seq: the sequence number
 *
 * Return: the lease, or NULL.
 */
struct kipc_lease *kipc_lease_find(struct kipc_leases *ls, u64 seq)
{
	struct rb_node *node = ls->tree.rb_node;
	struct kipc_lease *l;

	while (node) {
		l = rb_entry(node, struct kipc_lease, node);
		if (seq < l->seq)
			node = node->rb_left;
		else if (seq > l->seq)
			node = node->rb_right;
		else
			return l;
	}
	return NULL;
}

/**
 * kipc_lease_del() - end a lease's bookkeeping
 * @ls: the queue's leases
 * @l: the lease; its @link is free for the caller afterwards
 */
void kipc_lease_del(struct kipc_leases *ls, struct kipc_lease *l)
{
	rb_erase(&l->node, &ls->tree);
	list_del(&l->link);
	WRITE_ONCE(ls->nr, ls->nr - 1);
	WRITE_ONCE(ls->bytes, ls->bytes - l->len);
}

/**
 * kipc_lease_held() - does the calling thread hold @l?
 * @l: a lease
 *
 * The owner is the thread that made the owner thread handle; the handle
 * holds that thread's &struct pid, so the pointer is not reused while
 * the lease exists.
 *
 * Return: true when the caller may ack or nack it.
 */
bool kipc_lease_held(const struct kipc_lease *l)
{
	return l->owner->tid == task_pid(current);
}

/**
 * kipc_lease_take_handle() - take out the leases of a handle going away
 * @ls: the queue's leases
 * @h: the handle; its leases are those it holds or was the receive's
 * @out: gets the leases, by @link, oldest first
 *
 * Return: how many.
 */
unsigned int kipc_lease_take_handle(struct kipc_leases *ls,
				    struct kipc_handle *h,
				    struct list_head *out)
{
	struct kipc_lease *l, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(l, tmp, &ls->list, link) {
		if (l->owner != h && l->via != h)
			continue;
		kipc_lease_del(ls, l);
		list_add_tail(&l->link, out);
		n++;
	}
	return n;
}

static u64 kipc_lease_deadline(const struct kipc_leases *ls,
			       const struct kipc_lease *l)
{
	return l->since + (u64)ls->timeout_ms * NSEC_PER_MSEC;
}

/**
 * kipc_lease_take_expired() - take out the leases whose timeout passed
 * @ls: the queue's leases
 * @out: gets them, by @link, oldest first
 *
 * Busy leases (still being copied out) stay until the next run.
 *
 * Return: how many.
 */
unsigned int kipc_lease_take_expired(struct kipc_leases *ls,
				     struct list_head *out)
{
	struct kipc_lease *l, *tmp;
	u64 now = ktime_get_ns();
	unsigned int n = 0;

	if (!ls->timeout_ms)
		return 0;
	list_for_each_entry_safe(l, tmp, &ls->list, link) {
		if (kipc_lease_deadline(ls, l) > now)
			break;
		if (l->busy)
			continue;
		kipc_lease_del(ls, l);
		list_add_tail(&l->link, out);
		n++;
	}
	return n;
}

/**
 * kipc_lease_arm() - schedule the timeout for the oldest lease
 * @ls: the queue's leases, with a timeout
 */
void kipc_lease_arm(struct kipc_leases *ls)
{
	struct kipc_lease *l;
	u64 now = ktime_get_ns(), when;

	if (!ls->timeout_ms || list_empty(&ls->list))
		return;
	l = list_first_entry(&ls->list, struct kipc_lease, link);
	when = kipc_lease_deadline(ls, l);
	/* A busy lease is looked at again a tick later. */
	mod_delayed_work(system_wq, &ls->expire,
			 when > now ? nsecs_to_jiffies(when - now) + 1 : 1);
}

/**
 * kipc_lease_count_handle() - leases a handle holds or was the receive's
 * @ls: the queue's leases
 * @h: the handle
 *
 * Return: how many.
 */
unsigned int kipc_lease_count_handle(struct kipc_leases *ls,
				     struct kipc_handle *h)
{
	struct kipc_lease *l;
	unsigned int n = 0;

	list_for_each_entry(l, &ls->list, link)
		if (l->owner == h || l->via == h)
			n++;
	return n;
}

#define KIPC_LEASE_NL_MAX	32

/**
 * kipc_lease_fill_nl() - the lease holders, for netlink
 * @ls: the queue's leases
 * @skb: the message, inside the KIPC_A_QUEUE nest
 * @pidns: the reader's pid namespace
 *
 * Puts a KIPC_A_Q_LEASES nest of up to 32 KIPC_A_LEASE nests, oldest
 * lease first: who holds which sequence number, and since when.
 *
 * Return: 0 or -EMSGSIZE.
 */
int kipc_lease_fill_nl(struct kipc_leases *ls, struct sk_buff *skb,
		       struct pid_namespace *pidns)
{
	struct nlattr *all, *one;
	struct kipc_lease *l;
	unsigned int n = 0;
	u64 now = ktime_get_ns();

	if (list_empty(&ls->list))
		return 0;
	all = nla_nest_start(skb, KIPC_A_Q_LEASES);
	if (!all)
		return -EMSGSIZE;
	list_for_each_entry(l, &ls->list, link) {
		if (n++ == KIPC_LEASE_NL_MAX)
			break;
		one = nla_nest_start(skb, KIPC_A_LEASE);
		if (!one ||
		    nla_put_u64_64bit(skb, KIPC_A_LEASE_SEQ, l->seq,
				      KIPC_A_LEASE_PAD) ||
		    nla_put_u64_64bit(skb, KIPC_A_LEASE_AGE_NS, now - l->since,
				      KIPC_A_LEASE_PAD) ||
		    nla_put_u32(skb, KIPC_A_LEASE_PID,
				pid_nr_ns(l->owner->pid, pidns)) ||
		    nla_put_u32(skb, KIPC_A_LEASE_TID,
				pid_nr_ns(l->owner->tid, pidns)) ||
		    nla_put_u32(skb, KIPC_A_LEASE_LEN, l->len))
			return -EMSGSIZE;
		nla_nest_end(skb, one);
	}
	nla_nest_end(skb, all);
	return 0;
}

/* --- ioctls: kipc_ioctl() copied and checked each struct -------- */

/**
 * kipc_queue_thread_ioctl() - KIPC_IOC_QUEUE_THREAD: a thread handle
 * @h: the queue handle (read access)
 * @arg: &struct kipc_ioc_queue_thread
 *
 * The new handle owns the calling thread's leases.
 *
 * Return: the new handle's fd, or -errno.
 */
long kipc_queue_thread_ioctl(struct kipc_handle *h, void *arg)
{
	if (h->thread)
		return -EBADF;
	return kipc_object_install_thread(h->obj, h->access,
					  kipc_file_nonblock(h->file));
}

/*
 * The thread handle @fd, referenced, if it is one of @h's object made by
 * the calling thread; else -EBADF.
 */
static struct file *kipc_lease_thread_get(struct kipc_handle *h, int fd,
					  struct kipc_handle **th)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	*th = file->private_data;
	if (file->f_op != &kipc_handle_fops || !(*th)->thread ||
	    (*th)->obj != h->obj || (*th)->tid != task_pid(current)) {
		fput(file);
		return ERR_PTR(-EBADF);
	}
	return file;
}

/**
 * kipc_recv_leased_ioctl() - KIPC_IOC_RECV_LEASED
 * @h: the queue handle (read access)
 * @arg: &struct kipc_ioc_recv_leased; its thread_fd must be a thread
 *	handle of this queue that the calling thread made
 *
 * Return: how many messages were leased, or -errno.
 */
long kipc_recv_leased_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_ioc_recv_leased *args = arg;
	struct kipc_ioc_recv r = {
		.size		= sizeof(r),
		.msgs		= args->msgs,
		.count		= args->count,
		.sel_mode	= args->sel_mode,
		.sel_type	= args->sel_type,
		.timeout_ns	= args->timeout_ns,
	};
	struct kipc_handle *th;
	struct file *tfile;
	long ret;

	tfile = kipc_lease_thread_get(h, args->thread_fd, &th);
	if (IS_ERR(tfile))
		return PTR_ERR(tfile);
	/* The thread handle's file stays referenced while leases are made. */
	ret = kipc_queue_recv_leased(h, &r, th);
	fput(tfile);
	return ret;
}

/**
 * kipc_ack_ioctl() - KIPC_IOC_ACK: ack or (KIPC_ACK_NACK) nack leases
 * @h: the queue handle (read access)
 * @arg: &struct kipc_ioc_ack
 *
 * Return: how many were done, or -errno (-ENOENT: the first is no lease
 * of the calling thread).
 */
long kipc_ack_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_ioc_ack *args = arg;
	u64 one, *seqs = &one;
	void __user *useqs;
	long ret;

	if (args->__reserved || !args->count || args->count > KIPC_BATCH_MAX)
		return -EINVAL;
	useqs = u64_to_user_ptr(args->seqs);
	if (args->count == 1) {
		if (copy_from_user(&one, useqs, sizeof(one)))
			return -EFAULT;
	} else {
		seqs = memdup_user(useqs, array_size(args->count,
						     sizeof(*seqs)));
		if (IS_ERR(seqs))
			return PTR_ERR(seqs);
	}
	ret = kipc_queue_ack(h, seqs, args->count,
			     args->flags & KIPC_ACK_NACK);
	if (seqs != &one)
		kfree(seqs);
	return ret;
}
