//! The message and process-event benchmark (init of the `bench-ipc`
//! image). Prints `BENCH` lines for the runner (cycles) and `PHASE` lines
//! that bracket the stretches whose PM telemetry (Ack latencies, event
//! completion times) the runner measures:
//!
//! 1. a null `sendrec` round trip to the `echo-1` service, and its floor:
//!    a null system call (`getpid`) and two address-space switches (the
//!    benchmark system call: to `echo-1`'s page tables and back; needs
//!    `bench=on`), so the runner can compare the round trip with two null
//!    system calls plus two switches, all measured in this boot (with the
//!    argument `floor`, only this step runs);
//! 2. publish to last ack of one SIGNAL event (`kill` of itself, a handler
//!    installed) with 1, 2, 4 and 8 subscribers (`echo-1` ... `echo-8`);
//! 3. 10, 100 and 1000 processes exiting together, one EXIT subscriber.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::vec::Vec;
use kernel_abi::syscall::BenchKind;
use userlib::ipc::{self, EventKind, Message};
use userlib::{Signal, bench, println, process, signal, time};

userlib::entry!(run);

const SUBSCRIBE: u64 = 0x300;

extern "C" fn on_usr1(_signal: u64) {}

fn services() -> Vec<u64> {
    (1..=8)
        .map(|n| {
            let name = [
                "echo-1", "echo-2", "echo-3", "echo-4", "echo-5", "echo-6", "echo-7", "echo-8",
            ][n - 1];
            u64::from(ipc::lookup_service(name).unwrap_or(0))
        })
        .collect()
}

fn subscribe(service: u64, mask: u64) {
    let mut message = Message::new(SUBSCRIBE, [mask, 0, 0, 0, 0, 0]);
    let _ = ipc::sendrec(service, &mut message);
}

fn run(args: userlib::Args) -> i32 {
    let iterations: usize = args.number(1).unwrap_or(2000);
    let echo = services();

    // 1. Null sendrec round trip.
    let mut samples = Vec::with_capacity(iterations);
    for round in 0..iterations + 100 {
        let mut message = Message::new(0, [0; 6]);
        let start = time::cycles();
        let _ = ipc::sendrec(echo[0], &mut message);
        let cycles = time::cycles() - start;
        if round >= 100 {
            samples.push(cycles);
        }
    }
    bench::report("ipc_rtt_cycles", &mut samples);
    let mut samples = Vec::with_capacity(iterations);
    for round in 0..iterations + 100 {
        let start = time::cycles();
        let pid = process::getpid();
        let cycles = time::cycles() - start;
        core::hint::black_box(pid);
        if round >= 100 {
            samples.push(cycles);
        }
    }
    bench::report("null_syscall_cycles", &mut samples);
    match bench::kernel(BenchKind::AddressSpaceSwitch, echo[0], iterations as u64) {
        Ok(cycles) => println!(
            "BENCH address_space_switch_cycles median={cycles} p10={cycles} p90={cycles} n={iterations}"
        ),
        Err(error) => println!("ipcbench: address-space switch floor unavailable: {error:?}"),
    }
    if args.get(2) == Some("floor") {
        return 0;
    }

    // 2. One SIGNAL event, published to 1, 2, 4, 8 subscribers.
    let _ = signal::catch(Signal::SIGUSR1, on_usr1);
    let me = process::getpid();
    for subscribers in [1usize, 2, 4, 8] {
        for service in &echo[..subscribers] {
            subscribe(*service, EventKind::Signal.bit());
        }
        let _ = time::sleep_ms(300);
        println!("PHASE signal subscribers={subscribers} start");
        let mut samples = Vec::with_capacity(iterations / 4);
        for round in 0..iterations / 4 {
            let start = time::cycles();
            let _ = signal::kill(me, Signal::SIGUSR1);
            samples.push(time::cycles() - start);
            // Let the telemetry of each batch drain while idle.
            if round % 50 == 49 {
                let _ = time::sleep_ms(100);
            }
        }
        let _ = time::sleep_ms(300);
        println!("PHASE signal subscribers={subscribers} end");
        let mut name = [0u8; 32];
        bench::report(
            label(&mut name, "signal_to_handler_cycles_subs_", subscribers),
            &mut samples,
        );
        for service in &echo[..subscribers] {
            subscribe(*service, 0);
        }
    }

    // 3. N processes exiting together, one EXIT subscriber.
    subscribe(echo[0], EventKind::Exit.bit());
    for count in [10u64, 100, 1000] {
        let _ = time::sleep_ms(300);
        let deadline = time::clock_ns() + 300_000_000 + count * 2_000_000;
        let mut children = Vec::new();
        for _ in 0..count {
            match process::fork() {
                Ok(0) => {
                    let now = time::clock_ns();
                    if deadline > now {
                        let _ = time::sleep_ns(deadline - now);
                    }
                    process::exit(0);
                }
                Ok(child) => children.push(child),
                Err(error) => {
                    println!(
                        "ipcbench: fork {} of {count} failed: {error:?}",
                        children.len() + 1
                    );
                    break;
                }
            }
        }
        println!("PHASE exit processes={count} start");
        for _ in 0..children.len() {
            let _ = process::wait_any();
        }
        let _ = time::sleep_ms(500);
        println!("PHASE exit processes={count} end forked={}", children.len());
    }
    subscribe(echo[0], 0);
    println!("ipcbench: done");
    0
}

fn label<'a>(buffer: &'a mut [u8; 32], prefix: &str, number: usize) -> &'a str {
    let digit = b'0' + number as u8;
    let len = prefix.len() + 1;
    buffer[..prefix.len()].copy_from_slice(prefix.as_bytes());
    buffer[prefix.len()] = digit;
    core::str::from_utf8(&buffer[..len]).unwrap_or("signal")
}
