//! What the user asked for that the app cannot do by itself: commands for
//! the guest and controls of a replay.
//!
//! [`super::App::perform`] queues them; the main loop takes them with
//! [`super::App::take_requests`] and hands them to the source, which sends
//! a command over the serial receive line (live sources) or moves the
//! playback (a replay). The guest's answer comes back as telemetry
//! (`CommandResult` / `CommandRejected`), which the state model keeps; a
//! source that cannot carry a request (a replay cannot send commands)
//! answers through [`crate::state::Input`] like any other failure, so the
//! screen can say why.

use protocol::command::Command;
use std::time::Duration;

/// One request for the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Send this command to the guest; the source picks the frame id.
    Guest(Command<String>),
    /// Control the playback of a replay (live sources ignore it).
    Replay(ReplayControl),
}

/// A playback control for a replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayControl {
    /// Pause, or resume at the speed it had.
    TogglePause,
    /// Double the playback speed (at most 64x).
    Faster,
    /// Halve the playback speed (at least 1/8x).
    Slower,
    /// Jump forward (positive) or back (negative) by this much recorded time.
    SeekBy {
        /// Recorded time to move by.
        by: Duration,
        /// Backwards when true.
        back: bool,
    },
    /// Jump to this recorded time since the recording started.
    SeekTo(Duration),
    /// While paused: deliver exactly one more frame.
    StepFrame,
}
