//! Benchmark helpers: the kernel's benchmark system call (only with
//! `bench=on`), and summary statistics of cycle samples.

use crate::SysResult;
use crate::raw::{check, syscall_plain};
use kernel_abi::Syscall;
use kernel_abi::syscall::{BenchKind, CostCounter};

/// Runs a kernel measurement (see `BenchKind`).
pub fn kernel(kind: BenchKind, a: u64, b: u64) -> SysResult<u64> {
    check(syscall_plain(Syscall::Bench, [kind as u64, a, b, 0, 0, 0]))
}

/// The kernel's telemetry cost counters and busy cycles at one moment
/// (cumulative since boot; subtract two to get a stretch of the run).
#[derive(Clone, Copy, Debug, Default)]
pub struct Cost {
    /// Cycles stamping, encoding and queueing telemetry frames.
    pub send_cycles: u64,
    /// Cycles draining the telemetry ring, UART writes included.
    pub drain_cycles: u64,
    /// The part of the drain spent inside UART writes.
    pub uart_cycles: u64,
    /// Bytes the drain wrote to the UART.
    pub drained_bytes: u64,
    /// Cycles the CPU was not halted in the idle loop.
    pub busy_cycles: u64,
    /// Telemetry frames queued.
    pub frames_queued: u64,
}

impl Cost {
    /// The counters now (ENOSYS unless booted with `bench=on`).
    pub fn now() -> SysResult<Self> {
        let read = |counter: CostCounter| kernel(BenchKind::TelemetryCost, counter as u64, 0);
        Ok(Self {
            send_cycles: read(CostCounter::SendCycles)?,
            drain_cycles: read(CostCounter::DrainCycles)?,
            uart_cycles: read(CostCounter::UartCycles)?,
            drained_bytes: read(CostCounter::DrainedBytes)?,
            busy_cycles: read(CostCounter::BusyCycles)?,
            frames_queued: read(CostCounter::FramesQueued)?,
        })
    }

    /// What was counted between `earlier` and `self`.
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            send_cycles: self.send_cycles.wrapping_sub(earlier.send_cycles),
            drain_cycles: self.drain_cycles.wrapping_sub(earlier.drain_cycles),
            uart_cycles: self.uart_cycles.wrapping_sub(earlier.uart_cycles),
            drained_bytes: self.drained_bytes.wrapping_sub(earlier.drained_bytes),
            busy_cycles: self.busy_cycles.wrapping_sub(earlier.busy_cycles),
            frames_queued: self.frames_queued.wrapping_sub(earlier.frames_queued),
        }
    }
}

/// Prints one value as a `BENCH` line of a single sample.
pub fn report_one(name: impl core::fmt::Display, value: u64) {
    crate::println!("BENCH {name} median={value} p10={value} p90={value} n=1");
}

/// Median, 10th and 90th percentile of `samples` (sorted in place).
pub fn summary(samples: &mut [u64]) -> (u64, u64, u64) {
    if samples.is_empty() {
        return (0, 0, 0);
    }
    samples.sort_unstable();
    let at = |per_cent: usize| samples[(samples.len() - 1) * per_cent / 100];
    (at(50), at(10), at(90))
}

/// Prints one result line the benchmark runner parses:
/// `BENCH name median=… p10=… p90=… n=…`.
pub fn report(name: &str, samples: &mut [u64]) {
    let n = samples.len();
    let (median, p10, p90) = summary(samples);
    crate::println!("BENCH {name} median={median} p10={p10} p90={p90} n={n}");
}
