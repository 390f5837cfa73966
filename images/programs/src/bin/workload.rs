//! A fixed workload for the telemetry-overhead benchmark: forks children
//! that touch memory and exit, and signals them, `rounds` times (first
//! argument, default 150); prints `BENCH workload_ns` with the time taken.
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::{Signal, memory, println, process, signal, time};

userlib::entry!(run);

fn run(args: userlib::Args) -> i32 {
    let rounds: u64 = args.number(1).unwrap_or(150);
    let heap = memory::sbrk(32 * 4096).expect("sbrk");
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
    // Let the telemetry drain before reporting, so the report is not stuck
    // behind it.
    let _ = time::sleep_ms(500);
    println!("BENCH workload_ns median={elapsed} p10={elapsed} p90={elapsed} n=1");
    0
}
