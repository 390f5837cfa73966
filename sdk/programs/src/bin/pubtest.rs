//! The process-event boot test (init of the `pubsub` image). It steers the
//! test subscribers `sub-a` ... `sub-i` (see `testsub`) through the rules of
//! MINIX's process-event design, prints `PASS name` / `FAIL name: why`, and
//! exits with the number of failures. The boot test also checks the order
//! of the PM's telemetry (publish, ack, done) for each scenario.
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::ipc::{self, EventKind};
use userlib::process::{self, ExitStatus};
use userlib::testsub::{
    self, ACK_AFTER_DELAY, ACK_AT_ONCE, BOGUS_ACK, CRASH, FORK_PROBE, HOLD, QUIT, RELEASE, request,
    set_mode, stats, subscribe,
};
use userlib::verdict::Verdicts;
use userlib::{Errno, Pid, Signal, println, signal, time};

userlib::entry!(run);

const EXIT: u64 = EventKind::Exit.bit();
const SIGNAL: u64 = EventKind::Signal.bit();
const SPAWN: u64 = EventKind::Spawn.bit();

/// `kill(pid, 0)`: whether `pid` still holds a slot (ESRCH once released).
fn present(pid: Pid) -> bool {
    signal::kill_raw(u64::from(pid), 0).is_ok()
}

/// A page shared with children forked afterwards.
fn shared_page() -> *mut u64 {
    userlib::memory::map_shared(4096).expect("map_shared") as *mut u64
}

fn read(page: *mut u64, index: usize) -> u64 {
    // SAFETY: `page` is this process's shared page of 512 words.
    unsafe { core::ptr::read_volatile(page.add(index)) }
}

fn write(page: *mut u64, index: usize, value: u64) {
    // SAFETY: as in `read`.
    unsafe { core::ptr::write_volatile(page.add(index), value) }
}

static mut SHARED: *mut u64 = core::ptr::null_mut();

fn shared() -> *mut u64 {
    // SAFETY: set once before any fork or handler; only read afterwards.
    unsafe { SHARED }
}

/// SIGUSR1: note that the handler ran, and in which order.
extern "C" fn on_usr1(_signal: u64) {
    let page = shared();
    write(page, 0, read(page, 0) + 1);
    let order = read(page, 10) + 1;
    write(page, 10, order);
    write(page, 11, order);
}

/// SIGUSR2: the same, in other slots.
extern "C" fn on_usr2(_signal: u64) {
    let page = shared();
    write(page, 1, read(page, 1) + 1);
    let order = read(page, 10) + 1;
    write(page, 10, order);
    write(page, 12, order);
}

/// Forks a child that catches SIGUSR1 and SIGUSR2 and sleeps until slot 2
/// of the shared page says it may go.
fn signal_child() -> Pid {
    let page = shared();
    for slot in [0, 1, 2, 3, 10, 11, 12] {
        write(page, slot, 0);
    }
    match process::fork() {
        Ok(0) => {
            let _ = signal::catch(Signal::SIGUSR1, on_usr1);
            let _ = signal::catch(Signal::SIGUSR2, on_usr2);
            write(page, 3, 1);
            while read(page, 2) == 0 {
                let _ = time::sleep_ms(20);
            }
            process::exit(0);
        }
        Ok(child) => {
            while read(page, 3) == 0 {
                let _ = time::sleep_ms(5);
            }
            write(page, 3, 0);
            child
        }
        Err(error) => panic!("fork: {error:?}"),
    }
}

fn run(_args: userlib::Args) -> i32 {
    let mut verdicts = Verdicts::new();
    // SAFETY: set once here, before any fork or handler runs.
    unsafe { SHARED = shared_page() };
    let subs: [u64; 9] = [
        "sub-a", "sub-b", "sub-c", "sub-d", "sub-e", "sub-f", "sub-g", "sub-h", "sub-i",
    ]
    .map(testsub::lookup);
    let [a, b, c, d, ..] = subs;
    println!("pubtest: subscribers {subs:?}");

    // 1. Only system services subscribe (EPERM) or ack (ENOSYS).
    let mine = ipc::subscribe(EXIT);
    let ack = ipc::ack_raw(process::getpid(), EXIT, 0);
    verdicts.check(
        "subscribe-permissions",
        mine == Err(Errno::EPERM) && ack == Err(Errno::ENOSYS),
        format_args!("subscribe {mine:?}, ack {ack:?}"),
    );

    // 2. The table holds eight; the ninth gets ENOMEM.
    let results: [i64; 9] = subs.map(|sub| subscribe(sub, SPAWN));
    let full =
        results[..8].iter().all(|&result| result == 0) && results[8] == Errno::ENOMEM.as_return();
    verdicts.check("table-full-enomem", full, format_args!("{results:?}"));
    for sub in &subs[..8] {
        subscribe(*sub, 0);
    }

    // 3. Subscription order, masks skipped. Unknown mask bits are
    // accepted (MINIX does not check them) and match nothing.
    let odd_mask = subscribe(a, EXIT | 0x100);
    subscribe(b, SIGNAL);
    subscribe(c, EXIT);
    let before = [stats(a).events, stats(b).events, stats(c).events];
    let child = process::spawn("exit-with", &["5"]).and_then(process::wait_for);
    // Let the EXIT event finish before counting.
    let _ = time::sleep_ms(50);
    let after = [stats(a).events, stats(b).events, stats(c).events];
    let seen = [
        after[0] - before[0],
        after[1] - before[1],
        after[2] - before[2],
    ];
    verdicts.check(
        "subscription-order-and-mask-skipping",
        child == Ok(ExitStatus::Exited(5)) && seen == [1, 0, 1],
        format_args!("child {child:?}, events seen by a, b, c: {seen:?}"),
    );
    // A mask wider than MINIX's 32-bit one is refused, not truncated.
    let wide_mask = subscribe(a, (1 << 32) | SIGNAL);
    verdicts.check(
        "unknown-mask-bits-accepted",
        odd_mask == 0 && wide_mask == Errno::EINVAL.as_return(),
        format_args!("proceventmask(EXIT | 0x100) = {odd_mask}, proceventmask(1 << 32 | SIGNAL) = {wide_mask}"),
    );
    subscribe(a, EXIT);

    // 4. MINIX's exit order: the parent collects the exit status at once,
    // while the EXIT event is still in flight; the slot (and the pid) is
    // released only after the last ack.
    set_mode(c, ACK_AFTER_DELAY, 600);
    let start = time::clock_ns();
    let spawned = process::spawn("exit-with", &["6"]);
    let child = spawned.and_then(process::wait_for);
    let waited_ms = (time::clock_ns() - start) / 1_000_000;
    let held_slot = spawned.is_ok_and(present);
    if let Ok(pid) = spawned {
        println!("pubtest: collected exit-with 6 (pid {pid})");
    }
    let freed = spawned.is_ok_and(|pid| process::wait_released(pid, 3_000));
    set_mode(c, ACK_AT_ONCE, 0);
    verdicts.check(
        "exit-status-collected-before-last-ack-slot-after",
        child == Ok(ExitStatus::Exited(6)) && waited_ms < 600 && held_slot && freed,
        format_args!(
            "child {child:?} after {waited_ms} ms (the last ack comes after 600), slot held then {held_slot}, released after the ack {freed}"
        ),
    );

    // ... and a caught signal's handler runs only after the last ack.
    let page = shared();
    let child = signal_child();
    set_mode(b, ACK_AFTER_DELAY, 400);
    let _ = signal::kill(child, Signal::SIGUSR1);
    let _ = time::sleep_ms(150);
    let early = read(page, 0);
    let _ = time::sleep_ms(500);
    let late = read(page, 0);
    verdicts.check(
        "handler-runs-after-last-ack",
        early == 0 && late == 1,
        format_args!("handler ran {early} times before the ack, {late} after"),
    );

    // 5. A signal arriving during an event stays pending; once the event
    // is done, the unpaused process takes it without another event (MINIX's
    // check_pending). The two handlers nest: the last set up (SIGUSR2, by
    // number) runs first.
    set_mode(b, ACK_AFTER_DELAY, 300);
    write(page, 0, 0);
    let events_before = stats(b).events;
    let _ = signal::kill(child, Signal::SIGUSR1);
    let _ = signal::kill(child, Signal::SIGUSR2);
    let _ = time::sleep_ms(1_000);
    let (usr1, usr2) = (read(page, 0), read(page, 1));
    let (order1, order2) = (read(page, 11), read(page, 12));
    set_mode(b, ACK_AT_ONCE, 0);
    let events = stats(b).events - events_before;
    write(page, 2, 1);
    let ended = process::wait_for(child);
    verdicts.check(
        "pending-signal-during-event",
        usr1 == 1
            && usr2 == 1
            && order2 < order1
            && events == 1
            && ended == Ok(ExitStatus::Exited(0)),
        format_args!(
            "SIGUSR1 ran {usr1}x (#{order1}), SIGUSR2 {usr2}x (#{order2}), SIGNAL events {events}, child {ended:?}"
        ),
    );

    // 5b. A process paused in wait() is interrupted without an event
    // (MINIX's unpause: paused in PM).
    for slot in [0, 3, 4, 5] {
        write(page, slot, 0);
    }
    let events_before = stats(b).events;
    let waiter = match process::fork() {
        Ok(0) => {
            let _ = signal::catch(Signal::SIGUSR1, on_usr1);
            let grandchild = match process::fork() {
                Ok(0) => {
                    while read(page, 5) == 0 {
                        let _ = time::sleep_ms(10);
                    }
                    process::exit(0);
                }
                Ok(pid) => pid,
                Err(_) => process::exit(1),
            };
            write(page, 3, 1);
            let interrupted = process::wait_for(grandchild) == Err(Errno::EINTR);
            write(page, 4, if interrupted { 1 } else { 2 });
            write(page, 5, 1);
            let _ = process::wait_for(grandchild);
            process::exit(0);
        }
        Ok(pid) => pid,
        Err(error) => panic!("fork: {error:?}"),
    };
    while read(page, 3) == 0 {
        let _ = time::sleep_ms(5);
    }
    let _ = time::sleep_ms(100);
    let _ = signal::kill(waiter, Signal::SIGUSR1);
    let ended = process::wait_for(waiter);
    let events = stats(b).events - events_before;
    let (ran, interrupted) = (read(page, 0), read(page, 4));
    verdicts.check(
        "signal-to-a-waiting-process-publishes-no-event",
        events == 0 && ran == 1 && interrupted == 1 && ended == Ok(ExitStatus::Exited(0)),
        format_args!(
            "SIGNAL events {events}, handler ran {ran}x, wait interrupted {interrupted}, child {ended:?}"
        ),
    );

    // 5c. SIGKILL pending during an event wins: once the event is done the
    // process dies without entering the handler.
    let child = signal_child();
    set_mode(b, ACK_AFTER_DELAY, 300);
    let _ = signal::kill(child, Signal::SIGUSR1);
    let _ = time::sleep_ms(50);
    let killed = signal::kill(child, Signal::SIGKILL);
    let ended = process::wait_for(child);
    set_mode(b, ACK_AT_ONCE, 0);
    let ran = read(page, 0);
    verdicts.check(
        "sigkill-during-an-event-kills-without-the-handler",
        killed.is_ok()
            && ended == Ok(ExitStatus::Killed(u64::from(Signal::SIGKILL.number())))
            && ran == 0,
        format_args!("kill {killed:?}, child {ended:?}, handler ran {ran}x"),
    );

    // 6. An ack for nothing is ignored (the PM never replies: the call
    // succeeds); the telemetry counts it (checked by the boot test).
    let _ = request(c, BOGUS_ACK, u64::from(process::getpid()), EXIT);

    // 7. Unsubscribing with an ack outstanding keeps the entry until the
    // late ack, which is accepted. The exit status is collected at once.
    set_mode(a, HOLD, 0);
    let c_before = stats(c).events;
    let held_child = process::spawn("exit-with", &["7"]).unwrap_or(0);
    let collected = process::wait_for(held_child);
    let _ = time::sleep_ms(100);
    let held = stats(a).held;
    // Not sub-c's turn: ignored, and the event does not move on to sub-c.
    let wrong_turn = request(c, BOGUS_ACK, u64::from(held_child), EXIT).kind;
    let c_during = stats(c).events - c_before;
    let unsubscribed = subscribe(a, 0);
    // Let a snapshot round show the kept entry (mask 0, one outstanding).
    let _ = time::sleep_ms(700);
    let still_there = present(held_child);
    let released = request(a, RELEASE, 0, 0).kind;
    let freed = process::wait_released(held_child, 3_000);
    let c_after = stats(c).events - c_before;
    set_mode(a, ACK_AT_ONCE, 0);
    verdicts.check(
        "late-ack-after-unsubscribe-accepted",
        held == 1
            && wrong_turn == 0
            && c_during == 0
            && unsubscribed == 0
            && collected == Ok(ExitStatus::Exited(7))
            && still_there
            && released == 1
            && freed
            && c_after == 1,
        format_args!(
            "held {held}, sub-c saw {c_during} before the release and {c_after} after, unsubscribe {unsubscribed}, collected {collected:?}, slot held {still_there}, released {released}, slot freed {freed}"
        ),
    );

    // Let a snapshot round show sub-c's count of ignored acks.
    let _ = time::sleep_ms(600);

    // 8. A subscriber that dies mid-event is removed; the process waiting
    // on it moves on to the next.
    subscribe(d, EXIT);
    set_mode(c, CRASH, 0);
    let child = process::spawn("exit-with", &["8"]).and_then(process::wait_for);
    let gone = ipc::lookup_service("sub-c");
    verdicts.check(
        "subscriber-death-moves-waiting-processes-on",
        child == Ok(ExitStatus::Exited(8)) && gone == Err(Errno::ESRCH),
        format_args!("child {child:?}, sub-c lookup {gone:?}"),
    );

    // 9. A live subscriber that never acks blocks that process, and only
    // that process. Its parent collects the exit status at once; the slot
    // stays taken.
    set_mode(d, HOLD, 0);
    let stuck = process::spawn("exit-with", &["9"]).unwrap_or(0);
    let collected = process::wait_for(stuck);
    let mut work = 0u64;
    let start = time::clock_ns();
    while time::clock_ns() - start < 1_500_000_000 {
        work += 1;
        let _ = time::sleep_ms(10);
    }
    let helper = process::spawn("hello", &["while", "one", "is", "stuck"]);
    let _ = time::sleep_ms(100);
    let still_stuck = present(stuck);
    println!("pubtest: ran {work} rounds while pid {stuck} was stuck; hello {helper:?}");
    verdicts.check(
        "never-acking-subscriber-blocks-only-that-process",
        work > 50 && collected == Ok(ExitStatus::Exited(9)) && still_stuck && helper.is_ok(),
        format_args!("rounds {work}, collected {collected:?}, slot held {still_stuck}"),
    );
    // kill of an exiting process is OK and changes nothing (MINIX's
    // check_sig skips EXITING processes but counts them).
    let term = signal::kill(stuck, Signal::SIGTERM);
    let exists = signal::kill_raw(u64::from(stuck), 0);
    verdicts.check(
        "kill-of-an-exiting-process-is-ok",
        term.is_ok() && exists.is_ok() && present(stuck),
        format_args!("kill(SIGTERM) {term:?}, kill(0) {exists:?}"),
    );
    // An ordinary program may not signal a system service.
    let refused = signal::kill(d as Pid, Signal::SIGKILL);
    verdicts.check(
        "signalling-a-service-is-eperm",
        refused == Err(Errno::EPERM),
        format_args!("{refused:?}"),
    );
    // The way out: the subscriber dies, and the process moves on.
    request(d, QUIT, 0, 0);
    let freed = process::wait_released(stuck, 3_000);
    verdicts.check(
        "stuck-process-freed-when-subscriber-dies",
        freed,
        format_args!("slot of pid {stuck} released: {freed}"),
    );
    if let Ok(helper) = helper {
        let _ = process::wait_for(helper);
    }

    // A service's forked child is an ordinary program (MINIX's fork does
    // not pass PRIV_PROC on): it may not subscribe.
    let probe = request(subs[6], FORK_PROBE, 0, 0).kind;
    verdicts.check(
        "a-services-forked-child-is-not-a-service",
        probe == 0,
        format_args!(
            "the child's proceventmask: {}",
            if probe == 0 { "EPERM" } else { "not EPERM" }
        ),
    );

    // 10. A subscriber that never acks while the process gets SIGKILL:
    // the kill only becomes pending (no timeout, as in MINIX); the process
    // dies, without its handler, when the subscriber goes.
    let f = subs[5];
    subscribe(f, SIGNAL);
    set_mode(f, HOLD, 0);
    let child = signal_child();
    let _ = signal::kill(child, Signal::SIGUSR1);
    let _ = time::sleep_ms(50);
    let killed = signal::kill(child, Signal::SIGKILL);
    let _ = time::sleep_ms(500);
    let alive_while_held = process::try_wait_for(child) == Ok(None) && present(child);
    request(f, QUIT, 0, 0);
    let ended = process::wait_for(child);
    let ran = read(page, 0);
    verdicts.check(
        "sigkill-while-a-subscriber-never-acks-waits-for-it",
        killed.is_ok()
            && alive_while_held
            && ended == Ok(ExitStatus::Killed(u64::from(Signal::SIGKILL.number())))
            && ran == 0,
        format_args!(
            "kill {killed:?}, still there while held {alive_while_held}, child {ended:?}, handler ran {ran}x"
        ),
    );

    // 11. A signal to a system service never publishes a SIGNAL event
    // about it: it arrives as a message (the host signals sub-e, which
    // catches SIGUSR1 and subscribes to SIGNAL itself, every 2 s).
    let e = subs[4];
    subscribe(e, SIGNAL);
    let messages_before = stats(e).signal_messages;
    let start = time::clock_ns();
    let mut messages = messages_before;
    while messages == messages_before && time::clock_ns() - start < 30_000_000_000 {
        let _ = time::sleep_ms(100);
        messages = stats(e).signal_messages;
    }
    let handler_runs = stats(e).handler_runs;
    let events = stats(e).events;
    subscribe(e, 0);
    verdicts.check(
        "signal-to-a-service-is-a-message-not-an-event",
        messages > messages_before && handler_runs == 0 && events == 0,
        format_args!(
            "signal messages {messages_before} -> {messages}, handler runs {handler_runs}, events seen {events}"
        ),
    );

    println!("pubtest: {} failures", verdicts.failures());
    verdicts.failures()
}
