//! The test subscriber: a system service that a test driver steers with
//! messages, to make the process-event rules observable. The requests,
//! modes and replies are `userlib::testsub`'s protocol.
//!
//! It catches SIGUSR1 (counting handler runs), so that a signal sent to it
//! shows whether the PM treated it as a service (a `SIGS_SIGNAL_RECEIVED`
//! message, no handler, no SIGNAL event) or as a program.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel_abi::ipc::{PM, SIGS_SIGNAL_RECEIVED};
use userlib::ipc::{self, ANY, Message, ProcessEvent};
use userlib::testsub::{
    ACK_AFTER_DELAY, ACK_AT_ONCE, BOGUS_ACK, CRASH, FORK_PROBE, HOLD, MODE, QUIT, RELEASE, STATS,
    SUBSCRIBE, Stats, result_word,
};
use userlib::{Errno, Signal, println, process, signal, time};

userlib::entry!(run);

/// Times the SIGUSR1 handler ran.
static HANDLER_RUNS: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_usr1(_signal: u64) {
    HANDLER_RUNS.fetch_add(1, Ordering::Relaxed);
}

fn run(_args: userlib::Args) -> i32 {
    let (mut mode, mut delay_ms) = (ACK_AT_ONCE, 0);
    let mut held: Vec<ProcessEvent> = Vec::new();
    let (mut events, mut acks, mut signal_messages) = (0u64, 0u64, 0u64);
    let _ = signal::catch(Signal::SIGUSR1, on_usr1);
    loop {
        let Ok(message) = ipc::receive(ANY) else {
            continue;
        };
        if message.source == PM && message.kind == SIGS_SIGNAL_RECEIVED {
            signal_messages += 1;
            continue;
        }
        if let Some(event) = ProcessEvent::from_message(&message) {
            events += 1;
            match mode {
                ACK_AFTER_DELAY => {
                    let _ = time::sleep_ms(delay_ms);
                    acks += u64::from(event.ack().is_ok());
                }
                HOLD => held.push(event),
                CRASH => {
                    println!(
                        "testsub: crashing in the middle of event {} (pid {})",
                        event.event_id, event.pid
                    );
                    return 3;
                }
                _ => acks += u64::from(event.ack().is_ok()),
            }
            continue;
        }
        let client = message.source;
        let [first, second, ..] = message.payload;
        let reply = match message.kind {
            SUBSCRIBE => Message::new(result_word(ipc::subscribe(first)), [0; 6]),
            MODE => {
                mode = first;
                delay_ms = second;
                Message::new(0, [0; 6])
            }
            RELEASE => {
                let released = held.len() as u64;
                for event in held.drain(..) {
                    acks += u64::from(event.ack().is_ok());
                }
                Message::new(released, [0; 6])
            }
            BOGUS_ACK => Message::new(result_word(ipc::ack_raw(first as u32, second, 0)), [0; 6]),
            STATS => Message::new(
                0,
                Stats {
                    events,
                    acks,
                    held: held.len() as u64,
                    signal_messages,
                    handler_runs: HANDLER_RUNS.load(Ordering::Relaxed),
                }
                .to_payload(),
            ),
            FORK_PROBE => match process::fork() {
                Ok(0) => {
                    let refused = ipc::subscribe(kernel_abi::ipc::EVENT_EXIT) == Err(Errno::EPERM);
                    process::exit(if refused { 0 } else { 1 });
                }
                Ok(child) => {
                    let status = match process::reap(child) {
                        Some(process::ExitStatus::Exited(code)) => code as u64,
                        _ => 2,
                    };
                    Message::new(status, [0; 6])
                }
                Err(error) => Message::new(error.as_return() as u64, [0; 6]),
            },
            QUIT => {
                let _ = ipc::reply(client, &Message::new(0, [0; 6]));
                println!("testsub: quitting with {} event(s) held", held.len());
                return 9;
            }
            _ => Message::new(Errno::ENOSYS.as_return() as u64, [0; 6]),
        };
        let _ = ipc::reply(client, &reply);
    }
}
