// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bridge - main: signals, the wake-up eventfd, the local queue, and
 * the choice of direction.
 *
 * SIGTERM and SIGINT are blocked in every thread (the mask is set before
 * libnats starts its own) and read from a signalfd by the main loop, so
 * no work happens in a handler.  The NATS callbacks, which run in the
 * library's threads, only update atomics and write the eventfd; every
 * kipc call (leases belong to the thread that took them) is made by the
 * main thread.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include "bridge.h"

void bridge_err(const char *what, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "kipc-bridge: %s: %s\n", what, why);
}

/* The most precise text libnats has for @s: its last error, else the
 * status name.
 */
const char *bridge_nats_err(natsStatus s)
{
	natsStatus last;
	const char *t = nats_GetLastError(&last);
	const char *p;

	if (!t || !*t || last != s)
		return natsStatus_GetText(s);
	/* libnats puts "(file.c:line): " in front */
	if (*t == '(' && (p = strstr(t, "): ")))
		t = p + 3;
	return t;
}

int64_t bridge_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Wait up to @timeout_ms for SIGTERM or SIGINT (0: just look); true when
 * one has come (now or before).  The wake-up eventfd does not end the
 * wait: this is the bridge's sleep.
 */
bool bridge_poll_signal(struct bridge *b, int timeout_ms)
{
	struct pollfd pfd = { .fd = b->sigfd, .events = POLLIN };
	struct signalfd_siginfo si;

	if (b->stop)
		return true;
	if (poll(&pfd, 1, timeout_ms) > 0 &&
	    read(b->sigfd, &si, sizeof(si)) == sizeof(si))
		b->stop = true;
	return b->stop;
}

/* From any thread: make the main loop look again. */
void bridge_wake(struct bridge *b)
{
	uint64_t one = 1;

	if (write(b->evfd, &one, sizeof(one)) < 0) {
		/* the counter is non-zero already: the wake-up is pending */
	}
}

void bridge_drain_wake(struct bridge *b)
{
	uint64_t v;

	if (read(b->evfd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing pending */
	}
}

int bridge_open_queue(struct bridge *b, const char *name, int flags, int *fd)
{
	int ret = kipc_queue_open(name, flags);

	(void)b;
	if (ret < 0 && access("/dev/kipc", F_OK)) {
		bridge_err(name, "no /dev/kipc: is the kipc module loaded?");
		return -1;
	}
	if (ret < 0) {
		bridge_err(name, "cannot open the kipc queue: %s%s",
			   strerror(-ret), ret == -ENOENT ?
			   " (no such queue)" : "");
		return -1;
	}
	*fd = ret;
	return 0;
}

int main(int argc, char **argv)
{
	struct bridge b;
	sigset_t mask;
	int ret;

	memset(&b, 0, sizeof(b));
	b.q = -1;
	ret = bridge_parse(&b.o, argc, argv);
	if (ret)
		return ret;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL)) {
		bridge_err("signals", "cannot block SIGTERM");
		return 1;
	}
	b.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	b.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b.sigfd < 0 || b.evfd < 0) {
		bridge_err("signalfd", "%s", strerror(errno));
		return 1;
	}

	if (b.o.mode == BRIDGE_EXPORT)
		ret = bridge_export(&b);
	else
		ret = bridge_import(&b);

	bridge_stats_tick(&b, true);
	bridge_disconnect(&b);
	if (b.q >= 0)
		close(b.q);
	close(b.sigfd);
	close(b.evfd);
	/* libnats' threads and its global state, for a clean valgrind */
	nats_CloseAndWait(2000);
	return ret;
}
