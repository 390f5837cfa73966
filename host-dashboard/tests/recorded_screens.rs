//! Every view drawn from a real recorded boot: `fixtures/demo.rec` holds
//! four seconds of the demo image as the dashboard recorded them
//! (`--headless --seconds 4 --record`), replayed through the same decoder
//! and model as live, then drawn with ratatui's `TestBackend`. When protocol
//! v2 turned most headers into time deltas, its serial bytes were re-encoded
//! frame by frame as the guest now sends them (same frames, times and record
//! times; its v1 Hello became a v2 Hello with an unknown platform).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;
use watchtower::app::App;
use watchtower::record;
use watchtower::state::State;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

fn recorded() -> App {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo.rec");
    let recording = record::read_file(&path).expect("the fixture reads");
    assert_eq!(recording.damage, None);
    let mut state = State::for_image(recording.image.clone());
    recording.play(|at, input| state.apply(at, input));
    App::new(state)
}

fn press(app: &mut App, code: KeyCode) {
    app.perform_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(app: &mut App, text: &str) {
    for letter in text.chars() {
        press(app, KeyCode::Char(letter));
    }
}

fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
    terminal
        .draw(|frame| frame.render_widget(app, frame.area()))
        .expect("draws");
    terminal.backend().to_string()
}

#[test]
fn recorded_processes_view() {
    let app = recorded();
    assert!(
        app.state().guest().identity.is_some(),
        "the Hello was replayed"
    );
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn recorded_events_view() {
    let mut app = recorded();
    press(&mut app, KeyCode::Char('2'));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn recorded_log_view() {
    let mut app = recorded();
    press(&mut app, KeyCode::Char('3'));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn recorded_link_view() {
    let mut app = recorded();
    press(&mut app, KeyCode::Char('4'));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn recorded_help_overlay() {
    let mut app = recorded();
    press(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn recorded_table_filtered_to_services_and_sorted_on_pid_descending() {
    let mut app = recorded();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "pid<3");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('I'));
    let screen = screen(&app);
    assert!(screen.contains("filter: pid<3"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn recorded_detail_view_of_the_ipc_service() {
    let mut app = recorded();
    press(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(screen(&app));
}

/// The recorded stream as if attached to a running guest: the link comes
/// up, carries the recording, then drops; the dashboard retries.
#[test]
fn attached_link_down_view() {
    use std::time::Duration;
    use watchtower::state::{AttachInput, Input};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo.rec");
    let recording = record::read_file(&path).expect("the fixture reads");
    let mut state = State::for_image(None);
    let address = "unix:/tmp/guest.sock".to_string();
    state.apply(
        Duration::ZERO,
        Input::Attach(AttachInput::Started { address }),
    );
    state.apply(Duration::ZERO, Input::Attach(AttachInput::Up));
    let mut end = Duration::ZERO;
    recording.play(|at, input| {
        end = end.max(at);
        if !matches!(input, Input::QemuStarted { .. } | Input::QemuExited(_)) {
            state.apply(at, input);
        }
    });
    let reason = "closed by the other end".to_string();
    state.apply(end, Input::Attach(AttachInput::Down { reason }));
    state.apply(end + Duration::from_millis(1500), Input::Tick);
    assert_eq!(state.image(), "demo", "named by the guest's Hello");
    let mut app = App::new(state);
    press(&mut app, KeyCode::Char('4'));
    insta::assert_snapshot!(screen(&app));
}
