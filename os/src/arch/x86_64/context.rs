//! Switching between kernel stacks, and the first entry of a new process.
//!
//! Every process that is not running sits in [`switch_context`] on its own
//! kernel stack, with its callee-saved registers pushed there and its stack
//! pointer saved in its context slot. Switching saves the current stack
//! pointer and loads another. A new process's stack is prepared so that its
//! first switch "returns" into `trap_return` with a [`TrapFrame`] that
//! enters user mode.

use super::trap::TrapFrame;
use core::cell::UnsafeCell;

/// Where a process's kernel stack pointer is kept while it is switched out.
pub struct ContextSlot(UnsafeCell<u64>);

// SAFETY: one CPU; slots are only touched by `switch_context` and
// `prepare_stack`, both called with interrupts disabled.
unsafe impl Sync for ContextSlot {}

impl ContextSlot {
    /// An empty slot.
    pub const fn new() -> Self {
        Self(UnsafeCell::new(0))
    }
}

impl Default for ContextSlot {
    fn default() -> Self {
        Self::new()
    }
}

unsafe extern "C" {
    fn trap_return();
}

/// Saves the callee-saved registers and stack pointer into `save`, loads the
/// stack pointer from `load` and pops that context's registers, returning
/// into whatever that context was doing.
#[unsafe(naked)]
unsafe extern "C" fn switch_stacks(save: *mut u64, load: *const u64) {
    core::arch::naked_asm!(
        "push rbp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "mov [rdi], rsp",
        "mov rsp, [rsi]",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}

/// Switches from the context in `from` to the one in `to`. Returns when
/// something switches back to `from`.
pub fn switch_context(from: &ContextSlot, to: &ContextSlot) {
    debug_assert!(!super::cpu::interrupts_enabled());
    // SAFETY: both slots are valid for reads and writes; `to` holds a stack
    // pointer saved by an earlier switch or built by `prepare_stack`, on a
    // kernel stack that is still mapped (a process's stack lives until it is
    // reaped, and a reaped process is never switched to).
    unsafe { switch_stacks(from.0.get(), to.0.get()) }
}

/// Builds the initial kernel stack of a process whose stack ends at
/// `stack_top`, so that switching to `slot` enters user mode with `frame`.
pub fn prepare_stack(slot: &ContextSlot, stack_top: u64, frame: &TrapFrame) {
    let frame_size = core::mem::size_of::<TrapFrame>() as u64;
    let frame_address = stack_top - frame_size;
    // Below the frame: the return address into `trap_return`, then the six
    // callee-saved registers `switch_stacks` pops (zero).
    let return_address = frame_address - 8;
    let saved_rsp = return_address - 6 * 8;
    // SAFETY: [saved_rsp, stack_top) lies in the process's freshly mapped
    // kernel stack, which nothing else uses yet; the writes are aligned.
    unsafe {
        core::ptr::write(frame_address as *mut TrapFrame, *frame);
        core::ptr::write(return_address as *mut u64, trap_return as *const () as u64);
        for register in 0..6 {
            core::ptr::write((saved_rsp + register * 8) as *mut u64, 0);
        }
        *slot.0.get() = saved_rsp;
    }
}
