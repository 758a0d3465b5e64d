/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmnetclient: the vmnet side of a virtual machine monitor, as VMware's drivers use it.
 *
 *	vmnetclient [-c count] [-m remote-mac] [device]
 *
 * A vmnet unit is a tap whose owner is a VM monitor. This program does what such a monitor
 * does with it, and prints each step:
 *
 *	vmnet0				the interface's name (TAPGIFNAME), alone on the first
 *					line, so that a script can configure it
 *	remote mac 02:00:00:00:00:02	the "remote" MAC kept on the open file (SIOCGIFADDR):
 *					a copy of the interface's own address taken at open;
 *					-m sets it first (SIOCSIFADDR)
 *	interface up			VMIO_SIOCSIFFLAGS brought the interface up: no socket and
 *					no ip(8) needed, the file is enough
 *
 * and then one line per frame read, source > destination:
 *
 *	02:5e:1f:3a:77:10 > ff:ff:ff:ff:ff:ff, ethertype 0x0806, length 42
 *
 * Unlike a tap, a vmnet stays up when its file is closed and keeps queueing the frames routed
 * out of it for the next open (a VM being restarted loses nothing).
 *
 * Options:
 *	-c count
 *		exit after count frames.
 *	-m remote-mac
 *		set the remote MAC, xx:xx:xx:xx:xx:xx.
 *
 * Written as a FreeBSD program would be: <net/if_tap.h> and libc only. Build with
 * -I<tuntap_rs>/include.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

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

static u_char buf[TAPMRU];

static void
usage(void)
{
	fprintf(stderr, "usage: vmnetclient [-c count] [-m remote-mac] [device]\n");
	exit(1);
}

static const char *
macstr(const u_char *mac, char *s, size_t size)
{
	snprintf(s, size, "%02x:%02x:%02x:%02x:%02x:%02x",
	    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return (s);
}

/* xx:xx:xx:xx:xx:xx into mac[6]; -1 if it is not one. */
static int
parsemac(const char *s, u_char *mac)
{
	u_int b[ETHER_ADDR_LEN];
	char c;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
	    &c) != ETHER_ADDR_LEN)
		return (-1);
	for (i = 0; i < ETHER_ADDR_LEN; i++) {
		if (b[i] > 0xff)
			return (-1);
		mac[i] = (u_char)b[i];
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	struct ether_header eh;
	struct ifreq ifr;
	/*
	 * SIOCGIFADDR/SIOCSIFADDR on a tap or vmnet file move the remote MAC in the first 6
	 * bytes of the argument. FreeBSD copies a whole struct ifreq in and out, so pass one
	 * that big.
	 */
	u_char arg[sizeof(struct ifreq)], mac[ETHER_ADDR_LEN];
	const char *dev = "/dev/vmnet";
	char src[18], dst[18];
	long count = 0, seen = 0;
	ssize_t n;
	int ch, fd, setmac = 0;
	char *end;

	while ((ch = getopt(argc, argv, "c:m:")) != -1) {
		switch (ch) {
		case 'c':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || count < 1)
				errx(1, "bad count: %s", optarg);
			break;
		case 'm':
			if (parsemac(optarg, mac) == -1)
				errx(1, "bad MAC address: %s", optarg);
			setmac = 1;
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

	/* Opening /dev/vmnet clones a unit, vmnetN. */
	if ((fd = open(dev, O_RDWR)) == -1)
		err(1, "%s", dev);
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TAPGIFNAME, &ifr) == -1)
		err(1, "TAPGIFNAME");
	printf("%s\n", ifr.ifr_name);

	/* The remote MAC: the file's own value, separate from the interface's address. */
	if (setmac) {
		memset(arg, 0, sizeof(arg));
		memcpy(arg, mac, ETHER_ADDR_LEN);
		if (ioctl(fd, SIOCSIFADDR, arg) == -1)
			err(1, "SIOCSIFADDR");
	}
	memset(arg, 0, sizeof(arg));
	if (ioctl(fd, SIOCGIFADDR, arg) == -1)
		err(1, "SIOCGIFADDR");
	printf("remote mac %s\n", macstr(arg, src, sizeof(src)));

	/*
	 * VMIO_SIOCSIFFLAGS sets the interface's flags from the file. Its argument is the flags
	 * themselves, not a pointer (FreeBSD's _IOWINT). IFF_UP is forced anyway; the flags the
	 * interface cannot change (IFF_BROADCAST, IFF_MULTICAST, ...) are kept.
	 */
	if (ioctl(fd, VMIO_SIOCSIFFLAGS, (unsigned long)IFF_UP) == -1)
		err(1, "VMIO_SIOCSIFFLAGS");
	printf("interface up\n");

	while (count == 0 || seen < count) {
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
		printf("%s > %s, ethertype 0x%04x, length %zd\n",
		    macstr(eh.ether_shost, src, sizeof(src)),
		    macstr(eh.ether_dhost, dst, sizeof(dst)), ntohs(eh.ether_type), n);
		seen++;
	}
	/* The interface stays up after this close: that is vmnet's difference from tap. */
	close(fd);
	return (0);
}
