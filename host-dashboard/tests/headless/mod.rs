//! Running the real binary headless, for the end-to-end tests: its JSON
//! summary and, with `--json-lines`, every frame it decoded.
// Each test crate uses its own part of the harness.
#![allow(dead_code)]

use serde_json::Value;
use std::process::Command;

/// A finished headless run.
pub struct Run {
    /// The JSON summary on stdout.
    pub json: Value,
    /// Every decoded frame, from the JSON-lines export.
    pub frames: Vec<Value>,
}

/// Runs `watchtower --headless` with `args` plus a JSON-lines export;
/// fails the test unless it exits successfully.
pub fn run(args: &[&str]) -> Run {
    let dir = std::env::temp_dir().join(format!(
        "wt-headless-{}-{}",
        std::process::id(),
        args.join("-").replace(['/', ':'], "_")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let frames_path = dir.join("frames.jsonl");
    let output = Command::new(env!("CARGO_BIN_EXE_watchtower"))
        .arg("--headless")
        .args(args)
        .arg("--json-lines")
        .arg(&frames_path)
        .output()
        .expect("the dashboard runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    let json: Value = serde_json::from_slice(&output.stdout).expect("one JSON summary");
    let frames = std::fs::read_to_string(&frames_path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    Run { json, frames }
}

impl Run {
    /// The text of every log frame, in order.
    pub fn logs(&self) -> Vec<&str> {
        self.frames
            .iter()
            .filter_map(|frame| frame.pointer("/message/Log/text")?.as_str())
            .collect()
    }

    /// Checks that sequence numbers are contiguous: dropped frames take no
    /// number, so a hole means the link lost a frame.
    pub fn assert_contiguous(&self) {
        for pair in self.frames.windows(2) {
            let (a, b) = (pair[0]["seq"].as_u64(), pair[1]["seq"].as_u64());
            assert_eq!(Some(a.unwrap() + 1), b, "a hole in the sequence");
        }
    }
}

/// The number at JSON pointer `path` in `value`.
pub fn number(value: &Value, path: &str) -> u64 {
    value
        .pointer(path)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{path} is not a number in {value}"))
}
