//! Boot tests of the process-event system (MINIX 3's PM publish/subscribe)
//! and of the IPC service's semaphores: one test per behaviour, named after
//! it. Each checks the in-guest driver's verdict and the order of the PM's
//! own telemetry: which subscriber was notified when, which ack came, when
//! the work was finished.

use boot_tests::{BootRun, boot_shared, boot_with_input, shared_run};
use kernel_abi::Signal;
use protocol::command::{Command, HostFrame};
use protocol::frame::{self, MAX_FRAME_LEN};
use protocol::message::{EventKind, IgnoredReason, Message, ProcessState, VMF_EXITING, VMF_INUSE};
use std::time::Duration;

/// sub-e's pid: init (pubtest) is pid 1, the nine subscribers follow in
/// image order (sub-a is 2).
const SUB_E: u32 = 6;

fn pubsub() -> &'static BootRun {
    shared_run("pubsub", || {
        // The host signals sub-e (a service that catches Signal::SIGUSR1.number() and, late
        // in the run, subscribes to SIGNAL) every 2 s.
        let input = (1..=40)
            .map(|n| {
                let mut out = vec![0u8; MAX_FRAME_LEN];
                let command: Command<&str> = Command::Signal {
                    pid: SUB_E,
                    signal: Signal::SIGUSR1.number(),
                };
                let len = frame::encode(&HostFrame { id: n, command }, &mut out).unwrap();
                out.truncate(len);
                (Duration::from_secs(2 * u64::from(n)), out)
            })
            .collect();
        boot_with_input(
            "pubsub",
            Duration::from_secs(120),
            &Default::default(),
            input,
        )
    })
}

fn sem() -> &'static BootRun {
    boot_shared("sem", Duration::from_secs(120))
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
        run.assert_no_failed_checks();
        assert_eq!(run.guest_exit_code(), Some(0), "{}", run.describe());
    }
}

#[test]
fn subscribe_permissions_eperm_and_enosys() {
    pubsub().assert_passed("subscribe-permissions");
}

#[test]
fn table_full_enomem() {
    let run = pubsub();
    run.assert_passed("table-full-enomem");
    let subscribed: Vec<u32> = run
        .messages()
        .filter_map(|message| match message {
            Message::Subscribed(subscribed) if subscribed.mask != 0 => Some(subscribed.endpoint),
            _ => None,
        })
        .collect();
    let first: Vec<u32> = [
        "sub-a", "sub-b", "sub-c", "sub-d", "sub-e", "sub-f", "sub-g", "sub-h",
    ]
    .iter()
    .map(|label| pid_of(run, label))
    .collect();
    assert_eq!(
        subscribed[..8],
        first[..],
        "the first eight subscribed in order"
    );
    let sub_i = pid_of(run, "sub-i");
    assert!(
        !subscribed.contains(&sub_i),
        "the ninth never made it into the table (in the whole run)"
    );
}

#[test]
fn subscription_order_delivery_with_mask_skipping() {
    let run = pubsub();
    run.assert_passed("subscription-order-and-mask-skipping");
    let child = exit_with(run, 5);
    let (a, c) = (pid_of(run, "sub-a"), pid_of(run, "sub-c"));
    assert_eq!(
        notified(run, child, EventKind::Exit),
        vec![a, c],
        "sub-b (SIGNAL only) skipped"
    );
}

#[test]
fn unknown_mask_bits_are_accepted() {
    pubsub().assert_passed("unknown-mask-bits-accepted");
}

#[test]
fn init_is_pid_1_and_services_follow_in_image_order() {
    let run = pubsub();
    assert_eq!(run.pids_of("pubtest").first(), Some(&1), "init is pid 1");
    assert_eq!(pid_of(run, "sub-a"), 2);
    assert_eq!(pid_of(run, "sub-e"), SUB_E);
    assert_eq!(pid_of(run, "sub-i"), 10);
}

/// The first Publish frame about `pid` sent to `subscriber`: its position
/// and the event's id.
fn published_to(run: &BootRun, pid: u32, subscriber: u32) -> (usize, u64) {
    let index = position(
        run,
        |m| matches!(m, Message::Publish(p) if p.pid == pid && p.subscriber == subscriber),
    );
    match &run.frames[index].message {
        Message::Publish(p) => (index, p.event_id),
        _ => unreachable!("position found a Publish frame"),
    }
}

/// The process of the first SIGNAL event published.
fn first_signalled(run: &BootRun) -> u32 {
    run.messages()
        .find_map(|m| match m {
            Message::Publish(p) if p.kind == EventKind::Signal => Some(p.pid),
            _ => None,
        })
        .expect("a SIGNAL event")
}

/// The index of pubtest's log line `text`.
fn log_position(run: &BootRun, text: &str) -> usize {
    position(run, |m| matches!(m, Message::Log(log) if log.text == text))
}

#[test]
fn exit_status_collected_at_once_slot_released_after_the_last_ack_and_handler_after_it() {
    let run = pubsub();
    run.assert_passed("exit-status-collected-before-last-ack-slot-after");
    run.assert_passed("handler-runs-after-last-ack");
    let child = exit_with(run, 6);
    let c = pid_of(run, "sub-c");
    let (publish, event_id) = published_to(run, child, c);
    let ack = position(
        run,
        |m| matches!(m, Message::Ack(a) if a.event_id == event_id && a.subscriber == c),
    );
    let done = position(
        run,
        |m| matches!(m, Message::EventDone(d) if d.event_id == event_id),
    );
    let collected = log_position(
        run,
        &format!("pubtest: collected exit-with 6 (pid {child})"),
    );
    let reaped = position(run, |m| matches!(m, Message::Reaped(r) if r.pid == child));
    assert!(
        collected < ack && publish < ack && ack < done && done < reaped,
        "collected {collected} < ack {ack}, publish {publish} < ack {ack} < done {done} < slot released {reaped}"
    );
    match &run.frames[done].message {
        Message::EventDone(done) => assert!(
            done.elapsed_ns >= 600_000_000,
            "waited for the slow ack: {done:?}"
        ),
        _ => unreachable!(),
    }

    // The Signal::SIGUSR1.number() handler entered only after the SIGNAL event was done.
    let signalled = first_signalled(run);
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
fn pending_signal_during_an_event_waits_for_it_and_needs_no_event_of_its_own() {
    let run = pubsub();
    run.assert_passed("pending-signal-during-event");
    // The first signalled child: one SIGNAL event per round (two rounds),
    // although the second round sent Signal::SIGUSR1.number() and Signal::SIGUSR2.number().
    let signalled = first_signalled(run);
    let events: Vec<u64> = run
        .messages()
        .filter_map(|m| match m {
            Message::Publish(p) if p.pid == signalled && p.kind == EventKind::Signal => {
                Some(p.event_id)
            }
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 2, "one SIGNAL event per round: {events:?}");
    let second_done = position(
        run,
        |m| matches!(m, Message::EventDone(d) if d.event_id == events[1]),
    );
    let handled: Vec<(usize, u8)> = run
        .frames
        .iter()
        .enumerate()
        .filter_map(|(index, frame)| match &frame.message {
            Message::SignalHandled(h) if h.pid == signalled => Some((index, h.signal)),
            _ => None,
        })
        .collect();
    assert_eq!(
        handled
            .iter()
            .map(|(_, signal)| *signal)
            .collect::<Vec<_>>(),
        vec![
            Signal::SIGUSR1.number(),
            Signal::SIGUSR1.number(),
            Signal::SIGUSR2.number()
        ],
        "SIGUSR1, then SIGUSR1 and SIGUSR2 set up in number order"
    );
    assert!(
        handled[1..].iter().all(|(index, _)| *index > second_done),
        "both handlers of the second round after its event: {handled:?}, done at {second_done}"
    );
}

#[test]
fn a_caught_signal_to_a_process_in_wait_publishes_no_event() {
    pubsub().assert_passed("signal-to-a-waiting-process-publishes-no-event");
}

#[test]
fn sigkill_during_an_event_kills_without_entering_the_handler() {
    let run = pubsub();
    run.assert_passed("sigkill-during-an-event-kills-without-the-handler");
    run.assert_passed("sigkill-while-a-subscriber-never-acks-waits-for-it");
    // Both children: killed by Signal::SIGKILL.number() after a SIGNAL event, no handler.
    let killed: Vec<u32> = run
        .exits()
        .into_iter()
        .filter(|(_, _, signal)| *signal == Signal::SIGKILL.number())
        .map(|(pid, _, _)| pid)
        .collect();
    assert_eq!(killed.len(), 2, "{killed:?}\n{}", run.describe());
    for pid in killed {
        let done = position(
            run,
            |m| matches!(m, Message::EventDone(d) if d.pid == pid && d.kind == EventKind::Signal),
        );
        let exited = position(run, |m| matches!(m, Message::Exit(e) if e.pid == pid));
        assert!(done < exited, "killed after its SIGNAL event was done");
        assert!(
            !run.messages()
                .any(|m| matches!(m, Message::SignalHandled(h) if h.pid == pid)),
            "pid {pid} never entered a handler"
        );
    }
    let f = pid_of(run, "sub-f");
    assert_eq!(run.exit_of(f), Some((9, 0)), "sub-f quit holding the event");
}

#[test]
fn a_signal_to_a_service_is_a_message_never_a_signal_event() {
    let run = pubsub();
    run.assert_passed("signal-to-a-service-is-a-message-not-an-event");
    let e = pid_of(run, "sub-e");
    assert!(
        run.messages()
            .any(|m| matches!(m, Message::Signal(s) if s.pid == e && s.sender == 0)),
        "the host signalled sub-e"
    );
    assert!(
        !run.messages()
            .any(|m| matches!(m, Message::Publish(p) if p.pid == e)),
        "no event about sub-e"
    );
}

#[test]
fn mismatched_ack_ignored_and_counted() {
    let run = pubsub();
    // The wrong-turn ack did not move the event on (checked in the guest).
    run.assert_passed("late-ack-after-unsubscribe-accepted");
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
    run.assert_passed("late-ack-after-unsubscribe-accepted");
    let a = pid_of(run, "sub-a");
    let child = exit_with(run, 7);
    let (published, event_id) = published_to(run, child, a);
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
        kept,
        "a snapshot between unsubscribing and the late ack shows the entry kept (mask 0, 1 outstanding)"
    );
    assert!(
        dropped_later,
        "entry removed once its outstanding acks reached zero"
    );
}

#[test]
fn subscriber_death_moves_waiting_processes_on() {
    let run = pubsub();
    run.assert_passed("subscriber-death-moves-waiting-processes-on");
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
    run.assert_passed("never-acking-subscriber-blocks-only-that-process");
    run.assert_passed("stuck-process-freed-when-subscriber-dies");
    run.assert_passed("signalling-a-service-is-eperm");
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
    // Its VM flags (MINIX's VMF_INUSE | VMF_EXITING) while the EXIT event
    // waits: memory not yet freed, exit in progress. A live process has
    // VMF_INUSE only.
    let flags_of = |pid: u32| -> Vec<u8> {
        run.messages()
            .filter_map(|m| match m {
                Message::VmFlags(f) if f.pid == pid => Some(f.flags),
                _ => None,
            })
            .collect()
    };
    assert!(
        flags_of(stuck).contains(&(VMF_INUSE | VMF_EXITING)),
        "the stuck process reported in use and exiting: {:?}",
        flags_of(stuck)
    );
    let init = flags_of(1);
    assert!(
        !init.is_empty() && init.iter().all(|&flags| flags == VMF_INUSE),
        "init reported in use only: {init:?}"
    );
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
    run.assert_passed("semop-eintr-handler-once-values-unchanged");
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
    run.assert_passed("killed-waiter-removed-next-fifo-waiter-proceeds");
}

#[test]
fn ipc_rmid_wakes_waiters_with_eidrm() {
    let run = sem();
    run.assert_passed("ipc-rmid-wakes-waiters-with-eidrm");
    run.assert_passed("semop-nowait-eagain");
}

#[test]
fn an_asend_semop_request_does_not_take_a_real_waiters_unit() {
    sem().assert_passed("asend-semop-does-not-take-a-real-waiters-unit");
}

/// Bytes the IPC service's heap may gain over the flood. Queueing the
/// flood's 4,096 requests would cost it well over 100 KiB (the old
/// behaviour).
const IPC_HEAP_GROWTH: u64 = 16 * 1024;

#[test]
fn an_asend_flood_is_not_queued_and_the_services_memory_stays_put() {
    let run = sem();
    run.assert_passed("asend-semop-flood-not-queued");
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
    sem().assert_passed("semop-waiter-queue-bounded-eagain");
}

#[test]
fn a_waiter_killed_just_before_a_post_does_not_take_the_unit() {
    let run = sem();
    run.assert_passed("sigkilled-waiter-then-post-at-once-next-waiter-gets-the-unit");
    run.assert_passed("sigtermed-waiter-then-post-at-once-next-waiter-gets-the-unit");
}

#[test]
fn kill_of_an_exiting_process_is_ok_and_kill_0_checks_existence() {
    pubsub().assert_passed("kill-of-an-exiting-process-is-ok");
}

#[test]
fn a_services_forked_child_loses_its_privileges() {
    pubsub().assert_passed("a-services-forked-child-is-not-a-service");
}
