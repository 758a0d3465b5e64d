/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * <net/if_tap.h> for tuntap_rs: FreeBSD's tap(4) and vmnet interface on Linux.
 *
 * FreeBSD's names with Linux ioctl encodings; usable next to <linux/if_tun.h>. Include it
 * before any <linux/if.h> (it includes glibc's <net/if.h> through <net/if_tun.h>).
 */
#ifndef _TUNTAP_RS_NET_IF_TAP_H
#define _TUNTAP_RS_NET_IF_TAP_H

#include <net/if_tun.h>

/* Maximum receive frame size (hard limit). */
#define TAPMRU		65535

#define tapinfo		tuninfo

/* Aliases of the tun ioctls. */
#define TAPSDEBUG	TUNSDEBUG
#define TAPGDEBUG	TUNGDEBUG
#define TAPSIFINFO	TUNSIFINFO
#define TAPGIFINFO	TUNGIFINFO
#define TAPGIFNAME	TUNGIFNAME
#define TAPSTRANSIENT	TUNSTRANSIENT
#define TAPGTRANSIENT	TUNGTRANSIENT

/*
 * virtio-net header length (FreeBSD 15): 0, 10 (struct virtio_net_hdr) or 12 (struct
 * virtio_net_hdr_mrg_rxbuf); the header, little-endian, precedes every frame read or written.
 */
#define TAPSVNETHDR	_IOW('t', 91, int)
#define TAPGVNETHDR	_IOR('t', 94, int)

/*
 * VMware ioctls. VMIO_SIOCSIFFLAGS takes its int argument by value (FreeBSD's _IOWINT): on
 * Linux, an _IOC with no direction and the size of an int; pass the flags as the third
 * argument of ioctl(2) itself, not a pointer to them.
 */
#define VMIO_SIOCSIFFLAGS	_IOC(_IOC_NONE, 'V', 0, sizeof(int))

/*
 * FreeBSD's other VMware names, for code that names them: FreeBSD's driver implements none of
 * them, and neither does tuntap_rs (ENOTTY).
 */
#define VMIO_SIOCSKEEP		_IO('V', 1)
#define VMIO_SIOCSIFBR		_IO('V', 2)
#define VMIO_SIOCSLADRF		_IO('V', 3)
#define VMIO_SIOCSETMACADDR	_IO('V', 4)
#define VMIO_SIOCPORT		_IO('V', 5)
#define VMIO_SIOCBRIDGE		_IO('V', 6)
#define VMIO_SIOCNETIF		_IO('V', 7)

#endif /* _TUNTAP_RS_NET_IF_TAP_H */
