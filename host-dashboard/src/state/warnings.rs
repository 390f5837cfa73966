//! What needs attention now, by kind: stuck events, slow acks, fault
//! storms, out-of-memory kills, thrashing and link trouble, measured
//! against [`Thresholds`].
//!
//! Pure: [`Warnings::of`] derives everything from the state model, so the
//! warnings line of every view and the headless `warnings` counts agree.

use super::State;
use serde::Serialize;
use std::time::Duration;

/// The limits past which something is a warning.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// An ack slower than this is slow.
    pub slow_ack: Duration,
    /// A process faulting (minor + major) faster than this per second is
    /// in a fault storm.
    pub fault_storm_per_second: f64,
    /// No heartbeat for longer than this (host time, while QEMU runs) is a
    /// stale link.
    pub heartbeat_stale: Duration,
    /// A process taking major faults faster than this per second while
    /// the guest has pages in swap is thrashing: its working set is being
    /// paged out and in.
    pub thrashing_major_per_second: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            slow_ack: Duration::from_millis(100),
            fault_storm_per_second: 1000.0,
            heartbeat_stale: Duration::from_secs(2),
            thrashing_major_per_second: 200.0,
        }
    }
}

/// A subscriber whose recent acks were slow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlowAcks {
    /// Its endpoint (pid).
    pub endpoint: u32,
    /// Its name.
    pub name: String,
    /// How many of its recent acks were over the threshold.
    pub count: u64,
    /// The slowest of them, in nanoseconds.
    pub worst_ns: u64,
}

/// A process faulting faster than the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultStorm {
    /// Its pid.
    pub pid: u32,
    /// Its name.
    pub name: String,
    /// Minor plus major faults per second.
    pub per_second: f64,
}

/// A process paging its working set in and out.
#[derive(Clone, Debug, PartialEq)]
pub struct Thrashing {
    /// Its pid.
    pub pid: u32,
    /// Its name.
    pub name: String,
    /// Major faults per second.
    pub major_per_second: f64,
}

/// Everything that needs attention now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Warnings {
    /// Events stuck now.
    pub stuck_events: usize,
    /// Subscribers with slow recent acks.
    pub slow_acks: Vec<SlowAcks>,
    /// Processes in a fault storm.
    pub fault_storms: Vec<FaultStorm>,
    /// Processes the kernel killed for want of memory so far (its
    /// out-of-memory rule, after a fault found none or a process thrashed).
    pub oom_kills: u64,
    /// Processes thrashing now.
    pub thrashing: Vec<Thrashing>,
    /// Frames that failed their CRC so far.
    pub crc_errors: u64,
    /// Gaps in the frame sequence so far.
    pub seq_gaps: u64,
    /// How long no heartbeat came, when that is longer than the threshold.
    pub stale_for: Option<Duration>,
    /// How long an attached link has been down, while it is.
    pub link_down_for: Option<Duration>,
}

impl Warnings {
    /// The warnings of `state` now.
    pub fn of(state: &State) -> Self {
        let thresholds = state.thresholds();
        let system = state.system();
        let slow_ns = u64::try_from(thresholds.slow_ack.as_nanos()).unwrap_or(u64::MAX);
        let slow_acks = system
            .subscribers()
            .entries()
            .iter()
            .filter_map(|subscriber| {
                let slow: Vec<u64> = subscriber
                    .recent_latency_ns
                    .iter()
                    .copied()
                    .filter(|&latency| latency > slow_ns)
                    .collect();
                let worst_ns = slow.iter().copied().max()?;
                Some(SlowAcks {
                    endpoint: subscriber.endpoint,
                    name: subscriber.display_name(),
                    count: slow.len() as u64,
                    worst_ns,
                })
            })
            .collect();
        let fault_storms = system
            .live()
            .filter_map(|process| {
                let per_second = process.sustained_faults_per_second();
                (per_second > thresholds.fault_storm_per_second).then(|| FaultStorm {
                    pid: process.pid,
                    name: process.name.clone(),
                    per_second,
                })
            })
            .collect();
        let swapping = system
            .memory()
            .is_some_and(|memory| memory.latest.swap_used > 0);
        let thrashing = system
            .live()
            .filter(|_| swapping)
            .filter_map(|process| {
                let major_per_second = process.sustained_major_faults_per_second();
                (major_per_second > thresholds.thrashing_major_per_second).then(|| Thrashing {
                    pid: process.pid,
                    name: process.name.clone(),
                    major_per_second,
                })
            })
            .collect();
        let stats = state.link().stats;
        Self {
            stuck_events: system.stuck().current().len(),
            slow_acks,
            fault_storms,
            oom_kills: state.guest().oom_kills,
            thrashing,
            crc_errors: stats.crc_errors,
            seq_gaps: stats.seq_gaps,
            stale_for: state
                .heartbeat_silence()
                .filter(|silence| *silence > thresholds.heartbeat_stale),
            link_down_for: match state.link_condition() {
                super::LinkCondition::Down { for_ } => Some(for_),
                _ => None,
            },
        }
    }

    /// Whether nothing needs attention.
    pub fn is_empty(&self) -> bool {
        self.kinds().is_empty()
    }

    /// One short phrase per kind that needs attention, in a fixed order.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds = Vec::new();
        if self.stuck_events > 0 {
            kinds.push(format!("{} stuck event(s)", self.stuck_events));
        }
        for slow in &self.slow_acks {
            kinds.push(format!(
                "slow acks: {} ({} over, worst {} ms)",
                slow.name,
                slow.count,
                slow.worst_ns / 1_000_000
            ));
        }
        for storm in &self.fault_storms {
            kinds.push(format!(
                "fault storm: {} {} ({:.0}/s)",
                storm.pid, storm.name, storm.per_second
            ));
        }
        if self.oom_kills > 0 {
            kinds.push(format!("{} OOM kill(s)", self.oom_kills));
        }
        for thrashing in &self.thrashing {
            kinds.push(format!(
                "thrashing: {} {} ({:.0} major/s)",
                thrashing.pid, thrashing.name, thrashing.major_per_second
            ));
        }
        if self.crc_errors > 0 {
            kinds.push(format!("{} CRC error(s)", self.crc_errors));
        }
        if self.seq_gaps > 0 {
            kinds.push(format!("{} sequence gap(s)", self.seq_gaps));
        }
        if let Some(silence) = self.stale_for {
            kinds.push(format!(
                "stale link: no heartbeat for {:.1} s",
                silence.as_secs_f64()
            ));
        }
        if let Some(down) = self.link_down_for {
            kinds.push(format!("link down for {:.1} s", down.as_secs_f64()));
        }
        kinds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Input;
    use protocol::message::{
        Ack, GuestFrame, Header, Heartbeat, MASK_EXIT, MemorySnapshot, Message, ProcessSnapshot,
        ProcessState, Subscribed, UserFault, VmCounters,
    };
    use protocol::stream::LinkStats;

    struct Guest {
        state: State,
        seq: u32,
    }

    impl Guest {
        fn new() -> Self {
            let mut state = State::new("demo");
            state.apply(Duration::ZERO, Input::QemuStarted { pid: 1 });
            Self { state, seq: 0 }
        }

        fn send(&mut self, host_ms: u64, message: Message<String>) {
            let header = Header {
                seq: self.seq,
                time_us: host_ms * 1_000,
                dropped_before: 0,
            };
            self.seq += 1;
            let frame = Input::Frame(GuestFrame { header, message });
            self.state.apply(Duration::from_millis(host_ms), frame);
        }

        fn heartbeat(&mut self, host_ms: u64) {
            let heartbeat = Heartbeat {
                uptime_ns: host_ms * 1_000_000,
                dropped_total: 0,
                idle_ns: 0,
            };
            self.send(host_ms, Message::Heartbeat(heartbeat));
        }

        fn snapshot(&mut self, host_ms: u64, round: u32, minor_faults: u64) {
            self.snapshot_with(host_ms, round, minor_faults, 0);
        }

        fn snapshot_with(
            &mut self,
            host_ms: u64,
            round: u32,
            minor_faults: u64,
            major_faults: u64,
        ) {
            let snapshot = ProcessSnapshot {
                round,
                pid: 7,
                parent: 1,
                name: "hog".to_string(),
                state: ProcessState::Running,
                privileged: false,
                cpu_ns: 0,
                vm: VmCounters {
                    vm_total_pages: 0,
                    vm_total_max_pages: 0,
                    minor_faults,
                    major_faults,
                },
                regions: 0,
            };
            self.send(host_ms, Message::Process(snapshot));
        }

        fn memory(&mut self, host_ms: u64, round: u32, swap_used: u64) {
            let memory = MemorySnapshot {
                round,
                free_frames: 100,
                total_frames: 32_000,
                swap_used,
                swap_total: 4096,
                ..MemorySnapshot::default()
            };
            self.send(host_ms, Message::Memory(memory));
        }
    }

    #[test]
    fn a_quiet_healthy_guest_has_no_warnings() {
        let mut guest = Guest::new();
        guest.heartbeat(100);
        guest.heartbeat(1_000);
        assert!(guest.state.warnings().is_empty());
    }

    #[test]
    fn acks_over_the_threshold_are_slow() {
        let mut guest = Guest::new();
        let subscribed = Subscribed {
            endpoint: 9,
            mask: MASK_EXIT,
        };
        guest.send(1, Message::Subscribed(subscribed));
        for (event_id, latency_ms) in [(1, 5), (2, 100), (3, 250), (4, 101)] {
            let ack = Ack {
                event_id,
                subscriber: 9,
                latency_ns: latency_ms * 1_000_000,
            };
            guest.send(2, Message::Ack(ack));
        }
        let warnings = guest.state.warnings();
        // 100 ms is at the threshold, not over it.
        assert_eq!(warnings.slow_acks.len(), 1);
        assert_eq!(warnings.slow_acks[0].count, 2);
        assert_eq!(warnings.slow_acks[0].worst_ns, 250_000_000);
        assert!(warnings.kinds()[0].starts_with("slow acks:"));
    }

    #[test]
    fn a_fault_rate_over_the_threshold_is_a_storm() {
        let mut guest = Guest::new();
        guest.snapshot(0, 1, 0);
        // 900 faults in one second: under the default 1000/s.
        guest.snapshot(1_000, 2, 900);
        assert!(guest.state.warnings().fault_storms.is_empty());
        guest.snapshot(2_000, 3, 3_000);
        let storms = guest.state.warnings().fault_storms;
        assert_eq!(storms.len(), 1);
        assert_eq!((storms[0].pid, storms[0].per_second), (7, 1_500.0));
        // A lower threshold catches the slower rate too.
        let mut guest = Guest::new();
        guest.state = State::new("demo").with_thresholds(Thresholds {
            fault_storm_per_second: 500.0,
            ..Thresholds::default()
        });
        guest.snapshot(0, 1, 0);
        guest.snapshot(1_000, 2, 900);
        assert!(
            guest.state.warnings().fault_storms.is_empty(),
            "900 faults are 450/s over the 2 s window"
        );
        guest.snapshot(2_000, 3, 1_200);
        assert_eq!(guest.state.warnings().fault_storms.len(), 1);
    }

    #[test]
    fn a_burst_just_after_a_spawn_is_no_storm() {
        let mut guest = Guest::new();
        // 50 faults in the 5 ms between the first two snapshots: 10,000/s
        // by the samples, 25/s over the window.
        guest.snapshot(1_000, 1, 0);
        guest.snapshot(1_005, 2, 50);
        assert!(guest.state.warnings().fault_storms.is_empty());
    }

    #[test]
    fn oom_kills_and_thrashing_are_warnings() {
        let mut guest = Guest::new();
        // A kill for want of memory: a page fault that became SIGKILL. A
        // SIGSEGV page fault is no OOM kill.
        for signal in [11, 9] {
            let fault = UserFault {
                pid: 7,
                vector: 14,
                rip: 0,
                signal,
            };
            guest.send(1, Message::UserFault(fault));
        }
        let warnings = guest.state.warnings();
        assert_eq!(warnings.oom_kills, 1);
        assert_eq!(warnings.kinds(), vec!["1 OOM kill(s)".to_string()]);

        // 3000 major faults in a second (1500/s over the 2 s window) with
        // nothing in swap: file reads, not thrashing.
        let mut guest = Guest::new();
        guest.memory(0, 1, 0);
        guest.snapshot_with(0, 1, 0, 0);
        guest.snapshot_with(1_000, 2, 0, 3_000);
        assert!(guest.state.warnings().thrashing.is_empty());
        // With pages in swap it is thrashing; below the threshold it is not.
        guest.memory(1_000, 2, 800);
        let thrashing = guest.state.warnings().thrashing;
        assert_eq!(thrashing.len(), 1);
        assert_eq!(
            (thrashing[0].pid, thrashing[0].major_per_second),
            (7, 1_500.0)
        );
        assert_eq!(
            guest.state.warnings().kinds(),
            vec![
                "fault storm: 7 hog (1500/s)".to_string(),
                "thrashing: 7 hog (1500 major/s)".to_string()
            ]
        );
        let mut guest = Guest::new();
        guest.memory(0, 1, 800);
        guest.snapshot_with(0, 1, 0, 0);
        guest.snapshot_with(1_000, 2, 0, 150);
        assert!(guest.state.warnings().thrashing.is_empty());
    }

    #[test]
    fn crc_errors_gaps_and_a_missing_heartbeat_are_link_trouble() {
        let mut guest = Guest::new();
        guest.heartbeat(100);
        let stats = LinkStats {
            crc_errors: 2,
            seq_gaps: 1,
            ..LinkStats::default()
        };
        guest
            .state
            .apply(Duration::from_millis(200), Input::LinkStats(stats));
        let warnings = guest.state.warnings();
        assert_eq!((warnings.crc_errors, warnings.seq_gaps), (2, 1));
        assert_eq!(warnings.stale_for, None);
        // Other frames keep coming, but no heartbeat for 2.5 s.
        guest.send(
            2_600,
            Message::Process(ProcessSnapshot {
                round: 1,
                pid: 7,
                parent: 1,
                name: "hog".to_string(),
                state: ProcessState::Running,
                privileged: false,
                cpu_ns: 0,
                vm: VmCounters {
                    vm_total_pages: 0,
                    vm_total_max_pages: 0,
                    minor_faults: 0,
                    major_faults: 0,
                },
                regions: 0,
            }),
        );
        let warnings = guest.state.warnings();
        assert_eq!(warnings.stale_for, Some(Duration::from_millis(2_500)));
        assert_eq!(warnings.kinds().len(), 3);
    }
}

/// The top-level `warnings` object: how many of each kind of warning hold
/// at the end of the run (see [`crate::state::Warnings`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct WarningCounts {
    /// All of the below added up.
    pub total: u64,
    /// Events stuck now.
    pub stuck_events: u64,
    /// Subscribers whose recent acks were over the slow-ack threshold.
    pub slow_acks: u64,
    /// Processes faulting faster than the fault-storm threshold.
    pub fault_storms: u64,
    /// Processes the kernel killed for want of memory.
    pub oom_kills: u64,
    /// Processes thrashing at the end of the run.
    pub thrashing: u64,
    /// Frames that failed their CRC.
    pub crc_errors: u64,
    /// Gaps in the frame sequence.
    pub seq_gaps: u64,
    /// 1 if no heartbeat came for longer than the threshold, else 0.
    pub stale_link: u64,
    /// 1 if an attached link was down at the end of the run, else 0.
    pub link_down: u64,
}

impl From<&Warnings> for WarningCounts {
    fn from(warnings: &crate::state::Warnings) -> Self {
        let stuck_events = warnings.stuck_events as u64;
        let slow_acks = warnings.slow_acks.len() as u64;
        let fault_storms = warnings.fault_storms.len() as u64;
        let thrashing = warnings.thrashing.len() as u64;
        let stale_link = u64::from(warnings.stale_for.is_some());
        let link_down = u64::from(warnings.link_down_for.is_some());
        Self {
            total: stuck_events
                + slow_acks
                + fault_storms
                + warnings.oom_kills
                + thrashing
                + warnings.crc_errors
                + warnings.seq_gaps
                + stale_link
                + link_down,
            stuck_events,
            slow_acks,
            fault_storms,
            oom_kills: warnings.oom_kills,
            thrashing,
            crc_errors: warnings.crc_errors,
            seq_gaps: warnings.seq_gaps,
            stale_link,
            link_down,
        }
    }
}
