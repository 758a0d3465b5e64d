/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tuntap_rs C glue: one-line wrappers around kernel inline functions, macros and structure
 * fields that Rust cannot reach through 7.3's `kernel::bindings` (which has no netdevice API),
 * plus the ops tables, whose callbacks go straight to Rust. No decisions are made here: every
 * value that chooses comes from Rust. The functions are declared in Rust in `netdev/sys.rs`
 * (the network layer's) and `cdev.rs` (the two file helpers); what is left here and why:
 * Documentation/tuntap_rs.rst, "Architecture".
 */
#ifndef TUNTAP_RS_GLUE_H
#define TUNTAP_RS_GLUE_H

#include <linux/types.h>

struct net_device;
struct sk_buff;
struct net;
struct file;
struct inode;
struct iov_iter;
struct file_operations;
struct kiocb;
struct ethtool_drvinfo;
struct ethtool_link_ksettings;
struct ethtool_stats;

/* A unit's state for rtnetlink (IFLA_BSDTUN_* in <net/if_tun.h>). */
struct tuntap_rs_link_info {
	u32 unit;
	u32 pid;
	u32 vnet_hdr;
	u8 mode;
	bool open;
	bool transient;
};

/* Implemented in Rust (netdev.rs). */
void tuntap_rs_link_info(struct net_device *dev, struct tuntap_rs_link_info *out);
void tuntap_rs_ethtool_get_drvinfo(struct net_device *dev, struct ethtool_drvinfo *info);
u32 tuntap_rs_ethtool_get_link(struct net_device *dev);
int tuntap_rs_ethtool_get_link_ksettings(struct net_device *dev,
					 struct ethtool_link_ksettings *cmd);
int tuntap_rs_ethtool_get_sset_count(struct net_device *dev, int sset);
void tuntap_rs_ethtool_get_strings(struct net_device *dev, u32 sset, u8 *data);
void tuntap_rs_ethtool_get_stats(struct net_device *dev, struct ethtool_stats *stats, u64 *data);
u64 tuntap_rs_ndo_fix_features(struct net_device *dev, u64 features);
int tuntap_rs_ndo_open(struct net_device *dev);
int tuntap_rs_ndo_stop(struct net_device *dev);
int tuntap_rs_ndo_start_xmit(struct sk_buff *skb, struct net_device *dev);
void tuntap_rs_link_setup(struct net_device *dev, unsigned int kind);
int tuntap_rs_link_new(struct net_device *dev, unsigned int kind, struct netlink_ext_ack *extack);
void tuntap_rs_extack_msg(struct netlink_ext_ack *extack, const char *msg);
void tuntap_rs_link_del(struct net_device *dev);
void tuntap_rs_netdev_release(struct net_device *dev);

/* The drivers, in the order of Rust's `Kind`. */
enum {
	TUNTAP_RS_KIND_TUN = 0,		/* Rust's Kind::Tun as u32 (driver.rs) */
	TUNTAP_RS_KIND_TAP = 1,		/* Kind::Tap */
	TUNTAP_RS_KIND_VMNET = 2,	/* Kind::Vmnet */
	TUNTAP_RS_KINDS,
};

/* rtnetlink link kinds. */
int tuntap_rs_link_register(unsigned int kind, const char *name);
void tuntap_rs_link_unregister(unsigned int kind);

/* struct net_device. */
struct net_device *tuntap_rs_netdev_alloc(unsigned int kind, struct net *net);
void tuntap_rs_netdev_free(struct net_device *dev);
const void *tuntap_rs_netdev_unit(struct net_device *dev);
void tuntap_rs_netdev_setup_l3(struct net_device *dev, unsigned short type, unsigned int flags,
			       unsigned int mtu, unsigned int min_mtu, unsigned int max_mtu,
			       unsigned int tx_queue_len, u64 features);
void tuntap_rs_netdev_setup_eth(struct net_device *dev, unsigned int max_mtu,
				unsigned int tx_queue_len, u64 features);
void tuntap_rs_netdev_mac(struct net_device *dev, u8 *buf);
void tuntap_rs_netdev_update_features(struct net_device *dev);
int tuntap_rs_netdev_register(struct net_device *dev, const void *unit);
void tuntap_rs_netdev_unregister(struct net_device *dev);
bool tuntap_rs_netdev_registered(struct net_device *dev);
void tuntap_rs_netdev_hold(struct net_device *dev);
void tuntap_rs_netdev_put(struct net_device *dev);
void tuntap_rs_netdev_set_name(struct net_device *dev, const char *name);
void tuntap_rs_netdev_name_locked(struct net_device *dev, char *buf);
bool tuntap_rs_netdev_name_taken(struct net_device *dev, const char *name);
unsigned int tuntap_rs_netdev_flags(struct net_device *dev);
void tuntap_rs_netdev_set_flags_raw(struct net_device *dev, unsigned int flags);
unsigned int tuntap_rs_netdev_user_flags(struct net_device *dev);
int tuntap_rs_netdev_change_flags(struct net_device *dev, unsigned int flags);
struct net *tuntap_rs_netdev_net(struct net_device *dev);
unsigned int tuntap_rs_netdev_mtu(struct net_device *dev);
int tuntap_rs_netdev_set_mtu(struct net_device *dev, int mtu);
unsigned int tuntap_rs_netdev_tx_queue_len(struct net_device *dev);
void tuntap_rs_netdev_carrier(struct net_device *dev, bool on);
void tuntap_rs_netdev_start_queue(struct net_device *dev);
void tuntap_rs_netdev_stop_queue(struct net_device *dev);
void tuntap_rs_netdev_wake_queue(struct net_device *dev);
bool tuntap_rs_netdev_queue_stopped(struct net_device *dev);

/* Statistics. */
void tuntap_rs_stats_rx(struct net_device *dev, unsigned int len);
void tuntap_rs_stats_tx(struct net_device *dev, unsigned int len);
void tuntap_rs_stats_rx_dropped(struct net_device *dev);
void tuntap_rs_stats_tx_dropped(struct net_device *dev);
void tuntap_rs_stats_rx_errors(struct net_device *dev);
void tuntap_rs_stats_tx_errors(struct net_device *dev);

/* Network namespaces, RTNL and privileges. */
struct net *tuntap_rs_current_net(void);
void tuntap_rs_put_net(struct net *net);
void tuntap_rs_rtnl_lock(void);
void tuntap_rs_rtnl_unlock(void);

/* struct sk_buff. */
struct sk_buff *tuntap_rs_skb_alloc(struct net_device *dev, unsigned int linear,
				    unsigned int paged);
int tuntap_rs_skb_put_from_iter(struct sk_buff *skb, struct iov_iter *from, unsigned int linear,
				unsigned int paged);
void tuntap_rs_skb_rx(struct sk_buff *skb, struct net_device *dev, __be16 protocol);
void tuntap_rs_skb_rx_eth(struct sk_buff *skb, struct net_device *dev);
int tuntap_rs_skb_orphan(struct sk_buff *skb);
int tuntap_rs_skb_vnet_hdr_from(const struct sk_buff *skb, void *hdr, bool little_endian,
				bool has_data_valid);
int tuntap_rs_skb_vnet_hdr_to(struct sk_buff *skb, const void *hdr, bool little_endian,
			      int network, __be16 protocol);
extern const unsigned int tuntap_rs_skb_len_offset;
__be16 tuntap_rs_skb_protocol(const struct sk_buff *skb);
int tuntap_rs_skb_push(struct sk_buff *skb, const void *data, unsigned int len);

/* Files. */
bool tuntap_rs_kiocb_nowait(struct kiocb *iocb);
int tuntap_rs_f_getown(struct file *file);

#endif /* TUNTAP_RS_GLUE_H */
