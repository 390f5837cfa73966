//! The process manager's event system, wired to the kernel: the subscriber
//! table of `kernel_core::events`, notifications delivered as real messages
//! to the subscribed services, acks received as messages to the PM, and the
//! process kept stopped (frozen) until the last ack.

use crate::sync::IrqLock;
use crate::{ipc, process, report, sched, time};
use kernel_abi::ipc::{Message, PROC_EVENT, PROC_EVENT_REPLY};
use kernel_abi::{Errno, Pid};
use kernel_core::events::{AckOutcome, EventKind, EventTable, Step, SubscribeError};

static EVENTS: IrqLock<EventTable> = IrqLock::new("events", EventTable::new());

/// Runs `f` with the event table (for snapshots).
pub fn with_table<R>(f: impl FnOnce(&EventTable) -> R) -> R {
    EVENTS.with(|table| f(table))
}

/// Publishes an event of `kind` about `pid`. If anyone must ack it, `pid`
/// is frozen until the last ack.
pub fn publish(pid: Pid, kind: EventKind) {
    let step = EVENTS.with(|table| table.publish(pid, kind, time::now_ns()));
    if matches!(step, Step::Notify { .. }) {
        sched::freeze(pid);
    }
    run(step);
}

/// Carries out one step: a notification as a message to the subscriber, or
/// the end of the event (the process thaws and the PM's work continues).
fn run(step: Step) {
    match step {
        Step::Notify {
            subscriber,
            pid,
            kind,
            event_id,
            ..
        } => {
            report::published(event_id, pid, kind, subscriber);
            let message = Message::new(
                PROC_EVENT,
                [u64::from(pid), u64::from(kind.bit()), event_id, 0, 0, 0],
            );
            ipc::deliver_from_pm(subscriber, message);
        }
        Step::Complete {
            pid,
            kind,
            event_id,
            elapsed_ns,
        } => {
            report::event_done(event_id, pid, kind, elapsed_ns);
            sched::thaw(pid);
        }
    }
}

/// `proceventmask(mask)` from the running process.
///
/// # Return values
/// `EPERM` for an ordinary program, `ENOMEM` when the table is full,
/// `EINVAL` for a mask wider than MINIX's 32-bit one (it would otherwise
/// be truncated into another mask). Bits within 32 are not checked, as in
/// MINIX's `do_proceventmask`: a bit no event has matches nothing.
pub fn subscribe(mask: u64) -> Result<u64, Errno> {
    let me = sched::current();
    let privileged = process::with_current(|process| process.privileged);
    if !privileged {
        return Err(Errno::EPERM);
    }
    if mask > u64::from(u32::MAX) {
        return Err(Errno::EINVAL);
    }
    EVENTS
        .with(|table| table.subscribe(me, privileged, mask as u32))
        .map_err(|error| match error {
            SubscribeError::NotPermitted => Errno::EPERM,
            SubscribeError::TableFull => Errno::ENOMEM,
        })?;
    report::subscribed(me, mask as u8);
    Ok(0)
}

/// A message to the PM from the running process: only event acks are
/// understood. The PM never replies to an ack; the call returns 0 whether
/// the ack matched or was ignored (and counted).
///
/// # Return values
/// `ENOSYS` for an ordinary program or a message the PM does not handle.
pub fn message_to_pm(message: &Message) -> Result<u64, Errno> {
    if message.kind != PROC_EVENT_REPLY {
        return Err(Errno::ENOSYS);
    }
    let me = sched::current();
    let privileged = process::with_current(|process| process.privileged);
    let [pid, kind, ..] = message.payload;
    let pid = u32::try_from(pid).unwrap_or(u32::MAX);
    let kind = u32::try_from(kind).unwrap_or(0);
    let outcome = EVENTS
        .with(|table| table.ack(me, privileged, pid, kind, time::now_ns()))
        .map_err(|_| Errno::ENOSYS)?;
    match outcome {
        AckOutcome::Ignored(reason) => report::ack_ignored(me, pid, kind, reason),
        AckOutcome::Accepted {
            event_id,
            latency_ns,
            next,
        } => {
            report::acked(event_id, me, latency_ns);
            run(next);
        }
    }
    Ok(0)
}

/// A process that may be a subscriber is exiting: it leaves the table, and
/// every process waiting on it moves on to the next subscriber.
pub fn subscriber_gone(pid: Pid) {
    let steps = EVENTS.with(|table| table.remove_endpoint(pid, time::now_ns()));
    if !steps.is_empty() {
        report::subscribed(pid, 0);
    }
    for step in steps {
        run(step);
    }
}
