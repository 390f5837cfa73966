//! The clock and sleeping.
//!
//! ```no_run
//! let start = userlib::time::clock_ns();
//! userlib::time::sleep_ms(100).ok(); // EINTR if a caught signal arrives
//! userlib::println!("slept {} ns", userlib::time::clock_ns() - start);
//! ```

use crate::SysResult;
use crate::raw::{check, syscall_plain};
use kernel_abi::Syscall;

/// Nanoseconds since boot.
pub fn clock_ns() -> u64 {
    syscall_plain(Syscall::Clock, [0; 6]) as u64
}

/// Sleeps for `ns` nanoseconds (EINTR if a signal interrupts it).
pub fn sleep_ns(ns: u64) -> SysResult<()> {
    check(syscall_plain(Syscall::Sleep, [ns, 0, 0, 0, 0, 0])).map(|_| ())
}

/// Sleeps for `ms` milliseconds.
pub fn sleep_ms(ms: u64) -> SysResult<()> {
    sleep_ns(ms * 1_000_000)
}

/// The CPU's time-stamp counter (cycles; the kernel reports its frequency
/// in its Hello frame).
pub fn cycles() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `rdtsc` reads a counter; ring 3 may use it (the kernel
        // leaves CR4.TSD clear).
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        0
    }
}
