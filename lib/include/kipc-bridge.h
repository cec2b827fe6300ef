/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * kipc-bridge.h - what kipc-bridge(8) puts in front of a payload.
 *
 * `kipc-bridge import --origin` prefixes every message it sends into the
 * local queue with this header, so that a receiver learns where the
 * message came from: the exporting bridge's id, the host, and the
 * sender's pid, uid and the kipc sequence number in the source queue.
 * The original payload follows at offset hdr_len.  (bridge, seq) names a
 * message uniquely: a receiver that remembers the last seq seen per
 * bridge id drops the duplicates an importer crash can cause
 * (docs/bridge.md).  Numbers are in the host's byte order; strings are
 * NUL-padded and always NUL-terminated.
 */
#ifndef LIBKIPC_KIPC_BRIDGE_H
#define LIBKIPC_KIPC_BRIDGE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KIPC_BRIDGE_ORIGIN_MAGIC	0x6b627231U	/* "kbr1" */
#define KIPC_BRIDGE_ORIGIN_VERSION	1
#define KIPC_BRIDGE_HOST_MAX		64
#define KIPC_BRIDGE_ID_MAX		128

struct kipc_bridge_origin {
	uint32_t magic;			/* KIPC_BRIDGE_ORIGIN_MAGIC */
	uint16_t version;		/* KIPC_BRIDGE_ORIGIN_VERSION */
	uint16_t hdr_len;		/* the payload starts here */
	uint64_t seq;			/* kipc seq in the source queue */
	int32_t pid;			/* sender, in its pid namespace */
	uint32_t uid;			/* sender */
	char host[KIPC_BRIDGE_HOST_MAX];	/* exporting host */
	char bridge[KIPC_BRIDGE_ID_MAX];	/* exporter's --id */
};

#ifdef __cplusplus
}
#endif

#endif /* LIBKIPC_KIPC_BRIDGE_H */
