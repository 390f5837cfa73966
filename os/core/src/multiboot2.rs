//! The multiboot2 information (MBI) GRUB passes, and the SMBIOS structures
//! that name a legacy BIOS: parsed from bytes the kernel copied out of
//! physical memory (`os/src/arch/x86_64/multiboot2.rs` does the copying).
//!
//! The MBI is a `total_size: u32`, a reserved `u32`, then tags, each 8-byte
//! aligned, each `type: u32, size: u32` and its data, up to an end tag
//! (type 0). [`parse`] keeps what the kernel uses:
//!
//! - tag 1, the command line;
//! - tag 6, the memory map: only type 1 is RAM; every other type (ACPI
//!   tables and NVS, bad memory, OVMF's runtime regions, types this code
//!   does not know) is left alone, and zero-length entries are skipped;
//! - tag 3, each module (`module2`) as a physical range;
//! - tags 11, 12 and 17 (EFI system table, EFI memory map): UEFI ran before
//!   GRUB;
//! - tags 14 and 15: where in the MBI the copy of the ACPI RSDP lies.

use crate::memory_map::PhysRange;
use alloc::string::String;
use alloc::vec::Vec;

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
/// Fewest bytes of a memory-map entry (base, length, type).
const MIN_ENTRY_SIZE: usize = 20;

/// What the kernel takes from an MBI.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mbi {
    /// The kernel command line (tag 1).
    pub command_line: String,
    /// Usable RAM (type-1 entries of tag 6, none empty).
    pub ram: Vec<PhysRange>,
    /// The modules, in the order GRUB listed them (tag 3).
    pub modules: Vec<PhysRange>,
    /// Whether the MBI has EFI tags (11, 12, 17): UEFI firmware.
    pub efi: bool,
    /// Offset in the MBI of the RSDP copy: tag 15's (ACPI 2+) if present,
    /// else tag 14's.
    pub rsdp_offset: Option<usize>,
}

/// Why an MBI cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MbiError {
    /// Its `total_size` is below the header or beyond the bytes given.
    BadSize(u32),
    /// A tag is shorter than its header or runs past the end.
    BadTag {
        /// Offset of the tag in the MBI.
        offset: usize,
        /// Its type.
        kind: u32,
    },
    /// No memory map (tag 6), or no RAM in it.
    NoMemoryMap,
}

impl core::fmt::Display for MbiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MbiError::BadSize(size) => write!(f, "multiboot2 information of {size} bytes"),
            MbiError::BadTag { offset, kind } => {
                write!(f, "multiboot2 tag {kind} at offset {offset} is malformed")
            }
            MbiError::NoMemoryMap => f.write_str("the loader passed no memory map (tag 6)"),
        }
    }
}

fn u16_at(bytes: &[u8], offset: usize) -> Option<u16> {
    let word = bytes.get(offset..offset.checked_add(2)?)?;
    Some(u16::from_le_bytes(word.try_into().ok()?))
}

/// The little-endian `u32` at `offset`, if the bytes reach that far.
pub fn u32_at(bytes: &[u8], offset: usize) -> Option<u32> {
    let word = bytes.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes(word.try_into().ok()?))
}

fn u64_at(bytes: &[u8], offset: usize) -> Option<u64> {
    let word = bytes.get(offset..offset.checked_add(8)?)?;
    Some(u64::from_le_bytes(word.try_into().ok()?))
}

/// The NUL-terminated string at the start of `bytes` (all of it without a
/// NUL), invalid UTF-8 replaced.
fn string_in(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(bytes.get(..end).unwrap_or(bytes)).into()
}

/// Parses the MBI in `mbi` (its `total_size` first bytes count; more may
/// follow).
pub fn parse(mbi: &[u8]) -> Result<Mbi, MbiError> {
    let total_size = u32_at(mbi, 0).ok_or(MbiError::BadSize(0))?;
    let mbi = match mbi.get(..total_size as usize) {
        Some(mbi) if total_size >= 16 => mbi,
        _ => return Err(MbiError::BadSize(total_size)),
    };
    let mut parsed = Mbi::default();
    let mut have_memory_map = false;
    let mut rsdp_old = None;
    let mut rsdp_new = None;
    let mut offset = 8usize;
    while let Some(kind) = u32_at(mbi, offset) {
        let size = u32_at(mbi, offset + 4).unwrap_or(0) as usize;
        let tag = match mbi.get(offset..offset.saturating_add(size)) {
            Some(tag) if size >= 8 => tag,
            _ => return Err(MbiError::BadTag { offset, kind }),
        };
        let body = tag.get(8..).unwrap_or_default();
        match kind {
            TAG_END => break,
            TAG_COMMAND_LINE => parsed.command_line = string_in(body),
            TAG_MODULE => {
                if let (Some(start), Some(end)) = (u32_at(body, 0), u32_at(body, 4))
                    && end > start
                {
                    parsed.modules.push(PhysRange {
                        start: u64::from(start),
                        end: u64::from(end),
                    });
                }
            }
            TAG_MEMORY_MAP => {
                have_memory_map = true;
                let entry_size = u32_at(body, 0).unwrap_or(0) as usize;
                if entry_size < MIN_ENTRY_SIZE {
                    return Err(MbiError::BadTag { offset, kind });
                }
                for entry in body.get(8..).unwrap_or_default().chunks_exact(entry_size) {
                    if let (Some(base), Some(len), Some(MEMORY_RAM)) =
                        (u64_at(entry, 0), u64_at(entry, 8), u32_at(entry, 16))
                        && len != 0
                    {
                        parsed.ram.push(PhysRange::new(base, len));
                    }
                }
            }
            TAG_EFI32_SYSTEM_TABLE | TAG_EFI64_SYSTEM_TABLE | TAG_EFI_MEMORY_MAP => {
                parsed.efi = true;
            }
            TAG_ACPI_OLD_RSDP => rsdp_old = Some(offset + 8),
            TAG_ACPI_NEW_RSDP => rsdp_new = Some(offset + 8),
            _ => {}
        }
        offset = offset.saturating_add(size).next_multiple_of(8);
    }
    if !have_memory_map || parsed.ram.is_empty() {
        return Err(MbiError::NoMemoryMap);
    }
    parsed.rsdp_offset = rsdp_new.or(rsdp_old);
    Ok(parsed)
}

/// Where the SMBIOS structure table lies, from the entry point found in
/// `area` (the BIOS area, 0xF0000-0xFFFFF, on 16-byte boundaries): its
/// physical address and length. SMBIOS 3 (`_SM3_`) first, else 2.x
/// (`_SM_`).
pub fn smbios_table(area: &[u8]) -> Option<(u64, usize)> {
    let anchors = || (0..area.len()).step_by(16).filter_map(|at| area.get(at..));
    anchors()
        .find(|entry| entry.starts_with(b"_SM3_"))
        .and_then(|entry| Some((u64_at(entry, 0x10)?, u32_at(entry, 0x0C)? as usize)))
        .or_else(|| {
            anchors()
                .find(|entry| entry.starts_with(b"_SM_"))
                .and_then(|entry| {
                    Some((
                        u64::from(u32_at(entry, 0x18)?),
                        usize::from(u16_at(entry, 0x16)?),
                    ))
                })
        })
        .filter(|&(address, len)| address != 0 && len != 0)
}

/// The vendor string of the BIOS-information structure (type 0) in an
/// SMBIOS structure table.
pub fn smbios_bios_vendor(table: &[u8]) -> Option<String> {
    const BIOS_INFORMATION: u8 = 0;
    const END_OF_TABLE: u8 = 127;
    let mut at = 0usize;
    loop {
        let kind = *table.get(at)?;
        let formatted = usize::from(*table.get(at + 1)?);
        if formatted < 4 {
            return None;
        }
        let strings_start = at.checked_add(formatted)?;
        // The string set ends with two NULs.
        let strings_len = table
            .get(strings_start..)?
            .windows(2)
            .position(|pair| pair == [0, 0])?;
        let strings = table.get(strings_start..strings_start + strings_len)?;
        if kind == BIOS_INFORMATION {
            let index = usize::from(*table.get(at + 4)?);
            let text = strings
                .split(|&byte| byte == 0)
                .nth(index.checked_sub(1)?)?;
            return Some(String::from_utf8_lossy(text).into());
        }
        if kind == END_OF_TABLE {
            return None;
        }
        at = strings_start + strings_len + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds an MBI from tags (type, data); sizes and padding filled in,
    /// an end tag appended.
    fn mbi(tags: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut bytes = vec![0u8; 8];
        for (kind, data) in tags.iter().chain([(TAG_END, Vec::new())].iter()) {
            bytes.extend(kind.to_le_bytes());
            bytes.extend((8 + data.len() as u32).to_le_bytes());
            bytes.extend(data);
            while !bytes.len().is_multiple_of(8) {
                bytes.push(0);
            }
        }
        let total = bytes.len() as u32;
        bytes[..4].copy_from_slice(&total.to_le_bytes());
        bytes
    }

    fn memory_map(entries: &[(u64, u64, u32)]) -> (u32, Vec<u8>) {
        let mut data = Vec::new();
        data.extend(24u32.to_le_bytes());
        data.extend(0u32.to_le_bytes());
        for &(base, len, kind) in entries {
            data.extend(base.to_le_bytes());
            data.extend(len.to_le_bytes());
            data.extend(kind.to_le_bytes());
            data.extend(0u32.to_le_bytes());
        }
        (TAG_MEMORY_MAP, data)
    }

    fn module(start: u32, end: u32, name: &str) -> (u32, Vec<u8>) {
        let mut data = Vec::new();
        data.extend(start.to_le_bytes());
        data.extend(end.to_le_bytes());
        data.extend(name.as_bytes());
        data.push(0);
        (TAG_MODULE, data)
    }

    fn command_line(text: &str) -> (u32, Vec<u8>) {
        let mut data = text.as_bytes().to_vec();
        data.push(0);
        (TAG_COMMAND_LINE, data)
    }

    /// The tags OVMF's GRUB passed (machines.md): its memory map has holes
    /// and runtime regions right above 1 MiB.
    #[test]
    fn an_ovmf_mbi_gives_ram_modules_command_line_efi_and_the_new_rsdp() {
        let bytes = mbi(&[
            (21, vec![0; 4]),
            command_line("image=demo heartbeat_ms=50"),
            (2, b"GRUB 2.06\0".to_vec()),
            module(0x34f000, 0x1390000, "bootfs"),
            memory_map(&[
                (0, 0xa0000, 1),
                (0x100000, 0x706000, 1),
                (0x806000, 0x2000, 4),
                (0x808000, 0x8000, 1),
                (0x810000, 0xf0000, 4),
                (0x900000, 0x7000000, 1),
                (0x7f00000, 0x100000, 20),
                (0x8000000, 0, 1),
                (0xb0000000, 0x10000000, 2),
            ]),
            (9, vec![0; 20]),
            (12, vec![0; 8]),
            (14, vec![0; 20]),
            (15, vec![0; 36]),
            (17, vec![0; 56]),
        ]);
        let parsed = parse(&bytes).unwrap();
        assert_eq!(parsed.command_line, "image=demo heartbeat_ms=50");
        assert_eq!(
            parsed.modules,
            vec![PhysRange {
                start: 0x34f000,
                end: 0x1390000
            }]
        );
        assert_eq!(
            parsed.ram,
            vec![
                PhysRange::new(0, 0xa0000),
                PhysRange::new(0x100000, 0x706000),
                PhysRange::new(0x808000, 0x8000),
                PhysRange::new(0x900000, 0x7000000),
            ],
            "types 2, 4 and 20 are not RAM; the empty entry is skipped"
        );
        assert!(parsed.efi);
        let rsdp = parsed.rsdp_offset.unwrap();
        assert_eq!(u32_at(&bytes, rsdp - 8), Some(TAG_ACPI_NEW_RSDP));
    }

    #[test]
    fn a_seabios_mbi_has_no_efi_tags_and_the_old_rsdp() {
        let bytes = mbi(&[
            command_line(""),
            (10, vec![0; 12]),
            memory_map(&[
                (0, 0x9fc00, 1),
                (0x100000, 0x7ee0000, 1),
                (0xfffc0000, 0x40000, 2),
            ]),
            (8, vec![0; 24]),
            (14, vec![0; 20]),
        ]);
        let parsed = parse(&bytes).unwrap();
        assert!(!parsed.efi);
        assert!(parsed.modules.is_empty());
        assert_eq!(parsed.ram.len(), 2);
        let rsdp = parsed.rsdp_offset.unwrap();
        assert_eq!(u32_at(&bytes, rsdp - 8), Some(TAG_ACPI_OLD_RSDP));
    }

    #[test]
    fn broken_mbis_are_refused() {
        let good = mbi(&[memory_map(&[(0x100000, 0x100000, 1)])]);
        assert!(parse(&good).is_ok());
        assert_eq!(
            parse(&good[..good.len() - 8]),
            Err(MbiError::BadSize(good.len() as u32))
        );
        assert_eq!(parse(&[8, 0, 0, 0, 0, 0, 0, 0]), Err(MbiError::BadSize(8)));
        // A tag longer than the MBI.
        let mut long = good.clone();
        long[12..16].copy_from_slice(&0x1000u32.to_le_bytes());
        assert!(matches!(
            parse(&long),
            Err(MbiError::BadTag { offset: 8, kind: 6 })
        ));
        // A tag shorter than its header would never advance.
        let mut short = good.clone();
        short[12..16].copy_from_slice(&4u32.to_le_bytes());
        assert!(matches!(parse(&short), Err(MbiError::BadTag { .. })));
        // No RAM at all.
        assert_eq!(
            parse(&mbi(&[memory_map(&[(0x100000, 0x100000, 3)])])),
            Err(MbiError::NoMemoryMap)
        );
        assert_eq!(
            parse(&mbi(&[command_line("x")])),
            Err(MbiError::NoMemoryMap)
        );
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics() {
        let good = mbi(&[
            command_line("image=smoke"),
            module(0x200000, 0x300000, "bootfs"),
            memory_map(&[(0x100000, 0x100000, 1)]),
        ]);
        for cut in 0..good.len() {
            let _ = parse(&good[..cut]);
        }
        for flip in 0..good.len() {
            let mut bytes = good.clone();
            bytes[flip] ^= 0xff;
            let _ = parse(&bytes);
        }
    }

    /// SeaBIOS's SMBIOS 2.x entry point and a BIOS-information structure
    /// as it builds them.
    #[test]
    fn the_bios_vendor_comes_from_the_smbios_type_0_structure() {
        let mut area = vec![0u8; 0x10000];
        let entry = 0xf5a0;
        area[entry..entry + 4].copy_from_slice(b"_SM_");
        area[entry + 0x16..entry + 0x18].copy_from_slice(&0x1a0u16.to_le_bytes());
        area[entry + 0x18..entry + 0x1c].copy_from_slice(&0x0fff_f000u32.to_le_bytes());
        assert_eq!(smbios_table(&area), Some((0x0fff_f000, 0x1a0)));
        area[0x100..0x105].copy_from_slice(b"_SM3_");
        area[0x10c..0x110].copy_from_slice(&0x200u32.to_le_bytes());
        area[0x110..0x118].copy_from_slice(&0x0ffe_0000u64.to_le_bytes());
        assert_eq!(
            smbios_table(&area),
            Some((0x0ffe_0000, 0x200)),
            "SMBIOS 3 first"
        );
        assert_eq!(smbios_table(&[0u8; 0x10000]), None);

        let mut table = Vec::new();
        // Type 1 (system) first, then type 0 (BIOS) naming string 1.
        table.extend([1, 8, 0, 1, 1, 0, 0, 0]);
        table.extend(b"QEMU\0\0");
        table.extend([0, 0x18, 0, 0, 1, 2, 0, 0xe8]);
        table.extend([0; 16]);
        table.extend(b"SeaBIOS\x001.16.2-debian-1.16.2-1\0\0");
        table.extend([127, 4, 0, 2, 0, 0]);
        assert_eq!(smbios_bios_vendor(&table).as_deref(), Some("SeaBIOS"));
        assert_eq!(smbios_bios_vendor(&table[..20]), None);
        assert_eq!(smbios_bios_vendor(&[127, 4, 0, 2, 0, 0]), None);
    }
}
