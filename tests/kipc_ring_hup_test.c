// SPDX-License-Identifier: GPL-2.0
/*
 * EPOLLHUP of a ring whose peer died, through epoll and not only poll(),
 * for each event mask users register (EPOLLIN, EPOLLOUT,
 * EPOLLIN|EPOLLRDHUP, 0, and edge-triggered), on both sides of the ring:
 * - the peer is killed while epoll_wait() sleeps (the wakeup reaches the
 *   epoll item whatever its mask);
 * - the ring fd is added to a new epoll set after the death;
 * - after the death a third handle (so the region is not orphaned) maps
 *   the ring and clears the *_gone flags in the shared header: the
 *   hang-up is the kernel's own state, so epoll and poll still report it.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "lib/kt_harness.h"

#define CAP	4096U

FIXTURE(hup) {
	char name[64];
	struct kipc_ring *ring;
	pid_t peer;
};

FIXTURE_VARIANT(hup) {
	int role;		/* the test's side */
	uint32_t events;	/* the epoll mask registered */
};

#define C KIPC_RING_CONSUMER
#define P KIPC_RING_PRODUCER
FIXTURE_VARIANT_ADD(hup, cons_in) { .role = C, .events = EPOLLIN };
FIXTURE_VARIANT_ADD(hup, cons_out) { .role = C, .events = EPOLLOUT };
FIXTURE_VARIANT_ADD(hup, cons_rdhup) {
	.role = C, .events = EPOLLIN | EPOLLRDHUP };
FIXTURE_VARIANT_ADD(hup, cons_zero) { .role = C, .events = 0 };
FIXTURE_VARIANT_ADD(hup, cons_et) { .role = C, .events = EPOLLIN | EPOLLET };
FIXTURE_VARIANT_ADD(hup, prod_in) { .role = P, .events = EPOLLIN };
FIXTURE_VARIANT_ADD(hup, prod_out) { .role = P, .events = EPOLLOUT };
FIXTURE_VARIANT_ADD(hup, prod_rdhup) {
	.role = P, .events = EPOLLIN | EPOLLRDHUP };
FIXTURE_VARIANT_ADD(hup, prod_zero) { .role = P, .events = 0 };
FIXTURE_VARIANT_ADD(hup, prod_et) {
	.role = P, .events = EPOLLOUT | EPOLLET };
#undef C
#undef P

FIXTURE_SETUP(hup)
{
	struct kipc_ring *other;
	int pfd[2];
	char c;

	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "hup");
	ASSERT_EQ(0, kipc_ring_create(self->name, CAP, variant->role, 0600,
				      &self->ring));
	if (variant->role == KIPC_RING_PRODUCER) {
		char buf[64] = { 0 };
		int n = 0;

		/* Full: no EPOLLOUT before the peer goes. */
		while (kipc_ring_send(self->ring, 1, buf, sizeof(buf), 0) == 0)
			n++;
		ASSERT_LT(0, n);
	}
	ASSERT_EQ(0, pipe(pfd));
	self->peer = kt_fork();
	ASSERT_LE(0, self->peer);
	if (self->peer == 0) {
		KT_CHILD_CHECK(kipc_ring_open(self->name, KIPC_RDWR,
					      &other) == 0);
		kt_signal(pfd[1]);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	close(pfd[0]);
}

FIXTURE_TEARDOWN(hup)
{
	if (self->peer > 0) {
		kill(self->peer, SIGKILL);
		waitpid(self->peer, NULL, 0);
	}
	kipc_ring_close(self->ring);
	kipc_unlink(self->name);
}

/* epoll_wait once: the events reported, 0 on a timeout, or -errno. */
static int64_t epoll_once(int ep, int ms)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, ms);

	if (n < 0)
		return -errno;
	return n ? (int64_t)ev.events : 0;
}

struct sleeper {
	pthread_t thread;
	int ep;
	volatile pid_t tid;
	int64_t events;
};

static void *sleeper_fn(void *arg)
{
	struct sleeper *s = arg;

	s->tid = (pid_t)syscall(SYS_gettid);
	s->events = epoll_once(s->ep, 10000);
	return NULL;
}

static void kill_peer(struct __test_metadata *_metadata, pid_t *peer)
{
	ASSERT_EQ(0, kill(*peer, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, kt_reap(*peer));
	*peer = 0;
}

TEST_F(hup, peer_dies_while_epoll_sleeps)
{
	struct sleeper s = { 0 };
	int fd = kipc_ring_fd(self->ring);

	s.ep = kt_epoll_for(fd, variant->events);
	ASSERT_LE(0, s.ep);
	/* Nothing is ready before the death. */
	ASSERT_EQ(0, epoll_once(s.ep, 0));
	ASSERT_EQ(0, pthread_create(&s.thread, NULL, sleeper_fn, &s));
	while (!s.tid)
		usleep(1000);
	ASSERT_EQ(0, kt_wait_sleeping(getpid(), s.tid));
	kill_peer(_metadata, &self->peer);
	pthread_join(s.thread, NULL);
	EXPECT_LT(0, s.events) TH_LOG("epoll_wait: %lld", (long long)s.events);
	EXPECT_TRUE(s.events > 0 && (s.events & EPOLLHUP));
	close(s.ep);
}

TEST_F(hup, added_after_the_death)
{
	int fd = kipc_ring_fd(self->ring), ep;
	int64_t ev;

	kill_peer(_metadata, &self->peer);
	ep = kt_epoll_for(fd, variant->events);
	ASSERT_LE(0, ep);
	ev = epoll_once(ep, 2000);
	EXPECT_TRUE(ev > 0 && (ev & EPOLLHUP)) TH_LOG("epoll: %lld",
						      (long long)ev);
	close(ep);
}

TEST_F(hup, gone_flags_cleared_by_a_mapper)
{
	int fd = kipc_ring_fd(self->ring), ep, third;
	struct kipc_ring_hdr *hdr;
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };
	int64_t ev;

	/* A plain handle of the ring region, holding no role. */
	third = kipc_region_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, third);
	hdr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, third, 0);
	ASSERT_NE(MAP_FAILED, hdr);
	kill_peer(_metadata, &self->peer);
	ASSERT_EQ(1, variant->role == KIPC_RING_CONSUMER ? hdr->producer_gone :
							  hdr->consumer_gone);
	/* A scribbler (any process mapping the ring) says "not gone". */
	__atomic_store_n(&hdr->producer_gone, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&hdr->consumer_gone, 0, __ATOMIC_SEQ_CST);
	ep = kt_epoll_for(fd, variant->events);
	ASSERT_LE(0, ep);
	ev = epoll_once(ep, 2000);
	EXPECT_TRUE(ev > 0 && (ev & EPOLLHUP)) TH_LOG("epoll: %lld",
						      (long long)ev);
	EXPECT_EQ(1, poll(&pfd, 1, 2000));
	EXPECT_TRUE(pfd.revents & POLLHUP) TH_LOG("poll: %#x", pfd.revents);
	close(ep);
	munmap(hdr, 4096);
	close(third);
}

TEST_HARNESS_MAIN
