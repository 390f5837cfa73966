//! The soak: init of the `soak` image. Runs rounds of load forever (or for
//! the rounds given as its first argument, then exits 0): each round starts
//! a batch of programs that allocate more memory than the machine has (so
//! pages go to swap and come back), fork, signal, ping-pong through the IPC
//! service and get stopped with SIGTERM, with the two services acking
//! every process event, then waits for all of them.
//!
//! After each round the system is quiet, so memory must be exactly where it
//! was after the first round (the first one may keep frames for good, such
//! as kernel page tables for process slots used for the first time). Each round logs one
//! line, `soak: round N ok ...` or `soak: round N LEAK ...`; a leak also
//! makes the exit status non-zero when the rounds end.
#![cfg_attr(target_os = "none", no_std, no_main)]

use kernel_abi::MemInfo;
use userlib::process;
use userlib::{Pid, Signal, memory, println, signal, time};

userlib::entry!(run);

/// Programs in one round's batch, with their arguments.
const BATCH: [(&str, &[&str]); 8] = [
    ("worker", &["14336", "600"]),
    ("worker", &["14336", "800"]),
    ("worker", &["256", "300"]),
    ("forker", &[]),
    ("forker", &[]),
    ("pingpong", &["20"]),
    ("spinner", &[]),
    ("exit-with", &["3"]),
];

/// How long the spinner runs before it gets SIGTERM.
const SPINNER_MS: u64 = 400;

/// Runs one batch to the end; how many programs could not start.
fn one_round() -> usize {
    let mut started: [Option<Pid>; BATCH.len()] = [None; BATCH.len()];
    let mut failed = 0;
    for (slot, (name, args)) in started.iter_mut().zip(BATCH) {
        match process::spawn(name, args) {
            Ok(pid) => *slot = Some(pid),
            Err(error) => {
                println!("soak: cannot start {name}: {error:?}");
                failed += 1;
            }
        }
    }
    let _ = time::sleep_ms(SPINNER_MS);
    for (slot, (name, _)) in started.iter().zip(BATCH) {
        if let (Some(pid), "spinner") = (slot, name) {
            let _ = signal::kill(*pid, Signal::SIGTERM);
        }
    }
    for pid in started.iter().flatten() {
        let _ = process::reap(*pid);
    }
    // The services ack the exits; memory and slots come back once they
    // have (the status is collected before, as in MINIX).
    for pid in started.iter().flatten() {
        if !process::wait_released(*pid, 10_000) {
            println!("soak: pid {pid} not released 10 s after it was reaped");
            failed += 1;
        }
    }
    failed
}

/// Frames in use by something other than the page cache, and swap in use.
fn footprint(info: &MemInfo) -> (u64, u64) {
    (
        info.total_frames - info.free_frames - info.cached_pages,
        info.swap_used,
    )
}

fn run(args: userlib::Args) -> i32 {
    let rounds: u64 = args.number(1).unwrap_or(0);
    let start = memory::meminfo();
    println!(
        "soak: starting ({} rounds; 0 is forever): {} frames, {} swap slots",
        rounds, start.total_frames, start.swap_total
    );
    let mut steady: Option<(u64, u64)> = None;
    let mut leaks = 0u64;
    let mut round = 0u64;
    while rounds == 0 || round < rounds {
        round += 1;
        let began = time::clock_ns();
        let failed = one_round();
        let info = memory::meminfo();
        let (frames, swap) = footprint(&info);
        let took_ms = (time::clock_ns() - began) / 1_000_000;
        let (base_frames, base_swap) = *steady.get_or_insert((frames, swap));
        if (frames, swap) == (base_frames, base_swap) && failed == 0 {
            println!(
                "soak: round {round} ok in {took_ms} ms: {frames} frames used, swap {swap}, {} cached",
                info.cached_pages
            );
        } else {
            leaks += 1;
            println!(
                "soak: round {round} LEAK in {took_ms} ms: {frames} frames used (steady {base_frames}), \
                 swap {swap} (steady {base_swap}), {failed} program(s) did not start"
            );
        }
    }
    println!("soak: done, {round} rounds, {leaks} with a leak");
    i32::from(leaks > 0)
}
