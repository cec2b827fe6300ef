// SPDX-License-Identifier: GPL-2.0
/*
 * Batched send and receive, as docs/queues.md states them: kipc_sendv and
 * kipc_recvv with 1, 64 and 1024 messages, the 1..1024 count, a batch
 * checked whole before anything is queued, KIPC_MSG_DROPPED on exactly the
 * discarded messages, partial batches (FAIL, a bad payload, a timeout, a
 * short receive buffer), a receive that returns what is ready and waits
 * for one, and a BLOCK batch larger than the queue with a concurrent
 * receiver.
 */
#include <stdlib.h>

#include "lib/kt_harness.h"

#define MSG_MAX		64	/* max_msg_size of most queues here */

/* Descriptors to send: type i % 7 + 1, payload kt_fill(i), length i % 65. */
static void make_send(struct kipc_msg *m, char *bufs, unsigned int n,
		      uint32_t prio)
{
	unsigned int i;

	memset(m, 0, n * sizeof(*m));
	for (i = 0; i < n; i++) {
		char *b = bufs + (size_t)i * MSG_MAX;

		kt_fill(b, MSG_MAX, i);
		m[i].type = i % 7 + 1;
		m[i].prio = prio;
		m[i].data = b;
		m[i].len = i % (MSG_MAX + 1);
		/* Outputs and fields a send ignores: poisoned. */
		memset(&m[i].pid, 0xcc, sizeof(m[i].pid));
		memset(&m[i].uid, 0xcc, sizeof(m[i].uid));
		memset(&m[i].seq, 0xcc, sizeof(m[i].seq));
		memset(&m[i].ts_ns, 0xcc, sizeof(m[i].ts_ns));
	}
}

/* Poisoned receive descriptors, each with a @cap-byte buffer. */
static void make_recv(struct kipc_msg *m, char *bufs, unsigned int n,
		      size_t cap)
{
	unsigned int i;

	memset(m, 0xcc, n * sizeof(*m));
	memset(bufs, 0xcc, n * cap);
	for (i = 0; i < n; i++) {
		m[i].data = bufs + i * cap;
		m[i].len = cap;
		m[i].__reserved = 0;
	}
}

FIXTURE(batch) {
	char name[64];
};

FIXTURE_VARIANT(batch) {
	unsigned int n;
};

FIXTURE_VARIANT_ADD(batch, one) {
	.n = 1,
};

FIXTURE_VARIANT_ADD(batch, sixty_four) {
	.n = 64,
};

FIXTURE_VARIANT_ADD(batch, max) {
	.n = KIPC_BATCH_MAX,
};

FIXTURE_SETUP(batch)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "batch");
}

FIXTURE_TEARDOWN(batch)
{
}

TEST_F_TIMEOUT(batch, round_trip, 120)
{
	const unsigned int n = variant->n;
	struct kipc_msg *s, *r;
	struct kipc_queue_stat st;
	char *sbuf, *rbuf;
	unsigned int i, bad;
	int64_t t0, t1;
	int q;

	s = calloc(n, sizeof(*s));
	r = calloc(n, sizeof(*r));
	sbuf = calloc(n, MSG_MAX);
	rbuf = calloc(n, MSG_MAX);
	ASSERT_TRUE(s && r && sbuf && rbuf);
	q = kt_queue(self->name, KIPC_BATCH_MAX, MSG_MAX, 0,
		     KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);

	make_send(s, sbuf, n, 3);
	t0 = kt_now_ns();
	ASSERT_EQ(n, kipc_sendv(q, s, n, 0));
	t1 = kt_now_ns();
	for (i = 0, bad = 0; i < n; i++)
		if (s[i].seq != i + 1 || s[i].flags != 0)
			bad++;
	EXPECT_EQ(0, bad) {
		TH_LOG("first: seq %llu flags %u",
		       (unsigned long long)s[0].seq, s[0].flags);
	}
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(n, st.depth_msgs);
	EXPECT_EQ(n, st.sent);

	make_recv(r, rbuf, n, MSG_MAX);
	ASSERT_EQ(n, kipc_recvv(q, NULL, r, n, 0));
	for (i = 0, bad = 0; i < n; i++) {
		size_t len = i % (MSG_MAX + 1);

		if (r[i].type != i % 7 + 1 || r[i].prio != 3 ||
		    r[i].len != len || r[i].flags != 0 ||
		    r[i].seq != i + 1 || r[i].pid != getpid() ||
		    r[i].uid != geteuid() ||
		    (int64_t)r[i].ts_ns < t0 || (int64_t)r[i].ts_ns > t1 ||
		    !kt_check_fill(rbuf + (size_t)i * MSG_MAX, len, i)) {
			if (!bad)
				TH_LOG("message %u: type %u prio %u len %zu seq %llu",
				       i, r[i].type, r[i].prio, r[i].len,
				       (unsigned long long)r[i].seq);
			bad++;
		}
	}
	EXPECT_EQ(0, bad);

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(n, st.sent);
	EXPECT_EQ(n, st.received);
	EXPECT_EQ(n, st.high_water);
	KT_EXPECT_BALANCED(st);
	free(s);
	free(r);
	free(sbuf);
	free(rbuf);
}

/* ------------------------------------------------------------------ */

FIXTURE(bat) {
	char name[64];
	struct kipc_msg m[KIPC_BATCH_MAX + 1];
	char buf[(KIPC_BATCH_MAX + 1) * MSG_MAX];
};

FIXTURE_SETUP(bat)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "bat");
}

FIXTURE_TEARDOWN(bat)
{
}

/* The buffer make_recv() gave to descriptor @i. */
#define RBUF(self, i)	((self)->buf + (size_t)(i) * MSG_MAX)

static void expect_depth(struct __test_metadata *_metadata, int q,
			 uint64_t depth, uint64_t sent)
{
	struct kipc_queue_stat st;

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(depth, st.depth_msgs);
	EXPECT_EQ(sent, st.sent);
	KT_EXPECT_BALANCED(st);
}

TEST_F(bat, count_limits)
{
	int q;

	q = kt_queue(self->name, KIPC_BATCH_MAX + 8, MSG_MAX, 0,
		     KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	make_send(self->m, self->buf, KIPC_BATCH_MAX + 1, 0);
	EXPECT_EQ(-EINVAL, kipc_sendv(q, self->m, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_sendv(q, self->m, KIPC_BATCH_MAX + 1, 0));
	expect_depth(_metadata, q, 0, 0);

	ASSERT_EQ(0, kipc_send(q, 1, 0, "x", 1, 0));
	make_recv(self->m, self->buf, KIPC_BATCH_MAX + 1, MSG_MAX);
	EXPECT_EQ(-EINVAL, kipc_recvv(q, NULL, self->m, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_recvv(q, NULL, self->m, KIPC_BATCH_MAX + 1,
				      0));
	expect_depth(_metadata, q, 1, 1);

	/* And the extremes that are valid. */
	make_recv(self->m, self->buf, KIPC_BATCH_MAX, MSG_MAX);
	EXPECT_EQ(1, kipc_recvv(q, NULL, self->m, KIPC_BATCH_MAX, 0));
	make_send(self->m, self->buf, KIPC_BATCH_MAX, 0);
	EXPECT_EQ(KIPC_BATCH_MAX, kipc_sendv(q, self->m, KIPC_BATCH_MAX, 0));
	expect_depth(_metadata, q, KIPC_BATCH_MAX, KIPC_BATCH_MAX + 1);
}

/* One bad descriptor in the middle: the whole batch is refused. */
TEST_F(bat, bad_descriptor_queues_nothing)
{
	struct kipc_msg *m = self->m;
	int i, q;

	q = kt_queue(self->name, 16, MSG_MAX, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);

	for (i = 0; i < 5; i++) {
		make_send(m, self->buf, 5, 0);
		switch (i) {
		case 0:
			m[2].type = 0;
			break;
		case 1:
			m[2].prio = 32;
			break;
		case 2:
			m[2].flags = KIPC_MSG_DROPPED;
			break;
		case 3:
			m[2].__reserved = 1;
			break;
		case 4:
			m[2].len = MSG_MAX + 1;
			break;
		}
		TH_LOG("case %d", i);
		EXPECT_EQ(i == 4 ? -EMSGSIZE : -EINVAL,
			  kipc_sendv(q, m, 5, 0));
		expect_depth(_metadata, q, 0, 0);
	}

	/* Nothing used a sequence number either. */
	make_send(m, self->buf, 5, 0);
	ASSERT_EQ(5, kipc_sendv(q, m, 5, 0));
	EXPECT_EQ(1, m[0].seq);
	EXPECT_EQ(5, m[4].seq);
	expect_depth(_metadata, q, 5, 5);
}

TEST_F(bat, bad_payload_pointer)
{
	struct kipc_msg *m = self->m;
	int i, q;

	q = kt_queue(self->name, 16, MSG_MAX, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);

	/* In the first message: EFAULT, nothing queued. */
	make_send(m, self->buf, 5, 0);
	m[0].data = (void *)1;
	m[0].len = 8;
	EXPECT_EQ(-EFAULT, kipc_sendv(q, m, 5, 0));
	expect_depth(_metadata, q, 0, 0);

	/* Later: the count accepted before it. */
	make_send(m, self->buf, 5, 0);
	m[3].data = (void *)1;
	m[3].len = 8;
	EXPECT_EQ(3, kipc_sendv(q, m, 5, 0));
	expect_depth(_metadata, q, 3, 3);

	make_recv(m, self->buf, 8, MSG_MAX);
	ASSERT_EQ(3, kipc_recvv(q, NULL, m, 8, 0));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(i + 1, m[i].seq);
		EXPECT_EQ(i % 7 + 1, m[i].type);
		EXPECT_EQ(i, m[i].len);
		EXPECT_TRUE(kt_check_fill(RBUF(self, i), i, i));
	}
}

TEST_F(bat, drop_new_marks_dropped)
{
	struct kipc_queue_stat st;
	struct kipc_msg *m = self->m;
	int i, q;

	q = kt_queue(self->name, 4, MSG_MAX, 0, KIPC_POLICY_DROP_NEW, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 9, 0, "a", 1, 0));
	ASSERT_EQ(0, kipc_send(q, 9, 0, "b", 1, 0));

	/* Room for two of five: all accepted, the last three discarded. */
	make_send(m, self->buf, 5, 0);
	ASSERT_EQ(5, kipc_sendv(q, m, 5, 0));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(i < 2 ? 0 : KIPC_MSG_DROPPED, m[i].flags);
		EXPECT_EQ(i + 3, m[i].seq);
	}
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(4, st.depth_msgs);
	EXPECT_EQ(7, st.sent);
	EXPECT_EQ(3, st.dropped_new);
	EXPECT_EQ(0, st.dropped_oldest);
	KT_EXPECT_BALANCED(st);

	make_recv(m, self->buf, 8, MSG_MAX);
	ASSERT_EQ(4, kipc_recvv(q, NULL, m, 8, 0));
	EXPECT_EQ(1, m[0].seq);
	EXPECT_EQ(2, m[1].seq);
	EXPECT_EQ(3, m[2].seq);
	EXPECT_EQ(4, m[3].seq);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, m[i].flags);
	EXPECT_EQ(0, memcmp(RBUF(self, 0), "a", 1));
	EXPECT_TRUE(kt_check_fill(RBUF(self, 3), 1, 1));
}

TEST_F(bat, fail_partial)
{
	struct kipc_queue_stat st;
	struct kipc_msg *m = self->m;
	int i, q;

	q = kt_queue(self->name, 8, MSG_MAX, 0, KIPC_POLICY_FAIL, 0);
	ASSERT_LE(0, q);
	make_send(m, self->buf, 5, 0);
	ASSERT_EQ(5, kipc_sendv(q, m, 5, 0));

	/* Room for three of six: three, and the batch stops. */
	make_send(m, self->buf, 6, 0);
	EXPECT_EQ(3, kipc_sendv(q, m, 6, 0));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(6 + i, m[i].seq);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(8, st.depth_msgs);
	EXPECT_EQ(8, st.sent);
	EXPECT_EQ(1, st.rejected);
	KT_EXPECT_BALANCED(st);

	/* No room at all: the error. */
	make_send(m, self->buf, 2, 0);
	EXPECT_EQ(-EAGAIN, kipc_sendv(q, m, 2, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(8, st.depth_msgs);
	EXPECT_EQ(8, st.sent);
	EXPECT_EQ(2, st.rejected);
	KT_EXPECT_BALANCED(st);
}

TEST_F(bat, block_partial_on_timeout)
{
	struct kipc_queue_stat st;
	struct kipc_msg *m = self->m;
	int q;

	q = kt_queue(self->name, 4, MSG_MAX, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	make_send(m, self->buf, 6, 0);
	EXPECT_EQ(4, kipc_sendv(q, m, 6, 50 * MS));
	EXPECT_EQ(4, m[3].seq);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(4, st.depth_msgs);
	EXPECT_EQ(4, st.sent);
	KT_EXPECT_BALANCED(st);

	make_send(m, self->buf, 2, 0);
	EXPECT_EQ(-EAGAIN, kipc_sendv(q, m, 2, 0));
	EXPECT_EQ(-ETIMEDOUT, kipc_sendv(q, m, 2, 50 * MS));
	expect_depth(_metadata, q, 4, 4);
}

TEST_F(bat, priority_order)
{
	static const uint32_t prio[] = { 0, 3, 1, 3, 0, 2 };
	static const int order[] = { 1, 3, 5, 2, 0, 4 };
	struct kipc_msg *m = self->m;
	unsigned int i;
	int q;

	q = kt_queue(self->name, 16, MSG_MAX, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	make_send(m, self->buf, ARRAY_SIZE(prio), 0);
	for (i = 0; i < ARRAY_SIZE(prio); i++)
		m[i].prio = prio[i];
	ASSERT_EQ(ARRAY_SIZE(prio), kipc_sendv(q, m, ARRAY_SIZE(prio), 0));

	make_recv(m, self->buf, 8, MSG_MAX);
	ASSERT_EQ(ARRAY_SIZE(prio), kipc_recvv(q, NULL, m, 8, 0));
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		EXPECT_EQ(order[i] + 1, m[i].seq);
		EXPECT_EQ(prio[order[i]], m[i].prio);
		EXPECT_EQ(order[i] % 7 + 1, m[i].type);
	}
}

TEST_F(bat, recvv_takes_what_is_ready)
{
	struct kipc_msg *m = self->m;
	int i, q;

	q = kt_queue(self->name, 16, MSG_MAX, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	make_send(m, self->buf, 5, 0);
	ASSERT_EQ(5, kipc_sendv(q, m, 5, 0));

	/* Five ready, ten asked, no waiting for more even when allowed. */
	make_recv(m, self->buf, 10, MSG_MAX);
	ASSERT_EQ(5, kipc_recvv(q, NULL, m, 10, -1));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(i + 1, m[i].seq);
	expect_depth(_metadata, q, 0, 5);

	/* Up to the count. */
	make_send(m, self->buf, 5, 0);
	ASSERT_EQ(5, kipc_sendv(q, m, 5, 0));
	make_recv(m, self->buf, 3, MSG_MAX);
	ASSERT_EQ(3, kipc_recvv(q, NULL, m, 3, 0));
	EXPECT_EQ(6, m[0].seq);
	EXPECT_EQ(8, m[2].seq);
	make_recv(m, self->buf, 3, MSG_MAX);
	ASSERT_EQ(2, kipc_recvv(q, NULL, m, 3, 0));
	EXPECT_EQ(9, m[0].seq);
	EXPECT_EQ(10, m[1].seq);
	make_recv(m, self->buf, 3, MSG_MAX);
	EXPECT_EQ(-EAGAIN, kipc_recvv(q, NULL, m, 3, 0));
	expect_depth(_metadata, q, 0, 10);
}

TEST_F_TIMEOUT(bat, recvv_waits_for_one, 60)
{
	struct kipc_queue_stat st;
	struct kipc_msg *m = self->m;
	int64_t t0, t1;
	pid_t pid;
	int q;

	q = kt_queue(self->name, 16, MSG_MAX, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);

	make_recv(m, self->buf, 8, MSG_MAX);
	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kipc_recvv(q, NULL, m, 8, 50 * MS));
	t1 = kt_now_ns();
	EXPECT_LE(50 * MS, t1 - t0);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		make_recv(m, self->buf, 8, MSG_MAX);
		if (kipc_recvv(q, NULL, m, 8, -1) != 1)
			_exit(1);
		_exit(m[0].len == 4 && !memcmp(RBUF(self, 0), "solo", 4) &&
		      m[0].type == 2 && m[0].seq == 1 ? 0 : 2);
	}
	ASSERT_EQ(0, kt_wait_blocked(q, 0, 1));
	ASSERT_EQ(0, kipc_send(q, 2, 0, "solo", 4, 0));
	EXPECT_EQ(0, kt_reap(pid));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.received);
	EXPECT_EQ(1, st.timeouts);
	EXPECT_EQ(0, st.depth_msgs);
}

TEST_F(bat, recvv_short_buffer)
{
	struct kipc_msg *m = self->m, info;
	char out[MSG_MAX];
	int i, q;

	q = kt_queue(self->name, 16, MSG_MAX, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	make_send(m, self->buf, 5, 0);
	for (i = 0; i < 5; i++)
		m[i].len = 32;
	ASSERT_EQ(5, kipc_sendv(q, m, 5, 0));

	/* The first message too big: EMSGSIZE, its length, kept. */
	make_recv(m, self->buf, 5, MSG_MAX);
	m[0].len = 31;
	EXPECT_EQ(-EMSGSIZE, kipc_recvv(q, NULL, m, 5, 0));
	EXPECT_EQ(32, m[0].len);
	expect_depth(_metadata, q, 5, 5);

	/* The third: the batch ends with two. */
	make_recv(m, self->buf, 5, MSG_MAX);
	m[2].len = 16;
	ASSERT_EQ(2, kipc_recvv(q, NULL, m, 5, 0));
	EXPECT_EQ(1, m[0].seq);
	EXPECT_EQ(2, m[1].seq);
	EXPECT_TRUE(kt_check_fill(RBUF(self, 1), 32, 1));
	expect_depth(_metadata, q, 3, 5);

	/* The third message is still there, intact. */
	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(32, kipc_recv(q, NULL, out, sizeof(out), &info, 0));
	EXPECT_EQ(3, info.seq);
	EXPECT_EQ(3, info.type);
	EXPECT_TRUE(kt_check_fill(out, 32, 2));
	expect_depth(_metadata, q, 2, 5);
}

/*
 * A BLOCK batch of 1024 into a 16-message queue completes while another
 * process receives; the receiver gets every message, in order.
 */
TEST_F_TIMEOUT(bat, block_batch_larger_than_queue, 300)
{
	const unsigned int n = KIPC_BATCH_MAX;
	struct kipc_queue_stat st;
	struct kipc_msg *m = self->m;
	uint32_t *idx;
	unsigned int i;
	pid_t pid;
	int q;

	q = kt_queue(self->name, 16, MSG_MAX, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint32_t got = 0;
		int k, j;

		while (got < n) {
			make_recv(m, self->buf, 64, MSG_MAX);
			k = kipc_recvv(q, NULL, m, 64, 20000 * MS);
			if (k <= 0) {
				fprintf(stderr, "# recvv after %u: %d\n", got,
					k);
				_exit(1);
			}
			for (j = 0; j < k; j++, got++) {
				if (m[j].len != sizeof(got) ||
				    memcmp(RBUF(self, j), &got, sizeof(got)) ||
				    m[j].seq != got + 1 || m[j].type != 1) {
					fprintf(stderr,
						"# message %u: seq %llu\n", got,
						(unsigned long long)m[j].seq);
					_exit(2);
				}
			}
		}
		_exit(0);
	}

	idx = calloc(n, sizeof(*idx));
	ASSERT_NE(NULL, idx);
	memset(m, 0, n * sizeof(*m));
	for (i = 0; i < n; i++) {
		idx[i] = i;
		m[i].type = 1;
		m[i].data = &idx[i];
		m[i].len = sizeof(idx[i]);
	}
	EXPECT_EQ(n, kipc_sendv(q, m, n, -1));
	EXPECT_EQ(1, m[0].seq);
	EXPECT_EQ(n, m[n - 1].seq);
	EXPECT_EQ(0, kt_reap(pid));

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(n, st.sent);
	EXPECT_EQ(n, st.received);
	EXPECT_GE(16, st.high_water);
	EXPECT_EQ(0, st.blocked_senders);
	KT_EXPECT_BALANCED(st);
	free(idx);
}

TEST_HARNESS_MAIN
