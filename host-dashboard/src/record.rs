//! Recordings: everything a session's source fed the model, with its host
//! time, so that a replay rebuilds exactly the same state.
//!
//! A recording holds the raw serial bytes as they arrived (not decoded
//! frames: the replay decodes them again through the same
//! [`crate::ingest::Ingest`], so CRC errors and gaps replay too) and the
//! session's other inputs: QEMU started, the link closed, QEMU exited, and
//! time passing.
//!
//! File format (all integers little-endian):
//!
//! ```text
//! header  "WTREC" 0x00, format version u16 (= 1), image name length u16, image name (UTF-8;
//!         empty when the session attached to a running guest)
//! record  tag u8, host time since QEMU started in µs u64, payload length u32, payload
//!   tag 0 started   payload: QEMU's pid, u32
//!   tag 1 serial    payload: the bytes read
//!   tag 2 closed    payload: empty
//!   tag 3 exited    payload: JSON {"status": i32|null, "signal": i32|null, "stderr_tail": [..]}
//!   tag 4 tick      payload: empty
//!   tag 5 attach    payload: JSON, an attached link's event: {"Started": {"address": ..}},
//!                   "Up", {"Down": {"reason": ..}} or {"Unreachable": {"reason": ..}}
//! ```
//!
//! A record is written whole or not at all into a buffered writer that is
//! flushed when the recorder is finished or dropped; a file cut short (a
//! crash, a full disk) reads back up to its last whole record, with an error
//! that says where it was cut.

use crate::ingest::Ingest;
use crate::state::{AttachInput, Input, QemuExit};
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::time::Duration;

/// The first bytes of every recording.
pub const MAGIC: &[u8; 6] = b"WTREC\0";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Largest payload a reader accepts (a serial read is at most a few KiB).
pub const MAX_PAYLOAD: u32 = 1 << 20;

/// One recorded source input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// QEMU started with this pid.
    Started(u32),
    /// Bytes arrived on the serial stream.
    Serial(Vec<u8>),
    /// The serial stream ended.
    Closed,
    /// QEMU exited.
    Exited(QemuExit),
    /// Time passed.
    Tick,
    /// Something happened to an attached link.
    Attach(AttachInput),
}

/// An entry with its host time since QEMU started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Host time since QEMU started.
    pub at: Duration,
    /// What happened.
    pub entry: Entry,
}

impl Entry {
    /// The entry for a model input that came from the source; `None` for
    /// decoded frames and link counters, which a replay derives again from
    /// the serial bytes.
    pub fn for_input(input: &Input) -> Option<Self> {
        match input {
            Input::QemuStarted { pid } => Some(Entry::Started(*pid)),
            Input::LinkClosed => Some(Entry::Closed),
            Input::QemuExited(exit) => Some(Entry::Exited(exit.clone())),
            Input::Tick => Some(Entry::Tick),
            Input::Attach(input) => Some(Entry::Attach(input.clone())),
            Input::Frame(_) | Input::LinkStats(_) => None,
        }
    }

    /// The model inputs this entry stands for: serial bytes decoded by
    /// `ingest` (which a reconnection resyncs, as it did live), everything
    /// else as it was.
    pub fn inputs(&self, ingest: &mut Ingest) -> Vec<Input> {
        match self {
            Entry::Serial(bytes) => ingest.push(bytes),
            Entry::Started(pid) => vec![Input::QemuStarted { pid: *pid }],
            Entry::Closed => vec![Input::LinkClosed],
            Entry::Exited(exit) => vec![Input::QemuExited(exit.clone())],
            Entry::Tick => vec![Input::Tick],
            Entry::Attach(event) => ingest.attach(event.clone()),
        }
    }

    fn tag(&self) -> u8 {
        match self {
            Entry::Started(_) => 0,
            Entry::Serial(_) => 1,
            Entry::Closed => 2,
            Entry::Exited(_) => 3,
            Entry::Tick => 4,
            Entry::Attach(_) => 5,
        }
    }

    fn payload(&self) -> Vec<u8> {
        match self {
            Entry::Started(pid) => pid.to_le_bytes().to_vec(),
            Entry::Serial(bytes) => bytes.clone(),
            Entry::Closed | Entry::Tick => Vec::new(),
            Entry::Attach(input) => serde_json::to_vec(input).unwrap_or_default(),
            Entry::Exited(exit) => serde_json::json!({
                "status": exit.status,
                "signal": exit.signal,
                "stderr_tail": exit.stderr_tail,
            })
            .to_string()
            .into_bytes(),
        }
    }

    fn parse(tag: u8, payload: Vec<u8>) -> Result<Self, String> {
        match tag {
            0 => {
                let bytes: [u8; 4] = payload
                    .as_slice()
                    .try_into()
                    .map_err(|_| format!("a start record of {} bytes", payload.len()))?;
                Ok(Entry::Started(u32::from_le_bytes(bytes)))
            }
            1 => Ok(Entry::Serial(payload)),
            2 => Ok(Entry::Closed),
            3 => parse_exit(&payload).map(Entry::Exited),
            4 => Ok(Entry::Tick),
            5 => serde_json::from_slice(&payload)
                .map(Entry::Attach)
                .map_err(|error| format!("a bad attach record: {error}")),
            other => Err(format!("unknown record tag {other}")),
        }
    }
}

fn parse_exit(payload: &[u8]) -> Result<QemuExit, String> {
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|error| format!("a bad exit record: {error}"))?;
    let number = |key: &str| {
        value[key]
            .as_i64()
            .and_then(|number| i32::try_from(number).ok())
    };
    let stderr_tail = value["stderr_tail"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(|line| line.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok(QemuExit {
        status: number("status"),
        signal: number("signal"),
        stderr_tail,
    })
}

/// Writes a recording as the session goes.
pub struct Recorder<W: Write> {
    out: W,
}

impl Recorder<BufWriter<File>> {
    /// Creates (or truncates) the file at `path` for the image `image`.
    pub fn create(path: &Path, image: &str) -> io::Result<Self> {
        let file = File::create(path).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot create recording {}: {error}", path.display()),
            )
        })?;
        Recorder::new(BufWriter::new(file), image)
    }
}

impl<W: Write> Recorder<W> {
    /// Starts a recording on `out` with its header.
    pub fn new(mut out: W, image: &str) -> io::Result<Self> {
        let name = image.as_bytes();
        let name_len = u16::try_from(name.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "image name too long"))?;
        out.write_all(MAGIC)?;
        out.write_all(&FORMAT_VERSION.to_le_bytes())?;
        out.write_all(&name_len.to_le_bytes())?;
        out.write_all(name)?;
        Ok(Self { out })
    }

    /// Appends one record.
    pub fn write(&mut self, at: Duration, entry: &Entry) -> io::Result<()> {
        let payload = entry.payload();
        let at_us = u64::try_from(at.as_micros()).unwrap_or(u64::MAX);
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|&len| len <= MAX_PAYLOAD)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "record too large"))?;
        let mut record = Vec::with_capacity(13 + payload.len());
        record.push(entry.tag());
        record.extend_from_slice(&at_us.to_le_bytes());
        record.extend_from_slice(&len.to_le_bytes());
        record.extend_from_slice(&payload);
        self.out.write_all(&record)
    }

    /// Records the serial bytes that arrived at `at`.
    pub fn serial(&mut self, at: Duration, bytes: &[u8]) -> io::Result<()> {
        self.write(at, &Entry::Serial(bytes.to_vec()))
    }

    /// Records `input` if it is one a replay cannot derive from the bytes.
    pub fn input(&mut self, at: Duration, input: &Input) -> io::Result<()> {
        match Entry::for_input(input) {
            Some(entry) => self.write(at, &entry),
            None => Ok(()),
        }
    }

    /// Flushes everything written.
    pub fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> Drop for Recorder<W> {
    fn drop(&mut self) {
        let _ = self.out.flush();
    }
}

/// The session's recording, if one was asked for: records until the
/// first write error, which it keeps for the end of the session (a
/// recording that failed must not pass silently).
pub struct Tape {
    recorder: Option<Recorder<BufWriter<File>>>,
    error: Option<io::Error>,
}

impl Tape {
    /// Records to `path` for image `image` (`None`: attached, no image
    /// booted), or records nothing without a path.
    pub fn create(path: Option<&Path>, image: Option<&str>) -> io::Result<Self> {
        let image = image.unwrap_or("");
        let recorder = path.map(|path| Recorder::create(path, image)).transpose()?;
        Ok(Self {
            recorder,
            error: None,
        })
    }

    /// Records the serial bytes that arrived at `at`.
    pub fn serial(&mut self, at: Duration, bytes: &[u8]) {
        self.with(|recorder| recorder.serial(at, bytes));
    }

    /// Records `input` (see [`Recorder::input`]).
    pub fn input(&mut self, at: Duration, input: &Input) {
        self.with(|recorder| recorder.input(at, input));
    }

    /// Flushes the recording; the first error it met, if any.
    pub fn finish(mut self) -> Option<io::Error> {
        self.with(Recorder::finish);
        self.error
    }

    fn with(&mut self, write: impl FnOnce(&mut Recorder<BufWriter<File>>) -> io::Result<()>) {
        if let Some(recorder) = &mut self.recorder
            && let Err(error) = write(recorder)
        {
            self.error = Some(error);
            self.recorder = None;
        }
    }
}

/// A recording read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recording {
    /// The image that was booted (`None` if the session attached to a
    /// running guest).
    pub image: Option<String>,
    /// Every whole record, in order.
    pub records: Vec<Record>,
    /// Why reading stopped before the end of the file, if it did: the
    /// records before the damage are all in `records`.
    pub damage: Option<String>,
}

impl Recording {
    /// Plays the recording into `apply` as the live source fed the model:
    /// the serial bytes through a fresh [`Ingest`], every other input as it
    /// was, each at its recorded host time.
    pub fn play(&self, mut apply: impl FnMut(Duration, Input)) {
        let mut ingest = Ingest::new();
        for record in &self.records {
            for input in record.entry.inputs(&mut ingest) {
                apply(record.at, input);
            }
        }
    }
}

/// Why a file is not a recording at all.
#[derive(Debug)]
pub enum ReadError {
    /// It could not be read.
    Io(io::Error),
    /// It does not start like a recording.
    NotARecording,
    /// It was written by another version of this format.
    FormatVersion(u16),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(error) => write!(f, "cannot read the recording: {error}"),
            ReadError::NotARecording => write!(f, "not a recording (no WTREC header)"),
            ReadError::FormatVersion(version) => write!(
                f,
                "recording format version {version}; this dashboard reads version {FORMAT_VERSION}"
            ),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads the recording at `path`.
pub fn read_file(path: &Path) -> Result<Recording, ReadError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut file| file.read_to_end(&mut bytes))
        .map_err(|error| {
            ReadError::Io(io::Error::new(
                error.kind(),
                format!("{}: {error}", path.display()),
            ))
        })?;
    parse(&bytes)
}

/// Parses a recording held in memory.
pub fn parse(bytes: &[u8]) -> Result<Recording, ReadError> {
    let mut cursor = Cursor { bytes, at: 0 };
    if cursor.take(MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(ReadError::NotARecording);
    }
    let version = cursor.u16().ok_or(ReadError::NotARecording)?;
    if version != FORMAT_VERSION {
        return Err(ReadError::FormatVersion(version));
    }
    let name_len = cursor.u16().ok_or(ReadError::NotARecording)?;
    let image = cursor
        .take(usize::from(name_len))
        .and_then(|name| std::str::from_utf8(name).ok())
        .ok_or(ReadError::NotARecording)?;
    let image = (!image.is_empty()).then(|| image.to_string());
    let mut records = Vec::new();
    let mut damage = None;
    while cursor.at < bytes.len() {
        let start = cursor.at;
        match cursor.record() {
            Ok(record) => records.push(record),
            Err(why) => {
                damage = Some(format!(
                    "{why} at byte {start}; {} records before it were kept",
                    records.len()
                ));
                break;
            }
        }
    }
    Ok(Recording {
        image,
        records,
        damage,
    })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(len)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    fn record(&mut self) -> Result<Record, String> {
        let cut = || "the file is cut short".to_string();
        let tag = self.take(1).ok_or_else(cut)?[0];
        let at_us = u64::from_le_bytes(
            self.take(8)
                .ok_or_else(cut)?
                .try_into()
                .map_err(|_| cut())?,
        );
        let len = u32::from_le_bytes(
            self.take(4)
                .ok_or_else(cut)?
                .try_into()
                .map_err(|_| cut())?,
        );
        if len > MAX_PAYLOAD {
            return Err(format!("a record of {len} bytes"));
        }
        let payload = self.take(len as usize).ok_or_else(cut)?.to_vec();
        let entry = Entry::parse(tag, payload)?;
        Ok(Record {
            at: Duration::from_micros(at_us),
            entry,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Record> {
        let at = Duration::from_micros;
        vec![
            Record {
                at: at(0),
                entry: Entry::Started(4242),
            },
            Record {
                at: at(1_500),
                entry: Entry::Serial(vec![1, 2, 0, 3]),
            },
            Record {
                at: at(100_000),
                entry: Entry::Tick,
            },
            Record {
                at: at(100_001),
                entry: Entry::Attach(AttachInput::Started {
                    address: "unix:/tmp/g.sock".into(),
                }),
            },
            Record {
                at: at(100_002),
                entry: Entry::Attach(AttachInput::Up),
            },
            Record {
                at: at(100_003),
                entry: Entry::Attach(AttachInput::Down {
                    reason: "reset by peer".into(),
                }),
            },
            Record {
                at: at(2_000_000),
                entry: Entry::Closed,
            },
            Record {
                at: at(2_000_100),
                entry: Entry::Exited(QemuExit {
                    status: Some(1),
                    signal: None,
                    stderr_tail: vec!["qemu: bye".into()],
                }),
            },
        ]
    }

    fn written(records: &[Record]) -> Vec<u8> {
        let mut bytes = Vec::new();
        {
            let mut recorder = Recorder::new(&mut bytes, "demo").unwrap();
            for record in records {
                recorder.write(record.at, &record.entry).unwrap();
            }
            recorder.finish().unwrap();
        }
        bytes
    }

    #[test]
    fn a_recording_reads_back_as_written() {
        let records = sample();
        let recording = parse(&written(&records)).unwrap();
        assert_eq!(recording.image.as_deref(), Some("demo"));
        assert_eq!(recording.records, records);
        assert_eq!(recording.damage, None);
    }

    #[test]
    fn a_cut_file_keeps_every_whole_record_and_says_where_it_was_cut() {
        let bytes = written(&sample());
        let recording = parse(&bytes[..bytes.len() - 3]).unwrap();
        let whole = sample().len() - 1;
        assert_eq!(recording.records, sample()[..whole]);
        let damage = recording.damage.unwrap();
        assert!(damage.contains("cut short"), "{damage}");
        assert!(damage.contains(&format!("{whole} records")), "{damage}");
    }

    #[test]
    fn an_unknown_tag_is_damage_not_a_panic() {
        let mut bytes = written(&sample()[..2]);
        bytes.extend_from_slice(&[9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let recording = parse(&bytes).unwrap();
        assert_eq!(recording.records.len(), 2);
        assert!(recording.damage.unwrap().contains("unknown record tag 9"));
    }

    #[test]
    fn other_files_and_other_versions_are_refused() {
        assert!(matches!(
            parse(b"hello world"),
            Err(ReadError::NotARecording)
        ));
        let mut bytes = written(&sample());
        bytes[6] = 2;
        let error = parse(&bytes).unwrap_err();
        assert!(matches!(error, ReadError::FormatVersion(2)));
        assert!(error.to_string().contains("reads version 1"));
    }

    #[test]
    fn frames_and_link_counters_are_not_recorded_twice() {
        assert_eq!(Entry::for_input(&Input::Tick), Some(Entry::Tick));
        assert_eq!(Entry::for_input(&Input::LinkClosed), Some(Entry::Closed));
        assert_eq!(
            Entry::for_input(&Input::QemuStarted { pid: 7 }),
            Some(Entry::Started(7))
        );
    }
}
