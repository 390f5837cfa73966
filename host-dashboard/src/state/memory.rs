//! System memory as of the latest snapshot round: frames, page cache, swap,
//! disk I/O and its recent rate.

use super::window::CounterWindow;
use protocol::message::MemorySnapshot;
use std::time::Duration;

/// Width of the guest-time window disk I/O rates are measured over.
pub const DISK_RATE_WINDOW: Duration = Duration::from_secs(2);

const READS: usize = 0;
const WRITES: usize = 1;

/// The guest's memory, from its `Memory` snapshots.
#[derive(Clone, Debug)]
pub struct SystemMemory {
    /// The latest snapshot.
    pub latest: MemorySnapshot,
    /// Guest time of the latest snapshot, in microseconds.
    pub updated_us: u64,
    disk: CounterWindow<2>,
}

impl SystemMemory {
    /// Memory as first reported at guest time `time_us`.
    pub(crate) fn new(snapshot: MemorySnapshot, time_us: u64) -> Self {
        let mut memory = Self {
            latest: snapshot,
            updated_us: time_us,
            disk: CounterWindow::new(DISK_RATE_WINDOW),
        };
        memory.update(snapshot, time_us);
        memory
    }

    /// Takes in a newer snapshot.
    pub(crate) fn update(&mut self, snapshot: MemorySnapshot, time_us: u64) {
        self.latest = snapshot;
        self.updated_us = time_us;
        self.disk.sample(
            Duration::from_micros(time_us),
            [snapshot.disk_reads, snapshot.disk_writes],
        );
    }

    /// Frames in use.
    pub fn used_frames(&self) -> u64 {
        self.latest
            .total_frames
            .saturating_sub(self.latest.free_frames)
    }

    /// Pages read from the disk per second of guest time, recently.
    pub fn disk_reads_per_second(&self) -> f64 {
        self.disk.rate(READS)
    }

    /// Pages written to the disk per second of guest time, recently.
    pub fn disk_writes_per_second(&self) -> f64 {
        self.disk.rate(WRITES)
    }
}
