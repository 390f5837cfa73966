//! The legacy 8259 interrupt controllers: remapped out of the exception
//! vectors and masked, since the kernel uses the local APIC instead.

use super::cpu::outb;

const PIC1_COMMAND: u16 = 0x20;
const PIC1_DATA: u16 = 0x21;
const PIC2_COMMAND: u16 = 0xA0;
const PIC2_DATA: u16 = 0xA1;

/// Remaps both PICs to vectors 0x20-0x2F (so a stray interrupt cannot look
/// like a CPU exception) and masks every line.
pub fn disable() {
    // ICW1: initialise, expect ICW4.
    outb(PIC1_COMMAND, 0x11);
    outb(PIC2_COMMAND, 0x11);
    // ICW2: vector offsets.
    outb(PIC1_DATA, 0x20);
    outb(PIC2_DATA, 0x28);
    // ICW3: cascade wiring.
    outb(PIC1_DATA, 4);
    outb(PIC2_DATA, 2);
    // ICW4: 8086 mode.
    outb(PIC1_DATA, 0x01);
    outb(PIC2_DATA, 0x01);
    // Mask everything.
    outb(PIC1_DATA, 0xFF);
    outb(PIC2_DATA, 0xFF);
}
