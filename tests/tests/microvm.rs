//! Boot tests on QEMU's `microvm` (the machine Firecracker and Cloud
//! Hypervisor guests resemble: no PCI, virtio-mmio devices, qboot), under
//! TCG, and the q35 counterpart of its platform check.
//!
//! What they guard: the kernel finds its disk over virtio-mmio and says
//! so in Hello; its clock runs at the real rate there (the PIT's channel 2
//! gate does not exist on microvm, and calibrating with it once made the
//! guest clock race 40,000 times ahead: a "10 s" boot and heartbeats
//! flooding the link); the demo's processes run, its two services ack,
//! pages come from the disk; memory larger than RAM swaps out to that disk
//! and back intact; the guest powers off cleanly.

use boot_tests::{BootRun, boot_image, boot_with, built_image, qemu_status_for};
use image_builder::{Machine, QemuOptions};
use protocol::message::{
    BootPath, DiskKind, EXIT_SUCCESS, Firmware, MachineKind, Message, Platform, ProgramSource,
};
use std::time::Duration;

fn on(machine: Machine) -> QemuOptions {
    QemuOptions {
        machine,
        ..QemuOptions::default()
    }
}

/// The run ended with the guest's clean power-off, and nothing failed.
fn powered_off_cleanly(run: &BootRun) {
    let context = run.describe();
    assert_eq!(
        run.exit_status,
        Some(qemu_status_for(EXIT_SUCCESS)),
        "{context}"
    );
    assert!(run.errors.is_empty(), "decode errors {:?}", run.errors);
    assert!(
        !run.messages()
            .any(|m| matches!(m, Message::Panic(_) | Message::KernelFault(_))),
        "{context}"
    );
    match run.frames.last().map(|frame| &frame.message) {
        Some(Message::PowerOff(power_off)) => assert_eq!(power_off.exit_code, EXIT_SUCCESS),
        other => panic!("last frame is {other:?}, not PowerOff\n{context}"),
    }
}

/// The Hello frame's platform and TSC frequency.
fn hello(run: &BootRun) -> (Platform, u64) {
    match run.frames.first().map(|frame| &frame.message) {
        Some(Message::Hello(hello)) => (hello.platform, hello.tsc_hz),
        other => panic!("first frame is {other:?}, not Hello\n{}", run.describe()),
    }
}

/// Microseconds of guest time the boot took, from its "booted image" line.
fn boot_us(run: &BootRun) -> u64 {
    run.log_lines()
        .iter()
        .find_map(|(_, line)| {
            line.strip_prefix("booted image '")?
                .split_once("' in ")?
                .1
                .split_once(" us")?
                .0
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no 'booted image' line\n{}", run.describe()))
}

fn heartbeat_uptimes(run: &BootRun) -> Vec<u64> {
    run.messages()
        .filter_map(|message| match message {
            Message::Heartbeat(heartbeat) => Some(heartbeat.uptime_ns),
            _ => None,
        })
        .collect()
}

/// The guest clock runs at the real rate: the TSC frequency is plausible,
/// the boot took under 5 s of guest time (it takes well under one; the
/// broken clock once made it 745 s), and the guest time the
/// run covered (`guest_ns`) did not pass faster than the wall clock.
fn clock_is_real(run: &BootRun, guest_ns: u64) {
    let context = run.describe();
    let (_, tsc_hz) = hello(run);
    assert!(
        (200_000_000..20_000_000_000).contains(&tsc_hz),
        "implausible TSC frequency {tsc_hz}\n{context}"
    );
    let boot = boot_us(run);
    assert!(
        boot < 5_000_000,
        "boot took {boot} us of guest time\n{context}"
    );
    assert!(
        run.elapsed.as_nanos() >= u128::from(guest_ns) * 9 / 10,
        "{guest_ns} ns of guest time passed in {:?} of wall time\n{context}",
        run.elapsed
    );
}

#[test]
fn smoke_on_microvm_finds_its_disk_over_virtio_mmio_keeps_real_time_and_powers_off() {
    let run = boot_with("smoke", Duration::from_secs(60), &on(Machine::Microvm));
    let context = run.describe();
    powered_off_cleanly(&run);
    assert_eq!(
        hello(&run).0,
        Platform {
            machine: MachineKind::Microvm,
            boot_path: BootPath::Pvh,
            firmware: Firmware::Qboot,
            disk: DiskKind::VirtioMmio,
            programs: ProgramSource::Disk,
        },
        "{context}"
    );
    // The smoke image powers off after 1.5 s with a heartbeat every 50 ms.
    clock_is_real(&run, 1_500_000_000);
    let uptimes = heartbeat_uptimes(&run);
    assert!(
        (10..=40).contains(&uptimes.len()),
        "{} heartbeats in 1.5 s at one per 50 ms: {uptimes:?}\n{context}",
        uptimes.len()
    );
    assert!(
        uptimes.windows(2).all(|pair| pair[0] < pair[1]),
        "uptimes rise: {uptimes:?}"
    );
    for (index, frame) in run.frames.iter().enumerate() {
        assert_eq!(frame.header.seq, index as u32, "contiguous sequence");
        assert_eq!(frame.header.dropped_before, 0, "nothing dropped");
    }
}

#[test]
fn smoke_on_microvm_without_acpi_takes_its_disk_from_the_command_line_words() {
    // With acpi=off QEMU has 8 transport slots and appends
    // `virtio_mmio.device=512@0xfeb00e00:12` to the command line; the
    // kernel must accept the word (not log it as ignored) and find the disk.
    let options = QemuOptions {
        extra_args: vec!["-machine".into(), "acpi=off".into()],
        ..on(Machine::Microvm)
    };
    let run = boot_with("smoke", Duration::from_secs(60), &options);
    let context = run.describe();
    powered_off_cleanly(&run);
    let (platform, _) = hello(&run);
    assert_eq!(platform.disk, DiskKind::VirtioMmio, "{context}");
    assert_eq!(platform.programs, ProgramSource::Disk, "{context}");
    assert!(
        !run.log_lines()
            .iter()
            .any(|(_, line)| line.starts_with("ignored kernel option")),
        "{context}"
    );
}

#[test]
fn smoke_on_microvm_without_a_pit_calibrates_against_the_rtc() {
    // `pit=off`: the TSC frequency must come from the RTC, and be right.
    let options = QemuOptions {
        extra_args: vec!["-machine".into(), "pit=off".into()],
        ..on(Machine::Microvm)
    };
    let run = boot_with("smoke", Duration::from_secs(60), &options);
    let context = run.describe();
    powered_off_cleanly(&run);
    assert!(
        run.log_lines()
            .iter()
            .any(|(_, line)| line.starts_with("booted image") && line.ends_with("(Rtc)")),
        "{context}"
    );
    assert_eq!(hello(&run).0.disk, DiskKind::VirtioMmio, "{context}");
    clock_is_real(&run, 1_500_000_000);
}

#[test]
fn smoke_on_q35_says_q35_seabios_and_virtio_pci() {
    let run = boot_with("smoke", Duration::from_secs(60), &on(Machine::Q35));
    powered_off_cleanly(&run);
    assert_eq!(
        hello(&run).0,
        Platform {
            machine: MachineKind::Q35,
            boot_path: BootPath::Pvh,
            firmware: Firmware::SeaBios,
            disk: DiskKind::VirtioPci,
            programs: ProgramSource::Disk,
        },
        "{}",
        run.describe()
    );
    clock_is_real(&run, 1_500_000_000);
}

/// Guest time the demo runs before powering off.
const DEMO_MS: u64 = 15_000;

#[test]
fn demo_on_microvm_runs_its_processes_services_ack_pages_come_from_the_disk() {
    let mut built = built_image("demo");
    built.kernel_command_line =
        format!("{} poweroff_after_ms={DEMO_MS}", built.kernel_command_line);
    let run = boot_image(
        &built,
        Duration::from_secs(180),
        &on(Machine::Microvm),
        Vec::new(),
    );
    let context = run.describe();
    powered_off_cleanly(&run);
    let (platform, _) = hello(&run);
    assert_eq!(platform.machine, MachineKind::Microvm, "{context}");
    assert_eq!(platform.disk, DiskKind::VirtioMmio, "{context}");
    assert_eq!(platform.programs, ProgramSource::Disk, "{context}");
    clock_is_real(&run, DEMO_MS * 1_000_000);
    assert!(run.failed_checks().is_empty(), "{context}");
    // No flood: the demo sends about 230 frames per second of guest time
    // on q35 and on microvm alike.
    let frames_per_second = run.frames.len() as u64 * 1000 / DEMO_MS;
    assert!(
        (50..1000).contains(&frames_per_second),
        "{frames_per_second} frames per second\n{context}"
    );

    // Processes live: the services, init and the long-running programs
    // were spawned and are still there at the end.
    for name in ["ipc", "acct", "init", "heapwave", "reader", "cowfork"] {
        let pids = run.pids_of(name);
        assert!(!pids.is_empty(), "{name} never started\n{context}");
        if name != "cowfork" {
            assert_eq!(run.exit_of(pids[0]), None, "{name} exited\n{context}");
        }
    }
    // Programs came and went: init's workers, forkers and spinners.
    let exits = run.exits().len();
    assert!(exits >= 5, "only {exits} exits\n{context}");

    // Both subscribers ack: the last snapshot of each shows acks for most
    // events (the rest still outstanding).
    let mut last = std::collections::BTreeMap::new();
    for message in run.messages() {
        if let Message::Subscriber(subscriber) = message {
            last.insert(subscriber.name.clone(), subscriber.clone());
        }
    }
    for name in ["ipc", "acct"] {
        let subscriber = last
            .get(name)
            .unwrap_or_else(|| panic!("no subscriber {name}: {last:?}\n{context}"));
        assert!(subscriber.acks > 10, "{subscriber:?}");
        assert_eq!(
            subscriber.acks + u64::from(subscriber.outstanding),
            subscriber.events,
            "{subscriber:?}"
        );
        assert_eq!(subscriber.ignored_acks, 0, "{subscriber:?}");
    }
    let acks = run
        .messages()
        .filter(|m| matches!(m, Message::Ack(_)))
        .count();
    assert!(acks > 10, "{acks} Ack frames\n{context}");

    // Pages from the disk: major faults in a process, and disk reads.
    let major = run.most_major_faults();
    assert!(major >= 32, "largest major-fault count {major}\n{context}");
    let reads = run.most_disk_reads();
    assert!(reads >= major, "{reads} disk reads\n{context}");
}

#[test]
fn vm_image_on_microvm_swaps_to_the_virtio_mmio_disk_and_reads_back_intact() {
    // The `vm` image: 32 MiB of RAM, a 48 MiB hog that must swap.
    let run = boot_with("vm", Duration::from_secs(240), &on(Machine::Microvm));
    let context = run.describe();
    assert_eq!(hello(&run).0.disk, DiskKind::VirtioMmio, "{context}");
    assert!(run.failed_checks().is_empty(), "{context}");
    let passes = run
        .log_lines()
        .iter()
        .filter(|(pid, line)| *pid == 1 && line.starts_with("PASS "))
        .count();
    assert!(passes >= 5, "{passes} checks passed\n{context}");
    assert!(
        run.log_lines()
            .iter()
            .any(|(_, line)| *line == "PASS swap-keeps-contents-with-major-faults"),
        "{context}"
    );
    let memory: Vec<_> = run
        .messages()
        .filter_map(|message| match message {
            Message::Memory(memory) => Some(*memory),
            _ => None,
        })
        .collect();
    let most_swapped = memory.iter().map(|m| m.swap_used).max().unwrap_or(0);
    let written = memory.iter().map(|m| m.disk_writes).max().unwrap_or(0);
    assert!(
        most_swapped > 1000,
        "swap use peaked at {most_swapped} pages\n{context}"
    );
    assert!(
        written >= most_swapped,
        "{written} pages written\n{context}"
    );
    powered_off_cleanly(&run);
}
