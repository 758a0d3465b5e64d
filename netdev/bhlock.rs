// SPDX-License-Identifier: GPL-2.0

//! A spinlock that disables bottom halves: for state that the transmit path (softirq, or a
//! task with bottom halves off) shares with process context, as C drivers use
//! `spin_lock_bh()`. The kernel's Rust `SpinLockIrq` disables interrupts too (and keeps a
//! per-CPU count of it), which nothing of ours needs: no hard interrupt handler takes the
//! lock, and the devices refuse netpoll (`IFF_DISABLE_NETPOLL`), the one caller of
//! `ndo_start_xmit` with interrupts off.

use kernel::{
    bindings,
    ffi::c_char,
    sync::lock::{
        Backend,
        Lock, //
    },
};

/// A [`Lock`] whose holder runs with bottom halves disabled.
pub(crate) type SpinLockBh<T> = Lock<T, SpinLockBhBackend>;

/// A [`SpinLockBh`] initialiser, with a lock class of its own named `$name`.
macro_rules! new_spinlock_bh {
    ($inner:expr, $name:literal) => {
        $crate::netdev::SpinLockBh::new(
            $inner,
            ::kernel::c_str!($name),
            ::kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_spinlock_bh;

/// The backend of [`SpinLockBh`]: a `spinlock_t` taken with `spin_lock_bh()`.
pub(crate) struct SpinLockBhBackend;

// `spin_lock_bh()` is an inline function: it takes the `raw_spinlock_t` that starts a
// `spinlock_t` (its first union member) with the exported `_raw_spin_lock_bh()`. Under
// PREEMPT_RT a `spinlock_t` is an rt_mutex and this would be wrong.
#[cfg(CONFIG_PREEMPT_RT)]
compile_error!("SpinLockBh takes spinlock_t's raw_spinlock_t: not valid under PREEMPT_RT");
const _: () = assert!(
    core::mem::size_of::<bindings::spinlock_t>()
        >= core::mem::size_of::<bindings::raw_spinlock_t>()
);

/// The `raw_spinlock_t` at the start of `ptr`.
fn raw(ptr: *mut bindings::spinlock_t) -> *mut bindings::raw_spinlock_t {
    ptr.cast()
}

// SAFETY: The kernel's `spinlock_t` ensures mutual exclusion; `unlock` releases what `lock` and
// `try_lock` took, with bottom halves enabled again by the same call as C's
// `spin_unlock_bh()`.
unsafe impl Backend for SpinLockBhBackend {
    type State = bindings::spinlock_t;
    type GuardState = ();

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: `ptr` is valid for writes; `name` and `key` live forever (caller's contract).
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: `ptr` is an initialised lock (caller's contract).
        unsafe { bindings::_raw_spin_lock_bh(raw(ptr)) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        // SAFETY: As for `lock`.
        (unsafe { bindings::_raw_spin_trylock_bh(raw(ptr)) } != 0).then_some(())
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: The caller holds the lock, taken by `lock` or `try_lock`.
        unsafe { bindings::_raw_spin_unlock_bh(raw(ptr)) }
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: `ptr` is an initialised lock (caller's contract).
        unsafe { bindings::spin_assert_is_held(ptr) }
    }
}
