//! Reading the PVH `hvm_start_info` the loader leaves for us.
//!
//! The structure, the command line and the memory map live in low physical
//! memory, reachable through the boot page tables' mapping of the first GiB
//! at the kernel base. [`read`] copies what the kernel needs onto the heap so
//! nothing refers to boot memory afterwards.

use super::paging;
use alloc::string::String;
use alloc::vec::Vec;
use kernel_core::memory_map::PhysRange;

const START_INFO_MAGIC: u32 = 0x336e_c578;
/// Memory-map entry type of usable RAM.
const MEMMAP_TYPE_RAM: u32 = 1;

#[repr(C)]
#[derive(Clone, Copy)]
struct StartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    nr_modules: u32,
    modlist_paddr: u64,
    cmdline_paddr: u64,
    rsdp_paddr: u64,
    memmap_paddr: u64,
    memmap_entries: u32,
    reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct MemmapEntry {
    addr: u64,
    size: u64,
    kind: u32,
    reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct ModuleEntry {
    paddr: u64,
    size: u64,
    cmdline_paddr: u64,
    reserved: u64,
}

/// What the loader told us.
pub struct BootInfo {
    /// The kernel command line.
    pub command_line: String,
    /// Usable RAM.
    pub ram: Vec<PhysRange>,
    /// Modules (`-initrd`, multiboot2 `module2`) the loader placed in
    /// memory.
    pub modules: Vec<PhysRange>,
    /// Physical address of the ACPI RSDP, if the loader reported one.
    pub rsdp: Option<u64>,
    /// Other memory the frame allocator must not hand out (the multiboot2
    /// information, which may lie past the kernel image).
    pub reserved: Vec<PhysRange>,
}

/// Why the start info cannot be used.
#[derive(Debug)]
pub enum StartInfoError {
    /// The structure's magic number is wrong: not booted through PVH.
    BadMagic(u32),
    /// No memory map (start info version 0).
    NoMemoryMap,
}

impl core::fmt::Display for StartInfoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StartInfoError::BadMagic(magic) => {
                write!(f, "start-info magic {magic:#x}: not booted through PVH")
            }
            StartInfoError::NoMemoryMap => f.write_str("the loader passed no memory map"),
        }
    }
}

/// Reads `count` values of `T` at physical address `address`.
pub(super) fn read_physical<T: Copy>(address: u64, count: usize) -> Vec<T> {
    let base = paging::early_phys_to_virt(address, (count * core::mem::size_of::<T>()) as u64);
    (0..count)
        .map(|index| {
            // SAFETY: `early_phys_to_virt` checked the whole range lies in the
            // boot mapping of the first GiB; the loader placed these
            // structures there and nothing writes them while we read. They
            // may be unaligned, hence `read_unaligned`.
            unsafe { core::ptr::read_unaligned(base.as_ptr::<T>().add(index)) }
        })
        .collect()
}

/// Reads the NUL-terminated string at physical address `address` (at most
/// 4 KiB).
fn read_c_string(address: u64) -> String {
    if address == 0 {
        return String::new();
    }
    let bytes: Vec<u8> = read_physical(address, 4096);
    let end = bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(bytes.get(..end).unwrap_or(&bytes)).into_owned()
}

/// Reads the start info at physical address `address`.
#[allow(
    clippy::indexing_slicing,
    reason = "boot-time; `read_physical(_, 1)` returns exactly one element"
)]
pub fn read(address: u64) -> Result<BootInfo, StartInfoError> {
    let info: StartInfo = read_physical::<StartInfo>(address, 1)[0];
    if info.magic != START_INFO_MAGIC {
        return Err(StartInfoError::BadMagic(info.magic));
    }
    if info.version < 1 || info.memmap_entries == 0 {
        return Err(StartInfoError::NoMemoryMap);
    }
    let ram = read_physical::<MemmapEntry>(info.memmap_paddr, info.memmap_entries as usize)
        .into_iter()
        .filter(|entry| entry.kind == MEMMAP_TYPE_RAM)
        .map(|entry| PhysRange::new(entry.addr, entry.size))
        .collect();
    let modules = read_physical::<ModuleEntry>(info.modlist_paddr, info.nr_modules as usize)
        .into_iter()
        .map(|module| PhysRange::new(module.paddr, module.size))
        .collect();
    Ok(BootInfo {
        command_line: read_c_string(info.cmdline_paddr),
        ram,
        modules,
        rsdp: (info.rsdp_paddr != 0).then_some(info.rsdp_paddr),
        reserved: Vec::new(),
    })
}
