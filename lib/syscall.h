/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc private: the ioctl layer and the lazily opened context fd.
 */
#ifndef LIBKIPC_SYSCALL_H
#define LIBKIPC_SYSCALL_H

#include <stdint.h>

#define KIPC_API	__attribute__((visibility("default")))

/* A pointer as the ABI carries it (__aligned_u64). */
static inline uint64_t kipc__ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* ioctl(2) returning -errno instead of -1. */
int kipc__ioctl(int fd, unsigned long cmd, void *arg);

/* The /dev/kipc context fd, opened on first use, or -errno. */
int kipc__ctx_fd(void);

/* An ioctl on the context fd (create, open, unlink). */
int kipc__ctx_ioctl(unsigned long cmd, void *arg);

/* Open the object called @name, of @kind (KIPC_KIND_*), with @flags. */
int kipc__open(const char *name, int flags, unsigned int kind);

#endif /* LIBKIPC_SYSCALL_H */
