// SPDX-License-Identifier: GPL-2.0
/*
 * Namespaces (docs/queues.md, "Names" and "Receive"): a queue name lives in
 * the caller's IPC namespace, so a child that unshares CLONE_NEWIPC can
 * neither see, open nor unlink its parent's names and may reuse them
 * independently; persistent queues of a torn-down namespace never show up
 * in a later one.  The sender pid a receiver sees is in the receiver's pid
 * namespace, 0 when the sender is not visible there; stat's owner_pid too.
 *
 * Children use both libkipc (whose context fd they inherit from before the
 * unshare) and a context fd opened after it: the namespace is the
 * caller's, whichever context fd the call goes through.
 */
#include <sched.h>
#include <stdlib.h>
#include <sys/types.h>

#include "lib/kt_harness.h"

static const struct kipc_queue_attr small = {
	.max_msgs	= 8,
	.max_msg_size	= 64,
};

static void child_unshare(int flags)
{
	if (unshare(flags)) {
		fprintf(stderr, "# unshare(%#x): %s\n", flags, strerror(errno));
		_exit(KT_SKIP_STATUS);	/* the kernel has no such namespace */
	}
}

/* Raw calls through a context fd of our own. */
static int raw_open(int ctx, const char *name, unsigned int flags)
{
	struct kipc_ioc_open arg = {
		.size	= sizeof(arg),
		.flags	= flags,
		.name	= (uintptr_t)name,
		.kind	= KIPC_KIND_QUEUE,
	};

	return kt_ioctl(ctx, KIPC_IOC_OPEN, &arg);
}

static int raw_unlink(int ctx, const char *name)
{
	struct kipc_ioc_unlink arg = {
		.size	= sizeof(arg),
		.name	= (uintptr_t)name,
	};

	return kt_ioctl(ctx, KIPC_IOC_UNLINK, &arg);
}

static int raw_create(int ctx, const char *name, unsigned int flags)
{
	struct kipc_ioc_queue_create arg = {
		.size		= sizeof(arg),
		.flags		= flags,
		.name		= (uintptr_t)name,
		.mode		= 0600,
		.max_msgs	= 8,
		.max_msg_size	= 64,
	};

	return kt_ioctl(ctx, KIPC_IOC_QUEUE_CREATE, &arg);
}

static int stat_id(int q)
{
	struct kipc_queue_stat st;
	int ret = kt_stat(q, &st);

	return ret < 0 ? ret : (int)st.id;
}

/* Wait for a byte from a child: 0, or -1 when it exited first. */
static int child_ready(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

FIXTURE(ns) {
	char name[64];
};

FIXTURE_SETUP(ns)
{
	char none[64];

	KT_REQUIRE_KIPC();
	if (geteuid() != 0)
		KT_SKIP(_exit(KT_SKIP_STATUS), "needs root for unshare");
	kt_name(self->name, sizeof(self->name), "ns");
	/* Open libkipc's context here, so the children inherit it. */
	ASSERT_EQ(-ENOENT, kipc_unlink(kt_name(none, sizeof(none), "none")));
}

FIXTURE_TEARDOWN(ns)
{
	kipc_unlink(self->name);
}

/*
 * A child in a new IPC namespace: the parent's name is invisible, the child
 * creates the same name independently, and messages do not cross.
 */
TEST_F_TIMEOUT(ns, ipc_ns_isolates_names, 120)
{
	int ready[2], done[2];
	char fresh[64];
	int q, h;
	pid_t pid;

	kt_name(fresh, sizeof(fresh), "nsfresh");
	q = kipc_queue_create(self->name, &small, 0, 0600);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "parent", 7, 0));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_queue_stat st;
		int ctx, cq, ch, ph;

		close(ready[0]);
		close(done[1]);
		child_unshare(CLONE_NEWIPC);
		ctx = kt_ctx();
		KT_CHILD_CHECK(ctx >= 0);

		KT_CHILD_CHECK(kipc_queue_open(self->name, KIPC_RDWR) == -ENOENT);
		KT_CHILD_CHECK(raw_open(ctx, self->name, KIPC_RDONLY) == -ENOENT);
		KT_CHILD_CHECK(kipc_unlink(self->name) == -ENOENT);
		KT_CHILD_CHECK(raw_unlink(ctx, self->name) == -ENOENT);

		/* The same name, a different queue. */
		cq = kipc_queue_create(self->name, &small, 0, 0600);
		KT_CHILD_CHECK(cq >= 0);
		KT_CHILD_CHECK(stat_id(cq) != stat_id(q));
		KT_CHILD_CHECK(kt_recv_str(cq, 0, "") == -EAGAIN);
		KT_CHILD_CHECK(kipc_send(cq, 2, 0, "child", 6, 0) == 0);
		KT_CHILD_CHECK(kt_recv_str(cq, 2, "child") == 0);
		KT_CHILD_CHECK(kipc_send(cq, 2, 0, "child2", 7, 0) == 0);

		/* Both ways to the context see the child's queue. */
		ch = raw_open(ctx, self->name, KIPC_RDWR);
		KT_CHILD_CHECK(ch >= 0);
		KT_CHILD_CHECK(stat_id(ch) == stat_id(cq));
		close(ch);
		ch = kipc_queue_open(self->name, KIPC_RDWR);
		KT_CHILD_CHECK(ch >= 0);
		KT_CHILD_CHECK(stat_id(ch) == stat_id(cq));
		close(ch);
		/* The create through the fresh context is EEXIST too. */
		KT_CHILD_CHECK(raw_create(ctx, self->name, 0) == -EEXIST);

		/* The inherited handle still reaches the parent's queue. */
		KT_CHILD_CHECK(kt_stat(q, &st) == 0);
		KT_CHILD_CHECK(st.depth_msgs == 1);
		KT_CHILD_CHECK(st.state == KIPC_STATE_LIVE);

		/* A second queue through the fresh context only. */
		ph = raw_create(ctx, fresh, 0);
		KT_CHILD_CHECK(ph >= 0);
		KT_CHILD_CHECK(kipc_queue_open(fresh, KIPC_RDONLY) >= 0);

		kt_signal(ready[1]);
		kt_await(done[0]);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);

	if (child_ready(ready[0])) {
		KT_ASSERT_CHILD(pid, "no IPC namespaces");
	}

	/* Our queue holds only our message; our name opens our queue. */
	EXPECT_EQ(0, kt_recv_str(q, 1, "parent"));
	EXPECT_EQ(-EAGAIN, kt_recv_str(q, 0, ""));
	h = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);
	EXPECT_EQ(stat_id(q), stat_id(h));
	close(h);
	EXPECT_EQ(-ENOENT, kipc_queue_open(fresh, KIPC_RDONLY));

	/* The child's queue dies with the child; ours keeps its name. */
	kt_signal(done[1]);
	close(done[1]);
	EXPECT_EQ(0, kt_reap(pid));
	h = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);
	EXPECT_EQ(stat_id(q), stat_id(h));
	EXPECT_EQ(0, kipc_send(h, 1, 0, "after", 6, 0));
	EXPECT_EQ(0, kt_recv_str(q, 1, "after"));
	close(h);
	close(q);
}

/* kipc_unlink of the parent's name from a child namespace: ENOENT. */
TEST_F_TIMEOUT(ns, unlink_from_other_ns, 120)
{
	struct kipc_queue_stat st;
	int q, h;
	pid_t pid;

	q = kipc_queue_create(self->name, &small, KIPC_PERSIST, 0600);
	ASSERT_LE(0, q);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ctx;

		child_unshare(CLONE_NEWIPC);
		ctx = kt_ctx();
		KT_CHILD_CHECK(ctx >= 0);
		KT_CHILD_CHECK(kipc_unlink(self->name) == -ENOENT);
		KT_CHILD_CHECK(raw_unlink(ctx, self->name) == -ENOENT);
		_exit(0);
	}
	KT_EXPECT_CHILD(pid, "no IPC namespaces");

	h = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);
	ASSERT_EQ(0, kt_stat(h, &st));
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);
	close(h);
	close(q);
	EXPECT_EQ(0, kipc_unlink(self->name));
}

/*
 * A persistent queue created in a child's namespace is visible neither to
 * the parent nor to a new namespace created after the first one is torn
 * down.  Repeated, so a new namespace has chances to reuse the address of
 * an old one.
 */
TEST_F_TIMEOUT(ns, persist_not_visible_to_later_ns, 300)
{
	int i;
	pid_t pid;

	for (i = 0; i < 6; i++) {
		/* A: creates a persistent queue and exits, ns torn down. */
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int q;

			child_unshare(CLONE_NEWIPC);
			q = kipc_queue_create(self->name, &small,
					      KIPC_PERSIST, 0666);
			/* EEXIST would be B's queue of the previous round. */
			KT_CHILD_CHECK(q >= 0);
			KT_CHILD_CHECK(kipc_send(q, 1, 0, "A", 2, 0) == 0);
			_exit(0);
		}
		KT_ASSERT_CHILD(pid, "no IPC namespaces");

		EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDONLY));

		/* B: a fresh namespace sees nothing, creates its own. */
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int ctx, q;

			child_unshare(CLONE_NEWIPC);
			ctx = kt_ctx();
			KT_CHILD_CHECK(ctx >= 0);
			KT_CHILD_CHECK(kipc_queue_open(self->name, KIPC_RDONLY) ==
				       -ENOENT);
			KT_CHILD_CHECK(raw_open(ctx, self->name, KIPC_RDWR) ==
				       -ENOENT);
			q = raw_create(ctx, self->name, KIPC_PERSIST);
			KT_CHILD_CHECK(q >= 0);
			KT_CHILD_CHECK(kt_recv_str(q, 0, "") == -EAGAIN);
			_exit(0);
		}
		ASSERT_EQ(0, kt_reap(pid));

		EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDONLY));
		EXPECT_EQ(-ENOENT, kipc_unlink(self->name));
	}
}

/*
 * Sender pids are reported in the receiver's pid namespace.  C unshares
 * CLONE_NEWPID and forks G, pid 1 of the new namespace; G forks S, pid 2.
 * The parent is not visible in G's namespace; G and S are visible in both.
 * Every receive happens while its sender is still alive.
 */
TEST_F_TIMEOUT(ns, pid_ns_sender_pid, 120)
{
	int info[2], ack[2];
	struct kipc_queue_stat st;
	struct kipc_msg m;
	pid_t pid, gpid;
	char buf[64];
	ssize_t n;
	int q;

	q = kipc_queue_create(self->name, &small, 0, 0600);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "from-parent", 12, 0));
	ASSERT_EQ(0, pipe(info));
	ASSERT_EQ(0, pipe(ack));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t g;

		close(info[0]);
		close(ack[1]);
		child_unshare(CLONE_NEWPID);
		g = fork();
		KT_CHILD_CHECK(g >= 0);
		if (g == 0) {
			struct kipc_select sel = { KIPC_SEL_EQ, 1 };
			int sp[2], sack[2];
			pid_t s;

			/* First, for the parent, which sees G by its pid. */
			KT_CHILD_CHECK(kipc_send(q, 2, 0, "from-G", 7, 0) == 0);
			KT_CHILD_CHECK(getpid() == 1);

			/* The parent, outside: not visible. */
			memset(&m, 0xcc, sizeof(m));
			n = kipc_recv(q, &sel, buf, sizeof(buf), &m, 0);
			KT_CHILD_CHECK(n == 12);
			KT_CHILD_CHECK(m.pid == 0);
			KT_CHILD_CHECK(m.uid == 0);
			KT_CHILD_CHECK(kt_stat(q, &st) == 0);
			KT_CHILD_CHECK(st.owner_pid == 0);

			/* Ourselves: our pid in our namespace. */
			KT_CHILD_CHECK(kipc_send(q, 3, 0, "self", 5, 0) == 0);
			sel.type = 3;
			memset(&m, 0xcc, sizeof(m));
			n = kipc_recv(q, &sel, buf, sizeof(buf), &m, 0);
			KT_CHILD_CHECK(n == 5);
			KT_CHILD_CHECK(m.pid == 1);

			/* S, in our namespace: its pid there. */
			KT_CHILD_CHECK(pipe(sp) == 0 && pipe(sack) == 0);
			s = fork();
			KT_CHILD_CHECK(s >= 0);
			if (s == 0) {
				KT_CHILD_CHECK(kipc_send(q, 4, 0, "S", 2, 0) == 0);
				kt_signal(sp[1]);
				kt_await(sack[0]);
				_exit(0);
			}
			kt_await(sp[0]);
			sel.type = 4;
			memset(&m, 0xcc, sizeof(m));
			n = kipc_recv(q, &sel, buf, sizeof(buf), &m, 0);
			KT_CHILD_CHECK(n == 2);
			KT_CHILD_CHECK(s == 2);
			KT_CHILD_CHECK(m.pid == s);
			kt_signal(sack[1]);
			KT_CHILD_CHECK(kt_reap(s) == 0);

			/* Stay alive until the parent has received. */
			kt_await(ack[0]);
			_exit(0);
		}
		if (write(info[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		_exit(kt_reap(g));
	}
	close(info[1]);
	close(ack[0]);

	if (read(info[0], &gpid, sizeof(gpid)) != sizeof(gpid)) {
		KT_ASSERT_CHILD(pid, "no pid namespaces");
	}

	/* G's message: G's pid in our namespace (G waits for our ack). */
	memset(&m, 0xcc, sizeof(m));
	memset(buf, 0xcc, sizeof(buf));
	n = kipc_recv(q, &(struct kipc_select){ KIPC_SEL_EQ, 2 }, buf,
		      sizeof(buf), &m, -1);
	EXPECT_EQ(7, n);
	EXPECT_EQ(0, strcmp("from-G", buf));
	EXPECT_EQ(gpid, m.pid);
	EXPECT_EQ(0, m.uid);
	kt_signal(ack[1]);
	EXPECT_EQ(0, kt_reap(pid));

	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(getpid(), st.owner_pid);
	EXPECT_EQ(0, st.depth_msgs);
	close(q);
}

TEST_HARNESS_MAIN
