//! What the kernel found itself running on: the machine, the boot path, the
//! firmware, the disk and where the programs came from.
//!
//! Each part of the boot records what it learned here (the entry code its
//! boot path, the disk driver its device); the Hello frame then tells the
//! host all of it at once.

use crate::sync::IrqLock;
use protocol::message::{BootPath, DiskKind, Firmware, MachineKind, Platform, ProgramSource};

static PLATFORM: IrqLock<Platform> = IrqLock::new(
    "platform",
    Platform {
        machine: MachineKind::Other,
        boot_path: BootPath::Pvh,
        firmware: Firmware::Unknown,
        disk: DiskKind::None,
        programs: ProgramSource::None,
    },
);

/// Everything recorded so far.
pub fn get() -> Platform {
    PLATFORM.with(|platform| *platform)
}

/// Records the machine type.
pub fn set_machine(machine: MachineKind) {
    PLATFORM.with(|platform| platform.machine = machine);
}

/// Records how the kernel was entered.
pub fn set_boot_path(boot_path: BootPath) {
    PLATFORM.with(|platform| platform.boot_path = boot_path);
}

/// Records the firmware that ran before the kernel.
pub fn set_firmware(firmware: Firmware) {
    PLATFORM.with(|platform| platform.firmware = firmware);
}

/// Records the disk the kernel drives.
pub fn set_disk(disk: DiskKind) {
    PLATFORM.with(|platform| platform.disk = disk);
}

/// Records where the programs came from.
pub fn set_programs(programs: ProgramSource) {
    PLATFORM.with(|platform| platform.programs = programs);
}

/// Recognises the machine from its PCI host bridge and records it.
pub fn detect_machine() -> MachineKind {
    /// Intel's Q35 host bridge (QEMU's `q35`).
    const Q35_HOST_BRIDGE: (u16, u16) = (0x8086, 0x29C0);
    let machine = match crate::arch::pci_config::host_bridge_id() {
        Some(Q35_HOST_BRIDGE) => MachineKind::Q35,
        Some(_) => MachineKind::Other,
        None => MachineKind::Microvm,
    };
    set_machine(machine);
    machine
}

/// Recognises a legacy firmware (SeaBIOS, qboot, another BIOS) from the
/// BIOS area and records it, unless the boot path already recorded one
/// (a UEFI boot). Needs the direct map (after memory setup).
pub fn detect_firmware() -> Firmware {
    let recorded = get().firmware;
    if recorded != Firmware::Unknown {
        return recorded;
    }
    let firmware = crate::arch::firmware::identify();
    set_firmware(firmware);
    firmware
}
