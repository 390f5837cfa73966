//! What the kernel does with each interrupt and exception.

use crate::arch::apic;
use crate::arch::trap::{TrapFrame, vector};
use crate::{fatal, timer};

/// Handles one trap; called by the architecture's entry path with the saved
/// state of the interrupted code.
pub fn handle(frame: &mut TrapFrame) {
    match frame.vector {
        vector::TIMER => {
            timer::tick();
            apic::end_of_interrupt();
        }
        vector::SPURIOUS => {}
        exception if exception < vector::FIRST_IRQ => fatal::kernel_fault(frame),
        _ => apic::end_of_interrupt(),
    }
}
