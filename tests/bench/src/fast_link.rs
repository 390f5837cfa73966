//! The fast link (`fast_link_over_uart`): telemetry bytes per second
//! delivered over a virtio-console port against the 16550, and the
//! guest's cycles per byte on each.
//!
//! The bench-link image is booted back to back on each link (`Link::Uart`,
//! then `Link::Virtio`: the same image, the same kernel, only the port
//! differs), [`PAIRS`] times. In each boot the kernel (`BenchKind::
//! LinkDrain`) fills the telemetry ring with log frames and drains it whole
//! through the real drain path to the link's sink, timing only the drain,
//! for one second: the link's rate, and the guest's cycles per byte as the
//! TSC rate over it. The host decodes the frames; the rate is scaled by
//! the share of them that arrived (a virtconsole port drops what a full
//! host pipe refuses; the 16550 never does, and must arrive whole). The
//! end-to-end flood (`BenchKind::TelemetryFlood`: encode one frame, drain
//! it, repeat) is reported beside it: there the encoder, not the link,
//! sets the pace.

use crate::figures::{Figure, Report, Sampling, Target};
use crate::guest::summarize;
use boot_tests::{BootRun, boot_image, built_image};
use image_builder::{Link, QemuOptions};
use protocol::frame::{self, MAX_FRAME_LEN};
use protocol::message::Message;
use std::time::Duration;

/// Back-to-back pairs of boots (UART, virtio).
const PAIRS: usize = 3;

/// The drain benchmark's log line (os/src/bench.rs).
const DRAIN_PREFIX: &str = "link drain:";

/// What one boot measured.
struct LinkRun {
    /// Bytes per second of drain time (full rings drained to the link),
    /// times the share of the frames the host received.
    bytes_per_s: f64,
    /// The share of the frames the host received.
    received_share: f64,
    /// Bytes per second of the end-to-end flood (encode, drain, repeat).
    flood_bytes_per_s: f64,
    /// Bytes of drain-benchmark frames the host received and decoded.
    delivered: u64,
    tsc_hz: u64,
}

fn flood(link: Link) -> LinkRun {
    let built = built_image("bench-link");
    let options = QemuOptions {
        link,
        ..QemuOptions::default()
    };
    let run = boot_image(&built, Duration::from_secs(120), &options, Vec::new());
    // The 16550 never loses a byte (QEMU holds the transmitter until the
    // host takes it). A virtconsole port drops what a full host pipe
    // refuses (QEMU's virtio-console does not throttle console ports):
    // the delivered share is measured from the frame sequence numbers.
    let lossless = link == Link::Uart;
    if run.guest_exit_code() != Some(0)
        || (lossless && (run.stats.crc_errors != 0 || !run.errors.is_empty()))
    {
        panic!(
            "bench-link over {link} did not finish cleanly: exit {:?}, {:?}\n{}",
            run.guest_exit_code(),
            run.stats,
            run.describe()
        );
    }
    if link == Link::Virtio {
        assert!(
            run.log_lines()
                .iter()
                .any(|(_, line)| line.starts_with("telemetry link: virtio console")),
            "the virtio boot used the console\n{}",
            run.describe()
        );
    }
    let last_seq = run.frames.last().map_or(0, |frame| frame.header.seq);
    let received_share = run.frames.len() as f64 / (f64::from(last_seq) + 1.0);
    let bytes_per_s = reported(&run, "link_drain_bytes_per_s") * received_share;
    let mut buffer = vec![0u8; MAX_FRAME_LEN];
    let delivered = run
        .frames
        .iter()
        .filter(|frame| matches!(&frame.message, Message::Log(log) if log.text.starts_with(DRAIN_PREFIX)))
        .map(|frame| frame::encode(frame, &mut buffer).expect("a decoded frame encodes") as u64)
        .sum();
    let tsc_hz = run
        .messages()
        .find_map(|message| match message {
            Message::Hello(hello) => Some(hello.tsc_hz),
            _ => None,
        })
        .expect("a Hello frame");
    // End to end: stamp, encode, queue and drain, per byte (the link
    // efficiency windows of the same boot).
    let flood_bytes_per_s =
        tsc_hz as f64 * 1000.0 / reported(&run, "link_path_millicycles_per_byte");
    assert!(
        delivered > 0,
        "the drain frames arrived\n{}",
        run.describe()
    );
    LinkRun {
        bytes_per_s,
        received_share,
        flood_bytes_per_s,
        delivered,
        tsc_hz,
    }
}

/// The median of a `BENCH name median=…` line.
fn reported(run: &BootRun, name: &str) -> f64 {
    let prefix = format!("BENCH {name} median=");
    run.log_lines()
        .iter()
        .find_map(|(_, line)| {
            line.strip_prefix(&prefix)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("the guest reported no {name}\n{}", run.describe()))
}

pub fn measure(report: &mut Report) {
    let mut ratios = Vec::new();
    let mut uart = Vec::new();
    let mut virtio = Vec::new();
    let mut uart_cycles = Vec::new();
    let mut virtio_cycles = Vec::new();
    let mut flood_ratios = Vec::new();
    let mut delivered = [0u64; 2];
    let mut virtio_share = Vec::new();
    for _ in 0..PAIRS {
        let slow = flood(Link::Uart);
        let fast = flood(Link::Virtio);
        delivered[0] += slow.delivered;
        delivered[1] += fast.delivered;
        assert_eq!(slow.received_share, 1.0, "the 16550 lost frames");
        virtio_share.push(fast.received_share);
        flood_ratios.push(fast.flood_bytes_per_s / slow.flood_bytes_per_s);
        ratios.push(fast.bytes_per_s / slow.bytes_per_s);
        uart_cycles.push(slow.tsc_hz as f64 / slow.bytes_per_s);
        // Cycles per byte written (lost bytes cost the guest the same).
        virtio_cycles.push(fast.tsc_hz as f64 * fast.received_share / fast.bytes_per_s);
        uart.push(slow.bytes_per_s);
        virtio.push(fast.bytes_per_s);
    }
    let ratio = summarize(&mut ratios);
    let uart = summarize(&mut uart);
    let virtio = summarize(&mut virtio);
    let uart_cycles = summarize(&mut uart_cycles);
    let virtio_cycles = summarize(&mut virtio_cycles);
    let flood_ratio = summarize(&mut flood_ratios);
    let virtio_share = summarize(&mut virtio_share);
    report.figures.push(
        Figure::new(
            "fast_link_over_uart",
            "fast link (virtio-console / 16550 delivered bytes per second)",
            ratio.median,
            (ratio.p10, ratio.p90),
            Target::AtLeast(10.0),
        )
        .samples(ratio.n, Sampling::Repeated)
        .detail(format!(
            "virtio console {:.0} KB/s at {:.0} guest cycles per byte, 16550 {:.0} KB/s at {:.0} cycles per byte \
             (medians of {PAIRS} back-to-back pairs of boots; {} and {} bytes of drain frames decoded by the host; \
             the host received {:.1}% of the virtio frames (min {:.1}%): a virtconsole port drops what a full \
             host pipe refuses, and the rate counts only what arrived); \
             end to end, encoding one frame per drain, virtio / 16550 is only {:.2} ({:.2}..{:.2}): the encoder \
             sets that pace",
            virtio.median / 1000.0,
            virtio_cycles.median,
            uart.median / 1000.0,
            uart_cycles.median,
            delivered[1],
            delivered[0],
            virtio_share.median * 100.0,
            virtio_share.p10 * 100.0,
            flood_ratio.median,
            flood_ratio.p10,
            flood_ratio.p90,
        ))
        .method(
            "The bench-link image booted alternately with link=uart and link=virtio: in each the kernel fills \
             the telemetry ring with log frames and drains it whole through the real drain path to the link, \
             timing only the drains, for one second; the rate is scaled by the share of the frames the host \
             decoded (from their sequence numbers); cycles per byte are the TSC rate over the drain rate.",
        ),
    );
}
