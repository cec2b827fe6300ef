// SPDX-License-Identifier: GPL-2.0
/*
 * Selective receive, as docs/queues.md states it: the ANY, EQ, LE and NE
 * selectors (LE takes the smallest queued type <= t, then the highest
 * priority FIFO within that type; NE the highest priority FIFO among the
 * other types), invalid selectors, a sleeping EQ receiver woken only by
 * its own type, the direct hand-off to a sleeping selective receiver when
 * the queue is full of other types, and a selective receive at a depth of
 * 10,000 messages (correctness only), and lists that drained.
 */
#include <stdlib.h>

#include "lib/kt_harness.h"

FIXTURE(sel) {
	char name[64];
};

FIXTURE_SETUP(sel)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "sel");
}

FIXTURE_TEARDOWN(sel)
{
}

/*
 * The mixed queue most tests start from: message i is the byte 'a' + i
 * and gets sequence number i + 1.
 */
static const struct { uint32_t type, prio; } mix[] = {
	{ 3, 0 },	/* a */
	{ 1, 0 },	/* b */
	{ 5, 2 },	/* c */
	{ 3, 4 },	/* d */
	{ 2, 0 },	/* e */
	{ 5, 0 },	/* f */
	{ 1, 4 },	/* g */
	{ 3, 0 },	/* h */
};

static int mixed_queue(struct __test_metadata *_metadata, const char *name)
{
	unsigned int i;
	int q;

	q = kipc_queue_create(name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	for (i = 0; i < ARRAY_SIZE(mix); i++) {
		char c = 'a' + i;

		ASSERT_EQ(0, kipc_send(q, mix[i].type, mix[i].prio, &c, 1, 0));
	}
	return q;
}

/* Receive one message with the selector; it must be mix[@want]. */
static void expect_next(struct __test_metadata *_metadata, int q,
			uint32_t mode, uint32_t type, int want)
{
	struct kipc_select sel = { .mode = mode, .type = type };
	struct kipc_msg info;
	char out[8];

	memset(out, 0xcc, sizeof(out));
	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(1, kipc_recv(q, &sel, out, sizeof(out), &info, 0)) {
		TH_LOG("selector %u/%u, expected message '%c'", mode, type,
		       'a' + want);
	}
	EXPECT_EQ('a' + want, out[0]) {
		TH_LOG("selector %u/%u: got '%c', expected '%c'", mode, type,
		       out[0], 'a' + want);
	}
	EXPECT_EQ(mix[want].type, info.type);
	EXPECT_EQ(mix[want].prio, info.prio);
	EXPECT_EQ(want + 1, info.seq);
}

/* Nothing matches the selector now. */
static void expect_none(struct __test_metadata *_metadata, int q,
			uint32_t mode, uint32_t type)
{
	struct kipc_select sel = { .mode = mode, .type = type };
	char out[8];

	EXPECT_EQ(-EAGAIN, kipc_recv(q, &sel, out, sizeof(out), NULL, 0)) {
		TH_LOG("selector %u/%u", mode, type);
	}
}

static void expect_depth(struct __test_metadata *_metadata, int q,
			 uint64_t depth)
{
	struct kipc_queue_stat st;

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(depth, st.depth_msgs);
	EXPECT_EQ(ARRAY_SIZE(mix), st.sent);
	EXPECT_EQ(ARRAY_SIZE(mix) - depth, st.received);
	KT_EXPECT_BALANCED(st);
}

TEST_F(sel, any)
{
	struct kipc_select any = { .mode = KIPC_SEL_ANY, .type = 0 };
	struct kipc_msg info;
	char out[8];
	int q;

	q = mixed_queue(_metadata, self->name);
	/* Priority 4: d, g; priority 2: c; priority 0: a, b, e, f, h. */
	expect_next(_metadata, q, KIPC_SEL_ANY, 0, 3);
	expect_next(_metadata, q, KIPC_SEL_ANY, 0, 6);
	expect_next(_metadata, q, KIPC_SEL_ANY, 0, 2);
	expect_next(_metadata, q, KIPC_SEL_ANY, 0, 0);
	/* A NULL selector is ANY. */
	ASSERT_EQ(1, kipc_recv(q, NULL, out, sizeof(out), &info, 0));
	EXPECT_EQ('b', out[0]);
	ASSERT_EQ(1, kipc_recv(q, &any, out, sizeof(out), &info, 0));
	EXPECT_EQ('e', out[0]);
	expect_next(_metadata, q, KIPC_SEL_ANY, 0, 5);
	expect_next(_metadata, q, KIPC_SEL_ANY, 0, 7);
	expect_none(_metadata, q, KIPC_SEL_ANY, 0);
	expect_depth(_metadata, q, 0);
}

TEST_F(sel, eq)
{
	int q;

	q = mixed_queue(_metadata, self->name);
	expect_next(_metadata, q, KIPC_SEL_EQ, 3, 3);
	expect_next(_metadata, q, KIPC_SEL_EQ, 3, 0);
	expect_next(_metadata, q, KIPC_SEL_EQ, 3, 7);
	expect_none(_metadata, q, KIPC_SEL_EQ, 3);
	expect_none(_metadata, q, KIPC_SEL_EQ, 4);
	expect_none(_metadata, q, KIPC_SEL_EQ, 1000);
	expect_next(_metadata, q, KIPC_SEL_EQ, 5, 2);
	expect_depth(_metadata, q, 4);

	/* The rest is untouched, in ANY order. */
	expect_next(_metadata, q, KIPC_SEL_ANY, 0, 6);
	expect_next(_metadata, q, KIPC_SEL_ANY, 0, 1);
	expect_next(_metadata, q, KIPC_SEL_ANY, 0, 4);
	expect_next(_metadata, q, KIPC_SEL_ANY, 0, 5);
	expect_depth(_metadata, q, 0);
}

TEST_F(sel, le)
{
	int q;

	q = mixed_queue(_metadata, self->name);
	/* The smallest type <= 4 is 1: g (priority 4), then b. */
	expect_next(_metadata, q, KIPC_SEL_LE, 4, 6);
	expect_next(_metadata, q, KIPC_SEL_LE, 4, 1);
	/* Then type 2, although type 3 holds a higher priority. */
	expect_next(_metadata, q, KIPC_SEL_LE, 4, 4);
	/* Nothing <= 2 is left; type 3 is not <= 2. */
	expect_none(_metadata, q, KIPC_SEL_LE, 2);
	expect_none(_metadata, q, KIPC_SEL_LE, 1);
	expect_next(_metadata, q, KIPC_SEL_LE, 4, 3);
	expect_next(_metadata, q, KIPC_SEL_LE, 3, 0);
	expect_next(_metadata, q, KIPC_SEL_LE, 4, 7);
	/* Only type 5 is left. */
	expect_none(_metadata, q, KIPC_SEL_LE, 4);
	expect_depth(_metadata, q, 2);
	expect_next(_metadata, q, KIPC_SEL_LE, UINT32_MAX, 2);
	expect_next(_metadata, q, KIPC_SEL_LE, 5, 5);
	expect_none(_metadata, q, KIPC_SEL_LE, UINT32_MAX);
	expect_depth(_metadata, q, 0);
}

TEST_F(sel, ne)
{
	int q;

	q = mixed_queue(_metadata, self->name);
	/* Not type 3: g (priority 4), c (priority 2), b, e, f. */
	expect_next(_metadata, q, KIPC_SEL_NE, 3, 6);
	expect_next(_metadata, q, KIPC_SEL_NE, 3, 2);
	expect_next(_metadata, q, KIPC_SEL_NE, 3, 1);
	expect_next(_metadata, q, KIPC_SEL_NE, 3, 4);
	expect_next(_metadata, q, KIPC_SEL_NE, 3, 5);
	expect_none(_metadata, q, KIPC_SEL_NE, 3);
	expect_depth(_metadata, q, 3);
	/* Only type 3 is left: d, a, h. */
	expect_next(_metadata, q, KIPC_SEL_NE, 1, 3);
	expect_next(_metadata, q, KIPC_SEL_NE, UINT32_MAX, 0);
	expect_next(_metadata, q, KIPC_SEL_NE, 2, 7);
	expect_depth(_metadata, q, 0);
}

/*
 * The index keeps the list that drained last (module/queue.c): a
 * selector must step over it, a refill must find it, and a list that a
 * later drain pushed out must be made again.
 */
TEST_F(sel, drained_lists)
{
	struct kipc_select eq5 = { .mode = KIPC_SEL_EQ, .type = 5 };
	struct kipc_select le9 = { .mode = KIPC_SEL_LE, .type = 9 };
	struct kipc_select ne2 = { .mode = KIPC_SEL_NE, .type = 2 };
	struct kipc_msg info = { 0 };
	struct kipc_queue_stat st;
	char c;
	int q;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	/* (5, 3) drains and stays in the index, below (5, 1). */
	ASSERT_EQ(0, kipc_send(q, 5, 3, "x", 1, 0));
	ASSERT_EQ(1, kipc_recv(q, &eq5, &c, 1, &info, 0));
	EXPECT_EQ('x', c);
	ASSERT_EQ(0, kipc_send(q, 5, 1, "y", 1, 0));
	ASSERT_EQ(1, kipc_recv(q, &eq5, &c, 1, &info, 0));
	EXPECT_EQ('y', c);
	EXPECT_EQ(1, info.prio);
	/* Now (5, 1) is the kept one and (5, 3) is gone: LE skips both. */
	ASSERT_EQ(0, kipc_send(q, 2, 0, "z", 1, 0));
	ASSERT_EQ(1, kipc_recv(q, &le9, &c, 1, &info, 0));
	EXPECT_EQ('z', c);
	EXPECT_EQ(-EAGAIN, kipc_recv(q, &le9, &c, 1, &info, 0));
	EXPECT_EQ(-EAGAIN, kipc_recv(q, &eq5, &c, 1, &info, 0));
	EXPECT_EQ(-EAGAIN, kipc_recv(q, &ne2, &c, 1, &info, 0));
	/* Both lists of type 5 again, one made anew, one found. */
	ASSERT_EQ(0, kipc_send(q, 5, 1, "v", 1, 0));
	ASSERT_EQ(0, kipc_send(q, 5, 3, "w", 1, 0));
	ASSERT_EQ(1, kipc_recv(q, &ne2, &c, 1, &info, 0));
	EXPECT_EQ('w', c);
	EXPECT_EQ(3, info.prio);
	ASSERT_EQ(1, kipc_recv(q, &eq5, &c, 1, &info, 0));
	EXPECT_EQ('v', c);
	EXPECT_EQ(4, info.seq);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(5, st.sent);
	EXPECT_EQ(5, st.received);
	KT_EXPECT_BALANCED(st);
	EXPECT_EQ(0, close(q));
}

TEST_F(sel, invalid)
{
	static const struct kipc_select bad[] = {
		{ .mode = 4, .type = 1 },
		{ .mode = UINT32_MAX, .type = 1 },
		{ .mode = KIPC_SEL_EQ, .type = 0 },
		{ .mode = KIPC_SEL_LE, .type = 0 },
		{ .mode = KIPC_SEL_NE, .type = 0 },
		{ .mode = KIPC_SEL_ANY, .type = 7 },
	};
	struct kipc_msg m;
	unsigned int i;
	char out[8];
	int q;

	q = mixed_queue(_metadata, self->name);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		TH_LOG("selector #%u", i);
		EXPECT_EQ(-EINVAL, kipc_recv(q, &bad[i], out, sizeof(out),
					     NULL, 0));
		EXPECT_EQ(-EINVAL, kipc_recv(q, &bad[i], out, sizeof(out),
					     NULL, -1));
		memset(&m, 0, sizeof(m));
		m.data = out;
		m.len = sizeof(out);
		EXPECT_EQ(-EINVAL, kipc_recvv(q, &bad[i], &m, 1, 0));
	}
	/* Nothing was consumed. */
	expect_depth(_metadata, q, ARRAY_SIZE(mix));
}

TEST_F(sel, batch_eq)
{
	struct kipc_select eq = { .mode = KIPC_SEL_EQ, .type = 3 };
	struct kipc_msg m[8];
	char out[8][8];
	unsigned int i;
	int q;

	q = mixed_queue(_metadata, self->name);
	memset(m, 0xcc, sizeof(m));
	for (i = 0; i < ARRAY_SIZE(m); i++) {
		m[i].data = out[i];
		m[i].len = sizeof(out[i]);
		m[i].__reserved = 0;
	}
	/* Every matching message that is ready, and only those. */
	ASSERT_EQ(3, kipc_recvv(q, &eq, m, ARRAY_SIZE(m), 0));
	EXPECT_EQ('d', out[0][0]);
	EXPECT_EQ('a', out[1][0]);
	EXPECT_EQ('h', out[2][0]);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(3, m[i].type);
		EXPECT_EQ(1, m[i].len);
		EXPECT_EQ(0, m[i].flags);
	}
	EXPECT_EQ(4, m[0].seq);
	EXPECT_EQ(1, m[1].seq);
	EXPECT_EQ(8, m[2].seq);
	expect_depth(_metadata, q, 5);
	expect_none(_metadata, q, KIPC_SEL_EQ, 3);
}

TEST_F_TIMEOUT(sel, eq_sleeper_ignores_other_types, 90)
{
	struct kipc_select eq4 = { .mode = KIPC_SEL_EQ, .type = 4 };
	struct kipc_queue_stat st;
	struct kipc_msg info;
	int pfd[2], q;
	char out[8], res;
	pid_t pid;

	q = kipc_queue_create(self->name, NULL, 0, 0600);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, pipe(pfd));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_select eq5 = { .mode = KIPC_SEL_EQ, .type = 5 };
		struct kipc_msg m;
		int64_t t0;
		char b[8];
		ssize_t n;

		/* A type-4 message arrives while we sleep: keep sleeping. */
		t0 = kt_now_ns();
		n = kipc_recv(q, &eq5, b, sizeof(b), &m, 3000 * MS);
		res = n == -ETIMEDOUT ? 0 : 1;
		if (!res && kt_now_ns() - t0 < 3000 * MS)
			res = 2;
		if (write(pfd[1], &res, 1) != 1)
			_exit(99);
		/* Then a type-5 message wakes us. */
		n = kipc_recv(q, &eq5, b, sizeof(b), &m, -1);
		_exit(n == 4 && !memcmp(b, "five", 4) && m.type == 5 ? 0 : 3);
	}
	close(pfd[1]);

	ASSERT_EQ(0, kt_wait_blocked(q, 0, 1));
	ASSERT_EQ(0, kipc_send(q, 4, 0, "four", 4, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.depth_msgs);

	/* The sleeper timed out instead of taking type 4. */
	ASSERT_EQ(1, read(pfd[0], &res, 1));
	EXPECT_EQ(0, res);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(0, st.received);
	EXPECT_EQ(1, st.timeouts);

	ASSERT_EQ(0, kt_wait_blocked(q, 0, 1));
	ASSERT_EQ(0, kipc_send(q, 5, 0, "five", 4, 0));
	EXPECT_EQ(0, kt_reap(pid));

	/* The type-4 message is still there, intact. */
	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(4, kipc_recv(q, &eq4, out, sizeof(out), &info, 0));
	EXPECT_EQ(0, memcmp(out, "four", 4));
	EXPECT_EQ(1, info.seq);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(2, st.sent);
	EXPECT_EQ(2, st.received);
	KT_EXPECT_BALANCED(st);
}

TEST_F_TIMEOUT(sel, handoff_when_full, 60)
{
	struct kipc_queue_stat st;
	pid_t pid;
	int q;

	q = kt_queue(self->name, 2, 64, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "one", 3, 0));
	ASSERT_EQ(0, kipc_send(q, 1, 0, "two", 3, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_select eq7 = { .mode = KIPC_SEL_EQ, .type = 7 };
		struct kipc_msg m;
		char b[8];
		ssize_t n;

		n = kipc_recv(q, &eq7, b, sizeof(b), &m, -1);
		_exit(n == 5 && !memcmp(b, "seven", 5) && m.type == 7 &&
		      m.prio == 3 && m.seq == 3 ? 0 : 1);
	}
	ASSERT_EQ(0, kt_wait_blocked(q, 0, 1));

	/* The queue is full for everything but the sleeper's type. */
	EXPECT_EQ(-EAGAIN, kipc_send(q, 1, 0, "three", 5, 0));
	/* Handed to the sleeper at once: it must not block, not even 0 ns. */
	EXPECT_EQ(0, kipc_send(q, 7, 3, "seven", 5, 0));
	EXPECT_EQ(0, kt_reap(pid));

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(2, st.depth_msgs);
	EXPECT_EQ(3, st.sent);
	EXPECT_EQ(1, st.received);
	EXPECT_EQ(0, st.blocked_senders);
	EXPECT_EQ(0, st.blocked_receivers);
	EXPECT_EQ(0, st.rejected);
	KT_EXPECT_BALANCED(st);
}

TEST_F_TIMEOUT(sel, large_depth, 300)
{
	const unsigned int depth = 10000, batch = 1000;
	struct kipc_select eq2 = { .mode = KIPC_SEL_EQ, .type = 2 };
	struct kipc_select le = { .mode = KIPC_SEL_LE, .type = 2 };
	struct kipc_select ne = { .mode = KIPC_SEL_NE, .type = 1 };
	struct kipc_queue_stat st;
	struct kipc_msg *m, info;
	uint32_t *idx, v;
	unsigned int i, j, got;
	int q, n;

	m = calloc(KIPC_BATCH_MAX, sizeof(*m));
	idx = calloc(KIPC_BATCH_MAX, sizeof(*idx));
	ASSERT_NE(NULL, m);
	ASSERT_NE(NULL, idx);
	q = kt_queue(self->name, depth + 1, 8, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);

	for (i = 0; i < depth; i += batch) {
		for (j = 0; j < batch; j++) {
			idx[j] = i + j;
			m[j] = (struct kipc_msg) {
				.type = 1,
				.data = &idx[j],
				.len = sizeof(idx[j]),
			};
		}
		ASSERT_EQ(batch, kipc_sendv(q, m, batch, 0));
	}
	ASSERT_EQ(0, kipc_send(q, 2, 0, "last", 4, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(depth + 1, st.depth_msgs);

	/* The one type-2 message behind 10,000 of type 1. */
	memset(&info, 0xcc, sizeof(info));
	ASSERT_EQ(4, kipc_recv(q, &eq2, &v, sizeof(v), &info, 0));
	EXPECT_EQ(0, memcmp(&v, "last", 4));
	EXPECT_EQ(depth + 1, info.seq);
	EXPECT_EQ(-EAGAIN, kipc_recv(q, &eq2, &v, sizeof(v), NULL, 0));
	EXPECT_EQ(-EAGAIN, kipc_recv(q, &ne, &v, sizeof(v), NULL, 0));

	/* Type 1 is still in order, from its head. */
	ASSERT_EQ(4, kipc_recv(q, &le, &v, sizeof(v), &info, 0));
	EXPECT_EQ(0, v);
	EXPECT_EQ(1, info.seq);
	got = 1;
	while (got < depth) {
		for (j = 0; j < KIPC_BATCH_MAX; j++) {
			memset(&m[j], 0xcc, sizeof(m[j]));
			m[j].data = &idx[j];
			m[j].len = sizeof(idx[j]);
			m[j].__reserved = 0;
		}
		n = kipc_recvv(q, NULL, m, KIPC_BATCH_MAX, 0);
		ASSERT_LT(0, n);
		for (j = 0; j < (unsigned int)n; j++, got++) {
			if (idx[j] != got || m[j].seq != got + 1 ||
			    m[j].type != 1) {
				TH_LOG("message %u: index %u seq %llu type %u",
				       got, idx[j],
				       (unsigned long long)m[j].seq,
				       m[j].type);
				ASSERT_TRUE(0);
			}
		}
	}
	EXPECT_EQ(depth, got);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(depth + 1, st.sent);
	EXPECT_EQ(depth + 1, st.received);
	EXPECT_EQ(depth + 1, st.high_water);
	KT_EXPECT_BALANCED(st);
	free(m);
	free(idx);
}

TEST_HARNESS_MAIN
