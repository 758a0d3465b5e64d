// SPDX-License-Identifier: GPL-2.0

//! A unit: one tun interface and its char-device side (FreeBSD's `struct tuntap_softc`).
//!
//! Everything here is safe Rust: the unit state machine (open, dying, transient), the packet
//! queue with backpressure, BSD packet framing (`TUNSIFHEAD`, `TUNSLMODE`) and the BSD ioctls.
//!
//! # States
//!
//! A unit is created by opening a cloning node, and is then *open*: bound to that file. Its
//! last close makes it closed but alive (FreeBSD units persist), unless it is *transient*, when
//! the close destroys it. Opening its node `/dev/tunN` opens it again; a second open gets
//! `EBUSY`, and an open of a *dying* unit (being destroyed) gets `ENXIO`.
//!
//! # Locking
//!
//! - `io` (`Unit::io`, an IRQ-safe spinlock) guards the packet queue and the BSD flags. The
//!   transmit path takes it in softirq context; it is never held across anything that sleeps.
//! - `ctl` (`Unit::ctl`, a mutex) serialises open, close and the ioctls that change the
//!   interface, and guards the node and the baud rate. Order: `clone::UNITS` → `ctl` → RTNL →
//!   `io`.

use crate::{
    cdev::{
        self,
        Fasync, //
    },
    clone,
    module_parameters,
    netdev::{
        iff,
        Counter,
        EthtoolLink,
        LinkInfo,
        LinkLayer,
        Live,
        NetDev,
        Rtnl,
        Setup,
        Skb,
        SkbQueue,
        ETH_HLEN,
        ETH_P_IP,
        ETH_P_IPV6, //
        VNET_HDR_LEN,
    },
    Kind, //
};
use core::sync::atomic::{
    AtomicI32,
    AtomicU64,
    Ordering, //
};
use kernel::{
    fs::File,
    ioctl::{
        _IO,
        _IOR,
        _IOW, //
    },
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    new_mutex, new_poll_condvar, new_spinlock_irq,
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::{
        poll::{
            PollCondVar,
            PollTable, //
        },
        Arc,
        ArcBorrow,
        Mutex,
        SpinLockIrq, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

/// FreeBSD's `TUNMRU`: the largest packet a writer may send.
pub(crate) const TUNMRU: usize = 65535;
/// FreeBSD's `TUNMTU`: the default MTU.
const TUNMTU: u32 = 1500;
/// Linux `AF_INET`, as carried by the `TUNSIFHEAD` header.
const AF_INET: u32 = 2;
/// Linux `AF_INET6`.
const AF_INET6: u32 = 10;
/// `ARPHRD_NONE`: a tun has no link-layer header.
const ARPHRD_NONE: u16 = 0xfffe;
/// Default `txqueuelen`, as Linux's tun.
const TX_QUEUE_LEN: u32 = 500;

/// FreeBSD's `TAPMRU`: the largest frame a tap writer may send.
const TAPMRU: usize = 65535;

/// How a tun interface looks to the stack.
const TUN_SETUP: Setup = Setup {
    link: LinkLayer::Ip,
    type_: ARPHRD_NONE,
    flags: iff::POINTOPOINT | iff::MULTICAST | iff::NOARP,
    mtu: TUNMTU,
    min_mtu: 68,
    max_mtu: TUNMRU as u32,
    tx_queue_len: TX_QUEUE_LEN,
};

/// How a tap or vmnet interface looks to the stack: `ether_setup()`'s Ethernet (broadcast,
/// multicast, MTU 1500) with a random locally administered address.
const TAP_SETUP: Setup = Setup {
    link: LinkLayer::Ethernet,
    type_: 0,
    flags: 0,
    mtu: 0,
    min_mtu: 0,
    max_mtu: (TAPMRU - ETH_HLEN) as u32,
    tx_queue_len: TX_QUEUE_LEN,
};

/// How a new unit of `kind` looks to the stack.
pub(crate) fn setup(kind: Kind) -> &'static Setup {
    match kind.driver().link {
        LinkLayer::Ip => &TUN_SETUP,
        LinkLayer::Ethernet => &TAP_SETUP,
    }
}

/// FreeBSD's `TUN_VMIO_FLAG_MASK`: the flag bits `VMIO_SIOCSIFFLAGS` may set.
const VMIO_FLAG_MASK: u32 = 0x0fff;
/// Flags `VMIO_SIOCSIFFLAGS` cannot change (FreeBSD's `IFF_CANTCHANGE`, in Linux bits): they
/// follow the interface's state or are set by other means.
const IFF_CANTCHANGE: u32 = iff::BROADCAST
    | iff::LOOPBACK
    | iff::POINTOPOINT
    | iff::RUNNING
    | iff::PROMISC
    | iff::ALLMULTI
    | iff::MASTER
    | iff::SLAVE
    | !VMIO_FLAG_MASK;

/// FreeBSD's `tundebug` (`TUNSDEBUG`/`TUNGDEBUG`, module parameter `debug`): kept and
/// reported, not otherwise used.
static DEBUG: AtomicI32 = AtomicI32::new(0);

/// Sets the debug level (module load).
pub(crate) fn set_debug(level: i32) {
    DEBUG.store(level, Ordering::Relaxed);
}

/// `BSDTUN_MODE_*` (`<net/tuntap_rs_link.h>`): the framing, as rtnetlink reports it.
mod link_mode {
    pub(super) const PLAIN: u8 = 0;
    pub(super) const IFHEAD: u8 = 1;
    pub(super) const LMODE: u8 = 2;
    pub(super) const ETHERNET: u8 = 3;
}

/// The ioctls of `<net/if_tun.h>`, FreeBSD's names with Linux encodings.
mod cmd {
    use super::*;

    /// `sizeof(struct ifreq)` for 64-bit callers and for 32-bit (compat) callers.
    pub(super) const IFREQ_SIZE: usize = 40;
    pub(super) const IFREQ_SIZE_COMPAT: usize = 32;

    pub(super) const TUNSDEBUG: u32 = _IOW::<i32>(b't' as u32, 90);
    pub(super) const TUNGDEBUG: u32 = _IOR::<i32>(b't' as u32, 89);
    pub(super) const TUNSIFINFO: u32 = _IOW::<[u8; 8]>(b't' as u32, 91);
    pub(super) const TUNGIFINFO: u32 = _IOR::<[u8; 8]>(b't' as u32, 92);
    pub(super) const TUNSLMODE: u32 = _IOW::<i32>(b't' as u32, 93);
    pub(super) const TUNGIFNAME: u32 = _IOR::<[u8; IFREQ_SIZE]>(b't' as u32, 93);
    pub(super) const TUNGIFNAME_COMPAT: u32 = _IOR::<[u8; IFREQ_SIZE_COMPAT]>(b't' as u32, 93);
    pub(super) const TUNSIFMODE: u32 = _IOW::<i32>(b't' as u32, 94);
    pub(super) const TUNSIFPID: u32 = _IO(b't' as u32, 95);
    pub(super) const TUNSIFHEAD: u32 = _IOW::<i32>(b't' as u32, 96);
    pub(super) const TUNGIFHEAD: u32 = _IOR::<i32>(b't' as u32, 97);
    pub(super) const TUNGTRANSIENT: u32 = _IOR::<i32>(b't' as u32, 98);
    pub(super) const TUNSTRANSIENT: u32 = _IOW::<i32>(b't' as u32, 99);

    /// `<net/if_tap.h>`: FreeBSD's `_IOWINT('V', 0)`, the flags passed by value; on Linux
    /// `_IOC(_IOC_NONE, 'V', 0, sizeof(int))`: no direction bits, size 4 at bit 16, type at 8.
    pub(super) const VMIO_SIOCSIFFLAGS: u32 = (4 << 16) | ((b'V' as u32) << 8);
    /// virtio-net header length (FreeBSD 15's tap): 0, 10 or 12.
    pub(super) const TAPSVNETHDR: u32 = _IOW::<i32>(b't' as u32, 91);
    pub(super) const TAPGVNETHDR: u32 = _IOR::<i32>(b't' as u32, 94);
    /// Get and set the remote MAC address (tap and vmnet).
    pub(super) const SIOCGIFADDR: u32 = kernel::bindings::SIOCGIFADDR;
    pub(super) const SIOCSIFADDR: u32 = kernel::bindings::SIOCSIFADDR;

    /// Generic file ioctls, as the kernel defines them for the architecture it is built for
    /// (`<asm/ioctls.h>`: `FIONREAD` and the `TIOC*` differ between x86, powerpc, mips, ...).
    pub(super) const FIONREAD: u32 = kernel::bindings::FIONREAD;
    pub(super) const TIOCGPGRP: u32 = kernel::bindings::TIOCGPGRP;
    pub(super) const TIOCSPGRP: u32 = kernel::bindings::TIOCSPGRP;
    pub(super) const FIOSETOWN: u32 = kernel::bindings::FIOSETOWN;
    pub(super) const FIOGETOWN: u32 = kernel::bindings::FIOGETOWN;
}

/// An ioctl's argument: a user pointer to the ioctl's data.
#[derive(Clone, Copy)]
struct Arg(usize);

impl Arg {
    /// The `size` bytes the argument points at.
    fn slice(self, size: usize) -> UserSlice {
        UserSlice::new(UserPtr::from_addr(self.0), size)
    }

    /// Reads the `int` the argument points at.
    fn int(self) -> Result<i32> {
        self.slice(4).reader().read::<i32>()
    }

    /// Stores an `int` where the argument points; the ioctl then returns 0.
    fn put_int(self, value: i32) -> Result<isize> {
        self.slice(4).writer().write(&value)?;
        Ok(0)
    }
}

/// `EPOLL*` bits.
mod epoll {
    pub(super) const IN: u32 = 0x1;
    pub(super) const OUT: u32 = 0x4;
    pub(super) const ERR: u32 = 0x8;
    pub(super) const HUP: u32 = 0x10;
    pub(super) const RDNORM: u32 = 0x40;
    pub(super) const WRNORM: u32 = 0x100;
}

/// Why a packet was lost. Each reason has its own counter (`ethtool -S`) and adds to one of
/// the interface's standard counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loss {
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
    fn counters(self) -> &'static [Counter] {
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
struct Stats {
    losses: [AtomicU64; Loss::COUNT],
    /// Times a full queue stopped the interface's transmit queue.
    queue_stops: AtomicU64,
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

/// What `io` guards.
struct Io {
    /// Packets for the reader, each with its BSD header already prepended.
    queue: SkbQueue,
    /// A file is bound to the unit (`TUN_OPEN`).
    open: bool,
    /// The unit is being destroyed (`TUN_DYING`).
    dying: bool,
    /// Destroy the unit on last close (`TUNSTRANSIENT`).
    transient: bool,
    /// `TUNSIFHEAD`: a 4-byte address family precedes each packet, both ways.
    ifhead: bool,
    /// `TUNSLMODE`: the destination `sockaddr` precedes each packet read.
    lmode: bool,
    /// The controlling process: the opener, or the last caller of `TUNSIFPID`. Reported to the
    /// user (fdinfo, `ip -d link`); the close no longer depends on it (FreeBSD 13).
    pid: i32,
    /// The remote side's Ethernet address (tap, vmnet): the interface's own address at open,
    /// then whatever `SIOCSIFADDR` on the file sets. FreeBSD keeps it for VMware.
    remote_mac: [u8; 6],
    /// `TAPSVNETHDR`: bytes of virtio-net header before each frame (0, 10 or 12).
    vnet_hdr: usize,
    /// Readers blocked in `read`, waiting on `readable`.
    sleepers: u32,
    /// The unit has been polled: pollers may be waiting on `readable` at any time from now on.
    polled: bool,
}

impl Io {
    /// Empties the queue, handing its packets to the caller (to free outside the lock).
    fn take_queue(&mut self) -> SkbQueue {
        core::mem::replace(&mut self.queue, SkbQueue::new())
    }
}

/// What `ctl` guards.
struct Ctl {
    /// `TUNSIFINFO`'s baud rate: Linux has no such attribute, it is kept and reported back.
    baudrate: i32,
}

/// One tun unit.
#[pin_data]
pub(crate) struct Unit {
    /// The interface. First field: dropped first, so it is unregistered before anything the
    /// ndo callbacks use goes away (see `netdev`).
    netdev: NetDev,
    kind: Kind,
    number: u32,
    #[pin]
    io: SpinLockIrq<Io>,
    /// Readers and pollers wait here for a packet or for the unit to die.
    #[pin]
    readable: PollCondVar,
    /// Files that asked for `SIGIO`.
    fasync: Fasync,
    stats: Stats,
    #[pin]
    ctl: Mutex<Ctl>,
}

/// The current process id (thread-group id), as FreeBSD's `p_pid`.
fn current_pid() -> i32 {
    kernel::current!().group_leader().pid()
}

impl Unit {
    /// A new unit `number` of `kind` with the (unregistered) interface `netdev`.
    pub(crate) fn new(kind: Kind, number: u32, netdev: NetDev) -> Result<Arc<Unit>> {
        Arc::pin_init(
            try_pin_init!(Unit {
                netdev,
                kind,
                number,
                io <- new_spinlock_irq!(
                    Io {
                        queue: SkbQueue::new(),
                        open: false,
                        dying: false,
                        transient: false,
                        ifhead: false,
                        lmode: false,
                        pid: 0,
                        remote_mac: [0; 6],
                        vnet_hdr: 0,
                        sleepers: 0,
                        polled: false,
                    },
                    "Unit::io"
                ),
                readable <- new_poll_condvar!("Unit::readable"),
                fasync: Fasync::new(),
                stats: Stats {
                    losses: [const { AtomicU64::new(0) }; Loss::COUNT],
                    queue_stops: AtomicU64::new(0),
                },
                ctl <- new_mutex!(Ctl { baudrate: 0 }, "Unit::ctl"),
            }),
            GFP_KERNEL,
        )
    }

    /// The interface.
    pub(crate) fn netdev(&self) -> &NetDev {
        &self.netdev
    }

    /// Which driver the unit belongs to.
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    /// The unit number, N in `tunN`.
    pub(crate) fn number(&self) -> u32 {
        self.number
    }

    /// RTNL, if the unit is not dying: the unit cannot die while it is held.
    fn rtnl(&self) -> Result<Rtnl> {
        let rtnl = Rtnl::lock();
        if self.io.lock().dying {
            return Err(ENXIO);
        }
        Ok(rtnl)
    }

    /// The interface for the packet path, if the unit is not dying: its unregistration waits
    /// for the returned reference.
    fn live(&self) -> Result<Live<'_>> {
        self.live_with(|_| ()).map(|(dev, ())| dev)
    }

    /// [`Unit::live`], and what `f` reads of the unit's state in the same look.
    fn live_with<R>(&self, f: impl FnOnce(&Io) -> R) -> Result<(Live<'_>, R)> {
        let state = {
            let io = self.io.lock();
            if io.dying {
                return Err(ENXIO);
            }
            f(&io)
        };
        Ok((self.netdev.try_hold().ok_or(ENXIO)?, state))
    }

    /// Whether this is a layer-2 (Ethernet) unit.
    fn is_l2(&self) -> bool {
        self.kind.driver().link == LinkLayer::Ethernet
    }

    /// Binds a newly opened file to the unit (FreeBSD `tunopen`). All or nothing: an open that
    /// fails leaves the unit as it found it, closed and free for the next open.
    pub(crate) fn attach(&self) -> Result {
        let _ctl = self.ctl.lock();
        let mac = if self.is_l2() {
            self.netdev.mac()
        } else {
            [0; 6]
        };
        let dev = self.live()?;
        {
            let mut io = self.io.lock();
            if io.open {
                return Err(EBUSY);
            }
            io.open = true;
            io.pid = current_pid();
            io.remote_mac = mac;
        }
        if let Err(e) = self.up_on_open() {
            // The queue stays as it was: a vmnet's holds output kept for this opener.
            let mut io = self.io.lock();
            io.open = false;
            io.pid = 0;
            return Err(e);
        }
        dev.set_carrier(true);
        Ok(())
    }

    /// `tap_up_on_open` (FreeBSD `net.link.tap.up_on_open`): a tap or vmnet goes up when opened.
    fn up_on_open(&self) -> Result {
        if self.is_l2() && module_parameters::tap_up_on_open.value() && !self.netdev.is_up() {
            let rtnl = self.rtnl()?;
            self.netdev.change_flags(&rtnl, iff::UP, iff::UP)?;
        }
        Ok(())
    }

    /// The last close of the bound file, whoever makes it (FreeBSD 13's `tundtor`, the file's
    /// destructor; before FreeBSD 13 only the controlling process's close did this). Returns
    /// whether the unit is transient and must now be destroyed.
    ///
    /// Pending output is junked, for every kind. A tun or tap then goes down and loses its
    /// carrier; a vmnet stays up with its carrier, and keeps what is routed out of it from now
    /// on for its next opener.
    fn detach(&self) -> bool {
        let _ctl = self.ctl.lock();
        let (pending, transient, had_vnet_hdr) = {
            let mut io = self.io.lock();
            io.open = false;
            io.pid = 0;
            // Every close forgets the virtio-net header (FreeBSD `tunclose`), and with it the
            // offloads.
            let had_vnet_hdr = core::mem::take(&mut io.vnet_hdr) != 0;
            (io.take_queue(), io.transient, had_vnet_hdr)
        };
        // Freed outside the spinlock.
        for _ in 0..pending.len() {
            self.lose(Loss::TxPurged);
        }
        drop(pending);
        // A dead unit has nothing left to tear down.
        let live = self.live().ok();
        // A full queue had stopped the stack, and only a read restarts it: restart it now,
        // or a vmnet, which stays up, would never send again.
        if live.is_some() && self.netdev.queue_stopped() {
            self.netdev.wake_queue();
        }
        if let Some(dev) = live
            .as_ref()
            .filter(|_| !self.kind.driver().keep_when_closed)
        {
            if let Ok(rtnl) = self.rtnl() {
                if dev.is_up() {
                    if let Err(e) = dev.change_flags(&rtnl, iff::UP, 0) {
                        pr_warn!(
                            "tuntap_rs: cannot bring unit {} down: {:?}\n",
                            self.number,
                            e
                        );
                    }
                }
            }
            dev.set_carrier(false);
        }
        if had_vnet_hdr {
            if let Ok(rtnl) = self.rtnl() {
                self.netdev.update_features(&rtnl);
            }
        }
        self.readable.notify_all();
        transient && live.is_some()
    }

    /// Marks the unit dying (FreeBSD `tun_destroy`): pending packets are dropped, blocked
    /// readers and pollers wake up, and from now on the file's reads, writes and ioctls fail
    /// with `ENXIO` and `poll` reports a hangup. Called under RTNL by whoever then unregisters
    /// the interface; returns false if the unit was already dying.
    pub(crate) fn kill(&self, _rtnl: &Rtnl) -> bool {
        let pending = {
            let mut io = self.io.lock();
            if io.dying {
                return false;
            }
            io.dying = true;
            io.take_queue()
        };
        drop(pending);
        self.readable.notify_all();
        self.fasync.signal_readable();
        true
    }

    /// What ethtool reports: FreeBSD's tap media, 1000baseT full duplex, active while open.
    pub(crate) fn ethtool_link(&self) -> EthtoolLink {
        EthtoolLink {
            detected: self.io.lock().open,
            speed: 1000,
            duplex: 1,
            bus_info: self.kind.driver().name,
        }
    }

    /// The unit's BSD state for rtnetlink (`IFLA_BSDTUN_*`), read in one look.
    pub(crate) fn link_info(&self) -> LinkInfo {
        let l2 = self.is_l2();
        let io = self.io.lock();
        LinkInfo {
            unit: self.number,
            pid: u32::try_from(io.pid).unwrap_or(0),
            vnet_hdr: io.vnet_hdr as u32,
            mode: if l2 {
                link_mode::ETHERNET
            } else if io.ifhead {
                link_mode::IFHEAD
            } else if io.lmode {
                link_mode::LMODE
            } else {
                link_mode::PLAIN
            },
            open: io.open,
            transient: io.transient,
        }
    }

    /// Whether the interface may offer the offloads a virtio-net header describes.
    pub(crate) fn vnet_offloads(&self) -> bool {
        self.io.lock().vnet_hdr != 0
    }

    /// Counts a lost packet: its reason's counter and the interface's.
    fn lose(&self, loss: Loss) {
        self.stats.losses[loss as usize].fetch_add(1, Ordering::Relaxed);
        for &counter in loss.counters() {
            self.netdev.count(counter);
        }
    }

    /// The `ethtool -S` values, in [`STAT_NAMES`] order.
    pub(crate) fn stats(&self, out: &mut [u64]) {
        for (slot, counter) in out.iter_mut().zip(self.stats.losses.iter()) {
            *slot = counter.load(Ordering::Relaxed);
        }
        if let Some(slot) = out.get_mut(Loss::COUNT) {
            *slot = self.stats.queue_stops.load(Ordering::Relaxed);
        }
    }

    /// The interface went up (`ndo_open`).
    pub(crate) fn netdev_up(&self) {
        self.netdev.start_queue();
    }

    /// The interface went down (`ndo_stop`).
    pub(crate) fn netdev_down(&self) {
        self.netdev.stop_queue();
    }

    /// The queue bound: `txqueuelen`, at least one packet.
    fn queue_limit(&self) -> usize {
        self.netdev.tx_queue_len().max(1) as usize
    }

    /// A packet routed out of the interface (FreeBSD `tunoutput`, `tunstart_l2`): frame it
    /// for the reader and queue it, or drop and count it. One critical section per packet.
    pub(crate) fn transmit(&self, dev: &Live<'_>, mut skb: Skb) {
        let len = skb.len();
        // Queued even while closed: vmnet keeps its output for the next open.
        let keep = self.kind.driver().keep_when_closed;
        let l3 = !self.is_l2();
        let limit = self.queue_limit();
        // The queue may hold the packet for as long as nobody reads: it must not keep its
        // sending socket (and that socket's namespace) alive, nor pin a zero-copy sender's
        // pages. A full queue stops the interface's queue instead, and the qdisc then tells
        // the sender (ENOBUFS, as FreeBSD's full interface queue does).
        if skb.orphan().is_err() {
            self.lose(Loss::TxFraming);
            return;
        }
        let queued = {
            let mut io = self.io.lock();
            let framed = if !io.open && !keep {
                // Not open (FreeBSD: EHOSTDOWN, or junked by `tunstart_l2`).
                Err(Loss::TxClosed)
            } else if l3 {
                frame_l3(&mut skb, io.ifhead, io.lmode)
            } else {
                Ok(())
            };
            if let Err(loss) = framed {
                Err((loss, skb))
            } else {
                io.queue.push(skb);
                // Backpressure: a full queue stops the stack, the reader restarts it.
                if io.queue.len() >= limit {
                    self.netdev.stop_queue();
                    self.stats.queue_stops.fetch_add(1, Ordering::Relaxed);
                }
                // A reader that found the queue empty counted itself under this lock before
                // it slept: nobody to wake means nobody waits.
                Ok(io.sleepers > 0 || io.polled)
            }
        };
        match queued {
            Ok(wake) => {
                dev.count_tx(len);
                if wake {
                    self.readable.notify_all();
                }
                self.fasync.signal_readable();
            }
            Err((loss, skb)) => {
                // Freed outside the lock.
                drop(skb);
                self.lose(loss);
            }
        }
    }

    /// One packet per read (FreeBSD `tunread`); a short buffer gets the first part and the rest
    /// of that packet is dropped.
    fn read(&self, dst: &mut IovIterDest<'_>, nonblock: bool) -> Result<usize> {
        let (skb, vnet, restart) = {
            let mut io = self.io.lock();
            loop {
                if io.dying {
                    return Err(ENXIO);
                }
                // A buffer that cannot hold the virtio-net header takes nothing off the queue.
                if dst.len() < io.vnet_hdr {
                    return Err(EINVAL);
                }
                if let Some(skb) = io.queue.pop() {
                    let restart =
                        io.queue.len() < self.queue_limit() && self.netdev.queue_stopped();
                    break (skb, io.vnet_hdr, restart);
                }
                if nonblock {
                    return Err(EAGAIN);
                }
                io.sleepers += 1;
                let interrupted = self.readable.wait_interruptible(&mut io);
                io.sleepers -= 1;
                if interrupted {
                    return Err(ERESTARTSYS);
                }
            }
        };
        // Room again: the stack may send, outside the lock (it may transmit to us at once).
        if restart {
            self.netdev.wake_queue();
        }
        // A packet that cannot be copied out is lost, and counted.
        let n = self.copy_out(&skb, vnet, dst)?;
        skb.consume();
        Ok(n)
    }

    /// Copies `skb` to the reader, after a `vnet`-byte virtio-net header if one is enabled;
    /// counts the packet lost if that fails.
    fn copy_out(&self, skb: &Skb, vnet: usize, dst: &mut IovIterDest<'_>) -> Result<usize> {
        let mut header = 0;
        if vnet > 0 {
            // The frame's checksum and segmentation state, then the frame.
            let hdr = skb.vnet_hdr().inspect_err(|_| self.lose(Loss::TxVnetHdr))?;
            let mut padded = [0u8; 12];
            padded[..VNET_HDR_LEN].copy_from_slice(&hdr);
            if dst.copy_to_iter(&padded[..vnet]) != vnet {
                self.lose(Loss::TxCopy);
                return Err(EFAULT);
            }
            header = vnet;
        }
        let n = dst.len().min(skb.len());
        skb.copy_to_iter(dst, n)
            .inspect_err(|_| self.lose(Loss::TxCopy))?;
        Ok(header + n)
    }

    /// One packet per write (FreeBSD `tunwrite`), gathered across the iovecs.
    fn write(&self, src: &mut IovIterSource<'_>) -> Result<usize> {
        // One look at the state for the whole write.
        let (dev, (ifhead, vnet)) = self.live_with(|io| (io.ifhead, io.vnet_hdr))?;
        let len = src.len();
        if !self.netdev.is_up() {
            // FreeBSD ignores the write silently; we count it.
            self.lose(Loss::RxDown);
            return Ok(0);
        }
        if len == 0 {
            return Ok(0);
        }
        if self.is_l2() {
            self.write_l2(&dev, src, len, vnet)
        } else {
            self.write_l3(&dev, src, len, ifhead)
        }
    }

    /// A frame for a tap or vmnet (FreeBSD `tunwrite_l2`), after its `vnet`-byte virtio-net
    /// header if one is enabled.
    fn write_l2(
        &self,
        dev: &Live<'_>,
        src: &mut IovIterSource<'_>,
        len: usize,
        vnet: usize,
    ) -> Result<usize> {
        let hdr = if vnet > 0 {
            Some(self.read_vnet_hdr(src, len, vnet).inspect_err(|&e| {
                self.lose(if e == EFAULT {
                    Loss::RxCopy
                } else {
                    Loss::RxVnetHdr
                });
            })?)
        } else {
            None
        };
        let frame_len = len - vnet;
        if frame_len > TAPMRU {
            self.lose(Loss::RxOversize);
            return Err(EIO);
        }
        let mut skb = self
            .netdev
            .skb_from_iter(src, frame_len)
            .inspect_err(|_| self.lose(Loss::RxCopy))?;
        if let Some(hdr) = hdr {
            // The kernel checks the header against the frame: never trusted as is.
            skb.set_vnet_hdr(&hdr).map_err(|_| {
                self.lose(Loss::RxVnetHdr);
                EINVAL
            })?;
        }
        let len = frame_len;
        // Only frames that real hardware would have received go up: not runts, not unicast
        // to another address unless promiscuous. FreeBSD takes the write and drops them.
        let mut dst = [0u8; 6];
        let wanted = len >= ETH_HLEN
            && skb.copy_bits(0, &mut dst).is_ok()
            && (dst[0] & 1 != 0
                || dst == self.netdev.mac()
                || self.netdev.flags() & iff::PROMISC != 0);
        if !wanted {
            drop(skb);
            self.lose(Loss::RxFiltered);
            return Ok(len + vnet);
        }
        dev.count_rx(len);
        self.netdev.receive_eth(skb);
        Ok(len + vnet)
    }

    /// Reads the `vnet`-byte virtio-net header before a frame of `len - vnet` bytes and checks
    /// that the headers it describes lie within the frame (as Linux's tun does).
    fn read_vnet_hdr(
        &self,
        src: &mut IovIterSource<'_>,
        len: usize,
        vnet: usize,
    ) -> Result<[u8; VNET_HDR_LEN]> {
        if len < vnet {
            return Err(EINVAL);
        }
        let mut raw = [0u8; 12];
        if src.copy_from_iter(&mut raw[..vnet]) != vnet {
            return Err(EFAULT);
        }
        let le16 = |i: usize| usize::from(u16::from_le_bytes([raw[i], raw[i + 1]]));
        // struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset.
        const NEEDS_CSUM: u8 = 1;
        let mut hdr_len = le16(2);
        if raw[0] & NEEDS_CSUM != 0 {
            hdr_len = hdr_len.max(le16(6) + le16(8) + 2);
        }
        if hdr_len > len - vnet {
            return Err(EINVAL);
        }
        let mut hdr = [0u8; VNET_HDR_LEN];
        hdr.copy_from_slice(&raw[..VNET_HDR_LEN]);
        Ok(hdr)
    }

    /// A packet for a tun (FreeBSD `tunwrite_l3`), after a 4-byte address family if `ifhead`.
    fn write_l3(
        &self,
        dev: &Live<'_>,
        src: &mut IovIterSource<'_>,
        len: usize,
        ifhead: bool,
    ) -> Result<usize> {
        let header = if ifhead { 4 } else { 0 };
        if len > TUNMRU + header {
            self.lose(Loss::RxOversize);
            return Err(EIO);
        }
        let protocol = if ifhead {
            let mut af = [0u8; 4];
            if len < af.len() {
                self.lose(Loss::RxShort);
                return Err(EINVAL);
            }
            if src.copy_from_iter(&mut af) != af.len() {
                self.lose(Loss::RxCopy);
                return Err(EFAULT);
            }
            match u32::from_be_bytes(af) {
                AF_INET => ETH_P_IP,
                AF_INET6 => ETH_P_IPV6,
                _ => {
                    self.lose(Loss::RxFamily);
                    return Err(EAFNOSUPPORT);
                }
            }
        } else {
            ETH_P_IP
        };
        let payload = len - header;
        let skb = self
            .netdev
            .skb_from_iter(src, payload)
            .inspect_err(|_| self.lose(Loss::RxCopy))?;
        dev.count_rx(payload);
        self.netdev.receive(skb, protocol);
        Ok(len)
    }

    fn poll(&self, file: &File, table: &PollTable<'_>) -> u32 {
        table.register_wait(file, &self.readable);
        let mut io = self.io.lock();
        io.polled = true;
        let mut mask = epoll::OUT | epoll::WRNORM;
        if io.queue.len() > 0 {
            mask |= epoll::IN | epoll::RDNORM;
        }
        if io.dying {
            mask |= epoll::HUP | epoll::ERR;
        }
        mask
    }

    /// The ioctls (FreeBSD `tunioctl`): those of the unit's link layer, then the common ones.
    fn ioctl(&self, file: &File, cmd: u32, arg: usize, compat: bool) -> Result<isize> {
        if self.io.lock().dying {
            return Err(ENXIO);
        }
        let value = arg;
        let arg = Arg(arg);
        let specific = if self.is_l2() {
            self.ioctl_l2(cmd, arg, value)
        } else {
            self.ioctl_l3(cmd, arg)
        };
        match specific {
            Err(e) if e == ENOTTY => self.ioctl_common(file, cmd, arg, compat),
            other => other,
        }
    }

    /// tap and vmnet ioctls: VMware's flags, the remote MAC address, virtio-net headers.
    /// `value` is the raw argument, for the one ioctl that takes it by value.
    fn ioctl_l2(&self, cmd: u32, arg: Arg, value: usize) -> Result<isize> {
        match cmd {
            cmd::TAPSVNETHDR => {
                let len = match arg.int()? {
                    0 => 0,
                    10 => 10,
                    12 => 12,
                    _ => return Err(EINVAL),
                };
                let _ctl = self.ctl.lock();
                let rtnl = self.rtnl()?;
                self.io.lock().vnet_hdr = len;
                self.netdev.update_features(&rtnl);
                Ok(0)
            }
            cmd::TAPGVNETHDR => {
                let len = self.io.lock().vnet_hdr;
                arg.put_int(len as i32)
            }
            cmd::VMIO_SIOCSIFFLAGS => {
                // The flags are the argument itself (FreeBSD's value-argument ioctl).
                // The bits it may change; the others stay as the user set them.
                let settable = VMIO_FLAG_MASK & !IFF_CANTCHANGE;
                let _ctl = self.ctl.lock();
                let rtnl = self.rtnl()?;
                self.netdev
                    .change_flags(&rtnl, settable, value as u32 | iff::UP)?;
                Ok(0)
            }
            cmd::SIOCGIFADDR => {
                let mac = self.io.lock().remote_mac;
                arg.slice(6).writer().write_slice(&mac)?;
                Ok(0)
            }
            cmd::SIOCSIFADDR => {
                let mut mac = [0u8; 6];
                arg.slice(6).reader().read_slice(&mut mac)?;
                self.io.lock().remote_mac = mac;
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }

    /// tun ioctls: framing, interface mode, owner.
    fn ioctl_l3(&self, cmd: u32, arg: Arg) -> Result<isize> {
        match cmd {
            cmd::TUNSLMODE => {
                let on = arg.int()? != 0;
                let mut io = self.io.lock();
                io.lmode = on;
                if on {
                    io.ifhead = false;
                }
                Ok(0)
            }
            cmd::TUNSIFHEAD => {
                let on = arg.int()? != 0;
                let mut io = self.io.lock();
                io.ifhead = on;
                if on {
                    io.lmode = false;
                }
                Ok(0)
            }
            // Each value is read under the spinlock, then copied out after it is released.
            cmd::TUNGIFHEAD => {
                let ifhead = self.io.lock().ifhead;
                arg.put_int(i32::from(ifhead))
            }
            cmd::TUNSIFMODE => self.set_mode(arg.int()?).map(|()| 0),
            cmd::TUNSIFPID => {
                self.io.lock().pid = current_pid();
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }

    /// The ioctls of every unit.
    fn ioctl_common(&self, file: &File, cmd: u32, arg: Arg, compat: bool) -> Result<isize> {
        match cmd {
            cmd::TUNSTRANSIENT => {
                let on = arg.int()? != 0;
                self.io.lock().transient = on;
                Ok(0)
            }
            cmd::TUNGTRANSIENT => {
                let transient = self.io.lock().transient;
                arg.put_int(i32::from(transient))
            }
            cmd::TUNSIFINFO => {
                let info = arg.slice(8).reader().read::<[u8; 8]>()?;
                self.set_info(&info).map(|()| 0)
            }
            cmd::TUNGIFINFO => {
                let baudrate = self.ctl.lock().baudrate;
                let mtu = self.netdev.mtu().min(u16::MAX.into()) as u16;
                let mut info = [0u8; 8];
                info[0..4].copy_from_slice(&baudrate.to_ne_bytes());
                info[4..6].copy_from_slice(&mtu.to_ne_bytes());
                info[6] = self.kind.driver().iftype;
                arg.slice(8).writer().write(&info)?;
                Ok(0)
            }
            cmd::TUNSDEBUG => {
                DEBUG.store(arg.int()?, Ordering::Relaxed);
                Ok(0)
            }
            cmd::TUNGDEBUG => arg.put_int(DEBUG.load(Ordering::Relaxed)),
            cmd::TUNGIFNAME if !compat => self.write_name(arg.slice(cmd::IFREQ_SIZE)),
            cmd::TUNGIFNAME_COMPAT if compat => self.write_name(arg.slice(cmd::IFREQ_SIZE_COMPAT)),
            cmd::FIONREAD => {
                let next = {
                    let io = self.io.lock();
                    io.queue.peek_len().map_or(0, |len| len + io.vnet_hdr)
                };
                arg.put_int(i32::try_from(next).unwrap_or(i32::MAX))
            }
            cmd::FIOSETOWN => cdev::set_owner(file, arg.int()?).map(|()| 0),
            cmd::FIOGETOWN => arg.put_int(cdev::owner(file)),
            cmd::TIOCSPGRP => {
                let pgrp = arg.int()?;
                cdev::set_owner(file, pgrp.checked_neg().ok_or(EINVAL)?).map(|()| 0)
            }
            cmd::TIOCGPGRP => arg.put_int(-cdev::owner(file)),
            _ => Err(ENOTTY),
        }
    }

    /// `TUNSIFMODE`: point-to-point or broadcast, optionally multicast; only while down.
    fn set_mode(&self, mode: i32) -> Result {
        let mode = u32::try_from(mode).map_err(|_| EINVAL)?;
        let _ctl = self.ctl.lock();
        let rtnl = self.rtnl()?;
        if self.netdev.is_up() {
            return Err(EBUSY);
        }
        match mode & !iff::MULTICAST {
            iff::POINTOPOINT | iff::BROADCAST => {
                let kept =
                    self.netdev.flags() & !(iff::BROADCAST | iff::POINTOPOINT | iff::MULTICAST);
                self.netdev.set_flags_raw(&rtnl, kept | mode);
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }

    /// `TUNSIFINFO`: the type must match; a new MTU goes through the kernel's MTU path.
    fn set_info(&self, info: &[u8; 8]) -> Result {
        let baudrate = i32::from_ne_bytes([info[0], info[1], info[2], info[3]]);
        let mtu = u16::from_ne_bytes([info[4], info[5]]);
        if info[6] != self.kind.driver().iftype {
            return Err(EPROTOTYPE);
        }
        let mut ctl = self.ctl.lock();
        if u32::from(mtu) != self.netdev.mtu() {
            // Under RTNL: the interface cannot change namespace meanwhile.
            let rtnl = self.rtnl()?;
            // FreeBSD's PRIV_NET_SETIFMTU: the MTU is the administrator's, whoever holds the
            // file.
            if !self.netdev.admin_capable() {
                return Err(EPERM);
            }
            self.netdev.set_mtu(&rtnl, mtu.into())?;
        }
        ctl.baudrate = baudrate;
        Ok(())
    }

    /// `TUNGIFNAME`: the interface's name into `ifr_name` of the caller's `struct ifreq`.
    fn write_name(&self, ifreq: UserSlice) -> Result<isize> {
        let name = self.netdev.name();
        ifreq.writer().write_slice(&name)?;
        Ok(0)
    }
}

/// Frames a packet for a tun's reader: the address family (`TUNSIFHEAD`) or the destination
/// address (`TUNSLMODE`) before it, or nothing.
fn frame_l3(skb: &mut Skb, ifhead: bool, lmode: bool) -> core::result::Result<(), Loss> {
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

impl cdev::Operations for Unit {
    fn open_clone(kind: Kind, _file: &File) -> Result<Arc<Unit>> {
        clone::open_clone(kind)
    }

    fn open_unit(minor: u32, _file: &File) -> Result<Arc<Unit>> {
        clone::open_unit(minor)
    }

    fn release(this: Arc<Unit>, _file: &File) {
        if this.detach() {
            clone::destroy(&this);
        }
    }

    fn read(this: ArcBorrow<'_, Unit>, dst: &mut IovIterDest<'_>, nonblock: bool) -> Result<usize> {
        this.read(dst, nonblock)
    }

    fn write(this: ArcBorrow<'_, Unit>, src: &mut IovIterSource<'_>) -> Result<usize> {
        this.write(src)
    }

    fn poll(this: ArcBorrow<'_, Unit>, file: &File, table: &PollTable<'_>) -> u32 {
        this.poll(file, table)
    }

    fn ioctl(
        this: ArcBorrow<'_, Unit>,
        file: &File,
        cmd: u32,
        arg: usize,
        compat: bool,
    ) -> Result<isize> {
        this.ioctl(file, cmd, arg, compat)
    }

    fn fasync(this: ArcBorrow<'_, Unit>, fd: i32, file: &File, on: bool) -> Result {
        this.fasync.set(fd, file, on)
    }

    fn show_fdinfo(this: ArcBorrow<'_, Unit>, m: &SeqFile) {
        let name = this.netdev.name();
        let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        let name = core::str::from_utf8(&name[..len]).unwrap_or("?");
        let (mode, vnet_hdr, pid, transient, queued, dying) = {
            let io = this.io.lock();
            let mode = match (this.is_l2(), io.ifhead, io.lmode) {
                (true, _, _) => "ethernet",
                (false, true, _) => "ifhead",
                (false, false, true) => "lmode",
                (false, false, false) => "plain",
            };
            (
                mode,
                io.vnet_hdr,
                io.pid,
                io.transient,
                io.queue.len(),
                io.dying,
            )
        };
        seq_print!(
            m,
            "tuntap-iface:\t{}\ntuntap-unit:\t{}{}\ntuntap-mode:\t{}\n",
            name,
            this.kind.driver().name.to_str().unwrap_or("?"),
            this.number,
            mode
        );
        if this.is_l2() {
            seq_print!(m, "tuntap-vnet-hdr:\t{}\n", vnet_hdr);
        }
        seq_print!(
            m,
            "tuntap-owner-pid:\t{}\ntuntap-transient:\t{}\ntuntap-queued:\t{}\ntuntap-dying:\t{}\n",
            pid,
            u8::from(transient),
            queued,
            u8::from(dying)
        );
    }
}
