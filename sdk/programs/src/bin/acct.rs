//! The accounting service: a second subscriber (EXIT, SIGNAL, SPAWN) that
//! counts what happens to processes and acks every event at once. With the
//! IPC service it makes the order of notification across subscribers real
//! and visible.
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::ipc::{self, ANY, EventKind, ProcessEvent};
use userlib::println;

userlib::entry!(run);

fn run(_args: userlib::Args) -> i32 {
    let mask = EventKind::Exit.bit() | EventKind::Signal.bit() | EventKind::Spawn.bit();
    if let Err(error) = ipc::subscribe(mask) {
        println!("acct: cannot subscribe to process events: {error:?}");
        return 1;
    }
    println!("acct: accounting spawns, signals and exits");
    let (mut spawns, mut signals, mut exits) = (0u64, 0u64, 0u64);
    loop {
        let Ok(message) = ipc::receive(ANY) else {
            continue;
        };
        let Some(event) = ProcessEvent::from_message(&message) else {
            continue;
        };
        match event.kind {
            EventKind::Spawn => spawns += 1,
            EventKind::Signal => signals += 1,
            EventKind::Exit => exits += 1,
        }
        let _ = event.ack();
        let total = spawns + signals + exits;
        if total % 50 == 0 {
            println!("acct: {total} events: {spawns} spawns, {signals} signals, {exits} exits");
        }
    }
}
