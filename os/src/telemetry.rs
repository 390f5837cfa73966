//! The kernel's end of the telemetry link: one queue, drained to COM1 (or
//! to a virtio console with `link=virtio`: the sink is [`crate::link`]).
//!
//! Anything in the kernel calls [`send`]; it never blocks. The queue is
//! drained in bounded bursts from the timer tick (so a busy system still
//! streams), freely from the idle loop, and completely on power-off and
//! panic. Each byte written to the emulated UART costs the guest about
//! 1.6 µs (several times that when trickled), so the budgets bound what
//! telemetry can take from programs.

use crate::arch::cpu::read_tsc;
use crate::arch::serial;
use crate::sync::IrqLock;
use crate::time;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

static QUIET: AtomicBool = AtomicBool::new(false);

/// Quiet mode: only essential frames (Hello, logs, failures, command
/// results, power-off) are sent; the rest are not even encoded.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
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

/// Whether the cycle counters below run (the `bench=on` boot option turns
/// them on; otherwise telemetry pays nothing for being measured).
static COUNTING: AtomicBool = AtomicBool::new(false);
/// TSC cycles spent stamping, encoding and queueing frames ([`send`]).
static SEND_CYCLES: AtomicU64 = AtomicU64::new(0);
/// TSC cycles spent draining the ring ([`drain`], UART writes included).
static DRAIN_CYCLES: AtomicU64 = AtomicU64::new(0);
/// The part of [`DRAIN_CYCLES`] spent inside the UART writes themselves.
static UART_CYCLES: AtomicU64 = AtomicU64::new(0);
/// Bytes the drain wrote to the UART.
static DRAINED_BYTES: AtomicU64 = AtomicU64::new(0);

/// What telemetry has cost the CPU since boot (zeros unless counting).
#[derive(Clone, Copy, Debug, Default)]
pub struct Cost {
    /// Cycles stamping, encoding and queueing frames.
    pub send_cycles: u64,
    /// Cycles draining the ring, UART writes included.
    pub drain_cycles: u64,
    /// Cycles inside the UART writes (a part of `drain_cycles`).
    pub uart_cycles: u64,
    /// Bytes written to the UART by the drain.
    pub drained_bytes: u64,
    /// Frames queued since boot (counted whether or not counting is on).
    pub frames_queued: u64,
}

/// Turns the cycle counters on (benchmark boots only).
pub fn count_cycles() {
    COUNTING.store(true, Ordering::Relaxed);
}

/// The counters so far.
pub fn cost() -> Cost {
    Cost {
        send_cycles: SEND_CYCLES.load(Ordering::Relaxed),
        drain_cycles: DRAIN_CYCLES.load(Ordering::Relaxed),
        uart_cycles: UART_CYCLES.load(Ordering::Relaxed),
        drained_bytes: DRAINED_BYTES.load(Ordering::Relaxed),
        frames_queued: QUEUE.with(|queue| queue.queued_frames()),
    }
}

/// The TSC now if counting, for [`counted_since`].
fn counting_start() -> Option<u64> {
    COUNTING.load(Ordering::Relaxed).then(read_tsc)
}

/// Adds the cycles since `start` (if counting) to `counter`.
fn counted_since(start: Option<u64>, counter: &AtomicU64) {
    if let Some(start) = start {
        counter.fetch_add(read_tsc().wrapping_sub(start), Ordering::Relaxed);
    }
}

/// Queues `message`, stamped with the current time.
pub fn send(message: Message<&str>) -> SendOutcome {
    let start = counting_start();
    let outcome = if QUIET.load(Ordering::Relaxed) && !essential(&message) {
        SendOutcome::Dropped
    } else {
        QUEUE.with(|queue| queue.send(time::now_us(), message))
    };
    counted_since(start, &SEND_CYCLES);
    outcome
}

/// Writes a lone delimiter straight to the UART, so that whatever the
/// firmware left on the line ends before our first frame.
pub fn start_of_stream() {
    serial::send_some(&[protocol::frame::DELIMITER]);
}

/// Writes up to `budget` queued bytes to the UART; returns how many.
pub fn drain(budget: usize) -> usize {
    let start = counting_start();
    let sent = QUEUE.with(|queue| drain_queue(queue, budget));
    counted_since(start, &DRAIN_CYCLES);
    sent
}

fn drain_queue(queue: &mut TelemetryQueue<RING_BYTES>, budget: usize) -> usize {
    let ring = queue.pending();
    let mut sent = 0;
    while sent < budget && !ring.is_empty() {
        let front = ring.front();
        let chunk = front.get(..front.len().min(budget - sent)).unwrap_or(front);
        let start = counting_start();
        let written = crate::link::send_some(chunk);
        counted_since(start, &UART_CYCLES);
        if start.is_some() {
            DRAINED_BYTES.fetch_add(written as u64, Ordering::Relaxed);
        }
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
