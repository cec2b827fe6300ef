/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal generic netlink client for the kipc family, with no library:
 * resolve the family, subscribe to events, and send raw (possibly
 * malformed) requests.  Used by the module-cycle test (a subscriber
 * socket outliving rmmod) and by the fuzzer.
 */
#ifndef KIPC_STRESS_GENL_H
#define KIPC_STRESS_GENL_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/kipc_netlink.h>

#define KG_BUF	16384

/* A NETLINK_GENERIC socket, or -errno. */
static inline int kg_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { 2, 0 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -errno;
	}
	/* Never block a test for long on a reply that does not come. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Send @len bytes of a prepared message; 0 or -errno. */
static inline int kg_send(int fd, const void *msg, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(fd, msg, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

/*
 * Read replies until the NLMSG_ERROR/NLMSG_DONE that ends request @seq:
 * 0, the request's -errno, or -errno of recv.  With @fn, every other
 * message of that sequence number is passed to it.
 */
static inline int kg_wait(int fd, uint32_t seq,
			  void (*fn)(struct nlmsghdr *, void *), void *arg)
{
	static char buf[KG_BUF] __attribute__((aligned(8)));
	struct nlmsghdr *nh;
	ssize_t n;
	int len;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		len = (int)n;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (fn)
				fn(nh, arg);
		}
	}
}

static inline void kg_family_cb(struct nlmsghdr *nh, void *arg)
{
	struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
	int len = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	while (len >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= len) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(arg, (char *)a + NLA_HDRLEN, 2);
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}

/* The kipc family's id, or -errno (-ENOENT when not registered). */
static inline int kg_family(int fd)
{
	struct {
		struct nlmsghdr nh;
		struct genlmsghdr gh;
		struct nlattr na;
		char name[8];
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = GENL_ID_CTRL,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.nh.nlmsg_seq = 1,
		.gh.cmd = CTRL_CMD_GETFAMILY,
		.gh.version = 1,
		.na.nla_len = NLA_HDRLEN + sizeof(KIPC_GENL_NAME),
		.na.nla_type = CTRL_ATTR_FAMILY_NAME,
		.name = KIPC_GENL_NAME,
	};
	uint16_t id = 0;
	int ret;

	ret = kg_send(fd, &req, sizeof(req));
	if (!ret)
		ret = kg_wait(fd, 1, kg_family_cb, &id);
	if (ret)
		return ret;
	return id ? id : -ENOENT;
}

/* Send a bare kipc request (no attributes) and wait for its end. */
static inline int kg_simple(int fd, int family, uint8_t cmd, uint16_t flags,
			    uint32_t seq)
{
	struct {
		struct nlmsghdr nh;
		struct genlmsghdr gh;
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = family,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags,
		.nh.nlmsg_seq = seq,
		.gh.cmd = cmd,
		.gh.version = KIPC_GENL_VERSION,
	};
	int ret = kg_send(fd, &req, sizeof(req));

	return ret ? ret : kg_wait(fd, seq, NULL, NULL);
}

#endif /* KIPC_STRESS_GENL_H */
