//! Boot overhead: QEMU start to our first frame, against QEMU start to exit
//! of an empty PVH kernel, with the same QEMU flags.

use crate::figures::{Figure, Report, Sampling, Target, sample_until_steady, summarize};
use boot_tests::built_image;
use image_builder::QemuOptions;
use image_builder::qemu::Machine;
use protocol::message::Message;
use protocol::stream::{StreamDecoder, StreamItem};
use std::collections::BTreeSet;
use std::io::Read;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Alternating pairs of boots: at least this many...
const MIN_PAIRS: usize = 8;
/// ...and at most this many while the spread is wider than ±10%.
const MAX_PAIRS: usize = 30;
/// How long one boot may take before the machine is called unable to boot.
const BOOT_DEADLINE: Duration = Duration::from_secs(20);

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

/// Seconds from spawning QEMU to our first frame (`wait_for_hello`) or to
/// QEMU's exit; `None` if that did not happen within [`BOOT_DEADLINE`].
fn timed(mut command: std::process::Command, wait_for_hello: bool) -> Option<f64> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let start = Instant::now();
    let mut child = command.spawn().expect("QEMU starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let (done, finished) = mpsc::channel();
    // The reader runs on its own thread so that a guest that never sends a
    // frame cannot hang the benchmark: the deadline below kills QEMU, which
    // ends the read.
    std::thread::spawn(move || {
        let mut decoder = StreamDecoder::new();
        let mut buffer = [0u8; 4096];
        loop {
            let read = stdout.read(&mut buffer).unwrap_or(0);
            if read == 0 {
                let _ = done.send(!wait_for_hello);
                return;
            }
            if wait_for_hello
                && decoder.push(&buffer[..read]).into_iter().any(|item| {
                    matches!(item, StreamItem::Frame(frame) if matches!(frame.message, Message::Hello(_)))
                })
            {
                let _ = done.send(true);
                return;
            }
        }
    });
    let outcome = finished.recv_timeout(BOOT_DEADLINE);
    let elapsed = start.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    match outcome {
        Ok(true) => Some(elapsed.as_secs_f64()),
        _ => None,
    }
}

/// First frame over empty-kernel exit on `machine`: alternating pairs,
/// repeated until steady (or the bound). `Err` says why it could not be
/// measured.
fn ratio_on(machine: Machine) -> Result<Figure, String> {
    let ours = built_image("smoke");
    let mut empty = ours.clone();
    empty.kernel = ours.dir.join("empty-pvh.elf");
    std::fs::write(&empty.kernel, empty_kernel()).expect("writing the empty kernel");
    let options = QemuOptions {
        machine,
        ..QemuOptions::default()
    };
    // Warm up QEMU and the host's caches first (not counted), and find out
    // whether this machine boots both kernels at all.
    timed(image_builder::qemu::command(&empty, &options), false).ok_or_else(|| {
        format!("the empty PVH kernel did not exit within {BOOT_DEADLINE:?} on {machine}")
    })?;
    timed(image_builder::qemu::command(&ours, &options), true).ok_or_else(|| {
        format!("our kernel sent no Hello frame within {BOOT_DEADLINE:?} on {machine}")
    })?;
    let mut first_frame = Vec::new();
    let mut empty_exit = Vec::new();
    let mut failures = 0;
    let columns = sample_until_steady(MIN_PAIRS, MAX_PAIRS, || {
        loop {
            let empty_s = timed(image_builder::qemu::command(&empty, &options), false);
            let ours_s = timed(image_builder::qemu::command(&ours, &options), true);
            if let (Some(empty_s), Some(ours_s)) = (empty_s, ours_s) {
                empty_exit.push(empty_s);
                first_frame.push(ours_s);
                return vec![ours_s / empty_s];
            }
            failures += 1;
            assert!(failures < 3, "boots on {machine} keep failing");
        }
    });
    let ratio = summarize(&mut columns[0].clone());
    let ours_s = summarize(&mut first_frame);
    let empty_s = summarize(&mut empty_exit);
    let (id, name) = match machine {
        Machine::Q35 => (
            "boot_over_floor_q35",
            "boot overhead on q35 (first frame / empty PVH kernel exit)",
        ),
        Machine::Microvm => (
            "boot_over_floor_microvm",
            "boot overhead on microvm (first frame / empty PVH kernel exit)",
        ),
        Machine::IsoBios | Machine::IsoUefi => {
            return Err(format!(
                "no boot-overhead figure on {machine}: its floor is an empty PVH kernel, which GRUB does not load"
            ));
        }
    };
    Ok(
        Figure::summarised(id, name, ratio, Sampling::Repeated, Target::AtMost(1.2))
            .detail(format!(
                "QEMU start to our Hello frame {:.0} ms, to an empty PVH kernel's exit {:.0} ms (medians of {} alternating pairs; the figure is the median of the pairs' ratios)",
                ours_s.median * 1000.0,
                empty_s.median * 1000.0,
                ratio.n
            ))
            .method(
                "Wall clock from spawning QEMU (the same command line: TCG, the disk, the debug-exit device) to \
                 the first decoded frame of our kernel, against the same command booting a 220-byte PVH kernel \
                 that exits at once; one ratio per back-to-back pair.",
            ),
    )
}

pub fn measure(report: &mut Report, chosen: &BTreeSet<&'static str>) {
    for (machine, id) in [
        (Machine::Q35, "boot_over_floor_q35"),
        (Machine::Microvm, "boot_over_floor_microvm"),
    ] {
        if !chosen.contains(id) {
            continue;
        }
        let figure = ratio_on(machine).unwrap_or_else(|reason| {
            Figure::missing(
                id,
                "boot overhead (first frame / empty PVH kernel exit)",
                Target::AtMost(1.2),
                reason,
            )
        });
        report.figures.push(figure);
    }
}
