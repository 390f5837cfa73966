//! The process-event messages, applied to the system: subscriptions,
//! notifications, acks, completions, subscriber snapshots, and the stuck
//! events they add up to.

use super::{System, UNKNOWN_NAME, ns};
use crate::state::rounds::RoundFrame;
use crate::state::stuck::{self, StuckEvent, Waiter};
use protocol::message::{Ack, AckIgnored, EventDone, Publish, Subscribed, SubscriberSnapshot};

/// How often, in guest time, the system looks for new stuck events.
pub const STUCK_CHECK_NS: u64 = 10_000_000;

impl System {
    /// The name of process `pid`, if the host knows it.
    fn process_name(&self, pid: u32) -> String {
        self.live
            .get(&pid)
            .map_or_else(|| UNKNOWN_NAME.to_string(), |process| process.name.clone())
    }

    /// The name of subscriber `endpoint`: from the table, else its process.
    fn subscriber_name(&self, endpoint: u32) -> String {
        match self.subscribers.get(endpoint) {
            Some(entry) if !entry.name.is_empty() => entry.name.clone(),
            _ => self
                .live
                .get(&endpoint)
                .map_or_else(|| format!("pid {endpoint}"), |process| process.name.clone()),
        }
    }

    /// The name a new table entry for `endpoint` gets: its process's name,
    /// or none yet.
    fn entry_name(&self, endpoint: u32) -> String {
        self.live
            .get(&endpoint)
            .map(|process| process.name.clone())
            .unwrap_or_default()
    }

    /// A service changed its event mask.
    pub(crate) fn subscribed(&mut self, subscribed: Subscribed) {
        let mark = self.next_mark();
        let name = self.entry_name(subscribed.endpoint);
        self.subscribers
            .subscribed(subscribed.endpoint, subscribed.mask, name, mark);
    }

    /// The PM notified a subscriber, at guest time `time_us`.
    pub(crate) fn published(&mut self, time_us: u64, publish: Publish) {
        let mark = self.next_mark();
        let entry_name = self.entry_name(publish.subscriber);
        self.subscribers
            .published(publish.subscriber, publish.kind, || entry_name, mark);
        let subscriber = self.subscriber_name(publish.subscriber);
        let process = self.process_name(publish.pid);
        self.flow
            .publish(ns(time_us), publish, || process, subscriber);
    }

    /// A subscriber acked.
    pub(crate) fn acked(&mut self, ack: Ack) {
        let mark = self.next_mark();
        self.subscribers.acked(ack.subscriber, ack.latency_ns, mark);
        self.flow.ack(ack);
    }

    /// An ack was ignored, at guest time `time_us`.
    pub(crate) fn ack_ignored(&mut self, time_us: u64, ignored: AckIgnored) {
        self.next_mark();
        self.subscribers.ignored(ignored.sender);
        let name = self.subscriber_name(ignored.sender);
        self.flow.ignored(ns(time_us), ignored, name);
    }

    /// The last ack of an event came, at guest time `time_us`.
    pub(crate) fn event_done(&mut self, time_us: u64, done: EventDone) {
        self.next_mark();
        let process = self.process_name(done.pid);
        self.flow.done(ns(time_us), done, || process);
    }

    /// One entry of the subscriber table, part of a snapshot round sent at
    /// guest time `time_us`.
    pub(crate) fn subscriber_snapshot(
        &mut self,
        time_us: u64,
        snapshot: SubscriberSnapshot<String>,
    ) {
        let mark = self.next_mark();
        self.rounds.frame(snapshot.round, mark, RoundFrame::Other);
        self.subscribers.snapshot(snapshot, ns(time_us), mark);
    }

    /// A subscriber's latency distribution, after its snapshot frame.
    pub(crate) fn latency_histogram(&mut self, histogram: protocol::message::LatencyHistogram) {
        self.subscribers.histogram(histogram);
    }

    /// Frames were lost on the way: what the current snapshot round leaves
    /// out proves nothing about the subscriber table.
    pub(crate) fn frames_lost(&mut self) {
        self.subscribers.frames_lost();
    }

    /// Every process waiting on a subscriber's ack (see `stuck::waiters`).
    pub fn waiters(&self) -> Vec<Waiter> {
        stuck::waiters(&self.flow, &self.subscribers)
    }

    /// The waits that have lasted `threshold_ns` or more at guest time
    /// `now_ns`, longest first.
    pub fn stuck_events(&self, now_ns: u64, threshold_ns: u64) -> Vec<StuckEvent> {
        if self.flow.in_flight_count() == 0
            && self
                .subscribers
                .entries()
                .iter()
                .all(|entry| entry.snapshot.is_none_or(|facts| facts.oldest.is_none()))
        {
            return Vec::new();
        }
        stuck::stuck_events(
            &self.waiters(),
            &self.flow,
            &self.subscribers,
            |pid| self.process_name(pid),
            now_ns,
            threshold_ns,
        )
    }

    /// Looks for stuck events at guest time `now_ns` and updates the
    /// warnings: after every frame while some are stuck (so an ack clears
    /// them at once), else every [`STUCK_CHECK_NS`] of guest time (a wait
    /// becomes stuck only as time passes).
    pub(crate) fn refresh_stuck(&mut self, now_ns: u64, threshold_ns: u64) {
        let due = self
            .stuck_checked_ns
            .is_none_or(|last| now_ns >= last.saturating_add(STUCK_CHECK_NS) || now_ns < last);
        if !due && self.stuck.current().is_empty() {
            return;
        }
        self.stuck_checked_ns = Some(now_ns);
        let stuck = self.stuck_events(now_ns, threshold_ns);
        if stuck.is_empty() && self.stuck.current().is_empty() {
            return;
        }
        self.stuck.refresh(now_ns, stuck, &self.flow);
    }
}
