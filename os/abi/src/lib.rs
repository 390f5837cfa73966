//! The system-call interface shared by the kernel and user programs.
//!
//! # Calling convention
//! `syscall` with the number in `rax` and up to six arguments in `rdi`,
//! `rsi`, `rdx`, `r10`, `r8`, `r9`. The result comes back in `rax`: a
//! non-negative value on success, `-errno` on failure. `rcx` and `r11` are
//! clobbered by the instruction; every other register is preserved.
//!
//! Every pointer argument is checked against the caller's memory regions; a
//! bad one fails the call with [`Errno::EFAULT`] and never harms the kernel.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod errno;
pub mod ipc;
pub mod signal;
pub mod syscall;

pub use errno::Errno;
pub use signal::Signal;
pub use syscall::Syscall;

/// A process identifier. Pids are never reused within a boot.
pub type Pid = u32;

/// What `wait` reports about a child that ended.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaitResult {
    /// The child.
    pub pid: u64,
    /// Its exit status if it exited, 0 if a signal killed it.
    pub exit_status: i64,
    /// The signal that killed it, 0 if it exited.
    pub signal: u64,
}

/// A process's own VM counters (`vmstats`), as MINIX's `vm_usage_info`
/// reports them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmStats {
    /// Pages attached to the process's regions now.
    pub vm_total: u64,
    /// The most ever attached at once.
    pub vm_total_max: u64,
    /// Faults handled without block-device I/O.
    pub minor_faults: u64,
    /// Faults that needed block-device I/O.
    pub major_faults: u64,
}

/// System-wide memory (`meminfo`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemInfo {
    /// Physical frames free.
    pub free_frames: u64,
    /// Physical frames managed.
    pub total_frames: u64,
    /// Swap slots (pages) in use.
    pub swap_used: u64,
    /// Swap slots in all.
    pub swap_total: u64,
    /// File pages in the page cache.
    pub cached_pages: u64,
}

/// Where `map_shared` places shared regions (and above).
pub const SHARED_REGION_BASE: u64 = 0x1000_0000_0000;

/// `wait` option: return 0 at once instead of blocking if no child has
/// ended yet.
pub const WAIT_NO_HANG: u64 = 1;

/// Where user programs are linked (the start of their text).
pub const USER_IMAGE_BASE: u64 = 0x40_0000;
/// One past the highest user stack address.
pub const USER_STACK_TOP: u64 = 0x0000_7fff_ffff_f000;
/// Size of the user stack region.
pub const USER_STACK_SIZE: u64 = 256 * 1024;
/// Unmapped gap kept below the user stack: no other region (heap, shared)
/// may reach into it, so a stack overflow faults (SIGSEGV) instead of
/// running into other memory. As Linux's default `stack_guard_gap`.
pub const USER_STACK_GUARD: u64 = 1024 * 1024;
/// Size of a page.
pub const PAGE_SIZE: u64 = 4096;
