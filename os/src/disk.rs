//! The disk: one block device, read and written a page (eight 512-byte
//! sectors) at a time. This module dispatches; each kind of device has its
//! own backend module: virtio-blk on PCI or virtio-mmio ([`virtio`]), else
//! a SATA disk on an AHCI controller (`crate::ahci`).
//!
//! It holds the image's boot archive (the programs) followed by the swap
//! area. Requests are synchronous: the kernel waits for each to complete
//! with interrupts off, which is simple and, under QEMU, fast.

mod virtio;

use crate::ahci::AhciDisk;
use crate::memory::Frame;
use crate::sync::IrqLock;
use core::sync::atomic::{AtomicU64, Ordering};
use protocol::message::DiskKind;
use virtio_drivers::device::blk::SECTOR_SIZE;

/// Sectors per page.
pub const SECTORS_PER_PAGE: u64 = 4096 / SECTOR_SIZE as u64;

/// The disk's driver.
#[allow(
    clippy::large_enum_variant,
    reason = "one instance, in a static, for the whole run"
)]
enum Backend {
    Virtio(virtio::Device),
    Ahci(AhciDisk),
}

static DISK: IrqLock<Option<Backend>> = IrqLock::new("disk", None);
static READS: AtomicU64 = AtomicU64::new(0);
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Why the disk is unusable or a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskError {
    /// No block device found (no virtio-blk, no AHCI disk).
    NotFound,
    /// The device did not initialise.
    Init,
    /// A request failed (or went past the end of the disk).
    Io,
}

/// Finds and initialises the disk of the machine recorded in
/// [`crate::platform`] (`command_line` may name virtio-mmio transports):
/// virtio-blk preferred, then AHCI. Records its kind there and returns its
/// size in sectors.
pub fn init(command_line: &str) -> Result<u64, DiskError> {
    let (backend, sectors, kind) = match virtio::open(crate::platform::get().machine, command_line)
    {
        Ok((device, kind)) => {
            let sectors = device.capacity();
            (Backend::Virtio(device), sectors, kind)
        }
        Err(DiskError::NotFound) => {
            let disk = AhciDisk::find().map_err(|error| match error {
                crate::ahci::AhciError::NotFound => DiskError::NotFound,
                _ => DiskError::Init,
            })?;
            let sectors = disk.sectors();
            (Backend::Ahci(disk), sectors, DiskKind::Ahci)
        }
        Err(error) => return Err(error),
    };
    DISK.with(|disk| *disk = Some(backend));
    crate::platform::set_disk(kind);
    Ok(sectors)
}

/// Reads the page at `sector` into `frame`.
#[allow(unsafe_code)]
pub fn read_page(sector: u64, frame: &mut Frame) -> Result<(), DiskError> {
    let result = DISK.with(|disk| {
        match disk.as_mut().ok_or(DiskError::NotFound)? {
            Backend::Virtio(device) => {
                // SAFETY: the closure only hands the bytes to the driver,
                // which copies into them from a bounce frame; it touches no
                // `Frame`.
                unsafe { frame.with_bytes(|bytes| device.read_blocks(sector as usize, bytes)) }
                    .map_err(|_| DiskError::Io)
            }
            Backend::Ahci(device) => device.read_page(sector, frame).map_err(|_| DiskError::Io),
        }
    });
    READS.fetch_add(1, Ordering::Relaxed);
    result
}

/// Writes `frame` to the page at `sector`.
#[allow(unsafe_code)]
pub fn write_page(sector: u64, frame: &mut Frame) -> Result<(), DiskError> {
    let result = DISK.with(|disk| {
        match disk.as_mut().ok_or(DiskError::NotFound)? {
            Backend::Virtio(device) => {
                // SAFETY: the closure only hands the bytes to the driver,
                // which copies them to a bounce frame; it touches no
                // `Frame`.
                unsafe { frame.with_bytes(|bytes| device.write_blocks(sector as usize, bytes)) }
                    .map_err(|_| DiskError::Io)
            }
            Backend::Ahci(device) => device.write_page(sector, frame).map_err(|_| DiskError::Io),
        }
    });
    WRITES.fetch_add(1, Ordering::Relaxed);
    result
}

/// Pages read and written since boot.
pub fn io_counts() -> (u64, u64) {
    (
        READS.load(Ordering::Relaxed),
        WRITES.load(Ordering::Relaxed),
    )
}
