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
            protocol_version: 1,
            boot_id: 0xdead_beef,
            tsc_hz: 2_500_000_000,
            image: "demo",
        }),
        0,
        "01 04 87 ad 4b 01 13 01 ef fd b6 f5 0d 80 f2 8b a8 09 04 64 65 6d 6f 33 4b 00",
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
        "05 01 87 ad 4b 0d 01 d8 fe d7 cc 04 03 c0 84 3d 74 ee 00",
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
        "05 02 87 ad 4b 03 02 02 0b 07 62 6f 6f 74 20 6f 6b 44 e8 00",
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
        "05 03 87 ad 4b 1a 03 04 6f 6f 70 73 0e 6f 73 2f 73 72 63 2f 6d 61 69 6e 2e 72 73 2a 05 f0 4b 00",
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
        "05 04 87 ad 4b 15 04 0e 02 c5 c6 c0 80 f8 ff ff ff ff 01 80 80 b4 f5 0d ee d9 00",
    );
}

#[test]
fn power_off() {
    check(
        Message::PowerOff(PowerOff {
            exit_code: EXIT_SUCCESS,
        }),
        5,
        "05 05 87 ad 4b 02 05 03 0a 5b 00",
    );
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
        }
    }
    let sample = Message::PowerOff(PowerOff { exit_code: 0 });
    assert_eq!(golden_test_of(&sample), "power_off");
}
