// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bridge - the command line (docs/bridge.md, kipc-bridge(8)).
 *
 * bridge_parse() fills struct bridge_opts with the defaults the
 * interface fixes and returns 0, or prints what is wrong and the usage
 * and returns 2 (the exit status of bad usage).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"

static const char usage[] =
"usage: kipc-bridge export QUEUE --server URL[,URL...] --stream STREAM\n"
"           [--subject SUBJ] [--id ID] [--window N] [--max-msgs N]\n"
"           [--max-bytes N] [--replicas N] [--connect-retries N]\n"
"           [--stats PATH] [--reject QUEUE]\n"
"       kipc-bridge import QUEUE --server URL[,URL...] --stream STREAM\n"
"           --durable NAME [--subject SUBJ] [--batch N] [--origin]\n"
"           [--connect-retries N] [--stats PATH]\n";

enum {
	OPT_SERVER = 1, OPT_STREAM, OPT_SUBJECT, OPT_ID, OPT_WINDOW,
	OPT_MAX_MSGS, OPT_MAX_BYTES, OPT_REPLICAS, OPT_RETRIES, OPT_STATS,
	OPT_REJECT, OPT_DURABLE, OPT_BATCH, OPT_ORIGIN, OPT_HELP,
};

static const struct option longopts[] = {
	{ "server",		required_argument, NULL, OPT_SERVER },
	{ "stream",		required_argument, NULL, OPT_STREAM },
	{ "subject",		required_argument, NULL, OPT_SUBJECT },
	{ "id",			required_argument, NULL, OPT_ID },
	{ "window",		required_argument, NULL, OPT_WINDOW },
	{ "max-msgs",		required_argument, NULL, OPT_MAX_MSGS },
	{ "max-bytes",		required_argument, NULL, OPT_MAX_BYTES },
	{ "replicas",		required_argument, NULL, OPT_REPLICAS },
	{ "connect-retries",	required_argument, NULL, OPT_RETRIES },
	{ "stats",		required_argument, NULL, OPT_STATS },
	{ "reject",		required_argument, NULL, OPT_REJECT },
	{ "durable",		required_argument, NULL, OPT_DURABLE },
	{ "batch",		required_argument, NULL, OPT_BATCH },
	{ "origin",		no_argument,	   NULL, OPT_ORIGIN },
	{ "help",		no_argument,	   NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "kipc-bridge: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

/* A decimal in [min, max] into *v; false otherwise. */
static bool num(const char *s, long long min, long long max, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return !errno && end != s && !*end && *v >= min && *v <= max;
}

/* Options that belong to one direction only. */
static bool export_only(int c)
{
	return c == OPT_ID || c == OPT_WINDOW || c == OPT_MAX_MSGS ||
	       c == OPT_MAX_BYTES || c == OPT_REPLICAS || c == OPT_REJECT;
}

static bool import_only(int c)
{
	return c == OPT_DURABLE || c == OPT_BATCH || c == OPT_ORIGIN;
}

int bridge_parse(struct bridge_opts *o, int argc, char **argv)
{
	long long v;
	int c, idx;

	memset(o, 0, sizeof(*o));
	o->window = 256;
	o->batch = 64;
	o->max_msgs = 10000;
	o->max_bytes = 64LL << 20;
	o->replicas = 1;
	o->connect_retries = -1;

	if (argc < 2)
		return bad("%s", "no direction: export or import");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		exit(0);
	}
	if (!strcmp(argv[1], "export"))
		o->mode = BRIDGE_EXPORT;
	else if (!strcmp(argv[1], "import"))
		o->mode = BRIDGE_IMPORT;
	else
		return bad("unknown direction '%s' (export or import)", argv[1]);

	argc--;
	argv++;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (c == '?' || c == ':')
			return bad("bad option or missing argument: %s",
				   argv[optind - 1]);
		if ((o->mode == BRIDGE_EXPORT && import_only(c)) ||
		    (o->mode == BRIDGE_IMPORT && export_only(c)))
			return bad("--%s does not apply to this direction",
				   longopts[idx].name);
		switch (c) {
		case OPT_SERVER:
			o->servers = optarg;
			break;
		case OPT_STREAM:
			o->stream = optarg;
			break;
		case OPT_SUBJECT:
			o->subject = optarg;
			break;
		case OPT_ID:
			o->id = optarg;
			break;
		case OPT_DURABLE:
			o->durable = optarg;
			break;
		case OPT_STATS:
			o->stats = optarg;
			break;
		case OPT_REJECT:
			o->reject = optarg;
			break;
		case OPT_ORIGIN:
			o->origin = true;
			break;
		case OPT_WINDOW:
			if (!num(optarg, 1, 65536, &v))
				return bad("--window %s: not 1..65536", optarg);
			o->window = v;
			break;
		case OPT_BATCH:
			if (!num(optarg, 1, 4096, &v))
				return bad("--batch %s: not 1..4096", optarg);
			o->batch = v;
			break;
		case OPT_MAX_MSGS:
			if (!num(optarg, 1, INT64_MAX, &v))
				return bad("--max-msgs %s: not a count >= 1", optarg);
			o->max_msgs = v;
			break;
		case OPT_MAX_BYTES:
			if (!num(optarg, 1, INT64_MAX, &v))
				return bad("--max-bytes %s: not a size >= 1", optarg);
			o->max_bytes = v;
			break;
		case OPT_REPLICAS:
			if (!num(optarg, 1, 5, &v))
				return bad("--replicas %s: not 1..5", optarg);
			o->replicas = v;
			break;
		case OPT_RETRIES:
			if (!num(optarg, -1, INT_MAX, &v))
				return bad("--connect-retries %s: not -1 or more",
					   optarg);
			o->connect_retries = v;
			break;
		default:
			fputs(usage, stdout);
			exit(0);
		}
	}
	if (optind != argc - 1)
		return bad("%s", optind >= argc ? "no QUEUE" :
			   "more than one QUEUE");
	o->queue = argv[optind];
	if (!o->servers)
		return bad("%s", "--server is required");
	if (!o->stream)
		return bad("%s", "--stream is required");
	if (o->mode == BRIDGE_IMPORT && !o->durable)
		return bad("%s", "import needs --durable NAME");

	if (gethostname(o->host, sizeof(o->host) - 1) < 0 || !o->host[0])
		strcpy(o->host, "localhost");
	if (!o->subject) {
		if (snprintf(o->subject_buf, sizeof(o->subject_buf), "kipc.%s",
			     o->queue) >= (int)sizeof(o->subject_buf))
			return bad("queue name too long: %s", o->queue);
		o->subject = o->subject_buf;
	}
	if (!o->id) {
		if (snprintf(o->id_buf, sizeof(o->id_buf), "%s.%s", o->host,
			     o->queue) >= (int)sizeof(o->id_buf))
			return bad("--id %s", "HOST.QUEUE too long: give --id");
		o->id = o->id_buf;
	} else if (strlen(o->id) >= KIPC_BRIDGE_ID_MAX) {
		return bad("--id %s: too long", o->id);
	}
	return 0;
}
