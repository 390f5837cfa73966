//! Which legacy firmware ran before a PVH boot, recognised from what it
//! leaves in the BIOS area (0xF0000-0xFFFFF, reached through the direct
//! map; it is ROM or write-protected shadow RAM, only read here):
//!
//! - An SMBIOS entry point ("_SM_" or "_SM3_" on a 16-byte boundary, with a
//!   valid checksum) whose type-0 structure (BIOS information) names the
//!   vendor: SeaBIOS (q35 with `-kernel`) says "SeaBIOS"; qboot would say
//!   "qboot"; any other vendor is another BIOS.
//! - No SMBIOS entry point (QEMU gives microvm no SMBIOS tables, so qboot
//!   installs none) but qboot's own image in the F segment: it carries its
//!   default type-0 vendor string, "qboot" (NUL-terminated on both sides),
//!   which is what is looked for.
//! - Neither: unknown.

use super::paging::phys_to_virt;
use protocol::message::Firmware;

const BIOS_AREA: u64 = 0xF_0000;
const BIOS_AREA_LEN: usize = 0x1_0000;
/// The SMBIOS table must lie below this to be read (the direct map always
/// covers the first 4 GiB).
const DIRECT_MAP_FLOOR: u64 = 4 << 30;
/// Longest SMBIOS table read.
const MAX_TABLE: usize = 0x1_0000;

/// `len` bytes of physical memory below 4 GiB.
fn physical(address: u64, len: usize) -> &'static [u8] {
    debug_assert!(address + len as u64 <= DIRECT_MAP_FLOOR);
    // SAFETY: the direct map covers the first 4 GiB (RAM cached, the rest
    // uncached; callers check the range lies below 4 GiB). The BIOS area
    // and the SMBIOS table are firmware data nothing writes after boot,
    // and plain reads of them have no side effects.
    unsafe { core::slice::from_raw_parts(phys_to_virt(address).as_ptr::<u8>(), len) }
}

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

/// The SMBIOS structure table (address, length) named by an entry point in
/// the BIOS area.
fn smbios_table(area: &[u8]) -> Option<(u64, usize)> {
    (0..area.len()).step_by(16).find_map(|offset| {
        let rest = area.get(offset..)?;
        if rest.starts_with(b"_SM3_") {
            let len = usize::from(*rest.get(6)?);
            checksum_ok(rest.get(..len)?)
                .then(|| Some((u64_at(rest, 0x10)?, u32_at(rest, 0x0C)? as usize)))?
        } else if rest.starts_with(b"_SM_") {
            let len = usize::from(*rest.get(5)?);
            checksum_ok(rest.get(..len)?).then(|| {
                Some((
                    u64::from(u32_at(rest, 0x18)?),
                    usize::from(u16_at(rest, 0x16)?),
                ))
            })?
        } else {
            None
        }
    })
}

/// The vendor string of the first type-0 structure in `table`.
fn bios_vendor(table: &[u8]) -> Option<&[u8]> {
    let mut offset = 0;
    loop {
        let kind = *table.get(offset)?;
        let formatted = usize::from(*table.get(offset + 1)?);
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

/// Recognises the firmware from the BIOS area (see the module docs).
pub fn identify() -> Firmware {
    let area = physical(BIOS_AREA, BIOS_AREA_LEN);
    if let Some((address, len)) = smbios_table(area) {
        let len = len.min(MAX_TABLE);
        if address + len as u64 <= DIRECT_MAP_FLOOR {
            return match bios_vendor(physical(address, len)) {
                Some(b"SeaBIOS") => Firmware::SeaBios,
                Some(b"qboot") => Firmware::Qboot,
                Some(_) => Firmware::OtherBios,
                None => Firmware::Unknown,
            };
        }
    }
    if area.windows(7).any(|window| window == b"\0qboot\0") {
        return Firmware::Qboot;
    }
    Firmware::Unknown
}
