//! Kernel stacks of processes, each below an unmapped guard page.
//!
//! Slot `n` (1..=MAX_PROCESSES) owns a fixed window of the kernel-stack
//! area; its stack pages are mapped when a process takes the slot and
//! unmapped (frames freed) when the process is reaped. Running off the
//! bottom of a stack hits the guard page and ends in a double fault, which
//! reports a kernel fault instead of silently corrupting a neighbour.

use crate::arch::paging::{self, KERNEL_STACKS_BASE};
use crate::memory;

/// Pages per kernel stack (16 KiB).
const STACK_PAGES: u64 = 4;
const PAGE_SIZE: u64 = 4096;
/// Address space per slot: the guard page plus the stack.
const SLOT_SPAN: u64 = (STACK_PAGES + 1) * PAGE_SIZE;

/// The mapped kernel stack of one process slot: exists only while its
/// pages are mapped (not `Clone`; [`KernelStack::release`] consumes it),
/// and only one at a time per slot (mapping a slot's pages again fails).
#[derive(Debug)]
pub struct KernelStack {
    slot: usize,
    /// Whether `context::prepare_stack` has built a context on it yet.
    prepared: bool,
}

fn stack_bottom(slot: usize) -> u64 {
    KERNEL_STACKS_BASE + slot as u64 * SLOT_SPAN + PAGE_SIZE
}

/// Builds, at boot, the page tables that map every slot's window up to
/// `slots`, by mapping and unmapping one page in each 2 MiB stretch of the
/// area (a page table maps 2 MiB, and tables stay when their pages are
/// unmapped). Afterwards a slot used for the first time costs only its
/// stack frames, the same as every later time, so memory after a quiet
/// point returns exactly to what it was (the leak checks of `chaos`, `soak`
/// and `sysfuzz` compare frame for frame). Returns the frames the tables
/// took.
pub fn build_page_tables(slots: usize) -> u64 {
    const TABLE_SPAN: u64 = 2 * 1024 * 1024;
    let before = memory::free_frames() as u64;
    let first = stack_bottom(1) & !(TABLE_SPAN - 1);
    let last = stack_bottom(slots) + (STACK_PAGES - 1) * PAGE_SIZE;
    let mut address = first;
    while address <= last {
        // Pages between windows may be guard pages of no slot; mapping one
        // briefly is harmless.
        if map_fresh_page(address) {
            unmap_and_free(address);
        }
        address += TABLE_SPAN;
    }
    before.saturating_sub(memory::free_frames() as u64)
}

/// Maps a fresh frame at `address` in the kernel-stack area; `false`
/// (nothing allocated) if frames ran out or something is mapped there.
#[allow(unsafe_code)]
fn map_fresh_page(address: u64) -> bool {
    let Some(frame) = memory::allocate_raw() else {
        return false;
    };
    debug_assert!(address >= KERNEL_STACKS_BASE);
    // SAFETY: `address` is a page of the kernel-stack area and `frame` was
    // just allocated, so nothing else uses it; `map` refuses an address
    // that is already mapped.
    let mapped = unsafe {
        paging::map_kernel_page(address, frame, &mut || {
            memory::allocate_table(memory::Claim::Service)
        })
    };
    if mapped.is_err() {
        // SAFETY: `frame` was never mapped; nothing refers to it.
        unsafe { memory::free_raw(frame) };
    }
    mapped.is_ok()
}

/// Unmaps a page mapped by [`map_fresh_page`] and frees its frame.
#[allow(unsafe_code)]
fn unmap_and_free(address: u64) {
    if let Some(frame) = paging::unmap_kernel_page(address) {
        // SAFETY: the frame came from `map_fresh_page` and is no longer
        // mapped.
        unsafe { memory::free_raw(frame) };
    }
}

impl KernelStack {
    /// Maps the stack of `slot`. `None` if memory ran out (nothing stays
    /// allocated then).
    pub fn allocate(slot: usize) -> Option<Self> {
        // Slot 0 is the idle loop's, which runs on the boot stack.
        if slot == 0 {
            return None;
        }
        let bottom = stack_bottom(slot);
        for page in 0..STACK_PAGES {
            let mapped = map_fresh_page(bottom + page * PAGE_SIZE);
            if !mapped {
                Self::unmap(slot, page);
                return None;
            }
        }
        Some(Self {
            slot,
            prepared: false,
        })
    }

    fn unmap(slot: usize, pages: u64) {
        let bottom = stack_bottom(slot);
        for page in 0..pages {
            unmap_and_free(bottom + page * PAGE_SIZE);
        }
    }

    /// The process slot whose stack this is.
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// The address just above the stack (where the CPU's entries from
    /// user mode start).
    pub fn top(&self) -> u64 {
        stack_bottom(self.slot) + STACK_PAGES * PAGE_SIZE
    }

    /// The address just above the stack (the initial stack pointer), the
    /// first time it is asked for; `None` afterwards, so that a context is
    /// built on a stack only while nothing runs on it.
    pub fn take_fresh_top(&mut self) -> Option<u64> {
        if self.prepared {
            return None;
        }
        self.prepared = true;
        Some(self.top())
    }

    /// Unmaps the stack and frees its frames. The process must never run
    /// again.
    pub fn release(self) {
        Self::unmap(self.slot, STACK_PAGES);
    }
}
