//! Boot tests of hardening: bad system calls, stack overflow and isolation
//! attacks never crash the kernel; each fails or kills only its caller, in
//! the way the kernel defines.
//!
//! One boot of the `hardening` image serves every test: its init
//! (`isolation`) runs `badcalls` (every system call with invalid
//! arguments), the `stackbomb` variants, the isolation attacks, `fputest`
//! (x87/SSE state per process) and `traps` (int3, UMIP, signals to init),
//! each printing one `ok`/`FAIL` line per check. A second, small image
//! (`umip`) runs `traps umip` on a CPU model with UMIP. Each test here checks one
//! property by the programs' verdicts and by the kernel's own telemetry
//! (exit events with their signals, user faults, bad-pointer events, no
//! panic or kernel fault, a clean power-off). Related checks elsewhere:
//! `processes.rs` (the `crash` program: kernel reads and writes, bad
//! pointers to `write` and `wait`), `events.rs` (subscribing and acking as
//! an ordinary program: EPERM, ENOSYS).

use boot_tests::{BootRun, boot_shared, boot_with};
use image_builder::QemuOptions;
use kernel_abi::Signal;
use protocol::message::{Message, SignalOutcome};
use std::time::Duration;

const DEBUG: u8 = 1;
const BREAKPOINT: u8 = 3;
const OVERFLOW: u8 = 4;
const INVALID_OPCODE: u8 = 6;
const GENERAL_PROTECTION: u8 = 13;
const PAGE_FAULT: u8 = 14;
const X87_FLOATING_POINT: u8 = 16;
const SIMD_FLOATING_POINT: u8 = 19;

fn run() -> &'static BootRun {
    boot_shared("hardening", Duration::from_secs(180))
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
    run.assert_no_failed_checks();
    let summaries: Vec<&str> = run
        .log_lines()
        .into_iter()
        .map(|(_, line)| line)
        .filter(|line| line.ends_with(" checks, 0 failed"))
        .collect();
    assert_eq!(
        summaries.len(),
        4,
        "badcalls, fputest, traps and isolation each summarise with no failures: {summaries:?}\n{}",
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
    run.assert_no_kernel_panic();
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
        .filter(|(pid, ..)| run.exit_of(*pid) == Some((0, Signal::SIGSEGV.number())))
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
            Some((0, Signal::SIGSEGV.number())),
            "stackbomb {pid}\n{}",
            run.describe()
        );
        assert!(
            user_faults(*pid).contains(&(PAGE_FAULT, Signal::SIGSEGV.number())),
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
        assert_eq!(
            run.exit_of(*pid),
            Some((0, Signal::SIGSEGV.number())),
            "attacker {pid}"
        );
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
                && matches!(faults[0].0, PAGE_FAULT | GENERAL_PROTECTION | 12)
                && faults[0].1 == Signal::SIGSEGV.number(),
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
        assert_eq!(
            run.exit_of(*pid),
            Some((0, Signal::SIGSEGV.number())),
            "attacker {pid}"
        );
        assert_eq!(
            user_faults(*pid),
            vec![(GENERAL_PROTECTION, Signal::SIGSEGV.number())],
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
        ends.starts_with(&[
            Some((0, Signal::SIGSEGV.number())),
            Some((0, Signal::SIGSEGV.number())),
            Some((0, 0))
        ]),
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

/// The processes `parent` forked (named like it), in spawn order.
fn forked_by(parent: u32, name: &str) -> Vec<u32> {
    run()
        .spawns()
        .into_iter()
        .filter(|(_, spawner, spawned)| *spawner == parent && *spawned == name)
        .map(|(pid, ..)| pid)
        .collect()
}

#[test]
fn each_process_has_its_own_x87_and_sse_state() {
    let fputest = only_pid_of("fputest");
    for name in [
        "new-program-starts-clean-after-a-dirty-one",
        "fork-copies-the-state-and-the-parent-keeps-it",
        "state-survives-preemption-0",
        "state-survives-preemption-1",
        "state-survives-preemption-2",
        "signal-handler-starts-clean-and-cannot-corrupt-the-interrupted-state",
        "sigreturn-clears-reserved-mxcsr-bits",
    ] {
        ok(fputest, "fputest", name);
    }
    ok(init(), "isolation", "fputest-all-passed");
    let run = run();
    // The new program was spawned by the dirty process (fputest's first
    // child) and found its state clean.
    let dirty = forked_by(fputest, "fputest")[0];
    let fresh = forked_by(dirty, "fputest");
    assert_eq!(fresh.len(), 1, "one `fputest fresh`: {fresh:?}");
    assert_eq!(run.exit_of(fresh[0]), Some((0, 0)), "{}", run.describe());
    assert_eq!(run.exit_of(fputest), Some((0, 0)));
}

#[test]
fn unmasked_fpu_errors_are_sigfpe_for_the_faulting_process_only() {
    let fputest = only_pid_of("fputest");
    for name in [
        "x87-divide-by-zero-is-sigfpe",
        "a-pending-x87-error-stays-with-its-process",
        "the-process-with-the-pending-error-exits-normally",
    ] {
        ok(fputest, "fputest", name);
    }
    let run = run();
    // QEMU's TCG flags an unmasked SSE error in MXCSR without raising #XM
    // (KVM raises it): the SSE check either saw Signal::SIGFPE.number() or says the CPU did
    // not trap.
    let sse_trapped = lines_of(fputest).contains(&"fputest: ok sse-divide-by-zero-is-sigfpe");
    let sse_untrapped = lines_of(fputest).iter().any(|line| {
        line.starts_with("fputest: ok sse-divide-by-zero-not-trapped-by-this-cpu -> MXCSR.ZE set")
    });
    assert!(sse_trapped != sse_untrapped, "{}", run.describe());
    let sigfpe: Vec<u32> = forked_by(fputest, "fputest")
        .into_iter()
        .filter(|pid| run.exit_of(*pid) == Some((0, Signal::SIGFPE.number())))
        .collect();
    let mut expected = Vec::new();
    if sse_trapped {
        expected.push(vec![(SIMD_FLOATING_POINT, Signal::SIGFPE.number())]);
    }
    expected.push(vec![(X87_FLOATING_POINT, Signal::SIGFPE.number())]);
    let faults: Vec<Vec<(u8, u8)>> = sigfpe.iter().map(|pid| user_faults(*pid)).collect();
    assert_eq!(
        faults,
        expected,
        "one #XM (where the CPU raises it) and one #MF, each SIGFPE\n{}",
        run.describe()
    );
    // Nobody else in the whole run got an FPU fault.
    let others: Vec<&Message<String>> = run
        .messages()
        .filter(|message| {
            matches!(message, Message::UserFault(fault)
                if matches!(fault.vector, X87_FLOATING_POINT | SIMD_FLOATING_POINT)
                    && !sigfpe.contains(&fault.pid))
        })
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

#[test]
fn int3_is_sigtrap_and_int_4_sigsegv_as_on_unix() {
    let traps = only_pid_of("traps");
    for name in [
        "int3-is-sigtrap",
        "int-3-long-form-is-sigtrap",
        "int-4-overflow-vector-is-sigsegv",
        "into-is-sigill-in-64-bit-mode",
        "sigtrap-handler-resumes-after-each-int3",
        "single-step-is-sigtrap",
    ] {
        ok(traps, "traps", name);
    }
    let children = forked_by(traps, "traps");
    let faults: Vec<Vec<(u8, u8)>> = children[..6].iter().map(|pid| user_faults(*pid)).collect();
    assert_eq!(
        faults,
        vec![
            vec![(DEBUG, Signal::SIGTRAP.number())],
            vec![(BREAKPOINT, Signal::SIGTRAP.number())],
            vec![(BREAKPOINT, Signal::SIGTRAP.number())],
            // The overflow gate itself, not a #GP for a gate ring 3 may
            // not use.
            vec![(OVERFLOW, Signal::SIGSEGV.number())],
            vec![(INVALID_OPCODE, Signal::SIGILL.number())],
            // Two breakpoints caught, each handler returning past its int3.
            vec![
                (BREAKPOINT, Signal::SIGTRAP.number()),
                (BREAKPOINT, Signal::SIGTRAP.number())
            ],
        ],
        "{}",
        run().describe()
    );
    let handled = run()
        .messages()
        .filter(|message| {
            matches!(message, Message::SignalHandled(handled)
            if handled.pid == children[5] && handled.signal == Signal::SIGTRAP.number())
        })
        .count();
    assert_eq!(handled, 2, "the SIGTRAP handler ran twice");
    assert_eq!(run().exit_of(children[5]), Some((0, 0)));
}

#[test]
fn umip_state_is_reported_truthfully_on_the_default_cpu() {
    // TCG's default CPU model (qemu64) has no UMIP: the kernel says it is
    // off and `traps` says the CPU lacks it (and shows what `sidt` reads).
    // Were it present, the faulting checks would run instead.
    let run = run();
    let kernel_says_on = run
        .log_lines()
        .iter()
        .any(|(pid, line)| *pid == 0 && line.starts_with("UMIP on"));
    let kernel_says_off = run
        .log_lines()
        .iter()
        .any(|(pid, line)| *pid == 0 && line.starts_with("UMIP off"));
    assert!(kernel_says_on != kernel_says_off, "{}", run.describe());
    let traps = only_pid_of("traps");
    if kernel_says_off {
        let reported = lines_of(traps).iter().any(|line| {
            line.starts_with("traps: ok umip-not-on-this-cpu -> CPUID.7.0:ECX[2] clear; sidt")
        });
        assert!(reported, "{}", run.describe());
    } else {
        ok(traps, "traps", "sidt-faults-under-umip");
    }
}

#[test]
fn umip_on_a_cpu_that_has_it_makes_descriptor_table_reads_fault() {
    let options = QemuOptions {
        extra_args: vec!["-cpu".into(), "qemu64,+umip".into()],
        ..QemuOptions::default()
    };
    let run = boot_with("umip", Duration::from_secs(60), &options);
    assert!(
        run.log_lines()
            .iter()
            .any(|(pid, line)| *pid == 0 && line.starts_with("UMIP on")),
        "the kernel turned UMIP on\n{}",
        run.describe()
    );
    assert_eq!(
        run.failed_checks(),
        Vec::<&str>::new(),
        "{}",
        run.describe()
    );
    let lines: Vec<&str> = run.log_lines().into_iter().map(|(_, line)| line).collect();
    for name in [
        "sidt-faults-under-umip",
        "sgdt-faults-under-umip",
        "sldt-faults-under-umip",
        "smsw-faults-under-umip",
        "str-faults-under-umip",
    ] {
        assert!(
            lines.contains(&format!("traps: ok {name}").as_str()),
            "{name}\n{}",
            run.describe()
        );
    }
    assert!(
        lines.contains(&"traps: 5 checks, 0 failed"),
        "{}",
        run.describe()
    );
    let init = run.pids_of("traps")[0];
    let attackers: Vec<u32> = run
        .spawns()
        .into_iter()
        .filter(|(_, parent, _)| *parent == init)
        .map(|(pid, ..)| pid)
        .collect();
    assert_eq!(attackers.len(), 5);
    for pid in attackers {
        assert_eq!(
            run.exit_of(pid),
            Some((0, Signal::SIGSEGV.number())),
            "attacker {pid}"
        );
        let faults: Vec<(u8, u8)> = run
            .messages()
            .filter_map(|message| match message {
                Message::UserFault(fault) if fault.pid == pid => Some((fault.vector, fault.signal)),
                _ => None,
            })
            .collect();
        assert_eq!(
            faults,
            vec![(GENERAL_PROTECTION, Signal::SIGSEGV.number())],
            "one #GP for {pid}"
        );
    }
    assert_eq!(run.guest_exit_code(), Some(0), "{}", run.describe());
}

#[test]
fn init_refuses_sigkill_and_survives_every_signal_it_does_not_catch() {
    let traps = only_pid_of("traps");
    ok(traps, "traps", "sigkill-to-init-is-einval");
    let uncaught = [
        Signal::SIGHUP,
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGILL,
        Signal::SIGTRAP,
        Signal::SIGABRT,
        Signal::SIGBUS,
        Signal::SIGFPE,
        Signal::SIGUSR1,
        Signal::SIGSEGV,
        Signal::SIGUSR2,
        Signal::SIGPIPE,
        Signal::SIGALRM,
        Signal::SIGTERM,
        Signal::SIGSTOP,
    ];
    for signal in uncaught {
        ok(
            traps,
            "traps",
            &format!("uncaught-{}-to-init-is-discarded", signal.name()),
        );
    }
    let run = run();
    let init = init();
    let sent: Vec<(u8, SignalOutcome)> = run
        .messages()
        .filter_map(|message| match message {
            Message::Signal(signal) if signal.pid == init && signal.sender == traps => {
                Some((signal.signal, signal.outcome))
            }
            _ => None,
        })
        .collect();
    let expected: Vec<(u8, SignalOutcome)> = uncaught
        .iter()
        .map(|signal| (signal.number(), SignalOutcome::Ignored))
        .collect();
    assert_eq!(
        sent, expected,
        "each one recorded as discarded; the refused SIGKILL not at all"
    );
    // Init went on: it saw `traps` pass and ran its last check.
    ok(init, "isolation", "traps-all-passed");
    ok(init, "isolation", "system-survives");
    assert_eq!(run.exit_of(init), Some((0, 0)));
}

/// A program that jumps from ring 3 straight to the kernel's system-call
/// entry (LSTAR), as a hypervisor that does not emulate `syscall` leaves
/// every system call (`kvm_pvm`), gets the system call it asks for: not
/// SIGSEGV, and not a power-off, which would let any program stop the
/// machine. The entry's address comes from the kernel's symbols.
#[test]
fn a_jump_from_ring_3_to_the_system_call_entry_runs_as_a_system_call() {
    let kernel = boot_tests::built_image("umip").kernel;
    let symbols = std::process::Command::new("nm")
        .arg("--demangle")
        .arg(&kernel)
        .output()
        .expect("nm runs (binutils, installed with gcc)");
    let symbols = String::from_utf8_lossy(&symbols.stdout);
    let address = symbols
        .lines()
        .find(|line| line.ends_with("syscall_entry::syscall_entry"))
        .and_then(|line| line.split_whitespace().next())
        .unwrap_or_else(|| panic!("no syscall_entry symbol in {}", kernel.display()))
        .to_string();
    let image = image_builder::build_variant(
        "umip",
        "lstar",
        |manifest| {
            if let Some(program) = manifest.programs.first_mut() {
                program.args = vec!["lstar".into(), address.clone()];
            }
        },
        image_builder::BuildOutput::Capture,
    )
    .expect("the lstar variant builds");
    let run = boot_tests::boot_image(
        &image,
        Duration::from_secs(60),
        &QemuOptions::default(),
        Vec::new(),
    );
    let lines: Vec<&str> = run.log_lines().into_iter().map(|(_, line)| line).collect();
    assert!(
        lines.contains(&"traps: ok lstar.jump_is_a_system_call"),
        "{}",
        run.describe()
    );
    // Finding (fixed): the kernel ran such a jump's call and returned with
    // `iretq` to whatever RCX held. RCX past the lower canonical half is
    // no return address a `syscall` sets, and `iretq` to a non-canonical
    // RIP is a #GP in ring 0 on hardware (the kernel's fatal path: a
    // power-off any program could cause; TCG faults in ring 3 instead).
    // Before the fix the call ran (the child exited 42).
    for check in [
        "lstar.noncanonical_return_is_sigsegv",
        "lstar.kernel_return_is_sigsegv",
    ] {
        assert!(
            lines.contains(&format!("traps: ok {check}").as_str()),
            "{check}\n{}",
            run.describe()
        );
    }
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("syscall not emulated: a user-mode page fault at LSTAR")),
        "the kernel names what happened\n{}",
        run.describe()
    );
    run.assert_no_kernel_panic();
    // The jump with a good return address killed nobody; only the two
    // children with a bad one were (SIGSEGV).
    let faults: Vec<(u32, u8)> = run
        .messages()
        .filter_map(|message| match message {
            Message::UserFault(fault) => Some((fault.pid, fault.signal)),
            _ => None,
        })
        .collect();
    assert!(
        faults.len() == 2
            && faults
                .iter()
                .all(|(pid, signal)| *pid != 1 && *signal == Signal::SIGSEGV.number()),
        "no program was killed for the jump itself: {faults:?}\n{}",
        run.describe()
    );
    assert_eq!(run.guest_exit_code(), Some(0), "{}", run.describe());
}
