//! The telemetry wire format shared by the OS and the dashboard.
//!
//! Everything that crosses the serial link is defined here, once, for both
//! ends: the guest encodes with the `no_std` core of this crate, the host
//! decodes with the same types plus the `std` feature's [`stream`] decoder.
//!
//! # Framing
//!
//! One frame on the wire is `COBS(postcard(value) ++ crc16_le) ++ 0x00`
//! ([`frame`]). Guest frames carry a [`message::Header`] (sequence number,
//! timestamp, drop count) and one [`message::Message`]; host commands use the
//! same framing in the other direction. On the wire most guest headers are a
//! one-varint time delta from the frame before ([`message::WireHeader`]);
//! the [`stream`] decoder restores the full header.
//!
//! # Compatibility rules
//!
//! 1. Enum variants and struct fields are only ever appended at the end of the
//!    catalog; nothing is reordered or removed within a protocol version.
//! 2. A change that old decoders cannot read bumps [`PROTOCOL_VERSION`].
//! 3. [`message::Message::Hello`] is variant 0 forever and its first field is
//!    the protocol version, so any host can read the version of any guest and
//!    refuse an unknown one with a clear message.
//! 4. The golden byte vectors in `tests/golden.rs` pin every message kind; a
//!    change that breaks one of them is a wire-format change.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod command;
pub mod frame;
pub mod message;
#[cfg(feature = "std")]
pub mod stream;

/// The protocol version this crate speaks. Sent in every Hello frame.
pub const PROTOCOL_VERSION: u16 = 2;
