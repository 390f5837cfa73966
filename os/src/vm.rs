//! The VM layer's actions: page faults, user memory access, fork, brk and
//! teardown, carried out on page tables and frames as `kernel_core::vm`
//! decides.
//!
//! # Frame ownership
//! New frames arrive as owned [`Frame`] handles (`memory::allocate`, a
//! reference from the page cache or a shared object). Mapping one hands
//! the reference to the page record (`Page::Resident(address)` in
//! `process.vm`), which keeps it until the record is detached or replaced;
//! the page-table entry always maps a frame its record holds. The few
//! places that turn a recorded address back into a frame are `unsafe`
//! blocks here, each saying which record holds it.

use crate::arch::paging::{self, USER_END};
use crate::cache;
use crate::memory::{self, Claim, Frame};
use crate::process::{FAULT_AROUND_PAGES, Process};
use crate::shared;
use crate::swap;
use crate::user_abi::{MAX_USER_VALUE, UserValue, Words};
use alloc::collections::BTreeSet;
use kernel_abi::{Errno, USER_STACK_GUARD, USER_STACK_SIZE, USER_STACK_TOP};
use kernel_core::vm::pressure::{self, FaultKind};
use kernel_core::vm::{
    Access, Backing, FaultPlan, HEAP_BYTES_PER_PAGE, PAGE_SIZE, Page, SegvReason, VmSpace,
    page_floor,
};

/// Why a fault could not be resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultError {
    /// An invalid access: SIGSEGV.
    Segv(SegvReason),
    /// No frame left.
    OutOfMemory,
    /// The disk failed reading a page in.
    Io,
}

/// A frame for `process`: ordinary programs never get the services'
/// reserve.
fn allocate_frame(process: &Process) -> Option<Frame> {
    memory::allocate(Claim::of(process.privileged))
}

/// Gives back the reference a page record held.
///
/// Called only with the address from a record that was just detached or
/// replaced (`attach` returning the old one, `detach`, `detach_all`,
/// `set_brk`, `swap_out`), after its page-table entry was cleared or
/// pointed elsewhere, or for an address space that never runs again.
#[allow(unsafe_code)]
fn release_recorded(frame: u64) {
    // SAFETY: per the above, the record gave up its reference and no
    // mapping of this address space uses the frame any more.
    unsafe { memory::release_raw(frame) };
}

/// Whether this process is the only user of `frame` (frames of the boot
/// archive are never exclusively anyone's).
fn exclusive(frame: u64) -> bool {
    memory::users_of(frame) == 1
}

/// The page-table flags for `page` of `process`, or SIGSEGV without a
/// region.
fn flags_for(
    process: &Process,
    page: u64,
    writable: bool,
) -> Result<x86_64::structures::paging::PageTableFlags, FaultError> {
    let region = process
        .vm
        .region(page)
        .ok_or(FaultError::Segv(SegvReason::NoRegion))?;
    Ok(paging::user_flags(
        writable && region.perms.write,
        region.perms.execute,
    ))
}

/// Maps `page` to the frame its record already holds (a stale or
/// write-protected mapping).
#[allow(unsafe_code)]
fn remap_recorded(
    process: &Process,
    page: u64,
    frame: u64,
    writable: bool,
) -> Result<(), FaultError> {
    let flags = flags_for(process, page, writable)?;
    let claim = Claim::of(process.privileged);
    // SAFETY: `frame` comes from the page's own record
    // (`FaultPlan::Map`), which holds its reference while the mapping
    // exists (module documentation).
    unsafe {
        paging::set_user_page(process.root, page, frame, flags, &mut || {
            memory::allocate_table(claim)
        })
    }
    .map_err(|_| FaultError::OutOfMemory)
}

/// Maps `frame` at `page` and gives its reference to the page record;
/// the frame is released if mapping fails.
fn map_and_record(
    process: &mut Process,
    page: u64,
    frame: Frame,
    writable: bool,
) -> Result<(), FaultError> {
    let flags = match flags_for(process, page, writable) {
        Ok(flags) => flags,
        Err(error) => {
            memory::release(frame);
            return Err(error);
        }
    };
    let claim = Claim::of(process.privileged);
    let address = paging::map_user_frame(process.root, page, frame, flags, &mut || {
        memory::allocate_table(claim)
    })
    .map_err(|(frame, _)| {
        memory::release(frame);
        FaultError::OutOfMemory
    })?;
    if let Some(Page::Resident(old)) = process.vm.attach(page, address) {
        release_recorded(old);
    }
    Ok(())
}

/// Free frames below which fault-around maps nothing: well above the
/// pageout high watermark, so mapping ahead never makes pageout (or the
/// out-of-memory rule) take a page another process uses.
const FAULT_AROUND_MIN_FREE: usize = memory::PAGEOUT_LOW_WATERMARK + 256;

/// Counts the pages fault-around mapped ahead that the process touched
/// since (one minor fault each, see `Ahead`) and takes them off the list.
/// Pages not touched yet stay on it, to be counted when they are: a read of
/// the counters in the middle of a run must not lose them.
pub fn settle_ahead(process: &mut Process) {
    let ahead = process.ahead;
    let pages = ahead.pages.get(..ahead.len).unwrap_or_default();
    let touched = paging::accessed_pages(process.root, pages);
    let mut kept = 0;
    for (index, &page) in pages.iter().enumerate() {
        if touched & (1 << index) != 0 {
            process.vm.count_fault(false);
            // Reported now, with the page's address: its touch took no fault.
            crate::report::page_fault(process.pid, page, false, false);
        } else if let Some(slot) = process.ahead.pages.get_mut(kept) {
            *slot = page;
            kept += 1;
        }
    }
    process.ahead.len = kept;
}

/// [`settle_ahead`], then forgets the pages not touched yet: before the
/// mappings change wholesale (fork write-protects them, the break may
/// unmap them, reclaim and teardown free them), after which a touch is a
/// fault of its own or no page at all. A page forgotten here and read
/// later without a fault is not counted (DEVIATIONS.md).
pub fn end_ahead(process: &mut Process) {
    settle_ahead(process);
    process.ahead.len = 0;
}

/// Takes `page` off the fault-around list (it is being unmapped, say
/// swapped out): if it comes back, its fault is counted then.
fn forget_ahead(process: &mut Process, page: u64) {
    let ahead = process.ahead;
    let pages = ahead.pages.get(..ahead.len).unwrap_or_default();
    let mut kept = 0;
    for &listed in pages.iter().filter(|&&listed| listed != page) {
        if let Some(slot) = process.ahead.pages.get_mut(kept) {
            *slot = listed;
            kept += 1;
        }
    }
    process.ahead.len = kept;
}

/// After a counted zero-fill fault at `page` of an anonymous region: if it
/// continues a sequential run, maps zeroed frames at the next pages of the
/// region that have no record yet (up to [`FAULT_AROUND_PAGES`], stopping
/// at the first that has one) while frames and kernel heap are plentiful.
/// One region lookup and one page-record insertion pass for the whole run.
fn fault_around(process: &mut Process, page: u64) {
    let sequential = page == process.ahead.next;
    process.ahead.next = page + PAGE_SIZE;
    // A run whose pages are still listed untouched is no sequential run.
    if !sequential || process.ahead.len != 0 || memory::free_frames() < FAULT_AROUND_MIN_FREE {
        return;
    }
    let claim = Claim::of(process.privileged);
    if !memory::heap_allows(claim, FAULT_AROUND_PAGES * FAULT_HEAP_BYTES) {
        return;
    }
    let first = page + PAGE_SIZE;
    let Some(region) = process.vm.region(page) else {
        return;
    };
    if !matches!(region.backing, Backing::Anonymous) || !region.perms.write {
        return;
    }
    // The run stays in the faulting page's region: the page after its
    // last one may start another region (a heap grown up to a shared
    // region), whose pages are not this region's to fill.
    let region_end = region.end;
    if first >= region_end {
        return;
    }
    let flags = paging::user_flags(true, region.perms.execute);
    let limit = process
        .vm
        .unrecorded_until(first)
        .unwrap_or(first)
        .min(region_end)
        .min(first + FAULT_AROUND_PAGES as u64 * PAGE_SIZE);
    let wanted = (limit.saturating_sub(first) / PAGE_SIZE) as usize;
    // Zeroed frames first, then mapped a leaf table at a time (one walk
    // per run, not per page).
    let mut fresh: [Option<Frame>; FAULT_AROUND_PAGES] = [const { None }; FAULT_AROUND_PAGES];
    let mut mapped = [0u64; FAULT_AROUND_PAGES];
    let mut allocated = 0;
    for (slot, address) in fresh.iter_mut().zip(mapped.iter_mut()).take(wanted) {
        let Some(mut frame) = allocate_frame(process) else {
            break;
        };
        frame.zero();
        *address = frame.address();
        *slot = Some(frame);
        allocated += 1;
    }
    let mut count = 0;
    while count < allocated {
        let page = first + count as u64 * PAGE_SIZE;
        let rest = fresh.get_mut(count..allocated).unwrap_or_default();
        match paging::map_fresh_user_run(process.root, page, rest, flags) {
            Some(0) => break,
            Some(run) => count += run,
            // No leaf table there yet: one page the general way makes it.
            None => {
                let Some(frame) = rest.first_mut().and_then(Option::take) else {
                    break;
                };
                match paging::map_user_frame(process.root, page, frame, flags, &mut || {
                    memory::allocate_table(claim)
                }) {
                    Ok(_) => count += 1,
                    Err((frame, _)) => {
                        memory::release(frame);
                        break;
                    }
                }
            }
        }
    }
    // Frames not mapped (no table frame, or a mapping in the way) go back.
    for frame in fresh.iter_mut().filter_map(Option::take) {
        memory::release(frame);
    }
    let frames = mapped.get(..count).unwrap_or_default();
    let attached = process.vm.attach_run(first, frames);
    // Cannot happen (the run was checked to be record-less, in the region):
    // a mapping without a record is undone.
    for (index, &frame) in frames.iter().enumerate().skip(attached) {
        let address = first + index as u64 * PAGE_SIZE;
        if paging::clear_user_page(process.root, address) == Some(frame) {
            release_recorded(frame);
        }
    }
    for (index, slot) in process.ahead.pages.iter_mut().take(attached).enumerate() {
        *slot = first + index as u64 * PAGE_SIZE;
    }
    process.ahead.len = attached;
    process.ahead.next = first + attached as u64 * PAGE_SIZE;
}

/// What a resolved fault was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// Minor or major (and whether a refault).
    pub kind: FaultKind,
    /// Counted faults only: the process's refault run just reached the
    /// thrashing mark (`kernel_core::vm::pressure`).
    pub thrashing: bool,
}

/// Page records a fault may add to the kernel heap, at most (with the
/// nodes it may split).
const FAULT_HEAP_BYTES: usize = 4 * HEAP_BYTES_PER_PAGE;

/// Evictions within which a page read back from swap is a refault: an
/// eighth of the frames.
fn refault_window() -> u64 {
    memory::usable_frames() as u64 / 8
}

/// Resolves a fault at `address` by `access` in `process`. `count`: whether
/// this is a fault the process took (counted, and noted for pageout's
/// pinned pages and the thrashing rule) or the kernel making a page
/// present for a system call (not counted, as in MINIX).
///
/// Every frame and heap byte it needs is allocated fallibly:
/// `OutOfMemory` when none is left for this process (see `memory::Claim`).
pub fn resolve(
    process: &mut Process,
    address: u64,
    access: Access,
    count: bool,
) -> Result<Resolved, FaultError> {
    if address >= USER_END {
        return Err(FaultError::Segv(SegvReason::NoRegion));
    }
    let page = page_floor(address);
    settle_ahead(process);
    let plan = process.vm.plan_fault(address, access, exclusive);
    let claim = Claim::of(process.privileged);
    let new_record = matches!(
        plan,
        FaultPlan::ZeroFill | FaultPlan::FilePage { .. } | FaultPlan::SharedPage { .. }
    );
    if new_record && !memory::heap_allows(claim, FAULT_HEAP_BYTES) {
        return Err(FaultError::OutOfMemory);
    }
    // A fault is major when resolving it read from the disk (a file page
    // not in the page cache, or a page from swap); every other is minor.
    let mut kind = FaultKind::Minor;
    match plan {
        FaultPlan::Segv(reason) => return Err(FaultError::Segv(reason)),
        FaultPlan::ZeroFill => {
            let mut frame = allocate_frame(process).ok_or(FaultError::OutOfMemory)?;
            frame.zero();
            map_and_record(process, page, frame, true)?;
        }
        FaultPlan::FilePage {
            file,
            offset,
            len,
            private,
        } => {
            let (cached, read_from_disk) =
                cache::file_page(file, offset, claim).map_err(|error| match error {
                    cache::CacheError::OutOfMemory => FaultError::OutOfMemory,
                    cache::CacheError::Io => FaultError::Io,
                })?;
            if read_from_disk {
                kind = FaultKind::Major { refault: false };
            }
            if private {
                // A page of its own: the file's bytes, zero past them.
                let Some(mut frame) = allocate_frame(process) else {
                    memory::release(cached);
                    return Err(FaultError::OutOfMemory);
                };
                frame.copy_from(&cached);
                memory::release(cached);
                frame.zero_from(usize::try_from(len).unwrap_or(usize::MAX));
                map_and_record(process, page, frame, true)?;
            } else {
                // The page cache's frame, shared read-only by every process
                // running this program.
                map_and_record(process, page, cached, false)?;
            }
        }
        FaultPlan::SharedPage { object, index } => {
            let frame = shared::page(object, index, claim).ok_or(FaultError::OutOfMemory)?;
            map_and_record(process, page, frame, true)?;
        }
        FaultPlan::CopyOnWrite { frame: shared } => {
            let mut frame = allocate_frame(process).ok_or(FaultError::OutOfMemory)?;
            copy_recorded(shared, &mut frame);
            // Replacing the record releases the shared frame's reference.
            map_and_record(process, page, frame, true)?;
        }
        FaultPlan::Map { frame, writable } => remap_recorded(process, page, frame, writable)?,
        FaultPlan::SwapIn { slot } => {
            let mut frame = allocate_frame(process).ok_or(FaultError::OutOfMemory)?;
            if swap::read(slot, &mut frame).is_err() {
                memory::release(frame);
                return Err(FaultError::Io);
            }
            kind = FaultKind::Major {
                refault: pressure::is_refault(swap::distance(slot), refault_window()),
            };
            map_and_record(process, page, frame, true)?;
            swap::free(slot);
        }
    }
    let mut thrashing = false;
    if count {
        process.vm.count_fault(kind != FaultKind::Minor);
        crate::report::page_fault(
            process.pid,
            address,
            kind != FaultKind::Minor,
            access == Access::Write,
        );
        thrashing = process.vm.pressure.note_fault(page, kind);
        if plan == FaultPlan::ZeroFill {
            fault_around(process, page);
        }
    }
    Ok(Resolved { kind, thrashing })
}

/// Copies the frame a page record holds (a copy-on-write source) into
/// `into`.
#[allow(unsafe_code)]
fn copy_recorded(recorded: u64, into: &mut Frame) {
    // SAFETY: `recorded` comes from the faulting page's record
    // (`FaultPlan::CopyOnWrite`), which holds its reference for the whole
    // call (it is replaced only afterwards).
    unsafe { Frame::with_raw(recorded, |shared| into.copy_from(shared)) };
}

/// Runs `f` on the frame mapped at user page `page` of `process`.
#[allow(unsafe_code)]
fn with_mapped<R>(process: &Process, page: u64, f: impl FnOnce(&mut Frame) -> R) -> Option<R> {
    let (frame, _) = paging::user_page(process.root, page)?;
    // SAFETY: a page-table entry of a live user root maps a frame that the
    // page's record holds (module documentation), and nothing releases it
    // during `f`, which only copies bytes.
    Some(unsafe { Frame::with_raw(frame, f) })
}

/// The frame of the user page holding all of `[address, address + len)`
/// if the range lies in one page that is mapped for the access (writable
/// for `write`): a kernel copy there needs no fault and no region lookup,
/// since a page-table entry exists only for a page a region's record holds
/// (module documentation), every region is readable, and an entry is
/// writable only where its region is and the frame is the process's own.
/// `None` sends the caller down the general path.
fn mapped_single_page(process: &Process, address: u64, len: u64, write: bool) -> Option<u64> {
    let page = page_floor(address);
    let last = address.checked_add(len.checked_sub(1)?)?;
    if page_floor(last) != page || address >= USER_END {
        return None;
    }
    let (frame, flags) = paging::user_page(process.root, page)?;
    use x86_64::structures::paging::PageTableFlags;
    let needed = if write {
        PageTableFlags::PRESENT | PageTableFlags::USER_ACCESSIBLE | PageTableFlags::WRITABLE
    } else {
        PageTableFlags::PRESENT | PageTableFlags::USER_ACCESSIBLE
    };
    flags.contains(needed).then_some(frame)
}

/// Whether `[address, address + len)` of `process` lies in one page mapped
/// for the access (writable for `write`): a copy into it cannot fault.
pub fn mapped_for_copy(process: &Process, address: u64, len: u64, write: bool) -> bool {
    mapped_single_page(process, address, len, write).is_some()
}

/// Makes the page at `address` present (and writable if `write`) for a
/// kernel access on the process's behalf; returns its frame.
fn present_frame(process: &mut Process, address: u64, write: bool) -> Result<u64, Errno> {
    let page = page_floor(address);
    let usable = |process: &Process| match paging::user_page(process.root, page) {
        Some((frame, flags))
            if !write || flags.contains(x86_64::structures::paging::PageTableFlags::WRITABLE) =>
        {
            Some(frame)
        }
        _ => None,
    };
    if let Some(frame) = usable(process) {
        return Ok(frame);
    }
    let access = if write { Access::Write } else { Access::Read };
    resolve(process, address, access, false).map_err(|_| Errno::EFAULT)?;
    usable(process).ok_or(Errno::EFAULT)
}

/// Makes the page at `address` present (and writable for `write`) for a
/// copy the kernel is about to make, as `present_frame` does, but says
/// why it could not: `OutOfMemory` lets the caller apply the
/// out-of-memory rule and try again (`oom::bring_in`).
pub fn bring_in(process: &mut Process, address: u64, write: bool) -> Result<(), FaultError> {
    let page = page_floor(address);
    let present = match paging::user_page(process.root, page) {
        Some((_, flags)) => {
            !write || flags.contains(x86_64::structures::paging::PageTableFlags::WRITABLE)
        }
        None => false,
    };
    if present {
        return Ok(());
    }
    let access = if write { Access::Write } else { Access::Read };
    resolve(process, address, access, false).map(|_| ())
}

/// Copies `buffer.len()` bytes from the process's memory at `address`.
///
/// # Return values
/// `Err(EFAULT)` if any byte is outside a readable region (or memory ran out
/// bringing it in).
#[allow(unsafe_code)]
pub fn copy_from_user(process: &mut Process, address: u64, buffer: &mut [u8]) -> Result<(), Errno> {
    if let Some(frame) = mapped_single_page(process, address, buffer.len() as u64, false) {
        let offset = (address % PAGE_SIZE) as usize;
        // SAFETY: a page-table entry of a live user root maps a frame the
        // page's record holds (module documentation); nothing releases it
        // during the copy.
        return if unsafe { Frame::with_raw(frame, |frame| frame.read(offset, buffer)) } {
            Ok(())
        } else {
            Err(Errno::EFAULT)
        };
    }
    if !process.vm.check_range(address, buffer.len() as u64, false) {
        return Err(Errno::EFAULT);
    }
    let mut done = 0;
    while done < buffer.len() {
        let cursor = address + done as u64;
        let offset = (cursor % PAGE_SIZE) as usize;
        let chunk = (PAGE_SIZE as usize - offset).min(buffer.len() - done);
        present_frame(process, cursor, false)?;
        let into = buffer.get_mut(done..done + chunk).ok_or(Errno::EFAULT)?;
        if with_mapped(process, page_floor(cursor), |frame| {
            frame.read(offset, into)
        }) != Some(true)
        {
            return Err(Errno::EFAULT);
        }
        done += chunk;
    }
    Ok(())
}

/// Copies `bytes` into the process's memory at `address`.
///
/// # Return values
/// `Err(EFAULT)` if any byte is outside a writable region (or memory ran out).
#[allow(unsafe_code)]
pub fn copy_to_user(process: &mut Process, address: u64, bytes: &[u8]) -> Result<(), Errno> {
    if let Some(frame) = mapped_single_page(process, address, bytes.len() as u64, true) {
        let offset = (address % PAGE_SIZE) as usize;
        // SAFETY: as in `copy_from_user`; the entry is writable, so the
        // frame is this process's own (a shared or cached frame is mapped
        // read-only until copy-on-write).
        return if unsafe { Frame::with_raw(frame, |frame| frame.write(offset, bytes)) } {
            Ok(())
        } else {
            Err(Errno::EFAULT)
        };
    }
    if !process.vm.check_range(address, bytes.len() as u64, true) {
        return Err(Errno::EFAULT);
    }
    let mut done = 0;
    while done < bytes.len() {
        let cursor = address + done as u64;
        let offset = (cursor % PAGE_SIZE) as usize;
        let chunk = (PAGE_SIZE as usize - offset).min(bytes.len() - done);
        present_frame(process, cursor, true)?;
        let from = bytes.get(done..done + chunk).ok_or(Errno::EFAULT)?;
        if with_mapped(process, page_floor(cursor), |frame| {
            frame.write(offset, from)
        }) != Some(true)
        {
            return Err(Errno::EFAULT);
        }
        done += chunk;
    }
    Ok(())
}

/// Reads a value of the system-call ABI from user memory.
pub fn read_user<T: UserValue>(process: &mut Process, address: u64) -> Result<T, Errno> {
    let mut bytes = [0u8; MAX_USER_VALUE];
    let value = bytes.get_mut(..T::WORDS * 8).ok_or(Errno::EFAULT)?;
    copy_from_user(process, address, value)?;
    let mut words: Words = [0; MAX_USER_VALUE / 8];
    let (chunks, _) = bytes.as_chunks::<8>();
    for (word, chunk) in words.iter_mut().zip(chunks).take(T::WORDS) {
        *word = u64::from_le_bytes(*chunk);
    }
    Ok(T::from_words(&words))
}

/// Writes a value of the system-call ABI to user memory.
pub fn write_user<T: UserValue>(
    process: &mut Process,
    address: u64,
    value: &T,
) -> Result<(), Errno> {
    let mut words: Words = [0; MAX_USER_VALUE / 8];
    value.to_words(&mut words);
    let mut bytes = [0u8; MAX_USER_VALUE];
    let (chunks, _) = bytes.as_chunks_mut::<8>();
    for (chunk, word) in chunks.iter_mut().zip(&words).take(T::WORDS) {
        *chunk = word.to_le_bytes();
    }
    copy_to_user(
        process,
        address,
        bytes.get(..T::WORDS * 8).ok_or(Errno::EFAULT)?,
    )
}

/// Kernel heap a new process takes besides its address space (its table
/// entry, names, queues), at most.
const PROCESS_HEAP_BYTES: usize = 2 * core::mem::size_of::<Process>() + 4096;

/// A new, empty address space root (never from the services' reserve:
/// only programs fork and spawn), or `None` if frames or the kernel heap
/// for a new process ran out.
pub fn new_root() -> Option<u64> {
    if !memory::heap_allows(Claim::Program, PROCESS_HEAP_BYTES) {
        return None;
    }
    paging::new_user_root(&mut || memory::allocate_table(Claim::Program))
}

/// The files whose pages the address space maps (its program).
pub fn files_of(vm: &VmSpace) -> BTreeSet<u32> {
    vm.regions()
        .filter_map(|region| match region.backing {
            Backing::File { file, .. } => Some(file),
            _ => None,
        })
        .collect()
}

/// The shared objects the address space maps, one per region.
fn shared_objects_of(vm: &VmSpace) -> impl Iterator<Item = u32> + '_ {
    vm.regions().filter_map(|region| match region.backing {
        Backing::Shared { object } => Some(object),
        _ => None,
    })
}

/// Gives the child of a fork the parent's memory: private pages are shared
/// copy-on-write (write-protected in both), shared-region pages stay shared
/// and writable, swapped pages get a copy in a slot of the child's own.
///
/// # Return values
/// `ENOMEM` if the kernel heap cannot hold the copy of the region map
/// (beyond its reserve), or frames or swap slots ran out.
pub fn fork_into(parent: &mut Process, child_root: u64) -> Result<VmSpace, Errno> {
    end_ahead(parent);
    let claim = Claim::of(parent.privileged);
    if !memory::heap_allows(claim, parent.vm.heap_cost() + PROCESS_HEAP_BYTES) {
        return Err(Errno::ENOMEM);
    }
    let mut child_vm = parent.vm.fork_copy();
    // From here on, `child_vm` owns what has been given to it: on failure
    // releasing it returns exactly that.
    for file in files_of(&parent.vm) {
        cache::add_user(file);
    }
    for object in shared_objects_of(&parent.vm) {
        shared::add_user(object);
    }
    let mut failed = false;
    for region in parent.vm.regions() {
        let is_shared = matches!(region.backing, Backing::Shared { .. });
        for (page, record) in region.pages() {
            match record {
                Page::Resident(frame) => {
                    let writable = is_shared && region.perms.write;
                    let flags = paging::user_flags(writable, region.perms.execute);
                    // The child's record (from `fork_copy`) gets a
                    // reference of its own.
                    let reference = share_recorded(frame);
                    let mapped =
                        paging::map_user_frame(child_root, page, reference, flags, &mut || {
                            memory::allocate_table(claim)
                        });
                    if let Err((reference, _)) = mapped {
                        memory::release(reference);
                        child_vm.detach(page);
                        failed = true;
                        continue;
                    }
                    if region.perms.write && !is_shared {
                        write_protect(parent.root, page, frame, flags);
                    }
                }
                Page::Swapped(slot) => match copy_swap_slot(slot, claim) {
                    Some(copy) => {
                        child_vm.replace_swap_slot(page, copy);
                    }
                    None => {
                        child_vm.detach(page);
                        failed = true;
                    }
                },
            }
        }
    }
    if failed {
        release_memory(&mut child_vm);
        return Err(Errno::ENOMEM);
    }
    Ok(child_vm)
}

/// A new reference to the frame a page record of the parent holds.
#[allow(unsafe_code)]
fn share_recorded(frame: u64) -> Frame {
    // SAFETY: `frame` comes from a record of the parent's address space,
    // which holds its reference for the whole call.
    unsafe { Frame::with_raw(frame, |frame| memory::share(frame)) }
}

/// Maps the parent's page read-only (copy-on-write) to the frame its
/// record holds. If the parent's tables for the page are missing, the
/// page is not mapped, so there is nothing to protect.
#[allow(unsafe_code)]
fn write_protect(
    root: u64,
    page: u64,
    frame: u64,
    flags: x86_64::structures::paging::PageTableFlags,
) {
    // SAFETY: `frame` is what the parent's record for `page` holds; no
    // table is allocated (the closure gives none).
    let _ = unsafe { paging::set_user_page(root, page, frame, flags, &mut || None) };
}

/// Copies swap slot `slot` into a new slot.
fn copy_swap_slot(slot: u32, claim: Claim) -> Option<u32> {
    let mut frame = memory::allocate(claim)?;
    let copy = swap::read(slot, &mut frame)
        .ok()
        .and_then(|()| swap::write(&mut frame));
    memory::release(frame);
    copy
}

/// Lowest address of the unmapped guard gap below the user stack: the heap
/// and shared regions end at or below it, so a stack overflow always
/// faults on an address with no region (SIGSEGV).
pub const STACK_GUARD_START: u64 = USER_STACK_TOP - USER_STACK_SIZE - USER_STACK_GUARD;

/// Moves the program break; pages that fall out of the heap are freed. The
/// heap may not reach into the stack's guard gap.
pub fn set_brk(process: &mut Process, new_brk: u64) -> Result<u64, Errno> {
    if new_brk < process.vm.brk() {
        end_ahead(process);
    } else {
        settle_ahead(process);
    }
    let removed = process
        .vm
        .set_brk(new_brk, STACK_GUARD_START)
        .map_err(|_| Errno::ENOMEM)?;
    for (page, record) in removed {
        paging::clear_user_page(process.root, page);
        release_page(record);
    }
    Ok(process.vm.brk())
}

fn release_page(record: Page) {
    match record {
        Page::Resident(frame) => release_recorded(frame),
        Page::Swapped(slot) => swap::free(slot),
    }
}

/// Releases every page of `vm`, and its hold on its program's cached pages
/// and on its shared objects; leaves it empty.
fn release_memory(vm: &mut VmSpace) {
    for (_, record) in vm.detach_all() {
        release_page(record);
    }
    for file in files_of(vm) {
        cache::remove_user(file);
    }
    let objects: alloc::vec::Vec<u32> = shared_objects_of(vm).collect();
    for object in objects {
        shared::remove_user(object);
    }
    let (stats, flags) = (vm.stats, vm.flags);
    *vm = VmSpace::default();
    vm.stats = stats;
    vm.flags = flags;
}

/// The frames the death of `process` would give back at once: its
/// resident pages that no other process shares (a copy-on-write page or a
/// shared object's page another process also maps stays), and its page
/// tables. What the out-of-memory rule ranks victims by: the resident set
/// alone counts a page shared by nine processes nine times, and a process
/// that holds its memory in page tables (one byte touched per GiB) not at
/// all.
pub fn freeable_frames(process: &Process) -> u64 {
    let exclusive: u64 = process
        .vm
        .regions()
        .map(|region| {
            match region.backing {
            // A shared object's pages (held by the object and each mapping)
            // go with the last region that maps the object.
            Backing::Shared { object } if shared::users(object) == 1 => region.resident_pages(),
            Backing::Shared { .. } => 0,
            // Private pages: those no copy-on-write sharer also holds.
            _ => region
                .pages()
                .filter(|(_, page)| {
                    matches!(page, Page::Resident(frame) if memory::users_of(*frame) == 1)
                })
                .count() as u64,
        }
        })
        .sum();
    exclusive + paging::user_table_frames(process.root)
}

/// Takes every page of a process that is to die (the out-of-memory
/// rule), now, without waiting for its exit: unmaps and releases its
/// frames, swap slots, cached program pages and shared objects, and, if
/// it is not the running process, its page tables too (it runs only the
/// kernel's exit path from now on, in the kernel's address space: its
/// root becomes 0). Its
/// slot and counters stay until it exits; any later access to its memory
/// finds no region (EFAULT). Returns the pages it had resident.
pub fn reclaim(process: &mut Process) -> u64 {
    end_ahead(process);
    let resident = process.vm.stats.vm_total;
    for region in process.vm.regions() {
        for (page, _) in region.pages() {
            paging::clear_user_page(process.root, page);
        }
    }
    release_memory(&mut process.vm);
    let root = process.root;
    if root != 0 && root != paging::active_root() {
        // No root: the scheduler runs it in the kernel's address space,
        // and no kernel copy finds a page of it (EFAULT).
        process.root = 0;
        free_root(root);
    }
    resident
}

/// Frees every page and page table of the process (see
/// [`release_memory`]). It must not be the active address space. The
/// counters stay, for the last snapshot of the process.
pub fn teardown(process: &mut Process) {
    end_ahead(process);
    release_memory(&mut process.vm);
    if process.root != 0 {
        free_root(process.root);
        process.root = 0;
    }
}

/// Frees the page tables of an address space that never runs again (see
/// `paging::free_user_tables`); nothing if `root` is not a live user root.
#[allow(unsafe_code)]
pub fn free_root(root: u64) {
    paging::free_user_tables(root, &mut |table| {
        // SAFETY: `free_user_tables` hands over only the table frames of
        // a root it has just taken out of the live set, which is not the
        // active one: nothing walks them any more.
        unsafe { memory::free_raw(table) };
    });
}

/// Writes the page `address` of `process`, whose record holds `frame`
/// alone, to swap, and frees the frame: its record becomes the slot.
/// `false` (nothing changed) if swap is full or the write failed.
#[allow(unsafe_code)]
pub fn swap_out(process: &mut Process, address: u64, frame: u64) -> bool {
    // SAFETY: pageout found `frame` in this page's record just now, and
    // nothing ran since; the record holds it through the write.
    let Some(slot) = (unsafe { Frame::with_raw(frame, swap::write) }) else {
        return false;
    };
    match process.vm.swap_out(address, slot) {
        Some(recorded) => {
            forget_ahead(process, address);
            paging::clear_user_page(process.root, address);
            release_recorded(recorded);
            true
        }
        None => {
            swap::free(slot);
            false
        }
    }
}
