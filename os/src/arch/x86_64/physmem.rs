//! Reading and writing physical frames through the direct map.
//!
//! A [`Frame`] is an owned reference to one physical frame of RAM that the
//! frame allocator handed out (one of its counted users): not `Copy`, not
//! `Clone`, created only by the allocator (`memory`) or, from a raw
//! address, by `unsafe` code that states which reference it takes back.
//! The functions on frames are safe because holding a `Frame` proves the
//! frame is RAM, allocated, and not a page table or a kernel-heap frame
//! (those are never handed out as `Frame`s); with one CPU and interrupts
//! off during every access, no other Rust reference to the bytes exists
//! while one of these functions runs. Several `Frame`s may name the same
//! frame (a page shared copy-on-write, a page of the page cache or of a
//! shared object): the accesses stay sound because each is confined to
//! one call, and copies use `ptr::copy`, which allows overlap.
//!
//! Raw physical addresses still appear where the VM layer records a
//! reference it holds (`kernel_core::vm` page records, page-table
//! entries); turning one back into a `Frame` is `unsafe`
//! ([`Frame::from_raw`], [`Frame::with_raw`]).

use super::paging::phys_to_virt;

const PAGE_SIZE: usize = 4096;

/// An owned reference to one allocated physical frame (see the module
/// documentation). Dropping it leaks the reference (the frame is never
/// freed), which is safe; give it back with `memory::release`.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a frame that is dropped is leaked: release it or map it"]
pub struct Frame {
    address: u64,
}

impl Frame {
    /// Takes back the reference recorded as `address`.
    ///
    /// # Safety
    /// `address` is a page-aligned frame of RAM that the frame allocator
    /// handed out, and the caller owns one of its counted references (a
    /// fresh allocation, or a reference a record held and gives up now):
    /// after this call the record must not release or use it again except
    /// through the returned `Frame`.
    pub unsafe fn from_raw(address: u64) -> Self {
        debug_assert_eq!(address % PAGE_SIZE as u64, 0);
        Self { address }
    }

    /// Runs `f` on the frame recorded as `address`, which stays recorded.
    ///
    /// # Safety
    /// As [`Frame::from_raw`], except that the reference stays with its
    /// record: the record must hold it for the whole call.
    pub unsafe fn with_raw<R>(address: u64, f: impl FnOnce(&mut Frame) -> R) -> R {
        // SAFETY: the caller's contract; the reference goes back to the
        // record below (`into_raw`), so no second owner appears.
        let mut frame = unsafe { Self::from_raw(address) };
        let result = f(&mut frame);
        let _ = frame.into_raw();
        result
    }

    /// The frame's physical address.
    pub fn address(&self) -> u64 {
        self.address
    }

    /// Gives the reference to a record that remembers it as an address (a
    /// page record, a page-table entry); only [`Frame::from_raw`] turns it
    /// back.
    pub fn into_raw(self) -> u64 {
        self.address
    }

    fn pointer(&self) -> *mut u8 {
        phys_to_virt(self.address).as_mut_ptr()
    }

    /// Fills the frame with zeros.
    pub fn zero(&mut self) {
        // SAFETY: a `Frame` is an allocated RAM frame, covered by the
        // direct map; no other reference to its bytes exists during the
        // call (module documentation).
        unsafe { core::ptr::write_bytes(self.pointer(), 0, PAGE_SIZE) };
    }

    /// Zeroes the frame from byte `offset` to its end (nothing if
    /// `offset` is past it).
    pub fn zero_from(&mut self, offset: usize) {
        let Some(len) = PAGE_SIZE.checked_sub(offset) else {
            return;
        };
        // SAFETY: as in `zero`; the range lies inside the frame.
        unsafe { core::ptr::write_bytes(self.pointer().add(offset), 0, len) };
    }

    /// Runs `f` on the frame's contents.
    ///
    /// # Safety
    /// `f` must not reach the same physical frame through another `Frame`
    /// (or a user mapping the kernel reads) while it runs: the bytes it
    /// gets are a `&mut` borrow, so any other access to them would alias
    /// it.
    pub unsafe fn with_bytes<R>(&mut self, f: impl FnOnce(&mut [u8; PAGE_SIZE]) -> R) -> R {
        // SAFETY: as in `zero`; the caller keeps every other access to the
        // frame out of `f`, so this is the only reference to the bytes.
        let bytes = unsafe { &mut *self.pointer().cast::<[u8; PAGE_SIZE]>() };
        f(bytes)
    }

    /// Copies the whole of `from` into this frame.
    pub fn copy_from(&mut self, from: &Frame) {
        // SAFETY: both are allocated RAM frames reached through the direct
        // map; `copy` allows the two to be the same frame.
        unsafe { core::ptr::copy(from.pointer(), self.pointer(), PAGE_SIZE) };
    }

    /// Copies `bytes` into the frame at byte `offset`; `false` (nothing
    /// written) if the range runs past the end of the frame.
    pub fn write(&mut self, offset: usize, bytes: &[u8]) -> bool {
        if offset
            .checked_add(bytes.len())
            .is_none_or(|end| end > PAGE_SIZE)
        {
            return false;
        }
        // SAFETY: the range lies inside one allocated frame (checked);
        // `bytes` is a separate borrow, never this frame's own bytes
        // (only `with_bytes` lends those, and its contract keeps other
        // accesses to the frame out).
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.pointer().add(offset), bytes.len())
        };
        true
    }

    /// Copies bytes out of the frame from byte `offset`; `false` (nothing
    /// read) if the range runs past the end of the frame.
    pub fn read(&self, offset: usize, bytes: &mut [u8]) -> bool {
        if offset
            .checked_add(bytes.len())
            .is_none_or(|end| end > PAGE_SIZE)
        {
            return false;
        }
        // SAFETY: as in `write`, the other way.
        unsafe {
            core::ptr::copy_nonoverlapping(
                self.pointer().add(offset),
                bytes.as_mut_ptr(),
                bytes.len(),
            )
        };
        true
    }
}

/// A fresh frame for a page table: what the page-table functions take to
/// build intermediate tables. Only the frame allocator makes one (or
/// `unsafe` code with a fresh frame), so a safe caller cannot hand
/// `paging` a frame that something else uses, which it would zero and
/// then let the CPU read as a table.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a table frame that is dropped is leaked"]
pub struct TableFrame {
    address: u64,
}

impl TableFrame {
    /// Wraps a frame for use as a page table.
    ///
    /// # Safety
    /// `address` is a page-aligned frame of RAM just taken from the frame
    /// allocator, which nothing else refers to.
    pub unsafe fn from_raw(address: u64) -> Self {
        debug_assert_eq!(address % PAGE_SIZE as u64, 0);
        Self { address }
    }

    /// The frame's address.
    pub fn address(&self) -> u64 {
        self.address
    }

    /// The frame's address, for the table entry that now owns it.
    pub fn into_raw(self) -> u64 {
        self.address
    }
}
