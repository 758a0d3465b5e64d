// SPDX-License-Identifier: GPL-2.0
/*
 * tunbench: per-packet cost of tuntap_rs's tun against Linux's own tun, and the system-call
 * floor. A program that prints figures; run inside the benchmark VM (see bench/run.sh).
 *
 *   tunbench rtt     ours|linux SIZE COUNT  ICMP echo round trips, blocking read (W3)
 *   tunbench rttpoll ours|linux SIZE COUNT  the same, poll() before each read (W3)
 *   tunbench inject  ours|linux SIZE COUNT  writes of IPv4/UDP packets the stack drops (W1)
 *   tunbench egress  ours|linux SIZE COUNT  sendmmsg() to the peer, one reader drains (W2)
 *   tunbench pair    ours|linux SIZE COUNT  W1 on two units, one thread per vCPU (W4)
 *   tunbench create  ours|linux UNITS       create UNITS units, then destroy them
 *   tunbench bulk    DRIVER tcp|udp BYTES   W5: a stream through two units and a relay
 *                    (DRIVER: ours, linux, ours_off, linux_off: _off with offloads)
 *   tunbench floor   SIZE COUNT             write(/dev/null) and read(/dev/zero)
 *
 * Both drivers are configured alike: no packet-information header (ours: no TUNSIFHEAD;
 * Linux: IFF_NO_PI), MTU 1500, txqueuelen 500, qdisc pfifo_fast, address 10.90.0.1 peer
 * 10.90.0.2 (the second unit of `pair`: 10.92.0.1 peer 10.92.0.2). Single-threaded workloads
 * run on CPU 0. Each measured loop is wrapped in the insn-window markers (a no-op without the
 * QEMU plugin, bench/insncount.c), so the plugin counts its instructions exactly; every
 * measurement line is one window, in order.
 *
 * W5 (bulk) is the VPN shape: unit A in network namespace tbA (10.93.0.1 peer .2), unit B in
 * tbB (10.93.0.2 peer .1), both opened by this program, which relays packets between them with
 * one thread each way (read one, write the other, as they are). A TCP stream of BYTES (tcp), or
 * UDP-GSO sends of 40 datagrams of 1 400 bytes (udp), goes from a thread in tbA to a thread in
 * tbB. With offloads (_off): ours TUNSVNETHDR 10 and TUNSOFFLOAD, Linux's tun IFF_VNET_HDR and
 * TUNSETOFFLOAD, both with checksum, TSO4/6 and USO; the relay moves the header with each
 * packet. The window spans the whole transfer on all CPUs: bytes delivered per instruction.
 * The sender's namespace has tcp_min_tso_segs 16 (see bulk()).
 */
#define _GNU_SOURCE
#include <net/if_tun.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../selftests/csum.h"	/* csum() */

/* Linux's <linux/if_tun.h> values, without including it next to glibc's <net/if.h>. */
#define LINUX_TUNSETIFF		_IOW('T', 202, int)
#define LINUX_IFF_TUN		0x0001
#define LINUX_IFF_NO_PI		0x1000
#define LINUX_IFF_VNET_HDR	0x4000
#define LINUX_TUNSETOFFLOAD	_IOW('T', 208, unsigned int)
#define LINUX_TUN_F_CSUM	0x01
#define LINUX_TUN_F_TSO4	0x02
#define LINUX_TUN_F_TSO6	0x04
#define LINUX_TUN_F_USO4	0x20
#define LINUX_TUN_F_USO6	0x40
#ifndef UDP_SEGMENT
#define UDP_SEGMENT		103
#endif

#define BATCH	32	/* messages per sendmmsg() in W2 */

static inline void win_start(void) { __asm__ volatile(".byte 0x66,0x87,0xdb" ::: "memory"); }
static inline void win_stop(void) { __asm__ volatile(".byte 0x66,0x87,0xc9" ::: "memory"); }

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "tunbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void sh(const char *fmt, const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), fmt, name, name);
	if (system(cmd) != 0) {
		fprintf(stderr, "tunbench: failed: %s\n", cmd);
		exit(1);
	}
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* Creates a unit of `driver` with a file bound to it; returns the fd, its name in `name`. */
static int new_unit(const char *driver, char name[IFNAMSIZ])
{
	struct ifreq ifr;
	int fd;

	memset(&ifr, 0, sizeof(ifr));
	if (!strcmp(driver, "ours")) {
		fd = open("/dev/tun", O_RDWR);
		if (fd < 0)
			die("open /dev/tun");
		if (ioctl(fd, TUNGIFNAME, &ifr))
			die("TUNGIFNAME");
	} else {
		fd = open("/dev/net/tun", O_RDWR);
		if (fd < 0)
			die("open /dev/net/tun");
		ifr.ifr_flags = LINUX_IFF_TUN | LINUX_IFF_NO_PI;
		strcpy(ifr.ifr_name, "ltun%d");
		if (ioctl(fd, LINUX_TUNSETIFF, &ifr))
			die("TUNSETIFF");
	}
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	return fd;
}

/* Opens a unit, destroyed when closed, and configures it on 10.`net`.0.1 peer .2. */
static int open_unit(const char *driver, char name[IFNAMSIZ], int net)
{
	char cmd[256];
	int fd = new_unit(driver, name), one = 1;

	if (!strcmp(driver, "ours") && ioctl(fd, TUNSTRANSIENT, &one))
		die("TUNSTRANSIENT");
	sh("ip link set %s mtu 1500 txqueuelen 500 && sysctl -qw net.ipv6.conf.%s.disable_ipv6=1",
	   name);
	snprintf(cmd, sizeof(cmd), "ip addr add 10.%d.0.1 peer 10.%d.0.2 dev %s && ip link set %s up",
		 net, net, name, name);
	if (system(cmd) != 0) {
		fprintf(stderr, "tunbench: failed: %s\n", cmd);
		exit(1);
	}
	return fd;
}

/* An IPv4 packet of `size` bytes from `src` to `dst` carrying `proto`. */
static void build(uint8_t *pkt, size_t size, uint8_t proto, const char *src, const char *dst)
{
	struct iphdr *ip = (struct iphdr *)pkt;

	memset(pkt, 0, size);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = proto;
	ip->tot_len = htons(size);
	ip->saddr = inet_addr(src);
	ip->daddr = inet_addr(dst);
	ip->check = csum(ip, sizeof(*ip));
	if (proto == IPPROTO_ICMP) {
		struct icmphdr *ic = (struct icmphdr *)(ip + 1);

		ic->type = ICMP_ECHO;
		ic->un.echo.id = htons(0x7475);
		ic->checksum = csum(ic, size - sizeof(*ip));
	} else {
		struct udphdr *uh = (struct udphdr *)(ip + 1);

		uh->source = htons(9);
		uh->dest = htons(9);
		uh->len = htons(size - sizeof(*ip));
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* An interface counter from sysfs. */
static unsigned long long counter(const char *name, const char *stat)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", name, stat);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &v) != 1)
		die(path);
	fclose(f);
	return v;
}

/* W3: write an echo request to the unit's own address, read the reply routed back out. */
static void rtt(const char *driver, size_t size, long count, int use_poll)
{
	uint8_t req[2048], reply[2048];
	uint64_t *ns = calloc(count, sizeof(*ns));
	struct pollfd pfd;
	char name[IFNAMSIZ];
	int fd = open_unit(driver, name, 90);
	long n = count;

	pfd.fd = fd;
	pfd.events = POLLIN;
	build(req, size, IPPROTO_ICMP, "10.90.0.2", "10.90.0.1");
	for (long i = 0; i < count / 10 + 1; i++) {	/* warm-up */
		if (write(fd, req, size) != (ssize_t)size || read(fd, reply, sizeof(reply)) < 0)
			die("warm-up");
	}
	win_start();
	for (long i = 0; i < count; i++) {
		uint64_t t0 = now_ns();

		if (write(fd, req, size) != (ssize_t)size)
			die("write");
		if (use_poll && poll(&pfd, 1, -1) != 1)
			die("poll");
		if (read(fd, reply, sizeof(reply)) != (ssize_t)size)
			die("read");
		ns[i] = now_ns() - t0;
	}
	win_stop();
	qsort(ns, n, sizeof(*ns), cmp_u64);
	printf("%-7s %-6s %5zu B  n=%ld  p50 %8llu ns  p99 %8llu ns  p99.9 %8llu ns\n",
	       use_poll ? "rttpoll" : "rtt", driver, size, n, (unsigned long long)ns[n / 2],
	       (unsigned long long)ns[n * 99 / 100], (unsigned long long)ns[n * 999 / 1000]);
	close(fd);
	free(ns);
}

/* Writes `count` copies of `pkt` to `fd`. */
static void write_loop(int fd, const uint8_t *pkt, size_t size, long count)
{
	for (long i = 0; i < count; i++) {
		if (write(fd, pkt, size) != (ssize_t)size)
			die("write");
	}
}

/* W1: writes of UDP packets to an address nobody routes on (the stack drops them). */
static void inject(const char *driver, size_t size, long count)
{
	uint8_t pkt[2048];
	char name[IFNAMSIZ];
	int fd = open_unit(driver, name, 90);
	uint64_t t0, t1;

	/* Not for this host, and forwarding is off: dropped right after IP input. */
	build(pkt, size, IPPROTO_UDP, "10.90.0.2", "10.91.0.1");
	write_loop(fd, pkt, size, count / 10 + 1);	/* warm-up */
	win_start();
	t0 = now_ns();
	write_loop(fd, pkt, size, count);
	t1 = now_ns();
	win_stop();
	printf("inject  %-6s %5zu B  n=%ld  %8.0f ns/packet  %10.0f packets/s\n", driver, size,
	       count, (double)(t1 - t0) / count, count * 1e9 / (t1 - t0));
	close(fd);
}

/* W4: one injecting thread per unit, each on its own CPU, started together. */
struct pair_arg {
	int fd, cpu;
	const uint8_t *pkt;
	size_t size;
	long count;
	pthread_barrier_t *go;
	uint64_t end;
};

static void *pair_thread(void *p)
{
	struct pair_arg *a = p;

	pin(a->cpu);
	write_loop(a->fd, a->pkt, a->size, a->count / 10 + 1);
	pthread_barrier_wait(a->go);
	write_loop(a->fd, a->pkt, a->size, a->count);
	a->end = now_ns();
	return NULL;
}

static void pair(const char *driver, size_t size, long count)
{
	uint8_t pkt[2][2048];
	char name[2][IFNAMSIZ];
	struct pair_arg arg[2];
	pthread_barrier_t go;
	pthread_t th[2];
	uint64_t t0, end = 0;

	pthread_barrier_init(&go, NULL, 3);
	for (int i = 0; i < 2; i++) {
		int fd = open_unit(driver, name[i], i ? 92 : 90);

		build(pkt[i], size, IPPROTO_UDP, i ? "10.92.0.2" : "10.90.0.2", "10.91.0.1");
		arg[i] = (struct pair_arg){ .fd = fd, .cpu = i, .pkt = pkt[i], .size = size,
					    .count = count, .go = &go };
		if (pthread_create(&th[i], NULL, pair_thread, &arg[i]))
			die("pthread_create");
	}
	win_start();
	pthread_barrier_wait(&go);
	t0 = now_ns();
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		if (arg[i].end > end)
			end = arg[i].end;
	}
	win_stop();
	printf("pair    %-6s %5zu B  n=%ld  %8.0f ns/packet  %10.0f packets/s\n", driver, size,
	       2 * count, (double)(end - t0) / (2 * count), 2 * count * 1e9 / (end - t0));
	for (int i = 0; i < 2; i++)
		close(arg[i].fd);
}

/* W2: a UDP sender (sendmmsg, BATCH at a time) to the peer, routed out of the unit; one
 * reader thread drains the fd. */
struct reader_arg {
	int fd;
	long got;
	volatile int sender_done;
	uint64_t last;
};

static void *reader_thread(void *p)
{
	struct reader_arg *a = p;
	struct pollfd pfd = { .fd = a->fd, .events = POLLIN };
	uint8_t buf[2048];

	for (;;) {
		ssize_t n = read(a->fd, buf, sizeof(buf));

		if (n > 0) {
			a->got++;
			a->last = now_ns();
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			die("read");
		/* Drained: wait for more unless the sender is done and nothing comes for 200 ms. */
		if (poll(&pfd, 1, a->sender_done ? 200 : 1000) == 0 && a->sender_done)
			return NULL;
	}
}

static void egress(const char *driver, size_t size, long count)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9) };
	static uint8_t payload[2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { .iov_base = payload, .iov_len = size - 28 };
	struct reader_arg rd = { 0 };
	unsigned long long drop0, drop1, sent = 0, refused = 0;
	char name[IFNAMSIZ];
	pthread_t th;
	uint64_t t0;
	int s, one = 1;

	rd.fd = open_unit(driver, name, 90);
	if (fcntl(rd.fd, F_SETFL, O_NONBLOCK))
		die("O_NONBLOCK");
	s = socket(AF_INET, SOCK_DGRAM, 0);
	peer.sin_addr.s_addr = inet_addr("10.90.0.2");
	/* IP_RECVERR: a packet the qdisc refuses comes back to the sender as ENOBUFS. */
	if (s < 0 || setsockopt(s, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) ||
	    connect(s, (struct sockaddr *)&peer, sizeof(peer)))
		die("UDP socket");
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	drop0 = counter(name, "tx_dropped");
	win_start();
	t0 = now_ns();
	if (pthread_create(&th, NULL, reader_thread, &rd))
		die("pthread_create");
	while (sent + refused < (unsigned long long)count) {
		long want = count - sent - refused;
		int n = sendmmsg(s, msgs, want < BATCH ? want : BATCH, 0);

		if (n > 0)
			sent += n;
		else if (errno == ENOBUFS)
			refused++;
		else
			die("sendmmsg");
	}
	rd.sender_done = 1;
	pthread_join(th, NULL);
	win_stop();
	drop1 = counter(name, "tx_dropped");
	printf("egress  %-6s %5zu B  n=%ld  %8.0f ns/packet  %10.0f packets/s  sent %llu "
	       "delivered %ld refused %llu tx_dropped %llu\n", driver, size, rd.got,
	       (double)(rd.last - t0) / rd.got, rd.got * 1e9 / (rd.last - t0), sent, rd.got,
	       refused, drop1 - drop0);
	close(s);
	close(rd.fd);
}

/* Memory in use (MemTotal - MemFree) and slab, in kB. */
static void meminfo(long *used, long *slab)
{
	char line[128];
	long total = 0, free_ = 0, v;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %ld", &v) == 1)
			total = v;
		else if (sscanf(line, "MemFree: %ld", &v) == 1)
			free_ = v;
		else if (sscanf(line, "Slab: %ld", &v) == 1)
			*slab = v;
	}
	fclose(f);
	*used = total - free_;
}

/* Creates `units` idle units (ours: by cloning /dev/tun; Linux: /dev/net/tun + TUNSETIFF),
 * each with its file open, then destroys them (closing the files; ours are made transient
 * first, outside the timing). */
static void create(const char *driver, long units)
{
	struct rlimit rl = { units + 64, units + 64 };
	int *fds = calloc(units, sizeof(*fds)), one = 1;
	long used0, used1, slab0 = 0, slab1 = 0;
	char name[IFNAMSIZ];
	uint64_t t0, t1, t2, t3;

	if (!fds || setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	system("udevadm settle -t 60 2>/dev/null");
	meminfo(&used0, &slab0);
	win_start();
	t0 = now_ns();
	for (long i = 0; i < units; i++)
		fds[i] = new_unit(driver, name);
	t1 = now_ns();
	win_stop();
	system("udevadm settle -t 60 2>/dev/null");
	meminfo(&used1, &slab1);
	for (long i = 0; i < units && !strcmp(driver, "ours"); i++) {
		if (ioctl(fds[i], TUNSTRANSIENT, &one))
			die("TUNSTRANSIENT");
	}
	win_start();
	t2 = now_ns();
	for (long i = 0; i < units; i++)
		close(fds[i]);
	t3 = now_ns();
	win_stop();
	printf("create  %-6s %5ld units  %8.0f us/unit create  %8.0f us/unit destroy  "
	       "%6.1f kB/unit  slab %6.1f kB/unit\n", driver, units,
	       (double)(t1 - t0) / 1000.0 / units, (double)(t3 - t2) / 1000.0 / units,
	       (double)(used1 - used0) / units, (double)(slab1 - slab0) / units);
	free(fds);
}

/* ---- W5: bulk through two units and a relay ------------------------------------------ */

#define BULK_PORT	5001
#define BULK_SEG	1400	/* UDP_SEGMENT's size */
#define BULK_SEGS	40	/* datagrams per UDP send */

/* A unit of `driver` ("ours", "linux", with "_off": offloads) for W5, in namespace `ns`. */
static int bulk_unit(const char *driver, const char *ns, int host)
{
	const int off = strstr(driver, "_off") != NULL;
	const int ours = !strncmp(driver, "ours", 4);
	struct ifreq ifr;
	char cmd[512];
	int fd, one = 1;

	memset(&ifr, 0, sizeof(ifr));
	if (ours) {
		int hlen = 10, offload = TUNOFFLOAD_CSUM | TUNOFFLOAD_TSO4 | TUNOFFLOAD_TSO6 |
					 TUNOFFLOAD_USO4 | TUNOFFLOAD_USO6;

		fd = open("/dev/tun", O_RDWR);
		if (fd < 0 || ioctl(fd, TUNGIFNAME, &ifr) || ioctl(fd, TUNSTRANSIENT, &one))
			die("/dev/tun");
		if (off && (ioctl(fd, TUNSVNETHDR, &hlen) || ioctl(fd, TUNSOFFLOAD, &offload)))
			die("TUNSVNETHDR, TUNSOFFLOAD");
	} else {
		unsigned int offload = LINUX_TUN_F_CSUM | LINUX_TUN_F_TSO4 | LINUX_TUN_F_TSO6 |
				       LINUX_TUN_F_USO4 | LINUX_TUN_F_USO6;

		fd = open("/dev/net/tun", O_RDWR);
		if (fd < 0)
			die("open /dev/net/tun");
		ifr.ifr_flags = LINUX_IFF_TUN | LINUX_IFF_NO_PI | (off ? LINUX_IFF_VNET_HDR : 0);
		strcpy(ifr.ifr_name, "ltun%d");
		if (ioctl(fd, LINUX_TUNSETIFF, &ifr))
			die("TUNSETIFF");
		if (off && ioctl(fd, LINUX_TUNSETOFFLOAD, offload))
			die("TUNSETOFFLOAD");
	}
	snprintf(cmd, sizeof(cmd),
		 "ip link set %s netns %s && ip -n %s link set %s mtu 1500 txqueuelen 500 && "
		 "ip netns exec %s sysctl -qw net.ipv6.conf.%s.disable_ipv6=1 && "
		 "ip -n %s addr add 10.93.0.%d peer 10.93.0.%d dev %s && ip -n %s link set %s up && "
		 "ip -n %s link set lo up",
		 ifr.ifr_name, ns, ns, ifr.ifr_name, ns, ifr.ifr_name, ns, host, 3 - host,
		 ifr.ifr_name, ns, ifr.ifr_name, ns);
	if (system(cmd) != 0) {
		fprintf(stderr, "tunbench: failed: %s\n", cmd);
		exit(1);
	}
	return fd;
}

/* One direction of the relay: every packet read from `from` written to `to`, as it is. */
struct relay_arg {
	int from, to;
	volatile int stop;
	long pkts;
};

static void *relay_thread(void *p)
{
	struct relay_arg *a = p;
	struct pollfd pfd = { .fd = a->from, .events = POLLIN };
	static __thread uint8_t buf[65536 + 64];

	while (!a->stop) {
		ssize_t n = read(a->from, buf, sizeof(buf));

		if (n < 0 && errno == EAGAIN) {
			poll(&pfd, 1, 100);
			continue;
		}
		if (n < 0)
			die("relay read");
		if (write(a->to, buf, (size_t)n) != n && errno != EAGAIN)
			die("relay write");
		a->pkts++;
	}
	return NULL;
}

/* Enters network namespace `ns` (this thread only). */
static void enter_ns(const char *ns)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die(path);
	close(fd);
}

/* The receiving side, in tbB: counts the bytes of one TCP connection, or UDP datagrams. */
struct sink_arg {
	int udp;
	long long want, got;
	int ready;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *sink_thread(void *p)
{
	struct sink_arg *a = p;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(BULK_PORT) };
	struct timeval tv = { .tv_sec = 2 };
	static uint8_t buf[65536];
	int s, c, one = 1;
	ssize_t n;

	enter_ns("tbB");
	sin.sin_addr.s_addr = inet_addr("10.93.0.2");
	s = socket(AF_INET, a->udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) || (!a->udp && listen(s, 1)))
		die("sink socket");
	pthread_mutex_lock(&a->lock);
	a->ready = 1;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	if (a->udp) {
		/*
		 * Until all came or nothing came for 2 s (UDP may lose some). A receive buffer of
		 * 16 MiB (the default is 208 KiB) so that what the sink measures is the path, not
		 * its own lag behind a 40-datagram burst.
		 */
		int rcvbuf = 16 << 20;

		setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (a->got < a->want && (n = recv(s, buf, sizeof(buf), 0)) > 0)
			a->got += n;
		close(s);
		return NULL;
	}
	c = accept(s, NULL, NULL);
	if (c < 0)
		die("accept");
	while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
		a->got += n;
	close(c);
	close(s);
	return NULL;
}

/* The sending side, in tbA. */
static void source(int udp, long long bytes)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(BULK_PORT) };
	static uint8_t buf[BULK_SEG * BULK_SEGS];
	int s, seg = BULK_SEG;
	long long sent = 0;

	enter_ns("tbA");
	sin.sin_addr.s_addr = inet_addr("10.93.0.2");
	s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (s < 0 || (udp && setsockopt(s, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg))) ||
	    connect(s, (struct sockaddr *)&sin, sizeof(sin)))
		die("source socket");
	while (sent < bytes) {
		size_t len = sizeof(buf);
		ssize_t n;

		if ((long long)len > bytes - sent)
			len = (size_t)(bytes - sent);
		n = send(s, buf, len, 0);
		if (n < 0 && errno == ENOBUFS)
			continue;
		if (n < 0)
			die("send");
		sent += n;
	}
	close(s);
}

static void bulk(const char *driver, const char *mode, long long bytes)
{
	struct sink_arg sink = { .udp = !strcmp(mode, "udp"), .want = bytes,
				 .lock = PTHREAD_MUTEX_INITIALIZER,
				 .cond = PTHREAD_COND_INITIALIZER };
	struct relay_arg ab = { 0 }, ba = { 0 };
	pthread_t th_ab, th_ba, th_sink;
	uint64_t t0, t1;
	int a, b;

	/*
	 * The sender builds TSO packets of at least 16 segments once its window allows: TCP sizes
	 * them by its pacing rate otherwise, which the emulated guest makes low (2 segments on
	 * TCG), whatever the driver. The same for all four configurations.
	 */
	if (system("ip netns del tbA 2>/dev/null; ip netns del tbB 2>/dev/null; "
		   "ip netns add tbA && ip netns add tbB && "
		   "ip netns exec tbA sysctl -qw net.ipv4.tcp_min_tso_segs=16") != 0)
		die("ip netns add");
	a = bulk_unit(driver, "tbA", 1);
	b = bulk_unit(driver, "tbB", 2);
	ab = (struct relay_arg){ .from = a, .to = b };
	ba = (struct relay_arg){ .from = b, .to = a };
	if (fcntl(a, F_SETFL, O_NONBLOCK) || fcntl(b, F_SETFL, O_NONBLOCK))
		die("O_NONBLOCK");
	if (pthread_create(&th_ab, NULL, relay_thread, &ab) ||
	    pthread_create(&th_ba, NULL, relay_thread, &ba) ||
	    pthread_create(&th_sink, NULL, sink_thread, &sink))
		die("pthread_create");
	pthread_mutex_lock(&sink.lock);
	while (!sink.ready)
		pthread_cond_wait(&sink.cond, &sink.lock);
	pthread_mutex_unlock(&sink.lock);
	win_start();
	t0 = now_ns();
	source(sink.udp, bytes);
	pthread_join(th_sink, NULL);
	t1 = now_ns();
	win_stop();
	ab.stop = ba.stop = 1;
	pthread_join(th_ab, NULL);
	pthread_join(th_ba, NULL);
	printf("%-7s %-9s %5lld B  n=%ld  %8.1f MB/s  delivered %lld  A->B %ld  B->A %ld\n",
	       sink.udp ? "bulkudp" : "bulk", driver, bytes, ab.pkts + ba.pkts,
	       sink.got / ((t1 - t0) / 1e9) / 1e6, sink.got, ab.pkts, ba.pkts);
	close(a);
	close(b);
	if (system("ip netns del tbA; ip netns del tbB") != 0)
		die("ip netns del");
}

/* The floor: the same sizes through write(/dev/null) and read(/dev/zero). */
static void floor_(size_t size, long count)
{
	uint8_t buf[2048];
	int wfd = open("/dev/null", O_WRONLY), rfd = open("/dev/zero", O_RDONLY);
	uint64_t t0, t1;

	if (wfd < 0 || rfd < 0)
		die("open /dev/null or /dev/zero");
	win_start();
	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		if (write(wfd, buf, size) != (ssize_t)size)
			die("write /dev/null");
	}
	t1 = now_ns();
	win_stop();
	printf("floor   write  %5zu B  n=%ld  %8.0f ns/call\n", size, count, (double)(t1 - t0) / count);
	win_start();
	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		if (read(rfd, buf, size) != (ssize_t)size)
			die("read /dev/zero");
	}
	t1 = now_ns();
	win_stop();
	printf("floor   read   %5zu B  n=%ld  %8.0f ns/call\n", size, count, (double)(t1 - t0) / count);
}

static int usage(void)
{
	fprintf(stderr, "usage: tunbench rtt|rttpoll|inject|egress|pair ours|linux SIZE COUNT\n"
			"       tunbench create ours|linux UNITS | tunbench floor SIZE COUNT\n"
			"       tunbench bulk ours|linux|ours_off|linux_off tcp|udp BYTES\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *work = argc > 1 ? argv[1] : "";
	const char *driver = argc > 2 ? argv[2] : "";
	size_t size;
	long count;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(work, "pair"))
		pin(0);
	if (argc == 4 && !strcmp(work, "floor")) {
		floor_(strtoul(argv[2], NULL, 0), strtol(argv[3], NULL, 0));
		return 0;
	}
	if (argc == 5 && !strcmp(work, "bulk")) {
		bulk(driver, argv[3], strtoll(argv[4], NULL, 0));
		return 0;
	}
	if (strcmp(driver, "ours") && strcmp(driver, "linux"))
		return usage();
	if (argc == 4 && !strcmp(work, "create")) {
		create(driver, strtol(argv[3], NULL, 0));
		return 0;
	}
	if (argc != 5)
		return usage();
	size = strtoul(argv[3], NULL, 0);
	count = strtol(argv[4], NULL, 0);
	if (size < 28 || size > 1500 || count < 1) {
		fprintf(stderr, "tunbench: size 28..1500, count >= 1\n");
		return 2;
	}
	if (!strcmp(work, "rtt") || !strcmp(work, "rttpoll"))
		rtt(driver, size, count, !strcmp(work, "rttpoll"));
	else if (!strcmp(work, "inject"))
		inject(driver, size, count);
	else if (!strcmp(work, "egress"))
		egress(driver, size, count);
	else if (!strcmp(work, "pair"))
		pair(driver, size, count);
	else
		return usage();
	return 0;
}
