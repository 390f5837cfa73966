//! A fixed workload for the telemetry-overhead benchmark: forks children
//! that touch memory and exit, and signals them, `rounds` times (first
//! argument, default 150); prints `BENCH workload_ns` with the time taken
//! and, when booted with `bench=on`, the kernel's telemetry cycles and busy
//! cycles over the same stretch (`BENCH telemetry_send_cycles`,
//! `telemetry_drain_cycles`, `busy_cycles`, `telemetry_frames`).
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::bench::{Cost, report_one};
use userlib::{Signal, memory, println, process, signal, time};

userlib::entry!(run);

fn run(args: userlib::Args) -> i32 {
    let rounds: u64 = args.number(1).unwrap_or(150);
    let heap = memory::sbrk(32 * 4096).expect("sbrk");
    let cost_before = Cost::now();
    let start = time::clock_ns();
    for round in 0..rounds {
        match process::fork() {
            Ok(0) => {
                for page in 0..32 {
                    memory::touch(heap + page * 4096, round as u8);
                }
                process::exit(0);
            }
            Ok(child) => {
                if round % 3 == 0 {
                    let _ = signal::kill(child, Signal::SIGTERM);
                }
                let _ = process::wait_for(child);
            }
            Err(error) => {
                println!("workload: fork failed: {error:?}");
                return 1;
            }
        }
    }
    let elapsed = time::clock_ns() - start;
    let cost = match (cost_before, Cost::now()) {
        (Ok(before), Ok(after)) => Some(after.since(&before)),
        _ => None,
    };
    // Let the telemetry drain before reporting, so the report is not stuck
    // behind it.
    let _ = time::sleep_ms(500);
    report_one("workload_ns", elapsed);
    if let Some(cost) = cost {
        report_one("telemetry_send_cycles", cost.send_cycles);
        report_one("telemetry_drain_cycles", cost.drain_cycles);
        report_one("busy_cycles", cost.busy_cycles);
        report_one("telemetry_frames", cost.frames_queued);
    }
    0
}
