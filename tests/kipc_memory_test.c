// SPDX-License-Identifier: GPL-2.0
/*
 * The per-uid quota (max_user_bytes) bounds the kernel memory a user can
 * make kipc allocate (docs/architecture.md, "Memory and the quota").  An
 * unprivileged child (uid 65534) with a small quota builds the worst
 * shapes until ENOSPC:
 *
 * - queues of zero-length messages, each of its own (type, priority),
 *   with types spread so that every message needs its own list and its
 *   own xarray leaf;
 * - persistent named events with 255-byte names (closed: only the event
 *   and its name remain);
 * - regions full of robust locks at sparse offsets; a lock_init must
 *   grow the uid's charge (a lock that is not charged is a failure).
 *
 * Kernel memory is measured as the slab, vmalloc and percpu bytes in the
 * memory.stat of a cgroup v2 child group holding only the test child
 * (every kipc allocation is __GFP_ACCOUNT), or, without cgroup2's memory
 * controller, as the Slab + VmallocUsed delta of /proc/meminfo.  The
 * bound is the quota plus SLACK: per-cpu object stocks, slab pages not
 * yet returned, and per open handle its file, dentry and struct kipc_handle
 * (bounded by RLIMIT_NOFILE like any fd, not by the quota).  The measured
 * bytes per message, per type, per event and per name are printed.
 */
#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lib/kt_harness.h"
#include "kipc-nl.h"

#define NOBODY		65534
#define PARAM		"/sys/module/kipc/parameters/max_user_bytes"
#define CG_ROOT		"/sys/fs/cgroup"
#define SLACK_BASE	(1024 * 1024)	/* memcg stocks, user pages */
#define SLACK_HANDLE	2048		/* file, dentry, handle, fd slot */
#define QMSGS		4096

static char cg_path[128];	/* the child group, or "" for meminfo */
static int settle_req = -1, settle_ack = -1;	/* child: ask the parent */
static double inflation = 1.0;	/* slab debug metadata (KASAN) */

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		ret = -errno;
	close(fd);
	return ret;
}

static int read_buf(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* The value of @key ("\nname ") in a memory.stat text; 0 if absent. */
static long long stat_bytes(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : 0;
}

static long long meminfo_kb(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : 0;
}

static long long mem_read(void);
static double slab_inflation(void);

/*
 * Kernel memory of the child's group now, in bytes, once what closed
 * files and freed nodes leave to RCU is gone: read until it stops
 * falling (a few grace periods).
 */
static long long mem_now(void)
{
	long long last, now;
	int i;

	if (settle_req >= 0) {
		kt_signal(settle_req);
		kt_await(settle_ack);
	}
	last = mem_read();
	for (i = 0; i < 20; i++) {
		usleep(100 * 1000);
		now = mem_read();
		if (now < 0 || now >= last)
			return now < 0 ? now : last;
		last = now;
	}
	return last;
}

static long long mem_read(void)
{
	static char buf[8192];
	char path[160];

	if (cg_path[0]) {
		/*
		 * The kernel memory the group's objects hold, to the byte:
		 * memory.current would add the per-cpu charge stock (up to
		 * 64 pages), which is noise, not memory kipc holds.
		 */
		snprintf(path, sizeof(path), "%s/memory.stat", cg_path);
		if (read_buf(path, buf, sizeof(buf)))
			return -1;
		return stat_bytes(buf, "\nslab ") +
		       stat_bytes(buf, "\nvmalloc ") +
		       stat_bytes(buf, "\npercpu ");
	}
	if (read_buf("/proc/meminfo", buf, sizeof(buf)))
		return -1;
	return 1024 * (meminfo_kb(buf, "\nSlab:") +
		       meminfo_kb(buf, "\nVmallocUsed:"));
}

/* Spread types: consecutive i land in far-apart xarray leaves. */
static uint32_t spread_type(uint32_t i)
{
	uint32_t t = (i + 1) * 2654435761U;

	return t ? t : 1;
}

/* Fill @q with zero-length messages until it refuses; how many went in. */
static long fill_queue(int q, bool distinct)
{
	static struct kipc_msg m[256];
	static char byte;
	long sent = 0;
	int i, ret;

	for (;;) {
		for (i = 0; i < 256; i++) {
			memset(&m[i], 0, sizeof(m[i]));
			m[i].type = distinct ? spread_type(sent + i) : 1;
			m[i].prio = distinct ? (sent + i) % 32 : 0;
			m[i].data = &byte;
			m[i].len = 0;
		}
		ret = kipc_sendv(q, m, 256, 0);
		if (ret <= 0)
			return ret < 0 && ret != -EAGAIN && ret != -ENOSPC &&
			       ret != -ENOMEM ? ret : sent;
		sent += ret;
		if (ret < 256)
			return sent;
	}
}

#define QMEASURE	16384

static const struct kipc_queue_attr big = {
	.max_msgs = QMEASURE, .max_msg_size = 1, .max_bytes = 1,
	.policy = KIPC_POLICY_FAIL,
};

static const struct kipc_queue_attr worst = {
	.max_msgs = QMSGS, .max_msg_size = 1, .max_bytes = 1,
	.policy = KIPC_POLICY_FAIL,
};

FIXTURE(mem) {
	char saved[64];
	bool cg_made;
};

FIXTURE_SETUP(mem)
{
	char buf[256];

	KT_REQUIRE_KIPC();
	if (geteuid())
		KT_SKIP(_exit(KT_SKIP_STATUS),
		     "needs root (module parameter, cgroup, setuid)");
	ASSERT_EQ(0, read_buf(PARAM, self->saved, sizeof(self->saved)))
		TH_LOG("cannot read %s", PARAM);
	cg_path[0] = '\0';
	/* The test VM mounts no cgroup2: do it (harmless if mounted). */
	if (read_buf(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)))
		mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL);
	if (!read_buf(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)) &&
	    strstr(buf, "memory")) {
		write_str(CG_ROOT "/cgroup.subtree_control", "+memory");
		snprintf(cg_path, sizeof(cg_path), CG_ROOT "/kipc-mem-%d",
			 (int)getpid());
		if (mkdir(cg_path, 0755) && errno != EEXIST) {
			cg_path[0] = '\0';
		} else {
			char p[160];

			self->cg_made = true;
			/* A runaway old module must not take the VM down. */
			snprintf(p, sizeof(p), "%s/memory.max", cg_path);
			write_str(p, "536870912");
		}
	}
	TH_LOG("measuring with %s", cg_path[0] ? cg_path :
	       "/proc/meminfo Slab + VmallocUsed (no cgroup2 memory)");
	inflation = slab_inflation();
	if (inflation > 1.0)
		TH_LOG("slab objects carry debug metadata (KASAN): bounds "
		       "scaled by %.2f, quarantine drained before measuring",
		       inflation);
}

FIXTURE_TEARDOWN(mem)
{
	write_str(PARAM, self->saved);
	if (self->cg_made)
		rmdir(cg_path);
}

/*
 * Parent: free what a KASAN kernel keeps in its quarantine (freed objects
 * stay charged to the memcg there): shrinking a cache drains its part.
 */
static void drain_quarantine(void)
{
	char path[320];
	struct dirent *d;
	DIR *dir;

	if (inflation <= 1.0)
		return;
	dir = opendir("/sys/kernel/slab");
	if (!dir)
		return;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.' && d->d_name[0] != ':') {
			snprintf(path, sizeof(path),
				 "/sys/kernel/slab/%s/shrink", d->d_name);
			write_str(path, "1");
		}
	closedir(dir);
}

/* Slab size over object size of a few caches: 1.0 without debug data. */
static double slab_inflation(void)
{
	/* Every cache a queue, an event or a name allocates from. */
	static const char *const caches[] = {
		"kmalloc-32", "kmalloc-64", "kmalloc-128", "kmalloc-256",
		"kmalloc-512", "kmalloc-1k", "radix_tree_node", "kipc_msg_256",
	};
	double worst = 1.0;
	char path[96], buf[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(caches); i++) {
		long obj, slab;

		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/object_size",
			 caches[i]);
		if (read_buf(path, buf, sizeof(buf)))
			continue;
		obj = strtol(buf, NULL, 10);
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/slab_size",
			 caches[i]);
		if (read_buf(path, buf, sizeof(buf)))
			continue;
		slab = strtol(buf, NULL, 10);
		/* A free pointer and alignment are not debug data. */
		if (obj > 0 && slab > obj + 16 && (double)slab / obj > worst)
			worst = (double)slab / obj;
	}
	return worst;
}

/*
 * Run @fn as nobody in the measured group with max_user_bytes = @quota;
 * returns its exit status.  On a kernel whose slab objects carry debug
 * metadata (KASAN redzones), the bound scales by that inflation and the
 * parent drains the KASAN quarantine before each measurement.
 */
static int run_nobody(unsigned long quota, int (*fn)(unsigned long quota))
{
	int go[2], req[2], ack[2];
	char buf[32], c;
	pid_t pid;

	snprintf(buf, sizeof(buf), "%lu", quota);
	if (write_str(PARAM, buf) || pipe(go) || pipe(req) || pipe(ack))
		return -1;
	fflush(stderr);
	pid = kt_fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct rlimit rl = { 8192, 8192 };
		cpu_set_t one;

		close(go[1]);
		close(req[0]);
		close(ack[1]);
		settle_req = req[1];
		settle_ack = ack[0];
		kt_await(go[0]);
		/* One CPU: one per-cpu memcg charge stock (256 KiB) at most. */
		CPU_ZERO(&one);
		CPU_SET(0, &one);
		if (sched_setaffinity(0, sizeof(one), &one) ||
		    setrlimit(RLIMIT_NOFILE, &rl) ||
		    setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(2);
		_exit(fn(quota));
	}
	close(go[0]);
	if (cg_path[0]) {
		char p[160];

		snprintf(p, sizeof(p), "%s/cgroup.procs", cg_path);
		snprintf(buf, sizeof(buf), "%d", (int)pid);
		if (write_str(p, buf)) {
			kill(pid, SIGKILL);
			kt_reap(pid);
			return -1;
		}
	}
	kt_signal(go[1]);
	close(go[1]);
	close(req[1]);
	close(ack[0]);
	/* Serve measurement requests until the child exits. */
	while (read(req[0], &c, 1) == 1) {
		drain_quarantine();
		kt_signal(ack[1]);
	}
	close(req[0]);
	close(ack[1]);
	return kt_reap(pid);
}

/* ---- queues ---------------------------------------------------------- */

static int queue_worst(unsigned long quota)
{
	long long base, now, limit = quota * inflation + SLACK_BASE;
	int q[64], nq = 0, i;
	long msgs = 0, n;

	base = mem_now();
	KT_CHILD_CHECK(base >= 0);
	for (nq = 0; nq < 64; nq++) {
		q[nq] = kipc_queue_create(NULL, &worst, 0, 0600);
		if (q[nq] == -ENOSPC)
			break;
		KT_CHILD_CHECK(q[nq] >= 0);
		n = fill_queue(q[nq], true);
		KT_CHILD_CHECK(n >= 0);
		msgs += n;
		limit += SLACK_HANDLE;
		now = mem_now();
		if (now - base > limit) {
			nq++;
			break;	/* over the bound already: stop here */
		}
	}
	now = mem_now();
	fprintf(stderr, "# %d queues of max_msgs %d accepted %ld zero-length "
		"messages of distinct (type, prio); kernel memory +%lld bytes "
		"(%lld per message) for a quota of %lu (+%lld slack); "
		"charged %llu\n", nq, QMSGS, msgs, now - base,
		msgs ? (now - base) / msgs : 0, quota, limit - quota,
		(unsigned long long)kipcnl_charged());
	KT_CHILD_CHECK(nq >= 1 && msgs >= QMSGS);
	KT_CHILD_CHECK(now - base <= limit);
	for (i = 0; i < nq; i++)
		if (q[i] >= 0)
			close(q[i]);
	return 0;
}

TEST_F_TIMEOUT(mem, queue_zero_length_distinct_types, 900)
{
	EXPECT_EQ(0, run_nobody(24UL << 20, queue_worst));
}

/* Bytes per message and per (type, prio) list, printed. */
static int queue_measure(unsigned long quota)
{
	long long base, a, b;
	long na, nb;
	int qa, qb;

	base = mem_now();
	qa = kipc_queue_create(NULL, &big, 0, 0600);
	KT_CHILD_CHECK(qa >= 0);
	na = fill_queue(qa, false);
	a = mem_now();
	qb = kipc_queue_create(NULL, &big, 0, 0600);
	KT_CHILD_CHECK(qb >= 0);
	nb = fill_queue(qb, true);
	b = mem_now();
	fprintf(stderr, "# memory: %lld, %lld, %lld\n", base, a, b);
	KT_CHILD_CHECK(na == QMEASURE && nb == QMEASURE);
	fprintf(stderr, "# measured: %lld bytes per zero-length message of "
		"one type; %lld more per message of its own (type, prio) "
		"(list + xarray, types spread); memcg granularity +-%d "
		"bytes each\n", (a - base) / na, (b - a - (a - base)) / nb,
		(256 << 10) / QMEASURE);
	close(qa);
	close(qb);
	return 0;
}

TEST_F_TIMEOUT(mem, queue_measure, 600)
{
	EXPECT_EQ(0, run_nobody(1UL << 30, queue_measure));
}

/* ---- events and names ------------------------------------------------ */

static void long_name(char *buf, int i, int len)
{
	int n = snprintf(buf, KIPC_NAME_MAX + 1, "kt.mem.%d.%d.", (int)getpid(),
			 i);

	memset(buf + n, 'x', len - n);
	buf[len] = '\0';
}

/* Create persistent named events until ENOSPC; how many. */
static int make_events(int max, int namelen)
{
	char name[KIPC_NAME_MAX + 1];
	int i, e;

	for (i = 0; i < max; i++) {
		long_name(name, i, namelen);
		e = kipc_event_create(name, KIPC_EVENT_FLAG, 0, KIPC_PERSIST,
				      0600);
		if (e == -ENOSPC)
			break;
		if (e < 0) {
			fprintf(stderr, "# event %d: %s\n", i, strerror(-e));
			return -1;
		}
		close(e);
	}
	return i;
}

static void drop_events(int n, int namelen)
{
	char name[KIPC_NAME_MAX + 1];
	int i;

	for (i = 0; i < n; i++) {
		long_name(name, i, namelen);
		kipc_unlink(name);
	}
}

static int events_worst(unsigned long quota)
{
	/*
	 * A debug kernel's per-object metadata (KASAN, kmemleak, lockdep)
	 * is not all in slab_size: there the slack is the full SLACK_BASE,
	 * still far below what uncharged events take (4000 x 2 KiB).
	 */
	long long limit = quota * inflation +
			  (inflation > 1.0 ? SLACK_BASE : SLACK_BASE / 4);
	long long base, now;
	int n;

	base = mem_now();
	n = make_events(4000, KIPC_NAME_MAX);
	now = mem_now();
	fprintf(stderr, "# %d persistent events with %d-byte names: kernel "
		"memory +%lld bytes (%lld each) for a quota of %lu "
		"(+%lld slack); charged %llu\n", n, KIPC_NAME_MAX, now - base,
		n > 0 ? (now - base) / n : 0, quota, limit - quota,
		(unsigned long long)kipcnl_charged());
	drop_events(n > 0 ? n : 0, KIPC_NAME_MAX);
	KT_CHILD_CHECK(n > 0);
	KT_CHILD_CHECK(now - base <= limit);
	return 0;
}

TEST_F_TIMEOUT(mem, events_long_names, 600)
{
	EXPECT_EQ(0, run_nobody(512UL << 10, events_worst));
}

static int events_measure(unsigned long quota)
{
	long long base, a, b;
	int n = 2000, n1, n2;

	base = mem_now();
	n1 = make_events(n, 1 + 16);
	a = mem_now();
	drop_events(n1, 1 + 16);
	b = mem_now();
	n2 = make_events(n, KIPC_NAME_MAX);
	a = a - base;
	b = mem_now() - b;
	drop_events(n2, KIPC_NAME_MAX);
	KT_CHILD_CHECK(n1 == n && n2 == n);
	fprintf(stderr, "# measured: %lld bytes per persistent event with a "
		"17-byte name; a 255-byte name costs %lld more (memcg "
		"granularity: +-%d bytes each)\n", a / n, (b - a) / n,
		(256 << 10) / n);
	return 0;
}

TEST_F_TIMEOUT(mem, events_measure, 600)
{
	EXPECT_EQ(0, run_nobody(1UL << 30, events_measure));
}

/* ---- robust locks (charged by the region code, see above) ------------ */

static int locks_worst(unsigned long quota)
{
	long long base, now, limit = quota * inflation + SLACK_BASE;
	uint64_t before, after;
	int r[256], nr, i, off, ret, nl = 0;

	r[0] = kipc_region_create(NULL, 1 << 20, 0, 0600);
	KT_CHILD_CHECK(r[0] >= 0);
	before = kipcnl_charged();
	KT_CHILD_CHECK(kipc_lock_init(r[0], 0) == 0);
	after = kipcnl_charged();
	close(r[0]);
	/* kipc's own accounting: an uncharged lock is a failure. */
	KT_CHILD_CHECK(after > before, "robust locks are not charged: "
		       "%" PRIu64 " bytes before lock_init, %" PRIu64 " after",
		       before, after);
	base = mem_now();
	for (nr = 0; nr < 256; nr++) {
		r[nr] = kipc_region_create(NULL, 1 << 20, 0, 0600);
		if (r[nr] == -ENOSPC)
			break;
		KT_CHILD_CHECK(r[nr] >= 0);
		limit += SLACK_HANDLE;
		for (i = 0, ret = 0; i < 1024 && !ret; i++) {
			off = (int)((spread_type(i) % (1 << 18)) * 4);
			ret = kipc_lock_init(r[nr], off);
			nl += !ret;
		}
		if (ret == -ENOSPC && i == 1)
			break;
		if (mem_now() - base > limit) {
			nr++;
			break;
		}
	}
	now = mem_now();
	fprintf(stderr, "# %d regions, %d sparse robust locks: kernel memory "
		"+%lld bytes for a quota of %lu (+%lld slack)\n", nr, nl,
		now - base, quota, limit - quota);
	KT_CHILD_CHECK(now - base <= limit);
	for (i = 0; i < nr; i++)
		if (r[i] >= 0)
			close(r[i]);
	return 0;
}

TEST_F_TIMEOUT(mem, locks_sparse, 600)
{
	EXPECT_EQ(0, run_nobody(16UL << 20, locks_worst));
}

TEST_HARNESS_MAIN
