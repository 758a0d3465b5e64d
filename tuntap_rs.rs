// SPDX-License-Identifier: GPL-2.0

//! FreeBSD's tun(4), tap(4) and vmnet tunnel devices for Linux.
//!
//! tun is a layer-3 (IP) tunnel, tap a layer-2 (Ethernet) one, and vmnet a tap with the quirks
//! VMware expected of it. Each is a row of one table, [`DRIVERS`], sharing one set of functions,
//! as in FreeBSD's `sys/net/if_tuntap.c`. Opening a cloning node, `/dev/tun`, `/dev/tap` or
//! `/dev/vmnet`, is the entry point BSD programs use:
//!
//! ```c
//! int fd = open("/dev/tun", O_RDWR);  /* needs CAP_NET_ADMIN */
//! ```
//!
//! The crate is layered: [`cdev`] is the thin `unsafe` layer over the kernel's char-device API,
//! [`netdev`] describes the network side, and [`clone`] decides, in safe Rust, who may open
//! and clone what.

use kernel::{
    prelude::*,
    str::CString, //
};

mod cdev;
mod clone;
mod netdev;

module! {
    type: TunTap,
    name: "tuntap_rs",
    authors: ["The tuntap_rs developers"],
    description: "FreeBSD tun/tap/vmnet tunnel devices (BSD semantics on Linux netdevs)",
    license: "GPL",
    params: {
        tun_devfs_cloning: bool {
            default: true,
            description: "Opening /dev/tun clones an interface (FreeBSD net.link.tun.devfs_cloning)",
        },
        tap_devfs_cloning: bool {
            default: true,
            description: "Opening /dev/tap or /dev/vmnet clones an interface (FreeBSD net.link.tap.devfs_cloning)",
        },
        tap_user_open: bool {
            default: false,
            description: "Let users without CAP_NET_ADMIN open tap and vmnet nodes, as far as the node's permissions allow (FreeBSD net.link.tap.user_open)",
        },
    },
}

/// Which of the three drivers a node or unit belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Layer-3 tunnel, `tunN`.
    Tun,
    /// Layer-2 (Ethernet) tunnel, `tapN`.
    Tap,
    /// Layer-2 tunnel with VMware's semantics, `vmnetN`.
    Vmnet,
}

/// What differs between the drivers: FreeBSD's `tuntap_drivers[]`.
pub(crate) struct Driver {
    /// Name of the cloning node and prefix of unit names.
    pub(crate) name: &'static CStr,
    /// The link layer of its interfaces.
    pub(crate) link: netdev::LinkLayer,
}

/// The driver table, indexed by [`Kind`].
pub(crate) const DRIVERS: [Driver; 3] = [
    Driver {
        name: c"tun",
        link: netdev::LinkLayer::Ip,
    },
    Driver {
        name: c"tap",
        link: netdev::LinkLayer::Ethernet,
    },
    Driver {
        name: c"vmnet",
        link: netdev::LinkLayer::Ethernet,
    },
];

impl Kind {
    /// Every kind, in table order.
    pub(crate) const ALL: [Kind; 3] = [Kind::Tun, Kind::Tap, Kind::Vmnet];

    /// This kind's row of [`DRIVERS`].
    pub(crate) const fn driver(self) -> &'static Driver {
        &DRIVERS[self as usize]
    }
}

/// The loaded module: the three cloning nodes.
///
/// Dropping it deregisters the nodes; files still open keep only their own state.
struct TunTap {
    /// `/dev/tun`, `/dev/tap`, `/dev/vmnet`, in [`Kind::ALL`] order.
    _clone_nodes: KVec<Pin<KBox<cdev::Registration<clone::CloneNode>>>>,
}

impl kernel::Module for TunTap {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut nodes = KVec::with_capacity(Kind::ALL.len(), GFP_KERNEL)?;
        for kind in Kind::ALL {
            let name = CString::try_from_fmt(fmt!("{}", kind.driver().name.to_str()?))?;
            let node = KBox::pin_init(cdev::Registration::register(name, kind), GFP_KERNEL)?;
            nodes.push(node, GFP_KERNEL)?;
        }
        pr_info!("tun, tap and vmnet cloning nodes registered\n");
        Ok(TunTap {
            _clone_nodes: nodes,
        })
    }
}
