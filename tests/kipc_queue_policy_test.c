// SPDX-License-Identifier: GPL-2.0
/*
 * Backpressure policies, as docs/queues.md states them: what a send into a
 * full queue (by message count and by bytes) does under BLOCK, FAIL,
 * DROP_NEW and DROP_OLDEST, each also with KIPC_Q_CONFLATE; which message
 * DROP_OLDEST evicts; latest-value-wins conflation; a blocked sender woken
 * by a receiver; and the exact counters after every scenario
 * (sent == received + depth_msgs + dropped_new + dropped_oldest +
 * conflated).
 */
#include "lib/kt_harness.h"

struct counters {
	uint64_t depth, sent, received, dropped_new, dropped_oldest;
	uint64_t conflated, rejected, timeouts;
};

/* Every counter exactly, and the identity they obey. */
static void expect_counters(struct __test_metadata *_metadata, int q,
			    const struct counters *c)
{
	struct kipc_queue_stat st;

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(c->depth, st.depth_msgs);
	EXPECT_EQ(c->sent, st.sent);
	EXPECT_EQ(c->received, st.received);
	EXPECT_EQ(c->dropped_new, st.dropped_new);
	EXPECT_EQ(c->dropped_oldest, st.dropped_oldest);
	EXPECT_EQ(c->conflated, st.conflated);
	EXPECT_EQ(c->rejected, st.rejected);
	EXPECT_EQ(c->timeouts, st.timeouts);
	EXPECT_EQ(0, st.blocked_senders);
	EXPECT_EQ(0, st.blocked_receivers);
	KT_EXPECT_BALANCED(st);
}

/* Receive the next message: it must have this type, priority and seq. */
static void expect_msg(struct __test_metadata *_metadata, int q,
		       uint32_t type, uint32_t prio, uint64_t seq,
		       const void *data, size_t len)
{
	struct kipc_msg info;
	char out[512];

	memset(out, 0xcc, sizeof(out));
	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(len, kipc_recv(q, NULL, out, sizeof(out), &info, 0)) {
		TH_LOG("expected type %u seq %llu", type,
		       (unsigned long long)seq);
	}
	EXPECT_EQ(type, info.type);
	EXPECT_EQ(prio, info.prio);
	EXPECT_EQ(seq, info.seq);
	if (data)
		EXPECT_EQ(0, memcmp(data, out, len));
}

static void expect_empty(struct __test_metadata *_metadata, int q)
{
	char out[8];

	EXPECT_EQ(-EAGAIN, kipc_recv(q, NULL, out, sizeof(out), NULL, 0));
}

/* ------------------------------------------------------------------ */
/* Every policy, with and without KIPC_Q_CONFLATE.                    */

FIXTURE(policy) {
	char name[64];
};

FIXTURE_VARIANT(policy) {
	uint32_t policy;
	uint32_t qflags;
};

FIXTURE_VARIANT_ADD(policy, block) {
	.policy = KIPC_POLICY_BLOCK,
};

FIXTURE_VARIANT_ADD(policy, fail) {
	.policy = KIPC_POLICY_FAIL,
};

FIXTURE_VARIANT_ADD(policy, drop_new) {
	.policy = KIPC_POLICY_DROP_NEW,
};

FIXTURE_VARIANT_ADD(policy, drop_oldest) {
	.policy = KIPC_POLICY_DROP_OLDEST,
};

FIXTURE_VARIANT_ADD(policy, conflate_block) {
	.policy = KIPC_POLICY_BLOCK,
	.qflags = KIPC_Q_CONFLATE,
};

FIXTURE_VARIANT_ADD(policy, conflate_fail) {
	.policy = KIPC_POLICY_FAIL,
	.qflags = KIPC_Q_CONFLATE,
};

FIXTURE_VARIANT_ADD(policy, conflate_drop_new) {
	.policy = KIPC_POLICY_DROP_NEW,
	.qflags = KIPC_Q_CONFLATE,
};

FIXTURE_VARIANT_ADD(policy, conflate_drop_oldest) {
	.policy = KIPC_POLICY_DROP_OLDEST,
	.qflags = KIPC_Q_CONFLATE,
};

FIXTURE_SETUP(policy)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "policy");
}

FIXTURE_TEARDOWN(policy)
{
}

/* What a send does when the queue is full. */
enum outcome {
	FULL_BLOCKS,
	FULL_REJECTS,
	FULL_DROPS_NEW,
	FULL_EVICTS,
	FULL_CONFLATES,
};

static enum outcome full_outcome(uint32_t policy)
{
	switch (policy) {
	case KIPC_POLICY_FAIL:
		return FULL_REJECTS;
	case KIPC_POLICY_DROP_NEW:
		return FULL_DROPS_NEW;
	case KIPC_POLICY_DROP_OLDEST:
		return FULL_EVICTS;
	default:
		return FULL_BLOCKS;
	}
}

/*
 * Fill a 4-message queue with types 1..4 (payload: the seq as a char),
 * then send one more message of @new_type with @timeout, and check the
 * result, the counters and what the receiver gets.
 */
static void run_full(struct __test_metadata *_metadata, const char *name,
		     uint32_t policy, uint32_t qflags, uint32_t new_type,
		     int64_t timeout)
{
	struct counters c = { .depth = 4 };
	struct kipc_queue_stat st;
	uint32_t types[4], seqs[4];
	enum outcome out;
	int64_t t0, t1;
	int i, n, q, ret;
	char p;

	q = kt_queue(name, 4, 64, 0, policy, qflags);
	ASSERT_LE(0, q);
	for (i = 1; i <= 4; i++) {
		p = '0' + i;
		ASSERT_EQ(0, kipc_send(q, i, 0, &p, 1, 0));
	}

	out = full_outcome(policy);
	if ((qflags & KIPC_Q_CONFLATE) && new_type <= 4)
		out = FULL_CONFLATES;

	p = '5';
	t0 = kt_now_ns();
	ret = kipc_send(q, new_type, 0, &p, 1, timeout);
	t1 = kt_now_ns();

	/* Unless said otherwise below, the four messages stay as sent. */
	for (i = 0; i < 4; i++) {
		types[i] = i + 1;
		seqs[i] = i + 1;
	}
	n = 4;
	c.sent = 5;
	switch (out) {
	case FULL_BLOCKS:
		c.sent = 4;
		if (timeout) {
			EXPECT_EQ(-ETIMEDOUT, ret);
			EXPECT_LE(timeout, t1 - t0);
			c.timeouts = 1;
		} else {
			EXPECT_EQ(-EAGAIN, ret);
		}
		break;
	case FULL_REJECTS:
		EXPECT_EQ(-EAGAIN, ret);
		c.sent = 4;
		c.rejected = 1;
		break;
	case FULL_DROPS_NEW:
		EXPECT_EQ(KIPC_DROPPED, ret);
		c.dropped_new = 1;
		break;
	case FULL_EVICTS:
		/* The oldest of the lowest priority: seq 1. */
		EXPECT_EQ(0, ret);
		c.dropped_oldest = 1;
		for (i = 0; i < 3; i++) {
			types[i] = i + 2;
			seqs[i] = i + 2;
		}
		types[3] = new_type;
		seqs[3] = 5;
		break;
	case FULL_CONFLATES:
		/* Replaced; the new one at the tail with a new seq. */
		EXPECT_EQ(0, ret);
		c.conflated = 1;
		n = 0;
		for (i = 1; i <= 4; i++) {
			if (i == (int)new_type)
				continue;
			types[n] = i;
			seqs[n++] = i;
		}
		types[3] = new_type;
		seqs[3] = 5;
		n = 4;
		break;
	}
	expect_counters(_metadata, q, &c);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(4, st.depth_bytes);
	EXPECT_EQ(4, st.high_water);

	for (i = 0; i < n; i++) {
		p = '0' + seqs[i];
		expect_msg(_metadata, q, types[i], 0, seqs[i], &p, 1);
	}
	expect_empty(_metadata, q);
	c.depth = 0;
	c.received = 4;
	expect_counters(_metadata, q, &c);

	/* The next message takes the next seq: a receiver sees any gap. */
	p = 'x';
	ASSERT_EQ(0, kipc_send(q, 9, 1, &p, 1, 0));
	expect_msg(_metadata, q, 9, 1, c.sent + 1, &p, 1);
	c.sent++;
	c.received++;
	expect_counters(_metadata, q, &c);
}

TEST_F(policy, full_by_count)
{
	run_full(_metadata, self->name, variant->policy, variant->qflags, 5,
		 0);
}

TEST_F(policy, full_by_count_timed)
{
	run_full(_metadata, self->name, variant->policy, variant->qflags, 5,
		 50 * MS);
}

TEST_F(policy, full_same_type)
{
	run_full(_metadata, self->name, variant->policy, variant->qflags, 2,
		 0);
}

/*
 * max_bytes 300 holds three 100-byte messages with room for 97 more; a
 * 150-byte message does not fit (it would under max_msgs).  DROP_OLDEST
 * evicts as many as needed: the two oldest.
 */
TEST_F(policy, full_by_bytes)
{
	struct counters c = { .depth = 3, .sent = 3 };
	struct kipc_queue_stat st;
	char buf[150];
	int i, q, ret;

	q = kt_queue(self->name, 100, 200, 300, variant->policy,
		     variant->qflags);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(300, st.max_bytes);
	for (i = 1; i <= 3; i++) {
		kt_fill(buf, 100, i);
		ASSERT_EQ(0, kipc_send(q, i, 0, buf, 100, 0));
	}
	/* 300 of 300 bytes are used: a 150-byte message does not fit. */
	kt_fill(buf, sizeof(buf), 4);
	ret = kipc_send(q, 4, 0, buf, 150, 0);

	switch (full_outcome(variant->policy)) {
	case FULL_BLOCKS:
		EXPECT_EQ(-EAGAIN, ret);
		break;
	case FULL_REJECTS:
		EXPECT_EQ(-EAGAIN, ret);
		c.rejected = 1;
		break;
	case FULL_DROPS_NEW:
		EXPECT_EQ(KIPC_DROPPED, ret);
		c.sent = 4;
		c.dropped_new = 1;
		break;
	default:
		EXPECT_EQ(0, ret);
		c.sent = 4;
		c.depth = 2;
		c.dropped_oldest = 2;
		break;
	}
	expect_counters(_metadata, q, &c);
	ASSERT_EQ(0, kt_stat(q, &st));

	if (c.dropped_oldest) {
		EXPECT_EQ(250, st.depth_bytes);
		kt_fill(buf, 100, 3);
		expect_msg(_metadata, q, 3, 0, 3, buf, 100);
		kt_fill(buf, 150, 4);
		expect_msg(_metadata, q, 4, 0, 4, buf, 150);
	} else {
		EXPECT_EQ(300, st.depth_bytes);
		for (i = 1; i <= 3; i++) {
			kt_fill(buf, 100, i);
			expect_msg(_metadata, q, i, 0, i, buf, 100);
		}
	}
	expect_empty(_metadata, q);
	c.received = c.depth;
	c.depth = 0;
	expect_counters(_metadata, q, &c);

	/* Exactly max_bytes fits, under every policy. */
	kt_fill(buf, 150, 5);
	ASSERT_EQ(0, kipc_send(q, 5, 0, buf, 150, 0));
	ASSERT_EQ(0, kipc_send(q, 6, 0, buf, 100, 0));
	ASSERT_EQ(0, kipc_send(q, 7, 0, buf, 50, 0));
	c.sent += 3;
	c.depth = 3;
	expect_counters(_metadata, q, &c);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(300, st.depth_bytes);
}

/* ------------------------------------------------------------------ */
/* Scenarios of one policy.                                           */

FIXTURE(pol) {
	char name[64];
};

FIXTURE_SETUP(pol)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "pol");
}

FIXTURE_TEARDOWN(pol)
{
}

TEST_F(pol, fail_rejects)
{
	struct counters c = { .depth = 2, .sent = 2 };
	int i, q;

	q = kt_queue(self->name, 2, 16, 0, KIPC_POLICY_FAIL, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "a", 1, 0));
	ASSERT_EQ(0, kipc_send(q, 1, 0, "b", 1, 0));
	/* At once, whatever the timeout; not counted in sent. */
	for (i = 0; i < 3; i++)
		EXPECT_EQ(-EAGAIN, kipc_send(q, 1, 0, "c", 1, -1));
	c.rejected = 3;
	expect_counters(_metadata, q, &c);

	expect_msg(_metadata, q, 1, 0, 1, "a", 1);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "d", 1, 0));
	expect_msg(_metadata, q, 1, 0, 2, "b", 1);
	expect_msg(_metadata, q, 1, 0, 3, "d", 1);
	c = (struct counters) { .sent = 3, .received = 3, .rejected = 3 };
	expect_counters(_metadata, q, &c);
}

TEST_F(pol, drop_new_seq_gap)
{
	struct counters c = { 0 };
	int q;

	q = kt_queue(self->name, 2, 16, 0, KIPC_POLICY_DROP_NEW, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "1", 1, 0));
	ASSERT_EQ(0, kipc_send(q, 2, 5, "2", 1, 0));
	/* Discarded, also a higher priority one; it used seq 3 and 4. */
	EXPECT_EQ(KIPC_DROPPED, kipc_send(q, 3, 0, "3", 1, 0));
	EXPECT_EQ(KIPC_DROPPED, kipc_send(q, 3, 31, "4", 1, -1));
	c = (struct counters) { .depth = 2, .sent = 4, .dropped_new = 2 };
	expect_counters(_metadata, q, &c);

	expect_msg(_metadata, q, 2, 5, 2, "2", 1);
	ASSERT_EQ(0, kipc_send(q, 4, 0, "5", 1, 0));
	/* The queued contents are unchanged, and the gap is visible. */
	expect_msg(_metadata, q, 1, 0, 1, "1", 1);
	expect_msg(_metadata, q, 4, 0, 5, "5", 1);
	expect_empty(_metadata, q);
	c = (struct counters) { .sent = 5, .received = 3, .dropped_new = 2 };
	expect_counters(_metadata, q, &c);
}

TEST_F(pol, drop_oldest_flood_keeps_high_prio)
{
	struct counters c = { 0 };
	uint32_t i;
	int q;

	q = kt_queue(self->name, 3, 16, 0, KIPC_POLICY_DROP_OLDEST, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 5, "H", 1, 0));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, kipc_send(q, 2, 0, &i, sizeof(i), 0));
	c = (struct counters) { .depth = 3, .sent = 21, .dropped_oldest = 18 };
	expect_counters(_metadata, q, &c);

	/* The high-priority message, then the two newest floods. */
	expect_msg(_metadata, q, 1, 5, 1, "H", 1);
	i = 18;
	expect_msg(_metadata, q, 2, 0, 20, &i, sizeof(i));
	i = 19;
	expect_msg(_metadata, q, 2, 0, 21, &i, sizeof(i));
	expect_empty(_metadata, q);
	c.depth = 0;
	c.received = 3;
	expect_counters(_metadata, q, &c);
}

TEST_F(pol, drop_oldest_only_higher_queued)
{
	struct counters c = { 0 };
	int i, q;

	q = kt_queue(self->name, 2, 16, 0, KIPC_POLICY_DROP_OLDEST, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 5, "a", 1, 0));
	ASSERT_EQ(0, kipc_send(q, 2, 5, "b", 1, 0));
	/* Only higher priorities are queued: the new message goes. */
	for (i = 0; i < 10; i++)
		EXPECT_EQ(KIPC_DROPPED, kipc_send(q, 3, 0, "c", 1, 0));
	EXPECT_EQ(KIPC_DROPPED, kipc_send(q, 3, 4, "d", 1, 0));
	c = (struct counters) { .depth = 2, .sent = 13, .dropped_new = 11 };
	expect_counters(_metadata, q, &c);

	expect_msg(_metadata, q, 1, 5, 1, "a", 1);
	expect_msg(_metadata, q, 2, 5, 2, "b", 1);
	expect_empty(_metadata, q);
	c.depth = 0;
	c.received = 2;
	expect_counters(_metadata, q, &c);
}

/*
 * DROP_OLDEST evicts the oldest message of the lowest priority that is
 * <= the new one's; with none, the new message is dropped.
 */
TEST_F(pol, drop_oldest_victim)
{
	struct counters c = { 0 };
	int q;

	q = kt_queue(self->name, 3, 16, 0, KIPC_POLICY_DROP_OLDEST, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 2, "A", 1, 0));	/* seq 1 */
	ASSERT_EQ(0, kipc_send(q, 2, 2, "B", 1, 0));	/* seq 2 */
	ASSERT_EQ(0, kipc_send(q, 3, 9, "C", 1, 0));	/* seq 3 */
	/* {A2 B2 C9} + D4: A goes (oldest of priority 2). */
	ASSERT_EQ(0, kipc_send(q, 4, 4, "D", 1, 0));	/* seq 4 */
	/* {B2 C9 D4} + E1: nothing <= 1 is queued, E goes. */
	/* seq 5 */
	EXPECT_EQ(KIPC_DROPPED, kipc_send(q, 5, 1, "E", 1, 0));
	/* {B2 C9 D4} + F2: B goes (same priority counts). */
	ASSERT_EQ(0, kipc_send(q, 6, 2, "F", 1, 0));	/* seq 6 */
	/* {C9 D4 F2} + G4: F goes (lowest <= 4). */
	ASSERT_EQ(0, kipc_send(q, 7, 4, "G", 1, 0));	/* seq 7 */
	/* {C9 D4 G4} + H4: D goes (oldest of priority 4). */
	ASSERT_EQ(0, kipc_send(q, 8, 4, "H", 1, 0));	/* seq 8 */
	/* {C9 G4 H4} + I3: nothing <= 3, I goes. */
	/* seq 9 */
	EXPECT_EQ(KIPC_DROPPED, kipc_send(q, 9, 3, "I", 1, 0));

	c = (struct counters) {
		.depth = 3, .sent = 9, .dropped_oldest = 4, .dropped_new = 2,
	};
	expect_counters(_metadata, q, &c);
	expect_msg(_metadata, q, 3, 9, 3, "C", 1);
	expect_msg(_metadata, q, 7, 4, 7, "G", 1);
	expect_msg(_metadata, q, 8, 4, 8, "H", 1);
	expect_empty(_metadata, q);
	c.depth = 0;
	c.received = 3;
	expect_counters(_metadata, q, &c);
}

TEST_F(pol, conflate_latest_wins)
{
	struct counters c = { 0 };
	struct kipc_queue_stat st;
	char v;
	int i, q;

	q = kt_queue(self->name, 8, 16, 0, KIPC_POLICY_BLOCK, KIPC_Q_CONFLATE);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "a", 1, 0));	/* seq 1 */
	ASSERT_EQ(0, kipc_send(q, 2, 0, "b", 1, 0));	/* seq 2 */
	ASSERT_EQ(0, kipc_send(q, 1, 0, "c", 1, 0));	/* seq 3 */
	ASSERT_EQ(0, kipc_send(q, 3, 0, "d", 1, 0));	/* seq 4 */
	ASSERT_EQ(0, kipc_send(q, 1, 0, "e", 1, 0));	/* seq 5 */
	ASSERT_EQ(0, kipc_send(q, 2, 0, "f", 1, 0));	/* seq 6 */
	c = (struct counters) { .depth = 3, .sent = 6, .conflated = 3 };
	expect_counters(_metadata, q, &c);

	/* Latest value per type, each at the tail with its new seq. */
	expect_msg(_metadata, q, 3, 0, 4, "d", 1);
	expect_msg(_metadata, q, 1, 0, 5, "e", 1);
	expect_msg(_metadata, q, 2, 0, 6, "f", 1);
	expect_empty(_metadata, q);
	c = (struct counters) { .sent = 6, .received = 3, .conflated = 3 };
	expect_counters(_metadata, q, &c);

	/* At most one message per type, however many are sent. */
	for (i = 0; i < 30; i++) {
		v = 'A' + i;
		ASSERT_EQ(0, kipc_send(q, 1 + i % 3, 0, &v, 1, 0));
		ASSERT_EQ(0, kt_stat(q, &st));
		EXPECT_EQ(i < 3 ? i + 1 : 3, st.depth_msgs);
	}
	c = (struct counters) {
		.depth = 3, .sent = 36, .received = 3, .conflated = 30,
	};
	expect_counters(_metadata, q, &c);
	v = 'A' + 27;
	expect_msg(_metadata, q, 1, 0, 34, &v, 1);
	v = 'A' + 28;
	expect_msg(_metadata, q, 2, 0, 35, &v, 1);
	v = 'A' + 29;
	expect_msg(_metadata, q, 3, 0, 36, &v, 1);
}

TEST_F(pol, conflate_takes_new_prio)
{
	struct counters c = { 0 };
	int q;

	q = kt_queue(self->name, 8, 16, 0, KIPC_POLICY_BLOCK, KIPC_Q_CONFLATE);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "a", 1, 0));	/* seq 1 */
	ASSERT_EQ(0, kipc_send(q, 2, 0, "b", 1, 0));	/* seq 2 */
	ASSERT_EQ(0, kipc_send(q, 3, 6, "c", 1, 0));	/* seq 3 */
	ASSERT_EQ(0, kipc_send(q, 1, 7, "d", 1, 0));	/* seq 4: up */
	ASSERT_EQ(0, kipc_send(q, 3, 0, "e", 1, 0));	/* seq 5: down */
	c = (struct counters) { .depth = 3, .sent = 5, .conflated = 2 };
	expect_counters(_metadata, q, &c);

	expect_msg(_metadata, q, 1, 7, 4, "d", 1);
	expect_msg(_metadata, q, 2, 0, 2, "b", 1);
	expect_msg(_metadata, q, 3, 0, 5, "e", 1);
	expect_empty(_metadata, q);
	c = (struct counters) { .sent = 5, .received = 3, .conflated = 2 };
	expect_counters(_metadata, q, &c);
}

TEST_F(pol, conflate_block_new_type_blocks)
{
	struct counters c = { 0 };
	int64_t t0, t1;
	int q;

	q = kt_queue(self->name, 2, 16, 0, KIPC_POLICY_BLOCK, KIPC_Q_CONFLATE);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "a", 1, 0));
	ASSERT_EQ(0, kipc_send(q, 2, 0, "b", 1, 0));
	/* A known type replaces at once, even full. */
	ASSERT_EQ(0, kipc_send(q, 1, 0, "c", 1, 0));
	/* A new type waits for room. */
	EXPECT_EQ(-EAGAIN, kipc_send(q, 3, 0, "d", 1, 0));
	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kipc_send(q, 3, 0, "d", 1, 50 * MS));
	t1 = kt_now_ns();
	EXPECT_LE(50 * MS, t1 - t0);
	c = (struct counters) {
		.depth = 2, .sent = 3, .conflated = 1, .timeouts = 1,
	};
	expect_counters(_metadata, q, &c);

	expect_msg(_metadata, q, 2, 0, 2, "b", 1);
	expect_msg(_metadata, q, 1, 0, 3, "c", 1);
	expect_empty(_metadata, q);
	c.depth = 0;
	c.received = 2;
	expect_counters(_metadata, q, &c);
}

/*
 * A replacement must fit in the place of the message it replaces; a
 * bigger one that does not fit in the bytes left is up to the policy.
 */
TEST_F(pol, conflate_must_fit)
{
	struct counters c = { 0 };
	struct kipc_queue_stat st;
	char buf[100];
	int q;

	q = kt_queue(self->name, 8, 100, 100, KIPC_POLICY_BLOCK,
		     KIPC_Q_CONFLATE);
	ASSERT_LE(0, q);
	kt_fill(buf, sizeof(buf), 1);
	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 60, 0));	/* seq 1 */
	ASSERT_EQ(0, kipc_send(q, 2, 0, buf, 30, 0));	/* seq 2 */
	/* 70 + 30 == 100 fits in place of the 60. */
	kt_fill(buf, sizeof(buf), 3);
	ASSERT_EQ(0, kipc_send(q, 1, 0, buf, 70, 0));	/* seq 3 */
	/* 80 + 30 > 100: the queue is full for it, BLOCK says wait. */
	EXPECT_EQ(-EAGAIN, kipc_send(q, 1, 0, buf, 80, 0));
	c = (struct counters) { .depth = 2, .sent = 3, .conflated = 1 };
	expect_counters(_metadata, q, &c);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(100, st.depth_bytes);

	kt_fill(buf, sizeof(buf), 1);
	expect_msg(_metadata, q, 2, 0, 2, buf, 30);
	kt_fill(buf, sizeof(buf), 3);
	expect_msg(_metadata, q, 1, 0, 3, buf, 70);
	expect_empty(_metadata, q);
	c.depth = 0;
	c.received = 2;
	expect_counters(_metadata, q, &c);
}

TEST_F_TIMEOUT(pol, block_sender_woken_by_receiver, 90)
{
	struct counters c = { 0 };
	uint32_t i;
	pid_t pid;
	int q;

	q = kt_queue(self->name, 2, 16, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, kipc_send(q, 1, 0, &i, sizeof(i), 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 2; i < 6; i++)
			if (kipc_send(q, 1, 0, &i, sizeof(i), -1))
				_exit(1);
		_exit(0);
	}
	/* The child sleeps on the full queue; each receive makes room. */
	ASSERT_EQ(0, kt_wait_blocked(q, 1, 0));
	for (i = 0; i < 6; i++) {
		struct kipc_msg info;
		uint32_t v = ~0U;

		memset(&info, 0xcc, sizeof(info));
		ASSERT_EQ(sizeof(v), kipc_recv(q, NULL, &v, sizeof(v), &info,
					       20000 * MS));
		EXPECT_EQ(i, v);
		EXPECT_EQ(i + 1, info.seq);
		EXPECT_EQ(i < 2 ? getpid() : pid, info.pid);
	}
	EXPECT_EQ(0, kt_reap(pid));
	c = (struct counters) { .sent = 6, .received = 6 };
	expect_counters(_metadata, q, &c);
}

TEST_HARNESS_MAIN
