/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipcctl - shared declarations of the kipc command-line tool.
 *
 * kipcctl.c	   main, the manual, errors and exit codes
 * kipcctl-nl.c	   the generic netlink client (libnl-genl-3)
 * kipcctl-view.c  list, show, watch, top, module: what netlink reports
 * kipcctl-diag.c  the diagnosis at the end of show
 * kipcctl-ops.c   create, send, recv, rm: through libkipc
 * kipcctl-proc.c  which processes hold handles (/proc/PID/fdinfo)
 * kipcctl-json.c  a small JSON writer
 */
#ifndef KIPCCTL_H
#define KIPCCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/kipc.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC	1000000000LL

/*
 * Exit statuses; the manual (kipcctl --help, EXIT STATUS) documents them
 * and scripts rely on them, so never renumber one.
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

/*
 * One object as KIPC_CMD_GET_OBJECT reports it.  has_* tell which
 * optional attributes were present.
 */
struct kctl_lock {
	uint64_t offset;
	uint32_t word;
	uint32_t holder_pid;
	uint32_t holder_tid;	/* 0: not known (an old module) */
	uint32_t waiters;
	bool has_holder;
	bool owner_died;
	bool notrecoverable;
};

struct kctl_ring {
	uint32_t capacity;
	uint32_t used;
	uint32_t producer_pid;
	uint32_t consumer_pid;
	bool has_producer;
	bool has_consumer;
	bool producer_gone;
	bool consumer_gone;
};

/* One leased message: who took it and never finished (so far). */
struct kctl_lease {
	uint64_t seq, age_ns;
	uint32_t pid, tid, len;
};

#define KCTL_LEASES_MAX	32	/* the kernel lists the 32 oldest */

struct kctl_queue {
	uint64_t depth_msgs, depth_bytes, max_msgs, max_bytes, max_msg_size;
	uint64_t high_water, sent, received, dropped_new, dropped_oldest;
	uint64_t conflated, rejected, timeouts, wakeups;
	uint32_t policy, flags, blocked_senders, blocked_receivers;
	uint64_t inflight_msgs, inflight_bytes, leased, acked, nacked;
	uint64_t expired, redelivered, dead_lettered, dead_dropped;
	uint32_t max_deliveries, lease_timeout_ms;
	unsigned int nr_leases;
	struct kctl_lease leases[KCTL_LEASES_MAX];
};

struct kctl_region {
	uint64_t size;
	uint32_t waiters;
	uint32_t owner_died;
	bool orphaned;
	unsigned int nr_locks;
	struct kctl_lock *locks;
	bool has_ring;
	struct kctl_ring ring;
};

struct kctl_event {
	uint32_t kind;
	uint32_t waiters;
	uint64_t count, posts, waits;
};

struct kctl_obj {
	uint32_t id, kind, state;
	uint32_t owner_pid, uid, gid, mode;
	uint32_t handles, readers, writers;
	bool persist;
	bool owner_alive;
	bool has_name, has_state, has_owner_alive;
	bool has_queue, has_region, has_event;
	char name[KIPC_NAME_MAX + 2];
	struct kctl_queue q;
	struct kctl_region r;
	struct kctl_event e;
};

struct kctl_module {
	uint32_t max_objects, max_msg_size, live_objects, ns_objects;
	uint64_t max_user_bytes, max_region_size, user_bytes;
};

/* A KIPC_CMD_NOTIFY message. */
struct kctl_notify {
	uint32_t type, id, kind, pid;
	bool has_name, has_pid, has_kind;
	char name[KIPC_NAME_MAX + 2];
};

/* kipcctl-nl.c: every call returns 0 or -errno (or -KCTL_ENOFAMILY). */
struct kctl_nl;

int kctl_nl_open(struct kctl_nl **out);
void kctl_nl_close(struct kctl_nl *nl);
const char *kctl_nl_extack(const struct kctl_nl *nl);
int kctl_nl_dump(struct kctl_nl *nl, struct kctl_obj **objs, size_t *n);
int kctl_nl_get(struct kctl_nl *nl, const char *name, uint32_t id,
		struct kctl_obj *obj);
int kctl_nl_module(struct kctl_nl *nl, struct kctl_module *m);
int kctl_nl_subscribe(struct kctl_nl *nl);
/* Wait up to @timeout_ms (< 0: forever) for events; @fn gets each one and
 * returns non-zero to stop.  Returns 0 on timeout, 1 when @fn stopped it,
 * or -errno.
 */
int kctl_nl_listen(struct kctl_nl *nl, int timeout_ms,
		   int (*fn)(const struct kctl_notify *ev, void *arg),
		   void *arg);
void kctl_obj_release(struct kctl_obj *obj);
void kctl_objs_free(struct kctl_obj *objs, size_t n);

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
	struct kctl_obj obj;
};

/* What show knows: the object, who holds it, what else they hold. */
struct kctl_show {
	const struct kctl_obj *o;
	const struct kctl_holder *h;
	size_t nh;
	struct kctl_rel *rel;
	size_t nrel;
};

const char *kctl_obj_kind(const struct kctl_obj *o);	/* kipcctl.c */
const char *kctl_task_state(char st);
void kctl_rel_summary(struct sbuf *sb, const struct kctl_obj *o);
void kctl_gather_rel(struct kctl_nl *nl, struct kctl_show *s);
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

/* kipcctl-json.c */
struct json {
	FILE *f;
	bool pretty;
	int depth;
	bool first[32];
};

void json_init(struct json *j, FILE *f, bool pretty);
void json_obj_open(struct json *j, const char *key);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_f64(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
void json_str(struct json *j, const char *key, const char *s);
void json_strn(struct json *j, const char *key, const void *s, size_t len);
/* End a top-level value: newline and flush. */
void json_end(struct json *j);

#endif /* KIPCCTL_H */
