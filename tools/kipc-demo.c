// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-demo - a narrated tour of kipc, using only libkipc and kipcctl.
 *
 *   1. Typed, prioritized messages on a named queue, selective receive,
 *      and what kipcctl list / show say about the queue while it is full.
 *   2. Backpressure you choose: drop-oldest (which spares high priority),
 *      conflate (latest value wins), fail and drop-new, with the counters
 *      kipc_queue_stat() reports.
 *   3. Queue owner death: kill -9 on the owner wakes a receiver asleep with
 *      no timeout with -EPIPE, and the name is gone.
 *   4. A shared region mapped by two processes, in-kernel wait/wake on a
 *      word, and a waiter told -EPIPE when its peer dies.
 *   5. A robust lock whose holder is killed with kill -9: the waiter gets
 *      -EOWNERDEAD, repairs the data, calls kipc_lock_consistent(), and the
 *      lock goes on working (kipcctl show names the holder meanwhile).
 *   6. An SPSC ring streaming records from another process; the producer
 *      is killed, the consumer drains what was sent, then gets -EPIPE.
 *   7. Events between two processes: a semaphore hands out job tokens, a
 *      counter sums the completions.
 *
 * Every step checks what it claims; the exit status is 0 only when all of
 * them behaved as narrated.  Needs /dev/kipc (the kipc module loaded) and
 * the kipcctl binary: $KIPC_DEMO_KIPCCTL, next to this program, or in PATH.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <kipc.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SEC		1000000000LL	/* nanoseconds in a second */
#define TMO		(5 * SEC)	/* bound on every wait that should not block */
#define LONG_TMO	(60 * SEC)	/* bound on waiting for another process */

#define TYPE_ORDER	1
#define TYPE_CANCEL	2

static const char *who = "parent";

static int last_was_kipcctl;	/* no second blank line between two runs */

/* Narrate one line, prefixed with the speaker and its pid. */
static void say(const char *fmt, ...)
{
	va_list ap;

	last_was_kipcctl = 0;
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
	CHECK(st->sent == st->received + st->depth_msgs + st->inflight_msgs +
	      st->dropped_new + st->dropped_oldest + st->conflated +
	      st->dead_lettered + st->dead_dropped,
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

/*
 * Fork; the child runs fn() and exits with its status.  The child first
 * closes every descriptor it inherited but stdio and keep_fd (-1: none):
 * like an unrelated process it has only the handles it opens by name, so
 * its death releases exactly those, and kipcctl shows them as its own.
 * It is killed when the demo exits, also when a check stops it early.
 */
static pid_t spawn(const char *name, int (*fn)(void *), void *arg,
		   int keep_fd)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		who = name;
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		if (keep_fd > 3)
			close_range(3, keep_fd - 1, 0);
		close_range(keep_fd >= 3 ? keep_fd + 1 : 3, ~0U, 0);
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

/* Start a part: its heading and a few lines on what it shows and why. */
static void part(const char *title, const char *story)
{
	last_was_kipcctl = 0;
	printf("\n== %s\n\n%s\n\n", title, story);
}

/*
 * POLL_UNTIL(cond): evaluate cond every 10 ms for up to 20 s (TCG is slow);
 * true once it holds.  For states another process or thread reaches.
 */
#define POLL_UNTIL(cond)						\
	({								\
		int __i, __ok = 0;					\
		for (__i = 0; __i < 2000; __i++) {			\
			if (cond) {					\
				__ok = 1;				\
				break;					\
			}						\
			usleep(10000);					\
		}							\
		__ok;							\
	})

/*
 * Fork a child that signals readiness: fn(arg, fd) writes one byte to fd
 * when it is set up; spawn_ready() returns once it has, and fails if the
 * child dies first.
 */
struct ready_child {
	int (*fn)(void *arg, int ready_fd);
	void *arg;
	int ready_fd;
};

static int ready_trampoline(void *p)
{
	struct ready_child *rc = p;

	return rc->fn(rc->arg, rc->ready_fd);
}

static pid_t spawn_ready(const char *name, int (*fn)(void *, int), void *arg)
{
	struct ready_child rc = { fn, arg, -1 };
	int fds[2];
	pid_t pid;
	char c;

	CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	rc.ready_fd = fds[1];
	pid = spawn(name, ready_trampoline, &rc, fds[1]);
	close(fds[1]);
	CHECK(read(fds[0], &c, 1) == 1, "the %s died before it was ready",
	      name);
	close(fds[0]);
	return pid;
}

static void signal_ready(int fd)
{
	CHECK(write(fd, "r", 1) == 1, "write: %s", strerror(errno));
	close(fd);
}

/* Kill a child with SIGKILL and check that this is what ended it. */
static void kill9(pid_t pid)
{
	int status;

	say("kill -9 %d", (int)pid);
	CHECK(kill(pid, SIGKILL) == 0, "kill: %s", strerror(errno));
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "%d was not killed (status 0x%x)", (int)pid, status);
}

/* ---------------------------------------------------------------------
 * kipcctl, run for real: the newcomer sees what the CLI reports.
 */

static char kipcctl_path[PATH_MAX];

static int executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* $KIPC_DEMO_KIPCCTL, else kipcctl next to this program, else in PATH. */
static void find_kipcctl(void)
{
	const char *env = getenv("KIPC_DEMO_KIPCCTL"), *path, *end;
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		CHECK(executable(env), "KIPC_DEMO_KIPCCTL=%s: %s", env,
		      strerror(errno));
		snprintf(kipcctl_path, sizeof(kipcctl_path), "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			snprintf(kipcctl_path, sizeof(kipcctl_path),
				 "%.*s/kipcctl", (int)(slash - self), self);
			if (executable(kipcctl_path))
				return;
		}
	}
	for (path = getenv("PATH"); path && *path; path = end + !!*end) {
		end = strchrnul(path, ':');
		snprintf(kipcctl_path, sizeof(kipcctl_path), "%.*s/kipcctl",
			 (int)(end - path), path);
		if (end > path && executable(kipcctl_path))
			return;
	}
	die(__LINE__, "kipcctl not found: build it (make -C tools kipcctl) and put it in PATH or next to kipc-demo, or set KIPC_DEMO_KIPCCTL");
}

/*
 * Run "kipcctl ARG1 [ARG2]", show what it prints (indented), check that it
 * exited 0, and return its output (valid until the next call).
 */
static const char *kipcctl(const char *arg1, const char *arg2)
{
	static char out[32768];
	char *const argv[] = { "kipcctl", (char *)arg1, (char *)arg2, NULL };
	size_t len = 0;
	char *line, *nl;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	printf("%s  $ kipcctl %s%s%s\n", last_was_kipcctl ? "" : "\n", arg1,
	       arg2 ? " " : "", arg2 ? arg2 : "");
	fflush(stdout);
	CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execv(kipcctl_path, argv);
		fprintf(stderr, "exec %s: %s\n", kipcctl_path, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	while (len < sizeof(out) - 1 &&
	       (n = read(fds[0], out + len, sizeof(out) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n > 0, "reading kipcctl's output: %s", strerror(errno));
		len += n;
	}
	close(fds[0]);
	out[len] = '\0';
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	for (line = out; *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		printf("  %.*s\n", (int)(nl - line), line);
		if (!*nl)
			break;
	}
	putchar('\n');
	last_was_kipcctl = 1;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "kipcctl %s exited with status 0x%x", arg1, status);
	return out;
}

/* The line of kipcctl's output that contains key (NULL if none). */
static const char *line_with(const char *out, const char *key, char *buf,
			     size_t cap)
{
	const char *hit = strstr(out, key), *start, *end;

	if (!hit)
		return NULL;
	for (start = hit; start > out && start[-1] != '\n'; start--)
		;
	end = strchrnul(hit, '\n');
	snprintf(buf, cap, "%.*s", (int)(end - start), start);
	return buf;
}

/*
 * The value in column col of the row of kipcctl list's output that names
 * row, into buf; NULL if there is no such row or column.
 */
static const char *list_field(const char *out, const char *row,
			      const char *col, char *buf, size_t cap)
{
	char hdr[512], line[512], *tok, *save;
	const char *end = strchrnul(out, '\n');
	int idx = -1, i = 0;

	snprintf(hdr, sizeof(hdr), "%.*s", (int)(end - out), out);
	for (tok = strtok_r(hdr, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save), i++)
		if (!strcmp(tok, col))
			idx = i;
	if (idx < 0)
		return NULL;
	snprintf(line, sizeof(line), " %s ", row);
	if (!line_with(out, line, line, sizeof(line)))
		return NULL;
	for (i = 0, tok = strtok_r(line, " \t", &save); tok && i < idx;
	     tok = strtok_r(NULL, " \t", &save), i++)
		;
	if (!tok)
		return NULL;
	snprintf(buf, cap, "%s", tok);
	return buf;
}

/* A 32-bit word of a mapped region, read and written as the peer sees it. */
static uint32_t load_word(void *base, size_t off)
{
	return __atomic_load_n((uint32_t *)((char *)base + off),
			       __ATOMIC_ACQUIRE);
}

static void store_word(void *base, size_t off, uint32_t val)
{
	__atomic_store_n((uint32_t *)((char *)base + off), val,
			 __ATOMIC_RELEASE);
}

/*
 * Wait until the word at off no longer holds val: kipc_wait() sleeps only
 * while it does (-EAGAIN if it changed already); returns 0 or -errno.
 */
static int wait_word_change(int r, void *base, size_t off, uint32_t val,
			    int64_t timeout)
{
	int ret;

	while (load_word(base, off) == val) {
		ret = kipc_wait(r, off, val, timeout);
		if (ret < 0 && ret != -EAGAIN)
			return ret;
	}
	return 0;
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
	unsigned int i;
	int q, ret;

	(void)arg;
	/* spawn() dropped the parent's handle: find the queue by name. */
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
	char want[64], line[256];
	const char *out;
	unsigned int i;
	pid_t pid;
	int q, ret;

	part("1a. A named queue of typed, prioritized messages, seen with kipcctl",
	     "A producer process opens the queue by name, sends orders and cancellations,\n"
	     "each with a type and a priority, and exits: the messages wait in the\n"
	     "kernel.  kipcctl shows what is in the channel and who holds it.");
	q = kipc_queue_create(ORDERS_NAME, &attr, 0, 0600);
	CHECK(q >= 0, "kipc_queue_create(%s): %s", ORDERS_NAME, err(q));
	say("created %s: policy BLOCK, 64 messages of up to 128 bytes; this handle is the owner",
	    ORDERS_NAME);

	pid = spawn("producer", producer, NULL, -1);
	reap_ok(pid, "producer");

	stat_or_die(q, &st);
	say("the queue holds %llu messages from producer %d",
	    (unsigned long long)st.depth_msgs, (int)pid);
	CHECK(st.depth_msgs == NORDERS, "depth %llu, expected %zu",
	      (unsigned long long)st.depth_msgs, NORDERS);

	say("what an operator sees now:");
	out = kipcctl("list", NULL);
	snprintf(want, sizeof(want), "%zu/%u", NORDERS, attr.max_msgs);
	CHECK(list_field(out, ORDERS_NAME, "FILL", line, sizeof(line)) &&
	      !strcmp(line, want),
	      "kipcctl list: FILL of %s is not %s", ORDERS_NAME, want);
	out = kipcctl("show", ORDERS_NAME);
	snprintf(want, sizeof(want), "%zu/%u messages", NORDERS,
		 attr.max_msgs);
	CHECK(line_with(out, "depth ", line, sizeof(line)) &&
	      strstr(line, want),
	      "kipcctl show %s: no \"depth ... %s\"", ORDERS_NAME, want);
	snprintf(want, sizeof(want), "sent %zu, received 0", NORDERS);
	CHECK(strstr(out, want), "kipcctl show %s: no \"%s\"", ORDERS_NAME,
	      want);
	say("kipcctl agrees: %zu messages queued, sent by a process that is gone",
	    NORDERS);

	part("1b. Selective receive: by type, then by priority",
	     "The consumer takes the cancellations first (select type 2), then the\n"
	     "rest, most urgent first and FIFO within a priority; each message says\n"
	     "who sent it and its place in the send order (seq).");

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
	uint64_t alarm_seq = 0;
	int q, ret, i;

	part("2a. DROP_OLDEST: a full queue makes room, and spares high priority",
	     "A fast producer must never stall on a slow consumer, yet an alarm must not\n"
	     "be lost in a flood.  The kernel drops the oldest lowest-priority message,\n"
	     "counts it, and the sequence numbers show the receiver the gap.");
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
			alarm_seq = info.seq;
		} else {
			char want[32];

			snprintf(want, sizeof(want), "reading %d", 7 + i);
			CHECK(!strcmp(buf, want), "expected \"%s\"", want);
			/* reading N was the (N+1)th message sent */
			CHECK(info.seq == alarm_seq + 7 + i,
			      "seq %llu, expected %llu",
			      (unsigned long long)info.seq,
			      (unsigned long long)(alarm_seq + 7 + i));
		}
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

	part("2b. CONFLATE: the latest value per type wins",
	     "For state (a temperature, a price) only the newest value matters: a new\n"
	     "message replaces the queued one of its type, so a slow reader never\n"
	     "works through stale values.");
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

static void act_fail_drop_new(void)
{
	static const uint32_t policies[] = {
		KIPC_POLICY_FAIL, KIPC_POLICY_DROP_NEW,
	};
	struct kipc_queue_attr attr = { .max_msgs = 2 };
	struct kipc_queue_stat st;
	unsigned int i;
	int q, ret;

	part("2c. FAIL and DROP_NEW: the sender is told at once",
	     "With FAIL a send to a full queue returns EAGAIN and is counted as\n"
	     "rejected; with DROP_NEW it returns KIPC_DROPPED and the new message is\n"
	     "discarded and counted.  Neither ever blocks the sender.");
	for (i = 0; i < ARRAY_SIZE(policies); i++) {
		attr.policy = policies[i];
		q = kipc_queue_create(NULL, &attr, 0, 0600);
		CHECK(q >= 0, "kipc_queue_create: %s", err(q));
		CHECK(kipc_send(q, 1, 0, "a", 1, 0) == 0 &&
		      kipc_send(q, 1, 0, "b", 1, 0) == 0,
		      "the first two sends did not queue");
		ret = kipc_send(q, 1, 0, "c", 1, 0);
		stat_or_die(q, &st);
		if (policies[i] == KIPC_POLICY_FAIL) {
			CHECK(ret == -EAGAIN, "send to a full FAIL queue: %s",
			      ret < 0 ? err(ret) : "accepted");
			CHECK(st.rejected == 1 && st.depth_msgs == 2,
			      "rejected %llu, depth %llu",
			      (unsigned long long)st.rejected,
			      (unsigned long long)st.depth_msgs);
			say("%-8s 2/2 queued, third send = %s, rejected %llu",
			    policy_name(st.policy), err(ret),
			    (unsigned long long)st.rejected);
		} else {
			CHECK(ret == KIPC_DROPPED,
			      "send to a full DROP_NEW queue returned %d", ret);
			CHECK(st.dropped_new == 1 && st.depth_msgs == 2,
			      "dropped_new %llu, depth %llu",
			      (unsigned long long)st.dropped_new,
			      (unsigned long long)st.depth_msgs);
			say("%-8s 2/2 queued, third send = KIPC_DROPPED (%d), dropped_new %llu",
			    policy_name(st.policy), ret,
			    (unsigned long long)st.dropped_new);
		}
		close(q);
	}
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

static int worker(void *arg, int ready_fd)
{
	struct kipc_queue_attr attr = { .policy = KIPC_POLICY_BLOCK };
	int q;

	(void)arg;
	q = kipc_queue_create(WORKER_NAME, &attr, 0, 0600);
	CHECK(q >= 0, "kipc_queue_create(%s): %s", WORKER_NAME, err(q));
	say("created %s and owns it; now idling", WORKER_NAME);
	signal_ready(ready_fd);
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
	int ret, i;
	pid_t pid;

	part("3. Queue owner death: kill -9 the owner, the survivor is told",
	     "A POSIX queue outlives its crashed creator and its reader sleeps forever.\n"
	     "A kipc queue lives as long as its owner's handle: kill -9 the owner, and\n"
	     "a receiver asleep with no timeout wakes with EPIPE; the name is gone.");
	pid = spawn_ready("owner", worker, NULL);

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

	kill9(pid);

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

/* ---------------------------------------------------------------------
 * 4. A shared region with wait/wake, and a peer that dies.
 */

#define BOARD_NAME	"/demo.board"

/* The region's layout: two words to wait on, then the texts. */
struct board {
	uint32_t question;	/* number of the latest question */
	uint32_t answer;	/* number of the latest answer */
	char q_text[120];
	char a_text[120];
};

#define Q_OFF		offsetof(struct board, question)
#define A_OFF		offsetof(struct board, answer)

static int board_helper(void *arg, int ready_fd)
{
	struct board *b;
	size_t size, i;
	void *addr;
	int r, ret;

	(void)arg;
	/* Our own handle, by name: the parent's, inherited, is not a peer. */
	r = kipc_region_open(BOARD_NAME, KIPC_RDWR);
	CHECK(r >= 0, "kipc_region_open(%s): %s", BOARD_NAME, err(r));
	ret = kipc_region_map(r, &addr, &size);
	CHECK(ret == 0, "kipc_region_map: %s", err(ret));
	b = addr;
	say("opened %s by name and mapped it; asleep in kipc_wait until question 1",
	    BOARD_NAME);
	signal_ready(ready_fd);

	ret = wait_word_change(r, b, Q_OFF, 0, LONG_TMO);
	CHECK(ret == 0, "kipc_wait for question 1: %s", err(ret));
	CHECK(load_word(b, Q_OFF) == 1, "question %u, expected 1",
	      load_word(b, Q_OFF));
	for (i = 0; b->q_text[i] && i < sizeof(b->a_text) - 1; i++)
		b->a_text[i] = b->q_text[i] >= 'a' && b->q_text[i] <= 'z' ?
			       b->q_text[i] - 'a' + 'A' : b->q_text[i];
	b->a_text[i] = '\0';
	say("woken: question 1 is \"%s\"; answering \"%s\"", b->q_text,
	    b->a_text);
	store_word(b, A_OFF, 1);
	ret = kipc_wake(r, A_OFF, 1);
	CHECK(ret >= 0, "kipc_wake: %s", err(ret));

	ret = wait_word_change(r, b, Q_OFF, 1, LONG_TMO);
	CHECK(ret == 0, "kipc_wait for question 2: %s", err(ret));
	say("question 2 is \"%s\": crashing before answering (SIGKILL)",
	    b->q_text);
	fflush(stdout);
	raise(SIGKILL);
	return 1;
}

static void act_region(void)
{
	struct kipc_region_stat st;
	struct board *b;
	size_t size;
	void *addr;
	pid_t pid;
	int r, ret, status;

	part("4. A shared region: memory two processes map, and wait/wake on a word",
	     "Both processes map the same pages; one sleeps in the kernel until a word\n"
	     "changes (like a futex, but on a kipc handle).  Unlike a futex waiter, a\n"
	     "kipc waiter is told when no peer is left to wake it: EPIPE, not forever.");
	r = kipc_region_create(BOARD_NAME, sizeof(struct board), 0, 0600);
	CHECK(r >= 0, "kipc_region_create(%s): %s", BOARD_NAME, err(r));
	ret = kipc_region_map(r, &addr, &size);
	CHECK(ret == 0, "kipc_region_map: %s", err(ret));
	CHECK(size == 4096, "mapped %zu bytes, expected one page", size);
	b = addr;
	CHECK(b->question == 0 && b->answer == 0 && !b->q_text[0],
	      "a new region is not zero-filled");
	say("created %s (%zu bytes, zero-filled) and mapped it", BOARD_NAME,
	    size);

	pid = spawn_ready("helper", board_helper, NULL);
	CHECK(POLL_UNTIL(kipc_region_stat(r, &st) == 0 && st.waiters == 1),
	      "the helper never went to sleep in kipc_wait (waiters %u)",
	      st.waiters);
	CHECK(load_word(b, A_OFF) == 0, "answered before being asked");
	say("region stat: %u handles, %u waiter asleep in the kernel",
	    st.handles, st.waiters);

	snprintf(b->q_text, sizeof(b->q_text), "hello from pid %d",
		 (int)getpid());
	store_word(b, Q_OFF, 1);
	say("wrote question 1 into the shared page, set the word to 1, kipc_wake");
	ret = kipc_wake(r, Q_OFF, 1);
	CHECK(ret == 1, "kipc_wake woke %s, expected 1 waiter",
	      ret < 0 ? err(ret) : ret == 0 ? "nobody" : "more than one");
	say("kipc_wake = %d: it woke the one waiter", ret);
	ret = wait_word_change(r, b, A_OFF, 0, LONG_TMO);
	CHECK(ret == 0, "waiting for answer 1: %s", err(ret));
	CHECK(!strncmp(b->a_text, "HELLO FROM PID", 14),
	      "answer \"%s\"", b->a_text);
	say("answer 1, read straight from the shared page: \"%s\"", b->a_text);

	snprintf(b->q_text, sizeof(b->q_text), "what is 1/0?");
	store_word(b, Q_OFF, 2);
	ret = kipc_wake(r, Q_OFF, 1);
	CHECK(ret >= 0, "kipc_wake: %s", err(ret));
	say("asked question 2; kipc_wait(timeout 60 s) for answer 2...");
	ret = wait_word_change(r, b, A_OFF, 1, LONG_TMO);
	CHECK(ret == -EPIPE, "waiting for an answer from a dead helper: %s",
	      ret < 0 ? err(ret) : "answered");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "the helper was not killed (status 0x%x)", status);
	say("kipc_wait = %s: the only other handle is gone (helper killed)",
	    err(ret));
	CHECK(!strncmp(b->a_text, "HELLO FROM PID", 14),
	      "the page changed: \"%s\"", b->a_text);
	say("the pages stay: answer 1 is still readable");

	ret = kipc_region_unmap(r);
	CHECK(ret == 0, "kipc_region_unmap: %s", err(ret));
	close(r);
}

/* ---------------------------------------------------------------------
 * 5. A robust lock whose holder is killed.
 */

#define LEDGER_NAME	"/demo.ledger"

/* The lock guards the invariant debit == credit. */
struct ledger {
	uint32_t lock;
	uint32_t __pad;
	uint64_t debit;
	uint64_t credit;
};

#define LOCK_OFF	offsetof(struct ledger, lock)

/* Open the ledger by name: a handle of our own, as an unrelated process. */
static struct ledger *open_ledger(int *r)
{
	size_t size;
	void *addr;
	int ret;

	*r = kipc_region_open(LEDGER_NAME, KIPC_RDWR);
	CHECK(*r >= 0, "kipc_region_open(%s): %s", LEDGER_NAME, err(*r));
	ret = kipc_region_map(*r, &addr, &size);
	CHECK(ret == 0, "kipc_region_map: %s", err(ret));
	return addr;
}

/*
 * The holder to be killed.  It opens the region by name: a lock's owner is
 * the handle that took it (docs/regions.md), so the holder needs a handle
 * of its own to die with.  Should the owner become the thread, as the
 * contract says, this stays right: the clerk's only thread dies too.
 */
static int clerk(void *arg, int ready_fd)
{
	struct ledger *l;
	int r, ret;

	(void)arg;
	l = open_ledger(&r);
	ret = kipc_lock(r, LOCK_OFF, TMO);
	CHECK(ret == 0, "kipc_lock: %s", err(ret));
	l->debit += 100;
	say("took the lock, debit += 100 ... and hangs before credit += 100");
	signal_ready(ready_fd);
	for (;;)
		pause();
}

static int second_clerk(void *arg, int ready_fd)
{
	struct ledger *l;
	int r, ret;

	(void)arg;
	signal_ready(ready_fd);
	l = open_ledger(&r);
	ret = kipc_lock(r, LOCK_OFF, TMO);
	CHECK(ret == 0, "kipc_lock after the recovery: %s", err(ret));
	l->debit += 5;
	l->credit += 5;
	ret = kipc_unlock(r, LOCK_OFF);
	CHECK(ret == 0, "kipc_unlock: %s", err(ret));
	say("opened %s by name: lock, transfer 5, unlock: all 0", LEDGER_NAME);
	return 0;
}

struct auditor {
	int r;
	struct ledger *l;
	atomic_int done;
	int lock_ret, consistent_ret, unlock_ret;
	uint64_t seen_debit, seen_credit;
};

/*
 * Take the lock, repair the ledger if its holder died, release it: all in
 * this thread, which owns the lock from kipc_lock() to kipc_unlock().
 */
static void *auditor_thread(void *arg)
{
	struct auditor *a = arg;

	a->lock_ret = kipc_lock(a->r, LOCK_OFF, LONG_TMO);
	if (a->lock_ret == 0 || a->lock_ret == -EOWNERDEAD) {
		a->seen_debit = a->l->debit;
		a->seen_credit = a->l->credit;
		if (a->lock_ret == -EOWNERDEAD) {
			/* Roll the unfinished transfer back. */
			a->l->debit = a->l->credit;
			a->consistent_ret = kipc_lock_consistent(a->r, LOCK_OFF);
		}
		a->unlock_ret = kipc_unlock(a->r, LOCK_OFF);
	}
	atomic_store(&a->done, 1);
	return NULL;
}

static void act_lock(void)
{
	struct auditor a = { .r = -1 };
	struct kipc_region_stat st;
	char want[64], line[256];
	struct ledger *l;
	const char *out;
	pthread_t thread;
	size_t size;
	void *addr;
	pid_t pid;
	int r, ret;

	part("5. A robust lock: kill -9 the holder, the waiter recovers",
	     "A lock in shared memory that the kernel cleans up: when its holder dies,\n"
	     "the next taker gets it with EOWNERDEAD (\"the data may be half-updated\"),\n"
	     "repairs it and calls kipc_lock_consistent().  Nobody waits forever for a\n"
	     "dead process, and nobody silently uses half-written data.");
	r = kipc_region_create(LEDGER_NAME, sizeof(struct ledger), 0, 0600);
	CHECK(r >= 0, "kipc_region_create(%s): %s", LEDGER_NAME, err(r));
	ret = kipc_region_map(r, &addr, &size);
	CHECK(ret == 0, "kipc_region_map: %s", err(ret));
	l = addr;
	ret = kipc_lock_init(r, LOCK_OFF);
	CHECK(ret == 0, "kipc_lock_init: %s", err(ret));
	say("created %s with a robust lock guarding debit == credit", LEDGER_NAME);

	pid = spawn_ready("clerk", clerk, NULL);
	CHECK(l->debit == 100 && l->credit == 0, "debit %llu credit %llu",
	      (unsigned long long)l->debit, (unsigned long long)l->credit);
	ret = kipc_lock(r, LOCK_OFF, 0);
	CHECK(ret == -EAGAIN, "kipc_lock(timeout 0) on a held lock: %s",
	      ret < 0 ? err(ret) : "taken");
	say("kipc_lock(timeout 0) = %s: the clerk (pid %d) holds it", err(ret),
	    (int)pid);

	a.r = r;
	a.l = l;
	ret = pthread_create(&thread, NULL, auditor_thread, &a);
	CHECK(ret == 0, "pthread_create: %s", strerror(ret));
	CHECK(POLL_UNTIL((kipc_region_stat(r, &st) == 0 && st.waiters == 1) ||
			 atomic_load(&a.done)),
	      "the auditor never blocked on the lock");
	CHECK(!atomic_load(&a.done), "kipc_lock returned early: %s",
	      err(a.lock_ret));
	say("an auditor thread sleeps in kipc_lock(timeout 60 s); what kipcctl shows:");
	out = kipcctl("show", LEDGER_NAME);
	snprintf(want, sizeof(want), "held by pid %d", (int)pid);
	CHECK(line_with(out, "locks ", line, sizeof(line)) &&
	      strstr(line, want) && strstr(line, "1 waiting"),
	      "kipcctl show %s: the lock line does not say \"%s, 1 waiting\"",
	      LEDGER_NAME, want);
	say("kipcctl names the holder (pid %d) and the waiter", (int)pid);

	kill9(pid);
	CHECK(POLL_UNTIL(atomic_load(&a.done)),
	      "the auditor is still blocked after the holder died");
	pthread_join(thread, NULL);
	CHECK(a.lock_ret == -EOWNERDEAD, "kipc_lock returned %s, expected -EOWNERDEAD",
	      err(a.lock_ret));
	CHECK(a.seen_debit == 100 && a.seen_credit == 0,
	      "the auditor saw debit %llu credit %llu",
	      (unsigned long long)a.seen_debit,
	      (unsigned long long)a.seen_credit);
	say("the auditor's kipc_lock = %s; it sees debit %llu != credit %llu",
	    err(a.lock_ret), (unsigned long long)a.seen_debit,
	    (unsigned long long)a.seen_credit);
	CHECK(a.consistent_ret == 0, "kipc_lock_consistent: %s",
	      err(a.consistent_ret));
	CHECK(a.unlock_ret == 0, "kipc_unlock: %s", err(a.unlock_ret));
	say("it rolls the transfer back, kipc_lock_consistent = 0, kipc_unlock = 0");

	ret = kipc_region_stat(r, &st);
	CHECK(ret == 0, "kipc_region_stat: %s", err(ret));
	CHECK(st.owner_died == 1, "owner_died %u, expected 1", st.owner_died);
	ret = kipc_lock(r, LOCK_OFF, 0);
	CHECK(ret == 0, "kipc_lock after the recovery: %s", err(ret));
	CHECK(l->debit == l->credit, "debit %llu != credit %llu",
	      (unsigned long long)l->debit, (unsigned long long)l->credit);
	ret = kipc_unlock(r, LOCK_OFF);
	CHECK(ret == 0, "kipc_unlock: %s", err(ret));
	say("the lock is free and sound: kipc_lock(timeout 0) = 0 (owner_died recoveries: %u)",
	    st.owner_died);
	reap_ok(spawn_ready("clerk-2", second_clerk, NULL), "second clerk");
	CHECK(l->debit == 5 && l->credit == 5, "debit %llu credit %llu",
	      (unsigned long long)l->debit, (unsigned long long)l->credit);

	ret = kipc_region_unmap(r);
	CHECK(ret == 0, "kipc_region_unmap: %s", err(ret));
	close(r);
}

/* ---------------------------------------------------------------------
 * 6. An SPSC ring streaming records; the producer dies.
 */

#define TICKS_NAME	"/demo.ticks"
#define TICK_TYPE	7
#define TICKS_LIVE	500	/* records read while the producer streams */

struct tick {
	uint64_t seq;
	uint64_t check;		/* a function of seq: a record arrives whole */
};

static uint64_t tick_check(uint64_t seq)
{
	return seq * 0x9e3779b97f4a7c15ULL;
}

static int sensor(void *arg, int ready_fd)
{
	struct kipc_ring *ring;
	struct tick t;
	uint64_t seq;
	int ret;

	(void)arg;
	ret = kipc_ring_open(TICKS_NAME, KIPC_RDWR, &ring);
	CHECK(ret == 0, "kipc_ring_open(%s): %s", TICKS_NAME, err(ret));
	say("opened %s by name: the free role is the producer's; streaming",
	    TICKS_NAME);
	signal_ready(ready_fd);
	for (seq = 1;; seq++) {
		t.seq = seq;
		t.check = tick_check(seq);
		ret = kipc_ring_send(ring, TICK_TYPE, &t, sizeof(t), LONG_TMO);
		if (ret == -EPIPE)	/* the consumer is gone */
			return 0;
		CHECK(ret == 0, "kipc_ring_send: %s", err(ret));
	}
}

/* Receive one record, check it is the next tick; false at -EPIPE. */
static int recv_tick(struct kipc_ring *ring, uint64_t *next)
{
	struct tick t;
	uint32_t type;
	ssize_t n;

	n = kipc_ring_recv(ring, &t, sizeof(t), &type, TMO);
	if (n == -EPIPE)
		return 0;
	CHECK(n >= 0, "kipc_ring_recv: %s", err(n));
	CHECK(n == sizeof(t) && type == TICK_TYPE,
	      "record of %zd bytes, type %u", n, type);
	CHECK(t.seq == *next && t.check == tick_check(t.seq),
	      "record seq %llu (check %s), expected seq %llu",
	      (unsigned long long)t.seq,
	      t.check == tick_check(t.seq) ? "ok" : "bad",
	      (unsigned long long)*next);
	(*next)++;
	return 1;
}

static void act_ring(void)
{
	struct kipc_region_stat st;
	struct kipc_ring *ring;
	char want[64], line[256];
	uint64_t next = 1, first_left;
	const char *out;
	uint32_t type;
	ssize_t n;
	pid_t pid;
	int ret, i;

	part("6. An SPSC ring: records streamed through shared memory",
	     "One producer, one consumer, typed records through shared memory; a side\n"
	     "sleeps in the kernel only when the ring is empty (consumer) or full.\n"
	     "When the producer dies the consumer still gets every record it sent,\n"
	     "then EPIPE: it can tell \"no more data\" from \"the peer is gone\".");
	ret = kipc_ring_create(TICKS_NAME, KIPC_RING_MIN_CAPACITY,
			       KIPC_RING_CONSUMER, 0600, &ring);
	CHECK(ret == 0, "kipc_ring_create(%s): %s", TICKS_NAME, err(ret));
	say("created ring %s (%u bytes of data) as its consumer", TICKS_NAME,
	    KIPC_RING_MIN_CAPACITY);

	pid = spawn_ready("sensor", sensor, NULL);
	for (i = 0; i < TICKS_LIVE; i++)
		CHECK(recv_tick(ring, &next),
		      "-EPIPE while the producer is alive");
	say("received ticks 1..%d in order, each whole (%zu-byte records)",
	    TICKS_LIVE, sizeof(struct tick));

	say("the consumer stops reading; the producer fills the ring and sleeps");
	CHECK(POLL_UNTIL(kipc_region_stat(kipc_ring_fd(ring), &st) == 0 &&
			 st.waiters == 1),
	      "the producer never blocked on the full ring");
	out = kipcctl("show", TICKS_NAME);
	snprintf(want, sizeof(want), "producer pid %d", (int)pid);
	CHECK(line_with(out, "bytes used;", line, sizeof(line)) &&
	      strstr(line, want),
	      "kipcctl show %s: the ring line does not say \"%s\"",
	      TICKS_NAME, want);
	snprintf(want, sizeof(want), "consumer pid %d", (int)getpid());
	CHECK(strstr(line, want), "kipcctl show %s: no \"%s\"", TICKS_NAME,
	      want);

	kill9(pid);
	first_left = next;
	while (recv_tick(ring, &next))
		;
	CHECK(next > first_left, "nothing was left in a full ring");
	say("drained ticks %llu..%llu, no gap, then kipc_ring_recv = -EPIPE",
	    (unsigned long long)first_left, (unsigned long long)(next - 1));
	n = kipc_ring_recv(ring, line, sizeof(line), &type, 0);
	CHECK(n == -EPIPE, "kipc_ring_recv after the drain: %s",
	      n < 0 ? err(n) : "a record");
	kipc_ring_close(ring);
}

/* ---------------------------------------------------------------------
 * 7. Events: a semaphore and a counter between two processes.
 */

#define JOBS_NAME	"/demo.jobs"
#define DONE_NAME	"/demo.done"
#define NJOBS		3

static int event_worker(void *arg, int ready_fd)
{
	uint64_t v;
	int jobs, done, ret, i;

	(void)arg;
	jobs = kipc_event_open(JOBS_NAME, KIPC_RDONLY);
	CHECK(jobs >= 0, "kipc_event_open(%s): %s", JOBS_NAME, err(jobs));
	done = kipc_event_open(DONE_NAME, KIPC_WRONLY);
	CHECK(done >= 0, "kipc_event_open(%s): %s", DONE_NAME, err(done));
	signal_ready(ready_fd);
	for (i = 1; i <= NJOBS; i++) {
		ret = kipc_event_wait(jobs, &v, LONG_TMO);
		CHECK(ret == 0, "kipc_event_wait(%s): %s", JOBS_NAME, err(ret));
		CHECK(v == 1, "a semaphore wait took %llu", (unsigned long long)v);
		say("took job token %d of %d, done; post 1 to %s", i, NJOBS,
		    DONE_NAME);
		ret = kipc_event_post(done, 1);
		CHECK(ret == 0, "kipc_event_post(%s): %s", DONE_NAME, err(ret));
	}
	ret = kipc_event_wait(jobs, &v, 0);
	CHECK(ret == -EAGAIN, "a fourth token: %s",
	      ret < 0 ? err(ret) : "taken");
	say("no fourth token: kipc_event_wait(timeout 0) = %s", err(ret));
	return 0;
}

static void act_events(void)
{
	struct kipc_event_stat st, dst;
	char line[256];
	const char *out;
	uint64_t v;
	int jobs, done, ret;
	pid_t pid;

	part("7. Events: a semaphore hands out work, a counter sums what is done",
	     "A semaphore wait takes one unit, so posting 2 then 1 releases exactly three\n"
	     "jobs; a counter wait takes everything posted so far at once, like eventfd.\n"
	     "Both are named kernel objects that any process can open.");
	jobs = kipc_event_create(JOBS_NAME, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
	CHECK(jobs >= 0, "kipc_event_create(%s): %s", JOBS_NAME, err(jobs));
	done = kipc_event_create(DONE_NAME, KIPC_EVENT_COUNTER, 0, 0, 0600);
	CHECK(done >= 0, "kipc_event_create(%s): %s", DONE_NAME, err(done));
	say("created semaphore %s and counter %s, both at 0", JOBS_NAME,
	    DONE_NAME);

	pid = spawn_ready("worker", event_worker, NULL);
	CHECK(POLL_UNTIL(kipc_event_stat(jobs, &st) == 0 && st.waiters == 1),
	      "the worker never waited on %s", JOBS_NAME);
	say("the worker sleeps in kipc_event_wait on %s:", JOBS_NAME);
	out = kipcctl("list", NULL);
	CHECK(list_field(out, JOBS_NAME, "WAITERS", line, sizeof(line)) &&
	      !strcmp(line, "1"),
	      "kipcctl list: WAITERS of %s is not 1", JOBS_NAME);
	CHECK(list_field(out, DONE_NAME, "WAITERS", line, sizeof(line)) &&
	      !strcmp(line, "0"),
	      "kipcctl list: WAITERS of %s is not 0", DONE_NAME);

	say("post 2 to %s", JOBS_NAME);
	ret = kipc_event_post(jobs, 2);
	CHECK(ret == 0, "kipc_event_post(2): %s", err(ret));
	CHECK(POLL_UNTIL(kipc_event_stat(done, &dst) == 0 && dst.count == 2 &&
			 kipc_event_stat(jobs, &st) == 0 && st.waiters == 1),
	      "the worker did not take two tokens and wait again");
	say("post 1 to %s", JOBS_NAME);
	ret = kipc_event_post(jobs, 1);
	CHECK(ret == 0, "kipc_event_post(1): %s", err(ret));
	reap_ok(pid, "worker");

	ret = kipc_event_wait(done, &v, TMO);
	CHECK(ret == 0, "kipc_event_wait(%s): %s", DONE_NAME, err(ret));
	CHECK(v == NJOBS, "the counter wait returned %llu, expected %d",
	      (unsigned long long)v, NJOBS);
	say("one kipc_event_wait on %s returns %llu: three completions, summed",
	    DONE_NAME, (unsigned long long)v);
	ret = kipc_event_stat(jobs, &st);
	CHECK(ret == 0 && st.count == 0, "%s: count %llu left", JOBS_NAME,
	      (unsigned long long)st.count);
	close(jobs);
	close(done);
}

/* ---------------------------------------------------------------------
 * 8. Leased receive: a worker killed mid-job loses no job.
 */

#define LEASE_NAME	"/demo.leased-jobs"

static int lease_victim(void *arg, int ready_fd)
{
	struct kipc_msg info;
	char buf[64];
	ssize_t n;
	int q;

	(void)arg;
	q = kipc_queue_open(LEASE_NAME, KIPC_RDWR);
	CHECK(q >= 0, "kipc_queue_open(%s): %s", LEASE_NAME, err(q));
	n = kipc_recv_leased(q, NULL, buf, sizeof(buf) - 1, &info, TMO);
	CHECK(n >= 0, "kipc_recv_leased: %s", err(n));
	buf[n] = '\0';
	say("took \"%s\" (seq %llu) under a lease and starts on it",
	    buf, (unsigned long long)info.seq);
	signal_ready(ready_fd);
	for (;;)
		pause();	/* busy with the job; never acks */
}

static int lease_survivor(void *arg)
{
	struct kipc_msg info;
	char buf[64];
	ssize_t n;
	int q, i, ret;

	(void)arg;
	q = kipc_queue_open(LEASE_NAME, KIPC_RDWR);
	CHECK(q >= 0, "kipc_queue_open(%s): %s", LEASE_NAME, err(q));
	for (i = 0; i < 3; i++) {
		n = kipc_recv_leased(q, NULL, buf, sizeof(buf) - 1, &info,
				     TMO);
		CHECK(n >= 0, "kipc_recv_leased: %s", err(n));
		buf[n] = '\0';
		CHECK(!i == !!(info.flags & KIPC_MSG_REDELIVERED),
		      "\"%s\": flags 0x%x", buf, info.flags);
		say("took \"%s\" (seq %llu)%s, did it, acked it", buf,
		    (unsigned long long)info.seq,
		    info.flags & KIPC_MSG_REDELIVERED ?
		    ", flagged REDELIVERED, delivery 2" : "");
		CHECK(!i == (info.deliveries == 2), "deliveries %u",
		      info.deliveries);
		ret = kipc_ack(q, info.seq);
		CHECK(ret == 0, "kipc_ack: %s", err(ret));
	}
	ret = kipc_ack(q, info.seq);
	CHECK(ret == -ENOENT, "a second ack: %s", err(ret));
	say("acking seq %llu again: %s", (unsigned long long)info.seq,
	    err(ret));
	return 0;
}

static void act_leases(void)
{
	struct kipc_queue_attr attr = { .max_msgs = 8, .max_msg_size = 64 };
	static const char *const jobs[] = { "resize img-1", "resize img-2",
					    "resize img-3" };
	struct kipc_queue_stat st;
	const char *out;
	char line[256];
	unsigned int i;
	int q, ret;
	pid_t pid;

	part("8. Leased receive: kill -9 a worker mid-job, its job comes back",
	     "A plain receive is destructive: a worker killed after kipc_recv took the\n"
	     "job loses it.  kipc_recv_leased keeps the message charged to the queue and\n"
	     "owned by the receiving thread until kipc_ack; when the worker dies, the\n"
	     "kernel puts the job back in its place, flagged REDELIVERED.");
	q = kipc_queue_create(LEASE_NAME, &attr, 0, 0600);
	CHECK(q >= 0, "kipc_queue_create(%s): %s", LEASE_NAME, err(q));
	for (i = 0; i < ARRAY_SIZE(jobs); i++) {
		ret = kipc_send(q, 1, 0, jobs[i], strlen(jobs[i]), 0);
		CHECK(ret == 0, "kipc_send: %s", err(ret));
	}
	say("queued %zu jobs on %s", ARRAY_SIZE(jobs), LEASE_NAME);

	pid = spawn_ready("worker-1", lease_victim, NULL);
	stat_or_die(q, &st);
	CHECK(st.inflight_msgs == 1 && st.depth_msgs == 2,
	      "in flight %llu, queued %llu", (unsigned long long)st.inflight_msgs,
	      (unsigned long long)st.depth_msgs);
	say("1 job in flight, 2 queued; kipcctl shows who holds it:");
	out = kipcctl("show", LEASE_NAME);
	snprintf(line, sizeof(line), "held by pid %d", (int)pid);
	CHECK(strstr(out, line), "kipcctl show does not say \"%s\"", line);

	kill9(pid);
	stat_or_die(q, &st);
	CHECK(st.inflight_msgs == 0 && st.depth_msgs == 3 &&
	      st.redelivered == 1,
	      "after the kill: in flight %llu, queued %llu, redelivered %llu",
	      (unsigned long long)st.inflight_msgs,
	      (unsigned long long)st.depth_msgs,
	      (unsigned long long)st.redelivered);
	say("the kernel put the job back at the head: 3 queued, redelivered %llu",
	    (unsigned long long)st.redelivered);

	pid = spawn("worker-2", lease_survivor, NULL, -1);
	reap_ok(pid, "worker-2");
	stat_or_die(q, &st);
	CHECK(st.acked == 3 && st.inflight_msgs == 0 && !st.depth_msgs,
	      "acked %llu, in flight %llu, queued %llu",
	      (unsigned long long)st.acked,
	      (unsigned long long)st.inflight_msgs,
	      (unsigned long long)st.depth_msgs);
	say("  stat: sent %llu acked %llu redelivered %llu in flight %llu: no job lost",
	    (unsigned long long)st.sent, (unsigned long long)st.acked,
	    (unsigned long long)st.redelivered,
	    (unsigned long long)st.inflight_msgs);
	close(q);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_kipcctl();
	printf("kipc demo (libkipc %d.%d, %s): queues, backpressure, owner death,\n"
	       "regions, robust locks, rings, events, leases\n",
	       kipc_version_major(), kipc_version_minor(), kipcctl_path);

	act_orders();
	act_drop_oldest();
	act_conflate();
	act_fail_drop_new();
	act_owner_death();
	act_region();
	act_lock();
	act_ring();
	act_events();
	act_leases();

	printf("\nkipc demo: every step behaved as described\n");
	return 0;
}
