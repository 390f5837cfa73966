//! The virtio-blk backend, on whichever transport the machine has: PCI on
//! q35 (found by walking bus 0 through the configuration ports) or
//! virtio-mmio on microvm (found on the command line or in microvm's
//! transport slots, see [`crate::arch::virtio_mmio`]).

use super::DiskError;
use crate::arch::pci_config::PortConfigAccess;
use crate::arch::virtio_hal::KernelHal;
use crate::arch::virtio_mmio;
use crate::memory::DmaFrameSource as Frames;
use protocol::message::{DiskKind, MachineKind};
use virtio_drivers::device::blk::VirtIOBlk;
use virtio_drivers::transport::pci::bus::PciRoot;
use virtio_drivers::transport::pci::{PciTransport, virtio_device_type};
use virtio_drivers::transport::{DeviceType, SomeTransport};

/// A virtio block device on either transport.
pub type Device = VirtIOBlk<KernelHal<Frames>, SomeTransport<'static>>;

/// The first virtio block device on PCI bus 0.
fn pci_transport() -> Result<SomeTransport<'static>, DiskError> {
    let mut root = PciRoot::new(PortConfigAccess);
    let found = root
        .enumerate_bus(0)
        .find(|(_, info)| virtio_device_type(info) == Some(DeviceType::Block))
        .map(|(function, _)| function)
        .ok_or(DiskError::NotFound)?;
    PciTransport::new::<KernelHal<Frames>, _>(&mut root, found)
        .map(SomeTransport::from)
        .map_err(|_| DiskError::Init)
}

/// The first virtio block device on a virtio-mmio transport.
fn mmio_transport(command_line: &str) -> Result<SomeTransport<'static>, DiskError> {
    virtio_mmio::find::<Frames>(command_line)
        .into_iter()
        .find_map(|window| virtio_mmio::open::<Frames>(window, DeviceType::Block))
        .map(SomeTransport::from)
        .ok_or(DiskError::NotFound)
}

/// Finds and initialises the disk on `machine`: virtio-mmio on microvm
/// (it has no PCI bus), PCI elsewhere, then virtio-mmio if PCI has none.
pub fn open(machine: MachineKind, command_line: &str) -> Result<(Device, DiskKind), DiskError> {
    let (transport, kind) = match machine {
        MachineKind::Microvm => (mmio_transport(command_line)?, DiskKind::VirtioMmio),
        MachineKind::Q35 | MachineKind::Other => match pci_transport() {
            Err(DiskError::NotFound) => (mmio_transport(command_line)?, DiskKind::VirtioMmio),
            found => (found?, DiskKind::VirtioPci),
        },
    };
    // Bounce frames for every request from now on, so swap I/O never needs
    // a fresh frame (it runs exactly when there are none).
    if KernelHal::<Frames>::reserve_bounce_frames() < 3 {
        return Err(DiskError::Init);
    }
    let device = Device::new(transport).map_err(|_| DiskError::Init)?;
    Ok((device, kind))
}
