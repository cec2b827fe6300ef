// SPDX-License-Identifier: GPL-2.0
/*
 * Permissions of kipc queues (docs/queues.md, "Create, open, unlink"):
 * open checks read/write access against the mode like SysV ipcperms, with
 * exactly one of the owner, group and other classes chosen by the caller's
 * fsuid/fsgid and supplementary groups; CAP_IPC_OWNER overrides; only the
 * object's uid or CAP_IPC_OWNER may unlink; a handle's access mode limits
 * what it may do (EBADF); a received message reports the sender's uid.
 * The tests run as root and fork children that drop to nobody (65534) or
 * another unprivileged uid.
 */
#include <grp.h>
#include <limits.h>
#include <sys/fsuid.h>
#include <sys/types.h>

#include "lib/kt_harness.h"

#define NOBODY		65534
#define OTHER		65533	/* an unprivileged uid/gid that owns nothing */
#define CHILD_FAILED	INT_MIN

static const struct kipc_queue_attr small = {
	.max_msgs	= 4,
	.max_msg_size	= 64,
};

/* Drop to uid/gid, with the given supplementary groups (may be none). */
static int become(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

struct cred {
	uid_t uid;
	gid_t gid;
	gid_t group;	/* one supplementary group, or 0 for none */
};

static const struct cred nobody = { NOBODY, NOBODY, 0 };
static const struct cred other = { OTHER, OTHER, 0 };

/*
 * Run fn(arg) in a child with the credentials @cr and return what it
 * returned (an int, usually 0 or -errno), or CHILD_FAILED.
 */
static int run_as(const struct cred *cr, int (*fn)(const void *arg),
		  const void *arg)
{
	int p[2], ret = CHILD_FAILED;
	pid_t pid;

	if (pipe(p))
		return CHILD_FAILED;
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return CHILD_FAILED;
	if (pid == 0) {
		close(p[0]);
		ret = become(cr->uid, cr->gid, &cr->group, cr->group ? 1 : 0);
		if (ret)
			fprintf(stderr, "# cannot become %u:%u: %d\n",
				cr->uid, cr->gid, ret);
		else
			ret = fn(arg);
		if (write(p[1], &ret, sizeof(ret)) != sizeof(ret))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = CHILD_FAILED;
	close(p[0]);
	if (kt_reap(pid) != 0)
		ret = CHILD_FAILED;
	return ret;
}

struct open_args {
	const char *name;
	int flags;
};

/* Open and close again: 0 or -errno. */
static int try_open(const void *arg)
{
	const struct open_args *a = arg;
	int h = kipc_queue_open(a->name, a->flags);

	if (h < 0)
		return h;
	close(h);
	return 0;
}

static int open_as(const struct cred *cr, const char *name, int flags)
{
	struct open_args a = { name, flags };

	return run_as(cr, try_open, &a);
}

static int try_unlink(const void *arg)
{
	return kipc_unlink(arg);
}

static int unlink_as(const struct cred *cr, const char *name)
{
	return run_as(cr, try_unlink, name);
}

struct create_args {
	const char *name;
	mode_t mode;
};

/* Create a persistent queue and close its handle: 0 or -errno. */
static int try_create_persist(const void *arg)
{
	const struct create_args *a = arg;
	int q = kipc_queue_create(a->name, &small, KIPC_PERSIST, a->mode);

	if (q < 0)
		return q;
	close(q);
	return 0;
}

/* Create a persistent queue, unlink it, check the name is gone. */
static int try_create_unlink(const void *arg)
{
	const struct create_args *a = arg;
	int ret;

	ret = try_create_persist(arg);
	if (ret)
		return ret;
	ret = kipc_unlink(a->name);
	if (ret)
		return ret;
	ret = kipc_queue_open(a->name, KIPC_RDONLY);
	return ret == -ENOENT ? 0 : -EBADMSG;
}

FIXTURE(perm) {
	char name[64];
};

FIXTURE_SETUP(perm)
{
	char none[64];

	KT_REQUIRE_KIPC();
	if (geteuid() != 0)
		KT_SKIP(_exit(KT_SKIP_STATUS), "needs root");
	kt_name(self->name, sizeof(self->name), "perm");
	/*
	 * Open libkipc's context now, as root: the children inherit it, so
	 * the device node's own mode does not matter to these tests.
	 */
	ASSERT_EQ(-ENOENT, kipc_unlink(kt_name(none, sizeof(none), "none")));
}

FIXTURE_TEARDOWN(perm)
{
	kipc_unlink(self->name);
}

FIXTURE(perm_mode) {
	char name[64];
	int q;
};

FIXTURE_VARIANT(perm_mode) {
	mode_t mode;
	int r, w, rw;	/* nobody's open RDONLY, WRONLY, RDWR: 0 or -errno */
};

FIXTURE_VARIANT_ADD(perm_mode, m0600) { 0600, -EACCES, -EACCES, -EACCES };
FIXTURE_VARIANT_ADD(perm_mode, m0644) { 0644, 0, -EACCES, -EACCES };
FIXTURE_VARIANT_ADD(perm_mode, m0622) { 0622, -EACCES, 0, -EACCES };
FIXTURE_VARIANT_ADD(perm_mode, m0666) { 0666, 0, 0, 0 };
FIXTURE_VARIANT_ADD(perm_mode, m0604) { 0604, 0, -EACCES, -EACCES };
FIXTURE_VARIANT_ADD(perm_mode, m0602) { 0602, -EACCES, 0, -EACCES };
FIXTURE_VARIANT_ADD(perm_mode, m0006) { 0006, 0, 0, 0 };
/* Group and owner bits do not apply to nobody (not root, not in gid 0). */
FIXTURE_VARIANT_ADD(perm_mode, m0660) { 0660, -EACCES, -EACCES, -EACCES };
FIXTURE_VARIANT_ADD(perm_mode, m0000) { 0000, -EACCES, -EACCES, -EACCES };

FIXTURE_SETUP(perm_mode)
{
	char none[64];

	KT_REQUIRE_KIPC();
	if (geteuid() != 0)
		KT_SKIP(_exit(KT_SKIP_STATUS), "needs root");
	kt_name(self->name, sizeof(self->name), "permmode");
	ASSERT_EQ(-ENOENT, kipc_unlink(kt_name(none, sizeof(none), "none")));
	/* root, gid 0 */
	ASSERT_EQ(0, getegid());
	self->q = kipc_queue_create(self->name, &small, 0, variant->mode);
	ASSERT_LE(0, self->q);
}

FIXTURE_TEARDOWN(perm_mode)
{
	close(self->q);
}

/* A queue root created: what nobody may open, and root always may. */
TEST_F(perm_mode, open_by_other)
{
	struct kipc_queue_stat st;

	EXPECT_EQ(variant->r, open_as(&nobody, self->name, KIPC_RDONLY));
	EXPECT_EQ(variant->w, open_as(&nobody, self->name, KIPC_WRONLY));
	EXPECT_EQ(variant->rw, open_as(&nobody, self->name, KIPC_RDWR));
	EXPECT_EQ(variant->r,
		  open_as(&nobody, self->name, KIPC_RDONLY | KIPC_NONBLOCK));

	/* Root: CAP_IPC_OWNER overrides the mode, also for mode 0. */
	EXPECT_EQ(0, open_as(&(struct cred){ 0, 0, 0 }, self->name, KIPC_RDWR));

	/* Every handle the children opened is closed again. */
	memset(&st, 0xcc, sizeof(st));
	ASSERT_EQ(0, kipc_queue_stat(self->q, &st));
	EXPECT_EQ(1, st.senders);
	EXPECT_EQ(1, st.receivers);
}

/* Only the object's uid or CAP_IPC_OWNER may unlink. */
TEST_F(perm, unlink_needs_owner)
{
	int q, h;

	q = kipc_queue_create(self->name, &small, 0, 0666);
	ASSERT_LE(0, q);

	EXPECT_EQ(-EPERM, unlink_as(&nobody, self->name));
	EXPECT_EQ(-EPERM, unlink_as(&other, self->name));
	/* Still there, and usable by nobody (mode 0666). */
	h = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);
	EXPECT_EQ(0, open_as(&nobody, self->name, KIPC_RDWR));
	close(h);

	EXPECT_EQ(0, kipc_unlink(self->name));
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDONLY));
	close(q);
}

/*
 * A queue nobody created with mode 0600: another user is refused, root
 * opens it (CAP_IPC_OWNER) and unlinks it.
 */
TEST_F(perm, root_overrides_nobody_queue)
{
	struct create_args c = { self->name, 0600 };
	int h;

	ASSERT_EQ(0, run_as(&nobody, try_create_persist, &c));

	EXPECT_EQ(-EACCES, open_as(&other, self->name, KIPC_RDONLY));
	EXPECT_EQ(-EPERM, unlink_as(&other, self->name));
	EXPECT_EQ(0, open_as(&nobody, self->name, KIPC_RDWR));

	h = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, h);
	EXPECT_EQ(0, kipc_send(h, 1, 0, "root", 5, 0));
	close(h);
	h = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, h);
	close(h);

	EXPECT_EQ(0, kipc_unlink(self->name));
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDONLY));
}

/* The creator's uid may unlink its own queue. */
TEST_F(perm, creator_unlinks_own)
{
	struct create_args c = { self->name, 0600 };

	EXPECT_EQ(0, run_as(&nobody, try_create_unlink, &c));
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDONLY));
}

/*
 * The owner class is chosen for the object's uid even when its bits deny
 * what the other class would allow (SysV ipcperms): nobody's own mode 0066
 * queue refuses nobody, but lets OTHER in.
 */
TEST_F(perm, owner_class_is_exclusive)
{
	struct create_args c = { self->name, 0066 };

	ASSERT_EQ(0, run_as(&nobody, try_create_persist, &c));
	EXPECT_EQ(-EACCES, open_as(&nobody, self->name, KIPC_RDONLY));
	EXPECT_EQ(-EACCES, open_as(&nobody, self->name, KIPC_WRONLY));
	EXPECT_EQ(0, open_as(&other, self->name, KIPC_RDWR));
	/* Unlink is by uid, not by mode. */
	EXPECT_EQ(0, unlink_as(&nobody, self->name));
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDONLY));
}

/*
 * Group bits: the creator's fsgid becomes the queue's gid.  Root creates
 * with fsgid NOBODY; members of that group (by gid or supplementary
 * group) get the group bits and only those.
 */
TEST_F(perm, group_bits)
{
	const struct cred member = { OTHER, OTHER, NOBODY };
	char name2[64];
	int q1, q2;

	kt_name(name2, sizeof(name2), "permgrp2");

	ASSERT_EQ(0, (int)setfsgid(NOBODY));
	ASSERT_EQ(NOBODY, (int)setfsgid(NOBODY));
	q1 = kipc_queue_create(self->name, &small, 0, 0640);
	q2 = kipc_queue_create(name2, &small, 0, 0606);
	setfsgid(0);
	ASSERT_EQ(0, (int)setfsgid(0));
	ASSERT_LE(0, q1);
	ASSERT_LE(0, q2);

	/* 0640, gid NOBODY: group may read, not write; others nothing. */
	EXPECT_EQ(0, open_as(&nobody, self->name, KIPC_RDONLY));
	EXPECT_EQ(-EACCES, open_as(&nobody, self->name, KIPC_WRONLY));
	EXPECT_EQ(0, open_as(&member, self->name, KIPC_RDONLY));
	EXPECT_EQ(-EACCES, open_as(&member, self->name, KIPC_WRONLY));
	EXPECT_EQ(-EACCES, open_as(&other, self->name, KIPC_RDONLY));

	/* 0606, gid NOBODY: the group class denies, the other class allows. */
	EXPECT_EQ(-EACCES, open_as(&nobody, name2, KIPC_RDONLY));
	EXPECT_EQ(-EACCES, open_as(&nobody, name2, KIPC_WRONLY));
	EXPECT_EQ(-EACCES, open_as(&member, name2, KIPC_RDONLY));
	EXPECT_EQ(0, open_as(&other, name2, KIPC_RDWR));

	/* Group membership does not allow unlink: only the uid does. */
	EXPECT_EQ(-EPERM, unlink_as(&nobody, self->name));

	close(q1);
	close(q2);
}

/* A handle's access mode limits what it may do: EBADF otherwise. */
TEST_F(perm, handle_access_mode)
{
	struct kipc_msg m[2];
	struct kipc_queue_stat st;
	int q, r, w;
	char buf[16];

	q = kipc_queue_create(self->name, &small, 0, 0600);
	ASSERT_LE(0, q);
	r = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, r);
	w = kipc_queue_open(self->name, KIPC_WRONLY);
	ASSERT_LE(0, w);

	EXPECT_EQ(-EBADF, kipc_send(r, 1, 0, "no", 3, 0));
	memset(m, 0, sizeof(m));
	m[0].type = 1;
	m[0].data = "no";
	m[0].len = 3;
	EXPECT_EQ(-EBADF, kipc_sendv(r, m, 1, 0));
	EXPECT_EQ(-EBADF, kipc_queue_shutdown(r));

	memset(&st, 0xcc, sizeof(st));
	ASSERT_EQ(0, kipc_queue_stat(r, &st));
	EXPECT_EQ(0, st.depth_msgs);
	EXPECT_EQ(0, st.sent);
	EXPECT_EQ(KIPC_STATE_LIVE, st.state);
	EXPECT_EQ(2, st.senders);	/* q and w */
	EXPECT_EQ(2, st.receivers);	/* q and r */

	EXPECT_EQ(0, kipc_send(w, 1, 0, "yes", 4, 0));
	EXPECT_EQ(-EBADF, kipc_recv(w, NULL, buf, sizeof(buf), NULL, 0));
	memset(m, 0, sizeof(m));
	m[0].data = buf;
	m[0].len = sizeof(buf);
	EXPECT_EQ(-EBADF, kipc_recvv(w, NULL, m, 1, 0));

	memset(&st, 0xcc, sizeof(st));
	ASSERT_EQ(0, kipc_queue_stat(w, &st));
	EXPECT_EQ(1, st.depth_msgs);
	EXPECT_EQ(0, st.received);

	memset(buf, 0xcc, sizeof(buf));
	EXPECT_EQ(4, kipc_recv(r, NULL, buf, sizeof(buf), NULL, 0));
	EXPECT_EQ(0, strcmp("yes", buf));

	/* The write-only handle may shut the queue down. */
	EXPECT_EQ(0, kipc_queue_shutdown(w));
	EXPECT_EQ(-EPIPE, kipc_recv(r, NULL, buf, sizeof(buf), NULL, 0));

	close(r);
	close(w);
	close(q);
}

/*
 * A received message reports its sender's uid and pid: a child running as
 * nobody sends, and stays alive until the parent has received.
 */
TEST_F(perm, recv_reports_sender_uid)
{
	int ready[2], done[2];
	struct kipc_msg info;
	char buf[32];
	pid_t pid;
	ssize_t n;
	int q, h;

	q = kipc_queue_create(self->name, &small, 0, 0622);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ready[0]);
		close(done[1]);
		if (become(NOBODY, NOBODY, NULL, 0))
			_exit(2);
		h = kipc_queue_open(self->name, KIPC_WRONLY);
		if (h < 0)
			_exit(3);
		if (kipc_send(h, 7, 3, "from-child", 11, 0))
			_exit(4);
		kt_signal(ready[1]);
		kt_await(done[0]);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	kt_await(ready[0]);

	EXPECT_EQ(0, kipc_send(q, 8, 1, "from-root", 10, 0));

	memset(&info, 0xcc, sizeof(info));
	memset(buf, 0xcc, sizeof(buf));
	n = kipc_recv(q, NULL, buf, sizeof(buf), &info, 0);
	ASSERT_EQ(11, n);
	EXPECT_EQ(0, strcmp("from-child", buf));
	EXPECT_EQ(7, info.type);
	EXPECT_EQ(3, info.prio);
	EXPECT_EQ(11, info.len);
	EXPECT_EQ(NOBODY, info.uid);
	EXPECT_EQ(pid, info.pid);

	memset(&info, 0xcc, sizeof(info));
	memset(buf, 0xcc, sizeof(buf));
	n = kipc_recv(q, NULL, buf, sizeof(buf), &info, 0);
	ASSERT_EQ(10, n);
	EXPECT_EQ(0, strcmp("from-root", buf));
	EXPECT_EQ(8, info.type);
	EXPECT_EQ(0, info.uid);
	EXPECT_EQ(getpid(), info.pid);

	kt_signal(done[1]);
	close(done[1]);
	EXPECT_EQ(0, kt_reap(pid));
	close(q);
}

/* mode may hold only 0777 bits. */
TEST_F(perm, mode_bits_checked)
{
	static const mode_t bad[] = { 01000, 02000, 04000, 010000, 0x80000000 };
	unsigned int i;
	int q;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		q = kipc_queue_create(self->name, &small, 0, bad[i] | 0600);
		EXPECT_EQ(-EINVAL, q);
		if (q >= 0)
			close(q);
		EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDONLY));
	}
	q = kipc_queue_create(self->name, &small, 0, 0777);
	ASSERT_LE(0, q);
	close(q);
}

/* Open and close again as an event or a region: 0 or -errno. */
static int try_open_event(const void *arg)
{
	const struct open_args *a = arg;
	int h = kipc_event_open(a->name, a->flags);

	if (h < 0)
		return h;
	close(h);
	return 0;
}

static int try_open_region(const void *arg)
{
	const struct open_args *a = arg;
	int h = kipc_region_open(a->name, a->flags);

	if (h < 0)
		return h;
	close(h);
	return 0;
}

/*
 * A caller without access must not learn what an object is: opening a
 * 0600 queue as an event or a region answers as opening it as a queue
 * does (EACCES), not ENOTTY.  With access, the wrong kind is ENOTTY.
 */
TEST_F(perm, wrong_kind_without_access_is_eacces)
{
	struct open_args a = { self->name, KIPC_RDONLY };
	int q = kipc_queue_create(self->name, &small, 0, 0600);

	ASSERT_LE(0, q);
	EXPECT_EQ(-EACCES, run_as(&nobody, try_open, &a));
	EXPECT_EQ(-EACCES, run_as(&nobody, try_open_event, &a));
	EXPECT_EQ(-EACCES, run_as(&nobody, try_open_region, &a));
	/* The owner has access: it is told the kind is wrong. */
	EXPECT_EQ(-ENOTTY, try_open_event(&a));
	close(q);
	q = kipc_queue_create(self->name, &small, 0, 0604);
	ASSERT_LE(0, q);
	EXPECT_EQ(-ENOTTY, run_as(&nobody, try_open_event, &a));
	close(q);
}

TEST_HARNESS_MAIN
