//! What the `virtio-drivers` crate needs from the kernel: DMA memory, MMIO
//! mappings and buffer sharing.
//!
//! DMA memory is physically contiguous frames, reached through the direct
//! map. Buffers the driver shares with the device go through bounce frames,
//! so a buffer on a kernel stack (not physically contiguous) is as safe as
//! any other.
//!
//! Bounce frames come from a pool reserved when the device is set up
//! ([`KernelHal::reserve_bounce_frames`]), never from the frame allocator
//! while a request is made: a swap-in or swap-out happens exactly when
//! frames have run out, and must not need a fresh one.

use super::paging::{self, phys_to_virt};
use super::physmem::TableFrame;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

/// Bounce frames kept for requests. A block request shares three buffers
/// (header, data, status), each at most a page, and the disk serves one
/// request at a time; a virtio console (`link=virtio`) holds one for its
/// receive buffer and one per write (a timer-tick drain can interrupt a
/// disk request): five at most, and room for the devices' own setup.
pub const BOUNCE_FRAMES: usize = 8;

/// The pool: a frame's physical address, or 0 for an empty entry.
static BOUNCE_POOL: [AtomicU64; BOUNCE_FRAMES] = [const { AtomicU64::new(0) }; BOUNCE_FRAMES];

/// Takes a frame from the pool.
fn take_bounce_frame() -> Option<u64> {
    BOUNCE_POOL.iter().find_map(|entry| {
        let frame = entry.swap(0, Ordering::AcqRel);
        (frame != 0).then_some(frame)
    })
}

/// Puts a frame back into the pool; false if the pool is full.
fn return_bounce_frame(frame: u64) -> bool {
    BOUNCE_POOL.iter().any(|entry| {
        entry
            .compare_exchange(0, frame, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    })
}

/// Frame allocation for DMA, provided by the kernel's memory module.
pub trait DmaFrames {
    /// `pages` physically contiguous frames; their physical address.
    fn allocate(pages: usize) -> Option<u64>;
    /// Frees frames from [`DmaFrames::allocate`].
    ///
    /// # Safety
    /// `address` and `pages` are those of one [`DmaFrames::allocate`]
    /// result that neither the device nor anything else uses any more.
    unsafe fn free(address: u64, pages: usize);
}

/// The `Hal` of our virtio devices.
pub struct KernelHal<F>(core::marker::PhantomData<F>);

impl<F: DmaFrames> KernelHal<F> {
    /// Fills the bounce pool (at boot, before the first request); returns
    /// how many frames it holds.
    pub fn reserve_bounce_frames() -> usize {
        let mut held = BOUNCE_POOL
            .iter()
            .filter(|entry| entry.load(Ordering::Acquire) != 0)
            .count();
        while held < BOUNCE_FRAMES {
            let Some(frame) = F::allocate(1) else { break };
            if !return_bounce_frame(frame) {
                // SAFETY: just allocated and not put anywhere.
                unsafe { F::free(frame, 1) };
                break;
            }
            held += 1;
        }
        held
    }
}

const PAGE_SIZE: usize = 4096;

// SAFETY: DMA memory is fresh, zeroed, contiguous frames owned by the device
// until `dma_dealloc`; MMIO addresses are mapped uncached before use; shared
// buffers are copied through bounce frames that nothing else references.
unsafe impl<F: DmaFrames> Hal for KernelHal<F> {
    #[allow(
        clippy::expect_used,
        reason = "only the device's setup at boot allocates DMA memory; \
                  the direct map never yields a null address"
    )]
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        // Only the device's setup at boot allocates DMA memory (its
        // queues), before any program runs; no program can reach this.
        let physical = F::allocate(pages).expect("out of memory for virtio DMA at boot");
        let virtual_address = phys_to_virt(physical).as_mut_ptr::<u8>();
        // SAFETY: the direct map covers every RAM frame, and the frames are
        // ours alone; zero them as the contract requires.
        unsafe { core::ptr::write_bytes(virtual_address, 0, pages * PAGE_SIZE) };
        (
            physical,
            NonNull::new(virtual_address).expect("direct-map address is not null"),
        )
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        // SAFETY: `Hal::dma_dealloc`'s contract: the buffer came from
        // `dma_alloc` and the device no longer uses it.
        unsafe { F::free(paddr, pages) };
        0
    }

    #[allow(
        clippy::expect_used,
        reason = "boot-time device setup; the direct map never yields a null address"
    )]
    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        let virtual_address = paging::map_device_memory(paddr, size as u64, &mut || {
            // SAFETY: `allocate` hands out fresh frames nothing refers to.
            F::allocate(1).map(|frame| unsafe { TableFrame::from_raw(frame) })
        });
        NonNull::new(virtual_address.as_mut_ptr::<u8>()).expect("direct-map address is not null")
    }

    #[allow(
        clippy::expect_used,
        reason = "invariant: the reserved bounce pool covers every request (see below)"
    )]
    unsafe fn share(buffer: NonNull<[u8]>, direction: BufferDirection) -> PhysAddr {
        let len = buffer.len();
        let pages = len.div_ceil(PAGE_SIZE).max(1);
        // Invariant: every buffer our devices share is at most a page, at
        // most five at a time (a disk request, the console's receive buffer
        // and a console write), and the pool holds BOUNCE_FRAMES >= 5
        // frames reserved at boot, so the pool never
        // runs dry; the allocator is only a fallback for bigger buffers,
        // which only the device's setup at boot could share.
        let bounce = if pages == 1 {
            take_bounce_frame().or_else(|| F::allocate(1))
        } else {
            F::allocate(pages)
        }
        .expect("the bounce pool covers every request (see BOUNCE_FRAMES)");
        if direction != BufferDirection::DeviceToDriver {
            // SAFETY: the caller guarantees `buffer` is valid for `len` bytes;
            // the bounce frames are fresh and `pages` long.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    buffer.as_ptr().cast::<u8>(),
                    phys_to_virt(bounce).as_mut_ptr::<u8>(),
                    len,
                );
            }
        }
        bounce
    }

    unsafe fn unshare(paddr: PhysAddr, buffer: NonNull<[u8]>, direction: BufferDirection) {
        let len = buffer.len();
        if direction != BufferDirection::DriverToDevice {
            // SAFETY: `paddr` is the bounce buffer from `share`, `len` bytes
            // long; `buffer` is valid and unaliased for the call.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    phys_to_virt(paddr).as_ptr::<u8>(),
                    buffer.as_ptr().cast::<u8>(),
                    len,
                );
            }
        }
        let pages = len.div_ceil(PAGE_SIZE).max(1);
        if pages != 1 || !return_bounce_frame(paddr) {
            // SAFETY: `paddr` is the bounce buffer `share` allocated for
            // this buffer, which the device has finished with.
            unsafe { F::free(paddr, pages) };
        }
    }
}
