// SPDX-License-Identifier: GPL-2.0

//! Character devices: the cloning nodes (misc devices), the per-unit nodes (one char device
//! region), and the `file_operations` both use.
//!
//! The kernel's `miscdevice` abstraction has no `poll` and no `fasync`, both of which BSD
//! tunnel programs rely on, so, like Rust Binder, this module builds its own
//! `file_operations` table as a `const` per [`Operations`] implementation. This file is the
//! char-device half of the thin `unsafe` layer: every `extern "C"` entry point converts its
//! raw arguments and calls straight into a safe [`Operations`] method.
//!
//! The per-unit nodes are not misc devices: `misc_open()` holds `misc_mtx` while it calls our
//! `open`, and opening a cloning node must create the unit's node, which `misc_register()`
//! would do under that same mutex. They are devices of one char device region of our own,
//! made with `device_create()`, which takes no lock that `open` holds.
//!
//! # Lifetimes
//!
//! `misc_open()` holds `misc_mtx` while it calls our `open`, so a [`Registration`] cannot be
//! freed during `open`; the region outlives every unit node. After `open`, a file owns the
//! `Arc` that [`Operations::open_clone`]/[`Operations::open_unit`] returned (its
//! `private_data`) and the module is pinned by `file_operations.owner`.

use core::{
    cell::UnsafeCell,
    marker::PhantomData,
    ptr::{
        null_mut,
        NonNull, //
    },
};
use kernel::{
    bindings,
    error::{
        from_err_ptr,
        from_result,
        to_result, //
    },
    fs::{
        File,
        Kiocb, //
    },
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    module::this_module,
    prelude::*,
    seq_file::SeqFile,
    str::CString,
    sync::{
        barrier::{
            smp_mb,
            Full, //
        },
        Arc,
        ArcBorrow,
        LockClassKey, //
    },
    task::TASK_NORMAL,
    types::{
        ForeignOwnable,
        Opaque, //
    },
};

/// The C glue's file helpers (`glue.h`), for what bindgen cannot reach.
mod sys {
    use kernel::{
        bindings,
        ffi::c_int, //
    };

    // Pointers to kernel structures only, as in the network layer's declarations.
    #[expect(improper_ctypes)]
    extern "C" {
        /// `iocb->ki_flags & IOCB_NOWAIT` (a macro).
        pub(super) fn tuntap_rs_kiocb_nowait(iocb: *mut bindings::kiocb) -> bool;
        /// The kernel's `f_getown()`, which is not exported.
        pub(super) fn tuntap_rs_f_getown(file: *mut bindings::file) -> c_int;
    }
}

/// What a node's files do. Every open file holds an `Arc<Self>`.
pub(crate) trait Operations: Sized + Send + Sync + 'static {
    /// What tells the cloning nodes apart: the value a node is registered with and passes to
    /// [`Operations::open_clone`].
    type Kind: Copy + Send + Sync + 'static;

    /// `open(2)` of the cloning node of `kind`.
    fn open_clone(kind: Self::Kind, file: &File) -> Result<Arc<Self>>;
    /// `open(2)` of the per-unit node with this minor number.
    fn open_unit(minor: u32, file: &File) -> Result<Arc<Self>>;
    /// Last close of the file.
    fn release(this: Arc<Self>, file: &File);
    /// `read(2)`/`readv(2)`.
    fn read(this: ArcBorrow<'_, Self>, dst: &mut IovIterDest<'_>, nonblock: bool) -> Result<usize>;
    /// `write(2)`/`writev(2)`.
    fn write(this: ArcBorrow<'_, Self>, src: &mut IovIterSource<'_>) -> Result<usize>;
    /// `poll(2)`: returns the `EPOLL*` mask.
    fn poll(this: ArcBorrow<'_, Self>, file: &File, table: &PollTable<'_>) -> u32;
    /// `ioctl(2)`; `compat` for 32-bit callers.
    fn ioctl(
        this: ArcBorrow<'_, Self>,
        file: &File,
        cmd: u32,
        arg: usize,
        compat: bool,
    ) -> Result<isize>;
    /// `fcntl(F_SETFL, O_ASYNC)` and `FIOASYNC`.
    fn fasync(this: ArcBorrow<'_, Self>, fd: i32, file: &File, on: bool) -> Result;
    /// `/proc/<pid>/fdinfo/<fd>`.
    fn show_fdinfo(this: ArcBorrow<'_, Self>, m: &SeqFile);
}

/// A registered cloning node, `/dev/<name>`, whose opens go to [`Operations::open_clone`].
///
/// # Invariants
///
/// `misc` holds a `struct miscdevice` registered with `misc_register()` whose `name` and
/// `nodename` point into `name` and `nodename`, and whose `fops` is
/// [`VTable::<T>::CLONE_FOPS`]; it stays registered until [`Drop`].
/// `misc` is the first field of this `#[repr(C)]` type, so a pointer to it is a pointer to the
/// whole [`Registration`].
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: Operations> {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    /// Passed to [`Operations::open_clone`].
    kind: T::Kind,
    /// The misc device's name (sysfs, `/proc/misc`), `tuntap_rs_<node>`, so as not to clash
    /// with Linux's own tun ("tun"); `misc.name` points into its heap buffer, which never
    /// moves.
    name: CString,
    /// The node's name under `/dev`; `misc.nodename` points into it.
    nodename: CString,
    _t: PhantomData<T>,
}

// SAFETY: `misc_register`/`misc_deregister` may be called from any thread, and the only data
// read through `&Registration` is `kind`, which is `Copy`.
unsafe impl<T: Operations> Sync for Registration<T> {}
// SAFETY: As above.
unsafe impl<T: Operations> Send for Registration<T> {}

impl<T: Operations> Registration<T> {
    /// Registers the cloning node of `kind`, `/dev/<nodename>` (mode 0600, owner root).
    pub(crate) fn register(nodename: &CStr, kind: T::Kind) -> Result<impl PinInit<Self, Error>> {
        let name = CString::try_from_fmt(fmt!("tuntap_rs_{}", nodename.to_str()?))?;
        let nodename = CString::try_from_fmt(fmt!("{}", nodename.to_str()?))?;
        let name_ptr = name.as_char_ptr();
        let nodename_ptr = nodename.as_char_ptr();
        Ok(try_pin_init!(Self {
            misc <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                let mut misc: bindings::miscdevice = pin_init::zeroed();
                misc.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
                misc.name = name_ptr;
                misc.nodename = nodename_ptr;
                misc.fops = &VTable::<T>::CLONE_FOPS;
                misc.mode = 0o600;
                // SAFETY: The initialiser may write to `slot`.
                unsafe { slot.write(misc) };
                // SAFETY: `slot` holds a filled-in miscdevice that lives, pinned, until `Drop`
                // deregisters it; `name_ptr` stays valid as long as `name` below.
                // INVARIANT: On success the miscdevice is registered.
                to_result(unsafe { bindings::misc_register(slot) })
            }),
            kind,
            name,
            nodename,
            _t: PhantomData,
        }))
    }
}

#[pinned_drop]
impl<T: Operations> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariants, `misc` is registered; this is the only deregistration.
        unsafe { bindings::misc_deregister(self.misc.get()) };
    }
}

/// The char device region of the per-unit nodes, with their device class; its opens go to
/// [`Operations::open_unit`], and [`Region::node`] makes the nodes.
///
/// # Invariants
///
/// `devt` is the first of `minors` numbers allocated with `alloc_chrdev_region()`; `class`
/// is registered and `cdev` (from `cdev_alloc()`) is added over the whole region with
/// [`VTable::<T>::UNIT_FOPS`], until [`Drop`].
pub(crate) struct Region<T: Operations> {
    devt: bindings::dev_t,
    minors: u32,
    class: KBox<bindings::class>,
    cdev: NonNull<bindings::cdev>,
    /// The region is `T`'s, but holds no `T`.
    _t: PhantomData<fn() -> T>,
}

// SAFETY: The region is only registered and unregistered, which may happen from any thread;
// the class is only read, by the kernel.
unsafe impl<T: Operations> Send for Region<T> {}
// SAFETY: As above: `&Region` gives only `node`, which the kernel serialises itself.
unsafe impl<T: Operations> Sync for Region<T> {}

/// `MKDEV()`.
const fn mkdev(major: u32, minor: u32) -> bindings::dev_t {
    (major << bindings::MINORBITS) | minor
}

/// `MAJOR()`.
const fn major(devt: bindings::dev_t) -> u32 {
    devt >> bindings::MINORBITS
}

/// `MINOR()`.
const fn minor(devt: bindings::dev_t) -> u32 {
    devt & ((1 << bindings::MINORBITS) - 1)
}

/// The class's `devnode`: every per-unit node is mode 0600, owner root, as FreeBSD's.
///
/// # Safety
///
/// `mode` must be null or valid for writes (the driver core's call).
unsafe extern "C" fn devnode(
    _dev: *const bindings::device,
    mode: *mut bindings::umode_t,
) -> *mut c_char {
    if !mode.is_null() {
        // SAFETY: The driver core passes a valid pointer or null.
        unsafe { *mode = 0o600 };
    }
    null_mut()
}

impl<T: Operations> Region<T> {
    /// Registers a region of `minors` minor numbers, and a device class, both named `name`.
    pub(crate) fn register(name: &'static CStr, minors: u32) -> Result<Self> {
        let class = KBox::new(
            bindings::class {
                name: name.as_char_ptr(),
                devnode: Some(devnode),
                ..pin_init::zeroed()
            },
            GFP_KERNEL,
        )?;
        let mut devt: bindings::dev_t = 0;
        // SAFETY: `devt` is writable; `name` is static.
        to_result(unsafe {
            bindings::alloc_chrdev_region(&mut devt, 0, minors, name.as_char_ptr())
        })?;
        // SAFETY: `class` is filled in and stays at its heap address until `Drop` unregisters it.
        if let Err(e) = to_result(unsafe { bindings::class_register(&*class) }) {
            // SAFETY: Allocated above, unused.
            unsafe { bindings::unregister_chrdev_region(devt, minors) };
            return Err(e);
        }
        // SAFETY: Called in process context; returns an initialised cdev or null.
        let Some(cdev) = NonNull::new(unsafe { bindings::cdev_alloc() }) else {
            // SAFETY: Registered above, no device in it yet.
            unsafe {
                bindings::class_unregister(&*class);
                bindings::unregister_chrdev_region(devt, minors);
            }
            return Err(ENOMEM);
        };
        // SAFETY: `cdev` is ours until `cdev_add`; the fops table is static. What `cdev_init`
        // does for an embedded cdev, `cdev_alloc` did, except for these two fields.
        let added = unsafe {
            (*cdev.as_ptr()).ops = &VTable::<T>::UNIT_FOPS;
            (*cdev.as_ptr()).owner = this_module::<crate::LocalModule>().as_ptr();
            to_result(bindings::cdev_add(cdev.as_ptr(), devt, minors))
        };
        if let Err(e) = added {
            // SAFETY: The cdev was never added: dropping its kobject's reference frees it. The
            // class and the region have no user yet.
            unsafe {
                bindings::kobject_put(&mut (*cdev.as_ptr()).kobj);
                bindings::class_unregister(&*class);
                bindings::unregister_chrdev_region(devt, minors);
            }
            return Err(e);
        }
        // INVARIANT: All three are registered above.
        Ok(Region {
            devt,
            minors,
            class,
            cdev,
            _t: PhantomData,
        })
    }

    /// Creates the device node `/dev/<name>` for `minor` (mode 0600, owner root).
    pub(crate) fn node(&self, minor: u32, name: &CStr) -> Result<Node> {
        if minor >= self.minors {
            return Err(EINVAL);
        }
        let devt = mkdev(major(self.devt), minor);
        // SAFETY: The class is registered (type invariants); `"%s"` takes `name`, a valid C
        // string the driver core copies.
        let dev = unsafe {
            bindings::device_create(
                &*self.class,
                null_mut(),
                devt,
                null_mut(),
                c"%s".as_char_ptr(),
                name.as_char_ptr(),
            )
        };
        from_err_ptr(dev)?;
        // INVARIANT: The device exists; the region outlives it (see `Node`).
        Ok(Node {
            devt,
            class: &*self.class,
        })
    }
}

impl<T: Operations> Drop for Region<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants all three are registered; this is their only
        // unregistration, and no node is left (each `Node` is dropped before its region).
        unsafe {
            bindings::cdev_del(self.cdev.as_ptr());
            bindings::class_unregister(&*self.class);
            bindings::unregister_chrdev_region(self.devt, self.minors);
        }
    }
}

/// A per-unit device node, removed on drop.
///
/// # Invariants
///
/// A device numbered `devt` exists in `class`. The [`Region`] that made it outlives it: the
/// registry that keeps the nodes owns the region and drops it last.
pub(crate) struct Node {
    devt: bindings::dev_t,
    class: *const bindings::class,
}

// SAFETY: `device_destroy` may be called from any thread.
unsafe impl Send for Node {}
// SAFETY: `&Node` gives nothing.
unsafe impl Sync for Node {}

impl Drop for Node {
    fn drop(&mut self) {
        // SAFETY: The device exists in the registered class (type invariants).
        unsafe { bindings::device_destroy(self.class, self.devt) };
    }
}

/// `poll(2)`'s table, handed to [`Operations::poll`]: registers the caller on a [`PollQueue`].
///
/// # Invariants
///
/// `table` is null or a valid `poll_table` for `'a`.
pub(crate) struct PollTable<'a> {
    table: *mut bindings::poll_table,
    _lifetime: PhantomData<&'a bindings::poll_table>,
}

impl PollTable<'_> {
    /// Registers the polling task (or epoll item) of `file` on `queue`.
    pub(crate) fn register(&self, file: &File, queue: &PollQueue) {
        // SAFETY: `file` and the table are valid for this call (type invariant). `queue` is
        // pinned, and its destructor removes every registration (`__wake_up_pollfree`, then an
        // RCU grace period) before its memory goes.
        unsafe { bindings::poll_wait(file.as_ptr(), queue.head.get(), self.table) }
    }
}

/// The wait queue that `poll(2)`, `select(2)` and epoll wait on.
///
/// Unlike the kernel's `PollCondVar`, a waker first asks whether anybody is registered
/// ([`PollQueue::wake`] is `wq_has_sleeper()` then `__wake_up()`, as sockets do), so an event
/// that nobody polls for costs a barrier and a load, not the queue's lock. A `poll(2)` caller
/// is registered only for the call; an epoll item from `EPOLL_CTL_ADD` to its removal.
///
/// Ordering: a poller registers, then checks its condition under the waker's lock; the waker
/// changes the condition under that lock, then calls [`PollQueue::wake`] (a full barrier, then
/// the registration check). Either the poller sees the change or the waker sees the poller.
#[pin_data(PinnedDrop)]
pub(crate) struct PollQueue {
    #[pin]
    head: Opaque<bindings::wait_queue_head>,
}

// SAFETY: A `wait_queue_head` is used from any thread under its own lock.
unsafe impl Send for PollQueue {}
// SAFETY: As above.
unsafe impl Sync for PollQueue {}

/// A [`PollQueue`] initialiser with a lock class of its own, named after the call site or
/// `$name`.
macro_rules! new_poll_queue {
    ($name:literal) => {
        $crate::cdev::PollQueue::new(::kernel::c_str!($name), ::kernel::static_lock_class!())
    };
}
pub(crate) use new_poll_queue;

impl PollQueue {
    /// An empty queue; see [`new_poll_queue!`].
    pub(crate) fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(PollQueue {
            // SAFETY: `slot` is valid for writes; `name` and `key` live forever.
            head <- Opaque::ffi_init(|slot| unsafe {
                bindings::__init_waitqueue_head(slot, name.as_char_ptr(), key.as_ptr())
            }),
        })
    }

    /// Whether anybody is registered (`wq_has_sleeper()`): a full barrier, then the list.
    fn has_waiters(&self) -> bool {
        smp_mb(Full);
        let head = self.head.get();
        // SAFETY: `head` is an initialised wait queue head. A racy read of the list's first
        // pointer is what `waitqueue_active()` does; the barrier above orders it after the
        // caller's change of the condition.
        let first = unsafe {
            let list = core::ptr::addr_of_mut!((*head).head);
            (core::ptr::addr_of!((*list).next).read_volatile(), list)
        };
        first.0 != first.1
    }

    /// Wakes every registered poller, if there is one.
    pub(crate) fn wake(&self) {
        if self.has_waiters() {
            // SAFETY: `head` is an initialised wait queue head.
            unsafe { bindings::__wake_up(self.head.get(), TASK_NORMAL, 0, null_mut()) };
        }
    }
}

#[pinned_drop]
impl PinnedDrop for PollQueue {
    fn drop(self: Pin<&mut Self>) {
        // Removes what epoll still has registered (POLLFREE), as `PollCondVar` does.
        // SAFETY: `head` is an initialised wait queue head.
        unsafe { bindings::__wake_up_pollfree(self.head.get()) };
        // Waits for epoll to let go of the items.
        kernel::sync::rcu::synchronize_rcu();
    }
}

/// A list of files that asked for `SIGIO` (`struct fasync_struct *`).
///
/// # Invariants
///
/// `list` is only changed by `fasync_helper()` and read by `kill_fasync()`, which synchronise
/// through `fasync_lock` and RCU.
pub(crate) struct Fasync {
    list: UnsafeCell<*mut bindings::fasync_struct>,
}

// SAFETY: `fasync_helper` and `kill_fasync` may be called concurrently from any thread.
unsafe impl Send for Fasync {}
// SAFETY: As above.
unsafe impl Sync for Fasync {}

impl Fasync {
    /// An empty list.
    pub(crate) const fn new() -> Fasync {
        Fasync {
            list: UnsafeCell::new(null_mut()),
        }
    }

    /// Adds `file` to (or removes it from) the list.
    pub(crate) fn set(&self, fd: i32, file: &File, on: bool) -> Result {
        // SAFETY: `file` is valid; the list is only changed by `fasync_helper`.
        let ret =
            unsafe { bindings::fasync_helper(fd, file.as_ptr(), c_int::from(on), self.list.get()) };
        to_result(ret.min(0))
    }

    /// Sends `SIGIO` with `POLL_IN` to the owners of the files on the list.
    pub(crate) fn signal_readable(&self) {
        // SAFETY: `kill_fasync` reads the list under RCU; callable from any context.
        unsafe {
            bindings::kill_fasync(
                self.list.get(),
                bindings::SIGIO as c_int,
                bindings::POLL_IN as c_int,
            )
        };
    }
}

impl Drop for Fasync {
    fn drop(&mut self) {
        // Every file removes itself when it is released (`__fput` calls `fasync` with off),
        // and a unit outlives its files' references.
        debug_assert!(self.list.get_mut().is_null());
    }
}

/// Sets the process (`pid` > 0) or process group (`pid` < 0) that gets `SIGIO` for `file`.
pub(crate) fn set_owner(file: &File, pid: i32) -> Result {
    // SAFETY: `file` is valid; `f_setown` takes its own locks.
    to_result(unsafe { bindings::f_setown(file.as_ptr(), pid, 1) })
}

/// The process (> 0) or process group (< 0) that gets `SIGIO` for `file`, or 0.
pub(crate) fn owner(file: &File) -> i32 {
    // SAFETY: `file` is valid.
    unsafe { sys::tuntap_rs_f_getown(file.as_ptr()) }
}

/// The `file_operations` tables for nodes of `T`.
struct VTable<T: Operations>(PhantomData<T>);

impl<T: Operations> VTable<T> {
    /// For the cloning nodes (misc devices).
    const CLONE_FOPS: bindings::file_operations = bindings::file_operations {
        open: Some(Self::open_clone),
        ..Self::COMMON
    };

    /// For the per-unit nodes (our char device region).
    const UNIT_FOPS: bindings::file_operations = bindings::file_operations {
        open: Some(Self::open_unit),
        ..Self::COMMON
    };

    const COMMON: bindings::file_operations = bindings::file_operations {
        owner: this_module::<crate::LocalModule>().as_ptr(),
        release: Some(Self::release),
        read_iter: Some(Self::read_iter),
        write_iter: Some(Self::write_iter),
        poll: Some(Self::poll),
        unlocked_ioctl: Some(Self::ioctl),
        compat_ioctl: Some(Self::compat_ioctl),
        fasync: Some(Self::fasync),
        show_fdinfo: Some(Self::show_fdinfo),
        ..pin_init::zeroed()
    };

    /// Stores `opened` as the file's private data.
    ///
    /// # Safety
    ///
    /// `file` must be a file being opened through one of our tables.
    unsafe fn finish_open(file: *mut bindings::file, opened: Result<Arc<T>>) -> c_int {
        from_result(|| {
            // SAFETY: Until `release`, only the functions of these tables use `private_data`,
            // and they all read it as an `Arc<T>`.
            unsafe { (*file).private_data = opened?.into_foreign().cast() };
            // Packets are not seekable: `stream_open` marks the file so.
            // SAFETY: The file is being opened.
            unsafe { bindings::stream_open(null_mut(), file) };
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `file` must be a file being opened through a [`Registration<T>`]'s miscdevice.
    unsafe extern "C" fn open_clone(
        _inode: *mut bindings::inode,
        file: *mut bindings::file,
    ) -> c_int {
        // SAFETY: `misc_open()` stored a pointer to our miscdevice in `private_data`, and holds
        // `misc_mtx` so the registration cannot go away during this call. By the invariants of
        // `Registration`, that pointer is also a pointer to the `Registration<T>`.
        let kind = unsafe { (*(*file).private_data.cast::<Registration<T>>()).kind };
        // SAFETY: The file is valid for the duration of this call and has no fdget_pos region.
        let opened = T::open_clone(kind, unsafe { File::from_raw_file(file) });
        // SAFETY: The file is being opened through our table.
        unsafe { Self::finish_open(file, opened) }
    }

    /// # Safety
    ///
    /// `inode` and `file` must be a per-unit node being opened.
    unsafe extern "C" fn open_unit(
        inode: *mut bindings::inode,
        file: *mut bindings::file,
    ) -> c_int {
        // SAFETY: `inode` is valid during open.
        let minor = minor(unsafe { (*inode).i_rdev });
        // SAFETY: The file is valid for the duration of this call and has no fdget_pos region.
        let opened = T::open_unit(minor, unsafe { File::from_raw_file(file) });
        // SAFETY: The file is being opened through our table.
        unsafe { Self::finish_open(file, opened) }
    }

    /// # Safety
    ///
    /// `file` must be an open file of these tables; the result must not outlive the call.
    unsafe fn borrow<'a>(file: *mut bindings::file) -> ArcBorrow<'a, T> {
        // SAFETY: `private_data` holds an `Arc<T>` from `finish_open` until `release`.
        unsafe { <Arc<T> as ForeignOwnable>::borrow((*file).private_data.cast()) }
    }

    /// # Safety
    ///
    /// `file` must be a file opened successfully through these tables, being released.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `finish_open` stored an `Arc<T>`; release is its last user, so it takes it.
        let arc = unsafe { <Arc<T> as ForeignOwnable>::from_foreign((*file).private_data.cast()) };
        // SAFETY: The file is valid for the duration of this call and has no fdget_pos region.
        T::release(arc, unsafe { File::from_raw_file(file) });
        0
    }

    /// Whether an I/O request must not sleep: a non-blocking file, or `RWF_NOWAIT`.
    fn nowait(iocb: &Kiocb<'_, Arc<T>>) -> bool {
        // SAFETY: The kiocb and its file are valid for the duration of the request.
        let file = unsafe { File::from_raw_file((*iocb.as_raw()).ki_filp) };
        // SAFETY: As above.
        file.flags() & bindings::O_NONBLOCK != 0
            || unsafe { sys::tuntap_rs_kiocb_nowait(iocb.as_raw()) }
    }

    /// # Safety
    ///
    /// `iocb` must belong to an open file of these tables; `iter` must be a valid destination.
    unsafe extern "C" fn read_iter(
        iocb: *mut bindings::kiocb,
        iter: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: `iocb` is valid for this call; its file's private data is an `Arc<T>`.
        let iocb = unsafe { Kiocb::<Arc<T>>::from_raw(iocb) };
        // SAFETY: `iter` is a valid destination iterator for this call.
        let dst = unsafe { IovIterDest::from_raw(iter) };
        from_result(|| Ok(T::read(iocb.file(), dst, Self::nowait(&iocb))? as isize))
    }

    /// # Safety
    ///
    /// `iocb` must belong to an open file of these tables; `iter` must be a valid source.
    unsafe extern "C" fn write_iter(
        iocb: *mut bindings::kiocb,
        iter: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: `iocb` is valid for this call; its file's private data is an `Arc<T>`.
        let iocb = unsafe { Kiocb::<Arc<T>>::from_raw(iocb) };
        // SAFETY: `iter` is a valid source iterator for this call.
        let src = unsafe { IovIterSource::from_raw(iter) };
        from_result(|| Ok(T::write(iocb.file(), src)? as isize))
    }

    /// # Safety
    ///
    /// `file` must be an open file of these tables; `table` null or a valid poll table.
    unsafe extern "C" fn poll(file: *mut bindings::file, table: *mut bindings::poll_table) -> u32 {
        // SAFETY: `file` is one of ours; `table` is valid for this call.
        let this = unsafe { Self::borrow(file) };
        // INVARIANTS: `table` is null or valid for this call.
        let table = PollTable {
            table,
            _lifetime: PhantomData,
        };
        // SAFETY: The file is valid for the duration of this call and has no fdget_pos region.
        T::poll(this, unsafe { File::from_raw_file(file) }, &table)
    }

    /// # Safety
    ///
    /// `file` must be an open file of these tables.
    unsafe extern "C" fn ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
        // SAFETY: `file` is one of ours and valid for this call.
        let (this, f) = unsafe { (Self::borrow(file), File::from_raw_file(file)) };
        from_result(|| Ok(T::ioctl(this, f, cmd, arg, false)? as c_long))
    }

    /// # Safety
    ///
    /// `file` must be an open file of these tables.
    unsafe extern "C" fn compat_ioctl(
        file: *mut bindings::file,
        cmd: c_uint,
        arg: c_ulong,
    ) -> c_long {
        // SAFETY: `file` is one of ours and valid for this call.
        let (this, f) = unsafe { (Self::borrow(file), File::from_raw_file(file)) };
        // A 32-bit pointer argument zero-extends to the same user address (`compat_ptr`).
        from_result(|| Ok(T::ioctl(this, f, cmd, arg as u32 as usize, true)? as c_long))
    }

    /// # Safety
    ///
    /// `file` must be an open file of these tables.
    unsafe extern "C" fn fasync(fd: c_int, file: *mut bindings::file, on: c_int) -> c_int {
        // SAFETY: `file` is one of ours and valid for this call.
        let (this, f) = unsafe { (Self::borrow(file), File::from_raw_file(file)) };
        from_result(|| {
            T::fasync(this, fd, f, on != 0)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `m` must be a valid seq_file, `file` an open file of these tables.
    unsafe extern "C" fn show_fdinfo(m: *mut bindings::seq_file, file: *mut bindings::file) {
        // SAFETY: `file` is one of ours; `m` is valid and exclusive for this call.
        let (this, m) = unsafe { (Self::borrow(file), SeqFile::from_raw(m)) };
        T::show_fdinfo(this, m);
    }
}
