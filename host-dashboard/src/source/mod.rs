//! The live source: build the image and boot it in QEMU, or attach to a
//! guest that already runs; turn its output into model inputs.
//!
//! [`Live`] owns the link (the QEMU process, or an attached socket, pty or
//! serial device) and the stream decoder. The main loop hands it the
//! [`SourceEvent`]s the reader thread sent and applies the [`Input`]s it
//! returns, stamped with host time since the session started. A recording
//! replays the same inputs (see [`crate::record`]).

mod attach;
mod qemu;

pub use attach::{Address, Attachment};
pub use qemu::{QemuKiller, QemuProcess, STDERR_TAIL_LINES};

use crate::event::{Event, SourceEvent};
use crate::ingest::Ingest;
use crate::state::{AttachInput, Input};
use image_builder::{Accel, BuildError, BuildOutput, BuiltImage, Machine, QemuOptions};
use protocol::command::{Command, HostFrame, MAX_COMMAND_FRAME};
use protocol::frame::{self, MAX_FRAME_LEN};
use std::fmt;
use std::io::Write;
use std::sync::mpsc::Sender;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long QEMU may take to exit after closing its stdout before it is
/// killed.
pub const EXIT_GRACE: Duration = Duration::from_secs(2);

/// The QEMU accelerator a session asks for (`--accel`, and the config
/// file's `[source] accel` as `"tcg"` or `"kvm"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Accelerator {
    /// Software emulation (TCG).
    #[default]
    Tcg,
    /// Hardware virtualisation (KVM).
    Kvm,
}

impl From<Accelerator> for Accel {
    fn from(accel: Accelerator) -> Self {
        match accel {
            Accelerator::Tcg => Accel::Tcg,
            Accelerator::Kvm => Accel::Kvm,
        }
    }
}

/// What a live session watches and how it boots it: the command line's
/// and the config file's choices, resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceOptions {
    /// The image to build and boot (a name or a directory).
    pub image: String,
    /// Attach to this running guest instead of booting one.
    pub attach: Option<Address>,
    /// The accelerator.
    pub accel: Accelerator,
    /// The machine QEMU emulates.
    pub machine: Machine,
    /// Start paused with a gdb server on this port.
    pub gdb: Option<u16>,
    /// QEMU's `-serial` value for COM1 (`None`: stdio).
    pub serial: Option<String>,
    /// The telemetry link: COM1 (the default) or a virtio console.
    pub link: image_builder::Link,
}

impl SourceOptions {
    /// The QEMU options these choices ask for.
    pub fn qemu_options(&self) -> QemuOptions {
        QemuOptions {
            machine: self.machine,
            accel: self.accel.into(),
            wait_for_gdb: self.gdb.is_some(),
            gdb_port: self.gdb,
            extra_args: Vec::new(),
            serial: self.serial.clone(),
            link: self.link,
            ..QemuOptions::default()
        }
    }
}

/// Why a session could not start.
#[derive(Debug)]
pub enum StartError {
    /// The image did not build.
    Build(BuildError),
    /// QEMU is not installed or does not run.
    QemuUnavailable(String),
    /// QEMU could not be started.
    QemuSpawn(std::io::Error),
    /// What the machine needs beyond the image (the ISO, OVMF) could not
    /// be made or found.
    Machine(String),
    /// The accelerator asked for cannot run the OS (the one-line reason:
    /// see `image_builder::probe`).
    Accelerator(String),
    /// The terminal, a thread, or signal handling could not be set up.
    Setup(std::io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Build(error) => write!(f, "build failed: {error}"),
            StartError::QemuUnavailable(reason) => write!(f, "QEMU is not available: {reason}"),
            StartError::QemuSpawn(error) => write!(f, "QEMU could not be started: {error}"),
            StartError::Machine(reason) => write!(f, "{reason}"),
            StartError::Accelerator(reason) => f.write_str(reason),
            StartError::Setup(error) => write!(f, "setup failed: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Checks that QEMU can run (before the long build, so a missing QEMU is
/// said at once), then builds image `name`.
pub fn prepare(name: &str, output: BuildOutput) -> Result<BuiltImage, StartError> {
    image_builder::qemu::check_available().map_err(StartError::QemuUnavailable)?;
    image_builder::build(name, output).map_err(StartError::Build)
}

/// Prints how to attach gdb to `image` (booted with `--gdb`) on stderr and
/// saves it in the image's build directory as `gdb.txt` (the dashboard's
/// screen covers stderr at once).
fn announce_gdb(image: &BuiltImage, port: u16) {
    let text = image_builder::gdb::instructions(image, port);
    let saved = image.dir.join("gdb.txt");
    eprintln!("watchtower: {text}");
    if std::fs::write(&saved, &text).is_ok() {
        eprintln!("watchtower: (saved in {})", saved.display());
    }
}

/// Builds image `name` and returns the QEMU command that boots it with
/// `options`, as one shell-quoted line. With `--gdb`, how to attach gdb
/// goes to stderr.
pub fn qemu_command_line(name: &str, options: &QemuOptions) -> Result<String, StartError> {
    let image = image_builder::build(name, BuildOutput::Inherit).map_err(StartError::Build)?;
    if options.wait_for_gdb {
        announce_gdb(
            &image,
            options
                .gdb_port
                .unwrap_or(image_builder::qemu::DEFAULT_GDB_PORT),
        );
    }
    image_builder::qemu::prepare(&image, options).map_err(StartError::Machine)?;
    let command = image_builder::qemu::command(&image, options);
    let words = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|word| image_builder::gdb::shell_quote(&word.to_string_lossy()));
    Ok(words.collect::<Vec<_>>().join(" "))
}

/// Opens the session's source as `boot` asks: attaches to its address, or
/// builds its image (cargo's output going to `output`) and boots it. Under
/// KVM, the accelerator probe runs first (once per host, then cached) and
/// a KVM that cannot run ring-3 system calls is refused with one line.
/// Returns the image's name (`None` when attached: the guest's Hello names
/// it) and the live source.
pub fn open(
    boot: &SourceOptions,
    output: BuildOutput,
    events: Sender<Event>,
) -> Result<(Option<String>, Live), StartError> {
    match &boot.attach {
        Some(address) => Ok((None, Live::attach(address.clone(), events)?)),
        None => {
            if boot.accel == Accelerator::Kvm {
                image_builder::qemu::check_available().map_err(StartError::QemuUnavailable)?;
                // The probe builds quietly (it takes a second): the refusal stays one line.
                image_builder::probe::check_kvm(BuildOutput::Capture)
                    .map_err(StartError::Accelerator)?;
            }
            let image = prepare(&boot.image, output)?;
            if let Some(port) = boot.gdb {
                announce_gdb(&image, port);
            }
            let options = boot.qemu_options();
            image_builder::qemu::prepare(&image, &options).map_err(StartError::Machine)?;
            let live = Live::start(&image, &options, events)?;
            Ok((Some(image.name), live))
        }
    }
}

/// Builds image `name` and its bootable ISO (GRUB for BIOS and UEFI, the
/// kernel through multiboot2, the programs as a boot module) and copies the
/// ISO to `to`: `--write-iso`. Returns the ISO's size in bytes.
pub fn write_iso(name: &str, to: &std::path::Path) -> Result<u64, StartError> {
    let image = image_builder::build(name, BuildOutput::Inherit).map_err(StartError::Build)?;
    let iso = image_builder::iso::build_iso(&image)
        .map_err(|error| StartError::Machine(error.to_string()))?;
    std::fs::copy(&iso, to).map_err(|error| {
        StartError::Machine(format!("copying the ISO to {}: {error}", to.display()))
    })
}

/// Locks `mutex`, also after a thread panicked holding it (the data it
/// guards stays usable: a link's writer, QEMU's child handle).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where the telemetry comes from: a QEMU the dashboard started, or a link
/// to a guest that already runs.
#[derive(Debug)]
enum Link {
    Qemu(QemuProcess),
    Attached(Attachment),
}

/// A running guest whose telemetry feeds the model.
#[derive(Debug)]
pub struct Live {
    link: Link,
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
        Ok(Self::with_link(Link::Qemu(qemu), started))
    }

    /// Attaches to the guest stream at `address`, retrying until it
    /// connects and whenever it drops; what it reads goes to `events`.
    pub fn attach(address: Address, events: Sender<Event>) -> Result<Self, StartError> {
        let started = Instant::now();
        let attachment = Attachment::start(address, events).map_err(StartError::Setup)?;
        Ok(Self::with_link(Link::Attached(attachment), started))
    }

    fn with_link(link: Link, started: Instant) -> Self {
        Self {
            link,
            ingest: Ingest::new(),
            started,
            next_command_id: 1,
        }
    }

    /// The input announcing the start, for the model.
    pub fn started_input(&self) -> Input {
        match &self.link {
            Link::Qemu(qemu) => Input::QemuStarted { pid: qemu.pid() },
            Link::Attached(attachment) => Input::Attach(AttachInput::Started {
                address: attachment.address().to_string(),
            }),
        }
    }

    /// Host time since the session started.
    pub fn now(&self) -> Duration {
        self.started.elapsed()
    }

    /// Host time of `instant` since the session started.
    pub fn since_start(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.started)
    }

    /// A handle that kills QEMU from a panic hook, if this session started
    /// one.
    pub fn killer(&self) -> Option<QemuKiller> {
        match &self.link {
            Link::Qemu(qemu) => Some(qemu.killer()),
            Link::Attached(_) => None,
        }
    }

    /// The model inputs `event` stands for, each with its host time. When
    /// QEMU's stream closes, this waits (at most [`EXIT_GRACE`]) for its exit
    /// status.
    pub fn handle(&mut self, event: SourceEvent) -> Vec<(Duration, Input)> {
        let stamp = |at: Duration, inputs: Vec<Input>| -> Vec<(Duration, Input)> {
            inputs.into_iter().map(|input| (at, input)).collect()
        };
        match event {
            SourceEvent::Serial { bytes, at } => {
                stamp(self.since_start(at), self.ingest.push(&bytes))
            }
            SourceEvent::Closed { at } => {
                let closed_at = self.since_start(at);
                let mut inputs = vec![(closed_at, Input::LinkClosed)];
                if let Link::Qemu(qemu) = &mut self.link {
                    let exit = qemu.wait_for_exit(EXIT_GRACE);
                    inputs.push((self.now(), Input::QemuExited(exit)));
                }
                inputs
            }
            SourceEvent::Connected { at } => {
                stamp(self.since_start(at), self.ingest.attach(AttachInput::Up))
            }
            SourceEvent::Disconnected { at, reason } => stamp(
                self.since_start(at),
                self.ingest.attach(AttachInput::Down { reason }),
            ),
            SourceEvent::Unreachable { at, reason } => stamp(
                self.since_start(at),
                self.ingest.attach(AttachInput::Unreachable { reason }),
            ),
        }
    }

    /// Sends `command` to the guest over its serial receive line, framed
    /// like the telemetry, and returns the id its answer will carry.
    pub fn send_command(&mut self, command: Command<String>) -> std::io::Result<u32> {
        let id = self.next_command_id;
        let frame = HostFrame {
            id,
            command: command.borrowed(),
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
        match &mut self.link {
            Link::Qemu(qemu) => {
                let input = qemu.serial_input().ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::BrokenPipe,
                        "the guest's serial input is closed",
                    )
                })?;
                input.write_all(&bytes[..len])?;
                input.flush()?;
            }
            Link::Attached(attachment) => attachment.send(&bytes[..len])?,
        }
        self.next_command_id = id.wrapping_add(1).max(1);
        Ok(id)
    }

    /// Kills QEMU if it still runs, and reaps it; or closes the attached
    /// link.
    pub fn stop(&mut self) {
        match &mut self.link {
            Link::Qemu(qemu) => qemu.stop(),
            Link::Attached(attachment) => attachment.stop(),
        }
    }
}
