//! One live process as the host tracks it: identity, state, counters, rates
//! and regions.
//!
//! Snapshots carry absolute counters; CPU % and fault rates are derived from
//! them over a sliding window of guest time ([`PROCESS_RATE_WINDOW`]), using
//! the guest timestamps of the frames, so they do not depend on how fast the
//! link delivers.

use super::names::{Backing, perms_string};
use super::window::CounterWindow;
use protocol::message::{
    ProcessSnapshot, ProcessState, RegionKind, RegionSnapshot, Spawn, UserFault, VMF_EXITING,
    VMF_INUSE, VmCounters,
};
use std::time::Duration;

/// Width of the guest-time window CPU % and fault rates are measured over.
pub const PROCESS_RATE_WINDOW: Duration = Duration::from_secs(2);

/// How far back a process's fault history reaches (guest time).
pub const FAULT_HISTORY: Duration = Duration::from_secs(60);

/// A process's fault counters as one snapshot reported them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultSample {
    /// Guest time of the snapshot, in microseconds.
    pub time_us: u64,
    /// Minor faults so far.
    pub minor: u64,
    /// Major faults so far.
    pub major: u64,
}

/// Bytes in a page.
pub const PAGE_SIZE: u64 = 4096;

const CPU: usize = 0;
const MINOR: usize = 1;
const MAJOR: usize = 2;

/// One live process (not yet reaped).
#[derive(Clone, Debug)]
pub struct Process {
    /// Process id.
    pub pid: u32,
    /// Parent's pid (0 for boot programs).
    pub parent: u32,
    /// Program name.
    pub name: String,
    /// State, from the last snapshot or event.
    pub state: ProcessState,
    /// A system service.
    pub privileged: bool,
    /// CPU time used, in nanoseconds.
    pub cpu_ns: u64,
    /// VM counters.
    pub vm: VmCounters,
    /// The VM's flags for it (`VMF_INUSE`, `VMF_EXITING`), from its latest
    /// `VmFlags` frame; `None` until one arrives.
    pub vm_flags: Option<u8>,
    /// Regions by start address, as of [`Process::regions_round`].
    pub regions: Vec<Region>,
    /// How many regions its latest snapshot said follow it (its `Region`
    /// frames), so a list with frames lost can be told from a whole one.
    pub regions_expected: Option<u32>,
    /// Signals sent to it.
    pub signals_received: u64,
    /// Signal handlers it entered.
    pub handlers_run: u64,
    /// CPU exceptions it took.
    pub user_faults: u64,
    /// System calls of its that failed with EFAULT.
    pub bad_pointers: u64,
    /// `PageFault` events about it (`fault_events=on` only): they add up
    /// to its `vm` fault counters unless frames were lost.
    pub fault_events: u64,
    /// Its latest CPU exception.
    pub last_fault: Option<UserFault>,
    /// Guest time of the last frame about it, in microseconds.
    pub updated_us: u64,
    /// The last snapshot round that listed it.
    pub round: Option<u32>,
    /// The snapshot round its regions come from.
    pub regions_round: Option<u32>,
    /// When the table last had evidence that it exists (see
    /// `System::mark`): its Spawn or its latest snapshot.
    pub(crate) seen_at: u64,
    rates: CounterWindow<3>,
    /// Its fault counters from the snapshots of the last
    /// [`FAULT_HISTORY`], oldest first.
    pub fault_history: std::collections::VecDeque<FaultSample>,
}

/// One region of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First address.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// What it holds.
    pub kind: RegionKind,
    /// `PERM_*` bits.
    pub perms: u8,
    /// Pages in memory.
    pub resident_pages: u64,
    /// Pages in swap.
    pub swapped_pages: u64,
}

impl Region {
    /// The first address past the region.
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }

    /// What backs it.
    pub fn backing(&self) -> Backing {
        Backing::of(self.kind)
    }

    /// Permissions as `r-x`.
    pub fn perms_string(&self) -> String {
        perms_string(self.perms)
    }

    /// Its length in pages, rounded up.
    pub fn pages(&self) -> u64 {
        self.len.div_ceil(PAGE_SIZE)
    }
}

impl From<RegionSnapshot> for Region {
    fn from(region: RegionSnapshot) -> Self {
        Self {
            start: region.start,
            len: region.len,
            kind: region.kind,
            perms: region.perms,
            resident_pages: region.resident_pages,
            swapped_pages: region.swapped_pages,
        }
    }
}

fn guest_time(time_us: u64) -> Duration {
    Duration::from_micros(time_us)
}

impl Process {
    /// A process just created at guest time `time_us`: runnable, with every
    /// counter at zero (a forked child does not inherit its parent's).
    pub(crate) fn spawned(spawn: Spawn<String>, time_us: u64, mark: u64) -> Self {
        let mut process = Self::blank(spawn.pid, spawn.parent, spawn.name, time_us, mark);
        process.rates.sample(guest_time(time_us), [0; 3]);
        process
    }

    /// A process first learnt of from a snapshot (its Spawn was lost, or
    /// happened before the link).
    pub(crate) fn listed(snapshot: ProcessSnapshot<String>, time_us: u64, mark: u64) -> Self {
        let name = snapshot.name.clone();
        let mut process = Self::blank(snapshot.pid, snapshot.parent, name, time_us, mark);
        process.snapshot(snapshot, time_us, mark);
        process
    }

    fn blank(pid: u32, parent: u32, name: String, time_us: u64, mark: u64) -> Self {
        Self {
            pid,
            parent,
            name,
            state: ProcessState::Ready,
            privileged: false,
            cpu_ns: 0,
            vm: VmCounters::default(),
            vm_flags: None,
            regions: Vec::new(),
            regions_expected: None,
            signals_received: 0,
            handlers_run: 0,
            user_faults: 0,
            bad_pointers: 0,
            fault_events: 0,
            last_fault: None,
            updated_us: time_us,
            round: None,
            regions_round: None,
            seen_at: mark,
            rates: CounterWindow::new(PROCESS_RATE_WINDOW),
            fault_history: std::collections::VecDeque::new(),
        }
    }

    /// Whether `snapshot` describes another program under the same pid (its
    /// exit and reap were lost and the pid was reused). The parent may
    /// change (orphans go to init); the name may not.
    pub(crate) fn is_other(&self, snapshot: &ProcessSnapshot<String>) -> bool {
        self.name != snapshot.name
    }

    /// Takes in this process's snapshot, stamped `time_us`. Its regions
    /// follow in their own frames; those of older rounds are dropped now.
    pub(crate) fn snapshot(&mut self, snapshot: ProcessSnapshot<String>, time_us: u64, mark: u64) {
        self.parent = snapshot.parent;
        self.name = snapshot.name;
        self.state = snapshot.state;
        self.privileged = snapshot.privileged;
        self.cpu_ns = snapshot.cpu_ns;
        self.vm = snapshot.vm;
        self.updated_us = time_us;
        self.round = Some(snapshot.round);
        self.seen_at = mark;
        self.regions_expected = Some(snapshot.regions);
        // The previous round's regions stay on show until this round's
        // first region arrives (a screen or a run cut between the two sees
        // the last whole list, marked incomplete, never an empty one).
        if snapshot.regions == 0 {
            self.start_regions(snapshot.round);
        }
        let counters = [
            snapshot.cpu_ns,
            snapshot.vm.minor_faults,
            snapshot.vm.major_faults,
        ];
        self.rates.sample(guest_time(time_us), counters);
        let window_us = FAULT_HISTORY.as_micros() as u64;
        while self
            .fault_history
            .front()
            .is_some_and(|oldest| oldest.time_us.saturating_add(window_us) < time_us)
        {
            self.fault_history.pop_front();
        }
        self.fault_history.push_back(FaultSample {
            time_us,
            minor: snapshot.vm.minor_faults,
            major: snapshot.vm.major_faults,
        });
    }

    /// Minor and major faults per second between consecutive snapshots of
    /// its history, oldest first (for sparklines).
    pub fn fault_rate_history(&self) -> (Vec<u64>, Vec<u64>) {
        let samples: Vec<&FaultSample> = self.fault_history.iter().collect();
        samples
            .windows(2)
            .map(|pair| {
                let elapsed_us = pair[1].time_us.saturating_sub(pair[0].time_us).max(1);
                let rate = |from: u64, to: u64| to.saturating_sub(from) * 1_000_000 / elapsed_us;
                (
                    rate(pair[0].minor, pair[1].minor),
                    rate(pair[0].major, pair[1].major),
                )
            })
            .unzip()
    }

    /// Takes in one of its regions from snapshot round `region.round`.
    pub(crate) fn region(&mut self, region: RegionSnapshot) {
        self.start_regions(region.round);
        let region = Region::from(region);
        let at = self
            .regions
            .partition_point(|other| other.start <= region.start);
        self.regions.insert(at, region);
    }

    fn start_regions(&mut self, round: u32) {
        if self.regions_round != Some(round) {
            self.regions.clear();
            self.regions_round = Some(round);
        }
    }

    /// Whether its region list is whole: as many regions as its latest
    /// snapshot announced, all from that snapshot's round. `None` until a
    /// snapshot listed it.
    pub fn regions_complete(&self) -> Option<bool> {
        let expected = self.regions_expected?;
        Some(self.regions_round == self.round && self.regions.len() == expected as usize)
    }

    /// Its VM flags by name (`in_use`, `exiting`, and `0x..` for a bit
    /// this model does not know), or `None` before a `VmFlags` frame.
    pub fn vm_flag_names(&self) -> Option<Vec<String>> {
        let flags = self.vm_flags?;
        let mut names = Vec::new();
        for bit in (0..8)
            .map(|shift| 1u8 << shift)
            .filter(|bit| flags & bit != 0)
        {
            names.push(match bit {
                VMF_INUSE => "in_use".to_string(),
                VMF_EXITING => "exiting".to_string(),
                other => format!("{other:#04x}"),
            });
        }
        Some(names)
    }

    /// Share of the guest's CPU it used over the rate window, in percent.
    pub fn cpu_percent(&self) -> f64 {
        self.rates.rate(CPU) / 1e7
    }

    /// Minor faults per second of guest time over the rate window.
    pub fn minor_faults_per_second(&self) -> f64 {
        self.rates.rate(MINOR)
    }

    /// Major faults per second of guest time over the rate window.
    pub fn major_faults_per_second(&self) -> f64 {
        self.rates.rate(MAJOR)
    }

    /// Faults (minor and major) per second sustained over the whole rate
    /// window: a process younger than the window has its faults spread over
    /// all of it (they are its faults of the last window), so a burst at
    /// birth, seen a few milliseconds after the spawn, is no fault storm.
    pub fn sustained_faults_per_second(&self) -> f64 {
        self.rates.rate_over_width(MINOR) + self.sustained_major_faults_per_second()
    }

    /// Major faults per second sustained over the whole rate window (see
    /// [`Process::sustained_faults_per_second`]).
    pub fn sustained_major_faults_per_second(&self) -> f64 {
        self.rates.rate_over_width(MAJOR)
    }

    /// Pages of its regions in memory.
    pub fn resident_pages(&self) -> u64 {
        self.regions
            .iter()
            .map(|region| region.resident_pages)
            .sum()
    }

    /// Pages of its regions in swap.
    pub fn swapped_pages(&self) -> u64 {
        self.regions.iter().map(|region| region.swapped_pages).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::ProcessSnapshot;

    fn snapshot(minor: u64, major: u64) -> ProcessSnapshot<String> {
        ProcessSnapshot {
            round: 1,
            pid: 3,
            parent: 1,
            name: "worker".to_string(),
            state: ProcessState::Ready,
            privileged: false,
            cpu_ns: 0,
            vm: VmCounters {
                vm_total_pages: 0,
                vm_total_max_pages: 0,
                minor_faults: minor,
                major_faults: major,
            },
            regions: 0,
        }
    }

    #[test]
    fn the_fault_history_keeps_a_minute_of_rates() {
        let mut process = Process::listed(snapshot(0, 0), 0, 0);
        // Every 500 ms: 50 more minor faults, one more major every second.
        for step in 1..=200u64 {
            process.snapshot(snapshot(step * 50, step / 2), step * 500_000, step);
        }
        let (minor, major) = process.fault_rate_history();
        // 60 s at 2 samples a second, plus the one at the window's start.
        assert_eq!(process.fault_history.len(), 121);
        assert_eq!(minor.len(), 120);
        assert!(minor.iter().all(|&rate| rate == 100));
        assert!(major.iter().all(|&rate| rate == 0 || rate == 2));
    }

    #[test]
    fn the_last_whole_region_list_stays_until_the_next_rounds_regions_come() {
        let region = |round: u32, start: u64| RegionSnapshot {
            round,
            pid: 3,
            start,
            len: 4096,
            kind: protocol::message::RegionKind::Heap,
            perms: 3,
            resident_pages: 1,
            swapped_pages: 0,
        };
        let listed = |round: u32, regions: u32| ProcessSnapshot {
            round,
            regions,
            ..snapshot(0, 0)
        };
        let mut process = Process::listed(listed(1, 2), 0, 0);
        process.region(region(1, 0x1000));
        process.region(region(1, 0x2000));
        assert_eq!(process.regions_complete(), Some(true));
        // Round 2's snapshot arrived, its regions not yet.
        process.snapshot(listed(2, 1), 500_000, 1);
        assert_eq!(process.regions.len(), 2, "the last whole list stays");
        assert_eq!(process.regions_complete(), Some(false));
        process.region(region(2, 0x3000));
        assert_eq!(process.regions.len(), 1);
        assert_eq!(process.regions_complete(), Some(true));
        // A round with no regions clears the list at once.
        process.snapshot(listed(3, 0), 1_000_000, 2);
        assert!(process.regions.is_empty());
        assert_eq!(process.regions_complete(), Some(true));
    }
}
