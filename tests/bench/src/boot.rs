//! Boot overhead: QEMU start to our first frame, against QEMU start to exit
//! of an empty PVH kernel, with the same QEMU flags.

use crate::figures::{Figure, Report};
use crate::guest::summarize;
use boot_tests::built_image;
use image_builder::QemuOptions;
use protocol::message::Message;
use protocol::stream::{StreamDecoder, StreamItem};
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

const BOOTS: usize = 10;

/// The smallest PVH kernel: an ELF64 whose entry writes the success code to
/// the isa-debug-exit port, so QEMU exits at once.
fn empty_kernel() -> Vec<u8> {
    const BASE: u64 = 0x10_0000;
    const HEADERS: u64 = 64 + 2 * 56;
    const NOTE: u64 = HEADERS;
    const CODE: u64 = NOTE + 24;
    // mov al, 0x10; out 0xf4, al; cli; hlt; jmp $
    let code = [0xB0, 0x10, 0xE6, 0xF4, 0xFA, 0xF4, 0xEB, 0xFE];
    let total = CODE + code.len() as u64;
    let entry = BASE + CODE;
    let mut elf = Vec::new();
    elf.extend_from_slice(&[0x7F, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    elf.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    elf.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    elf.extend_from_slice(&1u32.to_le_bytes());
    elf.extend_from_slice(&entry.to_le_bytes());
    elf.extend_from_slice(&64u64.to_le_bytes()); // program headers
    elf.extend_from_slice(&0u64.to_le_bytes()); // no section headers
    elf.extend_from_slice(&0u32.to_le_bytes());
    elf.extend_from_slice(&64u16.to_le_bytes());
    elf.extend_from_slice(&56u16.to_le_bytes());
    elf.extend_from_slice(&2u16.to_le_bytes());
    elf.extend_from_slice(&[0; 6]);
    let mut header = |kind: u32, flags: u32, offset: u64, address: u64, size: u64, align: u64| {
        elf.extend_from_slice(&kind.to_le_bytes());
        elf.extend_from_slice(&flags.to_le_bytes());
        elf.extend_from_slice(&offset.to_le_bytes());
        elf.extend_from_slice(&address.to_le_bytes());
        elf.extend_from_slice(&address.to_le_bytes());
        elf.extend_from_slice(&size.to_le_bytes());
        elf.extend_from_slice(&size.to_le_bytes());
        elf.extend_from_slice(&align.to_le_bytes());
    };
    header(1, 5, 0, BASE, total, 0x1000); // PT_LOAD, r-x
    header(4, 4, NOTE, BASE + NOTE, 24, 4); // PT_NOTE
    elf.extend_from_slice(&4u32.to_le_bytes());
    elf.extend_from_slice(&8u32.to_le_bytes());
    elf.extend_from_slice(&18u32.to_le_bytes()); // XEN_ELFNOTE_PHYS32_ENTRY
    elf.extend_from_slice(b"Xen\0");
    elf.extend_from_slice(&entry.to_le_bytes());
    elf.extend_from_slice(&code);
    assert_eq!(elf.len() as u64, total);
    elf
}

/// Seconds from spawning QEMU to `until` happening.
fn timed(mut command: std::process::Command, wait_for_hello: bool) -> f64 {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let start = Instant::now();
    let mut child = command.spawn().expect("QEMU starts");
    let elapsed = if wait_for_hello {
        let mut stdout = child.stdout.take().unwrap();
        let mut decoder = StreamDecoder::new();
        let mut buffer = [0u8; 4096];
        loop {
            let read = stdout.read(&mut buffer).unwrap_or(0);
            if read == 0 {
                panic!("QEMU ended before the first frame");
            }
            let hello = decoder.push(&buffer[..read]).into_iter().any(|item| {
                matches!(item, StreamItem::Frame(frame) if matches!(frame.message, Message::Hello(_)))
            });
            if hello {
                break start.elapsed();
            }
        }
    } else {
        child.wait().expect("QEMU exits");
        start.elapsed()
    };
    let _ = child.kill();
    let _ = child.wait();
    elapsed.as_secs_f64()
}

pub fn measure(report: &mut Report) {
    let ours = built_image("smoke");
    let mut empty = ours.clone();
    empty.kernel = ours.dir.join("empty-pvh.elf");
    std::fs::write(&empty.kernel, empty_kernel()).expect("writing the empty kernel");
    let options = QemuOptions::default();
    let mut first_frame = Vec::new();
    let mut empty_exit = Vec::new();
    // Warm up QEMU and the host's caches first (not counted).
    timed(image_builder::qemu::command(&empty, &options), false);
    timed(image_builder::qemu::command(&ours, &options), true);
    for _ in 0..BOOTS {
        empty_exit.push(timed(image_builder::qemu::command(&empty, &options), false));
        first_frame.push(timed(image_builder::qemu::command(&ours, &options), true));
    }
    let ours_s = summarize(&mut first_frame);
    let empty_s = summarize(&mut empty_exit);
    report.figures.push(
        Figure::at_most(
            "boot overhead (first frame / empty PVH kernel exit)",
            ours_s.median / empty_s.median,
            (ours_s.p10 / empty_s.p90, ours_s.p90 / empty_s.p10),
            1.2,
            "<= 1.2",
        )
        .detail(format!(
            "QEMU start to our Hello frame {:.0} ms, to an empty PVH kernel's exit {:.0} ms (medians of {BOOTS} alternating boots)",
            ours_s.median * 1000.0,
            empty_s.median * 1000.0
        ))
        .method(
            "Wall clock from spawning QEMU (the same command line: q35, TCG, the disk, the debug-exit device) to the \
             first decoded frame of our kernel, against the same command booting a 220-byte PVH kernel that exits at \
             once.",
        ),
    );
    let _ = Duration::ZERO;
}
