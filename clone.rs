// SPDX-License-Identifier: GPL-2.0

//! Cloning and the unit registry: who may open a cloning node, which unit number a new unit
//! gets, and the table of live units.
//!
//! FreeBSD lets only a privileged user clone an interface by opening a cloning node
//! (`PRIV_NET_IFCREATE`), and lets tap and vmnet nodes be opened without privilege only when
//! the `net.link.tap.user_open` sysctl says so. On Linux the privilege is `CAP_NET_ADMIN` in
//! the user namespace owning the opener's network namespace, and the sysctls are module
//! parameters.
//!
//! A unit is created by opening a cloning node or by `ip link add NAME type bsdtun` (or
//! `bsdtap`, `bsdvmnet`), FreeBSD's `ifconfig tunN create`; either way it is registered here,
//! under RTNL, with its node `/dev/<kind>N`. It is destroyed by `ip link del` (FreeBSD's
//! `ifconfig tunN destroy`), by the deletion of its network namespace, by module unload, or by
//! the last close of a transient unit; each ends in [`remove`], under RTNL.
//!
//! # Locking
//!
//! [`UNITS`] guards the registry of live units and their nodes. Where it nests: the crate
//! root's lock order.

use crate::{
    cdev,
    driver::Kind, //
    module_parameters,
    netdev::{
        self,
        LinkError,
        LinkLayer,
        LinkSetup,
        Net,
        NetDev,
        NetDriver,
        Rtnl, //
    },
    unit::{
        self,
        Unit, //
    },
};
use kernel::{
    id_pool::IdPool,
    prelude::*,
    rbtree::{
        RBTree,
        RBTreeNodeReservation, //
    },
    str::CString,
    sync::Arc, //
};

/// A live unit and its device node.
struct Entry {
    unit: Arc<Unit>,
    _node: cdev::Node,
}

/// FreeBSD's `IF_MAXUNIT`: the largest unit number.
pub(crate) const MAX_UNIT: u32 = 0x7fff;

/// The live units and what they hold.
struct Live {
    /// The units and their nodes, by the node's minor number.
    entries: RBTree<u32, Entry>,
    /// Per kind, in [`Kind::ALL`] order, the unit numbers in use (FreeBSD keeps a unit bitmap
    /// too): finding the lowest free number is a bitmap search, not a walk over the units.
    numbers: [IdPool; Kind::ALL.len()],
    /// The per-unit nodes' char device region. Declared after `entries`, so it is dropped
    /// after the last node.
    region: cdev::Region<Unit>,
}

impl Live {
    fn new() -> Result<Self> {
        let pool = || IdPool::with_capacity(MAX_UNIT as usize + 1, GFP_KERNEL);
        Ok(Live {
            entries: RBTree::new(),
            numbers: [pool()?, pool()?, pool()?],
            region: cdev::Region::register(c"tuntap_rs", MINORS)?,
        })
    }

    /// The lowest unit number of `kind` not in use, from `from` up.
    fn next_free(&mut self, kind: Kind, from: u32) -> Option<u32> {
        let id = self.numbers[kind as usize].find_unused_id(from as usize)?;
        Some(id.as_u32())
    }

    fn in_use(&mut self, kind: Kind, number: u32) -> bool {
        self.next_free(kind, number) != Some(number)
    }
}

/// The registry: its [`Live`] part exists from module init to unload.
struct Registry {
    live: Option<Live>,
}

impl Registry {
    fn live(&mut self) -> Result<&mut Live> {
        self.live.as_mut().ok_or(ENODEV)
    }
}

kernel::sync::global_lock! {
    // SAFETY: Initialised by `init()` in module init, before any node is registered.
    unsafe(uninit) static UNITS: Mutex<Registry> = Registry { live: None };
}

/// Minor numbers of the per-unit nodes: one block of `MAX_UNIT + 1` per kind.
pub(crate) const MINORS: u32 = (MAX_UNIT + 1) * Kind::ALL.len() as u32;

/// The registry, ready for the module's lifetime, with the per-unit nodes' region. Made once,
/// by module init, before any node exists; dropped at unload, once every unit is gone (after
/// the link kinds are unregistered), it frees the registry and unregisters the region.
pub(crate) struct RegistryGuard(());

impl RegistryGuard {
    /// Initialises the registry; module init's to call, once.
    pub(crate) fn init() -> Result<RegistryGuard> {
        // SAFETY: Module init calls this once, before any use of `UNITS`.
        unsafe { UNITS.init() };
        let live = Live::new()?;
        UNITS.lock().live = Some(live);
        Ok(RegistryGuard(()))
    }
}

impl Drop for RegistryGuard {
    fn drop(&mut self) {
        let live = UNITS.lock().live.take();
        debug_assert!(live.as_ref().is_none_or(|live| live.entries.is_empty()));
        // The region goes away outside the registry lock.
        drop(live);
    }
}

/// The minor number of `/dev/<kind><number>`.
fn minor(kind: Kind, number: u32) -> u32 {
    kind as u32 * (MAX_UNIT + 1) + number
}

/// The kind and unit number of a minor number.
fn from_minor(minor: u32) -> Option<(Kind, u32)> {
    let kind = *Kind::ALL.get((minor / (MAX_UNIT + 1)) as usize)?;
    Some((kind, minor % (MAX_UNIT + 1)))
}

/// Whether an opener, `privileged` or not, may clone a unit of `kind` (FreeBSD's `tunclone`).
///
/// Cloning that the module parameters disable fails with `ENXIO`, as a device that is not
/// there; a missing privilege fails with `EPERM`.
pub(crate) fn may_clone(kind: Kind, privileged: bool) -> Result {
    let (cloning, user_open) = match kind.driver().link {
        LinkLayer::Ip => (module_parameters::tun_devfs_cloning.value(), false),
        LinkLayer::Ethernet => (
            module_parameters::tap_devfs_cloning.value(),
            module_parameters::tap_user_open.value(),
        ),
    };
    if !cloning {
        return Err(ENXIO);
    }
    if !privileged && !user_open {
        return Err(EPERM);
    }
    Ok(())
}

/// Opening a cloning node: create the lowest free unit in the opener's network namespace and
/// bind the file to it.
pub(crate) fn open_clone(kind: Kind) -> Result<Arc<Unit>> {
    let net = Net::current()?;
    may_clone(kind, net.admin_capable())?;
    let netdev = NetDev::new(kind as u32, &net)?;
    let unit = create(&Rtnl::lock(), kind, netdev, Want::Lowest)?;
    if let Err(e) = unit.attach() {
        destroy(&unit);
        return Err(e);
    }
    Ok(unit)
}

/// Which unit a creation asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// The lowest free one (`ifconfig tun create`, opening `/dev/tun`).
    Lowest,
    /// This number (`ifconfig tun5 create`).
    Number(u32),
}

/// What an interface name asks of `kind` (FreeBSD's `ifc_name2unit()`): the bare prefix, the
/// prefix and `%d` (also rtnetlink's default, `bsdtun%d`), or the prefix and a unit number in
/// decimal without leading zeros. Anything else is `EINVAL`; a number above [`MAX_UNIT`] is
/// `ENOSPC`.
fn parse_name(kind: Kind, name: &[u8]) -> Result<Want> {
    let prefix = kind.driver().name.to_bytes();
    // rtnetlink's default name, `<link kind>%d`.
    if name.strip_prefix(kind.driver().link_kind.to_bytes()) == Some(b"%d") {
        return Ok(Want::Lowest);
    }
    let digits = name.strip_prefix(prefix).ok_or(EINVAL)?;
    match digits {
        b"" | b"%d" => Ok(Want::Lowest),
        [b'0', _, ..] => Err(EINVAL),
        _ if digits.iter().all(u8::is_ascii_digit) => {
            let mut number: u32 = 0;
            for &d in digits {
                number = number
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u32::from(d - b'0')))
                    .ok_or(ENOSPC)?;
            }
            if number > MAX_UNIT {
                return Err(ENOSPC);
            }
            Ok(Want::Number(number))
        }
        _ => Err(EINVAL),
    }
}

/// Makes `netdev` unit `want` of `kind`: names it, creates its node and registers it. Nothing
/// fails once the device is registered (rtnetlink frees a device whose `newlink` failed).
///
/// Unit numbers of live units of the kind are never reused. For [`Want::Lowest`], numbers
/// whose interface name is taken in the device's namespace (by a renamed unit, or Linux's own
/// tun) are skipped; for [`Want::Number`], either is `EEXIST`.
fn create(rtnl: &Rtnl, kind: Kind, netdev: NetDev, want: Want) -> Result<Arc<Unit>> {
    let prefix = kind.driver().name.to_str()?;
    let slot = RBTreeNodeReservation::new(GFP_KERNEL)?;
    let mut units = UNITS.lock();
    let units = units.live()?;
    let (number, name) = match want {
        Want::Number(number) => {
            let name = CString::try_from_fmt(fmt!("{prefix}{number}"))?;
            if units.in_use(kind, number) || netdev.name_taken(rtnl, &name) {
                return Err(EEXIST);
            }
            (number, name)
        }
        Want::Lowest => {
            let mut from = 0;
            loop {
                let number = units.next_free(kind, from).ok_or(ENOSPC)?;
                let name = CString::try_from_fmt(fmt!("{prefix}{number}"))?;
                if !netdev.name_taken(rtnl, &name) {
                    break (number, name);
                }
                from = number + 1;
            }
        }
    };
    netdev.set_name(rtnl, &name);
    let unit = Unit::new(kind, number, netdev)?;
    let node = units.region.node(minor(kind, number), &name)?;
    netdev::register(rtnl, &unit)?;
    // Nothing fails from here: the number is free (above, under the lock) and the tree's node
    // was allocated first.
    if let Some(id) = units.numbers[kind as usize].find_unused_id(number as usize) {
        if id.as_u32() == number {
            id.acquire();
        }
    }
    let entry = Entry {
        unit: unit.clone(),
        _node: node,
    };
    units
        .entries
        .insert(slot.into_node(minor(kind, number), entry));
    Ok(unit)
}

/// Opening `/dev/<kind>N`: bind the file to that unit.
pub(crate) fn open_unit(minor: u32) -> Result<Arc<Unit>> {
    let (kind, _) = from_minor(minor).ok_or(ENXIO)?;
    if kind.driver().link == LinkLayer::Ethernet && !module_parameters::tap_user_open.value() {
        // FreeBSD: tap and vmnet need PRIV_NET_TAP unless user_open is set.
        if !Net::current()?.admin_capable() {
            return Err(EPERM);
        }
    }
    let unit = UNITS
        .lock()
        .live()?
        .entries
        .get(&minor)
        .map(|e| e.unit.clone())
        .ok_or(ENXIO)?;
    unit.attach()?;
    Ok(unit)
}

/// `ip link del` (or namespace teardown, or module unload): `unit` dies and leaves the
/// registry; rtnetlink then unregisters its device.
pub(crate) fn link_del(rtnl: &Rtnl, unit: &Unit) {
    remove(rtnl, unit);
}

/// Destroys `unit` ourselves (last close of a transient unit, a failed open): as `ip link del`
/// would. The unregistration completes when RTNL is released.
pub(crate) fn destroy(unit: &Unit) {
    let rtnl = Rtnl::lock();
    if remove(&rtnl, unit) {
        unit.netdev().unregister(&rtnl);
    }
}

/// Marks `unit` dying, wakes its readers and pollers, and takes it and its node out of the
/// registry. Returns false if it was already dying.
fn remove(rtnl: &Rtnl, unit: &Unit) -> bool {
    if !unit.kill(rtnl) {
        return false;
    }
    let key = minor(unit.kind(), unit.number());
    let entry = {
        let mut units = UNITS.lock();
        match units.live() {
            // Only a registered unit is killed, and its number is freed only here: the entry
            // under its minor is this unit's.
            Ok(units)
                if units
                    .entries
                    .get(&key)
                    .is_some_and(|e| core::ptr::eq(&*e.unit, unit)) =>
            {
                units.numbers[unit.kind() as usize].release_id(unit.number() as usize);
                units.entries.remove(&key)
            }
            _ => None,
        }
    };
    // The node goes away outside the registry lock.
    drop(entry);
    true
}

/// The driver's rtnetlink link kinds, one per [`Kind`] (the C glue's `rtnl_link_ops`, in
/// [`Kind::ALL`] order), for the network layer.
pub(crate) struct LinkDriver;

impl NetDriver for LinkDriver {
    type Unit = Unit;
    const NAME: &'static CStr = c"tuntap_rs";
    const VERSION: &'static CStr = crate::driver::VERSION;

    fn setup(kind: u32) -> Option<LinkSetup> {
        let kind = Kind::from_index(kind)?;
        Some(LinkSetup {
            setup: unit::setup(kind),
            // No carrier until the first open, as after a close: no route leads into a tunnel
            // that nobody serves. vmnet keeps its carrier closed, to queue output for its next
            // opener.
            carrier: kind.driver().keep_when_closed,
        })
    }

    fn link_new(rtnl: &Rtnl, kind: u32, dev: NetDev) -> core::result::Result<(), LinkError> {
        let kind = Kind::from_index(kind).ok_or(EINVAL)?;
        let name = dev.name_locked(rtnl);
        let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        let want = parse_name(kind, &name[..len]).map_err(|error| LinkError {
            error,
            message: Some(if error == ENOSPC {
                c"unit number out of range"
            } else {
                c"the name is not this kind's prefix, optionally followed by a unit number or %d"
            }),
        })?;
        create(rtnl, kind, dev, want)?;
        Ok(())
    }

    fn link_del(rtnl: &Rtnl, unit: &Unit) {
        link_del(rtnl, unit)
    }
}

#[kunit_tests(tuntap_rs_clone)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        // `ip link add tun5 type bsdtun`, and the ways to ask for the lowest free unit.
        assert_eq!(parse_name(Kind::Tun, b"tun5"), Ok(Want::Number(5)));
        assert_eq!(parse_name(Kind::Tun, b"tun0"), Ok(Want::Number(0)));
        assert_eq!(parse_name(Kind::Tap, b"tap32767"), Ok(Want::Number(32767)));
        assert_eq!(parse_name(Kind::Vmnet, b"vmnet12"), Ok(Want::Number(12)));
        assert_eq!(parse_name(Kind::Tun, b"tun"), Ok(Want::Lowest));
        assert_eq!(parse_name(Kind::Tun, b"tun%d"), Ok(Want::Lowest));
        assert_eq!(parse_name(Kind::Tun, b"bsdtun%d"), Ok(Want::Lowest));
        assert_eq!(parse_name(Kind::Vmnet, b"bsdvmnet%d"), Ok(Want::Lowest));
        // FreeBSD's ifc_name2unit refuses these.
        assert_eq!(parse_name(Kind::Tun, b"tap5"), Err(EINVAL));
        assert_eq!(parse_name(Kind::Tun, b"tun05"), Err(EINVAL));
        assert_eq!(parse_name(Kind::Tun, b"tun5x"), Err(EINVAL));
        assert_eq!(parse_name(Kind::Tun, b"tun-1"), Err(EINVAL));
        assert_eq!(parse_name(Kind::Tap, b"bsdtun%d"), Err(EINVAL));
        // Out of range, and too large for any integer.
        assert_eq!(parse_name(Kind::Tun, b"tun32768"), Err(ENOSPC));
        assert_eq!(parse_name(Kind::Tun, b"tun99999999999"), Err(ENOSPC));
    }

    #[test]
    fn minors() {
        for kind in Kind::ALL {
            for number in [0, 1, 4242, MAX_UNIT] {
                let m = minor(kind, number);
                assert!(m < MINORS);
                assert_eq!(from_minor(m), Some((kind, number)));
            }
        }
        assert_eq!(from_minor(MINORS), None);
    }
}
