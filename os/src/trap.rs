//! What the kernel does with each interrupt and exception.
//!
//! From user mode, a CPU exception becomes a signal for the process that
//! caused it (a page fault first goes to the VM, which may resolve it). In
//! the kernel, any exception is fatal and reported. Every trap from user
//! mode ends with the return-to-user work (switches, signals).

use crate::arch::apic;
use crate::arch::cpu;
use crate::arch::frame::{TrapFrame, vector};
use crate::{fatal, pm, report, sched, timer};
use kernel_abi::Signal;
use kernel_core::vm::Access;

/// Page-fault error-code bits.
const PF_WRITE: u64 = 1 << 1;
const PF_INSTRUCTION: u64 = 1 << 4;

/// Handles one trap; called by the architecture's entry path with the saved
/// state of the interrupted code.
pub fn handle(frame: &mut TrapFrame) {
    match frame.vector {
        vector::TIMER => {
            timer::tick();
            apic::end_of_interrupt();
        }
        vector::SPURIOUS => {}
        exception if exception < vector::FIRST_IRQ => {
            if !frame.in_user_mode() {
                fatal::kernel_fault(frame);
            }
            if frame.vector == vector::PAGE_FAULT
                && frame.rip == crate::arch::syscall_entry::entry_address()
            {
                // `syscall_from_lstar_fault` ran the call and the return to
                // user mode.
                return syscall_from_lstar_fault(frame);
            }
            user_exception(frame);
        }
        _ => apic::end_of_interrupt(),
    }
    if frame.in_user_mode() {
        pm::on_return_to_user(frame);
    }
}

/// A page fault in user mode at LSTAR's address: a `syscall` that jumped
/// to the entry stub without entering ring 0 (hypervisors such as PVM,
/// `kvm_pvm`, do this: they load RIP from LSTAR, RCX and R11, but not the
/// kernel's CS), or a program that jumped there itself. Either way it is
/// run as the system call it asks for, exactly as the entry stub would:
/// the number in RAX, the return address in RCX, the flags in R11 (only
/// the flags a program may set; IOPL stays 0 and interrupts on). A program
/// gains nothing it could not do with `syscall`. The first time, a log
/// line names the cause, so a slow boot under such a hypervisor (every
/// system call is a page fault first) is explained.
fn syscall_from_lstar_fault(frame: &mut TrapFrame) {
    use core::sync::atomic::{AtomicBool, Ordering};
    /// CF, PF, AF, ZF, SF, TF, DF, OF and AC: the flags `popf` lets ring 3
    /// change.
    const USER_FLAGS: u64 = 0x4_0DD5;
    const INTERRUPTS_ON: u64 = 0x200;
    const RESERVED_ONE: u64 = 0x2;
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        crate::klog!(
            Warn,
            "syscall not emulated: a user-mode page fault at LSTAR ({:#x}); the hypervisor does not \
             enter ring 0 on syscall (kvm_pvm?), so each system call is run from that fault (slow; TCG \
             does not need this)",
            frame.rip
        );
    }
    // RCX is where the call returns (`iretq`): a `syscall` always leaves a
    // user address there, a program's own jump may not. `iretq` to a
    // non-canonical RIP is a #GP in ring 0 (the kernel's fatal path), so
    // such a jump is the page fault it is: SIGSEGV, the call not run.
    if frame.rcx >= crate::arch::paging::USER_END {
        report::cpu_fault(
            sched::current(),
            frame.vector as u8,
            frame.rip,
            Signal::SIGSEGV,
        );
        pm::force_signal(Signal::SIGSEGV);
        pm::on_return_to_user(frame);
        return;
    }
    frame.rip = frame.rcx;
    frame.rflags = (frame.r11 & USER_FLAGS) | INTERRUPTS_ON | RESERVED_ONE;
    crate::syscall::handle(frame);
}

fn user_exception(frame: &TrapFrame) {
    let signal = match frame.vector {
        vector::PAGE_FAULT => {
            let address = cpu::page_fault_address();
            let access = if frame.error_code & PF_INSTRUCTION != 0 {
                Access::Execute
            } else if frame.error_code & PF_WRITE != 0 {
                Access::Write
            } else {
                Access::Read
            };
            // Paging out, the fault, and the out-of-memory rule.
            match crate::oom::user_fault(address, access) {
                Ok(()) => return,
                Err(signal) => signal,
            }
        }
        // As on Unix: arithmetic errors (integer divide, x87, SSE) are
        // SIGFPE; breakpoints and single steps SIGTRAP; `int 4` (overflow),
        // #GP, #SS, #NP and the rest SIGSEGV.
        vector::DIVIDE_ERROR | vector::X87_FLOATING_POINT | vector::SIMD_FLOATING_POINT => {
            Signal::SIGFPE
        }
        vector::INVALID_OPCODE => Signal::SIGILL,
        vector::BREAKPOINT | vector::DEBUG => Signal::SIGTRAP,
        vector::OVERFLOW => Signal::SIGSEGV,
        _ => Signal::SIGSEGV,
    };
    report::cpu_fault(sched::current(), frame.vector as u8, frame.rip, signal);
    pm::force_signal(signal);
}
