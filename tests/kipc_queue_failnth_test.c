// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures on the send paths, injected with fail-nth: for
 * N = 1, 2, ... the Nth allocation of the sending task fails, until the
 * call succeeds with no failure left to inject.  After every failure the
 * call must have failed cleanly (-ENOMEM, or a batch's count accepted so
 * far), the counters must add up (sent = received + queued + dropped_new
 * + dropped_oldest + conflated), and no accepted message may be lost: a
 * CONFLATE or DROP_OLDEST send that fails must leave the old messages
 * queued.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION_DEBUG_FS and FAILSLAB (the
 * debug kernel); elsewhere each test is skipped, or fails when the
 * environment has KIPC_FAILNTH_REQUIRED=1.
 */
#include <sys/stat.h>

#include "lib/kt_harness.h"

#define MAX_NTH		64

FIXTURE(failnth) {
	char name[64];
	int nth;	/* fd of KT_FAILNTH */
};

FIXTURE_SETUP(failnth)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "fnth");
	KT_REQUIRE_FAILNTH(self->nth);
}

FIXTURE_TEARDOWN(failnth)
{
}

/* A raw KIPC_IOC_SEND of @n descriptors: the count, or -errno. */
static int send_raw(int q, struct kipc_msgdesc *d, unsigned int n)
{
	struct kipc_ioc_send a = {
		.size = sizeof(a),
		.msgs = (uintptr_t)d,
		.count = n,
		.timeout_ns = 0,
	};

	return kt_ioctl(q, KIPC_IOC_SEND, &a);
}

enum shape { PLAIN, BATCH, CONFLATE, DROP_OLDEST, BATCH_DROP_OLDEST };

#define NOLD	2	/* messages queued before the send */
#define NBATCH	4

/*
 * One queue per N: queue NOLD old messages (types 1.., priority 0), then
 * send under fail-nth.  The new messages have other (type, priority)
 * pairs, so the send must allocate a list and an xarray node.
 *
 * For DROP_OLDEST the old messages share one list, so evicting the
 * oldest leaves its list in place and no spare list head: the new pair's
 * list must then be allocated after the eviction decision, where one
 * injected failure finds out whether the eviction came too early.  (An
 * xarray node allocation is retried once with the caller's gfp, so one
 * injected failure never fails xa_store(); and a list emptied by a
 * CONFLATE replacement becomes the spare the new pair takes.)
 */
static void run_shape(struct __test_metadata *_metadata,
		      FIXTURE_DATA(failnth) *self, enum shape shape)
{
	uint32_t policy = KIPC_POLICY_FAIL, qflags = 0, max = 8;
	unsigned int i, count = 1, failures = 0;
	char payload[NBATCH][32], buf[64];
	struct kipc_msgdesc d[NBATCH];
	struct kipc_queue_stat st;
	bool injected = true, one_list = false;
	int n, q, ret = -1, last = 0;

	switch (shape) {
	case PLAIN:
		break;
	case BATCH:
		count = NBATCH;
		break;
	case CONFLATE:
		qflags = KIPC_Q_CONFLATE;
		break;
	case DROP_OLDEST:
		policy = KIPC_POLICY_DROP_OLDEST;
		max = NOLD;
		one_list = true;
		break;
	case BATCH_DROP_OLDEST:
		policy = KIPC_POLICY_DROP_OLDEST;
		max = NOLD;
		count = NBATCH;
		one_list = true;
		break;
	}

	for (n = 1; n <= MAX_NTH && injected; n++) {
		q = kt_queue(self->name, max, 64, 0, policy, qflags);
		ASSERT_LE(0, q);
		for (i = 0; i < NOLD; i++) {
			snprintf(buf, sizeof(buf), "old%u", i);
			ASSERT_EQ(0, kipc_send(q, one_list ? 1 : i + 1, 0, buf,
					       8, 0));
		}
		memset(d, 0, sizeof(d));
		for (i = 0; i < count; i++) {
			snprintf(payload[i], sizeof(payload[i]), "new%u", i);
			/* CONFLATE replaces type 1; the rest are new types. */
			d[i].type = shape == CONFLATE ? 1 : 10 + i;
			d[i].prio = 3;
			d[i].data = (uintptr_t)payload[i];
			d[i].len = 8;
		}

		last = n;
		ASSERT_EQ(0, kt_failnth_arm(self->nth, n));
		ret = send_raw(q, d, count);
		injected = kt_failnth_disarm(self->nth) == 0;

		ASSERT_EQ(0, kt_stat(q, &st));
		KT_EXPECT_BALANCED(st);
		if (ret < 0) {
			EXPECT_EQ(-ENOMEM, ret) {
				TH_LOG("N=%d: send returned %d", n, ret);
			}
			EXPECT_TRUE(injected);
			ret = 0;
		} else {
			EXPECT_TRUE(ret == (int)count || injected) {
				TH_LOG("N=%d: %d of %u accepted, no failure",
				       n, ret, count);
			}
		}
		if (injected)
			failures++;
		/* Exactly the accepted ones were sent; the old ones stay. */
		EXPECT_EQ(NOLD + (uint64_t)ret, st.sent) {
			TH_LOG("N=%d: sent %llu, %d accepted", n,
			       (unsigned long long)st.sent, ret);
		}
		switch (shape) {
		case PLAIN:
		case BATCH:
			EXPECT_EQ(NOLD + (uint64_t)ret, st.depth_msgs);
			break;
		case CONFLATE:
			EXPECT_EQ(NOLD, st.depth_msgs);
			EXPECT_EQ((uint64_t)ret, st.conflated);
			break;
		case DROP_OLDEST:
		case BATCH_DROP_OLDEST:
			/* An old message goes only for a new one. */
			EXPECT_EQ(NOLD, st.depth_msgs) {
				TH_LOG("N=%d: %llu queued, %d accepted: an "
				       "accepted message was lost", n,
				       (unsigned long long)st.depth_msgs,
				       ret);
			}
			EXPECT_EQ((uint64_t)ret, st.dropped_oldest);
			break;
		}
		/* What is queued is intact: the old ones, then the new. */
		for (i = 0; i < st.depth_msgs; i++) {
			struct kipc_msg info;
			ssize_t len;

			memset(buf, 0, sizeof(buf));
			len = kipc_recv(q, NULL, buf, sizeof(buf), &info, 0);
			ASSERT_EQ(8, len);
			EXPECT_TRUE(!strncmp(buf, "old", 3) ||
				    !strncmp(buf, "new", 3)) {
				TH_LOG("N=%d: message %u is '%.8s'", n, i,
				       buf);
			}
		}
		close(q);
		if (_metadata->passed == 0)
			break;
	}
	EXPECT_EQ((int)count, ret) {
		TH_LOG("the send never succeeded in %d tries", MAX_NTH);
	}
	/* The loop must have injected failures, or it tested nothing. */
	EXPECT_LE(1, failures);
	TH_LOG("%u injected failures, stopped at N=%d", failures, last);
}

TEST_F(failnth, plain)
{
	run_shape(_metadata, self, PLAIN);
}

TEST_F(failnth, batch)
{
	run_shape(_metadata, self, BATCH);
}

TEST_F(failnth, conflate)
{
	run_shape(_metadata, self, CONFLATE);
}

TEST_F(failnth, drop_oldest)
{
	run_shape(_metadata, self, DROP_OLDEST);
}

TEST_F(failnth, batch_drop_oldest)
{
	run_shape(_metadata, self, BATCH_DROP_OLDEST);
}

TEST_HARNESS_MAIN
