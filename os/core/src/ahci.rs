//! AHCI (SATA) layouts and decisions, without the hardware: register
//! offsets, port classification, and the bytes of the command header, the
//! command FIS and the physical region descriptor the controller reads from
//! memory. The kernel's driver (`os/src/ahci.rs`) writes these bytes into a
//! DMA frame and pokes the registers.
//!
//! Layouts follow the AHCI 1.3.1 specification (sections 3 and 4) and the
//! ATA command set (ACS-3): READ/WRITE DMA EXT (0x25/0x35) with 48-bit LBAs.

/// PCI class, subclass and programming interface of an AHCI controller.
pub const PCI_CLASS_AHCI: (u8, u8, u8) = (0x01, 0x06, 0x01);
/// The BAR holding the controller's registers (ABAR).
pub const ABAR_INDEX: u8 = 5;

/// Generic host control registers (offsets into ABAR).
pub mod hba {
    /// Host capabilities.
    pub const CAP: usize = 0x00;
    /// Global host control.
    pub const GHC: usize = 0x04;
    /// Ports implemented (bit i: port i).
    pub const PI: usize = 0x0C;
    /// GHC: AHCI enable.
    pub const GHC_AE: u32 = 1 << 31;
    /// GHC: interrupt enable.
    pub const GHC_IE: u32 = 1 << 1;
    /// CAP: 64-bit addressing.
    pub const CAP_S64A: u32 = 1 << 31;
}

/// Port registers (offsets from the port's base, [`port_base`]).
pub mod port {
    /// Command list base address (low, high).
    pub const CLB: usize = 0x00;
    /// Command list base address, upper 32 bits.
    pub const CLBU: usize = 0x04;
    /// Received-FIS base address.
    pub const FB: usize = 0x08;
    /// Received-FIS base address, upper 32 bits.
    pub const FBU: usize = 0x0C;
    /// Interrupt status.
    pub const IS: usize = 0x10;
    /// Interrupt enable.
    pub const IE: usize = 0x14;
    /// Command and status.
    pub const CMD: usize = 0x18;
    /// Task file data (ATA status in bits 7:0, error in 15:8).
    pub const TFD: usize = 0x20;
    /// Signature of the attached device.
    pub const SIG: usize = 0x24;
    /// SATA status (SStatus).
    pub const SSTS: usize = 0x28;
    /// SATA error (SError).
    pub const SERR: usize = 0x30;
    /// Command issue (bit i: slot i).
    pub const CI: usize = 0x38;

    /// CMD: start (process the command list).
    pub const CMD_ST: u32 = 1 << 0;
    /// CMD: FIS receive enable.
    pub const CMD_FRE: u32 = 1 << 4;
    /// CMD: FIS receive running.
    pub const CMD_FR: u32 = 1 << 14;
    /// CMD: command list running.
    pub const CMD_CR: u32 = 1 << 15;
    /// IS: task file error status.
    pub const IS_TFES: u32 = 1 << 30;
    /// TFD: ATA status ERR.
    pub const TFD_ERR: u32 = 1 << 0;
    /// TFD: ATA status DRQ.
    pub const TFD_DRQ: u32 = 1 << 3;
    /// TFD: ATA status BSY.
    pub const TFD_BSY: u32 = 1 << 7;
}

/// Number of ports an HBA can have.
pub const MAX_PORTS: usize = 32;

/// Offset of port `index`'s registers in ABAR.
pub const fn port_base(index: usize) -> usize {
    0x100 + index * 0x80
}

/// The smallest ABAR: the generic registers and one port (ICH9's is
/// 4 KiB, room for 30 ports; all 32 need 0x1100 bytes).
pub const ABAR_MIN_SIZE: usize = port_base(1);

/// ATA commands.
pub mod ata {
    /// IDENTIFY DEVICE (PIO data-in, 512 bytes).
    pub const IDENTIFY_DEVICE: u8 = 0xEC;
    /// READ DMA EXT (48-bit LBA).
    pub const READ_DMA_EXT: u8 = 0x25;
    /// WRITE DMA EXT (48-bit LBA).
    pub const WRITE_DMA_EXT: u8 = 0x35;
}

/// What a port's signature says is attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortDevice {
    /// A SATA disk (signature 0x0000_0101).
    Disk,
    /// A SATA ATAPI device, e.g. a CD-ROM (0xEB14_0101).
    Atapi,
    /// Enclosure management bridge (0xC33C_0101).
    EnclosureBridge,
    /// Port multiplier (0x9669_0101).
    PortMultiplier,
    /// Anything else.
    Unknown(u32),
}

impl PortDevice {
    /// Classifies the value of a port's `SIG` register.
    pub const fn from_signature(signature: u32) -> PortDevice {
        match signature {
            0x0000_0101 => PortDevice::Disk,
            0xEB14_0101 => PortDevice::Atapi,
            0xC33C_0101 => PortDevice::EnclosureBridge,
            0x9669_0101 => PortDevice::PortMultiplier,
            other => PortDevice::Unknown(other),
        }
    }
}

/// Whether a port's `SSTS` says a device is present and the link is up
/// (DET = 3: device present, PHY communication established; IPM = 1:
/// active).
pub const fn link_up(ssts: u32) -> bool {
    ssts & 0xF == 3 && (ssts >> 8) & 0xF == 1
}

/// The first port, among those implemented (`pi`), with its link up and a
/// SATA disk attached. `read(index) -> (ssts, sig)` reads a port's status
/// and signature.
pub fn find_disk_port(pi: u32, mut read: impl FnMut(usize) -> (u32, u32)) -> Option<usize> {
    (0..MAX_PORTS)
        .filter(|index| pi & (1 << index) != 0)
        .find(|&index| {
            let (ssts, sig) = read(index);
            link_up(ssts) && PortDevice::from_signature(sig) == PortDevice::Disk
        })
}

/// Where the driver's structures live in its one DMA page: the command list
/// (32 headers of 32 bytes, 1 KiB aligned), the received-FIS area (256
/// bytes, 256-byte aligned), one command table (128-byte aligned: the FIS
/// area and one PRDT entry) and a 512-byte buffer for IDENTIFY.
pub mod layout {
    /// The command list.
    pub const COMMAND_LIST: usize = 0;
    /// The received-FIS area.
    pub const RECEIVED_FIS: usize = 1024;
    /// The command table of slot 0.
    pub const COMMAND_TABLE: usize = 2048;
    /// The PRDT inside the command table.
    pub const PRDT: usize = COMMAND_TABLE + 0x80;
    /// The IDENTIFY buffer.
    pub const IDENTIFY: usize = 3072;
}

/// Length of a register host-to-device FIS in bytes.
pub const H2D_FIS_LEN: usize = 20;
/// FIS type of a register host-to-device FIS.
pub const FIS_TYPE_REG_H2D: u8 = 0x27;

/// A register host-to-device FIS carrying `command` for `count` sectors at
/// `lba` (48-bit, LBA mode).
pub fn h2d_fis(command: u8, lba: u64, count: u16) -> [u8; H2D_FIS_LEN] {
    let lba = lba.to_le_bytes();
    let count = count.to_le_bytes();
    [
        FIS_TYPE_REG_H2D,
        0x80, // C: this FIS carries a command
        command,
        0, // features (7:0)
        lba[0],
        lba[1],
        lba[2],
        1 << 6, // device: LBA mode
        lba[3],
        lba[4],
        lba[5],
        0, // features (15:8)
        count[0],
        count[1],
        0, // ICC
        0, // control
        0,
        0,
        0,
        0,
    ]
}

/// A command header: FIS length in dwords, write direction, `prdt_entries`
/// descriptors, and the command table at physical `table` (128-byte
/// aligned).
pub fn command_header(write: bool, prdt_entries: u16, table: u64) -> [u8; 32] {
    let flags = (H2D_FIS_LEN / 4) as u32 | if write { 1 << 6 } else { 0 };
    let dw0 = flags | u32::from(prdt_entries) << 16;
    let mut header = [0u8; 32];
    header[0..4].copy_from_slice(&dw0.to_le_bytes());
    // Dword 1 (bytes transferred) starts at 0; the HBA updates it.
    header[8..16].copy_from_slice(&table.to_le_bytes());
    header
}

/// A physical region descriptor: `bytes` (even, at most 4 MiB) at physical
/// `address`, no completion interrupt.
pub fn prd_entry(address: u64, bytes: u32) -> [u8; 16] {
    let mut entry = [0u8; 16];
    entry[0..8].copy_from_slice(&address.to_le_bytes());
    let count = bytes.saturating_sub(1) & 0x3F_FFFF;
    entry[12..16].copy_from_slice(&count.to_le_bytes());
    entry
}

/// Sectors of a disk from its IDENTIFY DEVICE data: the 48-bit count
/// (words 100-103) when the device supports 48-bit addressing (word 83 bit
/// 10), else the 28-bit count (words 60-61).
pub fn identify_sectors(identify: &[u8; 512]) -> u64 {
    let word = |index: usize| -> u64 {
        u64::from(u16::from_le_bytes([
            identify[index * 2],
            identify[index * 2 + 1],
        ]))
    };
    if word(83) & (1 << 10) != 0 {
        word(100) | word(101) << 16 | word(102) << 32 | word(103) << 48
    } else {
        word(60) | word(61) << 16
    }
}

/// Where a command stands, from the port's `CI`, `IS` and `TFD` registers
/// (slot 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandState {
    /// Still running.
    Running,
    /// Finished without error.
    Done,
    /// The device reported an error (task file error status or ERR): the
    /// ATA status and error bytes.
    Failed {
        /// ATA status (TFD bits 7:0).
        status: u8,
        /// ATA error (TFD bits 15:8).
        error: u8,
    },
}

/// Judges slot 0's command from the port's registers.
pub const fn command_state(ci: u32, is: u32, tfd: u32) -> CommandState {
    if is & port::IS_TFES != 0 {
        return CommandState::Failed {
            status: tfd as u8,
            error: (tfd >> 8) as u8,
        };
    }
    if ci & 1 != 0 {
        return CommandState::Running;
    }
    if tfd & port::TFD_ERR != 0 {
        CommandState::Failed {
            status: tfd as u8,
            error: (tfd >> 8) as u8,
        }
    } else {
        CommandState::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_tell_disks_from_cd_roms() {
        assert_eq!(PortDevice::from_signature(0x0000_0101), PortDevice::Disk);
        assert_eq!(PortDevice::from_signature(0xEB14_0101), PortDevice::Atapi);
        assert_eq!(
            PortDevice::from_signature(0xFFFF_FFFF),
            PortDevice::Unknown(0xFFFF_FFFF)
        );
    }

    #[test]
    fn the_disk_port_skips_cd_roms_empty_and_unimplemented_ports() {
        // Port 0: CD-ROM; port 1: no device; port 2: not implemented;
        // port 3: disk; port 4: disk too (the first wins).
        let ports = |index: usize| match index {
            0 => (0x113, 0xEB14_0101),
            1 => (0x0, 0xFFFF_FFFF),
            2 => (0x113, 0x0000_0101),
            3 => (0x113, 0x0000_0101),
            4 => (0x123, 0x0000_0101),
            _ => (0, 0),
        };
        assert_eq!(find_disk_port(0b11011, ports), Some(3));
        assert_eq!(find_disk_port(0b00011, ports), None);
        // Link not up (DET = 1: present, no communication).
        assert_eq!(find_disk_port(1 << 3, |_| (0x111, 0x101)), None);
    }

    #[test]
    fn the_command_fis_carries_a_48_bit_lba_and_count() {
        let fis = h2d_fis(ata::READ_DMA_EXT, 0x0000_BEEF_CAFE_1234, 8);
        assert_eq!(
            fis,
            [
                0x27, 0x80, 0x25, 0, 0x34, 0x12, 0xFE, 0x40, 0xCA, 0xEF, 0xBE, 0, 8, 0, 0, 0, 0, 0,
                0, 0
            ]
        );
    }

    #[test]
    fn command_headers_say_fis_length_direction_and_table() {
        let header = command_header(true, 1, 0x1234_5680);
        // CFL 5 dwords, W set, PRDTL 1.
        assert_eq!(&header[0..4], &[0x45, 0x00, 0x01, 0x00]);
        assert_eq!(&header[4..8], &[0; 4]);
        assert_eq!(&header[8..16], &[0x80, 0x56, 0x34, 0x12, 0, 0, 0, 0]);
        assert_eq!(&header[16..], &[0; 16]);
        assert_eq!(command_header(false, 1, 0)[0], 0x05);
    }

    #[test]
    fn a_page_descriptor_counts_bytes_minus_one() {
        let entry = prd_entry(0x1_0000_2000, 4096);
        assert_eq!(&entry[0..8], &[0, 0x20, 0, 0, 1, 0, 0, 0]);
        assert_eq!(&entry[12..16], &[0xFF, 0x0F, 0, 0]);
    }

    #[test]
    fn identify_reports_48_bit_or_28_bit_capacity() {
        let mut data = [0u8; 512];
        data[120] = 0x00; // words 60-61: 0x0010_0000
        data[122] = 0x10;
        assert_eq!(identify_sectors(&data), 0x10_0000);
        data[166] = 0x00; // word 83 bit 10
        data[167] = 0x04;
        data[200] = 0x00; // words 100-103: 0x1_0000_0000
        data[204] = 0x01;
        assert_eq!(identify_sectors(&data), 0x1_0000_0000);
    }

    #[test]
    fn a_command_is_done_only_when_its_slot_clears_without_error() {
        assert_eq!(command_state(1, 0, 0x80), CommandState::Running);
        assert_eq!(command_state(0, 0, 0x50), CommandState::Done);
        assert_eq!(
            command_state(1, port::IS_TFES, 0x0451),
            CommandState::Failed {
                status: 0x51,
                error: 0x04
            }
        );
        assert_eq!(
            command_state(0, 0, 0x0441),
            CommandState::Failed {
                status: 0x41,
                error: 0x04
            }
        );
    }
}
