//! The guest system as its events and snapshots describe it: live
//! processes, exits, event counters, memory.
//!
//! Events update the picture at once: a Spawn adds a process, an Exit marks
//! it exiting and records the exit, a Reaped removes it. Snapshot rounds
//! then correct it: each `Process` frame overwrites that process's state and
//! counters, and after a complete round (see [`SnapshotRounds`]) processes
//! with no sign of life since the round began are dropped, so a lost event
//! never leaves the picture wrong for long. After an incomplete round
//! nothing is dropped.
//!
//! The process-event system (the subscriber table, the event flow and
//! stuck events) is fed from here too, in [`process_events`], because it needs the
//! processes: their names, their exits (a dying subscriber leaves the
//! table), their reaps and snapshots (which end events).

mod process_events;

use super::flow::EventFlow;
use super::lifecycle::LifecycleCounts;
use super::memory::SystemMemory;
use super::process::Process;
use super::rounds::{RoundFrame, SnapshotRounds};
use super::stuck::StuckWatch;
use super::subscribers::SubscriberTable;
use protocol::message::{
    BadPointer, Exit, MemorySnapshot, PageFault, ProcessSnapshot, ProcessState, ProcessVmFlags,
    Reaped, RegionSnapshot, SignalHandled, SignalSent, SnapshotDone, Spawn, UserFault,
};
use std::collections::{BTreeMap, VecDeque};

/// Exited processes kept at most (the oldest are dropped first).
pub const EXITED_CAPACITY: usize = 1000;

/// Name of a process the host never learnt the name of.
pub const UNKNOWN_NAME: &str = "?";

/// Everything the guest reported about its processes and memory.
#[derive(Clone, Debug, Default)]
pub struct System {
    live: BTreeMap<u32, Process>,
    exited: VecDeque<ExitedProcess>,
    exited_evicted: u64,
    subscribers: SubscriberTable,
    flow: EventFlow,
    stuck: StuckWatch,
    /// Guest time of the last look for stuck events, in nanoseconds.
    stuck_checked_ns: Option<u64>,
    lifecycle: LifecycleCounts,
    memory: Option<SystemMemory>,
    rounds: SnapshotRounds,
    pruned: u64,
    stray_regions: u64,
    /// Counts process frames applied: a logical clock that orders evidence
    /// of a process's existence against the start of a snapshot round.
    mark: u64,
}

/// A process that began to exit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitedProcess {
    /// Process id.
    pub pid: u32,
    /// Its parent, if the host knew the process.
    pub parent: Option<u32>,
    /// Program name ([`UNKNOWN_NAME`] if the host never learnt it).
    pub name: String,
    /// Exit status, when it exited by itself.
    pub status: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<u8>,
    /// The CPU exception that raised the killing signal, if one did.
    pub fault: Option<UserFault>,
    /// Guest time of the exit, in microseconds.
    pub time_us: u64,
}

impl System {
    fn next_mark(&mut self) -> u64 {
        self.mark += 1;
        self.mark
    }

    /// A process was created at guest time `time_us`. A process already
    /// listed under its pid is replaced: its end was lost.
    pub(crate) fn spawn(&mut self, time_us: u64, spawn: Spawn<String>) {
        let mark = self.next_mark();
        self.lifecycle.spawn += 1;
        self.live
            .insert(spawn.pid, Process::spawned(spawn, time_us, mark));
    }

    /// A process began to exit: it shows as exiting and is recorded.
    pub(crate) fn exit(&mut self, time_us: u64, exit: Exit) {
        self.next_mark();
        self.lifecycle.exit += 1;
        let signal = (exit.signal != 0).then_some(exit.signal);
        let status = signal.is_none().then_some(exit.status);
        let (parent, name, fault) = match self.live.get_mut(&exit.pid) {
            Some(process) => {
                process.state = ProcessState::Exiting;
                process.updated_us = time_us;
                let fault = process
                    .last_fault
                    .filter(|fault| signal == Some(fault.signal));
                (Some(process.parent), process.name.clone(), fault)
            }
            None => (None, UNKNOWN_NAME.to_string(), None),
        };
        if self.subscribers.died(exit.pid) {
            // A dying subscriber leaves the table before its own EXIT is
            // published; the processes waiting on it move on.
            self.flow.subscriber_gone(ns(time_us), exit.pid);
        }
        if self.exited.len() == EXITED_CAPACITY {
            self.exited.pop_front();
            self.exited_evicted += 1;
        }
        self.exited.push_back(ExitedProcess {
            pid: exit.pid,
            parent,
            name,
            status,
            signal,
            fault,
            time_us,
        });
    }

    /// A zombie was reaped: it is gone (and its EXIT event's teardown
    /// complete).
    pub(crate) fn reaped(&mut self, time_us: u64, reaped: Reaped) {
        self.next_mark();
        self.lifecycle.reaped += 1;
        self.live.remove(&reaped.pid);
        self.flow.reaped(ns(time_us), reaped.pid);
    }

    /// A signal was sent.
    pub(crate) fn signal(&mut self, time_us: u64, signal: SignalSent) {
        self.next_mark();
        self.lifecycle.signal += 1;
        self.lifecycle.signal_outcomes.count(signal.outcome);
        if let Some(process) = self.touch(signal.pid, time_us) {
            process.signals_received += 1;
        }
    }

    /// A process entered a signal handler.
    pub(crate) fn signal_handled(&mut self, time_us: u64, handled: SignalHandled) {
        self.next_mark();
        self.lifecycle.signal_handled += 1;
        if let Some(process) = self.touch(handled.pid, time_us) {
            process.handlers_run += 1;
        }
        self.flow
            .handler_entered(ns(time_us), handled.pid, handled.signal);
    }

    /// A process took a CPU exception.
    pub(crate) fn user_fault(&mut self, time_us: u64, fault: UserFault) {
        self.next_mark();
        self.lifecycle.user_fault += 1;
        if let Some(process) = self.touch(fault.pid, time_us) {
            process.user_faults += 1;
            process.last_fault = Some(fault);
        }
    }

    /// A system call failed with EFAULT.
    pub(crate) fn bad_pointer(&mut self, time_us: u64, bad: BadPointer) {
        self.next_mark();
        self.lifecycle.bad_pointer += 1;
        if let Some(process) = self.touch(bad.pid, time_us) {
            process.bad_pointers += 1;
        }
    }

    /// A page fault of a process was counted (`fault_events=on`).
    pub(crate) fn page_fault(&mut self, time_us: u64, fault: PageFault) {
        self.next_mark();
        self.lifecycle.page_fault += 1;
        if let Some(process) = self.touch(fault.pid, time_us) {
            process.fault_events += 1;
        }
    }

    fn touch(&mut self, pid: u32, time_us: u64) -> Option<&mut Process> {
        let process = self.live.get_mut(&pid)?;
        process.updated_us = time_us;
        Some(process)
    }

    /// One process's VM flags, part of a snapshot round.
    pub(crate) fn vm_flags(&mut self, flags: ProcessVmFlags) {
        if let Some(process) = self.live.get_mut(&flags.pid) {
            process.vm_flags = Some(flags.flags);
        }
    }

    /// One process's snapshot.
    pub(crate) fn process_snapshot(&mut self, time_us: u64, snapshot: ProcessSnapshot<String>) {
        let mark = self.next_mark();
        self.rounds.frame(snapshot.round, mark, RoundFrame::Process);
        self.flow
            .process_listed(ns(time_us), snapshot.pid, snapshot.state);
        match self.live.get_mut(&snapshot.pid) {
            Some(process) if !process.is_other(&snapshot) => {
                process.snapshot(snapshot, time_us, mark);
            }
            _ => {
                let process = Process::listed(snapshot, time_us, mark);
                self.live.insert(process.pid, process);
            }
        }
    }

    /// One region of a process, after that process's snapshot.
    pub(crate) fn region_snapshot(&mut self, region: RegionSnapshot) {
        let mark = self.next_mark();
        self.rounds.frame(region.round, mark, RoundFrame::Other);
        match self.live.get_mut(&region.pid) {
            Some(process) => process.region(region),
            None => self.stray_regions += 1,
        }
    }

    /// System memory, once per round.
    pub(crate) fn memory_snapshot(&mut self, time_us: u64, snapshot: MemorySnapshot) {
        let mark = self.next_mark();
        self.rounds.frame(snapshot.round, mark, RoundFrame::Other);
        match &mut self.memory {
            Some(memory) => memory.update(snapshot, time_us),
            None => self.memory = Some(SystemMemory::new(snapshot, time_us)),
        }
    }

    /// The end of a round, sent at guest time `time_us`: after a complete
    /// one, processes (and subscribers) with no sign of life since it began
    /// are gone.
    pub(crate) fn snapshot_done(&mut self, time_us: u64, done: SnapshotDone) {
        self.next_mark();
        let started_at = self.rounds.done(done.round, done.processes);
        self.subscribers.round_done(done.round, started_at);
        let Some(started_at) = started_at else {
            return;
        };
        let gone: Vec<u32> = self
            .live
            .values()
            .filter(|process| process.seen_at < started_at)
            .map(|process| process.pid)
            .collect();
        for pid in &gone {
            self.live.remove(pid);
            self.flow.process_gone(ns(time_us), *pid);
        }
        self.pruned += gone.len() as u64;
    }

    /// Live processes, by pid.
    pub fn live(&self) -> impl DoubleEndedIterator<Item = &Process> + ExactSizeIterator {
        self.live.values()
    }

    /// The live process `pid`.
    pub fn process(&self, pid: u32) -> Option<&Process> {
        self.live.get(&pid)
    }

    /// The most recent exits, oldest first (at most [`EXITED_CAPACITY`]).
    pub fn exited(&self) -> impl DoubleEndedIterator<Item = &ExitedProcess> + ExactSizeIterator {
        self.exited.iter()
    }

    /// Exits dropped from [`System::exited`] to bound it.
    pub fn exited_evicted(&self) -> u64 {
        self.exited_evicted
    }

    /// The PM's subscriber table, in subscription order.
    pub fn subscribers(&self) -> &SubscriberTable {
        &self.subscribers
    }

    /// Process events: in flight and recent.
    pub fn event_flow(&self) -> &EventFlow {
        &self.flow
    }

    /// Stuck events now and stuck episodes so far.
    pub fn stuck(&self) -> &StuckWatch {
        &self.stuck
    }

    /// Lifecycle event counts.
    pub fn lifecycle(&self) -> &LifecycleCounts {
        &self.lifecycle
    }

    /// System memory, once a snapshot reported it.
    pub fn memory(&self) -> Option<&SystemMemory> {
        self.memory.as_ref()
    }

    /// Snapshot-round accounting.
    pub fn rounds(&self) -> &SnapshotRounds {
        &self.rounds
    }

    /// Processes dropped because a complete round no longer listed them
    /// (their exit or reap was lost).
    pub fn pruned(&self) -> u64 {
        self.pruned
    }

    /// Region frames for a process the host did not know (its `Process`
    /// frame and Spawn were lost).
    pub fn stray_regions(&self) -> u64 {
        self.stray_regions
    }
}

/// A guest timestamp in microseconds, in nanoseconds.
fn ns(time_us: u64) -> u64 {
    time_us.saturating_mul(1_000)
}

#[cfg(test)]
mod tests;
