// SPDX-License-Identifier: GPL-2.0

//! Owned packets ([`Skb`]) and a FIFO of them ([`SkbQueue`]).

use super::{
    sys,
    VirtioNetHdr, //
};
use core::ptr::NonNull;
use kernel::{bindings, iov::IovIterDest, prelude::*};

/// `to_result`, inlined: the `kernel` crate's is a call, and the packet path makes two a
/// packet.
#[inline]
fn to_result(ret: c_int) -> Result {
    if ret < 0 {
        Err(Error::from_errno(ret))
    } else {
        Ok(())
    }
}

/// `skb->len` (an `unsigned int`) without a call: read at the offset the C glue gives.
///
/// # Safety
///
/// `skb` must be a valid sk_buff.
unsafe fn len_of(skb: *const bindings::sk_buff) -> usize {
    // SAFETY: `skb` is valid (caller's contract); the offset is C's `offsetof`, a constant.
    unsafe {
        let offset = sys::tuntap_rs_skb_len_offset as usize;
        skb.byte_add(offset).cast::<u32>().read() as usize
    }
}

/// An owned packet.
///
/// # Invariants
///
/// `skb` is a valid sk_buff owned by this value; dropping it frees it as a drop
/// (`kfree_skb`), [`Skb::consume`] frees it as delivered.
pub(crate) struct Skb {
    pub(super) skb: NonNull<bindings::sk_buff>,
}

// SAFETY: An owned skb may be handed to and freed on any thread.
unsafe impl Send for Skb {}

impl Skb {
    pub(super) fn into_raw(self) -> *mut bindings::sk_buff {
        let raw = self.skb.as_ptr();
        core::mem::forget(self);
        raw
    }

    /// The packet length in bytes.
    pub(crate) fn len(&self) -> usize {
        // SAFETY: The skb is valid.
        unsafe { len_of(self.skb.as_ptr()) }
    }

    /// The packet's EtherType (`skb->protocol`), in host byte order.
    pub(crate) fn protocol(&self) -> u16 {
        // SAFETY: The skb is valid.
        u16::from_be(unsafe { sys::tuntap_rs_skb_protocol(self.skb.as_ptr()) })
    }

    /// Copies `out.len()` bytes starting at `offset` out of the packet.
    pub(crate) fn copy_bits(&self, offset: usize, out: &mut [u8]) -> Result {
        let offset = c_int::try_from(offset).map_err(|_| EINVAL)?;
        let len = c_int::try_from(out.len()).map_err(|_| EINVAL)?;
        // SAFETY: The skb is valid and `out` is writable for `len` bytes.
        to_result(unsafe {
            bindings::skb_copy_bits(self.skb.as_ptr(), offset, out.as_mut_ptr().cast(), len)
        })
    }

    /// Prepends `header` to the packet.
    pub(crate) fn push(&mut self, header: &[u8]) -> Result {
        let len = c_uint::try_from(header.len()).map_err(|_| EINVAL)?;
        // SAFETY: We own the skb; `header` is readable for `len` bytes.
        to_result(unsafe {
            sys::tuntap_rs_skb_push(self.skb.as_ptr(), header.as_ptr().cast(), len)
        })
    }

    /// Detaches the packet from its sending socket and its connection tracking entry, and
    /// copies any zero-copy user pages, so that it can wait in a queue for as long as it takes
    /// (Linux's tun does the same). `ENOMEM` if the pages cannot be copied.
    pub(crate) fn orphan(&mut self) -> Result {
        // SAFETY: We own the skb.
        to_result(unsafe { sys::tuntap_rs_skb_orphan(self.skb.as_ptr()) })
    }

    /// Copies the first `len` bytes of the packet to `dst`.
    pub(crate) fn copy_to_iter(&self, dst: &mut IovIterDest<'_>, len: usize) -> Result {
        let len = c_int::try_from(len).map_err(|_| EINVAL)?;
        // SAFETY: The skb is valid, `dst` a valid iterator.
        to_result(unsafe {
            bindings::skb_copy_datagram_iter(self.skb.as_ptr(), 0, dst.as_raw(), len)
        })
    }

    /// The virtio-net header (little-endian, `DATA_VALID` allowed) describing this packet's
    /// checksum and segmentation state; `EINVAL` for a segmentation type it cannot describe.
    pub(crate) fn vnet_hdr(&self) -> Result<VirtioNetHdr> {
        let mut hdr = VirtioNetHdr::default();
        // SAFETY: The skb is valid; `hdr` is a `struct virtio_net_hdr`.
        to_result(unsafe {
            sys::tuntap_rs_skb_vnet_hdr_from(self.skb.as_ptr(), (&raw mut hdr).cast(), true, true)
        })?;
        Ok(hdr)
    }

    /// Applies a little-endian virtio-net header to the packet (checksum offload and
    /// segmentation), whose network header starts `network` bytes in, if it has one, and
    /// whose EtherType is `protocol`, if known (a tun's packet has no link header to say).
    /// `EINVAL` for a header the kernel does not accept.
    pub(crate) fn set_vnet_hdr(
        &mut self,
        hdr: &VirtioNetHdr,
        network: Option<usize>,
        protocol: Option<u16>,
    ) -> Result {
        let network = network
            .map_or(Ok(-1), c_int::try_from)
            .map_err(|_| EINVAL)?;
        let protocol = protocol.map_or(0, u16::to_be);
        // SAFETY: We own the skb; `hdr` is a `struct virtio_net_hdr`; `network`, if not -1,
        // lies within the packet (the caller's word, checked by the kernel's offsets anyway).
        to_result(unsafe {
            sys::tuntap_rs_skb_vnet_hdr_to(
                self.skb.as_ptr(),
                (&raw const *hdr).cast(),
                true,
                network,
                protocol,
            )
        })
    }

    /// Frees the packet as delivered (not a drop).
    pub(crate) fn consume(self) {
        // SAFETY: We own the skb.
        unsafe { bindings::consume_skb(self.into_raw()) };
    }
}

impl Drop for Skb {
    fn drop(&mut self) {
        // SAFETY: We own the skb. (`kfree_skb()`, an inline function, is this call.)
        unsafe {
            bindings::sk_skb_reason_drop(
                core::ptr::null(),
                self.skb.as_ptr(),
                bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            )
        };
    }
}

/// `skb->next`, the first word of a `struct sk_buff` (`glue.c` asserts the offset; `sk_buff` is
/// opaque to bindgen), so that queueing a packet costs no call.
fn next(skb: *mut bindings::sk_buff) -> *mut *mut bindings::sk_buff {
    skb.cast()
}

/// A FIFO of owned packets, linked through `skb->next`.
///
/// # Invariants
///
/// `head`..`tail` is a `next`-linked list of `len` skbs owned by the queue, `tail`'s `next`
/// is null; both are null when `len` is 0.
pub(crate) struct SkbQueue {
    head: *mut bindings::sk_buff,
    tail: *mut bindings::sk_buff,
    len: usize,
}

// SAFETY: The queue owns its skbs, which may move between threads.
unsafe impl Send for SkbQueue {}

impl SkbQueue {
    /// An empty queue.
    pub(crate) const fn new() -> SkbQueue {
        SkbQueue {
            head: core::ptr::null_mut(),
            tail: core::ptr::null_mut(),
            len: 0,
        }
    }

    /// Number of packets queued.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends a packet.
    pub(crate) fn push(&mut self, skb: Skb) {
        let raw = skb.into_raw();
        // SAFETY: We own `raw`; `tail`, if any, is in the list.
        unsafe {
            next(raw).write(core::ptr::null_mut());
            if self.tail.is_null() {
                self.head = raw;
            } else {
                next(self.tail).write(raw);
            }
        }
        self.tail = raw;
        self.len += 1;
    }

    /// Removes the oldest packet.
    pub(crate) fn pop(&mut self) -> Option<Skb> {
        let head = NonNull::new(self.head)?;
        // SAFETY: `head` is in the list, owned by us.
        unsafe {
            self.head = next(head.as_ptr()).read();
            next(head.as_ptr()).write(core::ptr::null_mut());
        }
        if self.head.is_null() {
            self.tail = core::ptr::null_mut();
        }
        self.len -= 1;
        // INVARIANT: Unlinked; ownership moves to the caller.
        Some(Skb { skb: head })
    }

    /// The length of the oldest packet, if any.
    pub(crate) fn peek_len(&self) -> Option<usize> {
        // SAFETY: `head`, if not null, is a valid skb owned by the queue.
        (!self.head.is_null()).then(|| unsafe { len_of(self.head) })
    }
}

impl Drop for SkbQueue {
    fn drop(&mut self) {
        // Dropping each packet frees it as a drop.
        while self.pop().is_some() {}
    }
}
