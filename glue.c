// SPDX-License-Identifier: GPL-2.0
/*
 * tuntap_rs C glue: see glue.h. Each function is a thin wrapper; all decisions are in Rust.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/fs.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/uio.h>
#include <linux/virtio_net.h>
#include <net/net_namespace.h>

#include "glue.h"
#include "include/net/tuntap_rs_link.h"

/* The Rust side (netdev/sys.rs, driver.rs) asserts the same: a drifted declaration breaks the build. */
static_assert(sizeof(struct tuntap_rs_link_info) == 16);
static_assert(TUNTAP_RS_KIND_VMNET == 2 && TUNTAP_RS_KINDS == 3);
/* netdev/skb.rs links its queue through `skb->next` without a call: the struct's first word. */
static_assert(offsetof(struct sk_buff, next) == 0);

/* --- net_device ------------------------------------------------------------------------- */

static netdev_tx_t tuntap_rs_xmit(struct sk_buff *skb, struct net_device *dev)
{
	return tuntap_rs_ndo_start_xmit(skb, dev);
}

/* ethtool: every callback is Rust's. */
static const struct ethtool_ops tuntap_rs_ethtool_ops = {
	.get_drvinfo = tuntap_rs_ethtool_get_drvinfo,
	.get_link = tuntap_rs_ethtool_get_link,
	.get_link_ksettings = tuntap_rs_ethtool_get_link_ksettings,
	.get_sset_count = tuntap_rs_ethtool_get_sset_count,
	.get_strings = tuntap_rs_ethtool_get_strings,
	.get_ethtool_stats = tuntap_rs_ethtool_get_stats,
};

static const struct net_device_ops tuntap_rs_netdev_ops = {
	.ndo_open = tuntap_rs_ndo_open,
	.ndo_stop = tuntap_rs_ndo_stop,
	.ndo_start_xmit = tuntap_rs_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
	.ndo_fix_features = tuntap_rs_ndo_fix_features,
};

/* Ethernet units also take a new address (FreeBSD: ifconfig tapN ether ...). */
static const struct net_device_ops tuntap_rs_eth_netdev_ops = {
	.ndo_open = tuntap_rs_ndo_open,
	.ndo_stop = tuntap_rs_ndo_stop,
	.ndo_start_xmit = tuntap_rs_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
	.ndo_fix_features = tuntap_rs_ndo_fix_features,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/* --- rtnetlink: one link kind per driver, `ip link add tun5 type bsdtun` ------------------- */

static void tuntap_rs_setup(struct net_device *dev, unsigned int kind)
{
	dev->netdev_ops = &tuntap_rs_netdev_ops;
	dev->ethtool_ops = &tuntap_rs_ethtool_ops;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	/* The unit's own lock serialises transmission: no per-packet netif_tx_lock (as tun). */
	dev->lltx = true;
	tuntap_rs_link_setup(dev, kind);
}

static void tuntap_rs_setup_tun(struct net_device *dev)
{
	tuntap_rs_setup(dev, TUNTAP_RS_KIND_TUN);
}

static void tuntap_rs_setup_tap(struct net_device *dev)
{
	tuntap_rs_setup(dev, TUNTAP_RS_KIND_TAP);
}

static void tuntap_rs_setup_vmnet(struct net_device *dev)
{
	tuntap_rs_setup(dev, TUNTAP_RS_KIND_VMNET);
}

static struct rtnl_link_ops tuntap_rs_link_ops[TUNTAP_RS_KINDS];

static unsigned int tuntap_rs_kind_of(const struct net_device *dev)
{
	return dev->rtnl_link_ops - tuntap_rs_link_ops;
}

static int tuntap_rs_newlink(struct net_device *dev, struct rtnl_newlink_params *params,
			     struct netlink_ext_ack *extack)
{
	return tuntap_rs_link_new(dev, tuntap_rs_kind_of(dev), extack);
}

/* What NL_SET_ERR_MSG() (a macro, for literals only) does: `msg` is a static string. */
void tuntap_rs_extack_msg(struct netlink_ext_ack *extack, const char *msg)
{
	extack->_msg = msg;
}

/* IFLA_BSDTUN_* (<net/if_tun.h>): unit, mode, open, pid, transient, vnet header. */
static size_t tuntap_rs_get_size(const struct net_device *dev)
{
	return 3 * nla_total_size(sizeof(u8)) + 3 * nla_total_size(sizeof(u32));
}

static int tuntap_rs_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	struct tuntap_rs_link_info info;

	/* Not yet or no longer bound to a unit: nothing to say. */
	if (!tuntap_rs_netdev_unit((struct net_device *)dev))
		return 0;
	tuntap_rs_link_info((struct net_device *)dev, &info);
	if (nla_put_u32(skb, IFLA_BSDTUN_UNIT, info.unit) ||
	    nla_put_u8(skb, IFLA_BSDTUN_MODE, info.mode) ||
	    nla_put_u8(skb, IFLA_BSDTUN_OPEN, info.open) ||
	    nla_put_u32(skb, IFLA_BSDTUN_PID, info.pid) ||
	    nla_put_u8(skb, IFLA_BSDTUN_TRANSIENT, info.transient) ||
	    nla_put_u32(skb, IFLA_BSDTUN_VNET_HDR, info.vnet_hdr))
		return -EMSGSIZE;
	return 0;
}

static void tuntap_rs_dellink(struct net_device *dev, struct list_head *head)
{
	tuntap_rs_link_del(dev);
	unregister_netdevice_queue(dev, head);
}

static struct rtnl_link_ops tuntap_rs_link_ops[TUNTAP_RS_KINDS] = {
	[TUNTAP_RS_KIND_TUN] = {
		.priv_size = sizeof(void *),
		.setup = tuntap_rs_setup_tun,
		.newlink = tuntap_rs_newlink,
		.dellink = tuntap_rs_dellink,
		.get_size = tuntap_rs_get_size,
		.fill_info = tuntap_rs_fill_info,
	},
	[TUNTAP_RS_KIND_TAP] = {
		.priv_size = sizeof(void *),
		.setup = tuntap_rs_setup_tap,
		.newlink = tuntap_rs_newlink,
		.dellink = tuntap_rs_dellink,
		.get_size = tuntap_rs_get_size,
		.fill_info = tuntap_rs_fill_info,
	},
	[TUNTAP_RS_KIND_VMNET] = {
		.priv_size = sizeof(void *),
		.setup = tuntap_rs_setup_vmnet,
		.newlink = tuntap_rs_newlink,
		.dellink = tuntap_rs_dellink,
		.get_size = tuntap_rs_get_size,
		.fill_info = tuntap_rs_fill_info,
	},
};

/* rtnl_link_register() of link kind `kind` under `name` (static: rtnetlink keeps it). */
int tuntap_rs_link_register(unsigned int kind, const char *name)
{
	if (kind >= TUNTAP_RS_KINDS)
		return -EINVAL;
	tuntap_rs_link_ops[kind].kind = name;
	return rtnl_link_register(&tuntap_rs_link_ops[kind]);
}

/* rtnl_link_unregister(): destroys every device of the kind, in every namespace. */
void tuntap_rs_link_unregister(unsigned int kind)
{
	rtnl_link_unregister(&tuntap_rs_link_ops[kind]);
}

/* A cloned unit is allocated as rtnetlink would, so that it can be deleted the same way. */
struct net_device *tuntap_rs_netdev_alloc(unsigned int kind, struct net *net)
{
	const struct rtnl_link_ops *ops = &tuntap_rs_link_ops[kind];
	struct net_device *dev = alloc_netdev(ops->priv_size, "tuntap%d", NET_NAME_USER,
					      ops->setup);

	if (!dev)
		return NULL;
	dev_net_set(dev, net);
	dev->rtnl_link_ops = ops;
	return dev;
}

void tuntap_rs_netdev_free(struct net_device *dev)
{
	free_netdev(dev);
}

const void *tuntap_rs_netdev_unit(struct net_device *dev)
{
	return *(const void **)netdev_priv(dev);
}

static void tuntap_rs_netdev_destructor(struct net_device *dev)
{
	tuntap_rs_netdev_release(dev);
}

int tuntap_rs_netdev_register(struct net_device *dev, const void *unit)
{
	int err;

	ASSERT_RTNL();
	*(const void **)netdev_priv(dev) = unit;
	err = register_netdevice(dev);
	/* From here on the device holds the unit; it lets go once it is unregistered. */
	if (!err)
		dev->priv_destructor = tuntap_rs_netdev_destructor;
	return err;
}

void tuntap_rs_netdev_unregister(struct net_device *dev)
{
	ASSERT_RTNL();
	unregister_netdevice(dev);
}

bool tuntap_rs_netdev_registered(struct net_device *dev)
{
	return READ_ONCE(dev->reg_state) == NETREG_REGISTERED;
}

void tuntap_rs_netdev_hold(struct net_device *dev)
{
	dev_hold(dev);
}

void tuntap_rs_netdev_put(struct net_device *dev)
{
	dev_put(dev);
}

void tuntap_rs_netdev_set_name(struct net_device *dev, const char *name)
{
	strscpy(dev->name, name, IFNAMSIZ);
}

void tuntap_rs_netdev_name_locked(struct net_device *dev, char *buf)
{
	ASSERT_RTNL();
	strscpy(buf, dev->name, IFNAMSIZ);
}

bool tuntap_rs_netdev_name_taken(struct net_device *dev, const char *name)
{
	ASSERT_RTNL();
	return __dev_get_by_name(dev_net(dev), name);
}

void tuntap_rs_netdev_setup_l3(struct net_device *dev, unsigned short type, unsigned int flags,
			       unsigned int mtu, unsigned int min_mtu, unsigned int max_mtu,
			       unsigned int tx_queue_len, netdev_features_t features)
{
	dev->type = type;
	dev->flags = flags;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->mtu = mtu;
	dev->min_mtu = min_mtu;
	dev->max_mtu = max_mtu;
	dev->tx_queue_len = tx_queue_len;
	dev->hw_features = features;
	dev->features = features;
	/* alloc_netdev() marked the device queueless, as its setup left tx_queue_len 0. */
	dev->priv_flags &= ~IFF_NO_QUEUE;
}

void tuntap_rs_netdev_setup_eth(struct net_device *dev, unsigned int max_mtu,
				unsigned int tx_queue_len, netdev_features_t features)
{
	ether_setup(dev);
	dev->netdev_ops = &tuntap_rs_eth_netdev_ops;
	eth_hw_addr_random(dev);
	dev->hw_features = features;
	dev->features = features;
	dev->max_mtu = max_mtu;
	dev->tx_queue_len = tx_queue_len;
	/* alloc_netdev() marked the device queueless, as its setup left tx_queue_len 0. */
	dev->priv_flags &= ~IFF_NO_QUEUE;
}

void tuntap_rs_netdev_mac(struct net_device *dev, u8 *buf)
{
	memcpy(buf, dev->dev_addr, ETH_ALEN);
}

void tuntap_rs_netdev_update_features(struct net_device *dev)
{
	netdev_update_features(dev);
}

unsigned int tuntap_rs_netdev_flags(struct net_device *dev)
{
	return READ_ONCE(dev->flags);
}

void tuntap_rs_netdev_set_flags_raw(struct net_device *dev, unsigned int flags)
{
	ASSERT_RTNL();
	WRITE_ONCE(dev->flags, flags);
}

/* The flags as the user set them: PROMISC and ALLMULTI are the user's, not the counted ones. */
unsigned int tuntap_rs_netdev_user_flags(struct net_device *dev)
{
	return netif_get_flags(dev);
}

int tuntap_rs_netdev_change_flags(struct net_device *dev, unsigned int flags)
{
	return dev_change_flags(dev, flags, NULL);
}

struct net *tuntap_rs_netdev_net(struct net_device *dev)
{
	return dev_net(dev);
}

unsigned int tuntap_rs_netdev_mtu(struct net_device *dev)
{
	return READ_ONCE(dev->mtu);
}

int tuntap_rs_netdev_set_mtu(struct net_device *dev, int mtu)
{
	return dev_set_mtu(dev, mtu);
}

unsigned int tuntap_rs_netdev_tx_queue_len(struct net_device *dev)
{
	return READ_ONCE(dev->tx_queue_len);
}

void tuntap_rs_netdev_carrier(struct net_device *dev, bool on)
{
	if (on)
		netif_carrier_on(dev);
	else
		netif_carrier_off(dev);
}

void tuntap_rs_netdev_start_queue(struct net_device *dev)
{
	netif_start_queue(dev);
}

void tuntap_rs_netdev_stop_queue(struct net_device *dev)
{
	netif_stop_queue(dev);
}

/*
 * From a read, in process context: with bottom halves off, the qdisc run it schedules happens
 * here at local_bh_enable(), not in ksoftirqd after a wake-up.
 */
void tuntap_rs_netdev_wake_queue(struct net_device *dev)
{
	local_bh_disable();
	netif_wake_queue(dev);
	local_bh_enable();
}

bool tuntap_rs_netdev_queue_stopped(struct net_device *dev)
{
	return netif_queue_stopped(dev);
}

/* --- statistics ------------------------------------------------------------------------- */

void tuntap_rs_stats_rx(struct net_device *dev, unsigned int len)
{
	dev_sw_netstats_rx_add(dev, len);
}

void tuntap_rs_stats_tx(struct net_device *dev, unsigned int len)
{
	dev_sw_netstats_tx_add(dev, 1, len);
}

void tuntap_rs_stats_rx_dropped(struct net_device *dev)
{
	dev_core_stats_rx_dropped_inc(dev);
}

void tuntap_rs_stats_tx_dropped(struct net_device *dev)
{
	dev_core_stats_tx_dropped_inc(dev);
}

void tuntap_rs_stats_rx_errors(struct net_device *dev)
{
	DEV_STATS_INC(dev, rx_errors);
}

void tuntap_rs_stats_tx_errors(struct net_device *dev)
{
	DEV_STATS_INC(dev, tx_errors);
}

/* --- namespaces, RTNL, privileges --------------------------------------------------------- */

struct net *tuntap_rs_current_net(void)
{
	/* An exiting task has no nsproxy any more. */
	if (!current->nsproxy)
		return NULL;
	return get_net(current->nsproxy->net_ns);
}

void tuntap_rs_put_net(struct net *net)
{
	put_net(net);
}

void tuntap_rs_rtnl_lock(void)
{
	rtnl_lock();
}

void tuntap_rs_rtnl_unlock(void)
{
	rtnl_unlock();
}

/* --- sk_buff ------------------------------------------------------------------------------ */

/*
 * An skb for `linear` bytes in its head, after the receive headroom, and `paged` more in page
 * fragments (alloc_skb_with_frags(), as Linux's tun builds a large write).
 */
struct sk_buff *tuntap_rs_skb_alloc(struct net_device *dev, unsigned int linear,
				    unsigned int paged)
{
	struct sk_buff *skb;
	int err;

	if (!paged)
		skb = alloc_skb(linear + NET_SKB_PAD + NET_IP_ALIGN, GFP_KERNEL);
	else
		skb = alloc_skb_with_frags(linear + NET_SKB_PAD + NET_IP_ALIGN, paged,
					   PAGE_ALLOC_COSTLY_ORDER, &err, GFP_KERNEL);
	if (skb) {
		skb_reserve(skb, NET_SKB_PAD + NET_IP_ALIGN);
		skb->dev = dev;
	}
	return skb;
}

/* Fills an skb from tuntap_rs_skb_alloc() with `linear + paged` bytes from `from`. */
int tuntap_rs_skb_put_from_iter(struct sk_buff *skb, struct iov_iter *from, unsigned int linear,
				unsigned int paged)
{
	if (!paged)
		return copy_from_iter_full(skb_put(skb, linear), linear, from) ? 0 : -EFAULT;
	skb_put(skb, linear);
	skb->data_len = paged;
	skb->len += paged;
	return skb_copy_datagram_from_iter_full(skb, 0, from, linear + paged);
}

/*
 * Writes come from process context: the packet goes through the stack right here, in the
 * writer's system call with bottom halves off (as Linux's tun does), instead of through the
 * per-CPU backlog and a softirq (netif_rx). RPS, when configured, still steers it.
 */
static void tuntap_rs_receive(struct sk_buff *skb)
{
	local_bh_disable();
	netif_receive_skb(skb);
	local_bh_enable();
}

void tuntap_rs_skb_rx(struct sk_buff *skb, struct net_device *dev, __be16 protocol)
{
	skb->dev = dev;
	skb->protocol = protocol;
	skb->pkt_type = PACKET_HOST;
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	tuntap_rs_receive(skb);
}

void tuntap_rs_skb_rx_eth(struct sk_buff *skb, struct net_device *dev)
{
	skb->protocol = eth_type_trans(skb, dev);
	tuntap_rs_receive(skb);
}

/* virtio_net_hdr_from_skb(), with the VLAN tag's length the skb reports. */
int tuntap_rs_skb_vnet_hdr_from(const struct sk_buff *skb, void *hdr, bool little_endian,
				bool has_data_valid)
{
	int vlan_hlen = skb_vlan_tag_present(skb) ? VLAN_HLEN : 0;

	return virtio_net_hdr_from_skb(skb, hdr, little_endian, has_data_valid, vlan_hlen);
}

/* virtio_net_hdr_to_skb() on a packet whose link header starts at its data, whose network
 * header starts `network` bytes in (-1: not known) and whose protocol is `protocol` (0: not
 * known). */
int tuntap_rs_skb_vnet_hdr_to(struct sk_buff *skb, const void *hdr, bool little_endian,
			      int network, __be16 protocol)
{
	skb_reset_mac_header(skb);
	if (network >= 0)
		skb_set_network_header(skb, network);
	if (protocol)
		skb->protocol = protocol;
	return virtio_net_hdr_to_skb(skb, hdr, little_endian);
}

/* Where `skb->len` lies: netdev/skb.rs reads it without a call, twice per packet. */
const unsigned int tuntap_rs_skb_len_offset = offsetof(struct sk_buff, len);
static_assert(sizeof_field(struct sk_buff, len) == sizeof(unsigned int));

__be16 tuntap_rs_skb_protocol(const struct sk_buff *skb)
{
	return skb->protocol;
}

int tuntap_rs_skb_push(struct sk_buff *skb, const void *data, unsigned int len)
{
	int err = skb_cow_head(skb, len);

	if (err)
		return err;
	memcpy(skb_push(skb, len), data, len);
	return 0;
}

int tuntap_rs_skb_orphan(struct sk_buff *skb)
{
	if (unlikely(skb_orphan_frags_rx(skb, GFP_ATOMIC)))
		return -ENOMEM;
	skb_orphan(skb);
	nf_reset_ct(skb);
	return 0;
}

/* --- files ------------------------------------------------------------------------------- */

/* RWF_NOWAIT's request flag (a macro with a cast); O_NONBLOCK Rust reads itself. */
bool tuntap_rs_kiocb_nowait(struct kiocb *iocb)
{
	return iocb->ki_flags & IOCB_NOWAIT;
}

/* f_getown() is not exported to modules; this is its body. */
int tuntap_rs_f_getown(struct file *file)
{
	struct fown_struct *f_owner = file_f_owner(file);
	pid_t pid = 0;

	if (!f_owner)
		return 0;
	read_lock_irq(&f_owner->lock);
	rcu_read_lock();
	if (pid_task(f_owner->pid, f_owner->pid_type)) {
		pid = pid_vnr(f_owner->pid);
		if (f_owner->pid_type == PIDTYPE_PGID)
			pid = -pid;
	}
	rcu_read_unlock();
	read_unlock_irq(&f_owner->lock);
	return pid;
}
