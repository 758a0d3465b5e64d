// SPDX-License-Identifier: GPL-2.0
/*
 * tunbench: per-packet cost of tuntap_rs's tun against Linux's own tun, and the system-call
 * floor. A program that prints figures; run inside the benchmark VM (see bench/run.sh).
 *
 *   tunbench rtt   ours|linux SIZE COUNT   ICMP echo round trips through one fd (W3)
 *   tunbench inject ours|linux SIZE COUNT  writes of IPv4/UDP packets the stack drops (W1)
 *   tunbench floor SIZE COUNT              write(/dev/null) and read(/dev/zero)
 *
 * Both drivers are configured alike: no packet-information header (ours: no TUNSIFHEAD;
 * Linux: IFF_NO_PI), MTU 1500, txqueuelen 500, qdisc pfifo_fast, address 10.90.0.1 peer
 * 10.90.0.2. Each measured loop is wrapped in the insn-window markers (a no-op without the
 * QEMU plugin), so `-plugin libinsn_window.so` counts its instructions exactly.
 */
#include <net/if_tun.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Linux's <linux/if_tun.h> values, without including it next to glibc's <net/if.h>. */
#define LINUX_TUNSETIFF		_IOW('T', 202, int)
#define LINUX_IFF_TUN		0x0001
#define LINUX_IFF_NO_PI		0x1000

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

	snprintf(cmd, sizeof(cmd), fmt, name);
	if (system(cmd) != 0) {
		fprintf(stderr, "tunbench: failed: %s\n", cmd);
		exit(1);
	}
}

/* Opens a unit of `driver` and configures it; returns the fd, its name in `name`. */
static int open_unit(const char *driver, char name[IFNAMSIZ])
{
	struct ifreq ifr;
	int fd, one = 1;

	memset(&ifr, 0, sizeof(ifr));
	if (!strcmp(driver, "ours")) {
		fd = open("/dev/tun", O_RDWR);
		if (fd < 0)
			die("open /dev/tun");
		if (ioctl(fd, TUNSTRANSIENT, &one) || ioctl(fd, TUNGIFNAME, &ifr))
			die("tuntap_rs ioctl");
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
	sh("ip link set %s mtu 1500 txqueuelen 500", name);
	sh("ip addr add 10.90.0.1 peer 10.90.0.2 dev %s", name);
	sh("ip link set %s up", name);
	sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", name);
	return fd;
}

static uint16_t csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum);
}

/* An IPv4 packet of `size` bytes from 10.90.0.2 to `dst` carrying `proto`. */
static void build(uint8_t *pkt, size_t size, uint8_t proto, const char *dst)
{
	struct iphdr *ip = (struct iphdr *)pkt;

	memset(pkt, 0, size);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = proto;
	ip->tot_len = htons(size);
	ip->saddr = inet_addr("10.90.0.2");
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

static void report(const char *what, const char *driver, size_t size, uint64_t *ns, long n)
{
	qsort(ns, n, sizeof(*ns), cmp_u64);
	printf("%-7s %-6s %5zu B  n=%ld  p50 %8llu ns  p99 %8llu ns  p99.9 %8llu ns\n", what,
	       driver, size, n, (unsigned long long)ns[n / 2],
	       (unsigned long long)ns[n * 99 / 100], (unsigned long long)ns[n * 999 / 1000]);
}

/* W3: write an echo request to the unit's own address, read the reply routed back out. */
static void rtt(const char *driver, size_t size, long count)
{
	uint8_t req[2048], reply[2048];
	uint64_t *ns = calloc(count, sizeof(*ns));
	char name[IFNAMSIZ];
	int fd = open_unit(driver, name);

	build(req, size, IPPROTO_ICMP, "10.90.0.1");
	for (long i = 0; i < count / 10 + 1; i++) {	/* warm-up */
		if (write(fd, req, size) != (ssize_t)size || read(fd, reply, sizeof(reply)) < 0)
			die("warm-up");
	}
	win_start();
	for (long i = 0; i < count; i++) {
		uint64_t t0 = now_ns();

		if (write(fd, req, size) != (ssize_t)size)
			die("write");
		if (read(fd, reply, sizeof(reply)) != (ssize_t)size)
			die("read");
		ns[i] = now_ns() - t0;
	}
	win_stop();
	report("rtt", driver, size, ns, count);
	close(fd);
	free(ns);
}

/* W1: writes of UDP packets to an address nobody routes on (the stack drops them). */
static void inject(const char *driver, size_t size, long count)
{
	uint8_t pkt[2048];
	char name[IFNAMSIZ];
	int fd = open_unit(driver, name);
	uint64_t t0, t1;

	/* Not for this host, and forwarding is off: dropped right after IP input. */
	build(pkt, size, IPPROTO_UDP, "10.91.0.1");
	win_start();
	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		if (write(fd, pkt, size) != (ssize_t)size)
			die("write");
	}
	t1 = now_ns();
	win_stop();
	printf("inject  %-6s %5zu B  n=%ld  %8.0f ns/packet  %10.0f packets/s\n", driver, size,
	       count, (double)(t1 - t0) / count, count * 1e9 / (t1 - t0));
	close(fd);
}

/* The floor: the same sizes through write(/dev/null) and read(/dev/zero). */
static void floor_(size_t size, long count)
{
	uint8_t buf[2048];
	int wfd = open("/dev/null", O_WRONLY), rfd = open("/dev/zero", O_RDONLY);
	uint64_t t0, t1, t2;

	if (wfd < 0 || rfd < 0)
		die("open /dev/null or /dev/zero");
	win_start();
	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		if (write(wfd, buf, size) != (ssize_t)size)
			die("write /dev/null");
	}
	t1 = now_ns();
	for (long i = 0; i < count; i++) {
		if (read(rfd, buf, size) != (ssize_t)size)
			die("read /dev/zero");
	}
	t2 = now_ns();
	win_stop();
	printf("floor   write  %5zu B  n=%ld  %8.0f ns/call\n", size, count, (double)(t1 - t0) / count);
	printf("floor   read   %5zu B  n=%ld  %8.0f ns/call\n", size, count, (double)(t2 - t1) / count);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "floor")) {
		floor_(strtoul(argv[2], NULL, 0), strtol(argv[3], NULL, 0));
		return 0;
	}
	if (argc == 5 && (!strcmp(argv[2], "ours") || !strcmp(argv[2], "linux"))) {
		size_t size = strtoul(argv[3], NULL, 0);
		long count = strtol(argv[4], NULL, 0);

		if (size < 28 || size > 1500 || count < 1) {
			fprintf(stderr, "tunbench: size 28..1500, count >= 1\n");
			return 2;
		}
		if (!strcmp(argv[1], "rtt"))
			rtt(argv[2], size, count);
		else if (!strcmp(argv[1], "inject"))
			inject(argv[2], size, count);
		else
			return 2;
		return 0;
	}
	fprintf(stderr, "usage: tunbench rtt|inject ours|linux SIZE COUNT | tunbench floor SIZE COUNT\n");
	return 2;
}
