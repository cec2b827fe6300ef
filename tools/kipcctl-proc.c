// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl - which processes hold handles on an object, like ss -p or
 * fuser: walk /proc/PID/fd for kipc handles ("anon_inode:[kipc-KIND]") and
 * read their fdinfo ("kipc-id", "kipc-access", "kipc-owner"), leaving
 * out libkipc's thread handles ("kipc-thread-handle"), which are no
 * peers.  For each
 * holder, the thread (if any) asleep in a kipc call is found through
 * /proc/PID/task/TID/wchan.
 *
 * Object ids are unique across the module, so the id identifies the
 * object; only processes of our pid namespace that we may inspect
 * (ptrace read access: the same uid, or root) can be listed, which the
 * manual says.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipcctl.h"

/* Read a small /proc file into @buf; its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The value of "key:" in fdinfo text @buf, copied to @val. */
static bool fdinfo_value(const char *buf, const char *key, char *val,
			 size_t len)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			p += strspn(p, " \t");
			snprintf(val, len, "%.*s", (int)strcspn(p, "\n"), p);
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* State letter of /proc/PID[/task/TID]/stat, or '?'. */
static char stat_state(const char *path)
{
	char buf[512], *p;

	if (read_small(path, buf, sizeof(buf)) < 0)
		return '?';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] ? p[2] : '?';
}

/* A thread of @pid asleep in a kipc function: its tid and wchan. */
static void find_blocked(struct kctl_holder *h)
{
	char path[300], wchan[64];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)h->pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char st;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat",
			 (int)h->pid, d->d_name);
		st = stat_state(path);
		if (st != 'S' && st != 'D')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan",
			 (int)h->pid, d->d_name);
		if (read_small(path, wchan, sizeof(wchan)) <= 0 ||
		    !strstr(wchan, "kipc"))
			continue;
		h->blocked_tid = atoi(d->d_name);
		snprintf(h->wchan, sizeof(h->wchan), "%s", wchan);
		break;
	}
	closedir(dir);
}

static int add_holder(struct kctl_holder **v, size_t *n, size_t *cap,
		      const struct kctl_holder *h)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		struct kctl_holder *p = realloc(*v, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = *h;
	return 0;
}

/*
 * If fd @fd of @pid (a name from /proc/PID/fd) is a kipc handle, read
 * its fdinfo into @info and return 0; else -1.
 */
static int handle_fdinfo(pid_t pid, const char *fd, char *info, size_t cap)
{
	char path[300], link[64];
	ssize_t len;

	if (!isdigit((unsigned char)fd[0]))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fd);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -1;
	link[len] = '\0';
	if (strncmp(link, "anon_inode:[kipc-", 17))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, fd);
	return read_small(path, info, cap) < 0 ? -1 : 0;
}

/* Add @pid's handles on object @id. */
static int scan_pid(pid_t pid, uint32_t id, struct kctl_holder **v,
		    size_t *n, size_t *cap)
{
	char path[300], info[1024], val[32], comm[32];
	size_t first = *n;
	struct dirent *d;
	int ret = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		struct kctl_holder h = { .pid = pid };

		if (handle_fdinfo(pid, d->d_name, info, sizeof(info)) ||
		    !fdinfo_value(info, "kipc-id", val, sizeof(val)) ||
		    strtoul(val, NULL, 10) != id)
			continue;
		/* libkipc's per-thread lock handles are no peers. */
		if (fdinfo_value(info, "kipc-thread-handle", val, sizeof(val)))
			continue;
		h.fd = atoi(d->d_name);
		if (fdinfo_value(info, "kipc-access", val, sizeof(val)))
			snprintf(h.access, sizeof(h.access), "%.3s", val);
		h.owner = fdinfo_value(info, "kipc-owner", val, sizeof(val)) &&
			  !strcmp(val, "1");
		ret = add_holder(v, n, cap, &h);
		if (ret)
			break;
	}
	closedir(dir);
	if (*n == first)
		return ret;

	/* Process details, once, for every handle it holds. */
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_small(path, comm, sizeof(comm)) < 0)
		comm[0] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	(*v)[first].state = stat_state(path);
	snprintf((*v)[first].comm, sizeof((*v)[first].comm), "%s", comm);
	find_blocked(&(*v)[first]);
	for (size_t i = first + 1; i < *n; i++) {
		(*v)[i].state = (*v)[first].state;
		memcpy((*v)[i].comm, (*v)[first].comm, sizeof(comm));
		(*v)[i].blocked_tid = (*v)[first].blocked_tid;
		memcpy((*v)[i].wchan, (*v)[first].wchan,
		       sizeof((*v)[i].wchan));
	}
	return ret;
}

int kctl_find_holders(uint32_t id, struct kctl_holder **out, size_t *n)
{
	size_t cap = 0;
	struct dirent *d;
	DIR *dir;
	int ret = 0;

	*out = NULL;
	*n = 0;
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		ret = scan_pid(atoi(d->d_name), id, out, n, &cap);
		if (ret)
			break;
	}
	closedir(dir);
	return ret;
}

int kctl_pid_objects(pid_t pid, uint32_t **ids, size_t *n)
{
	char path[300], info[1024], val[32];
	size_t cap = 0, i;
	struct dirent *d;
	DIR *dir;

	*ids = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		uint32_t id;

		if (handle_fdinfo(pid, d->d_name, info, sizeof(info)) ||
		    !fdinfo_value(info, "kipc-id", val, sizeof(val)))
			continue;
		id = strtoul(val, NULL, 10);
		for (i = 0; i < *n; i++)
			if ((*ids)[i] == id)
				break;
		if (i < *n)
			continue;
		if (*n == cap) {
			uint32_t *p;

			cap = cap ? cap * 2 : 8;
			p = realloc(*ids, cap * sizeof(*p));
			if (!p) {
				closedir(dir);
				return -ENOMEM;
			}
			*ids = p;
		}
		(*ids)[(*n)++] = id;
	}
	closedir(dir);
	return 0;
}
