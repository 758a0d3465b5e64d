/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tapdump: print the Ethernet frames that the kernel sends out of a tap(4) interface.
 *
 *	tapdump [-c count] [device]
 *
 * Opens device, by default /dev/tap, which clones a new unit: interface tapN and node
 * /dev/tapN (opening a tap needs CAP_NET_ADMIN unless the tap_user_open module parameter is
 * set). The interface's name is printed on the first line, alone, so that a script can
 * configure it; then one line per frame read, source > destination as tcpdump -e prints them:
 *
 *	02:5e:1f:3a:77:10 > ff:ff:ff:ff:ff:ff, ethertype 0x0806 (arp), length 42
 *
 * Try it from another shell (a tap, unlike a vmnet, stays down until brought up):
 *
 *	ip addr add 10.0.0.1/24 dev tap0
 *	ip link set tap0 up
 *	ping 10.0.0.2		# ARP requests for 10.0.0.2
 *
 * Options:
 *	-c count
 *		exit after count frames.
 *
 * Written as a FreeBSD program would be: <net/if_tap.h> and libc only. Build with
 * -I<tuntap_rs>/include.
 */

#include <sys/types.h>
#include <sys/ioctl.h>

#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_tap.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A frame of up to TAPMRU bytes fits. */
static u_char buf[TAPMRU];

static void
usage(void)
{
	fprintf(stderr, "usage: tapdump [-c count] [device]\n");
	exit(1);
}

/* xx:xx:xx:xx:xx:xx, with leading zeros (ether_ntoa(3) leaves them out). */
static const char *
macstr(const u_char *mac, char *s, size_t size)
{
	snprintf(s, size, "%02x:%02x:%02x:%02x:%02x:%02x",
	    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return (s);
}

static const char *
typename(u_int type)
{
	switch (type) {
	case ETHERTYPE_IP:
		return ("ip");
	case ETHERTYPE_ARP:
		return ("arp");
	case ETHERTYPE_IPV6:
		return ("ip6");
	case ETHERTYPE_VLAN:
		return ("vlan");
	}
	return ("unknown");
}

int
main(int argc, char *argv[])
{
	struct ether_header eh;
	struct ifreq ifr;
	const char *dev = "/dev/tap";
	char src[18], dst[18];
	long count = 0, seen = 0;
	u_int type;
	ssize_t n;
	int ch, fd;
	char *end;

	while ((ch = getopt(argc, argv, "c:")) != -1) {
		switch (ch) {
		case 'c':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || count < 1)
				errx(1, "bad count: %s", optarg);
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

	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Opening /dev/tap clones a unit; opening /dev/tapN opens that unit. */
	if ((fd = open(dev, O_RDWR)) == -1)
		err(1, "%s", dev);
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TAPGIFNAME, &ifr) == -1)
		err(1, "TAPGIFNAME");
	printf("%s\n", ifr.ifr_name);

	while (count == 0 || seen < count) {
		/* One read, one whole frame, no prefix of any kind. */
		if ((n = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "read %s", ifr.ifr_name);
		}
		if ((size_t)n < sizeof(eh)) {
			printf("short frame, length %zd\n", n);
			seen++;
			continue;
		}
		memcpy(&eh, buf, sizeof(eh));
		type = ntohs(eh.ether_type);
		printf("%s > %s, ethertype 0x%04x (%s), length %zd\n",
		    macstr(eh.ether_shost, src, sizeof(src)),
		    macstr(eh.ether_dhost, dst, sizeof(dst)), type, typename(type), n);
		seen++;
	}
	close(fd);
	return (0);
}
