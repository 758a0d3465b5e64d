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
//! The crate is layered. The thin `unsafe` layer is [`cdev`] (char devices and their
//! `file_operations`), [`netdev`] (net_device and sk_buff wrappers, the ndo entry points) and
//! [`sys`] (declarations of the C glue in `glue.c`). Above it, in safe Rust, [`unit`] holds the
//! unit state machine (with its parts `datapath`, `framing`, `ioctl` and `stats`), and
//! [`clone`] the unit registry, unit allocation and who may clone what.
//!
//! # Lock order
//!
//! Stated here once; every other file refers to it.
//!
//! `misc_mtx` (held by `misc_open` around a cloning open) → `Unit::ctl` (a mutex: open, close
//! and the ioctls that change the interface) → RTNL ([`netdev::Rtnl`]; rtnetlink calls
//! `newlink` and `dellink` with it held) → `clone::UNITS` (the registry) → `Unit::io` (a
//! spinlock that saves and disables interrupts, [`netdev::SpinLockIrqSave`], taken by the
//! transmit path in softirq context: nothing that sleeps runs under it, and packets are freed
//! outside it).

use driver::Kind;
use kernel::prelude::*;

mod cdev;
mod clone;
mod driver;
mod netdev;
mod node;
mod uapi;
mod unit;

// The network layer's C entry points, for the link kinds of `clone`.
netdev::export_net_driver!(clone::LinkDriver);

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
        debug: i32 {
            default: 0,
            description: "Initial debug level, as set by TUNSDEBUG (FreeBSD debug.if_tun_debug)",
        },
        tap_up_on_open: bool {
            default: false,
            description: "Bring tap and vmnet interfaces up when their node is opened (FreeBSD net.link.tap.up_on_open)",
        },
        tap_user_open: bool {
            default: false,
            description: "Let users without CAP_NET_ADMIN open tap and vmnet nodes, as far as the node's permissions allow (FreeBSD net.link.tap.user_open)",
        },
    },
}

/// The rtnetlink link kinds `bsdtun`, `bsdtap` and `bsdvmnet`, in [`Kind::ALL`] order. Every
/// unit's interface is one of their links, so unregistering them (module unload) destroys every
/// unit, in every network namespace; the registry and its node region go after that.
struct Links {
    _kinds: netdev::LinkKinds,
    _registry: clone::RegistryGuard,
}

/// The loaded module.
///
/// Fields drop in declaration order, which is the unload order: first the cloning nodes (no
/// new units by cloning), then the link kinds (every unit, its node and interface), then the
/// registry with the per-unit node region. No file is open at unload: each one pins the module.
struct TunTap {
    /// `/dev/tun`, `/dev/tap`, `/dev/vmnet`, in [`Kind::ALL`] order.
    _clone_nodes: KVec<Pin<KBox<cdev::Registration<unit::Unit>>>>,
    _links: Links,
}

impl kernel::Module for TunTap {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registry = clone::RegistryGuard::init()?;
        unit::set_debug(module_parameters::debug.value());
        let links = Links {
            _kinds: netdev::LinkKinds::register(&Kind::ALL.map(|kind| kind.driver().link_kind))?,
            _registry: registry,
        };
        let mut nodes = KVec::with_capacity(Kind::ALL.len(), GFP_KERNEL)?;
        for kind in Kind::ALL {
            let node = cdev::Registration::register(kind.driver().name, kind)?;
            let node = KBox::pin_init(node, GFP_KERNEL)?;
            nodes.push(node, GFP_KERNEL)?;
        }
        pr_info!("tun, tap and vmnet cloning nodes and link kinds registered\n");
        Ok(TunTap {
            _clone_nodes: nodes,
            _links: links,
        })
    }
}
