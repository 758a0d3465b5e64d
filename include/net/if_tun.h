/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * <net/if_tun.h> for tuntap_rs: FreeBSD's tun(4) interface on Linux.
 *
 * The names and structures are FreeBSD's; the ioctl numbers are encoded the Linux way
 * (_IOW/_IOR from <linux/ioctl.h>, with Linux's sizes), so programs written for FreeBSD
 * compile unchanged and talk to /dev/tun* of tuntap_rs. This header can be included next to
 * <linux/if_tun.h>: it defines no name that one defines. It includes glibc's <net/if.h>
 * (for struct ifreq), so include it before any <linux/if.h>, as glibc requires.
 */
#ifndef _TUNTAP_RS_NET_IF_TUN_H
#define _TUNTAP_RS_NET_IF_TUN_H

#include <linux/ioctl.h>
#include <net/if.h>

/* Maximum transmit packet size (default) and receive packet size: FreeBSD's values. */
#define TUNMTU		1500
#define TUNMRU		65535

/* Interface types reported in struct tuninfo, FreeBSD's <net/if_types.h> values. */
#ifndef IFT_ETHER
#define IFT_ETHER	0x6
#endif
#ifndef IFT_PPP
#define IFT_PPP		0x17
#endif

/* TUNSIFINFO/TUNGIFINFO argument. `type` is FreeBSD's interface type: IFT_PPP for tun,
 * IFT_ETHER for tap and vmnet (the Linux ARPHRD_* values do not fit its 8 bits). */
struct tuninfo {
	int	baudrate;	/* linespeed */
	unsigned short mtu;	/* maximum transmission unit */
	unsigned char type;	/* ethernet, tokenring, etc. */
	unsigned char dummy;	/* place holder */
};

#define TUNSDEBUG	_IOW('t', 90, int)
#define TUNGDEBUG	_IOR('t', 89, int)
#define TUNSIFINFO	_IOW('t', 91, struct tuninfo)
#define TUNGIFINFO	_IOR('t', 92, struct tuninfo)
#define TUNSLMODE	_IOW('t', 93, int)
#define TUNGIFNAME	_IOR('t', 93, struct ifreq)
#define TUNSIFMODE	_IOW('t', 94, int)
#define TUNSIFPID	_IO('t', 95)
#define TUNSIFHEAD	_IOW('t', 96, int)
#define TUNGIFHEAD	_IOR('t', 97, int)
#define TUNGTRANSIENT	_IOR('t', 98, int)
#define TUNSTRANSIENT	_IOW('t', 99, int)

/*
 * tuntap_rs's offloads on tun units (FreeBSD has the virtio-net header on tap only):
 * TUNSVNETHDR is <net/if_tap.h>'s TAPSVNETHDR (0, 10 or 12 bytes of little-endian
 * struct virtio_net_hdr). On a tun the header comes after the TUNSIFHEAD family word (or the
 * TUNSLMODE address, on reads) and before the packet, both ways. TUNSOFFLOAD says which
 * offloads the reader takes in that header (Linux's TUNSETOFFLOAD, same bit values): without
 * TUNOFFLOAD_CSUM none; TSO_ECN beside TSO4 or TSO6; USO4 and USO6 together. Unknown bits:
 * EINVAL. A tun starts with none, a tap or vmnet with all; every close goes back to that.
 */
#define TUNSVNETHDR	_IOW('t', 91, int)
#define TUNGVNETHDR	_IOR('t', 94, int)
#define TUNSOFFLOAD	_IOW('t', 100, int)
#define TUNGOFFLOAD	_IOR('t', 100, int)

#define TUNOFFLOAD_CSUM		0x01	/* partial checksums (VIRTIO_NET_HDR_F_NEEDS_CSUM) */
#define TUNOFFLOAD_TSO4		0x02	/* TCPv4 segmentation (64 KiB packets) */
#define TUNOFFLOAD_TSO6		0x04	/* TCPv6 segmentation */
#define TUNOFFLOAD_TSO_ECN	0x08	/* TCP segmentation with ECN */
#define TUNOFFLOAD_USO4		0x20	/* UDP segmentation, IPv4 */
#define TUNOFFLOAD_USO6		0x40	/* UDP segmentation, IPv6 */

/* The unit's state in rtnetlink: IFLA_BSDTUN_*. */
#include <net/tuntap_rs_link.h>

#endif /* _TUNTAP_RS_NET_IF_TUN_H */
