//! The end of the line: kernel panics, CPU exceptions in the kernel, and
//! clean power-off. Each one tells the host why before the machine stops.

use crate::arch::cpu;
use crate::arch::frame::{TrapFrame, vector};
use crate::telemetry;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel_core::text::TextBuffer;
use protocol::message::{
    EXIT_KERNEL_FAULT, EXIT_KERNEL_PANIC, KernelFault, Message, Panic, PowerOff,
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
