//! virtio-mmio transports: finding them and opening them.
//!
//! Two ways to find them, used together:
//! - the `virtio_mmio.device=` words of the command line
//!   ([`kernel_core::virtio_mmio`]): QEMU's microvm appends them with
//!   `acpi=off`, Firecracker always;
//! - QEMU microvm's fixed transport slots: 512 bytes each at
//!   `0xFEB00000 + i * 0x200`, 24 of them with ACPI on (the default, when
//!   nothing is appended to the command line) and 8 with `acpi=off`. A
//!   slot holds a device when it reads the magic "virt" and a nonzero
//!   device id; an empty transport reads device id 0, and the addresses
//!   past the last slot read 0 (no magic).
//!
//! The registers are device memory: they are reached through the direct
//! map, whose pages outside RAM are mapped uncached (write-through,
//! cache-disabled); [`open`] makes sure of the mapping first.

use super::paging;
use super::physmem::TableFrame;
use super::virtio_hal::DmaFrames;
use alloc::vec::Vec;
use core::ptr::NonNull;
use kernel_core::virtio_mmio::MmioWindow;
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::transport::{DeviceType, Transport};

/// First transport slot of QEMU's microvm.
const MICROVM_SLOTS_BASE: u64 = 0xFEB0_0000;
/// Size of one slot.
const MICROVM_SLOT_SIZE: u64 = 0x200;
/// Slots with ACPI on (8 with `acpi=off`; the rest then read 0).
const MICROVM_SLOTS: u64 = 24;
/// "virt", little-endian: the first register of every transport.
const MAGIC: u32 = 0x7472_6976;
/// Offset of the device-id register.
const DEVICE_ID: u64 = 0x008;
/// Smallest window that holds the registers and some configuration space.
const MIN_WINDOW: u64 = 0x100;

/// Maps `window` (uncached) and returns its virtual address.
fn map<F: DmaFrames>(window: MmioWindow) -> u64 {
    paging::map_device_memory(window.address, window.size, &mut || {
        // SAFETY: `allocate` hands out fresh frames nothing refers to.
        F::allocate(1).map(|frame| unsafe { TableFrame::from_raw(frame) })
    })
    .as_u64()
}

/// Reads the 32-bit register at `offset` of the window mapped at `base`.
fn register(base: u64, offset: u64) -> u32 {
    // SAFETY: `base` is the uncached mapping of a window of at least
    // MIN_WINDOW bytes (see `map`); MAGIC and DEVICE_ID are aligned
    // registers inside it, and reading them has no side effect.
    unsafe { core::ptr::read_volatile((base + offset) as *const u32) }
}

/// Whether the window holds a transport with a device behind it.
fn holds_device<F: DmaFrames>(window: MmioWindow) -> bool {
    let base = map::<F>(window);
    register(base, 0) == MAGIC && register(base, DEVICE_ID) != 0
}

/// The transports to try, in order: those on the command line, then the
/// microvm slots holding a device, from the top (where QEMU puts the
/// first device of its command line) down. Duplicates are dropped.
pub fn find<F: DmaFrames>(command_line: &str) -> Vec<MmioWindow> {
    let mut windows: Vec<MmioWindow> = kernel_core::virtio_mmio::windows(command_line)
        .into_iter()
        .filter(|window| window.size >= MIN_WINDOW)
        .collect();
    for slot in (0..MICROVM_SLOTS).rev() {
        let window = MmioWindow {
            address: MICROVM_SLOTS_BASE + slot * MICROVM_SLOT_SIZE,
            size: MICROVM_SLOT_SIZE,
        };
        if !windows.iter().any(|known| known.address == window.address) {
            windows.push(window);
        }
    }
    windows.retain(|window| holds_device::<F>(*window));
    windows
}

/// Opens the transport in `window` if it holds a device of type `kind`.
pub fn open<F: DmaFrames>(window: MmioWindow, kind: DeviceType) -> Option<MmioTransport<'static>> {
    let base = map::<F>(window);
    let header = NonNull::new(base as *mut VirtIOHeader)?;
    // SAFETY: `header` is the uncached mapping of the whole window (`map`),
    // which holds a virtio-mmio register block (magic checked by the
    // constructor) and its configuration space. The mapping is never
    // removed, so it is valid for 'static; the caller opens each window
    // at most once and keeps the transport for good.
    let transport = unsafe { MmioTransport::new(header, window.size as usize) }.ok()?;
    (transport.device_type() == kind).then_some(transport)
}
