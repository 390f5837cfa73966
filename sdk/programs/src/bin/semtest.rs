//! The semaphore boot test (init of the `sem` image), after MINIX's test88:
//! a waiter that catches a signal gets EINTR with its handler run once and
//! nothing applied (a three-operation semop whose first two apply and
//! third blocks: the two are rolled back); a killed waiter leaves the queue and the next waiter in
//! FIFO order proceeds; IPC_RMID wakes waiters with EIDRM. Then the attacks
//! on the service (issue 16): a `semop` request sent with `asend` (nobody
//! waits for the answer) must not take a real waiter's unit, a flood of them
//! must not be queued, the queue of waiters is bounded (EAGAIN past
//! [`MAX_WAITERS`]), and a waiter killed (SIGKILL, or SIGTERM's default
//! action) just before a post must not take the unit from the next waiter.
//! Prints `PASS` / `FAIL` lines and exits with the number of failures.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use core::sync::atomic::{AtomicU64, Ordering};
use userlib::ipc;
use userlib::process::{self, ExitStatus};
use userlib::sem::{
    self, GETNCNT, GETVAL, GETZCNT, IPC_CREAT, IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, MAX_WAITERS,
    SETVAL, SemOp,
};
use userlib::verdict::Verdicts;
use userlib::{Errno, Pid, Signal, println, signal, time};

userlib::entry!(run);

static HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_hup(_signal: u64) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

fn op(delta: i16) -> SemOp {
    SemOp {
        num: 0,
        op: delta,
        flags: 0,
    }
}

/// Forks a child that runs `body` and exits with its result.
fn child(body: impl FnOnce() -> i32) -> Pid {
    match process::fork() {
        Ok(0) => process::exit(body()),
        Ok(pid) => pid,
        Err(error) => panic!("fork: {error:?}"),
    }
}

fn count(id: u64, cmd: u64) -> u64 {
    sem::semctl(id, 0, cmd, 0).unwrap_or(u64::MAX)
}

/// A child blocked in `semop(id, -1)`: exits 0 when it gets the unit, with
/// the errno's number when the call fails.
fn waiter(id: u64) -> Pid {
    child(move || match sem::semop(id, &[op(-1)]) {
        Ok(()) => 0,
        Err(error) => error as i32,
    })
}

/// A new set of one semaphore, value 0.
fn new_set(verdicts: &mut Verdicts, name: &str) -> Option<u64> {
    let id = sem::semget(IPC_PRIVATE, 1, IPC_CREAT);
    if let Err(error) = id {
        verdicts.check(name, false, format_args!("semget {error:?}"));
    }
    id.ok()
}

/// A `semop(-1)` request sent with `asend` by a process that then does
/// not wait for the answer must not be queued: a post goes to the real
/// waiter behind it.
fn asend_request_leaves_the_unit_to_a_real_waiter(verdicts: &mut Verdicts) {
    const NAME: &str = "asend-semop-does-not-take-a-real-waiters-unit";
    let Some(id) = new_set(verdicts, NAME) else {
        return;
    };
    let asender = child(move || {
        let sent = sem::semop_request(id, &[op(-1)])
            .and_then(|request| ipc::asend(sem::service_endpoint()?, &request));
        println!("semtest asender: asend(semop -1) {sent:?}; not waiting for an answer");
        let _ = time::sleep_ms(5_000);
        0
    });
    let _ = time::sleep_ms(50);
    let real = waiter(id);
    let _ = time::sleep_ms(100);
    let queued = count(id, GETNCNT);
    let posted = sem::semop(id, &[op(1)]);
    let woken = process::wait_within(real, 2_000);
    let value = count(id, GETVAL);
    let _ = signal::kill(asender, Signal::SIGKILL);
    let _ = process::reap(asender);
    let _ = sem::semctl(id, 0, IPC_RMID, 0);
    verdicts.check(
        NAME,
        queued == 1 && posted.is_ok() && woken == Some(ExitStatus::Exited(0)) && value == 0,
        format_args!(
            "ncnt {queued} (only the real waiter counts), post {posted:?}, real waiter {woken:?} (None: still blocked after 2 s), value {value}"
        ),
    );
}

/// Thousands of `asend`ed `semop(-1)` requests: none is queued (the
/// service's heap stays put; the boot test checks what it logs), and the
/// service still serves real callers.
fn asend_flood_is_not_queued(verdicts: &mut Verdicts) {
    const NAME: &str = "asend-semop-flood-not-queued";
    const FLOOD: u32 = 4_096;
    let Some(id) = new_set(verdicts, NAME) else {
        return;
    };
    let flooder = child(move || {
        let Ok(request) = sem::semop_request(id, &[op(-1)]) else {
            return 90;
        };
        let Ok(service) = sem::service_endpoint() else {
            return 91;
        };
        let (mut sent, mut full, mut other) = (0, 0, 0);
        for _ in 0..FLOOD {
            match ipc::asend(service, &request) {
                Ok(()) => sent += 1,
                Err(Errno::EAGAIN) => full += 1,
                Err(_) => other += 1,
            }
        }
        // Still alive, so the service cannot have dropped them for our exit.
        let queued = count(id, GETNCNT);
        println!(
            "semtest flooder: {sent} asent, {full} EAGAIN, {other} other errors; ncnt {queued}"
        );
        if queued == 0 && other == 0 { 0 } else { 1 }
    });
    let flooded = process::wait_within(flooder, 30_000);
    let _ = sem::semctl(id, 0, SETVAL, 1);
    let served = sem::semop(id, &[op(-1)]);
    let value = count(id, GETVAL);
    let _ = sem::semctl(id, 0, IPC_RMID, 0);
    verdicts.check(
        NAME,
        flooded == Some(ExitStatus::Exited(0)) && served.is_ok() && value == 0,
        format_args!("flooder {flooded:?}, a real semop afterwards {served:?}, value {value}"),
    );
}

/// At most [`MAX_WAITERS`] callers wait; one more gets EAGAIN at once.
fn waiter_queue_is_bounded(verdicts: &mut Verdicts) {
    const NAME: &str = "semop-waiter-queue-bounded-eagain";
    let Some(id) = new_set(verdicts, NAME) else {
        return;
    };
    let mut waiters = alloc::vec::Vec::new();
    for _ in 0..MAX_WAITERS {
        match process::fork() {
            Ok(0) => process::exit(match sem::semop(id, &[op(-1)]) {
                Ok(()) => 0,
                Err(error) => error as i32,
            }),
            Ok(pid) => waiters.push(pid),
            Err(error) => {
                println!("semtest: fork {error:?} after {} waiters", waiters.len());
                break;
            }
        }
    }
    let deadline = time::clock_ns() + 10_000_000_000;
    let mut queued = count(id, GETNCNT);
    while queued != MAX_WAITERS as u64 && time::clock_ns() < deadline {
        let _ = time::sleep_ms(20);
        queued = count(id, GETNCNT);
    }
    let one_more = waiter(id);
    let refused = process::wait_within(one_more, 2_000);
    let removed = sem::semctl(id, 0, IPC_RMID, 0);
    let woken = waiters
        .iter()
        .filter(|&&pid| process::reap(pid) == Some(ExitStatus::Exited(Errno::EIDRM as i64)))
        .count();
    verdicts.check(
        NAME,
        queued == MAX_WAITERS as u64
            && refused == Some(ExitStatus::Exited(Errno::EAGAIN as i64))
            && removed.is_ok()
            && woken == MAX_WAITERS,
        format_args!(
            "ncnt {queued} of {MAX_WAITERS}, one more {refused:?} (None: blocked), rmid {removed:?}, {woken} woken with EIDRM"
        ),
    );
}

/// Two waiters; the first is killed with `signal` and the unit posted at
/// once, before the victim runs again: the second waiter gets it.
fn killed_waiter_then_post_at_once(verdicts: &mut Verdicts, signal: Signal, name: &str) {
    let Some(id) = new_set(verdicts, name) else {
        return;
    };
    let first = waiter(id);
    let _ = time::sleep_ms(50);
    let second = waiter(id);
    let _ = time::sleep_ms(50);
    let queued = count(id, GETNCNT);
    let killed = signal::kill(first, signal);
    let posted = sem::semop(id, &[op(1)]);
    let woken = process::wait_within(second, 2_000);
    let victim = process::wait_within(first, 2_000);
    let value = count(id, GETVAL);
    let _ = sem::semctl(id, 0, IPC_RMID, 0);
    verdicts.check(
        name,
        queued == 2
            && killed.is_ok()
            && posted.is_ok()
            && woken == Some(ExitStatus::Exited(0))
            && victim == Some(ExitStatus::Killed(u64::from(signal.number())))
            && value == 0,
        format_args!(
            "ncnt {queued}, kill {killed:?}, post {posted:?}, second waiter {woken:?} (None: still blocked after 2 s), victim {victim:?}, value {value}"
        ),
    );
}

fn run(_args: userlib::Args) -> i32 {
    let mut verdicts = Verdicts::new();
    let id = match sem::semget(IPC_PRIVATE, 1, IPC_CREAT) {
        Ok(id) => id,
        Err(error) => {
            println!("FAIL semget: {error:?}");
            return 1;
        }
    };

    // EINTR: a waiter catches SIGHUP while blocked in the three-operation
    // form of test88b: [sem 0 == 0, sem 0 += 1, sem 1 == 0] with values
    // (0, 1) applies the first two, blocks on the third and must roll the
    // increment back; interrupted, it must leave (0, 1) exactly.
    let pair = match sem::semget(IPC_PRIVATE, 2, IPC_CREAT | 0o600) {
        Ok(pair) => pair,
        Err(error) => {
            println!("FAIL semget: {error:?}");
            return 1;
        }
    };
    let _ = sem::semctl(pair, 1, SETVAL, 1);
    let waiter = child(move || {
        let _ = signal::catch(Signal::SIGHUP, on_hup);
        let result = sem::semop(
            pair,
            &[
                SemOp::new(0, 0, 0),
                SemOp::new(0, 1, 0),
                SemOp::new(1, 0, 0),
            ],
        );
        let handled = HANDLED.load(Ordering::SeqCst);
        let first = sem::semctl(pair, 0, GETVAL, 0);
        let second = sem::semctl(pair, 1, GETVAL, 0);
        let zero_waiters = sem::semctl(pair, 1, GETZCNT, 0);
        println!(
            "semtest child: semop {result:?}, handler ran {handled}x, values ({first:?}, {second:?}), zcnt {zero_waiters:?}"
        );
        if result == Err(Errno::EINTR)
            && handled == 1
            && first == Ok(0)
            && second == Ok(1)
            && zero_waiters == Ok(0)
        {
            0
        } else {
            1
        }
    });
    let _ = time::sleep_ms(150);
    let blocked = sem::semctl(pair, 1, GETZCNT, 0);
    let partial = sem::semctl(pair, 0, GETVAL, 0);
    let _ = signal::kill(waiter, Signal::SIGHUP);
    let status = process::wait_for(waiter);
    let first = sem::semctl(pair, 0, GETVAL, 0);
    let _ = sem::semctl(pair, 0, IPC_RMID, 0);
    verdicts.check(
        "semop-eintr-handler-once-values-unchanged",
        blocked == Ok(1) && partial == Ok(0) && status == Ok(ExitStatus::Exited(0)) && first == Ok(0),
        format_args!(
            "zcnt of sem 1 while blocked {blocked:?}, sem 0 while blocked {partial:?} (1: the increment before the blocking op was not rolled back), child {status:?}, sem 0 after {first:?}"
        ),
    );

    // A killed waiter leaves the queue; the next in FIFO order proceeds.
    let _ = sem::semctl(id, 0, SETVAL, 0);
    let mut waiters = [0; 3];
    for (index, slot) in waiters.iter_mut().enumerate() {
        let code = index as i32 + 1;
        *slot = child(move || {
            if sem::semop(id, &[op(-1)]).is_ok() {
                code
            } else {
                10 + code
            }
        });
        let _ = time::sleep_ms(50);
    }
    let queued = count(id, GETNCNT);
    let _ = signal::kill(waiters[0], Signal::SIGKILL);
    let killed = process::wait_for(waiters[0]);
    let after_kill = count(id, GETNCNT);
    let _ = sem::semop(id, &[op(1)]);
    let first = process::wait_any();
    let between = count(id, GETNCNT);
    let _ = sem::semop(id, &[op(1)]);
    let second = process::wait_any();
    verdicts.check("killed-waiter-removed-next-fifo-waiter-proceeds",
        queued == 3
            && killed == Ok(ExitStatus::Killed(9))
            && after_kill == 2
            && first == Ok((waiters[1], ExitStatus::Exited(2)))
            && between == 1
            && second == Ok((waiters[2], ExitStatus::Exited(3))),
        format_args!(
            "ncnt {queued} -> {after_kill} -> {between}; killed {killed:?}; then {first:?}, {second:?}"
        ),
    );

    // IPC_NOWAIT: EAGAIN instead of waiting.
    let nowait = sem::semop(
        id,
        &[SemOp {
            num: 0,
            op: -1,
            flags: IPC_NOWAIT,
        }],
    );
    verdicts.check(
        "semop-nowait-eagain",
        nowait == Err(Errno::EAGAIN),
        format_args!("{nowait:?}"),
    );

    // IPC_RMID wakes blocked callers with EIDRM.
    let waiter = child(|| match sem::semop(id, &[op(-1)]) {
        Err(Errno::EIDRM) => 43,
        other => {
            println!("semtest child: semop after IPC_RMID {other:?}");
            1
        }
    });
    let _ = time::sleep_ms(100);
    let blocked = count(id, GETNCNT);
    let removed = sem::semctl(id, 0, IPC_RMID, 0);
    let status = process::wait_for(waiter);
    let gone = sem::semctl(id, 0, GETVAL, 0);
    verdicts.check(
        "ipc-rmid-wakes-waiters-with-eidrm",
        blocked == 1
            && removed == Ok(0)
            && status == Ok(ExitStatus::Exited(43))
            && gone == Err(Errno::EINVAL),
        format_args!("ncnt {blocked}, rmid {removed:?}, child {status:?}, set afterwards {gone:?}"),
    );

    asend_request_leaves_the_unit_to_a_real_waiter(&mut verdicts);
    asend_flood_is_not_queued(&mut verdicts);
    waiter_queue_is_bounded(&mut verdicts);
    killed_waiter_then_post_at_once(
        &mut verdicts,
        Signal::SIGKILL,
        "sigkilled-waiter-then-post-at-once-next-waiter-gets-the-unit",
    );
    killed_waiter_then_post_at_once(
        &mut verdicts,
        Signal::SIGTERM,
        "sigtermed-waiter-then-post-at-once-next-waiter-gets-the-unit",
    );

    println!("semtest: {} failures", verdicts.failures());
    verdicts.failures()
}
