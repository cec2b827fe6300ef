// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl - the commands that act on objects, through libkipc: create,
 * send, recv and rm.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kipc.h>

#include "kipcctl.h"

/* Long-only options. */
enum {
	OPT_MAX_MSGS = 256,
	OPT_MAX_MSG_SIZE,
	OPT_MAX_BYTES,
	OPT_POLICY,
	OPT_CONFLATE,
	OPT_PERSIST,
	OPT_MODE,
	OPT_SIZE,
	OPT_KIND,
	OPT_INITIAL,
	OPT_TYPE,
	OPT_PRIO,
	OPT_TIMEOUT,
	OPT_SELECT,
	OPT_COUNT,
};

static int kctl_ops_bad_opt(const char *cmd, int c, char **argv)
{
	if (c == ':')
		return kctl_usage_err(cmd, "option '%s' needs a value",
				      argv[optind - 1]);
	return kctl_usage_err(cmd, "unknown option '%s'", argv[optind - 1]);
}

/* ---------------------------------------------------------------------
 * create
 */

static volatile sig_atomic_t kctl_stop;

static void kctl_on_signal(int sig)
{
	(void)sig;
	kctl_stop = 1;
}

static sigset_t kctl_hold_old;

/*
 * Catch SIGINT, SIGTERM and SIGHUP before the object exists, so that one
 * sent as soon as it is reported ends kipcctl cleanly (status 0).
 */
static void kctl_hold_prepare(void)
{
	struct sigaction sa = { .sa_handler = kctl_on_signal };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &kctl_hold_old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Keep the owner handle until one of those signals. */
static void kctl_hold(const char *kind, const char *name, uint32_t id)
{
	fprintf(stderr, "kipcctl: holding %s %s (id %u), pid %d: it lives until kipcctl exits (SIGINT or SIGTERM); use --persist to keep it\n",
		kind, name, id, (int)getpid());
	while (!kctl_stop)
		sigsuspend(&kctl_hold_old);
	sigprocmask(SIG_SETMASK, &kctl_hold_old, NULL);
}

static int kctl_parse_policy(const char *s, uint32_t *policy)
{
	static const struct { const char *name; uint32_t v; } p[] = {
		{ "block",	 KIPC_POLICY_BLOCK },
		{ "fail",	 KIPC_POLICY_FAIL },
		{ "drop-new",	 KIPC_POLICY_DROP_NEW },
		{ "drop_new",	 KIPC_POLICY_DROP_NEW },
		{ "drop-oldest", KIPC_POLICY_DROP_OLDEST },
		{ "drop_oldest", KIPC_POLICY_DROP_OLDEST },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(p); i++) {
		if (!strcmp(s, p[i].name)) {
			*policy = p[i].v;
			return 0;
		}
	}
	return -EINVAL;
}

static int kctl_parse_event_kind(const char *s, int *kind)
{
	if (!strcmp(s, "semaphore"))
		*kind = KIPC_EVENT_SEMAPHORE;
	else if (!strcmp(s, "counter"))
		*kind = KIPC_EVENT_COUNTER;
	else if (!strcmp(s, "flag"))
		*kind = KIPC_EVENT_FLAG;
	else
		return -EINVAL;
	return 0;
}

struct kctl_create {
	uint32_t kind;
	const char *name;
	struct kipc_queue_attr attr;
	bool has_queue_opt, has_size, has_event_opt;
	uint64_t size;
	int event_kind;
	uint64_t initial;
	bool persist;
	mode_t mode;
};

static int kctl_create_parse(int argc, char **argv, struct kctl_create *cr)
{
	static const struct option opts[] = {
		{ "json",	  no_argument,	     NULL, 'j' },
		{ "pretty",	  no_argument,	     NULL, 'p' },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ "max-msgs",	  required_argument, NULL, OPT_MAX_MSGS },
		{ "max-msg-size", required_argument, NULL, OPT_MAX_MSG_SIZE },
		{ "max-bytes",	  required_argument, NULL, OPT_MAX_BYTES },
		{ "policy",	  required_argument, NULL, OPT_POLICY },
		{ "conflate",	  no_argument,	     NULL, OPT_CONFLATE },
		{ "persist",	  no_argument,	     NULL, OPT_PERSIST },
		{ "mode",	  required_argument, NULL, OPT_MODE },
		{ "size",	  required_argument, NULL, OPT_SIZE },
		{ "kind",	  required_argument, NULL, OPT_KIND },
		{ "initial",	  required_argument, NULL, OPT_INITIAL },
		{ NULL, 0, NULL, 0 },
	};
	const char *kind;
	uint64_t v;
	char *end;
	long m;
	int c, ret = -1;

	cr->mode = 0600;
	cr->event_kind = KIPC_EVENT_SEMAPHORE;
	while ((c = getopt_long(argc, argv, ":jph", opts, NULL)) != -1) {
		if (kctl_common_opt(c, "create", &ret)) {
			if (ret >= 0)
				return ret;
			continue;
		}
		switch (c) {
		case OPT_MAX_MSGS:
			if (kctl_parse_u32(optarg, &cr->attr.max_msgs) ||
			    !cr->attr.max_msgs)
				return kctl_usage_err("create", "bad --max-msgs '%s'", optarg);
			cr->has_queue_opt = true;
			break;
		case OPT_MAX_MSG_SIZE:
			if (kctl_parse_size(optarg, &v) || !v || v > UINT32_MAX)
				return kctl_usage_err("create", "bad --max-msg-size '%s'", optarg);
			cr->attr.max_msg_size = (uint32_t)v;
			cr->has_queue_opt = true;
			break;
		case OPT_MAX_BYTES:
			if (kctl_parse_size(optarg, &cr->attr.max_bytes) ||
			    !cr->attr.max_bytes)
				return kctl_usage_err("create", "bad --max-bytes '%s'", optarg);
			cr->has_queue_opt = true;
			break;
		case OPT_POLICY:
			if (kctl_parse_policy(optarg, &cr->attr.policy))
				return kctl_usage_err("create", "bad --policy '%s' (block, fail, drop-new, drop-oldest)", optarg);
			cr->has_queue_opt = true;
			break;
		case OPT_CONFLATE:
			cr->attr.flags |= KIPC_Q_CONFLATE;
			cr->has_queue_opt = true;
			break;
		case OPT_PERSIST:
			cr->persist = true;
			break;
		case OPT_MODE:
			errno = 0;
			m = strtol(optarg, &end, 8);
			if (errno || *end || !*optarg || m < 0 || m > 0777)
				return kctl_usage_err("create", "bad --mode '%s' (octal, at most 0777)", optarg);
			cr->mode = (mode_t)m;
			break;
		case OPT_SIZE:
			if (kctl_parse_size(optarg, &cr->size) || !cr->size)
				return kctl_usage_err("create", "bad --size '%s'", optarg);
			cr->has_size = true;
			break;
		case OPT_KIND:
			if (kctl_parse_event_kind(optarg, &cr->event_kind))
				return kctl_usage_err("create", "bad --kind '%s' (semaphore, counter, flag)", optarg);
			cr->has_event_opt = true;
			break;
		case OPT_INITIAL:
			if (kctl_parse_u64(optarg, &cr->initial))
				return kctl_usage_err("create", "bad --initial '%s'", optarg);
			cr->has_event_opt = true;
			break;
		default:
			return kctl_ops_bad_opt("create", c, argv);
		}
	}
	if (argc - optind < 2)
		return kctl_usage_err("create", "usage: create queue|region|event NAME [OPTIONS]");
	if (argc - optind > 2)
		return kctl_usage_err("create", "unexpected argument '%s'",
				      argv[optind + 2]);
	kind = argv[optind];
	cr->name = argv[optind + 1];
	if (!strcmp(kind, "queue"))
		cr->kind = KIPC_KIND_QUEUE;
	else if (!strcmp(kind, "region"))
		cr->kind = KIPC_KIND_REGION;
	else if (!strcmp(kind, "event"))
		cr->kind = KIPC_KIND_EVENT;
	else
		return kctl_usage_err("create", "unknown kind '%s' (queue, region or event)", kind);

	if (cr->has_queue_opt && cr->kind != KIPC_KIND_QUEUE)
		return kctl_usage_err("create", "queue options given for a %s", kind);
	if (cr->has_size && cr->kind != KIPC_KIND_REGION)
		return kctl_usage_err("create", "--size is for regions");
	if (cr->has_event_opt && cr->kind != KIPC_KIND_EVENT)
		return kctl_usage_err("create", "--kind and --initial are for events");
	if (cr->kind == KIPC_KIND_REGION && !cr->has_size)
		return kctl_usage_err("create", "a region needs --size");
	return -1;
}

int kctl_cmd_create(int argc, char **argv)
{
	struct kctl_create cr = { 0 };
	int flags, fd, ret;
	uint32_t id = 0;
	struct kjson j;

	ret = kctl_create_parse(argc, argv, &cr);
	if (ret >= 0)
		return ret;
	ret = kctl_require_dev();
	if (ret)
		return kctl_err(ret, "create");
	flags = cr.persist ? KIPC_PERSIST : 0;
	if (!cr.persist)
		kctl_hold_prepare();

	switch (cr.kind) {
	case KIPC_KIND_QUEUE: {
		struct kipc_queue_stat st;

		fd = kipc_queue_create(cr.name, &cr.attr, flags, cr.mode);
		if (fd >= 0 && !kipc_queue_stat(fd, &st))
			id = st.id;
		break;
	}
	case KIPC_KIND_REGION: {
		struct kipc_region_stat st;

		if (cr.size > SIZE_MAX)
			return kctl_usage_err("create", "--size too large");
		fd = kipc_region_create(cr.name, (size_t)cr.size, flags,
					cr.mode);
		if (fd >= 0 && !kipc_region_stat(fd, &st))
			id = st.id;
		break;
	}
	default: {
		struct kipc_event_stat st;

		fd = kipc_event_create(cr.name, cr.event_kind, cr.initial,
				       flags, cr.mode);
		if (fd >= 0 && !kipc_event_stat(fd, &st))
			id = st.id;
		break;
	}
	}
	if (fd < 0)
		return kctl_err(fd, "create %s %s", kctl_kind_name(cr.kind),
				cr.name);

	if (kctl_opts.json) {
		kjson_init(&j, stdout, kctl_opts.pretty);
		kjson_obj_open(&j, NULL);
		kjson_str(&j, "kind", kctl_kind_name(cr.kind));
		kjson_str(&j, "name", cr.name);
		kjson_u64(&j, "id", id);
		kjson_bool(&j, "persist", cr.persist);
		kjson_obj_close(&j);
		kjson_end(&j);
	} else {
		printf("%s %s id %u%s\n", kctl_kind_name(cr.kind), cr.name, id,
		       cr.persist ? " persist" : "");
		fflush(stdout);
	}
	if (!cr.persist)
		kctl_hold(kctl_kind_name(cr.kind), cr.name, id);
	close(fd);
	return KCTL_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * send, recv: queues, and events (post, wait).
 */

struct kctl_xfer {
	const char *name;
	uint32_t type, prio, sel_mode;
	bool has_type, has_prio, has_select;
	int64_t timeout;		/* ns, -1 forever */
	uint64_t count;
	int first_arg;			/* the first TEXT word in argv */
};

static int kctl_xfer_parse(const char *cmd, int argc, char **argv,
			   struct kctl_xfer *x)
{
	static const struct option opts[] = {
		{ "json",	no_argument,	   NULL, 'j' },
		{ "pretty",	no_argument,	   NULL, 'p' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "type",	required_argument, NULL, OPT_TYPE },
		{ "prio",	required_argument, NULL, OPT_PRIO },
		{ "timeout",	required_argument, NULL, OPT_TIMEOUT },
		{ "select",	required_argument, NULL, OPT_SELECT },
		{ "count",	required_argument, NULL, OPT_COUNT },
		{ NULL, 0, NULL, 0 },
	};
	bool is_send = !strcmp(cmd, "send");
	int c, ret = -1;

	x->type = 1;
	x->timeout = -1;
	x->count = 1;
	x->sel_mode = KIPC_SEL_EQ;
	while ((c = getopt_long(argc, argv, ":jph", opts, NULL)) != -1) {
		if (kctl_common_opt(c, cmd, &ret)) {
			if (ret >= 0)
				return ret;
			continue;
		}
		switch (c) {
		case OPT_TYPE:
			if (kctl_parse_u32(optarg, &x->type) || !x->type)
				return kctl_usage_err(cmd, "bad --type '%s' (>= 1)", optarg);
			x->has_type = true;
			break;
		case OPT_PRIO:
			if (!is_send)
				return kctl_usage_err(cmd, "--prio is for send");
			if (kctl_parse_u32(optarg, &x->prio) ||
			    x->prio > KIPC_PRIO_MAX)
				return kctl_usage_err(cmd, "bad --prio '%s' (0..31)", optarg);
			x->has_prio = true;
			break;
		case OPT_TIMEOUT:
			if (kctl_parse_seconds(optarg, &x->timeout))
				return kctl_usage_err(cmd, "bad --timeout '%s'", optarg);
			break;
		case OPT_SELECT:
			if (is_send)
				return kctl_usage_err(cmd, "--select is for recv");
			if (!strcmp(optarg, "eq"))
				x->sel_mode = KIPC_SEL_EQ;
			else if (!strcmp(optarg, "le"))
				x->sel_mode = KIPC_SEL_LE;
			else if (!strcmp(optarg, "ne"))
				x->sel_mode = KIPC_SEL_NE;
			else
				return kctl_usage_err(cmd, "bad --select '%s' (eq, le, ne)", optarg);
			x->has_select = true;
			break;
		case OPT_COUNT:
			if (is_send)
				return kctl_usage_err(cmd, "--count is for recv");
			if (kctl_parse_u64(optarg, &x->count) || !x->count)
				return kctl_usage_err(cmd, "bad --count '%s'", optarg);
			break;
		default:
			return kctl_ops_bad_opt(cmd, c, argv);
		}
	}
	if (x->has_select && !x->has_type)
		return kctl_usage_err(cmd, "--select needs --type");
	if (optind >= argc)
		return kctl_usage_err(cmd, "missing NAME");
	x->name = argv[optind++];
	x->first_arg = optind;
	if (!is_send && optind < argc)
		return kctl_usage_err(cmd, "unexpected argument '%s'",
				      argv[optind]);
	return -1;
}

/* Join the TEXT words, or read standard input, into a buffer of at most
 * @max bytes; the length, or -EMSGSIZE / -errno.
 */
static ssize_t kctl_payload(int argc, char **argv, int first, size_t max,
			    char **out)
{
	size_t len = 0, cap = 4096;
	char *buf;
	ssize_t n;
	int i;

	if (first < argc) {
		for (i = first; i < argc; i++)
			len += strlen(argv[i]) + (i > first);
		if (len > max)
			return -EMSGSIZE;
		buf = malloc(len + 1);
		if (!buf)
			return -ENOMEM;
		buf[0] = '\0';
		for (i = first; i < argc; i++) {
			if (i > first)
				strcat(buf, " ");
			strcat(buf, argv[i]);
		}
		*out = buf;
		return (ssize_t)len;
	}
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			char *p;

			if (cap > max) {
				free(buf);
				return -EMSGSIZE;
			}
			p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			free(buf);
			return n;
		}
		if (!n)
			break;
		len += n;
	}
	if (len > max) {
		free(buf);
		return -EMSGSIZE;
	}
	*out = buf;
	return (ssize_t)len;
}

static int kctl_event_post(const struct kctl_xfer *x, int argc, char **argv)
{
	uint64_t n = 1;
	int e, ret;

	if (x->has_type || x->has_prio)
		return kctl_usage_err("send", "--type and --prio are for queues; %s is an event",
				      x->name);
	if (x->first_arg < argc) {
		if (argc - x->first_arg > 1 ||
		    kctl_parse_u64(argv[x->first_arg], &n) || !n)
			return kctl_usage_err("send", "an event takes one count >= 1, not '%s'",
					      argv[x->first_arg]);
	}
	e = kipc_event_open(x->name, KIPC_WRONLY);
	if (e < 0)
		return kctl_err(e, "send %s", x->name);
	ret = kipc_event_post(e, n);
	close(e);
	if (ret < 0)
		return kctl_err(ret, "send %s: post %llu", x->name, ULL(n));
	if (kctl_opts.json) {
		struct kjson j;

		kjson_init(&j, stdout, kctl_opts.pretty);
		kjson_obj_open(&j, NULL);
		kjson_u64(&j, "posted", n);
		kjson_obj_close(&j);
		kjson_end(&j);
	}
	return KCTL_EXIT_OK;
}

int kctl_cmd_send(int argc, char **argv)
{
	struct kipc_queue_stat st;
	struct kctl_xfer x = { 0 };
	struct kipc_msg msg = { 0 };
	char *buf = NULL;
	ssize_t len;
	int q, ret;

	ret = kctl_xfer_parse("send", argc, argv, &x);
	if (ret >= 0)
		return ret;
	ret = kctl_require_dev();
	if (ret)
		return kctl_err(ret, "send");

	q = kipc_queue_open(x.name, KIPC_WRONLY);
	if (q == -ENOTTY)
		return kctl_event_post(&x, argc, argv);
	if (q < 0)
		return kctl_err(q, "send %s", x.name);
	ret = kipc_queue_stat(q, &st);
	if (ret < 0) {
		close(q);
		return kctl_err(ret, "send %s: stat", x.name);
	}
	len = kctl_payload(argc, argv, x.first_arg, st.max_msg_size, &buf);
	if (len < 0) {
		close(q);
		if (len == -EMSGSIZE) {
			fprintf(stderr, "kipcctl: send %s: the message is larger than the queue's max_msg_size (%llu bytes)\n",
				x.name, ULL(st.max_msg_size));
			return KCTL_EXIT_ERROR;
		}
		return kctl_err((int)len, "send %s: read the message", x.name);
	}
	msg.type = x.type;
	msg.prio = x.prio;
	msg.data = buf;
	msg.len = (size_t)len;
	ret = kipc_sendv(q, &msg, 1, x.timeout);
	close(q);
	free(buf);
	if (ret < 0)
		return kctl_err(ret, "send %s", x.name);
	if (ret != 1)
		return kctl_err(-EIO, "send %s: accepted %d messages", x.name,
				ret);
	if (kctl_opts.json) {
		struct kjson j;

		kjson_init(&j, stdout, kctl_opts.pretty);
		kjson_obj_open(&j, NULL);
		kjson_u64(&j, "seq", msg.seq);
		kjson_bool(&j, "dropped", msg.flags & KIPC_MSG_DROPPED);
		kjson_obj_close(&j);
		kjson_end(&j);
	}
	if (msg.flags & KIPC_MSG_DROPPED) {
		fprintf(stderr, "kipcctl: send %s: the queue is full and its drop-new policy discarded the message (seq %llu)\n",
			x.name, ULL(msg.seq));
		return KCTL_EXIT_DROPPED;
	}
	return KCTL_EXIT_OK;
}

static int kctl_event_wait(const struct kctl_xfer *x)
{
	uint64_t value = 0, i;
	int e, ret = 0;

	if (x->has_type)
		return kctl_usage_err("recv", "--type and --select are for queues; %s is an event",
				      x->name);
	e = kipc_event_open(x->name, KIPC_RDONLY);
	if (e < 0)
		return kctl_err(e, "recv %s", x->name);
	for (i = 0; i < x->count; i++) {
		ret = kipc_event_wait(e, &value, x->timeout);
		if (ret < 0)
			break;
		if (kctl_opts.json) {
			struct kjson j;

			kjson_init(&j, stdout, false);
			kjson_obj_open(&j, NULL);
			kjson_u64(&j, "value", value);
			kjson_obj_close(&j);
			kjson_end(&j);
		} else {
			printf("%llu\n", ULL(value));
			fflush(stdout);
		}
	}
	close(e);
	return ret < 0 ? kctl_err(ret, "recv %s", x->name) : KCTL_EXIT_OK;
}

static void kctl_print_msg(const struct kipc_msg *m, const char *buf)
{
	struct kjson j;

	if (!kctl_opts.json) {
		fwrite(buf, 1, m->len, stdout);
		putchar('\n');
		fflush(stdout);
		return;
	}
	kjson_init(&j, stdout, false);
	kjson_obj_open(&j, NULL);
	kjson_u64(&j, "type", m->type);
	kjson_u64(&j, "prio", m->prio);
	kjson_u64(&j, "len", m->len);
	kjson_u64(&j, "seq", m->seq);
	kjson_i64(&j, "pid", m->pid);
	kjson_u64(&j, "uid", m->uid);
	kjson_u64(&j, "ts_ns", m->ts_ns);
	kjson_strn(&j, "data", buf, m->len);
	kjson_obj_close(&j);
	kjson_end(&j);
}

int kctl_cmd_recv(int argc, char **argv)
{
	struct kipc_select sel = { .mode = KIPC_SEL_ANY };
	struct kctl_xfer x = { 0 };
	struct kipc_queue_stat st;
	struct kipc_msg m;
	uint64_t i;
	char *buf;
	ssize_t n = 0;
	int q, ret;

	ret = kctl_xfer_parse("recv", argc, argv, &x);
	if (ret >= 0)
		return ret;
	ret = kctl_require_dev();
	if (ret)
		return kctl_err(ret, "recv");

	q = kipc_queue_open(x.name, KIPC_RDONLY);
	if (q == -ENOTTY)
		return kctl_event_wait(&x);
	if (q < 0)
		return kctl_err(q, "recv %s", x.name);
	ret = kipc_queue_stat(q, &st);
	if (ret < 0) {
		close(q);
		return kctl_err(ret, "recv %s: stat", x.name);
	}
	buf = malloc(st.max_msg_size ? st.max_msg_size : 1);
	if (!buf) {
		close(q);
		return kctl_err(-ENOMEM, "recv %s", x.name);
	}
	if (x.has_type) {
		sel.mode = x.sel_mode;
		sel.type = x.type;
	}
	for (i = 0; i < x.count; i++) {
		memset(&m, 0, sizeof(m));
		n = kipc_recv(q, &sel, buf, st.max_msg_size, &m, x.timeout);
		if (n < 0)
			break;
		kctl_print_msg(&m, buf);
	}
	free(buf);
	close(q);
	if (n == -EAGAIN || n == -ETIMEDOUT) {
		fprintf(stderr, "kipcctl: recv %s: no message %s\n", x.name,
			n == -EAGAIN ? "is queued (would block)" :
			"arrived before the timeout");
		return KCTL_EXIT_AGAIN;
	}
	return n < 0 ? kctl_err((int)n, "recv %s", x.name) : KCTL_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * rm
 */

int kctl_cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help",	no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i, ret, status = KCTL_EXIT_OK;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			kctl_help(stdout, "rm");
			return KCTL_EXIT_OK;
		}
		return kctl_ops_bad_opt("rm", c, argv);
	}
	if (optind >= argc)
		return kctl_usage_err("rm", "missing NAME");
	ret = kctl_require_dev();
	if (ret)
		return kctl_err(ret, "rm");
	for (i = optind; i < argc; i++) {
		ret = kipc_unlink(argv[i]);
		if (ret < 0) {
			ret = kctl_err(ret, "rm %s", argv[i]);
			if (status == KCTL_EXIT_OK)
				status = ret;
		}
	}
	return status;
}
