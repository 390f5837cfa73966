//! Kernel globals: a lock that turns re-entry into a clear panic.
//!
//! With one CPU and interrupts disabled in kernel code, a global can only be
//! found locked if the kernel re-entered itself (an exception or interrupt
//! handler reaching for something the interrupted code holds). That is a
//! bug, and [`IrqLock::with`] reports it by name instead of deadlocking.

use crate::arch::cpu;
use spin::Mutex;

/// A kernel global reached through a closure with interrupts disabled.
pub struct IrqLock<T> {
    name: &'static str,
    inner: Mutex<T>,
}

impl<T> IrqLock<T> {
    /// A lock called `name` (for the re-entry message) around `value`.
    pub const fn new(name: &'static str, value: T) -> Self {
        Self {
            name,
            inner: Mutex::new(value),
        }
    }

    /// Runs `f` with exclusive access, interrupts disabled.
    ///
    /// # Panics
    /// If the lock is already held: the kernel re-entered itself.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let were_enabled = cpu::interrupts_enabled();
        cpu::disable_interrupts();
        let result = {
            let mut guard = match self.inner.try_lock() {
                Some(guard) => guard,
                // Invariant: the kernel runs with interrupts off (see
                // `arch`), so nothing can re-enter a lock it holds except a
                // kernel bug, such as a lock taken again inside its own
                // closure. Stopping with the lock's name is the only safe
                // answer: going on would alias the `&mut T` it lent out.
                #[allow(
                    clippy::panic,
                    reason = "re-entry is a kernel bug; continuing would alias a &mut"
                )]
                None => panic!("kernel re-entered while holding {}", self.name),
            };
            f(&mut guard)
        };
        if were_enabled {
            cpu::enable_interrupts();
        }
        result
    }

    /// Like [`Self::with`], but first breaks the lock if it is held. For the
    /// panic path only, which never returns to the code that held it.
    pub fn steal_for_panic<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        cpu::disable_interrupts();
        if self.inner.is_locked() {
            #[allow(unsafe_code)]
            // SAFETY: one CPU, interrupts off, and the caller is the panic
            // handler, which powers off: the holder never runs again, so no
            // two references to the value are ever used together.
            unsafe {
                self.inner.force_unlock()
            };
        }
        self.with(f)
    }
}
