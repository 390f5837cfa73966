//! The event sink: telemetry about processes as things happen to them
//! (spawn, exit, signals, faults, the PM's events), one frame per call.
//!
//! A leaf: it imports no kernel table module (process, sched, events, ipc,
//! ...), only the telemetry ring, so every module may report through it
//! without an import cycle. What callers know they pass in as plain
//! values. The periodic picture of every table is `snapshot`'s.

use crate::telemetry;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel_abi::{Pid, Signal};
use kernel_core::events::{EventKind as CoreEventKind, IgnoredAck};
use kernel_core::signals::{Disposition, Posted};
use protocol::message::{
    Ack, AckIgnored, BadPointer, EventDone, EventKind, Exit, IgnoredReason, Log, LogLevel, Message,
    PageFault, Publish, Reaped, SignalHandled, SignalOutcome, SignalSent, Spawn, Subscribed,
    UserFault,
};

/// Whether [`page_fault`] sends: set once at boot by `fault_events=on`
/// when the link is the virtio console (see `main`).
static FAULT_EVENTS: AtomicBool = AtomicBool::new(false);

/// Turns per-fault events on (boot option `fault_events=on`, virtio link).
pub fn enable_fault_events() {
    FAULT_EVENTS.store(true, Ordering::Relaxed);
}

/// A page fault of `pid` was counted (minor or `major`), at `address`, by
/// a write or not. Nothing unless [`enable_fault_events`] was called.
pub fn page_fault(pid: Pid, address: u64, major: bool, write: bool) {
    if FAULT_EVENTS.load(Ordering::Relaxed) {
        telemetry::send(Message::PageFault(PageFault {
            pid,
            address,
            major,
            write,
        }));
    }
}

/// A process was created.
pub fn spawned(pid: Pid, parent: Pid, name: &str) {
    telemetry::send(Message::Spawn(Spawn { pid, parent, name }));
}

/// A process began to exit, with `status` (0 if killed) or killed by
/// `signal`.
pub fn exited(pid: Pid, status: i32, signal: Option<Signal>) {
    let signal = signal.map(Signal::number).unwrap_or(0);
    telemetry::send(Message::Exit(Exit {
        pid,
        status,
        signal,
    }));
}

/// A zombie was reaped.
pub fn reaped(pid: Pid) {
    telemetry::send(Message::Reaped(Reaped { pid }));
}

/// A signal was sent. The SIGCHLD every exit sends its parent is not
/// reported when the parent ignores it (the default): the Exit event
/// already says everything, and it would double the frames of every exit.
pub fn signal(sender: Pid, target: Pid, signal: Signal, posted: Posted, disposition: Disposition) {
    if signal == Signal::SIGCHLD
        && (posted == Posted::Discarded || disposition == Disposition::Ignore)
    {
        return;
    }
    let outcome = match (posted, disposition) {
        (Posted::Discarded, _) | (_, Disposition::Ignore) => SignalOutcome::Ignored,
        (Posted::Blocked, _) => SignalOutcome::Blocked,
        (_, Disposition::Catch(_)) => SignalOutcome::Caught,
        (_, Disposition::Terminate) => SignalOutcome::Terminate,
        (_, Disposition::Stop) => SignalOutcome::Stop,
        (_, Disposition::Continue) => SignalOutcome::Continue,
    };
    telemetry::send(Message::Signal(SignalSent {
        pid: target,
        sender,
        signal: signal.number(),
        outcome,
    }));
}

/// A process entered a signal handler.
pub fn handler_started(pid: Pid, signal: Signal) {
    telemetry::send(Message::SignalHandled(SignalHandled {
        pid,
        signal: signal.number(),
    }));
}

/// A CPU exception in a process.
pub fn cpu_fault(pid: Pid, vector: u8, rip: u64, signal: Signal) {
    telemetry::send(Message::UserFault(UserFault {
        pid,
        vector,
        rip,
        signal: signal.number(),
    }));
}

/// A system call failed with EFAULT.
pub fn bad_pointer(pid: Pid, syscall: u64) {
    telemetry::send(Message::BadPointer(BadPointer {
        pid,
        syscall: syscall.min(255) as u8,
    }));
}

/// A line a program wrote.
pub fn program_log(pid: Pid, text: &str) {
    telemetry::send(Message::Log(Log {
        level: LogLevel::Info,
        pid,
        text,
    }));
}

fn wire_kind(kind: CoreEventKind) -> EventKind {
    match kind {
        CoreEventKind::Exit => EventKind::Exit,
        CoreEventKind::Signal => EventKind::Signal,
        CoreEventKind::Spawn => EventKind::Spawn,
    }
}

/// A service changed its event mask.
pub fn subscribed(endpoint: Pid, mask: u8) {
    telemetry::send(Message::Subscribed(Subscribed { endpoint, mask }));
}

/// The PM notified a subscriber.
pub fn published(event_id: u64, pid: Pid, kind: CoreEventKind, subscriber: Pid) {
    telemetry::send(Message::Publish(Publish {
        event_id,
        pid,
        kind: wire_kind(kind),
        subscriber,
    }));
}

/// A subscriber acked.
pub fn acked(event_id: u64, subscriber: Pid, latency_ns: u64) {
    telemetry::send(Message::Ack(Ack {
        event_id,
        subscriber,
        latency_ns,
    }));
}

/// An ack was ignored.
pub fn ack_ignored(sender: Pid, pid: Pid, kind: u32, reason: IgnoredAck) {
    let reason = match reason {
        IgnoredAck::NoSuchEvent => IgnoredReason::NoSuchEvent,
        IgnoredAck::WrongSubscriber => IgnoredReason::WrongSubscriber,
        IgnoredAck::WrongKind => IgnoredReason::WrongKind,
    };
    telemetry::send(Message::AckIgnored(AckIgnored {
        sender,
        pid,
        kind: kind.min(255) as u8,
        reason,
    }));
}

/// The last ack of an event came.
pub fn event_done(event_id: u64, pid: Pid, kind: CoreEventKind, elapsed_ns: u64) {
    telemetry::send(Message::EventDone(EventDone {
        event_id,
        pid,
        kind: wire_kind(kind),
        elapsed_ns,
    }));
}
