//! A scripted guest for screen tests: encodes frames with
//! `protocol::frame::encode` and feeds the bytes through the `StreamDecoder`
//! (via `Ingest`) and `State::apply`, the way the live dashboard does.
// Each test crate uses its own part of the harness.
#![allow(dead_code)]

use protocol::PROTOCOL_VERSION;
use protocol::frame::{MAX_FRAME_LEN, encode};
use protocol::message::{GuestFrame, Header, Heartbeat, Hello, Log, LogLevel, Message};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use std::time::Duration;
use watchtower::app::App;
use watchtower::ingest::Ingest;
use watchtower::state::{Input, QemuExit, State};

/// Screen width of every snapshot.
pub const WIDTH: u16 = 120;
/// Screen height of every snapshot.
pub const HEIGHT: u16 = 40;

/// The host receives every frame this long after the guest stamped it.
pub const LINK_DELAY_US: u64 = 2_000;

/// A scripted guest: encodes frames and feeds them to the app as bytes.
pub struct Session {
    pub app: App,
    ingest: Ingest,
    seq: u32,
}

impl Session {
    /// QEMU (pid 4242) started at host time 0, nothing received yet.
    pub fn start() -> Self {
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
    pub fn send(&mut self, time_us: u64, message: Message<&str>) {
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

    pub fn receive(&mut self, host_us: u64, bytes: &[u8]) {
        for input in self.ingest.push(bytes) {
            self.app.apply(Duration::from_micros(host_us), input);
        }
    }

    pub fn hello(&mut self, version: u16) {
        self.send(
            1_000,
            Message::Hello(Hello {
                protocol_version: version,
                boot_id: 0x5eed_b007,
                tsc_hz: 2_400_000_000,
                image: "demo",
                platform: Default::default(),
            }),
        );
    }

    pub fn log(&mut self, time_us: u64, level: LogLevel, pid: u32, text: &str) {
        self.send(time_us, Message::Log(Log { level, pid, text }));
    }

    /// Heartbeats every 100 ms of guest time from `from_ms` to `to_ms`,
    /// the guest idle three quarters of the time.
    pub fn heartbeats(&mut self, from_ms: u64, to_ms: u64) {
        for ms in (from_ms..=to_ms).step_by(100) {
            self.heartbeat(ms * 1_000, 3, 4);
        }
    }

    /// One heartbeat at `time_us`, the guest idle for `idle_parts` of
    /// `parts` of its uptime.
    pub fn heartbeat(&mut self, time_us: u64, idle_parts: u64, parts: u64) {
        let uptime_ns = time_us * 1_000;
        self.send(
            time_us,
            Message::Heartbeat(Heartbeat {
                uptime_ns,
                dropped_total: 0,
                idle_ns: uptime_ns * idle_parts / parts,
            }),
        );
    }

    pub fn tick(&mut self, host_ms: u64) {
        self.app.apply(Duration::from_millis(host_ms), Input::Tick);
    }

    pub fn qemu_exits(&mut self, host_ms: u64, exit: QemuExit) {
        let now = Duration::from_millis(host_ms);
        self.app.apply(now, Input::LinkClosed);
        self.app.apply(now, Input::QemuExited(exit));
    }

    /// A normal boot: Hello, a few log lines, 3 s of heartbeats.
    pub fn booted() -> Self {
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

    /// The whole screen at [`WIDTH`] x [`HEIGHT`].
    pub fn screen(&self) -> String {
        self.screen_sized(WIDTH, HEIGHT)
    }

    /// The whole screen at `width` x `height`.
    pub fn screen_sized(&self, width: u16, height: u16) -> String {
        self.terminal(width, height).backend().to_string()
    }

    /// The whole screen at [`WIDTH`] x [`HEIGHT`], with its styles.
    pub fn buffer(&self) -> Buffer {
        self.terminal(WIDTH, HEIGHT).backend().buffer().clone()
    }

    fn terminal(&self, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        terminal
            .draw(|frame| frame.render_widget(&self.app, frame.area()))
            .expect("draws");
        terminal
    }
}
