//! The headless contract, end to end: the real binary builds an image, boots
//! it in QEMU, and prints the JSON summary that outside checks rely on
//! (`BRIEF.md`, "Contracts outside checks rely on").
//!
//! These tests need QEMU (`qemu-system-x86`); without it they fail, never
//! skip.

mod headless;

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

/// One snapshot of a process: guest time (µs), faults (minor + major),
/// major faults, pages attached.
#[derive(Clone, Copy, Debug)]
struct Sample {
    time_us: u64,
    faults: u64,
    major: u64,
    pages: u64,
}

/// The demo's long-running programs outlive the run with one pid each and
/// faults that keep growing: `heapwave` grows its heap, holds it and gives
/// it back; `reader` takes major faults (pages from the disk) and
/// page-cache hits; `cowfork`'s children take copy-on-write faults in
/// every round, and so does the parent.
#[test]
fn the_demos_long_running_programs_keep_their_pid_and_their_faults_grow() {
    // Sixty seconds of the host's time, of which the guest's checks need
    // the first eighteen of its own (a loaded host, or the other tests of
    // this file booting at the same time, run it slower).
    let run = headless::run(&["--seconds", "60"]);
    let message = |frame: &Value, kind: &str| frame.pointer(&format!("/message/{kind}")).cloned();
    let init = run
        .frames
        .iter()
        .filter_map(|frame| message(frame, "Spawn"))
        .find(|spawn| spawn["name"] == "init")
        .map(|spawn| number(&spawn, "/pid"))
        .expect("init was spawned");
    let logs = run.logs();
    let mut pids = Vec::new();
    for name in ["heapwave", "reader", "cowfork"] {
        // Started once by init, early, and never again (no restart).
        let starts: Vec<(u64, u64)> = run
            .frames
            .iter()
            .filter_map(|frame| Some((number(frame, "/time_us"), message(frame, "Spawn")?)))
            .filter(|(_, spawn)| spawn["name"] == name && number(spawn, "/parent") == init)
            .map(|(time_us, spawn)| (time_us, number(&spawn, "/pid")))
            .collect();
        assert_eq!(starts.len(), 1, "{name} started once by init: {starts:?}");
        let (started_us, pid) = starts[0];
        assert!(
            started_us < 5_000_000,
            "{name} started late: {started_us} us"
        );
        pids.push(pid);
        // It never exits, and is alive at the end.
        let exits: Vec<Value> = run
            .frames
            .iter()
            .filter_map(|frame| message(frame, "Exit"))
            .filter(|exit| number(exit, "/pid") == pid)
            .collect();
        assert!(exits.is_empty(), "{name} (pid {pid}) exited: {exits:?}");
        let live = array(&run.json, "/processes")
            .iter()
            .find(|process| number(process, "/pid") == pid)
            .unwrap_or_else(|| panic!("{name} (pid {pid}) is not alive at the end"));
        assert_eq!(live["name"], name);

        // Its snapshots cover the run, and its faults grew in the first
        // eight seconds and again after them.
        let samples: Vec<Sample> = run
            .frames
            .iter()
            .filter_map(|frame| Some((number(frame, "/time_us"), message(frame, "Process")?)))
            .filter(|(_, process)| number(process, "/pid") == pid)
            .map(|(time_us, process)| Sample {
                time_us,
                faults: number(&process, "/vm/minor_faults") + number(&process, "/vm/major_faults"),
                major: number(&process, "/vm/major_faults"),
                pages: number(&process, "/vm/vm_total_pages"),
            })
            .collect();
        let (first, last) = (samples[0], *samples.last().unwrap());
        assert!(
            last.time_us - first.time_us > 17_000_000,
            "{name}'s snapshots span under 17 s of guest time (the host too slow?): {first:?} .. {last:?}"
        );
        let at_eight = *samples
            .iter()
            .find(|sample| sample.time_us >= first.time_us + 8_000_000)
            .unwrap();
        assert!(
            first.faults < at_eight.faults && at_eight.faults < last.faults,
            "{name}'s faults did not keep growing: {first:?}, {at_eight:?}, {last:?}"
        );
        assert!(
            samples
                .windows(2)
                .all(|pair| pair[0].faults <= pair[1].faults),
            "{name}'s fault count went down: {samples:?}"
        );
        // One log line per phase.
        let prefix = format!("{name} {pid}: ");
        let lines: Vec<&&str> = logs
            .iter()
            .filter(|line| line.starts_with(&prefix))
            .collect();
        assert!(lines.len() >= 3, "{name} logged {lines:?}");

        match name {
            "heapwave" => {
                // Grew to 12 MiB (3072 pages, each a minor fault), then gave
                // it back.
                let peak = samples.iter().map(|sample| sample.pages).max().unwrap();
                assert!(peak >= 3072, "heapwave's peak: {peak} pages");
                let after_peak = samples
                    .iter()
                    .skip_while(|sample| sample.pages < 3072)
                    .map(|sample| sample.pages)
                    .min()
                    .unwrap();
                assert!(after_peak < 100, "heapwave never shrank: {samples:?}");
                assert!(
                    lines.iter().any(|line| line.contains("shrank to 0 MiB")),
                    "{lines:?}"
                );
            }
            "reader" => {
                // Windows it read from the disk, and windows a child read
                // first, so that its own reads were page-cache hits.
                assert!(last.major >= 64, "reader's major faults: {last:?}");
                assert!(at_eight.major < last.major, "{at_eight:?} {last:?}");
                assert!(
                    lines
                        .iter()
                        .any(|line| line.contains("32 read from the disk (major faults)")),
                    "{lines:?}"
                );
                assert!(
                    lines.iter().any(|line| line.contains(
                        "I had 32 page-cache hits (minor faults), 0 major faults; 0 pages wrong"
                    )),
                    "{lines:?}"
                );
            }
            "cowfork" => {
                // Rounds: a child (forked by cowfork, so with its name)
                // took a copy-on-write fault for each of its 256 writes.
                let children = run
                    .frames
                    .iter()
                    .filter_map(|frame| message(frame, "Spawn"))
                    .filter(|spawn| number(spawn, "/parent") == pid)
                    .count();
                assert!(children >= 3, "cowfork forked {children} children");
                let rounds = lines
                    .iter()
                    .filter(|line| {
                        line.contains(
                            "took 256 copy-on-write faults; I wrote 128 shared pages (128 faults",
                        ) && line.contains("0 of the child's writes reached me")
                    })
                    .count();
                assert!(rounds >= 3, "{lines:?}");
            }
            _ => unreachable!(),
        }
    }
    let mut distinct = pids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "three processes: {pids:?}");
}
