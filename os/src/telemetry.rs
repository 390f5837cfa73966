//! The kernel's end of the telemetry link: one queue, drained to COM1 (or
//! to a virtio console with `link=virtio`: the sink is [`crate::link`]).
//!
//! Anything in the kernel calls [`send`]; it never blocks. The queue is
//! drained in bounded bursts from the timer tick (so a busy system still
//! streams), freely from the idle loop, and completely on power-off and
//! panic. Each byte written to the emulated UART costs the guest about
//! 1.6 µs (several times that when trickled), so the budgets bound what
//! telemetry can take from programs.

use crate::arch::serial;
use crate::sync::IrqLock;
use crate::time;
use kernel_core::telemetry::{SendOutcome, TelemetryQueue};
use protocol::message::Message;

/// Capacity of the telemetry ring in bytes (about 400 ms of link time).
const RING_BYTES: usize = 256 * 1024;

/// While the CPU is busy, the ring is drained in bursts every this many
/// timer ticks: each byte written to the emulated UART is cheapest when
/// many follow in a row (the host end stays awake), so a burst costs the
/// guest far less than the same bytes trickled out tick by tick.
pub const BURST_EVERY_TICKS: u64 = 32;
/// Bytes per burst when the ring is nearly empty...
const BASE_BURST: usize = 256;
/// ...plus up to this many more as the ring fills, so heavy telemetry
/// still drains (rather than drops) on a busy system.
const MAX_EXTRA_BURST: usize = 8192;

/// Bytes to drain in this tick's burst: the base plus a share that grows
/// with how full the ring is.
pub fn burst_budget() -> usize {
    let filled = QUEUE.with(|queue| queue.pending().len());
    BASE_BURST + MAX_EXTRA_BURST * filled / RING_BYTES
}

/// Whether the ring is more than half full: bulk snapshot frames (regions)
/// wait for the next round then, so that one-shot frames (log lines, exits)
/// still find room.
pub fn over_half_full() -> bool {
    QUEUE.with(|queue| queue.pending().len() > RING_BYTES / 2)
}

static QUEUE: IrqLock<TelemetryQueue<RING_BYTES>> =
    IrqLock::new("telemetry", TelemetryQueue::new());

static QUIET: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Quiet mode: only essential frames (Hello, logs, failures, command
/// results, power-off) are sent; the rest are not even encoded.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, core::sync::atomic::Ordering::Relaxed);
}

fn essential(message: &Message<&str>) -> bool {
    matches!(
        message,
        Message::Hello(_)
            | Message::Log(_)
            | Message::Panic(_)
            | Message::KernelFault(_)
            | Message::PowerOff(_)
            | Message::CommandResult(_)
            | Message::CommandRejected(_)
    )
}

/// Queues `message`, stamped with the current time.
pub fn send(message: Message<&str>) -> SendOutcome {
    if QUIET.load(core::sync::atomic::Ordering::Relaxed) && !essential(&message) {
        return SendOutcome::Dropped;
    }
    QUEUE.with(|queue| queue.send(time::now_us(), message))
}

/// Writes a lone delimiter straight to the UART, so that whatever the
/// firmware left on the line ends before our first frame.
pub fn start_of_stream() {
    serial::send_some(&[protocol::frame::DELIMITER]);
}

/// Writes up to `budget` queued bytes to the UART; returns how many.
pub fn drain(budget: usize) -> usize {
    QUEUE.with(|queue| drain_queue(queue, budget))
}

fn drain_queue(queue: &mut TelemetryQueue<RING_BYTES>, budget: usize) -> usize {
    let ring = queue.pending();
    let mut sent = 0;
    while sent < budget && !ring.is_empty() {
        let front = ring.front();
        let chunk = front.get(..front.len().min(budget - sent)).unwrap_or(front);
        let written = crate::link::send_some(chunk);
        if written == 0 {
            break;
        }
        ring.consume(written);
        sent += written;
    }
    sent
}

/// Whether bytes are waiting.
pub fn pending() -> bool {
    QUEUE.with(|queue| !queue.pending().is_empty())
}

/// Frames dropped since boot.
pub fn dropped_total() -> u64 {
    QUEUE.with(|queue| queue.dropped_total())
}

/// The panic path: break any lock, write everything queued, then `message`,
/// then everything again. Never fails silently for lack of room: the ring is
/// empty when `message` is queued.
pub fn send_final(message: Message<&str>) {
    crate::link::unlock_for_panic();
    QUEUE.steal_for_panic(|queue| {
        while drain_queue(queue, usize::MAX) > 0 {}
        queue.send(time::now_us(), message);
        while drain_queue(queue, usize::MAX) > 0 {}
    });
}
