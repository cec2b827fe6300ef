// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bridge import - durable pull consumer -> local send -> JetStream
 * ack.
 *
 * Each round fetches at most min(--batch, room) messages, room being
 * what the local queue can still take (max_msgs - depth - leased, from
 * kipc_queue_stat()), so a slow local receiver slows the fetches and the
 * stream fills behind it.  After a round that got messages the next asks
 * for what is there without waiting (a no-wait pull request); after one
 * that got none, it waits up to 500 ms for a single message, which thus
 * comes at once instead of when a whole batch has gathered.  Each
 * message is sent into the local queue without blocking, with its
 * original type and priority (and, with --origin, struct
 * kipc_bridge_origin in front), and acked to JetStream
 * only once the send succeeded; the acks of a round are flushed before
 * the next fetch.  A send that finds the queue full waits (the rest of
 * the round waits behind it, for order) in poll() for the queue's
 * EPOLLOUT, and tells JetStream the message is in progress every second
 * so its ack wait does not run out.
 *
 * Nothing is sent while the consumer has deliveries pending that this
 * importer does not hold (a dead importer's, whose ack wait has not run
 * out): what was fetched is held (in progress every second), and fetching
 * goes on, until those come again to this importer; then the held
 * messages go in stream order.  JetStream usually redelivers in stream
 * order, but nats-server 2.9.10 can put a redelivery behind later ones
 * (a redelivery taken for a pull request that has just expired or lost
 * its connection goes back only at the end of the queue, an ack wait
 * later), so the importer sorts what it holds by stream sequence.  The
 * server is asked (CONSUMER.INFO's num_ack_pending) only when what is
 * held is not simply first deliveries of the stream sequence numbers
 * after the last one sent: after a start, a gap or a redelivery.
 * Deliveries still pending elsewhere after HOLD_MAX_NS (another live
 * importer on the same durable, a misconfiguration, or entries the
 * server keeps pending and never hands out) are said on stderr, counted
 * as stale and no longer waited for; without an answer for so long the
 * held messages go too.
 *
 * The durable consumer is created here when missing (max_ack_pending =
 * --batch, ack wait 5 s) and then bound, so that libnats never deletes
 * it.  After an importer died, its successor gets nothing until the
 * messages the dead one had fetched are delivered again, which keeps
 * the order; an existing consumer is used as it is.
 */
#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"

#define FETCH_WAIT_MS	500
#define IDLE_MS		100
#define ACK_WAIT_NS	(5000 * MSEC)	/* the consumer's ack wait */
#define PROGRESS_NS	(1000 * MSEC)	/* in-progress every 1 s while held */
#define FLUSH_MS	2000
#define HOLD_MAX_NS	(3 * ACK_WAIT_NS)	/* then send out of turn */

struct held {
	natsMsg *m;
	uint64_t sseq;			/* the stream's sequence number */
	uint64_t dc;			/* its delivery count */
};

struct importer {
	struct bridge *b;
	natsSubscription *sub;
	char *buf;			/* origin header + payload */
	size_t cap;
	uint64_t max_msg_size;
	uint64_t unflushed;		/* acked since the last flush */
	uint64_t reconnects;		/* b->st.reconnects at the last resync */
	bool resync;			/* wait out others' acks before a fetch */
	bool busy;			/* the last fetch got messages */
	struct held *held;		/* fetched, not sent, by stream seq */
	int nheld, held_cap;
	int64_t held_since;		/* waiting for others' deliveries */
	int64_t held_progress;		/* next in-progress of the held */
	int64_t stale;			/* pending deliveries that never come */
	uint64_t last_sseq;		/* the last sent: stream seq */
	int64_t resync_since;		/* resync without consumer info */
};

bool bridge_hdr_u64(natsMsg *m, const char *key, uint64_t *v)
{
	const char *s = NULL;
	char *end;

	if (natsMsgHeader_Get(m, key, &s) != NATS_OK || !s || !*s)
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end;
}

static int subscribe(struct importer *im)
{
	struct bridge *b = im->b;
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsSubOptions so;
	jsErrCode jerr = 0;
	char what[300];
	natsStatus s;

	snprintf(what, sizeof(what), "consumer %s", b->o.durable);
	s = js_GetConsumerInfo(&ci, b->js, b->o.stream, b->o.durable, NULL,
			       &jerr);
	if (s == NATS_NOT_FOUND) {
		jsConsumerConfig_Init(&cc);
		cc.Durable = b->o.durable;
		cc.AckPolicy = js_AckExplicit;
		cc.DeliverPolicy = js_DeliverAll;
		cc.FilterSubject = b->o.subject;
		/* What a dead importer had fetched comes back first, in
		 * order: nothing more is delivered while --batch messages
		 * await their ack, for at most the ack wait.
		 */
		cc.MaxAckPending = b->o.batch;
		cc.AckWait = ACK_WAIT_NS;
		s = js_AddConsumer(&ci, b->js, b->o.stream, &cc, NULL, &jerr);
	}
	if (s != NATS_OK) {
		bridge_err(what, "%s", bridge_nats_err(s));
		return -1;
	}
	jsConsumerInfo_Destroy(ci);

	jsSubOptions_Init(&so);
	so.Stream = b->o.stream;
	so.Consumer = b->o.durable;
	s = js_PullSubscribe(&im->sub, b->js, b->o.subject, b->o.durable,
			     NULL, &so, &jerr);
	if (s != NATS_OK) {
		bridge_err(what, "cannot subscribe: %s", bridge_nats_err(s));
		return -1;
	}
	return 0;
}

/* How many messages the local queue has room for. */
static int64_t room(struct importer *im)
{
	struct kipc_queue_stat st;
	int64_t r;

	if (kipc_queue_stat(im->b->q, &st) < 0)
		return 0;
	r = (int64_t)st.max_msgs - (int64_t)st.depth_msgs -
	    (int64_t)st.inflight_msgs;
	return r < 0 ? 0 : r;
}

/* Send @m into the local queue: 0 sent (or dropped by the queue's own
 * policy), -EAGAIN full, another -errno refused.
 */
static int send_local(struct importer *im, natsMsg *m)
{
	struct bridge *b = im->b;
	const char *data = natsMsg_GetData(m);
	size_t len = natsMsg_GetDataLength(m);
	uint64_t type = 1, prio = 0, seq = 0;
	int ret;

	bridge_hdr_u64(m, "Kipc-Type", &type);
	bridge_hdr_u64(m, "Kipc-Prio", &prio);
	bridge_hdr_u64(m, "Kipc-Seq", &seq);
	if (b->o.origin && len > im->cap - sizeof(struct kipc_bridge_origin)) {
		ret = -EMSGSIZE;
	} else {
		if (b->o.origin) {
			struct kipc_bridge_origin or;

			bridge_origin_fill(&or, m, seq);
			memcpy(im->buf, &or, sizeof(or));
			if (len)
				memcpy(im->buf + sizeof(or), data, len);
			data = im->buf;
			len += sizeof(or);
		}
		ret = kipc_send(b->q, type, prio, data, len, 0);
	}
	if (ret < 0 && ret != -EAGAIN) {
		char what[64];

		snprintf(what, sizeof(what), "seq %" PRIu64, seq);
		bridge_err(what, "cannot send into %s: %s", b->o.queue,
			   strerror(-ret));
	}
	return ret < 0 ? ret : 0;
}

/* Sleep until the local queue has room, a signal, or @until. */
static void wait_room(struct importer *im, int64_t until)
{
	struct bridge *b = im->b;
	struct pollfd pfd[2] = {
		{ .fd = b->sigfd, .events = POLLIN },
		{ .fd = b->q, .events = POLLOUT },
	};
	int64_t ms = (until - bridge_now()) / MSEC;

	if (poll(pfd, 2, ms > 0 ? (int)ms : 1) > 0 &&
	    (pfd[0].revents & POLLIN))
		bridge_poll_signal(b, 0);
}

static void flush_acks(struct importer *im)
{
	if (!im->unflushed)
		return;
	if (natsConnection_FlushTimeout(im->b->nc, FLUSH_MS) == NATS_OK) {
		im->unflushed = 0;
		atomic_store(&im->b->st.inflight, 0);
	}
}

static void set_stale(struct importer *im, int64_t n)
{
	im->stale = n;
	atomic_store(&im->b->st.stale, n);
}

static void release_held(struct importer *im)
{
	int i;

	for (i = 0; i < im->nheld; i++)
		natsMsg_Destroy(im->held[i].m);
	im->nheld = 0;
	im->held_since = 0;
}

/* Take the fetched messages into the held set, in stream order; a second
 * delivery of a message replaces the first.
 */
static void hold(struct importer *im, natsMsgList *list)
{
	jsMsgMetaData *meta;
	int i, j;

	for (i = 0; i < list->Count; i++) {
		natsMsg *m = list->Msgs[i];
		uint64_t sseq = 0, dc = 0;

		if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
			sseq = meta->Sequence.Stream;
			dc = meta->NumDelivered;
			jsMsgMetaData_Destroy(meta);
		}
		for (j = im->nheld; j > 0 && im->held[j - 1].sseq > sseq; j--)
			;
		if (j > 0 && im->held[j - 1].sseq == sseq) {
			natsMsg_Destroy(im->held[j - 1].m);
			im->held[j - 1] = (struct held){ m, sseq, dc };
		} else if (im->nheld < im->held_cap) {
			memmove(&im->held[j + 1], &im->held[j],
				(im->nheld - j) * sizeof(im->held[0]));
			im->held[j] = (struct held){ m, sseq, dc };
			im->nheld++;
		} else {
			/* more than max_ack_pending: cannot be */
			natsMsg_Nak(m, NULL);
			natsMsg_Destroy(m);
		}
		list->Msgs[i] = NULL;
	}
}

/* The consumer's deliveries awaiting an ack, as the server has it. */
static natsStatus ack_pending(struct importer *im, int64_t *n)
{
	struct bridge *b = im->b;
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	st = js_GetConsumerInfo(&ci, b->js, b->o.stream, b->o.durable, NULL,
				&jerr);
	if (st == NATS_OK) {
		*n = ci->NumAckPending;
		jsConsumerInfo_Destroy(ci);
	}
	return st;
}

/* Are the held messages, first deliveries all, the stream sequence
 * numbers that follow the last one sent, without a gap?  Then nothing
 * can be pending elsewhere before them, and the server need not be asked.
 */
static bool held_in_turn(struct importer *im)
{
	uint64_t next = im->last_sseq + 1;
	int i;

	if (!im->last_sseq)
		return false;
	for (i = 0; i < im->nheld; i++, next++)
		if (im->held[i].sseq != next || im->held[i].dc != 1)
			return false;
	return true;
}

/* May the held messages go?  Only when every delivery the consumer
 * awaits an ack for is one of them, less the stale ones: those that did
 * not come for HOLD_MAX_NS while this importer kept fetching.  Without
 * an answer from the server for so long, they go too (said on stderr).
 */
static bool held_may_go(struct importer *im)
{
	struct bridge *b = im->b;
	int64_t now = bridge_now(), others = 0;
	natsStatus st;
	int i;

	if (!im->held_since) {
		im->held_since = now;
		im->held_progress = now + PROGRESS_NS;
	}
	st = ack_pending(im, &others);
	if (st != NATS_OK && now - im->held_since >= HOLD_MAX_NS) {
		bridge_err(b->o.durable, "no consumer info for %d s (%s): "
			   "sending %d held messages",
			   (int)(HOLD_MAX_NS / (1000 * MSEC)),
			   bridge_nats_err(st), im->nheld);
		return true;
	}
	if (st == NATS_OK) {
		others -= im->nheld;
		if (others < im->stale)
			set_stale(im, others < 0 ? 0 : others);
		if (others <= im->stale)
			return true;
		if (now - im->held_since >= HOLD_MAX_NS) {
			set_stale(im, others);
			bridge_err(b->o.durable, "%" PRId64 " deliveries "
				   "pending at the server did not come in %d s "
				   "(another importer on this durable?): not "
				   "waiting for them any more", others,
				   (int)(HOLD_MAX_NS / (1000 * MSEC)));
			return true;
		}
	}
	if (now >= im->held_progress) {
		for (i = 0; i < im->nheld; i++)
			natsMsg_InProgress(im->held[i].m, NULL);
		im->held_progress = now + PROGRESS_NS;
	}
	return false;
}

/* Send and ack the fetched messages in order; what a signal leaves
 * unsent is nak'd.  -1 when the local queue is gone.
 */
static int deliver(struct importer *im)
{
	struct bridge *b = im->b;
	int64_t progress = bridge_now() + PROGRESS_NS;
	int i = 0, ret = 0;

	while (i < im->nheld) {
		natsMsg *m = im->held[i].m;
		int r;

		if (b->stop)
			break;
		r = send_local(im, m);
		if (r == -EAGAIN) {
			if (bridge_now() >= progress) {
				int j;

				for (j = i; j < im->nheld; j++)
					natsMsg_InProgress(im->held[j].m, NULL);
				progress = bridge_now() + PROGRESS_NS;
			}
			wait_room(im, progress);
			continue;
		}
		if (r == -EPIPE) {
			ret = -1;
			break;
		}
		if (im->held[i].sseq > im->last_sseq)
			im->last_sseq = im->held[i].sseq;
		if (r == 0) {
			atomic_fetch_add(&b->st.imported, 1);
		} else {
			/* never fits here: terminated, not redelivered */
			atomic_fetch_add(&b->st.rejected, 1);
			natsMsg_Term(m, NULL);
			i++;
			continue;
		}
		natsMsg_Ack(m, NULL);
		im->unflushed++;
		atomic_store(&b->st.inflight, im->unflushed);
		i++;
	}
	for (; i < im->nheld; i++)
		natsMsg_Nak(im->held[i].m, NULL);
	release_held(im);
	flush_acks(im);
	return ret;
}

static void note_meta(struct importer *im, natsMsgList *list)
{
	jsMsgMetaData *meta;
	int i;

	for (i = 0; i < list->Count; i++) {
		if (natsMsg_GetMetaData(&meta, list->Msgs[i]) != NATS_OK)
			continue;
		if (meta->NumDelivered > 1)
			atomic_fetch_add(&im->b->st.redelivered, 1);
		atomic_store(&im->b->st.lag, meta->NumPending);
		jsMsgMetaData_Destroy(meta);
	}
}

/*
 * Before the first fetch, and after a reconnect or a failed fetch: when
 * the consumer has deliveries awaiting an ack that this importer does not
 * hold (a dead predecessor's, or ones lost with a server or connection),
 * fetch nothing until their ack wait has run out.  JetStream then hands
 * them out before anything newer, so they cannot arrive after a later
 * message of their producer.  (max_ack_pending alone does not hold the
 * newer ones back when fewer than --batch were pending.)
 */
static void resync(struct importer *im)
{
	struct bridge *b = im->b;
	int64_t until, pending = 0;
	natsStatus st;

	im->resync = false;
	im->reconnects = atomic_load(&b->st.reconnects);
	/*
	 * A dead importer's pull request stays open at the server until it
	 * expires, and what the server hands it meanwhile becomes pending
	 * after we looked: let it expire first.
	 */
	until = bridge_now() + (FETCH_WAIT_MS + 200) * MSEC;
	while (!b->stop && bridge_now() < until)
		bridge_poll_signal(b, IDLE_MS);
	st = ack_pending(im, &pending);
	if (st != NATS_OK) {
		if (!im->resync_since)
			im->resync_since = bridge_now();
		if (bridge_now() - im->resync_since < HOLD_MAX_NS) {
			im->resync = true;
			bridge_poll_signal(b, IDLE_MS);
			return;
		}
		bridge_err(b->o.durable, "no consumer info for %d s (%s): "
			   "fetching without it",
			   (int)(HOLD_MAX_NS / (1000 * MSEC)),
			   bridge_nats_err(st));
		im->resync_since = 0;
		return;
	}
	im->resync_since = 0;
	if (pending) {
		until = bridge_now() + ACK_WAIT_NS + PROGRESS_NS;
		while (!b->stop && bridge_now() < until)
			bridge_poll_signal(b, IDLE_MS);
	}
}

/* At most @n messages: what is there now after a busy round, else the
 * first one to come within FETCH_WAIT_MS.
 */
static natsStatus fetch(struct importer *im, natsMsgList *list, int64_t n,
			jsErrCode *jerr)
{
	jsFetchRequest req;

	if (!im->busy)
		return natsSubscription_Fetch(list, im->sub, 1, FETCH_WAIT_MS,
					      jerr);
	jsFetchRequest_Init(&req);
	req.Batch = n;
	req.NoWait = true;
	/* how long libnats waits for the server's answer */
	req.Expires = (int64_t)FETCH_WAIT_MS * MSEC;
	return natsSubscription_FetchRequest(list, im->sub, &req);
}

static int run(struct importer *im)
{
	struct bridge *b = im->b;
	natsMsgList list;
	jsErrCode jerr;
	natsStatus s;
	int64_t n;

	for (;;) {
		bridge_stats_tick(b, false);
		if (bridge_poll_signal(b, 0))
			return 0;
		if (bridge_fatal(b))
			return -2;
		n = room(im);
		if (n > b->o.batch)
			n = b->o.batch;
		/* what is held waits for its room in deliver() */
		if (im->nheld)
			n = n > im->nheld ? n - im->nheld : 1;
		if (!n || !atomic_load(&b->st.connected)) {
			bridge_poll_signal(b, IDLE_MS);
			bridge_drain_wake(b);
			continue;
		}
		if (im->resync ||
		    im->reconnects != atomic_load(&b->st.reconnects)) {
			resync(im);
			continue;
		}
		memset(&list, 0, sizeof(list));
		jerr = 0;
		s = fetch(im, &list, n, &jerr);
		im->busy = list.Count > 0;
		if (s != NATS_OK && !list.Count) {
			if (s != NATS_TIMEOUT && s != NATS_NOT_FOUND) {
				im->resync = true;
				bridge_poll_signal(b, IDLE_MS);
			}
			if (!im->nheld)
				continue;
		}
		note_meta(im, &list);
		hold(im, &list);
		natsMsgList_Destroy(&list);
		if (!im->nheld || (!held_in_turn(im) && !held_may_go(im)))
			continue;
		if (deliver(im) < 0)
			return -1;
	}
}

int bridge_import(struct bridge *b)
{
	struct importer im;
	struct kipc_queue_stat st;
	int ret = 1, i;

	memset(&im, 0, sizeof(im));
	im.b = b;
	im.resync = true;
	if (bridge_open_queue(b, b->o.queue, KIPC_WRONLY, &b->q))
		goto out;
	ret = kipc_queue_stat(b->q, &st);
	if (ret < 0) {
		bridge_err(b->o.queue, "kipc_queue_stat: %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	im.max_msg_size = st.max_msg_size;
	im.cap = st.max_msg_size + sizeof(struct kipc_bridge_origin);
	im.buf = malloc(im.cap);
	im.held_cap = 2 * b->o.batch;
	im.held = calloc(im.held_cap, sizeof(*im.held));
	if (!im.buf || !im.held) {
		bridge_err(b->o.queue, "out of memory");
		ret = 1;
		goto out;
	}
	ret = bridge_connect(b);
	if (ret) {
		ret = ret > 0 ? 0 : 1;
		goto out;
	}
	ret = 1;
	if (bridge_stream_check(b) || subscribe(&im))
		goto out;

	ret = run(&im);
	if (ret == -1)
		bridge_err(b->o.queue, "the queue was shut down or its owner died");
	ret = ret ? 1 : 0;
out:
	for (i = 0; i < im.nheld; i++)
		natsMsg_Nak(im.held[i].m, NULL);
	release_held(&im);
	flush_acks(&im);
	bridge_stats_tick(b, true);
	if (im.sub)
		natsSubscription_Destroy(im.sub);
	bridge_disconnect(b);
	free(im.held);
	free(im.buf);
	return ret;
}
