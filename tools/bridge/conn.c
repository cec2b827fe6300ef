// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bridge - the NATS connection.
 *
 * The first connect is tried --connect-retries times (-1: forever, for
 * systemd), with the same backoff as a reconnect, and a SIGTERM ends the
 * wait.  Once connected, libnats reconnects forever: the delay doubles
 * from 100 ms to 5 s, with up to a quarter of jitter.  A dead server is
 * noticed by pings (every second, three missed) rather than TCP's own
 * timeouts.  The callbacks only flip b->st.connected and wake the main
 * loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define MAX_SERVERS	16

static int64_t backoff_ms(int attempt)
{
	int64_t d = BACKOFF_MIN_MS;

	while (attempt-- > 1 && d < BACKOFF_MAX_MS)
		d *= 2;
	if (d > BACKOFF_MAX_MS)
		d = BACKOFF_MAX_MS;
	return d - d / 4 + random() % (d / 4 + 1);
}

static int64_t reconnect_delay(natsConnection *nc, int attempts, void *arg)
{
	(void)nc;
	(void)arg;
	return backoff_ms(attempts);
}

static void on_disconnected(natsConnection *nc, void *arg)
{
	struct bridge *b = arg;

	(void)nc;
	atomic_store(&b->st.connected, false);
	bridge_wake(b);
}

static void on_reconnected(natsConnection *nc, void *arg)
{
	struct bridge *b = arg;

	(void)nc;
	atomic_fetch_add(&b->st.reconnects, 1);
	atomic_store(&b->st.connected, true);
	bridge_wake(b);
}

/* Async errors.  A permission the server refuses (to publish on the
 * subject, to use the consumer) cannot get better: the main loop ends
 * with it (bridge_fatal()).  Others (a slow consumer) are one line each.
 */
static void on_error(natsConnection *nc, natsSubscription *sub,
		     natsStatus err, void *arg)
{
	struct bridge *b = arg;
	const char *t = NULL;
	char text[256];

	(void)sub;
	if (natsConnection_GetLastError(nc, &t) != err || !t || !*t)
		t = natsStatus_GetText(err);
	snprintf(text, sizeof(text), "%s", t);
	if (err == NATS_NOT_PERMITTED) {
		if (!atomic_load(&b->fatal)) {
			snprintf(b->fatal_why, sizeof(b->fatal_why), "%s", text);
			atomic_store(&b->fatal, true);
		}
		bridge_wake(b);
		return;
	}
	fprintf(stderr, "kipc-bridge: nats: %s\n", text);
}

/* The server refused a permission: report it (once) and say so. */
bool bridge_fatal(struct bridge *b)
{
	static bool reported;

	if (!atomic_load(&b->fatal))
		return false;
	if (!reported)
		bridge_err("permission refused", "%s", b->fatal_why);
	reported = true;
	return true;
}

/* --server as error messages show it: user:password@ becomes ***@. */
static void redact(struct bridge_opts *o)
{
	char *d = o->servers_shown, *end = d + sizeof(o->servers_shown) - 1;
	const char *p = o->servers;

	while (*p && d < end) {
		const char *scheme = strstr(p, "://");
		const char *stop = strchr(p, ',');
		const char *at;

		if (!stop)
			stop = p + strlen(p);
		at = memchr(p, '@', stop - p);
		if (at) {
			const char *host = scheme && scheme < at ? scheme + 3 : p;

			while (p < host && d < end)
				*d++ = *p++;
			d += snprintf(d, end - d + 1, "***");
			if (d > end)
				d = end;
			p = at;
		}
		while (p < stop && d < end)
			*d++ = *p++;
		if (*p == ',' && d < end)
			*d++ = *p++;
	}
	*d = 0;
}

static int set_options(struct bridge *b)
{
	const char *urls[MAX_SERVERS];
	char *list, *tok, *save;
	natsStatus s;
	int n = 0;

	redact(&b->o);
	list = strdup(b->o.servers);
	if (!list) {
		bridge_err("--server", "out of memory");
		return -1;
	}
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_SERVERS) {
			bridge_err("--server", "more than %d URLs", MAX_SERVERS);
			free(list);
			return -1;
		}
		urls[n++] = tok;
	}
	if (!n) {
		bridge_err("--server", "no URL");
		free(list);
		return -1;
	}

	s = natsOptions_Create(&b->nopts);
	if (s == NATS_OK)
		s = natsOptions_SetServers(b->nopts, urls, n);
	if (s != NATS_OK) {
		free(list);
		bridge_err(b->o.servers_shown, "bad server URL: %s",
			   bridge_nats_err(s));
		return -1;
	}
	free(list);
	s = natsOptions_SetName(b->nopts, b->o.mode == BRIDGE_EXPORT ?
				b->o.id : b->o.durable);
	if (s == NATS_OK)
		s = natsOptions_SetNoRandomize(b->nopts, true);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(b->nopts, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetPingInterval(b->nopts, 1000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxPingsOut(b->nopts, 3);
	if (s == NATS_OK)
		s = natsOptions_SetAllowReconnect(b->nopts, true);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(b->nopts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetCustomReconnectDelay(b->nopts,
							reconnect_delay, b);
	/* Nothing is kept for a reconnect: a publish while disconnected
	 * fails at once (and is republished in order) instead of leaving
	 * after the reconnect ahead of the lost ones it followed.
	 */
	if (s == NATS_OK)
		s = natsOptions_SetReconnectBufSize(b->nopts, 1);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(b->nopts, on_disconnected, b);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(b->nopts, on_reconnected, b);
	if (s == NATS_OK)
		s = natsOptions_SetErrorHandler(b->nopts, on_error, b);
	if (s != NATS_OK) {
		bridge_err("nats options", "%s", bridge_nats_err(s));
		return -1;
	}
	return 0;
}

/* A refusal no retry can cure. */
static bool fatal_status(natsStatus s)
{
	return s == NATS_INVALID_ARG || s == NATS_NOT_PERMITTED ||
	       s == NATS_CONNECTION_AUTH_FAILED || s == NATS_SECURE_CONNECTION_REQUIRED ||
	       s == NATS_PROTOCOL_ERROR;
}

int bridge_connect(struct bridge *b)
{
	jsOptions jo;
	natsStatus s;
	long attempts = b->o.connect_retries;
	long n = 0;

	if (set_options(b))
		return -1;
	if (attempts == 0)
		attempts = 1;
	for (;;) {
		s = natsConnection_Connect(&b->nc, b->nopts);
		if (s == NATS_OK)
			break;
		n++;
		if (s == NATS_INVALID_ARG) {
			bridge_err(b->o.servers_shown, "bad server URL: %s",
				   bridge_nats_err(s));
			return -1;
		}
		if (fatal_status(s) || (attempts > 0 && n >= attempts)) {
			if (fatal_status(s))
				bridge_err(b->o.servers_shown, "connection refused: %s",
					   bridge_nats_err(s));
			else
				bridge_err(b->o.servers_shown,
					   "cannot connect after %ld attempt%s: %s",
					   n, n == 1 ? "" : "s", bridge_nats_err(s));
			return -1;
		}
		if (bridge_poll_signal(b, backoff_ms(n)))
			return 1;
	}
	atomic_store(&b->st.connected, true);

	jsOptions_Init(&jo);
	jo.Wait = 5000;
	jo.PublishAsync.MaxPending = b->o.window;
	jo.PublishAsync.AckHandler = b->ack_handler;
	jo.PublishAsync.AckHandlerClosure = b->ack_closure;
	s = natsConnection_JetStream(&b->js, b->nc, &jo);
	if (s != NATS_OK) {
		bridge_err("jetstream", "%s", bridge_nats_err(s));
		return -1;
	}
	return 0;
}

void bridge_disconnect(struct bridge *b)
{
	if (b->js)
		jsCtx_Destroy(b->js);
	b->js = NULL;
	if (b->nc) {
		natsConnection_Close(b->nc);
		natsConnection_Destroy(b->nc);
	}
	b->nc = NULL;
	if (b->nopts)
		natsOptions_Destroy(b->nopts);
	b->nopts = NULL;
	atomic_store(&b->st.connected, false);
}
