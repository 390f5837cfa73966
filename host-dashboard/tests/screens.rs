//! Snapshot tests of the whole screen at 100x30.
//!
//! Every state is built the way the live dashboard builds it: guest frames
//! are encoded with `protocol::frame::encode`, the bytes go through the
//! `StreamDecoder` (via `Ingest`), and the results through `State::apply`.

use host_dashboard::app::{Action, App};
use host_dashboard::ingest::Ingest;
use host_dashboard::state::{Input, QemuExit, State};
use protocol::PROTOCOL_VERSION;
use protocol::frame::{MAX_FRAME_LEN, encode};
use protocol::message::{
    EXIT_KERNEL_PANIC, GuestFrame, Header, Heartbeat, Hello, KernelFault, Log, LogLevel, Message,
    Panic, PowerOff,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;

const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;

/// The host receives every frame this long after the guest stamped it.
const LINK_DELAY_US: u64 = 2_000;

/// A scripted guest: encodes frames and feeds them to the app as bytes.
struct Session {
    app: App,
    ingest: Ingest,
    seq: u32,
}

impl Session {
    /// QEMU (pid 4242) started at host time 0, nothing received yet.
    fn start() -> Self {
        let mut app = App::new(State::new("demo"));
        app.apply(Duration::ZERO, Input::QemuStarted { pid: 4242 });
        Self {
            app,
            ingest: Ingest::new(),
            seq: 0,
        }
    }

    /// The guest sends `message` at guest time `time_us`; it arrives
    /// [`LINK_DELAY_US`] later.
    fn send(&mut self, time_us: u64, message: Message<&str>) {
        let frame = GuestFrame {
            header: Header {
                seq: self.seq,
                time_us,
                dropped_before: 0,
            },
            message,
        };
        self.seq += 1;
        let mut bytes = vec![0; MAX_FRAME_LEN];
        let len = encode(&frame, &mut bytes).expect("frame encodes");
        self.receive(time_us + LINK_DELAY_US, &bytes[..len]);
    }

    fn receive(&mut self, host_us: u64, bytes: &[u8]) {
        for input in self.ingest.push(bytes) {
            self.app.apply(Duration::from_micros(host_us), input);
        }
    }

    fn hello(&mut self, version: u16) {
        self.send(
            1_000,
            Message::Hello(Hello {
                protocol_version: version,
                boot_id: 0x5eed_b007,
                tsc_hz: 2_400_000_000,
                image: "demo",
            }),
        );
    }

    fn log(&mut self, time_us: u64, level: LogLevel, pid: u32, text: &str) {
        self.send(time_us, Message::Log(Log { level, pid, text }));
    }

    /// Heartbeats every 100 ms of guest time from `from_ms` to `to_ms`.
    fn heartbeats(&mut self, from_ms: u64, to_ms: u64) {
        for ms in (from_ms..=to_ms).step_by(100) {
            let uptime_ns = ms * 1_000_000;
            self.send(
                ms * 1_000,
                Message::Heartbeat(Heartbeat {
                    uptime_ns,
                    dropped_total: 0,
                    idle_ns: uptime_ns * 3 / 4,
                }),
            );
        }
    }

    fn tick(&mut self, host_ms: u64) {
        self.app.apply(Duration::from_millis(host_ms), Input::Tick);
    }

    fn qemu_exits(&mut self, host_ms: u64, exit: QemuExit) {
        let now = Duration::from_millis(host_ms);
        self.app.apply(now, Input::LinkClosed);
        self.app.apply(now, Input::QemuExited(exit));
    }

    /// A normal boot: Hello, a few log lines, 3 s of heartbeats.
    fn booted() -> Self {
        let mut session = Self::start();
        session.hello(PROTOCOL_VERSION);
        session.log(
            2_000,
            LogLevel::Info,
            0,
            "kernel: booting image demo (cmdline: image=demo)",
        );
        session.log(
            3_000,
            LogLevel::Debug,
            0,
            "memory: 126 MiB usable in 3 regions",
        );
        session.log(40_000, LogLevel::Info, 1, "init: started");
        session.heartbeats(100, 1_500);
        session.log(1_550_000, LogLevel::Warn, 2, "worker: slow start, retrying");
        session.log(
            1_560_000,
            LogLevel::Error,
            2,
            "worker: could not open /dev/null",
        );
        session.heartbeats(1_600, 3_000);
        session.tick(3_050);
        session
    }

    fn screen(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
        terminal
            .draw(|frame| frame.render_widget(&self.app, frame.area()))
            .expect("draws");
        terminal.backend().to_string()
    }
}

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
    session.app.perform(Action::ScrollUp(2));
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
