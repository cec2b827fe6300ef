// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench-bridge: the two ends of the bridge benchmark
 * (tests/vm/bench-bridge.sh runs them in two network + IPC namespaces).
 * A sender and a receiver of 64-byte messages, over a kipc queue (local,
 * or bridged by kipc-bridge export/import) or a plain NATS subject.  Each
 * round is a burst of N messages (throughput: N over the time from the
 * first one's send to the last one's receive) and then M messages paced
 * GAP us apart (one-way latency: receive time minus the send time the
 * message carries; CLOCK_MONOTONIC is the machine's, whichever namespace).
 * The receiver prints kipc-bench's CSV rows:
 *   @@CSV,<cpus>,bridge,<mech>,64,,msgs_per_s_r<round>,<value>
 *   @@CSV,<cpus>,bridge,<mech>,64,,p50_us_r<round>,<value>
 *
 * usage: kipc-bench-bridge mkq QUEUE [MAX_MSGS]
 *        kipc-bench-bridge send QUEUE|--nats URL SUBJ  N M GAP_US
 *        kipc-bench-bridge recv QUEUE|--nats URL SUBJ  N M MECH ROUND [READY]
 *        kipc-bench-bridge wait-nats URL SECS
 * Exit status 0, 1 on an error or a receiver that did not get everything
 * within 60 s, 2 on bad usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>
#include <nats/nats.h>

#define MSG_LEN		64
#define IDLE_MS		60000

struct msg {
	uint64_t ts_ns;
	uint32_t phase;		/* 0: burst, 1: paced */
	uint32_t idx;
	char pad[MSG_LEN - 16];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000ull),
			       (long)(t % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: kipc-bench-bridge mkq QUEUE [MAX_MSGS]\n"
		"       kipc-bench-bridge send QUEUE|--nats URL SUBJ N M GAP_US\n"
		"       kipc-bench-bridge recv QUEUE|--nats URL SUBJ N M MECH ROUND [READY]\n"
		"       kipc-bench-bridge wait-nats URL SECS\n");
	return 2;
}

/* One end: a kipc queue or a NATS connection. */
struct end {
	int q;
	natsConnection *nc;
	natsSubscription *sub;
	const char *subj;
};

static int nats_fail(const char *what, natsStatus s)
{
	fprintf(stderr, "kipc-bench-bridge: %s: %s\n", what,
		natsStatus_GetText(s));
	return -1;
}

/* Open @argv's end (QUEUE, or --nats URL SUBJ); the arguments it took. */
static int end_open(struct end *e, char **argv, int argc, int recv)
{
	natsStatus s;

	memset(e, 0, sizeof(*e));
	e->q = -1;
	if (argc >= 3 && !strcmp(argv[0], "--nats")) {
		e->subj = argv[2];
		s = natsConnection_ConnectTo(&e->nc, argv[1]);
		if (s != NATS_OK)
			return nats_fail(argv[1], s);
		if (recv) {
			s = natsConnection_SubscribeSync(&e->sub, e->nc,
							 e->subj);
			if (s == NATS_OK)
				s = natsSubscription_SetPendingLimits(e->sub,
								      -1, -1);
			if (s == NATS_OK)
				s = natsConnection_Flush(e->nc);
			if (s != NATS_OK)
				return nats_fail("subscribe", s);
		}
		return 3;
	}
	if (argc < 1)
		return -1;
	e->q = kipc_queue_open(argv[0], recv ? KIPC_RDONLY : KIPC_WRONLY);
	if (e->q < 0) {
		fprintf(stderr, "kipc-bench-bridge: %s: %s\n", argv[0],
			strerror(-e->q));
		return -1;
	}
	return 1;
}

static int end_send(struct end *e, const struct msg *m)
{
	natsStatus s;
	int r;

	if (e->nc) {
		s = natsConnection_Publish(e->nc, e->subj, m, sizeof(*m));
		return s == NATS_OK ? 0 : nats_fail("publish", s);
	}
	r = kipc_send(e->q, 1, 0, m, sizeof(*m), -1);
	if (r < 0)
		fprintf(stderr, "kipc-bench-bridge: send: %s\n", strerror(-r));
	return r < 0 ? -1 : 0;
}

/* Receive one message into @m: 0, 1 on timeout, -1 on error. */
static int end_recv(struct end *e, struct msg *m)
{
	natsMsg *nm = NULL;
	natsStatus s;
	ssize_t n;

	if (e->nc) {
		s = natsSubscription_NextMsg(&nm, e->sub, IDLE_MS);
		if (s == NATS_TIMEOUT)
			return 1;
		if (s != NATS_OK)
			return nats_fail("next message", s);
		n = natsMsg_GetDataLength(nm);
		if (n == (ssize_t)sizeof(*m))
			memcpy(m, natsMsg_GetData(nm), sizeof(*m));
		natsMsg_Destroy(nm);
	} else {
		n = kipc_recv(e->q, NULL, m, sizeof(*m), NULL,
			      (int64_t)IDLE_MS * 1000000);
		if (n == -ETIMEDOUT)
			return 1;
		if (n < 0) {
			fprintf(stderr, "kipc-bench-bridge: recv: %s\n",
				strerror((int)-n));
			return -1;
		}
	}
	if (n != (ssize_t)sizeof(*m)) {
		fprintf(stderr, "kipc-bench-bridge: a message of %zd bytes\n",
			n);
		return -1;
	}
	return 0;
}

static int do_send(struct end *e, unsigned long n, unsigned long m,
		   unsigned long gap_us)
{
	struct msg msg = { 0 };
	uint64_t t;
	unsigned long i;

	for (i = 0; i < n; i++) {
		msg.ts_ns = now_ns();
		msg.idx = i;
		if (end_send(e, &msg))
			return 1;
	}
	if (e->nc)
		natsConnection_Flush(e->nc);
	msg.phase = 1;
	t = now_ns();
	for (i = 0; i < m; i++) {
		t += gap_us * 1000;
		sleep_until(t);
		msg.ts_ns = now_ns();
		msg.idx = i;
		if (end_send(e, &msg))
			return 1;
		if (e->nc)
			natsConnection_Flush(e->nc);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int do_recv(struct end *e, unsigned long n, unsigned long m,
		   const char *mech, const char *round, const char *ready)
{
	uint64_t first = 0, last = 0, *lat;
	unsigned long got0 = 0, got1 = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct msg msg;
	FILE *f;
	int r;

	lat = calloc(m ? m : 1, sizeof(*lat));
	if (!lat)
		return 1;
	if (ready) {
		f = fopen(ready, "w");
		if (!f || fclose(f))
			return 1;
	}
	while (got0 < n || got1 < m) {
		r = end_recv(e, &msg);
		if (r) {
			fprintf(stderr, "kipc-bench-bridge: %s round %s: %s after %lu + %lu of %lu + %lu\n",
				mech, round, r > 0 ? "timed out" : "failed",
				got0, got1, n, m);
			return 1;
		}
		if (msg.phase == 0) {
			if (!got0++)
				first = msg.ts_ns;
			last = now_ns();
		} else if (got1 < m) {
			lat[got1++] = now_ns() - msg.ts_ns;
		}
	}
	if (n && last > first)
		printf("@@CSV,%ld,bridge,%s,%d,,msgs_per_s_r%s,%.0f\n", cpus,
		       mech, MSG_LEN, round, n * 1e9 / (double)(last - first));
	if (m) {
		qsort(lat, m, sizeof(*lat), cmp_u64);
		printf("@@CSV,%ld,bridge,%s,%d,,p50_us_r%s,%.1f\n", cpus, mech,
		       MSG_LEN, round, lat[m / 2] / 1e3);
	}
	free(lat);
	return 0;
}

static int wait_nats(const char *url, long secs)
{
	natsConnection *nc = NULL;
	uint64_t end = now_ns() + secs * 1000000000ull;
	natsStatus s;

	do {
		s = natsConnection_ConnectTo(&nc, url);
		if (s == NATS_OK) {
			natsConnection_Destroy(nc);
			return 0;
		}
		usleep(200000);
	} while (now_ns() < end);
	nats_fail(url, s);
	return 1;
}

int main(int argc, char **argv)
{
	struct kipc_queue_attr attr = { 0 };
	struct end e;
	int k, q;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "wait-nats"))
		return wait_nats(argv[2], argc > 3 ? atol(argv[3]) : 30);
	if (!strcmp(argv[1], "mkq")) {
		attr.max_msgs = argc > 3 ? strtoul(argv[3], NULL, 0) : 0;
		attr.max_msg_size = 1024;
		q = kipc_queue_create(argv[2], &attr, KIPC_PERSIST, 0666);
		if (q < 0) {
			fprintf(stderr, "kipc-bench-bridge: %s: %s\n", argv[2],
				strerror(-q));
			return 1;
		}
		return 0;
	}
	if (!strcmp(argv[1], "send")) {
		k = end_open(&e, argv + 2, argc - 2, 0);
		if (k < 0)
			return 1;
		if (argc - 2 - k != 3)
			return usage();
		return do_send(&e, strtoul(argv[2 + k], NULL, 0),
			       strtoul(argv[3 + k], NULL, 0),
			       strtoul(argv[4 + k], NULL, 0));
	}
	if (!strcmp(argv[1], "recv")) {
		k = end_open(&e, argv + 2, argc - 2, 1);
		if (k < 0)
			return 1;
		if (argc - 2 - k != 4 && argc - 2 - k != 5)
			return usage();
		return do_recv(&e, strtoul(argv[2 + k], NULL, 0),
			       strtoul(argv[3 + k], NULL, 0), argv[4 + k],
			       argv[5 + k], argc - 2 - k == 5 ? argv[6 + k] : NULL);
	}
	return usage();
}
