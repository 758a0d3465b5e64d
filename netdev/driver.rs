// SPDX-License-Identifier: GPL-2.0

//! The driver's side of the network layer: the [`NetUnit`] and [`NetDriver`] traits, the
//! [`Adapter`] that owns the C entry points and forwards them, and the link kinds.

use super::{
    device::apply_setup,
    sys,
    Live,
    NetDev,
    Rtnl,
    Setup,
    Skb, //
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    error::to_result,
    prelude::*,
    sync::{
        atomic::Release,
        Arc, //
    },
};

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
    /// `ndo_fix_features`: which of the requested `features` the unit can take now.
    fn fix_features(&self, features: u64) -> u64;
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
    /// The driver's name, as ethtool reports it.
    const NAME: &'static CStr;
    /// The driver's version, as ethtool reports it.
    const VERSION: &'static CStr;

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

    /// ethtool's `get_drvinfo`: driver, version and bus info.
    ///
    /// # Safety
    ///
    /// `dev` must be a registered net_device of the driver and `info` valid for writes.
    pub(crate) unsafe fn get_drvinfo(
        dev: *mut bindings::net_device,
        info: *mut bindings::ethtool_drvinfo,
    ) {
        // SAFETY: ethtool calls its ops only on registered devices.
        let link = unsafe { Self::unit_of(dev) }.ethtool_link();
        // SAFETY: `info` is ethtool's, valid and exclusive for this call.
        let info = unsafe { &mut *info };
        copy_c_str(&mut info.driver, T::NAME);
        copy_c_str(&mut info.version, T::VERSION);
        copy_c_str(&mut info.bus_info, link.bus_info);
    }

    /// ethtool's `get_link`: "Link detected".
    ///
    /// # Safety
    ///
    /// `dev` must be a registered net_device of the driver.
    pub(crate) unsafe fn get_link(dev: *mut bindings::net_device) -> u32 {
        // SAFETY: ethtool calls its ops only on registered devices.
        u32::from(unsafe { Self::unit_of(dev) }.ethtool_link().detected)
    }

    /// ethtool's `get_link_ksettings`: speed and duplex as the unit reports them, on a
    /// virtual twisted-pair port without autonegotiation (as Linux's tun reports its link).
    ///
    /// # Safety
    ///
    /// `dev` must be a registered net_device of the driver and `cmd` valid for writes; the
    /// ethtool core has zeroed it (every caller in 7.3 does).
    pub(crate) unsafe fn get_link_ksettings(
        dev: *mut bindings::net_device,
        cmd: *mut bindings::ethtool_link_ksettings,
    ) -> c_int {
        // SAFETY: ethtool calls its ops only on registered devices.
        let link = unsafe { Self::unit_of(dev) }.ethtool_link();
        // SAFETY: `cmd` is ethtool's, valid and exclusive for this call.
        let base = unsafe { &mut (*cmd).base };
        base.speed = link.speed;
        base.duplex = link.duplex;
        base.port = bindings::PORT_TP as u8;
        base.autoneg = bindings::AUTONEG_DISABLE as u8;
        0
    }

    /// ethtool's `get_sset_count`: the `ethtool -S` counters, the only string set.
    pub(crate) fn get_sset_count(sset: c_int) -> c_int {
        if sset == bindings::ethtool_stringset_ETH_SS_STATS as c_int {
            <T::Unit as NetUnit>::STAT_NAMES.len() as c_int
        } else {
            EOPNOTSUPP.to_errno()
        }
    }

    /// ethtool's `get_strings`: the names of the `ethtool -S` counters.
    ///
    /// # Safety
    ///
    /// `data` must have room for [`Adapter::get_sset_count`] strings of `sset`.
    pub(crate) unsafe fn get_strings(sset: u32, mut data: *mut u8) {
        if sset != bindings::ethtool_stringset_ETH_SS_STATS {
            return;
        }
        for name in <T::Unit as NetUnit>::STAT_NAMES {
            // SAFETY: `data` has room for one more string; `ethtool_puts` advances it.
            unsafe { bindings::ethtool_puts(&mut data, name.as_char_ptr()) };
        }
    }

    /// ethtool's `get_ethtool_stats`: the `ethtool -S` values of the unit of `dev`.
    ///
    /// # Safety
    ///
    /// `dev` must be a registered net_device of the driver and `data` valid for
    /// [`Adapter::get_sset_count`] writes.
    pub(crate) unsafe fn get_ethtool_stats(dev: *mut bindings::net_device, data: *mut u64) {
        // SAFETY: ethtool calls its ops only on registered devices.
        let unit = unsafe { Self::unit_of(dev) };
        let n = <T::Unit as NetUnit>::STAT_NAMES.len();
        // SAFETY: As the caller guarantees.
        let out = unsafe { core::slice::from_raw_parts_mut(data, n) };
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

    /// `ndo_fix_features`: the features the unit can take now, of those requested.
    ///
    /// # Safety
    ///
    /// `dev` must be a net_device of the driver whose private area points at its unit (set
    /// before `register_netdevice()`, which is the first caller).
    pub(crate) unsafe fn fix_features(dev: *mut bindings::net_device, features: u64) -> u64 {
        // SAFETY: As the caller guarantees.
        unsafe { Self::unit_of(dev) }.fix_features(features)
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
            use kernel::ffi::{c_int, c_uint};
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
            /// As [`Adapter::get_drvinfo`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ethtool_get_drvinfo(
                dev: *mut net_device,
                info: *mut kernel::bindings::ethtool_drvinfo,
            ) {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::get_drvinfo(dev, info) }
            }

            /// # Safety
            ///
            /// As [`Adapter::get_link`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ethtool_get_link(dev: *mut net_device) -> u32 {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::get_link(dev) }
            }

            /// # Safety
            ///
            /// As [`Adapter::get_link_ksettings`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ethtool_get_link_ksettings(
                dev: *mut net_device,
                cmd: *mut kernel::bindings::ethtool_link_ksettings,
            ) -> c_int {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::get_link_ksettings(dev, cmd) }
            }

            #[no_mangle]
            extern "C" fn tuntap_rs_ethtool_get_sset_count(
                _dev: *mut net_device,
                sset: c_int,
            ) -> c_int {
                Adapter::<$driver>::get_sset_count(sset)
            }

            /// # Safety
            ///
            /// As [`Adapter::get_strings`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ethtool_get_strings(
                _dev: *mut net_device,
                sset: u32,
                data: *mut u8,
            ) {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::get_strings(sset, data) }
            }

            /// # Safety
            ///
            /// As [`Adapter::get_ethtool_stats`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ethtool_get_stats(
                dev: *mut net_device,
                _stats: *mut kernel::bindings::ethtool_stats,
                data: *mut u64,
            ) {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::get_ethtool_stats(dev, data) }
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
            /// As [`Adapter::fix_features`].
            #[no_mangle]
            unsafe extern "C" fn tuntap_rs_ndo_fix_features(
                dev: *mut net_device,
                features: u64,
            ) -> u64 {
                // SAFETY: As the caller guarantees.
                unsafe { Adapter::<$driver>::fix_features(dev, features) }
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
    /// Registers the C glue's link kinds `0..names.len()` (`TUNTAP_RS_KINDS` at most) under
    /// `names`; on failure none stays registered.
    pub(crate) fn register(names: &[&'static CStr]) -> Result<LinkKinds> {
        let mut kinds = LinkKinds { count: 0 };
        for (kind, name) in (0..).zip(names) {
            // SAFETY: `name` is static, as rtnetlink keeps it; the glue refuses a kind it does
            // not have. A registered kind is unregistered by `Drop`, once.
            to_result(unsafe { sys::tuntap_rs_link_register(kind, name.as_char_ptr()) })?;
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
pub(crate) use super::sys::LinkInfo;

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

/// Copies `src` into the C string buffer `dst`, truncated to fit, NUL-terminated (`strscpy`).
fn copy_c_str(dst: &mut [c_char], src: &CStr) {
    let Some(room) = dst.len().checked_sub(1) else {
        return;
    };
    let bytes = src.to_bytes();
    let n = bytes.len().min(room);
    for (d, &b) in dst.iter_mut().zip(&bytes[..n]) {
        *d = b as c_char;
    }
    dst[n] = 0;
}
