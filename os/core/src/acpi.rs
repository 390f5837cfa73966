//! Powering off through ACPI (sleep state S5), without the hardware: find
//! the RSDP, walk RSDT/XSDT to the FADT, read the `\_S5_` package from the
//! DSDT, and say which register to write with which value.
//!
//! The kernel (`os/src/acpi.rs`) reads physical memory for this module
//! through [`PhysicalMemory`] at boot and keeps the resulting
//! [`SleepPlan`]; at power-off it only writes the registers the plan names,
//! so the panic and fault paths need no tables and no heap.
//!
//! The `\_S5_` parse is the usual byte-pattern one (no AML interpreter):
//! a NameOp `_S5_` followed by a PackageOp whose first two elements are
//! integers (ZeroOp, OneOp, OnesOp or a Byte/Word/DWord prefix).

use alloc::vec;
use alloc::vec::Vec;

/// The RSDP's signature.
pub const RSDP_SIGNATURE: &[u8; 8] = b"RSD PTR ";
/// Length of a system description table header.
pub const SDT_HEADER_LEN: usize = 36;

/// Reads physical memory for the table walk.
pub trait PhysicalMemory {
    /// Fills `buffer` from physical `address`; false if the range cannot be
    /// read.
    fn read(&self, address: u64, buffer: &mut [u8]) -> bool;
}

/// Why no sleep plan could be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcpiError {
    /// No valid RSDP.
    NoRsdp,
    /// A table could not be read, or its checksum or length is wrong.
    BadTable([u8; 4]),
    /// Neither RSDT nor XSDT lists a FADT.
    NoFadt,
    /// The DSDT has no usable `\_S5_` package.
    NoS5,
    /// The FADT names no sleep register.
    NoSleepRegister,
}

/// What the RSDP says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rsdp {
    /// ACPI revision (0: ACPI 1.0, RSDT only; 2+: XSDT too).
    pub revision: u8,
    /// Physical address of the RSDT.
    pub rsdt: u32,
    /// Physical address of the XSDT (0 if none).
    pub xsdt: u64,
}

fn sum(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(0u8, |total, &byte| total.wrapping_add(byte))
}

fn u32_at(bytes: &[u8], offset: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        bytes.get(offset..offset + 4)?.try_into().ok()?,
    ))
}

fn u64_at(bytes: &[u8], offset: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        bytes.get(offset..offset + 8)?.try_into().ok()?,
    ))
}

/// Parses an RSDP: signature, the ACPI 1.0 checksum over 20 bytes and, for
/// revision 2 and later, the extended checksum over its full length.
pub fn parse_rsdp(bytes: &[u8]) -> Option<Rsdp> {
    if bytes.get(..8)? != RSDP_SIGNATURE || sum(bytes.get(..20)?) != 0 {
        return None;
    }
    let revision = *bytes.get(15)?;
    let rsdt = u32_at(bytes, 16)?;
    let mut xsdt = 0;
    if revision >= 2
        && let Some(length) = u32_at(bytes, 20)
        && let Some(extended) = bytes.get(..length as usize)
        && length >= 36
        && sum(extended) == 0
    {
        xsdt = u64_at(bytes, 24)?;
    }
    Some(Rsdp {
        revision,
        rsdt,
        xsdt,
    })
}

/// Offset of the first valid RSDP in `area` (which starts 16-byte aligned),
/// searching 16-byte boundaries as the specification says.
pub fn find_rsdp(area: &[u8]) -> Option<usize> {
    (0..area.len())
        .step_by(16)
        .find(|&offset| area.get(offset..).and_then(parse_rsdp).is_some())
}

/// Reads the whole table at `address`, checking its length and checksum;
/// `expected` is its signature.
fn read_table(
    memory: &impl PhysicalMemory,
    address: u64,
    expected: [u8; 4],
) -> Result<Vec<u8>, AcpiError> {
    /// Larger tables are not believed (a DSDT is tens of KiB).
    const MAX_TABLE: u32 = 1 << 20;
    let bad = AcpiError::BadTable(expected);
    let mut header = [0u8; SDT_HEADER_LEN];
    if address == 0 || !memory.read(address, &mut header) {
        return Err(bad);
    }
    let length = u32_at(&header, 4).ok_or(bad)?;
    if header[..4] != expected || !(SDT_HEADER_LEN as u32..=MAX_TABLE).contains(&length) {
        return Err(bad);
    }
    let mut table = vec![0u8; length as usize];
    if !memory.read(address, &mut table) || sum(&table) != 0 {
        return Err(bad);
    }
    Ok(table)
}

/// A register as a Generic Address Structure gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Register {
    /// Port I/O (true) or memory.
    pub io: bool,
    /// Port number or physical address.
    pub address: u64,
}

fn gas_at(bytes: &[u8], offset: usize) -> Option<Register> {
    let space = *bytes.get(offset)?;
    let address = u64_at(bytes, offset + 4)?;
    match space {
        0 | 1 if address != 0 => Some(Register {
            io: space == 1,
            address,
        }),
        _ => None,
    }
}

/// What the FADT says about sleeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fadt {
    /// PM1a control block (I/O port), 0 if none.
    pub pm1a_control: u32,
    /// PM1b control block (I/O port), 0 if none.
    pub pm1b_control: u32,
    /// SMI command port, to switch into ACPI mode (0: always in it).
    pub smi_command: u32,
    /// Value for `smi_command` that enables ACPI mode.
    pub acpi_enable: u8,
    /// Hardware-reduced ACPI (no PM1 blocks; sleep control register).
    pub hardware_reduced: bool,
    /// The sleep control register (ACPI 5.0+), if any.
    pub sleep_control: Option<Register>,
    /// Physical address of the DSDT (X_DSDT when set).
    pub dsdt: u64,
}

/// Parses the FADT (`FACP`).
pub fn parse_fadt(table: &[u8]) -> Option<Fadt> {
    const HW_REDUCED_ACPI: u32 = 1 << 20;
    let dsdt32 = u64::from(u32_at(table, 40)?);
    let x_dsdt = u64_at(table, 140).unwrap_or(0);
    let flags = u32_at(table, 112).unwrap_or(0);
    let mut pm1a_control = u32_at(table, 64)?;
    let mut pm1b_control = u32_at(table, 68)?;
    // ACPI 2.0+ extended blocks win when they are I/O ports.
    if let Some(register) = gas_at(table, 172).filter(|register| register.io) {
        pm1a_control = register.address as u32;
    }
    if let Some(register) = gas_at(table, 184).filter(|register| register.io) {
        pm1b_control = register.address as u32;
    }
    Some(Fadt {
        pm1a_control,
        pm1b_control,
        smi_command: u32_at(table, 48)?,
        acpi_enable: *table.get(52)?,
        hardware_reduced: flags & HW_REDUCED_ACPI != 0,
        sleep_control: gas_at(table, 244),
        dsdt: if x_dsdt != 0 { x_dsdt } else { dsdt32 },
    })
}

/// Reads one AML integer constant at the start of `aml`: its value and
/// length.
fn aml_integer(aml: &[u8]) -> Option<(u64, usize)> {
    let read = |len: usize| -> Option<u64> {
        let mut bytes = [0u8; 8];
        bytes.get_mut(..len)?.copy_from_slice(aml.get(1..1 + len)?);
        Some(u64::from_le_bytes(bytes))
    };
    match *aml.first()? {
        0x00 => Some((0, 1)),        // ZeroOp
        0x01 => Some((1, 1)),        // OneOp
        0xFF => Some((u64::MAX, 1)), // OnesOp
        0x0A => Some((read(1)?, 2)), // BytePrefix
        0x0B => Some((read(2)?, 3)), // WordPrefix
        0x0C => Some((read(4)?, 5)), // DWordPrefix
        0x0E => Some((read(8)?, 9)), // QWordPrefix
        _ => None,
    }
}

/// SLP_TYPa and SLP_TYPb of sleep state S5 from the DSDT's AML: the first
/// `_S5_` that a NameOp declares as a package of at least one integer.
pub fn s5_sleep_types(aml: &[u8]) -> Option<(u8, u8)> {
    const NAME_OP: u8 = 0x08;
    const PACKAGE_OP: u8 = 0x12;
    const ROOT_CHAR: u8 = b'\\';
    let mut start = 0;
    while let Some(found) = aml
        .get(start..)?
        .windows(4)
        .position(|window| window == b"_S5_")
    {
        let at = start + found;
        start = at + 1;
        let named = match at {
            0 => false,
            1 => aml[0] == NAME_OP,
            _ => aml[at - 1] == NAME_OP || (aml[at - 1] == ROOT_CHAR && aml[at - 2] == NAME_OP),
        };
        if !named || aml.get(at + 4) != Some(&PACKAGE_OP) {
            continue;
        }
        // PkgLength: bits 7:6 of its lead byte count the bytes that follow.
        let Some(&lead) = aml.get(at + 5) else {
            continue;
        };
        let mut cursor = at + 5 + 1 + usize::from(lead >> 6);
        let Some(&elements) = aml.get(cursor) else {
            continue;
        };
        cursor += 1;
        let Some((a, len)) = aml.get(cursor..).and_then(aml_integer) else {
            continue;
        };
        cursor += len;
        let b = if elements >= 2 {
            aml.get(cursor..)
                .and_then(aml_integer)
                .map_or(a, |(b, _)| b)
        } else {
            a
        };
        return Some((a as u8 & 7, b as u8 & 7));
    }
    None
}

/// How to enter S5 on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SleepPlan {
    /// Write `SLP_TYP | SLP_EN` to the PM1 control blocks (I/O ports).
    Pm1 {
        /// PM1a control port.
        pm1a_control: u16,
        /// PM1b control port (0: none).
        pm1b_control: u16,
        /// The value for PM1a.
        value_a: u16,
        /// The value for PM1b.
        value_b: u16,
        /// SMI command port to enter ACPI mode first (0: none needed).
        smi_command: u16,
        /// The value that enables ACPI mode.
        acpi_enable: u8,
    },
    /// Hardware-reduced ACPI: write `SLP_TYP | SLP_EN` to the sleep control
    /// register (one byte).
    SleepControl {
        /// The register.
        register: Register,
        /// The value.
        value: u8,
    },
}

/// PM1 control: SLP_EN.
pub const PM1_SLP_EN: u16 = 1 << 13;
/// PM1 control: SCI_EN (the chipset is in ACPI mode).
pub const PM1_SCI_EN: u16 = 1 << 0;
/// Sleep control register: SLP_EN.
pub const SLEEP_CONTROL_SLP_EN: u8 = 1 << 5;

/// The PM1 control value that enters sleep type `slp_typ`.
pub const fn pm1_value(slp_typ: u8) -> u16 {
    ((slp_typ as u16 & 7) << 10) | PM1_SLP_EN
}

/// Reads and checks the RSDP at physical `address`.
pub fn read_rsdp(memory: &impl PhysicalMemory, address: u64) -> Option<Rsdp> {
    let mut bytes = [0u8; 36];
    if !memory.read(address, &mut bytes[..20]) {
        return None;
    }
    // Revision 2+ RSDPs are 36 bytes; an ACPI 1.0 one may end at 20.
    if bytes[15] >= 2 {
        let _ = memory.read(address, &mut bytes);
    }
    parse_rsdp(&bytes)
}

/// Walks the tables from the RSDP at `rsdp_address` to a [`SleepPlan`].
pub fn sleep_plan(memory: &impl PhysicalMemory, rsdp_address: u64) -> Result<SleepPlan, AcpiError> {
    let rsdp = read_rsdp(memory, rsdp_address).ok_or(AcpiError::NoRsdp)?;
    sleep_plan_from(memory, &rsdp)
}

/// Walks the tables from `rsdp` (say, a copy the boot loader handed over,
/// as multiboot2's tags 14 and 15 do) to a [`SleepPlan`].
pub fn sleep_plan_from(memory: &impl PhysicalMemory, rsdp: &Rsdp) -> Result<SleepPlan, AcpiError> {
    let fadt = find_fadt(memory, rsdp)?;
    let fadt = parse_fadt(&fadt).ok_or(AcpiError::BadTable(*b"FACP"))?;
    let dsdt = read_table(memory, fadt.dsdt, *b"DSDT")?;
    let aml = dsdt.get(SDT_HEADER_LEN..).unwrap_or_default();
    let (typ_a, typ_b) = s5_sleep_types(aml).ok_or(AcpiError::NoS5)?;
    if fadt.hardware_reduced || fadt.pm1a_control == 0 {
        let register = fadt.sleep_control.ok_or(AcpiError::NoSleepRegister)?;
        return Ok(SleepPlan::SleepControl {
            register,
            value: (typ_a << 2) | SLEEP_CONTROL_SLP_EN,
        });
    }
    Ok(SleepPlan::Pm1 {
        pm1a_control: fadt.pm1a_control as u16,
        pm1b_control: fadt.pm1b_control as u16,
        value_a: pm1_value(typ_a),
        value_b: pm1_value(typ_b),
        smi_command: fadt.smi_command as u16,
        acpi_enable: fadt.acpi_enable,
    })
}

/// The FADT, found through the XSDT when there is one, else the RSDT.
fn find_fadt(memory: &impl PhysicalMemory, rsdp: &Rsdp) -> Result<Vec<u8>, AcpiError> {
    let (root, entry_size) = if rsdp.xsdt != 0 {
        (read_table(memory, rsdp.xsdt, *b"XSDT")?, 8)
    } else {
        (read_table(memory, u64::from(rsdp.rsdt), *b"RSDT")?, 4)
    };
    let entries = root.get(SDT_HEADER_LEN..).unwrap_or_default();
    for entry in entries.chunks_exact(entry_size) {
        let address = if entry_size == 8 {
            u64_at(entry, 0)
        } else {
            u32_at(entry, 0).map(u64::from)
        };
        let Some(address) = address else { continue };
        let mut signature = [0u8; 4];
        if memory.read(address, &mut signature) && &signature == b"FACP" {
            return read_table(memory, address, *b"FACP");
        }
    }
    Err(AcpiError::NoFadt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Tables dumped from QEMU 7.2's q35 with SeaBIOS (-m 128M), at the
    /// addresses they had there.
    const Q35_RSDP: (u64, &[u8]) = (0xF59E0, include_bytes!("acpi_tables/q35-rsdp.bin"));
    const Q35_RSDT: (u64, &[u8]) = (0x7FE2270, include_bytes!("acpi_tables/q35-rsdt.bin"));
    const Q35_FACP: (u64, &[u8]) = (0x7FE2068, include_bytes!("acpi_tables/q35-facp.bin"));
    const Q35_DSDT: (u64, &[u8]) = (0x7FE0040, include_bytes!("acpi_tables/q35-dsdt.bin"));

    /// Tables dumped from QEMU 7.2's microvm with qboot (-m 128M):
    /// hardware-reduced ACPI 6, XSDT only, the GED's sleep registers.
    const MICROVM_RSDP: (u64, &[u8]) = (0xF3490, include_bytes!("acpi_tables/microvm-rsdp.bin"));
    const MICROVM_XSDT: (u64, &[u8]) = (0xEFFAE, include_bytes!("acpi_tables/microvm-xsdt.bin"));
    const MICROVM_FACP: (u64, &[u8]) = (0xEFE50, include_bytes!("acpi_tables/microvm-facp.bin"));
    const MICROVM_DSDT: (u64, &[u8]) = (0xEFD00, include_bytes!("acpi_tables/microvm-dsdt.bin"));

    /// Memory made of tables at addresses.
    struct Tables(BTreeMap<u64, Vec<u8>>);

    impl PhysicalMemory for Tables {
        fn read(&self, address: u64, buffer: &mut [u8]) -> bool {
            for (&start, bytes) in &self.0 {
                let Some(offset) = address.checked_sub(start) else {
                    continue;
                };
                if let Some(source) = bytes.get(offset as usize..offset as usize + buffer.len()) {
                    buffer.copy_from_slice(source);
                    return true;
                }
            }
            false
        }
    }

    fn q35() -> Tables {
        Tables(
            [Q35_RSDP, Q35_RSDT, Q35_FACP, Q35_DSDT]
                .into_iter()
                .map(|(address, bytes)| (address, bytes.to_vec()))
                .collect(),
        )
    }

    #[test]
    fn q35_powers_off_by_writing_slp_typ_0_and_slp_en_to_port_0x604() {
        assert_eq!(
            sleep_plan(&q35(), Q35_RSDP.0),
            Ok(SleepPlan::Pm1 {
                pm1a_control: 0x604,
                pm1b_control: 0,
                value_a: 0x2000,
                value_b: 0x2000,
                smi_command: 0xB2,
                acpi_enable: 2,
            })
        );
    }

    #[test]
    fn microvm_powers_off_through_the_ged_sleep_control_register() {
        let tables = Tables(
            [MICROVM_RSDP, MICROVM_XSDT, MICROVM_FACP, MICROVM_DSDT]
                .into_iter()
                .map(|(address, bytes)| (address, bytes.to_vec()))
                .collect(),
        );
        let rsdp = parse_rsdp(MICROVM_RSDP.1).unwrap();
        assert_eq!((rsdp.revision, rsdp.rsdt, rsdp.xsdt), (2, 0, 0xEFFAE));
        // From a copy (multiboot2's tag 15) as from its address.
        assert_eq!(
            sleep_plan_from(&tables, &rsdp),
            sleep_plan(&tables, MICROVM_RSDP.0)
        );
        // \_S5_ is Package (4) { 5, 0, 0, 0 }; SLP_TYP 5 << 2 | SLP_EN.
        assert_eq!(
            sleep_plan(&tables, MICROVM_RSDP.0),
            Ok(SleepPlan::SleepControl {
                register: Register {
                    io: false,
                    address: 0xFEA0_0200
                },
                value: 0x34
            })
        );
    }

    #[test]
    fn the_rsdp_is_found_on_a_16_byte_boundary_with_a_good_checksum() {
        let mut area = vec![0u8; 256];
        // A signature off the boundary and one with a bad checksum first.
        area[4..12].copy_from_slice(RSDP_SIGNATURE);
        area[32..52].copy_from_slice(Q35_RSDP.1);
        area[32 + 9] ^= 1;
        area[96..116].copy_from_slice(Q35_RSDP.1);
        assert_eq!(find_rsdp(&area), Some(96));
        let rsdp = parse_rsdp(&area[96..]).unwrap();
        assert_eq!(
            rsdp,
            Rsdp {
                revision: 0,
                rsdt: 0x7FE2270,
                xsdt: 0
            }
        );
    }

    #[test]
    fn the_scan_finds_q35s_rsdp_in_seabios_area() {
        // 0xF5000-0xF5FFF of q35's BIOS area under SeaBIOS, as dumped.
        let area = include_bytes!("acpi_tables/q35-bios-f5000.bin");
        let offset = find_rsdp(area).unwrap();
        assert_eq!(0xF5000 + offset as u64, Q35_RSDP.0);
        assert_eq!(parse_rsdp(&area[offset..]).unwrap().rsdt, 0x7FE2270);
    }

    #[test]
    fn q35_dsdt_declares_s5_as_zero_zero() {
        assert_eq!(s5_sleep_types(&Q35_DSDT.1[SDT_HEADER_LEN..]), Some((0, 0)));
    }

    #[test]
    fn s5_packages_with_byte_prefixes_root_names_and_long_pkg_lengths() {
        // Name (\_S5_, Package (0x04) { 0x05, 0x05, Zero, Zero }).
        let aml = [
            0x10, 0x08, 0x5C, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x0A, 0x04, 0x0A, 0x05, 0x0A, 0x05,
            0x00, 0x00,
        ];
        assert_eq!(s5_sleep_types(&aml[1..]), Some((5, 5)));
        // A two-byte PkgLength, OneOp and a byte: (1, 7).
        let aml = [
            0x08, b'_', b'S', b'5', b'_', 0x12, 0x40, 0x07, 0x02, 0x01, 0x0A, 0x07,
        ];
        assert_eq!(s5_sleep_types(&aml), Some((1, 7)));
        // `_S5_` as a method call, not a Name: skipped.
        let aml = [0x70, b'_', b'S', b'5', b'_', 0x12, 0x04, 0x02, 0x01, 0x01];
        assert_eq!(s5_sleep_types(&aml), None);
    }

    #[test]
    fn a_corrupt_table_is_refused_not_believed() {
        let mut tables = q35();
        tables.0.get_mut(&Q35_FACP.0).unwrap()[64] ^= 0x10;
        assert_eq!(
            sleep_plan(&tables, Q35_RSDP.0),
            Err(AcpiError::BadTable(*b"FACP"))
        );
        let mut tables = q35();
        let dsdt = tables.0.get_mut(&Q35_DSDT.0).unwrap();
        let at = dsdt.windows(4).position(|w| w == b"_S5_").unwrap();
        dsdt[at + 2] = b'4';
        // Keep the checksum right: only the missing name matters.
        dsdt[9] = dsdt[9].wrapping_add(1);
        assert_eq!(sleep_plan(&tables, Q35_RSDP.0), Err(AcpiError::NoS5));
        assert_eq!(sleep_plan(&q35(), 0x1000), Err(AcpiError::NoRsdp));
    }

    #[test]
    fn hardware_reduced_acpi_uses_the_sleep_control_register() {
        let mut fadt = Q35_FACP.1.to_vec();
        fadt.resize(276, 0);
        fadt[4..8].copy_from_slice(&276u32.to_le_bytes());
        fadt[112..116].copy_from_slice(&(1u32 << 20).to_le_bytes());
        fadt[64..72].fill(0);
        // Sleep control: system memory, 8 bits, at 0xfea0_0000.
        fadt[244] = 0;
        fadt[245] = 8;
        fadt[248..256].copy_from_slice(&0xFEA0_0000u64.to_le_bytes());
        fadt[9] = 0;
        fadt[9] = 0u8.wrapping_sub(sum(&fadt));
        let mut tables = q35();
        tables.0.insert(Q35_FACP.0, fadt);
        assert_eq!(
            sleep_plan(&tables, Q35_RSDP.0),
            Ok(SleepPlan::SleepControl {
                register: Register {
                    io: false,
                    address: 0xFEA0_0000
                },
                value: 0x20
            })
        );
    }
}
