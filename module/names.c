// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - names, scoped to IPC namespaces.
 */

#include <linux/ctype.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "kipc.h"

/**
 * DOC: names and IPC namespaces
 *
 * Every object lives in the IPC namespace of the task that created it, and
 * names are looked up in the caller's namespace, like SysV IPC.  A module
 * cannot add a field to &struct ipc_namespace nor hook its teardown, so
 * kipc keeps a &struct kipc_ns per namespace it holds objects for, in a
 * list keyed by the namespace pointer, and *pins* the namespace with a
 * reference for as long as that entry exists.  A pinned namespace is never
 * freed, so a new namespace can never be allocated at its address and
 * inherit its objects by mistake.
 *
 * The pin is dropped when the namespace's last kipc object is freed.
 * Persistent objects would keep a namespace that no task can enter any
 * more alive forever, so a reaper looks every few seconds for namespaces
 * whose only reference is kipc's pin (no task, no nsfs file left: nothing
 * can ever reach them again) and unlinks their names.
 *
 * Names are 1..KIPC_NAME_MAX bytes of [A-Za-z0-9._-] after one optional
 * leading '/', which is not part of the name and not counted: "/a" and
 * "a" are the same.
 */

#define KIPC_REAP_INTERVAL	(5 * HZ)

static DEFINE_MUTEX(kipc_ns_mutex);
static LIST_HEAD(kipc_ns_list);

static void kipc_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(kipc_reap_work, kipc_reap);

static void kipc_ns_unpin(struct ipc_namespace *ipc_ns)
{
	/* put_ipc_ns() is not exported; the nsfs operations reach it. */
	ipc_ns->ns.ops->put(&ipc_ns->ns);
}

/**
 * kipc_ns_current() - the caller's namespace entry, created on first use
 *
 * Return: a referenced &struct kipc_ns, or NULL when out of memory.
 */
struct kipc_ns *kipc_ns_current(void)
{
	struct ipc_namespace *ipc_ns = current->nsproxy->ipc_ns;
	struct kipc_ns *kns;

	mutex_lock(&kipc_ns_mutex);
	list_for_each_entry(kns, &kipc_ns_list, node) {
		if (kns->ipc_ns == ipc_ns) {
			kref_get(&kns->ref);
			goto out;
		}
	}
	kns = kzalloc(sizeof(*kns), GFP_KERNEL_ACCOUNT);
	if (!kns)
		goto out;
	kref_init(&kns->ref);
	mutex_init(&kns->lock);
	hash_init(kns->names);
	kns->ipc_ns = get_ipc_ns(ipc_ns);
	if (list_empty(&kipc_ns_list))
		schedule_delayed_work(&kipc_reap_work, KIPC_REAP_INTERVAL);
	list_add(&kns->node, &kipc_ns_list);
out:
	mutex_unlock(&kipc_ns_mutex);
	return kns;
}

/**
 * kipc_ns_find() - the entry of a namespace, if kipc knows it
 * @ipc_ns: the namespace
 *
 * Return: a referenced &struct kipc_ns, or NULL; never creates one.
 */
struct kipc_ns *kipc_ns_find(struct ipc_namespace *ipc_ns)
{
	struct kipc_ns *kns;

	mutex_lock(&kipc_ns_mutex);
	list_for_each_entry(kns, &kipc_ns_list, node) {
		if (kns->ipc_ns == ipc_ns) {
			kref_get(&kns->ref);
			mutex_unlock(&kipc_ns_mutex);
			return kns;
		}
	}
	mutex_unlock(&kipc_ns_mutex);
	return NULL;
}

/* Called by kref_put_mutex() with kipc_ns_mutex held; drops it. */
static void kipc_ns_release(struct kref *ref)
{
	struct kipc_ns *kns = container_of(ref, struct kipc_ns, ref);

	list_del(&kns->node);
	mutex_unlock(&kipc_ns_mutex);
	WARN_ON(!hash_empty(kns->names));
	kipc_ns_unpin(kns->ipc_ns);
	mutex_destroy(&kns->lock);
	kfree(kns);
}

/**
 * kipc_ns_put() - drop a reference on a namespace entry
 * @kns: the entry; freed, and its namespace unpinned, with the last one
 */
void kipc_ns_put(struct kipc_ns *kns)
{
	kref_put_mutex(&kns->ref, kipc_ns_release, &kipc_ns_mutex);
}

static bool kipc_name_char_ok(char c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '-';
}

/**
 * kipc_name_from_user() - copy and check a name
 * @uname: user pointer to a NUL-terminated name
 * @name: out: the name without its leading '/', kmalloc()ed to its
 *	length (kmalloc_size_roundup(strlen(name) + 1) bytes)
 *
 * Return: 0, -EFAULT, -ENAMETOOLONG, -EINVAL or -ENOMEM.
 */
int kipc_name_from_user(u64 uname, char **name)
{
	char *buf, *p;
	long len;
	int ret = -EINVAL;

	/* Room for the optional '/', KIPC_NAME_MAX bytes and the NUL. */
	buf = kmalloc(KIPC_NAME_MAX + 2, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	len = strncpy_from_user(buf, u64_to_user_ptr(uname), KIPC_NAME_MAX + 2);
	if (len < 0) {
		ret = len;
		goto err;
	}
	p = buf[0] == '/' ? buf + 1 : buf;
	len -= p - buf;
	if (len > KIPC_NAME_MAX) {
		ret = -ENAMETOOLONG;
		goto err;
	}
	if (!len)
		goto err;
	for (len = 0; p[len]; len++)
		if (!kipc_name_char_ok(p[len]))
			goto err;
	/* Keep only what the name needs: that is what its object charges. */
	*name = kmemdup(p, len + 1, GFP_KERNEL_ACCOUNT);
	ret = *name ? 0 : -ENOMEM;
err:
	kfree(buf);
	return ret;
}

static u32 kipc_name_hash(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

static struct kipc_object *kipc_name_find_locked(struct kipc_ns *kns,
						 const char *name, u32 hash)
{
	struct kipc_object *obj;

	hash_for_each_possible(kns->names, obj, name_node, hash)
		if (!strcmp(obj->name, name))
			return obj;
	return NULL;
}

/**
 * kipc_name_link() - enter a new object's name in its namespace
 * @obj: the object; the name table takes a reference
 *
 * Return: 0 or -EEXIST.
 */
int kipc_name_link(struct kipc_object *obj)
{
	struct kipc_ns *kns = obj->kns;
	u32 hash = kipc_name_hash(obj->name);
	int ret = 0;

	mutex_lock(&kns->lock);
	if (kipc_name_find_locked(kns, obj->name, hash)) {
		ret = -EEXIST;
	} else {
		kipc_object_get(obj);
		hash_add(kns->names, &obj->name_node, hash);
		set_bit(KIPC_OBJ_LINKED, &obj->flags);
	}
	mutex_unlock(&kns->lock);
	return ret;
}

static void kipc_name_unlink_locked(struct kipc_object *obj)
{
	hash_del(&obj->name_node);
	clear_bit(KIPC_OBJ_LINKED, &obj->flags);
}

/**
 * kipc_name_unlink_obj() - remove an object's name, if it still has it
 * @obj: the object
 *
 * Drops the name table's reference; the caller must hold another one.
 *
 * Return: true when this call removed the name.
 */
bool kipc_name_unlink_obj(struct kipc_object *obj)
{
	struct kipc_ns *kns = obj->kns;
	bool linked;

	mutex_lock(&kns->lock);
	linked = test_bit(KIPC_OBJ_LINKED, &obj->flags);
	if (linked)
		kipc_name_unlink_locked(obj);
	mutex_unlock(&kns->lock);
	if (linked)
		kipc_object_put(obj);
	return linked;
}

/**
 * kipc_name_lookup() - find a linked object by name
 * @kns: the namespace
 * @name: the name without its leading '/'
 *
 * Return: a referenced object, or NULL.
 */
struct kipc_object *kipc_name_lookup(struct kipc_ns *kns, const char *name)
{
	struct kipc_object *obj;

	mutex_lock(&kns->lock);
	obj = kipc_name_find_locked(kns, name, kipc_name_hash(name));
	if (obj)
		kipc_object_get(obj);
	mutex_unlock(&kns->lock);
	return obj;
}

/**
 * kipc_name_unlink() - remove a name, if the caller may
 * @kns: the namespace
 * @name: the name without its leading '/'
 *
 * Return: 0, -ENOENT when no object has the name, or -EPERM when the
 * caller may not administer the object (kipc_object_may_admin()).
 */
int kipc_name_unlink(struct kipc_ns *kns, const char *name)
{
	struct kipc_object *obj;
	int ret;

	mutex_lock(&kns->lock);
	obj = kipc_name_find_locked(kns, name, kipc_name_hash(name));
	if (!obj) {
		ret = -ENOENT;
	} else if (!kipc_object_may_admin(obj)) {
		ret = -EPERM;
	} else {
		kipc_name_unlink_locked(obj);
		ret = 0;
	}
	mutex_unlock(&kns->lock);
	if (obj && !ret)
		kipc_object_put(obj);
	return ret;
}

/*
 * Unlink every name of @kns.  Called for namespaces nobody can enter any
 * more, and at module exit.
 */
static void kipc_ns_unlink_all(struct kipc_ns *kns)
{
	struct kipc_object *obj;
	struct hlist_node *tmp;
	HLIST_HEAD(dropped);
	int bkt;

	mutex_lock(&kns->lock);
	hash_for_each_safe(kns->names, bkt, tmp, obj, name_node) {
		kipc_name_unlink_locked(obj);
		hlist_add_head(&obj->name_node, &dropped);
	}
	mutex_unlock(&kns->lock);

	hlist_for_each_entry_safe(obj, tmp, &dropped, name_node) {
		hlist_del_init(&obj->name_node);
		kipc_object_put(obj);
	}
}

/* Collect, referenced, the entries whose namespace only kipc still pins. */
static int kipc_ns_collect(struct kipc_ns **out, int max, bool all)
{
	struct kipc_ns *kns;
	int n = 0;

	mutex_lock(&kipc_ns_mutex);
	list_for_each_entry(kns, &kipc_ns_list, node) {
		if (n == max)
			break;
		if (!all && refcount_read(&kns->ipc_ns->ns.count) != 1)
			continue;
		if (hash_empty(kns->names))
			continue;
		kref_get(&kns->ref);
		out[n++] = kns;
	}
	mutex_unlock(&kipc_ns_mutex);
	return n;
}

static void kipc_ns_reap(bool all)
{
	struct kipc_ns *batch[16];
	int i, n;

	do {
		n = kipc_ns_collect(batch, ARRAY_SIZE(batch), all);
		for (i = 0; i < n; i++) {
			kipc_ns_unlink_all(batch[i]);
			kipc_ns_put(batch[i]);
		}
	} while (n == ARRAY_SIZE(batch));
}

static void kipc_reap(struct work_struct *work)
{
	bool again;

	kipc_ns_reap(false);
	mutex_lock(&kipc_ns_mutex);
	again = !list_empty(&kipc_ns_list);
	mutex_unlock(&kipc_ns_mutex);
	if (again)
		schedule_delayed_work(&kipc_reap_work, KIPC_REAP_INTERVAL);
}

/**
 * kipc_names_exit() - unlink every remaining name at module unload
 *
 * No handle exists any more (each pins the module), so this frees every
 * persistent object and, with them, every namespace entry.
 */
void kipc_names_exit(void)
{
	cancel_delayed_work_sync(&kipc_reap_work);
	kipc_ns_reap(true);
	cancel_delayed_work_sync(&kipc_reap_work);
	WARN_ON(!list_empty(&kipc_ns_list));
}
