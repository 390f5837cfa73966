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
    println!("attack: done");
    0
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
