//! The dashboard's pure state model: inputs in, state out.
//!
//! [`State`] is changed only by [`State::apply`], fed with [`Input`]s: the
//! decoded frames, the decoder's link counters, and what happened to QEMU.
//! Every input carries the host time it happened at (time since the session
//! started), so nothing here reads a clock and every behaviour can be driven
//! from a test. The UI renders a `&State`; headless mode summarises one.
//!
//! The parts: what the guest said about itself ([`Guest`]), its log
//! ([`LogRing`]), the link ([`Link`]), the QEMU process ([`QemuState`]), its
//! processes, exits, event counts and memory, and its process-event system:
//! subscribers, event flow, stuck events ([`System`]); and the answers to
//! host commands ([`Commands`]). Rates over time ([`Link`] in host time,
//! [`Process`] and [`SystemMemory`] in guest time) come from sliding
//! windows of counter samples.

mod attach;
mod commands;
mod flow;
mod guest;
mod history;
mod lifecycle;
mod link;
mod log;
mod memory;
mod names;
mod process;
mod qemu;
mod rounds;
mod stuck;
mod subscribers;
mod system;
mod verdict;
mod warnings;
mod window;

pub use attach::{AttachInput, Attachment};
pub use commands::{COMMAND_RESULTS, CommandReport, Commands, Rejection};
pub use flow::{
    EVENT_HISTORY, EventEnd, EventFlow, EventRecord, FlowCounts, FollowUp, FollowUpKind,
    IgnoredAckRecord, IgnoredCounts, KindCounts, Notification, NotificationOutcome, UnseenEnd,
};
pub use guest::{Guest, GuestIdentity, INJECT_PREFIX, INJECTIONS_KEPT, PanicReport, PlatformNames};
pub use history::{HISTORY_SAMPLES, History, HistorySample};
pub use lifecycle::{LifecycleCounts, SignalOutcomes};
pub use link::{Link, LinkCondition, RATE_WINDOW, STALE_AFTER};
pub use log::{DEFAULT_LOG_CAPACITY, LogLine, LogRing, level_name};
pub use memory::{DISK_RATE_WINDOW, SystemMemory};
pub use names::{
    Backing, command_outcome_text, event_kind_bit, event_kind_name, ignored_reason_name,
    mask_kinds, mask_names, outcome_name, perms_string, process_state_name, region_kind_name,
    reject_reason_name, signal_label, signal_name,
};
pub use process::{FAULT_HISTORY, FaultSample, PAGE_SIZE, PROCESS_RATE_WINDOW, Process, Region};
pub use qemu::{QemuExit, QemuState};
pub use rounds::SnapshotRounds;
pub use stuck::{
    Clearance, DEFAULT_STUCK_AFTER, StuckEvent, StuckWarning, StuckWatch, WARNING_CAPACITY, Waiter,
};
pub use subscribers::{LATENCY_SAMPLES, OldestWaiter, SnapshotFacts, Subscriber, SubscriberTable};
pub use system::{EXITED_CAPACITY, ExitedProcess, System, UNKNOWN_NAME};
pub use verdict::{Failure, describe_fault, exception_name, exit_code_meaning, one_line};
pub use warnings::{FaultStorm, SlowAcks, Thresholds, WarningCounts, Warnings};

use protocol::PROTOCOL_VERSION;
use protocol::message::{Message, OwnedFrame};
use protocol::stream::LinkStats;
use std::time::Duration;

/// Something that happened, for [`State::apply`].
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// QEMU was started.
    QemuStarted {
        /// Its process id.
        pid: u32,
    },
    /// A frame was decoded.
    Frame(OwnedFrame),
    /// The decoder's counters after the bytes that carried the frames.
    LinkStats(LinkStats),
    /// The byte stream from the guest ended.
    LinkClosed,
    /// QEMU exited.
    QemuExited(QemuExit),
    /// Something happened to an attached link (instead of QEMU).
    Attach(AttachInput),
    /// Time passed (for rates and staleness).
    Tick,
}

/// Everything the dashboard knows about the session.
#[derive(Clone, Debug)]
pub struct State {
    /// The image booted; `None` while an attached session waits for the
    /// guest's Hello to name it.
    image: Option<String>,
    now: Duration,
    guest: Guest,
    refused_version: Option<u16>,
    log: LogRing,
    link: Link,
    qemu: QemuState,
    attachment: Option<Attachment>,
    system: System,
    commands: Commands,
    stuck_after: Duration,
    last_seq: Option<u32>,
    thresholds: Thresholds,
    /// Host time of the latest heartbeat.
    last_heartbeat_at: Option<Duration>,
    /// System-wide history, one sample per snapshot round.
    history: History,
}

impl State {
    /// The state at the start of a session booting image `image`.
    pub fn new(image: impl Into<String>) -> Self {
        Self::for_image(Some(image.into()))
    }

    /// A session that boots `image`, or (`None`) one attached to a running
    /// guest, whose image is known once its Hello names it.
    pub fn for_image(image: Option<String>) -> Self {
        Self {
            image,
            now: Duration::ZERO,
            guest: Guest::default(),
            refused_version: None,
            log: LogRing::with_capacity(DEFAULT_LOG_CAPACITY),
            link: Link::default(),
            qemu: QemuState::default(),
            attachment: None,
            system: System::default(),
            commands: Commands::default(),
            stuck_after: DEFAULT_STUCK_AFTER,
            last_seq: None,
            thresholds: Thresholds::default(),
            last_heartbeat_at: None,
            history: History::default(),
        }
    }

    /// This state, keeping at most `log_capacity` log lines (from the
    /// start: lines already kept are dropped).
    pub fn with_log_capacity(mut self, log_capacity: usize) -> Self {
        self.log = LogRing::with_capacity(log_capacity);
        self
    }

    /// This state, counting an event as stuck once a process has waited
    /// `threshold` of guest time on one subscriber.
    pub fn with_stuck_after(mut self, threshold: Duration) -> Self {
        self.stuck_after = threshold;
        self
    }

    /// This state, warning past `thresholds`.
    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// The limits past which something is a warning.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// What needs attention now.
    pub fn warnings(&self) -> Warnings {
        Warnings::of(self)
    }

    /// Host time since the latest heartbeat (or since QEMU started, before
    /// the first), while QEMU runs and the link is open; `None` otherwise.
    pub fn heartbeat_silence(&self) -> Option<Duration> {
        let started = self.source_up_since()?;
        if self.link.closed {
            return None;
        }
        let since = self.last_heartbeat_at.unwrap_or(started).max(started);
        Some(self.now.saturating_sub(since))
    }

    /// How long a process may wait on one subscriber before its event
    /// counts as stuck (guest time).
    pub fn stuck_after(&self) -> Duration {
        self.stuck_after
    }

    /// Applies one input that happened at host time `now`. The model's clock
    /// never goes backwards: an earlier `now` counts as the latest one.
    pub fn apply(&mut self, now: Duration, input: Input) {
        self.now = self.now.max(now);
        let now = self.now;
        match input {
            Input::QemuStarted { pid } => self.qemu = QemuState::Running { pid, since: now },
            Input::Frame(frame) => self.frame(now, frame),
            Input::LinkStats(stats) => self.link.update_stats(now, stats),
            Input::LinkClosed => self.link.closed = true,
            Input::QemuExited(exit) => self.qemu = QemuState::Exited(exit),
            Input::Attach(AttachInput::Started { address }) => {
                self.attachment = Some(Attachment::new(address, now));
            }
            Input::Attach(input) => {
                if let Some(attachment) = &mut self.attachment {
                    attachment.apply(now, input);
                }
            }
            Input::Tick => self.link.tick(now),
        }
    }

    fn frame(&mut self, now: Duration, frame: OwnedFrame) {
        self.link.frame_arrived(now);
        if self.refused_version.is_some() {
            return;
        }
        let time_us = frame.header.time_us;
        let seq = frame.header.seq;
        let lost = frame.header.dropped_before > 0
            || self
                .last_seq
                .is_some_and(|last| seq != last.wrapping_add(1));
        self.last_seq = Some(seq);
        if lost && !matches!(frame.message, Message::Hello(_)) {
            self.system.frames_lost();
        }
        match frame.message {
            Message::Hello(hello) if hello.protocol_version != PROTOCOL_VERSION => {
                self.refused_version = Some(hello.protocol_version);
                return;
            }
            Message::Hello(hello) => {
                self.guest.hello(hello, time_us);
                self.system = System::default();
                self.history = History::default();
            }
            Message::Heartbeat(heartbeat) => {
                self.last_heartbeat_at = Some(now);
                self.guest.heartbeat(heartbeat);
            }
            Message::Log(log) => {
                self.guest.log_line(&log.text);
                self.log.push(LogLine {
                    time_us,
                    level: log.level,
                    pid: log.pid,
                    text: log.text,
                });
            }
            Message::Panic(panic) => self.guest.panic = Some(panic.into()),
            Message::KernelFault(fault) => self.guest.fault = Some(fault),
            Message::PowerOff(power_off) => self.guest.power_off = Some(power_off.exit_code),
            Message::Spawn(spawn) => self.system.spawn(time_us, spawn),
            Message::Exit(exit) => self.system.exit(time_us, exit),
            Message::Signal(signal) => self.system.signal(time_us, signal),
            Message::SignalHandled(handled) => self.system.signal_handled(time_us, handled),
            Message::UserFault(fault) => {
                self.guest.user_fault(&fault);
                self.system.user_fault(time_us, fault);
            }
            Message::BadPointer(bad) => self.system.bad_pointer(time_us, bad),
            Message::Reaped(reaped) => self.system.reaped(time_us, reaped),
            Message::Process(process) => self.system.process_snapshot(time_us, process),
            Message::Region(region) => self.system.region_snapshot(region),
            Message::Memory(memory) => self.system.memory_snapshot(time_us, memory),
            Message::SnapshotDone(done) => {
                self.system.snapshot_done(time_us, done);
                self.history
                    .sample(time_us, &self.system, self.link.stats.frames);
            }
            Message::Subscribed(subscribed) => self.system.subscribed(subscribed),
            Message::Publish(publish) => self.system.published(time_us, publish),
            Message::Ack(ack) => self.system.acked(ack),
            Message::AckIgnored(ignored) => self.system.ack_ignored(time_us, ignored),
            Message::EventDone(done) => self.system.event_done(time_us, done),
            Message::Subscriber(subscriber) => {
                self.system.subscriber_snapshot(time_us, subscriber);
            }
            Message::CommandResult(result) => self.commands.result(time_us, result),
            Message::CommandRejected(rejected) => self.commands.rejected(time_us, rejected),
            Message::VmFlags(flags) => self.system.vm_flags(flags),
            Message::LatencyHistogram(histogram) => self.system.latency_histogram(histogram),
            Message::PageFault(fault) => self.system.page_fault(time_us, fault),
        }
        self.guest.observe_time(time_us);
        let threshold_ns = u64::try_from(self.stuck_after.as_nanos()).unwrap_or(u64::MAX);
        self.system
            .refresh_stuck(self.guest.uptime_ns, threshold_ns);
    }

    /// The image this session boots.
    ///
    /// A session that attached to a running guest does not know the image
    /// until the guest's Hello names it: until then this is empty.
    pub fn image(&self) -> &str {
        match (&self.image, &self.guest.identity) {
            (Some(image), _) => image,
            (None, Some(identity)) => &identity.image,
            (None, None) => "",
        }
    }

    /// The latest host time the model has seen.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// What the guest reported about itself.
    pub fn guest(&self) -> &Guest {
        &self.guest
    }

    /// The guest's protocol version, if its Hello was refused for it.
    pub fn refused_version(&self) -> Option<u16> {
        self.refused_version
    }

    /// The log ring.
    pub fn log(&self) -> &LogRing {
        &self.log
    }

    /// Link counters and rates.
    pub fn link(&self) -> &Link {
        &self.link
    }

    /// The link's condition now.
    pub fn link_condition(&self) -> LinkCondition {
        if let Some(down_since) = self.attachment.as_ref().and_then(|a| a.down_since)
            && !self.link.closed
        {
            return LinkCondition::Down {
                for_: self.now.saturating_sub(down_since),
            };
        }
        self.link.condition(self.now, self.source_up_since())
    }

    /// Host time the source came up, while it is up: QEMU running, or an
    /// attached link connected.
    fn source_up_since(&self) -> Option<Duration> {
        self.qemu.running_since().or_else(|| {
            self.attachment
                .as_ref()
                .and_then(|attachment| attachment.up_since)
        })
    }

    /// The attached link, when the session attached instead of starting
    /// QEMU.
    pub fn attachment(&self) -> Option<&Attachment> {
        self.attachment.as_ref()
    }

    /// The QEMU process's lifecycle.
    pub fn qemu(&self) -> &QemuState {
        &self.qemu
    }

    /// The guest's processes, exits, event counters and memory.
    pub fn system(&self) -> &System {
        &self.system
    }

    /// System-wide history for the charts.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The answers to host commands.
    pub fn commands(&self) -> &Commands {
        &self.commands
    }

    /// The guest's exit code: from its PowerOff frame, else from QEMU's exit
    /// status, else none (still running, or no code available).
    pub fn exit_code(&self) -> Option<u8> {
        self.guest
            .power_off
            .or_else(|| self.qemu.exit().and_then(QemuExit::guest_exit_code))
    }

    /// Why the run failed, if it did (so far). In order: an unknown protocol,
    /// a kernel panic, a kernel fault, a non-zero guest exit code, QEMU dying
    /// without an exit code, and a link that ended without a single frame.
    pub fn failure(&self) -> Option<Failure> {
        if let Some(guest) = self.refused_version {
            return Some(Failure::ProtocolRefused {
                guest,
                ours: PROTOCOL_VERSION,
            });
        }
        if let Some(panic) = &self.guest.panic {
            return Some(Failure::KernelPanic(panic.clone()));
        }
        if let Some(fault) = self.guest.fault {
            return Some(Failure::KernelFault(fault));
        }
        match (self.exit_code(), self.qemu.exit()) {
            (Some(0), _) => {}
            (Some(code), _) => return Some(Failure::GuestExit { code }),
            (None, Some(exit)) => return Some(Failure::QemuDied(exit.clone())),
            (None, None) => {}
        }
        let ended = self.link.closed || self.qemu.exit().is_some();
        if ended { self.no_telemetry() } else { None }
    }

    /// [`Failure::NoTelemetry`] if no frame was decoded so far.
    pub fn no_telemetry(&self) -> Option<Failure> {
        let stats = &self.link.stats;
        self.link
            .last_frame_at
            .is_none()
            .then_some(Failure::NoTelemetry {
                waited: self.now,
                bytes: stats.bytes,
                bad_frames: stats.crc_errors + stats.malformed + stats.oversize,
            })
    }
}

#[cfg(test)]
mod process_event_tests;
#[cfg(test)]
mod tests;
