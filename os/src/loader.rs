//! Loading a program: ELF segments become regions, nothing is copied.
//!
//! Each `PT_LOAD` segment becomes a file-backed region (text, read-only
//! data, data) whose pages are brought in by the first fault; memory past the
//! file's bytes becomes a zero-filled bss region. The heap starts above the
//! highest segment and the stack sits at the top of the user half.
//!
//! Only the ELF header and program headers are read (from the disk, not
//! counted as faults); the `elf` crate parses them and returns errors on
//! malformed input.

use crate::files::{self, FileId};
use elf::abi::{EM_X86_64, ET_EXEC, PF_W, PF_X, PT_LOAD};
use elf::endian::LittleEndian;
use elf::file::{Class, FileHeader, parse_ident};
use elf::segment::SegmentTable;
use kernel_abi::{USER_STACK_SIZE, USER_STACK_TOP};
use kernel_core::vm::{Backing, Perms, Region, RegionKind, VmSpace, page_ceil, page_floor};

/// Bytes read for the ELF and program headers.
const HEADER_BYTES: usize = 4096;
/// Size of an ELF64 file header.
const ELF64_HEADER_LEN: usize = 64;
/// Size of an ELF64 program header.
const PROGRAM_HEADER_LEN: usize = 56;

/// A program ready to run: its address space and entry point.
pub struct Program {
    /// Regions (no pages yet).
    pub vm: VmSpace,
    /// Entry point.
    pub entry: u64,
}

/// Why a program cannot be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// Not an ELF file the parser accepts.
    NotElf,
    /// The disk could not be read.
    Io,
    /// Not a static x86_64 executable.
    WrongKind,
    /// A segment is malformed (outside user space, misaligned, overlapping).
    BadSegment,
    /// The entry point is not in executable code.
    BadEntry,
}

/// Builds the address space of program `file`.
pub fn load(file: FileId) -> Result<Program, LoadError> {
    let file_len = files::len(file);
    let mut header = [0u8; HEADER_BYTES];
    files::read_bytes(file, 0, &mut header).map_err(|_| LoadError::Io)?;
    let ident = parse_ident::<LittleEndian>(&header).map_err(|_| LoadError::NotElf)?;
    if ident.1 != Class::ELF64 {
        return Err(LoadError::WrongKind);
    }
    let ehdr = FileHeader::parse_tail(ident, &header[elf::abi::EI_NIDENT..ELF64_HEADER_LEN])
        .map_err(|_| LoadError::NotElf)?;
    if ehdr.e_machine != EM_X86_64
        || ehdr.e_type != ET_EXEC
        || ehdr.e_phentsize as usize != PROGRAM_HEADER_LEN
    {
        return Err(LoadError::WrongKind);
    }
    let table_start = usize::try_from(ehdr.e_phoff).map_err(|_| LoadError::NotElf)?;
    let table_end = table_start
        .checked_add(usize::from(ehdr.e_phnum) * PROGRAM_HEADER_LEN)
        .ok_or(LoadError::NotElf)?;
    let table = header
        .get(table_start..table_end)
        .ok_or(LoadError::NotElf)?;
    let segments = SegmentTable::new(ehdr.endianness, ehdr.class, table);
    let mut vm = VmSpace::new();
    let mut highest = 0;
    for segment in segments.iter().filter(|segment| segment.p_type == PT_LOAD) {
        let vaddr = segment.p_vaddr;
        let file_end = segment
            .p_offset
            .checked_add(segment.p_filesz)
            .ok_or(LoadError::BadSegment)?;
        let memory_end = vaddr
            .checked_add(segment.p_memsz)
            .ok_or(LoadError::BadSegment)?;
        if segment.p_filesz > segment.p_memsz
            || file_end > file_len
            || vaddr % 4096 != segment.p_offset % 4096
            || vaddr < 0x1000
            || memory_end > crate::vm::STACK_GUARD_START
        {
            return Err(LoadError::BadSegment);
        }
        let perms = Perms {
            read: true,
            write: segment.p_flags & PF_W != 0,
            execute: segment.p_flags & PF_X != 0,
        };
        let kind = if perms.execute {
            RegionKind::Text
        } else {
            RegionKind::Data
        };
        let start = page_floor(vaddr);
        let lead = vaddr - start;
        let end = page_ceil(memory_end);
        let data_end = if segment.p_filesz == 0 {
            start
        } else {
            let backing = Backing::File {
                file,
                offset: segment.p_offset - lead,
                len: lead + segment.p_filesz,
            };
            let data_end = page_ceil(vaddr + segment.p_filesz).min(end);
            vm.add_region(Region::new(start, data_end, perms, kind, backing))
                .map_err(|_| LoadError::BadSegment)?;
            data_end
        };
        if end > data_end {
            let bss = Region::new(data_end, end, perms, RegionKind::Bss, Backing::Anonymous);
            vm.add_region(bss).map_err(|_| LoadError::BadSegment)?;
        }
        highest = highest.max(end);
    }
    let entry = ehdr.e_entry;
    if !vm.region(entry).is_some_and(|region| region.perms.execute) {
        return Err(LoadError::BadEntry);
    }
    let stack = Region::new(
        USER_STACK_TOP - USER_STACK_SIZE,
        USER_STACK_TOP,
        Perms::RW,
        RegionKind::Stack,
        Backing::Anonymous,
    );
    vm.add_region(stack).map_err(|_| LoadError::BadSegment)?;
    vm.set_heap_start(highest);
    Ok(Program { vm, entry })
}
