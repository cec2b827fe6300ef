// SPDX-License-Identifier: GPL-2.0
/*
 * poll and epoll on queue handles, as docs/queues.md states them:
 * EPOLLIN|EPOLLRDNORM when a message is queued (read access),
 * EPOLLOUT|EPOLLWRNORM when a max_msg_size message fits in a live queue
 * (write access), EPOLLHUP when dead, or shut down and empty; the
 * transitions through empty, non-empty, full (by count and by bytes),
 * shutdown and owner death (SIGKILL); and sleepers in poll or epoll_wait,
 * in another thread or process, woken by send, receive, shutdown and
 * owner death.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "lib/kt_harness.h"

#define EV_IN	(POLLIN | POLLRDNORM)
#define EV_OUT	(POLLOUT | POLLWRNORM)

FIXTURE(qpoll) {
	char name[64];
};

FIXTURE_SETUP(qpoll)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "poll");
}

FIXTURE_TEARDOWN(qpoll)
{
}


TEST_F(qpoll, transitions_by_count)
{
	char out[64];
	int q, ep;

	q = kt_queue(self->name, 2, 64, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	ep = kt_epoll_for(q, KT_POLL_ALL);
	ASSERT_LE(0, ep);

	KT_EXPECT_EVENTS(q, ep, EV_OUT);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "a", 1, 0));
	KT_EXPECT_EVENTS(q, ep, EV_IN | EV_OUT);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "b", 1, 0));
	KT_EXPECT_EVENTS(q, ep, EV_IN);
	ASSERT_EQ(1, kipc_recv(q, NULL, out, sizeof(out), NULL, 0));
	KT_EXPECT_EVENTS(q, ep, EV_IN | EV_OUT);
	ASSERT_EQ(1, kipc_recv(q, NULL, out, sizeof(out), NULL, 0));
	KT_EXPECT_EVENTS(q, ep, EV_OUT);

	/* Shut down: no EPOLLOUT; EPOLLHUP once empty. */
	ASSERT_EQ(0, kipc_send(q, 1, 0, "c", 1, 0));
	ASSERT_EQ(0, kipc_queue_shutdown(q));
	KT_EXPECT_EVENTS(q, ep, EV_IN);
	ASSERT_EQ(1, kipc_recv(q, NULL, out, sizeof(out), NULL, 0));
	KT_EXPECT_EVENTS(q, ep, POLLHUP);
	EXPECT_EQ(-EPIPE, kipc_recv(q, NULL, out, sizeof(out), NULL, 0));
	KT_EXPECT_EVENTS(q, ep, POLLHUP);
}

/* EPOLLOUT means a message of max_msg_size fits, not just any message. */
TEST_F(qpoll, transitions_by_bytes)
{
	char buf[64], out[64];
	int q, ep;

	q = kt_queue(self->name, 8, 64, 128, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	ep = kt_epoll_for(q, KT_POLL_ALL);
	ASSERT_LE(0, ep);
	memset(buf, 'x', sizeof(buf));

	KT_EXPECT_EVENTS(q, ep, EV_OUT);
	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 64, 0));
	/* 64 bytes left: a 64-byte message still fits. */
	KT_EXPECT_EVENTS(q, ep, EV_IN | EV_OUT);
	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 1, 0));
	/* 63 bytes left: a smaller message would fit, but no EPOLLOUT. */
	KT_EXPECT_EVENTS(q, ep, EV_IN);
	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 63, 0));
	KT_EXPECT_EVENTS(q, ep, EV_IN);
	ASSERT_EQ(64, kipc_recv(q, NULL, out, sizeof(out), NULL, 0));
	KT_EXPECT_EVENTS(q, ep, EV_IN | EV_OUT);
}

/* A read-only handle never reports EPOLLOUT, a write-only one EPOLLIN. */
TEST_F(qpoll, access_masks_events)
{
	char out[64];
	int q, r, w, ep, epr, epw;

	q = kt_queue(self->name, 2, 64, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	r = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);
	w = kipc_queue_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, w);
	ep = kt_epoll_for(q, KT_POLL_ALL);
	epr = kt_epoll_for(r, KT_POLL_ALL);
	epw = kt_epoll_for(w, KT_POLL_ALL);
	ASSERT_LE(0, ep);
	ASSERT_LE(0, epr);
	ASSERT_LE(0, epw);

	KT_EXPECT_EVENTS(q, ep, EV_OUT);
	KT_EXPECT_EVENTS(r, epr, 0);
	KT_EXPECT_EVENTS(w, epw, EV_OUT);

	ASSERT_EQ(0, kipc_send(w, 1, 0, "a", 1, 0));
	KT_EXPECT_EVENTS(q, ep, EV_IN | EV_OUT);
	KT_EXPECT_EVENTS(r, epr, EV_IN);
	KT_EXPECT_EVENTS(w, epw, EV_OUT);

	ASSERT_EQ(0, kipc_send(w, 1, 0, "b", 1, 0));
	KT_EXPECT_EVENTS(q, ep, EV_IN);
	KT_EXPECT_EVENTS(r, epr, EV_IN);
	KT_EXPECT_EVENTS(w, epw, 0);

	ASSERT_EQ(0, kipc_queue_shutdown(w));
	KT_EXPECT_EVENTS(r, epr, EV_IN);
	KT_EXPECT_EVENTS(w, epw, 0);
	ASSERT_EQ(1, kipc_recv(r, NULL, out, sizeof(out), NULL, 0));
	ASSERT_EQ(1, kipc_recv(r, NULL, out, sizeof(out), NULL, 0));
	KT_EXPECT_EVENTS(q, ep, POLLHUP);
	KT_EXPECT_EVENTS(r, epr, POLLHUP);
	KT_EXPECT_EVENTS(w, epw, POLLHUP);
}

/* Create a named queue in a child that then waits to be killed. */
static pid_t spawn_owner(struct __test_metadata *_metadata, const char *name,
			 int send_one, int *hold)
{
	int ready[2], park[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(park));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int q = kt_queue(name, 4, 64, 0, KIPC_POLICY_BLOCK, 0);

		if (q < 0)
			_exit(1);
		if (send_one && kipc_send(q, 1, 0, "bye", 3, 0))
			_exit(2);
		kt_signal(ready[1]);
		/* Never written: wait for SIGKILL (or the parent's end). */
		kt_await(park[0]);
		_exit(3);
	}
	close(ready[1]);
	close(park[0]);
	*hold = park[1];
	kt_await(ready[0]);
	close(ready[0]);
	return pid;
}

TEST_F_TIMEOUT(qpoll, owner_death, 60)
{
	struct kipc_queue_stat st;
	char out[64];
	int h, ep, hold;
	pid_t pid;

	pid = spawn_owner(_metadata, self->name, 1, &hold);
	h = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);
	ep = kt_epoll_for(h, KT_POLL_ALL);
	ASSERT_LE(0, ep);
	KT_EXPECT_EVENTS(h, ep, EV_IN | EV_OUT);

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));

	/* Dead: EPOLLHUP at once, EPOLLIN while a message is left. */
	ASSERT_EQ(0, kt_stat(h, &st));
	EXPECT_EQ(KIPC_STATE_DEAD, st.state);
	KT_EXPECT_EVENTS(h, ep, EV_IN | POLLHUP);
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDONLY));
	EXPECT_EQ(-EPIPE, kipc_send(h, 1, 0, "x", 1, 0));
	ASSERT_EQ(3, kipc_recv(h, NULL, out, sizeof(out), NULL, 0));
	EXPECT_EQ(0, memcmp(out, "bye", 3));
	KT_EXPECT_EVENTS(h, ep, POLLHUP);
	EXPECT_EQ(-EPIPE, kipc_recv(h, NULL, out, sizeof(out), NULL, -1));
	close(hold);
}

/* A poll(2) or epoll_wait(2) sleeper in a thread of this process. */
struct sleeper {
	pthread_t thread;
	int fd;		/* poll this fd ... */
	int ep;		/* ... or, if >= 0, epoll_wait on this */
	short events;
	int tidpipe[2];
	int ret;
	int revents;
	int data_fd;
};

static void *sleeper_fn(void *arg)
{
	struct sleeper *s = arg;
	pid_t tid = syscall(SYS_gettid);

	if (write(s->tidpipe[1], &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	if (s->ep >= 0) {
		struct epoll_event ev;

		memset(&ev, 0xcc, sizeof(ev));
		s->ret = epoll_wait(s->ep, &ev, 1, -1);
		s->revents = ev.events;
		s->data_fd = ev.data.fd;
	} else {
		struct pollfd p = { .fd = s->fd, .events = s->events };

		s->ret = poll(&p, 1, -1);
		s->revents = p.revents;
		s->data_fd = s->fd;
	}
	return NULL;
}

/* Start the sleeper and return once it is asleep in the kernel. */
static void sleeper_start(struct __test_metadata *_metadata,
			  struct sleeper *s, int fd, short events, int epoll)
{
	pid_t tid;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->events = events;
	s->ep = -1;
	s->ret = -2;
	if (epoll) {
		struct epoll_event ev = { .events = events, .data.fd = fd };

		s->ep = epoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, s->ep);
		ASSERT_EQ(0, epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev));
	}
	ASSERT_EQ(0, pipe(s->tidpipe));
	ASSERT_EQ(0, pthread_create(&s->thread, NULL, sleeper_fn, s));
	ASSERT_EQ(sizeof(tid), read(s->tidpipe[0], &tid, sizeof(tid)));
	ASSERT_EQ(0, kt_wait_sleeping(getpid(), tid));
}

static void sleeper_expect(struct __test_metadata *_metadata,
			   struct sleeper *s, int want)
{
	ASSERT_EQ(0, pthread_join(s->thread, NULL));
	EXPECT_EQ(1, s->ret);
	EXPECT_EQ(want, s->revents);
	EXPECT_EQ(s->fd, s->data_fd);
	if (s->ep >= 0)
		close(s->ep);
	close(s->tidpipe[0]);
	close(s->tidpipe[1]);
}

TEST_F_TIMEOUT(qpoll, poll_woken_by_send, 60)
{
	struct sleeper s;
	int q;

	q = kt_queue(self->name, 2, 64, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	sleeper_start(_metadata, &s, q, POLLIN, 0);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "a", 1, 0));
	sleeper_expect(_metadata, &s, POLLIN);
}

TEST_F_TIMEOUT(qpoll, poll_woken_by_recv, 60)
{
	struct sleeper s;
	char out[8];
	int q;

	q = kt_queue(self->name, 1, 64, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "a", 1, 0));
	sleeper_start(_metadata, &s, q, POLLOUT, 0);
	ASSERT_EQ(1, kipc_recv(q, NULL, out, sizeof(out), NULL, 0));
	sleeper_expect(_metadata, &s, POLLOUT);
}

TEST_F_TIMEOUT(qpoll, poll_woken_by_shutdown, 60)
{
	struct sleeper s;
	int q;

	q = kt_queue(self->name, 2, 64, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	sleeper_start(_metadata, &s, q, POLLIN, 0);
	ASSERT_EQ(0, kipc_queue_shutdown(q));
	sleeper_expect(_metadata, &s, POLLHUP);
}

TEST_F_TIMEOUT(qpoll, epoll_woken_by_send, 60)
{
	struct sleeper s;
	int q;

	q = kt_queue(self->name, 2, 64, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	sleeper_start(_metadata, &s, q, EPOLLIN, 1);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "a", 1, 0));
	sleeper_expect(_metadata, &s, EPOLLIN);
}

TEST_F_TIMEOUT(qpoll, epoll_woken_by_owner_death, 60)
{
	struct sleeper s;
	int r, hold;
	pid_t pid;

	pid = spawn_owner(_metadata, self->name, 0, &hold);
	r = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);
	sleeper_start(_metadata, &s, r, EPOLLIN, 1);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));
	sleeper_expect(_metadata, &s, EPOLLHUP);
	close(hold);
}

/* epoll_wait asleep in another process wakes on a send. */
TEST_F_TIMEOUT(qpoll, epoll_other_process, 60)
{
	struct kipc_msg info;
	int q, ready[2];
	char out[8];
	pid_t pid;

	q = kt_queue(self->name, 2, 64, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, pipe(ready));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = q };
		int ep = epoll_create1(EPOLL_CLOEXEC);

		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, q, &ev))
			_exit(1);
		kt_signal(ready[1]);
		memset(&ev, 0xcc, sizeof(ev));
		if (epoll_wait(ep, &ev, 1, -1) != 1)
			_exit(2);
		_exit(ev.events == EPOLLIN && ev.data.fd == q ? 0 : 3);
	}
	close(ready[1]);
	kt_await(ready[0]);
	ASSERT_EQ(0, kt_wait_sleeping(pid, pid));
	ASSERT_EQ(0, kipc_send(q, 4, 0, "ping", 4, 0));
	EXPECT_EQ(0, kt_reap(pid));

	/* The waker only reported it: the message is still there. */
	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(4, kipc_recv(q, NULL, out, sizeof(out), &info, 0));
	EXPECT_EQ(4, info.type);
	EXPECT_EQ(0, memcmp(out, "ping", 4));
}

TEST_HARNESS_MAIN
