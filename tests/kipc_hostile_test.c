// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile peers: a process that maps a region rewrites, in a tight loop,
 * a word the kernel reads (a lock word, a wait word, the ring header and
 * its records) while a victim process calls into the kernel on it:
 * kipc_lock, kipc_unlock, kipc_wait, kipc_ring_send/recv, and the release
 * of the locks a handle holds when its process exits.  The values are the
 * ones that make the kernel's compare-and-swap fail (a live owner with a
 * toggling bit, dead owners, the victim's own token with toggling
 * WAITERS/OWNER_DIED bits), random words and absurd ring indexes.
 *
 * For the lock variants, PAD_WAITERS threads of the test sleep in
 * kipc_wait() on another word of the lock's wait bucket, as other users
 * of a busy region would: the kernel walks that bucket between reading
 * the lock word and its compare-and-swap, which widens the window the
 * hammer needs under an emulator.
 *
 * Each variant checks that the victim keeps returning from its calls
 * (every call returns, within its timeout plus a slack of seconds), and
 * that kill -9 of the victim is reaped within KILL_BOUND_MS: a kernel that
 * retried a failed compare-and-swap forever, with a spinlock held, did
 * neither.  The runner also fails on any soft-lockup or other report in
 * the kernel log.  The old unbounded retry needs the hammer to run on
 * another CPU during every attempt: on SMP hardware it does; under TCG on
 * a loaded host the attempts mostly succeed, so there this test guards
 * the bound rather than reproducing the spin.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "lib/kt_harness.h"

#define LOCK_OFF	64
#define WAIT_OFF	128
#define CALL_TMO	(100 * MS)
#define SLACK_NS	(5000 * MS)
#define KILL_BOUND_MS	5000
#define RUN_MS		1500
#define RING_CAP	4096U
#define PAD_WAITERS	200

enum hostile_mode {
	H_LOCK_LIVE,	/* a live owner, OWNER_DIED toggling */
	H_LOCK_DEAD,	/* dead owners, changing every store */
	H_LOCK_RANDOM,	/* random words */
	H_UNLOCK,	/* the victim's token, WAITERS/OWNER_DIED toggling */
	H_RELEASE,	/* same, while the victim's handle is released */
	H_WAIT,		/* the wait word, random and the expected value */
	H_RING_RECV,	/* header and records, consumer blocked */
	H_RING_SEND,	/* header and records, producer blocked */
};

/* Shared between the test, the hammer and the victim. */
struct hostile_ctl {
	volatile int stop;
	volatile int victim_ready;
	volatile int hammer_ready;
	volatile uint32_t victim_token;
	volatile uint32_t hammer_token;
	volatile uint64_t calls;
	volatile int64_t max_ns;
	volatile int last_ret;
	volatile int bad_ret;
};

FIXTURE(hostile) {
	char name[64];
	struct hostile_ctl *ctl;
	int r;
	struct kipc_ring *ring;
	size_t pad_off;
	int npad;
	pthread_t pad[PAD_WAITERS];
};

FIXTURE_VARIANT(hostile) {
	enum hostile_mode mode;
};

FIXTURE_VARIANT_ADD(hostile, lock_live) { .mode = H_LOCK_LIVE };
FIXTURE_VARIANT_ADD(hostile, lock_dead) { .mode = H_LOCK_DEAD };
FIXTURE_VARIANT_ADD(hostile, lock_random) { .mode = H_LOCK_RANDOM };
FIXTURE_VARIANT_ADD(hostile, unlock) { .mode = H_UNLOCK };
FIXTURE_VARIANT_ADD(hostile, release) { .mode = H_RELEASE };
FIXTURE_VARIANT_ADD(hostile, wait) { .mode = H_WAIT };
FIXTURE_VARIANT_ADD(hostile, ring_recv) { .mode = H_RING_RECV };
FIXTURE_VARIANT_ADD(hostile, ring_send) { .mode = H_RING_SEND };

static bool is_ring(enum hostile_mode m)
{
	return m == H_RING_RECV || m == H_RING_SEND;
}

/* The kernel's hash_64() of a word offset: its wait bucket of 64. */
static unsigned int bucket_of(uint64_t off)
{
	return (unsigned int)((off * 0x61C8864680B583EBull) >> 58);
}

struct pad_arg {
	int r;
	size_t off;
};

static void *pad_fn(void *arg)
{
	struct pad_arg *a = arg;

	kipc_wait(a->r, a->off, 0, 60000 * MS);
	return NULL;
}

/* Sleepers in the lock word's bucket, on another word. */
static int pad_bucket(int r, size_t *pad_off, pthread_t *t, int n)
{
	static struct pad_arg a;
	pthread_attr_t attr;
	size_t off;
	int i;

	for (off = 4; off < 4096; off += 4)
		if (off != LOCK_OFF && off != WAIT_OFF &&
		    bucket_of(off) == bucket_of(LOCK_OFF))
			break;
	if (off >= 4096)
		return 0;
	*pad_off = off;
	a.r = r;
	a.off = off;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], &attr, pad_fn, &a))
			break;
	pthread_attr_destroy(&attr);
	return i;
}

FIXTURE_SETUP(hostile)
{
	size_t msize;
	void *p;

	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "hostile");
	self->ctl = mmap(NULL, sizeof(*self->ctl), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ctl);
	memset(self->ctl, 0, sizeof(*self->ctl));
	self->ring = NULL;
	self->npad = 0;
	if (is_ring(variant->mode)) {
		/* The test holds the role the victim does not use. */
		ASSERT_EQ(0, kipc_ring_create(self->name, RING_CAP,
					      variant->mode == H_RING_RECV ?
					      KIPC_RING_PRODUCER :
					      KIPC_RING_CONSUMER,
					      0600, &self->ring));
		self->r = kipc_ring_fd(self->ring);
		return;
	}
	self->r = kipc_region_create(self->name, 4096, 0, 0600);
	ASSERT_LE(0, self->r);
	ASSERT_EQ(0, kipc_region_map(self->r, &p, &msize));
	ASSERT_EQ(0, kipc_lock_init(self->r, LOCK_OFF));
	self->npad = pad_bucket(self->r, &self->pad_off, self->pad,
				PAD_WAITERS);
	ASSERT_EQ(PAD_WAITERS, self->npad);
	ASSERT_EQ(0, kt_region_waiters(self->r, PAD_WAITERS));
}

FIXTURE_TEARDOWN(hostile)
{
	int i;

	if (self->npad > 0) {
		kipc_wake(self->r, self->pad_off, PAD_WAITERS);
		for (i = 0; i < self->npad; i++)
			pthread_join(self->pad[i], NULL);
	}
	if (self->ring)
		kipc_ring_close(self->ring);
	else if (self->r >= 0)
		close(self->r);
	kipc_unlink(self->name);
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void hammer_store(uint32_t *w, uint32_t v)
{
	__atomic_store_n(w, v, __ATOMIC_RELAXED);
}

/* The hammer: its own handle and mapping, rewriting words until stop. */
static void hammer(const char *name, enum hostile_mode mode,
		   struct hostile_ctl *ctl)
{
	uint32_t seed = 0x9e3779b9u ^ (uint32_t)getpid(), i = 0, vt;
	uint32_t *base, *w;
	size_t msize;
	void *p;
	int h;

	h = kipc_region_open(name, KIPC_RDWR);
	KT_CHILD_CHECK(h >= 0);
	KT_CHILD_CHECK(kipc_region_map(h, &p, &msize) == 0);
	base = p;
	ctl->hammer_token = (uint32_t)kt_region_token(h);
	while (!ctl->victim_ready)
		usleep(1000);
	vt = ctl->victim_token;
	ctl->hammer_ready = 1;
	w = base + LOCK_OFF / 4;

	while (!ctl->stop) {
		i++;
		switch (mode) {
		case H_LOCK_LIVE:
			hammer_store(w, ctl->hammer_token |
				     (i & 1 ? KIPC_LOCK_OWNER_DIED : 0));
			break;
		case H_LOCK_DEAD:
			hammer_store(w, 0x100000u + (i & 0xfffff));
			break;
		case H_LOCK_RANDOM:
			hammer_store(w, xorshift(&seed));
			break;
		case H_UNLOCK:
		case H_RELEASE:
			hammer_store(w, vt | (i & 3) << 30);
			break;
		case H_WAIT:
			hammer_store(base + WAIT_OFF / 4,
				     i & 1 ? 0 : xorshift(&seed));
			break;
		case H_RING_RECV:
		case H_RING_SEND:
			/* Header words and the first records, all garbage. */
			hammer_store(base + (i & 63), i & 2 ?
				     xorshift(&seed) : 0);
			hammer_store(base + 1024 + (i & 255),
				     xorshift(&seed));
			if (!(i & 7))
				hammer_store(base + 16 + (i & 47),
					     0xfffffff8u & xorshift(&seed));
			break;
		}
	}
	_exit(0);
}

static void victim_account(struct hostile_ctl *ctl, int64_t t0, int ret)
{
	int64_t d = kt_now_ns() - t0;

	if (d > ctl->max_ns)
		ctl->max_ns = d;
	ctl->last_ret = ret;
	ctl->calls++;
}

/* The victim: its own handle, calling into the kernel until killed. */
static void victim(const char *name, enum hostile_mode mode,
		   struct hostile_ctl *ctl)
{
	struct kipc_ring *ring = NULL;
	char buf[64];
	uint32_t type;
	int h, ret;
	int64_t t0;

	if (is_ring(mode)) {
		ret = kipc_ring_open(name, KIPC_RDWR, &ring);
		KT_CHILD_CHECK(ret == 0);
		h = kipc_ring_fd(ring);
	} else {
		/* Not mapped: every lock call goes to the kernel. */
		h = kipc_region_open(name, KIPC_RDWR);
		KT_CHILD_CHECK(h >= 0);
	}
	/* The token its lock calls carry: its thread's. */
	ctl->victim_token = (uint32_t)kipc_lock_token(h);
	ctl->victim_ready = 1;
	while (!ctl->hammer_ready)
		usleep(1000);

	if (mode == H_RELEASE) {
		/* Exit: the handle's release walks its locks. */
		usleep(200 * 1000);
		ctl->calls++;
		_exit(0);
	}
	for (;;) {
		t0 = kt_now_ns();
		switch (mode) {
		case H_LOCK_LIVE:
		case H_LOCK_DEAD:
		case H_LOCK_RANDOM:
			ret = kipc_lock(h, LOCK_OFF, CALL_TMO);
			if (ret == 0 || ret == -EOWNERDEAD)
				kipc_unlock(h, LOCK_OFF);
			break;
		case H_UNLOCK:
			ret = kipc_unlock(h, LOCK_OFF);
			break;
		case H_WAIT:
			ret = kipc_wait(h, WAIT_OFF, 0, CALL_TMO);
			break;
		case H_RING_RECV:
			ret = (int)kipc_ring_recv(ring, buf, sizeof(buf),
						  &type, CALL_TMO);
			break;
		case H_RING_SEND:
			ret = kipc_ring_send(ring, 1, buf, 16, CALL_TMO);
			break;
		default:
			ret = -EINVAL;
		}
		if (ret == -EFAULT || ret == -EINVAL)
			ctl->bad_ret = ret;
		victim_account(ctl, t0, ret);
	}
}

/* Reap @pid within @ms; 0, or -ETIMEDOUT with the child still there. */
static int reap_within(pid_t pid, int ms, int *status)
{
	int i;

	for (i = 0; i < ms / 10; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 0;
		usleep(10 * 1000);
	}
	return -ETIMEDOUT;
}

TEST_F_TIMEOUT(hostile, victim_stays_killable, 120)
{
	pid_t hpid, vpid;
	int status, reaped, i;
	uint64_t calls0;

	hpid = kt_fork();
	ASSERT_LE(0, hpid);
	if (hpid == 0)
		hammer(self->name, variant->mode, self->ctl);
	vpid = kt_fork();
	ASSERT_LE(0, vpid);
	if (vpid == 0)
		victim(self->name, variant->mode, self->ctl);

	for (i = 0; i < 20000 && !self->ctl->hammer_ready; i++)
		usleep(1000);
	ASSERT_EQ(1, self->ctl->hammer_ready);
	calls0 = self->ctl->calls;
	usleep(RUN_MS * 1000);

	if (variant->mode == H_RELEASE) {
		/* The victim exits by itself; its release must finish. */
		reaped = reap_within(vpid, KILL_BOUND_MS + RUN_MS, &status);
	} else {
		kill(vpid, SIGKILL);
		reaped = reap_within(vpid, KILL_BOUND_MS, &status);
	}
	if (reaped)
		TH_LOG("victim %d not reaped %d ms after %s (calls %llu)",
		       (int)vpid, KILL_BOUND_MS,
		       variant->mode == H_RELEASE ? "its exit" : "kill -9",
		       (unsigned long long)self->ctl->calls);
	self->ctl->stop = 1;
	kill(hpid, SIGKILL);
	/* Killed, or it saw stop first and exited cleanly. */
	status = kt_reap(hpid);
	EXPECT_TRUE(status == 0 || status == 128 + SIGKILL)
		TH_LOG("hammer: %d", status);
	if (reaped)
		waitpid(vpid, &status, 0);
	EXPECT_EQ(0, reaped);
	TH_LOG("%llu calls, the longest %lld ms, last %d",
	       (unsigned long long)self->ctl->calls,
	       (long long)(self->ctl->max_ns / MS), self->ctl->last_ret);
	/* The victim kept returning, each call within its bound. */
	EXPECT_LT(calls0, self->ctl->calls);
	EXPECT_GT(CALL_TMO + SLACK_NS, self->ctl->max_ns);
	EXPECT_EQ(0, self->ctl->bad_ret);
}

TEST_HARNESS_MAIN
