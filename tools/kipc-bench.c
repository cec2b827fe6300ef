// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench - kipc against pipes, Unix sockets, POSIX mq, SysV msg,
 * futex+shm and eventfd, in one run, on one kernel.
 *
 * Cases (see usage()):
 *   pingpong  request/reply round trips, CLOCK_MONOTONIC per iteration,
 *             p50/p99, after warm-up; the client's voluntary context
 *             switches per round trip show that it really sleeps
 *   stream    one producer process streams to the consumer for a fixed
 *             time; msgs/s and bytes/s at the consumer
 *   scale     the same with 1, 2 and 4 producers, 64 B
 *   select    selective receive of the one type-2 message behind N
 *             type-1 messages (kipc EQ vs SysV msgrcv(type 2))
 *   self      one send + one receive in one process, no wakeup (kipc
 *             queue vs SysV msgsnd+msgrcv vs POSIX mq), ns per pair
 *   (stream)  also "memcpy": one thread copying the same records into
 *             256 slots and out again, the ring's floor
 *   death     kill -9 of a queue owner with 10,000 messages queued and
 *             64 receivers blocked; time until the last one has -EPIPE
 *   lock      uncontended kipc_lock() + kipc_unlock() in a mapped region
 *             (the userspace fast path), ns per pair
 *
 * Every sender writes each payload it sends once, from a template, as an
 * application builds its message: a copy mechanism into its send buffer
 * (then the kernel copies it), a zero-copy one straight into the ring or
 * the shared slot.  Receivers read the 8-byte stamp only, where the
 * payload landed.  So a copy mechanism is charged its copies and a
 * zero-copy one is not charged a copy the other does not make.
 *
 * Output: progress on stderr; results on stdout as CSV rows prefixed with
 * "@@CSV," (tests/vm/run-bench.sh collects them from the VM's console):
 *   cpus,case,mech,size,param,metric,value
 *
 * Absolute numbers under QEMU/TCG mean little: compare mechanisms within
 * one run (scripts/bench-report.sh computes the ratios).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "kipc-bench.h"

#define KB_MAX_PROD	4

static int kb_cpus;
static int kb_pin = 1;

/*
 * Pinning, stated once: the measuring process runs on CPU 0 and peer
 * process i (a ping-pong server, a streaming producer) on CPU 1 + i
 * modulo the others; with one CPU everything shares CPU 0.  The cases
 * after the rounds (owner death, lock, lease), whose many threads and
 * workers must spread, run unpinned (peer -2).  -U leaves placement to
 * the scheduler throughout.
 */
static void kb_pin_to(int peer)
{
	cpu_set_t set;
	int cpu = 0;

	if (!kb_pin)
		return;
	CPU_ZERO(&set);
	if (peer == -2) {
		for (cpu = 0; cpu < kb_cpus && cpu < CPU_SETSIZE; cpu++)
			CPU_SET(cpu, &set);
	} else {
		if (peer >= 0 && kb_cpus > 1)
			cpu = 1 + peer % (kb_cpus - 1);
		CPU_SET(cpu, &set);
	}
	if (sched_setaffinity(0, sizeof(set), &set))
		kb_note("sched_setaffinity(peer %d): %s", peer, strerror(errno));
}
static double kb_pp_budget = 0.6;	/* s of measured round trips per case */
static double kb_stream_dur = 0.6;	/* s of streaming per case */
static unsigned int kb_pp_min = 150, kb_pp_max = 20000, kb_warmup = 20;
static const char *kb_only_mechs;	/* comma list, NULL = all */
static const char *kb_only_cases;
static size_t kb_sizes[8] = { 64, 4096, 65536, 1048576 };
static unsigned int kb_nsizes = 4;
static unsigned int kb_death_reps = 5;
static unsigned int kb_lock_pairs = 2000000;
static double kb_select_budget = 0.2;	/* s per depth and round */

/*
 * kipc_wake()/kipc_wait() calls of this process and its children, also
 * those libkipc's rings make: the Makefile links with
 * --wrap=kipc_wake,--wrap=kipc_wait.  Shared, so producers count too.
 */
struct kb_counters {
	uint64_t wake;
	uint64_t wait;
};
static struct kb_counters *kb_ctr;

int __real_kipc_wake(int r, size_t off, unsigned int count);
int __real_kipc_wait(int r, size_t off, uint32_t expected,
		     int64_t timeout_ns);
int __wrap_kipc_wake(int r, size_t off, unsigned int count);
int __wrap_kipc_wait(int r, size_t off, uint32_t expected,
		     int64_t timeout_ns);

int __wrap_kipc_wake(int r, size_t off, unsigned int count)
{
	if (kb_ctr)
		__atomic_add_fetch(&kb_ctr->wake, 1, __ATOMIC_RELAXED);
	return __real_kipc_wake(r, off, count);
}

int __wrap_kipc_wait(int r, size_t off, uint32_t expected, int64_t timeout_ns)
{
	if (kb_ctr)
		__atomic_add_fetch(&kb_ctr->wait, 1, __ATOMIC_RELAXED);
	return __real_kipc_wait(r, off, expected, timeout_ns);
}

static void kb_counters_reset(void)
{
	__atomic_store_n(&kb_ctr->wake, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&kb_ctr->wait, 0, __ATOMIC_RELAXED);
}

/* --- helpers ----------------------------------------------------------- */

uint64_t kb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void kb_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "kipc-bench[%d]: error: ", (int)getpid());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void kb_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kipc-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void kb_csv_print(const char *bcase, const char *mech, size_t size,
			 const char *param, const char *metric, double value)
{
	printf("@@CSV,%d,%s,%s,%zu,%s,%s,%.6g\n", kb_cpus, bcase, mech, size,
	       param ? param : "", metric, value);
	fflush(stdout);
}

/*
 * Rounds.  The host is shared and its load changes from second to second,
 * so ping-pong, streaming, scaling, self and select run in rounds, every
 * mechanism once per round; a row is the median over the rounds, and the
 * main metrics also get their _min and _max and each round's value
 * (_r0, _r1, ...), from which the report takes every ratio per round.
 */
#define KB_ROUNDS_MAX	9

struct kb_row {
	char bcase[16], mech[16], param[16], metric[32];
	size_t size;
	double v[KB_ROUNDS_MAX];
	unsigned int n;
};

static struct kb_row *kb_rows;
static unsigned int kb_nrows, kb_cap_rows, kb_rounds = 5;
static int kb_collecting;

void kb_csv(const char *bcase, const char *mech, size_t size,
	    const char *param, const char *metric, double value)
{
	struct kb_row *row;
	unsigned int i;

	if (!kb_collecting) {
		kb_csv_print(bcase, mech, size, param, metric, value);
		return;
	}
	param = param ? param : "";
	for (i = 0; i < kb_nrows; i++) {
		row = &kb_rows[i];
		if (row->size == size && !strcmp(row->bcase, bcase) &&
		    !strcmp(row->mech, mech) && !strcmp(row->param, param) &&
		    !strcmp(row->metric, metric))
			goto add;
	}
	if (kb_nrows == kb_cap_rows) {
		kb_cap_rows = kb_cap_rows ? 2 * kb_cap_rows : 256;
		kb_rows = realloc(kb_rows, kb_cap_rows * sizeof(*kb_rows));
		if (!kb_rows)
			kb_die("out of memory");
	}
	row = &kb_rows[kb_nrows++];
	memset(row, 0, sizeof(*row));
	snprintf(row->bcase, sizeof(row->bcase), "%s", bcase);
	snprintf(row->mech, sizeof(row->mech), "%s", mech);
	snprintf(row->param, sizeof(row->param), "%s", param);
	snprintf(row->metric, sizeof(row->metric), "%s", metric);
	row->size = size;
add:
	if (row->n < KB_ROUNDS_MAX)
		row->v[row->n++] = value;
}

/* Print the medians (and spreads) of what the rounds collected. */
static void kb_csv_flush(void)
{
	struct kb_row *row;
	unsigned int i;
	double med;

	for (i = 0; i < kb_nrows; i++) {
		row = &kb_rows[i];
		if (!strcmp(row->metric, "p50_us") ||
		    !strcmp(row->metric, "msgs_per_s") ||
		    !strcmp(row->metric, "bytes_per_s") ||
		    !strcmp(row->metric, "ns_per_op")) {
			char m[48];
			unsigned int k;

			/*
			 * Each round's value, in round order, before the
			 * median sorts them: scripts/bench-report.sh takes
			 * every ratio per round (both mechanisms ran in the
			 * same round, minutes apart at most) and then the
			 * median and the range of those ratios.
			 */
			for (k = 0; k < row->n; k++) {
				snprintf(m, sizeof(m), "%s_r%u", row->metric,
					 k);
				kb_csv_print(row->bcase, row->mech, row->size,
					     row->param, m, row->v[k]);
			}
			med = kb_pct(row->v, row->n, 50);	/* sorts v */
			kb_csv_print(row->bcase, row->mech, row->size,
				     row->param, row->metric, med);
			snprintf(m, sizeof(m), "%s_min", row->metric);
			kb_csv_print(row->bcase, row->mech, row->size,
				     row->param, m, row->v[0]);
			snprintf(m, sizeof(m), "%s_max", row->metric);
			kb_csv_print(row->bcase, row->mech, row->size,
				     row->param, m, row->v[row->n - 1]);
			continue;
		}
		med = kb_pct(row->v, row->n, 50);	/* sorts v */
		kb_csv_print(row->bcase, row->mech, row->size, row->param,
			     row->metric, med);
	}
	kb_nrows = 0;
}

/* Page-aligned, pre-faulted, with a page of headroom before it. */
void *kb_alloc(size_t size)
{
	size_t len = size + 4096;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		kb_die("mmap %zu: %s", len, strerror(errno));
	memset(p, 0x5a, len);
	return p + 4096;
}

void kb_free(void *p, size_t size)
{
	if (p)
		munmap((char *)p - 4096, size + 4096);
}

static int kb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The @pct percentile of @v (sorted in place), nearest rank. */
double kb_pct(double *v, size_t n, double pct)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), kb_cmp_double);
	i = (size_t)(pct / 100.0 * (double)n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

static int kb_listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!list)
		return 1;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

/* Context switches of this process: voluntary, and all. */
struct kb_csw {
	long vol;
	long all;
};

static struct kb_csw kb_csw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (struct kb_csw){ ru.ru_nvcsw, ru.ru_nvcsw + ru.ru_nivcsw };
}

static void kb_size_label(char *buf, size_t n, size_t size)
{
	if (size >= 1048576 && !(size % 1048576))
		snprintf(buf, n, "%zu MiB", size / 1048576);
	else if (size >= 1024 && !(size % 1024))
		snprintf(buf, n, "%zu KiB", size / 1024);
	else
		snprintf(buf, n, "%zu B", size);
}

/* --- channels ----------------------------------------------------------- */

static struct kb_chan *kb_chan_new(const struct kb_mech *m, size_t size,
				   unsigned int depth, int dirs)
{
	struct kb_chan *c = calloc(1, sizeof(*c));
	unsigned int i;

	if (!c)
		kb_die("out of memory");
	c->m = m;
	c->size = size;
	c->depth = depth;
	c->dirs = dirs;
	c->batch = m->batch > 1 ? m->batch : 1;
	if (c->batch > depth)
		c->batch = depth;
	c->fd[0][0] = c->fd[0][1] = c->fd[1][0] = c->fd[1][1] = -1;
	c->id[0] = c->id[1] = -1;
	if (c->batch > 1) {
		c->bstride = (size + 63) & ~(size_t)63;
		c->bbuf = kb_alloc(c->batch * c->bstride);
		c->msgs = calloc(c->batch, sizeof(*c->msgs));
		if (!c->msgs)
			kb_die("out of memory");
		for (i = 0; i < c->batch; i++)
			c->msgs[i].data = c->bbuf + i * c->bstride;
	}
	return c;
}

static void kb_chan_free(struct kb_chan *c)
{
	if (c->batch > 1) {
		kb_free(c->bbuf, c->batch * c->bstride);
		free(c->msgs);
	}
	free(c);
}

/* Depth of streaming channels: up to 256 messages, up to 4 MiB, >= 4. */
static unsigned int kb_stream_depth(size_t size)
{
	size_t d = (4u << 20) / size;

	if (d > 256)
		d = 256;
	if (d < 4)
		d = 4;
	return (unsigned int)d;
}

/* A child: release it with kb_go(), it reports readiness on @ready. */
struct kb_sync {
	int ready[2];
	int go[2];
};

static void kb_sync_init(struct kb_sync *s)
{
	if (pipe2(s->ready, O_CLOEXEC) || pipe2(s->go, O_CLOEXEC))
		kb_die("pipe: %s", strerror(errno));
}

static void kb_sync_child(struct kb_sync *s)
{
	char x = 'r';

	close(s->go[1]);
	close(s->ready[0]);
	if (write(s->ready[1], &x, 1) != 1)
		_exit(3);
	/* EOF when the parent closes go[1]: every child starts at once. */
	if (read(s->go[0], &x, 1) < 0)
		_exit(3);
}

static void kb_sync_wait_ready(struct kb_sync *s, unsigned int n)
{
	char x;

	close(s->ready[1]);
	close(s->go[0]);
	while (n--)
		if (read(s->ready[0], &x, 1) != 1)
			kb_die("a child died before it was ready");
	close(s->ready[0]);
}

static void kb_sync_go(struct kb_sync *s)
{
	close(s->go[1]);
}

static int kb_reap(pid_t *pids, unsigned int n)
{
	int st, bad = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			bad++;
	}
	return bad;
}

/* --- ping-pong ------------------------------------------------------------ */

static void kb_pp_server(struct kb_chan *c)
{
	const struct kb_mech *m = c->m;
	unsigned char *buf = kb_alloc(c->size), *out = kb_alloc(c->size);
	const void *q;
	void *p;
	ssize_t n;

	for (;;) {
		if (m->flags & KB_ZC) {
			n = m->peek(c, 0, &q);
			if (n < 0)
				kb_die("%s: server peek: %s", m->name,
				       strerror((int)-n));
			if (kb_stamp_of(q) == KB_END)
				break;
			if (m->reserve(c, 1, (size_t)n, &p) < 0)
				kb_die("%s: server reserve", m->name);
			memcpy(p, q, (size_t)n);
			m->consume(c, 0);
			if (m->commit(c, 1, (size_t)n) < 0)
				kb_die("%s: server commit", m->name);
		} else {
			n = m->recv(c, 0, buf, c->size);
			if (n < 0)
				kb_die("%s: server recv: %s", m->name,
				       strerror((int)-n));
			if (kb_stamp_of(buf) == KB_END)
				break;
			/* The reply is written, as the zero-copy one is. */
			memcpy(out, buf, (size_t)n);
			if (m->send(c, 1, out, (size_t)n) < 0)
				kb_die("%s: server send", m->name);
		}
	}
	kb_free(out, c->size);
	kb_free(buf, c->size);
}

/* One round trip with stamp @i; returns 0 or -errno. */
static int kb_pp_once(struct kb_chan *c, unsigned char *src,
		      unsigned char *dst, uint64_t i)
{
	const struct kb_mech *m = c->m;
	const void *q;
	void *p;
	ssize_t n;
	int ret;

	if (m->flags & KB_ZC) {
		ret = m->reserve(c, 0, c->size, &p);
		if (ret < 0)
			return ret;
		memcpy(p, src, c->size);
		kb_stamp(p, i);
		ret = m->commit(c, 0, c->size);
		if (ret < 0)
			return ret;
		n = m->peek(c, 1, &q);
		if (n < 0)
			return (int)n;
		if (kb_stamp_of(q) != i)
			return -EPROTO;
		return m->consume(c, 1);
	}
	/* dst is the send buffer first, then receives the reply. */
	memcpy(dst, src, c->size);
	kb_stamp(dst, i);
	ret = m->send(c, 0, dst, c->size);
	if (ret < 0)
		return ret;
	n = m->recv(c, 1, dst, c->size);
	if (n < 0)
		return (int)n;
	if ((size_t)n != c->size || kb_stamp_of(dst) != i)
		return -EPROTO;
	return 0;
}

static void kb_pingpong(const struct kb_mech *m, size_t size)
{
	struct kb_chan *c = kb_chan_new(m, size, 4, 2);
	unsigned char *src = kb_alloc(size), *dst = kb_alloc(size);
	uint64_t t0, t1, start, i;
	unsigned int n = 0, cap = kb_pp_max;
	double *lat = calloc(cap, sizeof(*lat)), sum = 0, p50, p99;
	struct kb_csw cs0, cs1;
	struct kb_sync s;
	char lbl[32];
	pid_t pid;
	int ret;

	kb_size_label(lbl, sizeof(lbl), size);
	if (!lat)
		kb_die("out of memory");
	ret = m->create(c);
	if (ret < 0) {
		kb_note("pingpong %s %s: skipped, setup failed: %s", m->name,
			lbl, strerror(-ret));
		kb_csv("pingpong", m->name, size, NULL, "skipped", 1);
		m->destroy(c);
		goto out;
	}
	kb_sync_init(&s);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		kb_die("fork: %s", strerror(errno));
	if (pid == 0) {
		alarm(120);
		kb_pin_to(0);
		if (m->attach(c, KB_CHILD) < 0)
			_exit(2);
		kb_sync_child(&s);
		kb_pp_server(c);
		m->destroy(c);
		_exit(0);
	}
	if (m->attach(c, KB_PARENT) < 0)
		kb_die("%s: attach", m->name);
	kb_sync_wait_ready(&s, 1);
	kb_sync_go(&s);

	for (i = 1; i <= kb_warmup; i++) {
		ret = kb_pp_once(c, src, dst, i);
		if (ret < 0)
			kb_die("pingpong %s %s: %s", m->name, lbl,
			       strerror(-ret));
	}
	kb_counters_reset();
	cs0 = kb_csw();
	start = kb_now_ns();
	for (;;) {
		t0 = kb_now_ns();
		ret = kb_pp_once(c, src, dst, i++);
		t1 = kb_now_ns();
		if (ret < 0)
			kb_die("pingpong %s %s: %s", m->name, lbl,
			       strerror(-ret));
		lat[n++] = (double)(t1 - t0) / 1e3;
		sum += lat[n - 1];
		if (n >= cap)
			break;
		if ((double)(t1 - start) / 1e9 >= kb_pp_budget &&
		    n >= kb_pp_min)
			break;
		/* Very slow cases: at least 30 samples, at most 4 budgets. */
		if ((double)(t1 - start) / 1e9 >= 4 * kb_pp_budget && n >= 30)
			break;
	}
	cs1 = kb_csw();

	/* Tell the server to stop. */
	if (m->flags & KB_ZC) {
		void *p;

		if (m->reserve(c, 0, size, &p) == 0) {
			kb_stamp(p, KB_END);
			m->commit(c, 0, size);
		}
	} else {
		kb_stamp(src, KB_END);
		m->send(c, 0, src, size);
	}
	if (kb_reap(&pid, 1))
		kb_note("pingpong %s: the server failed", m->name);
	m->destroy(c);

	p99 = kb_pct(lat, n, 99);
	p50 = kb_pct(lat, n, 50);
	kb_note("pingpong %-9s %7s  p50 %9.1f us  p99 %9.1f us  (%u, %.2f vcsw %.2f csw /rt)",
		m->name, lbl, p50, p99, n, (double)(cs1.vol - cs0.vol) / n,
		(double)(cs1.all - cs0.all) / n);
	kb_csv("pingpong", m->name, size, NULL, "p50_us", p50);
	kb_csv("pingpong", m->name, size, NULL, "p99_us", p99);
	kb_csv("pingpong", m->name, size, NULL, "mean_us", sum / n);
	kb_csv("pingpong", m->name, size, NULL, "iters", n);
	kb_csv("pingpong", m->name, size, NULL, "vcsw_per_op",
	       (double)(cs1.vol - cs0.vol) / n);
	kb_csv("pingpong", m->name, size, NULL, "csw_per_op",
	       (double)(cs1.all - cs0.all) / n);
out:
	free(lat);
	kb_free(src, size);
	kb_free(dst, size);
	kb_chan_free(c);
}

/* --- streaming ------------------------------------------------------------ */

static volatile sig_atomic_t kb_stop;

static void kb_on_timer(int sig)
{
	(void)sig;
	kb_stop = 1;
}

/*
 * Stop after @dur seconds.  A timer signal, not a clock read per message:
 * under TCG a clock read can cost as much as a fast message.  SA_RESTART
 * restarts the blocking calls it interrupts (the SysV ones return EINTR
 * anyway, and their wrappers retry).
 */
static void kb_stop_after(double dur)
{
	struct sigaction sa = { .sa_handler = kb_on_timer,
				.sa_flags = SA_RESTART };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR1 };
	struct itimerspec its = { 0 };
	timer_t tid;

	kb_stop = 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) ||
	    timer_create(CLOCK_MONOTONIC, &sev, &tid))
		kb_die("timer: %s", strerror(errno));
	its.it_value.tv_sec = (time_t)dur;
	its.it_value.tv_nsec = (long)((dur - (double)(time_t)dur) * 1e9);
	if (timer_settime(tid, 0, &its, NULL))
		kb_die("timer_settime: %s", strerror(errno));
}

static void kb_producer(struct kb_chan *c, double dur)
{
	const struct kb_mech *m = c->m;
	unsigned char *src = kb_alloc(c->size), *buf = kb_alloc(c->size);
	uint64_t seq = 0;
	unsigned int i;
	void *p;
	int ret;

	kb_stop_after(dur);
	while (!kb_stop) {
		if (c->batch > 1) {
			for (i = 0; i < c->batch; i++) {
				memcpy(c->msgs[i].data, src, c->size);
				kb_stamp(c->msgs[i].data, seq++);
				c->msgs[i].type = 1;
				c->msgs[i].prio = 0;
				c->msgs[i].len = c->size;
				c->msgs[i].flags = 0;
			}
			ret = m->sendv(c, 1, c->batch);
		} else if (m->flags & KB_ZC) {
			ret = m->reserve(c, 1, c->size, &p);
			if (ret == 0) {
				memcpy(p, src, c->size);
				kb_stamp(p, seq++);
				ret = m->commit(c, 1, c->size);
			}
		} else {
			memcpy(buf, src, c->size);
			kb_stamp(buf, seq++);
			ret = m->send(c, 1, buf, c->size);
		}
		if (ret < 0)
			kb_die("%s: producer: %s", m->name, strerror(-ret));
	}
	if (m->flags & KB_ZC) {
		if (m->reserve(c, 1, c->size, &p) == 0) {
			kb_stamp(p, KB_END);
			m->commit(c, 1, c->size);
		}
	} else {
		kb_stamp(src, KB_END);
		m->send(c, 1, src, c->size);
	}
	kb_free(buf, c->size);
	kb_free(src, c->size);
}

/* Receive calls of the last kb_consumer() (batched mechanisms). */
static uint64_t kb_recv_calls;

/* Consume until every producer's end mark; returns the messages. */
static uint64_t kb_consumer(struct kb_chan *c, unsigned int nprod)
{
	const struct kb_mech *m = c->m;
	unsigned char *dst = kb_alloc(c->size);
	unsigned int ends = 0, i;
	uint64_t msgs = 0;
	const void *q;
	ssize_t n;
	int k;

	kb_recv_calls = 0;
	while (ends < nprod) {
		kb_recv_calls++;
		if (c->batch > 1) {
			for (i = 0; i < c->batch; i++)
				c->msgs[i].len = c->size;
			k = m->recvv(c, 1, c->batch);
			if (k < 0)
				kb_die("%s: consumer: %s", m->name,
				       strerror(-k));
			for (i = 0; i < (unsigned int)k; i++) {
				if (kb_stamp_of(c->msgs[i].data) == KB_END)
					ends++;
				else
					msgs++;
			}
			continue;
		}
		if (m->flags & KB_ZC) {
			n = m->peek(c, 1, &q);
			if (n < 0)
				kb_die("%s: consumer: %s", m->name,
				       strerror((int)-n));
			if (kb_stamp_of(q) == KB_END)
				ends++;
			else
				msgs++;
			m->consume(c, 1);
			continue;
		}
		n = m->recv(c, 1, dst, c->size);
		if (n < 0)
			kb_die("%s: consumer: %s", m->name, strerror((int)-n));
		if (kb_stamp_of(dst) == KB_END)
			ends++;
		else
			msgs++;
	}
	kb_free(dst, c->size);
	return msgs;
}

static void kb_stream(const char *bcase, const struct kb_mech *m,
		      size_t size, unsigned int nprod)
{
	struct kb_chan *c = kb_chan_new(m, size, kb_stream_depth(size), 1);
	pid_t pids[KB_MAX_PROD];
	uint64_t t0, t1, msgs;
	double secs, mps, bps;
	struct kb_sync s;
	char lbl[32], param[16];
	struct kb_csw cs0, cs1;
	uint64_t wakes, waits;
	unsigned int i;
	int ret;

	kb_size_label(lbl, sizeof(lbl), size);
	snprintf(param, sizeof(param), "%u", nprod);
	ret = m->create(c);
	if (ret < 0) {
		kb_note("%s %s %s: skipped, setup failed: %s", bcase, m->name,
			lbl, strerror(-ret));
		kb_csv(bcase, m->name, size, param, "skipped", 1);
		m->destroy(c);
		kb_chan_free(c);
		return;
	}
	kb_sync_init(&s);
	fflush(NULL);
	for (i = 0; i < nprod; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			kb_die("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			alarm(120);
			kb_pin_to((int)i);
			if (m->attach(c, KB_CHILD) < 0)
				_exit(2);
			kb_sync_child(&s);
			kb_producer(c, kb_stream_dur);
			m->destroy(c);
			_exit(0);
		}
	}
	if (m->attach(c, KB_PARENT) < 0)
		kb_die("%s: attach", m->name);
	kb_sync_wait_ready(&s, nprod);
	kb_counters_reset();
	cs0 = kb_csw();
	t0 = kb_now_ns();
	kb_sync_go(&s);
	msgs = kb_consumer(c, nprod);
	t1 = kb_now_ns();
	cs1 = kb_csw();
	if (kb_reap(pids, nprod))
		kb_note("%s %s: a producer failed", bcase, m->name);
	m->destroy(c);

	wakes = __atomic_load_n(&kb_ctr->wake, __ATOMIC_RELAXED);
	waits = __atomic_load_n(&kb_ctr->wait, __ATOMIC_RELAXED);

	secs = (double)(t1 - t0) / 1e9;
	mps = (double)msgs / secs;
	bps = mps * (double)size;
	if (!msgs)
		msgs = 1;
	kb_note("%-8s %-9s %7s x%u  %12.0f msg/s  %8.1f MiB/s  (%.3f vcsw %.3f csw /msg; kipc_wake %.3f kipc_wait %.3f /msg; %.1f msgs/recv)",
		bcase, m->name, lbl, nprod, mps, bps / 1048576.0,
		(double)(cs1.vol - cs0.vol) / (double)msgs,
		(double)(cs1.all - cs0.all) / (double)msgs,
		(double)wakes / (double)msgs, (double)waits / (double)msgs,
		(double)msgs / (double)(kb_recv_calls ? kb_recv_calls : 1));
	kb_csv(bcase, m->name, size, param, "msgs_per_s", mps);
	kb_csv(bcase, m->name, size, param, "bytes_per_s", bps);
	kb_csv(bcase, m->name, size, param, "msgs", (double)msgs);
	kb_csv(bcase, m->name, size, param, "vcsw_per_msg",
	       (double)(cs1.vol - cs0.vol) / (double)msgs);
	kb_csv(bcase, m->name, size, param, "csw_per_msg",
	       (double)(cs1.all - cs0.all) / (double)msgs);
	if (c->batch > 1)
		kb_csv(bcase, m->name, size, param, "msgs_per_recv",
		       (double)msgs / (double)(kb_recv_calls ? kb_recv_calls : 1));
	if (wakes || waits) {
		kb_csv(bcase, m->name, size, param, "kipc_wake_per_msg",
		       (double)wakes / (double)msgs);
		kb_csv(bcase, m->name, size, param, "kipc_wait_per_msg",
		       (double)waits / (double)msgs);
	}
	kb_chan_free(c);
}

/* --- main ------------------------------------------------------------------ */

static void kb_meta(void)
{
	char cs[64] = "?";
	struct utsname u;
	FILE *f;

	uname(&u);
	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (fscanf(f, "%63s", cs) != 1)
			strcpy(cs, "?");
		fclose(f);
	}
	printf("@@META kernel=%s cpus=%d clocksource=%s kipc=%d.%d pin=%s\n",
	       u.release, kb_cpus, cs, kipc_version_major(),
	       kipc_version_minor(), kb_pin ? "cpu0+peers" : "none");
	printf("@@CSV,cpus,case,mech,size,param,metric,value\n");
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
"usage: kipc-bench [-c CASES] [-m MECHS] [-s SIZES] [-t SECS] [-r N] [-d N] [-q] [-U] [-l]\n"
"  -c CASES  comma list of pingpong,stream,scale,self,select,death,lock,\n"
"            lease (default all)\n"
"  -m MECHS  comma list of mechanisms (default all; -l lists them)\n"
"  -s SIZES  comma list of payload sizes in bytes (default 64,4096,65536,1048576)\n"
"  -t SECS   time per ping-pong and streaming case (default 0.6)\n"
"  -r N      rounds of ping-pong, streaming and scaling (default 5): rows\n"
"            are medians over the rounds, with _min/_max of the main ones\n"
"  -d N      owner-death runs (default 5)\n"
"  -q        quick: short cases, for a smoke test\n"
"  -U        do not pin (default: this process on CPU 0, peer i on\n"
"            CPU 1 + i mod (CPUs - 1))\n"
"Rows go to stdout as '@@CSV,cpus,case,mech,size,param,metric,value'.\n");
	exit(2);
}

static void kb_parse_sizes(const char *arg)
{
	char *dup = strdup(arg), *tok, *save = NULL;

	kb_nsizes = 0;
	for (tok = strtok_r(dup, ",", &save); tok && kb_nsizes < 8;
	     tok = strtok_r(NULL, ",", &save)) {
		kb_sizes[kb_nsizes] = strtoull(tok, NULL, 0);
		if (kb_sizes[kb_nsizes] < KB_MIN_SIZE ||
		    kb_sizes[kb_nsizes] > KIPC_MSG_SIZE_MAX)
			kb_die("size %s: must be %d..%u", tok, KB_MIN_SIZE,
			       KIPC_MSG_SIZE_MAX);
		kb_nsizes++;
	}
	free(dup);
}

/* One round: every ping-pong, streaming and scaling case once. */
static void kb_round(void)
{
	static const unsigned int nprods[] = { 1, 2, 4 };
	const struct kb_mech *m;
	unsigned int i, j;

	for (i = 0; kb_mechs[i] && kb_listed(kb_only_cases, "pingpong"); i++) {
		m = kb_mechs[i];
		if (!(m->flags & KB_PINGPONG) ||
		    !kb_listed(kb_only_mechs, m->name))
			continue;
		for (j = 0; j < kb_nsizes; j++)
			kb_pingpong(m, kb_sizes[j]);
	}
	for (i = 0; kb_mechs[i] && kb_listed(kb_only_cases, "stream"); i++) {
		m = kb_mechs[i];
		if (!(m->flags & KB_STREAM) ||
		    !kb_listed(kb_only_mechs, m->name))
			continue;
		for (j = 0; j < kb_nsizes; j++)
			kb_stream("stream", m, kb_sizes[j], 1);
	}
	for (i = 0; kb_mechs[i] && kb_listed(kb_only_cases, "scale"); i++) {
		m = kb_mechs[i];
		if (!(m->flags & KB_MPSC) ||
		    !kb_listed(kb_only_mechs, m->name))
			continue;
		for (j = 0; j < sizeof(nprods) / sizeof(nprods[0]); j++)
			kb_stream("scale", m, 64, nprods[j]);
	}
	/* The peers without a second process, once per round as well. */
	if (kb_listed(kb_only_cases, "stream") &&
	    kb_listed(kb_only_mechs, "memcpy"))
		for (j = 0; j < kb_nsizes; j++)
			kb_case_memcpy(kb_sizes[j], kb_stream_dur);
	if (kb_listed(kb_only_cases, "self"))
		kb_case_self(kb_only_mechs, kb_stream_dur);
	if (kb_listed(kb_only_cases, "select"))
		kb_case_select(kb_select_budget);
}

int main(int argc, char **argv)
{
	unsigned int i, r;
	int opt;

	while ((opt = getopt(argc, argv, "c:m:s:t:r:d:qlUh")) != -1) {
		switch (opt) {
		case 'c': kb_only_cases = optarg; break;
		case 'm': kb_only_mechs = optarg; break;
		case 's': kb_parse_sizes(optarg); break;
		case 't':
			kb_pp_budget = kb_stream_dur = atof(optarg);
			break;
		case 'r':
			kb_rounds = (unsigned int)atoi(optarg);
			if (kb_rounds < 1 || kb_rounds > KB_ROUNDS_MAX)
				kb_die("-r: 1..%d", KB_ROUNDS_MAX);
			break;
		case 'd':
			kb_death_reps = (unsigned int)atoi(optarg);
			if (kb_death_reps < 1 || kb_death_reps > 100)
				kb_die("-d: 1..100");
			break;
		case 'q':
			kb_rounds = 1;
			kb_pp_budget = kb_stream_dur = 0.1;
			kb_pp_min = 30;
			kb_death_reps = 1;
			kb_lock_pairs = 200000;
			kb_select_budget = 0.1;
			break;
		case 'U':
			kb_pin = 0;
			break;
		case 'l':
			for (i = 0; kb_mechs[i]; i++)
				printf("%-9s %s\n", kb_mechs[i]->name,
				       kb_mechs[i]->label);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (access("/dev/kipc", R_OK | W_OK)) {
		kb_note("/dev/kipc: %s: load the module first", strerror(errno));
		return 4;	/* KSFT_SKIP */
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	kb_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	kb_pin_to(-1);
	kb_ctr = mmap(NULL, sizeof(*kb_ctr), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (kb_ctr == MAP_FAILED)
		kb_die("mmap: %s", strerror(errno));
	kb_tune_system(1);
	kb_meta();

	kb_collecting = 1;
	for (r = 1; r <= kb_rounds; r++) {
		kb_note("round %u of %u", r, kb_rounds);
		kb_round();
	}
	kb_csv_print("meta", "rounds", 0, NULL, "rounds", kb_rounds);
	kb_csv_flush();
	kb_collecting = 0;
	kb_pin_to(-2);
	if (kb_listed(kb_only_cases, "death"))
		kb_case_owner_death(kb_death_reps);
	if (kb_listed(kb_only_cases, "lock"))
		kb_case_lock(kb_lock_pairs);
	if (kb_listed(kb_only_cases, "lease"))
		kb_case_lease(kb_lock_pairs / 100 ? kb_lock_pairs / 100 : 1);
	printf("@@BENCH-DONE\n");
	return 0;
}
