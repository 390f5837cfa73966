//! The kernel heap: a fixed region of the kernel image managed by talc.

use talc::TalcLock;
use talc::source::Claim;

/// Size of the kernel heap.
const HEAP_BYTES: usize = 8 * 1024 * 1024;

static mut HEAP: [u8; HEAP_BYTES] = [0; HEAP_BYTES];

#[global_allocator]
// SAFETY: `HEAP` is used by nothing but this allocator, which takes it over
// the first time it needs memory.
static ALLOCATOR: TalcLock<spin::Mutex<()>, Claim> =
    TalcLock::new(unsafe { Claim::array(&raw mut HEAP) });
