//! The kernel heap, managed by talc: a small region in the kernel image for
//! early boot, grown once the frame allocator is up by a run of physical
//! frames sized to the machine.

use talc::TalcLock;
use talc::source::Claim;

/// The heap in the kernel image: enough for boot (the frame allocator's
/// bitmaps, the boot information).
const BOOT_HEAP_BYTES: usize = 1024 * 1024;

static mut BOOT_HEAP: [u8; BOOT_HEAP_BYTES] = [0; BOOT_HEAP_BYTES];

#[global_allocator]
// SAFETY: `BOOT_HEAP` is used by nothing but this allocator, which takes it
// over the first time it needs memory.
static ALLOCATOR: TalcLock<spin::Mutex<()>, Claim> =
    TalcLock::new(unsafe { Claim::array(&raw mut BOOT_HEAP) });

/// Adds `len` bytes at `base` to the heap.
///
/// The caller hands over memory it owns for good: physical frames taken
/// from the frame allocator and never returned, reached through the direct
/// map.
pub fn grow(base: *mut u8, len: usize) -> bool {
    // SAFETY: per the contract above, [base, base + len) is valid, mapped,
    // writable memory that nothing else will ever use.
    unsafe { ALLOCATOR.lock().claim(base, len) }.is_some()
}
