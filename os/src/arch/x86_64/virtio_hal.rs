//! What the `virtio-drivers` crate needs from the kernel: DMA memory, MMIO
//! mappings and buffer sharing.
//!
//! DMA memory is physically contiguous frames, reached through the direct
//! map. Buffers the driver shares with the device go through bounce frames,
//! so a buffer on a kernel stack (not physically contiguous) is as safe as
//! any other.

use super::paging::{self, phys_to_virt};
use core::ptr::NonNull;
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

/// Frame allocation for DMA, provided by the kernel's memory module.
pub trait DmaFrames {
    /// `pages` zeroed, physically contiguous frames; their physical address.
    fn allocate(pages: usize) -> Option<u64>;
    /// Frees frames from [`DmaFrames::allocate`].
    fn free(address: u64, pages: usize);
}

/// The `Hal` of our virtio devices.
pub struct KernelHal<F>(core::marker::PhantomData<F>);

const PAGE_SIZE: usize = 4096;

// SAFETY: DMA memory is fresh, zeroed, contiguous frames owned by the device
// until `dma_dealloc`; MMIO addresses are mapped uncached before use; shared
// buffers are copied through bounce frames that nothing else references.
unsafe impl<F: DmaFrames> Hal for KernelHal<F> {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let physical = F::allocate(pages).expect("out of memory for virtio DMA");
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
        F::free(paddr, pages);
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        let virtual_address = paging::map_device_memory(paddr, size as u64, &mut || F::allocate(1));
        NonNull::new(virtual_address.as_mut_ptr::<u8>()).expect("direct-map address is not null")
    }

    unsafe fn share(buffer: NonNull<[u8]>, direction: BufferDirection) -> PhysAddr {
        let len = buffer.len();
        let pages = len.div_ceil(PAGE_SIZE).max(1);
        let bounce = F::allocate(pages).expect("out of memory for a virtio bounce buffer");
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
        F::free(paddr, len.div_ceil(PAGE_SIZE).max(1));
    }
}
