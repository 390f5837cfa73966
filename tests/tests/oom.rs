//! Out of memory on the demo's 128 MiB with the demo's services (`ipc`,
//! `acct`) subscribed: one boot of the `oom` image, whose init (`oomtest`)
//! lets four hogs loose (two 64 MiB shared regions touched page by page; a
//! working set that does not fit beside them; an idle 100 MiB process while
//! another runs out; 4,000 one-page regions and a fork loop), then pokes
//! `memhog`, a service that takes every frame and then reads from the
//! disk. The kernel must not panic, must kill each memory hog (never
//! another service) in bounded time, must answer the fork loop with an
//! errno, and `ipc` and `acct` must go on acking events afterwards.

use boot_tests::{BootRun, boot_shared};
use kernel_abi::Signal;
use protocol::message::{EventKind, Message};
use std::time::Duration;

fn run() -> &'static BootRun {
    boot_shared("oom", Duration::from_secs(420))
}

/// No kernel panic, and oomtest logged `PASS name`.
fn passed(name: &str) {
    let run = run();
    run.assert_no_kernel_panic();
    run.assert_passed(name);
}

/// The pid of a service: the process that logged a line starting `prefix`.
fn service(prefix: &str) -> u32 {
    let run = run();
    run.log_lines()
        .iter()
        .find(|(_, text)| text.starts_with(prefix))
        .map(|(pid, _)| *pid)
        .unwrap_or_else(|| panic!("no line '{prefix}'\n{}", run.describe()))
}

/// The marker child's pid after attack `after` (`oomtest: marker N after ..`).
fn marker(after: &str) -> u32 {
    let run = run();
    let suffix = format!(" after {after} ended Some(Exited(42))");
    run.log_lines()
        .iter()
        .find_map(|(_, text)| {
            text.strip_prefix("oomtest: marker ")?
                .strip_suffix(&suffix)?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no marker after {after}\n{}", run.describe()))
}

/// Both services are alive at the end and acked the EXIT event of the
/// marker that exited after attack `after`.
fn services_ack_after(after: &str) {
    let run = run();
    run.assert_no_kernel_panic();
    let (ipc, acct) = (service("ipc: "), service("acct: "));
    for pid in [ipc, acct] {
        assert_eq!(
            run.exit_of(pid),
            None,
            "service {pid} died\n{}",
            run.describe()
        );
    }
    let marker = marker(after);
    let published: Vec<(u64, u32)> = run
        .messages()
        .filter_map(|message| match message {
            Message::Publish(publish)
                if publish.pid == marker && publish.kind == EventKind::Exit =>
            {
                Some((publish.event_id, publish.subscriber))
            }
            _ => None,
        })
        .collect();
    for subscriber in [ipc, acct] {
        let event = published
            .iter()
            .find(|(_, to)| *to == subscriber)
            .map(|(event, _)| *event)
            .unwrap_or_else(|| {
                panic!(
                    "marker {marker}'s EXIT never reached {subscriber}\n{}",
                    run.describe()
                )
            });
        assert!(
            run.messages().any(|message| matches!(message,
                Message::Ack(ack) if ack.event_id == event && ack.subscriber == subscriber)),
            "{subscriber} never acked marker {marker}'s EXIT\n{}",
            run.describe()
        );
    }
}

#[test]
fn two_64_mib_shared_regions_touched_page_by_page_kill_the_hog_not_the_kernel() {
    passed("bounce-hog-killed");
    passed("bounce-ipc-serves");
}

#[test]
fn after_the_shared_region_hog_ipc_and_acct_survive_and_keep_acking() {
    services_ack_after("bounce");
}

#[test]
fn a_working_set_that_does_not_fit_ends_in_an_oom_kill_not_a_livelock() {
    passed("livelock-hog-killed");
    services_ack_after("livelock");
}

#[test]
fn the_largest_process_is_the_victim_not_the_one_that_faulted() {
    passed("bystander-largest-is-the-victim");
    services_ack_after("bystander");
}

#[test]
fn thousands_of_regions_and_a_fork_loop_get_an_errno_not_a_panic() {
    passed("regions-fork-gets-an-errno");
    services_ack_after("regions");
}

#[test]
fn a_service_that_takes_every_frame_dies_alone_and_disk_io_needs_no_frame() {
    passed("service-hog-dies");
    let run = run();
    let hog = service("memhog: waiting");
    assert_eq!(
        run.exit_of(hog).map(|(_, signal)| signal),
        Some(Signal::SIGKILL.number()),
        "{}",
        run.describe()
    );
    // It did reach the point where no frame was free and read from the
    // disk there (or died on the way, which the OOM line shows).
    assert!(
        run.log_lines().iter().any(|(pid, line)| *pid == hog
            && line.starts_with("memhog: ")
            && line.contains("frames free")),
        "{}",
        run.describe()
    );
    services_ack_after("service");
}

#[test]
fn every_check_passes_and_memory_comes_back() {
    let run = run();
    run.assert_no_kernel_panic();
    // What happened, for `--nocapture`.
    for (pid, line) in run.log_lines() {
        let story = [
            "inject",
            "oom",
            "thrashing",
            "region hog",
            "livelock hog",
            "bystander",
            "memhog",
        ];
        if story.iter().any(|prefix| line.starts_with(prefix)) {
            println!("[{pid}] {line}");
        }
    }
    run.assert_no_failed_checks();
    passed("memory-comes-back");
    assert_eq!(run.guest_exit_code(), Some(0), "{}", run.describe());
}
