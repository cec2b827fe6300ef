// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-demo - a narrated tour of kipc message queues, using only libkipc.
 *
 *   1. Typed, prioritized messages: a producer process opens a named queue
 *      and sends orders and cancellations; the consumer takes the
 *      cancellations first (selective receive), then the rest, highest
 *      priority first.
 *   2. Backpressure you choose: a drop-oldest queue that never evicts a
 *      high-priority message, and a conflating (latest value wins) queue,
 *      with the counters kipc_queue_stat() reports.
 *   3. Owner death: a worker process owns a queue; the survivor sleeps in
 *      kipc_recv() with no timeout; kill -9 on the worker wakes it with
 *      -EPIPE and the queue's name is gone.
 *
 * Every step checks what it claims; the exit status is 0 only when all of
 * them behaved as narrated.  Needs /dev/kipc (the kipc module loaded).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <kipc.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SEC		1000000000LL	/* nanoseconds in a second */
#define TMO		(5 * SEC)	/* bound on every wait that should not block */

#define TYPE_ORDER	1
#define TYPE_CANCEL	2

static const char *who = "parent";

/* Narrate one line, prefixed with the speaker and its pid. */
static void say(const char *fmt, ...)
{
	va_list ap;

	printf("[%s %d] ", who, (int)getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void __attribute__((noreturn)) die(int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "[%s %d] FAILED (%s:%d): ", who,
		(int)getpid(), __FILE__, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* CHECK(cond, fmt, ...): a claim of the demo; stop if it does not hold. */
#define CHECK(cond, ...)						\
	do {								\
		if (!(cond))						\
			die(__LINE__, __VA_ARGS__);			\
	} while (0)

/* "-EPIPE (Broken pipe)" for a negative errno return. */
static const char *err(long ret)
{
	static char buf[96];
	const char *name = strerrorname_np((int)-ret);

	snprintf(buf, sizeof(buf), "-%s (%s)", name ? name : "?",
		 strerror((int)-ret));
	return buf;
}

static const char *policy_name(uint32_t policy)
{
	switch (policy) {
	case KIPC_POLICY_BLOCK:		return "BLOCK";
	case KIPC_POLICY_FAIL:		return "FAIL";
	case KIPC_POLICY_DROP_NEW:	return "DROP_NEW";
	case KIPC_POLICY_DROP_OLDEST:	return "DROP_OLDEST";
	default:			return "?";
	}
}

static const char *state_name(uint32_t state)
{
	switch (state) {
	case KIPC_STATE_LIVE:		return "live";
	case KIPC_STATE_SHUTDOWN:	return "shut down";
	case KIPC_STATE_DEAD:		return "dead";
	default:			return "?";
	}
}

static void stat_or_die(int q, struct kipc_queue_stat *st)
{
	int ret = kipc_queue_stat(q, st);

	CHECK(ret == 0, "kipc_queue_stat: %s", err(ret));
	/* The accounting identity every queue keeps. */
	CHECK(st->sent == st->received + st->depth_msgs + st->dropped_new +
	      st->dropped_oldest + st->conflated,
	      "counters do not add up: sent %llu != received %llu + depth %llu + dropped %llu/%llu + conflated %llu",
	      (unsigned long long)st->sent, (unsigned long long)st->received,
	      (unsigned long long)st->depth_msgs,
	      (unsigned long long)st->dropped_new,
	      (unsigned long long)st->dropped_oldest,
	      (unsigned long long)st->conflated);
}

static void show_counters(const struct kipc_queue_stat *st)
{
	say("  stat: depth %llu/%llu sent %llu received %llu dropped_oldest %llu conflated %llu",
	    (unsigned long long)st->depth_msgs,
	    (unsigned long long)st->max_msgs,
	    (unsigned long long)st->sent,
	    (unsigned long long)st->received,
	    (unsigned long long)st->dropped_oldest,
	    (unsigned long long)st->conflated);
}

/* Receive one message (bounded wait), NUL-terminate it, return its length. */
static size_t recv_one(int q, const struct kipc_select *sel, char *buf,
		       size_t cap, struct kipc_msg *info)
{
	ssize_t n;

	memset(info, 0, sizeof(*info));
	n = kipc_recv(q, sel, buf, cap - 1, info, TMO);
	CHECK(n >= 0, "kipc_recv: %s", err(n));
	CHECK((size_t)n == info->len, "kipc_recv returned %zd, info.len %zu",
	      n, info->len);
	buf[n] = '\0';
	return n;
}

/* Fork; the child runs fn() and exits with its status. */
static pid_t spawn(const char *name, int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		who = name;
		exit(fn(arg));
	}
	return pid;
}

/* Wait for a child that must exit 0. */
static void reap_ok(pid_t pid, const char *name)
{
	int status;

	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the %s failed (status 0x%x)", name, status);
}

/* ---------------------------------------------------------------------
 * 1. Typed, prioritized messages and selective receive.
 */

#define ORDERS_NAME	"/demo.orders"

struct order {
	uint32_t type;
	uint32_t prio;
	unsigned int num;	/* the order's number, or the one cancelled */
	const char *text;
};

/* What the producer sends, in this order. */
static const struct order orders[] = {
	{ TYPE_ORDER,   0, 1, "order #1: two coffees" },
	{ TYPE_ORDER,   0, 2, "order #2: one tea" },
	{ TYPE_ORDER,  20, 3, "order #3: espresso, express delivery" },
	{ TYPE_CANCEL,  5, 2, "cancel order #2" },
	{ TYPE_ORDER,   7, 4, "order #4: croissant (member)" },
	{ TYPE_CANCEL, 31, 1, "cancel order #1 (customer left)" },
	{ TYPE_ORDER,   0, 5, "order #5: water" },
};

#define NORDERS		ARRAY_SIZE(orders)

static const char *type_name(uint32_t type)
{
	return type == TYPE_ORDER ? "order" :
	       type == TYPE_CANCEL ? "cancel" : "?";
}

static int producer(void *arg)
{
	int owner_fd = *(int *)arg;
	unsigned int i;
	int q, ret;

	/*
	 * fork() gave us the parent's handle; drop it and find the queue
	 * by name, as an unrelated process would.
	 */
	close(owner_fd);
	q = kipc_queue_open(ORDERS_NAME, KIPC_WRONLY);
	CHECK(q >= 0, "kipc_queue_open(%s): %s", ORDERS_NAME, err(q));
	say("opened %s by name, write-only", ORDERS_NAME);

	for (i = 0; i < NORDERS; i++) {
		ret = kipc_send(q, orders[i].type, orders[i].prio,
				orders[i].text, strlen(orders[i].text), TMO);
		CHECK(ret == 0, "kipc_send: %s", ret < 0 ? err(ret) : "dropped");
		say("send  type=%u (%-6s) prio=%2u  \"%s\"", orders[i].type,
		    type_name(orders[i].type), orders[i].prio, orders[i].text);
	}
	close(q);
	say("done, exiting (the messages stay queued: the parent owns the queue)");
	return 0;
}

/* Index in orders[] of the message with this text. */
static unsigned int order_index(const char *text)
{
	unsigned int i;

	for (i = 0; i < NORDERS; i++)
		if (!strcmp(orders[i].text, text))
			return i;
	die(__LINE__, "received a message nobody sent: \"%s\"", text);
}

/*
 * The index of the message the queue must deliver next among those not
 * yet taken that match: highest priority first, FIFO within a priority.
 */
static unsigned int expected_next(const int *taken, int type)
{
	unsigned int i, best = NORDERS;

	for (i = 0; i < NORDERS; i++) {
		if (taken[i] || (type && orders[i].type != (uint32_t)type))
			continue;
		if (best == NORDERS || orders[i].prio > orders[best].prio)
			best = i;
	}
	return best;
}

/*
 * Receive every message matching type (0: any), checking the order; serve
 * the orders that were not cancelled.
 */
static void consume(int q, int type, pid_t sender, int *taken,
		    uint64_t *seqs)
{
	static int cancelled[NORDERS + 1];
	const char *verdict;
	struct kipc_select eq = { .mode = KIPC_SEL_EQ, .type = type };
	struct kipc_msg info;
	unsigned int want, got;
	char buf[128];
	ssize_t n;

	while ((want = expected_next(taken, type)) != NORDERS) {
		recv_one(q, type ? &eq : NULL, buf, sizeof(buf), &info);
		got = order_index(buf);
		if (orders[got].type == TYPE_CANCEL) {
			cancelled[orders[got].num] = 1;
			verdict = "noted";
		} else {
			verdict = cancelled[orders[got].num] ?
				  "cancelled, not served" : "served";
		}
		say("  recv type=%u (%-6s) prio=%2u seq=%llu pid=%d  \"%s\" -> %s",
		    info.type, type_name(info.type), info.prio,
		    (unsigned long long)info.seq, info.pid, buf, verdict);
		CHECK(got == want, "expected \"%s\" next", orders[want].text);
		CHECK(info.type == orders[got].type &&
		      info.prio == orders[got].prio,
		      "type/prio %u/%u, sent as %u/%u", info.type, info.prio,
		      orders[got].type, orders[got].prio);
		CHECK(info.pid == sender, "sender pid %d, expected %d",
		      info.pid, (int)sender);
		taken[got] = 1;
		seqs[got] = info.seq;
	}
	/* Nothing else of that type is left. */
	n = kipc_recv(q, type ? &eq : NULL, buf, sizeof(buf), &info, 0);
	CHECK(n == -EAGAIN, "kipc_recv on an empty selection: %s",
	      n < 0 ? err(n) : "got a message");
}

static void act_orders(void)
{
	struct kipc_queue_attr attr = {
		.max_msgs = 64,
		.max_msg_size = 128,
		.policy = KIPC_POLICY_BLOCK,
	};
	struct kipc_queue_stat st;
	int taken[NORDERS] = { 0 };
	uint64_t seqs[NORDERS];
	char buf[128];
	struct kipc_msg info;
	unsigned int i;
	pid_t pid;
	int q, ret;

	printf("\n== 1. Typed, prioritized messages on a named queue\n\n");
	q = kipc_queue_create(ORDERS_NAME, &attr, 0, 0600);
	CHECK(q >= 0, "kipc_queue_create(%s): %s", ORDERS_NAME, err(q));
	say("created %s: policy BLOCK, 64 messages of up to 128 bytes; this handle is the owner",
	    ORDERS_NAME);

	pid = spawn("producer", producer, &q);
	reap_ok(pid, "producer");

	stat_or_die(q, &st);
	say("the queue holds %llu messages from producer %d",
	    (unsigned long long)st.depth_msgs, (int)pid);
	CHECK(st.depth_msgs == NORDERS, "depth %llu, expected %zu",
	      (unsigned long long)st.depth_msgs, NORDERS);

	say("cancellations first: kipc_recv with KIPC_SEL_EQ type=%u",
	    TYPE_CANCEL);
	consume(q, TYPE_CANCEL, pid, taken, seqs);
	say("then the rest, KIPC_SEL_ANY: highest priority first, FIFO within a priority");
	consume(q, 0, pid, taken, seqs);
	say("queue empty: kipc_recv(timeout 0) = -EAGAIN");

	/* Sequence numbers follow the send order, whatever the receive order. */
	for (i = 1; i < NORDERS; i++)
		CHECK(seqs[i] > seqs[i - 1], "seq %llu of message %u is not above %llu",
		      (unsigned long long)seqs[i], i,
		      (unsigned long long)seqs[i - 1]);
	say("sequence numbers %llu..%llu follow the send order",
	    (unsigned long long)seqs[0],
	    (unsigned long long)seqs[NORDERS - 1]);

	/* Unlink: the name goes, the queue lives on while handles exist. */
	ret = kipc_unlink(ORDERS_NAME);
	CHECK(ret == 0, "kipc_unlink: %s", err(ret));
	ret = kipc_queue_open(ORDERS_NAME, KIPC_RDWR);
	CHECK(ret == -ENOENT, "open after unlink: %s",
	      ret < 0 ? err(ret) : "it opened");
	say("kipc_unlink(%s): opening it by name now gives %s", ORDERS_NAME,
	    err(ret));
	ret = kipc_send(q, TYPE_ORDER, 0, "late", 4, TMO);
	CHECK(ret == 0, "send after unlink: %s", ret < 0 ? err(ret) : "dropped");
	recv_one(q, NULL, buf, sizeof(buf), &info);
	CHECK(!strcmp(buf, "late"), "got \"%s\" back", buf);
	say("the handle still works: sent and received \"%s\"", buf);
	close(q);
}

/* ---------------------------------------------------------------------
 * 2. Backpressure: drop-oldest and conflating queues.
 */

static void act_drop_oldest(void)
{
	struct kipc_queue_attr attr = {
		.max_msgs = 4,
		.policy = KIPC_POLICY_DROP_OLDEST,
	};
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char buf[64];
	uint64_t last_seq = 0;
	int q, ret, i;

	printf("\n== 2a. DROP_OLDEST: a full queue makes room, and spares high priority\n\n");
	q = kipc_queue_create(NULL, &attr, 0, 0600);
	CHECK(q >= 0, "kipc_queue_create(anonymous): %s", err(q));
	say("created an anonymous queue: 4 messages, policy %s",
	    policy_name(attr.policy));

	ret = kipc_send(q, 1, 31, "ALARM: disk on fire", 19, 0);
	CHECK(ret == 0, "send: %s", ret < 0 ? err(ret) : "dropped");
	say("send 1 alarm at prio 31, then a flood of 10 readings at prio 0 (never blocks)");
	for (i = 1; i <= 10; i++) {
		snprintf(buf, sizeof(buf), "reading %d", i);
		ret = kipc_send(q, 2, 0, buf, strlen(buf), 0);
		CHECK(ret == 0, "send \"%s\": %s", buf,
		      ret < 0 ? err(ret) : "the new message was dropped");
	}
	stat_or_die(q, &st);
	show_counters(&st);
	CHECK(st.policy == KIPC_POLICY_DROP_OLDEST, "policy %u", st.policy);
	CHECK(st.sent == 11 && st.depth_msgs == 4 && st.dropped_oldest == 7,
	      "expected sent 11, depth 4, dropped_oldest 7");

	say("what is left, in receive order:");
	for (i = 0; i < 4; i++) {
		recv_one(q, NULL, buf, sizeof(buf), &info);
		say("  recv prio=%2u seq=%llu  \"%s\"", info.prio,
		    (unsigned long long)info.seq, buf);
		if (i == 0) {
			CHECK(!strcmp(buf, "ALARM: disk on fire"),
			      "the alarm should come first");
		} else {
			char want[32];

			snprintf(want, sizeof(want), "reading %d", 7 + i);
			CHECK(!strcmp(buf, want), "expected \"%s\"", want);
			CHECK(info.seq > last_seq, "seq not increasing");
		}
		last_seq = info.seq;
	}
	say("the alarm survived; readings 1-7 were dropped (see the seq gap)");
	close(q);
}

static void act_conflate(void)
{
	struct kipc_queue_attr attr = {
		.max_msgs = 16,
		.flags = KIPC_Q_CONFLATE,
	};
	struct kipc_queue_stat st;
	struct kipc_msg info;
	char buf[64];
	int q, ret, i, seen = 0;

	printf("\n== 2b. CONFLATE: the latest value per type wins\n\n");
	q = kipc_queue_create(NULL, &attr, 0, 0600);
	CHECK(q >= 0, "kipc_queue_create(anonymous, conflate): %s", err(q));
	say("created an anonymous conflating queue; type 1 = temperature, type 2 = pressure");

	for (i = 1; i <= 5; i++) {
		snprintf(buf, sizeof(buf), "temperature %d C", 20 + i);
		ret = kipc_send(q, 1, 0, buf, strlen(buf), 0);
		CHECK(ret >= 0, "send: %s", err(ret));
	}
	for (i = 1; i <= 3; i++) {
		snprintf(buf, sizeof(buf), "pressure %d hPa", 1000 + i);
		ret = kipc_send(q, 2, 0, buf, strlen(buf), 0);
		CHECK(ret >= 0, "send: %s", err(ret));
	}
	say("sent 5 temperatures and 3 pressures");
	stat_or_die(q, &st);
	show_counters(&st);
	CHECK(st.depth_msgs == 2 && st.conflated == 6,
	      "expected depth 2 and 6 conflated");

	for (i = 0; i < 2; i++) {
		recv_one(q, NULL, buf, sizeof(buf), &info);
		say("  recv type=%u seq=%llu  \"%s\"", info.type,
		    (unsigned long long)info.seq, buf);
		if (info.type == 1)
			CHECK(!strcmp(buf, "temperature 25 C"), "stale value");
		else
			CHECK(!strcmp(buf, "pressure 1003 hPa"), "stale value");
		seen |= 1 << info.type;
	}
	CHECK(seen == 6, "expected one message of each type");
	say("a slow reader sees only the latest of each");
	close(q);
}

/* ---------------------------------------------------------------------
 * 3. Owner death.
 */

#define WORKER_NAME	"/demo.worker"

struct blocked_recv {
	int q;
	atomic_int done;
	ssize_t ret;
};

static int worker(void *arg)
{
	struct kipc_queue_attr attr = { .policy = KIPC_POLICY_BLOCK };
	int *ready = arg, q;

	close(ready[0]);
	q = kipc_queue_create(WORKER_NAME, &attr, 0, 0600);
	CHECK(q >= 0, "kipc_queue_create(%s): %s", WORKER_NAME, err(q));
	say("created %s and owns it; now idling", WORKER_NAME);
	CHECK(write(ready[1], "r", 1) == 1, "write: %s", strerror(errno));
	for (;;)
		pause();
}

static void *receiver_thread(void *arg)
{
	struct blocked_recv *br = arg;
	struct kipc_msg info;
	char buf[64];

	/* No timeout: only a message or the queue's end wakes this. */
	br->ret = kipc_recv(br->q, NULL, buf, sizeof(buf), &info, -1);
	atomic_store(&br->done, 1);
	return NULL;
}

static void act_owner_death(void)
{
	struct blocked_recv br = { .q = -1 };
	struct kipc_queue_stat st;
	pthread_t thread;
	int ready[2], status, ret, i;
	pid_t pid;
	char c;

	printf("\n== 3. Owner death: kill -9 the owner, the survivor is told\n\n");
	CHECK(pipe(ready) == 0, "pipe: %s", strerror(errno));
	pid = spawn("worker", worker, ready);
	close(ready[1]);
	CHECK(read(ready[0], &c, 1) == 1, "the worker did not start");
	close(ready[0]);

	br.q = kipc_queue_open(WORKER_NAME, KIPC_RDONLY);
	CHECK(br.q >= 0, "kipc_queue_open(%s): %s", WORKER_NAME, err(br.q));
	stat_or_die(br.q, &st);
	CHECK(st.owner_pid == pid, "owner pid %d, expected %d", st.owner_pid,
	      (int)pid);
	say("opened %s by name (owner pid %d)", WORKER_NAME, st.owner_pid);

	ret = pthread_create(&thread, NULL, receiver_thread, &br);
	CHECK(ret == 0, "pthread_create: %s", strerror(ret));
	for (i = 0; i < 2000; i++) {	/* up to 20 s: TCG is slow */
		stat_or_die(br.q, &st);
		if (st.blocked_receivers >= 1 || atomic_load(&br.done))
			break;
		usleep(10000);
	}
	CHECK(!atomic_load(&br.done), "kipc_recv returned early: %s",
	      br.ret < 0 ? err(br.ret) : "a message");
	CHECK(st.blocked_receivers == 1, "the receiver never blocked");
	say("a thread sleeps in kipc_recv(timeout: forever) (blocked_receivers=%u)",
	    st.blocked_receivers);

	say("kill -9 %d", (int)pid);
	CHECK(kill(pid, SIGKILL) == 0, "kill: %s", strerror(errno));
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "the worker was not killed (status 0x%x)", status);

	for (i = 0; i < 1000 && !atomic_load(&br.done); i++)
		usleep(10000);
	CHECK(atomic_load(&br.done), "the receiver is still blocked 10 s after the owner died");
	pthread_join(thread, NULL);
	CHECK(br.ret == -EPIPE, "kipc_recv returned %s, expected -EPIPE",
	      br.ret < 0 ? err(br.ret) : "a message");
	say("the sleeping kipc_recv woke up with %s", err(br.ret));

	ret = kipc_queue_open(WORKER_NAME, KIPC_RDONLY);
	CHECK(ret == -ENOENT, "open after owner death: %s",
	      ret < 0 ? err(ret) : "it opened");
	say("kipc_queue_open(%s) = %s: nothing to clean up by hand",
	    WORKER_NAME, err(ret));

	ret = kipc_queue_stat(br.q, &st);
	if (ret == 0) {
		CHECK(st.state == KIPC_STATE_DEAD, "state %s, expected dead",
		      state_name(st.state));
		say("our handle reports the queue %s", state_name(st.state));
	} else {
		CHECK(ret == -EPIPE, "kipc_queue_stat: %s", err(ret));
	}
	close(br.q);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("kipc demo (libkipc %d.%d): typed queues, backpressure, owner death\n",
	       kipc_version_major(), kipc_version_minor());

	act_orders();
	act_drop_oldest();
	act_conflate();
	act_owner_death();

	printf("\nkipc demo: every step behaved as described\n");
	return 0;
}
