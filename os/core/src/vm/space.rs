//! A process's address space as the VM sees it: regions, pages, counters.

use super::pressure::Pressure;
use super::region::{Backing, Page, Region, RegionKind};
use super::{PAGE_SIZE, page_ceil, page_floor};
use crate::vm::Perms;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// MINIX's `vm_total`, `vm_total_max` and fault counters of one process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmStats {
    /// Pages attached to the process's regions now.
    pub vm_total: u64,
    /// The most pages ever attached at once.
    pub vm_total_max: u64,
    /// Faults handled without block-device I/O.
    pub minor_faults: u64,
    /// Faults that needed block-device I/O.
    pub major_faults: u64,
}

/// MINIX's `VMF_INUSE` and `VMF_EXITING`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmFlags {
    /// The slot belongs to a live process.
    pub in_use: bool,
    /// The process's exit is in progress: its memory goes once teardown
    /// completes.
    pub exiting: bool,
}

/// The kind of access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A read.
    Read,
    /// A write.
    Write,
    /// An instruction fetch.
    Execute,
}

/// Why an access is a segmentation fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegvReason {
    /// No region contains the address.
    NoRegion,
    /// A write to a region that is not writable.
    ReadOnly,
    /// An instruction fetch from a region that is not executable.
    NotExecutable,
}

/// What the kernel must do to resolve a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPlan {
    /// Not a valid access: deliver SIGSEGV, count nothing.
    Segv(SegvReason),
    /// First touch of anonymous memory: map a zeroed frame.
    ZeroFill,
    /// First touch of a file-backed page. `len` bytes of the page come from
    /// `file` at `offset`; the rest of the page is zero. If `private`, the
    /// page gets its own frame (a write, or a page only partly from the
    /// file); otherwise the page-cache frame is mapped read-only.
    FilePage {
        /// The file.
        file: u32,
        /// File offset of the page's first byte.
        offset: u64,
        /// Bytes of the page that come from the file (1..=4096).
        len: u64,
        /// Whether the page needs a frame of its own.
        private: bool,
    },
    /// A write to a resident page shared with others (after fork, or with
    /// the page cache): copy it into a frame of our own.
    CopyOnWrite {
        /// The shared frame.
        frame: u64,
    },
    /// The page is resident and only needs (re)mapping, writable if
    /// `writable` (a write to a page we now own alone, or a stale mapping).
    Map {
        /// The frame.
        frame: u64,
        /// Map it writable.
        writable: bool,
    },
    /// The page is in swap: read it back.
    SwapIn {
        /// The swap slot.
        slot: u32,
    },
    /// First touch (by this process) of a page of a shared object: map the
    /// object's page, creating it zero-filled if nobody has touched it yet.
    SharedPage {
        /// The object.
        object: u32,
        /// Page index in the object.
        index: u64,
    },
}

/// Why a change to the address space was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmError {
    /// The new region overlaps an existing one.
    Overlap,
    /// The range is empty, unaligned, or outside user space.
    BadRange,
    /// The heap would run into the next region.
    HeapCollision,
    /// The address space already has [`MAX_REGIONS`] regions.
    TooManyRegions,
}

/// Most regions in one address space (program, heap, stack and shared
/// regions together). It bounds what one address space costs the kernel
/// heap, and so what `fork` must copy.
pub const MAX_REGIONS: usize = 1024;

/// Kernel heap bytes one region costs at most in a region map (its entry
/// in the map's nodes, and the first node of its page map).
pub const HEAP_BYTES_PER_REGION: usize = 512;

/// Kernel heap bytes one page record costs at most (its share of a page
/// map's nodes, and of the frame allocator's map of shared frames, which
/// a fork or a mapped shared page adds to).
pub const HEAP_BYTES_PER_PAGE: usize = 64;

/// A process's regions, their pages, and its counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VmSpace {
    regions: BTreeMap<u64, Region>,
    /// Start of the heap (page-aligned), once the program is loaded.
    heap_start: u64,
    /// The program break (exact byte address).
    brk: u64,
    /// Counters.
    pub stats: VmStats,
    /// Flags.
    pub flags: VmFlags,
    /// Pinned pages and the refault run (pageout and the OOM rule).
    pub pressure: Pressure,
}

impl VmSpace {
    /// An empty address space, in use.
    pub fn new() -> Self {
        Self {
            flags: VmFlags {
                in_use: true,
                exiting: false,
            },
            ..Self::default()
        }
    }

    /// Adds a region.
    ///
    /// # Return values
    /// `BadRange` for an empty or unaligned range, `Overlap` if it overlaps
    /// a region, `TooManyRegions` past [`MAX_REGIONS`].
    pub fn add_region(&mut self, region: Region) -> Result<(), VmError> {
        if self.regions.len() >= MAX_REGIONS {
            return Err(VmError::TooManyRegions);
        }
        if !region.start.is_multiple_of(PAGE_SIZE)
            || !region.end.is_multiple_of(PAGE_SIZE)
            || region.start >= region.end
        {
            return Err(VmError::BadRange);
        }
        if self.overlaps(region.start, region.end) {
            return Err(VmError::Overlap);
        }
        self.regions.insert(region.start, region);
        Ok(())
    }

    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.regions
            .range(..end)
            .next_back()
            .is_some_and(|(_, region)| region.end > start)
    }

    /// The region containing `address`.
    pub fn region(&self, address: u64) -> Option<&Region> {
        self.regions
            .range(..=address)
            .next_back()
            .map(|(_, region)| region)
            .filter(|region| region.contains(address))
    }

    fn region_mut(&mut self, address: u64) -> Option<&mut Region> {
        self.regions
            .range_mut(..=address)
            .next_back()
            .map(|(_, region)| region)
            .filter(|region| region.contains(address))
    }

    /// Every region, by address.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// Decides what a fault at `address` by `access` means. `exclusive(frame)`
    /// tells whether this process is the frame's only user.
    pub fn plan_fault(
        &self,
        address: u64,
        access: Access,
        exclusive: impl Fn(u64) -> bool,
    ) -> FaultPlan {
        let Some(region) = self.region(address) else {
            return FaultPlan::Segv(SegvReason::NoRegion);
        };
        match access {
            Access::Write if !region.perms.write => return FaultPlan::Segv(SegvReason::ReadOnly),
            Access::Execute if !region.perms.execute => {
                return FaultPlan::Segv(SegvReason::NotExecutable);
            }
            _ => {}
        }
        let page = page_floor(address);
        match region.page(page) {
            Some(Page::Swapped(slot)) => FaultPlan::SwapIn { slot },
            Some(Page::Resident(frame)) if matches!(region.backing, Backing::Shared { .. }) => {
                FaultPlan::Map {
                    frame,
                    writable: region.perms.write,
                }
            }
            Some(Page::Resident(frame)) => {
                let owned = exclusive(frame);
                if access == Access::Write && !owned {
                    FaultPlan::CopyOnWrite { frame }
                } else {
                    FaultPlan::Map {
                        frame,
                        writable: region.perms.write && owned,
                    }
                }
            }
            None => match region.backing {
                Backing::Anonymous => FaultPlan::ZeroFill,
                Backing::Shared { object } => FaultPlan::SharedPage {
                    object,
                    index: (page - region.start) / PAGE_SIZE,
                },
                Backing::File { file, offset, len } => {
                    let into_region = page - region.start;
                    if into_region >= len {
                        return FaultPlan::ZeroFill;
                    }
                    let file_bytes = (len - into_region).min(PAGE_SIZE);
                    FaultPlan::FilePage {
                        file,
                        offset: offset + into_region,
                        len: file_bytes,
                        private: access == Access::Write || file_bytes < PAGE_SIZE,
                    }
                }
            },
        }
    }

    /// Counts one handled fault.
    pub fn count_fault(&mut self, major: bool) {
        if major {
            self.stats.major_faults += 1;
        } else {
            self.stats.minor_faults += 1;
        }
    }

    fn attached(&mut self) {
        self.stats.vm_total += 1;
        self.stats.vm_total_max = self.stats.vm_total_max.max(self.stats.vm_total);
    }

    /// Records that the page at `address` is now resident in `frame`.
    /// Returns the page record it replaced, if any (a swap slot to free, or
    /// a shared frame to release after copy-on-write).
    ///
    /// `vm_total` grows by one when the page was not resident before; a
    /// frame replacing another (copy-on-write) leaves it unchanged.
    pub fn attach(&mut self, address: u64, frame: u64) -> Option<Page> {
        let page = page_floor(address);
        let region = self.region_mut(page)?;
        let previous = region.pages.insert(page, Page::Resident(frame));
        if !matches!(previous, Some(Page::Resident(_))) {
            self.attached();
        }
        previous
    }

    /// How far a run of pages without a record extends from `address` in
    /// its region: the first page at or after it that has a record, or the
    /// region's end (`None` outside a region).
    pub fn unrecorded_until(&self, address: u64) -> Option<u64> {
        let page = page_floor(address);
        let region = self.region(page)?;
        Some(
            region
                .pages
                .range(page..)
                .next()
                .map_or(region.end, |(&recorded, _)| recorded),
        )
    }

    /// Records pages `start`, `start + PAGE_SIZE`, ... as resident in
    /// `frames` (in order), all in the region containing `start` and with
    /// no record before (see [`VmSpace::unrecorded_until`]); one region
    /// lookup for the run. Returns how many were recorded: a page outside
    /// the region or already recorded ends the run (the caller keeps the
    /// frames from there on).
    pub fn attach_run(&mut self, start: u64, frames: &[u64]) -> usize {
        let Some(region) = self.region_mut(start) else {
            return 0;
        };
        let mut attached = 0;
        let mut page = page_floor(start);
        for &frame in frames {
            if page >= region.end {
                break;
            }
            // One map operation per page: a record found in the way is put
            // back and ends the run.
            if let Some(previous) = region.pages.insert(page, Page::Resident(frame)) {
                region.pages.insert(page, previous);
                break;
            }
            attached += 1;
            page += PAGE_SIZE;
        }
        for _ in 0..attached {
            self.attached();
        }
        attached
    }

    /// Records that the resident page at `address` went to swap slot `slot`;
    /// returns the frame it occupied.
    pub fn swap_out(&mut self, address: u64, slot: u32) -> Option<u64> {
        let page = page_floor(address);
        let region = self.region_mut(page)?;
        match region.pages.get(&page).copied() {
            Some(Page::Resident(frame)) => {
                region.pages.insert(page, Page::Swapped(slot));
                self.stats.vm_total -= 1;
                Some(frame)
            }
            _ => None,
        }
    }

    /// Removes the record of the page at `address` (resident: a detach,
    /// counted in `vm_total`); returns it.
    pub fn detach(&mut self, address: u64) -> Option<Page> {
        let page = page_floor(address);
        let record = self.region_mut(page)?.pages.remove(&page)?;
        if matches!(record, Page::Resident(_)) {
            self.stats.vm_total -= 1;
        }
        Some(record)
    }

    /// Replaces the swap slot of a swapped page (a forked child gets its own
    /// copy of the parent's slot). Returns whether the page was swapped.
    pub fn replace_swap_slot(&mut self, address: u64, slot: u32) -> bool {
        let page = page_floor(address);
        let Some(region) = self.region_mut(page) else {
            return false;
        };
        match region.pages.get_mut(&page) {
            Some(record @ Page::Swapped(_)) => {
                *record = Page::Swapped(slot);
                true
            }
            _ => false,
        }
    }

    /// The lowest free, page-aligned address at or above `from` with room
    /// for `len` bytes below `limit` (for new shared regions).
    pub fn find_gap(&self, from: u64, len: u64, limit: u64) -> Option<u64> {
        let mut candidate = page_ceil(from);
        for region in self.regions.range(candidate..).map(|(_, region)| region) {
            if candidate.checked_add(len)? <= region.start {
                break;
            }
            candidate = candidate.max(region.end);
        }
        (candidate.checked_add(len)? <= limit).then_some(candidate)
    }

    /// Removes every page (process teardown); returns them so the caller can
    /// release frames and swap slots. `vm_total` drops to zero.
    pub fn detach_all(&mut self) -> Vec<(u64, Page)> {
        let mut pages = Vec::new();
        for region in self.regions.values_mut() {
            pages.extend(core::mem::take(&mut region.pages));
        }
        self.stats.vm_total = 0;
        pages
    }

    /// Sets where the heap starts (just above the program's data).
    pub fn set_heap_start(&mut self, start: u64) {
        self.heap_start = page_ceil(start);
        self.brk = self.heap_start;
    }

    /// The program break.
    pub fn brk(&self) -> u64 {
        self.brk
    }

    /// Moves the program break to `new_brk`, growing or shrinking the heap
    /// region. Returns the pages that fell out of a shrinking heap.
    pub fn set_brk(&mut self, new_brk: u64, user_end: u64) -> Result<Vec<(u64, Page)>, VmError> {
        if self.heap_start == 0 || new_brk < self.heap_start || new_brk > user_end {
            return Err(VmError::BadRange);
        }
        let old_end = page_ceil(self.brk);
        let new_end = page_ceil(new_brk);
        let mut removed = Vec::new();
        if new_end > old_end {
            let collides = self.regions.range(old_end..new_end).next().is_some();
            if collides {
                return Err(VmError::HeapCollision);
            }
            let full = self.regions.len() >= MAX_REGIONS;
            match self.regions.get_mut(&self.heap_start) {
                Some(heap) => heap.end = new_end,
                None if full => return Err(VmError::TooManyRegions),
                None => {
                    let heap = Region::new(
                        self.heap_start,
                        new_end,
                        Perms::RW,
                        RegionKind::Heap,
                        Backing::Anonymous,
                    );
                    self.regions.insert(self.heap_start, heap);
                }
            }
        } else if new_end < old_end
            && let Some(mut heap) = self.regions.remove(&self.heap_start)
        {
            let kept = heap.pages.split_off(&new_end);
            removed.extend(kept);
            let resident = removed
                .iter()
                .filter(|(_, page)| matches!(page, Page::Resident(_)))
                .count() as u64;
            self.stats.vm_total -= resident;
            if new_end > heap.start {
                heap.end = new_end;
                self.regions.insert(heap.start, heap);
            }
        }
        self.brk = new_brk;
        Ok(removed)
    }

    /// Number of regions.
    pub fn region_count(&self) -> usize {
        self.regions.len()
    }

    /// Page records (resident or swapped) in all regions.
    pub fn page_records(&self) -> usize {
        self.regions.values().map(|region| region.pages.len()).sum()
    }

    /// An upper bound of the kernel heap a copy of this address space takes
    /// (what [`Self::fork_copy`] allocates).
    pub fn heap_cost(&self) -> usize {
        self.region_count() * HEAP_BYTES_PER_REGION + self.page_records() * HEAP_BYTES_PER_PAGE
    }

    /// The child's view after fork: the same regions and pages (the caller
    /// shares the frames copy-on-write), its own counters (faults zero,
    /// `vm_total` the pages attached by the copy).
    pub fn fork_copy(&self) -> VmSpace {
        let mut child = self.clone();
        let resident = child.regions.values().map(Region::resident_pages).sum();
        child.stats = VmStats {
            vm_total: resident,
            vm_total_max: resident,
            minor_faults: 0,
            major_faults: 0,
        };
        child.flags = VmFlags {
            in_use: true,
            exiting: false,
        };
        child.pressure = Pressure::default();
        child
    }

    /// Whether `[address, address + len)` lies in regions that allow the
    /// access (`write`: writing; otherwise reading).
    pub fn check_range(&self, address: u64, len: u64, write: bool) -> bool {
        let Some(end) = address.checked_add(len) else {
            return false;
        };
        let mut cursor = address;
        while cursor < end {
            match self.region(cursor) {
                Some(region) if region.perms.read && (!write || region.perms.write) => {
                    cursor = region.end
                }
                _ => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: u64 = 0x40_0000;
    const DATA: u64 = 0x40_3000;

    fn program() -> VmSpace {
        let mut space = VmSpace::new();
        let text = Region::new(
            TEXT,
            TEXT + 0x3000,
            Perms::RX,
            RegionKind::Text,
            Backing::File {
                file: 1,
                offset: 0x1000,
                len: 0x2cff,
            },
        );
        let data = Region::new(
            DATA,
            DATA + 0x2000,
            Perms::RW,
            RegionKind::Data,
            Backing::File {
                file: 1,
                offset: 0x4000,
                len: 0x2b8,
            },
        );
        space.add_region(text).unwrap();
        space.add_region(data).unwrap();
        space.set_heap_start(DATA + 0x2000);
        space
    }

    fn owned(_: u64) -> bool {
        true
    }

    #[test]
    fn a_run_is_recorded_up_to_the_first_recorded_page_or_the_region_end() {
        let mut space = program();
        // DATA has two pages; the second already has a record.
        assert_eq!(space.attach(DATA + 0x1000, 0x9000), None);
        assert_eq!(space.unrecorded_until(DATA), Some(DATA + 0x1000));
        assert_eq!(space.unrecorded_until(DATA + 0x1000), Some(DATA + 0x1000));
        assert_eq!(space.attach_run(DATA, &[0xa000, 0xb000]), 1);
        assert_eq!(space.stats.vm_total, 2);
        assert_eq!(
            space.region(DATA).unwrap().page(DATA),
            Some(Page::Resident(0xa000))
        );
        assert_eq!(
            space.region(DATA).unwrap().page(DATA + 0x1000),
            Some(Page::Resident(0x9000))
        );
        // TEXT: three record-less pages, a run of four stops at its end.
        assert_eq!(space.unrecorded_until(TEXT + 0x1000), Some(TEXT + 0x3000));
        assert_eq!(
            space.attach_run(TEXT + 0x1000, &[0xc000, 0xd000, 0xe000, 0xf000]),
            2
        );
        assert_eq!(space.stats.vm_total, 4);
        assert_eq!(space.stats.vm_total_max, 4);
        // Outside any region: nothing.
        assert_eq!(space.unrecorded_until(0x1000), None);
        assert_eq!(space.attach_run(0x1000, &[0x1000]), 0);
    }

    fn shared(_: u64) -> bool {
        false
    }

    #[test]
    fn faults_outside_regions_and_writes_to_text_are_segv() {
        let space = program();
        assert_eq!(
            space.plan_fault(0x1000, Access::Read, owned),
            FaultPlan::Segv(SegvReason::NoRegion)
        );
        assert_eq!(
            space.plan_fault(TEXT + 8, Access::Write, owned),
            FaultPlan::Segv(SegvReason::ReadOnly)
        );
        assert_eq!(
            space.plan_fault(DATA, Access::Execute, owned),
            FaultPlan::Segv(SegvReason::NotExecutable)
        );
    }

    #[test]
    fn file_pages_are_shared_when_whole_and_private_when_partial_or_written() {
        let space = program();
        assert_eq!(
            space.plan_fault(TEXT + 0x1234, Access::Execute, owned),
            FaultPlan::FilePage {
                file: 1,
                offset: 0x2000,
                len: 0x1000,
                private: false
            }
        );
        assert_eq!(
            space.plan_fault(TEXT + 0x2000, Access::Read, owned),
            FaultPlan::FilePage {
                file: 1,
                offset: 0x3000,
                len: 0xcff,
                private: true
            }
        );
        assert_eq!(
            space.plan_fault(DATA, Access::Read, owned),
            FaultPlan::FilePage {
                file: 1,
                offset: 0x4000,
                len: 0x2b8,
                private: true
            }
        );
        // The second data page is past the file's bytes: bss, zero-filled.
        assert_eq!(
            space.plan_fault(DATA + 0x1000, Access::Write, owned),
            FaultPlan::ZeroFill
        );
    }

    #[test]
    fn vm_total_moves_one_page_per_attach_and_detach() {
        let mut space = program();
        space.attach(TEXT, 0xa000);
        space.attach(TEXT + 0x1000, 0xb000);
        assert_eq!((space.stats.vm_total, space.stats.vm_total_max), (2, 2));
        // Copy-on-write replaces a frame: no change.
        assert_eq!(space.attach(TEXT, 0xc000), Some(Page::Resident(0xa000)));
        assert_eq!(space.stats.vm_total, 2);
        assert_eq!(space.swap_out(TEXT, 7), Some(0xc000));
        assert_eq!((space.stats.vm_total, space.stats.vm_total_max), (1, 2));
        assert_eq!(
            space.plan_fault(TEXT, Access::Read, owned),
            FaultPlan::SwapIn { slot: 7 }
        );
        assert_eq!(space.attach(TEXT, 0xd000), Some(Page::Swapped(7)));
        assert_eq!(space.stats.vm_total, 2);
        assert_eq!(space.detach_all().len(), 2);
        assert_eq!((space.stats.vm_total, space.stats.vm_total_max), (0, 2));
    }

    #[test]
    fn writes_to_shared_resident_pages_copy_and_owned_ones_remap() {
        let mut space = program();
        space.attach(DATA + 0x1000, 0x5000);
        assert_eq!(
            space.plan_fault(DATA + 0x1000, Access::Write, shared),
            FaultPlan::CopyOnWrite { frame: 0x5000 }
        );
        assert_eq!(
            space.plan_fault(DATA + 0x1000, Access::Write, owned),
            FaultPlan::Map {
                frame: 0x5000,
                writable: true
            }
        );
        assert_eq!(
            space.plan_fault(DATA + 0x1000, Access::Read, shared),
            FaultPlan::Map {
                frame: 0x5000,
                writable: false
            }
        );
    }

    #[test]
    fn the_heap_grows_and_shrinks_with_brk() {
        let mut space = program();
        let heap = DATA + 0x2000;
        assert_eq!(
            space.plan_fault(heap, Access::Write, owned),
            FaultPlan::Segv(SegvReason::NoRegion)
        );
        space.set_brk(heap + 0x2800, 1 << 47).unwrap();
        assert_eq!(
            space.plan_fault(heap + 0x2000, Access::Write, owned),
            FaultPlan::ZeroFill
        );
        assert_eq!(space.region(heap).unwrap().end, heap + 0x3000);
        space.attach(heap + 0x2000, 0x9000);
        let removed = space.set_brk(heap + 0x1000, 1 << 47).unwrap();
        assert_eq!(removed, vec![(heap + 0x2000, Page::Resident(0x9000))]);
        assert_eq!(space.stats.vm_total, 0);
        assert!(space.set_brk(heap - 1, 1 << 47).is_err());
    }

    #[test]
    fn the_heap_cannot_grow_into_another_region() {
        let mut space = program();
        let heap = DATA + 0x2000;
        space
            .add_region(Region::new(
                heap + 0x4000,
                heap + 0x5000,
                Perms::RW,
                RegionKind::Shared,
                Backing::Anonymous,
            ))
            .unwrap();
        assert_eq!(
            space.set_brk(heap + 0x4001, 1 << 47),
            Err(VmError::HeapCollision)
        );
        assert!(space.set_brk(heap + 0x4000, 1 << 47).is_ok());
    }

    #[test]
    fn a_forked_child_has_its_own_counters() {
        let mut parent = program();
        parent.attach(TEXT, 0xa000);
        parent.attach(DATA, 0xb000);
        parent.count_fault(false);
        parent.count_fault(true);
        let child = parent.fork_copy();
        assert_eq!(
            child.stats,
            VmStats {
                vm_total: 2,
                vm_total_max: 2,
                minor_faults: 0,
                major_faults: 0
            }
        );
        assert_eq!(
            child.region(DATA).unwrap().page(DATA),
            Some(Page::Resident(0xb000))
        );
    }

    #[test]
    fn shared_pages_are_never_copied_on_write() {
        let mut space = program();
        let start = 0x1000_0000_0000;
        let region = Region::new(
            start,
            start + 0x2000,
            Perms::RW,
            RegionKind::Shared,
            Backing::Shared { object: 5 },
        );
        space.add_region(region).unwrap();
        assert_eq!(
            space.plan_fault(start + 0x1000, Access::Write, shared),
            FaultPlan::SharedPage {
                object: 5,
                index: 1
            }
        );
        space.attach(start + 0x1000, 0x8000);
        assert_eq!(
            space.plan_fault(start + 0x1000, Access::Write, shared),
            FaultPlan::Map {
                frame: 0x8000,
                writable: true
            }
        );
    }

    #[test]
    fn gaps_are_found_between_regions() {
        let mut space = program();
        let base = 0x1000_0000_0000;
        assert_eq!(space.find_gap(base, 0x3000, 1 << 47), Some(base));
        space
            .add_region(Region::new(
                base,
                base + 0x2000,
                Perms::RW,
                RegionKind::Shared,
                Backing::Shared { object: 1 },
            ))
            .unwrap();
        assert_eq!(space.find_gap(base, 0x3000, 1 << 47), Some(base + 0x2000));
        assert_eq!(space.find_gap(base, 0x3000, base + 0x4000), None);
    }

    #[test]
    fn a_swapped_page_can_get_a_new_slot() {
        let mut space = program();
        space.attach(DATA + 0x1000, 0x5000);
        space.swap_out(DATA + 0x1000, 3);
        assert!(space.replace_swap_slot(DATA + 0x1000, 9));
        assert_eq!(
            space.region(DATA).unwrap().page(DATA + 0x1000),
            Some(Page::Swapped(9))
        );
        assert!(!space.replace_swap_slot(DATA, 1), "not swapped");
    }

    #[test]
    fn an_address_space_holds_at_most_max_regions_and_knows_its_heap_cost() {
        let mut space = program();
        let base = 0x1000_0000_0000;
        let mut added = 0;
        let refusal = loop {
            let start = base + added * 0x1000;
            let region = Region::new(
                start,
                start + 0x1000,
                Perms::RW,
                RegionKind::Shared,
                Backing::Shared {
                    object: added as u32,
                },
            );
            match space.add_region(region) {
                Ok(()) => added += 1,
                Err(error) => break error,
            }
        };
        assert_eq!(refusal, VmError::TooManyRegions);
        assert_eq!(space.region_count(), MAX_REGIONS);
        assert_eq!(added as usize, MAX_REGIONS - 2, "text and data came first");
        space.attach(base, 0x5000);
        space.attach(base + 0x1000, 0x6000);
        assert_eq!(space.page_records(), 2);
        assert_eq!(
            space.heap_cost(),
            MAX_REGIONS * HEAP_BYTES_PER_REGION + 2 * HEAP_BYTES_PER_PAGE
        );
        // The heap is a region too: it cannot come into being as one more.
        assert_eq!(
            space.set_brk(DATA + 0x3000, 1 << 47),
            Err(VmError::TooManyRegions)
        );
    }

    #[test]
    fn overlapping_regions_are_refused() {
        let mut space = program();
        let overlap = Region::new(
            TEXT + 0x2000,
            TEXT + 0x4000,
            Perms::R,
            RegionKind::Data,
            Backing::Anonymous,
        );
        assert_eq!(space.add_region(overlap), Err(VmError::Overlap));
    }

    #[test]
    fn user_ranges_are_checked_against_regions_and_permissions() {
        let space = program();
        assert!(space.check_range(TEXT, 0x3000, false));
        assert!(!space.check_range(TEXT, 0x10, true));
        assert!(
            space.check_range(TEXT + 0x2ff0, 0x20, false),
            "spans text and data"
        );
        assert!(
            !space.check_range(DATA + 0x1ff0, 0x20, false),
            "runs past the data region"
        );
        assert!(!space.check_range(u64::MAX - 4, 10, false));
    }
}
