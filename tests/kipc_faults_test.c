// SPDX-License-Identifier: GPL-2.0
/*
 * kipc fault tests: processes killed at the worst moment, close racing
 * everything else, and the module unloaded and loaded again and again.
 *
 * storm.<scenario>.kill9: KILLS iterations in all, shared out among the
 *	nine scenarios (a harness variant each).  Each sets up an owner
 *	process A and a
 *	process B that blocks in send, receive, kipc_wait, kipc_lock, event
 *	wait, ring send or ring receive, or is in the middle of a batch send
 *	or a stream of batch receives; then kill -9 one of the two, chosen
 *	at random.  The survivor must see the documented result (EPIPE,
 *	EOWNERDEAD, a partial batch count; or, when B died, an object that
 *	still works and lost nothing), nobody may hang, and afterwards the
 *	module's live_objects must be back at its baseline.
 * close_race.{queue,region,event}.epoll_poll_ioctl: RACES rounds in
 *	all.  A handle is closed (both of its fds), its epoll sets are
 *	closed and its owner is killed, in random order, while other threads
 *	sleep in epoll_wait, poll and a blocking ioctl on it (the binder
 *	CVE-2019-2215 class: epoll must never touch a freed waitqueue; the
 *	debug kernel's KASAN is the judge).
 * module.cycles (last): CYCLES times: insmod; a random mix of contexts,
 *	handles of every kind, messages left queued, mappings without a
 *	handle, handles in a child, persistent objects and a netlink event
 *	subscriber; rmmod must fail (EWOULDBLOCK) while a handle, context or
 *	mapping exists and succeed right after the last one goes;
 *	live_objects starts at 0 each time.  The module is loaded again at
 *	the end (from /lib/modules/kipc.ko, where the VM's initramfs puts
 *	it; KIPC_KO_PATH overrides), so the rest of the suite runs.
 *
 * Every test runs in a child of its own under the kselftest harness.
 * Sizes: --kills (KIPC_FAULTS_KILLS), --races, --cycles, --seed,
 * --case_timeout (the harness's time limit per test); see struct kt_knob
 * in lib/kt.h.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "lib/kt_harness.h"
#include "kipc-nl.h"

static uint64_t k_kills = 100;
static uint64_t k_races = 50;
static uint64_t k_cycles = 10;
static uint64_t k_seed = 1;
static uint64_t k_case_timeout = 300;

/* --- the storm ------------------------------------------------------- */

enum scen {
	S_QSEND,	/* B blocked sending to a full queue */
	S_QRECV,	/* B blocked receiving from an empty queue */
	S_WAIT,		/* B in kipc_wait() */
	S_LOCK,		/* B in kipc_lock(), A holds the lock */
	S_EVWAIT,	/* B in kipc_event_wait() */
	S_RSEND,	/* B, ring producer, blocked on a full ring */
	S_RRECV,	/* B, ring consumer, blocked on an empty ring */
	S_BSEND,	/* B in the middle of a 64-message batch send */
	S_BRECV,	/* B in a stream of batch receives, A sending batches */
	S_NR
};

static const char *const scen_name[S_NR] = {
	"send", "recv", "wait", "lock", "event_wait", "ring_send",
	"ring_recv", "batch_send", "batch_recv",
};

#define TMO_MS		20000	/* nothing in one iteration may take longer */
#define BATCH		64
#define STREAM		4096

struct storm_stat {
	uint64_t kills_a[S_NR], kills_b[S_NR];
};

/* A payload carrying its index. */
static void put_id(struct kipc_msg *m, uint32_t *buf, uint32_t id)
{
	memset(m, 0, sizeof(*m));
	*buf = id;
	m->type = 1 + id % 3;
	m->prio = 0;
	m->data = buf;
	m->len = sizeof(*buf);
}

static void tell(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		_exit(90);
}

static char hear(int fd)
{
	char c = 0;

	if (read(fd, &c, 1) != 1)
		_exit(91);
	return c;
}

/*
 * B: block in the scenario's call, which only returns when A is killed;
 * exit 0 when it returned what the documentation promises.
 */
static void storm_b(enum scen s, const char *name, struct kt_rng *r)
{
	uint32_t bufs[BATCH], v, id, next = 0;
	struct kipc_msg m[BATCH];
	struct kipc_ring *ring;
	unsigned char rec[512];
	uint64_t ev;
	size_t size;
	void *addr;
	int h, ret, i;

	switch (s) {
	case S_QSEND:
		h = kipc_queue_open(name, KIPC_WRONLY);
		KT_CHILD_CHECK(h >= 0, "open: %d", h);
		KT_CHILD_EXPECT(-EPIPE, kipc_send(h, 1, 0, "x", 1, -1));
		break;
	case S_QRECV:
		h = kipc_queue_open(name, KIPC_RDONLY);
		KT_CHILD_CHECK(h >= 0, "open: %d", h);
		KT_CHILD_EXPECT(-EPIPE, kipc_recv(h, NULL, rec, sizeof(rec), NULL, -1));
		break;
	case S_WAIT:
		h = kipc_region_open(name, KIPC_RDWR);
		KT_CHILD_CHECK(h >= 0, "open: %d", h);
		KT_CHILD_EXPECT(-EPIPE, kipc_wait(h, 64, 0, -1));
		break;
	case S_LOCK:
		h = kipc_region_open(name, KIPC_RDWR);
		KT_CHILD_CHECK(h >= 0, "open: %d", h);
		KT_CHILD_EXPECT(0, kipc_region_map(h, &addr, &size));
		KT_CHILD_EXPECT(-EOWNERDEAD, kipc_lock(h, 0, -1));
		/* The lock is ours and keeps working among the survivors. */
		KT_CHILD_EXPECT(0, kipc_lock_consistent(h, 0));
		KT_CHILD_EXPECT(0, kipc_unlock(h, 0));
		KT_CHILD_EXPECT(0, kipc_lock(h, 0, 0));
		KT_CHILD_EXPECT(0, kipc_unlock(h, 0));
		break;
	case S_EVWAIT:
		h = kipc_event_open(name, KIPC_RDONLY);
		KT_CHILD_CHECK(h >= 0, "open: %d", h);
		KT_CHILD_EXPECT(-EPIPE, kipc_event_wait(h, &ev, -1));
		break;
	case S_RSEND:
		KT_CHILD_EXPECT(0, kipc_ring_open(name, KIPC_RDWR, &ring));
		memset(rec, 0x5a, sizeof(rec));
		for (;;) {
			ret = kipc_ring_send(ring, 1, rec, sizeof(rec), -1);
			if (ret)
				break;
		}
		KT_CHILD_EXPECT(-EPIPE, ret);
		break;
	case S_RRECV:
		KT_CHILD_EXPECT(0, kipc_ring_open(name, KIPC_RDWR, &ring));
		KT_CHILD_EXPECT(-EPIPE, kipc_ring_recv(ring, rec, sizeof(rec), &v, -1));
		break;
	case S_BSEND:
		h = kipc_queue_open(name, KIPC_WRONLY);
		KT_CHILD_CHECK(h >= 0, "open: %d", h);
		for (i = 0; i < BATCH; i++)
			put_id(&m[i], &bufs[i], i);
		ret = kipc_sendv(h, m, BATCH, -1);
		/* Stopped by owner death after some were accepted. */
		KT_CHILD_CHECK(ret > 0 && ret < BATCH, "sendv: %d", ret);
		KT_CHILD_EXPECT(-EPIPE, kipc_sendv(h, m + ret, BATCH - ret, -1));
		break;
	case S_BRECV:
		/* Receive until EPIPE: every accepted message, in order. */
		h = kipc_queue_open(name, KIPC_RDONLY);
		KT_CHILD_CHECK(h >= 0, "open: %d", h);
		for (;;) {
			int n = kt_range(r, 1, BATCH);

			for (i = 0; i < n; i++)
				put_id(&m[i], &bufs[i], 0);
			ret = kipc_recvv(h, NULL, m, n, -1);
			if (ret == -EPIPE)
				break;
			KT_CHILD_CHECK(ret > 0, "recvv: %d", ret);
			for (i = 0; i < ret; i++) {
				id = bufs[i];
				KT_CHILD_CHECK(id == next, "got %u, want %u", id, next);
				next++;
			}
		}
		break;
	default:
		_exit(2);
	}
	_exit(0);
}

/*
 * A: create the object, start B's scene, report 'b' when B is blocked;
 * then either be killed or, told 'c', check that the object survived B's
 * death intact.
 */
static void storm_a(enum scen s, const char *name, int to_main, int from_main,
		    struct kt_rng *r)
{
	struct kipc_queue_attr small = { .max_msgs = 1, .max_msg_size = 64 };
	struct kipc_queue_attr eight = { .max_msgs = 8, .max_msg_size = 64 };
	struct kipc_queue_stat st;
	struct kipc_region_stat rs;
	struct kipc_msg m[BATCH];
	uint32_t bufs[BATCH], v, next = 0, sent = 0;
	struct kipc_ring *ring = NULL;
	unsigned char rec[512];
	uint64_t ev;
	size_t size;
	void *addr;
	int h = -1, ret, i, n;

	switch (s) {
	case S_QSEND:
		h = kipc_queue_create(name, &small, 0, 0600);
		KT_CHILD_CHECK(h >= 0, "create: %d", h);
		KT_CHILD_EXPECT(0, kipc_send(h, 1, 0, "a", 1, 0));
		tell(to_main, 'r');
		KT_CHILD_EXPECT(0, kt_wait_blocked(h, 1, 0));
		break;
	case S_QRECV:
	case S_BRECV:
		h = kipc_queue_create(name, &eight, 0, 0600);
		KT_CHILD_CHECK(h >= 0, "create: %d", h);
		tell(to_main, 'r');
		KT_CHILD_EXPECT(0, kt_wait_blocked(h, 0, 1));
		break;
	case S_BSEND:
		h = kipc_queue_create(name, &eight, 0, 0600);
		KT_CHILD_CHECK(h >= 0, "create: %d", h);
		tell(to_main, 'r');
		KT_CHILD_EXPECT(0, kt_wait_blocked(h, 1, 0));
		/* Take some, so B is caught deeper in its batch. */
		n = kt_below(r, 3 * 8);
		for (i = 0; i < n; i++) {
			put_id(&m[0], &bufs[0], 0);
			ret = kipc_recvv(h, NULL, m, 1, TMO_MS * MS);
			KT_CHILD_EXPECT(1, ret);
			KT_CHILD_EXPECT(next, bufs[0]);
			next++;
		}
		KT_CHILD_EXPECT(0, kt_wait_blocked(h, 1, 0));
		break;
	case S_WAIT:
	case S_LOCK:
		h = kipc_region_create(name, 4096, 0, 0600);
		KT_CHILD_CHECK(h >= 0, "create: %d", h);
		KT_CHILD_EXPECT(0, kipc_region_map(h, &addr, &size));
		if (s == S_LOCK) {
			KT_CHILD_EXPECT(0, kipc_lock_init(h, 0));
			KT_CHILD_EXPECT(0, kipc_lock(h, 0, -1));
		}
		tell(to_main, 'r');
		KT_CHILD_EXPECT(0, kt_region_waiters(h, 1));
		break;
	case S_EVWAIT:
		h = kipc_event_create(name, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
		KT_CHILD_CHECK(h >= 0, "create: %d", h);
		tell(to_main, 'r');
		KT_CHILD_EXPECT(0, kt_event_wait_blocked(h, 1));
		break;
	case S_RSEND:
	case S_RRECV:
		ret = kipc_ring_create(name, 4096, s == S_RSEND ?
				       KIPC_RING_CONSUMER : KIPC_RING_PRODUCER,
				       0600, &ring);
		KT_CHILD_EXPECT(0, ret);
		h = kipc_ring_fd(ring);
		tell(to_main, 'r');
		KT_CHILD_EXPECT(0, kt_region_waiters(h, 1));
		break;
	default:
		_exit(2);
	}
	if (s == S_BRECV) {
		/* Stream batches at B until killed or told to check. */
		struct pollfd pfd = { .fd = from_main, .events = POLLIN };

		tell(to_main, 'b');
		while (poll(&pfd, 1, 0) == 0) {
			n = kt_range(r, 1, 16);
			for (i = 0; i < n; i++)
				put_id(&m[i], &bufs[i], sent + i);
			ret = kipc_sendv(h, m, n, 10 * MS);
			if (ret == -ETIMEDOUT)
				continue;
			KT_CHILD_CHECK(ret > 0, "sendv: %d", ret);
			sent += ret;
		}
	} else {
		tell(to_main, 'b');
	}
	KT_CHILD_EXPECT('c', hear(from_main));

	/* B was killed: the object must still work and have lost nothing. */
	switch (s) {
	case S_QSEND:
		KT_CHILD_EXPECT(0, kt_wait_blocked(h, 0, 0));
		KT_CHILD_EXPECT(0, kipc_queue_stat(h, &st));
		KT_CHILD_EXPECT(0, st.blocked_senders);
		KT_CHILD_EXPECT(1, st.depth_msgs);
		KT_CHILD_EXPECT(1, kipc_recv(h, NULL, rec, sizeof(rec), NULL, 0));
		KT_CHILD_EXPECT('a', rec[0]);
		KT_CHILD_EXPECT(0, kipc_send(h, 1, 0, "b", 1, 0));
		KT_CHILD_EXPECT(1, kipc_recv(h, NULL, rec, sizeof(rec), NULL, 0));
		break;
	case S_QRECV:
		/* Not handed to the dead receiver. */
		KT_CHILD_EXPECT(0, kipc_queue_stat(h, &st));
		KT_CHILD_EXPECT(0, st.blocked_receivers);
		KT_CHILD_EXPECT(0, kipc_send(h, 2, 0, "c", 1, 0));
		KT_CHILD_EXPECT(1, kipc_recv(h, NULL, rec, sizeof(rec), NULL, 0));
		KT_CHILD_EXPECT('c', rec[0]);
		break;
	case S_BSEND:
	case S_BRECV:
		/* Whatever B did not take is still queued, in order. */
		for (;;) {
			put_id(&m[0], &bufs[0], 0);
			ret = kipc_recvv(h, NULL, m, 1, 0);
			if (ret == -EAGAIN)
				break;
			KT_CHILD_EXPECT(1, ret);
			if (s == S_BSEND)
				KT_CHILD_EXPECT(next, bufs[0]);
			next++;
		}
		KT_CHILD_EXPECT(0, kipc_queue_stat(h, &st));
		KT_CHILD_EXPECT(0, st.blocked_senders + st.blocked_receivers);
		KT_CHILD_EXPECT(0, st.depth_msgs);
		KT_CHILD_EXPECT(st.sent, st.received);
		if (s == S_BSEND) {
			KT_CHILD_EXPECT(st.sent, next);
			KT_CHILD_CHECK(next >= 8 && next < BATCH, "B sent %u", next);
		} else {
			KT_CHILD_EXPECT(sent, st.sent);
		}
		break;
	case S_WAIT:
	case S_LOCK:
		KT_CHILD_EXPECT(0, kipc_region_stat(h, &rs));
		KT_CHILD_EXPECT(0, rs.waiters);
		if (s == S_WAIT) {
			KT_CHILD_EXPECT(0, kipc_wake(h, 64, 1));
		} else {
			KT_CHILD_EXPECT(0, kipc_unlock(h, 0));
			KT_CHILD_EXPECT(0, kipc_lock(h, 0, 0));
			KT_CHILD_EXPECT(0, kipc_unlock(h, 0));
		}
		break;
	case S_EVWAIT:
		KT_CHILD_EXPECT(0, kipc_event_post(h, 1));
		KT_CHILD_EXPECT(0, kipc_event_wait(h, &ev, 0));
		KT_CHILD_EXPECT(1, ev);
		break;
	case S_RSEND:
		/* Everything B published is intact, then EPIPE. */
		for (n = 0;; n++) {
			ssize_t len = kipc_ring_recv(ring, rec, sizeof(rec), &v, 0);

			if (len == -EPIPE)
				break;
			KT_CHILD_EXPECT(sizeof(rec), len);
			KT_CHILD_CHECK(rec[0] == 0x5a && rec[511] == 0x5a, "record %d", n);
		}
		KT_CHILD_CHECK(n >= 1, "no record");
		break;
	case S_RRECV:
		KT_CHILD_EXPECT(-EPIPE, kipc_ring_send(ring, 1, rec, 8, 0));
		break;
	default:
		break;
	}
	_exit(0);
}

static int storm_one(enum scen s, uint64_t it, struct kt_rng *r,
		     struct storm_stat *ss)
{
	int kill_a = kt_below(r, 2), a2m[2], m2a[2], st;
	struct kt_rng ar, br;
	char name[64];
	pid_t a, b;

	kt_seed(&ar, k_seed, (it * S_NR + s) * 2 + 1000);
	kt_seed(&br, k_seed, (it * S_NR + s) * 2 + 1001);
	kt_name_n(name, sizeof(name), scen_name[s], it);
	KT_CHILD_CHECK(pipe2(a2m, O_CLOEXEC) == 0 && pipe2(m2a, O_CLOEXEC) == 0,
		       "pipe");
	a = kt_fork();
	if (!a) {
		close(a2m[0]);
		close(m2a[1]);
		storm_a(s, name, a2m[1], m2a[0], &ar);
	}
	close(a2m[1]);
	close(m2a[0]);
	KT_CHILD_CHECK(hear(a2m[0]) == 'r', "A did not start (%s)", scen_name[s]);
	b = kt_fork();
	if (!b)
		storm_b(s, name, &br);
	if (hear(a2m[0]) != 'b') {
		kill(b, SIGKILL);
		kt_reap(b);
		kt_log("iteration %" PRIu64 " (%s): A failed: %d", it,
		       scen_name[s], kt_reap(a));
		return -1;
	}
	/* In the middle of a stream: let it run a little first. */
	if (s == S_BRECV)
		kt_sleep_us(kt_below(r, 20000));
	if (kill_a) {
		kill(a, SIGKILL);
		KT_CHILD_EXPECT(128 + SIGKILL, kt_reap(a));
		st = kt_reap_within(b, TMO_MS);
		if (st == -2) {
			kt_log("iteration %" PRIu64 " (%s): B hung after A's death",
			       it, scen_name[s]);
			kill(b, SIGKILL);
			kt_reap(b);
			return -1;
		}
		if (st) {
			kt_log("iteration %" PRIu64 " (%s, A killed): B status %d",
			       it, scen_name[s], st);
			return -1;
		}
		ss->kills_a[s]++;
	} else {
		kill(b, SIGKILL);
		st = kt_reap(b);
		if (st != 128 + SIGKILL) {
			kt_log("iteration %" PRIu64 " (%s): B returned early: %d",
			       it, scen_name[s], st);
			kill(a, SIGKILL);
			kt_reap(a);
			return -1;
		}
		tell(m2a[1], 'c');
		st = kt_reap_within(a, TMO_MS);
		if (st) {
			kt_log("iteration %" PRIu64 " (%s, B killed): A status %d",
			       it, scen_name[s], st);
			if (st == -2) {
				kill(a, SIGKILL);
				kt_reap(a);
			}
			return -1;
		}
		ss->kills_b[s]++;
	}
	close(a2m[0]);
	close(m2a[1]);
	return 0;
}

FIXTURE(storm) {
	int unused;
};

FIXTURE_VARIANT(storm) {
	enum scen scen;
};

FIXTURE_VARIANT_ADD(storm, send) { .scen = S_QSEND };
FIXTURE_VARIANT_ADD(storm, recv) { .scen = S_QRECV };
FIXTURE_VARIANT_ADD(storm, wait) { .scen = S_WAIT };
FIXTURE_VARIANT_ADD(storm, lock) { .scen = S_LOCK };
FIXTURE_VARIANT_ADD(storm, event_wait) { .scen = S_EVWAIT };
FIXTURE_VARIANT_ADD(storm, ring_send) { .scen = S_RSEND };
FIXTURE_VARIANT_ADD(storm, ring_recv) { .scen = S_RRECV };
FIXTURE_VARIANT_ADD(storm, batch_send) { .scen = S_BSEND };
FIXTURE_VARIANT_ADD(storm, batch_recv) { .scen = S_BRECV };

FIXTURE_SETUP(storm)
{
	KT_REQUIRE_KIPC();
}

FIXTURE_TEARDOWN(storm)
{
}

/*
 * KILLS in all, shared out among the scenarios (the first KILLS % S_NR
 * get one more): each kills the blocked process or the owner, at random.
 */
TEST_F(storm, kill9)
{
	enum scen s = variant->scen;
	uint64_t it, n = k_kills / S_NR + (s < k_kills % S_NR);
	struct storm_stat ss;
	struct kt_rng r;
	int64_t t0 = kt_now_ns();
	long base, live;
	int fails = 0;

	memset(&ss, 0, sizeof(ss));
	kt_seed(&r, k_seed, 1 + s);
	base = kt_live_objects();
	for (it = 0; it < n; it++)
		if (storm_one(s, it, &r, &ss))
			fails++;
	live = kt_live_settle(base, 5000);
	kt_log("storm %s: %" PRIu64 " kills (blocked process %" PRIu64
	       ", owner %" PRIu64 ") in %.1f s, %d failed; live_objects "
	       "%ld -> %ld", scen_name[s], ss.kills_a[s] + ss.kills_b[s],
	       ss.kills_b[s], ss.kills_a[s], (kt_now_ns() - t0) / 1e9, fails,
	       base, live);
	EXPECT_EQ(0, fails);
	EXPECT_EQ(n, ss.kills_a[s] + ss.kills_b[s]);
	ASSERT_LE(0, base);
	EXPECT_EQ(base, live);
}

/* --- close racing epoll, poll and ioctl ------------------------------ */

struct race {
	_Atomic int stop;
	int kind;
	int h1, h2, ep1, ep2;
	_Atomic uint64_t calls;
};

static void *race_epoll(void *arg)
{
	struct race *rc = arg;
	struct epoll_event ev[4];
	int ret, ep = rc->ep1;

	while (!atomic_load(&rc->stop)) {
		ret = epoll_wait(ep, ev, 4, 5);
		KT_CHILD_CHECK(ret >= 0 || errno == EBADF || errno == EINVAL ||
			       errno == EINTR, "epoll_wait: %s", strerror(errno));
		atomic_fetch_add(&rc->calls, 1);
	}
	return NULL;
}

static void *race_poll(void *arg)
{
	struct race *rc = arg;
	struct pollfd pfd;
	int ret;

	while (!atomic_load(&rc->stop)) {
		pfd.fd = rc->h2;
		pfd.events = POLLIN | POLLOUT;
		ret = poll(&pfd, 1, 5);
		KT_CHILD_CHECK(ret >= 0, "poll: %s", strerror(errno));
		atomic_fetch_add(&rc->calls, 1);
	}
	return NULL;
}

static void *race_ioctl(void *arg)
{
	struct race *rc = arg;
	unsigned char buf[64];
	uint64_t v;
	int ret = 0;

	while (!atomic_load(&rc->stop)) {
		switch (rc->kind) {
		case 0:
			ret = kipc_recv(rc->h1, NULL, buf, sizeof(buf), NULL,
					20 * MS);
			break;
		case 1:
			ret = kipc_wait(rc->h1, 0, 0, 20 * MS);
			break;
		case 2:
			ret = kipc_event_wait(rc->h1, &v, 20 * MS);
			break;
		}
		/*
		 * Closed under us (EBADF), the number taken by another file
		 * (ENOTTY, EINVAL), or the owner gone (EPIPE).
		 */
		KT_CHILD_CHECK(ret >= 0 || ret == -ETIMEDOUT || ret == -EPIPE ||
			       ret == -EBADF || ret == -ENOTTY || ret == -EINVAL ||
			       ret == -EAGAIN, "ioctl: %s", strerror(-ret));
		atomic_fetch_add(&rc->calls, 1);
	}
	return NULL;
}

static int race_one(int kind, uint64_t it, struct kt_rng *r,
		    uint64_t *calls)
{
	struct race rc = { .kind = kind };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLHUP };
	int tick[2], i, order[5], n, t;
	char name[64], c;
	pthread_t th[3];
	pid_t owner;

	kt_name_n(name, sizeof(name), "race", it);
	KT_CHILD_CHECK(pipe2(tick, O_CLOEXEC) == 0, "pipe");
	owner = kt_fork();
	if (!owner) {
		int h;

		switch (rc.kind) {
		case 0: h = kipc_queue_create(name, NULL, 0, 0600); break;
		case 1: h = kipc_region_create(name, 4096, 0, 0600); break;
		default: h = kipc_event_create(name, KIPC_EVENT_FLAG, 0, 0, 0600);
		}
		KT_CHILD_CHECK(h >= 0, "create: %s", strerror(-h));
		tell(tick[1], 'r');
		pause();
		_exit(0);
	}
	KT_CHILD_CHECK(read(tick[0], &c, 1) == 1, "owner did not start");
	switch (rc.kind) {
	case 0: rc.h1 = kipc_queue_open(name, KIPC_RDWR); break;
	case 1: rc.h1 = kipc_region_open(name, KIPC_RDWR); break;
	default: rc.h1 = kipc_event_open(name, KIPC_RDWR);
	}
	KT_CHILD_CHECK(rc.h1 >= 0, "open: %s", strerror(-rc.h1));
	rc.h2 = dup(rc.h1);
	rc.ep1 = epoll_create1(EPOLL_CLOEXEC);
	rc.ep2 = epoll_create1(EPOLL_CLOEXEC);
	KT_CHILD_CHECK(epoll_ctl(rc.ep1, EPOLL_CTL_ADD, rc.h1, &ev) == 0, "epoll_ctl");
	KT_CHILD_CHECK(epoll_ctl(rc.ep2, EPOLL_CTL_ADD, rc.h2, &ev) == 0, "epoll_ctl");
	/* ep2 watches through ep1 too: nested epoll. */
	KT_CHILD_CHECK(epoll_ctl(rc.ep1, EPOLL_CTL_ADD, rc.ep2, &ev) == 0, "epoll_ctl");
	pthread_create(&th[0], NULL, race_epoll, &rc);
	pthread_create(&th[1], NULL, race_poll, &rc);
	pthread_create(&th[2], NULL, race_ioctl, &rc);

	/* Close h1, close h2, close ep1, close ep2, kill the owner. */
	for (i = 0; i < 5; i++)
		order[i] = i;
	for (i = 4; i > 0; i--) {
		n = kt_below(r, i + 1);
		t = order[i];
		order[i] = order[n];
		order[n] = t;
	}
	kt_sleep_us(kt_below(r, 3000));
	for (i = 0; i < 5; i++) {
		switch (order[i]) {
		case 0: close(rc.h1); break;
		case 1: close(rc.h2); break;
		case 2: close(rc.ep1); break;
		case 3: close(rc.ep2); break;
		case 4: kill(owner, SIGKILL); break;
		}
		if (kt_one_in(r, 2))
			kt_sleep_us(kt_below(r, 2000));
	}
	kt_sleep_us(kt_below(r, 5000));
	atomic_store(&rc.stop, 1);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	KT_CHILD_EXPECT(128 + SIGKILL, kt_reap(owner));
	close(tick[0]);
	close(tick[1]);
	*calls += rc.calls;
	return 0;
}

FIXTURE(close_race) {
	int unused;
};

FIXTURE_VARIANT(close_race) {
	int kind;	/* race_ioctl()'s: 0 queue, 1 region, 2 event */
};

FIXTURE_VARIANT_ADD(close_race, queue) { .kind = 0 };
FIXTURE_VARIANT_ADD(close_race, region) { .kind = 1 };
FIXTURE_VARIANT_ADD(close_race, event) { .kind = 2 };

FIXTURE_SETUP(close_race)
{
	KT_REQUIRE_KIPC();
}

FIXTURE_TEARDOWN(close_race)
{
}

/* RACES rounds in all, shared out among the three kinds. */
TEST_F(close_race, epoll_poll_ioctl)
{
	uint64_t it, calls = 0, n = k_races / 3 + (variant->kind < k_races % 3);
	struct kt_rng r;
	long base, live;
	int64_t t0 = kt_now_ns();

	kt_seed(&r, k_seed, 2 + variant->kind);
	base = kt_live_objects();
	for (it = 0; it < n; it++)
		ASSERT_EQ(0, race_one(variant->kind, it, &r, &calls));
	live = kt_live_settle(base, 5000);
	kt_log("close_race: %" PRIu64 " rounds, %" PRIu64 " calls in %.1f s; "
	       "live_objects %ld -> %ld", n, calls,
	       (kt_now_ns() - t0) / 1e9, base, live);
	/* Every round's threads made calls while the fds went. */
	EXPECT_LE(n, calls);
	ASSERT_LE(0, base);
	EXPECT_EQ(base, live);
}

/* --- module cycles --------------------------------------------------- */

static const char *ko_path(void)
{
	const char *p = getenv("KIPC_KO_PATH");

	return p ? p : "/lib/modules/kipc.ko";
}

static int mod_load(void)
{
	int fd = open(ko_path(), O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

static int mod_unload(void)
{
	return syscall(SYS_delete_module, "kipc", O_NONBLOCK) ? -errno : 0;
}

/* Why is the module still in use?  Our fds, kipc mappings and refcnt. */
static void mod_users(void)
{
	char path[64], link[256], line[512];
	FILE *fp;
	int fd;

	for (fd = 0; fd < 64; fd++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			kt_log("  fd %d -> %s", fd, link);
		}
	}
	fp = fopen("/proc/self/maps", "re");
	while (fp && fgets(line, sizeof(line), fp))
		if (strstr(line, "kipc"))
			kt_log("  map %s", line);
	if (fp)
		fclose(fp);
	fp = fopen("/sys/module/kipc/refcnt", "re");
	if (fp && fgets(line, sizeof(line), fp))
		kt_log("  refcnt %s", line);
	if (fp)
		fclose(fp);
}

/*
 * libkipc keeps one /dev/kipc context per process for its create and open
 * calls, open until exit: close it (every /dev/kipc fd but @keep), so
 * that only what the cycle holds on purpose keeps the module busy.  The
 * cycle makes no library call that needs it afterwards.
 */
static void drop_lib_ctx(int keep)
{
	char path[64], link[64];
	int fd;

	for (fd = 3; fd < 256; fd++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0 || fd == keep)
			continue;
		link[n] = '\0';
		if (!strcmp(link, KIPC_DEV))
			close(fd);
	}
}

/* One cycle: load, hold something, rmmod refused, release, rmmod. */
struct lock_arg {
	int r;
	size_t off;
	int ret;
};

static void *lock_thread(void *arg)
{
	struct lock_arg *a = arg;

	a->ret = kipc_lock(a->r, a->off, 0);
	return NULL;
}

/* kipc_lock() in a thread that ends holding the lock. */
static int lock_in_thread(int r, size_t off)
{
	struct lock_arg a = { .r = r, .off = off, .ret = 1 };
	pthread_t t;

	if (pthread_create(&t, NULL, lock_thread, &a))
		return -EAGAIN;
	pthread_join(t, NULL);
	return a.ret;
}

static int cycle_one(uint64_t c, uint64_t *refused)
{
	struct kipc_queue_attr qa = { .max_msgs = 16 };
	struct kt_rng rng, *r = &rng;
	int what, ctx = -1, h = -1, h2 = -1, ret;
	struct kipcnl *gnl = NULL;
	struct kipc_ring *ring = NULL;
	char name[64], msg[300];
	void *p = MAP_FAILED;
	pid_t child = 0;
	int i, pip[2];
	long live;

	kt_seed(r, k_seed, 3000 + c);
	what = kt_below(r, 8);
	KT_CHILD_EXPECT(0, mod_load());
	live = kt_live_objects();
	KT_CHILD_EXPECT(0, live);
	kt_name_n(name, sizeof(name), "cycle", c);
	switch (what) {
	case 0:		/* a context */
		ctx = open(KIPC_DEV, O_RDWR | O_CLOEXEC);
		KT_CHILD_CHECK(ctx >= 0, "open: %s", strerror(errno));
		break;
	case 1:		/* a queue with messages left in it */
		h = kipc_queue_create(name, &qa, 0, 0600);
		KT_CHILD_CHECK(h >= 0, "create: %d", h);
		for (i = 0; i < 16; i++) {
			memset(msg, i, sizeof(msg));
			KT_CHILD_EXPECT(0, kipc_send(h, 1 + i, i % 32, msg,
						     i * 19 % sizeof(msg), 0));
		}
		h2 = kipc_queue_open(name, KIPC_RDONLY);
		KT_CHILD_CHECK(h2 >= 0, "open: %d", h2);
		break;
	case 2:		/* a mapping whose handle is closed */
		h = kipc_region_create(NULL, 3 * 4096, 0, 0600);
		KT_CHILD_CHECK(h >= 0, "create: %d", h);
		KT_CHILD_EXPECT(0, kipc_lock_init(h, 8));
		/*
		 * A lock left held by a thread that ended: the thread's own
		 * handle (libkipc's) went with it, the word stays owner-died.
		 */
		KT_CHILD_EXPECT(0, lock_in_thread(h, 8));
		p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, h, 0);
		KT_CHILD_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
		close(h);
		h = -1;
		((volatile char *)p)[5000] = 1;
		break;
	case 3:		/* a ring with both roles taken */
		KT_CHILD_EXPECT(0, kipc_ring_create(name, 4096, KIPC_RING_PRODUCER,
						    0600, &ring));
		h2 = -1;
		{
			struct kipc_ring *peer;

			KT_CHILD_EXPECT(0, kipc_ring_open(name, KIPC_RDWR, &peer));
			KT_CHILD_EXPECT(0, kipc_ring_send(ring, 3, "ring", 4, 0));
			/* The consumer side stays open through h2's fd. */
			h2 = dup(kipc_ring_fd(peer));
			kipc_ring_close(peer);
		}
		break;
	case 4:		/* a handle held by a child */
		h = kipc_event_create(name, KIPC_EVENT_COUNTER, 5, 0, 0600);
		KT_CHILD_CHECK(h >= 0, "create: %d", h);
		KT_CHILD_CHECK(pipe2(pip, O_CLOEXEC) == 0, "pipe");
		child = kt_fork();
		if (!child) {
			close(pip[1]);
			/* EOF when the parent closes its end: go. */
			while (read(pip[0], msg, 1) > 0)
				;
			_exit(0);
		}
		close(pip[0]);
		close(h);		/* only the child holds it now */
		h = pip[1];		/* closing it ends the child */
		break;
	case 5:		/* persistent objects, no handle: rmmod frees them */
		for (i = 0; i < 3; i++) {
			char n2[80];

			snprintf(n2, sizeof(n2), "%s.%d", name, i);
			h = i == 0 ? kipc_queue_create(n2, &qa, KIPC_PERSIST, 0600) :
			    i == 1 ? kipc_region_create(n2, 8192, KIPC_PERSIST, 0600) :
				     kipc_event_create(n2, KIPC_EVENT_FLAG, 1,
						       KIPC_PERSIST, 0600);
			KT_CHILD_CHECK(h >= 0, "create %s: %d", n2, h);
			if (i == 0)
				KT_CHILD_EXPECT(0, kipc_send(h, 1, 0, "p", 1, 0));
			close(h);
		}
		h = -1;
		KT_CHILD_EXPECT(3, kt_live_objects());
		break;
	case 6:		/* a netlink event subscriber outlives the module */
		ret = kipcnl_open(&gnl);
		KT_CHILD_CHECK(!ret, "netlink: %s", strerror(-ret));
		KT_CHILD_EXPECT(0, kipcnl_subscribe(gnl));
		h = kipc_queue_create(name, NULL, 0, 0600);
		KT_CHILD_CHECK(h >= 0, "create: %d", h);
		break;
	default:	/* an epoll set holding a handle, and the handle */
		h = kipc_queue_create(name, NULL, 0, 0600);
		KT_CHILD_CHECK(h >= 0, "create: %d", h);
		h2 = epoll_create1(EPOLL_CLOEXEC);
		{
			struct epoll_event ev = { .events = EPOLLIN };

			KT_CHILD_CHECK(epoll_ctl(h2, EPOLL_CTL_ADD, h, &ev) == 0,
				       "epoll_ctl: %s", strerror(errno));
		}
		break;
	}

	drop_lib_ctx(ctx);
	if (what != 5 && what != 6) {
		KT_CHILD_EXPECT(-EWOULDBLOCK, mod_unload());
		(*refused)++;
	}
	/* Release everything, in the order a crashing program might. */
	if (ring)
		kipc_ring_close(ring);
	if (ctx >= 0)
		close(ctx);
	if (h >= 0)
		close(h);
	if (child)
		KT_CHILD_EXPECT(0, kt_reap(child));
	if (what == 2 || what == 3 || what == 7) {
		/* One reference is left: a mapping, a ring side or a handle. */
		if (what == 7) {
			/* the epoll set does not pin the module; h did */
			close(h2);
			h2 = -1;
		} else {
			KT_CHILD_EXPECT(-EWOULDBLOCK, mod_unload());
			(*refused)++;
		}
	}
	if (p != MAP_FAILED)
		munmap(p, 3 * 4096);
	if (h2 >= 0)
		close(h2);
	i = mod_unload();
	if (i) {
		kt_log("cycle %" PRIu64 " (case %d): rmmod: %s", c, what,
		       strerror(-i));
		mod_users();
		return 1;
	}
	if (gnl) {
		/* The family is gone; closing the subscriber is harmless. */
		KT_CHILD_EXPECT(-ENOENT, kipcnl_resolve(gnl));
		kipcnl_close(gnl);
	}
	return 0;
}

FIXTURE(module) {
	int unused;
};

FIXTURE_SETUP(module)
{
}

FIXTURE_TEARDOWN(module)
{
}

/* Last: the module is unloaded and loaded again under everything else. */
TEST_F(module, cycles)
{
	uint64_t c, *refused = kt_shared(sizeof(*refused));
	int64_t t0;
	int ret;

	if (access(ko_path(), R_OK))
		KT_SKIP(return, "no %s (not in the test VM?)", ko_path());
	ASSERT_NE(NULL, refused);
	/*
	 * The suite loaded the module; nothing of ours holds it now, but the
	 * processes of the binary before may still be exiting: give them 10 s.
	 */
	for (c = 0; (ret = mod_unload()) == -EWOULDBLOCK && c < 100; c++)
		kt_sleep_us(100000);
	if (ret == -ENOENT)
		KT_SKIP(return, "kipc is not loaded (built in?)");
	if (ret)
		mod_users();
	ASSERT_EQ(0, ret);
	if (c)
		kt_log("module_cycles: the module was busy for %.1f s", c / 10.0);
	t0 = kt_now_ns();
	for (c = 0; c < k_cycles; c++) {
		pid_t pid = kt_fork();

		/* A child per cycle: a failed check cannot leave fds here. */
		if (!pid)
			_exit(cycle_one(c, refused));
		if (kt_reap(pid)) {
			kt_log("cycle %" PRIu64 " failed", c);
			mod_unload();
			ASSERT_EQ(0, mod_load());
			ASSERT_TRUE(0);
		}
	}
	ASSERT_EQ(0, mod_load());
	ASSERT_TRUE(access(KIPC_DEV, F_OK) == 0) {
		TH_LOG(KIPC_DEV " missing after reload");
	}
	kt_log("module_cycles: %" PRIu64 " insmod/rmmod cycles in %.1f s, "
	       "rmmod refused %" PRIu64 " times while in use", k_cycles,
	       (kt_now_ns() - t0) / 1e9, *refused);
}

/* --------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct kt_knob knobs[] = {
		{ "kills", &k_kills, "storm iterations (one kill each)", 2 },
		{ "races", &k_races, "close-race rounds", 2 },
		{ "cycles", &k_cycles, "insmod/rmmod cycles", 2 },
		{ "seed", &k_seed, "random seed", 0 },
		{ "case_timeout", &k_case_timeout, "seconds before a test is hung", 0 },
		{ NULL }
	};

	return kt_harness_main("FAULTS", "kipc_faults", knobs,
			       &k_case_timeout, NULL, argc, argv);
}
