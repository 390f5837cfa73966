//! Boot tests of the process-event system (MINIX 3's PM publish/subscribe)
//! and of the IPC service's semaphores: one test per behaviour, named after
//! it. Each checks the in-guest driver's verdict and the order of the PM's
//! own telemetry: which subscriber was notified when, which ack came, when
//! the work was finished.

use boot_tests::{BootRun, boot};
use protocol::message::{EventKind, IgnoredReason, Message, ProcessState};
use std::sync::OnceLock;
use std::time::Duration;

fn pubsub() -> &'static BootRun {
    static RUN: OnceLock<BootRun> = OnceLock::new();
    RUN.get_or_init(|| boot("pubsub", Duration::from_secs(120)))
}

fn sem() -> &'static BootRun {
    static RUN: OnceLock<BootRun> = OnceLock::new();
    RUN.get_or_init(|| boot("sem", Duration::from_secs(120)))
}

fn passed(run: &BootRun, name: &str) {
    let line = format!("PASS {name}");
    assert!(
        run.log_lines().iter().any(|(_, text)| *text == line),
        "no '{line}'\n{}",
        run.describe()
    );
}

/// The pid of the process labelled `label` (a boot service).
fn pid_of(run: &BootRun, label: &str) -> u32 {
    run.pids_of(label)
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no process {label}"))
}

/// The `nth` (0-based) `exit-with` child with status `status`.
fn exit_with(run: &BootRun, status: i32) -> u32 {
    run.pids_of("exit-with")
        .into_iter()
        .find(|pid| run.exit_of(*pid).map(|(code, _)| code) == Some(status))
        .unwrap_or_else(|| panic!("no exit-with {status}\n{}", run.describe()))
}

/// The subscribers notified of `pid`'s `kind` events, in order.
fn notified(run: &BootRun, pid: u32, kind: EventKind) -> Vec<u32> {
    run.messages()
        .filter_map(|message| match message {
            Message::Publish(publish) if publish.pid == pid && publish.kind == kind => {
                Some(publish.subscriber)
            }
            _ => None,
        })
        .collect()
}

fn position(run: &BootRun, predicate: impl Fn(&Message<String>) -> bool) -> usize {
    run.position(predicate)
        .unwrap_or_else(|| panic!("expected frame not found\n{}", run.describe()))
}

#[test]
fn every_event_check_passes() {
    for run in [pubsub(), sem()] {
        let failures = run.failed_checks();
        assert!(
            failures.is_empty(),
            "failed checks in {}: {failures:?}\n{}",
            run.image,
            run.describe()
        );
        assert_eq!(run.guest_exit_code(), Some(0), "{}", run.describe());
    }
}

#[test]
fn subscribe_permissions_eperm_and_enosys() {
    passed(pubsub(), "subscribe-permissions");
}

#[test]
fn table_full_enomem() {
    let run = pubsub();
    passed(run, "table-full-enomem");
    let subscribed: Vec<u32> = run
        .messages()
        .filter_map(|message| match message {
            Message::Subscribed(subscribed) if subscribed.mask != 0 => Some(subscribed.endpoint),
            _ => None,
        })
        .take(8)
        .collect();
    let sub_i = pid_of(run, "sub-i");
    assert_eq!(subscribed.len(), 8);
    assert!(
        !subscribed.contains(&sub_i),
        "the ninth never made it into the table"
    );
}

#[test]
fn subscription_order_delivery_with_mask_skipping() {
    let run = pubsub();
    passed(run, "subscription-order-and-mask-skipping");
    let child = exit_with(run, 5);
    let (a, c) = (pid_of(run, "sub-a"), pid_of(run, "sub-c"));
    assert_eq!(
        notified(run, child, EventKind::Exit),
        vec![a, c],
        "sub-b (SIGNAL only) skipped"
    );
}

#[test]
fn process_stopped_until_last_ack_teardown_and_handler_after_it() {
    let run = pubsub();
    passed(run, "exit-teardown-waits-for-last-ack");
    passed(run, "handler-runs-after-last-ack");
    let child = exit_with(run, 6);
    let c = pid_of(run, "sub-c");
    let publish = position(
        run,
        |m| matches!(m, Message::Publish(p) if p.pid == child && p.subscriber == c),
    );
    let event_id = match &run.frames[publish].message {
        Message::Publish(p) => p.event_id,
        _ => unreachable!(),
    };
    let ack = position(
        run,
        |m| matches!(m, Message::Ack(a) if a.event_id == event_id && a.subscriber == c),
    );
    let done = position(
        run,
        |m| matches!(m, Message::EventDone(d) if d.event_id == event_id),
    );
    let reaped = position(run, |m| matches!(m, Message::Reaped(r) if r.pid == child));
    assert!(
        publish < ack && ack < done && done < reaped,
        "publish {publish} < ack {ack} < done {done} < reaped {reaped}"
    );
    match &run.frames[done].message {
        Message::EventDone(done) => assert!(
            done.elapsed_ns >= 300_000_000,
            "waited for the slow ack: {done:?}"
        ),
        _ => unreachable!(),
    }

    // The SIGUSR1 handler entered only after the SIGNAL event was done.
    let signalled = run
        .messages()
        .find_map(|m| match m {
            Message::Publish(p) if p.kind == EventKind::Signal => Some(p.pid),
            _ => None,
        })
        .expect("a SIGNAL event");
    let done = position(
        run,
        |m| matches!(m, Message::EventDone(d) if d.pid == signalled && d.kind == EventKind::Signal),
    );
    let handled = position(
        run,
        |m| matches!(m, Message::SignalHandled(h) if h.pid == signalled),
    );
    assert!(done < handled, "handler after the last ack");
}

#[test]
fn pending_signal_during_an_event_waits_for_it() {
    let run = pubsub();
    passed(run, "pending-signal-during-event");
    // In the second round (SIGUSR1 then SIGUSR2 at once), the second SIGNAL
    // event is published only after the first is done.
    let signal_events: Vec<(usize, u64)> = run
        .frames
        .iter()
        .enumerate()
        .filter_map(|(index, frame)| match &frame.message {
            Message::Publish(p) if p.kind == EventKind::Signal => Some((index, p.event_id)),
            _ => None,
        })
        .collect();
    assert!(
        signal_events.len() >= 3,
        "three SIGNAL events: {signal_events:?}"
    );
    let (_, second) = signal_events[1];
    let (third_published, _) = signal_events[2];
    let second_done = position(
        run,
        |m| matches!(m, Message::EventDone(d) if d.event_id == second),
    );
    assert!(
        second_done < third_published,
        "the pending signal's event waited for the one in flight"
    );
}

#[test]
fn mismatched_ack_ignored_and_counted() {
    let run = pubsub();
    passed(run, "mismatched-ack-ignored");
    let c = pid_of(run, "sub-c");
    let reasons: Vec<IgnoredReason> = run
        .messages()
        .filter_map(|m| match m {
            Message::AckIgnored(ignored) if ignored.sender == c => Some(ignored.reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        vec![IgnoredReason::NoSuchEvent, IgnoredReason::WrongSubscriber]
    );
    let counted = run
        .messages()
        .any(|m| matches!(m, Message::Subscriber(s) if s.endpoint == c && s.ignored_acks == 2));
    assert!(counted, "sub-c's snapshot counts both ignored acks");
}

#[test]
fn mask_replace_and_unsubscribe_with_outstanding_acks_late_ack_accepted() {
    let run = pubsub();
    passed(run, "late-ack-after-unsubscribe-accepted");
    let a = pid_of(run, "sub-a");
    let child = exit_with(run, 7);
    let published = position(
        run,
        |m| matches!(m, Message::Publish(p) if p.pid == child && p.subscriber == a),
    );
    let event_id = match &run.frames[published].message {
        Message::Publish(p) => p.event_id,
        _ => unreachable!(),
    };
    let unsubscribed = run
        .frames
        .iter()
        .enumerate()
        .skip(published)
        .find(
            |(_, f)| matches!(&f.message, Message::Subscribed(s) if s.endpoint == a && s.mask == 0),
        )
        .map(|(index, _)| index)
        .expect("sub-a unsubscribed while the ack was outstanding");
    let late_ack = position(
        run,
        |m| matches!(m, Message::Ack(ack) if ack.event_id == event_id && ack.subscriber == a),
    );
    assert!(
        unsubscribed < late_ack,
        "the ack came after unsubscribing and was accepted"
    );
    let kept = run.frames[unsubscribed..late_ack]
        .iter()
        .any(|f| matches!(&f.message, Message::Subscriber(s) if s.endpoint == a && s.mask == 0 && s.outstanding == 1));
    let dropped_later = !run.frames[late_ack..]
        .iter()
        .any(|f| matches!(&f.message, Message::Subscriber(s) if s.endpoint == a));
    assert!(
        kept || late_ack - unsubscribed < 3,
        "entry kept (mask 0, 1 outstanding) until the late ack"
    );
    assert!(
        dropped_later,
        "entry removed once its outstanding acks reached zero"
    );
}

#[test]
fn subscriber_death_moves_waiting_processes_on() {
    let run = pubsub();
    passed(run, "subscriber-death-moves-waiting-processes-on");
    let (c, d) = (pid_of(run, "sub-c"), pid_of(run, "sub-d"));
    let child = exit_with(run, 8);
    assert_eq!(
        notified(run, child, EventKind::Exit),
        vec![c, d],
        "moved on from the dead sub-c to sub-d"
    );
    assert_eq!(run.exit_of(c), Some((3, 0)), "sub-c crashed mid-event");
}

#[test]
fn never_acking_subscriber_leaves_the_process_visibly_stuck_while_the_rest_runs() {
    let run = pubsub();
    passed(run, "never-acking-subscriber-blocks-only-that-process");
    passed(run, "stuck-process-freed-when-subscriber-dies");
    passed(run, "signalling-a-service-is-eperm");
    let d = pid_of(run, "sub-d");
    assert_eq!(
        run.exit_of(d),
        Some((9, 0)),
        "sub-d quit on request (a SIGKILL from the driver was refused)"
    );
    let stuck = exit_with(run, 9);
    let visibly_stuck = run.messages().any(|m| {
        matches!(m, Message::Subscriber(s)
            if s.endpoint == d && s.outstanding >= 1 && s.oldest_pid == stuck && s.oldest_age_ns >= 1_000_000_000)
    });
    assert!(
        visibly_stuck,
        "sub-d's snapshot names the stuck process and its age over 1 s"
    );
    let shown_exiting = run.messages().any(
        |m| matches!(m, Message::Process(p) if p.pid == stuck && p.state == ProcessState::Exiting),
    );
    assert!(shown_exiting, "the stuck process shows as exiting");
    let helper = run
        .pids_of("hello")
        .last()
        .copied()
        .expect("hello ran while the process was stuck");
    assert!(
        run.log_lines().iter().any(|(pid, _)| *pid == helper),
        "the rest of the system ran"
    );
}

#[test]
fn semop_eintr_runs_the_handler_exactly_once_with_values_unchanged() {
    let run = sem();
    passed(run, "semop-eintr-handler-once-values-unchanged");
    let ipc = pid_of(run, "ipc");
    let waiter = run
        .pids_of("semtest")
        .get(1)
        .copied()
        .expect("the forked waiter");
    assert!(
        notified(run, waiter, EventKind::Signal).contains(&ipc),
        "the IPC service saw the SIGNAL event"
    );
}

#[test]
fn a_killed_semaphore_waiter_is_removed_and_the_next_fifo_waiter_proceeds() {
    let run = sem();
    passed(run, "killed-waiter-removed-next-fifo-waiter-proceeds");
}

#[test]
fn ipc_rmid_wakes_waiters_with_eidrm() {
    let run = sem();
    passed(run, "ipc-rmid-wakes-waiters-with-eidrm");
    passed(run, "semop-nowait-eagain");
}

#[test]
fn an_asend_semop_request_does_not_take_a_real_waiters_unit() {
    passed(sem(), "asend-semop-does-not-take-a-real-waiters-unit");
}

/// Bytes the IPC service's heap may gain over the flood. Queueing the
/// flood's 4,096 requests would cost it well over 100 KiB (the old
/// behaviour).
const IPC_HEAP_GROWTH: u64 = 16 * 1024;

#[test]
fn an_asend_flood_is_not_queued_and_the_services_memory_stays_put() {
    let run = sem();
    passed(run, "asend-semop-flood-not-queued");
    // The service logs its heap growth at each power-of-two refusal.
    let growth: Vec<u64> = run
        .log_lines()
        .into_iter()
        .filter(|(_, line)| line.starts_with("ipc: refused "))
        .filter_map(|(_, line)| {
            let (_, after) = line.split_once("heap +")?;
            after.split_once(' ')?.0.parse().ok()
        })
        .collect();
    assert!(
        growth.len() >= 12,
        "the service logs its refusals up to the 4096th: {growth:?}\n{}",
        run.describe()
    );
    let most = growth.iter().copied().max().unwrap_or(u64::MAX);
    assert!(
        most <= IPC_HEAP_GROWTH,
        "ipc's heap grew by {most} bytes under the flood: {growth:?}\n{}",
        run.describe()
    );
}

#[test]
fn the_semaphore_waiter_queue_is_bounded_with_eagain() {
    passed(sem(), "semop-waiter-queue-bounded-eagain");
}

#[test]
fn a_waiter_killed_just_before_a_post_does_not_take_the_unit() {
    let run = sem();
    passed(
        run,
        "sigkilled-waiter-then-post-at-once-next-waiter-gets-the-unit",
    );
    passed(
        run,
        "sigtermed-waiter-then-post-at-once-next-waiter-gets-the-unit",
    );
}
