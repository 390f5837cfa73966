//! Boot tests of the bootable ISO: GRUB loads the kernel through its
//! multiboot2 entry and the image's boot archive as a module, under SeaBIOS
//! (`iso-bios`) and OVMF (`iso-uefi`), with no disk. The kernel must say so
//! in its Hello (boot path, firmware, programs from the boot module), run
//! the image's programs from memory, and power off cleanly; under OVMF the
//! host must skip the firmware's and GRUB's text on COM1 without calling it
//! corrupt.
//!
//! OVMF takes about 5 s to start under TCG (machines.md), and a bad
//! multiboot2 header can hang the firmware: every boot runs under a
//! deadline and QEMU is killed when it passes.

use boot_tests::{BootRun, boot_image, built_image, qemu_status_for};
use image_builder::{BuildOutput, BuiltImage, Machine, QemuOptions};
use protocol::message::{
    BootPath, DiskKind, EXIT_SUCCESS, Firmware, Hello, Message, ProgramSource,
};
use std::sync::OnceLock;
use std::time::Duration;

/// Generous: OVMF's start, GRUB, then the image's own run, on 2 shared
/// cores.
const DEADLINE: Duration = Duration::from_secs(120);
/// How long the demo runs before it powers itself off.
const DEMO_RUN_MS: u64 = 6000;

/// The demo, powering itself off after [`DEMO_RUN_MS`] (the demo itself
/// runs until stopped).
fn demo() -> &'static BuiltImage {
    static DEMO: OnceLock<BuiltImage> = OnceLock::new();
    DEMO.get_or_init(|| {
        image_builder::build_variant(
            "demo",
            "poweroff",
            |manifest| {
                manifest.kernel_args =
                    format!("{} poweroff_after_ms={DEMO_RUN_MS}", manifest.kernel_args)
                        .trim()
                        .to_string();
            },
            BuildOutput::Capture,
        )
        .unwrap_or_else(|error| panic!("building the demo variant: {error}"))
    })
}

/// Boots `image` on `machine` with its disk (on the ISO machines, a SATA
/// disk on q35's AHCI controller, as on a real PC).
fn boot_on(image: &BuiltImage, machine: Machine) -> BootRun {
    let options = QemuOptions {
        machine,
        ..QemuOptions::default()
    };
    boot_image(image, DEADLINE, &options, Vec::new())
}

/// Boots `image` on `machine` with no disk at all: the programs can only
/// come from the boot module GRUB loaded.
fn boot_without_disk(image: &BuiltImage, machine: Machine) -> BootRun {
    let options = QemuOptions {
        machine,
        no_disk: true,
        ..QemuOptions::default()
    };
    boot_image(image, DEADLINE, &options, Vec::new())
}

/// Where an ISO boot must have found its programs and disk.
#[derive(Clone, Copy)]
enum Storage {
    /// The SATA disk on AHCI (programs from the disk's boot archive).
    AhciDisk,
    /// No disk: the boot module.
    ModuleOnly,
}

/// The run's Hello, which must be its first frame.
fn hello(run: &BootRun) -> &Hello<String> {
    match run.frames.first().map(|frame| &frame.message) {
        Some(Message::Hello(hello)) => hello,
        other => panic!("first frame is {other:?}, not Hello\n{}", run.describe()),
    }
}

/// What every ISO boot must show: a clean power-off, a clean stream (the
/// firmware's preamble skipped, not counted as corrupt) and a Hello that
/// says multiboot2, the firmware and where the programs came from.
fn clean_iso_boot(run: &BootRun, image: &str, firmware: &[Firmware], storage: Storage) {
    let context = run.describe();
    assert_eq!(
        run.exit_status,
        Some(qemu_status_for(EXIT_SUCCESS)),
        "{context}"
    );
    assert!(
        run.errors.is_empty(),
        "decode errors {:?}\n{context}",
        run.errors
    );
    assert_eq!(
        (
            run.stats.crc_errors,
            run.stats.malformed,
            run.stats.oversize
        ),
        (0, 0, 0),
        "{:?}",
        run.stats
    );
    let hello = hello(run);
    assert_eq!(hello.image, image);
    assert_eq!(hello.platform.boot_path, BootPath::Multiboot2, "{hello:?}");
    assert!(
        firmware.contains(&hello.platform.firmware),
        "firmware {:?}, expected one of {firmware:?}",
        hello.platform.firmware
    );
    let (disk, programs) = match storage {
        Storage::AhciDisk => (DiskKind::Ahci, ProgramSource::Disk),
        Storage::ModuleOnly => (DiskKind::None, ProgramSource::BootModule),
    };
    assert_eq!(
        (hello.platform.disk, hello.platform.programs),
        (disk, programs),
        "{hello:?}"
    );
    assert!(
        run.messages()
            .all(|message| !matches!(message, Message::Panic(_) | Message::KernelFault(_))),
        "{context}"
    );
    match run.frames.last().map(|frame| &frame.message) {
        Some(Message::PowerOff(power_off)) => assert_eq!(power_off.exit_code, EXIT_SUCCESS),
        other => panic!("last frame is {other:?}, not PowerOff\n{context}"),
    }
}

/// The demo ran its programs: its services and init
/// are alive at the end, programs came and went, and both services acked
/// events.
fn demo_ran_its_programs(run: &BootRun) {
    let context = run.describe();
    run.assert_alive(&["ipc", "acct", "init"]);
    let (ipc, acct) = (run.pids_of("ipc"), run.pids_of("acct"));
    let exits = run.exits().len();
    assert!(
        exits >= 3,
        "only {exits} exits in {DEMO_RUN_MS} ms\n{context}"
    );
    for (name, subscriber) in [("ipc", ipc[0]), ("acct", acct[0])] {
        let acks = run
            .messages()
            .filter(|message| matches!(message, Message::Ack(ack) if ack.subscriber == subscriber))
            .count();
        assert!(acks >= 1, "{name} acked no event\n{context}");
    }
    // A file page read from the module (reader's 6 MiB file) is a page-cache
    // fill like a disk read; the workers also allocated memory.
    assert!(
        run.spawns().len() >= 6,
        "only {} spawns\n{context}",
        run.spawns().len()
    );
}

/// The demo's major faults came from the disk: file pages read through
/// the page cache, counted per process.
fn demo_faulted_pages_in_from_the_disk(run: &BootRun) {
    let (major_faults, disk_reads) = (run.most_major_faults(), run.most_disk_reads());
    assert!(
        major_faults > 0 && disk_reads > 100,
        "major faults {major_faults}, disk reads {disk_reads}\n{}",
        run.describe()
    );
}

#[test]
fn smoke_boots_from_the_iso_under_seabios() {
    let run = boot_on(&built_image("smoke"), Machine::IsoBios);
    clean_iso_boot(&run, "smoke", &[Firmware::SeaBios], Storage::AhciDisk);
}

#[test]
fn smoke_boots_from_the_iso_under_ovmf_past_the_firmware_preamble() {
    let run = boot_on(&built_image("smoke"), Machine::IsoUefi);
    clean_iso_boot(&run, "smoke", &[Firmware::Uefi], Storage::AhciDisk);
    // OVMF and GRUB wrote their text to COM1 before the kernel's first
    // byte: the decoder skipped it in one resync, before the Hello.
    assert_eq!(run.stats.resyncs, 1, "{:?}", run.stats);
}

#[test]
fn demo_runs_from_the_iso_under_seabios_with_its_disk_on_ahci() {
    let run = boot_on(demo(), Machine::IsoBios);
    clean_iso_boot(&run, "demo", &[Firmware::SeaBios], Storage::AhciDisk);
    demo_ran_its_programs(&run);
    demo_faulted_pages_in_from_the_disk(&run);
}

#[test]
fn demo_runs_from_the_iso_under_ovmf_with_its_disk_on_ahci() {
    let run = boot_on(demo(), Machine::IsoUefi);
    clean_iso_boot(&run, "demo", &[Firmware::Uefi], Storage::AhciDisk);
    demo_ran_its_programs(&run);
    demo_faulted_pages_in_from_the_disk(&run);
}

#[test]
fn without_a_disk_the_demo_runs_its_programs_from_the_boot_module() {
    let run = boot_without_disk(demo(), Machine::IsoBios);
    clean_iso_boot(&run, "demo", &[Firmware::SeaBios], Storage::ModuleOnly);
    demo_ran_its_programs(&run);
}

/// The same kernel still boots through PVH (`-kernel`) and says so; the
/// multiboot2 entry changed nothing there.
#[test]
fn the_same_kernel_boots_through_pvh_on_q35_and_says_so() {
    let run = boot_on(&built_image("smoke"), Machine::Q35);
    assert_eq!(
        run.exit_status,
        Some(qemu_status_for(EXIT_SUCCESS)),
        "{}",
        run.describe()
    );
    let hello = hello(&run);
    assert_eq!(hello.platform.boot_path, BootPath::Pvh, "{hello:?}");
    assert_eq!(hello.platform.programs, ProgramSource::Disk, "{hello:?}");
    assert_eq!(run.stats.resyncs, 0, "{:?}", run.stats);
}
