// SPDX-License-Identifier: GPL-2.0
/*
 * Leased (acknowledged) receive: kipc_recv_leased, kipc_recvv_leased,
 * kipc_ack, kipc_nack (docs/queues.md, "Leased receive").
 *
 * The worker-pool test forks workers that take leased jobs in batches
 * and acks them one by one, and SIGKILLs them at random points (in the
 * receive, holding a batch, between two acks of a batch), 1,000 kills on
 * every kernel (KIPC_TEST_SCALE does not shrink it).  Every job must be acked exactly once and
 * every job a killed worker held must come back with
 * KIPC_MSG_REDELIVERED.  The other tests pin down the semantics one by
 * one: order of returned messages, ownership (another thread's or
 * process's sequence number is ENOENT), the lease timeout, nack,
 * max_deliveries with a dead-letter queue and with drop, every policy,
 * owner death, poll, the quota and, on the debug kernel, fail-nth on the
 * new allocations.  Every test checks the counter identity
 * sent == received + depth + inflight + dropped + conflated + dead.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "lib/kt_harness.h"
#include "kipc-nl.h"

#define LEASE_BALANCED(st)						\
	EXPECT_EQ((st).sent, (st).received + (st).depth_msgs +		\
		  (st).inflight_msgs + (st).dropped_new +		\
		  (st).dropped_oldest + (st).conflated +		\
		  (st).dead_lettered + (st).dead_dropped)

static int lq(const char *name, uint32_t max_msgs, uint32_t policy,
	      uint32_t qflags, uint32_t max_del, uint32_t timeout_ms,
	      const char *dlq)
{
	struct kipc_queue_attr a = {
		.max_msgs		= max_msgs,
		.max_msg_size		= 64,
		.policy			= policy,
		.flags			= qflags,
		.max_deliveries		= max_del,
		.lease_timeout_ms	= timeout_ms,
		.dead_letter		= dlq,
	};

	return kipc_queue_create(name, &a, 0, 0600);
}

static int send_u32(int q, uint32_t type, uint32_t prio, uint32_t v)
{
	return kipc_send(q, type, prio, &v, sizeof(v), 0);
}

/* A leased receive of one u32 message: its value, or -errno. */
static int64_t lrecv(int q, struct kipc_msg *info, int64_t timeout)
{
	uint32_t v = 0;
	ssize_t n;

	memset(info, 0xcc, sizeof(*info));
	n = kipc_recv_leased(q, NULL, &v, sizeof(v), info, timeout);
	return n < 0 ? n : (int64_t)v;
}

static int64_t precv(int q, struct kipc_msg *info, int64_t timeout)
{
	uint32_t v = 0;
	ssize_t n;

	memset(info, 0xcc, sizeof(*info));
	n = kipc_recv(q, NULL, &v, sizeof(v), info, timeout);
	return n < 0 ? n : (int64_t)v;
}

static short poll_in(int q)
{
	struct pollfd p = { .fd = q, .events = POLLIN };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/* Wait for a counter of the queue's stat to reach @want (20 s). */
#define WAIT_STAT(q, field, want) ({					\
	struct kipc_queue_stat __st;					\
	int __i, __ok = 0;						\
	for (__i = 0; __i < 20000; __i++) {				\
		if (!kipc_queue_stat(q, &__st) && __st.field >= (want)) { \
			__ok = 1;					\
			break;						\
		}							\
		usleep(1000);						\
	}								\
	__ok;								\
})

TEST(ack_frees_and_twice_is_enoent)
{
	struct kipc_queue_stat st;
	struct kipc_msg m;
	int q;

	KT_REQUIRE_KIPC();
	q = lq(NULL, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 7));
	ASSERT_EQ(7, lrecv(q, &m, 0));
	EXPECT_EQ(0, m.flags);
	EXPECT_EQ(1, m.deliveries);
	EXPECT_EQ(1, m.seq);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(1, st.inflight_msgs);
	EXPECT_EQ(4, st.inflight_bytes);
	EXPECT_EQ(1, st.handle_inflight);
	EXPECT_EQ(1, st.leased);
	EXPECT_EQ(0, st.received);
	LEASE_BALANCED(st);
	/* Only leased: nothing to receive, not readable. */
	EXPECT_EQ(-EAGAIN, precv(q, &m, 0));
	EXPECT_EQ(0, poll_in(q) & POLLIN);

	EXPECT_EQ(-ENOENT, kipc_ack(q, 2));	/* never sent */
	EXPECT_EQ(-ENOENT, kipc_nack(q, 99));
	EXPECT_EQ(0, kipc_ack(q, 1));
	EXPECT_EQ(-ENOENT, kipc_ack(q, 1));	/* twice */
	EXPECT_EQ(-ENOENT, kipc_nack(q, 1));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.inflight_msgs);
	EXPECT_EQ(1, st.acked);
	EXPECT_EQ(1, st.received);
	EXPECT_EQ(0, st.redelivered);
	LEASE_BALANCED(st);
	KT_EXPECT_BALANCED(st);
	close(q);
}

TEST(nack_returns_in_place)
{
	struct kipc_queue_stat st;
	struct kipc_msg m;
	int q;

	KT_REQUIRE_KIPC();
	q = lq(NULL, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(0, send_u32(q, 1, 0, 2));
	ASSERT_EQ(0, send_u32(q, 2, 0, 3));
	ASSERT_EQ(1, lrecv(q, &m, 0));
	ASSERT_EQ(2, lrecv(q, &m, 0));
	EXPECT_EQ(POLLIN, poll_in(q) & POLLIN);
	ASSERT_EQ(3, lrecv(q, &m, 0));
	EXPECT_EQ(0, poll_in(q) & POLLIN);
	/* Give back 2 then 1: they return in sequence order, before 3. */
	EXPECT_EQ(0, kipc_nack(q, 2));
	EXPECT_EQ(POLLIN, poll_in(q) & POLLIN);
	EXPECT_EQ(0, kipc_nack(q, 1));
	EXPECT_EQ(0, kipc_nack(q, 3));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(3, st.nacked);
	EXPECT_EQ(3, st.redelivered);
	EXPECT_EQ(3, st.depth_msgs);
	LEASE_BALANCED(st);
	ASSERT_EQ(1, precv(q, &m, 0));
	EXPECT_EQ(KIPC_MSG_REDELIVERED, m.flags);
	EXPECT_EQ(2, m.deliveries);
	EXPECT_EQ(1, m.seq);
	ASSERT_EQ(2, lrecv(q, &m, 0));
	EXPECT_EQ(KIPC_MSG_REDELIVERED, m.flags);
	EXPECT_EQ(0, kipc_nack(q, 2));
	ASSERT_EQ(2, lrecv(q, &m, 0));
	EXPECT_EQ(3, m.deliveries);
	EXPECT_EQ(0, kipc_ack(q, 2));
	ASSERT_EQ(3, precv(q, &m, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.depth_msgs + st.inflight_msgs);
	LEASE_BALANCED(st);
	close(q);
}

/*
 * A child takes a batch of leases (priorities 0 and 5) and is killed:
 * they come back in their places: priority 5 first, then priority 0 in
 * sequence order, ahead of the message nobody leased.
 */
TEST(killed_holder_returns_in_order)
{
	struct kipc_queue_stat st;
	const uint32_t want[] = { 11, 10, 12, 13, 14 };
	struct kipc_msg m, ms[4];
	uint32_t bufs[4];
	int q, ready[2], i;
	pid_t pid;

	KT_REQUIRE_KIPC();
	q = lq(NULL, 16, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 10));
	ASSERT_EQ(0, send_u32(q, 1, 5, 11));
	ASSERT_EQ(0, send_u32(q, 2, 0, 12));
	ASSERT_EQ(0, send_u32(q, 1, 0, 13));
	ASSERT_EQ(0, send_u32(q, 1, 0, 14));
	ASSERT_EQ(0, pipe(ready));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < 4; i++) {
			ms[i] = (struct kipc_msg){ .data = &bufs[i],
						   .len = 4 };
		}
		/* 11 (prio 5), then 10, 12, 13 */
		KT_CHILD_CHECK(kipc_recvv_leased(q, NULL, ms, 4, 0) == 4);
		KT_CHILD_CHECK(bufs[0] == 11 && bufs[3] == 13);
		kt_signal(ready[1]);
		pause();
		_exit(0);
	}
	kt_await(ready[0]);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(4, st.inflight_msgs);
	/* Taken through the handle the child shares with us. */
	EXPECT_EQ(4, st.handle_inflight);
	EXPECT_EQ(-ENOENT, kipc_ack(q, 2));	/* another process's */
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.inflight_msgs);
	EXPECT_EQ(4, st.redelivered);
	LEASE_BALANCED(st);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(want[i], lrecv(q, &m, 0));
		EXPECT_EQ(i < 4 ? KIPC_MSG_REDELIVERED : 0, m.flags);
		EXPECT_EQ(i < 4 ? 2 : 1, m.deliveries);
		EXPECT_EQ(0, kipc_ack(q, m.seq));
	}
	close(q);
}

struct th_arg {
	int q;
	uint64_t seq;
	int ret;
	int mode;	/* 0: ack seq; 1: lease one and exit; 2: lease, wait */
	int pipe_rd;
};

static void *th_fn(void *p)
{
	struct th_arg *a = p;
	struct kipc_msg m;

	switch (a->mode) {
	case 0:
		a->ret = kipc_ack(a->q, a->seq);
		break;
	case 1:
		a->ret = (int)lrecv(a->q, &m, 0);
		a->seq = m.seq;
		break;
	case 2:
		a->ret = (int)lrecv(a->q, &m, -1);
		break;
	}
	return NULL;
}

TEST(owner_is_the_thread)
{
	struct kipc_queue_stat st;
	struct th_arg a = { 0 };
	struct kipc_msg m;
	pthread_t t;
	int q;

	KT_REQUIRE_KIPC();
	q = lq(NULL, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(0, send_u32(q, 1, 0, 2));
	ASSERT_EQ(1, lrecv(q, &m, 0));
	/* Another thread of this process, same fd: not its lease. */
	a.q = q;
	a.seq = m.seq;
	ASSERT_EQ(0, pthread_create(&t, NULL, th_fn, &a));
	pthread_join(t, NULL);
	EXPECT_EQ(-ENOENT, a.ret);
	EXPECT_EQ(0, kipc_ack(q, m.seq));

	/* A thread that leases and ends without an ack: it comes back. */
	a.mode = 1;
	ASSERT_EQ(0, pthread_create(&t, NULL, th_fn, &a));
	pthread_join(t, NULL);
	ASSERT_EQ(2, a.ret);
	EXPECT_EQ(-ENOENT, kipc_ack(q, a.seq));	/* and never ours */
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.inflight_msgs);
	EXPECT_EQ(1, st.redelivered);
	ASSERT_EQ(2, lrecv(q, &m, 0));
	EXPECT_EQ(KIPC_MSG_REDELIVERED, m.flags);
	EXPECT_EQ(0, kipc_ack(q, m.seq));
	close(q);
}

/* A child forked after the parent leased cannot ack the parent's lease. */
TEST(forked_child_cannot_ack_parents)
{
	struct kipc_queue_stat st;
	struct kipc_msg m;
	pid_t pid;
	int q;

	KT_REQUIRE_KIPC();
	q = lq(NULL, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(1, lrecv(q, &m, 0));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		KT_CHILD_CHECK(kipc_ack(q, m.seq) == -ENOENT);
		KT_CHILD_CHECK(kipc_nack(q, m.seq) == -ENOENT);
		_exit(0);
	}
	EXPECT_EQ(0, kt_reap(pid));
	/* The child's exit released nothing of ours. */
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.inflight_msgs);
	EXPECT_EQ(0, kipc_ack(q, m.seq));
	close(q);
}

/* Raw KIPC_IOC_RECV_LEASED: the thread handle must be this thread's. */
TEST(thread_fd_checked)
{
	struct kipc_ioc_queue_thread qt = { .size = sizeof(qt) };
	struct kipc_queue_stat st;
	struct kipc_msgdesc d;
	struct kipc_ioc_recv_leased r;
	uint32_t v;
	int q, q2, tfd, t2;

	KT_REQUIRE_KIPC();
	q = lq(NULL, 8, 0, 0, 0, 0, NULL);
	q2 = lq(NULL, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_LE(0, q2);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	tfd = kt_ioctl(q, KIPC_IOC_QUEUE_THREAD, &qt);
	ASSERT_LE(0, tfd);
	t2 = kt_ioctl(q2, KIPC_IOC_QUEUE_THREAD, &qt);
	ASSERT_LE(0, t2);
	EXPECT_EQ(-EBADF, kt_ioctl(tfd, KIPC_IOC_QUEUE_THREAD, &qt));
	memset(&d, 0, sizeof(d));
	d.data = (uintptr_t)&v;
	d.len = sizeof(v);
	r = (struct kipc_ioc_recv_leased){ .size = sizeof(r),
		.msgs = (uintptr_t)&d, .count = 1, .thread_fd = q };
	EXPECT_EQ(-EBADF, kt_ioctl(q, KIPC_IOC_RECV_LEASED, &r));
	r.thread_fd = t2;		/* another queue's */
	EXPECT_EQ(-EBADF, kt_ioctl(q, KIPC_IOC_RECV_LEASED, &r));
	r.thread_fd = 0;		/* not kipc */
	EXPECT_EQ(-EBADF, kt_ioctl(q, KIPC_IOC_RECV_LEASED, &r));
	r.thread_fd = tfd;
	r.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(q, KIPC_IOC_RECV_LEASED, &r));
	r.flags = 0;
	EXPECT_EQ(1, kt_ioctl(q, KIPC_IOC_RECV_LEASED, &r));
	EXPECT_EQ(1, v);
	/* Closing the thread handle ends its lease. */
	close(tfd);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.inflight_msgs);
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(1, st.redelivered);
	close(t2);
	close(q2);
	close(q);
}

/* Closing the handle the leases were taken through ends them too. */
TEST(handle_close_returns)
{
	struct kipc_queue_stat st;
	struct kipc_msg m;
	char name[64];
	int q, h;

	KT_REQUIRE_KIPC();
	kt_name(name, sizeof(name), "lclose");
	q = lq(name, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	h = kipc_queue_open(name, KIPC_RDWR);
	ASSERT_LE(0, h);
	ASSERT_EQ(0, send_u32(q, 1, 0, 5));
	ASSERT_EQ(5, lrecv(h, &m, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.handle_inflight);
	ASSERT_EQ(0, kt_stat(h, &st));
	EXPECT_EQ(1, st.handle_inflight);
	close(h);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.inflight_msgs);
	EXPECT_EQ(1, st.depth_msgs);
	ASSERT_EQ(5, precv(q, &m, 0));
	EXPECT_EQ(KIPC_MSG_REDELIVERED, m.flags);
	kipc_unlink(name);
	close(q);
}

TEST(lease_timeout)
{
	struct kipc_queue_stat st;
	struct kipc_msg m;
	int64_t t0;
	int q;

	KT_REQUIRE_KIPC();
	q = lq(NULL, 8, 0, 0, 0, 50, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	t0 = kt_now_ns();
	ASSERT_EQ(1, lrecv(q, &m, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(50, st.lease_timeout_ms);
	/* A blocking receive gets it back once the timeout passes. */
	ASSERT_EQ(1, lrecv(q, &m, 20000 * MS));
	EXPECT_LE(50 * MS, kt_now_ns() - t0);
	EXPECT_EQ(KIPC_MSG_REDELIVERED, m.flags);
	EXPECT_EQ(2, m.deliveries);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.expired);
	EXPECT_EQ(1, st.redelivered);
	EXPECT_EQ(0, kipc_ack(q, m.seq));
	/* An ack after the timeout took the lease away: ENOENT. */
	ASSERT_EQ(0, send_u32(q, 1, 0, 2));
	ASSERT_EQ(2, lrecv(q, &m, 0));
	ASSERT_TRUE(WAIT_STAT(q, expired, 2));
	EXPECT_EQ(-ENOENT, kipc_ack(q, m.seq));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	LEASE_BALANCED(st);
	close(q);
}

TEST(max_deliveries_dead_letter)
{
	struct kipc_queue_stat st, dst;
	struct kipc_msg m;
	char dname[64], qname[64];
	int q, dq, i;

	KT_REQUIRE_KIPC();
	kt_name(dname, sizeof(dname), "ldlq");
	kt_name(qname, sizeof(qname), "lsrc");
	dq = lq(dname, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, dq);
	EXPECT_EQ(-ENOENT, lq(qname, 8, 0, 0, 2, 0, "/no.such.queue"));
	EXPECT_EQ(-EINVAL, lq(qname, 8, 0, 0, 0, 0, dname));
	q = lq(qname, 8, 0, 0, 2, 0, dname);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 3, 4, 42));
	ASSERT_EQ(0, send_u32(q, 3, 4, 43));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(42, lrecv(q, &m, 0));
		EXPECT_EQ(i + 1, m.deliveries);
		EXPECT_EQ(0, kipc_nack(q, m.seq));
	}
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.dead_lettered);
	EXPECT_EQ(1, st.redelivered);
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(2, st.max_deliveries);
	ASSERT_EQ(0, kt_stat(dq, &dst));
	EXPECT_EQ(dst.id, st.dead_letter_id);
	EXPECT_EQ(1, dst.depth_msgs);
	LEASE_BALANCED(st);
	ASSERT_EQ(42, precv(dq, &m, 0));
	EXPECT_EQ(3, m.type);
	EXPECT_EQ(4, m.prio);
	EXPECT_EQ(0, m.flags);
	EXPECT_EQ(1, m.deliveries);
	/* 43 was never leased: still here. */
	ASSERT_EQ(43, precv(q, &m, 0));
	close(q);
	close(dq);
	kipc_unlink(qname);
	kipc_unlink(dname);
}

TEST(max_deliveries_drop)
{
	struct kipc_queue_stat st;
	struct kipc_msg m;
	int q;

	KT_REQUIRE_KIPC();
	q = lq(NULL, 8, 0, 0, 1, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(1, lrecv(q, &m, 0));
	EXPECT_EQ(0, kipc_nack(q, m.seq));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.dead_dropped);
	EXPECT_EQ(0, st.dead_lettered);
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.redelivered);
	LEASE_BALANCED(st);
	close(q);
}

/* A full DLQ (FAIL) refuses the dead letter: it is counted as dropped. */
TEST(dead_letter_refused)
{
	struct kipc_queue_stat st;
	struct kipc_msg m;
	char dname[64];
	int q, dq;

	KT_REQUIRE_KIPC();
	kt_name(dname, sizeof(dname), "ldlqfull");
	dq = lq(dname, 1, KIPC_POLICY_FAIL, 0, 0, 0, NULL);
	ASSERT_LE(0, dq);
	ASSERT_EQ(0, send_u32(dq, 1, 0, 0));
	q = lq(NULL, 8, 0, 0, 1, 0, dname);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(1, lrecv(q, &m, 0));
	EXPECT_EQ(0, kipc_nack(q, m.seq));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(0, st.dead_lettered);
	EXPECT_EQ(1, st.dead_dropped);
	LEASE_BALANCED(st);
	close(q);
	close(dq);
	kipc_unlink(dname);
}

/* Leased messages count against max_msgs under every policy. */
TEST(policies)
{
	struct kipc_queue_stat st;
	struct kipc_msg m;
	int q;

	KT_REQUIRE_KIPC();
	/* BLOCK and FAIL: full of leases is full. */
	q = lq(NULL, 2, KIPC_POLICY_BLOCK, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(0, send_u32(q, 1, 0, 2));
	ASSERT_EQ(1, lrecv(q, &m, 0));
	ASSERT_EQ(2, lrecv(q, &m, 0));
	EXPECT_EQ(-EAGAIN, send_u32(q, 1, 0, 3));
	EXPECT_EQ(-ETIMEDOUT, kipc_send(q, 1, 0, "x", 1, 20 * MS));
	EXPECT_EQ(0, kipc_ack(q, m.seq));
	EXPECT_EQ(0, send_u32(q, 1, 0, 3));
	close(q);

	q = lq(NULL, 1, KIPC_POLICY_FAIL, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(1, lrecv(q, &m, 0));
	EXPECT_EQ(-EAGAIN, send_u32(q, 1, 0, 2));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.rejected);
	LEASE_BALANCED(st);
	close(q);

	q = lq(NULL, 1, KIPC_POLICY_DROP_NEW, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(1, lrecv(q, &m, 0));
	EXPECT_EQ(KIPC_DROPPED, send_u32(q, 1, 0, 2));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.dropped_new);
	LEASE_BALANCED(st);
	close(q);

	/* DROP_OLDEST evicts the oldest queued one, never a leased one. */
	q = lq(NULL, 2, KIPC_POLICY_DROP_OLDEST, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(0, send_u32(q, 1, 0, 2));
	ASSERT_EQ(1, lrecv(q, &m, 0));
	EXPECT_EQ(0, send_u32(q, 1, 0, 3));	/* evicts 2 */
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.dropped_oldest);
	EXPECT_EQ(1, st.inflight_msgs);
	EXPECT_EQ(1, st.depth_msgs);
	LEASE_BALANCED(st);
	ASSERT_EQ(3, lrecv(q, &m, 0));
	/* Only leases left: the new one is dropped, nothing evicted. */
	EXPECT_EQ(KIPC_DROPPED, send_u32(q, 1, 0, 4));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.dropped_oldest);
	EXPECT_EQ(1, st.dropped_new);
	EXPECT_EQ(2, st.inflight_msgs);
	LEASE_BALANCED(st);
	EXPECT_EQ(0, kipc_ack(q, 1));
	EXPECT_EQ(0, kipc_ack(q, m.seq));
	close(q);

	/* CONFLATE never replaces a leased message. */
	q = lq(NULL, 4, KIPC_POLICY_FAIL, KIPC_Q_CONFLATE, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(1, lrecv(q, &m, 0));
	EXPECT_EQ(0, send_u32(q, 1, 0, 2));
	EXPECT_EQ(0, send_u32(q, 1, 0, 3));	/* replaces 2, not 1 */
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.conflated);
	EXPECT_EQ(1, st.inflight_msgs);
	EXPECT_EQ(1, st.depth_msgs);
	LEASE_BALANCED(st);
	EXPECT_EQ(0, kipc_nack(q, m.seq));	/* 1 comes back before 3 */
	ASSERT_EQ(1, precv(q, &m, 0));
	ASSERT_EQ(3, precv(q, &m, 0));
	close(q);
}

/*
 * Owner death: a leased receiver asleep wakes with EPIPE; a holder's
 * ack is EPIPE; what is queued and what the holder gives back is still
 * drained by the survivors, then they get EPIPE.
 */
TEST(owner_death)
{
	struct kipc_queue_stat st;
	struct th_arg a = { 0 };
	struct kipc_msg m;
	char name[64];
	pthread_t t;
	int q, h;

	KT_REQUIRE_KIPC();
	kt_name(name, sizeof(name), "lowner");
	q = lq(name, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	h = kipc_queue_open(name, KIPC_RDWR);
	ASSERT_LE(0, h);
	a.q = h;
	a.mode = 2;
	ASSERT_EQ(0, pthread_create(&t, NULL, th_fn, &a));
	ASSERT_EQ(0, kt_wait_blocked(h, 0, 1));
	close(q);
	pthread_join(t, NULL);
	EXPECT_EQ(-EPIPE, a.ret);

	q = lq(name, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	close(h);
	h = kipc_queue_open(name, KIPC_RDWR);
	ASSERT_LE(0, h);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(0, send_u32(q, 1, 0, 2));
	ASSERT_EQ(1, lrecv(h, &m, 0));
	close(q);				/* the owner dies */
	EXPECT_EQ(-EPIPE, kipc_ack(h, m.seq));
	ASSERT_EQ(2, precv(h, &m, 0));
	/* Leases out may come back: not EPIPE yet. */
	EXPECT_EQ(-EAGAIN, precv(h, &m, 0));
	EXPECT_EQ(0, kipc_nack(h, 1));
	ASSERT_EQ(1, precv(h, &m, 0));
	EXPECT_EQ(KIPC_MSG_REDELIVERED, m.flags);
	EXPECT_EQ(-EPIPE, precv(h, &m, 0));
	EXPECT_EQ(-EPIPE, lrecv(h, &m, 0));
	ASSERT_EQ(0, kt_stat(h, &st));
	EXPECT_EQ(KIPC_STATE_DEAD, st.state);
	LEASE_BALANCED(st);
	close(h);
}

/* Shut down: acks still work, and the last one hangs the queue up. */
TEST(shutdown_drains_leases)
{
	struct kipc_queue_stat st;
	struct kipc_msg m;
	struct pollfd p;
	int q;

	KT_REQUIRE_KIPC();
	q = lq(NULL, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	ASSERT_EQ(1, lrecv(q, &m, 0));
	ASSERT_EQ(0, kipc_queue_shutdown(q));
	p = (struct pollfd){ .fd = q, .events = POLLIN };
	/* Not readable and not hung up while a lease is out. */
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(-EAGAIN, precv(q, &m, 0));
	EXPECT_EQ(0, kipc_ack(q, 1));
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLHUP, p.revents & POLLHUP);
	EXPECT_EQ(-EPIPE, precv(q, &m, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	LEASE_BALANCED(st);
	close(q);
}

/*
 * A leased receiver asleep is handed a message directly, as a plain one
 * is, and holds its lease.
 */
TEST(handoff_to_sleeping_leased_receiver)
{
	struct kipc_queue_stat st;
	struct th_arg a = { 0 };
	pthread_t t;
	int q;

	KT_REQUIRE_KIPC();
	q = lq(NULL, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	a.q = q;
	a.mode = 2;
	ASSERT_EQ(0, pthread_create(&t, NULL, th_fn, &a));
	ASSERT_EQ(0, kt_wait_blocked(q, 0, 1));
	ASSERT_EQ(0, send_u32(q, 1, 0, 9));
	pthread_join(t, NULL);
	EXPECT_EQ(9, a.ret);
	/* The thread ended: its lease came back. */
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(1, st.leased);
	EXPECT_EQ(0, st.inflight_msgs);
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(1, st.redelivered);
	LEASE_BALANCED(st);
	close(q);
}

/*
 * The quota: a queue is charged at creation for a lease record per
 * max_msgs message, and leasing every message charges nothing more, as
 * no more than max_msgs can be leased.
 */
TEST(quota)
{
	struct kipc_queue_stat st;
	uint64_t c0, c1, c2, c3;
	struct kipc_msg m;
	int q, q2, i;

	KT_REQUIRE_KIPC();
	c0 = kipcnl_charged();
	ASSERT_NE(UINT64_MAX, c0);
	q = lq(NULL, 64, KIPC_POLICY_FAIL, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	c1 = kipcnl_charged();
	q2 = lq(NULL, 128, KIPC_POLICY_FAIL, 0, 0, 0, NULL);
	ASSERT_LE(0, q2);
	c2 = kipcnl_charged();
	TH_LOG("charge: %llu bytes for 64 messages, %llu for 128",
	       (unsigned long long)(c1 - c0), (unsigned long long)(c2 - c1));
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, send_u32(q, 1, 0, i));
	for (i = 0; i < 64; i++)
		ASSERT_EQ(i, lrecv(q, &m, 0));
	EXPECT_EQ(-EAGAIN, lrecv(q, &m, 0));
	EXPECT_EQ(-EAGAIN, send_u32(q, 1, 0, 64));
	c3 = kipcnl_charged();
	EXPECT_EQ(c2, c3);
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(64, st.inflight_msgs);
	LEASE_BALANCED(st);
	close(q2);
	/* The thread handle keeps the queue until the thread lets go. */
	close(q);
	EXPECT_EQ(c1, kipcnl_charged());
	EXPECT_EQ(0, kipc_lease_release(q));
	EXPECT_EQ(c0, kipcnl_charged());
}

/*
 * The three new commands follow the extensible-struct rules: a size
 * below the struct's is EINVAL, a larger one with a non-zero tail E2BIG
 * and with a zero tail fine; unknown flags and reserved bits EINVAL; on a
 * context or another kind of handle ENOTTY; a handle without read
 * access EBADF.
 */
TEST(lease_abi)
{
	struct kipc_ioc_queue_thread qt = { .size = sizeof(qt) };
	struct {
		struct kipc_ioc_ack a;
		uint64_t tail;
	} ack;
	struct {
		struct kipc_ioc_recv_leased r;
		uint64_t tail;
	} rl;
	struct kipc_msgdesc d;
	char name[64], val[16];
	uint64_t seq;
	uint32_t v;
	int q, tfd, ctx, r, wo;

	KT_REQUIRE_KIPC();
	kt_name(name, sizeof(name), "labi");
	q = lq(name, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	ctx = kt_ctx();
	ASSERT_LE(0, ctx);
	r = kipc_region_create(NULL, 4096, 0, 0600);
	ASSERT_LE(0, r);
	wo = kipc_queue_open(name, KIPC_WRONLY);
	ASSERT_LE(0, wo);

	qt.size = sizeof(qt) - 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(q, KIPC_IOC_QUEUE_THREAD, &qt));
	qt.size = sizeof(qt);
	qt.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(q, KIPC_IOC_QUEUE_THREAD, &qt));
	qt.flags = 0;
	EXPECT_EQ(-ENOTTY, kt_ioctl(ctx, KIPC_IOC_QUEUE_THREAD, &qt));
	EXPECT_EQ(-ENOTTY, kt_ioctl(r, KIPC_IOC_QUEUE_THREAD, &qt));
	EXPECT_EQ(-EBADF, kt_ioctl(wo, KIPC_IOC_QUEUE_THREAD, &qt));
	tfd = kt_ioctl(q, KIPC_IOC_QUEUE_THREAD, &qt);
	ASSERT_LE(0, tfd);
	EXPECT_EQ(0, kt_fdinfo(tfd, "kipc-thread-handle", val, sizeof(val)));
	EXPECT_EQ(0, strcmp(val, "1"));

	ASSERT_EQ(0, send_u32(q, 1, 0, 1));
	memset(&d, 0, sizeof(d));
	d.data = (uintptr_t)&v;
	d.len = sizeof(v);
	memset(&rl, 0, sizeof(rl));
	rl.r = (struct kipc_ioc_recv_leased){ .size = sizeof(rl.r),
		.msgs = (uintptr_t)&d, .count = 1, .thread_fd = tfd };
	rl.r.size = sizeof(rl.r) - 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(q, KIPC_IOC_RECV_LEASED, &rl));
	rl.r.size = sizeof(rl);
	rl.tail = 1;
	EXPECT_EQ(-E2BIG, kt_ioctl(q, KIPC_IOC_RECV_LEASED, &rl));
	rl.tail = 0;
	rl.r.count = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl(q, KIPC_IOC_RECV_LEASED, &rl));
	rl.r.count = 1;
	rl.r.sel_mode = 9;
	EXPECT_EQ(-EINVAL, kt_ioctl(q, KIPC_IOC_RECV_LEASED, &rl));
	rl.r.sel_mode = 0;
	EXPECT_EQ(-ENOTTY, kt_ioctl(ctx, KIPC_IOC_RECV_LEASED, &rl));
	EXPECT_EQ(-ENOTTY, kt_ioctl(r, KIPC_IOC_RECV_LEASED, &rl));
	EXPECT_EQ(-EBADF, kt_ioctl(wo, KIPC_IOC_RECV_LEASED, &rl));
	EXPECT_EQ(1, kt_ioctl(q, KIPC_IOC_RECV_LEASED, &rl));
	EXPECT_EQ(1, d.deliveries);
	/* fdinfo: the lease, on the handle of the call and its holder. */
	EXPECT_EQ(0, kt_fdinfo(q, "kipc-leases", val, sizeof(val)));
	EXPECT_EQ(0, strcmp(val, "1"));
	EXPECT_EQ(0, kt_fdinfo(tfd, "kipc-leases", val, sizeof(val)));
	EXPECT_EQ(0, strcmp(val, "1"));
	EXPECT_EQ(0, kt_fdinfo(wo, "kipc-leases", val, sizeof(val)));
	EXPECT_EQ(0, strcmp(val, "0"));

	seq = d.seq;
	memset(&ack, 0, sizeof(ack));
	ack.a = (struct kipc_ioc_ack){ .size = sizeof(ack.a),
		.seqs = (uintptr_t)&seq, .count = 1 };
	ack.a.size = sizeof(ack.a) - 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(q, KIPC_IOC_ACK, &ack));
	ack.a.size = sizeof(ack);
	ack.tail = 1;
	EXPECT_EQ(-E2BIG, kt_ioctl(q, KIPC_IOC_ACK, &ack));
	ack.tail = 0;
	ack.a.flags = 2;
	EXPECT_EQ(-EINVAL, kt_ioctl(q, KIPC_IOC_ACK, &ack));
	ack.a.flags = 0;
	ack.a.__reserved = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(q, KIPC_IOC_ACK, &ack));
	ack.a.__reserved = 0;
	ack.a.count = KIPC_BATCH_MAX + 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(q, KIPC_IOC_ACK, &ack));
	ack.a.count = 2;
	ack.a.seqs = 8;		/* a bad pointer */
	EXPECT_EQ(-EFAULT, kt_ioctl(q, KIPC_IOC_ACK, &ack));
	ack.a.seqs = (uintptr_t)&seq;
	ack.a.count = 1;
	EXPECT_EQ(-ENOTTY, kt_ioctl(ctx, KIPC_IOC_ACK, &ack));
	EXPECT_EQ(-ENOTTY, kt_ioctl(r, KIPC_IOC_ACK, &ack));
	EXPECT_EQ(-EBADF, kt_ioctl(wo, KIPC_IOC_ACK, &ack));
	EXPECT_EQ(1, kt_ioctl(q, KIPC_IOC_ACK, &ack));
	EXPECT_EQ(-ENOENT, kt_ioctl(q, KIPC_IOC_ACK, &ack));
	close(tfd);
	close(wo);
	close(r);
	close(ctx);
	close(q);
	kipc_unlink(name);
}

/* A batch ack stops at the first sequence number not held. */
TEST(batch_ack)
{
	struct kipc_queue_stat st;
	struct kipc_msg ms[4];
	uint32_t bufs[4];
	uint64_t seqs[4];
	int q, i;

	KT_REQUIRE_KIPC();
	q = lq(NULL, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, send_u32(q, 1, 0, i));
		ms[i] = (struct kipc_msg){ .data = &bufs[i], .len = 4 };
	}
	ASSERT_EQ(4, kipc_recvv_leased(q, NULL, ms, 4, 0));
	for (i = 0; i < 4; i++)
		seqs[i] = ms[i].seq;
	seqs[2] = 99;
	EXPECT_EQ(2, kipc_ackv(q, seqs, 4));
	EXPECT_EQ(-ENOENT, kipc_ackv(q, seqs, 4));
	seqs[0] = ms[2].seq;
	seqs[1] = ms[3].seq;
	EXPECT_EQ(2, kipc_nackv(q, seqs, 2));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(2, st.acked);
	EXPECT_EQ(2, st.nacked);
	EXPECT_EQ(2, st.depth_msgs);
	LEASE_BALANCED(st);
	close(q);
}

/* --- fail-nth on the new allocations (debug kernel) ---------------- */

#define MAX_NTH	64

TEST(failnth_thread_and_recv)
{
	struct kipc_ioc_queue_thread qt = { .size = sizeof(qt) };
	struct kipc_queue_stat st;
	struct kipc_msgdesc d[4];
	struct kipc_ioc_recv_leased r;
	unsigned int failures = 0, i;
	uint32_t v[4];
	bool injected = true;
	int nth, q, n, tfd, ret;
	long live0;

	KT_REQUIRE_KIPC();
	KT_REQUIRE_FAILNTH(nth);
	q = lq(NULL, 8, 0, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, send_u32(q, 1 + i % 2, i % 3, i));
	live0 = kt_live_objects();
	for (n = 1; n <= MAX_NTH && injected; n++) {
		ASSERT_EQ(0, kt_failnth_arm(nth, n));
		tfd = kt_ioctl(q, KIPC_IOC_QUEUE_THREAD, &qt);
		injected = kt_failnth_disarm(nth) == 0;
		if (tfd < 0) {
			EXPECT_EQ(-ENOMEM, tfd);
			EXPECT_TRUE(injected);
			failures++;
			continue;
		}
		memset(d, 0, sizeof(d));
		for (i = 0; i < 4; i++) {
			d[i].data = (uintptr_t)&v[i];
			d[i].len = sizeof(v[i]);
		}
		r = (struct kipc_ioc_recv_leased){ .size = sizeof(r),
			.msgs = (uintptr_t)d, .count = 4, .thread_fd = tfd };
		ASSERT_EQ(0, kt_failnth_arm(nth, n));
		ret = kt_ioctl(q, KIPC_IOC_RECV_LEASED, &r);
		injected = kt_failnth_disarm(nth) == 0 || injected;
		ASSERT_EQ(0, kt_stat(q, &st));
		LEASE_BALANCED(st);
		if (ret < 0) {
			EXPECT_EQ(-ENOMEM, ret);
			EXPECT_EQ(0, st.inflight_msgs);
			EXPECT_EQ(4, st.depth_msgs);
			failures++;
		} else {
			EXPECT_EQ((uint64_t)ret, st.inflight_msgs);
			EXPECT_EQ(4 - (uint64_t)ret, st.depth_msgs);
			if (ret < 4)
				failures++;
		}
		close(tfd);	/* gives every lease back */
		ASSERT_EQ(0, kt_stat(q, &st));
		EXPECT_EQ(4, st.depth_msgs);
		EXPECT_EQ(0, st.inflight_msgs);
		LEASE_BALANCED(st);
		if (_metadata->passed == 0)
			break;
	}
	EXPECT_LE(1, failures);
	EXPECT_EQ(live0, kt_live_objects());
	TH_LOG("%u injected failures, stopped at N=%d", failures, n - 1);
	close(q);
}

/*
 * Fail-nth on moving a dead letter: the same state for every n (a fresh
 * source queue and dead-letter queue, one message leased and nacked at
 * max_deliveries 1), so the sweep walks every allocation of that one
 * path.  A refused move is counted as dropped, never lost or doubled.
 */
TEST(failnth_dead_letter)
{
	struct kipc_queue_stat st, dst;
	unsigned int failures = 0, moved = 0;
	bool injected = true;
	struct kipc_msg m;
	char dname[64];
	int nth, q, dq, n;

	KT_REQUIRE_KIPC();
	KT_REQUIRE_FAILNTH(nth);
	for (n = 1; n <= MAX_NTH && injected; n++) {
		kt_name(dname, sizeof(dname), "lfndlq");
		dq = lq(dname, 64, 0, 0, 0, 0, NULL);
		ASSERT_LE(0, dq);
		q = lq(NULL, 64, 0, 0, 1, 0, dname);
		ASSERT_LE(0, q);
		ASSERT_EQ(0, send_u32(q, 1, 0, n));
		ASSERT_EQ(n, lrecv(q, &m, 0));
		ASSERT_EQ(0, kt_failnth_arm(nth, n));
		EXPECT_EQ(0, kipc_nack(q, m.seq));
		injected = kt_failnth_disarm(nth) == 0;
		ASSERT_EQ(0, kt_stat(q, &st));
		ASSERT_EQ(0, kt_stat(dq, &dst));
		LEASE_BALANCED(st);
		EXPECT_EQ(1, st.dead_lettered + st.dead_dropped);
		EXPECT_EQ(st.dead_lettered, dst.depth_msgs);
		if (st.dead_lettered)
			moved++;
		else
			failures++;
		close(q);
		close(dq);
		kipc_unlink(dname);	/* gone already with its owner */
		if (_metadata->passed == 0)
			break;
	}
	TH_LOG("%u dead letters refused for lack of memory, %u moved, "
	       "stopped at N=%d", failures, moved, n - 1);
	EXPECT_LE(1, failures);
	EXPECT_LE(1, moved);
}

/* --- the worker pool ------------------------------------------------ */

#define POOL_WORKERS	4
#define POOL_BATCH	4
#define POOL_MAXJOBS	64000

struct pool {
	uint32_t acked[POOL_MAXJOBS];	/* acks that returned 0 */
	uint32_t receipts[POOL_MAXJOBS];
	uint32_t pending[POOL_WORKERS];	/* job + 1 being acked */
	uint32_t phase[POOL_WORKERS];	/* 1 recv, 2 holding, 3 mid-batch */
	uint32_t bad;			/* a worker saw something wrong */
	uint32_t redelivered_seen;
};

static void pool_worker(struct pool *p, int q, int w)
{
	struct kipc_msg ms[POOL_BATCH];
	uint32_t bufs[POOL_BATCH], job;
	int n, i;

	for (;;) {
		for (i = 0; i < POOL_BATCH; i++)
			ms[i] = (struct kipc_msg){ .data = &bufs[i], .len = 4 };
		__atomic_store_n(&p->phase[w], 1, __ATOMIC_SEQ_CST);
		n = kipc_recvv_leased(q, NULL, ms, POOL_BATCH, 2000 * MS);
		if (n == -EPIPE)
			_exit(0);
		if (n == -ETIMEDOUT)
			continue;
		if (n < 0)
			_exit(10);
		__atomic_store_n(&p->phase[w], 2, __ATOMIC_SEQ_CST);
		for (i = 0; i < n; i++) {
			job = bufs[i];
			if (job >= POOL_MAXJOBS || ms[i].len != 4 ||
			    !!(ms[i].flags & KIPC_MSG_REDELIVERED) !=
			    (ms[i].deliveries > 1))
				__atomic_store_n(&p->bad, 1, __ATOMIC_SEQ_CST);
			if (job >= POOL_MAXJOBS)
				_exit(12);
			/* A job seen before comes back flagged. */
			if (__atomic_fetch_add(&p->receipts[job], 1,
					       __ATOMIC_SEQ_CST) &&
			    !(ms[i].flags & KIPC_MSG_REDELIVERED))
				__atomic_store_n(&p->bad, 2, __ATOMIC_SEQ_CST);
			if (ms[i].flags & KIPC_MSG_REDELIVERED)
				__atomic_fetch_add(&p->redelivered_seen, 1,
						   __ATOMIC_SEQ_CST);
		}
		usleep(rand() % 800);	/* the work */
		for (i = 0; i < n; i++) {
			if (i)
				__atomic_store_n(&p->phase[w], 3,
						 __ATOMIC_SEQ_CST);
			__atomic_store_n(&p->pending[w], bufs[i] + 1,
					 __ATOMIC_SEQ_CST);
			if (kipc_ack(q, ms[i].seq))
				_exit(11);
			__atomic_fetch_add(&p->acked[bufs[i]], 1,
					   __ATOMIC_SEQ_CST);
			__atomic_store_n(&p->pending[w], 0, __ATOMIC_SEQ_CST);
			if (i + 1 < n)
				usleep(rand() % 400);
		}
	}
}

static pid_t pool_spawn(struct pool *p, int q, int w)
{
	pid_t pid = kt_fork();

	if (pid == 0) {
		srand(getpid());
		pool_worker(p, q, w);
	}
	return pid;
}

FIXTURE(pool) {
};

FIXTURE_SETUP(pool)
{
}

FIXTURE_TEARDOWN(pool)
{
}

/*
 * 1,000 kills on every kernel, unscaled: that is the bar this test
 * sets.  About 85 s on the debug kernel, a few on Debian's.
 */
TEST_F_TIMEOUT(pool, worker_kill9, 600)
{
	unsigned int kills = 1000, done = 0, phases[4] = { 0 };
	uint32_t sent = 0, i, lost = 0, dup = 0, ambiguous = 0;
	static uint8_t amb[POOL_MAXJOBS];
	pid_t pids[POOL_WORKERS];
	struct kipc_queue_stat st;
	struct pool *p;
	int q, w, status, ret;
	int64_t t0 = kt_now_ns();

	KT_REQUIRE_KIPC();
	srand(getpid());
	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	q = lq(NULL, 4096, KIPC_POLICY_FAIL, 0, 0, 0, NULL);
	ASSERT_LE(0, q);
	for (w = 0; w < POOL_WORKERS; w++) {
		pids[w] = pool_spawn(p, q, w);
		ASSERT_LT(0, pids[w]);
	}
	while (done < kills) {
		ASSERT_EQ(0, kipc_queue_stat(q, &st));
		/* Keep the workers fed, a few jobs per kill. */
		for (i = 0; i < 24 && sent + 1 < POOL_MAXJOBS &&
		     st.depth_msgs + st.inflight_msgs < 48; i++) {
			ASSERT_EQ(0, send_u32(q, 1, 0, sent));
			sent++;
			st.depth_msgs++;
		}
		w = rand() % POOL_WORKERS;
		usleep(rand() % 3000);
		phases[__atomic_load_n(&p->phase[w], __ATOMIC_SEQ_CST) & 3]++;
		ASSERT_EQ(0, kill(pids[w], SIGKILL));
		ASSERT_EQ(pids[w], waitpid(pids[w], &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("worker exited with %d", status);
		/* Its last ack may or may not have happened. */
		i = __atomic_exchange_n(&p->pending[w], 0, __ATOMIC_SEQ_CST);
		if (i) {
			amb[i - 1] = 1;
			ambiguous++;
		}
		done++;
		pids[w] = pool_spawn(p, q, w);
		ASSERT_LT(0, pids[w]);
	}
	/* The survivors finish every job. */
	for (i = 0; i < 120000; i++) {
		ASSERT_EQ(0, kipc_queue_stat(q, &st));
		if (st.acked == sent && !st.depth_msgs && !st.inflight_msgs)
			break;
		usleep(1000);
	}
	ASSERT_EQ(0, kipc_queue_shutdown(q));
	for (w = 0; w < POOL_WORKERS; w++)
		EXPECT_EQ(0, kt_reap(pids[w]));
	ASSERT_EQ(0, kt_stat(q, &st));
	for (i = 0; i < sent; i++) {
		uint32_t a = p->acked[i] + (amb[i] && !p->acked[i]);

		if (a == 0)
			lost++;
		if (a > 1 || p->acked[i] > 1)
			dup++;
	}
	TH_LOG("%u kills (before the first receive %u, in receive %u, "
	       "holding %u, between acks %u), "
	       "%u jobs, %llu acked, %llu redelivered (%u seen flagged), "
	       "%u acks in doubt at a kill, lost %u, duplicated %u, %.1f s",
	       done, phases[0], phases[1], phases[2], phases[3], sent,
	       (unsigned long long)st.acked,
	       (unsigned long long)st.redelivered, p->redelivered_seen,
	       ambiguous, lost, dup, (kt_now_ns() - t0) / 1e9);
	EXPECT_EQ(kills, done);
	EXPECT_EQ(0, p->bad);
	EXPECT_EQ(0, lost);
	EXPECT_EQ(0, dup);
	EXPECT_EQ(sent, st.acked);
	EXPECT_EQ(0, st.inflight_msgs);
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_LE(p->redelivered_seen, st.redelivered);
	/* Killed holders must have given jobs back. */
	EXPECT_LT(0, st.redelivered);
	/* Each kill point was hit. */
	EXPECT_LT(0, phases[1]);
	EXPECT_LT(0, phases[2]);
	EXPECT_LT(0, phases[3]);
	LEASE_BALANCED(st);
	ret = munmap(p, sizeof(*p));
	EXPECT_EQ(0, ret);
	close(q);
}

TEST_HARNESS_MAIN
