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
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "syscall.h"

#define KIPC_DEV	"/dev/kipc"

static atomic_int ctx_fd = -1;
/* What ctx_fd was opened on: /dev/kipc's device number and inode. */
static _Atomic dev_t ctx_rdev;
static _Atomic ino_t ctx_ino;

int kipc__ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	ret = ioctl(fd, cmd, arg);
	return ret < 0 ? -errno : ret;
}

/*
 * Is @fd still the context the library opened?  A program that closes
 * every descriptor (a daemon going to the background) closes it too, and
 * the number may since name another file.  One fstat() per create, open
 * or unlink; the hot paths do not use the context.
 */
static int kipc__ctx_valid(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISCHR(st.st_mode) &&
	       st.st_rdev == atomic_load(&ctx_rdev) &&
	       st.st_ino == atomic_load(&ctx_ino);
}

/*
 * Racing first callers may each open the device; the loser of the
 * compare-exchange closes its fd and uses the winner's.  A failed open is
 * not cached (ENOENT: the module is not loaded, yet).  A cached fd that is
 * no longer the device is forgotten, not closed (it is not ours any more),
 * and the device opened again.
 */
int kipc__ctx_fd(void)
{
	int fd, cur;
	struct stat st;

	cur = atomic_load(&ctx_fd);
	if (cur >= 0 && kipc__ctx_valid(cur))
		return cur;

	fd = open(KIPC_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		cur = -errno;
		close(fd);
		return cur;
	}
	atomic_store(&ctx_rdev, st.st_rdev);
	atomic_store(&ctx_ino, st.st_ino);

	if (!atomic_compare_exchange_strong(&ctx_fd, &cur, fd)) {
		/* Another thread got there first: use its fd. */
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
	struct kipc_ioc_open arg = {
		.size	= sizeof(arg),
		.flags	= flags,
		.name	= kipc__ptr(name),
		.kind	= kind,
	};

	if (!name)
		return -EINVAL;
	return kipc__ctx_ioctl(KIPC_IOC_OPEN, &arg);
}
