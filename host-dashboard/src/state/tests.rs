//! Unit tests of the state model, fed with inputs as the session would.

use super::*;
use protocol::message::{
    EXIT_KERNEL_PANIC, GuestFrame, Header, Heartbeat, Hello, KernelFault, Log, LogLevel, Panic,
    PowerOff,
};

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn frame(seq: u32, time_us: u64, message: Message<String>) -> Input {
    Input::Frame(GuestFrame {
        header: Header {
            seq,
            time_us,
            dropped_before: 0,
        },
        message,
    })
}

fn hello(version: u16) -> Message<String> {
    Message::Hello(Hello {
        protocol_version: version,
        boot_id: 0xb007,
        tsc_hz: 2_000_000_000,
        image: "demo".into(),
        platform: Default::default(),
    })
}

fn heartbeat(uptime_ns: u64) -> Message<String> {
    Message::Heartbeat(Heartbeat {
        uptime_ns,
        dropped_total: 3,
        idle_ns: uptime_ns / 2,
    })
}

fn log(level: LogLevel, pid: u32, text: &str) -> Message<String> {
    Message::Log(Log {
        level,
        pid,
        text: text.into(),
    })
}

fn panic_message() -> Message<String> {
    Message::Panic(Panic {
        message: "boom".into(),
        file: "os/src/main.rs".into(),
        line: 42,
        column: 9,
    })
}

fn exited(status: i32) -> Input {
    Input::QemuExited(QemuExit {
        status: Some(status),
        ..QemuExit::default()
    })
}

/// A state whose guest said Hello at host time 10 ms.
fn booted() -> State {
    let mut state = State::new("demo");
    state.apply(ms(0), Input::QemuStarted { pid: 7 });
    state.apply(ms(10), frame(0, 1_000, hello(PROTOCOL_VERSION)));
    state
}

#[test]
fn a_new_state_knows_nothing_and_has_not_failed() {
    let state = State::new("demo");
    assert_eq!(state.image(), "demo");
    assert_eq!(state.guest().identity, None);
    assert_eq!(state.qemu(), &QemuState::NotStarted);
    assert!(state.log().is_empty());
    assert_eq!(state.exit_code(), None);
    assert_eq!(state.failure(), None);
    assert_eq!(state.link_condition(), LinkCondition::Waiting);
}

#[test]
fn hello_records_the_guest_identity() {
    let state = booted();
    let identity = state.guest().identity.as_ref().unwrap();
    assert_eq!(identity.protocol_version, PROTOCOL_VERSION);
    assert_eq!(identity.boot_id, 0xb007);
    assert_eq!(identity.tsc_hz, 2_000_000_000);
    assert_eq!(identity.image, "demo");
    assert_eq!(state.guest().boots, 1);
    assert_eq!(state.guest().uptime_ns, 1_000_000);
    assert_eq!(
        state.qemu(),
        &QemuState::Running {
            pid: 7,
            since: ms(0)
        }
    );
}

#[test]
fn uptime_follows_heartbeats_and_frame_times_and_never_goes_back() {
    let mut state = booted();
    state.apply(ms(20), frame(1, 100_000, heartbeat(100_500_000)));
    assert_eq!(state.guest().uptime_ns, 100_500_000);
    assert_eq!(state.guest().idle_ns, 50_250_000);
    assert_eq!(state.guest().dropped_total, 3);
    assert_eq!(state.guest().heartbeats, 1);
    // A log frame stamped later than the heartbeat moves the uptime on.
    state.apply(ms(30), frame(2, 150_000, log(LogLevel::Info, 0, "hi")));
    assert_eq!(state.guest().uptime_ns, 150_000_000);
    // An older heartbeat value does not move it back.
    state.apply(ms(40), frame(3, 120_000, heartbeat(120_000_000)));
    assert_eq!(state.guest().uptime_ns, 150_000_000);
}

#[test]
fn log_lines_keep_level_pid_and_guest_time_in_a_bounded_ring() {
    let mut state = State::new("demo").with_log_capacity(2);
    state.apply(ms(1), frame(0, 1, hello(PROTOCOL_VERSION)));
    state.apply(ms(2), frame(1, 10, log(LogLevel::Warn, 3, "first")));
    state.apply(ms(3), frame(2, 20, log(LogLevel::Error, 4, "second")));
    state.apply(ms(4), frame(3, 30, log(LogLevel::Debug, 0, "third")));
    let lines: Vec<_> = state.log().lines().cloned().collect();
    assert_eq!(
        lines,
        [
            LogLine {
                time_us: 20,
                level: LogLevel::Error,
                pid: 4,
                text: "second".into()
            },
            LogLine {
                time_us: 30,
                level: LogLevel::Debug,
                pid: 0,
                text: "third".into()
            },
        ]
    );
    assert_eq!(state.log().evicted(), 1);
}

#[test]
fn a_panic_is_a_failure_with_message_and_location() {
    let mut state = booted();
    state.apply(ms(50), frame(1, 5_000, panic_message()));
    state.apply(
        ms(51),
        frame(
            2,
            5_001,
            Message::PowerOff(PowerOff {
                exit_code: EXIT_KERNEL_PANIC,
            }),
        ),
    );
    let panic = state.guest().panic.clone().unwrap();
    assert_eq!(
        (panic.message.as_str(), panic.location().as_str()),
        ("boom", "os/src/main.rs:42:9")
    );
    assert_eq!(state.exit_code(), Some(EXIT_KERNEL_PANIC));
    assert_eq!(state.failure(), Some(Failure::KernelPanic(panic)));
    assert_eq!(
        state.failure().unwrap().to_string(),
        "kernel panic at os/src/main.rs:42:9: boom"
    );
}

#[test]
fn a_kernel_fault_is_a_failure() {
    let mut state = booted();
    let fault = KernelFault {
        vector: 14,
        error_code: 2,
        rip: 0xffff_8000_0000_1234,
        fault_address: 8,
    };
    state.apply(ms(50), frame(1, 5_000, Message::KernelFault(fault)));
    assert_eq!(state.guest().fault, Some(fault));
    assert_eq!(state.failure(), Some(Failure::KernelFault(fault)));
}

#[test]
fn power_off_with_zero_is_success_and_nonzero_is_failure() {
    let mut clean = booted();
    clean.apply(
        ms(50),
        frame(1, 5_000, Message::PowerOff(PowerOff { exit_code: 0 })),
    );
    clean.apply(ms(60), Input::LinkClosed);
    clean.apply(ms(60), exited(33));
    assert_eq!(clean.exit_code(), Some(0));
    assert_eq!(clean.failure(), None);

    let mut failed = booted();
    failed.apply(
        ms(50),
        frame(1, 5_000, Message::PowerOff(PowerOff { exit_code: 1 })),
    );
    assert_eq!(failed.exit_code(), Some(1));
    assert_eq!(failed.failure(), Some(Failure::GuestExit { code: 1 }));
}

#[test]
fn the_power_off_code_wins_over_the_qemu_status() {
    let mut state = booted();
    state.apply(
        ms(50),
        frame(1, 5_000, Message::PowerOff(PowerOff { exit_code: 0 })),
    );
    state.apply(ms(60), exited(1));
    assert_eq!(state.exit_code(), Some(0));
}

#[test]
fn without_power_off_the_exit_code_comes_from_the_qemu_status() {
    let mut state = booted();
    state.apply(ms(60), exited(((0x10 + 2) << 1) | 1));
    assert_eq!(state.exit_code(), Some(2));
    assert_eq!(state.failure(), Some(Failure::GuestExit { code: 2 }));
}

#[test]
fn qemu_dying_without_an_exit_code_is_a_failure() {
    let mut state = booted();
    let exit = QemuExit {
        status: None,
        signal: Some(9),
        stderr_tail: vec![],
    };
    state.apply(ms(60), Input::QemuExited(exit.clone()));
    assert_eq!(state.exit_code(), None);
    assert_eq!(state.failure(), Some(Failure::QemuDied(exit)));
    assert_eq!(state.link_condition(), LinkCondition::Live);
}

#[test]
fn a_clean_exit_without_any_frame_is_a_link_failure() {
    let mut state = State::new("demo");
    state.apply(ms(0), Input::QemuStarted { pid: 7 });
    state.apply(ms(500), Input::LinkClosed);
    state.apply(ms(500), exited(33));
    assert_eq!(
        state.failure(),
        Some(Failure::NoTelemetry {
            waited: ms(500),
            bytes: 0,
            bad_frames: 0
        })
    );
}

#[test]
fn garbage_without_a_single_frame_is_a_link_failure_that_counts_it() {
    let mut state = State::new("demo");
    state.apply(ms(0), Input::QemuStarted { pid: 7 });
    let stats = LinkStats {
        bytes: 120,
        malformed: 3,
        crc_errors: 1,
        ..LinkStats::default()
    };
    state.apply(ms(900), Input::LinkStats(stats));
    assert_eq!(state.failure(), None, "still running: not a verdict yet");
    state.apply(ms(1_000), Input::LinkClosed);
    assert_eq!(
        state.failure(),
        Some(Failure::NoTelemetry {
            waited: ms(1_000),
            bytes: 120,
            bad_frames: 4
        })
    );
}

#[test]
fn an_unknown_protocol_version_is_refused_and_later_frames_are_ignored() {
    let mut state = State::new("demo");
    state.apply(ms(0), Input::QemuStarted { pid: 7 });
    state.apply(ms(10), frame(0, 1_000, hello(PROTOCOL_VERSION + 1)));
    state.apply(ms(20), frame(1, 2_000, heartbeat(2_000_000)));
    state.apply(ms(30), frame(2, 3_000, log(LogLevel::Info, 0, "ignored")));
    state.apply(ms(40), frame(3, 4_000, panic_message()));
    state.apply(ms(50), frame(4, 5_000, hello(PROTOCOL_VERSION)));
    assert_eq!(state.refused_version(), Some(PROTOCOL_VERSION + 1));
    assert_eq!(state.guest(), &Guest::default());
    assert!(state.log().is_empty());
    let failure = state.failure().unwrap();
    assert_eq!(
        failure,
        Failure::ProtocolRefused {
            guest: PROTOCOL_VERSION + 1,
            ours: PROTOCOL_VERSION
        }
    );
    assert_eq!(
        failure.to_string(),
        format!(
            "guest speaks protocol v{}, this dashboard speaks v{PROTOCOL_VERSION}",
            PROTOCOL_VERSION + 1
        )
    );
    // The frames still count as link traffic: the link is alive.
    assert_eq!(state.link().last_frame_at, Some(ms(50)));
}

#[test]
fn a_second_hello_starts_a_new_boot() {
    let mut state = booted();
    state.apply(ms(20), frame(1, 900_000, heartbeat(900_000_000)));
    state.apply(ms(30), frame(2, 900_100, panic_message()));
    state.apply(ms(40), frame(0, 2_000, hello(PROTOCOL_VERSION)));
    assert_eq!(state.guest().boots, 2);
    assert_eq!(state.guest().panic, None);
    assert_eq!(state.guest().uptime_ns, 2_000_000);
    assert_eq!(state.failure(), None);
}

#[test]
fn the_link_goes_stale_without_frames_while_qemu_runs() {
    let mut state = booted();
    state.apply(ms(1_000), frame(1, 1_000_000, heartbeat(1_000_000_000)));
    state.apply(ms(2_900), Input::Tick);
    assert_eq!(state.link_condition(), LinkCondition::Live);
    state.apply(ms(3_500), Input::Tick);
    assert_eq!(
        state.link_condition(),
        LinkCondition::Stale {
            silent_for: ms(2_500)
        }
    );
    state.apply(ms(3_600), frame(2, 3_600_000, heartbeat(3_600_000_000)));
    assert_eq!(state.link_condition(), LinkCondition::Live);
    state.apply(ms(9_000), Input::LinkClosed);
    assert_eq!(state.link_condition(), LinkCondition::Closed);
}

#[test]
fn a_qemu_that_never_sends_anything_goes_stale() {
    let mut state = State::new("demo");
    state.apply(ms(100), Input::QemuStarted { pid: 1 });
    state.apply(ms(2_000), Input::Tick);
    assert_eq!(state.link_condition(), LinkCondition::Waiting);
    state.apply(ms(2_200), Input::Tick);
    assert_eq!(
        state.link_condition(),
        LinkCondition::Stale {
            silent_for: ms(2_100)
        }
    );
}

#[test]
fn link_stats_feed_counters_and_rates() {
    let mut state = booted();
    let stats = |frames, bytes| LinkStats {
        frames,
        bytes,
        crc_errors: 2,
        ..LinkStats::default()
    };
    state.apply(ms(1_000), Input::LinkStats(stats(1, 30)));
    state.apply(ms(2_000), Input::LinkStats(stats(11, 330)));
    assert_eq!(state.link().stats, stats(11, 330));
    assert_eq!(state.link().frames_per_second(), 10.0);
    assert_eq!(state.link().bytes_per_second(), 300.0);
    state.apply(ms(3_000), Input::Tick);
    assert_eq!(state.link().frames_per_second(), 5.0);
}

#[test]
fn the_clock_never_goes_backwards() {
    let mut state = booted();
    state.apply(ms(5_000), Input::Tick);
    state.apply(ms(4_000), frame(1, 1, heartbeat(1)));
    assert_eq!(state.now(), ms(5_000));
    assert_eq!(state.link().last_frame_at, Some(ms(5_000)));
}

#[test]
fn process_frames_reach_the_system_model_and_a_new_boot_clears_it() {
    use protocol::message::{
        Exit, ProcessSnapshot, ProcessState, Reaped, SignalOutcome, SignalSent, SnapshotDone,
        Spawn, VmCounters,
    };
    let mut state = booted();
    let spawn = |pid, name: &str| {
        Message::Spawn(Spawn {
            pid,
            parent: 1,
            name: name.to_string(),
        })
    };
    state.apply(ms(20), frame(1, 2_000, spawn(2, "worker")));
    state.apply(ms(21), frame(2, 2_100, spawn(3, "spinner")));
    let signal = SignalSent {
        pid: 3,
        sender: 1,
        signal: 15,
        outcome: SignalOutcome::Terminate,
    };
    state.apply(ms(22), frame(3, 2_200, Message::Signal(signal)));
    let exit = Exit {
        pid: 3,
        status: 0,
        signal: 15,
    };
    state.apply(ms(23), frame(4, 2_300, Message::Exit(exit)));
    let listed = ProcessSnapshot {
        round: 1,
        pid: 2,
        parent: 1,
        name: "worker".to_string(),
        state: ProcessState::Sleeping,
        privileged: false,
        cpu_ns: 5,
        vm: VmCounters::default(),
        regions: 0,
    };
    state.apply(ms(24), frame(5, 2_400, Message::Process(listed)));
    let done = SnapshotDone {
        round: 1,
        processes: 1,
    };
    state.apply(ms(25), frame(6, 2_500, Message::SnapshotDone(done)));
    state.apply(ms(26), frame(7, 2_600, Message::Reaped(Reaped { pid: 3 })));

    let system = state.system();
    let live: Vec<_> = system
        .live()
        .map(|process| (process.pid, process.state))
        .collect();
    assert_eq!(live, [(2, ProcessState::Sleeping)]);
    let exits: Vec<_> = system
        .exited()
        .map(|exited| (exited.pid, exited.name.as_str(), exited.signal))
        .collect();
    assert_eq!(exits, [(3, "spinner", Some(15))]);
    let events = system.lifecycle();
    assert_eq!(
        (events.spawn, events.signal, events.exit, events.reaped),
        (2, 1, 1, 1)
    );
    assert_eq!(state.guest().uptime_ns, 2_600_000);

    // A reboot starts from an empty system.
    state.apply(ms(30), frame(0, 1_000, hello(PROTOCOL_VERSION)));
    assert_eq!(state.system().live().len(), 0);
    assert_eq!(state.system().lifecycle().spawn, 0);
    assert_eq!(state.guest().boots, 2);
}
