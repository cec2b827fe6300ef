// SPDX-License-Identifier: GPL-2.0
/*
 * Hang-up through epoll and poll, for every way a queue or an event
 * finishes: a queue shut down by another handle while empty, a queue shut
 * down while it holds a message and then drained by another handle, the
 * owner's death (SIGKILL) of a queue and of an event.  The handle watched
 * is registered for each mask event loops use: EPOLLIN, EPOLLIN|EPOLLRDHUP,
 * EPOLLOUT, 0 (hang-up only), EPOLLIN|EPOLLET, EPOLLIN|EPOLLOUT|EPOLLET.
 * A thread asleep in epoll_wait (or in poll) must learn of the hang-up
 * within a generous bound; EPOLLRDHUP is reported with it when asked for.
 *
 * Then the store-buffering window between a sleeper that registers on the
 * wait queue and reads the state, and a sender that changes the state and
 * tests for sleepers: a poller and a sender on different CPUs, one
 * message per round; a round where poll or a new epoll item sleeps past a
 * queued message is a missed wakeup.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "lib/kt_harness.h"

#define BOUND_MS	5000	/* a hang-up not seen by then is lost */
/*
 * poll(2) looks once more when its timeout ends, and would then find the
 * hang-up it was not woken for: its own timeout is longer than the bound.
 */
#define POLL_MS		(4 * BOUND_MS)

static const struct {
	uint32_t mask;
	const char *name;
} masks[] = {
	{ EPOLLIN, "EPOLLIN" },
	{ EPOLLIN | EPOLLRDHUP, "EPOLLIN|EPOLLRDHUP" },
	{ EPOLLOUT, "EPOLLOUT" },
	{ 0, "0 (EPOLLHUP only)" },
	{ EPOLLIN | EPOLLET, "EPOLLIN|EPOLLET" },
	{ EPOLLIN | EPOLLOUT | EPOLLET, "EPOLLIN|EPOLLOUT|EPOLLET" },
};

#define NMASKS	(sizeof(masks) / sizeof(masks[0]))

FIXTURE(hup) {
	char name[64];
};

FIXTURE_SETUP(hup)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "ephup");
}

FIXTURE_TEARDOWN(hup)
{
}

/* A thread in epoll_wait until it sees EPOLLHUP or BOUND_MS pass. */
struct watch {
	pthread_t thread;
	int ep;
	uint32_t mask;
	uint32_t got;		/* every event reported */
	atomic_int hup;		/* 1: saw EPOLLHUP; -1: timed out */
};

static void *watcher(void *arg)
{
	struct watch *w = arg;
	struct epoll_event ev;
	int n;

	for (;;) {
		n = epoll_wait(w->ep, &ev, 1, BOUND_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			atomic_store(&w->hup, -1);
			return NULL;
		}
		w->got |= ev.events;
		if (ev.events & EPOLLHUP) {
			atomic_store(&w->hup, 1);
			return NULL;
		}
		/* Level-triggered EPOLLIN repeats until the queue drains. */
		if (!(w->mask & EPOLLET))
			usleep(1000);
	}
}

static int watch_start(struct watch *w, int fd, uint32_t mask)
{
	struct epoll_event ev = { .events = mask, .data.fd = fd };
	struct epoll_event junk;

	memset(w, 0, sizeof(*w));
	w->mask = mask;
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0)
		return -errno;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	/* Edge-triggered: take the edge of the registration itself. */
	if (mask & EPOLLET && epoll_wait(w->ep, &junk, 1, 0) == 1)
		w->got |= junk.events;
	if (pthread_create(&w->thread, NULL, watcher, w))
		return -EAGAIN;
	/* Let it fall asleep; the result must not depend on this. */
	usleep(20000);
	return 0;
}

/* Join the watcher; true if it saw EPOLLHUP. */
static bool watch_end(struct watch *w)
{
	pthread_join(w->thread, NULL);
	close(w->ep);
	return atomic_load(&w->hup) == 1;
}

enum path { SHUTDOWN_EMPTY, SHUTDOWN_DRAIN, OWNER_DEATH, EVENT_DEATH };

/* A child that creates the object, says so, and waits to be killed. */
static pid_t owner_child(const char *name, bool event, int *ready)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		int fd = event ? kipc_event_create(name, KIPC_EVENT_COUNTER,
						   0, 0, 0600) :
			 kt_queue(name, 4, 64, 0, KIPC_POLICY_BLOCK, 0);

		if (fd < 0)
			_exit(1);
		if (!event && kipc_send(fd, 1, 0, "m", 1, 0))
			_exit(2);
		kt_signal(p[1]);
		pause();
		_exit(0);
	}
	close(p[1]);
	*ready = p[0];
	return pid;
}

static void run_path(struct __test_metadata *_metadata, const char *name,
		     enum path path)
{
	unsigned int i;

	for (i = 0; i < NMASKS; i++) {
		uint32_t mask = masks[i].mask;
		int q = -1, w, other = -1, ready;
		pid_t owner = 0;
		struct watch wt;
		char out[64];

		switch (path) {
		case SHUTDOWN_EMPTY:
		case SHUTDOWN_DRAIN:
			q = kt_queue(name, 4, 64, 0, KIPC_POLICY_BLOCK, 0);
			ASSERT_LE(0, q);
			w = kipc_queue_open(name, KIPC_RDWR);
			other = kipc_queue_open(name, KIPC_RDWR);
			ASSERT_LE(0, other);
			if (path == SHUTDOWN_DRAIN)
				ASSERT_EQ(0, kipc_send(q, 1, 0, "m", 1, 0));
			break;
		case OWNER_DEATH:
		case EVENT_DEATH:
			owner = owner_child(name, path == EVENT_DEATH, &ready);
			ASSERT_LT(0, owner);
			kt_await(ready);
			close(ready);
			w = path == EVENT_DEATH ?
				kipc_event_open(name, KIPC_RDWR) :
				kipc_queue_open(name, KIPC_RDWR);
			break;
		}
		ASSERT_LE(0, w);
		ASSERT_EQ(0, watch_start(&wt, w, mask));

		switch (path) {
		case SHUTDOWN_EMPTY:
			ASSERT_EQ(0, kipc_queue_shutdown(other));
			break;
		case SHUTDOWN_DRAIN:
			ASSERT_EQ(0, kipc_queue_shutdown(other));
			usleep(10000);
			ASSERT_EQ(1, kipc_recv(other, NULL, out, sizeof(out),
					       NULL, 0));
			break;
		case OWNER_DEATH:
		case EVENT_DEATH:
			kill(owner, SIGKILL);
			EXPECT_EQ(128 + SIGKILL, kt_reap(owner));
			break;
		}

		EXPECT_TRUE(watch_end(&wt)) {
			TH_LOG("mask %s: no EPOLLHUP within %d ms (saw %#x)",
			       masks[i].name, BOUND_MS, wt.got);
		}
		if (mask & EPOLLRDHUP && path != EVENT_DEATH)
			EXPECT_TRUE(wt.got & EPOLLRDHUP) {
				TH_LOG("mask %s: no EPOLLRDHUP (saw %#x)",
				       masks[i].name, wt.got);
			}
		close(w);
		if (other >= 0)
			close(other);
		if (q >= 0)
			close(q);
	}
}

TEST_F(hup, queue_shutdown_empty)
{
	run_path(_metadata, self->name, SHUTDOWN_EMPTY);
}

TEST_F(hup, queue_shutdown_then_drain_by_other)
{
	run_path(_metadata, self->name, SHUTDOWN_DRAIN);
}

TEST_F(hup, queue_owner_death)
{
	run_path(_metadata, self->name, OWNER_DEATH);
}

TEST_F(hup, event_owner_death)
{
	run_path(_metadata, self->name, EVENT_DEATH);
}

/* poll(2) asleep asking for nothing (hang-up only) while another drains. */
struct poller {
	int fd;
	short events;
	short revents;
	int n;
	atomic_int tid;
};

static void *poll_thread(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd = { .fd = p->fd, .events = p->events };

	atomic_store(&p->tid, (int)syscall(SYS_gettid));
	do
		p->n = syscall(SYS_poll, &pfd, 1, POLL_MS);
	while (p->n < 0 && errno == EINTR);
	p->revents = pfd.revents;
	return NULL;
}

/* Wait until thread @tid sleeps in system call @nr; 0 or -ETIMEDOUT. */
static int wait_asleep_in(int tid, long nr)
{
	char path[64], buf[256];
	int i, fd;
	ssize_t n;

	for (i = 0; i < 10000; i++) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall",
			 tid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (strtol(buf, NULL, 10) == nr) {
				snprintf(path, sizeof(path),
					 "/proc/self/task/%d/stat", tid);
				fd = open(path, O_RDONLY | O_CLOEXEC);
				n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
				if (fd >= 0)
					close(fd);
				if (n > 0) {
					buf[n] = '\0';
					if (strstr(buf, ") S "))
						return 0;
				}
			}
		}
		usleep(1000);
	}
	return -ETIMEDOUT;
}

TEST_F_TIMEOUT(hup, poll_shutdown_then_drain_by_other, 120)
{
	/* Asking for input, poll returns at once: the message is there. */
	static const short evs[] = { 0, POLLOUT };
	unsigned int i;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		struct poller p = { .events = evs[i] };
		struct timespec dl;
		pthread_t t;
		char out[8];
		int q, other;

		q = kt_queue(self->name, 4, 64, 0, KIPC_POLICY_BLOCK, 0);
		ASSERT_LE(0, q);
		other = kipc_queue_open(self->name, KIPC_RDWR);
		ASSERT_LE(0, other);
		ASSERT_EQ(0, kipc_send(q, 1, 0, "m", 1, 0));
		ASSERT_EQ(0, kipc_queue_shutdown(q));
		p.fd = q;
		ASSERT_EQ(0, pthread_create(&t, NULL, poll_thread, &p));
		while (!atomic_load(&p.tid))
			usleep(1000);
		/* Asleep in poll, its entry on the queue's wait queue. */
		ASSERT_EQ(0, wait_asleep_in(atomic_load(&p.tid), SYS_poll));
		ASSERT_EQ(1, kipc_recv(other, NULL, out, sizeof(out), NULL, 0));
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += BOUND_MS / 1000;
		EXPECT_EQ(0, pthread_timedjoin_np(t, NULL, &dl)) {
			TH_LOG("poll events %#x: no wakeup within %d ms",
			       evs[i], BOUND_MS);
			pthread_join(t, NULL);
		}
		EXPECT_EQ(1, p.n);
		EXPECT_TRUE(p.revents & POLLHUP);
		close(other);
		close(q);
	}
}

/* --- missed wakeups ---------------------------------------------------- */

struct sb {
	int q;
	int rounds;
	bool use_epoll;
	atomic_int turn;	/* the poller's round, published before it sleeps */
	atomic_int stop;
	int misses;
	int done;
};

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *sb_sender(void *arg)
{
	struct sb *s = arg;
	int r;

	pin(1);
	for (r = 1; r <= s->rounds && !atomic_load(&s->stop); r++) {
		while (atomic_load(&s->turn) < r && !atomic_load(&s->stop))
			;
		if (kipc_send(s->q, 1, 0, "w", 1, -1))
			break;
	}
	return NULL;
}

/*
 * Round r: publish r, then sleep in poll (or on a new epoll item) for the
 * message the sender sends as soon as it sees r; the two race on the wait
 * queue.  A round that times out with the message queued is a miss.
 */
static void sb_run(struct __test_metadata *_metadata, struct sb *s)
{
	struct kipc_queue_stat st;
	pthread_t t;
	char out[8];
	int r, n;

	pin(0);
	ASSERT_EQ(0, pthread_create(&t, NULL, sb_sender, s));
	for (r = 1; r <= s->rounds && s->misses < 3; r++) {
		struct pollfd pfd = { .fd = s->q, .events = POLLIN };
		struct epoll_event ev = { .events = EPOLLIN };
		int ep = -1;

		if (s->use_epoll)
			ep = epoll_create1(EPOLL_CLOEXEC);
		atomic_store(&s->turn, r);
		if (s->use_epoll) {
			/* The item's registration is the racing poll. */
			ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, s->q, &ev));
			n = epoll_wait(ep, &ev, 1, 1000);
			close(ep);
		} else {
			n = poll(&pfd, 1, 1000);
		}
		if (n == 0) {
			ASSERT_EQ(0, kipc_queue_stat(s->q, &st));
			if (st.depth_msgs)
				s->misses++;
		}
		ASSERT_EQ(1, kipc_recv(s->q, NULL, out, sizeof(out), NULL,
				       -1));
		s->done++;
	}
	atomic_store(&s->stop, 1);
	pthread_join(t, NULL);
}

static void sb_test(struct __test_metadata *_metadata, const char *name,
		    bool use_epoll)
{
	struct sb s = { .use_epoll = use_epoll };

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		KT_SKIP(return, "needs two CPUs for the two sides");
	s.rounds = kt_scaled(use_epoll ? 5000 : 20000);
	s.q = kt_queue(name, 4, 64, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, s.q);
	sb_run(_metadata, &s);
	EXPECT_EQ(0, s.misses) {
		TH_LOG("%d missed wakeups in %d rounds", s.misses, s.done);
	}
	TH_LOG("%d rounds, %d missed wakeups", s.done, s.misses);
	close(s.q);
}

TEST_F_TIMEOUT(hup, poll_missed_wakeup, 300)
{
	sb_test(_metadata, self->name, false);
}

TEST_F_TIMEOUT(hup, epoll_missed_wakeup, 300)
{
	sb_test(_metadata, self->name, true);
}

TEST_HARNESS_MAIN
