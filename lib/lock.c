/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc: robust locks in a region (docs/regions.md, "Robust locks").
 *
 * The lock word holds the owner handle's token (KIPC_IOC_REGION_STAT),
 * KIPC_LOCK_OWNER_DIED and KIPC_LOCK_WAITERS.  The owner is the calling
 * thread: every call goes through the thread's own *thread handle* of the
 * region (thread.c), whose token is the one in the word.
 *
 * The uncontended cases are one compare-and-swap in userspace, on the
 * mapping kipc_region_map() recorded (region.c): lock is 0 -> token with
 * acquire ordering, unlock token -> 0 with release ordering.  Every other
 * state (held, waiters, owner died, not recoverable, garbage) goes to the
 * kernel through the thread handle, which owns the rules; userspace never
 * interprets a word it did not expect.
 *
 * Without a recorded mapping (the region was not mapped through
 * kipc_region_map(), or the handle has no write access) lock, unlock and
 * kipc_lock_consistent() are always ioctls.
 *
 * The thread handle's file has its own O_NONBLOCK, so a lock that would
 * sleep looks at the caller's handle (fcntl) first: a non-blocking
 * region handle gives -EAGAIN, as the kernel would for it.
 *
 * The fast path cannot know whether an offset was registered with
 * kipc_lock_init(): a word that happens to be 0 is taken without the
 * kernel, which then does not clean it up if the holder dies.  -EINVAL
 * for an unregistered offset comes from the kernel, when a call reaches
 * it.  Register every lock word before using it.
 */
#include <errno.h>
#include <fcntl.h>

#include "kipc.h"
#include "syscall.h"
#include "region.h"

_Static_assert(sizeof(struct kipc_ioc_lock) == 24, "struct kipc_ioc_lock ABI");

static int kipc__lock_op(int r, unsigned long cmd, size_t off,
			 int64_t timeout_ns)
{
	struct kipc_ioc_lock arg = {
		.size		= sizeof(arg),
		.offset		= off,
		.timeout_ns	= timeout_ns,
	};

	return kipc__ioctl(r, cmd, &arg);
}

/*
 * The calling thread's handle for @r (its fd is returned, its token in
 * *@token) and, in *@word, the mapped lock word at @off, or NULL when
 * the fast path does not apply: no recorded mapping, no write access, or
 * an offset the kernel must judge (misaligned, outside).
 *
 * The common case reads the fd's mapping record and the thread's
 * one-entry cache only: no call, no lock.
 */
static inline int kipc__lock_word(int r, size_t off, uint32_t **word,
				  uint32_t *token)
{
	struct kipc__map_slot *chunk, *s;
	struct kipc__mapping m;
	uintptr_t base;
	size_t size;
	int mapped, t;

	*word = NULL;
	if (r >= 0 && r < KIPC__MAP_L1 * KIPC__MAP_L2 && kipc__fast.rfd == r) {
		chunk = atomic_load_explicit(&kipc__maps[r / KIPC__MAP_L2],
					     memory_order_acquire);
		s = chunk ? &chunk[r % KIPC__MAP_L2] : NULL;
		base = s ? atomic_load_explicit(&s->base,
						memory_order_acquire) : 0;
		if (base && kipc__fast.gen ==
		    atomic_load_explicit(&s->gen, memory_order_relaxed)) {
			/* The cache holds writable mappings only. */
			size = atomic_load_explicit(&s->size,
						    memory_order_relaxed);
			*token = kipc__fast.token;
			if (!(off % sizeof(uint32_t)) && off < size &&
			    size - off >= sizeof(uint32_t))
				*word = (uint32_t *)(base + off);
			return kipc__fast.tfd;
		}
	}

	mapped = kipc__region_lookup(r, &m);
	t = kipc__thread_handle(r, mapped ? &m : NULL, token);
	if (t < 0 || !mapped || !(m.access & KIPC_WRONLY))
		return t;
	if (off % sizeof(uint32_t) || off > m.size ||
	    m.size - off < sizeof(uint32_t))
		return t;
	*word = (uint32_t *)(m.base + off);
	return t;
}

KIPC_API int kipc_lock_init(int r, size_t off)
{
	return kipc__lock_op(r, KIPC_IOC_LOCK_INIT, off, 0);
}

KIPC_API int kipc_lock(int r, size_t off, int64_t timeout_ns)
{
	uint32_t *word, token, expected = 0;
	int t, fl;

	t = kipc__lock_word(r, off, &word, &token);
	if (t < 0)
		return t;
	if (word && __atomic_compare_exchange_n(word, &expected, token, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
		return 0;
	if (timeout_ns) {
		fl = fcntl(r, F_GETFL);
		if (fl < 0)
			return -errno;
		if (fl & O_NONBLOCK)
			timeout_ns = 0;
	}
	return kipc__lock_op(t, KIPC_IOC_LOCK, off, timeout_ns);
}

KIPC_API int kipc_unlock(int r, size_t off)
{
	uint32_t *word, token, expected;
	int t;

	t = kipc__lock_word(r, off, &word, &token);
	if (t < 0)
		return t;
	if (word) {
		expected = token;
		if (__atomic_compare_exchange_n(word, &expected, 0, 0,
						__ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			return 0;
	}
	/* Waiters to hand over to, owner died, not ours: the kernel. */
	return kipc__lock_op(t, KIPC_IOC_UNLOCK, off, 0);
}

/*
 * After -EOWNERDEAD the word is token | KIPC_LOCK_OWNER_DIED (and maybe
 * KIPC_LOCK_WAITERS, which the kernel may set at any time): clear the
 * owner-died bit and keep the rest.  Without a mapping, the kernel does
 * the same (KIPC_IOC_LOCK_CONSISTENT).
 */
KIPC_API int kipc_lock_consistent(int r, size_t off)
{
	uint32_t *word, token, cur;
	int t;

	t = kipc__lock_word(r, off, &word, &token);
	if (t < 0)
		return t;
	if (!word)
		return kipc__lock_op(t, KIPC_IOC_LOCK_CONSISTENT, off, 0);

	cur = __atomic_load_n(word, __ATOMIC_RELAXED);
	do {
		if ((cur & KIPC_LOCK_OWNER_MASK) != token ||
		    !(cur & KIPC_LOCK_OWNER_DIED))
			return -EINVAL;
	} while (!__atomic_compare_exchange_n(word, &cur,
					      cur & ~KIPC_LOCK_OWNER_DIED, 0,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return 0;
}

KIPC_API int kipc_lock_token(int r)
{
	uint32_t *word, token;
	int t;

	t = kipc__lock_word(r, 0, &word, &token);
	return t < 0 ? t : (int)token;
}

/*
 * Close the calling thread's thread handle for @r, which close(r) alone
 * does not: a lock the thread still holds through it becomes owner-died.
 */
KIPC_API int kipc_lock_release(int r)
{
	if (r < 0)
		return -EBADF;
	kipc__thread_forget(r);
	return 0;
}
