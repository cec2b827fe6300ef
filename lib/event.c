/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc: events (semaphores, counters, flags).
 */
#include <errno.h>
#include <stddef.h>

#include "kipc.h"
#include "syscall.h"

/* The ioctl argument sizes are ABI: a change here breaks binaries. */
_Static_assert(sizeof(struct kipc_ioc_event_create) == 32, "struct kipc_ioc_event_create ABI");
_Static_assert(sizeof(struct kipc_ioc_event_post) == 16, "struct kipc_ioc_event_post ABI");
_Static_assert(sizeof(struct kipc_ioc_event_wait) == 24, "struct kipc_ioc_event_wait ABI");
_Static_assert(sizeof(struct kipc_ioc_event_stat) == 56, "struct kipc_ioc_event_stat ABI");

KIPC_API int kipc_event_create(const char *name, int kind, uint64_t initial,
			       int flags, mode_t mode)
{
	struct kipc_ioc_event_create arg = {
		.size		= sizeof(arg),
		.flags		= flags,
		.name		= kipc__ptr(name),
		.mode		= mode,
		.kind		= kind,
		.initial	= initial,
	};

	return kipc__ctx_ioctl(KIPC_IOC_EVENT_CREATE, &arg);
}

KIPC_API int kipc_event_open(const char *name, int flags)
{
	return kipc__open(name, flags, KIPC_KIND_EVENT);
}

KIPC_API int kipc_event_post(int e, uint64_t n)
{
	struct kipc_ioc_event_post arg = {
		.size	= sizeof(arg),
		.value	= n,
	};

	return kipc__ioctl(e, KIPC_IOC_EVENT_POST, &arg);
}

KIPC_API int kipc_event_wait(int e, uint64_t *value, int64_t timeout_ns)
{
	struct kipc_ioc_event_wait arg = {
		.size		= sizeof(arg),
		.timeout_ns	= timeout_ns,
	};
	int ret;

	ret = kipc__ioctl(e, KIPC_IOC_EVENT_WAIT, &arg);
	if (ret < 0)
		return ret;
	if (value)
		*value = arg.value;
	return 0;
}

KIPC_API int kipc_event_stat(int e, struct kipc_event_stat *st)
{
	struct kipc_ioc_event_stat ei = {
		.size	= sizeof(ei),
	};
	int ret;

	if (!st)
		return -EINVAL;
	ret = kipc__ioctl(e, KIPC_IOC_EVENT_STAT, &ei);
	if (ret < 0)
		return ret;

	*st = (struct kipc_event_stat) {
		.count		= ei.count,
		.posts		= ei.posts,
		.waits		= ei.waits,
		.kind		= ei.kind,
		.state		= ei.state,
		.waiters	= ei.waiters,
		.owner_pid	= ei.owner_pid,
		.id		= ei.id,
	};
	return 0;
}
