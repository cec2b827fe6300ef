// SPDX-License-Identifier: MIT
/*
 * sensor_feed - a latest-value feed on a conflating queue.
 *
 * What it shows:
 *   - KIPC_Q_CONFLATE: a new message replaces the queued message of the
 *     same type, so a slow reader never works through stale readings and
 *     a fast writer never blocks: the queue holds at most one reading per
 *     sensor (the message type is the sensor id);
 *   - the per-queue sequence number: the gap between two readings of a
 *     sensor is how many updates the reader skipped;
 *   - kipc_queue_stat(): sent = received + depth + conflated.
 *
 * A forked publisher writes ROUNDS readings for each of NSENSORS sensors
 * as fast as it can while the reader samples the feed; every reading the
 * reader gets must be newer than the last one it saw of that sensor, and
 * after the publisher is done the queue holds exactly the final reading
 * of each sensor.  Exits 0 when all of that holds.  Needs /dev/kipc.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <kipc.h>

#define SEC		1000000000LL
#define MSEC		1000000LL
#define NSENSORS	3
#define ROUNDS		2000

struct reading {
	uint32_t round;		/* 0 .. ROUNDS - 1, increasing */
	int32_t millicelsius;
};

static void fail(const char *what, long ret)
{
	fprintf(stderr, "sensor_feed: %s: %s\n", what, strerror((int)-ret));
	exit(1);
}

/* The publisher: opens the feed write-only and never waits for room. */
static int publish(const char *name)
{
	struct reading r;
	uint32_t round, s;
	int q, ret;

	q = kipc_queue_open(name, KIPC_WRONLY);
	if (q < 0)
		fail("open feed", q);
	for (round = 0; round < ROUNDS; round++) {
		for (s = 1; s <= NSENSORS; s++) {
			r.round = round;
			r.millicelsius = 20000 + (int32_t)(s * 1000 + round % 500);
			/* Type = sensor id; timeout 0: a conflating send never waits. */
			ret = kipc_send(q, s, 0, &r, sizeof(r), 0);
			if (ret < 0)
				fail("send reading", ret);
		}
	}
	return 0;
}

int main(void)
{
	/* Room for one reading per sensor: conflation keeps it that way. */
	struct kipc_queue_attr attr = {
		.max_msgs	= NSENSORS,
		.max_msg_size	= sizeof(struct reading),
		.flags		= KIPC_Q_CONFLATE,
	};
	int64_t last_round[NSENSORS + 1];
	uint64_t skipped[NSENSORS + 1] = { 0 };
	uint64_t samples = 0;
	struct kipc_queue_stat st;
	struct kipc_msg info;
	struct reading r;
	char name[64];
	int q, status, s;
	pid_t pub;
	ssize_t n;

	for (s = 0; s <= NSENSORS; s++)
		last_round[s] = -1;

	snprintf(name, sizeof(name), "/example.sensors.%d", (int)getpid());
	/* The reader owns the feed, so it outlives the publisher. */
	q = kipc_queue_create(name, &attr, 0, 0600);
	if (q < 0)
		fail("create feed", q);

	pub = fork();
	if (pub < 0)
		return 1;
	if (pub == 0) {
		close(q);	/* the inherited handle is the owner's */
		exit(publish(name));
	}

	/*
	 * Sample while the publisher runs: a slow consumer, 1 ms between
	 * looks.  Whatever it gets is the latest reading of that sensor.
	 */
	while (waitpid(pub, &status, WNOHANG) == 0) {
		n = kipc_recv(q, NULL, &r, sizeof(r), &info, 5 * MSEC);
		if (n == -ETIMEDOUT)
			continue;
		if (n < 0)
			fail("receive", n);
		s = (int)info.type;
		if (s < 1 || s > NSENSORS || (int64_t)r.round <= last_round[s]) {
			fprintf(stderr, "sensor_feed: stale or bogus reading\n");
			return 1;
		}
		/* Readings of this sensor replaced before we looked. */
		skipped[s] += r.round - last_round[s] - 1;
		if (samples < 6)
			printf("sensor %d: round %u (seq %llu)\n", s, r.round,
			       (unsigned long long)info.seq);
		last_round[s] = r.round;
		samples++;
		nanosleep(&(struct timespec){ 0, 1 * MSEC }, NULL);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "sensor_feed: the publisher failed\n");
		return 1;
	}

	/* The publisher is done: each sensor's final reading is waiting. */
	for (s = 1; s <= NSENSORS; s++) {
		struct kipc_select only = { KIPC_SEL_EQ, (uint32_t)s };

		n = kipc_recv(q, &only, &r, sizeof(r), &info, 0);
		if (n == -EAGAIN && last_round[s] == ROUNDS - 1)
			continue;	/* already sampled the last one */
		if (n < 0)
			fail("receive final reading", n);
		if (r.round != ROUNDS - 1) {
			fprintf(stderr, "sensor_feed: sensor %d: final reading is round %u\n",
				s, r.round);
			return 1;
		}
		printf("sensor %d: final reading %d.%03d C\n", s,
		       r.millicelsius / 1000, r.millicelsius % 1000);
		skipped[s] += r.round - last_round[s] - 1;
		last_round[s] = r.round;
		samples++;
	}
	for (s = 1; s <= NSENSORS; s++)
		printf("sensor %d: latest round %lld, %llu older readings never seen\n",
		       s, (long long)last_round[s],
		       (unsigned long long)skipped[s]);

	n = kipc_queue_stat(q, &st);
	if (n < 0)
		fail("stat", n);
	printf("sent %llu, received %llu, replaced by newer %llu, queued %llu\n",
	       (unsigned long long)st.sent, (unsigned long long)st.received,
	       (unsigned long long)st.conflated,
	       (unsigned long long)st.depth_msgs);
	if (st.sent != (uint64_t)NSENSORS * ROUNDS || st.received != samples ||
	    st.depth_msgs != 0 ||
	    st.sent != st.received + st.depth_msgs + st.conflated) {
		fprintf(stderr, "sensor_feed: counters do not add up\n");
		return 1;
	}
	close(q);
	printf("sensor_feed: ok\n");
	return 0;
}
