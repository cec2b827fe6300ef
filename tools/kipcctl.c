// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl - see and drive kipc objects: list, show, watch, top, module,
 * create, send, recv, rm.
 *
 * This file holds main(), the synopsis that --help prints (the manual is
 * kipcctl(8)), and what every command shares: error messages ("kipcctl:
 * <what>: <why>" on stderr), the exit statuses scripts may rely on, and
 * number parsing.  The commands
 * live in kipcctl-view.c (what the kernel reports over generic netlink)
 * and kipcctl-ops.c (what is done through libkipc).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kipc.h>
#include <linux/kipc_netlink.h>

#include "kipcctl.h"

#define KIPCCTL_VERSION	"1.0"

struct kctl_opts kctl_opts;

/* ---------------------------------------------------------------------
 * The built-in help: the synopsis.  The manual is kipcctl(8)
 * (man/man8/kipcctl.8); nothing here explains what it does.
 */
static const struct {
	const char *cmd;
	const char *usage;	/* its synopsis, lines after the first indented */
} kctl_synopsis[] = {
	{ "list",	"list [queue|region|event]" },
	{ "show",	"show NAME|@ID" },
	{ "watch",	"watch [-n COUNT] [-t SECONDS] [NAME|@ID...]" },
	{ "top",	"top [-s depth|drops] [-d SECONDS] [-n ITERATIONS] [-b]" },
	{ "module",	"module" },
	{ "create",	"create queue NAME [--max-msgs N] [--max-msg-size BYTES]\n"
			"         [--max-bytes BYTES] [--policy POLICY] [--conflate]\n"
			"         [--persist] [--mode MODE]\n"
			"  create region NAME --size BYTES [--persist] [--mode MODE]\n"
			"  create event NAME [--kind KIND] [--initial N] [--persist]\n"
			"         [--mode MODE]" },
	{ "send",	"send NAME [--type T] [--prio P] [--timeout SECONDS] [TEXT...]" },
	{ "recv",	"recv NAME [--type T [--select eq|le|ne]] [--count N]\n"
			"         [--timeout SECONDS]" },
	{ "rm",		"rm NAME..." },
};

static const char kctl_exit_status[] =
"EXIT STATUS\n"
"  0  success\n"
"  1  another error (the message says which)\n"
"  2  usage: a bad command line\n"
"  3  the kipc module is not loaded\n"
"  4  no such object\n"
"  5  permission denied\n"
"  6  send or recv would block, or timed out\n"
"  7  send: the queue's drop-new policy discarded the message\n";

static bool kctl_is_cmd(const char *cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kctl_synopsis); i++)
		if (!strcmp(kctl_synopsis[i].cmd, cmd))
			return true;
	return false;
}

/* The synopsis of every command, or of @cmd's; the rest is kipcctl(8). */
void kctl_help(FILE *f, const char *cmd)
{
	size_t i;

	if (cmd) {
		fputs("SYNOPSIS (kipcctl [-j] [-p] ...)\n", f);
		for (i = 0; i < ARRAY_SIZE(kctl_synopsis); i++)
			if (!strcmp(kctl_synopsis[i].cmd, cmd))
				fprintf(f, "  %s\n", kctl_synopsis[i].usage);
		fprintf(f, "\nThe manual: kipcctl(8), COMMANDS, %s.\n\n%s", cmd,
			kctl_exit_status);
		return;
	}
	fputs("kipcctl - inspect and drive kipc queues, regions and events\n"
	      "\n"
	      "SYNOPSIS\n"
	      "  kipcctl [-j] [-p] COMMAND [ARGS]\n"
	      "  kipcctl -h|--help | -V|--version | help [COMMAND]\n"
	      "\n", f);
	for (i = 0; i < ARRAY_SIZE(kctl_synopsis); i++)
		fprintf(f, "  %s\n", kctl_synopsis[i].usage);
	fprintf(f, "\n"
	      "  -j, --json: print JSON; -p, --pretty: indent it.\n"
	      "\n"
	      "DESCRIPTION\n"
	      "  The objects of this IPC namespace as the kernel sees them, and\n"
	      "  objects created, fed and drained.  The manual: man 8 kipcctl.\n"
	      "\n"
	      "%s"
	      "\n"
	      "EXAMPLES\n"
	      "  kipcctl list\n"
	      "  kipcctl show /orders\n"
	      "  kipcctl -j watch\n", kctl_exit_status);
}

/* ---------------------------------------------------------------------
 * Errors and exit statuses.
 */

int kctl_exit_code(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:			return KCTL_EXIT_OK;
	case KCTL_ENOFAMILY:
	case KCTL_ENODEV:	return KCTL_EXIT_NOMODULE;
	case ENOENT:		return KCTL_EXIT_NOENT;
	case EACCES:
	case EPERM:		return KCTL_EXIT_PERM;
	case EAGAIN:
	case ETIMEDOUT:		return KCTL_EXIT_AGAIN;
	default:		return KCTL_EXIT_ERROR;
	}
}

static const char *kctl_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case KCTL_ENOFAMILY:
		return "kipc module not loaded (no generic netlink family \"kipc\"; try modprobe kipc)";
	case KCTL_ENODEV:
		return "kipc module not loaded (no /dev/kipc; try modprobe kipc)";
	case ENOENT:
		return "no such object";
	case EACCES:
	case EPERM:
		return "permission denied";
	case EAGAIN:
		return "would block";
	case ETIMEDOUT:
		return "timed out";
	case EPIPE:
		return "the object is dead or shut down, or its peer is gone";
	case ENOTTY:
		return "the name belongs to an object of another kind";
	case EEXIST:
		return "the name exists already";
	case ENOSPC:
		return "a kipc limit or quota was reached (see kipcctl module)";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

static int kctl_verr(int err, const char *extack, const char *fmt,
		     va_list ap)
{
	fputs("kipcctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s", kctl_strerror(err));
	if (extack)
		fprintf(stderr, " (kernel: %s)", extack);
	fputc('\n', stderr);
	return kctl_exit_code(err);
}

/* Print "kipcctl: WHAT: WHY" and return the exit status for @err. */
int kctl_err(int err, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = kctl_verr(err, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

int kctl_err_extack(int err, const char *extack, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = kctl_verr(err, extack, fmt, ap);
	va_end(ap);
	return ret;
}

/* A usage error: say what, point at the help, return 2. */
int kctl_usage_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("kipcctl: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'kipcctl %s%s--help'.\n", cmd ? cmd : "",
		cmd ? " " : "");
	return KCTL_EXIT_USAGE;
}

/* 0 when /dev/kipc can be opened; else why not. */
int kctl_require_dev(void)
{
	int fd = open("/dev/kipc", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
		return -KCTL_ENODEV;
	return -errno;
}

/* ---------------------------------------------------------------------
 * Parsing numbers and names.
 */

int kctl_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

int kctl_parse_u32(const char *s, uint32_t *v)
{
	uint64_t x;

	if (kctl_parse_u64(s, &x) || x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

/* BYTES with an optional K, M or G (KiB, MiB, GiB) suffix. */
int kctl_parse_size(const char *s, uint64_t *v)
{
	unsigned long long x;
	unsigned int shift = 0;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end) {
		const char *units = "kmg", *u = strchr(units, *end | 0x20);

		if (!u)
			return -EINVAL;
		shift = 10 * (unsigned int)(u - units + 1);
		end++;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || (shift && x > (UINT64_MAX >> shift)))
		return -EINVAL;
	*v = (uint64_t)x << shift;
	return 0;
}

/* SECONDS, fractions allowed, >= 0, as nanoseconds. */
int kctl_parse_seconds(const char *s, int64_t *ns)
{
	double x;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	x = strtod(s, &end);
	if (errno || *end || !isfinite(x) || x < 0 || x > 1e9)
		return -EINVAL;
	*ns = (int64_t)(x * NSEC_PER_SEC);
	return 0;
}

const char *kctl_kind_name(uint32_t kind)
{
	switch (kind) {
	case KIPC_KIND_QUEUE:	return "queue";
	case KIPC_KIND_REGION:	return "region";
	case KIPC_KIND_EVENT:	return "event";
	default:		return "unknown";
	}
}

/* "ring" for a region that holds a ring, else the kind's name. */
const char *kctl_obj_kind(const struct kipcnl_obj *o)
{
	if (o->kind == KIPC_KIND_REGION && o->has_region && o->r.has_ring)
		return "ring";
	return kctl_kind_name(o->kind);
}

const char *kctl_state_name(uint32_t state)
{
	switch (state) {
	case KIPC_STATE_LIVE:		return "live";
	case KIPC_STATE_SHUTDOWN:	return "shutdown";
	case KIPC_STATE_DEAD:		return "dead";
	default:			return "unknown";
	}
}

const char *kctl_policy_name(uint32_t policy)
{
	switch (policy) {
	case KIPC_POLICY_BLOCK:		return "block";
	case KIPC_POLICY_FAIL:		return "fail";
	case KIPC_POLICY_DROP_NEW:	return "drop-new";
	case KIPC_POLICY_DROP_OLDEST:	return "drop-oldest";
	default:			return "unknown";
	}
}

const char *kctl_event_kind_name(uint32_t kind)
{
	switch (kind) {
	case KIPC_EVENT_SEMAPHORE:	return "semaphore";
	case KIPC_EVENT_COUNTER:	return "counter";
	case KIPC_EVENT_FLAG:		return "flag";
	default:			return "unknown";
	}
}

const char *kctl_notify_name(uint32_t type)
{
	switch (type) {
	case KIPC_NOTIFY_CREATED:	return "created";
	case KIPC_NOTIFY_DESTROYED:	return "destroyed";
	case KIPC_NOTIFY_OWNER_DIED:	return "owner_died";
	case KIPC_NOTIFY_SHUTDOWN:	return "shutdown";
	case KIPC_NOTIFY_DROP:		return "drop";
	case KIPC_NOTIFY_OVERFLOW:	return "overflow";
	default:			return "unknown";
	}
}

/* ---------------------------------------------------------------------
 * main
 */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} kctl_dispatch[] = {
	{ "list",	kctl_cmd_list },
	{ "ls",		kctl_cmd_list },
	{ "show",	kctl_cmd_show },
	{ "watch",	kctl_cmd_watch },
	{ "top",	kctl_cmd_top },
	{ "module",	kctl_cmd_module },
	{ "create",	kctl_cmd_create },
	{ "send",	kctl_cmd_send },
	{ "recv",	kctl_cmd_recv },
	{ "rm",		kctl_cmd_rm },
};

static int kctl_cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return kctl_usage_err("help", "too many arguments");
	if (argc == 2 && !kctl_is_cmd(argv[1]))
		return kctl_usage_err("help", "unknown command '%s'", argv[1]);
	kctl_help(stdout, argc == 2 ? argv[1] : NULL);
	return KCTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",	no_argument, NULL, 'j' },
		{ "pretty",	no_argument, NULL, 'p' },
		{ "help",	no_argument, NULL, 'h' },
		{ "version",	no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	size_t i;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jphV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			kctl_opts.json = true;
			break;
		case 'p':
			kctl_opts.pretty = true;
			break;
		case 'h':
			kctl_help(stdout, NULL);
			return KCTL_EXIT_OK;
		case 'V':
			printf("kipcctl %s (libkipc %d.%d, netlink family %s v%d)\n",
			       KIPCCTL_VERSION, kipc_version_major(),
			       kipc_version_minor(), KIPC_GENL_NAME,
			       KIPC_GENL_VERSION);
			return KCTL_EXIT_OK;
		default:
			return kctl_usage_err(NULL, "unknown option '%s'",
					      argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return kctl_usage_err(NULL, "no command given (list, show, watch, top, module, create, send, recv, rm, help)");

	argc -= optind;
	argv += optind;
	if (!strcmp(argv[0], "help"))
		return kctl_cmd_help(argc, argv);
	for (i = 0; i < ARRAY_SIZE(kctl_dispatch); i++) {
		if (!strcmp(argv[0], kctl_dispatch[i].name)) {
			optind = 0;	/* restart getopt for the command */
			return kctl_dispatch[i].fn(argc, argv);
		}
	}
	return kctl_usage_err(NULL, "unknown command '%s'", argv[0]);
}
