//! The telemetry link: its overhead on a workload, the bytes each event
//! costs on the wire, and how close the framed stream comes to the raw
//! UART.

use crate::figures::{Curve, Figure, Report};
use crate::guest::{self, summarize};
use boot_tests::boot;
use protocol::frame::{self, MAX_FRAME_LEN};
use protocol::message::{Message, OwnedFrame};
use std::collections::BTreeMap;
use std::time::Duration;

/// Boots per telemetry mode.
const WORKLOAD_BOOTS: usize = 7;

pub fn overhead(report: &mut Report) {
    let mut full = Vec::new();
    let mut quiet = Vec::new();
    let mut flood = Vec::new();
    let mut flood_dropped = 0;
    // One boot to warm QEMU, the host's caches and the disk image, not
    // counted; then the modes interleaved, so drift in the machine's speed
    // hits every mode alike.
    guest::boot("bench-workload", "", Duration::from_secs(300));
    for _ in 0..WORKLOAD_BOOTS {
        full.push(
            guest::boot("bench-workload", "", Duration::from_secs(300))
                .get("workload_ns")
                .median,
        );
        quiet.push(
            guest::boot(
                "bench-workload",
                "telemetry=quiet",
                Duration::from_secs(300),
            )
            .get("workload_ns")
            .median,
        );
        let flooded = guest::boot(
            "bench-workload",
            "snapshot_ms=10 heartbeat_ms=1",
            Duration::from_secs(300),
        );
        flood_dropped += flooded.run.stats.guest_dropped;
        flood.push(flooded.get("workload_ns").median);
    }
    // Ratios of the boots run back to back: the machine's drift cancels.
    let mut full_ratios: Vec<f64> = full.iter().zip(&quiet).map(|(on, off)| on / off).collect();
    let mut flood_ratios: Vec<f64> = flood.iter().zip(&quiet).map(|(on, off)| on / off).collect();
    let full_s = summarize(&mut full);
    let quiet_s = summarize(&mut quiet);
    let flood_s = summarize(&mut flood);
    let pairs = summarize(&mut full_ratios);
    let flood_pairs = summarize(&mut flood_ratios);
    let ratio = pairs.median;
    let spread = (pairs.p10, pairs.p90);
    report.figures.push(
        Figure::at_most("telemetry overhead (stream on / off)", ratio, spread, 1.03, "<= 1.03")
            .detail(format!(
                "workload {:.1} ms with telemetry, {:.1} ms with only essential frames (medians of {WORKLOAD_BOOTS} boots each; the ratio is the median of the back-to-back pairs)",
                full_s.median / 1e6,
                quiet_s.median / 1e6
            ))
            .method(
                "A fixed workload (300 forks of a child touching 32 pages, a third of them killed) timed by the \
                 guest clock, booted alternately with the normal stream and with telemetry=quiet (no heartbeats, \
                 snapshots or events).",
            ),
    );
    report.figures.push(
        Figure::at_most("telemetry overhead, ring full (flooded / off)", flood_pairs.median, (flood_pairs.p10, flood_pairs.p90), 1.03, "<= 1.03")
            .detail(format!(
                "workload {:.1} ms with snapshots every 10 ms and heartbeats every 1 ms ({flood_dropped} frames dropped by the full ring over {WORKLOAD_BOOTS} boots)",
                flood_s.median / 1e6
            ))
            .method(
                "The same workload with the stream flooded past what the link drains while the CPU is busy, so the \
                 ring fills and drops: drops cost nothing, the bounded drain per tick caps the cost.",
            ),
    );
}

/// Encoded size of a frame (re-encoding is deterministic: the same bytes
/// the guest sent).
fn encoded_len(frame: &OwnedFrame) -> usize {
    let mut out = vec![0u8; MAX_FRAME_LEN];
    frame::encode(frame, &mut out).expect("a decoded frame encodes")
}

fn kind_name(message: &Message<String>) -> &'static str {
    match message {
        Message::Hello(_) => "hello",
        Message::Heartbeat(_) => "heartbeat",
        Message::Log(_) => "log",
        Message::Panic(_) => "panic",
        Message::KernelFault(_) => "kernel fault",
        Message::PowerOff(_) => "power off",
        Message::Spawn(_) => "spawn",
        Message::Exit(_) => "exit",
        Message::Signal(_) => "signal",
        Message::SignalHandled(_) => "signal handled",
        Message::UserFault(_) => "user fault",
        Message::BadPointer(_) => "bad pointer",
        Message::Reaped(_) => "reaped",
        Message::Process(_) => "process snapshot",
        Message::SnapshotDone(_) => "snapshot done",
        Message::Region(_) => "region snapshot",
        Message::Memory(_) => "memory snapshot",
        Message::Subscribed(_) => "subscribed",
        Message::Publish(_) => "publish",
        Message::Ack(_) => "ack",
        Message::AckIgnored(_) => "ack ignored",
        Message::EventDone(_) => "event done",
        Message::Subscriber(_) => "subscriber snapshot",
        Message::CommandResult(_) => "command result",
        Message::CommandRejected(_) => "command rejected",
        Message::VmFlags(_) => "vm flags",
        Message::LatencyHistogram(_) => "latency histogram",
    }
}

const LIFECYCLE: [&str; 7] = [
    "spawn",
    "exit",
    "signal",
    "reaped",
    "publish",
    "ack",
    "event done",
];

/// Bytes per message kind over a run of the demo image; returns the mean
/// frame size over all frames (for the dashboard's link frame rate).
pub fn bytes_per_event(report: &mut Report) -> f64 {
    let run = boot("demo", Duration::from_secs(8));
    let mut sizes: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
    for frame in &run.frames {
        sizes
            .entry(kind_name(&frame.message))
            .or_default()
            .push(encoded_len(frame));
    }
    let all: Vec<usize> = sizes.values().flatten().copied().collect();
    let mean_all = all.iter().sum::<usize>() as f64 / all.len().max(1) as f64;
    let lifecycle: Vec<usize> = LIFECYCLE
        .iter()
        .filter_map(|kind| sizes.get(kind))
        .flatten()
        .copied()
        .collect();
    let mean = lifecycle.iter().sum::<usize>() as f64 / lifecycle.len().max(1) as f64;
    let max = lifecycle.iter().copied().max().unwrap_or(0) as f64;
    let min = lifecycle.iter().copied().min().unwrap_or(0) as f64;
    report.figures.push(
        Figure::at_most("bytes per lifecycle event on the wire (mean)", mean, (min, max), 16.0, "<= 16")
            .detail(format!("{} lifecycle frames of {} in 8 s of the demo; spread is min..max", lifecycle.len(), all.len()))
            .method(
                "Every frame of a demo run re-encoded exactly as sent (postcard, CRC-16, COBS, delimiter) and \
                 measured; lifecycle events are spawn, exit, signal, reaped, publish, ack and event done.",
            ),
    );
    let rows = sizes
        .iter()
        .map(|(kind, lens)| {
            let mean = lens.iter().sum::<usize>() as f64 / lens.len() as f64;
            vec![
                kind.to_string(),
                lens.len().to_string(),
                format!("{mean:.1}"),
                lens.iter().max().unwrap().to_string(),
            ]
        })
        .collect();
    report.curves.push(Curve {
        title: "Bytes per frame on the wire, by message kind (8 s of the demo)",
        header: vec!["kind", "frames", "mean bytes", "max bytes"],
        rows,
        note: "Sizes include the header (sequence number, time, drop count), the CRC, COBS overhead and the delimiter.",
    });
    mean_all
}

/// Link efficiency; returns the raw UART rate in bytes per second.
pub fn efficiency(report: &mut Report) -> f64 {
    let run = guest::boot("bench-link", "", Duration::from_secs(120));
    let raw = run.get("uart_raw_bytes_per_s").median;
    let framed = run.get("telemetry_bytes_per_s").median;
    assert_eq!(
        run.run.stats.crc_errors, 0,
        "the flooded stream arrived intact"
    );
    report.figures.push(
        Figure::at_least("link efficiency (telemetry / raw UART bytes per second)", framed / raw, (framed / raw, framed / raw), 0.9, ">= 0.9")
            .detail(format!(
                "telemetry {:.0} KB/s, raw {:.0} KB/s, one second each; {} frames decoded with no CRC errors",
                framed / 1000.0,
                raw / 1000.0,
                run.run.stats.frames
            ))
            .method(
                "In one boot the kernel writes raw bytes to the UART for one second, then keeps the telemetry ring \
                 full of log frames for one second, draining it through the real path (encode, ring, drain); both \
                 rates are counted in the kernel and the host checks every frame arrived.",
            ),
    );
    raw
}
