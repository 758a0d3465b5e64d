// SPDX-License-Identifier: GPL-2.0

//! A unit's data path: packets routed out of the interface queued for the reader (with
//! backpressure), reads, writes of packets and frames into the stack, and `poll`.

use super::{
    epoll,
    framing::{
        frame_l3,
        head_len,
        protocol_of,
        vnet_bytes,
        vnet_hdr_fits, //
    },
    Loss,
    Unit,
    TAPMRU,
    TUNMRU, //
};
use crate::cdev::PollTable;
use crate::netdev::{
    iff,
    Live,
    Skb,
    VirtioNetHdr,
    ETH_HLEN,
    ETH_P_IP, //
};
use kernel::{
    fs::File,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    prelude::*,
    transmute::FromBytes,
};

impl Unit {
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
                frame_l3(&mut skb, io.ifhead, io.lmode, io.vnet_hdr)
            } else {
                Ok(())
            };
            if let Err(loss) = framed {
                Err((loss, skb))
            } else {
                io.queue.push(skb);
                // Backpressure: a full queue stops the stack, the reader restarts it.
                if io.queue.len() >= limit {
                    io.stopped = true;
                    self.netdev.stop_queue();
                    self.stats.queue_stopped();
                }
                // A reader that found the queue empty counted itself under this lock before
                // it slept: nobody to wake means nobody waits.
                Ok(io.sleepers > 0)
            }
        };
        match queued {
            Ok(wake) => {
                dev.count_tx(len);
                if wake {
                    self.readable.notify_all();
                }
                self.pollers.wake();
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
    pub(crate) fn read(&self, dst: &mut IovIterDest<'_>, nonblock: bool) -> Result<usize> {
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
                    let restart = io.stopped && io.queue.len() < self.queue_limit();
                    if restart {
                        io.stopped = false;
                    }
                    break (skb, self.vnet_on_read(&io), restart);
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
            if dst.copy_to_iter(&vnet_bytes(&hdr)[..vnet]) != vnet {
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
    pub(crate) fn write(&self, src: &mut IovIterSource<'_>) -> Result<usize> {
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
            self.write_l3(&dev, src, len, ifhead, vnet)
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
            .skb_from_iter(src, frame_len, head_len(frame_len, hdr.as_ref()))
            .inspect_err(|_| self.lose(Loss::RxCopy))?;
        if let Some(hdr) = hdr {
            // The kernel checks the header against the frame: never trusted as is. The frame
            // starts with its Ethernet header, as Linux's tap sets it up.
            let network = (frame_len >= ETH_HLEN).then_some(ETH_HLEN);
            skb.set_vnet_hdr(&hdr, network, None).map_err(|_| {
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
    ) -> Result<VirtioNetHdr> {
        if len < vnet {
            return Err(EINVAL);
        }
        let mut raw = [0u8; 12];
        if src.copy_from_iter(&mut raw[..vnet]) != vnet {
            return Err(EFAULT);
        }
        // The header, then `num_buffers` of the 12-byte form, ignored.
        let (hdr, _) = VirtioNetHdr::from_bytes_copy_prefix(&raw).ok_or(EINVAL)?;
        if !vnet_hdr_fits(&hdr, len - vnet) {
            return Err(EINVAL);
        }
        Ok(hdr)
    }

    /// A packet for a tun (FreeBSD `tunwrite_l3`), after a 4-byte address family if `ifhead`
    /// and a `vnet`-byte virtio-net header if one is on.
    fn write_l3(
        &self,
        dev: &Live<'_>,
        src: &mut IovIterSource<'_>,
        len: usize,
        ifhead: bool,
        vnet: usize,
    ) -> Result<usize> {
        let header = if ifhead { 4 } else { 0 };
        if len > TUNMRU + header + vnet {
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
            protocol_of(u32::from_be_bytes(af)).ok_or_else(|| {
                self.lose(Loss::RxFamily);
                EAFNOSUPPORT
            })?
        } else {
            ETH_P_IP
        };
        let hdr = if vnet > 0 {
            Some(
                self.read_vnet_hdr(src, len - header, vnet)
                    .inspect_err(|&e| {
                        self.lose(if e == EFAULT {
                            Loss::RxCopy
                        } else {
                            Loss::RxVnetHdr
                        });
                    })?,
            )
        } else {
            None
        };
        let payload = len - header - vnet;
        let mut skb = self
            .netdev
            .skb_from_iter(src, payload, head_len(payload, hdr.as_ref()))
            .inspect_err(|_| self.lose(Loss::RxCopy))?;
        if let Some(hdr) = hdr {
            // The kernel checks the header against the packet, which starts with its network
            // header: never trusted as is.
            skb.set_vnet_hdr(&hdr, Some(0), Some(protocol))
                .map_err(|_| {
                    self.lose(Loss::RxVnetHdr);
                    EINVAL
                })?;
        }
        dev.count_rx(payload);
        self.netdev.receive(skb, protocol);
        Ok(len)
    }

    pub(crate) fn poll(&self, file: &File, table: &PollTable<'_>) -> u32 {
        table.register(file, &self.pollers);
        let io = self.io.lock();
        let mut mask = epoll::OUT | epoll::WRNORM;
        if io.queue.len() > 0 {
            mask |= epoll::IN | epoll::RDNORM;
        }
        if io.dying {
            mask |= epoll::HUP | epoll::ERR;
        }
        mask
    }
}
