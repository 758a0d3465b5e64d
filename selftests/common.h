/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the tuntap_rs selftests. Included last, after the test's own headers (the
 * project's <net/if_tun.h> or <net/if_tap.h> first, as glibc wants <net/if.h> before any
 * <linux/if.h>) and "kselftest_harness.h"; nothing here uses the harness. A test that configures
 * addresses defines SUBNET first (see v4()). The helpers a test may not use are marked unused: no
 * warning for them where they are not. The checksums are in csum.h, which bench/tunbench.c shares.
 */
#ifndef TUNTAP_RS_SELFTESTS_COMMON_H
#define TUNTAP_RS_SELFTESTS_COMMON_H

#include <net/if_tun.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "csum.h"
#include "netlink.h"		/* link_index() */

/* ---- Children and capabilities ------------------------------------------------------------ */

/* Runs `fn(arg)` in a child and returns what the child returned (an errno or 0). */
static inline int in_child(int (*fn)(const void *), const void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Drops CAP_NET_ADMIN from the effective set, keeps root's uid and its other capabilities. */
static inline int drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(__NR_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	return syscall(__NR_capset, &hdr, data);
}

/*
 * Without CAP_NET_ADMIN (for in_child()): opens `path` (a cloning node); 0 or the errno. Should
 * it work, the unit is not left behind.
 */
__attribute__((unused))
static int clone_without_net_admin(const void *path)
{
	int fd, one = 1;

	if (drop_net_admin())
		return 255;
	fd = open(path, O_RDWR);
	if (fd < 0)
		return errno;
	/* Should not have worked; do not leave the unit behind. */
	ioctl(fd, TUNSTRANSIENT, &one);
	close(fd);
	return 0;
}

/*
 * Without CAP_NET_ADMIN (for in_child()): opens `path` (an existing unit's node, or a cloning
 * node where that is allowed) read-write and closes it; 0 or the errno.
 */
__attribute__((unused))
static int open_without_net_admin(const void *path)
{
	int fd;

	if (drop_net_admin())
		return 255;
	fd = open(path, O_RDWR);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * Opens /dev/NAME, makes the unit transient and closes it: destroys a left-over unit (tun, tap
 * or vmnet: TAPSTRANSIENT is TUNSTRANSIENT).
 */
__attribute__((unused))
static void destroy_unit(const char *name)
{
	char path[64];
	int fd, one = 1;

	if (!name[0])
		return;
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	ioctl(fd, TUNSTRANSIENT, &one);
	close(fd);
}

/* Opens /dev/NAME read-write (and `flags`): the fd or -errno. */
__attribute__((unused))
static int open_node(const char *name, int flags)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC | flags);
	return fd < 0 ? -errno : fd;
}

/* ---- The module --------------------------------------------------------------------------- */

__attribute__((unused))
static int module_unload(void)
{
	if (syscall(__NR_delete_module, "tuntap_rs", O_NONBLOCK) == 0)
		return 0;
	return -errno;
}

/* Loads tuntap_rs.ko (TUNTAP_KO) with module parameters `params` ("" for the defaults). */
__attribute__((unused))
static int module_load(const char *params)
{
	const char *ko = getenv("TUNTAP_KO");
	int fd, ret = 0;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(__NR_finit_module, fd, params, 0) != 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Unloads and loads again (destroying every unit); no file of the module may be open. */
__attribute__((unused))
static int module_reload(const char *params)
{
	int ret = module_unload();

	if (ret && ret != -ENOENT)
		return ret;
	return module_load(params);
}

/* ---- Time --------------------------------------------------------------------------------- */

__attribute__((unused))
static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000ULL +
	       (unsigned long long)ts.tv_nsec / 1000000ULL;
}

/* Milliseconds left until `deadline` (a now_ms() value), 0 if it has passed. */
__attribute__((unused))
static int ms_left(unsigned long long deadline)
{
	unsigned long long now = now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* ---- Commands ----------------------------------------------------------------------------- */

/* Formats `ip ARGS` into cmd; false if it does not fit. */
__attribute__((unused))
static bool ip_cmd(char *cmd, size_t size, const char *fmt, va_list ap)
{
	int n = snprintf(cmd, size, "ip ");

	n += vsnprintf(cmd + n, size - n, fmt, ap);
	return n < (int)size - 20;
}

/* Runs `ip ARGS` through the shell; returns its exit status (-1 if it did not exit). */
__attribute__((unused))
static int ip_run(bool quiet, const char *fmt, va_list ap)
{
	char cmd[512];
	int status;

	if (!ip_cmd(cmd, sizeof(cmd), fmt, ap))
		return -1;
	strcat(cmd, quiet ? " >/dev/null 2>&1" : " >/dev/null");
	status = system(cmd);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* `ip ...`; its error messages, if any, go to the test log. */
__attribute__((unused))
static int __attribute__((format(printf, 1, 2))) ip(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = ip_run(false, fmt, ap);
	va_end(ap);
	return ret;
}

/* `ip ...` that is expected to fail, or may: no output at all. */
__attribute__((unused))
static int __attribute__((format(printf, 1, 2))) ip_quiet(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = ip_run(true, fmt, ap);
	va_end(ap);
	return ret;
}

/* Runs `cmd` through the shell, its standard output in out (NUL-terminated); its exit status. */
__attribute__((unused))
static int popen_output(const char *cmd, char *out, size_t size)
{
	size_t len = 0, n;
	FILE *p;
	int status;

	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (len + 1 < size && (n = fread(out + len, 1, size - 1 - len, p)) > 0)
		len += n;
	out[len] = 0;
	status = pclose(p);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* `CMD` with its standard output in out (NUL-terminated); returns its exit status. */
__attribute__((unused))
static int __attribute__((format(printf, 3, 4))) cmd_output(char *out, size_t size,
							    const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int c;

	out[0] = 0;
	va_start(ap, fmt);
	c = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (c < 0 || c >= (int)sizeof(cmd))
		return -1;
	return popen_output(cmd, out, size);
}

/* TUNGIFNAME (TAPGIFNAME is the same ioctl) into `name`: 0 or -errno. */
__attribute__((unused))
static int fd_name(int fd, char name[IFNAMSIZ])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGIFNAME, &ifr))
		return -errno;
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = 0;
	return 0;
}

/* udev may give a new Ethernet interface another address (MACAddressPolicy): let it finish. */
__attribute__((unused))
static void udev_settle(void)
{
	if (system("udevadm settle -t 5 2>/dev/null")) {
		/* No udev: nothing to wait for. */
	}
}

/* The number after the first `"KEY":` in JSON text OBJ (`ip -j` output), or -1. */
__attribute__((unused))
static long json_long(const char *obj, const char *key)
{
	char pat[48];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(obj, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* ---- sysfs, procfs, interfaces ------------------------------------------------------------ */

/* Reads /sys/class/net/IFNAME/ATTR as a number (decimal, or 0x... for `flags`); -1 on error. */
__attribute__((unused))
static long long sys_val(const char *ifname, const char *attr)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtoll(buf, NULL, 0);
}

__attribute__((unused))
static long long stat_val(const char *ifname, const char *counter)
{
	char attr[64];

	snprintf(attr, sizeof(attr), "statistics/%s", counter);
	return sys_val(ifname, attr);
}

/* The interface's flags (SIOCGIFFLAGS on an AF_INET socket), or -errno. */
__attribute__((unused))
static int if_flags(const char *name)
{
	struct ifreq ifr;
	int s, ret;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	ret = ioctl(s, SIOCGIFFLAGS, &ifr) ? -errno : (unsigned short)ifr.ifr_flags;
	close(s);
	return ret;
}

/* The interface's Ethernet address (SIOCGIFHWADDR); 0, -EPROTO if not Ethernet, or -errno. */
__attribute__((unused))
static int if_mac(const char *name, uint8_t mac[ETH_ALEN])
{
	struct ifreq ifr;
	int s, ret = 0;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (ioctl(s, SIOCGIFHWADDR, &ifr))
		ret = -errno;
	else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		ret = -EPROTO;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(s);
	return ret;
}

__attribute__((unused))
static bool node_exists(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/%s", name);
	return stat(path, &st) == 0;
}

/* N of "<prefix>N", or -1 if `name` is not of that form. */
__attribute__((unused))
static int unit_of(const char *prefix, const char *name)
{
	size_t len = strlen(prefix);
	const char *p = name + len;

	if (strncmp(name, prefix, len) || !*p)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
	}
	return atoi(name + len);
}

/*
 * The lowest N in [from, end) with no tuntap_rs unit N (no /dev/<prefix>N) and no interface
 * <prefix>N in this network namespace; -1 if there is none.
 */
__attribute__((unused))
static int free_unit_between(const char *prefix, int from, int end)
{
	for (int n = from; n < end; n++) {
		char name[IFNAMSIZ];

		snprintf(name, sizeof(name), "%s%d", prefix, n);
		if (!node_exists(name) && link_index(name) == 0)
			return n;
	}
	return -1;
}

/* The unit number cloning should pick now. */
__attribute__((unused))
static int lowest_free_unit(const char *prefix)
{
	return free_unit_between(prefix, 0, 4096);
}

/* The lowest unit number >= `from` with neither node nor interface. */
__attribute__((unused))
static int free_unit_from(const char *prefix, int from)
{
	return free_unit_between(prefix, from, 32768);
}

/* Writes `val` to /proc/sys/net/ipv6/conf/IFNAME/disable_ipv6 (no IPv6 there, if absent). */
__attribute__((unused))
static int set_disable_ipv6(const char *ifname, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

/* Turns IPv6 off on the interface, so that the kernel sends no IPv6 packets (MLD, RS, DAD). */
__attribute__((unused))
static int no_ipv6(const char *name)
{
	return set_disable_ipv6(name, "1");
}

/* ---- IPv4, UDP (the checksums: csum.h) ---------------------------------------------------- */

__attribute__((unused))
static in_addr_t ip4(unsigned int a, unsigned int b, unsigned int c, unsigned int d)
{
	return htonl(a << 24 | b << 16 | c << 8 | d);
}

/*
 * A program that configures addresses defines SUBNET before it includes this file: its own
 * 10.SUBNET.0.0/16 and fdSUBNET::/16 (SUBNET's decimal digits, read as hex), which no other
 * program uses. Each test takes a subnet NET of those: 10.SUBNET.NET.0/24 and fdSUBNET:NET::/64.
 */
#ifdef SUBNET
/* 10.SUBNET.NET.HOST. */
__attribute__((unused))
static in_addr_t v4(int net, int host)
{
	return ip4(10, SUBNET, (unsigned int)net, (unsigned int)host);
}

/* fdSUBNET:NET::HOST. */
__attribute__((unused))
static struct in6_addr v6(int net, int host)
{
	struct in6_addr a;
	char s[64];

	snprintf(s, sizeof(s), "fd%d:%x::%x", SUBNET, net, host);
	inet_pton(AF_INET6, s, &a);
	return a;
}

/* A tun's IPv4 10.SUBNET.NET.1 peer 10.SUBNET.NET.2, then up. */
__attribute__((unused))
static int tun_v4_up(const char *name, int net)
{
	if (ip("addr add 10.%d.%d.1 peer 10.%d.%d.2 dev %s", SUBNET, net, SUBNET, net, name))
		return -1;
	return ip("link set %s up", name);
}

/*
 * A tun, IPv4 only: IPv6 off (no stray packets in the queue), 10.SUBNET.NET.1 peer
 * 10.SUBNET.NET.2, up. Returns 0 on success.
 */

__attribute__((unused))
static int tun_up4(const char *name, int net)
{
	if (no_ipv6(name))
		return -1;
	return tun_v4_up(name, net);
}

/* A tun: IPv6 fdSUBNET:NET::1/64 (no DAD), IPv4 10.SUBNET.NET.1 peer 10.SUBNET.NET.2, up. */
__attribute__((unused))
static int tun_up46(const char *name, int net)
{
	if (ip("-6 addr add fd%d:%x::1/64 dev %s nodad", SUBNET, net, name))
		return -1;
	return tun_v4_up(name, net);
}

/*
 * A tap, IPv4 only: IPv6 off (no stray frames in the queue), 10.SUBNET.NET.1/24, up, and the
 * far end 10.SUBNET.NET.2 a permanent neighbour at 02:00:00:00:00:02 (the tests' mac_peer; no
 * ARP). Returns 0 on success.
 */
__attribute__((unused))
static int tap_up4(const char *name, int net)
{
	if (no_ipv6(name))
		return -1;
	if (ip("addr add 10.%d.%d.1/24 dev %s", SUBNET, net, name))
		return -1;
	if (ip("link set %s up", name))
		return -1;
	return ip("neigh add 10.%d.%d.2 lladdr 02:00:00:00:00:02 nud permanent dev %s", SUBNET,
		  net, name);
}
#endif /* SUBNET */

/* The identification of the next IPv4 header ip4_hdr() fills (one counter per test program). */
__attribute__((unused))
static uint16_t ip_id = 1;

/* Fills a 20-byte IPv4 header, checksum included. */
__attribute__((unused))
static void ip4_hdr(void *buf, size_t tot_len, uint8_t proto, in_addr_t src, in_addr_t dst)
{
	struct iphdr *iph = buf;

	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons((uint16_t)tot_len);
	iph->id = htons(ip_id++);
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = src;
	iph->daddr = dst;
	ip4_recsum(iph);
}

/* Builds an IPv4/UDP packet with a correct UDP checksum; returns its length. */
__attribute__((unused))
static size_t build_udp4(uint8_t *buf, in_addr_t src, in_addr_t dst, uint16_t sport,
			 uint16_t dport, const void *payload, size_t plen)
{
	struct udphdr *uh = (struct udphdr *)(buf + 20);
	size_t ulen = sizeof(*uh) + plen;

	uh->source = htons(sport);
	uh->dest = htons(dport);
	uh->len = htons((uint16_t)ulen);
	uh->check = 0;
	memcpy(buf + 28, payload, plen);
	uh->check = csum_fold(csum_add(csum_pseudo4(src, dst, IPPROTO_UDP, ulen), uh, ulen));
	if (!uh->check)
		uh->check = 0xffff;
	ip4_hdr(buf, 20 + ulen, IPPROTO_UDP, src, dst);
	return 20 + ulen;
}

/* Builds an IPv6/UDP packet (the UDP checksum is mandatory in IPv6); returns its length. */
__attribute__((unused))
static size_t build_udp6(uint8_t *buf, const struct in6_addr *src, const struct in6_addr *dst,
			 uint16_t sport, uint16_t dport, const void *payload, size_t plen)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)buf;
	struct udphdr *uh = (struct udphdr *)(buf + 40);
	size_t ulen = sizeof(*uh) + plen;

	memset(ip6, 0, sizeof(*ip6));
	ip6->ip6_flow = htonl(6U << 28);
	ip6->ip6_plen = htons((uint16_t)ulen);
	ip6->ip6_nxt = IPPROTO_UDP;
	ip6->ip6_hlim = 64;
	ip6->ip6_src = *src;
	ip6->ip6_dst = *dst;
	uh->source = htons(sport);
	uh->dest = htons(dport);
	uh->len = htons((uint16_t)ulen);
	uh->check = 0;
	memcpy(buf + 48, payload, plen);
	uh->check = csum_fold(csum_add(csum_pseudo6(src, dst, ulen, IPPROTO_UDP), uh, ulen));
	if (!uh->check)
		uh->check = 0xffff;
	return 40 + ulen;
}

/* Is p[0..n) an IPv4/UDP packet to dst:dport, complete (n == its total length)? */
__attribute__((unused))
static bool is_udp4_to(const uint8_t *p, size_t n, in_addr_t dst, uint16_t dport)
{
	const struct iphdr *iph = (const struct iphdr *)p;
	const struct udphdr *uh;

	if (n < 28 || iph->version != 4 || iph->protocol != IPPROTO_UDP || iph->daddr != dst ||
	    ntohs(iph->tot_len) != n || n < (size_t)iph->ihl * 4 + 8)
		return false;
	uh = (const struct udphdr *)(p + iph->ihl * 4);
	return uh->dest == htons(dport);
}

/* The UDP payload of an IPv4 packet. */
__attribute__((unused))
static const uint8_t *udp4_payload(const uint8_t *p)
{
	return p + ((const struct iphdr *)p)->ihl * 4 + 8;
}

/* ---- Ethernet frames ---------------------------------------------------------------------- */

/* Fills an Ethernet header; returns its length. */
__attribute__((unused))
static size_t eth_hdr(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	struct ether_header *eh = (struct ether_header *)f;

	memcpy(eh->ether_dhost, dst, ETH_ALEN);
	memcpy(eh->ether_shost, src, ETH_ALEN);
	eh->ether_type = htons(type);
	return ETH_HLEN;
}

/* The EtherType of frame f[0..n), 0 if it is shorter than a header. */
__attribute__((unused))
static uint16_t eth_type(const uint8_t *f, size_t n)
{
	return n < ETH_HLEN ? 0 : (uint16_t)(f[12] << 8 | f[13]);
}

/* Builds an Ethernet frame carrying an IPv4/UDP packet; returns its length. */
__attribute__((unused))
static size_t build_udp4_frame(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac,
			       in_addr_t src, in_addr_t dst, uint16_t sport, uint16_t dport,
			       const void *payload, size_t plen)
{
	eth_hdr(f, dst_mac, src_mac, ETHERTYPE_IP);
	return ETH_HLEN + build_udp4(f + ETH_HLEN, src, dst, sport, dport, payload, plen);
}

/* ---- Units a test opens, for its fixture's teardown --------------------------------------- */

/* Files and units a test opens besides the fixture's. */
#define MAX_TRACKED	8

/* In a fixture: tracked_init() in its setup, tracked_release() in its teardown. */
struct tracked {
	int fds[MAX_TRACKED];			/* more files the test opened */
	char units[MAX_TRACKED][IFNAMSIZ];	/* more units the test created */
	bool settle;				/* open_unit() lets udev finish (a tap's MAC) */
};

__attribute__((unused))
static void tracked_init(struct tracked *t)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		t->fds[i] = -1;
}

/*
 * Closes the fixture's file `fd` and the tracked files, then destroys the fixture's unit `name`
 * and the tracked units: those that a test left persistent (it failed half-way, or meant them to
 * persist).
 */
__attribute__((unused))
static void tracked_release(struct tracked *t, int fd, const char *name)
{
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < MAX_TRACKED; i++) {
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	}
	destroy_unit(name);
	for (int i = 0; i < MAX_TRACKED; i++)
		destroy_unit(t->units[i]);
}

/*
 * Opens `path` (a cloning node or a unit's node); with `transient`, sets TUNSTRANSIENT=1
 * (TAPSTRANSIENT) right away. Stores the interface name in `name` and has the teardown close the
 * file and destroy the unit. Returns the fd, or -errno.
 */
__attribute__((unused))
static int open_unit(struct tracked *t, const char *path, bool transient, char name[IFNAMSIZ])
{
	int fd, one = 1, i, ret;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (i = 0; i < MAX_TRACKED && t->fds[i] >= 0; i++)
		;
	if (i == MAX_TRACKED) {
		close(fd);
		return -EMFILE;
	}
	t->fds[i] = fd;
	ret = fd_name(fd, name);
	if (ret)
		return ret;
	for (i = 0; i < MAX_TRACKED; i++) {
		if (!strcmp(t->units[i], name))
			break;
		if (!t->units[i][0]) {
			memcpy(t->units[i], name, IFNAMSIZ);
			break;
		}
	}
	if (transient && ioctl(fd, TUNSTRANSIENT, &one))
		return -errno;
	if (t->settle)
		udev_settle();
	return fd;
}

/* Closes a file open_unit() returned (the teardown will not close it again). */
__attribute__((unused))
static void close_unit(struct tracked *t, int fd)
{
	for (int i = 0; i < MAX_TRACKED; i++) {
		if (t->fds[i] == fd)
			t->fds[i] = -1;
	}
	close(fd);
}

/* ---- Files and sockets -------------------------------------------------------------------- */

/* Waits up to `ms` for `fd` to be readable; true if it is. */
__attribute__((unused))
static bool wait_readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

/* Reads one packet (or frame), waiting up to `ms` for it; its length, or -errno (-ETIMEDOUT). */
__attribute__((unused))
static ssize_t read_pkt(int fd, void *buf, size_t len, int ms)
{
	ssize_t n;

	if (!wait_readable(fd, ms))
		return -ETIMEDOUT;
	n = read(fd, buf, len);
	return n < 0 ? -errno : n;
}

/* Sends data[0..len) over unix socket `sock`, file `fd` attached unless it is negative; 0 or -1. */
__attribute__((unused))
static int send_fd(int sock, int fd, const void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/*
 * Receives one message of up to `len` bytes from unix socket `sock` into data within `ms` (-1:
 * no limit), and the file attached to it into *fd (-1 if none); the message's length, or -errno
 * (-ETIMEDOUT).
 */
__attribute__((unused))
static ssize_t recv_fd(int sock, int *fd, void *data, size_t len, int ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			      .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	if (!wait_readable(sock, ms))
		return -ETIMEDOUT;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	}
	return n;
}

/* Sends one UDP datagram to dst:port from a new socket; 0 or -errno. */
__attribute__((unused))
static int send_udp4(in_addr_t dst, uint16_t port, const void *data, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s, ret = 0;

	sin.sin_addr.s_addr = dst;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (sendto(s, data, len, 0, (struct sockaddr *)&sin, sizeof(sin)) != (ssize_t)len)
		ret = -errno;
	close(s);
	return ret;
}

/* Receives one datagram, waiting up to `ms` for it; its length, or -errno (-ETIMEDOUT). */
__attribute__((unused))
static ssize_t recv_wait(int s, void *buf, size_t len, int ms)
{
	ssize_t n;

	if (!wait_readable(s, ms))
		return -ETIMEDOUT;
	n = recv(s, buf, len, MSG_DONTWAIT);
	return n < 0 ? -errno : n;
}

/* A UDP socket bound to the wildcard address of `family` and `port`; the fd or -errno. */
__attribute__((unused))
static int udp_listen(int family, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (s < 0)
		return -errno;
	if (family == AF_INET)
		ret = bind(s, (struct sockaddr *)&sin, sizeof(sin));
	else
		ret = bind(s, (struct sockaddr *)&sin6, sizeof(sin6));
	if (ret) {
		ret = -errno;
		close(s);
		return ret;
	}
	return s;
}

__attribute__((unused))
static int set_int(int fd, unsigned long req, int val)
{
	return ioctl(fd, req, &val) ? -errno : 0;
}

/* Reads an int ioctl; the value, or INT_MIN on error. */
__attribute__((unused))
static int get_int(int fd, unsigned long req)
{
	int val = -12345;

	if (ioctl(fd, req, &val))
		return -0x7fffffff - 1;
	return val;
}

__attribute__((unused))
static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- Slow registration under TCG ----------------------------------------------------------- */

/* Writes `val` to a /proc or /sys file: 0 or -errno. */
__attribute__((unused))
static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Creating and destroying thousands of units (stress cycles, fault sweeps): the guest's udevd
 * runs its rules for every uevent (interface and node, added and removed), which under TCG
 * costs more than the kernel's own work, so such tests stop it and start it again afterwards
 * (the uevents are still sent). They also turn on expedited RCU grace periods, which each
 * unregistration waits for.
 */
__attribute__((unused))
static bool udev_stop(void)
{
	return system("udevadm control --exit >/dev/null 2>&1") == 0;
}

__attribute__((unused))
static void udev_start(void)
{
	if (system("for d in /lib/systemd /usr/lib/systemd; do "
		   "[ -x $d/systemd-udevd ] && exec $d/systemd-udevd --daemon; done "
		   ">/dev/null 2>&1"))
		fprintf(stderr, "could not restart udevd\n");
}

#endif /* TUNTAP_RS_SELFTESTS_COMMON_H */
