//! Telemetry about processes: lifecycle events as they happen, and periodic
//! snapshots of every process (state, CPU time, VM counters) so that a lost
//! event never leaves the host's picture wrong for long.

use crate::process::{self, Block, ExitInfo, State};
use crate::sync::IrqLock;
use crate::telemetry;
use kernel_abi::{Pid, Signal};
use kernel_core::events::{EventKind as CoreEventKind, IgnoredAck};
use kernel_core::signals::{Disposition, Posted};
use kernel_core::vm::{Region, RegionKind as VmRegionKind};
use protocol::message::{
    Ack, AckIgnored, BadPointer, EventDone, EventKind, Exit, IgnoredReason, LatencyHistogram,
    LatencySummary, Log, LogLevel, MemorySnapshot, Message, PERM_EXECUTE, PERM_READ, PERM_WRITE,
    ProcessSnapshot, ProcessState, ProcessVmFlags, Publish, Reaped, RegionKind, RegionSnapshot,
    SignalHandled, SignalOutcome, SignalSent, SnapshotDone, Spawn, Subscribed, SubscriberSnapshot,
    UserFault, VmCounters,
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
pub fn set_snapshot_period_ms(ms: u64) {
    SNAPSHOTS.with(|snapshots| snapshots.period_ns = ms.max(1) * 1_000_000);
}

/// A process was created.
pub fn spawned(pid: Pid, parent: Pid, name: &str) {
    telemetry::send(Message::Spawn(Spawn { pid, parent, name }));
}

/// A process began to exit.
pub fn exited(pid: Pid, info: ExitInfo) {
    let signal = info.signal.map(Signal::number).unwrap_or(0);
    telemetry::send(Message::Exit(Exit {
        pid,
        status: info.status,
        signal,
    }));
}

/// A zombie was reaped.
pub fn reaped(pid: Pid) {
    telemetry::send(Message::Reaped(Reaped { pid }));
}

/// A signal was sent. The SIGCHLD every exit sends its parent is not
/// reported when the parent ignores it (the default): the Exit event
/// already says everything, and it would double the frames of every exit.
pub fn signal(sender: Pid, target: Pid, signal: Signal, posted: Posted, disposition: Disposition) {
    if signal == Signal::SIGCHLD
        && (posted == Posted::Discarded || disposition == Disposition::Ignore)
    {
        return;
    }
    let outcome = match (posted, disposition) {
        (Posted::Discarded, _) | (_, Disposition::Ignore) => SignalOutcome::Ignored,
        (Posted::Blocked, _) => SignalOutcome::Blocked,
        (_, Disposition::Catch(_)) => SignalOutcome::Caught,
        (_, Disposition::Terminate) => SignalOutcome::Terminate,
        (_, Disposition::Stop) => SignalOutcome::Stop,
        (_, Disposition::Continue) => SignalOutcome::Continue,
    };
    telemetry::send(Message::Signal(SignalSent {
        pid: target,
        sender,
        signal: signal.number(),
        outcome,
    }));
}

/// A process entered a signal handler.
pub fn handler_started(pid: Pid, signal: Signal) {
    telemetry::send(Message::SignalHandled(SignalHandled {
        pid,
        signal: signal.number(),
    }));
}

/// A CPU exception in a process.
pub fn cpu_fault(pid: Pid, vector: u8, rip: u64, signal: Signal) {
    telemetry::send(Message::UserFault(UserFault {
        pid,
        vector,
        rip,
        signal: signal.number(),
    }));
}

/// A system call failed with EFAULT.
pub fn bad_pointer(pid: Pid, syscall: u64) {
    telemetry::send(Message::BadPointer(BadPointer {
        pid,
        syscall: syscall.min(255) as u8,
    }));
}

/// A line a program wrote.
pub fn program_log(pid: Pid, text: &str) {
    telemetry::send(Message::Log(Log {
        level: LogLevel::Info,
        pid,
        text,
    }));
}

fn wire_kind(kind: CoreEventKind) -> EventKind {
    match kind {
        CoreEventKind::Exit => EventKind::Exit,
        CoreEventKind::Signal => EventKind::Signal,
        CoreEventKind::Spawn => EventKind::Spawn,
    }
}

/// A service changed its event mask.
pub fn subscribed(endpoint: Pid, mask: u8) {
    telemetry::send(Message::Subscribed(Subscribed { endpoint, mask }));
}

/// The PM notified a subscriber.
pub fn published(event_id: u64, pid: Pid, kind: CoreEventKind, subscriber: Pid) {
    telemetry::send(Message::Publish(Publish {
        event_id,
        pid,
        kind: wire_kind(kind),
        subscriber,
    }));
}

/// A subscriber acked.
pub fn acked(event_id: u64, subscriber: Pid, latency_ns: u64) {
    telemetry::send(Message::Ack(Ack {
        event_id,
        subscriber,
        latency_ns,
    }));
}

/// An ack was ignored.
pub fn ack_ignored(sender: Pid, pid: Pid, kind: u32, reason: IgnoredAck) {
    let reason = match reason {
        IgnoredAck::NoSuchEvent => IgnoredReason::NoSuchEvent,
        IgnoredAck::WrongSubscriber => IgnoredReason::WrongSubscriber,
        IgnoredAck::WrongKind => IgnoredReason::WrongKind,
    };
    telemetry::send(Message::AckIgnored(AckIgnored {
        sender,
        pid,
        kind: kind.min(255) as u8,
        reason,
    }));
}

/// The last ack of an event came.
pub fn event_done(event_id: u64, pid: Pid, kind: CoreEventKind, elapsed_ns: u64) {
    telemetry::send(Message::EventDone(EventDone {
        event_id,
        pid,
        kind: wire_kind(kind),
        elapsed_ns,
    }));
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
