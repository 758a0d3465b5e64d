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
//! # Locking
//!
//! [`UNITS`] guards the list of live units. It is taken inside `misc_mtx` (cloning opens) and
//! around interface registration, so it nests outside RTNL; it is never held while a unit's
//! node or interface is torn down.

use crate::{
    cdev,
    module_parameters,
    netdev::{
        self,
        LinkLayer,
        Net, //
    },
    unit::Unit,
    Kind, //
};
use kernel::{
    prelude::*,
    str::CString,
    sync::Arc, //
};

kernel::sync::global_lock! {
    // SAFETY: Initialised by `init()` in module init, before any node is registered.
    unsafe(uninit) static UNITS: Mutex<KVec<Arc<Unit>>> = KVec::new();
}

/// FreeBSD's `IF_MAXUNIT`: the largest unit number.
pub(crate) const MAX_UNIT: u32 = 0x7fff;

/// Minor numbers of the per-unit nodes: one block of `MAX_UNIT + 1` per kind.
pub(crate) const MINORS: u32 = (MAX_UNIT + 1) * Kind::ALL.len() as u32;

/// Initialises the registry. Called once, from module init, before any node exists.
pub(crate) fn init() {
    // SAFETY: Called exactly once, before any use of `UNITS`.
    unsafe { UNITS.init() };
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
    let unit = create(kind, &net)?;
    if let Err(e) = unit.attach() {
        destroy(&unit);
        return Err(e);
    }
    Ok(unit)
}

/// Creates and registers the lowest free unit of `kind` in `net`, with its node.
///
/// Unit numbers used by a live unit of the kind are skipped, and so are those whose interface
/// name is already taken in `net` (by Linux's own tun driver, say): `register_netdev()` says
/// `EEXIST` for them.
fn create(kind: Kind, net: &Net) -> Result<Arc<Unit>> {
    let prefix = kind.driver().name.to_str()?;
    let mut units = UNITS.lock();
    let mut number = 0;
    loop {
        while units
            .iter()
            .any(|u| u.kind() == kind && u.number() == number)
        {
            number += 1;
        }
        if number > MAX_UNIT {
            return Err(ENOSPC);
        }
        let name = CString::try_from_fmt(fmt!("{prefix}{number}"))?;
        let unit = Unit::new(kind, number, &name)?;
        match netdev::register(&unit, net) {
            Ok(()) => {}
            Err(e) if e == EEXIST => {
                number += 1;
                continue;
            }
            Err(e) => return Err(e),
        }
        let added = cdev::Node::new(minor(kind, number), &name)
            .map(|node| unit.set_node(node))
            .and_then(|()| Ok(units.push(unit.clone(), GFP_KERNEL)?));
        if let Err(e) = added {
            unit.destroy();
            return Err(e);
        }
        return Ok(unit);
    }
}

/// Opening `/dev/<kind>N`: bind the file to that unit.
pub(crate) fn open_unit(minor: u32) -> Result<Arc<Unit>> {
    let (kind, number) = from_minor(minor).ok_or(ENXIO)?;
    if kind.driver().link == LinkLayer::Ethernet && !module_parameters::tap_user_open.value() {
        // FreeBSD: tap and vmnet need PRIV_NET_TAP unless user_open is set.
        if !Net::current()?.admin_capable() {
            return Err(EPERM);
        }
    }
    let unit = UNITS
        .lock()
        .iter()
        .find(|u| u.kind() == kind && u.number() == number)
        .cloned()
        .ok_or(ENXIO)?;
    unit.attach()?;
    Ok(unit)
}

/// Removes `unit` from the registry and destroys it.
pub(crate) fn destroy(unit: &Arc<Unit>) {
    UNITS.lock().retain(|u| !Arc::ptr_eq(u, unit));
    unit.destroy();
}

/// Destroys every unit: module unload.
pub(crate) fn destroy_all() {
    let units = core::mem::take(&mut *UNITS.lock());
    for unit in units.iter() {
        unit.destroy();
    }
}
