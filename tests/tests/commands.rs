//! Boot test of host commands on the serial receive line: each command is
//! answered with its id and carried out; bad frames are answered with a
//! rejection and change nothing; the guest never stalls.

use boot_tests::{BootRun, boot_with_input, shared_run};
use kernel_abi::Signal;
use protocol::command::{Command, CommandOutcome, HostFrame, RejectReason};
use protocol::frame::{self, MAX_FRAME_LEN};
use protocol::message::{Message, SignalOutcome};
use std::time::Duration;

fn encode(id: u32, command: Command<&str>) -> Vec<u8> {
    let mut out = vec![0u8; MAX_FRAME_LEN];
    let len = frame::encode(&HostFrame { id, command }, &mut out).unwrap();
    out.truncate(len);
    out
}

/// The pid the guest gives the first program the test spawns (after init).
const FIRST_SPAWNED: u32 = 2;

fn run() -> &'static BootRun {
    shared_run("commands", || {
        let at = Duration::from_millis;
        let mut too_long = vec![0x41u8; 400];
        too_long.push(0);
        let input = vec![
            (at(600), encode(1, Command::Ping)),
            (
                at(700),
                encode(
                    2,
                    Command::Spawn {
                        program: "hello",
                        args: "from the host",
                    },
                ),
            ),
            (
                at(900),
                encode(
                    3,
                    Command::Spawn {
                        program: "spinner",
                        args: "",
                    },
                ),
            ),
            (
                at(1200),
                encode(
                    4,
                    Command::Signal {
                        pid: FIRST_SPAWNED + 1,
                        signal: Signal::SIGTERM.number(),
                    },
                ),
            ),
            (
                at(1300),
                encode(
                    5,
                    Command::Signal {
                        pid: FIRST_SPAWNED,
                        signal: 99,
                    },
                ),
            ),
            (
                at(1400),
                encode(
                    6,
                    Command::Signal {
                        pid: 4000,
                        signal: Signal::SIGTERM.number(),
                    },
                ),
            ),
            (
                at(1500),
                encode(
                    7,
                    Command::Spawn {
                        program: "no-such-program",
                        args: "",
                    },
                ),
            ),
            (at(1600), b"\x00garbage that is not a frame\x00".to_vec()),
            (at(1700), too_long),
            (at(1800), encode(8, Command::SetSnapshotInterval { ms: 5 })),
            (at(1900), encode(9, Command::SetSnapshotInterval { ms: 50 })),
            (at(2000), encode(10, Command::Ping)),
        ];
        boot_with_input(
            "commands",
            Duration::from_secs(60),
            &Default::default(),
            input,
        )
    })
}

fn result(run: &BootRun, id: u32) -> CommandOutcome {
    run.messages()
        .find_map(|message| match message {
            Message::CommandResult(result) if result.id == id => Some(result.outcome),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no result for command {id}\n{}", run.describe()))
}

#[test]
fn every_command_is_answered_with_its_id() {
    let run = run();
    assert_eq!(result(run, 1), CommandOutcome::Done(0));
    assert_eq!(
        result(run, 10),
        CommandOutcome::Done(0),
        "still answering after the bad frames"
    );
    assert_eq!(run.guest_exit_code(), Some(0), "{}", run.describe());
}

#[test]
fn spawn_starts_a_program_and_returns_its_pid() {
    let run = run();
    assert_eq!(
        result(run, 2),
        CommandOutcome::Done(u64::from(FIRST_SPAWNED))
    );
    assert!(
        run.spawns().contains(&(FIRST_SPAWNED, 1, "hello")),
        "a child of init: {:?}",
        run.spawns()
    );
    assert_eq!(run.exit_of(FIRST_SPAWNED), Some((0, 0)));
    assert_eq!(
        result(run, 7),
        CommandOutcome::Failed(2),
        "ENOENT for a program the image lacks"
    );
}

#[test]
fn signal_reaches_the_process() {
    let run = run();
    assert_eq!(
        result(run, 3),
        CommandOutcome::Done(u64::from(FIRST_SPAWNED + 1))
    );
    assert_eq!(result(run, 4), CommandOutcome::Done(0));
    let sent = run.messages().any(|m| {
        matches!(m, Message::Signal(s) if s.pid == FIRST_SPAWNED + 1 && s.sender == 0 && s.signal == Signal::SIGTERM.number()
            && s.outcome == SignalOutcome::Terminate)
    });
    assert!(sent, "a Signal event from the kernel (sender 0)");
    assert_eq!(
        run.exit_of(FIRST_SPAWNED + 1),
        Some((0, Signal::SIGTERM.number()))
    );
}

#[test]
fn bad_commands_get_an_error_and_change_nothing() {
    let run = run();
    assert_eq!(
        result(run, 5),
        CommandOutcome::Failed(22),
        "EINVAL for signal 99"
    );
    assert_eq!(
        result(run, 6),
        CommandOutcome::Failed(3),
        "ESRCH for no such process"
    );
    assert_eq!(
        result(run, 8),
        CommandOutcome::Failed(22),
        "EINVAL for a 5 ms snapshot interval"
    );
    let rejected: Vec<RejectReason> = run
        .messages()
        .filter_map(|m| match m {
            Message::CommandRejected(rejected) => Some(rejected.reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        rejected,
        vec![RejectReason::Undecodable, RejectReason::TooLong]
    );
    assert!(run.errors.is_empty() && run.stats.seq_gaps == 0);
}

#[test]
fn the_snapshot_interval_changes() {
    let run = run();
    assert_eq!(result(run, 9), CommandOutcome::Done(0));
    let changed = run
        .position(|m| matches!(m, Message::CommandResult(r) if r.id == 9))
        .expect("command 9 answered");
    let times: Vec<u64> = run.frames[changed..]
        .iter()
        .filter(|frame| matches!(frame.message, Message::SnapshotDone(_)))
        .map(|frame| frame.header.time_us)
        .collect();
    assert!(times.len() >= 5, "snapshots keep coming: {times:?}");
    let mut gaps: Vec<u64> = times.windows(2).map(|pair| pair[1] - pair[0]).collect();
    gaps.sort_unstable();
    // About 50 ms apart: never much sooner, and the typical gap at the
    // period. (A loaded host can hold the emulated CPU back for a while,
    // stretching one gap: the default period is 500 ms, so a median of
    // 50 ms still shows the change.)
    let median = gaps[gaps.len() / 2];
    assert!(
        gaps[0] >= 40_000 && (40_000..=70_000).contains(&median),
        "about 50 ms apart: {gaps:?}"
    );
}
