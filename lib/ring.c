/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc: single-producer single-consumer rings in a region.
 *
 * The protocol (header, records and padding, memory ordering, the
 * announcement a sleeper makes and the one wake per sleep) is described
 * once, in the "DOC: SPSC rings" block of <linux/kipc.h>; this file
 * implements it.  What is the library's own:
 *
 * - A record that needs the whole data area (len = capacity - 8) may need
 *   the padding published and consumed first; the producer does that on
 *   its own while it waits.
 * - The header sits in memory the peer can write, so every index and
 *   record header is read once, checked against the capacity cached at
 *   attach, and used from a local copy; a ring that breaks the rules
 *   gives -EPROTO, never an access outside the mapping.  The peer's
 *   index is loaded and checked once per batch: again only when the
 *   records (consumer) or the room (producer) it showed are used up.
 * - A ring side is one struct kipc_ring used by one thread at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kipc.h"
#include "syscall.h"
#include "region.h"

_Static_assert(sizeof(struct kipc_ioc_ring_attach) == 16, "struct kipc_ioc_ring_attach ABI");
_Static_assert(sizeof(struct kipc_ring_hdr) == 192, "struct kipc_ring_hdr ABI");
_Static_assert(sizeof(struct kipc_ring_rec) == 8, "struct kipc_ring_rec ABI");

#define KIPC__RING_ROLES	(KIPC_RING_PRODUCER | KIPC_RING_CONSUMER)
#define KIPC__REC		((uint32_t)sizeof(struct kipc_ring_rec))
#define KIPC__HEAD_OFF		offsetof(struct kipc_ring_hdr, head)
#define KIPC__TAIL_OFF		offsetof(struct kipc_ring_hdr, tail)

struct kipc_ring {
	int fd;
	uint32_t role;		/* KIPC_RING_PRODUCER or _CONSUMER */
	struct kipc_ring_hdr *hdr;
	unsigned char *data;
	uint32_t cap, mask;	/* cached at attach: never re-read */
	size_t map_size;

	/* producer */
	uint32_t head;		/* written up to here (with padding) */
	uint32_t published;	/* hdr->head as last stored */
	uint32_t res_pos;	/* data offset of the reserved record */
	uint32_t res_len;	/* its payload capacity */
	uint32_t seen_tail;	/* hdr->tail as last loaded and checked */
	int reserved;

	/* consumer */
	uint32_t tail;		/* hdr->tail as last stored */
	uint32_t seen_head;	/* hdr->head as last loaded and checked */
	uint32_t peek_size;	/* bytes of the peeked record, 0: none */
};

/* The timeout of one call, turned into a deadline when it first sleeps. */
struct kipc__deadline {
	int64_t timeout;	/* < 0 forever, 0 never block */
	int64_t at;		/* CLOCK_MONOTONIC ns, 0 until needed */
};

static int64_t kipc__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The timeout left for kipc_wait(), or -ETIMEDOUT. */
static int64_t kipc__remaining(struct kipc__deadline *dl)
{
	int64_t now;

	if (dl->timeout < 0)
		return -1;
	now = kipc__now_ns();
	if (!dl->at) {
		if (dl->timeout > INT64_MAX - now) {
			dl->timeout = -1;	/* centuries: forever */
			return -1;
		}
		dl->at = now + dl->timeout;
	}
	return dl->at > now ? dl->at - now : -ETIMEDOUT;
}

/*
 * A sleeper announces the index it saw, seen | 2 (never 0 or 1: indexes
 * are multiples of 8), and sleeps only on that very index; the kernel's
 * poll writes 1, an interest that publishers never take.
 */
#define KIPC__WAIT_POLL		1U
#define KIPC__WAIT_SEEN(v)	((v) | 2U)
#define KIPC__WAIT_IDX(w)	((w) & ~7U)

/* One side's announcements while it waits for the peer's index to move. */
struct kipc__sleeper {
	uint32_t *waiting;	/* this side's *_waiting word */
	uint32_t seen;		/* the index announced */
	int announced;		/* announced, and the index not re-read yet */
	int waited;		/* announced at all: clear the word at the end */
};

/*
 * The peer's index reads @idx and this side must wait.  Returns 1 after
 * announcing @idx (the caller re-reads the index after the fence), or 0
 * when the announcement of @idx stands and the caller may sleep on it.
 */
static int kipc__ring_announce(struct kipc__sleeper *s, uint32_t idx)
{
	if (s->announced && idx == s->seen) {
		s->announced = 0;
		return 0;
	}
	s->seen = idx;
	__atomic_store_n(s->waiting, KIPC__WAIT_SEEN(idx), __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->announced = s->waited = 1;
	return 1;
}

static void kipc__ring_unannounce(struct kipc__sleeper *s)
{
	if (s->waited)
		__atomic_store_n(s->waiting, 0, __ATOMIC_RELAXED);
}

static uint32_t kipc__align8(uint32_t len)
{
	return (len + 7) & ~7U;
}

/*
 * Publish @val into the index @idx (head or tail, at @off), then wake the
 * peer if it announced it sleeps (see the ordering argument above).
 */
static void kipc__ring_publish(struct kipc_ring *r, uint32_t *idx,
			       size_t off, uint32_t val,
			       uint32_t *peer_waiting)
{
	uint32_t w;

	/*
	 * The publisher's half of the sleep handshake: a sequentially
	 * consistent exchange is the release store and the full fence in
	 * one instruction (x86: one xchg instead of a mov and an mfence),
	 * and the load after it is sequentially consistent too.
	 */
	(void)__atomic_exchange_n(idx, val, __ATOMIC_SEQ_CST);
	w = __atomic_load_n(peer_waiting, __ATOMIC_SEQ_CST);
	if (!w)
		return;
	if (w != KIPC__WAIT_POLL) {
		/*
		 * The sleeper saw @val already: it will not sleep on an
		 * older index, so leave its announcement for the next
		 * publish.  Otherwise take exactly this announcement, so
		 * the next publishes do not wake again; if it changed, the
		 * sleeper announced again after our fence and sees @val.
		 */
		if (KIPC__WAIT_IDX(w) == val ||
		    !__atomic_compare_exchange_n(peer_waiting, &w, 0, 0,
						 __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			return;
	}
	kipc_wake(r->fd, off, 1);
}

static void kipc__publish_head(struct kipc_ring *r)
{
	kipc__ring_publish(r, &r->hdr->head, KIPC__HEAD_OFF, r->head,
			   &r->hdr->consumer_waiting);
	r->published = r->head;
}

static void kipc__publish_tail(struct kipc_ring *r, uint32_t tail)
{
	r->tail = tail;
	kipc__ring_publish(r, &r->hdr->tail, KIPC__TAIL_OFF, tail,
			   &r->hdr->producer_waiting);
}

/*
 * Sleep while the peer's index at @off still holds @seen.  0 when woken
 * or when it moved, -EAGAIN when the handle does not block (KIPC_NONBLOCK:
 * the kernel refuses with the word unchanged), else kipc_wait()'s error.
 */
static int kipc__ring_sleep(struct kipc_ring *r, size_t off, uint32_t seen,
			    struct kipc__deadline *dl)
{
	uint32_t *word = (uint32_t *)((unsigned char *)r->hdr + off);
	int64_t left;
	int ret;

	left = kipc__remaining(dl);
	if (left == -ETIMEDOUT)
		return -ETIMEDOUT;
	ret = kipc_wait(r->fd, off, seen, left);
	if (ret == -EAGAIN &&
	    __atomic_load_n(word, __ATOMIC_ACQUIRE) == seen)
		return -EAGAIN;
	return ret == -EAGAIN ? 0 : ret;
}

/*
 * Consumer: wait for the next data record, skipping (and releasing)
 * padding.  0 with the record's header in *@rec and its size in the ring
 * in *@size, or -errno.
 */
static int kipc__ring_next(struct kipc_ring *r, int64_t timeout_ns,
			   struct kipc_ring_rec *rec, uint32_t *size)
{
	struct kipc_ring_hdr *h = r->hdr;
	struct kipc__deadline dl = { .timeout = timeout_ns };
	struct kipc__sleeper s = { .waiting = &h->consumer_waiting };
	uint32_t head, avail, pos, to_end, len, type, sz;
	int piped = 0, ret;

	for (;;) {
		/*
		 * The records up to the head loaded last are known: load
		 * (acquire) and check the peer's head again only when they
		 * are used up, once per batch of records, not per record.
		 */
		head = r->seen_head;
		avail = head - r->tail;
		if (!avail) {
			head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
			avail = head - r->tail;
			if (avail > r->cap || avail % 8) {
				ret = -EPROTO;
				break;
			}
			r->seen_head = head;
		}
		if (avail) {
			pos = r->tail & r->mask;
			to_end = r->cap - pos;
			len = __atomic_load_n((uint32_t *)(r->data + pos),
					      __ATOMIC_RELAXED);
			type = __atomic_load_n((uint32_t *)(r->data + pos + 4),
					       __ATOMIC_RELAXED);
			if (!type) {
				/* Padding runs exactly to the end. */
				if (len != to_end - KIPC__REC ||
				    to_end > avail) {
					ret = -EPROTO;
					break;
				}
				kipc__publish_tail(r, r->tail + to_end);
				continue;
			}
			if (len > r->cap - KIPC__REC) {
				ret = -EPROTO;
				break;
			}
			sz = KIPC__REC + kipc__align8(len);
			if (sz > to_end || sz > avail) {
				ret = -EPROTO;
				break;
			}
			rec->len = len;
			rec->type = type;
			*size = sz;
			ret = 0;
			break;
		}

		/* Empty: the producer's role gone (or the region) ends it. */
		if (piped || __atomic_load_n(&h->producer_gone,
					     __ATOMIC_ACQUIRE)) {
			ret = -EPIPE;
			break;
		}
		if (!timeout_ns) {
			ret = -EAGAIN;
			break;
		}
		if (kipc__ring_announce(&s, head))
			continue;	/* re-read head after the fence */
		ret = kipc__ring_sleep(r, KIPC__HEAD_OFF, head, &dl);
		if (ret == -EPIPE) {
			piped = 1;	/* drain what is left, then -EPIPE */
			continue;
		}
		if (ret < 0)
			break;
	}
	kipc__ring_unannounce(&s);
	return ret;
}

/*
 * Producer: wait for room for a record of @sz bytes at a contiguous
 * place, writing padding first when it does not fit before the end.  0
 * with r->head at the record, or -errno.
 */
static int kipc__ring_room(struct kipc_ring *r, uint32_t sz,
			   int64_t timeout_ns)
{
	struct kipc_ring_hdr *h = r->hdr;
	struct kipc__deadline dl = { .timeout = timeout_ns };
	struct kipc__sleeper s = { .waiting = &h->producer_waiting };
	uint32_t tail, used, room, pos, to_end;
	int fresh, ret;

	for (;;) {
		if (__atomic_load_n(&h->consumer_gone, __ATOMIC_ACQUIRE)) {
			ret = -EPIPE;
			break;
		}
		/*
		 * The room up to the tail loaded last is known (the tail only
		 * moves forward): load (acquire) and check the peer's tail
		 * again only when that room is not enough.
		 */
		tail = r->seen_tail;
		fresh = 0;
again:
		used = r->head - tail;
		room = r->cap - used;
		pos = r->head & r->mask;
		to_end = r->cap - pos;
		if (sz > to_end) {
			if (room >= to_end) {
				struct kipc_ring_rec *pad;

				pad = (struct kipc_ring_rec *)(r->data + pos);
				pad->len = to_end - KIPC__REC;
				pad->type = 0;
				r->head += to_end;
				continue;
			}
		} else if (room >= sz) {
			ret = 0;
			break;
		}
		if (!fresh) {
			tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
			if (r->head - tail > r->cap) {
				ret = -EPROTO;
				break;
			}
			r->seen_tail = tail;
			fresh = 1;
			goto again;
		}

		/* Full: publish any padding, the consumer must free it. */
		if (r->head != r->published)
			kipc__publish_head(r);
		if (!timeout_ns) {
			ret = -EAGAIN;
			break;
		}
		if (kipc__ring_announce(&s, tail))
			continue;	/* re-read tail after the fence */
		ret = kipc__ring_sleep(r, KIPC__TAIL_OFF, tail, &dl);
		if (ret < 0)
			break;
	}
	kipc__ring_unannounce(&s);
	return ret;
}

/* Map the ring behind @fd, check its header and fill a new struct. */
static int kipc__ring_setup(int fd, uint32_t role, struct kipc_ring **out)
{
	struct kipc_ioc_region_stat ri;
	struct kipc_ring_hdr *h;
	struct kipc_ring *r;
	uint32_t cap, doff;
	void *p;
	int ret;

	ret = kipc__region_stat(fd, &ri);
	if (ret < 0)
		return ret;
	if (ri.region_size > SIZE_MAX || ri.region_size < sizeof(*h))
		return -EPROTO;
	p = mmap(NULL, ri.region_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED)
		return -errno;

	h = p;
	cap = __atomic_load_n(&h->capacity, __ATOMIC_RELAXED);
	doff = __atomic_load_n(&h->data_offset, __ATOMIC_RELAXED);
	if (__atomic_load_n(&h->magic, __ATOMIC_RELAXED) != KIPC_RING_MAGIC ||
	    cap < KIPC_RING_MIN_CAPACITY || cap > KIPC_RING_MAX_CAPACITY ||
	    (cap & (cap - 1)) || doff < sizeof(*h) || doff % 8 ||
	    doff > ri.region_size || ri.region_size - doff < cap) {
		ret = -EPROTO;
		goto unmap;
	}

	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = -ENOMEM;
		goto unmap;
	}
	r->fd = fd;
	r->role = role;
	r->hdr = h;
	r->data = (unsigned char *)p + doff;
	r->cap = cap;
	r->mask = cap - 1;
	r->map_size = ri.region_size;
	/* Records are 8-aligned, so must the indexes be. */
	if (__atomic_load_n(&h->head, __ATOMIC_RELAXED) % 8 ||
	    __atomic_load_n(&h->tail, __ATOMIC_RELAXED) % 8) {
		free(r);
		ret = -EPROTO;
		goto unmap;
	}
	if (role == KIPC_RING_PRODUCER) {
		r->head = __atomic_load_n(&h->head, __ATOMIC_RELAXED);
		r->published = r->head;
		/* No room known: the first reservation loads the tail. */
		r->seen_tail = r->head - r->cap;
		/* A dead predecessor may have left its announcement. */
		__atomic_store_n(&h->producer_waiting, 0, __ATOMIC_RELAXED);
	} else {
		r->tail = __atomic_load_n(&h->tail, __ATOMIC_RELAXED);
		r->seen_head = r->tail;	/* no record known */
		__atomic_store_n(&h->consumer_waiting, 0, __ATOMIC_RELAXED);
	}
	*out = r;
	return 0;

unmap:
	munmap(p, ri.region_size);
	return ret;
}

KIPC_API int kipc_ring_create(const char *name, size_t capacity, int flags,
			      mode_t mode, struct kipc_ring **out)
{
	uint32_t role = (uint32_t)flags & KIPC__RING_ROLES;
	struct kipc_ioc_region_create arg = {
		.size		= sizeof(arg),
		.flags		= (uint32_t)flags & ~KIPC__RING_ROLES,
		.name		= kipc__ptr(name),
		.mode		= mode,
		.ring		= role,
		.region_size	= capacity,
	};
	int fd, ret;

	if (!out || (role != KIPC_RING_PRODUCER && role != KIPC_RING_CONSUMER))
		return -EINVAL;
	fd = kipc__ctx_ioctl(KIPC_IOC_REGION_CREATE, &arg);
	if (fd < 0)
		return fd;
	ret = kipc__ring_setup(fd, role, out);
	if (ret < 0)
		close(fd);
	return ret;
}

/*
 * @flags are kipc_region_open()'s (KIPC_RDWR, KIPC_NONBLOCK); the opener
 * takes the free role.  As an extension, one of KIPC_RING_PRODUCER and
 * KIPC_RING_CONSUMER in @flags asks for that role (-EBUSY if taken).
 */
KIPC_API int kipc_ring_open(const char *name, int flags,
			    struct kipc_ring **out)
{
	uint32_t role = (uint32_t)flags & KIPC__RING_ROLES;
	struct kipc_ioc_ring_attach at = {
		.size	= sizeof(at),
		.role	= role,
	};
	int fd, ret;

	if (!out || role == KIPC__RING_ROLES)
		return -EINVAL;
	fd = kipc_region_open(name, (int)((uint32_t)flags & ~KIPC__RING_ROLES));
	if (fd < 0)
		return fd;
	ret = kipc__ioctl(fd, KIPC_IOC_RING_ATTACH, &at);
	if (ret >= 0) {
		if (at.role != KIPC_RING_PRODUCER &&
		    at.role != KIPC_RING_CONSUMER)
			ret = -EPROTO;
		else
			ret = kipc__ring_setup(fd, at.role, out);
	}
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return 0;
}

KIPC_API int kipc_ring_reserve(struct kipc_ring *r, size_t len, void **buf,
			       int64_t timeout_ns)
{
	int ret;

	if (!r || !buf)
		return -EINVAL;
	if (r->role != KIPC_RING_PRODUCER)
		return -EBADF;
	if (len > r->cap - KIPC__REC)
		return -EMSGSIZE;

	r->reserved = 0;	/* a new reservation replaces an old one */
	ret = kipc__ring_room(r, KIPC__REC + kipc__align8((uint32_t)len),
			      timeout_ns);
	if (ret < 0)
		return ret;
	r->res_pos = r->head & r->mask;
	r->res_len = (uint32_t)len;
	r->reserved = 1;
	*buf = r->data + r->res_pos + KIPC__REC;
	return 0;
}

KIPC_API int kipc_ring_commit(struct kipc_ring *r, uint32_t type, size_t len)
{
	struct kipc_ring_rec *rec;

	if (!r)
		return -EINVAL;
	if (r->role != KIPC_RING_PRODUCER)
		return -EBADF;
	if (!r->reserved || !type || len > r->res_len)
		return -EINVAL;

	rec = (struct kipc_ring_rec *)(r->data + r->res_pos);
	rec->len = (uint32_t)len;
	rec->type = type;
	r->reserved = 0;
	r->head += KIPC__REC + kipc__align8((uint32_t)len);
	kipc__publish_head(r);
	return 0;
}

KIPC_API int kipc_ring_send(struct kipc_ring *r, uint32_t type,
			    const void *buf, size_t len, int64_t timeout_ns)
{
	void *p;
	int ret;

	if (!r)
		return -EINVAL;
	if (r->role != KIPC_RING_PRODUCER)
		return -EBADF;
	if (!type)
		return -EINVAL;
	if (len > r->cap - KIPC__REC)
		return -EMSGSIZE;
	if (!buf && len)
		return -EFAULT;

	ret = kipc_ring_reserve(r, len, &p, timeout_ns);
	if (ret < 0)
		return ret;
	if (len)
		memcpy(p, buf, len);
	return kipc_ring_commit(r, type, len);
}

KIPC_API ssize_t kipc_ring_peek(struct kipc_ring *r, const void **buf,
				uint32_t *type, int64_t timeout_ns)
{
	struct kipc_ring_rec rec;
	uint32_t size;
	int ret;

	if (!r || !buf)
		return -EINVAL;
	if (r->role != KIPC_RING_CONSUMER)
		return -EBADF;

	r->peek_size = 0;
	ret = kipc__ring_next(r, timeout_ns, &rec, &size);
	if (ret < 0)
		return ret;
	r->peek_size = size;
	*buf = r->data + (r->tail & r->mask) + KIPC__REC;
	if (type)
		*type = rec.type;
	return rec.len;
}

KIPC_API int kipc_ring_consume(struct kipc_ring *r)
{
	if (!r)
		return -EINVAL;
	if (r->role != KIPC_RING_CONSUMER)
		return -EBADF;
	if (!r->peek_size)
		return -EINVAL;

	kipc__publish_tail(r, r->tail + r->peek_size);
	r->peek_size = 0;
	return 0;
}

KIPC_API ssize_t kipc_ring_recv(struct kipc_ring *r, void *buf, size_t cap,
				uint32_t *type, int64_t timeout_ns)
{
	struct kipc_ring_rec rec;
	uint32_t size;
	int ret;

	if (!r)
		return -EINVAL;
	if (r->role != KIPC_RING_CONSUMER)
		return -EBADF;

	r->peek_size = 0;
	ret = kipc__ring_next(r, timeout_ns, &rec, &size);
	if (ret < 0)
		return ret;
	if (rec.len > cap)
		return -EMSGSIZE;	/* the record stays */
	if (rec.len) {
		if (!buf)
			return -EFAULT;
		memcpy(buf, r->data + (r->tail & r->mask) + KIPC__REC,
		       rec.len);
	}
	if (type)
		*type = rec.type;
	kipc__publish_tail(r, r->tail + size);
	return rec.len;
}

KIPC_API int kipc_ring_fd(const struct kipc_ring *r)
{
	return r ? r->fd : -EINVAL;
}

KIPC_API void kipc_ring_close(struct kipc_ring *r)
{
	if (!r)
		return;
	munmap(r->hdr, r->map_size);
	close(r->fd);
	free(r);
}
