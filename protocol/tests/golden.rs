//! Golden byte vectors: one per message kind, pinning the wire format.
//!
//! Each case encodes a fixed frame and compares the exact bytes on the wire,
//! then decodes them back. If one of these fails, the wire format changed:
//! either undo the change or bump `PROTOCOL_VERSION` and update the vectors.

use protocol::frame::{self, MAX_FRAME_LEN};
use protocol::message::*;

fn header(seq: u32) -> Header {
    Header {
        seq,
        time_us: 1_234_567,
        dropped_before: 0,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn check(message: Message<&str>, seq: u32, expected: &str) {
    let frame = GuestFrame {
        header: header(seq),
        message,
    };
    let mut out = [0u8; MAX_FRAME_LEN];
    let len = frame::encode(&frame, &mut out).expect("encodes");
    assert_eq!(hex(&out[..len]), expected, "wire bytes of {frame:?}");
    let decoded: OwnedFrame = frame::decode(&mut out[..len - 1]).expect("decodes");
    let reencoded = {
        let mut again = [0u8; MAX_FRAME_LEN];
        let n = frame::encode(&decoded, &mut again).unwrap();
        hex(&again[..n])
    };
    assert_eq!(reencoded, expected, "owned and borrowed forms encode alike");
}

#[test]
fn hello() {
    check(
        Message::Hello(Hello {
            protocol_version: 2,
            boot_id: 0xdead_beef,
            tsc_hz: 2_500_000_000,
            image: "demo",
            platform: Platform {
                machine: MachineKind::Microvm,
                boot_path: BootPath::Multiboot2,
                firmware: Firmware::Uefi,
                disk: DiskKind::Ahci,
                programs: ProgramSource::BootModule,
            },
        }),
        0,
        "05 01 87 ad 4b 01 18 02 ef fd b6 f5 0d 80 f2 8b a8 09 04 64 65 6d 6f 02 01 03 03 02 19 37 00",
    );
}

#[test]
fn heartbeat() {
    check(
        Message::Heartbeat(Heartbeat {
            uptime_ns: 1_234_567_000,
            dropped_total: 3,
            idle_ns: 1_000_000,
        }),
        1,
        "05 03 87 ad 4b 0d 01 d8 fe d7 cc 04 03 c0 84 3d 20 7e 00",
    );
}

#[test]
fn log() {
    check(
        Message::Log(Log {
            level: LogLevel::Info,
            pid: 0,
            text: "boot ok",
        }),
        2,
        "05 05 87 ad 4b 03 02 02 0b 07 62 6f 6f 74 20 6f 6b 07 5a 00",
    );
}

#[test]
fn panic() {
    check(
        Message::Panic(Panic {
            message: "oops",
            file: "os/src/main.rs",
            line: 42,
            column: 5,
        }),
        3,
        "05 07 87 ad 4b 1a 03 04 6f 6f 70 73 0e 6f 73 2f 73 72 63 2f 6d 61 69 6e 2e 72 73 2a 05 bb 6b 00",
    );
}

#[test]
fn kernel_fault() {
    check(
        Message::KernelFault(KernelFault {
            vector: 14,
            error_code: 2,
            rip: 0xffff_ffff_8010_2345,
            fault_address: 0xdead_0000,
        }),
        4,
        "05 09 87 ad 4b 15 04 0e 02 c5 c6 c0 80 f8 ff ff ff ff 01 80 80 b4 f5 0d 2d 09 00",
    );
}

#[test]
fn power_off() {
    check(
        Message::PowerOff(PowerOff {
            exit_code: EXIT_SUCCESS,
        }),
        5,
        "05 0b 87 ad 4b 02 05 03 2b dd 00",
    );
}

#[test]
fn spawn() {
    check(
        Message::Spawn(Spawn {
            pid: 7,
            parent: 1,
            name: "worker",
        }),
        6,
        "05 0d 87 ad 4b 0d 06 07 01 06 77 6f 72 6b 65 72 59 a2 00",
    );
}

#[test]
fn exit() {
    check(
        Message::Exit(Exit {
            pid: 7,
            status: 3,
            signal: 0,
        }),
        7,
        "05 0f 87 ad 4b 04 07 07 06 03 f2 1b 00",
    );
}

#[test]
fn signal() {
    check(
        Message::Signal(SignalSent {
            pid: 7,
            sender: 1,
            signal: 10,
            outcome: SignalOutcome::Caught,
        }),
        8,
        "05 11 87 ad 4b 08 08 07 01 0a 02 cc 4f 00",
    );
}

#[test]
fn signal_handled() {
    check(
        Message::SignalHandled(SignalHandled { pid: 7, signal: 10 }),
        9,
        "05 13 87 ad 4b 06 09 07 0a 41 5e 00",
    );
}

#[test]
fn user_fault() {
    check(
        Message::UserFault(UserFault {
            pid: 7,
            vector: 14,
            rip: 0x40_1234,
            signal: 11,
        }),
        10,
        "05 15 87 ad 4b 0b 0a 07 0e b4 a4 80 02 0b 1d db 00",
    );
}

#[test]
fn bad_pointer() {
    check(
        Message::BadPointer(BadPointer { pid: 7, syscall: 1 }),
        11,
        "05 17 87 ad 4b 06 0b 07 01 f4 43 00",
    );
}

#[test]
fn reaped() {
    check(
        Message::Reaped(Reaped { pid: 7 }),
        12,
        "05 19 87 ad 4b 05 0c 07 fe fc 00",
    );
}

#[test]
fn process() {
    check(
        Message::Process(ProcessSnapshot {
            round: 3,
            pid: 7,
            parent: 1,
            name: "worker",
            state: ProcessState::Sleeping,
            privileged: false,
            cpu_ns: 1_500_000,
            vm: VmCounters {
                vm_total_pages: 12,
                vm_total_max_pages: 20,
                minor_faults: 25,
                major_faults: 2,
            },
            regions: 5,
        }),
        13,
        "05 1b 87 ad 4b 0d 0d 03 07 01 06 77 6f 72 6b 65 72 02 0b e0 c6 5b 0c 14 19 02 05 55 d2 00",
    );
}

#[test]
fn snapshot_done() {
    check(
        Message::SnapshotDone(SnapshotDone {
            round: 3,
            processes: 5,
        }),
        14,
        "05 1d 87 ad 4b 06 0e 03 05 de 7d 00",
    );
}

#[test]
fn region() {
    check(
        Message::Region(RegionSnapshot {
            round: 3,
            pid: 7,
            start: 0x40_0000,
            len: 0x3000,
            kind: RegionKind::Text,
            perms: PERM_READ | PERM_EXECUTE,
            resident_pages: 2,
            swapped_pages: 0,
        }),
        15,
        "05 1f 87 ad 4b 0a 0f 03 07 80 80 80 02 80 60 03 05 02 03 74 43 00",
    );
}

#[test]
fn memory() {
    check(
        Message::Memory(MemorySnapshot {
            round: 3,
            free_frames: 5683,
            total_frames: 5728,
            cached_pages: 6,
            swap_used: 0,
            swap_total: 24576,
            disk_reads: 120,
            disk_writes: 0,
        }),
        16,
        "05 21 87 ad 4b 08 10 03 b3 2c e0 2c 06 05 80 c0 01 78 03 53 09 00",
    );
}

#[test]
fn subscribed() {
    check(
        Message::Subscribed(Subscribed {
            endpoint: 2,
            mask: MASK_EXIT | MASK_SIGNAL,
        }),
        17,
        "05 23 87 ad 4b 06 11 02 03 e7 13 00",
    );
}

#[test]
fn publish() {
    check(
        Message::Publish(Publish {
            event_id: 41,
            pid: 7,
            kind: EventKind::Exit,
            subscriber: 2,
        }),
        18,
        "05 25 87 ad 4b 04 12 29 07 04 02 e7 73 00",
    );
}

#[test]
fn ack() {
    check(
        Message::Ack(Ack {
            event_id: 41,
            subscriber: 2,
            latency_ns: 23_456,
        }),
        19,
        "05 27 87 ad 4b 09 13 29 02 a0 b7 01 6c f8 00",
    );
}

#[test]
fn ack_ignored() {
    check(
        Message::AckIgnored(AckIgnored {
            sender: 3,
            pid: 7,
            kind: MASK_EXIT,
            reason: IgnoredReason::WrongSubscriber,
        }),
        20,
        "05 29 87 ad 4b 08 14 03 07 01 01 74 e9 00",
    );
}

#[test]
fn event_done() {
    check(
        Message::EventDone(EventDone {
            event_id: 41,
            pid: 7,
            kind: EventKind::Signal,
            elapsed_ns: 80_000,
        }),
        21,
        "05 2b 87 ad 4b 0a 15 29 07 01 80 f1 04 e8 a6 00",
    );
}

#[test]
fn subscriber() {
    check(
        Message::Subscriber(SubscriberSnapshot {
            round: 3,
            index: 0,
            endpoint: 2,
            name: "ipc",
            mask: MASK_EXIT | MASK_SIGNAL,
            events: 120,
            acks: 119,
            ignored_acks: 0,
            outstanding: 1,
            oldest_pid: 7,
            oldest_age_ns: 5_000,
            latency: LatencySummary {
                count: 119,
                p50_ns: 20_000,
                p99_ns: 60_000,
                max_ns: 75_000,
            },
        }),
        22,
        "05 2d 87 ad 4b 03 16 03 09 02 03 69 70 63 03 78 77 11 01 07 88 27 77 a0 9c 01 e0 d4 03 f8 c9 04 ba 08 00",
    );
}

#[test]
fn latency_histogram() {
    let mut buckets = Log2Buckets::default();
    buckets.add(Log2Buckets::bucket_of(20_000), 100);
    buckets.add(Log2Buckets::bucket_of(60_000), 19);
    check(
        Message::LatencyHistogram(LatencyHistogram {
            round: 3,
            endpoint: 2,
            sum_ns: 3_000_000,
            buckets,
        }),
        25,
        "05 33 87 ad 4b 0f 1a 03 02 c0 8d b7 01 02 0f 64 10 13 4c 15 00",
    );
}

#[test]
fn page_fault() {
    check(
        Message::PageFault(PageFault {
            pid: 7,
            address: 0x4000_1234,
            major: true,
            write: false,
        }),
        26,
        "05 35 87 ad 4b 09 1b 07 b4 a4 80 80 04 01 03 89 b1 00",
    );
}

#[test]
fn command_result() {
    check(
        Message::CommandResult(CommandResult {
            id: 12,
            outcome: protocol::command::CommandOutcome::Done(17),
        }),
        23,
        "05 2f 87 ad 4b 03 17 0c 04 11 14 53 00",
    );
}

#[test]
fn command_rejected() {
    check(
        Message::CommandRejected(CommandRejected {
            reason: protocol::command::RejectReason::Undecodable,
            rejected_total: 3,
        }),
        24,
        "05 31 87 ad 4b 02 18 04 03 5e ec 00",
    );
}

#[test]
fn vm_flags() {
    check(
        Message::VmFlags(ProcessVmFlags {
            round: 3,
            pid: 7,
            flags: VMF_INUSE | VMF_EXITING,
        }),
        25,
        "05 33 87 ad 4b 07 19 03 07 03 b1 76 00",
    );
}

/// Host commands have golden vectors too: the guest parses these bytes.
#[test]
fn host_commands() {
    use protocol::command::{Command, HostFrame};
    let cases: [(HostFrame<&str>, &str); 4] = [
        (
            HostFrame {
                id: 1,
                command: Command::Ping,
            },
            "02 01 03 9f 16 00",
        ),
        (
            HostFrame {
                id: 2,
                command: Command::Signal { pid: 7, signal: 15 },
            },
            "07 02 01 07 0f 8b 2a 00",
        ),
        (
            HostFrame {
                id: 3,
                command: Command::Spawn {
                    program: "worker",
                    args: "64 500",
                },
            },
            "13 03 02 06 77 6f 72 6b 65 72 06 36 34 20 35 30 30 02 f7 00",
        ),
        (
            HostFrame {
                id: 4,
                command: Command::SetSnapshotInterval { ms: 250 },
            },
            "07 04 03 fa 01 a7 f1 00",
        ),
    ];
    for (command, expected) in cases {
        let mut out = [0u8; MAX_FRAME_LEN];
        let len = frame::encode(&command, &mut out).unwrap();
        assert_eq!(hex(&out[..len]), expected, "{command:?}");
        let decoded: HostFrame<String> = frame::decode(&mut out[..len - 1]).unwrap();
        assert_eq!(decoded.id, command.id);
    }
}

/// Adding a message kind breaks this match on purpose: give the new kind a
/// golden vector above, then add its arm here.
#[test]
fn every_message_kind_has_a_golden_vector() {
    fn golden_test_of(message: &Message<&str>) -> &'static str {
        match message {
            Message::Hello(_) => "hello",
            Message::Heartbeat(_) => "heartbeat",
            Message::Log(_) => "log",
            Message::Panic(_) => "panic",
            Message::KernelFault(_) => "kernel_fault",
            Message::PowerOff(_) => "power_off",
            Message::Spawn(_) => "spawn",
            Message::Exit(_) => "exit",
            Message::Signal(_) => "signal",
            Message::SignalHandled(_) => "signal_handled",
            Message::UserFault(_) => "user_fault",
            Message::BadPointer(_) => "bad_pointer",
            Message::Reaped(_) => "reaped",
            Message::Process(_) => "process",
            Message::SnapshotDone(_) => "snapshot_done",
            Message::Region(_) => "region",
            Message::Memory(_) => "memory",
            Message::Subscribed(_) => "subscribed",
            Message::Publish(_) => "publish",
            Message::Ack(_) => "ack",
            Message::AckIgnored(_) => "ack_ignored",
            Message::EventDone(_) => "event_done",
            Message::Subscriber(_) => "subscriber",
            Message::CommandResult(_) => "command_result",
            Message::CommandRejected(_) => "command_rejected",
            Message::VmFlags(_) => "vm_flags",
            Message::LatencyHistogram(_) => "latency_histogram",
            Message::PageFault(_) => "page_fault",
        }
    }
    let sample = Message::PowerOff(PowerOff { exit_code: 0 });
    assert_eq!(golden_test_of(&sample), "power_off");
}

/// The delta header: an EXIT event 37 µs after the frame before it is a
/// one-byte header (37 << 1), and only a decoder that saw that frame can
/// place it.
#[test]
fn delta_header() {
    let message: Message<&str> = Message::Exit(Exit {
        pid: 7,
        status: 0,
        signal: 0,
    });
    let wire = WireFrame {
        header: WireHeader::Delta { delta_us: 37 },
        message: &message,
    };
    let mut out = [0u8; MAX_FRAME_LEN];
    let len = frame::encode(&wire, &mut out).expect("encodes");
    assert_eq!(hex(&out[..len]), "04 4a 07 07 01 03 d9 99 00");
    // Alone, a delta frame cannot become a frame with a header.
    let mut alone = out;
    assert!(frame::decode::<OwnedFrame>(&mut alone[..len - 1]).is_err());
    let decoded: WireFrame<Message<String>> = frame::decode(&mut out[..len - 1]).unwrap();
    assert_eq!(decoded.header, WireHeader::Delta { delta_us: 37 });
    let mut place = HeaderDecoder::new();
    assert_eq!(place.place(decoded.header), None);
    assert_eq!(
        place.place(WireHeader::Absolute(header(4))),
        Some(header(4))
    );
    assert_eq!(
        place.place(decoded.header),
        Some(Header {
            seq: 5,
            time_us: 1_234_567 + 37,
            dropped_before: 0
        })
    );
}
