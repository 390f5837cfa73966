//! Attacks from ring 3 on the guarantees of issue 16 (init of the `attack`
//! image). Each attack runs in a forked child; the parent prints
//! `attack: <name> -> <how it ended>` and, when done, `attack: done`.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use kernel_abi::Syscall;
use userlib::process::{self};
use userlib::{Signal, memory, println, signal, time};

userlib::entry!(run);

type Attack = (&'static str, fn() -> !);

const ATTACKS: &[Attack] = &[
    ("icebp", icebp),
    ("sysenter", sysenter),
    ("int80", int80),
    ("tf-syscall", tf_syscall),
    ("tf-movss-syscall", tf_movss_syscall),
    ("tf-syscall-kernel-rsp", tf_syscall_kernel_rsp),
    ("syscall-noncanonical-rsp", syscall_noncanonical_rsp),
    ("signal-with-kernel-rsp", signal_with_kernel_rsp),
    ("tf-int3", tf_int3),
    ("tf-icebp", tf_icebp),
    ("oom-cow-sharers", oom_cow_sharers),
    ("forged-fpu-pending-x87", forged_fpu_pending_x87),
    ("nested-signal-fpu", nested_signal_fpu),
];

fn run(args: userlib::Args) -> i32 {
    if args.get(1) == Some("hog") {
        hog(args.number(2).unwrap_or(48));
    }
    let wanted = args.get(1).unwrap_or("all");
    for (name, attack) in ATTACKS {
        if wanted != "all" && !wanted.split(',').any(|w| w == *name) {
            continue;
        }
        println!("attack: start {name}");
        let result = match process::fork() {
            Ok(0) => attack(),
            Ok(child) => process::wait_for(child),
            Err(error) => Err(error),
        };
        println!("attack: {name} -> {result:?}");
    }
    if wanted == "all" || wanted.split(',').any(|w| w == "init-pending-then-default") {
        init_pending_then_default();
    }
    println!("attack: done");
    0
}

/// Init catches SIGTERM and blocks it; an ordinary child sends SIGTERM
/// (pending: caught, blocked); init then restores the default action and
/// unblocks it. RELIABILITY.md: signals init does not catch are
/// discarded, only its own CPU faults can kill it.
fn init_pending_then_default() {
    println!("attack: start init-pending-then-default");
    let _ = signal::catch(Signal::SIGTERM, noop);
    let _ = signal::block(Signal::SIGTERM);
    let me = process::getpid();
    let child = match process::fork() {
        Ok(0) => {
            let sent = signal::kill(me, Signal::SIGTERM);
            process::exit(if sent.is_ok() { 0 } else { 1 })
        }
        Ok(child) => child,
        Err(_) => return,
    };
    let sent = process::wait_for(child);
    let _ = signal::default(Signal::SIGTERM);
    let _ = signal::unblock(Signal::SIGTERM);
    println!("attack: init-pending-then-default -> init runs on (child {sent:?})");
}

fn icebp() -> ! {
    // SAFETY: raises #DB (INT1); the process ends or resumes.
    unsafe { core::arch::asm!(".byte 0xf1") };
    process::exit(100)
}

fn sysenter() -> ! {
    // SAFETY: sysenter is #UD/#GP in long mode for ring 3 here.
    unsafe { core::arch::asm!("sysenter") };
    process::exit(100)
}

fn int80() -> ! {
    // SAFETY: a gate with DPL 0: #GP.
    unsafe { core::arch::asm!("int 0x80") };
    process::exit(100)
}

fn tf_syscall() -> ! {
    // SAFETY: TF set, then a getpid syscall; single-step trap after it.
    unsafe {
        core::arch::asm!(
            "pushfq", "or qword ptr [rsp], 0x100", "popfq",
            "syscall",
            inout("rax") Syscall::GetPid as u64 => _,
            lateout("rcx") _, lateout("r11") _,
        )
    };
    process::exit(100)
}

fn tf_movss_syscall() -> ! {
    // SAFETY: TF set, `mov ss` delays the trap past the syscall.
    unsafe {
        core::arch::asm!(
            "pushfq", "or qword ptr [rsp], 0x100", "popfq",
            "mov {t:x}, ss",
            "mov ss, {t:x}",
            "syscall",
            t = out(reg) _,
            inout("rax") Syscall::GetPid as u64 => _,
            lateout("rcx") _, lateout("r11") _,
        )
    };
    process::exit(100)
}

fn tf_syscall_kernel_rsp() -> ! {
    // SAFETY: rsp is kept in r12 and restored after the call.
    unsafe {
        core::arch::asm!(
            "mov r12, rsp",
            "pushfq", "or qword ptr [rsp], 0x100", "popfq",
            "mov rsp, {k}",
            "mov {t:x}, ss",
            "mov ss, {t:x}",
            "syscall",
            "mov rsp, r12",
            k = in(reg) 0xffff_8000_0010_0000u64,
            t = out(reg) _,
            out("r12") _,
            inout("rax") Syscall::GetPid as u64 => _,
            lateout("rcx") _, lateout("r11") _,
        )
    };
    process::exit(100)
}

fn syscall_noncanonical_rsp() -> ! {
    // SAFETY: rsp is kept in r12 and restored after the call.
    unsafe {
        core::arch::asm!(
            "mov r12, rsp",
            "mov rsp, {k}",
            "syscall",
            "mov rsp, r12",
            k = in(reg) 0x8000_0000_0000_0001u64,
            out("r12") _,
            inout("rax") Syscall::GetPid as u64 => _,
            lateout("rcx") _, lateout("r11") _,
        )
    };
    process::exit(0)
}

extern "C" fn noop(_signal: u64) {}

fn signal_with_kernel_rsp() -> ! {
    let _ = signal::catch(Signal::SIGUSR1, noop);
    let me = process::getpid();
    // SAFETY: a kill to ourselves with a kernel rsp: the handler frame
    // cannot be written.
    unsafe {
        core::arch::asm!(
            "mov r12, rsp",
            "mov rsp, {k}",
            "syscall",
            "mov rsp, r12",
            k = in(reg) 0xffff_8000_0000_1000u64,
            out("r12") _,
            inout("rax") Syscall::Kill as u64 => _,
            in("rdi") u64::from(me),
            in("rsi") u64::from(Signal::SIGUSR1.number()),
            lateout("rcx") _, lateout("r11") _,
        )
    };
    process::exit(0)
}

fn tf_int3() -> ! {
    // SAFETY: TF then int3.
    unsafe { core::arch::asm!("pushfq", "or qword ptr [rsp], 0x100", "popfq", "int3") };
    process::exit(100)
}

fn tf_icebp() -> ! {
    // SAFETY: TF then int1.
    unsafe { core::arch::asm!("pushfq", "or qword ptr [rsp], 0x100", "popfq", ".byte 0xf1") };
    process::exit(100)
}

const PAGE: u64 = 4096;

/// Touches `mib` MiB of new heap page by page, then says so.
fn hog(mib: u64) -> ! {
    let bytes = mib << 20;
    let Ok(start) = memory::sbrk(bytes) else {
        println!("hog: sbrk failed");
        process::exit(2)
    };
    let mut page = 0;
    while page * PAGE < bytes {
        memory::touch(start + page * PAGE, 1);
        page += 1;
    }
    println!("hog: touched {mib} MiB");
    process::exit(0)
}

/// Holds 32 MiB of touched heap and shares it copy-on-write with seven
/// forked children that only sleep (each exits when its parent is gone);
/// waits for SIGKILL.
fn cow_group() -> ! {
    let bytes = 32u64 << 20;
    let Ok(start) = memory::sbrk(bytes) else {
        process::exit(2)
    };
    let mut page = 0;
    while page * PAGE < bytes {
        memory::touch(start + page * PAGE, 1);
        page += 1;
    }
    let me = process::getpid();
    for _ in 0..8 {
        if let Ok(0) = process::fork() {
            while process::getppid() == me {
                let _ = time::sleep_ms(50);
            }
            process::exit(0)
        }
    }
    println!(
        "attack: cow group of 9 holds 32 MiB; {:?}",
        memory::meminfo()
    );
    loop {
        let _ = time::sleep_ms(1000);
    }
}

/// The out-of-memory rule against copy-on-write sharers: a process holds
/// 32 MiB shared copy-on-write with seven children (eight processes,
/// each with a resident set of 8,200 pages, together holding 8,200
/// frames); then a separate program (spawned: it shares nothing) touches
/// 48 MiB. Killing the hog (or the whole group) would do; how many die?
fn oom_cow_sharers() -> ! {
    let group = match process::fork() {
        Ok(0) => cow_group(),
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    let _ = time::sleep_ms(1500);
    let hog = match process::spawn("attack", &["hog", "48"]) {
        Ok(pid) => pid,
        Err(error) => {
            println!("attack: spawn hog failed: {error:?}");
            process::exit(3)
        }
    };
    let status = process::wait_for(hog);
    println!("attack: hog pid {hog} -> {status:?}");
    let _ = signal::kill(group, Signal::SIGKILL);
    let status = process::wait_for(group);
    println!("attack: cow group pid {group} -> {status:?}");
    while let Ok(Some(_)) | Err(kernel_abi::Errno::EINTR) = process::try_wait_any() {}
    let _ = time::sleep_ms(300);
    process::exit(0)
}

/// Runs after a forged `sigreturn`: the first x87 wait instruction meets
/// the pending exception the forged state carries.
extern "C" fn after_forged() -> ! {
    // SAFETY: `fwait` raises the pending x87 exception (#MF: SIGFPE).
    unsafe { core::arch::asm!("fwait") };
    process::exit(100)
}

#[repr(C, align(16))]
struct Forged([u8; 1024]);

fn forged_fpu_pending_x87() -> ! {
    use kernel_abi::signal::{SIGNAL_FRAME_FPU_OFFSET, SIGNAL_FRAME_MAGIC, SavedRegisters};
    let mut stack = [0u64; 512];
    let mut frame = Forged([0; 1024]);
    let registers = SavedRegisters {
        rip: after_forged as *const () as u64,
        rsp: (stack.as_mut_ptr() as u64 + 2048) & !15,
        rflags: 0x202,
        ..SavedRegisters::default()
    };
    let head: [u64; 4] = [0, 10, 0, SIGNAL_FRAME_MAGIC];
    let base = frame.0.as_mut_ptr();
    // SAFETY: the frame buffer holds the header, the registers and the
    // 512-byte state after them.
    unsafe {
        core::ptr::copy_nonoverlapping(head.as_ptr() as *const u8, base, 32);
        core::ptr::write_unaligned(base.add(32) as *mut SavedRegisters, registers);
        let fpu = base.add(SIGNAL_FRAME_FPU_OFFSET);
        // FCW 0 (every x87 exception unmasked), FSW with ES, B and every
        // flag, all tags valid (abridged 0xFF), FOP/FIP/FDP garbage,
        // MXCSR and MXCSR_MASK all ones, registers 0xFF (NaNs).
        core::ptr::write_bytes(fpu, 0xFF, 512);
        *fpu = 0;
        *fpu.add(1) = 0;
        *fpu.add(2) = 0xFF;
        *fpu.add(3) = 0xBF;
    }
    userlib::raw::sigreturn_at(base as u64 + 8)
}

static NESTED: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

fn xmm15() -> u64 {
    let value: u64;
    // SAFETY: reads xmm15's low quadword.
    unsafe { core::arch::asm!("movq {v}, xmm15", v = out(reg) value) };
    value
}

fn set_xmm15(value: u64) {
    // SAFETY: writes xmm15 (declared clobbered).
    unsafe { core::arch::asm!("movq xmm15, {v}", v = in(reg) value, out("xmm15") _) };
}

extern "C" fn inner(_signal: u64) {
    if xmm15() != 0 {
        NESTED.fetch_or(4, core::sync::atomic::Ordering::Relaxed);
    }
    set_xmm15(0xCCCC);
}

extern "C" fn outer(_signal: u64) {
    if xmm15() != 0 {
        NESTED.fetch_or(1, core::sync::atomic::Ordering::Relaxed);
    }
    set_xmm15(0xBBBB);
    let _ = signal::kill(process::getpid(), Signal::SIGUSR2);
    if xmm15() != 0xBBBB {
        NESTED.fetch_or(2, core::sync::atomic::Ordering::Relaxed);
    }
}

/// A handler interrupted by another: each starts clean and finds its own
/// xmm15 after the inner one returns; the main flow too.
fn nested_signal_fpu() -> ! {
    let _ = signal::catch(Signal::SIGUSR1, outer);
    let _ = signal::catch(Signal::SIGUSR2, inner);
    set_xmm15(0xAAAA);
    let _ = signal::kill(process::getpid(), Signal::SIGUSR1);
    let mut failed = NESTED.load(core::sync::atomic::Ordering::Relaxed);
    if xmm15() != 0xAAAA {
        failed |= 8;
    }
    process::exit(failed as i32)
}
