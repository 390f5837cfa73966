//! Switching between kernel stacks, and the first entry of a new process.
//!
//! Every process that is not running sits in [`switch_context`] on its own
//! kernel stack, with its callee-saved registers pushed there and its stack
//! pointer saved in its context slot. Switching saves the current stack
//! pointer and loads another. A new process's stack is prepared so that its
//! first switch "returns" into `trap_return` with a [`TrapFrame`] that
//! enters user mode.
//!
//! A slot also holds the process's x87/SSE state while it is switched out
//! (see `fpu`): the switch saves the outgoing one and loads the incoming
//! one, so the registers always hold the running process's state.

use super::fpu;
use super::frame::TrapFrame;
use crate::kstack::KernelStack;
use core::cell::UnsafeCell;
use kernel_abi::signal::{FpuState, FxsaveArea};

/// Where a process's kernel stack pointer and x87/SSE state are kept while
/// it is switched out.
pub struct ContextSlot {
    stack_pointer: UnsafeCell<u64>,
    fpu: UnsafeCell<FxsaveArea>,
}

// SAFETY: one CPU; slots are only touched by `switch_context` and
// `prepare_stack`, both called with interrupts disabled, and never for a
// slot whose context is running (the running one saves into its own slot
// only as it leaves it).
unsafe impl Sync for ContextSlot {}

impl ContextSlot {
    /// An empty slot. Its FPU area is all zero (so the table of slots
    /// lives in `.bss`, not in the kernel image): `prepare_stack` writes a
    /// real state before a process first runs from the slot, and the idle
    /// loop's slot 0 only ever holds what the idle loop leaves there (the
    /// kernel does no x87/SSE work).
    pub const fn new() -> Self {
        Self {
            stack_pointer: UnsafeCell::new(0),
            fpu: UnsafeCell::new(FxsaveArea(FpuState { bytes: [0; 512] })),
        }
    }
}

/// The x87/SSE state a new context starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FpuStart {
    /// The clean state of a new program (`FpuState::INITIAL`).
    Initial,
    /// A copy of the running process's registers (fork).
    CopyOfCurrent,
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

/// Switches from the context in `from` to the one in `to`, x87/SSE state
/// included. Returns when something switches back to `from`.
pub fn switch_context(from: &ContextSlot, to: &ContextSlot) {
    debug_assert!(!super::cpu::interrupts_enabled());
    // SAFETY: interrupts are off and `from` is the running context, `to`
    // a switched-out one, so nothing else reads or writes either area now
    // (see `ContextSlot`'s `Sync`); they are distinct slots.
    unsafe {
        fpu::save(&mut *from.fpu.get());
        fpu::load(&mut *to.fpu.get());
    }
    // SAFETY: both slots are valid for reads and writes; `to` holds a stack
    // pointer saved by an earlier switch or built by `prepare_stack`, on a
    // kernel stack that is still mapped (a process's stack lives until it is
    // reaped, and a reaped process is never switched to).
    unsafe { switch_stacks(from.stack_pointer.get(), to.stack_pointer.get()) }
}

/// Builds the initial kernel stack of a process on `stack`, so that
/// switching to its slot (`contexts[stack.slot()]`) enters user mode with
/// `frame` and the x87/SSE state `fpu_start` says. `false` (nothing
/// written) if `stack` was prepared before or its slot is not in
/// `contexts`.
///
/// Sound without a contract: a stack is prepared once, while it is fresh,
/// so this never writes over a stack a context is using; and its context
/// slot is the stack's own, which no live context uses (a slot's stack can
/// be mapped again only after the process that had it was reaped, and
/// slot 0, the idle loop's, has no `KernelStack`).
pub fn prepare_stack(
    contexts: &[ContextSlot],
    stack: &mut KernelStack,
    frame: &TrapFrame,
    fpu_start: FpuStart,
) -> bool {
    let Some(slot) = contexts.get(stack.slot()) else {
        return false;
    };
    let Some(stack_top) = stack.take_fresh_top() else {
        return false;
    };
    // SAFETY: one CPU with interrupts off: no switch runs while this does;
    // no live context uses this slot (above), so nothing reads its area
    // until a switch to the context built here.
    let area = unsafe { &mut *slot.fpu.get() };
    match fpu_start {
        FpuStart::Initial => area.0 = FpuState::INITIAL,
        FpuStart::CopyOfCurrent => fpu::save(area),
    }
    let frame_size = core::mem::size_of::<TrapFrame>() as u64;
    let frame_address = stack_top - frame_size;
    // Below the frame: the return address into `trap_return`, then the six
    // callee-saved registers `switch_stacks` pops (zero).
    let return_address = frame_address - 8;
    let saved_rsp = return_address - 6 * 8;
    // SAFETY: `stack` is a mapped kernel stack (a `KernelStack` exists only
    // while its pages are mapped) that has never been handed out before
    // (`take_fresh_top`), so nothing runs on it; [saved_rsp, stack_top) lies
    // in it and the writes are aligned. The slot's stack pointer is only
    // read by a later switch to this context (see above).
    unsafe {
        core::ptr::write(frame_address as *mut TrapFrame, *frame);
        core::ptr::write(return_address as *mut u64, trap_return as *const () as u64);
        for register in 0..6 {
            core::ptr::write((saved_rsp + register * 8) as *mut u64, 0);
        }
        *slot.stack_pointer.get() = saved_rsp;
    }
    true
}
