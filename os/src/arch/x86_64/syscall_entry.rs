//! The `syscall` instruction's entry point.
//!
//! `syscall` leaves the user stack in place, so the entry stub switches to
//! the current process's kernel stack (kept in [`KERNEL_STACK_TOP`]), then
//! builds the same [`TrapFrame`] an interrupt from user mode would, so that
//! system calls, interrupts and exceptions share one frame layout. Interrupts
//! stay disabled from entry (`IA32_FMASK` clears IF) until the return to
//! user mode.
//!
//! The way back is `sysretq` when that is exact and safe, else the common
//! exit path (`trap_return`, `iretq`). `sysretq` loads RIP from RCX and
//! RFLAGS from R11, so it is taken only when the frame's RCX equals its RIP
//! and R11 its RFLAGS (always so after an ordinary system call: `syscall`
//! put them there and nothing changed the frame; not so after signal
//! delivery, `sigreturn` or the first entry of a process, which take
//! `iretq`), as Linux does (`entry_SYSCALL_64`), and only when RIP is a
//! canonical user address: on Intel CPUs `sysretq` to a non-canonical RIP
//! raises #GP in ring 0 with the user's stack pointer already loaded. TF
//! and RF set also take `iretq`, and so does any frame whose selectors are
//! not the user ones.

use super::frame::TrapFrame;
use super::gdt;
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::VirtAddr;
use x86_64::registers::model_specific::{Efer, EferFlags, LStar, SFMask, Star};
use x86_64::registers::rflags::RFlags;

/// The vector number recorded in the frame of a system call.
pub const SYSCALL_VECTOR: u64 = 0x100;

/// Top of the running process's kernel stack (read by the entry stub).
#[unsafe(no_mangle)]
static KERNEL_STACK_TOP: AtomicU64 = AtomicU64::new(0);
/// Scratch slot for the user stack pointer during entry.
#[unsafe(no_mangle)]
static USER_STACK_SCRATCH: AtomicU64 = AtomicU64::new(0);

/// Sets the kernel stack the next system call runs on.
pub fn set_kernel_stack(top: u64) {
    KERNEL_STACK_TOP.store(top, Ordering::Relaxed);
}

/// The address of the system-call entry (what LSTAR holds). A page fault
/// from user mode at this address means the hypervisor jumped to LSTAR
/// without entering ring 0: `syscall` is not emulated (`kvm_pvm`).
pub fn entry_address() -> u64 {
    syscall_entry as *const () as u64
}

#[unsafe(naked)]
unsafe extern "C" fn syscall_entry() {
    core::arch::naked_asm!(
        "mov [rip + USER_STACK_SCRATCH], rsp",
        "mov rsp, [rip + KERNEL_STACK_TOP]",
        "push {user_ss}",
        "push qword ptr [rip + USER_STACK_SCRATCH]",
        "push r11",              // user rflags
        "push {user_cs}",
        "push rcx",              // user rip
        "push 0",                // error code
        "push {vector}",
        "push rax",
        "push rbx",
        "push rcx",
        "push rdx",
        "push rsi",
        "push rdi",
        "push rbp",
        "push r8",
        "push r9",
        "push r10",
        "push r11",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "mov rdi, rsp",
        "cld",
        "call {dispatch}",
        "test al, al",
        "jz trap_return",
        // sysretq: the frame was checked by `sysret_allowed`. RCX and R11
        // pop as the user RIP and RFLAGS. Interrupts stay off until
        // `sysretq` loads RFLAGS (IF set), so nothing runs on the user stack
        // loaded just before it (the kernel uses no NMIs).
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop r11",
        "pop r10",
        "pop r9",
        "pop r8",
        "pop rbp",
        "pop rdi",
        "pop rsi",
        "pop rdx",
        "pop rcx",
        "pop rbx",
        "pop rax",
        // Skip vector, error code, RIP, CS, RFLAGS: load the user RSP.
        "mov rsp, [rsp + 40]",
        "sysretq",
        user_ss = const 0x1b,
        user_cs = const 0x23,
        vector = const SYSCALL_VECTOR,
        dispatch = sym syscall_dispatch,
    )
}

/// Handles the system call; returns whether the stub may leave with
/// `sysretq` (module documentation).
extern "C" fn syscall_dispatch(frame: *mut TrapFrame) -> bool {
    // SAFETY: the entry stub passes the frame it just built on the kernel
    // stack; it is valid and exclusively ours until we return.
    let frame = unsafe { &mut *frame };
    crate::syscall::handle(frame);
    sysret_allowed(frame)
}

/// RFLAGS.TF and RFLAGS.RF: `iretq` handles them exactly.
const RFLAGS_TF_RF: u64 = (1 << 8) | (1 << 16);
/// First address past the lower (user) canonical half.
const USER_CANONICAL_END: u64 = 0x0000_8000_0000_0000;

/// Whether `sysretq` returns to exactly the state in `frame`: RCX and R11
/// hold RIP and RFLAGS (what `sysretq` loads), RIP is a canonical user
/// address, TF and RF are clear, and the selectors are the user ones
/// `sysretq` loads from STAR.
pub fn sysret_allowed(frame: &TrapFrame) -> bool {
    frame.rcx == frame.rip
        && frame.r11 == frame.rflags
        && frame.rip < USER_CANONICAL_END
        && frame.rflags & RFLAGS_TF_RF == 0
        && frame.cs == 0x23
        && frame.ss == 0x1b
}

/// Enables `syscall`/`sysret` and points `syscall` at the entry stub.
#[allow(
    clippy::expect_used,
    reason = "boot-time; the GDT's fixed layout fits STAR (checked just above)"
)]
pub fn init() {
    let selectors = gdt::selectors();
    assert_eq!(
        selectors.user_data.0, 0x1b,
        "entry stub assumes user SS 0x1b"
    );
    assert_eq!(
        selectors.user_code.0, 0x23,
        "entry stub assumes user CS 0x23"
    );
    Star::write(
        selectors.user_code,
        selectors.user_data,
        selectors.kernel_code,
        selectors.kernel_data,
    )
    .expect("GDT layout fits STAR");
    LStar::write(VirtAddr::new(syscall_entry as *const () as u64));
    SFMask::write(
        RFlags::INTERRUPT_FLAG
            | RFlags::DIRECTION_FLAG
            | RFlags::TRAP_FLAG
            | RFlags::ALIGNMENT_CHECK
            // A program may set NT with `popfq`; carried into the kernel it
            // makes the `iretq` back to user mode fault (#GP in long mode).
            | RFlags::NESTED_TASK,
    );
    // SAFETY: enabling SCE only makes the `syscall` instruction available;
    // LSTAR points at a valid entry stub.
    unsafe { Efer::update(|flags| flags.insert(EferFlags::SYSTEM_CALL_EXTENSIONS)) };
}
