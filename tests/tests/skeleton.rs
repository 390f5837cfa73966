//! Boot tests of the walking skeleton: the kernel boots, streams framed
//! telemetry, and every way of stopping reaches the host.

use boot_tests::{boot, qemu_status_for};
use protocol::message::{EXIT_KERNEL_FAULT, EXIT_KERNEL_PANIC, EXIT_SUCCESS, Message};
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(60);

#[test]
fn boots_streams_contiguous_frames_and_powers_off_cleanly() {
    let run = boot("smoke", DEADLINE);
    let context = run.describe();
    assert_eq!(
        run.exit_status,
        Some(qemu_status_for(EXIT_SUCCESS)),
        "{context}"
    );
    assert!(
        run.errors.is_empty(),
        "decode errors {:?}\n{context}",
        run.errors
    );
    assert_eq!(run.stats.crc_errors, 0);

    let first = run.frames.first().expect("at least one frame");
    match &first.message {
        Message::Hello(hello) => {
            assert_eq!(hello.protocol_version, protocol::PROTOCOL_VERSION);
            assert_eq!(hello.image, "smoke");
            assert!(
                hello.tsc_hz > 100_000_000,
                "implausible TSC frequency {}",
                hello.tsc_hz
            );
        }
        other => panic!("first frame is {other:?}, not Hello\n{context}"),
    }
    for (index, frame) in run.frames.iter().enumerate() {
        assert_eq!(
            frame.header.seq, index as u32,
            "sequence numbers are contiguous from 0"
        );
        assert_eq!(
            frame.header.dropped_before, 0,
            "nothing dropped at this rate"
        );
    }

    let uptimes: Vec<u64> = run
        .messages()
        .filter_map(|message| match message {
            Message::Heartbeat(heartbeat) => Some(heartbeat.uptime_ns),
            _ => None,
        })
        .collect();
    // 1.5 s at one heartbeat per 50 ms: allow for a slow start.
    assert!(
        uptimes.len() >= 10,
        "only {} heartbeats\n{context}",
        uptimes.len()
    );
    assert!(
        uptimes.windows(2).all(|pair| pair[0] < pair[1]),
        "uptimes rise: {uptimes:?}"
    );
    assert!(
        *uptimes.last().unwrap() >= 1_400_000_000,
        "ran for about 1.5 s: {uptimes:?}"
    );

    match &run.frames.last().unwrap().message {
        Message::PowerOff(power_off) => assert_eq!(power_off.exit_code, EXIT_SUCCESS),
        other => panic!("last frame is {other:?}, not PowerOff\n{context}"),
    }
}

#[test]
fn a_kernel_panic_reaches_the_host_with_its_message_and_a_failure_code() {
    let run = boot("panic", DEADLINE);
    let context = run.describe();
    assert_eq!(
        run.exit_status,
        Some(qemu_status_for(EXIT_KERNEL_PANIC)),
        "{context}"
    );
    assert_eq!(run.guest_exit_code(), Some(EXIT_KERNEL_PANIC));
    let panic = run
        .messages()
        .find_map(|message| match message {
            Message::Panic(panic) => Some(panic),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Panic frame\n{context}"));
    assert!(panic.message.contains("deliberate panic"), "{panic:?}");
    assert_eq!(panic.file, "os/src/main.rs");
    assert!(panic.line > 0);
    assert!(matches!(
        run.frames.last().map(|frame| &frame.message),
        Some(Message::PowerOff(power_off)) if power_off.exit_code == EXIT_KERNEL_PANIC
    ));
}

#[test]
fn a_cpu_exception_in_the_kernel_reports_vector_and_address() {
    let run = boot("kernel-fault", DEADLINE);
    let context = run.describe();
    assert_eq!(
        run.exit_status,
        Some(qemu_status_for(EXIT_KERNEL_FAULT)),
        "{context}"
    );
    let fault = run
        .messages()
        .find_map(|message| match message {
            Message::KernelFault(fault) => Some(*fault),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no KernelFault frame\n{context}"));
    assert_eq!(fault.vector, 14, "a page fault");
    assert_eq!(fault.fault_address, 0xFFFF_FF00_0000_0000);
    assert_eq!(fault.error_code & 1, 0, "the page was not present");
    assert!(
        fault.rip >= 0xFFFF_FFFF_8000_0000,
        "the fault was in kernel code"
    );
}
