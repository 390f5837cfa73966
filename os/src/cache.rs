//! The page cache glue: file pages come from here, and from the disk on a
//! miss (the only source of major faults besides swap).

use crate::files::{self, FileId};
use crate::memory::{self, Claim, Frame};
use crate::sync::IrqLock;
use kernel_core::page_cache::PageCache;

static CACHE: IrqLock<PageCache<Frame>> = IrqLock::new("page cache", PageCache::new());

/// Why a file page could not be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheError {
    /// No frame for it.
    OutOfMemory,
    /// The disk failed.
    Io,
}

/// A reference of the caller's own to the page-cache frame holding the
/// page of `file` at `offset` (page-aligned), reading it from the disk into
/// a frame for `claim` on a miss; and whether it was read from the disk.
pub fn file_page(file: FileId, offset: u64, claim: Claim) -> Result<(Frame, bool), CacheError> {
    let page = offset / 4096;
    if let Some(frame) = CACHE.with(|cache| cache.lookup(file, page).map(memory::share)) {
        return Ok((frame, false));
    }
    let mut frame = memory::allocate(claim).ok_or(CacheError::OutOfMemory)?;
    if files::read_page(file, offset, &mut frame).is_err() {
        memory::release(frame);
        return Err(CacheError::Io);
    }
    let mine = memory::share(&frame);
    CACHE.with(|cache| cache.insert(file, page, frame));
    Ok((mine, true))
}

pub fn add_user(file: FileId) {
    CACHE.with(|cache| cache.add_user(file));
}

/// A process stopped using `file`; the last one takes its pages with it.
pub fn remove_user(file: FileId) {
    let frames = CACHE.with(|cache| cache.remove_user(file));
    for frame in frames {
        memory::release(frame);
    }
}

/// Pages cached now.
pub fn cached_pages() -> usize {
    CACHE.with(|cache| cache.len())
}
