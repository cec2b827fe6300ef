// SPDX-License-Identifier: GPL-2.0
/*
 * Debian's trinity syscall fuzzer against kipc, as a second fuzzer that
 * nobody here wrote.
 *
 * Trinity's victim files are device nodes of /dev/kipc, and tests/trinity's LD_PRELOAD
 * shim turns most of trinity's opens of it into kipc handles (queues of
 * every policy, regions, ring sides, events; some shared by name between
 * trinity's children), so trinity's fds are contexts and handles of every
 * kind.  Its syscalls are the ones that act on fds and mappings: ioctl,
 * mmap and the calls that change mappings, read/write, poll, select,
 * epoll, dup, fcntl, splice, close.  Trinity's own socket, pipe, perf and
 * other fd providers are off: the noise they make is not kipc's.
 *
 * Afterwards the module's live_objects must be back at its baseline; the
 * VM runner judges the kernel log (KASAN, lockdep, WARN, hangs, kmemleak).
 * Without /usr/bin/trinity in the VM (scripts/install-deps.sh installs
 * it; mkinitramfs.sh copies it with its libraries) the test is skipped.
 *
 * Knobs: --count (KIPC_TRINITY_COUNT, syscalls), --seconds, --seed,
 * --children.
 */
#include <poll.h>
#include <sys/stat.h>

#include "lib/kt_harness.h"

#define TRINITY		"/usr/bin/trinity"
#define SHIM		"/usr/lib/kipc-trinity-shim.so"
#define VICTIMS		"/tmp/kipc-victims"
#define NVICTIMS	32

static uint64_t k_count = 100000;
static uint64_t k_seconds = 60;
static uint64_t k_seed = 1;
static uint64_t k_children = 4;
static uint64_t k_case_timeout;

static const char *const syscalls[] = {
	"ioctl", "mmap", "munmap", "mprotect", "mremap", "madvise", "msync",
	"mlock", "munlock", "remap_file_pages", "close", "dup", "dup2",
	"dup3", "read", "write", "pread64", "pwrite64", "readv", "writev",
	"poll", "ppoll", "select", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"fcntl", "newfstat", "lseek", "flock", "fsync", "splice", "sendfile",
	NULL
};

/*
 * Read what trinity wrote in the next second, print it line by line as
 * TAP comments, and note in @ran the syscall count of its last "Ran N
 * syscalls" line.  Returns 1 at end of file, else 0.
 */
static int trinity_output(int fd, long *ran)
{
	static char line[4096];
	static size_t len;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096], *p;
	ssize_t n;
	size_t i;

	if (poll(&pfd, 1, 1000) <= 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return n == 0 || errno != EINTR;
	for (i = 0; i < (size_t)n; i++) {
		if (buf[i] != '\n' && buf[i] != '\r') {
			if (len < sizeof(line) - 1)
				line[len++] = buf[i];
			continue;
		}
		line[len] = '\0';
		if (len)
			printf("# %s\n", line);
		p = strstr(line, "] Ran ");
		if (p)
			*ran = strtol(p + 6, NULL, 10);
		len = 0;
	}
	fflush(stdout);
	return 0;
}

TEST(trinity)
{
	char count[32], seed[32], children[32], env_seed[64];
	const char *argv[128];
	int argc = 0, i, st;
	long base, live, max_live = 0, ran = 0;
	int64_t t0 = kt_now_ns(), end;
	int out[2];
	pid_t pid;

	KT_REQUIRE_KIPC();
	if (access(TRINITY, X_OK) || access(SHIM, R_OK))
		KT_SKIP(return, "no %s or %s in the VM", TRINITY, SHIM);
	base = kt_live_objects();
	snprintf(count, sizeof(count), "%" PRIu64, k_count);
	snprintf(seed, sizeof(seed), "%" PRIu64, k_seed);
	snprintf(children, sizeof(children), "%" PRIu64, k_children);
	snprintf(env_seed, sizeof(env_seed), "KIPC_TRINITY_SEED=%" PRIu64, k_seed);

	argv[argc++] = TRINITY;
	argv[argc++] = "--dangerous";		/* we are root in the VM */
	argv[argc++] = "-q";
	argv[argc++] = "-l";
	argv[argc++] = "off";
	argv[argc++] = "-V";
	argv[argc++] = VICTIMS;
	/* "pseudo" is trinity's provider of victim files: keep it. */
	argv[argc++] = "--disable-fds=sockets,pipes,perf,eventfd,timerfd,"
		       "testfile,memfd,drm";
	argv[argc++] = "-C";
	argv[argc++] = children;
	argv[argc++] = "-N";
	argv[argc++] = count;
	argv[argc++] = "-s";
	argv[argc++] = seed;
	for (i = 0; syscalls[i]; i++) {
		argv[argc++] = "-c";
		argv[argc++] = syscalls[i];
	}
	argv[argc] = NULL;

	/*
	 * Trinity opens one fd per victim file: give it NVICTIMS device
	 * nodes that are all /dev/kipc (the shim knows the directory).
	 */
	{
		struct stat sb;
		char path[64];

		ASSERT_TRUE(stat(KIPC_DEV, &sb) == 0) {
			TH_LOG("stat: %s", strerror(errno));
		}
		mkdir(VICTIMS, 0755);
		for (i = 0; i < NVICTIMS; i++) {
			snprintf(path, sizeof(path), VICTIMS "/kipc%d", i);
			unlink(path);
			ASSERT_TRUE(mknod(path, S_IFCHR | 0666, sb.st_rdev) == 0) {
				TH_LOG("mknod: %s", strerror(errno));
			}
		}
	}
	mkdir("/tmp/trinity", 0755);
	ASSERT_EQ(0, pipe2(out, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *envp[] = {
			"LD_PRELOAD=" SHIM, env_seed, "PATH=/usr/bin:/bin",
			"HOME=/tmp", NULL
		};

		setpgid(0, 0);
		/* Its output comes to us, to be passed on as TAP comments. */
		dup2(out[1], 1);
		dup2(out[1], 2);
		if (chdir("/tmp/trinity"))
			_exit(126);
		execve(TRINITY, (char *const *)argv, envp);
		_exit(127);
	}
	close(out[1]);
	/*
	 * Pass trinity's output on, each line as a TAP comment, and note
	 * how many syscalls it says it made; sample live_objects every
	 * second: kipc objects must really be trinity's victims.
	 */
	end = kt_now_ns() + (int64_t)k_seconds * 1000000000LL;
	st = -2;
	while (st == -2 && kt_now_ns() < end) {
		trinity_output(out[0], &ran);
		st = kt_reap_within(pid, 0);
		live = kt_live_objects();
		if (live > max_live)
			max_live = live;
	}
	if (st == -2) {
		/* Out of time: trinity stops cleanly on SIGINT. */
		kill(-pid, SIGINT);
		for (i = 0; i < 30 && (st = kt_reap_within(pid, 0)) == -2; i++)
			trinity_output(out[0], &ran);
		if (st == -2) {
			kill(-pid, SIGKILL);
			st = kt_reap(pid);
		}
		kt_log("trinity: stopped at the %" PRIu64 " s limit", k_seconds);
	}
	/* Its children, if any are left. */
	kill(-pid, SIGKILL);
	for (i = 0; i < 30 && !trinity_output(out[0], &ran); i++)
		;
	close(out[0]);
	kt_sleep_us(200000);
	live = kt_live_settle(base, 10000);
	kt_log("trinity: seed %" PRIu64 ", %ld of up to %" PRIu64 " syscalls, %"
	       PRIu64 " children, %.1f s, status %d; live_objects %ld -> %ld, "
	       "at most %ld during the run", k_seed, ran, k_count, k_children,
	       (kt_now_ns() - t0) / 1e9, st, base, live, max_live);
	ASSERT_LT(0, ran) {
		TH_LOG("trinity made no syscall (no \"Ran N syscalls\" line)");
	}
	ASSERT_TRUE(max_live > base) {
		TH_LOG("no kipc object was ever alive: the shim " "did not work");
	}
	ASSERT_TRUE(st == 0 || st == 128 + SIGINT) {
		TH_LOG("trinity exit status %d", st);
	}
	ASSERT_LE(0, base);
	ASSERT_EQ(base, live);
}

/* The harness's time limit: trinity's own, plus its start and stop. */
static void trinity_fixup(void)
{
	k_case_timeout = k_seconds + 180;
}

int main(int argc, char **argv)
{
	struct kt_knob knobs[] = {
		{ "count", &k_count, "syscalls trinity makes", 0 },
		{ "seconds", &k_seconds, "stop trinity after this long", 0 },
		{ "seed", &k_seed, "random seed", 0 },
		{ "children", &k_children, "trinity child processes", 0 },
		{ NULL }
	};

	return kt_harness_main("TRINITY", "kipc_trinity", knobs,
			       &k_case_timeout, trinity_fixup, argc, argv);
}
