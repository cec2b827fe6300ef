// SPDX-License-Identifier: GPL-2.0
/*
 * libkt: the kipc tests' shared helpers (declared and described in kt.h).
 */
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "kt.h"

/* --- processes ------------------------------------------------------- */

pid_t kt_fork(void)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(95);
	}
	return pid;
}

static int kt_status(int st)
{
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

int kt_reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) != pid)
		if (errno != EINTR)
			return -1;
	return kt_status(st);
}

int kt_reap_within(pid_t pid, long ms)
{
	int64_t end = kt_now_ns() + ms * MS;
	int st;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return kt_status(st);
		if (r < 0 && errno != EINTR)
			return -1;
		if (kt_now_ns() > end)
			return -2;
		kt_sleep_us(1000);
	}
}

void kt_signal(int fd)
{
	char c = 'x';

	if (write(fd, &c, 1) != 1)
		_exit(99);
}

void kt_await(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(98);
}

void *kt_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void kt_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
}

void kt_child_fail(const char *file, int line, const char *cond,
		   const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "# child %d: %s:%d: failed: %s", (int)getpid(), file,
		line, cond);
	/* @fmt is " " and the caller's message, if it gave one. */
	if (strcmp(fmt, " ")) {
		fputc(':', stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	fflush(stderr);
	_exit(1);
}

/* --- clocks ---------------------------------------------------------- */

int64_t kt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void kt_sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int kt_until(int (*fn)(void *), void *arg, long ms)
{
	int64_t end = kt_now_ns() + ms * MS;

	while (!fn(arg)) {
		if (kt_now_ns() > end)
			return -ETIMEDOUT;
		kt_sleep_us(1000);
	}
	return 0;
}

/* --- names ----------------------------------------------------------- */

const char *kt_name(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/kt.%s.%d", tag, (int)getpid());
	return buf;
}

const char *kt_name_n(char *buf, size_t len, const char *tag,
		      unsigned long n)
{
	snprintf(buf, len, "/kt.%s.%d.%lu", tag, (int)getpid(), n);
	return buf;
}

/* --- scaling and knobs ------------------------------------------------ */

unsigned int kt_scale(void)
{
	const char *env = getenv("KIPC_TEST_SCALE");
	unsigned long div = env ? strtoul(env, NULL, 10) : 1;

	return div > 1 ? (unsigned int)div : 1;
}

unsigned int kt_scaled(unsigned int n)
{
	unsigned int div = kt_scale();

	if (div == 1)
		return n;
	return n / div ? n / div : 1;
}

int kt_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v *= 1000; end++; break;
	case 'm': case 'M': v *= 1000000; end++; break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

void kt_knobs(const char *prog, struct kt_knob *k, int argc, char **argv)
{
	unsigned int div = kt_scale();
	char env[96];
	const char *v;
	int i, j, n;

	for (i = 0; k[i].name; i++)
		if (k[i].maxdiv && div > 1)
			*k[i].val /= div < k[i].maxdiv ? div : k[i].maxdiv;
	for (i = 0; k[i].name; i++) {
		n = snprintf(env, sizeof(env), "KIPC_%s_%s", prog, k[i].name);
		for (j = 0; j < n; j++)
			if (env[j] >= 'a' && env[j] <= 'z')
				env[j] -= 'a' - 'A';
		v = getenv(env);
		if (v && kt_parse_u64(v, k[i].val)) {
			fprintf(stderr, "bad %s=%s\n", env, v);
			exit(2);
		}
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t len;

		if (strncmp(a, "--", 2))
			goto usage;
		a += 2;
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		for (j = 0; k[j].name; j++)
			if (strlen(k[j].name) == len && !strncmp(k[j].name, a, len))
				break;
		if (!k[j].name)
			goto usage;
		v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!v || kt_parse_u64(v, k[j].val))
			goto usage;
	}
	return;
usage:
	fprintf(stderr, "usage: %s [--knob=N]...\n", argv[0]);
	for (i = 0; k[i].name; i++)
		fprintf(stderr, "  --%-12s %s (now %" PRIu64 ")\n", k[i].name,
			k[i].help, *k[i].val);
	exit(2);
}

/* --- files ----------------------------------------------------------- */

int kt_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t len = strlen(val);

	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != len)
		ret = -EIO;
	close(fd);
	return ret;
}

long kt_read_long(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[64];
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int kt_fdinfo(int fd, const char *key, char *val, size_t len)
{
	char path[64], line[512];
	size_t klen = strlen(key);
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *v;

		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		v = line + klen + 1;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(val, len, "%s", v);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* --- kipc ------------------------------------------------------------ */

int kt_ctx(void)
{
	int fd = open(KIPC_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kt_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

int kt_queue(const char *name, uint32_t max_msgs, uint32_t max_msg_size,
	     uint64_t max_bytes, uint32_t policy, uint32_t qflags)
{
	struct kipc_queue_attr attr = {
		.max_msgs	= max_msgs,
		.max_msg_size	= max_msg_size,
		.max_bytes	= max_bytes,
		.policy		= policy,
		.flags		= qflags,
	};

	return kipc_queue_create(name, &attr, 0, 0600);
}

int kt_stat(int q, struct kipc_queue_stat *st)
{
	memset(st, 0xcc, sizeof(*st));
	return kipc_queue_stat(q, st);
}

int kt_recv_str(int q, uint32_t type, const char *want)
{
	struct kipc_msg info;
	char buf[64];
	ssize_t n;

	memset(buf, 0xcc, sizeof(buf));
	memset(&info, 0xcc, sizeof(info));
	n = kipc_recv(q, NULL, buf, sizeof(buf), &info, 0);
	if (n < 0)
		return n;
	if ((size_t)n != strlen(want) + 1 || memcmp(buf, want, n) ||
	    info.type != type)
		return -EBADMSG;
	return 0;
}

short kt_poll_events(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

int kt_epoll_for(int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return -errno;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(ep);
		return -errno;
	}
	return ep;
}

static unsigned char kt_pattern(uint32_t seed, size_t i)
{
	return (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

void kt_fill(void *buf, size_t len, uint32_t seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = kt_pattern(seed, i);
}

int kt_check_fill(const void *buf, size_t len, uint32_t seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != kt_pattern(seed, i))
			return 0;
	return 1;
}

/* What the waits below poll: a handle and the counts it must reach. */
struct kt_wait {
	int fd;
	unsigned int a, b;
};

static int kt_queue_is_blocked(void *arg)
{
	struct kt_wait *w = arg;
	struct kipc_queue_stat st;

	return kipc_queue_stat(w->fd, &st) == 0 &&
	       st.blocked_senders >= w->a && st.blocked_receivers >= w->b;
}

static int kt_region_has_waiters(void *arg)
{
	struct kt_wait *w = arg;
	struct kipc_region_stat st;

	return kipc_region_stat(w->fd, &st) == 0 && st.waiters >= w->a;
}

static int kt_event_has_waiters(void *arg)
{
	struct kt_wait *w = arg;
	struct kipc_event_stat st;

	return kipc_event_stat(w->fd, &st) == 0 && st.waiters >= w->a;
}

int kt_wait_blocked(int q, unsigned int senders, unsigned int receivers)
{
	struct kt_wait w = { q, senders, receivers };

	return kt_until(kt_queue_is_blocked, &w, KT_WAIT_MS);
}

int kt_region_waiters(int r, unsigned int n)
{
	struct kt_wait w = { r, n, 0 };

	return kt_until(kt_region_has_waiters, &w, KT_WAIT_MS);
}

int kt_event_wait_blocked(int e, unsigned int n)
{
	struct kt_wait w = { e, n, 0 };

	return kt_until(kt_event_has_waiters, &w, KT_WAIT_MS);
}

int kt_wait_sleeping(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	int64_t end = kt_now_ns() + KT_WAIT_MS * MS;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
		 (int)tid);
	for (;;) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -ESRCH;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -ESRCH;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
			return -ESRCH;
		if (kt_now_ns() > end)
			return -ETIMEDOUT;
		kt_sleep_us(1000);
	}
}

int kt_region_nwaiters(int r)
{
	struct kipc_region_stat st;
	int ret = kipc_region_stat(r, &st);

	return ret < 0 ? ret : (int)st.waiters;
}

int64_t kt_region_token(int r)
{
	struct kipc_ioc_region_stat ri;
	int ret;

	memset(&ri, 0, sizeof(ri));
	ri.size = sizeof(ri);
	ret = kt_ioctl(r, KIPC_IOC_REGION_STAT, &ri);
	return ret < 0 ? ret : (int64_t)ri.token;
}

pid_t kt_lock_holder(const char *name, int r, uint32_t off, int64_t timeout,
		     int ready)
{
	pid_t pid = kt_fork();

	if (pid == 0) {
		void *p;
		size_t s;

		if (name) {
			r = kipc_region_open(name, KIPC_RDWR);
			KT_CHILD_CHECK(r >= 0, "open %s: %d", name, r);
			KT_CHILD_CHECK(kipc_region_map(r, &p, &s) == 0);
		}
		KT_CHILD_CHECK(kipc_lock(r, off, timeout) == 0);
		kt_signal(ready);
		pause();
		_exit(0);
	}
	return pid;
}

static void *kt_killer_fn(void *arg)
{
	struct kt_killer *k = arg;

	k->ret = kt_region_waiters(k->r, k->waiters);
	if (!k->ret && kill(k->pid, SIGKILL))
		k->ret = -errno;
	return NULL;
}

int kt_killer_start(struct kt_killer *k, int r, unsigned int waiters,
		    pid_t pid)
{
	k->r = r;
	k->waiters = waiters;
	k->pid = pid;
	k->ret = -EINPROGRESS;
	return -pthread_create(&k->thread, NULL, kt_killer_fn, k);
}

int kt_killer_join(struct kt_killer *k)
{
	pthread_join(k->thread, NULL);
	return k->ret;
}

volatile sig_atomic_t kt_usr1_handled;
static int kt_usr1_fd = -1;

static void kt_on_usr1(int sig)
{
	int saved = errno;
	char c = 'h';

	(void)sig;
	kt_usr1_handled++;
	if (write(kt_usr1_fd, &c, 1) != 1)
		_exit(97);
	errno = saved;
}

void kt_usr1_install(int fd, bool restart)
{
	struct sigaction sa = {
		.sa_handler	= kt_on_usr1,
		.sa_flags	= restart ? SA_RESTART : 0,
	};

	kt_usr1_fd = fd;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		_exit(96);
}

static int kt_seccomp_no_ioctl(void)
{
#ifdef __x86_64__
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len	= sizeof(filter) / sizeof(filter[0]),
		.filter	= filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, &prog))	/* !SECCOMP */
		return errno == EINVAL || errno == ENOSYS ? -EOPNOTSUPP :
							    -errno;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

void kt_forbid_ioctl(void)
{
	int ret = kt_seccomp_no_ioctl();

	if (ret == -EOPNOTSUPP)
		_exit(KT_SKIP_STATUS);
	KT_CHILD_CHECK(ret == 0, "seccomp: %s", strerror(-ret));
}

long kt_live_objects(void)
{
	return kt_read_long("/sys/module/kipc/parameters/live_objects");
}

long kt_live_settle(long want, long ms)
{
	int64_t end = kt_now_ns() + ms * MS;
	long v;

	for (;;) {
		v = kt_live_objects();
		if (v <= want || kt_now_ns() > end)
			return v;
		kt_sleep_us(2000);
	}
}

void kt_live_quiesce(void)
{
	int64_t t0 = kt_now_ns(), since = t0;
	long v = kt_live_objects(), w;

	if (v < 0)
		return;
	while (kt_now_ns() - since < 5500 * MS &&
	       kt_now_ns() - t0 < 20000 * MS) {
		kt_sleep_us(250000);
		w = kt_live_objects();
		if (w != v) {
			v = w;
			since = kt_now_ns();
		}
	}
	kt_log("live_objects %ld (steady for %.1f s)", v,
	       (kt_now_ns() - since) / 1e9);
}

int kt_failnth_open(const char **why)
{
	static const char *const knobs[][2] = {
		{ KT_DEBUGFS "/failslab/ignore-gfp-wait", "N" },
		{ KT_DEBUGFS "/failslab/verbose", "0" },
		{ KT_DEBUGFS "/fail_page_alloc/ignore-gfp-wait", "N" },
		{ KT_DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ KT_DEBUGFS "/fail_page_alloc/min-order", "0" },
		{ KT_DEBUGFS "/fail_page_alloc/verbose", "0" },
	};
	unsigned int i;
	int fd;

	if (access(KT_FAILNTH, W_OK)) {
		*why = KT_FAILNTH " is missing: the kernel has no fault "
		       "injection (CONFIG_FAULT_INJECTION_DEBUG_FS)";
		return -ENOENT;
	}
	if (access(KT_DEBUGFS "/failslab", F_OK))
		mount("debugfs", KT_DEBUGFS, "debugfs", 0, NULL);
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		if (kt_write_file(knobs[i][0], knobs[i][1])) {
			*why = "cannot configure failslab and fail_page_alloc "
			       "in " KT_DEBUGFS;
			return -EACCES;
		}
	}
	fd = open(KT_FAILNTH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		*why = "cannot open " KT_FAILNTH;
	return fd < 0 ? -errno : fd;
}

int kt_failnth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

long kt_failnth_disarm(int fd)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (kt_failnth_arm(fd, 0) || n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* --- random numbers -------------------------------------------------- */

uint64_t kt_next(struct kt_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void kt_seed(struct kt_rng *r, uint64_t seed, uint64_t stream)
{
	r->s = seed ^ (stream * 0xd1b54a32d192ed03ULL);
	kt_next(r);
}

uint64_t kt_below(struct kt_rng *r, uint64_t n)
{
	return kt_next(r) % n;
}

uint64_t kt_range(struct kt_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + kt_below(r, hi - lo + 1);
}

int kt_one_in(struct kt_rng *r, uint64_t n)
{
	return kt_below(r, n) == 0;
}

uint64_t kt_mix(uint64_t a, uint64_t b)
{
	uint64_t z = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);

	z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
	return z ^ (z >> 29);
}
