// SPDX-License-Identifier: GPL-2.0
/*
 * Races aimed at the windows of region locks and wait words:
 *
 * - lost wakeup: three waiters sleep on a robust lock; the holder unlocks
 *   through the kernel (which wakes the oldest waiter), re-takes the lock
 *   at once and signals the woken waiter, so that it finds the lock held
 *   with a signal pending and returns EINTR.  The holder runs SCHED_FIFO
 *   on the CPU the waiters are bound to, so the woken waiter runs only
 *   once the holder has done both: the window is hit every round.  The two other waiters must
 *   still get the lock once the holder lets it go: none may sleep on a
 *   free lock until its timeout.
 * - a signal between the wake and the re-check of kipc_wait(): the woken
 *   waiter reports the wake (0), never EINTR, so no wake is lost.
 * - fail-nth: every allocation of kipc_lock_init(), kipc_region_create()
 *   and mmap of a region, failed in turn through /proc/thread-self/fail-nth
 *   (debug kernel); each failure is clean and nothing leaks.
 * - the quota: registered locks are charged to max_user_bytes, so many
 *   sparse locks under a small quota end in ENOSPC.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>

#include "lib/kt_harness.h"

#define LOCK_OFF	64
#define WAIT_OFF	128
#define NWAITERS	3
#define WAITER_TMO	(3000 * MS)

static void on_usr1(int sig)
{
	(void)sig;
}

static void catch_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART: EINTR */
	sigaction(SIGUSR1, &sa, NULL);
}

FIXTURE(race) {
	char name[64];
	int r;
	void *base;
};

FIXTURE_SETUP(race)
{
	size_t msize;

	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "race");
	self->r = kipc_region_create(self->name, 4096, 0, 0600);
	ASSERT_LE(0, self->r);
	ASSERT_EQ(0, kipc_region_map(self->r, &self->base, &msize));
	ASSERT_EQ(0, kipc_lock_init(self->r, LOCK_OFF));
	catch_usr1();
}

FIXTURE_TEARDOWN(race)
{
	kipc_region_unmap(self->r);
	close(self->r);
	kipc_unlink(self->name);
}

struct waiter {
	pthread_t thread;
	int h;
	volatile pid_t tid;
	volatile int done;
	int ret;
	bool wait_word;		/* kipc_wait instead of kipc_lock */
};

/* Bind the calling thread to CPU 0. */
static int on_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * The calling thread on CPU 0 at SCHED_FIFO (@fifo) or back to
 * SCHED_OTHER: a waiter it wakes there runs only when it sleeps.
 */
static int holder_mode(bool fifo)
{
	struct sched_param sp = { .sched_priority = fifo ? 1 : 0 };
	int ret = on_cpu0();

	if (ret)
		return ret;
	return -pthread_setschedparam(pthread_self(),
				      fifo ? SCHED_FIFO : SCHED_OTHER, &sp);
}

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	holder_mode(false);
	w->tid = (pid_t)syscall(SYS_gettid);
	if (w->wait_word) {
		w->ret = kipc_wait(w->h, WAIT_OFF, 0, WAITER_TMO);
	} else {
		w->ret = kipc_lock(w->h, LOCK_OFF, WAITER_TMO);
		if (w->ret == 0)
			kipc_unlock(w->h, LOCK_OFF);
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Start waiters one at a time, so that w[0] is the oldest sleeper. */
static int start_waiters(int r, struct waiter *w, int n)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		w[i].done = 0;
		w[i].tid = 0;
		ret = -pthread_create(&w[i].thread, NULL, waiter_fn, &w[i]);
		if (ret)
			return ret;
		ret = kt_region_waiters(r, i + 1);
		if (ret)
			return ret;
	}
	return 0;
}

TEST_F_TIMEOUT(race, lock_wake_then_signal, 300)
{
	struct waiter w[NWAITERS];
	int holder, i, round, lost = 0, eintr = 0;
	int rounds = kt_scaled(20) ?: 1;
	size_t msize;
	void *p;

	holder = kipc_region_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, holder);
	ASSERT_EQ(0, kipc_region_map(holder, &p, &msize));
	memset(w, 0, sizeof(w));
	for (i = 0; i < NWAITERS; i++) {
		w[i].h = kipc_region_open(self->name, KIPC_RDWR);
		ASSERT_LE(0, w[i].h);
	}

	/* Without the privilege the window is only hit by chance. */
	if (holder_mode(true))
		TH_LOG("no SCHED_FIFO on CPU 0: the window is a race now");
	for (round = 0; round < rounds; round++) {
		bool relocked;

		ASSERT_EQ(0, kipc_lock(holder, LOCK_OFF, 0));
		ASSERT_EQ(0, start_waiters(self->r, w, NWAITERS));
		/* Unlock in the kernel (WAITERS is set): wakes w[0]. */
		ASSERT_EQ(0, kipc_unlock(holder, LOCK_OFF));
		/* Take it again before w[0] looks, then signal w[0]. */
		relocked = kipc_lock(holder, LOCK_OFF, 0) == 0;
		syscall(SYS_tgkill, getpid(), w[0].tid, SIGUSR1);
		while (!__atomic_load_n(&w[0].done, __ATOMIC_ACQUIRE))
			usleep(100);
		if (relocked)
			ASSERT_EQ(0, kipc_unlock(holder, LOCK_OFF));
		for (i = 0; i < NWAITERS; i++)
			pthread_join(w[i].thread, NULL);
		EXPECT_TRUE(w[0].ret == 0 || w[0].ret == -EINTR)
			TH_LOG("round %d: first waiter %d", round, w[0].ret);
		eintr += w[0].ret == -EINTR;
		for (i = 1; i < NWAITERS; i++) {
			if (w[i].ret == 0)
				continue;
			lost++;
			TH_LOG("round %d: waiter %d got %d (%s), lock word %#x",
			       round, i, w[i].ret, strerror(-w[i].ret),
			       __atomic_load_n((uint32_t *)((char *)self->base +
							    LOCK_OFF),
					       __ATOMIC_SEQ_CST));
		}
		if (lost)
			break;
	}
	holder_mode(false);
	TH_LOG("%d rounds, first waiter interrupted in %d, %d lost",
	       round, eintr, lost);
	EXPECT_EQ(0, lost);
	for (i = 0; i < NWAITERS; i++)
		close(w[i].h);
	kipc_region_unmap(holder);
	close(holder);
}

TEST_F_TIMEOUT(race, wait_wake_then_signal, 300)
{
	struct waiter w[2];
	int i, round, n, rounds = kt_scaled(20) ?: 1;

	memset(w, 0, sizeof(w));
	for (i = 0; i < 2; i++) {
		w[i].h = kipc_region_open(self->name, KIPC_RDWR);
		ASSERT_LE(0, w[i].h);
		w[i].wait_word = true;
	}
	if (holder_mode(true))
		TH_LOG("no SCHED_FIFO on CPU 0: the window is a race now");
	for (round = 0; round < rounds; round++) {
		ASSERT_EQ(0, start_waiters(self->r, w, 2));
		n = kipc_wake(self->r, WAIT_OFF, 1);
		syscall(SYS_tgkill, getpid(), w[0].tid, SIGUSR1);
		ASSERT_EQ(1, n);
		while (!__atomic_load_n(&w[0].done, __ATOMIC_ACQUIRE))
			usleep(100);
		/* The woken one reports the wake, whatever the signal did. */
		EXPECT_EQ(0, w[0].ret) TH_LOG("round %d", round);
		EXPECT_EQ(1, kipc_wake(self->r, WAIT_OFF, 8));
		for (i = 0; i < 2; i++)
			pthread_join(w[i].thread, NULL);
		EXPECT_EQ(0, w[1].ret);
	}
	holder_mode(false);
	for (i = 0; i < 2; i++)
		close(w[i].h);
}

/* --- fault injection ---------------------------------------------- */

/* Was the armed fault injected (the counter ran out)?  Disarms it. */
static bool failnth_fired(int fd)
{
	return kt_failnth_disarm(fd) == 0;
}

/*
 * Bytes charged to our uid (max_user_bytes), from "kipcctl module -j";
 * -1 when kipcctl cannot be run here.
 */
static long long user_bytes(void)
{
	static const char *const paths[] = {
		"/usr/bin/kipcctl", "/bin/kipcctl", "../tools/kipcctl",
		"tools/kipcctl",
	};
	const char *path = getenv("KIPC_KIPCCTL"), *p;
	char cmd[256], buf[4096];
	long long v = -1;
	unsigned int i;
	size_t n;
	FILE *f;

	for (i = 0; (!path || access(path, X_OK)) && i < 4; i++)
		path = paths[i];
	if (!path || access(path, X_OK))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s module -j 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	pclose(f);
	buf[n] = '\0';
	p = strstr(buf, "\"user_bytes\"");
	if (p && (p = strchr(p, ':')))
		v = strtoll(p + 1, NULL, 10);
	return v;
}

/*
 * Every kmalloc of this thread fails while @on (failslab with its task
 * filter).  The filter goes on first and the probability last, and off in
 * the reverse order, so that no other task ever sees a failure.  @mfd is
 * this thread's /proc/thread-self/make-it-fail, opened beforehand: an
 * open() would fail once it is set.
 */
static int failslab_all(bool on, int mfd)
{
	static const char *const d = "/sys/kernel/debug/failslab/";
	static const char *const knobs[][3] = {
		{ "task-filter", "Y", "N" },
		{ "interval", "1", "1" },
		{ "times", "-1", "1" },
		{ "probability", "100", "0" },
	};
	char path[128];
	unsigned int i, k;
	int ret = 0, err;

	if (!on && pwrite(mfd, "0", 1, 0) != 1)
		ret = -errno;
	for (i = 0; i < 4; i++) {
		k = on ? i : 3 - i;
		snprintf(path, sizeof(path), "%s%s", d, knobs[k][0]);
		err = kt_write_file(path, knobs[k][on ? 1 : 2]);
		ret = ret ?: err;
	}
	if (on && !ret && pwrite(mfd, "1", 1, 0) != 1)
		ret = -errno;
	return ret;
}

TEST_F_TIMEOUT(race, failnth_lock_init, 300)
{
	struct kipc_region_stat st0, st;
	int fd, ret, h, fs, mfd;
	unsigned int n, off, failed = 0;
	long long ub0, ub;

	KT_REQUIRE_FAILNTH(fd);
	ub0 = user_bytes();
	h = kipc_region_create(NULL, 1 << 20, 0, 0600);
	ASSERT_LE(0, h);

	/*
	 * Every allocation failing: fail-nth fails one, which the xarray's
	 * retry absorbs, so make all of them fail once, then look.
	 */
	ub = user_bytes();
	ASSERT_EQ(0, kipc_region_stat(h, &st0));
	mfd = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, mfd);
	fs = failslab_all(true, mfd);
	ret = fs ? 0 : kipc_lock_init(h, 512 * 1024);
	ASSERT_EQ(0, failslab_all(false, mfd));
	ASSERT_EQ(0, fs);
	close(mfd);
	EXPECT_EQ(-ENOMEM, ret);
	ASSERT_EQ(0, kipc_region_stat(h, &st));
	EXPECT_EQ(st0.locks, st.locks);
	EXPECT_EQ(-EINVAL, kipc_lock(h, 512 * 1024, 0));
	EXPECT_EQ(ub, user_bytes()) TH_LOG("the failed lock stays charged");

	/* Sparse offsets, so that each registration allocates. */
	for (off = 0; off < (1 << 20); off += 256 * 1024 + 4096) {
		ASSERT_EQ(0, kipc_region_stat(h, &st0));
		for (n = 1; n < 1000; n++) {
			ASSERT_EQ(0, kt_failnth_arm(fd, n));
			ret = kipc_lock_init(h, off);
			if (!failnth_fired(fd)) {
				ASSERT_EQ(0, ret);
				break;
			}
			if (ret == 0)
				continue;	/* a failure it absorbed */
			failed++;
			EXPECT_TRUE(ret == -ENOMEM || ret == -ENOSPC)
				TH_LOG("off %u n %u: %d", off, n, ret);
			ASSERT_EQ(0, kipc_region_stat(h, &st));
			EXPECT_EQ(st0.locks, st.locks);
			/* Not registered: the kernel refuses the lock. */
			EXPECT_EQ(-EINVAL, kipc_lock(h, off, 0));
		}
		ASSERT_EQ(0, kipc_region_stat(h, &st));
		EXPECT_EQ(st0.locks + 1, st.locks);
		EXPECT_EQ(0, kipc_lock(h, off, 0));
		EXPECT_EQ(0, kipc_unlock(h, off));
	}
	TH_LOG("%u lock_init calls failed by fail-nth", failed);
	ub = user_bytes();
	/* This thread's lock handle holds the region too: let it go. */
	EXPECT_EQ(0, kipc_lock_release(h));
	close(h);
	close(fd);
	EXPECT_EQ(ub0, user_bytes());
	TH_LOG("uid charge %lld before, %lld with the region and its 4 locks",
	       ub0, ub);
}

TEST_F_TIMEOUT(race, failnth_region_create_map, 300)
{
	long live0, live;
	char name[64];
	int fd, ret, h;
	unsigned int n, failed = 0;
	size_t msize;
	void *p;

	KT_REQUIRE_FAILNTH(fd);
	kt_name(name, sizeof(name), "failnth");
	live0 = kt_live_objects();

	for (n = 1; n < 10000; n++) {
		ASSERT_EQ(0, kt_failnth_arm(fd, n));
		h = kipc_region_create(name, 8 * 4096, 0, 0600);
		if (!failnth_fired(fd)) {
			ASSERT_LE(0, h);
			break;
		}
		if (h >= 0) {
			close(h);
			kipc_unlink(name);
			continue;
		}
		failed++;
		EXPECT_TRUE(h == -ENOMEM || h == -ENOSPC || h == -EMFILE)
			TH_LOG("create n %u: %d", n, h);
		/* Nothing published, nothing left. */
		EXPECT_EQ(-ENOENT, kipc_region_open(name, KIPC_RDWR));
		live = kt_live_objects();
		EXPECT_EQ(live0, live) TH_LOG("create n %u", n);
	}
	TH_LOG("%u creates failed by fail-nth", failed);
	ASSERT_LE(0, h);

	for (n = 1; n < 10000; n++) {
		ASSERT_EQ(0, kt_failnth_arm(fd, n));
		ret = kipc_region_map(h, &p, &msize);
		if (!failnth_fired(fd)) {
			ASSERT_EQ(0, ret);
			break;
		}
		if (ret == 0) {
			kipc_region_unmap(h);
			continue;
		}
		failed++;
		EXPECT_TRUE(ret == -ENOMEM || ret == -EAGAIN)
			TH_LOG("map n %u: %d", n, ret);
	}
	ASSERT_EQ(0, ret);
	memset(p, 0x5a, msize);
	kipc_region_unmap(h);
	close(h);
	kipc_unlink(name);
	EXPECT_EQ(live0, kt_live_objects());
	TH_LOG("%u creates and maps failed by fail-nth", failed);
	close(fd);
}

/* --- the lock quota ----------------------------------------------- */

#define QUOTA_PARAM	"/sys/module/kipc/parameters/max_user_bytes"

TEST_F(race, lock_charge_quota)
{
	unsigned long region = 4UL << 20;
	long old;
	unsigned int i, ok = 0;
	long long ub;
	char buf[32];
	int h, ret = 0;

	if (geteuid())
		KT_SKIP(return, "needs root to set max_user_bytes");
	old = kt_read_long(QUOTA_PARAM);
	ASSERT_LE(0, old);
	h = kipc_region_create(NULL, region, 0, 0600);
	ASSERT_LE(0, h);
	for (i = 0; i < 1024; i++) {
		/* One lock every 4 KiB: each needs its own xarray node. */
		ret = kipc_lock_init(h, (size_t)i * 4096);
		if (i == 0) {
			ASSERT_EQ(0, ret);
			/* Only now shrink the quota to what is held + 64 KiB. */
			snprintf(buf, sizeof(buf), "%lu",
				 region + 4096 * 4 + (64UL << 10));
			ASSERT_EQ(0, kt_write_file(QUOTA_PARAM, buf));
			ok++;
			continue;
		}
		if (ret)
			break;
		ok++;
	}
	snprintf(buf, sizeof(buf), "%ld", old);
	ASSERT_EQ(0, kt_write_file(QUOTA_PARAM, buf));
	TH_LOG("%u sparse locks registered under a 64 KiB margin, then %d",
	       ok, ret);
	ub = user_bytes();
	close(h);
	if (ub >= 0)
		TH_LOG("%lld bytes charged with the region and %u locks: %lld per lock",
		       ub, ok, (ub - user_bytes() - (long long)region) / ok);
	EXPECT_EQ(-ENOSPC, ret);
	EXPECT_GT(1024U, ok);
	EXPECT_LT(1U, ok);
}

TEST_HARNESS_MAIN
