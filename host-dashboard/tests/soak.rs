//! The soak, end to end: the real binary boots the `soak` image headless
//! for a while (25 s by default; `WATCHTOWER_SOAK_SECONDS=1800` for the
//! documented 30-minute run) and checks, from the JSON summary and the
//! JSON-lines export of every frame:
//!
//! - no frame or swap slot leaked: every round's quiet-point check passed
//!   (`soak: round N ok`), and swap was really used meanwhile;
//! - every process event published was acked or accounted for, nothing is
//!   stuck, every subscriber's acks plus outstanding equal its events;
//! - the sequence numbers are contiguous, and every frame the guest's ring
//!   dropped (if any) was reported.
//!
//! It prints one line of figures (run it with `--nocapture`) for
//! RELIABILITY.md. Needs QEMU; without it the test fails, never skips.

mod headless;

use headless::number;
use serde_json::Value;

/// The round number of a `soak: round N ok ...` line, and whether it says
/// ok.
fn round_of(line: &str) -> Option<(u64, bool)> {
    let rest = line.strip_prefix("soak: round ")?;
    let (number, rest) = rest.split_once(' ')?;
    Some((number.parse().ok()?, rest.starts_with("ok ")))
}

#[test]
fn the_soak_leaks_nothing_and_accounts_for_every_event_and_frame() {
    let seconds: u64 = std::env::var("WATCHTOWER_SOAK_SECONDS")
        .ok()
        .map(|text| text.parse().expect("WATCHTOWER_SOAK_SECONDS is a number"))
        .unwrap_or(25);
    let run = headless::run(&["--image", "soak", "--seconds", &seconds.to_string()]);
    let (json, frames) = (&run.json, &run.frames);
    assert!(json["failure"].is_null(), "{}", json["failure"]);
    assert_eq!(json["reliability"]["kernel_survived"], true);

    // No leak: every round that ended passed its quiet-point check.
    let rounds: Vec<(u64, bool)> = run.logs().into_iter().filter_map(round_of).collect();
    let leaks: Vec<u64> = rounds
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(n, _)| *n)
        .collect();
    assert!(leaks.is_empty(), "rounds with a leak: {leaks:?}");
    assert!(
        rounds.len() as u64 >= seconds / 4,
        "only {} rounds",
        rounds.len()
    );
    let dropped = number(json, "/reliability/frames_dropped_reported");
    if dropped == 0 {
        for (index, (round, _)) in rounds.iter().enumerate() {
            assert_eq!(*round, index as u64 + 1, "a round's line is missing");
        }
    }
    let peak_swap = frames
        .iter()
        .filter_map(|frame| frame.pointer("/message/Memory/swap_used")?.as_u64())
        .max()
        .unwrap_or(0);
    assert!(peak_swap > 0, "the load never reached swap");

    // Every event accounted for.
    let events = &json["events"];
    let published: u64 = ["spawn", "signal", "exit"]
        .iter()
        .map(|kind| number(events, &format!("/published/{kind}")))
        .sum();
    let accounted = number(events, "/completed")
        + number(events, "/completion_unseen")
        + number(events, "/in_flight");
    assert_eq!(published, accounted, "{events}");
    assert!(published > 0);
    assert_eq!(events["stuck"], Value::Array(Vec::new()), "{events}");
    assert_eq!(number(events, "/ignored_acks"), 0);
    let subscribers = json["subscribers"].as_array().unwrap();
    assert_eq!(subscribers.len(), 2, "{subscribers:?}");
    for subscriber in subscribers {
        assert_eq!(
            number(subscriber, "/acks") + number(subscriber, "/outstanding"),
            number(subscriber, "/events"),
            "{subscriber}"
        );
    }

    // Sequence numbers contiguous (dropped frames take no number), every
    // drop reported, no bad frame.
    run.assert_contiguous();
    assert_eq!(json["reliability"]["drops_all_reported"], true);
    assert_eq!(number(json, "/reliability/seq_gaps"), 0);
    assert_eq!(number(json, "/reliability/bad_frames"), 0);

    println!(
        "soak figures: {seconds} s (TCG, q35), {} rounds, 0 leaks, peak swap {peak_swap} slots, \
         {} frames, {dropped} dropped (all reported), {published} process events all accounted \
         ({} completed, {} in flight at the end), guest uptime {:.1} s",
        rounds.len(),
        frames.len(),
        number(events, "/completed"),
        number(events, "/in_flight"),
        number(json, "/guest/uptime_ns") as f64 / 1e9,
    );
}
