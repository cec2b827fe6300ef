// SPDX-License-Identifier: MIT
/*
 * request_reply - RPC over two kipc queues.
 *
 * What it shows:
 *   - a server that owns a named request queue, and a client that owns a
 *     named reply queue: each side creates what it reads from and opens
 *     what it writes to;
 *   - the message type as the operation (requests) and as the request id
 *     (replies), so the client collects each reply with a KIPC_SEL_EQ
 *     selector, in any order it likes, without a demultiplexing thread;
 *   - the sender's pid and the sequence number the kernel stamps on every
 *     message;
 *   - graceful shutdown: kipc_queue_shutdown() lets the server drain what
 *     is queued and then see -EPIPE, its cue to exit.
 *
 * The program forks its own server, runs a few requests and exits 0 when
 * every answer is right.  Build: cc -o request_reply request_reply.c
 * $(pkg-config --cflags --libs kipc).  Needs /dev/kipc.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <kipc.h>

#define SEC		1000000000LL
#define TIMEOUT		(10 * SEC)	/* no call here should wait longer */

/* Request types: the operation. */
#define OP_ADD		1
#define OP_MUL		2

struct request {
	uint32_t id;		/* the reply's message type, >= 1 */
	int32_t a, b;
};

struct reply {
	uint32_t id;
	int64_t result;
};

static void fail(const char *what, long ret)
{
	fprintf(stderr, "request_reply: %s: %s\n", what, strerror((int)-ret));
	exit(1);
}

/*
 * The server: owns the request queue, answers until the client shuts the
 * queue down.  @reply_name is the client's queue, opened write-only.
 */
static int serve(const char *req_name, const char *reply_name, int ready)
{
	struct kipc_queue_attr attr = { .max_msgs = 16 };
	struct request rq;
	struct reply rp;
	struct kipc_msg info;
	ssize_t n;
	int req, rep, ret;

	req = kipc_queue_create(req_name, &attr, 0, 0600);
	if (req < 0)
		fail("create request queue", req);
	rep = kipc_queue_open(reply_name, KIPC_WRONLY);
	if (rep < 0)
		fail("open reply queue", rep);
	/* Tell the client the request queue exists. */
	if (write(ready, "", 1) != 1)
		return 1;

	for (;;) {
		n = kipc_recv(req, NULL, &rq, sizeof(rq), &info, -1);
		if (n == -EPIPE)
			break;		/* shut down and drained: done */
		if (n < 0)
			fail("receive request", n);
		if (n != sizeof(rq))
			return 1;

		rp.id = rq.id;
		rp.result = info.type == OP_ADD ? (int64_t)rq.a + rq.b :
						  (int64_t)rq.a * rq.b;
		printf("server: request %u (seq %llu) from pid %d: op %u\n",
		       rq.id, (unsigned long long)info.seq, info.pid,
		       info.type);
		/* The reply's type is the request id: the client selects it. */
		ret = kipc_send(rep, rq.id, 0, &rp, sizeof(rp), TIMEOUT);
		if (ret < 0)
			fail("send reply", ret);
	}
	printf("server: request queue shut down, exiting\n");
	return 0;
}

int main(void)
{
	static const struct { uint32_t op; int32_t a, b; int64_t want; } calls[] = {
		{ OP_ADD, 2, 40, 42 },
		{ OP_MUL, 6, 7, 42 },
		{ OP_ADD, -5, 3, -2 },
		{ OP_MUL, 100000, 100000, 10000000000LL },
	};
	const unsigned int ncalls = sizeof(calls) / sizeof(calls[0]);
	char req_name[64], reply_name[64], c;
	int rep, req, ready[2], status, ret;
	unsigned int i;
	pid_t server;

	snprintf(req_name, sizeof(req_name), "/example.rpc.%d.req", (int)getpid());
	snprintf(reply_name, sizeof(reply_name), "/example.rpc.%d.reply",
		 (int)getpid());

	/* The client owns its reply queue: it dies with the client. */
	rep = kipc_queue_create(reply_name, NULL, 0, 0600);
	if (rep < 0)
		fail("create reply queue", rep);

	if (pipe(ready))
		return 1;
	server = fork();
	if (server < 0)
		return 1;
	if (server == 0) {
		/*
		 * A forked child shares the parent's handles; close the
		 * inherited one and open the queue by name, as an unrelated
		 * process would.
		 */
		close(rep);
		close(ready[0]);
		exit(serve(req_name, reply_name, ready[1]));
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "request_reply: the server did not start\n");
		return 1;
	}

	req = kipc_queue_open(req_name, KIPC_WRONLY);
	if (req < 0)
		fail("open request queue", req);

	/* Send every request first: they queue up in the server's queue. */
	for (i = 0; i < ncalls; i++) {
		struct request rq = {
			.id = i + 1, .a = calls[i].a, .b = calls[i].b,
		};

		ret = kipc_send(req, calls[i].op, 0, &rq, sizeof(rq), TIMEOUT);
		if (ret < 0)
			fail("send request", ret);
	}

	/* Collect the replies newest first, each by its id. */
	for (i = ncalls; i-- > 0;) {
		struct kipc_select only = { KIPC_SEL_EQ, i + 1 };
		struct kipc_msg info;
		struct reply rp;
		ssize_t n;

		n = kipc_recv(rep, &only, &rp, sizeof(rp), &info, TIMEOUT);
		if (n < 0)
			fail("receive reply", n);
		printf("client: reply %u = %lld (from pid %d)\n", rp.id,
		       (long long)rp.result, info.pid);
		if (rp.id != i + 1 || rp.result != calls[i].want ||
		    info.pid != server) {
			fprintf(stderr, "request_reply: wrong reply %u\n", rp.id);
			return 1;
		}
	}

	/* Graceful stop: the server drains the queue, then gets -EPIPE. */
	ret = kipc_queue_shutdown(req);
	if (ret < 0)
		fail("shutdown", ret);
	if (waitpid(server, &status, 0) != server || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "request_reply: the server failed\n");
		return 1;
	}
	close(req);
	close(rep);
	printf("request_reply: ok\n");
	return 0;
}
