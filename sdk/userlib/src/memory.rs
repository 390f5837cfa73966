//! Memory: the heap region (`brk`, `sbrk`; the global allocator grows it,
//! so `alloc::vec::Vec` and friends just work), shared regions, and the
//! VM counters the dashboard shows.
//!
//! Every page of a new heap is mapped on first touch: each is one minor
//! page fault (a major one when it comes back from swap).
//!
//! ```no_run
//! extern crate alloc;
//! let before = userlib::memory::vmstats();
//! let mut buffer = alloc::vec![0u8; 1 << 20];
//! for page in buffer.chunks_mut(4096) {
//!     page[0] = 1; // a page fault per page
//! }
//! let after = userlib::memory::vmstats();
//! userlib::println!("{} faults", after.minor_faults - before.minor_faults);
//! ```

use crate::SysResult;
use crate::raw::{check, syscall_plain};
use kernel_abi::Syscall;

/// The current end of the heap region.
pub fn heap_end() -> u64 {
    syscall_plain(Syscall::Brk, [0; 6]) as u64
}

/// Moves the end of the heap region to `new_end`; returns the new end.
pub fn brk(new_end: u64) -> SysResult<u64> {
    let end = check(syscall_plain(Syscall::Brk, [new_end, 0, 0, 0, 0, 0]))?;
    if end == new_end {
        Ok(end)
    } else {
        Err(kernel_abi::Errno::ENOMEM)
    }
}

/// Grows the heap by `bytes`; returns the start of the new memory.
pub fn sbrk(bytes: u64) -> SysResult<u64> {
    let old_end = heap_end();
    brk(old_end
        .checked_add(bytes)
        .ok_or(kernel_abi::Errno::ENOMEM)?)?;
    Ok(old_end)
}

/// Writes `value` to the byte at `address` (e.g. memory from [`sbrk`]), to
/// touch a page. Returns whether the address was in the heap.
pub fn touch(address: u64, value: u8) -> bool {
    if address == 0 || address >= heap_end() {
        return false;
    }
    // SAFETY: the address lies below the heap end, inside the heap region
    // this process owns; nothing else references that byte.
    unsafe { core::ptr::write_volatile(address as *mut u8, value) };
    true
}

/// Reads the byte at `address` in the heap (see [`touch`]).
pub fn peek(address: u64) -> Option<u8> {
    if address == 0 || address >= heap_end() {
        return None;
    }
    // SAFETY: as in `touch`.
    Some(unsafe { core::ptr::read_volatile(address as *const u8) })
}

/// A new region of `len` bytes (rounded up to whole pages) shared with
/// every process forked from this one after the call (`map_shared`, 17);
/// returns its address. Zero-filled on first touch.
///
/// # Errors
/// EINVAL for a length of 0 or above the kernel's limit; ENOMEM when no
/// address range or memory is left. MINIX: `mmap(MAP_SHARED|MAP_ANON)`.
///
/// ```no_run
/// let address = userlib::memory::map_shared(4096).expect("a shared page");
/// let counter = address as *mut u64;
/// if userlib::process::fork() == Ok(0) {
///     // SAFETY: the kernel just mapped this page read-write for us (and,
///     // through fork, for the parent); nothing else aliases it here.
///     unsafe { counter.write_volatile(42) }; // the parent sees 42
///     userlib::process::exit(0);
/// }
/// ```
pub fn map_shared(len: u64) -> SysResult<u64> {
    check(syscall_plain(Syscall::MapShared, [len, 0, 0, 0, 0, 0]))
}

/// System memory now: free and total frames, swap slots, cached pages.
pub fn meminfo() -> kernel_abi::MemInfo {
    let mut info = kernel_abi::MemInfo::default();
    // SAFETY: the pointer is to a live, writable MemInfo of the size the
    // call writes.
    unsafe {
        crate::raw::syscall(
            Syscall::MemInfo,
            [&mut info as *mut kernel_abi::MemInfo as u64, 0, 0, 0, 0, 0],
        )
    };
    info
}

/// This process's VM counters: pages attached now (and at most), minor and
/// major faults so far.
pub fn vmstats() -> kernel_abi::VmStats {
    let mut stats = kernel_abi::VmStats::default();
    // SAFETY: the pointer is to a live, writable VmStats of the size the
    // call writes.
    unsafe {
        crate::raw::syscall(
            Syscall::VmStats,
            [&mut stats as *mut kernel_abi::VmStats as u64, 0, 0, 0, 0, 0],
        )
    };
    stats
}
