// SPDX-License-Identifier: GPL-2.0
/*
 * tuntap_rs tap(4) and vmnet tests: FreeBSD's layer-2 tunnel semantics on /dev/tap, /dev/tapN,
 * /dev/vmnet and /dev/vmnetN, written as a BSD client would use them (the project's
 * <net/if_tap.h>, included first).
 *
 * Units and who may open them (with the tap_user_open and tap_up_on_open module parameters);
 * the Ethernet interface a unit creates; the frame path (one whole Ethernet frame per read and
 * per write, the destination MAC filter, the MRU); ARP/IPv4 and NDP/IPv6 pings through a
 * userspace responder; a tap in a Linux bridge; the tap ioctls (remote MAC, TUNSIFINFO,
 * VMIO_SIOCSIFFLAGS, the tun-only ones refused); and what vmnet does differently on close.
 *
 * Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for unshare), the module loaded, iproute2's `ip`,
 * the bridge and veth drivers, and TUNTAP_KO (the path of tuntap_rs.ko) for the tests that
 * reload the module with parameters; those leave it loaded with default parameters.
 * Every unit a test creates is made transient (destroyed by its last close) or destroyed by the
 * teardown. Tests that configure addresses use subnets of their own: 10.78.<net>.0/24 and
 * fd78:<net>::/64 on taps, numbered as the comment before each test says; 10.79.0.0/24 for the
 * bridge; 10.80.<net>.0/24 on vmnets. The made-up far end of a tap is 02:00:00:00:00:02.
 */
#define _GNU_SOURCE
#include <net/if_tap.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/ethernet.h>
#include <netinet/icmp6.h>
#include <netinet/if_ether.h>
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "kselftest_harness.h"
/* This program's addresses: 10.78.0.0/16 and fd78::/16 (common.h's v4(), v6()). */
#define SUBNET		78
#include "common.h"

/* How long a test waits for a frame that should come (the VM is slow). */
#define WAIT_MS		2000
/* How long a test waits before deciding that a frame which should not come did not. */
#define QUIET_MS	500
/* How long a ping or an exchange through the bridge may take in all. */
#define EXCHANGE_MS	10000
/* Foreign links (bridge, veth) a test creates, for the teardown to delete. */
#define MAX_FOREIGN	4

#define PKT_MAX		2048

/* The made-up far end of a tap, as a userspace responder would use it. */
static const uint8_t mac_peer[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
/* A unicast MAC that nobody on the link has. */
static const uint8_t mac_other[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
static const uint8_t mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[ETH_ALEN];

/* ---- Small helpers: commands, sysfs, interfaces ------------------------------------------ */

/* `ip ...` with its standard output in out (NUL-terminated); returns its exit status. */
static int __attribute__((format(printf, 3, 4))) ip_output(char *out, size_t size,
							     const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	bool ok;

	out[0] = 0;
	va_start(ap, fmt);
	ok = ip_cmd(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (!ok)
		return -1;
	return popen_output(cmd, out, size);
}

/* Deletes a link made by `ip link add`; 0 on success. */
static int del_link(const char *name)
{
	return ip_quiet("link del %s", name);
}

/* ---- Checksums and IP headers ------------------------------------------------------------- */

/* Fills a 40-byte IPv6 header for a payload of `plen` bytes. */
static void ip6_hdr(void *buf, size_t plen, uint8_t nxt, uint8_t hlim, const struct in6_addr *src,
		    const struct in6_addr *dst)
{
	struct ip6_hdr *ip6 = buf;

	memset(ip6, 0, sizeof(*ip6));
	ip6->ip6_flow = htonl(6U << 28);
	ip6->ip6_plen = htons((uint16_t)plen);
	ip6->ip6_nxt = nxt;
	ip6->ip6_hlim = hlim;
	memcpy(&ip6->ip6_src, src, sizeof(*src));
	memcpy(&ip6->ip6_dst, dst, sizeof(*dst));
}

/* Builds an ICMP echo message (request or reply) in an IPv4 packet; returns its length. */
static size_t build_echo4(uint8_t *buf, uint8_t type, in_addr_t src, in_addr_t dst, uint16_t id,
			  uint16_t seq, const void *data, size_t len)
{
	struct icmphdr *ic = (struct icmphdr *)(buf + 20);

	memset(ic, 0, sizeof(*ic));
	ic->type = type;
	ic->un.echo.id = htons(id);
	ic->un.echo.sequence = htons(seq);
	memcpy(buf + 28, data, len);
	ic->checksum = csum(ic, sizeof(*ic) + len);
	ip4_hdr(buf, 28 + len, IPPROTO_ICMP, src, dst);
	return 28 + len;
}

/* ---- Ethernet frames ---------------------------------------------------------------------- */

static const uint8_t *eth_dst(const uint8_t *f)
{
	return f;
}

static const uint8_t *eth_src(const uint8_t *f)
{
	return f + ETH_ALEN;
}

/* Is f[0..n) an Ethernet frame of a complete IPv4/UDP packet to dst:dport? */
static bool is_udp4_frame_to(const uint8_t *f, size_t n, in_addr_t dst, uint16_t dport)
{
	return eth_type(f, n) == ETHERTYPE_IP && is_udp4_to(f + ETH_HLEN, n - ETH_HLEN, dst, dport);
}

/* Builds an Ethernet/IPv4 ARP frame; returns its length (42). */
static size_t build_arp(uint8_t *f, uint16_t op, const uint8_t *dst_mac, const uint8_t *sha,
			in_addr_t spa, const uint8_t *tha, in_addr_t tpa)
{
	struct ether_arp *ea = (struct ether_arp *)(f + ETH_HLEN);

	eth_hdr(f, dst_mac, sha, ETHERTYPE_ARP);
	memset(ea, 0, sizeof(*ea));
	ea->arp_hrd = htons(ARPHRD_ETHER);
	ea->arp_pro = htons(ETHERTYPE_IP);
	ea->arp_hln = ETH_ALEN;
	ea->arp_pln = 4;
	ea->arp_op = htons(op);
	memcpy(ea->arp_sha, sha, ETH_ALEN);
	memcpy(ea->arp_spa, &spa, 4);
	memcpy(ea->arp_tha, tha, ETH_ALEN);
	memcpy(ea->arp_tpa, &tpa, 4);
	return ETH_HLEN + sizeof(*ea);
}

/*
 * The ARP packet with operation `op` and target protocol address `tpa` in frame f[0..n), or
 * NULL. Only the EtherType, the operation and the target are looked at: the caller checks the
 * other fields.
 */
static const struct ether_arp *arp_of(const uint8_t *f, size_t n, uint16_t op, in_addr_t tpa)
{
	const struct ether_arp *ea = (const struct ether_arp *)(f + ETH_HLEN);

	if (n < ETH_HLEN + sizeof(*ea) || eth_type(f, n) != ETHERTYPE_ARP ||
	    ntohs(ea->arp_op) != op || memcmp(ea->arp_tpa, &tpa, 4))
		return NULL;
	return ea;
}

static in_addr_t arp_addr(const uint8_t *p)
{
	in_addr_t a;

	memcpy(&a, p, 4);
	return a;
}

/*
 * The ICMP echo message of type `type` to `dst` in Ethernet/IPv4 frame f[0..n), or NULL; the
 * length of its data in *dlen.
 */
static const struct icmphdr *echo4_of(const uint8_t *f, size_t n, uint8_t type, in_addr_t dst,
				      size_t *dlen)
{
	const struct iphdr *iph = (const struct iphdr *)(f + ETH_HLEN);
	const struct icmphdr *ic;
	size_t hl, tot;

	if (n < ETH_HLEN + 28 || eth_type(f, n) != ETHERTYPE_IP || iph->version != 4 ||
	    iph->protocol != IPPROTO_ICMP || iph->daddr != dst)
		return NULL;
	hl = (size_t)iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	if (tot > n - ETH_HLEN || tot < hl + sizeof(*ic))
		return NULL;
	ic = (const struct icmphdr *)(f + ETH_HLEN + hl);
	if (ic->type != type || ic->code)
		return NULL;
	*dlen = tot - hl - sizeof(*ic);
	return ic;
}

/*
 * The answer to the ICMP echo request `ic` (with dlen bytes of data) found in frame `req`: an
 * Ethernet frame from `mac` back to the request's source, as the far end would send it.
 */
static size_t build_echo4_reply_frame(uint8_t *out, const uint8_t *req, const struct icmphdr *ic,
				      size_t dlen, const uint8_t *mac)
{
	const struct iphdr *iph = (const struct iphdr *)(req + ETH_HLEN);

	eth_hdr(out, eth_src(req), mac, ETHERTYPE_IP);
	return ETH_HLEN + build_echo4(out + ETH_HLEN, ICMP_ECHOREPLY, iph->daddr, iph->saddr,
				      ntohs(ic->un.echo.id), ntohs(ic->un.echo.sequence),
				      (const uint8_t *)ic + sizeof(*ic), dlen);
}

/*
 * The ICMPv6 message of type `type` in Ethernet/IPv6 frame f[0..n) (no extension headers), or
 * NULL; its length in *mlen.
 */
static const uint8_t *icmp6_of(const uint8_t *f, size_t n, uint8_t type, size_t *mlen)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)(f + ETH_HLEN);
	size_t plen;

	if (n < ETH_HLEN + sizeof(*ip6) + 8 || eth_type(f, n) != ETHERTYPE_IPV6 ||
	    (f[ETH_HLEN] >> 4) != 6 || ip6->ip6_nxt != IPPROTO_ICMPV6)
		return NULL;
	plen = ntohs(ip6->ip6_plen);
	if (plen < 8 || ETH_HLEN + sizeof(*ip6) + plen > n || f[ETH_HLEN + sizeof(*ip6)] != type)
		return NULL;
	*mlen = plen;
	return f + ETH_HLEN + sizeof(*ip6);
}

/* Sets the checksum of ICMPv6 message m[0..len) sent from src to dst. */
static void icmp6_csum(uint8_t *m, size_t len, const struct in6_addr *src,
		       const struct in6_addr *dst)
{
	struct icmp6_hdr *ic = (struct icmp6_hdr *)m;

	ic->icmp6_cksum = 0;
	ic->icmp6_cksum = csum_fold(csum_add(csum_pseudo6(src, dst, len, IPPROTO_ICMPV6), m, len));
}

/*
 * Builds a solicited, overriding Neighbor Advertisement for `target` at `mac` (with the target
 * link-layer address option), from src to dst, in an Ethernet frame to dst_mac.
 */
static size_t build_na(uint8_t *f, const uint8_t *dst_mac, const uint8_t *mac,
		       const struct in6_addr *src, const struct in6_addr *dst,
		       const struct in6_addr *target)
{
	uint8_t *m = f + ETH_HLEN + sizeof(struct ip6_hdr);
	struct nd_neighbor_advert *na = (struct nd_neighbor_advert *)m;
	struct nd_opt_hdr *opt = (struct nd_opt_hdr *)(m + sizeof(*na));
	size_t mlen = sizeof(*na) + 8;

	eth_hdr(f, dst_mac, mac, ETHERTYPE_IPV6);
	ip6_hdr(f + ETH_HLEN, mlen, IPPROTO_ICMPV6, 255, src, dst);
	memset(m, 0, mlen);
	na->nd_na_type = ND_NEIGHBOR_ADVERT;
	na->nd_na_code = 0;
	na->nd_na_flags_reserved = ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE;
	memcpy(&na->nd_na_target, target, sizeof(*target));
	opt->nd_opt_type = ND_OPT_TARGET_LINKADDR;
	opt->nd_opt_len = 1;
	memcpy((uint8_t *)opt + 2, mac, ETH_ALEN);
	icmp6_csum(m, mlen, src, dst);
	return ETH_HLEN + sizeof(struct ip6_hdr) + mlen;
}

/*
 * The answer to the ICMPv6 echo request `m` (mlen bytes) found in frame `req`: an Ethernet frame
 * from `mac` back to the request's source, as the far end would send it.
 */
static size_t build_echo6_reply_frame(uint8_t *out, const uint8_t *req, const uint8_t *m,
				      size_t mlen, const uint8_t *mac)
{
	const struct ip6_hdr *rip6 = (const struct ip6_hdr *)(req + ETH_HLEN);
	uint8_t *om = out + ETH_HLEN + sizeof(struct ip6_hdr);
	struct in6_addr src, dst;

	memcpy(&src, &rip6->ip6_dst, sizeof(src));
	memcpy(&dst, &rip6->ip6_src, sizeof(dst));
	eth_hdr(out, eth_src(req), mac, ETHERTYPE_IPV6);
	ip6_hdr(out + ETH_HLEN, mlen, IPPROTO_ICMPV6, 64, &src, &dst);
	memcpy(om, m, mlen);
	((struct icmp6_hdr *)om)->icmp6_type = ICMP6_ECHO_REPLY;
	icmp6_csum(om, mlen, &src, &dst);
	return ETH_HLEN + sizeof(struct ip6_hdr) + mlen;
}

/* ---- The frame path ----------------------------------------------------------------------- */

/*
 * Reads frames until an IPv4/UDP one to dst:dport comes, skipping any other, for up to `ms`;
 * its length, or -errno (-ETIMEDOUT).
 */
static ssize_t read_udp4_frame(int fd, uint8_t *buf, size_t len, in_addr_t dst, uint16_t dport,
			       int ms)
{
	unsigned long long deadline = now_ms() + (unsigned long long)ms;

	for (;;) {
		ssize_t n = read_pkt(fd, buf, len, ms_left(deadline));

		if (n < 0)
			return n;
		if (is_udp4_frame_to(buf, n, dst, dport))
			return n;
	}
}

/*
 * An AF_PACKET socket that sees every frame on interface `name` (ETH_P_ALL), from the bind on
 * (created with protocol 0, it sees nothing before); the fd or -errno.
 */
static int packet_socket(const char *name)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -errno;
	sll.sll_ifindex = (int)link_index(name);
	if (!sll.sll_ifindex || bind(s, (struct sockaddr *)&sll, sizeof(sll))) {
		int ret = sll.sll_ifindex ? -errno : -ENODEV;

		close(s);
		return ret;
	}
	return s;
}

/*
 * Waits up to `ms` for the packet socket to see an incoming (not PACKET_OUTGOING) IPv4/UDP frame
 * to dst:dport whose payload starts with `tag`; its packet type (PACKET_HOST, ...), or -1.
 */
static int packet_seen(int ps, in_addr_t dst, uint16_t dport, uint8_t tag, int ms)
{
	unsigned long long deadline = now_ms() + (unsigned long long)ms;
	uint8_t buf[PKT_MAX];

	while (wait_readable(ps, ms_left(deadline))) {
		struct sockaddr_ll from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(ps, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
				     &fromlen);

		if (n < 0)
			continue;
		if (from.sll_pkttype != PACKET_OUTGOING && is_udp4_frame_to(buf, n, dst, dport) &&
		    udp4_payload(buf + ETH_HLEN)[0] == tag)
			return from.sll_pkttype;
	}
	return -1;
}

/* ---- Fixture ------------------------------------------------------------------------------ */

FIXTURE(tap) {
	int fd;				/* the unit setup cloned (transient) */
	char name[IFNAMSIZ];		/* its interface name, "tapN" */
	int unit;			/* N */
	struct tracked tracked;		/* more files and units the test opened */
	char links[MAX_FOREIGN][IFNAMSIZ];	/* foreign links the test created */
	pid_t ns_pid;			/* a child holding a network namespace, or 0 */
	int ns_ctl;			/* its control pipe (closing it ends the child) */
};

FIXTURE_SETUP(tap)
{
	struct ifreq ifr;
	int one = 1;

	tracked_init(&self->tracked);
	self->tracked.settle = true;
	self->ns_ctl = -1;
	self->fd = open("/dev/tap", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/tap: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, TAPSTRANSIENT, &one))
		TH_LOG("TAPSTRANSIENT: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, TAPGIFNAME, &ifr)) TH_LOG("TAPGIFNAME: %s", strerror(errno));
	memcpy(self->name, ifr.ifr_name, IFNAMSIZ);
	self->name[IFNAMSIZ - 1] = 0;
	self->unit = unit_of("tap", self->name);
	ASSERT_LE(0, self->unit) TH_LOG("TAPGIFNAME gave '%s'", self->name);
	/* udev may give a new interface another address (MACAddressPolicy): let it finish. */
	udev_settle();
}

FIXTURE_TEARDOWN(tap)
{
	int status;

	/* The bridge (and veth) first: its ports are our units. */
	for (int i = 0; i < MAX_FOREIGN; i++) {
		if (self->links[i][0])
			del_link(self->links[i]);
	}
	if (self->ns_pid > 0) {
		close(self->ns_ctl);
		kill(self->ns_pid, SIGKILL);
		waitpid(self->ns_pid, &status, 0);
	}
	tracked_release(&self->tracked, self->fd, self->name);
}

/* Has the teardown delete link `name` (a bridge, a veth). */
static void track_link(FIXTURE_DATA(tap) *self, const char *name)
{
	for (int i = 0; i < MAX_FOREIGN; i++) {
		if (!self->links[i][0]) {
			snprintf(self->links[i], IFNAMSIZ, "%s", name);
			return;
		}
	}
}

/* ---- 1. Units and their lifetime ---------------------------------------------------------- */

/* Cloning creates tapN, down, and the node /dev/tapN; the fixture's unit reads as transient. */
TEST_F(tap, clone_creates_unit)
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
	EXPECT_EQ(0, flags & IFF_UP) TH_LOG("a new tap must be down (tap_up_on_open=0)");
	EXPECT_EQ(1, get_int(self->fd, TAPGTRANSIENT));
}

/* Cloning picks the lowest free unit number, and a freed number is given out again. */
TEST_F(tap, lowest_free_unit)
{
	char name2[IFNAMSIZ], name3[IFNAMSIZ], path[64];
	int first = self->unit, expect, fd2, fd3;
	struct stat st;

	expect = lowest_free_unit("tap");
	ASSERT_LE(0, expect);
	fd2 = open_unit(&self->tracked, "/dev/tap", true, name2);
	ASSERT_LE(0, fd2) TH_LOG("second open: %s", strerror(-fd2));
	EXPECT_STRNE(self->name, name2);
	EXPECT_EQ(expect, unit_of("tap", name2)) TH_LOG("second unit %s", name2);
	EXPECT_LT(first, unit_of("tap", name2));
	close(self->fd);
	self->fd = -1;
	snprintf(path, sizeof(path), "/dev/%s", self->name);
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(0U, link_index(self->name));
	EXPECT_EQ(first, lowest_free_unit("tap"));
	fd3 = open_unit(&self->tracked, "/dev/tap", true, name3);
	ASSERT_LE(0, fd3) TH_LOG("third open: %s", strerror(-fd3));
	EXPECT_STREQ(self->name, name3);
}

/* A unit number whose name tapK is taken by another interface (a bridge) is skipped. */
TEST_F_TIMEOUT(tap, clone_skips_taken_names, 60)
{
	char name[IFNAMSIZ], taken[IFNAMSIZ];
	int k, fd, expect;

	k = lowest_free_unit("tap");
	ASSERT_LE(0, k);
	snprintf(taken, sizeof(taken), "tap%d", k);
	ASSERT_EQ(0, ip("link add %s type bridge", taken));
	track_link(self, taken);
	ASSERT_LT(0U, link_index(taken));
	expect = lowest_free_unit("tap");
	ASSERT_NE(k, expect);
	fd = open_unit(&self->tracked, "/dev/tap", true, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	EXPECT_STRNE(taken, name);
	EXPECT_EQ(expect, unit_of("tap", name)) TH_LOG("got %s", name);
	/* No unit K was made, and tapK is still the bridge. */
	EXPECT_FALSE(node_exists(taken));
	EXPECT_LE(0, sys_val(taken, "bridge/stp_state")) TH_LOG("%s is not the bridge", taken);
	close_unit(&self->tracked, fd);
	EXPECT_FALSE(node_exists(name));
	EXPECT_EQ(0, del_link(taken));
}

/* Root without CAP_NET_ADMIN cannot clone: EPERM. */
TEST_F(tap, clone_needs_net_admin)
{
	EXPECT_EQ(EPERM, in_child(clone_without_net_admin, "/dev/tap"));
	EXPECT_EQ(EPERM, in_child(clone_without_net_admin, "/dev/vmnet"));
}

/* Units persist after close; TAPSTRANSIENT makes the next close destroy them. */
TEST_F(tap, units_persist)
{
	char name[IFNAMSIZ], name2[IFNAMSIZ], path[64];
	struct stat st;
	int fd;

	fd = open_unit(&self->tracked, "/dev/tap", false, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	EXPECT_EQ(0, get_int(fd, TAPGTRANSIENT));
	close_unit(&self->tracked, fd);
	snprintf(path, sizeof(path), "/dev/%s", name);
	EXPECT_EQ(0, stat(path, &st)) TH_LOG("%s gone after close", path);
	EXPECT_LT(0U, link_index(name)) TH_LOG("%s gone after close", name);

	fd = open_unit(&self->tracked, path, false, name2);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	EXPECT_STREQ(name, name2);
	EXPECT_EQ(0, get_int(fd, TAPGTRANSIENT));
	ASSERT_EQ(0, set_int(fd, TAPSTRANSIENT, 1));
	EXPECT_EQ(1, get_int(fd, TAPGTRANSIENT));
	close_unit(&self->tracked, fd);
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0U, link_index(name));
}

/*
 * The owner's close brings the interface down and drops the frames that were queued: the next
 * open finds nothing to read. Net 4.
 */
TEST_F_TIMEOUT(tap, owner_close_downs_and_purges, 60)
{
	char name[IFNAMSIZ], path[64];
	uint8_t data[100], buf[PKT_MAX];
	int fd, flags, avail = -1;

	memset(data, 'q', sizeof(data));
	fd = open_unit(&self->tracked, "/dev/tap", false, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	ASSERT_EQ(0, tap_up4(name, 4));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, send_udp4(v4(4, 2), 4000, data, sizeof(data)));
	}
	ASSERT_TRUE(wait_readable(fd, WAIT_MS));
	ASSERT_EQ(0, ioctl(fd, FIONREAD, &avail));
	EXPECT_LT(0, avail);

	close_unit(&self->tracked, fd);
	flags = if_flags(name);
	ASSERT_LE(0, flags) TH_LOG("%s: %s", name, strerror(-flags));
	EXPECT_EQ(0, flags & IFF_UP) TH_LOG("still up after the owner's close");

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, true, name);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	avail = -1;
	ASSERT_EQ(0, ioctl(fd, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
	ASSERT_EQ(0, set_nonblock(fd));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	close_unit(&self->tracked, fd);
	EXPECT_FALSE(node_exists(name));
}

/* ---- 2. The interface --------------------------------------------------------------------- */

/*
 * Ethernet, broadcast and multicast, ARP on, MTU 1500, txqueuelen 500 and a real qdisc when up,
 * and a random locally administered unicast MAC: a different one for each tap.
 */
TEST_F_TIMEOUT(tap, link_properties, 60)
{
	char name2[IFNAMSIZ], out[4096], want[80], qdisc[64] = "pfifo_fast";
	uint8_t mac[ETH_ALEN], mac2[ETH_ALEN];
	int flags, fd2, qfd;
	ssize_t n;

	EXPECT_EQ(1, sys_val(self->name, "type"));	/* ARPHRD_ETHER */
	flags = if_flags(self->name);
	ASSERT_LE(0, flags);
	EXPECT_EQ(IFF_BROADCAST | IFF_MULTICAST,
		  flags & (IFF_BROADCAST | IFF_MULTICAST | IFF_POINTOPOINT | IFF_NOARP));
	EXPECT_EQ(1500, sys_val(self->name, "mtu"));
	EXPECT_EQ(500, sys_val(self->name, "tx_queue_len"));

	ASSERT_EQ(0, if_mac(self->name, mac));
	EXPECT_EQ(0x02, mac[0] & 0x03) TH_LOG("first byte %02x: not local unicast", mac[0]);
	fd2 = open_unit(&self->tracked, "/dev/tap", true, name2);
	ASSERT_LE(0, fd2) TH_LOG("second open: %s", strerror(-fd2));
	ASSERT_EQ(0, if_mac(name2, mac2));
	EXPECT_EQ(0x02, mac2[0] & 0x03);
	EXPECT_NE(0, memcmp(mac, mac2, ETH_ALEN)) TH_LOG("%s and %s have the same MAC",
							  self->name, name2);

	/* The default qdisc (pfifo_fast unless net.core.default_qdisc says otherwise). */
	qfd = open("/proc/sys/net/core/default_qdisc", O_RDONLY | O_CLOEXEC);
	if (qfd >= 0) {
		n = read(qfd, qdisc, sizeof(qdisc) - 1);
		close(qfd);
		if (n > 0) {
			qdisc[n] = 0;
			qdisc[strcspn(qdisc, "\n")] = 0;
		} else {
			strcpy(qdisc, "pfifo_fast");
		}
	}
	ASSERT_EQ(0, no_ipv6(self->name));
	ASSERT_EQ(0, ip("link set %s up", self->name));
	ASSERT_EQ(0, ip_output(out, sizeof(out), "link show dev %s", self->name));
	snprintf(want, sizeof(want), " qdisc %s ", qdisc);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want%s: %s", want, out);
	EXPECT_NE(NULL, strstr(out, " qlen 500")) TH_LOG("%s", out);
}

/* ---- 3. Egress: frames routed out of the tap are read, one whole frame per read ----------- */

/* A datagram to the far end is read as one Ethernet frame from our MAC to its MAC. Net 2. */
TEST_F_TIMEOUT(tap, read_whole_frame, 60)
{
	uint8_t mac[ETH_ALEN], data[100], buf[PKT_MAX];
	ssize_t n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 5 + 3);
	ASSERT_EQ(0, if_mac(self->name, mac));
	ASSERT_EQ(0, tap_up4(self->name, 2));
	ASSERT_EQ(0, send_udp4(v4(2, 2), 2000, data, sizeof(data)));
	n = read_udp4_frame(self->fd, buf, sizeof(buf), v4(2, 2), 2000, WAIT_MS);
	ASSERT_EQ(ETH_HLEN + 28 + (ssize_t)sizeof(data), n)
		TH_LOG("read: %zd (%s)", n, n < 0 ? strerror((int)-n) : "wrong length");
	EXPECT_EQ(0, memcmp(eth_dst(buf), mac_peer, ETH_ALEN));
	EXPECT_EQ(0, memcmp(eth_src(buf), mac, ETH_ALEN));
	EXPECT_EQ(ETHERTYPE_IP, eth_type(buf, n));
	EXPECT_EQ(v4(2, 1), ((struct iphdr *)(buf + ETH_HLEN))->saddr);
	EXPECT_EQ(0, memcmp(udp4_payload(buf + ETH_HLEN), data, sizeof(data)));
}

/* A short read gets the start of a frame; the rest of that frame is dropped. Net 3. */
TEST_F_TIMEOUT(tap, truncating_read, 60)
{
	uint8_t first[100], second[120], buf[PKT_MAX];
	struct iphdr *iph = (struct iphdr *)(buf + ETH_HLEN);
	ssize_t n;

	memset(first, 'A', sizeof(first));
	memset(second, 'B', sizeof(second));
	ASSERT_EQ(0, tap_up4(self->name, 3));
	ASSERT_EQ(0, send_udp4(v4(3, 2), 3000, first, sizeof(first)));
	ASSERT_EQ(0, send_udp4(v4(3, 2), 3001, second, sizeof(second)));

	/* Ethernet and IPv4 headers only, of the first datagram's frame. */
	n = read_pkt(self->fd, buf, ETH_HLEN + 20, WAIT_MS);
	ASSERT_EQ(ETH_HLEN + 20, n);
	EXPECT_EQ(0, memcmp(eth_dst(buf), mac_peer, ETH_ALEN));
	EXPECT_EQ(ETHERTYPE_IP, eth_type(buf, n));
	EXPECT_EQ(28 + sizeof(first), ntohs(iph->tot_len));

	n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ(ETH_HLEN + 28 + (ssize_t)sizeof(second), n) TH_LOG("not the next frame");
	EXPECT_TRUE(is_udp4_frame_to(buf, n, v4(3, 2), 3001));
	EXPECT_EQ(0, memcmp(udp4_payload(buf + ETH_HLEN), second, sizeof(second)));
	EXPECT_FALSE(wait_readable(self->fd, QUIET_MS)) TH_LOG("more was left to read");
}

/* FIONREAD: 0 when empty, else the length of the frame the next read returns. Net 5. */
TEST_F_TIMEOUT(tap, fionread, 60)
{
	static const int plen[] = { 100, 150, 200 };
	uint8_t data[256], buf[PKT_MAX];
	int avail = -1;

	memset(data, 'f', sizeof(data));
	ASSERT_EQ(0, tap_up4(self->name, 5));
	ASSERT_EQ(0, ioctl(self->fd, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
	for (size_t i = 0; i < ARRAY_SIZE(plen); i++) {
		ASSERT_EQ(0, send_udp4(v4(5, 2), 5000, data, plen[i]));
	}
	for (size_t i = 0; i < ARRAY_SIZE(plen); i++) {
		ssize_t n;

		ASSERT_TRUE(wait_readable(self->fd, WAIT_MS)) TH_LOG("frame %zu", i);
		avail = -1;
		ASSERT_EQ(0, ioctl(self->fd, FIONREAD, &avail));
		n = read(self->fd, buf, sizeof(buf));
		EXPECT_EQ(avail, n) TH_LOG("frame %zu", i);
		EXPECT_EQ(ETH_HLEN + 28 + plen[i], n) TH_LOG("frame %zu", i);
		EXPECT_TRUE(is_udp4_frame_to(buf, n, v4(5, 2), 5000));
	}
	avail = -1;
	ASSERT_EQ(0, ioctl(self->fd, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
}

/* poll: writable always, readable only when a frame is queued. Net 12. */
TEST_F_TIMEOUT(tap, poll_readiness, 60)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLOUT };
	uint8_t data[100], buf[PKT_MAX];

	memset(data, 'p', sizeof(data));
	ASSERT_EQ(0, tap_up4(self->name, 12));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents & (POLLIN | POLLOUT));

	ASSERT_EQ(0, send_udp4(v4(12, 2), 12000, data, sizeof(data)));
	pfd.events = POLLIN;
	pfd.revents = 0;
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));
	EXPECT_EQ(POLLIN, pfd.revents & POLLIN);
	EXPECT_EQ(ETH_HLEN + 28 + (ssize_t)sizeof(data), read(self->fd, buf, sizeof(buf)));
	pfd.revents = 0;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

/* O_NONBLOCK read of an empty queue: EAGAIN. Net 13. */
TEST_F_TIMEOUT(tap, nonblocking_read, 60)
{
	uint8_t buf[PKT_MAX];

	ASSERT_EQ(0, tap_up4(self->name, 13));
	ASSERT_EQ(0, set_nonblock(self->fd));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

/* ---- 4. Ingress: frames written enter the Ethernet receive path --------------------------- */

/* A frame to our MAC is received: its datagram reaches a socket; rx_packets counts it. Net 8. */
TEST_F_TIMEOUT(tap, write_delivers, 60)
{
	uint8_t mac[ETH_ALEN], f[PKT_MAX], data[100], buf[PKT_MAX];
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);
	long long rx;
	size_t len;
	int s;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	ASSERT_EQ(0, if_mac(self->name, mac));
	ASSERT_EQ(0, tap_up4(self->name, 8));
	s = udp_listen(AF_INET, 8000);
	ASSERT_LE(0, s) TH_LOG("bind 0.0.0.0:8000: %s", strerror(-s));
	rx = stat_val(self->name, "rx_packets");
	ASSERT_LE(0, rx);
	len = build_udp4_frame(f, mac, mac_peer, v4(8, 2), v4(8, 1), 8001, 8000, data,
			       sizeof(data));
	ASSERT_EQ((ssize_t)len, write(self->fd, f, len)) TH_LOG("write: %s", strerror(errno));
	ASSERT_TRUE(wait_readable(s, WAIT_MS)) TH_LOG("the datagram did not arrive");
	EXPECT_EQ((ssize_t)sizeof(data),
		  recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen));
	EXPECT_EQ(0, memcmp(buf, data, sizeof(data)));
	EXPECT_EQ(v4(8, 2), from.sin_addr.s_addr);
	EXPECT_EQ(rx + 1, stat_val(self->name, "rx_packets"));
	close(s);
}

/*
 * The destination MAC filter: frames to our MAC, to broadcast and to a multicast address are
 * received; a frame to another unicast MAC is dropped (rx_dropped) unless the interface is
 * promiscuous, when it is received as PACKET_OTHERHOST (the IP stack then ignores it, so an
 * AF_PACKET socket on the tap is the witness). Net 9.
 */
TEST_F_TIMEOUT(tap, dst_mac_filter, 60)
{
	static const uint8_t mac_mcast[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	uint8_t mac[ETH_ALEN], other[ETH_ALEN], f[PKT_MAX], data[64];
	long long dropped, rx;
	size_t len;
	int ps;

	memset(data, 'm', sizeof(data));
	ASSERT_EQ(0, if_mac(self->name, mac));
	memcpy(other, mac_other, ETH_ALEN);
	if (!memcmp(other, mac, ETH_ALEN))
		other[5] ^= 0x01;
	ASSERT_EQ(0, tap_up4(self->name, 9));
	ps = packet_socket(self->name);
	ASSERT_LE(0, ps) TH_LOG("packet socket on %s: %s", self->name, strerror(-ps));

	/* The socket sees what the interface receives: our MAC, broadcast, multicast. */
	data[0] = 1;
	len = build_udp4_frame(f, mac, mac_peer, v4(9, 2), v4(9, 1), 9001, 9000, data,
			       sizeof(data));
	ASSERT_EQ((ssize_t)len, write(self->fd, f, len));
	EXPECT_EQ(PACKET_HOST, packet_seen(ps, v4(9, 1), 9000, 1, WAIT_MS));
	data[0] = 2;
	len = build_udp4_frame(f, mac_bcast, mac_peer, v4(9, 2), v4(9, 1), 9001, 9000, data,
			       sizeof(data));
	ASSERT_EQ((ssize_t)len, write(self->fd, f, len));
	EXPECT_EQ(PACKET_BROADCAST, packet_seen(ps, v4(9, 1), 9000, 2, WAIT_MS));
	data[0] = 3;
	len = build_udp4_frame(f, mac_mcast, mac_peer, v4(9, 2), v4(9, 1), 9001, 9000, data,
			       sizeof(data));
	ASSERT_EQ((ssize_t)len, write(self->fd, f, len));
	EXPECT_EQ(PACKET_MULTICAST, packet_seen(ps, v4(9, 1), 9000, 3, WAIT_MS));

	/* Another host's MAC, not promiscuous: written (FreeBSD accepts it), dropped. */
	dropped = stat_val(self->name, "rx_dropped");
	rx = stat_val(self->name, "rx_packets");
	ASSERT_LE(0, dropped);
	ASSERT_LE(0, rx);
	data[0] = 4;
	len = build_udp4_frame(f, other, mac_peer, v4(9, 2), v4(9, 1), 9001, 9000, data,
			       sizeof(data));
	ASSERT_EQ((ssize_t)len, write(self->fd, f, len)) TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(-1, packet_seen(ps, v4(9, 1), 9000, 4, QUIET_MS))
		TH_LOG("a frame to another host's MAC was received");
	EXPECT_EQ(dropped + 1, stat_val(self->name, "rx_dropped"));
	EXPECT_EQ(rx, stat_val(self->name, "rx_packets"));

	/* Promiscuous: the same frame is received, as another host's. */
	ASSERT_EQ(0, ip("link set %s promisc on", self->name));
	ASSERT_EQ(IFF_PROMISC, if_flags(self->name) & IFF_PROMISC);
	rx = stat_val(self->name, "rx_packets");
	data[0] = 5;
	len = build_udp4_frame(f, other, mac_peer, v4(9, 2), v4(9, 1), 9001, 9000, data,
			       sizeof(data));
	ASSERT_EQ((ssize_t)len, write(self->fd, f, len)) TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(PACKET_OTHERHOST, packet_seen(ps, v4(9, 1), 9000, 5, WAIT_MS))
		TH_LOG("a promiscuous tap did not receive a frame to another host's MAC");
	EXPECT_EQ(rx + 1, stat_val(self->name, "rx_packets"));
	EXPECT_EQ(0, ip("link set %s promisc off", self->name));
	close(ps);
}

/* A packet socket on `name` that holds it promiscuous (PACKET_MR_PROMISC, counted), or -errno. */
static int promisc_capture(const char *name)
{
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int ps = packet_socket(name);

	if (ps < 0)
		return ps;
	mr.mr_ifindex = (int)link_index(name);
	if (setsockopt(ps, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
		int ret = -errno;

		close(ps);
		return ret;
	}
	return ps;
}

/* The promiscuity count, as `ip -d link` shows it; -1 if it cannot be read. */
static int promiscuity(const char *name)
{
	char out[8192];

	if (ip_output(out, sizeof(out), "-d -j link show dev %s", name))
		return -1;
	return (int)json_long(out, "promiscuity");
}

/* Writes a UDP frame to another host's MAC with tag `tag`; whether rx_dropped counted it. */
static bool foreign_unicast_dropped(int fd, const char *name, int net, uint8_t tag)
{
	uint8_t mac[ETH_ALEN], other[ETH_ALEN], f[PKT_MAX], data[64];
	long long dropped = stat_val(name, "rx_dropped");
	size_t len;

	memset(data, 'p', sizeof(data));
	data[0] = tag;
	if (if_mac(name, mac) || dropped < 0)
		return false;
	memcpy(other, mac_other, ETH_ALEN);
	if (!memcmp(other, mac, ETH_ALEN))
		other[5] ^= 0x01;
	len = build_udp4_frame(f, other, mac_peer, v4(net, 2), v4(net, 1), 9001, 9000, data,
			       sizeof(data));
	if (write(fd, f, len) != (ssize_t)len)
		return false;
	return stat_val(name, "rx_dropped") == dropped + 1;
}

/*
 * The driver's own flag changes leave the promiscuity that others hold alone: a capture holds
 * the tap promiscuous while VMIO_SIOCSIFFLAGS rewrites the flags, or while the close brings the
 * tap down; once the capture ends, the promiscuity is 0 again and a frame to another host's MAC
 * is filtered (rx_dropped). Before, the driver passed the counted IFF_PROMISC back as a user
 * setting that nobody cleared. Nets 20, 21.
 */
TEST_F_TIMEOUT(tap, promiscuity_not_leaked, 60)
{
	char name[IFNAMSIZ], path[64];
	int ps, fd;

	/* VMIO_SIOCSIFFLAGS under a capture. */
	ASSERT_EQ(0, tap_up4(self->name, 20));
	ps = promisc_capture(self->name);
	ASSERT_LE(0, ps) TH_LOG("capture on %s: %s", self->name, strerror(-ps));
	EXPECT_EQ(1, promiscuity(self->name));
	ASSERT_EQ(0, ioctl(self->fd, VMIO_SIOCSIFFLAGS, (unsigned long)(IFF_BROADCAST | IFF_MULTICAST)))
		TH_LOG("VMIO_SIOCSIFFLAGS: %s", strerror(errno));
	close(ps);
	EXPECT_EQ(0, promiscuity(self->name)) TH_LOG("after VMIO_SIOCSIFFLAGS and the capture's end");
	EXPECT_EQ(0, sys_val(self->name, "flags") & IFF_PROMISC);
	EXPECT_TRUE(foreign_unicast_dropped(self->fd, self->name, 20, 1))
		TH_LOG("a frame to another host's MAC got through");

	/* The close, under a capture. */
	fd = open_unit(&self->tracked, "/dev/tap", false, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	ASSERT_EQ(0, tap_up4(name, 21));
	ps = promisc_capture(name);
	ASSERT_LE(0, ps) TH_LOG("capture on %s: %s", name, strerror(-ps));
	close_unit(&self->tracked, fd);
	EXPECT_EQ(0, if_flags(name) & IFF_UP);
	close(ps);
	EXPECT_EQ(0, promiscuity(name)) TH_LOG("after the close and the capture's end");
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, true, name);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	ASSERT_EQ(0, ip("link set %s up", name));
	EXPECT_EQ(0, sys_val(name, "flags") & IFF_PROMISC);
	EXPECT_TRUE(foreign_unicast_dropped(fd, name, 21, 2))
		TH_LOG("a frame to another host's MAC got through");
	close_unit(&self->tracked, fd);
}

/*
 * A write shorter than an Ethernet header is taken (the length is returned) and dropped:
 * rx_dropped counts it, nothing is received. Net 10.
 */
TEST_F_TIMEOUT(tap, short_write_dropped, 60)
{
	uint8_t mac[ETH_ALEN], f[ETH_HLEN];
	long long dropped, rx;

	ASSERT_EQ(0, if_mac(self->name, mac));
	ASSERT_EQ(0, tap_up4(self->name, 10));
	eth_hdr(f, mac, mac_peer, ETHERTYPE_IP);
	dropped = stat_val(self->name, "rx_dropped");
	rx = stat_val(self->name, "rx_packets");
	ASSERT_LE(0, dropped);
	ASSERT_LE(0, rx);
	EXPECT_EQ(10, write(self->fd, f, 10)) TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(dropped + 1, stat_val(self->name, "rx_dropped"));
	EXPECT_EQ(ETH_HLEN - 1, write(self->fd, f, ETH_HLEN - 1))
		TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(dropped + 2, stat_val(self->name, "rx_dropped"));
	EXPECT_EQ(rx, stat_val(self->name, "rx_packets"));
	/* A zero-length write returns 0. */
	EXPECT_EQ(0, write(self->fd, f, 0));
}

/* Writes of up to TAPMRU (65535) bytes are taken, longer ones fail with EIO. Net 11. */
TEST_F_TIMEOUT(tap, mru, 60)
{
	static uint8_t f[TAPMRU + 16];
	uint8_t mac[ETH_ALEN];

	ASSERT_EQ(65535, TAPMRU);
	ASSERT_EQ(0, if_mac(self->name, mac));
	ASSERT_EQ(0, tap_up4(self->name, 11));
	/* A broadcast frame of the local experimental EtherType, that nothing handles. */
	memset(f, 0x5a, sizeof(f));
	eth_hdr(f, mac_bcast, mac_peer, 0x88b5);
	EXPECT_EQ(TAPMRU, write(self->fd, f, TAPMRU)) TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(-1, write(self->fd, f, TAPMRU + 1));
	EXPECT_EQ(EIO, errno);
}

/* A write while the interface is down is ignored: returns 0, counted in rx_dropped. */
TEST_F(tap, write_while_down)
{
	uint8_t mac[ETH_ALEN], f[PKT_MAX], data[64];
	long long dropped, rx;
	size_t len;

	memset(data, 'd', sizeof(data));
	ASSERT_EQ(0, if_mac(self->name, mac));
	ASSERT_EQ(0, if_flags(self->name) & IFF_UP);
	dropped = stat_val(self->name, "rx_dropped");
	rx = stat_val(self->name, "rx_packets");
	ASSERT_LE(0, dropped);
	ASSERT_LE(0, rx);
	len = build_udp4_frame(f, mac, mac_peer, v4(16, 2), v4(16, 1), 16001, 16000, data,
			       sizeof(data));
	EXPECT_EQ(0, write(self->fd, f, len)) TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(dropped + 1, stat_val(self->name, "rx_dropped"));
	EXPECT_EQ(rx, stat_val(self->name, "rx_packets"));
}

/* ---- 5. Pings through a userspace responder ----------------------------------------------- */

/*
 * IPv4 ping of the far end 10.78.6.2: we answer the kernel's ARP request for it with a made-up
 * MAC, then the echo request (sent to that MAC) with an echo reply, which reaches the raw
 * socket. IPv6 is left on: its frames (MLD, RS, DAD) are skipped. Net 6.
 */
TEST_F_TIMEOUT(tap, ping_ipv4, 90)
{
	static const char data[] = "tuntap_rs tap ping";
	uint8_t mac[ETH_ALEN], req[64], f[PKT_MAX], out[PKT_MAX], buf[PKT_MAX];
	struct icmphdr *icmp = (struct icmphdr *)req;
	struct sockaddr_in peer = { .sin_family = AF_INET };
	uint16_t id = (uint16_t)getpid();
	size_t icmp_len = sizeof(*icmp) + sizeof(data);
	int arps = 0, echoes = 0, s, ret = -1;
	unsigned long long deadline;
	bool got = false;

	ASSERT_EQ(0, if_mac(self->name, mac));
	ASSERT_EQ(0, ip("addr add 10.78.6.1/24 dev %s", self->name));
	ASSERT_EQ(0, ip("link set %s up", self->name));
	s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	ASSERT_LE(0, s);
	memset(req, 0, sizeof(req));
	icmp->type = ICMP_ECHO;
	icmp->un.echo.id = htons(id);
	icmp->un.echo.sequence = htons(1);
	memcpy(req + sizeof(*icmp), data, sizeof(data));
	icmp->checksum = csum(req, icmp_len);
	peer.sin_addr.s_addr = v4(6, 2);
	ret = (int)sendto(s, req, icmp_len, 0, (struct sockaddr *)&peer, sizeof(peer));
	ASSERT_EQ((int)icmp_len, ret) TH_LOG("sendto 10.78.6.2: %s", strerror(errno));

	deadline = now_ms() + EXCHANGE_MS;
	while (!got && ms_left(deadline) > 0) {
		const struct ether_arp *ea;
		const struct icmphdr *ic;
		ssize_t n = read_pkt(self->fd, f, sizeof(f), 100);
		size_t dlen, len;

		if (n > 0 && (ea = arp_of(f, n, ARPOP_REQUEST, v4(6, 2)))) {
			if (!arps++) {
				EXPECT_EQ(0, memcmp(eth_dst(f), mac_bcast, ETH_ALEN));
				EXPECT_EQ(0, memcmp(eth_src(f), mac, ETH_ALEN));
				EXPECT_EQ(ARPHRD_ETHER, ntohs(ea->arp_hrd));
				EXPECT_EQ(ETHERTYPE_IP, ntohs(ea->arp_pro));
				EXPECT_EQ(ETH_ALEN, ea->arp_hln);
				EXPECT_EQ(4, ea->arp_pln);
				EXPECT_EQ(0, memcmp(ea->arp_sha, mac, ETH_ALEN));
				EXPECT_EQ(v4(6, 1), arp_addr(ea->arp_spa));
			}
			len = build_arp(out, ARPOP_REPLY, mac, mac_peer, v4(6, 2), mac, v4(6, 1));
			ASSERT_EQ((ssize_t)len, write(self->fd, out, len))
				TH_LOG("write ARP reply: %s", strerror(errno));
		} else if (n > 0 && (ic = echo4_of(f, n, ICMP_ECHO, v4(6, 2), &dlen))) {
			if (!echoes++) {
				EXPECT_EQ(0, memcmp(eth_dst(f), mac_peer, ETH_ALEN));
				EXPECT_EQ(0, memcmp(eth_src(f), mac, ETH_ALEN));
				EXPECT_EQ(v4(6, 1), ((struct iphdr *)(f + ETH_HLEN))->saddr);
				EXPECT_EQ(htons(id), ic->un.echo.id);
				EXPECT_EQ(sizeof(data), dlen);
			}
			len = build_echo4_reply_frame(out, f, ic, dlen, mac_peer);
			ASSERT_EQ((ssize_t)len, write(self->fd, out, len))
				TH_LOG("write echo reply: %s", strerror(errno));
		}
		for (;;) {
			struct iphdr *rip = (struct iphdr *)buf;
			struct icmphdr *ric;
			ssize_t m = recv(s, buf, sizeof(buf), MSG_DONTWAIT);

			if (m < 0)
				break;
			if (m < 28 || m < rip->ihl * 4 + 8 + (ssize_t)sizeof(data))
				continue;
			ric = (struct icmphdr *)(buf + rip->ihl * 4);
			if (rip->saddr == v4(6, 2) && ric->type == ICMP_ECHOREPLY &&
			    ric->un.echo.id == htons(id) && ric->un.echo.sequence == htons(1) &&
			    !memcmp((uint8_t *)ric + sizeof(*ric), data, sizeof(data)))
				got = true;
		}
	}
	EXPECT_LE(1, arps) TH_LOG("no ARP request for 10.78.6.2 was read");
	EXPECT_LE(1, echoes) TH_LOG("no echo request was read");
	EXPECT_TRUE(got) TH_LOG("no echo reply on the raw socket");
	close(s);
}

/*
 * IPv6 ping of the far end fd78:7::2: we answer the kernel's Neighbor Solicitation (to the
 * solicited-node multicast address) with a Neighbor Advertisement, then the echo request with
 * an echo reply, which reaches the raw socket. Other frames (MLD, RS, DAD) are skipped. Net 7.
 */
TEST_F_TIMEOUT(tap, ping_ipv6, 90)
{
	static const char data[] = "tuntap_rs tap ping6";
	static const uint8_t mac_snm[ETH_ALEN] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x02 };
	struct in6_addr local = v6(7, 1), target = v6(7, 2), snm;
	struct sockaddr_in6 peer = { .sin6_family = AF_INET6 };
	uint8_t mac[ETH_ALEN], req[64], f[PKT_MAX], out[PKT_MAX], buf[PKT_MAX];
	struct icmp6_hdr *icmp = (struct icmp6_hdr *)req;
	uint16_t id = (uint16_t)getpid();
	size_t icmp_len = sizeof(*icmp) + sizeof(data);
	int nss = 0, echoes = 0, s;
	unsigned long long deadline;
	ssize_t sent = -1;
	bool got = false;

	inet_pton(AF_INET6, "ff02::1:ff00:2", &snm);
	ASSERT_EQ(0, if_mac(self->name, mac));
	ASSERT_EQ(0, ip("-6 addr add fd78:7::1/64 dev %s nodad", self->name));
	ASSERT_EQ(0, ip("link set %s up", self->name));
	s = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	ASSERT_LE(0, s);
	/* The kernel computes ICMPv6 checksums for raw sockets. */
	memset(req, 0, sizeof(req));
	icmp->icmp6_type = ICMP6_ECHO_REQUEST;
	icmp->icmp6_id = htons(id);
	icmp->icmp6_seq = htons(1);
	memcpy(req + sizeof(*icmp), data, sizeof(data));
	peer.sin6_addr = target;
	/* The address and its route may take a moment after the interface comes up. */
	for (int i = 0; i < 20 && sent < 0; i++) {
		sent = sendto(s, req, icmp_len, 0, (struct sockaddr *)&peer, sizeof(peer));
		if (sent < 0)
			usleep(100 * 1000);
	}
	ASSERT_EQ((ssize_t)icmp_len, sent) TH_LOG("sendto fd78:7::2: %s", strerror(errno));

	deadline = now_ms() + EXCHANGE_MS;
	while (!got && ms_left(deadline) > 0) {
		ssize_t n = read_pkt(self->fd, f, sizeof(f), 100);
		const struct ip6_hdr *ip6 = (const struct ip6_hdr *)(f + ETH_HLEN);
		const uint8_t *m;
		size_t mlen, len;

		if (n > 0 && (m = icmp6_of(f, n, ND_NEIGHBOR_SOLICIT, &mlen)) &&
		    mlen >= sizeof(struct nd_neighbor_solicit) &&
		    !memcmp(&((const struct nd_neighbor_solicit *)m)->nd_ns_target, &target,
			    sizeof(target))) {
			struct in6_addr src;

			if (!nss++) {
				EXPECT_EQ(0, memcmp(eth_dst(f), mac_snm, ETH_ALEN));
				EXPECT_EQ(0, memcmp(eth_src(f), mac, ETH_ALEN));
				EXPECT_EQ(0, memcmp(&ip6->ip6_dst, &snm, sizeof(snm)));
				EXPECT_EQ(255, ip6->ip6_hlim);
			}
			memcpy(&src, &ip6->ip6_src, sizeof(src));
			len = build_na(out, eth_src(f), mac_peer, &target, &src, &target);
			ASSERT_EQ((ssize_t)len, write(self->fd, out, len))
				TH_LOG("write NA: %s", strerror(errno));
		} else if (n > 0 && (m = icmp6_of(f, n, ICMP6_ECHO_REQUEST, &mlen)) &&
			   !memcmp(&ip6->ip6_dst, &target, sizeof(target))) {
			if (!echoes++) {
				EXPECT_EQ(0, memcmp(eth_dst(f), mac_peer, ETH_ALEN));
				EXPECT_EQ(0, memcmp(eth_src(f), mac, ETH_ALEN));
				EXPECT_EQ(0, memcmp(&ip6->ip6_src, &local, sizeof(local)));
				EXPECT_EQ(htons(id), ((const struct icmp6_hdr *)m)->icmp6_id);
				EXPECT_EQ(icmp_len, mlen);
			}
			len = build_echo6_reply_frame(out, f, m, mlen, mac_peer);
			ASSERT_EQ((ssize_t)len, write(self->fd, out, len))
				TH_LOG("write echo reply: %s", strerror(errno));
		}
		for (;;) {
			struct icmp6_hdr *ric = (struct icmp6_hdr *)buf;
			struct sockaddr_in6 from;
			socklen_t fromlen = sizeof(from);
			ssize_t r = recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &fromlen);

			if (r < 0)
				break;
			if (r == (ssize_t)icmp_len && ric->icmp6_type == ICMP6_ECHO_REPLY &&
			    ric->icmp6_id == htons(id) && ric->icmp6_seq == htons(1) &&
			    !memcmp(&from.sin6_addr, &target, sizeof(target)) &&
			    !memcmp(buf + sizeof(*ric), data, sizeof(data)))
				got = true;
		}
	}
	EXPECT_LE(1, nss) TH_LOG("no Neighbor Solicitation for fd78:7::2 was read");
	EXPECT_LE(1, echoes) TH_LOG("no echo request was read");
	EXPECT_TRUE(got) TH_LOG("no echo reply on the raw socket");
	close(s);
}

/* ---- 6. ioctls ---------------------------------------------------------------------------- */

/*
 * SIOCGIFADDR/SIOCSIFADDR on the tap file: the "remote" MAC, a copy of the interface's MAC
 * taken at open. Setting it leaves the interface's MAC alone; the next open takes a new copy.
 */
TEST_F(tap, remote_mac)
{
	static const uint8_t set[ETH_ALEN] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint8_t mac[ETH_ALEN], now[ETH_ALEN], buf[32], arg[32];
	char name[IFNAMSIZ], path[64];
	int fd;

	fd = open_unit(&self->tracked, "/dev/tap", false, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	/* udev may replace a new interface's address after the copy was taken: open again. */
	close_unit(&self->tracked, fd);
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, false, name);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	ASSERT_EQ(0, if_mac(name, mac));
	ASSERT_NE(0, memcmp(mac, set, ETH_ALEN));
	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, ioctl(fd, SIOCGIFADDR, buf)) TH_LOG("SIOCGIFADDR: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(buf, mac, ETH_ALEN));

	memset(arg, 0xee, sizeof(arg));
	memcpy(arg, set, ETH_ALEN);
	ASSERT_EQ(0, ioctl(fd, SIOCSIFADDR, arg)) TH_LOG("SIOCSIFADDR: %s", strerror(errno));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, ioctl(fd, SIOCGIFADDR, buf));
	EXPECT_EQ(0, memcmp(buf, set, ETH_ALEN));
	ASSERT_EQ(0, if_mac(name, now));
	EXPECT_EQ(0, memcmp(now, mac, ETH_ALEN)) TH_LOG("SIOCSIFADDR changed the interface's MAC");

	/* Reopened: a fresh copy of the interface's MAC. */
	close_unit(&self->tracked, fd);
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, true, name);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, ioctl(fd, SIOCGIFADDR, buf));
	EXPECT_EQ(0, memcmp(buf, mac, ETH_ALEN)) TH_LOG("the remote MAC was not retaken at open");
	close_unit(&self->tracked, fd);
	EXPECT_FALSE(node_exists(name));
}

/* The tun-only ioctls are refused on a tap (ENOTTY). */
TEST_F(tap, tun_ioctls_refused)
{
	static const struct { unsigned long req; const char *name; } refused[] = {
		{ TUNSIFHEAD, "TUNSIFHEAD" },
		{ TUNSLMODE, "TUNSLMODE" },
		{ TUNSIFMODE, "TUNSIFMODE" },
	};
	int flags, val;

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		val = refused[i].req == TUNSIFMODE ? IFF_POINTOPOINT : 1;
		EXPECT_EQ(-ENOTTY, set_int(self->fd, refused[i].req, val)) TH_LOG("%s",
										 refused[i].name);
	}
	EXPECT_EQ(-1, ioctl(self->fd, TUNSIFPID));
	EXPECT_EQ(ENOTTY, errno);
	/* TUNSIFMODE did nothing. */
	flags = if_flags(self->name);
	ASSERT_LE(0, flags);
	EXPECT_EQ(IFF_BROADCAST, flags & (IFF_BROADCAST | IFF_POINTOPOINT));
}

/* TUNGIFINFO/TUNSIFINFO (TAPGIFINFO/TAPSIFINFO): type IFT_ETHER, MTU; IFT_PPP is EPROTOTYPE. */
TEST_F(tap, sifinfo)
{
	struct tapinfo ti;

	memset(&ti, 0, sizeof(ti));
	ASSERT_EQ(0, ioctl(self->fd, TAPGIFINFO, &ti)) TH_LOG("TAPGIFINFO: %s", strerror(errno));
	EXPECT_EQ(1500, ti.mtu);
	EXPECT_EQ(IFT_ETHER, ti.type);

	memset(&ti, 0, sizeof(ti));
	ti.type = IFT_ETHER;
	ti.mtu = 1400;
	ASSERT_EQ(0, ioctl(self->fd, TAPSIFINFO, &ti)) TH_LOG("TAPSIFINFO: %s", strerror(errno));
	EXPECT_EQ(1400, sys_val(self->name, "mtu"));
	memset(&ti, 0, sizeof(ti));
	ASSERT_EQ(0, ioctl(self->fd, TUNGIFINFO, &ti));
	EXPECT_EQ(1400, ti.mtu);
	EXPECT_EQ(IFT_ETHER, ti.type);

	ti.type = IFT_PPP;
	ti.mtu = 1300;
	EXPECT_EQ(-1, ioctl(self->fd, TUNSIFINFO, &ti));
	EXPECT_EQ(EPROTOTYPE, errno);
	EXPECT_EQ(1400, sys_val(self->name, "mtu"));
}

/*
 * VMIO_SIOCSIFFLAGS (argument by value), on a vmnet and on a tap: the flags are masked with
 * 0x0fff, those the interface cannot change are kept (BROADCAST stays, POINTOPOINT and PROMISC
 * are not set, MULTICAST above the mask stays), and IFF_UP is forced.
 */
TEST_F_TIMEOUT(tap, vmio_siocsifflags, 60)
{
	const int mask = IFF_UP | IFF_NOARP | IFF_BROADCAST | IFF_MULTICAST | IFF_POINTOPOINT |
			 IFF_PROMISC;
	char vname[IFNAMSIZ];
	const char *names[2];
	int fds[2], vfd, flags;

	vfd = open_unit(&self->tracked, "/dev/vmnet", true, vname);
	ASSERT_LE(0, vfd) TH_LOG("open /dev/vmnet: %s", strerror(-vfd));
	names[0] = vname;
	names[1] = self->name;
	fds[0] = vfd;
	fds[1] = self->fd;
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, no_ipv6(names[i]));
		flags = if_flags(names[i]);
		ASSERT_LE(0, flags);
		ASSERT_EQ(0, flags & IFF_UP) TH_LOG("%s is up already", names[i]);

		ASSERT_EQ(0, ioctl(fds[i], VMIO_SIOCSIFFLAGS,
				   (unsigned long)(IFF_NOARP | IFF_POINTOPOINT | IFF_PROMISC)))
			TH_LOG("%s: VMIO_SIOCSIFFLAGS: %s", names[i], strerror(errno));
		flags = if_flags(names[i]);
		ASSERT_LE(0, flags);
		EXPECT_EQ(IFF_UP | IFF_NOARP | IFF_BROADCAST | IFF_MULTICAST, flags & mask)
			TH_LOG("%s: flags %#x", names[i], flags);

		ASSERT_EQ(0, ioctl(fds[i], VMIO_SIOCSIFFLAGS, 0UL))
			TH_LOG("%s: VMIO_SIOCSIFFLAGS: %s", names[i], strerror(errno));
		flags = if_flags(names[i]);
		ASSERT_LE(0, flags);
		EXPECT_EQ(IFF_UP | IFF_BROADCAST | IFF_MULTICAST, flags & mask)
			TH_LOG("%s: flags %#x", names[i], flags);
	}
}

/* FreeBSD's other VMIO_* names compile, and the driver answers them ENOTTY, as FreeBSD's does. */
TEST_F(tap, vmio_other_names)
{
	static const struct { unsigned long req; const char *name; } reqs[] = {
		{ VMIO_SIOCSKEEP, "VMIO_SIOCSKEEP" },
		{ VMIO_SIOCSIFBR, "VMIO_SIOCSIFBR" },
		{ VMIO_SIOCSLADRF, "VMIO_SIOCSLADRF" },
		{ VMIO_SIOCSETMACADDR, "VMIO_SIOCSETMACADDR" },
		{ VMIO_SIOCPORT, "VMIO_SIOCPORT" },
		{ VMIO_SIOCBRIDGE, "VMIO_SIOCBRIDGE" },
		{ VMIO_SIOCNETIF, "VMIO_SIOCNETIF" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(reqs); i++) {
		EXPECT_EQ(-1, ioctl(self->fd, reqs[i].req, 0)) TH_LOG("%s", reqs[i].name);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("%s", reqs[i].name);
	}
}

/* ---- 7. A tap in a Linux bridge ------------------------------------------------------------ */

/*
 * The child that holds the far end's network namespace: unshares one (IPv6 off by default, so
 * that vtt1 sends nothing unasked), reports, and on the parent's byte (once vtt1 has been moved
 * in) configures 10.79.0.2/24 on it and reports the status; then waits for EOF.
 */
static int netns_child(int rfd, int wfd)
{
	int r = 0;
	char c;

	if (unshare(CLONE_NEWNET))
		r = errno;
	else
		set_disable_ipv6("default", "1");
	if (write(wfd, &r, sizeof(r)) != sizeof(r) || r)
		return 1;
	if (read(rfd, &c, 1) != 1)
		return 0;
	r = system("ip link set lo up && ip addr add 10.79.0.2/24 dev vtt1 && "
		   "ip link set vtt1 up");
	if (write(wfd, &r, sizeof(r)) != sizeof(r))
		return 1;
	while (read(rfd, &c, 1) > 0)
		;
	return 0;
}

/* Waits up to `ms` for bridge port `name` to be forwarding; true if it is. */
static bool wait_forwarding(const char *name, int ms)
{
	unsigned long long deadline = now_ms() + (unsigned long long)ms;

	do {
		if (sys_val(name, "brport/state") == 3)	/* BR_STATE_FORWARDING */
			return true;
		usleep(50 * 1000);
	} while (ms_left(deadline) > 0);
	return false;
}

/*
 * tapN and veth vtt0 in bridge br-tt; vtt0's peer vtt1 is 10.79.0.2 in a network namespace of
 * its own. Frames written to the tap cross the bridge both ways: a broadcast ARP request from
 * a made-up 10.79.0.1 gets vtt1's ARP reply, read from the tap; then an ICMP echo request gets
 * its reply.
 */
TEST_F_TIMEOUT(tap, bridge_with_veth, 120)
{
	static const uint8_t mac_h1[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const char data[] = "across the bridge";
	const in_addr_t h1 = ip4(10, 79, 0, 1), h2 = ip4(10, 79, 0, 2);
	int to_child[2], to_parent[2], r = -1;
	uint8_t mac_v1[ETH_ALEN], f[PKT_MAX], out[PKT_MAX];
	unsigned long long deadline, next_send = 0;
	bool arp_ok = false, echo_ok = false;
	size_t len;
	pid_t pid;

	/* Left-overs of an earlier run that was killed. */
	ip_quiet("link del br-tt");
	ip_quiet("link del vtt0");

	ASSERT_EQ(0, ip("link add br-tt type bridge"));
	track_link(self, "br-tt");
	/* A set address (not random), so udev leaves it alone (MACAddressPolicy). */
	ASSERT_EQ(0, ip("link add vtt0 type veth peer name vtt1 address 02:00:00:00:aa:01"));
	track_link(self, "vtt0");
	ASSERT_EQ(0, no_ipv6("br-tt"));
	ASSERT_EQ(0, no_ipv6("vtt0"));
	ASSERT_EQ(0, no_ipv6(self->name));
	ASSERT_EQ(0, if_mac("vtt1", mac_v1));

	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		_exit(netns_child(to_child[0], to_parent[1]));
	}
	close(to_child[0]);
	close(to_parent[1]);
	self->ns_pid = pid;
	self->ns_ctl = to_child[1];
	ASSERT_EQ((ssize_t)sizeof(r), read(to_parent[0], &r, sizeof(r)));
	ASSERT_EQ(0, r) TH_LOG("unshare: %s", strerror(r));
	ASSERT_EQ(0, ip("link set vtt1 netns %d", pid));
	ASSERT_EQ(1, write(to_child[1], "c", 1));
	ASSERT_EQ((ssize_t)sizeof(r), read(to_parent[0], &r, sizeof(r)));
	ASSERT_EQ(0, r) TH_LOG("configuring vtt1 in the namespace: status %d", r);
	close(to_parent[0]);

	ASSERT_EQ(0, ip("link set %s master br-tt", self->name));
	ASSERT_EQ(0, ip("link set vtt0 master br-tt"));
	ASSERT_EQ(0, ip("link set br-tt up"));
	ASSERT_EQ(0, ip("link set vtt0 up"));
	ASSERT_EQ(0, ip("link set %s up", self->name));
	EXPECT_TRUE(wait_forwarding(self->name, 5000)) TH_LOG("%s not forwarding", self->name);
	EXPECT_TRUE(wait_forwarding("vtt0", 5000)) TH_LOG("vtt0 not forwarding");

	/* (a) ARP, resent every second until answered. */
	deadline = now_ms() + EXCHANGE_MS;
	while (!arp_ok && ms_left(deadline) > 0) {
		const struct ether_arp *ea;
		ssize_t n;

		if (now_ms() >= next_send) {
			len = build_arp(out, ARPOP_REQUEST, mac_bcast, mac_h1, h1, mac_zero, h2);
			ASSERT_EQ((ssize_t)len, write(self->fd, out, len))
				TH_LOG("write ARP request: %s", strerror(errno));
			next_send = now_ms() + 1000;
		}
		n = read_pkt(self->fd, f, sizeof(f), 100);
		if (n <= 0 || !(ea = arp_of(f, n, ARPOP_REPLY, h1)))
			continue;
		arp_ok = true;
		EXPECT_EQ(0, memcmp(eth_dst(f), mac_h1, ETH_ALEN));
		EXPECT_EQ(0, memcmp(eth_src(f), mac_v1, ETH_ALEN));
		EXPECT_EQ(0, memcmp(ea->arp_sha, mac_v1, ETH_ALEN));
		EXPECT_EQ(h2, arp_addr(ea->arp_spa));
		EXPECT_EQ(0, memcmp(ea->arp_tha, mac_h1, ETH_ALEN));
	}
	ASSERT_TRUE(arp_ok) TH_LOG("no ARP reply from vtt1 came back through the bridge");

	/* (b) ICMP echo to vtt1's MAC; we answer its ARP for 10.79.0.1 should it ask. */
	next_send = 0;
	deadline = now_ms() + EXCHANGE_MS;
	while (!echo_ok && ms_left(deadline) > 0) {
		const struct icmphdr *ic;
		size_t dlen;
		ssize_t n;

		if (now_ms() >= next_send) {
			len = eth_hdr(out, mac_v1, mac_h1, ETHERTYPE_IP);
			len += build_echo4(out + len, ICMP_ECHO, h1, h2, 0x7474, 1, data,
					   sizeof(data));
			ASSERT_EQ((ssize_t)len, write(self->fd, out, len))
				TH_LOG("write echo request: %s", strerror(errno));
			next_send = now_ms() + 1000;
		}
		n = read_pkt(self->fd, f, sizeof(f), 100);
		if (n <= 0)
			continue;
		if (arp_of(f, n, ARPOP_REQUEST, h1)) {
			len = build_arp(out, ARPOP_REPLY, mac_v1, mac_h1, h1, mac_v1, h2);
			ASSERT_EQ((ssize_t)len, write(self->fd, out, len));
			continue;
		}
		ic = echo4_of(f, n, ICMP_ECHOREPLY, h1, &dlen);
		if (!ic || ic->un.echo.id != htons(0x7474))
			continue;
		echo_ok = true;
		EXPECT_EQ(0, memcmp(eth_dst(f), mac_h1, ETH_ALEN));
		EXPECT_EQ(0, memcmp(eth_src(f), mac_v1, ETH_ALEN));
		EXPECT_EQ(h2, ((struct iphdr *)(f + ETH_HLEN))->saddr);
		EXPECT_EQ(sizeof(data), dlen);
		EXPECT_EQ(0, memcmp((const uint8_t *)ic + sizeof(*ic), data, sizeof(data)));
	}
	EXPECT_TRUE(echo_ok) TH_LOG("no echo reply from 10.79.0.2 came back through the bridge");

	EXPECT_EQ(0, del_link("br-tt"));
	EXPECT_EQ(0, del_link("vtt0"));
	memset(self->links, 0, sizeof(self->links));
}

/* ---- 8. vmnet ----------------------------------------------------------------------------- */

/* /dev/vmnet clones vmnetN (the lowest free N), an Ethernet interface like a tap's. */
TEST_F(tap, vmnet_clone)
{
	char name[IFNAMSIZ], path[64];
	uint8_t mac[ETH_ALEN];
	struct tapinfo ti;
	int expect, fd, flags;
	struct stat st;

	expect = lowest_free_unit("vmnet");
	ASSERT_LE(0, expect);
	fd = open_unit(&self->tracked, "/dev/vmnet", true, name);
	ASSERT_LE(0, fd) TH_LOG("open /dev/vmnet: %s", strerror(-fd));
	EXPECT_EQ(expect, unit_of("vmnet", name)) TH_LOG("TAPGIFNAME gave '%s'", name);
	snprintf(path, sizeof(path), "/dev/%s", name);
	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_LT(0U, link_index(name));
	EXPECT_EQ(1, sys_val(name, "type"));
	EXPECT_EQ(1500, sys_val(name, "mtu"));
	flags = if_flags(name);
	ASSERT_LE(0, flags);
	EXPECT_EQ(IFF_BROADCAST | IFF_MULTICAST,
		  flags & (IFF_BROADCAST | IFF_MULTICAST | IFF_POINTOPOINT | IFF_UP));
	ASSERT_EQ(0, if_mac(name, mac));
	EXPECT_EQ(0x02, mac[0] & 0x03);
	memset(&ti, 0, sizeof(ti));
	ASSERT_EQ(0, ioctl(fd, TAPGIFINFO, &ti));
	EXPECT_EQ(IFT_ETHER, ti.type);
	EXPECT_EQ(1, get_int(fd, TAPGTRANSIENT));
	close_unit(&self->tracked, fd);
	EXPECT_FALSE(node_exists(name));
	EXPECT_EQ(0U, link_index(name));
}

/*
 * vmnet keeps its output while nobody has it open: after the close the interface stays up with
 * its address, a datagram routed out of it is queued, and the next open reads it. What was
 * queued before the close is junked by the close, as FreeBSD's destructor drains the queue of
 * every kind before it looks at vmnet. Vmnet net 1.
 */
TEST_F_TIMEOUT(tap, vmnet_output_kept_while_closed, 60)
{
	char name[IFNAMSIZ], name2[IFNAMSIZ], path[64], out[4096];
	uint8_t mac[ETH_ALEN], data[100], buf[PKT_MAX];
	int fd, flags, avail = -1;
	ssize_t n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i + 'v');
	fd = open_unit(&self->tracked, "/dev/vmnet", false, name);
	ASSERT_LE(0, fd) TH_LOG("open /dev/vmnet: %s", strerror(-fd));
	ASSERT_EQ(0, if_mac(name, mac));
	ASSERT_EQ(0, no_ipv6(name));
	ASSERT_EQ(0, ip("addr add 10.80.1.1/24 dev %s", name));
	ASSERT_EQ(0, ip("link set %s up", name));
	ASSERT_EQ(0, ip("neigh add 10.80.1.2 lladdr 02:00:00:00:00:02 nud permanent dev %s", name));
	/* Queued while open, never read: the close junks it. */
	ASSERT_EQ(0, send_udp4(ip4(10, 80, 1, 2), 15001, data, sizeof(data)));
	ASSERT_TRUE(wait_readable(fd, WAIT_MS));

	close_unit(&self->tracked, fd);
	flags = if_flags(name);
	ASSERT_LE(0, flags);
	EXPECT_EQ(IFF_UP, flags & IFF_UP) TH_LOG("a vmnet went down on close");
	ASSERT_EQ(0, ip_output(out, sizeof(out), "-4 addr show dev %s", name));
	EXPECT_NE(NULL, strstr(out, "inet 10.80.1.1/24")) TH_LOG("%s", out);

	ASSERT_EQ(0, send_udp4(ip4(10, 80, 1, 2), 15000, data, sizeof(data)));
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, true, name2);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	/* Exactly one frame waits, the one sent after the close. */
	ASSERT_EQ(0, ioctl(fd, FIONREAD, &avail));
	EXPECT_EQ(ETH_HLEN + 28 + (int)sizeof(data), avail);
	n = read_pkt(fd, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ(ETH_HLEN + 28 + (ssize_t)sizeof(data), n)
		TH_LOG("read: %zd (%s)", n, n < 0 ? strerror((int)-n) : "wrong length");
	EXPECT_TRUE(is_udp4_frame_to(buf, n, ip4(10, 80, 1, 2), 15000))
		TH_LOG("the first frame read is not the one sent after the close");
	EXPECT_EQ(0, memcmp(eth_dst(buf), mac_peer, ETH_ALEN));
	EXPECT_EQ(0, memcmp(eth_src(buf), mac, ETH_ALEN));
	EXPECT_EQ(0, memcmp(udp4_payload(buf + ETH_HLEN), data, sizeof(data)));
	avail = -1;
	ASSERT_EQ(0, ioctl(fd, FIONREAD, &avail));
	EXPECT_EQ(0, avail) TH_LOG("the frame queued before the close is still there");
	close_unit(&self->tracked, fd);
	EXPECT_FALSE(node_exists(name));
}

/*
 * A vmnet closed with a full queue sends again: the queue had stopped the stack, which only a
 * read restarts, and the close empties the queue, so the close must restart the stack itself,
 * or a vmnet (which stays up) would never send again. Vmnet net 2.
 */
TEST_F_TIMEOUT(tap, vmnet_close_with_full_queue, 60)
{
	char name[IFNAMSIZ], name2[IFNAMSIZ], path[64];
	uint8_t data[64], buf[PKT_MAX];
	int fd;
	ssize_t n;

	memset(data, 'f', sizeof(data));
	fd = open_unit(&self->tracked, "/dev/vmnet", false, name);
	ASSERT_LE(0, fd) TH_LOG("open /dev/vmnet: %s", strerror(-fd));
	ASSERT_EQ(0, no_ipv6(name));
	ASSERT_EQ(0, ip("link set %s txqueuelen 4", name));
	ASSERT_EQ(0, ip("addr add 10.80.2.1/24 dev %s", name));
	ASSERT_EQ(0, ip("link set %s up", name));
	ASSERT_EQ(0, ip("neigh add 10.80.2.2 lladdr 02:00:00:00:00:02 nud permanent dev %s", name));
	/* More than the queue and the qdisc hold: the queue fills and stops the stack. */
	for (int i = 0; i < 16; i++)
		send_udp4(ip4(10, 80, 2, 2), 16001, data, sizeof(data));
	ASSERT_TRUE(wait_readable(fd, WAIT_MS));
	close_unit(&self->tracked, fd);

	ASSERT_EQ(0, send_udp4(ip4(10, 80, 2, 2), 16000, data, sizeof(data)));
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, true, name2);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	n = read_udp4_frame(fd, buf, sizeof(buf), ip4(10, 80, 2, 2), 16000, WAIT_MS);
	EXPECT_EQ(ETH_HLEN + 28 + (ssize_t)sizeof(data), n)
		TH_LOG("the datagram sent after the close: %s",
		       n < 0 ? strerror((int)-n) : "wrong length");
	close_unit(&self->tracked, fd);
}

/*
 * A tap, in contrast, drops its output while closed. The last close is a child's, which
 * inherited the file: it brings the tap down all the same. Brought up again by hand while
 * closed, the tap has no carrier, so what is routed out of it is dropped (by the idle qdisc)
 * and counted (tx_dropped), and the next open finds nothing to read. Net 14.
 */
TEST_F_TIMEOUT(tap, tap_output_dropped_while_closed, 60)
{
	char name[IFNAMSIZ], path[64];
	uint8_t data[100], buf[PKT_MAX];
	unsigned long long deadline;
	long long before, after;
	int fd, go[2], status, flags, avail;
	pid_t pid;
	char c;

	memset(data, 't', sizeof(data));
	fd = open_unit(&self->tracked, "/dev/tap", false, name);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	ASSERT_EQ(0, tap_up4(name, 14));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Holds the file until the parent has closed its copy, then closes it last. */
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		close(fd);
		_exit(0);
	}
	close(go[0]);
	close_unit(&self->tracked, fd);
	ASSERT_EQ(1, write(go[1], "x", 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* The child's close was the last: it brought the tap down (FreeBSD 13). */
	flags = if_flags(name);
	ASSERT_LE(0, flags) TH_LOG("%s: %s", name, strerror(-flags));
	ASSERT_EQ(0, flags & IFF_UP) TH_LOG("a non-controller's last close left the tap up");
	/* Up again by hand while closed: what is routed out of it is dropped. */
	ASSERT_EQ(0, ip("link set %s up", name));
	ASSERT_EQ(0, ip("neigh replace 10.78.14.2 lladdr 02:00:00:00:00:02 nud permanent dev %s",
			name));
	before = stat_val(name, "tx_dropped") + stat_val(name, "tx_errors");
	ASSERT_LE(0, before);
	ASSERT_EQ(0, send_udp4(v4(14, 2), 14000, data, sizeof(data)));
	deadline = now_ms() + WAIT_MS;
	do {
		after = stat_val(name, "tx_dropped") + stat_val(name, "tx_errors");
		if (after > before)
			break;
		usleep(20 * 1000);
	} while (ms_left(deadline) > 0);
	EXPECT_LT(before, after) TH_LOG("the datagram was not counted as dropped");

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, true, name);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	avail = -1;
	EXPECT_EQ(0, ioctl(fd, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
	ASSERT_EQ(0, set_nonblock(fd));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	close_unit(&self->tracked, fd);
	EXPECT_FALSE(node_exists(name));
}

/* ---- 9. Module parameters ----------------------------------------------------------------- */

/* Tests that reload the module; no unit is open between them. */
FIXTURE(tap_param) {
	int fd;			/* a unit the test has open, or -1 */
};

FIXTURE_SETUP(tap_param)
{
	struct stat st;

	self->fd = -1;
	ASSERT_NE(NULL, getenv("TUNTAP_KO")) TH_LOG("TUNTAP_KO must name tuntap_rs.ko");
	if (stat("/dev/tap", &st) != 0)
		ASSERT_EQ(0, module_load(""));
}

FIXTURE_TEARDOWN(tap_param)
{
	if (self->fd >= 0)
		close(self->fd);
	/* The default parameters again; this destroys every unit. */
	ASSERT_EQ(0, module_reload(""));
}

/* Clones a persistent unit and closes it; its name in `name`. 0 or -errno. */
static int make_persistent_unit(const char *path, char name[IFNAMSIZ])
{
	struct ifreq ifr;
	int fd = open(path, O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TAPGIFNAME, &ifr))
		ret = -errno;
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = 0;
	close(fd);
	return ret;
}

/*
 * Without CAP_NET_ADMIN neither /dev/tap nor an existing /dev/tapN opens (EPERM); with
 * tap_user_open=1 both do, and /dev/tun still does not.
 */
TEST_F_TIMEOUT(tap_param, user_open, 120)
{
	char name[IFNAMSIZ], path[64];

	EXPECT_EQ(EPERM, in_child(clone_without_net_admin, "/dev/tap"));
	ASSERT_EQ(0, make_persistent_unit("/dev/tap", name));
	snprintf(path, sizeof(path), "/dev/%s", name);
	EXPECT_EQ(EPERM, in_child(open_without_net_admin, path)) TH_LOG("%s", path);

	ASSERT_EQ(0, module_reload("tap_user_open=1"));
	EXPECT_EQ(0, in_child(clone_without_net_admin, "/dev/tap"));
	EXPECT_EQ(EPERM, in_child(clone_without_net_admin, "/dev/tun"));
	ASSERT_EQ(0, make_persistent_unit("/dev/tap", name));
	snprintf(path, sizeof(path), "/dev/%s", name);
	EXPECT_EQ(0, in_child(open_without_net_admin, path)) TH_LOG("%s", path);
}

/* tap_up_on_open=1 (net.link.tap.up_on_open): a tap is up as soon as it is opened. */
TEST_F_TIMEOUT(tap_param, up_on_open, 120)
{
	struct ifreq ifr;
	int flags;

	/* By default it is down. */
	self->fd = open("/dev/tap", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/tap: %s", strerror(errno));
	ASSERT_EQ(0, set_int(self->fd, TAPSTRANSIENT, 1));
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, TAPGIFNAME, &ifr));
	flags = if_flags(ifr.ifr_name);
	ASSERT_LE(0, flags);
	EXPECT_EQ(0, flags & IFF_UP);
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, module_reload("tap_up_on_open=1"));
	self->fd = open("/dev/tap", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/tap: %s", strerror(errno));
	ASSERT_EQ(0, set_int(self->fd, TAPSTRANSIENT, 1));
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, TAPGIFNAME, &ifr));
	flags = if_flags(ifr.ifr_name);
	ASSERT_LE(0, flags);
	EXPECT_EQ(IFF_UP, flags & IFF_UP) TH_LOG("%s is down after open", ifr.ifr_name);
	close(self->fd);
	self->fd = -1;
}

/* ethtool: driver info; 1000 Mb/s full duplex; link detected while a file is open (vmnet stays
 * up after close, so its link state shows the difference). */
TEST_F_TIMEOUT(tap, ethtool, 60)
{
	char out[4096], name[IFNAMSIZ];
	int fd;

	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ethtool -i %s", self->name));
	EXPECT_NE(NULL, strstr(out, "driver: tuntap_rs\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "bus-info: tap\n")) TH_LOG("%s", out);
	ASSERT_EQ(0, ip("link set %s up", self->name));
	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ethtool %s", self->name));
	EXPECT_NE(NULL, strstr(out, "Speed: 1000Mb/s")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "Duplex: Full")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "Link detected: yes")) TH_LOG("%s", out);

	fd = open_unit(&self->tracked, "/dev/vmnet", false, name);
	ASSERT_LE(0, fd) TH_LOG("open /dev/vmnet: %s", strerror(-fd));
	ASSERT_EQ(0, ip("link set %s up", name));
	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ethtool %s", name));
	EXPECT_NE(NULL, strstr(out, "Link detected: yes")) TH_LOG("%s", out);
	close_unit(&self->tracked, fd);
	/* Closed, still up (vmnet): no link. */
	EXPECT_EQ(IFF_UP, if_flags(name) & IFF_UP);
	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ethtool %s", name));
	EXPECT_NE(NULL, strstr(out, "Link detected: no")) TH_LOG("%s", out);
	destroy_unit(name);
}

/* The interface's address can be changed (FreeBSD: ifconfig tapN ether); the remote MAC on the
 * file is a separate value and does not follow. */
TEST_F(tap, set_mac_address)
{
	static const uint8_t want[ETH_ALEN] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	uint8_t mac[ETH_ALEN], remote[32];

	ASSERT_EQ(0, ioctl(self->fd, SIOCGIFADDR, remote));
	ASSERT_EQ(0, ip("link set %s address 02:aa:bb:cc:dd:ee", self->name));
	ASSERT_EQ(0, if_mac(self->name, mac));
	EXPECT_EQ(0, memcmp(mac, want, ETH_ALEN));
	EXPECT_NE(0, ip_quiet("link set %s address 01:00:00:00:00:01", self->name));
	memset(mac, 0, sizeof(mac));
	ASSERT_EQ(0, ioctl(self->fd, SIOCGIFADDR, mac));
	EXPECT_EQ(0, memcmp(mac, remote, ETH_ALEN));
}

TEST_HARNESS_MAIN
