/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc private: the table of region mappings that region.c keeps for
 * the lock fast path in lock.c.
 */
#ifndef LIBKIPC_REGION_H
#define LIBKIPC_REGION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kipc.h>

/* What kipc_region_map() recorded for an fd. */
struct kipc__mapping {
	unsigned char *base;
	size_t size;
	uint32_t access;	/* the handle's KIPC_RDONLY | KIPC_WRONLY */
	uint32_t id;		/* the region's id */
	uint64_t gen;		/* unique per kipc_region_map() call */
};

#define KIPC__MAP_L2	1024
#define KIPC__MAP_L1	1024

/* region.c's table of mappings, by fd: KIPC__MAP_L1 chunks of L2 slots. */
struct kipc__map_slot {
	_Atomic(uintptr_t) base;	/* 0: no mapping recorded */
	_Atomic(size_t) size;
	_Atomic(uint32_t) access;
	_Atomic(uint32_t) id;
	_Atomic(uint64_t) gen;
};

extern _Atomic(struct kipc__map_slot *) kipc__maps[KIPC__MAP_L1];

/*
 * 1 and *@m filled if @fd has a recorded mapping, else 0.  Inline: the
 * lock fast path runs it on every call.
 */
static inline int kipc__region_lookup(int fd, struct kipc__mapping *m)
{
	struct kipc__map_slot *chunk, *s;
	uintptr_t base;

	if (fd < 0 || fd >= KIPC__MAP_L1 * KIPC__MAP_L2)
		return 0;
	chunk = atomic_load_explicit(&kipc__maps[fd / KIPC__MAP_L2],
				     memory_order_acquire);
	if (!chunk)
		return 0;
	s = &chunk[fd % KIPC__MAP_L2];
	/* Pairs with the release store of base in kipc_region_map(). */
	base = atomic_load_explicit(&s->base, memory_order_acquire);
	if (!base)
		return 0;
	m->base = (unsigned char *)base;
	m->size = atomic_load_explicit(&s->size, memory_order_relaxed);
	m->access = atomic_load_explicit(&s->access, memory_order_relaxed);
	m->id = atomic_load_explicit(&s->id, memory_order_relaxed);
	m->gen = atomic_load_explicit(&s->gen, memory_order_relaxed);
	return 1;
}

/* KIPC_IOC_REGION_STAT on @r into @ri; 0 or -errno. */
int kipc__region_stat(int r, struct kipc_ioc_region_stat *ri);

/*
 * The calling thread's thread handle for region handle @r (thread.c):
 * its fd, and its lock token in *@token; made on first use.  @m is @r's
 * recorded mapping or NULL.  Returns the fd or -errno.
 */
int kipc__thread_handle(int r, const struct kipc__mapping *m,
			uint32_t *token);

/*
 * The calling thread's last thread handle found for a mapped fd: the
 * lock fast path's one-entry cache in front of kipc__thread_handle().
 * Valid while @gen is the fd's mapping generation (never 0, so a zeroed
 * cache matches nothing); thread.c clears it when it drops a handle.
 */
struct kipc__th_fast {
	int rfd;
	int tfd;
	uint32_t token;
	uint64_t gen;
};

extern __thread struct kipc__th_fast kipc__fast
	__attribute__((tls_model("initial-exec")));

/* Drop the calling thread's handle for @r, if any (kipc_region_unmap). */
void kipc__thread_forget(int r);

/*
 * The calling thread's thread handle of queue @q, the owner of its
 * leases (made on first use; @fresh: make a new one, the old one was
 * refused by the kernel), or -errno.
 */
int kipc__queue_thread(int q, int fresh);

/* Close the calling thread's thread handle of queue @q, if any. */
void kipc__queue_forget(int q);

#endif /* LIBKIPC_REGION_H */
