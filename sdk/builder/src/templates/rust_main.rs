//! {{NAME}}: a program of your own for the watchtower OS.
//!
//! It allocates memory (each new heap page is a page fault the dashboard
//! counts), forks a child, signals it, waits for it, and logs each step.
//! Every `println!` is one line of the kernel log, shown with this
//! process's pid. The runtime's documentation: `cargo doc -p userlib --open`
//! in the watchtower repository, and its docs/programs.md.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use userlib::process::{self, ExitStatus};
use userlib::{Signal, println, signal, time};

userlib::entry!(main);

/// Runs in the child when SIGUSR1 arrives.
extern "C" fn on_usr1(_signal: u64) {
    println!("{{NAME}}: child {} caught SIGUSR1", process::getpid());
}

fn main(_args: userlib::Args) -> i32 {
    println!("{{NAME}}: started as pid {}", process::getpid());

    // Memory: 1 MiB on the heap, touched one page at a time.
    let before = userlib::memory::vmstats();
    let mut buffer = alloc::vec::Vec::with_capacity(1 << 20);
    buffer.resize(1 << 20, 0u8);
    for page in buffer.chunks_mut(4096) {
        page[0] = 1;
    }
    let after = userlib::memory::vmstats();
    println!(
        "{{NAME}}: touched {} pages, {} minor faults",
        buffer.len() / 4096,
        after.minor_faults - before.minor_faults
    );

    // Processes and signals: a child that waits for SIGUSR1.
    match process::fork() {
        Ok(0) => {
            let _ = signal::catch(Signal::SIGUSR1, on_usr1);
            // The signal interrupts the sleep (EINTR).
            let interrupted = time::sleep_ms(5_000).is_err();
            println!("{{NAME}}: child woke up (interrupted: {interrupted})");
            process::exit(7)
        }
        Ok(child) => {
            println!("{{NAME}}: forked child {child}");
            let _ = time::sleep_ms(300);
            let _ = signal::kill(child, Signal::SIGUSR1);
            match process::reap(child) {
                Some(ExitStatus::Exited(status)) => {
                    println!("{{NAME}}: child {child} exited with status {status}")
                }
                Some(ExitStatus::Killed(signal)) => {
                    println!("{{NAME}}: child {child} was killed by signal {signal}")
                }
                None => println!("{{NAME}}: child {child} is gone"),
            }
        }
        Err(error) => println!("{{NAME}}: fork failed: {error:?}"),
    }

    println!("{{NAME}}: done");
    // The first program of the image is init: its exit powers off.
    0
}
