//! Fault injection, end to end: the real binary boots the `faults` image
//! headless (its init, `chaos`, runs out of memory, fills the process table
//! twice, and floods the telemetry ring) and the JSON and the JSON-lines
//! export show that the kernel kept going, leaked nothing, and that every
//! frame the ring dropped was reported, while the host's picture of the
//! processes was put right by the snapshot rounds.
//!
//! Needs QEMU (`qemu-system-x86`); without it the test fails, never skips.

mod headless;

use headless::number;
use serde_json::Value;

#[test]
fn injected_faults_are_survived_reported_and_leave_nothing_behind() {
    let run = headless::run(&["--image", "faults", "--seconds", "240"]);
    let (json, frames) = (&run.json, &run.frames);
    let logs = run.logs();

    // The guest's own checks all passed (its exit status counts the
    // failures), and it powered off with 0.
    let story: Vec<&&str> = logs
        .iter()
        .filter(|line| {
            ["PASS", "FAIL", "chaos", "inject"]
                .iter()
                .any(|p| line.starts_with(p))
        })
        .collect();
    assert_eq!(json["guest"]["exit_code"], 0, "{story:#?}");
    let fails: Vec<&&str> = logs
        .iter()
        .filter(|line| line.starts_with("FAIL"))
        .collect();
    assert!(fails.is_empty(), "{fails:?}");
    for check in [
        "oom-child-stopped",
        "storm-refused-cleanly",
        "storm-all-reaped",
        "storm-fork-works-again",
        "no-leak-across-rounds",
        "flood-child-reaped",
    ] {
        assert!(
            logs.contains(&format!("PASS {check}").as_str()),
            "no PASS {check}"
        );
    }
    assert_eq!(json["guest"]["exit_code"], 0, "{}", json["failure"]);
    assert!(json["failure"].is_null());

    // What was injected, and what the system did, in the summary.
    let reliability = &json["reliability"];
    let injected: Vec<&str> = reliability["injected"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let results = |kind: &str| {
        injected
            .iter()
            .filter(|line| line.starts_with(&format!("{kind}: result")))
            .count()
    };
    assert_eq!(
        (
            results("oom"),
            results("fork-storm"),
            results("ring-overflow")
        ),
        (2, 2, 1),
        "{injected:?}"
    );
    assert!(
        injected
            .iter()
            .filter(|line| line.starts_with("fork-storm: result"))
            .all(|line| line.ends_with("then EAGAIN") || line.ends_with("then ENOMEM")),
        "{injected:?}"
    );
    assert_eq!(reliability["kernel_survived"], true);
    let killed_for_memory = injected
        .iter()
        .filter(|line| line.starts_with("oom: result") && line.ends_with("Killed(9))"))
        .count() as u64;
    assert_eq!(number(json, "/reliability/oom_kills"), killed_for_memory);
    // And the warnings line (and its headless count) shows them.
    assert_eq!(number(json, "/warnings/oom_kills"), killed_for_memory);

    // The ring overflowed; every drop was reported by the frame after it,
    // and the sequence itself has no hole (dropped frames take no number).
    let dropped = number(json, "/reliability/frames_dropped_reported");
    assert!(
        dropped > 0,
        "the flood did not overflow the ring: {reliability}"
    );
    assert_eq!(reliability["drops_all_reported"], true, "{reliability}");
    assert_eq!(number(json, "/reliability/seq_gaps"), 0);
    assert_eq!(number(json, "/reliability/bad_frames"), 0);
    let reported: u64 = frames
        .iter()
        .map(|frame| frame["dropped_before"].as_u64().unwrap())
        .sum();
    assert_eq!(reported, dropped);
    run.assert_contiguous();

    // The host's picture is right despite the lost frames: of the two
    // thousand children, none is shown alive; only init may still be.
    let live: Vec<u64> = json["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|process| process["pid"].as_u64())
        .collect();
    assert!(live.iter().all(|&pid| pid == 1), "ghosts: {live:?}");
    assert!(number(json, "/snapshots/complete") > 0);
}

/// The `oom` image's kills (a shared-region hog, a thrashing hog, an idle
/// bystander, a service hog) reach the dashboard: counted as OOM kills in the headless
/// JSON's `reliability` and `warnings`, one per hog the guest saw killed.
#[test]
fn out_of_memory_kills_are_counted_and_warned_of() {
    let run = headless::run(&["--image", "oom", "--seconds", "120"]);
    let json = &run.json;
    assert_eq!(json["guest"]["exit_code"], 0, "{:#?}", run.logs());
    let kernel_kills = run
        .logs()
        .iter()
        .filter(|line| line.starts_with("oom: ") && line.contains(": killed pid "))
        .count() as u64;
    assert_eq!(kernel_kills, 4, "{:#?}", run.logs());
    assert_eq!(number(json, "/reliability/oom_kills"), kernel_kills);
    assert_eq!(number(json, "/warnings/oom_kills"), kernel_kills);
}
