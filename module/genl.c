// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - the generic netlink family "kipc": object dumps and events.
 */

#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <linux/kipc_netlink.h>

#include "kipc.h"

/**
 * DOC: introspection over generic netlink
 *
 * KIPC_CMD_GET_OBJECT dumps the objects of the caller's IPC namespace by
 * walking the module's id xarray: each step takes a reference under the
 * xarray lock (kipc_object_next()), so an object freed during the dump is
 * either seen whole or not at all, and resuming from the next id never
 * repeats one.  Each kind fills its own nest (&kipc_object_ops.fill_nl).
 *
 * Events are scoped by IPC namespace, which netlink multicast cannot
 * express (its groups are per network namespace, and 6.1 has no filtered
 * broadcast for modules), so a socket subscribes with KIPC_CMD_NOTIFY and
 * each event is unicast to the subscribers of the object's namespace,
 * with pids translated into each subscriber's pid namespace.  Subscribers
 * go away with their socket (NETLINK_URELEASE) or when a send finds the
 * socket gone.  One user may hold KIPC_GENL_USER_SUBS_MAX subscriptions
 * in all, whatever namespaces it makes: the table is global, so the cap
 * counts the kuid, which a new user namespace maps but cannot change.
 */

/*
 * Per user (KIPC_GENL_USER_SUBS_MAX, counted by kuid over every namespace:
 * making user and IPC namespaces gives a user no more), and overall.
 */
#define KIPC_GENL_MAX_SUBS	4096

/**
 * struct kipc_sub - a socket subscribed to events
 * @node: entry in kipc_subs
 * @net: its network namespace (referenced)
 * @portid: its netlink port id
 * @kns: the IPC namespace it sees (referenced, so it stays pinned)
 * @pidns: the pid namespace pids are shown in (referenced)
 * @uid: the subscriber's euid as a kuid (the user in the initial user
 *	namespace), for the per-user limit
 */
struct kipc_sub {
	struct list_head node;
	struct net *net;
	u32 portid;
	struct kipc_ns *kns;
	struct pid_namespace *pidns;
	kuid_t uid;
};

static DEFINE_MUTEX(kipc_subs_lock);
static LIST_HEAD(kipc_subs);
static unsigned int kipc_nr_subs;

static struct genl_family kipc_genl_family;

static const struct nla_policy kipc_genl_policy[KIPC_A_MAX + 1] = {
	[KIPC_A_OBJ_ID]		= { .type = NLA_U32 },
	[KIPC_A_OBJ_NAME]	= { .type = NLA_NUL_STRING,
				    .len = KIPC_NAME_MAX + 1 },
};

/* Names are kept without their '/'; userspace sees "/name". */
static int kipc_nla_put_name(struct sk_buff *skb, struct kipc_object *obj)
{
	size_t len = strlen(obj->name);
	struct nlattr *attr;
	char *p;

	attr = nla_reserve(skb, KIPC_A_OBJ_NAME, len + 2);
	if (!attr)
		return -EMSGSIZE;
	p = nla_data(attr);
	p[0] = '/';
	memcpy(p + 1, obj->name, len + 1);
	return 0;
}

static int kipc_genl_fill(struct sk_buff *skb, struct kipc_object *obj,
			  u32 portid, u32 seq, int flags)
{
	struct pid_namespace *pidns = task_active_pid_ns(current);
	struct user_namespace *userns = current_user_ns();
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &kipc_genl_family, flags,
			  KIPC_CMD_GET_OBJECT);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, KIPC_A_OBJ_ID, obj->id) ||
	    nla_put_u32(skb, KIPC_A_OBJ_KIND, obj->ops->kind) ||
	    (obj->name && kipc_nla_put_name(skb, obj)) ||
	    nla_put_u32(skb, KIPC_A_OBJ_OWNER_PID,
			pid_nr_ns(obj->owner_pid, pidns)) ||
	    nla_put_u32(skb, KIPC_A_OBJ_UID,
			from_kuid_munged(userns, obj->uid)) ||
	    nla_put_u32(skb, KIPC_A_OBJ_GID,
			from_kgid_munged(userns, obj->gid)) ||
	    nla_put_u32(skb, KIPC_A_OBJ_MODE, obj->mode) ||
	    (obj->create_flags & KIPC_PERSIST &&
	     nla_put_flag(skb, KIPC_A_OBJ_PERSIST)) ||
	    nla_put_u32(skb, KIPC_A_OBJ_HANDLES,
			atomic_read(&obj->nr_handles)) ||
	    nla_put_u32(skb, KIPC_A_OBJ_READERS,
			atomic_read(&obj->nr_readers)) ||
	    nla_put_u32(skb, KIPC_A_OBJ_WRITERS,
			atomic_read(&obj->nr_writers)) ||
	    nla_put_u8(skb, KIPC_A_OBJ_OWNER_ALIVE,
		       READ_ONCE(obj->owner_alive)) ||
	    obj->ops->fill_nl(obj, skb, pidns)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static bool kipc_genl_visible(struct kipc_object *obj)
{
	return obj->kns && obj->kns->ipc_ns == current->nsproxy->ipc_ns;
}

static int kipc_genl_dump_objects(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	unsigned long id = cb->args[0];
	struct kipc_object *obj;
	int err = 0;

	while ((obj = kipc_object_next(&id))) {
		if (kipc_genl_visible(obj))
			err = kipc_genl_fill(skb, obj,
					     NETLINK_CB(cb->skb).portid,
					     cb->nlh->nlmsg_seq, NLM_F_MULTI);
		kipc_object_put(obj);
		if (err)
			break;
		id++;
	}
	cb->args[0] = id;
	/* A full skb ends this round; an empty one means the object is
	 * larger than a dump skb, which cannot happen with these sizes.
	 */
	return err && !skb->len ? err : skb->len;
}

static struct kipc_object *kipc_genl_lookup(struct genl_info *info)
{
	struct kipc_object *obj = NULL;
	struct kipc_ns *kns;
	unsigned long id;
	const char *name;

	if (info->attrs[KIPC_A_OBJ_ID]) {
		id = nla_get_u32(info->attrs[KIPC_A_OBJ_ID]);
		obj = kipc_object_next(&id);
		if (obj && (obj->id != nla_get_u32(info->attrs[KIPC_A_OBJ_ID]) ||
			    !kipc_genl_visible(obj))) {
			kipc_object_put(obj);
			obj = NULL;
		}
		return obj;
	}
	name = nla_data(info->attrs[KIPC_A_OBJ_NAME]);
	if (*name == '/')
		name++;
	kns = kipc_ns_find(current->nsproxy->ipc_ns);
	if (kns) {
		obj = kipc_name_lookup(kns, name);
		kipc_ns_put(kns);
	}
	return obj;
}

static int kipc_genl_get_object(struct sk_buff *skb, struct genl_info *info)
{
	struct kipc_object *obj;
	struct sk_buff *msg;
	int err;

	if (!info->attrs[KIPC_A_OBJ_ID] == !info->attrs[KIPC_A_OBJ_NAME]) {
		NL_SET_ERR_MSG(info->extack,
			       "give exactly one of KIPC_A_OBJ_ID, KIPC_A_OBJ_NAME");
		return -EINVAL;
	}
	obj = kipc_genl_lookup(info);
	if (!obj) {
		NL_SET_ERR_MSG(info->extack, "no such object");
		return -ENOENT;
	}
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		kipc_object_put(obj);
		return -ENOMEM;
	}
	err = kipc_genl_fill(msg, obj, info->snd_portid, info->snd_seq, 0);
	kipc_object_put(obj);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

static int kipc_genl_get_module(struct sk_buff *skb, struct genl_info *info)
{
	struct kipc_ns *kns = kipc_ns_find(current->nsproxy->ipc_ns);
	unsigned int ns_objects = 0;
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	if (kns) {
		mutex_lock(&kns->lock);
		ns_objects = kns->nr_objects;
		mutex_unlock(&kns->lock);
		kipc_ns_put(kns);
	}
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kipc_genl_family, 0,
				KIPC_CMD_GET_MODULE);
	if (!hdr)
		goto err;
	nest = nla_nest_start(msg, KIPC_A_MODULE);
	if (!nest ||
	    nla_put_u32(msg, KIPC_A_M_MAX_OBJECTS, READ_ONCE(kipc_max_objects)) ||
	    nla_put_u64_64bit(msg, KIPC_A_M_MAX_USER_BYTES,
			      READ_ONCE(kipc_max_user_bytes), KIPC_A_M_PAD) ||
	    nla_put_u32(msg, KIPC_A_M_MAX_MSG_SIZE,
			READ_ONCE(kipc_max_msg_size)) ||
	    nla_put_u64_64bit(msg, KIPC_A_M_MAX_REGION_SIZE,
			      READ_ONCE(kipc_max_region_size), KIPC_A_M_PAD) ||
	    nla_put_u32(msg, KIPC_A_M_LIVE_OBJECTS, kipc_live_objects()) ||
	    nla_put_u32(msg, KIPC_A_M_NS_OBJECTS, ns_objects) ||
	    nla_put_u64_64bit(msg, KIPC_A_M_USER_BYTES,
			      kipc_user_charged(current_fsuid()), KIPC_A_M_PAD))
		goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static void kipc_sub_free(struct kipc_sub *sub)
{
	list_del(&sub->node);
	kipc_nr_subs--;
	put_net(sub->net);
	kipc_ns_put(sub->kns);
	put_pid_ns(sub->pidns);
	kfree(sub);
}

static int kipc_genl_subscribe(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	kuid_t uid = current_euid();
	unsigned int mine = 0;
	struct kipc_sub *sub;
	struct kipc_ns *kns;
	int ret = 0;

	kns = kipc_ns_current();
	if (!kns)
		return -ENOMEM;
	mutex_lock(&kipc_subs_lock);
	list_for_each_entry(sub, &kipc_subs, node) {
		if (net_eq(sub->net, net) && sub->portid == info->snd_portid)
			goto out;	/* already subscribed */
		mine += uid_eq(sub->uid, uid);
	}
	if (mine >= KIPC_GENL_USER_SUBS_MAX || kipc_nr_subs >= KIPC_GENL_MAX_SUBS) {
		NL_SET_ERR_MSG(info->extack, "too many subscribers");
		ret = -ENOSPC;
		goto out;
	}
	sub = kzalloc(sizeof(*sub), GFP_KERNEL_ACCOUNT);
	if (!sub) {
		ret = -ENOMEM;
		goto out;
	}
	sub->net = get_net(net);
	sub->portid = info->snd_portid;
	sub->kns = kns;
	kns = NULL;
	sub->pidns = get_pid_ns(task_active_pid_ns(current));
	sub->uid = uid;
	list_add_tail(&sub->node, &kipc_subs);
	kipc_nr_subs++;
out:
	mutex_unlock(&kipc_subs_lock);
	if (kns)
		kipc_ns_put(kns);
	return ret;
}

static struct sk_buff *kipc_genl_notify_msg(struct kipc_object *obj,
					    u32 type, struct pid *pid,
					    struct kipc_sub *sub)
{
	struct sk_buff *msg;
	void *hdr;

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	hdr = genlmsg_put(msg, 0, 0, &kipc_genl_family, 0, KIPC_CMD_NOTIFY);
	if (!hdr ||
	    nla_put_u32(msg, KIPC_A_NOTIFY_TYPE, type) ||
	    nla_put_u32(msg, KIPC_A_OBJ_ID, obj->id) ||
	    nla_put_u32(msg, KIPC_A_OBJ_KIND, obj->ops->kind) ||
	    (obj->name && kipc_nla_put_name(msg, obj)) ||
	    (pid && nla_put_u32(msg, KIPC_A_NOTIFY_PID,
				pid_nr_ns(pid, sub->pidns)))) {
		nlmsg_free(msg);
		return NULL;
	}
	genlmsg_end(msg, hdr);
	return msg;
}

/**
 * kipc_genl_notify() - tell the subscribers of @obj's namespace
 * @obj: the object
 * @type: KIPC_NOTIFY_*
 * @pid: the process concerned (OWNER_DIED), or NULL
 *
 * Sleeps; never call it with a spinlock held.
 */
void kipc_genl_notify(struct kipc_object *obj, u32 type, struct pid *pid)
{
	struct kipc_sub *sub, *tmp;
	struct sk_buff *msg;

	if (!obj->kns || list_empty_careful(&kipc_subs))
		return;
	mutex_lock(&kipc_subs_lock);
	list_for_each_entry_safe(sub, tmp, &kipc_subs, node) {
		if (sub->kns != obj->kns)
			continue;
		msg = kipc_genl_notify_msg(obj, type, pid, sub);
		if (!msg)
			continue;
		if (genlmsg_unicast(sub->net, msg, sub->portid) == -ECONNREFUSED)
			kipc_sub_free(sub);
	}
	mutex_unlock(&kipc_subs_lock);
}

/**
 * kipc_genl_notify_ratelimited() - notify at most once a second per object
 * @obj: the object
 * @type: KIPC_NOTIFY_DROP or KIPC_NOTIFY_OVERFLOW
 */
void kipc_genl_notify_ratelimited(struct kipc_object *obj, u32 type)
{
	unsigned long last = READ_ONCE(obj->notify_stamp);

	if (list_empty_careful(&kipc_subs))
		return;
	if (last && time_before(jiffies, last + HZ))
		return;
	if (cmpxchg(&obj->notify_stamp, last, jiffies ?: 1) != last)
		return;
	kipc_genl_notify(obj, type, NULL);
}

static int kipc_genl_urelease(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct netlink_notify *n = ptr;
	struct kipc_sub *sub, *tmp;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	mutex_lock(&kipc_subs_lock);
	list_for_each_entry_safe(sub, tmp, &kipc_subs, node)
		if (net_eq(sub->net, n->net) && sub->portid == n->portid)
			kipc_sub_free(sub);
	mutex_unlock(&kipc_subs_lock);
	return NOTIFY_DONE;
}

static struct notifier_block kipc_genl_notifier = {
	.notifier_call = kipc_genl_urelease,
};

static const struct genl_ops kipc_genl_ops[] = {
	{
		.cmd		= KIPC_CMD_GET_OBJECT,
		.doit		= kipc_genl_get_object,
		.dumpit		= kipc_genl_dump_objects,
		.policy		= kipc_genl_policy,
		.maxattr	= KIPC_A_MAX,
	},
	{
		.cmd		= KIPC_CMD_GET_MODULE,
		.doit		= kipc_genl_get_module,
		.policy		= kipc_genl_policy,
		.maxattr	= KIPC_A_MAX,
	},
	{
		.cmd		= KIPC_CMD_NOTIFY,
		.doit		= kipc_genl_subscribe,
		.policy		= kipc_genl_policy,
		.maxattr	= KIPC_A_MAX,
	},
};

static const struct genl_multicast_group kipc_genl_mcgrps[] = {
	{ .name = KIPC_GENL_MCGRP_EVENTS },
};

static struct genl_family kipc_genl_family __ro_after_init = {
	.name		= KIPC_GENL_NAME,
	.version	= KIPC_GENL_VERSION,
	.maxattr	= KIPC_A_MAX,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= kipc_genl_ops,
	.n_ops		= ARRAY_SIZE(kipc_genl_ops),
	.resv_start_op	= KIPC_CMD_NOTIFY + 1,
	.mcgrps		= kipc_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(kipc_genl_mcgrps),
};

/**
 * kipc_genl_init() - register the netlink family at module load
 *
 * Return: 0 or -errno.
 */
int kipc_genl_init(void)
{
	int ret;

	ret = netlink_register_notifier(&kipc_genl_notifier);
	if (ret)
		return ret;
	ret = genl_register_family(&kipc_genl_family);
	if (ret)
		netlink_unregister_notifier(&kipc_genl_notifier);
	return ret;
}

/**
 * kipc_genl_exit() - unregister the family and drop every subscriber
 */
void kipc_genl_exit(void)
{
	struct kipc_sub *sub, *tmp;

	genl_unregister_family(&kipc_genl_family);
	netlink_unregister_notifier(&kipc_genl_notifier);
	mutex_lock(&kipc_subs_lock);
	list_for_each_entry_safe(sub, tmp, &kipc_subs, node)
		kipc_sub_free(sub);
	mutex_unlock(&kipc_subs_lock);
}
