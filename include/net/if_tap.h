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

#endif /* _TUNTAP_RS_NET_IF_TAP_H */
