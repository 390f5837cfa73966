//! Swap: anonymous pages written to the disk's swap area under memory
//! pressure, and read back (a major fault) on the next touch.

use crate::disk::{self, DiskError, SECTORS_PER_PAGE};
use crate::memory::Frame;
use crate::sync::IrqLock;
use alloc::vec;
use alloc::vec::Vec;
use kernel_core::slots::SlotAllocator;

struct SwapArea {
    slots: SlotAllocator,
    first_page: u64,
    /// Pages written so far (the eviction clock).
    writes: u64,
    /// The eviction clock when each slot was written: a swap-in's refault
    /// distance is how many evictions happened since.
    written_at: Vec<u64>,
}

static SWAP: IrqLock<Option<SwapArea>> = IrqLock::new("swap", None);

/// Sets up `pages` swap slots starting at disk page `first_page`.
pub fn init(first_page: u64, pages: u64) {
    SWAP.with(|swap| {
        *swap = Some(SwapArea {
            slots: SlotAllocator::new(pages as usize),
            first_page,
            writes: 0,
            written_at: vec![0; pages as usize],
        })
    });
}

fn sector_of(slot: u32) -> Option<u64> {
    SWAP.with(|swap| {
        swap.as_ref()
            .map(|area| (area.first_page + u64::from(slot)) * SECTORS_PER_PAGE)
    })
}

/// Writes `frame` to a free slot; returns the slot (`None` if swap is full
/// or the write failed).
pub fn write(frame: &mut Frame) -> Option<u32> {
    let slot = SWAP.with(|swap| swap.as_mut()?.slots.allocate())?;
    let sector = sector_of(slot)?;
    if disk::write_page(sector, frame).is_err() {
        free(slot);
        return None;
    }
    SWAP.with(|swap| {
        if let Some(area) = swap.as_mut() {
            area.writes += 1;
            if let Some(stamp) = area.written_at.get_mut(slot as usize) {
                *stamp = area.writes;
            }
        }
    });
    Some(slot)
}

/// How many pages went to swap since slot `slot` was written (its page's
/// refault distance, if it is read back now).
pub fn distance(slot: u32) -> u64 {
    SWAP.with(|swap| {
        swap.as_ref()
            .and_then(|area| {
                let stamp = area.written_at.get(slot as usize)?;
                Some(area.writes - stamp)
            })
            .unwrap_or(u64::MAX)
    })
}

/// Reads slot `slot` into `frame`.
pub fn read(slot: u32, frame: &mut Frame) -> Result<(), DiskError> {
    let sector = sector_of(slot).ok_or(DiskError::NotFound)?;
    disk::read_page(sector, frame)
}

/// Frees a slot.
pub fn free(slot: u32) {
    SWAP.with(|swap| {
        if let Some(area) = swap.as_mut() {
            // Only slots taken from a page record (or a copy being
            // undone) come here; a slot that is not in use means the
            // records are wrong, which is logged, not fatal.
            if area.slots.free(slot).is_err() {
                crate::klog!(Error, "freeing swap slot {slot}, which is not in use");
            }
        }
    });
}

/// (slots in use, slots in all).
pub fn usage() -> (u64, u64) {
    SWAP.with(|swap| {
        swap.as_ref()
            .map(|area| (area.slots.in_use() as u64, area.slots.capacity() as u64))
            .unwrap_or((0, 0))
    })
}
