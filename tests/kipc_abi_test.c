// SPDX-License-Identifier: GPL-2.0
/*
 * The raw ioctl ABI (uapi/linux/kipc.h, docs/queues.md "The ioctl ABI"),
 * with structs built by hand.  For every command: a size below the struct
 * is EINVAL, a larger one with a zero tail works, a non-zero tail is E2BIG,
 * unknown flag bits and non-zero __reserved are EINVAL, bad struct pointers
 * EFAULT, the command on the wrong kind of fd or with a size or direction
 * encoded ENOTTY.  Then names (charset, length, the leading
 * slash, bad pointers), open kinds and flags, send descriptors and receive
 * selectors.  After every refused call nothing was created, opened, queued
 * or consumed.  Last, the walk: every command of every kind, from one
 * table, against the growth rule and a caller of version 1 of each struct.
 */
#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <termios.h>

#include "kipc_test.h"

/* The command numbers are ABI: _IO(magic, nr), no size, no direction. */
static_assert(KIPC_IOC_QUEUE_CREATE == _IO(KIPC_IOC_MAGIC, 0x00), "QUEUE_CREATE");
static_assert(KIPC_IOC_OPEN == _IO(KIPC_IOC_MAGIC, 0x01), "OPEN");
static_assert(KIPC_IOC_UNLINK == _IO(KIPC_IOC_MAGIC, 0x02), "UNLINK");
static_assert(KIPC_IOC_SEND == _IO(KIPC_IOC_MAGIC, 0x10), "SEND");
static_assert(KIPC_IOC_RECV == _IO(KIPC_IOC_MAGIC, 0x11), "RECV");
static_assert(KIPC_IOC_SHUTDOWN == _IO(KIPC_IOC_MAGIC, 0x12), "SHUTDOWN");
static_assert(KIPC_IOC_QUEUE_STAT == _IO(KIPC_IOC_MAGIC, 0x13), "QUEUE_STAT");
static_assert(KIPC_IOC_QUEUE_THREAD == _IO(KIPC_IOC_MAGIC, 0x14), "QUEUE_THREAD");
static_assert(KIPC_IOC_RECV_LEASED == _IO(KIPC_IOC_MAGIC, 0x15), "RECV_LEASED");
static_assert(KIPC_IOC_ACK == _IO(KIPC_IOC_MAGIC, 0x16), "ACK");

/* And today's sizes, so a change is noticed. */
static_assert(sizeof(struct kipc_ioc_queue_create) == 64, "kipc_queue_create");
static_assert(sizeof(struct kipc_ioc_open) == 24, "kipc_open");
static_assert(sizeof(struct kipc_ioc_unlink) == 16, "kipc_unlink");
static_assert(sizeof(struct kipc_msgdesc) == 56, "kipc_msgdesc");
static_assert(sizeof(struct kipc_ioc_send) == 32, "kipc_send");
static_assert(sizeof(struct kipc_ioc_recv) == 40, "kipc_recv");
static_assert(sizeof(struct kipc_ioc_shutdown) == 8, "kipc_shutdown");
static_assert(sizeof(struct kipc_ioc_queue_stat) == 248, "kipc_ioc_queue_stat");

#define PAYLOAD		"hello"
#define PAYLOAD_LEN	6
#define MAX_MSG		64
#define RES_FD		INT_MIN		/* the call returns a new fd */
#define TAIL		8
#define POISON64	0xccccccccccccccccULL
#define POISON32	0xccccccccU

/* The lowest free fd number: a refused call must not install one. */
static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* A page followed by an inaccessible one: for pointers that run off. */
static char *guard_page(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p;

	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + pg, pg, PROT_NONE))
		return NULL;
	return p + pg;		/* the inaccessible page */
}

static int raw_create(int ctx, const char *name, unsigned int flags)
{
	struct kipc_ioc_queue_create arg = {
		.size		= sizeof(arg),
		.flags		= flags,
		.name		= (uintptr_t)name,
		.mode		= 0600,
		.max_msgs	= 4,
		.max_msg_size	= MAX_MSG,
	};

	return kt_ioctl(ctx, KIPC_IOC_QUEUE_CREATE, &arg);
}

static int raw_open(int ctx, const char *name, unsigned int flags,
		    unsigned int kind)
{
	struct kipc_ioc_open arg = {
		.size	= sizeof(arg),
		.flags	= flags,
		.name	= (uintptr_t)name,
		.kind	= kind,
	};

	return kt_ioctl(ctx, KIPC_IOC_OPEN, &arg);
}

static int raw_unlink(int ctx, const char *name, unsigned int flags)
{
	struct kipc_ioc_unlink arg = {
		.size	= sizeof(arg),
		.flags	= flags,
		.name	= (uintptr_t)name,
	};

	return kt_ioctl(ctx, KIPC_IOC_UNLINK, &arg);
}

/* 0 if @name opens as a queue (closed again), else -errno. */
static int name_opens(int ctx, const char *name)
{
	int h = raw_open(ctx, name, KIPC_RDWR, KIPC_KIND_QUEUE);

	if (h < 0)
		return h;
	close(h);
	return 0;
}

static int stat_id(int q)
{
	struct kipc_queue_stat st;
	int ret = kt_stat(q, &st);

	return ret < 0 ? ret : (int)st.id;
}

/*
 * Every command with the struct it takes.  The fixture holds a queue with
 * one message ("hello", type 1) and a context; a valid call of each command
 * is built by abi_build().
 */
FIXTURE(abi) {
	int ctx;
	int q;
	char name[64];		/* q's name */
	char newname[64];	/* a name that does not exist */
	char rbuf[MAX_MSG];
	struct kipc_msgdesc desc;
	/* The argument, with room for a tail. */
	union {
		struct kipc_ioc_queue_create create;
		struct kipc_ioc_open open;
		struct kipc_ioc_unlink unlink;
		struct kipc_ioc_send send;
		struct kipc_ioc_recv recv;
		struct kipc_ioc_shutdown shutdown;
		struct kipc_ioc_queue_stat info;
		unsigned char bytes[256];
	} arg;
};

FIXTURE_VARIANT(abi) {
	unsigned long cmd;
	bool on_handle;		/* a queue command, else a context one */
	size_t size;		/* sizeof its struct */
	size_t min_size;	/* its first version's size, if it grew */
	size_t reserved;	/* offset of __reserved, 0 if none */
	int result;		/* a valid call's result, or RES_FD */
	unsigned int bad_flags[3];
};

FIXTURE_VARIANT_ADD(abi, queue_create) {
	.cmd		= KIPC_IOC_QUEUE_CREATE,
	.size		= sizeof(struct kipc_ioc_queue_create),
	.min_size	= 48,		/* version 1 */
	.reserved	= offsetof(struct kipc_ioc_queue_create, __reserved),
	.result		= RES_FD,
	/* create takes PERSIST and NONBLOCK only, not the access bits */
	.bad_flags	= { KIPC_RDONLY, 1U << 4, 1U << 31 },
};

FIXTURE_VARIANT_ADD(abi, open) {
	.cmd		= KIPC_IOC_OPEN,
	.size		= sizeof(struct kipc_ioc_open),
	.reserved	= offsetof(struct kipc_ioc_open, __reserved),
	.result		= RES_FD,
	.bad_flags	= { KIPC_RDWR | KIPC_PERSIST, KIPC_RDWR | 1U << 4,
			    KIPC_RDWR | 1U << 31 },
};

FIXTURE_VARIANT_ADD(abi, unlink) {
	.cmd		= KIPC_IOC_UNLINK,
	.size		= sizeof(struct kipc_ioc_unlink),
	.result		= 0,
	.bad_flags	= { 1U << 0, KIPC_PERSIST, 1U << 31 },
};

FIXTURE_VARIANT_ADD(abi, send) {
	.cmd		= KIPC_IOC_SEND,
	.on_handle	= true,
	.size		= sizeof(struct kipc_ioc_send),
	.reserved	= offsetof(struct kipc_ioc_send, __reserved),
	.result		= 1,
	.bad_flags	= { 1U << 0, 1U << 4, 1U << 31 },
};

FIXTURE_VARIANT_ADD(abi, recv) {
	.cmd		= KIPC_IOC_RECV,
	.on_handle	= true,
	.size		= sizeof(struct kipc_ioc_recv),
	.reserved	= offsetof(struct kipc_ioc_recv, __reserved),
	.result		= 1,
	.bad_flags	= { 1U << 0, 1U << 4, 1U << 31 },
};

FIXTURE_VARIANT_ADD(abi, shutdown) {
	.cmd		= KIPC_IOC_SHUTDOWN,
	.on_handle	= true,
	.size		= sizeof(struct kipc_ioc_shutdown),
	.result		= 0,
	.bad_flags	= { 1U << 0, 1U << 4, 1U << 31 },
};

FIXTURE_VARIANT_ADD(abi, queue_stat) {
	.cmd		= KIPC_IOC_QUEUE_STAT,
	.on_handle	= true,
	.size		= sizeof(struct kipc_ioc_queue_stat),
	.min_size	= 160,		/* version 1 */
	.reserved	= offsetof(struct kipc_ioc_queue_stat, __reserved),
	.result		= 0,
	.bad_flags	= { 1U << 0, 1U << 4, 1U << 31 },
};

FIXTURE_SETUP(abi)
{
	KT_REQUIRE_KIPC();
	self->ctx = kt_ctx();
	ASSERT_LE(0, self->ctx);
	kt_name(self->name, sizeof(self->name), "abi");
	kt_name(self->newname, sizeof(self->newname), "abinew");
	self->q = raw_create(self->ctx, self->name, 0);
	ASSERT_LE(0, self->q);
	ASSERT_EQ(0, kipc_send(self->q, 1, 0, PAYLOAD, PAYLOAD_LEN, 0));
}

FIXTURE_TEARDOWN(abi)
{
	raw_unlink(self->ctx, self->newname, 0);
	close(self->q);
	close(self->ctx);
}

/* A valid argument for the variant's command, with a zero tail. */
static void abi_build(FIXTURE_DATA(abi) *self,
		      const FIXTURE_VARIANT(abi) *variant)
{
	memset(&self->arg, 0, sizeof(self->arg));
	self->arg.create.size = variant->size;

	switch (variant->cmd) {
	case KIPC_IOC_QUEUE_CREATE:
		self->arg.create.name = (uintptr_t)self->newname;
		self->arg.create.mode = 0600;
		self->arg.create.max_msgs = 4;
		self->arg.create.max_msg_size = MAX_MSG;
		break;
	case KIPC_IOC_OPEN:
		self->arg.open.flags = KIPC_RDWR;
		self->arg.open.name = (uintptr_t)self->name;
		self->arg.open.kind = KIPC_KIND_QUEUE;
		break;
	case KIPC_IOC_UNLINK:
		self->arg.unlink.name = (uintptr_t)self->name;
		break;
	case KIPC_IOC_SEND:
		memset(&self->desc, 0, sizeof(self->desc));
		self->desc.type = 2;
		self->desc.prio = 1;
		self->desc.data = (uintptr_t)"world";
		self->desc.len = 6;
		self->arg.send.msgs = (uintptr_t)&self->desc;
		self->arg.send.count = 1;
		self->arg.send.timeout_ns = 0;
		break;
	case KIPC_IOC_RECV:
		/* Poison what the kernel writes. */
		memset(&self->desc, 0xcc, sizeof(self->desc));
		memset(self->rbuf, 0xcc, sizeof(self->rbuf));
		self->desc.data = (uintptr_t)self->rbuf;
		self->desc.len = sizeof(self->rbuf);
		self->desc.__reserved = 0;
		self->arg.recv.msgs = (uintptr_t)&self->desc;
		self->arg.recv.count = 1;
		self->arg.recv.sel_mode = KIPC_SEL_ANY;
		self->arg.recv.timeout_ns = 0;
		break;
	case KIPC_IOC_SHUTDOWN:
		break;
	case KIPC_IOC_QUEUE_STAT:
		/* Poison the output fields; __reserved stays 0. */
		memset((char *)&self->arg.info + 8, 0xcc,
		       offsetof(struct kipc_ioc_queue_stat, __reserved) - 8);
		break;
	}
}

static int abi_call(FIXTURE_DATA(abi) *self,
		    const FIXTURE_VARIANT(abi) *variant)
{
	return kt_ioctl(variant->on_handle ? self->q : self->ctx,
			variant->cmd, &self->arg);
}

/*
 * After a refused call: nothing was created, opened, unlinked, queued,
 * consumed or shut down, and no fd was installed.
 */
static void abi_untouched(struct __test_metadata *_metadata,
			  FIXTURE_DATA(abi) *self, int free_fd)
{
	struct kipc_queue_stat st;

	EXPECT_EQ(free_fd, next_fd());
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(PAYLOAD_LEN, st.depth_bytes);
	EXPECT_EQ(1, st.sent);
	EXPECT_EQ(0, st.received);
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(1, st.receivers);
	EXPECT_EQ(0, name_opens(self->ctx, self->name));
	EXPECT_EQ(-ENOENT, name_opens(self->ctx, self->newname));
}

/* After the valid call: it did what it should. */
static void abi_done(struct __test_metadata *_metadata,
		     FIXTURE_DATA(abi) *self,
		     const FIXTURE_VARIANT(abi) *variant, int ret)
{
	struct kipc_ioc_queue_stat *qi = &self->arg.info;
	struct kipc_queue_stat st;

	if (variant->result == RES_FD) {
		ASSERT_LE(0, ret);
		ASSERT_EQ(0, kt_stat(ret, &st));
		EXPECT_EQ(KIPC_STATE_LIVE, st.state);
		if (variant->cmd == KIPC_IOC_OPEN) {
			EXPECT_EQ(stat_id(self->q), (int)st.id);
		} else {
			EXPECT_EQ(0, name_opens(self->ctx, self->newname));
		}
		EXPECT_EQ(FD_CLOEXEC, fcntl(ret, F_GETFD) & FD_CLOEXEC);
		close(ret);
		return;
	}
	EXPECT_EQ(variant->result, ret);

	switch (variant->cmd) {
	case KIPC_IOC_UNLINK:
		EXPECT_EQ(-ENOENT, name_opens(self->ctx, self->name));
		break;
	case KIPC_IOC_SEND:
		ASSERT_EQ(0, kt_stat(self->q, &st));
		EXPECT_EQ(2, st.depth_msgs);
		EXPECT_EQ(0, self->desc.flags);
		break;
	case KIPC_IOC_RECV:
		EXPECT_EQ(1, self->desc.type);
		EXPECT_EQ(0, self->desc.prio);
		EXPECT_EQ(PAYLOAD_LEN, self->desc.len);
		EXPECT_EQ(0, self->desc.flags);
		EXPECT_EQ(getpid(), self->desc.pid);
		EXPECT_EQ(getuid(), self->desc.uid);
		EXPECT_EQ(1, self->desc.seq);
		EXPECT_NE(POISON64, self->desc.ts_ns);
		EXPECT_EQ(0, memcmp(PAYLOAD, self->rbuf, PAYLOAD_LEN));
		EXPECT_EQ(0xcc, (unsigned char)self->rbuf[PAYLOAD_LEN]);
		break;
	case KIPC_IOC_SHUTDOWN:
		ASSERT_EQ(0, kt_stat(self->q, &st));
		EXPECT_EQ(KIPC_STATE_SHUTDOWN, st.state);
		break;
	case KIPC_IOC_QUEUE_STAT:
		EXPECT_EQ(1, qi->depth_msgs);
		EXPECT_EQ(PAYLOAD_LEN, qi->depth_bytes);
		EXPECT_EQ(4, qi->max_msgs);
		EXPECT_EQ(MAX_MSG, qi->max_msg_size);
		EXPECT_EQ(4 * MAX_MSG, qi->max_bytes);
		EXPECT_EQ(1, qi->high_water);
		EXPECT_EQ(1, qi->sent);
		EXPECT_EQ(0, qi->received);
		EXPECT_EQ(0, qi->dropped_new);
		EXPECT_EQ(0, qi->dropped_oldest);
		EXPECT_EQ(0, qi->conflated);
		EXPECT_EQ(0, qi->rejected);
		EXPECT_EQ(0, qi->timeouts);
		EXPECT_NE(POISON64, qi->wakeups);
		EXPECT_EQ(KIPC_POLICY_BLOCK, qi->policy);
		EXPECT_EQ(0, qi->qflags);
		EXPECT_EQ(0, qi->blocked_senders);
		EXPECT_EQ(0, qi->blocked_receivers);
		EXPECT_EQ(1, qi->senders);
		EXPECT_EQ(1, qi->receivers);
		EXPECT_EQ(KIPC_STATE_LIVE, qi->state);
		EXPECT_EQ(getpid(), qi->owner_pid);
		EXPECT_NE(POISON32, qi->id);
		break;
	}
}

TEST_F(abi, valid_call)
{
	int ret;

	abi_build(self, variant);
	ret = abi_call(self, variant);
	abi_done(_metadata, self, variant, ret);
}

TEST_F(abi, size_too_small)
{
	const size_t sizes[] = {
		(variant->min_size ? variant->min_size : variant->size) - 1,
		0, 1, 4, 7,
	};
	int free_fd = next_fd();
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		abi_build(self, variant);
		self->arg.create.size = sizes[i];
		EXPECT_EQ(-EINVAL, abi_call(self, variant)) {
			TH_LOG("size %zu", sizes[i]);
		}
		abi_untouched(_metadata, self, free_fd);
	}
}

TEST_F(abi, size_larger_zero_tail)
{
	int ret;

	abi_build(self, variant);
	self->arg.create.size = variant->size + TAIL;
	ret = abi_call(self, variant);
	abi_done(_metadata, self, variant, ret);
	/* The kernel wrote nothing beyond what it knows. */
	if (variant->cmd == KIPC_IOC_QUEUE_STAT) {
		unsigned int i;

		for (i = 0; i < TAIL; i++)
			EXPECT_EQ(0, self->arg.bytes[variant->size + i]);
	}
}

TEST_F(abi, size_larger_nonzero_tail)
{
	const size_t where[] = { 0, TAIL - 1 };
	int free_fd = next_fd();
	unsigned int i;

	for (i = 0; i < 2; i++) {
		abi_build(self, variant);
		self->arg.create.size = variant->size + TAIL;
		self->arg.bytes[variant->size + where[i]] = 0x80;
		EXPECT_EQ(-E2BIG, abi_call(self, variant)) {
			TH_LOG("non-zero tail byte %zu", where[i]);
		}
		abi_untouched(_metadata, self, free_fd);
	}
	/* A far larger struct, non-zero only at its very end. */
	abi_build(self, variant);
	self->arg.create.size = sizeof(self->arg.bytes);
	self->arg.bytes[sizeof(self->arg.bytes) - 1] = 1;
	EXPECT_EQ(-E2BIG, abi_call(self, variant));
	abi_untouched(_metadata, self, free_fd);
}

TEST_F(abi, unknown_flags_and_reserved)
{
	const __u32 bad[] = { 1, 0x80000000 };
	int free_fd = next_fd();
	unsigned int i;

	for (i = 0; i < 3; i++) {
		abi_build(self, variant);
		self->arg.create.flags = variant->bad_flags[i];
		EXPECT_EQ(-EINVAL, abi_call(self, variant)) {
			TH_LOG("flags %#x", variant->bad_flags[i]);
		}
		abi_untouched(_metadata, self, free_fd);
	}

	/* unlink and shutdown have no __reserved field. */
	for (i = 0; variant->reserved && i < 2; i++) {
		abi_build(self, variant);
		memcpy(self->arg.bytes + variant->reserved, &bad[i], 4);
		EXPECT_EQ(-EINVAL, abi_call(self, variant)) {
			TH_LOG("__reserved %#x", bad[i]);
		}
		abi_untouched(_metadata, self, free_fd);
	}
}

/* The kernel reads @size bytes, no more: what lies beyond is not its. */
TEST_F(abi, bytes_beyond_size_ignored)
{
	int ret;

	abi_build(self, variant);
	memset(self->arg.bytes + variant->size, 0xff,
	       sizeof(self->arg.bytes) - variant->size);
	ret = abi_call(self, variant);
	abi_done(_metadata, self, variant, ret);
}

TEST_F(abi, bad_struct_pointer)
{
	int fd = variant->on_handle ? self->q : self->ctx;
	int free_fd = next_fd();
	char *guard = guard_page();

	ASSERT_NE(NULL, guard);
	EXPECT_EQ(-EFAULT, kt_ioctl(fd, variant->cmd, NULL));
	abi_untouched(_metadata, self, free_fd);
	EXPECT_EQ(-EFAULT, kt_ioctl(fd, variant->cmd, (void *)1));
	abi_untouched(_metadata, self, free_fd);
	EXPECT_EQ(-EFAULT, kt_ioctl(fd, variant->cmd, guard));
	abi_untouched(_metadata, self, free_fd);

	/* size readable, the rest of the struct in the guard page. */
	if (variant->size > 8) {
		abi_build(self, variant);
		memcpy(guard - 8, &self->arg, 8);
		EXPECT_EQ(-EFAULT, kt_ioctl(fd, variant->cmd, guard - 8));
		abi_untouched(_metadata, self, free_fd);
	}
}

TEST_F(abi, wrong_fd_kind)
{
	int wrong = variant->on_handle ? self->ctx : self->q;
	int free_fd = next_fd();
	int devnull, p[2];

	abi_build(self, variant);
	EXPECT_EQ(-ENOTTY, kt_ioctl(wrong, variant->cmd, &self->arg));
	abi_untouched(_metadata, self, free_fd);

	ASSERT_EQ(0, pipe(p));
	abi_build(self, variant);
	EXPECT_EQ(-ENOTTY, kt_ioctl(p[0], variant->cmd, &self->arg));
	close(p[0]);
	close(p[1]);

	devnull = open("/dev/null", O_RDWR);
	ASSERT_LE(0, devnull);
	abi_build(self, variant);
	EXPECT_EQ(-ENOTTY, kt_ioctl(devnull, variant->cmd, &self->arg));
	close(devnull);

	abi_build(self, variant);
	EXPECT_EQ(-EBADF, kt_ioctl(-1, variant->cmd, &self->arg));
	EXPECT_EQ(-EBADF, kt_ioctl(free_fd, variant->cmd, &self->arg));
	abi_untouched(_metadata, self, free_fd);
}

TEST_F(abi, wrong_cmd_encoding)
{
	int fd = variant->on_handle ? self->q : self->ctx;
	unsigned long c = variant->cmd;
	const unsigned long bad[] = {
		/* a size encoded: the struct's (kipc 0.x), or another */
		_IOC(_IOC_NONE, _IOC_TYPE(c), _IOC_NR(c), variant->size),
		_IOC(_IOC_NONE, _IOC_TYPE(c), _IOC_NR(c), variant->size - 1),
		_IOC(_IOC_NONE, _IOC_TYPE(c), _IOC_NR(c), 1),
		/* a direction encoded */
		_IOC(_IOC_WRITE, _IOC_TYPE(c), _IOC_NR(c), variant->size),
		_IOC(_IOC_READ | _IOC_WRITE, _IOC_TYPE(c), _IOC_NR(c),
		     variant->size),
		_IOC(_IOC_READ, _IOC_TYPE(c), _IOC_NR(c), 0),
		/* another magic */
		_IOC(_IOC_NONE, _IOC_TYPE(c) ^ 1, _IOC_NR(c), 0),
	};
	int free_fd = next_fd();
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		abi_build(self, variant);
		EXPECT_EQ(-ENOTTY, kt_ioctl(fd, bad[i], &self->arg)) {
			TH_LOG("cmd %#lx (for %#lx)", bad[i], c);
		}
		abi_untouched(_metadata, self, free_fd);
	}
}

/* The rest: one queue (empty unless a test fills it) and a context. */
FIXTURE(raw) {
	int ctx;
	int q;
	char name[64];
};

FIXTURE_SETUP(raw)
{
	KT_REQUIRE_KIPC();
	self->ctx = kt_ctx();
	ASSERT_LE(0, self->ctx);
	kt_name(self->name, sizeof(self->name), "raw");
	self->q = raw_create(self->ctx, self->name, 0);
	ASSERT_LE(0, self->q);
}

FIXTURE_TEARDOWN(raw)
{
	close(self->q);
	close(self->ctx);
}

/* Names that are not [/][A-Za-z0-9._-]+: EINVAL on create, open, unlink. */
TEST_F(raw, name_invalid)
{
	static const char *const bad[] = {
		"", "/", "//", "//a", "a/b", "a/", "a b", " a", "a\tb",
		"a\nb", "a*", "a:b", "a\\b", "\xc3\xa4", "a\x7f", "a\x01",
	};
	unsigned int i;
	char name[64];
	int free_fd, ret;

	/* Open libkipc's context first: it keeps an fd. */
	ASSERT_EQ(-ENOENT, kipc_unlink(kt_name(name, sizeof(name), "none")));
	free_fd = next_fd();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = raw_create(self->ctx, bad[i], 0);
		EXPECT_EQ(-EINVAL, ret) {
			TH_LOG("create \"%s\"", bad[i]);
		}
		if (ret >= 0)
			close(ret);
		EXPECT_EQ(-EINVAL, raw_open(self->ctx, bad[i], KIPC_RDWR,
					    KIPC_KIND_QUEUE)) {
			TH_LOG("open \"%s\"", bad[i]);
		}
		EXPECT_EQ(-EINVAL, raw_unlink(self->ctx, bad[i], 0)) {
			TH_LOG("unlink \"%s\"", bad[i]);
		}
		EXPECT_EQ(-EINVAL, kipc_queue_create(bad[i], NULL, 0, 0600));
		EXPECT_EQ(free_fd, next_fd());
	}
	/* Every allowed character. */
	snprintf(name, sizeof(name), "/kt-AZaz09._-%d", (int)getpid());
	ret = raw_create(self->ctx, name, 0);
	EXPECT_LE(0, ret);
	if (ret >= 0)
		close(ret);
}

TEST_F(raw, name_length)
{
	char name[5000];
	int free_fd, q;

	/* 255 bytes: fine. */
	memset(name, 'n', sizeof(name));
	snprintf(name, 32, "kt.%d.", (int)getpid());
	name[strlen(name)] = 'n';
	name[KIPC_NAME_MAX] = '\0';
	q = raw_create(self->ctx, name, 0);
	ASSERT_LE(0, q);
	EXPECT_EQ(0, name_opens(self->ctx, name));
	EXPECT_EQ(-EEXIST, raw_create(self->ctx, name, 0));

	/* 256 bytes (the 255 above plus one): too long, everywhere. */
	free_fd = next_fd();
	name[KIPC_NAME_MAX] = 'n';
	name[KIPC_NAME_MAX + 1] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, raw_create(self->ctx, name, 0));
	EXPECT_EQ(-ENAMETOOLONG, raw_open(self->ctx, name, KIPC_RDWR,
					  KIPC_KIND_QUEUE));
	EXPECT_EQ(-ENAMETOOLONG, raw_unlink(self->ctx, name, 0));
	EXPECT_EQ(free_fd, next_fd());

	/* Far longer. */
	name[KIPC_NAME_MAX + 1] = 'n';
	name[sizeof(name) - 1] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, raw_create(self->ctx, name, 0));
	EXPECT_EQ(-ENAMETOOLONG, raw_open(self->ctx, name, KIPC_RDWR,
					  KIPC_KIND_QUEUE));
	EXPECT_EQ(-ENAMETOOLONG, raw_unlink(self->ctx, name, 0));
	EXPECT_EQ(free_fd, next_fd());

	/* The 255-byte name is still there, and unlinks. */
	name[KIPC_NAME_MAX] = '\0';
	EXPECT_EQ(0, raw_unlink(self->ctx, name, 0));
	EXPECT_EQ(-ENOENT, name_opens(self->ctx, name));
	close(q);

	/* A leading '/' is not counted: '/' + 255 bytes is that name. */
	{
		char slashed[KIPC_NAME_MAX + 3];

		slashed[0] = '/';
		memcpy(slashed + 1, name, KIPC_NAME_MAX + 1);
		q = raw_create(self->ctx, slashed, 0);
		ASSERT_LE(0, q);
		EXPECT_EQ(0, name_opens(self->ctx, name));
		EXPECT_EQ(-EEXIST, raw_create(self->ctx, name, 0));
		close(q);
		/* '/' + 256 bytes is too long. */
		memset(slashed + 1, 'n', KIPC_NAME_MAX + 1);
		slashed[KIPC_NAME_MAX + 2] = '\0';
		EXPECT_EQ(-ENAMETOOLONG, raw_create(self->ctx, slashed, 0));
	}
}

/* "/x" and "x" are one name. */
TEST_F(raw, name_leading_slash)
{
	const char *bare = self->name + 1;
	int h;

	ASSERT_EQ('/', self->name[0]);
	EXPECT_EQ(-EEXIST, raw_create(self->ctx, bare, 0));
	EXPECT_EQ(-EEXIST, raw_create(self->ctx, self->name, KIPC_PERSIST));
	h = raw_open(self->ctx, bare, KIPC_RDONLY, KIPC_KIND_QUEUE);
	ASSERT_LE(0, h);
	EXPECT_EQ(stat_id(self->q), stat_id(h));
	close(h);

	EXPECT_EQ(0, raw_unlink(self->ctx, bare, 0));
	EXPECT_EQ(-ENOENT, name_opens(self->ctx, self->name));
	EXPECT_EQ(-ENOENT, raw_unlink(self->ctx, self->name, 0));

	/* And the other way round. */
	h = raw_create(self->ctx, bare, 0);
	ASSERT_LE(0, h);
	EXPECT_EQ(-EEXIST, raw_create(self->ctx, self->name, 0));
	EXPECT_EQ(0, raw_unlink(self->ctx, self->name, 0));
	EXPECT_EQ(-ENOENT, name_opens(self->ctx, bare));
	close(h);
}

/* Name pointers the kernel cannot read: EFAULT; 0 for create: anonymous. */
TEST_F(raw, name_bad_pointer)
{
	struct kipc_ioc_queue_create c = {
		.size		= sizeof(c),
		.mode		= 0600,
		.max_msgs	= 4,
		.max_msg_size	= MAX_MSG,
	};
	struct kipc_queue_stat st;
	__u64 bad[] = { 1, 0, 0 };
	char *guard = guard_page();
	int free_fd = next_fd();
	unsigned int i;
	int ret;

	ASSERT_NE(NULL, guard);
	/* "abc" and no NUL before the inaccessible page; the page itself. */
	memcpy(guard - 3, "abc", 3);
	bad[1] = (uintptr_t)(guard - 3);
	bad[2] = (uintptr_t)guard;

	for (i = 0; i < 3; i++) {
		struct kipc_ioc_open o = {
			.size = sizeof(o), .flags = KIPC_RDWR, .name = bad[i],
			.kind = KIPC_KIND_QUEUE,
		};
		struct kipc_ioc_unlink u = { .size = sizeof(u), .name = bad[i] };

		c.name = bad[i];
		EXPECT_EQ(-EFAULT, kt_ioctl(self->ctx, KIPC_IOC_QUEUE_CREATE, &c));
		EXPECT_EQ(-EFAULT, kt_ioctl(self->ctx, KIPC_IOC_OPEN, &o));
		EXPECT_EQ(-EFAULT, kt_ioctl(self->ctx, KIPC_IOC_UNLINK, &u));
		EXPECT_EQ(free_fd, next_fd());
	}
	EXPECT_EQ(-ENOENT, name_opens(self->ctx, "abc"));

	/* No name at all on create: an anonymous queue. */
	c.name = 0;
	ret = kt_ioctl(self->ctx, KIPC_IOC_QUEUE_CREATE, &c);
	ASSERT_LE(0, ret);
	ASSERT_EQ(0, kt_stat(ret, &st));
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);
	EXPECT_EQ(0, kipc_send(ret, 1, 0, "anon", 5, 0));
	close(ret);
}

/* Open's kind must be a kind; another kind's open of a queue is ENOTTY. */
TEST_F(raw, open_kind)
{
	int free_fd = next_fd();

	EXPECT_EQ(-ENOTTY, raw_open(self->ctx, self->name, KIPC_RDWR,
				    KIPC_KIND_EVENT));
	EXPECT_EQ(-ENOTTY, raw_open(self->ctx, self->name, KIPC_RDWR,
				    KIPC_KIND_REGION));
	EXPECT_EQ(-EINVAL, raw_open(self->ctx, self->name, KIPC_RDWR, 0));
	EXPECT_EQ(-EINVAL, raw_open(self->ctx, self->name, KIPC_RDWR, 99));
	EXPECT_EQ(-EINVAL, raw_open(self->ctx, self->name, KIPC_RDWR,
				    0x80000001));
	EXPECT_EQ(free_fd, next_fd());
}

/* Open flags: at least one access bit; no create-only or unknown bits. */
TEST_F(raw, open_flags)
{
	static const unsigned int bad[] = {
		0, KIPC_NONBLOCK, KIPC_PERSIST, KIPC_RDWR | KIPC_PERSIST,
		KIPC_RDONLY | 1U << 4, KIPC_WRONLY | 1U << 31,
	};
	int free_fd = next_fd();
	unsigned int i;
	int h;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, raw_open(self->ctx, self->name, bad[i],
					    KIPC_KIND_QUEUE)) {
			TH_LOG("open flags %#x", bad[i]);
		}
	}
	EXPECT_EQ(free_fd, next_fd());

	h = raw_open(self->ctx, self->name, KIPC_RDONLY | KIPC_NONBLOCK,
		     KIPC_KIND_QUEUE);
	ASSERT_LE(0, h);
	EXPECT_EQ(O_NONBLOCK, fcntl(h, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(h, F_GETFD) & FD_CLOEXEC);
	close(h);
	h = raw_open(self->ctx, self->name, KIPC_WRONLY, KIPC_KIND_QUEUE);
	ASSERT_LE(0, h);
	EXPECT_EQ(0, fcntl(h, F_GETFL) & O_NONBLOCK);
	close(h);
}

/* Library calls on fds that are not queue handles. */
TEST_F(raw, not_a_queue_handle)
{
	struct kipc_queue_stat st;
	int devnull, p[2];
	char buf[8];

	EXPECT_EQ(-EBADF, kipc_send(-1, 1, 0, "x", 2, 0));
	EXPECT_EQ(-EBADF, kipc_recv(-1, NULL, buf, sizeof(buf), NULL, 0));
	EXPECT_EQ(-EBADF, kipc_queue_stat(-1, &st));
	EXPECT_EQ(-EBADF, kipc_send(next_fd(), 1, 0, "x", 2, 0));

	devnull = open("/dev/null", O_RDWR);
	ASSERT_LE(0, devnull);
	EXPECT_EQ(-ENOTTY, kipc_send(devnull, 1, 0, "x", 2, 0));
	EXPECT_EQ(-ENOTTY, kipc_recv(devnull, NULL, buf, sizeof(buf), NULL, 0));
	EXPECT_EQ(-ENOTTY, kipc_queue_shutdown(devnull));
	EXPECT_EQ(-ENOTTY, kipc_queue_stat(devnull, &st));
	close(devnull);

	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-ENOTTY, kipc_send(p[1], 1, 0, "x", 2, 0));
	EXPECT_EQ(-ENOTTY, kipc_queue_stat(p[0], &st));
	close(p[0]);
	close(p[1]);

	/* The context is not a queue. */
	EXPECT_EQ(-ENOTTY, kipc_send(self->ctx, 1, 0, "x", 2, 0));
	EXPECT_EQ(-ENOTTY, kipc_recv(self->ctx, NULL, buf, sizeof(buf), NULL, 0));
	EXPECT_EQ(-ENOTTY, kipc_queue_stat(self->ctx, &st));
	EXPECT_EQ(-ENOTTY, kipc_queue_shutdown(self->ctx));

	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);
}

/* Command numbers nobody defined: ENOTTY on both kinds of fd. */
TEST_F(raw, unknown_command)
{
	const unsigned long bad[] = {
		_IOW(KIPC_IOC_MAGIC, 0x7f, struct kipc_ioc_open),
		_IOWR(KIPC_IOC_MAGIC, 0xff, struct kipc_ioc_send),
		_IO(KIPC_IOC_MAGIC, 0x20),
		_IOW(KIPC_IOC_MAGIC, 0x0f, struct kipc_ioc_unlink),
		TCGETS,
		0,
	};
	unsigned char arg[256];
	unsigned int i;

	memset(arg, 0, sizeof(arg));
	((struct kipc_ioc_open *)arg)->size = sizeof(struct kipc_ioc_open);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-ENOTTY, kt_ioctl(self->ctx, bad[i], arg)) {
			TH_LOG("ctx cmd %#lx", bad[i]);
		}
		EXPECT_EQ(-ENOTTY, kt_ioctl(self->q, bad[i], arg)) {
			TH_LOG("queue cmd %#lx", bad[i]);
		}
	}
	/* Queue commands on the context, context commands on a queue. */
	EXPECT_EQ(-ENOTTY, kt_ioctl(self->ctx, KIPC_IOC_SEND, arg));
	EXPECT_EQ(-ENOTTY, kt_ioctl(self->q, KIPC_IOC_OPEN, arg));
}

static int raw_send(int q, struct kipc_msgdesc *d, unsigned int count,
		    __u64 msgs)
{
	struct kipc_ioc_send arg = {
		.size	= sizeof(arg),
		.msgs	= msgs ? msgs : (uintptr_t)d,
		.count	= count,
	};

	return kt_ioctl(q, KIPC_IOC_SEND, &arg);
}

/* Bad send descriptors and batches: refused, and nothing is queued. */
TEST_F(raw, send_invalid)
{
	static struct kipc_msgdesc d[KIPC_BATCH_MAX + 1];
	struct kipc_ioc_send nomsgs = { .size = sizeof(nomsgs), .count = 1 };
	struct kipc_queue_stat st;
	static char big[MAX_MSG + 1];
	unsigned int i;

	memset(d, 0, sizeof(d));
	for (i = 0; i <= KIPC_BATCH_MAX; i++) {
		d[i].type = 1;
		d[i].data = (uintptr_t)"ok";
		d[i].len = 3;
	}

#define SEND_CASE(err, count, msgs, field, val) do {			\
	__typeof__(d[0].field) __old = d[(count) - 1].field;		\
	d[(count) - 1].field = (val);					\
	EXPECT_EQ(err, raw_send(self->q, d, count, msgs)) {		\
		TH_LOG("%s = %s, batch of %d", #field, #val, count);	\
	}								\
	d[(count) - 1].field = __old;					\
	ASSERT_EQ(0, kt_stat(self->q, &st));				\
	EXPECT_EQ(0, st.depth_msgs);					\
	EXPECT_EQ(0, st.sent);						\
} while (0)

	SEND_CASE(-EINVAL, 1, 0, flags, 1);
	SEND_CASE(-EINVAL, 1, 0, flags, KIPC_MSG_DROPPED);
	SEND_CASE(-EINVAL, 1, 0, flags, 1U << 31);
	SEND_CASE(-EINVAL, 1, 0, __reserved, 1);
	SEND_CASE(-EINVAL, 1, 0, type, 0);
	SEND_CASE(-EINVAL, 1, 0, prio, KIPC_PRIO_MAX + 1);
	SEND_CASE(-EINVAL, 1, 0, prio, 0xffffffff);
	SEND_CASE(-EMSGSIZE, 1, 0, len, MAX_MSG + 1);
	SEND_CASE(-EFAULT, 1, 0, data, 1);
	/* Every descriptor is checked before anything is queued. */
	SEND_CASE(-EINVAL, 3, 0, flags, 1);
	SEND_CASE(-EINVAL, 3, 0, __reserved, 1);
	SEND_CASE(-EINVAL, 3, 0, type, 0);
	SEND_CASE(-EINVAL, 3, 0, prio, KIPC_PRIO_MAX + 1);
	SEND_CASE(-EMSGSIZE, 3, 0, len, MAX_MSG + 1);
	SEND_CASE(-EMSGSIZE, 3, 0, len, 1ULL << 32);
#undef SEND_CASE

	/* Batch sizes, array pointers. */
	EXPECT_EQ(-EINVAL, raw_send(self->q, d, 0, 0));
	EXPECT_EQ(-EINVAL, raw_send(self->q, d, KIPC_BATCH_MAX + 1, 0));
	EXPECT_EQ(-EINVAL, raw_send(self->q, d, 0xffffffff, 0));
	EXPECT_EQ(-EFAULT, kt_ioctl(self->q, KIPC_IOC_SEND, &nomsgs));
	EXPECT_EQ(-EFAULT, raw_send(self->q, d, 1, 1));
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.sent);

	/* A payload exactly max_msg_size is fine. */
	memset(big, 'b', sizeof(big));
	d[0].data = (uintptr_t)big;
	d[0].len = MAX_MSG;
	EXPECT_EQ(1, raw_send(self->q, d, 1, 0));
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(MAX_MSG, st.depth_bytes);
}

/*
 * Descriptors the kernel can read but not write the results back to: the
 * messages of the first chunk (16) are accepted and counted, and the batch
 * stops there; a single message is accepted.
 */
TEST_F(raw, send_readonly_descriptors)
{
	struct kipc_queue_attr a = { .max_msgs = 64 };
	struct kipc_queue_stat st;
	struct kipc_msgdesc *ro;
	static char buf[8];
	unsigned int i;
	int q;

	q = kipc_queue_create(NULL, &a, 0, 0600);
	ASSERT_LE(0, q);
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	for (i = 0; i < 20; i++)
		ro[i] = (struct kipc_msgdesc){ .type = 1, .len = sizeof(buf),
					       .data = (uintptr_t)buf };
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));

	EXPECT_EQ(16, raw_send(q, ro, 20, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(16, st.depth_msgs);
	EXPECT_EQ(16, st.sent);

	EXPECT_EQ(1, raw_send(q, ro, 1, 0));
	ASSERT_EQ(0, kt_stat(q, &st));
	EXPECT_EQ(17, st.depth_msgs);
	munmap(ro, 4096);
	close(q);
}

static int raw_recv(int q, struct kipc_msgdesc *d, unsigned int count,
		    __u32 mode, __u32 type)
{
	struct kipc_ioc_recv arg = {
		.size		= sizeof(arg),
		.msgs		= (uintptr_t)d,
		.count		= count,
		.sel_mode	= mode,
		.sel_type	= type,
	};

	return kt_ioctl(q, KIPC_IOC_RECV, &arg);
}

/* Bad selectors and arrays: refused, and nothing is consumed. */
TEST_F(raw, recv_invalid)
{
	struct kipc_ioc_recv nomsgs = { .size = sizeof(nomsgs), .count = 1 };
	struct kipc_msgdesc d[2], *ro;
	struct kipc_queue_stat st;
	char buf[MAX_MSG];
	unsigned int i;

	ASSERT_EQ(0, kipc_send(self->q, 5, 2, PAYLOAD, PAYLOAD_LEN, 0));

#define RECV_RESET() do {						\
	memset(d, 0xcc, sizeof(d));					\
	memset(buf, 0xcc, sizeof(buf));					\
	for (i = 0; i < 2; i++) {					\
		d[i].data = (uintptr_t)buf;				\
		d[i].len = sizeof(buf);					\
		d[i].__reserved = 0;					\
	}								\
} while (0)

#define RECV_CASE(err, count, mode, type) do {				\
	RECV_RESET();							\
	EXPECT_EQ(err, raw_recv(self->q, d, count, mode, type)) {	\
		TH_LOG("sel %d/%u, count %u", mode, type, count);	\
	}								\
	ASSERT_EQ(0, kt_stat(self->q, &st));				\
	EXPECT_EQ(1, st.depth_msgs);					\
	EXPECT_EQ(0, st.received);					\
	EXPECT_EQ(0, st.timeouts);	/* EAGAIN is not a timeout */	\
} while (0)

	RECV_CASE(-EINVAL, 1, KIPC_SEL_ANY, 5);
	RECV_CASE(-EINVAL, 1, KIPC_SEL_ANY, 1);
	RECV_CASE(-EINVAL, 1, KIPC_SEL_EQ, 0);
	RECV_CASE(-EINVAL, 1, KIPC_SEL_LE, 0);
	RECV_CASE(-EINVAL, 1, KIPC_SEL_NE, 0);
	RECV_CASE(-EINVAL, 1, KIPC_SEL_NE + 1, 5);
	RECV_CASE(-EINVAL, 1, 0xffffffff, 5);
	RECV_CASE(-EINVAL, 0, KIPC_SEL_ANY, 0);
	RECV_CASE(-EINVAL, KIPC_BATCH_MAX + 1, KIPC_SEL_ANY, 0);
	/* A selector matching nothing, timeout 0: would block. */
	RECV_CASE(-EAGAIN, 1, KIPC_SEL_EQ, 4);
	RECV_CASE(-EAGAIN, 1, KIPC_SEL_LE, 4);
	RECV_CASE(-EAGAIN, 1, KIPC_SEL_NE, 5);

	/* The array pointer. */
	EXPECT_EQ(-EFAULT, kt_ioctl(self->q, KIPC_IOC_RECV, &nomsgs));
	nomsgs.msgs = 1;
	EXPECT_EQ(-EFAULT, kt_ioctl(self->q, KIPC_IOC_RECV, &nomsgs));
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(0, st.received);

	/* A bad buffer: EFAULT, the message stays. */
	RECV_RESET();
	d[0].data = 1;
	EXPECT_EQ(-EFAULT, raw_recv(self->q, d, 1, KIPC_SEL_ANY, 0));
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(0, st.received);

	/*
	 * Descriptors the kernel can read but not write back: the payload
	 * copy succeeds, the descriptor copy fails, and the message stays.
	 */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	RECV_RESET();
	memcpy(ro, d, sizeof(d[0]));
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, raw_recv(self->q, ro, 1, KIPC_SEL_ANY, 0));
	munmap(ro, 4096);
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(0, st.received);

	/* A small buffer: EMSGSIZE with the needed length, the message stays. */
	RECV_RESET();
	d[0].len = PAYLOAD_LEN - 1;
	EXPECT_EQ(-EMSGSIZE, raw_recv(self->q, d, 1, KIPC_SEL_ANY, 0));
	EXPECT_EQ(PAYLOAD_LEN, d[0].len);
	ASSERT_EQ(0, kt_stat(self->q, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(0, st.received);

	/* Then the message, intact. */
	RECV_RESET();
	EXPECT_EQ(1, raw_recv(self->q, d, 2, KIPC_SEL_EQ, 5));
	EXPECT_EQ(5, d[0].type);
	EXPECT_EQ(2, d[0].prio);
	EXPECT_EQ(PAYLOAD_LEN, d[0].len);
	EXPECT_EQ(0, d[0].flags);
	EXPECT_EQ(1, d[0].seq);
	EXPECT_EQ(getpid(), d[0].pid);
	EXPECT_EQ(0, memcmp(PAYLOAD, buf, PAYLOAD_LEN));
	/* The second descriptor was not written. */
	EXPECT_EQ(POISON64, d[1].seq);
#undef RECV_CASE
#undef RECV_RESET
}

/* Create flags: PERSIST and NONBLOCK only; the handle is RDWR, CLOEXEC. */
TEST_F(raw, create_flags)
{
	char name[64], buf[MAX_MSG];
	int h;

	kt_name(name, sizeof(name), "rawflags");
	h = raw_create(self->ctx, name, KIPC_NONBLOCK);
	ASSERT_LE(0, h);
	EXPECT_EQ(O_NONBLOCK, fcntl(h, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(h, F_GETFD) & FD_CLOEXEC);
	/* O_NONBLOCK makes the timeout 0. */
	EXPECT_EQ(-EAGAIN, kipc_recv(h, NULL, buf, sizeof(buf), NULL, -1));
	close(h);
	EXPECT_EQ(-ENOENT, name_opens(self->ctx, name));
}

/* --- the command walk ---------------------------------------------- */

/*
 * Every command of every kind, from one table: a size one below version 1
 * is EINVAL, size 0 EINVAL, the exact size works, 8 more bytes that are
 * zero work, 8 more with a non-zero byte are E2BIG, the command number of
 * kipc 0.x (which encoded the size) is ENOTTY, and a caller built against
 * version 1 of the struct (below, frozen here as 1.0 published it) keeps
 * working.  Every argument lies right before an inaccessible page, so the
 * kernel can read and write nothing beyond the size it was given.  Each
 * call gets fresh objects; after a refused call the command's effect did
 * not happen, and the same state then takes the valid call.
 */

#define offsetofend(t, f)	(offsetof(t, f) + sizeof(((t *)0)->f))

/* The structs as kipc 1.0 published them: what an old caller has. */
struct v1_queue_create {
	__u32 size, flags;
	__aligned_u64 name;
	__u32 mode, policy, max_msgs, max_msg_size;
	__aligned_u64 max_bytes;
	__u32 qflags, __reserved;
};
struct v1_open { __u32 size, flags; __aligned_u64 name; __u32 kind, __reserved; };
struct v1_unlink { __u32 size, flags; __aligned_u64 name; };
struct v1_send {
	__u32 size, flags;
	__aligned_u64 msgs;
	__u32 count, __reserved;
	__s64 timeout_ns;
};
struct v1_recv {
	__u32 size, flags;
	__aligned_u64 msgs;
	__u32 count, sel_mode, sel_type, __reserved;
	__s64 timeout_ns;
};
struct v1_shutdown { __u32 size, flags; };
struct v1_queue_thread { __u32 size, flags; };
struct v1_recv_leased {
	__u32 size, flags;
	__aligned_u64 msgs;
	__u32 count, sel_mode, sel_type;
	__s32 thread_fd;
	__s64 timeout_ns;
};
struct v1_ack { __u32 size, flags; __aligned_u64 seqs; __u32 count, __reserved; };
struct v1_queue_stat {
	__u32 size, flags;
	__u64 depth_msgs, depth_bytes, max_msgs, max_bytes, max_msg_size;
	__u64 high_water, sent, received, dropped_new, dropped_oldest;
	__u64 conflated, rejected, timeouts, wakeups;
	__u32 policy, qflags, blocked_senders, blocked_receivers;
	__u32 senders, receivers, state;
	__s32 owner_pid;
	__u32 id, __reserved;
};
struct v1_region_create {
	__u32 size, flags;
	__aligned_u64 name;
	__u32 mode, ring;
	__aligned_u64 region_size;
};
struct v1_region_stat {
	__u32 size, flags;
	__u64 region_size;
	__u32 token, access, handles, waiters, locks, state, ring_role;
	__s32 owner_pid;
	__u32 id, owner_died;
};
struct v1_wait {
	__u32 size, flags;
	__aligned_u64 offset;
	__u32 expected, __reserved;
	__s64 timeout_ns;
};
struct v1_wake { __u32 size, flags; __aligned_u64 offset; __u32 count, __reserved; };
struct v1_lock { __u32 size, flags; __aligned_u64 offset; __s64 timeout_ns; };
struct v1_region_thread { __u32 size, flags; };
struct v1_ring_attach { __u32 size, flags, role, __reserved; };
struct v1_event_create {
	__u32 size, flags;
	__aligned_u64 name;
	__u32 mode, kind;
	__aligned_u64 initial;
};
struct v1_event_post { __u32 size, flags; __aligned_u64 value; };
struct v1_event_wait { __u32 size, flags; __s64 timeout_ns; __aligned_u64 value; };
struct v1_event_stat {
	__u32 size, flags;
	__u64 count, posts, waits;
	__u32 kind, state, waiters;
	__s32 owner_pid;
	__u32 id, __reserved;
};

/* Version 1 is a prefix of today's struct, ending where the header says. */
#define V1(op, last)							\
	static_assert(sizeof(struct v1_##op) ==				\
		      offsetofend(struct kipc_ioc_##op, last), #op " v1");	\
	static_assert(offsetof(struct v1_##op, last) ==			\
		      offsetof(struct kipc_ioc_##op, last), #op " v1 layout")
V1(queue_create, __reserved);
V1(open, __reserved);
V1(unlink, name);
V1(send, timeout_ns);
V1(recv, timeout_ns);
V1(shutdown, flags);
V1(queue_thread, flags);
V1(recv_leased, timeout_ns);
V1(ack, __reserved);
V1(queue_stat, __reserved);
V1(region_create, region_size);
V1(region_stat, owner_died);
V1(wait, timeout_ns);
V1(wake, __reserved);
V1(lock, timeout_ns);
V1(region_thread, flags);
V1(ring_attach, __reserved);
V1(event_create, initial);
V1(event_post, value);
V1(event_wait, value);
V1(event_stat, __reserved);
#undef V1

union walk_arg {
	struct kipc_ioc_queue_create queue_create;
	struct kipc_ioc_open open;
	struct kipc_ioc_unlink unlink;
	struct kipc_ioc_send send;
	struct kipc_ioc_recv recv;
	struct kipc_ioc_shutdown shutdown;
	struct kipc_ioc_queue_thread queue_thread;
	struct kipc_ioc_recv_leased recv_leased;
	struct kipc_ioc_ack ack;
	struct kipc_ioc_queue_stat queue_stat;
	struct kipc_ioc_region_create region_create;
	struct kipc_ioc_region_stat region_stat;
	struct kipc_ioc_wait wait;
	struct kipc_ioc_wake wake;
	struct kipc_ioc_lock lock;
	struct kipc_ioc_region_thread region_thread;
	struct kipc_ioc_ring_attach ring_attach;
	struct kipc_ioc_event_create event_create;
	struct kipc_ioc_event_post event_post;
	struct kipc_ioc_event_wait event_wait;
	struct kipc_ioc_event_stat event_stat;
	unsigned char bytes[256];
};

#define WALK_FDS	16

FIXTURE(walk) {
	int ctx;
	int fds[WALK_FDS];	/* closed after each command */
	unsigned int nfds;
	unsigned int seq;	/* for fresh names */
	char name[64];		/* the last fresh name */
	volatile __u32 *map;	/* the last region's first page, or NULL */
	char *guard;		/* an inaccessible page */
	struct kipc_msgdesc desc;
	char rbuf[MAX_MSG];
	__u64 lseq;		/* the leased message, for ack */
};

struct walk_cmd {
	const char *what;
	unsigned long cmd;
	unsigned int old_dir;	/* kipc 0.x encoded _IOW or _IOWR */
	size_t size;		/* sizeof today's struct */
	size_t v1_size;		/* sizeof its version 1 */
	int kind;		/* the fd it goes to: 0 for the context */
	/* Fresh objects and a valid argument; the fd to call, or -errno. */
	int (*prep)(FIXTURE_DATA(walk) *self, union walk_arg *a);
	int result;		/* a valid call's result, or RES_FD */
	/* The call's effect is visible (the output, for the stat calls). */
	bool (*done)(FIXTURE_DATA(walk) *self, int fd,
		     const union walk_arg *a);
};

static int walk_keep(FIXTURE_DATA(walk) *self, int fd)
{
	if (fd >= 0 && self->nfds < WALK_FDS)
		self->fds[self->nfds++] = fd;
	return fd;
}

static void walk_reset(FIXTURE_DATA(walk) *self)
{
	while (self->nfds)
		close(self->fds[--self->nfds]);
	if (self->map)
		munmap((void *)self->map, 4096);
	self->map = NULL;
}

static const char *walk_name(FIXTURE_DATA(walk) *self)
{
	snprintf(self->name, sizeof(self->name), "/kt.walk.%d.%u",
		 (int)getpid(), self->seq++);
	return self->name;
}

static int walk_queue(FIXTURE_DATA(walk) *self, const char *name)
{
	return walk_keep(self, raw_create(self->ctx, name, 0));
}

static int walk_region(FIXTURE_DATA(walk) *self, const char *name, __u32 ring)
{
	struct kipc_ioc_region_create a = {
		.size = sizeof(a), .name = (uintptr_t)name, .mode = 0600,
		.ring = ring, .region_size = 4096,
	};
	int r = walk_keep(self, kt_ioctl(self->ctx, KIPC_IOC_REGION_CREATE, &a));
	void *p;

	if (r < 0 || ring)
		return r;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, r, 0);
	if (p == MAP_FAILED)
		return -errno;
	self->map = p;
	return r;
}

static int walk_event(FIXTURE_DATA(walk) *self, __u64 initial)
{
	struct kipc_ioc_event_create a = {
		.size = sizeof(a), .mode = 0600, .kind = KIPC_EVENT_SEMAPHORE,
		.initial = initial,
	};

	return walk_keep(self, kt_ioctl(self->ctx, KIPC_IOC_EVENT_CREATE, &a));
}

static int walk_lock_op(int r, unsigned long cmd)
{
	struct kipc_ioc_lock a = { .size = sizeof(a) };

	return kt_ioctl(r, cmd, &a);
}

static long walk_qstat(int q, int field)
{
	struct kipc_ioc_queue_stat st = { .size = sizeof(st) };

	if (kt_ioctl(q, KIPC_IOC_QUEUE_STAT, &st))
		return -1;
	return field ? (long)st.state : (long)st.depth_msgs;
}

static long walk_ecount(int e)
{
	struct kipc_ioc_event_stat st = { .size = sizeof(st) };

	if (kt_ioctl(e, KIPC_IOC_EVENT_STAT, &st))
		return -1;
	return st.count;
}

static int prep_queue_create(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	a->queue_create.mode = 0600;
	a->queue_create.max_msgs = 4;
	a->queue_create.max_msg_size = MAX_MSG;
	return self->ctx;
}

static int prep_open(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	int q = walk_queue(self, walk_name(self));

	a->open.flags = KIPC_RDWR;
	a->open.name = (uintptr_t)self->name;
	a->open.kind = KIPC_KIND_QUEUE;
	return q < 0 ? q : self->ctx;
}

static int prep_unlink(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	int q = walk_queue(self, walk_name(self));

	a->unlink.name = (uintptr_t)self->name;
	return q < 0 ? q : self->ctx;
}

static bool done_unlink(FIXTURE_DATA(walk) *self, int fd,
			const union walk_arg *a)
{
	return name_opens(self->ctx, self->name) == -ENOENT;
}

static int prep_region_create(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	a->region_create.mode = 0600;
	a->region_create.region_size = 4096;
	return self->ctx;
}

static int prep_event_create(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	a->event_create.mode = 0600;
	a->event_create.kind = KIPC_EVENT_SEMAPHORE;
	a->event_create.initial = 1;
	return self->ctx;
}

static int prep_send(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	memset(&self->desc, 0, sizeof(self->desc));
	self->desc.type = 1;
	self->desc.data = (uintptr_t)PAYLOAD;
	self->desc.len = PAYLOAD_LEN;
	a->send.msgs = (uintptr_t)&self->desc;
	a->send.count = 1;
	return walk_queue(self, NULL);
}

static bool done_send(FIXTURE_DATA(walk) *self, int fd,
		      const union walk_arg *a)
{
	return walk_qstat(fd, 0) == 1;
}

static int prep_recv(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	int q = walk_queue(self, NULL);

	if (q >= 0 && kipc_send(q, 1, 0, PAYLOAD, PAYLOAD_LEN, 0))
		return -EIO;
	memset(&self->desc, 0, sizeof(self->desc));
	self->desc.data = (uintptr_t)self->rbuf;
	self->desc.len = sizeof(self->rbuf);
	a->recv.msgs = (uintptr_t)&self->desc;
	a->recv.count = 1;
	a->recv.sel_mode = KIPC_SEL_ANY;
	return q;
}

static bool done_recv(FIXTURE_DATA(walk) *self, int fd,
		      const union walk_arg *a)
{
	return walk_qstat(fd, 0) == 0;
}

static int prep_queue(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	return walk_queue(self, NULL);
}

static bool done_shutdown(FIXTURE_DATA(walk) *self, int fd,
			  const union walk_arg *a)
{
	return walk_qstat(fd, 1) == KIPC_STATE_SHUTDOWN;
}

/* The queue's leased messages (stat inflight_msgs), or -1. */
static long walk_inflight(int q)
{
	struct kipc_ioc_queue_stat st = { .size = sizeof(st) };

	if (kt_ioctl(q, KIPC_IOC_QUEUE_STAT, &st))
		return -1;
	return (long)st.inflight_msgs;
}

/* A queue holding one message, and a thread handle of it: recv_leased. */
static int prep_recv_leased(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	struct kipc_ioc_queue_thread th = { .size = sizeof(th) };
	int q = prep_recv(self, a), t;

	if (q < 0)
		return q;
	t = walk_keep(self, kt_ioctl(q, KIPC_IOC_QUEUE_THREAD, &th));
	if (t < 0)
		return t;
	memset(a, 0, sizeof(*a));
	a->recv_leased.msgs = (uintptr_t)&self->desc;
	a->recv_leased.count = 1;
	a->recv_leased.sel_mode = KIPC_SEL_ANY;
	a->recv_leased.thread_fd = t;
	return q;
}

static bool done_recv_leased(FIXTURE_DATA(walk) *self, int fd,
			     const union walk_arg *a)
{
	return walk_qstat(fd, 0) == 0 && walk_inflight(fd) == 1;
}

/* The same, with the message leased: ack it. */
static int prep_ack(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	int q = prep_recv_leased(self, a);

	if (q < 0)
		return q;
	a->recv_leased.size = sizeof(a->recv_leased);
	if (kt_ioctl(q, KIPC_IOC_RECV_LEASED, &a->recv_leased) != 1)
		return -EIO;
	self->lseq = self->desc.seq;
	memset(a, 0, sizeof(*a));
	a->ack.seqs = (uintptr_t)&self->lseq;
	a->ack.count = 1;
	return q;
}

static bool done_ack(FIXTURE_DATA(walk) *self, int fd,
		     const union walk_arg *a)
{
	return walk_inflight(fd) == 0 && walk_qstat(fd, 0) == 0;
}

static bool done_queue_stat(FIXTURE_DATA(walk) *self, int fd,
			    const union walk_arg *a)
{
	return a->queue_stat.max_msgs == 4 &&
	       a->queue_stat.max_msg_size == MAX_MSG &&
	       a->queue_stat.state == KIPC_STATE_LIVE &&
	       a->queue_stat.senders == 1;
}

static int prep_region(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	return walk_region(self, NULL, 0);
}

static bool done_region_stat(FIXTURE_DATA(walk) *self, int fd,
			     const union walk_arg *a)
{
	return a->region_stat.region_size == 4096 &&
	       a->region_stat.access == KIPC_RDWR &&
	       a->region_stat.token != 0;
}

static int prep_wait(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	a->wait.expected = 1;		/* the word is 0: EAGAIN at once */
	return walk_region(self, NULL, 0);
}

static int prep_wake(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	a->wake.count = 1;
	return walk_region(self, NULL, 0);
}

static bool done_lock_init(FIXTURE_DATA(walk) *self, int fd,
			   const union walk_arg *a)
{
	struct kipc_ioc_region_stat st = { .size = sizeof(st) };

	return !kt_ioctl(fd, KIPC_IOC_REGION_STAT, &st) && st.locks == 1;
}

/* A region with a registered lock at offset 0. */
static int prep_lock(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	int r = walk_region(self, NULL, 0);

	if (r >= 0 && walk_lock_op(r, KIPC_IOC_LOCK_INIT))
		return -EIO;
	return r;
}

static bool done_lock(FIXTURE_DATA(walk) *self, int fd,
		      const union walk_arg *a)
{
	return self->map[0] != 0;
}

static int prep_unlock(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	int r = prep_lock(self, a);

	if (r >= 0 && walk_lock_op(r, KIPC_IOC_LOCK))
		return -EIO;
	return r;
}

static bool done_unlock(FIXTURE_DATA(walk) *self, int fd,
			const union walk_arg *a)
{
	return self->map[0] == 0;
}

/* The lock's holder (a thread handle) is gone; @r took it over. */
static int prep_lock_consistent(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	struct kipc_ioc_region_thread th = { .size = sizeof(th) };
	int r = prep_lock(self, a), t;

	if (r < 0)
		return r;
	t = kt_ioctl(r, KIPC_IOC_REGION_THREAD, &th);
	if (t < 0)
		return t;
	if (walk_lock_op(t, KIPC_IOC_LOCK)) {
		close(t);
		return -EIO;
	}
	close(t);
	if (walk_lock_op(r, KIPC_IOC_LOCK) != -EOWNERDEAD)
		return -EIO;
	return r;
}

static bool done_lock_consistent(FIXTURE_DATA(walk) *self, int fd,
				 const union walk_arg *a)
{
	return !(self->map[0] & KIPC_LOCK_OWNER_DIED);
}

/* A second handle of a producer ring: it may take the consumer role. */
static int prep_ring_attach(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	int r = walk_region(self, walk_name(self), KIPC_RING_PRODUCER);

	if (r < 0)
		return r;
	return walk_keep(self, raw_open(self->ctx, self->name, KIPC_RDWR,
					KIPC_KIND_REGION));
}

static bool done_ring_attach(FIXTURE_DATA(walk) *self, int fd,
			     const union walk_arg *a)
{
	return a->ring_attach.role == KIPC_RING_CONSUMER;
}

static int prep_event_post(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	a->event_post.value = 1;
	return walk_event(self, 0);
}

static bool done_event_post(FIXTURE_DATA(walk) *self, int fd,
			    const union walk_arg *a)
{
	return walk_ecount(fd) == 1;
}

static int prep_event(FIXTURE_DATA(walk) *self, union walk_arg *a)
{
	return walk_event(self, 1);
}

static bool done_event_wait(FIXTURE_DATA(walk) *self, int fd,
			    const union walk_arg *a)
{
	return walk_ecount(fd) == 0 && a->event_wait.value == 1;
}

static bool done_event_stat(FIXTURE_DATA(walk) *self, int fd,
			    const union walk_arg *a)
{
	return a->event_stat.kind == KIPC_EVENT_SEMAPHORE &&
	       a->event_stat.count == 1 && a->event_stat.state == KIPC_STATE_LIVE;
}

#define W	_IOC_WRITE
#define WR	(_IOC_READ | _IOC_WRITE)
#define CMD(op, OP, dir, k, p, res, d)					\
	{ #op, KIPC_IOC_##OP, dir, sizeof(struct kipc_ioc_##op),	\
	  sizeof(struct v1_##op), k, p, res, d }
#define LOCKCMD(name, OP, p, d)						\
	{ name, KIPC_IOC_##OP, W, sizeof(struct kipc_ioc_lock),		\
	  sizeof(struct v1_lock), KIPC_KIND_REGION, p, 0, d }

static const struct walk_cmd walk_cmds[] = {
	CMD(queue_create, QUEUE_CREATE, W, 0, prep_queue_create, RES_FD, NULL),
	CMD(open, OPEN, W, 0, prep_open, RES_FD, NULL),
	CMD(unlink, UNLINK, W, 0, prep_unlink, 0, done_unlink),
	CMD(region_create, REGION_CREATE, W, 0, prep_region_create, RES_FD,
	    NULL),
	CMD(event_create, EVENT_CREATE, W, 0, prep_event_create, RES_FD, NULL),
	CMD(send, SEND, WR, KIPC_KIND_QUEUE, prep_send, 1, done_send),
	CMD(recv, RECV, WR, KIPC_KIND_QUEUE, prep_recv, 1, done_recv),
	CMD(shutdown, SHUTDOWN, W, KIPC_KIND_QUEUE, prep_queue, 0,
	    done_shutdown),
	CMD(queue_stat, QUEUE_STAT, WR, KIPC_KIND_QUEUE, prep_queue, 0,
	    done_queue_stat),
	CMD(queue_thread, QUEUE_THREAD, W, KIPC_KIND_QUEUE, prep_queue, RES_FD,
	    NULL),
	CMD(recv_leased, RECV_LEASED, WR, KIPC_KIND_QUEUE, prep_recv_leased, 1,
	    done_recv_leased),
	CMD(ack, ACK, W, KIPC_KIND_QUEUE, prep_ack, 1, done_ack),
	CMD(region_stat, REGION_STAT, WR, KIPC_KIND_REGION, prep_region, 0,
	    done_region_stat),
	CMD(wait, WAIT, W, KIPC_KIND_REGION, prep_wait, -EAGAIN, NULL),
	CMD(wake, WAKE, W, KIPC_KIND_REGION, prep_wake, 0, NULL),
	LOCKCMD("lock_init", LOCK_INIT, prep_region, done_lock_init),
	LOCKCMD("lock", LOCK, prep_lock, done_lock),
	LOCKCMD("unlock", UNLOCK, prep_unlock, done_unlock),
	CMD(ring_attach, RING_ATTACH, WR, KIPC_KIND_REGION, prep_ring_attach,
	    0, done_ring_attach),
	CMD(region_thread, REGION_THREAD, W, KIPC_KIND_REGION, prep_region,
	    RES_FD, NULL),
	LOCKCMD("lock_consistent", LOCK_CONSISTENT, prep_lock_consistent,
		done_lock_consistent),
	CMD(event_post, EVENT_POST, W, KIPC_KIND_EVENT, prep_event_post, 0,
	    done_event_post),
	CMD(event_wait, EVENT_WAIT, WR, KIPC_KIND_EVENT, prep_event, 0,
	    done_event_wait),
	CMD(event_stat, EVENT_STAT, WR, KIPC_KIND_EVENT, prep_event, 0,
	    done_event_stat),
};
#undef CMD
#undef LOCKCMD
#undef W
#undef WR

FIXTURE_SETUP(walk)
{
	KT_REQUIRE_KIPC();
	self->ctx = kt_ctx();
	ASSERT_LE(0, self->ctx);
	self->guard = guard_page();
	ASSERT_NE(NULL, self->guard);
}

FIXTURE_TEARDOWN(walk)
{
	walk_reset(self);
	close(self->ctx);
}

/*
 * One call of @c with a fresh valid argument of @size bytes (its first
 * word set to @size), the @tail_bytes beyond the struct zero except
 * @poke (if < @tail_bytes), right before the guard page; the command
 * number @cmd.  Returns the result; the argument as the kernel left it
 * is in @a, the fd used in @fd.
 */
static int walk_call(FIXTURE_DATA(walk) *self, const struct walk_cmd *c,
		     unsigned long cmd, size_t size, size_t poke,
		     union walk_arg *a, int *fd)
{
	unsigned char *at;
	int ret;

	memset(a, 0, sizeof(*a));
	*fd = c->prep(self, a);
	if (*fd < 0)
		return INT_MIN;
	a->queue_create.size = size;
	if (size > c->size && poke < size - c->size)
		a->bytes[c->size + poke] = 0x80;
	/*
	 * Only @size bytes are the caller's: they end at the guard page
	 * (the size word itself is always there to read).
	 */
	at = (unsigned char *)self->guard - (size < 4 ? 4 : size);
	memcpy(at, a, size < 4 ? 4 : size);
	ret = kt_ioctl(*fd, cmd, at);
	memcpy(a, at, size);
	return ret;
}

/* The valid call's result and effect. */
static void walk_expect_done(struct __test_metadata *_metadata,
			     FIXTURE_DATA(walk) *self,
			     const struct walk_cmd *c, int fd,
			     const union walk_arg *a, int ret,
			     const char *how)
{
	if (c->result == RES_FD) {
		EXPECT_LE(0, ret) {
			TH_LOG("%s, %s: %d", c->what, how, ret);
		}
		if (ret >= 0) {
			EXPECT_EQ(FD_CLOEXEC, fcntl(ret, F_GETFD) & FD_CLOEXEC);
			close(ret);
		}
		return;
	}
	EXPECT_EQ(c->result, ret) {
		TH_LOG("%s, %s", c->what, how);
	}
	if (c->done)
		EXPECT_TRUE(c->done(self, fd, a)) {
			TH_LOG("%s, %s: no effect", c->what, how);
		}
}

/* A refused call: the error, no fd, no effect; then the valid call works. */
static void walk_expect_refused(struct __test_metadata *_metadata,
				FIXTURE_DATA(walk) *self,
				const struct walk_cmd *c, int fd,
				const union walk_arg *a, int ret, int err,
				int free_fd, const char *how)
{
	union walk_arg b;
	unsigned char *at;

	EXPECT_EQ(err, ret) {
		TH_LOG("%s, %s", c->what, how);
	}
	EXPECT_EQ(free_fd, next_fd()) {
		TH_LOG("%s, %s: installed an fd", c->what, how);
	}
	if (c->done)
		EXPECT_FALSE(c->done(self, fd, a)) {
			TH_LOG("%s, %s: took effect", c->what, how);
		}
	/* The same state takes the valid call (prep ran once). */
	memcpy(&b, a, sizeof(b));
	b.queue_create.size = c->size;
	at = (unsigned char *)self->guard - c->size;
	memcpy(at, &b, c->size);
	ret = kt_ioctl(fd, c->cmd, at);
	memcpy(&b, at, c->size);
	walk_expect_done(_metadata, self, c, fd, &b, ret, "after refusal");
}

TEST_F(walk, sizes)
{
	unsigned int i;
	union walk_arg a;
	int fd, ret, free_fd;

	for (i = 0; i < ARRAY_SIZE(walk_cmds); i++) {
		const struct walk_cmd *c = &walk_cmds[i];
		const size_t bad_small[] = { c->v1_size - 1, 0, 4 };
		const size_t pokes[] = { 0, TAIL - 1 };
		unsigned int j;

		for (j = 0; j < ARRAY_SIZE(bad_small); j++) {
			ret = walk_call(self, c, c->cmd, bad_small[j], ~0UL,
					&a, &fd);
			ASSERT_LE(0, fd) {
				TH_LOG("%s: setup failed", c->what);
			}
			free_fd = next_fd();
			walk_expect_refused(_metadata, self, c, fd, &a, ret,
					    -EINVAL, free_fd, "size too small");
			walk_reset(self);
		}

		ret = walk_call(self, c, c->cmd, c->size, ~0UL, &a, &fd);
		ASSERT_LE(0, fd);
		walk_expect_done(_metadata, self, c, fd, &a, ret, "exact size");
		walk_reset(self);

		ret = walk_call(self, c, c->cmd, c->size + TAIL, ~0UL, &a, &fd);
		ASSERT_LE(0, fd);
		walk_expect_done(_metadata, self, c, fd, &a, ret, "zero tail");
		for (j = 0; j < TAIL; j++)
			EXPECT_EQ(0, a.bytes[c->size + j]) {
				TH_LOG("%s: tail byte %u written", c->what, j);
			}
		walk_reset(self);

		for (j = 0; j < ARRAY_SIZE(pokes); j++) {
			ret = walk_call(self, c, c->cmd, c->size + TAIL,
					pokes[j], &a, &fd);
			ASSERT_LE(0, fd);
			free_fd = next_fd();
			walk_expect_refused(_metadata, self, c, fd, &a, ret,
					    -E2BIG, free_fd, "non-zero tail");
			walk_reset(self);
		}
	}
}

/* A caller built against version 1 of each struct keeps working. */
TEST_F(walk, version_1_caller)
{
	unsigned int i;
	union walk_arg a;
	int fd, ret;

	for (i = 0; i < ARRAY_SIZE(walk_cmds); i++) {
		const struct walk_cmd *c = &walk_cmds[i];

		ret = walk_call(self, c, c->cmd, c->v1_size, ~0UL, &a, &fd);
		ASSERT_LE(0, fd);
		walk_expect_done(_metadata, self, c, fd, &a, ret, "version 1");
		walk_reset(self);
	}
}

/* The commands whose struct the kernel writes back. */
static bool walk_writes_back(const struct walk_cmd *c)
{
	return c->cmd == KIPC_IOC_QUEUE_STAT || c->cmd == KIPC_IOC_REGION_STAT ||
	       c->cmd == KIPC_IOC_RING_ATTACH || c->cmd == KIPC_IOC_EVENT_WAIT ||
	       c->cmd == KIPC_IOC_EVENT_STAT;
}

/*
 * A struct the kernel must write back but cannot: EFAULT before anything
 * is done, so no role is taken and no unit consumed for a result the
 * caller never sees; the same state then takes the valid call.
 */
TEST_F(walk, readonly_struct)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned int i, n = 0;
	union walk_arg a;
	unsigned char *ro;
	int fd, free_fd;

	ro = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	for (i = 0; i < ARRAY_SIZE(walk_cmds); i++) {
		const struct walk_cmd *c = &walk_cmds[i];

		if (!walk_writes_back(c))
			continue;
		n++;
		memset(&a, 0, sizeof(a));
		fd = c->prep(self, &a);
		ASSERT_LE(0, fd) {
			TH_LOG("%s: setup failed", c->what);
		}
		a.queue_create.size = c->size;
		ASSERT_EQ(0, mprotect(ro, pg, PROT_READ | PROT_WRITE));
		memcpy(ro, &a, c->size);
		ASSERT_EQ(0, mprotect(ro, pg, PROT_READ));
		free_fd = next_fd();
		walk_expect_refused(_metadata, self, c, fd, &a,
				    kt_ioctl(fd, c->cmd, ro), -EFAULT, free_fd,
				    "read-only struct");
		walk_reset(self);
	}
	EXPECT_EQ(5, n);
	munmap(ro, pg);
}

/* kipc 0.x's command numbers encoded the size and direction: ENOTTY. */
TEST_F(walk, old_command_numbers)
{
	unsigned int i;
	union walk_arg a;
	int fd, ret, free_fd;

	for (i = 0; i < ARRAY_SIZE(walk_cmds); i++) {
		const struct walk_cmd *c = &walk_cmds[i];
		unsigned long old = _IOC(c->old_dir, KIPC_IOC_MAGIC,
					 _IOC_NR(c->cmd), c->size);
		const unsigned long bad[] = {
			old,
			_IOC(_IOC_READ, KIPC_IOC_MAGIC, _IOC_NR(c->cmd), c->size),
			_IOC(_IOC_NONE, KIPC_IOC_MAGIC, _IOC_NR(c->cmd), TAIL),
			_IOC(_IOC_NONE, KIPC_IOC_MAGIC ^ 1, _IOC_NR(c->cmd), 0),
		};
		unsigned int j;

		EXPECT_EQ(_IO(KIPC_IOC_MAGIC, _IOC_NR(c->cmd)), c->cmd);
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			ret = walk_call(self, c, bad[j], c->size, ~0UL, &a, &fd);
			ASSERT_LE(0, fd);
			free_fd = next_fd();
			walk_expect_refused(_metadata, self, c, fd, &a, ret,
					    -ENOTTY, free_fd, "other number");
			walk_reset(self);
		}
	}
}

/* Every number of kipc's magic that is not a command of the fd's kind. */
TEST_F(walk, unknown_numbers)
{
	unsigned char arg[256];
	int fds[4], kinds[4] = { 0, KIPC_KIND_QUEUE, KIPC_KIND_REGION,
				 KIPC_KIND_EVENT };
	unsigned int k, nr, i;

	fds[0] = self->ctx;
	fds[1] = walk_queue(self, NULL);
	fds[2] = walk_region(self, NULL, 0);
	fds[3] = walk_event(self, 1);
	for (k = 1; k < 4; k++)
		ASSERT_LE(0, fds[k]);
	memset(arg, 0, sizeof(arg));
	*(__u32 *)arg = sizeof(arg);
	for (k = 0; k < 4; k++) {
		for (nr = 0; nr < 256; nr++) {
			bool known = false;

			for (i = 0; i < ARRAY_SIZE(walk_cmds); i++)
				if (_IOC_NR(walk_cmds[i].cmd) == nr &&
				    walk_cmds[i].kind == kinds[k])
					known = true;
			if (known)
				continue;
			EXPECT_EQ(-ENOTTY, kt_ioctl(fds[k],
						    _IO(KIPC_IOC_MAGIC, nr),
						    arg)) {
				TH_LOG("kind %d nr %#x", kinds[k], nr);
			}
		}
	}
	/* Nothing happened to any of them. */
	EXPECT_EQ(0, walk_qstat(fds[1], 0));
	EXPECT_EQ(KIPC_STATE_LIVE, walk_qstat(fds[1], 1));
	EXPECT_EQ(1, walk_ecount(fds[3]));
}

TEST_HARNESS_MAIN
