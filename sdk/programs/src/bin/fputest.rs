//! The x87 and SSE registers belong to one process each (part of the
//! `hardening` boot test, spawned by its init):
//!
//! - a new program starts with a clean state (FCW 0x37F, MXCSR 0x1F80, no
//!   x87 register in use, every data register zero) whatever the process
//!   before it left, an unmasked x87 exception pending included;
//! - `fork` gives the child a copy of the parent's state;
//! - two processes that hold distinct x87 and SSE values while they are
//!   preempted and switched many times each find their own values again;
//! - an unmasked divide by zero is SIGFPE for the process that did it, from
//!   SSE (#XM) and from x87 (#MF), and a process that leaves an x87
//!   exception pending never has it delivered to another. (QEMU's TCG
//!   sets MXCSR's flag but raises no #XM: there the SSE check says so
//!   instead of passing or failing);
//! - a signal handler starts with a clean state, and whatever it does to
//!   the registers the interrupted code finds its own after `sigreturn`;
//! - a forged signal frame whose MXCSR sets reserved bits (which would make
//!   the kernel's `fxrstor` fault) only gets the valid bits.
//!
//! The programs are built without SSE or x87 code generation (soft-float
//! target), so compiled code never touches these registers: what inline
//! assembly puts there stays until the next inline assembly reads it.
//!
//! Prints `fputest: ok <name>` or `fputest: FAIL <name>: <why>` per check
//! and `fputest: N checks, M failed`, and exits with the number of
//! failures. `fputest fresh` is the new program the first check spawns.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel_abi::Errno;
use kernel_abi::signal::{
    FCW_DEFAULT, FpuState, FxsaveArea, MXCSR_DEFAULT, SIGNAL_FRAME_MAGIC, SavedRegisters,
    SignalFrame,
};
use userlib::process::{self, ExitStatus};
use userlib::verdict::Tally;
use userlib::{Signal, println, signal, time};

userlib::entry!(run);

const SIGFPE: u64 = 8;
/// Exit status of the SSE check's child when the CPU did not trap.
const SSE_UNTRAPPED: i64 = 7;

/// x87 control word with the zero-divide exception unmasked (bit 2 clear).
const FCW_ZERO_DIVIDE_UNMASKED: u16 = FCW_DEFAULT & !0x4;
/// MXCSR with the zero-divide exception unmasked (ZM, bit 9, clear).
const MXCSR_ZERO_DIVIDE_UNMASKED: u32 = MXCSR_DEFAULT & !0x200;

fn run(args: userlib::Args) -> i32 {
    if args.get(1) == Some("fresh") {
        return fresh();
    }
    let mut tally = Tally::new("fputest");
    fresh_program(&mut tally);
    fork_copies(&mut tally);
    preemption(&mut tally);
    exceptions(&mut tally);
    signal_handler(&mut tally);
    forged_mxcsr(&mut tally);
    tally.finish()
}

/// The registers now.
fn save() -> FpuState {
    let mut area = FxsaveArea::default();
    // SAFETY: `area` is a live, 16-byte aligned 512-byte buffer, which
    // `fxsave64` writes; no register changes.
    unsafe {
        core::arch::asm!(
            "fxsave64 [{area}]",
            area = in(reg) &raw mut area,
            options(nostack, preserves_flags),
        )
    };
    area.0
}

/// Loads `state` into the registers.
fn load(state: &FpuState) {
    let area = FxsaveArea(*state);
    // SAFETY: `area` is a live, 16-byte aligned 512-byte buffer; its MXCSR
    // has no reserved bit set (every state here is built from
    // `FpuState::INITIAL` with valid MXCSR values). Only x87/SSE registers
    // change, which compiled code does not use.
    unsafe {
        core::arch::asm!(
            "fxrstor64 [{area}]",
            area = in(reg) &raw const area,
            options(nostack, preserves_flags, readonly),
        )
    };
}

/// Leaves an x87 divide by zero pending with the exception unmasked: the
/// next waiting x87 instruction of this process raises #MF.
fn leave_x87_exception_pending() {
    let control = FCW_ZERO_DIVIDE_UNMASKED;
    // SAFETY: only x87 registers change; the loaded control word is a
    // valid one. `fdivp` does not itself trap: the error waits for the next
    // waiting x87 instruction, which this function does not execute.
    unsafe {
        core::arch::asm!(
            "fldcw word ptr [{control}]",
            "fldpi",
            "fld1",
            "fldz",
            "fdivp st(1), st",
            control = in(reg) &control,
            options(nostack, preserves_flags),
        )
    };
}

/// A state no process starts with, different for each `seed`: every x87
/// register in use with its own value, its own control word and rounding
/// mode, and distinct patterns in all sixteen XMM registers.
fn distinct_state(seed: u8) -> FpuState {
    let mut state = FpuState::INITIAL;
    let control: u16 = if seed.is_multiple_of(2) {
        0x027F
    } else {
        0x0F7F
    };
    state.bytes[0..2].copy_from_slice(&control.to_le_bytes());
    state.bytes[4] = 0xFF;
    for register in 0..8u64 {
        let mantissa = 0x8000_0000_0000_0000 | (u64::from(seed) << 40) | (register << 8) | 0x55;
        let exponent = 0x3FFF + register as u16;
        let start = 32 + 16 * register as usize;
        state.bytes[start..start + 8].copy_from_slice(&mantissa.to_le_bytes());
        state.bytes[start + 8..start + 10].copy_from_slice(&exponent.to_le_bytes());
    }
    for register in 0..16usize {
        for byte in 0..16usize {
            state.bytes[160 + 16 * register + byte] =
                seed ^ (register as u8).wrapping_mul(17) ^ byte as u8;
        }
    }
    let rounding = u32::from(seed % 3 + 1) << 13;
    state.set_mxcsr(MXCSR_DEFAULT | rounding);
    state
}

/// The first difference between what the registers should hold and what
/// they hold: control, status, tags, MXCSR, the eight x87 and the sixteen
/// XMM registers (the last instruction pointers and the reserved area are
/// not compared).
fn difference(expected: &FpuState, found: &FpuState) -> Option<String> {
    if expected.fcw() != found.fcw() {
        return Some(format!(
            "FCW {:#x}, expected {:#x}",
            found.fcw(),
            expected.fcw()
        ));
    }
    if expected.fsw() != found.fsw() {
        return Some(format!(
            "FSW {:#x}, expected {:#x}",
            found.fsw(),
            expected.fsw()
        ));
    }
    if expected.abridged_tags() != found.abridged_tags() {
        return Some(format!(
            "tags {:#x}, expected {:#x}",
            found.abridged_tags(),
            expected.abridged_tags()
        ));
    }
    if expected.mxcsr() != found.mxcsr() {
        return Some(format!(
            "MXCSR {:#x}, expected {:#x}",
            found.mxcsr(),
            expected.mxcsr()
        ));
    }
    for register in 0..8 {
        if expected.st(register) != found.st(register) {
            return Some(format!(
                "ST({register}) {:x?}, expected {:x?}",
                found.st(register),
                expected.st(register)
            ));
        }
    }
    for register in 0..16 {
        if expected.xmm(register) != found.xmm(register) {
            return Some(format!(
                "XMM{register} {:x?}, expected {:x?}",
                found.xmm(register),
                expected.xmm(register)
            ));
        }
    }
    None
}

/// Exits 0 if the registers hold `expected`, else says how they differ
/// and exits 1.
fn exit_if_holding(what: &str, expected: &FpuState) -> ! {
    match difference(expected, &save()) {
        None => process::exit(0),
        Some(why) => {
            println!("fputest: {what} (pid {}): {why}", process::getpid());
            process::exit(1)
        }
    }
}

fn ended(tally: &mut Tally, name: &str, status: Result<ExitStatus, Errno>, expect: ExitStatus) {
    tally.check(
        name,
        status == Ok(expect),
        format_args!("{status:?}, expected {expect:?}"),
    );
}

/// Runs `body` (which ends with `exit`) in a forked child; how did it end?
fn in_child(body: impl FnOnce()) -> Result<ExitStatus, Errno> {
    match process::fork()? {
        0 => {
            body();
            process::exit(99)
        }
        child => process::wait_for(child),
    }
}

/// `fputest fresh`: a new program checks it starts clean and that x87 and
/// SSE arithmetic work (without a trap: nothing is pending).
fn fresh() -> i32 {
    if let Some(why) = difference(&FpuState::INITIAL, &save()) {
        println!("fputest: fresh program (pid {}): {why}", process::getpid());
        return 1;
    }
    let mut x87_sum = 0f64;
    let mut sse_sum = 0u32;
    let one_and_a_half = 1.5f32.to_bits();
    // SAFETY: x87 and SSE arithmetic on registers and on two live locals;
    // `fwait` raises any pending x87 error (none is pending in a clean
    // state, which is what this checks).
    unsafe {
        core::arch::asm!(
            "fld1",
            "fld1",
            "faddp st(1), st",
            "fstp qword ptr [{x87}]",
            "fwait",
            "movd xmm0, {sse:e}",
            "addss xmm0, xmm0",
            "movd {sse:e}, xmm0",
            x87 = in(reg) &raw mut x87_sum,
            sse = inout(reg) one_and_a_half => sse_sum,
            out("xmm0") _,
            options(nostack),
        )
    };
    let x87_ok = x87_sum.to_bits() == 2f64.to_bits();
    let sse_ok = sse_sum == 3f32.to_bits();
    if !(x87_ok && sse_ok) {
        println!(
            "fputest: fresh program arithmetic: x87 1+1 = {:#x}, SSE 1.5+1.5 = {sse_sum:#x}",
            x87_sum.to_bits()
        );
        return 1;
    }
    0
}

/// A process dirties every part of the state (distinct values, a changed
/// control word and rounding mode, an x87 divide by zero pending with the
/// exception unmasked) and spawns a new program, which must start clean
/// and compute without a trap.
fn fresh_program(tally: &mut Tally) {
    let status = in_child(|| {
        load(&distinct_state(0x5A));
        leave_x87_exception_pending();
        let status = match process::spawn("fputest", &["fresh"]).and_then(process::wait_for) {
            Ok(ExitStatus::Exited(code)) => code as i32,
            Ok(ExitStatus::Killed(signal)) => 100 + signal as i32,
            Err(_) => 99,
        };
        // Exit without another x87 instruction: the pending error is ours.
        process::exit(status)
    });
    ended(
        tally,
        "new-program-starts-clean-after-a-dirty-one",
        status,
        ExitStatus::Exited(0),
    );
}

/// The child of a fork finds the parent's registers; the parent finds its
/// own again after the child ran.
fn fork_copies(tally: &mut Tally) {
    let parent = distinct_state(0x11);
    let status = in_child(|| {
        load(&parent);
        match process::fork() {
            Ok(0) => exit_if_holding("forked child", &parent),
            Ok(child) => {
                let forked = process::wait_for(child);
                if forked != Ok(ExitStatus::Exited(0)) {
                    println!("fputest: the forked child ended {forked:?}");
                    process::exit(2);
                }
                exit_if_holding("parent after its child", &parent)
            }
            Err(_) => process::exit(3),
        }
    });
    ended(
        tally,
        "fork-copies-the-state-and-the-parent-keeps-it",
        status,
        ExitStatus::Exited(0),
    );
}

/// Loads `state`, computes for `ms` (never yielding: only the timer takes
/// the CPU away, between any two instructions), checks it. Exits 5 if it
/// was not preempted at least three times (a jump of 5 ms or more in the
/// clock: others ran a time slice meanwhile).
fn hold_while_busy(state: &FpuState, ms: u64) -> ! {
    load(state);
    let start = time::clock_ns();
    let mut last = start;
    let mut preempted = 0u32;
    let mut work = 0u64;
    while last - start < ms * 1_000_000 {
        for round in 0..20_000u64 {
            work = core::hint::black_box(work.wrapping_mul(31).wrapping_add(round));
        }
        let now = time::clock_ns();
        if now - last >= 5_000_000 {
            preempted += 1;
        }
        last = now;
    }
    if preempted < 3 {
        println!("fputest: busy process preempted only {preempted} times");
        process::exit(5);
    }
    exit_if_holding("busy process", state)
}

/// Three processes hold distinct states while they share the CPU for
/// 300 ms (time slices of 10 ms).
fn preemption(tally: &mut Tally) {
    let mut children = [0; 3];
    for (seed, child) in children.iter_mut().enumerate() {
        *child = match process::fork() {
            Ok(0) => hold_while_busy(&distinct_state(0x20 + seed as u8), 300),
            Ok(pid) => pid,
            Err(error) => {
                tally.check("preemption-fork", false, format_args!("{error:?}"));
                return;
            }
        };
    }
    for (index, child) in children.into_iter().enumerate() {
        ended(
            tally,
            &format!("state-survives-preemption-{index}"),
            process::wait_for(child),
            ExitStatus::Exited(0),
        );
    }
}

/// Unmasked divides by zero are SIGFPE for the process that did them; an
/// x87 exception left pending stays with its process.
fn exceptions(tally: &mut Tally) {
    let sse = in_child(|| {
        let control = MXCSR_ZERO_DIVIDE_UNMASKED;
        let one = 1f32.to_bits();
        // SAFETY: SSE registers and MXCSR only; the divide must trap.
        unsafe {
            core::arch::asm!(
                "ldmxcsr dword ptr [{control}]",
                "movd xmm0, {one:e}",
                "xorps xmm1, xmm1",
                "divss xmm0, xmm1",
                control = in(reg) &control,
                one = in(reg) one,
                out("xmm0") _,
                out("xmm1") _,
                options(nostack),
            )
        };
        let mxcsr = save().mxcsr();
        println!("fputest: divss by zero returned (MXCSR now {mxcsr:#x})");
        // A CPU that flags the error (ZE, bit 2) and goes on without #XM
        // is not one this check can judge the kernel on.
        process::exit(if mxcsr & 0x4 != 0 {
            SSE_UNTRAPPED as i32
        } else {
            1
        })
    });
    match sse {
        Ok(ExitStatus::Exited(SSE_UNTRAPPED)) => tally.check_showing(
            "sse-divide-by-zero-not-trapped-by-this-cpu",
            true,
            format_args!(
                "MXCSR.ZE set and no #XM: the CPU (QEMU TCG) does not raise SIMD exceptions"
            ),
        ),
        other => ended(
            tally,
            "sse-divide-by-zero-is-sigfpe",
            other,
            ExitStatus::Killed(SIGFPE),
        ),
    }
    let x87 = in_child(|| {
        leave_x87_exception_pending();
        // SAFETY: `fwait` only raises the pending x87 error.
        unsafe { core::arch::asm!("fwait", options(nostack)) };
        println!("fputest: fwait with an x87 error pending returned");
        process::exit(1)
    });
    ended(
        tally,
        "x87-divide-by-zero-is-sigfpe",
        x87,
        ExitStatus::Killed(SIGFPE),
    );
    // One process keeps an x87 error pending for 200 ms while another
    // computes with x87 instructions that wait: the error is never the
    // other's, and its status stays clean.
    let pending = match process::fork() {
        Ok(0) => {
            leave_x87_exception_pending();
            let start = time::clock_ns();
            while time::clock_ns() - start < 200_000_000 {
                process::yield_now();
            }
            process::exit(0)
        }
        Ok(pid) => pid,
        Err(error) => {
            tally.check("pending-fork", false, format_args!("{error:?}"));
            return;
        }
    };
    let worker = in_child(|| {
        let start = time::clock_ns();
        while time::clock_ns() - start < 200_000_000 {
            // SAFETY: x87 registers only; `fwait` raises a pending error
            // (there must be none: this process made none).
            unsafe {
                core::arch::asm!(
                    "fld1",
                    "fld1",
                    "faddp st(1), st",
                    "fstp st(0)",
                    "fwait",
                    options(nostack)
                )
            };
            process::yield_now();
        }
        let status = save().fsw();
        if status != 0 {
            println!("fputest: x87 status {status:#x} after clean arithmetic");
            process::exit(1);
        }
        process::exit(0)
    });
    ended(
        tally,
        "a-pending-x87-error-stays-with-its-process",
        worker,
        ExitStatus::Exited(0),
    );
    ended(
        tally,
        "the-process-with-the-pending-error-exits-normally",
        process::wait_for(pending),
        ExitStatus::Exited(0),
    );
}

/// Handler runs seen by [`clobbering_handler`].
static HANDLER_RUNS: AtomicU32 = AtomicU32::new(0);
/// Handler runs that did not start with a clean state.
static HANDLER_DIRTY_STARTS: AtomicU32 = AtomicU32::new(0);

/// Checks that it starts clean, then changes every register and leaves an
/// unmasked x87 error pending.
extern "C" fn clobbering_handler(_signal: u64) {
    HANDLER_RUNS.fetch_add(1, Ordering::Relaxed);
    if let Some(why) = difference(&FpuState::INITIAL, &save()) {
        println!("fputest: handler started with {why}");
        HANDLER_DIRTY_STARTS.fetch_add(1, Ordering::Relaxed);
    }
    load(&distinct_state(0xEE));
    leave_x87_exception_pending();
}

/// A handler that changes every x87/SSE register does not change the
/// interrupted code's.
fn signal_handler(tally: &mut Tally) {
    let status = in_child(|| {
        let state = distinct_state(0x42);
        if signal::catch(Signal::SIGUSR1, clobbering_handler).is_err() {
            process::exit(2);
        }
        load(&state);
        if signal::kill(process::getpid(), Signal::SIGUSR1).is_err() {
            process::exit(3);
        }
        let runs = HANDLER_RUNS.load(Ordering::Relaxed);
        let dirty = HANDLER_DIRTY_STARTS.load(Ordering::Relaxed);
        if runs != 1 || dirty != 0 {
            println!("fputest: handler ran {runs} times, {dirty} with a dirty state");
            process::exit(4);
        }
        exit_if_holding("interrupted code after the handler", &state)
    });
    ended(
        tally,
        "signal-handler-starts-clean-and-cannot-corrupt-the-interrupted-state",
        status,
        ExitStatus::Exited(0),
    );
}

/// A forged signal frame asks for MXCSR 0xFFFFFFFF (bits 16-31 are
/// reserved: `fxrstor` of them faults with #GP, in the kernel if it did not
/// clear them). The process must go on at the frame's `rip` with the valid
/// bits only.
fn forged_mxcsr(tally: &mut Tally) {
    let status = in_child(|| {
        let mut fpu = FpuState::INITIAL;
        fpu.set_mxcsr(0xFFFF_FFFF);
        let stack = alloc::vec![0u8; 4096].leak();
        let stack_top = (stack.as_ptr() as u64 + 4096) & !15;
        let frame = alloc::boxed::Box::leak(alloc::boxed::Box::new(SignalFrame {
            return_address: 0,
            signal: 10,
            saved_mask: 0,
            magic: SIGNAL_FRAME_MAGIC,
            registers: SavedRegisters {
                rip: mxcsr_landing as *const () as u64,
                // As if called: rsp + 8 is 16-byte aligned.
                rsp: stack_top - 8,
                rflags: 0x202,
                ..SavedRegisters::default()
            },
            fpu,
        }));
        userlib::raw::sigreturn_at(frame as *const SignalFrame as u64 + 8)
    });
    ended(
        tally,
        "sigreturn-clears-reserved-mxcsr-bits",
        status,
        ExitStatus::Exited(0),
    );
}

/// Where the forged frame resumes: exits 0 if MXCSR has no reserved bit
/// and the rounding-control bits the frame asked for (13 and 14), which
/// shows the frame's state was loaded.
extern "C" fn mxcsr_landing() -> ! {
    let mxcsr = save().mxcsr();
    if mxcsr >> 16 == 0 && mxcsr & 0x6000 == 0x6000 {
        process::exit(0)
    }
    println!("fputest: MXCSR after the forged frame: {mxcsr:#x}");
    process::exit(1)
}
