// SPDX-License-Identifier: GPL-2.0

//! BSD framing of a tun's packets for its reader: the `TUNSIFHEAD` address family or the
//! `TUNSLMODE` destination before each packet.

use super::stats::Loss;
use crate::netdev::{
    Skb,
    ETH_P_IP,
    ETH_P_IPV6, //
};
use kernel::prelude::*;

/// Linux `AF_INET`, as carried by the `TUNSIFHEAD` header.
pub(super) const AF_INET: u32 = 2;
/// Linux `AF_INET6`.
pub(super) const AF_INET6: u32 = 10;

/// Frames a packet for a tun's reader: the address family (`TUNSIFHEAD`) or the destination
/// address (`TUNSLMODE`) before it, or nothing.
pub(super) fn frame_l3(skb: &mut Skb, ifhead: bool, lmode: bool) -> core::result::Result<(), Loss> {
    let family = match skb.protocol() {
        ETH_P_IP => AF_INET,
        ETH_P_IPV6 if ifhead => AF_INET6,
        // A family the framing cannot carry (FreeBSD: EAFNOSUPPORT).
        _ => return Err(Loss::TxFamily),
    };
    if lmode && frame_lmode(skb, family).is_err()
        || ifhead && skb.push(&family.to_be_bytes()).is_err()
    {
        return Err(Loss::TxFraming);
    }
    Ok(())
}

/// Prepends the destination as a Linux `sockaddr_in`/`sockaddr_in6` (`TUNSLMODE`).
fn frame_lmode(skb: &mut Skb, family: u32) -> Result {
    if family == AF_INET {
        // struct sockaddr_in: family, port 0, address, 8 bytes of zero.
        let mut sa = [0u8; 16];
        sa[0..2].copy_from_slice(&(AF_INET as u16).to_ne_bytes());
        skb.copy_bits(16, &mut sa[4..8])?;
        skb.push(&sa)
    } else {
        // struct sockaddr_in6: family, port 0, flowinfo 0, address, scope id 0.
        let mut sa = [0u8; 28];
        sa[0..2].copy_from_slice(&(AF_INET6 as u16).to_ne_bytes());
        skb.copy_bits(24, &mut sa[8..24])?;
        skb.push(&sa)
    }
}
