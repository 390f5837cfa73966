//! Kernel time: nanoseconds since boot, from the calibrated TSC.

use crate::arch::cpu::read_tsc;
use core::sync::atomic::{AtomicU64, Ordering};

static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
static TSC_HZ: AtomicU64 = AtomicU64::new(0);
/// Nanoseconds per cycle as a 32.32 fixed-point number, so the hot path
/// multiplies instead of dividing.
static NS_PER_CYCLE_FIXED: AtomicU64 = AtomicU64::new(0);

/// Marks the moment the kernel started (uptime 0).
pub fn mark_boot() {
    BOOT_TSC.store(read_tsc(), Ordering::Relaxed);
}

/// Records the calibrated TSC frequency.
pub fn set_tsc_hz(hz: u64) {
    TSC_HZ.store(hz, Ordering::Relaxed);
    let fixed = if hz == 0 {
        0
    } else {
        ((1_000_000_000u128 << 32) / u128::from(hz)) as u64
    };
    NS_PER_CYCLE_FIXED.store(fixed, Ordering::Relaxed);
}

/// The calibrated TSC frequency (0 before calibration).
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}

/// The TSC value at boot.
pub fn boot_tsc() -> u64 {
    BOOT_TSC.load(Ordering::Relaxed)
}

/// Converts TSC cycles to nanoseconds (0 before calibration).
pub fn cycles_to_ns(cycles: u64) -> u64 {
    let fixed = NS_PER_CYCLE_FIXED.load(Ordering::Relaxed);
    ((u128::from(cycles) * u128::from(fixed)) >> 32) as u64
}

/// Nanoseconds since boot.
pub fn now_ns() -> u64 {
    cycles_to_ns(read_tsc().saturating_sub(boot_tsc()))
}

/// Microseconds since boot.
pub fn now_us() -> u64 {
    now_ns() / 1000
}
