// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the mechanisms, kipc's and what a user would pick instead.
 *
 * Each one is used the way its manual page suggests, with the buffering a
 * user would configure for the job: every queue-like mechanism gets room
 * for c->depth messages of c->size bytes (a pipe that many bytes, a Unix
 * socket that many datagrams, POSIX and SysV queues that many messages).
 * Every wait blocks in the kernel; nothing here spins or polls.
 *
 * The wait/wake mechanisms (kipc region, kipc event, futex, eventfd) carry
 * no payload themselves: the payload is written into a slot of a shared
 * mapping and the peer is woken, as a user of futex+shm does.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "kipc-bench.h"

#define KB_PAGE		4096UL

static unsigned int kb_serial;

static int kb_first_dir(const struct kb_chan *c)
{
	return c->dirs == 2 ? 0 : 1;
}

#define for_each_dir(c, d) for ((d) = kb_first_dir(c); (d) < 2; (d)++)

static size_t kb_page_align(size_t n)
{
	return (n + KB_PAGE - 1) & ~(KB_PAGE - 1);
}

static size_t kb_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static void kb_name(struct kb_chan *c, int dir, const char *kind)
{
	snprintf(c->name[dir], sizeof(c->name[dir]), "/kb-%s-%d-%u-%d", kind,
		 (int)getpid(), kb_serial++, dir);
}

/* --- kipc queue ------------------------------------------------------ */

static int kq_create(struct kb_chan *c)
{
	struct kipc_queue_attr a = {
		.max_msgs	= c->depth,
		.max_msg_size	= (uint32_t)c->size,
		.max_bytes	= (uint64_t)c->depth * c->size,
	};
	int d, fd;

	for_each_dir(c, d) {
		fd = kipc_queue_create(NULL, &a, 0, 0600);
		if (fd < 0)
			return fd;
		c->fd[d][0] = c->fd[d][1] = fd;
	}
	return 0;
}

static int kb_noattach(struct kb_chan *c, int side)
{
	c->side = side;
	return 0;
}

static void kb_close_fds(struct kb_chan *c)
{
	int d, i;

	for (d = 0; d < 2; d++)
		for (i = 0; i < 2; i++) {
			if (c->fd[d][i] >= 0 &&
			    (i == 0 || c->fd[d][1] != c->fd[d][0]))
				close(c->fd[d][i]);
			c->fd[d][i] = -1;
		}
}

static void kq_destroy(struct kb_chan *c)
{
	kb_close_fds(c);
}

static int kq_send(struct kb_chan *c, int dir, void *buf, size_t len)
{
	int ret = kipc_send(c->fd[dir][0], 1, 0, buf, len, -1);

	return ret < 0 ? ret : 0;
}

static ssize_t kq_recv(struct kb_chan *c, int dir, void *buf, size_t cap)
{
	return kipc_recv(c->fd[dir][1], NULL, buf, cap, NULL, -1);
}

static int kq_sendv(struct kb_chan *c, int dir, unsigned int n)
{
	unsigned int done = 0;
	int ret;

	while (done < n) {
		ret = kipc_sendv(c->fd[dir][0], c->msgs + done, n - done, -1);
		if (ret < 0)
			return ret;
		done += (unsigned int)ret;
	}
	return (int)n;
}

static int kq_recvv(struct kb_chan *c, int dir, unsigned int n)
{
	return kipc_recvv(c->fd[dir][1], NULL, c->msgs, n, -1);
}

/* --- kipc ring ------------------------------------------------------- */

static int kring_create(struct kb_chan *c)
{
	size_t rec = 8 + ((c->size + 7) & ~(size_t)7);
	size_t cap = kb_pow2(c->depth * rec);
	int d, ret;

	if (cap < 4096)
		cap = 4096;
	if (cap < 2 * rec)	/* a record never wraps: leave room to pad */
		cap = kb_pow2(2 * rec);
	for_each_dir(c, d) {
		kb_name(c, d, "ring");
		/* The parent produces on 0 and consumes on 1. */
		ret = kipc_ring_create(c->name[d], cap,
				       d == 0 ? KIPC_RING_PRODUCER :
						KIPC_RING_CONSUMER,
				       0600, &c->ring_creator[d]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int kring_attach(struct kb_chan *c, int side)
{
	int d, ret;

	c->side = side;
	for_each_dir(c, d) {
		if (side == KB_PARENT) {
			c->ring[d] = c->ring_creator[d];
			continue;
		}
		ret = kipc_ring_open(c->name[d], KIPC_RDWR, &c->ring[d]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void kring_destroy(struct kb_chan *c)
{
	int d;

	for (d = 0; d < 2; d++) {
		if (c->ring[d])
			kipc_ring_close(c->ring[d]);
		c->ring[d] = NULL;
	}
}

static int kring_send(struct kb_chan *c, int dir, void *buf, size_t len)
{
	return kipc_ring_send(c->ring[dir], 1, buf, len, -1);
}

static ssize_t kring_recv(struct kb_chan *c, int dir, void *buf, size_t cap)
{
	return kipc_ring_recv(c->ring[dir], buf, cap, NULL, -1);
}

static int kring_reserve(struct kb_chan *c, int dir, size_t len, void **p)
{
	return kipc_ring_reserve(c->ring[dir], len, p, -1);
}

static int kring_commit(struct kb_chan *c, int dir, size_t len)
{
	return kipc_ring_commit(c->ring[dir], 1, len);
}

static ssize_t kring_peek(struct kb_chan *c, int dir, const void **p)
{
	return kipc_ring_peek(c->ring[dir], p, NULL, -1);
}

static int kring_consume(struct kb_chan *c, int dir)
{
	return kipc_ring_consume(c->ring[dir]);
}

/* --- the shared slot of the wait/wake mechanisms --------------------- */

/*
 * Layout: the two sequence words on the first page, a cache line apart,
 * then one page-aligned payload slot per direction.
 */
static void kb_shm_layout(struct kb_chan *c, void *base)
{
	size_t slot = kb_page_align(c->size);
	int d;

	c->shm = base;
	for (d = 0; d < 2; d++) {
		c->word_off[d] = (size_t)d * 128;
		c->word[d] = (uint32_t *)((char *)base + c->word_off[d]);
		c->area[d] = (unsigned char *)base + KB_PAGE + d * slot;
		c->seq[d] = 0;
	}
}

static size_t kb_shm_size(const struct kb_chan *c)
{
	return KB_PAGE + 2 * kb_page_align(c->size);
}

static int kb_shm_reserve(struct kb_chan *c, int dir, size_t len, void **p)
{
	(void)len;
	*p = c->area[dir];
	return 0;
}

static int kb_shm_consume(struct kb_chan *c, int dir)
{
	(void)c;
	(void)dir;
	return 0;
}

/* Publish the next sequence number of @dir; the caller wakes. */
static uint32_t *kb_shm_publish(struct kb_chan *c, int dir)
{
	__atomic_store_n(c->word[dir], ++c->seq[dir], __ATOMIC_RELEASE);
	return c->word[dir];
}

/* --- kipc region wait/wake ------------------------------------------ */

static int kreg_create(struct kb_chan *c)
{
	void *base;
	size_t sz;
	int r, ret;

	r = kipc_region_create(NULL, kb_shm_size(c), 0, 0600);
	if (r < 0)
		return r;
	ret = kipc_region_map(r, &base, &sz);
	if (ret < 0) {
		close(r);
		return ret;
	}
	c->fd[0][0] = r;
	c->shm_size = sz;
	kb_shm_layout(c, base);
	return 0;
}

static void kreg_destroy(struct kb_chan *c)
{
	if (c->fd[0][0] >= 0) {
		kipc_region_unmap(c->fd[0][0]);
		close(c->fd[0][0]);
		c->fd[0][0] = -1;
	}
}

static int kreg_commit(struct kb_chan *c, int dir, size_t len)
{
	int ret;

	(void)len;
	kb_shm_publish(c, dir);
	ret = kipc_wake(c->fd[0][0], c->word_off[dir], 1);
	return ret < 0 ? ret : 0;
}

static ssize_t kreg_peek(struct kb_chan *c, int dir, const void **p)
{
	uint32_t v;
	int ret;

	for (;;) {
		v = __atomic_load_n(c->word[dir], __ATOMIC_ACQUIRE);
		if (v != c->seq[dir])
			break;
		ret = kipc_wait(c->fd[0][0], c->word_off[dir], v, -1);
		if (ret < 0 && ret != -EAGAIN)
			return ret;
	}
	c->seq[dir] = v;
	*p = c->area[dir];
	return (ssize_t)c->size;
}

/* --- raw futex over a shared mapping --------------------------------- */

static long kb_futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static int kb_shm_map(struct kb_chan *c)
{
	void *base;

	c->shm_size = kb_shm_size(c);
	base = mmap(NULL, c->shm_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	memset(base, 0, c->shm_size);
	kb_shm_layout(c, base);
	return 0;
}

static void kb_shm_unmap(struct kb_chan *c)
{
	if (c->shm)
		munmap(c->shm, c->shm_size);
	c->shm = NULL;
}

static int futex_create(struct kb_chan *c)
{
	return kb_shm_map(c);
}

static void futex_destroy(struct kb_chan *c)
{
	kb_shm_unmap(c);
}

/* Shared (not FUTEX_PRIVATE_FLAG): the peers are processes. */
static int futex_commit(struct kb_chan *c, int dir, size_t len)
{
	(void)len;
	if (kb_futex(kb_shm_publish(c, dir), FUTEX_WAKE, 1) < 0)
		return -errno;
	return 0;
}

static ssize_t futex_peek(struct kb_chan *c, int dir, const void **p)
{
	uint32_t v;

	for (;;) {
		v = __atomic_load_n(c->word[dir], __ATOMIC_ACQUIRE);
		if (v != c->seq[dir])
			break;
		if (kb_futex(c->word[dir], FUTEX_WAIT, v) < 0 &&
		    errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	c->seq[dir] = v;
	*p = c->area[dir];
	return (ssize_t)c->size;
}

/* --- eventfd + shared mapping --------------------------------------- */

static int efd_create(struct kb_chan *c)
{
	int d, ret;

	ret = kb_shm_map(c);
	if (ret < 0)
		return ret;
	for (d = 0; d < 2; d++) {
		c->fd[d][0] = c->fd[d][1] = eventfd(0, EFD_CLOEXEC);
		if (c->fd[d][0] < 0)
			return -errno;
	}
	return 0;
}

static void efd_destroy(struct kb_chan *c)
{
	kb_close_fds(c);
	kb_shm_unmap(c);
}

static int efd_commit(struct kb_chan *c, int dir, size_t len)
{
	uint64_t one = 1;

	(void)len;
	kb_shm_publish(c, dir);
	if (write(c->fd[dir][0], &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

static ssize_t efd_peek(struct kb_chan *c, int dir, const void **p)
{
	uint64_t v;

	if (read(c->fd[dir][1], &v, sizeof(v)) != sizeof(v))
		return -errno;
	*p = c->area[dir];
	return (ssize_t)c->size;
}

/* --- kipc event (semaphore) + shared mapping ------------------------ */

static int kev_create(struct kb_chan *c)
{
	int d, ret;

	ret = kb_shm_map(c);
	if (ret < 0)
		return ret;
	for (d = 0; d < 2; d++) {
		ret = kipc_event_create(NULL, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
		if (ret < 0)
			return ret;
		c->fd[d][0] = c->fd[d][1] = ret;
	}
	return 0;
}

static int kev_commit(struct kb_chan *c, int dir, size_t len)
{
	(void)len;
	kb_shm_publish(c, dir);
	return kipc_event_post(c->fd[dir][0], 1);
}

static ssize_t kev_peek(struct kb_chan *c, int dir, const void **p)
{
	int ret = kipc_event_wait(c->fd[dir][1], NULL, -1);

	if (ret < 0)
		return ret;
	*p = c->area[dir];
	return (ssize_t)c->size;
}

/* --- pipe ------------------------------------------------------------ */

static int pipe_create(struct kb_chan *c)
{
	size_t want = kb_pow2(c->depth * c->size);
	int d, p[2];

	if (want < 65536)
		want = 65536;
	for_each_dir(c, d) {
		if (pipe2(p, O_CLOEXEC))
			return -errno;
		c->fd[d][0] = p[1];
		c->fd[d][1] = p[0];
		/* The same buffering as the others (root may exceed 1 MiB). */
		if (fcntl(p[1], F_SETPIPE_SZ, (int)want) < 0)
			kb_note("pipe: F_SETPIPE_SZ %zu: %s (kept the default)",
				want, strerror(errno));
	}
	return 0;
}

static int pipe_send(struct kb_chan *c, int dir, void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(c->fd[dir][0], p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A byte stream: read exactly one message of c->size bytes. */
static ssize_t pipe_recv(struct kb_chan *c, int dir, void *buf, size_t cap)
{
	size_t want = c->size < cap ? c->size : cap, got = 0;
	ssize_t n;

	while (got < want) {
		n = read(c->fd[dir][1], (char *)buf + got, want - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* --- Unix socket, SOCK_SEQPACKET ------------------------------------- */

static int uds_create(struct kb_chan *c)
{
	int sv[2], i, buf;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	/* parent sends on sv[0] (dir 0), the child on sv[1] (dir 1) */
	c->fd[0][0] = sv[0];
	c->fd[0][1] = sv[1];
	c->fd[1][0] = sv[1];
	c->fd[1][1] = sv[0];
	/* Room for depth messages with their skb overhead. */
	buf = (int)(c->depth * (c->size + 1024));
	if (buf < 212992)
		buf = 212992;
	for (i = 0; i < 2; i++) {
		if (setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &buf,
			       sizeof(buf)) &&
		    setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)))
			kb_note("uds: SO_SNDBUF %d: %s", buf, strerror(errno));
	}
	return 0;
}

static void uds_destroy(struct kb_chan *c)
{
	int a = c->fd[0][0], b = c->fd[0][1];

	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	c->fd[0][0] = c->fd[0][1] = c->fd[1][0] = c->fd[1][1] = -1;
}

static int uds_send(struct kb_chan *c, int dir, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = send(c->fd[dir][0], buf, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EMSGSIZE;
}

static ssize_t uds_recv(struct kb_chan *c, int dir, void *buf, size_t cap)
{
	ssize_t n;

	do {
		n = recv(c->fd[dir][1], buf, cap, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? n : -EPIPE;
}

/* --- POSIX message queue -------------------------------------------- */

static int pmq_create(struct kb_chan *c)
{
	struct mq_attr a = {
		.mq_maxmsg	= c->depth,
		.mq_msgsize	= (long)c->size,
	};
	mqd_t q;
	int d;

	for_each_dir(c, d) {
		kb_name(c, d, "mq");
		q = mq_open(c->name[d], O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC,
			    0600, &a);
		if (q == (mqd_t)-1)
			return -errno;
		mq_unlink(c->name[d]);	/* the descriptors keep it */
		c->fd[d][0] = c->fd[d][1] = q;
	}
	return 0;
}

static int pmq_send(struct kb_chan *c, int dir, void *buf, size_t len)
{
	while (mq_send(c->fd[dir][0], buf, len, 0)) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static ssize_t pmq_recv(struct kb_chan *c, int dir, void *buf, size_t cap)
{
	ssize_t n;

	do {
		n = mq_receive(c->fd[dir][1], buf, cap, NULL);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* --- SysV message queue ---------------------------------------------- */

static int sysv_create(struct kb_chan *c)
{
	struct msqid_ds ds;
	int d, id;

	for_each_dir(c, d) {
		id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (id < 0)
			return -errno;
		c->id[d] = id;
		if (msgctl(id, IPC_STAT, &ds))
			return -errno;
		ds.msg_qbytes = c->depth * c->size;
		if (msgctl(id, IPC_SET, &ds))
			kb_note("sysv: msg_qbytes %zu: %s", c->depth * c->size,
				strerror(errno));
	}
	return 0;
}

static void sysv_destroy(struct kb_chan *c)
{
	int d;

	for (d = 0; d < 2; d++) {
		if (c->side == KB_PARENT && c->id[d] >= 0)
			msgctl(c->id[d], IPC_RMID, NULL);
		c->id[d] = -1;
	}
}

/* The buffers have headroom: the long mtype goes right before them. */
static int sysv_send(struct kb_chan *c, int dir, void *buf, size_t len)
{
	long *mt = (long *)((char *)buf - sizeof(long));

	*mt = 1;
	while (msgsnd(c->id[dir], mt, len, 0)) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static ssize_t sysv_recv(struct kb_chan *c, int dir, void *buf, size_t cap)
{
	long *mt = (long *)((char *)buf - sizeof(long));
	ssize_t n;

	do {
		n = msgrcv(c->id[dir], mt, cap, 0, 0);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* --- the table -------------------------------------------------------- */

static const struct kb_mech kb_kq = {
	.name = "kq", .label = "kipc queue",
	.flags = KB_PINGPONG | KB_STREAM | KB_MPSC,
	.create = kq_create, .attach = kb_noattach, .destroy = kq_destroy,
	.send = kq_send, .recv = kq_recv,
};

static const struct kb_mech kb_kqb = {
	.name = "kq-b64", .label = "kipc queue, batches of 64",
	.flags = KB_STREAM | KB_MPSC, .batch = 64,
	.create = kq_create, .attach = kb_noattach, .destroy = kq_destroy,
	.send = kq_send, .recv = kq_recv,
	.sendv = kq_sendv, .recvv = kq_recvv,
};

static const struct kb_mech kb_kring = {
	.name = "kring", .label = "kipc ring (copy)",
	.flags = KB_PINGPONG | KB_STREAM,
	.create = kring_create, .attach = kring_attach,
	.destroy = kring_destroy,
	.send = kring_send, .recv = kring_recv,
};

static const struct kb_mech kb_kringzc = {
	.name = "kring-zc", .label = "kipc ring (zero-copy)",
	.flags = KB_PINGPONG | KB_STREAM | KB_ZC,
	.create = kring_create, .attach = kring_attach,
	.destroy = kring_destroy,
	.reserve = kring_reserve, .commit = kring_commit,
	.peek = kring_peek, .consume = kring_consume,
};

static const struct kb_mech kb_kreg = {
	.name = "kregion", .label = "kipc region wait/wake + shm",
	.flags = KB_PINGPONG | KB_ZC,
	.create = kreg_create, .attach = kb_noattach, .destroy = kreg_destroy,
	.reserve = kb_shm_reserve, .commit = kreg_commit,
	.peek = kreg_peek, .consume = kb_shm_consume,
};

static const struct kb_mech kb_kev = {
	.name = "kevent", .label = "kipc event (semaphore) + shm",
	.flags = KB_PINGPONG | KB_ZC,
	.create = kev_create, .attach = kb_noattach, .destroy = efd_destroy,
	.reserve = kb_shm_reserve, .commit = kev_commit,
	.peek = kev_peek, .consume = kb_shm_consume,
};

static const struct kb_mech kb_pipe = {
	.name = "pipe", .label = "pipe",
	.flags = KB_PINGPONG | KB_STREAM | KB_MPSC,
	.create = pipe_create, .attach = kb_noattach, .destroy = kq_destroy,
	.send = pipe_send, .recv = pipe_recv,
};

static const struct kb_mech kb_uds = {
	.name = "uds", .label = "Unix socket, SOCK_SEQPACKET",
	.flags = KB_PINGPONG | KB_STREAM | KB_MPSC,
	.create = uds_create, .attach = kb_noattach, .destroy = uds_destroy,
	.send = uds_send, .recv = uds_recv,
};

static const struct kb_mech kb_pmq = {
	.name = "pmq", .label = "POSIX mq",
	.flags = KB_PINGPONG | KB_STREAM | KB_MPSC,
	.create = pmq_create, .attach = kb_noattach, .destroy = kq_destroy,
	.send = pmq_send, .recv = pmq_recv,
};

static const struct kb_mech kb_sysv = {
	.name = "sysv", .label = "SysV msg",
	.flags = KB_PINGPONG | KB_STREAM | KB_MPSC,
	.create = sysv_create, .attach = kb_noattach, .destroy = sysv_destroy,
	.send = sysv_send, .recv = sysv_recv,
};

static const struct kb_mech kb_futexm = {
	.name = "futex", .label = "raw futex + shm",
	.flags = KB_PINGPONG | KB_ZC,
	.create = futex_create, .attach = kb_noattach,
	.destroy = futex_destroy,
	.reserve = kb_shm_reserve, .commit = futex_commit,
	.peek = futex_peek, .consume = kb_shm_consume,
};

static const struct kb_mech kb_efd = {
	.name = "eventfd", .label = "eventfd + shm",
	.flags = KB_PINGPONG | KB_ZC,
	.create = efd_create, .attach = kb_noattach, .destroy = efd_destroy,
	.reserve = kb_shm_reserve, .commit = efd_commit,
	.peek = efd_peek, .consume = kb_shm_consume,
};

const struct kb_mech *const kb_mechs[] = {
	&kb_kq, &kb_kqb, &kb_kring, &kb_kringzc, &kb_kreg, &kb_kev,
	&kb_pipe, &kb_uds, &kb_pmq, &kb_sysv, &kb_futexm, &kb_efd, NULL,
};

const struct kb_mech *kb_mech_find(const char *name)
{
	int i;

	for (i = 0; kb_mechs[i]; i++)
		if (!strcmp(kb_mechs[i]->name, name))
			return kb_mechs[i];
	return NULL;
}

/* --- limits ------------------------------------------------------------ */

static void kb_sysctl(const char *path, const char *val, int verbose)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(val, f) < 0 || fclose(f)) {
		if (verbose)
			kb_note("cannot set %s = %s: %s", path, val,
				strerror(errno));
		return;
	}
	if (verbose)
		kb_note("set %s = %s", path, val);
}

/*
 * Let the classic mechanisms carry 1 MiB messages and hold the same
 * number of messages as kipc's queues (their defaults are 8 KiB and 10
 * messages).  Needs root, which the VM's /init is; elsewhere the cases
 * these limits block are skipped with a note.
 */
void kb_tune_system(int verbose)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	kb_sysctl("/proc/sys/fs/mqueue/msg_max", "65536", verbose);
	kb_sysctl("/proc/sys/fs/mqueue/msgsize_max", "1048576", verbose);
	kb_sysctl("/proc/sys/kernel/msgmax", "1048576", verbose);
	kb_sysctl("/proc/sys/kernel/msgmnb", "16777216", verbose);
	kb_sysctl("/proc/sys/net/unix/max_dgram_qlen", "1024", verbose);
	kb_sysctl("/proc/sys/net/core/wmem_max", "67108864", verbose);
	kb_sysctl("/proc/sys/fs/pipe-max-size", "16777216", verbose);
	if (setrlimit(RLIMIT_MSGQUEUE, &rl) && verbose)
		kb_note("cannot lift RLIMIT_MSGQUEUE: %s", strerror(errno));
}
