//! One frame on the wire: `COBS(postcard(value) ++ crc16_le) ++ 0x00`.
//!
//! The CRC is CRC-16/IBM-SDLC (the HDLC/X.25 check) over the postcard bytes,
//! stored little-endian after them. COBS removes every 0x00 from the encoded
//! body, so 0x00 only ever ends a frame and a receiver that lost its place
//! resynchronises at the next one.
//!
//! Encoding needs no allocation: it uses a fixed scratch buffer on the stack
//! and writes into a caller-provided slice.

use serde::{Deserialize, Serialize};

/// The frame delimiter.
pub const DELIMITER: u8 = 0x00;

/// Largest postcard payload of one frame, CRC included, in bytes.
pub const MAX_PAYLOAD_LEN: usize = 1024;

/// Largest encoded frame, COBS overhead and delimiter included, in bytes.
pub const MAX_FRAME_LEN: usize = cobs::max_encoding_length(MAX_PAYLOAD_LEN) + 1;

/// Length of the CRC trailer in bytes.
pub const CRC_LEN: usize = 2;

const CRC16: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_IBM_SDLC);

/// Why a value could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The postcard encoding is longer than [`MAX_PAYLOAD_LEN`].
    PayloadTooLarge,
    /// The output slice cannot hold the encoded frame.
    OutputTooSmall,
}

/// Why a frame could not be decoded. The receiver skips the frame and counts
/// the error; it never stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The frame body is not valid COBS.
    Cobs,
    /// The frame is shorter than its CRC trailer.
    TooShort,
    /// The CRC does not match the payload.
    Crc,
    /// The payload is not a valid postcard encoding of the expected type, or
    /// is longer than [`MAX_PAYLOAD_LEN`] (which no encoder produces).
    Malformed,
    /// The payload decoded but left unread bytes behind.
    TrailingBytes,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = match self {
            DecodeError::Cobs => "invalid COBS encoding",
            DecodeError::TooShort => "frame shorter than its CRC",
            DecodeError::Crc => "CRC mismatch",
            DecodeError::Malformed => "payload does not decode",
            DecodeError::TrailingBytes => "payload has trailing bytes",
        };
        f.write_str(text)
    }
}

/// Encodes `value` as one complete frame, delimiter included, into `out`.
///
/// Returns the number of bytes written.
///
/// # Return values
/// - `Err(PayloadTooLarge)` if the postcard encoding exceeds
///   [`MAX_PAYLOAD_LEN`] minus the CRC;
/// - `Err(OutputTooSmall)` if `out` cannot hold the frame (a slice of
///   [`MAX_FRAME_LEN`] bytes always can).
pub fn encode<T: Serialize>(value: &T, out: &mut [u8]) -> Result<usize, EncodeError> {
    let mut payload = [0u8; MAX_PAYLOAD_LEN];
    encode_with_scratch(value, &mut payload, out)
}

/// [`encode`] with a caller-provided scratch buffer for the postcard bytes,
/// so a hot path can reuse one buffer instead of clearing a fresh one per
/// frame. `scratch` needs no particular contents; [`MAX_PAYLOAD_LEN`] bytes
/// always suffice.
pub fn encode_with_scratch<T: Serialize>(
    value: &T,
    scratch: &mut [u8],
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    let limit = scratch.len().min(MAX_PAYLOAD_LEN).saturating_sub(CRC_LEN);
    let payload = scratch;
    let body_len = postcard::to_slice(value, &mut payload[..limit])
        .map_err(|_| EncodeError::PayloadTooLarge)?
        .len();
    let crc = CRC16.checksum(&payload[..body_len]);
    payload[body_len..body_len + CRC_LEN].copy_from_slice(&crc.to_le_bytes());
    let payload = &payload[..body_len + CRC_LEN];

    let encoded_len = cobs::try_encode(payload, out).map_err(|_| EncodeError::OutputTooSmall)?;
    let delimiter = out
        .get_mut(encoded_len)
        .ok_or(EncodeError::OutputTooSmall)?;
    *delimiter = DELIMITER;
    Ok(encoded_len + 1)
}

/// Decodes one frame body (the bytes between two delimiters, delimiter
/// excluded) in place and deserialises it as `T`.
///
/// The slice is overwritten by the COBS decoding; borrowed fields of `T`
/// (such as `&str`) point into it.
pub fn decode<'a, T: Deserialize<'a>>(body: &'a mut [u8]) -> Result<T, DecodeError> {
    let decoded_len = cobs::decode_in_place(body).map_err(|_| DecodeError::Cobs)?;
    let decoded = &body[..decoded_len];
    if decoded_len < CRC_LEN {
        return Err(DecodeError::TooShort);
    }
    if decoded_len > MAX_PAYLOAD_LEN {
        return Err(DecodeError::Malformed);
    }
    let (payload, trailer) = decoded.split_at(decoded_len - CRC_LEN);
    let expected = u16::from_le_bytes([trailer[0], trailer[1]]);
    if CRC16.checksum(payload) != expected {
        return Err(DecodeError::Crc);
    }
    let (value, rest) = postcard::take_from_bytes(payload).map_err(|_| DecodeError::Malformed)?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes);
    }
    Ok(value)
}

/// Reassembles frames from a byte stream into a fixed buffer, without
/// allocation: the guest uses it for host commands.
///
/// Feed bytes one at a time; at each delimiter the accumulated body is
/// handed out. A body longer than `N` is dropped whole (reported as
/// [`Accumulated::Overflow`]) and the accumulator resynchronises at the next
/// delimiter.
pub struct FrameAccumulator<const N: usize> {
    buffer: [u8; N],
    len: usize,
    overflowed: bool,
}

/// What one byte fed into a [`FrameAccumulator`] completed.
#[derive(Debug, PartialEq, Eq)]
pub enum Accumulated<'a> {
    /// The byte was stored; no frame ended.
    Pending,
    /// A delimiter ended an empty frame (two delimiters in a row); ignore it.
    Empty,
    /// A delimiter ended a frame body that fits; decode it with [`decode`].
    Frame(&'a mut [u8]),
    /// A delimiter ended a frame body that did not fit and was discarded.
    Overflow,
}

impl<const N: usize> Default for FrameAccumulator<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FrameAccumulator<N> {
    /// An empty accumulator.
    pub const fn new() -> Self {
        Self {
            buffer: [0; N],
            len: 0,
            overflowed: false,
        }
    }

    /// Feeds one byte.
    pub fn feed(&mut self, byte: u8) -> Accumulated<'_> {
        if byte != DELIMITER {
            if self.len < N {
                self.buffer[self.len] = byte;
                self.len += 1;
            } else {
                self.overflowed = true;
            }
            return Accumulated::Pending;
        }
        let len = core::mem::take(&mut self.len);
        if core::mem::take(&mut self.overflowed) {
            Accumulated::Overflow
        } else if len == 0 {
            Accumulated::Empty
        } else {
            Accumulated::Frame(&mut self.buffer[..len])
        }
    }

    /// Bytes held for the frame in progress.
    pub fn pending_len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_the_standard_x25_check() {
        assert_eq!(CRC16.checksum(b"123456789"), 0x906e);
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let mut out = [0u8; MAX_FRAME_LEN];
        let len = encode(&(7u32, 300u64), &mut out).unwrap();
        assert_eq!(out[len - 1], DELIMITER);
        assert!(!out[..len - 1].contains(&DELIMITER));
        let value: (u32, u64) = decode(&mut out[..len - 1]).unwrap();
        assert_eq!(value, (7, 300));
    }

    #[test]
    fn a_flipped_bit_is_a_crc_error() {
        let mut out = [0u8; MAX_FRAME_LEN];
        let len = encode(&(1u8, 2u8, 3u8), &mut out).unwrap();
        out[2] ^= 0x10;
        let result: Result<(u8, u8, u8), _> = decode(&mut out[..len - 1]);
        assert_eq!(result, Err(DecodeError::Crc));
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut out = [0u8; MAX_FRAME_LEN];
        let len = encode(&(1u8, 2u8), &mut out).unwrap();
        let result: Result<u8, _> = decode(&mut out[..len - 1]);
        assert_eq!(result, Err(DecodeError::TrailingBytes));
    }

    #[test]
    fn too_small_output_is_an_error_not_a_panic() {
        let mut out = [0u8; 3];
        assert_eq!(
            encode(&[1u8; 8], &mut out),
            Err(EncodeError::OutputTooSmall)
        );
    }

    #[test]
    fn oversized_payload_is_refused() {
        let big = [7u8; MAX_PAYLOAD_LEN];
        let mut out = [0u8; MAX_FRAME_LEN];
        assert_eq!(
            encode(&&big[..], &mut out),
            Err(EncodeError::PayloadTooLarge)
        );
    }

    #[test]
    fn accumulator_splits_at_delimiters_and_survives_overflow() {
        let mut acc = FrameAccumulator::<4>::new();
        assert_eq!(acc.feed(0), Accumulated::Empty);
        for byte in [1, 2, 3, 4, 5] {
            assert_eq!(acc.feed(byte), Accumulated::Pending);
        }
        assert_eq!(acc.feed(0), Accumulated::Overflow);
        acc.feed(9);
        match acc.feed(0) {
            Accumulated::Frame(body) => assert_eq!(body, &[9]),
            other => panic!("expected a frame, got {other:?}"),
        }
    }
}
