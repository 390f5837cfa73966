//! The demo's init: keeps a small, lively system going forever.
//!
//! It keeps a few programs alive at all times, starting a new one whenever
//! one ends: workers that allocate memory and exit with a status, forkers
//! whose children signal them, semaphore ping-pong through the IPC service,
//! and now and then a spinner that init stops with SIGTERM. It reaps every child, so the process table never fills with
//! zombies, and says what it sees.
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::process::{self, ExitStatus};
use userlib::signal;
use userlib::{Signal, println, time};

userlib::entry!(run);

/// Programs kept alive at once.
const LIVE: usize = 4;

fn run(_args: userlib::Args) -> i32 {
    println!("init: starting the demo system");
    let mut round: u64 = 0;
    let mut alive: usize = 0;
    let mut spinner: Option<(userlib::Pid, u64)> = None;
    loop {
        while alive < LIVE {
            round += 1;
            let started = match round % 6 {
                0 => process::spawn("forker", &[]),
                5 => process::spawn("pingpong", &["30"]),
                1 | 3 => process::spawn("worker", &[kib_for(round), ms_for(round)]),
                2 => process::spawn("worker", &["64", "900"]),
                _ if spinner.is_none() => process::spawn("spinner", &[]).inspect(|&pid| {
                    spinner = Some((pid, time::clock_ns()));
                }),
                _ => process::spawn("worker", &["16", "300"]),
            };
            match started {
                Ok(_) => alive += 1,
                Err(error) => {
                    println!("init: cannot start a program: {error:?}");
                    break;
                }
            }
        }
        if let Some((pid, since)) = spinner
            && time::clock_ns() - since > 700_000_000
        {
            let _ = signal::kill(pid, Signal::SIGTERM);
            spinner = None;
        }
        while let Ok(Some((pid, status))) = process::try_wait_any() {
            alive = alive.saturating_sub(1);
            match status {
                ExitStatus::Exited(code) => println!("init: pid {pid} exited with {code}"),
                ExitStatus::Killed(signal) => println!("init: pid {pid} killed by signal {signal}"),
            }
        }
        let _ = time::sleep_ms(100);
    }
}

fn kib_for(round: u64) -> &'static str {
    ["32", "128", "256", "512"][(round % 4) as usize]
}

fn ms_for(round: u64) -> &'static str {
    ["400", "800", "1200", "1600"][(round % 4) as usize]
}
