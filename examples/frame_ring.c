// SPDX-License-Identifier: MIT
/*
 * frame_ring - a shared frame buffer ring between two processes.
 *
 * What it shows:
 *   - an SPSC ring (kipc_ring_*): the consumer creates it and owns it, the
 *     producer opens it by name and takes the free role;
 *   - zero copy on both sides: the producer renders each frame straight
 *     into ring memory (kipc_ring_reserve + kipc_ring_commit) and the
 *     consumer checks it in place (kipc_ring_peek + kipc_ring_consume); no
 *     system call is made while the ring is neither empty nor full;
 *   - an event loop: the consumer waits in poll(2) on kipc_ring_fd(),
 *     which reports POLLIN for data and POLLHUP once the producer is gone;
 *   - peer death: when the producer exits the consumer drains the frames
 *     left in the ring and then gets -EPIPE.
 *
 * Every frame must arrive, in order, with the pixels the producer drew.
 * Exits 0 when they do.  Needs /dev/kipc.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <kipc.h>

#define SEC		1000000000LL
#define TIMEOUT		(10 * SEC)

#define WIDTH		160
#define HEIGHT		120
#define NFRAMES		200
#define TYPE_FRAME	1
#define RING_BYTES	(64 * 1024)	/* a power of two: about 3 frames */

struct frame {
	uint32_t number;
	uint16_t width, height;
	uint8_t pixels[HEIGHT][WIDTH];	/* 8-bit grey */
};

static void fail(const char *what, long ret)
{
	fprintf(stderr, "frame_ring: %s: %s\n", what, strerror((int)-ret));
	exit(1);
}

static uint8_t pixel(uint32_t n, unsigned int x, unsigned int y)
{
	return (uint8_t)(x + 2 * y + 3 * n);	/* a moving gradient */
}

/* The producer: draws NFRAMES frames directly into the ring. */
static int produce(const char *name)
{
	struct kipc_ring *ring;
	struct frame *f;
	unsigned int x, y;
	uint32_t n;
	void *p;
	int ret;

	/* KIPC_RDWR and no role: take the free one, the producer's. */
	ret = kipc_ring_open(name, KIPC_RDWR, &ring);
	if (ret < 0)
		fail("open ring", ret);

	for (n = 0; n < NFRAMES; n++) {
		/* Blocks only while the ring is full (the consumer is behind). */
		ret = kipc_ring_reserve(ring, sizeof(*f), &p, TIMEOUT);
		if (ret < 0)
			fail("reserve", ret);
		f = p;
		f->number = n;
		f->width = WIDTH;
		f->height = HEIGHT;
		for (y = 0; y < HEIGHT; y++)
			for (x = 0; x < WIDTH; x++)
				f->pixels[y][x] = pixel(n, x, y);
		ret = kipc_ring_commit(ring, TYPE_FRAME, sizeof(*f));
		if (ret < 0)
			fail("commit", ret);
	}
	/* Exiting releases the producer role: the consumer sees POLLHUP. */
	kipc_ring_close(ring);
	return 0;
}

static int check_frame(const struct frame *f, uint32_t want)
{
	unsigned int x, y;

	if (f->number != want || f->width != WIDTH || f->height != HEIGHT)
		return -1;
	for (y = 0; y < HEIGHT; y++)
		for (x = 0; x < WIDTH; x++)
			if (f->pixels[y][x] != pixel(want, x, y))
				return -1;
	return 0;
}

int main(void)
{
	struct kipc_ring *ring;
	struct pollfd pfd;
	uint32_t type, frames = 0, polls = 0;
	const void *p;
	char name[64];
	int ret, status;
	ssize_t n;
	pid_t prod;

	snprintf(name, sizeof(name), "/example.frames.%d", (int)getpid());
	/* The consumer creates the ring and owns it. */
	ret = kipc_ring_create(name, RING_BYTES, KIPC_RING_CONSUMER, 0600,
			       &ring);
	if (ret < 0)
		fail("create ring", ret);

	prod = fork();
	if (prod < 0)
		return 1;
	if (prod == 0) {
		/* Drop the inherited consumer side; open the ring by name. */
		kipc_ring_close(ring);
		exit(produce(name));
	}

	pfd.fd = kipc_ring_fd(ring);
	pfd.events = POLLIN;
	for (;;) {
		/* Timeout 0: never sleep in the library, poll instead. */
		n = kipc_ring_peek(ring, &p, &type, 0);
		if (n == -EAGAIN) {
			polls++;
			ret = poll(&pfd, 1, 10000);
			if (ret <= 0) {
				fprintf(stderr, "frame_ring: poll timed out\n");
				return 1;
			}
			continue;
		}
		if (n == -EPIPE)
			break;		/* producer gone, ring drained */
		if (n < 0)
			fail("peek", n);
		if (type != TYPE_FRAME || n != sizeof(struct frame) ||
		    check_frame(p, frames)) {
			fprintf(stderr, "frame_ring: frame %u is damaged\n",
				frames);
			return 1;
		}
		/* Done with the pixels: give the space back to the producer. */
		ret = kipc_ring_consume(ring);
		if (ret < 0)
			fail("consume", ret);
		frames++;
	}

	if (waitpid(prod, &status, 0) != prod || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "frame_ring: the producer failed\n");
		return 1;
	}
	printf("frame_ring: %u frames of %ux%u checked in place, %u polls\n",
	       frames, WIDTH, HEIGHT, polls);
	if (frames != NFRAMES) {
		fprintf(stderr, "frame_ring: expected %u frames\n", NFRAMES);
		return 1;
	}
	kipc_ring_close(ring);
	printf("frame_ring: ok\n");
	return 0;
}
