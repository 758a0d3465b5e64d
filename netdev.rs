// SPDX-License-Identifier: GPL-2.0

//! The network side: thin, safe wrappers over `net_device`, `sk_buff`, network namespaces and
//! RTNL (through `glue.c`), and the `net_device_ops`, ethtool and rtnetlink entry points, which
//! an [`Adapter`] generic over the driver's [`NetDriver`] and [`NetUnit`] implementations
//! forwards to the driver. Nothing here names the driver: the crate root instantiates the
//! adapter with [`export_net_driver!`].
//!
//! # Lifetimes
//!
//! A [`NetDev`] is a field of its unit (the [`NetUnit`]). Every unit's device is created the way rtnetlink
//! creates one (same setup, same `rtnl_link_ops`), by cloning or by `ip link add`, so that
//! `ip link del`, namespace teardown and module unload (`rtnl_link_unregister()`) destroy any
//! unit the same way: through `dellink`, under RTNL.
//!
//! While registered, the device's private area holds a counted reference to its unit, so ndo
//! callbacks and `dellink` always find it. The device drops that reference in its destructor,
//! after it is unregistered and its last user is gone; the unit, and with it the net_device's
//! memory, lives on while a file still refers to it. A dead unit's file only reads fields of
//! the net_device; anything that needs it registered (statistics) goes through [`Live`].
//!
//! # Locking
//!
//! [`Rtnl`] is the RTNL mutex; where it nests: the crate root's lock order.

mod device;
mod driver;
mod irqlock;
mod skb;
mod sys;

pub(crate) use device::{
    register,
    Live,
    NetDev, //
};
pub(crate) use driver::{
    export_net_driver,
    Adapter,
    EthtoolLink,
    LinkError,
    LinkInfo,
    LinkKinds,
    LinkSetup,
    NetDriver,
    NetUnit, //
};
pub(crate) use irqlock::{
    new_spinlock_irqsave,
    SpinLockIrqSave, //
};
pub(crate) use skb::{
    Skb,
    SkbQueue, //
};

/// The error and drop counters of a net_device (`ip -s link`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Counter {
    /// `rx_dropped`: a frame written by userspace that the interface did not take.
    RxDropped,
    /// `tx_dropped`: a packet the stack sent that no reader will get.
    TxDropped,
    /// `rx_errors`: a frame written by userspace that was malformed.
    RxErrors,
    /// `tx_errors`: a packet that could not be queued for the reader.
    TxErrors,
}

/// `NETIF_F_*` device features (`netdev_features_t`), from the kernel's bit numbers.
pub(crate) mod features {
    use kernel::bindings;

    /// Scatter-gather.
    pub(crate) const SG: u64 = 1 << bindings::NETIF_F_SG_BIT;
    /// Checksums of any protocol (the virtio-net header's `csum_start`/`csum_offset`).
    pub(crate) const HW_CSUM: u64 = 1 << bindings::NETIF_F_HW_CSUM_BIT;
    /// Fragment lists.
    pub(crate) const FRAGLIST: u64 = 1 << bindings::NETIF_F_FRAGLIST_BIT;
    /// TCPv4 segmentation.
    pub(crate) const TSO: u64 = 1 << bindings::NETIF_F_TSO_BIT;
    /// TCP segmentation with ECN.
    pub(crate) const TSO_ECN: u64 = 1 << bindings::NETIF_F_TSO_ECN_BIT;
    /// TCPv6 segmentation.
    pub(crate) const TSO6: u64 = 1 << bindings::NETIF_F_TSO6_BIT;
    /// UDP segmentation (USO).
    pub(crate) const GSO_UDP_L4: u64 = 1 << bindings::NETIF_F_GSO_UDP_L4_BIT;
}

use core::{
    mem::ManuallyDrop,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    prelude::*,
    transmute::{
        AsBytes,
        FromBytes, //
    },
};

/// The link layer of a driver's interfaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkLayer {
    /// Point-to-point IP: frames are bare IPv4/IPv6 packets (tun).
    Ip,
    /// Ethernet: frames carry an Ethernet header (tap, vmnet).
    Ethernet,
}

/// `IFF_*` interface flags (`<linux/if.h>`).
pub(crate) mod iff {
    pub(crate) const UP: u32 = 0x1;
    pub(crate) const BROADCAST: u32 = 0x2;
    pub(crate) const LOOPBACK: u32 = 0x8;
    pub(crate) const POINTOPOINT: u32 = 0x10;
    pub(crate) const RUNNING: u32 = 0x40;
    pub(crate) const NOARP: u32 = 0x80;
    pub(crate) const PROMISC: u32 = 0x100;
    pub(crate) const ALLMULTI: u32 = 0x200;
    pub(crate) const MASTER: u32 = 0x400;
    pub(crate) const SLAVE: u32 = 0x800;
    pub(crate) const MULTICAST: u32 = 0x1000;
}

/// EtherType values of the packets a tun carries.
pub(crate) const ETH_P_IP: u16 = 0x0800;
/// IPv6 EtherType.
pub(crate) const ETH_P_IPV6: u16 = 0x86dd;

/// How an interface looks to the stack.
pub(crate) struct Setup {
    /// Its link layer.
    pub(crate) link: LinkLayer,
    /// `ARPHRD_*` type (layer 3 only; Ethernet is `ARPHRD_ETHER`).
    pub(crate) type_: u16,
    /// Initial `IFF_*` flags (layer 3 only; Ethernet gets `ether_setup()`'s).
    pub(crate) flags: u32,
    /// Initial MTU (layer 3 only; Ethernet starts at 1500).
    pub(crate) mtu: u32,
    /// Smallest MTU accepted (layer 3 only; Ethernet: 68).
    pub(crate) min_mtu: u32,
    /// Largest MTU accepted.
    pub(crate) max_mtu: u32,
    /// Initial `txqueuelen`: the bound of the unit's packet queue.
    pub(crate) tx_queue_len: u32,
    /// The `NETIF_F_*` features offered (`hw_features`, which `ethtool -K` may turn off) and
    /// on at first; `ndo_fix_features` asks the unit which it can take at the time.
    pub(crate) features: u64,
}

/// `struct virtio_net_hdr` (`<linux/virtio_net.h>`): a packet's checksum and segmentation
/// state, little-endian (virtio 1.0) as programs read and write it. The 16-bit fields hold
/// the little-endian representation; the accessors convert.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct VirtioNetHdr {
    /// `VIRTIO_NET_HDR_F_*`.
    pub(crate) flags: u8,
    /// `VIRTIO_NET_HDR_GSO_*`.
    pub(crate) gso_type: u8,
    hdr_len: u16,
    gso_size: u16,
    csum_start: u16,
    csum_offset: u16,
}

/// Length of a `struct virtio_net_hdr`.
pub(crate) const VNET_HDR_LEN: usize = core::mem::size_of::<VirtioNetHdr>();
const _: () = assert!(VNET_HDR_LEN == 10);

// SAFETY: Integers only, no padding (asserted above): every bit pattern is a valid header.
unsafe impl FromBytes for VirtioNetHdr {}
// SAFETY: Integers only, no padding: every byte is initialised.
unsafe impl AsBytes for VirtioNetHdr {}

impl VirtioNetHdr {
    /// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: the checksum at `csum_start + csum_offset` is partial.
    pub(crate) const NEEDS_CSUM: u8 = 1;

    /// Length of the headers before the payload (Ethernet, IP, TCP/UDP).
    pub(crate) const fn hdr_len(&self) -> u16 {
        u16::from_le(self.hdr_len)
    }

    /// Where checksumming starts.
    pub(crate) const fn csum_start(&self) -> u16 {
        u16::from_le(self.csum_start)
    }

    /// Where the checksum goes, from `csum_start`.
    pub(crate) const fn csum_offset(&self) -> u16 {
        u16::from_le(self.csum_offset)
    }
}

/// Length of an Ethernet header.
pub(crate) const ETH_HLEN: usize = 14;

/// A reference to a network namespace.
///
/// # Invariants
///
/// `net` holds a reference taken with `get_net()`, dropped in [`Drop`].
pub(crate) struct Net {
    net: NonNull<bindings::net>,
}

// SAFETY: A counted `struct net` reference may be used and dropped on any thread.
unsafe impl Send for Net {}
// SAFETY: The methods only read through the pointer.
unsafe impl Sync for Net {}

impl Net {
    /// The current task's network namespace (`ENXIO` for an exiting task, which has none).
    pub(crate) fn current() -> Result<Net> {
        // SAFETY: Callable from process context; returns a counted reference or null.
        let net = NonNull::new(unsafe { sys::tuntap_rs_current_net() }).ok_or(ENXIO)?;
        // INVARIANT: `get_net()` took a reference.
        Ok(Net { net })
    }

    /// Whether the current task has `CAP_NET_ADMIN` in this namespace's user namespace.
    pub(crate) fn admin_capable(&self) -> bool {
        // SAFETY: `self.net` is a valid, counted namespace.
        unsafe { net_admin_capable(self.net.as_ptr()) }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we own one reference.
        unsafe { sys::tuntap_rs_put_net(self.net.as_ptr()) };
    }
}

/// Whether the current task has `CAP_NET_ADMIN` in the user namespace owning `net`.
///
/// # Safety
///
/// `net` must be a valid network namespace for the duration of the call.
unsafe fn net_admin_capable(net: *mut bindings::net) -> bool {
    // SAFETY: `net` is valid; a namespace's `user_ns` is set at creation and never changes.
    unsafe { bindings::ns_capable((*net).user_ns, bindings::CAP_NET_ADMIN as c_int) }
}

/// The RTNL lock, held while this guard lives. A mutex is released by the task that took it:
/// the guard is neither `Send` nor `Sync`.
pub(crate) struct Rtnl {
    _not_send: core::marker::PhantomData<*mut ()>,
}

impl Rtnl {
    /// Takes RTNL (sleeps).
    pub(crate) fn lock() -> Rtnl {
        // SAFETY: Process context; unlocked in `Drop`.
        unsafe { sys::tuntap_rs_rtnl_lock() };
        Rtnl {
            _not_send: core::marker::PhantomData,
        }
    }

    /// RTNL as held by the caller (an rtnetlink callback): not released when dropped.
    ///
    /// # Safety
    ///
    /// The caller must hold RTNL for as long as the returned value lives.
    unsafe fn held() -> ManuallyDrop<Rtnl> {
        ManuallyDrop::new(Rtnl {
            _not_send: core::marker::PhantomData,
        })
    }
}

impl Drop for Rtnl {
    fn drop(&mut self) {
        // SAFETY: This guard took RTNL.
        unsafe { sys::tuntap_rs_rtnl_unlock() };
    }
}
