// SPDX-License-Identifier: GPL-2.0

//! The unit's ioctls (FreeBSD `tunioctl`): the numbers of `<net/if_tun.h>` and `<net/if_tap.h>`,
//! the argument, and the handlers of each group (tap and vmnet, tun, every unit).

use super::{
    cdev,
    current_pid,
    iff,
    Io,
    Offload,
    Unit,
    UserPtr,
    UserSlice, //
};
use crate::uapi::TunInfo;
use core::mem::size_of;
use kernel::{
    fs::File,
    ioctl::{
        _IO,
        _IOR,
        _IOW, //
    },
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

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
pub(super) static DEBUG: Atomic<i32> = Atomic::new(0);

/// Sets the debug level (module load).
pub(crate) fn set_debug(level: i32) {
    DEBUG.store(level, Relaxed);
}

/// The ioctls of `<net/if_tun.h>`, FreeBSD's names with Linux encodings.
mod cmd {
    use super::*;

    /// `sizeof(struct ifreq)` for 64-bit callers and for 32-bit (compat) callers.
    pub(super) const IFREQ_SIZE: usize = 40;
    pub(super) const IFREQ_SIZE_COMPAT: usize = 32;

    pub(super) const TUNSDEBUG: u32 = _IOW::<i32>(b't' as u32, 90);
    pub(super) const TUNGDEBUG: u32 = _IOR::<i32>(b't' as u32, 89);
    pub(super) const TUNSIFINFO: u32 = _IOW::<TunInfo>(b't' as u32, 91);
    pub(super) const TUNGIFINFO: u32 = _IOR::<TunInfo>(b't' as u32, 92);
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
    /// virtio-net header length (FreeBSD 15's tap; every unit here): 0, 10 or 12. Also
    /// `TUNSVNETHDR`/`TUNGVNETHDR` in `<net/if_tun.h>`.
    pub(super) const TAPSVNETHDR: u32 = _IOW::<i32>(b't' as u32, 91);
    pub(super) const TAPGVNETHDR: u32 = _IOR::<i32>(b't' as u32, 94);
    /// The offloads the reader takes with its virtio-net header (ours; Linux's
    /// `TUNSETOFFLOAD` in BSD form).
    pub(super) const TUNSOFFLOAD: u32 = _IOW::<i32>(b't' as u32, 100);
    pub(super) const TUNGOFFLOAD: u32 = _IOR::<i32>(b't' as u32, 100);
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

impl Unit {
    /// The ioctls (FreeBSD `tunioctl`): those of the unit's link layer, then the common ones.
    pub(crate) fn ioctl(&self, file: &File, cmd: u32, arg: usize, compat: bool) -> Result<isize> {
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

    /// tap and vmnet ioctls: VMware's flags, the remote MAC address.
    /// `value` is the raw argument, for the one ioctl that takes it by value.
    fn ioctl_l2(&self, cmd: u32, arg: Arg, value: usize) -> Result<isize> {
        match cmd {
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
            cmd::TAPSVNETHDR => {
                let len = match arg.int()? {
                    0 => 0,
                    10 => 10,
                    12 => 12,
                    _ => return Err(EINVAL),
                };
                self.set_offload_state(|io| io.vnet_hdr = len)
            }
            cmd::TUNSOFFLOAD => {
                let offload = Offload::from_user(arg.int()?)?;
                self.set_offload_state(|io| io.offload = offload)
            }
            cmd::TUNGOFFLOAD => {
                let offload = self.io.lock().offload;
                arg.put_int(offload.bits() as i32)
            }
            cmd::TAPGVNETHDR => {
                let len = self.io.lock().vnet_hdr;
                arg.put_int(len as i32)
            }
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
                let info = arg.slice(size_of::<TunInfo>()).reader().read::<TunInfo>()?;
                self.set_info(&info).map(|()| 0)
            }
            cmd::TUNGIFINFO => {
                let info = TunInfo {
                    baudrate: self.ctl.lock().baudrate,
                    mtu: self.netdev.mtu().min(u16::MAX.into()) as u16,
                    iftype: self.kind.driver().iftype,
                    dummy: 0,
                };
                arg.slice(size_of::<TunInfo>()).writer().write(&info)?;
                Ok(0)
            }
            cmd::TUNSDEBUG => {
                DEBUG.store(arg.int()?, Relaxed);
                Ok(0)
            }
            cmd::TUNGDEBUG => arg.put_int(DEBUG.load(Relaxed)),
            cmd::TUNGIFNAME if !compat => self.write_name(arg.slice(cmd::IFREQ_SIZE)),
            cmd::TUNGIFNAME_COMPAT if compat => self.write_name(arg.slice(cmd::IFREQ_SIZE_COMPAT)),
            cmd::FIONREAD => {
                let next = {
                    let io = self.io.lock();
                    let vnet = self.vnet_on_read(&io);
                    io.queue.peek_len().map_or(0, |len| len + vnet)
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

    /// Changes what decides the offered offloads (the header length, `TUNSOFFLOAD`) and has
    /// the stack ask `ndo_fix_features` again.
    fn set_offload_state(&self, set: impl FnOnce(&mut Io)) -> Result<isize> {
        let _ctl = self.ctl.lock();
        let rtnl = self.rtnl()?;
        set(&mut self.io.lock());
        self.netdev.update_features(&rtnl);
        Ok(0)
    }

    /// `TUNSIFINFO`: the type must match; a new MTU goes through the kernel's MTU path.
    fn set_info(&self, info: &TunInfo) -> Result {
        let TunInfo {
            baudrate,
            mtu,
            iftype,
            ..
        } = *info;
        if iftype != self.kind.driver().iftype {
            return Err(EPROTOTYPE);
        }
        let mut ctl = self.ctl.lock();
        if u32::from(mtu) != self.netdev.mtu() {
            // Under RTNL: the interface cannot change namespace meanwhile.
            let rtnl = self.rtnl()?;
            // FreeBSD's PRIV_NET_SETIFMTU: the MTU is the administrator's, whoever holds the
            // file.
            if !self.netdev.admin_capable(&rtnl) {
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
