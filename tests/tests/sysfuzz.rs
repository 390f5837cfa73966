//! The syscall fuzzer (`images/sysfuzz`, program `sysfuzz`) for about 30 s
//! of guest time with a fixed seed: random system calls from ring 3 with
//! ABI-aware arguments, forks, signals and messages between the fuzzing
//! processes and to the services. The kernel must survive (no panic, no
//! kernel fault, a clean power-off with init's status 0), every round's
//! quiet point must find memory exactly where it was (no frame or swap
//! slot leaked) and the IPC service answering, both services must still be
//! there and every process event they were sent must be acked or in flight
//! for a moment (none stuck).
//!
//! A seed that ever broke the kernel becomes a case in
//! [`REGRESSION_SEEDS`], booted again by its own test. The campaign test
//! runs further seeds: a short one by default, and as long as
//! `WATCHTOWER_SYSFUZZ_SECONDS` says (RELIABILITY.md has the figures of an
//! hour's campaign):
//!
//! ```sh
//! WATCHTOWER_SYSFUZZ_SECONDS=3600 cargo test --release -p boot-tests --test sysfuzz campaign -- --nocapture
//! ```

use boot_tests::BootRun;
use image_builder::{BuildOutput, QemuOptions};
use protocol::message::Message;
use std::time::{Duration, Instant};

/// Seeds that found a bug once, with what they found.
const REGRESSION_SEEDS: [(u64, &str); 0] = [];

/// Boots the fuzzer with `seed` for `rounds` rounds of `seconds` each.
fn boot_seed(seed: u64, seconds: u64, rounds: usize) -> BootRun {
    let built = image_builder::build_variant(
        "sysfuzz",
        &format!("seed-{seed}"),
        |manifest| {
            let driver = manifest
                .programs
                .iter_mut()
                .find(|program| program.name == "sysfuzz")
                .expect("the image runs sysfuzz");
            driver.args = [
                "driver",
                &seed.to_string(),
                &seconds.to_string(),
                "4",
                &rounds.to_string(),
            ]
            .map(String::from)
            .to_vec();
        },
        BuildOutput::Capture,
    )
    .unwrap_or_else(|error| panic!("building the sysfuzz variant failed: {error}"));
    let deadline = Duration::from_secs(60 + 4 * seconds * rounds as u64);
    boot_tests::boot_image(&built, deadline, &QemuOptions::default(), Vec::new())
}

/// The run with the image's own arguments (seed 1, 3 rounds of 10 s).
fn run() -> &'static BootRun {
    boot_tests::boot_shared("sysfuzz", Duration::from_secs(240))
}

/// The lines of the driver (init) and the kernel: the fuzzing processes'
/// own output is random bytes.
fn describe(run: &BootRun, init: u32) -> String {
    let mut text = format!("exit status {:?}\n", run.exit_status);
    for (pid, line) in run.log_lines() {
        if pid == init || pid == 0 || line.starts_with("sysfuzz:") {
            text.push_str(&format!("  [{pid}] {line}\n"));
        }
    }
    for message in run.kernel_panics() {
        text.push_str(&format!("  {message:?}\n"));
    }
    text
}

/// Checks everything a fuzz run must show; returns the calls made.
fn check_survived(run: &BootRun, rounds: usize) -> u64 {
    let init = run
        .spawns()
        .into_iter()
        .find(|(_, parent, name)| *parent == 0 && *name == "sysfuzz")
        .map(|(pid, ..)| pid)
        .expect("sysfuzz is init");
    let what = describe(run, init);
    assert!(
        run.kernel_panics().is_empty(),
        "the kernel panicked or faulted:\n{what}"
    );
    assert_eq!(
        run.guest_exit_code(),
        Some(0),
        "init ends with status 0 (every round passed) and powers off:\n{what}"
    );
    let driver: Vec<&str> = run
        .log_lines()
        .into_iter()
        .filter(|(pid, _)| *pid == init)
        .map(|(_, line)| line)
        .collect();
    for round in 1..=rounds {
        let prefix = format!("sysfuzz: round {round} ok: ");
        assert!(
            driver.iter().any(|line| line.starts_with(&prefix)),
            "no '{prefix}...' (a leak or a silent IPC service):\n{what}"
        );
    }
    let done = driver
        .iter()
        .find_map(|line| line.strip_prefix("sysfuzz: done, "))
        .unwrap_or_else(|| panic!("no closing line:\n{what}"));
    let calls: u64 = done
        .split(", ")
        .find_map(|part| part.strip_suffix(" calls")?.parse().ok())
        .unwrap_or_else(|| panic!("no call count in '{done}'"));

    // Both services lived through it and acked everything they were sent:
    // the last snapshot of each adds up, and the events it still had
    // outstanding (the guest powers off as soon as init exits, so the last
    // periodic round can fall while a fuzzing process's exit is in flight)
    // were acked after it.
    for service in ["ipc", "acct"] {
        let pid = run.pids_of(service)[0];
        assert_eq!(run.exit_of(pid), None, "{service} died:\n{what}");
        let messages: Vec<&Message<String>> = run.messages().collect();
        let (at, last) = messages
            .iter()
            .enumerate()
            .filter_map(|(at, m)| match m {
                Message::Subscriber(s) if s.endpoint == pid => Some((at, s)),
                _ => None,
            })
            .next_back()
            .unwrap_or_else(|| panic!("{service} never subscribed:\n{what}"));
        let acked_after = messages[at..]
            .iter()
            .filter(|m| matches!(m, Message::Ack(ack) if ack.subscriber == pid))
            .count() as u64;
        assert!(
            last.events > 100
                && last.acks + u64::from(last.outstanding) == last.events
                && acked_after >= u64::from(last.outstanding),
            "{service} acked every event: {last:?}, {acked_after} acks after it"
        );
    }
    calls
}

#[test]
fn sysfuzz_seed_1_for_30_seconds_leaves_the_kernel_whole() {
    let calls = check_survived(run(), 3);
    assert!(calls > 10_000, "only {calls} calls in 30 s");
    eprintln!("sysfuzz: seed 1, {calls} calls, no panic, no leak");
}

#[test]
fn every_seed_that_once_broke_the_kernel_stays_fixed() {
    for (seed, found) in REGRESSION_SEEDS {
        eprintln!("sysfuzz: seed {seed} once found: {found}");
        check_survived(&boot_seed(seed, 5, 2), 2);
    }
}

/// Seeds 2, 3, ... for `WATCHTOWER_SYSFUZZ_SECONDS` (default: one short
/// boot), each three rounds of 10 s; goes on past a failing seed and names
/// every one at the end.
#[test]
fn campaign() {
    let budget: u64 = std::env::var("WATCHTOWER_SYSFUZZ_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let started = Instant::now();
    let (mut seeds, mut calls) = (0u64, 0u64);
    let mut failed = Vec::new();
    let mut seed = 2;
    loop {
        let (seconds, rounds) = if budget == 0 { (4, 2) } else { (10, 3) };
        let run = boot_seed(seed, seconds, rounds);
        match std::panic::catch_unwind(|| check_survived(&run, rounds)) {
            Ok(made) => calls += made,
            Err(_) => failed.push(seed),
        }
        seeds += 1;
        eprintln!(
            "sysfuzz campaign: seed {seed} {}, {calls} calls in {seeds} seeds, {} failed, {:.0} s",
            if failed.last() == Some(&seed) {
                "FAILED"
            } else {
                "ok"
            },
            failed.len(),
            started.elapsed().as_secs_f64()
        );
        seed += 1;
        if started.elapsed().as_secs() >= budget {
            break;
        }
    }
    eprintln!("sysfuzz campaign: {seeds} seeds, {calls} calls, failed seeds {failed:?}");
    assert!(failed.is_empty(), "seeds that failed: {failed:?}");
}
