/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtnetlink for the selftests: look links up, create, delete, rename and move them, and get the
 * kernel's errno back (ip(8) only prints it). Each call opens its own socket, so threads may use
 * them freely. Self-contained: common.h includes it.
 */
#ifndef TUNTAP_RS_SELFTESTS_NETLINK_H
#define TUNTAP_RS_SELFTESTS_NETLINK_H

#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

struct nl_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[256];
};

__attribute__((unused))
static void nl_put(struct nl_req *req, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

__attribute__((unused))
static struct rtattr *nl_nest(struct nl_req *req, unsigned short type)
{
	struct rtattr *nest = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));

	nl_put(req, type, NULL, 0);
	return nest;
}

__attribute__((unused))
static void nl_nest_end(struct nl_req *req, struct rtattr *nest)
{
	nest->rta_len = (char *)req + req->nh.nlmsg_len - (char *)nest;
}

__attribute__((unused))
static void nl_init(struct nl_req *req, unsigned short type, unsigned short flags, int index)
{
	memset(req, 0, sizeof(*req));
	req->nh.nlmsg_len = NLMSG_LENGTH(sizeof(req->ifi));
	req->nh.nlmsg_type = type;
	req->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	req->ifi.ifi_family = AF_UNSPEC;
	req->ifi.ifi_index = index;
}

/*
 * Sends `req` and returns the kernel's answer: 0 or -errno, or the index of the link an
 * RTM_GETLINK asked for (its head is enough: MSG_TRUNC).
 */
__attribute__((unused))
static int nl_talk(struct nl_req *req)
{
	char buf[4096];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	ssize_t n;
	int ret = -EIO;

	if (fd < 0)
		return -errno;
	if (send(fd, req, req->nh.nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	if (n < 0)
		ret = -errno;
	else if (n >= (ssize_t)NLMSG_LENGTH(sizeof(int)) && nh->nlmsg_type == NLMSG_ERROR)
		ret = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	else if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct ifinfomsg)) &&
		 nh->nlmsg_type == RTM_NEWLINK)
		ret = ((struct ifinfomsg *)NLMSG_DATA(nh))->ifi_index;
out:
	close(fd);
	return ret;
}

/*
 * The index of interface `name` in this network namespace, or 0 if there is none. Not
 * if_nametoindex(): its SIOCGIFINDEX makes the kernel try to load a module for a name it does
 * not know (dev_load(): modprobe "netdev-NAME", then "NAME", when the caller has
 * CAP_NET_ADMIN), two runs of modprobe per absent name, half a second under TCG.
 */
__attribute__((unused))
static unsigned int link_index(const char *name)
{
	struct nl_req req;
	int ret;

	if (strlen(name) >= IFNAMSIZ)
		return 0;
	nl_init(&req, RTM_GETLINK, 0, 0);
	nl_put(&req, IFLA_IFNAME, name, strlen(name) + 1);
	ret = nl_talk(&req);
	return ret > 0 ? (unsigned int)ret : 0;
}

/* `ip link add [name NAME] type KIND`: 0 or -errno. */
__attribute__((unused))
static int link_add(const char *name, const char *kind)
{
	struct nl_req req;
	struct rtattr *info;

	nl_init(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	if (name)
		nl_put(&req, IFLA_IFNAME, name, strlen(name) + 1);
	info = nl_nest(&req, IFLA_LINKINFO);
	nl_put(&req, IFLA_INFO_KIND, kind, strlen(kind));
	nl_nest_end(&req, info);
	return nl_talk(&req);
}

/* `ip link del NAME`: 0 or -errno. */
__attribute__((unused))
static int link_del(const char *name)
{
	struct nl_req req;

	nl_init(&req, RTM_DELLINK, 0, 0);
	nl_put(&req, IFLA_IFNAME, name, strlen(name) + 1);
	return nl_talk(&req);
}

/* `ip link set NAME name NEW`: 0 or -errno. */
__attribute__((unused))
static int link_rename(const char *name, const char *new_name)
{
	struct nl_req req;
	int index = link_index(name);

	if (!index)
		return -ENODEV;
	nl_init(&req, RTM_NEWLINK, 0, index);
	nl_put(&req, IFLA_IFNAME, new_name, strlen(new_name) + 1);
	return nl_talk(&req);
}

/* `ip link set NAME netns NSFD`: 0 or -errno. */
__attribute__((unused))
static int link_set_netns(const char *name, int nsfd)
{
	struct nl_req req;
	int index = link_index(name);
	uint32_t fd = nsfd;

	if (!index)
		return -ENODEV;
	nl_init(&req, RTM_NEWLINK, 0, index);
	nl_put(&req, IFLA_NET_NS_FD, &fd, sizeof(fd));
	return nl_talk(&req);
}

/* `ip link set NAME up|down` (RTM_NEWLINK with IFF_UP in the change mask): 0 or -errno. */
__attribute__((unused))
static int link_set_up(const char *name, int up)
{
	struct nl_req req;
	int index = link_index(name);

	if (!index)
		return -ENODEV;
	nl_init(&req, RTM_NEWLINK, 0, index);
	req.ifi.ifi_change = IFF_UP;
	req.ifi.ifi_flags = up ? IFF_UP : 0;
	return nl_talk(&req);
}

#endif /* TUNTAP_RS_SELFTESTS_NETLINK_H */
