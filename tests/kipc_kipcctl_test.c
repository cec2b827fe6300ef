// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl, run as a program (the path in $KIPC_KIPCCTL, else
 * /usr/bin/kipcctl, /bin/kipcctl or ../tools/kipcctl): its JSON is parsed
 * with json-c, held to RFC 8259, and compared field by field
 * with what libkipc's stat calls report; its text output, --help, exit
 * statuses and error messages are checked; create, send, recv and rm are
 * checked against libkipc; watch must report a kill -9'd owner; top must
 * refresh in place and sort by depth and by drops; and a stuck
 * producer/consumer pair must be diagnosable from show and watch alone.
 */
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "lib/kt_harness.h"

/* ---------------------------------------------------------------------
 * kipcctl's JSON, parsed with json-c in its strict mode (no trailing
 * commas, valid escapes and UTF-8) and checked to the end: nothing may
 * follow the value.  json-c still takes a few things RFC 8259 does not,
 * and kipcctl must write none of them: json_lex() below refuses control
 * characters and lone surrogate escapes in strings, single-quoted
 * strings, NaN and Infinity, and counts the keys, so that a repeated key
 * (json-c keeps the last) shows as fewer keys in the parsed tree.
 */
#include <json-c/json.h>

typedef struct json_object jv;

/* The code unit of the \uXXXX escape at @s (6 bytes left), or -1. */
static long json_u16(const char *s, size_t left)
{
	char hex[5];

	if (left < 6 || s[0] != '\\' || s[1] != 'u')
		return -1;
	memcpy(hex, s + 2, 4);
	hex[4] = '\0';
	return strtol(hex, NULL, 16);
}

/* NULL if @s[0..@len) is made of JSON's tokens only, else what is not. */
static const char *json_lex(const char *s, size_t len, size_t *nkeys)
{
	static const char *const lit[] = { "true", "false", "null" };
	size_t i = 0, j, k;
	long u;

	*nkeys = 0;
	while (i < len) {
		if (s[i] == '"') {
			for (j = i + 1; j < len && s[j] != '"'; j++) {
				if ((unsigned char)s[j] < 0x20)
					return "control character in a string";
				if (s[j] != '\\')
					continue;
				u = json_u16(s + j, len - j);
				if (u >= 0xdc00 && u <= 0xdfff)
					return "lone low surrogate";
				if (u >= 0xd800 && u <= 0xdbff) {
					u = json_u16(s + j + 6, len - j - 6);
					if (u < 0xdc00 || u > 0xdfff)
						return "lone high surrogate";
					j += 6;	/* past the pair's first half */
				}
				j++;
			}
			for (i = j + 1; i < len && strchr(" \t\n\r", s[i]); i++)
				;
			*nkeys += i < len && s[i] == ':';
			continue;
		}
		if (s[i] && strchr("{}[],: \t\n\r-+.0123456789eE", s[i])) {
			i++;
			continue;
		}
		for (k = 0; k < 3; k++)
			if (!strncmp(s + i, lit[k], strlen(lit[k])))
				break;
		if (k == 3)
			return "not a JSON token";
		i += strlen(lit[k]);
	}
	return NULL;
}

/* The keys of all objects in @v. */
static size_t json_keys(jv *v)
{
	size_t n = 0, i;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val) {
			(void)key;
			n += 1 + json_keys(val);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++)
			n += json_keys(json_object_array_get_idx(v, i));
	}
	return n;
}

/*
 * Parse all of @text (@len bytes); a new value, or NULL with @err set
 * (a document that is just `null` is refused too: kipcctl never writes
 * one, and json-c represents null as NULL).
 */
static jv *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	char *copy = malloc(len + 1);
	const char *why = NULL;
	size_t nkeys;
	jv *v = NULL;

	if (!tok || !copy) {
		why = "out of memory";
		goto out;
	}
	why = json_lex(text, len, &nkeys);
	if (why)
		goto out;
	/* The terminating NUL is the end of input json-c needs to finish. */
	memcpy(copy, text, len);
	copy[len] = '\0';
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
				    JSON_TOKENER_VALIDATE_UTF8);
	v = json_tokener_parse_ex(tok, copy, (int)len + 1);
	if (json_tokener_get_error(tok) != json_tokener_success)
		why = json_tokener_error_desc(json_tokener_get_error(tok));
	else if (json_tokener_get_parse_end(tok) != len)
		why = "trailing bytes";
	else if (!v)
		why = "null document";
	else if (json_keys(v) != nkeys)
		why = "duplicate key";
out:
	if (why) {
		json_object_put(v);
		v = NULL;
	}
	if (err)
		snprintf(err, errlen, "%s", why ? why : "");
	json_tokener_free(tok);
	free(copy);
	return v;
}

static void json_free(jv *v)
{
	json_object_put(v);
}

/*
 * The value at @path ("queue.depth_msgs", "locks.0.offset") into *@out:
 * true if it is there (*@out is NULL for a JSON null).
 */
static bool jget_ex(jv *v, const char *path, jv **out)
{
	char part[64];
	size_t i;

	while (*path) {
		size_t l = strcspn(path, ".");

		snprintf(part, sizeof(part), "%.*s", (int)l, path);
		path += l + (path[l] == '.');
		if (json_object_is_type(v, json_type_object)) {
			if (!json_object_object_get_ex(v, part, &v))
				return false;
		} else if (json_object_is_type(v, json_type_array)) {
			char *end;

			i = strtoul(part, &end, 10);
			if (*end || i >= json_object_array_length(v))
				return false;
			v = json_object_array_get_idx(v, i);
		} else {
			return false;
		}
	}
	*out = v;
	return true;
}

/* The value at @path, or NULL (missing or null). */
static jv *jget(jv *v, const char *path)
{
	jv *out;

	return v && jget_ex(v, path, &out) ? out : NULL;
}

static bool jis_num(jv *v)
{
	return json_object_is_type(v, json_type_int) ||
	       json_object_is_type(v, json_type_double);
}

static bool jis_arr(jv *v)
{
	return json_object_is_type(v, json_type_array);
}

/* A number's value as an unsigned integer (0 for anything else). */
static uint64_t ju(jv *v)
{
	return jis_num(v) ? json_object_get_uint64(v) : 0;
}

/* A string's bytes, or NULL. */
static const char *js(jv *v)
{
	return json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

/* Array @a's length (0 for anything else) and its item @i. */
static size_t jlen(jv *a)
{
	return jis_arr(a) ? json_object_array_length(a) : 0;
}

static jv *jat(jv *a, size_t i)
{
	return json_object_array_get_idx(a, i);
}

/* The element of array @arr whose "id" is @id. */
static jv *jfind_id(jv *arr, uint32_t id)
{
	size_t i;

	for (i = 0; i < jlen(arr); i++) {
		jv *x = jget(jat(arr, i), "id");

		if (x && jis_num(x) && ju(x) == id)
			return jat(arr, i);
	}
	return NULL;
}

/* An unsigned integer: json-c's int, not negative (nor a double). */
#define EXPECT_JU(v, path, want) do {					\
	jv *__j = jget(v, path);					\
	EXPECT_TRUE(json_object_is_type(__j, json_type_int) &&		\
		    json_object_get_int64(__j) >= 0)			\
		TH_LOG("%s: missing or not an unsigned integer", path);	\
	if (jis_num(__j)) {						\
		EXPECT_EQ((uint64_t)(want), ju(__j)) TH_LOG("%s", path);	\
	}								\
} while (0)

#define EXPECT_JS(v, path, want) do {					\
	jv *__j = jget(v, path);					\
	EXPECT_TRUE(js(__j) != NULL)					\
		TH_LOG("%s: missing or not a string", path);		\
	if (js(__j)) {							\
		EXPECT_STREQ(want, js(__j)) TH_LOG("%s", path);		\
	}								\
} while (0)

#define EXPECT_JB(v, path, want) do {					\
	jv *__j = jget(v, path);					\
	EXPECT_TRUE(json_object_is_type(__j, json_type_boolean))	\
		TH_LOG("%s: missing or not a boolean", path);		\
	if (json_object_is_type(__j, json_type_boolean)) {		\
		EXPECT_EQ(!!(want), json_object_get_boolean(__j))	\
			TH_LOG("%s", path);				\
	}								\
} while (0)

#define EXPECT_JNULL(v, path) do {					\
	jv *__j = (jv *)1;						\
	EXPECT_TRUE(jget_ex(v, path, &__j) && __j == NULL)		\
		TH_LOG("%s: not null", path);				\
} while (0)
/* ---------------------------------------------------------------------
 * Running kipcctl.
 */

static const char *kipcctl_path(void)
{
	static const char *const paths[] = {
		"/usr/bin/kipcctl", "/bin/kipcctl", "../tools/kipcctl",
		"tools/kipcctl",
	};
	const char *env = getenv("KIPC_KIPCCTL");
	size_t i;

	if (env && *env)
		return access(env, X_OK) ? NULL : env;
	for (i = 0; i < ARRAY_SIZE(paths); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

struct run {
	int status;		/* exit status, or 128 + signal */
	char *out, *err;
	size_t out_len, err_len;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

static void buf_append(char **b, size_t *len, const char *data, size_t n)
{
	char *p = realloc(*b, *len + n + 1);

	if (!p)
		abort();
	memcpy(p + *len, data, n);
	*len += n;
	p[*len] = '\0';
	*b = p;
}

/*
 * Run kipcctl with @argv (NULL-terminated, without argv[0]), @input on
 * its standard input, as @uid (-1: ours); capture both outputs.  Gives
 * it 60 s.  0, or -errno if it could not be run.
 */
static int run_ctl_v(struct run *r, const char *input, int uid,
		     const char *const *argv)
{
	const char *path = kipcctl_path();
	int in[2], out[2], err[2], n, status;
	const char *args[32];
	struct pollfd pfd[2];
	int64_t end;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	buf_append(&r->out, &r->out_len, "", 0);
	buf_append(&r->err, &r->err_len, "", 0);
	if (!path)
		return -ENOENT;
	args[0] = "kipcctl";
	for (n = 0; argv[n] && n < 30; n++)
		args[n + 1] = argv[n];
	args[n + 1] = NULL;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
	    pipe2(err, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (uid >= 0 && (setgroups(0, NULL) || setgid(uid) ||
				 setuid(uid)))
			_exit(120);
		execv(path, (char *const *)args);
		_exit(121);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	/* kipcctl may not read it all: a short write is fine. */
	if (input && write(in[1], input, strlen(input)) < 0 && errno != EPIPE)
		abort();
	close(in[1]);

	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	pfd[0].events = pfd[1].events = POLLIN;
	end = kt_now_ns() + 60000 * MS;
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		char buf[4096];
		int i;

		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			break;
		if (kt_now_ns() > end) {
			kill(pid, SIGKILL);
			break;
		}
		for (i = 0; i < 2; i++) {
			ssize_t got;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			got = read(pfd[i].fd, buf, sizeof(buf));
			if (got <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				continue;
			}
			if (i == 0)
				buf_append(&r->out, &r->out_len, buf, got);
			else
				buf_append(&r->err, &r->err_len, buf, got);
		}
	}
	if (pfd[0].fd >= 0)
		close(pfd[0].fd);
	if (pfd[1].fd >= 0)
		close(pfd[1].fd);
	if (waitpid(pid, &status, 0) != pid)
		return -ECHILD;
	r->status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
		    WEXITSTATUS(status);
	return 0;
}

#define RUN(r, ...)							\
	run_ctl_v(r, NULL, -1, (const char *const[]){ __VA_ARGS__, NULL })
#define RUN_IN(r, input, ...)						\
	run_ctl_v(r, input, -1, (const char *const[]){ __VA_ARGS__, NULL })
#define RUN_AS(r, uid, ...)						\
	run_ctl_v(r, NULL, uid, (const char *const[]){ __VA_ARGS__, NULL })

/* A kipcctl left running: its pid and a line reader on its stdout. */
struct bg {
	pid_t pid;
	int fd;
	char buf[65536];
	size_t n;
};

static int bg_start_v(struct bg *b, const char *const *argv)
{
	const char *path = kipcctl_path();
	const char *args[32];
	int out[2], n, devnull;

	memset(b, 0, sizeof(*b));
	if (!path)
		return -ENOENT;
	args[0] = "kipcctl";
	for (n = 0; argv[n] && n < 30; n++)
		args[n + 1] = argv[n];
	args[n + 1] = NULL;
	if (pipe2(out, O_CLOEXEC))
		return -errno;
	b->pid = fork();
	if (b->pid < 0)
		return -errno;
	if (b->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_DFL);
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(devnull, 2);
		execv(path, (char *const *)args);
		_exit(121);
	}
	close(out[1]);
	b->fd = out[0];
	return 0;
}

#define BG_START(b, ...)						\
	bg_start_v(b, (const char *const[]){ __VA_ARGS__, NULL })

/* The next line of @b's output (without '\n') within @ms; 0 or -errno. */
static int bg_line(struct bg *b, char *line, size_t len, int ms)
{
	int64_t end = kt_now_ns() + (int64_t)ms * MS;

	for (;;) {
		char *nl = memchr(b->buf, '\n', b->n);
		struct pollfd pfd = { .fd = b->fd, .events = POLLIN };
		int64_t left;
		ssize_t got;

		if (nl) {
			size_t l = nl - b->buf;

			snprintf(line, len, "%.*s", (int)l, b->buf);
			memmove(b->buf, nl + 1, b->n - l - 1);
			b->n -= l + 1;
			return 0;
		}
		left = (end - kt_now_ns()) / MS;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		if (b->n == sizeof(b->buf))
			return -E2BIG;
		got = read(b->fd, b->buf + b->n, sizeof(b->buf) - b->n);
		if (got <= 0)
			return -EPIPE;
		b->n += got;
	}
}

static int bg_stop(struct bg *b, int sig)
{
	int ret;

	kill(b->pid, sig);
	ret = kt_reap(b->pid);
	close(b->fd);
	return ret;
}

/* ---------------------------------------------------------------------
 * Helpers.
 */

static uint32_t queue_id(int q)
{
	struct kipc_queue_stat st;

	return kipc_queue_stat(q, &st) ? 0 : st.id;
}

static const char *policy_str(uint32_t p)
{
	static const char *const names[] = {
		"block", "fail", "drop-new", "drop-oldest",
	};

	return p < 4 ? names[p] : "?";
}

static const char *state_str(uint32_t s)
{
	static const char *const names[] = { "live", "shutdown", "dead" };

	return s < 3 ? names[s] : "?";
}

/* The JSON object kipcctl reports for a queue says what stat says. */
#define EXPECT_JQUEUE_IS_STAT(j, st) do {				\
	EXPECT_JU(j, "id", (st).id);					\
	EXPECT_JS(j, "kind", "queue");					\
	EXPECT_JS(j, "state", state_str((st).state));			\
	EXPECT_JU(j, "owner_pid", (st).owner_pid);			\
	EXPECT_JU(j, "readers", (st).receivers);			\
	EXPECT_JU(j, "writers", (st).senders);				\
	EXPECT_JU(j, "queue.depth_msgs", (st).depth_msgs);		\
	EXPECT_JU(j, "queue.depth_bytes", (st).depth_bytes);		\
	EXPECT_JU(j, "queue.max_msgs", (st).max_msgs);			\
	EXPECT_JU(j, "queue.max_bytes", (st).max_bytes);		\
	EXPECT_JU(j, "queue.max_msg_size", (st).max_msg_size);		\
	EXPECT_JU(j, "queue.high_water", (st).high_water);		\
	EXPECT_JU(j, "queue.sent", (st).sent);				\
	EXPECT_JU(j, "queue.received", (st).received);			\
	EXPECT_JU(j, "queue.dropped_new", (st).dropped_new);		\
	EXPECT_JU(j, "queue.dropped_oldest", (st).dropped_oldest);	\
	EXPECT_JU(j, "queue.conflated", (st).conflated);		\
	EXPECT_JU(j, "queue.rejected", (st).rejected);			\
	EXPECT_JU(j, "queue.timeouts", (st).timeouts);			\
	EXPECT_JU(j, "queue.wakeups", (st).wakeups);			\
	EXPECT_JS(j, "queue.policy", policy_str((st).policy));		\
	EXPECT_JU(j, "queue.flags", (st).flags);			\
	EXPECT_JB(j, "queue.conflate", (st).flags & KIPC_Q_CONFLATE);	\
	EXPECT_JU(j, "queue.blocked_senders", (st).blocked_senders);	\
	EXPECT_JU(j, "queue.blocked_receivers", (st).blocked_receivers);\
} while (0)

/* Parse @r's stdout as one JSON document (NULL and a log if invalid). */
#define PARSE_OUT(r, v) do {						\
	char __e[160];							\
	(v) = json_parse((r).out, (r).out_len, __e, sizeof(__e));	\
	EXPECT_TRUE((v) != NULL) TH_LOG("invalid JSON (%s): %s", __e,	\
					(r).out);			\
} while (0)

FIXTURE(ctl) {
	char name[64];
	char name2[64];
	char name3[64];
};

FIXTURE_SETUP(ctl)
{
	KT_REQUIRE_KIPC();
	if (!kipcctl_path())
		KT_SKIP(_exit(KT_SKIP_STATUS),
		     "no kipcctl (set KIPC_KIPCCTL, or install /usr/bin/kipcctl)");
	/* kipcctl may exit before reading what we write to it. */
	signal(SIGPIPE, SIG_IGN);
	kt_name(self->name, sizeof(self->name), "ctl");
	kt_name(self->name2, sizeof(self->name2), "ctl2");
	kt_name(self->name3, sizeof(self->name3), "ctl3");
}

FIXTURE_TEARDOWN(ctl)
{
}

TEST_F(ctl, help_and_usage)
{
	static const char *const cmds[] = {
		"list", "show", "watch", "top", "module", "create", "send",
		"recv", "rm",
	};
	struct run r;
	size_t i;

	ASSERT_EQ(0, RUN(&r, "--help"));
	EXPECT_EQ(0, r.status);
	EXPECT_TRUE(!!strstr(r.out, "SYNOPSIS") && strstr(r.out, "DESCRIPTION") &&
		    strstr(r.out, "EXIT STATUS") && strstr(r.out, "EXAMPLES"));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		char pat[32];

		snprintf(pat, sizeof(pat), "\n  %s", cmds[i]);
		EXPECT_TRUE(strstr(r.out, pat) != NULL)
			TH_LOG("--help does not describe %s", cmds[i]);
	}
	/* The exit statuses are documented. */
	EXPECT_TRUE(!!strstr(r.out, "3  the kipc module is not loaded"));
	EXPECT_TRUE(!!strstr(r.out, "4  no such object"));
	EXPECT_TRUE(!!strstr(r.out, "5  permission denied"));
	EXPECT_EQ(0, r.err_len);
	run_free(&r);

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		ASSERT_EQ(0, RUN(&r, cmds[i], "--help"));
		EXPECT_EQ(0, r.status) TH_LOG("%s --help", cmds[i]);
		EXPECT_TRUE(strstr(r.out, "EXIT STATUS") != NULL);
		EXPECT_TRUE(strstr(r.out, cmds[i]) != NULL);
		run_free(&r);
		ASSERT_EQ(0, RUN(&r, "help", cmds[i]));
		EXPECT_EQ(0, r.status);
		run_free(&r);
	}

	/* Usage errors: status 2 and a pointer to the help. */
	ASSERT_EQ(0, RUN(&r, "frobnicate"));
	EXPECT_EQ(2, r.status);
	EXPECT_TRUE(!!strstr(r.err, "kipcctl: unknown command 'frobnicate'"));
	EXPECT_TRUE(!!strstr(r.err, "--help"));
	EXPECT_EQ(0, r.out_len);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "--bogus"));
	EXPECT_EQ(2, r.status);
	run_free(&r);
	{
		const char *const *bad[] = {
			(const char *const[]){ "show", NULL },
			(const char *const[]){ "show", "a", "b", NULL },
			(const char *const[]){ "show", "@x", NULL },
			(const char *const[]){ "list", "--bogus", NULL },
			(const char *const[]){ "list", "sockets", NULL },
			(const char *const[]){ "top", "-s", "size", NULL },
			(const char *const[]){ "top", "-n", "0", NULL },
			(const char *const[]){ "watch", "-n", NULL },
			(const char *const[]){ "create", "queue", NULL },
			(const char *const[]){ "create", "pipe", "x", NULL },
			(const char *const[]){ "create", "queue", "x", "--policy", "nope", NULL },
			(const char *const[]){ "create", "queue", "x", "--size", "4096", NULL },
			(const char *const[]){ "create", "region", "x", NULL },
			(const char *const[]){ "create", "event", "x", "--kind", "mutex", NULL },
			(const char *const[]){ "create", "queue", "x", "--mode", "999", NULL },
			(const char *const[]){ "send", NULL },
			(const char *const[]){ "send", "x", "--prio", "32", "hi", NULL },
			(const char *const[]){ "send", "x", "--type", "0", "hi", NULL },
			(const char *const[]){ "recv", "x", "--select", "le", NULL },
			(const char *const[]){ "recv", "x", "--timeout", "-1", NULL },
			(const char *const[]){ "rm", NULL },
		};

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			ASSERT_EQ(0, run_ctl_v(&r, NULL, -1, bad[i]));
			EXPECT_EQ(2, r.status) TH_LOG("%s %s: %s", bad[i][0],
						     bad[i][1] ? bad[i][1] : "",
						     r.err);
			EXPECT_TRUE(!strncmp(r.err, "kipcctl: ", 9));
			run_free(&r);
		}
	}
	ASSERT_EQ(0, RUN(&r, "-V"));
	EXPECT_EQ(0, r.status);
	EXPECT_TRUE(strstr(r.out, "kipcctl") != NULL);
	run_free(&r);
}

/* list -j against every object's stat; list as a table. */
TEST_F_TIMEOUT(ctl, list, 120)
{
	struct kipc_queue_stat qs;
	struct kipc_region_stat rs;
	struct kipc_event_stat es;
	jv *v, *o;
	struct run r;
	char buf[64] = { 0 }, line[512];
	int q, rg, e, i;

	q = kt_queue(self->name, 4, 64, 0, KIPC_POLICY_DROP_NEW, 0);
	ASSERT_LE(0, q);
	for (i = 0; i < 6; i++)
		ASSERT_LE(0, kipc_send(q, 1, 0, buf, 10 + i, 0));
	ASSERT_EQ(10, kipc_recv(q, NULL, buf, sizeof(buf), NULL, 0));
	rg = kipc_region_create(self->name2, 5000, 0, 0644);
	ASSERT_LE(0, rg);
	e = kipc_event_create(NULL, KIPC_EVENT_COUNTER, 7, 0, 0600);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, kt_stat(q, &qs));
	ASSERT_EQ(0, kipc_region_stat(rg, &rs));
	ASSERT_EQ(0, kipc_event_stat(e, &es));

	ASSERT_EQ(0, RUN(&r, "list", "-j"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	PARSE_OUT(r, v);
	ASSERT_TRUE(v && jis_arr(v));
	o = jfind_id(v, qs.id);
	ASSERT_TRUE(o != NULL);
	EXPECT_JQUEUE_IS_STAT(o, qs);
	EXPECT_JS(o, "name", self->name);
	EXPECT_JU(o, "uid", getuid());
	EXPECT_JU(o, "gid", getgid());
	EXPECT_JS(o, "mode", "0600");
	EXPECT_JB(o, "persist", false);
	EXPECT_JB(o, "owner_alive", true);
	EXPECT_JU(o, "handles", 1);
	EXPECT_JU(o, "queue.dropped_new", 2);
	EXPECT_TRUE(jget(o, "region") == NULL && jget(o, "event") == NULL);

	o = jfind_id(v, rs.id);
	ASSERT_TRUE(o != NULL);
	EXPECT_JS(o, "kind", "region");
	EXPECT_JS(o, "name", self->name2);
	EXPECT_JS(o, "mode", "0644");
	EXPECT_JU(o, "region.size", rs.size);
	EXPECT_JU(o, "region.waiters", rs.waiters);
	EXPECT_JU(o, "region.owner_died", rs.owner_died);
	EXPECT_JB(o, "region.orphaned", false);
	EXPECT_TRUE(jget(o, "region.locks") && jis_arr(jget(o, "region.locks")) &&
		    jlen(jget(o, "region.locks")) == 0);
	EXPECT_TRUE(jget(o, "region.ring") == NULL);
	EXPECT_JU(o, "owner_pid", rs.owner_pid);

	o = jfind_id(v, es.id);
	ASSERT_TRUE(o != NULL);
	EXPECT_JS(o, "kind", "event");
	EXPECT_JNULL(o, "name");
	EXPECT_JS(o, "event.kind", "counter");
	EXPECT_JU(o, "event.count", es.count);
	EXPECT_JU(o, "event.posts", es.posts);
	EXPECT_JU(o, "event.waits", es.waits);
	EXPECT_JU(o, "event.waiters", es.waiters);
	json_free(v);
	run_free(&r);

	/* One kind only. */
	ASSERT_EQ(0, RUN(&r, "-j", "list", "queue"));
	ASSERT_EQ(0, r.status);
	PARSE_OUT(r, v);
	ASSERT_TRUE(v && jis_arr(v));
	EXPECT_TRUE(jfind_id(v, qs.id) != NULL);
	EXPECT_TRUE(jfind_id(v, rs.id) == NULL);
	EXPECT_TRUE(jfind_id(v, es.id) == NULL);
	json_free(v);
	run_free(&r);

	/* The table: a header and a line per object. */
	ASSERT_EQ(0, RUN(&r, "list"));
	ASSERT_EQ(0, r.status);
	EXPECT_EQ(0, strncmp(r.out, "KIND", 4));
	EXPECT_TRUE(!!strstr(r.out, "DROPS") && strstr(r.out, "WAITERS") &&
		    strstr(r.out, "HANDLES") && strstr(r.out, "OWNER"));
	{
		char *l = strstr(r.out, self->name);
		char kind[16], nm[300], state[16], owner[32], fill[32];
		char drops[32], wait[32];
		unsigned int id, handles;

		ASSERT_TRUE(l != NULL);
		while (l > r.out && l[-1] != '\n')
			l--;
		ASSERT_EQ(9, sscanf(l, "%15s %299s %u %15s %31s %31s %31s %31s %u",
				    kind, nm, &id, state, owner, fill, drops,
				    wait, &handles));
		EXPECT_STREQ("queue", kind);
		EXPECT_EQ(qs.id, id);
		EXPECT_STREQ("live", state);
		snprintf(line, sizeof(line), "%d", getpid());
		EXPECT_STREQ(line, owner);
		EXPECT_STREQ("3/4", fill);
		EXPECT_STREQ("2", drops);
		EXPECT_STREQ("0s/0r", wait);
		EXPECT_EQ(1, handles);
	}
	run_free(&r);
}

/* show -j of a queue: every stat, the holders, the diagnosis. */
TEST_F_TIMEOUT(ctl, show_queue, 120)
{
	static const char *const diag[] = {
		"data_in", "woken", "boundaries", "backpressure", "locks",
		"peers",
	};
	struct kipc_queue_stat st;
	jv *v, *h;
	struct run r;
	char id[32], c = 'x';
	int q, rd;
	size_t i;
	bool own = false, reader = false;

	q = kt_queue(self->name, 8, 16, 0, KIPC_POLICY_BLOCK, KIPC_Q_CONFLATE);
	ASSERT_LE(0, q);
	rd = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, rd);
	ASSERT_EQ(0, kipc_send(q, 1, 3, &c, 1, 0));
	ASSERT_EQ(0, kipc_send(q, 1, 3, &c, 1, 0));
	ASSERT_EQ(0, kipc_send(q, 2, 3, &c, 1, 0));
	ASSERT_EQ(0, kt_stat(q, &st));

	ASSERT_EQ(0, RUN(&r, "show", "-j", self->name));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	PARSE_OUT(r, v);
	ASSERT_TRUE(v && json_object_is_type(v, json_type_object));
	EXPECT_JQUEUE_IS_STAT(v, st);
	EXPECT_JS(v, "name", self->name);
	EXPECT_JU(v, "handles", 2);
	EXPECT_JU(v, "queue.conflated", 1);
	EXPECT_JB(v, "queue.conflate", true);
	h = jget(v, "holders");
	ASSERT_TRUE(h && jis_arr(h));
	for (i = 0; i < jlen(h); i++) {
		jv *x = jat(h, i);
		jv *pid = jget(x, "pid"), *fd = jget(x, "fd");

		if (!pid || ju(pid) != (uint64_t)getpid() || !fd)
			continue;
		if (ju(fd) == (uint64_t)q) {
			own = true;
			EXPECT_JS(x, "access", "rw");
			EXPECT_JB(x, "owner", true);
		} else if (ju(fd) == (uint64_t)rd) {
			reader = true;
			EXPECT_JS(x, "access", "r");
			EXPECT_JB(x, "owner", false);
		}
	}
	EXPECT_TRUE(own) TH_LOG("our owner handle is not among the holders");
	EXPECT_TRUE(reader) TH_LOG("our read handle is not among the holders");
	for (i = 0; i < ARRAY_SIZE(diag); i++) {
		jv *d = jget(jget(v, "diagnosis"), diag[i]);

		EXPECT_TRUE(js(d) && json_object_get_string_len(d) > 10)
			TH_LOG("diagnosis.%s", diag[i]);
	}
	json_free(v);
	run_free(&r);

	/* By id, and without the '/'. */
	snprintf(id, sizeof(id), "@%u", st.id);
	ASSERT_EQ(0, RUN(&r, "-j", "show", id));
	ASSERT_EQ(0, r.status);
	PARSE_OUT(r, v);
	EXPECT_JU(v, "id", st.id);
	json_free(v);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "-j", "-p", "show", self->name + 1));
	ASSERT_EQ(0, r.status);
	EXPECT_TRUE(strchr(r.out, '\n') < r.out + r.out_len - 1)
		TH_LOG("-p is not indented");
	PARSE_OUT(r, v);
	EXPECT_JU(v, "id", st.id);
	json_free(v);
	run_free(&r);

	/* The text form names every part. */
	ASSERT_EQ(0, RUN(&r, "show", self->name));
	ASSERT_EQ(0, r.status);
	EXPECT_TRUE(!!strstr(r.out, "depth      3/8 messages") ||
		    strstr(r.out, "depth      2/8 messages"))
		TH_LOG("%s", r.out);
	EXPECT_TRUE(!!strstr(r.out, "policy     block + conflate"));
	EXPECT_TRUE(!!strstr(r.out, "diagnosis"));
	EXPECT_TRUE(!!strstr(r.out, "data in ") && strstr(r.out, "woken ") &&
		    strstr(r.out, "boundaries ") &&
		    strstr(r.out, "backpressure ") &&
		    strstr(r.out, "locks ") && strstr(r.out, "peers "));
	EXPECT_TRUE(!!strstr(r.out, "conflated"));
	run_free(&r);
}

/* show of regions: locks with holders and waiters, a ring's peers. */
TEST_F_TIMEOUT(ctl, show_region, 120)
{
	struct kipc_region_stat st;
	struct kipc_ring *ring;
	char want[96];
	jv *v, *l;
	int r0, fds[2];
	struct run r;
	pid_t a, b, c;
	size_t size, i;
	void *base;

	r0 = kipc_region_create(self->name, 8192, 0, 0600);
	ASSERT_LE(0, r0);
	ASSERT_EQ(0, kipc_region_map(r0, &base, &size));
	ASSERT_EQ(0, kipc_lock_init(r0, 0));
	ASSERT_EQ(0, kipc_lock_init(r0, 4096));
	ASSERT_EQ(0, pipe(fds));
	a = kt_lock_holder(self->name, -1, 0, 0, fds[1]);
	ASSERT_LE(0, a);
	kt_await(fds[0]);
	b = kt_fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		int h = kipc_region_open(self->name, KIPC_RDWR);
		void *p;
		size_t s;

		KT_CHILD_CHECK(h >= 0 && kipc_region_map(h, &p, &s) == 0);
		kipc_lock(h, 0, -1);
		kt_signal(fds[1]);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, kt_region_waiters(r0, 1));
	ASSERT_EQ(0, kipc_region_stat(r0, &st));

	ASSERT_EQ(0, RUN(&r, "-j", "show", self->name));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	PARSE_OUT(r, v);
	ASSERT_TRUE(v != NULL);
	EXPECT_JS(v, "kind", "region");
	EXPECT_JU(v, "region.size", st.size);
	EXPECT_JU(v, "region.waiters", st.waiters);
	EXPECT_JU(v, "handles", st.handles);
	l = jget(v, "region.locks");
	ASSERT_TRUE(l && jis_arr(l));
	EXPECT_EQ(2, jlen(l));
	for (i = 0; i < jlen(l); i++) {
		jv *x = jat(l, i);
		jv *off = jget(x, "offset");

		ASSERT_TRUE(off && jis_num(off));
		if (ju(off) == 0) {
			EXPECT_JU(x, "holder_pid", a);
			EXPECT_JU(x, "waiters", 1);
			EXPECT_JU(x, "word", *(volatile uint32_t *)base);
			EXPECT_JB(x, "owner_died", false);
		} else {
			EXPECT_EQ(4096, ju(off));
			EXPECT_JNULL(x, "holder_pid");
			EXPECT_JU(x, "waiters", 0);
		}
	}
	json_free(v);
	run_free(&r);

	/* The holder dies: the text says who waits and what happens. */
	kill(a, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(a));
	kt_await(fds[0]);		/* b has the lock */
	ASSERT_EQ(0, RUN(&r, "show", self->name));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	snprintf(want, sizeof(want), "held by pid %d", (int)b);
	EXPECT_TRUE(!!strstr(r.out, want)) TH_LOG("%s", r.out);
	EXPECT_TRUE(!!strstr(r.out, "owner died")) TH_LOG("%s", r.out);
	EXPECT_TRUE(!!strstr(r.out, "kipc_lock_consistent"))
		TH_LOG("%s", r.out);
	run_free(&r);
	kill(b, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(b));

	/* A ring whose consumer is gone. */
	ASSERT_EQ(0, kipc_ring_create(self->name2, 4096, KIPC_RING_PRODUCER,
				      0600, &ring));
	c = kt_fork();
	ASSERT_LE(0, c);
	if (c == 0) {
		struct kipc_ring *cr;

		KT_CHILD_CHECK(kipc_ring_open(self->name2, KIPC_RDWR, &cr) == 0);
		kt_signal(fds[1]);
		pause();
		_exit(0);
	}
	kt_await(fds[0]);
	ASSERT_EQ(0, kipc_ring_send(ring, 1, "abc", 3, 0));
	ASSERT_EQ(0, RUN(&r, "-j", "show", self->name2));
	ASSERT_EQ(0, r.status);
	PARSE_OUT(r, v);
	EXPECT_JU(v, "region.ring.capacity", 4096);
	EXPECT_JU(v, "region.ring.used", 16);
	EXPECT_JU(v, "region.ring.producer_pid", getpid());
	EXPECT_JU(v, "region.ring.consumer_pid", c);
	EXPECT_JB(v, "region.ring.consumer_gone", false);
	json_free(v);
	run_free(&r);
	kill(c, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(c));
	ASSERT_EQ(0, RUN(&r, "-j", "show", self->name2));
	ASSERT_EQ(0, r.status);
	PARSE_OUT(r, v);
	EXPECT_JNULL(v, "region.ring.consumer_pid");
	EXPECT_JB(v, "region.ring.consumer_gone", true);
	{
		jv *p = jget(v, "diagnosis.peers");

		EXPECT_TRUE(js(p) &&
			    strstr(js(p), "consumer is gone"))
			TH_LOG("%s", js(p) ? js(p) : "(none)");
	}
	json_free(v);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "list"));
	EXPECT_TRUE(strstr(r.out, "ring ") != NULL);
	run_free(&r);
	kipc_ring_close(ring);
}

/* Exit statuses and the messages that go with them. */
TEST_F_TIMEOUT(ctl, exit_codes, 120)
{
	struct kipc_queue_attr full = {
		.max_msgs = 1, .max_msg_size = 8,
		.policy = KIPC_POLICY_DROP_NEW,
	};
	struct run r;
	int q, p;

	ASSERT_EQ(0, RUN(&r, "show", self->name));
	EXPECT_EQ(4, r.status);
	EXPECT_TRUE(!!strstr(r.err, "no such object")) TH_LOG("%s", r.err);
	EXPECT_TRUE(!strncmp(r.err, "kipcctl: show ", 14));
	EXPECT_EQ(0, r.out_len);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "show", "@4000000000"));
	EXPECT_EQ(4, r.status);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "rm", self->name));
	EXPECT_EQ(4, r.status);
	EXPECT_TRUE(!!strstr(r.err, "no such object"));
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "send", self->name, "hi"));
	EXPECT_EQ(4, r.status);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "recv", self->name, "--timeout", "0"));
	EXPECT_EQ(4, r.status);
	run_free(&r);

	/* Would block: nothing to receive, no room to send. */
	q = kt_queue(self->name, 1, 8, 0, KIPC_POLICY_BLOCK, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, RUN(&r, "recv", self->name, "--timeout", "0"));
	EXPECT_EQ(6, r.status) TH_LOG("%s", r.err);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "recv", self->name, "--timeout", "0.05"));
	EXPECT_EQ(6, r.status) TH_LOG("%s", r.err);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "send", self->name, "one"));
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "send", "--timeout", "0", self->name, "two"));
	EXPECT_EQ(6, r.status) TH_LOG("%s", r.err);
	run_free(&r);
	/* Another name that does not exist. */
	ASSERT_EQ(0, RUN(&r, "send", self->name2, "x"));
	EXPECT_EQ(4, r.status);
	run_free(&r);
	close(q);

	/* Discarded by drop-new: status 7; the name exists: status 1. */
	q = kipc_queue_create(self->name, &full, 0, 0600);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, RUN(&r, "send", self->name, "one"));
	EXPECT_EQ(0, r.status);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "-j", "send", self->name, "two"));
	EXPECT_EQ(7, r.status);
	EXPECT_TRUE(!!strstr(r.err, "discarded")) TH_LOG("%s", r.err);
	EXPECT_TRUE(!!strstr(r.out, "\"dropped\":true")) TH_LOG("%s", r.out);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "send", self->name, "far too long"));
	EXPECT_EQ(1, r.status);
	EXPECT_TRUE(!!strstr(r.err, "max_msg_size")) TH_LOG("%s", r.err);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "create", "queue", self->name, "--persist"));
	EXPECT_EQ(1, r.status);
	EXPECT_TRUE(!!strstr(r.err, "exists")) TH_LOG("%s", r.err);
	run_free(&r);
	close(q);

	/* Permission denied, as nobody, on root's 0600 object. */
	if (geteuid() == 0) {
		p = kipc_queue_create(self->name3, NULL, KIPC_PERSIST, 0600);
		ASSERT_LE(0, p);
		close(p);
		ASSERT_EQ(0, RUN_AS(&r, 65534, "rm", self->name3));
		EXPECT_EQ(5, r.status) TH_LOG("%s", r.err);
		EXPECT_TRUE(!!strstr(r.err, "permission denied"))
			TH_LOG("%s", r.err);
		run_free(&r);
		ASSERT_EQ(0, RUN_AS(&r, 65534, "send", self->name3, "hi"));
		EXPECT_EQ(5, r.status) TH_LOG("%s", r.err);
		run_free(&r);
		ASSERT_EQ(0, RUN_AS(&r, 65534, "recv", "--timeout", "0",
				    self->name3));
		EXPECT_EQ(5, r.status) TH_LOG("%s", r.err);
		run_free(&r);
		ASSERT_EQ(0, RUN(&r, "rm", self->name3));
		EXPECT_EQ(0, r.status);
		run_free(&r);
	}
}

/* Without /dev/kipc (hidden in a private mount namespace): status 3. */
TEST_F_TIMEOUT(ctl, no_device, 60)
{
	pid_t pid;

	if (geteuid())
		KT_SKIP(return, "needs root for a mount namespace");
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		const char *const *cmds[] = {
			(const char *const[]){ "create", "queue", "/x", "--persist", NULL },
			(const char *const[]){ "send", "/x", "hi", NULL },
			(const char *const[]){ "recv", "/x", NULL },
			(const char *const[]){ "rm", "/x", NULL },
		};
		struct run r;
		size_t i;

		if (unshare(CLONE_NEWNS))
			_exit(KT_SKIP_STATUS);	/* no mount namespaces */
		KT_CHILD_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE,
				     NULL) == 0);
		KT_CHILD_CHECK(mount("none", "/dev", "tmpfs", 0, NULL) == 0);
		KT_CHILD_CHECK(access("/dev/kipc", F_OK) && errno == ENOENT);
		for (i = 0; i < ARRAY_SIZE(cmds); i++) {
			KT_CHILD_CHECK(run_ctl_v(&r, NULL, -1, cmds[i]) == 0);
			if (r.status != 3 ||
			    !strstr(r.err, "kipc module not loaded")) {
				fprintf(stderr, "# %s: status %d: %s\n",
					cmds[i][0], r.status, r.err);
				_exit(1);
			}
			run_free(&r);
		}
		/* What netlink sees does not need the device. */
		KT_CHILD_CHECK(run_ctl_v(&r, NULL, -1,
					 (const char *const[]){ "list", NULL }) == 0);
		KT_CHILD_CHECK(r.status == 0);
		run_free(&r);
		_exit(0);
	}
	KT_ASSERT_CHILD(pid, "no mount namespaces (unshare(CLONE_NEWNS))");
}

/* create, send, recv and rm, checked through libkipc. */
TEST_F_TIMEOUT(ctl, create_send_recv_rm, 120)
{
	struct kipc_queue_stat qs;
	struct kipc_region_stat rs;
	struct kipc_event_stat es;
	static const char tricky[] = "a\"b\\c\n\x01 caf\xc3\xa9 \xff";
	char buf[128], line[256], e1[160], *nl;
	struct kipc_msg info;
	jv *v, *v1, *v2;
	struct run r;
	struct bg b;
	uint64_t val;
	int q, e, rg;
	ssize_t n;

	ASSERT_EQ(0, RUN(&r, "-j", "create", "queue", self->name, "--persist",
			 "--max-msgs", "4", "--max-msg-size", "64",
			 "--max-bytes", "200", "--policy", "drop-oldest",
			 "--conflate", "--mode", "640"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	PARSE_OUT(r, v);
	q = kipc_queue_open(self->name, KIPC_RDWR);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kt_stat(q, &qs));
	EXPECT_JU(v, "id", qs.id);
	EXPECT_JS(v, "kind", "queue");
	EXPECT_JS(v, "name", self->name);
	EXPECT_JB(v, "persist", true);
	json_free(v);
	run_free(&r);
	EXPECT_EQ(4, qs.max_msgs);
	EXPECT_EQ(64, qs.max_msg_size);
	EXPECT_EQ(200, qs.max_bytes);
	EXPECT_EQ(KIPC_POLICY_DROP_OLDEST, qs.policy);
	EXPECT_EQ(KIPC_Q_CONFLATE, qs.flags);
	EXPECT_NE(getpid(), qs.owner_pid);	/* kipcctl created it */

	/* send: arguments joined, type and priority. */
	ASSERT_EQ(0, RUN(&r, "-j", "send", self->name, "--type", "3", "--prio",
			 "7", "hello", "world"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	PARSE_OUT(r, v);
	EXPECT_JU(v, "seq", 1);
	EXPECT_JB(v, "dropped", false);
	json_free(v);
	run_free(&r);
	memset(&info, 0, sizeof(info));
	n = kipc_recv(q, NULL, buf, sizeof(buf), &info, 0);
	ASSERT_EQ(11, n);
	EXPECT_EQ(0, memcmp(buf, "hello world", 11));
	EXPECT_EQ(3, info.type);
	EXPECT_EQ(7, info.prio);

	/* send from standard input. */
	ASSERT_EQ(0, RUN_IN(&r, "from stdin\n", "send", self->name));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	run_free(&r);
	n = kipc_recv(q, NULL, buf, sizeof(buf), &info, 0);
	ASSERT_EQ(11, n);
	EXPECT_EQ(0, memcmp(buf, "from stdin\n", 11));
	EXPECT_EQ(1, info.type);

	/* recv -j: metadata and an escaped payload. */
	ASSERT_EQ(0, kipc_send(q, 5, 2, tricky, sizeof(tricky) - 1, 0));
	ASSERT_EQ(0, RUN(&r, "-j", "recv", self->name, "--timeout", "5"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	PARSE_OUT(r, v);
	ASSERT_TRUE(v != NULL);
	EXPECT_JU(v, "type", 5);
	EXPECT_JU(v, "prio", 2);
	EXPECT_JU(v, "len", sizeof(tricky) - 1);
	EXPECT_JU(v, "seq", 3);
	EXPECT_JU(v, "pid", getpid());
	EXPECT_JU(v, "uid", getuid());
	EXPECT_TRUE(jget(v, "ts_ns") && ju(jget(v, "ts_ns")) > 0);
	/* The invalid byte comes as \u00ff, the rest as itself. */
	EXPECT_TRUE(!!strstr(r.out, "\\u00ff")) TH_LOG("%s", r.out);
	EXPECT_JS(v, "data", "a\"b\\c\n\x01 caf\xc3\xa9 \xc3\xbf");
	json_free(v);
	run_free(&r);

	/* recv text: the payload and a newline; selectors. */
	ASSERT_EQ(0, kipc_send(q, 2, 0, "two", 3, 0));
	ASSERT_EQ(0, kipc_send(q, 9, 0, "nine", 4, 0));
	ASSERT_EQ(0, RUN(&r, "recv", self->name, "--type", "2", "--select",
			 "ne", "--timeout", "0"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_STREQ("nine\n", r.out);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "recv", self->name, "--type", "9", "--timeout",
			 "0"));
	EXPECT_EQ(6, r.status);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "recv", self->name, "--type", "2"));
	EXPECT_EQ(0, r.status);
	EXPECT_STREQ("two\n", r.out);
	run_free(&r);
	ASSERT_EQ(0, kipc_send(q, 1, 0, "a", 1, 0));
	ASSERT_EQ(0, kipc_send(q, 2, 0, "b", 1, 0));
	ASSERT_EQ(0, RUN(&r, "-j", "recv", self->name, "--count", "2"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	nl = strchr(r.out, '\n');
	ASSERT_TRUE(nl != NULL);
	v1 = json_parse(r.out, nl - r.out, e1, sizeof(e1));
	v2 = json_parse(nl + 1, r.out_len - (nl + 1 - r.out), e1, sizeof(e1));
	ASSERT_TRUE(v1 && v2) TH_LOG("%s", e1);
	EXPECT_JS(v1, "data", "a");
	EXPECT_JS(v2, "data", "b");
	json_free(v1);
	json_free(v2);
	run_free(&r);
	close(q);

	/* Events: create, post, wait. */
	ASSERT_EQ(0, RUN(&r, "create", "event", self->name2, "--kind",
			 "counter", "--initial", "5", "--persist"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	run_free(&r);
	e = kipc_event_open(self->name2, KIPC_RDWR);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, kipc_event_stat(e, &es));
	EXPECT_EQ(KIPC_EVENT_COUNTER, es.kind);
	EXPECT_EQ(5, es.count);
	ASSERT_EQ(0, RUN(&r, "send", self->name2, "3"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	run_free(&r);
	ASSERT_EQ(0, kipc_event_stat(e, &es));
	EXPECT_EQ(8, es.count);
	ASSERT_EQ(0, RUN(&r, "recv", self->name2));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_STREQ("8\n", r.out);
	run_free(&r);
	ASSERT_EQ(-EAGAIN, kipc_event_wait(e, &val, 0));
	close(e);

	/* Regions. */
	ASSERT_EQ(0, RUN(&r, "create", "region", self->name3, "--size", "10000",
			 "--persist"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	run_free(&r);
	rg = kipc_region_open(self->name3, KIPC_RDONLY);
	ASSERT_LE(0, rg);
	ASSERT_EQ(0, kipc_region_stat(rg, &rs));
	EXPECT_EQ(12288, rs.size);
	close(rg);

	/* rm, several at once. */
	ASSERT_EQ(0, RUN(&r, "rm", self->name, self->name2, self->name3));
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	run_free(&r);
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDONLY));
	EXPECT_EQ(-ENOENT, kipc_event_open(self->name2, KIPC_RDONLY));
	EXPECT_EQ(-ENOENT, kipc_region_open(self->name3, KIPC_RDONLY));

	/* Without --persist, kipcctl holds the object until it exits. */
	ASSERT_EQ(0, BG_START(&b, "create", "queue", self->name));
	ASSERT_EQ(0, bg_line(&b, line, sizeof(line), 20000));
	EXPECT_TRUE(!!strstr(line, self->name) && strstr(line, " id "))
		TH_LOG("%s", line);
	q = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, q);
	EXPECT_EQ(0, bg_stop(&b, SIGTERM));
	ASSERT_EQ(0, kt_stat(q, &qs));
	EXPECT_EQ(KIPC_STATE_DEAD, qs.state);
	EXPECT_EQ(-ENOENT, kipc_queue_open(self->name, KIPC_RDONLY));
	close(q);
}

/* Wait until a `watch -j` in @b is subscribed: create objects until it
 * reports one.  0 or -ETIMEDOUT.
 */
static int watch_sync(struct bg *b, const char *name)
{
	char line[1024], want[64];
	int i;

	for (i = 0; i < 100; i++) {
		int q = kipc_queue_create(name, NULL, 0, 0600);
		int64_t end;

		if (q < 0)
			return q;
		snprintf(want, sizeof(want), "\"id\":%u", queue_id(q));
		close(q);
		end = kt_now_ns() + 300 * MS;
		while (kt_now_ns() < end) {
			if (bg_line(b, line, sizeof(line), 300))
				break;
			if (strstr(line, want))
				return 0;
		}
	}
	return -ETIMEDOUT;
}

/* watch -j sees a kill -9'd owner, with its pid; every line is JSON. */
TEST_F_TIMEOUT(ctl, watch_owner_died, 120)
{
	bool created = false, died = false, destroyed = false;
	char line[1024], e[160];
	uint32_t id;
	int fds[2], i;
	struct run r;
	struct bg b;
	pid_t pid;

	ASSERT_EQ(0, BG_START(&b, "-j", "watch"));
	ASSERT_EQ(0, watch_sync(&b, self->name2));

	ASSERT_EQ(0, pipe(fds));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int q = kipc_queue_create(self->name, NULL, 0, 0600);

		KT_CHILD_CHECK(q >= 0);
		kt_signal(fds[1]);
		if (write(fds[1], &(uint32_t){ queue_id(q) }, 4) != 4)
			_exit(1);
		pause();
		_exit(0);
	}
	kt_await(fds[0]);
	ASSERT_EQ(4, read(fds[0], &id, 4));
	kill(pid, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(pid));

	for (i = 0; i < 200 && !(died && destroyed); i++) {
		jv *v;
		jv *jid;

		ASSERT_EQ(0, bg_line(&b, line, sizeof(line), 10000))
			TH_LOG("watch said nothing more");
		v = json_parse(line, strlen(line), e, sizeof(e));
		ASSERT_TRUE(v != NULL) TH_LOG("%s: %s", e, line);
		EXPECT_TRUE(!!jget(v, "time") && jget(v, "event") &&
			    jget(v, "kind") && jget(v, "name"));
		jid = jget(v, "id");
		if (!jid || ju(jid) != id) {
			json_free(v);
			continue;
		}
		if (!strcmp(js(jget(v, "event")), "created")) {
			created = true;
			EXPECT_JS(v, "kind", "queue");
			EXPECT_JS(v, "name", self->name);
		} else if (!strcmp(js(jget(v, "event")), "owner_died")) {
			died = true;
			EXPECT_TRUE(created);
			EXPECT_JU(v, "pid", pid);
			EXPECT_JS(v, "kind", "queue");
			EXPECT_JS(v, "name", self->name);
		} else if (!strcmp(js(jget(v, "event")), "destroyed")) {
			destroyed = true;
			EXPECT_TRUE(died);
		}
		json_free(v);
	}
	EXPECT_TRUE(created);
	EXPECT_TRUE(died);
	EXPECT_TRUE(destroyed);
	EXPECT_EQ(128 + SIGTERM, bg_stop(&b, SIGTERM));

	/* Text, filtered by name, stopping after one event. */
	ASSERT_EQ(0, BG_START(&b, "watch", "-n", "1", "-t", "60", self->name3));
	for (i = 0; i < 200; i++) {
		int q = kipc_queue_create(self->name3, NULL, 0, 0600);

		ASSERT_LE(0, q);
		close(q);
		if (!bg_line(&b, line, sizeof(line), 100))
			break;
	}
	EXPECT_TRUE(strstr(line, self->name3) != NULL) TH_LOG("%s", line);
	EXPECT_EQ(0, bg_stop(&b, 0));

	/* -t: a quiet watch ends with status 0. */
	ASSERT_EQ(0, RUN(&r, "watch", "-t", "0.3", "@4000000000"));
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, r.out_len);
	run_free(&r);
}

/* top: refreshes in place, sorts by depth and by drops; -j per screen. */
TEST_F_TIMEOUT(ctl, top, 120)
{
	char n1[80], n5[80], n3[80], nd[80], c = 'x';
	const char *last, *p1, *p3, *p5, *pd, *s;
	int q1, q3, q5, qd, i, screens;
	jv *v1, *v2, *o;
	char *nl, e[160];
	struct run r;

	snprintf(n1, sizeof(n1), "%s.d1", self->name);
	snprintf(n3, sizeof(n3), "%s.d3", self->name);
	snprintf(n5, sizeof(n5), "%s.d5", self->name);
	snprintf(nd, sizeof(nd), "%s.drops", self->name);
	q1 = kt_queue(n1, 16, 8, 0, KIPC_POLICY_BLOCK, 0);
	q3 = kt_queue(n3, 16, 8, 0, KIPC_POLICY_BLOCK, 0);
	q5 = kt_queue(n5, 16, 8, 0, KIPC_POLICY_BLOCK, 0);
	qd = kt_queue(nd, 1, 8, 0, KIPC_POLICY_DROP_NEW, 0);
	ASSERT_TRUE(q1 >= 0 && q3 >= 0 && q5 >= 0 && qd >= 0);
	for (i = 0; i < 1; i++)
		ASSERT_EQ(0, kipc_send(q1, 1, 0, &c, 1, 0));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, kipc_send(q3, 1, 0, &c, 1, 0));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, kipc_send(q5, 1, 0, &c, 1, 0));
	for (i = 0; i < 8; i++)
		ASSERT_LE(0, kipc_send(qd, 1, 0, &c, 1, 0));

	ASSERT_EQ(0, RUN(&r, "top", "-n", "2", "-d", "0.2", "-s", "depth"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	for (screens = 0, s = r.out; (s = strstr(s, "\033[H\033[2J")); s++)
		screens++;
	EXPECT_EQ(2, screens);
	EXPECT_EQ(0, strncmp(r.out, "\033[H\033[2J", 7));
	last = strstr(r.out + 1, "\033[H\033[2J");
	ASSERT_TRUE(last != NULL);
	EXPECT_TRUE(!!strstr(last, "sort depth"));
	p1 = strstr(last, n1);
	p3 = strstr(last, n3);
	p5 = strstr(last, n5);
	ASSERT_TRUE(p1 && p3 && p5) TH_LOG("%s", last);
	EXPECT_TRUE(p5 < p3 && p3 < p1) TH_LOG("not sorted by depth: %s", last);
	EXPECT_TRUE(!!strstr(last, "SENT/s") && strstr(last, "DROPS"));
	run_free(&r);

	ASSERT_EQ(0, RUN(&r, "top", "-b", "-n", "1", "--sort", "drops"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_TRUE(strchr(r.out, '\033') == NULL) TH_LOG("-b printed ANSI");
	pd = strstr(r.out, nd);
	p5 = strstr(r.out, n5);
	ASSERT_TRUE(pd && p5);
	EXPECT_TRUE(pd < p5) TH_LOG("not sorted by drops: %s", r.out);
	run_free(&r);

	ASSERT_EQ(0, RUN(&r, "-j", "top", "-n", "2", "-d", "0.1"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	nl = strchr(r.out, '\n');
	ASSERT_TRUE(nl != NULL);
	v1 = json_parse(r.out, nl - r.out, e, sizeof(e));
	ASSERT_TRUE(v1 != NULL) TH_LOG("%s", e);
	v2 = json_parse(nl + 1, r.out_len - (nl + 1 - r.out), e, sizeof(e));
	ASSERT_TRUE(v2 != NULL) TH_LOG("%s", e);
	o = jfind_id(jget(v2, "objects"), queue_id(qd));
	ASSERT_TRUE(o != NULL);
	EXPECT_JU(o, "depth", 1);
	EXPECT_JU(o, "drops", 7);
	EXPECT_TRUE(jget(o, "drops_per_s") != NULL)
		TH_LOG("no rates on the second screen");
	EXPECT_TRUE(jget(jfind_id(jget(v1, "objects"), queue_id(qd)),
			 "drops_per_s") == NULL);
	json_free(v1);
	json_free(v2);
	run_free(&r);
}

TEST_F(ctl, module)
{
	jv *v, *l;
	struct run r;
	int q;

	q = kipc_queue_create(NULL, NULL, 0, 0600);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, RUN(&r, "-j", "module"));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	PARSE_OUT(r, v);
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "-j", "list"));
	PARSE_OUT(r, l);
	run_free(&r);
	ASSERT_TRUE(v && l);
	EXPECT_JU(v, "ns_objects", jlen(l));
	EXPECT_TRUE(jget(v, "max_objects") && jget(v, "max_user_bytes") &&
		    jget(v, "max_msg_size") && jget(v, "max_region_size") &&
		    jget(v, "live_objects") && jget(v, "user_bytes"));
	json_free(v);
	json_free(l);
	ASSERT_EQ(0, RUN(&r, "module"));
	EXPECT_EQ(0, r.status);
	EXPECT_TRUE(!!strstr(r.out, "objects") && strstr(r.out, "max_msg_size"));
	run_free(&r);
}

/*
 * The acceptance test: a producer blocked on a full queue, a
 * consumer that stopped receiving.  show alone answers the six
 * questions; when the producer is kill -9'd, watch says so and show
 * says what that means for the consumer.
 */
TEST_F_TIMEOUT(ctl, stuck_pair, 180)
{
	char line[1024], want[128];
	int fds[2], i, ret;
	pid_t prod, cons;
	jv *v;
	struct run r;
	struct bg b;
	bool died = false;
	uint32_t id;

	ASSERT_EQ(0, BG_START(&b, "-j", "watch"));
	ASSERT_EQ(0, watch_sync(&b, self->name2));
	ASSERT_EQ(0, pipe(fds));

	prod = kt_fork();
	ASSERT_LE(0, prod);
	if (prod == 0) {
		int q = kt_queue(self->name, 4, 64, 0, KIPC_POLICY_BLOCK, 0);
		unsigned int n = 0;

		KT_CHILD_CHECK(q >= 0);
		kt_signal(fds[1]);
		for (;;) {
			char msg[32];
			int len = snprintf(msg, sizeof(msg), "order %u", n++);

			KT_CHILD_CHECK(kipc_send(q, 1, 0, msg, len, -1) == 0);
		}
	}
	kt_await(fds[0]);
	cons = kt_fork();
	ASSERT_LE(0, cons);
	if (cons == 0) {
		int q = kipc_queue_open(self->name, KIPC_RDONLY);
		char msg[64];
		int k;

		KT_CHILD_CHECK(q >= 0);
		for (k = 0; k < 2; k++)
			KT_CHILD_CHECK(kipc_recv(q, NULL, msg, sizeof(msg),
						 NULL, -1) > 0);
		raise(SIGSTOP);		/* the consumer hangs */
		pause();
		_exit(0);
	}
	for (i = 0; i < 2000; i++) {
		char path[64], st[256], *p;
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)cons);
		fd = open(path, O_RDONLY);
		ASSERT_LE(0, fd);
		n = read(fd, st, sizeof(st) - 1);
		close(fd);
		ASSERT_LT(0, n);
		st[n] = '\0';
		p = strrchr(st, ')');
		if (p && p[2] == 'T')
			break;
		usleep(10000);
	}
	{
		int q = kipc_queue_open(self->name, KIPC_RDONLY);

		ASSERT_LE(0, q);
		ASSERT_EQ(0, kt_wait_blocked(q, 1, 0));
		id = queue_id(q);
		close(q);
	}

	/* show: the six answers. */
	ASSERT_EQ(0, RUN(&r, "show", self->name));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	TH_LOG("kipcctl show %s:\n%s", self->name, r.out);
	EXPECT_TRUE(!!strstr(r.out, "sent 6, received 2"));		/* 1 */
	EXPECT_TRUE(!!strstr(r.out, "no receiver is waiting: 4 message(s)"));
	snprintf(want, sizeof(want), "pid %d (", (int)cons);		/* 2 */
	EXPECT_TRUE(!!strstr(r.out, want));
	EXPECT_TRUE(!!strstr(r.out, "stopped (SIGSTOP)"));
	EXPECT_TRUE(!!strstr(r.out, "none lost or merged"));		/* 3 */
	EXPECT_TRUE(!!strstr(r.out, "at the receiver: 1 sender(s) blocked")); /* 4 */
	snprintf(want, sizeof(want), "pid %d (", (int)prod);
	EXPECT_TRUE(!!strstr(r.out, want));
	EXPECT_TRUE(!!strstr(r.out, "asleep in ")) TH_LOG("no wchan for the producer");
	EXPECT_TRUE(!!strstr(r.out, "a queue has no locks"));		/* 5 */
	snprintf(want, sizeof(want), "the owner (pid %d) is alive", (int)prod);
	EXPECT_TRUE(!!strstr(r.out, want));				/* 6 */
	run_free(&r);

	/* The producer is killed: watch reports it... */
	kill(prod, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(prod));
	snprintf(want, sizeof(want), "\"id\":%u", id);
	for (i = 0; i < 100 && !died; i++) {
		char e[160];

		ret = bg_line(&b, line, sizeof(line), 10000);
		ASSERT_EQ(0, ret);
		v = json_parse(line, strlen(line), e, sizeof(e));
		ASSERT_TRUE(v != NULL) TH_LOG("%s: %s", e, line);
		if (strstr(line, want) && !strcmp(js(jget(v, "event")),
						  "owner_died")) {
			died = true;
			EXPECT_JU(v, "pid", prod);
		}
		json_free(v);
	}
	EXPECT_TRUE(died);
	EXPECT_EQ(128 + SIGTERM, bg_stop(&b, SIGTERM));

	/* ...and show says what it means for the consumer. */
	snprintf(want, sizeof(want), "@%u", id);
	ASSERT_EQ(0, RUN(&r, "show", want));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	TH_LOG("kipcctl show %s after kill -9 of the producer:\n%s", want,
	       r.out);
	snprintf(want, sizeof(want), "the owner (pid %d) is gone", (int)prod);
	EXPECT_TRUE(!!strstr(r.out, want));
	EXPECT_TRUE(!!strstr(r.out, "receivers drain the 4 message(s) left"));
	EXPECT_TRUE(!!strstr(r.out, "  dead"));
	run_free(&r);
	ASSERT_EQ(0, RUN(&r, "show", self->name));
	EXPECT_EQ(4, r.status) TH_LOG("the dead queue's name is still there");
	run_free(&r);

	kill(cons, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, kt_reap(cons));
}

/*
 * Who holds which lock, from a queue's point of view: the producer sends
 * while holding a region lock, the consumer takes that lock before it
 * receives; show of either object names the deadlock.
 */
TEST_F_TIMEOUT(ctl, lock_deadlock, 180)
{
	int fds[2], q, r, i;
	char want[256];
	pid_t prod, cons;
	jv *v, *el;
	struct run run;
	bool seen = false;

	ASSERT_EQ(0, pipe(fds));
	prod = kt_fork();
	ASSERT_LE(0, prod);
	if (prod == 0) {
		int pq = kt_queue(self->name, 2, 64, 0, KIPC_POLICY_BLOCK, 0);
		int pr = kipc_region_create(self->name2, 4096, 0, 0600);
		void *p;
		size_t sz;

		KT_CHILD_CHECK(pq >= 0 && pr >= 0);
		KT_CHILD_CHECK(kipc_region_map(pr, &p, &sz) == 0);
		KT_CHILD_CHECK(kipc_lock_init(pr, 0) == 0);
		KT_CHILD_CHECK(kipc_lock(pr, 0, -1) == 0);
		kt_signal(fds[1]);
		for (;;)	/* blocks on the third, lock held */
			KT_CHILD_CHECK(kipc_send(pq, 1, 0, "x", 1, -1) == 0);
	}
	kt_await(fds[0]);
	cons = kt_fork();
	ASSERT_LE(0, cons);
	if (cons == 0) {
		int cq = kipc_queue_open(self->name, KIPC_RDONLY);
		int cr = kipc_region_open(self->name2, KIPC_RDWR);
		void *p;
		size_t sz;

		KT_CHILD_CHECK(cq >= 0 && cr >= 0);
		KT_CHILD_CHECK(kipc_region_map(cr, &p, &sz) == 0);
		kipc_lock(cr, 0, -1);	/* never returns */
		_exit(0);
	}
	q = kipc_queue_open(self->name, KIPC_RDONLY);
	ASSERT_LE(0, q);
	r = kipc_region_open(self->name2, KIPC_RDONLY);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, kt_wait_blocked(q, 1, 0));
	ASSERT_EQ(0, kt_region_waiters(r, 1));
	close(q);
	close(r);

	ASSERT_EQ(0, RUN(&run, "show", self->name));
	ASSERT_EQ(0, run.status) TH_LOG("%s", run.err);
	TH_LOG("kipcctl show %s:\n%s", self->name, run.out);
	snprintf(want, sizeof(want),
		 "a deadlock (pid %d sends while holding the lock that pid %d needs before it receives)",
		 (int)prod, (int)cons);
	EXPECT_TRUE(!!strstr(run.out, want));
	snprintf(want, sizeof(want), "pid %d (", (int)cons);
	EXPECT_TRUE(!!strstr(run.out, want));
	EXPECT_TRUE(!!strstr(run.out, "but not on this queue"));
	EXPECT_TRUE(!!strstr(run.out, "elsewhere"));
	run_free(&run);

	ASSERT_EQ(0, RUN(&run, "-j", "show", self->name));
	ASSERT_EQ(0, run.status);
	PARSE_OUT(run, v);
	el = jget(v, "elsewhere");
	ASSERT_TRUE(el && jis_arr(el));
	for (i = 0; i < (int)jlen(el); i++) {
		jv *pid = jget(jat(el, i), "pid");

		if (pid && ju(pid) == (uint64_t)cons) {
			seen = true;
			EXPECT_JS(jat(el, i), "kind", "region");
			EXPECT_JS(jat(el, i), "name", self->name2);
		}
	}
	EXPECT_TRUE(seen) TH_LOG("the consumer's region is not listed");
	json_free(v);
	run_free(&run);

	ASSERT_EQ(0, RUN(&run, "show", self->name2));
	ASSERT_EQ(0, run.status);
	TH_LOG("kipcctl show %s:\n%s", self->name2, run.out);
	snprintf(want, sizeof(want), "lock at 0x0 is held by pid %d, 1 waiting for it",
		 (int)prod);
	EXPECT_TRUE(!!strstr(run.out, want));
	EXPECT_TRUE(!!strstr(run.out, "this is a deadlock"));
	run_free(&run);

	kill(cons, SIGKILL);
	kill(prod, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, kt_reap(cons));
	EXPECT_EQ(128 + SIGKILL, kt_reap(prod));
}

/*
 * show of a queue with leases: who took which message and has not acked
 * it, with the lease counters.
 */
TEST_F_TIMEOUT(ctl, show_leases, 120)
{
	struct kipc_queue_attr a = { .max_msgs = 8, .max_msg_size = 16,
				     .max_deliveries = 5 };
	struct kipc_msg m;
	jv *v, *l;
	struct run r;
	char c = 'x', buf[16], want[96];
	int q;

	q = kipc_queue_create(self->name, &a, 0, 0600);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kipc_send(q, 1, 0, &c, 1, 0));
	ASSERT_EQ(0, kipc_send(q, 1, 0, &c, 1, 0));
	ASSERT_EQ(1, kipc_recv_leased(q, NULL, buf, sizeof(buf), &m, 0));
	ASSERT_EQ(1, m.seq);

	ASSERT_EQ(0, RUN(&r, "show", "-j", self->name));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	PARSE_OUT(r, v);
	EXPECT_JU(v, "queue.inflight_msgs", 1);
	EXPECT_JU(v, "queue.leased", 1);
	EXPECT_JU(v, "queue.acked", 0);
	EXPECT_JU(v, "queue.max_deliveries", 5);
	l = jget(v, "queue.leases");
	ASSERT_TRUE(jis_arr(l) && jlen(l) == 1);
	EXPECT_JU(jat(l, 0), "seq", 1);
	EXPECT_JU(jat(l, 0), "pid", getpid());
	EXPECT_JU(jat(l, 0), "tid", gettid());
	json_free(v);
	run_free(&r);

	ASSERT_EQ(0, RUN(&r, "show", self->name));
	ASSERT_EQ(0, r.status);
	snprintf(want, sizeof(want), "seq 1 held by pid %d tid %ld for ",
		 getpid(), (long)gettid());
	EXPECT_TRUE(!!strstr(r.out, want)) TH_LOG("%s", r.out);
	EXPECT_TRUE(!!strstr(r.out, "1 in flight")) TH_LOG("%s", r.out);
	/* The diagnosis counts leased messages in its identity. */
	EXPECT_FALSE(!!strstr(r.out, "do not balance")) TH_LOG("%s", r.out);
	run_free(&r);

	ASSERT_EQ(0, kipc_ack(q, 1));
	ASSERT_EQ(0, RUN(&r, "show", "-j", self->name));
	ASSERT_EQ(0, r.status);
	PARSE_OUT(r, v);
	EXPECT_JU(v, "queue.inflight_msgs", 0);
	EXPECT_JU(v, "queue.acked", 1);
	l = jget(v, "queue.leases");
	EXPECT_TRUE(jis_arr(l) && jlen(l) == 0);
	json_free(v);
	run_free(&r);
	kipc_lease_release(q);
	close(q);
}

TEST_HARNESS_MAIN
