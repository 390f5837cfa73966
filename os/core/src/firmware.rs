//! Recognising a legacy firmware from what it leaves in the BIOS area
//! (physical 0xF0000-0xFFFFF); the kernel's arch code hands these functions
//! the bytes.
//!
//! - An SMBIOS entry point ("_SM_" or "_SM3_" on a 16-byte boundary, with a
//!   valid checksum) names the structure table; its type-0 structure (BIOS
//!   information) names the vendor: SeaBIOS (QEMU's q35 with `-kernel`)
//!   says "SeaBIOS"; qboot says "qboot"; any other vendor is another BIOS.
//! - Without SMBIOS (QEMU gives microvm no SMBIOS tables, so qboot installs
//!   none), qboot's own image in the F segment still carries its default
//!   type-0 vendor string "qboot", NUL-terminated on both sides.

use protocol::message::Firmware;

/// Physical address of the BIOS area.
pub const BIOS_AREA: u64 = 0xF_0000;
/// Its length.
pub const BIOS_AREA_LEN: usize = 0x1_0000;

fn checksum_ok(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte)) == 0
}

fn u16_at(bytes: &[u8], offset: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        bytes.get(offset..offset + 2)?.try_into().ok()?,
    ))
}

fn u32_at(bytes: &[u8], offset: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        bytes.get(offset..offset + 4)?.try_into().ok()?,
    ))
}

fn u64_at(bytes: &[u8], offset: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        bytes.get(offset..offset + 8)?.try_into().ok()?,
    ))
}

/// The SMBIOS structure table (physical address, length) named by the
/// first valid entry point in `area` (the BIOS area's bytes).
pub fn smbios_table(area: &[u8]) -> Option<(u64, usize)> {
    (0..area.len()).step_by(16).find_map(|offset| {
        let rest = area.get(offset..)?;
        if rest.starts_with(b"_SM3_") {
            let len = usize::from(*rest.get(6)?);
            if !checksum_ok(rest.get(..len)?) {
                return None;
            }
            Some((u64_at(rest, 0x10)?, u32_at(rest, 0x0C)? as usize))
        } else if rest.starts_with(b"_SM_") {
            let len = usize::from(*rest.get(5)?);
            if !checksum_ok(rest.get(..len)?) {
                return None;
            }
            Some((
                u64::from(u32_at(rest, 0x18)?),
                usize::from(u16_at(rest, 0x16)?),
            ))
        } else {
            None
        }
    })
}

/// The vendor string of the first type-0 structure in an SMBIOS table.
pub fn bios_vendor(table: &[u8]) -> Option<&[u8]> {
    let mut offset = 0;
    loop {
        let kind = *table.get(offset)?;
        let formatted = usize::from(*table.get(offset + 1)?);
        if formatted < 4 {
            return None;
        }
        let strings = offset + formatted;
        // The string set ends with two NULs.
        let strings_len = table
            .get(strings..)?
            .windows(2)
            .position(|pair| pair == [0, 0])?;
        if kind == 0 {
            let index = usize::from(*table.get(offset + 4)?);
            let set = table.get(strings..strings + strings_len)?;
            return set.split(|byte| *byte == 0).nth(index.checked_sub(1)?);
        }
        if kind == 127 {
            return None;
        }
        offset = strings + strings_len + 2;
    }
}

/// The firmware a vendor string names.
pub fn from_vendor(vendor: Option<&[u8]>) -> Firmware {
    match vendor {
        Some(b"SeaBIOS") => Firmware::SeaBios,
        Some(b"qboot") => Firmware::Qboot,
        Some(_) => Firmware::OtherBios,
        None => Firmware::Unknown,
    }
}

/// Whether `area` holds qboot's image (its vendor string).
pub fn holds_qboot(area: &[u8]) -> bool {
    area.windows(7).any(|window| window == b"\0qboot\0")
}

/// Recognises the firmware from the BIOS area, `read(address, len)`
/// giving the bytes of the SMBIOS table (`None` where it cannot be read).
pub fn identify<'a>(area: &[u8], read: impl FnOnce(u64, usize) -> Option<&'a [u8]>) -> Firmware {
    if let Some((address, len)) = smbios_table(area) {
        return from_vendor(read(address, len).and_then(bios_vendor));
    }
    if holds_qboot(area) {
        return Firmware::Qboot;
    }
    Firmware::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SeaBIOS 1.16.2 under QEMU 7.2's q35, as the kernel finds it: the
    /// SMBIOS 2.8 entry point at 0xF5A00 and its table right after it.
    const SEABIOS: &[u8] = include_bytes!("fixtures/seabios-smbios.bin");
    const SEABIOS_AT: usize = 0x5A00;

    fn area_with(bytes: &[u8], at: usize) -> Vec<u8> {
        let mut area = vec![0; BIOS_AREA_LEN];
        area[at..at + bytes.len()].copy_from_slice(bytes);
        area
    }

    #[test]
    fn seabios_is_recognised_by_its_smbios_vendor() {
        let area = area_with(SEABIOS, SEABIOS_AT);
        assert_eq!(smbios_table(&area), Some((0xF5A20, 0x178)));
        assert_eq!(bios_vendor(&SEABIOS[0x20..]), Some(&b"SeaBIOS"[..]));
        let read = |address: u64, len: usize| {
            let start = (address - BIOS_AREA) as usize;
            area.get(start..start + len)
        };
        assert_eq!(identify(&area, read), Firmware::SeaBios);
    }

    #[test]
    fn a_bad_checksum_or_misaligned_anchor_is_no_entry_point() {
        let mut broken = SEABIOS.to_vec();
        broken[4] ^= 1;
        assert_eq!(smbios_table(&area_with(&broken, SEABIOS_AT)), None);
        assert_eq!(smbios_table(&area_with(SEABIOS, SEABIOS_AT + 8)), None);
    }

    #[test]
    fn qboot_is_recognised_by_its_image_without_smbios() {
        // qboot's strings as they sit in its image: "...0x\0qboot\00.1\0".
        let area = area_with(b"etc/e820\x000x\x00qboot\x000.1\x0011/11/2019\x00", 0x3140);
        assert_eq!(identify(&area, |_, _| None), Firmware::Qboot);
        assert_eq!(
            identify(&vec![0; BIOS_AREA_LEN], |_, _| None),
            Firmware::Unknown
        );
    }

    #[test]
    fn other_vendors_and_unreadable_tables() {
        assert_eq!(from_vendor(Some(b"EDK II")), Firmware::OtherBios);
        let area = area_with(SEABIOS, SEABIOS_AT);
        assert_eq!(identify(&area, |_, _| None), Firmware::Unknown);
        // A table with no type-0 structure: only the end-of-table marker.
        assert_eq!(bios_vendor(&[127, 4, 0, 0, 0, 0]), None);
    }
}
