//! Tests of the app's interaction: focus, process selection, log scrolling.

use super::*;
use protocol::message::{GuestFrame, Header, Log, LogLevel, Message, Reaped, Spawn};

fn send(app: &mut App, seq: u32, message: Message<String>) {
    let header = Header {
        seq,
        time_us: u64::from(seq),
        dropped_before: 0,
    };
    app.apply(Duration::ZERO, Input::Frame(GuestFrame { header, message }));
}

fn log_line(seq: u32) -> Message<String> {
    Message::Log(Log {
        level: LogLevel::Info,
        pid: 1,
        text: format!("line {seq}"),
    })
}

/// An app with `count` log lines in a ring of `capacity`, the log focused.
fn app_with_lines(count: u32, capacity: usize) -> App {
    let mut app = App::new(State::with_log_capacity("demo", capacity));
    for seq in 0..count {
        send(&mut app, seq, log_line(seq));
    }
    app.perform(Action::FocusNext);
    assert_eq!(app.focus(), Pane::Log);
    app
}

/// An app with processes `pids` (spawned in that order).
fn app_with_processes(pids: &[u32]) -> App {
    let mut app = App::new(State::new("demo"));
    for (seq, &pid) in pids.iter().enumerate() {
        let spawn = Spawn {
            pid,
            parent: 1,
            name: format!("p{pid}"),
        };
        send(&mut app, seq as u32, Message::Spawn(spawn));
    }
    app
}

fn selected_pid(app: &App) -> Option<u32> {
    app.selected_process().map(|process| process.pid)
}

fn bottom(app: &App) -> Option<u64> {
    app.log_view().bottom_line(app.state().log())
}

#[test]
fn quit_is_remembered() {
    let mut app = app_with_lines(0, 10);
    assert!(!app.should_quit());
    app.perform(Action::Quit);
    assert!(app.should_quit());
}

#[test]
fn tab_moves_the_focus_between_processes_and_log() {
    let mut app = App::new(State::new("demo"));
    assert_eq!(app.focus(), Pane::Processes);
    app.perform(Action::FocusNext);
    assert_eq!(app.focus(), Pane::Log);
    app.perform(Action::FocusNext);
    assert_eq!(app.focus(), Pane::Processes);
}

#[test]
fn arrows_move_the_process_selection_in_pid_order() {
    let mut app = app_with_processes(&[5, 1, 3]);
    let rows: Vec<u32> = app.process_rows().iter().map(|p| p.pid).collect();
    assert_eq!(rows, [1, 3, 5]);
    assert_eq!((app.selected_row(), selected_pid(&app)), (Some(0), Some(1)));
    app.perform(Action::Down(1));
    assert_eq!(selected_pid(&app), Some(3));
    app.perform(Action::Down(PAGE_LINES));
    assert_eq!(selected_pid(&app), Some(5));
    app.perform(Action::Up(1));
    assert_eq!(selected_pid(&app), Some(3));
    app.perform(Action::Last);
    assert_eq!(selected_pid(&app), Some(5));
    app.perform(Action::First);
    assert_eq!(selected_pid(&app), Some(1));
}

#[test]
fn the_selection_stays_on_its_process_as_others_come_and_go() {
    let mut app = app_with_processes(&[1, 3, 5]);
    app.perform(Action::Down(1));
    send(&mut app, 10, Message::Reaped(Reaped { pid: 1 }));
    assert_eq!(selected_pid(&app), Some(3));
    // When it goes, the row below takes its place.
    send(&mut app, 11, Message::Reaped(Reaped { pid: 3 }));
    assert_eq!(selected_pid(&app), Some(5));
    send(&mut app, 12, Message::Reaped(Reaped { pid: 5 }));
    assert_eq!(selected_pid(&app), None);
}

#[test]
fn navigation_keys_act_on_the_focused_pane_only() {
    let mut app = app_with_processes(&[1, 2]);
    for seq in 0..5 {
        send(&mut app, 10 + seq, log_line(seq));
    }
    app.perform(Action::Down(1));
    assert_eq!((selected_pid(&app), bottom(&app)), (Some(2), Some(4)));
    app.perform(Action::FocusNext);
    app.perform(Action::Up(2));
    assert_eq!((selected_pid(&app), bottom(&app)), (Some(2), Some(2)));
}

#[test]
fn scrolling_anchors_the_view_while_new_lines_arrive() {
    let mut app = app_with_lines(10, 100);
    assert_eq!(bottom(&app), Some(9));
    app.perform(Action::Up(3));
    assert_eq!(bottom(&app), Some(6));
    assert!(!app.log_view().is_following());
    // New lines do not move an anchored view.
    send(&mut app, 10, log_line(10));
    assert_eq!(bottom(&app), Some(6));
    // Scrolling down to the newest line follows again.
    app.perform(Action::Down(2));
    assert_eq!(bottom(&app), Some(8));
    app.perform(Action::Down(PAGE_LINES));
    assert!(app.log_view().is_following());
    assert_eq!(bottom(&app), Some(10));
}

#[test]
fn scrolling_stops_at_the_oldest_line_held() {
    let mut app = app_with_lines(30, 10);
    app.perform(Action::Up(100));
    assert_eq!(bottom(&app), Some(20));
    app.perform(Action::Last);
    assert_eq!(bottom(&app), Some(29));
    app.perform(Action::First);
    assert_eq!(bottom(&app), Some(20));
}

#[test]
fn scrolling_an_empty_log_does_nothing() {
    let mut app = app_with_lines(0, 10);
    app.perform(Action::Up(1));
    app.perform(Action::Down(1));
    assert!(app.log_view().is_following());
    assert_eq!(bottom(&app), None);
}
