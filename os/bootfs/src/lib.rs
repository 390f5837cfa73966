//! The boot archive: the programs of an image and which of them start at
//! boot (MINIX's boot-image processes).
//!
//! Layout (every offset in bytes from the start of the archive):
//!
//! | offset | content |
//! | --- | --- |
//! | 0 | magic `BOOTFS01` |
//! | 8 | directory length, u32 little-endian |
//! | 12 | the [`Directory`], postcard-encoded |
//! | page-aligned | file contents, each starting on a 4 KiB boundary |
//!
//! Parsing never trusts the archive: every offset and length is checked,
//! and a malformed archive is an error, never a panic.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// First bytes of every archive.
pub const MAGIC: [u8; 8] = *b"BOOTFS01";
/// Alignment of file contents.
pub const FILE_ALIGN: u64 = 4096;
const HEADER_LEN: usize = 12;

/// One file in the archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Program name.
    pub name: String,
    /// Offset of the contents from the start of the archive.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
}

/// A program the kernel starts at boot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootEntry {
    /// Name of a file in the archive.
    pub program: String,
    /// Its arguments (not including the program name).
    pub args: Vec<String>,
    /// Whether it runs as a system service (may subscribe to process events).
    pub privileged: bool,
    /// The name it runs under, if not the program's (e.g. one of several
    /// instances of a service).
    pub label: Option<String>,
}

/// What the archive holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// The files.
    pub files: Vec<FileEntry>,
    /// The programs started at boot, in order.
    pub boot: Vec<BootEntry>,
}

/// Why an archive cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveError {
    /// The magic number is wrong.
    BadMagic,
    /// The archive ends before its header or directory does.
    Truncated,
    /// The directory does not decode.
    BadDirectory,
    /// A file extends past the end of the archive or is misaligned.
    BadFileExtent,
    /// A boot entry names a program that is not in the archive.
    UnknownBootProgram,
}

impl Directory {
    /// Looks a file up by name.
    pub fn file(&self, name: &str) -> Option<&FileEntry> {
        self.files.iter().find(|file| file.name == name)
    }
}

/// Reads the directory of an archive whose first bytes are `start` and
/// whose total length is `archive_len`. `start` needs to hold only the
/// header and directory.
pub fn read_directory(start: &[u8], archive_len: u64) -> Result<Directory, ArchiveError> {
    if start.len() < HEADER_LEN {
        return Err(ArchiveError::Truncated);
    }
    if start[..8] != MAGIC {
        return Err(ArchiveError::BadMagic);
    }
    let directory_len = u32::from_le_bytes([start[8], start[9], start[10], start[11]]) as usize;
    let encoded = start
        .get(HEADER_LEN..HEADER_LEN.saturating_add(directory_len))
        .ok_or(ArchiveError::Truncated)?;
    let directory: Directory =
        postcard::from_bytes(encoded).map_err(|_| ArchiveError::BadDirectory)?;
    for file in &directory.files {
        let end = file
            .offset
            .checked_add(file.len)
            .ok_or(ArchiveError::BadFileExtent)?;
        if file.offset % FILE_ALIGN != 0 || end > archive_len {
            return Err(ArchiveError::BadFileExtent);
        }
    }
    if directory
        .boot
        .iter()
        .any(|entry| directory.file(&entry.program).is_none())
    {
        return Err(ArchiveError::UnknownBootProgram);
    }
    Ok(directory)
}

/// Bytes of the header and directory, rounded up to [`FILE_ALIGN`]: where
/// the first file starts.
pub fn directory_extent(directory: &Directory) -> u64 {
    let encoded = postcard::to_allocvec(directory)
        .map(|bytes| bytes.len())
        .unwrap_or(0);
    ((HEADER_LEN + encoded) as u64).div_ceil(FILE_ALIGN) * FILE_ALIGN
}

/// Builds an archive from `(name, contents)` pairs and the boot list.
#[cfg(feature = "std")]
pub fn write_archive(files: &[(String, Vec<u8>)], boot: Vec<BootEntry>) -> Vec<u8> {
    // Offsets depend on the directory's size, which depends on the offsets'
    // varint lengths: lay out with placeholder offsets, then settle.
    let mut directory = Directory {
        files: files
            .iter()
            .map(|(name, contents)| FileEntry {
                name: name.clone(),
                offset: u64::MAX,
                len: contents.len() as u64,
            })
            .collect(),
        boot,
    };
    let mut offset = directory_extent(&directory);
    for file in &mut directory.files {
        file.offset = offset;
        offset = (offset + file.len).div_ceil(FILE_ALIGN) * FILE_ALIGN;
    }
    let encoded = postcard::to_allocvec(&directory).expect("a directory always encodes");
    let mut archive = Vec::with_capacity(offset as usize);
    archive.extend_from_slice(&MAGIC);
    archive.extend_from_slice(&(encoded.len() as u32).to_le_bytes());
    archive.extend_from_slice(&encoded);
    for (file, (_, contents)) in directory.files.iter().zip(files) {
        archive.resize(file.offset as usize, 0);
        archive.extend_from_slice(contents);
    }
    archive.resize(offset as usize, 0);
    archive
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        write_archive(
            &[
                ("init".into(), vec![1; 5000]),
                ("worker".into(), vec![2; 10]),
            ],
            vec![BootEntry {
                program: "init".into(),
                args: vec!["-v".into()],
                privileged: false,
                label: None,
            }],
        )
    }

    #[test]
    fn writes_and_reads_back() {
        let archive = sample();
        let directory = read_directory(&archive, archive.len() as u64).unwrap();
        let worker = directory.file("worker").unwrap();
        assert_eq!(worker.offset % FILE_ALIGN, 0);
        assert_eq!(&archive[worker.offset as usize..][..10], &[2; 10]);
        let init = directory.file("init").unwrap();
        assert_eq!(&archive[init.offset as usize..][..5000], &vec![1; 5000][..]);
        assert_eq!(directory.boot[0].args, vec!["-v".to_string()]);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let archive = sample();
        for len in 0..archive.len() {
            let _ = read_directory(&archive[..len], len as u64);
        }
        assert_eq!(
            read_directory(&archive[..100], 100),
            Err(ArchiveError::BadFileExtent)
        );
    }

    #[test]
    fn bad_magic_is_refused() {
        let mut archive = sample();
        archive[0] = b'X';
        assert_eq!(
            read_directory(&archive, archive.len() as u64),
            Err(ArchiveError::BadMagic)
        );
    }
}
