/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc-bench: shared declarations of the driver (kipc-bench.c), the
 * mechanisms (kipc-bench-mech.c) and the kipc-only cases
 * (kipc-bench-cases.c).
 *
 * A mechanism is a table of operations on a channel, struct kb_chan.  A
 * channel has one or two directions: 0 carries parent -> child (the
 * ping-pong request), 1 carries child -> parent (the reply, and every
 * streaming message: children produce, the parent consumes).  The parent
 * creates the channel before fork(); after fork each side calls attach
 * (opening by name what cannot be inherited, such as a ring role).
 *
 * Copy mechanisms implement send/recv.  Mechanisms that hand out memory
 * (kipc rings in zero-copy mode, and the wait/wake ones whose payload sits
 * in a shared mapping) implement reserve/commit/peek/consume instead.
 * Every wait blocks in the kernel: no operation here spins.
 */
#ifndef KIPC_BENCH_H
#define KIPC_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <kipc.h>

/* What a mechanism can do. */
#define KB_PINGPONG	0x01	/* request/reply round trips */
#define KB_STREAM	0x02	/* one-way streaming */
#define KB_MPSC		0x04	/* several producers may share direction 1 */
#define KB_ZC		0x08	/* reserve/commit/peek/consume, not send/recv */

/* Sides of a channel. */
#define KB_PARENT	0
#define KB_CHILD	1

/* Bytes of headroom before every send/recv buffer (SysV's long mtype). */
#define KB_HEADROOM	64

/* The stamp in the first 8 bytes of a payload that ends a stream. */
#define KB_END		UINT64_MAX

/* Smallest payload: room for the stamp. */
#define KB_MIN_SIZE	8

struct kb_chan {
	const struct kb_mech *m;
	size_t size;			/* payload bytes */
	unsigned int depth;		/* messages of buffering */
	unsigned int batch;		/* messages per call (stream) */
	int dirs;			/* 1: stream (dir 1 only), 2: ping-pong */
	int side;			/* KB_PARENT or KB_CHILD after attach */

	/* file descriptors, per direction: [dir][0] send end, [1] recv end */
	int fd[2][2];
	int id[2];			/* SysV msg ids */
	char name[2][64];		/* named objects (rings, mq) */
	struct kipc_ring *ring[2];	/* this side's end of each ring */
	struct kipc_ring *ring_creator[2]; /* the parent's, not the child's */

	/* wait/wake mechanisms: the shared mapping */
	void *shm;
	size_t shm_size;
	uint32_t *word[2];		/* per direction: the sequence word */
	size_t word_off[2];
	unsigned char *area[2];		/* per direction: the payload slot */
	uint32_t seq[2];		/* last sequence published / seen */

	/* batches (kipc_sendv/kipc_recvv) */
	struct kipc_msg *msgs;
	unsigned char *bbuf;		/* batch * size, with headroom each */
	size_t bstride;
};

struct kb_mech {
	const char *name;		/* CSV key */
	const char *label;		/* for humans */
	unsigned int flags;		/* KB_* */
	unsigned int batch;		/* > 1: streaming uses sendv/recvv */
	int (*create)(struct kb_chan *c);
	int (*attach)(struct kb_chan *c, int side);
	void (*destroy)(struct kb_chan *c);	/* each side, at its end */

	/* copy mechanisms; send/recv return 0 / bytes, or -errno */
	int (*send)(struct kb_chan *c, int dir, void *buf, size_t len);
	ssize_t (*recv)(struct kb_chan *c, int dir, void *buf, size_t cap);
	/* batched: n messages from/to c->msgs; return how many, or -errno */
	int (*sendv)(struct kb_chan *c, int dir, unsigned int n);
	int (*recvv)(struct kb_chan *c, int dir, unsigned int n);

	/* zero-copy mechanisms */
	int (*reserve)(struct kb_chan *c, int dir, size_t len, void **p);
	int (*commit)(struct kb_chan *c, int dir, size_t len);
	ssize_t (*peek)(struct kb_chan *c, int dir, const void **p);
	int (*consume)(struct kb_chan *c, int dir);
};

extern const struct kb_mech *const kb_mechs[];

const struct kb_mech *kb_mech_find(const char *name);
/* Raise the limits of the classic mechanisms (root in the VM). */
void kb_tune_system(int verbose);

/* kipc-bench.c */
uint64_t kb_now_ns(void);
void kb_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void kb_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kb_csv(const char *bcase, const char *mech, size_t size,
	    const char *param, const char *metric, double value);
void *kb_alloc(size_t size);
void kb_free(void *p, size_t size);
double kb_pct(double *v, size_t n, double pct);

/* kipc-bench-cases.c */
void kb_case_select(double budget_s);
void kb_case_self(const char *mechs, double budget_s);
void kb_case_memcpy(size_t size, double budget_s);
void kb_case_owner_death(unsigned int reps);
void kb_case_lock(unsigned int n);
void kb_case_lease(unsigned int n);

static inline void kb_stamp(void *buf, uint64_t v)
{
	__builtin_memcpy(buf, &v, sizeof(v));
}

static inline uint64_t kb_stamp_of(const void *buf)
{
	uint64_t v;

	__builtin_memcpy(&v, buf, sizeof(v));
	return v;
}

#endif /* KIPC_BENCH_H */
