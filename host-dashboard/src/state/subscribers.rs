//! The PM's subscriber table as the host tracks it: absolute snapshots,
//! corrected live by the events between them.
//!
//! Every snapshot round lists each table entry (`Subscriber` frames, in
//! table order) with its counters, ack-latency percentiles and the process
//! waiting longest on it; a snapshot overwrites what the host had. Between
//! rounds the events keep the entries current, by the PM's own rules:
//! `Subscribed` adds an entry or replaces its mask; `Publish` adds an event
//! and an outstanding ack; `Ack` turns an outstanding ack into an ack and
//! gives a latency sample (kept for a sparkline); `AckIgnored` counts. An
//! entry whose mask is 0 goes with its last outstanding ack; a subscriber
//! that dies goes at once ([`SubscriberTable::died`]). After a complete
//! round that lost no frame, entries it did not list have left the table.

use super::names::event_kind_bit;
use protocol::message::{EventKind, LatencyHistogram, LatencySummary, SubscriberSnapshot};
use std::collections::VecDeque;

/// Ack latencies kept per subscriber for its sparkline.
pub const LATENCY_SAMPLES: usize = 120;

/// One entry of the subscriber table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscriber {
    /// The service's pid.
    pub endpoint: u32,
    /// Its name (empty until a snapshot or its process named it).
    pub name: String,
    /// Its mask (`MASK_*` bits; 0: unsubscribed, waiting for its last acks).
    pub mask: u8,
    /// Events sent to it.
    pub events: u64,
    /// Acks accepted from it.
    pub acks: u64,
    /// Acks from it that were ignored.
    pub ignored_acks: u64,
    /// Events sent to it and not acked yet.
    pub outstanding: u64,
    /// Ack-latency percentiles, from the latest snapshot.
    pub latency: LatencySummary,
    /// Ack latencies by power of two since boot, from the latest
    /// `LatencyHistogram` frame (none before its first ack, or from a guest
    /// that does not send them).
    pub histogram: Option<LatencyHistogram>,
    /// The latest ack latencies (from `Ack` events), oldest first.
    pub recent_latency_ns: VecDeque<u64>,
    /// What the latest snapshot said about who waits on it.
    pub snapshot: Option<SnapshotFacts>,
    /// When the table last had evidence that it exists (see `System::mark`).
    pub(crate) seen_at: u64,
}

/// What a subscriber's latest snapshot said about the processes waiting on
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotFacts {
    /// The round.
    pub round: u32,
    /// Guest time of the snapshot frame, in nanoseconds.
    pub at_ns: u64,
    /// Events it had not acked.
    pub outstanding: u32,
    /// The process waiting longest on it, if any.
    pub oldest: Option<OldestWaiter>,
}

/// The process waiting longest on a subscriber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OldestWaiter {
    /// The process.
    pub pid: u32,
    /// Guest time it was notified to this subscriber, in nanoseconds.
    pub since_ns: u64,
}

impl Subscriber {
    fn new(endpoint: u32, name: String, mask: u8, mark: u64) -> Self {
        Self {
            endpoint,
            name,
            mask,
            events: 0,
            acks: 0,
            ignored_acks: 0,
            outstanding: 0,
            latency: LatencySummary::default(),
            histogram: None,
            recent_latency_ns: VecDeque::new(),
            snapshot: None,
            seen_at: mark,
        }
    }

    /// Its name, or `pid N` while the host does not know it.
    pub fn display_name(&self) -> String {
        if self.name.is_empty() {
            format!("pid {}", self.endpoint)
        } else {
            self.name.clone()
        }
    }

    /// Whether it unsubscribed and only waits for its last acks.
    pub fn is_leaving(&self) -> bool {
        self.mask == 0
    }

    fn gone_by_rule(&self) -> bool {
        self.mask == 0 && self.outstanding == 0
    }
}

/// Which entries of a snapshot round arrived, to tell a whole listing from
/// one with a frame lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Listing {
    round: u32,
    /// Entries listed so far; the next one must have this index.
    listed: u32,
    /// An entry came out of order (one before it was lost).
    gap: bool,
}

/// The subscriber table, in subscription order.
#[derive(Clone, Debug, Default)]
pub struct SubscriberTable {
    entries: Vec<Subscriber>,
    listing: Option<Listing>,
    /// Frames were lost since the last round ended.
    lossy: bool,
}

impl SubscriberTable {
    /// The entries, in subscription order (a position is the PM's index).
    pub fn entries(&self) -> &[Subscriber] {
        &self.entries
    }

    /// The entry of service `endpoint`.
    pub fn get(&self, endpoint: u32) -> Option<&Subscriber> {
        self.entries.iter().find(|entry| entry.endpoint == endpoint)
    }

    fn position(&self, endpoint: u32) -> Option<usize> {
        self.entries
            .iter()
            .position(|entry| entry.endpoint == endpoint)
    }

    /// The entry of `endpoint`, created at the end of the table (named by
    /// `name`) if the host missed its subscription.
    fn entry(
        &mut self,
        endpoint: u32,
        name: impl FnOnce() -> String,
        mark: u64,
    ) -> &mut Subscriber {
        let index = match self.position(endpoint) {
            Some(index) => index,
            None => {
                self.entries
                    .push(Subscriber::new(endpoint, name(), 0, mark));
                self.entries.len() - 1
            }
        };
        let entry = &mut self.entries[index];
        entry.seen_at = mark;
        entry
    }

    /// `endpoint` set its mask to `mask`: a new entry at the end of the
    /// table, a new mask, or (mask 0 with nothing outstanding) its end.
    pub(crate) fn subscribed(&mut self, endpoint: u32, mask: u8, name: String, mark: u64) {
        match self.position(endpoint) {
            Some(index) => {
                let entry = &mut self.entries[index];
                entry.mask = mask;
                entry.seen_at = mark;
                if entry.name.is_empty() {
                    entry.name = name;
                }
                if entry.gone_by_rule() {
                    self.entries.remove(index);
                }
            }
            None if mask != 0 => self
                .entries
                .push(Subscriber::new(endpoint, name, mask, mark)),
            None => {}
        }
    }

    /// The PM notified `endpoint` of an event of `kind`.
    pub(crate) fn published(
        &mut self,
        endpoint: u32,
        kind: EventKind,
        name: impl FnOnce() -> String,
        mark: u64,
    ) {
        let entry = self.entry(endpoint, name, mark);
        if entry.mask == 0 && entry.events == 0 {
            // Its subscription was lost: it wants this kind at least.
            entry.mask = event_kind_bit(kind);
        }
        entry.events += 1;
        entry.outstanding += 1;
    }

    /// `endpoint` acked an event after `latency_ns`. Without an outstanding
    /// event (its `Publish` was lost) the event is counted too, so that
    /// `acks + outstanding == events` still holds. An entry the host does
    /// not know (its subscription was lost too) waits for the next snapshot.
    pub(crate) fn acked(&mut self, endpoint: u32, latency_ns: u64, mark: u64) {
        let Some(index) = self.position(endpoint) else {
            return;
        };
        let entry = &mut self.entries[index];
        entry.seen_at = mark;
        entry.acks += 1;
        match entry.outstanding.checked_sub(1) {
            Some(outstanding) => entry.outstanding = outstanding,
            None => entry.events += 1,
        }
        if entry.recent_latency_ns.len() == LATENCY_SAMPLES {
            entry.recent_latency_ns.pop_front();
        }
        entry.recent_latency_ns.push_back(latency_ns);
        if entry.gone_by_rule() {
            self.entries.remove(index);
        }
    }

    /// `sender` sent an ack that was ignored.
    pub(crate) fn ignored(&mut self, sender: u32) {
        if let Some(index) = self.position(sender) {
            self.entries[index].ignored_acks += 1;
        }
    }

    /// Service `endpoint` died: it left the table (processes waiting on it
    /// move on). Returns whether it was in the table.
    pub(crate) fn died(&mut self, endpoint: u32) -> bool {
        let index = self.position(endpoint);
        if let Some(index) = index {
            self.entries.remove(index);
        }
        index.is_some()
    }

    /// Takes in one entry of a snapshot round, sent at guest time `at_ns`:
    /// its counters replace the host's, and it moves to the position the
    /// PM gives it.
    pub(crate) fn snapshot(&mut self, snapshot: SubscriberSnapshot<String>, at_ns: u64, mark: u64) {
        self.note_listed(snapshot.round, snapshot.index);
        let mut entry = match self.position(snapshot.endpoint) {
            Some(index) => self.entries.remove(index),
            None => Subscriber::new(snapshot.endpoint, String::new(), 0, mark),
        };
        if !snapshot.name.is_empty() {
            entry.name = snapshot.name;
        }
        entry.mask = snapshot.mask;
        entry.events = snapshot.events;
        entry.acks = snapshot.acks;
        entry.ignored_acks = snapshot.ignored_acks;
        entry.outstanding = u64::from(snapshot.outstanding);
        entry.latency = snapshot.latency;
        entry.seen_at = mark;
        let oldest = (snapshot.oldest_pid != 0).then(|| OldestWaiter {
            pid: snapshot.oldest_pid,
            since_ns: at_ns.saturating_sub(snapshot.oldest_age_ns),
        });
        entry.snapshot = Some(SnapshotFacts {
            round: snapshot.round,
            at_ns,
            outstanding: snapshot.outstanding,
            oldest,
        });
        let at = usize::from(snapshot.index).min(self.entries.len());
        self.entries.insert(at, entry);
    }

    /// Takes in the latency distribution of an entry the host knows (an
    /// absolute count: it replaces the previous one).
    pub(crate) fn histogram(&mut self, histogram: LatencyHistogram) {
        if let Some(index) = self.position(histogram.endpoint) {
            self.entries[index].histogram = Some(histogram);
        }
    }

    fn note_listed(&mut self, round: u32, index: u8) {
        let mut listing = match self.listing {
            Some(listing) if listing.round == round => listing,
            _ => Listing {
                round,
                listed: 0,
                gap: false,
            },
        };
        listing.gap |= u32::from(index) != listing.listed;
        listing.listed += 1;
        self.listing = Some(listing);
    }

    /// Round `round` ended. If it was complete and lost no frame
    /// (`started_at` is the mark its first frame arrived at), entries with
    /// no sign of life since then have left the table. Returns how many
    /// went.
    pub(crate) fn round_done(&mut self, round: u32, started_at: Option<u64>) -> usize {
        let listing = self.listing.take();
        let lossy = std::mem::take(&mut self.lossy);
        let Some(started_at) = started_at else {
            return 0;
        };
        let whole = !lossy
            && match listing {
                Some(listing) => listing.round == round && !listing.gap,
                // No entry listed: the table is empty.
                None => true,
            };
        if !whole {
            return 0;
        }
        let before = self.entries.len();
        self.entries.retain(|entry| entry.seen_at >= started_at);
        before - self.entries.len()
    }

    /// Frames were lost (a sequence gap, or the guest's ring dropped
    /// some): nothing may be concluded from what the round being listed,
    /// or the next one, leaves out.
    pub(crate) fn frames_lost(&mut self) {
        self.lossy = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::{MASK_EXIT, MASK_SIGNAL};

    fn name(text: &str) -> impl FnOnce() -> String + '_ {
        move || text.to_string()
    }

    fn endpoints(table: &SubscriberTable) -> Vec<u32> {
        table.entries().iter().map(|entry| entry.endpoint).collect()
    }

    fn listed(round: u32, index: u8, endpoint: u32, events: u64) -> SubscriberSnapshot<String> {
        SubscriberSnapshot {
            round,
            index,
            endpoint,
            name: format!("s{endpoint}"),
            mask: MASK_EXIT,
            events,
            acks: events,
            ignored_acks: 0,
            outstanding: 0,
            oldest_pid: 0,
            oldest_age_ns: 0,
            latency: LatencySummary::default(),
        }
    }

    #[test]
    fn entries_keep_subscription_order_and_counters_add_up() {
        let mut table = SubscriberTable::default();
        table.subscribed(1, MASK_EXIT | MASK_SIGNAL, "ipc".into(), 1);
        table.subscribed(2, MASK_EXIT, "acct".into(), 2);
        table.published(1, EventKind::Exit, name("?"), 3);
        table.published(2, EventKind::Exit, name("?"), 4);
        table.acked(1, 40_000, 5);
        assert_eq!(endpoints(&table), [1, 2]);
        let ipc = table.get(1).unwrap();
        assert_eq!((ipc.events, ipc.acks, ipc.outstanding), (1, 1, 0));
        assert_eq!(ipc.recent_latency_ns, [40_000]);
        let acct = table.get(2).unwrap();
        assert_eq!((acct.events, acct.acks, acct.outstanding), (1, 0, 1));
        // A new mask replaces the old one in place.
        table.subscribed(1, MASK_SIGNAL, "ipc".into(), 6);
        assert_eq!(table.get(1).unwrap().mask, MASK_SIGNAL);
        assert_eq!(endpoints(&table), [1, 2]);
    }

    #[test]
    fn an_unsubscribed_entry_stays_until_its_last_ack() {
        let mut table = SubscriberTable::default();
        table.subscribed(1, MASK_EXIT, "a".into(), 1);
        table.subscribed(2, MASK_EXIT, "b".into(), 1);
        table.published(2, EventKind::Exit, name("?"), 2);
        table.published(2, EventKind::Exit, name("?"), 2);
        table.subscribed(2, 0, "b".into(), 3);
        assert!(table.get(2).unwrap().is_leaving());
        table.acked(2, 10, 4);
        assert_eq!(endpoints(&table), [1, 2]);
        table.acked(2, 10, 5);
        assert_eq!(endpoints(&table), [1]);
        // With nothing outstanding, unsubscribing ends the entry at once.
        table.subscribed(1, 0, "a".into(), 6);
        assert_eq!(endpoints(&table), Vec::<u32>::new());
    }

    #[test]
    fn an_ack_whose_publish_was_lost_keeps_the_counters_consistent() {
        let mut table = SubscriberTable::default();
        table.subscribed(7, MASK_EXIT, "late".into(), 1);
        table.acked(7, 10, 2);
        let entry = table.get(7).unwrap();
        assert_eq!((entry.events, entry.acks, entry.outstanding), (1, 1, 0));
        // An ack from a service the host never saw subscribe waits for the
        // next snapshot: its mask is unknown.
        table.acked(8, 10, 3);
        assert_eq!(endpoints(&table), [7]);
    }

    #[test]
    fn the_latency_series_is_bounded() {
        let mut table = SubscriberTable::default();
        table.subscribed(1, MASK_EXIT, "a".into(), 1);
        for latency in 0..(LATENCY_SAMPLES as u64 + 5) {
            table.published(1, EventKind::Exit, name("?"), 2);
            table.acked(1, latency, 2);
        }
        let series = &table.get(1).unwrap().recent_latency_ns;
        assert_eq!(series.len(), LATENCY_SAMPLES);
        assert_eq!(series.front(), Some(&5));
    }

    #[test]
    fn a_snapshot_overwrites_counters_and_places_the_entry_at_its_index() {
        let mut table = SubscriberTable::default();
        table.subscribed(2, MASK_EXIT, String::new(), 1);
        table.subscribed(1, MASK_EXIT, String::new(), 1);
        let mut snapshot = listed(1, 0, 1, 9);
        snapshot.outstanding = 1;
        snapshot.acks = 8;
        snapshot.oldest_pid = 12;
        snapshot.oldest_age_ns = 300_000;
        table.snapshot(snapshot, 1_000_000, 2);
        assert_eq!(endpoints(&table), [1, 2]);
        let entry = table.get(1).unwrap();
        assert_eq!(
            (entry.name.as_str(), entry.events, entry.acks),
            ("s1", 9, 8)
        );
        assert_eq!(
            entry.snapshot.unwrap().oldest,
            Some(OldestWaiter {
                pid: 12,
                since_ns: 700_000
            })
        );
    }

    #[test]
    fn a_whole_round_drops_entries_it_did_not_list() {
        let mut table = SubscriberTable::default();
        table.subscribed(1, MASK_EXIT, "a".into(), 1);
        table.subscribed(2, MASK_EXIT, "b".into(), 1);
        table.subscribed(3, MASK_EXIT, "c".into(), 1);
        // Round 4 starts at mark 10 and lists 1 and 3 (2 has died).
        table.snapshot(listed(4, 0, 1, 0), 0, 11);
        table.snapshot(listed(4, 1, 3, 0), 0, 12);
        // Not complete: nothing is concluded.
        assert_eq!(table.round_done(4, None), 0);
        assert_eq!(endpoints(&table), [1, 3, 2]);
        table.snapshot(listed(5, 0, 1, 0), 0, 21);
        table.snapshot(listed(5, 1, 3, 0), 0, 22);
        assert_eq!(table.round_done(5, Some(20)), 1);
        assert_eq!(endpoints(&table), [1, 3]);
    }

    #[test]
    fn a_round_with_a_lost_entry_drops_nothing() {
        let mut table = SubscriberTable::default();
        table.subscribed(1, MASK_EXIT, "a".into(), 1);
        table.subscribed(2, MASK_EXIT, "b".into(), 1);
        // Entry 0 was lost: entry 1 arrives first.
        table.snapshot(listed(4, 1, 2, 0), 0, 11);
        assert_eq!(table.round_done(4, Some(10)), 0);
        assert_eq!(endpoints(&table), [1, 2]);
        // A frame lost anywhere in the round (the last entry, say).
        table.snapshot(listed(5, 0, 1, 0), 0, 21);
        table.frames_lost();
        assert_eq!(table.round_done(5, Some(20)), 0);
        assert_eq!(endpoints(&table), [1, 2]);
    }

    #[test]
    fn a_dead_subscriber_leaves_at_once() {
        let mut table = SubscriberTable::default();
        table.subscribed(1, MASK_EXIT, "a".into(), 1);
        table.published(1, EventKind::Exit, name("?"), 2);
        assert!(table.died(1));
        assert!(!table.died(1));
        assert!(table.entries().is_empty());
    }
}
