//! The benchmark service: answers every request at once with an empty reply
//! (the far end of a null `sendrec`), acks every process event at once, and
//! subscribes to the mask a request of kind `SUBSCRIBE` names, and tells a
//! `WHO` request who the kernel says sent it.
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::ipc::{self, ANY, Message, ProcessEvent};

userlib::entry!(run);

/// Request: subscribe to the mask in payload word 0; reply: the result.
const SUBSCRIBE: u64 = 0x300;
/// Request: who sent this? Reply: payload word 0 is the request's source as
/// the kernel stamped it (the isolation check of forged senders).
const WHO: u64 = 0x301;

fn run(_args: userlib::Args) -> i32 {
    loop {
        let Ok(message) = ipc::receive(ANY) else {
            continue;
        };
        if let Some(event) = ProcessEvent::from_message(&message) {
            let _ = event.ack();
            continue;
        }
        let reply = match message.kind {
            SUBSCRIBE => {
                let result = match ipc::subscribe(message.payload[0]) {
                    Ok(()) => 0,
                    Err(error) => error.as_return() as u64,
                };
                Message::new(result, [0; 6])
            }
            WHO => Message::new(0, [message.source, 0, 0, 0, 0, 0]),
            _ => Message::new(0, [0; 6]),
        };
        let _ = ipc::reply(message.source, &reply);
    }
}
