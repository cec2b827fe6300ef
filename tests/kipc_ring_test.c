// SPDX-License-Identifier: GPL-2.0
/*
 * SPSC rings, as docs/regions.md states them: round trips in both creator
 * roles, zero-copy reserve/commit and peek/consume, the record layout and
 * its padding at the end of the data area (checked against the header's
 * counters), EMSGSIZE on both sides, argument and role errors, EBUSY for
 * a taken role and ENOTTY for a plain region, no syscall on the fast path
 * (under a seccomp filter that fails every ioctl), a million messages of
 * random sizes between two processes with sequence numbers and checksums,
 * peer death while the other side sleeps (EPIPE after draining for the
 * consumer, at once for the producer), re-attaching a free role, timeouts,
 * signals, non-blocking handles, poll/epoll (also with an event in the
 * same epoll set), and a corrupt header.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>

#include "lib/kt_harness.h"

#define FOREVER		(-1LL)
#define CAP		4096U
#define REC		8U

FIXTURE(ring) {
	char name[64];
};

FIXTURE_SETUP(ring)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "ring");
}

FIXTURE_TEARDOWN(ring)
{
}

/* A ring created by the producer, and its consumer opened by name. */
static int ring_pair(const char *name, size_t cap, int extra_flags,
		     struct kipc_ring **p, struct kipc_ring **c)
{
	int ret;

	ret = kipc_ring_create(name, cap, KIPC_RING_PRODUCER | extra_flags,
			       0600, p);
	if (ret < 0)
		return ret;
	return kipc_ring_open(name, KIPC_RDWR | extra_flags, c);
}

/* The whole ring region (header and data), through a mapping of its own. */
static struct kipc_ring_hdr *map_ring(struct kipc_ring *r, size_t *size)
{
	struct kipc_region_stat st;
	void *h;

	if (kipc_region_stat(kipc_ring_fd(r), &st))
		return NULL;
	*size = st.size;
	h = mmap(NULL, st.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 kipc_ring_fd(r), 0);
	return h == MAP_FAILED ? NULL : h;
}

/* The data area of the ring mapped at @h. */
static unsigned char *ring_data(struct kipc_ring_hdr *h)
{
	return (unsigned char *)h + h->data_offset;
}

static uint32_t rec_size(uint32_t len)
{
	return REC + ((len + 7) & ~7U);
}

/* recv into a poisoned buffer; 0 if it is @len bytes of fill(@seed). */
static int recv_check(struct kipc_ring *c, uint32_t type, size_t len,
		      uint32_t seed)
{
	static unsigned char buf[1 << 16];
	uint32_t t = 0xcccccccc;
	ssize_t n;

	memset(buf, 0xcc, len + 16);
	n = kipc_ring_recv(c, buf, sizeof(buf), &t, 0);
	if (n < 0)
		return (int)n;
	if ((size_t)n != len || t != type || !kt_check_fill(buf, len, seed))
		return -EBADMSG;
	return 0;
}

static int send_fill(struct kipc_ring *p, uint32_t type, size_t len,
		     uint32_t seed, int64_t timeout)
{
	static unsigned char buf[1 << 16];

	kt_fill(buf, len, seed);
	return kipc_ring_send(p, type, buf, len, timeout);
}

TEST_F(ring, round_trip)
{
	struct kipc_region_stat st;
	struct kipc_ring *p, *c;
	char buf[256];
	uint32_t type;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));
	ASSERT_LE(0, kipc_ring_fd(p));
	ASSERT_LE(0, kipc_ring_fd(c));
	EXPECT_NE(kipc_ring_fd(p), kipc_ring_fd(c));
	EXPECT_EQ(-EINVAL, kipc_ring_fd(NULL));

	EXPECT_EQ(-EAGAIN, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	EXPECT_EQ(0, kipc_ring_send(p, 1, "hello", 6, 0));
	EXPECT_EQ(0, kipc_ring_send(p, 2, NULL, 0, 0));
	EXPECT_EQ(0, send_fill(p, UINT32_MAX, 100, 3, 0));
	EXPECT_EQ(0, send_fill(p, 4, 7, 4, FOREVER));

	memset(buf, 0xcc, sizeof(buf));
	EXPECT_EQ(6, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(1, type);
	EXPECT_EQ(0, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	EXPECT_EQ(2, type);
	EXPECT_EQ(0, recv_check(c, UINT32_MAX, 100, 3));
	/* The type pointer may be NULL. */
	EXPECT_EQ(7, kipc_ring_recv(c, buf, sizeof(buf), NULL, FOREVER));
	EXPECT_TRUE(kt_check_fill(buf, 7, 4));
	EXPECT_EQ(-EAGAIN, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));

	ASSERT_EQ(0, kipc_region_stat(kipc_ring_fd(c), &st));
	EXPECT_EQ(2, st.handles);
	EXPECT_EQ(4096 + CAP, st.size);
	kipc_ring_close(c);
	kipc_ring_close(p);
	kipc_ring_close(NULL);
}

TEST_F(ring, consumer_creates)
{
	struct kipc_ring *p, *c;
	uint32_t type;
	char buf[16];

	ASSERT_EQ(0, kipc_ring_create(self->name, 8192, KIPC_RING_CONSUMER,
				      0600, &c));
	ASSERT_EQ(0, kipc_ring_open(self->name, KIPC_RDWR, &p));
	EXPECT_EQ(0, kipc_ring_send(p, 9, "abc", 3, 0));
	EXPECT_EQ(3, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	EXPECT_EQ(9, type);
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	kipc_ring_close(p);
	kipc_ring_close(c);
}

TEST_F(ring, zero_copy)
{
	struct kipc_ring *p, *c;
	const void *rp, *rp2;
	uint32_t type;
	char buf[128];
	void *wp;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));

	/* Nothing reserved. */
	EXPECT_EQ(-EINVAL, kipc_ring_commit(p, 1, 0));
	ASSERT_EQ(0, kipc_ring_reserve(p, 100, &wp, 0));
	EXPECT_EQ(0, (uintptr_t)wp % 8);
	kt_fill(wp, 60, 21);
	EXPECT_EQ(-EINVAL, kipc_ring_commit(p, 7, 101));
	EXPECT_EQ(-EINVAL, kipc_ring_commit(p, 0, 60));
	/* Nothing is visible before the commit. */
	EXPECT_EQ(-EAGAIN, kipc_ring_peek(c, &rp, &type, 0));
	ASSERT_EQ(0, kipc_ring_commit(p, 7, 60));
	EXPECT_EQ(-EINVAL, kipc_ring_commit(p, 7, 60));

	type = 0;
	ASSERT_EQ(60, kipc_ring_peek(c, &rp, &type, 0));
	EXPECT_EQ(7, type);
	EXPECT_EQ(0, (uintptr_t)rp % 8);
	EXPECT_TRUE(kt_check_fill(rp, 60, 21));
	/* Peeking again sees the same record in place. */
	ASSERT_EQ(60, kipc_ring_peek(c, &rp2, NULL, 0));
	EXPECT_EQ(rp, rp2);
	EXPECT_EQ(0, kipc_ring_consume(c));
	EXPECT_EQ(-EINVAL, kipc_ring_consume(c));
	EXPECT_EQ(-EAGAIN, kipc_ring_peek(c, &rp, &type, 0));

	/* A reservation can be replaced; peek then recv takes the record. */
	ASSERT_EQ(0, kipc_ring_reserve(p, 500, &wp, 0));
	ASSERT_EQ(0, kipc_ring_reserve(p, 10, &wp, 0));
	memcpy(wp, "0123456789", 10);
	ASSERT_EQ(0, kipc_ring_commit(p, 3, 10));
	ASSERT_EQ(0, kipc_ring_reserve(p, 0, &wp, 0));
	ASSERT_EQ(0, kipc_ring_commit(p, 4, 0));
	ASSERT_EQ(10, kipc_ring_peek(c, &rp, &type, 0));
	EXPECT_EQ(10, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	EXPECT_EQ(3, type);
	EXPECT_EQ(0, memcmp(buf, "0123456789", 10));
	EXPECT_EQ(-EINVAL, kipc_ring_consume(c));
	EXPECT_EQ(0, kipc_ring_peek(c, &rp, &type, 0));
	EXPECT_EQ(4, type);
	EXPECT_EQ(0, kipc_ring_consume(c));

	EXPECT_EQ(-EINVAL, kipc_ring_reserve(p, 10, NULL, 0));
	EXPECT_EQ(-EINVAL, kipc_ring_peek(c, NULL, &type, 0));
}

TEST_F(ring, layout_and_wraparound)
{
	struct kipc_ring *p, *c;
	struct kipc_ring_hdr *h;
	struct kipc_ring_rec *pad;
	uint32_t head, pos, sz, rounds = 0;
	size_t msize;
	unsigned int i, n;
	const void *rp;
	uint32_t type;
	void *wp;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));
	h = map_ring(c, &msize);
	ASSERT_NE(NULL, h);
	EXPECT_EQ(4096 + CAP, msize);
	EXPECT_EQ(KIPC_RING_MAGIC, h->magic);
	EXPECT_EQ(CAP, h->capacity);
	EXPECT_LE(sizeof(*h), h->data_offset);
	EXPECT_EQ(0, h->data_offset % 8);
	EXPECT_EQ(0, h->head);
	EXPECT_EQ(0, h->tail);
	EXPECT_EQ(0, h->producer_gone);
	EXPECT_EQ(0, h->consumer_gone);

	/* Three records of 1024 bytes in the ring: 1024 left at the end. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, send_fill(p, 1, 1016, i, 0));
		ASSERT_EQ(0, recv_check(c, 1, 1016, i));
	}
	EXPECT_EQ(3072, h->head);
	EXPECT_EQ(3072, h->tail);

	/* 1100 bytes do not fit there: padding, then the record at 0. */
	ASSERT_EQ(0, kipc_ring_reserve(p, 1100, &wp, 0));
	pad = (void *)(ring_data(h) + 3072);
	EXPECT_EQ(1024 - REC, pad->len);
	EXPECT_EQ(0, pad->type);
	kt_fill(wp, 1100, 9);
	/* The payload area is right after the record header at 0. */
	EXPECT_TRUE(kt_check_fill(ring_data(h) + REC, 1100, 9));
	ASSERT_EQ(0, kipc_ring_commit(p, 5, 1100));
	pad = (void *)ring_data(h);
	EXPECT_EQ(1100, pad->len);
	EXPECT_EQ(5, pad->type);
	EXPECT_EQ(4096 + rec_size(1100), h->head);
	EXPECT_EQ(1100, kipc_ring_peek(c, &rp, &type, 0));
	EXPECT_EQ(5, type);
	EXPECT_TRUE(kt_check_fill(rp, 1100, 9));
	EXPECT_EQ(0, kipc_ring_consume(c));
	EXPECT_EQ(h->head, h->tail);

	/*
	 * The largest record needs the whole area: from the middle, its
	 * padding must be consumed first, so a try-send cannot place it.
	 */
	EXPECT_EQ(-EAGAIN, send_fill(p, 2, CAP - REC, 2, 0));
	EXPECT_EQ(-EAGAIN, kipc_ring_recv(c, NULL, 0, &type, 0));
	EXPECT_EQ(0, h->tail % CAP);
	ASSERT_EQ(0, send_fill(p, 2, CAP - REC, 2, 0));
	EXPECT_EQ(0, recv_check(c, 2, CAP - REC, 2));
	EXPECT_EQ(h->head, h->tail);

	/*
	 * Records of 1000 bytes (1008 in the ring) one at a time, padding
	 * whenever one does not fit before the end: the header's counters
	 * must say exactly that.
	 */
	head = h->head;
	for (i = 0; i < 50; i++) {
		sz = rec_size(1000);
		pos = head % CAP;
		if (sz > CAP - pos) {
			head += CAP - pos;
			rounds++;
		}
		head += sz;
		ASSERT_EQ(0, send_fill(p, i + 1, 1000, i, 0));
		EXPECT_EQ(head, h->head);
		ASSERT_EQ(0, recv_check(c, i + 1, 1000, i)) TH_LOG("msg %u", i);
		EXPECT_EQ(head, h->tail);
	}
	EXPECT_LT(10, rounds);

	/* Fill it up, then drain it, with padding in the middle. */
	for (n = 0; send_fill(p, n + 1, 300 + n, n, 0) == 0; n++)
		;
	EXPECT_LT(5, n);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, recv_check(c, i + 1, 300 + i, i)) TH_LOG("%u", i);
	EXPECT_EQ(-EAGAIN, kipc_ring_recv(c, NULL, 0, &type, 0));
	EXPECT_EQ(h->head, h->tail);
	munmap(h, msize);
}

TEST_F(ring, emsgsize)
{
	struct kipc_ring *p, *c;
	unsigned char buf[CAP];
	const void *rp;
	uint32_t type;
	void *wp;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));
	EXPECT_EQ(-EMSGSIZE, kipc_ring_send(p, 1, buf, CAP - REC + 1, 0));
	EXPECT_EQ(-EMSGSIZE, kipc_ring_send(p, 1, buf, SIZE_MAX, 0));
	EXPECT_EQ(-EMSGSIZE, kipc_ring_reserve(p, CAP - REC + 1, &wp, 0));
	EXPECT_EQ(-EMSGSIZE, kipc_ring_reserve(p, (size_t)1 << 32, &wp, 0));
	ASSERT_EQ(0, send_fill(p, 3, CAP - REC, 1, 0));

	/* Too small a buffer: the record stays. */
	EXPECT_EQ(-EMSGSIZE, kipc_ring_recv(c, buf, 100, &type, 0));
	EXPECT_EQ(-EMSGSIZE, kipc_ring_recv(c, buf, CAP - REC - 1, &type, 0));
	EXPECT_EQ(CAP - REC, kipc_ring_peek(c, &rp, &type, 0));
	EXPECT_EQ(0, recv_check(c, 3, CAP - REC, 1));

	ASSERT_EQ(0, kipc_ring_send(p, 3, "x", 1, 0));
	EXPECT_EQ(-EMSGSIZE, kipc_ring_recv(c, buf, 0, &type, 0));
	EXPECT_EQ(1, kipc_ring_recv(c, buf, 1, &type, 0));
}

TEST_F(ring, bad_arguments_and_roles)
{
	struct kipc_ring *p = NULL, *c = NULL, *x = NULL;
	unsigned char buf[16];
	const void *rp;
	uint32_t type;
	void *wp;

	EXPECT_EQ(-EINVAL, kipc_ring_create(self->name, CAP, 0, 0600, &x));
	EXPECT_EQ(-EINVAL, kipc_ring_create(self->name, CAP,
					    KIPC_RING_PRODUCER |
					    KIPC_RING_CONSUMER, 0600, &x));
	EXPECT_EQ(-EINVAL, kipc_ring_create(self->name, CAP,
					    KIPC_RING_PRODUCER, 0600, NULL));
	EXPECT_EQ(-EINVAL, kipc_ring_create(self->name, 3000,
					    KIPC_RING_PRODUCER, 0600, &x));
	EXPECT_EQ(-EINVAL, kipc_ring_create(self->name, CAP + 1,
					    KIPC_RING_PRODUCER, 0600, &x));
	EXPECT_EQ(-EINVAL, kipc_ring_create(self->name, 2048,
					    KIPC_RING_PRODUCER, 0600, &x));
	EXPECT_EQ(-EINVAL, kipc_ring_create(self->name, 0,
					    KIPC_RING_PRODUCER, 0600, &x));
	EXPECT_EQ(-EINVAL, kipc_ring_create(self->name, 1UL << 31,
					    KIPC_RING_PRODUCER, 0600, &x));
	/* 1 GiB is a valid capacity, but more than max_region_size. */
	EXPECT_EQ(-ENOSPC, kipc_ring_create(self->name, 1UL << 30,
					    KIPC_RING_PRODUCER, 0600, &x));
	EXPECT_EQ(-EINVAL, kipc_ring_create(self->name, CAP,
					    KIPC_RING_PRODUCER | KIPC_RDONLY,
					    0600, &x));
	EXPECT_EQ(NULL, x);
	EXPECT_EQ(-ENOENT, kipc_ring_open(self->name, KIPC_RDWR, &x));

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));
	EXPECT_EQ(-EINVAL, kipc_ring_send(p, 0, "x", 1, 0));
	EXPECT_EQ(-EINVAL, kipc_ring_send(NULL, 1, "x", 1, 0));
	EXPECT_EQ(-EINVAL, kipc_ring_recv(NULL, buf, 1, &type, 0));

	/* Each side only does its own half. */
	EXPECT_EQ(-EBADF, kipc_ring_recv(p, buf, sizeof(buf), &type, 0));
	EXPECT_EQ(-EBADF, kipc_ring_peek(p, &rp, &type, 0));
	EXPECT_EQ(-EBADF, kipc_ring_consume(p));
	EXPECT_EQ(-EBADF, kipc_ring_send(c, 1, "x", 1, 0));
	EXPECT_EQ(-EBADF, kipc_ring_reserve(c, 1, &wp, 0));
	EXPECT_EQ(-EBADF, kipc_ring_commit(c, 1, 1));
}

TEST_F(ring, roles_are_exclusive)
{
	struct kipc_ring *p, *c, *x = NULL;
	char buf[16];
	uint32_t type;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));
	EXPECT_EQ(-EBUSY, kipc_ring_open(self->name, KIPC_RDWR, &x));
	EXPECT_EQ(-EBUSY, kipc_ring_open(self->name,
					 KIPC_RDWR | KIPC_RING_CONSUMER, &x));
	EXPECT_EQ(-EBUSY, kipc_ring_open(self->name,
					 KIPC_RDWR | KIPC_RING_PRODUCER, &x));
	EXPECT_EQ(NULL, x);

	/* A closed consumer frees its role; what it left is still there. */
	ASSERT_EQ(0, kipc_ring_send(p, 1, "a", 1, 0));
	kipc_ring_close(c);
	EXPECT_EQ(-EPIPE, kipc_ring_send(p, 2, "b", 1, 0));
	ASSERT_EQ(0, kipc_ring_open(self->name, KIPC_RDWR, &c));
	EXPECT_EQ(0, kipc_ring_send(p, 2, "b", 1, 0));
	EXPECT_EQ(1, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	EXPECT_EQ(1, type);
	EXPECT_EQ('a', buf[0]);
	EXPECT_EQ(1, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	EXPECT_EQ(2, type);
	EXPECT_EQ(-EBUSY, kipc_ring_open(self->name, KIPC_RDWR, &x));
}

TEST_F(ring, not_a_ring)
{
	struct kipc_ioc_ring_attach at = { .size = sizeof(at) };
	struct kipc_ring *x = NULL;
	int r, q;

	r = kipc_region_create(self->name, 8192, 0, 0600);
	ASSERT_LE(0, r);
	EXPECT_EQ(-ENOTTY, kipc_ring_open(self->name, KIPC_RDWR, &x));
	EXPECT_EQ(-ENOTTY, kt_ioctl(r, KIPC_IOC_RING_ATTACH, &at));
	close(r);

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	EXPECT_EQ(-ENOTTY, kipc_ring_open(self->name, KIPC_RDWR, &x));
	EXPECT_EQ(-ENOTTY, kt_ioctl(q, KIPC_IOC_RING_ATTACH, &at));
	EXPECT_EQ(NULL, x);
}

TEST_F(ring, open_needs_rdwr)
{
	struct kipc_ring *p, *x = NULL;

	ASSERT_EQ(0, kipc_ring_create(self->name, CAP, KIPC_RING_PRODUCER,
				      0600, &p));
	EXPECT_GT(0, kipc_ring_open(self->name, KIPC_RDONLY, &x));
	EXPECT_GT(0, kipc_ring_open(self->name, KIPC_WRONLY, &x));
	EXPECT_EQ(NULL, x);
	/* The failed attempts did not take the role. */
	EXPECT_EQ(0, kipc_ring_open(self->name, KIPC_RDWR, &x));
}

TEST_F_TIMEOUT(ring, fast_path_makes_no_syscall, 60)
{
	struct kipc_ring *p, *c;
	pid_t pid;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char buf[512];
		const void *rp;
		uint32_t type, i;

		kt_forbid_ioctl();
		/* Neither side sleeps, so neither calls the kernel. */
		for (i = 0; i < 2000; i++) {
			KT_CHILD_CHECK(send_fill(p, i + 1, i % 300, i,
						 FOREVER) == 0);
			if (i % 3 != 2)
				continue;
			while (kipc_ring_recv(c, buf, sizeof(buf), &type,
					      FOREVER) >= 0 &&
			       kipc_ring_peek(c, &rp, &type, 0) >= 0)
				;
		}
		while (kipc_ring_recv(c, buf, sizeof(buf), &type, 0) >= 0)
			;
		KT_CHILD_CHECK(kipc_ring_recv(c, buf, sizeof(buf), &type,
					      0) == -EAGAIN);
		/* An empty ring with a timeout must sleep: the kernel. */
		KT_CHILD_CHECK(kipc_ring_recv(c, buf, sizeof(buf), &type,
					      10 * MS) == -ENOSYS);
		_exit(0);
	}
	KT_EXPECT_CHILD(pid, "seccomp filters are not available");
}

/* xorshift32: the same sizes on both sides of the million test. */
static uint32_t prng(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static uint32_t fnv1a(const unsigned char *p, size_t len)
{
	uint32_t h = 2166136261U;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

/*
 * Message @seq: kt_fill(seq) bytes, with seq (u64) in the first 8 bytes
 * and the checksum of the bytes after the 12th in bytes 8..11, as far as
 * the length allows; type seq + 1.
 */
static void make_msg(unsigned char *buf, uint32_t len, uint64_t seq)
{
	uint32_t sum;

	kt_fill(buf, len, (uint32_t)seq);
	if (len >= 8)
		memcpy(buf, &seq, 8);
	if (len >= 12) {
		sum = fnv1a(buf + 12, len - 12);
		memcpy(buf + 8, &sum, 4);
	}
}

#define MILLION		kt_scaled(1000000U)
#define MSG_MAX		512U
#define SEED		0x2545f491U

TEST_F_TIMEOUT(ring, million_messages, 900)
{
	unsigned char buf[MSG_MAX];
	struct kipc_ring *p;
	uint32_t s = SEED, len, i;
	int64_t t0;
	pid_t pid;
	void *wp;

	ASSERT_EQ(0, kipc_ring_create(self->name, 16384, KIPC_RING_PRODUCER,
				      0600, &p));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char want[MSG_MAX], got[MSG_MAX];
		struct kipc_ring *c;
		const void *rp;
		uint32_t cs = SEED, type, sum;
		uint64_t seq;
		ssize_t n;

		/* Only the parent's producer handle may keep the role. */
		kipc_ring_close(p);
		KT_CHILD_CHECK(kipc_ring_open(self->name, KIPC_RDWR, &c) == 0);
		for (i = 0; i < MILLION; i++) {
			len = prng(&cs) % (MSG_MAX + 1);
			make_msg(want, len, i);
			if (i % 2) {
				n = kipc_ring_recv(c, got, sizeof(got), &type,
						   60000 * MS);
			} else {
				n = kipc_ring_peek(c, &rp, &type, 60000 * MS);
				if (n >= 0 && n <= MSG_MAX)
					memcpy(got, rp, n);
			}
			if (n != len || type != i + 1) {
				fprintf(stderr, "# msg %u: len %zd type %u, "
					"expected %u, %u\n", i, n, type, len,
					i + 1);
				_exit(1);
			}
			if (len >= 8) {
				memcpy(&seq, got, 8);
				KT_CHILD_CHECK(seq == i);
			}
			if (len >= 12) {
				memcpy(&sum, got + 8, 4);
				KT_CHILD_CHECK(sum == fnv1a(got + 12,
							    len - 12));
			}
			KT_CHILD_CHECK(memcmp(want, got, len) == 0);
			if (i % 2 == 0)
				KT_CHILD_CHECK(kipc_ring_consume(c) == 0);
		}
		/* The producer closes its side after the last message. */
		n = kipc_ring_recv(c, got, sizeof(got), &type, 60000 * MS);
		KT_CHILD_CHECK(n == -EPIPE);
		_exit(0);
	}

	t0 = kt_now_ns();
	for (i = 0; i < MILLION; i++) {
		len = prng(&s) % (MSG_MAX + 1);
		if (i % 2) {
			make_msg(buf, len, i);
			ASSERT_EQ(0, kipc_ring_send(p, i + 1, buf, len,
						    60000 * MS))
				TH_LOG("msg %u", i);
		} else {
			ASSERT_EQ(0, kipc_ring_reserve(p, len, &wp,
						       60000 * MS))
				TH_LOG("msg %u", i);
			make_msg(wp, len, i);
			ASSERT_EQ(0, kipc_ring_commit(p, i + 1, len));
		}
	}
	kipc_ring_close(p);
	EXPECT_EQ(0, kt_reap(pid));
	TH_LOG("%u messages in %lld ms", MILLION,
	       (long long)((kt_now_ns() - t0) / MS));
}

TEST_F_TIMEOUT(ring, producer_killed_while_consumer_sleeps, 60)
{
	struct kipc_ring *c, *p2;
	struct kt_killer k;
	int ready[2];
	int64_t t0, dt;
	char buf[64];
	uint32_t type;
	pid_t pid;
	int i;

	ASSERT_EQ(0, kipc_ring_create(self->name, CAP, KIPC_RING_CONSUMER,
				      0600, &c));
	ASSERT_EQ(0, pipe(ready));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_ring *p;

		KT_CHILD_CHECK(kipc_ring_open(self->name, KIPC_RDWR, &p) == 0);
		for (i = 0; i < 3; i++)
			KT_CHILD_CHECK(send_fill(p, i + 1, 20, i, 0) == 0);
		kt_signal(ready[1]);
		pause();
		_exit(0);
	}
	kt_await(ready[0]);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, recv_check(c, i + 1, 20, i));

	ASSERT_EQ(0, kt_killer_start(&k, kipc_ring_fd(c), 1, pid));
	t0 = kt_now_ns();
	EXPECT_EQ(-EPIPE, kipc_ring_recv(c, buf, sizeof(buf), &type,
					 FOREVER));
	dt = kt_now_ns() - t0;
	EXPECT_EQ(0, kt_killer_join(&k));
	EXPECT_GT(10000 * MS, dt);
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	EXPECT_EQ(-EPIPE, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	EXPECT_EQ(-EPIPE, kipc_ring_peek(c, &(const void *){ NULL }, &type,
					 FOREVER));

	/* A new producer takes the free role and clears the flag. */
	ASSERT_EQ(0, kipc_ring_open(self->name, KIPC_RDWR, &p2));
	EXPECT_EQ(-EAGAIN, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	ASSERT_EQ(0, send_fill(p2, 9, 30, 9, 0));
	EXPECT_EQ(0, recv_check(c, 9, 30, 9));
}

TEST_F_TIMEOUT(ring, producer_killed_consumer_drains, 60)
{
	struct kipc_ring *c;
	int ready[2], i;
	char buf[64];
	uint32_t type;
	pid_t pid;

	ASSERT_EQ(0, kipc_ring_create(self->name, CAP, KIPC_RING_CONSUMER,
				      0600, &c));
	ASSERT_EQ(0, pipe(ready));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_ring *p;

		KT_CHILD_CHECK(kipc_ring_open(self->name, KIPC_RDWR, &p) == 0);
		for (i = 0; i < 5; i++)
			KT_CHILD_CHECK(send_fill(p, i + 1, 40, i, 0) == 0);
		kt_signal(ready[1]);
		pause();
		_exit(0);
	}
	kt_await(ready[0]);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));

	/* What was sent before the death is delivered, then EPIPE. */
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, recv_check(c, i + 1, 40, i));
	EXPECT_EQ(-EPIPE, kipc_ring_recv(c, buf, sizeof(buf), &type,
					 FOREVER));
}

TEST_F_TIMEOUT(ring, consumer_killed_while_producer_sleeps, 60)
{
	struct kipc_ring *p;
	struct kt_killer k;
	int ready[2], n = 0;
	int64_t t0, dt;
	pid_t pid;
	void *wp;

	ASSERT_EQ(0, kipc_ring_create(self->name, CAP, KIPC_RING_PRODUCER,
				      0600, &p));
	ASSERT_EQ(0, pipe(ready));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_ring *c;

		KT_CHILD_CHECK(kipc_ring_open(self->name, KIPC_RDWR, &c) == 0);
		kt_signal(ready[1]);
		pause();
		_exit(0);
	}
	kt_await(ready[0]);
	while (send_fill(p, 1, 100, 0, 0) == 0)
		n++;
	EXPECT_EQ(CAP / rec_size(100), n);

	ASSERT_EQ(0, kt_killer_start(&k, kipc_ring_fd(p), 1, pid));
	t0 = kt_now_ns();
	EXPECT_EQ(-EPIPE, send_fill(p, 1, 100, 0, FOREVER));
	dt = kt_now_ns() - t0;
	EXPECT_EQ(0, kt_killer_join(&k));
	EXPECT_GT(10000 * MS, dt);
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));

	/* At once from now on, room or not. */
	EXPECT_EQ(-EPIPE, send_fill(p, 1, 100, 0, FOREVER));
	EXPECT_EQ(-EPIPE, kipc_ring_reserve(p, 0, &wp, FOREVER));
}

TEST_F_TIMEOUT(ring, owner_producer_killed, 60)
{
	struct kipc_region_stat st;
	struct pollfd pfd;
	struct kipc_ring *c;
	int ready[2], i;
	char buf[64];
	uint32_t type;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_ring *p;

		KT_CHILD_CHECK(kipc_ring_create(self->name, CAP,
						KIPC_RING_PRODUCER, 0600,
						&p) == 0);
		for (i = 0; i < 2; i++)
			KT_CHILD_CHECK(send_fill(p, i + 1, 50, i, 0) == 0);
		kt_signal(ready[1]);
		pause();
		_exit(0);
	}
	kt_await(ready[0]);
	ASSERT_EQ(0, kipc_ring_open(self->name, KIPC_RDWR, &c));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));

	ASSERT_EQ(0, kipc_region_stat(kipc_ring_fd(c), &st));
	EXPECT_EQ(KIPC_STATE_DEAD, st.state);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, recv_check(c, i + 1, 50, i));
	EXPECT_EQ(-EPIPE, kipc_ring_recv(c, buf, sizeof(buf), &type,
					 FOREVER));
	pfd = (struct pollfd){ .fd = kipc_ring_fd(c), .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLHUP);
}

struct ring_call {
	pthread_t thread;
	struct kipc_ring *r;
	ssize_t ret;
};

static void *blocked_recv_fn(void *arg)
{
	struct ring_call *rc = arg;
	uint32_t type;
	char buf[8];

	rc->ret = kipc_ring_recv(rc->r, buf, sizeof(buf), &type, 20000 * MS);
	return NULL;
}

static void *blocked_send_fn(void *arg)
{
	struct ring_call *rc = arg;
	unsigned char buf[200];

	kt_fill(buf, sizeof(buf), 77);
	rc->ret = kipc_ring_send(rc->r, 2, buf, sizeof(buf), 20000 * MS);
	return NULL;
}

TEST_F_TIMEOUT(ring, blocked_sides_are_woken, 60)
{
	struct kipc_ring *p, *c;
	struct ring_call rc;
	int i, n = 0;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));

	/* A consumer asleep on an empty ring. */
	rc = (struct ring_call){ .r = c, .ret = 1 };
	ASSERT_EQ(0, pthread_create(&rc.thread, NULL, blocked_recv_fn, &rc));
	ASSERT_EQ(0, kt_region_waiters(kipc_ring_fd(p), 1));
	EXPECT_EQ(0, kipc_ring_send(p, 1, "z", 1, 0));
	pthread_join(rc.thread, NULL);
	EXPECT_EQ(1, rc.ret);

	/* A producer asleep on a full ring. */
	while (send_fill(p, 1, 200, n, 0) == 0)
		n++;
	rc = (struct ring_call){ .r = p, .ret = 1 };
	ASSERT_EQ(0, pthread_create(&rc.thread, NULL, blocked_send_fn, &rc));
	ASSERT_EQ(0, kt_region_waiters(kipc_ring_fd(p), 1));
	EXPECT_EQ(0, recv_check(c, 1, 200, 0));
	pthread_join(rc.thread, NULL);
	EXPECT_EQ(0, rc.ret);
	for (i = 1; i < n; i++)
		EXPECT_EQ(0, recv_check(c, 1, 200, i));
	EXPECT_EQ(0, recv_check(c, 2, 200, 77));
	EXPECT_EQ(0, kt_region_nwaiters(kipc_ring_fd(p)));
}

TEST_F_TIMEOUT(ring, timeouts_and_nonblock, 60)
{
	struct kipc_ring *p, *c;
	int64_t t0, dt;
	char buf[64];
	uint32_t type;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));
	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kipc_ring_recv(c, buf, sizeof(buf), &type,
					     50 * MS));
	dt = kt_now_ns() - t0;
	EXPECT_LE(50 * MS, dt);
	EXPECT_GT(10000 * MS, dt);

	while (send_fill(p, 1, 500, 0, 0) == 0)
		;
	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, send_fill(p, 1, 500, 0, 50 * MS));
	dt = kt_now_ns() - t0;
	EXPECT_LE(50 * MS, dt);
	EXPECT_GT(10000 * MS, dt);
	kipc_ring_close(c);
	kipc_ring_close(p);

	/* Non-blocking handles: EAGAIN even for an infinite timeout. */
	ASSERT_EQ(0, ring_pair(self->name, CAP, KIPC_NONBLOCK, &p, &c));
	EXPECT_EQ(-EAGAIN, kipc_ring_recv(c, buf, sizeof(buf), &type,
					  FOREVER));
	while (send_fill(p, 1, 500, 0, 0) == 0)
		;
	EXPECT_EQ(-EAGAIN, send_fill(p, 1, 500, 0, FOREVER));
	EXPECT_EQ(0, kt_region_nwaiters(kipc_ring_fd(p)));
}

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
}

TEST_F_TIMEOUT(ring, signal_interrupts, 60)
{
	struct kipc_ring *p, *c;
	pid_t pid;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1 };
		char buf[64];
		uint32_t type;

		sigemptyset(&sa.sa_mask);
		KT_CHILD_CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
		KT_CHILD_CHECK(kipc_ring_recv(c, buf, sizeof(buf), &type,
					      20000 * MS) == -EINTR);
		KT_CHILD_CHECK(usr1_count == 1);
		_exit(0);
	}
	ASSERT_EQ(0, kt_region_waiters(kipc_ring_fd(c), 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(0, kt_reap(pid));
	/* Nothing was lost: a message sent now is the next one. */
	ASSERT_EQ(0, send_fill(p, 4, 10, 4, 0));
	EXPECT_EQ(0, recv_check(c, 4, 10, 4));
}

static short poll_now(int fd)
{
	struct pollfd pfd = {
		.fd = fd, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM,
	};

	return poll(&pfd, 1, 0) == 1 ? pfd.revents : 0;
}

TEST_F(ring, poll_states)
{
	struct kipc_ring *p, *c;
	int pfd, cfd, n = 0;
	char buf[1024];
	uint32_t type;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));
	pfd = kipc_ring_fd(p);
	cfd = kipc_ring_fd(c);

	EXPECT_FALSE(poll_now(cfd) & POLLIN);
	EXPECT_TRUE(poll_now(pfd) & POLLOUT);
	EXPECT_FALSE(poll_now(pfd) & POLLHUP);
	EXPECT_FALSE(poll_now(cfd) & POLLHUP);

	ASSERT_EQ(0, send_fill(p, 1, 10, 0, 0));
	EXPECT_TRUE(poll_now(cfd) & POLLIN);
	ASSERT_EQ(0, recv_check(c, 1, 10, 0));
	EXPECT_FALSE(poll_now(cfd) & POLLIN);

	/* Full to the last byte: no room for any record. */
	while (send_fill(p, 1, 1000, n, 0) == 0)
		n++;
	while (kipc_ring_send(p, 2, NULL, 0, 0) == 0)
		;
	EXPECT_FALSE(poll_now(pfd) & POLLOUT);
	EXPECT_TRUE(poll_now(cfd) & POLLIN);
	while (kipc_ring_recv(c, buf, sizeof(buf), &type, 0) >= 0)
		;
	EXPECT_TRUE(poll_now(pfd) & POLLOUT);
	EXPECT_FALSE(poll_now(cfd) & POLLIN);

	/* The peer's role gone: EPOLLHUP on the survivor. */
	kipc_ring_close(c);
	EXPECT_TRUE(poll_now(pfd) & POLLHUP);
}

struct epoll_sleeper {
	pthread_t thread;
	pid_t tid;
	int fd;
	uint32_t events;	/* asked for */
	uint32_t got;		/* returned */
	int n;
};

static void *epoll_sleeper_fn(void *arg)
{
	struct epoll_sleeper *s = arg;
	struct epoll_event ev = { .events = s->events };
	int ep;

	s->tid = gettid();
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev)) {
		s->n = -errno;
		return NULL;
	}
	memset(&ev, 0, sizeof(ev));
	s->n = epoll_wait(ep, &ev, 1, 20000);
	s->got = ev.events;
	close(ep);
	return NULL;
}

/* Start a thread asleep in epoll_wait on @fd; 0 once it sleeps. */
static int start_epoll_sleeper(struct epoll_sleeper *s, int fd,
			       uint32_t events)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->events = events;
	if (pthread_create(&s->thread, NULL, epoll_sleeper_fn, s))
		return -EAGAIN;
	for (i = 0; i < 20000 && !__atomic_load_n(&s->tid, __ATOMIC_SEQ_CST);
	     i++)
		usleep(1000);
	return kt_wait_sleeping(getpid(), s->tid);
}

TEST_F_TIMEOUT(ring, epoll_woken, 120)
{
	struct epoll_sleeper s;
	struct kipc_ring *p, *c;
	int ready[2], i, n = 0;
	uint32_t type;
	pid_t pid;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));

	/* The consumer polls an empty ring; a publish must wake it. */
	ASSERT_EQ(0, start_epoll_sleeper(&s, kipc_ring_fd(c), EPOLLIN));
	usleep(50 * 1000);
	ASSERT_EQ(0, send_fill(p, 1, 16, 1, 0));
	pthread_join(s.thread, NULL);
	EXPECT_EQ(1, s.n);
	EXPECT_TRUE(s.got & EPOLLIN);
	ASSERT_EQ(0, recv_check(c, 1, 16, 1));

	/* The producer polls a full ring; a consume must wake it. */
	while (send_fill(p, 2, 900, n, 0) == 0)
		n++;
	while (kipc_ring_send(p, 3, NULL, 0, 0) == 0)
		;
	ASSERT_EQ(0, start_epoll_sleeper(&s, kipc_ring_fd(p), EPOLLOUT));
	usleep(50 * 1000);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, recv_check(c, 2, 900, i));
	while (kipc_ring_recv(c, NULL, 0, &type, 0) == 0)
		;
	pthread_join(s.thread, NULL);
	EXPECT_EQ(1, s.n);
	EXPECT_TRUE(s.got & EPOLLOUT);
	kipc_ring_close(p);
	kipc_ring_close(c);

	/* A consumer polling an empty ring sees EPOLLHUP when the peer dies. */
	ASSERT_EQ(0, kipc_ring_create(self->name, CAP, KIPC_RING_CONSUMER,
				      0600, &c));
	ASSERT_EQ(0, pipe(ready));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		KT_CHILD_CHECK(kipc_ring_open(self->name, KIPC_RDWR, &p) == 0);
		kt_signal(ready[1]);
		pause();
		_exit(0);
	}
	kt_await(ready[0]);
	ASSERT_EQ(0, start_epoll_sleeper(&s, kipc_ring_fd(c), EPOLLIN));
	usleep(50 * 1000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	pthread_join(s.thread, NULL);
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	EXPECT_EQ(1, s.n);
	EXPECT_TRUE(s.got & EPOLLHUP);
}

struct epoll_waiter {
	pthread_t thread;
	pid_t tid;
	int ep;
	int n;
	struct epoll_event ev[2];
};

static void *epoll_waiter_fn(void *arg)
{
	struct epoll_waiter *w = arg;

	__atomic_store_n(&w->tid, gettid(), __ATOMIC_SEQ_CST);
	w->n = epoll_wait(w->ep, w->ev, 2, 20000);
	return NULL;
}

/* A thread asleep in epoll_wait() on @ep; 0 once it sleeps. */
static int start_epoll_waiter(struct epoll_waiter *w, int ep)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->ep = ep;
	w->n = -1;
	if (pthread_create(&w->thread, NULL, epoll_waiter_fn, w))
		return -EAGAIN;
	for (i = 0; i < 20000 && !__atomic_load_n(&w->tid, __ATOMIC_SEQ_CST);
	     i++)
		usleep(1000);
	return kt_wait_sleeping(getpid(), w->tid);
}

TEST_F_TIMEOUT(ring, epoll_ring_and_event, 60)
{
	struct epoll_event ev[2];
	struct kipc_ring *p, *c;
	struct epoll_waiter w;
	int cfd, e, ep;
	uint64_t value;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));
	cfd = kipc_ring_fd(c);
	/* Events are always built: an error here is a failure. */
	e = kipc_event_create(NULL, KIPC_EVENT_COUNTER, 0, 0, 0600);
	ASSERT_LE(0, e);

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev[0] = (struct epoll_event){ .events = EPOLLIN, .data.fd = cfd };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev[0]));
	ev[0] = (struct epoll_event){ .events = EPOLLIN, .data.fd = e };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev[0]));
	EXPECT_EQ(0, epoll_wait(ep, ev, 2, 0));

	/* Readiness of each, then of both. */
	ASSERT_EQ(0, kipc_event_post(e, 2));
	ASSERT_EQ(1, epoll_wait(ep, ev, 2, 0));
	EXPECT_EQ(e, ev[0].data.fd);
	ASSERT_EQ(0, kipc_ring_send(p, 1, "r", 1, 0));
	ASSERT_EQ(2, epoll_wait(ep, ev, 2, 0));
	ASSERT_EQ(0, kipc_event_wait(e, &value, 0));
	EXPECT_EQ(2, value);
	ASSERT_EQ(1, epoll_wait(ep, ev, 2, 0));
	EXPECT_EQ(cfd, ev[0].data.fd);
	EXPECT_TRUE(ev[0].events & EPOLLIN);
	ASSERT_EQ(1, kipc_ring_recv(c, (char[8]){ 0 }, 8, NULL, 0));
	EXPECT_EQ(0, epoll_wait(ep, ev, 2, 0));

	/* One sleeper in epoll_wait, woken by the ring, then by the event. */
	ASSERT_EQ(0, start_epoll_waiter(&w, ep));
	usleep(50 * 1000);
	ASSERT_EQ(0, kipc_ring_send(p, 2, "s", 1, 0));
	pthread_join(w.thread, NULL);
	ASSERT_EQ(1, w.n);
	EXPECT_EQ(cfd, w.ev[0].data.fd);
	ASSERT_EQ(1, kipc_ring_recv(c, (char[8]){ 0 }, 8, NULL, 0));

	ASSERT_EQ(0, start_epoll_waiter(&w, ep));
	usleep(50 * 1000);
	ASSERT_EQ(0, kipc_event_post(e, 1));
	pthread_join(w.thread, NULL);
	ASSERT_EQ(1, w.n);
	EXPECT_EQ(e, w.ev[0].data.fd);
	ASSERT_EQ(0, kipc_event_wait(e, &value, 0));
	EXPECT_EQ(1, value);
	EXPECT_EQ(0, epoll_wait(ep, ev, 2, 0));
}

TEST_F(ring, corrupt_header_is_eproto)
{
	struct kipc_ring *p, *c;
	struct kipc_ring_hdr *h;
	struct kipc_ring_rec *rec;
	uint32_t type, head;
	unsigned int i;
	char buf[64];
	size_t msize;
	int ret = 0;

	ASSERT_EQ(0, ring_pair(self->name, CAP, 0, &p, &c));
	h = map_ring(c, &msize);
	ASSERT_NE(NULL, h);
	rec = (void *)ring_data(h);

	/* More in use than the capacity. */
	head = h->head;
	h->head = h->tail + CAP + 8;
	EXPECT_EQ(-EPROTO, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	h->head = head;

	/* A record longer than what was published, or the capacity. */
	ASSERT_EQ(0, kipc_ring_send(p, 1, "abcd", 4, 0));
	rec->len = 64;
	EXPECT_EQ(-EPROTO, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	rec->len = 0xfffffff8;
	EXPECT_EQ(-EPROTO, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	/* A padding record that does not run to the end. */
	rec->len = 0;
	rec->type = 0;
	EXPECT_EQ(-EPROTO, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));
	rec->len = 4;
	rec->type = 1;
	EXPECT_EQ(4, kipc_ring_recv(c, buf, sizeof(buf), &type, 0));

	/*
	 * The producer distrusts tail the same way when it loads it next:
	 * it loads the peer's index once per batch, at the latest when the
	 * room the last one showed is used up (CAP / 16 one-byte records).
	 * A tail further ahead than anything the producer can have written
	 * by then stays impossible until it is loaded.
	 */
	h->tail = h->head + 2 * CAP;
	for (i = 0; i <= CAP / 16; i++) {
		ret = kipc_ring_send(p, 1, "x", 1, 0);
		if (ret)
			break;
	}
	EXPECT_EQ(-EPROTO, ret);
	munmap(h, msize);
}

TEST_HARNESS_MAIN
