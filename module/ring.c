// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - SPSC rings: roles, attach and poll.
 */

#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/kipc_netlink.h>
#include <net/netlink.h>

#include "region.h"

/**
 * DOC: rings
 *
 * A ring is a region whose first page is a &struct kipc_ring_hdr; the
 * protocol between producer and consumer is described once, in the
 * "DOC: SPSC rings" block of <linux/kipc.h>, and runs in userspace.  The
 * kernel tracks which handle holds each role, reports the header's state
 * to poll, and sets the role's *_gone flag when its handle goes.  Any
 * mapper can rewrite the header, so the kernel keeps its own record of
 * the capacity and of the roles, and reads the indices only to compute a
 * poll mask.
 */

static struct kipc_ring_hdr *kipc_ring_hdr(struct kipc_region *r)
{
	return page_address(r->pages[0]);
}

static u32 kipc_ring_other(u32 role)
{
	return role == KIPC_RING_PRODUCER ? KIPC_RING_CONSUMER :
					    KIPC_RING_PRODUCER;
}

static u32 *kipc_ring_gone_flag(struct kipc_region *r, u32 role)
{
	struct kipc_ring_hdr *hdr = kipc_ring_hdr(r);

	return role == KIPC_RING_PRODUCER ? &hdr->producer_gone :
					    &hdr->consumer_gone;
}

static struct pid **kipc_ring_role_pid(struct kipc_region *r, u32 role)
{
	return &r->role_pid[role == KIPC_RING_PRODUCER ? 0 : 1];
}

/**
 * kipc_ring_take_role() - give a handle a ring role
 * @r: the region, with @r->lock held
 * @h: the handle
 * @role: KIPC_RING_PRODUCER or KIPC_RING_CONSUMER, not held by another
 */
void kipc_ring_take_role(struct kipc_region *r, struct kipc_handle *h,
			 u32 role)
	__must_hold(&r->lock)
{
	r->role_taken |= role;
	r->role_gone &= ~role;
	kipc_rhandle(h)->ring_role = role;
	*kipc_ring_role_pid(r, role) = get_pid(h->pid);
	WRITE_ONCE(*kipc_ring_gone_flag(r, role), 0);
}

/**
 * kipc_ring_drop_role() - a handle holding a ring role is going
 * @r: the region, with @r->lock held
 * @h: the handle, which holds a role
 *
 * The role is free to take again and marked gone until then.
 */
void kipc_ring_drop_role(struct kipc_region *r, struct kipc_handle *h)
	__must_hold(&r->lock)
{
	u32 role = kipc_rhandle(h)->ring_role;

	r->role_taken &= ~role;
	r->role_gone |= role;
	put_pid(*kipc_ring_role_pid(r, role));
	*kipc_ring_role_pid(r, role) = NULL;
	WRITE_ONCE(*kipc_ring_gone_flag(r, role), 1);
}

/**
 * kipc_ring_attach_ioctl() - KIPC_IOC_RING_ATTACH: take a ring role
 * @h: the region handle (read and write access, checked by kipc_ioctl())
 * @arg: the kernel's copy of &struct kipc_ioc_ring_attach; role 0 takes
 *	the free one; the role taken is set for kipc_ioctl() to write back
 *
 * Return: 0, -ENOTTY for a plain region, -EBUSY when the role is held,
 * -EPIPE when the region is dead, or -errno.
 */
long kipc_ring_attach_ioctl(struct kipc_handle *h, void *arg)
{
	struct kipc_region *r = kipc_region(h->obj);
	struct kipc_ioc_ring_attach *args = arg;
	long ret = 0;
	u32 role;

	if (args->__reserved ||
	    (args->role && args->role != KIPC_RING_PRODUCER &&
	     args->role != KIPC_RING_CONSUMER))
		return -EINVAL;
	if (!r->ring_role)
		return -ENOTTY;
	if (h->thread)
		return -EINVAL;	/* no peer, so no role */

	spin_lock(&r->lock);
	role = args->role;
	if (!role)
		role = r->role_taken & KIPC_RING_PRODUCER ? KIPC_RING_CONSUMER :
							  KIPC_RING_PRODUCER;
	if (kipc_rhandle(h)->ring_role)
		ret = -EINVAL;
	else if (r->role_taken & role)
		ret = -EBUSY;
	else if (r->state != KIPC_STATE_LIVE)
		ret = -EPIPE;
	if (!ret)
		kipc_ring_take_role(r, h, role);
	spin_unlock(&r->lock);
	if (!ret)
		args->role = role;
	return ret;
}

/* The ring's free space in bytes, from the untrusted header. */
static u32 kipc_ring_used(struct kipc_region *r, struct kipc_ring_hdr *hdr)
{
	u32 used = READ_ONCE(hdr->head) - READ_ONCE(hdr->tail);

	return min(used, r->ring_cap);
}

/**
 * kipc_ring_poll() - the poll mask of a ring handle
 * @r: the region, a ring
 * @h: the handle; one without a role polls nothing
 *
 * Return: EPOLLIN for the consumer with data, EPOLLOUT for the producer
 * with room, EPOLLHUP once the other role's handle went.
 */
__poll_t kipc_ring_poll(struct kipc_region *r, struct kipc_handle *h)
{
	struct kipc_ring_hdr *hdr = kipc_ring_hdr(r);
	u32 role = kipc_rhandle(h)->ring_role;
	u32 *waiting;
	__poll_t mask = 0;
	int pass;

	if (!role)
		return 0;
	/* The kernel's own record: any mapper can rewrite the header. */
	if (READ_ONCE(r->role_gone) & kipc_ring_other(role))
		mask |= EPOLLHUP;
	waiting = role == KIPC_RING_CONSUMER ? &hdr->consumer_waiting :
					       &hdr->producer_waiting;
	for (pass = 0; pass < 2; pass++) {
		if (role == KIPC_RING_CONSUMER && kipc_ring_used(r, hdr))
			return mask | EPOLLIN | EPOLLRDNORM;
		if (role == KIPC_RING_PRODUCER &&
		    r->ring_cap - kipc_ring_used(r, hdr) >=
		    2 * sizeof(struct kipc_ring_rec))
			return mask | EPOLLOUT | EPOLLWRNORM;
		/*
		 * Nothing yet: ask the peer to wake us after its next
		 * publish, then look once more (the peer publishes, fences,
		 * then reads the flag).
		 */
		WRITE_ONCE(*waiting, 1);
		/* Flag before index, as the library's sleeper does. */
		smp_mb();
	}
	return mask;
}

/**
 * kipc_ring_init() - write a new ring's header
 * @r: the region, its pages allocated
 * @cap: the data capacity, a checked power of two
 */
void kipc_ring_init(struct kipc_region *r, u32 cap)
{
	struct kipc_ring_hdr *hdr = kipc_ring_hdr(r);

	r->ring_cap = cap;
	hdr->magic = KIPC_RING_MAGIC;
	hdr->capacity = cap;
	hdr->data_offset = PAGE_SIZE;
}

/**
 * kipc_region_fill_ring() - put a ring's state in a netlink reply
 * @r: the region, a ring
 * @skb: the message, inside the KIPC_A_REGION nest
 * @pidns: the namespace the roles' pids are given in
 *
 * Return: 0 or -EMSGSIZE.
 */
int kipc_region_fill_ring(struct kipc_region *r, struct sk_buff *skb,
			  struct pid_namespace *pidns)
{
	struct kipc_ring_hdr *hdr = kipc_ring_hdr(r);
	struct nlattr *nest;
	pid_t pid[2];
	u32 gone;
	int i;

	spin_lock(&r->lock);
	for (i = 0; i < 2; i++)
		pid[i] = r->role_pid[i] ? pid_nr_ns(r->role_pid[i], pidns) : 0;
	gone = r->role_gone;
	spin_unlock(&r->lock);

	nest = nla_nest_start(skb, KIPC_A_R_RING);
	if (!nest ||
	    nla_put_u32(skb, KIPC_A_RING_CAPACITY, r->ring_cap) ||
	    nla_put_u32(skb, KIPC_A_RING_USED, kipc_ring_used(r, hdr)) ||
	    (pid[0] && nla_put_u32(skb, KIPC_A_RING_PRODUCER_PID, pid[0])) ||
	    (pid[1] && nla_put_u32(skb, KIPC_A_RING_CONSUMER_PID, pid[1])) ||
	    (gone & KIPC_RING_PRODUCER &&
	     nla_put_flag(skb, KIPC_A_RING_PRODUCER_GONE)) ||
	    (gone & KIPC_RING_CONSUMER &&
	     nla_put_flag(skb, KIPC_A_RING_CONSUMER_GONE)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}
