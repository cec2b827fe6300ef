// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl - see and drive kipc objects: list, show, watch, top, module,
 * create, send, recv, rm.
 *
 * This file holds main(), the manual that --help prints, and what every
 * command shares: error messages ("kipcctl: <what>: <why>" on stderr), the
 * exit statuses scripts may rely on, and number parsing.  The commands
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
 * The manual.  Each section belongs to one command (or to all, cmd NULL);
 * "kipcctl CMD --help" prints the common sections around CMD's own.
 */
struct kctl_section {
	const char *cmd;	/* NULL: shown with every command's help */
	bool always;		/* also in a command's help */
	const char *text;
};

static const struct kctl_section kctl_manual[] = {
{ NULL, true,
"NAME\n"
"    kipcctl - inspect and drive kipc queues, regions and events\n"
"\n" },
{ NULL, false,
"SYNOPSIS\n"
"    kipcctl [-j] [-p] list [queue|region|event]\n"
"    kipcctl [-j] [-p] show NAME|@ID\n"
"    kipcctl [-j] watch [-n COUNT] [-t SECONDS] [NAME|@ID...]\n"
"    kipcctl [-j] top [-s depth|drops] [-d SECONDS] [-n ITERATIONS] [-b]\n"
"    kipcctl [-j] [-p] module\n"
"    kipcctl [-j] create queue NAME [--max-msgs N] [--max-msg-size BYTES]\n"
"                   [--max-bytes BYTES] [--policy POLICY] [--conflate]\n"
"                   [--persist] [--mode MODE]\n"
"    kipcctl [-j] create region NAME --size BYTES [--persist] [--mode MODE]\n"
"    kipcctl [-j] create event NAME [--kind KIND] [--initial N] [--persist]\n"
"                   [--mode MODE]\n"
"    kipcctl [-j] send NAME [--type T] [--prio P] [--timeout SECONDS] [TEXT...]\n"
"    kipcctl [-j] recv NAME [--type T [--select eq|le|ne]] [--count N]\n"
"                   [--timeout SECONDS]\n"
"    kipcctl rm NAME...\n"
"    kipcctl help [COMMAND]\n"
"\n"
"DESCRIPTION\n"
"    kipc is kernel-assisted IPC through /dev/kipc: typed message queues\n"
"    with a backpressure policy, shared regions with robust locks and SPSC\n"
"    rings, and events.  kipcctl shows every object of the caller's IPC\n"
"    namespace as the kernel sees it, through the generic netlink family\n"
"    \"kipc\", and creates, feeds and drains objects through libkipc.\n"
"\n"
"    When IPC hangs, drops or stalls, \"show\" answers six questions about\n"
"    one object: did data enter the channel, was the receiver woken, are\n"
"    message boundaries intact, where is the backpressure, who holds which\n"
"    lock, and which peer is gone.  \"watch\" reports, as they happen,\n"
"    owners dying, queues dropping, and objects coming and going.\n"
"\n"
"    NAME is an object's name, with or without its leading '/' (\"/jobs\"\n"
"    and \"jobs\" are the same object).  show and watch also take @ID (for\n"
"    example @7) for an object's id, which is how anonymous objects are\n"
"    named.\n"
"\n" },
{ NULL, true,
"GLOBAL OPTIONS\n"
"    Given before the command or among its options.\n"
"    -j, --json     Print JSON.  list, show, module: one document; watch,\n"
"                   recv, top: one object per line.  Counters are numbers,\n"
"                   strings are escaped; payload bytes that are not UTF-8\n"
"                   appear as \\u00XX, XX being the byte's value.\n"
"    -p, --pretty   Indent the JSON.\n"
"    -h, --help     Print this manual; \"kipcctl COMMAND --help\" prints the\n"
"                   part about COMMAND.\n"
"    -V, --version  Print the version.\n"
"\n" },
{ NULL, false,
"COMMANDS\n" },
{ "list", false,
"  list [queue|region|event]\n"
"    One line per object of this IPC namespace (of one kind if given),\n"
"    sorted by id, like ipcs(1) or ss(8):\n"
"      KIND     queue, region, ring (a region holding an SPSC ring), event\n"
"      NAME     the name, or - for an anonymous object\n"
"      ID       the object's id, unique in the system\n"
"      STATE    live, shutdown or dead\n"
"      OWNER    the creator's pid (0 when not in our pid namespace);\n"
"               gone:PID once the creator's handle is released (only a\n"
"               --persist object outlives it)\n"
"      FILL     queue: messages queued/capacity; ring: bytes used/capacity;\n"
"               region: its size; event: its count\n"
"      DROPS    queue: messages its policy discarded (dropped_new +\n"
"               dropped_oldest); - for other kinds\n"
"      WAITERS  queue: blocked senders and receivers, as 1s/0r; region:\n"
"               tasks asleep in wait or lock; event: tasks asleep in wait\n"
"      HANDLES  handles open on it, in every process\n"
"\n" },
{ "show", false,
"  show NAME|@ID\n"
"    Everything the kernel reports about one object: state, owner, handles\n"
"    (how many can send and receive), every counter, blocked tasks, and\n"
"    for regions each registered lock (its holder's pid, waiters, whether\n"
"    its holder died) and the ring (fill, producer and consumer pids, which\n"
"    side is gone).  Then the processes holding handles on it, found in\n"
"    /proc (those of our pid namespace we may inspect: ours, or all as\n"
"    root), with the thread of each that is asleep in a kipc call and\n"
"    where, and (\"elsewhere\") the other kipc objects such a sleeper\n"
"    holds, so a wait on another object (a lock, say) can be followed.\n"
"    Last, a diagnosis that answers the six questions from those\n"
"    numbers:\n"
"      data in       did data enter the channel (sent, received, queued)\n"
"      woken         is a receiver asleep, and should it be\n"
"      boundaries    were messages lost, merged or cut\n"
"      backpressure  is the channel full (slow consumer) or empty (slow\n"
"                    producer), and what the policy does about it\n"
"      locks         who holds which lock, who waits, which holder died\n"
"      peers         is the owner or a ring peer gone, can anyone still\n"
"                    send or receive\n"
"    With -j, the same as one JSON object: the fields of list -j, plus\n"
"    \"holders\", \"elsewhere\" and the \"diagnosis\" as strings.\n"
"\n" },
{ "watch", false,
"  watch [-n COUNT] [-t SECONDS] [NAME|@ID...]\n"
"    Print the events of this IPC namespace, one line each, as they happen:\n"
"    time, event, kind, name (- if anonymous), id, and for owner_died the\n"
"    pid of the owner that went away.  A short state of the object\n"
"    follows when it still exists.  Events:\n"
"      created     an object was created\n"
"      destroyed   its last handle and mapping are gone\n"
"      owner_died  the creator's handle was released (exit, kill -9, close)\n"
"                  without --persist: the object is dead, waiters wake\n"
"                  with EPIPE, receivers drain what is left\n"
"      shutdown    a queue was shut down\n"
"      drop        a queue's policy discarded messages (at most one event\n"
"                  a second per object: read the counters with show)\n"
"      overflow    a fail queue refused a message, or an event post would\n"
"                  have overflowed (rate-limited the same way)\n"
"    With NAMEs or @IDs, only those objects' events.\n"
"    -n, --count COUNT      exit after COUNT events\n"
"    -t, --timeout SECONDS  exit after SECONDS (status 0)\n"
"    With -j, one object per line: time, event, id, kind, name, pid.\n"
"\n" },
{ "top", false,
"  top [-s depth|drops] [-d SECONDS] [-n ITERATIONS] [-b]\n"
"    A screen refreshed in place (ANSI clear and home): the module's\n"
"    totals, then one line per object with its depth, fill, and the sends,\n"
"    receives and drops per second over the last interval.\n"
"    -s, --sort depth|drops   order by depth (messages queued; ring: bytes\n"
"                             used; event: count) or by drops (messages\n"
"                             discarded), largest first; default depth\n"
"    -d, --delay SECONDS      between screens (default 1; fractions work)\n"
"    -n, --iterations N       stop after N screens (default: until ^C)\n"
"    -b, --batch              no ANSI sequences: screens follow each other\n"
"    With -j, one JSON object per screen, one per line.\n"
"\n" },
{ "module", false,
"  module\n"
"    The module's limits and totals: objects in this namespace and in all,\n"
"    bytes charged to your uid, the largest message and region allowed.\n"
"\n" },
{ "create", false,
"  create queue|region|event NAME [OPTIONS]\n"
"    Create a named object owned by your uid and gid.  Without --persist,\n"
"    an object lives as long as the handle that created it, so kipcctl\n"
"    keeps that handle: it prints the object and stays in the foreground\n"
"    until SIGINT or SIGTERM, and the object dies when kipcctl exits (as\n"
"    with any owner: kill -9 it to see owner_died).  With --persist it\n"
"    returns at once and the object stays until \"kipcctl rm\".\n"
"    queue:\n"
"      --max-msgs N           capacity in messages (256)\n"
"      --max-msg-size BYTES   largest payload (8192; at most 1M)\n"
"      --max-bytes BYTES      capacity in bytes (max-msgs x max-msg-size)\n"
"      --policy POLICY        when full: block (senders wait), fail (EAGAIN),\n"
"                             drop-new (discard the new message), drop-oldest\n"
"                             (discard the oldest of the lowest priority)\n"
"      --conflate             a new message replaces a queued one of its type\n"
"    region:\n"
"      --size BYTES           required; rounded up to whole pages\n"
"    event:\n"
"      --kind KIND            semaphore (default), counter or flag\n"
"      --initial N            the initial count (0; a flag: 0 or 1)\n"
"    any:\n"
"      --mode MODE            permission bits, octal (0600)\n"
"      --persist              outlive kipcctl, until rm\n"
"    BYTES take K, M and G suffixes (powers of 1024).  Prints the kind,\n"
"    name and id (-j: {\"kind\", \"name\", \"id\", \"persist\"}).\n"
"\n" },
{ "send", false,
"  send NAME [--type T] [--prio P] [--timeout SECONDS] [TEXT...]\n"
"    Queue: send TEXT (the arguments joined by spaces; without TEXT,\n"
"    standard input, up to the queue's max_msg_size) as one message.\n"
"      --type T              the message type, >= 1 (1)\n"
"      --prio P              the priority, 0..31, higher first (0)\n"
"      --timeout SECONDS     wait at most this long for room (default:\n"
"                            forever; 0: never wait)\n"
"    -j prints {\"seq\": N, \"dropped\": false}: the message's sequence\n"
"    number.  Event: post N (TEXT, default 1).\n"
"\n" },
{ "recv", false,
"  recv NAME [--type T [--select eq|le|ne]] [--count N] [--timeout SECONDS]\n"
"    Queue: receive a message and print its payload and a newline.\n"
"      --type T              only messages of type T (--select eq), of the\n"
"                            smallest type <= T (le) or of any other type (ne)\n"
"      --count N             receive N messages (1)\n"
"      --timeout SECONDS     wait at most this long for each (default:\n"
"                            forever; 0: never wait)\n"
"    -j prints one object per message: type, prio, len, seq, pid, uid,\n"
"    ts_ns (enqueue time, CLOCK_MONOTONIC) and data.\n"
"    Event: wait, then print the value taken (-j: {\"value\": N}).\n"
"\n" },
{ "rm", false,
"  rm NAME...\n"
"    Unlink each name.  The object lives on for the handles already open;\n"
"    the name can be reused at once.  Only the object's uid (or\n"
"    CAP_IPC_OWNER) may remove it.\n"
"\n" },
{ NULL, true,
"EXIT STATUS\n"
"    0  success\n"
"    1  an error not listed below; the message on stderr says which\n"
"    2  usage: unknown command or option, missing or bad argument\n"
"    3  the kipc module is not loaded (no /dev/kipc, or no generic netlink\n"
"       family \"kipc\")\n"
"    4  no such object\n"
"    5  permission denied (the object's mode or uid, or /dev/kipc's)\n"
"    6  send or recv would block, or its --timeout passed\n"
"    7  send: the queue's drop-new policy discarded the message\n"
"    rm with several names exits with the status of the first failure.\n"
"    Errors are printed as \"kipcctl: WHAT: WHY\", with the kernel's\n"
"    reason in parentheses when it gave one.\n"
"\n" },
{ NULL, false,
"EXAMPLES\n"
"    kipcctl list                      what exists, and how full\n"
"    kipcctl show /orders              why is the /orders pair stuck?\n"
"    kipcctl -j show orders | jq .queue.depth_msgs\n"
"    kipcctl watch                     owner deaths, drops, as they happen\n"
"    kipcctl top -s drops              who is losing messages now\n"
"    kipcctl create queue /jobs --max-msgs 64 --policy drop-oldest --persist\n"
"    echo hello | kipcctl send /jobs --type 2\n"
"    kipcctl recv /jobs --timeout 5\n"
"    kipcctl rm /jobs\n"
"\n"
"SEE ALSO\n"
"    docs/kipcctl.md (a walk through a stuck producer/consumer pair),\n"
"    docs/queues.md, docs/regions.md, ipcs(1), ss(8)\n" },
};

static const char *const kctl_cmds[] = {
	"list", "show", "watch", "top", "module", "create", "send", "recv",
	"rm", NULL
};

static bool kctl_is_cmd(const char *cmd)
{
	int i;

	for (i = 0; kctl_cmds[i]; i++)
		if (!strcmp(kctl_cmds[i], cmd))
			return true;
	return false;
}

void kctl_help(FILE *f, const char *cmd)
{
	size_t i;

	if (!cmd) {
		for (i = 0; i < ARRAY_SIZE(kctl_manual); i++)
			fputs(kctl_manual[i].text, f);
		return;
	}
	fputs(kctl_manual[0].text, f);
	fputs("COMMAND\n", f);
	for (i = 0; i < ARRAY_SIZE(kctl_manual); i++)
		if (kctl_manual[i].cmd && !strcmp(kctl_manual[i].cmd, cmd))
			fputs(kctl_manual[i].text, f);
	for (i = 1; i < ARRAY_SIZE(kctl_manual); i++)
		if (!kctl_manual[i].cmd && kctl_manual[i].always)
			fputs(kctl_manual[i].text, f);
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
const char *kctl_obj_kind(const struct kctl_obj *o)
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
