//! Property tests: every message round-trips through the wire format, and no
//! byte sequence can make the stream decoder panic or lose a later good frame.

use proptest::prelude::*;
use protocol::command::{Command, CommandOutcome, HostFrame, MAX_COMMAND_FRAME, RejectReason};
use protocol::frame::{self, Accumulated, FrameAccumulator, MAX_FRAME_LEN};
use protocol::message::*;
use protocol::stream::{StreamDecoder, StreamItem};

fn text() -> impl Strategy<Value = String> {
    ".{0,80}"
}

fn message() -> impl Strategy<Value = Message<String>> {
    prop_oneof![
        (any::<u16>(), any::<u64>(), any::<u64>(), text()).prop_map(
            |(protocol_version, boot_id, tsc_hz, image)| {
                Message::Hello(Hello {
                    protocol_version,
                    boot_id,
                    tsc_hz,
                    image,
                    platform: Default::default(),
                })
            }
        ),
        (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(
            |(uptime_ns, dropped_total, idle_ns)| {
                Message::Heartbeat(Heartbeat {
                    uptime_ns,
                    dropped_total,
                    idle_ns,
                })
            }
        ),
        (0..4u8, any::<u32>(), text()).prop_map(|(level, pid, text)| {
            let level = [
                LogLevel::Error,
                LogLevel::Warn,
                LogLevel::Info,
                LogLevel::Debug,
            ][level as usize];
            Message::Log(Log { level, pid, text })
        }),
        (text(), text(), any::<u32>(), any::<u32>()).prop_map(|(message, file, line, column)| {
            Message::Panic(Panic {
                message,
                file,
                line,
                column,
            })
        }),
        (any::<u8>(), any::<u64>(), any::<u64>(), any::<u64>()).prop_map(
            |(vector, error_code, rip, fault_address)| {
                Message::KernelFault(KernelFault {
                    vector,
                    error_code,
                    rip,
                    fault_address,
                })
            }
        ),
        any::<u8>().prop_map(|exit_code| Message::PowerOff(PowerOff { exit_code })),
        (any::<u32>(), any::<u32>(), text())
            .prop_map(|(pid, parent, name)| Message::Spawn(Spawn { pid, parent, name })),
        (any::<u32>(), any::<i32>(), any::<u8>()).prop_map(|(pid, status, signal)| Message::Exit(
            Exit {
                pid,
                status,
                signal
            }
        )),
        (any::<u32>(), any::<u32>(), any::<u8>(), 0..6u8).prop_map(
            |(pid, sender, signal, outcome)| {
                let outcome = [
                    SignalOutcome::Ignored,
                    SignalOutcome::Blocked,
                    SignalOutcome::Caught,
                    SignalOutcome::Terminate,
                    SignalOutcome::Stop,
                    SignalOutcome::Continue,
                ][outcome as usize];
                Message::Signal(SignalSent {
                    pid,
                    sender,
                    signal,
                    outcome,
                })
            }
        ),
        (any::<u32>(), any::<u8>())
            .prop_map(|(pid, signal)| Message::SignalHandled(SignalHandled { pid, signal })),
        (any::<u32>(), any::<u8>(), any::<u64>(), any::<u8>()).prop_map(
            |(pid, vector, rip, signal)| Message::UserFault(UserFault {
                pid,
                vector,
                rip,
                signal
            })
        ),
        (any::<u32>(), any::<u8>())
            .prop_map(|(pid, syscall)| Message::BadPointer(BadPointer { pid, syscall })),
        any::<u32>().prop_map(|pid| Message::Reaped(Reaped { pid })),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            text(),
            0..11u8,
            any::<bool>(),
            any::<u64>(),
            any::<[u64; 4]>()
        )
            .prop_map(
                |(round, pid, parent, name, state, privileged, cpu_ns, vm)| {
                    let state = ProcessState::ALL[state as usize];
                    let vm = VmCounters {
                        vm_total_pages: vm[0],
                        vm_total_max_pages: vm[1],
                        minor_faults: vm[2],
                        major_faults: vm[3],
                    };
                    Message::Process(ProcessSnapshot {
                        round,
                        pid,
                        parent,
                        name,
                        state,
                        privileged,
                        cpu_ns,
                        vm,
                        regions: round % 16,
                    })
                }
            ),
        (any::<u32>(), any::<u32>()).prop_map(|(round, processes)| Message::SnapshotDone(
            SnapshotDone { round, processes }
        )),
        (any::<[u32; 2]>(), any::<[u64; 4]>(), 0..6u8, any::<u8>()).prop_map(
            |(ids, numbers, kind, perms)| {
                let kind = [
                    RegionKind::Text,
                    RegionKind::Data,
                    RegionKind::Bss,
                    RegionKind::Heap,
                    RegionKind::Stack,
                    RegionKind::Shared,
                ][kind as usize];
                Message::Region(RegionSnapshot {
                    round: ids[0],
                    pid: ids[1],
                    start: numbers[0],
                    len: numbers[1],
                    kind,
                    perms,
                    resident_pages: numbers[2],
                    swapped_pages: numbers[3],
                })
            }
        ),
        (any::<u32>(), any::<[u64; 7]>()).prop_map(|(round, n)| Message::Memory(MemorySnapshot {
            round,
            free_frames: n[0],
            total_frames: n[1],
            cached_pages: n[2],
            swap_used: n[3],
            swap_total: n[4],
            disk_reads: n[5],
            disk_writes: n[6],
        })),
        (any::<u32>(), any::<u8>())
            .prop_map(|(endpoint, mask)| Message::Subscribed(Subscribed { endpoint, mask })),
        (any::<u64>(), any::<u32>(), event_kind(), any::<u32>()).prop_map(
            |(event_id, pid, kind, subscriber)| Message::Publish(Publish {
                event_id,
                pid,
                kind,
                subscriber
            })
        ),
        (any::<u64>(), any::<u32>(), any::<u64>()).prop_map(
            |(event_id, subscriber, latency_ns)| Message::Ack(Ack {
                event_id,
                subscriber,
                latency_ns
            })
        ),
        (any::<u32>(), any::<u32>(), any::<u8>(), 0..3u8).prop_map(
            |(sender, pid, kind, reason)| {
                let reason = [
                    IgnoredReason::NoSuchEvent,
                    IgnoredReason::WrongSubscriber,
                    IgnoredReason::WrongKind,
                ][reason as usize];
                Message::AckIgnored(AckIgnored {
                    sender,
                    pid,
                    kind,
                    reason,
                })
            }
        ),
        (any::<u64>(), any::<u32>(), event_kind(), any::<u64>()).prop_map(
            |(event_id, pid, kind, elapsed_ns)| Message::EventDone(EventDone {
                event_id,
                pid,
                kind,
                elapsed_ns
            })
        ),
        (any::<u32>(), any::<bool>(), any::<u64>(), any::<u8>()).prop_map(
            |(id, done, value, errno)| {
                let outcome = if done {
                    CommandOutcome::Done(value)
                } else {
                    CommandOutcome::Failed(errno)
                };
                Message::CommandResult(CommandResult { id, outcome })
            }
        ),
        (any::<bool>(), any::<u32>()).prop_map(|(too_long, rejected_total)| {
            let reason = if too_long {
                RejectReason::TooLong
            } else {
                RejectReason::Undecodable
            };
            Message::CommandRejected(CommandRejected {
                reason,
                rejected_total,
            })
        }),
        (any::<u32>(), any::<u32>(), any::<u8>())
            .prop_map(|(round, pid, flags)| Message::VmFlags(ProcessVmFlags { round, pid, flags })),
        (
            any::<[u32; 4]>(),
            text(),
            any::<[u64; 9]>(),
            any::<[u8; 2]>()
        )
            .prop_map(|(ids, name, n, small)| {
                Message::Subscriber(SubscriberSnapshot {
                    round: ids[0],
                    index: small[0],
                    endpoint: ids[1],
                    name,
                    mask: small[1],
                    events: n[0],
                    acks: n[1],
                    ignored_acks: n[2],
                    outstanding: ids[2],
                    oldest_pid: ids[3],
                    oldest_age_ns: n[3],
                    latency: LatencySummary {
                        count: n[4],
                        p50_ns: n[5],
                        p99_ns: n[6],
                        max_ns: n[7],
                    },
                })
            }),
        (
            any::<[u32; 2]>(),
            any::<u64>(),
            proptest::collection::vec((0..LATENCY_BUCKETS, 1..u32::MAX), 0..LATENCY_BUCKETS)
        )
            .prop_map(|(ids, sum_ns, pairs)| {
                let mut buckets = Log2Buckets::default();
                for (bucket, count) in pairs {
                    buckets.add(bucket, count);
                }
                Message::LatencyHistogram(LatencyHistogram {
                    round: ids[0],
                    endpoint: ids[1],
                    sum_ns,
                    buckets,
                })
            }),
        (any::<u32>(), any::<u64>(), any::<bool>(), any::<bool>()).prop_map(
            |(pid, address, major, write)| Message::PageFault(PageFault {
                pid,
                address,
                major,
                write,
            })
        ),
    ]
}

fn event_kind() -> impl Strategy<Value = EventKind> {
    (0..3u8).prop_map(|kind| [EventKind::Exit, EventKind::Signal, EventKind::Spawn][kind as usize])
}

fn frame() -> impl Strategy<Value = OwnedFrame> {
    (any::<u32>(), any::<u64>(), any::<u32>(), message()).prop_map(
        |(seq, time_us, dropped_before, message)| GuestFrame {
            header: Header {
                seq,
                time_us,
                dropped_before,
            },
            message,
        },
    )
}

fn encode(frame: &OwnedFrame) -> Vec<u8> {
    let mut out = vec![0u8; MAX_FRAME_LEN];
    let len = frame::encode(frame, &mut out).expect("every generated frame fits");
    out.truncate(len);
    out
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(original in frame()) {
        let mut bytes = encode(&original);
        let len = bytes.len();
        let decoded: OwnedFrame = frame::decode(&mut bytes[..len - 1]).unwrap();
        prop_assert_eq!(decoded, original);
    }

    #[test]
    fn garbage_never_panics_and_never_hides_the_next_good_frame(
        garbage in proptest::collection::vec(any::<u8>(), 0..4096),
        chunk in 1usize..64,
        good in frame(),
    ) {
        let mut decoder = StreamDecoder::new();
        for piece in garbage.chunks(chunk) {
            decoder.push(piece);
        }
        // A delimiter ends whatever the garbage left open; the next frame
        // must then come through intact.
        decoder.push(&[0]);
        let items = decoder.push(&encode(&good));
        prop_assert_eq!(items, vec![StreamItem::Frame(good)]);
    }

    #[test]
    fn decoding_arbitrary_bodies_never_panics(mut body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = frame::decode::<OwnedFrame>(&mut body);
    }
}

fn host_frame() -> impl Strategy<Value = HostFrame<String>> {
    let command = prop_oneof![
        Just(Command::Ping),
        (any::<u32>(), any::<u8>()).prop_map(|(pid, signal)| Command::Signal { pid, signal }),
        ("[a-z-]{0,12}", "[a-z0-9 ]{0,40}")
            .prop_map(|(program, args)| Command::Spawn { program, args }),
        any::<u32>().prop_map(|ms| Command::SetSnapshotInterval { ms }),
    ];
    (any::<u32>(), command).prop_map(|(id, command)| HostFrame { id, command })
}

proptest! {
    /// The guest's command parser: a fixed accumulator fed byte by byte,
    /// then `decode`. Arbitrary bytes never panic it, and a good command
    /// after garbage and a delimiter comes through intact.
    #[test]
    fn guest_command_parser_survives_garbage(
        garbage in proptest::collection::vec(any::<u8>(), 0..2048),
        good in host_frame(),
    ) {
        let mut accumulator = FrameAccumulator::<MAX_COMMAND_FRAME>::new();
        for byte in garbage {
            if let Accumulated::Frame(body) = accumulator.feed(byte) {
                let _ = frame::decode::<HostFrame<&str>>(body);
            }
        }
        accumulator.feed(0);
        let mut encoded = vec![0u8; MAX_FRAME_LEN];
        let len = frame::encode(&good, &mut encoded).unwrap();
        let mut decoded = None;
        for &byte in &encoded[..len] {
            if let Accumulated::Frame(body) = accumulator.feed(byte) {
                decoded = Some(frame::decode::<HostFrame<&str>>(body).map(|frame| frame.id));
            }
        }
        prop_assert!(len <= MAX_COMMAND_FRAME);
        prop_assert_eq!(decoded, Some(Ok(good.id)));
    }
}
