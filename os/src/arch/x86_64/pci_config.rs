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

/// Vendor and device id of the host bridge at 00:00.0, or `None` when no
/// PCI bus answers through the I/O ports (as on QEMU's microvm).
pub fn host_bridge_id() -> Option<(u16, u16)> {
    let word = PortConfigAccess.read_word(
        DeviceFunction {
            bus: 0,
            device: 0,
            function: 0,
        },
        0,
    );
    let vendor = (word & 0xFFFF) as u16;
    (vendor != 0xFFFF && vendor != 0).then_some((vendor, (word >> 16) as u16))
}
