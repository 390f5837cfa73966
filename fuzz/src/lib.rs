//! The invariants the fuzz targets check, as plain functions, so that the
//! targets stay one line each and a crashing input can be replayed from a
//! test or a debugger without libFuzzer.
//!
//! Both functions panic (which libFuzzer reports as a crash) when an
//! invariant does not hold; they never return an error.

use protocol::command::{
    Command, CommandBody, CommandReceiver, HostFrame, MAX_COMMAND_FRAME, RejectReason,
};
use protocol::frame::{self, DELIMITER, DecodeError, MAX_FRAME_LEN};
use protocol::message::{Message, OwnedFrame};
use protocol::stream::{LinkStats, StreamDecoder, StreamItem};

/// FNV-1a over `data`: a cheap deterministic seed derived from the input,
/// so one input always gets the same chunking and the same spliced command.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Pushes `data` into a fresh decoder in chunks of the given sizes (the
/// last chunk takes what is left) and returns everything it yielded.
fn decode_in_chunks(
    data: &[u8],
    mut next_size: impl FnMut() -> usize,
) -> (Vec<StreamItem>, LinkStats) {
    let mut decoder = StreamDecoder::new();
    let mut items = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let size = next_size().clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(size);
        items.extend(decoder.push(chunk));
        rest = tail;
    }
    // An empty push changes nothing.
    assert!(decoder.push(&[]).is_empty());
    (items, decoder.stats())
}

/// The stream decoder's invariants on `data` as serial bytes:
///
/// - it never panics;
/// - the same bytes give the same items and counters whole, byte by byte,
///   and in pseudo-random chunks (1 byte to 2 KiB);
/// - the counters account for the items: `frames` = decoded frames,
///   `crc_errors` + `malformed` = error items (by kind), `oversize` =
///   oversize items, `resyncs` = errors + oversize + at most one quiet skip
///   of a partial frame at the start, `bytes` = bytes pushed,
///   `guest_dropped` = the frames' drop reports, `boots` = Hello frames;
/// - every decoded frame re-encodes, and the encoding decodes (alone, in a
///   fresh decoder) to the same frame.
pub fn check_stream(data: &[u8]) {
    let whole = decode_in_chunks(data, || data.len());
    let bytewise = decode_in_chunks(data, || 1);
    let mut state = fnv(data) | 1;
    let random = decode_in_chunks(data, || {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if state & 0x100 != 0 {
            (state >> 20) as usize % 2048
        } else {
            1 + (state >> 20) as usize % 64
        }
    });
    assert_eq!(whole, bytewise, "byte-by-byte push differs from one push");
    assert_eq!(whole, random, "chunked push differs from one push");

    let (items, stats) = whole;
    let mut frames = 0u64;
    let mut crc_errors = 0u64;
    let mut malformed = 0u64;
    let mut oversize = 0u64;
    let mut dropped = 0u64;
    let mut boots = 0u64;
    for item in &items {
        match item {
            StreamItem::Frame(frame) => {
                frames += 1;
                dropped += u64::from(frame.header.dropped_before);
                boots += u64::from(matches!(frame.message, Message::Hello(_)));
                check_reencodes(frame);
            }
            StreamItem::Error(DecodeError::Crc) => crc_errors += 1,
            StreamItem::Error(_) => malformed += 1,
            StreamItem::Oversize => oversize += 1,
        }
    }
    assert_eq!(stats.bytes, data.len() as u64, "bytes");
    assert_eq!(stats.frames, frames, "frames");
    assert_eq!(stats.crc_errors, crc_errors, "crc_errors");
    assert_eq!(stats.malformed, malformed, "malformed");
    assert_eq!(stats.oversize, oversize, "oversize");
    assert_eq!(stats.guest_dropped, dropped, "guest_dropped");
    assert_eq!(stats.boots, boots, "boots");
    let skipped = crc_errors + malformed + oversize;
    assert!(
        stats.resyncs == skipped || stats.resyncs == skipped + 1,
        "resyncs {} for {skipped} skipped frames",
        stats.resyncs
    );
    if frames == 0 {
        assert_eq!(stats.seq_gaps, 0, "gaps without frames");
    }
}

fn check_reencodes(frame: &OwnedFrame) {
    let mut out = vec![0u8; MAX_FRAME_LEN];
    let len = frame::encode(frame, &mut out)
        .unwrap_or_else(|error| panic!("a decoded frame does not re-encode: {error:?}: {frame:?}"));
    let mut again = StreamDecoder::new();
    let items = again.push(&out[..len]);
    assert_eq!(items, vec![StreamItem::Frame(frame.clone())], "re-encoded");
}

/// A valid command derived from `data`, different for different inputs,
/// small enough for any receiver of [`MAX_COMMAND_FRAME`] bytes.
fn command_from(data: &[u8]) -> HostFrame<String> {
    let hash = fnv(data);
    let text = |from: usize, max: usize| {
        let bytes = data.get(from..).unwrap_or_default();
        let bytes = &bytes[..bytes.len().min(max)];
        match core::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(error) => String::from_utf8_lossy(&bytes[..error.valid_up_to()]).into_owned(),
        }
    };
    let command = match hash % 4 {
        0 => Command::Ping,
        1 => Command::Signal {
            pid: (hash >> 8) as u32,
            signal: (hash >> 40) as u8,
        },
        2 => Command::Spawn {
            program: text(0, 32),
            args: text(32, 64),
        },
        _ => Command::SetSnapshotInterval {
            ms: (hash >> 16) as u32,
        },
    };
    HostFrame {
        id: (hash >> 32) as u32,
        command,
    }
}

fn borrowed(frame: &HostFrame<String>) -> HostFrame<&str> {
    HostFrame {
        id: frame.id,
        command: frame.command.borrowed(),
    }
}

fn encode_command(frame: &HostFrame<&str>) -> Vec<u8> {
    let mut out = vec![0u8; MAX_FRAME_LEN];
    let len = frame::encode(frame, &mut out).expect("a command encodes");
    out.truncate(len);
    out
}

/// The guest command parser's invariants on `data` as receive-line bytes:
///
/// - it never panics;
/// - every delimiter that ends a non-empty frame yields exactly one outcome
///   and no other byte yields one; a frame body over [`MAX_COMMAND_FRAME`]
///   bytes is `TooLong`, a shorter one never is;
/// - `feed` and `feed_body` + `CommandBody::decode` agree;
/// - a decoded command re-encodes and decodes to itself;
/// - after `data`, a delimiter and a valid encoded command, that command
///   is decoded (garbage never desynchronises the receiver for longer than
///   the frame it is in).
pub fn check_commands(data: &[u8]) {
    let mut direct = CommandReceiver::<MAX_COMMAND_FRAME>::new();
    let mut copied = CommandReceiver::<MAX_COMMAND_FRAME>::new();
    let mut run = 0usize;
    for &byte in data {
        let ends_frame = byte == DELIMITER && run > 0;
        let direct_outcome = direct.feed(byte);
        let copied_outcome = copied.feed_body(byte);
        assert_eq!(
            direct_outcome.is_some(),
            ends_frame,
            "outcome after {run} bytes"
        );
        assert_eq!(
            copied_outcome.is_some(),
            ends_frame,
            "body after {run} bytes"
        );
        if let (Some(outcome), Some(body)) = (direct_outcome, copied_outcome) {
            check_outcome(outcome, body, run);
        }
        run = if byte == DELIMITER { 0 } else { run + 1 };
        assert_eq!(direct.pending_len(), run.min(MAX_COMMAND_FRAME), "pending");
    }

    let expected = command_from(data);
    let expected = borrowed(&expected);
    let encoded = encode_command(&expected);
    // The delimiter ends whatever `data` left open (one outcome at most,
    // checked above); then nothing until the command's own delimiter.
    let _ = direct.feed(DELIMITER);
    let (last, body) = encoded.split_last().expect("a frame is not empty");
    for &byte in body {
        assert!(
            direct.feed(byte).is_none(),
            "outcome inside a command frame"
        );
    }
    assert_eq!(*last, DELIMITER);
    match direct.feed(*last) {
        Some(Ok(decoded)) => assert_eq!(decoded, expected, "spliced command"),
        other => panic!("spliced command {expected:?} came out as {other:?}"),
    }
}

fn check_outcome(
    outcome: Result<HostFrame<&str>, RejectReason>,
    body: Result<CommandBody, RejectReason>,
    run: usize,
) {
    if run > MAX_COMMAND_FRAME {
        assert_eq!(outcome, Err(RejectReason::TooLong), "{run}-byte frame");
    } else {
        assert_ne!(outcome, Err(RejectReason::TooLong), "{run}-byte frame");
    }
    let mut body = body;
    let copied = body.as_mut().map_err(|reason| *reason).and_then(|body| {
        assert_eq!(body.as_bytes().len(), run);
        body.decode()
    });
    assert_eq!(outcome, copied, "feed and feed_body disagree");
    if let Ok(frame) = outcome {
        let encoded = encode_command(&frame);
        let mut again = CommandReceiver::<MAX_FRAME_LEN>::new();
        let mut decoded = None;
        for &byte in &encoded {
            if let Some(result) = again.feed(byte) {
                decoded = Some(result.map(|frame| format!("{frame:?}")));
            }
        }
        assert_eq!(
            decoded,
            Some(Ok(format!("{frame:?}"))),
            "re-encoded command"
        );
    }
}
