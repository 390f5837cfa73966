//! A test subscriber (a system service) that a test driver steers with
//! messages, to make the process-event rules observable:
//!
//! | request (`sendrec`) | payload | effect | reply |
//! | --- | --- | --- | --- |
//! | `SUBSCRIBE` | mask | `proceventmask(mask)` | result |
//! | `MODE` | mode, milliseconds | how to treat the next events: ack at once (0), after a delay (1), never: hold them (2), crash without acking (3) | 0 |
//! | `RELEASE` | | ack every held event now | number acked |
//! | `BOGUS_ACK` | pid, kind | send an ack that matches nothing | result |
//! | `STATS` | | | `[events, acks, held]` in the payload |
//! | `QUIT` | | exit at once, without acking what it holds (a service that dies; ordinary programs may not signal services) | 0, before it exits |
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::vec::Vec;
use userlib::ipc::{self, ANY, Message, ProcessEvent};
use userlib::{Errno, println, time};

userlib::entry!(run);

/// Request kinds.
const SUBSCRIBE: u64 = 0x200;
const MODE: u64 = 0x201;
const RELEASE: u64 = 0x202;
const BOGUS_ACK: u64 = 0x203;
const STATS: u64 = 0x204;
const QUIT: u64 = 0x205;

/// Modes.
const ACK_AT_ONCE: u64 = 0;
const ACK_AFTER_DELAY: u64 = 1;
const HOLD: u64 = 2;
const CRASH: u64 = 3;

fn result_word(result: Result<(), Errno>) -> u64 {
    match result {
        Ok(()) => 0,
        Err(error) => error.as_return() as u64,
    }
}

fn run(_args: userlib::Args) -> i32 {
    let (mut mode, mut delay_ms) = (ACK_AT_ONCE, 0);
    let mut held: Vec<ProcessEvent> = Vec::new();
    let (mut events, mut acks) = (0u64, 0u64);
    loop {
        let Ok(message) = ipc::receive(ANY) else {
            continue;
        };
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
            STATS => Message::new(0, [events, acks, held.len() as u64, 0, 0, 0]),
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
