// SPDX-License-Identifier: GPL-2.0

//! The three drivers, tun, tap and vmnet: one table, [`DRIVERS`], as FreeBSD's
//! `tuntap_drivers[]`, and the [`Kind`] that indexes it.

use crate::netdev;
use kernel::prelude::*;

/// The module's version, as ethtool reports it; DKMS's `PACKAGE_VERSION` (`dkms.conf`) is the
/// same (`scripts/dkms-test.sh` checks).
pub(crate) const VERSION: &CStr = c"0.1";

/// Which of the three drivers a node or unit belongs to.
///
/// The discriminants are the C glue's link kind indices (`enum tuntap_rs_kind` in `glue.h`,
/// which asserts them too) and index [`DRIVERS`].
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Layer-3 tunnel, `tunN`.
    Tun = 0,
    /// Layer-2 (Ethernet) tunnel, `tapN`.
    Tap = 1,
    /// Layer-2 tunnel with VMware's semantics, `vmnetN`.
    Vmnet = 2,
}

/// What differs between the drivers: FreeBSD's `tuntap_drivers[]`.
pub(crate) struct Driver {
    /// Name of the cloning node and prefix of unit names.
    pub(crate) name: &'static CStr,
    /// Its rtnetlink link kind (`ip link add tun5 type bsdtun`).
    pub(crate) link_kind: &'static CStr,
    /// The link layer of its interfaces.
    pub(crate) link: netdev::LinkLayer,
    /// FreeBSD's interface type (`<net/if_types.h>`), reported by `TUNGIFINFO`.
    pub(crate) iftype: u8,
    /// vmnet's quirk: output is kept while no file is open, and closing leaves the interface
    /// up (FreeBSD skips the interface teardown for vmnet; the close drains every kind).
    pub(crate) keep_when_closed: bool,
}

/// FreeBSD's `IFT_ETHER`.
const IFT_ETHER: u8 = 0x6;
/// FreeBSD's `IFT_PPP`.
const IFT_PPP: u8 = 0x17;

/// The driver table, indexed by [`Kind`].
pub(crate) const DRIVERS: [Driver; 3] = [
    Driver {
        name: c"tun",
        link_kind: c"bsdtun",
        link: netdev::LinkLayer::Ip,
        iftype: IFT_PPP,
        keep_when_closed: false,
    },
    Driver {
        name: c"tap",
        link_kind: c"bsdtap",
        link: netdev::LinkLayer::Ethernet,
        iftype: IFT_ETHER,
        keep_when_closed: false,
    },
    Driver {
        name: c"vmnet",
        link_kind: c"bsdvmnet",
        link: netdev::LinkLayer::Ethernet,
        iftype: IFT_ETHER,
        keep_when_closed: true,
    },
];

impl Kind {
    /// Every kind, in table order.
    pub(crate) const ALL: [Kind; 3] = [Kind::Tun, Kind::Tap, Kind::Vmnet];

    /// The kind with index `i` in [`Kind::ALL`] (as the C glue numbers them).
    pub(crate) fn from_index(i: u32) -> Option<Kind> {
        Kind::ALL.get(usize::try_from(i).ok()?).copied()
    }

    /// This kind's row of [`DRIVERS`].
    pub(crate) const fn driver(self) -> &'static Driver {
        &DRIVERS[self as usize]
    }
}
