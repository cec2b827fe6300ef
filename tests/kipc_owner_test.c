// SPDX-License-Identifier: GPL-2.0
/*
 * Owner death and persistence of kipc queues (docs/queues.md, "Owner death
 * and persistence"): a non-persistent queue dies when the last reference
 * of its owner handle goes (kill -9, exit, close, the last dup, the last
 * forked copy, exec with close-on-exec).  Death wakes blocked senders and
 * receivers with -EPIPE, removes the name, lets receivers drain what was
 * queued, and makes poll report POLLHUP.  KIPC_PERSIST queues outlive their
 * creator until unlinked and closed; unlinking a live queue keeps it alive
 * for the handles already open.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/types.h>

#include "lib/kt_harness.h"

#define FOREVER		(-1LL)
#define ONE_HOUR	(3600LL * 1000 * MS)

static const struct kipc_queue_attr one_slot = {
	.max_msgs	= 1,
	.max_msg_size	= 64,
	.policy		= KIPC_POLICY_BLOCK,
};

static const struct kipc_queue_attr small = {
	.max_msgs	= 8,
	.max_msg_size	= 64,
	.policy		= KIPC_POLICY_BLOCK,
};

/* A send or receive issued from a thread, so the test can block in it. */
struct blocked_call {
	pthread_t thread;
	int q;
	bool send;
	int64_t timeout;
	int ret;
	char buf[64];
};

static void *blocked_call_fn(void *arg)
{
	struct blocked_call *c = arg;

	if (c->send)
		c->ret = kipc_send(c->q, 2, 0, "blocked", 8, c->timeout);
	else
		c->ret = kipc_recv(c->q, NULL, c->buf, sizeof(c->buf), NULL,
				   c->timeout);
	return NULL;
}

static int blocked_call_start(struct blocked_call *c, int q, bool send,
			      int64_t timeout)
{
	c->q = q;
	c->send = send;
	c->timeout = timeout;
	c->ret = 0x7fffffff;
	return pthread_create(&c->thread, NULL, blocked_call_fn, c);
}

static int stat_state(int q)
{
	struct kipc_queue_stat st;
	int ret;

	memset(&st, 0xcc, sizeof(st));
	ret = kipc_queue_stat(q, &st);
	return ret < 0 ? ret : (int)st.state;
}

static int stat_id(int q)
{
	struct kipc_queue_stat st;
	int ret;

	memset(&st, 0xcc, sizeof(st));
	ret = kipc_queue_stat(q, &st);
	return ret < 0 ? ret : (int)st.id;
}

/* 0 when the name opens (the handle is closed again), else -errno. */
static int name_opens(const char *name)
{
	int h = kipc_queue_open(name, KIPC_RDWR);

	if (h < 0)
		return h;
	close(h);
	return 0;
}

/* Receive one message with timeout 0 and check its payload. */
static int recv_str(int q, const char *want)
{
	char buf[64];
	ssize_t n;

	memset(buf, 0xcc, sizeof(buf));
	n = kipc_recv(q, NULL, buf, sizeof(buf), NULL, 0);
	if (n < 0)
		return n;
	if ((size_t)n != strlen(want) + 1 || memcmp(buf, want, n))
		return -EBADMSG;
	return 0;
}

FIXTURE(owner) {
	char name_a[64];
	char name_b[64];
};

FIXTURE_VARIANT(owner) {
	int how;		/* how the owner's handle goes away */
	int64_t timeout;	/* of the blocked send and receive */
};

enum { BY_KILL, BY_EXIT, BY_CLOSE };

FIXTURE_VARIANT_ADD(owner, kill9_forever) { .how = BY_KILL, .timeout = FOREVER };
FIXTURE_VARIANT_ADD(owner, kill9_timed) { .how = BY_KILL, .timeout = ONE_HOUR };
FIXTURE_VARIANT_ADD(owner, exit_forever) { .how = BY_EXIT, .timeout = FOREVER };
FIXTURE_VARIANT_ADD(owner, close_forever) { .how = BY_CLOSE, .timeout = FOREVER };
FIXTURE_VARIANT_ADD(owner, close_timed) { .how = BY_CLOSE, .timeout = ONE_HOUR };

FIXTURE_SETUP(owner)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name_a, sizeof(self->name_a), "owner-a");
	kt_name(self->name_b, sizeof(self->name_b), "owner-b");
}

FIXTURE_TEARDOWN(owner)
{
	kipc_unlink(self->name_a);
	kipc_unlink(self->name_b);
}

/*
 * A child owns two one-slot queues: A (which the parent fills, then blocks
 * sending to) and B (empty, the parent blocks receiving from).  The child
 * then loses its owner handles by kill -9, exit or close.
 */
TEST_F_TIMEOUT(owner, death_wakes_blocked_and_removes_name, 180)
{
	struct blocked_call snd, rcv;
	int ready[2], ctl[2];
	int ha, hb, qa, qb, ret;
	int64_t t0, elapsed;
	short ev;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(ctl));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ready[0]);
		close(ctl[1]);
		qa = kipc_queue_create(self->name_a, &one_slot, 0, 0600);
		KT_CHILD_CHECK(qa >= 0);
		qb = kipc_queue_create(self->name_b, &one_slot, 0, 0600);
		KT_CHILD_CHECK(qb >= 0);
		kt_signal(ready[1]);
		/* Commands: 'c' closes the owner handles, 'x' exits. */
		while (read(ctl[0], &c, 1) == 1) {
			if (c == 'x')
				_exit(0);
			KT_CHILD_CHECK(close(qa) == 0 && close(qb) == 0);
			kt_signal(ready[1]);
		}
		_exit(0);
	}
	close(ready[1]);
	close(ctl[0]);
	kt_await(ready[0]);

	ha = kipc_queue_open(self->name_a, KIPC_RDWR);
	ASSERT_LE(0, ha);
	hb = kipc_queue_open(self->name_b, KIPC_RDWR);
	ASSERT_LE(0, hb);
	ASSERT_EQ(0, kipc_send(ha, 1, 0, "first", 6, 0));

	ASSERT_EQ(0, blocked_call_start(&snd, ha, true, variant->timeout));
	ASSERT_EQ(0, blocked_call_start(&rcv, hb, false, variant->timeout));
	ASSERT_EQ(0, kt_wait_blocked(ha, 1, 0));
	ASSERT_EQ(0, kt_wait_blocked(hb, 0, 1));

	t0 = kt_now_ns();
	switch (variant->how) {
	case BY_KILL:
		ASSERT_EQ(0, kill(pid, SIGKILL));
		break;
	case BY_EXIT:
		c = 'x';
		ASSERT_EQ(1, write(ctl[1], &c, 1));
		break;
	case BY_CLOSE:
		c = 'c';
		ASSERT_EQ(1, write(ctl[1], &c, 1));
		kt_await(ready[0]);
		break;
	}

	/* Both wake with EPIPE, not at their timeout. */
	ASSERT_EQ(0, pthread_join(snd.thread, NULL));
	ASSERT_EQ(0, pthread_join(rcv.thread, NULL));
	elapsed = kt_now_ns() - t0;
	EXPECT_EQ(-EPIPE, snd.ret);
	EXPECT_EQ(-EPIPE, rcv.ret);
	if (variant->timeout > 0)
		EXPECT_GT(variant->timeout / 4, elapsed);

	if (variant->how == BY_CLOSE) {
		/* The child is still alive: close alone killed the queues. */
		EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));
	}

	/* The names are gone. */
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name_a, KIPC_RDWR));
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name_b, KIPC_RDONLY));

	EXPECT_EQ(KIPC_STATE_DEAD, stat_state(ha));
	EXPECT_EQ(KIPC_STATE_DEAD, stat_state(hb));

	/* Dead: HUP; A still holds "first" so it is also readable. */
	ev = kt_poll_events(ha, POLLIN | POLLOUT);
	EXPECT_EQ(POLLIN | POLLHUP, ev & (POLLIN | POLLOUT | POLLHUP));
	ev = kt_poll_events(hb, POLLIN | POLLOUT);
	EXPECT_EQ(POLLHUP, ev & (POLLIN | POLLOUT | POLLHUP));

	/* Sends fail; receivers drain what was queued, then EPIPE. */
	EXPECT_EQ(-EPIPE, kipc_send(ha, 1, 0, "late", 5, 0));
	EXPECT_EQ(-EPIPE, kipc_send(hb, 1, 0, "late", 5, FOREVER));
	EXPECT_EQ(0, recv_str(ha, "first"));
	EXPECT_EQ(-EPIPE, recv_str(ha, "first"));
	ret = kipc_recv(ha, NULL, snd.buf, sizeof(snd.buf), NULL, FOREVER);
	EXPECT_EQ(-EPIPE, ret);
	EXPECT_EQ(-EPIPE, recv_str(hb, ""));
	ev = kt_poll_events(ha, POLLIN | POLLOUT);
	EXPECT_EQ(POLLHUP, ev & (POLLIN | POLLOUT | POLLHUP));

	/* The names can be created again, as new live queues. */
	qa = kipc_queue_create(self->name_a, &small, 0, 0600);
	ASSERT_LE(0, qa);
	qb = kipc_queue_create(self->name_b, &small, 0, 0600);
	ASSERT_LE(0, qb);
	EXPECT_EQ(KIPC_STATE_LIVE, stat_state(qa));
	EXPECT_NE(stat_id(ha), stat_id(qa));
	EXPECT_EQ(0, kipc_send(qa, 1, 0, "new", 4, 0));
	EXPECT_EQ(0, recv_str(qa, "new"));
	/* The old handle is not connected to the new queue. */
	EXPECT_EQ(KIPC_STATE_DEAD, stat_state(ha));
	close(qa);
	close(qb);

	close(ha);
	close(hb);
	close(ctl[1]);
	ret = kt_reap(pid);
	EXPECT_EQ(variant->how == BY_KILL ? 128 + SIGKILL : 0, ret);
}

FIXTURE(own) {
	char name[64];
};

FIXTURE_SETUP(own)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "own");
}

FIXTURE_TEARDOWN(own)
{
	kipc_unlink(self->name);
}

/* Closing one dup of the owner handle does not kill; the last one does. */
TEST_F_TIMEOUT(own, dup_last_close_kills, 120)
{
	struct blocked_call rcv;
	int q, d, h;

	q = kipc_queue_create(self->name, &small, 0, 0600);
	ASSERT_LE(0, q);
	d = dup(q);
	ASSERT_LE(0, d);
	h = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);

	ASSERT_EQ(0, close(q));
	EXPECT_EQ(KIPC_STATE_LIVE, stat_state(h));
	EXPECT_EQ(0, name_opens(self->name));
	EXPECT_EQ(0, kipc_send(h, 1, 0, "via-h", 6, 0));
	EXPECT_EQ(0, recv_str(d, "via-h"));
	EXPECT_EQ(0, kipc_send(d, 1, 0, "via-d", 6, 0));
	EXPECT_EQ(0, recv_str(h, "via-d"));

	/* A receiver blocked on another handle wakes when the last dup goes. */
	ASSERT_EQ(0, blocked_call_start(&rcv, h, false, FOREVER));
	ASSERT_EQ(0, kt_wait_blocked(h, 0, 1));
	ASSERT_EQ(0, close(d));
	ASSERT_EQ(0, pthread_join(rcv.thread, NULL));
	EXPECT_EQ(-EPIPE, rcv.ret);
	EXPECT_EQ(KIPC_STATE_DEAD, stat_state(h));
	EXPECT_EQ(-ENOENT, name_opens(self->name));
	EXPECT_EQ(POLLHUP, kt_poll_events(h, POLLIN | POLLOUT) &
			  (POLLIN | POLLOUT | POLLHUP));
	close(h);
}

FIXTURE(fork_owner) {
	char name[64];
};

FIXTURE_VARIANT(fork_owner) {
	int last;	/* who drops the owner handle last */
};

enum { LAST_CHILD_CLOSE, LAST_CHILD_KILLED, LAST_PARENT_CLOSE };

FIXTURE_VARIANT_ADD(fork_owner, child_closes_last) { .last = LAST_CHILD_CLOSE };
FIXTURE_VARIANT_ADD(fork_owner, child_killed_last) { .last = LAST_CHILD_KILLED };
FIXTURE_VARIANT_ADD(fork_owner, parent_closes_last) { .last = LAST_PARENT_CLOSE };

FIXTURE_SETUP(fork_owner)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "forkown");
}

FIXTURE_TEARDOWN(fork_owner)
{
	kipc_unlink(self->name);
}

/* A forked owner handle: the queue dies when both copies are closed. */
TEST_F_TIMEOUT(fork_owner, dies_with_last_copy, 120)
{
	int ctl[2], ack[2];
	int q, h, ret;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(ctl));
	ASSERT_EQ(0, pipe(ack));
	q = kipc_queue_create(self->name, &small, 0, 0600);
	ASSERT_LE(0, q);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ctl[1]);
		close(ack[0]);
		/* 'c': close the inherited owner handle; EOF: exit. */
		while (read(ctl[0], &c, 1) == 1) {
			KT_CHILD_CHECK(close(q) == 0);
			kt_signal(ack[1]);
		}
		_exit(0);
	}
	close(ctl[0]);
	close(ack[1]);

	h = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);

	if (variant->last == LAST_PARENT_CLOSE) {
		kt_signal(ctl[1]);
		kt_await(ack[0]);
	} else {
		ASSERT_EQ(0, close(q));
	}

	/* One copy is left: alive and named. */
	EXPECT_EQ(KIPC_STATE_LIVE, stat_state(h));
	EXPECT_EQ(0, name_opens(self->name));
	EXPECT_EQ(0, kipc_send(h, 1, 0, "alive", 6, 0));
	EXPECT_EQ(0, recv_str(h, "alive"));

	switch (variant->last) {
	case LAST_PARENT_CLOSE:
		ASSERT_EQ(0, close(q));
		break;
	case LAST_CHILD_CLOSE:
		kt_signal(ctl[1]);
		kt_await(ack[0]);
		break;
	case LAST_CHILD_KILLED:
		ASSERT_EQ(0, kill(pid, SIGKILL));
		EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
		pid = 0;
		break;
	}

	EXPECT_EQ(KIPC_STATE_DEAD, stat_state(h));
	EXPECT_EQ(-ENOENT, name_opens(self->name));
	EXPECT_EQ(-EPIPE, kipc_send(h, 1, 0, "dead", 5, 0));
	EXPECT_EQ(-EPIPE, recv_str(h, ""));

	close(h);
	close(ctl[1]);
	if (pid) {
		ret = kt_reap(pid);
		EXPECT_EQ(0, ret);
	}
}

/*
 * KIPC_PERSIST: the queue and its messages outlive the creator's exit and
 * handle-less periods; it goes only after kipc_unlink and the last close.
 */
TEST_F_TIMEOUT(own, persist_outlives_owner_exit, 120)
{
	int h, h2, q;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		q = kipc_queue_create(self->name, &small, KIPC_PERSIST, 0600);
		KT_CHILD_CHECK(q >= 0);
		KT_CHILD_CHECK(kipc_send(q, 1, 0, "one", 4, 0) == 0);
		KT_CHILD_CHECK(kipc_send(q, 1, 0, "two", 4, 0) == 0);
		_exit(0);	/* exit closes the owner handle */
	}
	ASSERT_EQ(0, kt_reap(pid));

	h = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);
	EXPECT_EQ(KIPC_STATE_LIVE, stat_state(h));
	EXPECT_EQ(0, recv_str(h, "one"));
	EXPECT_EQ(0, kipc_send(h, 1, 0, "three", 6, 0));
	EXPECT_EQ(0, (int)(kt_poll_events(h, POLLIN | POLLOUT) & POLLHUP));
	ASSERT_EQ(0, close(h));

	/* No handle open at all: still there, with its message. */
	h2 = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h2);
	EXPECT_EQ(0, recv_str(h2, "two"));

	/* Unlinked: the name goes, the open handle keeps working. */
	EXPECT_EQ(0, kipc_unlink(self->name));
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDWR));
	EXPECT_EQ(-ENOENT, kipc_unlink(self->name));
	EXPECT_EQ(KIPC_STATE_LIVE, stat_state(h2));
	EXPECT_EQ(0, recv_str(h2, "three"));
	EXPECT_EQ(0, kipc_send(h2, 1, 0, "four", 5, 0));
	EXPECT_EQ(0, recv_str(h2, "four"));
	ASSERT_EQ(0, close(h2));

	/* Gone for good; the name is free. */
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDONLY));
	q = kipc_queue_create(self->name, &small, 0, 0600);
	ASSERT_LE(0, q);
	EXPECT_EQ(-EAGAIN, recv_str(q, ""));
	close(q);
}

/* kill -9 of a KIPC_PERSIST queue's creator wakes nobody with EPIPE. */
TEST_F_TIMEOUT(own, persist_owner_kill_keeps_waiters, 120)
{
	struct blocked_call rcv;
	int ready[2], ctl[2];
	int h, q;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(ctl));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ready[0]);
		close(ctl[1]);
		q = kipc_queue_create(self->name, &small, KIPC_PERSIST, 0600);
		KT_CHILD_CHECK(q >= 0);
		kt_signal(ready[1]);
		/* Wait to be killed (EOF if the test dies first). */
		while (read(ctl[0], &c, 1) == 1)
			;
		_exit(0);
	}
	close(ready[1]);
	close(ctl[0]);
	kt_await(ready[0]);

	h = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);
	ASSERT_EQ(0, blocked_call_start(&rcv, h, false, FOREVER));
	ASSERT_EQ(0, kt_wait_blocked(h, 0, 1));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));

	/* Still live, named, and the receiver still waits. */
	EXPECT_EQ(KIPC_STATE_LIVE, stat_state(h));
	EXPECT_EQ(0, kt_wait_blocked(h, 0, 1));
	q = kipc_queue_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, q);
	EXPECT_EQ(0, kipc_send(q, 1, 0, "hello", 6, FOREVER));
	ASSERT_EQ(0, pthread_join(rcv.thread, NULL));
	EXPECT_EQ(6, rcv.ret);
	EXPECT_EQ(0, strcmp("hello", rcv.buf));

	close(q);
	close(h);
	close(ctl[1]);
	EXPECT_EQ(0, kipc_unlink(self->name));
	EXPECT_EQ(-ENOENT, name_opens(self->name));
}

/*
 * Unlinking a live non-persistent queue: open handles keep working, the
 * name can be reused at once, and the old queue's owner death does not
 * touch the new queue of that name.
 */
TEST_F_TIMEOUT(own, unlink_live_queue, 120)
{
	int q, h, q2, id2;

	q = kipc_queue_create(self->name, &small, 0, 0600);
	ASSERT_LE(0, q);
	h = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);

	EXPECT_EQ(0, kipc_unlink(self->name));
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDWR));
	EXPECT_EQ(KIPC_STATE_LIVE, stat_state(q));
	EXPECT_EQ(0, kipc_send(h, 1, 0, "h->q", 5, 0));
	EXPECT_EQ(0, recv_str(q, "h->q"));
	EXPECT_EQ(0, kipc_send(q, 1, 0, "q->h", 5, 0));
	EXPECT_EQ(0, recv_str(h, "q->h"));
	EXPECT_EQ(0, kipc_send(q, 1, 0, "kept", 5, 0));

	/* The name is free: a new, independent queue. */
	q2 = kipc_queue_create(self->name, &small, 0, 0600);
	ASSERT_LE(0, q2);
	id2 = stat_id(q2);
	EXPECT_NE(stat_id(q), id2);
	EXPECT_EQ(-EAGAIN, recv_str(q2, ""));
	EXPECT_EQ(0, kipc_send(q2, 1, 0, "new", 4, 0));

	/* The old owner goes: the old queue dies, the new name stays. */
	ASSERT_EQ(0, close(q));
	EXPECT_EQ(KIPC_STATE_DEAD, stat_state(h));
	EXPECT_EQ(0, recv_str(h, "kept"));
	EXPECT_EQ(-EPIPE, recv_str(h, ""));
	EXPECT_EQ(KIPC_STATE_LIVE, stat_state(q2));
	q = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, q);
	EXPECT_EQ(id2, stat_id(q));
	EXPECT_EQ(0, recv_str(q, "new"));

	close(q);
	close(h);
	close(q2);
	EXPECT_EQ(-ENOENT, name_opens(self->name));
}

/*
 * exec with close-on-exec: a child creates a queue and execs a shell that
 * keeps running; the exec alone (the child is still alive) kills the queue
 * and wakes the parent's blocked receiver with EPIPE.
 */
TEST_F_TIMEOUT(own, exec_cloexec_kills, 120)
{
	struct blocked_call rcv;
	int ready[2], go[2], in[2];
	int q, h;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(in));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		close(in[1]);
		q = kipc_queue_create(self->name, &small, 0, 0600);
		KT_CHILD_CHECK(q >= 0);
		/* Handles are close-on-exec by default. */
		KT_CHILD_CHECK(fcntl(q, F_GETFD) & FD_CLOEXEC);
		kt_signal(ready[1]);
		kt_await(go[0]);
		KT_CHILD_CHECK(dup2(in[0], 0) == 0);
		execl("/bin/sh", "sh", "-c", "read x", (char *)NULL);
		_exit(97);
	}
	close(ready[1]);
	close(go[0]);
	close(in[0]);
	kt_await(ready[0]);

	h = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, h);
	ASSERT_EQ(0, blocked_call_start(&rcv, h, false, FOREVER));
	ASSERT_EQ(0, kt_wait_blocked(h, 0, 1));

	kt_signal(go[1]);
	ASSERT_EQ(0, pthread_join(rcv.thread, NULL));
	EXPECT_EQ(-EPIPE, rcv.ret);
	EXPECT_EQ(KIPC_STATE_DEAD, stat_state(h));
	EXPECT_EQ(-ENOENT, name_opens(self->name));
	/* The shell still runs: the exec, not an exit, killed the queue. */
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));

	ASSERT_EQ(2, write(in[1], "x\n", 2));
	close(in[1]);
	EXPECT_EQ(0, kt_reap(pid));
	close(h);
}

TEST_HARNESS_MAIN
