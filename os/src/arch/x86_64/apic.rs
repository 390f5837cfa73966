//! The local APIC: the periodic timer and end-of-interrupt.
//!
//! Registers are memory-mapped at the physical address in the
//! `IA32_APIC_BASE` MSR (0xFEE00000 on every PC), reached through the direct
//! map, which maps that page uncached.

use super::cpu::read_tsc;
use super::frame::vector;
use super::paging::phys_to_virt;
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::registers::model_specific::Msr;

const IA32_APIC_BASE: u32 = 0x1B;
const APIC_BASE_ENABLE: u64 = 1 << 11;

const REGISTER_TASK_PRIORITY: u64 = 0x80;
const REGISTER_EOI: u64 = 0xB0;
const REGISTER_SPURIOUS: u64 = 0xF0;
const REGISTER_LVT_TIMER: u64 = 0x320;
const REGISTER_LVT_LINT0: u64 = 0x350;
const REGISTER_LVT_LINT1: u64 = 0x360;
const REGISTER_TIMER_INITIAL: u64 = 0x380;
const REGISTER_TIMER_CURRENT: u64 = 0x390;
const REGISTER_TIMER_DIVIDE: u64 = 0x3E0;

const SPURIOUS_ENABLE: u32 = 1 << 8;
const LVT_MASKED: u32 = 1 << 16;
const LVT_TIMER_PERIODIC: u32 = 1 << 17;
const LVT_DELIVERY_NMI: u32 = 0b100 << 8;
const DIVIDE_BY_16: u32 = 0b0011;

/// Virtual address of the register page (0 until [`init`]).
static BASE: AtomicU64 = AtomicU64::new(0);

fn write(register: u64, value: u32) {
    let address = BASE.load(Ordering::Relaxed) + register;
    // SAFETY: `init` set BASE to the direct-map address of the APIC page,
    // which is mapped uncached; the register offsets are architectural.
    unsafe { core::ptr::write_volatile(address as *mut u32, value) };
}

fn read(register: u64) -> u32 {
    let address = BASE.load(Ordering::Relaxed) + register;
    // SAFETY: as in `write`.
    unsafe { core::ptr::read_volatile(address as *const u32) }
}

/// Enables the local APIC and starts its timer firing [`vector::TIMER`]
/// `hz` times per second, calibrated against the TSC (`tsc_hz`).
pub fn init(tsc_hz: u64, hz: u64) {
    let mut msr = Msr::new(IA32_APIC_BASE);
    // SAFETY: reading and re-writing IA32_APIC_BASE with the enable bit set
    // keeps the architectural base address and only enables the APIC.
    let physical_base = unsafe {
        let value = msr.read();
        msr.write(value | APIC_BASE_ENABLE);
        value & 0x000F_FFFF_FFFF_F000
    };
    BASE.store(phys_to_virt(physical_base).as_u64(), Ordering::Relaxed);

    write(REGISTER_TASK_PRIORITY, 0);
    write(REGISTER_SPURIOUS, SPURIOUS_ENABLE | vector::SPURIOUS as u32);
    // The local interrupt pins are set here rather than trusted to the
    // firmware: SeaBIOS leaves LINT0 in ExtINT mode, unmasked (the 8259s
    // reach the CPU through it), OVMF likewise; qboot (microvm) leaves both
    // pins masked and the APIC software-disabled. The kernel takes no
    // interrupt from the 8259s, so LINT0 is masked whatever they do (they
    // are masked as well, where they exist); LINT1 carries NMIs.
    write(REGISTER_LVT_LINT0, LVT_MASKED);
    write(REGISTER_LVT_LINT1, LVT_DELIVERY_NMI);

    // Count APIC timer ticks over 10 ms of TSC time.
    write(REGISTER_TIMER_DIVIDE, DIVIDE_BY_16);
    write(REGISTER_LVT_TIMER, LVT_MASKED);
    write(REGISTER_TIMER_INITIAL, u32::MAX);
    let start = read_tsc();
    while read_tsc() - start < tsc_hz / 100 {
        core::hint::spin_loop();
    }
    let ticks_per_10ms = u64::from(u32::MAX - read(REGISTER_TIMER_CURRENT));
    let period = (ticks_per_10ms * 100 / hz).clamp(1, u64::from(u32::MAX)) as u32;

    write(
        REGISTER_LVT_TIMER,
        LVT_TIMER_PERIODIC | vector::TIMER as u32,
    );
    write(REGISTER_TIMER_INITIAL, period);
}

/// Signals the end of the interrupt being handled.
pub fn end_of_interrupt() {
    write(REGISTER_EOI, 0);
}
