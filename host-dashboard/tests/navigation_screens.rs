//! Snapshot tests of navigation and guest control: the help overlay, a
//! filtered and sorted table, a bad filter, the tree, the detail view with
//! its fault sparklines, the signal menu, a command's answer and the paused
//! view. A scripted guest (see [`common::Session`]) runs a small system for
//! 10 s of guest time with a snapshot round every 500 ms; keys go through
//! `App::perform_key`, as the terminal's do.

mod common;

use common::Session;
use protocol::PROTOCOL_VERSION;
use protocol::command::{Command, CommandOutcome};
use protocol::message::{
    CommandResult, Exit, LogLevel, Message, PERM_READ, PERM_WRITE, ProcessSnapshot, ProcessState,
    ProcessVmFlags, RegionKind, RegionSnapshot, SnapshotDone, Spawn, VMF_INUSE, VmCounters,
};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use watchtower::app::{Overlay, Request};

/// pid, parent, name, state, minor faults per round, major faults per round.
const SYSTEM: [(u32, u32, &str, ProcessState, u64, u64); 6] = [
    (1, 0, "init", ProcessState::WaitingForChild, 0, 0),
    (2, 0, "ipc", ProcessState::Receiving, 1, 0),
    (3, 1, "worker", ProcessState::Sleeping, 40, 2),
    (4, 1, "forker", ProcessState::WaitingForChild, 2, 0),
    (5, 4, "worker", ProcessState::Ready, 10, 1),
    (6, 1, "spinner", ProcessState::Running, 0, 0),
];

const HEAP: u64 = 0x50_0000;

fn round(session: &mut Session, n: u32) {
    let time_us = u64::from(n) * 500_000;
    let rounds = u64::from(n);
    for (pid, parent, name, state, minor, major) in SYSTEM {
        // The first worker's faults come in bursts every 4 s.
        let burst = if pid == 3 && (n / 4) % 2 == 1 { 3 } else { 1 };
        let minor_faults = 8 + minor * rounds * burst;
        session.send(
            time_us,
            Message::Process(ProcessSnapshot {
                round: n,
                pid,
                parent,
                name,
                state,
                privileged: pid == 2,
                cpu_ns: u64::from(pid) * rounds * 1_000_000,
                vm: VmCounters {
                    vm_total_pages: 8 + minor * rounds,
                    vm_total_max_pages: 8 + minor * rounds,
                    minor_faults,
                    major_faults: major * rounds,
                },
                regions: 1,
            }),
        );
        session.send(
            time_us,
            Message::Region(RegionSnapshot {
                round: n,
                pid,
                start: HEAP,
                len: (8 + minor * rounds) * 0x1000,
                kind: RegionKind::Heap,
                perms: PERM_READ | PERM_WRITE,
                resident_pages: 8 + minor * rounds,
                swapped_pages: 0,
            }),
        );
    }
    session.send(
        time_us,
        Message::SnapshotDone(SnapshotDone {
            round: n,
            processes: SYSTEM.len() as u32,
        }),
    );
    session.heartbeat(time_us, 1, 2);
}

/// The scripted system after 10 s of guest time.
fn running() -> Session {
    let mut session = Session::start();
    session.hello(PROTOCOL_VERSION);
    session.log(2_000, LogLevel::Info, 0, "kernel: booting image demo");
    for (pid, parent, name, ..) in SYSTEM {
        session.send(3_000, Message::Spawn(Spawn { pid, parent, name }));
    }
    for n in 1..=20 {
        round(&mut session, n);
    }
    session.tick(10_010);
    session
}

fn press(session: &mut Session, code: KeyCode) {
    session
        .app
        .perform_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(session: &mut Session, text: &str) {
    for letter in text.chars() {
        press(session, KeyCode::Char(letter));
    }
}

#[test]
fn the_help_lists_every_key() {
    let mut session = running();
    press(&mut session, KeyCode::Char('?'));
    insta::assert_snapshot!(session.screen());
    // Any key closes it.
    press(&mut session, KeyCode::Char('x'));
    assert_eq!(session.app.overlay(), &Overlay::None);
}

#[test]
fn a_filtered_table_sorted_on_major_faults_descending() {
    let mut session = running();
    press(&mut session, KeyCode::Char('/'));
    type_text(&mut session, "major>0");
    press(&mut session, KeyCode::Enter);
    // PID -> ... -> MAJOR is 9 columns on; then invert.
    for _ in 0..9 {
        press(&mut session, KeyCode::Char('>'));
    }
    press(&mut session, KeyCode::Char('I'));
    insta::assert_snapshot!(session.screen());
}

#[test]
fn a_bad_filter_condition_is_named_and_hides_nothing() {
    let mut session = running();
    press(&mut session, KeyCode::Char('/'));
    type_text(&mut session, "worker size>3");
    insta::assert_snapshot!(session.screen());
}

#[test]
fn the_tree_by_parent() {
    let mut session = running();
    press(&mut session, KeyCode::Char('t'));
    insta::assert_snapshot!(session.screen());
}

#[test]
fn the_detail_view_with_fault_sparklines() {
    let mut session = running();
    // The VM's flags of the worker, as a snapshot round reports them.
    session.send(
        10_000_000,
        Message::VmFlags(ProcessVmFlags {
            round: 20,
            pid: 3,
            flags: VMF_INUSE,
        }),
    );
    type_text(&mut session, "jj");
    press(&mut session, KeyCode::Enter);
    assert_eq!(session.app.processes().detail_pid(), Some(3));
    insta::assert_snapshot!(session.screen());
    press(&mut session, KeyCode::Esc);
    assert_eq!(session.app.processes().detail_pid(), None);
}

#[test]
fn the_signal_menu_then_the_kill_and_its_answer() {
    let mut session = running();
    // /worker, then the first worker (pid 3).
    press(&mut session, KeyCode::Char('/'));
    type_text(&mut session, "worker");
    press(&mut session, KeyCode::Enter);
    press(&mut session, KeyCode::F(9));
    press(&mut session, KeyCode::Down);
    insta::assert_snapshot!("signal_menu", session.screen());
    press(&mut session, KeyCode::Enter);
    assert_eq!(
        session.app.outbox_mut().take_requests(),
        [Request::Guest(Command::Signal { pid: 3, signal: 9 })]
    );
    // The guest answers and the worker dies of it.
    session.send(
        10_100_000,
        Message::CommandResult(CommandResult {
            id: 1,
            outcome: CommandOutcome::Done(0),
        }),
    );
    session.send(
        10_100_000,
        Message::Exit(Exit {
            pid: 3,
            status: 0,
            signal: 9,
        }),
    );
    session.tick(10_200);
    insta::assert_snapshot!("signal_result", session.screen());
    // The link view lists the commands and their answers.
    press(&mut session, KeyCode::Char('4'));
    let screen = session.screen();
    assert!(
        screen.contains("sent signal 9 (SIGKILL) -> pid 3 worker")
            && screen.contains("command 1: done (0) at 10.100"),
        "{screen}"
    );
}

#[test]
fn the_signal_menu_says_when_its_process_has_exited() {
    let mut session = running();
    press(&mut session, KeyCode::Char('/'));
    type_text(&mut session, "worker");
    press(&mut session, KeyCode::Enter);
    press(&mut session, KeyCode::F(9));
    // The worker (pid 3) ends by itself while the menu is open.
    session.send(
        10_100_000,
        Message::Exit(Exit {
            pid: 3,
            status: 2,
            signal: 0,
        }),
    );
    session.tick(10_200);
    insta::assert_snapshot!("signal_menu_after_the_process_exited", session.screen());
    // Enter sends nothing; Esc closes the menu.
    press(&mut session, KeyCode::Enter);
    assert!(session.app.outbox_mut().take_requests().is_empty());
    assert!(matches!(
        session.app.overlay(),
        Overlay::Signal { pid: 3, .. }
    ));
    press(&mut session, KeyCode::Esc);
    assert_eq!(session.app.overlay(), &Overlay::None);
}

#[test]
fn a_failed_command_shows_its_errno() {
    let mut session = running();
    session.send(
        10_100_000,
        Message::CommandResult(CommandResult {
            id: 4,
            outcome: CommandOutcome::Failed(3),
        }),
    );
    session.tick(10_200);
    let screen = session.screen();
    assert!(screen.contains("command 4: failed: ESRCH"), "{screen}");
}

#[test]
fn the_paused_view_keeps_its_picture_while_the_model_goes_on() {
    let mut session = running();
    press(&mut session, KeyCode::Char(' '));
    let paused = session.screen();
    session.send(
        10_100_000,
        Message::Exit(Exit {
            pid: 6,
            status: 0,
            signal: 0,
        }),
    );
    assert!(session.app.live_state().system().lifecycle().exit == 1);
    insta::assert_snapshot!(session.screen());
    assert_eq!(paused, session.screen());
    press(&mut session, KeyCode::Char(' '));
    assert_ne!(paused, session.screen());
}

#[test]
fn the_snapshot_rate_line_refuses_a_rate_out_of_range() {
    let mut session = running();
    press(&mut session, KeyCode::Char('s'));
    type_text(&mut session, "5");
    press(&mut session, KeyCode::Enter);
    assert!(session.app.outbox_mut().take_requests().is_empty());
    insta::assert_snapshot!(session.screen());
    type_text(&mut session, "00");
    press(&mut session, KeyCode::Enter);
    assert_eq!(
        session.app.outbox_mut().take_requests(),
        [Request::Guest(Command::SetSnapshotInterval { ms: 500 })]
    );
}

#[test]
fn f7_starts_a_program_with_arguments() {
    let mut session = running();
    press(&mut session, KeyCode::F(7));
    type_text(&mut session, "worker 3");
    press(&mut session, KeyCode::Enter);
    assert_eq!(
        session.app.outbox_mut().take_requests(),
        [Request::Guest(Command::Spawn {
            program: "worker".to_string(),
            args: "3".to_string()
        })]
    );
    assert_eq!(session.app.overlay(), &Overlay::None);
    assert!(session.screen().contains("sent spawn worker 3"));
}

#[test]
fn ascii_mode_without_colours() {
    use ratatui::style::Color;
    use watchtower::config::DisplayConfig;
    let mut session = running();
    session.app.appearance_mut().display = DisplayConfig {
        color: false,
        ascii: true,
    };
    let screen = session.screen();
    assert!(screen.is_ascii(), "{screen}");
    insta::assert_snapshot!(screen);
    let buffer = session.buffer();
    assert!(
        buffer
            .content
            .iter()
            .all(|cell| cell.fg == Color::Reset && cell.bg == Color::Reset)
    );
}

#[test]
fn no_color_in_the_environment_gives_the_colourless_screen() {
    use clap::Parser;
    use ratatui::style::{Color, Modifier};
    use watchtower::cli::Cli;
    use watchtower::config::Config;
    let cli = Cli::try_parse_from(["watchtower"]).expect("no flags parse");
    let mut session = running();
    session.app.appearance_mut().display = cli
        .ui
        .display_with(&Config::default(), Some(std::ffi::OsStr::new("1")));
    insta::assert_snapshot!(session.screen());
    let buffer = session.buffer();
    assert!(
        buffer
            .content
            .iter()
            .all(|cell| cell.fg == Color::Reset && cell.bg == Color::Reset),
        "no colour anywhere"
    );
    assert!(
        buffer
            .content
            .iter()
            .any(|cell| cell.modifier.contains(Modifier::REVERSED)),
        "the selection shows in reverse video"
    );
}

#[test]
fn the_log_view() {
    let mut session = running();
    press(&mut session, KeyCode::Char('3'));
    insta::assert_snapshot!(session.screen());
}

#[test]
fn the_link_view_with_a_fault_storm_warning() {
    let mut session = running();
    // The first worker touches 4000 pages in the next half second: a
    // fault storm (over 1000/s over the 2 s rate window).
    session.send(
        10_500_000,
        Message::Process(ProcessSnapshot {
            round: 21,
            pid: 3,
            parent: 1,
            name: "worker",
            state: ProcessState::Running,
            privileged: false,
            cpu_ns: 63_000_000,
            vm: VmCounters {
                vm_total_pages: 4_808,
                vm_total_max_pages: 4_808,
                minor_faults: 6_408,
                major_faults: 42,
            },
            regions: 0,
        }),
    );
    session.tick(10_510);
    let warnings = session.app.state().warnings();
    assert_eq!(warnings.fault_storms.len(), 1, "{warnings:?}");
    assert_eq!(warnings.fault_storms[0].pid, 3);
    press(&mut session, KeyCode::Char('4'));
    insta::assert_snapshot!(session.screen());
}

#[test]
fn on_a_short_screen_the_help_takes_two_columns() {
    let mut session = running();
    press(&mut session, KeyCode::Char('?'));
    let screen = session.screen_sized(160, 30);
    for line in ["quit (stops QEMU)", "replay: one frame", "signal menu: "] {
        assert!(screen.contains(line), "{line} missing:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}
