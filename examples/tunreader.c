/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tunreader: print the packets that the kernel routes out of a tun(4) interface.
 *
 *	tunreader [-hl] [-c count] [device]
 *
 * Opens device, by default /dev/tun, which clones a new unit: interface tunN and node
 * /dev/tunN. The interface's name is printed on the first line, alone, so that a script can
 * configure it; then one line per packet read:
 *
 *	inet 10.0.0.1 -> 10.0.0.2 udp length 37
 *
 * Try it from another shell:
 *
 *	ip addr add 10.0.0.1 peer 10.0.0.2 dev tun0
 *	ip link set tun0 up
 *	ping 10.0.0.2
 *
 * Options:
 *	-h	TUNSIFHEAD: each packet comes after its address family, 4 bytes in network byte
 *		order. Without it the unit only carries IPv4; with it, IPv6 too.
 *	-l	TUNSLMODE: each packet comes after its destination as a struct sockaddr (on
 *		Linux a struct sockaddr_in, without BSD's sa_len byte). The line ends with
 *		"(lmode to ADDRESS)".
 *	-c count
 *		exit after count packets.
 *
 * -h and -l exclude each other: the driver clears one when the other is set.
 *
 * Written as a FreeBSD program would be: <net/if_tun.h> and libc only. Build with
 * -I<tuntap_rs>/include.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <net/if.h>
#include <net/if_tun.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Room for the largest packet plus the largest prefix (a struct sockaddr_in6). */
static u_char buf[TUNMRU + 64];

static void
usage(void)
{
	fprintf(stderr, "usage: tunreader [-hl] [-c count] [device]\n");
	exit(1);
}

static const char *
protoname(int p)
{
	static char num[16];

	switch (p) {
	case IPPROTO_HOPOPTS:
		return ("hopopt");
	case IPPROTO_ICMP:
		return ("icmp");
	case IPPROTO_IGMP:
		return ("igmp");
	case IPPROTO_TCP:
		return ("tcp");
	case IPPROTO_UDP:
		return ("udp");
	case IPPROTO_ICMPV6:
		return ("icmp6");
	}
	snprintf(num, sizeof(num), "proto %d", p);
	return (num);
}

/*
 * One packet: family, source -> destination, protocol (the IPv6 next header, extension headers
 * are not followed) and length, the packet's without the prefix.
 */
static void
print_packet(int af, const u_char *p, size_t len)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	struct ip ip;
	struct ip6_hdr ip6;

	switch (af) {
	case AF_INET:
		if (len < sizeof(ip)) {
			printf("inet short packet, length %zu", len);
			return;
		}
		/* The packet may be unaligned after a prefix: copy the header out. */
		memcpy(&ip, p, sizeof(ip));
		inet_ntop(AF_INET, &ip.ip_src, src, sizeof(src));
		inet_ntop(AF_INET, &ip.ip_dst, dst, sizeof(dst));
		printf("inet %s -> %s %s length %zu", src, dst, protoname(ip.ip_p), len);
		break;
	case AF_INET6:
		if (len < sizeof(ip6)) {
			printf("inet6 short packet, length %zu", len);
			return;
		}
		memcpy(&ip6, p, sizeof(ip6));
		inet_ntop(AF_INET6, &ip6.ip6_src, src, sizeof(src));
		inet_ntop(AF_INET6, &ip6.ip6_dst, dst, sizeof(dst));
		printf("inet6 %s -> %s %s length %zu", src, dst, protoname(ip6.ip6_nxt), len);
		break;
	default:
		printf("af %d length %zu", af, len);
		break;
	}
}

int
main(int argc, char *argv[])
{
	struct ifreq ifr;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	struct sockaddr sa;
	const char *dev = "/dev/tun";
	char to[INET6_ADDRSTRLEN];
	const u_char *p;
	long count = 0, seen = 0;
	uint32_t af;
	ssize_t n;
	size_t len;
	int ch, fd, ifhead = 0, lmode = 0, on = 1;
	char *end;

	while ((ch = getopt(argc, argv, "c:hl")) != -1) {
		switch (ch) {
		case 'c':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || count < 1)
				errx(1, "bad count: %s", optarg);
			break;
		case 'h':
			ifhead = 1;
			lmode = 0;
			break;
		case 'l':
			lmode = 1;
			ifhead = 0;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	if (argc == 1)
		dev = argv[0];

	/* Lines go out as they are made, also into a pipe or a file that a script reads. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Opening /dev/tun clones a unit; opening /dev/tunN opens that unit. */
	if ((fd = open(dev, O_RDWR)) == -1)
		err(1, "%s", dev);
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGIFNAME, &ifr) == -1)
		err(1, "TUNGIFNAME");
	if (ifhead && ioctl(fd, TUNSIFHEAD, &on) == -1)
		err(1, "TUNSIFHEAD");
	if (lmode && ioctl(fd, TUNSLMODE, &on) == -1)
		err(1, "TUNSLMODE");
	printf("%s\n", ifr.ifr_name);

	while (count == 0 || seen < count) {
		/* One read, one packet; it blocks until the kernel routes one out. */
		if ((n = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "read %s", ifr.ifr_name);
		}
		p = buf;
		len = (size_t)n;
		to[0] = '\0';
		if (ifhead) {
			if (len < sizeof(af)) {
				warnx("%zd bytes: no address family", n);
				continue;
			}
			memcpy(&af, p, sizeof(af));
			af = ntohl(af);
			p += sizeof(af);
			len -= sizeof(af);
		} else if (lmode) {
			/* The destination; its family gives its length (no sa_len on Linux). */
			if (len < sizeof(sa)) {
				warnx("%zd bytes: no sockaddr", n);
				continue;
			}
			memcpy(&sa, p, sizeof(sa));
			af = sa.sa_family;
			if (af == AF_INET6) {
				if (len < sizeof(sin6)) {
					warnx("%zd bytes: no sockaddr_in6", n);
					continue;
				}
				memcpy(&sin6, p, sizeof(sin6));
				inet_ntop(AF_INET6, &sin6.sin6_addr, to, sizeof(to));
				p += sizeof(sin6);
				len -= sizeof(sin6);
			} else {
				memcpy(&sin, p, sizeof(sin));
				inet_ntop(AF_INET, &sin.sin_addr, to, sizeof(to));
				p += sizeof(sin);
				len -= sizeof(sin);
			}
		} else {
			/* No prefix: the IP version tells (in practice always IPv4). */
			af = len > 0 && (p[0] >> 4) == 6 ? AF_INET6 : AF_INET;
		}
		print_packet((int)af, p, len);
		if (to[0] != '\0')
			printf(" (lmode to %s)", to);
		printf("\n");
		seen++;
	}
	close(fd);
	return (0);
}
