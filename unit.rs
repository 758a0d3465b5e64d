// SPDX-License-Identifier: GPL-2.0

//! A unit: one tun interface and its char-device side (FreeBSD's `struct tuntap_softc`).
//!
//! Everything here is safe Rust: the unit state machine (open, dying, transient) and its data
//! path, the packet queue with backpressure. Its parts: `datapath` (queueing, read, write,
//! poll), `framing` (the BSD headers before a tun's packets), `ioctl` (the BSD ioctls) and
//! `stats` (why packets are lost).
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
//!   interface, and guards the baud rate.
//!
//! The order in which they and the others nest is stated once, in the crate root.

use crate::{
    cdev::{
        self,
        new_poll_queue,
        Fasync,
        PollQueue, //
    },
    driver::Kind, //
    module_parameters,
    netdev::{
        features,
        iff,
        new_spinlock_irqsave,
        EthtoolLink,
        LinkInfo,
        LinkLayer,
        Live,
        NetDev,
        NetUnit,
        Rtnl,
        Setup,
        Skb,
        SkbQueue,
        SpinLockIrqSave,
        ETH_HLEN, //
    },
};
#[path = "datapath.rs"]
mod datapath;
#[path = "framing.rs"]
mod framing;
#[path = "ioctl.rs"]
mod ioctl;
#[path = "stats.rs"]
mod stats;

pub(crate) use ioctl::set_debug;
pub(crate) use stats::STAT_NAMES;
use stats::{
    Loss,
    Stats, //
};

use kernel::{
    fs::File,
    new_condvar, new_mutex,
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::{
        Arc,
        CondVar,
        Mutex, //
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
    features: features::SG | features::FRAGLIST | VNET_OFFLOADS,
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
    features: features::SG | features::FRAGLIST | VNET_OFFLOADS,
};

/// The offloads a virtio-net header can describe (checksum, TCP and UDP segmentation): a unit
/// offers them only while its reader has the header on (`TAPSVNETHDR`), and only those the
/// reader said it takes (`TUNSOFFLOAD`).
const VNET_OFFLOADS: u64 =
    features::HW_CSUM | features::TSO | features::TSO6 | features::TSO_ECN | features::GSO_UDP_L4;

/// What a reader takes in its packets (`TUNSOFFLOAD`'s argument, `TUNOFFLOAD_*` of
/// `<net/if_tun.h>`, Linux's `TUN_F_*` values), as Linux's `TUNSETOFFLOAD` reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Offload(u32);

impl Offload {
    /// Partial checksums (`NEEDS_CSUM`); every other offload needs it.
    pub(crate) const CSUM: u32 = 0x01;
    /// TCPv4 segmentation.
    pub(crate) const TSO4: u32 = 0x02;
    /// TCPv6 segmentation.
    pub(crate) const TSO6: u32 = 0x04;
    /// TCP segmentation with ECN.
    pub(crate) const TSO_ECN: u32 = 0x08;
    /// UDP segmentation, IPv4.
    pub(crate) const USO4: u32 = 0x20;
    /// UDP segmentation, IPv6 (Linux's stack offers USO for both or neither).
    pub(crate) const USO6: u32 = 0x40;

    /// The bits `TUNSOFFLOAD` accepts.
    const ALL: u32 = Self::CSUM | Self::TSO4 | Self::TSO6 | Self::TSO_ECN | Self::USO4 | Self::USO6;

    /// A unit's offloads before any `TUNSOFFLOAD`: a tap or vmnet takes them all with its
    /// virtio-net header (FreeBSD 15's tap, and ours before the switch existed); a tun none,
    /// so a program that never asks gets plain packets.
    pub(crate) fn default_for(kind: Kind) -> Offload {
        match kind.driver().link {
            LinkLayer::Ethernet => Offload(Self::ALL),
            LinkLayer::Ip => Offload(0),
        }
    }

    /// `TUNSOFFLOAD`'s argument: `EINVAL` for a bit it does not know, as Linux's
    /// `TUNSETOFFLOAD` (a program can probe for offloads a later version adds).
    pub(crate) fn from_user(bits: i32) -> Result<Offload> {
        let bits = u32::try_from(bits).map_err(|_| EINVAL)?;
        if bits & !Self::ALL != 0 {
            return Err(EINVAL);
        }
        Ok(Offload(bits))
    }

    /// The bits, as `TUNGOFFLOAD` reports them.
    pub(crate) fn bits(self) -> u32 {
        self.0
    }

    /// The device features these offloads allow, as Linux's tun maps them: nothing without
    /// `CSUM`; TSO4/TSO6 each, with TSO_ECN only beside one of them; USO for both families.
    pub(crate) fn features(self) -> u64 {
        let b = self.0;
        if b & Self::CSUM == 0 {
            return 0;
        }
        let mut f = features::HW_CSUM;
        if b & Self::TSO4 != 0 {
            f |= features::TSO;
        }
        if b & Self::TSO6 != 0 {
            f |= features::TSO6;
        }
        if b & (Self::TSO4 | Self::TSO6) != 0 && b & Self::TSO_ECN != 0 {
            f |= features::TSO_ECN;
        }
        if b & Self::USO4 != 0 && b & Self::USO6 != 0 {
            f |= features::GSO_UDP_L4;
        }
        f
    }
}

/// How a new unit of `kind` looks to the stack.
pub(crate) fn setup(kind: Kind) -> &'static Setup {
    match kind.driver().link {
        LinkLayer::Ip => &TUN_SETUP,
        LinkLayer::Ethernet => &TAP_SETUP,
    }
}

/// How packets are framed on the file, as rtnetlink (`BSDTUN_MODE_*` of
/// `<net/tuntap_rs_link.h>`, the discriminants) and fdinfo (the names) report it.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Framing {
    Plain = 0,
    Ifhead = 1,
    Lmode = 2,
    Ethernet = 3,
}

impl Framing {
    /// The name fdinfo and `ip -d link` show.
    fn name(self) -> &'static str {
        match self {
            Framing::Plain => "plain",
            Framing::Ifhead => "ifhead",
            Framing::Lmode => "lmode",
            Framing::Ethernet => "ethernet",
        }
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
    /// `TAPSVNETHDR`: bytes of virtio-net header before each packet (0, 10 or 12).
    vnet_hdr: usize,
    /// `TUNSOFFLOAD`: what the reader takes while `vnet_hdr` is on. Each close goes back to
    /// the kind's default ([`Offload::default_for`]).
    offload: Offload,
    /// Readers blocked in `read`, waiting on `readable`.
    sleepers: u32,
    /// The transmit path stopped the stack's queue because this one was full: the read that
    /// makes room restarts it.
    stopped: bool,
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
    io: SpinLockIrqSave<Io>,
    /// Readers blocked in `read` wait here for a packet or for the unit to die.
    #[pin]
    readable: CondVar,
    /// `poll`, `select` and epoll wait here for the same.
    #[pin]
    pollers: PollQueue,
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
                io <- new_spinlock_irqsave!(
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
                        offload: Offload::default_for(*kind),
                        sleepers: 0,
                        stopped: false,
                    },
                    "Unit::io"
                ),
                readable <- new_condvar!("Unit::readable"),
                pollers <- new_poll_queue!("Unit::pollers"),
                fasync: Fasync::new(),
                stats: Stats::new(),
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

    /// Bytes of virtio-net header a read adds before the queued packet: a tap's frame gets
    /// its header as it is read; a tun's packet got it when it was queued (`frame_l3`).
    fn vnet_on_read(&self, io: &Io) -> usize {
        if self.is_l2() {
            io.vnet_hdr
        } else {
            0
        }
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
    pub(crate) fn detach(&self) -> bool {
        let _ctl = self.ctl.lock();
        let (pending, transient, had_vnet_hdr) = {
            let mut io = self.io.lock();
            io.open = false;
            io.pid = 0;
            // Every close forgets the virtio-net header (FreeBSD `tunclose`), and with it the
            // offloads.
            let had_vnet_hdr = core::mem::take(&mut io.vnet_hdr) != 0;
            io.offload = Offload::default_for(self.kind);
            io.stopped = false;
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
        self.pollers.wake();
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
        self.pollers.wake();
        self.fasync.signal_readable();
        true
    }

    /// How the file frames packets now.
    fn framing(&self, io: &Io) -> Framing {
        match (self.is_l2(), io.ifhead, io.lmode) {
            (true, _, _) => Framing::Ethernet,
            (false, true, _) => Framing::Ifhead,
            (false, false, true) => Framing::Lmode,
            (false, false, false) => Framing::Plain,
        }
    }

    /// Counts a lost packet: its reason's counter and the interface's.
    fn lose(&self, loss: Loss) {
        for &counter in self.stats.lose(loss) {
            self.netdev.count(counter);
        }
    }

    /// The unit's lines in `/proc/<pid>/fdinfo/<fd>`.
    pub(crate) fn show_fdinfo(&self, m: &SeqFile) {
        let name = self.netdev.name();
        let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        let name = core::str::from_utf8(&name[..len]).unwrap_or("?");
        let (mode, vnet_hdr, pid, transient, queued, dying) = {
            let io = self.io.lock();
            (
                self.framing(&io).name(),
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
            self.kind.driver().name.to_str().unwrap_or("?"),
            self.number,
            mode
        );
        seq_print!(m, "tuntap-vnet-hdr:\t{}\n", vnet_hdr);
        seq_print!(
            m,
            "tuntap-owner-pid:\t{}\ntuntap-transient:\t{}\ntuntap-queued:\t{}\ntuntap-dying:\t{}\n",
            pid,
            u8::from(transient),
            queued,
            u8::from(dying)
        );
    }

    /// Asks for, or stops, `SIGIO` on `file` (`fd`) when a packet is queued.
    pub(crate) fn set_fasync(&self, fd: i32, file: &File, on: bool) -> Result {
        self.fasync.set(fd, file, on)
    }
}

impl NetUnit for Unit {
    const STAT_NAMES: &'static [&'static CStr] = &STAT_NAMES;

    fn netdev(&self) -> &NetDev {
        &self.netdev
    }

    fn up(&self) {
        self.netdev.start_queue();
    }

    fn down(&self) {
        self.netdev.stop_queue();
    }

    fn transmit(&self, dev: &Live<'_>, skb: Skb) {
        Unit::transmit(self, dev, skb)
    }

    /// The virtio-net offloads only while the reader has the header on, and of those only the
    /// ones it takes; everything else as the stack asks.
    fn fix_features(&self, features: u64) -> u64 {
        let allowed = {
            let io = self.io.lock();
            if io.vnet_hdr != 0 {
                io.offload.features()
            } else {
                0
            }
        };
        features & !(VNET_OFFLOADS & !allowed)
    }

    /// FreeBSD's tap media: 1000baseT full duplex, active while open.
    fn ethtool_link(&self) -> EthtoolLink {
        EthtoolLink {
            detected: self.io.lock().open,
            speed: 1000,
            duplex: 1,
            bus_info: self.kind.driver().name,
        }
    }

    fn stats(&self, out: &mut [u64]) {
        self.stats.read(out);
    }

    /// Read in one look.
    fn link_info(&self) -> LinkInfo {
        let io = self.io.lock();
        LinkInfo {
            unit: self.number,
            pid: u32::try_from(io.pid).unwrap_or(0),
            vnet_hdr: io.vnet_hdr as u32,
            mode: self.framing(&io) as u8,
            open: io.open,
            transient: io.transient,
        }
    }
}
