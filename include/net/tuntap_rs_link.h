/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * <net/tuntap_rs_link.h>: tuntap_rs's rtnetlink attributes, for the kernel module and for user
 * space (included by <net/if_tun.h>). No other includes: the module's glue includes it too.
 */
#ifndef _TUNTAP_RS_NET_LINK_H
#define _TUNTAP_RS_NET_LINK_H

/*
 * The unit's state in rtnetlink (IFLA_INFO_DATA of the link kinds bsdtun, bsdtap and bsdvmnet),
 * what FreeBSD's `ifconfig tun0` shows as "Opened by PID N". `ip -d link show` prints it with
 * the iproute2 plugin in tools/iproute2 (see Documentation/tuntap_rs.rst).
 */
enum {
	IFLA_BSDTUN_UNSPEC,
	IFLA_BSDTUN_UNIT,	/* u32: N in tunN */
	IFLA_BSDTUN_MODE,	/* u8: BSDTUN_MODE_* */
	IFLA_BSDTUN_OPEN,	/* u8: a file is bound to the unit */
	IFLA_BSDTUN_PID,	/* u32: the controlling process (opener or TUNSIFPID), 0 if closed */
	IFLA_BSDTUN_TRANSIENT,	/* u8: destroyed on the last close (TUNSTRANSIENT) */
	IFLA_BSDTUN_VNET_HDR,	/* u32: virtio-net header length (TAPSVNETHDR), 0 if off */
	__IFLA_BSDTUN_MAX,
};
#define IFLA_BSDTUN_MAX	(__IFLA_BSDTUN_MAX - 1)

/* IFLA_BSDTUN_MODE: how packets are framed on the file. */
enum {
	BSDTUN_MODE_PLAIN,	/* tun: bare IPv4 packets */
	BSDTUN_MODE_IFHEAD,	/* tun: TUNSIFHEAD, a 4-byte address family first */
	BSDTUN_MODE_LMODE,	/* tun: TUNSLMODE, the destination sockaddr first (reads) */
	BSDTUN_MODE_ETHERNET,	/* tap, vmnet: Ethernet frames */
};

#endif /* _TUNTAP_RS_NET_LINK_H */
