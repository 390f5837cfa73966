//! Unit tests of the system model, fed with messages as the guest sends them.

use super::*;
use protocol::message::{
    MemorySnapshot, PERM_EXECUTE, PERM_READ, PERM_WRITE, RegionKind, SignalOutcome, VmCounters,
};

fn spawn(pid: u32, parent: u32, name: &str) -> Spawn<String> {
    Spawn {
        pid,
        parent,
        name: name.into(),
    }
}

/// Process `pid` named `name` in snapshot `round`, with CPU time and faults.
fn listed(
    round: u32,
    pid: u32,
    name: &str,
    cpu_ns: u64,
    faults: (u64, u64),
) -> ProcessSnapshot<String> {
    ProcessSnapshot {
        round,
        pid,
        parent: 1,
        name: name.into(),
        state: ProcessState::Running,
        privileged: false,
        cpu_ns,
        vm: VmCounters {
            vm_total_pages: 10,
            vm_total_max_pages: 12,
            minor_faults: faults.0,
            major_faults: faults.1,
        },
        regions: 0,
    }
}

fn region(round: u32, pid: u32, start: u64, kind: RegionKind) -> RegionSnapshot {
    RegionSnapshot {
        round,
        pid,
        start,
        len: 0x2000,
        kind,
        perms: PERM_READ | PERM_WRITE,
        resident_pages: 1,
        swapped_pages: 1,
    }
}

fn done(round: u32, processes: u32) -> SnapshotDone {
    SnapshotDone { round, processes }
}

fn memory(round: u32, disk_reads: u64, disk_writes: u64) -> MemorySnapshot {
    MemorySnapshot {
        round,
        free_frames: 100,
        total_frames: 400,
        cached_pages: 5,
        swap_used: 3,
        swap_total: 50,
        disk_reads,
        disk_writes,
    }
}

/// A complete round at guest time `time_us` listing `pids`, each named
/// after its pid, with no regions.
fn round(system: &mut System, time_us: u64, number: u32, pids: &[u32]) {
    for &pid in pids {
        system.process_snapshot(time_us, listed(number, pid, &format!("p{pid}"), 0, (0, 0)));
    }
    system.memory_snapshot(time_us, memory(number, 0, 0));
    system.snapshot_done(time_us, done(number, pids.len() as u32));
}

fn pids(system: &System) -> Vec<u32> {
    system.live().map(|process| process.pid).collect()
}

#[test]
fn a_spawn_adds_a_ready_process_with_zero_counters() {
    let mut system = System::default();
    system.spawn(5_000, spawn(2, 1, "worker"));
    let process = system.process(2).unwrap();
    assert_eq!(
        (process.parent, process.name.as_str(), process.state),
        (1, "worker", ProcessState::Ready)
    );
    assert_eq!((process.cpu_ns, process.vm), (0, VmCounters::default()));
    assert_eq!((process.updated_us, process.round), (5_000, None));
    assert_eq!(system.lifecycle().spawn, 1);
}

#[test]
fn a_snapshot_overwrites_state_and_counters_and_regions_follow_it() {
    let mut system = System::default();
    system.spawn(0, spawn(2, 1, "worker"));
    let mut snapshot = listed(1, 2, "worker", 7_000, (30, 2));
    snapshot.state = ProcessState::Sleeping;
    snapshot.privileged = true;
    snapshot.regions = 2;
    system.process_snapshot(500_000, snapshot);
    // Regions arrive in any order and are kept by address.
    system.region_snapshot(region(1, 2, 0x7000, RegionKind::Stack));
    system.region_snapshot(region(1, 2, 0x1000, RegionKind::Text));
    let process = system.process(2).unwrap();
    assert_eq!(process.state, ProcessState::Sleeping);
    assert!(process.privileged);
    assert_eq!(
        (
            process.cpu_ns,
            process.vm.minor_faults,
            process.vm.major_faults
        ),
        (7_000, 30, 2)
    );
    assert_eq!(
        (process.vm.vm_total_pages, process.vm.vm_total_max_pages),
        (10, 12)
    );
    assert_eq!((process.updated_us, process.round), (500_000, Some(1)));
    let starts: Vec<u64> = process.regions.iter().map(|region| region.start).collect();
    assert_eq!(starts, [0x1000, 0x7000]);
    assert_eq!((process.resident_pages(), process.swapped_pages()), (2, 2));
    assert_eq!(process.regions_complete(), Some(true));

    // The next round's regions replace the old ones, even a region list
    // that became empty.
    let snapshot = ProcessSnapshot {
        regions: 1,
        ..listed(2, 2, "worker", 7_000, (30, 2))
    };
    system.process_snapshot(1_000_000, snapshot);
    system.region_snapshot(region(2, 2, 0x3000, RegionKind::Heap));
    let kinds: Vec<_> = system
        .process(2)
        .unwrap()
        .regions
        .iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(kinds, [RegionKind::Heap]);
    system.process_snapshot(1_500_000, listed(3, 2, "worker", 7_000, (30, 2)));
    assert!(system.process(2).unwrap().regions.is_empty());
    assert_eq!(system.process(2).unwrap().regions_complete(), Some(true));
}

#[test]
fn a_region_list_with_a_frame_lost_is_known_to_be_incomplete() {
    let mut system = System::default();
    system.spawn(0, spawn(2, 1, "worker"));
    assert_eq!(system.process(2).unwrap().regions_complete(), None);
    let snapshot = ProcessSnapshot {
        regions: 3,
        ..listed(1, 2, "worker", 0, (0, 0))
    };
    system.process_snapshot(500_000, snapshot);
    system.region_snapshot(region(1, 2, 0x1000, RegionKind::Text));
    // The second of three Region frames was lost.
    system.region_snapshot(region(1, 2, 0x7000, RegionKind::Stack));
    let process = system.process(2).unwrap();
    assert_eq!(process.regions.len(), 2);
    assert_eq!(process.regions_complete(), Some(false));
}

#[test]
fn a_snapshot_of_an_unknown_process_adds_it() {
    let mut system = System::default();
    system.process_snapshot(500_000, listed(1, 9, "spinner", 1_000, (1, 0)));
    assert_eq!(system.process(9).unwrap().name, "spinner");
    assert_eq!(
        system.lifecycle().spawn,
        0,
        "a snapshot is not a spawn event"
    );
}

#[test]
fn regions_of_an_unknown_process_are_counted_not_kept() {
    let mut system = System::default();
    system.region_snapshot(region(1, 4, 0x1000, RegionKind::Heap));
    assert_eq!(system.live().len(), 0);
    assert_eq!(system.stray_regions(), 1);
}

#[test]
fn a_complete_round_drops_processes_it_does_not_list() {
    let mut system = System::default();
    for pid in 1..=3 {
        system.spawn(0, spawn(pid, 0, &format!("p{pid}")));
    }
    round(&mut system, 500_000, 1, &[1, 2, 3]);
    assert_eq!(pids(&system), [1, 2, 3]);
    // Pid 2's exit and reap were lost; the next complete round drops it.
    round(&mut system, 1_000_000, 2, &[1, 3]);
    assert_eq!(pids(&system), [1, 3]);
    assert_eq!(system.pruned(), 1);
    assert_eq!(system.rounds().complete, 2);
    assert_eq!(system.rounds().last_complete, Some(2));
}

#[test]
fn an_incomplete_round_drops_nothing() {
    let mut system = System::default();
    round(&mut system, 500_000, 1, &[1, 2, 3]);
    // Round 2 lists 3 processes but pid 2's frame was lost on the link.
    system.process_snapshot(1_000_000, listed(2, 1, "p1", 0, (0, 0)));
    system.process_snapshot(1_000_000, listed(2, 3, "p3", 0, (0, 0)));
    system.snapshot_done(1_000_000, done(2, 3));
    assert_eq!(pids(&system), [1, 2, 3]);
    assert_eq!(system.pruned(), 0);
    assert_eq!(
        (system.rounds().complete, system.rounds().incomplete),
        (1, 1)
    );
    // A lost SnapshotDone makes its round incomplete too.
    system.process_snapshot(1_500_000, listed(3, 1, "p1", 0, (0, 0)));
    round(&mut system, 2_000_000, 4, &[1, 2, 3]);
    assert_eq!(pids(&system), [1, 2, 3]);
    assert_eq!(
        (system.rounds().complete, system.rounds().incomplete),
        (2, 2)
    );
}

#[test]
fn a_process_spawned_while_a_round_is_sent_is_not_dropped_by_it() {
    let mut system = System::default();
    system.process_snapshot(500_000, listed(1, 1, "init", 0, (0, 0)));
    system.spawn(500_010, spawn(2, 1, "worker"));
    system.memory_snapshot(500_020, memory(1, 0, 0));
    system.snapshot_done(500_000, done(1, 1));
    assert_eq!(pids(&system), [1, 2]);
    // The next complete round that does not list it drops it.
    round(&mut system, 1_000_000, 2, &[1]);
    assert_eq!(pids(&system), [1]);
}

#[test]
fn an_exit_marks_the_process_exiting_until_it_is_reaped() {
    let mut system = System::default();
    system.spawn(0, spawn(7, 1, "worker"));
    system.exit(
        900_000,
        Exit {
            pid: 7,
            status: 3,
            signal: 0,
        },
    );
    assert_eq!(system.process(7).unwrap().state, ProcessState::Exiting);
    assert_eq!(
        system.exited().collect::<Vec<_>>(),
        [&ExitedProcess {
            pid: 7,
            parent: Some(1),
            name: "worker".into(),
            status: Some(3),
            signal: None,
            fault: None,
            time_us: 900_000,
        }]
    );
    // Torn down: the next snapshot says zombie. Reaped: gone.
    let mut zombie = listed(1, 7, "worker", 0, (0, 0));
    zombie.state = ProcessState::Zombie;
    system.process_snapshot(1_000_000, zombie);
    assert_eq!(system.process(7).unwrap().state, ProcessState::Zombie);
    system.reaped(1_100_000, Reaped { pid: 7 });
    assert!(system.process(7).is_none());
    assert_eq!(system.exited().len(), 1, "the exit stays recorded");
    let events = system.lifecycle();
    assert_eq!((events.spawn, events.exit, events.reaped), (1, 1, 1));
}

#[test]
fn a_killed_process_has_a_signal_and_no_status_and_keeps_its_fault() {
    let mut system = System::default();
    system.spawn(0, spawn(3, 1, "crasher"));
    let fault = UserFault {
        pid: 3,
        vector: 14,
        rip: 0x40_1234,
        signal: 11,
    };
    system.user_fault(100, fault);
    system.exit(
        200,
        Exit {
            pid: 3,
            status: 0,
            signal: 11,
        },
    );
    let exited = system.exited().next().unwrap();
    assert_eq!((exited.status, exited.signal), (None, Some(11)));
    assert_eq!(exited.fault, Some(fault));
    assert_eq!(system.process(3).unwrap().user_faults, 1);
    assert_eq!(system.lifecycle().user_fault, 1);

    // A fault whose signal was caught does not explain a later SIGTERM.
    system.spawn(300, spawn(4, 1, "catcher"));
    system.user_fault(400, UserFault { pid: 4, ..fault });
    system.exit(
        500,
        Exit {
            pid: 4,
            status: 0,
            signal: 15,
        },
    );
    assert_eq!(system.exited().last().unwrap().fault, None);
}

#[test]
fn an_exit_of_an_unknown_process_is_still_recorded() {
    let mut system = System::default();
    system.exit(
        10,
        Exit {
            pid: 40,
            status: 0,
            signal: 9,
        },
    );
    let exited = system.exited().next().unwrap();
    assert_eq!((exited.name.as_str(), exited.parent), (UNKNOWN_NAME, None));
    assert_eq!((exited.status, exited.signal), (None, Some(9)));
    // Reaping what the host never saw changes nothing but the count.
    system.reaped(50, Reaped { pid: 41 });
    assert_eq!(system.lifecycle().reaped, 1);
}

#[test]
fn the_exited_list_keeps_the_newest_exits() {
    let mut system = System::default();
    let total = EXITED_CAPACITY as u32 + 5;
    for pid in 0..total {
        let exit = Exit {
            pid,
            status: 0,
            signal: 0,
        };
        system.exit(u64::from(pid), exit);
    }
    assert_eq!(system.exited().len(), EXITED_CAPACITY);
    assert_eq!(system.exited_evicted(), 5);
    assert_eq!(system.exited().next().unwrap().pid, 5);
    assert_eq!(system.exited().last().unwrap().pid, total - 1);
    assert_eq!(system.lifecycle().exit, u64::from(total));
}

#[test]
fn signals_are_counted_by_outcome_and_per_target() {
    let mut system = System::default();
    system.spawn(0, spawn(2, 1, "forker"));
    let outcomes = [
        SignalOutcome::Caught,
        SignalOutcome::Caught,
        SignalOutcome::Ignored,
        SignalOutcome::Blocked,
        SignalOutcome::Terminate,
        SignalOutcome::Stop,
        SignalOutcome::Continue,
    ];
    for (index, outcome) in outcomes.into_iter().enumerate() {
        let signal = SignalSent {
            pid: 2,
            sender: 3,
            signal: 10,
            outcome,
        };
        system.signal(100 + index as u64, signal);
    }
    system.signal_handled(200, SignalHandled { pid: 2, signal: 10 });
    system.bad_pointer(300, BadPointer { pid: 2, syscall: 4 });
    let events = system.lifecycle();
    assert_eq!(events.signal, 7);
    let by_outcome = events.signal_outcomes;
    assert_eq!(
        [
            by_outcome.ignored,
            by_outcome.blocked,
            by_outcome.caught,
            by_outcome.terminate,
            by_outcome.stop,
            by_outcome.continued
        ],
        [1, 1, 2, 1, 1, 1]
    );
    assert_eq!((events.signal_handled, events.bad_pointer), (1, 1));
    let process = system.process(2).unwrap();
    assert_eq!(
        (
            process.signals_received,
            process.handlers_run,
            process.bad_pointers
        ),
        (7, 1, 1)
    );
    assert_eq!(process.updated_us, 300);
}

#[test]
fn cpu_share_and_fault_rates_follow_guest_time() {
    let mut system = System::default();
    system.spawn(0, spawn(2, 1, "worker"));
    // 250 ms of CPU and 40 minor faults in the first half second of guest
    // time, counted from the spawn (a new process starts at zero).
    system.process_snapshot(500_000, listed(1, 2, "worker", 250_000_000, (40, 0)));
    let process = system.process(2).unwrap();
    assert_eq!(process.cpu_percent(), 50.0);
    assert_eq!(process.minor_faults_per_second(), 80.0);
    assert_eq!(process.major_faults_per_second(), 0.0);
    // Then idle for 1.5 s with 3 major faults: the 2 s window sees it all.
    system.process_snapshot(2_000_000, listed(2, 2, "worker", 250_000_000, (40, 3)));
    let process = system.process(2).unwrap();
    assert_eq!(process.cpu_percent(), 12.5);
    assert_eq!(process.minor_faults_per_second(), 20.0);
    assert_eq!(process.major_faults_per_second(), 1.5);
    // Another 2.5 s idle: the busy start leaves the window.
    system.process_snapshot(4_500_000, listed(3, 2, "worker", 250_000_000, (40, 3)));
    assert_eq!(system.process(2).unwrap().cpu_percent(), 0.0);
}

#[test]
fn a_process_first_seen_in_a_snapshot_has_rates_from_its_second_one() {
    let mut system = System::default();
    system.process_snapshot(500_000, listed(1, 1, "init", 400_000_000, (9, 0)));
    assert_eq!(system.process(1).unwrap().cpu_percent(), 0.0);
    system.process_snapshot(1_000_000, listed(2, 1, "init", 450_000_000, (9, 0)));
    assert_eq!(system.process(1).unwrap().cpu_percent(), 10.0);
}

#[test]
fn a_reused_pid_under_another_name_is_a_new_process() {
    let mut system = System::default();
    system.spawn(0, spawn(5, 1, "worker"));
    system.signal(
        10,
        SignalSent {
            pid: 5,
            sender: 1,
            signal: 15,
            outcome: SignalOutcome::Caught,
        },
    );
    system.process_snapshot(500_000, listed(1, 5, "forker", 1_000, (1, 0)));
    let process = system.process(5).unwrap();
    assert_eq!(process.name, "forker");
    assert_eq!(process.signals_received, 0);
}

#[test]
fn memory_keeps_the_latest_snapshot_and_disk_rates() {
    let mut system = System::default();
    assert!(system.memory().is_none());
    system.memory_snapshot(500_000, memory(1, 100, 10));
    system.memory_snapshot(1_000_000, memory(2, 150, 60));
    let memory = system.memory().unwrap();
    assert_eq!(memory.latest.round, 2);
    assert_eq!(memory.updated_us, 1_000_000);
    assert_eq!(memory.used_frames(), 300);
    assert_eq!(memory.disk_reads_per_second(), 100.0);
    assert_eq!(memory.disk_writes_per_second(), 100.0);
}

#[test]
fn region_perms_and_backing_read_like_the_contract() {
    let mut system = System::default();
    let snapshot = ProcessSnapshot {
        regions: 1,
        ..listed(1, 1, "init", 0, (0, 0))
    };
    system.process_snapshot(0, snapshot);
    system.region_snapshot(RegionSnapshot {
        perms: PERM_READ | PERM_EXECUTE,
        ..region(1, 1, 0x40_0000, RegionKind::Text)
    });
    let region = system.process(1).unwrap().regions[0];
    assert_eq!(region.perms_string(), "r-x");
    assert_eq!(region.backing().name(), "file");
    assert_eq!((region.end(), region.pages()), (0x40_2000, 2));
}
