//! The kernel: a single-image x86_64 OS that streams its own telemetry.
//!
//! Boot order (see `start`): serial port, descriptor tables, interrupt
//! controllers, TSC calibration, boot information, Hello frame, memory and
//! page tables, timer; then the idle loop.
//!
//! Design principles:
//! 1. Safe Rust everywhere but `arch` (hardware), `heap` (the allocator) and
//!    the lock in `sync`; each `unsafe` block says why it holds.
//! 2. Policy lives in `kernel-core` (`os/core`), which builds and is tested
//!    on the host; this crate wires it to the hardware.
//! 3. The kernel never blocks on the telemetry link: frames go through a
//!    bounded ring that drops the newest when full and says so.
//! 4. Every way of stopping (power-off, panic, CPU fault) tells the host why
//!    before the machine goes away.
//!
//! On the host this crate builds to a stub that explains how to build the
//! real kernel, so that `cargo build --workspace` works everywhere.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![cfg_attr(target_os = "none", deny(unsafe_code))]
// No panic reachable from a program (RELIABILITY.md): no `unwrap`,
// `expect`, `panic!`, `unreachable!` or indexing that can fail, anywhere in
// the kernel. Each exception is an `#[allow(..., reason = "...")]` on one
// item naming the invariant that makes it safe (or that it runs only at
// boot, before any program). Modules still being converted are listed
// below with `allow`.
#![cfg_attr(
    target_os = "none",
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::indexing_slicing
    )
)]

#[cfg(target_os = "none")]
extern crate alloc;

#[cfg(target_os = "none")]
mod acpi;
#[cfg(target_os = "none")]
mod ahci;
#[cfg(target_os = "none")]
#[allow(unsafe_code)]
mod arch;
#[cfg(target_os = "none")]
mod bench;
#[cfg(target_os = "none")]
mod cache;
#[cfg(target_os = "none")]
mod commands;
#[cfg(target_os = "none")]
mod disk;
#[cfg(target_os = "none")]
mod events;
#[cfg(target_os = "none")]
mod fatal;
#[cfg(target_os = "none")]
mod files;
#[cfg(target_os = "none")]
#[allow(unsafe_code)]
mod heap;
#[cfg(target_os = "none")]
mod ipc;
#[cfg(target_os = "none")]
mod kstack;
#[cfg(target_os = "none")]
mod link;
#[cfg(target_os = "none")]
mod loader;
#[cfg(target_os = "none")]
mod log;
#[cfg(target_os = "none")]
mod memory;
#[cfg(target_os = "none")]
mod oom;
#[cfg(target_os = "none")]
mod pageout;
#[cfg(target_os = "none")]
mod platform;
#[cfg(target_os = "none")]
mod pm;
#[cfg(target_os = "none")]
mod process;
#[cfg(target_os = "none")]
mod report;
#[cfg(target_os = "none")]
mod sched;
#[cfg(target_os = "none")]
mod shared;
#[cfg(target_os = "none")]
mod signal;
#[cfg(target_os = "none")]
mod snapshot;
#[cfg(target_os = "none")]
mod swap;
#[cfg(target_os = "none")]
#[allow(unsafe_code)]
mod sync;
#[cfg(target_os = "none")]
mod syscall;
#[cfg(target_os = "none")]
mod telemetry;
#[cfg(target_os = "none")]
mod time;
#[cfg(target_os = "none")]
mod timer;
#[cfg(target_os = "none")]
mod trap;
#[cfg(target_os = "none")]
mod user_abi;
#[cfg(target_os = "none")]
mod vm;

#[cfg(target_os = "none")]
use kernel_core::boot_options::{BootOptions, TestHook};

/// Boots the kernel; called from the architecture's entry code with the
/// entry taken (PVH or multiboot2) and the physical address of the boot
/// information it passed.
#[cfg(target_os = "none")]
#[allow(
    clippy::panic,
    reason = "boot-time: without usable boot information there is nothing to run"
)]
fn start(entry: arch::boot::BootEntry) -> ! {
    use protocol::message::{Hello, Message};

    time::mark_boot();
    arch::serial::init();
    telemetry::start_of_stream();
    arch::gdt::init();
    arch::trap::init();
    arch::fpu::init();
    let umip = arch::cpu::enable_umip();
    arch::pic::disable();
    let Some((tsc_hz, tsc_source)) = arch::tsc::frequency() else {
        panic!("no TSC frequency: the CPU does not state it, and no PIT or RTC counts")
    };
    time::set_tsc_hz(tsc_hz);

    let boot = match entry {
        arch::boot::BootEntry::Pvh(start_info) => match arch::pvh::read(start_info) {
            Ok(boot) => {
                platform::set_boot_path(protocol::message::BootPath::Pvh);
                boot
            }
            Err(error) => panic!("unusable PVH start info: {error}"),
        },
        arch::boot::BootEntry::Multiboot2(mbi) => match arch::multiboot2::read(mbi) {
            Ok(info) => {
                platform::set_boot_path(protocol::message::BootPath::Multiboot2);
                platform::set_firmware(info.firmware);
                info.boot
            }
            Err(error) => panic!("unusable multiboot2 information: {error}"),
        },
    };
    let command_line: &'static str =
        alloc::boxed::Box::leak(boot.command_line.clone().into_boxed_str());
    let (options, problems) = BootOptions::parse(command_line);

    platform::detect_machine();
    let memory = memory::init(&boot);
    if let Some(rsdp) = boot.rsdp {
        acpi::set_rsdp(rsdp);
    }
    let power_off = acpi::init(&boot.ram);
    platform::detect_firmware();
    let disk = disk::init(command_line);
    let link = (options.link == kernel_core::boot_options::Link::Virtio)
        .then(|| link::open(platform::get().machine));
    let programs = disk.map(|sectors| {
        let programs = files::init(sectors);
        if programs.is_ok() {
            platform::set_programs(protocol::message::ProgramSource::Disk);
        }
        programs
    });
    // No disk: the boot archive may be a multiboot2 module (the ISO).
    let programs = match (programs, arch::multiboot2::module(0)) {
        (Err(_), Some(archive)) => {
            let programs = files::init_from_memory(archive);
            if programs.is_ok() {
                platform::set_programs(protocol::message::ProgramSource::BootModule);
            }
            Ok(programs)
        }
        (programs, _) => programs,
    };
    // Hello once the machine and its disk are known; the host learns at
    // once that the guest is up, rather than after the rest of the boot.
    telemetry::send(Message::Hello(Hello {
        protocol_version: protocol::PROTOCOL_VERSION,
        boot_id: time::boot_tsc() ^ time::tsc_hz().rotate_left(32),
        tsc_hz: time::tsc_hz(),
        image: options.image,
        platform: platform::get(),
    }));
    telemetry::drain(usize::MAX);
    for problem in problems {
        klog!(Warn, "ignored kernel option: {problem:?}");
    }
    match link {
        Some(Ok(transport)) => klog!(Info, "telemetry link: virtio console ({transport:?})"),
        Some(Err(error)) => klog!(
            Warn,
            "link=virtio: no usable virtio console ({error:?}): telemetry stays on COM1"
        ),
        None => {}
    }
    if options.fault_events {
        if matches!(link, Some(Ok(_))) {
            report::enable_fault_events();
            klog!(
                Info,
                "fault_events=on: one PageFault frame per counted page fault"
            );
        } else {
            klog!(
                Warn,
                "fault_events=on ignored: telemetry is on COM1, where a frame per page fault would flood the 16550 (needs link=virtio)"
            );
        }
    }
    match power_off {
        Ok((plan, source)) => klog!(
            Info,
            "ACPI S5 power-off armed: {plan:?}, RSDP by {source:?}"
        ),
        Err(error) => klog!(
            Info,
            "no ACPI S5 power-off ({error:?}): isa-debug-exit only"
        ),
    }
    if umip {
        klog!(Info, "UMIP on: sgdt/sidt/sldt/smsw/str fault in ring 3");
    } else {
        klog!(Info, "UMIP off: this CPU does not have it");
    }
    if platform::get().programs == protocol::message::ProgramSource::BootModule
        && let Some(module) = arch::multiboot2::module_range(0)
    {
        klog!(
            Info,
            "programs from the boot module at {:#x}-{:#x} (no disk: no swap)",
            module.start,
            module.end
        );
    }
    match programs {
        Ok(programs) => match programs {
            Ok(()) => {
                let (first, pages) = files::swap_area();
                swap::init(first, pages);
            }
            Err(problem) => klog!(Warn, "no programs: {problem}"),
        },
        Err(error) => klog!(Warn, "no disk ({error:?}): no programs to run"),
    }
    let stack_tables = kstack::build_page_tables(process::MAX_PROCESSES);
    arch::syscall_entry::init();
    telemetry::set_quiet(options.quiet_telemetry);
    if options.bench {
        bench::enable();
    }
    timer::set_heartbeat_period_ms(options.heartbeat_ms);
    snapshot::set_period_ms(options.snapshot_ms);
    arch::apic::init(time::tsc_hz(), timer::TICK_HZ);
    klog!(
        Info,
        "booted image '{}' in {} us: {} MiB RAM, {} frames free ({} for kernel-stack page tables), TSC {} MHz ({:?})",
        options.image,
        time::now_us(),
        memory.ram_bytes >> 20,
        memory.free_frames - stack_tables as usize,
        stack_tables,
        time::tsc_hz() / 1_000_000,
        tsc_source
    );
    pm::start_boot_programs();
    idle_loop(&options)
}

/// The idle context (the boot stack): runs whenever no process is ready.
/// Hands the CPU to ready processes, drains telemetry, halts until the next
/// interrupt, and carries out timed actions of the boot options.
#[cfg(target_os = "none")]
#[allow(
    clippy::panic,
    reason = "the `test=panic` and `test=fault` boot options ask for a kernel panic"
)]
fn idle_loop(options: &BootOptions<'_>) -> ! {
    use arch::cpu;

    const IDLE_DRAIN_CHUNK: usize = 64;
    const TEST_HOOK_DELAY_NS: u64 = 300_000_000;

    loop {
        if sched::anything_ready() {
            sched::schedule();
            continue;
        }
        let now = time::now_ns();
        if let Some(ms) = options.poweroff_after_ms
            && now >= ms * 1_000_000
        {
            timer::send_heartbeat(now);
            klog!(Info, "powering off after {ms} ms as the image asked");
            fatal::power_off(protocol::message::EXIT_SUCCESS);
        }
        if now >= TEST_HOOK_DELAY_NS {
            match options.test_hook {
                Some(TestHook::Panic) => {
                    panic!("deliberate panic requested by the image (test=panic)")
                }
                Some(TestHook::KernelFault) => {
                    let value = arch::cpu::read_unmapped_kernel_address();
                    panic!("read of an unmapped kernel address returned {value}");
                }
                None => {}
            }
        }
        if telemetry::pending() {
            telemetry::drain(IDLE_DRAIN_CHUNK);
            cpu::allow_pending_interrupts();
            continue;
        }
        let halted_at = cpu::read_tsc();
        cpu::wait_for_interrupt();
        timer::account_idle(time::cycles_to_ns(cpu::read_tsc() - halted_at));
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "this is the kernel; it runs only inside the OS image. Build it with \
         `cargo build --release -p os --target x86_64-unknown-none`, or boot it with \
         `cargo run --release` from the repository root."
    );
    std::process::exit(2);
}
