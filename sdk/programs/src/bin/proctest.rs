//! The process boot test (init of the `processes` image): exercises spawn,
//! wait, fork, preemption, signals and faulting programs, prints one
//! `PASS name` or `FAIL name: why` line per check, and exits with the number
//! of failures. The boot test also checks the telemetry these produce.
#![cfg_attr(target_os = "none", no_std, no_main)]

use core::sync::atomic::{AtomicU32, Ordering};
use userlib::process::{self, ExitStatus};
use userlib::signal;
use userlib::verdict::Verdicts;
use userlib::{Errno, Signal, println, time};

userlib::entry!(run);

static USR1_HANDLED: AtomicU32 = AtomicU32::new(0);
static USR2_HANDLED: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_usr1(_signal: u64) {
    USR1_HANDLED.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn on_usr2(_signal: u64) {
    USR2_HANDLED.fetch_add(1, Ordering::SeqCst);
}

fn run_to_end(program: &str, args: &[&str]) -> Result<ExitStatus, Errno> {
    let pid = process::spawn(program, args)?;
    process::wait_for(pid)
}

fn run(_args: userlib::Args) -> i32 {
    let mut checks = Verdicts::new();

    // Spawn and wait, with exit codes.
    let seven = run_to_end("exit-with", &["7"]);
    checks.check(
        "spawn-wait-exit-code",
        seven == Ok(ExitStatus::Exited(7)),
        format_args!("{seven:?}"),
    );
    let zero = run_to_end("exit-with", &["0"]);
    checks.check(
        "spawn-wait-zero",
        zero == Ok(ExitStatus::Exited(0)),
        format_args!("{zero:?}"),
    );
    let missing = process::spawn("no-such-program", &[]);
    checks.check(
        "spawn-missing-program",
        missing == Err(Errno::ENOENT),
        format_args!("{missing:?}"),
    );
    let no_child = process::wait_any();
    checks.check(
        "wait-without-children",
        no_child == Err(Errno::ECHILD),
        format_args!("{no_child:?}"),
    );

    fork_checks(&mut checks);
    preemption_check(&mut checks);
    signal_checks(&mut checks);
    fault_checks(&mut checks);

    let after = run_to_end("hello", &["still", "running"]);
    checks.check(
        "system-survives",
        after == Ok(ExitStatus::Exited(0)),
        format_args!("{after:?}"),
    );
    println!("proctest: {} failures", checks.failures());
    checks.failures()
}

fn fork_checks(checks: &mut Verdicts) {
    let mut value = core::hint::black_box(1234u64);
    match process::fork() {
        Ok(0) => {
            value = 42;
            process::exit(core::hint::black_box(value) as i32);
        }
        Ok(child) => {
            let status = process::wait_for(child);
            checks.check(
                "fork-child-status",
                status == Ok(ExitStatus::Exited(42)),
                format_args!("{status:?}"),
            );
            checks.check(
                "fork-memory-is-private",
                core::hint::black_box(value) == 1234,
                format_args!("{value}"),
            );
        }
        Err(error) => checks.check("fork", false, format_args!("{error:?}")),
    }
}

fn preemption_check(checks: &mut Verdicts) {
    let spinner = match process::spawn("spinner", &[]) {
        Ok(pid) => pid,
        Err(error) => {
            return checks.check(
                "preemption",
                false,
                format_args!("spawn spinner: {error:?}"),
            );
        }
    };
    // While the spinner never gives up the CPU, these still run to the end.
    let mut finished = 0;
    for _ in 0..3 {
        if run_to_end("hello", &["beside", "a", "spinner"]) == Ok(ExitStatus::Exited(0)) {
            finished += 1;
        }
    }
    let killed = signal::kill(spinner, Signal::SIGKILL);
    let status = process::wait_for(spinner);
    checks.check(
        "preemption",
        finished == 3 && killed.is_ok() && status == Ok(ExitStatus::Killed(9)),
        format_args!("{finished} of 3 finished, spinner {status:?}"),
    );
}

fn signal_checks(checks: &mut Verdicts) {
    let me = process::getpid();
    let _ = signal::catch(Signal::SIGUSR1, on_usr1);
    let sent = signal::kill(me, Signal::SIGUSR1);
    let handled = USR1_HANDLED.load(Ordering::SeqCst);
    checks.check(
        "caught-signal-runs-once",
        sent.is_ok() && handled == 1,
        format_args!("handled {handled} times"),
    );

    let _ = signal::catch(Signal::SIGUSR2, on_usr2);
    let _ = signal::block(Signal::SIGUSR2);
    let _ = signal::kill(me, Signal::SIGUSR2);
    let while_blocked = USR2_HANDLED.load(Ordering::SeqCst);
    let _ = signal::unblock(Signal::SIGUSR2);
    let after_unblock = USR2_HANDLED.load(Ordering::SeqCst);
    checks.check(
        "blocked-signal-delivered-after-unblock",
        while_blocked == 0 && after_unblock == 1,
        format_args!("{while_blocked} while blocked, {after_unblock} after"),
    );

    let _ = signal::ignore(Signal::SIGTERM);
    let ignored = signal::kill(me, Signal::SIGTERM);
    checks.check(
        "ignored-signal-does-nothing",
        ignored.is_ok(),
        format_args!("{ignored:?}"),
    );

    // A sleeping child with a handler is woken with EINTR.
    match process::fork() {
        Ok(0) => {
            let slept = time::sleep_ms(10_000);
            process::exit(if slept == Err(Errno::EINTR) { 4 } else { 1 });
        }
        Ok(child) => {
            let _ = time::sleep_ms(50);
            let _ = signal::kill(child, Signal::SIGUSR1);
            let status = process::wait_for(child);
            checks.check(
                "signal-interrupts-sleep",
                status == Ok(ExitStatus::Exited(4)),
                format_args!("{status:?}"),
            );
        }
        Err(error) => checks.check("signal-interrupts-sleep", false, format_args!("{error:?}")),
    }

    let default_kill = match process::spawn("spinner", &[]) {
        Ok(pid) => {
            let _ = signal::kill(pid, Signal::SIGTERM);
            process::wait_for(pid)
        }
        Err(error) => Err(error),
    };
    checks.check(
        "default-action-terminates",
        default_kill == Ok(ExitStatus::Killed(15)),
        format_args!("{default_kill:?}"),
    );
    let bad = signal::kill_raw(u64::from(me), 99);
    checks.check(
        "invalid-signal-rejected",
        bad == Err(Errno::EINVAL),
        format_args!("{bad:?}"),
    );
    let nobody = signal::kill(60_000, Signal::SIGUSR1);
    checks.check(
        "signal-to-no-such-process",
        nobody == Err(Errno::ESRCH),
        format_args!("{nobody:?}"),
    );
}

fn fault_checks(checks: &mut Verdicts) {
    let cases: [(&str, ExitStatus); 7] = [
        ("null", ExitStatus::Killed(11)),
        ("divide", ExitStatus::Killed(8)),
        ("opcode", ExitStatus::Killed(4)),
        ("kernel-read", ExitStatus::Killed(11)),
        ("kernel-write", ExitStatus::Killed(11)),
        ("write-text", ExitStatus::Killed(11)),
        ("bad-pointer", ExitStatus::Exited(14)),
    ];
    for (mode, expected) in cases {
        let status = run_to_end("crash", &[mode]);
        let mut name = [0u8; 40];
        let label = label(&mut name, "fault-", mode);
        checks.check(
            label,
            status == Ok(expected),
            format_args!("{status:?}, expected {expected:?}"),
        );
    }
}

fn label<'a>(buffer: &'a mut [u8; 40], prefix: &str, suffix: &str) -> &'a str {
    let len = (prefix.len() + suffix.len()).min(buffer.len());
    let joined = prefix.bytes().chain(suffix.bytes());
    for (slot, byte) in buffer.iter_mut().zip(joined) {
        *slot = byte;
    }
    core::str::from_utf8(&buffer[..len]).unwrap_or("fault")
}
