//! Reading the multiboot2 information (MBI) GRUB leaves for us.
//!
//! GRUB enters `mb2_start32` (see `boot`) with `ebx` pointing at the MBI.
//! [`read`] copies it onto the heap and parses it
//! (`kernel_core::multiboot2`, tested on the host) into the same
//! [`BootInfo`] the PVH entry produces: the command line, RAM (type-1
//! entries of the memory map only), the modules GRUB loaded (`module2`),
//! whose ranges `memory::init` reserves and whose bytes [`module`] lends.
//! GRUB packs the MBI and the modules right after the kernel image (under
//! SeaBIOS the MBI starts exactly at the kernel's physical end), so the MBI
//! is reserved too.
//!
//! The firmware: EFI tags in the MBI mean UEFI; without them it was a BIOS,
//! recognised as SeaBIOS by the vendor string of the SMBIOS
//! BIOS-information structure (found through the entry point in the BIOS
//! area), else reported as another BIOS.

use super::paging;
use super::pvh::{BootInfo, read_physical};
use alloc::string::String;
use alloc::vec::Vec;
use kernel_core::memory_map::PhysRange;
use kernel_core::multiboot2::{self as mbi, MbiError};
use protocol::message::Firmware;
use spin::Once;

/// The MBI is far smaller than this; a larger size means it is garbage.
const MAX_MBI_BYTES: u32 = 1 << 20;
/// The boot page tables map this much of physical memory.
const BOOT_MAPPED: u64 = 1 << 30;

/// What the MBI says beyond [`BootInfo`].
pub struct Multiboot2Info {
    /// Command line, memory and modules, as the PVH entry gives them.
    pub boot: BootInfo,
    /// The firmware that ran before GRUB.
    pub firmware: Firmware,
}

/// The modules' ranges, recorded by [`read`] for [`module`].
static MODULES: Once<Vec<PhysRange>> = Once::new();

/// Reads the MBI at physical address `address`.
pub fn read(address: u64) -> Result<Multiboot2Info, MbiError> {
    let header: Vec<u8> = read_physical(address, 8);
    let total_size = mbi::u32_at(&header, 0).unwrap_or(0);
    if !(16..=MAX_MBI_BYTES).contains(&total_size) {
        return Err(MbiError::BadSize(total_size));
    }
    let bytes: Vec<u8> = read_physical(address, total_size as usize);
    let parsed = mbi::parse(&bytes)?;
    let firmware = if parsed.efi {
        Firmware::Uefi
    } else if smbios_bios_vendor().is_some_and(|vendor| vendor.contains("SeaBIOS")) {
        Firmware::SeaBios
    } else {
        Firmware::OtherBios
    };
    MODULES.call_once(|| parsed.modules.clone());
    Ok(Multiboot2Info {
        boot: BootInfo {
            command_line: parsed.command_line,
            ram: parsed.ram,
            modules: parsed.modules,
            reserved: alloc::vec![PhysRange::new(address, u64::from(total_size))],
            // The copy of the RSDP in tag 15 (else 14), inside the MBI,
            // which stays reserved.
            rsdp: parsed.rsdp_offset.map(|offset| address + offset as u64),
        },
        firmware,
    })
}

/// The SMBIOS BIOS vendor, read through the boot mapping.
fn smbios_bios_vendor() -> Option<String> {
    const AREA: u64 = 0xF_0000;
    const AREA_LEN: usize = 0x1_0000;
    const MAX_TABLE: usize = 64 * 1024;
    let area: Vec<u8> = read_physical(AREA, AREA_LEN);
    let (table, len) = mbi::smbios_table(&area)?;
    let len = len.min(MAX_TABLE);
    if table.saturating_add(len as u64) > BOOT_MAPPED {
        return None;
    }
    mbi::smbios_bios_vendor(&read_physical::<u8>(table, len))
}

/// The physical range of module `index`.
pub fn module_range(index: usize) -> Option<PhysRange> {
    MODULES.get()?.get(index).copied()
}

/// The bytes of module `index` (in the order GRUB listed them), for the
/// life of the kernel.
pub fn module(index: usize) -> Option<&'static [u8]> {
    let range = module_range(index)?;
    let len = usize::try_from(range.len()).ok()?;
    let start = paging::early_phys_to_virt(range.start, range.len());
    // SAFETY: the range is a module from the MBI: RAM GRUB filled before
    // the kernel ran, which `memory::init` reserves (`BootInfo::modules`)
    // so that no frame in it is ever handed out, and which nothing writes.
    // It stays mapped for the kernel's life (the boot mapping of the first
    // GiB, checked by `early_phys_to_virt`, then the direct map of all RAM,
    // where it lies: GRUB puts modules in type-1 memory).
    Some(unsafe { core::slice::from_raw_parts(start.as_ptr::<u8>(), len) })
}
