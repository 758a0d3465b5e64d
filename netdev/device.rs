// SPDX-License-Identifier: GPL-2.0

//! A unit's `net_device`: [`NetDev`], its registration, and [`Live`], a device whose
//! statistics may be updated.

use super::{
    iff,
    sys,
    Counter,
    LinkLayer,
    Net,
    NetUnit,
    Rtnl,
    Setup, //
    Skb,
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    error::to_result,
    iov::IovIterSource,
    prelude::*,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Full,
            Release, //
        },
        rcu, Arc,
    },
};

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
    pub(super) registered: Atomic<bool>,
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
    pub(super) unsafe fn adopt(dev: NonNull<bindings::net_device>) -> NetDev {
        // INVARIANT: rtnetlink's until registered.
        NetDev {
            dev,
            owned: Atomic::new(false),
            registered: Atomic::new(false),
        }
    }

    pub(super) fn raw(&self) -> *mut bindings::net_device {
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
        unsafe { super::net_admin_capable(net) }
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
        let count = match counter {
            Counter::RxDropped => sys::tuntap_rs_stats_rx_dropped,
            Counter::TxDropped => sys::tuntap_rs_stats_tx_dropped,
            Counter::RxErrors => sys::tuntap_rs_stats_rx_errors,
            Counter::TxErrors => sys::tuntap_rs_stats_tx_errors,
        };
        // SAFETY: The device is valid.
        unsafe { count(self.raw()) };
    }

    /// Allocates a packet of `len` bytes for this device, the first `linear` of them in its
    /// head and the rest in page fragments, and fills it from `src`.
    pub(crate) fn skb_from_iter(
        &self,
        src: &mut IovIterSource<'_>,
        len: usize,
        linear: usize,
    ) -> Result<Skb> {
        let linear = linear.min(len);
        let paged = c_uint::try_from(len - linear).map_err(|_| EINVAL)?;
        let linear = c_uint::try_from(linear).map_err(|_| EINVAL)?;
        // SAFETY: The device is valid.
        let skb = NonNull::new(unsafe { sys::tuntap_rs_skb_alloc(self.raw(), linear, paged) })
            .ok_or(ENOBUFS)?;
        // INVARIANT: A fresh skb we own.
        let skb = Skb { skb };
        // SAFETY: `skb` has `linear` bytes of tailroom and `paged` in fragments; `src` is a
        // valid iterator.
        to_result(unsafe {
            sys::tuntap_rs_skb_put_from_iter(skb.skb.as_ptr(), src.as_raw(), linear, paged)
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
        // `unregister_netdevice()` marks the device unregistering, then waits for an RCU grace
        // period before it waits for references: a reference taken here, under RCU, while it
        // is still registered, is always waited for.
        let _rcu = rcu::read_lock();
        // SAFETY: The device is valid.
        if !unsafe { sys::tuntap_rs_netdev_registered(self.raw()) } {
            return None;
        }
        // SAFETY: The device is valid and registered.
        unsafe { sys::tuntap_rs_netdev_hold(self.raw()) };
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
/// `counted` and this holds a reference taken by [`NetDev::try_hold`], or this lives
/// within an ndo callback on it.
pub(crate) struct Live<'a> {
    pub(super) dev: &'a NetDev,
    pub(super) counted: bool,
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
pub(super) unsafe fn apply_setup(dev: *mut bindings::net_device, setup: &Setup) {
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
                setup.features,
            )
        },
        // SAFETY: As above.
        LinkLayer::Ethernet => unsafe {
            sys::tuntap_rs_netdev_setup_eth(dev, setup.max_mtu, setup.tx_queue_len, setup.features)
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
