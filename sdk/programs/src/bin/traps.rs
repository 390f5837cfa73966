//! Traps a program may raise on purpose, what the CPU keeps from ring 3,
//! and what no program can do to init (part of the `hardening` boot test,
//! spawned by its init; `traps umip` alone is the init of the `umip`
//! image):
//!
//! - `int3` (and its long form `int 3`) and a single step (the trap flag)
//!   are SIGTRAP, as on every Unix; a SIGTRAP handler returns past the
//!   breakpoint; `int 4` (the overflow
//!   vector) is SIGSEGV, as on Linux; `into` does not exist in 64-bit mode
//!   (#UD: SIGILL);
//! - where CPUID says the CPU has UMIP (leaf 7, ECX bit 2), `sgdt`, `sidt`,
//!   `sldt`, `smsw` and `str` are general-protection faults (SIGSEGV)
//!   instead of showing where the kernel keeps its tables; where it does
//!   not, the program says so (and what `sidt` shows), and checks nothing
//!   it cannot;
//! - init (our parent) cannot be killed: SIGKILL to it is EINVAL (as
//!   MINIX's `check_sig`), and every other signal it does not catch is
//!   accepted and discarded, so init runs on (the boot test checks the
//!   kernel's record of each and that init finished).
//!
//! - `traps lstar ADDRESS` (the `hardening` boot test finds the kernel's
//!   system-call entry, LSTAR, in its symbols): a jump from ring 3 straight
//!   to the entry, as a hypervisor that does not emulate `syscall` leaves
//!   it (`kvm_pvm`), is run as the system call it asks for: no SIGSEGV and
//!   no power-off, so a program gains nothing by it. A jump whose return
//!   address (RCX) is not a user address, which no `syscall` sets (past
//!   the lower canonical half, or in the kernel half), is SIGSEGV and the
//!   call is not run (`exit(42)` here): the kernel's `iretq` to a
//!   non-canonical RIP would fault in ring 0 on hardware.
//!
//! Prints `traps: ok <name>` or `traps: FAIL <name>: <why>` per check and
//! `traps: N checks, M failed`, and exits with the number of failures.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::format;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel_abi::Errno;
use kernel_abi::signal::DefaultAction;
use userlib::process::{self, ExitStatus};
use userlib::verdict::Tally;
use userlib::{Signal, println, signal};

userlib::entry!(run);

const SIGILL: u64 = 4;
const SIGTRAP: u64 = 5;
const SIGSEGV: u64 = 11;

fn run(args: userlib::Args) -> i32 {
    let mut tally = Tally::new("traps");
    if args.get(1) == Some("umip") {
        umip(&mut tally);
        return tally.finish();
    }
    if args.get(1) == Some("lstar") {
        let target = args
            .get(2)
            .and_then(|hex| u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok());
        match target {
            Some(target) => {
                lstar_jump(&mut tally, target);
                lstar_jump_bad_return(&mut tally, target);
            }
            None => tally.check("lstar.address", false, format_args!("no address given")),
        }
        return tally.finish();
    }
    breakpoints(&mut tally);
    umip(&mut tally);
    init_signals(&mut tally);
    tally.finish()
}

/// Jumps to `target` (the kernel's system-call entry) from ring 3 with
/// RAX = getpid, RCX = the return address and R11 = the flags, as `syscall`
/// would have set them: the kernel runs the call and returns here.
fn lstar_jump(tally: &mut Tally, target: u64) {
    let number = kernel_abi::Syscall::GetPid as u64;
    let result: u64;
    // SAFETY: the jump leaves through the kernel's page fault (the entry
    // is a supervisor page), which returns to label 2 with RAX set, as a
    // system call does; RCX and R11 are declared clobbered.
    unsafe {
        core::arch::asm!(
            "lea rcx, [rip + 2f]",
            "pushfq",
            "pop r11",
            "jmp {target}",
            "2:",
            target = in(reg) target,
            inout("rax") number => result,
            out("rcx") _,
            out("r11") _,
        );
    }
    let pid = process::getpid();
    tally.check(
        "lstar.jump_is_a_system_call",
        result == u64::from(pid),
        format_args!("getpid through LSTAR gave {result}, getpid {pid}"),
    );
}

/// Jumps to `target` (LSTAR) from ring 3 with RAX = exit, RDI = 42 and
/// RCX = `return_address` (what `syscall` would never set): never returns.
fn lstar_jump_returning_to(target: u64, return_address: u64) -> ! {
    // SAFETY: the jump leaves through the kernel's page fault; the process
    // ends either way (SIGSEGV, or exit(42) if the call ran).
    unsafe {
        core::arch::asm!(
            "pushfq",
            "pop r11",
            "jmp {target}",
            target = in(reg) target,
            in("rax") kernel_abi::Syscall::Exit as u64,
            in("rdi") 42u64,
            in("rcx") return_address,
            options(noreturn),
        );
    }
}

/// A jump to LSTAR with a return address no `syscall` sets: SIGSEGV, the
/// call (`exit(42)`) not run.
fn lstar_jump_bad_return(tally: &mut Tally, target: u64) {
    for (name, return_address) in [
        (
            "lstar.noncanonical_return_is_sigsegv",
            0x0000_8000_0000_0000u64,
        ),
        ("lstar.kernel_return_is_sigsegv", 0xffff_8000_0000_0000),
    ] {
        let status = match process::fork() {
            Ok(0) => lstar_jump_returning_to(target, return_address),
            Ok(child) => process::wait_for(child),
            Err(error) => Err(error),
        };
        tally.check(
            name,
            status == Ok(ExitStatus::Killed(SIGSEGV)),
            format_args!("RCX {return_address:#x}: {status:?}"),
        );
    }
}

fn ended(tally: &mut Tally, name: &str, status: Result<ExitStatus, Errno>, expect: ExitStatus) {
    tally.check(
        name,
        status == Ok(expect),
        format_args!("{status:?}, expected {expect:?}"),
    );
}

/// Runs `attack` in a forked child; how did it end?
fn in_child(attack: fn() -> !) -> Result<ExitStatus, Errno> {
    match process::fork()? {
        0 => attack(),
        child => process::wait_for(child),
    }
}

static TRAPS_SEEN: AtomicU32 = AtomicU32::new(0);

extern "C" fn count_trap(_signal: u64) {
    TRAPS_SEEN.fetch_add(1, Ordering::Relaxed);
}

fn breakpoints(tally: &mut Tally) {
    let cases: [(&str, fn() -> !, u64); 4] = [
        (
            "int3-is-sigtrap",
            || {
                // SAFETY: none needed: the breakpoint ends the process.
                unsafe { core::arch::asm!("int3") };
                process::exit(1)
            },
            SIGTRAP,
        ),
        (
            "int-3-long-form-is-sigtrap",
            || {
                // SAFETY: as above (`int 3` spelled out: CD 03).
                unsafe { core::arch::asm!(".byte 0xcd, 0x03") };
                process::exit(1)
            },
            SIGTRAP,
        ),
        (
            "int-4-overflow-vector-is-sigsegv",
            || {
                // SAFETY: none needed: the trap ends the process.
                unsafe { core::arch::asm!(".byte 0xcd, 0x04") };
                process::exit(1)
            },
            SIGSEGV,
        ),
        (
            "into-is-sigill-in-64-bit-mode",
            || {
                // SAFETY: none needed: `into` (CE) is invalid in 64-bit
                // mode; the #UD ends the process.
                unsafe { core::arch::asm!(".byte 0xce") };
                process::exit(1)
            },
            SIGILL,
        ),
    ];
    let single_step = in_child(|| {
        // SAFETY: sets the trap flag; the single-step trap after the next
        // instruction ends the process.
        unsafe { core::arch::asm!("pushfq", "or qword ptr [rsp], 0x100", "popfq", "nop",) };
        process::exit(1)
    });
    for (name, attack, signal) in cases {
        ended(tally, name, in_child(attack), ExitStatus::Killed(signal));
    }
    ended(
        tally,
        "single-step-is-sigtrap",
        single_step,
        ExitStatus::Killed(SIGTRAP),
    );
    let resumed = in_child(|| {
        if signal::catch(Signal::SIGTRAP, count_trap).is_err() {
            process::exit(2);
        }
        // SAFETY: the breakpoint runs the handler, which returns here.
        unsafe { core::arch::asm!("int3", "int3") };
        process::exit(if TRAPS_SEEN.load(Ordering::Relaxed) == 2 {
            0
        } else {
            3
        })
    });
    ended(
        tally,
        "sigtrap-handler-resumes-after-each-int3",
        resumed,
        ExitStatus::Exited(0),
    );
}

/// Whether CPUID reports UMIP.
fn cpu_has_umip() -> bool {
    let max_leaf = core::arch::x86_64::__cpuid(0).eax;
    max_leaf >= 7 && core::arch::x86_64::__cpuid_count(7, 0).ecx & (1 << 2) != 0
}

/// `sidt` from ring 3: the IDT's (limit, base).
fn sidt() -> (u16, u64) {
    let mut table = [0u8; 10];
    // SAFETY: `sidt` writes 10 bytes into `table`, live and ours.
    unsafe { core::arch::asm!("sidt [{0}]", in(reg) &raw mut table, options(nostack)) };
    let limit = u16::from_le_bytes([table[0], table[1]]);
    let mut base = [0u8; 8];
    base.copy_from_slice(&table[2..10]);
    (limit, u64::from_le_bytes(base))
}

fn umip(tally: &mut Tally) {
    if !cpu_has_umip() {
        let (limit, base) = sidt();
        tally.check_showing(
            "umip-not-on-this-cpu",
            true,
            format_args!(
                "CPUID.7.0:ECX[2] clear; sidt from ring 3 reads IDT base {base:#x} limit {limit:#x}"
            ),
        );
        return;
    }
    println!("traps: CPUID reports UMIP: descriptor-table reads must fault");
    let cases: [(&str, fn() -> !); 5] = [
        ("sidt-faults-under-umip", || {
            let (limit, base) = sidt();
            println!("traps: sidt read base {base:#x} limit {limit:#x}");
            process::exit(1)
        }),
        ("sgdt-faults-under-umip", || {
            let mut table = [0u8; 10];
            // SAFETY: `sgdt` writes 10 bytes into `table` (if it runs).
            unsafe { core::arch::asm!("sgdt [{0}]", in(reg) &raw mut table, options(nostack)) };
            println!("traps: sgdt read {table:x?}");
            process::exit(1)
        }),
        ("sldt-faults-under-umip", || {
            let selector: u64;
            // SAFETY: `sldt` only writes a register (if it runs).
            unsafe { core::arch::asm!("sldt {0:x}", out(reg) selector, options(nostack)) };
            println!("traps: sldt read {selector:#x}");
            process::exit(1)
        }),
        ("smsw-faults-under-umip", || {
            let word: u64;
            // SAFETY: `smsw` only writes a register (if it runs).
            unsafe { core::arch::asm!("smsw {0}", out(reg) word, options(nostack)) };
            println!("traps: smsw read {word:#x}");
            process::exit(1)
        }),
        ("str-faults-under-umip", || {
            let selector: u64;
            // SAFETY: `str` only writes a register (if it runs).
            unsafe { core::arch::asm!("str {0:x}", out(reg) selector, options(nostack)) };
            println!("traps: str read {selector:#x}");
            process::exit(1)
        }),
    ];
    for (name, attack) in cases {
        ended(tally, name, in_child(attack), ExitStatus::Killed(SIGSEGV));
    }
}

/// Every signal whose default would end or stop init, but SIGKILL (init
/// catches none of them).
fn to_init() -> impl Iterator<Item = Signal> {
    Signal::ALL.into_iter().filter(|signal| {
        *signal != Signal::SIGKILL
            && matches!(
                signal.default_action(),
                DefaultAction::Terminate | DefaultAction::Stop
            )
    })
}

fn init_signals(tally: &mut Tally) {
    let init = process::getppid();
    let killed = signal::kill(init, Signal::SIGKILL);
    tally.check_showing(
        "sigkill-to-init-is-einval",
        killed == Err(Errno::EINVAL),
        format_args!("{killed:?}"),
    );
    for signal in to_init() {
        let sent = signal::kill(init, signal);
        tally.check(
            &format!("uncaught-{}-to-init-is-discarded", signal.name()),
            sent == Ok(()),
            format_args!("{sent:?}"),
        );
    }
}
