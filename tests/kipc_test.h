/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kipc selftests: raw ioctl access for ABI tests,
 * child synchronisation, and waiting until a peer is blocked in the kernel.
 */
#ifndef KIPC_TEST_H
#define KIPC_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <kipc.h>
#include "kselftest_harness.h"

#define KIPC_DEV	"/dev/kipc"
#define MS		1000000LL	/* nanoseconds in a millisecond */

/* Open a fresh context fd; -errno on failure. */
static inline int kt_ctx(void)
{
	int fd = open(KIPC_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* ioctl(2) returning -errno, for ABI tests that bypass libkipc. */
static inline int kt_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* A unique name per test process, so tests never collide. */
static inline const char *kt_name(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/kt.%s.%d", tag, (int)getpid());
	return buf;
}

/*
 * Wait until the queue reports at least the given numbers of blocked
 * senders and receivers (a peer is asleep in the kernel).  Polls the stat
 * for up to 20 s, which TCG needs; returns 0 or -ETIMEDOUT.
 */
static inline int kt_wait_blocked(int q, unsigned int senders,
				  unsigned int receivers)
{
	struct kipc_queue_stat st;
	int i;

	for (i = 0; i < 20000; i++) {
		if (kipc_queue_stat(q, &st) == 0 &&
		    st.blocked_senders >= senders &&
		    st.blocked_receivers >= receivers)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

/* Reap a child; returns its exit status, or 128 + signal. */
static inline int kt_reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* One-byte pipe signalling between parent and child. */
static inline void kt_signal(int fd)
{
	char c = 'x';

	if (write(fd, &c, 1) != 1)
		_exit(99);
}

static inline void kt_await(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(98);
}

static inline int64_t kt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Queue test helpers (kipc_queue_*_test.c).
 */

/*
 * Skip the test unless /dev/kipc exists.  Use it in FIXTURE_SETUP: the 6.1
 * harness still runs a TEST_F body after a SKIP() in setup, so this leaves
 * the test process with the status the harness itself uses for a skip.
 */
#define KT_SKIP_STATUS	255

#define KT_REQUIRE_KIPC() do {						\
	int __kt_fd = kt_ctx();						\
									\
	if (__kt_fd == -ENOENT)						\
		SKIP(_exit(KT_SKIP_STATUS), KIPC_DEV " is missing");	\
	ASSERT_LE(0, __kt_fd);						\
	close(__kt_fd);							\
} while (0)

/* Create a queue; 0 attributes mean the defaults.  Handle or -errno. */
static inline int kt_queue(const char *name, uint32_t max_msgs,
			   uint32_t max_msg_size, uint64_t max_bytes,
			   uint32_t policy, uint32_t qflags)
{
	struct kipc_queue_attr attr = {
		.max_msgs	= max_msgs,
		.max_msg_size	= max_msg_size,
		.max_bytes	= max_bytes,
		.policy		= policy,
		.flags		= qflags,
	};

	return kipc_queue_create(name, &attr, 0, 0600);
}

/* kipc_queue_stat() into a poisoned struct, so unwritten fields show. */
static inline int kt_stat(int q, struct kipc_queue_stat *st)
{
	memset(st, 0xcc, sizeof(*st));
	return kipc_queue_stat(q, st);
}

/* The counter identity every queue obeys (docs/queues.md, Stat). */
#define KT_EXPECT_BALANCED(st)						\
	EXPECT_EQ((st).sent, (st).received + (st).depth_msgs +		\
		  (st).dropped_new + (st).dropped_oldest + (st).conflated)

/* A payload pattern that depends on @seed and on the byte offset. */
static inline void kt_fill(void *buf, size_t len, uint32_t seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

/* 1 if @buf holds kt_fill(@seed)'s pattern, else 0. */
static inline int kt_check_fill(const void *buf, size_t len, uint32_t seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 131 + i * 7 + (i >> 8)))
			return 0;
	return 1;
}

/*
 * Value of the "@key:" line of /proc/self/fdinfo/@fd, without the
 * leading whitespace and the newline.  0, or -ENOENT if the line is absent.
 */
static inline int kt_fdinfo(int fd, const char *key, char *val, size_t len)
{
	char path[64], line[512];
	size_t klen = strlen(key);
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *v;

		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		v = line + klen + 1;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(val, len, "%s", v);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/*
 * Wait until task @tid of process @pid is asleep (state S in its stat):
 * for a peer that announced it is about to block in poll or epoll_wait,
 * which the queue's blocked counters do not show.  Polls for up to 20 s;
 * 0, -ESRCH if the task is gone, or -ETIMEDOUT.
 */
static inline int kt_wait_sleeping(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
		 (int)tid);
	for (i = 0; i < 20000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -ESRCH;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -ESRCH;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
			return -ESRCH;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

/*
 * Region, lock and ring test helpers (kipc_region/lock/ring_test.c).
 */
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

/* In a forked child: report a failed check on stderr and exit 1. */
#define KT_CHILD_CHECK(cond) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "# child %d: %s:%d: failed: %s\n",	\
			(int)getpid(), __FILE__, __LINE__, #cond);	\
		_exit(1);						\
	}								\
} while (0)

/* fork(2) whose child is killed when the test process dies. */
static inline pid_t kt_fork(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(95);
	}
	return pid;
}

/*
 * Wait until region @r reports at least @n tasks asleep in wait or lock
 * (stat waiters).  Polls for up to 20 s; 0 or -ETIMEDOUT.
 */
static inline int kt_region_waiters(int r, unsigned int n)
{
	struct kipc_region_stat st;
	int i;

	for (i = 0; i < 20000; i++) {
		if (kipc_region_stat(r, &st) == 0 && st.waiters >= n)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

/* Region @r's stat waiters now, or -errno. */
static inline int kt_region_nwaiters(int r)
{
	struct kipc_region_stat st;
	int ret = kipc_region_stat(r, &st);

	return ret < 0 ? ret : (int)st.waiters;
}

/*
 * The lock owner token of handle @r itself (KIPC_IOC_REGION_STAT), or
 * -errno.  libkipc's locks carry the calling thread's token instead:
 * kipc_lock_token().
 */
static inline int64_t kt_region_token(int r)
{
	struct kipc_ioc_region_stat ri;
	int ret;

	memset(&ri, 0, sizeof(ri));
	ri.size = sizeof(ri);
	ret = kt_ioctl(r, KIPC_IOC_REGION_STAT, &ri);
	return ret < 0 ? ret : (int64_t)ri.token;
}

/*
 * A thread that SIGKILLs @pid once region @r has @waiters sleepers: for
 * "the peer dies while I am blocked" tests, whose main thread is the one
 * blocked.  kt_killer_join() returns 0 if it killed, else -errno.
 */
struct kt_killer {
	pthread_t thread;
	int r;
	unsigned int waiters;
	pid_t pid;
	int ret;
};

static inline void *kt_killer_fn(void *arg)
{
	struct kt_killer *k = arg;

	k->ret = kt_region_waiters(k->r, k->waiters);
	if (!k->ret && kill(k->pid, SIGKILL))
		k->ret = -errno;
	return NULL;
}

static inline int kt_killer_start(struct kt_killer *k, int r,
				  unsigned int waiters, pid_t pid)
{
	k->r = r;
	k->waiters = waiters;
	k->pid = pid;
	k->ret = -EINPROGRESS;
	return -pthread_create(&k->thread, NULL, kt_killer_fn, k);
}

static inline int kt_killer_join(struct kt_killer *k)
{
	pthread_join(k->thread, NULL);
	return k->ret;
}

/*
 * Make every later ioctl(2) of this process, in every thread already
 * running too (SECCOMP_FILTER_FLAG_TSYNC), fail with ENOSYS (seccomp),
 * to prove a fast path makes none.  Call it in a forked child; 0, or
 * -errno: -EOPNOTSUPP off x86-64 or without CONFIG_SECCOMP_FILTER (the
 * child should then exit with KT_SKIP_STATUS).
 */
static inline int kt_forbid_ioctl(void)
{
#ifdef __x86_64__
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len	= sizeof(filter) / sizeof(filter[0]),
		.filter	= filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, &prog))	/* !SECCOMP */
		return errno == EINVAL || errno == ENOSYS ? -EOPNOTSUPP :
							    -errno;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

/*
 * Event test helpers (kipc_event_test.c).
 */

/*
 * Wait until the event reports at least @waiters tasks asleep in
 * kipc_event_wait() (a peer is blocked in the kernel).  Polls the stat for
 * up to 20 s, which TCG needs; returns 0 or -ETIMEDOUT.
 */
static inline int kt_event_wait_blocked(int e, unsigned int waiters)
{
	struct kipc_event_stat st;
	int i;

	for (i = 0; i < 20000; i++) {
		if (kipc_event_stat(e, &st) == 0 && st.waiters >= waiters)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

/*
 * kt_scaled() - a heavy test's count, divided by KIPC_TEST_SCALE when set
 * (the debug kernel's run sets it on the kernel command line, which hands
 * it to init's environment: KASAN and lockdep make TCG ~10x slower).
 */
static inline unsigned int kt_scaled(unsigned int n)
{
	const char *env = getenv("KIPC_TEST_SCALE");
	unsigned long div = env ? strtoul(env, NULL, 10) : 1;

	if (div <= 1)
		return n;
	return n / div ? n / div : 1;
}

/*
 * fail-nth (CONFIG_FAULT_INJECTION_DEBUG_FS: the debug kernel).  Writing N
 * to /proc/thread-self/fail-nth makes the calling thread's N-th injection
 * point fail; reading it gives how many are left, 0 once one fired.
 * kt_failnth_open() sets failslab and fail_page_alloc to fail sleeping
 * and order-0 allocations too, without logging a stack for each, and
 * opens the file.  Returns its fd, or -errno with the reason in *@why.
 */
#define KT_FAILNTH	"/proc/thread-self/fail-nth"
#define KT_DEBUGFS	"/sys/kernel/debug"

static inline int kt_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t len = strlen(val);

	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/* The number a sysfs or proc file holds, or -errno. */
static inline long kt_read_long(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[64];
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Objects the module has allocated and not freed (a module parameter). */
static inline long kt_live_objects(void)
{
	return kt_read_long("/sys/module/kipc/parameters/live_objects");
}

static inline int kt_failnth_open(const char **why)
{
	static const char *const knobs[][2] = {
		{ KT_DEBUGFS "/failslab/ignore-gfp-wait", "N" },
		{ KT_DEBUGFS "/failslab/verbose", "0" },
		{ KT_DEBUGFS "/fail_page_alloc/ignore-gfp-wait", "N" },
		{ KT_DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ KT_DEBUGFS "/fail_page_alloc/min-order", "0" },
		{ KT_DEBUGFS "/fail_page_alloc/verbose", "0" },
	};
	unsigned int i;
	int fd;

	if (access(KT_FAILNTH, W_OK)) {
		*why = KT_FAILNTH " is missing: the kernel has no fault "
		       "injection (CONFIG_FAULT_INJECTION_DEBUG_FS)";
		return -ENOENT;
	}
	if (access(KT_DEBUGFS "/failslab", F_OK))
		mount("debugfs", KT_DEBUGFS, "debugfs", 0, NULL);
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		if (kt_write_file(knobs[i][0], knobs[i][1])) {
			*why = "cannot configure failslab and fail_page_alloc "
			       "in " KT_DEBUGFS;
			return -EACCES;
		}
	}
	fd = open(KT_FAILNTH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		*why = "cannot open " KT_FAILNTH;
	return fd < 0 ? -errno : fd;
}

/*
 * Set @fd to a fail-nth fd (kt_failnth_open()), or skip the test when the
 * kernel has no fault injection; the debug kernel's run sets
 * KIPC_FAILNTH_REQUIRED=1, which makes that a failure instead.  Usable in
 * a FIXTURE_SETUP (see KT_SKIP_STATUS) and in a test.
 */
#define KT_REQUIRE_FAILNTH(fd) do {					\
	const char *__kt_why = "";					\
	const char *__kt_req = getenv("KIPC_FAILNTH_REQUIRED");	\
									\
	(fd) = kt_failnth_open(&__kt_why);				\
	if ((fd) < 0) {							\
		if (__kt_req && !strcmp(__kt_req, "1"))			\
			ASSERT_LE(0, (fd))				\
				TH_LOG("KIPC_FAILNTH_REQUIRED=1: %s",	\
				       __kt_why);			\
		SKIP(_exit(KT_SKIP_STATUS), "%s", __kt_why);		\
	}								\
} while (0)

/* Arm fail-nth: the @n-th injection point from now on fails (0 disarms). */
static inline int kt_failnth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/* Disarm; the count that was left: 0 when the armed failure fired. */
static inline long kt_failnth_disarm(int fd)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (kt_failnth_arm(fd, 0) || n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

#endif /* KIPC_TEST_H */
