/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A few generic netlink requests to the kipc family without libnl, for
 * tests that need them in a forked child or under fault injection (the
 * fewer allocations userspace makes the better): GET_MODULE's charge of
 * the caller's uid, an object dump and an event subscription.
 */
#ifndef KIPC_NLRAW_H
#define KIPC_NLRAW_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/kipc_netlink.h>

struct nlr {
	int fd;
	uint16_t family;
	uint32_t seq;
};

#define NLR_BUF		32768
#define NLR_ALIGN(n)	(((n) + 3U) & ~3U)

struct nlr_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

static inline int nlr_send(struct nlr *n, uint16_t type, uint8_t cmd,
			   uint16_t flags, uint16_t attr, const char *str)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlr_req req;
	size_t len = NLMSG_LENGTH(GENL_HDRLEN);

	memset(&req, 0, sizeof(req));
	if (str) {
		struct nlattr *a = (struct nlattr *)req.attrs;
		size_t sl = strlen(str) + 1;

		if (NLA_HDRLEN + sl > sizeof(req.attrs))
			return -E2BIG;
		a->nla_type = attr;
		a->nla_len = NLA_HDRLEN + sl;
		memcpy((char *)a + NLA_HDRLEN, str, sl);
		len += NLR_ALIGN(a->nla_len);
	}
	req.nh.nlmsg_len = len;
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | flags;
	req.nh.nlmsg_seq = ++n->seq;
	req.gh.cmd = cmd;
	req.gh.version = type == GENL_ID_CTRL ? 2 : KIPC_GENL_VERSION;
	if (sendto(n->fd, &req, len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != (ssize_t)len)
		return -errno;
	return 0;
}

/* Find attribute @type among [@a, @a + @len). */
static inline struct nlattr *nlr_attr(void *a, int len, uint16_t type)
{
	struct nlattr *p = a;

	while (len >= NLA_HDRLEN && p->nla_len >= NLA_HDRLEN &&
	       p->nla_len <= len) {
		if ((p->nla_type & NLA_TYPE_MASK) == type)
			return p;
		len -= NLR_ALIGN(p->nla_len);
		p = (struct nlattr *)((char *)p + NLR_ALIGN(p->nla_len));
	}
	return NULL;
}

/*
 * Read the replies to request n->seq until its ACK, error or DONE; call
 * @fn on every other message of the request.  Returns 0 or the kernel's
 * -errno (or -EIO / -errno of recv).
 */
static inline int nlr_collect(struct nlr *n,
			      void (*fn)(struct nlmsghdr *h, void *arg),
			      void *arg)
{
	static char buf[NLR_BUF];

	for (;;) {
		struct nlmsghdr *h;
		ssize_t r = recv(n->fd, buf, sizeof(buf), 0);
		int len = r;

		if (r < 0)
			return -errno;
		for (h = (void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != n->seq)
				continue;	/* an event, or stale */
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (fn)
				fn(h, arg);
		}
	}
}

static inline void nlr_family_fn(struct nlmsghdr *h, void *arg)
{
	struct genlmsghdr *gh = NLMSG_DATA(h);
	struct nlattr *a = nlr_attr((char *)gh + GENL_HDRLEN,
				    h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN),
				    CTRL_ATTR_FAMILY_ID);

	if (a)
		*(uint16_t *)arg = *(uint16_t *)((char *)a + NLA_HDRLEN);
}

/* Open a socket and resolve the kipc family; 0 or -errno. */
static inline int nlr_open(struct nlr *n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 10 };
	int ret;

	memset(n, 0, sizeof(*n));
	n->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (n->fd < 0)
		return -errno;
	/* A lost reply must not hang a test. */
	if (setsockopt(n->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(n->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		goto err;
	}
	ret = nlr_send(n, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK,
		       CTRL_ATTR_FAMILY_NAME, KIPC_GENL_NAME);
	if (!ret)
		ret = nlr_collect(n, nlr_family_fn, &n->family);
	if (!ret && !n->family)
		ret = -ENOENT;
	if (!ret)
		return 0;
err:
	close(n->fd);
	n->fd = -1;
	return ret;
}

static inline void nlr_close(struct nlr *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

static inline void nlr_user_bytes_fn(struct nlmsghdr *h, void *arg)
{
	struct genlmsghdr *gh = NLMSG_DATA(h);
	struct nlattr *m, *a;

	m = nlr_attr((char *)gh + GENL_HDRLEN,
		     h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), KIPC_A_MODULE);
	if (!m)
		return;
	a = nlr_attr((char *)m + NLA_HDRLEN, m->nla_len - NLA_HDRLEN,
		     KIPC_A_M_USER_BYTES);
	if (a)
		memcpy(arg, (char *)a + NLA_HDRLEN, sizeof(uint64_t));
}

/* Bytes charged to the caller's uid (GET_MODULE); 0 or -errno. */
static inline int nlr_user_bytes(struct nlr *n, uint64_t *bytes)
{
	int ret = nlr_send(n, n->family, KIPC_CMD_GET_MODULE, NLM_F_ACK, 0,
			   NULL);

	*bytes = UINT64_MAX;
	if (!ret)
		ret = nlr_collect(n, nlr_user_bytes_fn, bytes);
	if (!ret && *bytes == UINT64_MAX)
		ret = -EIO;
	return ret;
}

/* Bytes charged to the caller's uid on a socket of its own; UINT64_MAX
 * when netlink fails. */
static inline uint64_t nlr_charged(void)
{
	uint64_t b = UINT64_MAX;
	struct nlr n;

	if (nlr_open(&n))
		return UINT64_MAX;
	if (nlr_user_bytes(&n, &b))
		b = UINT64_MAX;
	nlr_close(&n);
	return b;
}

static inline void nlr_count_fn(struct nlmsghdr *h, void *arg)
{
	(*(unsigned int *)arg)++;
}

/* Dump every object; *@nobj gets how many came.  0 or -errno. */
static inline int nlr_dump(struct nlr *n, unsigned int *nobj)
{
	int ret = nlr_send(n, n->family, KIPC_CMD_GET_OBJECT,
			   NLM_F_DUMP | NLM_F_ACK, 0, NULL);

	*nobj = 0;
	return ret ? ret : nlr_collect(n, nlr_count_fn, nobj);
}

/* Subscribe to events (KIPC_CMD_NOTIFY); 0 or -errno. */
static inline int nlr_subscribe(struct nlr *n)
{
	int ret = nlr_send(n, n->family, KIPC_CMD_NOTIFY, NLM_F_ACK, 0, NULL);

	return ret ? ret : nlr_collect(n, NULL, NULL);
}

#endif /* KIPC_NLRAW_H */
