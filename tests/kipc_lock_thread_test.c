// SPDX-License-Identifier: GPL-2.0
/*
 * Robust locks owned by threads (issue 13, docs/regions.md "Robust
 * locks"): the owner of a lock is the thread that took it, whatever
 * handle it used.  Threads of one process on one handle, forked children
 * on the inherited handle, children that opened the region by name, a
 * handle passed with SCM_RIGHTS and a process in another PID namespace
 * all exclude each other (exact counters); EDEADLK only for the same
 * thread, EPERM for another thread's lock; a holder that ends by
 * pthread_exit, kill -9 or exec leaves the lock owner-died and one
 * waiter gets EOWNERDEAD, also when the waiters are threads of its own
 * process and when a forked child still has copies of its fds;
 * kipc_lock_consistent() works without a mapping; the fast path makes no
 * syscall once a thread has its handle; thread handles are no peers.
 */
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "lib/kt_harness.h"

#define FOREVER		(-1LL)
#define LOCK_OFF	64
#define CTR_OFF		128
#define ERR_OFF		192	/* failed lock calls, atomic */

struct shared {
	int r;
	void *p;
	unsigned int rounds;
};

static volatile uint32_t *ctr(void *p)
{
	return (volatile uint32_t *)((char *)p + CTR_OFF);
}

static uint32_t *errs(void *p)
{
	return (uint32_t *)((char *)p + ERR_OFF);
}

static uint32_t load_word(void *p, size_t off)
{
	return __atomic_load_n((uint32_t *)((char *)p + off), __ATOMIC_SEQ_CST);
}

/* An anonymous region of one page, mapped, with a lock at LOCK_OFF. */
static int new_region(const char *name, void **p)
{
	size_t size;
	int r, ret;

	r = kipc_region_create(name, 4096, 0, 0600);
	if (r < 0)
		return r;
	ret = kipc_region_map(r, p, &size);
	if (!ret)
		ret = kipc_lock_init(r, LOCK_OFF);
	return ret < 0 ? ret : r;
}

/*
 * @n rounds of lock, a non-atomic read-modify-write of the counter with
 * a yield in the middle now and then, unlock.  Any error is counted in
 * the shared error word; returns the number of failed calls.
 */
static unsigned int increment(int r, void *p, unsigned int n)
{
	unsigned int i, bad = 0;
	uint32_t v;
	int ret;

	for (i = 0; i < n; i++) {
		ret = kipc_lock(r, LOCK_OFF, FOREVER);
		if (ret) {
			bad++;
			continue;
		}
		v = *ctr(p);
		if (!(i % 64))
			sched_yield();
		*ctr(p) = v + 1;
		if (kipc_unlock(r, LOCK_OFF))
			bad++;
	}
	if (bad)
		__atomic_add_fetch(errs(p), bad, __ATOMIC_SEQ_CST);
	return bad;
}

static void *increment_thread(void *arg)
{
	struct shared *s = arg;

	increment(s->r, s->p, s->rounds);
	return NULL;
}

/* @nthreads threads of this process run increment() on handle @r. */
static int run_threads(int r, void *p, unsigned int nthreads,
		       unsigned int rounds)
{
	struct shared s = { .r = r, .p = p, .rounds = rounds };
	pthread_t t[16];
	unsigned int i;

	for (i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, increment_thread, &s))
			return -1;
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	return 0;
}

FIXTURE(lockt) {
	char name[64];
};

FIXTURE_SETUP(lockt)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "lockt");
}

FIXTURE_TEARDOWN(lockt)
{
}

TEST_F_TIMEOUT(lockt, threads_one_handle, 600)
{
	unsigned int n = kt_scaled(5000);
	void *p;
	int r;

	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, run_threads(r, p, 4, n));
	EXPECT_EQ(0, load_word(p, ERR_OFF));
	EXPECT_EQ(4 * n, *ctr(p));
	EXPECT_EQ(0, load_word(p, LOCK_OFF) & KIPC_LOCK_OWNER_MASK);
	close(r);
}

/* The repro: 3 forked workers on the inherited handle. */
TEST_F_TIMEOUT(lockt, forked_inherited_handle, 900)
{
	unsigned int n = kt_scaled(20000), i;
	pid_t pid[3];
	void *p;
	int r;

	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	for (i = 0; i < 3; i++) {
		pid[i] = kt_fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0)
			_exit(increment(r, p, n) ? 1 : 0);
	}
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, kt_reap(pid[i]));
	EXPECT_EQ(0, load_word(p, ERR_OFF));
	EXPECT_EQ(3 * n, *ctr(p));
	close(r);
}

TEST_F_TIMEOUT(lockt, children_open_by_name, 600)
{
	unsigned int n = kt_scaled(5000), i;
	pid_t pid[3];
	void *p;
	int r;

	r = new_region(self->name, &p);
	ASSERT_LE(0, r);
	for (i = 0; i < 3; i++) {
		pid[i] = kt_fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			size_t size;
			void *q;
			int o;

			close(r);
			o = kipc_region_open(self->name, KIPC_RDWR);
			KT_CHILD_CHECK(o >= 0);
			KT_CHILD_CHECK(kipc_region_map(o, &q, &size) == 0);
			_exit(increment(o, q, n) ? 1 : 0);
		}
	}
	increment(r, p, n);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, kt_reap(pid[i]));
	EXPECT_EQ(0, load_word(p, ERR_OFF));
	EXPECT_EQ(4 * n, *ctr(p));
	close(r);
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -errno;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

TEST_F_TIMEOUT(lockt, handle_passed_with_scm_rights, 600)
{
	unsigned int n = kt_scaled(5000);
	int sv[2], r;
	pid_t pid;
	void *p;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t size;
		void *q;
		int fd;

		close(sv[0]);
		fd = recv_fd(sv[1]);
		KT_CHILD_CHECK(fd >= 0);
		KT_CHILD_CHECK(kipc_region_map(fd, &q, &size) == 0);
		_exit(increment(fd, q, n) ? 1 : 0);
	}
	close(sv[1]);
	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, send_fd(sv[0], r));
	increment(r, p, n);
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, load_word(p, ERR_OFF));
	EXPECT_EQ(2 * n, *ctr(p));
	close(sv[0]);
	close(r);
}

TEST_F_TIMEOUT(lockt, eight_procs_four_threads, 900)
{
	unsigned int n = kt_scaled(1000), i;
	pid_t pid[8];
	void *p;
	int r;

	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	for (i = 0; i < 8; i++) {
		pid[i] = kt_fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0)
			_exit(run_threads(r, p, 4, n) ? 1 : 0);
	}
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, kt_reap(pid[i]));
	EXPECT_EQ(0, load_word(p, ERR_OFF));
	EXPECT_EQ(32 * n, *ctr(p));
	close(r);
}

/* --- errnos between threads ------------------------------------------ */

struct call {
	int r;
	int op;		/* 0 lock, 1 unlock, 2 consistent */
	int64_t timeout;
	int ret;
};

static void *call_thread(void *arg)
{
	struct call *c = arg;

	if (c->op == 0)
		c->ret = kipc_lock(c->r, LOCK_OFF, c->timeout);
	else if (c->op == 1)
		c->ret = kipc_unlock(c->r, LOCK_OFF);
	else
		c->ret = kipc_lock_consistent(c->r, LOCK_OFF);
	return NULL;
}

/* Run one call in a new thread of this process and return its result. */
static int in_thread(int r, int op, int64_t timeout)
{
	struct call c = { .r = r, .op = op, .timeout = timeout, .ret = 1 };
	pthread_t t;

	if (pthread_create(&t, NULL, call_thread, &c))
		return -ENOMEM;
	pthread_join(t, NULL);
	return c.ret;
}

TEST_F_TIMEOUT(lockt, errnos_between_threads, 60)
{
	void *p;
	int r;

	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(-EDEADLK, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(-EDEADLK, kipc_lock(r, LOCK_OFF, FOREVER));
	/* Another thread on the same handle: held, not ours. */
	EXPECT_EQ(-EAGAIN, in_thread(r, 0, 0));
	EXPECT_EQ(-ETIMEDOUT, in_thread(r, 0, 20 * MS));
	EXPECT_EQ(-EPERM, in_thread(r, 1, 0));
	EXPECT_EQ(-EINVAL, in_thread(r, 2, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(-EPERM, kipc_unlock(r, LOCK_OFF));
	/* Free again: another thread takes it, and its exit frees it. */
	EXPECT_EQ(0, in_thread(r, 0, 0));
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	/* Misaligned and unregistered offsets, a bad fd. */
	EXPECT_EQ(-EINVAL, kipc_lock(r, LOCK_OFF + 2, FOREVER));
	EXPECT_EQ(-EINVAL, kipc_unlock(r, LOCK_OFF + 2));
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(r, LOCK_OFF + 2));
	/* Unregistered: what reaches the kernel is EINVAL. */
	*(uint32_t *)((char *)p + 256) = 5;
	EXPECT_EQ(-EINVAL, kipc_lock(r, 256, FOREVER));
	EXPECT_EQ(-EINVAL, kipc_unlock(r, 256));
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(r, 256));
	EXPECT_EQ(-EBADF, kipc_lock(-1, LOCK_OFF, 0));
	close(r);
}

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	usr1_seen++;
}

struct sig_arg {
	int r;
	pid_t tid;
	int ret;
};

static void *timed_locker(void *arg)
{
	struct sig_arg *a = arg;

	a->tid = syscall(SYS_gettid);
	a->ret = kipc_lock(a->r, LOCK_OFF, 5000 * MS);
	return NULL;
}

TEST_F_TIMEOUT(lockt, eintr_and_enotrecoverable, 60)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct sig_arg a = { .ret = 1 };
	pthread_t t;
	void *p;
	int r;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	a.r = r;
	ASSERT_EQ(0, kipc_lock(r, LOCK_OFF, FOREVER));
	ASSERT_EQ(0, pthread_create(&t, NULL, timed_locker, &a));
	ASSERT_EQ(0, kt_region_waiters(r, 1));
	ASSERT_EQ(0, pthread_kill(t, SIGUSR1));
	pthread_join(t, NULL);
	EXPECT_EQ(-EINTR, a.ret);
	EXPECT_LE(1, usr1_seen);
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));

	/* Owner-died, unlocked without consistent: not recoverable. */
	EXPECT_EQ(0, in_thread(r, 0, 0));
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(-ENOTRECOVERABLE, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(-ENOTRECOVERABLE, in_thread(r, 0, 0));
	close(r);
}

/* --- the holder ends -------------------------------------------------- */

static void *lock_and_exit(void *arg)
{
	int r = *(int *)arg;

	if (kipc_lock(r, LOCK_OFF, FOREVER))
		return (void *)1;
	pthread_exit(NULL);
}

struct waiter {
	pthread_t t;
	int r;
	void *p;
	int ret;
	int consistent;
};

/* Wait for the lock; on EOWNERDEAD recover; count once; unlock. */
static void *waiter_thread(void *arg)
{
	struct waiter *w = arg;

	w->ret = kipc_lock(w->r, LOCK_OFF, 20000 * MS);
	if (w->ret == -EOWNERDEAD)
		w->consistent = kipc_lock_consistent(w->r, LOCK_OFF);
	if (w->ret == 0 || w->ret == -EOWNERDEAD) {
		(*ctr(w->p))++;
		kipc_unlock(w->r, LOCK_OFF);
	}
	return NULL;
}

TEST_F_TIMEOUT(lockt, pthread_exit_while_holding, 60)
{
	struct waiter w[2];
	pthread_t holder;
	int r, i, died = 0;
	void *p;

	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	/* The holder takes it and ends; the main thread then finds it. */
	ASSERT_EQ(0, pthread_create(&holder, NULL, lock_and_exit, &r));
	pthread_join(holder, NULL);
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));

	/* Again, and two sibling threads race for it: one recovers. */
	ASSERT_EQ(0, pthread_create(&holder, NULL, lock_and_exit, &r));
	pthread_join(holder, NULL);
	for (i = 0; i < 2; i++) {
		w[i] = (struct waiter){ .r = r, .p = p, .ret = 1 };
		ASSERT_EQ(0, pthread_create(&w[i].t, NULL, waiter_thread,
					    &w[i]));
	}
	for (i = 0; i < 2; i++) {
		pthread_join(w[i].t, NULL);
		died += w[i].ret == -EOWNERDEAD;
		if (w[i].ret == -EOWNERDEAD) {
			EXPECT_EQ(0, w[i].consistent);
		} else {
			EXPECT_EQ(0, w[i].ret);
		}
	}
	EXPECT_EQ(1, died);
	EXPECT_EQ(2, *ctr(p));
	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	close(r);
}

struct hold {
	int r;
	int use_pthread_exit;
	int go[2];	/* the holder exits when a byte arrives */
	int locked[2];	/* the holder writes a byte once it holds it */
};

static void *hold_until_told(void *arg)
{
	struct hold *h = arg;
	char b = 0;

	if (kipc_lock(h->r, LOCK_OFF, FOREVER))
		return (void *)1;
	kt_signal(h->locked[1]);
	if (read(h->go[0], &b, 1) != 1)
		return (void *)2;
	if (h->use_pthread_exit)
		pthread_exit(NULL);
	return NULL;	/* returns from the thread function, holding it */
}

/* Siblings asleep on the lock when its holder thread ends. */
static void siblings_wait(struct __test_metadata *_metadata, int pexit)
{
	struct waiter w[3];
	struct hold h;
	pthread_t t;
	int r, i, died = 0;
	void *p;

	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	h.r = r;
	h.use_pthread_exit = pexit;
	ASSERT_EQ(0, pipe(h.go));
	ASSERT_EQ(0, pipe(h.locked));
	ASSERT_EQ(0, pthread_create(&t, NULL, hold_until_told, &h));
	kt_await(h.locked[0]);
	for (i = 0; i < 3; i++) {
		w[i] = (struct waiter){ .r = r, .p = p, .ret = 1 };
		ASSERT_EQ(0, pthread_create(&w[i].t, NULL, waiter_thread,
					    &w[i]));
	}
	ASSERT_EQ(0, kt_region_waiters(r, 3));
	kt_signal(h.go[1]);
	pthread_join(t, NULL);
	for (i = 0; i < 3; i++) {
		pthread_join(w[i].t, NULL);
		died += w[i].ret == -EOWNERDEAD;
		if (w[i].ret == -EOWNERDEAD) {
			EXPECT_EQ(0, w[i].consistent);
		} else {
			EXPECT_EQ(0, w[i].ret);
		}
	}
	EXPECT_EQ(1, died);
	EXPECT_EQ(3, *ctr(p));
	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	close(r);
	close(h.go[0]);
	close(h.go[1]);
	close(h.locked[0]);
	close(h.locked[1]);
}

TEST_F_TIMEOUT(lockt, thread_returns_while_siblings_wait, 60)
{
	siblings_wait(_metadata, 0);
}

TEST_F_TIMEOUT(lockt, pthread_exit_while_siblings_wait, 60)
{
	siblings_wait(_metadata, 1);
}

/*
 * A forked child keeps copies of every fd, the threads' lock handles
 * too: the library's fork handler drops them, so a parent thread that
 * ends holding a lock still frees it while the child lives.
 */
TEST_F_TIMEOUT(lockt, forked_child_does_not_keep_thread_alive, 60)
{
	struct hold h;
	pthread_t t;
	pid_t pid;
	void *p;
	int r;

	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	h.r = r;
	h.use_pthread_exit = 0;
	ASSERT_EQ(0, pipe(h.go));
	ASSERT_EQ(0, pipe(h.locked));
	/* A thread (not the forking one) holds the lock during the fork. */
	ASSERT_EQ(0, pthread_create(&t, NULL, hold_until_told, &h));
	kt_await(h.locked[0]);
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Not the holder: the lock is another thread's. */
		KT_CHILD_CHECK(kipc_unlock(r, LOCK_OFF) == -EPERM);
		KT_CHILD_CHECK(kipc_lock(r, LOCK_OFF, 0) == -EAGAIN);
		kt_signal(h.locked[1]);
		pause();
		_exit(0);
	}
	/* The child checked; now the holder thread ends. */
	kt_await(h.locked[0]);
	kt_signal(h.go[1]);
	pthread_join(t, NULL);
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, 10000 * MS));
	EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	/* The child is still alive, with its copies of the fds. */
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));
	kill(pid, SIGKILL);
	kt_reap(pid);
	close(r);
}

/* Child @i of kill9: 0 took it, 2 took it with EOWNERDEAD, 1 failed. */
static int kill9_sibling(int r, void *p)
{
	int ret = kipc_lock(r, LOCK_OFF, 20000 * MS);

	if (ret == -EOWNERDEAD && kipc_lock_consistent(r, LOCK_OFF))
		return 1;
	if (ret && ret != -EOWNERDEAD)
		return 1;
	(*ctr(p))++;
	if (kipc_unlock(r, LOCK_OFF))
		return 1;
	return ret ? 2 : 0;
}

TEST_F_TIMEOUT(lockt, kill9_child_holder_inherited_handle, 60)
{
	int r, i, st, died = 0, pfd[2], ret;
	pid_t holder, sib[2];
	void *p;

	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, pipe(pfd));
	holder = kt_lock_holder(NULL, r, LOCK_OFF, FOREVER, pfd[1]);
	ASSERT_LE(0, holder);
	kt_await(pfd[0]);
	for (i = 0; i < 2; i++) {
		sib[i] = kt_fork();
		ASSERT_LE(0, sib[i]);
		if (sib[i] == 0)
			_exit(kill9_sibling(r, p));
	}
	{
		struct kt_killer k;

		/* The parent waits too; the killer fires at 3 sleepers. */
		ASSERT_EQ(0, kt_killer_start(&k, r, 3, holder));
		ret = kipc_lock(r, LOCK_OFF, 20000 * MS);
		EXPECT_EQ(0, kt_killer_join(&k));
	}
	if (ret == -EOWNERDEAD) {
		died++;
		EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
	} else {
		EXPECT_EQ(0, ret);
	}
	(*ctr(p))++;
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	kt_reap(holder);
	for (i = 0; i < 2; i++) {
		st = kt_reap(sib[i]);
		EXPECT_NE(1, st);
		died += st == 2;
	}
	EXPECT_EQ(1, died);
	EXPECT_EQ(3, *ctr(p));
	/* And it keeps working. */
	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	close(r);
}

TEST_F_TIMEOUT(lockt, exec_while_holding, 60)
{
	int r, pfd[2];
	pid_t pid;
	void *p;

	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, pipe(pfd));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		KT_CHILD_CHECK(kipc_lock(r, LOCK_OFF, FOREVER) == 0);
		/* The inherited region handle stays open across exec. */
		KT_CHILD_CHECK(fcntl(r, F_SETFD, 0) == 0);
		kt_signal(pfd[1]);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(3);
	}
	kt_await(pfd[0]);
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, 20000 * MS));
	EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	/* The child lives on in the new program. */
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));
	kill(pid, SIGKILL);
	kt_reap(pid);
	close(r);
}

TEST_F_TIMEOUT(lockt, consistent_without_mapping, 60)
{
	int r, pfd[2];
	uint32_t *w;
	pid_t pid;
	void *p;

	r = kipc_region_create(NULL, 4096, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_lock_init(r, LOCK_OFF));
	/* A plain mmap to look: the library knows of no mapping. */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, r, 0);
	ASSERT_NE(MAP_FAILED, p);
	w = (uint32_t *)((char *)p + LOCK_OFF);
	ASSERT_EQ(0, pipe(pfd));
	pid = kt_lock_holder(NULL, r, LOCK_OFF, FOREVER, pfd[1]);
	ASSERT_LE(0, pid);
	kt_await(pfd[0]);
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(r, LOCK_OFF));
	kill(pid, SIGKILL);
	kt_reap(pid);
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, FOREVER));
	EXPECT_NE(0, *w & KIPC_LOCK_OWNER_DIED);
	EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, *w & KIPC_LOCK_OWNER_DIED);
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(-EINVAL, in_thread(r, 2, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, *w);
	munmap(p, 4096);
	close(r);
}

/* A write-only handle: no mapping, every call through the kernel. */
TEST_F_TIMEOUT(lockt, write_only_handle_threads, 300)
{
	unsigned int n = kt_scaled(2000);
	struct shared s1, s2;
	pthread_t t[4];
	int r, wo, i;
	void *p;

	r = new_region(self->name, &p);
	ASSERT_LE(0, r);
	wo = kipc_region_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, wo);
	ASSERT_EQ(0, kipc_lock(wo, LOCK_OFF, 0));
	EXPECT_EQ(-EDEADLK, kipc_lock(wo, LOCK_OFF, 0));
	EXPECT_EQ(-EAGAIN, in_thread(wo, 0, 0));
	EXPECT_EQ(-EPERM, in_thread(wo, 1, 0));
	EXPECT_EQ(0, kipc_unlock(wo, LOCK_OFF));
	/* Two threads on the write-only handle, two on the mapped one. */
	s1 = (struct shared){ .r = wo, .p = p, .rounds = n };
	s2 = (struct shared){ .r = r, .p = p, .rounds = n };
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, increment_thread,
					    i % 2 ? &s1 : &s2));
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, load_word(p, ERR_OFF));
	EXPECT_EQ(4 * n, *ctr(p));
	close(wo);
	close(r);
}

/*
 * The fast path: a thread that has its handle (its first lock made it)
 * locks and unlocks with no ioctl at all (a seccomp filter fails every
 * one), in the main thread and in a second thread.
 */
static void *fast_rounds(void *arg)
{
	struct shared *s = arg;
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		if (kipc_lock(s->r, LOCK_OFF, FOREVER) ||
		    kipc_unlock(s->r, LOCK_OFF))
			return (void *)1;
	}
	/* The filter works: what needs the kernel fails. */
	if (kipc_lock(s->r, LOCK_OFF, 0) ||
	    kipc_lock(s->r, LOCK_OFF, 0) != -ENOSYS ||
	    kipc_unlock(s->r, LOCK_OFF))
		return (void *)2;
	return NULL;
}

static int warmed[2];	/* the second thread has its handle */

static void *warm_then_wait(void *arg)
{
	struct shared *s = arg;
	void *ret;

	/* First lock: makes this thread's handle (an ioctl). */
	if (kipc_lock(s->r, LOCK_OFF, FOREVER) || kipc_unlock(s->r, LOCK_OFF))
		return (void *)3;
	kt_signal(warmed[1]);
	kt_await(s->rounds);	/* the filter is in place */
	ret = fast_rounds(s);
	return ret;
}

TEST_F_TIMEOUT(lockt, fast_path_no_syscall_in_threads, 60)
{
	int r;
	pid_t pid;
	void *p;

	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shared s = { .r = r, .p = p };
		int pfd[2];
		pthread_t t;
		void *tret;

		KT_CHILD_CHECK(pipe(pfd) == 0);
		KT_CHILD_CHECK(pipe(warmed) == 0);
		s.rounds = pfd[0];
		KT_CHILD_CHECK(pthread_create(&t, NULL, warm_then_wait,
					      &s) == 0);
		KT_CHILD_CHECK(kipc_lock(r, LOCK_OFF, FOREVER) == 0);
		KT_CHILD_CHECK(kipc_unlock(r, LOCK_OFF) == 0);
		kt_await(warmed[0]);
		kt_forbid_ioctl();
		/* One thread after the other: contention needs the kernel. */
		KT_CHILD_CHECK(fast_rounds(&s) == NULL);
		kt_signal(pfd[1]);
		pthread_join(t, &tret);
		KT_CHILD_CHECK(tret == NULL);
		_exit(0);
	}
	KT_EXPECT_CHILD(pid, "seccomp filters are not available");
	EXPECT_EQ(0, load_word(p, LOCK_OFF));
	close(r);
}

/* The region's thread handles (fdinfo kipc-thread-handles), or -1. */
static int thread_handles(int r)
{
	char v[32];

	if (kt_fdinfo(r, "kipc-thread-handles", v, sizeof(v)))
		return -1;
	return atoi(v);
}

/* Thread handles are no peers: handle counts and orphaning ignore them. */
TEST_F_TIMEOUT(lockt, thread_handles_are_not_peers, 60)
{
	struct kipc_region_stat st;
	int r, o;
	void *p;

	r = new_region(self->name, &p);
	ASSERT_LE(0, r);
	o = kipc_region_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, o);
	/* Locks through both handles in two threads: four thread handles. */
	ASSERT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	ASSERT_EQ(0, kipc_unlock(r, LOCK_OFF));
	ASSERT_EQ(0, kipc_lock(o, LOCK_OFF, 0));
	ASSERT_EQ(0, kipc_unlock(o, LOCK_OFF));
	ASSERT_EQ(0, kipc_region_stat(r, &st));
	EXPECT_EQ(2, st.handles);
	/* One thread handle: both fds of the region share it. */
	EXPECT_EQ(kipc_lock_token(r), kipc_lock_token(o));
	EXPECT_EQ(1, thread_handles(r));
	/* A second thread's handle: gone with the thread, lock and all. */
	EXPECT_EQ(0, in_thread(r, 0, 0));
	EXPECT_EQ(1, thread_handles(r));
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(o, LOCK_OFF, 0));
	EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(o, LOCK_OFF));
	/* That thread ended: its handle is gone. */
	EXPECT_EQ(1, thread_handles(r));
	/* The peer goes: the region is orphaned despite the thread's handles. */
	ASSERT_EQ(0, close(o));
	ASSERT_EQ(0, kipc_region_stat(r, &st));
	EXPECT_EQ(1, st.handles);
	EXPECT_EQ(-EPIPE, kipc_wait(r, CTR_OFF, 0, FOREVER));
	/* Closing o did not drop the thread handle r shares with it. */
	EXPECT_EQ(1, thread_handles(r));
	EXPECT_EQ(0, kipc_region_unmap(r));
	EXPECT_EQ(1, thread_handles(r));
	close(r);

	/* One fd, mapped: kipc_region_unmap() lets the thread's handle go. */
	r = new_region(NULL, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	ASSERT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(1, thread_handles(r));
	EXPECT_EQ(0, kipc_region_unmap(r));
	EXPECT_EQ(0, thread_handles(r));
	close(r);

	/* Not mapped: kipc_lock_release(); a lock still held dies with it. */
	r = kipc_region_create(NULL, 4096, 0, 0600);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_lock_init(r, LOCK_OFF));
	ASSERT_EQ(0, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(1, thread_handles(r));
	EXPECT_EQ(0, kipc_lock_release(r));
	EXPECT_EQ(0, thread_handles(r));
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, 0));
	EXPECT_EQ(1, thread_handles(r));
	EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_lock_release(r));
	EXPECT_EQ(-EBADF, kipc_lock_release(-1));
	close(r);
}

/* A process in another PID namespace shares the lock. */
TEST_F_TIMEOUT(lockt, other_pid_namespace, 300)
{
	unsigned int n = kt_scaled(3000);
	int r, st, pfd[2];
	char c = 0;
	pid_t pid;
	void *p;

	r = new_region(self->name, &p);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, pipe(pfd));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t inner;

		if (unshare(CLONE_NEWPID)) {
			KT_CHILD_CHECK(write(pfd[1], "S", 1) == 1);
			_exit(KT_SKIP_STATUS);
		}
		inner = fork();
		if (inner == 0) {
			size_t size;
			void *q;
			int o;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			KT_CHILD_CHECK(getpid() == 1);
			o = kipc_region_open(self->name, KIPC_RDWR);
			KT_CHILD_CHECK(o >= 0);
			KT_CHILD_CHECK(kipc_region_map(o, &q, &size) == 0);
			KT_CHILD_CHECK(increment(o, q, n) == 0);
			KT_CHILD_CHECK(kipc_lock(o, LOCK_OFF, FOREVER) == 0);
			kt_signal(pfd[1]);
			pause();
			_exit(0);
		}
		_exit(kt_reap(inner));
	}
	increment(r, p, n);
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	if (c == 'S') {
		kt_reap(pid);
		KT_SKIP(return, "no PID namespaces (unshare: not permitted)");
	}
	/* Held by pid 1 of the other namespace, which is killed. */
	EXPECT_EQ(-EAGAIN, kipc_lock(r, LOCK_OFF, 0));
	kill(pid, SIGKILL);
	st = kt_reap(pid);
	(void)st;
	EXPECT_EQ(-EOWNERDEAD, kipc_lock(r, LOCK_OFF, 20000 * MS));
	EXPECT_EQ(0, kipc_lock_consistent(r, LOCK_OFF));
	EXPECT_EQ(0, kipc_unlock(r, LOCK_OFF));
	EXPECT_EQ(0, load_word(p, ERR_OFF));
	EXPECT_EQ(2 * n, *ctr(p));
	close(r);
}

TEST_HARNESS_MAIN
