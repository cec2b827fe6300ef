/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc: the library's version, as built.
 */
#include "kipc.h"
#include "syscall.h"

KIPC_API int kipc_version_major(void)
{
	return KIPC_VERSION_MAJOR;
}

KIPC_API int kipc_version_minor(void)
{
	return KIPC_VERSION_MINOR;
}
