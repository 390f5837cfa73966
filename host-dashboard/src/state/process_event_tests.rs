//! Scenario tests of the process-event model: the PM's rules (ARCHITECTURE.md,
//! "Messages and the process manager's events") as the guest's frames show them, fed through `State::apply` with
//! guest time passed in.

use super::*;
use protocol::message::{
    Ack, AckIgnored, EventDone, EventKind, Exit, GuestFrame, Header, Heartbeat, Hello,
    IgnoredReason, LatencySummary, MASK_EXIT, MASK_SIGNAL, ProcessSnapshot, ProcessState, Publish,
    Reaped, SignalHandled, SnapshotDone, Spawn, Subscribed, SubscriberSnapshot, VmCounters,
};

/// Services a, b, c, d are pids 10..=13; the process the events are about
/// is pid 20.
const A: u32 = 10;
const B: u32 = 11;
const C: u32 = 12;
const D: u32 = 13;
const WORKER: u32 = 20;

/// A scripted guest feeding one state.
struct Guest {
    state: State,
    seq: u32,
}

impl Guest {
    /// Booted at guest time 0 with the services and the worker spawned.
    fn booted() -> Self {
        Self::booted_with(State::new("pubsub"))
    }

    fn booted_with(state: State) -> Self {
        let mut guest = Self { state, seq: 0 };
        guest.send(
            0,
            Message::Hello(Hello {
                protocol_version: PROTOCOL_VERSION,
                boot_id: 1,
                tsc_hz: 1_000_000_000,
                image: "pubsub".into(),
                platform: Default::default(),
            }),
        );
        for (pid, name) in [(A, "sub-a"), (B, "sub-b"), (C, "sub-c"), (D, "sub-d")] {
            guest.spawn(pid, name);
        }
        guest.spawn(WORKER, "worker");
        guest
    }

    fn send(&mut self, time_us: u64, message: Message<String>) {
        let header = Header {
            seq: self.seq,
            time_us,
            dropped_before: 0,
        };
        self.seq += 1;
        let now = Duration::from_micros(time_us + 2_000);
        self.state
            .apply(now, Input::Frame(GuestFrame { header, message }));
    }

    fn spawn(&mut self, pid: u32, name: &str) {
        let spawn = Spawn {
            pid,
            parent: 0,
            name: name.into(),
        };
        self.send(100, Message::Spawn(spawn));
    }

    fn subscribe(&mut self, time_us: u64, endpoint: u32, mask: u8) {
        self.send(time_us, Message::Subscribed(Subscribed { endpoint, mask }));
    }

    fn publish(&mut self, time_us: u64, event_id: u64, kind: EventKind, subscriber: u32) {
        let publish = Publish {
            event_id,
            pid: WORKER,
            kind,
            subscriber,
        };
        self.send(time_us, Message::Publish(publish));
    }

    fn ack(&mut self, time_us: u64, event_id: u64, subscriber: u32, latency_ns: u64) {
        let ack = Ack {
            event_id,
            subscriber,
            latency_ns,
        };
        self.send(time_us, Message::Ack(ack));
    }

    fn done(&mut self, time_us: u64, event_id: u64, kind: EventKind, elapsed_ns: u64) {
        let done = EventDone {
            event_id,
            pid: WORKER,
            kind,
            elapsed_ns,
        };
        self.send(time_us, Message::EventDone(done));
    }

    fn exit(&mut self, time_us: u64, pid: u32) {
        let exit = Exit {
            pid,
            status: 0,
            signal: 9,
        };
        self.send(time_us, Message::Exit(exit));
    }

    fn heartbeat(&mut self, time_us: u64) {
        let heartbeat = Heartbeat {
            uptime_ns: time_us * 1_000,
            dropped_total: 0,
            idle_ns: 0,
        };
        self.send(time_us, Message::Heartbeat(heartbeat));
    }

    fn system(&self) -> &System {
        self.state.system()
    }

    fn subscriber(&self, endpoint: u32) -> Option<&Subscriber> {
        self.system().subscribers().get(endpoint)
    }

    /// `(events, acks, ignored_acks, outstanding)` of a subscriber.
    fn counts(&self, endpoint: u32) -> (u64, u64, u64, u64) {
        let entry = self.subscriber(endpoint).expect("in the table");
        (
            entry.events,
            entry.acks,
            entry.ignored_acks,
            entry.outstanding,
        )
    }

    fn table(&self) -> Vec<(u32, u8)> {
        self.system()
            .subscribers()
            .entries()
            .iter()
            .map(|entry| (entry.endpoint, entry.mask))
            .collect()
    }

    fn record(&self, event_id: u64) -> &EventRecord {
        self.system().event_flow().get(event_id).expect("a record")
    }

    /// Who was notified of `event_id`, in order, and what became of it.
    fn notifications(&self, event_id: u64) -> Vec<(String, NotificationOutcome)> {
        self.record(event_id)
            .notifications
            .iter()
            .map(|n| (n.name.clone(), n.outcome))
            .collect()
    }
}

fn acked(at_ns: u64, latency_ns: u64) -> NotificationOutcome {
    NotificationOutcome::Acked { at_ns, latency_ns }
}

#[test]
fn subscribers_are_notified_one_at_a_time_in_subscription_order() {
    let mut guest = Guest::booted();
    guest.subscribe(1_000, A, MASK_EXIT);
    guest.subscribe(1_100, B, MASK_SIGNAL);
    guest.subscribe(1_200, C, MASK_EXIT | MASK_SIGNAL);
    assert_eq!(
        guest.table(),
        [
            (A, MASK_EXIT),
            (B, MASK_SIGNAL),
            (C, MASK_EXIT | MASK_SIGNAL)
        ]
    );
    assert_eq!(guest.subscriber(A).unwrap().name, "sub-a");
    // An EXIT of the worker: a, then c (b did not subscribe to EXIT).
    guest.exit(10_000, WORKER);
    guest.publish(10_000, 1, EventKind::Exit, A);
    assert_eq!(guest.record(1).waiting_on().unwrap().subscriber, A);
    assert_eq!(guest.counts(A), (1, 0, 0, 1));
    guest.ack(10_030, 1, A, 30_000);
    guest.publish(10_030, 1, EventKind::Exit, C);
    guest.ack(10_050, 1, C, 20_000);
    guest.done(10_050, 1, EventKind::Exit, 50_000);
    guest.send(10_400, Message::Reaped(Reaped { pid: WORKER }));
    assert_eq!(
        guest.notifications(1),
        [
            ("sub-a".into(), acked(10_030_000, 30_000)),
            ("sub-c".into(), acked(10_050_000, 20_000)),
        ]
    );
    let record = guest.record(1);
    assert_eq!(record.notifications[1].notified_ns, 10_030_000);
    assert_eq!(
        record.end,
        Some(EventEnd::Done {
            at_ns: 10_050_000,
            elapsed_ns: 50_000
        })
    );
    assert_eq!(record.follow_up.unwrap().what, FollowUpKind::Reaped);
    assert_eq!(guest.counts(A), (1, 1, 0, 0));
    assert_eq!(guest.counts(B), (0, 0, 0, 0));
    assert_eq!(guest.counts(C), (1, 1, 0, 0));
    assert_eq!(guest.subscriber(A).unwrap().recent_latency_ns, [30_000]);
    let counts = guest.system().event_flow().counts();
    assert_eq!((counts.published.exit, counts.completed), (1, 1));
}

#[test]
fn ignored_acks_are_counted_and_named_on_the_event_without_moving_it() {
    let mut guest = Guest::booted();
    guest.subscribe(1_000, A, MASK_SIGNAL);
    guest.subscribe(1_100, B, MASK_SIGNAL);
    guest.publish(5_000, 1, EventKind::Signal, A);
    // b acks out of turn, a acks the wrong kind: both ignored.
    let ignored = |sender, kind, reason| {
        Message::AckIgnored(AckIgnored {
            sender,
            pid: WORKER,
            kind,
            reason,
        })
    };
    guest.send(
        5_010,
        ignored(B, MASK_SIGNAL, IgnoredReason::WrongSubscriber),
    );
    guest.send(5_020, ignored(A, MASK_EXIT, IgnoredReason::WrongKind));
    assert_eq!(guest.counts(A), (1, 0, 1, 1));
    assert_eq!(guest.counts(B), (0, 0, 1, 0));
    let record = guest.record(1);
    let reasons: Vec<_> = record
        .ignored_acks
        .iter()
        .map(|ignored| (ignored.name.as_str(), ignored.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            ("sub-b", IgnoredReason::WrongSubscriber),
            ("sub-a", IgnoredReason::WrongKind)
        ]
    );
    assert_eq!(record.waiting_on().unwrap().subscriber, A);
    let counts = guest.system().event_flow().counts();
    assert_eq!(counts.ignored_acks, 2);
    assert_eq!(counts.ignored_by_reason.wrong_kind, 1);
}

#[test]
fn a_late_ack_after_unsubscribing_counts_and_then_the_entry_goes() {
    let mut guest = Guest::booted();
    guest.subscribe(1_000, A, MASK_EXIT);
    guest.subscribe(1_100, B, MASK_EXIT);
    guest.publish(5_000, 1, EventKind::Exit, A);
    // a unsubscribes while the event waits on it: it stays, mask 0.
    guest.subscribe(5_100, A, 0);
    assert_eq!(guest.table(), [(A, 0), (B, MASK_EXIT)]);
    assert!(guest.subscriber(A).unwrap().is_leaving());
    // Its ack still counts; with nothing outstanding the entry goes.
    guest.ack(5_200, 1, A, 200_000);
    assert_eq!(guest.table(), [(B, MASK_EXIT)]);
    guest.publish(5_200, 1, EventKind::Exit, B);
    assert_eq!(
        guest.notifications(1),
        [
            ("sub-a".into(), acked(5_200_000, 200_000)),
            ("sub-b".into(), NotificationOutcome::Waiting)
        ]
    );
}

#[test]
fn a_dead_subscriber_leaves_the_table_and_its_waiter_moves_on() {
    let mut guest = Guest::booted();
    for endpoint in [A, B, C] {
        guest.subscribe(1_000, endpoint, MASK_EXIT);
    }
    guest.publish(5_000, 1, EventKind::Exit, A);
    guest.ack(5_010, 1, A, 10_000);
    guest.publish(5_010, 1, EventKind::Exit, B);
    // b dies: its Exit, the PM's Subscribed(0) for it, then the worker's
    // event moves on to c.
    guest.exit(8_000, B);
    assert_eq!(guest.table(), [(A, MASK_EXIT), (C, MASK_EXIT)]);
    guest.subscribe(8_000, B, 0);
    assert_eq!(guest.table(), [(A, MASK_EXIT), (C, MASK_EXIT)]);
    guest.publish(8_000, 1, EventKind::Exit, C);
    assert_eq!(
        guest.notifications(1),
        [
            ("sub-a".into(), acked(5_010_000, 10_000)),
            (
                "sub-b".into(),
                NotificationOutcome::SubscriberGone { at_ns: 8_000_000 }
            ),
            ("sub-c".into(), NotificationOutcome::Waiting),
        ]
    );
    assert_eq!(guest.record(1).notifications[2].notified_ns, 8_000_000);
}

#[test]
fn a_subscriber_that_never_acks_makes_a_stuck_event_until_the_event_completes() {
    let mut guest = Guest::booted();
    guest.subscribe(1_000, D, MASK_EXIT);
    guest.exit(100_000, WORKER);
    guest.publish(100_000, 1, EventKind::Exit, D);
    for ms in (200..=2_000).step_by(100) {
        guest.heartbeat(ms * 1_000);
    }
    // 1.9 s of waiting: not yet.
    assert!(guest.system().stuck().current().is_empty());
    guest.heartbeat(2_100_000);
    let stuck = guest.system().stuck().current();
    assert_eq!(stuck.len(), 1);
    assert_eq!(
        (stuck[0].pid, stuck[0].process.as_str(), stuck[0].event_id),
        (WORKER, "worker", Some(1))
    );
    assert_eq!(
        (stuck[0].subscriber, stuck[0].subscriber_name.as_str()),
        (D, "sub-d")
    );
    assert_eq!(stuck[0].age_ns, 2_000_000_000);
    assert_eq!(
        stuck[0].describe(),
        "pid 20 (worker): exit event #1 waits on sub-d (pid 13) for 2.0 s"
    );
    guest.heartbeat(2_600_000);
    assert_eq!(guest.system().stuck().current()[0].age_ns, 2_500_000_000);
    // d acks at last; the event completes.
    guest.ack(2_650_000, 1, D, 2_550_000_000);
    guest.done(2_650_000, 1, EventKind::Exit, 2_550_000_000);
    assert!(guest.system().stuck().current().is_empty());
    let warnings: Vec<_> = guest.system().stuck().warnings().collect();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].raised_ns, 2_100_000_000);
    assert_eq!(warnings[0].cleared_ns, Some(2_650_000_000));
    assert_eq!(warnings[0].clearance, Some(Clearance::Acked));
    // The whole wait, until the ack.
    assert_eq!(warnings[0].event.age_ns, 2_550_000_000);
}

#[test]
fn killing_the_stuck_subscriber_clears_the_warning_and_the_event_moves_on() {
    let state = State::new("pubsub").with_stuck_after(Duration::from_millis(1_000));
    let mut guest = Guest::booted_with(state);
    guest.subscribe(1_000, D, MASK_SIGNAL);
    guest.subscribe(1_000, C, MASK_SIGNAL);
    guest.publish(100_000, 1, EventKind::Signal, D);
    guest.heartbeat(1_200_000);
    assert_eq!(guest.system().stuck().current().len(), 1);
    guest.exit(1_600_000, D);
    guest.subscribe(1_600_000, D, 0);
    guest.publish(1_600_000, 1, EventKind::Signal, C);
    assert!(guest.system().stuck().current().is_empty());
    let warning = guest.system().stuck().warnings().next().unwrap();
    assert_eq!(warning.clearance, Some(Clearance::SubscriberGone));
    guest.ack(1_600_040, 1, C, 40_000);
    guest.done(1_600_040, 1, EventKind::Signal, 1_500_040_000);
    let handled = SignalHandled {
        pid: WORKER,
        signal: 10,
    };
    guest.send(1_600_100, Message::SignalHandled(handled));
    let record = guest.record(1);
    assert_eq!(
        record.follow_up.unwrap().what,
        FollowUpKind::HandlerEntered { signal: 10 }
    );
}

/// Subscriber snapshot of `endpoint` at table `index` in round `round`.
fn listed(
    round: u32,
    index: u8,
    endpoint: u32,
    events: u64,
    outstanding: u32,
) -> SubscriberSnapshot<String> {
    SubscriberSnapshot {
        round,
        index,
        endpoint,
        name: String::new(),
        mask: MASK_EXIT,
        events,
        acks: events - u64::from(outstanding),
        ignored_acks: 0,
        outstanding,
        oldest_pid: if outstanding > 0 { WORKER } else { 0 },
        oldest_age_ns: 0,
        latency: LatencySummary {
            count: events,
            p50_ns: 4_096,
            p99_ns: 8_192,
            max_ns: 9_000,
        },
    }
}

fn round(
    guest: &mut Guest,
    time_us: u64,
    number: u32,
    subscribers: Vec<SubscriberSnapshot<String>>,
) {
    let worker = ProcessSnapshot {
        round: number,
        pid: WORKER,
        parent: 0,
        name: "worker".into(),
        state: ProcessState::Running,
        privileged: false,
        cpu_ns: 0,
        vm: VmCounters::default(),
        regions: 0,
    };
    guest.send(time_us, Message::Process(worker));
    for subscriber in subscribers {
        guest.send(time_us, Message::Subscriber(subscriber));
    }
    let done = SnapshotDone {
        round: number,
        processes: 1,
    };
    guest.send(time_us, Message::SnapshotDone(done));
}

#[test]
fn snapshots_correct_the_table_and_a_whole_round_drops_the_unlisted() {
    let mut guest = Guest::booted();
    guest.subscribe(1_000, A, MASK_EXIT);
    guest.subscribe(1_000, B, MASK_EXIT);
    // The host missed events: the snapshot's counters win, names come
    // from the processes.
    round(
        &mut guest,
        500_000,
        1,
        vec![listed(1, 0, A, 7, 0), listed(1, 1, B, 3, 0)],
    );
    assert_eq!(guest.counts(A), (7, 7, 0, 0));
    let latency = guest.subscriber(A).unwrap().latency;
    assert_eq!(
        (latency.p50_ns, latency.p99_ns, latency.max_ns),
        (4_096, 8_192, 9_000)
    );
    assert_eq!(guest.subscriber(B).unwrap().name, "sub-b");
    // a's exit was lost; the next whole round does not list it.
    round(&mut guest, 1_000_000, 2, vec![listed(2, 0, B, 3, 0)]);
    assert_eq!(guest.table(), [(B, MASK_EXIT)]);
}

#[test]
fn a_round_after_lost_frames_drops_no_subscriber() {
    let mut guest = Guest::booted();
    guest.subscribe(1_000, A, MASK_EXIT);
    guest.subscribe(1_000, B, MASK_EXIT);
    // Frames were lost on the link just before round 1: b's entry may
    // have been one of them.
    guest.seq += 3;
    round(&mut guest, 500_000, 1, vec![listed(1, 0, A, 0, 0)]);
    assert_eq!(guest.table(), [(A, MASK_EXIT), (B, MASK_EXIT)]);
}
