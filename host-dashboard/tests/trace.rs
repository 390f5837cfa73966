//! `--trace`: a replayed recording gives the same Chrome trace twice, and
//! the trace holds together the way Perfetto needs it to (every event has a
//! phase, a process and a time; slices end and nest strictly per thread;
//! every flow has both ends, each inside a slice; counters are numbers;
//! every process is named), with the counts of the run's JSON summary.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

const RECORDING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/demo.rec");

/// Replays the recording headless with `--trace`; the summary and the
/// trace file's bytes.
fn replay_with_trace(path: &Path) -> (Value, Vec<u8>) {
    let output = Command::new(env!("CARGO_BIN_EXE_watchtower"))
        .args(["--headless", "--replay", RECORDING, "--trace"])
        .arg(path)
        .output()
        .expect("the dashboard runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = serde_json::from_slice(&output.stdout).expect("a JSON summary");
    (summary, std::fs::read(path).expect("the trace was written"))
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("wt-trace-{}-{name}", std::process::id()))
}

fn ts(event: &Value) -> f64 {
    event["ts"]
        .as_f64()
        .unwrap_or_else(|| panic!("no ts: {event}"))
}

/// Checks the structure; returns the slices as (pid, tid) → [(start, end)].
fn check_structure(events: &[Value]) -> BTreeMap<(u64, u64), Vec<(f64, f64)>> {
    let mut named = BTreeSet::new();
    let mut pids = BTreeSet::new();
    let mut slices: BTreeMap<(u64, u64), Vec<(f64, f64)>> = BTreeMap::new();
    for event in events {
        let ph = event["ph"]
            .as_str()
            .unwrap_or_else(|| panic!("no ph: {event}"));
        let pid = event["pid"]
            .as_u64()
            .unwrap_or_else(|| panic!("no pid: {event}"));
        if ph == "M" {
            if event["name"] == "process_name" {
                named.insert(pid);
            }
            continue;
        }
        pids.insert(pid);
        assert!(ts(event) >= 0.0, "{event}");
        match ph {
            "X" => {
                let dur = event["dur"]
                    .as_f64()
                    .unwrap_or_else(|| panic!("no dur: {event}"));
                assert!(dur >= 0.0, "{event}");
                let tid = event["tid"].as_u64().unwrap();
                slices
                    .entry((pid, tid))
                    .or_default()
                    .push((ts(event), ts(event) + dur));
            }
            "C" => {
                let args = event["args"].as_object().unwrap();
                assert!(!args.is_empty(), "{event}");
                assert!(args.values().all(Value::is_number), "{event}");
            }
            "i" | "s" | "f" => {}
            other => panic!("unexpected phase {other}: {event}"),
        }
    }
    assert_eq!(pids.difference(&named).count(), 0, "unnamed processes");
    // Slices nest strictly per thread: sorted by start (longest first),
    // each one either starts after the enclosing one ends or lies in it.
    for ((pid, tid), list) in &mut slices {
        list.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let mut stack: Vec<(f64, f64)> = Vec::new();
        for &(start, end) in list.iter() {
            while stack.last().is_some_and(|&(_, open_end)| open_end <= start) {
                stack.pop();
            }
            if let Some(&(open_start, open_end)) = stack.last() {
                assert!(
                    end <= open_end,
                    "pid {pid} tid {tid}: [{start}, {end}] overlaps [{open_start}, {open_end}]"
                );
            }
            stack.push((start, end));
        }
    }
    slices
}

#[test]
fn a_replay_gives_the_same_trace_twice_with_a_sound_structure_and_the_summarys_counts() {
    let (first_path, second_path) = (temp("1.json"), temp("2.json"));
    let (summary, first) = replay_with_trace(&first_path);
    let (_, second) = replay_with_trace(&second_path);
    let _ = std::fs::remove_file(&first_path);
    let _ = std::fs::remove_file(&second_path);
    assert!(first == second, "two replays gave different traces");

    let trace: Value = serde_json::from_slice(&first).expect("the trace is JSON");
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    let slices = check_structure(events);

    // Every flow has both ends (same cat, name and id), each inside a
    // slice of its own thread.
    let mut flows: HashMap<(String, String, u64), [usize; 2]> = HashMap::new();
    for event in events {
        let end = match event["ph"].as_str().unwrap() {
            "s" => 0,
            "f" => 1,
            _ => continue,
        };
        let key = (
            event["cat"].as_str().unwrap().to_string(),
            event["name"].as_str().unwrap().to_string(),
            event["id"].as_u64().unwrap(),
        );
        flows.entry(key).or_default()[end] += 1;
        let thread = (
            event["pid"].as_u64().unwrap(),
            event["tid"].as_u64().unwrap(),
        );
        let at = ts(event);
        assert!(
            slices
                .get(&thread)
                .is_some_and(|list| list.iter().any(|&(start, end)| start <= at && at <= end)),
            "no slice encloses {event}"
        );
    }
    assert!(!flows.is_empty());
    for (key, ends) in &flows {
        assert_eq!(ends, &[1, 1], "flow {key:?}");
    }

    // The counts of the summary.
    let count = |predicate: &dyn Fn(&Value) -> bool| events.iter().filter(|e| predicate(e)).count();
    let number = |path: &str| summary.pointer(path).and_then(Value::as_u64).unwrap() as usize;
    let mut notifies: BTreeMap<u64, usize> = BTreeMap::new();
    for event in events
        .iter()
        .filter(|e| e["ph"] == "X" && e["name"] == "notify")
    {
        *notifies
            .entry(event["args"]["subscriber"].as_u64().unwrap())
            .or_default() += 1;
    }
    let expected: BTreeMap<u64, usize> = summary["subscribers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["endpoint"].as_u64().unwrap(),
                s["events"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    assert_eq!(notifies, expected, "notifications per subscriber");
    assert_eq!(flows.len(), expected.values().sum::<usize>());
    let instant = |prefix: &'static str| {
        move |e: &Value| e["ph"] == "i" && e["name"].as_str().unwrap().starts_with(prefix)
    };
    assert_eq!(count(&instant("exit (")), number("/events/exit"));
    assert_eq!(count(&instant("SIG")), number("/events/signal"));
    assert_eq!(
        count(&instant("fault (")),
        number("/reliability/user_faults")
    );
    let published = number("/events/published/exit")
        + number("/events/published/signal")
        + number("/events/published/spawn");
    assert_eq!(
        count(&|e| e["ph"] == "X" && e["cat"] == "pm" && e["name"] != "notify"),
        published,
        "an event slice per published event"
    );
    let lives = count(&|e| e["ph"] == "X" && e["name"] == "life");
    assert!(lives >= number("/events/spawn"), "{lives} lives");
    assert!(count(&|e| e["ph"] == "C" && e["name"] == "memory") > 0);
    assert!(count(&|e| e["ph"] == "C" && e["name"] == "faults") > 0);
}
