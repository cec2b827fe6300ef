// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bridge export - leased receive, async JetStream publish, kipc ack
 * on the PubAck.
 *
 * The window is a ring of slots in lease order (queue order: priority,
 * then seq), at most --window long.  A slot is PENDING while libnats owns
 * its message (published, PubAck awaited), ACKED once JetStream stored
 * it, FAILED when the publish was refused, timed out or could not be
 * sent; a FAILED slot keeps its message for the republish.  ACKED slots
 * leave from the head in order, with one kipc_ackv() for the lot.
 *
 * A FAILED slot or a disconnect starts a recovery: no new leases; once no
 * PubAck is awaited any more and the connection is up, every FAILED
 * message is published again in ring order with its Nats-Msg-Id (the
 * server stores it once within the duplicate window).  What one
 * connection sent is stored as a prefix, so order survives.
 *
 * The slots not yet ACKED are always in queue order (priority, then
 * seq).  A message leased after a slot of lower priority, or of the same
 * priority and a higher seq (a nack, a lease timeout), that still awaits
 * its PubAck is HELD: not published until every slot before it is ACKED.
 * So when an exporter dies, what it had published but not got
 * acknowledged is in the order its successor leases it again, while the
 * server may still be storing what the dead one sent.  Two publishers
 * sending the same messages in different orders could each extend the
 * other's Nats-Expected-Last-Msg-Id chain past a message not yet stored
 * (the id chain cannot tell whose copy made a message the last).
 *
 * Credit: no lease is taken unless the stream has room for it (max-msgs
 * - stored - not yet stored, and the same in bytes for a message of the
 * queue's max_msg_size plus headers); when credit runs out, the stream
 * state is read again, at most every 100 ms.  A full stream thus means
 * no new leases, and the source queue's own policy takes over.
 *
 * The PubAck handler runs in a libnats thread and only marks slots
 * (under x->lock) and wakes the main loop; every kipc call is the main
 * thread's, since leases belong to the thread that took them.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"

#define PUB_WAIT_MS	5000		/* a PubAck later than this: FAILED */
#define CREDIT_POLL_NS	(100 * MSEC)
#define IDLE_MS		100
#define STOP_WAIT_NS	(3000 * MSEC)	/* SIGTERM: PubAcks awaited so long */
#define HDR_MARGIN	64		/* stream bytes per message beyond ours */

enum slot_state { SLOT_PENDING = 1, SLOT_ACKED, SLOT_FAILED, SLOT_HELD };

struct slot {
	uint64_t seq;			/* kipc seq: the lease */
	natsMsg *msg;			/* ours when FAILED or HELD */
	uint64_t bytes;			/* what it costs the stream */
	uint32_t prio;
	enum slot_state state;
	bool duplicate;			/* the PubAck said so */
};

struct exporter {
	struct bridge *b;
	pthread_mutex_t lock;		/* slot states, head, count, closing */
	struct slot *ring;
	unsigned int cap, head, count;
	unsigned int pending;		/* slots PENDING */
	unsigned int failed;		/* slots FAILED */
	bool held;			/* the last slot is HELD */
	bool closing;			/* the handler only frees from now on */
	bool recovering;
	bool published;			/* js_PublishMsgAsync() was called */
	int64_t retry_at;		/* next republish round */
	int64_t retry_ms;		/* its backoff, 100 ms .. 5 s */
	char why[160];			/* the first failure of a round */
	int64_t credit_msgs, credit_bytes;	/* INT64_MAX: no limit */
	int64_t credit_next;		/* next stream state read */
	int64_t max_payload;
	uint64_t max_msg_size;		/* of the queue */
	char *buf;
	char last_id[KIPC_BRIDGE_ID_MAX + 24];	/* of the last published */
	int rq;				/* --reject queue, or -1 */
	char subject[256];
};

static struct slot *slot_at(struct exporter *x, unsigned int i)
{
	return &x->ring[(x->head + i) % x->cap];
}

/* The slot still awaiting the PubAck of kipc seq @seq; under x->lock. */
static struct slot *find_pending(struct exporter *x, uint64_t seq)
{
	unsigned int i;

	for (i = 0; i < x->count; i++) {
		struct slot *s = slot_at(x, i);

		if (s->seq == seq && s->state == SLOT_PENDING)
			return s;
	}
	return NULL;
}

static void on_puback(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
		      void *arg)
{
	struct exporter *x = arg;
	struct slot *s = NULL;
	uint64_t seq;

	(void)js;
	pthread_mutex_lock(&x->lock);
	if (!x->closing && bridge_hdr_u64(msg, "Kipc-Seq", &seq))
		s = find_pending(x, seq);
	if (s) {
		x->pending--;
		if (pa) {
			s->state = SLOT_ACKED;
			s->duplicate = pa->Duplicate;
		} else {
			s->state = SLOT_FAILED;
			s->msg = msg;
			msg = NULL;
			if (!x->failed++ && !x->why[0] && pae)
				snprintf(x->why, sizeof(x->why), "%s",
					 pae->ErrText ? pae->ErrText :
					 natsStatus_GetText(pae->Err));
			atomic_fetch_add(&x->b->st.publish_errors, 1);
		}
	}
	pthread_mutex_unlock(&x->lock);
	natsMsg_Destroy(msg);
	bridge_wake(x->b);
}

/* Is kipc message @k before a slot that is not ACKED yet, in queue
 * order?  Under x->lock.
 */
static bool overtakes(struct exporter *x, const struct kipc_msg *k)
{
	unsigned int i;

	for (i = 0; i < x->count; i++) {
		struct slot *s = slot_at(x, i);

		if (s->state == SLOT_ACKED)
			continue;
		if (k->prio > s->prio || (k->prio == s->prio && k->seq < s->seq))
			return true;
	}
	return false;
}

/* Hand slot @s's message to libnats; on a refusal the slot is FAILED
 * and false is returned.
 */
static bool publish_slot(struct exporter *x, struct slot *s, natsMsg *m)
{
	jsPubOptions po;
	natsStatus st;

	jsPubOptions_Init(&po);
	po.MaxWait = PUB_WAIT_MS;
	pthread_mutex_lock(&x->lock);
	s->state = SLOT_PENDING;
	s->msg = NULL;
	x->pending++;
	pthread_mutex_unlock(&x->lock);

	x->published = true;
	st = js_PublishMsgAsync(x->b->js, &m, &po);
	if (st == NATS_OK)
		return true;
	/* not taken: no PubAck handler call will come for it */
	pthread_mutex_lock(&x->lock);
	x->pending--;
	s->state = SLOT_FAILED;
	s->msg = m;
	if (!x->failed++ && !x->why[0])
		snprintf(x->why, sizeof(x->why), "%s", bridge_nats_err(st));
	pthread_mutex_unlock(&x->lock);
	atomic_fetch_add(&x->b->st.publish_errors, 1);
	return false;
}

/* kipc-ack the ACKED slots at the head of the window, in order. */
static void settle(struct exporter *x)
{
	struct bridge *b = x->b;
	uint64_t seqs[1024];
	unsigned int n = 0, dups = 0;
	int ret;

	pthread_mutex_lock(&x->lock);
	while (x->count && n < ARRAY_SIZE(seqs)) {
		struct slot *s = slot_at(x, 0);

		if (s->state != SLOT_ACKED)
			break;
		seqs[n++] = s->seq;
		dups += s->duplicate;
		x->head = (x->head + 1) % x->cap;
		x->count--;
	}
	pthread_mutex_unlock(&x->lock);
	if (!n)
		return;
	x->retry_ms = 0;
	ret = kipc_ackv(b->q, seqs, n);
	/* A lease that ended (lease timeout, the queue died) has its
	 * message delivered again and republished: the server drops it.
	 */
	if (ret < 0 && ret != -ENOENT && ret != -EPIPE)
		bridge_err(b->o.queue, "kipc ack: %s", strerror(-ret));
	atomic_fetch_add(&b->st.exported, n);
	atomic_fetch_add(&b->st.duplicates, dups);
	atomic_store(&b->st.inflight, x->count);
}

/* Publish every FAILED slot again, in window order, once the backoff
 * since the last round has passed.
 */
static void republish(struct exporter *x)
{
	int64_t now = bridge_now();
	bool first = true;
	unsigned int i;

	if (now < x->retry_at)
		return;
	x->retry_ms = x->retry_ms ? x->retry_ms * 2 : 100;
	if (x->retry_ms > 5000)
		x->retry_ms = 5000;
	x->retry_at = now + x->retry_ms * MSEC;
	pthread_mutex_lock(&x->lock);
	if (x->why[0])
		bridge_err("publish", "%s: republishing %u messages", x->why,
			   x->failed);
	x->why[0] = 0;
	pthread_mutex_unlock(&x->lock);

	for (i = 0; i < x->count; i++) {
		struct slot *s = slot_at(x, i);
		natsMsg *m;

		pthread_mutex_lock(&x->lock);
		m = s->state == SLOT_FAILED ? s->msg : NULL;
		if (m)
			x->failed--;
		pthread_mutex_unlock(&x->lock);
		if (!m)
			continue;
		/* Everything before the first FAILED slot is stored, and a
		 * restarted server may not know its last Nats-Msg-Id: the
		 * round's first message expects nothing, the rest expect
		 * their predecessor, sent just before them.
		 */
		if (first)
			natsMsgHeader_Delete(m, "Nats-Expected-Last-Msg-Id");
		first = false;
		if (!publish_slot(x, s, m))
			return;		/* still refused: try again later */
	}
	x->recovering = false;
}

/* Room in the stream for one more message of the largest size? */
static bool have_credit(struct exporter *x)
{
	int64_t need = x->max_msg_size + 1024;
	uint64_t msgs, bytes, unstored = 0, unstored_bytes = 0;
	int64_t max_msgs, max_bytes, now;
	unsigned int i;

	if (x->credit_msgs > 0 && x->credit_bytes >= need)
		return true;
	now = bridge_now();
	if (now < x->credit_next)
		return false;
	x->credit_next = now + CREDIT_POLL_NS;
	if (bridge_stream_state(x->b, &msgs, &bytes, &max_msgs, &max_bytes))
		return false;
	pthread_mutex_lock(&x->lock);
	for (i = 0; i < x->count; i++) {
		struct slot *s = slot_at(x, i);

		if (s->state != SLOT_ACKED) {
			unstored++;
			unstored_bytes += s->bytes;
		}
	}
	pthread_mutex_unlock(&x->lock);
	x->credit_msgs = max_msgs <= 0 ? INT64_MAX :
			 max_msgs - (int64_t)(msgs + unstored);
	x->credit_bytes = max_bytes <= 0 ? INT64_MAX :
			  max_bytes - (int64_t)(bytes + unstored_bytes);
	return x->credit_msgs > 0 && x->credit_bytes >= need;
}

static int add_header(natsMsg *m, const char *key, const char *val,
		      size_t *hdr_len)
{
	*hdr_len += strlen(key) + strlen(val) + 4;	/* ": " and CRLF */
	return natsMsgHeader_Set(m, key, val) == NATS_OK ? 0 : -1;
}

static int add_num(natsMsg *m, const char *key, uint64_t v, size_t *hdr_len)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	return add_header(m, key, s, hdr_len);
}

/* The JetStream message of a leased kipc message, its Nats-Msg-Id in @id
 * and its header length (wire format) in *hdr_len.  It expects the
 * message published before it to be the stream's last: when a
 * connection dies, libnats may send what it still had buffered on the
 * next one, and those messages would overtake the ones lost with the
 * old connection; the server refuses them instead, and the republish
 * sends them again in order.
 */
static natsMsg *make_msg(struct exporter *x, const struct kipc_msg *k,
			 size_t len, char *id, size_t *hdr_len)
{
	struct bridge *b = x->b;
	natsMsg *m = NULL;
	int err = 0;

	if (natsMsg_Create(&m, x->subject, NULL, x->buf, len) != NATS_OK)
		return NULL;
	*hdr_len = 12;					/* NATS/1.0 and CRLFs */
	snprintf(id, sizeof(x->last_id), "%s-%" PRIu64, b->o.id, k->seq);
	err |= add_header(m, "Nats-Msg-Id", id, hdr_len);
	if (x->last_id[0])
		err |= add_header(m, "Nats-Expected-Last-Msg-Id", x->last_id,
				  hdr_len);
	err |= add_num(m, "Kipc-Type", k->type, hdr_len);
	err |= add_num(m, "Kipc-Prio", k->prio, hdr_len);
	err |= add_num(m, "Kipc-Pid", k->pid < 0 ? 0 : k->pid, hdr_len);
	err |= add_num(m, "Kipc-Uid", k->uid, hdr_len);
	err |= add_header(m, "Kipc-Host", b->o.host, hdr_len);
	err |= add_num(m, "Kipc-Seq", k->seq, hdr_len);
	err |= add_header(m, "Kipc-Bridge", b->o.id, hdr_len);
	if (err) {
		natsMsg_Destroy(m);
		return NULL;
	}
	return m;
}

/* Too large for the server: to --reject and acked, or nacked. */
static void reject(struct exporter *x, const struct kipc_msg *k, size_t len,
		   size_t total)
{
	struct bridge *b = x->b;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "seq %" PRIu64, k->seq);
	bridge_err(what, "%zu bytes > server max_payload %" PRId64 ": rejected",
		   total, x->max_payload);
	atomic_fetch_add(&b->st.rejected, 1);
	if (x->rq >= 0) {
		ret = kipc_send(x->rq, k->type, k->prio, x->buf, len, 0);
		if (ret >= 0) {
			kipc_ack(b->q, k->seq);
			return;
		}
		bridge_err(b->o.reject, "cannot send the rejected seq %" PRIu64
			   ": %s", k->seq, strerror(-ret));
	}
	kipc_nack(b->q, k->seq);
	/* back at the head of the queue: do not lease it again at once */
	bridge_poll_signal(b, IDLE_MS);
}

/* Lease and publish one message; 1 when one was taken, 0 when none was
 * there, -1 when the queue is gone.
 */
static int lease_one(struct exporter *x, int64_t timeout_ns)
{
	struct bridge *b = x->b;
	char id[sizeof(x->last_id)];
	struct kipc_msg k;
	size_t hdr_len = 0;
	struct slot *s;
	natsMsg *m;
	ssize_t n;
	bool held;

	memset(&k, 0, sizeof(k));
	n = kipc_recv_leased(b->q, NULL, x->buf, x->max_msg_size, &k,
			     timeout_ns);
	if (n == -EAGAIN || n == -ETIMEDOUT || n == -EINTR)
		return 0;
	if (n == -EPIPE)
		return -1;
	if (n < 0) {
		bridge_err(b->o.queue, "leased receive: %s", strerror(-n));
		bridge_poll_signal(b, IDLE_MS);
		return 0;
	}

	m = make_msg(x, &k, n, id, &hdr_len);
	if (!m) {
		bridge_err(b->o.queue, "seq %" PRIu64 ": no memory for the message",
			   k.seq);
		kipc_nack(b->q, k.seq);
		bridge_poll_signal(b, IDLE_MS);
		return 0;
	}
	if ((int64_t)(n + hdr_len) > x->max_payload) {
		natsMsg_Destroy(m);
		reject(x, &k, n, n + hdr_len);
		return 1;
	}
	memcpy(x->last_id, id, sizeof(x->last_id));

	pthread_mutex_lock(&x->lock);
	held = overtakes(x, &k);
	s = slot_at(x, x->count);
	memset(s, 0, sizeof(*s));
	s->seq = k.seq;
	s->prio = k.prio;
	s->bytes = n + hdr_len + strlen(x->subject) + HDR_MARGIN;
	if (held) {
		s->state = SLOT_HELD;
		s->msg = m;
		x->held = true;
	}
	x->count++;
	pthread_mutex_unlock(&x->lock);
	x->credit_msgs--;
	x->credit_bytes -= s->bytes;
	atomic_store(&b->st.inflight, x->count);
	if (held)
		atomic_fetch_add(&b->st.held, 1);
	else
		publish_slot(x, s, m);
	return 1;
}

/* Publish the HELD slot (the last) once every slot before it is ACKED;
 * false while it must wait.
 */
static bool release_held(struct exporter *x)
{
	struct slot *s = slot_at(x, x->count - 1);
	bool wait;

	pthread_mutex_lock(&x->lock);
	wait = x->pending || x->failed;
	pthread_mutex_unlock(&x->lock);
	if (wait)
		return false;
	x->held = false;
	publish_slot(x, s, s->msg);
	return true;
}

/* Wait for a PubAck, a signal or a message in the queue. */
static void wait_event(struct exporter *x, bool want_queue)
{
	struct bridge *b = x->b;
	struct pollfd pfd[3] = {
		{ .fd = b->sigfd, .events = POLLIN },
		{ .fd = b->evfd, .events = POLLIN },
		{ .fd = want_queue ? b->q : -1, .events = POLLIN },
	};

	if (poll(pfd, 3, IDLE_MS) > 0 && (pfd[0].revents & POLLIN))
		bridge_poll_signal(b, 0);
	bridge_drain_wake(b);
}

static void update_lag(struct exporter *x)
{
	struct kipc_queue_stat st;

	if (kipc_queue_stat(x->b->q, &st) == 0)
		atomic_store(&x->b->st.lag, st.depth_msgs + x->count);
}

/* The main loop; returns when a signal came (0), the queue died (-1) or
 * the server refused a permission (-2, reported).
 */
static int run(struct exporter *x)
{
	struct bridge *b = x->b;
	int64_t now;
	int ret;

	for (;;) {
		now = bridge_now();
		if (b->o.stats && now >= b->stats_next)
			update_lag(x);
		bridge_stats_tick(b, false);
		if (bridge_poll_signal(b, 0))
			return 0;
		if (bridge_fatal(b))
			return -2;
		settle(x);

		if (x->failed || !atomic_load(&b->st.connected))
			x->recovering = true;
		if (x->recovering) {
			if (!x->pending && atomic_load(&b->st.connected))
				republish(x);
			if (x->recovering) {
				wait_event(x, false);
				continue;
			}
		}
		if (x->held && !release_held(x)) {
			wait_event(x, false);
			continue;
		}
		if (x->count >= x->cap || !have_credit(x)) {
			wait_event(x, false);
			continue;
		}
		/* Nothing in flight: block in the kernel (bounded, for the
		 * signals and the stats); else take what is there and go
		 * back to the PubAcks.
		 */
		ret = lease_one(x, x->count ? 0 : IDLE_MS * MSEC);
		if (ret < 0)
			return -1;
		if (!ret && x->count)
			wait_event(x, true);
	}
}

/* SIGTERM: let the PubAcks in flight come (bounded), then give back every
 * lease still open.
 */
static void shutdown_window(struct exporter *x)
{
	struct bridge *b = x->b;
	int64_t end = bridge_now() + STOP_WAIT_NS;
	natsMsgList pending;
	unsigned int i;

	while (x->pending && atomic_load(&b->st.connected) &&
	       bridge_now() < end) {
		settle(x);
		wait_event(x, false);
	}
	settle(x);

	pthread_mutex_lock(&x->lock);
	x->closing = true;
	pthread_mutex_unlock(&x->lock);
	/* libnats 3.4.1 crashes here when nothing was ever published */
	if (b->js && x->published &&
	    js_PublishAsyncGetPendingList(&pending, b->js) == NATS_OK)
		natsMsgList_Destroy(&pending);
	for (i = 0; i < x->count; i++) {
		struct slot *s = slot_at(x, i);

		/* ACKED but behind an unacked one: stored, so ack it */
		if (s->state == SLOT_ACKED)
			kipc_ack(b->q, s->seq);
		else
			kipc_nack(b->q, s->seq);
		natsMsg_Destroy(s->msg);
		s->msg = NULL;
	}
	x->count = 0;
	atomic_store(&b->st.inflight, 0);
	kipc_lease_release(b->q);
}

static int exporter_init(struct exporter *x, struct bridge *b)
{
	struct kipc_queue_stat st;
	int ret;

	memset(x, 0, sizeof(*x));
	x->b = b;
	x->rq = -1;
	pthread_mutex_init(&x->lock, NULL);
	if (bridge_open_queue(b, b->o.queue, KIPC_RDONLY, &b->q))
		return -1;
	ret = kipc_queue_stat(b->q, &st);
	if (ret < 0) {
		bridge_err(b->o.queue, "kipc_queue_stat: %s", strerror(-ret));
		return -1;
	}
	x->max_msg_size = st.max_msg_size;
	if (b->o.reject && bridge_open_queue(b, b->o.reject, KIPC_WRONLY, &x->rq))
		return -1;
	snprintf(x->subject, sizeof(x->subject), "%s", b->o.subject);
	x->cap = b->o.window;
	x->ring = calloc(x->cap, sizeof(*x->ring));
	x->buf = malloc(x->max_msg_size ? x->max_msg_size : 1);
	if (!x->ring || !x->buf) {
		bridge_err(b->o.queue, "no memory for a window of %u", x->cap);
		return -1;
	}
	return 0;
}

static void exporter_free(struct exporter *x)
{
	if (x->rq >= 0)
		close(x->rq);
	free(x->ring);
	free(x->buf);
	pthread_mutex_destroy(&x->lock);
}

int bridge_export(struct bridge *b)
{
	struct exporter x;
	int ret = 1;

	if (exporter_init(&x, b))
		goto out;
	b->ack_handler = on_puback;
	b->ack_closure = &x;
	ret = bridge_connect(b);
	if (ret) {
		ret = ret > 0 ? 0 : 1;
		goto out;
	}
	ret = 1;
	if (bridge_stream_setup(b))
		goto out;
	x.max_payload = natsConnection_GetMaxPayload(b->nc);

	ret = run(&x);
	shutdown_window(&x);
	if (ret == -1)
		bridge_err(b->o.queue, "the queue was shut down or its owner died");
	ret = ret ? 1 : 0;
out:
	update_lag(&x);
	bridge_stats_tick(b, true);
	/* no PubAck handler may run once x is gone */
	bridge_disconnect(b);
	exporter_free(&x);
	return ret;
}
