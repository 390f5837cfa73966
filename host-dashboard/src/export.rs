//! Export of the decoded stream as JSON lines: one object per frame, for
//! scripts (`--json-lines FILE` in headless mode).

/// The version of both schemas (`crate::schema`), in every summary and
/// every frame line as `schema_version`. Bumped when a field changes
/// meaning or goes away; added fields do not bump it.
pub const SCHEMA_VERSION: u32 = 1;

use crate::state::Input;
use protocol::message::OwnedFrame;
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Duration;

/// One line of the export: one decoded frame.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Line<'a> {
    /// The version of this object's schema (`host-dashboard/schema/`):
    /// [`crate::schema::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Host time since QEMU started, in microseconds.
    pub host_us: u64,
    /// The frame's sequence number.
    pub seq: u32,
    /// Guest time of the frame, in microseconds.
    pub time_us: u64,
    /// Frames the guest dropped just before this one.
    pub dropped_before: u32,
    /// The message.
    pub message: &'a protocol::message::Message<String>,
}

/// Writes decoded frames as JSON lines; keeps the first write error.
pub struct JsonLines {
    out: Option<Box<dyn Write>>,
    error: Option<io::Error>,
}

impl JsonLines {
    /// Writes to `path` (`-` for standard output), or nowhere without a
    /// path.
    pub fn create(path: Option<&Path>) -> io::Result<Self> {
        let out: Option<Box<dyn Write>> = match path {
            None => None,
            Some(path) if path == Path::new("-") => Some(Box::new(BufWriter::new(io::stdout()))),
            Some(path) => {
                let file = File::create(path).map_err(|error| {
                    io::Error::new(
                        error.kind(),
                        format!("cannot create {}: {error}", path.display()),
                    )
                })?;
                Some(Box::new(BufWriter::new(file)))
            }
        };
        Ok(Self { out, error: None })
    }

    /// Writes `input` if it is a decoded frame, received at `at`.
    pub fn input(&mut self, at: Duration, input: &Input) {
        if let (Some(out), Input::Frame(frame)) = (&mut self.out, input)
            && let Err(error) = write_line(out, at, frame)
        {
            self.error = Some(error);
            self.out = None;
        }
    }

    /// Flushes the export; the first error it met, if any.
    pub fn finish(mut self) -> Option<io::Error> {
        if let Some(out) = &mut self.out
            && let Err(error) = out.flush()
        {
            self.error = Some(error);
        }
        self.error
    }
}

fn write_line(out: &mut dyn Write, at: Duration, frame: &OwnedFrame) -> io::Result<()> {
    let line = Line {
        schema_version: SCHEMA_VERSION,
        host_us: u64::try_from(at.as_micros()).unwrap_or(u64::MAX),
        seq: frame.header.seq,
        time_us: frame.header.time_us,
        dropped_before: frame.header.dropped_before,
        message: &frame.message,
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::{GuestFrame, Header, Heartbeat, Message};

    #[test]
    fn a_frame_becomes_one_json_line() {
        let frame = GuestFrame {
            header: Header {
                seq: 7,
                time_us: 1500,
                dropped_before: 2,
            },
            message: Message::Heartbeat(Heartbeat {
                uptime_ns: 1_500_000,
                dropped_total: 2,
                idle_ns: 10,
            }),
        };
        let mut out = Vec::new();
        write_line(&mut out, Duration::from_millis(3), &frame).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["host_us"], 3000);
        assert_eq!(value["seq"], 7);
        assert_eq!(value["dropped_before"], 2);
        assert_eq!(value["message"]["Heartbeat"]["uptime_ns"], 1_500_000);
    }
}
