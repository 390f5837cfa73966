//! Single instructions: the time-stamp counter, halting, interrupt flag,
//! port I/O, and powering off: through QEMU's `isa-debug-exit` device, else
//! through ACPI sleep state S5.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel_core::acpi::{PM1_SCI_EN, SleepPlan};
use kernel_core::memory_map::PhysRange;
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

/// The S5 plan for PM1 control blocks: PM1a port, its value, PM1b port and
/// its value, 16 bits each (0: no plan).
static PM1_PLAN: AtomicU64 = AtomicU64::new(0);
/// The SMI command port and the value that enters ACPI mode (0: none).
static SMI_PLAN: AtomicU32 = AtomicU32::new(0);
/// An I/O-port sleep control register and its S5 value (0: none).
static SLEEP_CONTROL_PLAN: AtomicU32 = AtomicU32::new(0);
/// A memory-space sleep control register below 4 GiB and outside RAM
/// (bits 31:0) and its S5 value (bits 39:32); 0: none.
static SLEEP_CONTROL_MEMORY_PLAN: AtomicU64 = AtomicU64::new(0);

/// Arms ACPI S5 for [`power_off`] (from `acpi::init` at boot). `ram` is
/// the memory map's RAM: a sleep control register in memory space is
/// accepted only below 4 GiB and outside it. Returns false for a plan this
/// kernel cannot carry out.
pub fn set_sleep_plan(plan: SleepPlan, ram: &[PhysRange]) -> bool {
    match plan {
        SleepPlan::Pm1 {
            pm1a_control,
            pm1b_control,
            value_a,
            value_b,
            smi_command,
            acpi_enable,
        } => {
            SMI_PLAN.store(
                u32::from(smi_command) | u32::from(acpi_enable) << 16,
                Ordering::Relaxed,
            );
            PM1_PLAN.store(
                u64::from(pm1a_control)
                    | u64::from(value_a) << 16
                    | u64::from(pm1b_control) << 32
                    | u64::from(value_b) << 48,
                Ordering::Relaxed,
            );
            true
        }
        SleepPlan::SleepControl { register, value } if register.io => {
            SLEEP_CONTROL_PLAN.store(
                (register.address as u32 & 0xFFFF) | u32::from(value) << 16,
                Ordering::Relaxed,
            );
            true
        }
        SleepPlan::SleepControl { register, value } => {
            let address = register.address;
            let in_ram = ram
                .iter()
                .any(|range| range.start <= address && address < range.end);
            if in_ram || address >= 1 << 32 {
                return false;
            }
            SLEEP_CONTROL_MEMORY_PLAN.store(address | u64::from(value) << 32, Ordering::Relaxed);
            true
        }
    }
}

/// Enters ACPI S5 as armed by [`set_sleep_plan`]; returns if nothing is
/// armed or the machine did not go off.
fn enter_s5() {
    let pm1 = PM1_PLAN.load(Ordering::Relaxed);
    if pm1 != 0 {
        let pm1a = pm1 as u16;
        let pm1b = (pm1 >> 32) as u16;
        let smi = SMI_PLAN.load(Ordering::Relaxed);
        // SAFETY: the ports are the chipset's PM1 control blocks and SMI
        // command port, as the firmware's FADT names them; writing them
        // changes the power state, never memory.
        unsafe {
            let mut control = Port::<u16>::new(pm1a);
            if smi as u16 != 0 && control.read() & PM1_SCI_EN == 0 {
                // Legacy mode: ask the firmware for ACPI mode, and wait a
                // bounded while for SCI_EN.
                Port::<u8>::new(smi as u16).write((smi >> 16) as u8);
                for _ in 0..1_000_000 {
                    if control.read() & PM1_SCI_EN != 0 {
                        break;
                    }
                    core::hint::spin_loop();
                }
            }
            control.write((pm1 >> 16) as u16);
            if pm1b != 0 {
                Port::<u16>::new(pm1b).write((pm1 >> 48) as u16);
            }
        }
    }
    let sleep_control = SLEEP_CONTROL_PLAN.load(Ordering::Relaxed);
    if sleep_control != 0 {
        // SAFETY: the FADT's sleep control register (an I/O port); writing
        // it changes the power state, never memory.
        unsafe { Port::<u8>::new(sleep_control as u16).write((sleep_control >> 16) as u8) };
    }
    let memory = SLEEP_CONTROL_MEMORY_PLAN.load(Ordering::Relaxed);
    if memory != 0 {
        let register = super::paging::phys_to_virt(memory & 0xFFFF_FFFF);
        // SAFETY: the FADT's sleep control register in memory space, which
        // `set_sleep_plan` checked lies below 4 GiB (always in the direct
        // map) and outside RAM (so the direct map has it uncached and no
        // kernel memory is there); writing it changes the power state.
        unsafe { core::ptr::write_volatile(register.as_mut_ptr::<u8>(), (memory >> 32) as u8) };
    }
}

/// Powers the machine off with `exit_code` (see
/// `protocol::message::debug_exit_value`): through QEMU's `isa-debug-exit`
/// device, which exits at once with the code; where that device is absent
/// the write goes nowhere and ACPI S5 (armed at boot) powers off instead;
/// with neither, this halts forever.
pub fn power_off(exit_code: u8) -> ! {
    disable_interrupts();
    let value = u32::from(protocol::message::debug_exit_value(exit_code));
    // SAFETY: writing to the debug-exit port makes QEMU exit at once; on a
    // machine without the device the write goes nowhere.
    unsafe { Port::<u32>::new(DEBUG_EXIT_PORT).write(value) };
    enter_s5();
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
