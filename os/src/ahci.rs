//! The AHCI (SATA) disk backend: the first SATA disk on the first AHCI
//! controller of PCI bus 0, read and written a page at a time with READ/
//! WRITE DMA EXT through command slot 0, polled with a bounded wait.
//!
//! The layouts and decisions are `kernel_core::ahci` (host-tested); this
//! module writes them into one DMA frame (command list, received FIS,
//! command table, IDENTIFY buffer) allocated at boot and pokes the
//! controller's registers (`arch::mmio::Registers`, mapped uncached).
//!
//! Data moves by DMA straight into or out of the caller's frame: a page is
//! physically contiguous, so a single PRDT entry covers it and no bounce
//! frame is needed. A swap-in or swap-out therefore never needs a fresh
//! frame (it runs exactly when there are none).

use crate::arch::mmio::Registers;
use crate::arch::pci_config::PortConfigAccess;
use crate::memory::{self, Claim, Frame};
use crate::time;
use kernel_core::ahci::{
    self as layout_rules, CommandState, PCI_CLASS_AHCI, ata, hba, layout, port,
};
use virtio_drivers::transport::pci::bus::{Command, PciRoot};

/// How long one command may take before it counts as failed.
const COMMAND_TIMEOUT_NS: u64 = 2_000_000_000;
/// How long the port's engines may take to stop or start.
const ENGINE_TIMEOUT_NS: u64 = 500_000_000;
/// Bytes in a page.
const PAGE_BYTES: u32 = 4096;

/// Why the AHCI disk is unusable or a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AhciError {
    /// No AHCI controller, or no SATA disk on its ports.
    NotFound,
    /// No frame for the command structures.
    NoMemory,
    /// The port's command engine did not stop or start in time.
    Engine,
    /// A command did not finish within its time limit.
    Timeout,
    /// A buffer above 4 GiB on a controller without 64-bit addressing.
    Unreachable,
    /// The device reported an error (ATA status and error bytes).
    Device {
        /// ATA status.
        status: u8,
        /// ATA error.
        error: u8,
    },
}

/// A SATA disk on one AHCI port.
pub struct AhciDisk {
    registers: Registers,
    /// The port's register base in ABAR.
    port: usize,
    /// Command list, received FIS, command table and IDENTIFY buffer.
    structures: Frame,
    /// Size in 512-byte sectors.
    sectors: u64,
    /// The controller reaches memory above 4 GiB (CAP.S64A).
    dma64: bool,
}

impl AhciDisk {
    /// Finds the first AHCI controller on PCI bus 0 and the first SATA disk
    /// on its ports, and sets the port up.
    pub fn find() -> Result<AhciDisk, AhciError> {
        let mut root = PciRoot::new(PortConfigAccess);
        let function = root
            .enumerate_bus(0)
            .find(|(_, info)| (info.class, info.subclass, info.prog_if) == PCI_CLASS_AHCI)
            .map(|(function, _)| function)
            .ok_or(AhciError::NotFound)?;
        let registers = Registers::pci_bar(
            &mut root,
            function,
            layout_rules::ABAR_INDEX,
            layout_rules::ABAR_MIN_SIZE,
        )
        .ok_or(AhciError::NotFound)?;
        let (_, command) = root.get_status_command(function);
        root.set_command(
            function,
            command | Command::MEMORY_SPACE | Command::BUS_MASTER,
        );
        // AHCI mode, no interrupts: every request is polled.
        let ghc = registers.read(hba::GHC);
        registers.write(hba::GHC, (ghc | hba::GHC_AE) & !hba::GHC_IE);
        let implemented = registers.read(hba::PI);
        let capabilities = registers.read(hba::CAP);
        let index = layout_rules::find_disk_port(implemented, |index| {
            let base = layout_rules::port_base(index);
            (
                registers.read(base + port::SSTS),
                registers.read(base + port::SIG),
            )
        })
        .ok_or(AhciError::NotFound)?;
        let mut structures = memory::allocate(Claim::Service).ok_or(AhciError::NoMemory)?;
        structures.zero();
        let mut disk = AhciDisk {
            registers,
            port: layout_rules::port_base(index),
            structures,
            sectors: 0,
            dma64: capabilities & hba::CAP_S64A != 0,
        };
        if !disk.dma64 && disk.structures.address() >= 1 << 32 {
            return Err(AhciError::Unreachable);
        }
        disk.start()?;
        disk.sectors = disk.identify()?;
        Ok(disk)
    }

    /// Size in 512-byte sectors.
    pub fn sectors(&self) -> u64 {
        self.sectors
    }

    fn read_port(&self, register: usize) -> u32 {
        self.registers.read(self.port + register)
    }

    fn write_port(&self, register: usize, value: u32) {
        self.registers.write(self.port + register, value);
    }

    /// Waits until `done` holds for the port's CMD register.
    fn wait_cmd(&self, done: impl Fn(u32) -> bool) -> Result<(), AhciError> {
        let deadline = time::now_ns() + ENGINE_TIMEOUT_NS;
        while !done(self.read_port(port::CMD)) {
            if time::now_ns() > deadline {
                return Err(AhciError::Engine);
            }
            core::hint::spin_loop();
        }
        Ok(())
    }

    /// Stops the port's engines, points it at our structures, clears its
    /// errors and starts it again.
    fn start(&mut self) -> Result<(), AhciError> {
        let cmd = self.read_port(port::CMD);
        self.write_port(port::CMD, cmd & !port::CMD_ST);
        self.wait_cmd(|cmd| cmd & port::CMD_CR == 0)?;
        let cmd = self.read_port(port::CMD);
        self.write_port(port::CMD, cmd & !port::CMD_FRE);
        self.wait_cmd(|cmd| cmd & port::CMD_FR == 0)?;

        let base = self.structures.address();
        let list = base + layout::COMMAND_LIST as u64;
        let fis = base + layout::RECEIVED_FIS as u64;
        self.write_port(port::CLB, list as u32);
        self.write_port(port::CLBU, (list >> 32) as u32);
        self.write_port(port::FB, fis as u32);
        self.write_port(port::FBU, (fis >> 32) as u32);
        self.write_port(port::IE, 0);
        self.write_port(port::SERR, u32::MAX);
        self.write_port(port::IS, u32::MAX);

        let cmd = self.read_port(port::CMD);
        self.write_port(port::CMD, cmd | port::CMD_FRE);
        let deadline = time::now_ns() + ENGINE_TIMEOUT_NS;
        while self.read_port(port::TFD) & (port::TFD_BSY | port::TFD_DRQ) != 0 {
            if time::now_ns() > deadline {
                return Err(AhciError::Engine);
            }
            core::hint::spin_loop();
        }
        let cmd = self.read_port(port::CMD);
        self.write_port(port::CMD, cmd | port::CMD_ST);
        Ok(())
    }

    /// Issues `command` on slot 0 for `count` sectors at `lba`, moving
    /// `bytes` to or from physical `buffer`, and waits for it.
    fn issue(
        &mut self,
        command: u8,
        write: bool,
        lba: u64,
        count: u16,
        buffer: u64,
        bytes: u32,
    ) -> Result<(), AhciError> {
        if !self.dma64 && buffer + u64::from(bytes) > 1 << 32 {
            return Err(AhciError::Unreachable);
        }
        let table = self.structures.address() + layout::COMMAND_TABLE as u64;
        let header = layout_rules::command_header(write, 1, table);
        let fis = layout_rules::h2d_fis(command, lba, count);
        let prd = layout_rules::prd_entry(buffer, bytes);
        let written = self.structures.write(layout::COMMAND_LIST, &header)
            && self.structures.write(layout::COMMAND_TABLE, &fis)
            && self.structures.write(layout::PRDT, &prd);
        if !written {
            return Err(AhciError::NoMemory);
        }
        self.write_port(port::IS, u32::MAX);
        // `Registers::write` fences, so the structures are in memory before
        // the controller sees the command.
        self.write_port(port::CI, 1);
        let deadline = time::now_ns() + COMMAND_TIMEOUT_NS;
        let outcome = loop {
            let state = layout_rules::command_state(
                self.read_port(port::CI),
                self.read_port(port::IS),
                self.read_port(port::TFD),
            );
            match state {
                CommandState::Done => break Ok(()),
                CommandState::Failed { status, error } => {
                    break Err(AhciError::Device { status, error });
                }
                CommandState::Running if time::now_ns() > deadline => {
                    break Err(AhciError::Timeout);
                }
                CommandState::Running => core::hint::spin_loop(),
            }
        };
        if outcome.is_err() {
            // Stop and restart the port so the next command starts clean
            // (AHCI 1.3.1, 6.2.2.1); its own error, if any, is the caller's.
            let _ = self.start();
        }
        outcome
    }

    /// IDENTIFY DEVICE: the disk's size in sectors.
    fn identify(&mut self) -> Result<u64, AhciError> {
        let buffer = self.structures.address() + layout::IDENTIFY as u64;
        self.issue(ata::IDENTIFY_DEVICE, false, 0, 0, buffer, 512)?;
        let mut data = [0u8; 512];
        if !self.structures.read(layout::IDENTIFY, &mut data) {
            return Err(AhciError::NoMemory);
        }
        Ok(layout_rules::identify_sectors(&data))
    }

    /// Reads the page at `sector` into `frame`, by DMA into the frame.
    pub fn read_page(&mut self, sector: u64, frame: &mut Frame) -> Result<(), AhciError> {
        self.issue(
            ata::READ_DMA_EXT,
            false,
            sector,
            (PAGE_BYTES / 512) as u16,
            frame.address(),
            PAGE_BYTES,
        )
    }

    /// Writes `frame` to the page at `sector`, by DMA from the frame.
    pub fn write_page(&mut self, sector: u64, frame: &mut Frame) -> Result<(), AhciError> {
        self.issue(
            ata::WRITE_DMA_EXT,
            true,
            sector,
            (PAGE_BYTES / 512) as u16,
            frame.address(),
            PAGE_BYTES,
        )
    }
}
