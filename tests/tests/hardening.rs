//! Boot tests of hardening: bad system calls, stack overflow and isolation
//! attacks never crash the kernel; each fails or kills only its caller, in
//! the way the kernel defines.
//!
//! One boot of the `hardening` image serves every test: its init
//! (`isolation`) runs `badcalls` (every system call with invalid
//! arguments), the `stackbomb` variants and the isolation attacks, each
//! printing one `ok`/`FAIL` line per check. Each test here checks one
//! property by the programs' verdicts and by the kernel's own telemetry
//! (exit events with their signals, user faults, bad-pointer events, no
//! panic or kernel fault, a clean power-off). Related checks elsewhere:
//! `processes.rs` (the `crash` program: kernel reads and writes, bad
//! pointers to `write` and `wait`), `events.rs` (subscribing and acking as
//! an ordinary program: EPERM, ENOSYS).

use boot_tests::{BootRun, boot};
use protocol::message::Message;
use std::sync::OnceLock;
use std::time::Duration;

const SIGSEGV: u8 = 11;
const GENERAL_PROTECTION: u8 = 13;
const PAGE_FAULT: u8 = 14;

fn run() -> &'static BootRun {
    static RUN: OnceLock<BootRun> = OnceLock::new();
    RUN.get_or_init(|| boot("hardening", Duration::from_secs(180)))
}

/// The pid of init (`isolation`, the first program spawned by the kernel).
fn init() -> u32 {
    let run = run();
    run.spawns()
        .into_iter()
        .find(|(_, parent, name)| *parent == 0 && *name == "isolation")
        .map(|(pid, ..)| pid)
        .unwrap_or_else(|| panic!("no isolation init\n{}", run.describe()))
}

/// The one process init spawned running `name` (its forked children,
/// named like it, are not counted).
fn only_pid_of(name: &str) -> u32 {
    let run = run();
    let init = init();
    let pids: Vec<u32> = run
        .spawns()
        .into_iter()
        .filter(|(_, parent, spawned)| *parent == init && *spawned == name)
        .map(|(pid, ..)| pid)
        .collect();
    assert_eq!(pids.len(), 1, "one {name}: {pids:?}\n{}", run.describe());
    pids[0]
}

/// Log lines of `pid`.
fn lines_of(pid: u32) -> Vec<&'static str> {
    run()
        .log_lines()
        .into_iter()
        .filter(|(from, _)| *from == pid)
        .map(|(_, line)| line)
        .collect()
}

/// Asserts that `pid` printed `<prefix> ok <name>` (followed by the end of
/// the line or ` -> ...`).
fn ok(pid: u32, prefix: &str, name: &str) {
    let exact = format!("{prefix}: ok {name}");
    let with_result = format!("{exact} -> ");
    let found = lines_of(pid)
        .iter()
        .any(|line| *line == exact || line.starts_with(&with_result));
    assert!(found, "no '{exact}'\n{}", run().describe());
}

/// The processes forked by init (named like it), in spawn order.
fn forked_by_init() -> Vec<u32> {
    let init = init();
    run()
        .spawns()
        .into_iter()
        .filter(|(_, parent, name)| *parent == init && *name == "isolation")
        .map(|(pid, ..)| pid)
        .collect()
}

fn user_faults(pid: u32) -> Vec<(u8, u8)> {
    run()
        .messages()
        .filter_map(|message| match message {
            Message::UserFault(fault) if fault.pid == pid => Some((fault.vector, fault.signal)),
            _ => None,
        })
        .collect()
}

#[test]
fn every_check_passes_and_the_machine_powers_off_cleanly() {
    let run = run();
    let failures = run.failed_checks();
    assert!(
        failures.is_empty(),
        "failed checks: {failures:#?}\n{}",
        run.describe()
    );
    let summaries: Vec<&str> = run
        .log_lines()
        .into_iter()
        .map(|(_, line)| line)
        .filter(|line| line.ends_with(" checks, 0 failed"))
        .collect();
    assert_eq!(
        summaries.len(),
        2,
        "badcalls and isolation each summarise with no failures: {summaries:?}\n{}",
        run.describe()
    );
    assert_eq!(
        run.guest_exit_code(),
        Some(0),
        "init exits 0\n{}",
        run.describe()
    );
    assert_eq!(run.exit_of(init()), Some((0, 0)), "the Exit event of init");
    assert!(
        run.errors.is_empty() && run.stats.seq_gaps == 0,
        "clean link: {:?} {:?}",
        run.stats,
        run.errors
    );
}

#[test]
fn the_kernel_never_panics_or_faults() {
    let run = run();
    let fatal: Vec<&Message<String>> = run
        .messages()
        .filter(|message| matches!(message, Message::Panic(_) | Message::KernelFault(_)))
        .collect();
    assert!(fatal.is_empty(), "{fatal:?}\n{}", run.describe());
    assert!(
        run.exit_status.is_some(),
        "QEMU exited on its own (no hang)"
    );
    ok(init(), "isolation", "system-survives");
}

#[test]
fn every_system_call_with_bad_arguments_fails_with_its_errno() {
    let run = run();
    let badcalls = only_pid_of("badcalls");
    assert_eq!(
        run.exit_of(badcalls),
        Some((0, 0)),
        "badcalls exits 0 only if every check passed\n{}",
        run.describe()
    );
    ok(init(), "isolation", "badcalls-all-passed");
    // Every call of the ABI is exercised: one name prefix per call.
    let prefixes = [
        "exit-",
        "write-",
        "spawn-",
        "fork-",
        "wait-",
        "getpid-",
        "getppid-",
        "yield-",
        "sleep-",
        "brk-",
        "kill-",
        "sigaction-",
        "sigprocmask-",
        "sigreturn-",
        "clock-",
        "vmstats-",
        "meminfo-",
        "map-shared-",
        "send-",
        "receive-",
        "sendrec-",
        "asend-",
        "reply-",
        "proceventmask-",
        "lookup-service-",
        "bench-",
        "unknown-",
    ];
    assert_eq!(prefixes.len(), 27, "26 calls and the unknown numbers");
    let lines = lines_of(badcalls);
    for prefix in prefixes {
        let passed = lines
            .iter()
            .filter(|line| line.starts_with(&format!("badcalls: ok {prefix}")))
            .count();
        assert!(
            passed > 0,
            "no passed check of {prefix}*\n{}",
            run.describe()
        );
    }
    let passed = lines
        .iter()
        .filter(|line| line.starts_with("badcalls: ok "))
        .count();
    assert!(passed >= 200, "{passed} checks passed");
    assert!(
        lines.contains(&format!("badcalls: {passed} checks, 0 failed").as_str()),
        "the summary counts every check\n{}",
        run.describe()
    );
}

#[test]
fn each_efault_is_reported_as_a_bad_pointer_and_the_caller_lives_on() {
    let run = run();
    let badcalls = only_pid_of("badcalls");
    let efaults = lines_of(badcalls)
        .iter()
        .filter(|line| line.starts_with("badcalls: ok ") && line.ends_with(" -> EFAULT"))
        .count();
    let reported = run
        .messages()
        .filter(|message| matches!(message, Message::BadPointer(bad) if bad.pid == badcalls))
        .count();
    assert!(efaults >= 90, "{efaults} EFAULT checks");
    assert_eq!(reported, efaults, "one BadPointer event per EFAULT");
}

#[test]
fn unknown_call_numbers_are_enosys_even_where_truncation_would_alias_a_call() {
    let badcalls = only_pid_of("badcalls");
    for name in [
        "unknown-34",
        "unknown-255",
        "unknown-256",
        "unknown-9999",
        "unknown-1<<32",
        "unknown-1<<32|1",
        "unknown-i64-min",
        "unknown-u64-max",
    ] {
        ok(badcalls, "badcalls", name);
    }
    assert!(
        lines_of(badcalls).contains(&"badcalls: ok unknown-u64-max -> ENOSYS"),
        "u64::MAX got ENOSYS"
    );
}

#[test]
fn invalid_pids_and_signals_are_rejected() {
    let badcalls = only_pid_of("badcalls");
    for name in [
        "kill-pid-0",
        "kill-pid-minus-1",
        "kill-pid-99999",
        "kill-pid-u32-max",
        "kill-pid-1<<32|1",
        "kill-signal-0",
        "kill-signal-65",
        "kill-signal-255",
        "kill-signal-1<<32|10",
        "sigaction-signal-0",
        "sigaction-signal-65",
        "sigaction-signal-255",
        "sigaction-sigkill",
        "wait-pid-0",
        "wait-pid-99999",
        "wait-pid-u32-max",
    ] {
        ok(badcalls, "badcalls", name);
    }
}

#[test]
fn forged_signal_frames_and_privileged_flags_only_kill_the_forger() {
    let badcalls = only_pid_of("badcalls");
    for name in [
        "sigreturn-without-a-frame",
        "sigreturn-stack-in-kernel",
        "sigreturn-rip-non-canonical",
        "sigreturn-rip-kernel",
        "sigreturn-rsp-non-canonical",
        "sigreturn-privileged-rflags",
        "syscall-with-nested-task-flag",
        "syscall-with-kernel-stack-pointer",
    ] {
        ok(badcalls, "badcalls", name);
    }
    let run = run();
    let killed = run
        .spawns()
        .into_iter()
        .filter(|(_, parent, name)| *parent == badcalls && *name == "badcalls")
        .filter(|(pid, ..)| run.exit_of(*pid) == Some((0, SIGSEGV)))
        .count();
    assert!(
        killed >= 5,
        "the forgers died of SIGSEGV ({killed})\n{}",
        run.describe()
    );
}

#[test]
fn calls_that_end_or_block_the_caller_do_so_as_defined() {
    let badcalls = only_pid_of("badcalls");
    for name in [
        "exit-status-u64-max",
        "exit-status-1<<32|7",
        "fork-garbage-args",
        "sleep-u64-max-interrupted",
    ] {
        ok(badcalls, "badcalls", name);
    }
}

#[test]
fn a_stack_overflow_is_sigsegv_from_the_guard_gap() {
    let run = run();
    let bombs = run.pids_of("stackbomb");
    assert_eq!(bombs.len(), 3, "plain, handler, heap: {bombs:?}");
    for pid in &bombs {
        assert_eq!(
            run.exit_of(*pid),
            Some((0, SIGSEGV)),
            "stackbomb {pid}\n{}",
            run.describe()
        );
        assert!(
            user_faults(*pid).contains(&(PAGE_FAULT, SIGSEGV)),
            "a page fault turned SIGSEGV for {pid}: {:?}",
            user_faults(*pid)
        );
        assert!(
            !lines_of(*pid)
                .iter()
                .any(|line| line.contains("stopped") || line.contains("handler ran")),
            "the recursion never returned and no handler ran on a full stack"
        );
    }
    assert!(
        lines_of(bombs[2])
            .iter()
            .any(|line| line.ends_with("below the guard")),
        "the heap reached up to the guard first\n{}",
        run.describe()
    );
    for mode in ["plain", "handler", "heap"] {
        ok(init(), "isolation", &format!("stack-overflow-{mode}"));
    }
    ok(
        only_pid_of("badcalls"),
        "badcalls",
        "brk-into-the-stack-guard",
    );
    ok(only_pid_of("badcalls"), "badcalls", "brk-onto-the-stack");
}

#[test]
fn kernel_memory_is_out_of_reach_of_ring_3() {
    for name in [
        "read-kernel-direct-map",
        "read-kernel-direct-map-1MiB",
        "write-kernel-direct-map",
        "read-kernel-image",
        "read-kernel-image-1MiB",
        "write-kernel-image",
        "jump-into-kernel-image",
        "read-kernel-stacks",
        "write-kernel-stacks",
        "read-non-canonical",
        "write-non-canonical",
        "read-non-canonical-high",
        "jump-non-canonical",
        "read-low-identity-map",
        "write-low-identity-map",
        "read-page-zero",
    ] {
        ok(init(), "isolation", name);
    }
    let run = run();
    let children = forked_by_init();
    let kernel_attacks = &children[..16];
    for pid in kernel_attacks {
        assert_eq!(run.exit_of(*pid), Some((0, SIGSEGV)), "attacker {pid}");
        assert!(
            !lines_of(*pid)
                .iter()
                .any(|line| line.starts_with("isolation: read")
                    || line.starts_with("isolation: wrote")),
            "no access returned for {pid}"
        );
        let faults = user_faults(*pid);
        assert!(
            faults.len() == 1
                && matches!(faults[0], (PAGE_FAULT | GENERAL_PROTECTION | 12, SIGSEGV)),
            "one user fault, a #PF or #GP (#SS), for {pid}: {faults:?}"
        );
    }
}

#[test]
fn privileged_instructions_and_kernel_vectors_are_general_protection_faults() {
    for name in [
        "cli",
        "hlt",
        "out-qemu-exit-port",
        "in-serial-port",
        "read-cr3",
        "write-cr3",
        "rdmsr-efer",
        "wrmsr-lstar",
        "lgdt",
        "int-timer-vector",
        "int-page-fault-vector",
        "int-0x80",
    ] {
        ok(init(), "isolation", name);
    }
    let run = run();
    let children = forked_by_init();
    for pid in &children[16..28] {
        assert_eq!(run.exit_of(*pid), Some((0, SIGSEGV)), "attacker {pid}");
        assert_eq!(
            user_faults(*pid),
            vec![(GENERAL_PROTECTION, SIGSEGV)],
            "one #GP for {pid}"
        );
    }
}

#[test]
fn another_process_cannot_see_our_memory() {
    for name in [
        "other-process-heap",
        "own-heap-intact",
        "other-process-shared-region",
        "other-process-data",
    ] {
        ok(init(), "isolation", name);
    }
    let run = run();
    let init = init();
    let readers: Vec<u32> = run
        .spawns()
        .into_iter()
        .filter(|(pid, parent, name)| {
            *parent == init && *name == "isolation" && !forked_by_init()[..28].contains(pid)
        })
        .map(|(pid, ..)| pid)
        .collect();
    let ends: Vec<Option<(i32, u8)>> = readers.iter().map(|pid| run.exit_of(*pid)).collect();
    assert!(
        ends.starts_with(&[Some((0, SIGSEGV)), Some((0, SIGSEGV)), Some((0, 0))]),
        "heap and shared readers segfault, the data reader finds its own value: {ends:?}"
    );
}

#[test]
fn ordinary_programs_may_message_only_services() {
    for name in [
        "send-to-ordinary-program-eperm",
        "asend-to-ordinary-program-eperm",
        "sendrec-to-ordinary-program-eperm",
        "reply-to-ordinary-program-eperm",
        "ordinary-receiver-got-nothing",
        "service-answers-ordinary-program",
        "spawned-service-copy-is-ordinary",
        "forged-source-pm-is-stamped-over",
        "forged-source-nobody-is-stamped-over",
    ] {
        ok(init(), "isolation", name);
    }
    let badcalls = only_pid_of("badcalls");
    for name in [
        "send-pm-ack-from-ordinary-program",
        "sendrec-pm-ack-from-ordinary-program",
        "proceventmask-unsubscribe-ordinary",
        "proceventmask-1<<32|1",
        "send-dst-echo+1<<32",
    ] {
        ok(badcalls, "badcalls", name);
    }
}
