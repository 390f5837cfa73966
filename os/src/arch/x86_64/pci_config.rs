//! PCI configuration space through the legacy I/O ports 0xCF8/0xCFC.
//!
//! Works on every PC-compatible machine (QEMU's `pc` and `q35` alike)
//! without first finding the ECAM window in ACPI tables.

use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction};
use x86_64::instructions::port::Port;

const ADDRESS_PORT: u16 = 0xCF8;
const DATA_PORT: u16 = 0xCFC;

/// Configuration-space access through ports 0xCF8/0xCFC.
pub struct PortConfigAccess;

fn address(device_function: DeviceFunction, register_offset: u8) -> u32 {
    0x8000_0000
        | (u32::from(device_function.bus) << 16)
        | (u32::from(device_function.device) << 11)
        | (u32::from(device_function.function) << 8)
        | u32::from(register_offset & 0xFC)
}

impl ConfigurationAccess for PortConfigAccess {
    fn read_word(&self, device_function: DeviceFunction, register_offset: u8) -> u32 {
        // SAFETY: 0xCF8/0xCFC are the PC's configuration-access ports; the
        // kernel runs with interrupts off on one CPU, so the address/data
        // pair is not interleaved with another access.
        unsafe {
            Port::<u32>::new(ADDRESS_PORT).write(address(device_function, register_offset));
            Port::<u32>::new(DATA_PORT).read()
        }
    }

    fn write_word(&mut self, device_function: DeviceFunction, register_offset: u8, data: u32) {
        // SAFETY: as in `read_word`.
        unsafe {
            Port::<u32>::new(ADDRESS_PORT).write(address(device_function, register_offset));
            Port::<u32>::new(DATA_PORT).write(data);
        }
    }

    unsafe fn unsafe_clone(&self) -> Self {
        PortConfigAccess
    }
}
