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

use crate::sys;
use core::{
    mem::ManuallyDrop,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    error::to_result,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    prelude::*,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Full,
            Release, //
        },
        Arc,
    },
};

pub(crate) use sys::Counter;

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
}

/// Length of a `struct virtio_net_hdr`.
pub(crate) const VNET_HDR_LEN: usize = 10;

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
        unsafe { sys::tuntap_rs_net_admin_capable(self.net.as_ptr()) }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we own one reference.
        unsafe { sys::tuntap_rs_put_net(self.net.as_ptr()) };
    }
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

/// A unit's net_device.
///
/// # Invariants
///
/// `dev` is a valid tuntap_rs net_device (set up by `tuntap_rs_link_setup()`, with room for a
/// pointer in its private area). While `owned` is false it belongs to rtnetlink, which frees
/// it should its registration fail; once `owned` is true this `NetDev` frees it in [`Drop`].
/// While `registered` is true it is registered, and its private area holds a counted
/// reference to the unit containing this `NetDev`, which the device's destructor
/// (`tuntap_rs_netdev_release()`) drops once it is unregistered and unused: the unit outlives
/// the registration and every ndo callback.
pub(crate) struct NetDev {
    dev: NonNull<bindings::net_device>,
    owned: Atomic<bool>,
    registered: Atomic<bool>,
}

// SAFETY: The net_device API used here may be called from any thread.
unsafe impl Send for NetDev {}
// SAFETY: As above; concurrent calls are serialised by the kernel (RTNL, queue locks).
unsafe impl Sync for NetDev {}

impl NetDev {
    /// Allocates an unregistered net_device of link kind `kind` (an index of the C glue's
    /// `rtnl_link_ops`) in `net` (cloning), with a placeholder name.
    pub(crate) fn new(kind: u32, net: &Net) -> Result<NetDev> {
        // SAFETY: `net` is a valid, counted namespace; the device takes no reference to it.
        let dev = unsafe { sys::tuntap_rs_netdev_alloc(kind, net.net.as_ptr()) };
        let dev = NonNull::new(dev).ok_or(ENOMEM)?;
        // INVARIANT: Allocated by us, set up by our setup, not registered.
        Ok(NetDev {
            dev,
            owned: Atomic::new(true),
            registered: Atomic::new(false),
        })
    }

    /// Wraps a device rtnetlink allocated for `ip link add`.
    ///
    /// # Safety
    ///
    /// `dev` must be a valid, unregistered net_device set up by `tuntap_rs_link_setup()`,
    /// which rtnetlink frees should registration fail.
    unsafe fn adopt(dev: NonNull<bindings::net_device>) -> NetDev {
        // INVARIANT: rtnetlink's until registered.
        NetDev {
            dev,
            owned: Atomic::new(false),
            registered: Atomic::new(false),
        }
    }

    fn raw(&self) -> *mut bindings::net_device {
        self.dev.as_ptr()
    }

    /// The interface's current name (takes RTNL).
    pub(crate) fn name(&self) -> [u8; 16] {
        // Renames happen under RTNL (and the kernel's netdev_copy_name() is not exported).
        self.name_locked(&Rtnl::lock())
    }

    /// The Ethernet address (Ethernet interfaces).
    pub(crate) fn mac(&self) -> [u8; 6] {
        let mut mac = [0u8; 6];
        // SAFETY: `mac` has room for ETH_ALEN bytes; the device is valid.
        unsafe { sys::tuntap_rs_netdev_mac(self.raw(), mac.as_mut_ptr()) };
        mac
    }

    /// Recomputes the offered features (`ndo_fix_features` asks the unit); RTNL held.
    pub(crate) fn update_features(&self, _rtnl: &Rtnl) {
        // SAFETY: The device is valid and RTNL is held.
        unsafe { sys::tuntap_rs_netdev_update_features(self.raw()) };
    }

    /// The `IFF_*` flags.
    pub(crate) fn flags(&self) -> u32 {
        // SAFETY: The device is valid.
        unsafe { sys::tuntap_rs_netdev_flags(self.raw()) }
    }

    /// Whether the interface is administratively up.
    pub(crate) fn is_up(&self) -> bool {
        self.flags() & iff::UP != 0
    }

    /// Writes the flags directly, as FreeBSD's `TUNSIFMODE` does; only while RTNL is held.
    pub(crate) fn set_flags_raw(&self, _rtnl: &Rtnl, flags: u32) {
        // SAFETY: The device is valid and RTNL is held.
        unsafe { sys::tuntap_rs_netdev_set_flags_raw(self.raw(), flags) };
    }

    /// Sets the flag bits in `mask` to those of `value` and leaves the others as the user set
    /// them, the way `ip link set` does (rtnetlink's `ifi_change`). The others are taken from
    /// `netif_get_flags()`, not from `dev->flags`: there `IFF_PROMISC` and `IFF_ALLMULTI` are
    /// counts held by bridges and packet sockets, which passed back would become user settings
    /// that nobody ever clears.
    pub(crate) fn change_flags(&self, _rtnl: &Rtnl, mask: u32, value: u32) -> Result {
        // SAFETY: The device is valid.
        let user = unsafe { sys::tuntap_rs_netdev_user_flags(self.raw()) };
        let flags = (user & !mask) | (value & mask);
        // SAFETY: The device is valid and RTNL is held.
        to_result(unsafe { sys::tuntap_rs_netdev_change_flags(self.raw(), flags) })
    }

    /// Whether the current task has `CAP_NET_ADMIN` over the interface's network namespace.
    /// RTNL keeps the device in its namespace meanwhile.
    pub(crate) fn admin_capable(&self, _rtnl: &Rtnl) -> bool {
        // SAFETY: The device is valid; with RTNL held it stays in its namespace, which lives
        // at least as long as the device is in it.
        let net = unsafe { sys::tuntap_rs_netdev_net(self.raw()) };
        // SAFETY: As above: `net` is valid for this call.
        unsafe { sys::tuntap_rs_net_admin_capable(net) }
    }

    /// The MTU.
    pub(crate) fn mtu(&self) -> u32 {
        // SAFETY: The device is valid.
        unsafe { sys::tuntap_rs_netdev_mtu(self.raw()) }
    }

    /// Changes the MTU through the kernel's MTU path (limits, notifiers).
    pub(crate) fn set_mtu(&self, _rtnl: &Rtnl, mtu: u32) -> Result {
        let mtu = i32::try_from(mtu).map_err(|_| EINVAL)?;
        // SAFETY: The device is valid and RTNL is held.
        to_result(unsafe { sys::tuntap_rs_netdev_set_mtu(self.raw(), mtu) })
    }

    /// `txqueuelen`.
    pub(crate) fn tx_queue_len(&self) -> u32 {
        // SAFETY: The device is valid.
        unsafe { sys::tuntap_rs_netdev_tx_queue_len(self.raw()) }
    }

    /// Lets the stack transmit again (`netif_start_queue`).
    pub(crate) fn start_queue(&self) {
        // SAFETY: The device is valid.
        unsafe { sys::tuntap_rs_netdev_start_queue(self.raw()) };
    }

    /// Stops the stack from transmitting (`netif_stop_queue`): backpressure.
    pub(crate) fn stop_queue(&self) {
        // SAFETY: The device is valid.
        unsafe { sys::tuntap_rs_netdev_stop_queue(self.raw()) };
    }

    /// Restarts a stopped transmit queue (`netif_wake_queue`); the stack may transmit queued
    /// packets before this returns. Process context, no spinlock held.
    pub(crate) fn wake_queue(&self) {
        // SAFETY: The device is valid.
        unsafe { sys::tuntap_rs_netdev_wake_queue(self.raw()) };
    }

    /// Whether the transmit queue is stopped.
    pub(crate) fn queue_stopped(&self) -> bool {
        // SAFETY: The device is valid.
        unsafe { sys::tuntap_rs_netdev_queue_stopped(self.raw()) }
    }

    /// Increments an error or drop counter.
    pub(crate) fn count(&self, counter: Counter) {
        // SAFETY: The device is valid.
        unsafe { sys::tuntap_rs_stats_inc(self.raw(), counter) };
    }

    /// Allocates a packet of `len` bytes for this device and fills it from `src`.
    pub(crate) fn skb_from_iter(&self, src: &mut IovIterSource<'_>, len: usize) -> Result<Skb> {
        let len = c_uint::try_from(len).map_err(|_| EINVAL)?;
        // SAFETY: The device is valid.
        let skb =
            NonNull::new(unsafe { sys::tuntap_rs_skb_alloc(self.raw(), len) }).ok_or(ENOBUFS)?;
        // INVARIANT: A fresh skb we own.
        let skb = Skb { skb };
        // SAFETY: `skb` has `len` bytes of tailroom; `src` is a valid iterator.
        to_result(unsafe {
            sys::tuntap_rs_skb_put_from_iter(skb.skb.as_ptr(), src.as_raw(), len)
        })?;
        Ok(skb)
    }

    /// Hands `skb` to the stack as received on this interface, as a packet of `protocol`.
    /// The stack processes it before this returns (in process context: a write).
    pub(crate) fn receive(&self, skb: Skb, protocol: u16) {
        let raw = skb.into_raw();
        // SAFETY: We own `raw`; `netif_receive_skb()` takes it over.
        unsafe { sys::tuntap_rs_skb_rx(raw, self.raw(), protocol.to_be()) };
    }

    /// Hands an Ethernet frame to the stack through the Ethernet receive path, as
    /// [`NetDev::receive`] does.
    pub(crate) fn receive_eth(&self, skb: Skb) {
        let raw = skb.into_raw();
        // SAFETY: We own `raw`, which holds at least an Ethernet header; `netif_receive_skb()`
        // takes it.
        unsafe { sys::tuntap_rs_skb_rx_eth(raw, self.raw()) };
    }

    /// Unregisters the interface if it is registered. The unregistration completes, and
    /// callbacks in flight are waited for, when RTNL is released.
    pub(crate) fn unregister(&self, _rtnl: &Rtnl) {
        if self.registered.xchg(false, Full) {
            // SAFETY: It was registered, and only this call unregisters it; RTNL is held.
            unsafe { sys::tuntap_rs_netdev_unregister(self.raw()) };
        }
    }

    /// A reference that keeps the device's statistics (and the unregistration) waiting, or
    /// `None` once it is being unregistered.
    pub(crate) fn try_hold(&self) -> Option<Live<'_>> {
        // SAFETY: The device is valid.
        if !unsafe { sys::tuntap_rs_netdev_try_hold(self.raw()) } {
            return None;
        }
        // INVARIANT: We took a reference while it was registered.
        Some(Live {
            dev: self,
            counted: true,
        })
    }

    /// Names the unregistered device.
    pub(crate) fn set_name(&self, _rtnl: &Rtnl, name: &CStr) {
        debug_assert!(!self.registered.load(Acquire));
        // SAFETY: The device is valid and not registered: nobody else reads the name.
        unsafe { sys::tuntap_rs_netdev_set_name(self.raw(), name.as_char_ptr()) };
    }

    /// The device's name; RTNL is held.
    pub(crate) fn name_locked(&self, _rtnl: &Rtnl) -> [u8; 16] {
        let mut buf = [0u8; 16];
        // SAFETY: `buf` has room for IFNAMSIZ bytes; the device is valid; RTNL is held.
        unsafe { sys::tuntap_rs_netdev_name_locked(self.raw(), buf.as_mut_ptr().cast()) };
        buf
    }

    /// Whether another interface in the device's namespace is called `name`.
    pub(crate) fn name_taken(&self, _rtnl: &Rtnl, name: &CStr) -> bool {
        // SAFETY: The device is valid, its namespace set; RTNL is held.
        unsafe { sys::tuntap_rs_netdev_name_taken(self.raw(), name.as_char_ptr()) }
    }
}

/// A device whose statistics may be updated: a reference taken while it was registered
/// (which holds back the end of its unregistration), or the device of an ndo callback.
///
/// # Invariants
///
/// `dev` is registered or being unregistered, and its unregistration has not finished: either
/// `counted` and this holds a reference taken by `tuntap_rs_netdev_try_hold()`, or this lives
/// within an ndo callback on it.
pub(crate) struct Live<'a> {
    dev: &'a NetDev,
    counted: bool,
}

impl Live<'_> {
    /// Turns the carrier (link state) on or off. The link watcher holds a reference to the
    /// device until it has handled the change, which the unregistration waits for.
    pub(crate) fn set_carrier(&self, on: bool) {
        // SAFETY: The device is registered or its unregistration is still waiting for us.
        unsafe { sys::tuntap_rs_netdev_carrier(self.dev.raw(), on) };
    }

    /// Counts a received frame of `len` bytes.
    pub(crate) fn count_rx(&self, len: usize) {
        // SAFETY: The per-CPU statistics exist until the unregistration ends (invariants).
        unsafe { sys::tuntap_rs_stats_rx(self.dev.raw(), len as c_uint) };
    }

    /// Counts a transmitted packet of `len` bytes.
    pub(crate) fn count_tx(&self, len: usize) {
        // SAFETY: As above.
        unsafe { sys::tuntap_rs_stats_tx(self.dev.raw(), len as c_uint) };
    }
}

impl core::ops::Deref for Live<'_> {
    type Target = NetDev;

    fn deref(&self) -> &NetDev {
        self.dev
    }
}

impl Drop for Live<'_> {
    fn drop(&mut self) {
        if self.counted {
            // SAFETY: We hold a reference (type invariants).
            unsafe { sys::tuntap_rs_netdev_put(self.dev.raw()) };
        }
    }
}

/// Applies `setup` to a device being allocated.
///
/// # Safety
///
/// `dev` must be a valid, unregistered net_device, in its setup callback.
unsafe fn apply_setup(dev: *mut bindings::net_device, setup: &Setup) {
    match setup.link {
        // SAFETY: As the caller guarantees.
        LinkLayer::Ip => unsafe {
            sys::tuntap_rs_netdev_setup_l3(
                dev,
                setup.type_,
                setup.flags,
                setup.mtu,
                setup.min_mtu,
                setup.max_mtu,
                setup.tx_queue_len,
            )
        },
        // SAFETY: As above.
        LinkLayer::Ethernet => unsafe {
            sys::tuntap_rs_netdev_setup_eth(dev, setup.max_mtu, setup.tx_queue_len)
        },
    }
}

impl Drop for NetDev {
    fn drop(&mut self) {
        // A registered device holds its unit, so its `NetDev` is not dropped before the
        // device is unregistered and its destructor has run.
        debug_assert!(!self.registered.load(Acquire));
        if self.owned.load(Acquire) {
            // SAFETY: Ours (type invariants), unregistered and unused: free it.
            unsafe { sys::tuntap_rs_netdev_free(self.raw()) };
        }
    }
}

/// Registers `unit`'s net_device; from then on its ndo callbacks reach `unit`, and the device
/// holds a reference to it until it is unregistered.
pub(crate) fn register<U: NetUnit>(_rtnl: &Rtnl, unit: &Arc<U>) -> Result {
    let netdev = unit.netdev();
    let ptr = Arc::into_raw(unit.clone());
    // SAFETY: The device is valid and not registered; RTNL is held. On success the device
    // owns the reference `ptr` stands for, and its destructor drops it.
    let ret = unsafe { sys::tuntap_rs_netdev_register(netdev.raw(), ptr.cast()) };
    if let Err(e) = to_result(ret) {
        // SAFETY: Registration failed: the device did not keep the reference.
        drop(unsafe { Arc::from_raw(ptr) });
        return Err(e);
    }
    // INVARIANT: Registered, holding the unit; from now on ours to free.
    netdev.owned.store(true, Release);
    netdev.registered.store(true, Release);
    Ok(())
}

/// What a unit does for its net_device: the device's callbacks, as a PHY driver's are
/// `kernel::net::phy::Driver`'s. The [`Adapter`] calls them from the C entry points.
pub(crate) trait NetUnit: Send + Sync + 'static {
    /// The `ethtool -S` counters' names, in the order [`NetUnit::stats`] fills them.
    const STAT_NAMES: &'static [&'static CStr];

    /// The unit's device.
    fn netdev(&self) -> &NetDev;
    /// `ndo_open`: the interface went up.
    fn up(&self);
    /// `ndo_stop`: the interface went down.
    fn down(&self);
    /// `ndo_start_xmit`: a packet routed out of the interface, the unit's now.
    fn transmit(&self, dev: &Live<'_>, skb: Skb);
    /// `ndo_fix_features`: whether the device may offer the virtio-net offloads.
    fn vnet_offloads(&self) -> bool;
    /// What ethtool reports: link, speed, duplex, bus info.
    fn ethtool_link(&self) -> EthtoolLink;
    /// The `ethtool -S` values, in [`NetUnit::STAT_NAMES`] order.
    fn stats(&self, out: &mut [u64]);
    /// rtnetlink's `fill_info`: the unit's state.
    fn link_info(&self) -> LinkInfo;
}

/// How a new device of a link kind looks.
pub(crate) struct LinkSetup {
    /// Its interface.
    pub(crate) setup: &'static Setup,
    /// Whether it has a carrier from the start.
    pub(crate) carrier: bool,
}

/// A driver's rtnetlink link kinds: how their devices are set up, created and destroyed. A
/// kind is an index of the C glue's `rtnl_link_ops`.
pub(crate) trait NetDriver: 'static {
    /// What the devices' private areas hold.
    type Unit: NetUnit;

    /// How a device of link kind `kind` is set up; `None` for a kind the driver does not have.
    fn setup(kind: u32) -> Option<LinkSetup>;
    /// `ip link add`: make `dev`, which rtnetlink allocated with this kind's setup, a unit.
    fn link_new(rtnl: &Rtnl, kind: u32, dev: NetDev) -> core::result::Result<(), LinkError>;
    /// `ip link del`, namespace teardown or module unload: the unit dies (the C side then
    /// unregisters the device).
    fn link_del(rtnl: &Rtnl, unit: &Self::Unit);
}

/// Why `ip link add` failed: the errno, and what `ip` prints with it (the extended ack).
pub(crate) struct LinkError {
    /// The errno.
    pub(crate) error: Error,
    /// The message, if there is more to say than the errno.
    pub(crate) message: Option<&'static CStr>,
}

impl From<Error> for LinkError {
    fn from(error: Error) -> LinkError {
        LinkError {
            error,
            message: None,
        }
    }
}

/// The C entry points of a [`NetDriver`], which [`export_net_driver!`] exports under the names
/// `glue.c` calls.
pub(crate) struct Adapter<T: NetDriver>(core::marker::PhantomData<T>);

impl<T: NetDriver> Adapter<T> {
    /// # Safety
    ///
    /// `dev` must be a registered net_device of the driver.
    unsafe fn unit_of<'a>(dev: *mut bindings::net_device) -> &'a T::Unit {
        // SAFETY: By the `NetDev` invariants the private area points at the unit that contains
        // the device, which lives as long as the registration.
        unsafe { &*sys::tuntap_rs_netdev_unit(dev).cast::<T::Unit>() }
    }

    /// rtnetlink's and our own setup callback: the interface of a new device of `kind`.
    ///
    /// # Safety
    ///
    /// `dev` must be a net_device being allocated, in its setup callback.
    pub(crate) unsafe fn link_setup(dev: *mut bindings::net_device, kind: c_uint) {
        if let Some(link) = T::setup(kind) {
            // SAFETY: As the caller guarantees.
            unsafe { apply_setup(dev, link.setup) };
            if !link.carrier {
                // SAFETY: The device is valid and not registered: only its state bit changes.
                unsafe { sys::tuntap_rs_netdev_carrier(dev, false) };
            }
        }
    }

    /// `ip link add NAME type KIND`.
    ///
    /// # Safety
    ///
    /// `dev` must be an unregistered net_device rtnetlink allocated with our setup, which it
    /// frees if this fails; RTNL must be held.
    /// `extack` must be rtnetlink's extended ack of the request, or null.
    pub(crate) unsafe fn link_new(
        dev: *mut bindings::net_device,
        kind: c_uint,
        extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        let Some(dev) = NonNull::new(dev) else {
            return EINVAL.to_errno();
        };
        // SAFETY: As the caller guarantees.
        let netdev = unsafe { NetDev::adopt(dev) };
        // SAFETY: The caller holds RTNL.
        let rtnl = unsafe { Rtnl::held() };
        match T::link_new(&rtnl, kind, netdev) {
            Ok(()) => 0,
            Err(e) => {
                if let (Some(msg), false) = (e.message, extack.is_null()) {
                    // SAFETY: `extack` is the request's; `msg` is static, as the ack keeps it.
                    unsafe { sys::tuntap_rs_extack_msg(extack, msg.as_char_ptr()) };
                }
                e.error.to_errno()
            }
        }
    }

    /// `dellink`: the unit dies; the C side then queues the device for unregistration.
    ///
    /// # Safety
    ///
    /// `dev` must be a registered net_device of the driver; RTNL must be held.
    pub(crate) unsafe fn link_del(dev: *mut bindings::net_device) {
        // SAFETY: Registered, as the caller guarantees.
        let unit = unsafe { Self::unit_of(dev) };
        // The caller unregisters it: nobody else may.
        unit.netdev().registered.store(false, Release);
        // SAFETY: The caller holds RTNL.
        let rtnl = unsafe { Rtnl::held() };
        T::link_del(&rtnl, unit);
    }

    /// The device's destructor, once it is unregistered and unused: it lets go of its unit.
    ///
    /// # Safety
    ///
    /// `dev` must be a net_device of the driver that was registered and whose unregistration
    /// is complete; called once.
    pub(crate) unsafe fn release(dev: *mut bindings::net_device) {
        // SAFETY: Registration stored a counted reference there (`register`), given up only
        // here.
        drop(unsafe { Arc::from_raw(sys::tuntap_rs_netdev_unit(dev).cast::<T::Unit>()) });
    }

    /// What ethtool asks: link, speed, duplex, bus info.
    ///
    /// # Safety
    ///
    /// `dev` must be a registered net_device of the driver and `out` valid for writes.
    pub(crate) unsafe fn ethtool_query(dev: *mut bindings::net_device, out: *mut sys::EthtoolInfo) {
        // SAFETY: ethtool calls its ops only on registered devices.
        let link = unsafe { Self::unit_of(dev) }.ethtool_link();
        // SAFETY: `out` is valid for writes.
        unsafe {
            out.write(sys::EthtoolInfo {
                link: link.detected,
                speed: link.speed,
                duplex: link.duplex,
                bus_info: link.bus_info.as_char_ptr(),
            })
        };
    }

    /// How many `ethtool -S` counters a unit has.
    pub(crate) fn ethtool_nstats() -> c_uint {
        <T::Unit as NetUnit>::STAT_NAMES.len() as c_uint
    }

    /// The name of `ethtool -S` counter `i` (a static C string), or null.
    pub(crate) fn ethtool_stat_name(i: c_uint) -> *const c_char {
        <T::Unit as NetUnit>::STAT_NAMES
            .get(i as usize)
            .map_or(core::ptr::null(), |name| name.as_char_ptr())
    }

    /// The `ethtool -S` values of the unit of `dev`.
    ///
    /// # Safety
    ///
    /// `dev` must be a registered net_device of the driver and `data` valid for `n` writes.
    pub(crate) unsafe fn ethtool_stats(dev: *mut bindings::net_device, data: *mut u64, n: c_uint) {
        // SAFETY: ethtool calls its ops only on registered devices.
        let unit = unsafe { Self::unit_of(dev) };
        // SAFETY: As the caller guarantees.
        let out = unsafe { core::slice::from_raw_parts_mut(data, n as usize) };
        unit.stats(out);
    }

    /// rtnetlink's `fill_info`: the unit's state.
    ///
    /// # Safety
    ///
    /// `dev` must be a net_device of the driver bound to its unit, and `out` valid for
    /// writes.
    pub(crate) unsafe fn link_info(dev: *mut bindings::net_device, out: *mut LinkInfo) {
        // SAFETY: As the caller guarantees; `out` is valid for writes.
        unsafe { out.write(Self::unit_of(dev).link_info()) };
    }

    /// `ndo_fix_features` asks whether the virtio-net offloads may be offered.
    ///
    /// # Safety
    ///
    /// `dev` must be a net_device of the driver whose private area points at its unit (set
    /// before `register_netdev()`, which is the first caller).
    pub(crate) unsafe fn vnet_offloads(dev: *mut bindings::net_device) -> bool {
        // SAFETY: As the caller guarantees.
        unsafe { Self::unit_of(dev) }.vnet_offloads()
    }

    /// `ndo_open`.
    ///
    /// # Safety
    ///
    /// `dev` must be a registered net_device of the driver.
    pub(crate) unsafe fn ndo_open(dev: *mut bindings::net_device) -> c_int {
        // SAFETY: The stack calls ndo_open only on registered devices.
        unsafe { Self::unit_of(dev) }.up();
        0
    }

    /// `ndo_stop`.
    ///
    /// # Safety
    ///
    /// `dev` must be a registered net_device of the driver.
    pub(crate) unsafe fn ndo_stop(dev: *mut bindings::net_device) -> c_int {
        // SAFETY: The stack calls ndo_stop only on registered devices.
        unsafe { Self::unit_of(dev) }.down();
        0
    }

    /// `ndo_start_xmit`: the stack hands us a packet routed out of the interface.
    ///
    /// # Safety
    ///
    /// `dev` must be a registered net_device of the driver and `skb` a valid packet whose
    /// ownership passes to us.
    pub(crate) unsafe fn ndo_start_xmit(
        skb: *mut bindings::sk_buff,
        dev: *mut bindings::net_device,
    ) -> c_int {
        // SAFETY: The stack passes us ownership of a valid, non-null skb.
        let skb = unsafe { NonNull::new_unchecked(skb) };
        // INVARIANT: We own it.
        let skb = Skb { skb };
        // SAFETY: The stack calls ndo_start_xmit only on registered devices.
        let unit = unsafe { Self::unit_of(dev) };
        // INVARIANT: Within an ndo callback on the device.
        let live = Live {
            dev: unit.netdev(),
            counted: false,
        };
        unit.transmit(&live, skb);
        0 // NETDEV_TX_OK: the packet is ours now, queued or dropped and counted.
    }
}

/// Exports the entry points `glue.c` calls (`tuntap_rs_link_*`, `tuntap_rs_ndo_*`,
/// `tuntap_rs_ethtool_*`) for the [`NetDriver`] `$driver`; invoked once, by the crate root, so
/// that this layer never names the driver.
macro_rules! export_net_driver {
    ($driver:ty) => {
        const _: () = {
            use kernel::bindings::{net_device, sk_buff};
            use kernel::ffi::{c_char, c_int, c_uint};
            use $crate::netdev::Adapter;

            /// # Safety
            ///
            /// As [`Adapter::link_setup`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_link_setup(dev: *mut net_device, kind: c_uint) {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::link_setup(dev, kind) }
            }

            /// # Safety
            ///
            /// As [`Adapter::link_new`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_link_new(
                dev: *mut net_device,
                kind: c_uint,
                extack: *mut kernel::bindings::netlink_ext_ack,
            ) -> c_int {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::link_new(dev, kind, extack) }
            }

            /// # Safety
            ///
            /// As [`Adapter::link_del`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_link_del(dev: *mut net_device) {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::link_del(dev) }
            }

            /// # Safety
            ///
            /// As [`Adapter::release`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_netdev_release(dev: *mut net_device) {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::release(dev) }
            }

            /// # Safety
            ///
            /// As [`Adapter::ethtool_query`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ethtool_query(
                dev: *mut net_device,
                out: *mut $crate::sys::EthtoolInfo,
            ) {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::ethtool_query(dev, out) }
            }

            #[no_mangle]
            extern "C" fn tuntap_rs_ethtool_nstats() -> c_uint {
                Adapter::<$driver>::ethtool_nstats()
            }

            #[no_mangle]
            extern "C" fn tuntap_rs_ethtool_stat_name(i: c_uint) -> *const c_char {
                Adapter::<$driver>::ethtool_stat_name(i)
            }

            /// # Safety
            ///
            /// As [`Adapter::ethtool_stats`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ethtool_stats(
                dev: *mut net_device,
                data: *mut u64,
                n: c_uint,
            ) {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::ethtool_stats(dev, data, n) }
            }

            /// # Safety
            ///
            /// As [`Adapter::link_info`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_link_info(
                dev: *mut net_device,
                out: *mut $crate::netdev::LinkInfo,
            ) {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::link_info(dev, out) }
            }

            /// # Safety
            ///
            /// As [`Adapter::vnet_offloads`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ndo_vnet_offloads(dev: *mut net_device) -> bool {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::vnet_offloads(dev) }
            }

            /// # Safety
            ///
            /// As [`Adapter::ndo_open`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ndo_open(dev: *mut net_device) -> c_int {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::ndo_open(dev) }
            }

            /// # Safety
            ///
            /// As [`Adapter::ndo_stop`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ndo_stop(dev: *mut net_device) -> c_int {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::ndo_stop(dev) }
            }

            /// # Safety
            ///
            /// As [`Adapter::ndo_start_xmit`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ndo_start_xmit(
                skb: *mut sk_buff,
                dev: *mut net_device,
            ) -> c_int {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::ndo_start_xmit(skb, dev) }
            }
        };
    };
}
pub(crate) use export_net_driver;

/// The C glue's rtnetlink link kinds `0..count`, registered. Dropping it unregisters them, in
/// reverse order, which destroys every device of theirs in every network namespace.
pub(crate) struct LinkKinds {
    count: u32,
}

impl LinkKinds {
    /// Registers the first `count` link kinds of the C glue (`TUNTAP_RS_KINDS` at most); on
    /// failure none stays registered.
    pub(crate) fn register(count: u32) -> Result<LinkKinds> {
        let mut kinds = LinkKinds { count: 0 };
        for kind in 0..count {
            // SAFETY: `kind` is one of the glue's kinds (the caller's contract on `count`);
            // it is unregistered by `Drop`, once.
            to_result(unsafe { sys::tuntap_rs_link_register(kind) })?;
            kinds.count += 1;
        }
        Ok(kinds)
    }
}

impl Drop for LinkKinds {
    fn drop(&mut self) {
        for kind in (0..self.count).rev() {
            // SAFETY: Registered by `register`.
            unsafe { sys::tuntap_rs_link_unregister(kind) };
        }
    }
}

/// What a unit reports to rtnetlink (`IFLA_BSDTUN_*`): plain data, handed to C as it is.
pub(crate) use crate::sys::LinkInfo;

/// What a unit reports to ethtool.
pub(crate) struct EthtoolLink {
    /// "Link detected".
    pub(crate) detected: bool,
    /// Speed in Mb/s.
    pub(crate) speed: u32,
    /// `DUPLEX_FULL` (1) or `DUPLEX_HALF` (0).
    pub(crate) duplex: u8,
    /// `bus-info`.
    pub(crate) bus_info: &'static CStr,
}

/// An owned packet.
///
/// # Invariants
///
/// `skb` is a valid sk_buff owned by this value; dropping it frees it as a drop
/// (`kfree_skb`), [`Skb::consume`] frees it as delivered.
pub(crate) struct Skb {
    skb: NonNull<bindings::sk_buff>,
}

// SAFETY: An owned skb may be handed to and freed on any thread.
unsafe impl Send for Skb {}

impl Skb {
    fn into_raw(self) -> *mut bindings::sk_buff {
        let raw = self.skb.as_ptr();
        core::mem::forget(self);
        raw
    }

    /// The packet length in bytes.
    pub(crate) fn len(&self) -> usize {
        // SAFETY: The skb is valid.
        unsafe { sys::tuntap_rs_skb_len(self.skb.as_ptr()) as usize }
    }

    /// The packet's EtherType (`skb->protocol`), in host byte order.
    pub(crate) fn protocol(&self) -> u16 {
        // SAFETY: The skb is valid.
        u16::from_be(unsafe { sys::tuntap_rs_skb_protocol(self.skb.as_ptr()) })
    }

    /// Copies `out.len()` bytes starting at `offset` out of the packet.
    pub(crate) fn copy_bits(&self, offset: usize, out: &mut [u8]) -> Result {
        let offset = c_int::try_from(offset).map_err(|_| EINVAL)?;
        let len = c_int::try_from(out.len()).map_err(|_| EINVAL)?;
        // SAFETY: The skb is valid and `out` is writable for `len` bytes.
        to_result(unsafe {
            sys::tuntap_rs_skb_copy_bits(self.skb.as_ptr(), offset, out.as_mut_ptr().cast(), len)
        })
    }

    /// Prepends `header` to the packet.
    pub(crate) fn push(&mut self, header: &[u8]) -> Result {
        let len = c_uint::try_from(header.len()).map_err(|_| EINVAL)?;
        // SAFETY: We own the skb; `header` is readable for `len` bytes.
        to_result(unsafe {
            sys::tuntap_rs_skb_push(self.skb.as_ptr(), header.as_ptr().cast(), len)
        })
    }

    /// Detaches the packet from its sending socket and its connection tracking entry, and
    /// copies any zero-copy user pages, so that it can wait in a queue for as long as it takes
    /// (Linux's tun does the same). `ENOMEM` if the pages cannot be copied.
    pub(crate) fn orphan(&mut self) -> Result {
        // SAFETY: We own the skb.
        to_result(unsafe { sys::tuntap_rs_skb_orphan(self.skb.as_ptr()) })
    }

    /// Copies the first `len` bytes of the packet to `dst`.
    pub(crate) fn copy_to_iter(&self, dst: &mut IovIterDest<'_>, len: usize) -> Result {
        let len = c_uint::try_from(len).map_err(|_| EINVAL)?;
        // SAFETY: The skb is valid, `dst` a valid iterator.
        to_result(unsafe { sys::tuntap_rs_skb_copy_to_iter(self.skb.as_ptr(), dst.as_raw(), len) })
    }

    /// The `struct virtio_net_hdr` (little-endian) describing this packet's checksum and
    /// segmentation state; `EINVAL` for a segmentation type it cannot describe.
    pub(crate) fn vnet_hdr(&self) -> Result<[u8; VNET_HDR_LEN]> {
        let mut hdr = [0u8; VNET_HDR_LEN];
        // SAFETY: The skb is valid; `hdr` has room for a `struct virtio_net_hdr`.
        to_result(unsafe {
            sys::tuntap_rs_skb_vnet_hdr_from(self.skb.as_ptr(), hdr.as_mut_ptr().cast())
        })?;
        Ok(hdr)
    }

    /// Applies a `struct virtio_net_hdr` (little-endian) to the packet: checksum offload and
    /// segmentation. `EINVAL` for a header the kernel does not accept.
    pub(crate) fn set_vnet_hdr(&mut self, hdr: &[u8; VNET_HDR_LEN]) -> Result {
        // SAFETY: We own the skb; `hdr` is a `struct virtio_net_hdr`.
        to_result(unsafe { sys::tuntap_rs_skb_vnet_hdr_to(self.skb.as_ptr(), hdr.as_ptr().cast()) })
    }

    /// Frees the packet as delivered (not a drop).
    pub(crate) fn consume(self) {
        // SAFETY: We own the skb.
        unsafe { sys::tuntap_rs_skb_consume(self.into_raw()) };
    }
}

impl Drop for Skb {
    fn drop(&mut self) {
        // SAFETY: We own the skb.
        unsafe { sys::tuntap_rs_skb_drop(self.skb.as_ptr()) };
    }
}

/// A FIFO of owned packets, linked through `skb->next`.
///
/// # Invariants
///
/// `head`..`tail` is a `next`-linked list of `len` skbs owned by the queue, `tail`'s `next`
/// is null; both are null when `len` is 0.
pub(crate) struct SkbQueue {
    head: *mut bindings::sk_buff,
    tail: *mut bindings::sk_buff,
    len: usize,
}

// SAFETY: The queue owns its skbs, which may move between threads.
unsafe impl Send for SkbQueue {}

impl SkbQueue {
    /// An empty queue.
    pub(crate) const fn new() -> SkbQueue {
        SkbQueue {
            head: core::ptr::null_mut(),
            tail: core::ptr::null_mut(),
            len: 0,
        }
    }

    /// Number of packets queued.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends a packet.
    pub(crate) fn push(&mut self, skb: Skb) {
        let raw = skb.into_raw();
        // SAFETY: We own `raw`; `tail`, if any, is in the list.
        unsafe {
            sys::tuntap_rs_skb_set_next(raw, core::ptr::null_mut());
            if self.tail.is_null() {
                self.head = raw;
            } else {
                sys::tuntap_rs_skb_set_next(self.tail, raw);
            }
        }
        self.tail = raw;
        self.len += 1;
    }

    /// Removes the oldest packet.
    pub(crate) fn pop(&mut self) -> Option<Skb> {
        let head = NonNull::new(self.head)?;
        // SAFETY: `head` is in the list, owned by us.
        unsafe {
            self.head = sys::tuntap_rs_skb_next(head.as_ptr());
            sys::tuntap_rs_skb_set_next(head.as_ptr(), core::ptr::null_mut());
        }
        if self.head.is_null() {
            self.tail = core::ptr::null_mut();
        }
        self.len -= 1;
        // INVARIANT: Unlinked; ownership moves to the caller.
        Some(Skb { skb: head })
    }

    /// The length of the oldest packet, if any.
    pub(crate) fn peek_len(&self) -> Option<usize> {
        // SAFETY: `head`, if not null, is a valid skb owned by the queue.
        (!self.head.is_null()).then(|| unsafe { sys::tuntap_rs_skb_len(self.head) } as usize)
    }
}

impl Drop for SkbQueue {
    fn drop(&mut self) {
        // Dropping each packet frees it as a drop.
        while self.pop().is_some() {}
    }
}
