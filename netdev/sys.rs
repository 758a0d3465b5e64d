// SPDX-License-Identifier: GPL-2.0

//! The C side of the network layer: declarations of `glue.c` (see `glue.h`) and the
//! structures both sides share.
//!
//! Private to [`crate::netdev`]: everything else goes through its safe wrappers. (The
//! char-device layer declares its two glue helpers itself, in `cdev.rs`.)

use kernel::{
    bindings,
    prelude::*, //
};

/// `struct tuntap_rs_link_info`: a unit's state for rtnetlink (`IFLA_BSDTUN_*`).
#[repr(C)]
pub(crate) struct LinkInfo {
    /// N in `tunN`.
    pub(crate) unit: u32,
    /// The controlling process, 0 if closed.
    pub(crate) pid: u32,
    /// The virtio-net header's length, 0 if off.
    pub(crate) vnet_hdr: u32,
    /// `BSDTUN_MODE_*`.
    pub(crate) mode: u8,
    /// A file is bound.
    pub(crate) open: bool,
    /// Destroyed on the last close.
    pub(crate) transient: bool,
}

// The C glue asserts the same sizes of its side (`glue.c`): a drifted field breaks the build
// on one side or the other instead of reading garbage.
const _: () = assert!(core::mem::size_of::<LinkInfo>() == 16);
// Some kernel structures reach Rust as bindgen's zero-sized placeholders; we only pass pointers
// to them, as the kernel's own `bindings` crate does.
#[expect(improper_ctypes)]
extern "C" {
    /// `offsetof(struct sk_buff, len)`.
    pub(crate) static tuntap_rs_skb_len_offset: c_uint;
    pub(crate) fn tuntap_rs_link_register(kind: c_uint, name: *const c_char) -> c_int;
    pub(crate) fn tuntap_rs_extack_msg(extack: *mut bindings::netlink_ext_ack, msg: *const c_char);
    pub(crate) fn tuntap_rs_link_unregister(kind: c_uint);
    pub(crate) fn tuntap_rs_netdev_alloc(
        kind: c_uint,
        net: *mut bindings::net,
    ) -> *mut bindings::net_device;
    pub(crate) fn tuntap_rs_netdev_free(dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_netdev_unit(dev: *mut bindings::net_device) -> *const c_void;
    pub(crate) fn tuntap_rs_netdev_setup_l3(
        dev: *mut bindings::net_device,
        type_: u16,
        flags: c_uint,
        mtu: c_uint,
        min_mtu: c_uint,
        max_mtu: c_uint,
        tx_queue_len: c_uint,
        features: u64,
    );
    pub(crate) fn tuntap_rs_netdev_setup_eth(
        dev: *mut bindings::net_device,
        max_mtu: c_uint,
        tx_queue_len: c_uint,
        features: u64,
    );
    pub(crate) fn tuntap_rs_netdev_mac(dev: *mut bindings::net_device, buf: *mut u8);
    pub(crate) fn tuntap_rs_netdev_update_features(dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_netdev_register(
        dev: *mut bindings::net_device,
        unit: *const c_void,
    ) -> c_int;
    pub(crate) fn tuntap_rs_netdev_unregister(dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_netdev_registered(dev: *mut bindings::net_device) -> bool;
    pub(crate) fn tuntap_rs_netdev_hold(dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_netdev_put(dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_netdev_set_name(dev: *mut bindings::net_device, name: *const c_char);
    pub(crate) fn tuntap_rs_netdev_name_locked(dev: *mut bindings::net_device, buf: *mut c_char);
    pub(crate) fn tuntap_rs_netdev_name_taken(
        dev: *mut bindings::net_device,
        name: *const c_char,
    ) -> bool;
    pub(crate) fn tuntap_rs_netdev_flags(dev: *mut bindings::net_device) -> c_uint;
    pub(crate) fn tuntap_rs_netdev_set_flags_raw(dev: *mut bindings::net_device, flags: c_uint);
    pub(crate) fn tuntap_rs_netdev_user_flags(dev: *mut bindings::net_device) -> c_uint;
    pub(crate) fn tuntap_rs_netdev_change_flags(
        dev: *mut bindings::net_device,
        flags: c_uint,
    ) -> c_int;
    pub(crate) fn tuntap_rs_netdev_net(dev: *mut bindings::net_device) -> *mut bindings::net;
    pub(crate) fn tuntap_rs_netdev_mtu(dev: *mut bindings::net_device) -> c_uint;
    pub(crate) fn tuntap_rs_netdev_set_mtu(dev: *mut bindings::net_device, mtu: c_int) -> c_int;
    pub(crate) fn tuntap_rs_netdev_tx_queue_len(dev: *mut bindings::net_device) -> c_uint;
    pub(crate) fn tuntap_rs_netdev_carrier(dev: *mut bindings::net_device, on: bool);
    pub(crate) fn tuntap_rs_netdev_start_queue(dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_netdev_stop_queue(dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_netdev_wake_queue(dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_netdev_queue_stopped(dev: *mut bindings::net_device) -> bool;

    pub(crate) fn tuntap_rs_stats_rx(dev: *mut bindings::net_device, len: c_uint);
    pub(crate) fn tuntap_rs_stats_tx(dev: *mut bindings::net_device, len: c_uint);
    pub(crate) fn tuntap_rs_stats_rx_dropped(dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_stats_tx_dropped(dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_stats_rx_errors(dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_stats_tx_errors(dev: *mut bindings::net_device);

    pub(crate) fn tuntap_rs_current_net() -> *mut bindings::net;
    pub(crate) fn tuntap_rs_put_net(net: *mut bindings::net);
    pub(crate) fn tuntap_rs_rtnl_lock();
    pub(crate) fn tuntap_rs_rtnl_unlock();

    pub(crate) fn tuntap_rs_skb_alloc(
        dev: *mut bindings::net_device,
        linear: c_uint,
        paged: c_uint,
    ) -> *mut bindings::sk_buff;
    pub(crate) fn tuntap_rs_skb_put_from_iter(
        skb: *mut bindings::sk_buff,
        from: *mut bindings::iov_iter,
        linear: c_uint,
        paged: c_uint,
    ) -> c_int;
    pub(crate) fn tuntap_rs_skb_rx(
        skb: *mut bindings::sk_buff,
        dev: *mut bindings::net_device,
        protocol: u16,
    );
    pub(crate) fn tuntap_rs_skb_rx_eth(skb: *mut bindings::sk_buff, dev: *mut bindings::net_device);
    pub(crate) fn tuntap_rs_skb_orphan(skb: *mut bindings::sk_buff) -> c_int;
    pub(crate) fn tuntap_rs_skb_vnet_hdr_from(
        skb: *const bindings::sk_buff,
        hdr: *mut c_void,
        little_endian: bool,
        has_data_valid: bool,
    ) -> c_int;
    pub(crate) fn tuntap_rs_skb_vnet_hdr_to(
        skb: *mut bindings::sk_buff,
        hdr: *const c_void,
        little_endian: bool,
        network: c_int,
        protocol: u16,
    ) -> c_int;
    pub(crate) fn tuntap_rs_skb_protocol(skb: *const bindings::sk_buff) -> u16;
    pub(crate) fn tuntap_rs_skb_push(
        skb: *mut bindings::sk_buff,
        data: *const c_void,
        len: c_uint,
    ) -> c_int;

}
