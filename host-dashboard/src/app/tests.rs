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
    let mut app = App::new(State::new("demo").with_log_capacity(capacity));
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
    app.processes()
        .selected(app.state())
        .map(|process| process.pid)
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
    let rows: Vec<u32> = app
        .processes()
        .rows(app.state())
        .iter()
        .map(|p| p.pid)
        .collect();
    assert_eq!(rows, [1, 3, 5]);
    assert_eq!(
        (
            app.processes().selected_row(app.state()),
            selected_pid(&app)
        ),
        (Some(0), Some(1))
    );
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
    // The log is in every view but the charts: it keeps the focus.
    app.perform(Action::FocusNext);
    app.perform(Action::NextView);
    assert_eq!((app.view(), app.focus()), (View::Log, Pane::Log));
    app.perform(Action::NextView);
    assert_eq!((app.view(), app.focus()), (View::Link, Pane::Log));
    app.perform(Action::NextView);
    assert_eq!((app.view(), app.focus()), (View::Charts, Pane::Subscribers));
    app.perform(Action::NextView);
    assert_eq!(
        (app.view(), app.focus()),
        (View::Processes, Pane::Processes)
    );
    app.perform(Action::PrevView);
    assert_eq!(app.view(), View::Charts);
    app.perform(Action::NextView);
    app.perform(Action::FocusNext);
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
    app.events()
        .rows(app.state())
        .iter()
        .map(|record| record.event_id)
        .collect()
}

fn selected_event(app: &App) -> Option<u64> {
    app.events()
        .selected(app.state())
        .map(|record| record.event_id)
}

#[test]
fn stuck_events_come_first_then_the_newest() {
    let app = app_with_events();
    assert_eq!(event_rows(&app), [1, 3, 2]);
    // Following the top of the list selects the stuck event.
    assert_eq!(selected_event(&app), Some(1));
    assert!(app.events().is_following());
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
    assert!(app.events().is_following());
    assert_eq!(selected_event(&app), Some(1));
    // The process selection did not move.
    assert_eq!(app.processes().selected_row(app.state()), None);
}

fn press(app: &mut App, code: ratatui::crossterm::event::KeyCode) {
    use ratatui::crossterm::event::{KeyEvent, KeyModifiers};
    app.perform_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(app: &mut App, text: &str) {
    for letter in text.chars() {
        press(app, ratatui::crossterm::event::KeyCode::Char(letter));
    }
}

fn row_pids(app: &App) -> Vec<u32> {
    app.processes()
        .rows(app.state())
        .iter()
        .map(|p| p.pid)
        .collect()
}

#[test]
fn the_filter_line_narrows_the_table_as_it_is_typed() {
    use ratatui::crossterm::event::KeyCode;
    let mut app = app_with_processes(&[1, 12, 3]);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.overlay(), &Overlay::Filter(String::new()));
    type_text(&mut app, "pid=12");
    assert_eq!(row_pids(&app), [12]);
    // Enter keeps the filter and closes the line; keys navigate again.
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.overlay(), &Overlay::None);
    assert_eq!(app.processes().filter().text(), "pid=12");
    // A bad condition says why and keeps the last good filter.
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, " size>1");
    assert_eq!(app.processes().filter_error().unwrap().term, "size>1");
    assert_eq!(row_pids(&app), [12]);
    // Enter does not close a line that is not a filter; Esc clears it all.
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay(), Overlay::Filter(_)));
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        (app.overlay(), app.processes().filter_error()),
        (&Overlay::None, None)
    );
    assert_eq!(row_pids(&app), [1, 3, 12]);
}

#[test]
fn sort_and_tree_reorder_the_rows_and_the_selection_follows_its_process() {
    let mut app = app_with_processes(&[1, 3, 12]);
    app.perform(Action::Down(1));
    assert_eq!(selected_pid(&app), Some(3));
    app.perform(Action::SortInvert);
    assert_eq!(row_pids(&app), [12, 3, 1]);
    assert_eq!(selected_pid(&app), Some(3));
    app.perform(Action::SortNext);
    assert_eq!(app.processes().sort().column, SortColumn::Parent);
    app.perform(Action::SortPrev);
    app.perform(Action::SortPrev);
    assert_eq!(app.processes().sort().column, SortColumn::MajorRate);
    app.perform(Action::ToggleTree);
    assert!(app.processes().is_tree());
    // All three are children of pid 1, which is one of them.
    let depths: Vec<usize> = app
        .processes()
        .rows_with_depth(app.state())
        .iter()
        .map(|(_, depth)| *depth)
        .collect();
    assert_eq!(depths, [0, 1, 1]);
}

#[test]
fn the_signal_menu_sends_the_chosen_signal_to_the_selected_process() {
    use ratatui::crossterm::event::KeyCode;
    let mut app = app_with_processes(&[1, 7]);
    app.perform(Action::Down(1));
    press(&mut app, KeyCode::F(9));
    assert!(matches!(app.overlay(), Overlay::Signal { pid: 7, .. }));
    // SIGTERM is first, SIGKILL second.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.overlay(), &Overlay::None);
    assert_eq!(
        app.outbox_mut().take_requests(),
        [Request::Guest(protocol::command::Command::Signal {
            pid: 7,
            signal: 9
        })]
    );
    assert!(app.outbox().sent_commands()[0].contains("SIGKILL"));
    // Esc closes the menu and sends nothing.
    press(&mut app, KeyCode::Char('K'));
    press(&mut app, KeyCode::Esc);
    assert!(app.outbox_mut().take_requests().is_empty());
}

#[test]
fn space_freezes_the_view_while_the_model_keeps_going() {
    let mut app = app_with_processes(&[1]);
    app.perform(Action::TogglePause);
    assert!(app.is_paused());
    send(
        &mut app,
        50,
        Message::Spawn(Spawn {
            pid: 2,
            parent: 1,
            name: "late".into(),
        }),
    );
    assert_eq!(row_pids(&app), [1]);
    assert!(app.live_state().system().process(2).is_some());
    app.perform(Action::TogglePause);
    assert_eq!(row_pids(&app), [1, 2]);
    assert!(app.outbox_mut().take_requests().is_empty());
}

#[test]
fn in_a_replay_space_and_the_replay_keys_control_the_playback() {
    let mut app = App::new(State::new("demo"));
    // Not a replay: the replay keys do nothing.
    app.perform(Action::Faster);
    assert!(app.outbox_mut().take_requests().is_empty());
    app.replay_mut().active = true;
    for action in [
        Action::TogglePause,
        Action::Faster,
        Action::Slower,
        Action::SeekBack,
        Action::SeekForward,
        Action::StepFrame,
    ] {
        app.perform(action);
    }
    assert!(!app.is_paused());
    let ten = Duration::from_secs(10);
    assert_eq!(
        app.outbox_mut().take_requests(),
        [
            ReplayControl::TogglePause,
            ReplayControl::Faster,
            ReplayControl::Slower,
            ReplayControl::SeekBy {
                by: ten,
                back: true
            },
            ReplayControl::SeekBy {
                by: ten,
                back: false
            },
            ReplayControl::StepFrame,
        ]
        .map(Request::Replay)
    );
}

#[test]
fn enter_opens_the_details_and_esc_goes_back() {
    let mut app = app_with_processes(&[1, 3]);
    app.perform(Action::Down(1));
    app.perform(Action::Open);
    assert_eq!(
        app.processes().detail_process(app.state()).map(|p| p.pid),
        Some(3)
    );
    app.perform(Action::Back);
    assert_eq!(app.processes().detail_pid(), None);
}

#[test]
fn a_click_selects_a_row_and_the_wheel_scrolls() {
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut app = app_with_processes(&[1, 3, 5]);
    // Where the last frame drew the table: rows start 2 below its top.
    app.processes()
        .area()
        .set(ratatui::layout::Rect::new(0, 1, 80, 20));
    let mouse = |kind, row| MouseEvent {
        kind,
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    };
    app.perform_mouse(mouse(MouseEventKind::Down(MouseButton::Left), 5));
    assert_eq!(selected_pid(&app), Some(5));
    app.perform_mouse(mouse(MouseEventKind::ScrollUp, 0));
    assert_eq!(selected_pid(&app), Some(1));
    // A click below the rows changes nothing.
    app.perform_mouse(mouse(MouseEventKind::Down(MouseButton::Left), 30));
    assert_eq!(selected_pid(&app), Some(1));
}

#[test]
fn config_keys_come_before_the_built_in_ones() {
    use ratatui::crossterm::event::KeyCode;
    let mut app = app_with_processes(&[1, 7]);
    let config = crate::config::Config::parse(
        "[keys]\nk = \"signal_menu\"\n",
        std::path::Path::new("config.toml"),
    )
    .unwrap();
    app.appearance_mut().custom_keys = config.custom_keys().unwrap();
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('k'));
    assert!(matches!(app.overlay(), Overlay::Signal { pid: 7, .. }));
}

#[test]
fn the_signal_menu_says_when_its_process_has_exited_and_sends_nothing() {
    use super::modal::target_ended;
    use protocol::message::Exit;
    use ratatui::crossterm::event::KeyCode;
    let mut app = app_with_processes(&[1, 7, 8]);
    app.perform(Action::Down(1));
    press(&mut app, KeyCode::F(9));
    assert!(matches!(app.overlay(), Overlay::Signal { pid: 7, .. }));
    assert_eq!(app.signal_target_ended(), None, "pid 7 lives");
    // Another process's exit changes nothing.
    let exit = |pid, status, signal| {
        Message::Exit(Exit {
            pid,
            status,
            signal,
        })
    };
    send(&mut app, 10, exit(8, 0, 0));
    assert_eq!(app.signal_target_ended(), None);

    // Pid 7 is killed while the menu is open: the menu says so...
    send(&mut app, 11, exit(7, 0, 15));
    assert_eq!(
        app.signal_target_ended().as_deref(),
        Some("pid 7 (p7) has exited: killed by SIGTERM")
    );
    // ...and Enter sends nothing and leaves it open, saying why.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert!(app.outbox_mut().take_requests().is_empty());
    assert!(app.outbox().sent_commands().is_empty());
    assert!(matches!(
        app.overlay(),
        Overlay::Signal { pid: 7, row: 1, .. }
    ));
    // Reaped, it is still gone, with the reason it ended.
    send(&mut app, 12, Message::Reaped(Reaped { pid: 7 }));
    assert!(app.state().system().process(7).is_none());
    assert_eq!(
        app.signal_target_ended().as_deref(),
        Some("pid 7 (p7) has exited: killed by SIGTERM")
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay(), &Overlay::None);
    assert_eq!(app.signal_target_ended(), None, "no menu, nothing to say");

    // A process that exits by itself: its status; a process the model
    // lost without seeing its exit: just that it has gone.
    let mut app = app_with_processes(&[1, 9]);
    app.perform(Action::Down(1));
    press(&mut app, KeyCode::Char('K'));
    send(&mut app, 5, exit(9, 3, 0));
    assert_eq!(
        app.signal_target_ended().as_deref(),
        Some("pid 9 (p9) has exited: exit status 3")
    );
    assert_eq!(
        target_ended(app.state(), 1234, "ghost").as_deref(),
        Some("pid 1234 (ghost) has exited")
    );
    // The same pid under another name (a new boot) is not the process.
    assert!(target_ended(app.state(), 1, "p1").is_none());
    assert!(target_ended(app.state(), 1, "other").is_some());
}
