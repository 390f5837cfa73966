//! The summary's view of the guest system: `processes` (with `regions`),
//! `exited`, `memory` and `snapshots`.
//!
//! The contract's fields keep their meaning: a process `state` is a
//! lower-case name, a region `kind` is its backing (`anon`, `file`,
//! `shared`) and `perms` reads like `r-x`; an exit has a `status` when the
//! process exited by itself and a `signal` when one killed it. Everything
//! else is extra: parent, CPU, rates, swap, signal names, faults.

use crate::state::{
    ExitedProcess, Process, Region, SnapshotRounds, System, SystemMemory, exception_name,
    process_state_name, region_kind_name, signal_name,
};
use protocol::message::UserFault;
use serde::Serialize;
use std::borrow::Cow;

/// One entry of `processes`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ProcessSummary<'a> {
    /// Process id.
    pub pid: u32,
    /// Parent's pid (0 for boot programs).
    pub parent: u32,
    /// Program name.
    pub name: &'a str,
    /// `running`, `ready`, `sleeping`, `waiting`, `stopped`, `exiting`,
    /// `zombie`, `awaiting acks`, `sending`, `receiving`, `awaiting reply`,
    /// or the lower-case words of a state added to the protocol later.
    pub state: Cow<'static, str>,
    /// A system service.
    pub privileged: bool,
    /// CPU time used.
    pub cpu_ns: u64,
    /// Share of the CPU over the last 2 s of guest time, in percent.
    pub cpu_percent: f64,
    /// Pages attached to its regions.
    pub vm_total_pages: u64,
    /// High-water mark of `vm_total_pages`.
    pub vm_total_max_pages: u64,
    /// Faults handled without I/O.
    pub minor_faults: u64,
    /// Faults that needed block-device I/O.
    pub major_faults: u64,
    /// Minor faults per second over the last 2 s of guest time.
    pub minor_faults_per_second: f64,
    /// Major faults per second over the last 2 s of guest time.
    pub major_faults_per_second: f64,
    /// Pages of its regions in memory.
    pub resident_pages: u64,
    /// Pages of its regions in swap.
    pub swapped_pages: u64,
    /// Signals sent to it.
    pub signals_received: u64,
    /// Signal handlers it entered.
    pub handlers_run: u64,
    /// CPU exceptions it took.
    pub user_faults: u64,
    /// Its system calls that failed with EFAULT.
    pub bad_pointers: u64,
    /// `PageFault` events about it (only with the guest's `fault_events=on`
    /// over the virtio-console link; 0 otherwise).
    pub fault_events: u64,
    /// Guest time of the last frame about it.
    pub updated_us: u64,
    /// The last snapshot round that listed it, or null.
    pub round: Option<u32>,
    /// Its regions by address.
    pub regions: Vec<RegionSummary>,
    /// How many regions its latest snapshot announced, or null.
    pub regions_expected: Option<u32>,
    /// Whether `regions` holds all of them (false: `Region` frames were
    /// lost), or null before a snapshot listed it.
    pub regions_complete: Option<bool>,
    /// The VM's flags for it (MINIX's `VMF_INUSE`, `VMF_EXITING`):
    /// `["in_use"]` for a live process, `["in_use", "exiting"]` while its
    /// EXIT event is in flight, `["exiting"]` once its memory is freed;
    /// null before the guest reported them.
    pub vm_flags: Option<Vec<String>>,
}

/// One entry of a process's `regions`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RegionSummary {
    /// First address.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// `anon`, `file` or `shared`.
    pub kind: &'static str,
    /// `text`, `data`, `bss`, `heap`, `stack` or `shared`.
    pub name: &'static str,
    /// Like `r-x`.
    pub perms: String,
    /// Pages in memory.
    pub resident_pages: u64,
    /// Pages in swap.
    pub swapped_pages: u64,
}

/// One entry of `exited`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ExitedSummary<'a> {
    /// Process id.
    pub pid: u32,
    /// Its parent, or null if the host never knew the process.
    pub parent: Option<u32>,
    /// Program name (`?` if the host never learnt it).
    pub name: &'a str,
    /// Exit status, or null when a signal killed it.
    pub status: Option<i32>,
    /// The killing signal's number, or null.
    pub signal: Option<u8>,
    /// The killing signal's name (`SIGTERM`), or null.
    pub signal_name: Option<&'static str>,
    /// The CPU exception that raised the killing signal, or null.
    pub fault: Option<UserFaultSummary>,
    /// Guest time of the exit.
    pub time_us: u64,
}

/// A CPU exception in a process.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct UserFaultSummary {
    /// Exception vector.
    pub vector: u8,
    /// Exception name, e.g. `#PF page fault`.
    pub name: &'static str,
    /// Faulting instruction.
    pub rip: u64,
}

/// The `memory` object (null until the first `Memory` snapshot).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct MemorySummary {
    /// Physical frames free.
    pub free_frames: u64,
    /// Physical frames managed.
    pub total_frames: u64,
    /// File pages in the page cache.
    pub cached_pages: u64,
    /// Swap slots in use.
    pub swap_used: u64,
    /// Swap slots in all.
    pub swap_total: u64,
    /// Pages read from the disk since boot.
    pub disk_reads: u64,
    /// Pages written to the disk since boot.
    pub disk_writes: u64,
    /// Disk reads per second over the last 2 s of guest time.
    pub disk_reads_per_second: f64,
    /// Disk writes per second over the last 2 s of guest time.
    pub disk_writes_per_second: f64,
    /// Guest time of the snapshot.
    pub updated_us: u64,
}

/// The `snapshots` object: how complete the snapshot rounds were.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SnapshotsSummary {
    /// Rounds that arrived complete.
    pub complete: u64,
    /// Rounds that lost frames.
    pub incomplete: u64,
    /// The latest complete round, or null.
    pub last_complete: Option<u32>,
    /// Processes dropped because a complete round no longer listed them.
    pub pruned: u64,
    /// Region frames of processes the host did not know.
    pub stray_regions: u64,
    /// Exits left out of `exited` to bound it.
    pub exited_evicted: u64,
}

/// Rounds a rate to two decimals, for a readable summary.
fn two_decimals(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

impl<'a> From<&'a Process> for ProcessSummary<'a> {
    fn from(process: &'a Process) -> Self {
        Self {
            pid: process.pid,
            parent: process.parent,
            name: &process.name,
            state: process_state_name(process.state),
            privileged: process.privileged,
            cpu_ns: process.cpu_ns,
            cpu_percent: two_decimals(process.cpu_percent()),
            vm_total_pages: process.vm.vm_total_pages,
            vm_total_max_pages: process.vm.vm_total_max_pages,
            minor_faults: process.vm.minor_faults,
            major_faults: process.vm.major_faults,
            minor_faults_per_second: two_decimals(process.minor_faults_per_second()),
            major_faults_per_second: two_decimals(process.major_faults_per_second()),
            resident_pages: process.resident_pages(),
            swapped_pages: process.swapped_pages(),
            signals_received: process.signals_received,
            handlers_run: process.handlers_run,
            user_faults: process.user_faults,
            bad_pointers: process.bad_pointers,
            fault_events: process.fault_events,
            updated_us: process.updated_us,
            round: process.round,
            regions: process.regions.iter().map(RegionSummary::from).collect(),
            regions_expected: process.regions_expected,
            regions_complete: process.regions_complete(),
            vm_flags: process.vm_flag_names(),
        }
    }
}

impl From<&Region> for RegionSummary {
    fn from(region: &Region) -> Self {
        Self {
            start: region.start,
            len: region.len,
            kind: region.backing().name(),
            name: region_kind_name(region.kind),
            perms: region.perms_string(),
            resident_pages: region.resident_pages,
            swapped_pages: region.swapped_pages,
        }
    }
}

impl From<UserFault> for UserFaultSummary {
    fn from(fault: UserFault) -> Self {
        Self {
            vector: fault.vector,
            name: exception_name(fault.vector),
            rip: fault.rip,
        }
    }
}

impl<'a> From<&'a ExitedProcess> for ExitedSummary<'a> {
    fn from(exited: &'a ExitedProcess) -> Self {
        Self {
            pid: exited.pid,
            parent: exited.parent,
            name: &exited.name,
            status: exited.status,
            signal: exited.signal,
            signal_name: exited.signal.and_then(signal_name),
            fault: exited.fault.map(UserFaultSummary::from),
            time_us: exited.time_us,
        }
    }
}

impl From<&SystemMemory> for MemorySummary {
    fn from(memory: &SystemMemory) -> Self {
        let latest = memory.latest;
        Self {
            free_frames: latest.free_frames,
            total_frames: latest.total_frames,
            cached_pages: latest.cached_pages,
            swap_used: latest.swap_used,
            swap_total: latest.swap_total,
            disk_reads: latest.disk_reads,
            disk_writes: latest.disk_writes,
            disk_reads_per_second: two_decimals(memory.disk_reads_per_second()),
            disk_writes_per_second: two_decimals(memory.disk_writes_per_second()),
            updated_us: memory.updated_us,
        }
    }
}

impl SnapshotsSummary {
    /// The round accounting of `system`.
    pub fn of(system: &System) -> Self {
        let rounds: &SnapshotRounds = system.rounds();
        Self {
            complete: rounds.complete,
            incomplete: rounds.incomplete,
            last_complete: rounds.last_complete,
            pruned: system.pruned(),
            stray_regions: system.stray_regions(),
            exited_evicted: system.exited_evicted(),
        }
    }
}
