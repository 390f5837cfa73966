//! Stuck events: processes kept waiting on one subscriber's ack for too
//! long.
//!
//! The design lets a live subscriber that never acks block a process for
//! good (cleanup must finish), so the dashboard must make that obvious. Who
//! waits on whom comes from two sources. The in-flight event records say
//! which event, which subscriber and since when; each subscriber's latest
//! snapshot names the process waiting longest on it and for how long, and
//! is authoritative: a record whose notification a later snapshot shows
//! answered (its `Ack` frame was lost) does not count, and a waiter a
//! snapshot names without a record (its `Publish` was lost) does.
//!
//! [`StuckWatch`] turns the stuck events found at each moment into warning
//! episodes: raised when a wait first passes the threshold, kept up to date
//! while it lasts, cleared (and kept in the history) when it ends.

use super::flow::{EventFlow, NotificationOutcome};
use super::names::event_kind_name;
use super::subscribers::SubscriberTable;
use protocol::message::EventKind;
use std::collections::VecDeque;
use std::time::Duration;

/// How long a process may wait on one subscriber before its event counts
/// as stuck, by default (guest time).
pub const DEFAULT_STUCK_AFTER: Duration = Duration::from_secs(2);

/// Warnings kept (the oldest are dropped first).
pub const WARNING_CAPACITY: usize = 100;

/// Two guest timestamps this close apart are taken for the same moment:
/// frames about one notification are stamped a few microseconds apart.
const SAME_MOMENT_NS: u64 = 1_000_000;

/// A process waiting on a subscriber's ack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter {
    /// The process.
    pub pid: u32,
    /// The subscriber it waits on.
    pub subscriber: u32,
    /// Guest time that subscriber was notified, in nanoseconds.
    pub since_ns: u64,
    /// The event, if the host has its record.
    pub event_id: Option<u64>,
    /// Its kind, if known.
    pub kind: Option<EventKind>,
}

/// Every process waiting on a subscriber's ack, as the best evidence says.
pub fn waiters(flow: &EventFlow, table: &SubscriberTable) -> Vec<Waiter> {
    let mut waiters = Vec::new();
    for record in flow.in_flight() {
        let Some(notification) = record.waiting_on() else {
            continue;
        };
        // A subscriber no longer in the table has died: the event moves on.
        let Some(subscriber) = table.get(notification.subscriber) else {
            continue;
        };
        let notified = notification.notified_ns;
        if let Some(facts) = subscriber.snapshot
            && facts.at_ns > notified + SAME_MOMENT_NS
        {
            // A later snapshot knows better: nothing outstanding, or a
            // longest wait that began after this one, means it was acked.
            let answered = facts.outstanding == 0
                || facts
                    .oldest
                    .is_some_and(|oldest| oldest.since_ns > notified + SAME_MOMENT_NS);
            if answered {
                continue;
            }
        }
        waiters.push(Waiter {
            pid: record.pid,
            subscriber: notification.subscriber,
            since_ns: notified,
            event_id: Some(record.event_id),
            kind: Some(record.kind),
        });
    }
    for subscriber in table.entries() {
        let Some(oldest) = subscriber.snapshot.and_then(|facts| facts.oldest) else {
            continue;
        };
        let known = waiters
            .iter()
            .any(|waiter| waiter.pid == oldest.pid && waiter.subscriber == subscriber.endpoint);
        if known {
            continue;
        }
        // Events after the snapshot may show the wait ended: the latest
        // event about the process moved past this subscriber, or ended.
        let latest = flow.latest_for(oldest.pid);
        let moved_on = latest.is_some_and(|record| {
            let answered = record.notifications.iter().any(|notification| {
                notification.subscriber == subscriber.endpoint
                    && notification.outcome != NotificationOutcome::Waiting
                    && notification.notified_ns <= oldest.since_ns + SAME_MOMENT_NS
            });
            let ended_since = record
                .ended_ns()
                .is_some_and(|ended| ended + SAME_MOMENT_NS >= oldest.since_ns);
            answered || ended_since
        });
        if moved_on {
            continue;
        }
        let in_flight = flow.in_flight_for(oldest.pid);
        waiters.push(Waiter {
            pid: oldest.pid,
            subscriber: subscriber.endpoint,
            since_ns: oldest.since_ns,
            event_id: in_flight.map(|record| record.event_id),
            kind: in_flight.map(|record| record.kind),
        });
    }
    waiters
}

/// An event stuck on a subscriber.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StuckEvent {
    /// The event, if the host has its record.
    pub event_id: Option<u64>,
    /// The process kept stopped.
    pub pid: u32,
    /// Its name.
    pub process: String,
    /// The event's kind, if known.
    pub kind: Option<EventKind>,
    /// The subscriber that has not acked.
    pub subscriber: u32,
    /// Its name.
    pub subscriber_name: String,
    /// Guest time the subscriber was notified, in nanoseconds.
    pub since_ns: u64,
    /// How long the process has waited on it, in nanoseconds.
    pub age_ns: u64,
}

impl StuckEvent {
    /// One line naming the process, the event, the subscriber and the age:
    /// `pid 12 (worker): exit event #34 waits on sub-d (pid 9) for 2.4 s`.
    pub fn describe(&self) -> String {
        let kind = self.kind.map_or("an", event_kind_name);
        let event = match self.event_id {
            Some(event_id) => format!("{kind} event #{event_id}"),
            None => format!("{kind} event"),
        };
        format!(
            "pid {} ({}): {event} waits on {} (pid {}) for {:.1} s",
            self.pid,
            self.process,
            self.subscriber_name,
            self.subscriber,
            self.age_ns as f64 / 1e9
        )
    }
}

/// The waits among `waiters` that have lasted `threshold_ns` or more at
/// guest time `now_ns`, longest first. `process_name` names a process the
/// flow has no record of.
pub fn stuck_events(
    waiters: &[Waiter],
    flow: &EventFlow,
    table: &SubscriberTable,
    process_name: impl Fn(u32) -> String,
    now_ns: u64,
    threshold_ns: u64,
) -> Vec<StuckEvent> {
    let mut stuck: Vec<StuckEvent> = waiters
        .iter()
        .filter(|waiter| now_ns.saturating_sub(waiter.since_ns) >= threshold_ns)
        .map(|waiter| {
            let process = waiter
                .event_id
                .and_then(|event_id| flow.get(event_id))
                .map_or_else(|| process_name(waiter.pid), |record| record.process.clone());
            let subscriber_name = table.get(waiter.subscriber).map_or_else(
                || format!("pid {}", waiter.subscriber),
                |entry| entry.display_name(),
            );
            StuckEvent {
                event_id: waiter.event_id,
                pid: waiter.pid,
                process,
                kind: waiter.kind,
                subscriber: waiter.subscriber,
                subscriber_name,
                since_ns: waiter.since_ns,
                age_ns: now_ns.saturating_sub(waiter.since_ns),
            }
        })
        .collect();
    stuck.sort_by_key(|event| (std::cmp::Reverse(event.age_ns), event.pid));
    stuck
}

/// How a stuck event's wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clearance {
    /// The subscriber acked at last.
    Acked,
    /// The subscriber died; the event moved on.
    SubscriberGone,
    /// The event ended (its ack was not seen).
    EventEnded,
    /// It no longer waits, for a reason the host did not see.
    Unknown,
}

/// One stuck-event episode, from the moment it passed the threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StuckWarning {
    /// The stuck event as last seen; once cleared, its age is the whole
    /// wait (until the ack, the subscriber's death or the event's end).
    pub event: StuckEvent,
    /// Guest time it was first seen stuck, in nanoseconds.
    pub raised_ns: u64,
    /// Guest time it was seen no longer stuck, while it lasts `None`.
    pub cleared_ns: Option<u64>,
    /// How it ended.
    pub clearance: Option<Clearance>,
}

impl StuckWarning {
    /// Whether it is still stuck.
    pub fn is_active(&self) -> bool {
        self.cleared_ns.is_none()
    }

    /// One line saying what happened: while it lasts as
    /// [`StuckEvent::describe`]; once over, `pid 16 (exit-with): exit event
    /// #26 waited 1.6 s on sub-d (pid 4), until it died`.
    pub fn describe(&self) -> String {
        let event = &self.event;
        if self.is_active() {
            return event.describe();
        }
        let kind = event.kind.map_or("an", event_kind_name);
        let id = event
            .event_id
            .map_or_else(String::new, |event_id| format!(" #{event_id}"));
        let until = match self.clearance {
            Some(Clearance::Acked) => ", until it acked",
            Some(Clearance::SubscriberGone) => ", until it died",
            Some(Clearance::EventEnded) => ", until the event ended",
            Some(Clearance::Unknown) | None => "",
        };
        format!(
            "pid {} ({}): {kind} event{id} waited {:.1} s on {} (pid {}){until}",
            event.pid,
            event.process,
            event.age_ns as f64 / 1e9,
            event.subscriber_name,
            event.subscriber
        )
    }
}

/// The events stuck now, and every stuck episode of the boot (at most
/// [`WARNING_CAPACITY`], oldest first).
#[derive(Clone, Debug, Default)]
pub struct StuckWatch {
    current: Vec<StuckEvent>,
    warnings: VecDeque<StuckWarning>,
    dropped: u64,
}

impl StuckWatch {
    /// The events stuck as of the last refresh, longest first.
    pub fn current(&self) -> &[StuckEvent] {
        &self.current
    }

    /// Stuck episodes, oldest first.
    pub fn warnings(&self) -> impl DoubleEndedIterator<Item = &StuckWarning> + ExactSizeIterator {
        self.warnings.iter()
    }

    /// Episodes dropped to bound the history.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Takes in the events `stuck` at guest time `now_ns`: raises new
    /// episodes, updates the ongoing ones and clears those that ended
    /// (`flow` says how).
    pub(crate) fn refresh(&mut self, now_ns: u64, stuck: Vec<StuckEvent>, flow: &EventFlow) {
        let mut matched = vec![false; stuck.len()];
        for warning in self.warnings.iter_mut().filter(|w| w.is_active()) {
            let same = stuck.iter().position(|event| {
                event.pid == warning.event.pid
                    && event.subscriber == warning.event.subscriber
                    && event.since_ns.abs_diff(warning.event.since_ns) <= SAME_MOMENT_NS
            });
            match same {
                Some(index) => {
                    matched[index] = true;
                    warning.event = stuck[index].clone();
                }
                None => {
                    let (clearance, ended_ns) = clearance(&warning.event, flow);
                    let ended_ns = ended_ns.unwrap_or(now_ns);
                    warning.cleared_ns = Some(now_ns);
                    warning.clearance = Some(clearance);
                    warning.event.age_ns = ended_ns.saturating_sub(warning.event.since_ns);
                }
            }
        }
        for (event, _) in stuck.iter().zip(&matched).filter(|(_, matched)| !**matched) {
            if self.warnings.len() == WARNING_CAPACITY {
                self.warnings.pop_front();
                self.dropped += 1;
            }
            self.warnings.push_back(StuckWarning {
                event: event.clone(),
                raised_ns: now_ns,
                cleared_ns: None,
                clearance: None,
            });
        }
        self.current = stuck;
    }
}

/// How `event`'s wait ended, and when, if the flow knows.
fn clearance(event: &StuckEvent, flow: &EventFlow) -> (Clearance, Option<u64>) {
    let record = event
        .event_id
        .and_then(|event_id| flow.get(event_id))
        .or_else(|| flow.latest_for(event.pid));
    let Some(record) = record else {
        return (Clearance::Unknown, None);
    };
    let outcome = record
        .notifications
        .iter()
        .rev()
        .find(|notification| notification.subscriber == event.subscriber)
        .map(|notification| notification.outcome);
    match outcome {
        Some(NotificationOutcome::Acked { at_ns, .. }) => (Clearance::Acked, Some(at_ns)),
        Some(NotificationOutcome::SubscriberGone { at_ns }) => {
            (Clearance::SubscriberGone, Some(at_ns))
        }
        _ if !record.in_flight() => (Clearance::EventEnded, record.ended_ns()),
        _ => (Clearance::Unknown, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::{Ack, LatencySummary, MASK_EXIT, Publish, SubscriberSnapshot};

    const SECOND: u64 = 1_000_000_000;
    const THRESHOLD: u64 = 2 * SECOND;

    fn table_with(endpoints: &[u32]) -> SubscriberTable {
        let mut table = SubscriberTable::default();
        for &endpoint in endpoints {
            table.subscribed(endpoint, MASK_EXIT, format!("s{endpoint}"), 0);
        }
        table
    }

    fn notify(
        flow: &mut EventFlow,
        table: &mut SubscriberTable,
        at_ns: u64,
        event_id: u64,
        subscriber: u32,
    ) {
        let publish = Publish {
            event_id,
            pid: 9,
            kind: EventKind::Exit,
            subscriber,
        };
        table.published(subscriber, EventKind::Exit, String::new, 0);
        flow.publish(at_ns, publish, || "worker".into(), format!("s{subscriber}"));
    }

    fn snapshot(
        endpoint: u32,
        outstanding: u32,
        oldest_pid: u32,
        oldest_age_ns: u64,
    ) -> SubscriberSnapshot<String> {
        SubscriberSnapshot {
            round: 1,
            index: 0,
            endpoint,
            name: format!("s{endpoint}"),
            mask: MASK_EXIT,
            events: 1,
            acks: 1 - u64::from(outstanding),
            ignored_acks: 0,
            outstanding,
            oldest_pid,
            oldest_age_ns,
            latency: LatencySummary::default(),
        }
    }

    fn stuck_at(flow: &EventFlow, table: &SubscriberTable, now_ns: u64) -> Vec<StuckEvent> {
        let waiters = waiters(flow, table);
        stuck_events(
            &waiters,
            flow,
            table,
            |pid| format!("p{pid}"),
            now_ns,
            THRESHOLD,
        )
    }

    #[test]
    fn a_wait_past_the_threshold_is_stuck_and_names_both_sides() {
        let mut table = table_with(&[4]);
        let mut flow = EventFlow::default();
        notify(&mut flow, &mut table, SECOND, 7, 4);
        assert!(stuck_at(&flow, &table, 2 * SECOND).is_empty());
        let stuck = stuck_at(&flow, &table, 3 * SECOND + 5);
        assert_eq!(
            stuck,
            [StuckEvent {
                event_id: Some(7),
                pid: 9,
                process: "worker".into(),
                kind: Some(EventKind::Exit),
                subscriber: 4,
                subscriber_name: "s4".into(),
                since_ns: SECOND,
                age_ns: 2 * SECOND + 5,
            }]
        );
    }

    #[test]
    fn a_later_snapshot_showing_the_ack_overrules_a_record_whose_ack_was_lost() {
        let mut table = table_with(&[4]);
        let mut flow = EventFlow::default();
        notify(&mut flow, &mut table, SECOND, 7, 4);
        // The Ack frame is lost; the next snapshot has nothing outstanding.
        table.snapshot(snapshot(4, 0, 0, 0), SECOND + SECOND / 2, 1);
        assert!(stuck_at(&flow, &table, 5 * SECOND).is_empty());
    }

    #[test]
    fn a_snapshot_names_a_waiter_whose_publish_was_lost() {
        let mut table = table_with(&[4]);
        let flow = EventFlow::default();
        // At 3 s, pid 12 has waited 2.5 s on subscriber 4.
        table.snapshot(snapshot(4, 1, 12, 2 * SECOND + SECOND / 2), 3 * SECOND, 1);
        let stuck = stuck_at(&flow, &table, 3 * SECOND);
        assert_eq!(stuck.len(), 1);
        assert_eq!((stuck[0].pid, stuck[0].process.as_str()), (12, "p12"));
        assert_eq!(
            (stuck[0].event_id, stuck[0].age_ns),
            (None, 2 * SECOND + SECOND / 2)
        );
    }

    #[test]
    fn the_snapshot_and_the_record_of_one_wait_count_once() {
        let mut table = table_with(&[4]);
        let mut flow = EventFlow::default();
        notify(&mut flow, &mut table, SECOND, 7, 4);
        table.snapshot(snapshot(4, 1, 9, 2 * SECOND), 3 * SECOND + 20_000, 1);
        let stuck = stuck_at(&flow, &table, 4 * SECOND);
        assert_eq!(stuck.len(), 1);
        assert_eq!(stuck[0].event_id, Some(7));
    }

    #[test]
    fn a_snapshot_waiter_acked_since_is_not_stuck() {
        let mut table = table_with(&[4, 5]);
        let mut flow = EventFlow::default();
        table.snapshot(snapshot(4, 1, 9, SECOND), 2 * SECOND, 1);
        // The flow shows 4 acked pid 9's event and 5 was notified next.
        notify(&mut flow, &mut table, SECOND, 7, 4);
        flow.ack(Ack {
            event_id: 7,
            subscriber: 4,
            latency_ns: 1_500_000_000,
        });
        notify(&mut flow, &mut table, 2_500_000_000, 7, 5);
        let stuck = stuck_at(&flow, &table, 5 * SECOND);
        let on: Vec<u32> = stuck.iter().map(|event| event.subscriber).collect();
        assert_eq!(on, [5]);
    }

    #[test]
    fn an_episode_is_raised_updated_and_cleared_with_its_cause() {
        let mut table = table_with(&[4]);
        let mut flow = EventFlow::default();
        let mut watch = StuckWatch::default();
        notify(&mut flow, &mut table, 0, 7, 4);
        for now in [SECOND, 2 * SECOND, 3 * SECOND] {
            let stuck = stuck_at(&flow, &table, now);
            watch.refresh(now, stuck, &flow);
        }
        assert_eq!(watch.current().len(), 1);
        let warnings: Vec<_> = watch.warnings().collect();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].raised_ns, 2 * SECOND);
        assert_eq!(warnings[0].event.age_ns, 3 * SECOND);
        assert!(warnings[0].is_active());
        flow.ack(Ack {
            event_id: 7,
            subscriber: 4,
            latency_ns: 3 * SECOND + 1,
        });
        let stuck = stuck_at(&flow, &table, 3 * SECOND + 2);
        watch.refresh(3 * SECOND + 2, stuck, &flow);
        assert!(watch.current().is_empty());
        let warning = watch.warnings().next().unwrap();
        assert_eq!(warning.cleared_ns, Some(3 * SECOND + 2));
        assert_eq!(warning.clearance, Some(Clearance::Acked));
        // The whole wait: until the ack.
        assert_eq!(warning.event.age_ns, 3 * SECOND + 1);
        assert_eq!(
            warning.describe(),
            "pid 9 (worker): exit event #7 waited 3.0 s on s4 (pid 4), until it acked"
        );
    }
}
