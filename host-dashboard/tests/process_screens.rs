//! Snapshot tests of the process table, the region list and the memory and
//! events panels, fed by a scripted guest running a small system.
//!
//! Every state is built the way the live dashboard builds it (see
//! [`common::Session`]): frames are encoded, decoded and applied.

mod common;

use common::Session;
use protocol::PROTOCOL_VERSION;
use protocol::message::{
    Exit, LogLevel, MemorySnapshot, Message, PERM_EXECUTE, PERM_READ, PERM_WRITE, ProcessSnapshot,
    ProcessState, Reaped, RegionKind, RegionSnapshot, SignalHandled, SignalOutcome, SignalSent,
    SnapshotDone, Spawn, UserFault, VmCounters,
};
use watchtower::app::Action;

const TEXT: u64 = 0x40_0000;
const STACK: u64 = 0x7fff_fffb_f000;
const STACK_LEN: u64 = 0x4_0000;

/// One process of the scripted system, as listed in snapshot round `n`.
struct Listed {
    pid: u32,
    parent: u32,
    name: &'static str,
    state: ProcessState,
    privileged: bool,
    /// CPU time per round, in milliseconds.
    cpu_ms: u64,
    /// Heap pages the process touches per round (0: no heap).
    heap_pages: u64,
    /// Major faults per round.
    major: u64,
}

const fn listed(pid: u32, parent: u32, name: &'static str, state: ProcessState) -> Listed {
    Listed {
        pid,
        parent,
        name,
        state,
        privileged: false,
        cpu_ms: 1,
        heap_pages: 0,
        major: 0,
    }
}

/// The scripted system: init, a system service, a worker growing its heap
/// (and swapping some of it out), a forker and its child, a spinner.
fn system() -> Vec<Listed> {
    vec![
        Listed {
            cpu_ms: 2,
            ..listed(1, 0, "init", ProcessState::WaitingForChild)
        },
        Listed {
            privileged: true,
            ..listed(2, 0, "ipc", ProcessState::Sleeping)
        },
        Listed {
            cpu_ms: 3,
            heap_pages: 16,
            major: 1,
            ..listed(3, 1, "worker", ProcessState::Sleeping)
        },
        listed(4, 1, "forker", ProcessState::WaitingForChild),
        listed(5, 4, "forker", ProcessState::Sleeping),
        Listed {
            cpu_ms: 350,
            ..listed(6, 1, "spinner", ProcessState::Running)
        },
    ]
}

/// Sends `process`'s snapshot for round `n` at `time_us`, then its regions.
fn send_process(session: &mut Session, time_us: u64, n: u32, process: &Listed) {
    let rounds = u64::from(n);
    let heap = process.heap_pages * rounds;
    let swapped = heap / 4;
    let image_pages = 6;
    let vm = VmCounters {
        vm_total_pages: image_pages + heap,
        vm_total_max_pages: image_pages + heap,
        minor_faults: image_pages + heap,
        major_faults: 2 + process.major * rounds,
    };
    let region = |start, len, kind, perms, resident_pages, swapped_pages| RegionSnapshot {
        round: n,
        pid: process.pid,
        start,
        len,
        kind,
        perms,
        resident_pages,
        swapped_pages,
    };
    let mut regions = vec![
        region(
            TEXT,
            0x4000,
            RegionKind::Text,
            PERM_READ | PERM_EXECUTE,
            4,
            0,
        ),
        region(TEXT + 0x4000, 0x1000, RegionKind::Data, PERM_READ, 0, 0),
        region(
            TEXT + 0x5000,
            0x1000,
            RegionKind::Data,
            PERM_READ | PERM_WRITE,
            1,
            0,
        ),
    ];
    if heap > 0 {
        let len = heap * 0x1000;
        let rw = PERM_READ | PERM_WRITE;
        regions.push(region(
            TEXT + 0x6000,
            len,
            RegionKind::Heap,
            rw,
            heap - swapped,
            swapped,
        ));
    }
    regions.push(region(
        STACK,
        STACK_LEN,
        RegionKind::Stack,
        PERM_READ | PERM_WRITE,
        1,
        0,
    ));
    session.send(
        time_us,
        Message::Process(ProcessSnapshot {
            round: n,
            pid: process.pid,
            parent: process.parent,
            name: process.name,
            state: process.state,
            privileged: process.privileged,
            cpu_ns: process.cpu_ms * rounds * 1_000_000,
            vm,
            regions: regions.len() as u32,
        }),
    );
    for region in regions {
        session.send(time_us, Message::Region(region));
    }
}

/// Sends snapshot round `n` at `time_us`: `processes`, memory, the end.
fn send_round(session: &mut Session, time_us: u64, n: u32, processes: &[Listed]) {
    for process in processes {
        send_process(session, time_us, n, process);
    }
    let rounds = u64::from(n);
    session.send(
        time_us,
        Message::Memory(MemorySnapshot {
            round: n,
            free_frames: 30_106 - 40 * rounds,
            total_frames: 30_302,
            cached_pages: 13,
            swap_used: 4 * rounds,
            swap_total: 4_096,
            disk_reads: 100 + 8 * rounds,
            disk_writes: 4 * rounds,
        }),
    );
    session.send(
        time_us,
        Message::SnapshotDone(SnapshotDone {
            round: n,
            processes: processes.len() as u32,
        }),
    );
}

fn spawn(session: &mut Session, time_us: u64, pid: u32, parent: u32, name: &str) {
    session.send(time_us, Message::Spawn(Spawn { pid, parent, name }));
}

/// Boots the scripted system and runs it for 3 s of guest time: heartbeats
/// every 100 ms, a snapshot round every 500 ms, a few events between.
fn running_system() -> Session {
    let mut session = Session::start();
    session.hello(PROTOCOL_VERSION);
    session.log(2_000, LogLevel::Info, 0, "kernel: booting image demo");
    let processes = system();
    for (index, process) in processes.iter().enumerate() {
        let time_us = 10_000 + 1_000 * index as u64;
        spawn(
            &mut session,
            time_us,
            process.pid,
            process.parent,
            process.name,
        );
    }
    session.log(40_000, LogLevel::Info, 1, "init: starting the demo system");
    for ms in (100..=3_000).step_by(100) {
        session.heartbeats(ms, ms);
        if ms % 500 == 0 {
            send_round(&mut session, ms * 1_000 + 50, (ms / 500) as u32, &processes);
        }
        if ms == 1_200 {
            // The forker's child signals it; the forker catches it.
            let signal = SignalSent {
                pid: 4,
                sender: 5,
                signal: 10,
                outcome: SignalOutcome::Caught,
            };
            session.send(1_200_100, Message::Signal(signal));
            let handled = SignalHandled { pid: 4, signal: 10 };
            session.send(1_200_200, Message::SignalHandled(handled));
        }
        if ms == 1_700 {
            // A crasher comes and goes: a page fault kills it.
            spawn(&mut session, 1_700_100, 7, 1, "crasher");
            let fault = UserFault {
                pid: 7,
                vector: 14,
                rip: 0x40_1a2c,
                signal: 11,
            };
            session.send(1_700_200, Message::UserFault(fault));
            let exit = Exit {
                pid: 7,
                status: 0,
                signal: 11,
            };
            session.send(1_700_300, Message::Exit(exit));
            session.send(1_700_400, Message::Reaped(Reaped { pid: 7 }));
            session.log(
                1_700_500,
                LogLevel::Info,
                1,
                "init: pid 7 killed by signal 11",
            );
        }
    }
    session.tick(3_050);
    session
}

#[test]
fn processes_with_the_selected_workers_regions() {
    let mut session = running_system();
    session.app.perform(Action::Down(2));
    let worker = session
        .app
        .processes()
        .selected(session.app.state())
        .unwrap();
    assert_eq!(worker.regions_complete(), Some(true));
    insta::assert_snapshot!(session.screen());
}

#[test]
fn a_narrow_terminal_leaves_out_columns_instead_of_cutting_them() {
    let mut session = running_system();
    session.app.perform(Action::Down(2));
    let screen = session.screen_sized(100, 30);
    // Addresses are never cut short: a cut address reads as another one.
    assert!(screen.contains("0x7ffffffbf000"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn an_exiting_process_and_the_log_focused() {
    let mut session = running_system();
    // The spinner is told to stop and exits; it is exiting until torn down.
    let signal = SignalSent {
        pid: 6,
        sender: 1,
        signal: 15,
        outcome: SignalOutcome::Terminate,
    };
    session.send(3_010_000, Message::Signal(signal));
    let exit = Exit {
        pid: 6,
        status: 0,
        signal: 15,
    };
    session.send(3_010_100, Message::Exit(exit));
    session.log(
        3_020_000,
        LogLevel::Info,
        1,
        "init: pid 6 killed by signal 15",
    );
    session.app.perform(Action::Last);
    session.app.perform(Action::FocusNext);
    session.tick(3_100);
    insta::assert_snapshot!(session.screen());
}

#[test]
fn the_process_table_scrolls_to_the_selection() {
    let mut session = Session::start();
    session.hello(PROTOCOL_VERSION);
    let many: Vec<Listed> = (1..=40)
        .map(|pid| listed(pid, 1, "worker", ProcessState::Ready))
        .collect();
    session.heartbeats(100, 500);
    send_round(&mut session, 500_050, 1, &many);
    session.tick(550);
    // Jumping to the last row scrolls the view to it; moving up within the
    // view then leaves it where it is.
    session.app.perform(Action::Last);
    let rows_shown = |screen: &str| -> Vec<u32> {
        screen
            .lines()
            .filter(|line| line.contains(" worker "))
            .map(|line| {
                let mut numbers = line.split(|c: char| !c.is_ascii_digit());
                numbers
                    .find(|number| !number.is_empty())
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect()
    };
    let at_the_end = rows_shown(&session.screen());
    assert_eq!(at_the_end.last(), Some(&40));
    session.app.perform(Action::Up(3));
    let screen = session.screen();
    assert_eq!(rows_shown(&screen), at_the_end);
    let selected: Vec<&str> = screen.lines().filter(|line| line.contains('▶')).collect();
    assert_eq!(selected.len(), 1, "{screen}");
    assert!(selected[0].contains("▶   37     1 worker"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn a_round_with_a_corrupted_frame_drops_no_process() {
    let mut session = running_system();
    let rows = |session: &Session| session.app.processes().rows(session.app.state()).len();
    assert_eq!(rows(&session), 6);
    // Round 7 lists only init and the spinner: the others' exits were lost.
    // But one of its frames arrives corrupted, so nothing may be dropped.
    let processes = system();
    let kept = [&processes[0], &processes[5]];
    send_process(&mut session, 3_500_000, 7, kept[0]);
    session.receive(3_502_000, &[0x05, 0x11, 0x22, 0x33, 0x44, 0x00]);
    send_process(&mut session, 3_500_000, 7, kept[1]);
    session.send(
        3_500_000,
        Message::SnapshotDone(SnapshotDone {
            round: 7,
            processes: 3,
        }),
    );
    assert_eq!(rows(&session), 6);
    // The next round arrives whole: the missing processes are gone.
    let kept: Vec<Listed> = processes
        .into_iter()
        .filter(|process| process.pid == 1 || process.pid == 6)
        .collect();
    send_round(&mut session, 4_000_000, 8, &kept);
    let pids: Vec<u32> = session
        .app
        .processes()
        .rows(session.app.state())
        .iter()
        .map(|p| p.pid)
        .collect();
    assert_eq!(pids, [1, 6]);
}

#[test]
fn a_region_list_with_frames_lost_says_so() {
    let mut session = running_system();
    session.app.perform(Action::Down(2));
    // Round 7 announces two regions of the worker; only one arrives.
    let worker = ProcessSnapshot {
        round: 7,
        pid: 3,
        parent: 1,
        name: "worker",
        state: ProcessState::Sleeping,
        privileged: false,
        cpu_ns: 0,
        vm: VmCounters::default(),
        regions: 2,
    };
    session.send(3_500_000, Message::Process(worker));
    let stack = RegionSnapshot {
        round: 7,
        pid: 3,
        start: STACK,
        len: STACK_LEN,
        kind: RegionKind::Stack,
        perms: PERM_READ | PERM_WRITE,
        resident_pages: 1,
        swapped_pages: 0,
    };
    session.send(3_500_000, Message::Region(stack));
    assert_eq!(
        session
            .app
            .processes()
            .selected(session.app.state())
            .unwrap()
            .regions_complete(),
        Some(false)
    );
    let screen = session.screen();
    assert!(
        screen.contains("frames lost: 1 of 2 regions arrived"),
        "{screen}"
    );
}
