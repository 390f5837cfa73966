//! The control protocol of `testsub`, the test subscriber: a system
//! service that subscribes to process events and treats them as a test
//! driver (`pubtest`) tells it, so that the process-event rules become
//! observable. Both sides use this module: `testsub` serves the requests
//! below, a driver sends them with [`request`] and the functions after it.
//!
//! | request (`sendrec`) | payload | effect | reply `kind` / payload |
//! | --- | --- | --- | --- |
//! | [`SUBSCRIBE`] | mask | `proceventmask(mask)` | 0 or `-errno` |
//! | [`MODE`] | mode, milliseconds | how to treat the next events: [`ACK_AT_ONCE`], [`ACK_AFTER_DELAY`], [`HOLD`] them, [`CRASH`] without acking | 0 |
//! | [`RELEASE`] | | ack every held event now | number acked |
//! | [`BOGUS_ACK`] | pid, kind | send an ack that matches nothing | 0 or `-errno` |
//! | [`STATS`] | | | [`Stats`] in the payload |
//! | [`QUIT`] | | exit at once, without acking what it holds | 0, before it exits |
//! | [`FORK_PROBE`] | | fork; the child tries `proceventmask(EXIT)` and exits 0 if it got EPERM, 1 otherwise | the child's exit status |

use crate::ipc::{self, Message};
use crate::println;

/// Request: subscribe to the event kinds in the mask (0 unsubscribes).
pub const SUBSCRIBE: u64 = 0x200;
/// Request: how to treat the next events.
pub const MODE: u64 = 0x201;
/// Request: ack every held event.
pub const RELEASE: u64 = 0x202;
/// Request: send an ack that matches no event.
pub const BOGUS_ACK: u64 = 0x203;
/// Request: the counters.
pub const STATS: u64 = 0x204;
/// Request: exit at once.
pub const QUIT: u64 = 0x205;
/// Request: whether a forked child of the service may subscribe.
pub const FORK_PROBE: u64 = 0x206;

/// Mode: ack each event as it comes.
pub const ACK_AT_ONCE: u64 = 0;
/// Mode: ack each event after the given milliseconds.
pub const ACK_AFTER_DELAY: u64 = 1;
/// Mode: hold events unacked until [`RELEASE`].
pub const HOLD: u64 = 2;
/// Mode: crash (exit 3) in the middle of the next event.
pub const CRASH: u64 = 3;

/// A test subscriber's counters, as [`STATS`] answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events received.
    pub events: u64,
    /// Acks sent.
    pub acks: u64,
    /// Events held now.
    pub held: u64,
    /// Signals received as messages (the PM's `SIGS_SIGNAL_RECEIVED`).
    pub signal_messages: u64,
    /// Runs of its SIGUSR1 handler.
    pub handler_runs: u64,
}

impl Stats {
    /// The reply payload.
    pub fn to_payload(self) -> [u64; 6] {
        [
            self.events,
            self.acks,
            self.held,
            self.signal_messages,
            self.handler_runs,
            0,
        ]
    }

    /// From a reply payload.
    pub fn from_payload(words: [u64; 6]) -> Self {
        Self {
            events: words[0],
            acks: words[1],
            held: words[2],
            signal_messages: words[3],
            handler_runs: words[4],
        }
    }
}

/// The endpoint of the test subscriber named `name` (0, which no service
/// has, if there is none: requests to it then fail and say so).
pub fn lookup(name: &str) -> u64 {
    u64::from(ipc::lookup_service(name).unwrap_or(0))
}

/// Sends request `kind` with payload `first`, `second` to the subscriber
/// at `service` and returns the reply (the request itself if `sendrec`
/// failed, which is printed).
pub fn request(service: u64, kind: u64, first: u64, second: u64) -> Message {
    let mut message = Message::new(kind, [first, second, 0, 0, 0, 0]);
    if let Err(error) = ipc::sendrec(service, &mut message) {
        println!("testsub: request {kind:#x} to {service} failed: {error:?}");
    }
    message
}

/// [`SUBSCRIBE`]: the service's `proceventmask(mask)` result (0 or
/// `-errno`).
pub fn subscribe(service: u64, mask: u64) -> i64 {
    request(service, SUBSCRIBE, mask, 0).kind as i64
}

/// [`MODE`]: treat the next events by `mode` (`ms`: the delay of
/// [`ACK_AFTER_DELAY`]).
pub fn set_mode(service: u64, mode: u64, ms: u64) {
    request(service, MODE, mode, ms);
}

/// [`STATS`]: the service's counters.
pub fn stats(service: u64) -> Stats {
    Stats::from_payload(request(service, STATS, 0, 0).payload)
}

/// The reply word of a result: 0, or `-errno`.
pub fn result_word(result: crate::SysResult<()>) -> u64 {
    match result {
        Ok(()) => 0,
        Err(error) => error.as_return() as u64,
    }
}
