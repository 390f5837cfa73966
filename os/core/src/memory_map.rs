//! Turning the firmware's memory map into ranges of free physical memory.

use alloc::vec::Vec;

/// Size of a page and of a physical frame.
pub const PAGE_SIZE: u64 = 4096;

/// A half-open range of physical addresses, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PhysRange {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
}

impl PhysRange {
    /// The range `[start, start + len)`, saturating at the top of memory.
    pub fn new(start: u64, len: u64) -> Self {
        Self {
            start,
            end: start.saturating_add(len),
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The whole pages inside the range.
    pub fn shrink_to_pages(&self) -> Self {
        let start = self.start.div_ceil(PAGE_SIZE).saturating_mul(PAGE_SIZE);
        let end = self.end / PAGE_SIZE * PAGE_SIZE;
        Self {
            start,
            end: end.max(start),
        }
    }
}

/// The page-aligned parts of `ram` that overlap none of `reserved`, sorted
/// and merged.
pub fn free_ranges(ram: &[PhysRange], reserved: &[PhysRange]) -> Vec<PhysRange> {
    let mut pieces: Vec<PhysRange> = ram
        .iter()
        .copied()
        .filter(|range| !range.is_empty())
        .collect();
    for hole in reserved {
        pieces = pieces
            .into_iter()
            .flat_map(|piece| {
                let before = PhysRange {
                    start: piece.start,
                    end: piece.end.min(hole.start),
                };
                let after = PhysRange {
                    start: piece.start.max(hole.end),
                    end: piece.end,
                };
                [before, after]
            })
            .filter(|piece| !piece.is_empty())
            .collect();
    }
    let mut pages: Vec<PhysRange> = pieces
        .iter()
        .map(PhysRange::shrink_to_pages)
        .filter(|piece| !piece.is_empty())
        .collect();
    pages.sort();
    let mut merged: Vec<PhysRange> = Vec::with_capacity(pages.len());
    for piece in pages {
        match merged.last_mut() {
            Some(last) if piece.start <= last.end => last.end = last.end.max(piece.end),
            _ => merged.push(piece),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u64, end: u64) -> PhysRange {
        PhysRange { start, end }
    }

    #[test]
    fn reserved_holes_are_cut_out_and_edges_page_aligned() {
        let ram = [range(0, 0x9fc00), range(0x10_0000, 0x800_0000)];
        let kernel = range(0x10_0000, 0x25_3123);
        let low = range(0, 0x1000);
        assert_eq!(
            free_ranges(&ram, &[kernel, low]),
            vec![range(0x1000, 0x9f000), range(0x25_4000, 0x800_0000)]
        );
    }

    #[test]
    fn overlapping_ram_entries_merge() {
        let ram = [range(0x2000, 0x6000), range(0x1000, 0x3000)];
        assert_eq!(free_ranges(&ram, &[]), vec![range(0x1000, 0x6000)]);
    }

    #[test]
    fn nothing_usable_gives_nothing() {
        assert!(free_ranges(&[range(0x1001, 0x1fff)], &[]).is_empty());
        assert!(free_ranges(&[range(0x1000, 0x9000)], &[range(0, 0x10000)]).is_empty());
    }
}
