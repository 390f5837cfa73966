//! Snapshot tests of the charts view (key 5): the system-wide history and
//! each subscriber's ack-latency distribution. A scripted guest runs for
//! 10 s of guest time with a snapshot round every 500 ms: memory drains
//! into swap halfway, a worker's faults come in a burst, and two
//! subscribers send their latency histograms; ↑/↓ pick the subscriber whose
//! distribution is drawn.

mod common;

use common::Session;
use protocol::PROTOCOL_VERSION;
use protocol::message::{
    LatencyHistogram, LatencySummary, Log2Buckets, MASK_EXIT, MemorySnapshot, Message,
    ProcessSnapshot, ProcessState, SnapshotDone, Spawn, Subscribed, SubscriberSnapshot, VmCounters,
};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use watchtower::app::View;

fn round(session: &mut Session, n: u32) {
    let time_us = u64::from(n) * 500_000;
    let rounds = u64::from(n);
    // The worker faults 10 per round, 100 per round from 3 s to 5 s.
    let minor_faults = 10 * rounds
        + if n > 6 {
            90 * u64::from(n.min(10) - 6)
        } else {
            0
        };
    session.send(
        time_us,
        Message::Process(ProcessSnapshot {
            round: n,
            pid: 3,
            parent: 1,
            name: "worker",
            state: ProcessState::Running,
            privileged: false,
            cpu_ns: rounds * 400_000_000,
            vm: VmCounters {
                vm_total_pages: 64,
                vm_total_max_pages: 64,
                minor_faults,
                major_faults: 0,
            },
            regions: 0,
        }),
    );
    let swapped = u64::from(n.saturating_sub(10)) * 200;
    session.send(
        time_us,
        Message::Memory(MemorySnapshot {
            round: n,
            free_frames: 30_000 - 1_000 * u64::from(n.min(10)),
            total_frames: 32_000,
            cached_pages: 100,
            swap_used: swapped,
            swap_total: 8_192,
            disk_reads: 0,
            disk_writes: swapped,
        }),
    );
    for (index, (endpoint, name, typical_ns)) in [(1u32, "ipc", 40_000u64), (2, "acct", 120_000)]
        .into_iter()
        .enumerate()
    {
        let acks = 4 * rounds;
        let mut buckets = Log2Buckets::default();
        buckets.add(Log2Buckets::bucket_of(typical_ns / 2), (acks / 4) as u32);
        buckets.add(Log2Buckets::bucket_of(typical_ns), (acks / 2) as u32);
        buckets.add(Log2Buckets::bucket_of(typical_ns * 8), (acks / 4) as u32);
        session.send(
            time_us,
            Message::Subscriber(SubscriberSnapshot {
                round: n,
                index: index as u8,
                endpoint,
                name,
                mask: MASK_EXIT,
                events: acks,
                acks,
                ignored_acks: 0,
                outstanding: 0,
                oldest_pid: 0,
                oldest_age_ns: 0,
                latency: LatencySummary {
                    count: acks,
                    p50_ns: typical_ns,
                    p99_ns: typical_ns * 8 * u64::from(1 + n / 10),
                    max_ns: typical_ns * 16,
                },
            }),
        );
        session.send(
            time_us,
            Message::LatencyHistogram(LatencyHistogram {
                round: n,
                endpoint,
                sum_ns: acks * typical_ns * 2,
                buckets,
            }),
        );
    }
    session.send(
        time_us,
        Message::SnapshotDone(SnapshotDone {
            round: n,
            processes: 1,
        }),
    );
    session.heartbeat(time_us, 1, 2);
}

fn running() -> Session {
    let mut session = Session::start();
    session.hello(PROTOCOL_VERSION);
    session.send(
        3_000,
        Message::Spawn(Spawn {
            pid: 3,
            parent: 1,
            name: "worker",
        }),
    );
    for endpoint in [1, 2] {
        session.send(
            4_000,
            Message::Subscribed(Subscribed {
                endpoint,
                mask: MASK_EXIT,
            }),
        );
    }
    for n in 1..=20 {
        round(&mut session, n);
    }
    session.tick(10_010);
    session
}

#[test]
fn the_charts_view_draws_the_history_and_the_latency_distributions() {
    let mut session = running();
    session
        .app
        .perform_key(KeyEvent::new(KeyCode::Char('5'), KeyModifiers::NONE));
    assert_eq!(session.app.view(), View::Charts);
    let history = session.app.state().history().samples();
    assert_eq!(history.len(), 20, "a sample per snapshot round");
    let burst = history
        .iter()
        .map(|s| s.faults_per_second)
        .fold(0.0, f64::max);
    assert_eq!(burst, 200.0, "100 faults in half a second");
    assert_eq!(history.back().unwrap().swap_used, 2_000);
    assert_eq!(
        session.app.subscribers().selected(session.app.state()),
        Some(1),
        "the first one"
    );
    insta::assert_snapshot!(session.screen());
}

#[test]
fn down_picks_the_next_subscribers_distribution() {
    let mut session = running();
    for code in [KeyCode::Char('5'), KeyCode::Down, KeyCode::Down] {
        session
            .app
            .perform_key(KeyEvent::new(code, KeyModifiers::NONE));
    }
    assert_eq!(
        session.app.subscribers().selected(session.app.state()),
        Some(2),
        "clamped at the last"
    );
    insta::assert_snapshot!(session.screen());
    session
        .app
        .perform_key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    assert_eq!(
        session.app.subscribers().selected(session.app.state()),
        Some(1)
    );
}

#[test]
fn the_charts_view_waits_for_its_first_snapshot() {
    let mut session = Session::booted();
    session
        .app
        .perform_key(KeyEvent::new(KeyCode::Char('5'), KeyModifiers::NONE));
    insta::assert_snapshot!(session.screen());
}
