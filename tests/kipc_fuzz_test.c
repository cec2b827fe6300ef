// SPDX-License-Identifier: GPL-2.0
/*
 * kipc ioctl/mmap fuzzer: seeded, reproducible, bounded by a call count
 * and a time limit.
 *
 * It keeps a pool of file descriptors of every kind (contexts, queue,
 * region, ring and event handles with every access mode, plus a pipe, an
 * eventfd and an epoll fd that are not kipc's) and drives random and
 * mutated calls at them:
 *
 * - ioctl: every kipc command, commands with a wrong size, direction or
 *   number, and other drivers' numbers; on every kind of fd (context
 *   commands on handles, queue commands on regions...).  The argument
 *   struct starts valid and is mutated: size (0, one short, one long with
 *   a zero or non-zero tail, huge), flags, reserved fields, pointers
 *   (NULL, kernel addresses, unmapped, misaligned, running into a guard
 *   page), lengths (0, huge, off by one), offsets, counts, types,
 *   priorities and timeouts; or the argument pointer itself is bad.
 * - mmap/mprotect/munmap with random lengths, offsets, protections and
 *   flags; successful mappings are read, written and scribbled over
 *   (lock words and ring headers included), and some outlive their fd.
 * - poll, read and write on any fd; close, dup and fresh creates and
 *   opens by name; generic netlink requests to the kipc family with
 *   random commands, flags and attributes; forked children that run the
 *   same mix and are killed with their objects (owner death mid-use).
 *
 * Two threads share the pool, so fds are closed and replaced under calls
 * in flight.  A per-thread timer signal (no SA_RESTART) ends any wait that
 * a fuzzed timeout made endless, with EINTR.
 *
 * Every ioctl must return success with a sane value (an fd, a count) or
 * one of the errnos documented for it (uapi/linux/kipc.h, docs/); any
 * other errno is a failure and is logged with the call.  The kernel side
 * (KASAN, lockdep, kmemleak, hangs) is judged by the VM runner.
 *
 * Reproduce: --seed S --count N --threads 1 gives the same call sequence
 * (the forked children and the timer make timing differ, not the calls).
 * At the end it prints where the time went per kind of call and the
 * rate.  On the debug kernel under TCG an ioctl costs 0.4-1 ms, an mmap
 * and munmap 2.5-6 ms, a netlink request 5-15 ms and a fork 120-270 ms
 * (the higher figures on a busy host); the timer ticks every 20 ms (at
 * 3 ms, the first version took more signals than it made calls) and one
 * call in 1,600 forks.
 *
 * Knobs: --count (KIPC_FUZZ_COUNT), --seconds, --seed, --threads,
 * --tick_ms; one harness test, "fuzz".
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/genetlink.h>

#include "lib/kt_harness.h"
#include "kipc-nl.h"

static uint64_t k_count = 20000;
static uint64_t k_seconds = 300;
static uint64_t k_seed = 1;
static uint64_t k_threads = 2;
static uint64_t k_case_timeout = 300;
static uint64_t k_tick_ms = 20;

/* --- the pool -------------------------------------------------------- */

enum fkind { F_NONE, F_CTX, F_QUEUE, F_REGION, F_EVENT, F_OTHER, F_CLOSED };

#define NSLOTS		40
#define NNAMES		12
#define NMAPS		8

struct slot {
	int fd;
	enum fkind kind;
	_Atomic unsigned int gen;	/* bumped whenever fd or kind change */
	pthread_mutex_t lock;		/* held while the slot is replaced */
};

static struct slot slots[NSLOTS];
static char names[NNAMES][64];

/* Counters, per errno and in total. */
static _Atomic uint64_t n_calls, n_ok, n_bad, n_errno[140];
static _Atomic uint64_t n_ioctl, n_mmap, n_other, n_netlink, n_forks;
static _Atomic int logged;
static _Atomic int stop;
static int64_t deadline_ns;
static int genl_family;

/*
 * A PROT_NONE range for "unmapped" pointers (a real hole could be reused
 * by a later mmap or by malloc, and the kernel would then write into the
 * fuzzer's own heap).  Each thread has its own scratch pages (below).
 */
static unsigned char *unmapped;

#define PG	4096

/*
 * Each thread's data area.  A "good" payload pointer is its start, and a
 * receive may write a whole message there whatever length the fuzzed
 * descriptor claims: up to KIPC_MSG_SIZE_MAX, so the payload part is
 * larger than that.  Descriptor arrays follow (a fuzzed count may make the
 * kernel read and write up to KIPC_BATCH_MAX of them), then names.
 */
#define PAYLOAD_SIZE	(2U << 20)
#define DESC_OFF	PAYLOAD_SIZE
#define NAME_OFF	(DESC_OFF + (128U << 10))
#define DATA_SIZE	(NAME_OFF + PG)

struct fz {
	struct kt_rng r;
	int tid;
	int child;		/* a forked child: lenient about fd kinds */
	uint64_t calls;
	void *maps[NMAPS];
	size_t maplen[NMAPS];
	struct kipcnl *nl;		/* its netlink socket, or NULL */
	/*
	 * Two pages and a PROT_NONE guard page of this thread's own: a
	 * pointer that "runs into the guard page" points into them, so the
	 * kernel's writes through it can only land here, never in another
	 * thread's memory (or stack).  The ioctl struct is the last 512
	 * bytes before the guard, so a struct size too large runs into it.
	 */
	unsigned char *scratch;
	unsigned char *buf;	/* this thread's struct buffer (in scratch) */
	unsigned char *data;	/* payload buffers */
};

/* --- the documented errnos ------------------------------------------- */

/* errno -> bit: small errnos are themselves, the large ones get 58..62. */
#define B(e)	((e) == EOVERFLOW ? 1ULL << 58 : (e) == EMSGSIZE ? 1ULL << 59 : \
		 (e) == ETIMEDOUT ? 1ULL << 60 : (e) == EOWNERDEAD ? 1ULL << 61 : \
		 (e) == ENOTRECOVERABLE ? 1ULL << 62 : \
		 (e) > 0 && (e) < 58 ? 1ULL << ((e) & 63) : 1ULL << 63)
#define E_ARG	(B(EINVAL) | B(E2BIG) | B(EFAULT))
#define E_WAIT	(B(EAGAIN) | B(ETIMEDOUT) | B(EINTR))
#define E_NAME	(B(ENOENT) | B(EEXIST) | B(ENAMETOOLONG))

struct fcmd {
	unsigned long cmd;
	const char *name;
	enum fkind kind;	/* the fd kind it belongs to */
	size_t size;		/* struct size */
	uint64_t errs;		/* allowed errnos */
};

static const struct fcmd fcmds[] = {
	{ KIPC_IOC_QUEUE_CREATE, "QUEUE_CREATE", F_CTX, 48,
	  E_ARG | E_NAME | B(ENOSPC) | B(ENOMEM) },
	{ KIPC_IOC_OPEN, "OPEN", F_CTX, 24,
	  E_ARG | E_NAME | B(EACCES) | B(ENOTTY) | B(ENOSPC) | B(ENOMEM) },
	{ KIPC_IOC_UNLINK, "UNLINK", F_CTX, 16, E_ARG | E_NAME | B(EPERM) },
	{ KIPC_IOC_REGION_CREATE, "REGION_CREATE", F_CTX, 32,
	  E_ARG | E_NAME | B(ENOSPC) | B(ENOMEM) | B(EINTR) },
	{ KIPC_IOC_EVENT_CREATE, "EVENT_CREATE", F_CTX, 32,
	  E_ARG | E_NAME | B(ENOSPC) | B(ENOMEM) },
	{ KIPC_IOC_SEND, "SEND", F_QUEUE, 32,
	  E_ARG | E_WAIT | B(EMSGSIZE) | B(EPIPE) | B(EBADF) },
	{ KIPC_IOC_RECV, "RECV", F_QUEUE, 40,
	  E_ARG | E_WAIT | B(EMSGSIZE) | B(EPIPE) | B(EBADF) },
	{ KIPC_IOC_SHUTDOWN, "SHUTDOWN", F_QUEUE, 8, E_ARG | B(EBADF) },
	{ KIPC_IOC_QUEUE_STAT, "QUEUE_STAT", F_QUEUE, 160, E_ARG },
	{ KIPC_IOC_REGION_STAT, "REGION_STAT", F_REGION, 56, E_ARG },
	{ KIPC_IOC_WAIT, "WAIT", F_REGION, 32,
	  E_ARG | E_WAIT | B(EPIPE) | B(EBADF) },
	{ KIPC_IOC_WAKE, "WAKE", F_REGION, 24, E_ARG | B(EBADF) },
	{ KIPC_IOC_LOCK_INIT, "LOCK_INIT", F_REGION, 24,
	  E_ARG | B(EBADF) | B(ENOSPC) | B(EBUSY) | B(ENOMEM) },
	{ KIPC_IOC_LOCK, "LOCK", F_REGION, 24,
	  E_ARG | E_WAIT | B(EBADF) | B(EOWNERDEAD) | B(ENOTRECOVERABLE) |
	  B(EDEADLK) },
	{ KIPC_IOC_UNLOCK, "UNLOCK", F_REGION, 24, E_ARG | B(EBADF) | B(EPERM) },
	{ KIPC_IOC_RING_ATTACH, "RING_ATTACH", F_REGION, 16,
	  E_ARG | B(EBADF) | B(EBUSY) | B(ENOTTY) | B(EPIPE) },
	{ KIPC_IOC_EVENT_POST, "EVENT_POST", F_EVENT, 16,
	  E_ARG | B(EBADF) | B(EPIPE) | B(EOVERFLOW) },
	{ KIPC_IOC_EVENT_WAIT, "EVENT_WAIT", F_EVENT, 24,
	  E_ARG | E_WAIT | B(EBADF) | B(EPIPE) },
	{ KIPC_IOC_EVENT_STAT, "EVENT_STAT", F_EVENT, 48, E_ARG },
};
#define NCMDS	(sizeof(fcmds) / sizeof(fcmds[0]))

/* Any documented errno: for calls whose fd changed under them. */
#define E_ANY	(E_ARG | E_WAIT | E_NAME | B(EMSGSIZE) | B(EPIPE) | \
		 B(EOWNERDEAD) | B(ENOTRECOVERABLE) | B(EACCES) | B(EPERM) | \
		 B(ENOSPC) | B(EBADF) | B(ENOTTY) | B(EOVERFLOW) | \
		 B(EDEADLK) | B(EBUSY) | B(ENOMEM))

static void fz_bad(struct fz *f, const char *what, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	atomic_fetch_add(&n_bad, 1);
	if (atomic_fetch_add(&logged, 1) >= 30)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kt_log("UNEXPECTED thread %d call %" PRIu64 ": %s: %s", f->tid,
	       f->calls, what, msg);
}

static void count_errno(int e)
{
	if (e >= 0 && e < 140)
		atomic_fetch_add(&n_errno[e], 1);
}

/* --- values ---------------------------------------------------------- */

static uint64_t fz_u64(struct fz *f)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 31, 32, 33, 63, 64, 255, 256, 1023, 1024,
		1025, 4095, 4096, 4097, 8191, 8192, 65535, 65536, 65537,
		1U << 20, (1U << 20) + 1, 0x7fffffff, 0x80000000, 0xffffffff,
		0x100000000ULL, 1ULL << 40, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, ~0ULL, ~0ULL - 1,
	};

	switch (kt_below(&f->r, 4)) {
	case 0:
		return kt_next(&f->r);
	case 1:
		return kt_below(&f->r, 64);
	default:
		return v[kt_below(&f->r, sizeof(v) / sizeof(v[0]))];
	}
}

/* A small value most of the time, something odd sometimes. */
static uint64_t fz_small(struct fz *f, uint64_t max)
{
	return kt_one_in(&f->r, 6) ? fz_u64(f) : kt_below(&f->r, max + 1);
}

/* A user pointer: valid mostly, else one of the classic bad ones. */
static uint64_t fz_ptr(struct fz *f, void *good, size_t len)
{
	/* One in four is bad: enough calls must get past the checks. */
	switch (kt_below(&f->r, 28)) {
	case 0: return 0;
	case 1: return 0xffffffff81000000ULL;		/* kernel text */
	case 2: return 0xffff888000000000ULL;		/* direct map */
	case 3: return (uint64_t)(uintptr_t)unmapped;
	case 4: return (uint64_t)(uintptr_t)good + 1 + kt_below(&f->r, 7);
	case 5: /* runs into the guard page, from inside the scratch pages */
		if (!len || len > 2 * PG)
			len = 2 * PG;
		return (uint64_t)(uintptr_t)(f->scratch + 2 * PG -
					     kt_range(&f->r, 1, len));
	case 6: return fz_u64(f);
	default: return (uint64_t)(uintptr_t)good;
	}
}

static int64_t fz_timeout(struct fz *f)
{
	switch (kt_below(&f->r, 8)) {
	case 0: return -1;				/* the timer ends it */
	case 1: return kt_range(&f->r, 1, 2000000);	/* <= 2 ms */
	case 2: return (int64_t)fz_u64(f);
	default: return 0;
	}
}

static const char *fz_name(struct fz *f, char *buf)
{
	switch (kt_below(&f->r, 12)) {
	case 0: {
		size_t n = kt_range(&f->r, 0, 300), i;

		for (i = 0; i < n; i++)
			buf[i] = "abc/._-\x01 Z9"[kt_below(&f->r, 12)];
		buf[n] = '\0';
		return buf;
	}
	case 1:
		memset(buf, 'n', 255);
		buf[0] = '/';
		buf[255 + kt_below(&f->r, 2)] = '\0';
		buf[256] = '\0';
		return buf;
	default:
		return names[kt_below(&f->r, NNAMES)];
	}
}

/* --- the pool -------------------------------------------------------- */

static int make_fd(struct kt_rng *r, enum fkind *kind)
{
	struct kipc_queue_attr qa;
	struct kipc_ring *ring;
	const char *name = names[kt_below(r, NNAMES)];
	int fd, acc = (int)kt_range(r, 1, 3), flags, i;

	flags = kt_one_in(r, 3) ? KIPC_NONBLOCK : 0;
	flags |= kt_one_in(r, 8) ? KIPC_PERSIST : 0;
	switch (kt_below(r, 12)) {
	case 0:
		*kind = F_CTX;
		fd = open(KIPC_DEV, O_RDWR | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	case 1:
		*kind = F_OTHER;
		switch (kt_below(r, 3)) {
		case 0: fd = eventfd(0, EFD_CLOEXEC); break;
		case 1: fd = epoll_create1(EPOLL_CLOEXEC); break;
		default: {
			int p[2];

			if (pipe2(p, O_CLOEXEC))
				return -errno;
			i = kt_below(r, 2);
			close(p[!i]);
			fd = p[i];
		}
		}
		return fd < 0 ? -errno : fd;
	case 2: case 3:
		*kind = F_QUEUE;
		memset(&qa, 0, sizeof(qa));
		qa.max_msgs = kt_below(r, 40);
		qa.max_msg_size = kt_one_in(r, 4) ? kt_below(r, 70000) : 0;
		qa.policy = kt_below(r, 4);
		qa.flags = kt_one_in(r, 4) ? KIPC_Q_CONFLATE : 0;
		fd = kipc_queue_create(kt_one_in(r, 2) ? name : NULL, &qa,
				       flags, 0600);
		if (fd == -EEXIST)
			fd = kipc_queue_open(name, acc | (flags & KIPC_NONBLOCK));
		return fd;
	case 4: case 5:
		*kind = F_REGION;
		fd = kipc_region_create(kt_one_in(r, 2) ? name : NULL,
					kt_range(r, 1, 5 * PG), flags, 0600);
		if (fd == -EEXIST)
			fd = kipc_region_open(name, acc | (flags & KIPC_NONBLOCK));
		if (fd >= 0 && kt_one_in(r, 2))
			kipc_lock_init(fd, kt_below(r, 16) * 4);
		return fd;
	case 6: {
		*kind = F_REGION;
		fd = kipc_ring_create(name, PG << kt_below(r, 3),
				      (kt_one_in(r, 2) ? KIPC_RING_PRODUCER :
						      KIPC_RING_CONSUMER) |
				      (flags & KIPC_NONBLOCK), 0600, &ring);
		if (fd == -EEXIST)
			fd = kipc_ring_open(name, KIPC_RDWR, &ring);
		if (fd < 0)
			return fd;
		/* Keep the handle, let the library forget the ring. */
		fd = dup(kipc_ring_fd(ring));
		kipc_ring_close(ring);
		return fd < 0 ? -errno : fd;
	}
	case 7: case 8:
		*kind = F_EVENT;
		fd = kipc_event_create(kt_one_in(r, 2) ? name : NULL,
				       kt_range(r, 1, 3), kt_below(r, 2),
				       flags, 0600);
		if (fd == -EEXIST)
			fd = kipc_event_open(name, acc | (flags & KIPC_NONBLOCK));
		return fd;
	default:
		/* Open whatever has the name, any kind, any access. */
		*kind = F_NONE;
		fd = kipc_queue_open(name, acc);
		if (fd >= 0) {
			*kind = F_QUEUE;
			return fd;
		}
		fd = kipc_region_open(name, acc);
		if (fd >= 0) {
			*kind = F_REGION;
			return fd;
		}
		fd = kipc_event_open(name, acc);
		if (fd >= 0)
			*kind = F_EVENT;
		return fd;
	}
}

/* Replace slot @i with a fresh fd (or leave it closed). */
static void slot_refill(struct kt_rng *r, int i)
{
	struct slot *s = &slots[i];
	enum fkind kind = F_NONE;
	int fd;

	pthread_mutex_lock(&s->lock);
	atomic_fetch_add(&s->gen, 1);	/* odd: in flux */
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->kind = F_CLOSED;
	fd = kt_one_in(r, 10) ? -1 : make_fd(r, &kind);
	if (fd >= 0) {
		s->fd = fd;
		s->kind = kind;
	}
	atomic_fetch_add(&s->gen, 1);
	pthread_mutex_unlock(&s->lock);
}

/* --- ioctl ----------------------------------------------------------- */

/* Fill the struct for @c in @f->buf, valid-ish, then mutate it. */
static size_t build_arg(struct fz *f, const struct fcmd *c, enum fkind kind)
{
	unsigned char *b = f->buf;
	struct kipc_msgdesc *d = (struct kipc_msgdesc *)(f->data + DESC_OFF);
	uint32_t *u32 = (uint32_t *)b;
	uint64_t *u64 = (uint64_t *)b;
	size_t size = c->size, i, n;
	char *nm = (char *)f->data + NAME_OFF;

	memset(b, 0, 512);
	u32[0] = size;
	switch (c->cmd) {
	case KIPC_IOC_QUEUE_CREATE: {
		struct kipc_ioc_queue_create *a = (void *)b;

		a->name = kt_one_in(&f->r, 3) ? 0 :
			  fz_ptr(f, (void *)fz_name(f, nm), 8);
		a->flags = fz_small(f, 15) & (kt_one_in(&f->r, 4) ? ~0U : 0xc);
		a->mode = kt_one_in(&f->r, 8) ? fz_u64(f) : 0600;
		a->policy = fz_small(f, 4);
		a->max_msgs = fz_small(f, 64);
		a->max_msg_size = fz_small(f, 9000);
		a->max_bytes = kt_one_in(&f->r, 2) ? 0 : fz_u64(f);
		a->qflags = fz_small(f, 1);
		break;
	}
	case KIPC_IOC_OPEN: {
		struct kipc_ioc_open *a = (void *)b;

		a->flags = fz_small(f, 7);
		a->name = fz_ptr(f, (void *)fz_name(f, nm), 8);
		a->kind = fz_small(f, 4);
		break;
	}
	case KIPC_IOC_UNLINK: {
		struct kipc_ioc_unlink *a = (void *)b;

		/* Mostly the wrong names: the pool needs its objects. */
		a->name = fz_ptr(f, (void *)fz_name(f, nm), 8);
		if (kt_below(&f->r, 4))
			a->name = fz_ptr(f, "/fz-nothing", 8);
		a->flags = kt_one_in(&f->r, 8) ? fz_u64(f) : 0;
		break;
	}
	case KIPC_IOC_REGION_CREATE: {
		struct kipc_ioc_region_create *a = (void *)b;

		a->flags = fz_small(f, 15) & (kt_one_in(&f->r, 4) ? ~0U : 0xc);
		a->name = kt_one_in(&f->r, 3) ? 0 :
			  fz_ptr(f, (void *)fz_name(f, nm), 8);
		a->mode = kt_one_in(&f->r, 8) ? fz_u64(f) : 0600;
		a->ring = kt_one_in(&f->r, 3) ? fz_small(f, 48) & 0x30 : 0;
		/* Sizes stay small unless odd: memory is finite. */
		a->region_size = kt_one_in(&f->r, 8) ? fz_u64(f) :
				 (kt_one_in(&f->r, 2) ? PG << kt_below(&f->r, 4) :
							kt_range(&f->r, 0, 3 * PG));
		if (a->region_size > (16U << 20) && a->region_size < (1ULL << 30))
			a->region_size = 16U << 20;
		break;
	}
	case KIPC_IOC_EVENT_CREATE: {
		struct kipc_ioc_event_create *a = (void *)b;

		a->flags = fz_small(f, 15) & (kt_one_in(&f->r, 4) ? ~0U : 0xc);
		a->name = kt_one_in(&f->r, 3) ? 0 :
			  fz_ptr(f, (void *)fz_name(f, nm), 8);
		a->mode = 0600;
		a->kind = fz_small(f, 4);
		a->initial = fz_small(f, 2);
		break;
	}
	case KIPC_IOC_SEND:
	case KIPC_IOC_RECV: {
		struct kipc_ioc_send *a = (void *)b;
		struct kipc_ioc_recv *rv = (void *)b;

		n = kt_one_in(&f->r, 4) ? kt_range(&f->r, 1, 40) : 1;
		for (i = 0; i < n; i++) {
			memset(&d[i], 0, sizeof(d[i]));
			d[i].type = fz_small(f, 5);
			d[i].prio = fz_small(f, 32);
			d[i].len = kt_one_in(&f->r, 6) ? fz_u64(f) :
				   kt_below(&f->r, 3 * PG);
			d[i].data = fz_ptr(f, f->data, d[i].len);
			if (kt_one_in(&f->r, 16))
				d[i].flags = fz_u64(f);
			if (kt_one_in(&f->r, 16))
				d[i].__reserved = fz_u64(f);
		}
		if (c->cmd == KIPC_IOC_SEND) {
			a->msgs = fz_ptr(f, d, n * sizeof(*d));
			a->count = kt_one_in(&f->r, 8) ? fz_u64(f) : n;
			a->timeout_ns = fz_timeout(f);
			a->flags = kt_one_in(&f->r, 16) ? fz_u64(f) : 0;
			a->__reserved = kt_one_in(&f->r, 16) ? fz_u64(f) : 0;
		} else {
			rv->msgs = fz_ptr(f, d, n * sizeof(*d));
			rv->count = kt_one_in(&f->r, 8) ? fz_u64(f) : n;
			rv->sel_mode = fz_small(f, 4);
			rv->sel_type = rv->sel_mode ? fz_small(f, 5) : 0;
			if (kt_one_in(&f->r, 8))
				rv->sel_type = fz_u64(f);
			rv->timeout_ns = fz_timeout(f);
			rv->flags = kt_one_in(&f->r, 16) ? fz_u64(f) : 0;
			rv->__reserved = kt_one_in(&f->r, 16) ? fz_u64(f) : 0;
		}
		break;
	}
	case KIPC_IOC_WAIT: {
		struct kipc_ioc_wait *a = (void *)b;

		a->offset = fz_small(f, 5 * PG);
		a->expected = kt_one_in(&f->r, 2) ? 0 : fz_u64(f);
		a->timeout_ns = fz_timeout(f);
		a->__reserved = kt_one_in(&f->r, 16) ? fz_u64(f) : 0;
		break;
	}
	case KIPC_IOC_WAKE: {
		struct kipc_ioc_wake *a = (void *)b;

		a->offset = fz_small(f, 5 * PG);
		a->count = fz_small(f, 8);
		a->__reserved = kt_one_in(&f->r, 16) ? fz_u64(f) : 0;
		break;
	}
	case KIPC_IOC_LOCK_INIT:
	case KIPC_IOC_LOCK:
	case KIPC_IOC_UNLOCK: {
		struct kipc_ioc_lock *a = (void *)b;

		a->offset = kt_one_in(&f->r, 2) ? kt_below(&f->r, 16) * 4 :
						  fz_small(f, 5 * PG);
		a->timeout_ns = c->cmd == KIPC_IOC_LOCK || kt_one_in(&f->r, 8) ?
				fz_timeout(f) : 0;
		break;
	}
	case KIPC_IOC_RING_ATTACH: {
		struct kipc_ioc_ring_attach *a = (void *)b;

		a->role = kt_one_in(&f->r, 2) ? 0 : fz_small(f, 48);
		a->__reserved = kt_one_in(&f->r, 16) ? fz_u64(f) : 0;
		break;
	}
	case KIPC_IOC_EVENT_POST: {
		struct kipc_ioc_event_post *a = (void *)b;

		a->value = kt_one_in(&f->r, 4) ? fz_u64(f) : kt_range(&f->r, 0, 3);
		break;
	}
	case KIPC_IOC_EVENT_WAIT: {
		struct kipc_ioc_event_wait *a = (void *)b;

		a->timeout_ns = fz_timeout(f);
		break;
	}
	}
	/* Flags of the handle calls are 0 but for the mutation. */
	if (kt_one_in(&f->r, 12))
		u32[1] = fz_u64(f);
	/* The size field: exact mostly. */
	switch (kt_below(&f->r, 20)) {
	case 0: u32[0] = 0; break;
	case 1: u32[0] = size - kt_range(&f->r, 1, 8); break;
	case 2:			/* longer, zero tail: fine */
		u32[0] = size + kt_range(&f->r, 1, 64);
		break;
	case 3:			/* longer, non-zero tail: E2BIG */
		u32[0] = size + kt_range(&f->r, 1, 64);
		b[kt_range(&f->r, size, u32[0] - 1)] = 1 + kt_below(&f->r, 255);
		break;
	case 4: u32[0] = kt_one_in(&f->r, 2) ? PG * 2 : fz_u64(f); break;
	}
	/* Random bytes anywhere, now and then. */
	if (kt_one_in(&f->r, 10))
		b[kt_below(&f->r, size)] ^= 1 << kt_below(&f->r, 8);
	if (kt_one_in(&f->r, 20))
		u64[kt_below(&f->r, size / 8)] = fz_u64(f);
	(void)kind;
	return u32[0];
}

/* Record a create/open result: keep the fd in a slot, or close it. */
static void adopt(struct fz *f, int fd, unsigned long cmd, int slot)
{
	struct slot *s = &slots[slot];
	enum fkind kind = cmd == KIPC_IOC_QUEUE_CREATE ? F_QUEUE :
			  cmd == KIPC_IOC_REGION_CREATE ? F_REGION :
			  cmd == KIPC_IOC_EVENT_CREATE ? F_EVENT : F_NONE;

	if (kind == F_NONE || !kt_one_in(&f->r, 4) ||
	    pthread_mutex_trylock(&s->lock)) {
		close(fd);
		return;
	}
	atomic_fetch_add(&s->gen, 1);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	s->kind = kind;
	atomic_fetch_add(&s->gen, 1);
	pthread_mutex_unlock(&s->lock);
}

static int returns_fd(unsigned long cmd)
{
	return cmd == KIPC_IOC_QUEUE_CREATE || cmd == KIPC_IOC_REGION_CREATE ||
	       cmd == KIPC_IOC_EVENT_CREATE || cmd == KIPC_IOC_OPEN;
}

static void fz_ioctl(struct fz *f)
{
	int si = kt_below(&f->r, NSLOTS), fd, ret, e;
	struct slot *s = &slots[si];
	const struct fcmd *c = &fcmds[kt_below(&f->r, NCMDS)];
	unsigned long cmd = c->cmd, arg;
	unsigned int gen;
	enum fkind kind;
	uint64_t allowed;
	int mutated = 0;
	unsigned char in[512] __attribute__((aligned(8)));

	gen = atomic_load(&s->gen);
	fd = s->fd;
	kind = s->kind;
	if (kt_below(&f->r, 3)) {
		/* A fitting fd, so most calls get past the dispatcher. */
		int j, k = kt_below(&f->r, NSLOTS);

		for (j = 0; j < NSLOTS; j++) {
			struct slot *t = &slots[(k + j) % NSLOTS];

			if (t->kind == c->kind) {
				s = t;
				gen = atomic_load(&s->gen);
				fd = s->fd;
				kind = s->kind;
				break;
			}
		}
	}
	build_arg(f, c, kind);
	arg = (unsigned long)f->buf;

	switch (kt_below(&f->r, 40)) {
	case 0:		/* another size in the command number */
		cmd = (cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
		      ((unsigned long)kt_below(&f->r, 256) << _IOC_SIZESHIFT);
		mutated = cmd != c->cmd;
		break;
	case 1:		/* another direction */
		cmd ^= (unsigned long)kt_range(&f->r, 1, 3) << _IOC_DIRSHIFT;
		mutated = 1;
		break;
	case 2:		/* another number with kipc's magic */
		cmd = _IOC(kt_below(&f->r, 4), KIPC_IOC_MAGIC,
			   kt_below(&f->r, 0x48), kt_below(&f->r, 200));
		mutated = 1;
		for (size_t i = 0; i < NCMDS; i++)
			if (fcmds[i].cmd == cmd)
				mutated = 0, c = &fcmds[i];
		break;
	case 3:		/* another driver's magic (not 'T', 'f', 'X', 0) */
		do {
			cmd = _IOC(kt_below(&f->r, 4), kt_below(&f->r, 256),
				   kt_below(&f->r, 256), kt_below(&f->r, 512));
		} while (_IOC_TYPE(cmd) == 'T' || _IOC_TYPE(cmd) == 'f' ||
			 _IOC_TYPE(cmd) == 'X' || _IOC_TYPE(cmd) == 0 ||
			 _IOC_TYPE(cmd) == 0x94 || _IOC_TYPE(cmd) == KIPC_IOC_MAGIC ||
			 _IOC_TYPE(cmd) == 'W' || _IOC_TYPE(cmd) == 'v' ||
			 _IOC_TYPE(cmd) == 0x12);
		mutated = 1;
		break;
	case 4:		/* a bad argument pointer */
		arg = fz_ptr(f, f->buf, c->size);
		break;
	}

	/*
	 * What was passed: the kernel may legitimately write over f->buf
	 * (a payload pointer into the scratch pages), so check against this.
	 */
	memcpy(in, f->buf, sizeof(in));
	atomic_fetch_add(&n_ioctl, 1);
	ret = ioctl(fd, cmd, arg);
	e = ret < 0 ? errno : 0;
	count_errno(e);

	if (atomic_load(&s->gen) != gen || (gen & 1) || f->child) {
		/*
		 * The fd changed under us (or, in a forked child, the pool
		 * was copied mid-change): any documented result will do.
		 */
		if (ret > 2 && returns_fd(cmd))
			close(ret);
		if (ret >= 0)
			return;
		if (!(B(e) & E_ANY))
			fz_bad(f, c->name, "fd %d (replaced): errno %d %s", fd,
			       e, strerror(e));
		return;
	}
	if (fd < 0 || kind == F_CLOSED || kind == F_NONE) {
		if (e != EBADF)
			fz_bad(f, c->name, "closed fd: ret %d errno %s", ret,
			       strerror(e));
		return;
	}
	if (kind == F_OTHER || mutated || kind != c->kind) {
		if (e != ENOTTY)
			fz_bad(f, c->name, "cmd %#lx on kind %d: ret %d errno %s",
			       cmd, kind, ret, strerror(e));
		if (ret > 2 && returns_fd(cmd))
			close(ret);
		return;
	}
	allowed = c->errs;
	if (ret < 0) {
		if (!(B(e) & allowed))
			fz_bad(f, c->name, "errno %d (%s), size %u, arg %#lx",
			       e, strerror(e), *(uint32_t *)in, arg);
		return;
	}
	atomic_fetch_add(&n_ok, 1);
	switch (c->cmd) {
	case KIPC_IOC_QUEUE_CREATE:
	case KIPC_IOC_REGION_CREATE:
	case KIPC_IOC_EVENT_CREATE:
	case KIPC_IOC_OPEN:
		if (ret < 3)
			fz_bad(f, c->name, "returned fd %d", ret);
		else
			adopt(f, ret, c->cmd, kt_below(&f->r, NSLOTS));
		break;
	case KIPC_IOC_SEND:
		if (ret < 1 || ret > KIPC_BATCH_MAX ||
		    ret > (int)((struct kipc_ioc_send *)in)->count)
			fz_bad(f, c->name, "returned %d", ret);
		break;
	case KIPC_IOC_RECV:
		if (ret < 1 || ret > KIPC_BATCH_MAX ||
		    ret > (int)((struct kipc_ioc_recv *)in)->count)
			fz_bad(f, c->name, "returned %d", ret);
		break;
	case KIPC_IOC_WAKE:
		if ((unsigned int)ret > ((struct kipc_ioc_wake *)in)->count)
			fz_bad(f, c->name, "woke %d", ret);
		break;
	default:
		if (ret)
			fz_bad(f, c->name, "returned %d", ret);
	}
}

/* --- mmap and friends ------------------------------------------------ */

static void fz_mmap(struct fz *f)
{
	int si = kt_below(&f->r, NSLOTS), fd, prot, flags, e, m;
	struct slot *s = &slots[si];
	unsigned int gen = atomic_load(&s->gen);
	enum fkind kind = s->kind;
	size_t len, i, j, np;
	off_t off;
	unsigned char *p;
	int all;

	fd = s->fd;
	switch (kt_below(&f->r, 6)) {
	case 0: len = 0; break;
	case 1: len = kt_range(&f->r, 1, 6 * PG); break;
	case 2: len = (size_t)fz_u64(f); break;
	default: len = kt_range(&f->r, 1, 6) * PG;
	}
	prot = kt_below(&f->r, 8);		/* R, W, X in any mix */
	flags = kt_one_in(&f->r, 6) ? MAP_PRIVATE : MAP_SHARED;
	if (kt_one_in(&f->r, 16))
		flags |= MAP_POPULATE;
	off = kt_one_in(&f->r, 4) ? (off_t)fz_small(f, 8) * PG : 0;
	if (kt_one_in(&f->r, 16))
		off = (off_t)fz_u64(f);
	atomic_fetch_add(&n_mmap, 1);
	p = mmap(NULL, len, prot, flags, fd, off);
	e = p == MAP_FAILED ? errno : 0;
	count_errno(e);
	if (p == MAP_FAILED) {
		if (!(B(e) & (B(EINVAL) | B(EACCES) | B(ENODEV) | B(ENOMEM) |
			      B(EBADF) | B(EOVERFLOW) | B(EPERM))))
			fz_bad(f, "mmap", "kind %d len %zu prot %d: %s", kind,
			       len, prot, strerror(e));
		return;
	}
	if (atomic_load(&s->gen) == gen && !(gen & 1) && !f->child &&
	    kind != F_REGION)
		fz_bad(f, "mmap", "kind %d mapped", kind);
	atomic_fetch_add(&n_ok, 1);
	/*
	 * Touch the first page, the last and one between (every page only
	 * now and then: a fault costs ~1 ms on the debug kernel under TCG);
	 * scribble over lock words and ring headers.
	 */
	np = (len + PG - 1) / PG;
	all = kt_one_in(&f->r, 8);
	for (j = 0; j < (all ? np : 3) && np; j++) {
		i = all ? j * PG : j == 0 ? 0 : j == 1 ? (np - 1) * PG :
				   kt_below(&f->r, np) * PG;
		if (prot & PROT_READ)
			(void)((volatile unsigned char *)p)[i];
		if (prot & PROT_WRITE && kt_one_in(&f->r, 2))
			((volatile uint32_t *)(p + i))[kt_below(&f->r, 64)] =
				kt_one_in(&f->r, 2) ? (uint32_t)fz_u64(f) :
						      (uint32_t)kt_next(&f->r);
	}
	if (kt_one_in(&f->r, 4)) {
		e = mprotect(p, len, PROT_READ | PROT_WRITE) ? errno : 0;
		if (e && e != EACCES)
			fz_bad(f, "mprotect", "%s", strerror(e));
	}
	/* Keep some mappings past the close of their fd. */
	m = kt_below(&f->r, NMAPS);
	if (f->maps[m])
		munmap(f->maps[m], f->maplen[m]);
	f->maps[m] = NULL;
	if (kt_one_in(&f->r, 2)) {
		f->maps[m] = p;
		f->maplen[m] = len;
	} else {
		munmap(p, len);
	}
}

static void fz_misc(struct fz *f)
{
	int si = kt_below(&f->r, NSLOTS), fd = slots[si].fd;
	struct pollfd pfd[4];
	char b[64];
	int i, n;

	atomic_fetch_add(&n_other, 1);
	switch (kt_below(&f->r, 8)) {
	case 0: case 1: case 2:
		n = kt_range(&f->r, 1, 4);
		for (i = 0; i < n; i++) {
			pfd[i].fd = slots[kt_below(&f->r, NSLOTS)].fd;
			pfd[i].events = kt_below(&f->r, 0x10000);
		}
		poll(pfd, n, kt_one_in(&f->r, 4) ? 1 : 0);
		break;
	case 3:
		(void)!read(fd, b, kt_below(&f->r, sizeof(b)));
		break;
	case 4:
		(void)!write(fd, b, kt_below(&f->r, sizeof(b)));
		break;
	case 5:
		slot_refill(&f->r, si);
		break;
	case 6: {
		/* dup a slot's fd into another slot */
		struct slot *d = &slots[kt_below(&f->r, NSLOTS)];
		struct slot *sr = &slots[si];

		if (d == sr || pthread_mutex_trylock(&d->lock))
			break;
		if (pthread_mutex_trylock(&sr->lock)) {
			pthread_mutex_unlock(&d->lock);
			break;
		}
		atomic_fetch_add(&d->gen, 1);
		if (d->fd >= 0)
			close(d->fd);
		d->fd = sr->fd >= 0 ? dup(sr->fd) : -1;
		d->kind = d->fd < 0 ? F_CLOSED : sr->kind;
		atomic_fetch_add(&d->gen, 1);
		pthread_mutex_unlock(&sr->lock);
		pthread_mutex_unlock(&d->lock);
		break;
	}
	default:
		fcntl(fd, F_SETFL, kt_one_in(&f->r, 2) ? O_NONBLOCK : 0);
		break;
	}
}

/* A generic netlink request with random contents. */
static void fz_netlink(struct fz *f)
{
	static const uint16_t strs[] = { KIPC_A_OBJ_NAME };
	unsigned char msg[1024] __attribute__((aligned(8)));
	struct nlmsghdr *nh = (struct nlmsghdr *)msg;
	struct genlmsghdr *gh = NLMSG_DATA(nh);
	struct nlattr *a;
	size_t len = NLMSG_LENGTH(GENL_HDRLEN), alen;
	int i, n;

	if (!f->nl || genl_family <= 0)
		return;
	atomic_fetch_add(&n_netlink, 1);
	memset(msg, 0, sizeof(msg));
	nh->nlmsg_type = kt_one_in(&f->r, 16) ? fz_small(f, 40) : genl_family;
	nh->nlmsg_flags = NLM_F_REQUEST | (kt_one_in(&f->r, 2) ? NLM_F_ACK : 0) |
			  (kt_one_in(&f->r, 6) ? NLM_F_DUMP : 0);
	nh->nlmsg_seq = (uint32_t)f->calls;
	gh->cmd = fz_small(f, 5);
	gh->version = kt_one_in(&f->r, 8) ? kt_below(&f->r, 256) : 1;
	n = kt_below(&f->r, 5);
	for (i = 0; i < n; i++) {
		a = (struct nlattr *)(msg + len);
		alen = kt_one_in(&f->r, 2) ? 4 : kt_below(&f->r, 40);
		if (len + NLA_HDRLEN + alen > sizeof(msg))
			break;
		a->nla_type = kt_one_in(&f->r, 2) ?
			      strs[0] : kt_below(&f->r, KIPC_A_MAX + 3);
		a->nla_len = NLA_HDRLEN + alen;
		if (a->nla_type == KIPC_A_OBJ_NAME && kt_one_in(&f->r, 2)) {
			const char *nm = names[kt_below(&f->r, NNAMES)];

			alen = strlen(nm) + (kt_one_in(&f->r, 4) ? 0 : 1);
			memcpy((char *)a + NLA_HDRLEN, nm, alen);
			a->nla_len = NLA_HDRLEN + alen;
		} else {
			for (size_t j = 0; j < alen; j++)
				((unsigned char *)a)[NLA_HDRLEN + j] = kt_next(&f->r);
		}
		if (kt_one_in(&f->r, 16))
			a->nla_len = kt_below(&f->r, 0x10000);
		len += NLA_ALIGN(NLA_HDRLEN + alen);
	}
	nh->nlmsg_len = kt_one_in(&f->r, 32) ? kt_below(&f->r, len + 16) : len;
	kipcnl_raw_send(f->nl, msg, len);
	/* Drain what came back, without waiting. */
	kipcnl_drain(f->nl);
}

/* --- threads and children -------------------------------------------- */

static void on_tick(int sig)
{
	(void)sig;
}

/*
 * A timer that interrupts this thread's endless waits every TICK_MS.  Not
 * much more often: each tick is a signal delivered to a thread that is
 * mostly not waiting, and on the debug kernel under TCG a 3 ms tick cost
 * more signals than the fuzzer made calls.
 */
static void start_tick(void)
{
	struct sigevent sev;
	struct itimerspec its;
	timer_t t;

	its.it_interval.tv_sec = k_tick_ms / 1000;
	its.it_interval.tv_nsec = k_tick_ms % 1000 * 1000000;
	its.it_value = its.it_interval;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &t) == 0)
		timer_settime(t, 0, &its, NULL);
}

static void fz_loop(struct fz *f, uint64_t max, int child);

/* A child fuzzes for a moment with copies of the pool, then is killed. */
static void fz_fork(struct fz *f)
{
	uint64_t seed = kt_next(&f->r);
	long ms = kt_range(&f->r, 1, 30);
	struct fz cf;
	pid_t pid;

	atomic_fetch_add(&n_forks, 1);
	pid = kt_fork();
	if (pid < 0)
		return;
	if (!pid) {
		memset(&cf, 0, sizeof(cf));
		kt_seed(&cf.r, seed, 0);
		cf.tid = 100 + f->tid;
		cf.child = 1;
		cf.scratch = f->scratch;
		cf.buf = f->buf;
		cf.data = f->data;
		cf.nl = NULL;
		start_tick();
		fz_loop(&cf, 200, 1);
		_exit(0);
	}
	kt_sleep_us(ms * 1000);
	kill(pid, SIGKILL);
	kt_reap(pid);
}

/* Where the time goes, per kind of call (the parent's threads only). */
enum { T_IOCTL, T_MMAP, T_MISC, T_NETLINK, T_FORK, T_NR };
static const char *const t_name[T_NR] = {
	"ioctl", "mmap", "misc", "netlink", "fork",
};
static _Atomic uint64_t t_ns[T_NR], t_n[T_NR];

static void fz_loop(struct fz *f, uint64_t max, int child)
{
	int64_t t0 = child ? 0 : kt_now_ns(), t1;
	uint64_t i;
	int k;

	for (i = 0; i < max && !atomic_load(&stop); i++) {
		f->calls++;
		if (!child && atomic_fetch_add(&n_calls, 1) >= k_count) {
			atomic_store(&stop, 1);
			break;
		}
		if (!child && (f->calls & 255) == 0 && kt_now_ns() > deadline_ns) {
			atomic_store(&stop, 1);
			break;
		}
		if (!child && f->tid == 0 && (f->calls & 0xffff) == 0)
			kt_log("fuzz: %" PRIu64 " calls, %" PRIu64 " unexpected",
			       atomic_load(&n_calls), atomic_load(&n_bad));
		switch (kt_below(&f->r, 100)) {
		case 0 ... 69:
			k = T_IOCTL;
			fz_ioctl(f);
			break;
		case 70 ... 81:
			k = T_MMAP;
			fz_mmap(f);
			break;
		case 82 ... 95:
			k = T_MISC;
			fz_misc(f);
			break;
		case 96 ... 98:
			k = T_NETLINK;
			fz_netlink(f);
			break;
		default:
			/* One call in 1600: a fork costs ~250 ms there. */
			if (!child && kt_one_in(&f->r, 16)) {
				k = T_FORK;
				fz_fork(f);
			} else {
				k = T_MISC;
				fz_misc(f);
			}
		}
		if (child)
			continue;
		t1 = kt_now_ns();
		atomic_fetch_add(&t_ns[k], t1 - t0);
		atomic_fetch_add(&t_n[k], 1);
		t0 = t1;
	}
}

static void *fz_thread(void *arg)
{
	struct fz *f = arg;

	start_tick();
	fz_loop(f, UINT64_MAX, 0);
	return NULL;
}

/* Unlink every named object the module lists (netlink dump). */
static void unlink_all(void)
{
	struct kipcnl_obj *objs = NULL;
	struct kipcnl *nl;
	size_t i, nobj = 0;
	int n = 0, ret;

	if (kipcnl_open(&nl))
		return;
	ret = kipcnl_dump(nl, &objs, &nobj);
	for (i = 0; !ret && i < nobj; i++)
		if (objs[i].has_name && kipc_unlink(objs[i].name) == 0)
			n++;
	kt_log("fuzz: unlinked %d persistent objects with fuzzed names "
	       "(dump: %s)", n, ret ? strerror(-ret) : "ok");
	kipcnl_objs_free(objs, nobj);
	kipcnl_close(nl);
}

TEST(fuzz)
{
	static const char *const errs[] = {
		[EPERM] = "EPERM", [ENOENT] = "ENOENT", [EINTR] = "EINTR",
		[EBADF] = "EBADF", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
		[EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY",
		[EEXIST] = "EEXIST", [ENODEV] = "ENODEV", [EINVAL] = "EINVAL",
		[ENOTTY] = "ENOTTY", [ENOSPC] = "ENOSPC", [EPIPE] = "EPIPE",
		[E2BIG] = "E2BIG", [EDEADLK] = "EDEADLK",
		[ENAMETOOLONG] = "ENAMETOOLONG", [EMSGSIZE] = "EMSGSIZE",
		[ETIMEDOUT] = "ETIMEDOUT", [EOVERFLOW] = "EOVERFLOW",
		[EOWNERDEAD] = "EOWNERDEAD",
		[ENOTRECOVERABLE] = "ENOTRECOVERABLE",
	};
	struct sigaction sa = { .sa_handler = on_tick };	/* no SA_RESTART */
	struct kt_rng r;
	struct fz *fz;
	pthread_t th[8];
	char line[1024];
	long base, live;
	int64_t t0 = kt_now_ns();
	uint64_t calls;
	int i, n, len;

	KT_REQUIRE_KIPC();
	ASSERT_TRUE(k_threads >= 1 && k_threads <= 8);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	base = kt_live_objects();
	deadline_ns = t0 + (int64_t)k_seconds * 1000000000LL;
	kt_seed(&r, k_seed, 0);

	/* An unmapped hole. */
	unmapped = mmap(NULL, 16 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	ASSERT_TRUE(unmapped != MAP_FAILED) {
		TH_LOG("mmap");
	}
	unmapped += 8 * PG;

	for (i = 0; i < NNAMES; i++)
		snprintf(names[i], sizeof(names[i]), "/fz.%d.%d", (int)getpid(), i);
	for (i = 0; i < NSLOTS; i++) {
		pthread_mutex_init(&slots[i].lock, NULL);
		slots[i].fd = -1;
		slot_refill(&r, i);
	}
	{
		struct kipcnl *nl;

		genl_family = kipcnl_open(&nl) ? -1 : kipcnl_family(nl);
		kipcnl_close(nl);
	}

	fz = calloc(k_threads, sizeof(*fz));
	for (i = 0; i < (int)k_threads; i++) {
		kt_seed(&fz[i].r, k_seed, 10 + i);
		fz[i].tid = i;
		/* Scratch: two pages and a guard page. */
		fz[i].scratch = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, fz[i].scratch);
		ASSERT_EQ(0, mprotect(fz[i].scratch + 2 * PG, PG, PROT_NONE));
		/* The structs end at the guard page. */
		fz[i].buf = fz[i].scratch + 2 * PG - 512;
		fz[i].data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_TRUE(fz[i].data != MAP_FAILED) {
			TH_LOG("mmap");
		}
		memset(fz[i].data, 0x5a, PAYLOAD_SIZE);
		kipcnl_open(&fz[i].nl);	/* NULL when it fails */
	}
	for (i = 0; i < (int)k_threads; i++)
		pthread_create(&th[i], NULL, fz_thread, &fz[i]);
	for (i = 0; i < (int)k_threads; i++)
		pthread_join(th[i], NULL);

	/* Everything goes; the module must come back to where it was. */
	for (i = 0; i < (int)k_threads; i++) {
		for (n = 0; n < NMAPS; n++)
			if (fz[i].maps[n])
				munmap(fz[i].maps[n], fz[i].maplen[n]);
		kipcnl_close(fz[i].nl);
	}
	for (i = 0; i < NSLOTS; i++)
		if (slots[i].fd >= 0)
			close(slots[i].fd);
	for (i = 0; i < NNAMES; i++)
		kipc_unlink(names[i]);	/* the persistent ones */
	unlink_all();		/* and those with fuzzed names */
	live = kt_live_settle(base, 5000);

	calls = atomic_load(&n_calls) > k_count ? k_count :
		atomic_load(&n_calls);
	kt_log("fuzz: seed %" PRIu64 ", %" PRIu64 " calls in %.1f s (%"
	       PRIu64 " ioctl, %" PRIu64 " mmap, %" PRIu64 " other, %" PRIu64
	       " netlink, %" PRIu64 " children), %" PRIu64 " succeeded, %"
	       PRIu64 " unexpected", k_seed, calls, (kt_now_ns() - t0) / 1e9,
	       n_ioctl, n_mmap, n_other, n_netlink, n_forks, n_ok, n_bad);
	len = 0;
	for (i = 0; i < 140; i++) {
		if (!n_errno[i])
			continue;
		if (i < (int)(sizeof(errs) / sizeof(errs[0])) && errs[i])
			len += snprintf(line + len, sizeof(line) - len,
					" %s=%" PRIu64, errs[i], n_errno[i]);
		else
			len += snprintf(line + len, sizeof(line) - len,
					" %s=%" PRIu64, i ? "errno" : "ok", n_errno[i]);
		if (i && !(i < (int)(sizeof(errs) / sizeof(errs[0])) && errs[i]))
			len += snprintf(line + len, sizeof(line) - len, "(%d)", i);
		if (len > (int)sizeof(line) - 40)
			break;
	}
	kt_log("fuzz: errnos:%s", line);
	for (i = 0; i < T_NR; i++)
		kt_log("fuzz: %-7s %8" PRIu64 " calls, %7.1f s, %6.2f ms a call",
		       t_name[i], t_n[i], t_ns[i] / 1e9,
		       t_n[i] ? t_ns[i] / 1e6 / t_n[i] : 0.0);
	kt_log("fuzz: %.0f calls/s%s", calls / ((kt_now_ns() - t0) / 1e9),
	       calls < k_count ? " (stopped by the time limit)" : "");
	kt_log("fuzz: live_objects %ld -> %ld", base, live);
	EXPECT_EQ(0, n_bad);
	ASSERT_LE(0, base);
	EXPECT_EQ(base, live);
}

/* The harness's time limit is at least the fuzzer's own, plus cleanup. */
static void fuzz_fixup(void)
{
	if (k_case_timeout < k_seconds + 300)
		k_case_timeout = k_seconds + 300;
}

int main(int argc, char **argv)
{
	struct kt_knob knobs[] = {
		{ "count", &k_count, "calls in all", 2 },
		{ "seconds", &k_seconds, "stop after this long", 0 },
		{ "seed", &k_seed, "random seed", 0 },
		{ "threads", &k_threads, "fuzzing threads (1..8)", 0 },
		{ "tick_ms", &k_tick_ms, "the timer that ends endless waits", 0 },
		{ "case_timeout", &k_case_timeout, "seconds before it is hung", 0 },
		{ NULL }
	};

	return kt_harness_main("FUZZ", "kipc_fuzz", knobs, &k_case_timeout,
			       fuzz_fixup, argc, argv);
}
