//! The live source: build the image, boot it in QEMU, turn its output into
//! model inputs.
//!
//! [`Live`] owns the QEMU process and the stream decoder. The main loop hands
//! it the [`SourceEvent`]s the serial reader sent and applies the
//! [`Input`]s it returns, stamped with host time since QEMU started. Other
//! sources (a recording, a socket) can produce the same events later.

mod qemu;

pub use qemu::{QemuKiller, QemuProcess, STDERR_TAIL_LINES};

use crate::event::{Event, SourceEvent};
use crate::ingest::Ingest;
use crate::state::Input;
use image_builder::{BuildError, BuildOutput, BuiltImage, QemuOptions};
use protocol::command::{Command, HostFrame, MAX_COMMAND_FRAME};
use protocol::frame::{self, MAX_FRAME_LEN};
use std::fmt;
use std::io::Write;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// How long QEMU may take to exit after closing its stdout before it is
/// killed.
pub const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Why a session could not start.
#[derive(Debug)]
pub enum StartError {
    /// The image did not build.
    Build(BuildError),
    /// QEMU is not installed or does not run.
    QemuUnavailable(String),
    /// QEMU could not be started.
    QemuSpawn(std::io::Error),
    /// The terminal, a thread, or signal handling could not be set up.
    Setup(std::io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Build(error) => write!(f, "build failed: {error}"),
            StartError::QemuUnavailable(reason) => write!(f, "QEMU is not available: {reason}"),
            StartError::QemuSpawn(error) => write!(f, "QEMU could not be started: {error}"),
            StartError::Setup(error) => write!(f, "setup failed: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Builds image `name` and checks that QEMU can run it.
pub fn prepare(name: &str, output: BuildOutput) -> Result<BuiltImage, StartError> {
    let image = image_builder::build(name, output).map_err(StartError::Build)?;
    image_builder::qemu::check_available().map_err(StartError::QemuUnavailable)?;
    Ok(image)
}

/// A booted image whose telemetry feeds the model.
#[derive(Debug)]
pub struct Live {
    qemu: QemuProcess,
    ingest: Ingest,
    started: Instant,
    /// The id of the next command frame (ids count up from 1).
    next_command_id: u32,
}

impl Live {
    /// Boots `image` in QEMU; serial output goes to `events`.
    pub fn start(
        image: &BuiltImage,
        options: &QemuOptions,
        events: Sender<Event>,
    ) -> Result<Self, StartError> {
        let started = Instant::now();
        let qemu = QemuProcess::spawn(image, options, events).map_err(StartError::QemuSpawn)?;
        Ok(Self {
            qemu,
            ingest: Ingest::new(),
            started,
            next_command_id: 1,
        })
    }

    /// The input announcing the start, for the model.
    pub fn started_input(&self) -> Input {
        Input::QemuStarted {
            pid: self.qemu.pid(),
        }
    }

    /// Host time since QEMU started.
    pub fn now(&self) -> Duration {
        self.started.elapsed()
    }

    /// Host time of `instant` since QEMU started.
    pub fn since_start(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.started)
    }

    /// A handle that kills QEMU from a panic hook.
    pub fn killer(&self) -> QemuKiller {
        self.qemu.killer()
    }

    /// The model inputs `event` stands for, each with its host time. When
    /// the stream closes, this waits (at most [`EXIT_GRACE`]) for QEMU's exit
    /// status.
    pub fn handle(&mut self, event: SourceEvent) -> Vec<(Duration, Input)> {
        match event {
            SourceEvent::Serial { bytes, at } => {
                let now = self.since_start(at);
                self.ingest
                    .push(&bytes)
                    .into_iter()
                    .map(|input| (now, input))
                    .collect()
            }
            SourceEvent::Closed { at } => {
                let closed_at = self.since_start(at);
                let exit = self.qemu.wait_for_exit(EXIT_GRACE);
                vec![
                    (closed_at, Input::LinkClosed),
                    (self.now(), Input::QemuExited(exit)),
                ]
            }
        }
    }

    /// Sends `command` to the guest over its serial receive line, framed
    /// like the telemetry, and returns the id its answer will carry.
    pub fn send_command(&mut self, command: Command<String>) -> std::io::Result<u32> {
        let id = self.next_command_id;
        let frame = HostFrame {
            id,
            command: borrowed(&command),
        };
        let mut bytes = [0u8; MAX_FRAME_LEN];
        let len = frame::encode(&frame, &mut bytes).map_err(|error| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("command does not encode: {error:?}"),
            )
        })?;
        if len > MAX_COMMAND_FRAME {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("command is {len} bytes, the guest takes at most {MAX_COMMAND_FRAME}"),
            ));
        }
        let input = self.qemu.serial_input().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the guest's serial input is closed",
            )
        })?;
        input.write_all(&bytes[..len])?;
        input.flush()?;
        self.next_command_id = id.wrapping_add(1).max(1);
        Ok(id)
    }

    /// Kills QEMU if it still runs, and reaps it.
    pub fn stop(&mut self) {
        self.qemu.stop();
    }
}

/// `command` with its strings borrowed, as the wire format encodes them.
fn borrowed(command: &Command<String>) -> Command<&str> {
    match command {
        Command::Ping => Command::Ping,
        Command::Signal { pid, signal } => Command::Signal {
            pid: *pid,
            signal: *signal,
        },
        Command::Spawn { program, args } => Command::Spawn {
            program: program.as_str(),
            args: args.as_str(),
        },
        Command::SetSnapshotInterval { ms } => Command::SetSnapshotInterval { ms: *ms },
    }
}
