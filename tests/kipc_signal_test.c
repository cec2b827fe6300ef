// SPDX-License-Identifier: GPL-2.0
/*
 * Signals and blocked queue calls (docs/queues.md, "Waiting, signals,
 * timeouts"): a handler without SA_RESTART ends a blocked receive or send
 * with -EINTR; with SA_RESTART an untimed wait restarts and a timed one
 * still ends with -EINTR; nothing is consumed or queued by the interrupted
 * call.  SIGKILL of a blocked receiver or sender leaves the queue intact
 * (no message handed to the dead task, no phantom waiters), and a receiver
 * stopped with SIGSTOP receives normally after SIGCONT.
 */
#include <stdlib.h>
#include <sys/types.h>

#include "lib/kt_harness.h"

#define FOREVER		(-1LL)
#define ONE_HOUR	(3600LL * 1000 * MS)

static const struct kipc_queue_attr one_slot = {
	.max_msgs	= 1,
	.max_msg_size	= 64,
};

static const struct kipc_queue_attr small = {
	.max_msgs	= 8,
	.max_msg_size	= 64,
};

FIXTURE(sig) {
	char name[64];
	int q;
	int hp[2];	/* the child's handler ran */
	int rp[2];	/* the child's call returned EINTR */
};

FIXTURE_VARIANT(sig) {
	bool restart;		/* SA_RESTART */
	int64_t timeout;
	bool eintr;		/* the call ends with EINTR, else restarts */
};

FIXTURE_VARIANT_ADD(sig, forever) {
	.restart = false, .timeout = FOREVER, .eintr = true,
};
FIXTURE_VARIANT_ADD(sig, timed) {
	.restart = false, .timeout = ONE_HOUR, .eintr = true,
};
FIXTURE_VARIANT_ADD(sig, restart_timed) {
	.restart = true, .timeout = ONE_HOUR, .eintr = true,
};
FIXTURE_VARIANT_ADD(sig, restart_forever) {
	.restart = true, .timeout = FOREVER, .eintr = false,
};

FIXTURE_SETUP(sig)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "sig");
	ASSERT_EQ(0, pipe(self->hp));
	ASSERT_EQ(0, pipe(self->rp));
}

FIXTURE_TEARDOWN(sig)
{
}

/*
 * A receiver waits for type 2 while a type 1 message is queued; SIGUSR1
 * interrupts (or restarts) it.  The type 1 message is never consumed, and
 * a type 2 message sent afterwards reaches the receiver intact.
 */
TEST_F_TIMEOUT(sig, blocked_recv, 120)
{
	struct kipc_queue_stat st;
	pid_t pid;

	self->q = kipc_queue_create(self->name, &small, 0, 0600);
	ASSERT_LE(0, self->q);
	ASSERT_EQ(0, kipc_send(self->q, 1, 0, "keep", 5, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_select sel = { KIPC_SEL_EQ, 2 };
		struct kipc_msg info;
		char buf[64];
		ssize_t n;

		kt_usr1_install(self->hp[1], variant->restart);
		memset(buf, 0xcc, sizeof(buf));
		n = kipc_recv(self->q, &sel, buf, sizeof(buf), &info,
			      variant->timeout);
		if (variant->eintr) {
			KT_CHILD_CHECK(n == -EINTR);
			KT_CHILD_CHECK(kt_usr1_handled == 1);
			kt_signal(self->rp[1]);
			/* Again, untimed: now the message comes. */
			memset(buf, 0xcc, sizeof(buf));
			memset(&info, 0xcc, sizeof(info));
			n = kipc_recv(self->q, &sel, buf, sizeof(buf), &info,
				      FOREVER);
		}
		KT_CHILD_CHECK(n == 6);
		KT_CHILD_CHECK(kt_usr1_handled == 1);
		KT_CHILD_CHECK(!memcmp(buf, "after", 6));
		KT_CHILD_CHECK(info.type == 2);
		KT_CHILD_CHECK(info.seq == 2);
		_exit(0);
	}

	ASSERT_EQ(0, kt_wait_blocked(self->q, 0, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	kt_await(self->hp[0]);
	if (variant->eintr)
		kt_await(self->rp[0]);

	/* The receiver is asleep again (its retry or its restart). */
	ASSERT_EQ(0, kt_wait_blocked(self->q, 0, 1));
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(0, st.received);
	EXPECT_EQ(0, st.timeouts);
	EXPECT_EQ(1, st.blocked_receivers);

	ASSERT_EQ(0, kipc_send(self->q, 2, 0, "after", 6, 0));
	EXPECT_EQ(0, kt_reap(pid));

	/* The message the receiver did not select is intact. */
	EXPECT_EQ(0, kt_recv_str(self->q, 1, "keep"));
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(2, st.sent);
	EXPECT_EQ(2, st.received);
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_EQ(0, st.timeouts);
	close(self->q);
}

/*
 * A sender blocks on a full one-slot queue; SIGUSR1 interrupts it (its
 * message is not queued) or restarts it (its message goes in once there
 * is room).
 */
TEST_F_TIMEOUT(sig, blocked_send, 120)
{
	struct kipc_queue_stat st;
	pid_t pid;

	self->q = kipc_queue_create(self->name, &one_slot, 0, 0600);
	ASSERT_LE(0, self->q);
	ASSERT_EQ(0, kipc_send(self->q, 1, 0, "full", 5, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ret;

		kt_usr1_install(self->hp[1], variant->restart);
		ret = kipc_send(self->q, 2, 0, "blocked", 8, variant->timeout);
		KT_CHILD_CHECK(kt_usr1_handled == 1);
		if (variant->eintr)
			KT_CHILD_CHECK(ret == -EINTR);
		else
			KT_CHILD_CHECK(ret == 0);
		_exit(0);
	}

	ASSERT_EQ(0, kt_wait_blocked(self->q, 1, 0));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	kt_await(self->hp[0]);

	if (variant->eintr) {
		EXPECT_EQ(0, kt_reap(pid));
		ASSERT_EQ(0, kt_stat(self->q, &st));
		EXPECT_EQ(1, st.depth_msgs);
		EXPECT_EQ(1, st.sent);
		EXPECT_EQ(0, st.blocked_senders);
		EXPECT_EQ(0, st.timeouts);
		EXPECT_EQ(0, kt_recv_str(self->q, 1, "full"));
		/* The interrupted message was never queued. */
		EXPECT_EQ(-EAGAIN, kt_recv_str(self->q, 2, "blocked"));
		ASSERT_EQ(0, kt_stat(self->q, &st));
		EXPECT_EQ(1, st.sent);
	} else {
		/* Restarted and asleep again; nothing was queued meanwhile. */
		ASSERT_EQ(0, kt_wait_blocked(self->q, 1, 0));
		ASSERT_EQ(0, kt_stat(self->q, &st));
		EXPECT_EQ(1, st.depth_msgs);
		EXPECT_EQ(1, st.sent);
		EXPECT_EQ(0, kt_recv_str(self->q, 1, "full"));
		/* Room: the restarted send completes, exactly once. */
		EXPECT_EQ(0, kt_reap(pid));
		EXPECT_EQ(0, kt_recv_str(self->q, 2, "blocked"));
		EXPECT_EQ(-EAGAIN, kt_recv_str(self->q, 2, "blocked"));
		ASSERT_EQ(0, kt_stat(self->q, &st));
		EXPECT_EQ(2, st.sent);
		EXPECT_EQ(0, st.blocked_senders);
	}
	close(self->q);
}

FIXTURE(reaped) {
	char name[64];
	int q;
};

FIXTURE_SETUP(reaped)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "sigkill");
}

FIXTURE_TEARDOWN(reaped)
{
}

/* A child that receives one message (any type) and checks it. */
static pid_t spawn_receiver(int q, const char *want, int64_t timeout)
{
	pid_t pid = fork();

	if (pid == 0) {
		char buf[64];
		ssize_t n;

		memset(buf, 0xcc, sizeof(buf));
		n = kipc_recv(q, NULL, buf, sizeof(buf), NULL, timeout);
		if (n < 0)
			fprintf(stderr, "# child %d: recv: %s\n", (int)getpid(),
				strerror((int)-n));
		KT_CHILD_CHECK(n == (ssize_t)strlen(want) + 1);
		KT_CHILD_CHECK(!memcmp(buf, want, n));
		_exit(0);
	}
	return pid;
}

/*
 * Two receivers are blocked; the first is killed.  The next message goes
 * to the survivor (not to the dead task), the blocked count drops, and a
 * plain receiver gets everything sent after.
 */
TEST_F_TIMEOUT(reaped, blocked_receiver_killed, 120)
{
	struct kipc_queue_stat st;
	pid_t a, b;
	char msg[16];
	int i;

	self->q = kipc_queue_create(self->name, &small, 0, 0600);
	ASSERT_LE(0, self->q);

	a = spawn_receiver(self->q, "never", FOREVER);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, kt_wait_blocked(self->q, 0, 1));
	b = spawn_receiver(self->q, "msg-0", FOREVER);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, kt_wait_blocked(self->q, 0, 2));

	ASSERT_EQ(0, kill(a, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, kt_reap(a));
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(1, st.blocked_receivers);
	EXPECT_EQ(0, st.received);

	ASSERT_EQ(0, kipc_send(self->q, 1, 0, "msg-0", 6, 0));
	EXPECT_EQ(0, kt_reap(b));
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_EQ(1, st.received);
	EXPECT_EQ(0, st.depth_msgs);

	for (i = 1; i <= 5; i++) {
		snprintf(msg, sizeof(msg), "msg-%d", i);
		ASSERT_EQ(0, kipc_send(self->q, 1, 0, msg, strlen(msg) + 1, 0));
	}
	for (i = 1; i <= 5; i++) {
		snprintf(msg, sizeof(msg), "msg-%d", i);
		EXPECT_EQ(0, kt_recv_str(self->q, 1, msg));
	}
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(6, st.sent);
	EXPECT_EQ(6, st.received);
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);
	close(self->q);
}

/* A blocked sender is killed: its message never appears. */
TEST_F_TIMEOUT(reaped, blocked_sender_killed, 120)
{
	struct kipc_queue_stat st;
	pid_t pid;

	self->q = kipc_queue_create(self->name, &one_slot, 0, 0600);
	ASSERT_LE(0, self->q);
	ASSERT_EQ(0, kipc_send(self->q, 1, 0, "full", 5, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kipc_send(self->q, 2, 0, "never", 6, FOREVER);
		_exit(1);
	}
	ASSERT_EQ(0, kt_wait_blocked(self->q, 1, 0));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));

	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(0, st.blocked_senders);
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(1, st.sent);
	EXPECT_EQ(0, kt_recv_str(self->q, 1, "full"));
	EXPECT_EQ(-EAGAIN, kt_recv_str(self->q, 2, "never"));
	EXPECT_EQ(0, kipc_send(self->q, 3, 0, "later", 6, 0));
	EXPECT_EQ(0, kt_recv_str(self->q, 3, "later"));
	close(self->q);
}

FIXTURE(stop) {
	char name[64];
	int q;
};

FIXTURE_VARIANT(stop) {
	int64_t timeout;
};

FIXTURE_VARIANT_ADD(stop, forever) { .timeout = FOREVER };
FIXTURE_VARIANT_ADD(stop, timed) { .timeout = ONE_HOUR };

FIXTURE_SETUP(stop)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "sigstop");
	self->q = kipc_queue_create(self->name, &small, 0, 0600);
	ASSERT_LE(0, self->q);
}

FIXTURE_TEARDOWN(stop)
{
	close(self->q);
}

/*
 * SIGSTOP a blocked receiver (no handlers), send while it is stopped,
 * SIGCONT: the receive carries on and returns the message.  A process
 * without handlers sees no EINTR from a stop and continue.
 */
TEST_F_TIMEOUT(stop, message_while_stopped, 120)
{
	struct kipc_queue_stat st;
	int status;
	pid_t pid;

	pid = spawn_receiver(self->q, "wake!", variant->timeout);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kt_wait_blocked(self->q, 0, 1));

	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, kipc_send(self->q, 1, 0, "wake!", 6, 0));

	ASSERT_EQ(0, kill(pid, SIGCONT));
	EXPECT_EQ(0, kt_reap(pid));
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_EQ(1, st.received);
	/* Whatever the receiver saw, the message was not lost. */
	EXPECT_EQ(1, st.depth_msgs + st.received);
}

/*
 * Stopped and continued while nothing is queued: the receiver sleeps
 * again and gets a later message.
 */
TEST_F_TIMEOUT(stop, empty_while_stopped, 120)
{
	struct kipc_queue_stat st;
	int status;
	pid_t pid;

	pid = spawn_receiver(self->q, "later", variant->timeout);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kt_wait_blocked(self->q, 0, 1));

	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_EQ(pid, waitpid(pid, &status, WCONTINUED));
	ASSERT_TRUE(WIFCONTINUED(status));

	/* Asleep again (not failed out of its receive). */
	EXPECT_EQ(0, kt_wait_blocked(self->q, 0, 1));
	ASSERT_EQ(0, kipc_send(self->q, 1, 0, "later", 6, 0));
	EXPECT_EQ(0, kt_reap(pid));
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(1, st.received);
	EXPECT_EQ(0, st.timeouts);
}

TEST_HARNESS_MAIN
