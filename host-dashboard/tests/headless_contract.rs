//! The headless contract, end to end: the real binary builds an image, boots
//! it in QEMU, and prints the JSON summary that outside checks rely on
//! (`BRIEF.md`, "Contracts outside checks rely on").
//!
//! These tests need QEMU (`qemu-system-x86`); without it they fail, never
//! skip.

use serde_json::Value;
use std::process::{Command, Output};

/// Runs `watchtower --headless` with `args` and returns its output.
fn headless(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_watchtower"))
        .arg("--headless")
        .args(args)
        .output()
        .expect("the dashboard binary runs")
}

/// The one JSON object on stdout.
fn summary(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines().filter(|line| !line.trim().is_empty());
    let json = lines.next().unwrap_or_else(|| {
        panic!(
            "no JSON on stdout; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(lines.next().is_none(), "more than one line on stdout");
    serde_json::from_str(json).expect("stdout is one JSON object")
}

fn number(value: &Value, path: &str) -> u64 {
    value
        .pointer(path)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{path} is not a number in {value}"))
}

fn array<'a>(value: &'a Value, path: &str) -> &'a Vec<Value> {
    value
        .pointer(path)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{path} is not an array in {value}"))
}

#[test]
fn the_demo_runs_headless_with_live_processes_regions_subscribers_and_events() {
    let output = headless(&["--seconds", "10"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}: {stderr}",
        output.status
    );
    let json = summary(&output);

    assert_eq!(json["image"], "demo");
    assert_eq!(
        number(&json, "/protocol_version"),
        u64::from(protocol::PROTOCOL_VERSION)
    );
    assert!(number(&json, "/guest/uptime_ns") > 0);
    assert!(json["guest"]["panic"].is_null());

    // The link: frames arrived, none corrupt, none missing.
    assert!(number(&json, "/link/frames") > 100);
    assert!(number(&json, "/link/bytes") > number(&json, "/link/frames"));
    assert_eq!(number(&json, "/link/crc_errors"), 0);
    assert_eq!(number(&json, "/link/seq_gaps"), 0);

    // Processes: the services, init and its programs are alive, each one
    // that a snapshot round has covered with its regions and VM counters (a
    // process spawned in the last moments may not have been snapshotted).
    let processes = array(&json, "/processes");
    assert!(processes.len() >= 4, "live processes: {processes:?}");
    let snapshotted: Vec<&Value> = processes
        .iter()
        .filter(|process| !process["regions_expected"].is_null())
        .collect();
    assert!(snapshotted.len() >= 4, "snapshotted: {snapshotted:?}");
    for process in snapshotted {
        let regions = array(process, "/regions");
        assert!(!regions.is_empty(), "no regions: {process}");
        if process["regions_complete"] == true {
            assert_eq!(
                regions.len() as u64,
                number(process, "/regions_expected"),
                "a complete region list: {process}"
            );
        }
        let resident: u64 = regions.iter().map(|r| number(r, "/resident_pages")).sum();
        assert!(
            number(process, "/vm_total_pages") >= resident,
            "vm_total below the resident pages: {process}"
        );
        assert!(number(process, "/vm_total_max_pages") >= number(process, "/vm_total_pages"));
        for region in regions {
            let perms = region["perms"].as_str().expect("perms");
            assert_eq!(perms.len(), 3, "perms like rw-: {region}");
            assert!(number(region, "/len") > 0);
        }
    }
    assert!(
        processes
            .iter()
            .any(|p| number(p, "/minor_faults") + number(p, "/major_faults") > 0),
        "no process took a page fault"
    );

    // Exited programs carry their status or the signal that killed them.
    let exited = array(&json, "/exited");
    assert!(!exited.is_empty());
    for process in exited {
        assert!(
            process["status"].is_i64() || process["signal"].is_u64(),
            "exit without a status or signal: {process}"
        );
    }
    assert!(
        exited.iter().any(|p| !p["signal"].is_null()),
        "no signal deaths"
    );

    // Two subscribers, every event acked or still outstanding, real latency.
    let subscribers = array(&json, "/subscribers");
    assert!(subscribers.len() >= 2, "subscribers: {subscribers:?}");
    for subscriber in subscribers {
        assert_eq!(
            number(subscriber, "/acks") + number(subscriber, "/outstanding"),
            number(subscriber, "/events"),
            "acks + outstanding != events: {subscriber}"
        );
        assert!(number(subscriber, "/events") > 0);
        assert!(number(subscriber, "/ack_latency_ns/p50") > 0);
        assert!(
            number(subscriber, "/ack_latency_ns/p99") >= number(subscriber, "/ack_latency_ns/p50")
        );
    }
    assert!(number(&json, "/events/spawn") > 0);
    assert!(number(&json, "/events/signal") > 0);
    assert!(number(&json, "/events/exit") > 0);
}

#[test]
fn a_kernel_panic_fails_the_run_with_a_one_line_reason_and_still_prints_the_summary() {
    let output = headless(&["--seconds", "20", "--image", "panic"]);
    assert!(
        !output.status.success(),
        "a panicking guest must fail the run"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reason = stderr.trim_end();
    assert_eq!(reason.lines().count(), 1, "one-line reason, got: {stderr}");
    assert!(reason.contains("panic"), "reason names the panic: {reason}");
    let json = summary(&output);
    assert_eq!(json["image"], "panic");
    assert!(
        !json["guest"]["panic"].is_null(),
        "panic in the JSON: {json}"
    );
}

#[test]
fn an_unknown_image_is_refused_with_a_clear_message() {
    let output = headless(&["--seconds", "1", "--image", "no-such-image"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no-such-image"),
        "the message names the image: {stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing on stdout");
}
