//! The headless JSON summary, derived from the state model alone.
//!
//! The shape is the headless contract (`host-dashboard/schema/summary.schema.json`: `image`,
//! `protocol_version`, `guest`, `link`, `processes`, `exited`,
//! `subscribers`, `events`), plus extra fields: `failure` (the one-line
//! reason, or null), `guest` details, all link counters, `qemu`, `memory`,
//! `attach`, `snapshots`, `commands`, `warnings`, `reliability` (counts by kind), and detail inside processes, exits (see
//! [`system`]), subscribers and events (see [`process_events`]).

mod process_events;
mod system;

pub use process_events::{
    BucketSummary, CommandsSummary, EventsSummary, HistogramSummary, LatencySummary, OldestSummary,
    ResultSummary, StuckSummary, SubscriberSummary, WarningSummary,
};
pub use system::{
    ExitedSummary, MemorySummary, ProcessSummary, RegionSummary, SnapshotsSummary, UserFaultSummary,
};

use super::verdict;
pub use crate::state::WarningCounts;
use crate::state::{
    LogLine, PanicReport, PlatformNames, QemuState, State, describe_fault, exception_name,
};
use protocol::PROTOCOL_VERSION;
use protocol::stream::LinkStats;
use serde::Serialize;

/// Log lines included in `guest.log_tail`.
pub const LOG_TAIL_LINES: usize = 20;

/// The summary object printed by headless mode.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Summary<'a> {
    /// The version of this object's schema (`host-dashboard/schema/`):
    /// [`crate::schema::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The image that was booted.
    pub image: &'a str,
    /// The guest's protocol version (from its Hello), or ours if it never
    /// said Hello.
    pub protocol_version: u16,
    /// Why the run failed, or null.
    pub failure: Option<String>,
    /// What the guest reported.
    pub guest: GuestSummary<'a>,
    /// Link counters.
    pub link: LinkStats,
    /// The QEMU process (not running and without a status when the session
    /// attached to a guest instead).
    pub qemu: QemuSummary<'a>,
    /// The attached link, or null when the dashboard started QEMU itself.
    pub attach: Option<AttachSummary<'a>>,
    /// Live processes (not yet reaped), by pid.
    pub processes: Vec<ProcessSummary<'a>>,
    /// Processes that began to exit, oldest first.
    pub exited: Vec<ExitedSummary<'a>>,
    /// The PM's subscriber table, in subscription order.
    pub subscribers: Vec<SubscriberSummary<'a>>,
    /// Lifecycle and process-event counts, stuck events and warnings.
    pub events: EventsSummary<'a>,
    /// Answers to host commands.
    pub commands: CommandsSummary,
    /// System memory, or null before the first snapshot of it.
    pub memory: Option<MemorySummary>,
    /// How complete the snapshot rounds were.
    pub snapshots: SnapshotsSummary,
    /// What needs attention at the end of the run, counted by kind.
    pub warnings: WarningCounts,
    /// Faults injected and what the system did about them.
    pub reliability: ReliabilitySummary<'a>,
}

/// The `reliability` object: what was injected (as the test programs
/// announced it) and what the system and the link did, so that a run shows
/// at a glance that nothing was lost unaccounted.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ReliabilitySummary<'a> {
    /// Every `inject ...` line the guest's programs logged, without the
    /// prefix, in order.
    pub injected: &'a [String],
    /// Whether the kernel kept going: no panic and no kernel fault.
    pub kernel_survived: bool,
    /// Processes killed for want of memory.
    pub oom_kills: u64,
    /// Processes that faulted (each became a signal).
    pub user_faults: u64,
    /// System calls refused for a bad pointer.
    pub bad_pointers: u64,
    /// Frames the guest's ring dropped, as the frames after them reported.
    pub frames_dropped_reported: u64,
    /// Frames the guest's ring dropped, by its own latest count.
    pub frames_dropped_total: u64,
    /// Whether every drop the guest counted was reported on the link.
    pub drops_all_reported: bool,
    /// Frames lost on the link itself (sequence gaps) and bad frames.
    pub seq_gaps: u64,
    /// Frames that failed the CRC or did not decode.
    pub bad_frames: u64,
    /// Host command frames the guest rejected.
    pub commands_rejected: u64,
    /// Times an attached link was connected again (connections after the
    /// first).
    pub reconnects: u32,
}

/// The `guest` object.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct GuestSummary<'a> {
    /// Guest uptime in nanoseconds.
    pub uptime_ns: u64,
    /// Exit code from PowerOff or QEMU's status; null while running.
    pub exit_code: Option<u8>,
    /// The kernel panic, or null.
    pub panic: Option<PanicSummary<'a>>,
    /// The kernel fault, or null.
    pub fault: Option<FaultSummary>,
    /// The guest's protocol version, null before its Hello.
    pub protocol_version: Option<u16>,
    /// Boot id from Hello, or null.
    pub boot_id: Option<u64>,
    /// TSC frequency from Hello, or null.
    pub tsc_hz: Option<u64>,
    /// Image name the guest reported, or null.
    pub image: Option<&'a str>,
    /// What the guest found itself running on (machine, boot path,
    /// firmware, disk, where its programs came from), from its Hello; null
    /// before it.
    pub platform: Option<PlatformNames>,
    /// Hello frames seen.
    pub boots: u32,
    /// Heartbeats received.
    pub heartbeats: u64,
    /// Idle time from the last heartbeat.
    pub idle_ns: u64,
    /// Frames the guest's ring dropped, from the last heartbeat.
    pub dropped_total: u64,
    /// The last log lines, oldest first.
    pub log_tail: Vec<&'a LogLine>,
}

/// The `guest.panic` object.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PanicSummary<'a> {
    /// The message.
    pub message: &'a str,
    /// `file:line:column`.
    pub location: String,
    /// Source file.
    pub file: &'a str,
    /// Line.
    pub line: u32,
    /// Column.
    pub column: u32,
}

/// The `guest.fault` object.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct FaultSummary {
    /// Exception vector.
    pub vector: u8,
    /// Exception name, e.g. `#PF page fault`.
    pub name: &'static str,
    /// CPU error code.
    pub error_code: u64,
    /// Instruction pointer.
    pub rip: u64,
    /// Faulting address (CR2) for page faults.
    pub fault_address: u64,
    /// One-line description.
    pub description: String,
}

/// The `qemu` object.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct QemuSummary<'a> {
    /// Whether QEMU was still running when the run ended (it is stopped
    /// afterwards).
    pub running: bool,
    /// Exit status, when it exited by itself.
    pub status: Option<i32>,
    /// Signal that ended it, when one did.
    pub signal: Option<i32>,
    /// Its last stderr lines.
    pub stderr_tail: &'a [String],
}

/// The `attach` object: a link to a guest that already ran.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct AttachSummary<'a> {
    /// The address, as given to --attach.
    pub address: &'a str,
    /// Whether the link was up at the end of the run.
    pub up: bool,
    /// How many times it connected.
    pub connects: u32,
    /// How many times a connected link dropped (each followed by a retry).
    pub disconnects: u32,
    /// The latest reason it was down or could not connect.
    pub last_problem: Option<&'a str>,
}

impl<'a> From<&'a crate::state::Attachment> for AttachSummary<'a> {
    fn from(attachment: &'a crate::state::Attachment) -> Self {
        Self {
            address: &attachment.address,
            up: attachment.is_up(),
            connects: attachment.connects,
            disconnects: attachment.disconnects,
            last_problem: attachment.last_problem.as_deref(),
        }
    }
}

impl<'a> From<&'a PanicReport> for PanicSummary<'a> {
    fn from(panic: &'a PanicReport) -> Self {
        Self {
            message: &panic.message,
            location: panic.location(),
            file: &panic.file,
            line: panic.line,
            column: panic.column,
        }
    }
}

/// Summarises `state`.
pub fn summarize(state: &State) -> Summary<'_> {
    let guest = state.guest();
    let identity = guest.identity.as_ref();
    let guest_version = state
        .refused_version()
        .or(identity.map(|identity| identity.protocol_version));
    let log = state.log();
    let system = state.system();
    let (running, status, signal, stderr_tail) = match state.qemu() {
        QemuState::Exited(exit) => (false, exit.status, exit.signal, exit.stderr_tail.as_slice()),
        QemuState::Running { .. } => (true, None, None, &[][..]),
        QemuState::NotStarted => (false, None, None, &[][..]),
    };
    Summary {
        schema_version: crate::schema::SCHEMA_VERSION,
        image: state.image(),
        protocol_version: guest_version.unwrap_or(PROTOCOL_VERSION),
        failure: verdict(state).map(|failure| failure.to_string()),
        guest: GuestSummary {
            uptime_ns: guest.uptime_ns,
            exit_code: state.exit_code(),
            panic: guest.panic.as_ref().map(PanicSummary::from),
            fault: guest.fault.map(|fault| FaultSummary {
                vector: fault.vector,
                name: exception_name(fault.vector),
                error_code: fault.error_code,
                rip: fault.rip,
                fault_address: fault.fault_address,
                description: describe_fault(&fault),
            }),
            protocol_version: guest_version,
            boot_id: identity.map(|identity| identity.boot_id),
            tsc_hz: identity.map(|identity| identity.tsc_hz),
            image: identity.map(|identity| identity.image.as_str()),
            platform: identity.map(|identity| PlatformNames::from(&identity.platform)),
            boots: guest.boots,
            heartbeats: guest.heartbeats,
            idle_ns: guest.idle_ns,
            dropped_total: guest.dropped_total,
            log_tail: log
                .lines()
                .skip(log.len().saturating_sub(LOG_TAIL_LINES))
                .collect(),
        },
        link: state.link().stats,
        qemu: QemuSummary {
            running,
            status,
            signal,
            stderr_tail,
        },
        attach: state.attachment().map(AttachSummary::from),
        processes: system.live().map(ProcessSummary::from).collect(),
        exited: system.exited().map(ExitedSummary::from).collect(),
        subscribers: process_events::subscribers(system, guest.uptime_ns),
        events: process_events::events(system),
        commands: CommandsSummary::from(state.commands()),
        memory: system.memory().map(MemorySummary::from),
        snapshots: SnapshotsSummary::of(system),
        warnings: WarningCounts::from(&state.warnings()),
        reliability: ReliabilitySummary {
            injected: &guest.injections,
            kernel_survived: guest.panic.is_none() && guest.fault.is_none(),
            oom_kills: guest.oom_kills,
            user_faults: system.lifecycle().user_fault,
            bad_pointers: system.lifecycle().bad_pointer,
            frames_dropped_reported: state.link().stats.guest_dropped,
            frames_dropped_total: guest.dropped_total,
            drops_all_reported: state.link().stats.guest_dropped == guest.dropped_total,
            seq_gaps: state.link().stats.seq_gaps,
            bad_frames: state.link().stats.crc_errors
                + state.link().stats.malformed
                + state.link().stats.oversize,
            commands_rejected: state.commands().rejected,
            reconnects: state
                .attachment()
                .map_or(0, |attachment| attachment.connects.saturating_sub(1)),
        },
    }
}

#[cfg(test)]
mod tests;
