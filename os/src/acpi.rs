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
use crate::sync::IrqLock;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel_core::acpi::{self, AcpiError, PhysicalMemory, Rsdp, SleepPlan};
use kernel_core::memory_map::PhysRange;

/// The RSDP address the boot loader reported (0: none).
static RSDP_HINT: AtomicU64 = AtomicU64::new(0);
/// An RSDP the boot loader handed over as a copy.
static RSDP_COPY: IrqLock<Option<Rsdp>> = IrqLock::new("rsdp", None);

/// Records the RSDP's physical address as the boot loader reported it
/// (PVH start info's `rsdp_paddr`). Zero means "not reported".
pub fn set_rsdp(address: u64) {
    RSDP_HINT.store(address, Ordering::Relaxed);
}

/// Records a copy of the RSDP the boot loader handed over (multiboot2's
/// tag 14 or 15: the bytes after the tag's 8-byte header); false if it is
/// not a valid RSDP. A copy is believed before any address.
#[allow(dead_code, reason = "the multiboot2 entry calls it")]
pub fn set_rsdp_copy(bytes: &[u8]) -> bool {
    let rsdp = acpi::parse_rsdp(bytes);
    RSDP_COPY.with(|copy| *copy = rsdp);
    rsdp.is_some()
}

/// Firmware memory, read through the direct map.
struct Firmware;

impl PhysicalMemory for Firmware {
    fn read(&self, address: u64, buffer: &mut [u8]) -> bool {
        mmio::read_physical(address, buffer)
    }
}

/// Where the RSDP came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RsdpSource {
    /// A copy the boot loader handed over ([`set_rsdp_copy`]).
    BootLoaderCopy,
    /// The address the boot loader reported ([`set_rsdp`]).
    BootLoaderAddress,
    /// A scan of the EBDA and the BIOS area.
    BiosAreaScan,
}

/// The RSDP: the copy or the address the boot loader reported, else the
/// first in the EBDA's first KiB or in 0xE0000-0xFFFFF (ACPI 6.5,
/// 5.2.5.1).
fn find_rsdp() -> Option<(Rsdp, RsdpSource)> {
    if let Some(rsdp) = RSDP_COPY.with(|copy| *copy) {
        return Some((rsdp, RsdpSource::BootLoaderCopy));
    }
    let hint = RSDP_HINT.load(Ordering::Relaxed);
    if hint != 0
        && let Some(rsdp) = acpi::read_rsdp(&Firmware, hint)
    {
        return Some((rsdp, RsdpSource::BootLoaderAddress));
    }
    let mut segment = [0u8; 2];
    let ebda = if mmio::read_physical(0x40E, &mut segment) {
        u64::from(u16::from_le_bytes(segment)) << 4
    } else {
        0
    };
    // An EBDA below 512 KiB is not plausible (conventional memory).
    let ebda_area = (ebda >= 0x80000).then_some((ebda, 1024usize));
    ebda_area
        .into_iter()
        .chain([(0xE0000, 0x20000)])
        .find_map(|(start, len)| {
            let mut area = alloc::vec![0u8; len];
            mmio::read_physical(start, &mut area).then_some(())?;
            let offset = acpi::find_rsdp(&area)?;
            acpi::parse_rsdp(area.get(offset..)?)
        })
        .map(|rsdp| (rsdp, RsdpSource::BiosAreaScan))
}

/// Finds the tables and arms the S5 power-off; returns the plan, or why
/// there is none (then power-off relies on `isa-debug-exit` alone). `ram`
/// is the memory map's RAM (a sleep register must lie outside it).
pub fn init(ram: &[PhysRange]) -> Result<(SleepPlan, RsdpSource), AcpiError> {
    let (rsdp, source) = find_rsdp().ok_or(AcpiError::NoRsdp)?;
    let plan = acpi::sleep_plan_from(&Firmware, &rsdp)?;
    if !cpu::set_sleep_plan(plan, ram) {
        // A sleep control register this kernel will not write (in RAM, or
        // above 4 GiB).
        return Err(AcpiError::NoSleepRegister);
    }
    Ok((plan, source))
}
