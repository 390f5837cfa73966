//! ACPI power-off (sleep state S5), for machines without QEMU's
//! `isa-debug-exit` device: real PCs, and QEMU started without it.
//!
//! At boot, [`init`] finds the RSDP (the address the boot loader gave,
//! through [`set_rsdp`], else a scan of the EBDA and the BIOS area),
//! walks the tables with `kernel_core::acpi` and hands the resulting plan
//! to `arch::cpu`, whose `power_off` carries it out after trying
//! `isa-debug-exit`. The power-off path itself reads no table and
//! allocates nothing.

use crate::arch::{cpu, mmio};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel_core::acpi::{self, AcpiError, PhysicalMemory, SleepPlan};
use kernel_core::memory_map::PhysRange;

/// The RSDP address the boot loader reported (0: none).
static RSDP_HINT: AtomicU64 = AtomicU64::new(0);

/// Records the RSDP's physical address as the boot loader reported it
/// (PVH start info's `rsdp_paddr`; the multiboot2 entry passes the address
/// of the RSDP copy in tag 14 or 15). Zero means "not reported".
pub fn set_rsdp(address: u64) {
    RSDP_HINT.store(address, Ordering::Relaxed);
}

/// Firmware memory, read through the direct map.
struct Firmware;

impl PhysicalMemory for Firmware {
    fn read(&self, address: u64, buffer: &mut [u8]) -> bool {
        mmio::read_physical(address, buffer)
    }
}

/// The RSDP: the reported one, else the first in the EBDA's first KiB or
/// in 0xE0000-0xFFFFF (ACPI 6.5, 5.2.5.1).
fn find_rsdp() -> Option<u64> {
    let hint = RSDP_HINT.load(Ordering::Relaxed);
    if hint != 0 {
        return Some(hint);
    }
    let mut segment = [0u8; 2];
    let ebda = if mmio::read_physical(0x40E, &mut segment) {
        u64::from(u16::from_le_bytes(segment)) << 4
    } else {
        0
    };
    let mut areas = [(ebda, 1024usize), (0xE0000, 0x20000)];
    if ebda < 0x80000 {
        // Not a plausible EBDA (below 512 KiB is conventional memory).
        areas[0] = (0, 0);
    }
    areas.into_iter().find_map(|(start, len)| {
        if len == 0 {
            return None;
        }
        let mut area = alloc::vec![0u8; len];
        mmio::read_physical(start, &mut area).then_some(())?;
        acpi::find_rsdp(&area).map(|offset| start + offset as u64)
    })
}

/// Finds the tables and arms the S5 power-off; returns the plan, or why
/// there is none (then power-off relies on `isa-debug-exit` alone). `ram`
/// is the memory map's RAM (a sleep register must lie outside it).
pub fn init(ram: &[PhysRange]) -> Result<SleepPlan, AcpiError> {
    let rsdp = find_rsdp().ok_or(AcpiError::NoRsdp)?;
    let plan = acpi::sleep_plan(&Firmware, rsdp)?;
    if !cpu::set_sleep_plan(plan, ram) {
        // A sleep control register this kernel will not write (in RAM, or
        // above 4 GiB).
        return Err(AcpiError::NoSleepRegister);
    }
    Ok(plan)
}
