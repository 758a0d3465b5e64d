// SPDX-License-Identifier: GPL-2.0

//! Cloning: who may open a cloning node, `/dev/tun`, `/dev/tap` or `/dev/vmnet`.
//!
//! FreeBSD lets only a privileged user clone an interface by opening a cloning node
//! (`PRIV_NET_IFCREATE`), and lets tap and vmnet nodes be opened without privilege only when
//! the `net.link.tap.user_open` sysctl says so. On Linux the privilege is `CAP_NET_ADMIN` and the
//! sysctls are module parameters.

use crate::{
    cdev,
    module_parameters,
    netdev::LinkLayer,
    Kind, //
};
use kernel::{
    fs::File,
    prelude::*, //
};

/// The cloning nodes' operations; a node carries its [`Kind`].
pub(crate) struct CloneNode;

impl cdev::Operations for CloneNode {
    type Node = Kind;
    type Ptr = KBox<Kind>;

    fn open(kind: &Kind, _file: &File) -> Result<KBox<Kind>> {
        may_clone(*kind, cdev::net_admin_capable())?;
        Ok(KBox::new(*kind, GFP_KERNEL)?)
    }
}

/// Whether an opener, `privileged` or not, may clone a unit of `kind` (FreeBSD's `tunclone`).
///
/// Cloning that the module parameters disable fails with `ENXIO`, as a device that is not
/// there; a missing privilege fails with `EPERM`.
pub(crate) fn may_clone(kind: Kind, privileged: bool) -> Result {
    let (cloning, user_open) = match kind.driver().link {
        LinkLayer::Ip => (*module_parameters::tun_devfs_cloning.value(), false),
        LinkLayer::Ethernet => (
            *module_parameters::tap_devfs_cloning.value(),
            *module_parameters::tap_user_open.value(),
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
