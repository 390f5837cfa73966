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

/// The mapped kernel stack of one process slot.
#[derive(Debug)]
pub struct KernelStack {
    slot: usize,
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
    let free = || memory::with_frames(|frames| frames.free_frames() as u64);
    let before = free();
    let first = stack_bottom(1) & !(TABLE_SPAN - 1);
    let last = stack_bottom(slots) + (STACK_PAGES - 1) * PAGE_SIZE;
    let mut address = first;
    while address <= last {
        memory::with_frames(|frames| {
            if let Some(frame) = frames.allocate() {
                if paging::map_kernel_page(address, frame, &mut || frames.allocate()).is_ok() {
                    paging::unmap_kernel_page(address);
                }
                let _ = frames.free(frame);
            }
        });
        address += TABLE_SPAN;
    }
    before - free()
}

impl KernelStack {
    /// Maps the stack of `slot`. `None` if memory ran out (nothing stays
    /// allocated then).
    pub fn allocate(slot: usize) -> Option<Self> {
        let bottom = stack_bottom(slot);
        for page in 0..STACK_PAGES {
            let mapped = memory::with_frames(|frames| {
                let frame = frames.allocate()?;
                paging::map_kernel_page(bottom + page * PAGE_SIZE, frame, &mut || frames.allocate())
                    .map_err(|_| frames.free(frame))
                    .ok()
            });
            if mapped.is_none() {
                Self::unmap(slot, page);
                return None;
            }
        }
        Some(Self { slot })
    }

    fn unmap(slot: usize, pages: u64) {
        let bottom = stack_bottom(slot);
        for page in 0..pages {
            if let Some(frame) = paging::unmap_kernel_page(bottom + page * PAGE_SIZE) {
                memory::with_frames(|frames| frames.free(frame))
                    .expect("kernel stack frame was allocated");
            }
        }
    }

    /// The address just above the stack (the initial stack pointer).
    pub fn top(&self) -> u64 {
        stack_bottom(self.slot) + STACK_PAGES * PAGE_SIZE
    }

    /// Unmaps the stack and frees its frames. The process must never run
    /// again.
    pub fn release(self) {
        Self::unmap(self.slot, STACK_PAGES);
    }
}
