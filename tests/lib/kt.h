/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libkt: the helpers every kipc test program shares, compiled once
 * (tests/lib/kt.c into tests/lib/libkt.a, which every test links).
 * Nothing here needs the kselftest harness; what does (SKIP, ASSERT_*,
 * TH_LOG, the test list) is in kt_harness.h, which includes this file.
 *
 * - processes: kt_fork(), kt_reap(), kt_reap_within(), kt_signal() and
 *   kt_await() (one-byte pipe handshakes), kt_shared() memory, and
 *   KT_CHILD_CHECK()/KT_CHILD_EXPECT() for checks in a forked child;
 * - clocks: kt_now_ns(), kt_sleep_us(), kt_until();
 * - names: kt_name(), kt_name_n();
 * - scaling: kt_scale() (KIPC_TEST_SCALE), kt_scaled(), the knobs of the
 *   load, fault and fuzz programs (struct kt_knob, kt_knobs());
 * - poll: kt_poll_events(), kt_epoll_for();
 * - kipc: raw ioctls, queue/region/event waits, live_objects, fail-nth,
 *   the seccomp filter that forbids ioctl, a killer thread, a SIGUSR1
 *   handler that reports on a pipe, a child that holds a lock;
 * - a seeded random number generator (struct kt_rng).
 */
#ifndef KIPC_KT_H
#define KIPC_KT_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <kipc.h>

#define KIPC_DEV	"/dev/kipc"
#define MS		1000000LL	/* nanoseconds in a millisecond */
#define KT_WAIT_MS	20000		/* the waits below give up after 20 s,
					 * which TCG needs */

/*
 * The exit status the 6.1 harness itself uses for a skip: a FIXTURE_SETUP
 * or a child that must skip ends its process with it.
 */
#define KT_SKIP_STATUS	255

/* --- processes ------------------------------------------------------- */

/* fork(2), stdio flushed first, whose child is killed when we die. */
pid_t kt_fork(void);
/* Reap @pid: its exit status, 128 + signal, or -1. */
int kt_reap(pid_t pid);
/* kt_reap() within @ms milliseconds, or -2 (the child is left running). */
int kt_reap_within(pid_t pid, long ms);
/* One-byte pipe signalling between parent and child (_exit on error). */
void kt_signal(int fd);
void kt_await(int fd);
/* Shared anonymous memory, zeroed, visible to forked children; or NULL. */
void *kt_shared(size_t len);

/* A TAP diagnostic line ("# ..."), flushed at once (children _exit). */
void kt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a failed check of a child (or a case's process), then _exit(1). */
void kt_child_fail(const char *file, int line, const char *cond,
		   const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/*
 * In a forked child: on a failed check, report it (with an optional
 * printf-style message: KT_CHILD_CHECK(n > 0, "n %d", n)) and exit 1.
 * (The " " keeps the format non-empty when there is no message; a
 * message a caller passes kt_child_fail() itself starts with a space.)
 */
#define KT_CHILD_CHECK(cond, ...) do {					\
	if (!(cond))							\
		kt_child_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__); \
} while (0)

/* An expected value or -errno: report both, by name too, then exit 1. */
#define KT_CHILD_EXPECT(want, got) do {					\
	long __w = (long)(want), __g = (long)(got);			\
									\
	if (__w != __g)							\
		kt_child_fail(__FILE__, __LINE__, #got,			\
			      " expected %ld (%s), got %ld (%s)", __w,	\
			      __w < 0 ? strerror((int)-__w) : "", __g,	\
			      __g < 0 ? strerror((int)-__g) : "");	\
} while (0)

/* --- clocks ---------------------------------------------------------- */

int64_t kt_now_ns(void);
/* Sleep @us microseconds, resumed across signals. */
void kt_sleep_us(long us);
/* Poll @fn(@arg) every millisecond for up to @ms: 0 once true, or -ETIMEDOUT. */
int kt_until(int (*fn)(void *), void *arg, long ms);

/* --- names ----------------------------------------------------------- */

/* "/kt.@tag.<pid>": a name unique to this test process. */
const char *kt_name(char *buf, size_t len, const char *tag);
/* "/kt.@tag.<pid>.@n": the @n-th of a process's names. */
const char *kt_name_n(char *buf, size_t len, const char *tag,
		      unsigned long n);

/* --- scaling and knobs ------------------------------------------------ */

/*
 * KIPC_TEST_SCALE, at least 1: the debug kernel's run sets it on the
 * kernel command line (which hands it to init's environment), since
 * KASAN and lockdep make TCG ~10x slower.
 */
unsigned int kt_scale(void);
/* A heavy test's count @n divided by kt_scale(), at least 1. */
unsigned int kt_scaled(unsigned int n);

/*
 * The load, fault and fuzz programs' knobs: --NAME=VALUE on the command
 * line, else KIPC_<PROG>_<NAME> (upper case) in the environment, else the
 * default, divided by kt_scale() but by no more than @maxdiv.
 */
struct kt_knob {
	const char *name;	/* "messages": --messages=N, KIPC_<P>_MESSAGES */
	uint64_t *val;
	const char *help;
	unsigned int maxdiv;	/* 0: not scaled */
};

/* Parse "123", "0x1f", "10k", "2M"; 0 or -1. */
int kt_parse_u64(const char *s, uint64_t *out);
/* Fill the knobs (@k ends with a NULL name); exit 2 on a bad argument. */
void kt_knobs(const char *prog, struct kt_knob *k, int argc, char **argv);

/* --- files ----------------------------------------------------------- */

/* Write @val to @path: 0 or -errno (-EIO on a short write). */
int kt_write_file(const char *path, const char *val);
/* The number a sysfs or proc file holds, or -errno. */
long kt_read_long(const char *path);
/*
 * Value of the "@key:" line of /proc/self/fdinfo/@fd, without the
 * leading whitespace and the newline.  0, or -ENOENT if the line is absent.
 */
int kt_fdinfo(int fd, const char *key, char *val, size_t len);

/* --- kipc ------------------------------------------------------------ */

/* Open a fresh context fd; -errno on failure. */
int kt_ctx(void);
/* ioctl(2) returning -errno, for ABI tests that bypass libkipc. */
int kt_ioctl(int fd, unsigned long cmd, void *arg);

/* Create a queue; 0 attributes mean the defaults.  Handle or -errno. */
int kt_queue(const char *name, uint32_t max_msgs, uint32_t max_msg_size,
	     uint64_t max_bytes, uint32_t policy, uint32_t qflags);
/* kipc_queue_stat() into a poisoned struct, so unwritten fields show. */
int kt_stat(int q, struct kipc_queue_stat *st);
/* Receive with timeout 0: 0 if it is the string @want of @type, or -errno. */
int kt_recv_str(int q, uint32_t type, const char *want);

/* Every event a kipc handle's poll can report but the hangups. */
#define KT_POLL_ALL	(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLPRI)

/* @fd's revents for @events, by a poll(2) that does not wait; or -1. */
short kt_poll_events(int fd, short events);
/* An epoll instance watching @fd for @events (data.fd = @fd); or -errno. */
int kt_epoll_for(int fd, uint32_t events);

/* A payload pattern that depends on @seed and on the byte offset. */
void kt_fill(void *buf, size_t len, uint32_t seed);
/* 1 if @buf holds kt_fill(@seed)'s pattern, else 0. */
int kt_check_fill(const void *buf, size_t len, uint32_t seed);

/*
 * Waits for a peer asleep in the kernel, each polling for up to KT_WAIT_MS:
 * 0 or -ETIMEDOUT.  Queue @q: at least @senders and @receivers blocked.
 * Region @r: at least @n tasks in wait or lock.  Event @e: at least @n
 * tasks in kipc_event_wait().  Task @tid of @pid asleep (state S), for a
 * peer blocked in poll or epoll_wait, which no counter shows (-ESRCH when
 * it is gone).
 */
int kt_wait_blocked(int q, unsigned int senders, unsigned int receivers);
int kt_region_waiters(int r, unsigned int n);
int kt_event_wait_blocked(int e, unsigned int n);
int kt_wait_sleeping(pid_t pid, pid_t tid);

/* Region @r's stat waiters now, or -errno. */
int kt_region_nwaiters(int r);
/*
 * The lock owner token of handle @r itself (KIPC_IOC_REGION_STAT), or
 * -errno.  libkipc's locks carry the calling thread's token instead:
 * kipc_lock_token().
 */
int64_t kt_region_token(int r);

/*
 * A child that takes the robust lock at @off, then says so on @ready and
 * sleeps until killed: on region handle @r (inherited), or, when @name is
 * set, on a handle of its own that it opens and maps.  @timeout as for
 * kipc_lock(); a child that fails exits 1.  Its pid, or -1.
 */
pid_t kt_lock_holder(const char *name, int r, uint32_t off, int64_t timeout,
		     int ready);

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

int kt_killer_start(struct kt_killer *k, int r, unsigned int waiters,
		    pid_t pid);
int kt_killer_join(struct kt_killer *k);

/*
 * A SIGUSR1 handler for a child: each signal adds one to kt_usr1_handled
 * and writes one byte to @fd (the parent kt_await()s it), errno kept.
 * With @restart, SA_RESTART.  _exit(96) if it cannot be installed.
 */
extern volatile sig_atomic_t kt_usr1_handled;
void kt_usr1_install(int fd, bool restart);

/*
 * Make every later ioctl(2) of this process, in every thread already
 * running too (SECCOMP_FILTER_FLAG_TSYNC), fail with ENOSYS (seccomp),
 * to prove a fast path makes none.  Call it in a forked child, which it
 * ends with KT_SKIP_STATUS off x86-64 or without CONFIG_SECCOMP_FILTER
 * (the parent: KT_EXPECT_CHILD()), and as failed on any other error.
 */
void kt_forbid_ioctl(void);

/* The module's live_objects parameter (objects not freed), or -errno. */
long kt_live_objects(void);
/*
 * Wait up to @ms for live_objects to come down to @want (handles are
 * released when the last process holding them has been reaped, but a
 * mapping's file may be put a little later).  Returns the last value.
 */
long kt_live_settle(long want, long ms);
/*
 * Wait until live_objects has not changed for 5.5 s (at most 20 s): the
 * module's reaper frees, every 5 s, the persistent objects of IPC
 * namespaces nobody can enter any more, which the programs run before
 * may have left; a baseline taken before that could go down under a test.
 */
void kt_live_quiesce(void);

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

int kt_failnth_open(const char **why);
/* Arm fail-nth: the @n-th injection point from now on fails (0 disarms). */
int kt_failnth_arm(int fd, unsigned int n);
/* Disarm; the count that was left: 0 when the armed failure fired. */
long kt_failnth_disarm(int fd);

/* --- random numbers -------------------------------------------------- */

/* splitmix64: tiny, fast, and good enough to drive tests reproducibly. */
struct kt_rng {
	uint64_t s;
};

uint64_t kt_next(struct kt_rng *r);
void kt_seed(struct kt_rng *r, uint64_t seed, uint64_t stream);
/* Uniform in [0, n); n > 0. */
uint64_t kt_below(struct kt_rng *r, uint64_t n);
/* Uniform in [lo, hi]. */
uint64_t kt_range(struct kt_rng *r, uint64_t lo, uint64_t hi);
/* 1 with probability 1/n. */
int kt_one_in(struct kt_rng *r, uint64_t n);
/* A 64-bit mix of two values: payload patterns and checksums. */
uint64_t kt_mix(uint64_t a, uint64_t b);

#endif /* KIPC_KT_H */
