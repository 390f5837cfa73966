//! Page tables: the kernel's address space and the walker that edits any
//! address space.
//!
//! Layout of every address space:
//!
//! | range | what |
//! | --- | --- |
//! | `0 .. 0x0000_8000_0000_0000` | user half: private to each process |
//! | `DIRECT_MAP_BASE ..` | all physical memory (and the APIC pages), 2 MiB pages |
//! | `KERNEL_BASE ..` | the kernel image, 4 KiB pages with W^X permissions |
//!
//! The kernel half is built once, by [`init_kernel_space`]; user address
//! spaces share it by copying its top-level entries.
//!
//! Page tables are reached through the direct map. Before it exists, the
//! boot tables map the first GiB of physical memory at `KERNEL_BASE`, so
//! during boot every page-table frame must come from the first GiB.

use super::physmem::{Frame, TableFrame};
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::PhysAddr;
use x86_64::VirtAddr;
use x86_64::registers::control::{Cr3, Cr3Flags, Cr4, Cr4Flags};
use x86_64::structures::paging::{PageTable, PageTableFlags as Flags, PhysFrame};

/// Where the kernel image is linked (physical address + this).
pub const KERNEL_BASE: u64 = 0xFFFF_FFFF_8000_0000;
/// Where all of physical memory is mapped (physical address + this).
pub const DIRECT_MAP_BASE: u64 = 0xFFFF_8000_0000_0000;
/// First address above the user half.
pub const USER_END: u64 = 0x0000_8000_0000_0000;
/// Base of the kernel-stack area (each stack below its own guard page).
pub const KERNEL_STACKS_BASE: u64 = 0xFFFF_FE00_0000_0000;
/// First top-level entry of the kernel half.
const KERNEL_HALF_FIRST_ENTRY: usize = 256;

const PAGE_SIZE: u64 = 4096;
const HUGE_PAGE_SIZE: u64 = 2 * 1024 * 1024;
/// The boot tables map this much physical memory at `KERNEL_BASE`.
const BOOT_MAPPED: u64 = 1 << 30;

/// Offset from a physical address to the virtual address that reaches it:
/// `KERNEL_BASE` during boot, `DIRECT_MAP_BASE` once the kernel's own tables
/// are active.
static PHYS_TO_VIRT: AtomicU64 = AtomicU64::new(KERNEL_BASE);
/// Physical address of the kernel's top-level table.
static KERNEL_ROOT: AtomicU64 = AtomicU64::new(0);

unsafe extern "C" {
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __kernel_end: u8;
}

/// The virtual address that reaches physical address `address`.
pub fn phys_to_virt(address: u64) -> VirtAddr {
    VirtAddr::new(address + PHYS_TO_VIRT.load(Ordering::Relaxed))
}

/// Like [`phys_to_virt`], but also checks that `[address, address + len)` is
/// reachable while the boot tables are active.
pub fn early_phys_to_virt(address: u64, len: u64) -> VirtAddr {
    let offset = PHYS_TO_VIRT.load(Ordering::Relaxed);
    assert!(
        offset == DIRECT_MAP_BASE || address.saturating_add(len) <= BOOT_MAPPED,
        "physical range {address:#x}+{len:#x} is beyond the boot mapping"
    );
    VirtAddr::new(address + offset)
}

/// The physical address of a kernel-image virtual address.
pub fn kernel_virt_to_phys(address: VirtAddr) -> u64 {
    address.as_u64() - KERNEL_BASE
}

/// Physical address just past the kernel image (boot code at 1 MiB, then
/// text, data and bss).
pub fn kernel_image_end() -> u64 {
    kernel_virt_to_phys(VirtAddr::from_ptr(&raw const __kernel_end))
}

/// Why a mapping could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// No frame for an intermediate table.
    OutOfFrames,
    /// Something is already mapped there.
    AlreadyMapped,
    /// The root is not a live address space made by [`new_user_root`].
    NoSuchRoot,
}

/// The roots of live user address spaces: [`new_user_root`] adds one,
/// [`free_user_tables`] removes it. Every function here that takes a user
/// root checks it against this set first, so a stale or made-up root can
/// never make the walk treat an arbitrary frame as a page table.
static USER_ROOTS: spin::Mutex<alloc::collections::BTreeSet<u64>> =
    spin::Mutex::new(alloc::collections::BTreeSet::new());

/// Whether `root` is a live user address space.
fn is_user_root(root: u64) -> bool {
    USER_ROOTS.lock().contains(&root)
}

/// Size of one mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageSize {
    /// 4 KiB.
    Small,
    /// 2 MiB.
    Huge,
}

/// A table reached through [`phys_to_virt`].
///
/// # Safety
/// `address` must be the physical address of a page-table frame the kernel
/// owns, and the caller must not hold another reference to the same table.
unsafe fn table_at(address: u64) -> &'static mut PageTable {
    let pointer = phys_to_virt(address).as_mut_ptr::<PageTable>();
    // SAFETY: guaranteed by the caller; the direct (or boot) mapping makes
    // the frame accessible at this address.
    unsafe { &mut *pointer }
}

/// Zeroes a fresh frame to be used as a page table.
fn zeroed_table(frame: u64) {
    // SAFETY: the frame was just allocated for a table; nobody else refers
    // to it.
    let table = unsafe { table_at(frame) };
    table.zero();
}

/// Maps `virt` to `phys` in the address space rooted at `root`, creating
/// intermediate tables with `allocate_frame`.
///
/// # Safety
/// `root` is the kernel root or a live user root, `virt` an address the
/// caller may map there (a user page of that space, or a kernel page that
/// nothing else maps), and `phys` a frame (or device memory) the mapping
/// may refer to for as long as it exists: a frame whose reference the
/// caller's records hold, never a page table or kernel-heap frame. Every
/// `allocate_frame` result is a fresh frame no one else uses.
unsafe fn map(
    root: u64,
    virt: u64,
    phys: u64,
    size: PageSize,
    flags: Flags,
    allocate_frame: &mut dyn FnMut() -> Option<TableFrame>,
) -> Result<(), MapError> {
    let virt = VirtAddr::new(virt);
    let indexes = [
        virt.p4_index(),
        virt.p3_index(),
        virt.p2_index(),
        virt.p1_index(),
    ];
    let leaf_level = match size {
        PageSize::Small => 3,
        PageSize::Huge => 2,
    };
    let parent_flags = Flags::PRESENT | Flags::WRITABLE | (flags & Flags::USER_ACCESSIBLE);
    let mut table_address = root;
    for index in indexes.iter().take(leaf_level) {
        // SAFETY: `table_address` is `root` or a table frame we created or
        // found in the hierarchy rooted there; we hold one reference at a time.
        let table = unsafe { table_at(table_address) };
        let entry = &mut table[*index];
        if entry.is_unused() {
            let frame = allocate_frame()
                .map(TableFrame::into_raw)
                .ok_or(MapError::OutOfFrames)?;
            zeroed_table(frame);
            entry.set_addr(PhysAddr::new(frame), parent_flags);
        } else if entry.flags().contains(Flags::HUGE_PAGE) {
            return Err(MapError::AlreadyMapped);
        } else {
            entry.set_flags(entry.flags() | parent_flags);
        }
        table_address = entry.addr().as_u64();
    }
    // SAFETY: as above.
    let table = unsafe { table_at(table_address) };
    let leaf_index = match size {
        PageSize::Small => virt.p1_index(),
        PageSize::Huge => virt.p2_index(),
    };
    let entry = &mut table[leaf_index];
    if !entry.is_unused() {
        return Err(MapError::AlreadyMapped);
    }
    let leaf_flags = match size {
        PageSize::Small => flags | Flags::PRESENT,
        PageSize::Huge => flags | Flags::PRESENT | Flags::HUGE_PAGE,
    };
    entry.set_addr(PhysAddr::new(phys), leaf_flags);
    Ok(())
}

/// Builds the kernel half (direct map of `0..physical_limit` plus the kernel
/// image), switches to it, and drops the boot tables' identity map.
///
/// `is_ram(address)` tells RAM from device memory, which is mapped uncached.
pub fn init_kernel_space(
    physical_limit: u64,
    is_ram: &dyn Fn(u64) -> bool,
    allocate_frame: &mut dyn FnMut() -> Option<TableFrame>,
) -> Result<(), MapError> {
    // Global pages survive CR3 switches: the kernel half is the same in
    // every address space.
    // SAFETY: enabling PGE changes only TLB retention of global entries.
    unsafe { Cr4::update(|flags| flags.insert(Cr4Flags::PAGE_GLOBAL)) };

    let mut boot_allocate = || {
        let frame = allocate_frame()?;
        assert!(
            frame.address() + PAGE_SIZE <= BOOT_MAPPED,
            "boot page-table frame above 1 GiB"
        );
        Some(frame)
    };
    let root = boot_allocate()
        .map(TableFrame::into_raw)
        .ok_or(MapError::OutOfFrames)?;
    zeroed_table(root);

    let limit = physical_limit.max(4 << 30).div_ceil(HUGE_PAGE_SIZE) * HUGE_PAGE_SIZE;
    let mut address = 0;
    while address < limit {
        let mut flags = Flags::WRITABLE | Flags::GLOBAL | Flags::NO_EXECUTE;
        if !is_ram(address) {
            flags |= Flags::NO_CACHE | Flags::WRITE_THROUGH;
        }
        // SAFETY: building the direct map: `root` is the kernel root under
        // construction, and each physical address maps at its own place in
        // the direct-map window.
        unsafe {
            map(
                root,
                DIRECT_MAP_BASE + address,
                address,
                PageSize::Huge,
                flags,
                &mut boot_allocate,
            )?
        };
        address += HUGE_PAGE_SIZE;
    }

    let text = (
        VirtAddr::from_ptr(&raw const __text_start),
        VirtAddr::from_ptr(&raw const __text_end),
    );
    let rodata = (
        VirtAddr::from_ptr(&raw const __rodata_start),
        VirtAddr::from_ptr(&raw const __rodata_end),
    );
    let data = (
        VirtAddr::from_ptr(&raw const __data_start),
        VirtAddr::from_ptr(&raw const __kernel_end),
    );
    let sections = [
        (text, Flags::GLOBAL),
        (rodata, Flags::GLOBAL | Flags::NO_EXECUTE),
        (data, Flags::GLOBAL | Flags::NO_EXECUTE | Flags::WRITABLE),
    ];
    for ((start, end), flags) in sections {
        let mut page = start.as_u64();
        while page < end.as_u64() {
            let phys = kernel_virt_to_phys(VirtAddr::new(page));
            // SAFETY: the kernel image's own pages at their link addresses,
            // in the kernel root under construction.
            unsafe { map(root, page, phys, PageSize::Small, flags, &mut boot_allocate)? };
            page += PAGE_SIZE;
        }
    }

    // The kernel-stack area's top-level entry must exist before any user
    // address space copies the kernel half, so later stacks appear in all.
    let stacks_entry = VirtAddr::new(KERNEL_STACKS_BASE).p4_index();
    // SAFETY: `root` is the table just built; no other reference exists.
    let root_table = unsafe { table_at(root) };
    let pdpt = boot_allocate()
        .map(TableFrame::into_raw)
        .ok_or(MapError::OutOfFrames)?;
    zeroed_table(pdpt);
    root_table[stacks_entry].set_addr(PhysAddr::new(pdpt), Flags::PRESENT | Flags::WRITABLE);

    KERNEL_ROOT.store(root, Ordering::Relaxed);
    let frame = PhysFrame::containing_address(PhysAddr::new(root));
    // SAFETY: the new tables map the kernel image at the addresses it runs
    // at (code, stacks and statics all live in the image), so execution
    // continues seamlessly; the direct map replaces the boot mapping, and
    // PHYS_TO_VIRT switches to it right after.
    unsafe { Cr3::write(frame, Cr3Flags::empty()) };
    PHYS_TO_VIRT.store(DIRECT_MAP_BASE, Ordering::Relaxed);
    Ok(())
}

/// Physical address of the kernel's top-level table.
pub fn kernel_root() -> u64 {
    KERNEL_ROOT.load(Ordering::Relaxed)
}

/// Flags of a user page.
pub fn user_flags(writable: bool, executable: bool) -> Flags {
    let mut flags = Flags::PRESENT | Flags::USER_ACCESSIBLE;
    if writable {
        flags |= Flags::WRITABLE;
    }
    if !executable {
        flags |= Flags::NO_EXECUTE;
    }
    flags
}

/// A new address space: an empty user half and the shared kernel half.
/// Returns its root, or `None` without a frame.
pub fn new_user_root(allocate_frame: &mut dyn FnMut() -> Option<TableFrame>) -> Option<u64> {
    let root = allocate_frame()?.into_raw();
    zeroed_table(root);
    // SAFETY: `root` is fresh and the kernel root is only read here.
    let (table, kernel) = unsafe { (table_at(root), table_at(kernel_root())) };
    for index in KERNEL_HALF_FIRST_ENTRY..512 {
        table[index] = kernel[index].clone();
    }
    USER_ROOTS.lock().insert(root);
    Some(root)
}

/// Walks to the last-level entry of `virt` under `root`, if `root` is the
/// kernel root or a live user root and the tables exist.
fn leaf_entry(
    root: u64,
    virt: u64,
) -> Option<&'static mut x86_64::structures::paging::page_table::PageTableEntry> {
    if root != kernel_root() && !is_user_root(root) {
        return None;
    }
    walk_leaf(root, virt)
}

/// [`leaf_entry`] for a root the caller checked (the kernel root or a
/// live user root).
fn walk_leaf(
    root: u64,
    virt: u64,
) -> Option<&'static mut x86_64::structures::paging::page_table::PageTableEntry> {
    let table = walk_leaf_table(root, virt)?;
    Some(&mut table[VirtAddr::new(virt).p1_index()])
}

/// The last-level table that maps `virt` under `root` (a root the caller
/// checked), if the tables down to it exist.
fn walk_leaf_table(root: u64, virt: u64) -> Option<&'static mut PageTable> {
    let virt = VirtAddr::new(virt);
    let mut table_address = root;
    for index in [virt.p4_index(), virt.p3_index(), virt.p2_index()] {
        // SAFETY: `root` is a live address-space root and each step follows
        // a present, non-huge entry to a table frame; one reference at a time.
        let table = unsafe { table_at(table_address) };
        let entry = &table[index];
        if entry.is_unused() || entry.flags().contains(Flags::HUGE_PAGE) {
            return None;
        }
        table_address = entry.addr().as_u64();
    }
    // SAFETY: as above.
    Some(unsafe { table_at(table_address) })
}

/// Maps (or re-maps) the user page `virt` to the frame recorded as
/// `frame` with `flags`. `Err(NoSuchRoot)` if `root` is not a live user
/// root.
///
/// # Safety
/// `frame` is a frame one of the address space's page records holds a
/// reference to (see `physmem::Frame::from_raw`) and keeps holding while
/// the mapping exists: the VM layer clears the mapping before it releases
/// the record. A page table, a kernel-heap frame or a freed frame mapped
/// here would let the program overwrite kernel memory.
pub unsafe fn set_user_page(
    root: u64,
    virt: u64,
    frame: u64,
    flags: Flags,
    allocate_frame: &mut dyn FnMut() -> Option<TableFrame>,
) -> Result<(), MapError> {
    if virt >= USER_END || !is_user_root(root) {
        return Err(MapError::NoSuchRoot);
    }
    // A not-present entry is never cached in the TLB (Intel SDM vol. 3,
    // 4.10.2.3; AMD alike), so a page mapped where nothing was needs no
    // flush; only a changed present entry does.
    if let Some(entry) = leaf_entry(root, virt) {
        let was_present = entry.flags().contains(Flags::PRESENT);
        entry.set_addr(PhysAddr::new(frame), flags);
        if was_present {
            flush_if_active(root, virt);
        }
    } else {
        // SAFETY: `root` is a live user root (checked), `virt` a user page;
        // the caller vouches for `frame`; `allocate_frame` gives fresh
        // frames for tables.
        unsafe { map(root, virt, frame, PageSize::Small, flags, allocate_frame)? };
    }
    Ok(())
}

/// Maps the user page `virt` to `frame`, which the mapping keeps: on
/// success the address space's records hold the reference (as
/// `frame.address()`) and give it back when the page is unmapped
/// ([`clear_user_page`] returns the address, which the VM layer releases).
/// On failure the frame comes back.
pub fn map_user_frame(
    root: u64,
    virt: u64,
    frame: Frame,
    flags: Flags,
    allocate_frame: &mut dyn FnMut() -> Option<TableFrame>,
) -> Result<u64, (Frame, MapError)> {
    // SAFETY: `frame` is an owned reference to an allocated frame, which
    // this mapping takes over (`into_raw` below) for the page record the
    // caller makes of it.
    match unsafe { set_user_page(root, virt, frame.address(), flags, allocate_frame) } {
        Ok(()) => Ok(frame.into_raw()),
        Err(error) => Err((frame, error)),
    }
}

/// Maps `frames` at consecutive user pages from `first`, where nothing is
/// mapped yet, with `flags`: fault-around's batch, one check of the root
/// and one table walk for the run instead of one per page. Each frame it
/// maps leaves its slot (`None`) for the mapping, which keeps it as
/// [`map_user_frame`]'s do. It stops at the first empty slot, at a page
/// that has an entry (nothing is overwritten), at the end of `first`'s
/// last-level table, or at the end of user space. `None` when `root` is
/// not a live user root or the tables down to `first`'s last level do not
/// exist yet ([`map_user_frame`] makes them); otherwise how many it mapped.
/// No TLB flush: a not-present entry is never cached.
pub fn map_fresh_user_run(
    root: u64,
    first: u64,
    frames: &mut [Option<Frame>],
    flags: Flags,
) -> Option<usize> {
    if first >= USER_END || !first.is_multiple_of(PAGE_SIZE) || !is_user_root(root) {
        return None;
    }
    let table = walk_leaf_table(root, first)?;
    let first_index = usize::from(VirtAddr::new(first).p1_index());
    let pages_left = ((USER_END - first) / PAGE_SIZE) as usize;
    let mut mapped = 0;
    for (entry, slot) in table
        .iter_mut()
        .skip(first_index)
        .zip(frames.iter_mut())
        .take(pages_left)
    {
        if !entry.is_unused() {
            break;
        }
        let Some(frame) = slot.take() else {
            break;
        };
        entry.set_addr(PhysAddr::new(frame.into_raw()), flags);
        mapped += 1;
    }
    Some(mapped)
}

/// Unmaps the user page `virt`; returns the frame it mapped.
pub fn clear_user_page(root: u64, virt: u64) -> Option<u64> {
    let entry = leaf_entry(root, virt)?;
    if entry.is_unused() {
        return None;
    }
    let frame = entry.addr().as_u64();
    entry.set_unused();
    flush_if_active(root, virt);
    Some(frame)
}

/// Whether the CPU used user page `virt` since the last call (its
/// accessed bit), clearing the bit; `None` if the page is not mapped. Used
/// by pageout's second-chance clock.
pub fn take_accessed(root: u64, virt: u64) -> Option<bool> {
    let entry = leaf_entry(root, virt)?;
    if entry.is_unused() {
        return None;
    }
    let flags = entry.flags();
    if !flags.contains(Flags::ACCESSED) {
        return Some(false);
    }
    let frame = entry.addr();
    entry.set_addr(frame, flags - Flags::ACCESSED);
    // The TLB may cache the entry with the bit set; without a flush the
    // CPU would not set it again on the next use.
    flush_if_active(root, virt);
    Some(true)
}

/// The frame and flags mapped at user page `virt`.
pub fn user_page(root: u64, virt: u64) -> Option<(u64, Flags)> {
    let entry = leaf_entry(root, virt)?;
    if entry.is_unused() {
        None
    } else {
        Some((entry.addr().as_u64(), entry.flags()))
    }
}

/// Which of `pages` (user pages of `root`) are mapped with their
/// accessed bit set: bit `i` of the result for `pages[i]` (at most 64).
/// Reads the entries only (the bits stay); one root check for all.
pub fn accessed_pages(root: u64, pages: &[u64]) -> u64 {
    if !is_user_root(root) {
        return 0;
    }
    let mut bits = 0;
    // Fault-around's pages are consecutive: one walk per last-level table.
    let mut table: Option<(u64, &'static mut PageTable)> = None;
    for (index, &page) in pages.iter().enumerate().take(64) {
        if page >= USER_END {
            continue;
        }
        // A last-level table maps one 2 MiB span.
        let span = page / HUGE_PAGE_SIZE;
        if table.as_ref().is_none_or(|(cached, _)| *cached != span) {
            table = walk_leaf_table(root, page).map(|found| (span, found));
        }
        let accessed = table.as_ref().is_some_and(|(_, leaf)| {
            leaf[VirtAddr::new(page).p1_index()]
                .flags()
                .contains(Flags::PRESENT | Flags::ACCESSED)
        });
        if accessed {
            bits |= 1 << index;
        }
    }
    bits
}

/// Frees the user half's page tables (not the pages they map, which the VM
/// releases from its own records) and the root itself, handing each table
/// frame to `free_frame`. Does nothing if `root` is not a live user root or
/// is the active one (returns `false` then).
pub fn free_user_tables(root: u64, free_frame: &mut dyn FnMut(u64)) -> bool {
    if root == active_root() || !USER_ROOTS.lock().remove(&root) {
        return false;
    }
    fn free_level(table_address: u64, level: usize, free_frame: &mut dyn FnMut(u64)) {
        if level > 1 {
            // SAFETY: a table of a dead address space; nothing else uses it.
            let table = unsafe { table_at(table_address) };
            for entry in table.iter().filter(|entry| !entry.is_unused()) {
                free_level(entry.addr().as_u64(), level - 1, free_frame);
            }
        }
        free_frame(table_address);
    }
    // SAFETY: as above.
    let table = unsafe { table_at(root) };
    for entry in table
        .iter()
        .take(KERNEL_HALF_FIRST_ENTRY)
        .filter(|entry| !entry.is_unused())
    {
        free_level(entry.addr().as_u64(), 3, free_frame);
    }
    free_frame(root);
    true
}

/// How many frames the user half's page tables of `root` take, the root
/// included (0 if `root` is not a live user root): what freeing them would
/// give back.
pub fn user_table_frames(root: u64) -> u64 {
    if !USER_ROOTS.lock().contains(&root) {
        return 0;
    }
    fn count_level(table_address: u64, level: usize) -> u64 {
        if level <= 1 {
            return 1;
        }
        // SAFETY: a table reachable from a live user root, read only; the
        // kernel runs with interrupts off, so nothing frees it meanwhile.
        let table = unsafe { table_at(table_address) };
        1 + table
            .iter()
            .filter(|entry| !entry.is_unused())
            .map(|entry| count_level(entry.addr().as_u64(), level - 1))
            .sum::<u64>()
    }
    // SAFETY: as above.
    let table = unsafe { table_at(root) };
    1 + table
        .iter()
        .take(KERNEL_HALF_FIRST_ENTRY)
        .filter(|entry| !entry.is_unused())
        .map(|entry| count_level(entry.addr().as_u64(), 3))
        .sum::<u64>()
}

/// The root of the address space the CPU uses now.
pub fn active_root() -> u64 {
    Cr3::read().0.start_address().as_u64()
}

/// Switches to the address space rooted at `root` (the kernel root or a
/// live user root). Returns `false`, switching nowhere, for anything else.
pub fn activate(root: u64) -> bool {
    if root != kernel_root() && !is_user_root(root) {
        return false;
    }
    if active_root() != root {
        let frame = PhysFrame::containing_address(PhysAddr::new(root));
        // SAFETY: `root` is the kernel root or a user root made by
        // `new_user_root`, which shares the kernel half, so the kernel keeps
        // running unchanged.
        unsafe { Cr3::write(frame, Cr3Flags::empty()) };
    }
    true
}

fn flush_if_active(root: u64, virt: u64) {
    if active_root() == root {
        x86_64::instructions::tlb::flush(VirtAddr::new(virt));
    }
}

/// Maps a kernel page (kernel stacks) in the shared kernel half.
///
/// # Safety
/// `virt` is a page of the kernel-stack area that nothing maps, and
/// `frame` a fresh frame that nothing else uses while it stays mapped
/// (until [`unmap_kernel_page`] gives it back).
pub unsafe fn map_kernel_page(
    virt: u64,
    frame: u64,
    allocate_frame: &mut dyn FnMut() -> Option<TableFrame>,
) -> Result<(), MapError> {
    let flags = Flags::WRITABLE | Flags::GLOBAL | Flags::NO_EXECUTE;
    // SAFETY: the caller's contract covers `virt` and `frame`; the kernel
    // root is always live.
    unsafe {
        map(
            kernel_root(),
            virt,
            frame,
            PageSize::Small,
            flags,
            allocate_frame,
        )
    }
}

/// Unmaps a kernel page; returns its frame.
pub fn unmap_kernel_page(virt: u64) -> Option<u64> {
    let entry = leaf_entry(kernel_root(), virt)?;
    if entry.is_unused() {
        return None;
    }
    let frame = entry.addr().as_u64();
    entry.set_unused();
    x86_64::instructions::tlb::flush(VirtAddr::new(virt));
    Some(frame)
}

/// Makes `[address, address + len)` of device memory reachable through the
/// direct map (uncached), mapping it first if it lies beyond what
/// `init_kernel_space` mapped (e.g. a 64-bit PCI BAR above 4 GiB).
pub fn map_device_memory(
    address: u64,
    len: u64,
    allocate_frame: &mut dyn FnMut() -> Option<TableFrame>,
) -> VirtAddr {
    let mut page = address / HUGE_PAGE_SIZE * HUGE_PAGE_SIZE;
    let end = address + len;
    while page < end {
        let virt = DIRECT_MAP_BASE + page;
        if translate_kernel(virt).is_none() {
            let flags = Flags::WRITABLE
                | Flags::GLOBAL
                | Flags::NO_EXECUTE
                | Flags::NO_CACHE
                | Flags::WRITE_THROUGH;
            // SAFETY: device memory at its own place in the direct-map
            // window, which nothing maps yet (checked above).
            let mapped = unsafe {
                map(
                    kernel_root(),
                    virt,
                    page,
                    PageSize::Huge,
                    flags,
                    allocate_frame,
                )
            };
            #[allow(
                clippy::expect_used,
                reason = "boot-time device probing: the direct-map window is free here (checked)"
            )]
            mapped.expect("mapping device memory");
            x86_64::instructions::tlb::flush(VirtAddr::new(virt));
        }
        page += HUGE_PAGE_SIZE;
    }
    phys_to_virt(address)
}

/// Whether a kernel virtual address is mapped (by a 4 KiB or 2 MiB page).
fn translate_kernel(virt: u64) -> Option<u64> {
    let address = VirtAddr::new(virt);
    let mut table_address = kernel_root();
    for (level, index) in [
        address.p4_index(),
        address.p3_index(),
        address.p2_index(),
        address.p1_index(),
    ]
    .into_iter()
    .enumerate()
    {
        // SAFETY: walking the kernel's own tables, one reference at a time.
        let table = unsafe { table_at(table_address) };
        let entry = &table[index];
        if entry.is_unused() {
            return None;
        }
        if level == 2 && entry.flags().contains(Flags::HUGE_PAGE) || level == 3 {
            return Some(entry.addr().as_u64());
        }
        table_address = entry.addr().as_u64();
    }
    None
}
