//! Host-side stream decoding with link statistics.
//!
//! [`StreamDecoder`] takes raw bytes as they arrive from the serial link, in
//! chunks of any size, and yields decoded [`OwnedFrame`]s. It never panics on
//! bad input: a corrupt frame is counted and skipped, and decoding resumes at
//! the next delimiter. It also tracks sequence numbers to count frames lost on
//! the link, and adds up the drops the guest reports.

use crate::frame::{self, DELIMITER, DecodeError, MAX_FRAME_LEN};
use crate::message::{HeaderDecoder, Message, OwnedFrame, WireFrame};

/// Link-health counters, all since the decoder was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LinkStats {
    /// Frames decoded successfully.
    pub frames: u64,
    /// Bytes received, delimiters and bad frames included.
    pub bytes: u64,
    /// Frames whose CRC did not match.
    pub crc_errors: u64,
    /// Frames that were not valid COBS, too short, or did not decode.
    pub malformed: u64,
    /// Frames longer than [`MAX_FRAME_LEN`] (delimiter included).
    pub oversize: u64,
    /// Times the decoder threw bytes away and restarted at the next delimiter
    /// (every bad frame, plus a partial frame at the start of the stream).
    pub resyncs: u64,
    /// Frames missing from the sequence (lost on the link).
    pub seq_gaps: u64,
    /// Frames the guest reported dropping from its own ring.
    pub guest_dropped: u64,
    /// Boots seen on this stream (Hello frames).
    pub boots: u64,
}

/// What the decoder found in the stream, in order.
#[derive(Clone, Debug, PartialEq)]
// A frame is the common case and is handed on at once; boxing it would
// cost an allocation per frame to shrink the rare error variants.
#[allow(clippy::large_enum_variant)]
pub enum StreamItem {
    /// A frame decoded.
    Frame(OwnedFrame),
    /// A frame was skipped.
    Error(DecodeError),
    /// A frame longer than the protocol allows was skipped.
    Oversize,
}

/// Reassembles and decodes guest frames from a byte stream.
#[derive(Debug)]
pub struct StreamDecoder {
    body: Vec<u8>,
    oversized: bool,
    /// Whether the decoder has seen a delimiter yet; bytes before the first
    /// one may be the tail of a frame sent before we attached.
    synced: bool,
    next_seq: Option<u32>,
    /// Places delta headers after the frame before them.
    headers: HeaderDecoder,
    stats: LinkStats,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamDecoder {
    /// A decoder at the start of a stream. Bytes before the first delimiter
    /// are treated as a partial frame (or a firmware's text, however long)
    /// and skipped unless they decode; skipping them counts one resync and
    /// nothing corrupt.
    pub fn new() -> Self {
        Self {
            body: Vec::with_capacity(MAX_FRAME_LEN),
            oversized: false,
            synced: false,
            next_seq: None,
            headers: HeaderDecoder::new(),
            stats: LinkStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    /// Starts over after the link was cut and connected again: the bytes of
    /// a frame the old connection left unfinished are thrown away (one
    /// resync), and bytes before the next delimiter are again taken as the
    /// tail of a frame sent before the connection (skipped, not corrupt).
    /// Frames lost while the link was down show up as sequence gaps.
    pub fn reconnected(&mut self) {
        if !self.body.is_empty() || self.oversized {
            self.stats.resyncs += 1;
        }
        self.body.clear();
        self.oversized = false;
        self.synced = false;
        self.headers.lost_place();
    }

    /// Feeds received bytes; returns what they completed, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<StreamItem> {
        let mut items = Vec::new();
        self.stats.bytes += bytes.len() as u64;
        for &byte in bytes {
            if byte != DELIMITER {
                // The longest body an encoder makes: MAX_FRAME_LEN counts
                // the delimiter too.
                if self.body.len() < MAX_FRAME_LEN - 1 {
                    self.body.push(byte);
                } else {
                    self.oversized = true;
                }
                continue;
            }
            let first = !std::mem::replace(&mut self.synced, true);
            if first && self.oversized {
                self.oversized = false;
                // Whatever came before the first delimiter (a frame cut
                // when we attached, or a firmware's and boot loader's text:
                // OVMF and GRUB print a few hundred bytes on COM1 before
                // the kernel's first byte, a delimiter) is not a frame of
                // this stream, however long: skip it, as a resync.
                self.body.clear();
                self.stats.resyncs += 1;
                continue;
            }
            if std::mem::take(&mut self.oversized) {
                self.body.clear();
                self.headers.lost_place();
                self.stats.oversize += 1;
                self.stats.resyncs += 1;
                items.push(StreamItem::Oversize);
                continue;
            }
            if self.body.is_empty() {
                continue;
            }
            let result = frame::decode::<WireFrame<Message<String>>>(&mut self.body);
            self.body.clear();
            match result {
                // A delta header the decoder cannot place (nothing absolute
                // since it lost its place) is skipped, never given a guessed
                // time: it counts as lost when the next absolute header shows
                // the gap.
                Ok(wire) => {
                    if let Some(header) = self.headers.place(wire.header) {
                        let frame = OwnedFrame {
                            header,
                            message: wire.message,
                        };
                        self.account(&frame);
                        items.push(StreamItem::Frame(frame));
                    }
                }
                // A partial frame before the first delimiter is expected when
                // attaching mid-stream: resync without calling it corrupt.
                Err(_) if first => {
                    self.headers.lost_place();
                    self.stats.resyncs += 1;
                }
                Err(error) => {
                    self.headers.lost_place();
                    match error {
                        DecodeError::Crc => self.stats.crc_errors += 1,
                        _ => self.stats.malformed += 1,
                    }
                    self.stats.resyncs += 1;
                    items.push(StreamItem::Error(error));
                }
            }
        }
        items
    }

    fn account(&mut self, frame: &OwnedFrame) {
        self.stats.frames += 1;
        self.stats.guest_dropped += u64::from(frame.header.dropped_before);
        let seq = frame.header.seq;
        if matches!(frame.message, Message::Hello(_)) {
            // A new boot restarts the sequence.
            self.stats.boots += 1;
        } else if let Some(expected) = self.next_seq {
            // Wrapping distance: a frame "ahead" of the expected one means
            // the ones in between were lost. A frame behind it (which a
            // serial link cannot reorder) is treated as a restart.
            let ahead = seq.wrapping_sub(expected);
            if ahead < u32::MAX / 2 {
                self.stats.seq_gaps += u64::from(ahead);
            }
        }
        self.next_seq = Some(seq.wrapping_add(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{GuestFrame, Header, Heartbeat, Hello};

    fn encode(seq: u32, message: Message<&str>) -> Vec<u8> {
        let frame = GuestFrame {
            header: Header {
                seq,
                time_us: 5,
                dropped_before: 0,
            },
            message,
        };
        let mut out = vec![0u8; MAX_FRAME_LEN];
        let len = frame::encode(&frame, &mut out).unwrap();
        out.truncate(len);
        out
    }

    fn heartbeat(seq: u32) -> Vec<u8> {
        encode(
            seq,
            Message::Heartbeat(Heartbeat {
                uptime_ns: 1,
                dropped_total: 0,
                idle_ns: 0,
            }),
        )
    }

    fn frames(items: &[StreamItem]) -> usize {
        items
            .iter()
            .filter(|item| matches!(item, StreamItem::Frame(_)))
            .count()
    }

    #[test]
    fn decodes_frames_split_across_chunks() {
        let mut stream = encode(
            0,
            Message::Hello(Hello {
                protocol_version: 1,
                boot_id: 9,
                tsc_hz: 1,
                image: "demo",
                platform: Default::default(),
            }),
        );
        stream.extend(heartbeat(1));
        let mut decoder = StreamDecoder::new();
        let mut decoded = 0;
        for chunk in stream.chunks(3) {
            decoded += frames(&decoder.push(chunk));
        }
        assert_eq!(decoded, 2);
        let stats = decoder.stats();
        assert_eq!((stats.frames, stats.crc_errors, stats.seq_gaps), (2, 0, 0));
        assert_eq!(stats.bytes, stream.len() as u64);
    }

    #[test]
    fn a_reconnection_drops_the_cut_frame_and_resyncs_without_a_corrupt_count() {
        let mut decoder = StreamDecoder::new();
        assert_eq!(frames(&decoder.push(&heartbeat(1))), 1);
        // The old connection ends halfway through frame 2.
        let cut = heartbeat(2);
        decoder.push(&cut[..cut.len() / 2]);
        decoder.reconnected();
        // The new connection starts halfway through frame 5, then frame 6.
        let late = heartbeat(5);
        let mut stream = late[late.len() / 2..].to_vec();
        stream.extend(heartbeat(6));
        assert_eq!(frames(&decoder.push(&stream)), 1);
        let stats = decoder.stats();
        assert_eq!((stats.frames, stats.resyncs), (2, 2), "{stats:?}");
        assert_eq!((stats.crc_errors, stats.malformed), (0, 0), "{stats:?}");
        assert_eq!(stats.seq_gaps, 4, "frames 2 to 5 were lost");
    }

    #[test]
    fn counts_sequence_gaps() {
        let mut decoder = StreamDecoder::new();
        decoder.push(&heartbeat(3));
        decoder.push(&heartbeat(4));
        decoder.push(&heartbeat(8));
        assert_eq!(decoder.stats().seq_gaps, 3);
    }

    #[test]
    fn a_corrupt_frame_is_counted_and_the_next_one_decodes() {
        let mut decoder = StreamDecoder::new();
        decoder.push(&[0]);
        // Corrupt one payload bit under valid COBS, as line noise inside a
        // frame would after the receiver re-framed it.
        let good = heartbeat(1);
        let mut payload = cobs::decode_vec(&good[..good.len() - 1]).unwrap();
        payload[1] ^= 0x40;
        let mut bad = cobs::encode_vec(&payload);
        bad.push(0);
        let items = decoder.push(&bad);
        assert_eq!(items, vec![StreamItem::Error(DecodeError::Crc)]);
        assert_eq!(frames(&decoder.push(&heartbeat(2))), 1);
        let stats = decoder.stats();
        assert_eq!((stats.crc_errors, stats.resyncs, stats.frames), (1, 1, 1));
    }

    #[test]
    fn a_partial_frame_at_attach_time_is_skipped_quietly() {
        let mut decoder = StreamDecoder::new();
        let frame = heartbeat(1);
        decoder.push(&frame[frame.len() / 2..]);
        assert_eq!(frames(&decoder.push(&heartbeat(2))), 1);
        let stats = decoder.stats();
        assert_eq!(
            (stats.crc_errors, stats.malformed, stats.resyncs),
            (0, 0, 1)
        );
    }

    /// What OVMF and GRUB print on COM1 before the kernel runs (no 0x00 in
    /// it), `repeat` times over.
    fn firmware_preamble(repeat: usize) -> Vec<u8> {
        let text = b"\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001 \
            \"UEFI QEMU DVD-ROM QM00005 \" from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x2,0xFFFF,0x0)\r\n\
            BdsDxe: starting Boot0001 \"UEFI QEMU DVD-ROM QM00005 \"\r\nWelcome to GRUB!\r\n\r\n";
        let preamble = text.repeat(repeat);
        assert!(!preamble.contains(&DELIMITER));
        preamble
    }

    fn hello_frame(seq: u32) -> Vec<u8> {
        encode(
            seq,
            Message::Hello(Hello {
                protocol_version: 2,
                boot_id: 1,
                tsc_hz: 1,
                image: "smoke",
                platform: Default::default(),
            }),
        )
    }

    #[test]
    fn a_firmware_preamble_before_the_first_delimiter_is_skipped_and_the_hello_kept() {
        // Short (as OVMF's ~440 bytes) and longer than any frame: the same.
        for repeat in [1, 10] {
            let mut stream = firmware_preamble(repeat);
            assert_eq!(repeat > 1, stream.len() > MAX_FRAME_LEN);
            // The kernel's first byte is a delimiter, then its frames.
            stream.push(DELIMITER);
            stream.extend(hello_frame(0));
            stream.extend(heartbeat(1));
            for chunk_len in [1, 7, stream.len()] {
                let mut decoder = StreamDecoder::new();
                let items: Vec<StreamItem> = stream
                    .chunks(chunk_len)
                    .flat_map(|chunk| decoder.push(chunk))
                    .collect();
                assert!(
                    matches!(
                        items.as_slice(),
                        [StreamItem::Frame(hello), StreamItem::Frame(_)]
                            if matches!(hello.message, Message::Hello(_))
                    ),
                    "{items:?}"
                );
                let stats = decoder.stats();
                assert_eq!(
                    (stats.crc_errors, stats.malformed, stats.oversize),
                    (0, 0, 0),
                    "{stats:?}"
                );
                assert_eq!((stats.resyncs, stats.frames, stats.boots), (1, 2, 1));
                assert_eq!(stats.seq_gaps, 0);
            }
        }
    }

    #[test]
    fn oversize_frames_are_skipped() {
        let mut decoder = StreamDecoder::new();
        decoder.push(&[0]);
        let items = decoder.push(&vec![1u8; MAX_FRAME_LEN + 10]);
        assert!(items.is_empty());
        assert_eq!(decoder.push(&[0]), vec![StreamItem::Oversize]);
        assert_eq!(frames(&decoder.push(&heartbeat(0))), 1);
    }

    #[test]
    fn guest_drops_are_added_up() {
        let mut decoder = StreamDecoder::new();
        let frame = GuestFrame {
            header: Header {
                seq: 0,
                time_us: 0,
                dropped_before: 7,
            },
            message: Message::<&str>::Heartbeat(Heartbeat {
                uptime_ns: 0,
                dropped_total: 7,
                idle_ns: 0,
            }),
        };
        let mut out = vec![0u8; MAX_FRAME_LEN];
        let len = frame::encode(&frame, &mut out).unwrap();
        decoder.push(&out[..len]);
        assert_eq!(decoder.stats().guest_dropped, 7);
    }
}

#[cfg(test)]
mod fuzz_regressions {
    //! Inputs the fuzz invariants (fuzz/src/lib.rs) rejected, kept as tests.
    use super::*;
    use crate::frame::{CRC_LEN, MAX_PAYLOAD_LEN};
    use crate::message::{GuestFrame, Header, Heartbeat, Log, LogLevel};

    /// A frame whose payload is `extra` bytes over what the guest's encoder
    /// allows, CRC and COBS correct.
    fn over_long_frame(extra: usize) -> Vec<u8> {
        let header = Header {
            seq: 0,
            time_us: 0,
            dropped_before: 0,
        };
        let overhead = postcard::to_allocvec(&GuestFrame {
            header,
            message: Message::Log(Log {
                level: LogLevel::Info,
                pid: 0,
                text: "",
            }),
        })
        .unwrap()
        .len();
        // The text's length prefix grows from 1 to 2 bytes.
        let text = "x".repeat(MAX_PAYLOAD_LEN - CRC_LEN - overhead - 1 + extra);
        let mut payload = postcard::to_allocvec(&GuestFrame {
            header,
            message: Message::Log(Log {
                level: LogLevel::Info,
                pid: 0,
                text: text.as_str(),
            }),
        })
        .unwrap();
        assert_eq!(payload.len(), MAX_PAYLOAD_LEN - CRC_LEN + extra);
        let crc = crc::Crc::<u16>::new(&crc::CRC_16_IBM_SDLC).checksum(&payload);
        payload.extend(crc.to_le_bytes());
        let mut bytes = cobs::encode_vec(&payload);
        bytes.push(DELIMITER);
        bytes
    }

    #[test]
    fn the_longest_frame_the_guest_can_send_decodes() {
        let mut decoder = StreamDecoder::new();
        let items = decoder.push(&over_long_frame(0));
        assert!(
            matches!(items.as_slice(), [StreamItem::Frame(_)]),
            "{items:?}"
        );
    }

    #[test]
    fn a_payload_longer_than_the_guest_can_send_is_refused() {
        // Found by the stream_decoder invariant "every decoded frame
        // re-encodes": the decoder kept bodies of MAX_FRAME_LEN bytes (which
        // counts the delimiter) and never checked the decoded length, so it
        // accepted payloads up to 1025 bytes the encoder can never produce.
        for extra in 1..=3 {
            let mut decoder = StreamDecoder::new();
            decoder.push(&[DELIMITER]);
            let items = decoder.push(&over_long_frame(extra));
            assert!(
                matches!(
                    items.as_slice(),
                    [StreamItem::Error(DecodeError::Malformed) | StreamItem::Oversize]
                ),
                "{extra} bytes over: {items:?}"
            );
            let stats = decoder.stats();
            assert_eq!((stats.frames, stats.malformed + stats.oversize), (0, 1));
        }
    }

    /// A frame with its header in wire form.
    fn wire(header: crate::message::WireHeader) -> Vec<u8> {
        let message: Message<&str> = Message::Heartbeat(Heartbeat {
            uptime_ns: 1,
            dropped_total: 0,
            idle_ns: 0,
        });
        let frame = crate::message::WireFrame {
            header,
            message: &message,
        };
        let mut out = vec![0u8; MAX_FRAME_LEN];
        let len = frame::encode(&frame, &mut out).unwrap();
        out.truncate(len);
        out
    }

    fn placed(items: &[StreamItem]) -> Vec<(u32, u64)> {
        items
            .iter()
            .filter_map(|item| match item {
                StreamItem::Frame(frame) => Some((frame.header.seq, frame.header.time_us)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn delta_frames_after_a_damaged_frame_are_skipped_until_an_absolute_one() {
        use crate::message::WireHeader::{Absolute, Delta};
        let absolute = |seq, time_us| {
            Absolute(Header {
                seq,
                time_us,
                dropped_before: 0,
            })
        };
        let mut decoder = StreamDecoder::new();
        let mut stream = wire(absolute(16, 1000));
        stream.extend(wire(Delta { delta_us: 5 }));
        let mut damaged = wire(Delta { delta_us: 7 });
        damaged[1] ^= 0x40;
        stream.extend(damaged);
        stream.extend(wire(Delta { delta_us: 3 }));
        stream.extend(wire(Delta { delta_us: 2 }));
        stream.extend(wire(absolute(21, 1020)));
        stream.extend(wire(Delta { delta_us: 1 }));
        let items = decoder.push(&stream);
        // Frames 19 and 20 came after the damaged frame 18: their numbers
        // and times are unknown, so they are not shown at guessed times.
        assert_eq!(
            placed(&items),
            vec![(16, 1000), (17, 1005), (21, 1020), (22, 1021)]
        );
        let stats = decoder.stats();
        assert_eq!((stats.frames, stats.crc_errors), (4, 1));
        assert_eq!(stats.seq_gaps, 3, "frames 18, 19 and 20 count as lost");
    }

    #[test]
    fn a_decoder_that_attaches_mid_stream_waits_for_an_absolute_header() {
        use crate::message::WireHeader::{Absolute, Delta};
        let mut decoder = StreamDecoder::new();
        let mut stream = vec![crate::frame::DELIMITER];
        stream.extend(wire(Delta { delta_us: 5 }));
        stream.extend(wire(Absolute(Header {
            seq: 32,
            time_us: 9,
            dropped_before: 0,
        })));
        stream.extend(wire(Delta { delta_us: 5 }));
        assert_eq!(placed(&decoder.push(&stream)), vec![(32, 9), (33, 14)]);
        // After a reconnection, deltas again wait for an absolute header.
        decoder.reconnected();
        let mut again = vec![crate::frame::DELIMITER];
        again.extend(wire(Delta { delta_us: 5 }));
        assert_eq!(placed(&decoder.push(&again)), vec![]);
    }
}
