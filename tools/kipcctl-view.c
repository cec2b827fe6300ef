// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl - the commands that report what the kernel sees: list, show,
 * watch, top and module, all over the "kipc" generic netlink family.
 * show's diagnosis is worked out in kipcctl-diag.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/kipc_netlink.h>

#include "kipcctl.h"

/* ---------------------------------------------------------------------
 * Shared helpers.
 */

/* No family "kipc" (ENOENT from the controller): the module is not loaded. */
static int kctl_nl_open(struct kipcnl **nl)
{
	int ret = kipcnl_open(nl);

	return ret == -ENOENT ? -KCTL_ENOFAMILY : ret;
}

static int kctl_connect(struct kipcnl **nl, const char *cmd)
{
	int ret = kctl_nl_open(nl);

	return ret ? kctl_err(ret, "%s", cmd) : 0;
}

/* Join the events group (out of habit, see the uapi) and subscribe. */
static int kctl_nl_subscribe(struct kipcnl *nl)
{
	int ret = kipcnl_join_events(nl);

	if (ret == -ENOENT)
		return -KCTL_ENOFAMILY;
	return ret ? ret : kipcnl_subscribe(nl);
}

static int kctl_nl_fail(struct kipcnl *nl, int err, const char *what)
{
	return kctl_err_extack(err, kipcnl_extack(nl), "%s", what);
}

/* "4096" -> "4K", "1536" -> "1.5K"; exact below 1 KiB. */
static const char *kctl_human(char *buf, size_t len, uint64_t v)
{
	static const char units[] = "KMGTPE";
	double x = v;
	int u = -1;

	if (v < 1024) {
		snprintf(buf, len, "%llu", ULL(v));
		return buf;
	}
	while (x >= 1024 && u < 5) {
		x /= 1024;
		u++;
	}
	if (x == (uint64_t)x)
		snprintf(buf, len, "%.0f%c", x, units[u]);
	else
		snprintf(buf, len, "%.1f%c", x, units[u]);
	return buf;
}

/* Parse "@ID" or a name; look the object up. */
static int kctl_lookup(struct kipcnl *nl, const char *arg,
		       struct kipcnl_obj *obj)
{
	uint32_t id;

	if (arg[0] == '@') {
		if (kctl_parse_u32(arg + 1, &id))
			return -EINVAL;
		return kipcnl_get(nl, NULL, id, obj);
	}
	return kipcnl_get(nl, arg, 0, obj);
}

/* Does @arg ("@ID", "/name" or "name") name this object? */
static bool kctl_matches(const char *arg, uint32_t id, const char *name)
{
	uint32_t want;

	if (arg[0] == '@')
		return !kctl_parse_u32(arg + 1, &want) && want == id;
	if (!name)
		return false;
	if (*arg == '/')
		arg++;
	if (*name == '/')
		name++;
	return !strcmp(arg, name);
}

/* A simple left-aligned table, like ss(8). */
struct table {
	size_t ncols, nrows, cap;
	char **cells;
};

static void table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

static int table_add(struct table *t, ...)
{
	va_list ap;
	size_t i;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char **c = realloc(t->cells, cap * t->ncols * sizeof(*c));

		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->cap = cap;
	}
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->nrows * t->ncols + i] = strdup(s ? s : "");
	}
	va_end(ap);
	t->nrows++;
	return 0;
}

static void table_print(struct table *t, FILE *f, size_t max_rows)
{
	size_t w[16] = { 0 }, r, c;

	for (r = 0; r < t->nrows && r < max_rows; r++)
		for (c = 0; c < t->ncols && c < 16; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t l = s ? strlen(s) : 0;

			if (l > w[c])
				w[c] = l;
		}
	for (r = 0; r < t->nrows && r < max_rows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c + 1 == t->ncols)
				fprintf(f, "%s\n", s ? s : "");
			else
				fprintf(f, "%-*s  ", (int)w[c], s ? s : "");
		}
	}
}

static void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

static int kctl_cmp_id(const void *a, const void *b)
{
	const struct kipcnl_obj *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The options every command takes: -j, -p, -h (help, *@ret = OK). */
bool kctl_common_opt(int c, const char *cmd, int *ret)
{
	switch (c) {
	case 'j':
		kctl_opts.json = true;
		return true;
	case 'p':
		kctl_opts.pretty = true;
		return true;
	case 'h':
		kctl_help(stdout, cmd);
		*ret = KCTL_EXIT_OK;
		return true;
	}
	return false;
}

#define KCTL_COMMON_LONGOPTS					\
	{ "json",	no_argument, NULL, 'j' },		\
	{ "pretty",	no_argument, NULL, 'p' },		\
	{ "help",	no_argument, NULL, 'h' }

/* Handle getopt's '?' and ':' results. */
static int kctl_bad_opt(const char *cmd, int c, char **argv)
{
	if (c == ':')
		return kctl_usage_err(cmd, "option '%s' needs a value",
				      argv[optind - 1]);
	return kctl_usage_err(cmd, "unknown option '%s'", argv[optind - 1]);
}

/* ---------------------------------------------------------------------
 * JSON of one object.
 */

static void kctl_json_mode(struct kjson *j, uint32_t mode)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%04o", mode & 07777);
	kjson_str(j, "mode", buf);
}

static void kctl_json_queue(struct kjson *j, const struct kipcnl_queue *q)
{
	unsigned int i;

	kjson_obj_open(j, "queue");
	kjson_u64(j, "depth_msgs", q->depth_msgs);
	kjson_u64(j, "depth_bytes", q->depth_bytes);
	kjson_u64(j, "max_msgs", q->max_msgs);
	kjson_u64(j, "max_bytes", q->max_bytes);
	kjson_u64(j, "max_msg_size", q->max_msg_size);
	kjson_u64(j, "high_water", q->high_water);
	kjson_u64(j, "sent", q->sent);
	kjson_u64(j, "received", q->received);
	kjson_u64(j, "dropped_new", q->dropped_new);
	kjson_u64(j, "dropped_oldest", q->dropped_oldest);
	kjson_u64(j, "conflated", q->conflated);
	kjson_u64(j, "rejected", q->rejected);
	kjson_u64(j, "timeouts", q->timeouts);
	kjson_u64(j, "wakeups", q->wakeups);
	kjson_str(j, "policy", kctl_policy_name(q->policy));
	kjson_u64(j, "flags", q->flags);
	kjson_bool(j, "conflate", q->flags & KIPC_Q_CONFLATE);
	kjson_u64(j, "blocked_senders", q->blocked_senders);
	kjson_u64(j, "blocked_receivers", q->blocked_receivers);
	kjson_u64(j, "inflight_msgs", q->inflight_msgs);
	kjson_u64(j, "inflight_bytes", q->inflight_bytes);
	kjson_u64(j, "leased", q->leased);
	kjson_u64(j, "acked", q->acked);
	kjson_u64(j, "nacked", q->nacked);
	kjson_u64(j, "expired", q->expired);
	kjson_u64(j, "redelivered", q->redelivered);
	kjson_u64(j, "dead_lettered", q->dead_lettered);
	kjson_u64(j, "dead_dropped", q->dead_dropped);
	kjson_u64(j, "max_deliveries", q->max_deliveries);
	kjson_u64(j, "lease_timeout_ms", q->lease_timeout_ms);
	kjson_arr_open(j, "leases");
	for (i = 0; i < q->nr_leases; i++) {
		kjson_obj_open(j, NULL);
		kjson_u64(j, "seq", q->leases[i].seq);
		kjson_u64(j, "pid", q->leases[i].pid);
		kjson_u64(j, "tid", q->leases[i].tid);
		kjson_u64(j, "age_ns", q->leases[i].age_ns);
		kjson_u64(j, "len", q->leases[i].len);
		kjson_obj_close(j);
	}
	kjson_arr_close(j);
	kjson_obj_close(j);
}

static void kctl_json_region(struct kjson *j, const struct kipcnl_region *r)
{
	unsigned int i;

	kjson_obj_open(j, "region");
	kjson_u64(j, "size", r->size);
	kjson_u64(j, "waiters", r->waiters);
	kjson_bool(j, "orphaned", r->orphaned);
	kjson_u64(j, "owner_died", r->owner_died);
	kjson_arr_open(j, "locks");
	for (i = 0; i < r->nr_locks; i++) {
		const struct kipcnl_lock *l = &r->locks[i];

		kjson_obj_open(j, NULL);
		kjson_u64(j, "offset", l->offset);
		kjson_u64(j, "word", l->word);
		if (l->has_holder)
			kjson_u64(j, "holder_pid", l->holder_pid);
		else
			kjson_null(j, "holder_pid");
		if (l->has_holder && l->holder_tid)
			kjson_u64(j, "holder_tid", l->holder_tid);
		else
			kjson_null(j, "holder_tid");
		kjson_bool(j, "owner_died", l->owner_died);
		kjson_bool(j, "notrecoverable", l->notrecoverable);
		kjson_u64(j, "waiters", l->waiters);
		kjson_obj_close(j);
	}
	kjson_arr_close(j);
	if (r->has_ring) {
		const struct kipcnl_ring *rg = &r->ring;

		kjson_obj_open(j, "ring");
		kjson_u64(j, "capacity", rg->capacity);
		kjson_u64(j, "used", rg->used);
		if (rg->has_producer)
			kjson_u64(j, "producer_pid", rg->producer_pid);
		else
			kjson_null(j, "producer_pid");
		if (rg->has_consumer)
			kjson_u64(j, "consumer_pid", rg->consumer_pid);
		else
			kjson_null(j, "consumer_pid");
		kjson_bool(j, "producer_gone", rg->producer_gone);
		kjson_bool(j, "consumer_gone", rg->consumer_gone);
		kjson_obj_close(j);
	}
	kjson_obj_close(j);
}

static void kctl_json_event(struct kjson *j, const struct kipcnl_event *e)
{
	kjson_obj_open(j, "event");
	kjson_str(j, "kind", kctl_event_kind_name(e->kind));
	kjson_u64(j, "count", e->count);
	kjson_u64(j, "posts", e->posts);
	kjson_u64(j, "waits", e->waits);
	kjson_u64(j, "waiters", e->waiters);
	kjson_obj_close(j);
}

/* The object's members, inside an open JSON object. */
static void kctl_json_obj_fields(struct kjson *j, const struct kipcnl_obj *o)
{
	kjson_u64(j, "id", o->id);
	kjson_str(j, "kind", kctl_kind_name(o->kind));
	if (o->has_name)
		kjson_str(j, "name", o->name);
	else
		kjson_null(j, "name");
	kjson_str(j, "state", kctl_state_name(o->state));
	kjson_u64(j, "owner_pid", o->owner_pid);
	kjson_bool(j, "owner_alive", o->owner_alive);
	kjson_u64(j, "uid", o->uid);
	kjson_u64(j, "gid", o->gid);
	kctl_json_mode(j, o->mode);
	kjson_bool(j, "persist", o->persist);
	kjson_u64(j, "handles", o->handles);
	kjson_u64(j, "readers", o->readers);
	kjson_u64(j, "writers", o->writers);
	if (o->has_queue)
		kctl_json_queue(j, &o->q);
	if (o->has_region)
		kctl_json_region(j, &o->r);
	if (o->has_event)
		kctl_json_event(j, &o->e);
}

/* ---------------------------------------------------------------------
 * list
 */

static void kctl_list_cells(const struct kipcnl_obj *o, char *owner,
			    char *fill, char *drops, char *waiters,
			    size_t len)
{
	char a[32], b[32];

	if (o->has_owner_alive && !o->owner_alive)
		snprintf(owner, len, "gone:%u", o->owner_pid);
	else
		snprintf(owner, len, "%u", o->owner_pid);
	snprintf(drops, len, "-");
	snprintf(fill, len, "-");
	snprintf(waiters, len, "-");
	if (o->has_queue) {
		snprintf(fill, len, "%llu/%llu", ULL(o->q.depth_msgs),
			 ULL(o->q.max_msgs));
		snprintf(drops, len, "%llu",
			 ULL(o->q.dropped_new + o->q.dropped_oldest));
		snprintf(waiters, len, "%us/%ur", o->q.blocked_senders,
			 o->q.blocked_receivers);
	} else if (o->has_region) {
		if (o->r.has_ring)
			snprintf(fill, len, "%s/%s",
				 kctl_human(a, sizeof(a), o->r.ring.used),
				 kctl_human(b, sizeof(b), o->r.ring.capacity));
		else
			snprintf(fill, len, "%s",
				 kctl_human(a, sizeof(a), o->r.size));
		snprintf(waiters, len, "%u", o->r.waiters);
	} else if (o->has_event) {
		snprintf(fill, len, "%llu", ULL(o->e.count));
		snprintf(waiters, len, "%u", o->e.waiters);
	}
}

int kctl_cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		KCTL_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct kipcnl *nl = NULL;
	struct kipcnl_obj *objs;
	uint32_t kind = 0;
	struct table t;
	struct kjson j;
	size_t n, i;
	int c, ret = -1;

	while ((c = getopt_long(argc, argv, ":jph", opts, NULL)) != -1) {
		if (kctl_common_opt(c, "list", &ret)) {
			if (ret >= 0)
				return ret;
			continue;
		}
		return kctl_bad_opt("list", c, argv);
	}
	if (optind < argc) {
		const char *k = argv[optind++];

		if (!strcmp(k, "queue") || !strcmp(k, "queues"))
			kind = KIPC_KIND_QUEUE;
		else if (!strcmp(k, "region") || !strcmp(k, "regions"))
			kind = KIPC_KIND_REGION;
		else if (!strcmp(k, "event") || !strcmp(k, "events"))
			kind = KIPC_KIND_EVENT;
		else
			return kctl_usage_err("list", "unknown kind '%s' (queue, region or event)", k);
	}
	if (optind < argc)
		return kctl_usage_err("list", "unexpected argument '%s'",
				      argv[optind]);

	ret = kctl_connect(&nl, "list");
	if (ret)
		return ret;
	ret = kipcnl_dump(nl, &objs, &n);
	if (ret) {
		ret = kctl_nl_fail(nl, ret, "list");
		kipcnl_close(nl);
		return ret;
	}
	qsort(objs, n, sizeof(*objs), kctl_cmp_id);

	if (kctl_opts.json) {
		kjson_init(&j, stdout, kctl_opts.pretty);
		kjson_arr_open(&j, NULL);
		for (i = 0; i < n; i++) {
			if (kind && objs[i].kind != kind)
				continue;
			kjson_obj_open(&j, NULL);
			kctl_json_obj_fields(&j, &objs[i]);
			kjson_obj_close(&j);
		}
		kjson_arr_close(&j);
		kjson_end(&j);
	} else {
		table_init(&t, 9);
		table_add(&t, "KIND", "NAME", "ID", "STATE", "OWNER", "FILL",
			  "DROPS", "WAITERS", "HANDLES");
		for (i = 0; i < n; i++) {
			const struct kipcnl_obj *o = &objs[i];
			char id[16], owner[32], fill[48], drops[32], w[32];
			char handles[16];

			if (kind && o->kind != kind)
				continue;
			snprintf(id, sizeof(id), "%u", o->id);
			snprintf(handles, sizeof(handles), "%u", o->handles);
			kctl_list_cells(o, owner, fill, drops, w, 32);
			table_add(&t, kctl_obj_kind(o),
				  o->has_name ? o->name : "-", id,
				  kctl_state_name(o->state), owner, fill,
				  drops, w, handles);
		}
		table_print(&t, stdout, SIZE_MAX);
		table_free(&t);
	}
	kipcnl_objs_free(objs, n);
	kipcnl_close(nl);
	return fflush(stdout) ? kctl_err(-errno, "list: stdout") : 0;
}

/* ---------------------------------------------------------------------
 * show: the object, its holders, what else they hold, the diagnosis
 * (kipcctl-diag.c).
 */

static void kctl_show_holders_text(const struct kctl_holder *h, size_t nh)
{
	size_t i;

	if (!nh) {
		printf("  holders    none found in /proc (other pid namespaces, or no permission)\n");
		return;
	}
	for (i = 0; i < nh; i++) {
		printf("  %-10s pid %d (%s) fd %d %s%s: ", i ? "" : "holders",
		       (int)h[i].pid, h[i].comm, h[i].fd, h[i].access,
		       h[i].owner ? " owner" : "");
		if (h[i].blocked_tid)
			printf("asleep in %s (tid %d)\n", h[i].wchan,
			       (int)h[i].blocked_tid);
		else
			printf("%s\n", kctl_task_state(h[i].state));
	}
}

static void kctl_show_text(const struct kctl_show *s,
			   const struct kctl_diag *d)
{
	const struct kipcnl_obj *o = s->o;
	unsigned int i;

	printf("%s %s  id %u  %s%s\n", kctl_obj_kind(o),
	       o->has_name ? o->name : "(anonymous)", o->id,
	       kctl_state_name(o->state), o->persist ? "  persist" : "");
	printf("  owner      pid %u (%s), uid %u, gid %u, mode %04o\n",
	       o->owner_pid,
	       !o->has_owner_alive ? "?" : o->owner_alive ? "handle open" :
	       "handle gone", o->uid, o->gid, o->mode & 07777);

	if (o->has_queue) {
		const struct kipcnl_queue *q = &o->q;

		printf("  handles    %u open: %u can receive, %u can send\n",
		       o->handles, o->readers, o->writers);
		printf("  depth      %llu/%llu messages, %llu/%llu bytes, high water %llu\n",
		       ULL(q->depth_msgs), ULL(q->max_msgs),
		       ULL(q->depth_bytes), ULL(q->max_bytes),
		       ULL(q->high_water));
		printf("  policy     %s%s, max_msg_size %llu\n",
		       kctl_policy_name(q->policy),
		       q->flags & KIPC_Q_CONFLATE ? " + conflate" : "",
		       ULL(q->max_msg_size));
		printf("  traffic    sent %llu, received %llu, wakeups %llu, timeouts %llu\n",
		       ULL(q->sent), ULL(q->received), ULL(q->wakeups),
		       ULL(q->timeouts));
		printf("  losses     dropped_new %llu, dropped_oldest %llu, conflated %llu, rejected %llu\n",
		       ULL(q->dropped_new), ULL(q->dropped_oldest),
		       ULL(q->conflated), ULL(q->rejected));
		printf("  blocked    %u sender(s), %u receiver(s)\n",
		       q->blocked_senders, q->blocked_receivers);
		if (q->leased || q->max_deliveries || q->lease_timeout_ms) {
			printf("  leases     %llu in flight (%llu bytes); leased %llu, acked %llu, nacked %llu, expired %llu, redelivered %llu\n",
			       ULL(q->inflight_msgs), ULL(q->inflight_bytes),
			       ULL(q->leased), ULL(q->acked), ULL(q->nacked),
			       ULL(q->expired), ULL(q->redelivered));
			printf("  dead       %llu to the dead-letter queue, %llu dropped; max_deliveries %u, lease timeout %u ms\n",
			       ULL(q->dead_lettered), ULL(q->dead_dropped),
			       q->max_deliveries, q->lease_timeout_ms);
		}
		for (i = 0; i < q->nr_leases; i++)
			printf("  %-10s seq %llu held by pid %u tid %u for %.3f s (%u bytes)\n",
			       i ? "" : "held",
			       ULL(q->leases[i].seq), q->leases[i].pid,
			       q->leases[i].tid, q->leases[i].age_ns / 1e9,
			       q->leases[i].len);
		if (q->inflight_msgs > q->nr_leases)
			printf("  %-10s ... and %llu more\n", "",
			       ULL(q->inflight_msgs - q->nr_leases));
	} else if (o->has_region) {
		const struct kipcnl_region *r = &o->r;

		printf("  handles    %u open: %u can read, %u can write\n",
		       o->handles, o->readers, o->writers);
		printf("  size       %llu bytes\n", ULL(r->size));
		printf("  waiters    %u in wait or lock; %u EOWNERDEAD recoveries; %s\n",
		       r->waiters, r->owner_died,
		       r->orphaned ? "orphaned (a peer is gone)" : "not orphaned");
		for (i = 0; i < r->nr_locks; i++) {
			const struct kipcnl_lock *l = &r->locks[i];

			printf("  %-10s offset 0x%llx word 0x%08x: ",
			       i ? "" : "locks", ULL(l->offset), l->word);
			if (l->has_holder)
				printf("held by pid %u", l->holder_pid);
			else
				printf("free");
			if (l->has_holder && l->holder_tid)
				printf(" tid %u", l->holder_tid);
			printf(", %u waiting%s%s\n", l->waiters,
			       l->owner_died ? ", owner died" : "",
			       l->notrecoverable ? ", not recoverable" : "");
		}
		if (!r->nr_locks)
			printf("  locks      none registered\n");
		if (r->has_ring) {
			const struct kipcnl_ring *rg = &r->ring;
			char p[32], c[32];

			if (rg->has_producer)
				snprintf(p, sizeof(p), "pid %u", rg->producer_pid);
			else
				snprintf(p, sizeof(p), "none");
			if (rg->has_consumer)
				snprintf(c, sizeof(c), "pid %u", rg->consumer_pid);
			else
				snprintf(c, sizeof(c), "none");
			printf("  ring       %u/%u bytes used; producer %s%s, consumer %s%s\n",
			       rg->used, rg->capacity, p,
			       rg->producer_gone ? " (gone)" : "", c,
			       rg->consumer_gone ? " (gone)" : "");
		}
	} else if (o->has_event) {
		const struct kipcnl_event *e = &o->e;

		printf("  handles    %u open: %u can wait, %u can post\n",
		       o->handles, o->readers, o->writers);
		printf("  event      %s, count %llu, posts %llu, waits %llu, %u waiter(s)\n",
		       kctl_event_kind_name(e->kind), ULL(e->count),
		       ULL(e->posts), ULL(e->waits), e->waiters);
	}
	kctl_show_holders_text(s->h, s->nh);
	for (i = 0; i < s->nrel; i++) {
		struct sbuf sb = { .len = 0 };

		kctl_rel_summary(&sb, &s->rel[i].obj);
		printf("  %-10s pid %d (%s) also holds %s\n",
		       i ? "" : "elsewhere", (int)s->rel[i].pid,
		       s->rel[i].comm, sb.buf);
	}
	printf("  diagnosis\n");
	printf("    data in       %s\n", d->data_in.buf);
	printf("    woken         %s\n", d->woken.buf);
	printf("    boundaries    %s\n", d->boundaries.buf);
	printf("    backpressure  %s\n", d->backpressure.buf);
	printf("    locks         %s\n", d->locks.buf);
	printf("    peers         %s\n", d->peers.buf);
}

static void kctl_show_json(const struct kctl_show *s,
			   const struct kctl_diag *d)
{
	const struct kctl_holder *h = s->h;
	const struct kipcnl_obj *o = s->o;
	size_t i, nh = s->nh;
	struct kjson j;

	kjson_init(&j, stdout, kctl_opts.pretty);
	kjson_obj_open(&j, NULL);
	kctl_json_obj_fields(&j, o);
	kjson_arr_open(&j, "holders");
	for (i = 0; i < nh; i++) {
		kjson_obj_open(&j, NULL);
		kjson_i64(&j, "pid", h[i].pid);
		kjson_str(&j, "comm", h[i].comm);
		kjson_i64(&j, "fd", h[i].fd);
		kjson_str(&j, "access", h[i].access);
		kjson_bool(&j, "owner", h[i].owner);
		kjson_strn(&j, "state", &h[i].state, 1);
		if (h[i].blocked_tid) {
			kjson_i64(&j, "blocked_tid", h[i].blocked_tid);
			kjson_str(&j, "wchan", h[i].wchan);
		}
		kjson_obj_close(&j);
	}
	kjson_arr_close(&j);
	kjson_arr_open(&j, "elsewhere");
	for (i = 0; i < s->nrel; i++) {
		const struct kipcnl_obj *x = &s->rel[i].obj;
		struct sbuf sb = { .len = 0 };

		kctl_rel_summary(&sb, x);
		kjson_obj_open(&j, NULL);
		kjson_i64(&j, "pid", s->rel[i].pid);
		kjson_u64(&j, "id", x->id);
		kjson_str(&j, "kind", kctl_kind_name(x->kind));
		if (x->has_name)
			kjson_str(&j, "name", x->name);
		else
			kjson_null(&j, "name");
		kjson_str(&j, "summary", sb.buf);
		kjson_obj_close(&j);
	}
	kjson_arr_close(&j);
	kjson_obj_open(&j, "diagnosis");
	kjson_str(&j, "data_in", d->data_in.buf);
	kjson_str(&j, "woken", d->woken.buf);
	kjson_str(&j, "boundaries", d->boundaries.buf);
	kjson_str(&j, "backpressure", d->backpressure.buf);
	kjson_str(&j, "locks", d->locks.buf);
	kjson_str(&j, "peers", d->peers.buf);
	kjson_obj_close(&j);
	kjson_obj_close(&j);
	kjson_end(&j);
}

int kctl_cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		KCTL_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct kctl_show s = { 0 };
	struct kctl_holder *h = NULL;
	struct kipcnl *nl = NULL;
	struct kctl_diag *d;
	struct kipcnl_obj obj;
	const char *arg;
	size_t nh = 0;
	int c, ret = -1;

	while ((c = getopt_long(argc, argv, ":jph", opts, NULL)) != -1) {
		if (kctl_common_opt(c, "show", &ret)) {
			if (ret >= 0)
				return ret;
			continue;
		}
		return kctl_bad_opt("show", c, argv);
	}
	if (optind >= argc)
		return kctl_usage_err("show", "missing NAME or @ID");
	arg = argv[optind++];
	if (optind < argc)
		return kctl_usage_err("show", "unexpected argument '%s'",
				      argv[optind]);
	if (arg[0] == '@' && kctl_parse_u32(arg + 1, &(uint32_t){ 0 }))
		return kctl_usage_err("show", "bad id '%s'", arg);

	ret = kctl_connect(&nl, "show");
	if (ret)
		return ret;
	ret = kctl_lookup(nl, arg, &obj);
	if (ret) {
		ret = kctl_err_extack(ret, ret == -ENOENT ? NULL :
				      kipcnl_extack(nl), "show %s", arg);
		kipcnl_close(nl);
		return ret;
	}

	/* Best effort: /proc may hide other processes from us. */
	kctl_find_holders(obj.id, &h, &nh);
	s.o = &obj;
	s.h = h;
	s.nh = nh;
	kctl_gather_rel(nl, &s);
	kipcnl_close(nl);
	d = malloc(sizeof(*d));
	if (!d) {
		kctl_release_rel(&s);
		kipcnl_obj_release(&obj);
		free(h);
		return kctl_err(-ENOMEM, "show");
	}
	kctl_diagnose(&s, d);
	if (kctl_opts.json)
		kctl_show_json(&s, d);
	else
		kctl_show_text(&s, d);
	free(d);
	kctl_release_rel(&s);
	free(h);
	kipcnl_obj_release(&obj);
	return fflush(stdout) ? kctl_err(-errno, "show: stdout") : 0;
}

/* ---------------------------------------------------------------------
 * watch
 */

struct kctl_watch {
	char **filters;
	int nr_filters;
	unsigned long count, seen;
	struct kipcnl *query;		/* a second socket, for context */
};

static void kctl_now_str(char *buf, size_t len, bool date)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, date ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S",
		     &tm);
	snprintf(buf + n, len - n, ".%03ld", ts.tv_nsec / 1000000);
}

/* A few words on the object's state now, for owner_died, drop, etc. */
static void kctl_watch_context(struct kctl_watch *w,
			       const struct kipcnl_notify *ev)
{
	struct kipcnl_obj o;

	if (!w->query || ev->type == KIPC_NOTIFY_CREATED ||
	    ev->type == KIPC_NOTIFY_DESTROYED ||
	    kipcnl_get(w->query, NULL, ev->id, &o))
		return;
	printf(": %s", kctl_state_name(o.state));
	if (o.has_queue)
		printf(", depth %llu/%llu, sent %llu, received %llu, dropped %llu, rejected %llu, blocked %us/%ur",
		       ULL(o.q.depth_msgs), ULL(o.q.max_msgs), ULL(o.q.sent),
		       ULL(o.q.received),
		       ULL(o.q.dropped_new + o.q.dropped_oldest),
		       ULL(o.q.rejected), o.q.blocked_senders,
		       o.q.blocked_receivers);
	else if (o.has_region) {
		printf(", %u waiter(s)", o.r.waiters);
		if (o.r.has_ring)
			printf(", ring %u/%u bytes%s%s", o.r.ring.used,
			       o.r.ring.capacity,
			       o.r.ring.producer_gone ? ", producer gone" : "",
			       o.r.ring.consumer_gone ? ", consumer gone" : "");
		for (unsigned int i = 0; i < o.r.nr_locks; i++)
			if (o.r.locks[i].owner_died)
				printf(", lock 0x%llx owner died",
				       ULL(o.r.locks[i].offset));
	} else if (o.has_event)
		printf(", count %llu, %u waiter(s)", ULL(o.e.count),
		       o.e.waiters);
	printf(", %u handle(s) left", o.handles);
	kipcnl_obj_release(&o);
}

static int kctl_watch_event(const struct kipcnl_notify *ev, void *arg)
{
	struct kctl_watch *w = arg;
	char when[40];
	struct kjson j;
	int i;

	if (w->nr_filters) {
		for (i = 0; i < w->nr_filters; i++)
			if (kctl_matches(w->filters[i], ev->id,
					 ev->has_name ? ev->name : NULL))
				break;
		if (i == w->nr_filters)
			return 0;
	}
	kctl_now_str(when, sizeof(when), kctl_opts.json);
	if (kctl_opts.json) {
		kjson_init(&j, stdout, false);
		kjson_obj_open(&j, NULL);
		kjson_str(&j, "time", when);
		kjson_str(&j, "event", kctl_notify_name(ev->type));
		kjson_u64(&j, "id", ev->id);
		kjson_str(&j, "kind", kctl_kind_name(ev->kind));
		if (ev->has_name)
			kjson_str(&j, "name", ev->name);
		else
			kjson_null(&j, "name");
		if (ev->has_pid)
			kjson_u64(&j, "pid", ev->pid);
		kjson_obj_close(&j);
		kjson_end(&j);
	} else {
		printf("%s %-10s %-6s %s id %u", when,
		       kctl_notify_name(ev->type), kctl_kind_name(ev->kind),
		       ev->has_name ? ev->name : "-", ev->id);
		if (ev->has_pid)
			printf(" pid %u", ev->pid);
		kctl_watch_context(w, ev);
		putchar('\n');
		fflush(stdout);
	}
	w->seen++;
	return w->count && w->seen >= w->count;
}

int kctl_cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		KCTL_COMMON_LONGOPTS,
		{ "count",	required_argument, NULL, 'n' },
		{ "timeout",	required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct kctl_watch w = { 0 };
	struct kipcnl *nl = NULL;
	int64_t timeout = -1, deadline = 0;
	struct timespec ts;
	uint64_t count;
	int c, ret = -1;

	while ((c = getopt_long(argc, argv, ":jphn:t:", opts, NULL)) != -1) {
		if (kctl_common_opt(c, "watch", &ret)) {
			if (ret >= 0)
				return ret;
			continue;
		}
		switch (c) {
		case 'n':
			if (kctl_parse_u64(optarg, &count) || !count)
				return kctl_usage_err("watch", "bad count '%s'",
						      optarg);
			w.count = count;
			break;
		case 't':
			if (kctl_parse_seconds(optarg, &timeout))
				return kctl_usage_err("watch", "bad timeout '%s'",
						      optarg);
			break;
		default:
			return kctl_bad_opt("watch", c, argv);
		}
	}
	w.filters = argv + optind;
	w.nr_filters = argc - optind;

	ret = kctl_connect(&nl, "watch");
	if (ret)
		return ret;
	ret = kctl_nl_subscribe(nl);
	if (ret) {
		ret = kctl_nl_fail(nl, ret, "watch: subscribe to events");
		kipcnl_close(nl);
		return ret;
	}
	if (!kctl_opts.json && kctl_nl_open(&w.query))
		w.query = NULL;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (timeout >= 0)
		deadline = ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
			   timeout / 1000000;
	for (;;) {
		int ms = -1;

		if (timeout >= 0) {
			int64_t now;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			now = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
			ms = deadline > now ? (int)(deadline - now) : 0;
		}
		ret = kipcnl_listen(nl, ms, kctl_watch_event, &w);
		if (ret == -ENOBUFS) {
			fprintf(stderr, "kipcctl: watch: events lost: the socket's receive buffer overflowed\n");
			continue;
		}
		break;
	}
	if (ret < 0)
		ret = kctl_nl_fail(nl, ret, "watch");
	else
		ret = KCTL_EXIT_OK;
	kipcnl_close(w.query);
	kipcnl_close(nl);
	return ret;
}

/* ---------------------------------------------------------------------
 * top
 */

struct kctl_top_prev {
	uint32_t id;
	uint64_t sent, received, drops;
};

struct kctl_top_row {
	const struct kipcnl_obj *o;
	uint64_t depth, cap, drops;
	double sent_rate, recv_rate, drop_rate;
	bool has_rate;
};

static int kctl_top_sort_depth(const void *a, const void *b)
{
	const struct kctl_top_row *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return x->o->id < y->o->id ? -1 : x->o->id > y->o->id;
}

static int kctl_top_sort_drops(const void *a, const void *b)
{
	const struct kctl_top_row *x = a, *y = b;

	if (x->drops != y->drops)
		return x->drops > y->drops ? -1 : 1;
	if (x->drop_rate != y->drop_rate)
		return x->drop_rate > y->drop_rate ? -1 : 1;
	return kctl_top_sort_depth(a, b);
}

static int kctl_top_cmp_prev(const void *a, const void *b)
{
	const struct kctl_top_prev *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void kctl_top_row(struct kctl_top_row *row, const struct kipcnl_obj *o,
			 const struct kctl_top_prev *prev, size_t nprev,
			 double dt)
{
	struct kctl_top_prev key = { .id = o->id }, *p;

	memset(row, 0, sizeof(*row));
	row->o = o;
	if (o->has_queue) {
		row->depth = o->q.depth_msgs;
		row->cap = o->q.max_msgs;
		row->drops = o->q.dropped_new + o->q.dropped_oldest;
		p = prev ? bsearch(&key, prev, nprev, sizeof(*prev),
				   kctl_top_cmp_prev) : NULL;
		if (p && dt > 0) {
			row->has_rate = true;
			row->sent_rate = (o->q.sent - p->sent) / dt;
			row->recv_rate = (o->q.received - p->received) / dt;
			row->drop_rate = (row->drops - p->drops) / dt;
		}
	} else if (o->has_region && o->r.has_ring) {
		row->depth = o->r.ring.used;
		row->cap = o->r.ring.capacity;
	} else if (o->has_event) {
		row->depth = o->e.count;
	}
}

static void kctl_top_json(const struct kctl_top_row *rows, size_t n,
			  const struct kipcnl_module *m, const char *sort)
{
	char when[40];
	struct kjson j;
	size_t i;

	kctl_now_str(when, sizeof(when), true);
	kjson_init(&j, stdout, false);
	kjson_obj_open(&j, NULL);
	kjson_str(&j, "time", when);
	kjson_str(&j, "sort", sort);
	kjson_u64(&j, "ns_objects", m->ns_objects);
	kjson_u64(&j, "live_objects", m->live_objects);
	kjson_u64(&j, "max_objects", m->max_objects);
	kjson_u64(&j, "user_bytes", m->user_bytes);
	kjson_arr_open(&j, "objects");
	for (i = 0; i < n; i++) {
		const struct kctl_top_row *r = &rows[i];
		const struct kipcnl_obj *o = r->o;

		kjson_obj_open(&j, NULL);
		kjson_u64(&j, "id", o->id);
		kjson_str(&j, "kind", kctl_obj_kind(o));
		if (o->has_name)
			kjson_str(&j, "name", o->name);
		else
			kjson_null(&j, "name");
		kjson_str(&j, "state", kctl_state_name(o->state));
		kjson_u64(&j, "depth", r->depth);
		kjson_u64(&j, "capacity", r->cap);
		kjson_u64(&j, "drops", r->drops);
		if (r->has_rate) {
			kjson_f64(&j, "sent_per_s", r->sent_rate);
			kjson_f64(&j, "received_per_s", r->recv_rate);
			kjson_f64(&j, "drops_per_s", r->drop_rate);
		}
		if (o->has_queue) {
			kjson_u64(&j, "blocked_senders", o->q.blocked_senders);
			kjson_u64(&j, "blocked_receivers",
				 o->q.blocked_receivers);
		}
		kjson_u64(&j, "handles", o->handles);
		kjson_obj_close(&j);
	}
	kjson_arr_close(&j);
	kjson_obj_close(&j);
	kjson_end(&j);
}

static void kctl_top_text(const struct kctl_top_row *rows, size_t n,
			  const struct kipcnl_module *m, const char *sort,
			  double delay, bool batch)
{
	size_t i, max_rows = SIZE_MAX;
	char when[40], a[32], b[32];
	struct winsize ws;
	struct table t;

	if (!batch) {
		fputs("\033[H\033[2J", stdout);
		if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row > 4)
			max_rows = ws.ws_row - 3;	/* header, blank, titles */
	}
	kctl_now_str(when, sizeof(when), false);
	printf("kipcctl top  %s  objects %u here (%u in all, limit %u)  charged %s of %s  sort %s  every %gs\n\n",
	       when, m->ns_objects, m->live_objects, m->max_objects,
	       kctl_human(a, sizeof(a), m->user_bytes),
	       kctl_human(b, sizeof(b), m->max_user_bytes), sort, delay);

	table_init(&t, 12);
	table_add(&t, "ID", "KIND", "NAME", "STATE", "DEPTH", "FILL",
		  "SENT/s", "RECV/s", "DROPS", "DROP/s", "WAITERS", "HANDLES");
	for (i = 0; i < n; i++) {
		const struct kctl_top_row *r = &rows[i];
		const struct kipcnl_obj *o = r->o;
		char id[16], depth[48], fill[16], s[24], rv[24], dr[24];
		char drs[24], w[24], hd[16];

		snprintf(id, sizeof(id), "%u", o->id);
		snprintf(hd, sizeof(hd), "%u", o->handles);
		snprintf(depth, sizeof(depth), "-");
		snprintf(fill, sizeof(fill), "-");
		snprintf(s, sizeof(s), "-");
		snprintf(rv, sizeof(rv), "-");
		snprintf(dr, sizeof(dr), "-");
		snprintf(drs, sizeof(drs), "-");
		snprintf(w, sizeof(w), "-");
		if (o->has_queue) {
			snprintf(depth, sizeof(depth), "%llu/%llu",
				 ULL(r->depth), ULL(r->cap));
			snprintf(dr, sizeof(dr), "%llu", ULL(r->drops));
			snprintf(w, sizeof(w), "%us/%ur", o->q.blocked_senders,
				 o->q.blocked_receivers);
			if (r->has_rate) {
				snprintf(s, sizeof(s), "%.0f", r->sent_rate);
				snprintf(rv, sizeof(rv), "%.0f", r->recv_rate);
				snprintf(drs, sizeof(drs), "%.0f",
					 r->drop_rate);
			}
		} else if (o->has_region && o->r.has_ring) {
			snprintf(depth, sizeof(depth), "%s/%s",
				 kctl_human(a, sizeof(a), r->depth),
				 kctl_human(b, sizeof(b), r->cap));
			snprintf(w, sizeof(w), "%u", o->r.waiters);
		} else if (o->has_region) {
			snprintf(w, sizeof(w), "%u", o->r.waiters);
		} else if (o->has_event) {
			snprintf(depth, sizeof(depth), "%llu", ULL(r->depth));
			snprintf(w, sizeof(w), "%u", o->e.waiters);
		}
		if (r->cap)
			snprintf(fill, sizeof(fill), "%llu%%",
				 ULL(r->depth * 100 / r->cap));
		table_add(&t, id, kctl_obj_kind(o),
			  o->has_name ? o->name : "-",
			  kctl_state_name(o->state), depth, fill, s, rv, dr,
			  drs, w, hd);
	}
	table_print(&t, stdout, max_rows);
	if (t.nrows > max_rows)
		printf("... %zu more\n", t.nrows - max_rows);
	table_free(&t);
	if (batch)
		putchar('\n');
	fflush(stdout);
}

int kctl_cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		KCTL_COMMON_LONGOPTS,
		{ "sort",	required_argument, NULL, 's' },
		{ "delay",	required_argument, NULL, 'd' },
		{ "iterations",	required_argument, NULL, 'n' },
		{ "batch",	no_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	int (*cmp)(const void *, const void *) = kctl_top_sort_depth;
	struct kctl_top_prev *prev = NULL;
	int64_t delay = NSEC_PER_SEC;
	struct timespec last = { 0 }, now;
	const char *sort = "depth";
	struct kipcnl *nl = NULL;
	uint64_t iters = 0, it;
	size_t nprev = 0;
	bool batch = false;
	int c, ret = -1;

	while ((c = getopt_long(argc, argv, ":jphs:d:n:b", opts,
				NULL)) != -1) {
		if (kctl_common_opt(c, "top", &ret)) {
			if (ret >= 0)
				return ret;
			continue;
		}
		switch (c) {
		case 's':
			if (!strcmp(optarg, "depth")) {
				cmp = kctl_top_sort_depth;
				sort = "depth";
			} else if (!strcmp(optarg, "drops")) {
				cmp = kctl_top_sort_drops;
				sort = "drops";
			} else {
				return kctl_usage_err("top", "bad sort key '%s' (depth or drops)",
						      optarg);
			}
			break;
		case 'd':
			if (kctl_parse_seconds(optarg, &delay))
				return kctl_usage_err("top", "bad delay '%s'",
						      optarg);
			break;
		case 'n':
			if (kctl_parse_u64(optarg, &iters) || !iters)
				return kctl_usage_err("top", "bad iteration count '%s'",
						      optarg);
			break;
		case 'b':
			batch = true;
			break;
		default:
			return kctl_bad_opt("top", c, argv);
		}
	}
	if (optind < argc)
		return kctl_usage_err("top", "unexpected argument '%s'",
				      argv[optind]);

	ret = kctl_connect(&nl, "top");
	if (ret)
		return ret;
	for (it = 0; !iters || it < iters; it++) {
		struct kctl_top_row *rows = NULL;
		struct kipcnl_obj *objs = NULL;
		struct kipcnl_module m;
		size_t n = 0, i;
		double dt;

		if (it) {
			struct timespec ts = {
				.tv_sec = delay / NSEC_PER_SEC,
				.tv_nsec = delay % NSEC_PER_SEC,
			};

			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
		ret = kipcnl_module(nl, &m);
		if (!ret)
			ret = kipcnl_dump(nl, &objs, &n);
		if (ret) {
			ret = kctl_nl_fail(nl, ret, "top");
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		dt = it ? (now.tv_sec - last.tv_sec) +
			  (now.tv_nsec - last.tv_nsec) / 1e9 : 0;
		last = now;
		rows = calloc(n ? n : 1, sizeof(*rows));
		if (!rows) {
			kipcnl_objs_free(objs, n);
			ret = kctl_err(-ENOMEM, "top");
			break;
		}
		for (i = 0; i < n; i++)
			kctl_top_row(&rows[i], &objs[i], prev, nprev, dt);
		qsort(rows, n, sizeof(*rows), cmp);
		if (kctl_opts.json)
			kctl_top_json(rows, n, &m, sort);
		else
			kctl_top_text(rows, n, &m, sort,
				      (double)delay / NSEC_PER_SEC, batch);

		/* Keep this screen's counters for the next one's rates. */
		free(prev);
		prev = calloc(n ? n : 1, sizeof(*prev));
		nprev = 0;
		for (i = 0; prev && i < n; i++) {
			if (!objs[i].has_queue)
				continue;
			prev[nprev].id = objs[i].id;
			prev[nprev].sent = objs[i].q.sent;
			prev[nprev].received = objs[i].q.received;
			prev[nprev].drops = objs[i].q.dropped_new +
					    objs[i].q.dropped_oldest;
			nprev++;
		}
		if (prev)
			qsort(prev, nprev, sizeof(*prev), kctl_top_cmp_prev);
		free(rows);
		kipcnl_objs_free(objs, n);
		ret = 0;
	}
	free(prev);
	kipcnl_close(nl);
	return ret;
}

/* ---------------------------------------------------------------------
 * module
 */

int kctl_cmd_module(int argc, char **argv)
{
	static const struct option opts[] = {
		KCTL_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct kipcnl *nl = NULL;
	struct kipcnl_module m;
	char a[32], b[32];
	struct kjson j;
	int c, ret = -1;

	while ((c = getopt_long(argc, argv, ":jph", opts, NULL)) != -1) {
		if (kctl_common_opt(c, "module", &ret)) {
			if (ret >= 0)
				return ret;
			continue;
		}
		return kctl_bad_opt("module", c, argv);
	}
	if (optind < argc)
		return kctl_usage_err("module", "unexpected argument '%s'",
				      argv[optind]);
	ret = kctl_connect(&nl, "module");
	if (ret)
		return ret;
	ret = kipcnl_module(nl, &m);
	if (ret) {
		ret = kctl_nl_fail(nl, ret, "module");
		kipcnl_close(nl);
		return ret;
	}
	kipcnl_close(nl);
	if (kctl_opts.json) {
		kjson_init(&j, stdout, kctl_opts.pretty);
		kjson_obj_open(&j, NULL);
		kjson_u64(&j, "ns_objects", m.ns_objects);
		kjson_u64(&j, "live_objects", m.live_objects);
		kjson_u64(&j, "max_objects", m.max_objects);
		kjson_u64(&j, "user_bytes", m.user_bytes);
		kjson_u64(&j, "max_user_bytes", m.max_user_bytes);
		kjson_u64(&j, "max_msg_size", m.max_msg_size);
		kjson_u64(&j, "max_region_size", m.max_region_size);
		kjson_obj_close(&j);
		kjson_end(&j);
	} else {
		printf("objects          %u in this IPC namespace (limit %u), %u in all\n",
		       m.ns_objects, m.max_objects, m.live_objects);
		printf("charged to uid   %u: %s (limit %s)\n", (unsigned int)geteuid(),
		       kctl_human(a, sizeof(a), m.user_bytes),
		       kctl_human(b, sizeof(b), m.max_user_bytes));
		printf("max_msg_size     %u\n", m.max_msg_size);
		printf("max_region_size  %s\n",
		       kctl_human(a, sizeof(a), m.max_region_size));
	}
	return fflush(stdout) ? kctl_err(-errno, "module: stdout") : 0;
}
