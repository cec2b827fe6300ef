// SPDX-License-Identifier: GPL-2.0
/*
 * kipc load tests: many processes at once on one object, with exact
 * accounting afterwards.
 *
 * queue_load.{block,drop_new,drop_oldest,conflate}.four_by_four:
 *	4 producers x 4 consumers (processes), MESSAGES messages of random
 *	types, priorities (0..31) and sizes (8 B .. 16 KiB, so every payload
 *	cache and the kvmalloc path), sent and received in random batches;
 *	the consumers start once the queue has filled, so every policy
 *	meets a full queue (and DROP_NEW, DROP_OLDEST and CONFLATE must
 *	have dropped or conflated something).
 *	Every message is checked (length, type, priority, sender pid and
 *	payload), none may arrive twice, and each consumer must see each
 *	producer's messages of one priority in the order they were sent.
 *	Afterwards: stat sent == MESSAGES, received == what the consumers
 *	got, dropped_new == what the producers were told was dropped, and
 *	every message not received is accounted for by exactly one counter.
 *	BLOCK (and CONFLATE, over BLOCK) must deliver or conflate all.
 * locks:	4 processes contend for two robust locks and check mutual
 *	exclusion with a non-atomic counter.
 * wait_wake:	a baton passed among 4 processes with untimed kipc_wait()
 *	(a lost wakeup hangs, and the test fails on its time limit), while a
 *	fifth process wakes and tries random words.
 * rings:	a ring at full speed with random record sizes, copy and
 *	zero-copy, checked record by record.
 * event_load.{semaphore,counter}.posters_and_waiters:
 *	posts and waits from several processes,
 *	units conserved exactly, then owner death wakes the rest.
 * mmap_close:	threads mmap, touch and munmap a region's handle while
 *	others close and reopen it under them and the owner dies and is
 *	recreated; then live_objects must come back to where it was.
 *
 * Every test runs in a child of its own under the kselftest harness.
 * Sizes: --messages (KIPC_STRESS_MESSAGES), --rounds (KIPC_STRESS_ROUNDS)
 * for the region tests, --seed, --case_timeout (the harness's time limit
 * per test); see struct kt_knob in lib/kt.h.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "lib/kt_harness.h"

static uint64_t k_messages = 4000;	/* per queue case */
static uint64_t k_rounds = 500;		/* per region case */
static uint64_t k_seed = 1;
static uint64_t k_case_timeout = 300;

#define NPROD		4
#define NCONS		4
#define QMAX_SIZE	16384U
#define NTYPES		8
#define MAX_BATCH	16

/* --- queues ---------------------------------------------------------- */

struct qshared {
	_Atomic int go;		/* the consumers start */
	_Atomic uint64_t received[NCONS];
	_Atomic uint64_t dropped_reported;
	pid_t prod_pid[NPROD];
	_Atomic uint8_t bits[];	/* per message: 1 received, 2 dropped */
};

/* The first 8 bytes of every payload: id and a check of the header. */
static uint32_t q_check(uint32_t id, uint32_t type, uint32_t prio,
			uint32_t len)
{
	return (uint32_t)kt_mix(id, (uint64_t)type << 40 | (uint64_t)prio << 32 | len);
}

static void q_fill(unsigned char *p, uint32_t id, uint32_t type,
		   uint32_t prio, uint32_t len)
{
	uint32_t i, c = q_check(id, type, prio, len);
	uint64_t x = kt_mix(id, 7);

	memcpy(p, &id, 4);
	memcpy(p + 4, &c, 4);
	for (i = 8; i < len; i++)
		p[i] = (unsigned char)(x >> ((i & 7) * 8)) ^ (unsigned char)(i >> 3);
}

static int q_verify(const unsigned char *p, const struct kipc_msg *m,
		    uint32_t *idp)
{
	uint32_t id, c, i;
	uint64_t x;

	if (m->len < 8)
		return -1;
	memcpy(&id, p, 4);
	memcpy(&c, p + 4, 4);
	if (c != q_check(id, m->type, m->prio, m->len))
		return -2;
	x = kt_mix(id, 7);
	for (i = 8; i < m->len; i++)
		if (p[i] != ((unsigned char)(x >> ((i & 7) * 8)) ^
			     (unsigned char)(i >> 3)))
			return -3;
	*idp = id;
	return 0;
}

static uint32_t q_len(struct kt_rng *r)
{
	if (kt_one_in(r, 64))
		return kt_range(r, 4097, QMAX_SIZE);	/* kvmalloc */
	if (kt_one_in(r, 8))
		return kt_range(r, 1024, 4000);		/* 4k cache */
	return kt_range(r, 8, 900);			/* 256 and 1k */
}

static void q_producer(const char *name, int p, uint32_t first, uint32_t n,
		       struct qshared *sh)
{
	struct kipc_msg m[MAX_BATCH];
	unsigned char *buf[MAX_BATCH];
	struct kt_rng r;
	uint32_t done = 0, b, i, acc;
	int q, ret;

	kt_seed(&r, k_seed, 100 + p);
	q = kipc_queue_open(name, KIPC_WRONLY);
	KT_CHILD_CHECK(q >= 0, "open: %s", strerror(-q));
	for (i = 0; i < MAX_BATCH; i++)
		buf[i] = malloc(QMAX_SIZE);
	while (done < n) {
		b = kt_range(&r, 1, MAX_BATCH);
		if (b > n - done)
			b = n - done;
		for (i = 0; i < b; i++) {
			memset(&m[i], 0, sizeof(m[i]));
			m[i].type = kt_range(&r, 1, NTYPES);
			m[i].prio = kt_below(&r, 32);
			m[i].len = q_len(&r);
			m[i].data = buf[i];
			q_fill(buf[i], first + done + i, m[i].type, m[i].prio,
			       m[i].len);
		}
		for (acc = 0; acc < b; acc += ret) {
			if (b == 1 && kt_one_in(&r, 2)) {
				ret = kipc_send(q, m[0].type, m[0].prio,
						m[0].data, m[0].len, -1);
				KT_CHILD_CHECK(ret == 0 || ret == KIPC_DROPPED,
					       "send: %d", ret);
				m[0].flags = ret == KIPC_DROPPED ?
					     KIPC_MSG_DROPPED : 0;
				ret = 1;
			} else {
				ret = kipc_sendv(q, m + acc, b - acc, -1);
				KT_CHILD_CHECK(ret > 0, "sendv: %s", strerror(-ret));
			}
		}
		for (i = 0; i < b; i++) {
			if (!(m[i].flags & KIPC_MSG_DROPPED))
				continue;
			atomic_fetch_or(&sh->bits[first + done + i], 2);
			atomic_fetch_add(&sh->dropped_reported, 1);
		}
		done += b;
	}
	_exit(0);
}

/* Receive until EPIPE; check each message and the per-(producer, prio) order. */
static void q_consumer(const char *name, int c, uint32_t per, uint64_t total,
		       struct qshared *sh)
{
	static int64_t last[NPROD][32];
	struct kipc_msg m[32];
	unsigned char *buf[32];
	struct kt_rng r;
	uint32_t id, i, p;
	int q, n, ret;

	kt_seed(&r, k_seed, 200 + c);
	memset(last, 0xff, sizeof(last));
	q = kipc_queue_open(name, KIPC_RDONLY);
	KT_CHILD_CHECK(q >= 0, "open: %s", strerror(-q));
	for (i = 0; i < 32; i++)
		buf[i] = malloc(QMAX_SIZE);
	while (!atomic_load(&sh->go))
		kt_sleep_us(1000);
	for (;;) {
		n = kt_range(&r, 1, 32);
		for (i = 0; i < (uint32_t)n; i++) {
			memset(&m[i], 0, sizeof(m[i]));
			m[i].data = buf[i];
			m[i].len = QMAX_SIZE;
		}
		if (n == 1 && kt_one_in(&r, 2)) {
			ssize_t len = kipc_recv(q, NULL, buf[0], QMAX_SIZE,
						&m[0], -1);

			ret = len < 0 ? (int)len : 1;
		} else {
			ret = kipc_recvv(q, NULL, m, n, -1);
		}
		if (ret == -EPIPE)
			break;
		KT_CHILD_CHECK(ret > 0 && ret <= n, "recv: %d (%s)", ret,
			       ret < 0 ? strerror(-ret) : "");
		for (i = 0; i < (uint32_t)ret; i++) {
			KT_CHILD_CHECK(q_verify(buf[i], &m[i], &id) == 0,
				       "corrupt message: type %u prio %u len %zu",
				       m[i].type, m[i].prio, m[i].len);
			KT_CHILD_CHECK(id < total, "id %u", id);
			p = id / per;
			KT_CHILD_CHECK(m[i].pid == sh->prod_pid[p],
				       "message %u: pid %d, producer %d", id,
				       m[i].pid, sh->prod_pid[p]);
			KT_CHILD_CHECK(!(atomic_fetch_or(&sh->bits[id], 1) & 1),
				       "message %u received twice", id);
			KT_CHILD_CHECK((int64_t)id > last[p][m[i].prio],
				       "producer %u prio %u: %u after %" PRId64,
				       p, m[i].prio, id, last[p][m[i].prio]);
			last[p][m[i].prio] = id;
		}
		atomic_fetch_add(&sh->received[c], ret);
	}
	_exit(0);
}

FIXTURE(queue_load) {
	int unused;
};

FIXTURE_VARIANT(queue_load) {
	uint32_t policy;
	uint32_t qflags;
	const char *tag;
};

FIXTURE_VARIANT_ADD(queue_load, block) {
	.policy = KIPC_POLICY_BLOCK, .tag = "block",
};

FIXTURE_VARIANT_ADD(queue_load, drop_new) {
	.policy = KIPC_POLICY_DROP_NEW, .tag = "dropnew",
};

FIXTURE_VARIANT_ADD(queue_load, drop_oldest) {
	.policy = KIPC_POLICY_DROP_OLDEST, .tag = "dropold",
};

/* CONFLATE over BLOCK: a full queue still blocks for a new type. */
FIXTURE_VARIANT_ADD(queue_load, conflate) {
	.policy = KIPC_POLICY_BLOCK, .qflags = KIPC_Q_CONFLATE,
	.tag = "conflate",
};

FIXTURE_SETUP(queue_load)
{
	KT_REQUIRE_KIPC();
}

FIXTURE_TEARDOWN(queue_load)
{
}

/*
 * NPROD producers and NCONS consumers (processes) on one queue; every
 * message is checked by its consumer, then the accounting here.
 */
TEST_F(queue_load, four_by_four)
{
	uint32_t per = (k_messages + NPROD - 1) / NPROD;
	uint64_t total = (uint64_t)per * NPROD, received = 0, lost = 0;
	uint64_t both = 0;
	struct kipc_queue_attr attr = {
		.max_msgs = 64,
		.max_msg_size = QMAX_SIZE,
		.max_bytes = 4 * QMAX_SIZE,
		.policy = variant->policy,
		.flags = variant->qflags,
	};
	struct kipc_queue_stat st;
	pid_t prod[NPROD], cons[NCONS];
	struct qshared *sh;
	char name[64];
	int64_t t0;
	uint64_t i;
	int q, p, c;

	sh = kt_shared(sizeof(*sh) + total);
	ASSERT_NE(NULL, sh);
	kt_name_n(name, sizeof(name), variant->tag, 0);
	q = kipc_queue_create(name, &attr, 0, 0600);
	ASSERT_LE(0, q);

	t0 = kt_now_ns();
	for (c = 0; c < NCONS; c++) {
		cons[c] = kt_fork();
		ASSERT_LE(0, cons[c]);
		if (!cons[c]) {
			close(q);
			q_consumer(name, c, per, total, sh);
		}
	}
	for (p = 0; p < NPROD; p++) {
		prod[p] = kt_fork();
		ASSERT_LE(0, prod[p]);
		if (!prod[p]) {
			close(q);
			sh->prod_pid[p] = getpid();
			q_producer(name, p, p * per, per, sh);
		}
		sh->prod_pid[p] = prod[p];
	}
	/*
	 * The consumers start once the queue has been full for a while (or
	 * 5 s have passed), so every policy meets a full queue even where
	 * consumers are faster than producers (the debug kernel).
	 */
	for (i = 0; i < 5000; i++) {
		ASSERT_EQ(0, kipc_queue_stat(q, &st));
		if (st.sent >= 4 * attr.max_msgs || st.sent == total ||
		    st.blocked_senders >= NPROD)
			break;
		kt_sleep_us(1000);
	}
	atomic_store(&sh->go, 1);
	for (p = 0; p < NPROD; p++)
		ASSERT_EQ(0, kt_reap(prod[p]));
	/* Receivers drain what is queued, then get EPIPE. */
	ASSERT_EQ(0, kipc_queue_shutdown(q));
	for (c = 0; c < NCONS; c++)
		ASSERT_EQ(0, kt_reap(cons[c]));

	ASSERT_EQ(0, kipc_queue_stat(q, &st));
	for (c = 0; c < NCONS; c++)
		received += sh->received[c];
	for (i = 0; i < total; i++) {
		lost += !sh->bits[i];
		both += sh->bits[i] == 3;
	}
	kt_log("%s: %" PRIu64 " messages in %.1f s: received %" PRIu64
	       " dropped_new %" PRIu64 " dropped_oldest %" PRIu64
	       " conflated %" PRIu64 " high_water %" PRIu64 " wakeups %" PRIu64,
	       variant->tag, total, (kt_now_ns() - t0) / 1e9, st.received,
	       st.dropped_new, st.dropped_oldest, st.conflated, st.high_water,
	       st.wakeups);
	EXPECT_EQ(total, st.sent);
	EXPECT_EQ(received, st.received);
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.depth_bytes);
	EXPECT_EQ(sh->dropped_reported, st.dropped_new);
	EXPECT_EQ(total, st.received + st.dropped_new + st.dropped_oldest +
		  st.conflated);
	/* Neither received nor reported dropped: evicted or replaced. */
	EXPECT_EQ(st.dropped_oldest + st.conflated, lost);
	/* None both received and reported dropped. */
	EXPECT_EQ(0, both);
	EXPECT_EQ(0, st.rejected);
	switch (variant->policy) {
	case KIPC_POLICY_BLOCK:
		EXPECT_EQ(0, st.dropped_new + st.dropped_oldest);
		if (!variant->qflags)
			EXPECT_EQ(total, received);
		break;
	case KIPC_POLICY_DROP_NEW:
		EXPECT_EQ(0, st.dropped_oldest + st.conflated);
		EXPECT_LT(0, st.dropped_new);
		break;
	case KIPC_POLICY_DROP_OLDEST:
		EXPECT_EQ(0, st.conflated);
		EXPECT_LT(0, st.dropped_oldest);
		break;
	}
	if (variant->qflags & KIPC_Q_CONFLATE)
		EXPECT_LT(0, st.conflated);
	close(q);
}

/* --- robust locks ---------------------------------------------------- */

#define NLOCKERS	4
#define LOCK_OFF(i)	((size_t)(i) * 64)
#define CTR_OFF(i)	(256 + (size_t)(i) * 64)
#define HOLDER_OFF(i)	(512 + (size_t)(i) * 64)

struct lshared {
	_Atomic uint64_t taken[2];
	_Atomic uint64_t timeouts;
};

static void locker(const char *name, int id, uint64_t rounds,
		   struct lshared *sh)
{
	volatile uint32_t *ctr, *holder;
	struct kt_rng r;
	unsigned char *base;
	size_t size;
	void *addr;
	uint64_t i;
	int fd, l, ret, spin;
	int64_t tmo;

	kt_seed(&r, k_seed, 300 + id);
	fd = kipc_region_open(name, KIPC_RDWR);
	KT_CHILD_CHECK(fd >= 0, "open: %s", strerror(-fd));
	KT_CHILD_EXPECT(0, kipc_region_map(fd, &addr, &size));
	base = addr;
	for (i = 0; i < rounds; i++) {
		l = kt_below(&r, 2);
		switch (kt_below(&r, 4)) {
		case 0: tmo = 0; break;
		case 1: tmo = kt_range(&r, 1, 2000) * 1000; break;
		default: tmo = -1; break;
		}
		ret = kipc_lock(fd, LOCK_OFF(l), tmo);
		if (ret == -EAGAIN || ret == -ETIMEDOUT) {
			KT_CHILD_CHECK(tmo >= 0, "%s with no timeout", strerror(-ret));
			atomic_fetch_add(&sh->timeouts, 1);
			continue;
		}
		KT_CHILD_EXPECT(0, ret);
		holder = (volatile uint32_t *)(base + HOLDER_OFF(l));
		ctr = (volatile uint32_t *)(base + CTR_OFF(l));
		KT_CHILD_CHECK(*holder == 0, "lock %d held by %u too", l, *holder);
		*holder = id + 1;
		*ctr = *ctr + 1;
		for (spin = kt_below(&r, 200); spin > 0; spin--)
			__asm__ volatile("" ::: "memory");
		if (kt_one_in(&r, 16))
			sched_yield();
		KT_CHILD_CHECK(*holder == (uint32_t)id + 1, "lock %d stolen by %u",
			       l, *holder);
		*holder = 0;
		atomic_fetch_add(&sh->taken[l], 1);
		KT_CHILD_EXPECT(0, kipc_unlock(fd, LOCK_OFF(l)));
	}
	_exit(0);
}

TEST(locks)
{
	struct lshared *sh = kt_shared(sizeof(*sh));
	pid_t pid[NLOCKERS];
	unsigned char *base;
	char name[64];
	size_t size;
	void *addr;
	int r, i;

	KT_REQUIRE_KIPC();
	ASSERT_NE(NULL, sh);
	kt_name_n(name, sizeof(name), "locks", 0);
	r = kipc_region_create(name, 4096, 0, 0600);
	ASSERT_TRUE(r >= 0) {
		TH_LOG("create: %s", strerror(-r));
	}
	ASSERT_EQ(0, kipc_region_map(r, &addr, &size));
	base = addr;
	ASSERT_EQ(0, kipc_lock_init(r, LOCK_OFF(0)));
	ASSERT_EQ(0, kipc_lock_init(r, LOCK_OFF(1)));
	for (i = 0; i < NLOCKERS; i++) {
		pid[i] = kt_fork();
		if (!pid[i])
			locker(name, i, k_rounds * 10, sh);
	}
	for (i = 0; i < NLOCKERS; i++)
		ASSERT_EQ(0, kt_reap(pid[i]));
	kt_log("locks: taken %" PRIu64 " + %" PRIu64 ", timed out %" PRIu64,
	       sh->taken[0], sh->taken[1], sh->timeouts);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(sh->taken[i], *(uint32_t *)(base + CTR_OFF(i)));
		ASSERT_EQ(0, kipc_lock(r, LOCK_OFF(i), 0));
		ASSERT_EQ(0, kipc_unlock(r, LOCK_OFF(i)));
	}
	ASSERT_EQ(NLOCKERS * k_rounds * 10, sh->taken[0] + sh->taken[1] + sh->timeouts);
}

/* --- wait / wake ----------------------------------------------------- */

#define NBATON		4

struct wshared {
	_Atomic uint32_t stop;
	_Atomic uint64_t waits, wakes, woken;
};

static void baton(const char *name, int id, uint64_t rounds,
		  struct wshared *sh)
{
	_Atomic uint32_t *s;
	size_t size;
	void *addr;
	uint32_t v;
	int fd, ret;

	fd = kipc_region_open(name, KIPC_RDWR);
	KT_CHILD_CHECK(fd >= 0, "open: %s", strerror(-fd));
	KT_CHILD_EXPECT(0, kipc_region_map(fd, &addr, &size));
	s = addr;
	for (;;) {
		v = atomic_load(s);
		if (v >= rounds)
			break;
		if (v % NBATON == (uint32_t)id) {
			atomic_store(s, v + 1);
			ret = kipc_wake(fd, 0, INT32_MAX);
			KT_CHILD_CHECK(ret >= 0, "wake: %s", strerror(-ret));
			atomic_fetch_add(&sh->wakes, 1);
			atomic_fetch_add(&sh->woken, ret);
			continue;
		}
		ret = kipc_wait(fd, 0, v, -1);
		KT_CHILD_CHECK(ret == 0 || ret == -EAGAIN, "wait: %s",
			       strerror(-ret));
		atomic_fetch_add(&sh->waits, 1);
	}
	_exit(0);
}

/* Spurious wakes and timed waits on words of every bucket, offset 0 too. */
static void noise(const char *name, struct wshared *sh)
{
	struct kt_rng r;
	size_t off;
	int fd, ret;

	kt_seed(&r, k_seed, 400);
	fd = kipc_region_open(name, KIPC_RDWR);
	KT_CHILD_CHECK(fd >= 0, "open: %s", strerror(-fd));
	while (!atomic_load(&sh->stop)) {
		off = kt_one_in(&r, 4) ? 0 : kt_below(&r, 1024) * 4;
		if (kt_one_in(&r, 2)) {
			ret = kipc_wake(fd, off, kt_range(&r, 1, 3));
			KT_CHILD_CHECK(ret >= 0, "wake: %s", strerror(-ret));
		} else {
			ret = kipc_wait(fd, off ? off : 4, 0,
					kt_below(&r, 3) * 100000);
			KT_CHILD_CHECK(ret == -EAGAIN || ret == -ETIMEDOUT ||
				       ret == 0, "wait: %s", strerror(-ret));
		}
	}
	_exit(0);
}

TEST(wait_wake)
{
	struct wshared *sh = kt_shared(sizeof(*sh));
	pid_t pid[NBATON], np;
	struct kipc_region_stat st;
	char name[64];
	size_t size;
	void *addr;
	int r, i;

	KT_REQUIRE_KIPC();
	ASSERT_NE(NULL, sh);
	kt_name_n(name, sizeof(name), "baton", 0);
	r = kipc_region_create(name, 4096, 0, 0600);
	ASSERT_TRUE(r >= 0) {
		TH_LOG("create: %s", strerror(-r));
	}
	ASSERT_EQ(0, kipc_region_map(r, &addr, &size));
	np = kt_fork();
	if (!np)
		noise(name, sh);
	for (i = 0; i < NBATON; i++) {
		pid[i] = kt_fork();
		if (!pid[i])
			baton(name, i, k_rounds * 4, sh);
	}
	for (i = 0; i < NBATON; i++)
		ASSERT_EQ(0, kt_reap(pid[i]));
	atomic_store(&sh->stop, 1);
	ASSERT_EQ(0, kt_reap(np));
	ASSERT_EQ(k_rounds * 4, *(uint32_t *)addr);
	ASSERT_EQ(0, kipc_region_stat(r, &st));
	ASSERT_EQ(0, st.waiters);
	kt_log("wait_wake: %" PRIu64 " passes, %" PRIu64 " waits, %" PRIu64
	       " woken", k_rounds * 4, sh->waits, sh->woken);
}

/* --- rings ----------------------------------------------------------- */

static void ring_fill(unsigned char *p, uint64_t i, size_t len)
{
	uint64_t x = kt_mix(i, 3);
	size_t j;

	for (j = 0; j < len; j++)
		p[j] = (unsigned char)(x >> ((j & 7) * 8)) + (unsigned char)j;
}

static int ring_ok(const unsigned char *p, uint64_t i, size_t len)
{
	uint64_t x = kt_mix(i, 3);
	size_t j;

	for (j = 0; j < len; j++)
		if (p[j] != (unsigned char)((unsigned char)(x >> ((j & 7) * 8)) +
					    (unsigned char)j))
			return 0;
	return 1;
}

#define RING_CAP	4096
#define RING_MAXREC	1500

static void ring_producer(const char *name, uint64_t n)
{
	unsigned char buf[RING_MAXREC];
	struct kipc_ring *ring;
	struct kt_rng r, lr;
	void *p;
	size_t len;
	uint64_t i;
	int ret;

	kt_seed(&r, k_seed, 500);
	kt_seed(&lr, k_seed, 501);	/* lengths: the consumer's copy */
	ret = kipc_ring_open(name, KIPC_RDWR, &ring);
	KT_CHILD_CHECK(ret >= 0, "ring open: %s", strerror(-ret));
	for (i = 0; i < n; i++) {
		len = kt_below(&lr, RING_MAXREC);
		if (kt_one_in(&r, 2)) {
			ret = kipc_ring_reserve(ring, len, &p, -1);
			KT_CHILD_EXPECT(0, ret);
			ring_fill(p, i, len);
			KT_CHILD_EXPECT(0, kipc_ring_commit(ring, 1 + i % 255, len));
		} else {
			ring_fill(buf, i, len);
			KT_CHILD_EXPECT(0, kipc_ring_send(ring, 1 + i % 255, buf, len,
							  -1));
		}
	}
	_exit(0);
}

TEST(rings)
{
	unsigned char buf[RING_MAXREC];
	struct kipc_ring *ring;
	struct kt_rng r, lr;
	uint64_t i, n = k_rounds * 10;
	const void *p;
	struct pollfd pfd;
	char name[64];
	uint32_t type;
	ssize_t len;
	size_t want;
	int64_t t0;
	pid_t pid;
	int ret;

	KT_REQUIRE_KIPC();
	kt_seed(&r, k_seed, 502);
	kt_seed(&lr, k_seed, 501);
	kt_name_n(name, sizeof(name), "ring", 0);
	ret = kipc_ring_create(name, RING_CAP, KIPC_RING_CONSUMER, 0600, &ring);
	ASSERT_TRUE(ret >= 0) {
		TH_LOG("ring create: %s", strerror(-ret));
	}
	t0 = kt_now_ns();
	pid = kt_fork();
	if (!pid)
		ring_producer(name, n);
	for (i = 0; i < n; i++) {
		want = kt_below(&lr, RING_MAXREC);
		switch (kt_below(&r, 4)) {
		case 0:
			pfd.fd = kipc_ring_fd(ring);
			pfd.events = POLLIN;
			ret = poll(&pfd, 1, -1);
			ASSERT_TRUE(ret == 1 && (pfd.revents & POLLIN)) {
				TH_LOG("poll: %d revents %#x", ret, pfd.revents);
			}
			/* fall through */
		case 1:
			len = kipc_ring_recv(ring, buf, sizeof(buf), &type, -1);
			ASSERT_TRUE(len >= 0) {
				TH_LOG("recv %" PRIu64 ": %s", i, strerror((int)-len));
			}
			p = buf;
			break;
		default:
			len = kipc_ring_peek(ring, &p, &type, -1);
			ASSERT_TRUE(len >= 0) {
				TH_LOG("peek %" PRIu64 ": %s", i, strerror((int)-len));
			}
			break;
		}
		ASSERT_TRUE((size_t)len == want && type == 1 + i % 255) {
			TH_LOG("record %" PRIu64 ": len %zd type %u, want %zu %" PRIu64, i, len, type, want, 1 + i % 255);
		}
		ASSERT_TRUE(ring_ok(p, i, len)) {
			TH_LOG("record %" PRIu64 " corrupt", i);
		}
		if (p != buf)
			ASSERT_EQ(0, kipc_ring_consume(ring));
	}
	ASSERT_EQ(0, kt_reap(pid));
	/* The producer is gone: an empty ring is EPIPE now. */
	len = kipc_ring_recv(ring, buf, sizeof(buf), &type, -1);
	ASSERT_EQ(-EPIPE, len);
	kt_log("rings: %" PRIu64 " records in %.1f s", n,
	       (kt_now_ns() - t0) / 1e9);
	kipc_ring_close(ring);
}

/* --- events ---------------------------------------------------------- */

#define NPOST	3
#define NWAIT	3

struct eshared {
	_Atomic uint64_t taken, takes;
	_Atomic uint64_t posted, posts;
};

static void ev_poster(const char *name, int id, uint64_t units,
		      struct eshared *sh)
{
	struct kt_rng r;
	uint64_t done = 0, n;
	int e, ret;

	kt_seed(&r, k_seed, 600 + id);
	e = kipc_event_open(name, KIPC_WRONLY);
	KT_CHILD_CHECK(e >= 0, "open: %s", strerror(-e));
	while (done < units) {
		n = kt_range(&r, 1, 4);
		if (n > units - done)
			n = units - done;
		ret = kipc_event_post(e, n);
		KT_CHILD_EXPECT(0, ret);
		done += n;
		atomic_fetch_add(&sh->posts, 1);
		atomic_fetch_add(&sh->posted, n);
		if (kt_one_in(&r, 8))
			sched_yield();
	}
	_exit(0);
}

static void ev_waiter(const char *name, int id, struct eshared *sh)
{
	struct kt_rng r;
	uint64_t v;
	int e, ret;

	kt_seed(&r, k_seed, 700 + id);
	e = kipc_event_open(name, KIPC_RDONLY);
	KT_CHILD_CHECK(e >= 0, "open: %s", strerror(-e));
	for (;;) {
		v = 0;
		ret = kipc_event_wait(e, &v, kt_one_in(&r, 4) ? 0 : -1);
		if (ret == -EPIPE)
			break;
		if (ret == -EAGAIN)
			continue;
		KT_CHILD_EXPECT(0, ret);
		KT_CHILD_CHECK(v >= 1, "took %" PRIu64, v);
		atomic_fetch_add(&sh->taken, v);
		atomic_fetch_add(&sh->takes, 1);
	}
	_exit(0);
}

FIXTURE(event_load) {
	int unused;
};

FIXTURE_VARIANT(event_load) {
	int kind;
	const char *tag;
};

FIXTURE_VARIANT_ADD(event_load, semaphore) {
	.kind = KIPC_EVENT_SEMAPHORE, .tag = "sem",
};

FIXTURE_VARIANT_ADD(event_load, counter) {
	.kind = KIPC_EVENT_COUNTER, .tag = "ctr",
};

FIXTURE_SETUP(event_load)
{
	KT_REQUIRE_KIPC();
}

FIXTURE_TEARDOWN(event_load)
{
}

TEST_F(event_load, posters_and_waiters)
{
	const int kind = variant->kind;
	const char *tag = variant->tag;
	struct eshared *sh = kt_shared(sizeof(*sh));
	uint64_t units = k_rounds * 4;
	pid_t pp[NPOST], wp[NWAIT];
	struct kipc_event_stat st;
	char name[64];
	int e, i;

	ASSERT_NE(NULL, sh);
	kt_name_n(name, sizeof(name), tag, 0);
	e = kipc_event_create(name, kind, 0, 0, 0600);
	ASSERT_TRUE(e >= 0) {
		TH_LOG("create: %s", strerror(-e));
	}
	/* Children drop the owner fd they inherit: owner death ends them. */
	for (i = 0; i < NWAIT; i++) {
		wp[i] = kt_fork();
		if (!wp[i]) {
			close(e);
			ev_waiter(name, i, sh);
		}
	}
	for (i = 0; i < NPOST; i++) {
		pp[i] = kt_fork();
		if (!pp[i]) {
			close(e);
			ev_poster(name, i, units, sh);
		}
	}
	for (i = 0; i < NPOST; i++)
		ASSERT_EQ(0, kt_reap(pp[i]));
	/* Everything posted is taken, then owner death ends the waiters. */
	for (i = 0; i < 60000 && atomic_load(&sh->taken) < NPOST * units; i++)
		kt_sleep_us(1000);
	ASSERT_EQ(NPOST * units, atomic_load(&sh->taken));
	ASSERT_EQ(0, kipc_event_stat(e, &st));
	ASSERT_EQ(0, st.count);
	ASSERT_EQ(sh->posts, st.posts);
	ASSERT_EQ(sh->takes, st.waits);
	if (kind == KIPC_EVENT_SEMAPHORE)
		ASSERT_EQ(NPOST * units, st.waits);
	close(e);
	for (i = 0; i < NWAIT; i++)
		ASSERT_EQ(0, kt_reap(wp[i]));
	kt_log("events %s: %" PRIu64 " units in %" PRIu64 " posts, %" PRIu64
	       " waits", tag, sh->posted, sh->posts, sh->takes);
}

/* --- mmap/munmap racing close ---------------------------------------- */

#define MC_SIZE		(4 * 4096)

struct mc {
	char name[64];
	_Atomic int slot;		/* the fd everyone fights over */
	_Atomic int stop;
	_Atomic uint64_t maps, fails, swaps;
	uint64_t seed;
};

static void *mc_mapper(void *arg)
{
	struct mc *mc = arg;
	struct kt_rng r;
	volatile uint32_t *w;
	size_t len;
	void *p;
	int prot;

	kt_seed(&r, mc->seed, syscall(SYS_gettid));
	while (!atomic_load(&mc->stop)) {
		len = kt_range(&r, 1, MC_SIZE / 4096) * 4096;
		prot = PROT_READ | (kt_one_in(&r, 2) ? PROT_WRITE : 0);
		p = mmap(NULL, len, prot, MAP_SHARED, atomic_load(&mc->slot),
			 0);
		if (p == MAP_FAILED) {
			/* Closed under us, or the number went to a context. */
			KT_CHILD_CHECK(errno == EBADF || errno == ENODEV,
				       "mmap: %s", strerror(errno));
			atomic_fetch_add(&mc->fails, 1);
			continue;
		}
		w = (volatile uint32_t *)((char *)p + kt_below(&r, len / 4) * 4);
		if (prot & PROT_WRITE)
			*w += 1;
		else
			(void)*w;
		if (kt_one_in(&r, 3))
			mprotect(p, len, PROT_READ);
		KT_CHILD_CHECK(munmap(p, len) == 0, "munmap: %s", strerror(errno));
		atomic_fetch_add(&mc->maps, 1);
	}
	return NULL;
}

static void *mc_swapper(void *arg)
{
	struct mc *mc = arg;
	struct kt_rng r;
	int fd;

	kt_seed(&r, mc->seed, syscall(SYS_gettid));
	while (!atomic_load(&mc->stop)) {
		fd = kt_one_in(&r, 8) ? open(KIPC_DEV, O_RDWR | O_CLOEXEC) :
					kipc_region_open(mc->name, KIPC_RDWR);
		if (fd < 0) {
			/* The owner is being recreated. */
			KT_CHILD_CHECK(fd == -ENOENT, "open: %s", strerror(-fd));
			continue;
		}
		if (kt_one_in(&r, 4)) {
			/* Keep a mapping alive past the close. */
			void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);

			close(fd);
			if (p != MAP_FAILED) {
				(void)*(volatile uint32_t *)p;
				munmap(p, 4096);
			}
			continue;
		}
		KT_CHILD_CHECK(dup2(fd, atomic_load(&mc->slot)) >= 0, "dup2: %s",
			       strerror(errno));
		close(fd);
		atomic_fetch_add(&mc->swaps, 1);
	}
	return NULL;
}

TEST(mmap_close)
{
	struct mc *mc = kt_shared(sizeof(*mc));
	pthread_t th[4];
	int64_t end;
	long base, live;
	int owner, i, rounds = 0;
	pid_t pid;

	KT_REQUIRE_KIPC();
	ASSERT_NE(NULL, mc);
	base = kt_live_objects();
	mc->seed = k_seed;
	kt_name_n(mc->name, sizeof(mc->name), "mc", 0);
	owner = kipc_region_create(mc->name, MC_SIZE, 0, 0600);
	ASSERT_TRUE(owner >= 0) {
		TH_LOG("create: %s", strerror(-owner));
	}
	atomic_store(&mc->slot, kipc_region_open(mc->name, KIPC_RDWR));
	ASSERT_TRUE(atomic_load(&mc->slot) >= 0) {
		TH_LOG("open");
	}
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, mc_mapper, mc);
	for (; i < 4; i++)
		pthread_create(&th[i], NULL, mc_swapper, mc);
	end = kt_now_ns() + (int64_t)k_rounds * 2 * MS;	/* 2 ms a round */
	while (kt_now_ns() < end) {
		/* A child maps and dies with the mapping. */
		pid = kt_fork();
		if (!pid) {
			void *p = mmap(NULL, MC_SIZE, PROT_READ | PROT_WRITE,
				       MAP_SHARED, owner, 0);

			if (p != MAP_FAILED)
				((volatile uint32_t *)p)[1] = 1;
			_exit(0);
		}
		kt_sleep_us(2000);
		/* (The child had the owner fd too.) */
		ASSERT_EQ(0, kt_reap(pid));
		/* The owner dies: the name goes, mappings stay valid. */
		close(owner);
		owner = kipc_region_create(mc->name, MC_SIZE, 0, 0600);
		ASSERT_TRUE(owner >= 0) {
			TH_LOG("recreate: %s", strerror(-owner));
		}
		rounds++;
	}
	atomic_store(&mc->stop, 1);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	close(atomic_load(&mc->slot));
	close(owner);
	live = kt_live_settle(base, 5000);
	kt_log("mmap_close: %d owner deaths, %" PRIu64 " maps, %" PRIu64
	       " failed, %" PRIu64 " swaps; live_objects %ld -> %ld", rounds,
	       mc->maps, mc->fails, mc->swaps, base, live);
	ASSERT_LE(0, base);
	ASSERT_EQ(base, live);
}

/* --------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct kt_knob knobs[] = {
		{ "messages", &k_messages, "messages per queue test", 4 },
		{ "rounds", &k_rounds, "rounds per region test", 2 },
		{ "seed", &k_seed, "random seed", 0 },
		{ "case_timeout", &k_case_timeout, "seconds before a test is hung", 0 },
		{ NULL }
	};

	return kt_harness_main("STRESS", "kipc_stress", knobs,
			       &k_case_timeout, NULL, argc, argv);
}
