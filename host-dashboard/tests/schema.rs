//! The JSON Schemas of the headless summary and the `--json-lines` frames:
//! the committed copies equal what the Rust types generate, and real
//! outputs (a replayed demo recording: its summary and every frame line)
//! validate against them.
//!
//! After changing a summary or message type, regenerate the copies with
//! `WATCHTOWER_UPDATE_SCHEMA=1 cargo test -p watchtower --test schema`.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

const RECORDING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/demo.rec");

fn committed(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(name)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

#[test]
fn the_committed_schemas_are_the_generated_ones() {
    for (name, generated) in [
        ("summary.schema.json", watchtower::schema::summary()),
        ("frame.schema.json", watchtower::schema::frame()),
    ] {
        let path = committed(name);
        if std::env::var_os("WATCHTOWER_UPDATE_SCHEMA").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, pretty(&generated)).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert!(
            on_disk == pretty(&generated),
            "{name} is out of date: regenerate it with WATCHTOWER_UPDATE_SCHEMA=1 cargo test -p watchtower --test schema"
        );
    }
}

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(committed(name)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn a_replayed_runs_summary_and_frames_validate() {
    let lines_path = std::env::temp_dir().join(format!("wt-schema-{}.jsonl", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_watchtower"))
        .args(["--headless", "--replay", RECORDING, "--json-lines"])
        .arg(&lines_path)
        .output()
        .expect("the dashboard runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        summary["schema_version"],
        watchtower::schema::SCHEMA_VERSION
    );
    assert_valid(&validator("summary.schema.json"), &summary, "the summary");

    let frames = validator("frame.schema.json");
    let text = std::fs::read_to_string(&lines_path).unwrap();
    let _ = std::fs::remove_file(&lines_path);
    let mut kinds = std::collections::BTreeSet::new();
    for (number, line) in text.lines().enumerate() {
        let frame: Value = serde_json::from_str(line).unwrap();
        assert_eq!(frame["schema_version"], watchtower::schema::SCHEMA_VERSION);
        assert_valid(&frames, &frame, &format!("line {}", number + 1));
        if let Some(message) = frame["message"].as_object() {
            kinds.extend(message.keys().cloned());
        }
    }
    assert!(kinds.len() >= 10, "a varied recording: {kinds:?}");
}

#[test]
fn the_schemas_reject_what_the_types_cannot_produce() {
    // A check that cannot fail proves nothing: break real outputs.
    let summary = validator("summary.schema.json");
    let mut bad = serde_json::json!({"image": "demo"});
    assert!(!summary.is_valid(&bad), "a summary missing most fields");
    bad = serde_json::from_str(
        r#"{"schema_version":1,"host_us":1,"seq":1,"time_us":1,"dropped_before":0,
            "message":{"Heartbeat":{"uptime_ns":"soon","dropped_total":0,"idle_ns":0}}}"#,
    )
    .unwrap();
    assert!(
        !validator("frame.schema.json").is_valid(&bad),
        "a string count"
    );
    let good: Value = serde_json::from_str(
        r#"{"schema_version":1,"host_us":1,"seq":1,"time_us":1,"dropped_before":0,
            "message":{"LatencyHistogram":{"round":1,"endpoint":2,"sum_ns":5,"buckets":[[3,1],[5,2]]}}}"#,
    )
    .unwrap();
    assert_valid(
        &validator("frame.schema.json"),
        &good,
        "a latency histogram",
    );
    let mut wrong = good.clone();
    wrong["message"]["LatencyHistogram"]["buckets"] = serde_json::json!([[41, 1]]);
    assert!(
        !validator("frame.schema.json").is_valid(&wrong),
        "bucket 41"
    );
}
