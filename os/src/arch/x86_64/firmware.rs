//! Which legacy firmware ran before the kernel, from the BIOS area
//! (0xF0000-0xFFFFF) and the SMBIOS table it names, read through the direct
//! map; the recognising is [`kernel_core::firmware`].

use super::paging::phys_to_virt;
use kernel_core::firmware::{BIOS_AREA, BIOS_AREA_LEN};
use protocol::message::Firmware;

/// The direct map always covers the first 4 GiB.
const DIRECT_MAP_FLOOR: u64 = 4 << 30;
/// Longest SMBIOS table read.
const MAX_TABLE: usize = 0x1_0000;

/// `len` bytes of physical memory, if they lie below 4 GiB.
fn physical(address: u64, len: usize) -> Option<&'static [u8]> {
    if address.checked_add(len as u64)? > DIRECT_MAP_FLOOR {
        return None;
    }
    // SAFETY: the direct map covers the first 4 GiB (RAM cached, the rest
    // uncached), and the range lies there (checked above). The BIOS area
    // and the SMBIOS table are firmware data that nothing writes after
    // boot, and plain reads of them have no side effects.
    Some(unsafe { core::slice::from_raw_parts(phys_to_virt(address).as_ptr::<u8>(), len) })
}

/// Recognises the firmware (see [`kernel_core::firmware`]).
pub fn identify() -> Firmware {
    let Some(area) = physical(BIOS_AREA, BIOS_AREA_LEN) else {
        return Firmware::Unknown;
    };
    kernel_core::firmware::identify(area, |address, len| physical(address, len.min(MAX_TABLE)))
}
