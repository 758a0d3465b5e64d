// SPDX-License-Identifier: GPL-2.0
/*
 * tuntap_rs hostile-input tests: what a buggy or malicious client can hand the driver, and the
 * exact answer it gets.
 *
 * - Integer ioctls with negative, zero and huge values (INT_MAX, INT_MIN, 0xffffffff), and their
 *   arguments at unaligned addresses.
 * - Pointer ioctls, read, write, readv and writev with NULL, (void *)1, unmapped, PROT_NONE,
 *   read-only, kernel and non-canonical pointers, and with structures and packets that run into
 *   an inaccessible page: EFAULT (or what the driver does instead), counted where the driver
 *   counts it, and the unit still works afterwards.
 * - Unknown ioctl numbers: ENOTTY, argument not touched.
 * - Interface names for `ip link add NAME type bsdtun|bsdtap|bsdvmnet` that rtnetlink's policy
 *   or the driver refuses, none of which leaves an interface behind.
 * - Write sizes on tun (bare, and with the TUNSIFHEAD family header), malformed IPv4 headers,
 *   the family header not matching the packet, the MTU and the MRU; runts, the MTU and TAPMRU on
 *   tap; readv/writev with up to IOV_MAX one-byte segments.
 *
 * Where a written packet is taken by the driver and refused by the stack, the test asserts both:
 * the driver's counters (rx_packets/rx_bytes, /sys/class/net/<if>/statistics) and the stack's
 * (Ip InHdrErrors in /proc/net/snmp, IpExt InTruncatedPkts and InCsumErrors in
 * /proc/net/netstat, Ip6InHdrErrors in /proc/net/dev_snmp6/<if>).
 *
 * Needs root (CAP_NET_ADMIN), the module loaded and iproute2's `ip`. Every unit is a fresh clone
 * made transient (destroyed by its last close); the teardowns destroy any a test left behind.
 * Tests that configure addresses use 10.77.<net>.0/24 and fd77:<net>::/64, <net> from 200 up, as
 * the comment before each test says.
 */
#define _GNU_SOURCE
#include <net/if_tap.h>
/* Linux's own tun ioctls, which tuntap_rs does not know. */
#include <linux/if_tun.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
/* This program's addresses: 10.77.0.0/16 and fd77::/16 (common.h's v4(), v6()). */
#define SUBNET		77
#include "common.h"
#include "netlink.h"

/* How long a test waits for what should come (the VM is slow). */
#define WAIT_MS		2000
/* How long a test waits before deciding that what should not come did not. */
#define QUIET_MS	500

#define PKT_MAX		2048
/* Linux's UIO_MAXIOV (IOV_MAX): the most segments readv/writev take. */
#define MAX_SEGS	1024

/* The made-up far end of a tap. */
static const uint8_t mac_peer[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* The values every integer ioctl is tried with. */
static const int hostile_ints[] = { 1, -1, 2, 0x100, INT_MAX, INT_MIN, (int)0xffffffffU };

/*
 * `p`, hidden from the compiler: a NULL buffer with a non-zero length is what these tests mean
 * to pass, and what glibc's access attributes make GCC refuse at compile time.
 */
static void *launder(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

/* A page size, for the mappings. */
static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* ---- Addresses and interfaces ------------------------------------------------------------- */

/* Up, no IPv6, no address: packets written go up, nothing is routed out. 0 on success. */
static int link_up(const char *name)
{
	if (no_ipv6(name))
		return -1;
	return ip("link set %s up", name);
}

/* Opens cloning node `path`, makes the unit transient, names it: the fd or -errno. */
static int clone_unit(const char *path, char name[IFNAMSIZ])
{
	struct ifreq ifr;
	int fd, one = 1, ret;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNSTRANSIENT, &one) || ioctl(fd, TUNGIFNAME, &ifr)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = 0;
	return fd;
}

/* ioctl(2): 0 or -errno. */
static int xioctl(int fd, unsigned long cmd, const void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* FIONREAD: the next packet's length, or -errno. */
static int fionread(int fd)
{
	int avail = -1;

	return ioctl(fd, FIONREAD, &avail) ? -errno : avail;
}

/* ---- Counters ----------------------------------------------------------------------------- */

/*
 * Field `field` of the `table` lines ("Ip", "IpExt", ...) of /proc/net/snmp or /proc/net/netstat
 * (a line of names, then a line of values); -1 if absent.
 */
static long long proc_mib(const char *table, const char *field)
{
	static const char *const files[] = { "/proc/net/snmp", "/proc/net/netstat" };
	static char names[8192], vals[8192];
	size_t tlen = strlen(table);

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		FILE *f = fopen(files[i], "re");

		if (!f)
			continue;
		while (fgets(names, sizeof(names), f)) {
			char *sn, *sv, *n, *v;

			if (strncmp(names, table, tlen) || names[tlen] != ':')
				continue;
			if (!fgets(vals, sizeof(vals), f))
				break;
			n = strtok_r(names, " \n", &sn);
			v = strtok_r(vals, " \n", &sv);
			while (n && v) {
				if (!strcmp(n, field)) {
					fclose(f);
					return strtoll(v, NULL, 10);
				}
				n = strtok_r(NULL, " \n", &sn);
				v = strtok_r(NULL, " \n", &sv);
			}
		}
		fclose(f);
	}
	return -1;
}

/* IPv6 counter `field` ("Ip6InHdrErrors") of interface `ifname`; -1 if absent. */
static long long dev_snmp6(const char *ifname, const char *field)
{
	char path[128], line[256], name[128];
	long long val, ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/dev_snmp6/%s", ifname);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", name, &val) == 2 && !strcmp(name, field)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

typedef long long (*counter_fn)(const char *a, const char *b);

/*
 * Polls fn(a, b) for up to `ms` until it reaches `want` (the stack handles a written packet in
 * softirq context, maybe after the write returned); its last value.
 */
static long long wait_counter(counter_fn fn, const char *a, const char *b, long long want, int ms)
{
	unsigned long long deadline = now_ms() + (unsigned long long)ms;
	long long v;

	for (;;) {
		v = fn(a, b);
		if (v >= want || !ms_left(deadline))
			return v;
		usleep(10 * 1000);
	}
}

/* The interface counters a write moves. */
struct ifstats {
	long long rx_packets, rx_bytes, rx_errors, rx_dropped;
};

static int ifstats(const char *name, struct ifstats *s)
{
	s->rx_packets = stat_val(name, "rx_packets");
	s->rx_bytes = stat_val(name, "rx_bytes");
	s->rx_errors = stat_val(name, "rx_errors");
	s->rx_dropped = stat_val(name, "rx_dropped");
	return s->rx_packets < 0 || s->rx_bytes < 0 || s->rx_errors < 0 || s->rx_dropped < 0 ?
	       -1 : 0;
}

/* ---- Packets and frames ------------------------------------------------------------------- */

/* Byte i of the payloads the tests send: a pattern that shows reordering and truncation. */
static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + 1 + (i >> 8));
}

/* An IPv4/UDP packet of exactly `total` bytes (>= 28) with a pattern payload; its length. */
static size_t build_udp4_total(uint8_t *buf, in_addr_t src, in_addr_t dst, uint16_t sport,
			       uint16_t dport, size_t total)
{
	static uint8_t payload[TUNMRU];

	for (size_t i = 0; i < total - 28; i++)
		payload[i] = pattern(i);
	return build_udp4(buf, src, dst, sport, dport, payload, total - 28);
}

/* Does data[0..len) hold the pattern? */
static bool is_pattern(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] != pattern(i))
			return false;
	}
	return true;
}

/* A UDP socket on `port` with room for a 64 KiB datagram; the fd or -errno. */
static int udp_socket(int family, uint16_t port)
{
	int s = udp_listen(family, port), size = 4 << 20;

	if (s >= 0)
		setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return s;
}

/* An inaccessible page right after an accessible one; `end` points just past the accessible one. */
struct guarded {
	uint8_t *base;
	uint8_t *end;
};

/* Maps two pages read-write and makes the second PROT_NONE; 0 or -1. */
static int guarded_map(struct guarded *g)
{
	size_t ps = page();

	g->base = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->base == MAP_FAILED)
		return -1;
	g->end = g->base + ps;
	return mprotect(g->end, ps, PROT_NONE);
}

static void guarded_unmap(struct guarded *g)
{
	munmap(g->base, 2 * page());
}

/* ---- Fixtures: one fresh tun, one fresh tap ---------------------------------------------- */

FIXTURE(tun) {
	int fd;
	char name[IFNAMSIZ];
};

FIXTURE_SETUP(tun)
{
	self->fd = clone_unit("/dev/tun", self->name);
	ASSERT_LE(0, self->fd) TH_LOG("clone /dev/tun: %s", strerror(-self->fd));
	ASSERT_LE(0, unit_of("tun", self->name)) TH_LOG("TUNGIFNAME gave '%s'", self->name);
}

FIXTURE_TEARDOWN(tun)
{
	if (self->fd >= 0)
		close(self->fd);
	/* A test that cleared TUNSTRANSIENT, or failed half-way. */
	destroy_unit(self->name);
}

FIXTURE(tap) {
	int fd;
	char name[IFNAMSIZ];
	uint8_t mac[ETH_ALEN];
};

FIXTURE_SETUP(tap)
{
	int ret;

	self->fd = clone_unit("/dev/tap", self->name);
	ASSERT_LE(0, self->fd) TH_LOG("clone /dev/tap: %s", strerror(-self->fd));
	ASSERT_LE(0, unit_of("tap", self->name)) TH_LOG("TAPGIFNAME gave '%s'", self->name);
	udev_settle();
	ret = if_mac(self->name, self->mac);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->name, strerror(-ret));
}

FIXTURE_TEARDOWN(tap)
{
	if (self->fd >= 0)
		close(self->fd);
	destroy_unit(self->name);
}

/* ==== 1. Integer ioctls: negative, zero, huge values ====================================== */

/* TUNSIFHEAD: any non-zero int turns IFHEAD on (TUNGIFHEAD reads 1), 0 turns it off. */
TEST_F(tun, sifhead_values)
{
	for (size_t i = 0; i < ARRAY_SIZE(hostile_ints); i++) {
		int v = hostile_ints[i];

		EXPECT_EQ(0, set_int(self->fd, TUNSIFHEAD, v)) TH_LOG("TUNSIFHEAD %d", v);
		EXPECT_EQ(1, get_int(self->fd, TUNGIFHEAD)) TH_LOG("after TUNSIFHEAD %d", v);
		EXPECT_EQ(0, set_int(self->fd, TUNSIFHEAD, 0));
		EXPECT_EQ(0, get_int(self->fd, TUNGIFHEAD)) TH_LOG("after TUNSIFHEAD 0");
	}
}

/*
 * TUNSLMODE: any non-zero int turns LMODE on, which clears IFHEAD; 0 turns LMODE off and leaves
 * IFHEAD alone.
 */
TEST_F(tun, slmode_values)
{
	for (size_t i = 0; i < ARRAY_SIZE(hostile_ints); i++) {
		int v = hostile_ints[i];

		ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
		EXPECT_EQ(0, set_int(self->fd, TUNSLMODE, v)) TH_LOG("TUNSLMODE %d", v);
		EXPECT_EQ(0, get_int(self->fd, TUNGIFHEAD)) TH_LOG("TUNSLMODE %d left IFHEAD on", v);
	}
	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	EXPECT_EQ(0, set_int(self->fd, TUNSLMODE, 0));
	EXPECT_EQ(1, get_int(self->fd, TUNGIFHEAD)) TH_LOG("TUNSLMODE 0 cleared IFHEAD");
}

/* TUNSLMODE INT_MIN really is "on": the next read starts with a struct sockaddr_in. Net 202. */
TEST_F_TIMEOUT(tun, slmode_int_min_prefixes_reads, 60)
{
	uint8_t buf[PKT_MAX];
	struct sockaddr_in sa;
	ssize_t n;

	ASSERT_EQ(0, tun_up4(self->name, 202));
	ASSERT_EQ(0, set_int(self->fd, TUNSLMODE, INT_MIN));
	ASSERT_EQ(0, send_udp4(v4(202, 2), 20200, "lmode", 5));
	n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ(16 + 28 + 5, n) TH_LOG("read: %zd", n);
	memcpy(&sa, buf, sizeof(sa));
	EXPECT_EQ(AF_INET, sa.sin_family);
	EXPECT_EQ(v4(202, 2), sa.sin_addr.s_addr);
	EXPECT_TRUE(is_udp4_to(buf + 16, n - 16, v4(202, 2), 20200));
}

/*
 * TUNSIFMODE while down: only IFF_POINTOPOINT or IFF_BROADCAST, optionally | IFF_MULTICAST;
 * every other value, negative ones first (they fail the conversion to unsigned), is EINVAL and
 * changes nothing.
 */
TEST_F(tun, sifmode_values_down)
{
	static const int bad[] = {
		0, -1, INT_MAX, INT_MIN, (int)0xffffffffU, IFF_UP, IFF_MULTICAST,
		IFF_BROADCAST | IFF_POINTOPOINT, IFF_BROADCAST | 0x10000,
		IFF_POINTOPOINT | IFF_MULTICAST | IFF_UP,
	};
	int flags = if_flags(self->name), now;

	ASSERT_LE(0, flags);
	ASSERT_EQ(IFF_POINTOPOINT | IFF_MULTICAST, flags & (IFF_POINTOPOINT | IFF_MULTICAST));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, set_int(self->fd, TUNSIFMODE, bad[i]))
			TH_LOG("TUNSIFMODE %#x", (unsigned int)bad[i]);
		now = if_flags(self->name);
		EXPECT_EQ(flags, now) TH_LOG("TUNSIFMODE %#x changed the flags", (unsigned int)bad[i]);
	}
	EXPECT_EQ(0, set_int(self->fd, TUNSIFMODE, IFF_BROADCAST | IFF_MULTICAST));
	now = if_flags(self->name);
	ASSERT_LE(0, now);
	EXPECT_EQ(IFF_BROADCAST | IFF_MULTICAST,
		  now & (IFF_BROADCAST | IFF_POINTOPOINT | IFF_MULTICAST));
}

/*
 * TUNSIFMODE while up: a negative value is EINVAL (checked before the state), any other value,
 * valid or not, is EBUSY.
 */
TEST_F_TIMEOUT(tun, sifmode_values_up, 60)
{
	static const int busy[] = { 0, 1, INT_MAX, IFF_BROADCAST, IFF_POINTOPOINT, IFF_UP };
	static const int negative[] = { -1, INT_MIN, (int)0xffffffffU, -IFF_BROADCAST };

	ASSERT_EQ(0, link_up(self->name));
	for (size_t i = 0; i < ARRAY_SIZE(busy); i++) {
		EXPECT_EQ(-EBUSY, set_int(self->fd, TUNSIFMODE, busy[i]))
			TH_LOG("TUNSIFMODE %#x while up", (unsigned int)busy[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(negative); i++) {
		EXPECT_EQ(-EINVAL, set_int(self->fd, TUNSIFMODE, negative[i]))
			TH_LOG("TUNSIFMODE %d while up", negative[i]);
	}
	EXPECT_EQ(IFF_POINTOPOINT, if_flags(self->name) & (IFF_POINTOPOINT | IFF_BROADCAST));
}

/* TUNSDEBUG keeps any int as is: TUNGDEBUG reads back INT_MIN, INT_MAX, -1, 0 exactly. */
TEST_F(tun, sdebug_values)
{
	static const int vals[] = { INT_MIN, INT_MAX, -1, 0, (int)0xffffffffU, 0x100 };
	int old = 0x5a5a5a5a, got;

	ASSERT_EQ(0, xioctl(self->fd, TUNGDEBUG, &old));
	for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
		EXPECT_EQ(0, set_int(self->fd, TUNSDEBUG, vals[i])) TH_LOG("TUNSDEBUG %d", vals[i]);
		got = 0x5a5a5a5a;
		EXPECT_EQ(0, xioctl(self->fd, TUNGDEBUG, &got));
		EXPECT_EQ(vals[i], got) TH_LOG("TUNSDEBUG %d", vals[i]);
	}
	EXPECT_EQ(0, set_int(self->fd, TUNSDEBUG, old));
	got = 0x5a5a5a5a;
	EXPECT_EQ(0, xioctl(self->fd, TUNGDEBUG, &got));
	EXPECT_EQ(old, got);
}

/*
 * TUNSTRANSIENT: any non-zero int is "transient" (TUNGTRANSIENT reads 1), 0 is not; INT_MIN,
 * left set, makes the close destroy the unit.
 */
TEST_F(tun, stransient_values)
{
	for (size_t i = 0; i < ARRAY_SIZE(hostile_ints); i++) {
		int v = hostile_ints[i];

		EXPECT_EQ(0, set_int(self->fd, TUNSTRANSIENT, 0));
		EXPECT_EQ(0, get_int(self->fd, TUNGTRANSIENT));
		EXPECT_EQ(0, set_int(self->fd, TUNSTRANSIENT, v)) TH_LOG("TUNSTRANSIENT %d", v);
		EXPECT_EQ(1, get_int(self->fd, TUNGTRANSIENT)) TH_LOG("TUNSTRANSIENT %d", v);
	}
	ASSERT_EQ(0, set_int(self->fd, TUNSTRANSIENT, INT_MIN));
	close(self->fd);
	self->fd = -1;
	EXPECT_FALSE(node_exists(self->name)) TH_LOG("TUNSTRANSIENT INT_MIN: unit left behind");
	EXPECT_EQ(0U, link_index(self->name));
}

/*
 * TUNSIFINFO checks the type first: any type but IFT_PPP is EPROTOTYPE, and neither the
 * baudrate nor the MTU of that request is applied.
 */
TEST_F(tun, sifinfo_type_values)
{
	static const uint8_t types[] = { 0, IFT_ETHER, 0xff, IFT_PPP + 1, IFT_PPP - 1 };
	struct tuninfo ti;

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		memset(&ti, 0, sizeof(ti));
		ti.baudrate = 777;
		ti.mtu = 1400;
		ti.type = types[i];
		EXPECT_EQ(-EPROTOTYPE, xioctl(self->fd, TUNSIFINFO, &ti)) TH_LOG("type %u", types[i]);
	}
	memset(&ti, 0xa5, sizeof(ti));
	ASSERT_EQ(0, xioctl(self->fd, TUNGIFINFO, &ti));
	EXPECT_EQ(0, ti.baudrate);
	EXPECT_EQ(1500, ti.mtu);
	EXPECT_EQ(IFT_PPP, ti.type);
	EXPECT_EQ(1500, sys_val(self->name, "mtu"));
}

/* TUNSIFINFO keeps any baudrate as is (Linux has none): INT_MIN, INT_MAX, -1, 0 read back. */
TEST_F(tun, sifinfo_baudrate_values)
{
	static const int vals[] = { INT_MIN, INT_MAX, -1, 0, (int)0xffffffffU };
	struct tuninfo ti;

	for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
		memset(&ti, 0, sizeof(ti));
		ti.baudrate = vals[i];
		ti.mtu = 1500;
		ti.type = IFT_PPP;
		ti.dummy = 0xff;	/* ignored */
		EXPECT_EQ(0, xioctl(self->fd, TUNSIFINFO, &ti)) TH_LOG("baudrate %d", vals[i]);
		memset(&ti, 0, sizeof(ti));
		ASSERT_EQ(0, xioctl(self->fd, TUNGIFINFO, &ti));
		EXPECT_EQ(vals[i], ti.baudrate);
		EXPECT_EQ(1500, ti.mtu);
	}
}

/*
 * TUNSIFINFO's MTU goes through dev_set_mtu(): 0 and 67 are EINVAL (minimum 68), 68 and 65535
 * (TUNMRU, the maximum) are taken. A refused MTU leaves the baudrate of the request unapplied.
 */
TEST_F(tun, sifinfo_mtu_values)
{
	static const struct { unsigned short mtu; int ret; } cases[] = {
		{ 0, -EINVAL }, { 67, -EINVAL }, { 68, 0 }, { 65535, 0 }, { 1500, 0 },
	};
	struct tuninfo ti;
	int baud = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		long long before = sys_val(self->name, "mtu");

		memset(&ti, 0, sizeof(ti));
		ti.baudrate = 1000 + (int)i;
		ti.mtu = cases[i].mtu;
		ti.type = IFT_PPP;
		EXPECT_EQ(cases[i].ret, xioctl(self->fd, TUNSIFINFO, &ti))
			TH_LOG("mtu %u", cases[i].mtu);
		if (!cases[i].ret)
			baud = 1000 + (int)i;
		memset(&ti, 0, sizeof(ti));
		ASSERT_EQ(0, xioctl(self->fd, TUNGIFINFO, &ti));
		EXPECT_EQ(baud, ti.baudrate) TH_LOG("after mtu %u", cases[i].mtu);
		if (cases[i].ret) {
			EXPECT_EQ(before, sys_val(self->name, "mtu")) TH_LOG("mtu %u", cases[i].mtu);
		} else {
			EXPECT_EQ(cases[i].mtu, sys_val(self->name, "mtu"));
			EXPECT_EQ(cases[i].mtu, ti.mtu);
		}
	}
}

/*
 * FIOSETOWN (f_setown()): 0 clears the owner; a live pid or -pgrp sets it; INT_MAX and
 * -INT_MAX (no such process or group) are ESRCH and INT_MIN is EINVAL, all leaving the owner
 * as it was; -1 (0xffffffff) names process group 1, whose struct pid always exists: taken.
 */
TEST_F(tun, fiosetown_values)
{
	int pid = getpid(), pgrp = getpgrp(), owner;

	EXPECT_EQ(0, get_int(self->fd, FIOGETOWN)) TH_LOG("owner before any FIOSETOWN");
	ASSERT_EQ(0, set_int(self->fd, FIOSETOWN, pid));
	EXPECT_EQ(pid, get_int(self->fd, FIOGETOWN));
	EXPECT_EQ(-ESRCH, set_int(self->fd, FIOSETOWN, INT_MAX));
	EXPECT_EQ(pid, get_int(self->fd, FIOGETOWN)) TH_LOG("ESRCH changed the owner");
	EXPECT_EQ(-ESRCH, set_int(self->fd, FIOSETOWN, -INT_MAX));
	EXPECT_EQ(pid, get_int(self->fd, FIOGETOWN));
	EXPECT_EQ(-EINVAL, set_int(self->fd, FIOSETOWN, INT_MIN));
	EXPECT_EQ(pid, get_int(self->fd, FIOGETOWN)) TH_LOG("EINVAL changed the owner");
	EXPECT_EQ(0, set_int(self->fd, FIOSETOWN, -pgrp));
	EXPECT_EQ(-pgrp, get_int(self->fd, FIOGETOWN));
	EXPECT_EQ(pgrp, get_int(self->fd, TIOCGPGRP));
	EXPECT_EQ(0, set_int(self->fd, FIOSETOWN, (int)0xffffffffU));
	/* Group 1 has members only if init called setsid(): either is right. */
	owner = get_int(self->fd, FIOGETOWN);
	EXPECT_TRUE(owner == -1 || owner == 0) TH_LOG("FIOGETOWN after FIOSETOWN -1: %d", owner);
	EXPECT_EQ(0, set_int(self->fd, FIOSETOWN, 0));
	EXPECT_EQ(0, get_int(self->fd, FIOGETOWN));
}

/*
 * TIOCSPGRP sets the owner to minus its argument, as FreeBSD's fsetown(-pgrp): INT_MIN cannot be
 * negated (EINVAL); INT_MAX is ESRCH; a negative argument makes a process the owner: -1 is
 * process 1 (TIOCGPGRP then reads -1, FIOGETOWN 1), -getpid() ourselves.
 */
TEST_F(tun, tiocspgrp_values)
{
	int pid = getpid(), pgrp = getpgrp();

	ASSERT_EQ(0, set_int(self->fd, TIOCSPGRP, pgrp));
	EXPECT_EQ(pgrp, get_int(self->fd, TIOCGPGRP));
	EXPECT_EQ(-EINVAL, set_int(self->fd, TIOCSPGRP, INT_MIN));
	EXPECT_EQ(pgrp, get_int(self->fd, TIOCGPGRP)) TH_LOG("EINVAL changed the owner");
	EXPECT_EQ(-ESRCH, set_int(self->fd, TIOCSPGRP, INT_MAX));
	EXPECT_EQ(pgrp, get_int(self->fd, TIOCGPGRP)) TH_LOG("ESRCH changed the owner");
	EXPECT_EQ(0, set_int(self->fd, TIOCSPGRP, -pid));
	EXPECT_EQ(pid, get_int(self->fd, FIOGETOWN));
	EXPECT_EQ(-pid, get_int(self->fd, TIOCGPGRP));
	EXPECT_EQ(0, set_int(self->fd, TIOCSPGRP, (int)0xffffffffU));
	EXPECT_EQ(1, get_int(self->fd, FIOGETOWN));
	EXPECT_EQ(-1, get_int(self->fd, TIOCGPGRP));
	EXPECT_EQ(0, set_int(self->fd, TIOCSPGRP, 0));
	EXPECT_EQ(0, get_int(self->fd, FIOGETOWN));
	EXPECT_EQ(0, get_int(self->fd, TIOCGPGRP));
}

/* TUNSIFPID takes no argument: whatever is passed, even a bad pointer, is not looked at. */
TEST_F(tun, sifpid_ignores_argument)
{
	EXPECT_EQ(0, ioctl(self->fd, TUNSIFPID, (void *)1)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, ioctl(self->fd, TUNSIFPID, (void *)0xffffffff81000000UL))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, ioctl(self->fd, TUNSIFPID, (unsigned long)-1)) TH_LOG("%s", strerror(errno));
}

/*
 * TAPSVNETHDR: 0, 10 and 12 only; anything else is EINVAL and keeps the length set before
 * (TAPGVNETHDR).
 */
TEST_F(tap, svnethdr_values)
{
	static const int bad[] = {
		-1, 1, 9, 11, 13, 14, 20, 10 + 256, 12 + 65536, INT_MAX, INT_MIN, (int)0xffffffffU,
		-10, -12,
	};
	static const int good[] = { 0, 10, 12 };

	for (size_t g = 0; g < ARRAY_SIZE(good); g++) {
		ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, good[g]));
		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			EXPECT_EQ(-EINVAL, set_int(self->fd, TAPSVNETHDR, bad[i]))
				TH_LOG("TAPSVNETHDR %d", bad[i]);
			EXPECT_EQ(good[g], get_int(self->fd, TAPGVNETHDR))
				TH_LOG("TAPSVNETHDR %d changed the length", bad[i]);
		}
	}
	EXPECT_EQ(0, set_int(self->fd, TAPSVNETHDR, 0));
}

/*
 * VMIO_SIOCSIFFLAGS takes the flags by value, masked with 0x0fff, less the flags the interface
 * cannot change, | IFF_UP. Whatever the value (0, INT_MAX, INT_MIN, 0xffffffff, ULONG_MAX, a
 * pointer's bits) the interface comes up; only IFF_DEBUG, IFF_NOTRAILERS, IFF_NOARP (and IFF_UP)
 * can be set or cleared; IFF_BROADCAST and IFF_MULTICAST stay, IFF_PROMISC, IFF_LOOPBACK and
 * IFF_POINTOPOINT never appear.
 */
TEST_F_TIMEOUT(tap, vmio_siocsifflags_values, 60)
{
	const int settable = IFF_DEBUG | IFF_NOTRAILERS | IFF_NOARP;
	const int never = IFF_PROMISC | IFF_LOOPBACK | IFF_POINTOPOINT | IFF_ALLMULTI;
	/* The value, and which of the settable flags it leaves set. */
	static const struct { unsigned long val; int set; } cases[] = {
		{ 0, 0 },
		{ (unsigned long)INT_MAX, IFF_DEBUG | IFF_NOTRAILERS | IFF_NOARP },
		{ (unsigned long)(unsigned int)INT_MIN, 0 },
		{ 0xffffffffUL, IFF_DEBUG | IFF_NOTRAILERS | IFF_NOARP },
		{ ~0UL, IFF_DEBUG | IFF_NOTRAILERS | IFF_NOARP },
		{ IFF_MULTICAST, 0 },			/* above the mask */
		{ IFF_PROMISC | IFF_ALLMULTI, 0 },	/* cannot be changed */
		{ 0xffffffff00000000UL, 0 },		/* only the low 32 bits count */
		{ IFF_NOARP, IFF_NOARP },
		{ 0x0fff, IFF_DEBUG | IFF_NOTRAILERS | IFF_NOARP },
	};
	int flags;

	ASSERT_EQ(0, no_ipv6(self->name));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(0, ioctl(self->fd, VMIO_SIOCSIFFLAGS, cases[i].val))
			TH_LOG("VMIO_SIOCSIFFLAGS %#lx: %s", cases[i].val, strerror(errno));
		flags = if_flags(self->name);
		ASSERT_LE(0, flags);
		EXPECT_EQ(IFF_UP, flags & IFF_UP) TH_LOG("%#lx", cases[i].val);
		EXPECT_EQ(IFF_BROADCAST | IFF_MULTICAST, flags & (IFF_BROADCAST | IFF_MULTICAST))
			TH_LOG("%#lx: flags %#x", cases[i].val, flags);
		EXPECT_EQ(0, flags & never) TH_LOG("%#lx: flags %#x", cases[i].val, flags);
		EXPECT_EQ(cases[i].set, flags & settable)
			TH_LOG("%#lx: flags %#x", cases[i].val, flags);
	}
}

/*
 * TAPSIFINFO: type IFT_ETHER only (EPROTOTYPE otherwise); the MTU goes through dev_set_mtu(),
 * whose limits on a tap are 68..65521 (TAPMRU less an Ethernet header).
 */
TEST_F(tap, sifinfo_values)
{
	static const struct { unsigned short mtu; int ret; } cases[] = {
		{ 0, -EINVAL }, { 67, -EINVAL }, { 65522, -EINVAL }, { 65535, -EINVAL },
		{ 68, 0 }, { 65521, 0 }, { 1500, 0 },
	};
	struct tuninfo ti;
	int baud = 0;

	memset(&ti, 0, sizeof(ti));
	ti.baudrate = 5;
	ti.mtu = 1500;
	ti.type = IFT_PPP;
	EXPECT_EQ(-EPROTOTYPE, xioctl(self->fd, TAPSIFINFO, &ti));
	ti.type = 0;
	EXPECT_EQ(-EPROTOTYPE, xioctl(self->fd, TAPSIFINFO, &ti));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		long long before = sys_val(self->name, "mtu");

		memset(&ti, 0, sizeof(ti));
		ti.baudrate = INT_MIN + (int)i;
		ti.mtu = cases[i].mtu;
		ti.type = IFT_ETHER;
		EXPECT_EQ(cases[i].ret, xioctl(self->fd, TAPSIFINFO, &ti))
			TH_LOG("mtu %u", cases[i].mtu);
		if (!cases[i].ret)
			baud = INT_MIN + (int)i;
		EXPECT_EQ(cases[i].ret ? before : cases[i].mtu, sys_val(self->name, "mtu"))
			TH_LOG("mtu %u", cases[i].mtu);
		memset(&ti, 0, sizeof(ti));
		ASSERT_EQ(0, xioctl(self->fd, TAPGIFINFO, &ti));
		EXPECT_EQ(IFT_ETHER, ti.type);
		EXPECT_EQ(baud, ti.baudrate) TH_LOG("after mtu %u", cases[i].mtu);
	}
}

/* ==== 2. Arguments at unaligned addresses: copy_from_user/copy_to_user do not care ======= */

/* Every int and struct ioctl of a tun with its argument at an odd address. */
TEST_F(tun, unaligned_args)
{
	uint8_t raw[96] __attribute__((aligned(16)));
	struct tuninfo ti;
	int v, old, pid = getpid(), flags;

	v = 1;
	memcpy(raw + 1, &v, sizeof(v));
	EXPECT_EQ(0, xioctl(self->fd, TUNSIFHEAD, raw + 1));
	memset(raw, 0xee, sizeof(raw));
	EXPECT_EQ(0, xioctl(self->fd, TUNGIFHEAD, raw + 3));
	memcpy(&v, raw + 3, sizeof(v));
	EXPECT_EQ(1, v);

	old = get_int(self->fd, TUNGDEBUG);
	v = 0x12345678;
	memcpy(raw + 5, &v, sizeof(v));
	EXPECT_EQ(0, xioctl(self->fd, TUNSDEBUG, raw + 5));
	memset(raw, 0xee, sizeof(raw));
	EXPECT_EQ(0, xioctl(self->fd, TUNGDEBUG, raw + 7));
	memcpy(&v, raw + 7, sizeof(v));
	EXPECT_EQ(0x12345678, v);
	EXPECT_EQ(0, set_int(self->fd, TUNSDEBUG, old));

	memset(&ti, 0, sizeof(ti));
	ti.baudrate = 4242;
	ti.mtu = 1400;
	ti.type = IFT_PPP;
	memcpy(raw + 1, &ti, sizeof(ti));
	EXPECT_EQ(0, xioctl(self->fd, TUNSIFINFO, raw + 1));
	memset(raw, 0xee, sizeof(raw));
	EXPECT_EQ(0, xioctl(self->fd, TUNGIFINFO, raw + 3));
	memcpy(&ti, raw + 3, sizeof(ti));
	EXPECT_EQ(4242, ti.baudrate);
	EXPECT_EQ(1400, ti.mtu);
	EXPECT_EQ(IFT_PPP, ti.type);

	memset(raw, 0, sizeof(raw));
	EXPECT_EQ(0, xioctl(self->fd, TUNGIFNAME, raw + 1));
	EXPECT_EQ(0, strncmp((char *)raw + 1, self->name, IFNAMSIZ));

	memset(raw, 0xee, sizeof(raw));
	EXPECT_EQ(0, xioctl(self->fd, FIONREAD, raw + 1));
	memcpy(&v, raw + 1, sizeof(v));
	EXPECT_EQ(0, v);

	memcpy(raw + 1, &pid, sizeof(pid));
	EXPECT_EQ(0, xioctl(self->fd, FIOSETOWN, raw + 1));
	memset(raw, 0xee, sizeof(raw));
	EXPECT_EQ(0, xioctl(self->fd, FIOGETOWN, raw + 3));
	memcpy(&v, raw + 3, sizeof(v));
	EXPECT_EQ(pid, v);
	EXPECT_EQ(0, set_int(self->fd, FIOSETOWN, 0));

	v = IFF_BROADCAST;
	memcpy(raw + 2, &v, sizeof(v));
	EXPECT_EQ(0, xioctl(self->fd, TUNSIFMODE, raw + 2));
	flags = if_flags(self->name);
	EXPECT_EQ(IFF_BROADCAST, flags & (IFF_BROADCAST | IFF_POINTOPOINT));

	v = 1;
	memcpy(raw + 1, &v, sizeof(v));
	EXPECT_EQ(0, xioctl(self->fd, TUNSTRANSIENT, raw + 1));
	memset(raw, 0xee, sizeof(raw));
	EXPECT_EQ(0, xioctl(self->fd, TUNGTRANSIENT, raw + 1));
	memcpy(&v, raw + 1, sizeof(v));
	EXPECT_EQ(1, v);
}

/* The tap ioctls with their argument at an odd address. */
TEST_F(tap, unaligned_args)
{
	static const uint8_t mac_new[ETH_ALEN] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint8_t raw[64] __attribute__((aligned(16)));
	int v = 12;

	memcpy(raw + 1, &v, sizeof(v));
	EXPECT_EQ(0, xioctl(self->fd, TAPSVNETHDR, raw + 1));
	memset(raw, 0xee, sizeof(raw));
	EXPECT_EQ(0, xioctl(self->fd, TAPGVNETHDR, raw + 3));
	memcpy(&v, raw + 3, sizeof(v));
	EXPECT_EQ(12, v);
	EXPECT_EQ(0, set_int(self->fd, TAPSVNETHDR, 0));

	memcpy(raw + 1, mac_new, ETH_ALEN);
	EXPECT_EQ(0, xioctl(self->fd, SIOCSIFADDR, raw + 1));
	memset(raw, 0xee, sizeof(raw));
	EXPECT_EQ(0, xioctl(self->fd, SIOCGIFADDR, raw + 3));
	EXPECT_EQ(0, memcmp(raw + 3, mac_new, ETH_ALEN));
	/* Exactly 6 bytes are written. */
	EXPECT_EQ(0xee, raw[2]);
	EXPECT_EQ(0xee, raw[3 + ETH_ALEN]);
}

/* ==== 3. Bad pointers: NULL, 1, unmapped, PROT_NONE, kernel, non-canonical ================ */

enum bad_kind { BAD_NULL, BAD_ONE, BAD_UNMAPPED, BAD_PROT_NONE, BAD_KERNEL, BAD_NONCANONICAL };

FIXTURE(ptr) {
	void *bad;		/* the hostile pointer */
	void *map;		/* a mapping the teardown unmaps, or NULL */
	size_t map_len;
	int tun, tap;		/* units the test cloned, or -1 */
	char tun_name[IFNAMSIZ], tap_name[IFNAMSIZ];
};

FIXTURE_VARIANT(ptr) {
	enum bad_kind kind;
	/*
	 * read/write/readv/writev: refused by access_ok() in the VFS (EFAULT) before the driver
	 * runs; else the driver's copy faults.
	 */
	bool vfs_rejects;
};

FIXTURE_VARIANT_ADD(ptr, null) { .kind = BAD_NULL, .vfs_rejects = false };
FIXTURE_VARIANT_ADD(ptr, one) { .kind = BAD_ONE, .vfs_rejects = false };
FIXTURE_VARIANT_ADD(ptr, unmapped) { .kind = BAD_UNMAPPED, .vfs_rejects = false };
FIXTURE_VARIANT_ADD(ptr, prot_none) { .kind = BAD_PROT_NONE, .vfs_rejects = false };
FIXTURE_VARIANT_ADD(ptr, kernel) { .kind = BAD_KERNEL, .vfs_rejects = true };
FIXTURE_VARIANT_ADD(ptr, noncanonical) { .kind = BAD_NONCANONICAL, .vfs_rejects = true };

FIXTURE_SETUP(ptr)
{
	size_t ps = page();
	uint8_t *m;

	self->tun = self->tap = -1;
	switch (variant->kind) {
	case BAD_NULL:
		self->bad = NULL;
		break;
	case BAD_ONE:
		self->bad = (void *)1;
		break;
	case BAD_UNMAPPED:
		/* A hole between two PROT_NONE pages, so that nothing is mapped there later. */
		m = mmap(NULL, 3 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, m);
		self->map = m;
		self->map_len = 3 * ps;
		ASSERT_EQ(0, munmap(m + ps, ps));
		self->bad = m + ps;
		break;
	case BAD_PROT_NONE:
		m = mmap(NULL, ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, m);
		self->map = m;
		self->map_len = ps;
		self->bad = m;
		break;
	case BAD_KERNEL:
		self->bad = (void *)0xffffffff81000000UL;
		break;
	case BAD_NONCANONICAL:
		/* Above any user address, with 4- or 5-level page tables. */
		self->bad = (void *)0x8000000000000000UL;
		break;
	}
}

FIXTURE_TEARDOWN(ptr)
{
	if (self->tun >= 0)
		close(self->tun);
	if (self->tap >= 0)
		close(self->tap);
	destroy_unit(self->tun_name);
	destroy_unit(self->tap_name);
	if (self->map)
		munmap(self->map, self->map_len);
}

/* Is the unmapped variant's page still unmapped (mincore() fails with ENOMEM)? */
static bool still_bad(FIXTURE_DATA(ptr) *self, const FIXTURE_VARIANT(ptr) *variant)
{
	unsigned char vec;

	if (variant->kind != BAD_UNMAPPED)
		return true;
	return mincore(self->bad, page(), &vec) == -1 && errno == ENOMEM;
}

static int ptr_tun(FIXTURE_DATA(ptr) *self)
{
	self->tun = clone_unit("/dev/tun", self->tun_name);
	return self->tun;
}

static int ptr_tap(FIXTURE_DATA(ptr) *self)
{
	self->tap = clone_unit("/dev/tap", self->tap_name);
	return self->tap;
}

struct named_ioctl {
	unsigned long cmd;
	const char *name;
};

#define IOC(c) { c, #c }

/*
 * Every pointer ioctl of a tun (and FIONBIO/FIOASYNC, which the VFS handles) with the bad
 * pointer: EFAULT, and nothing changed; the unit answers a good ioctl afterwards.
 */
TEST_F(ptr, tun_ioctls)
{
	static const struct named_ioctl cmds[] = {
		IOC(TUNGIFNAME), IOC(TUNGIFINFO), IOC(TUNSIFINFO), IOC(TUNSIFHEAD),
		IOC(TUNGIFHEAD), IOC(TUNSLMODE), IOC(TUNSIFMODE), IOC(TUNSDEBUG), IOC(TUNGDEBUG),
		IOC(TUNSTRANSIENT), IOC(TUNGTRANSIENT), IOC(FIONREAD), IOC(FIOSETOWN),
		IOC(FIOGETOWN), IOC(TIOCSPGRP), IOC(TIOCGPGRP), IOC(FIONBIO), IOC(FIOASYNC),
	};
	char name[IFNAMSIZ];
	struct tuninfo ti;
	int fd, debug, fl;

	fd = ptr_tun(self);
	ASSERT_LE(0, fd) TH_LOG("clone /dev/tun: %s", strerror(-fd));
	debug = get_int(fd, TUNGDEBUG);
	ASSERT_TRUE(still_bad(self, variant));
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-EFAULT, xioctl(fd, cmds[i].cmd, self->bad)) TH_LOG("%s", cmds[i].name);
	}
	/* Nothing was applied. */
	EXPECT_EQ(0, get_int(fd, TUNGIFHEAD));
	EXPECT_EQ(1, get_int(fd, TUNGTRANSIENT));
	EXPECT_EQ(debug, get_int(fd, TUNGDEBUG));
	EXPECT_EQ(0, get_int(fd, FIOGETOWN));
	EXPECT_EQ(IFF_POINTOPOINT, if_flags(self->tun_name) & (IFF_POINTOPOINT | IFF_BROADCAST));
	fl = fcntl(fd, F_GETFL);
	EXPECT_EQ(0, fl & (O_NONBLOCK | O_ASYNC));
	memset(&ti, 0, sizeof(ti));
	ASSERT_EQ(0, xioctl(fd, TUNGIFINFO, &ti));
	EXPECT_EQ(1500, ti.mtu);
	EXPECT_EQ(0, ti.baudrate);
	/* And the unit still works. */
	ASSERT_EQ(0, fd_name(fd, name));
	EXPECT_STREQ(self->tun_name, name);
	EXPECT_EQ(0, set_int(fd, TUNSIFHEAD, 1));
	EXPECT_EQ(1, get_int(fd, TUNGIFHEAD));
}

/* Every pointer ioctl of a tap with the bad pointer: EFAULT, nothing changed. */
TEST_F(ptr, tap_ioctls)
{
	static const struct named_ioctl cmds[] = {
		IOC(TAPSVNETHDR), IOC(TAPGVNETHDR), IOC(SIOCGIFADDR), IOC(SIOCSIFADDR),
		IOC(TAPGIFNAME), IOC(TAPGIFINFO), IOC(TAPSIFINFO), IOC(TAPSDEBUG), IOC(TAPGDEBUG),
		IOC(TAPSTRANSIENT), IOC(TAPGTRANSIENT), IOC(FIONREAD), IOC(FIOSETOWN),
		IOC(FIOGETOWN), IOC(TIOCSPGRP), IOC(TIOCGPGRP),
	};
	uint8_t remote[ETH_ALEN], now[ETH_ALEN];
	char name[IFNAMSIZ];
	int fd;

	fd = ptr_tap(self);
	ASSERT_LE(0, fd) TH_LOG("clone /dev/tap: %s", strerror(-fd));
	ASSERT_EQ(0, xioctl(fd, SIOCGIFADDR, remote));
	ASSERT_TRUE(still_bad(self, variant));
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-EFAULT, xioctl(fd, cmds[i].cmd, self->bad)) TH_LOG("%s", cmds[i].name);
	}
	EXPECT_EQ(0, get_int(fd, TAPGVNETHDR));
	EXPECT_EQ(1, get_int(fd, TAPGTRANSIENT));
	ASSERT_EQ(0, xioctl(fd, SIOCGIFADDR, now));
	EXPECT_EQ(0, memcmp(remote, now, ETH_ALEN)) TH_LOG("the remote MAC changed");
	ASSERT_EQ(0, fd_name(fd, name));
	EXPECT_STREQ(self->tap_name, name);
	EXPECT_EQ(0, set_int(fd, TAPSVNETHDR, 10));
	EXPECT_EQ(10, get_int(fd, TAPGVNETHDR));
}

/*
 * write(2) from the bad pointer on a tun that is up: EFAULT. The driver's failed copy
 * (skb_from_iter) counts rx_errors; the VFS's access_ok() refusal never reaches it. Nothing is
 * received; a good write works afterwards.
 */
TEST_F(ptr, tun_write)
{
	struct ifstats b, a;
	uint8_t pkt[PKT_MAX];
	size_t len;
	int fd;

	fd = ptr_tun(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, link_up(self->tun_name));
	ASSERT_EQ(0, ifstats(self->tun_name, &b));
	ASSERT_TRUE(still_bad(self, variant));
	EXPECT_EQ(-1, write(fd, self->bad, 60));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ifstats(self->tun_name, &a));
	EXPECT_EQ(b.rx_errors + (variant->vfs_rejects ? 0 : 1), a.rx_errors);
	EXPECT_EQ(b.rx_packets, a.rx_packets);
	EXPECT_EQ(b.rx_dropped, a.rx_dropped);
	len = build_udp4_total(pkt, v4(217, 2), v4(217, 1), 21701, 21700, 100);
	EXPECT_EQ((ssize_t)len, write(fd, pkt, len)) TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(b.rx_packets + 1, stat_val(self->tun_name, "rx_packets"));
}

/*
 * The same with TUNSIFHEAD: the driver cannot read the 4-byte family header and answers EFAULT,
 * counted in rx_errors; the VFS refuses kernel and non-canonical pointers with EFAULT first.
 */
TEST_F(ptr, tun_write_ifhead)
{
	struct ifstats b, a;
	int fd;

	fd = ptr_tun(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_int(fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, link_up(self->tun_name));
	ASSERT_EQ(0, ifstats(self->tun_name, &b));
	ASSERT_TRUE(still_bad(self, variant));
	EXPECT_EQ(-1, write(fd, self->bad, 60));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ifstats(self->tun_name, &a));
	EXPECT_EQ(b.rx_errors + (variant->vfs_rejects ? 0 : 1), a.rx_errors);
	EXPECT_EQ(b.rx_packets, a.rx_packets);
}

/* write(2) of a frame from the bad pointer on a tap that is up: EFAULT, as on tun. */
TEST_F(ptr, tap_write)
{
	struct ifstats b, a;
	uint8_t f[PKT_MAX];
	int fd;

	fd = ptr_tap(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, link_up(self->tap_name));
	ASSERT_EQ(0, ifstats(self->tap_name, &b));
	ASSERT_TRUE(still_bad(self, variant));
	EXPECT_EQ(-1, write(fd, self->bad, 60));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ifstats(self->tap_name, &a));
	EXPECT_EQ(b.rx_errors + (variant->vfs_rejects ? 0 : 1), a.rx_errors);
	EXPECT_EQ(b.rx_packets, a.rx_packets);
	EXPECT_EQ(b.rx_dropped, a.rx_dropped);
	/* A runt from a good buffer is still taken. */
	memset(f, 0, sizeof(f));
	EXPECT_EQ(10, write(fd, f, 10)) TH_LOG("write: %s", strerror(errno));
}

/*
 * writev(2) whose middle segment is the bad pointer: EFAULT. The driver gathers the first
 * segment, faults on the second and counts rx_errors; kernel and non-canonical segments are
 * refused by import_iovec() before it runs.
 */
TEST_F(ptr, tun_writev_bad_segment)
{
	struct ifstats b, a;
	uint8_t pkt[PKT_MAX];
	struct iovec iov[3];
	size_t len;
	int fd;

	fd = ptr_tun(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, link_up(self->tun_name));
	len = build_udp4_total(pkt, v4(217, 2), v4(217, 1), 21701, 21700, 100);
	iov[0] = (struct iovec){ pkt, 20 };
	iov[1] = (struct iovec){ self->bad, 8 };
	iov[2] = (struct iovec){ pkt + 28, len - 28 };
	ASSERT_EQ(0, ifstats(self->tun_name, &b));
	ASSERT_TRUE(still_bad(self, variant));
	EXPECT_EQ(-1, writev(fd, iov, 3));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ifstats(self->tun_name, &a));
	EXPECT_EQ(b.rx_errors + (variant->vfs_rejects ? 0 : 1), a.rx_errors);
	EXPECT_EQ(b.rx_packets, a.rx_packets);
}

/*
 * read(2) into the bad pointer with a packet queued: EFAULT. The driver has dequeued the packet
 * when the copy faults, so it is gone (FIONREAD 0, the next read EAGAIN); a kernel or
 * non-canonical buffer is refused by the VFS first and the packet stays. Net 200.
 */
TEST_F_TIMEOUT(ptr, tun_read, 60)
{
	uint8_t buf[PKT_MAX];
	int fd;

	fd = ptr_tun(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tun_up4(self->tun_name, 200));
	ASSERT_EQ(0, set_nonblock(fd));
	ASSERT_EQ(0, send_udp4(v4(200, 2), 20000, "bad read", 8));
	ASSERT_TRUE(wait_readable(fd, WAIT_MS));
	ASSERT_EQ(28 + 8, fionread(fd));
	ASSERT_TRUE(still_bad(self, variant));
	EXPECT_EQ(-1, read(fd, self->bad, sizeof(buf)));
	EXPECT_EQ(EFAULT, errno);
	if (variant->vfs_rejects) {
		EXPECT_EQ(28 + 8, fionread(fd));
		EXPECT_EQ(28 + 8, read(fd, buf, sizeof(buf)));
	} else {
		EXPECT_EQ(0, fionread(fd)) TH_LOG("the packet was not consumed");
		EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
		EXPECT_EQ(EAGAIN, errno);
	}
	/* The unit still reads. */
	ASSERT_EQ(0, send_udp4(v4(200, 2), 20000, "good", 4));
	EXPECT_EQ(28 + 4, read_pkt(fd, buf, sizeof(buf), WAIT_MS));
}

/*
 * readv(2) whose second segment is the bad pointer: EFAULT; the packet is consumed, unless
 * import_iovec() refused the segment before the driver dequeued it. Net 201.
 */
TEST_F_TIMEOUT(ptr, tun_readv_bad_segment, 60)
{
	uint8_t a[10], c[PKT_MAX];
	struct iovec iov[3] = { { a, sizeof(a) }, { NULL, 10 }, { c, sizeof(c) } };
	int fd;

	fd = ptr_tun(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tun_up4(self->tun_name, 201));
	ASSERT_EQ(0, set_nonblock(fd));
	ASSERT_EQ(0, send_udp4(v4(201, 2), 20100, "bad readv", 9));
	ASSERT_TRUE(wait_readable(fd, WAIT_MS));
	iov[1].iov_base = self->bad;
	ASSERT_TRUE(still_bad(self, variant));
	EXPECT_EQ(-1, readv(fd, iov, 3));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(variant->vfs_rejects ? 28 + 9 : 0, fionread(fd));
}

/* ==== 4. Read-only buffers and structures that run into an inaccessible page ============== */

/*
 * A read-only page: "get" ioctls and read(2) into it are EFAULT, "set" ioctls and write(2) from
 * it work. The read has dequeued its packet. Net 203.
 */
TEST_F_TIMEOUT(tun, readonly_page, 60)
{
	static const unsigned long gets[] = {
		TUNGIFNAME, TUNGIFINFO, TUNGIFHEAD, TUNGDEBUG, TUNGTRANSIENT, FIONREAD, FIOGETOWN,
		TIOCGPGRP,
	};
	size_t ps = page(), len;
	uint8_t buf[PKT_MAX];
	struct tuninfo ti;
	uint8_t *ro;
	int one = 1, s;

	ro = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memcpy(ro, &one, sizeof(one));				/* an int 1 */
	memset(&ti, 0, sizeof(ti));
	ti.baudrate = 9600;
	ti.mtu = 1500;
	ti.type = IFT_PPP;
	memcpy(ro + 64, &ti, sizeof(ti));			/* a struct tuninfo */
	len = build_udp4_total(ro + 128, v4(203, 2), v4(203, 1), 20301, 20300, 100);
	ASSERT_EQ(0, mprotect(ro, ps, PROT_READ));

	for (size_t i = 0; i < ARRAY_SIZE(gets); i++) {
		EXPECT_EQ(-EFAULT, xioctl(self->fd, gets[i], ro + 256)) TH_LOG("ioctl %#lx", gets[i]);
	}
	EXPECT_EQ(0, xioctl(self->fd, TUNSIFHEAD, ro));
	EXPECT_EQ(1, get_int(self->fd, TUNGIFHEAD));
	EXPECT_EQ(0, xioctl(self->fd, TUNSIFHEAD, ro + 256));	/* zeros: off */
	EXPECT_EQ(0, get_int(self->fd, TUNGIFHEAD));
	EXPECT_EQ(0, xioctl(self->fd, TUNSIFINFO, ro + 64));
	memset(&ti, 0, sizeof(ti));
	ASSERT_EQ(0, xioctl(self->fd, TUNGIFINFO, &ti));
	EXPECT_EQ(9600, ti.baudrate);

	ASSERT_EQ(0, tun_up4(self->name, 203));
	s = udp_socket(AF_INET, 20300);
	ASSERT_LE(0, s);
	EXPECT_EQ((ssize_t)len, write(self->fd, ro + 128, len)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(100 - 28, recv_wait(s, buf, sizeof(buf), WAIT_MS));
	close(s);
	ASSERT_EQ(0, set_nonblock(self->fd));
	ASSERT_EQ(0, send_udp4(v4(203, 2), 20302, "ro", 2));
	ASSERT_TRUE(wait_readable(self->fd, WAIT_MS));
	EXPECT_EQ(-1, read(self->fd, ro + 256, 1024));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, fionread(self->fd));
	munmap(ro, ps);
}

/*
 * Structures that end in an inaccessible page: an int or struct tuninfo that fits before it is
 * read and written, one that runs into it is EFAULT and, for the setters, not applied.
 * TUNGIFNAME writes ifr_name only (16 bytes), so an ifreq of which only ifr_name is accessible
 * is enough (FreeBSD and Linux's tun copy out the whole struct ifreq).
 */
TEST_F(tun, args_at_page_end)
{
	uint8_t raw[sizeof(struct ifreq)];
	struct guarded g;
	struct tuninfo ti;
	int v = 1;

	ASSERT_EQ(0, guarded_map(&g));

	memcpy(g.end - 4, &v, 4);
	EXPECT_EQ(0, xioctl(self->fd, TUNSIFHEAD, g.end - 4));
	EXPECT_EQ(1, get_int(self->fd, TUNGIFHEAD));
	memset(g.end - 4, 0, 4);
	EXPECT_EQ(-EFAULT, xioctl(self->fd, TUNSIFHEAD, g.end - 2));
	EXPECT_EQ(1, get_int(self->fd, TUNGIFHEAD)) TH_LOG("a half-read int was applied");
	EXPECT_EQ(-EFAULT, xioctl(self->fd, TUNGIFHEAD, g.end - 3));
	EXPECT_EQ(0, xioctl(self->fd, TUNGIFHEAD, g.end - 4));
	memcpy(&v, g.end - 4, 4);
	EXPECT_EQ(1, v);

	EXPECT_EQ(0, xioctl(self->fd, TUNGIFINFO, g.end - sizeof(ti)));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, TUNGIFINFO, g.end - sizeof(ti) + 1));
	memset(&ti, 0, sizeof(ti));
	ti.baudrate = 31337;
	ti.mtu = 1280;
	ti.type = IFT_PPP;
	memcpy(g.end - sizeof(ti) + 1, &ti, sizeof(ti) - 1);
	EXPECT_EQ(-EFAULT, xioctl(self->fd, TUNSIFINFO, g.end - sizeof(ti) + 1));
	EXPECT_EQ(1500, sys_val(self->name, "mtu")) TH_LOG("a half-read tuninfo was applied");
	memset(&ti, 0, sizeof(ti));
	ASSERT_EQ(0, xioctl(self->fd, TUNGIFINFO, &ti));
	EXPECT_EQ(0, ti.baudrate);

	memset(g.end - IFNAMSIZ, 0, IFNAMSIZ);
	EXPECT_EQ(0, xioctl(self->fd, TUNGIFNAME, g.end - IFNAMSIZ));
	EXPECT_EQ(0, strncmp((char *)g.end - IFNAMSIZ, self->name, IFNAMSIZ));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, TUNGIFNAME, g.end - IFNAMSIZ + 1));

	/* The rest of a whole struct ifreq is left as it was. */
	memset(raw, 0xcc, sizeof(raw));
	EXPECT_EQ(0, xioctl(self->fd, TUNGIFNAME, raw));
	for (size_t i = IFNAMSIZ; i < sizeof(raw); i++) {
		EXPECT_EQ(0xcc, raw[i]) TH_LOG("byte %zu of the ifreq", i);
	}
	guarded_unmap(&g);
}

/* The remote MAC (6 bytes) at the end of the accessible page, and one byte further. */
TEST_F(tap, remote_mac_at_page_end)
{
	static const uint8_t mac_new[ETH_ALEN] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	uint8_t remote[ETH_ALEN], now[ETH_ALEN];
	struct guarded g;

	ASSERT_EQ(0, guarded_map(&g));
	ASSERT_EQ(0, xioctl(self->fd, SIOCGIFADDR, remote));
	EXPECT_EQ(0, xioctl(self->fd, SIOCGIFADDR, g.end - ETH_ALEN));
	EXPECT_EQ(0, memcmp(g.end - ETH_ALEN, remote, ETH_ALEN));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, SIOCGIFADDR, g.end - ETH_ALEN + 1));

	memcpy(g.end - ETH_ALEN + 1, mac_new, ETH_ALEN - 1);
	EXPECT_EQ(-EFAULT, xioctl(self->fd, SIOCSIFADDR, g.end - ETH_ALEN + 1));
	ASSERT_EQ(0, xioctl(self->fd, SIOCGIFADDR, now));
	EXPECT_EQ(0, memcmp(remote, now, ETH_ALEN)) TH_LOG("a half-read MAC was applied");

	memcpy(g.end - ETH_ALEN, mac_new, ETH_ALEN);
	EXPECT_EQ(0, xioctl(self->fd, SIOCSIFADDR, g.end - ETH_ALEN));
	ASSERT_EQ(0, xioctl(self->fd, SIOCGIFADDR, now));
	EXPECT_EQ(0, memcmp(mac_new, now, ETH_ALEN));
	guarded_unmap(&g);
}

/*
 * A packet whose tail lies in an inaccessible page: EFAULT, rx_errors + 1, nothing received.
 * The same bytes from a good buffer are delivered (so the packet was good). Net 204.
 */
TEST_F_TIMEOUT(tun, write_tail_unmapped, 60)
{
	uint8_t pkt[PKT_MAX], buf[PKT_MAX];
	struct ifstats b, a;
	struct guarded g;
	size_t len;
	ssize_t n;
	int s;

	ASSERT_EQ(0, tun_up4(self->name, 204));
	s = udp_socket(AF_INET, 20400);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, guarded_map(&g));
	len = build_udp4_total(pkt, v4(204, 2), v4(204, 1), 20401, 20400, 200);
	memcpy(g.end - 100, pkt, 100);
	ASSERT_EQ(0, ifstats(self->name, &b));
	EXPECT_EQ(-1, write(self->fd, g.end - 100, len));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ifstats(self->name, &a));
	EXPECT_EQ(b.rx_errors + 1, a.rx_errors);
	EXPECT_EQ(b.rx_packets, a.rx_packets);
	EXPECT_FALSE(wait_readable(s, QUIET_MS)) TH_LOG("a faulting write was delivered");

	EXPECT_EQ((ssize_t)len, write(self->fd, pkt, len));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	EXPECT_EQ(200 - 28, n);
	EXPECT_TRUE(is_pattern(buf, 200 - 28));
	guarded_unmap(&g);
	close(s);
}

/* The same on a tap: a frame running into an inaccessible page is EFAULT and rx_errors. Net 220. */
TEST_F_TIMEOUT(tap, write_tail_unmapped, 60)
{
	uint8_t f[PKT_MAX], buf[PKT_MAX];
	struct ifstats b, a;
	struct guarded g;
	size_t len;
	ssize_t n;
	int s;

	ASSERT_EQ(0, tap_up4(self->name, 220));
	s = udp_socket(AF_INET, 22000);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, guarded_map(&g));
	eth_hdr(f, self->mac, mac_peer, ETHERTYPE_IP);
	len = ETH_HLEN + build_udp4_total(f + ETH_HLEN, v4(220, 2), v4(220, 1), 22001, 22000, 200);
	memcpy(g.end - 100, f, 100);
	ASSERT_EQ(0, ifstats(self->name, &b));
	EXPECT_EQ(-1, write(self->fd, g.end - 100, len));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ifstats(self->name, &a));
	EXPECT_EQ(b.rx_errors + 1, a.rx_errors);
	EXPECT_EQ(b.rx_packets, a.rx_packets);
	EXPECT_EQ(b.rx_dropped, a.rx_dropped);
	EXPECT_FALSE(wait_readable(s, QUIET_MS)) TH_LOG("a faulting write was delivered");

	EXPECT_EQ((ssize_t)len, write(self->fd, f, len));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	EXPECT_EQ(200 - 28, n);
	guarded_unmap(&g);
	close(s);
}

/*
 * A read into a buffer whose tail lies in an inaccessible page: EFAULT, and the packet is gone,
 * counted in tx_dropped. Net 205.
 */
TEST_F_TIMEOUT(tun, read_tail_unmapped, 60)
{
	uint8_t data[200];
	struct guarded g;
	long long dropped;

	memset(data, 'r', sizeof(data));
	ASSERT_EQ(0, tun_up4(self->name, 205));
	ASSERT_EQ(0, set_nonblock(self->fd));
	ASSERT_EQ(0, guarded_map(&g));
	ASSERT_EQ(0, send_udp4(v4(205, 2), 20500, data, sizeof(data)));
	ASSERT_TRUE(wait_readable(self->fd, WAIT_MS));
	dropped = stat_val(self->name, "tx_dropped");
	EXPECT_EQ(-1, read(self->fd, g.end - 100, PKT_MAX));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, fionread(self->fd));
	EXPECT_EQ(dropped + 1, stat_val(self->name, "tx_dropped"));
	guarded_unmap(&g);
}

/* ==== 5. Unknown ioctl numbers ============================================================ */

/*
 * Numbers the driver does not know, including known ones with the wrong size or direction, the
 * 32-bit TUNGIFNAME on a 64-bit file, tap-only and Linux tun ones (the virtio-net header's
 * are every unit's now): ENOTTY, whatever the
 * argument (it is not dereferenced); the unit works afterwards.
 */
TEST_F(tun, unknown_ioctls_enotty)
{
	static const struct named_ioctl cmds[] = {
		{ 0, "0" },
		{ 0xffffffffUL, "0xffffffff" },
		{ _IO('t', 0), "_IO('t', 0)" },
		{ _IOWR('t', 255, int), "_IOWR('t', 255, int)" },
		{ _IOW('t', 90, long long), "TUNSDEBUG, 8 bytes" },
		{ _IOWR('t', 96, int), "TUNSIFHEAD, read-write" },
		{ _IOR('t', 96, int), "TUNSIFHEAD, read" },
		{ _IOW('t', 91, char[12]), "TUNSIFINFO, 12 bytes" },
		{ _IOR('t', 93, char[32]), "TUNGIFNAME, 32-bit struct ifreq" },
		{ _IO('t', 95) | (4 << 16), "TUNSIFPID with a size" },
		{ _IOW('t', 100, long long), "TUNSOFFLOAD, 8 bytes" },
		{ _IOWR('t', 100, int), "TUNSOFFLOAD, read-write" },
		IOC(VMIO_SIOCSIFFLAGS),
		IOC(SIOCGIFADDR), IOC(SIOCSIFADDR), IOC(SIOCGIFFLAGS),
		IOC(TUNSETIFF), IOC(TUNGETIFF), IOC(TUNSETPERSIST), IOC(TUNSETVNETHDRSZ),
	};
	static void *const args[] = { NULL, (void *)1, (void *)0xffffffff81000000UL };
	char name[IFNAMSIZ];

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(args); j++) {
			EXPECT_EQ(-ENOTTY, xioctl(self->fd, cmds[i].cmd, args[j]))
				TH_LOG("%s (%#lx), argument %p", cmds[i].name, cmds[i].cmd, args[j]);
		}
	}
	ASSERT_EQ(0, fd_name(self->fd, name));
	EXPECT_STREQ(self->name, name);
	EXPECT_EQ(0, get_int(self->fd, TUNGIFHEAD));
}

/* On a tap: the tun-only ioctls, VMIO_SIOCSIFFLAGS passed as a pointer ioctl, and others. */
TEST_F(tap, unknown_ioctls_enotty)
{
	static const struct named_ioctl cmds[] = {
		IOC(TUNSIFHEAD), IOC(TUNGIFHEAD), IOC(TUNSLMODE), IOC(TUNSIFMODE), IOC(TUNSIFPID),
		{ _IOW('V', 0, int), "VMIO_SIOCSIFFLAGS as _IOW" },
		{ _IO('V', 0), "VMIO_SIOCSIFFLAGS without a size" },
		{ _IOWR('t', 91, int), "TAPSVNETHDR, read-write" },
		{ 0x8914, "SIOCSIFFLAGS" }, { 0x8927, "SIOCGIFHWADDR" },
		{ 0, "0" }, { 0xffffffffUL, "0xffffffff" },
		IOC(TUNSETIFF), IOC(TUNSETVNETHDRSZ),
	};
	static void *const args[] = { NULL, (void *)1, (void *)0xffffffff81000000UL };
	char name[IFNAMSIZ];
	int flags;

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(args); j++) {
			EXPECT_EQ(-ENOTTY, xioctl(self->fd, cmds[i].cmd, args[j]))
				TH_LOG("%s (%#lx), argument %p", cmds[i].name, cmds[i].cmd, args[j]);
		}
	}
	flags = if_flags(self->name);
	EXPECT_EQ(0, flags & IFF_UP) TH_LOG("an unknown ioctl changed the flags: %#x", flags);
	ASSERT_EQ(0, fd_name(self->fd, name));
	EXPECT_STREQ(self->name, name);
}

/* ==== 6. Interface names: ip link add NAME type bsdtun|bsdtap|bsdvmnet ==================== */

struct links {
	int n;
	char names[256][IFNAMSIZ];
};

/* The entries of /sys/class/net; 0 or -1. */
static int list_links(struct links *l)
{
	struct dirent *e;
	DIR *d = opendir("/sys/class/net");

	if (!d)
		return -1;
	l->n = 0;
	while ((e = readdir(d)) && l->n < (int)ARRAY_SIZE(l->names)) {
		if (e->d_name[0] == '.')
			continue;
		size_t len = strnlen(e->d_name, IFNAMSIZ - 1);

		memcpy(l->names[l->n], e->d_name, len);
		l->names[l->n++][len] = 0;
	}
	closedir(d);
	return 0;
}

static bool has_link(const struct links *l, const char *name)
{
	for (int i = 0; i < l->n; i++) {
		if (!strcmp(l->names[i], name))
			return true;
	}
	return false;
}

/* RTM_NEWLINK (create, exclusive) of `kind` with IFLA_IFNAME exactly name[0..len): 0 or -errno. */
static int link_add_raw(const void *name, size_t len, const char *kind)
{
	struct nl_req req;
	struct rtattr *info;

	nl_init(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	nl_put(&req, IFLA_IFNAME, name, len);
	info = nl_nest(&req, IFLA_LINKINFO);
	nl_put(&req, IFLA_INFO_KIND, kind, strlen(kind));
	nl_nest_end(&req, info);
	return nl_talk(&req);
}

/*
 * Asks for a link of `kind` named name[0..len) (the attribute exactly as given) and checks that
 * the answer is `expect` and that /sys/class/net has the same entries after as before (any new
 * one is logged and deleted).
 */
static void check_link_add(struct __test_metadata *_metadata, const void *name, size_t len,
			   const char *kind, int expect)
{
	struct links before, after;
	int ret, left = 0;

	ASSERT_EQ(0, list_links(&before));
	ret = link_add_raw(name, len, kind);
	ASSERT_EQ(0, list_links(&after));
	for (int i = 0; i < after.n; i++) {
		if (has_link(&before, after.names[i]))
			continue;
		TH_LOG("left behind: %s", after.names[i]);
		link_del(after.names[i]);
		left++;
	}
	EXPECT_EQ(expect, ret) TH_LOG("type %s, name of %zu bytes '%.*s': %s", kind, len,
				      (int)len, (const char *)name,
				      ret ? strerror(-ret) : "created");
	EXPECT_EQ(0, left);
	EXPECT_EQ(before.n, after.n);
}

/* A NUL-terminated name literal and its length with the NUL, as ip(8) sends it. */
#define NAME(s) s, sizeof(s)
/* The same without the NUL. */
#define UNTERMINATED(s) s, sizeof(s) - 1

/* '/' in a name: EINVAL (the driver's parse_name(), before the kernel's dev_valid_name()). */
TEST(name_with_slash)
{
	check_link_add(_metadata, NAME("tun/1"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("/"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("tap/0"), "bsdtap", -EINVAL);
}

/* "%d" anywhere but right after the prefix: EINVAL; so is a second "%d". */
TEST(name_with_percent_d_in_the_middle)
{
	check_link_add(_metadata, NAME("tu%dn"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("tun%dx"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("tun%d%d"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("%dtun"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("vm%dnet"), "bsdvmnet", -EINVAL);
}

/*
 * An empty name (a single NUL): rtnetlink passes "" to the driver (it only makes up KIND%d when
 * IFLA_IFNAME is absent), which refuses it: EINVAL.
 */
TEST(name_empty)
{
	check_link_add(_metadata, NAME(""), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME(""), "bsdtap", -EINVAL);
}

/* An IFLA_IFNAME of no bytes at all: rtnetlink's policy (NLA_STRING, length < 1) says ERANGE. */
TEST(name_zero_length_attribute)
{
	check_link_add(_metadata, "", 0, "bsdtun", -ERANGE);
}

/*
 * 16 bytes and no NUL: longer than the policy's IFNAMSIZ - 1, ERANGE from rtnetlink before the
 * driver runs.
 */
TEST(name_16_bytes_unterminated)
{
	check_link_add(_metadata, UNTERMINATED("tun0123456789abc"), "bsdtun", -ERANGE);
	check_link_add(_metadata, UNTERMINATED("tun1234567890123"), "bsdtun", -ERANGE);
}

/*
 * 15 bytes and no NUL pass the policy and reach the driver NUL-terminated: "tun123456789012" is
 * a unit number out of range (ENOSPC), "tunxxxxxxxxxxxx" not a unit number (EINVAL).
 */
TEST(name_15_bytes_unterminated)
{
	check_link_add(_metadata, UNTERMINATED("tun123456789012"), "bsdtun", -ENOSPC);
	check_link_add(_metadata, UNTERMINATED("tunxxxxxxxxxxxx"), "bsdtun", -EINVAL);
}

/* Unit numbers the driver does not parse: leading zeros, signs, blanks, case. EINVAL. */
TEST(name_malformed_unit_number)
{
	check_link_add(_metadata, NAME("tun01"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("tun00"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("tun-1"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("tun+1"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("tun 1"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("tun1 "), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("tun0x1"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("TUN1"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("."), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME(".."), "bsdtun", -EINVAL);
}

/* Unit numbers above IF_MAXUNIT (32767), or above 2^32: ENOSPC. */
TEST(name_unit_number_out_of_range)
{
	check_link_add(_metadata, NAME("tun32768"), "bsdtun", -ENOSPC);
	check_link_add(_metadata, NAME("tap99999"), "bsdtap", -ENOSPC);
	check_link_add(_metadata, NAME("tun4294967296"), "bsdtun", -ENOSPC);
	check_link_add(_metadata, NAME("vmnet4294967295"), "bsdvmnet", -ENOSPC);
}

/* Another kind's name: EINVAL, for every pair of kinds, and the rtnetlink default of another. */
TEST(name_for_the_wrong_kind)
{
	static const char *const names[] = { "tun4321", "tap4321", "vmnet4321" };
	static const char *const kinds[] = { "bsdtun", "bsdtap", "bsdvmnet" };

	for (size_t n = 0; n < ARRAY_SIZE(names); n++) {
		ASSERT_EQ(0U, link_index(names[n])) TH_LOG("%s exists", names[n]);
		for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
			if (n == k)
				continue;
			check_link_add(_metadata, names[n], strlen(names[n]) + 1, kinds[k], -EINVAL);
		}
	}
	check_link_add(_metadata, NAME("bsdtap%d"), "bsdtun", -EINVAL);
	check_link_add(_metadata, NAME("bsdtun%d"), "bsdvmnet", -EINVAL);
	check_link_add(_metadata, NAME("tap%d"), "bsdvmnet", -EINVAL);
	check_link_add(_metadata, NAME("vmnet"), "bsdtap", -EINVAL);
}

/* A kind nobody registered: rtnetlink's EOPNOTSUPP. */
TEST(name_unknown_kind)
{
	check_link_add(_metadata, NAME("tun4321"), "bsdtunx", -EOPNOTSUPP);
}

/*
 * The name of an existing interface, of whatever kind: rtnetlink finds it and, NLM_F_EXCL being
 * set, says EEXIST before asking the driver.
 */
TEST(name_of_an_existing_interface)
{
	char name[IFNAMSIZ];
	int fd;

	check_link_add(_metadata, NAME("lo"), "bsdtun", -EEXIST);
	fd = clone_unit("/dev/tun", name);
	ASSERT_LE(0, fd) TH_LOG("clone /dev/tun: %s", strerror(-fd));
	check_link_add(_metadata, name, strlen(name) + 1, "bsdtun", -EEXIST);
	check_link_add(_metadata, name, strlen(name) + 1, "bsdtap", -EEXIST);
	close(fd);
	EXPECT_FALSE(node_exists(name));
}

/* ==== 7. Write sizes on tun ================================================================ */

/*
 * Writes buf[0..len) and checks what a packet the driver takes and the IPv4 stack refuses
 * does: the write returns len, rx_packets + 1, rx_bytes + `bytes` (what follows the IFHEAD
 * header), rx_errors and rx_dropped unchanged, and the stack's counter table/field + 1.
 */
static void write_refused_by_stack(struct __test_metadata *_metadata, int fd, const char *name,
				   const void *buf, size_t len, size_t bytes,
				   const char *table, const char *field)
{
	struct ifstats b, a;
	long long mib, got;

	mib = proc_mib(table, field);
	ASSERT_LE(0, mib) TH_LOG("%s %s", table, field);
	ASSERT_EQ(0, ifstats(name, &b));
	EXPECT_EQ((ssize_t)len, write(fd, buf, len)) TH_LOG("write %zu: %s", len, strerror(errno));
	got = wait_counter(proc_mib, table, field, mib + 1, WAIT_MS);
	EXPECT_EQ(mib + 1, got) TH_LOG("%s %s after a write of %zu", table, field, len);
	ASSERT_EQ(0, ifstats(name, &a));
	EXPECT_EQ(b.rx_packets + 1, a.rx_packets);
	EXPECT_EQ(b.rx_bytes + (long long)bytes, a.rx_bytes);
	EXPECT_EQ(b.rx_errors, a.rx_errors);
	EXPECT_EQ(b.rx_dropped, a.rx_dropped);
}

/* Writes buf[0..len) and checks that it fails with `err` and counts rx_errors, nothing else. */
static void write_refused_by_driver(struct __test_metadata *_metadata, int fd, const char *name,
				    const void *buf, size_t len, int err)
{
	struct ifstats b, a;

	ASSERT_EQ(0, ifstats(name, &b));
	EXPECT_EQ(-1, write(fd, buf, len)) TH_LOG("write of %zu", len);
	EXPECT_EQ(err, errno) TH_LOG("write of %zu: %s", len, strerror(errno));
	ASSERT_EQ(0, ifstats(name, &a));
	EXPECT_EQ(b.rx_errors + 1, a.rx_errors) TH_LOG("write of %zu", len);
	EXPECT_EQ(b.rx_packets, a.rx_packets);
	EXPECT_EQ(b.rx_bytes, a.rx_bytes);
	EXPECT_EQ(b.rx_dropped, a.rx_dropped);
}

/* A write of 0 bytes returns 0 and counts nothing, whatever the buffer. */
TEST_F_TIMEOUT(tun, write_0_bytes, 60)
{
	struct ifstats b, a;
	uint8_t buf[4] = { 0 };

	ASSERT_EQ(0, link_up(self->name));
	ASSERT_EQ(0, ifstats(self->name, &b));
	EXPECT_EQ(0, write(self->fd, buf, 0));
	EXPECT_EQ(0, write(self->fd, launder(NULL), 0));
	ASSERT_EQ(0, ifstats(self->name, &a));
	EXPECT_EQ(b.rx_packets, a.rx_packets);
	EXPECT_EQ(b.rx_errors, a.rx_errors);
	EXPECT_EQ(b.rx_dropped, a.rx_dropped);
}

/*
 * 1, 3 and 4 bytes (no IFHEAD): the driver takes each as an IPv4 packet (write_l3 has no
 * minimum) and counts it received; ip_rcv() drops it as shorter than an IPv4 header
 * (InHdrErrors).
 */
TEST_F_TIMEOUT(tun, write_1_byte, 60)
{
	const uint8_t buf[1] = { 0x45 };

	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_stack(_metadata, self->fd, self->name, buf, 1, 1, "Ip", "InHdrErrors");
}

TEST_F_TIMEOUT(tun, write_3_bytes, 60)
{
	const uint8_t buf[3] = { 0x45, 0, 0 };

	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_stack(_metadata, self->fd, self->name, buf, 3, 3, "Ip", "InHdrErrors");
}

TEST_F_TIMEOUT(tun, write_4_bytes, 60)
{
	const uint8_t buf[4] = { 0x45, 0, 0, 4 };

	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_stack(_metadata, self->fd, self->name, buf, 4, 4, "Ip", "InHdrErrors");
}

/* With IFHEAD, 0 bytes is still "length 0 returns 0", before the header is looked for. */
TEST_F_TIMEOUT(tun, ifhead_write_0_bytes, 60)
{
	struct ifstats b, a;
	uint8_t buf[4] = { 0 };

	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, link_up(self->name));
	ASSERT_EQ(0, ifstats(self->name, &b));
	EXPECT_EQ(0, write(self->fd, buf, 0));
	ASSERT_EQ(0, ifstats(self->name, &a));
	EXPECT_EQ(b.rx_errors, a.rx_errors);
	EXPECT_EQ(b.rx_packets, a.rx_packets);
}

/* With IFHEAD, 1 to 3 bytes cannot hold the family header: EINVAL, rx_errors. */
TEST_F_TIMEOUT(tun, ifhead_write_1_to_3_bytes, 60)
{
	const uint8_t buf[3] = { 0, 0, 0 };

	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, link_up(self->name));
	for (size_t len = 1; len <= 3; len++)
		write_refused_by_driver(_metadata, self->fd, self->name, buf, len, EINVAL);
}

/* IFHEAD AF_INET and nothing else: an empty IPv4 packet, taken, refused by ip_rcv(). */
TEST_F_TIMEOUT(tun, ifhead_write_header_only, 60)
{
	uint32_t af = htonl(AF_INET);

	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_stack(_metadata, self->fd, self->name, &af, 4, 0, "Ip", "InHdrErrors");
}

/* IFHEAD AF_INET and one byte. */
TEST_F_TIMEOUT(tun, ifhead_write_header_plus_1, 60)
{
	uint8_t buf[5];
	uint32_t af = htonl(AF_INET);

	memcpy(buf, &af, 4);
	buf[4] = 0x45;
	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_stack(_metadata, self->fd, self->name, buf, 5, 1, "Ip", "InHdrErrors");
}

/* A family header the driver does not carry, before a good IPv4 packet: EAFNOSUPPORT, rx_errors. */
static void bad_family(struct __test_metadata *_metadata, FIXTURE_DATA(tun) *self, uint32_t family)
{
	uint8_t buf[PKT_MAX];
	uint32_t af = htonl(family);
	size_t len;

	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, link_up(self->name));
	memcpy(buf, &af, 4);
	len = 4 + build_udp4_total(buf + 4, v4(206, 2), v4(206, 1), 20601, 20600, 64);
	write_refused_by_driver(_metadata, self->fd, self->name, buf, len, EAFNOSUPPORT);
	/* The header alone is refused the same way. */
	write_refused_by_driver(_metadata, self->fd, self->name, buf, 4, EAFNOSUPPORT);
}

TEST_F_TIMEOUT(tun, ifhead_family_0, 60)
{
	bad_family(_metadata, self, 0);
}

/* FreeBSD's AF_INET6 is 28; tuntap_rs carries Linux's, 10. */
TEST_F_TIMEOUT(tun, ifhead_family_28_freebsd_inet6, 60)
{
	bad_family(_metadata, self, 28);
}

TEST_F_TIMEOUT(tun, ifhead_family_0xffffffff, 60)
{
	bad_family(_metadata, self, 0xffffffffU);
}

/* AF_INET forgotten in host byte order (htonl missing): 0x02000000. */
TEST_F_TIMEOUT(tun, ifhead_family_host_order_inet, 60)
{
	bad_family(_metadata, self, 0x02000000U);
}

/*
 * The IFHEAD header says AF_INET, the packet is IPv6 (to a socket that would get it as AF_INET6):
 * the write is taken, ip_rcv() drops it as not version 4 (InHdrErrors), the socket gets nothing.
 * Net 206.
 */
TEST_F_TIMEOUT(tun, ifhead_inet_header_ipv6_payload, 60)
{
	struct in6_addr src = v6(206, 2), dst = v6(206, 1);
	uint32_t af = htonl(AF_INET);
	uint8_t buf[PKT_MAX];
	size_t len;
	int s;

	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, tun_up46(self->name, 206));
	s = udp_socket(AF_INET6, 20600);
	ASSERT_LE(0, s) TH_LOG("bind [::]:20600: %s", strerror(-s));
	memcpy(buf, &af, 4);
	len = 4 + build_udp6(buf + 4, &src, &dst, 20601, 20600, "v6 as v4", 8);
	write_refused_by_stack(_metadata, self->fd, self->name, buf, len, len - 4, "Ip",
			       "InHdrErrors");
	EXPECT_FALSE(wait_readable(s, QUIET_MS)) TH_LOG("an IPv6 packet framed AF_INET arrived");
	close(s);
}

/*
 * The converse: AF_INET6 before an IPv4 packet: taken, ipv6_rcv() drops it as not version 6
 * (Ip6InHdrErrors of the interface), the IPv4 socket gets nothing. Net 207.
 */
TEST_F_TIMEOUT(tun, ifhead_inet6_header_ipv4_payload, 60)
{
	uint32_t af = htonl(AF_INET6);
	struct ifstats b, a;
	uint8_t buf[PKT_MAX];
	long long before, got;
	size_t len;
	int s;

	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, tun_up46(self->name, 207));
	s = udp_socket(AF_INET, 20700);
	ASSERT_LE(0, s);
	memcpy(buf, &af, 4);
	len = 4 + build_udp4_total(buf + 4, v4(207, 2), v4(207, 1), 20701, 20700, 64);
	before = dev_snmp6(self->name, "Ip6InHdrErrors");
	ASSERT_LE(0, before);
	ASSERT_EQ(0, ifstats(self->name, &b));
	EXPECT_EQ((ssize_t)len, write(self->fd, buf, len)) TH_LOG("write: %s", strerror(errno));
	got = wait_counter(dev_snmp6, self->name, "Ip6InHdrErrors", before + 1, WAIT_MS);
	EXPECT_EQ(before + 1, got);
	ASSERT_EQ(0, ifstats(self->name, &a));
	EXPECT_EQ(b.rx_packets + 1, a.rx_packets);
	EXPECT_EQ(b.rx_errors, a.rx_errors);
	EXPECT_FALSE(wait_readable(s, QUIET_MS)) TH_LOG("an IPv4 packet framed AF_INET6 arrived");
	close(s);
}

/* ---- Malformed IPv4 headers (no IFHEAD): the driver takes them, ip_rcv() refuses them ---- */

/* 19 bytes of a good header: shorter than an IPv4 header. */
TEST_F_TIMEOUT(tun, ip_header_truncated_19_bytes, 60)
{
	uint8_t buf[64];

	ip4_hdr(buf, 40, 253, v4(208, 2), v4(208, 1));
	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_stack(_metadata, self->fd, self->name, buf, 19, 19, "Ip", "InHdrErrors");
}

/* ihl 15 (a 60-byte header) in a 20-byte packet. */
TEST_F_TIMEOUT(tun, ip_ihl_beyond_packet, 60)
{
	uint8_t buf[64] = { 0 };

	ip4_hdr(buf, 20, 253, v4(208, 2), v4(208, 1));
	((struct iphdr *)buf)->ihl = 15;
	ip4_recsum(buf);
	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_stack(_metadata, self->fd, self->name, buf, 20, 20, "Ip", "InHdrErrors");
}

/* ihl 4: less than the minimum header. */
TEST_F_TIMEOUT(tun, ip_ihl_below_5, 60)
{
	uint8_t buf[64] = { 0 };

	ip4_hdr(buf, 40, 253, v4(208, 2), v4(208, 1));
	((struct iphdr *)buf)->ihl = 4;
	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_stack(_metadata, self->fd, self->name, buf, 40, 40, "Ip", "InHdrErrors");
}

/* tot_len 100 in a 40-byte packet: InTruncatedPkts (IpExt), not a header error. */
TEST_F_TIMEOUT(tun, ip_tot_len_beyond_packet, 60)
{
	uint8_t buf[64] = { 0 };
	long long hdr;

	ip4_hdr(buf, 100, 253, v4(208, 2), v4(208, 1));
	ASSERT_EQ(0, link_up(self->name));
	hdr = proc_mib("Ip", "InHdrErrors");
	write_refused_by_stack(_metadata, self->fd, self->name, buf, 40, 40, "IpExt",
			       "InTruncatedPkts");
	EXPECT_EQ(hdr, proc_mib("Ip", "InHdrErrors"));
}

/* tot_len 10, less than the header it is in. */
TEST_F_TIMEOUT(tun, ip_tot_len_below_header, 60)
{
	uint8_t buf[64] = { 0 };

	ip4_hdr(buf, 10, 253, v4(208, 2), v4(208, 1));
	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_stack(_metadata, self->fd, self->name, buf, 40, 40, "Ip", "InHdrErrors");
}

/* A wrong header checksum: InCsumErrors (IpExt), and InHdrErrors too. */
TEST_F_TIMEOUT(tun, ip_bad_header_checksum, 60)
{
	uint8_t buf[64] = { 0 };
	long long hdr;

	ip4_hdr(buf, 40, 253, v4(208, 2), v4(208, 1));
	((struct iphdr *)buf)->check ^= htons(0x0101);
	ASSERT_EQ(0, link_up(self->name));
	hdr = proc_mib("Ip", "InHdrErrors");
	write_refused_by_stack(_metadata, self->fd, self->name, buf, 40, 40, "IpExt",
			       "InCsumErrors");
	EXPECT_EQ(hdr + 1, proc_mib("Ip", "InHdrErrors"));
}

/* ---- The MTU and the MRU ---------------------------------------------------------------- */

/*
 * Writes a UDP datagram in an IPv4 packet of `total` bytes (with IFHEAD if `ifhead`) to
 * 10.77.NET.1 and checks that it is taken whole and counted, and that its payload arrives
 * intact.
 */
static void write_delivered(struct __test_metadata *_metadata, FIXTURE_DATA(tun) *self, int net,
			    size_t total)
{
	static uint8_t pkt[TUNMRU + 8], buf[TUNMRU + 8];
	uint16_t port = (uint16_t)(net * 100);
	struct ifstats b, a;
	size_t len;
	ssize_t n;
	int s;

	ASSERT_EQ(0, tun_up4(self->name, net));
	s = udp_socket(AF_INET, port);
	ASSERT_LE(0, s);
	len = build_udp4_total(pkt, v4(net, 2), v4(net, 1), port + 1, port, total);
	ASSERT_EQ(total, len);
	ASSERT_EQ(0, ifstats(self->name, &b));
	EXPECT_EQ((ssize_t)len, write(self->fd, pkt, len)) TH_LOG("write %zu: %s", len,
								 strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	EXPECT_EQ((ssize_t)(total - 28), n) TH_LOG("packet of %zu: %s", total,
						   n < 0 ? strerror((int)-n) : "wrong length");
	if (n == (ssize_t)(total - 28)) {
		EXPECT_TRUE(is_pattern(buf, total - 28));
	}
	ASSERT_EQ(0, ifstats(self->name, &a));
	EXPECT_EQ(b.rx_packets + 1, a.rx_packets);
	EXPECT_EQ(b.rx_bytes + (long long)total, a.rx_bytes);
	EXPECT_EQ(b.rx_errors, a.rx_errors);
	close(s);
}

/* A packet of the MTU (1500) is delivered. Net 208. */
TEST_F_TIMEOUT(tun, write_mtu, 60)
{
	write_delivered(_metadata, self, 208, 1500);
}

/* MTU + 1: the MTU limits what is sent, not what is written; delivered. Net 209. */
TEST_F_TIMEOUT(tun, write_mtu_plus_1, 60)
{
	write_delivered(_metadata, self, 209, 1501);
}

/* TUNMRU (65535): the largest IPv4 packet, delivered. Net 210. */
TEST_F_TIMEOUT(tun, write_mru, 60)
{
	write_delivered(_metadata, self, 210, TUNMRU);
}

/* TUNMRU + 1: EIO, rx_errors; the length is checked before the buffer is read. */
TEST_F_TIMEOUT(tun, write_mru_plus_1, 60)
{
	static uint8_t buf[TUNMRU + 1];

	ip4_hdr(buf, TUNMRU, 253, v4(210, 2), v4(210, 1));
	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_driver(_metadata, self->fd, self->name, buf, TUNMRU + 1, EIO);
	write_refused_by_driver(_metadata, self->fd, self->name, launder(NULL), TUNMRU + 1, EIO);
}

/* 65536 and more: EIO each time, from whatever buffer, up to a 1 GiB length. */
TEST_F_TIMEOUT(tun, write_64k_and_more, 60)
{
	static uint8_t buf[(1 << 20) + 1];
	static const size_t lens[] = { 65536, 65537, 1 << 17, 1 << 20, (1 << 20) + 1 };

	ASSERT_EQ(0, link_up(self->name));
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++)
		write_refused_by_driver(_metadata, self->fd, self->name, buf, lens[i], EIO);
	/* A length far beyond the buffer: still EIO, nothing is read (the VFS clamps to 2 GiB). */
	write_refused_by_driver(_metadata, self->fd, self->name, buf, 1UL << 30, EIO);
	write_refused_by_driver(_metadata, self->fd, self->name, launder(NULL), 65536, EIO);
}

/* With IFHEAD the limit is TUNMRU + 4: one byte more is EIO. */
TEST_F_TIMEOUT(tun, ifhead_write_mru_plus_5, 60)
{
	static uint8_t buf[TUNMRU + 8];
	uint32_t af = htonl(AF_INET);

	memcpy(buf, &af, 4);
	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_driver(_metadata, self->fd, self->name, buf, TUNMRU + 5, EIO);
}

/*
 * A write while the interface is down is ignored before anything else is looked at: 0 for a
 * NULL buffer and an oversized length alike, counted in rx_dropped, no rx_errors.
 */
TEST_F(tun, write_while_down_reads_nothing)
{
	struct ifstats b, a;

	ASSERT_EQ(0, if_flags(self->name) & IFF_UP);
	ASSERT_EQ(0, ifstats(self->name, &b));
	EXPECT_EQ(0, write(self->fd, launder(NULL), 100)) TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(0, write(self->fd, launder(NULL), 1 << 20)) TH_LOG("write: %s", strerror(errno));
	ASSERT_EQ(0, ifstats(self->name, &a));
	EXPECT_EQ(b.rx_dropped + 2, a.rx_dropped);
	EXPECT_EQ(b.rx_errors, a.rx_errors);
	EXPECT_EQ(b.rx_packets, a.rx_packets);
}

/* ==== 8. Write sizes on tap =============================================================== */

/* 13 bytes, a runt: taken (13 returned), counted in rx_dropped, not received. */
TEST_F_TIMEOUT(tap, write_13_bytes, 60)
{
	struct ifstats b, a;
	uint8_t f[ETH_HLEN];

	eth_hdr(f, mac_bcast, mac_peer, ETHERTYPE_IP);
	ASSERT_EQ(0, link_up(self->name));
	ASSERT_EQ(0, ifstats(self->name, &b));
	EXPECT_EQ(ETH_HLEN - 1, write(self->fd, f, ETH_HLEN - 1)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, ifstats(self->name, &a));
	EXPECT_EQ(b.rx_dropped + 1, a.rx_dropped);
	EXPECT_EQ(b.rx_packets, a.rx_packets);
	EXPECT_EQ(b.rx_errors, a.rx_errors);
}

/*
 * 14 bytes, a header and nothing else, broadcast, IPv4: not a runt, so received (rx_packets,
 * rx_bytes + 14, no rx_dropped); ip_rcv() gets an empty packet (InHdrErrors).
 */
TEST_F_TIMEOUT(tap, write_14_bytes, 60)
{
	uint8_t f[ETH_HLEN];

	eth_hdr(f, mac_bcast, mac_peer, ETHERTYPE_IP);
	ASSERT_EQ(0, link_up(self->name));
	write_refused_by_stack(_metadata, self->fd, self->name, f, ETH_HLEN, ETH_HLEN, "Ip",
			       "InHdrErrors");
}

/* Writes an Ethernet frame of `total` bytes with a UDP datagram to us; checks it arrives. */
static void tap_write_delivered(struct __test_metadata *_metadata, FIXTURE_DATA(tap) *self,
				int net, size_t total)
{
	static uint8_t f[TAPMRU + 8], buf[TAPMRU + 8];
	uint16_t port = (uint16_t)(net * 100);
	size_t plen = total - ETH_HLEN - 28;
	struct ifstats b, a;
	size_t len;
	ssize_t n;
	int s;

	ASSERT_EQ(0, tap_up4(self->name, net));
	s = udp_socket(AF_INET, port);
	ASSERT_LE(0, s);
	eth_hdr(f, self->mac, mac_peer, ETHERTYPE_IP);
	len = ETH_HLEN + build_udp4_total(f + ETH_HLEN, v4(net, 2), v4(net, 1), port + 1, port,
					  total - ETH_HLEN);
	ASSERT_EQ(total, len);
	ASSERT_EQ(0, ifstats(self->name, &b));
	EXPECT_EQ((ssize_t)len, write(self->fd, f, len)) TH_LOG("write %zu: %s", len,
							       strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	EXPECT_EQ((ssize_t)plen, n) TH_LOG("frame of %zu: %s", total,
					   n < 0 ? strerror((int)-n) : "wrong length");
	if (n == (ssize_t)plen) {
		EXPECT_TRUE(is_pattern(buf, plen));
	}
	ASSERT_EQ(0, ifstats(self->name, &a));
	EXPECT_EQ(b.rx_packets + 1, a.rx_packets);
	EXPECT_EQ(b.rx_bytes + (long long)total, a.rx_bytes);
	EXPECT_EQ(b.rx_errors, a.rx_errors);
	close(s);
}

/* MTU + 14 (1514), a full-size frame: delivered. Net 221. */
TEST_F_TIMEOUT(tap, write_mtu_plus_14, 60)
{
	tap_write_delivered(_metadata, self, 221, 1500 + ETH_HLEN);
}

/* MTU + 15: larger than the MTU allows to send, still received. Net 222. */
TEST_F_TIMEOUT(tap, write_mtu_plus_15, 60)
{
	tap_write_delivered(_metadata, self, 222, 1500 + ETH_HLEN + 1);
}

/* TAPMRU (65535): delivered. Net 223. */
TEST_F_TIMEOUT(tap, write_tapmru, 60)
{
	tap_write_delivered(_metadata, self, 223, TAPMRU);
}

/* TAPMRU + 1 and more: EIO, rx_errors; the length is checked before the buffer is read. */
TEST_F_TIMEOUT(tap, write_tapmru_plus_1_and_more, 60)
{
	static uint8_t f[(1 << 20) + 1];
	static const size_t lens[] = { TAPMRU + 1, 65537, 1 << 20, (1 << 20) + 1 };

	eth_hdr(f, mac_bcast, mac_peer, 0x88b5);
	ASSERT_EQ(0, link_up(self->name));
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++)
		write_refused_by_driver(_metadata, self->fd, self->name, f, lens[i], EIO);
	write_refused_by_driver(_metadata, self->fd, self->name, launder(NULL), TAPMRU + 1, EIO);
}

/* ==== 9. readv/writev with many tiny segments ============================================= */

/*
 * A 1024-byte packet written as 1024 one-byte segments (IOV_MAX) arrives intact. Net 211.
 */
TEST_F_TIMEOUT(tun, writev_1024_one_byte_segments, 60)
{
	static struct iovec iov[MAX_SEGS];
	uint8_t pkt[MAX_SEGS], buf[PKT_MAX];
	size_t len;
	ssize_t n;
	int s;

	ASSERT_EQ(0, tun_up4(self->name, 211));
	s = udp_socket(AF_INET, 21100);
	ASSERT_LE(0, s);
	len = build_udp4_total(pkt, v4(211, 2), v4(211, 1), 21101, 21100, MAX_SEGS);
	for (size_t i = 0; i < MAX_SEGS; i++)
		iov[i] = (struct iovec){ pkt + i, 1 };
	EXPECT_EQ((ssize_t)len, writev(self->fd, iov, MAX_SEGS)) TH_LOG("%s", strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ(MAX_SEGS - 28, n);
	EXPECT_TRUE(is_pattern(buf, MAX_SEGS - 28));
	close(s);
}

/* With IFHEAD, the 4-byte family header itself spread over four segments. Net 212. */
TEST_F_TIMEOUT(tun, writev_ifhead_one_byte_segments, 60)
{
	static struct iovec iov[MAX_SEGS];
	uint8_t pkt[MAX_SEGS], buf[PKT_MAX];
	uint32_t af = htonl(AF_INET);
	ssize_t n;
	int s;

	ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
	ASSERT_EQ(0, tun_up4(self->name, 212));
	s = udp_socket(AF_INET, 21200);
	ASSERT_LE(0, s);
	memcpy(pkt, &af, 4);
	build_udp4_total(pkt + 4, v4(212, 2), v4(212, 1), 21201, 21200, MAX_SEGS - 4);
	for (size_t i = 0; i < MAX_SEGS; i++)
		iov[i] = (struct iovec){ pkt + i, 1 };
	EXPECT_EQ(MAX_SEGS, writev(self->fd, iov, MAX_SEGS)) TH_LOG("%s", strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ(MAX_SEGS - 4 - 28, n);
	EXPECT_TRUE(is_pattern(buf, MAX_SEGS - 4 - 28));
	close(s);
}

/* Zero-length segments with NULL bases between the one-byte ones: skipped, never read. Net 213. */
TEST_F_TIMEOUT(tun, writev_zero_length_null_segments, 60)
{
	static struct iovec iov[MAX_SEGS];
	uint8_t pkt[MAX_SEGS / 2], buf[PKT_MAX];
	size_t len;
	ssize_t n;
	int s;

	ASSERT_EQ(0, tun_up4(self->name, 213));
	s = udp_socket(AF_INET, 21300);
	ASSERT_LE(0, s);
	len = build_udp4_total(pkt, v4(213, 2), v4(213, 1), 21301, 21300, MAX_SEGS / 2);
	for (size_t i = 0; i < MAX_SEGS / 2; i++) {
		iov[2 * i] = (struct iovec){ NULL, 0 };
		iov[2 * i + 1] = (struct iovec){ pkt + i, 1 };
	}
	EXPECT_EQ((ssize_t)len, writev(self->fd, iov, MAX_SEGS)) TH_LOG("%s", strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ(MAX_SEGS / 2 - 28, n);
	EXPECT_TRUE(is_pattern(buf, MAX_SEGS / 2 - 28));
	close(s);
}

/* 1025 segments: EINVAL from the kernel (UIO_MAXIOV) before the driver; nothing counted. */
TEST_F_TIMEOUT(tun, writev_1025_segments, 60)
{
	static struct iovec iov[MAX_SEGS + 1];
	static uint8_t pkt[MAX_SEGS + 1];
	struct ifstats b, a;

	ASSERT_EQ(0, link_up(self->name));
	build_udp4_total(pkt, v4(211, 2), v4(211, 1), 21101, 21100, MAX_SEGS + 1);
	for (size_t i = 0; i <= MAX_SEGS; i++)
		iov[i] = (struct iovec){ pkt + i, 1 };
	ASSERT_EQ(0, ifstats(self->name, &b));
	EXPECT_EQ(-1, writev(self->fd, iov, MAX_SEGS + 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ifstats(self->name, &a));
	EXPECT_EQ(b.rx_errors, a.rx_errors);
	EXPECT_EQ(b.rx_packets, a.rx_packets);
}

/* 1024 segments of 64 bytes, 65536 in all: EIO, rx_errors, as for one buffer. */
TEST_F_TIMEOUT(tun, writev_1024_segments_over_mru, 60)
{
	static struct iovec iov[MAX_SEGS];
	static uint8_t buf[64 * MAX_SEGS];

	ASSERT_EQ(0, link_up(self->name));
	for (size_t i = 0; i < MAX_SEGS; i++)
		iov[i] = (struct iovec){ buf + 64 * i, 64 };
	{
		struct ifstats b, a;

		ASSERT_EQ(0, ifstats(self->name, &b));
		EXPECT_EQ(-1, writev(self->fd, iov, MAX_SEGS));
		EXPECT_EQ(EIO, errno);
		ASSERT_EQ(0, ifstats(self->name, &a));
		EXPECT_EQ(b.rx_errors + 1, a.rx_errors);
		EXPECT_EQ(b.rx_packets, a.rx_packets);
	}
}

/* A 1024-byte packet read into 1024 one-byte segments: all of it, in order. Net 214. */
TEST_F_TIMEOUT(tun, readv_1024_one_byte_segments, 60)
{
	static struct iovec iov[MAX_SEGS];
	uint8_t data[MAX_SEGS - 28], flat[MAX_SEGS];
	ssize_t n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = pattern(i);
	ASSERT_EQ(0, tun_up4(self->name, 214));
	ASSERT_EQ(0, send_udp4(v4(214, 2), 21400, data, sizeof(data)));
	ASSERT_TRUE(wait_readable(self->fd, WAIT_MS));
	ASSERT_EQ(MAX_SEGS, fionread(self->fd));
	memset(flat, 0, sizeof(flat));
	for (size_t i = 0; i < MAX_SEGS; i++)
		iov[i] = (struct iovec){ flat + i, 1 };
	n = readv(self->fd, iov, MAX_SEGS);
	ASSERT_EQ(MAX_SEGS, n) TH_LOG("readv: %s", n < 0 ? strerror(errno) : "short");
	EXPECT_TRUE(is_udp4_to(flat, MAX_SEGS, v4(214, 2), 21400));
	EXPECT_TRUE(is_pattern(udp4_payload(flat), sizeof(data)));
	EXPECT_EQ(0, fionread(self->fd));
}

/* readv with 1025 segments: EINVAL before the driver; the packet stays queued. Net 215. */
TEST_F_TIMEOUT(tun, readv_1025_segments, 60)
{
	static struct iovec iov[MAX_SEGS + 1];
	static uint8_t flat[MAX_SEGS + 1];
	uint8_t buf[PKT_MAX];

	ASSERT_EQ(0, tun_up4(self->name, 215));
	ASSERT_EQ(0, send_udp4(v4(215, 2), 21500, "segs", 4));
	ASSERT_TRUE(wait_readable(self->fd, WAIT_MS));
	for (size_t i = 0; i <= MAX_SEGS; i++)
		iov[i] = (struct iovec){ flat + i, 1 };
	EXPECT_EQ(-1, readv(self->fd, iov, MAX_SEGS + 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(28 + 4, fionread(self->fd));
	EXPECT_EQ(28 + 4, read(self->fd, buf, sizeof(buf)));
}

/* A 1024-byte frame written as 1024 one-byte segments on a tap arrives intact. Net 224. */
TEST_F_TIMEOUT(tap, writev_1024_one_byte_segments, 60)
{
	static struct iovec iov[MAX_SEGS];
	uint8_t f[MAX_SEGS], buf[PKT_MAX];
	ssize_t n;
	int s;

	ASSERT_EQ(0, tap_up4(self->name, 224));
	s = udp_socket(AF_INET, 22400);
	ASSERT_LE(0, s);
	eth_hdr(f, self->mac, mac_peer, ETHERTYPE_IP);
	build_udp4_total(f + ETH_HLEN, v4(224, 2), v4(224, 1), 22401, 22400, MAX_SEGS - ETH_HLEN);
	for (size_t i = 0; i < MAX_SEGS; i++)
		iov[i] = (struct iovec){ f + i, 1 };
	EXPECT_EQ(MAX_SEGS, writev(self->fd, iov, MAX_SEGS)) TH_LOG("%s", strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ(MAX_SEGS - ETH_HLEN - 28, n);
	EXPECT_TRUE(is_pattern(buf, MAX_SEGS - ETH_HLEN - 28));
	close(s);
}

/* ==== 10. Zero-length reads ================================================================ */

/*
 * read(2) of 0 bytes with a packet queued takes the packet and returns 0 (a read shorter than
 * the packet drops the rest, here all of it: FreeBSD's tunread does the same); with nothing
 * queued and O_NONBLOCK it is EAGAIN. Net 216.
 */
TEST_F_TIMEOUT(tun, zero_length_read, 60)
{
	uint8_t buf[4];

	ASSERT_EQ(0, tun_up4(self->name, 216));
	ASSERT_EQ(0, set_nonblock(self->fd));
	EXPECT_EQ(-1, read(self->fd, buf, 0));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, send_udp4(v4(216, 2), 21600, "zero", 4));
	ASSERT_TRUE(wait_readable(self->fd, WAIT_MS));
	EXPECT_EQ(28 + 4, fionread(self->fd));
	EXPECT_EQ(0, read(self->fd, buf, 0));
	EXPECT_EQ(0, fionread(self->fd)) TH_LOG("a zero-length read left the packet queued");
	EXPECT_EQ(-1, read(self->fd, launder(NULL), 0));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_HARNESS_MAIN
