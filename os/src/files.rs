//! The image's programs, on the disk or in memory: the boot archive's
//! directory, and reading pages of its files.
//!
//! The disk starts with the boot archive (see the `bootfs` crate); files
//! start on page boundaries, so a file page is a disk page. Everything past
//! the archive is the swap area. Booted from the ISO with no disk, the same
//! archive bytes are a multiboot2 module GRUB put in memory
//! ([`init_from_memory`]); file pages are then copied from there, and there
//! is no swap area.

use crate::disk::{self, DiskError, SECTORS_PER_PAGE};
use crate::memory::{self, Claim, Frame};
use alloc::vec::Vec;
use bootfs::{BootEntry, Directory};
use spin::Once;

/// Identifies a file of the archive (its index in the directory).
pub type FileId = u32;

const PAGE_SIZE: u64 = 4096;
/// Most pages the header and directory may take.
const MAX_DIRECTORY_PAGES: u64 = 16;

struct Archive {
    directory: Directory,
    /// First disk page after the archive.
    end_page: u64,
    /// Disk pages in all (0 for an archive in memory: no swap area).
    disk_pages: u64,
    /// The archive's bytes when it is in memory rather than on the disk.
    memory: Option<&'static [u8]>,
}

static ARCHIVE: Once<Archive> = Once::new();

/// Why the boot archive cannot be used.
#[derive(Debug)]
pub enum ArchiveProblem {
    /// The disk could not be read.
    Disk(DiskError),
    /// No memory for a buffer.
    OutOfMemory,
    /// The disk does not start with a valid archive.
    Invalid(bootfs::ArchiveError),
}

impl core::fmt::Display for ArchiveProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ArchiveProblem::Disk(error) => write!(f, "the disk cannot be read: {error:?}"),
            ArchiveProblem::OutOfMemory => f.write_str("no memory to read the directory"),
            ArchiveProblem::Invalid(error) => {
                write!(f, "the disk holds no boot archive: {error:?}")
            }
        }
    }
}

/// Reads disk page `page` into a new buffer.
fn read_disk_page(page: u64, into: &mut Vec<u8>) -> Result<(), ArchiveProblem> {
    let mut frame = memory::allocate(Claim::Service).ok_or(ArchiveProblem::OutOfMemory)?;
    let result = disk::read_page(page * SECTORS_PER_PAGE, &mut frame).map_err(ArchiveProblem::Disk);
    if result.is_ok() {
        let start = into.len();
        into.resize(start + PAGE_SIZE as usize, 0);
        if let Some(bytes) = into.get_mut(start..) {
            let _ = frame.read(0, bytes);
        }
    }
    memory::release(frame);
    result
}

/// Reads the archive's directory from the disk (`disk_sectors` long).
pub fn init(disk_sectors: u64) -> Result<(), ArchiveProblem> {
    let disk_pages = disk_sectors / SECTORS_PER_PAGE;
    let mut bytes = Vec::new();
    read_disk_page(0, &mut bytes)?;
    let directory = loop {
        match bootfs::read_directory(&bytes, disk_pages * PAGE_SIZE) {
            Err(bootfs::ArchiveError::Truncated)
                if (bytes.len() as u64) < MAX_DIRECTORY_PAGES * PAGE_SIZE =>
            {
                read_disk_page(bytes.len() as u64 / PAGE_SIZE, &mut bytes)?;
            }
            result => break result.map_err(ArchiveProblem::Invalid)?,
        }
    };
    let end = directory
        .files
        .iter()
        .map(|file| file.offset + file.len)
        .max()
        .unwrap_or(0);
    let end_page = end
        .max(bootfs::directory_extent(&directory))
        .div_ceil(PAGE_SIZE);
    ARCHIVE.call_once(|| Archive {
        directory,
        end_page,
        disk_pages,
        memory: None,
    });
    Ok(())
}

/// Reads the archive's directory from `bytes`, the archive in memory (a
/// boot module); its files are read from there from now on.
pub fn init_from_memory(bytes: &'static [u8]) -> Result<(), ArchiveProblem> {
    let directory =
        bootfs::read_directory(bytes, bytes.len() as u64).map_err(ArchiveProblem::Invalid)?;
    ARCHIVE.call_once(|| Archive {
        directory,
        end_page: 0,
        disk_pages: 0,
        memory: Some(bytes),
    });
    Ok(())
}

fn archive() -> Option<&'static Archive> {
    ARCHIVE.get()
}

/// Looks a program up by name.
pub fn find(name: &str) -> Option<FileId> {
    let archive = archive()?;
    archive
        .directory
        .files
        .iter()
        .position(|file| file.name == name)
        .map(|index| index as FileId)
}

/// The length of a file in bytes.
pub fn len(file: FileId) -> u64 {
    archive()
        .and_then(|archive| archive.directory.files.get(file as usize))
        .map_or(0, |entry| entry.len)
}

/// Reads the file page at `offset` (page-aligned) into `frame`. Bytes past
/// the end of the file come from whatever follows it in the archive (zero
/// padding or the next file); callers that care zero them.
pub fn read_page(file: FileId, offset: u64, frame: &mut Frame) -> Result<(), DiskError> {
    let archive = archive().ok_or(DiskError::NotFound)?;
    let entry = archive
        .directory
        .files
        .get(file as usize)
        .ok_or(DiskError::NotFound)?;
    debug_assert!(offset.is_multiple_of(PAGE_SIZE));
    if offset >= entry.len {
        return Err(DiskError::Io);
    }
    if let Some(bytes) = archive.memory {
        // Past the end of the module (the archive's last page may be
        // short) reads as zero.
        let start = usize::try_from(entry.offset + offset).map_err(|_| DiskError::Io)?;
        let page = bytes.get(start..).unwrap_or_default();
        let page = page.get(..PAGE_SIZE as usize).unwrap_or(page);
        frame.zero();
        return if frame.write(0, page) {
            Ok(())
        } else {
            Err(DiskError::Io)
        };
    }
    disk::read_page(
        (entry.offset + offset) / PAGE_SIZE * SECTORS_PER_PAGE,
        frame,
    )
}

/// Reads `buffer.len()` bytes of a file from `offset` (for headers); bytes
/// past the end of the file read as zero.
pub fn read_bytes(file: FileId, offset: u64, buffer: &mut [u8]) -> Result<(), DiskError> {
    buffer.fill(0);
    let file_len = len(file);
    let mut frame = memory::allocate(Claim::Service).ok_or(DiskError::Io)?;
    let mut done = 0usize;
    let mut result = Ok(());
    while done < buffer.len() && offset + (done as u64) < file_len {
        let position = offset + done as u64;
        let page = position / PAGE_SIZE * PAGE_SIZE;
        if let Err(error) = read_page(file, page, &mut frame) {
            result = Err(error);
            break;
        }
        let within = (position - page) as usize;
        let chunk = (PAGE_SIZE as usize - within)
            .min(buffer.len() - done)
            .min((file_len - position) as usize);
        if let Some(into) = buffer.get_mut(done..done + chunk) {
            let _ = frame.read(within, into);
        }
        done += chunk;
    }
    memory::release(frame);
    result
}

/// The programs to start at boot.
pub fn boot_entries() -> Vec<BootEntry> {
    archive()
        .map(|archive| archive.directory.boot.clone())
        .unwrap_or_default()
}

/// The swap area: (first disk page, pages).
pub fn swap_area() -> (u64, u64) {
    archive()
        .map(|archive| {
            (
                archive.end_page,
                archive.disk_pages.saturating_sub(archive.end_page),
            )
        })
        .unwrap_or((0, 0))
}
