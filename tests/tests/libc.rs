//! The C library (`sdk/libc`) inside the OS: `images/libc-test` boots the
//! C program `libctest`, which checks each header's functions (stdio,
//! string, stdlib, unistd, signal, sys/wait, sys/mman, errno, ctype)
//! against the kernel and runs `csemtest`, the semaphore checks of the Rust
//! `semtest` written against `<sys/sem.h>`, against the IPC service. Both
//! are compiled with the system's `cc` by the image builder.

use kernel_abi::Signal;
use std::time::Duration;

fn run() -> &'static boot_tests::BootRun {
    boot_tests::boot_shared("libc-test", Duration::from_secs(90))
}

/// Checks each header has at least one of, by name prefix.
const HEADERS: [&str; 12] = [
    "PASS start.",
    "PASS string.",
    "PASS stdio.",
    "PASS stdlib.",
    "PASS unistd.",
    "PASS wait.",
    "PASS signal.",
    "PASS mman.",
    "PASS errno.",
    "PASS csem.",
    "PASS assert.",
    "PASS watchtower.",
];

#[test]
fn every_check_of_the_c_library_passes() {
    let run = run();
    run.assert_no_failed_checks();
    let lines: Vec<&str> = run.log_lines().into_iter().map(|(_, line)| line).collect();
    for header in HEADERS {
        assert!(
            lines.iter().any(|line| line.starts_with(header)),
            "no {header}* line\n{}",
            run.describe()
        );
    }
    let passes = lines
        .iter()
        .filter(|line| line.starts_with("PASS "))
        .count();
    assert!(
        passes >= 60,
        "only {passes} checks passed\n{}",
        run.describe()
    );
    let main = run.pids_of("libctest")[0];
    assert_eq!(run.exit_of(main), Some((0, 0)), "{}", run.describe());
    assert_eq!(run.guest_exit_code(), Some(0), "{}", run.describe());
}

#[test]
fn stdio_writes_whole_lines_to_the_log() {
    let run = run();
    let main = run.pids_of("libctest")[0];
    let mine: Vec<&str> = run
        .log_lines()
        .into_iter()
        .filter(|(pid, _)| *pid == main)
        .map(|(_, line)| line)
        .collect();
    for expected in [
        "libctest: printf line 1 of stdio",
        "libctest: puts line",
        "libctest: partial line joined",
        "libctest: stderr line",
        "libctest: write line",
        "libctest: count",
        "libctest: fputs",
    ] {
        assert!(
            mine.contains(&expected),
            "no log line {expected:?} from pid {main}: {mine:?}"
        );
    }
}

#[test]
fn the_c_programs_fork_and_signal_as_the_kernel_reports() {
    let run = run();
    // The SIGTERM'd child shows as killed by signal 15 in the exit events.
    let killed = run
        .exits()
        .into_iter()
        .filter(|(_, _, signal)| *signal == Signal::SIGTERM.number())
        .count();
    assert!(killed >= 1, "{}", run.describe());
    // csemtest ran as a child of libctest (spawned) and forked its three
    // waiters.
    let main = run.pids_of("libctest")[0];
    let spawned: Vec<u32> = run
        .spawns()
        .into_iter()
        .filter(|(_, parent, name)| *parent == main && *name == "csemtest")
        .map(|(pid, _, _)| pid)
        .collect();
    assert_eq!(spawned.len(), 1, "{}", run.describe());
    let sem = spawned[0];
    let waiters = run
        .spawns()
        .into_iter()
        .filter(|(_, parent, _)| *parent == sem)
        .count();
    assert_eq!(waiters, 3, "{}", run.describe());
    assert_eq!(run.exit_of(sem), Some((0, 0)), "{}", run.describe());
}
