//! The event flow: one record per process event, from its publication
//! through each subscriber's notification and ack to its completion and
//! what followed (the reap after an EXIT, the handler after a SIGNAL).
//!
//! Records are built from the events: `Publish` (one per subscriber
//! notified, in order), `Ack`, `AckIgnored` (attached to the event of the
//! process it named), `EventDone`, then `Reaped` or `SignalHandled`. An
//! event nobody subscribed to has only its `EventDone`. Every event still
//! in flight is kept, and the last [`EVENT_HISTORY`] finished ones.
//!
//! Times are guest nanoseconds. The PM notifies the next subscriber at the
//! very time of the previous ack, and acks carry their latency, so a
//! record's offsets are exact where the frames allow: an ack is at its
//! notification plus its latency, the next notification at that ack, the
//! completion at publication plus `elapsed_ns`.
//!
//! When frames are lost, the record says so instead of guessing: a newer
//! event about the same process, a snapshot showing the process no longer
//! stopped, or the process's end closes an event whose `EventDone` never
//! came ([`EventEnd::Unseen`]).

use protocol::message::{
    Ack, AckIgnored, EventDone, EventKind, IgnoredReason, ProcessState, Publish,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Finished events kept (the oldest are dropped first).
pub const EVENT_HISTORY: usize = 500;

/// One process event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// The PM's id for it (unique within a boot).
    pub event_id: u64,
    /// The process it is about.
    pub pid: u32,
    /// That process's name when the event was first seen.
    pub process: String,
    /// Its kind.
    pub kind: EventKind,
    /// Guest time it was published, in nanoseconds.
    pub published_ns: u64,
    /// The subscribers notified, in order.
    pub notifications: Vec<Notification>,
    /// Acks that named its process while it was the latest event about it,
    /// and were ignored.
    pub ignored_acks: Vec<IgnoredAckRecord>,
    /// How it ended; `None` while it is in flight.
    pub end: Option<EventEnd>,
    /// What followed its completion.
    pub follow_up: Option<FollowUp>,
}

/// One subscriber notified of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The subscriber's pid.
    pub subscriber: u32,
    /// Its name when notified.
    pub name: String,
    /// Guest time of the notification, in nanoseconds.
    pub notified_ns: u64,
    /// What became of it.
    pub outcome: NotificationOutcome,
}

/// What became of a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationOutcome {
    /// No ack yet: the event waits on this subscriber.
    Waiting,
    /// Acked.
    Acked {
        /// Guest time of the ack, in nanoseconds.
        at_ns: u64,
        /// Notification-to-ack time, as the PM measured it.
        latency_ns: u64,
    },
    /// The subscriber died first; the event moved on without its ack.
    SubscriberGone {
        /// Guest time the host learnt it, in nanoseconds.
        at_ns: u64,
    },
    /// The event moved on, but its ack was not seen (a frame was lost).
    AckUnseen,
}

/// An ack that was ignored, attached to the event of the process it named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoredAckRecord {
    /// Who sent it.
    pub sender: u32,
    /// The sender's name.
    pub name: String,
    /// Guest time, in nanoseconds.
    pub at_ns: u64,
    /// The kind bits it named.
    pub kind_bits: u8,
    /// Why it was ignored.
    pub reason: IgnoredReason,
}

/// How an event ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventEnd {
    /// The last ack came and the PM finished the work.
    Done {
        /// Guest time of the completion, in nanoseconds.
        at_ns: u64,
        /// Time from publication to completion.
        elapsed_ns: u64,
    },
    /// It is over, but its `EventDone` was not seen.
    Unseen {
        /// Guest time the host concluded it, in nanoseconds.
        at_ns: u64,
        /// How the host knows.
        why: UnseenEnd,
    },
}

/// How the host knows an event ended whose `EventDone` it did not see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnseenEnd {
    /// A newer event about the same process came (one at a time).
    Superseded,
    /// A snapshot showed the process no longer stopped for it, or its
    /// handler ran.
    ProcessMovedOn,
    /// The process was reaped or left the process table.
    ProcessGone,
}

/// What followed an event's completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowUp {
    /// Guest time, in nanoseconds.
    pub at_ns: u64,
    /// What it was.
    pub what: FollowUpKind,
}

/// The work the PM finished after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowUpKind {
    /// The exited process was torn down and reaped.
    Reaped,
    /// The process entered its handler for `signal`.
    HandlerEntered {
        /// The signal.
        signal: u8,
    },
}

impl EventRecord {
    /// The notification the event waits on, while it is in flight.
    pub fn waiting_on(&self) -> Option<&Notification> {
        if self.end.is_some() {
            return None;
        }
        self.notifications
            .last()
            .filter(|last| last.outcome == NotificationOutcome::Waiting)
    }

    /// Whether it is still in flight.
    pub fn in_flight(&self) -> bool {
        self.end.is_none()
    }

    /// Guest time it ended, if it did.
    pub fn ended_ns(&self) -> Option<u64> {
        self.end.map(|end| match end {
            EventEnd::Done { at_ns, .. } | EventEnd::Unseen { at_ns, .. } => at_ns,
        })
    }
}

/// Events by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct KindCounts {
    /// EXIT events.
    pub exit: u64,
    /// SIGNAL events.
    pub signal: u64,
    /// SPAWN events.
    pub spawn: u64,
}

impl KindCounts {
    fn count(&mut self, kind: EventKind) {
        match kind {
            EventKind::Exit => self.exit += 1,
            EventKind::Signal => self.signal += 1,
            EventKind::Spawn => self.spawn += 1,
        }
    }
}

/// Ignored acks by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct IgnoredCounts {
    /// The process had no event in flight.
    pub no_such_event: u64,
    /// The event waited on another subscriber.
    pub wrong_subscriber: u64,
    /// The event was of another kind.
    pub wrong_kind: u64,
}

/// Event counters of the boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FlowCounts {
    /// Events seen (published), by kind.
    pub published: KindCounts,
    /// Events whose `EventDone` came.
    pub completed: u64,
    /// Events that ended without their `EventDone` being seen.
    pub completion_unseen: u64,
    /// Ignored acks.
    pub ignored_acks: u64,
    /// Ignored acks by reason.
    pub ignored_by_reason: IgnoredCounts,
}

/// Event records: all in flight, and the most recent finished ones.
#[derive(Clone, Debug, Default)]
pub struct EventFlow {
    records: BTreeMap<u64, EventRecord>,
    /// The event in flight for each process.
    in_flight: HashMap<u32, u64>,
    /// The latest event about each process with a record.
    latest: HashMap<u32, u64>,
    /// Finished events, in the order they finished.
    finished: VecDeque<u64>,
    evicted: u64,
    counts: FlowCounts,
}

impl EventFlow {
    /// Records by event id (oldest first), in flight or finished.
    pub fn records(&self) -> impl DoubleEndedIterator<Item = &EventRecord> + ExactSizeIterator {
        self.records.values()
    }

    /// The record of event `event_id`.
    pub fn get(&self, event_id: u64) -> Option<&EventRecord> {
        self.records.get(&event_id)
    }

    /// The event `pid` has in flight.
    pub fn in_flight_for(&self, pid: u32) -> Option<&EventRecord> {
        self.records.get(self.in_flight.get(&pid)?)
    }

    /// The latest event about `pid` the host still holds.
    pub fn latest_for(&self, pid: u32) -> Option<&EventRecord> {
        self.records.get(self.latest.get(&pid)?)
    }

    /// Events in flight, in no particular order.
    pub fn in_flight(&self) -> impl Iterator<Item = &EventRecord> {
        self.in_flight
            .values()
            .filter_map(|id| self.records.get(id))
    }

    /// How many events are in flight.
    pub fn in_flight_count(&self) -> usize {
        self.in_flight.len()
    }

    /// Counters.
    pub fn counts(&self) -> &FlowCounts {
        &self.counts
    }

    /// Finished events dropped to bound the history.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The record of event `event_id`, created (as published at `at_ns`)
    /// when first seen. `None` for an event already finished and dropped.
    fn record(
        &mut self,
        event_id: u64,
        pid: u32,
        kind: EventKind,
        at_ns: u64,
        process: impl FnOnce() -> String,
    ) -> &mut EventRecord {
        if !self.records.contains_key(&event_id) {
            if let Some(&previous) = self.in_flight.get(&pid)
                && previous != event_id
            {
                self.finish(previous, at_ns, None);
            }
            self.counts.published.count(kind);
            self.in_flight.insert(pid, event_id);
            self.latest.insert(pid, event_id);
            self.records.insert(
                event_id,
                EventRecord {
                    event_id,
                    pid,
                    process: process(),
                    kind,
                    published_ns: at_ns,
                    notifications: Vec::new(),
                    ignored_acks: Vec::new(),
                    end: None,
                    follow_up: None,
                },
            );
        }
        self.records.get_mut(&event_id).expect("inserted above")
    }

    /// Ends event `event_id` at `at_ns`: with its `EventDone`
    /// (`elapsed_ns`), or, without one, as superseded.
    fn finish(&mut self, event_id: u64, at_ns: u64, elapsed_ns: Option<u64>) {
        let end = match elapsed_ns {
            Some(elapsed_ns) => EventEnd::Done { at_ns, elapsed_ns },
            None => EventEnd::Unseen {
                at_ns,
                why: UnseenEnd::Superseded,
            },
        };
        self.end(event_id, end);
    }

    fn end(&mut self, event_id: u64, end: EventEnd) {
        let Some(record) = self.records.get_mut(&event_id) else {
            return;
        };
        match (record.end, end) {
            (None, _) => {}
            (Some(EventEnd::Unseen { .. }), EventEnd::Done { .. }) => {
                // Its EventDone came after all (the frames were late, not
                // lost): the record says what really happened.
                record.end = Some(end);
                self.counts.completion_unseen -= 1;
                self.counts.completed += 1;
                return;
            }
            (Some(_), _) => return,
        }
        record.end = Some(end);
        for notification in &mut record.notifications {
            if notification.outcome == NotificationOutcome::Waiting {
                notification.outcome = NotificationOutcome::AckUnseen;
            }
        }
        match end {
            EventEnd::Done { .. } => self.counts.completed += 1,
            EventEnd::Unseen { .. } => self.counts.completion_unseen += 1,
        }
        if self.in_flight.get(&record.pid) == Some(&event_id) {
            self.in_flight.remove(&record.pid);
        }
        self.finished.push_back(event_id);
        while self.finished.len() > EVENT_HISTORY {
            let Some(oldest) = self.finished.pop_front() else {
                break;
            };
            if let Some(evicted) = self.records.remove(&oldest) {
                self.evicted += 1;
                if self.latest.get(&evicted.pid) == Some(&oldest) {
                    self.latest.remove(&evicted.pid);
                }
            }
        }
    }

    /// The PM notified a subscriber (named `subscriber`) at `at_ns`.
    pub(crate) fn publish(
        &mut self,
        at_ns: u64,
        publish: Publish,
        process: impl FnOnce() -> String,
        subscriber: String,
    ) {
        let record = self.record(publish.event_id, publish.pid, publish.kind, at_ns, process);
        if record.end.is_some() {
            return;
        }
        let notified_ns = match record.notifications.last_mut() {
            Some(previous) => match previous.outcome {
                // The next notification goes out at the previous ack.
                NotificationOutcome::Acked { at_ns, .. } => at_ns,
                NotificationOutcome::Waiting => {
                    previous.outcome = NotificationOutcome::AckUnseen;
                    at_ns
                }
                _ => at_ns,
            },
            None => record.published_ns,
        };
        record.notifications.push(Notification {
            subscriber: publish.subscriber,
            name: subscriber,
            notified_ns,
            outcome: NotificationOutcome::Waiting,
        });
    }

    /// A subscriber acked. Returns the pid of the event, if the host knew it.
    pub(crate) fn ack(&mut self, ack: Ack) -> Option<u32> {
        let record = self.records.get_mut(&ack.event_id)?;
        let notification = record.notifications.iter_mut().rev().find(|notification| {
            notification.subscriber == ack.subscriber
                && matches!(
                    notification.outcome,
                    NotificationOutcome::Waiting | NotificationOutcome::AckUnseen
                )
        })?;
        notification.outcome = NotificationOutcome::Acked {
            at_ns: notification.notified_ns + ack.latency_ns,
            latency_ns: ack.latency_ns,
        };
        Some(record.pid)
    }

    /// The last ack of an event came, at `at_ns`.
    pub(crate) fn done(&mut self, at_ns: u64, done: EventDone, process: impl FnOnce() -> String) {
        let published_ns = at_ns.saturating_sub(done.elapsed_ns);
        let record = self.record(done.event_id, done.pid, done.kind, published_ns, process);
        let completed_ns = record.published_ns + done.elapsed_ns;
        self.finish(done.event_id, completed_ns, Some(done.elapsed_ns));
    }

    /// An ack from `sender` (named `name`) was ignored at `at_ns`. It is
    /// attached to the latest event about the process it named.
    pub(crate) fn ignored(&mut self, at_ns: u64, ignored: AckIgnored, name: String) {
        self.counts.ignored_acks += 1;
        let by_reason = &mut self.counts.ignored_by_reason;
        match ignored.reason {
            IgnoredReason::NoSuchEvent => by_reason.no_such_event += 1,
            IgnoredReason::WrongSubscriber => by_reason.wrong_subscriber += 1,
            IgnoredReason::WrongKind => by_reason.wrong_kind += 1,
        }
        let Some(&event_id) = self.latest.get(&ignored.pid) else {
            return;
        };
        if let Some(record) = self.records.get_mut(&event_id) {
            record.ignored_acks.push(IgnoredAckRecord {
                sender: ignored.sender,
                name,
                at_ns,
                kind_bits: ignored.kind,
                reason: ignored.reason,
            });
        }
    }

    /// The latest event about `pid` of `kind` with nothing after it yet.
    fn awaiting_follow_up(&mut self, pid: u32, kind: EventKind) -> Option<u64> {
        let event_id = *self.latest.get(&pid)?;
        let record = self.records.get(&event_id)?;
        (record.kind == kind && record.follow_up.is_none()).then_some(event_id)
    }

    fn follow_up(
        &mut self,
        at_ns: u64,
        pid: u32,
        kind: EventKind,
        what: FollowUpKind,
        why: UnseenEnd,
    ) {
        let Some(event_id) = self.awaiting_follow_up(pid, kind) else {
            return;
        };
        self.end(event_id, EventEnd::Unseen { at_ns, why });
        if let Some(record) = self.records.get_mut(&event_id) {
            record.follow_up = Some(FollowUp { at_ns, what });
        }
    }

    /// Process `pid` was reaped at `at_ns`: its EXIT event's teardown is
    /// complete.
    pub(crate) fn reaped(&mut self, at_ns: u64, pid: u32) {
        self.follow_up(
            at_ns,
            pid,
            EventKind::Exit,
            FollowUpKind::Reaped,
            UnseenEnd::ProcessGone,
        );
        self.process_gone(at_ns, pid);
    }

    /// Process `pid` entered its handler for `signal` at `at_ns`.
    pub(crate) fn handler_entered(&mut self, at_ns: u64, pid: u32, signal: u8) {
        self.follow_up(
            at_ns,
            pid,
            EventKind::Signal,
            FollowUpKind::HandlerEntered { signal },
            UnseenEnd::ProcessMovedOn,
        );
    }

    /// Subscriber `endpoint` died at `at_ns`: events waiting on it move on.
    pub(crate) fn subscriber_gone(&mut self, at_ns: u64, endpoint: u32) {
        for event_id in self.in_flight.values() {
            let Some(record) = self.records.get_mut(event_id) else {
                continue;
            };
            if let Some(last) = record.notifications.last_mut()
                && last.subscriber == endpoint
                && last.outcome == NotificationOutcome::Waiting
            {
                last.outcome = NotificationOutcome::SubscriberGone { at_ns };
            }
        }
    }

    /// A snapshot at `at_ns` listed process `pid` in `state`. An event still
    /// in flight for it is over if the process is no longer stopped for it
    /// (it stays `exiting` through an EXIT event, `awaiting acks` through
    /// the others).
    pub(crate) fn process_listed(&mut self, at_ns: u64, pid: u32, state: ProcessState) {
        let Some((event_id, kind)) = self
            .in_flight_for(pid)
            .map(|record| (record.event_id, record.kind))
        else {
            return;
        };
        let stopped_for_it = match kind {
            EventKind::Exit => matches!(state, ProcessState::Exiting | ProcessState::AwaitingAcks),
            EventKind::Signal | EventKind::Spawn => state == ProcessState::AwaitingAcks,
        };
        if !stopped_for_it {
            let why = UnseenEnd::ProcessMovedOn;
            self.end(event_id, EventEnd::Unseen { at_ns, why });
        }
    }

    /// Process `pid` is gone (reaped, or no longer in the process table):
    /// an event still in flight for it is over.
    pub(crate) fn process_gone(&mut self, at_ns: u64, pid: u32) {
        if let Some(&event_id) = self.in_flight.get(&pid) {
            let why = UnseenEnd::ProcessGone;
            self.end(event_id, EventEnd::Unseen { at_ns, why });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(event_id: u64, pid: u32, kind: EventKind, subscriber: u32) -> Publish {
        Publish {
            event_id,
            pid,
            kind,
            subscriber,
        }
    }

    fn ack(event_id: u64, subscriber: u32, latency_ns: u64) -> Ack {
        Ack {
            event_id,
            subscriber,
            latency_ns,
        }
    }

    fn done(event_id: u64, pid: u32, kind: EventKind, elapsed_ns: u64) -> EventDone {
        EventDone {
            event_id,
            pid,
            kind,
            elapsed_ns,
        }
    }

    fn name(text: &str) -> impl FnOnce() -> String + '_ {
        move || text.to_string()
    }

    /// An EXIT event of pid 9 published at 1 ms, acked by 1 then 2.
    fn two_subscriber_exit(flow: &mut EventFlow) {
        flow.publish(
            1_000_000,
            publish(5, 9, EventKind::Exit, 1),
            name("worker"),
            "ipc".into(),
        );
        flow.ack(ack(5, 1, 48_000));
        flow.publish(
            1_048_000,
            publish(5, 9, EventKind::Exit, 2),
            name("?"),
            "acct".into(),
        );
        flow.ack(ack(5, 2, 47_000));
        flow.done(1_095_000, done(5, 9, EventKind::Exit, 95_000), name("?"));
    }

    #[test]
    fn an_event_records_each_subscriber_in_order_with_exact_offsets() {
        let mut flow = EventFlow::default();
        two_subscriber_exit(&mut flow);
        let record = flow.get(5).unwrap();
        assert_eq!((record.pid, record.process.as_str()), (9, "worker"));
        assert_eq!(record.published_ns, 1_000_000);
        let steps: Vec<_> = record
            .notifications
            .iter()
            .map(|n| (n.name.as_str(), n.notified_ns, n.outcome))
            .collect();
        assert_eq!(
            steps,
            [
                (
                    "ipc",
                    1_000_000,
                    NotificationOutcome::Acked {
                        at_ns: 1_048_000,
                        latency_ns: 48_000
                    }
                ),
                (
                    "acct",
                    1_048_000,
                    NotificationOutcome::Acked {
                        at_ns: 1_095_000,
                        latency_ns: 47_000
                    }
                ),
            ]
        );
        assert_eq!(
            record.end,
            Some(EventEnd::Done {
                at_ns: 1_095_000,
                elapsed_ns: 95_000
            })
        );
        assert_eq!(flow.in_flight_count(), 0);
        assert_eq!(flow.counts().published.exit, 1);
        assert_eq!(flow.counts().completed, 1);
    }

    #[test]
    fn the_reap_follows_an_exit_and_the_handler_a_signal() {
        let mut flow = EventFlow::default();
        two_subscriber_exit(&mut flow);
        flow.reaped(3_000_000, 9);
        assert_eq!(
            flow.get(5).unwrap().follow_up,
            Some(FollowUp {
                at_ns: 3_000_000,
                what: FollowUpKind::Reaped
            })
        );
        // A signal nobody subscribed to: only its EventDone, then the handler.
        flow.done(4_000_000, done(6, 3, EventKind::Signal, 0), name("forker"));
        flow.handler_entered(4_100_000, 3, 10);
        let record = flow.get(6).unwrap();
        assert!(record.notifications.is_empty());
        assert_eq!(
            record.follow_up.map(|f| f.what),
            Some(FollowUpKind::HandlerEntered { signal: 10 })
        );
        assert_eq!(flow.counts().published.signal, 1);
    }

    #[test]
    fn ignored_acks_attach_to_the_event_of_the_process_they_name() {
        let mut flow = EventFlow::default();
        flow.publish(
            0,
            publish(5, 9, EventKind::Signal, 1),
            name("w"),
            "ipc".into(),
        );
        let ignored = AckIgnored {
            sender: 2,
            pid: 9,
            kind: 2,
            reason: IgnoredReason::WrongSubscriber,
        };
        flow.ignored(10_000, ignored, "acct".into());
        // An ack naming a process the host has no event for is counted only.
        flow.ignored(
            11_000,
            AckIgnored {
                pid: 77,
                reason: IgnoredReason::NoSuchEvent,
                ..ignored
            },
            "acct".into(),
        );
        let record = flow.get(5).unwrap();
        assert_eq!(record.ignored_acks.len(), 1);
        assert_eq!(
            record.ignored_acks[0].reason,
            IgnoredReason::WrongSubscriber
        );
        let counts = flow.counts();
        assert_eq!(counts.ignored_acks, 2);
        assert_eq!(
            (
                counts.ignored_by_reason.wrong_subscriber,
                counts.ignored_by_reason.no_such_event
            ),
            (1, 1)
        );
    }

    #[test]
    fn a_dead_subscribers_notification_is_marked_and_the_event_moves_on() {
        let mut flow = EventFlow::default();
        flow.publish(
            0,
            publish(5, 9, EventKind::Exit, 4),
            name("w"),
            "sub-d".into(),
        );
        flow.subscriber_gone(1_500_000_000, 4);
        flow.publish(
            1_500_000_000,
            publish(5, 9, EventKind::Exit, 5),
            name("?"),
            "sub-e".into(),
        );
        let record = flow.get(5).unwrap();
        assert_eq!(
            record.notifications[0].outcome,
            NotificationOutcome::SubscriberGone {
                at_ns: 1_500_000_000
            }
        );
        assert_eq!(record.waiting_on().unwrap().name, "sub-e");
        assert_eq!(record.waiting_on().unwrap().notified_ns, 1_500_000_000);
    }

    #[test]
    fn an_event_whose_end_was_lost_is_closed_by_later_evidence() {
        let mut flow = EventFlow::default();
        // A newer event about the same process closes the old one.
        flow.publish(
            0,
            publish(1, 9, EventKind::Signal, 1),
            name("w"),
            "ipc".into(),
        );
        flow.publish(
            5_000,
            publish(2, 9, EventKind::Exit, 1),
            name("w"),
            "ipc".into(),
        );
        let first = flow.get(1).unwrap();
        assert_eq!(
            first.end,
            Some(EventEnd::Unseen {
                at_ns: 5_000,
                why: UnseenEnd::Superseded
            })
        );
        assert_eq!(
            first.notifications[0].outcome,
            NotificationOutcome::AckUnseen
        );
        // Still exiting: the EXIT event goes on.
        flow.process_listed(6_000, 9, ProcessState::Exiting);
        assert!(flow.get(2).unwrap().in_flight());
        // A zombie has been torn down: it is over.
        flow.process_listed(7_000, 9, ProcessState::Zombie);
        assert!(!flow.get(2).unwrap().in_flight());
        // A spawned process seen running has had its first run.
        flow.publish(
            8_000,
            publish(3, 10, EventKind::Spawn, 1),
            name("n"),
            "ipc".into(),
        );
        flow.process_listed(9_000, 10, ProcessState::AwaitingAcks);
        assert!(flow.get(3).unwrap().in_flight());
        flow.process_listed(9_500, 10, ProcessState::Running);
        assert!(!flow.get(3).unwrap().in_flight());
        // A process that left the table takes its event with it.
        flow.publish(
            10_000,
            publish(4, 11, EventKind::Exit, 1),
            name("x"),
            "ipc".into(),
        );
        flow.process_gone(11_000, 11);
        assert_eq!(flow.in_flight_count(), 0);
        assert_eq!(
            (flow.counts().completed, flow.counts().completion_unseen),
            (0, 4)
        );
    }

    #[test]
    fn the_history_keeps_every_event_in_flight_and_the_latest_finished_ones() {
        let mut flow = EventFlow::default();
        flow.publish(
            0,
            publish(1, 1, EventKind::Exit, 1),
            name("stuck"),
            "s".into(),
        );
        for event_id in 2..(EVENT_HISTORY as u64 + 12) {
            let pid = 100 + event_id as u32;
            flow.done(
                event_id * 10,
                done(event_id, pid, EventKind::Spawn, 0),
                name("p"),
            );
        }
        assert_eq!(flow.records().len(), EVENT_HISTORY + 1);
        assert_eq!(flow.evicted(), 10);
        assert!(flow.get(1).unwrap().in_flight());
        assert!(flow.get(11).is_none());
        assert!(flow.get(12).is_some());
        assert_eq!(flow.latest_for(111), None);
    }
}
