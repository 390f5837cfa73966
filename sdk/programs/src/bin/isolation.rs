//! The hardening boot test's driver (init of the `hardening` image): runs
//! `badcalls` and the `stackbomb` variants, then attacks the isolation the
//! kernel promises, each attack in a child of its own, and checks how the
//! child ended through `wait`:
//!
//! - kernel memory: reads, writes and jumps into the kernel half (direct
//!   map, image, kernel stacks), non-canonical addresses and the low
//!   physical memory the boot code identity-mapped: SIGSEGV;
//! - privileged instructions (`cli`, `hlt`, port I/O to the QEMU exit port
//!   and the serial port, control registers, MSRs) and software interrupts
//!   into kernel vectors (timer, page fault, 0x80): SIGSEGV;
//! - other address spaces: a program spawned by us cannot see our heap, our
//!   shared region or the value in our data at the same address, neither by
//!   reading nor through a system call (EFAULT);
//! - message rights: an ordinary program may not message another ordinary
//!   program (EPERM, every call), while a system service answers it; a
//!   program spawned under a service's name is not a service; the kernel
//!   stamps every message's sender, so a forged `source` (the PM's, a pid
//!   nobody has)
//!   reaches the service as our own pid.
//!
//! - `fputest` (x87/SSE state per process) and `traps` (breakpoints,
//!   UMIP, and signals to init, which is us) must pass all their checks.
//!
//! Subscribing to or acking process events as an ordinary program is
//! `pubtest`'s `subscribe-permissions` check (pubsub image); `badcalls`
//! adds unsubscribe and the acks through `send` and `sendrec`. Fork
//! privacy is `proctest`'s `fork-memory-is-private`.
//!
//! Prints `isolation: ok <name>` or `isolation: FAIL <name>: <why>` per
//! check and `isolation: N checks, M failed`, and exits with the number of
//! failures (0 powers the machine off cleanly).
//!
//! Run as `isolation peek ADDRESS` it is the spawned reader: it first asks
//! the kernel to read ADDRESS (`write`), then reads it itself.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel_abi::ipc::{Message, PM};
use kernel_abi::{Errno, Syscall};
use userlib::process::{self, ExitStatus};
use userlib::verdict::Tally;
use userlib::{Signal, ipc, memory, println, signal};

userlib::entry!(run);

/// What the parent puts where a reader must not find it.
const MAGIC: u64 = 0x5EC2_E7C0_FFEE_1234;
/// The value `SECRET` starts with in every new process.
const SECRET_INITIAL: u64 = 0x1111_2222_3333_4444;
/// Written by the parent at run time; a spawned copy of this program has
/// its own at the same address.
static SECRET: AtomicU64 = AtomicU64::new(SECRET_INITIAL);

/// `echo`'s request for the source it received.
const ECHO_WHO: u64 = 0x301;

const SIGKILL: u64 = 9;
const SIGSEGV: u64 = 11;

/// Checks that a process ended as `expect`.
fn ended(tally: &mut Tally, name: &str, status: Result<ExitStatus, Errno>, expect: ExitStatus) {
    tally.check(
        name,
        status == Ok(expect),
        format_args!("{status:?}, expected {expect:?}"),
    );
}

fn run(args: userlib::Args) -> i32 {
    if args.get(1) == Some("peek") {
        return peek(args.get(2).unwrap_or(""));
    }
    let mut tally = Tally::new("isolation");
    let badcalls = spawn_and_wait("badcalls", &[]);
    ended(
        &mut tally,
        "badcalls-all-passed",
        badcalls,
        ExitStatus::Exited(0),
    );
    for mode in ["plain", "handler", "heap"] {
        let status = spawn_and_wait("stackbomb", &[mode]);
        ended(
            &mut tally,
            &format!("stack-overflow-{mode}"),
            status,
            ExitStatus::Killed(SIGSEGV),
        );
    }
    kernel_memory(&mut tally);
    privileged_instructions(&mut tally);
    address_spaces(&mut tally);
    message_rights(&mut tally);
    // x87/SSE state per process, and traps, UMIP and signals to init (us).
    for program in ["fputest", "traps"] {
        let status = spawn_and_wait(program, &[]);
        ended(
            &mut tally,
            &format!("{program}-all-passed"),
            status,
            ExitStatus::Exited(0),
        );
    }
    let after = spawn_and_wait("hello", &["after", "the", "attacks"]);
    ended(&mut tally, "system-survives", after, ExitStatus::Exited(0));
    tally.finish()
}

fn spawn_and_wait(program: &str, args: &[&str]) -> Result<ExitStatus, Errno> {
    process::wait_for(process::spawn(program, args)?)
}

/// Runs `attack` in a forked child; how did it end?
fn in_child(attack: fn() -> !) -> Result<ExitStatus, Errno> {
    match process::fork()? {
        0 => attack(),
        child => process::wait_for(child),
    }
}

/// Reads `address` (volatile, so the access really happens); exits 1 if
/// the read returned at all.
fn read_at(address: u64) -> ! {
    // SAFETY: none: this read must fault (the address is not ours).
    let value = unsafe { core::ptr::read_volatile(core::hint::black_box(address) as *const u64) };
    println!("isolation: read {value:#x} at {address:#x}");
    process::exit(1)
}

fn write_at(address: u64) -> ! {
    // SAFETY: none: this write must fault (the address is not ours).
    unsafe { core::ptr::write_volatile(core::hint::black_box(address) as *mut u64, 0xbad) };
    println!("isolation: wrote at {address:#x}");
    process::exit(1)
}

fn jump_to(address: u64) -> ! {
    // SAFETY: none: the jump must fault (no code of ours is there).
    unsafe {
        core::arch::asm!("jmp {target}", target = in(reg) core::hint::black_box(address), options(noreturn))
    }
}

const KERNEL_DIRECT: u64 = 0xFFFF_8000_0000_0000;
const KERNEL_DIRECT_1MIB: u64 = 0xFFFF_8000_0010_0000;
const KERNEL_IMAGE: u64 = 0xFFFF_FFFF_8000_0000;
const KERNEL_IMAGE_1MIB: u64 = 0xFFFF_FFFF_8010_0000;
const KERNEL_STACKS: u64 = 0xFFFF_FE00_0000_1000;
const NON_CANONICAL: u64 = 0x0000_8000_0000_0000;
const NON_CANONICAL_HIGH: u64 = 0x8000_0000_0000_0000;
/// Where QEMU's PVH loader puts the kernel in physical memory (identity
/// mapped by the boot tables).
const LOW_IDENTITY: u64 = 0x10_0000;

fn kernel_memory(tally: &mut Tally) {
    let attacks: [(&str, fn() -> !); 16] = [
        ("read-kernel-direct-map", || read_at(KERNEL_DIRECT)),
        ("read-kernel-direct-map-1MiB", || {
            read_at(KERNEL_DIRECT_1MIB)
        }),
        ("write-kernel-direct-map", || write_at(KERNEL_DIRECT_1MIB)),
        ("read-kernel-image", || read_at(KERNEL_IMAGE)),
        ("read-kernel-image-1MiB", || read_at(KERNEL_IMAGE_1MIB)),
        ("write-kernel-image", || write_at(KERNEL_IMAGE_1MIB)),
        ("jump-into-kernel-image", || jump_to(KERNEL_IMAGE_1MIB)),
        ("read-kernel-stacks", || read_at(KERNEL_STACKS)),
        ("write-kernel-stacks", || write_at(KERNEL_STACKS)),
        ("read-non-canonical", || read_at(NON_CANONICAL)),
        ("write-non-canonical", || write_at(NON_CANONICAL)),
        ("read-non-canonical-high", || read_at(NON_CANONICAL_HIGH)),
        ("jump-non-canonical", || jump_to(NON_CANONICAL)),
        ("read-low-identity-map", || read_at(LOW_IDENTITY)),
        ("write-low-identity-map", || write_at(LOW_IDENTITY)),
        ("read-page-zero", || read_at(0)),
    ];
    for (name, attack) in attacks {
        ended(tally, name, in_child(attack), ExitStatus::Killed(SIGSEGV));
    }
}

fn privileged_instructions(tally: &mut Tally) {
    // Each block runs an instruction ring 3 may not execute: it must raise
    // #GP (or #PF/#GP for the gates), which kills the child.
    let attacks: [(&str, fn() -> !); 12] = [
        ("cli", || {
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe { core::arch::asm!("cli") };
            process::exit(1)
        }),
        ("hlt", || {
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe { core::arch::asm!("hlt") };
            process::exit(1)
        }),
        ("out-qemu-exit-port", || {
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe { core::arch::asm!("out dx, al", in("dx") 0xf4u16, in("al") 0u8) };
            process::exit(1)
        }),
        ("in-serial-port", || {
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe { core::arch::asm!("in al, dx", in("dx") 0x3f8u16, out("al") _) };
            process::exit(1)
        }),
        ("read-cr3", || {
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe { core::arch::asm!("mov {0}, cr3", out(reg) _) };
            process::exit(1)
        }),
        ("write-cr3", || {
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe { core::arch::asm!("mov cr3, {0}", in(reg) 0u64) };
            process::exit(1)
        }),
        ("rdmsr-efer", || {
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe {
                core::arch::asm!("rdmsr", in("ecx") 0xC000_0080u32, out("eax") _, out("edx") _)
            };
            process::exit(1)
        }),
        ("wrmsr-lstar", || {
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe {
                core::arch::asm!("wrmsr", in("ecx") 0xC000_0082u32, in("eax") 0u32, in("edx") 0u32)
            };
            process::exit(1)
        }),
        ("lgdt", || {
            let table = [0u64; 2];
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe { core::arch::asm!("lgdt [{0}]", in(reg) &table) };
            process::exit(1)
        }),
        ("int-timer-vector", || {
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe { core::arch::asm!("int 0x20") };
            process::exit(1)
        }),
        ("int-page-fault-vector", || {
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe { core::arch::asm!("int 14") };
            process::exit(1)
        }),
        ("int-0x80", || {
            // SAFETY: the CPU refuses it in ring 3 and the child dies.
            unsafe { core::arch::asm!("int 0x80") };
            process::exit(1)
        }),
    ];
    for (name, attack) in attacks {
        ended(tally, name, in_child(attack), ExitStatus::Killed(SIGSEGV));
    }
}

/// The spawned reader: exit 3 if the kernel read `address` for us (write
/// succeeded), 1 if the read found [`MAGIC`], 0 if it found
/// [`SECRET_INITIAL`] (our own copy), 2 for anything else; dies of SIGSEGV
/// if nothing is mapped there.
fn peek(address: &str) -> i32 {
    let Some(address) = parse_hex(address) else {
        return 4;
    };
    // SAFETY: the kernel checks the pointer against our own regions.
    let through_kernel = unsafe { userlib::raw::syscall(Syscall::Write, [address, 8, 0, 0, 0, 0]) };
    let value_is_ours = address == SECRET.as_ptr() as u64;
    if through_kernel != Errno::EFAULT.as_return() && !value_is_ours {
        return 3;
    }
    // SAFETY: none: unless this is our own SECRET, the read must fault.
    let value = unsafe { core::ptr::read_volatile(address as *const u64) };
    match value {
        MAGIC => 1,
        SECRET_INITIAL => 0,
        _ => 2,
    }
}

fn parse_hex(text: &str) -> Option<u64> {
    u64::from_str_radix(text.strip_prefix("0x")?, 16).ok()
}

fn peek_from_new_process(address: u64) -> Result<ExitStatus, Errno> {
    let argument: String = format!("{address:#x}");
    spawn_and_wait("isolation", &["peek", &argument])
}

fn address_spaces(tally: &mut Tally) {
    // Our heap: a page well past where a new process's heap ends.
    let heap = memory::sbrk(2 * 1024 * 1024).map(|start| start + 1024 * 1024);
    match heap {
        Ok(address) => {
            // SAFETY: `address` is inside the heap just grown for this.
            unsafe { core::ptr::write_volatile(address as *mut u64, MAGIC) };
            let status = peek_from_new_process(address);
            ended(
                tally,
                "other-process-heap",
                status,
                ExitStatus::Killed(SIGSEGV),
            );
            // SAFETY: as above.
            let still = unsafe { core::ptr::read_volatile(address as *const u64) };
            tally.check(
                "own-heap-intact",
                still == MAGIC,
                format_args!("{still:#x}"),
            );
        }
        Err(error) => tally.check("other-process-heap", false, format_args!("sbrk {error:?}")),
    }

    // Our shared region: shared with forked children only, never with a
    // program spawned afresh.
    let shared = userlib::raw::syscall_plain(Syscall::MapShared, [4096, 0, 0, 0, 0, 0]);
    if shared > 0 {
        let address = shared as u64;
        // SAFETY: `address` is the start of the region just mapped for us.
        unsafe { core::ptr::write_volatile(address as *mut u64, MAGIC) };
        let status = peek_from_new_process(address);
        ended(
            tally,
            "other-process-shared-region",
            status,
            ExitStatus::Killed(SIGSEGV),
        );
    } else {
        tally.check(
            "other-process-shared-region",
            false,
            format_args!("map_shared {shared}"),
        );
    }

    // Our data: the same address in a new process holds its own value.
    SECRET.store(MAGIC, Ordering::SeqCst);
    let status = peek_from_new_process(SECRET.as_ptr() as u64);
    ended(tally, "other-process-data", status, ExitStatus::Exited(0));
}

fn message_rights(tally: &mut Tally) {
    // An ordinary child waiting for any message.
    let child = match process::fork() {
        Ok(0) => {
            let _ = ipc::receive(ipc::ANY);
            process::exit(1)
        }
        Ok(child) => child,
        Err(error) => {
            return tally.check("ordinary-to-ordinary", false, format_args!("{error:?}"));
        }
    };
    let _ = userlib::time::sleep_ms(20);
    let message = Message::new(0x42, [1, 2, 3, 4, 5, 6]);
    let dst = u64::from(child);
    let mut reply_buffer = message;
    let results = [
        ("send", ipc::send(dst, &message)),
        ("asend", ipc::asend(dst, &message)),
        ("sendrec", ipc::sendrec(dst, &mut reply_buffer)),
        ("reply", ipc::reply(dst, &message)),
    ];
    for (call, result) in results {
        tally.check(
            &format!("{call}-to-ordinary-program-eperm"),
            result == Err(Errno::EPERM),
            format_args!("{result:?}"),
        );
    }
    let _ = signal::kill(child, Signal::SIGKILL);
    let status = process::wait_for(child);
    ended(
        tally,
        "ordinary-receiver-got-nothing",
        status,
        ExitStatus::Killed(SIGKILL),
    );

    // A system service does answer us: the refusals above are about rights.
    let service = ipc::lookup_service("echo");
    let answered = service.and_then(|echo| {
        let mut request = Message::new(0x42, [0; 6]);
        ipc::sendrec(u64::from(echo), &mut request).map(|()| request.source)
    });
    tally.check(
        "service-answers-ordinary-program",
        matches!((service, answered), (Ok(echo), Ok(source)) if source == u64::from(echo)),
        format_args!("service {service:?}, reply from {answered:?}"),
    );

    // The sender is the kernel's word, not ours: `echo` tells a WHO request
    // the source it received. (Were the forged one kept, the reply would go
    // to it and this sendrec would never return.)
    for (forged, name) in [(PM, "pm"), (999, "nobody")] {
        let seen = service.and_then(|echo| {
            let mut request = Message::new(ECHO_WHO, [0; 6]);
            request.source = forged;
            ipc::sendrec(u64::from(echo), &mut request).map(|()| request.payload[0])
        });
        let me = u64::from(process::getpid());
        tally.check(
            &format!("forged-source-{name}-is-stamped-over"),
            seen == Ok(me),
            format_args!("echo saw {seen:?}, we are {me}"),
        );
    }

    // A program spawned under a service's name is an ordinary program.
    match process::spawn("echo", &[]) {
        Ok(copy) => {
            let to_copy = ipc::asend(u64::from(copy), &message);
            let found = ipc::lookup_service("echo");
            tally.check(
                "spawned-service-copy-is-ordinary",
                to_copy == Err(Errno::EPERM) && found.is_ok() && found != Ok(copy),
                format_args!("asend {to_copy:?}, lookup {found:?}, copy {copy}"),
            );
            let _ = signal::kill(copy, Signal::SIGKILL);
            let _ = process::wait_for(copy);
        }
        Err(error) => tally.check(
            "spawned-service-copy-is-ordinary",
            false,
            format_args!("spawn {error:?}"),
        ),
    }
}
