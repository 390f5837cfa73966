//! What the kernel does with each interrupt and exception.
//!
//! From user mode, a CPU exception becomes a signal for the process that
//! caused it (a page fault first goes to the VM, which may resolve it). In
//! the kernel, any exception is fatal and reported. Every trap from user
//! mode ends with the return-to-user work (switches, signals).

use crate::arch::apic;
use crate::arch::cpu;
use crate::arch::trap::{TrapFrame, vector};
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
            user_exception(frame);
        }
        _ => apic::end_of_interrupt(),
    }
    if frame.in_user_mode() {
        pm::on_return_to_user(frame);
    }
}

fn user_exception(frame: &TrapFrame) {
    let signal = match frame.vector {
        // The `syscall` instruction jumped to LSTAR still in ring 3 (the
        // kernel's page is supervisor-only): the hypervisor does not emulate
        // system calls, so no program can run. Say so and stop.
        vector::PAGE_FAULT if frame.rip == crate::arch::syscall_entry::entry_address() => {
            fatal::syscall_not_emulated(frame.rip)
        }
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
