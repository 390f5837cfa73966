//! The process manager's event system: MINIX 3's `pm/event.c`, as pure
//! state.
//!
//! System services subscribe with a mask of event kinds. When something
//! happens to a process (it exits, catches a signal, is spawned) the PM
//! publishes one event for it; the process stays stopped while the event is
//! in flight. Matching subscribers are notified one at a time, in
//! subscription order; each must ack before the next is notified. After the
//! last ack the PM finishes the work (tears the process down, runs the
//! handler, lets the new process run).
//!
//! The rules the table keeps (ARCHITECTURE.md has them all):
//! - Subscribing replaces the caller's mask; mask 0 unsubscribes. Only
//!   system services may subscribe (EPERM) or ack (ENOSYS). The table has
//!   [`MAX_SUBSCRIBERS`] entries; one more gets ENOMEM.
//! - A process has at most one event in flight.
//! - An ack counts only if sender, process and kind all match; anything
//!   else is ignored and counted. The PM never replies to an ack. An ack
//!   from a subscriber that has since unsubscribed still counts; an
//!   unsubscribed entry is removed once its outstanding acks reach zero.
//! - A subscriber that dies is removed, and every process waiting on it
//!   moves on to the next subscriber.
//!
//! The table decides; the kernel delivers the notifications ([`Step`]) as
//! messages and carries out completions.

use crate::histogram::Histogram;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Entries in the subscriber table.
pub const MAX_SUBSCRIBERS: usize = 8;

/// A kind of process event; its value is also its bit in a mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    /// A process exited (published before its teardown).
    Exit = 1,
    /// A process caught a signal (published before its handler runs).
    Signal = 2,
    /// A process was created (published before it first runs).
    Spawn = 4,
}

impl EventKind {
    /// Its bit in a subscription mask.
    pub const fn bit(self) -> u32 {
        self as u32
    }

    /// The kind with bit `bit`.
    pub fn from_bit(bit: u32) -> Option<Self> {
        [EventKind::Exit, EventKind::Signal, EventKind::Spawn]
            .into_iter()
            .find(|kind| kind.bit() == bit)
    }
}

/// One entry of the subscriber table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscriber {
    /// The service.
    pub endpoint: u32,
    /// Event kinds it wants (0: unsubscribed, waiting for its last acks).
    pub mask: u32,
    /// Events sent to it and not acked yet.
    pub waiting: u32,
    /// Events sent to it.
    pub events: u64,
    /// Acks accepted from it.
    pub acks: u64,
    /// Acks from it that were ignored (no such event, not its turn, wrong
    /// kind).
    pub ignored_acks: u64,
    /// Time from notification to ack, in nanoseconds.
    pub latency: Histogram,
}

/// The event a process has in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InFlight {
    /// Identifies the event (unique within a boot).
    pub event_id: u64,
    /// Its kind.
    pub kind: EventKind,
    /// Table index of the subscriber being waited on.
    pub index: usize,
    /// When that subscriber was notified (ns).
    pub sent_at: u64,
    /// When the event was published (ns).
    pub published_at: u64,
}

/// A notification to send, or the end of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send event `event_id` (`kind`, about `pid`) to `subscriber` and
    /// wait for its ack.
    Notify {
        /// The subscriber.
        subscriber: u32,
        /// Its table index.
        index: usize,
        /// The process the event is about.
        pid: u32,
        /// The kind.
        kind: EventKind,
        /// The event.
        event_id: u64,
    },
    /// Every matching subscriber has acked: finish the work for `pid`.
    Complete {
        /// The process.
        pid: u32,
        /// The kind.
        kind: EventKind,
        /// The event.
        event_id: u64,
        /// Time from publication to completion (ns).
        elapsed_ns: u64,
    },
}

/// Why a subscription was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscribeError {
    /// The caller is not a system service (EPERM).
    NotPermitted,
    /// The table is full (ENOMEM).
    TableFull,
}

/// Why an ack was ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IgnoredAck {
    /// The process has no event in flight.
    NoSuchEvent,
    /// The event is waiting on another subscriber.
    WrongSubscriber,
    /// The event is of another kind.
    WrongKind,
}

/// What an ack did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckOutcome {
    /// Ignored and counted.
    Ignored(IgnoredAck),
    /// Accepted: the latency measured, and what happens next.
    Accepted {
        /// Event id.
        event_id: u64,
        /// Notification-to-ack time (ns).
        latency_ns: u64,
        /// The next notification, or the completion.
        next: Step,
    },
}

/// The subscriber table and the events in flight.
#[derive(Default)]
pub struct EventTable {
    subscribers: Vec<Subscriber>,
    in_flight: BTreeMap<u32, InFlight>,
    next_event_id: u64,
    published: [u64; 3],
    ignored_acks: u64,
}

impl EventTable {
    /// An empty table.
    pub const fn new() -> Self {
        Self {
            subscribers: Vec::new(),
            in_flight: BTreeMap::new(),
            next_event_id: 1,
            published: [0; 3],
            ignored_acks: 0,
        }
    }

    /// `endpoint` asks for event kinds `mask` (0: unsubscribe).
    pub fn subscribe(
        &mut self,
        endpoint: u32,
        privileged: bool,
        mask: u32,
    ) -> Result<(), SubscribeError> {
        if !privileged {
            return Err(SubscribeError::NotPermitted);
        }
        if let Some(index) = self.index_of(endpoint) {
            let entry = &mut self.subscribers[index];
            entry.mask = mask;
            if mask == 0 && entry.waiting == 0 {
                self.remove_at(index);
            }
            return Ok(());
        }
        if mask == 0 {
            return Ok(());
        }
        if self.subscribers.len() >= MAX_SUBSCRIBERS {
            return Err(SubscribeError::TableFull);
        }
        self.subscribers.push(Subscriber {
            endpoint,
            mask,
            waiting: 0,
            events: 0,
            acks: 0,
            ignored_acks: 0,
            latency: Histogram::new(),
        });
        Ok(())
    }

    fn index_of(&self, endpoint: u32) -> Option<usize> {
        self.subscribers
            .iter()
            .position(|entry| entry.endpoint == endpoint)
    }

    /// Removes entry `index`; events waiting on later entries follow them.
    fn remove_at(&mut self, index: usize) {
        self.subscribers.remove(index);
        for event in self.in_flight.values_mut() {
            if event.index > index {
                event.index -= 1;
            }
        }
    }

    /// Publishes an event of `kind` about `pid` at time `now`. Returns the
    /// first notification, or the completion if nobody subscribed.
    ///
    /// # Panics
    /// If `pid` already has an event in flight (the kernel keeps it stopped,
    /// so it cannot cause another).
    pub fn publish(&mut self, pid: u32, kind: EventKind, now: u64) -> Step {
        assert!(
            !self.in_flight.contains_key(&pid),
            "pid {pid} already has an event in flight"
        );
        let event_id = self.next_event_id;
        self.next_event_id += 1;
        self.published[kind.bit().trailing_zeros() as usize] += 1;
        self.in_flight.insert(
            pid,
            InFlight {
                event_id,
                kind,
                index: 0,
                sent_at: now,
                published_at: now,
            },
        );
        self.resume(pid, now)
    }

    /// Notifies the next matching subscriber at or after the event's index,
    /// or completes the event.
    fn resume(&mut self, pid: u32, now: u64) -> Step {
        let mut event = self.in_flight[&pid];
        let next = (event.index..self.subscribers.len())
            .find(|&index| self.subscribers[index].mask & event.kind.bit() != 0);
        match next {
            Some(index) => {
                let entry = &mut self.subscribers[index];
                entry.waiting += 1;
                entry.events += 1;
                event.index = index;
                event.sent_at = now;
                self.in_flight.insert(pid, event);
                Step::Notify {
                    subscriber: entry.endpoint,
                    index,
                    pid,
                    kind: event.kind,
                    event_id: event.event_id,
                }
            }
            None => {
                self.in_flight.remove(&pid);
                Step::Complete {
                    pid,
                    kind: event.kind,
                    event_id: event.event_id,
                    elapsed_ns: now.saturating_sub(event.published_at),
                }
            }
        }
    }

    /// An ack from `sender` for the `kind_bit` event about `pid`, at `now`.
    ///
    /// # Return values
    /// `Err(NotPermitted)` (ENOSYS) if the sender is not a system service;
    /// otherwise what the ack did (ignored acks are counted).
    pub fn ack(
        &mut self,
        sender: u32,
        privileged: bool,
        pid: u32,
        kind_bit: u32,
        now: u64,
    ) -> Result<AckOutcome, SubscribeError> {
        if !privileged {
            return Err(SubscribeError::NotPermitted);
        }
        let verdict = match self.in_flight.get(&pid) {
            None => Err(IgnoredAck::NoSuchEvent),
            Some(event)
                if self
                    .subscribers
                    .get(event.index)
                    .map(|entry| entry.endpoint)
                    != Some(sender) =>
            {
                Err(IgnoredAck::WrongSubscriber)
            }
            Some(event) if event.kind.bit() != kind_bit => Err(IgnoredAck::WrongKind),
            Some(event) => Ok(*event),
        };
        let event = match verdict {
            Ok(event) => event,
            Err(reason) => {
                self.ignored_acks += 1;
                if let Some(index) = self.index_of(sender) {
                    self.subscribers[index].ignored_acks += 1;
                }
                return Ok(AckOutcome::Ignored(reason));
            }
        };
        let latency_ns = now.saturating_sub(event.sent_at);
        let entry = &mut self.subscribers[event.index];
        entry.latency.record(latency_ns);
        entry.acks += 1;
        entry.waiting -= 1;
        let mut moved = event;
        if entry.mask == 0 && entry.waiting == 0 {
            // Its last ack after unsubscribing: the entry goes, and the next
            // subscriber now sits at this index.
            self.remove_at(event.index);
        } else {
            moved.index += 1;
        }
        self.in_flight.insert(pid, moved);
        let next = self.resume(pid, now);
        Ok(AckOutcome::Accepted {
            event_id: event.event_id,
            latency_ns,
            next,
        })
    }

    /// A subscriber died: removes it; every process waiting on it moves on.
    /// Returns what happens to each of those.
    pub fn remove_endpoint(&mut self, endpoint: u32, now: u64) -> Vec<Step> {
        let Some(index) = self.index_of(endpoint) else {
            return Vec::new();
        };
        let waiting: Vec<u32> = self
            .in_flight
            .iter()
            .filter(|(_, event)| event.index == index)
            .map(|(pid, _)| *pid)
            .collect();
        self.remove_at(index);
        waiting
            .into_iter()
            .map(|pid| self.resume(pid, now))
            .collect()
    }

    /// The event `pid` has in flight.
    pub fn in_flight(&self, pid: u32) -> Option<&InFlight> {
        self.in_flight.get(&pid)
    }

    /// Every event in flight, by pid.
    pub fn events_in_flight(&self) -> impl Iterator<Item = (u32, &InFlight)> {
        self.in_flight.iter().map(|(pid, event)| (*pid, event))
    }

    /// The subscriber table, in subscription order.
    pub fn subscribers(&self) -> &[Subscriber] {
        &self.subscribers
    }

    /// The process waiting longest on subscriber `index`, and since when
    /// (the time it was notified).
    pub fn oldest_outstanding(&self, index: usize) -> Option<(u32, u64)> {
        self.in_flight
            .iter()
            .filter(|(_, event)| event.index == index)
            .map(|(pid, event)| (*pid, event.sent_at))
            .min_by_key(|(_, sent_at)| *sent_at)
    }

    /// Events published since boot, by kind.
    pub fn published(&self, kind: EventKind) -> u64 {
        self.published[kind.bit().trailing_zeros() as usize]
    }

    /// Ignored acks since boot (from anyone).
    pub fn ignored_acks(&self) -> u64 {
        self.ignored_acks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPC: u32 = 10;
    const ACCT: u32 = 11;
    const SLOW: u32 = 12;
    const EXIT: u32 = EventKind::Exit as u32;
    const SIGNAL: u32 = EventKind::Signal as u32;

    fn notified(step: Step) -> (u32, u32) {
        match step {
            Step::Notify {
                subscriber, pid, ..
            } => (subscriber, pid),
            other => panic!("expected a notification, got {other:?}"),
        }
    }

    fn accepted(outcome: Result<AckOutcome, SubscribeError>) -> Step {
        match outcome {
            Ok(AckOutcome::Accepted { next, .. }) => next,
            other => panic!("expected an accepted ack, got {other:?}"),
        }
    }

    fn table() -> EventTable {
        let mut table = EventTable::new();
        table.subscribe(IPC, true, EXIT | SIGNAL).unwrap();
        table.subscribe(ACCT, true, EXIT).unwrap();
        table.subscribe(SLOW, true, SIGNAL).unwrap();
        table
    }

    #[test]
    fn only_services_subscribe_and_ack() {
        let mut table = EventTable::new();
        assert_eq!(
            table.subscribe(5, false, EXIT),
            Err(SubscribeError::NotPermitted)
        );
        assert_eq!(
            table.ack(5, false, 1, EXIT, 0),
            Err(SubscribeError::NotPermitted)
        );
    }

    #[test]
    fn one_more_than_the_table_holds_gets_enomem() {
        let mut table = EventTable::new();
        for endpoint in 0..MAX_SUBSCRIBERS as u32 {
            table.subscribe(100 + endpoint, true, EXIT).unwrap();
        }
        assert_eq!(
            table.subscribe(99, true, EXIT),
            Err(SubscribeError::TableFull)
        );
        // Changing the mask of an existing entry still works when full.
        assert_eq!(table.subscribe(100, true, SIGNAL), Ok(()));
        // Unsubscribing an unknown caller is a no-op, not an error.
        assert_eq!(table.subscribe(98, true, 0), Ok(()));
    }

    #[test]
    fn subscribers_are_notified_one_at_a_time_in_order_skipping_masks() {
        let mut table = table();
        assert_eq!(notified(table.publish(7, EventKind::Exit, 100)), (IPC, 7));
        // ACCT is not notified until IPC acks.
        assert_eq!(table.subscribers()[1].events, 0);
        assert_eq!(
            notified(accepted(table.ack(IPC, true, 7, EXIT, 150))),
            (ACCT, 7)
        );
        // SLOW does not want EXIT: skipped.
        match accepted(table.ack(ACCT, true, 7, EXIT, 400)) {
            Step::Complete {
                pid: 7,
                kind: EventKind::Exit,
                elapsed_ns: 300,
                ..
            } => {}
            other => panic!("{other:?}"),
        }
        assert!(table.in_flight(7).is_none());
        assert_eq!(table.subscribers()[0].latency.max(), 50);
        assert_eq!(table.subscribers()[1].latency.max(), 250);
        assert_eq!(table.published(EventKind::Exit), 1);
    }

    #[test]
    fn nobody_subscribed_completes_at_once() {
        let mut table = EventTable::new();
        assert!(matches!(
            table.publish(3, EventKind::Spawn, 0),
            Step::Complete { pid: 3, .. }
        ));
    }

    #[test]
    fn mismatched_acks_are_ignored_and_counted() {
        let mut table = table();
        table.publish(7, EventKind::Signal, 0);
        // Not its turn (IPC is being waited on).
        assert_eq!(
            table.ack(SLOW, true, 7, SIGNAL, 1),
            Ok(AckOutcome::Ignored(IgnoredAck::WrongSubscriber))
        );
        // Wrong kind.
        assert_eq!(
            table.ack(IPC, true, 7, EXIT, 1),
            Ok(AckOutcome::Ignored(IgnoredAck::WrongKind))
        );
        // No event for that process.
        assert_eq!(
            table.ack(IPC, true, 8, SIGNAL, 1),
            Ok(AckOutcome::Ignored(IgnoredAck::NoSuchEvent))
        );
        assert_eq!(table.ignored_acks(), 3);
        assert_eq!(table.subscribers()[0].ignored_acks, 2);
        assert_eq!(table.subscribers()[2].ignored_acks, 1);
        // The event still waits on IPC.
        assert_eq!(table.in_flight(7).unwrap().index, 0);
    }

    #[test]
    fn a_late_ack_after_unsubscribing_counts_and_then_the_entry_goes() {
        let mut table = table();
        table.publish(7, EventKind::Exit, 0);
        table.subscribe(IPC, true, 0).unwrap();
        assert_eq!(
            table.subscribers().len(),
            3,
            "kept while an ack is outstanding"
        );
        assert_eq!(
            notified(accepted(table.ack(IPC, true, 7, EXIT, 5))),
            (ACCT, 7)
        );
        assert_eq!(table.subscribers().len(), 2, "removed with its last ack");
        assert_eq!(table.subscribers()[0].endpoint, ACCT);
        assert!(matches!(
            accepted(table.ack(ACCT, true, 7, EXIT, 6)),
            Step::Complete { .. }
        ));
    }

    #[test]
    fn a_new_mask_replaces_the_old_one() {
        let mut table = table();
        table.subscribe(ACCT, true, SIGNAL).unwrap();
        assert_eq!(table.subscribers()[1].mask, SIGNAL);
        table.publish(7, EventKind::Exit, 0);
        assert!(
            matches!(
                accepted(table.ack(IPC, true, 7, EXIT, 1)),
                Step::Complete { .. }
            ),
            "ACCT no longer wants EXIT"
        );
    }

    #[test]
    fn a_dying_subscriber_moves_waiting_processes_on() {
        let mut table = table();
        table.publish(7, EventKind::Exit, 0);
        table.publish(8, EventKind::Exit, 0);
        table.publish(9, EventKind::Signal, 0);
        // 9 moves to SLOW's turn after IPC.
        assert_eq!(
            notified(accepted(table.ack(IPC, true, 9, SIGNAL, 1))),
            (SLOW, 9)
        );
        let steps = table.remove_endpoint(IPC, 2);
        let moved: Vec<(u32, u32)> = steps.into_iter().map(notified).collect();
        assert_eq!(moved, vec![(ACCT, 7), (ACCT, 8)]);
        // SLOW's index shifted down with the removal; its ack still matches.
        assert_eq!(table.in_flight(9).unwrap().index, 1);
        assert!(matches!(
            accepted(table.ack(SLOW, true, 9, SIGNAL, 3)),
            Step::Complete { pid: 9, .. }
        ));
        assert!(table.remove_endpoint(IPC, 4).is_empty(), "already gone");
    }

    #[test]
    fn a_subscriber_that_never_acks_leaves_only_its_process_waiting() {
        let mut table = table();
        table.publish(7, EventKind::Signal, 10);
        table.publish(8, EventKind::Exit, 20);
        accepted(table.ack(IPC, true, 8, EXIT, 25));
        // 7 waits on IPC forever; 8 goes on without it.
        assert!(matches!(
            accepted(table.ack(ACCT, true, 8, EXIT, 30)),
            Step::Complete { pid: 8, .. }
        ));
        assert_eq!(table.oldest_outstanding(0), Some((7, 10)));
        assert_eq!(table.subscribers()[0].waiting, 1);
    }

    #[test]
    #[should_panic(expected = "already has an event in flight")]
    fn one_event_in_flight_per_process() {
        let mut table = table();
        table.publish(7, EventKind::Signal, 0);
        table.publish(7, EventKind::Exit, 0);
    }
}
