//! Boot tests of the parts a real PC needs where QEMU's conveniences are
//! missing: the disk on q35's built-in AHCI controller (a SATA disk, no
//! virtio), and power-off through ACPI S5 without the `isa-debug-exit`
//! device (QEMU then exits with status 0 by itself, and the guest's exit
//! code comes from its final PowerOff frame).

use boot_tests::{BootRun, boot_with};
use image_builder::{Machine, QemuOptions};
use protocol::message::{DiskKind, EXIT_KERNEL_PANIC, EXIT_SUCCESS, Message, ProgramSource};
use std::time::Duration;

fn ahci() -> QemuOptions {
    QemuOptions {
        ahci_disk: true,
        ..QemuOptions::default()
    }
}

fn disk_kind(run: &BootRun) -> Option<DiskKind> {
    run.messages().find_map(|message| match message {
        Message::Hello(hello) => Some(hello.platform.disk),
        _ => None,
    })
}

#[test]
fn the_demo_image_runs_its_programs_from_an_ahci_disk() {
    let run = boot_with("demo", Duration::from_secs(25), &ahci());
    let context = run.describe();
    assert_eq!(disk_kind(&run), Some(DiskKind::Ahci), "{context}");
    // Programs were loaded from the disk and live: many started and exited.
    let spawns = run
        .messages()
        .filter(|message| matches!(message, Message::Spawn(_)))
        .count();
    let exits = run.exits().len();
    assert!(
        spawns >= 10 && exits >= 5,
        "{spawns} spawns, {exits} exits\n{context}"
    );
    // Major faults: pages brought in from the AHCI disk.
    let major_faults: u64 = run.most_major_faults();
    let disk_reads = run.most_disk_reads();
    assert!(
        major_faults > 0 && disk_reads > 100,
        "major faults {major_faults}, disk reads {disk_reads}\n{context}"
    );
    assert!(
        run.failed_checks().is_empty(),
        "failed checks {:?}\n{context}",
        run.failed_checks()
    );
}

#[test]
fn a_cd_rom_on_an_earlier_ahci_port_is_skipped_for_the_sata_disk() {
    // An ATAPI CD-ROM on port 0 (any file serves as its medium), the disk
    // on port 1: the driver must pick the port whose signature is a disk.
    let medium = std::env::temp_dir().join(format!("ahci-test-cd-{}.iso", std::process::id()));
    std::fs::write(&medium, vec![0u8; 2048 * 16]).expect("writing the CD medium");
    let options = QemuOptions {
        ahci_disk: true,
        ahci_port: 1,
        extra_args: vec![
            "-drive".into(),
            format!(
                "file={},if=none,id=cd,format=raw,media=cdrom,readonly=on",
                medium.display()
            ),
            "-device".into(),
            "ide-cd,drive=cd,bus=ide.0".into(),
        ],
        ..QemuOptions::default()
    };
    let run = boot_with("demo", Duration::from_secs(15), &options);
    let _ = std::fs::remove_file(&medium);
    let context = run.describe();
    assert!(run.qemu_stderr.is_empty(), "{}\n{context}", run.qemu_stderr);
    assert_eq!(disk_kind(&run), Some(DiskKind::Ahci), "{context}");
    let programs = run.messages().find_map(|message| match message {
        Message::Hello(hello) => Some(hello.platform.programs),
        _ => None,
    });
    assert_eq!(programs, Some(ProgramSource::Disk), "{context}");
    assert!(
        run.messages()
            .any(|message| matches!(message, Message::Spawn(_))),
        "{context}"
    );
}

#[test]
fn swap_on_an_ahci_disk_keeps_every_page_and_all_vm_checks_pass() {
    // The vm image (32 MiB of RAM, a 48 MiB hog) swaps out and back in
    // through the AHCI disk, and checks every page it reads back.
    let run = boot_with("vm", Duration::from_secs(240), &ahci());
    let context = run.describe();
    assert_eq!(disk_kind(&run), Some(DiskKind::Ahci), "{context}");
    assert!(
        run.failed_checks().is_empty(),
        "failed checks {:?}\n{context}",
        run.failed_checks()
    );
    let hog = run
        .log_lines()
        .into_iter()
        .map(|(_, line)| line)
        .find(|line| line.starts_with("hog: "))
        .unwrap_or_else(|| panic!("no hog line\n{context}"));
    assert!(hog.starts_with("hog: 48 MiB, 12288 pages: 0 bad;"), "{hog}");
    let writes = run
        .messages()
        .filter_map(|message| match message {
            Message::Memory(memory) => Some(memory.disk_writes),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    assert!(writes > 1000, "swap-outs written: {writes}\n{context}");
    assert_eq!(run.guest_exit_code(), Some(EXIT_SUCCESS), "{context}");
}

#[test]
fn out_of_memory_with_swap_on_ahci_kills_the_hogs_without_a_kernel_panic() {
    // The oom image's attacks (its init exits with the number of failed
    // checks), with swap and page-cache misses going to the AHCI disk: a
    // request DMAs into the page itself, so it needs no frame when none is
    // left.
    let run = boot_with("oom", Duration::from_secs(420), &ahci());
    let context = run.describe();
    assert_eq!(disk_kind(&run), Some(DiskKind::Ahci), "{context}");
    assert!(
        !run.messages()
            .any(|message| matches!(message, Message::Panic(_) | Message::KernelFault(_))),
        "{context}"
    );
    assert!(
        run.failed_checks().is_empty(),
        "failed checks {:?}\n{context}",
        run.failed_checks()
    );
    assert_eq!(run.guest_exit_code(), Some(EXIT_SUCCESS), "{context}");
}

/// Boots the smoke image on `machine` without isa-debug-exit: QEMU must
/// exit by itself (S5), well before the deadline, with status 0 (not an
/// isa-debug-exit status), the exit code must come from the PowerOff
/// frame, and the kernel must have armed the power-off it names in
/// `plan` (the start of its log line).
fn powers_off_through_acpi_s5(machine: Machine, plan: &str) {
    let deadline = Duration::from_secs(60);
    let options = QemuOptions {
        machine,
        no_debug_exit: true,
        ..QemuOptions::default()
    };
    let run = boot_with("smoke", deadline, &options);
    let context = run.describe();
    assert_eq!(run.exit_status, Some(0), "{context}");
    assert!(
        run.elapsed < deadline / 2,
        "took {:?}\n{context}",
        run.elapsed
    );
    assert_eq!(run.guest_exit_code(), Some(EXIT_SUCCESS), "{context}");
    assert!(
        run.log_lines()
            .iter()
            .any(|(_, line)| line.starts_with(plan)),
        "{context}"
    );
}

#[test]
fn without_isa_debug_exit_the_guest_powers_off_through_acpi_s5() {
    powers_off_through_acpi_s5(Machine::Q35, "ACPI S5 power-off armed: Pm1");
}

#[test]
fn microvm_without_isa_debug_exit_powers_off_through_its_ged_sleep_register() {
    // Hardware-reduced ACPI: the sleep control register, not PM1.
    powers_off_through_acpi_s5(Machine::Microvm, "ACPI S5 power-off armed: SleepControl");
}

#[test]
fn a_kernel_panic_without_isa_debug_exit_still_powers_off_with_its_code() {
    let options = QemuOptions {
        no_debug_exit: true,
        ahci_disk: true,
        ..QemuOptions::default()
    };
    let deadline = Duration::from_secs(60);
    let run = boot_with("panic", deadline, &options);
    let context = run.describe();
    assert_eq!(run.exit_status, Some(0), "{context}");
    assert!(
        run.elapsed < deadline / 2,
        "took {:?}\n{context}",
        run.elapsed
    );
    assert!(
        run.messages()
            .any(|message| matches!(message, Message::Panic(_))),
        "{context}"
    );
    assert_eq!(run.guest_exit_code(), Some(EXIT_KERNEL_PANIC), "{context}");
    assert_eq!(disk_kind(&run), Some(DiskKind::Ahci), "{context}");
}

#[test]
fn with_isa_debug_exit_the_exit_code_still_comes_from_qemus_status() {
    let run = boot_with("panic", Duration::from_secs(60), &QemuOptions::default());
    let context = run.describe();
    assert_eq!(
        run.exit_status,
        Some(i32::from(protocol::message::debug_exit_value(EXIT_KERNEL_PANIC)) * 2 + 1),
        "{context}"
    );
    assert_eq!(run.guest_exit_code(), Some(EXIT_KERNEL_PANIC), "{context}");
    assert_eq!(disk_kind(&run), Some(DiskKind::VirtioPci), "{context}");
}
