//! MINIX's test88 (System V semaphores) ported to the IPC service: one
//! boot test per subtest group, each asserting its group's named checks
//! (`PASS test88x-...`) from the guest program `test88`.

use boot_tests::{BootRun, boot_shared};
use std::time::Duration;

fn abcd() -> &'static BootRun {
    boot_shared("test88", Duration::from_secs(240))
}

fn e() -> &'static BootRun {
    boot_shared("test88e", Duration::from_secs(420))
}

/// Every check of `group` passed, and all of `names` are among them.
fn group_passed(run: &BootRun, group: &str, names: &[&str]) {
    let failed: Vec<&str> = run
        .failed_checks()
        .into_iter()
        .filter(|line| line.contains(group))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}\n{}", run.describe());
    for name in names {
        run.assert_passed(name);
    }
}

#[test]
fn process_credentials_follow_minix_rules_are_inherited_and_stamped_on_messages() {
    group_passed(
        abcd(),
        "credentials",
        &["credentials-minix-rules-inherited-and-stamped"],
    );
}

#[test]
fn test88a_semget_keys_limits_initial_state_and_permissions() {
    group_passed(
        abcd(),
        "test88a",
        &[
            "test88a-ipc-private-always-new",
            "test88a-keys-ipc-creat-ipc-excl",
            "test88a-enospc-past-semmni",
            "test88a-nsems-bounds",
            "test88a-initial-state-ipc-stat",
            "test88a-root-opens-mode-0000",
            "test88a-semget-permissions",
        ],
    );
}

#[test]
fn test88b_semop_matrix() {
    group_passed(
        abcd(),
        "test88b",
        &[
            "test88b-sempid-and-otime",
            "test88b-e2big-past-semopm",
            "test88b-efbig-bad-semaphore-number",
            "test88b-erange-at-semvmx",
            "test88b-ipc-nowait-single-semaphore",
            "test88b-einval-bad-identifier",
            "test88b-semop-permissions-and-array-order",
            "test88b-single-blocking-operation",
            "test88b-multiple-blocking-operations-in-array-order",
            "test88b-erange-when-processed-waiter-answered",
            "test88b-eintr-three-operations-rolled-back",
            "test88b-eidrm-for-a-waiter",
            "test88b-setval-wakes-waiters-erange-then-ok",
            "test88b-setall-wakes-waiters",
            "test88b-sigkill-cancels-blocked-call",
        ],
    );
}

#[test]
fn test88b_a_waiter_whose_retry_fails_is_answered_with_the_error() {
    group_passed(
        abcd(),
        "test88b-waiter-whose-retry-fails",
        &["test88b-waiter-whose-retry-fails-gets-the-error"],
    );
}

#[test]
fn test88c_semctl_commands_and_permissions() {
    group_passed(
        abcd(),
        "test88c",
        &[
            "test88c-permissions-read-and-write-commands",
            "test88c-permissions-ipc-set-owner-eperm",
            "test88c-permissions-ipc-rmid-owner-eperm",
            "test88c-get-commands",
            "test88c-getall",
            "test88c-ipc-stat",
            "test88c-sem-stat",
            "test88c-setval",
            "test88c-setall",
            "test88c-ipc-set",
            "test88c-ipc-rmid",
            "test88c-ipc-info-sem-info",
            "test88c-invalid-commands",
        ],
    );
}

#[test]
fn test88d_unknown_flags_einval() {
    group_passed(
        abcd(),
        "test88d-unknown",
        &["test88d-unknown-sem-flg-bits-einval"],
    );
}

#[test]
fn test88d_sem_undo_applied_at_exit_as_our_extension() {
    group_passed(
        abcd(),
        "test88d-sem-undo",
        &[
            "test88d-sem-undo-applied-at-exit",
            "test88d-sem-undo-killed-holder-wakes-next-waiter",
            "test88d-sem-undo-cleared-by-setval",
        ],
    );
}

#[test]
fn test88_abcd_runs_to_the_end_with_no_failure() {
    let run = abcd();
    run.assert_no_failed_checks();
    assert_eq!(run.guest_exit_code(), Some(0), "{}", run.describe());
}

#[test]
fn test88e_match_matrix() {
    let run = e();
    group_passed(
        run,
        "test88e",
        &[
            "test88e-match-first-fifo",
            "test88e-match-second",
            "test88e-match-kill",
            "test88e-match-both",
            "test88e-match-cascade",
            "test88e-match-all",
        ],
    );
    assert_eq!(run.guest_exit_code(), Some(0), "{}", run.describe());
}

#[test]
#[ignore]
fn dump_abcd() {
    println!("{}", abcd().describe());
}
