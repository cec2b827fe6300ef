// SPDX-License-Identifier: GPL-2.0
/*
 * Robust locks in a region, as docs/regions.md states them: the
 * uncontended fast path puts the thread's token in the word and makes no
 * syscall once the thread has its handle (checked under a seccomp filter
 * that fails every ioctl);
 * EDEADLK, try-lock, non-blocking handles and timeouts, EPERM, EINVAL
 * for offsets that are not registered locks, EBUSY and ENOSPC from
 * lock_init, mutual exclusion among four processes, hand-over to a
 * sleeping waiter, signals, and owner death: a holder killed with SIGKILL
 * gives the next locker EOWNERDEAD (with or without a waiter asleep,
 * and also when the holder was the region's owner), kipc_lock_consistent
 * recovers it, an unlock without it makes the lock ENOTRECOVERABLE, and
 * a garbage lock word is a dead owner, never a crash.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "lib/kt_harness.h"

#define FOREVER		(-1LL)
#define LOCK_OFF	64

FIXTURE(lock) {
	char name[64];
	size_t page;
};

FIXTURE_SETUP(lock)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "lock");
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(lock)
{
}

static uint32_t *word_at(void *base, size_t off)
{
	return (uint32_t *)((char *)base + off);
}

static uint32_t load_word(void *base, size_t off)
{
	return __atomic_load_n(word_at(base, off), __ATOMIC_SEQ_CST);
}

static void store_word(void *base, size_t off, uint32_t v)
{
	__atomic_store_n(word_at(base, off), v, __ATOMIC_SEQ_CST);
}

/* Create a named region of one page with a lock at LOCK_OFF, mapped. */
static int new_locked_region(const char *name, size_t size, void **p)
{
	size_t msize;
	int r, ret;

	r = kipc_region_create(name, size, 0, 0600);
	if (r < 0)
		return r;
	ret = kipc_region_map(r, p, &msize);
	if (!ret)
		ret = kipc_lock_init(r, LOCK_OFF);
	return ret < 0 ? ret : r;
}

/* Open the named region and map it. */
static int open_mapped(const char *name, void **p)
{
	size_t msize;
	int o, ret;

	o = kipc_region_open(name, KIPC_RDWR);
	if (o < 0)
		return o;
	ret = kipc_region_map(o, p, &msize);
	return ret < 0 ? ret : o;
}

TEST_F(lock, uncontended_fast_path)
{
	int64_t token;
	void *p;
	int r;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);
	token = kipc_lock_token(r);
	ASSERT_LT(0, token);
	ASSERT_GT((int64_t)KIPC_LOCK_OWNER_MASK, token);
	/* The thread's own handle, not the one it passes. */
	EXPECT_NE(kt_region_token(r), token);
	EXPECT_EQ(0, load_word(p, LOCK_OFF));

	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(token, load_word(p, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, load_word(p, LOCK_OFF));

	/* Try-lock takes it the same way; a second one needs the kernel. */
	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(token, load_word(p, LOCK_OFF));
	EXPECT_EQ(-EDEADLK, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, load_word(p, LOCK_OFF));
}

TEST_F_TIMEOUT(lock, fast_path_makes_no_syscall, 60)
{
	int64_t token;
	int r;
	pid_t pid;
	void *p;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);

	/* Every ioctl fails in the child: lock and unlock still work. */
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int i;

		/* The first lock of a thread makes its handle (an ioctl). */
		token = kipc_lock_token(r);
		KT_CHILD_CHECK(token > 0);
		kt_forbid_ioctl();
		for (i = 0; i < 1000; i++) {
			KT_CHILD_CHECK(kipc_lock(r, LOCK_OFF, FOREVER) == 0);
			KT_CHILD_CHECK(load_word(p, LOCK_OFF) == token);
			KT_CHILD_CHECK(kipc_unlock(r, LOCK_OFF) == 0);
			KT_CHILD_CHECK(load_word(p, LOCK_OFF) == 0);
		}
		/* The filter works: what needs the kernel fails. */
		KT_CHILD_CHECK(kipc_lock(r, LOCK_OFF, 0) == 0);
		KT_CHILD_CHECK(kipc_lock(r, LOCK_OFF, 0) == -ENOSYS);
		KT_CHILD_CHECK(kipc_unlock(r, LOCK_OFF) == 0);
		_exit(0);
	}
	KT_EXPECT_CHILD(pid, "seccomp filters are not available");
	EXPECT_EQ(0, load_word(p, LOCK_OFF));
}

TEST_F(lock, without_mapping_uses_the_kernel)
{
	int64_t token;
	uint32_t *w;
	void *p;
	int r;

	/* Not mapped through kipc_region_map(): every call is an ioctl. */
	r = kipc_region_create(self->name, self->page, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_lock_init(r, LOCK_OFF));
	token = kipc_lock_token(r);
	ASSERT_LT(0, token);
	p = mmap(NULL, self->page, PROT_READ, MAP_SHARED, r, 0);
	ASSERT_NE(MAP_FAILED, p);
	w = word_at(p, LOCK_OFF);

	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(token, *w & KIPC_LOCK_OWNER_MASK);
	EXPECT_EQ(-EDEADLK, kipc_lock(r, LOCK_OFF, FOREVER));
	/* Not owner-died: the kernel's kipc_lock_consistent() says no. */
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, *w);
	EXPECT_EQ(-EPERM, kipc_unlock(r, LOCK_OFF));
	munmap(p, self->page);
}

TEST_F_TIMEOUT(lock, relock_and_shared_handle, 60)
{
	pid_t pid;
	void *p;
	int r;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(-EDEADLK, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(-EDEADLK, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(-EDEADLK, kipc_lock(r, LOCK_OFF, 10 * MS));

	/* The owner is the thread: a child sharing the handle is not. */
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		KT_CHILD_CHECK(kipc_lock(r, LOCK_OFF, 0) == -EAGAIN);
		KT_CHILD_CHECK(kipc_unlock(r, LOCK_OFF) == -EPERM);
		_exit(0);
	}
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, load_word(p, LOCK_OFF));
	EXPECT_EQ(-EPERM, kipc_unlock(r, LOCK_OFF));
}

TEST_F_TIMEOUT(lock, trylock_timeout_eperm, 60)
{
	int64_t t0, dt, otoken;
	void *p, *q;
	int r, o, nb;
	pid_t pid;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);
	o = open_mapped(self->name, &q);
	ASSERT_LE(0, o);
	/* One thread is one owner, whichever handle it passes. */
	otoken = kipc_lock_token(o);
	ASSERT_LT(0, otoken);
	EXPECT_EQ(kipc_lock_token(r), otoken);

	ASSERT_EQ(0, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(-EDEADLK, kipc_lock(o, LOCK_OFF, 0));
	/* Another process, on its own handle. */
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int c;

		close(r);
		c = open_mapped(self->name, &q);
		KT_CHILD_CHECK(c >= 0);
		KT_CHILD_CHECK(kipc_lock(c, LOCK_OFF, 0) == -EAGAIN);
		t0 = kt_now_ns();
		KT_CHILD_CHECK(kipc_lock(c, LOCK_OFF, 50 * MS) == -ETIMEDOUT);
		dt = kt_now_ns() - t0;
		KT_CHILD_CHECK(dt >= 50 * MS && dt < 10000 * MS);
		KT_CHILD_CHECK(kipc_unlock(c, LOCK_OFF) == -EPERM);
		KT_CHILD_CHECK(kipc_lock_consistent(c, LOCK_OFF) == -EINVAL);
		/* A non-blocking handle never sleeps for a lock. */
		nb = kipc_region_open(self->name, KIPC_RDWR | KIPC_NONBLOCK);
		KT_CHILD_CHECK(nb >= 0);
		KT_CHILD_CHECK(kipc_lock(nb, LOCK_OFF, FOREVER) == -EAGAIN);
		_exit(0);
	}
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, kt_region_nwaiters(r));

	EXPECT_EQ(0, kipc_unlock(o, LOCK_OFF));
	EXPECT_EQ(-EPERM, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_lock(o, LOCK_OFF, 0));
	EXPECT_EQ(otoken, load_word(p, LOCK_OFF));
	EXPECT_EQ(-EDEADLK, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
}

TEST_F(lock, not_a_registered_lock)
{
	const size_t pg = self->page;
	void *p;
	int r, plain;

	r = new_locked_region(self->name, pg, &p);
	ASSERT_LE(0, r);

	/* Unregistered offsets, seen by the kernel. */
	store_word(p, 128, 7);
	EXPECT_EQ(-EINVAL, kipc_lock(r, 128, 0));
	EXPECT_EQ(-EINVAL, kipc_lock(r, 128, FOREVER));
	EXPECT_EQ(7, load_word(p, 128));
	plain = kipc_region_open(self->name, KIPC_RDWR);	/* unmapped */
	ASSERT_LE(0, plain);
	EXPECT_EQ(-EINVAL, kipc_lock(plain, 132, 0));
	EXPECT_EQ(-EINVAL, kipc_lock(plain, 132, FOREVER));

	/* Misaligned or outside the region: nothing to register or lock. */
	EXPECT_EQ(-EINVAL, kipc_lock(r, LOCK_OFF + 2, 0));
	EXPECT_EQ(-EINVAL, kipc_lock(r, pg, 0));
	EXPECT_EQ(-EINVAL, kipc_lock(r, SIZE_MAX - 3, 0));
	EXPECT_EQ(-EINVAL, kipc_lock_init(r, 2));
	EXPECT_EQ(-EINVAL, kipc_lock_init(r, pg));
	EXPECT_EQ(-EINVAL, kipc_lock_init(r, pg - 2));
	EXPECT_EQ(-EINVAL, kipc_lock_init(r, SIZE_MAX - 3));
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(r, LOCK_OFF + 2));
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(r, pg));
	EXPECT_EQ(0, kipc_lock_init(r, pg - 4));
}

TEST_F(lock, init_busy_and_reset)
{
	struct kipc_region_stat st;
	void *p, *q;
	int r, o;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);
	o = open_mapped(self->name, &q);
	ASSERT_LE(0, o);

	/* Init sets the word to 0, even over garbage. */
	store_word(p, 256, 0xdeadbeef);
	EXPECT_EQ(0, kipc_lock_init(r, 256));
	EXPECT_EQ(0, load_word(p, 256));

	ASSERT_EQ(0, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(-EBUSY, kipc_lock_init(r, LOCK_OFF));
	EXPECT_EQ(-EBUSY, kipc_lock_init(o, LOCK_OFF));
	EXPECT_EQ(kipc_lock_token(r), load_word(p, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	/* Re-initialising a free lock is fine, and not a new lock. */
	EXPECT_EQ(0, kipc_lock_init(o, LOCK_OFF));
	ASSERT_EQ(0, kipc_region_stat(r, &st));
	EXPECT_EQ(2, st.locks);
	EXPECT_EQ(0, kipc_lock(o, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(o, LOCK_OFF));
}

TEST_F(lock, at_most_1024_locks)
{
	struct kipc_region_stat st;
	size_t off;
	void *p;
	int r, fails = 0;

	r = kipc_region_create(self->name, 2 * 4096, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_region_map(r, &p, &(size_t){ 0 }));
	for (off = 0; off < 1024 * 4; off += 4)
		if (kipc_lock_init(r, off))
			fails++;
	EXPECT_EQ(0, fails);
	EXPECT_EQ(-ENOSPC, kipc_lock_init(r, 4096));
	ASSERT_EQ(0, kipc_region_stat(r, &st));
	EXPECT_EQ(1024, st.locks);
	/* Registered ones can still be re-initialised and used. */
	EXPECT_EQ(0, kipc_lock_init(r, 4092));
	EXPECT_EQ(0, kipc_lock(r, 4092, 0));
	EXPECT_EQ(0, kipc_unlock(r, 4092));
}

TEST_F(lock, access_needs_write)
{
	int r, ro;

	r = kipc_region_create(self->name, self->page, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_lock_init(r, LOCK_OFF));
	ro = kipc_region_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, kipc_region_map(ro, &(void *){ NULL }, &(size_t){ 0 }));

	EXPECT_EQ(-EBADF, kipc_lock_init(ro, LOCK_OFF));
	EXPECT_EQ(-EBADF, kipc_lock(ro, LOCK_OFF, 0));
	EXPECT_EQ(-EBADF, kipc_lock(ro, LOCK_OFF, FOREVER));
	EXPECT_EQ(-EBADF, kipc_unlock(ro, LOCK_OFF));
	EXPECT_EQ(-EBADF, kipc_lock_consistent(ro, LOCK_OFF));
	EXPECT_EQ(-EBADF, kipc_lock_token(ro));
	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
}

#define COUNT_PROCS	4
#define COUNT_ITERS	5000
#define COUNTER_OFF	128
#define INSIDE_OFF	192

TEST_F_TIMEOUT(lock, contended_counter, 600)
{
	struct kipc_region_stat st;
	pid_t pid[COUNT_PROCS];
	int r, i, go[2];
	void *p;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, pipe(go));

	for (i = 0; i < COUNT_PROCS; i++) {
		pid[i] = kt_fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			uint64_t *counter;
			void *c;
			int o, n, ret;

			close(go[1]);
			o = open_mapped(self->name, &c);
			KT_CHILD_CHECK(o >= 0);
			counter = (uint64_t *)((char *)c + COUNTER_OFF);
			/* Start together: wait for the pipe to close. */
			KT_CHILD_CHECK(read(go[0], &n, 1) == 0);
			for (n = 0; n < COUNT_ITERS; n++) {
				ret = kipc_lock(o, LOCK_OFF, 60000 * MS);
				KT_CHILD_CHECK(ret == 0);
				/* Nobody else inside. */
				KT_CHILD_CHECK(load_word(c, INSIDE_OFF) == 0);
				store_word(c, INSIDE_OFF, getpid());
				(*(volatile uint64_t *)counter)++;
				if (n % 64 == 0)
					sched_yield();
				KT_CHILD_CHECK(load_word(c, INSIDE_OFF) ==
					       (uint32_t)getpid());
				store_word(c, INSIDE_OFF, 0);
				KT_CHILD_CHECK(kipc_unlock(o, LOCK_OFF) == 0);
			}
			_exit(0);
		}
	}
	close(go[1]);
	for (i = 0; i < COUNT_PROCS; i++)
		EXPECT_EQ(0, kt_reap(pid[i]));

	EXPECT_EQ((uint64_t)COUNT_PROCS * COUNT_ITERS,
		  *(uint64_t *)((char *)p + COUNTER_OFF));
	EXPECT_EQ(0, load_word(p, LOCK_OFF));
	ASSERT_EQ(0, kipc_region_stat(r, &st));
	EXPECT_EQ(0, st.waiters);
	EXPECT_EQ(0, st.owner_died);
}

TEST_F_TIMEOUT(lock, unlock_hands_over_to_waiter, 60)
{
	pid_t pid;
	void *p;
	int r;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_lock(r, LOCK_OFF, FOREVER));

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int64_t token;
		void *c;
		int o;

		o = open_mapped(self->name, &c);
		KT_CHILD_CHECK(o >= 0);
		token = kipc_lock_token(o);
		KT_CHILD_CHECK(kipc_lock(o, LOCK_OFF, 20000 * MS) == 0);
		KT_CHILD_CHECK((load_word(c, LOCK_OFF) &
				KIPC_LOCK_OWNER_MASK) == token);
		KT_CHILD_CHECK(!(load_word(c, LOCK_OFF) &
				 KIPC_LOCK_OWNER_DIED));
		KT_CHILD_CHECK(kipc_unlock(o, LOCK_OFF) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, kt_region_waiters(r, 1));
	/* A sleeper announced itself in the word. */
	EXPECT_EQ(kipc_lock_token(r) | KIPC_LOCK_WAITERS,
		  load_word(p, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, load_word(p, LOCK_OFF));
	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
}

/*
 * A child that opens the region by name (or creates it, if @create),
 * takes the lock, writes 1 at COUNTER_OFF, says so on @ready and sleeps
 * until killed.
 */
static pid_t start_holder(const char *name, int create, int ready)
{
	pid_t pid = kt_fork();

	if (pid == 0) {
		size_t size;
		void *c;
		int o;

		if (create) {
			o = kipc_region_create(name, 4096, 0, 0600);
			KT_CHILD_CHECK(o >= 0);
			KT_CHILD_CHECK(kipc_region_map(o, &c, &size) == 0);
			KT_CHILD_CHECK(kipc_lock_init(o, LOCK_OFF) == 0);
		} else {
			o = open_mapped(name, &c);
			KT_CHILD_CHECK(o >= 0);
		}
		KT_CHILD_CHECK(kipc_lock(o, LOCK_OFF, 20000 * MS) == 0);
		store_word(c, COUNTER_OFF, 1);
		kt_signal(ready);
		pause();
		_exit(0);
	}
	return pid;
}

/* After EOWNERDEAD on @r: the word is ours plus OWNER_DIED. */
static void check_owner_died_word(struct __test_metadata *_metadata,
				  int r, void *p)
{
	uint32_t w = load_word(p, LOCK_OFF);

	EXPECT_EQ(kipc_lock_token(r), w & KIPC_LOCK_OWNER_MASK);
	EXPECT_TRUE(w & KIPC_LOCK_OWNER_DIED) TH_LOG("word %#x", w);
}

TEST_F_TIMEOUT(lock, holder_killed_waiter_recovers, 60)
{
	struct kipc_region_stat st;
	struct kt_killer k;
	int r, o, ready[2];
	int64_t t0, dt;
	void *p, *q;
	pid_t pid;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, pipe(ready));
	pid = start_holder(self->name, 0, ready[1]);
	ASSERT_LE(0, pid);
	kt_await(ready[0]);

	ASSERT_EQ(0, kt_killer_start(&k, r, 1, pid));
	t0 = kt_now_ns();
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, 30000 * MS));
	dt = kt_now_ns() - t0;
	EXPECT_EQ(0, kt_killer_join(&k));
	EXPECT_GT(10000 * MS, dt);
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));

	check_owner_died_word(_metadata, r, p);
	EXPECT_EQ(1, load_word(p, COUNTER_OFF));
	ASSERT_EQ(0, kipc_region_stat(r, &st));
	EXPECT_EQ(1, st.owner_died);
	EXPECT_EQ(-EDEADLK, kipc_lock(r, LOCK_OFF, 0));

	/* Recover: consistent, unlock, and the lock is an ordinary one. */
	EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(kipc_lock_token(r), load_word(p, LOCK_OFF));
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, load_word(p, LOCK_OFF));
	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	o = open_mapped(self->name, &q);
	ASSERT_LE(0, o);
	EXPECT_EQ(0, kipc_lock(o, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(o, LOCK_OFF));
}

TEST_F_TIMEOUT(lock, holder_killed_without_waiter, 60)
{
	int r, ready[2];
	void *p;
	pid_t pid;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, pipe(ready));
	pid = start_holder(self->name, 0, ready[1]);
	ASSERT_LE(0, pid);
	kt_await(ready[0]);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));

	/* Even a try-lock takes it, from the dead owner. */
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, 0));
	check_owner_died_word(_metadata, r, p);
	EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
}

TEST_F_TIMEOUT(lock, unlock_without_consistent, 60)
{
	int r, o, ready[2];
	void *p, *q;
	pid_t pid;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);
	o = open_mapped(self->name, &q);
	ASSERT_LE(0, o);
	ASSERT_EQ(0, pipe(ready));
	pid = start_holder(self->name, 0, ready[1]);
	ASSERT_LE(0, pid);
	kt_await(ready[0]);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));

	EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(KIPC_LOCK_NOTRECOVERABLE,
		  load_word(p, LOCK_OFF) & KIPC_LOCK_OWNER_MASK);

	EXPECT_EQ(-ENOTRECOVERABLE, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(-ENOTRECOVERABLE, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(-ENOTRECOVERABLE, kipc_lock(o, LOCK_OFF, FOREVER));
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(-EPERM, kipc_unlock(r, LOCK_OFF));

	/* Re-initialising is the way back. */
	EXPECT_EQ(0, kipc_lock_init(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_lock(o, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(o, LOCK_OFF));
}

TEST_F_TIMEOUT(lock, owner_holder_killed, 60)
{
	struct kipc_region_stat st;
	struct kt_killer k;
	int o, o2, ready[2];
	void *p, *p2;
	pid_t pid;

	/* The holder created the region: its death kills the region too. */
	ASSERT_EQ(0, pipe(ready));
	pid = start_holder(self->name, 1, ready[1]);
	ASSERT_LE(0, pid);
	kt_await(ready[0]);
	o = open_mapped(self->name, &p);
	ASSERT_LE(0, o);
	o2 = open_mapped(self->name, &p2);
	ASSERT_LE(0, o2);

	ASSERT_EQ(0, kt_killer_start(&k, o, 1, pid));
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(o, LOCK_OFF, 30000 * MS));
	EXPECT_EQ(0, kt_killer_join(&k));
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));

	ASSERT_EQ(0, kipc_region_stat(o, &st));
	EXPECT_EQ(KIPC_STATE_DEAD, st.state);
	EXPECT_EQ(-ENOENT, kipc_region_open(self->name, KIPC_RDWR));
	/* The mappings stay valid, with the dead holder's data. */
	EXPECT_EQ(1, load_word(p, COUNTER_OFF));
	EXPECT_EQ(1, load_word(p2, COUNTER_OFF));
	check_owner_died_word(_metadata, o, p);

	EXPECT_EQ(0, kipc_lock_consistent(o, LOCK_OFF));
	store_word(p, COUNTER_OFF, 2);
	EXPECT_EQ(0, kipc_unlock(o, LOCK_OFF));

	/* The lock keeps working among the survivors, sleeping included. */
	EXPECT_EQ(0, kipc_lock(o2, LOCK_OFF, 0));
	/* This thread holds it, whichever handle it passes. */
	EXPECT_EQ(-EDEADLK, kipc_lock(o, LOCK_OFF, 0));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		KT_CHILD_CHECK(kipc_lock(o, LOCK_OFF, 20000 * MS) == 0);
		KT_CHILD_CHECK(load_word(p, COUNTER_OFF) == 3);
		KT_CHILD_CHECK(kipc_unlock(o, LOCK_OFF) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, kt_region_waiters(o2, 1));
	store_word(p2, COUNTER_OFF, 3);
	EXPECT_EQ(0, kipc_unlock(o2, LOCK_OFF));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, load_word(p, LOCK_OFF));
}

TEST_F_TIMEOUT(lock, garbage_word_is_a_dead_owner, 60)
{
	static const uint32_t garbage[] = {
		0x12345,
		0x12345 | KIPC_LOCK_WAITERS,
		0x12345 | KIPC_LOCK_OWNER_DIED,
		KIPC_LOCK_OWNER_MASK - 1,
	};
	unsigned int i;
	void *p;
	int r;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);

	for (i = 0; i < ARRAY_SIZE(garbage); i++) {
		store_word(p, LOCK_OFF, garbage[i]);
		EXPECT_EQ(-EPERM, kipc_unlock(r, LOCK_OFF))
			TH_LOG("word %#x", garbage[i]);
		EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, 5000 * MS))
			TH_LOG("word %#x", garbage[i]);
		check_owner_died_word(_metadata, r, p);
		EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
		EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
		EXPECT_EQ(0, load_word(p, LOCK_OFF));
	}
	EXPECT_EQ(0, kt_region_nwaiters(r));
	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
}

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
}

TEST_F_TIMEOUT(lock, signal_interrupts_lock, 60)
{
	void *p;
	pid_t pid;
	int r;

	r = new_locked_region(self->name, self->page, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_lock(r, LOCK_OFF, FOREVER));

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1 };
		void *c;
		int o;

		sigemptyset(&sa.sa_mask);
		KT_CHILD_CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
		o = open_mapped(self->name, &c);
		KT_CHILD_CHECK(o >= 0);
		KT_CHILD_CHECK(kipc_lock(o, LOCK_OFF, 20000 * MS) == -EINTR);
		KT_CHILD_CHECK(usr1_count == 1);
		/* Nothing was taken: the lock is still the parent's. */
		KT_CHILD_CHECK(kipc_lock(o, LOCK_OFF, 0) == -EAGAIN);
		_exit(0);
	}
	ASSERT_EQ(0, kt_region_waiters(r, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, kt_region_nwaiters(r));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, load_word(p, LOCK_OFF));
}

TEST_HARNESS_MAIN
