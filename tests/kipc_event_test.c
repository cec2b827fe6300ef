// SPDX-License-Identifier: GPL-2.0
/*
 * Events, as docs/regions.md ("Events") states them: the semaphore,
 * counter and flag semantics and initial values, every errno (EINVAL,
 * EOVERFLOW with nothing changed, EAGAIN, ETIMEDOUT, EINTR with nothing
 * consumed, SA_RESTART and stop/continue restarts, EBADF for the wrong
 * access, ENOTTY for the wrong kind, EFAULT),
 * the extensible-struct size rules of the event ioctls, poll and epoll,
 * fdinfo, owner death (waiters and posts get EPIPE, a wait drains what is
 * left), KIPC_PERSIST, opening by name from another process, FIFO hand-off
 * to sleeping waiters, and conservation of units under concurrent posters
 * and waiters.
 */
#include <assert.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "lib/kt_harness.h"

#define FOREVER		(-1LL)
#define ONE_HOUR	(3600LL * 1000 * MS)
#define POISON		0xccccccccccccccccULL

#define EV_IN	(POLLIN | POLLRDNORM)
#define EV_OUT	(POLLOUT | POLLWRNORM)

static const int kinds[] = {
	KIPC_EVENT_SEMAPHORE, KIPC_EVENT_COUNTER, KIPC_EVENT_FLAG,
};

FIXTURE(event) {
	char name[64];
	char name2[64];
};

FIXTURE_SETUP(event)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "event");
	kt_name(self->name2, sizeof(self->name2), "event2");
}

FIXTURE_TEARDOWN(event)
{
	kipc_unlink(self->name);
	kipc_unlink(self->name2);
}

/* kipc_event_stat() into a poisoned struct, so unwritten fields show. */
static int kt_estat(int e, struct kipc_event_stat *st)
{
	memset(st, 0xcc, sizeof(*st));
	return kipc_event_stat(e, st);
}

/* The event's count; POISON when stat fails. */
static uint64_t ecount(int e)
{
	struct kipc_event_stat st;

	return kt_estat(e, &st) ? POISON : st.count;
}

static int estate(int e)
{
	struct kipc_event_stat st;
	int ret = kt_estat(e, &st);

	return ret < 0 ? ret : (int)st.state;
}

/* kipc_event_wait() into a poisoned value: 0 and *v, or -errno. */
static int ewait(int e, uint64_t *v, int64_t timeout)
{
	*v = POISON;
	return kipc_event_wait(e, v, timeout);
}


/* --- semantics ------------------------------------------------------ */

TEST_F(event, semaphore)
{
	struct kipc_event_stat st;
	uint64_t v;
	int e, i;

	e = kipc_event_create(self->name, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(0, st.count);
	EXPECT_EQ(0, st.posts);
	EXPECT_EQ(0, st.waits);
	EXPECT_EQ(KIPC_EVENT_SEMAPHORE, st.kind);
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);
	EXPECT_EQ(0, st.waiters);
	EXPECT_EQ(getpid(), st.owner_pid);
	EXPECT_NE(0, st.id);
	EXPECT_EQ(0, st.__reserved);

	EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));
	EXPECT_EQ(POISON, v);

	/* V then P. */
	ASSERT_EQ(0, kipc_event_post(e, 1));
	EXPECT_EQ(1, ecount(e));
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(1, v);
	EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));

	/* post(n) adds n; every wait takes one unit and returns 1. */
	ASSERT_EQ(0, kipc_event_post(e, 3));
	EXPECT_EQ(3, ecount(e));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, ewait(e, &v, 0));
		EXPECT_EQ(1, v);
		EXPECT_EQ(2 - i, ecount(e));
	}
	EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));

	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(0, st.count);
	EXPECT_EQ(2, st.posts);
	EXPECT_EQ(4, st.waits);
	EXPECT_EQ(0, st.waiters);
}

TEST_F(event, counter)
{
	struct kipc_event_stat st;
	uint64_t v;
	int e;

	e = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 0, 0, 0600);
	ASSERT_LE(0, e);
	EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));

	/* Posts accumulate; one wait takes the sum. */
	ASSERT_EQ(0, kipc_event_post(e, 3));
	ASSERT_EQ(0, kipc_event_post(e, 4));
	ASSERT_EQ(0, kipc_event_post(e, 5));
	EXPECT_EQ(12, ecount(e));
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(12, v);
	EXPECT_EQ(0, ecount(e));
	EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));

	ASSERT_EQ(0, kipc_event_post(e, 1));
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(1, v);

	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(KIPC_EVENT_COUNTER, st.kind);
	EXPECT_EQ(4, st.posts);
	EXPECT_EQ(2, st.waits);
	EXPECT_EQ(0, st.count);
}

TEST_F(event, flag)
{
	struct kipc_event_stat st;
	uint64_t v;
	int e;

	e = kipc_event_create(self->name, KIPC_EVENT_FLAG, 0, 0, 0600);
	ASSERT_LE(0, e);
	EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));

	/* Posts merge into one; n does not matter. */
	ASSERT_EQ(0, kipc_event_post(e, 1));
	ASSERT_EQ(0, kipc_event_post(e, 5));
	ASSERT_EQ(0, kipc_event_post(e, 1));
	EXPECT_EQ(1, ecount(e));
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(1, v);
	EXPECT_EQ(0, ecount(e));
	EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));

	/* A flag never overflows. */
	ASSERT_EQ(0, kipc_event_post(e, UINT64_MAX));
	ASSERT_EQ(0, kipc_event_post(e, UINT64_MAX));
	EXPECT_EQ(1, ecount(e));
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(1, v);

	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(KIPC_EVENT_FLAG, st.kind);
	EXPECT_EQ(5, st.posts);
	EXPECT_EQ(2, st.waits);
}

TEST_F(event, initial_values)
{
	uint64_t v;
	int e;

	e = kipc_event_create(NULL, KIPC_EVENT_SEMAPHORE, 2, 0, 0600);
	ASSERT_LE(0, e);
	EXPECT_EQ(2, ecount(e));
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(1, v);
	EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));
	close(e);

	e = kipc_event_create(NULL, KIPC_EVENT_SEMAPHORE, UINT64_MAX, 0, 0600);
	ASSERT_LE(0, e);
	EXPECT_EQ(UINT64_MAX, ecount(e));
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(1, v);
	EXPECT_EQ(UINT64_MAX - 1, ecount(e));
	close(e);

	e = kipc_event_create(NULL, KIPC_EVENT_COUNTER, 7, 0, 0600);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, kipc_event_post(e, 3));
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(10, v);
	close(e);

	e = kipc_event_create(NULL, KIPC_EVENT_COUNTER, UINT64_MAX, 0, 0600);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(UINT64_MAX, v);
	EXPECT_EQ(0, ecount(e));
	close(e);

	e = kipc_event_create(NULL, KIPC_EVENT_FLAG, 1, 0, 0600);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(1, v);
	EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));
	close(e);

	e = kipc_event_create(NULL, KIPC_EVENT_FLAG, 0, 0, 0600);
	ASSERT_LE(0, e);
	EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));
	close(e);
}

/* kipc_event_wait() takes its units also when the caller wants no value. */
TEST_F(event, value_null)
{
	int e;

	e = kipc_event_create(NULL, KIPC_EVENT_COUNTER, 5, 0, 0600);
	ASSERT_LE(0, e);
	EXPECT_EQ(0, kipc_event_wait(e, NULL, 0));
	EXPECT_EQ(0, ecount(e));
	EXPECT_EQ(-EAGAIN, kipc_event_wait(e, NULL, 0));
}

/* --- errors --------------------------------------------------------- */

TEST_F(event, create_einval)
{
	static const int bad_kinds[] = { 0, 4, -1, 100 };
	static const int bad_flags[] = {
		KIPC_RDONLY, KIPC_WRONLY, 1 << 4, 1 << 30,
	};
	static const mode_t bad_modes[] = { 01000, 04600, 0177777 };
	char longname[300];
	unsigned int i;
	int q, e;

	for (i = 0; i < ARRAY_SIZE(bad_kinds); i++) {
		EXPECT_EQ(-EINVAL, kipc_event_create(self->name, bad_kinds[i],
						     0, 0, 0600));
		EXPECT_EQ(-EINVAL, kipc_event_create(NULL, bad_kinds[i], 1, 0,
						     0600));
	}
	/* A flag is 0 or 1. */
	EXPECT_EQ(-EINVAL, kipc_event_create(self->name, KIPC_EVENT_FLAG, 2, 0,
					     0600));
	EXPECT_EQ(-EINVAL, kipc_event_create(NULL, KIPC_EVENT_FLAG, UINT64_MAX,
					     0, 0600));
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++)
		EXPECT_EQ(-EINVAL, kipc_event_create(self->name,
						     KIPC_EVENT_SEMAPHORE, 0,
						     bad_flags[i], 0600));
	for (i = 0; i < ARRAY_SIZE(bad_modes); i++)
		EXPECT_EQ(-EINVAL, kipc_event_create(self->name,
						     KIPC_EVENT_SEMAPHORE, 0,
						     0, bad_modes[i]));
	/* Nothing was created by the refused calls. */
	EXPECT_EQ(-ENOENT, kipc_event_open(self->name, KIPC_RDWR));

	/* Names follow the shared rules. */
	EXPECT_EQ(-EINVAL, kipc_event_create("", KIPC_EVENT_FLAG, 0, 0, 0600));
	EXPECT_EQ(-EINVAL, kipc_event_create("/", KIPC_EVENT_FLAG, 0, 0, 0600));
	EXPECT_EQ(-EINVAL, kipc_event_create("a b", KIPC_EVENT_FLAG, 0, 0,
					     0600));
	memset(longname, 'n', sizeof(longname));
	longname[KIPC_NAME_MAX + 1] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, kipc_event_create(longname, KIPC_EVENT_FLAG,
						   0, 0, 0600));

	/* One name space for every kind. */
	e = kipc_event_create(self->name, KIPC_EVENT_FLAG, 0, 0, 0600);
	ASSERT_LE(0, e);
	EXPECT_EQ(-EEXIST, kipc_event_create(self->name, KIPC_EVENT_COUNTER,
					     0, 0, 0600));
	EXPECT_EQ(-EEXIST, kipc_queue_create(self->name, NULL, 0, 0600));
	q = kipc_queue_create(self->name2, NULL, 0, 0600);
	ASSERT_LE(0, q);
	EXPECT_EQ(-EEXIST, kipc_event_create(self->name2, KIPC_EVENT_FLAG, 0,
					     0, 0600));

	/* The edges that are valid. */
	close(e);
	e = kipc_event_create(self->name, KIPC_EVENT_SEMAPHORE, 0,
			      KIPC_PERSIST | KIPC_NONBLOCK, 0777);
	ASSERT_LE(0, e);
	close(e);
	EXPECT_EQ(0, kipc_unlink(self->name));
}

TEST_F(event, post_wait_stat_einval)
{
	struct kipc_ioc_event_post post = { .size = sizeof(post), .value = 1 };
	struct kipc_ioc_event_wait wait = { .size = sizeof(wait) };
	struct kipc_ioc_event_stat info = { .size = sizeof(info) };
	struct kipc_event_stat st;
	int e;

	e = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 1, 0, 0600);
	ASSERT_LE(0, e);

	EXPECT_EQ(-EINVAL, kipc_event_post(e, 0));

	post.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(e, KIPC_IOC_EVENT_POST, &post));
	post.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, kt_ioctl(e, KIPC_IOC_EVENT_POST, &post));
	wait.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(e, KIPC_IOC_EVENT_WAIT, &wait));
	info.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(e, KIPC_IOC_EVENT_STAT, &info));
	EXPECT_EQ(-EINVAL, kipc_event_stat(e, NULL));

	/* Nothing changed. */
	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(1, st.count);
	EXPECT_EQ(0, st.posts);
	EXPECT_EQ(0, st.waits);
}

TEST_F(event, overflow)
{
	static const int counting[] = {
		KIPC_EVENT_SEMAPHORE, KIPC_EVENT_COUNTER,
	};
	struct kipc_event_stat st;
	unsigned int i;
	uint64_t v;
	int e, ep;

	for (i = 0; i < ARRAY_SIZE(counting); i++) {
		e = kipc_event_create(NULL, counting[i], UINT64_MAX - 1, 0,
				      0600);
		ASSERT_LE(0, e);
		ep = kt_epoll_for(e, KT_POLL_ALL);
		ASSERT_LE(0, ep);
		KT_EXPECT_EVENTS(e, ep, EV_IN | EV_OUT);
		ASSERT_EQ(0, kipc_event_post(e, 1));
		EXPECT_EQ(UINT64_MAX, ecount(e));
		/* Full: no EPOLLOUT. */
		KT_EXPECT_EVENTS(e, ep, EV_IN);

		/* Past UINT64_MAX: EOVERFLOW, and nothing changes. */
		EXPECT_EQ(-EOVERFLOW, kipc_event_post(e, 1));
		EXPECT_EQ(-EOVERFLOW, kipc_event_post(e, UINT64_MAX));
		ASSERT_EQ(0, kt_estat(e, &st));
		EXPECT_EQ(UINT64_MAX, st.count);
		EXPECT_EQ(1, st.posts);
		EXPECT_EQ(0, st.waits);

		ASSERT_EQ(0, ewait(e, &v, 0));
		if (counting[i] == KIPC_EVENT_SEMAPHORE) {
			EXPECT_EQ(1, v);
			EXPECT_EQ(UINT64_MAX - 1, ecount(e));
			EXPECT_EQ(-EOVERFLOW, kipc_event_post(e, 2));
			EXPECT_EQ(UINT64_MAX - 1, ecount(e));
			EXPECT_EQ(0, kipc_event_post(e, 1));
			EXPECT_EQ(UINT64_MAX, ecount(e));
		} else {
			EXPECT_EQ(UINT64_MAX, v);
			EXPECT_EQ(0, ecount(e));
			KT_EXPECT_EVENTS(e, ep, EV_OUT);
			EXPECT_EQ(0, kipc_event_post(e, UINT64_MAX));
			EXPECT_EQ(-EOVERFLOW, kipc_event_post(e, 1));
			EXPECT_EQ(UINT64_MAX, ecount(e));
		}
		close(ep);
		close(e);
	}
}

TEST_F(event, timeouts)
{
	struct kipc_event_stat st;
	int64_t t0, t1;
	uint64_t v;
	int e;

	e = kipc_event_create(self->name, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
	ASSERT_LE(0, e);

	/* Timeout 0 never sleeps. */
	EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));

	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, ewait(e, &v, 50 * MS));
	t1 = kt_now_ns();
	EXPECT_LE(50 * MS, t1 - t0);
	EXPECT_EQ(POISON, v);

	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, ewait(e, &v, 1));
	t1 = kt_now_ns();
	EXPECT_LE(1, t1 - t0);

	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(0, st.waiters);
	EXPECT_EQ(0, st.waits);
	EXPECT_EQ(0, st.count);

	/* A timed wait that finds a unit takes it at once. */
	ASSERT_EQ(0, kipc_event_post(e, 1));
	ASSERT_EQ(0, ewait(e, &v, 50 * MS));
	EXPECT_EQ(1, v);
}

TEST_F(event, nonblock)
{
	int64_t t0, t1;
	uint64_t v;
	int e, o;

	e = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 0, KIPC_NONBLOCK,
			      0600);
	ASSERT_LE(0, e);
	EXPECT_TRUE(fcntl(e, F_GETFL) & O_NONBLOCK);

	/* Even an endless or long wait does not sleep. */
	EXPECT_EQ(-EAGAIN, ewait(e, &v, FOREVER));
	EXPECT_EQ(-EAGAIN, ewait(e, &v, ONE_HOUR));
	ASSERT_EQ(0, kipc_event_post(e, 2));
	ASSERT_EQ(0, ewait(e, &v, FOREVER));
	EXPECT_EQ(2, v);

	o = kipc_event_open(self->name, KIPC_RDWR | KIPC_NONBLOCK);
	ASSERT_LE(0, o);
	EXPECT_TRUE(fcntl(o, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-EAGAIN, ewait(o, &v, FOREVER));

	/* fcntl(F_SETFL) makes the handle blocking again. */
	ASSERT_EQ(0, fcntl(o, F_SETFL, 0));
	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, ewait(o, &v, 50 * MS));
	t1 = kt_now_ns();
	EXPECT_LE(50 * MS, t1 - t0);
	close(o);

	/* An open without KIPC_NONBLOCK gives a blocking handle. */
	o = kipc_event_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, o);
	EXPECT_FALSE(fcntl(o, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-ETIMEDOUT, ewait(o, &v, 1 * MS));
	close(o);
}

/*
 * A child blocked in kipc_event_wait() with @timeout gets SIGUSR1; its
 * handler has SA_RESTART or not.  Returns the child's pid; the handler
 * pipe's read end is in *@hfd.
 */
static pid_t signalled_waiter(int e, int64_t timeout, bool restart,
			      int want, uint64_t want_v, int *hfd)
{
	int hp[2];
	pid_t pid;

	if (pipe(hp))
		return -1;
	pid = fork();
	if (pid == 0) {
		uint64_t v;
		int ret;

		close(hp[0]);
		kt_usr1_install(hp[1], restart);
		ret = ewait(e, &v, timeout);
		KT_CHILD_CHECK(ret == want);
		KT_CHILD_CHECK(kt_usr1_handled == 1);
		KT_CHILD_CHECK(v == want_v);
		_exit(0);
	}
	close(hp[1]);
	*hfd = hp[0];
	return pid;
}

TEST_F_TIMEOUT(event, eintr, 120)
{
	static const int64_t timeouts[] = { FOREVER, ONE_HOUR };
	struct kipc_event_stat st;
	unsigned int i;
	uint64_t v;
	int e, hfd;
	pid_t pid;

	e = kipc_event_create(self->name, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
	ASSERT_LE(0, e);

	/* Without SA_RESTART, timed or not: EINTR, nothing taken. */
	for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
		pid = signalled_waiter(e, timeouts[i], false, -EINTR, POISON,
				       &hfd);
		ASSERT_LT(0, pid);
		ASSERT_EQ(0, kt_event_wait_blocked(e, 1));
		ASSERT_EQ(0, kill(pid, SIGUSR1));
		EXPECT_EQ(0, kt_reap(pid)) {
			TH_LOG("timeout %lld", (long long)timeouts[i]);
		}
		close(hfd);
		ASSERT_EQ(0, kt_estat(e, &st));
		EXPECT_EQ(0, st.waiters);
		EXPECT_EQ(0, st.waits);
		EXPECT_EQ(0, st.count);
	}

	/* With SA_RESTART a timed wait still ends with EINTR. */
	pid = signalled_waiter(e, ONE_HOUR, true, -EINTR, POISON, &hfd);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kt_event_wait_blocked(e, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(0, kt_reap(pid));
	close(hfd);

	/* A post afterwards is still there: the interrupted waits took none. */
	ASSERT_EQ(0, kipc_event_post(e, 1));
	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(1, st.count);
	EXPECT_EQ(0, st.waits);
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(1, v);
}

/* With SA_RESTART an untimed wait restarts and then gets the post. */
TEST_F_TIMEOUT(event, sa_restart, 120)
{
	struct kipc_event_stat st;
	int e, hfd;
	pid_t pid;
	char c;

	e = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 0, 0, 0600);
	ASSERT_LE(0, e);

	pid = signalled_waiter(e, FOREVER, true, 0, 7, &hfd);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kt_event_wait_blocked(e, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	/* The handler ran (the wait left the list first), then it restarts. */
	ASSERT_EQ(1, read(hfd, &c, 1));
	ASSERT_EQ(0, kt_event_wait_blocked(e, 1));
	ASSERT_EQ(0, kipc_event_post(e, 7));
	EXPECT_EQ(0, kt_reap(pid));
	close(hfd);

	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(0, st.count);
	EXPECT_EQ(1, st.waits);
	EXPECT_EQ(0, st.waiters);
}

/*
 * A waiter without handlers that is stopped and continued sees no EINTR,
 * timed or not: a post while it is stopped reaches it, and so does one
 * after it sleeps again.
 */
TEST_F_TIMEOUT(event, stop_continue, 120)
{
	static const int64_t timeouts[] = { FOREVER, ONE_HOUR };
	struct kipc_event_stat st;
	int e, status, round;
	unsigned int i;
	pid_t pid;

	e = kipc_event_create(self->name, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
	ASSERT_LE(0, e);
	for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
		for (round = 0; round < 2; round++) {
			pid = fork();
			ASSERT_LE(0, pid);
			if (pid == 0) {
				uint64_t v;

				KT_CHILD_CHECK(ewait(e, &v, timeouts[i]) == 0);
				KT_CHILD_CHECK(v == 1);
				_exit(0);
			}
			ASSERT_EQ(0, kt_event_wait_blocked(e, 1));
			ASSERT_EQ(0, kill(pid, SIGSTOP));
			ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
			ASSERT_TRUE(WIFSTOPPED(status));
			if (round == 0)
				ASSERT_EQ(0, kipc_event_post(e, 1));
			ASSERT_EQ(0, kill(pid, SIGCONT));
			if (round == 1) {
				ASSERT_EQ(pid, waitpid(pid, &status,
						       WCONTINUED));
				ASSERT_TRUE(WIFCONTINUED(status));
				/* Asleep again, not failed out of its wait. */
				ASSERT_EQ(0, kt_event_wait_blocked(e, 1));
				ASSERT_EQ(0, kipc_event_post(e, 1));
			}
			EXPECT_EQ(0, kt_reap(pid)) {
				TH_LOG("timeout %lld, round %d",
				       (long long)timeouts[i], round);
			}
			ASSERT_EQ(0, kt_estat(e, &st));
			EXPECT_EQ(0, st.count);
			EXPECT_EQ(0, st.waiters);
		}
	}
	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(4, st.waits);
	EXPECT_EQ(4, st.posts);
}

TEST_F(event, access_ebadf)
{
	struct kipc_event_stat st;
	uint64_t v;
	int e, r, w;

	e = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 0, 0, 0600);
	ASSERT_LE(0, e);
	r = kipc_event_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);
	w = kipc_event_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, w);

	/* Post needs write access, wait read access. */
	EXPECT_EQ(-EBADF, kipc_event_post(r, 1));
	EXPECT_EQ(-EBADF, ewait(w, &v, 0));
	EXPECT_EQ(-EBADF, ewait(w, &v, FOREVER));
	EXPECT_EQ(POISON, v);

	ASSERT_EQ(0, kipc_event_post(w, 2));
	EXPECT_EQ(-EBADF, ewait(w, &v, 0));
	EXPECT_EQ(2, ecount(r));
	ASSERT_EQ(0, ewait(r, &v, 0));
	EXPECT_EQ(2, v);

	/* Stat works on any handle. */
	ASSERT_EQ(0, kt_estat(w, &st));
	EXPECT_EQ(1, st.posts);
	EXPECT_EQ(1, st.waits);
	ASSERT_EQ(0, kt_estat(r, &st));
	EXPECT_EQ(1, st.posts);

	/* An open must ask for some access. */
	EXPECT_EQ(-EINVAL, kipc_event_open(self->name, 0));
	EXPECT_EQ(-EINVAL, kipc_event_open(self->name, KIPC_NONBLOCK));
}

TEST_F(event, wrong_kind_enotty)
{
	struct kipc_ioc_event_post post = { .size = sizeof(post), .value = 1 };
	struct kipc_ioc_event_create create = {
		.size	= sizeof(create),
		.kind	= KIPC_EVENT_FLAG,
		.mode	= 0600,
	};
	struct kipc_queue_stat qs;
	struct kipc_event_stat st;
	int q, e, ctx;
	uint64_t v;
	char buf[8];
	void *p;

	q = kipc_queue_create(self->name2, NULL, 0, 0600);
	ASSERT_LE(0, q);
	e = kipc_event_create(self->name, KIPC_EVENT_SEMAPHORE, 1, 0, 0600);
	ASSERT_LE(0, e);

	/* Event calls on a queue handle. */
	EXPECT_EQ(-ENOTTY, kipc_event_post(q, 1));
	EXPECT_EQ(-ENOTTY, ewait(q, &v, 0));
	EXPECT_EQ(-ENOTTY, kipc_event_stat(q, &st));

	/* Queue calls on an event handle. */
	EXPECT_EQ(-ENOTTY, kipc_send(e, 1, 0, "x", 1, 0));
	EXPECT_EQ(-ENOTTY, kipc_recv(e, NULL, buf, sizeof(buf), NULL, 0));
	EXPECT_EQ(-ENOTTY, kipc_queue_stat(e, &qs));
	EXPECT_EQ(-ENOTTY, kipc_queue_shutdown(e));

	/* Opening a name of the other kind. */
	EXPECT_EQ(-ENOTTY, kipc_event_open(self->name2, KIPC_RDWR));
	EXPECT_EQ(-ENOTTY, kipc_queue_open(self->name, KIPC_RDWR));
	EXPECT_EQ(-ENOENT, kipc_event_open("/kt.event.nonexistent",
					   KIPC_RDWR));
	EXPECT_EQ(-EINVAL, kipc_event_open(NULL, KIPC_RDWR));

	/* Handle commands on a context, context commands on a handle. */
	ctx = kt_ctx();
	ASSERT_LE(0, ctx);
	EXPECT_EQ(-ENOTTY, kt_ioctl(ctx, KIPC_IOC_EVENT_POST, &post));
	EXPECT_EQ(-ENOTTY, kt_ioctl(e, KIPC_IOC_EVENT_CREATE, &create));
	/* A command number must match exactly, size included. */
	EXPECT_EQ(-ENOTTY, kt_ioctl(e, _IOW(KIPC_IOC_MAGIC, 0x30, __u64),
				    &post));
	EXPECT_EQ(-ENOTTY, kt_ioctl(e, _IOW(KIPC_IOC_MAGIC, 0x3f,
					    struct kipc_ioc_event_post), &post));
	close(ctx);

	/* Events cannot be mapped. */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, e, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);

	/* Nothing was posted or taken. */
	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(1, st.count);
	EXPECT_EQ(0, st.posts);
	EXPECT_EQ(0, st.waits);
}

TEST_F(event, efault)
{
	struct kipc_ioc_event_stat *ro_info;
	struct kipc_ioc_event_wait *ro;
	struct kipc_ioc_event_create create = {
		.size	= sizeof(create),
		.name	= 1,
		.kind	= KIPC_EVENT_FLAG,
		.mode	= 0600,
	};
	int e, ctx;

	e = kipc_event_create(NULL, KIPC_EVENT_SEMAPHORE, 1, 0, 0600);
	ASSERT_LE(0, e);

	EXPECT_EQ(-EFAULT, kt_ioctl(e, KIPC_IOC_EVENT_POST, NULL));
	EXPECT_EQ(-EFAULT, kt_ioctl(e, KIPC_IOC_EVENT_WAIT, (void *)8));
	EXPECT_EQ(-EFAULT, kt_ioctl(e, KIPC_IOC_EVENT_STAT, NULL));

	/* A wait whose result cannot be stored takes nothing. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ro->size = sizeof(*ro);
	ro->timeout_ns = 0;
	ro_info = (struct kipc_ioc_event_stat *)((char *)ro + 64);
	ro_info->size = sizeof(*ro_info);
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, kt_ioctl(e, KIPC_IOC_EVENT_WAIT, ro));
	EXPECT_EQ(1, ecount(e));
	EXPECT_EQ(-EFAULT, kt_ioctl(e, KIPC_IOC_EVENT_STAT, ro_info));
	munmap(ro, 4096);

	ctx = kt_ctx();
	ASSERT_LE(0, ctx);
	EXPECT_EQ(-EFAULT, kt_ioctl(ctx, KIPC_IOC_EVENT_CREATE, &create));
	EXPECT_EQ(-EFAULT, kt_ioctl(ctx, KIPC_IOC_EVENT_CREATE, NULL));
	close(ctx);
}

/* --- the ioctl ABI -------------------------------------------------- */

#define TAIL	8

union event_arg {
	struct kipc_ioc_event_create create;
	struct kipc_ioc_event_post post;
	struct kipc_ioc_event_wait wait;
	struct kipc_ioc_event_stat info;
	unsigned char bytes[128];
};

static const struct {
	const char *what;
	unsigned long cmd;
	size_t size;
	bool on_ctx;
} abi_cmds[] = {
	{ "create", KIPC_IOC_EVENT_CREATE, sizeof(struct kipc_ioc_event_create),
	  true },
	{ "post", KIPC_IOC_EVENT_POST, sizeof(struct kipc_ioc_event_post), false },
	{ "wait", KIPC_IOC_EVENT_WAIT, sizeof(struct kipc_ioc_event_wait), false },
	{ "stat", KIPC_IOC_EVENT_STAT, sizeof(struct kipc_ioc_event_stat), false },
};

static_assert(sizeof(struct kipc_ioc_event_create) == 32, "create ABI");
static_assert(sizeof(struct kipc_ioc_event_post) == 16, "post ABI");
static_assert(sizeof(struct kipc_ioc_event_wait) == 24, "wait ABI");
static_assert(sizeof(struct kipc_ioc_event_stat) == 56, "info ABI");

/* A valid argument for abi_cmds[i] with @size and a zero tail. */
static void abi_arg(union event_arg *a, unsigned int i, uint32_t size)
{
	memset(a, 0, sizeof(*a));
	switch (abi_cmds[i].cmd) {
	case KIPC_IOC_EVENT_CREATE:
		a->create.kind = KIPC_EVENT_SEMAPHORE;
		a->create.mode = 0600;
		a->create.initial = 3;
		break;
	case KIPC_IOC_EVENT_POST:
		a->post.value = 1;
		break;
	case KIPC_IOC_EVENT_WAIT:
		a->wait.timeout_ns = 0;
		break;
	}
	a->create.size = size;
}

TEST_F(event, abi_sizes)
{
	static const size_t where[] = { 0, 3, TAIL - 1 };
	struct kipc_event_stat st;
	union event_arg a;
	unsigned int i, j;
	int e, ctx, fd, ret;
	uint64_t before;
	size_t size;

	ctx = kt_ctx();
	ASSERT_LE(0, ctx);
	e = kipc_event_create(NULL, KIPC_EVENT_SEMAPHORE, 100, 0, 0600);
	ASSERT_LE(0, e);
	for (i = 0; i < ARRAY_SIZE(abi_cmds); i++) {
		size = abi_cmds[i].size;
		fd = abi_cmds[i].on_ctx ? ctx : e;

		/* Below the first version: EINVAL, nothing happens. */
		before = ecount(e);
		abi_arg(&a, i, size - 1);
		EXPECT_EQ(-EINVAL, kt_ioctl(fd, abi_cmds[i].cmd, &a)) {
			TH_LOG("%s size - 1", abi_cmds[i].what);
		}
		abi_arg(&a, i, 0);
		EXPECT_EQ(-EINVAL, kt_ioctl(fd, abi_cmds[i].cmd, &a)) {
			TH_LOG("%s size 0", abi_cmds[i].what);
		}
		EXPECT_EQ(before, ecount(e));

		/* Exact size. */
		abi_arg(&a, i, size);
		ret = kt_ioctl(fd, abi_cmds[i].cmd, &a);
		EXPECT_LE(0, ret) {
			TH_LOG("%s exact size: %d", abi_cmds[i].what, ret);
		}
		if (abi_cmds[i].on_ctx && ret >= 0) {
			EXPECT_EQ(3, ecount(ret));
			close(ret);
		}

		/* Larger with a zero tail: works, the tail stays zero. */
		abi_arg(&a, i, size + TAIL);
		ret = kt_ioctl(fd, abi_cmds[i].cmd, &a);
		EXPECT_LE(0, ret) {
			TH_LOG("%s zero tail: %d", abi_cmds[i].what, ret);
		}
		if (abi_cmds[i].on_ctx && ret >= 0)
			close(ret);
		for (j = 0; j < TAIL; j++)
			EXPECT_EQ(0, a.bytes[size + j]);
		if (abi_cmds[i].cmd == KIPC_IOC_EVENT_WAIT)
			EXPECT_EQ(1, a.wait.value);
		if (abi_cmds[i].cmd == KIPC_IOC_EVENT_STAT) {
			EXPECT_EQ(ecount(e), a.info.count);
			EXPECT_EQ(KIPC_EVENT_SEMAPHORE, a.info.kind);
		}

		/* Larger with a non-zero tail: E2BIG, nothing happens. */
		for (j = 0; j < ARRAY_SIZE(where); j++) {
			before = ecount(e);
			abi_arg(&a, i, size + TAIL);
			a.bytes[size + where[j]] = 0x80;
			EXPECT_EQ(-E2BIG, kt_ioctl(fd, abi_cmds[i].cmd, &a)) {
				TH_LOG("%s non-zero tail byte %zu",
				       abi_cmds[i].what, where[j]);
			}
			EXPECT_EQ(before, ecount(e));
		}
	}

	/* create, post +1 +1, wait -1 -1 from 100. */
	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(100, st.count);
	EXPECT_EQ(2, st.posts);
	EXPECT_EQ(2, st.waits);
	close(ctx);
}

/* --- fdinfo and poll ------------------------------------------------ */

TEST_F(event, fdinfo)
{
	char val[128], want[80];
	int e, h;

	e = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 5, 0, 0600);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, kt_fdinfo(e, "kipc-kind", val, sizeof(val)));
	EXPECT_STREQ("event", val);
	ASSERT_EQ(0, kt_fdinfo(e, "kipc-name", val, sizeof(val)));
	snprintf(want, sizeof(want), "%s", self->name);
	EXPECT_STREQ(want, val);
	ASSERT_EQ(0, kt_fdinfo(e, "kipc-state", val, sizeof(val)));
	EXPECT_STREQ("live", val);
	ASSERT_EQ(0, kt_fdinfo(e, "kipc-count", val, sizeof(val)));
	EXPECT_STREQ("5", val);
	ASSERT_EQ(0, kt_fdinfo(e, "kipc-owner", val, sizeof(val)));
	EXPECT_STREQ("1", val);
	ASSERT_EQ(0, kt_fdinfo(e, "kipc-access", val, sizeof(val)));
	EXPECT_STREQ("rw", val);

	ASSERT_EQ(0, kipc_event_post(e, UINT64_MAX - 5));
	ASSERT_EQ(0, kt_fdinfo(e, "kipc-count", val, sizeof(val)));
	EXPECT_STREQ("18446744073709551615", val);

	h = kipc_event_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, h);
	ASSERT_EQ(0, kt_fdinfo(h, "kipc-owner", val, sizeof(val)));
	EXPECT_STREQ("0", val);
	ASSERT_EQ(0, kt_fdinfo(h, "kipc-access", val, sizeof(val)));
	EXPECT_STREQ("r", val);

	/* Owner death shows. */
	close(e);
	ASSERT_EQ(0, kt_fdinfo(h, "kipc-state", val, sizeof(val)));
	EXPECT_STREQ("dead", val);
	ASSERT_EQ(0, kipc_event_wait(h, NULL, 0));
	ASSERT_EQ(0, kt_fdinfo(h, "kipc-count", val, sizeof(val)));
	EXPECT_STREQ("0", val);
	close(h);
}

TEST_F(event, poll_transitions)
{
	int e, r, w, f, ep, epr, epw, epf;
	uint64_t v;

	e = kipc_event_create(self->name, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
	ASSERT_LE(0, e);
	r = kipc_event_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);
	w = kipc_event_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, w);
	ep = kt_epoll_for(e, KT_POLL_ALL);
	ASSERT_LE(0, ep);
	epr = kt_epoll_for(r, KT_POLL_ALL);
	ASSERT_LE(0, epr);
	epw = kt_epoll_for(w, KT_POLL_ALL);
	ASSERT_LE(0, epw);

	/* Empty: writable only; read access alone reports nothing. */
	KT_EXPECT_EVENTS(e, ep, EV_OUT);
	KT_EXPECT_EVENTS(r, epr, 0);
	KT_EXPECT_EVENTS(w, epw, EV_OUT);

	ASSERT_EQ(0, kipc_event_post(w, 2));
	KT_EXPECT_EVENTS(e, ep, EV_IN | EV_OUT);
	KT_EXPECT_EVENTS(r, epr, EV_IN);
	KT_EXPECT_EVENTS(w, epw, EV_OUT);

	ASSERT_EQ(0, ewait(r, &v, 0));
	KT_EXPECT_EVENTS(e, ep, EV_IN | EV_OUT);
	ASSERT_EQ(0, ewait(e, &v, 0));
	KT_EXPECT_EVENTS(e, ep, EV_OUT);
	KT_EXPECT_EVENTS(r, epr, 0);

	/* Dead: EPOLLHUP, no EPOLLOUT; EPOLLIN while something is left. */
	ASSERT_EQ(0, kipc_event_post(w, 1));
	close(ep);
	close(e);
	KT_EXPECT_EVENTS(r, epr, EV_IN | POLLHUP);
	KT_EXPECT_EVENTS(w, epw, POLLHUP);
	ASSERT_EQ(0, ewait(r, &v, 0));
	KT_EXPECT_EVENTS(r, epr, POLLHUP);
	EXPECT_EQ(-EPIPE, ewait(r, &v, 0));
	close(r);
	close(w);
	close(epr);
	close(epw);

	/* A flag is always writable while live: it never overflows. */
	f = kipc_event_create(NULL, KIPC_EVENT_FLAG, 0, 0, 0600);
	ASSERT_LE(0, f);
	epf = kt_epoll_for(f, KT_POLL_ALL);
	ASSERT_LE(0, epf);
	KT_EXPECT_EVENTS(f, epf, EV_OUT);
	ASSERT_EQ(0, kipc_event_post(f, 1));
	KT_EXPECT_EVENTS(f, epf, EV_IN | EV_OUT);
	ASSERT_EQ(0, kipc_event_post(f, 1));
	KT_EXPECT_EVENTS(f, epf, EV_IN | EV_OUT);
	ASSERT_EQ(0, ewait(f, &v, 0));
	KT_EXPECT_EVENTS(f, epf, EV_OUT);
	close(epf);
	close(f);
}

struct poller {
	pthread_t thread;
	int fd;
	short events;
	volatile pid_t tid;
	int ret;
	short revents;
};

static void *poller_fn(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd = { .fd = p->fd, .events = p->events };

	p->tid = syscall(SYS_gettid);
	p->ret = poll(&pfd, 1, 30000);
	p->revents = pfd.revents;
	return NULL;
}

static int poller_start(struct poller *p, int fd, short events)
{
	int i;

	p->fd = fd;
	p->events = events;
	p->tid = 0;
	p->ret = -2;
	if (pthread_create(&p->thread, NULL, poller_fn, p))
		return -1;
	for (i = 0; i < 20000 && !p->tid; i++)
		usleep(1000);
	return kt_wait_sleeping(getpid(), p->tid);
}

/* Sleepers in poll and epoll_wait wake on post, take and owner death. */
TEST_F_TIMEOUT(event, poll_sleepers_woken, 120)
{
	struct epoll_event ev;
	struct poller p;
	int e, r, ep, ready[2];
	uint64_t v;
	pid_t pid;

	e = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 0, 0, 0600);
	ASSERT_LE(0, e);
	r = kipc_event_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);

	/* A post wakes a poller waiting for EPOLLIN. */
	ASSERT_EQ(0, poller_start(&p, r, POLLIN));
	ASSERT_EQ(0, kipc_event_post(e, 1));
	ASSERT_EQ(0, pthread_join(p.thread, NULL));
	EXPECT_EQ(1, p.ret);
	EXPECT_EQ(POLLIN, p.revents);

	/* A take from a full counter wakes a poller waiting for EPOLLOUT. */
	ASSERT_EQ(0, kipc_event_post(e, UINT64_MAX - 1));
	EXPECT_EQ(EV_IN, kt_poll_events(e, KT_POLL_ALL));
	ASSERT_EQ(0, poller_start(&p, e, POLLOUT));
	ASSERT_EQ(0, ewait(r, &v, 0));
	EXPECT_EQ(UINT64_MAX, v);
	ASSERT_EQ(0, pthread_join(p.thread, NULL));
	EXPECT_EQ(1, p.ret);
	EXPECT_EQ(POLLOUT, p.revents);

	/* Another process in epoll_wait. */
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int n;

		ep = kt_epoll_for(r, KT_POLL_ALL);
		KT_CHILD_CHECK(ep >= 0);
		kt_signal(ready[1]);
		n = epoll_wait(ep, &ev, 1, 30000);
		KT_CHILD_CHECK(n == 1);
		KT_CHILD_CHECK(ev.events == EV_IN);
		_exit(0);
	}
	kt_await(ready[0]);
	ASSERT_EQ(0, kt_wait_sleeping(pid, pid));
	ASSERT_EQ(0, kipc_event_post(e, 3));
	EXPECT_EQ(0, kt_reap(pid));
	ASSERT_EQ(0, ewait(r, &v, 0));
	EXPECT_EQ(3, v);

	/* Owner death wakes a poller with EPOLLHUP. */
	ASSERT_EQ(0, poller_start(&p, r, POLLIN));
	close(e);
	ASSERT_EQ(0, pthread_join(p.thread, NULL));
	EXPECT_EQ(1, p.ret);
	EXPECT_EQ(POLLHUP, p.revents);
	close(r);
}

/* --- owner death and persistence ----------------------------------- */

struct killer {
	pthread_t thread;
	int e;
	pid_t victim;
	int ret;
};

/* Once someone sleeps on the event, SIGKILL its owner. */
static void *killer_fn(void *arg)
{
	struct killer *k = arg;

	k->ret = kt_event_wait_blocked(k->e, 1);
	if (!k->ret)
		k->ret = kill(k->victim, SIGKILL) ? -errno : 0;
	return NULL;
}

TEST_F_TIMEOUT(event, owner_killed_wakes_waiter, 180)
{
	static const int64_t timeouts[] = { FOREVER, ONE_HOUR };
	struct kipc_event_stat st;
	struct killer k;
	int ready[2], h, ret;
	unsigned int i;
	int64_t t0;
	uint64_t v;
	pid_t pid;

	for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
		ASSERT_EQ(0, pipe(ready));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int e = kipc_event_create(self->name,
						  KIPC_EVENT_SEMAPHORE, 0, 0,
						  0600);

			KT_CHILD_CHECK(e >= 0);
			kt_signal(ready[1]);
			for (;;)
				pause();
		}
		kt_await(ready[0]);
		close(ready[0]);
		close(ready[1]);
		h = kipc_event_open(self->name, KIPC_RDWR);
		ASSERT_LE(0, h);

		/* Blocked in the wait when the owner is killed: EPIPE. */
		k.e = h;
		k.victim = pid;
		ASSERT_EQ(0, pthread_create(&k.thread, NULL, killer_fn, &k));
		t0 = kt_now_ns();
		ret = ewait(h, &v, timeouts[i]);
		EXPECT_EQ(-EPIPE, ret);
		EXPECT_EQ(POISON, v);
		if (timeouts[i] > 0)
			EXPECT_GT(timeouts[i] / 4, kt_now_ns() - t0);
		ASSERT_EQ(0, pthread_join(k.thread, NULL));
		EXPECT_EQ(0, k.ret);
		EXPECT_EQ(128 + SIGKILL, kt_reap(pid));

		/* Dead: posts and waits fail, the name is gone. */
		EXPECT_EQ(-EPIPE, kipc_event_post(h, 1));
		EXPECT_EQ(-EPIPE, ewait(h, &v, 0));
		EXPECT_EQ(-EPIPE, ewait(h, &v, FOREVER));
		ASSERT_EQ(0, kt_estat(h, &st));
		EXPECT_EQ(KIPC_STATE_DEAD, st.state);
		EXPECT_EQ(0, st.count);
		EXPECT_EQ(0, st.waiters);
		EXPECT_EQ(0, st.posts);
		EXPECT_EQ(POLLHUP, kt_poll_events(h, KT_POLL_ALL));
		EXPECT_EQ(-ENOENT, kipc_event_open(self->name, KIPC_RDWR));
		close(h);
	}
}

/* Owner death wakes more waiters than one wake batch holds. */
struct bwaiter {
	pthread_t thread;
	int e;
	int ret;
};

static void *bwaiter_fn(void *arg)
{
	struct bwaiter *b = arg;
	uint64_t v;

	b->ret = ewait(b->e, &v, FOREVER);
	return NULL;
}

TEST_F_TIMEOUT(event, owner_death_wakes_many, 120)
{
	struct bwaiter b[20];
	unsigned int i;
	int e, h;

	e = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 0, 0, 0600);
	ASSERT_LE(0, e);
	h = kipc_event_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		b[i].e = h;
		b[i].ret = 1;
		ASSERT_EQ(0, pthread_create(&b[i].thread, NULL, bwaiter_fn,
					    &b[i]));
	}
	ASSERT_EQ(0, kt_event_wait_blocked(h, ARRAY_SIZE(b)));
	close(e);
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		ASSERT_EQ(0, pthread_join(b[i].thread, NULL));
		EXPECT_EQ(-EPIPE, b[i].ret);
	}
	EXPECT_EQ(KIPC_STATE_DEAD, estate(h));
	close(h);
}

/* After owner death a wait still takes what is left, then EPIPE. */
TEST_F(event, owner_death_drains)
{
	unsigned int i;
	uint64_t v;
	int e, h;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		e = kipc_event_create(self->name, kinds[i],
				      kinds[i] == KIPC_EVENT_FLAG ? 1 : 2, 0,
				      0600);
		ASSERT_LE(0, e);
		h = kipc_event_open(self->name, KIPC_RDWR);
		ASSERT_LE(0, h);
		close(e);
		EXPECT_EQ(KIPC_STATE_DEAD, estate(h));
		EXPECT_EQ(-ENOENT, kipc_event_open(self->name, KIPC_RDWR));
		EXPECT_EQ(-EPIPE, kipc_event_post(h, 1));

		switch (kinds[i]) {
		case KIPC_EVENT_SEMAPHORE:
			EXPECT_EQ(0, ewait(h, &v, FOREVER));
			EXPECT_EQ(1, v);
			EXPECT_EQ(0, ewait(h, &v, 0));
			EXPECT_EQ(1, v);
			break;
		case KIPC_EVENT_COUNTER:
			EXPECT_EQ(0, ewait(h, &v, FOREVER));
			EXPECT_EQ(2, v);
			break;
		case KIPC_EVENT_FLAG:
			EXPECT_EQ(0, ewait(h, &v, FOREVER));
			EXPECT_EQ(1, v);
			break;
		}
		EXPECT_EQ(-EPIPE, ewait(h, &v, FOREVER));
		EXPECT_EQ(-EPIPE, ewait(h, &v, 0));
		close(h);
	}
}

TEST_F_TIMEOUT(event, persist_outlives_owner, 60)
{
	struct kipc_event_stat st;
	uint64_t v;
	pid_t pid;
	int h, h2;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int e = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 3,
					  KIPC_PERSIST, 0600);

		KT_CHILD_CHECK(e >= 0);
		KT_CHILD_CHECK(kipc_event_post(e, 4) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, kt_reap(pid));

	h = kipc_event_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);
	ASSERT_EQ(0, kt_estat(h, &st));
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);
	EXPECT_EQ(7, st.count);
	EXPECT_EQ(1, st.posts);
	ASSERT_EQ(0, ewait(h, &v, 0));
	EXPECT_EQ(7, v);
	ASSERT_EQ(0, kipc_event_post(h, 2));

	/* Closing a handle that is not the owner changes nothing either. */
	close(h);
	h = kipc_event_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);
	EXPECT_EQ(2, ecount(h));

	/* Unlinked: the name goes, the handle keeps working. */
	ASSERT_EQ(0, kipc_unlink(self->name));
	EXPECT_EQ(-ENOENT, kipc_event_open(self->name, KIPC_RDWR));
	EXPECT_EQ(KIPC_STATE_LIVE, estate(h));
	ASSERT_EQ(0, kipc_event_post(h, 1));
	ASSERT_EQ(0, ewait(h, &v, 0));
	EXPECT_EQ(3, v);

	/* The name can be created again, as a new event. */
	h2 = kipc_event_create(self->name, KIPC_EVENT_FLAG, 0, 0, 0600);
	ASSERT_LE(0, h2);
	EXPECT_EQ(0, ecount(h2));
	ASSERT_EQ(0, kipc_event_post(h, 5));
	EXPECT_EQ(0, ecount(h2));
	close(h2);
	close(h);
}

TEST_F_TIMEOUT(event, named_open_second_process, 60)
{
	struct kipc_event_stat st;
	uint64_t v;
	pid_t pid;
	int e;

	e = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 0, 0, 0600);
	ASSERT_LE(0, e);

	/* A second process opens it by name and posts. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_event_stat cst;
		int h;

		close(e);
		h = kipc_event_open(self->name, KIPC_WRONLY);
		KT_CHILD_CHECK(h >= 0);
		KT_CHILD_CHECK(kipc_event_stat(h, &cst) == 0);
		KT_CHILD_CHECK(cst.owner_pid == getppid());
		KT_CHILD_CHECK(kipc_event_post(h, 5) == 0);
		KT_CHILD_CHECK(kipc_event_post(h, 6) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, kt_reap(pid));
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(11, v);

	/* ...and blocks in a wait the owner's post ends. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int h;

		close(e);
		h = kipc_event_open(self->name, KIPC_RDONLY);
		KT_CHILD_CHECK(h >= 0);
		KT_CHILD_CHECK(ewait(h, &v, FOREVER) == 0);
		KT_CHILD_CHECK(v == 9);
		_exit(0);
	}
	ASSERT_EQ(0, kt_event_wait_blocked(e, 1));
	ASSERT_EQ(0, kipc_event_post(e, 9));
	EXPECT_EQ(0, kt_reap(pid));

	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(3, st.posts);
	EXPECT_EQ(2, st.waits);
	EXPECT_EQ(0, st.count);
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);
}

TEST_F_TIMEOUT(event, anonymous_fork, 60)
{
	uint64_t v;
	pid_t pid;
	int e;

	e = kipc_event_create(NULL, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
	ASSERT_LE(0, e);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		KT_CHILD_CHECK(ewait(e, &v, FOREVER) == 0 && v == 1);
		KT_CHILD_CHECK(kipc_event_post(e, 1) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, kt_event_wait_blocked(e, 1));
	ASSERT_EQ(0, kipc_event_post(e, 1));
	EXPECT_EQ(0, kt_reap(pid));
	ASSERT_EQ(0, ewait(e, &v, 0));
	EXPECT_EQ(1, v);
}

/* --- hand-off and concurrency -------------------------------------- */

struct result {
	char tag;
	uint64_t value;
};

/* A child that waits forever on @e and reports (tag, value) on @fd. */
static pid_t tagged_waiter(int e, char tag, int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct result r = { .tag = tag };
		int ret = ewait(e, &r.value, FOREVER);

		KT_CHILD_CHECK(ret == 0);
		KT_CHILD_CHECK(write(fd, &r, sizeof(r)) == sizeof(r));
		_exit(0);
	}
	return pid;
}

/* Waiters are served oldest first; a post hands units to sleepers. */
TEST_F_TIMEOUT(event, fifo_handoff, 180)
{
	struct kipc_event_stat st;
	struct result res;
	int e, fds[2];
	unsigned int i;
	pid_t a, b;
	uint64_t v, n;

	ASSERT_EQ(0, pipe(fds));
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		n = kinds[i] == KIPC_EVENT_COUNTER ? 5 : 1;
		e = kipc_event_create(NULL, kinds[i], 0, 0, 0600);
		ASSERT_LE(0, e);

		a = tagged_waiter(e, 'A', fds[1]);
		ASSERT_LT(0, a);
		ASSERT_EQ(0, kt_event_wait_blocked(e, 1));
		b = tagged_waiter(e, 'B', fds[1]);
		ASSERT_LT(0, b);
		ASSERT_EQ(0, kt_event_wait_blocked(e, 2));

		ASSERT_EQ(0, kipc_event_post(e, n));
		/* Handed straight to A: nothing is left for a newcomer. */
		EXPECT_EQ(-EAGAIN, ewait(e, &v, 0));
		EXPECT_EQ(0, kt_reap(a));
		ASSERT_EQ(sizeof(res), read(fds[0], &res, sizeof(res)));
		EXPECT_EQ('A', res.tag);
		EXPECT_EQ(n, res.value);

		/* B still sleeps. */
		ASSERT_EQ(0, kt_estat(e, &st));
		EXPECT_EQ(1, st.waiters);
		EXPECT_EQ(0, st.count);
		EXPECT_EQ(1, st.waits);
		EXPECT_EQ(0, waitpid(b, NULL, WNOHANG));

		ASSERT_EQ(0, kipc_event_post(e, n + 1));
		EXPECT_EQ(0, kt_reap(b));
		ASSERT_EQ(sizeof(res), read(fds[0], &res, sizeof(res)));
		EXPECT_EQ('B', res.tag);
		EXPECT_EQ(kinds[i] == KIPC_EVENT_COUNTER ? n + 1 : 1,
			  res.value);

		/* A semaphore's post(2) leaves 1 once B took its unit. */
		ASSERT_EQ(0, kt_estat(e, &st));
		EXPECT_EQ(0, st.waiters);
		EXPECT_EQ(2, st.waits);
		EXPECT_EQ(kinds[i] == KIPC_EVENT_SEMAPHORE ? 1 : 0, st.count);
		close(e);
	}

	/* One semaphore post(3) serves two sleepers and keeps the rest. */
	e = kipc_event_create(NULL, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
	ASSERT_LE(0, e);
	a = tagged_waiter(e, 'A', fds[1]);
	ASSERT_LT(0, a);
	b = tagged_waiter(e, 'B', fds[1]);
	ASSERT_LT(0, b);
	ASSERT_EQ(0, kt_event_wait_blocked(e, 2));
	ASSERT_EQ(0, kipc_event_post(e, 3));
	EXPECT_EQ(0, kt_reap(a));
	EXPECT_EQ(0, kt_reap(b));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(sizeof(res), read(fds[0], &res, sizeof(res)));
		EXPECT_EQ(1, res.value);
	}
	ASSERT_EQ(0, kt_estat(e, &st));
	EXPECT_EQ(1, st.count);
	EXPECT_EQ(2, st.waits);
	EXPECT_EQ(1, st.posts);
	close(e);
	close(fds[0]);
	close(fds[1]);
}

#define NPROC	4
#define NPOST	300

/* Shared with the children: what each waiter took, and how often. */
struct tally {
	uint64_t sum[NPROC];
	uint64_t waits[NPROC];
};

static struct tally *tally_map(void)
{
	void *p = mmap(NULL, sizeof(struct tally), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Waiter child @i: open by name, take until EPIPE, tally what it got. */
static void waiter_child(const char *name, int kind, struct tally *t,
			 int i)
{
	uint64_t v;
	int h, ret;

	h = kipc_event_open(name, KIPC_RDONLY);
	KT_CHILD_CHECK(h >= 0);
	for (;;) {
		ret = ewait(h, &v, FOREVER);
		if (ret == -EPIPE)
			break;
		KT_CHILD_CHECK(ret == 0);
		KT_CHILD_CHECK(v >= 1);
		if (kind == KIPC_EVENT_SEMAPHORE)
			KT_CHILD_CHECK(v == 1);
		t->sum[i] += v;
		t->waits[i]++;
	}
	_exit(0);
}

/* Poster child: post @n for j = 0..NPOST-1 by name. */
static void poster_child(const char *name, int kind)
{
	int h, j;

	h = kipc_event_open(name, KIPC_WRONLY);
	KT_CHILD_CHECK(h >= 0);
	for (j = 0; j < NPOST; j++) {
		uint64_t n = kind == KIPC_EVENT_SEMAPHORE ? j % 3 + 1 : j + 1;

		KT_CHILD_CHECK(kipc_event_post(h, n) == 0);
	}
	_exit(0);
}

static uint64_t posted_per_child(int kind)
{
	uint64_t sum = 0;
	int j;

	for (j = 0; j < NPOST; j++)
		sum += kind == KIPC_EVENT_SEMAPHORE ? j % 3 + 1 : j + 1;
	return sum;
}

/* Wait until the live event has every unit taken and @waiters asleep. */
static int wait_all_taken(int e, uint64_t waits, unsigned int waiters)
{
	struct kipc_event_stat st;
	int i;

	for (i = 0; i < 60000; i++) {
		if (kipc_event_stat(e, &st))
			return -1;
		if (!st.count && st.waiters == waiters &&
		    (!waits || st.waits == waits))
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static void run_concurrent(struct __test_metadata *_metadata,
			   const char *name, int kind, unsigned int nwaiters)
{
	uint64_t total = NPROC * posted_per_child(kind), sum = 0, waits = 0;
	pid_t waiters[NPROC], posters[NPROC];
	struct kipc_event_stat st;
	struct tally *t;
	unsigned int i;
	int e, h;

	t = tally_map();
	ASSERT_NE(NULL, t);
	e = kipc_event_create(name, kind, 0, 0, 0600);
	ASSERT_LE(0, e);
	h = kipc_event_open(name, KIPC_RDONLY);
	ASSERT_LE(0, h);

	for (i = 0; i < nwaiters; i++) {
		waiters[i] = fork();
		ASSERT_LE(0, waiters[i]);
		if (waiters[i] == 0) {
			close(e);
			waiter_child(name, kind, t, i);
		}
	}
	ASSERT_EQ(0, kt_event_wait_blocked(h, nwaiters));
	for (i = 0; i < NPROC; i++) {
		posters[i] = fork();
		ASSERT_LE(0, posters[i]);
		if (posters[i] == 0) {
			close(e);
			poster_child(name, kind);
		}
	}
	for (i = 0; i < NPROC; i++)
		EXPECT_EQ(0, kt_reap(posters[i]));

	/*
	 * Every unit is taken while the event is live and every waiter is
	 * back asleep: nothing is stuck in the count with sleepers.
	 */
	ASSERT_EQ(0, wait_all_taken(h, kind == KIPC_EVENT_SEMAPHORE ?
				    total : 0, nwaiters));

	/* Owner death ends the waiters. */
	close(e);
	for (i = 0; i < nwaiters; i++) {
		EXPECT_EQ(0, kt_reap(waiters[i]));
		sum += t->sum[i];
		waits += t->waits[i];
	}
	ASSERT_EQ(0, kt_estat(h, &st));
	EXPECT_EQ(total, sum);
	EXPECT_EQ(0, st.count);
	EXPECT_EQ(waits, st.waits);
	EXPECT_EQ(NPROC * NPOST, st.posts);
	EXPECT_EQ(0, st.waiters);
	EXPECT_EQ(KIPC_STATE_DEAD, st.state);
	close(h);
	munmap(t, sizeof(*t));
}

TEST_F_TIMEOUT(event, semaphore_4x4, 300)
{
	run_concurrent(_metadata, self->name, KIPC_EVENT_SEMAPHORE, NPROC);
}

TEST_F_TIMEOUT(event, counter_conservation, 300)
{
	run_concurrent(_metadata, self->name, KIPC_EVENT_COUNTER, 2);
}

/* Posters racing with waiters that do not sleep (timeout 0 polling). */
TEST_F_TIMEOUT(event, counter_nonblocking_takers, 300)
{
	uint64_t total = NPROC * posted_per_child(KIPC_EVENT_COUNTER);
	pid_t posters[NPROC];
	uint64_t got = 0, v;
	unsigned int i;
	int e, ret;

	e = kipc_event_create(self->name, KIPC_EVENT_COUNTER, 0, 0, 0600);
	ASSERT_LE(0, e);
	for (i = 0; i < NPROC; i++) {
		posters[i] = fork();
		ASSERT_LE(0, posters[i]);
		if (posters[i] == 0)
			poster_child(self->name, KIPC_EVENT_COUNTER);
	}
	while (got < total) {
		ret = ewait(e, &v, 0);
		if (ret == -EAGAIN) {
			ret = ewait(e, &v, 20000 * MS);
			ASSERT_NE(-ETIMEDOUT, ret);
		}
		ASSERT_EQ(0, ret);
		got += v;
	}
	for (i = 0; i < NPROC; i++)
		EXPECT_EQ(0, kt_reap(posters[i]));
	EXPECT_EQ(total, got);
	EXPECT_EQ(0, ecount(e));
}

TEST_HARNESS_MAIN
