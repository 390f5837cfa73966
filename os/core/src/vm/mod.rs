//! The VM layer's bookkeeping: each process's regions, which of their pages
//! are resident, and its fault and size counters (MINIX's `struct vmproc`).
//!
//! This module decides; the kernel acts. On a page fault the kernel asks
//! [`VmSpace::plan_fault`] what the fault means ([`FaultPlan`]), carries the
//! plan out on the page tables and frames, then records the result
//! ([`VmSpace::attach`], [`VmSpace::count_fault`], ...). Keeping the rules
//! here makes them testable on the host, exactly as ARCHITECTURE.md ("From a
//! page fault to a counter") states them:
//!
//! - a fault that needs I/O from a block device counts one major fault;
//!   every other handled fault (first touch of anonymous memory,
//!   copy-on-write, a page already in memory) counts one minor fault;
//! - a fault outside every region, or a write to a read-only region, is a
//!   segmentation fault and counts nothing;
//! - `vm_total` moves by one page per attach or detach and `vm_total_max`
//!   is its high-water mark; a forked child starts with counters of its own.

pub mod oom;
pub mod pressure;
mod region;
mod space;

pub use region::{Backing, Page, Perms, Region, RegionKind};
pub use space::{
    Access, FaultPlan, HEAP_BYTES_PER_PAGE, HEAP_BYTES_PER_REGION, MAX_REGIONS, SegvReason,
    VmError, VmFlags, VmSpace, VmStats,
};

/// Size of a page.
pub const PAGE_SIZE: u64 = 4096;

/// Rounds `address` down to its page.
pub const fn page_floor(address: u64) -> u64 {
    address & !(PAGE_SIZE - 1)
}

/// Rounds `address` up to a page boundary (saturating).
pub const fn page_ceil(address: u64) -> u64 {
    match address.checked_add(PAGE_SIZE - 1) {
        Some(end) => end & !(PAGE_SIZE - 1),
        None => !(PAGE_SIZE - 1),
    }
}
