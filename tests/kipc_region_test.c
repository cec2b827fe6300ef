// SPDX-License-Identifier: GPL-2.0
/*
 * Shared regions and wait/wake, as docs/regions.md states them: creation,
 * page rounding and zero fill, limits, sharing between processes by name
 * and by fork, the mmap rules (MAP_SHARED only, inside the region, access
 * checked at mmap and mprotect, never executable, ENODEV for queues),
 * pages that outlive their owner, wait/wake across processes (EAGAIN,
 * offsets, wake counts and order, words that never wake each other),
 * EPIPE for an orphaned or dead region, timeouts, signals, non-blocking
 * handles and stat.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "lib/kt_harness.h"

#define FOREVER		(-1LL)

FIXTURE(region) {
	char name[64];
	size_t page;
};

FIXTURE_SETUP(region)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "region");
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(region)
{
}

static uint32_t *word_at(void *base, size_t off)
{
	return (uint32_t *)((char *)base + off);
}

/* A word store the kernel's check in kipc_wait() will see. */
static void store_word(void *base, size_t off, uint32_t v)
{
	__atomic_store_n(word_at(base, off), v, __ATOMIC_SEQ_CST);
}

/* 1 if the @len bytes at @p are all zero. */
static int all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i])
			return 0;
	return 1;
}

/* mmap(2) returning -errno. */
static long try_mmap(int fd, size_t len, int prot, int flags, off_t off,
		     void **out)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	if (out)
		*out = p;
	else
		munmap(p, len);
	return 0;
}

TEST_F(region, create_map_zero_filled)
{
	struct kipc_region_stat st;
	size_t size = 0;
	void *p = NULL;
	int r;

	r = kipc_region_create(self->name, 10000, 0, 0600);
	ASSERT_LE(0, r);

	memset(&st, 0xcc, sizeof(st));
	ASSERT_EQ(0, kipc_region_stat(r, &st));
	EXPECT_EQ(3 * self->page, st.size);
	EXPECT_EQ(1, st.handles);
	EXPECT_EQ(0, st.waiters);
	EXPECT_EQ(0, st.locks);
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);
	EXPECT_EQ(0, st.owner_died);
	EXPECT_EQ(getpid(), st.owner_pid);

	ASSERT_EQ(0, kipc_region_map(r, &p, &size));
	ASSERT_EQ(3 * self->page, size);
	EXPECT_TRUE(all_zero(p, size));
	kt_fill(p, size, 11);

	/* Unmapping twice: the second finds nothing recorded. */
	ASSERT_EQ(0, kipc_region_unmap(r));
	EXPECT_EQ(-EINVAL, kipc_region_unmap(r));

	/* The pages stay with the region, not with the mapping. */
	ASSERT_EQ(0, kipc_region_map(r, &p, &size));
	EXPECT_TRUE(kt_check_fill(p, size, 11));
	EXPECT_EQ(0, kipc_region_unmap(r));

	EXPECT_EQ(-EINVAL, kipc_region_map(r, NULL, &size));
	EXPECT_EQ(-EINVAL, kipc_region_map(r, &p, NULL));
	EXPECT_EQ(-EINVAL, kipc_region_stat(r, NULL));
}

TEST_F(region, page_rounding)
{
	const size_t pg = self->page;
	const struct { size_t in, out; } sizes[] = {
		{ 1, pg }, { pg - 1, pg }, { pg, pg }, { pg + 1, 2 * pg },
		{ 5 * pg - 3, 5 * pg }, { 64 << 20, 64 << 20 },
	};
	struct kipc_region_stat st;
	unsigned int i;
	size_t size;
	void *p;
	int r;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		r = kipc_region_create(NULL, sizes[i].in, 0, 0600);
		ASSERT_LE(0, r) TH_LOG("size %zu: %d", sizes[i].in, r);
		ASSERT_EQ(0, kipc_region_stat(r, &st));
		EXPECT_EQ(sizes[i].out, st.size);
		ASSERT_EQ(0, kipc_region_map(r, &p, &size));
		EXPECT_EQ(sizes[i].out, size);
		/* The last byte of the rounded size is there, and zero. */
		EXPECT_EQ(0, ((unsigned char *)p)[size - 1]);
		EXPECT_EQ(0, kipc_region_unmap(r));
		close(r);
	}
}

TEST_F(region, bad_create_and_open)
{
	int r, q;

	EXPECT_EQ(-EINVAL, kipc_region_create(self->name, 0, 0, 0600));
	EXPECT_EQ(-ENOSPC, kipc_region_create(self->name, (64 << 20) + 1, 0,
					      0600));
	EXPECT_EQ(-EINVAL, kipc_region_create(self->name, 4096, KIPC_RDONLY,
					      0600));
	EXPECT_EQ(-EINVAL, kipc_region_create(self->name, 4096, 1 << 30,
					      0600));
	EXPECT_EQ(-EINVAL, kipc_region_create(self->name, 4096, 0, 01600));
	EXPECT_EQ(-ENOENT, kipc_region_open(self->name, KIPC_RDWR));
	EXPECT_EQ(-EINVAL, kipc_region_open(NULL, KIPC_RDWR));

	r = kipc_region_create(self->name, 4096, 0, 0600);
	ASSERT_LE(0, r);
	EXPECT_EQ(-EEXIST, kipc_region_create(self->name, 4096, 0, 0600));
	EXPECT_EQ(-ENOTTY, kipc_queue_open(self->name, KIPC_RDWR));
	EXPECT_EQ(-EINVAL, kipc_region_open(self->name, 0));
	close(r);

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	EXPECT_EQ(-ENOTTY, kipc_region_open(self->name, KIPC_RDWR));
	/* Region calls on a queue handle. */
	EXPECT_EQ(-ENOTTY, kipc_wait(q, 0, 0, 0));
	EXPECT_EQ(-ENOTTY, kipc_wake(q, 0, 1));
	EXPECT_EQ(-ENOTTY, kipc_lock_init(q, 0));
	close(q);
}

/*
 * Sizes are charged to the creator's uid (max_user_bytes, 256 MiB by
 * default) until the memory is freed, which a mapping delays.  Other
 * objects of this uid may hold part of the quota, so count what fits.
 */
TEST_F_TIMEOUT(region, user_bytes_quota, 180)
{
	const size_t big = 64 << 20;
	int r[8], n, i, ret;
	void *m;

	for (n = 0; n < 8; n++) {
		r[n] = kipc_region_create(NULL, big, 0, 0600);
		if (r[n] < 0)
			break;
	}
	ASSERT_EQ(-ENOSPC, r[n]);
	ASSERT_LE(1, n);
	EXPECT_GE(4, n);

	/* A mapping keeps the charge after its handle is closed... */
	m = mmap(NULL, self->page, PROT_READ, MAP_SHARED, r[0], 0);
	ASSERT_NE(MAP_FAILED, m);
	close(r[0]);
	EXPECT_EQ(-ENOSPC, kipc_region_create(NULL, big, 0, 0600));
	/* ...and gives it back with the memory. */
	munmap(m, self->page);
	ret = kipc_region_create(NULL, big, 0, 0600);
	EXPECT_LE(0, ret);
	if (ret >= 0)
		close(ret);
	for (i = 1; i < n; i++)
		close(r[i]);
}

TEST_F_TIMEOUT(region, shared_by_name, 60)
{
	size_t size;
	void *p;
	pid_t pid;
	int r;

	r = kipc_region_create(self->name, 2 * self->page, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_region_map(r, &p, &size));
	store_word(p, 0, 0xabcd);
	kt_fill((char *)p + 64, 1000, 5);

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t csize;
		void *c;
		int o;

		o = kipc_region_open(self->name, KIPC_RDWR);
		KT_CHILD_CHECK(o >= 0);
		KT_CHILD_CHECK(kipc_region_map(o, &c, &csize) == 0);
		KT_CHILD_CHECK(csize == size);
		KT_CHILD_CHECK(c != p);
		KT_CHILD_CHECK(*word_at(c, 0) == 0xabcd);
		KT_CHILD_CHECK(kt_check_fill((char *)c + 64, 1000, 5));
		store_word(c, self->page, 0x1234);
		_exit(0);
	}
	ASSERT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0x1234, *word_at(p, self->page));
}

TEST_F_TIMEOUT(region, shared_by_fork, 60)
{
	size_t size;
	void *p;
	pid_t pid;
	int r;

	/* Anonymous: shared only through the inherited handle and mapping. */
	r = kipc_region_create(NULL, self->page, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_region_map(r, &p, &size));

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t csize;
		void *c;

		store_word(p, 0, 77);
		/* A second mapping of the inherited handle, too. */
		KT_CHILD_CHECK(kipc_region_map(r, &c, &csize) == 0);
		store_word(c, 4, 78);
		_exit(0);
	}
	ASSERT_EQ(0, kt_reap(pid));
	EXPECT_EQ(77, *word_at(p, 0));
	EXPECT_EQ(78, *word_at(p, 4));
}

TEST_F(region, mmap_rules)
{
	const size_t pg = self->page;
	void *p, *p2 = NULL;
	int r, q;

	r = kipc_region_create(self->name, 2 * pg, 0, 0600);
	ASSERT_LE(0, r);

	EXPECT_EQ(-EINVAL, try_mmap(r, pg, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE, 0, NULL));
	EXPECT_EQ(-EINVAL, try_mmap(r, 3 * pg, PROT_READ, MAP_SHARED, 0,
				    NULL));
	EXPECT_EQ(-EINVAL, try_mmap(r, pg, PROT_READ, MAP_SHARED, 2 * pg,
				    NULL));
	EXPECT_EQ(-EINVAL, try_mmap(r, 2 * pg, PROT_READ, MAP_SHARED, pg,
				    NULL));
	EXPECT_EQ(-EACCES, try_mmap(r, pg, PROT_READ | PROT_EXEC,
				    MAP_SHARED, 0, NULL));

	/* The second page alone, at offset one page. */
	ASSERT_EQ(0, try_mmap(r, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
			      0, &p));
	store_word(p, pg, 0x5a5a);
	ASSERT_EQ(0, try_mmap(r, pg, PROT_READ, MAP_SHARED, pg, &p2));
	EXPECT_EQ(0x5a5a, *word_at(p2, 0));
	munmap(p2, pg);
	/* No mapping may become executable. */
	EXPECT_EQ(-1, mprotect(p, pg, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	munmap(p, 2 * pg);

	q = kipc_queue_create(NULL, NULL, 0, 0600);
	ASSERT_LE(0, q);
	EXPECT_EQ(-ENODEV, try_mmap(q, pg, PROT_READ, MAP_SHARED, 0, NULL));
	EXPECT_EQ(-ENOTTY, kipc_region_map(q, &p, &(size_t){ 0 }));
	close(q);
	q = kipc_event_create(NULL, KIPC_EVENT_FLAG, 0, 0, 0600);
	ASSERT_LE(0, q);
	EXPECT_EQ(-ENODEV, try_mmap(q, pg, PROT_READ, MAP_SHARED, 0, NULL));
	close(q);
}

TEST_F_TIMEOUT(region, access_checks, 60)
{
	const size_t pg = self->page;
	size_t size;
	void *p, *rw;
	pid_t pid;
	int r, ro, wo, status;

	r = kipc_region_create(self->name, pg, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_region_map(r, &rw, &size));
	store_word(rw, 0, 42);
	ro = kipc_region_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, ro);
	wo = kipc_region_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, wo);

	/* Read-only handle: no writable mapping, not even by mprotect. */
	EXPECT_EQ(-EACCES, try_mmap(ro, pg, PROT_READ | PROT_WRITE,
				    MAP_SHARED, 0, NULL));
	EXPECT_EQ(-EACCES, try_mmap(ro, pg, PROT_WRITE, MAP_SHARED, 0, NULL));
	ASSERT_EQ(0, try_mmap(ro, pg, PROT_READ, MAP_SHARED, 0, &p));
	EXPECT_EQ(42, *word_at(p, 0));
	EXPECT_EQ(-1, mprotect(p, pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(p, pg);

	/* kipc_region_map() gives it a read-only mapping. */
	ASSERT_EQ(0, kipc_region_map(ro, &p, &size));
	EXPECT_EQ(pg, size);
	EXPECT_EQ(42, *word_at(p, 0));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		store_word(p, 0, 1);	/* must fault */
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	EXPECT_EQ(42, *word_at(rw, 0));
	EXPECT_EQ(0, kipc_region_unmap(ro));

	/*
	 * Write-only handle: every mapping needs read access (DESIGN.md:
	 * "mapped MAP_SHARED by any handle with read access"), so it has
	 * none, and its locks always go through the kernel.
	 */
	EXPECT_EQ(-EACCES, try_mmap(wo, pg, PROT_READ, MAP_SHARED, 0, NULL));
	EXPECT_EQ(-EACCES, try_mmap(wo, pg, PROT_READ | PROT_WRITE,
				    MAP_SHARED, 0, NULL));
	EXPECT_EQ(-EACCES, try_mmap(wo, pg, PROT_WRITE, MAP_SHARED, 0, NULL));
	EXPECT_EQ(-EACCES, kipc_region_map(wo, &p, &size));
	EXPECT_EQ(-EINVAL, kipc_region_unmap(wo));

	/* wait needs read access, wake write access. */
	EXPECT_EQ(-EBADF, kipc_wait(wo, 0, 42, 0));
	EXPECT_EQ(-EAGAIN, kipc_wait(ro, 0, 41, 0));
	EXPECT_EQ(-EBADF, kipc_wake(ro, 0, 1));
	EXPECT_EQ(0, kipc_wake(wo, 0, 1));
}

TEST_F_TIMEOUT(region, pages_outlive_owner, 60)
{
	struct kipc_region_stat st;
	int ready[2], o;
	void *p, *raw = NULL;
	size_t size;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t csize;
		void *c;
		int r;

		r = kipc_region_create(self->name, 3 * self->page, 0, 0600);
		KT_CHILD_CHECK(r >= 0);
		KT_CHILD_CHECK(kipc_region_map(r, &c, &csize) == 0);
		kt_fill(c, csize, 99);
		kt_signal(ready[1]);
		pause();
		_exit(0);
	}
	kt_await(ready[0]);
	o = kipc_region_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, o);
	ASSERT_EQ(0, kipc_region_map(o, &p, &size));
	ASSERT_EQ(3 * self->page, size);
	ASSERT_EQ(0, try_mmap(o, size, PROT_READ, MAP_SHARED, 0, &raw));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));

	/* Dead: the name is gone and wait says so; the pages are still here. */
	EXPECT_EQ(-ENOENT, kipc_region_open(self->name, KIPC_RDWR));
	ASSERT_EQ(0, kipc_region_stat(o, &st));
	EXPECT_EQ(KIPC_STATE_DEAD, st.state);
	EXPECT_EQ(1, st.handles);
	EXPECT_EQ(-EPIPE, kipc_wait(o, 0, *word_at(p, 0), 0));
	EXPECT_TRUE(kt_check_fill(p, size, 99));
	kt_fill(p, size, 100);
	EXPECT_TRUE(kt_check_fill(raw, size, 100));

	/* A mapping holds its handle: the pages survive the last close. */
	EXPECT_EQ(0, kipc_region_unmap(o));
	close(o);
	EXPECT_TRUE(kt_check_fill(raw, size, 100));
	munmap(raw, size);
}

TEST_F_TIMEOUT(region, persist_outlives_owner, 60)
{
	size_t size;
	void *p;
	pid_t pid;
	int o;

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t csize;
		void *c;
		int r;

		r = kipc_region_create(self->name, self->page, KIPC_PERSIST,
				       0600);
		KT_CHILD_CHECK(r >= 0);
		KT_CHILD_CHECK(kipc_region_map(r, &c, &csize) == 0);
		store_word(c, 0, 0xfeed);
		_exit(0);
	}
	ASSERT_EQ(0, kt_reap(pid));
	o = kipc_region_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, o);
	ASSERT_EQ(0, kipc_region_map(o, &p, &size));
	EXPECT_EQ(0xfeed, *word_at(p, 0));
	/* Alive, not orphaned: the owner exiting does not kill it. */
	EXPECT_EQ(-EAGAIN, kipc_wait(o, 0, 0xfeed, 0));
	EXPECT_EQ(0, kipc_unlink(self->name));
	EXPECT_EQ(-ENOENT, kipc_region_open(self->name, KIPC_RDWR));
}

TEST_F_TIMEOUT(region, wait_wake_across_processes, 60)
{
	int r, ret, done[2];
	size_t size;
	void *p;
	pid_t pid;

	r = kipc_region_create(self->name, self->page, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_region_map(r, &p, &size));
	ASSERT_EQ(0, pipe(done));

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t csize;
		void *c;
		int o;

		o = kipc_region_open(self->name, KIPC_RDWR);
		KT_CHILD_CHECK(o >= 0);
		KT_CHILD_CHECK(kipc_region_map(o, &c, &csize) == 0);
		KT_CHILD_CHECK(kipc_wait(o, 128, 0, 20000 * MS) == 0);
		KT_CHILD_CHECK(*word_at(c, 128) == 1);
		/* And back: wake the parent, who waits for 2. */
		store_word(c, 132, 2);
		KT_CHILD_CHECK(kipc_wake(o, 132, 1) >= 0);
		/* Stay a peer until the parent's wait is over. */
		kt_await(done[0]);
		_exit(0);
	}
	ASSERT_EQ(0, kt_region_waiters(r, 1));
	store_word(p, 128, 1);
	EXPECT_EQ(1, kipc_wake(r, 128, 1));
	/* Either woken, or the word already moved. */
	ret = kipc_wait(r, 132, 0, 20000 * MS);
	EXPECT_TRUE(ret == 0 || ret == -EAGAIN) TH_LOG("ret %d", ret);
	EXPECT_EQ(2, *word_at(p, 132));
	kt_signal(done[1]);
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, kt_region_nwaiters(r));
}

TEST_F(region, wait_word_differs)
{
	size_t size;
	void *p;
	int r, nb;

	r = kipc_region_create(self->name, self->page, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_region_map(r, &p, &size));
	store_word(p, 8, 5);

	EXPECT_EQ(-EAGAIN, kipc_wait(r, 8, 4, FOREVER));
	EXPECT_EQ(-EAGAIN, kipc_wait(r, 8, 4, 1000 * MS));
	/* Timeout 0 never sleeps. */
	EXPECT_EQ(-EAGAIN, kipc_wait(r, 8, 5, 0));
	/* A wake with nobody waiting wakes nobody. */
	EXPECT_EQ(0, kipc_wake(r, 8, 10));

	/* A non-blocking handle (create or open flag) never sleeps. */
	nb = kipc_region_open(self->name, KIPC_RDWR | KIPC_NONBLOCK);
	ASSERT_LE(0, nb);
	EXPECT_EQ(-EAGAIN, kipc_wait(nb, 8, 5, FOREVER));
	close(nb);
	nb = kipc_region_create(NULL, self->page, KIPC_NONBLOCK, 0600);
	ASSERT_LE(0, nb);
	EXPECT_EQ(-EAGAIN, kipc_wait(nb, 0, 0, FOREVER));
}

TEST_F(region, wait_wake_bad_offset)
{
	const size_t pg = self->page;
	int r;

	r = kipc_region_create(self->name, pg, 0, 0600);
	ASSERT_LE(0, r);

	EXPECT_EQ(-EINVAL, kipc_wait(r, 1, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_wait(r, 2, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_wait(r, 6, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_wait(r, pg, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_wait(r, pg - 2, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_wait(r, SIZE_MAX - 3, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_wait(r, (size_t)1 << 32, 0, 0));
	/* The last word is fine. */
	EXPECT_EQ(-EAGAIN, kipc_wait(r, pg - 4, 1, 0));

	EXPECT_EQ(-EINVAL, kipc_wake(r, 2, 1));
	EXPECT_EQ(-EINVAL, kipc_wake(r, pg, 1));
	EXPECT_EQ(-EINVAL, kipc_wake(r, SIZE_MAX - 3, 1));
	EXPECT_EQ(0, kipc_wake(r, pg - 4, 1));
}

/* A child that opens the region by name and waits on @off; exit 0 if woken. */
static pid_t start_waiter(const char *name, size_t off)
{
	pid_t pid = kt_fork();

	if (pid == 0) {
		int o = kipc_region_open(name, KIPC_RDWR);

		KT_CHILD_CHECK(o >= 0);
		KT_CHILD_CHECK(kipc_wait(o, off, 0, 30000 * MS) == 0);
		_exit(0);
	}
	return pid;
}

TEST_F_TIMEOUT(region, wake_count_and_order, 120)
{
	pid_t pid[3];
	int r, i, status;

	r = kipc_region_create(self->name, self->page, 0, 0600);
	ASSERT_LE(0, r);

	/* One at a time, so their order of arrival is known. */
	for (i = 0; i < 3; i++) {
		pid[i] = start_waiter(self->name, 0);
		ASSERT_LE(0, pid[i]);
		ASSERT_EQ(0, kt_region_waiters(r, i + 1));
	}

	/* Wake 2 of 3: the two oldest. */
	EXPECT_EQ(2, kipc_wake(r, 0, 2));
	EXPECT_EQ(0, kt_reap(pid[0]));
	EXPECT_EQ(0, kt_reap(pid[1]));
	usleep(200 * 1000);
	EXPECT_EQ(0, waitpid(pid[2], &status, WNOHANG));
	EXPECT_EQ(1, kt_region_nwaiters(r));

	EXPECT_EQ(1, kipc_wake(r, 0, 5));
	EXPECT_EQ(0, kt_reap(pid[2]));
	EXPECT_EQ(0, kt_region_nwaiters(r));
}

TEST_F_TIMEOUT(region, words_never_wake_each_other, 120)
{
	const size_t size = 2 * self->page;
	size_t off;
	int r, woken = 0, ret;
	pid_t pid;

	r = kipc_region_create(self->name, size, 0, 0600);
	ASSERT_LE(0, r);
	pid = start_waiter(self->name, 64);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kt_region_waiters(r, 1));

	/* Every other word, including any that shares its hash bucket. */
	for (off = 0; off < size; off += 4) {
		if (off == 64)
			continue;
		ret = kipc_wake(r, off, 1);
		if (ret != 0) {
			woken++;
			TH_LOG("wake at %zu returned %d", off, ret);
		}
	}
	EXPECT_EQ(0, woken);
	EXPECT_EQ(1, kt_region_nwaiters(r));

	EXPECT_EQ(1, kipc_wake(r, 64, 1));
	EXPECT_EQ(0, kt_reap(pid));
}

TEST_F_TIMEOUT(region, peer_killed_orphans, 60)
{
	struct kt_killer k;
	int r, o, ready[2];
	int64_t t0, dt;
	pid_t pid;

	r = kipc_region_create(self->name, self->page, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, pipe(ready));

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* A peer of our own, not the inherited handle. */
		KT_CHILD_CHECK(kipc_region_open(self->name, KIPC_RDWR) >= 0);
		kt_signal(ready[1]);
		pause();
		_exit(0);
	}
	kt_await(ready[0]);

	ASSERT_EQ(0, kt_killer_start(&k, r, 1, pid));
	t0 = kt_now_ns();
	EXPECT_EQ(-EPIPE, kipc_wait(r, 0, 0, 30000 * MS));
	dt = kt_now_ns() - t0;
	EXPECT_EQ(0, kt_killer_join(&k));
	EXPECT_GT(10000 * MS, dt);
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));

	/* Still orphaned; the object itself is alive. */
	EXPECT_EQ(-EPIPE, kipc_wait(r, 0, 0, FOREVER));

	/* A new handle clears the orphaned state, its close sets it again. */
	o = kipc_region_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, o);
	EXPECT_EQ(-EAGAIN, kipc_wait(r, 0, 0, 0));
	EXPECT_EQ(-EAGAIN, kipc_wait(o, 0, 0, 0));
	EXPECT_EQ(-ETIMEDOUT, kipc_wait(o, 0, 0, 20 * MS));
	close(o);
	EXPECT_EQ(-EPIPE, kipc_wait(r, 0, 0, 0));
}

TEST_F_TIMEOUT(region, fork_shares_the_handle, 60)
{
	pid_t pid;
	int r;

	/* A child holding only the inherited handle is not a peer. */
	r = kipc_region_create(NULL, self->page, 0, 0600);
	ASSERT_LE(0, r);
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(0, kt_reap(pid));
	EXPECT_EQ(-ETIMEDOUT, kipc_wait(r, 0, 0, 50 * MS));
}

TEST_F_TIMEOUT(region, owner_killed_dead, 60)
{
	struct kipc_region_stat st;
	struct kt_killer k;
	int o, ready[2];
	int64_t t0, dt;
	size_t size;
	void *p;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t csize;
		void *c;
		int r;

		r = kipc_region_create(self->name, self->page, 0, 0600);
		KT_CHILD_CHECK(r >= 0);
		KT_CHILD_CHECK(kipc_region_map(r, &c, &csize) == 0);
		kt_fill((char *)c + 64, 256, 7);
		kt_signal(ready[1]);
		pause();
		_exit(0);
	}
	kt_await(ready[0]);
	o = kipc_region_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, o);
	ASSERT_EQ(0, kipc_region_map(o, &p, &size));

	ASSERT_EQ(0, kt_killer_start(&k, o, 1, pid));
	t0 = kt_now_ns();
	EXPECT_EQ(-EPIPE, kipc_wait(o, 0, 0, 30000 * MS));
	dt = kt_now_ns() - t0;
	EXPECT_EQ(0, kt_killer_join(&k));
	EXPECT_GT(10000 * MS, dt);
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));

	ASSERT_EQ(0, kipc_region_stat(o, &st));
	EXPECT_EQ(KIPC_STATE_DEAD, st.state);
	EXPECT_EQ(0, st.waiters);
	EXPECT_TRUE(kt_check_fill((char *)p + 64, 256, 7));
	EXPECT_EQ(-EPIPE, kipc_wait(o, 0, 0, FOREVER));
}

TEST_F_TIMEOUT(region, timeouts, 60)
{
	int64_t t0, dt;
	int r;

	r = kipc_region_create(self->name, self->page, 0, 0600);
	ASSERT_LE(0, r);

	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kipc_wait(r, 0, 0, 50 * MS));
	dt = kt_now_ns() - t0;
	EXPECT_LE(50 * MS, dt);
	EXPECT_GT(10000 * MS, dt);
	EXPECT_EQ(0, kt_region_nwaiters(r));
}

static volatile sig_atomic_t usr1_count;
static int usr1_fd = -1;

static void on_usr1(int sig)
{
	int saved = errno;
	char c = 'h';

	(void)sig;
	usr1_count++;
	if (usr1_fd >= 0 && write(usr1_fd, &c, 1) != 1)
		_exit(97);
	errno = saved;
}

static void install_usr1(int fd, int restart)
{
	struct sigaction sa = {
		.sa_handler	= on_usr1,
		.sa_flags	= restart ? SA_RESTART : 0,
	};

	usr1_fd = fd;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		_exit(96);
}

TEST_F_TIMEOUT(region, signal_interrupts_wait, 60)
{
	int r, hpipe[2];
	size_t size;
	void *p;
	pid_t pid;

	r = kipc_region_create(self->name, self->page, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_region_map(r, &p, &size));
	ASSERT_EQ(0, pipe(hpipe));

	/* Finite timeout: EINTR even with SA_RESTART. */
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		install_usr1(hpipe[1], 1);
		KT_CHILD_CHECK(kipc_wait(r, 0, 0, 20000 * MS) == -EINTR);
		KT_CHILD_CHECK(usr1_count == 1);
		_exit(0);
	}
	ASSERT_EQ(0, kt_region_waiters(r, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(0, kt_reap(pid));
	kt_await(hpipe[0]);

	/* Infinite, no SA_RESTART: EINTR. */
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		install_usr1(hpipe[1], 0);
		KT_CHILD_CHECK(kipc_wait(r, 0, 0, FOREVER) == -EINTR);
		_exit(0);
	}
	ASSERT_EQ(0, kt_region_waiters(r, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(0, kt_reap(pid));
	kt_await(hpipe[0]);

	/* Infinite with SA_RESTART: restarts, then a wake ends it. */
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ret;

		install_usr1(hpipe[1], 1);
		ret = kipc_wait(r, 0, 0, FOREVER);
		KT_CHILD_CHECK(ret == 0);
		KT_CHILD_CHECK(usr1_count == 1);
		_exit(0);
	}
	ASSERT_EQ(0, kt_region_waiters(r, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	kt_await(hpipe[0]);		/* the handler ran... */
	usleep(100 * 1000);
	/* ...and it sleeps again. */
	ASSERT_EQ(0, kt_region_waiters(r, 1));
	EXPECT_EQ(1, kipc_wake(r, 0, 1));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, kt_region_nwaiters(r));
}

TEST_F(region, stat_and_fdinfo)
{
	struct kipc_region_stat st;
	char val[64];
	int r, a, b;

	r = kipc_region_create(self->name, self->page, 0, 0600);
	ASSERT_LE(0, r);
	a = kipc_region_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, a);
	b = kipc_region_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, b);

	memset(&st, 0xcc, sizeof(st));
	ASSERT_EQ(0, kipc_region_stat(a, &st));
	EXPECT_EQ(3, st.handles);
	EXPECT_EQ(self->page, st.size);
	EXPECT_EQ(getpid(), st.owner_pid);
	close(b);
	ASSERT_EQ(0, kipc_region_stat(r, &st));
	EXPECT_EQ(2, st.handles);

	ASSERT_EQ(0, kipc_lock_init(r, 0));
	ASSERT_EQ(0, kipc_lock_init(r, 4));
	ASSERT_EQ(0, kipc_region_stat(r, &st));
	EXPECT_EQ(2, st.locks);

	ASSERT_EQ(0, kt_fdinfo(r, "kipc-kind", val, sizeof(val)));
	EXPECT_STREQ("region", val);
	ASSERT_EQ(0, kt_fdinfo(a, "kipc-access", val, sizeof(val)));
	EXPECT_STREQ("r", val);
}

TEST_HARNESS_MAIN
