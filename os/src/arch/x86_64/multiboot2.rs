//! Reading the multiboot2 information (MBI) GRUB leaves for us.
//!
//! GRUB enters `mb2_start32` (see `boot`) with `ebx` pointing at the MBI: a
//! `total_size`, a reserved word, then tags, each 8-byte aligned, each
//! `type: u32, size: u32` followed by its data, up to an end tag (type 0).
//! [`read`] turns it into the same [`BootInfo`] the PVH entry produces:
//!
//! - tag 1, the command line;
//! - tag 6, the memory map: only type 1 is RAM, every other type (ACPI
//!   tables, NVS, bad memory, OVMF's runtime regions) is left alone, and
//!   zero-length entries are skipped;
//! - tag 3, each module GRUB loaded (`module2`): its range is reserved so
//!   no frame inside it is handed out, and [`module`] lends its bytes;
//! - tags 11, 12 and 17 (EFI system table, EFI memory map) mean UEFI ran
//!   before GRUB; without them it was a BIOS, recognised as SeaBIOS by the
//!   vendor string of the SMBIOS BIOS-information structure;
//! - tags 14 and 15, the ACPI RSDP (under UEFI there is no BIOS area to
//!   scan for it).
//!
//! GRUB packs the MBI and the modules right after the kernel image (under
//! SeaBIOS the MBI starts exactly at the kernel's physical end), so the MBI
//! is reserved too until [`read`] has copied everything onto the heap.

use super::paging;
use super::pvh::{BootInfo, read_physical};
use alloc::string::String;
use alloc::vec::Vec;
use kernel_core::memory_map::PhysRange;
use protocol::message::Firmware;
use spin::Once;

const TAG_END: u32 = 0;
const TAG_COMMAND_LINE: u32 = 1;
const TAG_MODULE: u32 = 3;
const TAG_MEMORY_MAP: u32 = 6;
const TAG_EFI32_SYSTEM_TABLE: u32 = 11;
const TAG_EFI64_SYSTEM_TABLE: u32 = 12;
const TAG_ACPI_OLD_RSDP: u32 = 14;
const TAG_ACPI_NEW_RSDP: u32 = 15;
const TAG_EFI_MEMORY_MAP: u32 = 17;
/// Memory-map entry type of usable RAM.
const MEMORY_RAM: u32 = 1;
/// The MBI is far smaller than this; a larger size means it is garbage.
const MAX_MBI_BYTES: u32 = 1 << 20;

/// What the MBI says beyond [`BootInfo`].
pub struct Multiboot2Info {
    /// Command line, memory and modules, as the PVH entry gives them.
    pub boot: BootInfo,
    /// The firmware that ran before GRUB.
    pub firmware: Firmware,
    /// Physical address of the ACPI RSDP (tag 15, else tag 14), if any.
    #[allow(dead_code, reason = "for ACPI (power-off), which reads it next")]
    pub rsdp: Option<u64>,
}

/// Why the MBI cannot be used.
#[derive(Debug)]
pub enum MbiError {
    /// The MBI's size is impossible.
    BadSize(u32),
    /// A tag runs past the end of the MBI.
    BadTag { offset: usize, kind: u32 },
    /// No memory map (tag 6).
    NoMemoryMap,
}

impl core::fmt::Display for MbiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MbiError::BadSize(size) => write!(f, "multiboot2 information of {size} bytes"),
            MbiError::BadTag { offset, kind } => {
                write!(
                    f,
                    "multiboot2 tag {kind} at offset {offset} runs past the end"
                )
            }
            MbiError::NoMemoryMap => f.write_str("the loader passed no memory map (tag 6)"),
        }
    }
}

/// The modules' ranges, recorded by [`read`] for [`module`].
static MODULES: Once<Vec<PhysRange>> = Once::new();

fn u32_at(bytes: &[u8], offset: usize) -> Option<u32> {
    let word = bytes.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes(word.try_into().ok()?))
}

fn u64_at(bytes: &[u8], offset: usize) -> Option<u64> {
    let word = bytes.get(offset..offset.checked_add(8)?)?;
    Some(u64::from_le_bytes(word.try_into().ok()?))
}

/// The NUL-terminated string at the start of `bytes`.
fn string_in(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(bytes.get(..end).unwrap_or(bytes)).into_owned()
}

/// Parses an MBI already copied into `mbi` (its first `total_size` bytes),
/// found at physical address `address`.
fn parse(mbi: &[u8], address: u64) -> Result<Multiboot2Info, MbiError> {
    let mut command_line = String::new();
    let mut ram = Vec::new();
    let mut have_memory_map = false;
    let mut modules = Vec::new();
    let mut efi = false;
    let mut rsdp_old = None;
    let mut rsdp_new = None;
    let mut offset = 8usize;
    while let (Some(kind), Some(size)) = (u32_at(mbi, offset), u32_at(mbi, offset + 4)) {
        let size = size as usize;
        let end = offset.saturating_add(size);
        let tag = match mbi.get(offset..end) {
            Some(tag) if size >= 8 => tag,
            _ => return Err(MbiError::BadTag { offset, kind }),
        };
        let body = tag.get(8..).unwrap_or_default();
        match kind {
            TAG_END => break,
            TAG_COMMAND_LINE => command_line = string_in(body),
            TAG_MODULE => {
                if let (Some(start), Some(end)) = (u32_at(body, 0), u32_at(body, 4))
                    && end > start
                {
                    modules.push(PhysRange {
                        start: u64::from(start),
                        end: u64::from(end),
                    });
                }
            }
            TAG_MEMORY_MAP => {
                have_memory_map = true;
                let entry_size = u32_at(body, 0).unwrap_or(0) as usize;
                if entry_size >= 20 {
                    let entries = body.get(8..).unwrap_or_default();
                    for entry in entries.chunks_exact(entry_size) {
                        let (Some(base), Some(len), Some(kind)) =
                            (u64_at(entry, 0), u64_at(entry, 8), u32_at(entry, 16))
                        else {
                            continue;
                        };
                        if kind == MEMORY_RAM && len != 0 {
                            ram.push(PhysRange::new(base, len));
                        }
                    }
                }
            }
            TAG_EFI32_SYSTEM_TABLE | TAG_EFI64_SYSTEM_TABLE | TAG_EFI_MEMORY_MAP => efi = true,
            // The tags hold a copy of the RSDP; its address is the tag's
            // data.
            TAG_ACPI_OLD_RSDP => rsdp_old = Some(address + offset as u64 + 8),
            TAG_ACPI_NEW_RSDP => rsdp_new = Some(address + offset as u64 + 8),
            _ => {}
        }
        offset = end.next_multiple_of(8);
    }
    if !have_memory_map || ram.is_empty() {
        return Err(MbiError::NoMemoryMap);
    }
    let firmware = if efi {
        Firmware::Uefi
    } else if smbios_bios_vendor().is_some_and(|vendor| vendor.contains("SeaBIOS")) {
        Firmware::SeaBios
    } else {
        Firmware::OtherBios
    };
    Ok(Multiboot2Info {
        boot: BootInfo {
            command_line,
            ram,
            modules,
            reserved: alloc::vec![PhysRange::new(address, mbi.len() as u64)],
        },
        firmware,
        rsdp: rsdp_new.or(rsdp_old),
    })
}

/// Reads the MBI at physical address `address`.
pub fn read(address: u64) -> Result<Multiboot2Info, MbiError> {
    let header: Vec<u32> = read_physical(address, 2);
    let total_size = header.first().copied().unwrap_or(0);
    if !(16..=MAX_MBI_BYTES).contains(&total_size) {
        return Err(MbiError::BadSize(total_size));
    }
    let mbi: Vec<u8> = read_physical(address, total_size as usize);
    let info = parse(&mbi, address)?;
    MODULES.call_once(|| info.boot.modules.clone());
    Ok(info)
}

/// The physical range of module `index`.
pub fn module_range(index: usize) -> Option<PhysRange> {
    MODULES.get()?.get(index).copied()
}

/// The bytes of module `index` (in the order GRUB listed them), for the
/// life of the kernel.
pub fn module(index: usize) -> Option<&'static [u8]> {
    let range = *MODULES.get()?.get(index)?;
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

/// The vendor string of the SMBIOS BIOS-information structure (type 0),
/// from the entry point in the BIOS area (0xF0000-0xFFFFF).
fn smbios_bios_vendor() -> Option<String> {
    const AREA: u64 = 0xF_0000;
    const AREA_LEN: usize = 0x1_0000;
    const MAX_TABLE: usize = 64 * 1024;
    let area: Vec<u8> = read_physical(AREA, AREA_LEN);
    let (table, table_len) = (0..AREA_LEN).step_by(16).find_map(|at| {
        let anchor = area.get(at..)?;
        if anchor.starts_with(b"_SM3_") {
            Some((u64_at(anchor, 0x10)?, u32_at(anchor, 0x0C)? as usize))
        } else if anchor.starts_with(b"_SM_") {
            let len = u16::from_le_bytes(anchor.get(0x16..0x18)?.try_into().ok()?);
            Some((u64::from(u32_at(anchor, 0x18)?), usize::from(len)))
        } else {
            None
        }
    })?;
    if table == 0 || table.saturating_add(table_len as u64) > 1 << 30 {
        return None;
    }
    let bytes: Vec<u8> = read_physical(table, table_len.min(MAX_TABLE));
    let mut at = 0usize;
    while let (Some(&kind), Some(&formatted)) = (bytes.get(at), bytes.get(at + 1)) {
        let formatted = usize::from(formatted);
        let strings_start = at.checked_add(formatted)?;
        // The string set ends with two NULs.
        let strings_len = bytes
            .get(strings_start..)?
            .windows(2)
            .position(|pair| pair == [0, 0])?;
        let strings = bytes.get(strings_start..strings_start + strings_len)?;
        if kind == 0 {
            let vendor = usize::from(*bytes.get(at + 4)?);
            let text = strings
                .split(|&byte| byte == 0)
                .nth(vendor.checked_sub(1)?)?;
            return Some(String::from_utf8_lossy(text).into_owned());
        }
        if kind == 127 || formatted < 4 {
            return None;
        }
        at = strings_start + strings_len + 2;
    }
    None
}
