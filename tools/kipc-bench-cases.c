// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: selective receive and owner death, the cases that only
 * kipc's queues and SysV's have in common; one send and one receive in
 * one process (no wakeup, no scheduler: the per-call path alone); and
 * the in-process memcpy loop the ring is compared with.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

#include "kipc-bench.h"

#define KB_SEL_SIZE	64
#define KB_OD_MSGS	10000
#define KB_OD_WAITERS	64

struct kb_sysv_msg {
	long mtype;
	unsigned char data[KB_SEL_SIZE];
};

/* --- selective receive ------------------------------------------------ */

static int kb_kq_fill(int q, unsigned int n, uint32_t type)
{
	static unsigned char buf[KB_SEL_SIZE];
	struct kipc_msg msgs[1024];
	unsigned int i, k;
	int ret;

	while (n) {
		k = n < 1024 ? n : 1024;
		for (i = 0; i < k; i++)
			msgs[i] = (struct kipc_msg){ .type = type,
						     .data = buf,
						     .len = sizeof(buf) };
		ret = kipc_sendv(q, msgs, k, 0);
		if (ret < 0)
			return ret;
		n -= (unsigned int)ret;
	}
	return 0;
}

static void kb_select_report(const char *mech, unsigned int depth,
			     double *lat, unsigned int n)
{
	char param[16];
	double p50, p99;

	snprintf(param, sizeof(param), "%u", depth);
	p99 = kb_pct(lat, n, 99);
	p50 = kb_pct(lat, n, 50);
	kb_note("select   %-5s depth %5u  p50 %9.2f us  p99 %9.2f us  (%u)",
		mech, depth, p50, p99, n);
	kb_csv("select", mech, KB_SEL_SIZE, param, "p50_us", p50);
	kb_csv("select", mech, KB_SEL_SIZE, param, "p99_us", p99);
	kb_csv("select", mech, KB_SEL_SIZE, param, "iters", n);
}

/* Enough iterations for a p99, within the budget (at least 50). */
static int kb_select_more(unsigned int n, unsigned int cap, uint64_t start,
			  double budget)
{
	if (n >= cap)
		return 0;
	return n < 50 || (double)(kb_now_ns() - start) / 1e9 < budget;
}

static void kb_select_kq(unsigned int depth, double budget, double *lat,
			 unsigned int cap)
{
	struct kipc_queue_attr a = {
		.max_msgs	= depth + 1,
		.max_msg_size	= KB_SEL_SIZE,
		.max_bytes	= (uint64_t)(depth + 1) * KB_SEL_SIZE,
	};
	struct kipc_select eq2 = { KIPC_SEL_EQ, 2 };
	unsigned char buf[KB_SEL_SIZE] = { 0 };
	uint64_t t0, t1, start;
	unsigned int n = 0, i;
	ssize_t r;
	int q, ret;

	q = kipc_queue_create(NULL, &a, 0, 0600);
	if (q < 0)
		kb_die("select: kipc_queue_create: %s", strerror(-q));
	ret = kb_kq_fill(q, depth, 1);
	if (ret < 0)
		kb_die("select: fill: %s", strerror(-ret));
	/* warm-up */
	for (i = 0; i < 10; i++) {
		kipc_send(q, 2, 0, buf, sizeof(buf), 0);
		kipc_recv(q, &eq2, buf, sizeof(buf), NULL, 0);
	}
	start = kb_now_ns();
	while (kb_select_more(n, cap, start, budget)) {
		ret = kipc_send(q, 2, 0, buf, sizeof(buf), 0);
		if (ret)
			kb_die("select: send: %s", strerror(-ret));
		t0 = kb_now_ns();
		r = kipc_recv(q, &eq2, buf, sizeof(buf), NULL, 0);
		t1 = kb_now_ns();
		if (r != KB_SEL_SIZE)
			kb_die("select: recv: %zd", r);
		lat[n++] = (double)(t1 - t0) / 1e3;
	}
	close(q);
	kb_select_report("kq", depth, lat, n);
}

static void kb_select_sysv(unsigned int depth, double budget, double *lat,
			   unsigned int cap)
{
	struct kb_sysv_msg m = { .mtype = 1 };
	struct msqid_ds ds;
	uint64_t t0, t1, start;
	unsigned int n = 0, i;
	ssize_t r;
	int id;

	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (id < 0)
		kb_die("select: msgget: %s", strerror(errno));
	if (msgctl(id, IPC_STAT, &ds) == 0) {
		ds.msg_qbytes = (depth + 16) * KB_SEL_SIZE;
		if (msgctl(id, IPC_SET, &ds))
			kb_note("select: sysv msg_qbytes: %s", strerror(errno));
	}
	for (i = 0; i < depth; i++)
		if (msgsnd(id, &m, KB_SEL_SIZE, IPC_NOWAIT))
			kb_die("select: sysv fill %u: %s (msgmnb?)", i,
			       strerror(errno));
	for (i = 0; i < 10; i++) {
		m.mtype = 2;
		msgsnd(id, &m, KB_SEL_SIZE, IPC_NOWAIT);
		msgrcv(id, &m, KB_SEL_SIZE, 2, IPC_NOWAIT);
	}
	start = kb_now_ns();
	while (kb_select_more(n, cap, start, budget)) {
		m.mtype = 2;
		if (msgsnd(id, &m, KB_SEL_SIZE, IPC_NOWAIT))
			kb_die("select: sysv send: %s", strerror(errno));
		t0 = kb_now_ns();
		r = msgrcv(id, &m, KB_SEL_SIZE, 2, IPC_NOWAIT);
		t1 = kb_now_ns();
		if (r != KB_SEL_SIZE)
			kb_die("select: msgrcv: %s", strerror(errno));
		lat[n++] = (double)(t1 - t0) / 1e3;
	}
	msgctl(id, IPC_RMID, NULL);
	kb_select_report("sysv", depth, lat, n);
}

void kb_case_select(double budget)
{
	static const unsigned int depths[] = { 0, 1, 100, 10000 };
	unsigned int cap = 5000, i;
	double *lat = calloc(cap, sizeof(*lat));

	if (!lat)
		kb_die("out of memory");
	for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		kb_select_kq(depths[i], budget, lat, cap);
		kb_select_sysv(depths[i], budget, lat, cap);
	}
	free(lat);
}

/* --- one send + one receive in one process ------------------------------ */

/* Pairs per timed chunk; the figure of a round is the median chunk. */
#define KB_SELF_CHUNK	256
#define KB_SELF_CHUNKS	4096

struct kb_self {
	const char *name;
	int q;				/* kipc handle, SysV id or mqd_t */
	int (*pair)(struct kb_self *s, unsigned char *buf, size_t size);
	unsigned int per;		/* send+recv pairs per call */
	struct kipc_ring *prod, *cons;	/* rings: both ends, this process */
};

/* Ring records per kring-b16 call: 16 sends, then 16 receives. */
#define KB_SELF_BURST	16

static int kb_self_kq(struct kb_self *s, unsigned char *buf, size_t size)
{
	ssize_t r;
	int ret;

	ret = kipc_send(s->q, 1, 0, buf, size, 0);
	if (ret)
		return ret;
	r = kipc_recv(s->q, NULL, buf, size, NULL, 0);
	return r == (ssize_t)size ? 0 : (r < 0 ? (int)r : -EMSGSIZE);
}

static int kb_self_sysv(struct kb_self *s, unsigned char *buf, size_t size)
{
	/* buf has KB_HEADROOM bytes before it: the long mtype goes there. */
	long *mt = (long *)(void *)(buf - sizeof(long));

	*mt = 1;
	if (msgsnd(s->q, mt, size, IPC_NOWAIT))
		return -errno;
	if (msgrcv(s->q, mt, size, 0, IPC_NOWAIT) != (ssize_t)size)
		return -errno;
	return 0;
}

static int kb_self_pmq(struct kb_self *s, unsigned char *buf, size_t size)
{
	if (mq_send(s->q, (char *)buf, size, 0))
		return -errno;
	if (mq_receive(s->q, (char *)buf, size, NULL) != (ssize_t)size)
		return -errno;
	return 0;
}

static int kb_self_ring(struct kb_self *s, unsigned char *buf, size_t size)
{
	unsigned int i;
	ssize_t r;
	int ret;

	for (i = 0; i < s->per; i++) {
		ret = kipc_ring_send(s->prod, 1, buf, size, 0);
		if (ret)
			return ret;
	}
	for (i = 0; i < s->per; i++) {
		r = kipc_ring_recv(s->cons, buf, size, NULL, 0);
		if (r != (ssize_t)size)
			return r < 0 ? (int)r : -EMSGSIZE;
	}
	return 0;
}

static int kb_self_open(struct kb_self *s, size_t size)
{
	struct kipc_queue_attr a = {
		.max_msgs	= 16,
		.max_msg_size	= (uint32_t)size,
		.max_bytes	= 16 * size,
	};
	struct mq_attr ma = { .mq_maxmsg = 16, .mq_msgsize = (long)size };
	char name[48];

	int ret;

	if (s->pair == kb_self_kq) {
		s->q = kipc_queue_create(NULL, &a, 0, 0600);
		return s->q < 0 ? s->q : 0;
	}
	if (s->pair == kb_self_ring) {
		/* 256 records of 64 B, as in the streaming case. */
		snprintf(name, sizeof(name), "/kb-self-ring-%d", (int)getpid());
		ret = kipc_ring_create(name, 32768, KIPC_RING_PRODUCER, 0600,
				       &s->prod);
		if (ret < 0)
			return ret;
		ret = kipc_ring_open(name, KIPC_RDWR, &s->cons);
		if (ret < 0) {
			kipc_ring_close(s->prod);
			return ret;
		}
		return 0;
	}
	if (s->pair == kb_self_sysv) {
		s->q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		return s->q < 0 ? -errno : 0;
	}
	snprintf(name, sizeof(name), "/kipc-bench-self-%d", (int)getpid());
	mq_unlink(name);
	s->q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
	if (s->q < 0)
		return -errno;
	mq_unlink(name);
	return 0;
}

static void kb_self_close(struct kb_self *s)
{
	if (s->pair == kb_self_ring) {
		kipc_ring_close(s->cons);
		kipc_ring_close(s->prod);
	} else if (s->pair == kb_self_sysv)
		msgctl(s->q, IPC_RMID, NULL);
	else if (s->pair == kb_self_pmq)
		mq_close(s->q);
	else
		close(s->q);
}

/*
 * kb_case_self() - one send plus one receive of a message in one process:
 * the queue is never waited on, so no wakeup and no context switch, only
 * the per-call work of each mechanism.  ns per send+receive pair, the
 * median of chunks of KB_SELF_CHUNK pairs (a chunk the host preempted
 * does not move the median).
 */
void kb_case_self(const char *mechs, double budget)
{
	static const size_t sizes[] = { 8, 64 };
	struct kb_self m[] = {
		{ .name = "kq", .pair = kb_self_kq, .per = 1 },
		{ .name = "sysv", .pair = kb_self_sysv, .per = 1 },
		{ .name = "pmq", .pair = kb_self_pmq, .per = 1 },
		/* the ring's fast path alone: never empty-and-waiting */
		{ .name = "kring", .pair = kb_self_ring, .per = 1 },
		{ .name = "kring-b16", .pair = kb_self_ring, .per = KB_SELF_BURST },
	};
	double *chunk = calloc(KB_SELF_CHUNKS, sizeof(*chunk));
	unsigned char *buf = kb_alloc(4096) + KB_HEADROOM;
	unsigned int i, j, k, n;
	uint64_t t0, t1, start;
	double ns;
	int ret;

	if (!chunk)
		kb_die("out of memory");
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (mechs && !strstr(mechs, m[i].name))
			continue;
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			ret = kb_self_open(&m[i], sizes[j]);
			if (ret < 0) {
				kb_note("self %s: setup failed: %s",
					m[i].name, strerror(-ret));
				continue;
			}
			memset(buf, 0x5a, sizes[j]);
			for (k = 0; k < 64; k++)	/* warm-up */
				m[i].pair(&m[i], buf, sizes[j]);
			n = 0;
			start = kb_now_ns();
			while (n < KB_SELF_CHUNKS &&
			       (n < 16 || (double)(kb_now_ns() - start) / 1e9 <
					  budget)) {
				t0 = kb_now_ns();
				for (k = 0; k < KB_SELF_CHUNK; k++) {
					ret = m[i].pair(&m[i], buf, sizes[j]);
					if (ret)
						kb_die("self %s: %s", m[i].name,
						       strerror(-ret));
				}
				t1 = kb_now_ns();
				chunk[n++] = (double)(t1 - t0) /
					     (KB_SELF_CHUNK * m[i].per);
			}
			kb_self_close(&m[i]);
			ns = kb_pct(chunk, n, 50);
			kb_note("self     %-9s %2zu B  %9.0f ns per send+recv  (%u x %u)",
				m[i].name, sizes[j], ns, n,
				KB_SELF_CHUNK * m[i].per);
			kb_csv("self", m[i].name, sizes[j], "1", "ns_per_op",
			       ns);
			kb_csv("self", m[i].name, sizes[j], "1", "pairs",
			       (double)n * KB_SELF_CHUNK * m[i].per);
		}
	}
	kb_free(buf - KB_HEADROOM, 4096);
	free(chunk);
}

/* --- the memcpy loop the ring is compared with ---------------------------- */

/*
 * kb_case_memcpy() - the ring's copy-mode work without the ring: one
 * thread builds each record from a template in its send buffer, copies it
 * into the next of 256 slots, copies it out into a receive buffer and
 * checks its stamp, as the ring's producer and consumer do between them.
 * What a ring adds on top (its header, its fences, its checks, two
 * processes) is what "ring vs memcpy" measures.
 */
void kb_case_memcpy(size_t size, double budget)
{
	unsigned int nslots = size <= 4096 ? 256 : (unsigned int)(4194304 / size);
	unsigned char *src = kb_alloc(size), *buf = kb_alloc(size);
	unsigned char *dst = kb_alloc(size), *slots;
	uint64_t seq = 0, t0, t1;
	unsigned int k;
	double secs, mps;

	if (nslots < 4)
		nslots = 4;
	slots = kb_alloc(nslots * size);
	t0 = kb_now_ns();
	do {
		for (k = 0; k < 1024; k++, seq++) {
			unsigned char *slot = slots + (seq % nslots) * size;

			memcpy(buf, src, size);
			kb_stamp(buf, seq);
			memcpy(slot, buf, size);
			__asm__ volatile("" ::: "memory");
			memcpy(dst, slot, size);
			__asm__ volatile("" ::: "memory");
			if (kb_stamp_of(dst) != seq)
				kb_die("memcpy: stamp %llu, not %llu",
				       (unsigned long long)kb_stamp_of(dst),
				       (unsigned long long)seq);
		}
		t1 = kb_now_ns();
	} while ((double)(t1 - t0) / 1e9 < budget);
	secs = (double)(t1 - t0) / 1e9;
	mps = (double)seq / secs;
	kb_note("stream   memcpy    %7zu B x1  %12.0f msg/s  %8.1f MiB/s  (one thread, %u slots)",
		size, mps, mps * (double)size / 1048576.0, nslots);
	kb_csv("stream", "memcpy", size, "1", "msgs_per_s", mps);
	kb_csv("stream", "memcpy", size, "1", "bytes_per_s", mps * (double)size);
	kb_csv("stream", "memcpy", size, "1", "msgs", (double)seq);
	kb_free(slots, nslots * size);
	kb_free(dst, size);
	kb_free(buf, size);
	kb_free(src, size);
}

/* --- owner death --------------------------------------------------------- */

struct kb_waiter {
	pthread_t thread;
	int q;			/* kipc queue handle, or SysV id */
	int sysv;
	int ret;
	uint64_t t;		/* CLOCK_MONOTONIC when the wait returned */
};

static int kb_waiters_started;
static pthread_barrier_t kb_waiters_done;

static void *kb_waiter_main(void *arg)
{
	struct kipc_select eq2 = { KIPC_SEL_EQ, 2 };
	struct kb_sysv_msg m;
	struct kb_waiter *w = arg;
	unsigned char buf[KB_SEL_SIZE];
	int ret;

	__atomic_add_fetch(&kb_waiters_started, 1, __ATOMIC_RELEASE);
	if (w->sysv)
		ret = msgrcv(w->q, &m, KB_SEL_SIZE, 2, 0) < 0 ? -errno : 0;
	else
		ret = (int)kipc_recv(w->q, &eq2, buf, sizeof(buf), NULL, -1);
	w->t = kb_now_ns();
	__atomic_store_n(&w->ret, ret, __ATOMIC_RELEASE);
	/* Sleep until every waiter has its time: an exiting thread would
	 * compete for the CPUs with the waiters still being woken. */
	pthread_barrier_wait(&kb_waiters_done);
	return NULL;
}

/* Threads of this process asleep in the kernel (state S), from /proc. */
static unsigned int kb_sleeping_threads(void)
{
	char path[320], line[256], *p;
	unsigned int n = 0;
	struct dirent *de;
	DIR *d = opendir("/proc/self/task");
	FILE *f;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			p = strrchr(line, ')');
			if (p && p[1] == ' ' && p[2] == 'S')
				n++;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

static void kb_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Start the waiters and wait until all of them sleep in the kernel. */
static int kb_waiters_start(struct kb_waiter *w, int q, int sysv)
{
	struct kipc_queue_stat st;
	unsigned int i, tries;

	kb_waiters_started = 0;
	pthread_barrier_init(&kb_waiters_done, NULL, KB_OD_WAITERS);
	for (i = 0; i < KB_OD_WAITERS; i++) {
		w[i] = (struct kb_waiter){ .q = q, .sysv = sysv, .ret = 1 };
		if (pthread_create(&w[i].thread, NULL, kb_waiter_main, &w[i]))
			kb_die("pthread_create");
	}
	for (tries = 0; tries < 5000; tries++) {
		if (__atomic_load_n(&kb_waiters_started, __ATOMIC_ACQUIRE) ==
		    KB_OD_WAITERS) {
			if (!sysv && kipc_queue_stat(q, &st) == 0 &&
			    st.blocked_receivers == KB_OD_WAITERS)
				return 0;
			if (sysv && kb_sleeping_threads() >= KB_OD_WAITERS)
				return 0;
		}
		kb_sleep_ms(2);
	}
	return -ETIMEDOUT;
}

static void kb_waiters_times(struct kb_waiter *w, uint64_t t0, int want,
			     double *first_ms, double *last_ms,
			     unsigned int *bad)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned int i;

	*bad = 0;
	for (i = 0; i < KB_OD_WAITERS; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].ret != want)
			(*bad)++;
		if (w[i].t < lo)
			lo = w[i].t;
		if (w[i].t > hi)
			hi = w[i].t;
	}
	*first_ms = (double)(lo - t0) / 1e6;
	*last_ms = (double)(hi - t0) / 1e6;
	pthread_barrier_destroy(&kb_waiters_done);
}

/*
 * Fork a child that runs @setup(@arg), hands its non-negative result to
 * the parent through a pipe and then sleeps until it is killed.  Returns
 * the child's pid with the result in *@res, or -1 when the set-up failed.
 */
static pid_t kb_spawn_parked(int (*setup)(void *arg), void *arg, int *res)
{
	int p[2], r;
	pid_t pid;

	if (pipe(p))
		kb_die("pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		kb_die("fork");
	if (pid == 0) {
		alarm(120);
		close(p[0]);
		r = setup(arg);
		if (r < 0 || write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		for (;;)
			pause();
	}
	close(p[1]);
	r = read(p[0], res, sizeof(*res)) == sizeof(*res) ? 0 : -1;
	close(p[0]);
	if (r) {
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* The owner: create the queue named @arg and fill it. */
static int kb_od_kipc_owner(void *arg)
{
	struct kipc_queue_attr a = {
		.max_msgs	= KB_OD_MSGS,
		.max_msg_size	= KB_SEL_SIZE,
		.max_bytes	= (uint64_t)KB_OD_MSGS * KB_SEL_SIZE,
	};
	int q = kipc_queue_create(arg, &a, 0, 0600);

	return q < 0 ? q : kb_kq_fill(q, KB_OD_MSGS, 1);
}

/*
 * A child owns a queue holding KB_OD_MSGS messages of type 1; 64 threads
 * here wait for type 2; kill -9 the child; time until the last waiter
 * returns -EPIPE, and what closing the last handle (freeing the
 * messages) costs.
 */
static int kb_od_kipc(unsigned int rep, double *last, double *first,
		      double *close_ms)
{
	static struct kb_waiter w[KB_OD_WAITERS];
	struct kipc_queue_stat st;
	int q, st_child, res;
	unsigned int bad;
	uint64_t t0, t1;
	char name[64];
	pid_t pid;

	snprintf(name, sizeof(name), "/kb-od-%d-%u", (int)getpid(), rep);
	pid = kb_spawn_parked(kb_od_kipc_owner, name, &res);
	if (pid < 0)
		kb_die("death: the owner failed to set up");
	q = kipc_queue_open(name, KIPC_RDONLY);
	if (q < 0)
		kb_die("death: open %s: %s", name, strerror(-q));
	if (kipc_queue_stat(q, &st) || st.depth_msgs != KB_OD_MSGS)
		kb_die("death: queue depth %llu",
		       (unsigned long long)st.depth_msgs);
	if (kb_waiters_start(w, q, 0))
		kb_die("death: the waiters did not block");

	t0 = kb_now_ns();
	kill(pid, SIGKILL);
	kb_waiters_times(w, t0, -EPIPE, first, last, &bad);
	waitpid(pid, &st_child, 0);
	if (bad)
		kb_note("death: %u waiters did not get -EPIPE", bad);
	/* The messages stay for draining; the last handle frees them. */
	t0 = kb_now_ns();
	close(q);
	t1 = kb_now_ns();
	*close_ms = (double)(t1 - t0) / 1e6;
	return bad ? -EPROTO : 0;
}

/*
 * SysV: the owner's death changes nothing, the waiters sleep on.  Show
 * that, then time the manual cleanup (IPC_RMID) a user has to do.
 */
/* The SysV owner: create a queue and fill it; its id, or -1. */
static int kb_od_sysv_owner(void *arg)
{
	struct kb_sysv_msg m = { .mtype = 1 };
	struct msqid_ds ds;
	unsigned int i;
	int id;

	(void)arg;
	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (id < 0 || msgctl(id, IPC_STAT, &ds))
		return -1;
	ds.msg_qbytes = (KB_OD_MSGS + 16) * KB_SEL_SIZE;
	if (msgctl(id, IPC_SET, &ds))
		return -1;
	for (i = 0; i < KB_OD_MSGS; i++)
		if (msgsnd(id, &m, KB_SEL_SIZE, IPC_NOWAIT))
			return -1;
	return id;
}

static int kb_od_sysv(double *last, double *first, unsigned int *woken)
{
	static struct kb_waiter w[KB_OD_WAITERS];
	unsigned int i, bad;
	int id, st_child;
	uint64_t t0;
	pid_t pid;

	pid = kb_spawn_parked(kb_od_sysv_owner, NULL, &id);
	if (pid < 0)
		return -EIO;
	if (kb_waiters_start(w, id, 1))
		kb_die("death: sysv waiters did not block");
	kill(pid, SIGKILL);
	waitpid(pid, &st_child, 0);
	kb_sleep_ms(100);
	*woken = 0;
	for (i = 0; i < KB_OD_WAITERS; i++)
		if (__atomic_load_n(&w[i].ret, __ATOMIC_ACQUIRE) != 1)
			(*woken)++;
	t0 = kb_now_ns();
	msgctl(id, IPC_RMID, NULL);
	kb_waiters_times(w, t0, -EIDRM, first, last, &bad);
	return bad ? -EPROTO : 0;
}

/*
 * The floor under owner death: kill -9 of a child that holds nothing of
 * kipc, until waitpid() returns.  Most of kill-to-wake is this exit.
 */
static int kb_nothing(void *arg)
{
	(void)arg;
	return 0;
}

static double kb_exit_ms(void)
{
	uint64_t t0, t1;
	int st, res;
	pid_t pid;

	pid = kb_spawn_parked(kb_nothing, NULL, &res);
	if (pid < 0)
		kb_die("death: exit baseline child failed");
	kb_sleep_ms(20);	/* let it sleep in pause() */
	t0 = kb_now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	t1 = kb_now_ns();
	return (double)(t1 - t0) / 1e6;
}

void kb_case_owner_death(unsigned int reps)
{
	double *last = calloc(reps, sizeof(double)), first, close_ms, maxv = 0;
	double fsum = 0, csum = 0;
	const char *param = "10000x64";
	unsigned int i, woken;

	if (!last)
		kb_die("out of memory");
	for (i = 0; i < reps; i++) {
		if (kb_od_kipc(i, &last[i], &first, &close_ms))
			kb_die("death: kipc run %u failed", i);
		kb_note("death    kq    run %u: first woken %.3f ms, last %.3f ms, close %.3f ms",
			i, first, last[i], close_ms);
		if (last[i] > maxv)
			maxv = last[i];
		fsum += first;
		csum += close_ms;
	}
	kb_csv("death", "kq", KB_SEL_SIZE, param, "first_ms", fsum / reps);
	kb_csv("death", "kq", KB_SEL_SIZE, param, "close_ms", csum / reps);
	kb_csv("death", "kq", KB_SEL_SIZE, param, "last_ms_max", maxv);
	kb_csv("death", "kq", KB_SEL_SIZE, param, "last_ms_p50",
	       kb_pct(last, reps, 50));
	kb_csv("death", "kq", KB_SEL_SIZE, param, "reps", reps);

	for (i = 0; i < reps; i++)
		last[i] = kb_exit_ms();
	kb_note("death    exit  kill -9 to waitpid of a plain child: median %.3f ms",
		kb_pct(last, reps, 50));
	kb_csv("death", "exit", 0, "plain", "exit_ms_p50", kb_pct(last, reps, 50));

	if (kb_od_sysv(&last[0], &first, &woken))
		kb_die("death: sysv run failed");
	kb_note("death    sysv  owner killed: %u of %d waiters woken after 100 ms; IPC_RMID by hand: first %.3f ms, last %.3f ms",
		woken, KB_OD_WAITERS, first, last[0]);
	kb_csv("death", "sysv", KB_SEL_SIZE, param, "woken_by_death", woken);
	kb_csv("death", "sysv", KB_SEL_SIZE, param, "rmid_first_ms", first);
	kb_csv("death", "sysv", KB_SEL_SIZE, param, "rmid_last_ms", last[0]);
	free(last);
}

/* --- uncontended robust lock ----------------------------------------- */

/*
 * kipc_lock() + kipc_unlock() of a free lock in a mapped region, by one
 * thread: the fast path (one compare-and-swap each, no syscall).  @n
 * pairs after a warm-up; one row, ns per pair.
 */
void kb_case_lock(unsigned int n)
{
	uint64_t t0, t1;
	unsigned int i;
	size_t size;
	void *p;
	int r, ret;

	r = kipc_region_create(NULL, 4096, 0, 0600);
	if (r < 0)
		kb_die("lock: region: %s", strerror(-r));
	ret = kipc_region_map(r, &p, &size);
	if (!ret)
		ret = kipc_lock_init(r, 64);
	if (ret)
		kb_die("lock: map/init: %s", strerror(-ret));
	for (i = 0; i < 1000; i++)
		if (kipc_lock(r, 64, -1) || kipc_unlock(r, 64))
			kb_die("lock: warm-up failed");
	t0 = kb_now_ns();
	for (i = 0; i < n; i++)
		if (kipc_lock(r, 64, -1) || kipc_unlock(r, 64))
			kb_die("lock: lock/unlock failed");
	t1 = kb_now_ns();
	kb_note("lock uncontended: %.1f ns per lock+unlock (%u pairs)",
		(double)(t1 - t0) / n, n);
	kb_csv("lock", "kipc", 0, "uncontended", "ns_per_pair",
	       (double)(t1 - t0) / n);
	kipc_region_unmap(r);
	close(r);
}

/* --- leased receive: the cost of reliability ------------------------- */

/*
 * One thread: kipc_send() then kipc_recv() of a 64-byte message, against
 * kipc_send(), kipc_recv_leased() and kipc_ack(): @n round trips each
 * after a warm-up, alternating, twice each (the first of each warms up
 * TCG's translations); ns per message and their ratio.
 */
void kb_case_lease(unsigned int n)
{
	struct kipc_queue_attr a = { .max_msgs = 16,
				     .max_msg_size = KB_SEL_SIZE };
	static unsigned char buf[KB_SEL_SIZE];
	double plain = 0, leased = 0;
	struct kipc_msg info;
	uint64_t t0 = 0, t1;
	unsigned int i, pass;
	int q;

	q = kipc_queue_create(NULL, &a, 0, 0600);
	if (q < 0)
		kb_die("lease: queue: %s", strerror(-q));
	/* Twice each, alternating; the second of each counts. */
	for (pass = 0; pass < 4; pass++) {
		for (i = 0; i < 1000 + n; i++) {
			if (i == 1000)
				t0 = kb_now_ns();
			if (kipc_send(q, 1, 0, buf, sizeof(buf), 0))
				kb_die("lease: send failed");
			if (!(pass & 1)) {
				if (kipc_recv(q, NULL, buf, sizeof(buf), &info,
					      0) < 0)
					kb_die("lease: recv failed");
				continue;
			}
			if (kipc_recv_leased(q, NULL, buf, sizeof(buf), &info,
					     0) < 0 ||
			    kipc_ack(q, info.seq))
				kb_die("lease: leased recv/ack failed");
		}
		t1 = kb_now_ns();
		if (pass == 2)
			plain = (double)(t1 - t0) / n;
		else if (pass == 3)
			leased = (double)(t1 - t0) / n;
	}
	kb_note("lease    send+recv %.0f ns, send+recv_leased+ack %.0f ns per message: x%.2f (%u)",
		plain, leased, leased / plain, n);
	kb_csv("lease", "kq", KB_SEL_SIZE, "plain", "ns_per_msg", plain);
	kb_csv("lease", "kq", KB_SEL_SIZE, "leased", "ns_per_msg", leased);
	kb_csv("lease", "kq", KB_SEL_SIZE, "leased", "ratio", leased / plain);
	kipc_lease_release(q);
	close(q);
}
