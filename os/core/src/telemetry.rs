//! The guest side of the telemetry link: numbering, encoding and queueing
//! frames.
//!
//! [`TelemetryQueue::send`] stamps a message with the next sequence number,
//! the time and the count of frames dropped since the previous one, encodes
//! it, and appends it to a fixed ring. When the ring is full the new frame is
//! dropped (never an older one, never blocking) and counted; the next frame
//! that fits reports the count in its header, and heartbeats carry the total.
//! The serial drain in the kernel binary takes bytes off the ring.

use crate::ring::ByteRing;
use protocol::frame::{self, MAX_FRAME_LEN, MAX_PAYLOAD_LEN};
use protocol::message::{Header, HeaderEncoder, Message, WireFrame};

/// What happened to one frame handed to [`TelemetryQueue::send`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Queued with this sequence number.
    Queued(u32),
    /// The ring was full; the frame was dropped and counted.
    Dropped,
    /// The message does not fit in one frame (a bug in the sender); dropped
    /// and counted.
    TooLarge,
}

/// Frame numbering plus a ring of encoded frames waiting for the UART.
pub struct TelemetryQueue<const N: usize> {
    ring: ByteRing<N>,
    /// Reused for every frame (clearing fresh buffers per frame is most of
    /// an encode's cost under emulation).
    scratch: [u8; MAX_PAYLOAD_LEN],
    encoded: [u8; MAX_FRAME_LEN],
    next_seq: u32,
    /// Chooses each frame's header form (absolute or a time delta).
    headers: HeaderEncoder,
    dropped_since_last: u32,
    dropped_total: u64,
    queued_frames: u64,
}

impl<const N: usize> Default for TelemetryQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> TelemetryQueue<N> {
    /// An empty queue; the first frame sent gets sequence number 0.
    pub const fn new() -> Self {
        Self {
            ring: ByteRing::new(),
            scratch: [0; MAX_PAYLOAD_LEN],
            encoded: [0; MAX_FRAME_LEN],
            next_seq: 0,
            headers: HeaderEncoder::new(),
            dropped_since_last: 0,
            dropped_total: 0,
            queued_frames: 0,
        }
    }

    /// Encodes and queues `message`, stamped with `time_us`.
    pub fn send(&mut self, time_us: u64, message: Message<&str>) -> SendOutcome {
        let header = Header {
            seq: self.next_seq,
            time_us,
            dropped_before: self.dropped_since_last,
        };
        let frame = WireFrame {
            header: self.headers.wire_for(header, &message),
            message: &message,
        };
        let outcome = match frame::encode_with_scratch(&frame, &mut self.scratch, &mut self.encoded)
        {
            Err(_) => SendOutcome::TooLarge,
            Ok(len) if self.ring.push_all(&self.encoded[..len]) => SendOutcome::Queued(header.seq),
            Ok(_) => SendOutcome::Dropped,
        };
        match outcome {
            SendOutcome::Queued(_) => {
                self.headers.enqueued(header);
                self.next_seq = self.next_seq.wrapping_add(1);
                self.dropped_since_last = 0;
                self.queued_frames += 1;
            }
            SendOutcome::Dropped | SendOutcome::TooLarge => {
                self.dropped_since_last = self.dropped_since_last.saturating_add(1);
                self.dropped_total += 1;
            }
        }
        outcome
    }

    /// Frames dropped since boot.
    pub fn dropped_total(&self) -> u64 {
        self.dropped_total
    }

    /// Frames queued since boot.
    pub fn queued_frames(&self) -> u64 {
        self.queued_frames
    }

    /// The encoded bytes waiting for the UART.
    pub fn pending(&mut self) -> &mut ByteRing<N> {
        &mut self.ring
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::{Heartbeat, Log, LogLevel};
    use protocol::stream::{StreamDecoder, StreamItem};

    fn heartbeat(uptime_ns: u64) -> Message<&'static str> {
        Message::Heartbeat(Heartbeat {
            uptime_ns,
            dropped_total: 0,
            idle_ns: 0,
        })
    }

    fn drain<const N: usize>(queue: &mut TelemetryQueue<N>) -> Vec<u8> {
        let ring = queue.pending();
        let mut out = Vec::new();
        while !ring.is_empty() {
            let chunk = ring.front().to_vec();
            ring.consume(chunk.len());
            out.extend(chunk);
        }
        out
    }

    fn decode(bytes: &[u8]) -> Vec<protocol::message::OwnedFrame> {
        StreamDecoder::new()
            .push(bytes)
            .into_iter()
            .map(|item| match item {
                StreamItem::Frame(frame) => frame,
                other => panic!("bad frame on the wire: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn frames_are_numbered_from_zero_and_decode_on_the_host() {
        let mut queue = TelemetryQueue::<1024>::new();
        assert_eq!(queue.send(10, heartbeat(1)), SendOutcome::Queued(0));
        assert_eq!(queue.send(20, heartbeat(2)), SendOutcome::Queued(1));
        let frames = decode(&drain(&mut queue));
        assert_eq!(frames.len(), 2);
        assert_eq!((frames[1].header.seq, frames[1].header.time_us), (1, 20));
    }

    #[test]
    fn a_full_ring_drops_the_newest_and_the_next_frame_reports_it() {
        let mut queue = TelemetryQueue::<64>::new();
        let mut queued = 0;
        while let SendOutcome::Queued(_) = queue.send(0, heartbeat(u64::MAX)) {
            queued += 1;
        }
        assert_eq!(queue.send(0, heartbeat(u64::MAX)), SendOutcome::Dropped);
        assert_eq!(queue.dropped_total(), 2);
        let before = decode(&drain(&mut queue));
        assert_eq!(before.len(), queued);
        assert!(before.iter().all(|frame| frame.header.dropped_before == 0));

        assert_eq!(
            queue.send(0, heartbeat(1)),
            SendOutcome::Queued(queued as u32)
        );
        let after = decode(&drain(&mut queue));
        assert_eq!(
            after[0].header.dropped_before, 2,
            "the drop count rides on the next frame"
        );
        assert_eq!(
            after[0].header.seq, queued as u32,
            "dropped frames take no sequence number"
        );
    }

    /// The bodies of the frames in `bytes`, each decoded with its header in
    /// wire form.
    fn wire_headers(bytes: &[u8]) -> Vec<protocol::message::WireHeader> {
        bytes
            .split(|byte| *byte == protocol::frame::DELIMITER)
            .filter(|body| !body.is_empty())
            .map(|body| {
                let mut body = body.to_vec();
                protocol::frame::decode::<protocol::message::WireFrame<Message<String>>>(&mut body)
                    .unwrap()
                    .header
            })
            .collect()
    }

    #[test]
    fn headers_are_time_deltas_except_the_first_every_sixteenth_and_after_a_drop() {
        use protocol::message::{ABSOLUTE_EVERY, WireHeader};
        let mut queue = TelemetryQueue::<4096>::new();
        let times: Vec<u64> = (0..40u64).map(|i| 5_000_000 + i * i * 7).collect();
        for &time in &times {
            assert!(matches!(
                queue.send(time, heartbeat(time)),
                SendOutcome::Queued(_)
            ));
        }
        let bytes = drain(&mut queue);
        let wire = wire_headers(&bytes);
        for (seq, header) in wire.iter().enumerate() {
            let absolute = (seq as u32).is_multiple_of(ABSOLUTE_EVERY);
            match header {
                WireHeader::Absolute(header) => {
                    assert!(absolute, "frame {seq} is absolute");
                    assert_eq!((header.seq, header.time_us), (seq as u32, times[seq]));
                }
                WireHeader::Delta { delta_us } => {
                    assert!(!absolute, "frame {seq} should be absolute");
                    assert_eq!(*delta_us, times[seq] - times[seq - 1]);
                }
            }
        }
        // The host places every frame at its exact number and time.
        let frames = decode(&bytes);
        assert_eq!(frames.len(), times.len());
        for (seq, frame) in frames.iter().enumerate() {
            assert_eq!(
                (frame.header.seq, frame.header.time_us),
                (seq as u32, times[seq])
            );
        }
        // The answer to a host command is absolute even mid-run, so that a
        // host which has just attached sees it.
        let mut answers = TelemetryQueue::<1024>::new();
        answers.send(1, heartbeat(1));
        answers.send(2, heartbeat(2));
        answers.send(
            3,
            Message::CommandResult(protocol::message::CommandResult {
                id: 7,
                outcome: protocol::command::CommandOutcome::Done(0),
            }),
        );
        let wire = wire_headers(&drain(&mut answers));
        assert!(matches!(wire[1], WireHeader::Delta { delta_us: 1 }));
        assert!(matches!(wire[2], WireHeader::Absolute(header) if header.seq == 2));
        // A drop: the next frame is absolute and reports it.
        let mut small = TelemetryQueue::<128>::new();
        while let SendOutcome::Queued(_) = small.send(9, heartbeat(u64::MAX)) {}
        drain(&mut small);
        small.send(10, heartbeat(1));
        let after = drain(&mut small);
        assert!(matches!(
            wire_headers(&after)[0],
            WireHeader::Absolute(header) if header.dropped_before == 1
        ));
    }

    #[test]
    fn an_oversized_message_is_counted_not_sent() {
        let mut queue = TelemetryQueue::<4096>::new();
        let huge = "x".repeat(2000);
        let outcome = queue.send(
            0,
            Message::Log(Log {
                level: LogLevel::Info,
                pid: 0,
                text: &huge,
            }),
        );
        assert_eq!(outcome, SendOutcome::TooLarge);
        assert!(queue.pending().is_empty());
        assert_eq!(queue.dropped_total(), 1);
    }
}
