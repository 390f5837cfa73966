//! The x87 FPU and SSE: enabled for user programs, one state per process.
//!
//! The kernel itself never touches these registers: it is built for
//! `x86_64-unknown-none`, whose code generation is soft-float with SSE and
//! MMX off (`target_feature` lists only `fxsr`), so the only instructions
//! in the kernel that read or write them are the ones in this file. What
//! the registers hold while the kernel runs is therefore always the user
//! state of the running process, and switching processes switches it:
//! `context::switch_context` saves the outgoing process's state with
//! `fxsave64` into its context slot and loads the incoming one's with
//! `fxrstor64` (eagerly, on every switch: no lazy `CR0.TS` trick whose
//! #NM timing leaks another process's registers).
//!
//! None of these instructions waits for a pending x87 exception (`fxsave`,
//! `fxrstor`, `fninit` are non-waiting), so a program that leaves an
//! unmasked exception pending gets its #MF on its own next x87
//! instruction, in ring 3, never in the kernel or in another process.

use kernel_abi::signal::{FpuState, FxsaveArea};
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};

/// MXCSR bits the CPU accepts (the `MXCSR_MASK` field of an `fxsave`
/// image; 0xFFBF when the CPU reports 0, as the SDM says). A restore from
/// user memory clears the others, which would make `fxrstor` fault (#GP).
static MXCSR_MASK: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0xFFBF);

/// Turns the FPU and SSE on for ring 3: `CR0.MP` (wait instructions honour
/// TS), `CR0.NE` (x87 errors are #MF exceptions, not the legacy FERR#
/// interrupt line), `CR0.EM` and `CR0.TS` clear (no emulation, no #NM);
/// `CR4.OSFXSR` (SSE instructions and `fxsave`/`fxrstor` of the XMM
/// registers) and `CR4.OSXMMEXCPT` (unmasked SIMD errors are #XM, not
/// #UD). Then reads the CPU's MXCSR mask. Called once at boot, before any
/// process exists.
pub fn init() {
    let mut cr0 = Cr0::read();
    cr0.insert(Cr0Flags::MONITOR_COPROCESSOR | Cr0Flags::NUMERIC_ERROR);
    cr0.remove(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
    // SAFETY: MP, NE, EM and TS only change how x87/SSE instructions and
    // their errors behave; paging, protection and caching bits are kept.
    unsafe { Cr0::write(cr0) };
    let mut cr4 = Cr4::read();
    cr4.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE);
    // SAFETY: every x86_64 CPU has FXSR and SSE (CPUID.1:EDX bits 24, 25
    // are architectural in long mode); the two bits only make SSE and its
    // exceptions available.
    unsafe { Cr4::write(cr4) };
    let mut probe = FxsaveArea::default();
    // SAFETY: `fninit` only resets the x87 registers, which nothing uses
    // yet; `probe` is 16-byte aligned (`FxsaveArea` is `align(16)`) and
    // 512 bytes, the size `fxsave64` writes.
    unsafe {
        core::arch::asm!(
            "fninit",
            "fxsave64 [{area}]",
            area = in(reg) &raw mut probe,
            options(nostack),
        );
    }
    let bytes = &probe.0.bytes;
    let reported = u32::from_le_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]);
    if reported != 0 {
        MXCSR_MASK.store(reported, core::sync::atomic::Ordering::Relaxed);
    }
}

/// The MXCSR bits this CPU accepts.
pub fn mxcsr_mask() -> u32 {
    MXCSR_MASK.load(core::sync::atomic::Ordering::Relaxed)
}

/// Saves the registers (the running process's state) into `area`.
pub fn save(area: &mut FxsaveArea) {
    // SAFETY: `area` is a valid, exclusively borrowed, 16-byte aligned
    // 512-byte buffer, exactly what `fxsave64` writes; the instruction
    // changes no register and does not wait for pending x87 errors.
    unsafe {
        core::arch::asm!(
            "fxsave64 [{area}]",
            area = in(reg) area as *mut FxsaveArea,
            options(nostack, preserves_flags),
        );
    }
}

/// Loads `area` into the registers (it becomes the running process's
/// state). MXCSR bits the CPU does not accept are cleared in `area` first,
/// so no value, even one read from user memory, can make the load fault.
pub fn load(area: &mut FxsaveArea) {
    let mxcsr = area.0.mxcsr();
    area.0.set_mxcsr(mxcsr & mxcsr_mask());
    load_checked(area);
}

/// The state of a new process, at an aligned address.
static INITIAL: FxsaveArea = FxsaveArea(FpuState::INITIAL);

/// Loads the state of a new process ([`FpuState::INITIAL`]).
pub fn load_initial() {
    load_checked(&INITIAL);
}

fn load_checked(area: &FxsaveArea) {
    // SAFETY: `area` is a valid, 16-byte aligned 512-byte buffer, as
    // `fxrstor64` reads; its MXCSR has no reserved bit set (cleared by
    // `load`, or the constant 0x1F80), the one field that can make the
    // instruction fault; every other field is accepted as is. The load
    // only changes x87/SSE registers, which the kernel does not use.
    unsafe {
        core::arch::asm!(
            "fxrstor64 [{area}]",
            area = in(reg) area as *const FxsaveArea,
            options(nostack, preserves_flags, readonly),
        );
    }
}

// The promise above, checked where it is made: a kernel built with SSE
// code generation could clobber a process's registers between the
// switch that loads them and the return to ring 3.
#[cfg(any(target_feature = "sse", target_feature = "sse2"))]
compile_error!("the kernel must be built without SSE code generation (see arch::fpu)");
