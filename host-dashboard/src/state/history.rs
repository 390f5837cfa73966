//! System-wide history for the charts view: one sample per snapshot round,
//! in guest time.
//!
//! Each sample holds the free memory and swap in use (from the round's
//! memory snapshot), the frames the host decoded per second of guest time
//! since the previous sample, the page faults per second summed over the
//! processes (each process's fault counters are absolute, so the rate is
//! the sum of their increases; a process new since the last sample counts
//! from zero, as a forked child starts at zero), and the highest ack-latency
//! p99 among the subscribers.

use super::System;
use std::collections::{BTreeMap, VecDeque};

/// Samples kept (at the default snapshot period of 500 ms, 3 minutes).
pub const HISTORY_SAMPLES: usize = 360;

/// One point of the history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistorySample {
    /// Guest time, in microseconds.
    pub time_us: u64,
    /// Free physical pages (0 before the first memory snapshot).
    pub free_pages: u64,
    /// Swap slots in use.
    pub swap_used: u64,
    /// Frames decoded per second of guest time since the previous sample.
    pub frames_per_second: f64,
    /// Page faults (minor and major) per second of guest time since the
    /// previous sample.
    pub faults_per_second: f64,
    /// The highest ack-latency p99 among the subscribers, in nanoseconds.
    pub ack_p99_ns: u64,
}

/// The history, oldest sample first.
#[derive(Clone, Debug, Default)]
pub struct History {
    samples: VecDeque<HistorySample>,
    /// Each process's faults at the previous sample.
    faults: BTreeMap<u32, u64>,
    /// Frames decoded at the previous sample.
    frames: u64,
}

impl History {
    /// The samples, oldest first.
    pub fn samples(&self) -> &VecDeque<HistorySample> {
        &self.samples
    }

    /// Takes a sample at guest time `time_us`, `frames` having been decoded
    /// so far.
    pub(crate) fn sample(&mut self, time_us: u64, system: &System, frames: u64) {
        let faults: BTreeMap<u32, u64> = system
            .live()
            .map(|process| {
                (
                    process.pid,
                    process.vm.minor_faults + process.vm.major_faults,
                )
            })
            .collect();
        let new_faults: u64 = faults
            .iter()
            .map(|(pid, &now)| now.saturating_sub(self.faults.get(pid).copied().unwrap_or(0)))
            .sum();
        let previous = self.samples.back().map(|sample| sample.time_us);
        let seconds = previous.map_or(0.0, |at| time_us.saturating_sub(at) as f64 / 1e6);
        let per_second = |count: u64| {
            if seconds > 0.0 {
                count as f64 / seconds
            } else {
                0.0
            }
        };
        let memory = system.memory().map(|memory| memory.latest);
        let sample = HistorySample {
            time_us,
            free_pages: memory.map_or(0, |memory| memory.free_frames),
            swap_used: memory.map_or(0, |memory| memory.swap_used),
            frames_per_second: per_second(frames.saturating_sub(self.frames)),
            faults_per_second: per_second(new_faults),
            ack_p99_ns: system
                .subscribers()
                .entries()
                .iter()
                .map(|subscriber| subscriber.latency.p99_ns)
                .max()
                .unwrap_or(0),
        };
        if self.samples.len() == HISTORY_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
        self.faults = faults;
        self.frames = frames;
    }
}
