//! The page cache glue: file pages come from here, and from the disk on a
//! miss (the only source of major faults besides swap).

use crate::files::{self, FileId};
use crate::memory::{self, Claim};
use crate::sync::IrqLock;
use kernel_core::page_cache::PageCache;

static CACHE: IrqLock<PageCache> = IrqLock::new("page cache", PageCache::new());

/// Why a file page could not be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheError {
    /// No frame for it.
    OutOfMemory,
    /// The disk failed.
    Io,
}

/// The frame holding the file page at `offset` (page-aligned), and whether
/// it had to be read from the disk. The cache keeps its own reference; a
/// caller that maps the frame adds one with `share`. A new page's frame is
/// allocated for `claim` (the faulting process).
pub fn file_page(file: FileId, offset: u64, claim: Claim) -> Result<(u64, bool), CacheError> {
    let page = offset / 4096;
    if let Some(frame) = CACHE.with(|cache| cache.lookup(file, page)) {
        return Ok((frame, false));
    }
    let frame = memory::allocate(claim).ok_or(CacheError::OutOfMemory)?;
    if files::read_page(file, offset, frame).is_err() {
        memory::with_frames(|frames| frames.release(frame));
        return Err(CacheError::Io);
    }
    CACHE.with(|cache| cache.insert(file, page, frame));
    Ok((frame, true))
}

/// A process started using `file` (its program, at spawn or fork).
pub fn add_user(file: FileId) {
    CACHE.with(|cache| cache.add_user(file));
}

/// A process stopped using `file`; the last one takes its pages with it.
pub fn remove_user(file: FileId) {
    let frames = CACHE.with(|cache| cache.remove_user(file));
    memory::with_frames(|allocator| {
        for frame in frames {
            allocator.release(frame);
        }
    });
}

/// Pages cached now.
pub fn cached_pages() -> usize {
    CACHE.with(|cache| cache.len())
}
