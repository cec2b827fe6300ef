/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipcctl - shared declarations of the kipc command-line tool.
 *
 * kipcctl.c	   main, the --help synopsis, errors and exit codes
 * nl/kipc-nl.c	   the generic netlink client, libkipcnl.a (also the tests')
 * kipcctl-view.c  list, show, watch, top, module: what netlink reports
 * kipcctl-diag.c  the diagnosis at the end of show
 * kipcctl-ops.c   create, send, recv, rm: through libkipc
 * kipcctl-proc.c  which processes hold handles (/proc/PID/fdinfo)
 * kipcctl-json.c  JSON output (json-c)
 */
#ifndef KIPCCTL_H
#define KIPCCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/kipc.h>

/* The objects, the module and events as netlink reports them: kipcnl_*. */
#include "nl/kipc-nl.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC	1000000000LL

/*
 * Exit statuses; kipcctl(8), EXIT STATUS, documents them (kipcctl --help
 * lists them) and scripts rely on them, so never renumber one.
 */
enum {
	KCTL_EXIT_OK		= 0,
	KCTL_EXIT_ERROR		= 1,	/* anything not listed below */
	KCTL_EXIT_USAGE		= 2,	/* bad command line */
	KCTL_EXIT_NOMODULE	= 3,	/* no /dev/kipc or no "kipc" family */
	KCTL_EXIT_NOENT		= 4,	/* no such object */
	KCTL_EXIT_PERM		= 5,	/* permission denied */
	KCTL_EXIT_AGAIN		= 6,	/* would block, or timed out */
	KCTL_EXIT_DROPPED	= 7,	/* send: the policy discarded it */
};

/*
 * Errors of our own, beyond errno, so the exit status and the message can
 * say "the module is not loaded" rather than "No such file".
 */
#define KCTL_ENOFAMILY	10001	/* no generic netlink family "kipc" */
#define KCTL_ENODEV	10002	/* no /dev/kipc */

/* Global options. */
struct kctl_opts {
	bool json;		/* -j */
	bool pretty;		/* -p: indented JSON */
};

extern struct kctl_opts kctl_opts;

/* kipcctl.c */
int kctl_err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int kctl_err_extack(int err, const char *extack, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int kctl_usage_err(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int kctl_exit_code(int err);
void kctl_help(FILE *f, const char *cmd);
bool kctl_common_opt(int c, const char *cmd, int *ret);
int kctl_parse_u64(const char *s, uint64_t *v);
int kctl_parse_u32(const char *s, uint32_t *v);
int kctl_parse_size(const char *s, uint64_t *v);
int kctl_parse_seconds(const char *s, int64_t *ns);
const char *kctl_kind_name(uint32_t kind);
const char *kctl_state_name(uint32_t state);
const char *kctl_policy_name(uint32_t policy);
const char *kctl_event_kind_name(uint32_t kind);
const char *kctl_notify_name(uint32_t type);
int kctl_require_dev(void);

#define ULL(x)	((unsigned long long)(x))

/* kipcctl-diag.c: the diagnosis of "show". */
struct sbuf {				/* a growing sentence */
	char buf[1024];
	size_t len;
};

void sb_add(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct kctl_diag {
	struct sbuf data_in, woken, boundaries, backpressure, locks, peers;
};

/* Another object a holder asleep in kipc has a handle on. */
struct kctl_rel {
	pid_t pid;
	char comm[32];
	struct kipcnl_obj obj;
};

/* What show knows: the object, who holds it, what else they hold. */
struct kctl_show {
	const struct kipcnl_obj *o;
	const struct kctl_holder *h;
	size_t nh;
	struct kctl_rel *rel;
	size_t nrel;
};

const char *kctl_obj_kind(const struct kipcnl_obj *o);	/* kipcctl.c */
const char *kctl_task_state(char st);
void kctl_rel_summary(struct sbuf *sb, const struct kipcnl_obj *o);
void kctl_gather_rel(struct kipcnl *nl, struct kctl_show *s);
void kctl_release_rel(struct kctl_show *s);
void kctl_diagnose(const struct kctl_show *s, struct kctl_diag *d);

/* kipcctl-view.c */
int kctl_cmd_list(int argc, char **argv);
int kctl_cmd_show(int argc, char **argv);
int kctl_cmd_watch(int argc, char **argv);
int kctl_cmd_top(int argc, char **argv);
int kctl_cmd_module(int argc, char **argv);

/* kipcctl-ops.c */
int kctl_cmd_create(int argc, char **argv);
int kctl_cmd_send(int argc, char **argv);
int kctl_cmd_recv(int argc, char **argv);
int kctl_cmd_rm(int argc, char **argv);

/* kipcctl-proc.c: the handles open on object @id, found in /proc. */
struct kctl_holder {
	pid_t pid;
	int fd;
	bool owner;
	char access[4];		/* "r", "w", "rw" */
	char comm[32];
	char state;		/* of the process's main thread */
	/* a thread asleep in kipc, if any: its tid and wchan */
	pid_t blocked_tid;
	char wchan[64];
};

int kctl_find_holders(uint32_t id, struct kctl_holder **out, size_t *n);
/* The ids of the kipc objects @pid has handles on (each once). */
int kctl_pid_objects(pid_t pid, uint32_t **ids, size_t *n);

/* kipcctl-json.c: one JSON document at a time, built with json-c. */
struct json_object;

struct kjson {
	FILE *f;
	bool pretty;
	int depth;
	struct json_object *root;
	struct json_object *stack[32];	/* the open objects and arrays */
};

void kjson_init(struct kjson *j, FILE *f, bool pretty);
void kjson_obj_open(struct kjson *j, const char *key);
void kjson_obj_close(struct kjson *j);
void kjson_arr_open(struct kjson *j, const char *key);
void kjson_arr_close(struct kjson *j);
void kjson_u64(struct kjson *j, const char *key, uint64_t v);
void kjson_i64(struct kjson *j, const char *key, int64_t v);
void kjson_f64(struct kjson *j, const char *key, double v);
void kjson_bool(struct kjson *j, const char *key, bool v);
void kjson_null(struct kjson *j, const char *key);
void kjson_str(struct kjson *j, const char *key, const char *s);
void kjson_strn(struct kjson *j, const char *key, const void *s, size_t len);
/* End a top-level value: newline and flush. */
void kjson_end(struct kjson *j);

#endif /* KIPCCTL_H */
