// SPDX-License-Identifier: GPL-2.0
/*
 * tuntap_rs offloads on tun units: the virtio-net header (TUNSVNETHDR, <net/if_tap.h>'s
 * TAPSVNETHDR) and TUNSOFFLOAD, through the project's <net/if_tun.h>, as a VPN daemon uses them
 * to move 64 KiB TCP and UDP super-packets across the file instead of 1 500-byte ones.
 *
 * On a tun, each packet read or written is the TUNSIFHEAD family word (when on), then the
 * H-byte virtio-net header (H = 10 or 12), then the IP packet. The tests cover the ioctls, the
 * features ethtool reports, the read and write formats, TCP streams and UDP-GSO bursts through
 * two tuns forwarded by the test (GSO packets read from one with their headers, written to the
 * other and delivered intact), what a tun without TUNSOFFLOAD hands out, and the malformed
 * headers a write must reject. Variants: IPv4 without TUNSIFHEAD, IPv4 and IPv6 with it, and
 * the 12-byte header.
 *
 * Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for unshare), the module loaded, iproute2's `ip`
 * and `ethtool`. Every unit a test creates is transient. Tests that configure addresses in the
 * initial network namespace use 10.83.<net>.0/24 and fd83:<net>::/64; the streams run between
 * 10.81.0.1 and 10.81.0.2 (fd81::1 and fd81::2), each in a network namespace of its own.
 */
#define _GNU_SOURCE
#include <net/if_tun.h>

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
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
#include <sys/wait.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"
/* This program's addresses: 10.83.0.0/16 (common.h's v4()). */
#define SUBNET		83
#include "common.h"
#include "stream.h"

/* How long a test waits for a packet or a datagram that should come (the VM is slow). */
#define WAIT_MS		2000
/* How long a test waits before deciding that something which should not come did not. */
#define QUIET_MS	500
#define VNET_MAX	12
#define PKT_MAX		2048
/* A tun stream is shorter than vnet.c's tap stream: there are more of them. */
#define TUN_STREAM	(1LL << 20)
/* A packet the forwarder reads from the client's tun must reach this size at least. */
#define TSO_MIN_PKT	16384

/* Every offload TUNSOFFLOAD knows, and the TCP ones. */
#define OFF_ALL		(TUNOFFLOAD_CSUM | TUNOFFLOAD_TSO4 | TUNOFFLOAD_TSO6 | \
			 TUNOFFLOAD_TSO_ECN | TUNOFFLOAD_USO4 | TUNOFFLOAD_USO6)
#define OFF_TCP		(TUNOFFLOAD_CSUM | TUNOFFLOAD_TSO4 | TUNOFFLOAD_TSO6)

FIXTURE(off) {
	int fd;				/* the tun setup cloned (transient) */
	char name[IFNAMSIZ];		/* its interface name */
	struct tracked tracked;		/* more files and units the test opened */
	struct kids kids;		/* a stream's children (stream.h) */
};

FIXTURE_VARIANT(off) {
	int family;			/* the family the stream and the packets use */
	bool ifhead;			/* TUNSIFHEAD on */
	int hlen;			/* the header length: 10 or 12 */
};

/* IPv4 in FreeBSD's plain mode: no family word, IPv4 only. */
FIXTURE_VARIANT_ADD(off, v4) {
	.family = AF_INET, .ifhead = false, .hlen = 10,
};

FIXTURE_VARIANT_ADD(off, v4_ifhead) {
	.family = AF_INET, .ifhead = true, .hlen = 10,
};

/* IPv6 needs TUNSIFHEAD (plain mode is IPv4 only). */
FIXTURE_VARIANT_ADD(off, v6_ifhead) {
	.family = AF_INET6, .ifhead = true, .hlen = 10,
};

/* struct virtio_net_hdr_mrg_rxbuf. */
FIXTURE_VARIANT_ADD(off, v4_h12) {
	.family = AF_INET, .ifhead = false, .hlen = 12,
};

FIXTURE_SETUP(off)
{
	tracked_init(&self->tracked);
	kids_init(&self->kids);
	self->fd = open_unit(&self->tracked, "/dev/tun", true, self->name);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/tun: %s", strerror(-self->fd));
	if (variant->ifhead)
		ASSERT_EQ(0, set_int(self->fd, TUNSIFHEAD, 1));
}

FIXTURE_TEARDOWN(off)
{
	stop_children(&self->kids);
	tracked_release(&self->tracked, -1, self->name);
}

/* The stream of the variant: TCP (or UDP-GSO) with `offload`. */
static struct stream stream_of(const FIXTURE_VARIANT(off) *variant, int offload, bool udp)
{
	struct stream st = {
		.node = "/dev/tun", .family = variant->family, .ifhead = variant->ifhead,
		.hlen = variant->hlen, .offload = offload, .udp = udp, .bytes = TUN_STREAM,
	};

	return st;
}

/* ---- 1. The ioctls ------------------------------------------------------------------------ */

/*
 * A tun takes TUNSVNETHDR (0, 10, 12) as a tap does. TUNSOFFLOAD starts at 0 on a tun (all on a
 * tap), takes any set of the known bits and reports it back; an unknown bit (Linux's UFO 0x10,
 * 0x80, a negative value) is EINVAL and changes nothing; a bad pointer is EFAULT.
 */
TEST_F(off, ioctls)
{
	static const int bad[] = { 0x10, 0x80, 0x100, -1, OFF_ALL | 0x10 };
	char name[IFNAMSIZ];
	int fd;

	EXPECT_EQ(0, get_int(self->fd, TUNGVNETHDR));
	EXPECT_EQ(0, set_int(self->fd, TUNSVNETHDR, variant->hlen));
	EXPECT_EQ(variant->hlen, get_int(self->fd, TUNGVNETHDR));
	EXPECT_EQ(-EINVAL, set_int(self->fd, TUNSVNETHDR, 11));
	EXPECT_EQ(variant->hlen, get_int(self->fd, TUNGVNETHDR));

	EXPECT_EQ(0, get_int(self->fd, TUNGOFFLOAD));
	EXPECT_EQ(0, set_int(self->fd, TUNSOFFLOAD, OFF_TCP));
	EXPECT_EQ(OFF_TCP, get_int(self->fd, TUNGOFFLOAD));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, set_int(self->fd, TUNSOFFLOAD, bad[i])) TH_LOG("%#x", bad[i]);
		EXPECT_EQ(OFF_TCP, get_int(self->fd, TUNGOFFLOAD)) TH_LOG("%#x changed it", bad[i]);
	}
	EXPECT_EQ(0, set_int(self->fd, TUNSOFFLOAD, OFF_ALL));
	EXPECT_EQ(OFF_ALL, get_int(self->fd, TUNGOFFLOAD));
	EXPECT_EQ(-1, ioctl(self->fd, TUNSOFFLOAD, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TUNGOFFLOAD, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(OFF_ALL, get_int(self->fd, TUNGOFFLOAD));

	/* A tap starts with all of them: what its header carried before the switch existed. */
	fd = open_unit(&self->tracked, "/dev/tap", true, name);
	ASSERT_LE(0, fd) TH_LOG("open /dev/tap: %s", strerror(-fd));
	EXPECT_EQ(OFF_ALL, get_int(fd, TUNGOFFLOAD));
	close_unit(&self->tracked, fd);
}

/*
 * Every close goes back to the start, as FreeBSD's close forgets the header: the next opener
 * of a persistent tun has neither header nor offloads.
 */
TEST_F(off, close_resets)
{
	char path[64], name[IFNAMSIZ];
	int fd;

	ASSERT_EQ(0, set_int(self->fd, TUNSTRANSIENT, 0));
	ASSERT_EQ(0, set_int(self->fd, TUNSVNETHDR, variant->hlen));
	ASSERT_EQ(0, set_int(self->fd, TUNSOFFLOAD, OFF_ALL));
	close_unit(&self->tracked, self->fd);
	self->fd = -1;
	snprintf(path, sizeof(path), "/dev/%s", self->name);
	fd = open_unit(&self->tracked, path, true, name);
	ASSERT_LE(0, fd) TH_LOG("reopen %s: %s", path, strerror(-fd));
	EXPECT_EQ(0, get_int(fd, TUNGVNETHDR));
	EXPECT_EQ(0, get_int(fd, TUNGOFFLOAD));
	self->fd = fd;
}

/* ---- 2. Features -------------------------------------------------------------------------- */

/* Whether `ethtool -k NAME` says "FEATURE: on" (1), "FEATURE: off" (0), or neither (-1). */
static int feature(const char *name, const char *feat)
{
	char out[8192] = "\n";

	if (cmd_output(out + 1, sizeof(out) - 1, "ethtool -k %s", name))
		return -2;
	return ethtool_feature(out, feat);
}

/*
 * The features follow what the reader takes, and only while it has the header on: nothing
 * on a new tun; with the header, exactly what TUNSOFFLOAD allows (no TSO without CSUM, USO
 * only for both families); nothing again without the header; `ethtool -K` turns off what the
 * reader allowed, and cannot turn on what it did not.
 */
TEST_F(off, features)
{
	const char *n = self->name;
	char out[1024];

	EXPECT_EQ(0, feature(n, "tx-checksum-ip-generic"));
	EXPECT_EQ(0, feature(n, "tx-tcp-segmentation"));
	ASSERT_EQ(0, set_int(self->fd, TUNSOFFLOAD, OFF_ALL));
	EXPECT_EQ(0, feature(n, "tx-tcp-segmentation")) TH_LOG("offloads without the header");
	ASSERT_EQ(0, set_int(self->fd, TUNSVNETHDR, variant->hlen));
	EXPECT_EQ(1, feature(n, "tx-checksum-ip-generic"));
	EXPECT_EQ(1, feature(n, "tx-tcp-segmentation"));
	EXPECT_EQ(1, feature(n, "tx-tcp6-segmentation"));
	EXPECT_EQ(1, feature(n, "tx-tcp-ecn-segmentation"));
	EXPECT_EQ(1, feature(n, "tx-udp-segmentation"));

	ASSERT_EQ(0, set_int(self->fd, TUNSOFFLOAD, TUNOFFLOAD_TSO4 | TUNOFFLOAD_USO4 |
						   TUNOFFLOAD_USO6));
	EXPECT_EQ(0, feature(n, "tx-checksum-ip-generic")) TH_LOG("no CSUM: nothing");
	EXPECT_EQ(0, feature(n, "tx-tcp-segmentation"));
	EXPECT_EQ(0, feature(n, "tx-udp-segmentation"));

	ASSERT_EQ(0, set_int(self->fd, TUNSOFFLOAD, TUNOFFLOAD_CSUM | TUNOFFLOAD_TSO4 |
						   TUNOFFLOAD_USO4));
	EXPECT_EQ(1, feature(n, "tx-checksum-ip-generic"));
	EXPECT_EQ(1, feature(n, "tx-tcp-segmentation"));
	EXPECT_EQ(0, feature(n, "tx-tcp6-segmentation"));
	EXPECT_EQ(0, feature(n, "tx-udp-segmentation")) TH_LOG("USO for one family only");

	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ethtool -K %s tx-tcp-segmentation off", n));
	EXPECT_EQ(0, feature(n, "tx-tcp-segmentation")) TH_LOG("ethtool -K off");
	(void)cmd_output(out, sizeof(out), "ethtool -K %s tx-tcp6-segmentation on 2>&1", n);
	EXPECT_EQ(0, feature(n, "tx-tcp6-segmentation")) TH_LOG("on beyond what the reader took");
	ASSERT_EQ(0, cmd_output(out, sizeof(out), "ethtool -K %s tx-tcp-segmentation on", n));
	EXPECT_EQ(1, feature(n, "tx-tcp-segmentation")) TH_LOG("ethtool -K on again");

	ASSERT_EQ(0, set_int(self->fd, TUNSVNETHDR, 0));
	EXPECT_EQ(0, feature(n, "tx-checksum-ip-generic")) TH_LOG("header off");
	EXPECT_EQ(0, feature(n, "tx-tcp-segmentation")) TH_LOG("header off");
}

/* ---- 3. Streams through two tuns ---------------------------------------------------------- */

/*
 * offload32 (this program built with -m32) is for the compat path: the ioctls and the formats.
 * The streams' data path is the same for 32-bit callers, and offload runs them.
 */
#if defined(__i386__)
#define skip_streams_in_32bit(m) SKIP(return, "streams: run by the 64-bit offload")
#else
#define skip_streams_in_32bit(m) do { (void)(m); } while (0)
#endif

/* The checks every stream ends with: both sides done, everything delivered, no write failed. */
static void check_stream(struct __test_metadata *_metadata, const struct stream *st,
			 const struct ns_result res[2], const struct relay_dir dir[2])
{
	long long want = st->udp ? (long long)USO_BURSTS * USO_SEGS * USO_SIZE : st->bytes;

	EXPECT_EQ(0, res[0].err) TH_LOG("client: %s: %s", res[0].step, strerror(res[0].err));
	EXPECT_EQ(0, res[1].err) TH_LOG("server: %s: %s", res[1].step, strerror(res[1].err));
	EXPECT_EQ(want, res[0].bytes);
	EXPECT_EQ(want, res[1].bytes);
	EXPECT_EQ(0, res[1].bad) TH_LOG("data received out of pattern or of a wrong size");
	EXPECT_EQ(0, dir[0].werr) TH_LOG("writing to B: %s", strerror(dir[0].last_errno));
	EXPECT_EQ(0, dir[1].werr) TH_LOG("writing to A: %s", strerror(dir[1].last_errno));
}

/* Starts the children, relays the stream of `st` and checks what every stream must do. */
static void run_stream(struct __test_metadata *_metadata, FIXTURE_DATA(off) *self,
		       const struct stream *st, struct ns_result res[2], struct relay_dir dir[2])
{
	ASSERT_EQ(0, start_child(_metadata, &self->kids, 0, st, -1));
	ASSERT_EQ(0, start_child(_metadata, &self->kids, 1, st, -1));
	ASSERT_TRUE(relay(_metadata, &self->kids, st, res, dir))
		TH_LOG("the stream did not end in %d s", STREAM_MS / 1000);
	check_stream(_metadata, st, res, dir);
}

/* The largest packet's IP version is the variant's family. */
static int version_of(const FIXTURE_VARIANT(off) *variant)
{
	return variant->family == AF_INET6 ? 6 : 4;
}

/*
 * A TCP stream from A to B with TSO: the tun hands the forwarder GSO packets of at least
 * 16 KiB (gso_type TCPV4 or TCPV6, gso_size set, NEEDS_CSUM at the TCP checksum, more than one
 * segment each), which B takes as they are; the server gets every byte.
 */
TEST_F_TIMEOUT(off, tso_stream, 120)
{
	const struct stream st = stream_of(variant, OFF_TCP, false);
	const int want = variant->family == AF_INET6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
						      VIRTIO_NET_HDR_GSO_TCPV4;
	struct ns_result res[2];
	struct relay_dir dir[2];

	skip_streams_in_32bit(_metadata);
	run_stream(_metadata, self, &st, res, dir);
	EXPECT_LE((size_t)TSO_MIN_PKT, dir[0].max_len) TH_LOG("no 16 KiB packet from A");
	EXPECT_EQ(version_of(variant), dir[0].max_pkt[0] >> 4);
	EXPECT_EQ(want, dir[0].max_hdr.gso_type & ~VIRTIO_NET_HDR_GSO_ECN);
	EXPECT_LT(0, dir[0].max_hdr.gso_size);
	EXPECT_GE(1500, dir[0].max_hdr.gso_size);
	EXPECT_LT(0, dir[0].gso);
	EXPECT_EQ(0, dir[0].gso_bad) TH_LOG("GSO packets whose header disagrees with the packet");
	EXPECT_LT(dir[0].gso, dir[0].segs) TH_LOG("GSO packets of one segment each");
}

/*
 * UDP-GSO bursts from A to B: each send of 8 datagrams leaves A as one packet (gso_type
 * UDP_L4, gso_size 1000, NEEDS_CSUM at the UDP checksum); B takes it and the server gets
 * the 8 datagrams, each of 1000 bytes, in order.
 */
TEST_F_TIMEOUT(off, uso_stream, 120)
{
	const struct stream st = stream_of(variant, OFF_ALL, true);
	struct ns_result res[2];
	struct relay_dir dir[2];

	skip_streams_in_32bit(_metadata);
	run_stream(_metadata, self, &st, res, dir);
	EXPECT_EQ(VIRTIO_NET_HDR_GSO_UDP_L4, dir[0].max_hdr.gso_type);
	EXPECT_EQ(USO_SIZE, dir[0].max_hdr.gso_size);
	EXPECT_EQ(version_of(variant), dir[0].max_pkt[0] >> 4);
	EXPECT_EQ(USO_BURSTS, dir[0].gso) TH_LOG("one GSO packet per burst");
	EXPECT_EQ((long long)USO_BURSTS * USO_SEGS, dir[0].segs);
	EXPECT_EQ(0, dir[0].gso_bad);
}

/*
 * With the header but without TUNSOFFLOAD a tun takes no offload: the same TCP stream crosses
 * the file in packets no larger than the MTU, none with a gso_type. What existing programs
 * get is unchanged.
 */
TEST_F_TIMEOUT(off, no_offload_stream, 120)
{
	const struct stream st = stream_of(variant, -1, false);
	struct ns_result res[2];
	struct relay_dir dir[2];

	skip_streams_in_32bit(_metadata);
	run_stream(_metadata, self, &st, res, dir);
	EXPECT_EQ(0, dir[0].gso);
	EXPECT_EQ(0, dir[1].gso);
	EXPECT_GE((size_t)1500, dir[0].max_len);
	EXPECT_EQ(0, dir[0].max_hdr.gso_type);
}

/* ---- 4. Formats and malformed headers ----------------------------------------------------- */

/* Writes the variant's prefix (family word if on), header vh and packet p[0..len). */
static ssize_t write_tun(const FIXTURE_VARIANT(off) *variant, int fd, const uint8_t *vh,
			 const uint8_t *p, size_t len)
{
	static uint8_t buf[4 + VNET_MAX + TUNMRU];
	size_t off = 0;

	if (variant->ifhead) {
		uint32_t af = htonl(variant->family == AF_INET6 ? AF_INET6 : AF_INET);

		memcpy(buf, &af, 4);
		off = 4;
	}
	memcpy(buf + off, vh, (size_t)variant->hlen);
	memcpy(buf + off + variant->hlen, p, len);
	return write(fd, buf, off + (size_t)variant->hlen + len);
}

/* A UDP datagram from the far end (host 2) to our port, in the variant's family; its length. */
static size_t udp_in(const FIXTURE_VARIANT(off) *variant, uint8_t *p, int net, uint16_t sport,
		     uint16_t dport, const void *data, size_t len)
{
	if (variant->family == AF_INET6) {
		struct in6_addr src = v6(net, 2), dst = v6(net, 1);

		return build_udp6(p, &src, &dst, sport, dport, data, len);
	}
	return build_udp4(p, v4(net, 2), v4(net, 1), sport, dport, data, len);
}

/* Sends data[0..len) from socket `s` to the far end (host 2) of net `net`, port `port`. */
static int send_out(const FIXTURE_VARIANT(off) *variant, int s, int net, uint16_t port,
		    const void *data, size_t len)
{
	if (variant->family == AF_INET6) {
		struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

		to.sin6_addr = v6(net, 2);
		if (sendto(s, data, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len)
			return -errno;
		return 0;
	}
	return send_udp4(v4(net, 2), port, data, len);
}

/* Puts the partial checksum of the UDP datagram p[0..len) (after an l3-byte IP header). */
static void udp_partial(const FIXTURE_VARIANT(off) *variant, uint8_t *p, size_t len, int net)
{
	const size_t l3 = variant->family == AF_INET6 ? 40 : 20;
	uint16_t field;

	if (variant->family == AF_INET6) {
		struct in6_addr src = v6(net, 2), dst = v6(net, 1);

		field = csum_partial_pseudo6(&src, &dst, len - l3, IPPROTO_UDP);
	} else {
		field = csum_partial_pseudo4(v4(net, 2), v4(net, 1), IPPROTO_UDP, len - l3);
	}
	memcpy(p + l3 + offsetof(struct udphdr, check), &field, 2);
}

/* Configures the fixture's tun for net `net` in the variant's family, with the header. */
static int setup_net(FIXTURE_DATA(off) *self, const FIXTURE_VARIANT(off) *variant, int net)
{
	int err = set_int(self->fd, TUNSVNETHDR, variant->hlen);

	if (err)
		return err;
	return variant->family == AF_INET6 ? tun_up46(self->name, net) : tun_up4(self->name, net);
}

/* A socket of the variant's family bound to our address on net `net`, port `port`. */
static int bound_udp(const FIXTURE_VARIANT(off) *variant, uint16_t port)
{
	int s = udp_listen(variant->family, port);

	if (s >= 0 && set_nonblock(s)) {
		close(s);
		return -1;
	}
	return s;
}

/*
 * A packet read from a tun with the header: prefix, then the header (no GSO, checksum
 * complete or valid: flags 0 or DATA_VALID), then the packet; FIONREAD counts all three.
 * A packet written the same way with a partial checksum (NEEDS_CSUM at the UDP checksum, the
 * checksum field holding the pseudo-header sum) is delivered to the socket. Net 1.
 */
TEST_F_TIMEOUT(off, formats, 60)
{
	const size_t pre = (variant->ifhead ? 4 : 0) + (size_t)variant->hlen;
	const size_t l3 = variant->family == AF_INET6 ? 40 : 20;
	uint8_t buf[4 + VNET_MAX + PKT_MAX], p[PKT_MAX], vh[VNET_MAX];
	struct virtio_net_hdr h;
	char data[32] = "offload formats";
	size_t len;
	ssize_t n;
	int s, avail = -1;

	ASSERT_EQ(0, setup_net(self, variant, 1));
	s = bound_udp(variant, 8301);
	ASSERT_LE(0, s);

	/* Out: a datagram to the far end. */
	ASSERT_EQ(0, send_out(variant, s, 1, 8302, data, sizeof(data)));
	for (;;) {
		n = read_pkt(self->fd, buf, sizeof(buf), WAIT_MS);
		ASSERT_LT(0, n) TH_LOG("no datagram read: %s", strerror((int)-n));
		/* Skip the stack's own chatter (IPv6 router solicitations, MLD). */
		if ((size_t)n == pre + l3 + 8 + sizeof(data))
			break;
	}
	if (variant->ifhead) {
		uint32_t af;

		memcpy(&af, buf, 4);
		EXPECT_EQ(variant->family == AF_INET6 ? AF_INET6 : AF_INET, (int)ntohl(af));
	}
	h = get_vnet(buf + pre - variant->hlen);
	EXPECT_EQ(VIRTIO_NET_HDR_GSO_NONE, h.gso_type);
	EXPECT_EQ(0, h.flags & ~VIRTIO_NET_HDR_F_DATA_VALID);
	EXPECT_EQ(version_of(variant), buf[pre] >> 4);
	EXPECT_EQ(0, memcmp(buf + pre + l3 + 8, data, sizeof(data)));

	/* FIONREAD: the next read's length, prefix and header included. */
	if (variant->family == AF_INET) {
		ASSERT_EQ(0, send_out(variant, s, 1, 8302, data, sizeof(data)));
		ASSERT_TRUE(wait_readable(self->fd, WAIT_MS));
		ASSERT_EQ(0, ioctl(self->fd, FIONREAD, &avail));
		EXPECT_EQ((int)(pre + l3 + 8 + sizeof(data)), avail);
	}

	/* In: a datagram with a partial checksum. */
	len = udp_in(variant, p, 1, 8302, 8301, data, sizeof(data));
	udp_partial(variant, p, len, 1);
	put_vnet(vh, variant->hlen, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0,
		(uint16_t)l3, offsetof(struct udphdr, check));
	n = write_tun(variant, self->fd, vh, p, len);
	ASSERT_EQ((ssize_t)(pre + len), n) TH_LOG("write: %s", strerror(errno));
	n = recv_wait(s, buf, sizeof(buf), WAIT_MS);
	EXPECT_EQ((ssize_t)sizeof(data), n) TH_LOG("the datagram with a partial checksum: %zd", n);
	close(s);
}

/*
 * A write whose header is malformed fails with EINVAL, counts one rx_error and the unit's
 * rx_errors_vnet_hdr, and delivers nothing; the same datagram with `good` is delivered.
 */
static void check_bad(struct __test_metadata *_metadata, FIXTURE_DATA(off) *self,
		      const FIXTURE_VARIANT(off) *variant, const uint8_t *bad,
		      const uint8_t *good, const uint8_t *p, size_t len, int s)
{
	const size_t pre = (variant->ifhead ? 4 : 0) + (size_t)variant->hlen;
	long long errors = stat_val(self->name, "rx_errors");
	uint8_t buf[PKT_MAX];
	ssize_t n;

	ASSERT_LE(0, errors);
	n = write_tun(variant, self->fd, bad, p, len);
	EXPECT_EQ(-1, n) TH_LOG("the malformed header was taken: %zd", n);
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(errors + 1, stat_val(self->name, "rx_errors"));
	EXPECT_EQ(-ETIMEDOUT, recv_wait(s, buf, sizeof(buf), QUIET_MS)) TH_LOG("delivered");
	n = write_tun(variant, self->fd, good, p, len);
	EXPECT_EQ((ssize_t)(pre + len), n) TH_LOG("control write: %s", strerror(errno));
	EXPECT_LT(0, recv_wait(s, buf, sizeof(buf), WAIT_MS)) TH_LOG("control not delivered");
	EXPECT_EQ(errors + 1, stat_val(self->name, "rx_errors"));
}

/*
 * Malformed headers on a tun, each against the same 1 200-byte datagram and a good header:
 * (a) an unknown gso_type; (b) a GSO type with gso_size 0; (c) NEEDS_CSUM whose checksum field
 * lies past the end; (d) hdr_len past the end; (e) UDP_L4 without NEEDS_CSUM; (f) the other
 * family's TCP GSO type; (g) a write shorter than prefix and header (EINVAL). Net 2.
 */
TEST_F_TIMEOUT(off, malformed, 90)
{
	const size_t l3 = variant->family == AF_INET6 ? 40 : 20;
	const int h = variant->hlen;
	const uint16_t csum_off = offsetof(struct udphdr, check);
	const uint8_t tcp_other = variant->family == AF_INET6 ? VIRTIO_NET_HDR_GSO_TCPV4 :
							       VIRTIO_NET_HDR_GSO_TCPV6;
	uint8_t p[PKT_MAX], p_uso[PKT_MAX], good[VNET_MAX], uso[VNET_MAX], bad[VNET_MAX];
	uint8_t data[1200];
	size_t len;
	ssize_t n;
	int s;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	ASSERT_EQ(0, setup_net(self, variant, 2));
	s = bound_udp(variant, 8311);
	ASSERT_LE(0, s);
	len = udp_in(variant, p, 2, 8312, 8311, data, sizeof(data));
	put_vnet(good, h, 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 0, 0);

	put_vnet(bad, h, 0, 0x7f, 0, 400, 0, 0);
	check_bad(_metadata, self, variant, bad, good, p, len, s);
	/* (b) A USO datagram written as one: good with gso_size 400 (three segments). */
	put_vnet(uso, h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP_L4, 0, 400,
		(uint16_t)l3, csum_off);
	put_vnet(bad, h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP_L4, 0, 0,
		(uint16_t)l3, csum_off);
	check_bad(_metadata, self, variant, bad, good, p, len, s);
	put_vnet(bad, h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0,
		(uint16_t)(len - 1), 0);
	check_bad(_metadata, self, variant, bad, good, p, len, s);
	put_vnet(bad, h, 0, VIRTIO_NET_HDR_GSO_NONE, (uint16_t)(len + 1), 0, 0, 0);
	check_bad(_metadata, self, variant, bad, good, p, len, s);
	put_vnet(bad, h, 0, VIRTIO_NET_HDR_GSO_UDP_L4, 0, 400, 0, 0);
	check_bad(_metadata, self, variant, bad, good, p, len, s);
	put_vnet(bad, h, 0, tcp_other, 0, 400, 0, 0);
	check_bad(_metadata, self, variant, bad, good, p, len, s);

	/* The USO datagram itself is taken: the server gets 3 datagrams (400, 400, 400). */
	memcpy(p_uso, p, len);
	udp_partial(variant, p_uso, len, 2);
	n = write_tun(variant, self->fd, uso, p_uso, len);
	EXPECT_EQ((ssize_t)((variant->ifhead ? 4 : 0) + h + len), n)
		TH_LOG("USO write: %s", strerror(errno));
	for (int i = 0; i < 3; i++) {
		uint8_t buf[PKT_MAX];

		EXPECT_EQ(400, recv_wait(s, buf, sizeof(buf), WAIT_MS)) TH_LOG("segment %d", i);
	}

	/* (g) Shorter than prefix and header: the family word, then all but a byte of it. */
	{
		uint8_t shortw[4 + VNET_MAX];
		uint32_t af = htonl(variant->family == AF_INET6 ? AF_INET6 : AF_INET);
		size_t pre = variant->ifhead ? 4 : 0;

		memcpy(shortw, &af, 4);
		memcpy(shortw + pre, good, (size_t)h);
		n = write(self->fd, shortw, pre + (size_t)h - 1);
	}
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EINVAL, errno);
	close(s);
}

TEST_HARNESS_MAIN
