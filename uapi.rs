// SPDX-License-Identifier: GPL-2.0

//! The C structures programs pass through the unit's file, as `#[repr(C)]` types that the
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
