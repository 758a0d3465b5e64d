// SPDX-License-Identifier: GPL-2.0

//! Character device nodes: misc devices with tuntap_rs' own `file_operations`.
//!
//! The kernel's `miscdevice` abstraction has no `poll` and no `fasync`, both of which BSD
//! tunnel programs rely on, so, like Rust Binder, this module builds its own `file_operations`
//! table as a `const` per [`Operations`] implementation. This file is the char-device half of
//! the thin `unsafe` layer: every `extern "C"` entry point converts its raw arguments and calls
//! straight into the safe [`Operations`] methods.
//!
//! # Lifetimes
//!
//! `misc_open()` holds `misc_mtx` while it calls our `open`, so a [`Registration`] cannot be
//! deregistered (and freed) during `open`. After `open`, the file only holds what
//! [`Operations::open`] returned (`file->private_data`); that value must keep alive whatever it
//! needs, because the node may be deregistered while the file stays open.

use core::marker::PhantomData;
use kernel::{
    bindings,
    fs::File,
    module::this_module,
    prelude::*,
    str::CString,
    types::{
        ForeignOwnable,
        Opaque, //
    },
};

/// What a node does when it is opened and closed.
pub(crate) trait Operations: Sized + 'static {
    /// The data a node carries: which driver it belongs to, which unit it stands for.
    type Node: Send + Sync;

    /// The per-open state, stored in the file's private data from `open` to `release`.
    type Ptr: ForeignOwnable + Send + Sync;

    /// Called on `open(2)` of a node; the result becomes the file's private data.
    fn open(node: &Self::Node, file: &File) -> Result<Self::Ptr>;

    /// Called on the last close of the file.
    fn release(this: Self::Ptr, _file: &File) {
        drop(this);
    }
}

/// A registered misc device node, `/dev/<name>`, whose opens go to `T`.
///
/// # Invariants
///
/// `misc` holds a `struct miscdevice` registered with `misc_register()` whose `name` points into
/// `name` and whose `fops` is [`VTable::<T>::FOPS`]; it stays registered until [`Drop`].
/// `misc` is the first field of this `#[repr(C)]` type, so a pointer to it is a pointer to the
/// whole [`Registration`].
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: Operations> {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    /// Passed to [`Operations::open`].
    node: T::Node,
    /// The node's name; `misc.name` points into its heap buffer, which never moves.
    name: CString,
    _t: PhantomData<T>,
}

// SAFETY: `misc_register` and `misc_deregister` may be called from any thread, and the only data
// shared through `&Registration` is `node`, which is `Sync`.
unsafe impl<T: Operations> Sync for Registration<T> {}
// SAFETY: As above; `node` is `Send`.
unsafe impl<T: Operations> Send for Registration<T> {}

impl<T: Operations> Registration<T> {
    /// Registers `/dev/<name>` (mode 0600, owner root) carrying `node`.
    pub(crate) fn register(name: CString, node: T::Node) -> impl PinInit<Self, Error> {
        let name_ptr = name.as_char_ptr();
        try_pin_init!(Self {
            misc <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                let mut misc: bindings::miscdevice = pin_init::zeroed();
                misc.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
                misc.name = name_ptr;
                misc.fops = &VTable::<T>::FOPS;
                misc.mode = 0o600;
                // SAFETY: The initialiser may write to `slot`.
                unsafe { slot.write(misc) };
                // SAFETY: `slot` holds a filled-in miscdevice that lives, pinned, until `Drop`
                // deregisters it; `name_ptr` stays valid as long as `name` below.
                // INVARIANT: On success the miscdevice is registered.
                to_result(unsafe { bindings::misc_register(slot) })
            }),
            node,
            name,
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T: Operations> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariants, `misc` is registered; this is the only deregistration.
        unsafe { bindings::misc_deregister(self.misc.get()) };
    }
}

/// The `file_operations` table for nodes of `T`.
struct VTable<T: Operations>(PhantomData<T>);

impl<T: Operations> VTable<T> {
    const FOPS: bindings::file_operations = bindings::file_operations {
        owner: this_module::<crate::LocalModule>().as_ptr(),
        open: Some(Self::open),
        release: Some(Self::release),
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// `file` must be a file being opened through a [`Registration<T>`]'s miscdevice.
    unsafe extern "C" fn open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `misc_open()` stored a pointer to our miscdevice in `private_data`, and holds
        // `misc_mtx` so the registration cannot go away during this call. By the invariants of
        // `Registration`, that pointer is also a pointer to the `Registration<T>`.
        let reg = unsafe { &*(*file).private_data.cast::<Registration<T>>() };
        // SAFETY: The file is valid for the duration of this call and has no fdget_pos region.
        let file_ref = unsafe { File::from_raw_file(file) };
        match T::open(&reg.node, file_ref) {
            Ok(ptr) => {
                // SAFETY: Until `release`, only the functions of this table use `private_data`,
                // and they all read it as a `T::Ptr`.
                unsafe { (*file).private_data = ptr.into_foreign().cast() };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `file` must be a file opened successfully by [`Self::open`], being released.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `open` stored a `T::Ptr` here; release is its last user, so it takes it back.
        let ptr = unsafe { T::Ptr::from_foreign((*file).private_data.cast()) };
        // SAFETY: The file is valid for the duration of this call and has no fdget_pos region.
        T::release(ptr, unsafe { File::from_raw_file(file) });
        0
    }
}

/// Whether the current task may administer networking (`CAP_NET_ADMIN`).
pub(crate) fn net_admin_capable() -> bool {
    // SAFETY: `capable` only reads the current task's credentials.
    unsafe { bindings::capable(bindings::CAP_NET_ADMIN as c_int) }
}
