//! Host-to-guest commands, and what the guest answers.
//!
//! The host writes [`HostFrame`]s to the guest's serial receive line with
//! the same framing as the telemetry (`frame::encode`). The guest answers
//! every command it could decode with a [`crate::message::Message::CommandResult`]
//! carrying the same `id`; a frame it could not decode is answered with a
//! [`crate::message::Message::CommandRejected`] and changes nothing.
//!
//! | command | effect | result value |
//! | --- | --- | --- |
//! | [`Command::Ping`] | nothing | 0 |
//! | [`Command::Signal`] | sends a signal to a process (from the kernel) | 0 |
//! | [`Command::Spawn`] | starts a program of the image as a child of init | the pid |
//! | [`Command::SetSnapshotInterval`] | changes the snapshot period | 0 |

use serde::{Deserialize, Serialize};

/// One command frame from the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFrame<S> {
    /// Chosen by the host; echoed in the result.
    pub id: u32,
    /// What to do.
    pub command: Command<S>,
}

/// The host-to-guest command catalog. Variants are only ever appended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command<S> {
    /// Answer, change nothing.
    Ping,
    /// Send signal `signal` to process `pid`.
    Signal {
        /// The target.
        pid: u32,
        /// Signal number.
        signal: u8,
    },
    /// Start program `program` of the image with `args` (space-separated).
    Spawn {
        /// Program name.
        program: S,
        /// Arguments, separated by spaces.
        args: S,
    },
    /// Send process snapshots every `ms` milliseconds (10..=60000).
    SetSnapshotInterval {
        /// The period.
        ms: u32,
    },
}

/// Largest encoded command frame the guest accepts, in bytes.
pub const MAX_COMMAND_FRAME: usize = 256;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandOutcome {
    /// Done; a value (e.g. a pid), else 0.
    Done(u64),
    /// Refused with this errno (see `kernel_abi::Errno`), nothing changed.
    Failed(u8),
}

/// Why a command frame was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RejectReason {
    /// Not valid COBS, too short, wrong CRC, or not a command.
    Undecodable,
    /// Longer than [`MAX_COMMAND_FRAME`].
    TooLong,
}
