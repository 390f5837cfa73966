//! The semaphore boot test (init of the `sem` image), after MINIX's test88:
//! a waiter that catches a signal gets EINTR with its handler run once and
//! nothing applied; a killed waiter leaves the queue and the next waiter in
//! FIFO order proceeds; IPC_RMID wakes waiters with EIDRM. Prints `PASS` /
//! `FAIL` lines and exits with the number of failures.
#![cfg_attr(target_os = "none", no_std, no_main)]

use core::sync::atomic::{AtomicU64, Ordering};
use userlib::process::{self, ExitStatus};
use userlib::sem::{
    self, GETNCNT, GETVAL, GETZCNT, IPC_CREAT, IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, SETVAL, SemOp,
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

fn run(_args: userlib::Args) -> i32 {
    let mut verdicts = Verdicts::new();
    let id = match sem::semget(IPC_PRIVATE, 1, IPC_CREAT) {
        Ok(id) => id,
        Err(error) => {
            println!("FAIL semget: {error:?}");
            return 1;
        }
    };

    // EINTR: a waiter for zero catches SIGHUP.
    let _ = sem::semctl(id, 0, SETVAL, 1);
    let waiter = child(|| {
        let _ = signal::catch(Signal::SIGHUP, on_hup);
        let result = sem::semop(id, &[op(0)]);
        let handled = HANDLED.load(Ordering::SeqCst);
        let value = count(id, GETVAL);
        let zero_waiters = count(id, GETZCNT);
        println!(
            "semtest child: semop {result:?}, handler ran {handled}x, value {value}, zcnt {zero_waiters}"
        );
        if result == Err(Errno::EINTR) && handled == 1 && value == 1 && zero_waiters == 0 {
            0
        } else {
            1
        }
    });
    let _ = time::sleep_ms(150);
    let blocked = count(id, GETZCNT);
    let _ = signal::kill(waiter, Signal::SIGHUP);
    let status = process::wait_for(waiter);
    let value = count(id, GETVAL);
    verdicts.check(
        "semop-eintr-handler-once-values-unchanged",
        blocked == 1 && status == Ok(ExitStatus::Exited(0)) && value == 1,
        format_args!("zcnt while blocked {blocked}, child {status:?}, value after {value}"),
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

    println!("semtest: {} failures", verdicts.failures());
    verdicts.failures()
}
