//! The global descriptor table and the task-state segment.
//!
//! Segment order is fixed by `syscall`/`sysret`: kernel code, kernel data,
//! then user data and user code next to each other (STAR expects
//! `user data = base + 8`, `user code = base + 16`).
//!
//! The TSS holds the stack the CPU switches to on an interrupt from ring 3
//! (`rsp0`, set on every switch to a process) and the separate IST stack of
//! the double-fault handler, so a kernel stack overflow still reports.

use core::cell::UnsafeCell;
use spin::Once;
use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::registers::segmentation::SegmentSelector;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable};
use x86_64::structures::tss::TaskStateSegment;

/// IST slot (0-based) of the double-fault stack.
pub const DOUBLE_FAULT_IST_INDEX: u16 = 0;

const DOUBLE_FAULT_STACK_SIZE: usize = 16 * 1024;

/// The segment selectors the kernel uses.
#[derive(Clone, Copy, Debug)]
pub struct Selectors {
    /// Ring-0 code.
    pub kernel_code: SegmentSelector,
    /// Ring-0 data and stack.
    pub kernel_data: SegmentSelector,
    /// Ring-3 data and stack.
    pub user_data: SegmentSelector,
    /// Ring-3 code.
    pub user_code: SegmentSelector,
    /// The task-state segment.
    pub tss: SegmentSelector,
}

/// The TSS, in a cell because `rsp0` changes on every switch to a process
/// while the CPU holds its address.
struct TssCell(UnsafeCell<TaskStateSegment>);

// SAFETY: one CPU; the cell is only written with interrupts disabled
// (`set_kernel_stack`), and the CPU only reads it while entering an
// interrupt, which cannot happen then.
unsafe impl Sync for TssCell {}

#[repr(align(16))]
struct Stack<const N: usize>([u8; N]);

static mut DOUBLE_FAULT_STACK: Stack<DOUBLE_FAULT_STACK_SIZE> = Stack([0; DOUBLE_FAULT_STACK_SIZE]);

static TSS: TssCell = TssCell(UnsafeCell::new(TaskStateSegment::new()));
static GDT: Once<(GlobalDescriptorTable, Selectors)> = Once::new();

/// Builds and loads the GDT and TSS. Called once, early in boot.
#[allow(
    clippy::indexing_slicing,
    reason = "boot-time; DOUBLE_FAULT_IST_INDEX is a constant below the IST's 7 entries"
)]
pub fn init() {
    let stack_top =
        VirtAddr::from_ptr(&raw const DOUBLE_FAULT_STACK) + DOUBLE_FAULT_STACK_SIZE as u64;
    // SAFETY: during init nothing else references the TSS yet; the CPU
    // starts reading it only after `load_tss` below.
    unsafe {
        (*TSS.0.get()).interrupt_stack_table[DOUBLE_FAULT_IST_INDEX as usize] = stack_top;
    }
    let (gdt, selectors) = GDT.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        // SAFETY: the TSS is a static, so the reference lives forever; it is
        // only mutated through `set_kernel_stack` (see `TssCell`).
        let tss: &'static TaskStateSegment = unsafe { &*TSS.0.get() };
        let kernel_code = gdt.append(Descriptor::kernel_code_segment());
        let kernel_data = gdt.append(Descriptor::kernel_data_segment());
        let user_data = gdt.append(Descriptor::user_data_segment());
        let user_code = gdt.append(Descriptor::user_code_segment());
        let tss = gdt.append(Descriptor::tss_segment(tss));
        (
            gdt,
            Selectors {
                kernel_code,
                kernel_data,
                user_data,
                user_code,
                tss,
            },
        )
    });
    gdt.load();
    // SAFETY: the selectors come from the GDT just loaded, whose TSS
    // descriptor points at a static TSS.
    unsafe {
        CS::set_reg(selectors.kernel_code);
        SS::set_reg(selectors.kernel_data);
        DS::set_reg(selectors.kernel_data);
        ES::set_reg(selectors.kernel_data);
        load_tss(selectors.tss);
    }
}

/// The selectors (after [`init`]).
#[allow(
    clippy::expect_used,
    reason = "invariant: `init` is the first thing `start` does after the serial port, \
              before anything asks for selectors"
)]
pub fn selectors() -> Selectors {
    GDT.get().expect("gdt::init runs first").1
}

/// Sets the stack the CPU switches to on an interrupt or exception from
/// ring 3: the top of the current process's kernel stack.
pub fn set_kernel_stack(top: VirtAddr) {
    debug_assert!(!super::cpu::interrupts_enabled());
    // SAFETY: interrupts are disabled (see `TssCell`), so the CPU is not
    // reading the TSS while we write one field of it.
    unsafe { (*TSS.0.get()).privilege_stack_table[0] = top };
}
