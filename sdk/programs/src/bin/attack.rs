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
    ("forged-rflags-all-ones", forged_rflags_all_ones),
    (
        "forged-rip-last-canonical-byte",
        forged_rip_last_canonical_byte,
    ),
    (
        "sysret-shaped-noncanonical-rip",
        sysret_shaped_noncanonical_rip,
    ),
    ("sysret-shaped-kernel-rip", sysret_shaped_kernel_rip),
    (
        "sysret-shaped-rip-top-of-user",
        sysret_shaped_rip_top_of_user,
    ),
    ("sysret-shaped-tf", sysret_shaped_tf),
    ("sysret-shaped-iopl-nt-ac-vm", sysret_shaped_iopl_nt_ac_vm),
    (
        "sigaction-noncanonical-handler",
        sigaction_noncanonical_handler,
    ),
    ("syscall-writes-into-own-text", syscall_writes_into_own_text),
    ("syscall-write-straddles", syscall_write_straddles),
    ("syscall-write-into-cow-page", syscall_write_into_cow_page),
    ("fault-around-then-fork", fault_around_then_fork),
    ("fault-around-then-brk-shrink", fault_around_then_brk_shrink),
    ("fault-around-at-region-end", fault_around_at_region_end),
    (
        "fault-around-next-to-a-shared-region",
        fault_around_next_to_a_shared_region,
    ),
    ("signal-to-ring-3-spinner", signal_to_ring_3_spinner),
    (
        "syscall-write-into-swapped-pages",
        syscall_write_into_swapped_pages,
    ),
    ("ipc-reply-into-cow-pages", ipc_reply_into_cow_pages),
    (
        "stop-and-continue-a-ring-3-spinner",
        stop_and_continue_a_ring_3_spinner,
    ),
    (
        "fault-around-at-the-stack-guard",
        fault_around_at_the_stack_guard,
    ),
    ("regions-fork-enomem", regions_fork_enomem),
    ("spawn-storm-long-args", spawn_storm_long_args),
    ("killed-semop-waiters", killed_semop_waiters),
    (
        "shared-fork-parent-dies-first",
        shared_fork_parent_dies_first,
    ),
    ("signal-frame-needs-a-frame", signal_frame_needs_a_frame),
    ("page-table-hoarder", page_table_hoarder),
    ("semop-reply-needs-a-frame", semop_reply_needs_a_frame),
    ("oom-victims-in-odd-states", oom_victims_in_odd_states),
    ("signal-storm", signal_storm),
    ("signal-storm-again", signal_storm),
    (
        "replies-and-forged-events-to-ipc",
        replies_and_forged_events_to_ipc,
    ),
    ("kernel-heap-hoarders", kernel_heap_hoarders),
    ("thrash-plain", thrash_plain),
    (
        "thrash-with-a-minor-fault-now-and-then",
        thrash_with_minor_faults,
    ),
];

fn run(args: userlib::Args) -> i32 {
    if args.get(1) == Some("hog") {
        hog(args.number(2).unwrap_or(48));
    }
    if args.get(1) == Some("sleep") {
        loop {
            let _ = time::sleep_ms(1000);
        }
    }
    let wanted = args.get(1).unwrap_or("all");
    // Warm-up, so that the leak check after each attack is not confused by
    // memory that grows once (our heap for formatting, the services'
    // stacks for their first events): a child that exits, and a line.
    for _ in 0..3 {
        match process::fork() {
            Ok(0) => process::exit(0),
            Ok(child) => {
                let _ = process::wait_for(child);
            }
            Err(_) => {}
        }
        let _ = time::sleep_ms(100);
        println!(
            "attack: warm-up {:?} {:?}",
            used(),
            Ok::<process::ExitStatus, kernel_abi::Errno>(process::ExitStatus::Exited(0))
        );
    }
    for (name, attack) in ATTACKS {
        if wanted != "all" && !wanted.split(',').any(|w| w == *name) {
            continue;
        }
        println!("attack: start {name}");
        let before = used();
        let result = match process::fork() {
            Ok(0) => attack(),
            Ok(child) => process::wait_for(child),
            Err(error) => Err(error),
        };
        while let Ok(Some(_)) = process::try_wait_any() {}
        let _ = time::sleep_ms(200);
        while let Ok(Some(_)) = process::try_wait_any() {}
        let after = used();
        println!(
            "attack: {name} leaves frames {:+} swap {:+}",
            after.0 as i64 - before.0 as i64,
            after.1 as i64 - before.1 as i64
        );
        println!("attack: {name} -> {result:?}");
    }
    if wanted.split(',').any(|w| w == "init-one-shot-handler") {
        init_one_shot_handler();
    }
    if wanted == "all" || wanted.split(',').any(|w| w == "init-pending-then-default") {
        init_pending_then_default(Signal::SIGTERM, "init-pending-then-default");
    }
    println!("attack: done");
    0
}

/// Init catches `signal` and blocks it; an ordinary child sends it
/// (pending: caught, blocked); init then restores the default action and
/// unblocks it. RELIABILITY.md: signals init does not catch are
/// discarded, only its own CPU faults can kill it.
fn init_pending_then_default(sent_signal: Signal, name: &str) {
    println!("attack: start {name}");
    let _ = signal::catch(sent_signal, noop);
    let _ = signal::block(sent_signal);
    let me = process::getpid();
    let child = match process::fork() {
        Ok(0) => {
            let sent = signal::kill(me, sent_signal);
            process::exit(if sent.is_ok() { 0 } else { 1 })
        }
        Ok(child) => child,
        Err(_) => return,
    };
    let sent = process::wait_for(child);
    let _ = signal::default(sent_signal);
    let _ = signal::unblock(sent_signal);
    println!("attack: {name} -> init runs on (child {sent:?})");
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

/// Frames in use (page cache aside) and swap slots in use.
fn used() -> (u64, u64) {
    let info = memory::meminfo();
    (
        info.total_frames - info.free_frames - info.cached_pages,
        info.swap_used,
    )
}

fn map_shared(len: u64) -> Result<u64, kernel_abi::Errno> {
    userlib::raw::check(userlib::raw::syscall_plain(
        Syscall::MapShared,
        [len, 0, 0, 0, 0, 0],
    ))
}

fn sleep_until_orphaned(parent: u32) -> ! {
    while process::getppid() == parent {
        let _ = time::sleep_ms(20);
    }
    process::exit(0)
}

/// 1,000 one-page shared regions (each touched), then fork until it
/// fails; the children sleep until we are gone.
fn regions_fork_enomem() -> ! {
    let mut mapped = 0;
    for _ in 0..1000 {
        match map_shared(PAGE) {
            Ok(address) => {
                // SAFETY: a page of our own shared region.
                unsafe { core::ptr::write_volatile(address as *mut u8, 1) };
                mapped += 1;
            }
            Err(_) => break,
        }
    }
    let me = process::getpid();
    let mut forks = 0;
    let error = loop {
        match process::fork() {
            Ok(0) => sleep_until_orphaned(me),
            Ok(_) => forks += 1,
            Err(error) => break error,
        }
    };
    println!("attack: {mapped} regions, {forks} forks, then {error:?}");
    process::exit(0)
}

/// Spawns children with 500 bytes of arguments until spawn fails, then
/// kills them all.
fn spawn_storm_long_args() -> ! {
    let long = "x".repeat(250);
    let mut children = alloc::vec::Vec::new();
    let error = loop {
        match process::spawn("attack", &["sleep", &long, &long]) {
            Ok(pid) => children.push(pid),
            Err(error) => break error,
        }
        if children.len() >= 300 {
            break kernel_abi::Errno::EAGAIN;
        }
    };
    println!("attack: {} spawns, then {error:?}", children.len());
    for child in &children {
        let _ = signal::kill(*child, Signal::SIGKILL);
    }
    for child in children {
        let _ = process::wait_for(child);
    }
    process::exit(0)
}

/// Eight children block in semop(-1) on a fresh set; half are killed,
/// then four units are posted: the other four must get them.
fn killed_semop_waiters() -> ! {
    use userlib::sem::{self, SemOp};
    let Ok(id) = sem::semget(sem::IPC_PRIVATE, 1, 0) else {
        process::exit(2)
    };
    let mut waiters = alloc::vec::Vec::new();
    for _ in 0..8 {
        match process::fork() {
            Ok(0) => {
                let got = sem::semop(
                    id,
                    &[SemOp {
                        num: 0,
                        op: -1,
                        flags: 0,
                    }],
                );
                process::exit(if got.is_ok() { 0 } else { 3 })
            }
            Ok(pid) => waiters.push(pid),
            Err(_) => process::exit(4),
        }
    }
    let _ = time::sleep_ms(100);
    for pid in &waiters[..4] {
        let _ = signal::kill(*pid, Signal::SIGKILL);
    }
    let post = sem::semop(
        id,
        &[SemOp {
            num: 0,
            op: 4,
            flags: 0,
        }],
    );
    let mut served = 0;
    for pid in &waiters[4..] {
        if let Ok(process::ExitStatus::Exited(0)) = process::wait_for(*pid) {
            served += 1;
        }
    }
    for pid in &waiters[..4] {
        let _ = process::wait_for(*pid);
    }
    let _ = sem::semctl(id, 0, sem::IPC_RMID, 0);
    println!("attack: post {post:?}, {served} of 4 served");
    process::exit(if served == 4 { 0 } else { 5 })
}

/// A shared region mapped, touched, then forked; the parent dies first,
/// the child keeps using the region, then exits.
fn shared_fork_parent_dies_first() -> ! {
    let Ok(address) = map_shared(1 << 20) else {
        process::exit(2)
    };
    for page in 0..256 {
        // SAFETY: pages of our own shared region.
        unsafe { core::ptr::write_volatile((address + page * PAGE) as *mut u8, 1) };
    }
    match process::fork() {
        Ok(0) => {
            let _ = time::sleep_ms(100);
            for page in 0..256 {
                // SAFETY: as above, inherited by fork.
                unsafe { core::ptr::write_volatile((address + page * PAGE) as *mut u8, 2) };
            }
            process::exit(0)
        }
        _ => process::exit(0),
    }
}

extern "C" fn exit_zero(_signal: u64) {
    process::exit(0)
}

/// Sleeps forever with the stack pointer three pages below any page this
/// process touched, so a signal frame lands on a page that needs a new
/// frame.
fn sleep_on_fresh_stack() -> ! {
    // SAFETY: the loop never returns and uses no stack memory itself; the
    // pages below lie in the 256 KiB stack region.
    unsafe {
        core::arch::asm!(
            "and rsp, -4096",
            "sub rsp, 0x3000 - 0x40",
            "2:",
            "mov eax, {sleep}",
            "mov rdi, 10000000",
            "syscall",
            "jmp 2b",
            sleep = const Syscall::Sleep as u64,
            options(noreturn),
        )
    }
}

/// Fills memory with shared pages (never paged out) until no frame is left
/// for ordinary programs (64, the services' reserve), then sleeps. The
/// first page of every 2 MiB is touched first, so that every later page
/// needs exactly one frame (its page table exists).
fn fill_frames() -> ! {
    const LEN: u64 = 60 << 20;
    let Ok(address) = map_shared(LEN) else {
        process::exit(2)
    };
    let touch = |page: u64| {
        // SAFETY: pages of our own shared region.
        unsafe { core::ptr::write_volatile((address + page * PAGE) as *mut u8, 1) };
    };
    for page in (0..LEN / PAGE).step_by(512) {
        touch(page);
    }
    // From here on only registers and the shared region (never paged
    // out) are used: pageout may take our private stack and data pages
    // meanwhile, and bringing one back would need a frame. `MemInfo` is
    // written to the region's first page; `free_frames` is its first word.
    // SAFETY: every address written lies in our shared region; the loop
    // never returns.
    unsafe {
        core::arch::asm!(
            "mov r12, 1",
            "2:",
            "cmp r12, {pages}",
            "jae 4f",
            "mov eax, {meminfo}",
            "mov rdi, r13",
            "syscall",
            "cmp qword ptr [r13], 64",
            "jbe 4f",
            "test r12, 511",
            "jz 3f",
            "mov rax, r12",
            "shl rax, 12",
            "mov byte ptr [r13 + rax], 1",
            "3:",
            "inc r12",
            "jmp 2b",
            "4:",
            "mov eax, {sleep}",
            "mov rdi, 1000000000",
            "syscall",
            "jmp 4b",
            pages = const LEN / PAGE,
            meminfo = const Syscall::MemInfo as u64,
            sleep = const Syscall::Sleep as u64,
            in("r13") address,
            options(noreturn),
        )
    }
}

/// A caught signal to a process whose signal frame needs a new page while
/// an idle filler holds every frame an ordinary program may take. The
/// out-of-memory rule would kill the filler (the largest); does the
/// kernel instead kill the receiver for want of a frame for its frame?
fn signal_frame_needs_a_frame() -> ! {
    let _ = signal::catch(Signal::SIGUSR1, exit_zero);
    let receiver = match process::fork() {
        Ok(0) => sleep_on_fresh_stack(),
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    let filler = match process::fork() {
        Ok(0) => fill_frames(),
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    let _ = time::sleep_ms(100);
    while memory::meminfo().free_frames > 64 {
        if !matches!(process::try_wait_for(filler), Ok(None)) {
            println!("attack: the filler died early");
            let _ = signal::kill(receiver, Signal::SIGKILL);
            let _ = process::wait_for(receiver);
            process::exit(3)
        }
        let _ = time::sleep_ms(20);
    }
    let _ = time::sleep_ms(200);
    let ready = memory::meminfo();
    let _ = signal::kill(receiver, Signal::SIGUSR1);
    let _ = time::sleep_ms(200);
    println!("attack: signalled the receiver with {ready:?}");
    let status = process::wait_for(receiver);
    println!("attack: receiver {receiver} -> {status:?}");
    let _ = signal::kill(filler, Signal::SIGKILL);
    let filler_status = process::wait_for(filler);
    println!("attack: filler {filler} -> {filler_status:?}");
    process::exit(match status {
        Ok(process::ExitStatus::Exited(0)) => 0,
        _ => 1,
    })
}

/// Touches one byte per GiB of a 2,800 GiB heap: each page resident costs
/// a page table and a page directory as well (three frames, one counted
/// in `vm_total`); then sleeps until killed.
fn hoard_page_tables() -> ! {
    const GIB: u64 = 1 << 30;
    let Ok(start) = memory::sbrk(2800 * GIB) else {
        println!("attack: hoarder sbrk failed");
        process::exit(2)
    };
    let first = (start + GIB - 1) & !(GIB - 1);
    let mut touched = 0;
    while first + touched * GIB + 1 < start + 2800 * GIB && touched < 2790 {
        memory::touch(first + touched * GIB, 1);
        touched += 1;
    }
    println!(
        "attack: hoarder touched {touched} pages; {:?}; {:?}",
        memory::vmstats(),
        memory::meminfo()
    );
    loop {
        let _ = time::sleep_ms(1000);
    }
}

/// A process that holds most of memory in page tables, then a hog: whom
/// does the out-of-memory rule kill?
fn page_table_hoarder() -> ! {
    let hoarder = match process::fork() {
        Ok(0) => hoard_page_tables(),
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    let _ = time::sleep_ms(1500);
    let hog = match process::spawn("attack", &["hog", "48"]) {
        Ok(pid) => pid,
        Err(_) => process::exit(3),
    };
    let status = process::wait_for(hog);
    println!("attack: hog {hog} -> {status:?}");
    let _ = signal::kill(hoarder, Signal::SIGKILL);
    let hoarder_status = process::wait_for(hoarder);
    println!("attack: hoarder {hoarder} -> {hoarder_status:?}");
    process::exit(0)
}

/// Fills memory with shared pages down to 400 free frames, then walks
/// 1,024 private heap pages (more than fit), two at a time, forever; with
/// `minor_every`, every so many steps it also grows the heap by a page,
/// touches it (a zero-fill fault, no disk) and shrinks it back.
fn thrasher(minor_every: Option<u64>) -> ! {
    let Ok(shared) = map_shared(60 << 20) else {
        process::exit(2)
    };
    const HEAP_PAGES: u64 = 1024;
    let Ok(heap) = memory::sbrk(HEAP_PAGES * PAGE) else {
        process::exit(2)
    };
    let mut page = 0;
    while page < (60 << 20) / PAGE {
        if page % 16 == 0 && memory::meminfo().free_frames < 400 {
            break;
        }
        // SAFETY: a page of our own shared region.
        unsafe { core::ptr::write_volatile((shared + page * PAGE) as *mut u8, 1) };
        page += 1;
    }
    println!("attack: thrasher holds {page} shared pages; now walking {HEAP_PAGES} heap pages");
    let end = heap + HEAP_PAGES * PAGE;
    let mut steps = 0u64;
    let mut round = 0u64;
    loop {
        for index in 0..HEAP_PAGES - 1 {
            let from = heap + index * PAGE + (round % 512) * 8;
            // SAFETY: both addresses lie in the heap grown above.
            unsafe {
                let value = core::ptr::read_volatile(from as *const u64);
                core::ptr::write_volatile((from + PAGE) as *mut u64, value.wrapping_add(1));
            }
            steps += 1;
            if let Some(every) = minor_every
                && steps.is_multiple_of(every)
                && memory::brk(end + PAGE).is_ok()
            {
                memory::touch(end, 1);
                let _ = memory::brk(end);
            }
        }
        round += 1;
    }
}

/// Runs a thrasher for at most 10 s: was it killed, and when?
fn thrash_for_a_while(minor_every: Option<u64>) -> ! {
    let started = time::clock_ns();
    let child = match process::fork() {
        Ok(0) => thrasher(minor_every),
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    let ended = loop {
        match process::try_wait_for(child) {
            Ok(Some(status)) => break Some(status),
            Ok(None) if time::clock_ns() - started > 10_000_000_000 => break None,
            _ => {
                let _ = time::sleep_ms(50);
            }
        }
    };
    let stats = memory::vmstats();
    let _ = stats;
    match ended {
        Some(status) => {
            println!(
                "attack: thrasher {status:?} after {} ms",
                (time::clock_ns() - started) / 1_000_000
            );
            process::exit(0)
        }
        None => {
            let _ = signal::kill(child, Signal::SIGKILL);
            let _ = process::wait_for(child);
            println!("attack: thrasher still paging after 10 s; killed by us");
            process::exit(1)
        }
    }
}

fn thrash_plain() -> ! {
    thrash_for_a_while(None)
}

fn thrash_with_minor_faults() -> ! {
    thrash_for_a_while(Some(1000))
}

/// Touches `mib` MiB of a new shared region (never paged out) and a
/// little heap.
fn touch_shared_and_heap(mib: u64) {
    let bytes = mib << 20;
    if let Ok(start) = map_shared(bytes) {
        let mut page = 0;
        while page * PAGE < bytes {
            // SAFETY: pages of our own shared region.
            unsafe { core::ptr::write_volatile((start + page * PAGE) as *mut u8, 1) };
            page += 1;
        }
    }
    if let Ok(start) = memory::sbrk(64 * PAGE) {
        for page in 0..64 {
            memory::touch(start + page * PAGE, 1);
        }
    }
}

/// Processes holding memory in states the out-of-memory rule must handle:
/// blocked in `semop` on the IPC service, stopped (SIGSTOP), blocked in
/// `sendrec` behind others, and with pages in swap; then hogs run memory
/// out until every one of them is gone. Nothing may leak.
fn oom_victims_in_odd_states() -> ! {
    use userlib::sem::{self, SemOp};
    let Ok(id) = sem::semget(sem::IPC_PRIVATE, 1, 0) else {
        process::exit(2)
    };
    let mut holders = alloc::vec::Vec::new();
    for (index, mib) in [12u64, 11, 10, 9].into_iter().enumerate() {
        match process::fork() {
            Ok(0) => {
                touch_shared_and_heap(mib);
                match index {
                    0 | 1 => {
                        let _ = sem::semop(
                            id,
                            &[SemOp {
                                num: 0,
                                op: -1,
                                flags: 0,
                            }],
                        );
                    }
                    2 => {
                        let _ = signal::kill(process::getpid(), Signal::SIGSTOP);
                    }
                    _ => {}
                }
                loop {
                    let _ = time::sleep_ms(1000);
                }
            }
            Ok(pid) => holders.push(pid),
            Err(_) => process::exit(2),
        }
    }
    let _ = time::sleep_ms(500);
    let mut hogs = alloc::vec::Vec::new();
    for _ in 0..2 {
        if let Ok(pid) = process::spawn("attack", &["hog", "30"]) {
            hogs.push(pid);
        }
    }
    for pid in hogs {
        let status = process::wait_for(pid);
        println!("attack: hog {pid} -> {status:?}");
    }
    for pid in holders {
        let _ = signal::kill(pid, Signal::SIGKILL);
        let status = process::wait_for(pid);
        println!("attack: holder {pid} -> {status:?}");
    }
    let _ = sem::semctl(id, 0, sem::IPC_RMID, 0);
    process::exit(0)
}

static CAUGHT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

extern "C" fn count(_signal: u64) {
    CAUGHT.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
}

/// Forty children send SIGUSR1 and SIGUSR2 (caught) and SIGCONT to us as
/// fast as they can, 200 each, while we fork and compute; then all must
/// end and every event be acked (the boot test checks the subscribers).
fn signal_storm() -> ! {
    let _ = signal::catch(Signal::SIGUSR1, count);
    let _ = signal::catch(Signal::SIGUSR2, count);
    let me = process::getpid();
    let mut children = alloc::vec::Vec::new();
    for _ in 0..40 {
        match process::fork() {
            Ok(0) => {
                for round in 0..200 {
                    let signal = match round % 3 {
                        0 => Signal::SIGUSR1,
                        1 => Signal::SIGUSR2,
                        _ => Signal::SIGCONT,
                    };
                    let _ = signal::kill(me, signal);
                }
                process::exit(0)
            }
            Ok(pid) => children.push(pid),
            Err(_) => break,
        }
    }
    let mut forks = 0;
    for _ in 0..20 {
        if let Ok(0) = process::fork() {
            process::exit(7)
        }
        forks += 1;
    }
    let mut ended = 0;
    let mut interrupted = 0;
    loop {
        match process::wait_any() {
            Ok(_) => ended += 1,
            Err(kernel_abi::Errno::EINTR) => interrupted += 1,
            Err(_) => break,
        }
    }
    println!("attack: storm: wait interrupted {interrupted} times");
    println!(
        "attack: storm: {ended} children ended ({forks} forks), {} handlers ran",
        CAUGHT.load(core::sync::atomic::Ordering::Relaxed)
    );
    process::exit(0)
}

/// Messages the IPC service must not act on: `reply` to the service,
/// `send` and `asend` of a forged PM event (an EXIT for a waiter), and
/// a semop by `send` then a `receive`; then a real waiter must still be
/// served.
fn replies_and_forged_events_to_ipc() -> ! {
    use kernel_abi::ipc::Message;
    use userlib::sem::{self, SemOp};
    let Ok(ipc_pid) = sem::service_endpoint() else {
        process::exit(2)
    };
    let Ok(id) = sem::semget(sem::IPC_PRIVATE, 1, 0) else {
        process::exit(2)
    };
    let waiter = match process::fork() {
        Ok(0) => {
            let got = sem::semop(
                id,
                &[SemOp {
                    num: 0,
                    op: -1,
                    flags: 0,
                }],
            );
            process::exit(if got.is_ok() { 0 } else { 3 })
        }
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    let _ = time::sleep_ms(100);
    // A forged EXIT event for the waiter (PROC_EVENT kind, EXIT bit).
    let forged = Message::new(
        kernel_abi::ipc::PROC_EVENT,
        [u64::from(waiter), 1, 999, 0, 0, 0],
    );
    let r1 = userlib::ipc::reply(ipc_pid, &forged);
    let r2 = userlib::ipc::asend(ipc_pid, &forged);
    let post = sem::semop_request(
        id,
        &[SemOp {
            num: 0,
            op: 1,
            flags: 0,
        }],
    );
    let r3 = post.map(|request| userlib::ipc::reply(ipc_pid, &request));
    let _ = time::sleep_ms(100);
    let real = sem::semop(
        id,
        &[SemOp {
            num: 0,
            op: 1,
            flags: 0,
        }],
    );
    let status = process::wait_for(waiter);
    let _ = sem::semctl(id, 0, sem::IPC_RMID, 0);
    println!(
        "attack: reply {r1:?}, asend {r2:?}, reply-semop {r3:?}, real post {real:?}, waiter {status:?}"
    );
    process::exit(match status {
        Ok(process::ExitStatus::Exited(0)) => 0,
        _ => 1,
    })
}

/// Takes kernel heap, not frames: 300 untouched one-page shared regions,
/// then forks (copying the region map each time) until ENOMEM; the
/// children sleep until we are gone.
fn hoard_kernel_heap() -> ! {
    let mut regions = 0;
    for _ in 0..300 {
        if map_shared(PAGE).is_ok() {
            regions += 1;
        }
    }
    let me = process::getpid();
    let mut forks = 0;
    let error = loop {
        match process::fork() {
            Ok(0) => sleep_until_orphaned(me),
            Ok(_) => forks += 1,
            Err(error) => break error,
        }
    };
    println!("attack: heap hoarder: {regions} regions, {forks} forks, then {error:?}");
    loop {
        let _ = time::sleep_ms(1000);
    }
}

/// The kernel heap runs out (a family of processes holds it in region
/// maps), then a process faults in fresh pages (each needs a page record):
/// whom does the out-of-memory rule take?
fn kernel_heap_hoarders() -> ! {
    let bystander = match process::fork() {
        Ok(0) => {
            touch_shared_and_heap(8);
            loop {
                let _ = time::sleep_ms(1000);
            }
        }
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    let hoarder = match process::fork() {
        Ok(0) => hoard_kernel_heap(),
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    let _ = time::sleep_ms(3000);
    let faulter = match process::spawn("attack", &["hog", "16"]) {
        Ok(pid) => pid,
        Err(error) => {
            println!("attack: spawn of the faulter failed: {error:?}");
            0
        }
    };
    if faulter != 0 {
        let status = process::wait_for(faulter);
        println!("attack: faulter {faulter} -> {status:?}");
    }
    let _ = signal::kill(hoarder, Signal::SIGKILL);
    let hoarder_status = process::wait_for(hoarder);
    let _ = signal::kill(bystander, Signal::SIGKILL);
    let bystander_status = process::wait_for(bystander);
    println!(
        "attack: hoarder {hoarder} -> {hoarder_status:?}, bystander {bystander} -> {bystander_status:?}"
    );
    process::exit(0)
}

/// A semop waiter whose stack (with its reply buffer) may be paged out,
/// while a filler holds every frame an ordinary program may take; then a
/// post. The waiter must get the unit (the out-of-memory rule may take
/// the filler); does the reply instead fail for want of a frame?
fn semop_reply_needs_a_frame() -> ! {
    use userlib::sem::{self, SemOp};
    let Ok(id) = sem::semget(sem::IPC_PRIVATE, 1, 0) else {
        process::exit(2)
    };
    let waiter = match process::fork() {
        Ok(0) => {
            // Sixteen fresh heap pages become the pages faulted in last
            // (the pinned ones), so the stack page may be paged out.
            if let Ok(start) = memory::sbrk(16 * PAGE) {
                for page in 0..16 {
                    memory::touch(start + page * PAGE, 1);
                }
            }
            let got = sem::semop(
                id,
                &[SemOp {
                    num: 0,
                    op: -1,
                    flags: 0,
                }],
            );
            process::exit(match got {
                Ok(()) => 0,
                Err(kernel_abi::Errno::EDEADSRCDST) => 4,
                Err(_) => 3,
            })
        }
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    let _ = time::sleep_ms(100);
    let filler = match process::fork() {
        Ok(0) => fill_frames(),
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    while memory::meminfo().free_frames > 64 {
        if !matches!(process::try_wait_for(filler), Ok(None)) {
            let _ = signal::kill(waiter, Signal::SIGKILL);
            let _ = process::wait_for(waiter);
            println!("attack: the filler died early");
            process::exit(3)
        }
        let _ = time::sleep_ms(20);
    }
    let _ = time::sleep_ms(200);
    let ready = memory::meminfo();
    let post = sem::semop(
        id,
        &[SemOp {
            num: 0,
            op: 1,
            flags: 0,
        }],
    );
    let status = process::wait_for(waiter);
    let _ = signal::kill(filler, Signal::SIGKILL);
    let _ = process::wait_for(filler);
    let _ = sem::semctl(id, 0, sem::IPC_RMID, 0);
    println!("attack: posted {post:?} with {ready:?}; waiter {waiter} -> {status:?}");
    process::exit(match status {
        Ok(process::ExitStatus::Exited(0)) => 0,
        _ => 1,
    })
}

/// Runs after a forged `sigreturn` whose RFLAGS asked for everything
/// (IOPL 3, NT, AC, VM, RF, ...): `cli` is #GP unless IOPL 3 got through.
extern "C" fn after_forged_rflags() -> ! {
    // SAFETY: `cli` in ring 3 faults unless IOPL is 3.
    unsafe { core::arch::asm!("cli") };
    process::exit(100)
}

/// Builds a signal frame with `registers` and a clean x87/SSE state and
/// returns into it.
fn forged_return(registers: kernel_abi::signal::SavedRegisters) -> ! {
    use kernel_abi::signal::{
        FpuState, SIGNAL_FRAME_FPU_OFFSET, SIGNAL_FRAME_MAGIC, SavedRegisters,
    };
    let mut frame = Forged([0; 1024]);
    let head: [u64; 4] = [0, 10, 0, SIGNAL_FRAME_MAGIC];
    let base = frame.0.as_mut_ptr();
    // SAFETY: the buffer holds the header, the registers and the state.
    unsafe {
        core::ptr::copy_nonoverlapping(head.as_ptr() as *const u8, base, 32);
        core::ptr::write_unaligned(base.add(32) as *mut SavedRegisters, registers);
        core::ptr::copy_nonoverlapping(
            FpuState::INITIAL.bytes.as_ptr(),
            base.add(SIGNAL_FRAME_FPU_OFFSET),
            512,
        );
    }
    userlib::raw::sigreturn_at(base as u64 + 8)
}

fn forged_rflags_all_ones() -> ! {
    let mut stack = [0u64; 512];
    forged_return(kernel_abi::signal::SavedRegisters {
        rip: after_forged_rflags as *const () as u64,
        rsp: (stack.as_mut_ptr() as u64 + 2048) & !15,
        rflags: u64::MAX,
        ..Default::default()
    })
}

/// RIP at the last byte of the lower canonical half (the highest value
/// `sigreturn` accepts): the fetch faults in ring 3.
fn forged_rip_last_canonical_byte() -> ! {
    let mut stack = [0u64; 512];
    forged_return(kernel_abi::signal::SavedRegisters {
        rip: 0x0000_7fff_ffff_ffff,
        rsp: (stack.as_mut_ptr() as u64 + 2048) & !15,
        rflags: 0x202,
        ..Default::default()
    })
}

static ONE_SHOT_RAN: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

extern "C" fn one_shot(_signal: u64) {
    ONE_SHOT_RAN.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    let _ = signal::default(Signal::SIGTERM);
}

/// Init with a one-shot SIGTERM handler (it restores the default action,
/// a common pattern); an ordinary child sends SIGTERM twice in a row.
fn init_one_shot_handler() {
    println!("attack: start init-one-shot-handler");
    let _ = signal::catch(Signal::SIGTERM, one_shot);
    let me = process::getpid();
    let child = match process::fork() {
        Ok(0) => {
            let first = signal::kill(me, Signal::SIGTERM);
            let second = signal::kill(me, Signal::SIGTERM);
            process::exit(if first.is_ok() && second.is_ok() {
                0
            } else {
                1
            })
        }
        Ok(child) => child,
        Err(_) => return,
    };
    let sent = loop {
        match process::wait_for(child) {
            Err(kernel_abi::Errno::EINTR) => continue,
            other => break other,
        }
    };
    let _ = time::sleep_ms(100);
    println!(
        "attack: init-one-shot-handler -> init runs on (child {sent:?}, handler ran {} times)",
        ONE_SHOT_RAN.load(core::sync::atomic::Ordering::Relaxed)
    );
}

/// A forged frame shaped for the `sysretq` exit: RCX equal to RIP, R11
/// to the RFLAGS `sigreturn` would keep (0x202).
fn sysret_shaped(rip: u64, rflags: u64, r11: u64) -> ! {
    let mut stack = [0u64; 512];
    forged_return(kernel_abi::signal::SavedRegisters {
        rip,
        rcx: rip,
        r11,
        rsp: (stack.as_mut_ptr() as u64 + 2048) & !15,
        rflags,
        ..Default::default()
    })
}

/// RIP just past the lower canonical half: `sigreturn` must refuse it
/// (on Intel CPUs `sysretq` there is a #GP in ring 0).
fn sysret_shaped_noncanonical_rip() -> ! {
    sysret_shaped(0x0000_8000_0000_0000, 0x202, 0x202)
}

/// RIP in the kernel half: refused.
fn sysret_shaped_kernel_rip() -> ! {
    sysret_shaped(0xffff_8000_0000_0000, 0x202, 0x202)
}

/// RIP 16 bytes below the top of user space (canonical, unmapped): the
/// fetch faults in ring 3.
fn sysret_shaped_rip_top_of_user() -> ! {
    sysret_shaped(0x0000_7fff_ffff_fff0, 0x202, 0x202)
}

extern "C" fn after_forged_tf() -> ! {
    process::exit(100)
}

/// TF asked for: `sigreturn` drops it (`USER_SETTABLE_RFLAGS`), so the
/// code after the return runs without a single step, through `iretq` (R11
/// kept TF) or `sysretq` (R11 without it).
fn sysret_shaped_tf() -> ! {
    match process::fork() {
        Ok(0) => sysret_shaped(after_forged_tf as *const () as u64, 0x302, 0x202),
        Ok(child) => {
            if process::wait_for(child) != Ok(process::ExitStatus::Exited(100)) {
                process::exit(1)
            }
        }
        Err(_) => process::exit(2),
    }
    sysret_shaped(after_forged_tf as *const () as u64, 0x302, 0x302)
}

/// IOPL 3, NT, AC and VM asked for, R11 the value `sigreturn` keeps, so
/// the exit is `sysretq`: `cli` must still be a #GP (SIGSEGV).
fn sysret_shaped_iopl_nt_ac_vm() -> ! {
    sysret_shaped(
        after_forged_rflags as *const () as u64,
        0x3202 | (1 << 14) | (1 << 17) | (1 << 18),
        0x202,
    )
}

fn sigaction_raw(signal: u64, handler: u64, restorer: u64) -> Result<u64, kernel_abi::Errno> {
    let action = kernel_abi::signal::SigAction {
        handler,
        restorer,
        mask: 0,
    };
    // SAFETY: a live SigAction for the kernel to read; no old pointer.
    userlib::raw::check(unsafe {
        userlib::raw::syscall(
            Syscall::SigAction,
            [
                signal,
                &action as *const kernel_abi::signal::SigAction as u64,
                0,
                0,
                0,
                0,
            ],
        )
    })
}

/// Handlers and restorers outside the lower canonical half: EINVAL, and a
/// signal then takes its default action.
fn sigaction_noncanonical_handler() -> ! {
    let usr1 = u64::from(Signal::SIGUSR1.number());
    let good = noop as *const () as u64;
    let mut failed = 0;
    for (bit, (handler, restorer)) in [
        (0x0000_8000_0000_0000, good),
        (0xffff_8000_0000_0000, good),
        (0x0000_7fff_ffff_ffff + 1, good),
        (good, 0x0000_8000_0000_0000),
        (good, 0xffff_ffff_ffff_f000),
    ]
    .into_iter()
    .enumerate()
    {
        if sigaction_raw(usr1, handler, restorer) != Err(kernel_abi::Errno::EINVAL) {
            failed |= 1 << bit;
        }
    }
    if failed != 0 {
        process::exit(failed)
    }
    // The default action of SIGUSR1 ends us: Killed(10).
    let _ = signal::kill(process::getpid(), Signal::SIGUSR1);
    process::exit(100)
}

/// `meminfo` (the kernel writes 40 bytes) into `address`.
fn meminfo_at(address: u64) -> Result<u64, kernel_abi::Errno> {
    // SAFETY: the kernel checks the pointer; a bad one is EFAULT.
    userlib::raw::check(unsafe {
        userlib::raw::syscall(Syscall::MemInfo, [address, 0, 0, 0, 0, 0])
    })
}

/// A system call that writes (`meminfo`, `sigprocmask`'s old mask) into
/// the program's own code: EFAULT, the code unchanged, the program runs
/// on (read-only pages of the page cache are never written).
fn syscall_writes_into_own_text() -> ! {
    let text = meminfo_at as *const () as u64;
    // SAFETY: reads our own code.
    let before = unsafe { core::ptr::read_volatile(text as *const [u64; 5]) };
    let mut failed = 0;
    if meminfo_at(text) != Err(kernel_abi::Errno::EFAULT) {
        failed |= 1;
    }
    // Page-aligned, and the last bytes of the page (straddling the next).
    if meminfo_at(text & !(PAGE - 1)) != Err(kernel_abi::Errno::EFAULT) {
        failed |= 2;
    }
    if meminfo_at((text & !(PAGE - 1)) + PAGE - 8) != Err(kernel_abi::Errno::EFAULT) {
        failed |= 4;
    }
    let old_mask = userlib::raw::syscall_plain(
        Syscall::SigProcMask,
        [kernel_abi::signal::SIG_BLOCK, 0, text, 0, 0, 0],
    );
    if userlib::raw::check(old_mask) != Err(kernel_abi::Errno::EFAULT) {
        failed |= 8;
    }
    // SAFETY: as above.
    let after = unsafe { core::ptr::read_volatile(text as *const [u64; 5]) };
    if before != after {
        failed |= 16;
    }
    // A second process running the same program sees its code intact.
    match process::fork() {
        Ok(0) => {
            // SAFETY: as above, in the child.
            let seen = unsafe { core::ptr::read_volatile(text as *const [u64; 5]) };
            process::exit(if seen == before { 0 } else { 1 })
        }
        Ok(child) => {
            if process::wait_for(child) != Ok(process::ExitStatus::Exited(0)) {
                failed |= 32;
            }
        }
        Err(_) => failed |= 64,
    }
    process::exit(failed)
}

/// Kernel writes of 40 bytes that start in a writable page and end
/// outside anything writable: past the heap's end (no region), at the top
/// of user space, into the stack's guard gap, with a length that wraps,
/// and at kernel addresses. Each is EFAULT (no kernel fault); a write
/// that ends exactly at the end of the page works.
fn syscall_write_straddles() -> ! {
    let mut failed = 0;
    let end = memory::heap_end();
    let aligned = (end + PAGE - 1) & !(PAGE - 1);
    if memory::brk(aligned).is_err() || memory::sbrk(PAGE).is_err() {
        process::exit(64)
    }
    let top = aligned + PAGE;
    memory::touch(top - 1, 1);
    for (bit, address) in [
        top - 8,
        top - 39,
        0x0000_7fff_ffff_fff8,
        0x0000_7fff_ffff_ffd8 + 1,
        vm_stack_guard_top() - 8,
        u64::MAX - 7,
        0xffff_8000_0000_0000,
        0xffff_ffff_8000_0000,
        0x0000_8000_0000_0000 - 16,
    ]
    .into_iter()
    .enumerate()
    {
        if meminfo_at(address) != Err(kernel_abi::Errno::EFAULT) {
            failed |= 1 << bit;
        }
    }
    // Exactly at the end of the page: fits, works.
    if meminfo_at(top - 40).is_err() {
        failed |= 1 << 10;
    }
    process::exit(failed)
}

/// The top of the stack's guard gap (the lowest stack page starts here).
fn vm_stack_guard_top() -> u64 {
    kernel_abi::USER_STACK_TOP - kernel_abi::USER_STACK_SIZE
}

const MARK: u64 = 0x5a5a_5a5a_5a5a_5a5a;

/// A page of ours, shared copy-on-write after a fork: the child has the
/// kernel write into it (`meminfo`) and writes it itself; the parent's
/// copy must keep its bytes (the write breaks the sharing first), and the
/// child must see its own write.
fn syscall_write_into_cow_page() -> ! {
    let Ok(start) = memory::sbrk(4 * PAGE) else {
        process::exit(64)
    };
    let page = (start + PAGE) & !(PAGE - 1);
    // SAFETY: (every access below) words of our own heap pages.
    unsafe {
        for word in 0..16 {
            core::ptr::write_volatile((page as *mut u64).add(word), MARK);
        }
    }
    let child = match process::fork() {
        Ok(0) => {
            let wrote = meminfo_at(page + 8);
            // SAFETY: as above.
            let first = unsafe { core::ptr::read_volatile((page + 8) as *const u64) };
            // SAFETY: as above.
            unsafe { core::ptr::write_volatile((page + 64) as *mut u64, 1) };
            process::exit(if wrote.is_ok() && first != MARK { 0 } else { 1 })
        }
        Ok(child) => child,
        Err(_) => process::exit(65),
    };
    let status = process::wait_for(child);
    let mut failed = 0;
    if status != Ok(process::ExitStatus::Exited(0)) {
        failed |= 1;
    }
    for word in 0..16 {
        // SAFETY: as above.
        if unsafe { core::ptr::read_volatile((page as *const u64).add(word)) } != MARK {
            failed |= 2;
        }
    }
    // And the other way round: the parent writes (through the kernel) a
    // page the child still shares; the child must keep the mark.
    // SAFETY: as above.
    unsafe { core::ptr::write_volatile(page as *mut u64, MARK) };
    let child = match process::fork() {
        Ok(0) => {
            let _ = time::sleep_ms(100);
            // SAFETY: as above.
            let kept = unsafe { core::ptr::read_volatile((page + 16) as *const u64) };
            process::exit(if kept == MARK { 0 } else { 1 })
        }
        Ok(child) => child,
        Err(_) => process::exit(66),
    };
    if meminfo_at(page + 16).is_err() {
        failed |= 4;
    }
    if process::wait_for(child) != Ok(process::ExitStatus::Exited(0)) {
        failed |= 8;
    }
    process::exit(failed)
}

/// A fresh, page-aligned heap run of `pages` pages; its first two are
/// touched in order, so the second is a sequential first touch and the
/// kernel maps pages ahead of it (fault-around).
fn heap_run_with_fault_around(pages: u64) -> u64 {
    let end = memory::heap_end();
    let aligned = (end + PAGE - 1) & !(PAGE - 1);
    if memory::brk(aligned + pages * PAGE).is_err() {
        process::exit(64)
    }
    // SAFETY: (the caller's accesses too) pages of our own heap.
    unsafe {
        core::ptr::write_volatile(aligned as *mut u8, 1);
        core::ptr::write_volatile((aligned + PAGE) as *mut u8, 1);
    }
    aligned
}

/// Whether the `count` pages from `first` read all zero.
fn pages_are_zero(first: u64, count: u64) -> bool {
    (0..count * PAGE / 8).all(|word| {
        // SAFETY: words of our own heap pages.
        unsafe { core::ptr::read_volatile((first as *const u64).add(word as usize)) == 0 }
    })
}

/// Right after a fault-around, fork: the child writes (directly and
/// through the kernel) pages mapped ahead, touched or not; the parent
/// must read them as zero; the pages mapped ahead read zero in both.
fn fault_around_then_fork() -> ! {
    let run = heap_run_with_fault_around(48);
    let mut failed = 0;
    if !pages_are_zero(run + 2 * PAGE, 2) {
        failed |= 1;
    }
    let child = match process::fork() {
        Ok(0) => {
            let mut bad = 0;
            if !pages_are_zero(run + 4 * PAGE, 28) {
                bad |= 1;
            }
            for page in 2..40 {
                // SAFETY: our heap (inherited).
                unsafe { core::ptr::write_volatile((run + page * PAGE + 8) as *mut u64, MARK) };
            }
            for page in [5, 17, 31, 33] {
                if meminfo_at(run + page * PAGE + 64).is_err() {
                    bad |= 2;
                }
            }
            process::exit(bad)
        }
        Ok(child) => child,
        Err(_) => process::exit(65),
    };
    match process::wait_for(child) {
        Ok(process::ExitStatus::Exited(0)) => {}
        _ => failed |= 2,
    }
    if !pages_are_zero(run + 2 * PAGE, 46) {
        failed |= 4;
    }
    process::exit(failed)
}

/// Fault-around, then write the pages mapped ahead, then shrink the break
/// below them: touching them must be SIGSEGV; grown back, they must read
/// zero (fresh pages, not the old frames); nothing leaks (the leak check).
fn fault_around_then_brk_shrink() -> ! {
    let run = heap_run_with_fault_around(40);
    for page in 2..40 {
        // SAFETY: our heap.
        unsafe { core::ptr::write_volatile((run + page * PAGE) as *mut u64, MARK) };
    }
    // A second run mapped ahead and left untouched, then the shrink.
    let _ = memory::brk(run + 2 * PAGE);
    let mut failed = 0;
    for page in [2u64, 3, 17, 33] {
        match process::fork() {
            Ok(0) => {
                // SAFETY: deliberately past the break: must fault.
                let value = unsafe { core::ptr::read_volatile((run + page * PAGE) as *const u64) };
                process::exit(if value == MARK { 1 } else { 2 })
            }
            Ok(child) => {
                if process::wait_for(child) != Ok(process::ExitStatus::Killed(11)) {
                    failed |= 1;
                }
            }
            Err(_) => process::exit(65),
        }
    }
    if memory::brk(run + 40 * PAGE).is_err() {
        process::exit(66)
    }
    if !pages_are_zero(run + 2 * PAGE, 38) {
        failed |= 2;
    }
    // Fault-around again, then shrink at once (pages mapped ahead, none
    // touched), and grow: zero again.
    let _ = memory::brk(run);
    let again = heap_run_with_fault_around(40);
    let _ = memory::brk(again + PAGE);
    if memory::brk(again + 40 * PAGE).is_err() || !pages_are_zero(again + PAGE, 39) {
        failed |= 4;
    }
    process::exit(failed)
}

/// A heap that ends three pages after a sequential run: nothing is mapped
/// past its end; a touch there is SIGSEGV.
fn fault_around_at_region_end() -> ! {
    let end = memory::heap_end();
    let aligned = (end + PAGE - 1) & !(PAGE - 1);
    if memory::brk(aligned + 4 * PAGE).is_err() {
        process::exit(64)
    }
    // SAFETY: our heap: the last page is a sequential first touch, with
    // nothing mapped ahead before it.
    unsafe {
        core::ptr::write_volatile((aligned + 2 * PAGE) as *mut u8, 1);
        core::ptr::write_volatile((aligned + 3 * PAGE) as *mut u8, 1);
    }
    // SAFETY: deliberately one page past the heap: must fault.
    let value = unsafe { core::ptr::read_volatile((aligned + 4 * PAGE) as *const u8) };
    process::exit(100 + i32::from(value))
}

/// A shared region, a child that shares it, and a heap grown to end right
/// where the region starts; a sequential first touch of the heap's last
/// page must not map pages of the shared region ahead (as private zero
/// pages of ours): what we then write there, the child must see.
fn fault_around_next_to_a_shared_region() -> ! {
    let Ok(shared) = map_shared(16 * PAGE) else {
        process::exit(64)
    };
    let me = process::getpid();
    let child = match process::fork() {
        Ok(0) => {
            for _ in 0..300 {
                // SAFETY: our shared region (inherited).
                if unsafe { core::ptr::read_volatile((shared + 8) as *const u64) } == MARK {
                    process::exit(0)
                }
                if process::getppid() != me {
                    break;
                }
                let _ = time::sleep_ms(10);
            }
            process::exit(1)
        }
        Ok(child) => child,
        Err(_) => process::exit(65),
    };
    if memory::brk(shared).is_err() {
        let _ = signal::kill(child, Signal::SIGKILL);
        process::exit(66)
    }
    // SAFETY: the last two pages of our heap, then the shared region.
    unsafe {
        core::ptr::write_volatile((shared - 2 * PAGE) as *mut u8, 1);
        core::ptr::write_volatile((shared - PAGE) as *mut u8, 1);
        core::ptr::write_volatile((shared + 8) as *mut u64, MARK);
    }
    let status = process::wait_for(child);
    process::exit(if status == Ok(process::ExitStatus::Exited(0)) {
        0
    } else {
        1
    })
}

/// A child that spins in ring 3 without a system call gets a signal sent
/// to it: its handler runs (it exits 0) within a second.
fn signal_to_ring_3_spinner() -> ! {
    let _ = signal::catch(Signal::SIGUSR1, exit_zero);
    let child = match process::fork() {
        Ok(0) => loop {
            core::hint::spin_loop();
        },
        Ok(child) => child,
        Err(_) => process::exit(65),
    };
    let _ = time::sleep_ms(200);
    let _ = signal::kill(child, Signal::SIGUSR1);
    for _ in 0..100 {
        if let Ok(Some(status)) = process::try_wait_for(child) {
            process::exit(if status == process::ExitStatus::Exited(0) {
                0
            } else {
                1
            })
        }
        let _ = time::sleep_ms(10);
    }
    let _ = signal::kill(child, Signal::SIGKILL);
    let _ = process::wait_for(child);
    process::exit(2)
}

static WAKE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

extern "C" fn wake(_signal: u64) {
    WAKE.store(1, core::sync::atomic::Ordering::Relaxed);
}

const HELD_PAGES: u64 = 256;

/// Holds 256 heap pages, each with a mark at its start and its index at
/// its end; sleeps (pageout takes the pages meanwhile) until SIGUSR1, then
/// has the kernel write 40 bytes into the middle of each page
/// (`meminfo`): each write must bring the page back from swap, and every
/// mark and index must be intact. Exits 0, or 3 if fewer than 64 pages
/// were out (the attack did not happen).
fn hold_pages_for_swap() -> ! {
    let end = memory::heap_end();
    let run = (end + PAGE - 1) & !(PAGE - 1);
    if memory::brk(run + HELD_PAGES * PAGE).is_err() {
        process::exit(64)
    }
    for page in 0..HELD_PAGES {
        let base = run + page * PAGE;
        // SAFETY: (every access in this function) words of our own heap.
        unsafe {
            core::ptr::write_volatile(base as *mut u64, MARK);
            core::ptr::write_volatile((base + PAGE - 8) as *mut u64, page);
        }
    }
    let before = memory::vmstats().vm_total;
    while WAKE.load(core::sync::atomic::Ordering::Relaxed) == 0 {
        let _ = time::sleep_ms(50);
    }
    let during = memory::vmstats().vm_total;
    let mut bad = 0;
    for page in 0..HELD_PAGES {
        let base = run + page * PAGE;
        if meminfo_at(base + PAGE / 2).is_err() {
            bad += 1;
        }
    }
    let after = memory::vmstats().vm_total;
    for page in 0..HELD_PAGES {
        let base = run + page * PAGE;
        // SAFETY: as above.
        let (mark, index, total) = unsafe {
            (
                core::ptr::read_volatile(base as *const u64),
                core::ptr::read_volatile((base + PAGE - 8) as *const u64),
                core::ptr::read_volatile((base + PAGE / 2 + 8) as *const u64),
            )
        };
        if mark != MARK || index != page || total == 0 {
            bad += 1;
        }
    }
    println!(
        "attack: holder resident {before} before, {during} after the filler, {after} after the kernel's writes; {bad} bad pages"
    );
    process::exit(if bad != 0 {
        1
    } else if before < during + 64 {
        3
    } else {
        0
    })
}

/// A process's heap pages go to swap (a filler takes memory, then dies);
/// the kernel then writes into each of them for a system call: the page
/// comes back with its contents and takes the write.
fn syscall_write_into_swapped_pages() -> ! {
    let _ = signal::catch(Signal::SIGUSR1, wake);
    let holder = match process::fork() {
        Ok(0) => hold_pages_for_swap(),
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    let _ = time::sleep_ms(300);
    let filler = match process::fork() {
        Ok(0) => fill_frames(),
        Ok(pid) => pid,
        Err(_) => process::exit(2),
    };
    while memory::meminfo().free_frames > 64 {
        if !matches!(process::try_wait_for(filler), Ok(None)) {
            break;
        }
        let _ = time::sleep_ms(20);
    }
    let _ = time::sleep_ms(200);
    let _ = signal::kill(filler, Signal::SIGKILL);
    let _ = process::wait_for(filler);
    let swapped = memory::meminfo().swap_used;
    let _ = signal::kill(holder, Signal::SIGUSR1);
    let status = process::wait_for(holder);
    println!("attack: {swapped} swap slots in use after the filler; holder -> {status:?}");
    process::exit(match status {
        Ok(process::ExitStatus::Exited(0)) => 0,
        Ok(process::ExitStatus::Exited(code)) => 10 + code as i32,
        _ => 1,
    })
}

/// A `sendrec` to the IPC service whose message buffer (replaced by the
/// reply, which the kernel copies in while the service runs) lies in heap
/// pages shared copy-on-write with the parent, written before the fork
/// and not touched by the child since: inside one page, and across two.
/// The child finds the reply there; the parent's pages keep their bytes.
fn ipc_reply_into_cow_pages() -> ! {
    use kernel_abi::ipc::Message;
    use userlib::{ipc, sem};
    let Ok(service) = sem::service_endpoint() else {
        process::exit(64)
    };
    let end = memory::heap_end();
    let run = (end + PAGE - 1) & !(PAGE - 1);
    if memory::brk(run + 2 * PAGE).is_err() {
        process::exit(65)
    }
    let buffers = [run + 64, run + PAGE - 32];
    for word in 0..2 * PAGE / 8 {
        // SAFETY: (every access in this function) our own heap pages.
        unsafe { core::ptr::write_volatile((run as *mut u64).add(word as usize), MARK) };
    }
    for address in buffers {
        let request = Message::new(sem::SEMGET, [0, 1, 0o600, 0, 0, 0]);
        // SAFETY: as above; 8-byte aligned, 72 bytes in our heap.
        unsafe { core::ptr::write_volatile(address as *mut Message, request) };
    }
    let mut before = [0u64; 2 * PAGE as usize / 8];
    for (word, slot) in before.iter_mut().enumerate() {
        // SAFETY: as above.
        *slot = unsafe { core::ptr::read_volatile((run as *const u64).add(word)) };
    }
    let child = match process::fork() {
        Ok(0) => {
            let mut bad = 0;
            for (bit, address) in buffers.into_iter().enumerate() {
                // SAFETY: as above: the request written before the fork.
                let message = unsafe { &mut *(address as *mut Message) };
                let sent = ipc::sendrec(service, message);
                // SAFETY: as above.
                let reply = unsafe { core::ptr::read_volatile(address as *const Message) };
                match (sent, ipc::reply_result(&reply)) {
                    (Ok(()), Ok(id)) if reply.source == service => {
                        let _ = sem::semctl(id, 0, sem::IPC_RMID, 0);
                    }
                    _ => bad |= 1 << bit,
                }
            }
            process::exit(bad)
        }
        Ok(child) => child,
        Err(_) => process::exit(66),
    };
    let mut failed = match process::wait_for(child) {
        Ok(process::ExitStatus::Exited(0)) => 0,
        _ => 1,
    };
    for (word, expected) in before.iter().enumerate() {
        // SAFETY: as above.
        if unsafe { core::ptr::read_volatile((run as *const u64).add(word)) } != *expected {
            failed |= 2;
        }
    }
    process::exit(failed)
}

/// The heap grown to the stack's guard gap (as far as it may go), its last
/// two pages touched in order (the second a sequential first touch): the
/// guard gap gets nothing mapped ahead, so a touch of its first page is
/// SIGSEGV. (A grandchild touches the gap's last page first: SIGSEGV too.)
fn fault_around_at_the_stack_guard() -> ! {
    let guard =
        kernel_abi::USER_STACK_TOP - kernel_abi::USER_STACK_SIZE - kernel_abi::USER_STACK_GUARD;
    if memory::brk(guard).is_err() {
        process::exit(64)
    }
    if memory::brk(guard + PAGE).is_ok() {
        // The heap may not reach into the gap.
        process::exit(65)
    }
    // SAFETY: the last two pages of our heap.
    unsafe {
        core::ptr::write_volatile((guard - 2 * PAGE) as *mut u8, 1);
        core::ptr::write_volatile((guard - PAGE) as *mut u8, 1);
    }
    match process::fork() {
        Ok(0) => {
            // SAFETY: deliberately the guard gap's last page: must fault.
            let value = unsafe {
                core::ptr::read_volatile((guard + kernel_abi::USER_STACK_GUARD - 8) as *const u8)
            };
            process::exit(100 + i32::from(value))
        }
        Ok(child) => {
            if process::wait_for(child) != Ok(process::ExitStatus::Killed(11)) {
                process::exit(66)
            }
        }
        Err(_) => process::exit(67),
    }
    // SAFETY: deliberately the guard gap's first page: must fault.
    let value = unsafe { core::ptr::read_volatile(guard as *const u8) };
    process::exit(100 + i32::from(value))
}

/// A child counts in a shared page, spinning in ring 3 without a system
/// call: SIGSTOP stops the count, SIGCONT resumes it, SIGKILL ends it, each
/// within 300 ms.
fn stop_and_continue_a_ring_3_spinner() -> ! {
    let Ok(counter) = map_shared(PAGE) else {
        process::exit(64)
    };
    let count = || {
        // SAFETY: our shared region's first word (the child's counter).
        unsafe { core::ptr::read_volatile(counter as *const u64) }
    };
    let child = match process::fork() {
        Ok(0) => {
            let mut value = 0u64;
            loop {
                value += 1;
                // SAFETY: as above, inherited by fork.
                unsafe { core::ptr::write_volatile(counter as *mut u64, value) };
            }
        }
        Ok(child) => child,
        Err(_) => process::exit(65),
    };
    let _ = time::sleep_ms(200);
    let mut failed = 0;
    if count() == 0 {
        failed |= 1;
    }
    let _ = signal::kill(child, Signal::SIGSTOP);
    let _ = time::sleep_ms(300);
    let stopped = count();
    let _ = time::sleep_ms(300);
    if count() != stopped {
        failed |= 2;
    }
    let _ = signal::kill(child, Signal::SIGCONT);
    let _ = time::sleep_ms(300);
    if count() == stopped {
        failed |= 4;
    }
    let _ = signal::kill(child, Signal::SIGKILL);
    let mut ended = None;
    for _ in 0..30 {
        if let Ok(Some(status)) = process::try_wait_for(child) {
            ended = Some(status);
            break;
        }
        let _ = time::sleep_ms(10);
    }
    if ended != Some(process::ExitStatus::Killed(9)) {
        failed |= 8;
        let _ = process::wait_for(child);
    }
    process::exit(failed)
}
