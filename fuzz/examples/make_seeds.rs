//! Writes the committed seed corpus (fuzz/seeds/) from real data:
//!
//! - `seeds/stream_decoder/`: slices of the serial bytes in a dashboard
//!   recording (default `host-dashboard/tests/fixtures/demo.rec`, a real
//!   boot of the demo image): the start of the boot (Hello included), a
//!   slice from the middle that starts mid-frame, and the end;
//! - `seeds/command_parser/`: one encoded command of every kind, as the
//!   dashboard sends them, plus one behind line noise.
//!
//! Run from `fuzz/`: `cargo run --release --example make_seeds [-- FILE.rec]`.
//! Seeds are overwritten, never added to: the set stays small on purpose.
//!
//! The recording format is the dashboard's (`host-dashboard/src/record.rs`):
//! header `"WTREC" 0x00`, version u16, image name length u16, image name;
//! then records of tag u8, time µs u64, payload length u32, payload, all
//! little-endian; tag 1 is serial bytes. Only the serial records are used.

use protocol::command::{Command, HostFrame};
use protocol::frame::{self, MAX_FRAME_LEN};
use std::path::{Path, PathBuf};

/// Bytes per stream seed: a few dozen frames each.
const SLICE: usize = 2048;

fn main() {
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let recording = std::env::args_os().nth(1).map_or_else(
        || fuzz_dir.join("../host-dashboard/tests/fixtures/demo.rec"),
        PathBuf::from,
    );
    let bytes = std::fs::read(&recording)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", recording.display()));
    let serial = serial_bytes(&bytes)
        .unwrap_or_else(|error| panic!("{} is not a recording: {error}", recording.display()));
    assert!(
        serial.len() >= 3 * SLICE,
        "only {} serial bytes in {}",
        serial.len(),
        recording.display()
    );

    let stream_dir = fuzz_dir.join("seeds/stream_decoder");
    let middle = serial.len() / 2;
    write(&stream_dir, "boot-start", &serial[..SLICE]);
    write(&stream_dir, "mid-stream", &serial[middle..middle + SLICE]);
    write(&stream_dir, "end", &serial[serial.len() - SLICE..]);

    let command_dir = fuzz_dir.join("seeds/command_parser");
    let commands = [
        ("ping", Command::Ping),
        ("signal", Command::Signal { pid: 3, signal: 15 }),
        (
            "spawn",
            Command::Spawn {
                program: "hello",
                args: "from the host",
            },
        ),
        (
            "snapshot-interval",
            Command::SetSnapshotInterval { ms: 250 },
        ),
    ];
    for (id, (name, command)) in (1..).zip(commands) {
        write(&command_dir, name, &encode(&HostFrame { id, command }));
    }
    let mut noisy = vec![0x13, 0x37, 0xff, 0x00];
    noisy.extend(encode(&HostFrame {
        id: 9,
        command: Command::<&str>::Ping,
    }));
    write(&command_dir, "noise-then-ping", &noisy);
}

fn encode(command: &HostFrame<&str>) -> Vec<u8> {
    let mut out = vec![0u8; MAX_FRAME_LEN];
    let len = frame::encode(command, &mut out).expect("a command encodes");
    out.truncate(len);
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).expect("create the seed directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a seed");
    println!("{} ({} bytes)", path.display(), bytes.len());
}

/// The serial bytes of a recording, in order.
fn serial_bytes(file: &[u8]) -> Result<Vec<u8>, String> {
    let mut rest = file.strip_prefix(b"WTREC\0").ok_or("no WTREC header")?;
    let mut take = |len: usize| -> Result<&[u8], String> {
        if rest.len() < len {
            return Err(format!("cut short ({len} bytes wanted)"));
        }
        let (head, tail) = rest.split_at(len);
        rest = tail;
        Ok(head)
    };
    let version = u16::from_le_bytes(take(2)?.try_into().unwrap());
    if version != 1 {
        return Err(format!("format version {version}"));
    }
    let name_len = u16::from_le_bytes(take(2)?.try_into().unwrap());
    take(usize::from(name_len))?;
    let mut serial = Vec::new();
    loop {
        let Ok(tag) = take(1) else {
            return Ok(serial);
        };
        let tag = tag[0];
        take(8)?;
        let len = u32::from_le_bytes(take(4)?.try_into().unwrap());
        let payload = take(len as usize)?;
        if tag == 1 {
            serial.extend_from_slice(payload);
        }
    }
}
