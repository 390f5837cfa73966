//! The physical frame allocator: one bit per 4 KiB frame.
//!
//! Frames start out unusable; the kernel adds the free ranges of the memory
//! map at boot. Allocation is next-fit over a bitmap of free frames, and a
//! second bitmap remembers which frames are usable at all, so a double free
//! or a free of a frame the allocator never handed out is an error rather
//! than silent corruption.

use crate::memory_map::{PAGE_SIZE, PhysRange};
use alloc::vec;
use alloc::vec::Vec;

/// Why a frame could not be freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// The address is not frame-aligned.
    Unaligned,
    /// The frame is not managed by this allocator.
    NotManaged,
    /// The frame is already free.
    DoubleFree,
}

/// Bitmap allocator of physical frames.
pub struct FrameAllocator {
    /// Bit set: the frame is free.
    free_bits: Vec<u64>,
    /// Bit set: the frame belongs to the allocator (free or handed out).
    usable_bits: Vec<u64>,
    /// Users of each allocated frame beyond the first (saturating).
    extra_refs: alloc::collections::BTreeMap<usize, u32>,
    frame_count: usize,
    free: usize,
    usable: usize,
    next: usize,
}

fn bit(frame: usize) -> (usize, u64) {
    (frame / 64, 1 << (frame % 64))
}

impl FrameAllocator {
    /// An allocator for physical addresses below `limit`, with no usable
    /// frames yet.
    pub fn new(limit: u64) -> Self {
        let frame_count = (limit / PAGE_SIZE) as usize;
        let words = frame_count.div_ceil(64);
        Self {
            free_bits: vec![0; words],
            usable_bits: vec![0; words],
            extra_refs: alloc::collections::BTreeMap::new(),
            frame_count,
            free: 0,
            usable: 0,
            next: 0,
        }
    }

    /// Adds the whole frames of `range` (clipped to the limit) as free.
    /// Frames that are already usable are left as they are.
    pub fn add_free_range(&mut self, range: PhysRange) {
        let range = range.shrink_to_pages();
        let first = (range.start / PAGE_SIZE) as usize;
        let end = ((range.end / PAGE_SIZE) as usize).min(self.frame_count);
        for frame in first..end {
            let (word, mask) = bit(frame);
            if self.usable_bits[word] & mask == 0 {
                self.usable_bits[word] |= mask;
                self.free_bits[word] |= mask;
                self.usable += 1;
                self.free += 1;
            }
        }
    }

    /// Frames currently free.
    pub fn free_frames(&self) -> usize {
        self.free
    }

    /// Frames managed (free or allocated).
    pub fn usable_frames(&self) -> usize {
        self.usable
    }

    /// Allocates one frame; returns its physical address.
    pub fn allocate(&mut self) -> Option<u64> {
        self.allocate_contiguous(1)
    }

    /// Allocates one frame only if more than `reserve` are free, so the
    /// last `reserve` frames stay for those allowed to dip into them.
    pub fn allocate_keeping(&mut self, reserve: usize) -> Option<u64> {
        if self.free <= reserve {
            return None;
        }
        self.allocate()
    }

    /// Allocates `count` physically contiguous frames; returns the address of
    /// the first. Used for DMA buffers and kernel stacks.
    pub fn allocate_contiguous(&mut self, count: usize) -> Option<u64> {
        if count == 0 || count > self.free {
            return None;
        }
        let start = self
            .find_run(self.next, self.frame_count, count)
            .or_else(|| self.find_run(0, self.next + count - 1, count))?;
        for frame in start..start + count {
            let (word, mask) = bit(frame);
            self.free_bits[word] &= !mask;
        }
        self.free -= count;
        self.next = (start + count) % self.frame_count.max(1);
        Some(start as u64 * PAGE_SIZE)
    }

    /// First run of `count` free frames starting in `[from, to)`.
    fn find_run(&self, from: usize, to: usize, count: usize) -> Option<usize> {
        let to = to.min(self.frame_count);
        let mut run_start = from;
        let mut run_len = 0;
        let mut frame = from;
        while frame < to || (run_len > 0 && frame < self.frame_count) {
            let (word, mask) = bit(frame);
            if run_len == 0 && self.free_bits[word] == 0 {
                // Skip a whole word with nothing free.
                frame = (word + 1) * 64;
                run_start = frame;
                continue;
            }
            if self.free_bits[word] & mask != 0 {
                if run_len == 0 {
                    run_start = frame;
                }
                run_len += 1;
                if run_len == count {
                    return Some(run_start);
                }
            } else {
                run_len = 0;
                if frame >= to {
                    return None;
                }
            }
            frame += 1;
        }
        None
    }

    /// Frees the frame at `address`.
    ///
    /// # Return values
    /// - `Err(Unaligned)` if `address` is not a multiple of the frame size;
    /// - `Err(NotManaged)` if the frame was never added as free memory;
    /// - `Err(DoubleFree)` if the frame is already free.
    pub fn free(&mut self, address: u64) -> Result<(), FreeError> {
        if !address.is_multiple_of(PAGE_SIZE) {
            return Err(FreeError::Unaligned);
        }
        let frame = (address / PAGE_SIZE) as usize;
        if frame >= self.frame_count {
            return Err(FreeError::NotManaged);
        }
        let (word, mask) = bit(frame);
        if self.usable_bits[word] & mask == 0 {
            return Err(FreeError::NotManaged);
        }
        if self.free_bits[word] & mask != 0 {
            return Err(FreeError::DoubleFree);
        }
        self.free_bits[word] |= mask;
        self.free += 1;
        self.extra_refs.remove(&frame);
        Ok(())
    }

    /// Adds a user of the allocated frame at `address` (it is now shared).
    /// Frames the allocator does not manage (e.g. the boot archive) are
    /// shared forever and never freed; this returns false for them.
    pub fn share(&mut self, address: u64) -> bool {
        if !self.is_allocated(address) {
            return false;
        }
        *self
            .extra_refs
            .entry((address / PAGE_SIZE) as usize)
            .or_insert(0) += 1;
        true
    }

    /// Drops a user of the frame at `address`, freeing it when it was the
    /// last. Returns whether the frame was freed. Frames the allocator does
    /// not manage are left alone.
    pub fn release(&mut self, address: u64) -> bool {
        if !self.is_allocated(address) {
            return false;
        }
        let frame = (address / PAGE_SIZE) as usize;
        match self.extra_refs.get_mut(&frame) {
            Some(extra) if *extra > 1 => {
                *extra -= 1;
                false
            }
            Some(_) => {
                self.extra_refs.remove(&frame);
                false
            }
            None => self.free(address).is_ok(),
        }
    }

    /// Users of the frame at `address`: 0 if free or unmanaged.
    pub fn users(&self, address: u64) -> u32 {
        if !self.is_allocated(address) {
            return 0;
        }
        1 + self
            .extra_refs
            .get(&((address / PAGE_SIZE) as usize))
            .copied()
            .unwrap_or(0)
    }

    /// Whether the frame at `address` is currently allocated.
    pub fn is_allocated(&self, address: u64) -> bool {
        let frame = (address / PAGE_SIZE) as usize;
        if frame >= self.frame_count {
            return false;
        }
        let (word, mask) = bit(frame);
        self.usable_bits[word] & mask != 0 && self.free_bits[word] & mask == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn allocator() -> FrameAllocator {
        let mut frames = FrameAllocator::new(0x100_0000);
        frames.add_free_range(PhysRange {
            start: 0x1000,
            end: 0x9000,
        });
        frames.add_free_range(PhysRange {
            start: 0x20_0000,
            end: 0x30_0000,
        });
        frames
    }

    #[test]
    fn hands_out_only_usable_frames_and_counts_them() {
        let mut frames = allocator();
        let total = 8 + 256;
        assert_eq!(
            (frames.free_frames(), frames.usable_frames()),
            (total, total)
        );
        let mut seen = BTreeSet::new();
        while let Some(address) = frames.allocate() {
            assert!(
                (0x1000..0x9000).contains(&address) || (0x20_0000..0x30_0000).contains(&address)
            );
            assert!(seen.insert(address), "frame {address:#x} handed out twice");
        }
        assert_eq!(seen.len(), total);
        assert_eq!(frames.free_frames(), 0);
    }

    #[test]
    fn freeing_errors_are_reported() {
        let mut frames = allocator();
        let address = frames.allocate().unwrap();
        assert_eq!(frames.free(address + 1), Err(FreeError::Unaligned));
        assert_eq!(frames.free(0x10_0000), Err(FreeError::NotManaged));
        assert_eq!(frames.free(0x1_0000_0000), Err(FreeError::NotManaged));
        assert_eq!(frames.free(address), Ok(()));
        assert_eq!(frames.free(address), Err(FreeError::DoubleFree));
    }

    #[test]
    fn shared_frames_are_freed_with_their_last_user() {
        let mut frames = allocator();
        let before = frames.free_frames();
        let frame = frames.allocate().unwrap();
        assert!(frames.share(frame));
        assert!(frames.share(frame));
        assert_eq!(frames.users(frame), 3);
        assert!(!frames.release(frame));
        assert!(!frames.release(frame));
        assert_eq!(frames.users(frame), 1);
        assert!(frames.release(frame));
        assert_eq!(frames.users(frame), 0);
        assert_eq!(frames.free_frames(), before);
        // Unmanaged frames are never shared or freed.
        assert!(!frames.share(0x10_0000));
        assert!(!frames.release(0x10_0000));
    }

    #[test]
    fn a_reserve_is_kept_from_those_who_may_not_use_it() {
        let mut frames = allocator();
        let total = frames.free_frames();
        let mut taken = 0;
        while frames.allocate_keeping(10).is_some() {
            taken += 1;
        }
        assert_eq!((taken, frames.free_frames()), (total - 10, 10));
        // Whoever may use the reserve still gets the last ten.
        for _ in 0..10 {
            assert!(frames.allocate().is_some());
        }
        assert!(frames.allocate().is_none());
    }

    #[test]
    fn contiguous_runs_do_not_span_holes() {
        let mut frames = allocator();
        // The low range has only 8 frames: a run of 16 must come from the high one.
        let run = frames.allocate_contiguous(16).unwrap();
        assert!(run >= 0x20_0000 && run + 16 * PAGE_SIZE <= 0x30_0000);
        assert!(frames.allocate_contiguous(300).is_none());
    }

    proptest! {
        /// Random allocate/free sequences keep the counts exact and never
        /// hand out a frame twice.
        #[test]
        fn counts_stay_exact(operations in proptest::collection::vec((0usize..3, 1usize..5, any::<prop::sample::Index>()), 1..300)) {
            let mut frames = allocator();
            let mut held: Vec<u64> = Vec::new();
            for (kind, count, pick) in operations {
                if kind < 2 {
                    if let Some(start) = frames.allocate_contiguous(count) {
                        for i in 0..count as u64 {
                            let address = start + i * PAGE_SIZE;
                            prop_assert!(!held.contains(&address));
                            prop_assert!(frames.is_allocated(address));
                            held.push(address);
                        }
                    }
                } else if !held.is_empty() {
                    let address = held.swap_remove(pick.index(held.len()));
                    prop_assert_eq!(frames.free(address), Ok(()));
                }
                prop_assert_eq!(frames.free_frames() + held.len(), frames.usable_frames());
            }
        }
    }
}
