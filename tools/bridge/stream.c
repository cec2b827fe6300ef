// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bridge - the JetStream stream: created by the exporter when it is
 * missing, checked by both directions, and read for the exporter's
 * credit.
 *
 * The exporter's stream is a work queue (a message is gone once the
 * importer acked it) with discard-new limits, so a full stream refuses
 * new messages instead of dropping old ones, and a duplicate window of
 * two minutes, within which a republish with the same Nats-Msg-Id is
 * stored once.
 */
#include <stdio.h>
#include <string.h>

#include "bridge.h"

#define DUP_WINDOW_NS	(120LL * 1000 * MSEC)

static natsStatus stream_info(struct bridge *b, jsStreamInfo **si)
{
	jsErrCode jerr = 0;

	return js_GetStreamInfo(si, b->js, b->o.stream, NULL, &jerr);
}

static bool has_subject(const jsStreamConfig *c, const char *subj)
{
	int i;

	for (i = 0; i < c->SubjectsLen; i++)
		if (!strcmp(c->Subjects[i], subj))
			return true;
	return false;
}

/* The checks both directions make on a stream that exists. */
static int check_config(struct bridge *b, const jsStreamInfo *si)
{
	const jsStreamConfig *c = si->Config;
	char what[300];

	snprintf(what, sizeof(what), "stream %s", b->o.stream);
	if (!has_subject(c, b->o.subject)) {
		bridge_err(what, "subject %s is not one of its subjects",
			   b->o.subject);
		return -1;
	}
	if (b->o.mode == BRIDGE_EXPORT && c->Discard != js_DiscardNew) {
		bridge_err(what, "its discard policy is old: the bridge needs discard new");
		return -1;
	}
	return 0;
}

static int report(struct bridge *b, const char *doing, natsStatus s)
{
	char what[300];

	snprintf(what, sizeof(what), "stream %s", b->o.stream);
	/* a refused API request times out; the refusal came async */
	if (atomic_load(&b->fatal))
		bridge_err(what, "%s: permission refused: %s", doing,
			   b->fatal_why);
	else
		bridge_err(what, "%s: %s", doing, bridge_nats_err(s));
	return -1;
}

int bridge_stream_setup(struct bridge *b)
{
	const char *subjects[1] = { b->o.subject };
	jsStreamInfo *si = NULL;
	jsStreamConfig cfg;
	jsErrCode jerr = 0;
	natsStatus s;
	int ret;

	s = stream_info(b, &si);
	if (s == NATS_OK) {
		ret = check_config(b, si);
		jsStreamInfo_Destroy(si);
		return ret;
	}
	if (s != NATS_NOT_FOUND)
		return report(b, "cannot read it", s);

	jsStreamConfig_Init(&cfg);
	cfg.Name = b->o.stream;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Retention = js_WorkQueuePolicy;
	cfg.Discard = js_DiscardNew;
	cfg.Storage = js_FileStorage;
	cfg.MaxMsgs = b->o.max_msgs;
	cfg.MaxBytes = b->o.max_bytes;
	cfg.Replicas = b->o.replicas;
	cfg.Duplicates = DUP_WINDOW_NS;
	s = js_AddStream(&si, b->js, &cfg, NULL, &jerr);
	if (s != NATS_OK)
		return report(b, "cannot create it", s);
	jsStreamInfo_Destroy(si);
	return 0;
}

int bridge_stream_check(struct bridge *b)
{
	jsStreamInfo *si = NULL;
	natsStatus s;
	int ret;

	s = stream_info(b, &si);
	if (s == NATS_NOT_FOUND) {
		char what[300];

		snprintf(what, sizeof(what), "stream %s", b->o.stream);
		bridge_err(what, "no such stream (the exporter creates it)");
		return -1;
	}
	if (s != NATS_OK)
		return report(b, "cannot read it", s);
	ret = check_config(b, si);
	jsStreamInfo_Destroy(si);
	return ret;
}

/* The stream's fill and limits (a limit <= 0: none); -1 when the server
 * did not answer (not reported: the caller retries).
 */
int bridge_stream_state(struct bridge *b, uint64_t *msgs, uint64_t *bytes,
			int64_t *max_msgs, int64_t *max_bytes)
{
	jsStreamInfo *si = NULL;

	if (stream_info(b, &si) != NATS_OK)
		return -1;
	*msgs = si->State.Msgs;
	*bytes = si->State.Bytes;
	*max_msgs = si->Config->MaxMsgs;
	*max_bytes = si->Config->MaxBytes;
	jsStreamInfo_Destroy(si);
	return 0;
}
