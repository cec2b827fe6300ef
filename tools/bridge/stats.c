// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bridge - --stats PATH: the counters as one line of JSON, built by
 * json-c, written to PATH.tmp and renamed over PATH once a second and at
 * exit, so a reader never sees half a file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "bridge.h"

#define STATS_PERIOD_NS	(1000 * MSEC)

static void put_u64(struct json_object *o, const char *key,
		    _Atomic uint64_t *v)
{
	json_object_object_add(o, key, json_object_new_uint64(atomic_load(v)));
}

static int write_stats(struct bridge *b)
{
	struct bridge_stats *st = &b->st;
	struct json_object *o = json_object_new_object();
	char tmp[4096];
	const char *text;
	FILE *f;
	int ret = -1;

	if (!o)
		return -1;
	json_object_object_add(o, "mode", json_object_new_string(
		b->o.mode == BRIDGE_EXPORT ? "export" : "import"));
	json_object_object_add(o, "queue", json_object_new_string(b->o.queue));
	json_object_object_add(o, "stream",
			       json_object_new_string(b->o.stream));
	put_u64(o, "exported", &st->exported);
	put_u64(o, "imported", &st->imported);
	put_u64(o, "inflight", &st->inflight);
	put_u64(o, "redelivered", &st->redelivered);
	put_u64(o, "publish_errors", &st->publish_errors);
	put_u64(o, "held", &st->held);
	put_u64(o, "stale", &st->stale);
	put_u64(o, "duplicates", &st->duplicates);
	put_u64(o, "rejected", &st->rejected);
	put_u64(o, "reconnects", &st->reconnects);
	put_u64(o, "lag", &st->lag);
	json_object_object_add(o, "connected", json_object_new_boolean(
		atomic_load(&st->connected)));

	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", b->o.stats) >=
	    (int)sizeof(tmp))
		goto out;
	f = fopen(tmp, "w");
	if (!f)
		goto out;
	if (fprintf(f, "%s\n", text) < 0) {
		fclose(f);
		goto out;
	}
	if (fclose(f))
		goto out;
	if (rename(tmp, b->o.stats))
		goto out;
	ret = 0;
out:
	json_object_put(o);
	return ret;
}

/* Rewrite --stats when a second has passed (or @force); a failure is
 * reported once, not every second.
 */
void bridge_stats_tick(struct bridge *b, bool force)
{
	static bool warned;
	int64_t now;

	if (!b->o.stats)
		return;
	now = bridge_now();
	if (!force && now < b->stats_next)
		return;
	b->stats_next = now + STATS_PERIOD_NS;
	if (write_stats(b) && !warned) {
		bridge_err(b->o.stats, "cannot write the stats: %s",
			   strerror(errno));
		warned = true;
	}
}
