// SPDX-License-Identifier: GPL-2.0

//! The network side of a unit: what kind of interface each driver makes.

/// The link layer of a driver's interfaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkLayer {
    /// Point-to-point IP: frames are bare IPv4/IPv6 packets (tun).
    Ip,
    /// Ethernet: frames carry an Ethernet header (tap, vmnet).
    Ethernet,
}
