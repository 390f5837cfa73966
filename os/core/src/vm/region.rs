//! One region of a process's address space.

use super::{PAGE_SIZE, page_floor};
use alloc::collections::BTreeMap;

/// Access permissions of a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Perms {
    /// May be read.
    pub read: bool,
    /// May be written.
    pub write: bool,
    /// May be executed.
    pub execute: bool,
}

impl Perms {
    /// Read-only.
    pub const R: Perms = Perms {
        read: true,
        write: false,
        execute: false,
    };
    /// Read-write.
    pub const RW: Perms = Perms {
        read: true,
        write: true,
        execute: false,
    };
    /// Read-execute.
    pub const RX: Perms = Perms {
        read: true,
        write: false,
        execute: true,
    };

    /// `rwx`-style text, e.g. `r-x`.
    pub fn as_text(self) -> [u8; 3] {
        [
            if self.read { b'r' } else { b'-' },
            if self.write { b'w' } else { b'-' },
            if self.execute { b'x' } else { b'-' },
        ]
    }
}

/// What a region holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// Program code, from the image.
    Text,
    /// Initialised data (and read-only data), from the image.
    Data,
    /// Zero-initialised data.
    Bss,
    /// The heap, grown with `brk`.
    Heap,
    /// The user stack.
    Stack,
    /// Memory shared between processes.
    Shared,
}

/// Where a region's pages come from when first touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    /// Zero-filled.
    Anonymous,
    /// A shared memory object: every process mapping it sees the same
    /// pages (never copied on write).
    Shared {
        /// The object.
        object: u32,
    },
    /// From a file of the image: the region's first byte is byte `offset`
    /// of file `file`, and the first `len` bytes of the region come from the
    /// file (the rest is zero).
    File {
        /// The file.
        file: u32,
        /// Offset in the file of the region's start.
        offset: u64,
        /// Bytes of the region backed by the file.
        len: u64,
    },
}

/// What the VM knows about one page of a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// In memory, in this frame.
    Resident(u64),
    /// Written to swap slot `n`.
    Swapped(u32),
}

/// A region: a page-aligned range with permissions, a kind, a backing, and
/// its pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// First address (page-aligned).
    pub start: u64,
    /// One past the last address (page-aligned).
    pub end: u64,
    /// Permissions.
    pub perms: Perms,
    /// Kind.
    pub kind: RegionKind,
    /// Backing.
    pub backing: Backing,
    /// Pages that are resident or swapped, by address.
    pub(super) pages: BTreeMap<u64, Page>,
}

impl Region {
    /// A region with no pages yet.
    pub fn new(start: u64, end: u64, perms: Perms, kind: RegionKind, backing: Backing) -> Self {
        debug_assert!(
            start.is_multiple_of(PAGE_SIZE) && end.is_multiple_of(PAGE_SIZE) && start < end
        );
        Self {
            start,
            end,
            perms,
            kind,
            backing,
            pages: BTreeMap::new(),
        }
    }

    /// Whether `address` is inside.
    pub fn contains(&self, address: u64) -> bool {
        self.start <= address && address < self.end
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the region is empty (never true for a valid region).
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Pages currently in memory.
    pub fn resident_pages(&self) -> u64 {
        self.pages
            .values()
            .filter(|page| matches!(page, Page::Resident(_)))
            .count() as u64
    }

    /// Pages currently in swap.
    pub fn swapped_pages(&self) -> u64 {
        self.pages
            .values()
            .filter(|page| matches!(page, Page::Swapped(_)))
            .count() as u64
    }

    /// The page record of `address`, if any.
    pub fn page(&self, address: u64) -> Option<Page> {
        self.pages.get(&page_floor(address)).copied()
    }

    /// Every page record, by address.
    pub fn pages(&self) -> impl Iterator<Item = (u64, Page)> + '_ {
        self.pages.iter().map(|(address, page)| (*address, *page))
    }
}
