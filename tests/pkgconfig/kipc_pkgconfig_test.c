// SPDX-License-Identifier: GPL-2.0
/*
 * Built by `make pkgconfig-check` against a DESTDIR install of libkipc
 * with nothing but `pkg-config --cflags --libs kipc` (shared) and
 * `pkg-config --static --cflags --libs kipc` (static): the installed
 * <kipc.h>, <linux/kipc.h> and kipc.pc must be enough.  So it includes
 * nothing from the source tree, not even the kselftest harness, and
 * prints its TAP by hand.
 *
 * The static binary is tests/kipc_pkgconfig_test, which the VM suite runs.
 * Without /dev/kipc (a host without the module) it links, runs, and exits
 * 4, the kselftest skip status.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <kipc.h>

static int planned, run, failed;

static void result(int ok, const char *what, long ret)
{
	run++;
	if (ok) {
		printf("ok %d %s\n", run, what);
	} else {
		failed++;
		printf("not ok %d %s (%ld: %s)\n", run, what, ret,
		       ret < 0 ? strerror((int)-ret) : "unexpected value");
	}
}

/* A typed message through an anonymous queue, metadata included. */
static void queue_roundtrip(void)
{
	struct kipc_msg info;
	char buf[32];
	long ret;
	int q;

	q = kipc_queue_create(NULL, NULL, 0, 0600);
	if (q < 0) {
		result(0, "queue_roundtrip", q);
		return;
	}
	ret = kipc_send(q, 7, 3, "pkg-config", 10, 0);
	if (!ret)
		ret = kipc_recv(q, NULL, buf, sizeof(buf), &info, 0);
	result(ret == 10 && !memcmp(buf, "pkg-config", 10) && info.type == 7 &&
	       info.prio == 3 && info.seq == 1 && info.pid == getpid(),
	       "queue_roundtrip", ret);
	close(q);
}

/* A counter event: posts accumulate, a wait takes the sum. */
static void event_counter(void)
{
	uint64_t v = 0;
	long ret;
	int e;

	e = kipc_event_create(NULL, KIPC_EVENT_COUNTER, 0, 0, 0600);
	if (e < 0) {
		result(0, "event_counter", e);
		return;
	}
	ret = kipc_event_post(e, 2);
	if (!ret)
		ret = kipc_event_post(e, 3);
	if (!ret)
		ret = kipc_event_wait(e, &v, 0);
	result(!ret && v == 5, "event_counter", ret);
	close(e);
}

/* A region mapped through the library, with a robust lock in it. */
static void region_lock(void)
{
	size_t size = 0;
	void *addr;
	long ret;
	int r;

	r = kipc_region_create(NULL, 4096, 0, 0600);
	if (r < 0) {
		result(0, "region_lock", r);
		return;
	}
	ret = kipc_region_map(r, &addr, &size);
	if (!ret)
		ret = kipc_lock_init(r, 64);
	if (!ret)
		ret = kipc_lock(r, 64, 0);
	if (!ret)
		ret = kipc_lock(r, 64, 0) == -EDEADLK ? 0 : -EPROTO;
	if (!ret)
		ret = kipc_unlock(r, 64);
	result(!ret && size == 4096, "region_lock", ret);
	if (size)
		kipc_region_unmap(r);
	close(r);
}

int main(void)
{
	int fd;

	printf("TAP version 13\n");
	/* The header and the library it was linked with agree. */
	if (kipc_version_major() != KIPC_VERSION_MAJOR ||
	    kipc_version_minor() != KIPC_VERSION_MINOR) {
		printf("1..1\nnot ok 1 version: header %d.%d, library %d.%d\n",
		       KIPC_VERSION_MAJOR, KIPC_VERSION_MINOR,
		       kipc_version_major(), kipc_version_minor());
		return 1;
	}

	/* Any call opens /dev/kipc; -ENOENT means no module here. */
	fd = kipc_event_create(NULL, KIPC_EVENT_FLAG, 0, 0, 0600);
	if (fd == -ENOENT) {
		printf("1..0 # SKIP /dev/kipc is missing (linked libkipc %d.%d)\n",
		       kipc_version_major(), kipc_version_minor());
		return 4;
	}
	if (fd >= 0)
		close(fd);

	planned = 4;
	printf("1..%d\n", planned);
	result(1, "version", 0);
	queue_roundtrip();
	event_counter();
	region_lock();
	return failed || run != planned;
}
