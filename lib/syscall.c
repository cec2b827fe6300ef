/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc: the bottom layer.  -1/errno becomes -errno here, once; everything
 * above passes results through.  The context fd is the library's only
 * global state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "syscall.h"

#define KIPC_DEV	"/dev/kipc"

static atomic_int ctx_fd = -1;

int kipc__ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	ret = ioctl(fd, cmd, arg);
	return ret < 0 ? -errno : ret;
}

/*
 * Racing first callers may each open the device; the loser of the
 * compare-exchange closes its fd and uses the winner's.  A failed open is
 * not cached (ENOENT: the module is not loaded, yet).
 */
int kipc__ctx_fd(void)
{
	int fd, cur = -1;

	fd = atomic_load(&ctx_fd);
	if (fd >= 0)
		return fd;

	fd = open(KIPC_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	if (!atomic_compare_exchange_strong(&ctx_fd, &cur, fd)) {
		close(fd);
		fd = cur;
	}
	return fd;
}

int kipc__ctx_ioctl(unsigned long cmd, void *arg)
{
	int ctx = kipc__ctx_fd();

	return ctx < 0 ? ctx : kipc__ioctl(ctx, cmd, arg);
}

int kipc__open(const char *name, int flags, unsigned int kind)
{
	struct kipc_open arg = {
		.size	= sizeof(arg),
		.flags	= flags,
		.name	= kipc__ptr(name),
		.kind	= kind,
	};

	if (!name)
		return -EINVAL;
	return kipc__ctx_ioctl(KIPC_IOC_OPEN, &arg);
}
