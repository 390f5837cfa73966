//! Processes, exits, subscribers and event counters as the host tracks them.
//!
//! The guest does not report these yet; the table exists so the model, the
//! headless summary and the UI have one place to grow them into. Field names
//! follow the headless JSON contract.

use serde::Serialize;
use std::collections::BTreeMap;

/// The process-manager picture: live processes, exits, subscribers, events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessTable {
    /// Live processes by pid.
    pub live: BTreeMap<u32, Process>,
    /// Processes that exited, in exit order.
    pub exited: Vec<ExitedProcess>,
    /// Event subscribers, in subscription order.
    pub subscribers: Vec<Subscriber>,
    /// Lifecycle events seen.
    pub events: EventCounts,
}

/// One live process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Process {
    /// Process id.
    pub pid: u32,
    /// Program name.
    pub name: String,
    /// Lifecycle state.
    pub state: ProcessState,
    /// Pages attached to its regions.
    pub vm_total_pages: u64,
    /// High-water mark of `vm_total_pages`.
    pub vm_total_max_pages: u64,
    /// Handled faults that needed no I/O.
    pub minor_faults: u64,
    /// Handled faults that needed block-device I/O.
    pub major_faults: u64,
    /// Its memory regions, by start address.
    pub regions: Vec<Region>,
}

/// Lifecycle state of a live process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcessState {
    /// Runnable or running.
    Running,
    /// Stopped while an event about it is in flight.
    Stopped,
    /// Its exit is in progress (MINIX `VMF_EXITING`).
    Exiting,
}

/// One memory region of a process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    /// Start address.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// What backs it.
    pub kind: RegionKind,
    /// Permissions as `rwx` with `-` for a missing one.
    pub perms: String,
    /// Pages currently resident.
    pub resident_pages: u64,
}

/// What backs a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionKind {
    /// Anonymous memory (heap, stack, bss).
    Anon,
    /// File-backed text or data from the image.
    File,
    /// Shared memory.
    Shared,
}

/// A process that exited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExitedProcess {
    /// Process id.
    pub pid: u32,
    /// Program name.
    pub name: String,
    /// Exit status, when it exited by itself.
    pub status: Option<i32>,
    /// Signal that ended it, when one did.
    pub signal: Option<u8>,
}

/// A service subscribed to process events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subscriber {
    /// Service name.
    pub name: String,
    /// Event kinds it subscribed to.
    pub mask: Vec<EventKind>,
    /// Events delivered to it.
    pub events: u64,
    /// Acks it sent that counted.
    pub acks: u64,
    /// Events delivered but not acknowledged yet.
    pub outstanding: u64,
    /// Ack latency summary.
    pub ack_latency_ns: LatencySummary,
}

/// A process event kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A process exited.
    Exit,
    /// A process caught a signal.
    Signal,
}

/// Percentiles of a latency distribution, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LatencySummary {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

/// Lifecycle events counted so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EventCounts {
    /// Processes spawned.
    pub spawn: u64,
    /// Signal events published.
    pub signal: u64,
    /// Exit events published.
    pub exit: u64,
}
