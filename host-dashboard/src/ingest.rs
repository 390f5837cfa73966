//! Raw serial bytes in, model inputs out, through the protocol's decoder.
//!
//! [`Ingest`] owns the [`StreamDecoder`]; every chunk of bytes yields the
//! frames it completed and then a fresh copy of the link counters, so the
//! model sees exactly what the decoder saw.

use crate::state::{AttachInput, Input, State};
use protocol::stream::{StreamDecoder, StreamItem};
use std::time::Duration;

/// Turns the guest's byte stream into [`Input`]s.
#[derive(Debug, Default)]
pub struct Ingest {
    decoder: StreamDecoder,
}

impl Ingest {
    /// A decoder at the start of the stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `bytes`: one [`Input::Frame`] per completed frame, then one
    /// [`Input::LinkStats`]. Bad frames show up only in the counters.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Input> {
        let mut inputs: Vec<Input> = self
            .decoder
            .push(bytes)
            .into_iter()
            .filter_map(|item| match item {
                StreamItem::Frame(frame) => Some(Input::Frame(frame)),
                StreamItem::Error(_) | StreamItem::Oversize => None,
            })
            .collect();
        inputs.push(Input::LinkStats(self.decoder.stats()));
        inputs
    }

    /// The inputs for something that happened to an attached link: the
    /// event itself and, when the link came up (again), the link counters
    /// after the decoder resynced (see [`StreamDecoder::reconnected`]).
    /// Live and replayed sessions both go through here, so they resync
    /// alike.
    pub fn attach(&mut self, event: AttachInput) -> Vec<Input> {
        let up = event == AttachInput::Up;
        let mut inputs = vec![Input::Attach(event)];
        if up {
            self.decoder.reconnected();
            inputs.push(Input::LinkStats(self.decoder.stats()));
        }
        inputs
    }

    /// Decodes `bytes` that arrived at host time `now` and applies the
    /// result to `state`.
    pub fn feed(&mut self, state: &mut State, now: Duration, bytes: &[u8]) {
        for input in self.push(bytes) {
            state.apply(now, input);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::PROTOCOL_VERSION;
    use protocol::frame::{MAX_FRAME_LEN, encode};
    use protocol::message::{GuestFrame, Header, Heartbeat, Hello, Log, LogLevel, Message};

    fn wire(seq: u32, message: Message<&str>) -> Vec<u8> {
        let frame = GuestFrame {
            header: Header {
                seq,
                time_us: 1_000 * u64::from(seq),
                dropped_before: 0,
            },
            message,
        };
        let mut out = vec![0; MAX_FRAME_LEN];
        let len = encode(&frame, &mut out).unwrap();
        out.truncate(len);
        out
    }

    fn boot_stream() -> Vec<u8> {
        let mut bytes = wire(
            0,
            Message::Hello(Hello {
                protocol_version: PROTOCOL_VERSION,
                boot_id: 1,
                tsc_hz: 1,
                image: "demo",
                platform: Default::default(),
            }),
        );
        bytes.extend(wire(
            1,
            Message::Log(Log {
                level: LogLevel::Info,
                pid: 0,
                text: "booted",
            }),
        ));
        bytes.extend(wire(
            2,
            Message::Heartbeat(Heartbeat {
                uptime_ns: 2_000_000,
                dropped_total: 0,
                idle_ns: 0,
            }),
        ));
        bytes
    }

    #[test]
    fn frames_split_across_chunks_reach_the_state() {
        let stream = boot_stream();
        let mut ingest = Ingest::new();
        let mut state = State::new("demo");
        for (index, chunk) in stream.chunks(5).enumerate() {
            ingest.feed(&mut state, Duration::from_millis(index as u64), chunk);
        }
        assert_eq!(state.guest().identity.as_ref().unwrap().boot_id, 1);
        assert_eq!(state.log().lines().next().unwrap().text, "booted");
        assert_eq!(state.guest().uptime_ns, 2_000_000);
        let stats = state.link().stats;
        assert_eq!((stats.frames, stats.bytes), (3, stream.len() as u64));
    }

    #[test]
    fn every_chunk_ends_with_fresh_link_counters() {
        let mut ingest = Ingest::new();
        let inputs = ingest.push(&boot_stream());
        assert_eq!(inputs.len(), 4);
        assert!(matches!(inputs[3], Input::LinkStats(stats) if stats.frames == 3));
        // A chunk that completes nothing still reports the counters.
        let inputs = ingest.push(&[1, 2, 3]);
        assert!(matches!(inputs[..], [Input::LinkStats(stats)] if stats.bytes > 3));
    }

    #[test]
    fn corrupt_frames_are_counted_not_applied() {
        let mut ingest = Ingest::new();
        let mut state = State::new("demo");
        let mut stream = boot_stream();
        // Flip a bit inside the second frame's body.
        let second = stream.iter().position(|&byte| byte == 0).unwrap() + 3;
        stream[second] = if stream[second] == 0x40 {
            0x41
        } else {
            stream[second] ^ 0x40
        };
        ingest.feed(&mut state, Duration::ZERO, &stream);
        let stats = state.link().stats;
        assert_eq!(stats.frames, 2);
        assert_eq!(stats.crc_errors + stats.malformed, 1);
        assert!(state.log().is_empty());
    }
}
