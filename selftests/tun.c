// SPDX-License-Identifier: GPL-2.0
/*
 * tuntap_rs tun(4) tests: FreeBSD's tun semantics on /dev/tun and /dev/tunN, written as a BSD
 * client would use them (the project's <net/if_tun.h>, included first).
 *
 * Units, their lifetime and who may open them; the interface a unit creates; the packet path
 * (read, write, readv/writev, poll, SIGIO, the IFHEAD and LMODE framings, the MRU); the tun
 * ioctls; and the interface counters.
 *
 * Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for unshare), the module loaded, and iproute2's `ip`.
 * Every unit a test creates is made transient (destroyed by its last close) or destroyed by the
 * teardown; each test that configures addresses uses a subnet of its own, 10.77.<net>.0 and
 * fd77:<net>::/64, numbered as the comment before each test says.
 */
#define _GNU_SOURCE
#include <net/if_tun.h>
/* A BSD program may include Linux's own header too: no name clashes. */
#include <linux/if_tun.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
/* This program's addresses: 10.77.0.0/16 and fd77::/16 (common.h's v4(), v6()). */
#define SUBNET		77
#include "common.h"

/* How long a test waits for a packet that should come (the VM is slow). */
#define WAIT_MS		2000
/* How long a test waits before deciding that a packet which should not come did not. */
#define QUIET_MS	500

#define PKT_MAX		2048

/* ---- Small helpers: commands, sysfs, interfaces ------------------------------------------ */

/* Deletes a link made by `ip link add` or `ip tuntap add`; 0 on success. */
static int del_link(const char *name)
{
	if (!ip_quiet("link del %s", name))
		return 0;
	return ip_quiet("tuntap del dev %s mode tun", name);
}

/* ---- Packets ------------------------------------------------------------------------------- */

/* Is p[0..n) an IPv6/UDP packet (no extension header) to dst:dport, complete? */
static bool is_udp6_to(const uint8_t *p, size_t n, const struct in6_addr *dst, uint16_t dport)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)p;
	const struct udphdr *uh = (const struct udphdr *)(p + 40);

	return n >= 48 && (p[0] >> 4) == 6 && ip6->ip6_nxt == IPPROTO_UDP &&
	       !memcmp(&ip6->ip6_dst, dst, sizeof(*dst)) && ntohs(ip6->ip6_plen) + 40U == n &&
	       uh->dest == htons(dport);
}

static int send_udp6(const struct in6_addr *dst, uint16_t port, const void *data, size_t len)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int s, ret = 0;

	sin6.sin6_addr = *dst;
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (sendto(s, data, len, 0, (struct sockaddr *)&sin6, sizeof(sin6)) != (ssize_t)len)
		ret = -errno;
	close(s);
	return ret;
}

/* ---- Fixture ------------------------------------------------------------------------------ */

FIXTURE(tun) {
	int fd;				/* the unit setup cloned (transient) */
	char name[IFNAMSIZ];		/* its interface name, "tunN" */
	int unit;			/* N */
	struct tracked tracked;		/* more files and units the test opened */
	char link[IFNAMSIZ];		/* a foreign link the test created */
};

FIXTURE_SETUP(tun)
{
	struct ifreq ifr;
	int one = 1;

	tracked_init(&self->tracked);
	self->fd = open("/dev/tun", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/tun: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, TUNSTRANSIENT, &one))
		TH_LOG("TUNSTRANSIENT: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, TUNGIFNAME, &ifr)) TH_LOG("TUNGIFNAME: %s", strerror(errno));
	memcpy(self->name, ifr.ifr_name, IFNAMSIZ);
	self->name[IFNAMSIZ - 1] = 0;
	self->unit = unit_of("tun", self->name);
	ASSERT_LE(0, self->unit) TH_LOG("TUNGIFNAME gave '%s'", self->name);
}

FIXTURE_TEARDOWN(tun)
{
	tracked_release(&self->tracked, self->fd, self->name);
	if (self->link[0])
		del_link(self->link);
}

/* ---- 1. Devices and lifecycle ------------------------------------------------------------- */

/* Cloning creates tunN, down, and the node /dev/tunN; the fixture's unit reads as transient. */
TEST_F(tun, clone_creates_unit)
{
	char path[64];
	struct stat st;
	int flags;

	snprintf(path, sizeof(path), "/dev/%s", self->name);
	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_LT(0U, link_index(self->name));
	flags = if_flags(self->name);
	ASSERT_LE(0, flags) TH_LOG("SIOCGIFFLAGS %s: %s", self->name, strerror(-flags));
	EXPECT_EQ(0, flags & IFF_UP) TH_LOG("a new unit must be down");
	EXPECT_EQ(1, get_int(self->fd, TUNGTRANSIENT));
}

/* Cloning picks the lowest free unit number, and a freed number is given out again. */
TEST_F(tun, lowest_free_unit)
{
	char name2[IFNAMSIZ], name3[IFNAMSIZ], path[64];
	int first = self->unit, expect, fd2, fd3;
	struct stat st;

	expect = lowest_free_unit("tun");
	ASSERT_LE(0, expect);
	fd2 = open_unit(&self->tracked, "/dev/tun", true, name2);
	ASSERT_LE(0, fd2) TH_LOG("second open: %s", strerror(-fd2));
	EXPECT_STRNE(self->name, name2);
	EXPECT_EQ(expect, unit_of("tun", name2)) TH_LOG("second unit %s", name2);
	/* The first number was the lowest free one too; closing frees it (transient). */
	EXPECT_LT(first, unit_of("tun", name2));
	close(self->fd);
	self->fd = -1;
	snprintf(path, sizeof(path), "/dev/%s", self->name);
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(0U, link_index(self->name));
	EXPECT_EQ(first, lowest_free_unit("tun"));
	fd3 = open_unit(&self->tracked, "/dev/tun", true, name3);
	ASSERT_LE(0, fd3) TH_LOG("third open: %s", strerror(-fd3));
	EXPECT_STREQ(self->name, name3);
}

/* A unit number whose name tunN is taken by another interface is skipped. */
TEST_F_TIMEOUT(tun, clone_skips_taken_names, 60)
{
	char name[IFNAMSIZ], taken[IFNAMSIZ];
	int k, fd, expect;

	k = lowest_free_unit("tun");
	ASSERT_LE(0, k);
	snprintf(taken, sizeof(taken), "tun%d", k);
	if (ip_quiet("link add %s type dummy", taken) &&
	    ip_quiet("tuntap add dev %s mode tun", taken) &&
	    ip_quiet("link add %s type bridge", taken))
		SKIP(return, "cannot create an interface %s (dummy, tun, bridge)", taken);
	memcpy(self->link, taken, IFNAMSIZ);
	ASSERT_LT(0U, link_index(taken));
	expect = lowest_free_unit("tun");
	fd = open_unit(&self->tracked, "/dev/tun", true, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	EXPECT_STRNE(taken, name);
	EXPECT_EQ(expect, unit_of("tun", name)) TH_LOG("got %s", name);
	close_unit(&self->tracked, fd);
	EXPECT_EQ(0, del_link(taken));
	self->link[0] = 0;
}

struct netns_report {
	int err;
	unsigned int ifindex;
	char name[IFNAMSIZ];
};

/* In a new network namespace: clone a unit, report, wait for the parent, close. */
static int netns_child(int wfd, int rfd)
{
	struct netns_report r;
	struct ifreq ifr;
	int fd = -1, one = 1;
	char c;

	memset(&r, 0, sizeof(r));
	memset(&ifr, 0, sizeof(ifr));
	if (unshare(CLONE_NEWNET))
		r.err = errno;
	else if ((fd = open("/dev/tun", O_RDWR)) < 0)
		r.err = errno;
	else if (ioctl(fd, TUNSTRANSIENT, &one) || ioctl(fd, TUNGIFNAME, &ifr))
		r.err = errno;
	else {
		memcpy(r.name, ifr.ifr_name, IFNAMSIZ);
		r.name[IFNAMSIZ - 1] = 0;
		r.ifindex = link_index(r.name);
	}
	if (write(wfd, &r, sizeof(r)) != sizeof(r))
		return 1;
	/* Returns on the parent's byte or on EOF if it died. */
	if (read(rfd, &c, 1) < 0)
		return 1;
	if (fd >= 0)
		close(fd);
	return 0;
}

/* The interface is created in the opener's network namespace, not in anyone else's. */
TEST_F(tun, clone_in_netns)
{
	struct if_nameindex *before, *i;
	struct netns_report r;
	int to_parent[2], to_child[2], status;
	unsigned int had = 0;
	pid_t pid;

	before = if_nameindex();
	ASSERT_NE(NULL, before);
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(to_parent[0]);
		close(to_child[1]);
		_exit(netns_child(to_parent[1], to_child[0]));
	}
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ((ssize_t)sizeof(r), read(to_parent[0], &r, sizeof(r)));
	ASSERT_EQ(0, r.err) TH_LOG("child: %s", strerror(r.err));
	EXPECT_LE(0, unit_of("tun", r.name)) TH_LOG("child got '%s'", r.name);
	EXPECT_LT(0U, r.ifindex) TH_LOG("%s not in the child's netns", r.name);
	EXPECT_TRUE(node_exists(r.name));
	/* Nothing by that name appeared in our namespace (one that was there before may stay). */
	for (i = before; i->if_index; i++) {
		if (!strcmp(i->if_name, r.name))
			had = i->if_index;
	}
	EXPECT_EQ(had, link_index(r.name)) TH_LOG("%s showed up in the parent's netns", r.name);
	if_freenameindex(before);
	ASSERT_EQ(1, write(to_child[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The child's close destroyed its transient unit. */
	EXPECT_FALSE(node_exists(r.name));
	close(to_parent[0]);
	close(to_child[1]);
}

/* A unit has one opener at a time: a second open, through /dev/tunN, is EBUSY. */
TEST_F(tun, second_open_busy)
{
	char path[64], name[IFNAMSIZ], name2[IFNAMSIZ];
	struct ifreq ifr;
	int fd, fd2;

	/* Unit opened by cloning. */
	snprintf(path, sizeof(path), "/dev/%s", self->name);
	EXPECT_EQ(-1, open(path, O_RDWR | O_CLOEXEC));
	EXPECT_EQ(EBUSY, errno);
	memset(&ifr, 0, sizeof(ifr));
	EXPECT_EQ(0, ioctl(self->fd, TUNGIFNAME, &ifr));
	EXPECT_STREQ(self->name, ifr.ifr_name);

	/* Unit opened by its own node. */
	fd = open_unit(&self->tracked, "/dev/tun", false, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	close_unit(&self->tracked, fd);
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, true, name2);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(-fd));
	EXPECT_STREQ(name, name2);
	fd2 = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, fd2);
	EXPECT_EQ(EBUSY, errno);
	if (fd2 >= 0)
		close(fd2);
	close_unit(&self->tracked, fd);
	EXPECT_FALSE(node_exists(name));
}

/* Root without CAP_NET_ADMIN cannot clone: EPERM. */
TEST_F(tun, clone_needs_net_admin)
{
	EXPECT_EQ(EPERM, in_child(clone_without_net_admin, "/dev/tun"));
}

/* Units persist after close; TUNSTRANSIENT makes the next close destroy them. */
TEST_F(tun, units_persist)
{
	char name[IFNAMSIZ], name2[IFNAMSIZ], path[64];
	struct stat st;
	int fd;

	fd = open_unit(&self->tracked, "/dev/tun", false, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	EXPECT_EQ(0, get_int(fd, TUNGTRANSIENT));
	close_unit(&self->tracked, fd);
	snprintf(path, sizeof(path), "/dev/%s", name);
	EXPECT_EQ(0, stat(path, &st)) TH_LOG("%s gone after close", path);
	EXPECT_LT(0U, link_index(name)) TH_LOG("%s gone after close", name);

	fd = open_unit(&self->tracked, path, false, name2);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	EXPECT_STREQ(name, name2);
	EXPECT_EQ(0, get_int(fd, TUNGTRANSIENT));
	ASSERT_EQ(0, set_int(fd, TUNSTRANSIENT, 1));
	EXPECT_EQ(1, get_int(fd, TUNGTRANSIENT));
	close_unit(&self->tracked, fd);
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0U, link_index(name));
}

/*
 * Carrier is up while open; the owner's close brings the interface down and drops what was
 * queued. Net 4.
 */
TEST_F_TIMEOUT(tun, owner_close_downs_and_purges, 60)
{
	char name[IFNAMSIZ], path[64];
	uint8_t buf[PKT_MAX];
	int fd, flags, avail = -1;

	fd = open_unit(&self->tracked, "/dev/tun", false, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	ASSERT_EQ(0, tun_up4(name, 4));
	EXPECT_EQ(1, sys_val(name, "carrier"));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, send_udp4(v4(4, 2), 4000, "queued", 6));
	}
	ASSERT_TRUE(wait_readable(fd, WAIT_MS));
	ASSERT_EQ(0, ioctl(fd, FIONREAD, &avail));
	EXPECT_LT(0, avail);

	close_unit(&self->tracked, fd);
	flags = if_flags(name);
	ASSERT_LE(0, flags) TH_LOG("%s: %s", name, strerror(-flags));
	EXPECT_EQ(0, flags & IFF_UP) TH_LOG("still up after the owner's close");

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, false, name);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	avail = -1;
	ASSERT_EQ(0, ioctl(fd, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
	ASSERT_EQ(0, set_nonblock(fd));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, set_int(fd, TUNSTRANSIENT, 1));
	close_unit(&self->tracked, fd);
	EXPECT_FALSE(node_exists(name));
}

/*
 * What the close leaves of the interface's configuration (Documentation/tuntap_rs.rst, "Close"):
 * taking it down removes every route through it and its IPv6 addresses; its IPv4 addresses stay,
 * as no exported kernel interface lets a module delete them, and `ip addr replace` (or a flush)
 * configures the unit again without EEXIST. Net 30.
 */
TEST_F_TIMEOUT(tun, close_leaves_configuration, 60)
{
	char name[IFNAMSIZ], path[64], out[4096];
	int fd;

	fd = open_unit(&self->tracked, "/dev/tun", false, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	ASSERT_EQ(0, tun_up46(name, 30));
	ASSERT_EQ(0, ip("route add 192.0.2.0/24 dev %s", name));
	ASSERT_EQ(0, ip("-6 route add fd77:1e::/64 dev %s", name));
	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ip -4 route show dev %s", name));
	ASSERT_NE(NULL, strstr(out, "192.0.2.0/24")) TH_LOG("%s", out);

	close_unit(&self->tracked, fd);
	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ip -4 route show dev %s", name));
	EXPECT_STREQ("", out) TH_LOG("IPv4 routes left: %s", out);
	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ip -6 route show dev %s", name));
	EXPECT_STREQ("", out) TH_LOG("IPv6 routes left: %s", out);
	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ip -6 addr show dev %s", name));
	EXPECT_EQ(NULL, strstr(out, "fd77:1e::1")) TH_LOG("IPv6 address left: %s", out);
	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ip -4 addr show dev %s", name));
	EXPECT_NE(NULL, strstr(out, "10.77.30.1")) TH_LOG("%s", out);

	/* A restarted daemon configures it again. */
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, true, name);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	EXPECT_EQ(0, ip("addr replace 10.77.30.1 peer 10.77.30.2 dev %s", name));
	EXPECT_EQ(0, ip("link set %s up", name));
	EXPECT_EQ(0, ip("-6 addr add fd77:1e::1/64 dev %s nodad", name));
	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ip -4 route show dev %s", name));
	EXPECT_NE(NULL, strstr(out, "10.77.30.2")) TH_LOG("%s", out);
	close_unit(&self->tracked, fd);
}

/*
 * The last close of the file tears the unit down whoever makes it (FreeBSD 13's destructor):
 * after TUNSIFPID by a child, which then exits, our close is not the controller's, and still
 * brings the interface down, takes its carrier and junks its queue. Net 5.
 */
TEST_F_TIMEOUT(tun, last_close_downs_whoever_closes, 60)
{
	char name[IFNAMSIZ], path[64];
	int fd, flags, status, avail;
	pid_t pid;

	fd = open_unit(&self->tracked, "/dev/tun", false, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	ASSERT_EQ(0, tun_up4(name, 5));
	pid = fork();
	ASSERT_LE(0, pid);
	/* The child becomes the controller; its exit drops its reference, not the last one. */
	if (pid == 0)
		_exit(ioctl(fd, TUNSIFPID) ? errno : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("TUNSIFPID: %s", strerror(WEXITSTATUS(status)));
	/* Still open after the controller's exit. */
	EXPECT_EQ(IFF_UP, if_flags(name) & IFF_UP);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, send_udp4(v4(5, 2), 5000, "queued", 6));
	ASSERT_TRUE(wait_readable(fd, WAIT_MS));

	close_unit(&self->tracked, fd);
	flags = if_flags(name);
	ASSERT_LE(0, flags) TH_LOG("%s: %s", name, strerror(-flags));
	EXPECT_EQ(0, flags & IFF_UP) TH_LOG("a non-controller's last close left the interface up");
	EXPECT_EQ(0, sys_val(name, "carrier_up_count") - sys_val(name, "carrier_down_count"))
		TH_LOG("carrier still on");

	/* Closed, not kept busy: it opens again, with nothing queued. */
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, true, name);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	avail = -1;
	EXPECT_EQ(0, ioctl(fd, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
	close_unit(&self->tracked, fd);
	EXPECT_FALSE(node_exists(name));
}

/* ARPHRD_NONE, point-to-point, multicast, no ARP; MTU 1500, up to 65535. */
TEST_F_TIMEOUT(tun, link_properties, 60)
{
	int flags = if_flags(self->name);

	EXPECT_EQ(65534, sys_val(self->name, "type"));
	ASSERT_LE(0, flags);
	EXPECT_EQ(IFF_POINTOPOINT, flags & IFF_POINTOPOINT);
	EXPECT_EQ(IFF_MULTICAST, flags & IFF_MULTICAST);
	EXPECT_EQ(IFF_NOARP, flags & IFF_NOARP);
	EXPECT_EQ(1500, sys_val(self->name, "mtu"));
	EXPECT_EQ(0, ip("link set %s mtu 65535", self->name));
	EXPECT_EQ(65535, sys_val(self->name, "mtu"));
	EXPECT_NE(0, ip_quiet("link set %s mtu 65536", self->name));
	EXPECT_EQ(65535, sys_val(self->name, "mtu"));
}

/* ---- Data path ---------------------------------------------------------------------------- */

/* A ping to the peer is read as a bare IPv4 packet; our reply reaches the sender. Net 6. */
TEST_F_TIMEOUT(tun, ping_ipv4, 60)
{
	static const char data[] = "tuntap_rs ping";
	uint8_t req[64], buf[PKT_MAX];
	struct icmphdr *icmp = (struct icmphdr *)req;
	struct sockaddr_in peer = { .sin_family = AF_INET };
	struct iphdr *iph = (struct iphdr *)buf;
	uint16_t id = (uint16_t)getpid();
	size_t icmp_len = sizeof(*icmp) + sizeof(data);
	struct icmphdr *ric;
	in_addr_t tmp;
	bool got = false;
	ssize_t n;
	int s;

	ASSERT_EQ(0, tun_up4(self->name, 6));
	s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	ASSERT_LE(0, s);
	memset(req, 0, sizeof(req));
	icmp->type = ICMP_ECHO;
	icmp->un.echo.id = htons(id);
	icmp->un.echo.sequence = htons(1);
	memcpy(req + sizeof(*icmp), data, sizeof(data));
	icmp->checksum = csum(req, icmp_len);
	peer.sin_addr.s_addr = v4(6, 2);
	ASSERT_EQ((ssize_t)icmp_len,
		  sendto(s, req, icmp_len, 0, (struct sockaddr *)&peer, sizeof(peer)));

	n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
	ASSERT_LT(0, n) TH_LOG("no echo request read: %s", strerror((int)-n));
	ASSERT_EQ(20 + (ssize_t)icmp_len, n);
	EXPECT_EQ(4, buf[0] >> 4);
	EXPECT_EQ(IPPROTO_ICMP, iph->protocol);
	EXPECT_EQ(n, ntohs(iph->tot_len));
	EXPECT_EQ(v4(6, 2), iph->daddr);
	EXPECT_EQ(v4(6, 1), iph->saddr);
	ric = (struct icmphdr *)(buf + iph->ihl * 4);
	ASSERT_EQ(ICMP_ECHO, ric->type);
	EXPECT_EQ(htons(id), ric->un.echo.id);

	/* The echo reply, as the far end would send it. */
	tmp = iph->saddr;
	iph->saddr = iph->daddr;
	iph->daddr = tmp;
	iph->ttl = 64;
	ip4_recsum(iph);
	ric->type = ICMP_ECHOREPLY;
	ric->checksum = 0;
	ric->checksum = csum(ric, n - iph->ihl * 4);
	ASSERT_EQ(n, write(self->fd, buf, n));

	for (int i = 0; i < 16 && !got; i++) {
		struct iphdr *rip = (struct iphdr *)buf;

		n = read_pkt(s, buf, sizeof(buf), WAIT_MS);
		if (n < 0)
			break;
		ric = (struct icmphdr *)(buf + rip->ihl * 4);
		got = rip->saddr == v4(6, 2) && ric->type == ICMP_ECHOREPLY &&
		      ric->un.echo.id == htons(id) && ric->un.echo.sequence == htons(1) &&
		      !memcmp((uint8_t *)ric + sizeof(*ric), data, sizeof(data));
	}
	EXPECT_TRUE(got) TH_LOG("no echo reply on the raw socket");
	close(s);
}

/*
 * Without IFHEAD, IPv6 is not passed to the reader: it is dropped (tx_dropped). The kernel's
 * own IPv6 packets (MLD, RS) are dropped too, so the count is a lower bound. Net 7.
 */
TEST_F_TIMEOUT(tun, ipv6_dropped_without_ifhead, 60)
{
	struct in6_addr dst = v6(7, 2);
	uint8_t buf[PKT_MAX];
	long long before, after;
	int ret;

	EXPECT_EQ(0, get_int(self->fd, TUNGIFHEAD));
	ASSERT_EQ(0, ip("-6 addr add fd77:7::1/64 dev %s nodad", self->name));
	ASSERT_EQ(0, ip("link set %s up", self->name));
	before = stat_val(self->name, "tx_dropped");
	ASSERT_LE(0, before);
	for (int i = 0; i < 3; i++) {
		ret = send_udp6(&dst, 7000, "v6", 2);
		EXPECT_EQ(0, ret) TH_LOG("sendto [fd77:7::2]: %s", strerror(-ret));
	}
	EXPECT_FALSE(wait_readable(self->fd, QUIET_MS)) TH_LOG("something became readable");
	ASSERT_EQ(0, set_nonblock(self->fd));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	after = stat_val(self->name, "tx_dropped");
	EXPECT_LE(before + 3, after) TH_LOG("tx_dropped %lld -> %lld", before, after);
}

/*
 * With IFHEAD, each packet read starts with the address family in network order: AF_INET6
 * (Linux's 10) for IPv6, AF_INET (2) for IPv4. Net 8.
 */
TEST_F_TIMEOUT(tun, ifhead_read, 60)
{
	static const char data6[] = "v6 via ifhead", data4[] = "v4 via ifhead";
	struct in6_addr dst6 = v6(8, 2);
	uint8_t buf[PKT_MAX];
	uint32_t af;
	bool got = false;
	ssize_t n = 0;
	int ret;

	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	EXPECT_EQ(1, get_int(self->fd, TUNGIFHEAD));
	ASSERT_EQ(0, tun_up46(self->name, 8));

	ret = send_udp6(&dst6, 8000, data6, sizeof(data6));
	ASSERT_EQ(0, ret) TH_LOG("sendto [fd77:8::2]: %s", strerror(-ret));
	/* The kernel's own IPv6 packets (MLD, RS, DAD) may come first: skip them. */
	for (int i = 0; i < 32 && !got; i++) {
		n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
		ASSERT_LE(4, n) TH_LOG("read: %zd (%s)", n, n < 0 ? strerror((int)-n) : "short");
		memcpy(&af, buf, 4);
		if (ntohl(af) == AF_INET6) {
			EXPECT_EQ(6, buf[4] >> 4);
		} else {
			EXPECT_EQ((uint32_t)AF_INET, ntohl(af))
				TH_LOG("family header %u", ntohl(af));
			EXPECT_EQ(4, buf[4] >> 4);
		}
		got = ntohl(af) == AF_INET6 && is_udp6_to(buf + 4, n - 4, &dst6, 8000);
	}
	ASSERT_TRUE(got) TH_LOG("the IPv6 datagram was not read");
	EXPECT_EQ(4 + 48 + (ssize_t)sizeof(data6), n);
	EXPECT_EQ(0, memcmp(buf + 4 + 48, data6, sizeof(data6)));

	ASSERT_EQ(0, send_udp4(v4(8, 2), 8001, data4, sizeof(data4)));
	got = false;
	for (int i = 0; i < 32 && !got; i++) {
		n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
		ASSERT_LE(4, n) TH_LOG("read: %zd (%s)", n, n < 0 ? strerror((int)-n) : "short");
		memcpy(&af, buf, 4);
		got = ntohl(af) == AF_INET && is_udp4_to(buf + 4, n - 4, v4(8, 2), 8001);
	}
	ASSERT_TRUE(got) TH_LOG("the IPv4 datagram was not read with an AF_INET header");
	EXPECT_EQ(4 + 28 + (ssize_t)sizeof(data4), n);
	EXPECT_EQ(0, memcmp(udp4_payload(buf + 4), data4, sizeof(data4)));

	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 0));
	EXPECT_EQ(0, get_int(self->fd, TUNGIFHEAD));
}

/*
 * With IFHEAD, a written packet's family header picks the protocol: AF_INET6 and AF_INET
 * packets enter the stack; an unknown family is EAFNOSUPPORT. Net 9.
 */
TEST_F_TIMEOUT(tun, ifhead_write, 60)
{
	static const char data6[] = "written v6", data4[] = "written v4";
	struct in6_addr src6 = v6(9, 2), dst6 = v6(9, 1);
	struct sockaddr_in6 from;
	socklen_t fromlen = sizeof(from);
	uint8_t pkt[PKT_MAX], buf[PKT_MAX];
	uint32_t af;
	size_t len;
	int s6, s4;

	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, tun_up46(self->name, 9));
	s6 = udp_listen(AF_INET6, 9000);
	ASSERT_LE(0, s6) TH_LOG("bind [::]:9000: %s", strerror(-s6));
	s4 = udp_listen(AF_INET, 9002);
	ASSERT_LE(0, s4) TH_LOG("bind 0.0.0.0:9002: %s", strerror(-s4));

	af = htonl(AF_INET6);
	memcpy(pkt, &af, 4);
	len = 4 + build_udp6(pkt + 4, &src6, &dst6, 9001, 9000, data6, sizeof(data6));
	ASSERT_EQ((ssize_t)len, write(self->fd, pkt, len)) TH_LOG("write: %s", strerror(errno));
	ASSERT_TRUE(wait_readable(s6, WAIT_MS)) TH_LOG("the IPv6 datagram did not arrive");
	EXPECT_EQ((ssize_t)sizeof(data6),
		  recvfrom(s6, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen));
	EXPECT_EQ(0, memcmp(buf, data6, sizeof(data6)));
	EXPECT_EQ(0, memcmp(&from.sin6_addr, &src6, sizeof(src6)));

	af = htonl(AF_INET);
	memcpy(pkt, &af, 4);
	len = 4 + build_udp4(pkt + 4, v4(9, 2), v4(9, 1), 9003, 9002, data4, sizeof(data4));
	ASSERT_EQ((ssize_t)len, write(self->fd, pkt, len)) TH_LOG("write: %s", strerror(errno));
	ASSERT_TRUE(wait_readable(s4, WAIT_MS)) TH_LOG("the IPv4 datagram did not arrive");
	EXPECT_EQ((ssize_t)sizeof(data4), recv(s4, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(buf, data4, sizeof(data4)));

	af = htonl(12345);
	memcpy(pkt, &af, 4);
	len = 4 + build_udp6(pkt + 4, &src6, &dst6, 9001, 9000, data6, sizeof(data6));
	EXPECT_EQ(-1, write(self->fd, pkt, len));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	close(s6);
	close(s4);
}

/*
 * LMODE: each read starts with the destination as a struct sockaddr_in. TUNSLMODE clears
 * IFHEAD, TUNSIFHEAD clears LMODE. Net 10.
 */
TEST_F_TIMEOUT(tun, lmode, 60)
{
	static const char data[] = "lmode";
	static const uint8_t zero[sizeof(((struct sockaddr_in *)0)->sin_zero)];
	const ssize_t plen = 28 + sizeof(data);
	struct sockaddr_in sa;
	uint8_t buf[PKT_MAX];
	uint32_t af;
	ssize_t n;

	ASSERT_EQ(16U, sizeof(sa));
	ASSERT_EQ(0, tun_up4(self->name, 10));
	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, set_int(self->fd, TUNSLMODE, 1));
	EXPECT_EQ(0, get_int(self->fd, TUNGIFHEAD)) TH_LOG("TUNSLMODE did not clear IFHEAD");

	ASSERT_EQ(0, send_udp4(v4(10, 2), 10000, data, sizeof(data)));
	n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ(16 + plen, n);
	memcpy(&sa, buf, sizeof(sa));
	EXPECT_EQ(AF_INET, sa.sin_family);
	EXPECT_EQ(0, sa.sin_port);
	EXPECT_EQ(v4(10, 2), sa.sin_addr.s_addr);
	EXPECT_EQ(0, memcmp(sa.sin_zero, zero, sizeof(zero)));
	EXPECT_TRUE(is_udp4_to(buf + 16, n - 16, v4(10, 2), 10000));

	/* TUNSIFHEAD clears LMODE: a 4-byte family header, no sockaddr. */
	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	EXPECT_EQ(1, get_int(self->fd, TUNGIFHEAD));
	ASSERT_EQ(0, send_udp4(v4(10, 2), 10001, data, sizeof(data)));
	n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ(4 + plen, n);
	memcpy(&af, buf, 4);
	EXPECT_EQ((uint32_t)AF_INET, ntohl(af));
	EXPECT_TRUE(is_udp4_to(buf + 4, n - 4, v4(10, 2), 10001));

	/* Neither: the bare packet. */
	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 0));
	ASSERT_EQ(0, send_udp4(v4(10, 2), 10002, data, sizeof(data)));
	n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ(plen, n);
	EXPECT_TRUE(is_udp4_to(buf, n, v4(10, 2), 10002));
}

/* writev gathers its iovecs into one packet. Net 11. */
TEST_F_TIMEOUT(tun, writev_gathers, 60)
{
	uint8_t pkt[PKT_MAX], data[100], buf[PKT_MAX];
	struct iovec iov[4];
	size_t len;
	int s;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	ASSERT_EQ(0, tun_up4(self->name, 11));
	s = udp_listen(AF_INET, 11000);
	ASSERT_LE(0, s);
	len = build_udp4(pkt, v4(11, 2), v4(11, 1), 11001, 11000, data, sizeof(data));
	iov[0] = (struct iovec){ pkt, 20 };		/* IP header */
	iov[1] = (struct iovec){ pkt + 20, 8 };		/* UDP header */
	iov[2] = (struct iovec){ pkt + 28, 50 };	/* payload, in two */
	iov[3] = (struct iovec){ pkt + 78, len - 78 };
	ASSERT_EQ((ssize_t)len, writev(self->fd, iov, 4)) TH_LOG("writev: %s", strerror(errno));
	ASSERT_TRUE(wait_readable(s, WAIT_MS)) TH_LOG("the datagram did not arrive");
	EXPECT_EQ((ssize_t)sizeof(data), recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(buf, data, sizeof(data)));
	close(s);
}

/* readv scatters one packet across its iovecs. Net 12. */
TEST_F_TIMEOUT(tun, readv_scatters, 60)
{
	uint8_t data[100], a[7], b[13], c[PKT_MAX], flat[PKT_MAX];
	struct iovec iov[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
	const ssize_t len = 28 + sizeof(data);
	ssize_t n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 3 + 5);
	ASSERT_EQ(0, tun_up4(self->name, 12));
	ASSERT_EQ(0, send_udp4(v4(12, 2), 12000, data, sizeof(data)));
	ASSERT_TRUE(wait_readable(self->fd, WAIT_MS));
	n = readv(self->fd, iov, 3);
	ASSERT_EQ(len, n) TH_LOG("readv: %s", n < 0 ? strerror(errno) : "wrong length");
	memcpy(flat, a, sizeof(a));
	memcpy(flat + sizeof(a), b, sizeof(b));
	memcpy(flat + sizeof(a) + sizeof(b), c, len - sizeof(a) - sizeof(b));
	EXPECT_TRUE(is_udp4_to(flat, len, v4(12, 2), 12000));
	EXPECT_EQ(0, memcmp(udp4_payload(flat), data, sizeof(data)));
}

/* A short read gets the start of a packet; the rest of it is dropped. Net 13. */
TEST_F_TIMEOUT(tun, truncating_read, 60)
{
	uint8_t first[100], second[40], buf[PKT_MAX];
	ssize_t n;

	memset(first, 'A', sizeof(first));
	memset(second, 'B', sizeof(second));
	ASSERT_EQ(0, tun_up4(self->name, 13));
	ASSERT_EQ(0, send_udp4(v4(13, 2), 13000, first, sizeof(first)));
	ASSERT_EQ(0, send_udp4(v4(13, 2), 13001, second, sizeof(second)));

	n = read_pkt(self->fd, buf, 10, WAIT_MS);
	ASSERT_EQ(10, n);
	EXPECT_EQ(0x45, buf[0]);
	EXPECT_EQ(28 + sizeof(first), (size_t)(buf[2] << 8 | buf[3]));

	n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ(28 + (ssize_t)sizeof(second), n) TH_LOG("not the next packet");
	EXPECT_TRUE(is_udp4_to(buf, n, v4(13, 2), 13001));
	EXPECT_EQ(0, memcmp(udp4_payload(buf), second, sizeof(second)));
	EXPECT_FALSE(wait_readable(self->fd, QUIET_MS)) TH_LOG("more was left to read");
}

/* Writes up to TUNMRU bytes (plus the IFHEAD header) are accepted, longer ones EIO. Net 14. */
TEST_F_TIMEOUT(tun, mru, 60)
{
	static uint8_t buf[TUNMRU + 8];
	uint32_t af = htonl(AF_INET);

	ASSERT_EQ(0, tun_up4(self->name, 14));
	/* A valid 65535-byte IPv4 packet (protocol 253, for experiments) from the peer. */
	ip4_hdr(buf, TUNMRU, 253, v4(14, 2), v4(14, 1));
	EXPECT_EQ(TUNMRU, write(self->fd, buf, TUNMRU)) TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(-1, write(self->fd, buf, TUNMRU + 1));
	EXPECT_EQ(EIO, errno);

	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	memcpy(buf, &af, 4);
	ip4_hdr(buf + 4, TUNMRU, 253, v4(14, 2), v4(14, 1));
	EXPECT_EQ(TUNMRU + 4, write(self->fd, buf, TUNMRU + 4))
		TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(-1, write(self->fd, buf, TUNMRU + 5));
	EXPECT_EQ(EIO, errno);
}

/* A zero-length write returns 0 and passes nothing up. Net 15. */
TEST_F_TIMEOUT(tun, zero_length_write, 60)
{
	uint8_t buf[4] = { 0 };
	long long rx;

	ASSERT_EQ(0, tun_up4(self->name, 15));
	rx = stat_val(self->name, "rx_packets");
	ASSERT_LE(0, rx);
	EXPECT_EQ(0, write(self->fd, buf, 0)) TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(rx, stat_val(self->name, "rx_packets"));
}

/* A write while the interface is down is ignored: returns 0, counted in rx_dropped. Net 16. */
TEST_F(tun, write_while_down)
{
	uint8_t pkt[PKT_MAX];
	long long dropped, rx;
	size_t len;

	ASSERT_EQ(0, if_flags(self->name) & IFF_UP);
	dropped = stat_val(self->name, "rx_dropped");
	rx = stat_val(self->name, "rx_packets");
	ASSERT_LE(0, dropped);
	len = build_udp4(pkt, v4(16, 2), v4(16, 1), 16001, 16000, "down", 4);
	EXPECT_EQ(0, write(self->fd, pkt, len)) TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(dropped + 1, stat_val(self->name, "rx_dropped"));
	EXPECT_EQ(rx, stat_val(self->name, "rx_packets"));
}

/* O_NONBLOCK read of an empty queue: EAGAIN. Net 17. */
TEST_F_TIMEOUT(tun, nonblocking_read, 60)
{
	uint8_t buf[PKT_MAX];

	ASSERT_EQ(0, tun_up4(self->name, 17));
	ASSERT_EQ(0, set_nonblock(self->fd));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A blocking read waits for a packet, and returns it when it comes. Net 18. */
TEST_F_TIMEOUT(tun, blocking_read, 60)
{
	/* No SA_RESTART: a read still blocked when the alarm rings fails with EINTR. */
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned long long t0, t1;
	uint8_t buf[PKT_MAX];
	int status;
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, tun_up4(self->name, 18));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	t0 = now_ms();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(500 * 1000);
		_exit(send_udp4(v4(18, 2), 18000, "late", 4) ? 1 : 0);
	}
	alarm(20);
	n = read(self->fd, buf, sizeof(buf));
	alarm(0);
	t1 = now_ms();
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(32, n) TH_LOG("read: %s", n < 0 ? strerror(errno) : "wrong length");
	EXPECT_TRUE(is_udp4_to(buf, n, v4(18, 2), 18000));
	EXPECT_LE(400ULL, t1 - t0) TH_LOG("read returned after %llu ms", t1 - t0);
}

/* poll: writable always, readable only when a packet is queued. Net 19. */
TEST_F_TIMEOUT(tun, poll_readiness, 60)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLOUT };
	uint8_t buf[PKT_MAX];

	ASSERT_EQ(0, tun_up4(self->name, 19));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents & (POLLIN | POLLOUT));

	ASSERT_EQ(0, send_udp4(v4(19, 2), 19000, "poll", 4));
	pfd.events = POLLIN;
	pfd.revents = 0;
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));
	EXPECT_EQ(POLLIN, pfd.revents & POLLIN);
	EXPECT_EQ(32, read(self->fd, buf, sizeof(buf)));
	pfd.revents = 0;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

/*
 * Wake-ups: readers blocked in read() on a unit nobody has polled yet each get their packet
 * (the driver wakes only when someone waits, and must see them), then a poller blocked in
 * poll() is woken by the next packet. Net 25.
 */
TEST_F_TIMEOUT(tun, wakeups, 60)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	uint8_t buf[PKT_MAX];
	pid_t pid[3];
	int status;

	ASSERT_EQ(0, tun_up4(self->name, 25));
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			alarm(20);	/* no SA_RESTART handler: default action kills, exit != 0 */
			_exit(read(self->fd, buf, sizeof(buf)) == 32 ? 0 : 1);
		}
	}
	usleep(500 * 1000);
	ASSERT_EQ(0, send_udp4(v4(25, 2), 25000, "one!", 4));
	ASSERT_EQ(0, send_udp4(v4(25, 2), 25001, "two!", 4));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("reader %d: status %#x", i, status);
	}

	pid[2] = fork();
	ASSERT_LE(0, pid[2]);
	if (pid[2] == 0)
		_exit(poll(&pfd, 1, 15000) == 1 && (pfd.revents & POLLIN) ? 0 : 1);
	usleep(500 * 1000);
	ASSERT_EQ(0, send_udp4(v4(25, 2), 25002, "poll", 4));
	ASSERT_EQ(pid[2], waitpid(pid[2], &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) TH_LOG("poller: %#x", status);
	EXPECT_EQ(32, read(self->fd, buf, sizeof(buf)));
}

/*
 * Edge-triggered epoll: its item stays on the unit's wait queue while the fd is in the set,
 * so every packet that arrives after the queue was drained is a new edge, whoever waits at the
 * time (the driver wakes pollers only when one is registered: the epoll item must count).
 * Net 27.
 */
TEST_F_TIMEOUT(tun, epoll_edges, 60)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	uint8_t buf[PKT_MAX];
	int ep = epoll_create1(0);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, tun_up4(self->name, 27));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	for (int round = 0; round < 3; round++) {
		ASSERT_EQ(0, send_udp4(v4(27, 2), 27000 + round, "edge", 4));
		EXPECT_EQ(1, epoll_wait(ep, &ev, 1, WAIT_MS)) TH_LOG("round %d: no edge", round);
		EXPECT_EQ(32, read(self->fd, buf, sizeof(buf)));
		EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
		EXPECT_EQ(EAGAIN, errno);
		/* Drained, and no packet since: no edge. */
		EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0)) TH_LOG("round %d: a stale edge", round);
	}
	close(ep);
}

static volatile sig_atomic_t sigio_count;

static void on_sigio(int sig)
{
	(void)sig;
	sigio_count++;
}

/* Waits up to WAIT_MS for a SIGIO after `before` were counted; true if one came. */
static bool wait_sigio(int before)
{
	for (int i = 0; i < WAIT_MS / 10 && sigio_count == before; i++)
		usleep(10 * 1000);
	return sigio_count != before;
}

/* O_ASYNC with F_SETOWN: a queued packet sends SIGIO to the owner. Net 20. */
TEST_F_TIMEOUT(tun, sigio_fcntl, 60)
{
	struct sigaction sa = { .sa_handler = on_sigio };
	int fl, before;

	ASSERT_EQ(0, tun_up4(self->name, 20));
	ASSERT_EQ(0, sigaction(SIGIO, &sa, NULL));
	ASSERT_EQ(0, fcntl(self->fd, F_SETOWN, getpid()));
	EXPECT_EQ(getpid(), fcntl(self->fd, F_GETOWN));
	fl = fcntl(self->fd, F_GETFL);
	ASSERT_LE(0, fl);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl | O_ASYNC));
	before = sigio_count;
	ASSERT_EQ(0, send_udp4(v4(20, 2), 20000, "sigio", 5));
	EXPECT_TRUE(wait_sigio(before)) TH_LOG("no SIGIO");
	EXPECT_TRUE(wait_readable(self->fd, WAIT_MS));
}

/* The same with FIOASYNC and FIOSETOWN; FIOGETOWN reads the owner back. Net 21. */
TEST_F_TIMEOUT(tun, sigio_fioasync, 60)
{
	struct sigaction sa = { .sa_handler = on_sigio };
	int on = 1, pid = getpid(), owner = 0, before;

	ASSERT_EQ(0, tun_up4(self->name, 21));
	ASSERT_EQ(0, sigaction(SIGIO, &sa, NULL));
	ASSERT_EQ(0, ioctl(self->fd, FIOASYNC, &on)) TH_LOG("FIOASYNC: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, FIOSETOWN, &pid)) TH_LOG("FIOSETOWN: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, FIOGETOWN, &owner)) TH_LOG("FIOGETOWN: %s", strerror(errno));
	EXPECT_EQ(pid, owner);
	before = sigio_count;
	ASSERT_EQ(0, send_udp4(v4(21, 2), 21000, "sigio", 5));
	EXPECT_TRUE(wait_sigio(before)) TH_LOG("no SIGIO");
}

/* The deprecated TIOCSPGRP/TIOCGPGRP set and read a process group owner. */
TEST_F(tun, sigio_pgrp)
{
	int pgrp = getpgrp(), got = 0, owner = 0;

	ASSERT_EQ(0, ioctl(self->fd, TIOCSPGRP, &pgrp)) TH_LOG("TIOCSPGRP: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, TIOCGPGRP, &got));
	EXPECT_EQ(pgrp, got);
	ASSERT_EQ(0, ioctl(self->fd, FIOGETOWN, &owner));
	EXPECT_EQ(-pgrp, owner);
}

/* FIONREAD: 0 when empty, else the next read's length (with the IFHEAD/LMODE header). Net 22. */
TEST_F_TIMEOUT(tun, fionread, 60)
{
	static const struct { unsigned long req; int on; int hdr; int plen; } modes[] = {
		{ 0, 0, 0, 33 },		/* bare */
		{ TUNSIFHEAD, 1, 4, 44 },	/* address family */
		{ TUNSLMODE, 1, 16, 55 },	/* struct sockaddr_in */
	};
	uint8_t data[64], buf[PKT_MAX];
	int avail;

	memset(data, 'f', sizeof(data));
	ASSERT_EQ(0, tun_up4(self->name, 22));
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		int len = modes[m].hdr + 28 + modes[m].plen;

		if (modes[m].req) {
			ASSERT_EQ(0, set_int(self->fd, modes[m].req, modes[m].on));
		}
		avail = -1;
		ASSERT_EQ(0, ioctl(self->fd, FIONREAD, &avail));
		EXPECT_EQ(0, avail) TH_LOG("mode %zu, empty", m);
		ASSERT_EQ(0, send_udp4(v4(22, 2), 22000, data, modes[m].plen));
		ASSERT_TRUE(wait_readable(self->fd, WAIT_MS));
		ASSERT_EQ(0, ioctl(self->fd, FIONREAD, &avail));
		EXPECT_EQ(len, avail) TH_LOG("mode %zu", m);
		EXPECT_EQ(len, read(self->fd, buf, sizeof(buf))) TH_LOG("mode %zu", m);
	}
	avail = -1;
	ASSERT_EQ(0, ioctl(self->fd, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
}

/*
 * A queued packet no longer belongs to its sender: datagrams waiting unread in the unit's
 * queue leave the sending socket's send buffer empty (SIOCOUTQ 0), so an unread unit cannot
 * pin a socket or block its sender; the reader still gets every one. Net 26.
 */
TEST_F_TIMEOUT(tun, queued_packets_orphaned, 60)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(26000) };
	uint8_t data[200], buf[PKT_MAX];
	int s, outq = -1, avail = 0;

	memset(data, 'o', sizeof(data));
	ASSERT_EQ(0, tun_up4(self->name, 26));
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, s);
	dst.sin_addr.s_addr = v4(26, 2);
	for (int i = 0; i < 5; i++)
		ASSERT_EQ((ssize_t)sizeof(data),
			  sendto(s, data, sizeof(data), 0, (struct sockaddr *)&dst, sizeof(dst)));
	ASSERT_TRUE(wait_readable(self->fd, WAIT_MS));
	ASSERT_EQ(0, ioctl(self->fd, FIONREAD, &avail));
	EXPECT_EQ(28 + (int)sizeof(data), avail);
	ASSERT_EQ(0, ioctl(s, SIOCOUTQ, &outq));
	EXPECT_EQ(0, outq) TH_LOG("the socket still owns %d bytes of queued packets", outq);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(28 + (ssize_t)sizeof(data), read_pkt(self->fd, buf, sizeof(buf), WAIT_MS));
	close(s);
}

/* ---- ioctls ------------------------------------------------------------------------------- */

/* TUNSIFMODE: point-to-point or broadcast (with or without multicast), only while down. */
TEST_F_TIMEOUT(tun, sifmode, 60)
{
	int flags;

	ASSERT_EQ(0, set_int(self->fd, TUNSIFMODE, IFF_BROADCAST));
	flags = if_flags(self->name);
	ASSERT_LE(0, flags);
	EXPECT_EQ(IFF_BROADCAST, flags & IFF_BROADCAST);
	EXPECT_EQ(0, flags & IFF_POINTOPOINT);

	ASSERT_EQ(0, set_int(self->fd, TUNSIFMODE, IFF_POINTOPOINT | IFF_MULTICAST));
	flags = if_flags(self->name);
	ASSERT_LE(0, flags);
	EXPECT_EQ(IFF_POINTOPOINT | IFF_MULTICAST, flags & (IFF_POINTOPOINT | IFF_MULTICAST));
	EXPECT_EQ(0, flags & IFF_BROADCAST);

	EXPECT_EQ(-EINVAL, set_int(self->fd, TUNSIFMODE, IFF_UP));
	EXPECT_EQ(-EINVAL, set_int(self->fd, TUNSIFMODE, 0));

	ASSERT_EQ(0, no_ipv6(self->name));
	ASSERT_EQ(0, ip("link set %s up", self->name));
	EXPECT_EQ(-EBUSY, set_int(self->fd, TUNSIFMODE, IFF_BROADCAST));
	EXPECT_EQ(-EBUSY, set_int(self->fd, TUNSIFMODE, IFF_POINTOPOINT));
	EXPECT_EQ(-EBUSY, set_int(self->fd, TUNSIFMODE, IFF_UP));
	flags = if_flags(self->name);
	ASSERT_LE(0, flags);
	EXPECT_EQ(IFF_POINTOPOINT, flags & (IFF_POINTOPOINT | IFF_BROADCAST));
}

/* TUNGIFINFO/TUNSIFINFO: type IFT_PPP, MTU, baudrate; wrong type EPROTOTYPE, bad MTU EINVAL. */
TEST_F(tun, sifinfo)
{
	struct tuninfo ti;

	memset(&ti, 0, sizeof(ti));
	ASSERT_EQ(0, ioctl(self->fd, TUNGIFINFO, &ti)) TH_LOG("TUNGIFINFO: %s", strerror(errno));
	EXPECT_EQ(1500, ti.mtu);
	EXPECT_EQ(IFT_PPP, ti.type);

	memset(&ti, 0, sizeof(ti));
	ti.type = IFT_PPP;
	ti.mtu = 1400;
	ti.baudrate = 12345;
	ASSERT_EQ(0, ioctl(self->fd, TUNSIFINFO, &ti)) TH_LOG("TUNSIFINFO: %s", strerror(errno));
	memset(&ti, 0, sizeof(ti));
	ASSERT_EQ(0, ioctl(self->fd, TUNGIFINFO, &ti));
	EXPECT_EQ(1400, ti.mtu);
	EXPECT_EQ(IFT_PPP, ti.type);
	EXPECT_EQ(12345, ti.baudrate);
	EXPECT_EQ(1400, sys_val(self->name, "mtu"));

	ti.type = IFT_ETHER;
	EXPECT_EQ(-1, ioctl(self->fd, TUNSIFINFO, &ti));
	EXPECT_EQ(EPROTOTYPE, errno);
	ti.type = IFT_PPP;
	ti.mtu = 10;
	EXPECT_EQ(-1, ioctl(self->fd, TUNSIFINFO, &ti));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1400, sys_val(self->name, "mtu"));
}

/* For in_child(): TUNSIFINFO on the inherited fd `*arg` to MTU 1300, baudrate 777; 0 or errno. */
static int sifinfo_1300(const void *arg)
{
	struct tuninfo ti = { .type = IFT_PPP, .mtu = 1300, .baudrate = 777 };

	return ioctl(*(const int *)arg, TUNSIFINFO, &ti) ? errno : 0;
}

static int sifinfo_without_net_admin(const void *arg)
{
	return drop_net_admin() ? 255 : sifinfo_1300(arg);
}

/* In a user namespace of its own: every capability there, none over the unit's namespace. */
static int sifinfo_in_userns(const void *arg)
{
	return unshare(CLONE_NEWUSER) ? 254 : sifinfo_1300(arg);
}

/* For in_child(): TUNSIFINFO keeping the MTU (1500), baudrate 555, without CAP_NET_ADMIN. */
static int sifinfo_baudrate_only(const void *arg)
{
	struct tuninfo ti = { .type = IFT_PPP, .mtu = 1500, .baudrate = 555 };

	if (drop_net_admin())
		return 255;
	return ioctl(*(const int *)arg, TUNSIFINFO, &ti) ? errno : 0;
}

/*
 * A new MTU through TUNSIFINFO needs CAP_NET_ADMIN over the unit's network namespace (FreeBSD's
 * PRIV_NET_SETIFMTU), whoever holds the file: EPERM without it, and EPERM for a task whose
 * capabilities are those of a user namespace of its own. The baudrate alone needs nothing.
 */
TEST_F(tun, sifinfo_mtu_needs_net_admin)
{
	struct tuninfo ti;

	EXPECT_EQ(EPERM, in_child(sifinfo_without_net_admin, &self->fd));
	EXPECT_EQ(EPERM, in_child(sifinfo_in_userns, &self->fd));
	EXPECT_EQ(1500, sys_val(self->name, "mtu"));
	EXPECT_EQ(0, in_child(sifinfo_baudrate_only, &self->fd));
	memset(&ti, 0, sizeof(ti));
	ASSERT_EQ(0, ioctl(self->fd, TUNGIFINFO, &ti));
	EXPECT_EQ(555, ti.baudrate);
	EXPECT_EQ(1500, ti.mtu);
	/* With it, the same request works. */
	EXPECT_EQ(0, in_child(sifinfo_1300, &self->fd));
	EXPECT_EQ(1300, sys_val(self->name, "mtu"));
}

/* TUNSDEBUG/TUNGDEBUG round-trip the debug level. */
TEST_F(tun, debug_level)
{
	int old = -1, val = -1, want;

	ASSERT_EQ(0, ioctl(self->fd, TUNGDEBUG, &old)) TH_LOG("TUNGDEBUG: %s", strerror(errno));
	want = old ? 0 : 1;
	ASSERT_EQ(0, set_int(self->fd, TUNSDEBUG, want));
	ASSERT_EQ(0, ioctl(self->fd, TUNGDEBUG, &val));
	EXPECT_EQ(want, val);
	ASSERT_EQ(0, set_int(self->fd, TUNSDEBUG, old));
	ASSERT_EQ(0, ioctl(self->fd, TUNGDEBUG, &val));
	EXPECT_EQ(old, val);
}

/* An ioctl the driver does not know: ENOTTY. */
TEST_F(tun, unknown_ioctl)
{
	int val = 0;

	EXPECT_EQ(-1, ioctl(self->fd, _IO('t', 200)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR('t', 120, int), &val));
	EXPECT_EQ(ENOTTY, errno);
}

/* ---- Counters ----------------------------------------------------------------------------- */

/*
 * rx_packets/rx_bytes count what was written, tx_packets/tx_bytes what was read, without the
 * IFHEAD header. Net 23.
 */
TEST_F_TIMEOUT(tun, counters, 60)
{
	uint8_t pkt[PKT_MAX], data[200], buf[PKT_MAX];
	long long rxp, rxb, txp, txb, sum = 0;
	int s;

	memset(data, 'c', sizeof(data));
	ASSERT_EQ(0, tun_up4(self->name, 23));
	s = udp_listen(AF_INET, 23000);
	ASSERT_LE(0, s);

	rxp = stat_val(self->name, "rx_packets");
	rxb = stat_val(self->name, "rx_bytes");
	ASSERT_LE(0, rxp);
	ASSERT_LE(0, rxb);
	for (int i = 0; i < 5; i++) {
		size_t len = build_udp4(pkt, v4(23, 2), v4(23, 1), 23001, 23000, data, 10 + 7 * i);

		ASSERT_EQ((ssize_t)len, write(self->fd, pkt, len));
		sum += len;
	}
	/* All delivered (an undelivered one would make the kernel answer, and send). */
	for (int i = 0; i < 5; i++) {
		ASSERT_TRUE(wait_readable(s, WAIT_MS)) TH_LOG("datagram %d did not arrive", i);
		ASSERT_EQ(10 + 7 * i, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	}
	EXPECT_EQ(rxp + 5, stat_val(self->name, "rx_packets"));
	EXPECT_EQ(rxb + sum, stat_val(self->name, "rx_bytes"));

	txp = stat_val(self->name, "tx_packets");
	txb = stat_val(self->name, "tx_bytes");
	ASSERT_LE(0, txp);
	ASSERT_LE(0, txb);
	sum = 0;
	for (int i = 0; i < 4; i++) {
		ssize_t n;

		ASSERT_EQ(0, send_udp4(v4(23, 2), 23002, data, 20 + 9 * i));
		n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
		ASSERT_EQ(28 + 20 + 9 * i, n);
		sum += n;
	}
	EXPECT_EQ(txp + 4, stat_val(self->name, "tx_packets"));
	EXPECT_EQ(txb + sum, stat_val(self->name, "tx_bytes"));

	/* With IFHEAD the 4-byte header is not counted. */
	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	for (int i = 0; i < 3; i++) {
		ssize_t n;

		ASSERT_EQ(0, send_udp4(v4(23, 2), 23003, data, 30 + 11 * i));
		n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
		ASSERT_EQ(4 + 28 + 30 + 11 * i, n);
		sum += n - 4;
	}
	EXPECT_EQ(txp + 7, stat_val(self->name, "tx_packets"));
	EXPECT_EQ(txb + sum, stat_val(self->name, "tx_bytes"));
	close(s);
}

/*
 * Backpressure: with txqueuelen 32, a burst of 80 datagrams is not lost: the driver stops the
 * queue when its own is full (the qdisc keeps the rest) and wakes it when read. Net 24.
 */
TEST_F_TIMEOUT(tun, backpressure, 120)
{
	enum { BURST = 60 };
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(24000) };
	int s, one = 1, sndbuf = 4 << 20, sent = 0, got = 0;
	uint8_t data[64], buf[PKT_MAX];
	uint8_t seen[BURST] = { 0 };
	long long dropped;

	ASSERT_EQ(0, no_ipv6(self->name));
	ASSERT_EQ(0, ip("link set %s txqueuelen 32", self->name));
	ASSERT_EQ(0, tun_up4(self->name, 24));
	EXPECT_EQ(32, sys_val(self->name, "tx_queue_len"));
	dropped = stat_val(self->name, "tx_dropped");
	ASSERT_LE(0, dropped);

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, s);
	/* Room for the whole burst in the socket; qdisc drops reported as ENOBUFS. */
	setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	ASSERT_EQ(0, setsockopt(s, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)));
	dst.sin_addr.s_addr = v4(24, 2);
	memset(data, 0, sizeof(data));
	for (int i = 0; i < BURST; i++) {
		ssize_t n;

		data[0] = (uint8_t)i;
		n = sendto(s, data, sizeof(data), MSG_DONTWAIT, (struct sockaddr *)&dst,
			   sizeof(dst));
		if (n == (ssize_t)sizeof(data))
			sent++;
		else
			TH_LOG("datagram %d: %s", i, n < 0 ? strerror(errno) : "short");
	}
	EXPECT_EQ(BURST, sent);

	for (int i = 0; i < BURST; i++) {
		ssize_t n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);

		if (n < 0) {
			TH_LOG("read %d: %s", i, strerror((int)-n));
			break;
		}
		if (is_udp4_to(buf, n, v4(24, 2), 24000) && n == 28 + (ssize_t)sizeof(data) &&
		    udp4_payload(buf)[0] < BURST && !seen[udp4_payload(buf)[0]]) {
			seen[udp4_payload(buf)[0]] = 1;
			got++;
		}
	}
	EXPECT_EQ(BURST, got);
	EXPECT_EQ(dropped, stat_val(self->name, "tx_dropped"));
	close(s);
}

TEST_HARNESS_MAIN
