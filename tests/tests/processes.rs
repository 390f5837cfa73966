//! Boot tests of processes: ring-3 programs in their own address spaces,
//! system calls, the preemptive scheduler and signals.
//!
//! One boot of the `processes` image serves every test: its init
//! (`proctest`) runs each scenario and prints `PASS`/`FAIL` lines; each test
//! here checks one behaviour twice, by the program's own verdict and by the
//! telemetry the kernel sent about the processes involved.

use boot_tests::{BootRun, boot_shared};
use kernel_abi::Signal;
use protocol::message::{Message, SignalOutcome};
use std::time::Duration;

fn run() -> &'static BootRun {
    boot_shared("processes", Duration::from_secs(120))
}

/// Asserts that proctest (init, pid 1) printed `PASS name`.
fn passed(name: &str) {
    run().assert_passed_by(1, name);
}

#[test]
fn every_check_passes_and_init_exit_powers_off_cleanly() {
    let run = run();
    run.assert_no_failed_checks();
    assert_eq!(
        run.guest_exit_code(),
        Some(0),
        "init exits 0\n{}",
        run.describe()
    );
    assert_eq!(run.exit_of(1), Some((0, 0)), "the Exit event of init");
    assert!(
        run.errors.is_empty() && run.stats.seq_gaps == 0,
        "clean link: {:?}",
        run.stats
    );
}

#[test]
fn spawn_and_wait_report_exit_codes() {
    passed("spawn-wait-exit-code");
    passed("spawn-missing-program");
    passed("wait-without-children");
    let run = run();
    let exit_with = run.pids_of("exit-with");
    assert!(
        exit_with.len() >= 2,
        "spawn events of exit-with: {:?}",
        run.spawns()
    );
    assert_eq!(run.exit_of(exit_with[0]), Some((7, 0)));
    assert_eq!(run.exit_of(exit_with[1]), Some((0, 0)));
    for pid in &exit_with[..2] {
        let reaped = run
            .position(|message| matches!(message, Message::Reaped(reaped) if reaped.pid == *pid));
        assert!(reaped.is_some(), "pid {pid} was reaped");
    }
}

#[test]
fn fork_gives_the_child_a_private_copy() {
    passed("fork-child-status");
    passed("fork-memory-is-private");
    let run = run();
    let forked: Vec<u32> = run
        .spawns()
        .into_iter()
        .filter(|(_, parent, name)| *parent == 1 && *name == "proctest")
        .map(|(pid, ..)| pid)
        .collect();
    assert!(
        !forked.is_empty(),
        "a Spawn event for the forked child: {:?}",
        run.spawns()
    );
    assert_eq!(run.exit_of(forked[0]), Some((42, 0)));
}

#[test]
fn a_spinning_program_is_preempted_while_others_finish() {
    passed("preemption");
    let run = run();
    let spinner = run.pids_of("spinner")[0];
    let hellos: Vec<u32> = run
        .pids_of("hello")
        .into_iter()
        .filter(|pid| *pid > spinner)
        .take(3)
        .collect();
    assert_eq!(hellos.len(), 3);
    let spinner_exit = run
        .position(|message| matches!(message, Message::Exit(exit) if exit.pid == spinner))
        .expect("the spinner exits");
    for hello in hellos {
        let hello_exit = run
            .position(|message| matches!(message, Message::Exit(exit) if exit.pid == hello))
            .expect("each hello exits");
        assert!(
            hello_exit < spinner_exit,
            "hello {hello} finished while the spinner still ran"
        );
        assert_eq!(run.exit_of(hello), Some((0, 0)));
    }
    assert_eq!(run.exit_of(spinner), Some((0, Signal::SIGKILL.number())));
}

#[test]
fn a_caught_signal_runs_its_handler_exactly_once_and_the_process_continues() {
    passed("caught-signal-runs-once");
    let run = run();
    let caught = run.position(|message| {
        matches!(message, Message::Signal(signal)
            if signal.pid == 1 && signal.signal == Signal::SIGUSR1.number() && signal.outcome == SignalOutcome::Caught)
    });
    assert!(caught.is_some(), "a Signal event: SIGUSR1 caught by pid 1");
    let handled = run
        .messages()
        .filter(|message| matches!(message, Message::SignalHandled(handled) if handled.pid == 1 && handled.signal == Signal::SIGUSR1.number()))
        .count();
    assert_eq!(handled, 1, "pid 1 entered its SIGUSR1 handler once");
}

#[test]
fn a_blocked_signal_is_delivered_after_unblocking() {
    passed("blocked-signal-delivered-after-unblock");
    let run = run();
    let blocked = run
        .position(|message| {
            matches!(message, Message::Signal(signal)
                if signal.pid == 1 && signal.signal == Signal::SIGUSR2.number() && signal.outcome == SignalOutcome::Blocked)
        })
        .expect("SIGUSR2 was reported blocked");
    let handled = run
        .position(|message| matches!(message, Message::SignalHandled(handled) if handled.pid == 1 && handled.signal == Signal::SIGUSR2.number()))
        .expect("the SIGUSR2 handler ran");
    assert!(handled > blocked);
}

#[test]
fn signals_interrupt_sleep_and_default_actions_terminate() {
    passed("signal-interrupts-sleep");
    passed("default-action-terminates");
    passed("ignored-signal-does-nothing");
    let run = run();
    let spinners = run.pids_of("spinner");
    assert_eq!(
        run.exit_of(spinners[1]),
        Some((0, Signal::SIGTERM.number())),
        "the second spinner died of SIGTERM"
    );
    let ignored = run.position(|message| {
        matches!(message, Message::Signal(signal) if signal.pid == 1 && signal.outcome == SignalOutcome::Ignored)
    });
    assert!(
        ignored.is_some(),
        "the ignored SIGTERM was reported as ignored"
    );
}

fn crash_pids() -> Vec<u32> {
    run().pids_of("crash")
}

#[test]
fn faulting_programs_die_alone_with_the_right_signal() {
    for name in [
        "fault-null",
        "fault-divide",
        "fault-opcode",
        "fault-write-text",
    ] {
        passed(name);
    }
    let run = run();
    let crashes = crash_pids();
    let expected = [
        (Signal::SIGSEGV.number(), 14),
        (Signal::SIGFPE.number(), 0),
        (Signal::SIGILL.number(), 6),
    ];
    for (pid, (signal, vector)) in crashes.iter().zip(expected) {
        assert_eq!(run.exit_of(*pid), Some((0, signal)), "crash pid {pid}");
        let fault = run.position(|message| {
            matches!(message, Message::UserFault(fault) if fault.pid == *pid && fault.vector == vector && fault.signal == signal)
        });
        assert!(
            fault.is_some(),
            "a UserFault event for pid {pid} (vector {vector})"
        );
    }
    passed("system-survives");
}

#[test]
fn reading_kernel_memory_from_ring_3_faults_instead_of_returning_data() {
    passed("fault-kernel-read");
    passed("fault-kernel-write");
    let run = run();
    let reader = crash_pids()[3];
    assert_eq!(run.exit_of(reader), Some((0, Signal::SIGSEGV.number())));
    assert!(
        !run.log_lines()
            .iter()
            .any(|(pid, line)| *pid == reader && line.starts_with("read kernel memory")),
        "the read never returned"
    );
}

#[test]
fn a_bad_system_call_pointer_is_efault_and_only_that_call_fails() {
    passed("fault-bad-pointer");
    let run = run();
    let caller = crash_pids()[6];
    let bad_pointers = run
        .messages()
        .filter(|message| matches!(message, Message::BadPointer(bad) if bad.pid == caller))
        .count();
    assert_eq!(bad_pointers, 4, "one BadPointer event per bad call");
    assert_eq!(
        run.exit_of(caller),
        Some((14, 0)),
        "the caller lived on and exited normally"
    );
}
