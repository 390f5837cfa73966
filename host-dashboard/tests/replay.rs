//! Record and replay with the real binary: a replay of a recorded boot
//! reproduces the headless JSON of the live run that recorded it; a
//! recording of another protocol version, or a damaged one, is handled with
//! a clear message.
//!
//! The live run needs QEMU (`qemu-system-x86`); without it the test fails,
//! never skips.

use protocol::PROTOCOL_VERSION;
use protocol::frame::{MAX_FRAME_LEN, encode};
use protocol::message::{GuestFrame, Header, Hello, Message};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use watchtower::record::{Entry, MAGIC, Recorder};

fn dashboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_watchtower"))
        .args(args)
        .output()
        .expect("the dashboard binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("watchtower-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_replay_of_a_recorded_boot_reproduces_the_headless_json_of_the_live_run() {
    let recording = scratch("demo.rec");
    let path = recording.to_str().expect("utf-8 path");
    let live = dashboard(&["--headless", "--seconds", "5", "--record", path]);
    assert!(live.status.success(), "live run: {}", text(&live.stderr));
    let live_json: serde_json::Value =
        serde_json::from_slice(&live.stdout).expect("the live run prints JSON");
    assert!(live_json["link"]["frames"].as_u64().unwrap() > 100);

    let replay = dashboard(&["--headless", "--replay", path]);
    assert!(replay.status.success(), "replay: {}", text(&replay.stderr));
    let replay_json: serde_json::Value =
        serde_json::from_slice(&replay.stdout).expect("the replay prints JSON");
    assert_eq!(
        replay_json, live_json,
        "the replay differs from the live run"
    );
    assert_eq!(text(&replay.stdout), text(&live.stdout), "byte for byte");

    // The JSON-lines export has one line per decoded frame, in order.
    let lines_path = scratch("frames.jsonl");
    let export = dashboard(&[
        "--headless",
        "--replay",
        path,
        "--json-lines",
        lines_path.to_str().unwrap(),
    ]);
    assert!(export.status.success(), "export: {}", text(&export.stderr));
    let lines = std::fs::read_to_string(&lines_path).unwrap();
    let frames: Vec<serde_json::Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect();
    assert_eq!(
        frames.len() as u64,
        live_json["link"]["frames"].as_u64().unwrap()
    );
    assert!(frames[0]["message"]["Hello"].is_object(), "{}", frames[0]);
    assert!(
        frames
            .windows(2)
            .all(|pair| pair[0]["seq"].as_u64() < pair[1]["seq"].as_u64()),
        "sequence numbers rise"
    );

    // `-` is standard output: the same lines, then the summary as the last
    // line.
    let to_stdout = dashboard(&["--headless", "--replay", path, "--json-lines", "-"]);
    assert!(
        to_stdout.status.success(),
        "export: {}",
        text(&to_stdout.stderr)
    );
    let stdout = text(&to_stdout.stdout);
    let (frames_part, summary_line) = stdout
        .trim_end()
        .rsplit_once('\n')
        .expect("frames, then the summary");
    assert_eq!(frames_part, lines.trim_end(), "the frames as in the file");
    let summary: serde_json::Value =
        serde_json::from_str(summary_line).expect("the last line is the summary");
    assert_eq!(summary, replay_json);

    // Cut the file in the middle of a record: the replay keeps what came
    // before, says so, and the summary is of that earlier part. The cut
    // goes inside the middle serial record (a cut at a fixed byte can land
    // on a record boundary, which is no damage at all, and a slow boot
    // fills the first half of the file with ticks).
    let bytes = std::fs::read(&recording).unwrap();
    let serial: Vec<(usize, usize)> = record_spans(&bytes)
        .into_iter()
        .filter(|&(_, tag, _)| tag == 1)
        .map(|(start, _, len)| (start, len))
        .collect();
    let (start, len) = serial[serial.len() / 2];
    let cut = scratch("cut.rec");
    std::fs::write(&cut, &bytes[..start + RECORD_HEADER + len / 2]).unwrap();
    let damaged = dashboard(&["--headless", "--replay", cut.to_str().unwrap()]);
    let stderr = text(&damaged.stderr);
    assert!(stderr.contains("the recording is damaged"), "{stderr}");
    assert!(stderr.contains("records before it were kept"), "{stderr}");
    let damaged_json: serde_json::Value =
        serde_json::from_slice(&damaged.stdout).expect("a summary of the part kept");
    let frames = |json: &serde_json::Value| json["link"]["frames"].as_u64().unwrap();
    assert!(frames(&damaged_json) > 0 && frames(&damaged_json) < frames(&live_json));
}

/// A record's fixed part: tag u8, time u64, payload length u32.
const RECORD_HEADER: usize = 13;

/// Each record's (start, tag, payload length), walked by the file format
/// documented in `watchtower::record`.
fn record_spans(bytes: &[u8]) -> Vec<(usize, u8, usize)> {
    assert_eq!(&bytes[..MAGIC.len()], MAGIC, "a recording");
    let name_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let mut at = MAGIC.len() + 4 + name_len;
    let mut spans = Vec::new();
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 9..at + 13].try_into().unwrap()) as usize;
        spans.push((at, bytes[at], len));
        at += RECORD_HEADER + len;
    }
    assert_eq!(at, bytes.len(), "the records fill the file exactly");
    spans
}

/// Writes a recording whose guest greets with `version`.
fn recording_with_version(path: &Path, version: u16) {
    let frame = GuestFrame {
        header: Header {
            seq: 0,
            time_us: 10,
            dropped_before: 0,
        },
        message: Message::Hello(Hello {
            protocol_version: version,
            boot_id: 7,
            tsc_hz: 2_000_000_000,
            image: "demo",
            platform: Default::default(),
        }),
    };
    let mut bytes = vec![0; MAX_FRAME_LEN];
    let len = encode(&frame, &mut bytes).expect("the frame encodes");
    let mut recorder = Recorder::create(path, "demo").expect("recording created");
    recorder
        .write(Duration::ZERO, &Entry::Started(1234))
        .unwrap();
    recorder
        .serial(Duration::from_millis(5), &bytes[..len])
        .unwrap();
    recorder
        .write(Duration::from_millis(6), &Entry::Tick)
        .unwrap();
    recorder.finish().unwrap();
}

#[test]
fn a_recording_from_another_protocol_version_is_refused_by_name() {
    let other = scratch("other-version.rec");
    recording_with_version(&other, PROTOCOL_VERSION + 1);
    let output = dashboard(&["--headless", "--replay", other.to_str().unwrap()]);
    assert!(!output.status.success(), "another version must fail");
    let stderr = text(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(&(PROTOCOL_VERSION + 1).to_string()),
        "the message names the version: {stderr}"
    );

    let same = scratch("same-version.rec");
    recording_with_version(&same, PROTOCOL_VERSION);
    let output = dashboard(&["--headless", "--replay", same.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["protocol_version"], u64::from(PROTOCOL_VERSION));
}

#[test]
fn a_file_that_is_not_a_recording_is_refused() {
    let bogus = scratch("bogus.rec");
    std::fs::write(&bogus, b"not a recording").unwrap();
    let output = dashboard(&["--headless", "--replay", bogus.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("not a recording"));
    assert!(output.stdout.is_empty());
}
