/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kipc tests' helpers that need the kselftest harness (SKIP, ASSERT_*,
 * TH_LOG, its test list): macros, and the main() of the load, fault and
 * fuzz programs.  Everything else is in libkt (kt.h, kt.c).  A test
 * program includes this file once, in its only source file.
 */
#ifndef KIPC_KT_HARNESS_H
#define KIPC_KT_HARNESS_H

#include <sys/epoll.h>

#include "kt.h"
#include "kselftest_harness.h"

/*
 * The one skip convention of the suite and its runner (tests/vm/lib.sh):
 * a test skips only when what it needs is missing from the kernel or the
 * machine it runs on (a config option, a namespace, root, a second CPU,
 * a program), never for an error of kipc's, which is a failure; and it
 * always says why.  KT_SKIP() is the harness's SKIP() with a reason that
 * must be a string literal, and it will not hide a failure: the 6.1
 * harness reports a test that calls SKIP() as skipped even when an
 * EXPECT failed before it, so KT_SKIP() ends such a test as failed.
 * The runner counts a skip apart from passes and failures, and counts as
 * failed a skip without a reason (the harness's "unknown", when a test
 * process exits with the skip status without SKIP()), a binary that
 * exits with KSFT_SKIP without a "1..0 # SKIP reason" plan, and XFAIL.
 */
#define KT_SKIP(statement, fmt, ...) do {				\
	if (!_metadata->passed) {					\
		TH_LOG("failed before it skips (" fmt ")", ##__VA_ARGS__); \
		_exit(1);						\
	}								\
	SKIP(statement, "" fmt, ##__VA_ARGS__);				\
} while (0)

/*
 * Skip the test unless /dev/kipc exists.  Use it in FIXTURE_SETUP: the 6.1
 * harness still runs a TEST_F body after a SKIP() in setup, so this leaves
 * the test process with the status the harness itself uses for a skip.
 */
#define KT_REQUIRE_KIPC() do {						\
	int __kt_fd = kt_ctx();						\
									\
	if (__kt_fd == -ENOENT)						\
		KT_SKIP(_exit(KT_SKIP_STATUS), KIPC_DEV " is missing");	\
	ASSERT_LE(0, __kt_fd);						\
	close(__kt_fd);							\
} while (0)

/*
 * Reap child @pid, which must exit 0, or KT_SKIP_STATUS when the kernel
 * lacks what it needs: then the test skips, with @why as the reason.
 * KT_EXPECT_CHILD() goes on after a failure, KT_ASSERT_CHILD() does not.
 */
#define __KT_REAP_CHILD(pid, why, check) do {				\
	int __kt_st = kt_reap(pid);					\
									\
	if (__kt_st == KT_SKIP_STATUS)					\
		KT_SKIP(return, why);					\
	check(0, __kt_st);						\
} while (0)
#define KT_EXPECT_CHILD(pid, why)	__KT_REAP_CHILD(pid, why, EXPECT_EQ)
#define KT_ASSERT_CHILD(pid, why)	__KT_REAP_CHILD(pid, why, ASSERT_EQ)

/*
 * @fd's events now, by poll(2) (for KT_POLL_ALL) and by epoll_wait(2) on
 * @ep (kt_epoll_for(@fd, KT_POLL_ALL)), must both be @want; the epoll
 * event must name @fd.
 */
static inline void kt_expect_events(struct __test_metadata *_metadata,
				    int fd, int ep, int want, int line)
{
	struct epoll_event ev;
	int n, got;

	got = kt_poll_events(fd, KT_POLL_ALL);
	ASSERT_LE(0, got) TH_LOG("line %d: poll: %s", line, strerror(errno));
	EXPECT_EQ(want, got)
		TH_LOG("line %d: poll revents %#x, expected %#x", line, got,
		       want);
	memset(&ev, 0xcc, sizeof(ev));
	n = epoll_wait(ep, &ev, 1, 0);
	ASSERT_LE(0, n);
	EXPECT_EQ(want, n ? (int)ev.events : 0)
		TH_LOG("line %d: epoll events %#x, expected %#x", line,
		       n ? ev.events : 0, want);
	if (n)
		EXPECT_EQ(fd, ev.data.fd);
}

#define KT_EXPECT_EVENTS(fd, ep, want) \
	kt_expect_events(_metadata, fd, ep, want, __LINE__)

/* The counter identity every queue obeys (docs/queues.md, Stat). */
#define KT_EXPECT_BALANCED(st)						\
	EXPECT_EQ((st).sent, (st).received + (st).depth_msgs +		\
		  (st).dropped_new + (st).dropped_oldest + (st).conflated)

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
		KT_SKIP(_exit(KT_SKIP_STATUS), "%s", __kt_why);		\
	}								\
} while (0)

/*
 * main() of the load, fault and fuzz programs: the knobs (kt_knobs(); the
 * 6.1 harness takes no options of its own), @fixup to derive values from
 * them, a diagnostic line with every knob, live_objects left to settle
 * (kt_live_quiesce()), then the harness runs every TEST and TEST_F in a
 * child of its own with the time limit *@case_timeout.  It is set on
 * every registered test here because the harness's per-test default is
 * 30 s and TEST_F_TIMEOUT takes a constant, while the full-size runs of
 * make stress/faults/fuzz need hours; the harness reads t->timeout when
 * it runs the test.  It stays in this header: the harness's test list
 * and test_harness_run() are static to the program's source file.
 */
static inline int kt_harness_main(const char *prog, const char *title,
				  struct kt_knob *k, uint64_t *case_timeout,
				  void (*fixup)(void), int argc, char **argv)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	int i;

	kt_knobs(prog, k, argc, argv);
	if (fixup)
		fixup();
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# %s:", title);
	for (i = 0; k[i].name; i++)
		printf(" %s=%" PRIu64, k[i].name, *k[i].val);
	printf("\n");
	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout = *case_timeout;
	kt_live_quiesce();
	return test_harness_run(argc, argv);
}

#endif /* KIPC_KT_HARNESS_H */
