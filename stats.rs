// SPDX-License-Identifier: GPL-2.0

//! Why packets are lost: the loss taxonomy, each reason with its own counter (`ethtool -S`) and
//! the interface's standard counter it adds to. Pure data.

use crate::netdev::Counter;
use kernel::prelude::*;
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};

/// Why a packet was lost. Each reason has its own counter (`ethtool -S`) and adds to one of
/// the interface's standard counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Loss {
    /// Written while the interface is down (FreeBSD ignores it): `rx_dropped`.
    RxDown,
    /// A tap frame real hardware would not have received (runt, another unicast address):
    /// `rx_dropped`.
    RxFiltered,
    /// Longer than the MRU: `rx_errors`.
    RxOversize,
    /// Shorter than its `TUNSIFHEAD` header: `rx_errors`.
    RxShort,
    /// A `TUNSIFHEAD` family other than `AF_INET`/`AF_INET6`: `rx_errors`.
    RxFamily,
    /// A malformed virtio-net header: `rx_errors`.
    RxVnetHdr,
    /// The writer's buffer could not be read, or no memory for the packet: `rx_errors`.
    RxCopy,
    /// Routed out while no file is open: `tx_dropped`.
    TxClosed,
    /// A family the framing cannot carry (IPv6 without `TUNSIFHEAD`): `tx_dropped`.
    TxFamily,
    /// No memory to prepend the BSD header, or to copy a zero-copy sender's pages before
    /// queueing: `tx_errors` and `tx_dropped`.
    TxFraming,
    /// Still queued when the file was closed: `tx_dropped`.
    TxPurged,
    /// The reader's buffer could not be written: `tx_dropped`.
    TxCopy,
    /// The packet's offload state has no virtio-net header: `tx_errors` and `tx_dropped`.
    TxVnetHdr,
}

impl Loss {
    const COUNT: usize = Loss::TxVnetHdr as usize + 1;

    /// Every reason, in order.
    #[cfg_attr(not(CONFIG_KUNIT = "y"), allow(dead_code))]
    const ALL: [Loss; Loss::COUNT] = [
        Loss::RxDown,
        Loss::RxFiltered,
        Loss::RxOversize,
        Loss::RxShort,
        Loss::RxFamily,
        Loss::RxVnetHdr,
        Loss::RxCopy,
        Loss::TxClosed,
        Loss::TxFamily,
        Loss::TxFraming,
        Loss::TxPurged,
        Loss::TxCopy,
        Loss::TxVnetHdr,
    ];

    /// Every reason, in order, with its `ethtool -S` name.
    pub(crate) const NAMES: [&'static CStr; Loss::COUNT] = [
        c"rx_dropped_down",
        c"rx_dropped_filtered",
        c"rx_errors_oversize",
        c"rx_errors_short",
        c"rx_errors_family",
        c"rx_errors_vnet_hdr",
        c"rx_errors_copy",
        c"tx_dropped_closed",
        c"tx_dropped_family",
        c"tx_errors_framing",
        c"tx_dropped_purged",
        c"tx_dropped_copy",
        c"tx_errors_vnet_hdr",
    ];

    /// The interface counters the loss adds to.
    pub(super) fn counters(self) -> &'static [Counter] {
        match self {
            Loss::RxDown | Loss::RxFiltered => &[Counter::RxDropped],
            Loss::RxOversize | Loss::RxShort | Loss::RxFamily | Loss::RxVnetHdr | Loss::RxCopy => {
                &[Counter::RxErrors]
            }
            Loss::TxClosed | Loss::TxFamily | Loss::TxPurged | Loss::TxCopy => {
                &[Counter::TxDropped]
            }
            Loss::TxFraming | Loss::TxVnetHdr => &[Counter::TxErrors, Counter::TxDropped],
        }
    }
}

/// The per-reason loss counters and the backpressure count of a unit (`ethtool -S`).
pub(super) struct Stats {
    losses: [Atomic<u64>; Loss::COUNT],
    /// Times a full queue stopped the interface's transmit queue.
    queue_stops: Atomic<u64>,
}

impl Stats {
    /// Every counter at zero.
    pub(super) const fn new() -> Stats {
        Stats {
            losses: [const { Atomic::new(0) }; Loss::COUNT],
            queue_stops: Atomic::new(0),
        }
    }

    /// Counts a packet lost for `loss`; returns the interface's counters it also adds to.
    pub(super) fn lose(&self, loss: Loss) -> &'static [Counter] {
        self.losses[loss as usize].fetch_add(1, Relaxed);
        loss.counters()
    }

    /// Counts a full queue stopping the stack.
    pub(super) fn queue_stopped(&self) {
        self.queue_stops.fetch_add(1, Relaxed);
    }

    /// The `ethtool -S` values, in [`STAT_NAMES`] order.
    pub(super) fn read(&self, out: &mut [u64]) {
        for (slot, counter) in out.iter_mut().zip(self.losses.iter()) {
            *slot = counter.load(Relaxed);
        }
        if let Some(slot) = out.get_mut(Loss::COUNT) {
            *slot = self.queue_stops.load(Relaxed);
        }
    }
}

/// What `ethtool -S` shows, in order: the loss reasons, then `queue_stops`.
pub(crate) const STAT_NAMES: [&CStr; Loss::COUNT + 1] = {
    let mut names = [c"queue_stops"; Loss::COUNT + 1];
    let mut i = 0;
    while i < Loss::COUNT {
        names[i] = Loss::NAMES[i];
        i += 1;
    }
    names
};

#[kunit_tests(tuntap_rs_stats)]
mod tests {
    use super::*;

    /// The standard counters a name says the loss adds to: its prefix names the first, and an
    /// error on the transmit side is also a drop (the packet never reaches the reader).
    fn counters_named(name: &[u8]) -> Option<&'static [Counter]> {
        if name.starts_with(b"rx_dropped_") {
            Some(&[Counter::RxDropped])
        } else if name.starts_with(b"rx_errors_") {
            Some(&[Counter::RxErrors])
        } else if name.starts_with(b"tx_dropped_") {
            Some(&[Counter::TxDropped])
        } else if name.starts_with(b"tx_errors_") {
            Some(&[Counter::TxErrors, Counter::TxDropped])
        } else {
            None
        }
    }

    #[test]
    fn taxonomy() {
        for (i, loss) in Loss::ALL.into_iter().enumerate() {
            // ALL is in declaration order, which indexes the counters and the names.
            assert_eq!(loss as usize, i);
            let name = Loss::NAMES[i].to_bytes();
            assert_eq!(counters_named(name), Some(loss.counters()));
        }
    }

    #[test]
    fn ethtool_names() {
        assert_eq!(STAT_NAMES.len(), Loss::COUNT + 1);
        assert_eq!(STAT_NAMES[Loss::COUNT].to_bytes(), b"queue_stops");
        for (i, a) in STAT_NAMES.iter().enumerate() {
            // ETH_GSTRING_LEN: 32 bytes with the NUL.
            assert!(a.to_bytes().len() < 32);
            for b in &STAT_NAMES[i + 1..] {
                assert_ne!(a.to_bytes(), b.to_bytes());
            }
        }
    }
}
