//! Memory calls: `brk`, `vmstats`, `meminfo`, `map_shared`.

use super::Args;
use crate::memory::Claim;
use crate::{cache, memory, process, shared, swap, vm};
use kernel_abi::{Errno, MemInfo, SHARED_REGION_BASE, VmStats};
use kernel_core::vm::{Backing, HEAP_BYTES_PER_REGION, Perms, Region, RegionKind, page_ceil};

/// `brk(new_end)`: moves the end of the heap (0 asks for the current end);
/// returns the end, unchanged if the move was refused (as Linux does).
pub fn brk(args: Args) -> Result<u64, Errno> {
    let [new_end, ..] = args;
    Ok(process::with_current(|process| {
        if new_end == 0 {
            return process.vm.brk();
        }
        vm::set_brk(process, new_end).unwrap_or(process.vm.brk())
    }))
}

/// `vmstats(result)`: the caller's own VM counters.
///
/// # Return values
/// `EFAULT` for a bad pointer.
pub fn vmstats(args: Args) -> Result<u64, Errno> {
    let [address, ..] = args;
    process::with_current(|process| {
        vm::settle_ahead(process);
        let stats = process.vm.stats;
        let value = VmStats {
            vm_total: stats.vm_total,
            vm_total_max: stats.vm_total_max,
            minor_faults: stats.minor_faults,
            major_faults: stats.major_faults,
        };
        vm::write_user(process, address, &value)
    })?;
    Ok(0)
}

/// `meminfo(result)`: free frames, swap use and cached pages.
///
/// # Return values
/// `EFAULT` for a bad pointer.
pub fn meminfo(args: Args) -> Result<u64, Errno> {
    let [address, ..] = args;
    let (free_frames, total_frames) =
        (memory::free_frames() as u64, memory::usable_frames() as u64);
    let (swap_used, swap_total) = swap::usage();
    let info = MemInfo {
        free_frames,
        total_frames,
        swap_used,
        swap_total,
        cached_pages: cache::cached_pages() as u64,
    };
    process::with_current(|process| vm::write_user(process, address, &info))?;
    Ok(0)
}

/// Largest shared region.
const MAX_SHARED_BYTES: u64 = 64 * 1024 * 1024;

/// `map_shared(len)`: a new region of `len` bytes (rounded up to pages)
/// shared with every child forked afterwards; returns its address.
///
/// # Return values
/// `EINVAL` for a zero or too large length, `ENOMEM` without address
/// space, past `MAX_REGIONS` regions in the caller, or when the kernel heap
/// has no room for the region beyond its reserve.
pub fn map_shared(args: Args) -> Result<u64, Errno> {
    let [len, ..] = args;
    if len == 0 || len > MAX_SHARED_BYTES {
        return Err(Errno::EINVAL);
    }
    let len = page_ceil(len);
    process::with_current(|process| {
        // The region, its shared object, and their map entries.
        if !memory::heap_allows(Claim::of(process.privileged), 2 * HEAP_BYTES_PER_REGION) {
            return Err(Errno::ENOMEM);
        }
        let limit = vm::STACK_GUARD_START;
        let start = process
            .vm
            .find_gap(SHARED_REGION_BASE, len, limit)
            .ok_or(Errno::ENOMEM)?;
        let object = shared::create();
        let region = Region::new(
            start,
            start + len,
            Perms::RW,
            RegionKind::Shared,
            Backing::Shared { object },
        );
        if process.vm.add_region(region).is_err() {
            shared::remove_user(object);
            return Err(Errno::ENOMEM);
        }
        Ok(start)
    })
}
