// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - shared regions: pages, mmap, create, stat and the region ops.
 */

#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <linux/kipc_netlink.h>
#include <net/netlink.h>

#include "region.h"

/**
 * DOC: regions
 *
 * A region is an array of zeroed pages allocated at creation
 * (GFP_KERNEL_ACCOUNT) and inserted into each shared mapping with
 * vm_insert_page().  A mapping holds its handle file, which holds the
 * region, so the pages outlive the owner until the last handle and the
 * last mapping are gone.
 *
 * The region's other concerns have their own files, which share
 * &struct kipc_region through region.h: waiting on and waking its words
 * (word.c), robust locks and thread handles (lock.c) and SPSC rings
 * (ring.c).  This file holds the region's command table and the
 * &struct kipc_object_ops of the kind.
 */

#define KIPC_REGION_SIZE_MAX	BIT_ULL(40)

static __poll_t kipc_region_poll(struct kipc_handle *h, struct file *file,
				 struct poll_table_struct *wait)
{
	struct kipc_region *r = kipc_region(h->obj);
	__poll_t mask;

	poll_wait(file, &r->poll_wq, wait);
	mask = r->ring_role ? kipc_ring_poll(r, h) : 0;
	if (kipc_region_alive(r))
		mask |= EPOLLHUP;
	return mask;
}

/* KIPC_IOC_REGION_STAT; kipc_ioctl() copies the result out. */
static long kipc_region_stat_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_region *r = kipc_region(h->obj);
	struct kipc_ioc_region_stat *info = arg;

	info->region_size = r->size;
	info->token = kipc_rhandle(h)->token;
	info->access = h->access;
	spin_lock(&r->lock);
	info->handles = atomic_read(&r->obj.nr_handles);
	info->locks = r->nr_locks;
	info->state = r->state;
	spin_unlock(&r->lock);
	info->waiters = atomic_read(&r->nr_waiters);
	info->ring_role = kipc_rhandle(h)->ring_role;
	info->owner_pid = pid_nr_ns(r->obj.owner_pid,
				    task_active_pid_ns(current));
	info->id = r->obj.id;
	info->owner_died = atomic_read(&r->owner_died);
	return 0;
}

/* A region handle's commands; the handlers live in word.c, lock.c, ring.c. */
static const struct kipc_ioctl_op kipc_region_ioctls[] = {
	KIPC_IOCTL_OUT(REGION_STAT, region_stat, owner_died, 0, 0),
	KIPC_IOCTL(WAIT, wait, timeout_ns, KIPC_RDONLY, 0),
	KIPC_IOCTL(WAKE, wake, __reserved, KIPC_WRONLY, 0),
	KIPC_IOCTL_LOCK(LOCK_INIT, lock_init),
	KIPC_IOCTL_LOCK(LOCK, lock),
	KIPC_IOCTL_LOCK(UNLOCK, unlock),
	KIPC_IOCTL_OUT(RING_ATTACH, ring_attach, __reserved, KIPC_RDWR, 0),
	KIPC_IOCTL(REGION_THREAD, region_thread, flags, 0, 0),
	KIPC_IOCTL_LOCK(LOCK_CONSISTENT, lock_consistent),
};

/* Mappings are filled at mmap; this refills PTEs zapped since. */
static vm_fault_t kipc_region_fault(struct vm_fault *vmf)
{
	struct kipc_region *r = vmf->vma->vm_private_data;

	if (vmf->pgoff >= r->nr_pages)
		return VM_FAULT_SIGBUS;
	vmf->page = r->pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct kipc_region_vm_ops = {
	.fault = kipc_region_fault,
};

static int kipc_region_mmap(struct kipc_handle *h, struct file *file,
			    struct vm_area_struct *vma)
{
	struct kipc_region *r = kipc_region(h->obj);
	unsigned long i, npages = vma_pages(vma);
	int ret;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff >= r->nr_pages || npages > r->nr_pages - vma->vm_pgoff)
		return -EINVAL;
	if (!(h->access & KIPC_RDONLY) || vma->vm_flags & VM_EXEC ||
	    (vma->vm_flags & VM_WRITE && !(h->access & KIPC_WRONLY)))
		return -EACCES;
	/* 6.1 has no vm_flags_set()/vm_flags_clear() yet (added in 6.3). */
	if (!(h->access & KIPC_WRONLY))
		vma->vm_flags &= ~VM_MAYWRITE;
	vma->vm_flags &= ~VM_MAYEXEC;
	vma->vm_flags |= VM_DONTEXPAND;
	vma->vm_ops = &kipc_region_vm_ops;
	vma->vm_private_data = r;

	for (i = 0; i < npages; i++) {
		ret = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				     r->pages[vma->vm_pgoff + i]);
		if (ret)
			return ret;
	}
	return 0;
}

static void kipc_region_kill(struct kipc_object *obj)
{
	struct kipc_region *r = kipc_region(obj);

	spin_lock(&r->lock);
	WRITE_ONCE(r->state, KIPC_STATE_DEAD);
	spin_unlock(&r->lock);
	kipc_region_hup(r);
}

static int kipc_region_handle_add(struct kipc_handle *h)
{
	struct kipc_region *r = kipc_region(h->obj);
	int ret;

	ret = xa_alloc(&r->tokens, &kipc_rhandle(h)->token, h,
		       XA_LIMIT(1, KIPC_LOCK_OWNER_MASK - 1),
		       GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret == -EBUSY ? -ENOSPC : ret;
	spin_lock(&r->lock);
	if (h->thread) {
		r->thread_handles++;
		spin_unlock(&r->lock);
		return 0;
	}
	/* Another peer is open: this one makes two (uncounted yet). */
	if (atomic_read(&r->obj.nr_handles))
		WRITE_ONCE(r->orphaned, false);
	if (h->owner && r->ring_role)
		kipc_ring_take_role(r, h, r->ring_role);
	spin_unlock(&r->lock);
	return 0;
}

static void kipc_region_handle_del(struct kipc_handle *h)
{
	struct kipc_region *r = kipc_region(h->obj);
	bool hup;

	/*
	 * The token names no live handle from here on (in an allocating
	 * xarray, storing NULL reserves the index, so it is not reused
	 * before the words that hold it are released).  Then the locks,
	 * before the handle count: their waiters get -EOWNERDEAD, never
	 * -EPIPE.
	 */
	xa_store(&r->tokens, kipc_rhandle(h)->token, NULL, GFP_KERNEL);
	kipc_region_release_locks(r, h);
	xa_erase(&r->tokens, kipc_rhandle(h)->token);

	spin_lock(&r->lock);
	if (h->thread) {
		r->thread_handles--;
		spin_unlock(&r->lock);
		return;
	}
	/* This handle is uncounted already: is one peer left? */
	hup = atomic_read(&r->obj.nr_handles) == 1;
	if (hup)
		WRITE_ONCE(r->orphaned, true);
	if (kipc_rhandle(h)->ring_role) {
		kipc_ring_drop_role(r, h);
		hup = true;
	}
	spin_unlock(&r->lock);
	if (hup)
		kipc_region_hup(r);
}

static void kipc_region_show_fdinfo(struct kipc_handle *h, struct seq_file *m)
{
	struct kipc_region *r = kipc_region(h->obj);
	u32 role = kipc_rhandle(h)->ring_role;

	seq_printf(m, "kipc-state:\t%s\n",
		   kipc_state_name(READ_ONCE(r->state)));
	seq_printf(m, "kipc-size:\t%llu\n", r->size);
	seq_printf(m, "kipc-thread-handles:\t%u\n",
		   READ_ONCE(r->thread_handles));
	if (role)
		seq_printf(m, "kipc-ring-role:\t%s\n",
			   role == KIPC_RING_PRODUCER ? "producer" : "consumer");
}

static void kipc_region_free(struct kipc_object *obj)
{
	struct kipc_region *r = kipc_region(obj);
	unsigned long i;

	if (r->pages) {
		for (i = 0; i < r->nr_pages; i++)
			if (r->pages[i])
				__free_page(r->pages[i]);
		kvfree(r->pages);
	}
	xa_destroy(&r->locks);
	xa_destroy(&r->tokens);
	kipc_object_release_common(obj);
	kfree(r);
}

/* One registered lock: its word, holder and waiters. */
static int kipc_region_fill_lock(struct kipc_region *r, struct sk_buff *skb,
				 u64 off, struct pid_namespace *pidns)
{
	struct kipc_rbucket *b = kipc_region_bucket(r, off);
	u32 word = READ_ONCE(*kipc_region_word(r, off));
	u32 owner = word & KIPC_LOCK_OWNER_MASK;
	struct kipc_handle *h;
	struct nlattr *nest;
	u32 waiters;
	pid_t holder = 0, tid = 0;

	spin_lock(&b->lock);
	waiters = kipc_bucket_lock_waiters(b, off, UINT_MAX);
	spin_unlock(&b->lock);
	if (owner && owner != KIPC_LOCK_NOTRECOVERABLE) {
		/* A handle is freed only after its token is erased. */
		xa_lock(&r->tokens);
		h = xa_load(&r->tokens, owner);
		if (h) {
			holder = pid_nr_ns(h->pid, pidns);
			if (h->tid)
				tid = pid_nr_ns(h->tid, pidns);
		}
		xa_unlock(&r->tokens);
	}

	nest = nla_nest_start(skb, KIPC_A_R_LOCK);
	if (!nest ||
	    nla_put_u64_64bit(skb, KIPC_A_L_OFFSET, off, KIPC_A_L_PAD) ||
	    nla_put_u32(skb, KIPC_A_L_WORD, word) ||
	    (holder && nla_put_u32(skb, KIPC_A_L_HOLDER_PID, holder)) ||
	    (tid && nla_put_u32(skb, KIPC_A_L_HOLDER_TID, tid)) ||
	    (word & KIPC_LOCK_OWNER_DIED &&
	     nla_put_flag(skb, KIPC_A_L_OWNER_DIED)) ||
	    (owner == KIPC_LOCK_NOTRECOVERABLE &&
	     nla_put_flag(skb, KIPC_A_L_NOTRECOVERABLE)) ||
	    nla_put_u32(skb, KIPC_A_L_WAITERS, waiters))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Every registered lock, for netlink. */
static int kipc_region_fill_locks(struct kipc_region *r, struct sk_buff *skb,
				  struct pid_namespace *pidns)
{
	unsigned long idx;
	void *entry;

	xa_for_each(&r->locks, idx, entry)
		if (kipc_region_fill_lock(r, skb, (u64)idx * sizeof(u32),
					  pidns))
			return -EMSGSIZE;
	return 0;
}

static int kipc_region_fill_nl(struct kipc_object *obj, struct sk_buff *skb,
			       struct pid_namespace *pidns)
{
	struct kipc_region *r = kipc_region(obj);
	struct nlattr *nest;

	if (nla_put_u32(skb, KIPC_A_OBJ_STATE, READ_ONCE(r->state)))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, KIPC_A_REGION);
	if (!nest ||
	    nla_put_u64_64bit(skb, KIPC_A_R_SIZE, r->size, KIPC_A_R_PAD) ||
	    nla_put_u32(skb, KIPC_A_R_WAITERS, atomic_read(&r->nr_waiters)) ||
	    nla_put_u8(skb, KIPC_A_R_ORPHANED, kipc_region_orphaned(r)) ||
	    nla_put_u32(skb, KIPC_A_R_OWNER_DIED,
			atomic_read(&r->owner_died)))
		return -EMSGSIZE;
	if (kipc_region_fill_locks(r, skb, pidns))
		return -EMSGSIZE;
	if (r->ring_role && kipc_region_fill_ring(r, skb, pidns))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static const struct kipc_object_ops kipc_region_ops = {
	.kind		= KIPC_KIND_REGION,
	.name		= "region",
	.ioctls		= kipc_region_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kipc_region_ioctls),
	.poll		= kipc_region_poll,
	.kill		= kipc_region_kill,
	.free		= kipc_region_free,
	.handle_add	= kipc_region_handle_add,
	.handle_del	= kipc_region_handle_del,
	.show_fdinfo	= kipc_region_show_fdinfo,
	.mmap		= kipc_region_mmap,
	.fill_nl	= kipc_region_fill_nl,
	.handle_size	= sizeof(struct kipc_region_handle),
};

/* Check the create arguments; returns the region's size in bytes. */
static int kipc_region_check(struct kipc_ioc_region_create *a, u64 *size)
{
	if (a->mode & ~0777 ||
	    (a->ring && a->ring != KIPC_RING_PRODUCER &&
	     a->ring != KIPC_RING_CONSUMER))
		return -EINVAL;
	if (a->ring) {
		if (a->region_size < KIPC_RING_MIN_CAPACITY ||
		    a->region_size > KIPC_RING_MAX_CAPACITY ||
		    !is_power_of_2(a->region_size))
			return -EINVAL;
		*size = PAGE_SIZE + a->region_size;
	} else {
		if (!a->region_size || a->region_size > KIPC_REGION_SIZE_MAX)
			return -EINVAL;
		*size = PAGE_ALIGN(a->region_size);
	}
	if (*size > READ_ONCE(kipc_max_region_size))
		return -ENOSPC;
	return 0;
}

static int kipc_region_alloc_pages(struct kipc_region *r)
{
	unsigned long i;

	r->pages = kvcalloc(r->nr_pages, sizeof(*r->pages), GFP_KERNEL_ACCOUNT);
	if (!r->pages)
		return -ENOMEM;
	for (i = 0; i < r->nr_pages; i++) {
		r->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!r->pages[i])
			return -ENOMEM;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/**
 * kipc_region_create_ioctl() - KIPC_IOC_REGION_CREATE
 * @h: NULL: a context command
 * @arg: the kernel's copy of &struct kipc_ioc_region_create
 *
 * Return: the owner handle's fd, or -errno.
 */
long kipc_region_create_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_ioc_region_create *args = arg;
	struct kipc_region *r;
	unsigned int i;
	u64 size;
	long ret;

	ret = kipc_region_check(args, &size);
	if (ret)
		return ret;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;

	for (i = 0; i < KIPC_REGION_BUCKETS; i++) {
		spin_lock_init(&r->buckets[i].lock);
		INIT_LIST_HEAD(&r->buckets[i].waiters);
	}
	xa_init(&r->locks);
	xa_init_flags(&r->tokens, XA_FLAGS_ALLOC1);
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->poll_wq);
	r->state = KIPC_STATE_LIVE;
	r->size = size;
	r->nr_pages = size >> PAGE_SHIFT;
	r->lock_charge = kipc_region_lock_charge(size);
	r->ring_role = args->ring;

	ret = kipc_object_init(&r->obj, &kipc_region_ops, args->name,
			       args->mode, args->flags, size);
	if (!ret)
		ret = kipc_region_alloc_pages(r);
	if (ret) {
		kipc_object_put(&r->obj);
		return ret;
	}
	if (r->ring_role)
		kipc_ring_init(r, args->region_size);
	return kipc_object_create(&r->obj);
}
