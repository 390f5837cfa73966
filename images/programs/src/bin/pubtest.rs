//! The process-event boot test (init of the `pubsub` image). It steers the
//! test subscribers `sub-a` ... `sub-i` (see `testsub`) through the rules of
//! MINIX's process-event design, prints `PASS name` / `FAIL name: why`, and
//! exits with the number of failures. The boot test also checks the order
//! of the PM's telemetry (publish, ack, done) for each scenario.
#![cfg_attr(target_os = "none", no_std, no_main)]

use kernel_abi::Syscall;
use userlib::ipc::{self, EventKind, Message};
use userlib::process::{self, ExitStatus};
use userlib::verdict::Verdicts;
use userlib::{Errno, Pid, Signal, println, signal, time};

userlib::entry!(run);

const SUBSCRIBE: u64 = 0x200;
const MODE: u64 = 0x201;
const RELEASE: u64 = 0x202;
const BOGUS_ACK: u64 = 0x203;
const STATS: u64 = 0x204;
const QUIT: u64 = 0x205;
const ACK_AT_ONCE: u64 = 0;
const ACK_AFTER_DELAY: u64 = 1;
const HOLD: u64 = 2;
const CRASH: u64 = 3;

const EXIT: u64 = EventKind::Exit.bit();
const SIGNAL: u64 = EventKind::Signal.bit();
const SPAWN: u64 = EventKind::Spawn.bit();

fn service(name: &str) -> u64 {
    u64::from(ipc::lookup_service(name).unwrap_or(0))
}

fn request(service: u64, kind: u64, first: u64, second: u64) -> Message {
    let mut message = Message::new(kind, [first, second, 0, 0, 0, 0]);
    if let Err(error) = ipc::sendrec(service, &mut message) {
        println!("pubtest: request {kind:#x} to {service} failed: {error:?}");
    }
    message
}

fn subscribe(service: u64, mask: u64) -> i64 {
    request(service, SUBSCRIBE, mask, 0).kind as i64
}

fn set_mode(service: u64, mode: u64, ms: u64) {
    request(service, MODE, mode, ms);
}

/// (events seen, acks sent, events held).
fn stats(service: u64) -> (u64, u64, u64) {
    let reply = request(service, STATS, 0, 0);
    (reply.payload[0], reply.payload[1], reply.payload[2])
}

/// A page shared with children forked afterwards.
fn shared_page() -> *mut u64 {
    let result = userlib::raw::syscall_plain(Syscall::MapShared, [4096, 0, 0, 0, 0, 0]);
    userlib::raw::check(result).expect("map_shared") as *mut u64
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
    for slot in [0, 1, 2, 10, 11, 12] {
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
    .map(service);
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

    // 3. Subscription order, masks skipped.
    subscribe(a, EXIT);
    subscribe(b, SIGNAL);
    subscribe(c, EXIT);
    let before = [stats(a).0, stats(b).0, stats(c).0];
    let child = process::spawn("exit-with", &["5"]).and_then(process::wait_for);
    let after = [stats(a).0, stats(b).0, stats(c).0];
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

    // 4. The exiting process is torn down only after the last ack.
    set_mode(c, ACK_AFTER_DELAY, 300);
    let start = time::clock_ns();
    let child = process::spawn("exit-with", &["6"]).and_then(process::wait_for);
    let waited_ms = (time::clock_ns() - start) / 1_000_000;
    set_mode(c, ACK_AT_ONCE, 0);
    verdicts.check(
        "exit-teardown-waits-for-last-ack",
        child == Ok(ExitStatus::Exited(6)) && waited_ms >= 300,
        format_args!("child {child:?} after {waited_ms} ms (the last ack came after 300)"),
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

    // 5. A signal arriving during an event stays pending until it is done.
    set_mode(b, ACK_AFTER_DELAY, 300);
    write(page, 0, 0);
    let _ = signal::kill(child, Signal::SIGUSR1);
    let _ = signal::kill(child, Signal::SIGUSR2);
    let _ = time::sleep_ms(1_000);
    let (usr1, usr2) = (read(page, 0), read(page, 1));
    let (order1, order2) = (read(page, 11), read(page, 12));
    set_mode(b, ACK_AT_ONCE, 0);
    write(page, 2, 1);
    let ended = process::wait_for(child);
    verdicts.check(
        "pending-signal-during-event",
        usr1 == 1 && usr2 == 1 && order1 < order2 && ended == Ok(ExitStatus::Exited(0)),
        format_args!(
            "SIGUSR1 ran {usr1}x (#{order1}), SIGUSR2 {usr2}x (#{order2}), child {ended:?}"
        ),
    );

    // 6. An ack for nothing is ignored (the PM never replies: the call
    // succeeds); the telemetry counts it.
    let bogus = request(c, BOGUS_ACK, u64::from(process::getpid()), EXIT).kind;
    verdicts.check(
        "mismatched-ack-ignored",
        bogus == 0,
        format_args!("result {}", bogus as i64),
    );

    // 7. Unsubscribing with an ack outstanding keeps the entry until the
    // late ack, which is accepted.
    set_mode(a, HOLD, 0);
    let held_child = process::spawn("exit-with", &["7"]).unwrap_or(0);
    let _ = time::sleep_ms(100);
    let held = stats(a).2;
    let wrong_turn = request(c, BOGUS_ACK, u64::from(held_child), EXIT).kind;
    let unsubscribed = subscribe(a, 0);
    let still_waiting = process::try_wait_any();
    let released = request(a, RELEASE, 0, 0).kind;
    let ended = process::wait_for(held_child);
    set_mode(a, ACK_AT_ONCE, 0);
    verdicts.check(
        "late-ack-after-unsubscribe-accepted",
        held == 1 && wrong_turn == 0 && unsubscribed == 0 && still_waiting == Ok(None) && released == 1
            && ended == Ok(ExitStatus::Exited(7)),
        format_args!("held {held}, unsubscribe {unsubscribed}, before release {still_waiting:?}, released {released}, child {ended:?}"),
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
    // that process.
    set_mode(d, HOLD, 0);
    let stuck = process::spawn("exit-with", &["9"]).unwrap_or(0);
    let mut work = 0u64;
    let start = time::clock_ns();
    while time::clock_ns() - start < 1_500_000_000 {
        work += 1;
        let _ = time::sleep_ms(10);
    }
    let helper = process::spawn("hello", &["while", "one", "is", "stuck"]);
    let _ = time::sleep_ms(100);
    let still_stuck = process::try_wait_any();
    println!("pubtest: ran {work} rounds while pid {stuck} was stuck; hello {helper:?}");
    verdicts.check(
        "never-acking-subscriber-blocks-only-that-process",
        work > 50 && still_stuck == Ok(None) && helper.is_ok(),
        format_args!("rounds {work}, wait {still_stuck:?}"),
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
    let ended = process::wait_for(stuck);
    verdicts.check(
        "stuck-process-freed-when-subscriber-dies",
        ended == Ok(ExitStatus::Exited(9)),
        format_args!("{ended:?}"),
    );
    if let Ok(helper) = helper {
        let _ = process::wait_for(helper);
    }

    println!("pubtest: {} failures", verdicts.failures());
    let _ = (HOLD, CRASH);
    verdicts.failures()
}
