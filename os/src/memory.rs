//! Physical memory: the frame allocator and the kernel's address space.

use crate::arch::paging;
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
/// kernel's own page tables.
pub fn init(boot: &BootInfo) -> MemorySummary {
    let limit = boot.ram.iter().map(|range| range.end).max().unwrap_or(0);
    let mut reserved: Vec<PhysRange> = boot.modules.clone();
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
    paging::init_kernel_space(limit, &is_ram, &mut || frames.allocate())
        .expect("building the kernel page tables");

    // The heap grows by a contiguous run of frames: an eighth of RAM,
    // between 4 and 64 MiB.
    let heap_frames = (frames.usable_frames() / 8).clamp(1024, 16 * 1024);
    let heap_base = frames
        .allocate_contiguous(heap_frames)
        .expect("frames for the kernel heap");
    let heap_pointer = paging::phys_to_virt(heap_base).as_mut_ptr::<u8>();
    assert!(
        crate::heap::grow(heap_pointer, heap_frames * 4096),
        "claiming the kernel heap"
    );

    let summary = MemorySummary {
        ram_bytes: boot.ram.iter().map(PhysRange::len).sum(),
        free_frames: frames.free_frames(),
    };
    FRAMES.with(|slot| *slot = Some(frames));
    summary
}

/// Runs `f` with the frame allocator.
pub fn with_frames<R>(f: impl FnOnce(&mut FrameAllocator) -> R) -> R {
    FRAMES.with(|slot| f(slot.as_mut().expect("memory::init runs first")))
}

/// Frames only system services and the kernel itself may take: what a
/// service needs to go on working (its stack, a message buffer, a page
/// table) while ordinary programs have used up everything else, so that
/// the services handling an exit event never find memory gone.
pub const SERVICE_RESERVE_FRAMES: usize = 64;

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
/// left.
pub fn allocate(claim: Claim) -> Option<u64> {
    with_frames(|frames| frames.allocate_keeping(claim.frames_kept()))
}

/// Whether the kernel heap has `bytes` to spare for `claim`, beyond the
/// reserve it must leave.
pub fn heap_allows(claim: Claim, bytes: usize) -> bool {
    crate::heap::available() >= bytes.saturating_add(claim.heap_kept())
}
