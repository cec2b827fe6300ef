/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc: robust locks in a region (docs/regions.md, "Robust locks").
 *
 * The lock word holds the owner handle's token (KIPC_IOC_REGION_INFO),
 * KIPC_LOCK_OWNER_DIED and KIPC_LOCK_WAITERS.  The uncontended cases are
 * one compare-and-swap in userspace, on the mapping kipc_region_map()
 * recorded (region.c): lock is 0 -> token with acquire ordering, unlock
 * token -> 0 with release ordering.  Every other state (held, waiters,
 * owner died, not recoverable, garbage) goes to the kernel, which owns
 * the rules; userspace never interprets a word it did not expect.
 *
 * Without a recorded mapping (the region was not mapped through
 * kipc_region_map(), or the handle has no write access) lock and unlock
 * are always the ioctls, and kipc_lock_consistent(), which works on the
 * word alone, returns -EINVAL.
 *
 * The fast path cannot know whether an offset was registered with
 * kipc_lock_init(): a word that happens to be 0 is taken without the
 * kernel, which then does not clean it up if the holder dies.  -EINVAL
 * for an unregistered offset comes from the kernel, when a call reaches
 * it.  Register every lock word before using it.
 */
#include <errno.h>

#include "kipc.h"
#include "syscall.h"
#include "region.h"

_Static_assert(_IOC_SIZE(KIPC_IOC_LOCK_INIT) == 24, "struct kipc_lock_op ABI");
_Static_assert(_IOC_SIZE(KIPC_IOC_LOCK) == 24, "struct kipc_lock_op ABI");
_Static_assert(_IOC_SIZE(KIPC_IOC_UNLOCK) == 24, "struct kipc_lock_op ABI");

static int kipc__lock_op(int r, unsigned long cmd, size_t off,
			 int64_t timeout_ns)
{
	struct kipc_lock_op arg = {
		.size		= sizeof(arg),
		.offset		= off,
		.timeout_ns	= timeout_ns,
	};

	return kipc__ioctl(r, cmd, &arg);
}

/*
 * The mapped lock word at @off of @r, and this handle's token in *@token,
 * or NULL when the fast path does not apply: no recorded mapping, no
 * write access, or an offset the kernel must judge (misaligned, outside).
 */
static uint32_t *kipc__lock_word(int r, size_t off, uint32_t *token)
{
	struct kipc__mapping m;

	if (!kipc__region_lookup(r, &m) || !m.token)
		return NULL;
	if (off % sizeof(uint32_t) || off > m.size ||
	    m.size - off < sizeof(uint32_t))
		return NULL;
	*token = m.token;
	return (uint32_t *)(m.base + off);
}

KIPC_API int kipc_lock_init(int r, size_t off)
{
	return kipc__lock_op(r, KIPC_IOC_LOCK_INIT, off, 0);
}

KIPC_API int kipc_lock(int r, size_t off, int64_t timeout_ns)
{
	uint32_t *word, token, expected = 0;

	word = kipc__lock_word(r, off, &token);
	if (word && __atomic_compare_exchange_n(word, &expected, token, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
		return 0;
	return kipc__lock_op(r, KIPC_IOC_LOCK, off, timeout_ns);
}

KIPC_API int kipc_unlock(int r, size_t off)
{
	uint32_t *word, token, expected;

	word = kipc__lock_word(r, off, &token);
	if (word) {
		expected = token;
		if (__atomic_compare_exchange_n(word, &expected, 0, 0,
						__ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			return 0;
	}
	/* Waiters to hand over to, owner died, not ours: the kernel. */
	return kipc__lock_op(r, KIPC_IOC_UNLOCK, off, 0);
}

/*
 * After -EOWNERDEAD the word is token | KIPC_LOCK_OWNER_DIED (and maybe
 * KIPC_LOCK_WAITERS, which the kernel may set at any time): clear the
 * owner-died bit and keep the rest.
 */
KIPC_API int kipc_lock_consistent(int r, size_t off)
{
	uint32_t *word, token, cur;

	word = kipc__lock_word(r, off, &token);
	if (!word)
		return -EINVAL;

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
