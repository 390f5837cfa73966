//! Tests of the headless summary: contract shape and verdicts.

use super::*;
use crate::state::{Input, QemuExit};
use protocol::command::{CommandOutcome, RejectReason};
use protocol::message::{
    Ack, AckIgnored, CommandRejected, CommandResult, EXIT_KERNEL_PANIC, EventDone, EventKind, Exit,
    GuestFrame, Header, Heartbeat, Hello, IgnoredReason, KernelFault, LatencySummary, Log,
    LogLevel, MASK_EXIT, MASK_SIGNAL, MemorySnapshot, Message, PERM_EXECUTE, PERM_READ, PERM_WRITE,
    Panic, PowerOff, ProcessSnapshot, ProcessState, ProcessVmFlags, Publish, Reaped, RegionKind,
    RegionSnapshot, SignalOutcome, SignalSent, SnapshotDone, Spawn, Subscribed, SubscriberSnapshot,
    UserFault, VMF_EXITING, VMF_INUSE, VmCounters,
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
        platform: protocol::message::Platform {
            machine: protocol::message::MachineKind::Q35,
            boot_path: protocol::message::BootPath::Pvh,
            firmware: protocol::message::Firmware::SeaBios,
            disk: protocol::message::DiskKind::VirtioPci,
            programs: protocol::message::ProgramSource::Disk,
        },
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
            "schema_version": crate::schema::SCHEMA_VERSION,
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
                "platform": {
                    "machine": "q35",
                    "boot_path": "pvh",
                    "firmware": "seabios",
                    "disk": "virtio-pci",
                    "programs": "disk"
                },
                "boots": 1,
                "heartbeats": 1,
                "idle_ns": 1_000_000,
                "dropped_total": 1,
                "log_tail": [{"time_us": 1_000, "level": "info", "pid": 0, "text": "up"}],
            },
            "link": {
                "frames": 3, "bytes": 60, "crc_errors": 0, "malformed": 0, "oversize": 0,
                "resyncs": 1, "seq_gaps": 0, "guest_dropped": 1, "boots": 0,
            },
            "qemu": {"running": true, "status": null, "signal": null, "stderr_tail": []},
            "attach": null,
            "processes": [],
            "exited": [],
            "subscribers": [],
            "events": {
                "spawn": 0, "signal": 0, "exit": 0, "reaped": 0,
                "signal_outcomes": {"ignored": 0, "blocked": 0, "caught": 0, "terminate": 0,
                                    "stop": 0, "continue": 0},
                "signal_handled": 0, "user_fault": 0, "bad_pointer": 0, "page_fault": 0,
                "published": {"exit": 0, "signal": 0, "spawn": 0},
                "completed": 0, "completion_unseen": 0, "in_flight": 0, "ignored_acks": 0,
                "ignored_by_reason": {"no_such_event": 0, "wrong_subscriber": 0, "wrong_kind": 0},
                "stuck": [], "warnings": [],
            },
            "commands": {"results": {}, "rejected": 0, "last_rejection": null},
            "memory": null,
            "snapshots": {"complete": 0, "incomplete": 0, "last_complete": null, "pruned": 0,
                          "stray_regions": 0, "exited_evicted": 0},
            "warnings": {"total": 0, "stuck_events": 0, "slow_acks": 0, "fault_storms": 0,
                         "oom_kills": 0, "thrashing": 0,
                         "crc_errors": 0, "seq_gaps": 0, "stale_link": 0, "link_down": 0},
            "reliability": {"injected": [], "kernel_survived": true, "oom_kills": 0,
                            "user_faults": 0, "bad_pointers": 0, "frames_dropped_reported": 1,
                            "frames_dropped_total": 1, "drops_all_reported": true,
                            "seq_gaps": 0, "bad_frames": 0, "commands_rejected": 0,
                            "reconnects": 0},
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
        regions: if pid == 2 { 2 } else { 0 },
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
        Message::VmFlags(ProcessVmFlags {
            round: 1,
            pid: 2,
            flags: VMF_INUSE,
        }),
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
    send(
        &mut state,
        Message::VmFlags(ProcessVmFlags {
            round: 1,
            pid: 4,
            flags: VMF_EXITING,
        }),
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
    assert_eq!(json["processes"][2]["vm_flags"], json!(["exiting"]));
    assert_eq!(
        json["processes"][0]["vm_flags"],
        json!(null),
        "not reported"
    );
    assert_eq!(
        json["processes"][1],
        json!({
            "pid": 2, "parent": 1, "name": "worker", "state": "running", "privileged": false,
            "cpu_ns": 1_000_000, "cpu_percent": 12.5,
            "vm_total_pages": 4, "vm_total_max_pages": 5, "minor_faults": 6, "major_faults": 7,
            "minor_faults_per_second": 750.0, "major_faults_per_second": 875.0,
            "resident_pages": 3, "swapped_pages": 1,
            "signals_received": 0, "handlers_run": 0, "user_faults": 0, "bad_pointers": 0, "fault_events": 0,
            "updated_us": 11_000, "round": 1, "regions_expected": 2, "regions_complete": true,
            "vm_flags": ["in_use"],
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
               "disk_reads_per_second": 0.0, "disk_writes_per_second": 0.0, "updated_us": 17_000})
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

/// The guest's frames from `state`'s point on, each at its own guest time.
struct Script {
    seq: u32,
}

impl Script {
    fn send(&mut self, state: &mut State, time_us: u64, message: Message<String>) {
        let header = Header {
            seq: self.seq,
            time_us,
            dropped_before: 0,
        };
        state.apply(
            ms(time_us / 1_000 + 2),
            Input::Frame(GuestFrame { header, message }),
        );
        self.seq += 1;
    }
}

fn publish(event_id: u64, pid: u32, kind: EventKind, subscriber: u32) -> Message<String> {
    Message::Publish(Publish {
        event_id,
        pid,
        kind,
        subscriber,
    })
}

fn ack(event_id: u64, subscriber: u32, latency_ns: u64) -> Message<String> {
    Message::Ack(Ack {
        event_id,
        subscriber,
        latency_ns,
    })
}

fn spawn(pid: u32, name: &str) -> Message<String> {
    Message::Spawn(Spawn {
        pid,
        parent: 0,
        name: name.into(),
    })
}

/// The running state plus the demo's two subscribers, ipc (pid 1, EXIT and
/// SIGNAL) and acct (pid 2, EXIT): a worker's EXIT event goes through both
/// and it is reaped; acct sends a stray ack; a snapshot round lists both;
/// then a forker's SIGNAL event waits on ipc for 2.4 s. Two commands are
/// answered.
fn state_with_subscribers() -> State {
    let mut state = running_state();
    let mut script = Script { seq: 3 };
    let mut send = |state: &mut State, time_us, message| script.send(state, time_us, message);
    for (pid, name) in [(1, "ipc"), (2, "acct"), (3, "worker")] {
        send(&mut state, 10_000, spawn(pid, name));
    }
    let subscribed = |endpoint, mask| Message::Subscribed(Subscribed { endpoint, mask });
    send(&mut state, 11_000, subscribed(1, MASK_EXIT | MASK_SIGNAL));
    send(&mut state, 12_000, subscribed(2, MASK_EXIT));
    let exit = Exit {
        pid: 3,
        status: 0,
        signal: 0,
    };
    send(&mut state, 20_000, Message::Exit(exit));
    send(&mut state, 20_000, publish(1, 3, EventKind::Exit, 1));
    send(&mut state, 20_048, ack(1, 1, 48_000));
    send(&mut state, 20_048, publish(1, 3, EventKind::Exit, 2));
    send(&mut state, 20_095, ack(1, 2, 47_000));
    let done = EventDone {
        event_id: 1,
        pid: 3,
        kind: EventKind::Exit,
        elapsed_ns: 95_000,
    };
    send(&mut state, 20_095, Message::EventDone(done));
    send(&mut state, 21_000, Message::Reaped(Reaped { pid: 3 }));
    let stray = AckIgnored {
        sender: 2,
        pid: 3,
        kind: MASK_EXIT,
        reason: IgnoredReason::NoSuchEvent,
    };
    send(&mut state, 22_000, Message::AckIgnored(stray));
    for pid in [1, 2] {
        let listed = ProcessSnapshot {
            round: 1,
            pid,
            parent: 0,
            name: if pid == 1 { "ipc" } else { "acct" }.into(),
            state: ProcessState::Receiving,
            privileged: true,
            cpu_ns: 0,
            vm: VmCounters::default(),
            regions: 0,
        };
        send(&mut state, 500_000, Message::Process(listed));
    }
    let entry = |index: u8, endpoint, name: &str, mask, latency_ns| SubscriberSnapshot {
        round: 1,
        index,
        endpoint,
        name: name.to_string(),
        mask,
        events: 1,
        acks: 1,
        ignored_acks: u64::from(endpoint == 2),
        outstanding: 0,
        oldest_pid: 0,
        oldest_age_ns: 0,
        latency: LatencySummary {
            count: 1,
            p50_ns: latency_ns,
            p99_ns: latency_ns,
            max_ns: latency_ns,
        },
    };
    let ipc = entry(0, 1, "ipc", MASK_EXIT | MASK_SIGNAL, 49_152);
    send(&mut state, 500_000, Message::Subscriber(ipc));
    let acct = entry(1, 2, "acct", MASK_EXIT, 47_104);
    send(&mut state, 500_000, Message::Subscriber(acct));
    let done = SnapshotDone {
        round: 1,
        processes: 2,
    };
    send(&mut state, 500_000, Message::SnapshotDone(done));
    send(&mut state, 600_000, spawn(4, "forker"));
    let caught = SignalSent {
        pid: 4,
        sender: 0,
        signal: 10,
        outcome: SignalOutcome::Caught,
    };
    send(&mut state, 600_000, Message::Signal(caught));
    send(&mut state, 600_000, publish(2, 4, EventKind::Signal, 1));
    let heartbeat = Heartbeat {
        uptime_ns: 3_000_000_000,
        dropped_total: 1,
        idle_ns: 1_000_000,
    };
    send(&mut state, 3_000_000, Message::Heartbeat(heartbeat));
    let result = CommandResult {
        id: 7,
        outcome: CommandOutcome::Done(4),
    };
    send(&mut state, 3_000_100, Message::CommandResult(result));
    let rejected = CommandRejected {
        reason: RejectReason::Undecodable,
        rejected_total: 1,
    };
    send(&mut state, 3_000_200, Message::CommandRejected(rejected));
    state
}

#[test]
fn subscribers_meet_the_contract_and_add_up() {
    let json = to_json(&state_with_subscribers());
    assert_eq!(
        json["subscribers"],
        json!([
            {"index": 0, "endpoint": 1, "name": "ipc", "mask": ["exit", "signal"],
             "events": 2, "acks": 1, "ignored_acks": 0, "outstanding": 1,
             "oldest_outstanding": {"pid": 4, "age_ns": 2_400_200_000u64},
             "ack_latency_ns": {"p50": 49_152, "p99": 49_152, "max": 49_152, "count": 1},
             "ack_latency_histogram": null},
            {"index": 1, "endpoint": 2, "name": "acct", "mask": ["exit"],
             "events": 1, "acks": 1, "ignored_acks": 1, "outstanding": 0,
             "oldest_outstanding": null,
             "ack_latency_ns": {"p50": 47_104, "p99": 47_104, "max": 47_104, "count": 1},
             "ack_latency_histogram": null},
        ])
    );
    for subscriber in json["subscribers"].as_array().unwrap() {
        let count = |key: &str| subscriber[key].as_u64().unwrap();
        assert_eq!(count("acks") + count("outstanding"), count("events"));
    }
}

#[test]
fn events_count_the_pm_events_and_name_the_stuck_one() {
    let json = to_json(&state_with_subscribers());
    let events = &json["events"];
    assert_eq!(
        (&events["spawn"], &events["signal"], &events["exit"]),
        (&json!(4), &json!(1), &json!(1))
    );
    assert_eq!(
        events["published"],
        json!({"exit": 1, "signal": 1, "spawn": 0})
    );
    assert_eq!(
        (
            &events["completed"],
            &events["in_flight"],
            &events["ignored_acks"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(events["ignored_by_reason"]["no_such_event"], 1);
    let stuck = json!({"event_id": 2, "pid": 4, "process": "forker", "kind": "signal",
                       "subscriber": "ipc", "subscriber_endpoint": 1,
                       "age_ns": 2_400_200_000u64, "since_us": 600_000});
    assert_eq!(events["stuck"], json!([stuck]));
    // As of the last frame (3.0002 s). The warning was raised when the
    // wait passed 2 s (at the 3 s heartbeat, the first frame after that)
    // and still holds.
    let warnings = events["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["kind"], "stuck_event");
    assert_eq!(warnings[0]["active"], true);
    assert_eq!(warnings[0]["raised_us"], 3_000_000);
    assert_eq!(warnings[0]["event"]["subscriber"], "ipc");
    assert_eq!(
        warnings[0]["message"],
        "pid 4 (forker): signal event #2 waits on ipc (pid 1) for 2.4 s"
    );
    // The top-level counts by kind include the stuck event.
    assert_eq!(json["warnings"]["stuck_events"], 1);
    assert!(json["warnings"]["total"].as_u64().unwrap() >= 1);
}

#[test]
fn warnings_are_counted_by_kind() {
    let mut state = State::new("demo");
    state.apply(ms(0), Input::QemuStarted { pid: 1 });
    state.apply(ms(1), frame(0, hello(PROTOCOL_VERSION)));
    let stats = LinkStats {
        crc_errors: 3,
        seq_gaps: 2,
        ..LinkStats::default()
    };
    state.apply(ms(2), Input::LinkStats(stats));
    // No heartbeat for 5 s.
    state.apply(ms(5_000), Input::Tick);
    let json = to_json(&state);
    assert_eq!(
        json["warnings"],
        json!({"total": 6, "stuck_events": 0, "slow_acks": 0, "fault_storms": 0,
               "oom_kills": 0, "thrashing": 0,
               "crc_errors": 3, "seq_gaps": 2, "stale_link": 1, "link_down": 0})
    );
}

#[test]
fn command_answers_are_kept_by_id() {
    let json = to_json(&state_with_subscribers());
    assert_eq!(
        json["commands"],
        json!({"results": {"7": {"outcome": "done", "value": 4, "errno": null, "time_us": 3_000_100}},
               "rejected": 1, "last_rejection": "undecodable"})
    );
}

#[test]
fn page_fault_events_are_counted_per_process_and_in_all() {
    let mut state = running_state();
    state.apply(ms(10), frame(3, spawn(2, "worker")));
    for (seq, (pid, major)) in [(2, false), (2, true), (9, false)].into_iter().enumerate() {
        let fault = protocol::message::PageFault {
            pid,
            address: 0x40_0000,
            major,
            write: true,
        };
        state.apply(ms(11), frame(4 + seq as u32, Message::PageFault(fault)));
    }
    let json = to_json(&state);
    // The one for an unknown pid counts in all only.
    assert_eq!(json["events"]["page_fault"], 3);
    let worker = json["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|process| process["pid"] == 2)
        .unwrap();
    assert_eq!(worker["fault_events"], 2);
}
