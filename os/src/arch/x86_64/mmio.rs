//! Device registers in memory space (a PCI BAR), and reads of firmware
//! memory (ACPI tables, the BIOS area) through the direct map.
//!
//! Both stay below 4 GiB here, which the direct map always covers (see
//! `paging::init_kernel_space`); memory that is not RAM is mapped there
//! uncached, so register accesses reach the device in order.

use super::paging::phys_to_virt;
use super::pci_config::PortConfigAccess;
use core::sync::atomic::{Ordering, fence};
use virtio_drivers::transport::pci::bus::{BarInfo, DeviceFunction, PciRoot};

/// The direct map always covers physical memory below this.
const ALWAYS_MAPPED: u64 = 4 << 30;

/// A device's register block: `len` bytes of memory space, mapped
/// uncached. Accesses are 32-bit, aligned and bounds-checked.
#[derive(Debug)]
pub struct Registers {
    base: u64,
    len: usize,
}

impl Registers {
    /// The memory BAR `bar` of PCI function `function`, if it is a 32- or
    /// 64-bit memory BAR of at least `min_len` bytes below 4 GiB. Its
    /// registers are mapped uncached; all of the BAR (at most 1 MiB) can be
    /// accessed.
    pub fn pci_bar(
        root: &mut PciRoot<PortConfigAccess>,
        function: DeviceFunction,
        bar: u8,
        min_len: usize,
    ) -> Option<Registers> {
        let info = root.bar_info(function, bar).ok()??;
        let BarInfo::Memory { address, size, .. } = info else {
            return None;
        };
        if address == 0 || size < min_len as u64 || address.checked_add(size)? > ALWAYS_MAPPED {
            return None;
        }
        let len = size.min(1 << 20) as usize;
        // The direct map already covers it, uncached because it is not RAM.
        Some(Registers {
            base: phys_to_virt(address).as_u64(),
            len,
        })
    }

    /// Reads the 32-bit register at `offset`; all ones if `offset` is out
    /// of range or unaligned (as an absent device reads).
    pub fn read(&self, offset: usize) -> u32 {
        if !offset.is_multiple_of(4) || offset + 4 > self.len {
            return u32::MAX;
        }
        // SAFETY: `base..base + len` is the device's register block, mapped
        // uncached (`pci_bar`); `offset` is in range and aligned. A volatile
        // read has no effect on memory the kernel owns.
        let value =
            unsafe { core::ptr::read_volatile((self.base as usize + offset) as *const u32) };
        // Device-written DMA memory is read only after the register says
        // the device is done.
        fence(Ordering::SeqCst);
        value
    }

    /// Writes the 32-bit register at `offset`; ignored if `offset` is out of
    /// range or unaligned.
    pub fn write(&self, offset: usize, value: u32) {
        if !offset.is_multiple_of(4) || offset + 4 > self.len {
            return;
        }
        // DMA structures written before this register write are visible to
        // the device before it acts on it.
        fence(Ordering::SeqCst);
        // SAFETY: as in `read`; the write goes to the device's register.
        unsafe { core::ptr::write_volatile((self.base as usize + offset) as *mut u32, value) };
    }
}

/// Copies physical memory at `address` (below 4 GiB: firmware tables, the
/// BIOS data area) into `buffer`; false if the range reaches 4 GiB.
pub fn read_physical(address: u64, buffer: &mut [u8]) -> bool {
    let Some(end) = address.checked_add(buffer.len() as u64) else {
        return false;
    };
    if end > ALWAYS_MAPPED {
        return false;
    }
    let source = phys_to_virt(address).as_ptr::<u8>();
    for (index, byte) in buffer.iter_mut().enumerate() {
        // SAFETY: the direct map covers every physical address below
        // 4 GiB (checked above), RAM or not; a byte read of firmware memory
        // has no effect on memory the kernel owns. Volatile, because it
        // may be device memory.
        *byte = unsafe { core::ptr::read_volatile(source.add(index)) };
    }
    true
}
