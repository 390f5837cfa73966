//! Forks a child that works for a while and then signals its parent with
//! SIGUSR1; the parent waits for the signal (its sleep is interrupted), then
//! reaps the child and exits.
#![cfg_attr(target_os = "none", no_std, no_main)]

use core::sync::atomic::{AtomicU32, Ordering};
use userlib::{Errno, Signal, println, process, signal, time};

userlib::entry!(run);

static SIGNALLED: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_usr1(_signal: u64) {
    SIGNALLED.fetch_add(1, Ordering::SeqCst);
}

fn run(_args: userlib::Args) -> i32 {
    let _ = signal::catch(Signal::SIGUSR1, on_usr1);
    match process::fork() {
        Ok(0) => {
            let parent = process::getppid();
            let _ = time::sleep_ms(300);
            let _ = signal::kill(parent, Signal::SIGUSR1);
            0
        }
        Ok(child) => {
            let slept = time::sleep_ms(5_000);
            let status = process::wait_for(child);
            let interrupted = slept == Err(Errno::EINTR);
            println!(
                "forker {}: child {child} signalled me ({} handled, sleep interrupted: {interrupted}), child {status:?}",
                process::getpid(),
                SIGNALLED.load(Ordering::SeqCst)
            );
            0
        }
        Err(error) => {
            println!("forker: fork failed: {error:?}");
            1
        }
    }
}
