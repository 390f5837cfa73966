//! Fault injection, as init of the `faults` image: runs out of memory, fills
//! the process table (twice each), and overflows the telemetry ring, and
//! checks that the kernel kept going and leaked nothing: memory after the
//! second round is exactly what it was after the first. (The first round
//! may keep a few frames for good, such as the kernel page tables that map
//! the kernel-stack windows of process slots used for the first time; the
//! program logs how many, and a leak would grow with every round.)
//!
//! Each injection is announced by a log line starting `inject ` (the
//! dashboard collects those into its headless JSON), each check prints
//! `PASS name` or `FAIL name: detail`; the exit status is the number of
//! failures, which powers the machine off with it.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::vec::Vec;
use kernel_abi::MemInfo;
use userlib::process::ExitStatus;
use userlib::verdict::Verdicts;
use userlib::{Errno, Signal, memory, println, process, signal, time};

userlib::entry!(run);

const PAGE: u64 = 4096;
/// The heap grows in steps of this many bytes while memory lasts.
const OOM_STEP: u64 = 256 * 1024;
/// Log lines written back to back to overflow the telemetry ring.
const FLOOD_LINES: usize = 4_000;
/// How long to let the telemetry ring drain before reporting.
const DRAIN_MS: u64 = 1_500;

/// Whether memory is where it was: every frame and swap slot given back
/// (page-cache pages are reclaimable, so they count with the free ones).
fn same_memory(before: &MemInfo, after: &MemInfo) -> bool {
    before.free_frames + before.cached_pages == after.free_frames + after.cached_pages
        && before.swap_used == after.swap_used
}

/// A child grows its heap and touches every page until the kernel says no:
/// `brk` fails with ENOMEM, or a page fault finds neither a frame nor a
/// swap slot and the kernel kills it with SIGKILL.
fn out_of_memory(verdicts: &mut Verdicts, baseline: &MemInfo) {
    println!(
        "inject oom: a child touches memory until none is left ({} frames free, {} swap slots)",
        baseline.free_frames,
        baseline.swap_total - baseline.swap_used
    );
    let child = match process::fork() {
        Ok(0) => {
            let mut grown = 0u64;
            loop {
                let Ok(start) = memory::sbrk(OOM_STEP) else {
                    println!("oom child: brk refused more after {} KiB", grown / 1024);
                    process::exit(3);
                };
                let mut page = start;
                while page < start + OOM_STEP {
                    memory::touch(page, 0x5a);
                    page += PAGE;
                }
                grown += OOM_STEP;
            }
        }
        Ok(child) => child,
        Err(error) => {
            verdicts.check("oom-fork", false, format_args!("{error:?}"));
            return;
        }
    };
    let status = process::reap(child);
    println!("inject oom: result child {child} ended {status:?}");
    verdicts.check(
        "oom-child-stopped",
        matches!(
            status,
            Some(ExitStatus::Killed(9)) | Some(ExitStatus::Exited(3))
        ),
        format_args!("{status:?}"),
    );
}

/// Forks sleeping children until the kernel refuses one (the process
/// table is full, or memory is), then kills them all.
fn process_storm(verdicts: &mut Verdicts) {
    println!("inject fork-storm: fork until the kernel refuses");
    let mut children: Vec<u32> = Vec::new();
    let refusal = loop {
        match process::fork() {
            Ok(0) => {
                let _ = time::sleep_ms(120_000);
                process::exit(0);
            }
            Ok(child) => children.push(child),
            Err(error) => break error,
        }
    };
    for &child in &children {
        let _ = signal::kill(child, Signal::SIGKILL);
    }
    let killed = children
        .iter()
        .filter(|&&child| process::reap(child) == Some(ExitStatus::Killed(9)))
        .count();
    // Two thousand spawn, exit and reap frames filled the ring: let it
    // drain before reporting.
    let _ = time::sleep_ms(DRAIN_MS);
    println!(
        "inject fork-storm: result {} children, then {refusal:?}",
        children.len()
    );
    verdicts.check(
        "storm-refused-cleanly",
        matches!(refusal, Errno::EAGAIN | Errno::ENOMEM) && children.len() >= 100,
        format_args!("{} children, {refusal:?}", children.len()),
    );
    verdicts.check(
        "storm-all-reaped",
        killed == children.len(),
        format_args!("{killed} of {} killed and reaped", children.len()),
    );
    let again = process::fork();
    if again == Ok(0) {
        process::exit(7);
    }
    let status = again.ok().and_then(process::reap);
    verdicts.check(
        "storm-fork-works-again",
        status == Some(ExitStatus::Exited(7)),
        format_args!("{again:?} {status:?}"),
    );
}

/// Writes log lines faster than the serial line drains them, while a
/// child exits: the ring fills, frames are dropped and counted, and the
/// next snapshot round shows the host that the child is gone.
fn ring_overflow(verdicts: &mut Verdicts) {
    println!("inject ring-overflow: {FLOOD_LINES} log lines back to back, a child exits meanwhile");
    let child = match process::fork() {
        Ok(0) => {
            let _ = time::sleep_ms(20);
            process::exit(5);
        }
        Ok(child) => child,
        Err(error) => {
            verdicts.check("flood-fork", false, format_args!("{error:?}"));
            return;
        }
    };
    for line in 0..FLOOD_LINES {
        println!(
            "flood {line:5}: a line of about two hundred bytes, to fill the telemetry ring faster \
             than the 16550 can drain it at 115200 baud ......................................."
        );
    }
    let status = process::reap(child);
    // Let the ring drain and snapshot rounds (every 500 ms) carry the truth
    // to the host before reporting (a report sent into a full ring would be
    // dropped too).
    let _ = time::sleep_ms(DRAIN_MS);
    verdicts.check(
        "flood-child-reaped",
        status == Some(ExitStatus::Exited(5)),
        format_args!("{status:?}"),
    );
    println!("inject ring-overflow: result child {child} gone, flood over");
}

fn run(_args: userlib::Args) -> i32 {
    let mut verdicts = Verdicts::new();
    let baseline = memory::meminfo();
    println!(
        "chaos: baseline {} free frames of {}, swap {}/{}, {} cached",
        baseline.free_frames,
        baseline.total_frames,
        baseline.swap_used,
        baseline.swap_total,
        baseline.cached_pages
    );
    let mut after_round = Vec::new();
    for round in 1..=2 {
        out_of_memory(&mut verdicts, &baseline);
        process_storm(&mut verdicts);
        let after = memory::meminfo();
        println!(
            "chaos: after round {round}: {} free frames, swap {}, {} cached",
            after.free_frames, after.swap_used, after.cached_pages
        );
        after_round.push(after);
    }
    let (first, second) = (&after_round[0], &after_round[1]);
    println!(
        "chaos: kept for good after the first round: {} frame(s)",
        (baseline.free_frames + baseline.cached_pages)
            .saturating_sub(first.free_frames + first.cached_pages)
    );
    verdicts.check(
        "no-leak-across-rounds",
        same_memory(first, second),
        format_args!("{first:?} then {second:?}"),
    );
    ring_overflow(&mut verdicts);
    println!("chaos: done, {} failure(s)", verdicts.failures());
    verdicts.failures()
}
