// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bridge - struct kipc_bridge_origin (<kipc-bridge.h>), the header
 * `import --origin` puts in front of each payload, filled from the
 * message's Kipc-* headers.
 */
#include <string.h>

#include "bridge.h"

static void copy_str(char *dst, size_t size, natsMsg *m, const char *key)
{
	const char *v = NULL;

	memset(dst, 0, size);
	if (natsMsgHeader_Get(m, key, &v) == NATS_OK && v)
		strncpy(dst, v, size - 1);
}

void bridge_origin_fill(struct kipc_bridge_origin *or, natsMsg *m,
			uint64_t seq)
{
	uint64_t v;

	memset(or, 0, sizeof(*or));
	or->magic = KIPC_BRIDGE_ORIGIN_MAGIC;
	or->version = KIPC_BRIDGE_ORIGIN_VERSION;
	or->hdr_len = sizeof(*or);
	or->seq = seq;
	if (bridge_hdr_u64(m, "Kipc-Pid", &v))
		or->pid = (int32_t)v;
	if (bridge_hdr_u64(m, "Kipc-Uid", &v))
		or->uid = (uint32_t)v;
	copy_str(or->host, sizeof(or->host), m, "Kipc-Host");
	copy_str(or->bridge, sizeof(or->bridge), m, "Kipc-Bridge");
}
