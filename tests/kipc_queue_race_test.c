// SPDX-License-Identifier: GPL-2.0
/*
 * Races aimed at the queue's windows, meant for the debug kernel (KASAN
 * reports a use-after-free the moment it happens; the runner fails on the
 * report):
 *
 * - direct handoff: many receivers asleep with very short timeouts, and
 *   signals, so that they wake on their own just as a large batch send
 *   hands them messages.  Every message must be accounted for exactly
 *   once: sent = received + queued, every sequence number unique, each
 *   message received once with its payload, and the sequence number the
 *   sender was told is the one the receiver saw;
 * - close racing ioctl: threads sending, receiving, polling and asking
 *   for the stat on a handle that another thread closes (the owner's, so
 *   the queue dies under them), and on dups of it;
 * - a batch whose second chunk faults (a userfaultfd page held missing)
 *   must already have woken the receiver it handed a message of the
 *   first chunk to.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <linux/userfaultfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "lib/kt_harness.h"

#define NRECV		6
#define BATCH		1024
#define PAYLOAD		16

FIXTURE(race) {
	char name[64];
};

static void on_usr1(int sig)
{
}

FIXTURE_SETUP(race)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	KT_REQUIRE_KIPC();
	kt_name(self->name, sizeof(self->name), "race");
	/* No SA_RESTART: a signal ends a wait with EINTR. */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
}

FIXTURE_TEARDOWN(race)
{
}

struct received {
	uint64_t seq;
	uint32_t id;
	uint32_t ok;	/* the payload matched the id */
};

struct handoff {
	int q;
	uint32_t total;
	atomic_int stop;
	atomic_uint nrecv;
	struct received *got;	/* [total], by arrival */
	uint64_t *sent_seq;	/* [total], what the sender was told */
	pthread_t recv[NRECV];
	atomic_ulong errors;
};

static void fill_id(char *buf, uint32_t id)
{
	kt_fill(buf, PAYLOAD, id);
	memcpy(buf, &id, sizeof(id));
}

static void record(struct handoff *h, const char *buf, size_t len,
		   uint64_t seq)
{
	unsigned int slot = atomic_fetch_add(&h->nrecv, 1);
	char want[PAYLOAD];
	uint32_t id;

	memcpy(&id, buf, sizeof(id));
	if (slot >= h->total || len != PAYLOAD) {
		atomic_fetch_add(&h->errors, 1);
		return;
	}
	h->got[slot].seq = seq;
	h->got[slot].id = id;
	fill_id(want, id);
	h->got[slot].ok = !memcmp(want, buf, PAYLOAD);
}

/* Receive with timeouts of 1 us .. 64 us, single and batched. */
static void *receiver(void *arg)
{
	struct handoff *h = arg;
	unsigned int r = (unsigned int)(uintptr_t)pthread_self();
	char bufs[4][PAYLOAD];
	struct kipc_msgdesc d[4];
	int i, n;

	while (!atomic_load(&h->stop)) {
		struct kipc_ioc_recv a = { .size = sizeof(a) };
		unsigned int count;

		r = r * 1103515245 + 12345;
		count = r & 0x100 ? 4 : 1;
		memset(d, 0, sizeof(d));
		for (i = 0; i < (int)count; i++) {
			d[i].data = (uintptr_t)bufs[i];
			d[i].len = PAYLOAD;
		}
		a.msgs = (uintptr_t)d;
		a.count = count;
		a.timeout_ns = 1000LL << ((r >> 16) % 7);
		n = kt_ioctl(h->q, KIPC_IOC_RECV, &a);
		if (n == -ETIMEDOUT || n == -EINTR || n == -EAGAIN)
			continue;
		if (n < 0) {
			if (n != -EPIPE)
				atomic_fetch_add(&h->errors, 1);
			break;
		}
		for (i = 0; i < n; i++)
			record(h, bufs[i], d[i].len, d[i].seq);
	}
	return NULL;
}

static void *signaller(void *arg)
{
	struct handoff *h = arg;
	unsigned int i = 0;

	while (!atomic_load(&h->stop)) {
		pthread_kill(h->recv[i++ % NRECV], SIGUSR1);
		usleep(50);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void handoff_run(struct __test_metadata *_metadata, const char *name,
			uint32_t max_msgs, unsigned int batches)
{
	struct kipc_msgdesc *d = calloc(BATCH, sizeof(*d));
	char (*pay)[PAYLOAD] = calloc(BATCH, PAYLOAD);
	struct kipc_queue_stat st;
	struct handoff h = { 0 };
	unsigned int b, i, bad = 0, dup = 0, wrongseq = 0;
	uint64_t *seqs;
	uint8_t *seen;
	uint32_t id = 0;
	pthread_t sig;
	char buf[PAYLOAD];
	struct kipc_msg info;
	ssize_t len;

	ASSERT_NE(NULL, d);
	ASSERT_NE(NULL, pay);
	h.total = batches * BATCH;
	h.got = calloc(h.total, sizeof(*h.got));
	h.sent_seq = calloc(h.total, sizeof(*h.sent_seq));
	ASSERT_NE(NULL, h.got);
	ASSERT_NE(NULL, h.sent_seq);
	h.q = kt_queue(name, max_msgs, 64, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, h.q);
	for (i = 0; i < NRECV; i++)
		ASSERT_EQ(0, pthread_create(&h.recv[i], NULL, receiver, &h));
	ASSERT_EQ(0, pthread_create(&sig, NULL, signaller, &h));

	for (b = 0; b < batches; b++) {
		unsigned int off = 0;

		memset(d, 0, BATCH * sizeof(*d));
		for (i = 0; i < BATCH; i++) {
			fill_id(pay[i], id + i);
			d[i].type = 1 + i % 3;
			d[i].prio = i % 2;
			d[i].data = (uintptr_t)pay[i];
			d[i].len = PAYLOAD;
		}
		while (off < BATCH) {
			struct kipc_ioc_send a = {
				.size = sizeof(a),
				.msgs = (uintptr_t)(d + off),
				.count = BATCH - off,
				.timeout_ns = -1,
			};
			int n = kt_ioctl(h.q, KIPC_IOC_SEND, &a);

			if (n == -EINTR)
				continue;
			ASSERT_LT(0, n);
			off += n;
		}
		for (i = 0; i < BATCH; i++) {
			EXPECT_EQ(0, d[i].flags);
			h.sent_seq[id + i] = d[i].seq;
		}
		id += BATCH;
	}

	atomic_store(&h.stop, 1);
	pthread_join(sig, NULL);
	for (i = 0; i < NRECV; i++)
		pthread_join(h.recv[i], NULL);
	while ((len = kipc_recv(h.q, NULL, buf, sizeof(buf), &info, 0)) > 0)
		record(&h, buf, len, info.seq);
	EXPECT_EQ(-EAGAIN, len);

	ASSERT_EQ(0, kt_stat(h.q, &st));
	KT_EXPECT_BALANCED(st);
	EXPECT_EQ(h.total, st.sent);
	EXPECT_EQ(h.total, st.received);
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, atomic_load(&h.errors));
	ASSERT_EQ(h.total, atomic_load(&h.nrecv));

	/* Each id once, intact, with the sequence number the sender got. */
	seen = calloc(h.total, 1);
	ASSERT_NE(NULL, seen);
	for (i = 0; i < h.total; i++) {
		struct received *g = &h.got[i];

		if (g->id >= h.total || !g->ok) {
			bad++;
			continue;
		}
		if (seen[g->id]++)
			dup++;
		if (h.sent_seq[g->id] != g->seq)
			wrongseq++;
	}
	free(seen);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, dup);
	EXPECT_EQ(0, wrongseq) {
		TH_LOG("%u messages reported with another sequence number "
		       "to the sender than to the receiver", wrongseq);
	}
	seqs = calloc(h.total, sizeof(*seqs));
	ASSERT_NE(NULL, seqs);
	for (i = 0; i < h.total; i++)
		seqs[i] = h.got[i].seq;
	qsort(seqs, h.total, sizeof(*seqs), cmp_u64);
	for (i = 1; i < h.total; i++)
		EXPECT_NE(seqs[i - 1], seqs[i]);
	EXPECT_EQ(1, seqs[0]);
	EXPECT_EQ(h.total, seqs[h.total - 1]);
	TH_LOG("%u messages in %u batches of %u, %llu wakeups", h.total,
	       batches, BATCH, (unsigned long long)st.wakeups);
	free(seqs);
	free(h.got);
	free(h.sent_seq);
	free(d);
	free(pay);
	close(h.q);
}

/* Room for whole batches: most messages are handed or queued at once. */
TEST_F(race, handoff_short_timeouts_roomy)
{
	handoff_run(_metadata, self->name, 4096, kt_scaled(40));
}

/* A small queue: the batch sender blocks, receivers hand room back. */
TEST_F(race, handoff_short_timeouts_full)
{
	handoff_run(_metadata, self->name, 8, kt_scaled(20));
}

/* --- close racing ioctl ------------------------------------------------ */

struct closer {
	atomic_int fd[2];	/* the owner handle, an opened one */
	atomic_int stop;
	atomic_ulong calls;
	atomic_ulong unexpected;
	int last_unexpected;
};

static void note(struct closer *c, int ret)
{
	atomic_fetch_add(&c->calls, 1);
	if (ret >= 0 || ret == -EBADF || ret == -ETIMEDOUT ||
	    ret == -EAGAIN || ret == -EPIPE || ret == -EINTR ||
	    ret == -ENOTTY)	/* the number now names another kind of file */
		return;
	atomic_fetch_add(&c->unexpected, 1);
	c->last_unexpected = ret;
}

static void *user(void *arg)
{
	struct closer *c = arg;
	struct kipc_queue_stat st;
	unsigned int i = 0;
	char buf[32];

	while (!atomic_load(&c->stop)) {
		int fd = atomic_load(&c->fd[i % 2]);
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

		switch (i++ % 5) {
		case 0:
			note(c, kipc_send(fd, 1 + i % 4, i % 3, "x", 1, 0));
			break;
		case 1:
			note(c, kipc_recv(fd, NULL, buf, sizeof(buf), NULL,
					  100000));
			break;
		case 2:
			note(c, kipc_queue_stat(fd, &st));
			break;
		case 3:
			poll(&p, 1, 0);
			break;
		case 4:
			note(c, kipc_send(fd, 2, 0, "yy", 2, 200000));
			break;
		}
	}
	return NULL;
}

/*
 * Each round: a queue and a second handle on it; the owner handle is
 * closed while ioctls are in flight on both (the queue dies under them),
 * then the second one.
 */
TEST_F(race, close_vs_ioctl)
{
	unsigned int rounds = kt_scaled(300), r, i;
	struct closer c = { 0 };
	pthread_t t[4];
	char name[80];

	atomic_store(&c.fd[0], -1);
	atomic_store(&c.fd[1], -1);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, user, &c));
	for (r = 0; r < rounds; r++) {
		int q, o, ret;

		snprintf(name, sizeof(name), "%s.%u", self->name, r);
		q = kt_queue(name, 4, 32, 0,
			     r % 2 ? KIPC_POLICY_BLOCK :
				     KIPC_POLICY_DROP_OLDEST,
			     r % 3 ? 0 : KIPC_Q_CONFLATE);
		ASSERT_LE(0, q);
		o = kipc_queue_open(name, KIPC_RDWR);
		ASSERT_LE(0, o);
		/* Users still on the last round's numbers may fill it. */
		ret = kipc_send(q, 1, 0, "q", 1, 0);
		EXPECT_TRUE(ret >= 0 || ret == -EAGAIN);
		atomic_store(&c.fd[0], q);
		atomic_store(&c.fd[1], o);
		usleep(r % 7 * 100);
		close(q);
		usleep(r % 5 * 100);
		close(o);
		usleep(200);
	}
	atomic_store(&c.stop, 1);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, atomic_load(&c.unexpected)) {
		TH_LOG("last unexpected result %d", c.last_unexpected);
	}
	EXPECT_LT(0, atomic_load(&c.calls));
	TH_LOG("%u rounds, %lu calls", rounds, atomic_load(&c.calls));
}

/* --- a later chunk's fault does not hold up an earlier handoff --------- */

struct chunk {
	int q;
	int uffd;
	char *page;
	long psize;
	atomic_int received;	/* the receiver got its message */
	int recv_ret;
	int send_ret;
};

static void *chunk_receiver(void *arg)
{
	struct chunk *c = arg;
	char buf[64];

	c->recv_ret = kipc_recv(c->q, NULL, buf, sizeof(buf), NULL, -1);
	atomic_store(&c->received, 1);
	return NULL;
}

static void *chunk_sender(void *arg)
{
	struct chunk *c = arg;
	struct kipc_msgdesc d[17];
	static char small[8] = "first";
	unsigned int i;
	struct kipc_ioc_send a = {
		.size = sizeof(a),
		.msgs = (uintptr_t)d,
		.count = 17,
		.timeout_ns = -1,
	};

	memset(d, 0, sizeof(d));
	for (i = 0; i < 17; i++) {
		d[i].type = 1;
		d[i].data = (uintptr_t)small;
		d[i].len = sizeof(small);
	}
	/* The 17th message, the first of the second chunk, faults. */
	d[16].data = (uintptr_t)c->page;
	c->send_ret = kt_ioctl(c->q, KIPC_IOC_SEND, &a);
	return NULL;
}

TEST_F(race, batch_wakes_after_each_chunk)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffdio_zeropage zp = { 0 };
	struct chunk c = { 0 };
	struct uffd_msg msg;
	struct pollfd p;
	pthread_t rt, st;
	int i;

	c.uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (c.uffd < 0)
		KT_SKIP(return, "no userfaultfd (%s): cannot hold a fault",
		     strerror(errno));
	ASSERT_EQ(0, ioctl(c.uffd, UFFDIO_API, &api));
	c.psize = sysconf(_SC_PAGESIZE);
	c.page = mmap(NULL, c.psize, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c.page);
	reg.range.start = (uintptr_t)c.page;
	reg.range.len = c.psize;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(c.uffd, UFFDIO_REGISTER, &reg));

	c.q = kt_queue(self->name, 64, 64, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, c.q);
	ASSERT_EQ(0, pthread_create(&rt, NULL, chunk_receiver, &c));
	ASSERT_EQ(0, kt_wait_blocked(c.q, 0, 1));
	ASSERT_EQ(0, pthread_create(&st, NULL, chunk_sender, &c));

	/* The sender is held in copy_from_user of the second chunk. */
	p.fd = c.uffd;
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 10000));
	ASSERT_EQ(sizeof(msg), read(c.uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	/* While it is held, the receiver handed message 1 must run. */
	for (i = 0; i < 5000 && !atomic_load(&c.received); i++)
		usleep(1000);
	EXPECT_EQ(1, atomic_load(&c.received)) {
		TH_LOG("the receiver handed a message of the first chunk "
		       "still sleeps while the second chunk faults");
	}

	zp.range.start = (uintptr_t)c.page;
	zp.range.len = c.psize;
	ASSERT_EQ(0, ioctl(c.uffd, UFFDIO_ZEROPAGE, &zp));
	pthread_join(st, NULL);
	pthread_join(rt, NULL);
	EXPECT_EQ(17, c.send_ret);
	EXPECT_EQ(8, c.recv_ret);
	close(c.q);
	close(c.uffd);
}

TEST_HARNESS_MAIN
