//! Tests of the app's interaction: focus, process selection, log scrolling.

use super::*;
use protocol::message::{
    EventDone, EventKind, GuestFrame, Header, Heartbeat, Log, LogLevel, MASK_EXIT, Message,
    Publish, Reaped, Spawn, Subscribed,
};

fn send(app: &mut App, seq: u32, message: Message<String>) {
    send_at(app, seq, u64::from(seq), message);
}

fn send_at(app: &mut App, seq: u32, time_us: u64, message: Message<String>) {
    let header = Header {
        seq,
        time_us,
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

#[test]
fn views_switch_and_keep_the_focus_on_one_of_their_panes() {
    let mut app = App::new(State::new("demo"));
    assert_eq!(app.view(), View::Processes);
    app.perform(Action::ShowView(View::Events));
    assert_eq!((app.view(), app.focus()), (View::Events, Pane::Events));
    app.perform(Action::FocusNext);
    assert_eq!(app.focus(), Pane::Log);
    app.perform(Action::FocusNext);
    assert_eq!(app.focus(), Pane::Events);
    // The log is in both views: it keeps the focus.
    app.perform(Action::FocusNext);
    app.perform(Action::NextView);
    assert_eq!((app.view(), app.focus()), (View::Processes, Pane::Log));
    app.perform(Action::FocusNext);
    assert_eq!(app.focus(), Pane::Processes);
    app.perform(Action::NextView);
    assert_eq!((app.view(), app.focus()), (View::Events, Pane::Events));
}

/// An app in the event view: event 1 (pid 50) waits on subscriber 9 from
/// guest time 0; events 2 and 3 complete at once; at 3 s event 1 is stuck.
fn app_with_events() -> App {
    let mut app = App::new(State::new("demo"));
    let subscribed = Subscribed {
        endpoint: 9,
        mask: MASK_EXIT,
    };
    send_at(&mut app, 0, 0, Message::Subscribed(subscribed));
    let publish = Publish {
        event_id: 1,
        pid: 50,
        kind: EventKind::Exit,
        subscriber: 9,
    };
    send_at(&mut app, 1, 0, Message::Publish(publish));
    for event_id in [2, 3] {
        let done = EventDone {
            event_id,
            pid: 50 + event_id as u32,
            kind: EventKind::Spawn,
            elapsed_ns: 0,
        };
        send_at(&mut app, event_id as u32, 1_000, Message::EventDone(done));
    }
    let heartbeat = Heartbeat {
        uptime_ns: 3_000_000_000,
        dropped_total: 0,
        idle_ns: 0,
    };
    send_at(&mut app, 4, 3_000_000, Message::Heartbeat(heartbeat));
    app.perform(Action::ShowView(View::Events));
    app
}

fn event_rows(app: &App) -> Vec<u64> {
    app.event_rows()
        .iter()
        .map(|record| record.event_id)
        .collect()
}

fn selected_event(app: &App) -> Option<u64> {
    app.selected_event().map(|record| record.event_id)
}

#[test]
fn stuck_events_come_first_then_the_newest() {
    let app = app_with_events();
    assert_eq!(event_rows(&app), [1, 3, 2]);
    // Following the top of the list selects the stuck event.
    assert_eq!(selected_event(&app), Some(1));
    assert!(app.event_selection_follows());
}

#[test]
fn the_event_selection_stays_on_its_event_until_home_follows_again() {
    let mut app = app_with_events();
    app.perform(Action::Down(1));
    assert_eq!(selected_event(&app), Some(3));
    let done = EventDone {
        event_id: 4,
        pid: 60,
        kind: EventKind::Spawn,
        elapsed_ns: 0,
    };
    send_at(&mut app, 5, 3_000_100, Message::EventDone(done));
    assert_eq!(event_rows(&app), [1, 4, 3, 2]);
    assert_eq!(selected_event(&app), Some(3));
    app.perform(Action::Last);
    assert_eq!(selected_event(&app), Some(2));
    app.perform(Action::First);
    assert!(app.event_selection_follows());
    assert_eq!(selected_event(&app), Some(1));
    // The process selection did not move.
    assert_eq!(app.selected_row(), None);
}
