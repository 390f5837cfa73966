//! The demo's init: keeps a small, lively system going forever.
//!
//! It starts three long-running programs whose memory changes over minutes
//! (`heapwave`, a heap that grows and shrinks in phases; `reader`, a large
//! file read with major faults and page-cache hits; `cowfork`, a parent
//! whose children write to copy-on-write pages) and starts one again, after
//! a pause, if it ends (a user may kill it). Beside them it keeps a few
//! short-lived programs alive at all times, starting a new one whenever one
//! ends: workers that allocate memory and exit with a status, forkers whose
//! children signal them, semaphore ping-pong through the IPC service, and
//! now and then a spinner that init stops with SIGTERM. It reaps every
//! child, so the process table never fills with zombies, and says what it
//! sees.
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::process::{self, ExitStatus};
use userlib::signal;
use userlib::{Signal, println, time};

userlib::entry!(run);

/// Short-lived programs kept alive at once.
const LIVE: usize = 4;

/// The long-running programs: name and arguments.
const LONG_RUNNING: [(&str, &[&str]); 3] = [("heapwave", &[]), ("reader", &[]), ("cowfork", &[])];

/// How long init waits before starting a long-running program again.
const RESTART_AFTER_NS: u64 = 5_000_000_000;

/// A long-running program: its pid while it runs, else when it ended.
#[derive(Clone, Copy)]
enum Long {
    Running(userlib::Pid),
    EndedAt(u64),
}

fn run(_args: userlib::Args) -> i32 {
    println!("init: starting the demo system");
    let mut round: u64 = 0;
    let mut alive: usize = 0;
    let mut spinner: Option<(userlib::Pid, u64)> = None;
    let mut long = [Long::EndedAt(0); LONG_RUNNING.len()];
    let mut first = true;
    loop {
        for (slot, (name, args)) in long.iter_mut().zip(LONG_RUNNING) {
            if let Long::EndedAt(at) = *slot
                && (first || time::clock_ns() - at > RESTART_AFTER_NS)
            {
                match process::spawn(name, args) {
                    Ok(pid) => *slot = Long::Running(pid),
                    Err(error) => {
                        println!("init: cannot start {name}: {error:?}");
                        *slot = Long::EndedAt(time::clock_ns());
                    }
                }
            }
        }
        first = false;
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
            match long
                .iter_mut()
                .zip(LONG_RUNNING)
                .find(|(slot, _)| matches!(slot, Long::Running(running) if *running == pid))
            {
                Some((slot, (name, _))) => {
                    *slot = Long::EndedAt(time::clock_ns());
                    println!(
                        "init: {name} (pid {pid}) ended; starting it again in {} s",
                        RESTART_AFTER_NS / 1_000_000_000
                    );
                }
                None => alive = alive.saturating_sub(1),
            }
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
