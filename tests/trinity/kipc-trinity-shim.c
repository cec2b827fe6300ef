// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for trinity (Debian's syscall fuzzer): make kipc handles
 * victims too.  Trinity opens its victim files with open() or fopen();
 * kipc_trinity_test gives it a directory of device nodes that are all
 * /dev/kipc (KIPC_TRINITY_VICTIMS), and each open of one of them here
 * gives, at random, the context itself or a
 * handle created or opened through it: a queue (any policy), a region, a
 * ring side or an event, anonymous or under one of a few shared names, so
 * trinity's children also share objects and kill their owners when they
 * die.  Everything trinity then does to its fds (ioctl, mmap, mremap,
 * madvise, poll, epoll, dup, close, ...) lands on kipc objects.
 *
 * KIPC_TRINITY_SEED seeds the choice; it is only a shim, trinity is the
 * fuzzer.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kipc.h>

#define VICTIMS		"/tmp/kipc-victims/"

static uint64_t shim_state;

static int shim_victim(const char *path)
{
	return !strcmp(path, "/dev/kipc") ||
	       !strncmp(path, VICTIMS, sizeof(VICTIMS) - 1);
}

static uint64_t shim_rand(void)
{
	uint64_t z;

	if (!shim_state) {
		const char *s = getenv("KIPC_TRINITY_SEED");

		shim_state = (s ? strtoull(s, NULL, 0) : 1) ^
			     ((uint64_t)getpid() << 32);
	}
	z = (shim_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A handle made through context @ctx, or -errno. */
static int shim_handle1(int ctx)
{
	char name[32];
	uint64_t r = shim_rand();
	int named = r & 1;

	snprintf(name, sizeof(name), "/trinity.%u", (unsigned int)(r >> 8) % 8);
	switch ((r >> 4) % 5) {
	case 0: {
		struct kipc_ioc_queue_create a = {
			.size = sizeof(a),
			.flags = (r >> 12) & 1 ? KIPC_NONBLOCK : 0,
			.name = named ? (uintptr_t)name : 0,
			.mode = 0666,
			.policy = (r >> 16) % 4,
			.max_msgs = (r >> 20) % 32,
			.qflags = (r >> 28) & 1,
		};
		return ioctl(ctx, KIPC_IOC_QUEUE_CREATE, &a);
	}
	case 1:
	case 2: {
		struct kipc_ioc_region_create a = {
			.size = sizeof(a),
			.name = named ? (uintptr_t)name : 0,
			.mode = 0666,
			.ring = (r >> 12) % 3 == 1 ? KIPC_RING_PRODUCER :
				(r >> 12) % 3 == 2 ? KIPC_RING_CONSUMER : 0,
			.region_size = 4096UL << ((r >> 16) % 4),
		};
		return ioctl(ctx, KIPC_IOC_REGION_CREATE, &a);
	}
	case 3: {
		struct kipc_ioc_event_create a = {
			.size = sizeof(a),
			.name = named ? (uintptr_t)name : 0,
			.mode = 0666,
			.kind = 1 + (r >> 12) % 3,
		};
		return ioctl(ctx, KIPC_IOC_EVENT_CREATE, &a);
	}
	default: {
		struct kipc_ioc_open a = {
			.size = sizeof(a),
			.flags = 1 + (r >> 12) % 3,
			.name = (uintptr_t)name,
			.kind = 1 + (r >> 16) % 3,
		};
		return ioctl(ctx, KIPC_IOC_OPEN, &a);
	}
	}
}

/*
 * A handle made through a context of our own (trinity may have opened its
 * fd with O_PATH or other flags that make ioctl fail), or -errno.
 */
static int shim_handle(void)
{
	static int (*real_open)(const char *, int, ...);
	int ctx, h;

	if (!real_open)
		real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	ctx = real_open("/dev/kipc", O_RDWR | O_CLOEXEC);
	if (ctx < 0)
		return -errno;
	h = shim_handle1(ctx);
	if (h < 0)
		h = -errno;
	close(ctx);
	return h;
}

/* Say so on stderr for the first few handles: the test log shows it works. */
static void shim_note(int h)
{
	static int n;

	if (n++ < 3)
		fprintf(stderr, "kipc-trinity-shim: pid %d: %s%d\n",
			(int)getpid(), h < 0 ? "context, handle failed: " :
			"handle ", h);
}

int open(const char *path, int flags, ...)
{
	static int (*real_open)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;
	int fd, h;

	if (!real_open)
		real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	fd = real_open(path, flags, mode);
	if (fd < 0 || !shim_victim(path) || shim_rand() % 4 == 0)
		return fd;
	h = shim_handle();
	shim_note(h);
	if (h < 0)
		return fd;
	/* The handle takes the number trinity's fd had. */
	dup2(h, fd);
	close(h);
	h = fd;
	/* Keep trinity's fd flags: handles are close-on-exec by default. */
	if (!(flags & O_CLOEXEC))
		fcntl(h, F_SETFD, 0);
	return h;
}

FILE *fopen(const char *path, const char *mode)
{
	static FILE *(*real_fopen)(const char *, const char *);
	FILE *f;
	int h;

	if (!real_fopen)
		real_fopen = (FILE *(*)(const char *, const char *))
			     dlsym(RTLD_NEXT, "fopen");
	f = real_fopen(path, mode);
	if (!f || !shim_victim(path) || shim_rand() % 4 == 0)
		return f;
	/* Trinity dups fileno() and fcloses: the FILE's fd becomes a handle. */
	h = shim_handle();
	shim_note(h);
	if (h >= 0) {
		dup2(h, fileno(f));
		close(h);
	}
	return f;
}
