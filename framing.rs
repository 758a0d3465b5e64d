// SPDX-License-Identifier: GPL-2.0

//! BSD framing of a tun's packets for its reader: the `TUNSIFHEAD` address family or the
//! `TUNSLMODE` destination before each packet, then its virtio-net header, and the checks of a
//! written virtio-net header.
//! Pure functions but for the two that work on an `Skb`.

use super::stats::Loss;
use crate::{
    netdev::{
        Skb,
        VirtioNetHdr,
        ETH_P_IP,
        ETH_P_IPV6,
        VNET_HDR_LEN, //
    },
    uapi::{
        SockaddrIn,
        SockaddrIn6, //
    },
};
use kernel::{
    prelude::*,
    transmute::AsBytes, //
};

/// Linux `AF_INET`, as carried by the `TUNSIFHEAD` header.
pub(super) const AF_INET: u32 = 2;
/// Linux `AF_INET6`.
pub(super) const AF_INET6: u32 = 10;

/// The `TUNSIFHEAD` family of a packet of EtherType `protocol` routed out of a tun, or `None`
/// if the framing cannot carry it: without `TUNSIFHEAD`, only IPv4 (FreeBSD: `EAFNOSUPPORT`).
pub(super) fn family_of(protocol: u16, ifhead: bool) -> Option<u32> {
    match protocol {
        ETH_P_IP => Some(AF_INET),
        ETH_P_IPV6 if ifhead => Some(AF_INET6),
        _ => None,
    }
}

/// The EtherType of a packet written to a tun after the `TUNSIFHEAD` family `family`.
pub(super) fn protocol_of(family: u32) -> Option<u16> {
    match family {
        AF_INET => Some(ETH_P_IP),
        AF_INET6 => Some(ETH_P_IPV6),
        _ => None,
    }
}

/// The `TUNSLMODE` destination for `addr`: a Linux `sockaddr_in`, port 0.
pub(super) fn sockaddr_in(addr: [u8; 4]) -> SockaddrIn {
    SockaddrIn {
        family: AF_INET as u16,
        addr,
        ..Default::default()
    }
}

/// The `TUNSLMODE` destination for `addr`: a Linux `sockaddr_in6`, port, flow info and scope
/// id 0.
pub(super) fn sockaddr_in6(addr: [u8; 16]) -> SockaddrIn6 {
    SockaddrIn6 {
        family: AF_INET6 as u16,
        addr,
        ..Default::default()
    }
}

/// Frames a packet for a tun's reader: the address family (`TUNSIFHEAD`) or the destination
/// address (`TUNSLMODE`), then the `vnet`-byte virtio-net header if one is on, then the packet.
pub(super) fn frame_l3(
    skb: &mut Skb,
    ifhead: bool,
    lmode: bool,
    vnet: usize,
) -> core::result::Result<(), Loss> {
    let family = family_of(skb.protocol(), ifhead).ok_or(Loss::TxFamily)?;
    // All that comes from the packet is read before anything is put in front of it.
    let hdr = if vnet > 0 {
        Some(skb.vnet_hdr().map_err(|_| Loss::TxVnetHdr)?)
    } else {
        None
    };
    let dst = if lmode {
        Some(destination(skb, family).map_err(|_| Loss::TxFraming)?)
    } else {
        None
    };
    if let Some(hdr) = hdr {
        skb.push(&vnet_bytes(&hdr)[..vnet])
            .map_err(|_| Loss::TxFraming)?;
    }
    let prefix = match &dst {
        Some(Destination::V4(sa)) => sa.as_bytes(),
        Some(Destination::V6(sa)) => sa.as_bytes(),
        None if ifhead => &family.to_be_bytes()[..],
        None => return Ok(()),
    };
    skb.push(prefix).map_err(|_| Loss::TxFraming)
}

/// A `TUNSLMODE` destination.
enum Destination {
    V4(SockaddrIn),
    V6(SockaddrIn6),
}

/// The packet's destination address as a Linux `sockaddr_in`/`sockaddr_in6` (`TUNSLMODE`).
fn destination(skb: &Skb, family: u32) -> Result<Destination> {
    if family == AF_INET {
        let mut addr = [0u8; 4];
        skb.copy_bits(16, &mut addr)?;
        Ok(Destination::V4(sockaddr_in(addr)))
    } else {
        let mut addr = [0u8; 16];
        skb.copy_bits(24, &mut addr)?;
        Ok(Destination::V6(sockaddr_in6(addr)))
    }
}

/// How many bytes of a written packet of `len` bytes go in its skb's head: all of them up to
/// [`HEAD_MAX`] (one copy, the headers in place); for a larger one, the headers its virtio-net
/// header names (`hdr_len`, at least [`HEAD_MIN`], at most [`HEAD_MAX`]), the rest in page
/// fragments, as Linux's tun builds it. A 64 KiB GSO packet then reaches the stack in pages,
/// which segmentation and delivery share instead of copying them again.
pub(super) fn head_len(len: usize, hdr: Option<&VirtioNetHdr>) -> usize {
    if len <= HEAD_MAX {
        return len;
    }
    hdr.map_or(HEAD_MIN, |h| usize::from(h.hdr_len()))
        .clamp(HEAD_MIN, HEAD_MAX)
}

/// The largest packet written whole into an skb's head: an Ethernet frame of 1 500 bytes and
/// more fit.
pub(super) const HEAD_MAX: usize = 2048;
/// The smallest head of a larger packet: its link, network and transport headers, whatever
/// the virtio-net header says.
pub(super) const HEAD_MIN: usize = 128;

/// A virtio-net header as the file carries it: the 10 bytes, then the 12-byte form's
/// `num_buffers` (0); a `vnet`-byte header is the first `vnet` bytes.
pub(super) fn vnet_bytes(hdr: &VirtioNetHdr) -> [u8; 12] {
    let mut bytes = [0u8; 12];
    bytes[..VNET_HDR_LEN].copy_from_slice(hdr.as_bytes());
    bytes
}

/// Whether the virtio-net header `hdr` describes headers that lie within a frame of
/// `frame_len` bytes: `hdr_len`, extended to cover the checksum field when `NEEDS_CSUM` is set,
/// as Linux's tun checks it. The kernel checks the rest when it applies the header.
pub(super) fn vnet_hdr_fits(hdr: &VirtioNetHdr, frame_len: usize) -> bool {
    let mut hdr_len = usize::from(hdr.hdr_len());
    if hdr.flags & VirtioNetHdr::NEEDS_CSUM != 0 {
        hdr_len = hdr_len.max(usize::from(hdr.csum_start()) + usize::from(hdr.csum_offset()) + 2);
    }
    hdr_len <= frame_len
}

#[kunit_tests(tuntap_rs_framing)]
mod tests {
    use super::*;
    use kernel::transmute::FromBytes;

    #[test]
    fn families() {
        assert_eq!(family_of(ETH_P_IP, false), Some(AF_INET));
        assert_eq!(family_of(ETH_P_IP, true), Some(AF_INET));
        assert_eq!(family_of(ETH_P_IPV6, true), Some(AF_INET6));
        // Without TUNSIFHEAD only IPv4 is carried.
        assert_eq!(family_of(ETH_P_IPV6, false), None);
        assert_eq!(family_of(0x0806, true), None);
        assert_eq!(protocol_of(2), Some(ETH_P_IP));
        assert_eq!(protocol_of(10), Some(ETH_P_IPV6));
        // FreeBSD's AF_INET6 (28) is not Linux's.
        assert_eq!(protocol_of(28), None);
        assert_eq!(protocol_of(0), None);
    }

    #[test]
    fn sockaddrs() {
        // The layout on the file: family (host order), port, address, zeros.
        let sa = sockaddr_in([10, 0, 0, 2]);
        let sa = sa.as_bytes();
        assert_eq!(u16::from_ne_bytes([sa[0], sa[1]]), 2);
        assert_eq!(&sa[2..4], &[0, 0]);
        assert_eq!(&sa[4..8], &[10, 0, 0, 2]);
        assert_eq!(&sa[8..], &[0; 8]);
        let addr = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let sa6 = sockaddr_in6(addr);
        let sa6 = sa6.as_bytes();
        assert_eq!(u16::from_ne_bytes([sa6[0], sa6[1]]), 10);
        assert_eq!(&sa6[2..8], &[0; 6]);
        assert_eq!(&sa6[8..24], &addr);
        assert_eq!(&sa6[24..], &[0; 4]);
    }

    #[test]
    fn vnet_headers() {
        // The wire layout: flags, gso_type, then four little-endian 16-bit fields.
        let raw = [1, 3, 2, 1, 4, 3, 6, 5, 8, 7];
        let hdr = VirtioNetHdr::from_bytes_copy(&raw);
        assert_eq!(hdr.map(|h| (h.flags, h.gso_type)), Some((1, 3)));
        assert_eq!(hdr.map(|h| h.hdr_len()), Some(0x0102));
        assert_eq!(
            hdr.map(|h| (h.csum_start(), h.csum_offset())),
            Some((0x0506, 0x0708))
        );
        assert_eq!(hdr.as_ref().map(AsBytes::as_bytes), Some(&raw[..]));
        // Whether the headers a header describes fit a frame of `len` bytes.
        let fits = |raw: [u8; VNET_HDR_LEN], len| {
            VirtioNetHdr::from_bytes_copy(&raw).map(|h| vnet_hdr_fits(&h, len))
        };
        // hdr_len 54 in a 54-byte frame fits; in 53 bytes it does not.
        let hdr = [0, 0, 54, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(fits(hdr, 54), Some(true));
        assert_eq!(fits(hdr, 53), Some(false));
        // NEEDS_CSUM: the checksum field (csum_start + csum_offset + 2) must fit too.
        let csum = [VirtioNetHdr::NEEDS_CSUM, 0, 0, 0, 0, 0, 34, 0, 16, 0];
        assert_eq!(fits(csum, 52), Some(true));
        assert_eq!(fits(csum, 51), Some(false));
        // Offsets near u16::MAX do not overflow.
        let big = [
            VirtioNetHdr::NEEDS_CSUM,
            0,
            0xff,
            0xff,
            0,
            0,
            0xff,
            0xff,
            0xff,
            0xff,
        ];
        assert_eq!(fits(big, 65535), Some(false));
        // No header fields: fits any frame.
        assert_eq!(fits([0; VNET_HDR_LEN], 0), Some(true));
    }

    #[test]
    fn heads() {
        // Up to HEAD_MAX all in the head; beyond, the headers the header names, bounded.
        assert_eq!(head_len(1500, None), 1500);
        assert_eq!(head_len(HEAD_MAX, None), HEAD_MAX);
        assert_eq!(head_len(HEAD_MAX + 1, None), HEAD_MIN);
        let hdr = |hdr_len: u16| {
            let [lo, hi] = hdr_len.to_le_bytes();
            VirtioNetHdr::from_bytes_copy(&[0, 1, lo, hi, 0, 0, 0, 0, 0, 0])
        };
        assert_eq!(hdr(66).map(|h| head_len(65000, Some(&h))), Some(HEAD_MIN));
        assert_eq!(hdr(200).map(|h| head_len(65000, Some(&h))), Some(200));
        assert_eq!(
            hdr(60000).map(|h| head_len(65000, Some(&h))),
            Some(HEAD_MAX)
        );
    }
}
