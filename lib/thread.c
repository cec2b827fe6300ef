/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc: thread handles, which make the thread the owner of a robust
 * lock (docs/regions.md, "Robust locks", "Why thread handles") and of a
 * queue's leases (docs/queues.md, "Leased receive").
 *
 * Queues use the same table, destructor and fork handling, with entries
 * of their own kind: one thread handle per thread and queue fd, made
 * with KIPC_IOC_QUEUE_THREAD.  They need no validity check here: the
 * kernel checks the thread handle passed with each leased receive (same
 * queue as the fd, made by the calling thread) and says -EBADF when it
 * is not, and the caller then asks for a fresh one.
 *
 * The kernel's lock owner is a handle: a lock word holds the owner
 * handle's token, and releasing a handle marks its locks owner-died.  So
 * each thread takes locks through a handle of its own, a *thread handle*
 * made with KIPC_IOC_REGION_THREAD from the region handle the caller
 * passes.  The kernel does not count it as a peer.
 *
 * Per thread, a table maps region fds to {thread handle fd, token, region
 * id, access, mapping generation}; the lock fast path searches it with no
 * lock and no syscall.  All the fds of one region share the thread's one
 * thread handle, so a thread is one owner whichever fd it passes.  A
 * thread handle is made from a handle with write access (locks need it;
 * a caller's handle without it gets -EBADF before that).  A table entry is valid for the fd while:
 *  - mapped (kipc_region_map()): the mapping record's generation is the
 *    one the entry saw, or its region id and access are the entry's;
 *  - not mapped: KIPC_IOC_REGION_STAT on the fd (the call goes to the
 *    kernel anyway) gives the entry's region id and access.
 * An entry for another region is closed and made again: an fd number
 * reused for another region never reaches the old region's handle.
 *
 * kipc_region_unmap(r) drops the calling thread's entry for r (and closes
 * its thread handle unless another fd of the region shares it), so a
 * thread that maps, locks, unmaps and closes regions in a loop does not
 * pile up handles.  Closing the region fd alone does not drop it.
 *
 * Thread handles are closed by the thread's key destructor when it ends
 * (pthread_exit or return; the kernel's handle release then marks its
 * locks owner-died), by exec (they are close-on-exec) and by process
 * exit.  A fork child gets copies of every thread's handles: the
 * pthread_atfork child handler closes the copies (which releases
 * nothing, the parent still has them) so the child never keeps a parent
 * thread's locks alive; the child's threads make their own.  One mutex
 * covers making and closing thread handles and is held across fork, so
 * a child never sees a handle half made.
 *
 * Limits: a thread that ends without running TLS destructors (raw
 * SYS_exit) keeps its locks until its process ends; a child of a raw
 * clone/vfork that skips the atfork handlers keeps the parent's thread
 * handles until it execs or exits; closing the library's fds behind its
 * back (closefrom) makes the lock calls of those threads fail or, if the
 * number is reused, reach the wrong file.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "kipc.h"
#include "syscall.h"
#include "region.h"

_Static_assert(sizeof(struct kipc_ioc_region_thread) == 8, "struct kipc_ioc_region_thread ABI");

struct kipc__th_ent {
	int rfd;		/* the caller's region handle; -1: free */
	uint32_t kind;		/* KIPC_KIND_REGION or KIPC_KIND_QUEUE */
	int tfd;		/* this thread's handle for it */
	uint32_t token;
	uint32_t id;
	uint32_t access;
	uint64_t gen;		/* mapping generation seen; 0: none */
};

struct kipc__th_tab {
	struct kipc__th_tab *next;
	struct kipc__th_tab **pprev;
	unsigned int n, cap;
	struct kipc__th_ent *ent;
};

static __thread struct kipc__th_tab *kipc__tab
	__attribute__((tls_model("initial-exec")));
__thread struct kipc__th_fast kipc__fast
	__attribute__((tls_model("initial-exec")));

static pthread_mutex_t kipc__th_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct kipc__th_tab *kipc__th_all;	/* every thread's table */
static pthread_once_t kipc__th_once = PTHREAD_ONCE_INIT;
static pthread_key_t kipc__th_key;
static int kipc__th_init_err;

static void kipc__tab_free(struct kipc__th_tab *t)
{
	unsigned int i, j;

	for (i = 0; i < t->n; i++) {
		if (t->ent[i].rfd < 0)
			continue;
		for (j = 0; j < i; j++)
			if (t->ent[j].rfd >= 0 &&
			    t->ent[j].tfd == t->ent[i].tfd)
				break;
		if (j == i)
			close(t->ent[i].tfd);
	}
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	free(t->ent);
	free(t);
}

/* Thread exit: release this thread's handles, so its locks die. */
static void kipc__th_destroy(void *arg)
{
	struct kipc__th_tab *t = arg;

	pthread_mutex_lock(&kipc__th_mutex);
	kipc__tab_free(t);
	pthread_mutex_unlock(&kipc__th_mutex);
	kipc__tab = NULL;
	kipc__fast.gen = 0;
}

static void kipc__th_prepare(void)
{
	pthread_mutex_lock(&kipc__th_mutex);
}

static void kipc__th_parent(void)
{
	pthread_mutex_unlock(&kipc__th_mutex);
}

/*
 * The child: only the forking thread exists, and no lock held in the
 * parent is the child's.  Close the copies of every thread's handles.
 */
static void kipc__th_child(void)
{
	while (kipc__th_all)
		kipc__tab_free(kipc__th_all);
	kipc__tab = NULL;
	kipc__fast.gen = 0;
	pthread_setspecific(kipc__th_key, NULL);
	pthread_mutex_unlock(&kipc__th_mutex);
}

static void kipc__th_init(void)
{
	kipc__th_init_err = pthread_key_create(&kipc__th_key,
					       kipc__th_destroy);
	if (!kipc__th_init_err)
		kipc__th_init_err = pthread_atfork(kipc__th_prepare,
						   kipc__th_parent,
						   kipc__th_child);
}

static struct kipc__th_ent *kipc__th_find_kind(int r, uint32_t kind)
{
	struct kipc__th_tab *t = kipc__tab;
	unsigned int i;

	if (!t)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (t->ent[i].rfd == r && t->ent[i].kind == kind)
			return &t->ent[i];
	return NULL;
}

static struct kipc__th_ent *kipc__th_find(int r)
{
	return kipc__th_find_kind(r, KIPC_KIND_REGION);
}

/* A free entry of this thread's table; called with the mutex held. */
static struct kipc__th_ent *kipc__th_new(void)
{
	struct kipc__th_tab *t = kipc__tab;
	struct kipc__th_ent *e;
	unsigned int i;

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		if (pthread_setspecific(kipc__th_key, t)) {
			free(t);
			return NULL;
		}
		t->next = kipc__th_all;
		if (t->next)
			t->next->pprev = &t->next;
		t->pprev = &kipc__th_all;
		kipc__th_all = t;
		kipc__tab = t;
	}
	for (i = 0; i < t->n; i++)
		if (t->ent[i].rfd < 0)
			return &t->ent[i];
	if (t->n == t->cap) {
		unsigned int cap = t->cap ? 2 * t->cap : 4;

		/* The fast path of this thread only runs in this thread. */
		e = realloc(t->ent, cap * sizeof(*e));
		if (!e)
			return NULL;
		t->ent = e;
		t->cap = cap;
	}
	e = &t->ent[t->n++];
	e->rfd = -1;
	return e;
}

/*
 * This thread's handle on region @id from another entry (another fd of
 * the same region), so that every handle of a region a thread uses locks
 * with one token: the thread is the owner, whatever fd it passes.
 */
static struct kipc__th_ent *kipc__th_find_id(uint32_t id)
{
	struct kipc__th_tab *t = kipc__tab;
	unsigned int i;

	if (!t)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (t->ent[i].rfd >= 0 && t->ent[i].id == id &&
		    t->ent[i].kind == KIPC_KIND_REGION)
			return &t->ent[i];
	return NULL;
}

/* Drop entry @e; its handle is closed unless another entry shares it. */
static void kipc__th_drop(struct kipc__th_ent *e)
{
	struct kipc__th_tab *t = kipc__tab;
	unsigned int i;

	e->rfd = -1;
	kipc__fast.gen = 0;
	for (i = 0; i < t->n; i++)
		if (t->ent[i].rfd >= 0 && t->ent[i].tfd == e->tfd)
			return;
	close(e->tfd);
}

int kipc__thread_handle(int r, const struct kipc__mapping *m,
			uint32_t *token)
{
	struct kipc_ioc_region_thread arg = { .size = sizeof(arg) };
	struct kipc__th_ent *e, *same;
	struct kipc_ioc_region_stat ri;
	uint32_t id, access;
	int ret, tfd;

	e = kipc__th_find(r);
	if (e && m && e->gen == m->gen)
		goto found;
	if (m) {
		id = m->id;
		access = m->access;
	} else {
		ret = kipc__region_stat(r, &ri);
		if (ret < 0)
			return ret;
		id = ri.id;
		access = ri.access;
	}
	if (e && e->id == id && e->access == access) {
		e->gen = m ? m->gen : 0;
		goto found;
	}
	/* Locks need write access: say so as the kernel would. */
	if (!(access & KIPC_WRONLY))
		return -EBADF;

	pthread_once(&kipc__th_once, kipc__th_init);
	if (kipc__th_init_err)
		return -kipc__th_init_err;
	pthread_mutex_lock(&kipc__th_mutex);
	if (e)		/* the fd is another handle now: forget the old one */
		kipc__th_drop(e);
	else
		e = kipc__th_new();
	if (!e) {
		ret = -ENOMEM;
		goto out;
	}
	same = kipc__th_find_id(id);
	if (same) {
		tfd = same->tfd;
		ri.token = same->token;
	} else {
		tfd = kipc__ioctl(r, KIPC_IOC_REGION_THREAD, &arg);
		if (tfd < 0) {
			ret = tfd;
			goto out;
		}
		ret = kipc__region_stat(tfd, &ri);
		if (ret < 0 || ri.id != id) {
			close(tfd);
			ret = ret < 0 ? ret : -EAGAIN;	/* @r changed */
			goto out;
		}
	}
	e->tfd = tfd;
	e->kind = KIPC_KIND_REGION;
	e->token = ri.token;
	e->id = id;
	e->access = access;
	e->gen = m ? m->gen : 0;
	e->rfd = r;
	pthread_mutex_unlock(&kipc__th_mutex);
found:
	/* Thread handles are made from writable handles only. */
	if (m)
		kipc__fast = (struct kipc__th_fast) {
			.rfd = r, .tfd = e->tfd, .token = e->token,
			.gen = m->gen,
		};
	*token = e->token;
	return e->tfd;
out:
	pthread_mutex_unlock(&kipc__th_mutex);
	return ret;
}

void kipc__thread_forget(int r)
{
	struct kipc__th_ent *e = kipc__th_find(r);

	if (!e)
		return;
	pthread_mutex_lock(&kipc__th_mutex);
	kipc__th_drop(e);
	pthread_mutex_unlock(&kipc__th_mutex);
}

int kipc__queue_thread(int q, int fresh)
{
	struct kipc_ioc_queue_thread arg = { .size = sizeof(arg) };
	struct kipc__th_ent *e = kipc__th_find_kind(q, KIPC_KIND_QUEUE);
	int ret;

	if (e && !fresh)
		return e->tfd;
	pthread_once(&kipc__th_once, kipc__th_init);
	if (kipc__th_init_err)
		return -kipc__th_init_err;
	pthread_mutex_lock(&kipc__th_mutex);
	if (e)		/* refused: the fd or the thread handle changed */
		kipc__th_drop(e);
	e = kipc__th_new();
	if (!e) {
		ret = -ENOMEM;
		goto out;
	}
	ret = kipc__ioctl(q, KIPC_IOC_QUEUE_THREAD, &arg);
	if (ret < 0)
		goto out;	/* @e stays free */
	*e = (struct kipc__th_ent) {
		.rfd = q, .tfd = ret, .kind = KIPC_KIND_QUEUE,
	};
out:
	pthread_mutex_unlock(&kipc__th_mutex);
	return ret;
}

void kipc__queue_forget(int q)
{
	struct kipc__th_ent *e = kipc__th_find_kind(q, KIPC_KIND_QUEUE);

	if (!e)
		return;
	pthread_mutex_lock(&kipc__th_mutex);
	kipc__th_drop(e);
	pthread_mutex_unlock(&kipc__th_mutex);
}
