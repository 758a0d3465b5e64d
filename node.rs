// SPDX-License-Identifier: GPL-2.0

//! A unit's device files: what the char-device layer ([`cdev`]) calls, tied to the registry
//! (which unit an open gets, a transient unit's destruction at its last close) and to the unit
//! (the I/O and ioctls).

use crate::{
    cdev::{
        self,
        PollTable, //
    },
    clone,
    driver::Kind, //
    unit::Unit,
};
use kernel::{
    fs::File,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    prelude::*,
    seq_file::SeqFile,
    sync::{
        Arc,
        ArcBorrow, //
    },
};

impl cdev::Operations for Unit {
    type Kind = Kind;

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
        this.set_fasync(fd, file, on)
    }

    fn show_fdinfo(this: ArcBorrow<'_, Unit>, m: &SeqFile) {
        this.show_fdinfo(m)
    }
}
