//! The end of the line: kernel panics, CPU exceptions in the kernel, and
//! clean power-off. Each one tells the host why before the machine stops.

use crate::arch::cpu;
use crate::arch::trap::{TrapFrame, vector};
use crate::telemetry;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel_core::text::TextBuffer;
use protocol::message::{
    EXIT_KERNEL_FAULT, EXIT_KERNEL_PANIC, EXIT_SYSCALL_NOT_EMULATED, KernelFault, Message, Panic,
    PowerOff,
};

static STOPPING: AtomicBool = AtomicBool::new(false);

/// Powers off after telling the host, with `exit_code`.
pub fn power_off(exit_code: u8) -> ! {
    if !STOPPING.swap(true, Ordering::SeqCst) {
        telemetry::send_final(Message::PowerOff(PowerOff { exit_code }));
    }
    cpu::power_off(exit_code)
}

/// A CPU exception in ring 0: report vector, error code, instruction and
/// faulting address, then power off.
pub fn kernel_fault(frame: &TrapFrame) -> ! {
    cpu::disable_interrupts();
    if STOPPING.swap(true, Ordering::SeqCst) {
        cpu::power_off(EXIT_KERNEL_FAULT);
    }
    let fault_address = if frame.vector == vector::PAGE_FAULT {
        cpu::page_fault_address()
    } else {
        0
    };
    telemetry::send_final(Message::KernelFault(KernelFault {
        vector: frame.vector as u8,
        error_code: frame.error_code,
        rip: frame.rip,
        fault_address,
    }));
    telemetry::send_final(Message::PowerOff(PowerOff {
        exit_code: EXIT_KERNEL_FAULT,
    }));
    cpu::power_off(EXIT_KERNEL_FAULT)
}

/// A program's `syscall` reached the entry stub at `rip` (LSTAR) in user
/// mode: the hypervisor (`kvm_pvm` does this) does not switch to ring 0 on
/// `syscall`, so nothing can run. Reports it as a fatal frame naming the
/// cause, then powers off with [`EXIT_SYSCALL_NOT_EMULATED`].
pub fn syscall_not_emulated(rip: u64) -> ! {
    cpu::disable_interrupts();
    if STOPPING.swap(true, Ordering::SeqCst) {
        cpu::power_off(EXIT_SYSCALL_NOT_EMULATED);
    }
    let mut message = TextBuffer::<200>::new();
    let _ = write!(
        message,
        "syscall not emulated: a user-mode page fault at LSTAR ({rip:#x}); the hypervisor \
         does not enter ring 0 on syscall (kvm_pvm?), no program can run: use TCG"
    );
    telemetry::send_final(Message::Panic(Panic {
        message: message.as_str(),
        file: file!(),
        line: line!(),
        column: column!(),
    }));
    telemetry::send_final(Message::PowerOff(PowerOff {
        exit_code: EXIT_SYSCALL_NOT_EMULATED,
    }));
    cpu::power_off(EXIT_SYSCALL_NOT_EMULATED)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    cpu::disable_interrupts();
    if STOPPING.swap(true, Ordering::SeqCst) {
        // Panicked while stopping: the report may be half-sent; just stop.
        cpu::power_off(EXIT_KERNEL_PANIC);
    }
    let mut message = TextBuffer::<400>::new();
    let _ = write!(message, "{}", info.message());
    let (file, line, column) = match info.location() {
        Some(location) => (location.file(), location.line(), location.column()),
        None => ("<unknown>", 0, 0),
    };
    telemetry::send_final(Message::Panic(Panic {
        message: message.as_str(),
        file,
        line,
        column,
    }));
    telemetry::send_final(Message::PowerOff(PowerOff {
        exit_code: EXIT_KERNEL_PANIC,
    }));
    cpu::power_off(EXIT_KERNEL_PANIC)
}
