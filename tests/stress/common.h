/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the kipc load, fault and fuzz programs (tests/kipc_stress_test,
 * tests/kipc_faults_test, tests/kipc_fuzz_test, tests/kipc_trinity_test):
 * a seeded random number generator, size knobs read from the command line
 * or the environment, and the glue to the kselftest harness, which runs
 * every test in a child of its own with a time limit, so that a hang is
 * reported as a failure and the other tests still run.
 *
 * Knobs: every program takes --NAME=VALUE for its knobs and falls back to
 * the environment variable KIPC_<PROG>_<NAME> (upper case), which is how
 * `make stress`, `make faults` and `make fuzz` pass the full sizes into
 * the VM (kernel command line words NAME=VALUE reach /init's environment).
 * The defaults are the reduced sizes `make check` runs; the debug
 * kernel's make check run sets KIPC_TEST_SCALE (as for kt_scaled()), which
 * divides a knob's default by up to its maxdiv, unless it was given.
 */
#ifndef KIPC_STRESS_COMMON_H
#define KIPC_STRESS_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <kipc.h>
#include "../kipc_test.h"

#define KS_DEV		"/dev/kipc"
#define KS_LIVE		"/sys/module/kipc/parameters/live_objects"
#define KS_MS		1000000LL

/* --- random numbers -------------------------------------------------- */

/* splitmix64: tiny, fast, and good enough to drive tests reproducibly. */
struct ks_rng {
	uint64_t s;
};

static inline uint64_t ks_next(struct ks_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void ks_seed(struct ks_rng *r, uint64_t seed, uint64_t stream)
{
	r->s = seed ^ (stream * 0xd1b54a32d192ed03ULL);
	ks_next(r);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t ks_below(struct ks_rng *r, uint64_t n)
{
	return ks_next(r) % n;
}

/* Uniform in [lo, hi]. */
static inline uint64_t ks_range(struct ks_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + ks_below(r, hi - lo + 1);
}

/* 1 with probability 1/n. */
static inline int ks_one_in(struct ks_rng *r, uint64_t n)
{
	return ks_below(r, n) == 0;
}

/* A 64-bit mix of a few values: payload patterns and checksums. */
static inline uint64_t ks_mix(uint64_t a, uint64_t b)
{
	uint64_t z = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);

	z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
	return z ^ (z >> 29);
}

/* --- time ------------------------------------------------------------ */

static inline int64_t ks_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void ks_sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* --- knobs ----------------------------------------------------------- */

struct ks_knob {
	const char *name;	/* "messages": --messages=N, KIPC_<P>_MESSAGES */
	uint64_t *val;
	const char *help;
	unsigned int maxdiv;	/* the default is divided by KIPC_TEST_SCALE,
				 * but by no more than this (0: not scaled) */
};

static const char *ks_prog = "kipc";	/* "STRESS", "FAULTS", "FUZZ" */

/* Parse "123", "0x1f", "10k", "2M". */
static inline int ks_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v *= 1000; end++; break;
	case 'm': case 'M': v *= 1000000; end++; break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/*
 * Fill the knobs from the environment, then from argv (--name=value or
 * --name value).  Exits with status 2 on a bad argument.
 */
static inline void ks_knobs(struct ks_knob *k, int argc, char **argv)
{
	char env[96];
	const char *v;
	int i, j, n;

	v = getenv("KIPC_TEST_SCALE");
	n = v ? atoi(v) : 1;
	for (i = 0; k[i].name; i++)
		if (k[i].maxdiv && n > 1)
			*k[i].val /= n < (int)k[i].maxdiv ? n : (int)k[i].maxdiv;
	for (i = 0; k[i].name; i++) {
		n = snprintf(env, sizeof(env), "KIPC_%s_%s", ks_prog, k[i].name);
		for (j = 0; j < n; j++)
			if (env[j] >= 'a' && env[j] <= 'z')
				env[j] -= 'a' - 'A';
		v = getenv(env);
		if (v && ks_parse_u64(v, k[i].val)) {
			fprintf(stderr, "bad %s=%s\n", env, v);
			exit(2);
		}
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t len;

		if (strncmp(a, "--", 2))
			goto usage;
		a += 2;
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		for (j = 0; k[j].name; j++)
			if (strlen(k[j].name) == len && !strncmp(k[j].name, a, len))
				break;
		if (!k[j].name)
			goto usage;
		v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!v || ks_parse_u64(v, k[j].val))
			goto usage;
	}
	return;
usage:
	fprintf(stderr, "usage: %s [--knob=N]...\n", argv[0]);
	for (i = 0; k[i].name; i++)
		fprintf(stderr, "  --%-12s %s (now %" PRIu64 ")\n", k[i].name,
			k[i].help, *k[i].val);
	exit(2);
}

/* --- reporting ------------------------------------------------------- */

/* A diagnostic line, TAP-style, flushed at once (children _exit). */
static inline void ks_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
}

/* A failed check in a case: report it and end the case's process. */
#define KS_CHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		ks_log("%s:%d: %s: " fmt, __FILE__, __LINE__, #cond,	\
		       ##__VA_ARGS__);					\
		_exit(1);						\
	}								\
} while (0)

/* An expected -errno (or value): report both by name on failure. */
#define KS_EXPECT(want, got) do {					\
	long __w = (long)(want), __g = (long)(got);			\
	if (__w != __g) {						\
		ks_log("%s:%d: expected %ld (%s), got %ld (%s): %s",	\
		       __FILE__, __LINE__, __w,				\
		       __w < 0 ? strerror((int)-__w) : "",		\
		       __g, __g < 0 ? strerror((int)-__g) : "", #got);	\
		_exit(1);						\
	}								\
} while (0)

/* --- processes ------------------------------------------------------- */

/* fork(2) whose child dies with the parent. */
static inline pid_t ks_fork(void)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(95);
	}
	return pid;
}

/* Reap @pid: its exit status, 128 + signal, or -1. */
static inline int ks_reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/*
 * Reap @pid within @ms milliseconds: its status as ks_reap(), or -2 when
 * it is still running then (it is left running).
 */
static inline int ks_reap_within(pid_t pid, long ms)
{
	int64_t end = ks_now_ns() + ms * KS_MS;
	int st;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFSIGNALED(st) ? 128 + WTERMSIG(st) :
						 WEXITSTATUS(st);
		if (r < 0 && errno != EINTR)
			return -1;
		if (ks_now_ns() > end)
			return -2;
		ks_sleep_us(1000);
	}
}

/* Shared anonymous memory, zeroed, visible to forked children. */
static inline void *ks_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* --- kipc ------------------------------------------------------------ */

/* The module's live_objects parameter, or -errno. */
static inline long ks_live_objects(void)
{
	char buf[32];
	ssize_t n;
	int fd = open(KS_LIVE, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Wait up to @ms for live_objects to come down to @want (handles are
 * released when the last process holding them has been reaped, but a
 * mapping's file may be put a little later).  Returns the last value.
 */
static inline long ks_live_settle(long want, long ms)
{
	int64_t end = ks_now_ns() + ms * KS_MS;
	long v;

	for (;;) {
		v = ks_live_objects();
		if (v <= want || ks_now_ns() > end)
			return v;
		ks_sleep_us(2000);
	}
}

/*
 * Wait until live_objects has not changed for 5.5 s (at most 20 s): the
 * module's reaper frees, every 5 s, the persistent objects of IPC
 * namespaces nobody can enter any more, which the programs run before
 * may have left.  Without this, a test's baseline could go down under it
 * and its "back to the baseline" check fail for objects not its own.
 */
static inline void ks_live_quiesce(void)
{
	int64_t t0 = ks_now_ns(), since = t0;
	long v = ks_live_objects(), w;

	if (v < 0)
		return;
	while (ks_now_ns() - since < 5500 * KS_MS &&
	       ks_now_ns() - t0 < 20000 * KS_MS) {
		ks_sleep_us(250000);
		w = ks_live_objects();
		if (w != v) {
			v = w;
			since = ks_now_ns();
		}
	}
	ks_log("live_objects %ld (steady for %.1f s)", v,
	       (ks_now_ns() - since) / 1e9);
}

/* A name unique to this process and @tag. */
static inline const char *ks_name(char *buf, size_t len, const char *tag,
				  unsigned long n)
{
	snprintf(buf, len, "/ks.%s.%d.%lu", tag, (int)getpid(), n);
	return buf;
}

/* Poll @fn(@arg) every millisecond for up to @ms; 0 once it is true. */
static inline int ks_until(int (*fn)(void *), void *arg, long ms)
{
	int64_t end = ks_now_ns() + ms * KS_MS;

	while (!fn(arg)) {
		if (ks_now_ns() > end)
			return -ETIMEDOUT;
		ks_sleep_us(1000);
	}
	return 0;
}

/* Wait until queue @q reports @s blocked senders and @r receivers. */
static inline int ks_queue_blocked(int q, unsigned int s, unsigned int r,
				   long ms)
{
	int64_t end = ks_now_ns() + ms * KS_MS;
	struct kipc_queue_stat st;

	for (;;) {
		if (kipc_queue_stat(q, &st) == 0 && st.blocked_senders >= s &&
		    st.blocked_receivers >= r)
			return 0;
		if (ks_now_ns() > end)
			return -ETIMEDOUT;
		ks_sleep_us(500);
	}
}

/* Wait until region @r reports @n tasks asleep in wait or lock. */
static inline int ks_region_waiters(int r, unsigned int n, long ms)
{
	int64_t end = ks_now_ns() + ms * KS_MS;
	struct kipc_region_stat st;

	for (;;) {
		if (kipc_region_stat(r, &st) == 0 && st.waiters >= n)
			return 0;
		if (ks_now_ns() > end)
			return -ETIMEDOUT;
		ks_sleep_us(500);
	}
}

/* Wait until event @e reports @n waiters. */
static inline int ks_event_waiters(int e, unsigned int n, long ms)
{
	int64_t end = ks_now_ns() + ms * KS_MS;
	struct kipc_event_stat st;

	for (;;) {
		if (kipc_event_stat(e, &st) == 0 && st.waiters >= n)
			return 0;
		if (ks_now_ns() > end)
			return -ETIMEDOUT;
		ks_sleep_us(500);
	}
}

/* --- the kselftest harness -------------------------------------------- */

/*
 * Every test of these programs gets the same time limit, from a knob (the
 * harness's per-test default is 30 s, and TEST_F_TIMEOUT takes a constant,
 * but the full-size runs of make stress/faults/fuzz need hours): set it
 * on every registered test before test_harness_run() starts them.  The
 * harness reads t->timeout when it runs the test (alarm(t->timeout)).
 */
static inline void ks_set_timeouts(unsigned int seconds)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout = seconds;
}

/*
 * main() of these programs: knobs from the environment and argv (the
 * 6.1 harness takes no options of its own), @fixup to derive values from
 * them, the time limit, then the harness runs every TEST and TEST_F in a
 * child of its own.
 */
static inline int ks_harness_main(const char *prog, const char *title,
				  struct ks_knob *k, uint64_t *case_timeout,
				  void (*fixup)(void), int argc, char **argv)
{
	int i;

	ks_prog = prog;
	ks_knobs(k, argc, argv);
	if (fixup)
		fixup();
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# %s:", title);
	for (i = 0; k[i].name; i++)
		printf(" %s=%" PRIu64, k[i].name, *k[i].val);
	printf("\n");
	ks_set_timeouts(*case_timeout);
	ks_live_quiesce();
	return test_harness_run(argc, argv);
}

#endif /* KIPC_STRESS_COMMON_H */
