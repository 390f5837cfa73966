//! The kernel heap, managed by talc: a small region in the kernel image for
//! early boot, grown once the frame allocator is up by a run of physical
//! frames sized to the machine.
//!
//! The heap is fixed after boot, and Rust's collections abort (a kernel
//! panic) when an allocation fails, so the kernel never lets a program
//! drive the heap to its end: the heap counts the bytes it holds and the
//! bytes handed out, and every path a program can make allocate (a new
//! region, a fork's copy of the region map, a page fault's page record)
//! first checks [`available`] against what it needs plus a reserve, and
//! fails with an errno (or the out-of-memory rule) instead.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};
use talc::TalcLock;
use talc::source::Claim;

/// The heap in the kernel image: enough for boot (the frame allocator's
/// bitmaps, the boot information).
const BOOT_HEAP_BYTES: usize = 1024 * 1024;

static mut BOOT_HEAP: [u8; BOOT_HEAP_BYTES] = [0; BOOT_HEAP_BYTES];

// SAFETY: `BOOT_HEAP` is used by nothing but this allocator, which takes it
// over the first time it needs memory.
static TALC: TalcLock<spin::Mutex<()>, Claim> =
    TalcLock::new(unsafe { Claim::array(&raw mut BOOT_HEAP) });

/// Bytes the heap holds in all (the boot region and what [`grow_from`] added).
static CAPACITY: AtomicUsize = AtomicUsize::new(BOOT_HEAP_BYTES);
/// Bytes handed out now (by layout size).
static IN_USE: AtomicUsize = AtomicUsize::new(0);

/// talc, counting what it hands out.
struct Counted;

// SAFETY: every call is passed through to talc unchanged; the counters are
// only statistics.
unsafe impl GlobalAlloc for Counted {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller keeps `GlobalAlloc::alloc`'s contract.
        let pointer = unsafe { TALC.alloc(layout) };
        if !pointer.is_null() {
            IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller keeps `GlobalAlloc::dealloc`'s contract.
        unsafe { TALC.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller keeps `GlobalAlloc::realloc`'s contract.
        let moved = unsafe { TALC.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
            IN_USE.fetch_add(new_size, Ordering::Relaxed);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counted = Counted;

/// Grows the heap by `count` contiguous frames it takes from `frames`
/// itself and never gives back; `false` (nothing taken) if there is no
/// such run or talc cannot use it.
pub fn grow_from(frames: &mut kernel_core::frames::FrameAllocator, count: usize) -> bool {
    let Some(len) = count.checked_mul(4096) else {
        return false;
    };
    let Some(base) = frames.allocate_contiguous(count) else {
        return false;
    };
    let pointer = crate::arch::paging::phys_to_virt(base).as_mut_ptr::<u8>();
    // SAFETY: [pointer, pointer + len) is the direct-map view of frames the
    // allocator just handed out, which are RAM, mapped writable, and which
    // nothing else will ever refer to: no `Frame` handle or raw address of
    // them exists outside this function, and they are never freed.
    let claimed = unsafe { TALC.lock().claim(pointer, len) }.is_some();
    if claimed {
        CAPACITY.fetch_add(len, Ordering::Relaxed);
    } else {
        for page in 0..count as u64 {
            let _ = frames.free(base + page * 4096);
        }
    }
    claimed
}

/// Bytes of heap not handed out (an upper bound of what one allocation can
/// get: talc's own bookkeeping and fragmentation take some of it, which
/// the callers' reserves cover).
pub fn available() -> usize {
    CAPACITY
        .load(Ordering::Relaxed)
        .saturating_sub(IN_USE.load(Ordering::Relaxed))
}
