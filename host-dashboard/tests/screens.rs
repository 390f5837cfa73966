//! Snapshot tests of the whole screen: the guest's life cycle and the link.
//!
//! Every state is built the way the live dashboard builds it (see
//! [`common::Session`]).

mod common;

use common::Session;
use protocol::PROTOCOL_VERSION;
use protocol::message::{EXIT_KERNEL_PANIC, KernelFault, LogLevel, Message, Panic, PowerOff};
use watchtower::app::Action;
use watchtower::state::QemuExit;

#[test]
fn live_with_log_lines() {
    let session = Session::booted();
    insta::assert_snapshot!(session.screen());
}

#[test]
fn guest_panicked() {
    let mut session = Session::booted();
    session.send(
        3_020_000,
        Message::Panic(Panic {
            message: "page table entry for 0xdead000 is not present",
            file: "os/src/memory/paging.rs",
            line: 88,
            column: 13,
        }),
    );
    session.send(
        3_020_100,
        Message::PowerOff(PowerOff {
            exit_code: EXIT_KERNEL_PANIC,
        }),
    );
    session.qemu_exits(
        3_040,
        QemuExit {
            status: Some(129),
            signal: None,
            stderr_tail: vec![],
        },
    );
    session.tick(3_100);
    insta::assert_snapshot!(session.screen());
}

#[test]
fn protocol_version_refused() {
    let mut session = Session::start();
    session.hello(PROTOCOL_VERSION + 1);
    session.heartbeats(100, 1_000);
    session.log(1_050_000, LogLevel::Info, 0, "this line must not be shown");
    session.tick(1_100);
    insta::assert_snapshot!(session.screen());
}

#[test]
fn kernel_fault() {
    let mut session = Session::booted();
    session.send(
        3_010_000,
        Message::KernelFault(KernelFault {
            vector: 14,
            error_code: 0x2,
            rip: 0xffff_ffff_8010_2a4c,
            fault_address: 0x10,
        }),
    );
    session.tick(3_100);
    insta::assert_snapshot!(session.screen());
}

#[test]
fn link_stale_and_log_scrolled() {
    let mut session = Session::booted();
    session.app.perform(Action::FocusNext);
    session.app.perform(Action::Up(2));
    session.tick(6_000);
    insta::assert_snapshot!(session.screen());
}

#[test]
fn qemu_died_before_any_frame() {
    let mut session = Session::start();
    session.qemu_exits(
        300,
        QemuExit {
            status: Some(1),
            signal: None,
            stderr_tail: vec!["qemu-system-x86_64: -accel kvm: failed to initialize kvm: No such file or directory".into()],
        },
    );
    insta::assert_snapshot!(session.screen());
}

#[test]
fn guest_powered_off_cleanly() {
    let mut session = Session::booted();
    session.log(3_010_000, LogLevel::Info, 1, "init: all done, powering off");
    session.send(3_020_000, Message::PowerOff(PowerOff { exit_code: 0 }));
    session.qemu_exits(
        3_030,
        QemuExit {
            status: Some(33),
            signal: None,
            stderr_tail: vec![],
        },
    );
    insta::assert_snapshot!(session.screen());
}

#[test]
fn corrupted_bytes_show_up_as_link_errors() {
    let mut session = Session::booted();
    // Line noise: a delimited run of bytes that is not a valid frame.
    session.receive(3_060_000, &[0x05, 0x11, 0x22, 0x33, 0x44, 0x00]);
    let stats = session.app.state().link().stats;
    assert_eq!((stats.crc_errors, stats.malformed), (1, 0));
    let screen = session.screen();
    let row = screen
        .lines()
        .find(|line| line.contains("CRC errors"))
        .expect("a CRC row");
    assert!(row.ends_with(" 1 │\""), "{row}");
}
