//! `watchtower --write-iso FILE`: the real binary builds the image's ISO and
//! copies it to FILE, which must be an ISO 9660 image that boots by itself
//! (SeaBIOS from a CD drive, as a PC would from the USB stick it is
//! written to).
//!
//! Needs QEMU and the ISO tools (`grub-pc-bin grub-efi-amd64-bin xorriso
//! mtools`); without them it fails, never skips.

use protocol::message::{BootPath, Message, ProgramSource};
use protocol::stream::{StreamDecoder, StreamItem};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn write_iso_writes_a_bootable_iso9660_image() {
    let dir = std::env::temp_dir().join(format!("watchtower-write-iso-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let iso = dir.join("smoke.iso");
    let output = Command::new(env!("CARGO_BIN_EXE_watchtower"))
        .args(["--image", "smoke", "--write-iso"])
        .arg(&iso)
        .output()
        .expect("the dashboard binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}: {stderr}",
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("dd if="), "{stdout}");

    let bytes = std::fs::read(&iso).expect("the ISO was written");
    assert_eq!(
        bytes.get(0x8001..0x8006),
        Some(b"CD001".as_slice()),
        "no ISO 9660 primary volume descriptor"
    );
    assert!(image_builder::iso::is_iso9660(&bytes));

    // It boots: SeaBIOS, GRUB, the kernel through multiboot2; smoke powers
    // off by itself after 1.5 s.
    let mut child = Command::new(image_builder::qemu::QEMU_BINARY)
        .args([
            "-machine",
            "q35",
            "-accel",
            "tcg",
            "-m",
            "64M",
            "-nodefaults",
        ])
        .args(["-display", "none", "-no-reboot", "-serial", "stdio"])
        .args([
            "-monitor",
            "none",
            "-device",
            "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ])
        .arg("-cdrom")
        .arg(&iso)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("QEMU runs");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let serial = reader.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let frames: Vec<Message<String>> = StreamDecoder::new()
        .push(&serial)
        .into_iter()
        .filter_map(|item| match item {
            StreamItem::Frame(frame) => Some(frame.message),
            _ => None,
        })
        .collect();
    let hello = frames.iter().find_map(|message| match message {
        Message::Hello(hello) => Some(hello),
        _ => None,
    });
    let hello = hello.unwrap_or_else(|| panic!("no Hello; QEMU {status:?}"));
    assert_eq!(hello.image, "smoke");
    assert_eq!(hello.platform.boot_path, BootPath::Multiboot2);
    assert_eq!(hello.platform.programs, ProgramSource::BootModule);
    assert!(
        matches!(frames.last(), Some(Message::PowerOff(_))),
        "no power-off; QEMU {status:?}"
    );
}
