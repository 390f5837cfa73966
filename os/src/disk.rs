//! The disk: one virtio-blk device on the PCI bus or, failing that, a SATA
//! disk on an AHCI controller (`crate::ahci`), read and written a page
//! (eight 512-byte sectors) at a time.
//!
//! It holds the image's boot archive (the programs) followed by the swap
//! area. Requests are synchronous: the kernel waits for each to complete
//! with interrupts off, which is simple and, under QEMU, fast.

use crate::ahci::AhciDisk;
use crate::arch::pci_config::PortConfigAccess;
use crate::arch::virtio_hal::KernelHal;
use crate::memory::Frame;
use crate::sync::IrqLock;
use core::sync::atomic::{AtomicU64, Ordering};
use protocol::message::DiskKind;
use virtio_drivers::device::blk::{SECTOR_SIZE, VirtIOBlk};
use virtio_drivers::transport::DeviceType;
use virtio_drivers::transport::pci::bus::PciRoot;
use virtio_drivers::transport::pci::{PciTransport, virtio_device_type};

/// Sectors per page.
pub const SECTORS_PER_PAGE: u64 = 4096 / SECTOR_SIZE as u64;

type Device = VirtIOBlk<KernelHal<Frames>, PciTransport>;

use crate::memory::DmaFrameSource as Frames;

/// The disk's driver.
#[allow(
    clippy::large_enum_variant,
    reason = "one instance, in a static, for the whole run"
)]
enum Backend {
    VirtioPci(Device),
    Ahci(AhciDisk),
}

static DISK: IrqLock<Option<Backend>> = IrqLock::new("disk", None);
static READS: AtomicU64 = AtomicU64::new(0);
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Why the disk is unusable or a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskError {
    /// No virtio block device on the PCI bus and no AHCI disk.
    NotFound,
    /// The device did not initialise.
    Init,
    /// A request failed (or went past the end of the disk).
    Io,
}

/// Finds and initialises the disk (virtio-blk preferred, then AHCI);
/// returns its size in sectors and records its kind.
pub fn init() -> Result<u64, DiskError> {
    let (backend, sectors, kind) = match init_virtio_pci() {
        Ok((device, sectors)) => (Backend::VirtioPci(device), sectors, DiskKind::VirtioPci),
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

/// Finds and initialises a virtio-blk device on PCI bus 0.
fn init_virtio_pci() -> Result<(Device, u64), DiskError> {
    let mut root = PciRoot::new(PortConfigAccess);
    let found = root
        .enumerate_bus(0)
        .find(|(_, info)| virtio_device_type(info) == Some(DeviceType::Block))
        .map(|(function, _)| function)
        .ok_or(DiskError::NotFound)?;
    let transport =
        PciTransport::new::<KernelHal<Frames>, _>(&mut root, found).map_err(|_| DiskError::Init)?;
    // Bounce frames for every request from now on, so swap I/O never needs
    // a fresh frame (it runs exactly when there are none).
    if KernelHal::<Frames>::reserve_bounce_frames() < 3 {
        return Err(DiskError::Init);
    }
    let device = Device::new(transport).map_err(|_| DiskError::Init)?;
    let capacity = device.capacity();
    Ok((device, capacity))
}

/// Reads the page at `sector` into `frame`.
#[allow(unsafe_code)]
pub fn read_page(sector: u64, frame: &mut Frame) -> Result<(), DiskError> {
    let result = DISK.with(|disk| {
        match disk.as_mut().ok_or(DiskError::NotFound)? {
            Backend::VirtioPci(device) => {
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
            Backend::VirtioPci(device) => {
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
