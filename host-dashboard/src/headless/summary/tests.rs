//! Tests of the headless summary: contract shape and verdicts.

use super::*;
use crate::state::{EventKind, Input, LatencySummary, QemuExit};
use protocol::message::{
    EXIT_KERNEL_PANIC, Exit, GuestFrame, Header, Heartbeat, Hello, KernelFault, Log, LogLevel,
    MemorySnapshot, Message, PERM_EXECUTE, PERM_READ, PERM_WRITE, Panic, PowerOff, ProcessSnapshot,
    ProcessState, RegionKind, RegionSnapshot, SignalOutcome, SignalSent, SnapshotDone, Spawn,
    UserFault, VmCounters,
};
use serde_json::{Value, json};
use std::time::Duration;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn frame(seq: u32, message: Message<String>) -> Input {
    let header = Header {
        seq,
        time_us: 1_000 * u64::from(seq),
        dropped_before: 0,
    };
    Input::Frame(GuestFrame { header, message })
}

fn hello(version: u16) -> Message<String> {
    Message::Hello(Hello {
        protocol_version: version,
        boot_id: 77,
        tsc_hz: 3_000_000,
        image: "demo".into(),
    })
}

fn running_state() -> State {
    let mut state = State::new("demo");
    state.apply(ms(0), Input::QemuStarted { pid: 99 });
    state.apply(ms(5), frame(0, hello(PROTOCOL_VERSION)));
    state.apply(
        ms(6),
        frame(
            1,
            Message::Log(Log {
                level: LogLevel::Info,
                pid: 0,
                text: "up".into(),
            }),
        ),
    );
    state.apply(
        ms(7),
        frame(
            2,
            Message::Heartbeat(Heartbeat {
                uptime_ns: 2_500_000,
                dropped_total: 1,
                idle_ns: 1_000_000,
            }),
        ),
    );
    state.apply(
        ms(8),
        Input::LinkStats(LinkStats {
            frames: 3,
            bytes: 60,
            resyncs: 1,
            guest_dropped: 1,
            ..LinkStats::default()
        }),
    );
    state
}

fn to_json(state: &State) -> Value {
    serde_json::to_value(summarize(state)).unwrap()
}

#[test]
fn a_running_guest_meets_the_contract() {
    let json = to_json(&running_state());
    assert_eq!(
        json,
        json!({
            "image": "demo",
            "protocol_version": PROTOCOL_VERSION,
            "failure": null,
            "guest": {
                "uptime_ns": 2_500_000,
                "exit_code": null,
                "panic": null,
                "fault": null,
                "protocol_version": PROTOCOL_VERSION,
                "boot_id": 77,
                "tsc_hz": 3_000_000,
                "image": "demo",
                "boots": 1,
                "heartbeats": 1,
                "idle_ns": 1_000_000,
                "dropped_total": 1,
                "unshown_frames": 0,
                "log_tail": [{"time_us": 1_000, "level": "info", "pid": 0, "text": "up"}],
            },
            "link": {
                "frames": 3, "bytes": 60, "crc_errors": 0, "malformed": 0, "oversize": 0,
                "resyncs": 1, "seq_gaps": 0, "guest_dropped": 1, "boots": 0,
            },
            "qemu": {"running": true, "status": null, "signal": null, "stderr_tail": []},
            "processes": [],
            "exited": [],
            "subscribers": [],
            "events": {
                "spawn": 0, "signal": 0, "exit": 0, "reaped": 0,
                "signal_outcomes": {"ignored": 0, "blocked": 0, "caught": 0, "terminate": 0,
                                    "stop": 0, "continue": 0},
                "signal_handled": 0, "user_fault": 0, "bad_pointer": 0,
            },
            "memory": null,
            "snapshots": {"complete": 0, "incomplete": 0, "last_complete": null, "pruned": 0,
                          "stray_regions": 0, "exited_evicted": 0},
        })
    );
}

#[test]
fn a_panic_is_reported_with_its_location_and_exit_code() {
    let mut state = running_state();
    let panic = Panic {
        message: "boom".into(),
        file: "os/src/main.rs".into(),
        line: 3,
        column: 4,
    };
    state.apply(ms(10), frame(3, Message::Panic(panic)));
    state.apply(
        ms(11),
        frame(
            4,
            Message::PowerOff(PowerOff {
                exit_code: EXIT_KERNEL_PANIC,
            }),
        ),
    );
    state.apply(ms(12), Input::LinkClosed);
    state.apply(
        ms(12),
        Input::QemuExited(QemuExit {
            status: Some(129),
            ..QemuExit::default()
        }),
    );
    let json = to_json(&state);
    assert_eq!(json["failure"], "kernel panic at os/src/main.rs:3:4: boom");
    assert_eq!(json["guest"]["exit_code"], 0x30);
    assert_eq!(
        json["guest"]["panic"],
        json!({"message": "boom", "location": "os/src/main.rs:3:4", "file": "os/src/main.rs", "line": 3, "column": 4})
    );
    assert_eq!(
        json["qemu"],
        json!({"running": false, "status": 129, "signal": null, "stderr_tail": []})
    );
}

#[test]
fn a_fault_is_reported_with_its_registers() {
    let mut state = running_state();
    let fault = KernelFault {
        vector: 13,
        error_code: 0,
        rip: 0x10,
        fault_address: 0,
    };
    state.apply(ms(10), frame(3, Message::KernelFault(fault)));
    let json = to_json(&state);
    assert_eq!(
        json["guest"]["fault"]["name"],
        "#GP general protection fault"
    );
    assert_eq!(json["guest"]["fault"]["rip"], 16);
    assert_eq!(
        json["failure"],
        "kernel fault: #GP general protection fault (vector 13), error code 0x0, rip 0x10"
    );
}

#[test]
fn a_refused_protocol_reports_the_guest_version() {
    let mut state = State::new("demo");
    state.apply(ms(5), frame(0, hello(PROTOCOL_VERSION + 4)));
    let json = to_json(&state);
    assert_eq!(json["protocol_version"], PROTOCOL_VERSION + 4);
    assert_eq!(json["guest"]["protocol_version"], PROTOCOL_VERSION + 4);
    assert_eq!(json["guest"]["boot_id"], Value::Null);
    assert!(
        json["failure"]
            .as_str()
            .unwrap()
            .starts_with("guest speaks protocol v")
    );
}

#[test]
fn no_frame_by_the_end_is_a_link_failure() {
    let mut state = State::new("demo");
    state.apply(ms(0), Input::QemuStarted { pid: 1 });
    state.apply(ms(5_000), Input::Tick);
    let silent = crate::state::Failure::NoTelemetry {
        waited: ms(5_000),
        bytes: 0,
        bad_frames: 0,
    };
    assert_eq!(verdict(&state), Some(silent));
    let json = to_json(&state);
    assert_eq!(json["protocol_version"], PROTOCOL_VERSION);
    assert_eq!(
        json["failure"],
        "no telemetry frame arrived in 5.0 s (link failure)"
    );
    assert_eq!(verdict(&running_state()), None);
}

#[test]
fn the_exit_code_falls_back_to_the_qemu_status() {
    let mut state = running_state();
    state.apply(ms(20), Input::LinkClosed);
    state.apply(
        ms(20),
        Input::QemuExited(QemuExit {
            status: Some(33),
            ..QemuExit::default()
        }),
    );
    let json = to_json(&state);
    assert_eq!(json["guest"]["exit_code"], 0);
    assert_eq!(json["failure"], Value::Null);
}

#[test]
fn the_log_tail_keeps_the_newest_lines() {
    let mut state = running_state();
    for seq in 0..50 {
        let text = format!("line {seq}");
        state.apply(
            ms(20),
            frame(
                3 + seq,
                Message::Log(Log {
                    level: LogLevel::Warn,
                    pid: 2,
                    text,
                }),
            ),
        );
    }
    let json = to_json(&state);
    let tail = json["guest"]["log_tail"].as_array().unwrap();
    assert_eq!(tail.len(), LOG_TAIL_LINES);
    assert_eq!(tail.last().unwrap()["text"], "line 49");
    assert_eq!(tail[0]["text"], "line 30");
    assert_eq!(tail[0]["level"], "warn");
}

/// The running state plus one snapshot round: init and a worker with two
/// regions, a crasher killed by SIGSEGV, and a spinner that exited.
fn state_with_processes() -> State {
    let mut state = running_state();
    let mut seq = 3;
    let mut send = |state: &mut State, message: Message<String>| {
        state.apply(ms(10), frame(seq, message));
        seq += 1;
    };
    for (pid, name) in [(2, "worker"), (3, "crasher"), (4, "spinner")] {
        let name = name.into();
        send(
            &mut state,
            Message::Spawn(Spawn {
                pid,
                parent: 1,
                name,
            }),
        );
    }
    let fault = UserFault {
        pid: 3,
        vector: 14,
        rip: 0x40_1000,
        signal: 11,
    };
    send(&mut state, Message::UserFault(fault));
    let kill = SignalSent {
        pid: 3,
        sender: 0,
        signal: 11,
        outcome: SignalOutcome::Terminate,
    };
    send(&mut state, Message::Signal(kill));
    send(
        &mut state,
        Message::Exit(Exit {
            pid: 3,
            status: 0,
            signal: 11,
        }),
    );
    send(
        &mut state,
        Message::Exit(Exit {
            pid: 4,
            status: 2,
            signal: 0,
        }),
    );
    let listed = |pid, name: &str, state, vm| ProcessSnapshot {
        round: 1,
        pid,
        parent: if pid == 1 { 0 } else { 1 },
        name: name.to_string(),
        state,
        privileged: pid == 1,
        cpu_ns: 1_000_000,
        vm,
        regions: 0,
    };
    send(
        &mut state,
        Message::Process(listed(
            1,
            "init",
            ProcessState::WaitingForChild,
            VmCounters::default(),
        )),
    );
    let vm = VmCounters {
        vm_total_pages: 4,
        vm_total_max_pages: 5,
        minor_faults: 6,
        major_faults: 7,
    };
    send(
        &mut state,
        Message::Process(listed(2, "worker", ProcessState::Running, vm)),
    );
    let region = |start, kind, perms, resident_pages, swapped_pages| RegionSnapshot {
        round: 1,
        pid: 2,
        start,
        len: 8192,
        kind,
        perms,
        resident_pages,
        swapped_pages,
    };
    send(
        &mut state,
        Message::Region(region(
            0x40_0000,
            RegionKind::Text,
            PERM_READ | PERM_EXECUTE,
            2,
            0,
        )),
    );
    send(
        &mut state,
        Message::Region(region(
            0x60_0000,
            RegionKind::Heap,
            PERM_READ | PERM_WRITE,
            1,
            1,
        )),
    );
    send(
        &mut state,
        Message::Process(listed(
            4,
            "spinner",
            ProcessState::Zombie,
            VmCounters::default(),
        )),
    );
    let memory = MemorySnapshot {
        round: 1,
        free_frames: 100,
        total_frames: 400,
        cached_pages: 9,
        swap_used: 2,
        swap_total: 64,
        disk_reads: 11,
        disk_writes: 12,
    };
    send(&mut state, Message::Memory(memory));
    // Three processes listed: the crasher is already gone (its reap was
    // lost), so the complete round drops it.
    send(
        &mut state,
        Message::SnapshotDone(SnapshotDone {
            round: 1,
            processes: 3,
        }),
    );
    state
}

#[test]
fn processes_regions_and_exits_meet_the_contract() {
    let json = to_json(&state_with_processes());
    let pids: Vec<_> = json["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pid"].clone())
        .collect();
    assert_eq!(pids, [1, 2, 4]);
    assert_eq!(json["processes"][0]["state"], "waiting");
    assert_eq!(json["processes"][0]["privileged"], true);
    assert_eq!(json["processes"][2]["state"], "zombie");
    assert_eq!(
        json["processes"][1],
        json!({
            "pid": 2, "parent": 1, "name": "worker", "state": "running", "privileged": false,
            "cpu_ns": 1_000_000, "cpu_percent": 12.5,
            "vm_total_pages": 4, "vm_total_max_pages": 5, "minor_faults": 6, "major_faults": 7,
            "minor_faults_per_second": 750.0, "major_faults_per_second": 875.0,
            "resident_pages": 3, "swapped_pages": 1,
            "signals_received": 0, "handlers_run": 0, "user_faults": 0, "bad_pointers": 0,
            "updated_us": 11_000, "round": 1,
            "regions": [
                {"start": 0x40_0000, "len": 8192, "kind": "file", "name": "text", "perms": "r-x",
                 "resident_pages": 2, "swapped_pages": 0},
                {"start": 0x60_0000, "len": 8192, "kind": "anon", "name": "heap", "perms": "rw-",
                 "resident_pages": 1, "swapped_pages": 1},
            ],
        })
    );
    assert_eq!(
        json["exited"],
        json!([
            {"pid": 3, "parent": 1, "name": "crasher", "status": null, "signal": 11,
             "signal_name": "SIGSEGV", "fault": {"vector": 14, "name": "#PF page fault", "rip": 0x40_1000},
             "time_us": 8_000},
            {"pid": 4, "parent": 1, "name": "spinner", "status": 2, "signal": null,
             "signal_name": null, "fault": null, "time_us": 9_000},
        ])
    );
    assert_eq!(
        json["memory"],
        json!({"free_frames": 100, "total_frames": 400, "cached_pages": 9, "swap_used": 2,
               "swap_total": 64, "disk_reads": 11, "disk_writes": 12,
               "disk_reads_per_second": 0.0, "disk_writes_per_second": 0.0, "updated_us": 15_000})
    );
    let events = &json["events"];
    assert_eq!(
        (&events["spawn"], &events["signal"], &events["exit"]),
        (&json!(3), &json!(1), &json!(2))
    );
    assert_eq!(events["signal_outcomes"]["terminate"], 1);
    assert_eq!(events["user_fault"], 1);
    assert_eq!(
        json["snapshots"],
        json!({"complete": 1, "incomplete": 0, "last_complete": 1, "pruned": 1,
               "stray_regions": 0, "exited_evicted": 0})
    );
}

#[test]
fn subscribers_serialise_with_the_contract_names() {
    let subscriber = Subscriber {
        name: "ipc".into(),
        mask: vec![EventKind::Exit, EventKind::Signal],
        events: 3,
        acks: 2,
        outstanding: 1,
        ack_latency_ns: LatencySummary {
            p50: 10,
            p99: 20,
            max: 30,
        },
    };
    assert_eq!(
        serde_json::to_value(&subscriber).unwrap(),
        json!({"name": "ipc", "mask": ["exit", "signal"], "events": 3, "acks": 2, "outstanding": 1,
               "ack_latency_ns": {"p50": 10, "p99": 20, "max": 30}})
    );
}
