//! The port telemetry frames leave by: COM1 (the 16550, the default and the
//! design's transport) or, with the boot option `link=virtio`, the first
//! port of a virtio console (`virtio-serial-pci` + `virtconsole`, q35).
//!
//! Only on PCI: over virtio-mmio (microvm's `virtio-serial-device`) QEMU
//! wrote the first byte and the guest then spun for ever in
//! `VirtQueue::add_notify_wait_pop` waiting for the used ring (not yet
//! diagnosed), so a console there is not used and the link stays on COM1.
//!
//! The frames are the same bytes either way; only [`send_some`] chooses.
//! COM1 always carries the start-of-stream delimiter (written before any
//! device is found), and everything if the console is missing. Commands
//! from the host arrive on the same port as the frames leave by
//! ([`receive_byte`]).
//!
//! A console write hands the device up to a page at once and waits for it
//! to be taken (one notification, where the 16550 costs an I/O exit per
//! byte); a host that stops reading therefore holds the guest back, as a
//! full pipe would, instead of losing bytes.

use crate::arch::pci_config::PortConfigAccess;
use crate::arch::serial;
use crate::arch::virtio_hal::KernelHal;
use crate::memory::DmaFrameSource as Frames;
use core::sync::atomic::{AtomicBool, Ordering};
use protocol::message::MachineKind;
use spin::Mutex;
use virtio_drivers::device::console::VirtIOConsole;
use virtio_drivers::transport::pci::bus::PciRoot;
use virtio_drivers::transport::pci::{PciTransport, virtio_device_type};
use virtio_drivers::transport::{DeviceType, SomeTransport};

/// A virtio console on either transport.
type Console = VirtIOConsole<KernelHal<Frames>, SomeTransport<'static>>;

/// Largest write handed to the console at once: one bounce frame.
const MAX_WRITE: usize = 4096;

/// The console, once [`open`] found one; `None` means COM1.
static CONSOLE: Mutex<Option<Console>> = Mutex::new(None);

/// Where the console was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// virtio-pci (q35).
    Pci,
}

/// Why `link=virtio` fell back to COM1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// No virtio console device on the machine.
    NotFound,
    /// The device did not initialise.
    Init,
}

fn pci_transport() -> Option<SomeTransport<'static>> {
    let mut root = PciRoot::new(PortConfigAccess);
    let found = root
        .enumerate_bus(0)
        .find(|(_, info)| virtio_device_type(info) == Some(DeviceType::Console))
        .map(|(function, _)| function)?;
    PciTransport::new::<KernelHal<Frames>, _>(&mut root, found)
        .ok()
        .map(SomeTransport::from)
}

/// Finds the virtio console on `machine` (PCI only, see the module's
/// documentation) and makes it the telemetry link. On failure the link
/// stays on COM1.
pub fn open(machine: MachineKind) -> Result<Transport, LinkError> {
    let transport = match machine {
        MachineKind::Microvm => None,
        MachineKind::Q35 | MachineKind::Other => pci_transport(),
    };
    let (transport, kind) = (transport.ok_or(LinkError::NotFound)?, Transport::Pci);
    // The console keeps one bounce frame for its receive buffer and takes
    // one per write; the pool is shared with the disk (see BOUNCE_FRAMES).
    KernelHal::<Frames>::reserve_bounce_frames();
    let mut console = Console::new(transport).map_err(|_| LinkError::Init)?;
    // Whatever came before on this port (nothing, normally) ends here, as
    // COM1's start-of-stream delimiter does there.
    console
        .send_bytes(&[protocol::frame::DELIMITER])
        .map_err(|_| LinkError::Init)?;
    *CONSOLE.lock() = Some(console);
    Ok(kind)
}

/// Set on the panic path: a console left locked by the panicking code is
/// given up for COM1 (see [`unlock_for_panic`]).
static PANICKING: AtomicBool = AtomicBool::new(false);

/// Writes some of `bytes` to the link (up to a page on the console, up to
/// the FIFO on COM1); returns how many. Never blocks on a lock.
pub fn send_some(bytes: &[u8]) -> usize {
    let Some(mut guard) = CONSOLE.try_lock() else {
        return if PANICKING.load(Ordering::Relaxed) {
            serial::send_some(bytes)
        } else {
            0
        };
    };
    match guard.as_mut() {
        Some(console) => {
            let chunk = bytes.get(..bytes.len().min(MAX_WRITE)).unwrap_or(bytes);
            match console.send_bytes(chunk) {
                Ok(()) => chunk.len(),
                Err(_) => 0,
            }
        }
        None => {
            drop(guard);
            serial::send_some(bytes)
        }
    }
}

/// Takes one byte the host sent on the link, if any is waiting.
pub fn receive_byte() -> Option<u8> {
    let mut guard = CONSOLE.try_lock()?;
    match guard.as_mut() {
        Some(console) => console.recv(true).ok().flatten(),
        None => {
            drop(guard);
            serial::receive_byte()
        }
    }
}

/// The panic path: releases COM1's lock whoever holds it. A console whose
/// lock is held (the panic struck inside a console write) is not forced
/// (its queue may be half updated): the final frames go to COM1 instead.
pub fn unlock_for_panic() {
    serial::unlock_for_panic();
    PANICKING.store(true, Ordering::Relaxed);
}
