// SPDX-License-Identifier: GPL-2.0

//! A spinlock that saves and restores the interrupt state (`spin_lock_irqsave()`), for state
//! that the transmit path (softirq, or a task with bottom halves off, or netpoll with
//! interrupts off) shares with process context.
//!
//! The kernel's Rust `SpinLockIrq` does the same job with `spin_lock_irq_disable()`, which
//! also keeps a per-CPU count of interrupt disabling: measured under the benchmark, about 29
//! instructions per lock and unlock against about 17 here, twice per packet.

use kernel::{
    bindings,
    ffi::{
        c_char,
        c_ulong, //
    },
    sync::lock::{
        Backend,
        Lock, //
    },
};

/// A [`Lock`] whose holder runs with interrupts disabled.
pub(crate) type SpinLockIrqSave<T> = Lock<T, SpinLockIrqSaveBackend>;

/// A [`SpinLockIrqSave`] initialiser, with a lock class of its own named `$name`.
macro_rules! new_spinlock_irqsave {
    ($inner:expr, $name:literal) => {
        $crate::netdev::SpinLockIrqSave::new(
            $inner,
            ::kernel::c_str!($name),
            ::kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_spinlock_irqsave;

/// The backend of [`SpinLockIrqSave`]: a `spinlock_t`.
pub(crate) struct SpinLockIrqSaveBackend;

/// How a guard releases its lock.
pub(crate) enum Taken {
    /// By `lock`: restore these interrupt flags.
    Saved(c_ulong),
    /// By `try_lock` (there is no `spin_trylock_irqsave()` bindgen reaches): the kernel's
    /// counted interrupt disabling, undone by `spin_unlock_irq_enable()`.
    Counted,
}

// `spin_lock_irqsave()` is a macro: it takes the `raw_spinlock_t` that starts a `spinlock_t`
// (its first union member) with the exported `_raw_spin_lock_irqsave()`. Under PREEMPT_RT a
// `spinlock_t` is an rt_mutex and this would be wrong.
#[cfg(CONFIG_PREEMPT_RT)]
compile_error!("SpinLockIrqSave takes spinlock_t's raw_spinlock_t: not valid under PREEMPT_RT");
const _: () = assert!(
    core::mem::size_of::<bindings::spinlock_t>()
        >= core::mem::size_of::<bindings::raw_spinlock_t>()
);

/// The `raw_spinlock_t` at the start of `ptr`.
fn raw(ptr: *mut bindings::spinlock_t) -> *mut bindings::raw_spinlock_t {
    ptr.cast()
}

// SAFETY: The kernel's `spinlock_t` ensures mutual exclusion; `unlock` releases the lock the way
// `lock` or `try_lock` took it, as recorded in the guard's state.
unsafe impl Backend for SpinLockIrqSaveBackend {
    type State = bindings::spinlock_t;
    type GuardState = Taken;

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: `ptr` is valid for writes; `name` and `key` live forever (caller's contract).
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: `ptr` is an initialised lock (caller's contract).
        Taken::Saved(unsafe { bindings::_raw_spin_lock_irqsave(raw(ptr)) })
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        // SAFETY: As for `lock`.
        (unsafe { bindings::spin_trylock_irq_disable(ptr) } != 0).then_some(Taken::Counted)
    }

    unsafe fn unlock(ptr: *mut Self::State, guard_state: &Self::GuardState) {
        match *guard_state {
            // SAFETY: The caller holds the lock, taken by `lock` with these flags.
            Taken::Saved(flags) => unsafe {
                bindings::_raw_spin_unlock_irqrestore(raw(ptr), flags)
            },
            // SAFETY: The caller holds the lock, taken by `try_lock`.
            Taken::Counted => unsafe { bindings::spin_unlock_irq_enable(ptr) },
        }
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: `ptr` is an initialised lock (caller's contract).
        unsafe { bindings::spin_assert_is_held(ptr) }
    }
}
