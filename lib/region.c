/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc: shared regions, their mappings, and wait/wake on a word.
 *
 * The contract names a region by its handle fd (kipc_lock(r, off, ...)),
 * but the lock fast path is a compare-and-swap on the mapped word, so the
 * library must find the mapping from the fd.  kipc_region_map() records
 * {base, size, access, id, generation} in a process-wide table indexed by
 * fd and kipc_region_unmap() clears it; lock.c reads it
 * (kipc__region_lookup()).
 * A region that was never mapped through kipc_region_map() has no entry,
 * and its lock calls always go through the kernel.
 *
 * Each record also has the region's id and a generation number unique
 * to that kipc_region_map() call, with which thread.c checks that the
 * thread handle it keeps for the fd number is still the one for it.
 *
 * The table is two-level: a fixed array of KIPC__MAP_L1 pointers to
 * chunks of KIPC__MAP_L2 slots, each chunk allocated on first use and
 * installed with a compare-and-swap, never freed.  Lookups are lock-free:
 * one acquire load of the chunk pointer and one of the slot's base.  That
 * covers every fd below 2^20 (the kernel's default nr_open), so every
 * mapping can be undone by kipc_region_unmap(); a larger fd is refused
 * with -EMFILE rather than mapped untracked.
 *
 * The entry of an fd describes the most recent kipc_region_map() of that
 * fd number.  Closing the fd without kipc_region_unmap() leaves a stale
 * entry that a later handle with the same number would inherit: unmap
 * first (docs/regions.md says so).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kipc.h"
#include "syscall.h"
#include "region.h"

/* The ioctl argument sizes are ABI: a change here breaks binaries. */
_Static_assert(sizeof(struct kipc_ioc_region_create) == 32, "struct kipc_ioc_region_create ABI");
_Static_assert(sizeof(struct kipc_ioc_region_stat) == 56, "struct kipc_ioc_region_stat ABI");
_Static_assert(sizeof(struct kipc_ioc_wait) == 32, "struct kipc_ioc_wait ABI");
_Static_assert(sizeof(struct kipc_ioc_wake) == 24, "struct kipc_ioc_wake ABI");


static _Atomic(uint64_t) kipc__map_gen;

_Atomic(struct kipc__map_slot *) kipc__maps[KIPC__MAP_L1];

/* The slot of @fd, allocating its chunk if @create; NULL if none. */
static struct kipc__map_slot *kipc__slot(int fd, int create)
{
	struct kipc__map_slot *chunk, *cur = NULL;
	unsigned int hi, lo;

	if (fd < 0 || fd >= KIPC__MAP_L1 * KIPC__MAP_L2)
		return NULL;
	hi = (unsigned int)fd / KIPC__MAP_L2;
	lo = (unsigned int)fd % KIPC__MAP_L2;

	chunk = atomic_load_explicit(&kipc__maps[hi], memory_order_acquire);
	if (chunk || !create)
		return chunk ? &chunk[lo] : NULL;

	chunk = calloc(KIPC__MAP_L2, sizeof(*chunk));
	if (!chunk)
		return NULL;
	if (!atomic_compare_exchange_strong_explicit(&kipc__maps[hi], &cur,
						     chunk,
						     memory_order_acq_rel,
						     memory_order_acquire)) {
		free(chunk);
		chunk = cur;
	}
	return &chunk[lo];
}

/* KIPC_IOC_REGION_STAT into @ri. */
int kipc__region_stat(int r, struct kipc_ioc_region_stat *ri)
{
	*ri = (struct kipc_ioc_region_stat) {
		.size	= sizeof(*ri),
	};
	return kipc__ioctl(r, KIPC_IOC_REGION_STAT, ri);
}

KIPC_API int kipc_region_create(const char *name, size_t size, int flags,
				mode_t mode)
{
	struct kipc_ioc_region_create arg = {
		.size		= sizeof(arg),
		.flags		= flags,
		.name		= kipc__ptr(name),
		.mode		= mode,
		.region_size	= size,
	};

	return kipc__ctx_ioctl(KIPC_IOC_REGION_CREATE, &arg);
}

KIPC_API int kipc_region_open(const char *name, int flags)
{
	return kipc__open(name, flags, KIPC_KIND_REGION);
}

KIPC_API int kipc_region_stat(int r, struct kipc_region_stat *st)
{
	struct kipc_ioc_region_stat ri;
	int ret;

	if (!st)
		return -EINVAL;
	ret = kipc__region_stat(r, &ri);
	if (ret < 0)
		return ret;

	*st = (struct kipc_region_stat) {
		.size		= ri.region_size,
		.handles	= ri.handles,
		.waiters	= ri.waiters,
		.locks		= ri.locks,
		.state		= ri.state,
		.owner_died	= ri.owner_died,
		.owner_pid	= ri.owner_pid,
		.id		= ri.id,
	};
	return 0;
}

/*
 * Map the whole region with the protections the handle allows: PROT_READ
 * for read access, PROT_WRITE for write access.  A write-only handle asks
 * for PROT_WRITE alone; the kernel decides whether it grants that (on x86
 * a writable page is readable by the hardware anyway).  The mapping is
 * recorded for the lock fast path, replacing an older record of the same
 * fd number (whose mapping is then the caller's to munmap(2)).
 */
KIPC_API int kipc_region_map(int r, void **addr, size_t *size)
{
	struct kipc_ioc_region_stat ri;
	struct kipc__map_slot *s;
	int prot = 0, ret;
	void *p;

	if (!addr || !size)
		return -EINVAL;
	ret = kipc__region_stat(r, &ri);
	if (ret < 0)
		return ret;
	if (ri.region_size > SIZE_MAX)
		return -EOVERFLOW;
	s = kipc__slot(r, 1);
	if (!s)
		return r >= KIPC__MAP_L1 * KIPC__MAP_L2 ? -EMFILE : -ENOMEM;

	if (ri.access & KIPC_RDONLY)
		prot |= PROT_READ;
	if (ri.access & KIPC_WRONLY)
		prot |= PROT_WRITE;
	p = mmap(NULL, ri.region_size, prot, MAP_SHARED, r, 0);
	if (p == MAP_FAILED)
		return -errno;

	/*
	 * Readers load base first (acquire), so the other fields are valid
	 * once base is.  Mapping an fd again while another thread locks
	 * through it is the caller's race, as with any reuse of an fd.
	 */
	atomic_store_explicit(&s->base, 0, memory_order_relaxed);
	atomic_store_explicit(&s->size, ri.region_size, memory_order_relaxed);
	atomic_store_explicit(&s->access, ri.access, memory_order_relaxed);
	atomic_store_explicit(&s->id, ri.id, memory_order_relaxed);
	atomic_store_explicit(&s->gen,
			      atomic_fetch_add(&kipc__map_gen, 1) + 1,
			      memory_order_relaxed);
	atomic_store_explicit(&s->base, (uintptr_t)p, memory_order_release);

	*addr = p;
	*size = ri.region_size;
	return 0;
}

KIPC_API int kipc_region_unmap(int r)
{
	struct kipc__map_slot *s = kipc__slot(r, 0);
	uintptr_t base;

	if (!s)
		return -EINVAL;
	base = atomic_exchange_explicit(&s->base, 0, memory_order_acq_rel);
	if (!base)
		return -EINVAL;
	kipc__thread_forget(r);
	if (munmap((void *)base, atomic_load_explicit(&s->size,
						      memory_order_relaxed)))
		return -errno;
	return 0;
}

KIPC_API int kipc_wait(int r, size_t off, uint32_t expected,
		       int64_t timeout_ns)
{
	struct kipc_ioc_wait arg = {
		.size		= sizeof(arg),
		.offset		= off,
		.expected	= expected,
		.timeout_ns	= timeout_ns,
	};

	return kipc__ioctl(r, KIPC_IOC_WAIT, &arg);
}

KIPC_API int kipc_wake(int r, size_t off, unsigned int count)
{
	struct kipc_ioc_wake arg = {
		.size	= sizeof(arg),
		.offset	= off,
		.count	= count,
	};

	return kipc__ioctl(r, KIPC_IOC_WAKE, &arg);
}
