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
	uint32_t access;	/* the handle's KIPC_RDONLY | KIPC_WRONLY */
	uint32_t id;		/* the region's id */
	uint64_t gen;		/* unique per kipc_region_map() call */
};

/* 1 and *@m filled if @fd has a recorded mapping, else 0. */
int kipc__region_lookup(int fd, struct kipc__mapping *m);

/* KIPC_IOC_REGION_INFO on @r into @ri; 0 or -errno. */
int kipc__region_info(int r, struct kipc_region_info *ri);

/*
 * The calling thread's thread handle for region handle @r (thread.c):
 * its fd, and its lock token in *@token; made on first use.  @m is @r's
 * recorded mapping or NULL.  Returns the fd or -errno.
 */
int kipc__thread_handle(int r, const struct kipc__mapping *m,
			uint32_t *token);

/* Drop the calling thread's handle for @r, if any (kipc_region_unmap). */
void kipc__thread_forget(int r);

#endif /* LIBKIPC_REGION_H */
