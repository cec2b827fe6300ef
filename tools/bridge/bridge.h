/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc-bridge - one kipc queue across machines over NATS JetStream.
 *
 * main.c runs one direction: export.c (leased receive -> async JetStream
 * publish -> kipc ack on the PubAck) or import.c (pull consumer ->
 * local send -> JetStream ack).  conn.c connects and reconnects,
 * stream.c creates or checks the stream and reads its state (the
 * exporter's credit), stats.c writes --stats, origin.c fills the
 * --origin header.  Every fatal error is one line on stderr,
 * "kipc-bridge: <what>: <why>", and exit status 1; bad usage is 2.
 */
#ifndef KIPC_BRIDGE_H
#define KIPC_BRIDGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <nats/nats.h>

#include <kipc.h>
#include <kipc-bridge.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MSEC		1000000LL	/* nanoseconds in a millisecond */

enum bridge_mode { BRIDGE_EXPORT = 1, BRIDGE_IMPORT };

struct bridge_opts {
	enum bridge_mode mode;
	const char *queue;
	const char *servers;		/* URL[,URL...] */
	const char *stream;
	const char *subject;		/* default kipc.QUEUE */
	const char *id;			/* export: default HOST.QUEUE */
	const char *durable;		/* import */
	const char *stats;		/* --stats PATH, or NULL */
	const char *reject;		/* export: --reject QUEUE, or NULL */
	unsigned int window;		/* export: PubAcks outstanding */
	unsigned int batch;		/* import: fetch size */
	int64_t max_msgs;
	int64_t max_bytes;
	int replicas;
	long connect_retries;		/* -1: forever */
	bool origin;			/* import: prefix kipc_bridge_origin */
	char host[KIPC_BRIDGE_HOST_MAX];
	char subject_buf[256];
	char id_buf[KIPC_BRIDGE_ID_MAX];
	char servers_shown[512];	/* --server without user:password */
};

/* The --stats counters; the NATS callbacks touch some, hence atomics. */
struct bridge_stats {
	_Atomic uint64_t exported;
	_Atomic uint64_t imported;
	_Atomic uint64_t inflight;
	_Atomic uint64_t redelivered;
	_Atomic uint64_t publish_errors;
	_Atomic uint64_t held;		/* export: waited to keep queue order */
	_Atomic uint64_t stale;		/* import: pending that never comes */
	_Atomic uint64_t duplicates;
	_Atomic uint64_t rejected;
	_Atomic uint64_t reconnects;
	_Atomic uint64_t lag;
	_Atomic bool connected;
};

struct bridge {
	struct bridge_opts o;
	struct bridge_stats st;
	natsOptions *nopts;
	natsConnection *nc;
	jsCtx *js;
	int q;				/* the kipc queue */
	int sigfd;			/* SIGTERM, SIGINT */
	int evfd;			/* NATS callbacks wake the main loop */
	bool stop;			/* a signal came */
	_Atomic bool fatal;		/* the server refused a permission */
	char fatal_why[256];		/* set before fatal */
	int64_t stats_next;		/* CLOCK_MONOTONIC ns */
	/* export only: jsOptions.PublishAsync.AckHandler and its closure */
	jsPubAckHandler ack_handler;
	void *ack_closure;
};

/* cli.c */
int bridge_parse(struct bridge_opts *o, int argc, char **argv);

/* main.c */
void bridge_err(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *bridge_nats_err(natsStatus s);
int64_t bridge_now(void);
bool bridge_poll_signal(struct bridge *b, int timeout_ms);
void bridge_wake(struct bridge *b);
void bridge_drain_wake(struct bridge *b);
int bridge_open_queue(struct bridge *b, const char *name, int flags, int *fd);

/* conn.c: 0 connected, 1 stopped by a signal, -1 failed (reported). */
int bridge_connect(struct bridge *b);
bool bridge_fatal(struct bridge *b);
void bridge_disconnect(struct bridge *b);

/* stream.c */
int bridge_stream_setup(struct bridge *b);
int bridge_stream_check(struct bridge *b);
int bridge_stream_state(struct bridge *b, uint64_t *msgs, uint64_t *bytes,
			int64_t *max_msgs, int64_t *max_bytes);

/* stats.c */
void bridge_stats_tick(struct bridge *b, bool force);

/* origin.c */
void bridge_origin_fill(struct kipc_bridge_origin *or, natsMsg *m,
			uint64_t seq);

/* export.c, import.c: the exit status */
int bridge_export(struct bridge *b);
int bridge_import(struct bridge *b);

/* Read a decimal header; false when it is missing or not a number. */
bool bridge_hdr_u64(natsMsg *m, const char *key, uint64_t *v);

#endif /* KIPC_BRIDGE_H */
