/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tunvpn: a tiny VPN, the way BSD tunnel programs are built: a tun(4) (or tap(4)) unit on one
 * side, a UDP socket on the other, and a poll(2) loop carrying packets between them.
 *
 *	tunvpn [-o] [-t] [-c count] -l local-addr:port -r remote-addr:port [device]
 *
 * Opens device, by default /dev/tun (with -t, /dev/tap), which clones a new unit, and prints
 * the interface's name on stdout, alone on a line, so that a script can configure it:
 *
 *	ifname=$(tunvpn -l 192.0.2.1:4789 -r 192.0.2.2:4789 | head -n 1)   (or read it from
 *	ip addr add 10.1.0.1 peer 10.1.0.2 dev "$ifname"                     a file, as the
 *	ip link set "$ifname" up                                             demo does)
 *
 * Then every packet the kernel routes out of the interface is sent, as one UDP datagram, to
 * the remote address, and every datagram received from it is written to the unit, which
 * delivers it to the stack as received on the interface. Run the same program with the
 * addresses swapped on the other host, and the two interfaces are joined.
 *
 * On the wire, a datagram is exactly what the unit reads and writes: with tun, TUNSIFHEAD is
 * turned on, so a packet is a 4-byte address family in network byte order followed by the IPv4
 * or IPv6 packet; with tap (-t), a whole Ethernet frame, so ARP, IPv6 neighbour discovery and
 * anything else layer 2 carries go through, and the two taps behave as if wired together. There
 * is no encryption and no authentication: this is a demonstration, not a VPN to deploy.
 *
 * Give the interface an MTU that leaves room for the outer IP and UDP headers (28 bytes over
 * IPv4, 48 over IPv6, plus 4 for the family with tun, 14 for the Ethernet header with tap),
 * or larger packets travel as IP fragments.
 *
 * Options:
 *	-o	offloads (tuntap_rs): the unit hands the program a 10-byte virtio-net header
 *		(TUNSVNETHDR) before each packet, after the family, and takes the offloads
 *		the header describes (TUNSOFFLOAD: checksum, TCP and UDP segmentation). A TCP
 *		stream through the interface then crosses the file in packets of up to 64 KiB
 *		instead of one per MTU, and so does the wire: each travels as one datagram,
 *		fragmented by IP on the way. A real VPN would split them into MTU-sized
 *		segments before encrypting (as wireguard-go does); the far end, which must
 *		use -o too, writes them back whole. See Documentation/porting.rst.
 *	-t	Ethernet: /dev/tap instead of /dev/tun.
 *	-c count
 *		exit after forwarding count packets (both directions together).
 *	-l local-addr:port
 *		the UDP address to bind (IPv6: [addr]:port).
 *	-r remote-addr:port
 *		the peer's UDP address.
 *
 * It runs until killed or -c count packets; SIGINT and SIGTERM end it cleanly, with a last
 * line on stdout: "tun0: 12 packets out, 12 in". The unit stays (as every FreeBSD unit does
 * when its file is closed): `ip link del tun0` destroys it.
 *
 * Written as a FreeBSD program would be: <net/if_tun.h>, <net/if_tap.h> and libc only. Build
 * with -I<tuntap_rs>/include.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <net/if.h>
#include <net/if_tun.h>
#include <net/if_tap.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef INFTIM
#define INFTIM	(-1)		/* FreeBSD's <poll.h> has it, glibc's does not. */
#endif

/*
 * The largest thing a unit reads: a TUNMRU packet, its family and a virtio-net header, or a
 * TAPMRU frame and its header.
 */
static u_char buf[TUNMRU + 4 + 12];

static volatile sig_atomic_t done;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tunvpn [-o] [-t] [-c count] -l local-addr:port -r remote-addr:port [device]\n");
	exit(1);
}

static void
onsignal(int sig)
{
	(void)sig;
	done = 1;
}

/*
 * "addr:port" or "[addr]:port" (IPv6) into an address for a UDP socket. Names are resolved
 * too, though a VPN configuration would rather not depend on the DNS.
 */
static struct addrinfo *
getaddr(const char *arg, int passive)
{
	struct addrinfo hints, *res;
	char host[NI_MAXHOST];
	const char *port, *h;
	size_t hlen;
	int error;

	if (arg[0] == '[') {
		h = arg + 1;
		if ((port = strchr(h, ']')) == NULL || port[1] != ':')
			errx(1, "%s: not [address]:port", arg);
		hlen = (size_t)(port - h);
		port += 2;
	} else {
		h = arg;
		if ((port = strrchr(arg, ':')) == NULL)
			errx(1, "%s: not address:port", arg);
		hlen = (size_t)(port - h);
		port++;
	}
	if (hlen >= sizeof(host) || *port == '\0')
		errx(1, "%s: not address:port", arg);
	memcpy(host, h, hlen);
	host[hlen] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	if ((error = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints, &res)) != 0)
		errx(1, "%s: %s", arg, gai_strerror(error));
	return (res);
}

/* A UDP socket bound to local and connected to remote: it only hears from the peer. */
static int
udpsocket(const char *local, const char *remote)
{
	struct addrinfo *la, *ra;
	int s;

	la = getaddr(local, 1);
	ra = getaddr(remote, 0);
	if (la->ai_family != ra->ai_family)
		errx(1, "%s and %s: not the same address family", local, remote);
	if ((s = socket(ra->ai_family, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (bind(s, la->ai_addr, la->ai_addrlen) == -1)
		err(1, "bind %s", local);
	if (connect(s, ra->ai_addr, ra->ai_addrlen) == -1)
		err(1, "connect %s", remote);
	freeaddrinfo(la);
	freeaddrinfo(ra);
	return (s);
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	struct pollfd pfd[2];
	struct ifreq ifr;
	const char *dev = NULL, *local = NULL, *remote = NULL;
	unsigned long out = 0, in = 0;
	long count = 0;
	ssize_t n;
	int ch, fd, s, tap = 0, on = 1, offload = 0, hlen = 10;
	int offloads = TUNOFFLOAD_CSUM | TUNOFFLOAD_TSO4 | TUNOFFLOAD_TSO6 | TUNOFFLOAD_USO4 |
	    TUNOFFLOAD_USO6;
	char *end;

	while ((ch = getopt(argc, argv, "c:l:or:t")) != -1) {
		switch (ch) {
		case 'c':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || count < 1)
				errx(1, "bad count: %s", optarg);
			break;
		case 'l':
			local = optarg;
			break;
		case 'o':
			offload = 1;
			break;
		case 'r':
			remote = optarg;
			break;
		case 't':
			tap = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || local == NULL || remote == NULL)
		usage();
	if (argc == 1)
		dev = argv[0];
	else
		dev = tap ? "/dev/tap" : "/dev/tun";

	setvbuf(stdout, NULL, _IOLBF, 0);

	s = udpsocket(local, remote);

	/* Cloning: the lowest free unit, created in this process's network namespace. */
	if ((fd = open(dev, O_RDWR)) == -1)
		err(1, "%s", dev);
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, tap ? TAPGIFNAME : TUNGIFNAME, &ifr) == -1)
		err(1, "%s", tap ? "TAPGIFNAME" : "TUNGIFNAME");
	/* tun: the family before each packet, so that IPv6 travels too and the far end knows. */
	if (!tap && ioctl(fd, TUNSIFHEAD, &on) == -1)
		err(1, "TUNSIFHEAD");
	/* Offloads: the header first, then what the program takes in it. */
	if (offload && (ioctl(fd, TUNSVNETHDR, &hlen) == -1 ||
	    ioctl(fd, TUNSOFFLOAD, &offloads) == -1))
		err(1, "offloads (TUNSVNETHDR, TUNSOFFLOAD)");
	printf("%s\n", ifr.ifr_name);

	/* No SA_RESTART: a signal ends poll() with EINTR and the loop sees `done`. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsignal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = s;
	pfd[1].events = POLLIN;
	while (!done && (count == 0 || (long)(out + in) < count)) {
		if (poll(pfd, 2, INFTIM) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}

		/* The unit was destroyed (ip link del, its namespace deleted): nothing more. */
		if (pfd[0].revents & (POLLHUP | POLLERR))
			errx(1, "%s: destroyed", ifr.ifr_name);

		/* Interface -> peer. */
		if (pfd[0].revents & POLLIN) {
			if ((n = read(fd, buf, sizeof(buf))) == -1) {
				if (errno != EINTR && errno != EAGAIN)
					err(1, "read %s", ifr.ifr_name);
			} else if (send(s, buf, (size_t)n, 0) == -1) {
				/*
				 * ECONNREFUSED: an earlier datagram met a closed port (the peer is
				 * not running yet); the packet is lost, as on any link that is
				 * down, and the next one may get through.
				 */
				if (errno != ECONNREFUSED)
					warn("send");
			} else
				out++;
		}

		/*
		 * Peer -> interface. POLLERR here is a pending ICMP error, which recv() reports
		 * and clears.
		 */
		if (pfd[1].revents & (POLLIN | POLLERR)) {
			if ((n = recv(s, buf, sizeof(buf), 0)) == -1) {
				if (errno != ECONNREFUSED && errno != EINTR)
					warn("recv");
			} else if (write(fd, buf, (size_t)n) == -1) {
				/* A datagram the unit will not take: bad family, too long. */
				warn("write %s (%zd bytes)", ifr.ifr_name, n);
			} else
				in++;
		}
	}
	printf("%s: %lu packets out, %lu in\n", ifr.ifr_name, out, in);
	close(fd);
	close(s);
	return (0);
}
