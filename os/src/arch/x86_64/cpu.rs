//! Single instructions: the time-stamp counter, halting, interrupt flag,
//! port I/O, and powering off through QEMU's `isa-debug-exit` device.

use x86_64::instructions::interrupts;
use x86_64::instructions::port::Port;
use x86_64::registers::control::{Cr4, Cr4Flags};

/// Reads the time-stamp counter.
pub fn read_tsc() -> u64 {
    // SAFETY: `rdtsc` only reads a counter; it has no memory effects and is
    // available on every x86_64 CPU.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Whether interrupts are enabled (RFLAGS.IF).
pub fn interrupts_enabled() -> bool {
    interrupts::are_enabled()
}

/// Disables interrupts.
pub fn disable_interrupts() {
    interrupts::disable();
}

/// Enables interrupts.
pub fn enable_interrupts() {
    interrupts::enable();
}

/// Enables interrupts and halts until the next one, atomically (no
/// interrupt can slip in between and be missed). Returns with interrupts
/// disabled again.
pub fn wait_for_interrupt() {
    interrupts::enable_and_hlt();
    interrupts::disable();
}

/// Lets pending interrupts in for a moment (between two chunks of long work
/// done with interrupts off).
pub fn allow_pending_interrupts() {
    interrupts::enable();
    core::hint::spin_loop();
    interrupts::disable();
}

/// Reads a byte from an I/O port.
pub fn inb(port: u16) -> u8 {
    // SAFETY: the ports read through this function are the legacy PC devices
    // the kernel owns (PIT, RTC); reading them has no memory
    // effects.
    unsafe { Port::<u8>::new(port).read() }
}

/// Writes a byte to an I/O port.
pub fn outb(port: u16, value: u8) {
    // SAFETY: the ports written through this function are the legacy PC
    // devices the kernel owns (PIT, RTC, 8259 PICs); none of them can
    // affect memory safety.
    unsafe { Port::<u8>::new(port).write(value) }
}

/// I/O port of QEMU's `isa-debug-exit` device (see the image builder).
const DEBUG_EXIT_PORT: u16 = 0xf4;

/// Powers the machine off with `exit_code` (see
/// `protocol::message::debug_exit_value`). On a machine without the
/// `isa-debug-exit` device this halts forever instead.
pub fn power_off(exit_code: u8) -> ! {
    disable_interrupts();
    let value = u32::from(protocol::message::debug_exit_value(exit_code));
    // SAFETY: writing to the debug-exit port makes QEMU exit at once; on a
    // machine without the device the write goes nowhere.
    unsafe { Port::<u32>::new(DEBUG_EXIT_PORT).write(value) };
    loop {
        x86_64::instructions::hlt();
    }
}

/// Reads from an address no page table maps, to test the kernel's fault
/// path (`test=kernel-fault`). Never returns normally: the page fault handler
/// reports the fault and powers off.
pub fn read_unmapped_kernel_address() -> u8 {
    const UNMAPPED: usize = 0xFFFF_FF00_0000_0000;
    // SAFETY: none. This read faults on purpose; the fault handler reports a
    // kernel fault and powers off, so no value is ever produced.
    unsafe { core::ptr::read_volatile(UNMAPPED as *const u8) }
}

/// Whether the CPU has user-mode instruction prevention (UMIP:
/// CPUID.(EAX=7,ECX=0):ECX bit 2).
pub fn has_umip() -> bool {
    let max_leaf = core::arch::x86_64::__cpuid(0).eax;
    max_leaf >= 7 && core::arch::x86_64::__cpuid_count(7, 0).ecx & (1 << 2) != 0
}

/// Turns on UMIP where the CPU has it, so that `sgdt`, `sidt`, `sldt`,
/// `smsw` and `str` fault (#GP) in ring 3 instead of telling a program
/// where the kernel keeps its descriptor tables. Returns whether it is on.
pub fn enable_umip() -> bool {
    if !has_umip() {
        return false;
    }
    // SAFETY: the CPU reports UMIP, so the bit is defined; it only makes
    // the five descriptor-table reads privileged, which the kernel (ring 0)
    // is unaffected by.
    unsafe { Cr4::update(|flags| flags.insert(Cr4Flags::USER_MODE_INSTRUCTION_PREVENTION)) };
    true
}

/// The faulting address of the last page fault (CR2).
pub fn page_fault_address() -> u64 {
    x86_64::registers::control::Cr2::read_raw()
}
