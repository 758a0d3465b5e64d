/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stream through two units, each in a network namespace of its own, forwarded by the test:
 * the VPN shape. Child 1 (host 1, the client) and child 2 (host 2, the server) each create a
 * unit in a new namespace, configure it and pass its file to the parent; the parent then
 * forwards every packet read from one unit to the other as it is (BSD prefix and virtio-net
 * header included) while the client sends a TCP stream, or bursts of UDP-GSO datagrams, to
 * the server. Used by vnet.c (taps) and offload.c (tuns); include after common.h and
 * kselftest_harness.h.
 *
 * Addresses: 10.81.0.HOST (/24 on a tap, point-to-point on a tun) and fd81::HOST/64 (tun), in the
 * children's namespaces only.
 */
#ifndef TUNTAP_RS_SELFTESTS_STREAM_H
#define TUNTAP_RS_SELFTESTS_STREAM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* unshare() */
#endif
#include <net/if_tun.h>

#include <endian.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"
#include "common.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif

/* The TCP stream's default size, the server's port, how long a stream may take in all. */
#define STREAM_BYTES	(4LL << 20)
#define STREAM_PORT	8181
#define STREAM_MS	90000
/* A UDP burst: USO_SEGS datagrams of USO_SIZE bytes in one send(2), USO_BURSTS times. */
#define USO_SIZE	1000
#define USO_SEGS	8
#define USO_BURSTS	16
/* The largest read: 64 KiB of segment, headers, BSD prefix and virtio-net header. */
#define STREAM_BUF	(65536 + 256)

/* What a stream runs over. */
struct stream {
	const char *node;	/* the cloning node: "/dev/tap" or "/dev/tun" */
	int family;		/* AF_INET, or AF_INET6 (tun only) */
	bool ifhead;		/* tun: TUNSIFHEAD on both units */
	int hlen;		/* TAPSVNETHDR on both units: 0, 10 or 12 */
	int offload;		/* TUNSOFFLOAD on both units, or -1 to keep the default */
	bool udp;		/* UDP-GSO bursts instead of the TCP stream */
	long long bytes;	/* the TCP stream's length (0: STREAM_BYTES) */
};

/* What a child reports once its namespace and unit are ready (with the unit's file). */
struct ns_ready {
	int err;		/* 0, or the errno of the step that failed */
	char step[32];		/* that step */
	char name[IFNAMSIZ];	/* the unit's name in the child's namespace */
};

/* What a child reports once its side of the stream is done. */
struct ns_result {
	int err;
	char step[32];
	long long bytes;	/* sent (client) or received (server) */
	long long bad;		/* received bytes not of the pattern, or datagrams of a wrong size */
};

/* The children of a stream and what the parent holds of them. */
struct kids {
	pid_t pids[2];		/* children holding a network namespace, or 0 */
	int ctl[2];		/* their control sockets (closing one ends the child) */
	int tfd[2];		/* the units they opened in their namespaces, passed back */
};

/* What the forwarder saw in one direction. */
struct relay_dir {
	long long pkts;		/* packets forwarded */
	long long werr;		/* writes that failed or were short */
	int last_errno;		/* the last failed write's errno */
	size_t max_len;		/* the longest packet (without prefix and header) */
	uint8_t max_pkt[128];	/* its first bytes (after prefix and header) */
	struct virtio_net_hdr max_hdr;	/* its header, host byte order */
	long long gso;		/* packets with a gso_type */
	long long gso_bad;	/* of those, how many had inconsistent fields (stream_gso_ok) */
	long long segs;		/* segments the GSO packets stand for */
};

static void ns_fail(int *err, char *step, const char *what, int e)
{
	if (*err)
		return;
	*err = e ? e : EIO;
	snprintf(step, 32, "%s", what);
}

/* Byte `off` of the stream. */
static uint8_t pattern(long long off)
{
	return (uint8_t)(off % 251);
}

static bool stream_tun(const struct stream *st)
{
	return !strcmp(st->node, "/dev/tun");
}

/* The address of `host` (1 or 2) and `port`, in `ss`; its length. */
static socklen_t stream_addr(const struct stream *st, int host, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (st->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, host == 1 ? "fd81::1" : "fd81::2", &s6->sin6_addr);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	s4->sin_addr.s_addr = ip4(10, 81, 0, host);
	return sizeof(*s4);
}

/* A socket of `type` with send and receive timeouts of STREAM_MS; or -1, reported in res. */
static int stream_socket(const struct stream *st, int type, struct ns_result *res)
{
	struct timeval tv = { .tv_sec = STREAM_MS / 1000 };
	int s = socket(st->family, type | SOCK_CLOEXEC, 0);

	if (s < 0) {
		ns_fail(&res->err, res->step, "socket", errno);
		return -1;
	}
	if (setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		ns_fail(&res->err, res->step, "setsockopt", errno);
		close(s);
		return -1;
	}
	return s;
}

static long long stream_bytes(const struct stream *st)
{
	return st->bytes ? st->bytes : STREAM_BYTES;
}

/* The TCP client, host 1: sends the stream to the server, then waits for its close. */
static void tcp_client(const struct stream *st, struct ns_result *res)
{
	const long long total = stream_bytes(st);
	static uint8_t buf[65536];
	struct sockaddr_storage ss;
	socklen_t sl = stream_addr(st, 2, STREAM_PORT, &ss);
	long long sent = 0;
	ssize_t n;
	int s;

	s = stream_socket(st, SOCK_STREAM, res);
	if (s < 0)
		return;
	if (connect(s, (struct sockaddr *)&ss, sl))
		ns_fail(&res->err, res->step, "connect", errno);
	while (!res->err && sent < total) {
		size_t len = sizeof(buf);

		if ((long long)len > total - sent)
			len = (size_t)(total - sent);
		for (size_t i = 0; i < len; i++)
			buf[i] = pattern(sent + (long long)i);
		n = send(s, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			ns_fail(&res->err, res->step, "send", errno);
		else
			sent += n;
	}
	res->bytes = sent;
	if (!res->err && shutdown(s, SHUT_WR))
		ns_fail(&res->err, res->step, "shutdown", errno);
	/* Everything is received once the server closes. */
	while (!res->err && (n = recv(s, buf, sizeof(buf), 0)) != 0) {
		if (n < 0)
			ns_fail(&res->err, res->step, "recv (server's close)", errno);
	}
	close(s);
}

/* The TCP server, host 2: accepts one connection and counts what comes until its end. */
static void tcp_server(int ls, struct ns_result *res)
{
	struct timeval tv = { .tv_sec = STREAM_MS / 1000 };
	static uint8_t buf[65536];
	long long got = 0;
	ssize_t n = 0;
	int c;

	if (setsockopt(ls, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		ns_fail(&res->err, res->step, "setsockopt", errno);
		return;
	}
	c = accept(ls, NULL, NULL);
	if (c < 0) {
		ns_fail(&res->err, res->step, "accept", errno);
		return;
	}
	if (setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		ns_fail(&res->err, res->step, "setsockopt", errno);
	while (!res->err && (n = recv(c, buf, sizeof(buf), 0)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != pattern(got + i))
				res->bad++;
		}
		got += n;
	}
	if (n < 0)
		ns_fail(&res->err, res->step, "recv", errno);
	res->bytes = got;
	close(c);
}

/*
 * The UDP client, host 1: USO_BURSTS sends of USO_SEGS * USO_SIZE bytes with UDP_SEGMENT, so
 * that each leaves as one GSO packet where the unit takes USO; datagram d carries
 * pattern(d * USO_SIZE + i). A pause between bursts keeps the forwarder ahead.
 */
static void udp_client(const struct stream *st, struct ns_result *res)
{
	static uint8_t buf[USO_SEGS * USO_SIZE];
	struct sockaddr_storage ss;
	socklen_t sl = stream_addr(st, 2, STREAM_PORT, &ss);
	int s, seg = USO_SIZE;

	s = stream_socket(st, SOCK_DGRAM, res);
	if (s < 0)
		return;
	if (setsockopt(s, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg)))
		ns_fail(&res->err, res->step, "UDP_SEGMENT", errno);
	else if (connect(s, (struct sockaddr *)&ss, sl))
		ns_fail(&res->err, res->step, "connect", errno);
	for (int b = 0; !res->err && b < USO_BURSTS; b++) {
		long long base = (long long)b * USO_SEGS * USO_SIZE;

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(base + (long long)i);
		if (send(s, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
			ns_fail(&res->err, res->step, "send", errno);
		else
			res->bytes += sizeof(buf);
		usleep(20000);
	}
	close(s);
}

/* The UDP server, host 2: receives the client's datagrams, each USO_SIZE bytes of pattern. */
static void udp_server(int s, struct ns_result *res)
{
	static uint8_t buf[65536];
	long long want = (long long)USO_BURSTS * USO_SEGS;
	long long d;

	for (d = 0; d < want && !res->err; d++) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);

		if (n < 0) {
			ns_fail(&res->err, res->step, "recv", errno);
			break;
		}
		if (n != USO_SIZE) {
			res->bad++;
			continue;
		}
		res->bytes += n;
		for (ssize_t i = 0; i < n; i++) {
			/* Datagrams keep their order through one forwarder. */
			if (buf[i] != pattern(d * USO_SIZE + i)) {
				res->bad++;
				break;
			}
		}
	}
}

/* Configures the child's unit `name`: the addresses of `host`, up; a failed step goes in r. */
static void stream_configure(const struct stream *st, int host, const char *name,
			     struct ns_ready *r)
{
	const int peer = 3 - host;

	if (st->family == AF_INET6) {
		if (set_disable_ipv6(name, "0"))
			ns_fail(&r->err, r->step, "enable ipv6", errno);
		else if (ip("-6 addr add fd81::%d/64 dev %s nodad", host, name))
			ns_fail(&r->err, r->step, "ip -6 addr add", 0);
	} else if (no_ipv6(name)) {
		ns_fail(&r->err, r->step, "no_ipv6", errno);
	} else if (stream_tun(st)) {
		if (ip("addr add 10.81.0.%d peer 10.81.0.%d dev %s", host, peer, name))
			ns_fail(&r->err, r->step, "ip addr add", 0);
	} else if (ip("addr add 10.81.0.%d/24 dev %s", host, name)) {
		ns_fail(&r->err, r->step, "ip addr add", 0);
	}
	if (!r->err && ip("link set %s up", name))
		ns_fail(&r->err, r->step, "ip link set up", 0);
	/* IPv6 delivers to local addresses only with the loopback device up. */
	if (!r->err && ip("link set lo up"))
		ns_fail(&r->err, r->step, "ip link set lo up", 0);
}

/* Opens and sets up the child's unit; its file, or -1 with the step in r. */
static int stream_unit(const struct stream *st, struct ns_ready *r)
{
	int fd, one = 1, hlen = st->hlen, offload = st->offload;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	fd = open(st->node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ns_fail(&r->err, r->step, "open", errno);
		return -1;
	}
	if (ioctl(fd, TUNSTRANSIENT, &one))
		ns_fail(&r->err, r->step, "TUNSTRANSIENT", errno);
	else if (st->ifhead && ioctl(fd, TUNSIFHEAD, &one))
		ns_fail(&r->err, r->step, "TUNSIFHEAD", errno);
	else if (hlen && ioctl(fd, TUNSVNETHDR, &hlen))
		ns_fail(&r->err, r->step, "TUNSVNETHDR", errno);
	else if (offload >= 0 && ioctl(fd, TUNSOFFLOAD, &offload))
		ns_fail(&r->err, r->step, "TUNSOFFLOAD", errno);
	else if (ioctl(fd, TUNGIFNAME, &ifr))
		ns_fail(&r->err, r->step, "TUNGIFNAME", errno);
	memcpy(r->name, ifr.ifr_name, IFNAMSIZ);
	r->name[IFNAMSIZ - 1] = 0;
	return fd;
}

/*
 * A child: a network namespace of its own with a unit in it (opened there, so created there),
 * configured as `st` says; host 2 also listens on STREAM_PORT. Host 1, the sender, builds TSO
 * packets of at least 16 segments once its window allows (tcp_min_tso_segs, of its namespace
 * only): otherwise their size follows the pacing rate, low in a slow VM. It sends the unit's
 * file to the parent over `ctl`, waits for a byte, runs its side of the stream, reports, and
 * waits for the parent to close `ctl` (the unit is destroyed by then).
 */
static void ns_child(int ctl, int host, const struct stream *st)
{
	struct ns_result res = { 0 };
	struct ns_ready r = { 0 };
	struct sockaddr_storage ss;
	socklen_t sl = stream_addr(st, 2, STREAM_PORT, &ss);
	int fd = -1, ls = -1;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWNET))
		ns_fail(&r.err, r.step, "unshare", errno);
	else if (set_disable_ipv6("default", "1"))
		ns_fail(&r.err, r.step, "disable_ipv6", errno);
	else if (host == 1 && write_file("/proc/sys/net/ipv4/tcp_min_tso_segs", "16"))
		ns_fail(&r.err, r.step, "tcp_min_tso_segs", errno);
	else
		fd = stream_unit(st, &r);
	if (!r.err)
		stream_configure(st, host, r.name, &r);
	if (!r.err && host == 2) {
		ls = socket(st->family, (st->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		if (ls < 0)
			ns_fail(&r.err, r.step, "socket", errno);
		else if (bind(ls, (struct sockaddr *)&ss, sl))
			ns_fail(&r.err, r.step, "bind", errno);
		else if (!st->udp && listen(ls, 1))
			ns_fail(&r.err, r.step, "listen", errno);
	}
	if (send_fd(ctl, r.err ? -1 : fd, &r, sizeof(r)))
		_exit(1);
	/* The parent has the file now: its close is the last. */
	if (fd >= 0)
		close(fd);
	if (!r.err && read(ctl, &c, 1) == 1) {
		if (host == 1 && st->udp)
			udp_client(st, &res);
		else if (host == 1)
			tcp_client(st, &res);
		else if (st->udp)
			udp_server(ls, &res);
		else
			tcp_server(ls, &res);
		if (write(ctl, &res, sizeof(res)) != sizeof(res))
			_exit(1);
	}
	while (read(ctl, &c, 1) > 0)
		;
	_exit(0);
}

static void kids_init(struct kids *k)
{
	for (int i = 0; i < 2; i++) {
		k->pids[i] = 0;
		k->ctl[i] = -1;
		k->tfd[i] = -1;
	}
}

/*
 * Starts child i (host i + 1) and takes its unit; 0, or the child's errno, or -1. The child
 * closes `other` (the fixture's own unit), whose close is the parent's.
 */
static int start_child(struct __test_metadata *_metadata, struct kids *k, int i,
		       const struct stream *st, int other)
{
	struct ns_ready r;
	int sp[2], fd;
	ssize_t n;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* Nothing of the parent's units: their closes are the parent's. */
		close(sp[0]);
		if (other >= 0)
			close(other);
		for (int j = 0; j < 2; j++) {
			if (k->ctl[j] >= 0)
				close(k->ctl[j]);
			if (k->tfd[j] >= 0)
				close(k->tfd[j]);
		}
		ns_child(sp[1], i + 1, st);
	}
	close(sp[1]);
	k->pids[i] = pid;
	k->ctl[i] = sp[0];
	memset(&r, 0, sizeof(r));
	n = recv_fd(sp[0], &fd, &r, sizeof(r), 30000);
	if (n != sizeof(r)) {
		TH_LOG("child %d: no report (%zd)", i + 1, n);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (r.err) {
		TH_LOG("child %d: %s: %s", i + 1, r.step, strerror(r.err));
		return r.err;
	}
	if (fd < 0) {
		TH_LOG("child %d sent no file", i + 1);
		return -1;
	}
	k->tfd[i] = fd;
	return 0;
}

/* Closes the units the children opened (destroying them), then ends the children. */
static void stop_children(struct kids *k)
{
	int status;

	for (int i = 0; i < 2; i++) {
		if (k->tfd[i] >= 0)
			close(k->tfd[i]);
		k->tfd[i] = -1;
	}
	for (int i = 0; i < 2; i++) {
		if (k->ctl[i] >= 0)
			close(k->ctl[i]);
		k->ctl[i] = -1;
	}
	for (int i = 0; i < 2; i++) {
		if (k->pids[i] > 0) {
			kill(k->pids[i], SIGKILL);
			waitpid(k->pids[i], &status, 0);
		}
		k->pids[i] = 0;
	}
}

/* Bytes before the packet on the file: the tun's BSD prefix (family word) and the header. */
static size_t stream_prefix(const struct stream *st)
{
	return (stream_tun(st) && st->ifhead ? 4 : 0) + (size_t)st->hlen;
}

/*
 * In `ethtool -k` output `out` (which starts with a newline): "FEATURE: on" (1), "FEATURE: off"
 * (0), or neither (-1). A feature of a group is indented by a tab.
 */
__attribute__((unused))
static int ethtool_feature(const char *out, const char *feat)
{
	char key[96];
	const char *p;

	snprintf(key, sizeof(key), "\n%s: ", feat);
	p = strstr(out, key);
	if (!p) {
		snprintf(key, sizeof(key), "\n\t%s: ", feat);
		p = strstr(out, key);
	}
	if (!p)
		return -1;
	p += strlen(key);
	if (!strncmp(p, "on", 2))
		return 1;
	if (!strncmp(p, "off", 3))
		return 0;
	return -1;
}

/* A header (host byte order in, little-endian out), as `hlen` bytes at buf; num_buffers 0. */
__attribute__((unused))
static void put_vnet(uint8_t *buf, int hlen, uint8_t flags, uint8_t gso_type, uint16_t hdr_len,
		     uint16_t gso_size, uint16_t csum_start, uint16_t csum_offset)
{
	struct virtio_net_hdr_mrg_rxbuf h;

	memset(&h, 0, sizeof(h));
	h.hdr.flags = flags;
	h.hdr.gso_type = gso_type;
	h.hdr.hdr_len = htole16(hdr_len);
	h.hdr.gso_size = htole16(gso_size);
	h.hdr.csum_start = htole16(csum_start);
	h.hdr.csum_offset = htole16(csum_offset);
	memcpy(buf, &h, (size_t)hlen);
}

/* The virtio-net header at buf, in host byte order. */
static struct virtio_net_hdr get_vnet(const uint8_t *buf)
{
	struct virtio_net_hdr h;

	memcpy(&h, buf, sizeof(h));
	h.hdr_len = le16toh(h.hdr_len);
	h.gso_size = le16toh(h.gso_size);
	h.csum_start = le16toh(h.csum_start);
	h.csum_offset = le16toh(h.csum_offset);
	return h;
}

/*
 * Whether a GSO packet's header agrees with the packet p[0..len) it describes (a tun's: it
 * starts with the IP header; a tap's: with the Ethernet header): NEEDS_CSUM with csum_start
 * at the transport header and csum_offset at its checksum; the segment count, which it
 * stores in *segs, more than one.
 */
static bool stream_gso_ok(const struct stream *st, const struct virtio_net_hdr *h,
			  const uint8_t *p, size_t len, long long *segs)
{
	size_t l2 = stream_tun(st) ? 0 : ETH_HLEN, l3, l4;
	int type = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if (len < l2 + 40 || !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !h->gso_size)
		return false;
	l3 = (p[l2] >> 4) == 6 ? 40 : (size_t)(p[l2] & 0xf) * 4;
	if (h->csum_start != l2 + l3)
		return false;
	if (type == VIRTIO_NET_HDR_GSO_UDP_L4) {
		if (h->csum_offset != offsetof(struct udphdr, check))
			return false;
		l4 = sizeof(struct udphdr);
	} else {
		if (h->csum_offset != offsetof(struct tcphdr, check) || len < l2 + l3 + 20)
			return false;
		l4 = (size_t)(p[l2 + l3 + 12] >> 4) * 4;
	}
	if (len <= l2 + l3 + l4)
		return false;
	*segs = (long long)((len - l2 - l3 - l4 + h->gso_size - 1) / h->gso_size);
	return *segs > 1;
}

/*
 * Runs the stream over the two children's units: tells them to go, forwards every packet
 * both ways until both report (or STREAM_MS pass), and records what it forwarded in dir[0]
 * (host 1 to host 2) and dir[1]. True if both reported.
 */
static bool relay(struct __test_metadata *_metadata, struct kids *k, const struct stream *st,
		  struct ns_result res[2], struct relay_dir dir[2])
{
	static uint8_t buf[STREAM_BUF];
	const size_t pre = stream_prefix(st);
	bool done[2] = { false, false };
	unsigned long long deadline;

	memset(res, 0, 2 * sizeof(res[0]));
	memset(dir, 0, 2 * sizeof(dir[0]));
	/* The server is listening already. */
	if (write(k->ctl[1], "g", 1) != 1 || write(k->ctl[0], "g", 1) != 1)
		return false;
	deadline = now_ms() + STREAM_MS;
	while (!(done[0] && done[1]) && ms_left(deadline) > 0) {
		struct pollfd pfd[4] = {
			{ .fd = k->tfd[0], .events = POLLIN },
			{ .fd = k->tfd[1], .events = POLLIN },
			{ .fd = done[0] ? -1 : k->ctl[0], .events = POLLIN },
			{ .fd = done[1] ? -1 : k->ctl[1], .events = POLLIN },
		};

		if (poll(pfd, 4, 200) < 0 && errno != EINTR) {
			TH_LOG("poll: %s", strerror(errno));
			return false;
		}
		for (int i = 0; i < 2; i++) {
			struct relay_dir *d = &dir[i];
			ssize_t n, w;
			size_t len;

			if (!(pfd[i].revents & POLLIN))
				continue;
			n = read(k->tfd[i], buf, sizeof(buf));
			if (n < 0 && errno == EAGAIN)
				continue;
			if (n <= (ssize_t)pre) {
				TH_LOG("read from unit %c: %zd (%s)", 'A' + i, n, strerror(errno));
				return false;
			}
			d->pkts++;
			len = (size_t)n - pre;
			if (st->hlen) {
				struct virtio_net_hdr h = get_vnet(buf + pre - st->hlen);
				long long segs = 0;

				if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
					d->gso++;
					if (stream_gso_ok(st, &h, buf + pre, len, &segs))
						d->segs += segs;
					else
						d->gso_bad++;
				}
				if (len > d->max_len)
					d->max_hdr = h;
			}
			if (len > d->max_len) {
				d->max_len = len;
				memcpy(d->max_pkt, buf + pre,
				       len < sizeof(d->max_pkt) ? len : sizeof(d->max_pkt));
			}
			w = write(k->tfd[1 - i], buf, (size_t)n);
			if (w != n) {
				d->werr++;
				d->last_errno = w < 0 ? errno : 0;
			}
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!(pfd[2 + i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(k->ctl[i], &res[i], sizeof(res[i]));
			if (n != sizeof(res[i])) {
				res[i].err = EPIPE;
				snprintf(res[i].step, sizeof(res[i].step), "report");
			}
			done[i] = true;
		}
	}
	for (int i = 0; i < 2; i++) {
		if (!done[i])
			TH_LOG("%s: no report", i ? "server" : "client");
		else if (res[i].err)
			TH_LOG("%s: %s: %s", i ? "server" : "client", res[i].step,
			       strerror(res[i].err));
		TH_LOG("%c->%c: %lld packets, %lld GSO (%lld segments, %lld inconsistent), "
		       "largest %zu, %lld failed writes", 'A' + i, 'B' - i, dir[i].pkts,
		       dir[i].gso, dir[i].segs, dir[i].gso_bad, dir[i].max_len, dir[i].werr);
	}
	if (st->hlen)
		TH_LOG("largest A packet: flags %#x gso_type %#x hdr_len %u gso_size %u csum %u+%u",
		       dir[0].max_hdr.flags, dir[0].max_hdr.gso_type, dir[0].max_hdr.hdr_len,
		       dir[0].max_hdr.gso_size, dir[0].max_hdr.csum_start,
		       dir[0].max_hdr.csum_offset);
	return done[0] && done[1];
}

#endif /* TUNTAP_RS_SELFTESTS_STREAM_H */
