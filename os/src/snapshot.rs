//! The snapshot reader: every so often, a picture of every kernel table
//! (each process's state, CPU time, VM counters and regions; the event
//! subscribers; memory), so that a lost event never leaves the host's
//! picture wrong for long.
//!
//! The top of the kernel's import graph: it reads the process table, the
//! event table and the memory counters, and nothing below imports it (the
//! event sink, `report`, is a separate leaf).

use crate::process::{self, Block, State};
use crate::sync::IrqLock;
use crate::telemetry;
use kernel_abi::Pid;
use kernel_core::vm::{Region, RegionKind as VmRegionKind};
use protocol::message::{
    LatencyHistogram, LatencySummary, MemorySnapshot, Message, PERM_EXECUTE, PERM_READ, PERM_WRITE,
    ProcessSnapshot, ProcessState, ProcessVmFlags, RegionKind, RegionSnapshot, SnapshotDone,
    SubscriberSnapshot, VmCounters,
};

/// Default time between process snapshots.
const DEFAULT_SNAPSHOT_NS: u64 = 500_000_000;

struct Snapshots {
    period_ns: u64,
    next_ns: u64,
    round: u32,
}

static SNAPSHOTS: IrqLock<Snapshots> = IrqLock::new(
    "snapshots",
    Snapshots {
        period_ns: DEFAULT_SNAPSHOT_NS,
        next_ns: 0,
        round: 0,
    },
);

/// Sets the time between process snapshots.
pub fn set_period_ms(ms: u64) {
    SNAPSHOTS.with(|snapshots| snapshots.period_ns = ms.max(1) * 1_000_000);
}

/// Called every timer tick: sends a snapshot round when one is due.
pub fn tick(now_ns: u64) {
    let round = SNAPSHOTS.with(|snapshots| {
        if now_ns < snapshots.next_ns {
            return None;
        }
        snapshots.next_ns = now_ns + snapshots.period_ns;
        snapshots.round = snapshots.round.wrapping_add(1);
        Some(snapshots.round)
    });
    if let Some(round) = round {
        send_snapshot(round);
    }
}

fn state_of(process: &process::Process) -> ProcessState {
    match process.state {
        State::Zombie => ProcessState::Zombie,
        _ if process.exit.is_some() => ProcessState::Exiting,
        _ if process.frozen => ProcessState::AwaitingAcks,
        State::Running => ProcessState::Running,
        State::Ready => ProcessState::Ready,
        State::Blocked(Block::Sleep(_)) => ProcessState::Sleeping,
        State::Blocked(Block::Child) => ProcessState::WaitingForChild,
        State::Blocked(Block::Send { .. }) => ProcessState::Sending,
        State::Blocked(Block::Receive { reply: true, .. }) => ProcessState::AwaitingReply,
        State::Blocked(Block::Receive { .. }) => ProcessState::Receiving,
        State::Stopped => ProcessState::Stopped,
    }
}

/// MINIX's `VMF_INUSE` / `VMF_EXITING` as the wire's bits.
fn vm_flags(flags: kernel_core::vm::VmFlags) -> u8 {
    let mut bits = 0;
    if flags.in_use {
        bits |= protocol::message::VMF_INUSE;
    }
    if flags.exiting {
        bits |= protocol::message::VMF_EXITING;
    }
    bits
}

fn send_snapshot(round: u32) {
    let processes = process::with_table(|table| {
        for process in table.iter_mut() {
            crate::vm::settle_ahead(process);
        }
        for process in table.iter() {
            let stats = process.vm.stats;
            telemetry::send(Message::Process(ProcessSnapshot {
                round,
                pid: process.pid,
                parent: process.parent,
                name: &process.name,
                state: state_of(process),
                privileged: process.privileged,
                cpu_ns: process.cpu_ns,
                vm: VmCounters {
                    vm_total_pages: stats.vm_total,
                    vm_total_max_pages: stats.vm_total_max,
                    minor_faults: stats.minor_faults,
                    major_faults: stats.major_faults,
                },
                regions: process.vm.regions().count() as u32,
            }));
            // Regions are the bulk of a round (a process may have a
            // thousand): with the ring half full they wait for a later
            // round, and the host keeps the last whole list meanwhile, so
            // they never push out a log line or an exit.
            if !telemetry::over_half_full() {
                for region in process.vm.regions() {
                    telemetry::send(Message::Region(region_snapshot(round, process.pid, region)));
                }
            }
            telemetry::send(Message::VmFlags(ProcessVmFlags {
                round,
                pid: process.pid,
                flags: vm_flags(process.vm.flags),
            }));
        }
        table.len() as u32
    });
    send_subscribers(round);
    telemetry::send(Message::Memory(memory_snapshot(round)));
    telemetry::send(Message::SnapshotDone(SnapshotDone { round, processes }));
}

fn region_snapshot(round: u32, pid: Pid, region: &Region) -> RegionSnapshot {
    let kind = match region.kind {
        VmRegionKind::Text => RegionKind::Text,
        VmRegionKind::Data => RegionKind::Data,
        VmRegionKind::Bss => RegionKind::Bss,
        VmRegionKind::Heap => RegionKind::Heap,
        VmRegionKind::Stack => RegionKind::Stack,
        VmRegionKind::Shared => RegionKind::Shared,
    };
    let perms = [
        (region.perms.read, PERM_READ),
        (region.perms.write, PERM_WRITE),
        (region.perms.execute, PERM_EXECUTE),
    ]
    .into_iter()
    .filter(|(allowed, _)| *allowed)
    .fold(0, |bits, (_, bit)| bits | bit);
    RegionSnapshot {
        round,
        pid,
        start: region.start,
        len: region.len(),
        kind,
        perms,
        resident_pages: region.resident_pages(),
        swapped_pages: region.swapped_pages(),
    }
}

/// The system's memory now.
pub fn memory_snapshot(round: u32) -> MemorySnapshot {
    let (free_frames, total_frames) = (
        crate::memory::free_frames() as u64,
        crate::memory::usable_frames() as u64,
    );
    let (swap_used, swap_total) = crate::swap::usage();
    let (disk_reads, disk_writes) = crate::disk::io_counts();
    MemorySnapshot {
        round,
        free_frames,
        total_frames,
        cached_pages: crate::cache::cached_pages() as u64,
        swap_used,
        swap_total,
        disk_reads,
        disk_writes,
    }
}

fn send_subscribers(round: u32) {
    let now = crate::time::now_ns();
    #[allow(clippy::type_complexity)]
    let entries: alloc::vec::Vec<(
        SubscriberSnapshot<alloc::string::String>,
        Option<LatencyHistogram>,
    )> = crate::events::with_table(|table| {
        table
            .subscribers()
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                let (oldest_pid, oldest_age_ns) = table
                    .oldest_outstanding(index)
                    .map(|(pid, since)| (pid, now.saturating_sub(since)))
                    .unwrap_or((0, 0));
                let snapshot = SubscriberSnapshot {
                    round,
                    index: index as u8,
                    endpoint: entry.endpoint,
                    name: alloc::string::String::new(),
                    mask: entry.mask as u8,
                    events: entry.events,
                    acks: entry.acks,
                    ignored_acks: entry.ignored_acks,
                    outstanding: entry.waiting,
                    oldest_pid,
                    oldest_age_ns,
                    latency: LatencySummary {
                        count: entry.latency.count(),
                        p50_ns: entry.latency.quantile(500),
                        p99_ns: entry.latency.quantile(990),
                        max_ns: entry.latency.max(),
                    },
                };
                // The distribution follows its entry, once it has one.
                let histogram = (entry.latency.count() > 0).then(|| LatencyHistogram {
                    round,
                    endpoint: entry.endpoint,
                    sum_ns: entry.latency.sum(),
                    buckets: entry.latency.log2_buckets(),
                });
                (snapshot, histogram)
            })
            .collect()
    });
    for (mut entry, histogram) in entries {
        entry.name = process::with_table(|table| {
            table
                .get(entry.endpoint)
                .map(|process| process.name.clone())
                .unwrap_or_default()
        });
        telemetry::send(Message::Subscriber(SubscriberSnapshot {
            round: entry.round,
            index: entry.index,
            endpoint: entry.endpoint,
            name: entry.name.as_str(),
            mask: entry.mask,
            events: entry.events,
            acks: entry.acks,
            ignored_acks: entry.ignored_acks,
            outstanding: entry.outstanding,
            oldest_pid: entry.oldest_pid,
            oldest_age_ns: entry.oldest_age_ns,
            latency: entry.latency,
        }));
        if let Some(histogram) = histogram {
            telemetry::send(Message::LatencyHistogram(histogram));
        }
    }
}
