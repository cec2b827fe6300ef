// SPDX-License-Identifier: GPL-2.0
/*
 * Queue basics, as docs/queues.md states them: create/open/send/recv round
 * trips (named, and anonymous shared over fork), the default attributes,
 * priority order and FIFO within a priority, the metadata of a received
 * message, sizes at and over max_msg_size, short receive buffers,
 * timeouts and non-blocking handles, argument errors, names and unlink,
 * shutdown, access checks, close-on-exec, fdinfo, and the stat fields that
 * count handles, depth and sleepers.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "lib/kt_harness.h"

FIXTURE(basic) {
	char name[64];
};

FIXTURE_SETUP(basic)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "basic");
}

FIXTURE_TEARDOWN(basic)
{
}

/* Receive into a poisoned buffer and info; the payload length or -errno. */
static ssize_t recv_poisoned(int q, void *buf, size_t cap,
			     struct kipc_msg *info, int64_t timeout)
{
	memset(buf, 0xcc, cap);
	memset(info, 0xcc, sizeof(*info));
	return kipc_recv(q, NULL, buf, cap, info, timeout);
}

TEST_F(basic, named_round_trip)
{
	char buf[256], out[256];
	struct kipc_queue_stat st;
	struct kipc_msg info;
	int q, r, w;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	w = kipc_queue_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, w);
	/* "/x" and "x" are the same name. */
	r = kipc_queue_open(self->name + 1, KIPC_RDONLY);
	ASSERT_LE(0, r);

	kt_fill(buf, sizeof(buf), 1);
	ASSERT_EQ(0, kipc_send(w, 3, 7, buf, sizeof(buf), 0));
	ASSERT_EQ(sizeof(buf), recv_poisoned(r, out, sizeof(out), &info, 0));
	EXPECT_EQ(0, memcmp(buf, out, sizeof(buf)));
	EXPECT_EQ(3, info.type);
	EXPECT_EQ(7, info.prio);
	EXPECT_EQ(sizeof(buf), info.len);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(1, info.seq);

	/* The owner handle receives what an opened handle sent, and back. */
	kt_fill(buf, sizeof(buf), 2);
	ASSERT_EQ(0, kipc_send(w, 1, 0, buf, 100, 0));
	ASSERT_EQ(100, recv_poisoned(q, out, sizeof(out), &info, 0));
	EXPECT_EQ(0, memcmp(buf, out, 100));
	EXPECT_EQ(2, info.seq);

	kt_fill(buf, sizeof(buf), 3);
	ASSERT_EQ(0, kipc_send(q, 2, 0, buf, 17, 0));
	ASSERT_EQ(17, recv_poisoned(r, out, sizeof(out), &info, 0));
	EXPECT_EQ(0, memcmp(buf, out, 17));
	EXPECT_EQ(2, info.type);
	EXPECT_EQ(3, info.seq);

	ASSERT_EQ(0, kt_stat(r, &st));
	EXPECT_EQ(3, st.sent);
	EXPECT_EQ(3, st.received);
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.depth_bytes);
	KT_EXPECT_BALANCED(st);
}

TEST_F_TIMEOUT(basic, anonymous_fork, 60)
{
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char out[64];
	pid_t pid;
	int q;

	q = kipc_queue_create(NULL, NULL, 0, 0600);
	ASSERT_LE(0, q);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_msg m;
		char b[64];
		ssize_t n;

		n = kipc_recv(q, NULL, b, sizeof(b), &m, 20000 * MS);
		if (n != 5 || memcmp(b, "ping", 5) || m.type != 1 ||
		    m.pid != getppid())
			_exit(1);
		if (kipc_send(q, 2, 0, "pong", 5, 0))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, kipc_send(q, 1, 0, "ping", 5, 0));
	ASSERT_EQ(0, kt_reap(pid));

	ASSERT_EQ(5, recv_poisoned(q, out, sizeof(out), &info, 0));
	EXPECT_EQ(0, memcmp(out, "pong", 5));
	EXPECT_EQ(2, info.type);
	EXPECT_EQ(pid, info.pid);
	EXPECT_EQ(2, info.seq);

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(2, st.sent);
	EXPECT_EQ(2, st.received);
	EXPECT_EQ(0, st.depth_msgs);
	KT_EXPECT_BALANCED(st);
}

TEST_F(basic, defaults)
{
	struct kipc_queue_stat st;
	int q, a, s;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(256, st.max_msgs);
	EXPECT_EQ(8192, st.max_msg_size);
	EXPECT_EQ(256 * 8192, st.max_bytes);
	EXPECT_EQ(KIPC_POLICY_BLOCK, st.policy);
	EXPECT_EQ(0, st.flags);
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.depth_bytes);
	EXPECT_EQ(0, st.high_water);
	EXPECT_EQ(0, st.sent);
	EXPECT_EQ(0, st.received);
	EXPECT_EQ(0, st.dropped_new);
	EXPECT_EQ(0, st.dropped_oldest);
	EXPECT_EQ(0, st.conflated);
	EXPECT_EQ(0, st.rejected);
	EXPECT_EQ(0, st.timeouts);
	EXPECT_EQ(0, st.blocked_senders);
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(1, st.receivers);
	EXPECT_EQ(getpid(), st.owner_pid);

	/* An all-zero attr is the same as NULL. */
	a = kt_queue(NULL, 0, 0, 0, 0, 0);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, kt_stat(a, &st));
	EXPECT_EQ(256, st.max_msgs);
	EXPECT_EQ(8192, st.max_msg_size);
	EXPECT_EQ(256 * 8192, st.max_bytes);
	EXPECT_EQ(KIPC_POLICY_BLOCK, st.policy);

	/* max_bytes 0 is max_msgs * max_msg_size of the given values. */
	s = kt_queue(NULL, 10, 100, 0, KIPC_POLICY_FAIL, KIPC_Q_CONFLATE);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, kt_stat(s, &st));
	EXPECT_EQ(10, st.max_msgs);
	EXPECT_EQ(100, st.max_msg_size);
	EXPECT_EQ(1000, st.max_bytes);
	EXPECT_EQ(KIPC_POLICY_FAIL, st.policy);
	EXPECT_EQ(KIPC_Q_CONFLATE, st.flags);
}

TEST_F(basic, priority_order)
{
	static const struct { uint32_t type, prio; } in[] = {
		{ 1, 0 }, { 2, 5 }, { 3, 0 }, { 1, 5 },
		{ 2, 31 }, { 3, 5 }, { 2, 0 },
	};
	/* Highest priority first, FIFO within a priority across types. */
	static const int order[] = { 4, 1, 3, 5, 0, 2, 6 };
	struct kipc_queue_stat st;
	struct kipc_msg info;
	unsigned int i;
	char out[16];
	int q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	for (i = 0; i < ARRAY_SIZE(in); i++) {
		char c = 'a' + i;

		ASSERT_EQ(0, kipc_send(q, in[i].type, in[i].prio, &c, 1, 0));
	}
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		int k = order[i];

		ASSERT_EQ(1, recv_poisoned(q, out, sizeof(out), &info, 0));
		EXPECT_EQ('a' + k, out[0]);
		EXPECT_EQ(in[k].type, info.type);
		EXPECT_EQ(in[k].prio, info.prio);
		EXPECT_EQ(k + 1, info.seq);
	}
	EXPECT_EQ(-EAGAIN, kipc_recv(q, NULL, out, sizeof(out), &info, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(ARRAY_SIZE(in), st.sent);
	EXPECT_EQ(ARRAY_SIZE(in), st.received);
	KT_EXPECT_BALANCED(st);
}

TEST_F_TIMEOUT(basic, metadata, 60)
{
	int64_t before[4], after[4];
	struct kipc_queue_stat st;
	struct kipc_msg info;
	uint64_t last_seq = 0;
	char buf[64], out[64];
	pid_t pid;
	int i, q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);

	for (i = 0; i < 4; i++) {
		kt_fill(buf, 10 + i, i);
		before[i] = kt_now_ns();
		ASSERT_EQ(0, kipc_send(q, 10 + i, 3, buf, 10 + i, 0));
		after[i] = kt_now_ns();
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(10 + i, recv_poisoned(q, out, sizeof(out), &info, 0));
		EXPECT_TRUE(kt_check_fill(out, 10 + i, i));
		EXPECT_EQ(10 + i, info.type);
		EXPECT_EQ(3, info.prio);
		EXPECT_EQ(10 + i, info.len);
		EXPECT_EQ(0, info.flags);
		EXPECT_EQ(getpid(), info.pid);
		EXPECT_EQ(geteuid(), info.uid);
		/* Sequence numbers start at 1 and increase in send order. */
		EXPECT_EQ(i + 1, info.seq);
		EXPECT_LT(last_seq, info.seq);
		last_seq = info.seq;
		EXPECT_LE(before[i], (int64_t)info.ts_ns);
		EXPECT_GE(after[i], (int64_t)info.ts_ns);
	}

	/* A forked sender is reported with its own pid. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(kipc_send(q, 9, 0, "kid", 3, 0) == 0 ? 0 : 1);
	ASSERT_EQ(0, kt_reap(pid));
	ASSERT_EQ(3, recv_poisoned(q, out, sizeof(out), &info, 0));
	EXPECT_EQ(0, memcmp(out, "kid", 3));
	EXPECT_EQ(9, info.type);
	EXPECT_EQ(pid, info.pid);
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(5, info.seq);
	EXPECT_LE(after[3], (int64_t)info.ts_ns);
	EXPECT_GE(kt_now_ns(), (int64_t)info.ts_ns);

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(5, st.sent);
	EXPECT_EQ(5, st.received);
	KT_EXPECT_BALANCED(st);
}

TEST_F(basic, zero_length)
{
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char buf[4] = "abc";
	char out[16];
	int q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 0, 0));
	ASSERT_EQ(0, kipc_send(q, 2, 0, buf, 0, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(2, st.depth_msgs);
	EXPECT_EQ(0, st.depth_bytes);

	ASSERT_EQ(0, recv_poisoned(q, out, sizeof(out), &info, 0));
	EXPECT_EQ(1, info.type);
	EXPECT_EQ(0, info.len);
	EXPECT_EQ(1, info.seq);
	/* Nothing was written into the buffer. */
	EXPECT_EQ((char)0xcc, out[0]);

	/* A zero-capacity buffer takes a zero-length message. */
	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(0, kipc_recv(q, NULL, out, 0, &info, 0));
	EXPECT_EQ(2, info.type);
	EXPECT_EQ(0, info.len);
	EXPECT_EQ(2, info.seq);

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(2, st.received);
	KT_EXPECT_BALANCED(st);
}

TEST_F(basic, max_msg_size_default)
{
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char *buf, *out;
	int q;

	buf = malloc(8193);
	out = malloc(8193);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, out);
	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);

	kt_fill(buf, 8193, 42);
	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 8192, 0));
	ASSERT_EQ(8192, recv_poisoned(q, out, 8193, &info, 0));
	EXPECT_EQ(0, memcmp(buf, out, 8192));
	EXPECT_EQ(8192, info.len);

	/* One byte over: EMSGSIZE, and nothing is queued. */
	EXPECT_EQ(-EMSGSIZE, kipc_send(q, 1, 0, buf, 8193, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.depth_bytes);
	EXPECT_EQ(1, st.sent);
	EXPECT_EQ(1, st.received);
	KT_EXPECT_BALANCED(st);
	EXPECT_EQ(-EAGAIN, kipc_recv(q, NULL, out, 8193, &info, 0));
	free(buf);
	free(out);
}

TEST_F(basic, max_msg_size_1mib)
{
	const size_t mib = 1 << 20;
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char *buf, *out;
	int q;

	buf = malloc(mib + 1);
	out = malloc(mib + 1);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, out);
	q = kt_queue(self->name, 1, mib, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(mib, st.max_msg_size);
	EXPECT_EQ(mib, st.max_bytes);

	kt_fill(buf, mib + 1, 7);
	EXPECT_EQ(-EMSGSIZE, kipc_send(q, 1, 0, buf, mib + 1, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.sent);

	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, mib, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(mib, st.depth_bytes);
	ASSERT_EQ(mib, recv_poisoned(q, out, mib + 1, &info, 0));
	EXPECT_EQ(0, memcmp(buf, out, mib));
	EXPECT_EQ(1, info.seq);
	free(buf);
	free(out);
}

TEST_F(basic, recv_buffer_too_small)
{
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char buf[100], out[100];
	int q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	kt_fill(buf, sizeof(buf), 5);
	ASSERT_EQ(0, kipc_send(q, 4, 2, buf, sizeof(buf), 0));

	/* Too small by one: EMSGSIZE, the needed length, message kept. */
	memset(&info, 0xcc, sizeof(info));
	EXPECT_EQ(-EMSGSIZE, kipc_recv(q, NULL, out, 99, &info, 0));
	EXPECT_EQ(100, info.len);
	memset(&info, 0xcc, sizeof(info));
	EXPECT_EQ(-EMSGSIZE, kipc_recv(q, NULL, out, 0, &info, 0));
	EXPECT_EQ(100, info.len);

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(100, st.depth_bytes);
	EXPECT_EQ(0, st.received);

	ASSERT_EQ(100, recv_poisoned(q, out, sizeof(out), &info, 0));
	EXPECT_EQ(0, memcmp(buf, out, sizeof(buf)));
	EXPECT_EQ(4, info.type);
	EXPECT_EQ(2, info.prio);
	EXPECT_EQ(1, info.seq);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(1, st.received);
	KT_EXPECT_BALANCED(st);
}

TEST_F(basic, timeouts)
{
	struct kipc_queue_stat st;
	struct kipc_msg info;
	int64_t t0, t1;
	char out[16];
	int q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);

	/* Timeout 0 never sleeps and is not a timed-out call. */
	EXPECT_EQ(-EAGAIN, kipc_recv(q, NULL, out, sizeof(out), &info, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.timeouts);

	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT,
		  kipc_recv(q, NULL, out, sizeof(out), &info, 50 * MS));
	t1 = kt_now_ns();
	EXPECT_LE(50 * MS, t1 - t0);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.timeouts);
	EXPECT_EQ(0, st.blocked_receivers);

	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT,
		  kipc_recv(q, NULL, out, sizeof(out), &info, 50 * MS));
	t1 = kt_now_ns();
	EXPECT_LE(50 * MS, t1 - t0);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(2, st.timeouts);
	EXPECT_EQ(0, st.received);
}

TEST_F(basic, nonblock_handle)
{
	struct kipc_queue_attr attr = { .max_msgs = 1 };
	struct kipc_msg info;
	int64_t t0, t1;
	char out[16];
	int q, o;

	q = kipc_queue_create(self->name, &attr, KIPC_NONBLOCK, 0600);
	ASSERT_LE(0, q);
	EXPECT_TRUE(fcntl(q, F_GETFL) & O_NONBLOCK);

	/* Even an endless wait does not sleep. */
	EXPECT_EQ(-EAGAIN, kipc_recv(q, NULL, out, sizeof(out), &info, -1));
	ASSERT_EQ(0, kipc_send(q, 1, 0, "a", 1, -1));
	EXPECT_EQ(-EAGAIN, kipc_send(q, 1, 0, "b", 1, -1));

	o = kipc_queue_open(self->name, KIPC_RDWR | KIPC_NONBLOCK);
	ASSERT_LE(0, o);
	EXPECT_TRUE(fcntl(o, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-EAGAIN, kipc_send(o, 1, 0, "b", 1, -1));
	ASSERT_EQ(1, kipc_recv(o, NULL, out, sizeof(out), &info, -1));
	EXPECT_EQ('a', out[0]);
	EXPECT_EQ(-EAGAIN, kipc_recv(o, NULL, out, sizeof(out), &info, -1));

	/* fcntl(F_SETFL) makes the handle blocking again. */
	ASSERT_EQ(0, fcntl(o, F_SETFL, 0));
	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT,
		  kipc_recv(o, NULL, out, sizeof(out), &info, 50 * MS));
	t1 = kt_now_ns();
	EXPECT_LE(50 * MS, t1 - t0);

	/* An open without KIPC_NONBLOCK gives a blocking handle. */
	o = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, o);
	EXPECT_FALSE(fcntl(o, F_GETFL) & O_NONBLOCK);
}

TEST_F(basic, bad_type_prio)
{
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char out[16];
	int q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	EXPECT_EQ(-EINVAL, kipc_send(q, 0, 0, "x", 1, 0));
	EXPECT_EQ(-EINVAL, kipc_send(q, 1, 32, "x", 1, 0));
	EXPECT_EQ(-EINVAL, kipc_send(q, 1, UINT32_MAX, "x", 1, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.sent);

	/* The extremes that are valid. */
	ASSERT_EQ(0, kipc_send(q, UINT32_MAX, 0, "y", 1, 0));
	ASSERT_EQ(0, kipc_send(q, 1, 31, "z", 1, 0));
	ASSERT_EQ(1, recv_poisoned(q, out, sizeof(out), &info, 0));
	EXPECT_EQ('z', out[0]);
	EXPECT_EQ(31, info.prio);
	EXPECT_EQ(2, info.seq);
	ASSERT_EQ(1, recv_poisoned(q, out, sizeof(out), &info, 0));
	EXPECT_EQ('y', out[0]);
	EXPECT_EQ(UINT32_MAX, info.type);
	EXPECT_EQ(1, info.seq);
}

TEST_F(basic, bad_attrs)
{
	static const struct kipc_queue_attr bad[] = {
		{ .policy = 99 },
		{ .policy = KIPC_POLICY_DROP_OLDEST + 1 },
		{ .max_msg_size = (1U << 20) + 1 },
		{ .max_msg_size = 1000, .max_bytes = 999 },
		{ .max_bytes = (4ULL << 30) + 1 },
		{ .max_msgs = 65537 },
		{ .flags = 1U << 1 },
		{ .flags = 1U << 31 },
	};
	unsigned int i;
	int q;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		TH_LOG("attr #%u", i);
		EXPECT_EQ(-EINVAL, kipc_queue_create(self->name, &bad[i], 0,
						     0600));
	}
	EXPECT_EQ(-EINVAL, kipc_queue_create(self->name, NULL, 1 << 10, 0600));
	EXPECT_EQ(-EINVAL, kipc_queue_create(self->name, NULL, 1U << 31,
					     0600));
	EXPECT_EQ(-EINVAL, kipc_queue_create(self->name, NULL, 0, 01000));
	EXPECT_EQ(-EINVAL, kipc_queue_create(self->name, NULL, 0, 02600));
	EXPECT_EQ(-EINVAL, kipc_queue_create(self->name, NULL, 0, 04600));
	EXPECT_EQ(-EINVAL, kipc_queue_create(NULL, &bad[0], 0, 0600));

	/* None of them left anything behind. */
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDWR));
	q = kipc_queue_create(self->name, NULL, 0, 0600);
	EXPECT_LE(0, q);

	/* The valid extremes. */
	EXPECT_LE(0, kt_queue(NULL, 1, 1, 1, KIPC_POLICY_DROP_OLDEST, 0));
	EXPECT_LE(0, kt_queue(NULL, 4, 100, 100, KIPC_POLICY_FAIL, 0));
}

TEST_F(basic, names_and_unlink)
{
	struct kipc_queue_stat st;
	char other[64];
	int q, q2, r;

	kt_name(other, sizeof(other), "basic-none");
	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	EXPECT_EQ(-EEXIST, kipc_queue_create(self->name, NULL, 0, 0600));
	EXPECT_EQ(-EEXIST, kipc_queue_create(self->name + 1, NULL, 0, 0600));
	EXPECT_EQ(-ENOENT, kipc_queue_open(other, KIPC_RDWR));
	EXPECT_EQ(-ENOENT, kipc_unlink(other));

	r = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "old", 3, 0));

	ASSERT_EQ(0, kipc_unlink(self->name));
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDWR));
	EXPECT_EQ(-ENOENT, kipc_unlink(self->name));

	/* The unlinked queue lives on for its handles. */
	ASSERT_EQ(0, kipc_send(r, 1, 0, "old", 3, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(2, st.depth_msgs);
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);

	/* The name can be created again at once: a new, empty queue. */
	q2 = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q2);
	ASSERT_EQ(0, kt_stat(q2, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.sent);
	ASSERT_EQ(0, kipc_send(q2, 1, 0, "new", 3, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(2, st.depth_msgs);
	r = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kt_stat(r, &st));
	EXPECT_EQ(1, st.depth_msgs);
}

TEST_F(basic, shutdown)
{
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char out[16];
	int q, r;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	r = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "one", 3, 0));
	ASSERT_EQ(0, kipc_send(q, 2, 0, "two", 3, 0));

	/* Shutdown needs write access. */
	EXPECT_EQ(-EBADF, kipc_queue_shutdown(r));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);

	ASSERT_EQ(0, kipc_queue_shutdown(q));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(KIPC_STATE_SHUTDOWN, st.state);
	EXPECT_EQ(-EPIPE, kipc_send(q, 3, 0, "three", 5, 0));
	EXPECT_EQ(-EPIPE, kipc_send(q, 3, 0, "three", 5, -1));

	/* Receivers drain what is queued, then get EPIPE without sleeping. */
	ASSERT_EQ(3, recv_poisoned(r, out, sizeof(out), &info, -1));
	EXPECT_EQ(0, memcmp(out, "one", 3));
	ASSERT_EQ(3, recv_poisoned(q, out, sizeof(out), &info, -1));
	EXPECT_EQ(0, memcmp(out, "two", 3));
	EXPECT_EQ(-EPIPE, kipc_recv(r, NULL, out, sizeof(out), &info, 0));
	EXPECT_EQ(-EPIPE, kipc_recv(r, NULL, out, sizeof(out), &info, -1));

	/* A second shutdown is fine; the name stays. */
	EXPECT_EQ(0, kipc_queue_shutdown(q));
	r = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, r);
	EXPECT_EQ(-EPIPE, kipc_send(r, 1, 0, "x", 1, 0));
	EXPECT_EQ(0, kipc_queue_shutdown(r));

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(KIPC_STATE_SHUTDOWN, st.state);
	EXPECT_EQ(2, st.sent);
	EXPECT_EQ(2, st.received);
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.rejected);
	KT_EXPECT_BALANCED(st);
}

TEST_F_TIMEOUT(basic, shutdown_wakes_blocked_sender, 60)
{
	struct kipc_queue_stat st;
	pid_t pid;
	int q;

	q = kt_queue(self->name, 1, 0, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "full", 4, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(kipc_send(q, 1, 0, "late", 4, -1) == -EPIPE ? 0 : 1);
	ASSERT_EQ(0, kt_wait_blocked(q, 1, 0));
	ASSERT_EQ(0, kipc_queue_shutdown(q));
	EXPECT_EQ(0, kt_reap(pid));

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.blocked_senders);
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(1, st.sent);
	KT_EXPECT_BALANCED(st);
}

TEST_F_TIMEOUT(basic, shutdown_wakes_blocked_receiver, 60)
{
	struct kipc_queue_stat st;
	pid_t pid;
	int q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char b[8];

		_exit(kipc_recv(q, NULL, b, sizeof(b), NULL, -1) == -EPIPE ?
		      0 : 1);
	}
	ASSERT_EQ(0, kt_wait_blocked(q, 0, 1));
	ASSERT_EQ(0, kipc_queue_shutdown(q));
	EXPECT_EQ(0, kt_reap(pid));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_EQ(0, st.received);
}

TEST_F(basic, access_ebadf)
{
	struct kipc_queue_stat st;
	struct kipc_msg info, m = { .type = 1, .data = "x", .len = 1 };
	char out[16];
	int q, r, w;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	r = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);
	w = kipc_queue_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, w);

	EXPECT_EQ(-EBADF, kipc_send(r, 1, 0, "x", 1, 0));
	EXPECT_EQ(-EBADF, kipc_sendv(r, &m, 1, 0));
	ASSERT_EQ(0, kipc_send(w, 1, 0, "y", 1, 0));
	EXPECT_EQ(-EBADF, kipc_recv(w, NULL, out, sizeof(out), &info, 0));
	m.data = out;
	m.len = sizeof(out);
	EXPECT_EQ(-EBADF, kipc_recvv(w, NULL, &m, 1, 0));

	/* Stat works on any handle. */
	ASSERT_EQ(0, kt_stat(r, &st));
	EXPECT_EQ(1, st.depth_msgs);
	ASSERT_EQ(0, kt_stat(w, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(1, st.sent);

	ASSERT_EQ(1, recv_poisoned(r, out, sizeof(out), &info, 0));
	EXPECT_EQ('y', out[0]);
}

TEST_F(basic, close_on_exec)
{
	int q, r, a;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	r = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);
	a = kipc_queue_create(NULL, NULL, KIPC_NONBLOCK, 0600);
	ASSERT_LE(0, a);

	EXPECT_EQ(FD_CLOEXEC, fcntl(q, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(FD_CLOEXEC, fcntl(r, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(FD_CLOEXEC, fcntl(a, F_GETFD) & FD_CLOEXEC);
}

/*
 * A daemon closes every descriptor, the library's context among them, and
 * the number is reused: libkipc must open the device again, not send its
 * ioctls to the new file.  In a child, which may close what it likes.
 */
static int ctx_closed_child(void)
{
	char buf[8] = "x";
	struct stat st;
	int q, null, fd;

	q = kipc_queue_create(NULL, NULL, 0, 0600);	/* opens the context */
	if (q < 0)
		return 10;
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	null = open("/dev/null", O_RDWR);	/* takes the lowest number */
	if (null != 3)
		return 11;
	q = kipc_queue_create(NULL, NULL, 0, 0600);
	if (q < 0)
		return 12;
	if (kipc_send(q, 1, 0, buf, 1, 0) != 0 ||
	    kipc_recv(q, NULL, buf, sizeof(buf), NULL, 0) != 1)
		return 13;
	/* The file that took the old number is untouched. */
	if (fstat(null, &st) || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(1, 3))
		return 14;
	return 0;
}

TEST(context_fd_closed_by_program)
{
	int status;
	pid_t pid;

	KT_REQUIRE_KIPC();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(ctx_closed_child());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Check that the fdinfo line @key of @fd reads @want (NULL: absent). */
static void expect_fdinfo(struct __test_metadata *_metadata, int fd,
			  const char *key, const char *want)
{
	char val[256];
	int ret;

	ret = kt_fdinfo(fd, key, val, sizeof(val));
	if (!want) {
		EXPECT_EQ(-ENOENT, ret) {
			TH_LOG("fd %d: unexpected %s: %s", fd, key, val);
		}
		return;
	}
	EXPECT_EQ(0, ret) {
		TH_LOG("fd %d: no %s line", fd, key);
	}
	if (ret)
		return;
	EXPECT_STREQ(want, val) {
		TH_LOG("fd %d: %s", fd, key);
	}
}

#define EXPECT_FDINFO(fd, key, want) expect_fdinfo(_metadata, fd, key, want)

TEST_F(basic, fdinfo)
{
	struct kipc_queue_stat st;
	char id[32], dname[64];
	int q, r, w, a, d, dr;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	r = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);
	w = kipc_queue_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, w);
	a = kipc_queue_create(NULL, NULL, 0, 0600);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, kt_stat(q, &st));
	snprintf(id, sizeof(id), "%u", st.id);

	EXPECT_FDINFO(q, "kipc-kind", "queue");
	EXPECT_FDINFO(q, "kipc-id", id);
	EXPECT_FDINFO(q, "kipc-name", self->name);
	EXPECT_FDINFO(q, "kipc-state", "live");
	EXPECT_FDINFO(q, "kipc-access", "rw");
	EXPECT_FDINFO(q, "kipc-owner", "1");
	EXPECT_FDINFO(q, "kipc-depth", "0");

	EXPECT_FDINFO(r, "kipc-kind", "queue");
	EXPECT_FDINFO(r, "kipc-id", id);
	EXPECT_FDINFO(r, "kipc-name", self->name);
	EXPECT_FDINFO(r, "kipc-access", "r");
	EXPECT_FDINFO(r, "kipc-owner", "0");
	EXPECT_FDINFO(w, "kipc-access", "w");
	EXPECT_FDINFO(w, "kipc-owner", "0");

	EXPECT_FDINFO(a, "kipc-kind", "queue");
	EXPECT_FDINFO(a, "kipc-name", NULL);
	EXPECT_FDINFO(a, "kipc-access", "rw");
	EXPECT_FDINFO(a, "kipc-owner", "1");

	ASSERT_EQ(0, kipc_send(w, 1, 0, "a", 1, 0));
	ASSERT_EQ(0, kipc_send(w, 2, 0, "b", 1, 0));
	ASSERT_EQ(0, kipc_send(q, 3, 0, "c", 1, 0));
	EXPECT_FDINFO(q, "kipc-depth", "3");
	EXPECT_FDINFO(r, "kipc-depth", "3");

	ASSERT_EQ(0, kipc_queue_shutdown(w));
	EXPECT_FDINFO(q, "kipc-state", "shutdown");
	EXPECT_FDINFO(r, "kipc-state", "shutdown");

	/* A queue whose owner handle is gone is dead. */
	kt_name(dname, sizeof(dname), "basic-dead");
	d = kipc_queue_create(dname, NULL, 0, 0600);
	ASSERT_LE(0, d);
	dr = kipc_queue_open(dname, KIPC_RDONLY);
	ASSERT_LE(0, dr);
	EXPECT_FDINFO(dr, "kipc-state", "live");
	ASSERT_EQ(0, close(d));
	EXPECT_FDINFO(dr, "kipc-state", "dead");
	ASSERT_EQ(0, kt_stat(dr, &st));
	EXPECT_EQ(KIPC_STATE_DEAD, st.state);
}

TEST_F(basic, handle_counts)
{
	struct kipc_queue_stat st;
	int q, r, w, rw;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(1, st.receivers);

	r = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(2, st.receivers);

	w = kipc_queue_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, kt_stat(r, &st));
	EXPECT_EQ(2, st.senders);
	EXPECT_EQ(2, st.receivers);

	rw = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, rw);
	ASSERT_EQ(0, kt_stat(w, &st));
	EXPECT_EQ(3, st.senders);
	EXPECT_EQ(3, st.receivers);

	ASSERT_EQ(0, close(r));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(3, st.senders);
	EXPECT_EQ(2, st.receivers);

	ASSERT_EQ(0, close(w));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(2, st.senders);
	EXPECT_EQ(2, st.receivers);

	ASSERT_EQ(0, close(rw));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(1, st.receivers);
	EXPECT_EQ(getpid(), st.owner_pid);
}

TEST_F(basic, high_water)
{
	struct kipc_queue_stat st;
	char buf[64], out[64];
	int i, q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	kt_fill(buf, sizeof(buf), 9);

	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 10, 0));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(10, kipc_recv(q, NULL, out, sizeof(out), NULL, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(5, st.high_water);
	EXPECT_EQ(2, st.depth_msgs);
	EXPECT_EQ(20, st.depth_bytes);

	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 30, 0));
	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 0, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(5, st.high_water);
	EXPECT_EQ(4, st.depth_msgs);
	EXPECT_EQ(50, st.depth_bytes);

	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 64, 0));
	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 1, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(6, st.high_water);
	EXPECT_EQ(6, st.depth_msgs);
	EXPECT_EQ(115, st.depth_bytes);
	EXPECT_EQ(9, st.sent);
	EXPECT_EQ(3, st.received);
	KT_EXPECT_BALANCED(st);
}

TEST_F_TIMEOUT(basic, blocked_receiver_stat, 60)
{
	struct kipc_queue_stat st;
	pid_t pid;
	int q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_msg m;
		char b[16];
		ssize_t n;

		n = kipc_recv(q, NULL, b, sizeof(b), &m, -1);
		_exit(n == 5 && !memcmp(b, "wake!", 5) && m.type == 6 ? 0 : 1);
	}
	ASSERT_EQ(0, kt_wait_blocked(q, 0, 1));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.blocked_receivers);
	EXPECT_EQ(0, st.blocked_senders);

	ASSERT_EQ(0, kipc_send(q, 6, 0, "wake!", 5, 0));
	EXPECT_EQ(0, kt_reap(pid));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(1, st.sent);
	EXPECT_EQ(1, st.received);
	EXPECT_LE(1, st.wakeups);
	KT_EXPECT_BALANCED(st);
}

TEST_F_TIMEOUT(basic, blocked_sender_stat, 60)
{
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char out[16];
	pid_t pid;
	int q;

	q = kt_queue(self->name, 1, 0, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "first", 5, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(kipc_send(q, 2, 0, "second", 6, -1) == 0 ? 0 : 1);
	ASSERT_EQ(0, kt_wait_blocked(q, 1, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.blocked_senders);
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_EQ(1, st.depth_msgs);

	ASSERT_EQ(5, recv_poisoned(q, out, sizeof(out), &info, 0));
	EXPECT_EQ(0, memcmp(out, "first", 5));
	EXPECT_EQ(0, kt_reap(pid));

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.blocked_senders);
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_LE(1, st.wakeups);
	ASSERT_EQ(6, recv_poisoned(q, out, sizeof(out), &info, 0));
	EXPECT_EQ(0, memcmp(out, "second", 6));
	EXPECT_EQ(2, info.type);
	EXPECT_EQ(pid, info.pid);
	EXPECT_EQ(2, info.seq);
}

/* A sleeping receiver whose buffer is too small: EMSGSIZE, message kept. */
TEST_F_TIMEOUT(basic, blocked_receiver_small_buffer, 60)
{
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char buf[8], out[8];
	pid_t pid;
	int q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_msg m;
		char b[4];
		ssize_t n;

		memset(&m, 0xcc, sizeof(m));
		n = kipc_recv(q, NULL, b, sizeof(b), &m, -1);
		_exit(n == -EMSGSIZE && m.len == 8 ? 0 : 1);
	}
	ASSERT_EQ(0, kt_wait_blocked(q, 0, 1));
	kt_fill(buf, sizeof(buf), 8);
	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, sizeof(buf), 0));
	EXPECT_EQ(0, kt_reap(pid));

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(0, st.received);
	ASSERT_EQ(8, recv_poisoned(q, out, sizeof(out), &info, 0));
	EXPECT_EQ(0, memcmp(buf, out, sizeof(buf)));
	EXPECT_EQ(1, info.seq);
}

TEST_F(basic, efault)
{
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char out[32];
	int q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);

	/* A bad payload: EFAULT, nothing queued, no sequence number used. */
	EXPECT_EQ(-EFAULT, kipc_send(q, 1, 0, (void *)1, 10, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.sent);

	ASSERT_EQ(0, kipc_send(q, 2, 0, "payload", 7, 0));

	/* A bad buffer: EFAULT, and the message stays queued. */
	EXPECT_EQ(-EFAULT, kipc_recv(q, NULL, (void *)1, 100, &info, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(0, st.received);

	ASSERT_EQ(7, recv_poisoned(q, out, sizeof(out), &info, 0));
	EXPECT_EQ(0, memcmp(out, "payload", 7));
	EXPECT_EQ(2, info.type);
	EXPECT_EQ(1, info.seq);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.sent);
	EXPECT_EQ(1, st.received);
	KT_EXPECT_BALANCED(st);
}

TEST_HARNESS_MAIN
