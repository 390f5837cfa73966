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
//!
//! [`CommandReceiver`] is the guest's side of the receive line, kept here as
//! pure `no_std` logic so the host can test and fuzz it: bytes in, one
//! outcome (a decoded [`HostFrame`] or a [`RejectReason`]) per frame out.

use crate::frame::{self, Accumulated, FrameAccumulator};
use serde::{Deserialize, Serialize};

/// One command frame from the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostFrame<S> {
    /// Chosen by the host; echoed in the result.
    pub id: u32,
    /// What to do.
    pub command: Command<S>,
}

/// The host-to-guest command catalog. Variants are only ever appended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

impl<S: AsRef<str>> Command<S> {
    /// This command with its strings borrowed, as the wire format encodes
    /// them (e.g. from a `Command<String>` a host built).
    pub fn borrowed(&self) -> Command<&str> {
        match self {
            Command::Ping => Command::Ping,
            Command::Signal { pid, signal } => Command::Signal {
                pid: *pid,
                signal: *signal,
            },
            Command::Spawn { program, args } => Command::Spawn {
                program: program.as_ref(),
                args: args.as_ref(),
            },
            Command::SetSnapshotInterval { ms } => Command::SetSnapshotInterval { ms: *ms },
        }
    }
}

/// Largest encoded command frame the guest accepts, in bytes.
pub const MAX_COMMAND_FRAME: usize = 256;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum CommandOutcome {
    /// Done; a value (e.g. a pid), else 0.
    Done(u64),
    /// Refused with this errno (see `kernel_abi::Errno`), nothing changed.
    Failed(u8),
}

/// Why a command frame was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum RejectReason {
    /// Not valid COBS, too short, wrong CRC, or not a command.
    Undecodable,
    /// Longer than [`MAX_COMMAND_FRAME`].
    TooLong,
}

/// Reassembles host command frames from the serial receive line and decodes
/// them, without allocation.
///
/// Feed it every received byte. Each delimiter that ends a non-empty frame
/// yields exactly one outcome: the decoded [`HostFrame`], or
/// [`RejectReason::TooLong`] for a body longer than `N` bytes, or
/// [`RejectReason::Undecodable`] for bad COBS, a short frame, a wrong CRC or
/// bytes that are not a command. Empty frames (delimiters in a row) yield
/// nothing. After any frame, good or bad, the receiver starts afresh, so
/// garbage on the line costs at most the frame it landed in.
pub struct CommandReceiver<const N: usize = MAX_COMMAND_FRAME> {
    frames: FrameAccumulator<N>,
}

/// The undecoded body of one complete command frame, copied out of a
/// [`CommandReceiver`] so the caller can release whatever guards the
/// receiver before decoding and carrying out the command.
#[derive(Clone)]
pub struct CommandBody<const N: usize = MAX_COMMAND_FRAME> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> CommandBody<N> {
    /// Decodes the command in place; its strings borrow from `self`.
    pub fn decode(&mut self) -> Result<HostFrame<&str>, RejectReason> {
        decode_body(&mut self.bytes[..self.len])
    }

    /// The frame body as received (COBS-encoded, delimiter excluded).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

fn decode_body(body: &mut [u8]) -> Result<HostFrame<&str>, RejectReason> {
    frame::decode::<HostFrame<&str>>(body).map_err(|_| RejectReason::Undecodable)
}

impl<const N: usize> Default for CommandReceiver<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> CommandReceiver<N> {
    /// A receiver waiting for the start of a frame.
    pub const fn new() -> Self {
        Self {
            frames: FrameAccumulator::new(),
        }
    }

    /// Feeds one byte; returns the outcome of the frame it ended, if any.
    ///
    /// The decoded command borrows from the receiver's buffer.
    pub fn feed(&mut self, byte: u8) -> Option<Result<HostFrame<&str>, RejectReason>> {
        match self.frames.feed(byte) {
            Accumulated::Pending | Accumulated::Empty => None,
            Accumulated::Overflow => Some(Err(RejectReason::TooLong)),
            Accumulated::Frame(body) => Some(decode_body(body)),
        }
    }

    /// [`Self::feed`], but a complete frame comes back undecoded as an owned
    /// [`CommandBody`] (decode it with [`CommandBody::decode`]); a frame
    /// that was too long comes back as [`RejectReason::TooLong`] at once.
    pub fn feed_body(&mut self, byte: u8) -> Option<Result<CommandBody<N>, RejectReason>> {
        match self.frames.feed(byte) {
            Accumulated::Pending | Accumulated::Empty => None,
            Accumulated::Overflow => Some(Err(RejectReason::TooLong)),
            Accumulated::Frame(body) => {
                let mut bytes = [0u8; N];
                bytes[..body.len()].copy_from_slice(body);
                Some(Ok(CommandBody {
                    bytes,
                    len: body.len(),
                }))
            }
        }
    }

    /// Bytes held for the frame in progress.
    pub fn pending_len(&self) -> usize {
        self.frames.pending_len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{DELIMITER, MAX_FRAME_LEN};

    fn encode(id: u32, command: Command<&str>) -> ([u8; MAX_FRAME_LEN], usize) {
        let mut out = [0u8; MAX_FRAME_LEN];
        let len = frame::encode(&HostFrame { id, command }, &mut out).unwrap();
        (out, len)
    }

    #[test]
    fn a_command_with_owned_strings_borrows_them_unchanged() {
        struct Owned(&'static str);
        impl AsRef<str> for Owned {
            fn as_ref(&self) -> &str {
                self.0
            }
        }
        let spawn = Command::Spawn {
            program: Owned("hello"),
            args: Owned("a b"),
        };
        assert_eq!(
            spawn.borrowed(),
            Command::Spawn {
                program: "hello",
                args: "a b"
            }
        );
        let signal: Command<Owned> = Command::Signal { pid: 7, signal: 9 };
        assert_eq!(signal.borrowed(), Command::Signal { pid: 7, signal: 9 });
        let rate: Command<Owned> = Command::SetSnapshotInterval { ms: 50 };
        assert_eq!(rate.borrowed(), Command::SetSnapshotInterval { ms: 50 });
        assert_eq!(Command::<Owned>::Ping.borrowed(), Command::Ping);
    }

    /// Feeds `bytes` and writes down every outcome, decoded commands as
    /// `(id, command kind)` so they outlive the borrow.
    fn outcomes<const N: usize>(
        receiver: &mut CommandReceiver<N>,
        bytes: &[u8],
        out: &mut [Option<Result<(u32, u8), RejectReason>>; 8],
    ) -> usize {
        let mut count = 0;
        for &byte in bytes {
            if let Some(result) = receiver.feed(byte) {
                out[count] = Some(result.map(|frame| {
                    let kind = match frame.command {
                        Command::Ping => 0,
                        Command::Signal { .. } => 1,
                        Command::Spawn { .. } => 2,
                        Command::SetSnapshotInterval { .. } => 3,
                    };
                    (frame.id, kind)
                }));
                count += 1;
            }
        }
        count
    }

    #[test]
    fn a_valid_command_decodes_at_its_delimiter_and_not_before() {
        let (bytes, len) = encode(
            7,
            Command::Spawn {
                program: "hello",
                args: "a b",
            },
        );
        let mut receiver = CommandReceiver::<MAX_COMMAND_FRAME>::new();
        for &byte in &bytes[..len - 1] {
            assert!(receiver.feed(byte).is_none());
        }
        assert_eq!(receiver.pending_len(), len - 1);
        let frame = receiver.feed(bytes[len - 1]).unwrap().unwrap();
        assert_eq!(frame.id, 7);
        assert_eq!(
            frame.command,
            Command::Spawn {
                program: "hello",
                args: "a b"
            }
        );
        assert_eq!(receiver.pending_len(), 0);
    }

    #[test]
    fn a_too_long_frame_is_rejected_once_and_the_next_one_decodes() {
        let mut receiver = CommandReceiver::<MAX_COMMAND_FRAME>::new();
        let mut out = [None; 8];
        let mut bytes = [0x41u8; MAX_COMMAND_FRAME + 2];
        bytes[MAX_COMMAND_FRAME + 1] = DELIMITER;
        let (ping, len) = encode(3, Command::Ping);
        assert_eq!(outcomes(&mut receiver, &bytes, &mut out), 1);
        assert_eq!(out[0], Some(Err(RejectReason::TooLong)));
        assert_eq!(outcomes(&mut receiver, &ping[..len], &mut out), 1);
        assert_eq!(out[0], Some(Ok((3, 0))));
    }

    #[test]
    fn a_frame_of_exactly_the_limit_fits_and_one_more_byte_is_too_long() {
        // A ping is postcard [id, variant] + CRC = 4 bytes, 5 after COBS.
        let (ping, len) = encode(1, Command::Ping);
        assert_eq!(len - 1, 5);
        let mut out = [None; 8];
        let mut exact = CommandReceiver::<5>::new();
        assert_eq!(outcomes(&mut exact, &ping[..len], &mut out), 1);
        assert_eq!(out[0], Some(Ok((1, 0))));
        let mut short = CommandReceiver::<4>::new();
        assert_eq!(outcomes(&mut short, &ping[..len], &mut out), 1);
        assert_eq!(out[0], Some(Err(RejectReason::TooLong)));
    }

    #[test]
    fn a_bad_crc_is_undecodable() {
        let (mut bytes, len) = encode(9, Command::Signal { pid: 5, signal: 15 });
        // Flip one bit of the CRC under valid COBS, as line noise would.
        let mut payload = [0u8; MAX_FRAME_LEN];
        payload[..len - 1].copy_from_slice(&bytes[..len - 1]);
        let payload_len = cobs::decode_in_place(&mut payload[..len - 1]).unwrap();
        payload[payload_len - 1] ^= 0x01;
        let body_len = cobs::try_encode(&payload[..payload_len], &mut bytes).unwrap();
        bytes[body_len] = DELIMITER;
        let len = body_len + 1;
        let mut check = bytes;
        assert_eq!(
            frame::decode::<HostFrame<&str>>(&mut check[..len - 1]),
            Err(frame::DecodeError::Crc)
        );
        let mut receiver = CommandReceiver::<MAX_COMMAND_FRAME>::new();
        let mut out = [None; 8];
        assert_eq!(outcomes(&mut receiver, &bytes[..len], &mut out), 1);
        assert_eq!(out[0], Some(Err(RejectReason::Undecodable)));
    }

    #[test]
    fn garbage_then_a_valid_command_resynchronises() {
        let mut receiver = CommandReceiver::<MAX_COMMAND_FRAME>::new();
        let mut out = [None; 8];
        // Line noise with no delimiter, then a delimiter: one rejection.
        assert_eq!(
            outcomes(&mut receiver, &[0xff, 0x13, 0x37, 0x02], &mut out),
            0
        );
        assert_eq!(outcomes(&mut receiver, &[DELIMITER], &mut out), 1);
        assert_eq!(out[0], Some(Err(RejectReason::Undecodable)));
        // Extra delimiters are empty frames: nothing.
        assert_eq!(
            outcomes(&mut receiver, &[DELIMITER, DELIMITER], &mut out),
            0
        );
        let (set, len) = encode(11, Command::SetSnapshotInterval { ms: 250 });
        assert_eq!(outcomes(&mut receiver, &set[..len], &mut out), 1);
        assert_eq!(out[0], Some(Ok((11, 3))));
    }

    #[test]
    fn garbage_directly_before_a_command_costs_only_that_frame() {
        // Noise glued onto the front of a command is one bad frame; the
        // command after the next delimiter still decodes.
        let (ping, len) = encode(21, Command::Ping);
        let mut receiver = CommandReceiver::<MAX_COMMAND_FRAME>::new();
        let mut out = [None; 8];
        let mut stream = [0u8; 64];
        stream[..3].copy_from_slice(&[0x05, 0x99, 0x42]);
        stream[3..3 + len].copy_from_slice(&ping[..len]);
        stream[3 + len..3 + 2 * len].copy_from_slice(&ping[..len]);
        assert_eq!(outcomes(&mut receiver, &stream[..3 + 2 * len], &mut out), 2);
        assert_eq!(out[0], Some(Err(RejectReason::Undecodable)));
        assert_eq!(out[1], Some(Ok((21, 0))));
    }

    #[test]
    fn feed_body_gives_the_same_outcome_as_feed() {
        let (spawn, len) = encode(
            4,
            Command::Spawn {
                program: "spinner",
                args: "",
            },
        );
        let mut stream = [0u8; 80];
        stream[..2].copy_from_slice(&[0x07, DELIMITER]);
        stream[2..2 + len].copy_from_slice(&spawn[..len]);
        let stream = &stream[..2 + len];
        let mut direct = CommandReceiver::<MAX_COMMAND_FRAME>::new();
        let mut copied = CommandReceiver::<MAX_COMMAND_FRAME>::new();
        let mut seen = 0;
        for &byte in stream {
            let a = direct.feed(byte);
            let mut b = copied.feed_body(byte);
            assert_eq!(a.is_some(), b.is_some());
            if let (Some(a), Some(b)) = (a, b.as_mut()) {
                let b = b.as_mut().map_err(|reason| *reason).and_then(|body| {
                    assert!(!body.as_bytes().contains(&DELIMITER));
                    body.decode()
                });
                assert_eq!(a, b);
                seen += 1;
            }
        }
        assert_eq!(seen, 2);
    }
}
