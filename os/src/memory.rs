//! Physical memory: the frame allocator and the kernel's address space.
//!
//! The allocator is private to this module: the rest of the kernel gets
//! frames as owned [`Frame`] handles ([`allocate`], [`share`]) and gives
//! them back with [`release`]; page tables get [`TableFrame`]s
//! ([`allocate_table`]). Raw addresses are handed out only for kernel
//! stacks and DMA ([`allocate_raw`]), and giving one back ([`free_raw`],
//! [`release_raw`]) is `unsafe`: a wrong address would free a frame
//! someone still uses.

use crate::arch::paging;
pub use crate::arch::physmem::{Frame, TableFrame};
use crate::arch::pvh::BootInfo;
use crate::sync::IrqLock;
use alloc::vec::Vec;
use kernel_core::frames::FrameAllocator;
use kernel_core::memory_map::{self, PhysRange};

static FRAMES: IrqLock<Option<FrameAllocator>> = IrqLock::new("frames", None);

/// What memory initialisation found.
pub struct MemorySummary {
    /// Bytes of RAM the firmware reported.
    pub ram_bytes: u64,
    /// Frames free after the kernel's own tables were built.
    pub free_frames: usize,
}

/// Sets up the frame allocator from the memory map and switches to the
/// kernel's own page tables. Boot-time: without page tables or a heap the
/// kernel cannot run, so failing here is a panic (reported to the host).
#[allow(
    clippy::expect_used,
    reason = "boot-time init, before any program exists"
)]
pub fn init(boot: &BootInfo) -> MemorySummary {
    let limit = boot.ram.iter().map(|range| range.end).max().unwrap_or(0);
    let mut reserved: Vec<PhysRange> = boot.modules.clone();
    reserved.extend(boot.reserved.iter().copied());
    // Everything below the end of the kernel image: the BIOS area, the boot
    // structures and the image itself.
    reserved.push(PhysRange {
        start: 0,
        end: paging::kernel_image_end(),
    });

    let mut frames = FrameAllocator::new(limit);
    for range in memory_map::free_ranges(&boot.ram, &reserved) {
        frames.add_free_range(range);
    }
    let is_ram = |address: u64| {
        boot.ram
            .iter()
            .any(|range| range.start <= address && address < range.end)
    };
    paging::init_kernel_space(limit, &is_ram, &mut || frames.allocate().map(fresh_table))
        .expect("building the kernel page tables");

    // The heap grows by a contiguous run of frames: an eighth of RAM,
    // between 4 and 64 MiB. It takes them from the allocator itself.
    let heap_frames = (frames.usable_frames() / 8).clamp(1024, 16 * 1024);
    assert!(
        crate::heap::grow_from(&mut frames, heap_frames),
        "frames for the kernel heap"
    );

    let summary = MemorySummary {
        ram_bytes: boot.ram.iter().map(PhysRange::len).sum(),
        free_frames: frames.free_frames(),
    };
    FRAMES.with(|slot| *slot = Some(frames));
    summary
}

/// Runs `f` with the frame allocator (private: see the module
/// documentation).
fn with_frames<R>(f: impl FnOnce(&mut FrameAllocator) -> R) -> Option<R> {
    FRAMES.with(|slot| slot.as_mut().map(f))
}

/// Frames free now (0 before `init`).
pub fn free_frames() -> usize {
    with_frames(|frames| frames.free_frames()).unwrap_or(0)
}

/// Frames the allocator manages, free or not (0 before `init`).
pub fn usable_frames() -> usize {
    with_frames(|frames| frames.usable_frames()).unwrap_or(0)
}

/// Users of the frame recorded as `address` (0 if free or unmanaged).
pub fn users_of(address: u64) -> u32 {
    with_frames(|frames| frames.users(address)).unwrap_or(0)
}

/// A second reference to `frame` (its users count one more).
#[allow(unsafe_code)]
pub fn share(frame: &Frame) -> Frame {
    with_frames(|frames| frames.share(frame.address()));
    // SAFETY: the frame is allocated (or, for a frame the allocator does
    // not manage such as the boot archive's, RAM that is never freed) and
    // the reference just counted belongs to the new handle.
    unsafe { Frame::from_raw(frame.address()) }
}

/// Gives back one reference; the frame is freed with its last.
pub fn release(frame: Frame) {
    with_frames(|frames| frames.release(frame.into_raw()));
}

/// Gives back the reference a record held as `address`.
///
/// # Safety
/// The caller's record holds one reference to the frame at `address`
/// (see [`Frame::from_raw`]) and drops it now: nothing uses the frame
/// through that record afterwards.
#[allow(unsafe_code)]
pub unsafe fn release_raw(address: u64) {
    // SAFETY: the caller's contract.
    release(unsafe { Frame::from_raw(address) });
}

/// A frame for a kernel stack or a DMA buffer, as a raw address (which by
/// itself gives no access to anything): `None` if frames ran out.
pub fn allocate_raw() -> Option<u64> {
    with_frames(|frames| frames.allocate()).flatten()
}

/// `count` contiguous frames (DMA buffers), as the address of the first.
pub fn allocate_contiguous_raw(count: usize) -> Option<u64> {
    with_frames(|frames| frames.allocate_contiguous(count)).flatten()
}

/// Frees a frame from [`allocate_raw`] or [`allocate_contiguous_raw`].
/// Returns whether it was allocated.
///
/// # Safety
/// `address` came from one of those (or from a page-table walk of a
/// table the caller owns) and nothing uses the frame any more: no page
/// table entry, DMA descriptor or `Frame` refers to it.
#[allow(unsafe_code)]
pub unsafe fn free_raw(address: u64) -> bool {
    with_frames(|frames| frames.free(address).is_ok()).unwrap_or(false)
}

/// Frames only system services and the kernel itself may take: what a
/// service needs to go on working (its stack, a message buffer, a page
/// table) while ordinary programs have used up everything else, so that
/// the services handling an exit event never find memory gone.
pub const SERVICE_RESERVE_FRAMES: usize = 64;

/// Below this many free frames, pageout reclaims (above the services'
/// reserve, so programs page out before they run into it); fault-around
/// keeps well above it.
pub const PAGEOUT_LOW_WATERMARK: usize = SERVICE_RESERVE_FRAMES + 64;

/// Kernel heap bytes kept from page faults and new regions of ordinary
/// programs, for the kernel's own needs (process slots, messages, events,
/// the services' faults).
pub const HEAP_RESERVE_BYTES: usize = 1024 * 1024;

/// Who a frame is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// An ordinary program: never the last [`SERVICE_RESERVE_FRAMES`].
    Program,
    /// A system service or the kernel: any free frame.
    Service,
}

impl Claim {
    /// The claim of a process.
    pub fn of(privileged: bool) -> Self {
        if privileged {
            Claim::Service
        } else {
            Claim::Program
        }
    }

    /// Free frames this claim must leave.
    fn frames_kept(self) -> usize {
        match self {
            Claim::Program => SERVICE_RESERVE_FRAMES,
            Claim::Service => 0,
        }
    }

    /// Heap bytes this claim must leave.
    fn heap_kept(self) -> usize {
        match self {
            Claim::Program => HEAP_RESERVE_BYTES,
            Claim::Service => HEAP_RESERVE_BYTES / 4,
        }
    }
}

/// One frame for `claim`, or `None` if only the reserve it may not use is
/// left. The frame's contents are whatever its last user left: zero it
/// before a program may see it.
#[allow(unsafe_code)]
pub fn allocate(claim: Claim) -> Option<Frame> {
    let address = with_frames(|frames| frames.allocate_keeping(claim.frames_kept())).flatten()?;
    // SAFETY: the allocator just handed out this frame: its only reference
    // goes to the new handle.
    Some(unsafe { Frame::from_raw(address) })
}

/// A frame for a page table of `claim`.
pub fn allocate_table(claim: Claim) -> Option<TableFrame> {
    with_frames(|frames| frames.allocate_keeping(claim.frames_kept()))
        .flatten()
        .map(fresh_table)
}

/// Wraps a frame the allocator just handed out for a page table.
#[allow(unsafe_code)]
fn fresh_table(address: u64) -> TableFrame {
    // SAFETY: only called with an address the allocator just handed out,
    // which nothing else refers to.
    unsafe { TableFrame::from_raw(address) }
}

/// Whether the kernel heap has `bytes` to spare for `claim`, beyond the
/// reserve it must leave.
pub fn heap_allows(claim: Claim, bytes: usize) -> bool {
    crate::heap::available() >= bytes.saturating_add(claim.heap_kept())
}

/// DMA frames for the virtio driver, from the frame allocator.
pub struct DmaFrameSource;

impl crate::arch::virtio_hal::DmaFrames for DmaFrameSource {
    fn allocate(pages: usize) -> Option<u64> {
        allocate_contiguous_raw(pages)
    }

    #[allow(unsafe_code)]
    unsafe fn free(address: u64, pages: usize) {
        for page in 0..pages as u64 {
            // SAFETY: the trait's contract: one allocation, unused now.
            unsafe { free_raw(address + page * 4096) };
        }
    }
}
