// SPDX-License-Identifier: GPL-2.0
/*
 * Run the programs of examples/ and check that each one does what its
 * comment says: exit status 0 and its closing "ok" line, within a time
 * limit.  The examples fork their own peers; each runs in a process group
 * of its own, which is killed afterwards so that no straggler keeps a
 * kipc handle (and the module) busy.
 *
 * An example is looked up in $KIPC_EXAMPLES_DIR, then in ../examples next
 * to this binary (a build tree), then in $PATH (the test VM copies
 * examples/ into /usr/bin).
 */
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "lib/kt_harness.h"

#define EXAMPLE_SECS	120	/* TCG is slow; each takes a few seconds */

/* Find @name; a path for execv() in @path, or the bare name for execvp(). */
static void example_path(const char *name, char *path, size_t len)
{
	char self[PATH_MAX], *slash;
	const char *dir = getenv("KIPC_EXAMPLES_DIR");
	ssize_t n;

	if (dir && *dir) {
		snprintf(path, len, "%s/%s", dir, name);
		if (!access(path, X_OK))
			return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, len, "%s/../examples/%s", self, name);
			if (!access(path, X_OK))
				return;
		}
	}
	snprintf(path, len, "%s", name);
}

/* Read what @fd has into @out (beyond @len - 1 bytes: dropped). */
static ssize_t drain(int fd, char *out, size_t len, size_t *used)
{
	char junk[512];
	ssize_t n;

	if (*used < len - 1) {
		n = read(fd, out + *used, len - 1 - *used);
		if (n > 0)
			*used += n;
		return n;
	}
	return read(fd, junk, sizeof(junk));
}

/* How many times @needle occurs in @hay. */
static int count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * Run example @name with its output in @out (NUL-terminated, truncated
 * to @len).  Returns its wait status, or -ETIMEDOUT after EXAMPLE_SECS.
 */
static int run_example(const char *name, char *out, size_t len)
{
	char path[PATH_MAX + 64];
	int pfd[2], status = 0, flags;
	size_t used = 0;
	int64_t deadline;
	pid_t pid;

	example_path(name, path, sizeof(path));
	if (pipe(pfd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		if (strchr(path, '/'))
			execv(path, (char *[]){ path, NULL });
		else
			execvp(path, (char *[]){ path, NULL });
		fprintf(stderr, "cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);	/* either side may win the race */
	close(pfd[1]);
	flags = fcntl(pfd[0], F_GETFL);
	fcntl(pfd[0], F_SETFL, flags | O_NONBLOCK);

	deadline = kt_now_ns() + EXAMPLE_SECS * 1000000000LL;
	for (;;) {
		if (drain(pfd[0], out, len, &used) > 0)
			continue;
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (kt_now_ns() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			status = -ETIMEDOUT;
			break;
		}
		usleep(10000);
	}
	/* The example's own children, if it left any, go too. */
	kill(-pid, SIGKILL);
	while (drain(pfd[0], out, len, &used) > 0)
		;
	out[used] = '\0';
	close(pfd[0]);
	return status;
}

/* Print @out as TAP diagnostics. */
static void show(const char *out)
{
	const char *p = out, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		printf("#   %.*s\n", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

FIXTURE(examples) {
	char out[16384];
};

FIXTURE_SETUP(examples)
{
	KT_REQUIRE_KIPC();
}

FIXTURE_TEARDOWN(examples)
{
}

/* Run @name and expect exit 0 and the line "@ok" in its output. */
#define EXPECT_EXAMPLE(name, ok) do {					\
	int __st = run_example(name, self->out, sizeof(self->out));	\
									\
	show(self->out);						\
	ASSERT_NE(-ETIMEDOUT, __st);					\
	ASSERT_TRUE(WIFEXITED(__st));					\
	ASSERT_EQ(0, WEXITSTATUS(__st));				\
	ASSERT_NE(NULL, strstr(self->out, ok "\n"));			\
} while (0)

/* RPC over a request and a reply queue, replies selected by id. */
TEST_F_TIMEOUT(examples, request_reply, EXAMPLE_SECS + 30)
{
	EXPECT_EXAMPLE("request_reply", "request_reply: ok");
	EXPECT_NE(NULL, strstr(self->out, "server: request queue shut down"));
}

/* Latest-value feed on a conflating queue. */
TEST_F_TIMEOUT(examples, sensor_feed, EXAMPLE_SECS + 30)
{
	EXPECT_EXAMPLE("sensor_feed", "sensor_feed: ok");
}

/* Zero-copy frames through an SPSC ring, consumer in poll(2). */
TEST_F_TIMEOUT(examples, frame_ring, EXAMPLE_SECS + 30)
{
	EXPECT_EXAMPLE("frame_ring", "frame_ring: ok");
	EXPECT_EQ(1, count(self->out, "200 frames of 160x120"));
}

/* Worker processes on a semaphore, shut down by owner death. */
TEST_F_TIMEOUT(examples, worker_pool, EXAMPLE_SECS + 30)
{
	EXPECT_EXAMPLE("worker_pool", "worker_pool: 400 jobs on 4 workers: ok");
	/* Every worker saw -EPIPE and reported before exiting. */
	EXPECT_EQ(4, count(self->out, " jobs\n"));
}

TEST_HARNESS_MAIN
