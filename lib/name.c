/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc: names shared by every object kind.
 */
#include <errno.h>

#include "kipc.h"
#include "syscall.h"

_Static_assert(sizeof(struct kipc_ioc_unlink) == 16, "struct kipc_ioc_unlink ABI");

KIPC_API int kipc_unlink(const char *name)
{
	struct kipc_ioc_unlink arg = {
		.size	= sizeof(arg),
		.name	= kipc__ptr(name),
	};

	if (!name)
		return -EINVAL;
	return kipc__ctx_ioctl(KIPC_IOC_UNLINK, &arg);
}
