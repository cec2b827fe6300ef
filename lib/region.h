/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libkipc private: the table of region mappings that region.c keeps for
 * the lock fast path in lock.c.
 */
#ifndef LIBKIPC_REGION_H
#define LIBKIPC_REGION_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kipc.h>

/* What kipc_region_map() recorded for an fd. */
struct kipc__mapping {
	unsigned char *base;
	size_t size;
	uint32_t token;	/* 0: no write access, no fast path */
};

/* 1 and *@m filled if @fd has a recorded mapping, else 0. */
int kipc__region_lookup(int fd, struct kipc__mapping *m);

/* KIPC_IOC_REGION_INFO on @r into @ri; 0 or -errno. */
int kipc__region_info(int r, struct kipc_region_info *ri);

#endif /* LIBKIPC_REGION_H */
