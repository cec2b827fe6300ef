// SPDX-License-Identifier: GPL-2.0
/*
 * Every allocation on the create (queue, region, event; named and
 * anonymous), open, unlink, event post and wait, and netlink (dump,
 * subscribe) paths is failed once through fail-nth: for N = 1, 2, ...
 * until the call succeeds without a fault, N is written to
 * /proc/thread-self/fail-nth just before the call.  Each failed call must
 * fail cleanly with -ENOMEM (netlink: -ENOMEM or -ENOBUFS), and nothing
 * may leak: the live_objects module parameter and the uid's charge
 * (GET_MODULE) are back to their start values and no name is left.
 *
 * fail-nth needs CONFIG_FAULT_INJECTION_DEBUG_FS (the debug kernel); the
 * test sets failslab and fail_page_alloc to also fail sleeping
 * allocations, quietly.  Without /proc/thread-self/fail-nth it skips,
 * unless KIPC_FAILNTH_REQUIRED=1, then it fails.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include "lib/kt_harness.h"
#include "kipc-nl.h"

#define MAX_N		2000

/* One operation under test, with what it needs set up beforehand. */
struct op {
	const char *what;
	char name[64];
	int fd;			/* an object the op works on, or -1 */
	int result;		/* what the op made: an fd to close, or -1 */
	struct kipcnl *nl;
	int (*setup)(struct op *o);
	int (*run)(struct op *o);	/* 0 or -errno, inside the window */
	void (*undo)(struct op *o);	/* after a success */
	bool netlink;
};

static int nth_fd = -1;

static int fail_nth_arm(unsigned int n)
{
	return kt_failnth_arm(nth_fd, n);
}

/* The count left: 0 when the fault was injected.  Disarms. */
static long fail_nth_disarm(void)
{
	return kt_failnth_disarm(nth_fd);
}

static int ret_fd(int fd, struct op *o)
{
	if (fd < 0)
		return fd;
	o->result = fd;
	return 0;
}

static void undo_close(struct op *o)
{
	close(o->result);
	o->result = -1;
}

static const struct kipc_queue_attr qattr = {
	.max_msgs = 8, .max_msg_size = 64,
};

static int run_queue_named(struct op *o)
{
	return ret_fd(kipc_queue_create(o->name, &qattr, 0, 0600), o);
}

static int run_queue_anon(struct op *o)
{
	return ret_fd(kipc_queue_create(NULL, &qattr, 0, 0600), o);
}

static int run_region_named(struct op *o)
{
	return ret_fd(kipc_region_create(o->name, 4096, 0, 0600), o);
}

static int run_region_anon(struct op *o)
{
	return ret_fd(kipc_region_create(NULL, 4096, 0, 0600), o);
}

static int run_event_named(struct op *o)
{
	return ret_fd(kipc_event_create(o->name, KIPC_EVENT_SEMAPHORE, 0, 0,
					0600), o);
}

static int run_event_anon(struct op *o)
{
	return ret_fd(kipc_event_create(NULL, KIPC_EVENT_SEMAPHORE, 0, 0,
					0600), o);
}

static int setup_named_queue(struct op *o)
{
	o->fd = kipc_queue_create(o->name, &qattr, 0, 0600);
	return o->fd < 0 ? o->fd : 0;
}

static int run_open(struct op *o)
{
	return ret_fd(kipc_queue_open(o->name, KIPC_RDWR), o);
}

static int setup_persistent(struct op *o)
{
	int q = kipc_queue_create(o->name, &qattr, KIPC_PERSIST, 0600);

	if (q < 0)
		return q;
	close(q);
	return 0;
}

static int run_unlink(struct op *o)
{
	return kipc_unlink(o->name);
}

static void undo_nothing(struct op *o)
{
}

static int setup_event(struct op *o)
{
	o->fd = kipc_event_create(NULL, KIPC_EVENT_SEMAPHORE, 1, 0, 0600);
	return o->fd < 0 ? o->fd : 0;
}

static int run_post(struct op *o)
{
	return kipc_event_post(o->fd, 1);
}

static int run_wait(struct op *o)
{
	uint64_t v;

	return kipc_event_wait(o->fd, &v, 0);
}

static int setup_nl(struct op *o)
{
	/* A few objects so the dump has something to say. */
	o->fd = kipc_event_create(o->name, KIPC_EVENT_FLAG, 0, 0, 0600);
	if (o->fd < 0)
		return o->fd;
	return 0;
}

static int run_dump(struct op *o)
{
	struct kipcnl_obj *objs;
	size_t n;
	int ret = kipcnl_dump(o->nl, &objs, &n);

	if (!ret)
		kipcnl_objs_free(objs, n);
	return ret;
}

static int run_subscribe(struct op *o)
{
	return kipcnl_subscribe(o->nl);
}

/* Is @name still linked?  Looked up as any kind. */
static bool name_present(const char *name)
{
	int h = kipc_queue_open(name, KIPC_RDONLY);

	if (h >= 0) {
		close(h);
		return true;
	}
	return h != -ENOENT;
}

FIXTURE(failnth) {
	char name[64];
};

FIXTURE_SETUP(failnth)
{
	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "failnth");
	if (geteuid())
		KT_SKIP(_exit(KT_SKIP_STATUS), "needs root for debugfs");
	KT_REQUIRE_FAILNTH(nth_fd);
	/* Open libkipc's context before any window. */
	ASSERT_EQ(-ENOENT, kipc_unlink(self->name));
}

FIXTURE_TEARDOWN(failnth)
{
	if (nth_fd >= 0)
		fail_nth_disarm();
	kipc_unlink(self->name);
}

/*
 * Fail allocation N of @o->run for N = 1.. until a run succeeds with no
 * fault injected.  Returns the number of faults that made the call fail.
 */
static int sweep(struct __test_metadata *_metadata, struct op *o)
{
	int failed = 0, recovered = 0;
	unsigned int n;

	for (n = 1; n <= MAX_N; n++) {
		long live0, live1, left;
		uint64_t ub0, ub1;
		int ret;

		live0 = kt_live_objects();
		ub0 = kipcnl_charged();
		ASSERT_LE(0, live0);
		ASSERT_NE(UINT64_MAX, ub0);
		o->fd = -1;
		o->result = -1;
		if (o->setup)
			ASSERT_EQ(0, o->setup(o)) TH_LOG("%s: setup", o->what);
		if (o->netlink)
			ASSERT_EQ(0, kipcnl_open(&o->nl));

		ASSERT_EQ(0, fail_nth_arm(n));
		ret = o->run(o);
		left = fail_nth_disarm();
		ASSERT_LE(0, left);

		if (ret == 0) {
			o->undo(o);
		} else if (o->netlink) {
			EXPECT_TRUE(ret == -ENOMEM || ret == -ENOBUFS)
				TH_LOG("%s: fault %u: %d (%s)", o->what, n,
				       ret, strerror(-ret));
		} else {
			EXPECT_EQ(-ENOMEM, ret)
				TH_LOG("%s: fault %u: %d (%s)", o->what, n,
				       ret, strerror(-ret));
		}
		if (o->run == run_unlink) {
			/* A failed unlink leaves the name as it was. */
			EXPECT_EQ(!!ret, name_present(o->name))
				TH_LOG("%s: fault %u: name %s", o->what, n,
				       ret ? "gone" : "still there");
			kipc_unlink(o->name);
		}
		if (o->netlink)
			kipcnl_close(o->nl);
		if (o->fd >= 0)
			close(o->fd);
		/* Everything of this round is closed: all must be back. */
		live1 = kt_live_objects();
		ub1 = kipcnl_charged();
		EXPECT_EQ(live0, live1)
			TH_LOG("%s: fault %u leaks an object", o->what, n);
		EXPECT_EQ(ub0, ub1)
			TH_LOG("%s: fault %u: charge %llu -> %llu", o->what, n,
			       (unsigned long long)ub0,
			       (unsigned long long)ub1);
		EXPECT_FALSE(name_present(o->name))
			TH_LOG("%s: fault %u left the name", o->what, n);
		if (ret)
			failed++;
		else if (left == 0)
			recovered++;
		if (!_metadata->passed)
			break;
		if (left > 0)
			break;	/* the call made fewer than n allocations */
	}
	EXPECT_GE(MAX_N, n) TH_LOG("%s never succeeded", o->what);
	TH_LOG("%s: %u allocation sites tried, %d failed cleanly, %d recovered",
	       o->what, n, failed, recovered);
	return failed;
}

#define SWEEP(label, s, r, u, nl) do {					\
	struct op o = { .what = label, .setup = s, .run = r,		\
			.undo = u, .netlink = nl };			\
									\
	snprintf(o.name, sizeof(o.name), "%s", self->name);		\
	sweep(_metadata, &o);						\
} while (0)

TEST_F_TIMEOUT(failnth, create, 600)
{
	SWEEP("queue create, named", NULL, run_queue_named, undo_close, false);
	SWEEP("queue create, anonymous", NULL, run_queue_anon, undo_close,
	      false);
	SWEEP("region create, named", NULL, run_region_named, undo_close,
	      false);
	SWEEP("region create, anonymous", NULL, run_region_anon, undo_close,
	      false);
	SWEEP("event create, named", NULL, run_event_named, undo_close, false);
	SWEEP("event create, anonymous", NULL, run_event_anon, undo_close,
	      false);
}

TEST_F_TIMEOUT(failnth, open_unlink, 600)
{
	SWEEP("open", setup_named_queue, run_open, undo_close, false);
	SWEEP("unlink", setup_persistent, run_unlink, undo_nothing, false);
}

TEST_F_TIMEOUT(failnth, event_post_wait, 600)
{
	SWEEP("event post", setup_event, run_post, undo_nothing, false);
	SWEEP("event wait", setup_event, run_wait, undo_nothing, false);
}

TEST_F_TIMEOUT(failnth, netlink, 600)
{
	SWEEP("netlink dump", setup_nl, run_dump, undo_nothing, true);
	SWEEP("netlink subscribe", setup_nl, run_subscribe, undo_nothing,
	      true);
}

TEST_HARNESS_MAIN
