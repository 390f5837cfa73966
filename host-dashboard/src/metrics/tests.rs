//! Tests of the exposition: names, values, labels, histogram buckets and
//! the bounded set of series.

use super::*;
use crate::state::Input;
use protocol::PROTOCOL_VERSION;
use protocol::message::{
    Ack, EventKind, GuestFrame, Header, Hello, LatencyHistogram as WireHistogram, LatencySummary,
    Log2Buckets, MASK_EXIT, MemorySnapshot, Message, ProcessSnapshot, Publish, Reaped, Spawn,
    Subscribed, SubscriberSnapshot, VmCounters,
};
use std::time::Duration;

fn feed(state: &mut State, seq: u32, message: Message<String>) {
    let header = Header {
        seq,
        time_us: 1_000 * u64::from(seq),
        dropped_before: 0,
    };
    state.apply(
        Duration::from_millis(u64::from(seq)),
        Input::Frame(GuestFrame { header, message }),
    );
}

fn booted() -> State {
    let mut state = State::new("demo");
    state.apply(Duration::ZERO, Input::QemuStarted { pid: 9 });
    feed(
        &mut state,
        0,
        Message::Hello(Hello {
            protocol_version: PROTOCOL_VERSION,
            boot_id: 4242,
            tsc_hz: 1_000_000,
            image: "demo".into(),
            platform: Default::default(),
        }),
    );
    feed(
        &mut state,
        1,
        Message::Spawn(Spawn {
            pid: 7,
            parent: 1,
            name: "worker".into(),
        }),
    );
    feed(
        &mut state,
        2,
        Message::Process(ProcessSnapshot {
            round: 1,
            pid: 7,
            parent: 1,
            name: "worker".into(),
            state: protocol::message::ProcessState::Sleeping,
            privileged: false,
            cpu_ns: 1_500_000_000,
            vm: VmCounters {
                vm_total_pages: 10,
                vm_total_max_pages: 12,
                minor_faults: 33,
                major_faults: 2,
            },
            regions: 0,
        }),
    );
    feed(
        &mut state,
        3,
        Message::Memory(MemorySnapshot {
            round: 1,
            free_frames: 100,
            total_frames: 200,
            cached_pages: 3,
            swap_used: 4,
            swap_total: 50,
            disk_reads: 6,
            disk_writes: 7,
        }),
    );
    feed(
        &mut state,
        4,
        Message::Subscribed(Subscribed {
            endpoint: 2,
            mask: MASK_EXIT,
        }),
    );
    feed(
        &mut state,
        5,
        Message::Publish(Publish {
            event_id: 1,
            pid: 7,
            kind: EventKind::Exit,
            subscriber: 2,
        }),
    );
    feed(
        &mut state,
        6,
        Message::Ack(Ack {
            event_id: 1,
            subscriber: 2,
            latency_ns: 3_000,
        }),
    );
    state
}

fn line_value(text: &str, series: &str) -> Option<String> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(str::to_string)
}

#[test]
fn the_exposition_is_openmetrics_with_prometheus_names_and_session_labels() {
    let text = render(&booted());
    assert!(text.ends_with("# EOF\n"), "{text}");
    let worker = r#"image="demo",boot_id="4242",pid="7",name="worker""#;
    for (series, value) in [
        (format!("watchtower_process_minor_faults_total{{{worker}}}"), "33"),
        (format!("watchtower_process_major_faults_total{{{worker}}}"), "2"),
        (format!("watchtower_process_vm_total_bytes{{{worker}}}"), "40960"),
        (format!("watchtower_process_vm_total_max_bytes{{{worker}}}"), "49152"),
        (format!("watchtower_process_cpu_seconds_total{{{worker}}}"), "1.5"),
        (
            format!("watchtower_process_state{{{worker},state=\"sleeping\"}}"),
            "1",
        ),
        (
            format!("watchtower_process_state{{{worker},state=\"running\"}}"),
            "0",
        ),
        (
            r#"watchtower_memory_free_bytes{image="demo",boot_id="4242"}"#.to_string(),
            "409600",
        ),
        (
            r#"watchtower_swap_used_bytes{image="demo",boot_id="4242"}"#.to_string(),
            "16384",
        ),
        (
            r#"watchtower_disk_written_bytes_total{image="demo",boot_id="4242"}"#.to_string(),
            "28672",
        ),
        (
            r#"watchtower_events_total{image="demo",boot_id="4242",kind="spawn"}"#.to_string(),
            "1",
        ),
        (
            r#"watchtower_subscriber_events_total{image="demo",boot_id="4242",endpoint="2",name=""}"#
                .to_string(),
            "1",
        ),
        (
            r#"watchtower_subscriber_acks_total{image="demo",boot_id="4242",endpoint="2",name=""}"#
                .to_string(),
            "1",
        ),
        (
            r#"watchtower_link_frames_total{image="demo",boot_id="4242"}"#.to_string(),
            "0",
        ),
    ] {
        assert_eq!(
            line_value(&text, &series).as_deref(),
            Some(value),
            "{series} in\n{text}"
        );
    }
    assert!(text.contains("# UNIT watchtower_process_cpu_seconds seconds"));
    assert!(text.contains("# TYPE watchtower_process_minor_faults counter"));
    // Every sample is of a family declared once.
    let mut declared = std::collections::HashSet::new();
    for line in text.lines().filter(|line| line.starts_with("# TYPE ")) {
        assert!(declared.insert(line.to_string()), "{line} twice");
    }
}

#[test]
fn a_reaped_process_leaves_the_exposition() {
    let mut state = booted();
    assert!(render(&state).contains(r#"pid="7""#));
    feed(
        &mut state,
        7,
        Message::Exit(protocol::message::Exit {
            pid: 7,
            status: 0,
            signal: 0,
        }),
    );
    feed(&mut state, 8, Message::Reaped(Reaped { pid: 7 }));
    let text = render(&state);
    assert!(!text.contains(r#"pid="7""#), "{text}");
    assert_eq!(
        line_value(
            &text,
            r#"watchtower_events_total{image="demo",boot_id="4242",kind="exit"}"#
        )
        .as_deref(),
        Some("1")
    );
}

#[test]
fn the_latency_histogram_has_the_kernels_counts_in_cumulative_buckets() {
    let mut state = booted();
    feed(
        &mut state,
        7,
        Message::Subscriber(SubscriberSnapshot {
            round: 1,
            index: 0,
            endpoint: 2,
            name: "ipc".into(),
            mask: MASK_EXIT,
            events: 5,
            acks: 5,
            ignored_acks: 0,
            outstanding: 0,
            oldest_pid: 0,
            oldest_age_ns: 0,
            latency: LatencySummary {
                count: 5,
                p50_ns: 3_000,
                p99_ns: 2_000_000,
                max_ns: 2_000_000,
            },
        }),
    );
    let mut buckets = Log2Buckets::default();
    buckets.add(Log2Buckets::bucket_of(500), 1); // below 1 µs: the first bucket
    buckets.add(Log2Buckets::bucket_of(3_000), 3); // below 4096 ns
    buckets.add(Log2Buckets::bucket_of(2_000_000), 1); // below 2^21 ns
    feed(
        &mut state,
        8,
        Message::LatencyHistogram(WireHistogram {
            round: 1,
            endpoint: 2,
            sum_ns: 2_009_500,
            buckets,
        }),
    );
    let text = render(&state);
    let labels = r#"image="demo",boot_id="4242",endpoint="2",name="ipc""#;
    let bucket = |le: &str| {
        line_value(
            &text,
            &format!("watchtower_subscriber_ack_latency_seconds_bucket{{le=\"{le}\",{labels}}}"),
        )
    };
    assert_eq!(bucket("0.000001024").as_deref(), Some("1"), "{text}");
    assert_eq!(bucket("0.000002048").as_deref(), Some("1"));
    assert_eq!(bucket("0.000004096").as_deref(), Some("4"));
    assert_eq!(bucket("0.001048576").as_deref(), Some("4"));
    assert_eq!(bucket("0.002097152").as_deref(), Some("5"));
    assert_eq!(bucket("+Inf").as_deref(), Some("5"));
    assert_eq!(
        line_value(
            &text,
            &format!("watchtower_subscriber_ack_latency_seconds_count{{{labels}}}")
        )
        .as_deref(),
        Some("5")
    );
    assert_eq!(
        line_value(
            &text,
            &format!("watchtower_subscriber_ack_latency_seconds_sum{{{labels}}}")
        )
        .as_deref(),
        Some("0.0020095")
    );
}

#[test]
fn a_histogram_for_an_unknown_subscriber_is_ignored() {
    let mut state = booted();
    let mut buckets = Log2Buckets::default();
    buckets.add(3, 1);
    feed(
        &mut state,
        7,
        Message::LatencyHistogram(WireHistogram {
            round: 1,
            endpoint: 99,
            sum_ns: 5,
            buckets,
        }),
    );
    assert!(!render(&state).contains(r#"endpoint="99""#));
}
