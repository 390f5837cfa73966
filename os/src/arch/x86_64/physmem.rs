//! Reading and writing physical frames through the direct map.
//!
//! The VM layer owns frames as plain physical addresses; these functions
//! are the only place their contents are touched. Each takes frames the
//! caller owns (allocated and not yet handed to anyone who could race, or
//! shared read-only), which with one CPU and interrupts off makes every
//! access exclusive.

use super::paging::phys_to_virt;

const PAGE_SIZE: usize = 4096;

fn frame_pointer(frame: u64) -> *mut u8 {
    debug_assert_eq!(frame % PAGE_SIZE as u64, 0);
    phys_to_virt(frame).as_mut_ptr()
}

/// Fills the frame with zeros.
pub fn zero_frame(frame: u64) {
    // SAFETY: the direct map covers every RAM frame; the caller owns the frame.
    unsafe { core::ptr::write_bytes(frame_pointer(frame), 0, PAGE_SIZE) };
}

/// Runs `f` on the contents of a frame the caller owns.
pub fn with_frame_bytes<R>(frame: u64, f: impl FnOnce(&mut [u8; PAGE_SIZE]) -> R) -> R {
    // SAFETY: the direct map covers every RAM frame; the caller owns the
    // frame, so no other reference to its bytes exists during `f`.
    let bytes = unsafe { &mut *frame_pointer(frame).cast::<[u8; PAGE_SIZE]>() };
    f(bytes)
}

/// Copies a whole frame.
pub fn copy_frame(from: u64, to: u64) {
    // SAFETY: both frames are mapped by the direct map and distinct; the
    // caller owns `to` and `from` is not written meanwhile.
    unsafe { core::ptr::copy_nonoverlapping(frame_pointer(from), frame_pointer(to), PAGE_SIZE) };
}

/// Copies `bytes` into the frame at byte `offset`.
pub fn write(frame: u64, offset: usize, bytes: &[u8]) {
    assert!(
        offset + bytes.len() <= PAGE_SIZE,
        "write past the end of a frame"
    );
    // SAFETY: the range lies inside one frame (checked) that the caller owns.
    unsafe {
        core::ptr::copy_nonoverlapping(
            bytes.as_ptr(),
            frame_pointer(frame).add(offset),
            bytes.len(),
        )
    };
}

/// Copies bytes out of the frame from byte `offset`.
pub fn read(frame: u64, offset: usize, bytes: &mut [u8]) {
    assert!(
        offset + bytes.len() <= PAGE_SIZE,
        "read past the end of a frame"
    );
    // SAFETY: the range lies inside one frame (checked), readable through
    // the direct map.
    unsafe {
        core::ptr::copy_nonoverlapping(
            frame_pointer(frame).add(offset),
            bytes.as_mut_ptr(),
            bytes.len(),
        )
    };
}
