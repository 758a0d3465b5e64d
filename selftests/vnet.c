// SPDX-License-Identifier: GPL-2.0
/*
 * tuntap_rs virtio-net header tests: TAPSVNETHDR/TAPGVNETHDR on a tap, as a FreeBSD 15 client
 * (a VM monitor's network backend) uses them, through the project's <net/if_tap.h> (included
 * first).
 *
 * With a header length H of 10 (struct virtio_net_hdr) or 12 (struct virtio_net_hdr_mrg_rxbuf),
 * every frame read or written is preceded by H bytes of little-endian virtio-net header, and
 * the tap offers the offloads such a header describes (checksum, TSO) while one is enabled.
 * The tests cover the ioctls, the offloads ethtool reports, the read and write formats,
 * checksum-partial frames both ways, a TCP stream through two taps forwarded by the test with
 * their TSO frames, and the malformed headers a write must reject. Each runs twice: with
 * H = 10 and with H = 12 (the fixture's variants).
 *
 * Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for unshare), the module loaded, iproute2's `ip`
 * and `ethtool`; `udevadm`, where udev runs, to let it finish with a new tap (it may replace
 * the tap's random address) before a test reads the address. Every unit a test creates is
 * transient. Tests that configure addresses in the initial network namespace use subnets of
 * their own, 10.82.<net>.0/24, numbered as the comment before each test says; the made-up far
 * end is 10.82.<net>.2 at 02:00:00:00:00:02.
 * The TCP stream runs between 10.81.0.1 and 10.81.0.2, each in a network namespace of its own.
 */
#define _GNU_SOURCE
#include <net/if_tap.h>

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"
/* This program's addresses: 10.82.0.0/16 (common.h's v4()). */
#define SUBNET		82
#include "common.h"
#include "stream.h"

/* How long a test waits for a frame or a datagram that should come (the VM is slow). */
#define WAIT_MS		2000
/* How long a test waits before deciding that something which should not come did not. */
#define QUIET_MS	500

/* The largest header. */
#define VNET_MAX	12
#define PKT_MAX		2048

/* A frame the forwarder reads from the client's tap must reach this size at least. */
#define TSO_MIN_FRAME	16384

/* The made-up far end of a tap. */
static const uint8_t mac_peer[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
/* A unicast MAC that nobody on the link has. */
static const uint8_t mac_other[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
static const uint8_t mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- Small helpers: commands, sysfs, interfaces ------------------------------------------ */


/* The counter InCsumErrors (or another) of the Udp lines of /proc/net/snmp; -1 on error. */
static long long snmp_udp(const char *field)
{
	char names[1024], vals[1024], *sn, *sv, *n, *v;
	long long ret = -1;
	FILE *f = fopen("/proc/net/snmp", "re");

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f)) {
		if (strncmp(names, "Udp: ", 5))
			continue;
		if (!fgets(vals, sizeof(vals), f))
			break;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(vals, " \n", &sv);
		while (n && v) {
			if (!strcmp(n, field)) {
				ret = atoll(v);
				break;
			}
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
	return ret;
}

/* ---- Checksums, IPv4, UDP, TCP ------------------------------------------------------------ */


/* The correct UDP checksum of IPv4 packet p (20-byte header), its field taken as 0. */
static uint16_t udp4_full_csum(const uint8_t *p)
{
	const struct iphdr *iph = (const struct iphdr *)p;
	uint8_t seg[PKT_MAX];
	size_t ulen = ntohs(((const struct udphdr *)(p + 20))->len);
	uint16_t c;

	memcpy(seg, p + 20, ulen);
	((struct udphdr *)seg)->check = 0;
	c = csum_fold(csum_add(csum_pseudo4(iph->saddr, iph->daddr, IPPROTO_UDP, ulen), seg,
			       ulen));
	return c ? c : 0xffff;
}

/* Is the UDP checksum of IPv4 packet p (20-byte header) valid (and present)? */
static bool udp4_csum_ok(const uint8_t *p)
{
	const struct iphdr *iph = (const struct iphdr *)p;
	const struct udphdr *uh = (const struct udphdr *)(p + 20);
	size_t ulen = ntohs(uh->len);

	return uh->check &&
	       !csum_fold(csum_add(csum_pseudo4(iph->saddr, iph->daddr, IPPROTO_UDP, ulen), uh,
				   ulen));
}

/*
 * Builds an IPv4/TCP segment with a correct checksum, a SYN or else an ACK carrying
 * payload[0..plen); returns its length.
 */
static size_t build_tcp4(uint8_t *buf, in_addr_t src, in_addr_t dst, uint16_t sport,
			 uint16_t dport, bool syn, const void *payload, size_t plen)
{
	struct tcphdr *th = (struct tcphdr *)(buf + 20);
	size_t tlen = sizeof(*th) + plen;

	memset(th, 0, sizeof(*th));
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(0x76e70001);
	th->doff = 5;
	if (syn) {
		th->syn = 1;
	} else {
		th->ack = 1;
		th->psh = 1;
		th->ack_seq = htonl(0x12345678);
	}
	th->window = htons(65535);
	if (plen)
		memcpy(buf + 40, payload, plen);
	th->check = csum_fold(csum_add(csum_pseudo4(src, dst, IPPROTO_TCP, tlen), th, tlen));
	ip4_hdr(buf, 20 + tlen, IPPROTO_TCP, src, dst);
	return 20 + tlen;
}

/* ---- Ethernet frames ---------------------------------------------------------------------- */

/* Is f[0..n) an Ethernet frame of a complete IPv4/UDP packet (20-byte header) to dst:dport? */
static bool is_udp4_frame_to(const uint8_t *f, size_t n, in_addr_t dst, uint16_t dport)
{
	const struct iphdr *iph = (const struct iphdr *)(f + ETH_HLEN);
	const struct udphdr *uh = (const struct udphdr *)(f + ETH_HLEN + 20);

	return eth_type(f, n) == ETHERTYPE_IP && n >= ETH_HLEN + 28 && iph->version == 4 &&
	       iph->ihl == 5 && iph->protocol == IPPROTO_UDP && iph->daddr == dst &&
	       ntohs(iph->tot_len) == n - ETH_HLEN && uh->dest == htons(dport);
}

/* Is f[0..n) an Ethernet frame of an ARP request for `tpa`? */
static bool is_arp_request_for(const uint8_t *f, size_t n, in_addr_t tpa)
{
	const struct ether_arp *ea = (const struct ether_arp *)(f + ETH_HLEN);

	return n >= ETH_HLEN + sizeof(*ea) && eth_type(f, n) == ETHERTYPE_ARP &&
	       ntohs(ea->arp_op) == ARPOP_REQUEST && !memcmp(ea->arp_tpa, &tpa, 4);
}

/* Is f[0..n) an Ethernet frame of a TCP reset (20-byte IPv4 header) to dst:dport? */
static bool is_tcp4_rst_to(const uint8_t *f, size_t n, in_addr_t dst, uint16_t dport)
{
	const struct iphdr *iph = (const struct iphdr *)(f + ETH_HLEN);
	const struct tcphdr *th = (const struct tcphdr *)(f + ETH_HLEN + 20);

	return eth_type(f, n) == ETHERTYPE_IP && n >= ETH_HLEN + 40 && iph->ihl == 5 &&
	       iph->protocol == IPPROTO_TCP && iph->daddr == dst && th->dest == htons(dport) &&
	       th->rst;
}

/* ---- virtio-net headers ------------------------------------------------------------------- */

/* Writes header `vh` (hlen bytes) and frame f[0..len) in one write(2); its return value. */
static ssize_t write_vnet(int fd, int hlen, const uint8_t *vh, const uint8_t *f, size_t len)
{
	static uint8_t buf[VNET_MAX + TAPMRU + 16];

	memcpy(buf, vh, (size_t)hlen);
	memcpy(buf + hlen, f, len);
	return write(fd, buf, (size_t)hlen + len);
}

/* ---- Reading and receiving ---------------------------------------------------------------- */

/*
 * Reads header and frame until an IPv4/UDP frame to dst:dport comes, skipping any other, for up
 * to `ms`; returns what the read returned (hlen + frame length), or -errno (-ETIMEDOUT).
 */
static ssize_t read_udp4_vnet(int fd, int hlen, uint8_t *buf, size_t len, in_addr_t dst,
			      uint16_t dport, int ms)
{
	unsigned long long deadline = now_ms() + (unsigned long long)ms;

	for (;;) {
		ssize_t n = read_pkt(fd, buf, len, ms_left(deadline));

		if (n < 0)
			return n;
		if (n >= hlen && is_udp4_frame_to(buf + hlen, (size_t)(n - hlen), dst, dport))
			return n;
	}
}

/* Reads header and frame until a TCP reset to dst:dport comes, for up to `ms`; true if so. */
static bool rst_seen(int fd, int hlen, in_addr_t dst, uint16_t dport, int ms)
{
	unsigned long long deadline = now_ms() + (unsigned long long)ms;
	uint8_t buf[VNET_MAX + PKT_MAX];

	for (;;) {
		ssize_t n = read_pkt(fd, buf, sizeof(buf), ms_left(deadline));

		if (n < 0)
			return false;
		if (n >= hlen && is_tcp4_rst_to(buf + hlen, (size_t)(n - hlen), dst, dport))
			return true;
	}
}


/* ---- Passing a file between processes ----------------------------------------------------- */

/* ---- Fixture ------------------------------------------------------------------------------ */

FIXTURE(vnet) {
	int fd;				/* the unit setup cloned (transient), header 0 */
	char name[IFNAMSIZ];		/* its interface name, "tapN" */
	int hlen;			/* the header length the test enables: 10 or 12 */
	struct tracked tracked;		/* more files and units the test opened */
	struct kids kids;		/* the stream's children (stream.h) */
};

FIXTURE_VARIANT(vnet) {
	int hlen;
};

/* struct virtio_net_hdr. */
FIXTURE_VARIANT_ADD(vnet, h10) {
	.hlen = 10,
};

/* struct virtio_net_hdr_mrg_rxbuf. */
FIXTURE_VARIANT_ADD(vnet, h12) {
	.hlen = 12,
};

FIXTURE_SETUP(vnet)
{
	struct ifreq ifr;
	int one = 1;

	ASSERT_EQ(10, (int)sizeof(struct virtio_net_hdr));
	ASSERT_EQ(12, (int)sizeof(struct virtio_net_hdr_mrg_rxbuf));
	self->hlen = variant->hlen;
	tracked_init(&self->tracked);
	kids_init(&self->kids);
	self->fd = open("/dev/tap", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/tap: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, TAPSTRANSIENT, &one))
		TH_LOG("TAPSTRANSIENT: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, TAPGIFNAME, &ifr)) TH_LOG("TAPGIFNAME: %s", strerror(errno));
	memcpy(self->name, ifr.ifr_name, IFNAMSIZ);
	self->name[IFNAMSIZ - 1] = 0;
	ASSERT_EQ(0, strncmp(self->name, "tap", 3)) TH_LOG("TAPGIFNAME gave '%s'", self->name);
	udev_settle();
}

FIXTURE_TEARDOWN(vnet)
{
	stop_children(&self->kids);
	tracked_release(&self->tracked, self->fd, self->name);
}

/* ---- 1. The ioctls ------------------------------------------------------------------------ */

/*
 * TAPSVNETHDR takes 0, 10 and 12 and TAPGVNETHDR reads the length back; it is 0 on a new unit.
 * Any other length is refused with EINVAL and changes nothing; a bad pointer gives EFAULT.
 */
TEST_F(vnet, ioctls)
{
	static const int good[] = { 0, 10, 12, 0, 12, 10 };
	static const int bad[] = { 4, 11, -1, 13, 1, 8, 14, 16, 20, 0x1000a, -10 };
	char name[IFNAMSIZ];
	int val, fd2;

	EXPECT_EQ(0, get_int(self->fd, TAPGVNETHDR));
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		EXPECT_EQ(0, set_int(self->fd, TAPSVNETHDR, good[i])) TH_LOG("%d", good[i]);
		EXPECT_EQ(good[i], get_int(self->fd, TAPGVNETHDR));
	}
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, self->hlen));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, set_int(self->fd, TAPSVNETHDR, bad[i])) TH_LOG("%d", bad[i]);
		EXPECT_EQ(self->hlen, get_int(self->fd, TAPGVNETHDR)) TH_LOG("after %d", bad[i]);
	}
	EXPECT_EQ(-1, ioctl(self->fd, TAPSVNETHDR, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TAPGVNETHDR, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(self->hlen, get_int(self->fd, TAPGVNETHDR));
	/* The header is the unit's: another tap still has none. */
	fd2 = open_unit(&self->tracked, "/dev/tap", true, name);
	ASSERT_LE(0, fd2) TH_LOG("open /dev/tap: %s", strerror(-fd2));
	EXPECT_EQ(0, get_int(fd2, TAPGVNETHDR));
	close_unit(&self->tracked, fd2);
	val = 0;
	EXPECT_EQ(0, ioctl(self->fd, TAPSVNETHDR, &val));
	EXPECT_EQ(0, get_int(self->fd, TAPGVNETHDR));
}

/*
 * FreeBSD has them on tap only; tuntap_rs takes them on a tun too (TUNSVNETHDR, the same
 * numbers; selftests/offload.c tests what they do there): the length is the tun's own.
 */
TEST_F(vnet, tun_takes_them)
{
	char name[IFNAMSIZ];
	int fd;

	fd = open_unit(&self->tracked, "/dev/tun", true, name);
	ASSERT_LE(0, fd) TH_LOG("open /dev/tun: %s", strerror(-fd));
	EXPECT_EQ(0, get_int(fd, TAPGVNETHDR));
	EXPECT_EQ(0, set_int(fd, TAPSVNETHDR, self->hlen));
	EXPECT_EQ(self->hlen, get_int(fd, TAPGVNETHDR));
	EXPECT_EQ(0, get_int(self->fd, TAPGVNETHDR)) TH_LOG("the tap's length changed");
	EXPECT_EQ(-EINVAL, set_int(fd, TAPSVNETHDR, 11));
	close_unit(&self->tracked, fd);
}

/*
 * FreeBSD's tunclose() sets the header length back to 0 (tun_vnethdr_set(ifp, 0)): the next
 * opener of a persistent unit gets plain frames, and the offloads are gone meanwhile.
 */
TEST_F(vnet, close_resets_header)
{
	char name[IFNAMSIZ], name2[IFNAMSIZ], path[64], out[8192];
	int fd;

	fd = open_unit(&self->tracked, "/dev/tap", false, name);
	ASSERT_LE(0, fd) TH_LOG("open /dev/tap: %s", strerror(-fd));
	ASSERT_EQ(0, set_int(fd, TAPSVNETHDR, self->hlen));
	ASSERT_EQ(self->hlen, get_int(fd, TAPGVNETHDR));
	close_unit(&self->tracked, fd);
	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ethtool -k %s", name));
	EXPECT_EQ(NULL, strstr(out, "tcp-segmentation-offload: on"))
		TH_LOG("%s still offers TSO after its close", name);
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open_unit(&self->tracked, path, true, name2);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	EXPECT_EQ(0, get_int(fd, TAPGVNETHDR)) TH_LOG("the header survived the close");
	close_unit(&self->tracked, fd);
}

/* ---- 2. Offloads -------------------------------------------------------------------------- */

/* Checks that TSO and checksum offload are both `on` (1) or both off (0) on `name`. */
static void check_offloads(struct __test_metadata *_metadata, const char *name, int on,
			   const char *when)
{
	char out[8192] = "\n";

	ASSERT_EQ(0, cmd_output(out + 1, sizeof(out) - 1, "ethtool -k %s", name))
		TH_LOG("ethtool -k %s failed", name);
	EXPECT_EQ(on, ethtool_feature(out, "tcp-segmentation-offload")) TH_LOG("%s", when);
	EXPECT_EQ(on, ethtool_feature(out, "tx-checksumming")) TH_LOG("%s", when);
}

/*
 * The offloads (checksum, TSO) are offered only while a header is enabled: off on a new
 * unit, on with 10 or 12, off again with 0; a refused length changes nothing.
 */
TEST_F_TIMEOUT(vnet, offloads_follow_header, 60)
{
	int other = self->hlen == 10 ? 12 : 10;

	check_offloads(_metadata, self->name, 0, "new unit");
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, self->hlen));
	check_offloads(_metadata, self->name, 1, "header enabled");
	ASSERT_EQ(-EINVAL, set_int(self->fd, TAPSVNETHDR, 11));
	check_offloads(_metadata, self->name, 1, "after a refused length");
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, 0));
	check_offloads(_metadata, self->name, 0, "header disabled");
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, other));
	check_offloads(_metadata, self->name, 1, "the other header length");
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, 0));
	check_offloads(_metadata, self->name, 0, "header disabled again");
}

/* ---- 3. Frame format ---------------------------------------------------------------------- */

/*
 * Each read returns the header then the frame: a datagram routed out (checksum left to the
 * "device") has NEEDS_CSUM with csum_start and csum_offset in little-endian, an ARP request
 * a header of zeros; with 12 bytes, num_buffers reads as 0. FIONREAD counts the header. Net 1.
 */
TEST_F_TIMEOUT(vnet, read_format, 60)
{
	const int h = self->hlen;
	uint8_t data[100], buf[VNET_MAX + PKT_MAX], mac[ETH_ALEN];
	const size_t flen = ETH_HLEN + 28 + sizeof(data);
	unsigned long long deadline;
	bool arp = false;
	int avail = -1;
	ssize_t n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 3 + 1);
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, h));
	ASSERT_EQ(0, tap_up4(self->name, 1));
	ASSERT_EQ(0, if_mac(self->name, mac));

	ASSERT_EQ(0, send_udp4(v4(1, 2), 1000, data, sizeof(data)));
	ASSERT_TRUE(wait_readable(self->fd, WAIT_MS)) TH_LOG("no frame came");
	ASSERT_EQ(0, ioctl(self->fd, FIONREAD, &avail));
	EXPECT_EQ((int)(h + flen), avail);
	memset(buf, 0xaa, sizeof(buf));
	n = read(self->fd, buf, sizeof(buf));
	ASSERT_EQ((ssize_t)(h + flen), n) TH_LOG("read: %zd (%s)", n, strerror(errno));
	ASSERT_TRUE(is_udp4_frame_to(buf + h, flen, v4(1, 2), 1000));
	EXPECT_EQ(0, memcmp(buf + h, mac_peer, ETH_ALEN));
	EXPECT_EQ(0, memcmp(buf + h + ETH_ALEN, mac, ETH_ALEN));
	EXPECT_EQ(0, memcmp(buf + h + ETH_HLEN + 28, data, sizeof(data)));
	/* flags, gso_type, then csum_start = 34 and csum_offset = 6, little-endian. */
	EXPECT_EQ(VIRTIO_NET_HDR_F_NEEDS_CSUM, buf[0]);
	EXPECT_EQ(VIRTIO_NET_HDR_GSO_NONE, buf[1]);
	EXPECT_EQ(0, buf[4] | buf[5]) TH_LOG("gso_size %#x %#x", buf[4], buf[5]);
	EXPECT_EQ(ETH_HLEN + 20, buf[6]);
	EXPECT_EQ(0, buf[7]);
	EXPECT_EQ(6, buf[8]);
	EXPECT_EQ(0, buf[9]);
	if (h == 12) {
		EXPECT_EQ(0, buf[10]) TH_LOG("num_buffers not written");
		EXPECT_EQ(0, buf[11]) TH_LOG("num_buffers not written");
	}
	avail = -1;
	ASSERT_EQ(0, ioctl(self->fd, FIONREAD, &avail));
	EXPECT_EQ(0, avail);

	/* A frame with nothing to offload: an ARP request for a neighbour not yet known. */
	ASSERT_EQ(0, send_udp4(v4(1, 3), 1000, data, sizeof(data)));
	deadline = now_ms() + WAIT_MS;
	while (!arp && ms_left(deadline) > 0) {
		memset(buf, 0xaa, sizeof(buf));
		n = read_pkt(self->fd, buf, sizeof(buf), ms_left(deadline));
		if (n < h || !is_arp_request_for(buf + h, (size_t)(n - h), v4(1, 3)))
			continue;
		arp = true;
		EXPECT_EQ(h + ETH_HLEN + (ssize_t)sizeof(struct ether_arp), n);
		for (int i = 0; i < h; i++) {
			EXPECT_EQ(0, buf[i]) TH_LOG("header byte %d", i);
		}
	}
	EXPECT_TRUE(arp) TH_LOG("no ARP request was read");
}

/*
 * A read buffer shorter than the header fails with EINVAL and takes nothing off the queue; the
 * unit reads on. Net 2.
 */
TEST_F_TIMEOUT(vnet, short_read, 60)
{
	const int h = self->hlen;
	const size_t sizes[] = { (size_t)h - 1, 1 };
	uint8_t data[64], buf[VNET_MAX + PKT_MAX];
	ssize_t n;

	memset(data, 's', sizeof(data));
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, h));
	ASSERT_EQ(0, tap_up4(self->name, 2));
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		/* A frame is queued: the short read does not block. */
		ASSERT_EQ(0, send_udp4(v4(2, 2), 2000, data, sizeof(data)));
		ASSERT_TRUE(wait_readable(self->fd, WAIT_MS)) TH_LOG("no frame came");
		EXPECT_EQ(-1, read(self->fd, buf, sizes[i])) TH_LOG("%zu bytes", sizes[i]);
		EXPECT_EQ(EINVAL, errno);
		/* Still queued. */
		EXPECT_TRUE(wait_readable(self->fd, 0));
	}

	ASSERT_EQ(0, send_udp4(v4(2, 2), 2001, data, sizeof(data)));
	n = read_udp4_vnet(self->fd, h, buf, sizeof(buf), v4(2, 2), 2001, WAIT_MS);
	EXPECT_EQ((ssize_t)(h + ETH_HLEN + 28 + sizeof(data)), n)
		TH_LOG("read: %zd (%s)", n, n < 0 ? strerror((int)-n) : "wrong length");
}

/*
 * A write is the header then the frame: a zero header and a frame with a correct checksum
 * delivers its datagram, and the write returns header + frame length (also gathered from
 * several iovecs, the header split among them); rx_bytes counts the frame only. With the
 * header, a write of up to H + TAPMRU bytes is taken, a longer one fails with EIO. Net 3.
 */
TEST_F_TIMEOUT(vnet, write_format, 60)
{
	const int h = self->hlen;
	uint8_t mac[ETH_ALEN], f[PKT_MAX], vh[VNET_MAX], data[100], buf[PKT_MAX];
	static uint8_t big[VNET_MAX + TAPMRU + 1];
	long long rx_bytes, rx_packets;
	struct iovec iov[3];
	size_t len;
	ssize_t n;
	int s;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 11 + 5);
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, h));
	ASSERT_EQ(0, tap_up4(self->name, 3));
	ASSERT_EQ(0, if_mac(self->name, mac));
	s = udp_listen(AF_INET, 3000);
	ASSERT_LE(0, s) TH_LOG("bind 0.0.0.0:3000: %s", strerror(-s));
	len = build_udp4_frame(f, mac, mac_peer, v4(3, 2), v4(3, 1), 3001, 3000, data,
			       sizeof(data));
	put_vnet(vh, h, 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 0, 0);

	rx_bytes = stat_val(self->name, "rx_bytes");
	rx_packets = stat_val(self->name, "rx_packets");
	ASSERT_LE(0, rx_bytes);
	n = write_vnet(self->fd, h, vh, f, len);
	ASSERT_EQ((ssize_t)(h + len), n) TH_LOG("write: %zd (%s)", n, strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ((ssize_t)sizeof(data), n) TH_LOG("recv: %zd", n);
	EXPECT_EQ(0, memcmp(buf, data, sizeof(data)));
	EXPECT_EQ(rx_packets + 1, stat_val(self->name, "rx_packets"));
	EXPECT_EQ(rx_bytes + (long long)len, stat_val(self->name, "rx_bytes"));

	/* The same, gathered: 3 bytes of header, the rest of it, the frame. */
	data[0] ^= 0xff;
	len = build_udp4_frame(f, mac, mac_peer, v4(3, 2), v4(3, 1), 3001, 3000, data,
			       sizeof(data));
	iov[0].iov_base = vh;
	iov[0].iov_len = 3;
	iov[1].iov_base = vh + 3;
	iov[1].iov_len = (size_t)h - 3;
	iov[2].iov_base = f;
	iov[2].iov_len = len;
	n = writev(self->fd, iov, 3);
	ASSERT_EQ((ssize_t)(h + len), n) TH_LOG("writev: %zd (%s)", n, strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ((ssize_t)sizeof(data), n) TH_LOG("recv: %zd", n);
	EXPECT_EQ(0, memcmp(buf, data, sizeof(data)));
	close(s);

	/* The MRU is that of the frame: a broadcast of an EtherType nothing handles. */
	memset(big, 0x5a, sizeof(big));
	memcpy(big, vh, (size_t)h);
	eth_hdr(big + h, mac_bcast, mac_peer, 0x88b5);
	EXPECT_EQ(h + TAPMRU, write(self->fd, big, (size_t)h + TAPMRU))
		TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(-1, write(self->fd, big, (size_t)h + TAPMRU + 1));
	EXPECT_EQ(EIO, errno);
}

/*
 * A frame the destination MAC filter drops (unicast to another MAC), or a runt, still takes
 * the whole write: the return value is header + frame length, as for any frame taken
 * (FreeBSD: tunwrite_l2() drops it and the write has consumed everything). Net 4.
 */
TEST_F_TIMEOUT(vnet, write_dropped_frame_length, 60)
{
	const int h = self->hlen;
	uint8_t f[PKT_MAX], vh[VNET_MAX], data[64];
	long long dropped;
	size_t len;
	ssize_t n;

	memset(data, 'd', sizeof(data));
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, h));
	ASSERT_EQ(0, tap_up4(self->name, 4));
	put_vnet(vh, h, 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 0, 0);
	dropped = stat_val(self->name, "rx_dropped");
	ASSERT_LE(0, dropped);

	len = build_udp4_frame(f, mac_other, mac_peer, v4(4, 2), v4(4, 1), 4001, 4000, data,
			       sizeof(data));
	n = write_vnet(self->fd, h, vh, f, len);
	EXPECT_EQ((ssize_t)(h + len), n) TH_LOG("filtered frame: write returned %zd", n);
	EXPECT_EQ(dropped + 1, stat_val(self->name, "rx_dropped"));

	n = write_vnet(self->fd, h, vh, f, ETH_HLEN - 4);
	EXPECT_EQ((ssize_t)(h + ETH_HLEN - 4), n) TH_LOG("runt: write returned %zd", n);
	EXPECT_EQ(dropped + 2, stat_val(self->name, "rx_dropped"));
}

/* ---- 4. Checksum offload ------------------------------------------------------------------ */

/*
 * A datagram sent out of the tap is checksum-partial: the header says NEEDS_CSUM from the UDP
 * header (csum_start 34) with the checksum field at offset 6, and the field holds the
 * pseudo-header sum, not the checksum. Completing it as a virtio device does (summing from
 * csum_start to the end of the frame and storing the complement there) gives the correct
 * UDP checksum. Net 5.
 */
TEST_F_TIMEOUT(vnet, csum_partial_out, 60)
{
	const int h = self->hlen;
	uint8_t data[101], buf[VNET_MAX + PKT_MAX], *f = buf + h, *p = f + ETH_HLEN;
	const size_t ulen = 8 + sizeof(data), flen = ETH_HLEN + 20 + ulen;
	struct virtio_net_hdr vh;
	uint16_t field, full, done;
	ssize_t n;

	/* An odd length: the last byte is summed as the high half of a word. */
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 11);
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, h));
	ASSERT_EQ(0, tap_up4(self->name, 5));
	ASSERT_EQ(0, send_udp4(v4(5, 2), 5000, data, sizeof(data)));
	n = read_udp4_vnet(self->fd, h, buf, sizeof(buf), v4(5, 2), 5000, WAIT_MS);
	ASSERT_EQ((ssize_t)(h + flen), n)
		TH_LOG("read: %zd (%s)", n, n < 0 ? strerror((int)-n) : "wrong length");
	EXPECT_EQ(0, memcmp(p + 28, data, sizeof(data)));

	vh = get_vnet(buf);
	ASSERT_EQ(VIRTIO_NET_HDR_F_NEEDS_CSUM, vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		TH_LOG("flags %#x", vh.flags);
	EXPECT_EQ(VIRTIO_NET_HDR_GSO_NONE, vh.gso_type);
	ASSERT_EQ(ETH_HLEN + 20, vh.csum_start);
	ASSERT_EQ(6, vh.csum_offset);

	memcpy(&field, f + vh.csum_start + vh.csum_offset, 2);
	full = udp4_full_csum(p);
	EXPECT_NE(full, field) TH_LOG("the checksum is already complete");
	EXPECT_FALSE(udp4_csum_ok(p)) TH_LOG("the checksum is already complete");
	EXPECT_EQ(csum_partial_pseudo4(v4(5, 1), v4(5, 2), IPPROTO_UDP, ulen), field)
		TH_LOG("field %#06x is not the pseudo-header sum", ntohs(field));

	/* What the device does. */
	done = csum(f + vh.csum_start, flen - vh.csum_start);
	memcpy(f + vh.csum_start + vh.csum_offset, &done, 2);
	EXPECT_TRUE(udp4_csum_ok(p)) TH_LOG("completed checksum %#06x is wrong", ntohs(done));
	EXPECT_TRUE(done == full || (!done && full == 0xffff))
		TH_LOG("completed %#06x, expected %#06x", ntohs(done), ntohs(full));
}

/*
 * A frame written checksum-partial (NEEDS_CSUM, the field holding the pseudo-header sum, as
 * a sender leaves it) is accepted and its datagram delivered; the same frame with a garbage
 * checksum and no header flags is dropped by UDP (a checksum error), while with the correct
 * checksum and no flags it is delivered. Net 6.
 */
TEST_F_TIMEOUT(vnet, csum_partial_in, 60)
{
	const int h = self->hlen;
	uint8_t mac[ETH_ALEN], f[PKT_MAX], vh[VNET_MAX], data[101], buf[PKT_MAX];
	const size_t ulen = 8 + sizeof(data);
	struct udphdr *uh = (struct udphdr *)(f + ETH_HLEN + 20);
	uint16_t full, partial, garbage;
	long long csum_errors;
	size_t len;
	ssize_t n;
	int s;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 7);
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, h));
	ASSERT_EQ(0, tap_up4(self->name, 6));
	ASSERT_EQ(0, if_mac(self->name, mac));
	s = udp_listen(AF_INET, 6000);
	ASSERT_LE(0, s) TH_LOG("bind 0.0.0.0:6000: %s", strerror(-s));
	len = build_udp4_frame(f, mac, mac_peer, v4(6, 2), v4(6, 1), 6001, 6000, data,
			       sizeof(data));
	full = uh->check;
	partial = csum_partial_pseudo4(v4(6, 2), v4(6, 1), IPPROTO_UDP, ulen);
	ASSERT_NE(full, partial);

	/* Checksum-partial. */
	uh->check = partial;
	put_vnet(vh, h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0,
		 ETH_HLEN + 20, offsetof(struct udphdr, check));
	n = write_vnet(self->fd, h, vh, f, len);
	ASSERT_EQ((ssize_t)(h + len), n) TH_LOG("write: %zd (%s)", n, strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	EXPECT_EQ((ssize_t)sizeof(data), n) TH_LOG("the checksum-partial datagram: %zd", n);
	EXPECT_EQ(0, memcmp(buf, data, sizeof(data)));

	/* A garbage checksum (neither 0 nor correct), no flags: UDP drops it. */
	garbage = full ^ htons(0x5a5a);
	if (!garbage || garbage == partial)
		garbage = full ^ htons(0x1111);
	uh->check = garbage;
	csum_errors = snmp_udp("InCsumErrors");
	ASSERT_LE(0, csum_errors);
	put_vnet(vh, h, 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 0, 0);
	n = write_vnet(self->fd, h, vh, f, len);
	ASSERT_EQ((ssize_t)(h + len), n) TH_LOG("write: %zd (%s)", n, strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), QUIET_MS);
	EXPECT_EQ(-ETIMEDOUT, n) TH_LOG("a datagram with a bad checksum was received");
	EXPECT_LT(csum_errors, snmp_udp("InCsumErrors"));

	/* The partial sum without NEEDS_CSUM is just as wrong. */
	uh->check = partial;
	n = write_vnet(self->fd, h, vh, f, len);
	ASSERT_EQ((ssize_t)(h + len), n) TH_LOG("write: %zd (%s)", n, strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), QUIET_MS);
	EXPECT_EQ(-ETIMEDOUT, n) TH_LOG("a partial checksum without NEEDS_CSUM was accepted");

	/* The correct checksum, no flags: delivered. */
	uh->check = full;
	n = write_vnet(self->fd, h, vh, f, len);
	ASSERT_EQ((ssize_t)(h + len), n) TH_LOG("write: %zd (%s)", n, strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	EXPECT_EQ((ssize_t)sizeof(data), n) TH_LOG("the datagram with its checksum: %zd", n);
	close(s);
}

/* ---- 5. TSO through two taps -------------------------------------------------------------- */

/*
 * Two taps, A (10.81.0.1) and B (10.81.0.2), each in a network namespace of its own, both with
 * the header; the test forwards every frame read from one to the other as is, header included.
 * A TCP client behind A sends 4 MiB to a server behind B: everything arrives intact, and A
 * hands the forwarder TSO frames of at least 16 KiB (gso_type TCPV4), which B takes as they
 * are.
 */
TEST_F_TIMEOUT(vnet, tso_stream, 120)
{
	const struct stream st = { .node = "/dev/tap", .family = AF_INET, .hlen = self->hlen,
				   .offload = -1 };
	struct ns_result res[2];
	struct relay_dir dir[2];

	ASSERT_EQ(0, start_child(_metadata, &self->kids, 0, &st, self->fd));
	ASSERT_EQ(0, start_child(_metadata, &self->kids, 1, &st, self->fd));
	ASSERT_TRUE(relay(_metadata, &self->kids, &st, res, dir))
		TH_LOG("the stream did not end in %d s", STREAM_MS / 1000);
	EXPECT_EQ(0, res[0].err) TH_LOG("client: %s: %s", res[0].step, strerror(res[0].err));
	EXPECT_EQ(0, res[1].err) TH_LOG("server: %s: %s", res[1].step, strerror(res[1].err));
	EXPECT_EQ(STREAM_BYTES, res[0].bytes);
	EXPECT_EQ(STREAM_BYTES, res[1].bytes);
	EXPECT_EQ(0, res[1].bad) TH_LOG("bytes received out of pattern");
	EXPECT_EQ(0, dir[0].werr) TH_LOG("writing to B: %s", strerror(dir[0].last_errno));
	EXPECT_EQ(0, dir[1].werr) TH_LOG("writing to A: %s", strerror(dir[1].last_errno));
	EXPECT_LE((size_t)TSO_MIN_FRAME, dir[0].max_len) TH_LOG("no TSO frame of 16 KiB from A");
	EXPECT_EQ(VIRTIO_NET_HDR_GSO_TCPV4, dir[0].max_hdr.gso_type & ~VIRTIO_NET_HDR_GSO_ECN);
	EXPECT_LT(0, dir[0].max_hdr.gso_size);
	EXPECT_EQ(VIRTIO_NET_HDR_F_NEEDS_CSUM,
		  dir[0].max_hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	EXPECT_EQ(0, dir[0].gso_bad) TH_LOG("GSO frames whose header disagrees with the frame");
	stop_children(&self->kids);
}

/* ---- 6. Malformed headers ----------------------------------------------------------------- */

/*
 * A TCP SYN from the far end (10.82.NET.2) to a closed port of ours is the probe: delivered,
 * it is answered by a reset read from the tap. The write with header `bad` fails with EINVAL,
 * counts one rx_error and no rx_packet, and gets no reset; then the same frame with header
 * `good` (what makes `bad` bad, put right) is taken and answered.
 */
static void check_malformed(struct __test_metadata *_metadata, FIXTURE_DATA(vnet) *self,
			    int net, const uint8_t *bad, const uint8_t *good)
{
	const int h = self->hlen;
	const uint16_t sport_bad = 40000 + net, sport_good = 41000 + net;
	uint8_t mac[ETH_ALEN], f[PKT_MAX];
	long long errors, packets;
	size_t len;
	ssize_t n;

	ASSERT_EQ(0, if_mac(self->name, mac));
	errors = stat_val(self->name, "rx_errors");
	packets = stat_val(self->name, "rx_packets");
	ASSERT_LE(0, errors);
	ASSERT_LE(0, packets);

	eth_hdr(f, mac, mac_peer, ETHERTYPE_IP);
	len = ETH_HLEN + build_tcp4(f + ETH_HLEN, v4(net, 2), v4(net, 1), sport_bad, 1, true, NULL, 0);
	n = write_vnet(self->fd, h, bad, f, len);
	EXPECT_EQ(-1, n) TH_LOG("the malformed header was taken: %zd", n);
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(errors + 1, stat_val(self->name, "rx_errors"));
	EXPECT_EQ(packets, stat_val(self->name, "rx_packets"));
	EXPECT_FALSE(rst_seen(self->fd, h, v4(net, 2), sport_bad, QUIET_MS))
		TH_LOG("the frame was delivered");

	len = ETH_HLEN + build_tcp4(f + ETH_HLEN, v4(net, 2), v4(net, 1), sport_good, 1, true, NULL, 0);
	n = write_vnet(self->fd, h, good, f, len);
	ASSERT_EQ((ssize_t)(h + len), n) TH_LOG("control write: %zd (%s)", n, strerror(errno));
	EXPECT_TRUE(rst_seen(self->fd, h, v4(net, 2), sport_good, WAIT_MS))
		TH_LOG("the control frame was not answered");
	EXPECT_EQ(errors + 1, stat_val(self->name, "rx_errors"));
	EXPECT_EQ(packets + 1, stat_val(self->name, "rx_packets"));
}

/* The probe frame: Ethernet, IPv4 and TCP headers, 54 bytes. */
#define PROBE_LEN	(ETH_HLEN + 40)

/* (a) An unknown gso_type (0x7f, gso_size 1400). Net 7. */
TEST_F_TIMEOUT(vnet, bad_gso_type, 60)
{
	uint8_t bad[VNET_MAX], good[VNET_MAX];

	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, self->hlen));
	ASSERT_EQ(0, tap_up4(self->name, 7));
	put_vnet(bad, self->hlen, 0, 0x7f, 0, 1400, 0, 0);
	put_vnet(good, self->hlen, 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 0, 0);
	check_malformed(_metadata, self, 7, bad, good);
}

/* (b) NEEDS_CSUM with csum_start + csum_offset + 2 one byte past the frame's end. Net 8. */
TEST_F_TIMEOUT(vnet, bad_csum_offset, 60)
{
	uint8_t bad[VNET_MAX], good[VNET_MAX];

	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, self->hlen));
	ASSERT_EQ(0, tap_up4(self->name, 8));
	put_vnet(bad, self->hlen, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0,
		 ETH_HLEN + 20, PROBE_LEN - (ETH_HLEN + 20) - 1);
	put_vnet(good, self->hlen, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0,
		 ETH_HLEN + 20, offsetof(struct tcphdr, check));
	check_malformed(_metadata, self, 8, bad, good);
}

/* (c) hdr_len one byte longer than the frame. Net 9. */
TEST_F_TIMEOUT(vnet, bad_hdr_len, 60)
{
	uint8_t bad[VNET_MAX], good[VNET_MAX];

	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, self->hlen));
	ASSERT_EQ(0, tap_up4(self->name, 9));
	put_vnet(bad, self->hlen, 0, VIRTIO_NET_HDR_GSO_NONE, PROBE_LEN + 1, 0, 0, 0);
	put_vnet(good, self->hlen, 0, VIRTIO_NET_HDR_GSO_NONE, PROBE_LEN, 0, 0, 0);
	check_malformed(_metadata, self, 9, bad, good);
}

/* (d) gso_type TCPV4 with gso_size 0 (and NEEDS_CSUM, as a TSO frame has). Net 10. */
TEST_F_TIMEOUT(vnet, bad_gso_size, 60)
{
	uint8_t bad[VNET_MAX], good[VNET_MAX];

	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, self->hlen));
	ASSERT_EQ(0, tap_up4(self->name, 10));
	put_vnet(bad, self->hlen, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 0, 0,
		 ETH_HLEN + 20, offsetof(struct tcphdr, check));
	put_vnet(good, self->hlen, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 0, 1400,
		 ETH_HLEN + 20, offsetof(struct tcphdr, check));
	check_malformed(_metadata, self, 10, bad, good);
}

/*
 * A TSO frame whose header has no NEEDS_CSUM (its checksum complete): virtio_net_hdr_to_skb()
 * finds the transport header by dissecting the frame from its network header, which the
 * caller sets at ETH_HLEN first (Linux's tap does). A 3000-byte TCP segment, gso_size 1000,
 * to a closed port is taken, as Linux's tap takes it, and answered with a reset. Net 11.
 */
TEST_F_TIMEOUT(vnet, gso_without_needs_csum, 60)
{
	const int h = self->hlen;
	uint8_t mac[ETH_ALEN], f[4096], vh[VNET_MAX], data[3000];
	long long errors;
	size_t len;
	ssize_t n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	ASSERT_EQ(0, set_int(self->fd, TAPSVNETHDR, h));
	ASSERT_EQ(0, tap_up4(self->name, 11));
	ASSERT_EQ(0, if_mac(self->name, mac));
	errors = stat_val(self->name, "rx_errors");
	eth_hdr(f, mac, mac_peer, ETHERTYPE_IP);
	len = ETH_HLEN + build_tcp4(f + ETH_HLEN, v4(11, 2), v4(11, 1), 11001, 1, false, data,
				    sizeof(data));
	put_vnet(vh, h, 0, VIRTIO_NET_HDR_GSO_TCPV4, ETH_HLEN + 40, 1000, 0, 0);
	n = write_vnet(self->fd, h, vh, f, len);
	EXPECT_EQ((ssize_t)(h + len), n) TH_LOG("write: %zd (%s)", n, strerror(errno));
	EXPECT_EQ(errors, stat_val(self->name, "rx_errors"));
	EXPECT_TRUE(rst_seen(self->fd, h, v4(11, 2), 11001, WAIT_MS))
		TH_LOG("the segment was not answered");
}

TEST_HARNESS_MAIN
