//! The dashboard's throughput: frames decoded and applied to the state
//! model per second, against the most frames the link can carry; and its
//! memory after ten million frames against after ten thousand.

use crate::figures::{Figure, Report, Target};
use protocol::frame::{self, MAX_FRAME_LEN};
use protocol::message::OwnedFrame;
use std::time::{Duration, Instant};
use watchtower::ingest::Ingest;
use watchtower::state::State;

const SMALL: usize = 10_000;
const LARGE: usize = 10_000_000;
const CHUNK: usize = 10_000;

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// Replays `sample` (frames of a real run) over and over with fresh sequence
/// numbers and times, `count` frames in all; returns the time spent in the
/// decoder and model (encoding excluded) and the RSS afterwards.
fn replay(sample: &[OwnedFrame], count: usize) -> (Duration, u64) {
    let mut state = State::new("demo");
    let mut ingest = Ingest::new();
    let mut busy = Duration::ZERO;
    let mut bytes = Vec::with_capacity(CHUNK * 40);
    let mut encoded = vec![0u8; MAX_FRAME_LEN];
    let mut sent = 0usize;
    let mut guest_time_us = 0u64;
    // Headers as the guest would send them: time deltas, absolute every
    // so often.
    let mut headers = protocol::message::HeaderEncoder::new();
    while sent < count {
        bytes.clear();
        let chunk = CHUNK.min(count - sent);
        for index in 0..chunk {
            let mut frame = sample[(sent + index) % sample.len()].clone();
            frame.header.seq = (sent + index) as u32;
            guest_time_us += 50;
            frame.header.time_us = guest_time_us;
            if let protocol::message::Message::Hello(_) = frame.message {
                // One boot: later Hellos would restart the picture.
                if sent + index > 0 {
                    frame.message =
                        protocol::message::Message::Heartbeat(protocol::message::Heartbeat {
                            uptime_ns: guest_time_us * 1000,
                            dropped_total: 0,
                            idle_ns: 0,
                        });
                }
            }
            let wire = protocol::message::WireFrame {
                header: headers.wire_for(frame.header, &frame.message),
                message: &frame.message,
            };
            headers.enqueued(frame.header);
            let len = frame::encode(&wire, &mut encoded).expect("encodes");
            bytes.extend_from_slice(&encoded[..len]);
        }
        let start = Instant::now();
        ingest.feed(&mut state, Duration::from_micros(guest_time_us), &bytes);
        busy += start.elapsed();
        sent += chunk;
    }
    (busy, rss_kib())
}

pub fn measure(
    report: &mut Report,
    sample: &[OwnedFrame],
    mean_frame_bytes: f64,
    link_bytes_per_s: f64,
) {
    let (_, small_rss) = replay(sample, SMALL);
    let (busy, large_rss) = replay(sample, LARGE);
    let frames_per_s = LARGE as f64 / busy.as_secs_f64();
    let link_frames_per_s = link_bytes_per_s / mean_frame_bytes;
    report.figures.push(
        Figure::new("dashboard_throughput_over_link", "dashboard throughput (frames/s applied / link's max frames/s)", frames_per_s / link_frames_per_s, (frames_per_s / link_frames_per_s, frames_per_s / link_frames_per_s), Target::AtLeast(20.0))
            .detail(format!(
                "{:.2} M frames/s decoded and applied over 10 M frames; the link carries at most {:.0} frames/s ({:.0} KB/s raw, {mean_frame_bytes:.1} bytes per frame)",
                frames_per_s / 1e6,
                link_frames_per_s,
                link_bytes_per_s / 1000.0
            ))
            .method(
                "The frames of the demo run (the bytes-per-event boot) re-encoded with fresh sequence numbers and \
                 times and headers as the guest sends them (time deltas, absolute every 16th), replayed through the \
                 stream decoder and the state model (encoding not timed), against the raw UART rate bench-link \
                 measures through the drain, divided by the demo's mean frame size.",
            ),
    );
    report.figures.push(
        Figure::new("dashboard_memory_growth", "dashboard memory (after 10 M frames / after 10 k)", large_rss as f64 / small_rss as f64, (large_rss as f64 / small_rss as f64, large_rss as f64 / small_rss as f64), Target::AtMost(1.5))
            .detail(format!("resident {} MiB after 10 M frames, {} MiB after 10 k", large_rss / 1024, small_rss / 1024))
            .method("VmRSS of the benchmark process after each replay; the model keeps bounded histories, so memory must not grow with the stream."),
    );
}
