//! The telemetry link: its overhead on a workload, the bytes each event
//! costs on the wire, and how close the framed stream comes to the raw
//! UART.

use crate::figures::{Curve, Figure, Report, Sampling, Target, sample_until_steady, steady};
use crate::guest::{self, GuestRun, summarize};
use boot_tests::boot;
use protocol::frame::{self, MAX_FRAME_LEN};
use protocol::message::{HeaderEncoder, Message, OwnedFrame, WireFrame};
use std::collections::BTreeMap;
use std::time::Duration;

/// Rounds of the telemetry benchmark (each boots the workload three times:
/// normal stream, quiet, flooded): at least this many...
const MIN_ROUNDS: usize = 4;
/// ...and at most this many while a cycle share's spread is wider than ±10%.
const MAX_ROUNDS: usize = 8;

/// The kernel options of a flooded boot.
const FLOOD: &str = "snapshot_ms=10 heartbeat_ms=1";

/// What one workload boot measured.
struct Workload {
    /// Telemetry cycles over busy cycles.
    share: f64,
    /// The part of the telemetry cycles spent draining.
    drain_part: f64,
    /// Send (stamp, encode, queue) cycles per frame queued.
    send_per_frame: f64,
    /// The workload's wall-clock time.
    wall_ns: f64,
    run: GuestRun,
}

/// Boots the workload once with `extra_args`.
fn workload(extra_args: &str) -> Workload {
    let run = guest::boot("bench-workload", extra_args, Duration::from_secs(300));
    let drain = run.get("telemetry_drain_cycles").median;
    let telemetry = run.get("telemetry_send_cycles").median + drain;
    let busy = run.get("busy_cycles").median;
    let share = telemetry / busy.max(1.0);
    let drain_part = drain / telemetry.max(1.0);
    let send_per_frame =
        run.get("telemetry_send_cycles").median / run.get("telemetry_frames").median.max(1.0);
    eprintln!(
        "bench:   workload [{extra_args}]: telemetry {:.2}% of {:.0} M busy cycles (send {:.1} M, drain {:.1} M), {:.0} ms",
        share * 100.0,
        busy / 1e6,
        run.get("telemetry_send_cycles").median / 1e6,
        drain / 1e6,
        run.get("workload_ns").median / 1e6
    );
    Workload {
        share,
        drain_part,
        send_per_frame,
        wall_ns: run.get("workload_ns").median,
        run,
    }
}

pub fn overhead(report: &mut Report) {
    let mut wall = Vec::new();
    let mut wall_flood = Vec::new();
    let mut quiet_share = Vec::new();
    let mut wall_ns = (Vec::new(), Vec::new(), Vec::new());
    let mut flood_dropped = 0;
    let mut drain_parts = (Vec::new(), Vec::new());
    let mut send_per_frame = Vec::new();
    // One boot to warm QEMU, the host's caches and the disk image, not
    // counted; then the modes interleaved, so drift in the machine's speed
    // hits every mode alike.
    guest::boot("bench-workload", "", Duration::from_secs(300));
    let columns = sample_until_steady(MIN_ROUNDS, MAX_ROUNDS, || {
        let normal = workload("");
        let quiet = workload("telemetry=quiet");
        let flooded = workload(FLOOD);
        let (share, on_ns) = (normal.share, normal.wall_ns);
        let (quiet, off_ns) = (quiet.share, quiet.wall_ns);
        let (share_flood, flood_ns) = (flooded.share, flooded.wall_ns);
        drain_parts.0.push(normal.drain_part);
        drain_parts.1.push(flooded.drain_part);
        send_per_frame.push(normal.send_per_frame);
        flood_dropped += flooded.run.run.stats.guest_dropped;
        wall.push(on_ns / off_ns);
        wall_flood.push(flood_ns / off_ns);
        quiet_share.push(quiet);
        wall_ns.0.push(on_ns);
        wall_ns.1.push(off_ns);
        wall_ns.2.push(flood_ns);
        vec![share, share_flood]
    });
    let rounds = columns[0].len();
    let share = summarize(&mut columns[0].clone());
    let share_flood = summarize(&mut columns[1].clone());
    let quiet = summarize(&mut quiet_share);
    let on = summarize(&mut wall_ns.0);
    let off = summarize(&mut wall_ns.1);
    let flood = summarize(&mut wall_ns.2);
    let per_cent = |value: f64| format!("{:.2}%", value * 100.0);
    let drain = summarize(&mut drain_parts.0).median;
    let drain_flood = summarize(&mut drain_parts.1).median;
    let per_frame = summarize(&mut send_per_frame).median;
    report.figures.push(
        Figure::summarised(
            "telemetry_cycle_share",
            "telemetry share of busy cycles (normal stream)",
            share,
            Sampling::Repeated,
            Target::AtMost(0.02),
        )
        .detail(format!(
            "telemetry {} of the busy cycles while the workload ran ({} of it draining to the UART, the rest stamping, encoding and queueing at {per_frame:.0} cycles per frame; median of {rounds} boots; {} with only essential frames)",
            per_cent(share.median),
            per_cent(drain),
            per_cent(quiet.median)
        ))
        .method(
            "The kernel (booted with bench=on) counts the TSC cycles it spends stamping, encoding and queueing \
             frames and draining the ring to the UART, and the cycles the CPU is not halted; the workload (300 \
             forks of a child touching 32 pages, a third of them killed) reads both before and after its run. \
             The figure is telemetry cycles over busy cycles in that stretch, one sample per boot.",
        ),
    );
    report.figures.push(
        Figure::summarised(
            "telemetry_cycle_share_flooded",
            "telemetry share of busy cycles (flooded)",
            share_flood,
            Sampling::Repeated,
            Target::AtMost(0.05),
        )
        .detail(format!(
            "telemetry {} of the busy cycles with snapshots every 10 ms and heartbeats every 1 ms ({} of it draining; {flood_dropped} frames dropped by the full ring over {rounds} boots)",
            per_cent(share_flood.median),
            per_cent(drain_flood)
        ))
        .method(
            "The same counters and workload with the stream flooded past what the link drains while the CPU is \
             busy (snapshot_ms=10 heartbeat_ms=1): the ring fills and drops, and the bounded drain per tick caps \
             the cost.",
        ),
    );
    report.figures.push(
        Figure::summarised(
            "telemetry_wall_clock_overhead",
            "cross-check: workload time, stream on / off",
            summarize(&mut wall),
            Sampling::Repeated,
            Target::None,
        )
        .detail(format!(
            "workload {:.1} ms with telemetry, {:.1} ms with only essential frames (medians of {rounds} boots each; the ratio is the median of the back-to-back pairs)",
            on.median / 1e6,
            off.median / 1e6
        ))
        .method(
            "The workload timed by the guest clock, booted alternately with the normal stream and with \
             telemetry=quiet (no heartbeats, snapshots or events): boot-to-boot noise under TCG is larger than \
             the effect, which is why the cycle share above is the figure.",
        ),
    );
    report.figures.push(
        Figure::summarised(
            "telemetry_wall_clock_overhead_flooded",
            "cross-check: workload time, flooded / off",
            summarize(&mut wall_flood),
            Sampling::Repeated,
            Target::None,
        )
        .detail(format!(
            "workload {:.1} ms flooded, {:.1} ms quiet",
            flood.median / 1e6,
            off.median / 1e6
        ))
        .method("As the cross-check above, with the flooded stream."),
    );
}

/// Encoded sizes of `frames`, in order, exactly as the guest sent them:
/// each header in the form the guest's encoder chose (a delta after the
/// frame before it, absolute on the first frame, after a drop and every
/// so often), then postcard, CRC, COBS and the delimiter.
fn encoded_lens(frames: &[OwnedFrame]) -> Vec<usize> {
    let mut headers = HeaderEncoder::new();
    let mut out = vec![0u8; MAX_FRAME_LEN];
    frames
        .iter()
        .map(|frame| {
            if matches!(frame.message, Message::Hello(_)) {
                headers = HeaderEncoder::new();
            }
            let wire = WireFrame {
                header: headers.wire_for(frame.header, &frame.message),
                message: &frame.message,
            };
            headers.enqueued(frame.header);
            frame::encode(&wire, &mut out).expect("a decoded frame encodes")
        })
        .collect()
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
        Message::PageFault(_) => "page fault",
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
/// frame size over all frames (for the dashboard's link frame rate) and the
/// frames themselves (the dashboard benchmark replays them).
pub fn bytes_per_event(report: &mut Report) -> (f64, Vec<OwnedFrame>) {
    let run = boot("demo", Duration::from_secs(8));
    let mut sizes: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
    for (frame, len) in run.frames.iter().zip(encoded_lens(&run.frames)) {
        sizes
            .entry(kind_name(&frame.message))
            .or_default()
            .push(len);
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
    let max = lifecycle.iter().copied().max().unwrap_or(0);
    let min = lifecycle.iter().copied().min().unwrap_or(0);
    let sizes_summary = summarize(&mut lifecycle.iter().map(|&len| len as f64).collect::<Vec<_>>());
    report.figures.push(
        Figure::new("bytes_per_lifecycle_event", "bytes per lifecycle event on the wire (mean)", mean, (sizes_summary.p10, sizes_summary.p90), Target::AtMost(12.0))
            .samples(lifecycle.len() as u64, Sampling::Distribution)
            .detail(format!("{} lifecycle frames of {} in 8 s of the demo; the spread is of the frame sizes (from {min} to {max} bytes); the figure is their mean", lifecycle.len(), all.len()))
            .method(
                "Every frame of a demo run re-encoded exactly as sent (the header as a time delta or absolute, as \
                 the guest chose it; postcard, CRC-16, COBS, delimiter) and measured; lifecycle events are spawn, \
                 exit, signal, reaped, publish, ack and event done.",
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
        note: "Sizes include the header (one varint of time since the previous frame; sequence number, time and drop \
               count spelled out on the first frame, after a drop and on every 16th), the CRC, COBS overhead and the \
               delimiter.",
    });
    (mean_all, run.frames)
}

/// Boots of bench-link at most, while the pooled windows' spread is wide.
const MAX_LINK_BOOTS: usize = 3;

/// Link efficiency; returns the raw UART rate in bytes per second.
pub fn efficiency(report: &mut Report) -> f64 {
    let mut windows = Vec::new();
    let mut boots = 0;
    let run = loop {
        let run = guest::boot("bench-link", "", Duration::from_secs(120));
        assert_eq!(
            run.run.stats.crc_errors, 0,
            "the flooded stream arrived intact"
        );
        windows.extend(
            run.reported
                .iter()
                .filter(|(name, _)| name.starts_with("link_efficiency_ppm_w"))
                .map(|(_, window)| window.median / 1e6),
        );
        boots += 1;
        let pooled = summarize(&mut windows.clone());
        if boots >= MAX_LINK_BOOTS || steady(pooled.median, pooled.p10, pooled.p90) {
            break run;
        }
    };
    let efficiency = summarize(&mut windows);
    let uart = run.get("link_uart_millicycles_per_byte").median / 1000.0;
    let path = run.get("link_path_millicycles_per_byte").median / 1000.0;
    let separate_raw = run.get("uart_raw_bytes_per_500ms").median * 2.0;
    let hz = run.tsc_hz as f64;
    let raw = hz / uart.max(f64::MIN_POSITIVE);
    let framed = hz / path.max(f64::MIN_POSITIVE);
    report.figures.push(
        Figure::summarised(
            "link_efficiency",
            "link efficiency (telemetry / raw UART bytes per second, same drain)",
            efficiency,
            Sampling::Repeated,
            Target::AtLeast(0.95),
        )
        .detail(format!(
            "telemetry {:.0} KB/s, raw UART {:.0} KB/s through the same drain ({path:.0} and {uart:.0} cycles per byte in the last boot); {} windows of 100 ms over {boots} boot(s); a separate raw window wrote {:.0} KB/s; {} frames decoded with no CRC errors",
            framed / 1000.0,
            raw / 1000.0,
            efficiency.n,
            separate_raw / 1000.0,
            run.run.stats.frames
        ))
        .method(
            "In one boot the kernel keeps the telemetry ring full of log frames and drains it through the real \
             path (stamp, encode, queue, drain), in ten windows of 100 ms; in each its counters give the cycles \
             inside the UART writes and the cycles of the whole path for the same bytes. The raw rate is bytes \
             over UART-write cycles, the telemetry rate bytes over whole-path cycles, so the ratio cannot \
             exceed 1; the figure is the median window (more boots while the windows' spread is wide); the \
             host checks every frame arrived.",
        ),
    );
    raw
}
