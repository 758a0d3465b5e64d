// SPDX-License-Identifier: GPL-2.0

//! The C structures programs pass through the unit's file or its ioctls, as `#[repr(C)]` types that the
//! user-copy functions read and write whole (`FromBytes`, `AsBytes`) instead of by byte
//! offsets. Part of the thin layer: the marker traits are `unsafe` to implement.

use kernel::transmute::{
    AsBytes,
    FromBytes, //
};

/// `struct tuninfo` of `<net/if_tun.h>` (`TUNSIFINFO`, `TUNGIFINFO`), FreeBSD's layout.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct TunInfo {
    /// Line speed: kept and reported back.
    pub(crate) baudrate: i32,
    /// The MTU.
    pub(crate) mtu: u16,
    /// FreeBSD's interface type (`IFT_PPP`, `IFT_ETHER`).
    pub(crate) iftype: u8,
    /// Padding in FreeBSD's struct; ignored, written as 0.
    pub(crate) dummy: u8,
}

const _: () = assert!(core::mem::size_of::<TunInfo>() == 8);

// SAFETY: Integers only, no padding (asserted above): every bit pattern is a valid `TunInfo`.
unsafe impl FromBytes for TunInfo {}
// SAFETY: Integers only, no padding: every byte is initialised.
unsafe impl AsBytes for TunInfo {}

/// Linux `struct sockaddr_in` (`TUNSLMODE`'s IPv4 destination): no `sa_len` on Linux.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SockaddrIn {
    /// `AF_INET`, host byte order.
    pub(crate) family: u16,
    /// Network byte order.
    pub(crate) port: u16,
    /// The address, network byte order.
    pub(crate) addr: [u8; 4],
    /// `sin_zero`.
    pub(crate) zero: [u8; 8],
}

/// Linux `struct sockaddr_in6` (`TUNSLMODE`'s IPv6 destination).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SockaddrIn6 {
    /// `AF_INET6`, host byte order.
    pub(crate) family: u16,
    /// Network byte order.
    pub(crate) port: u16,
    /// `sin6_flowinfo`.
    pub(crate) flowinfo: u32,
    /// The address.
    pub(crate) addr: [u8; 16],
    /// `sin6_scope_id`.
    pub(crate) scope_id: u32,
}

const _: () = assert!(core::mem::size_of::<SockaddrIn>() == 16);
const _: () = assert!(core::mem::size_of::<SockaddrIn6>() == 28);

// SAFETY: Integers and byte arrays, no padding (sizes asserted above).
unsafe impl FromBytes for SockaddrIn {}
// SAFETY: As above: every byte is initialised.
unsafe impl AsBytes for SockaddrIn {}
// SAFETY: Integers and byte arrays, no padding (sizes asserted above).
unsafe impl FromBytes for SockaddrIn6 {}
// SAFETY: As above: every byte is initialised.
unsafe impl AsBytes for SockaddrIn6 {}
