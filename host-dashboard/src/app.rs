//! The dashboard application: the state model plus what the user looks at.
//!
//! [`App`] is what the UI renders. Keys become [`Action`]s through
//! [`action_for_key`], and [`App::perform`] applies them, so the whole
//! interaction is testable without a terminal.

use crate::state::{Input, LogRing, State};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::time::Duration;

/// Lines one PgUp/PgDn moves the log.
pub const PAGE_LINES: u64 = 20;

/// The dashboard: model and view state.
#[derive(Clone, Debug)]
pub struct App {
    state: State,
    log_view: LogView,
    quit: bool,
}

/// What the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Leave the dashboard (stopping QEMU).
    Quit,
    /// Scroll the log towards older lines.
    ScrollUp(u64),
    /// Scroll the log towards newer lines.
    ScrollDown(u64),
    /// Follow the newest log line again.
    Follow,
}

/// Which part of the log is on screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogView {
    /// Session-wide number of the line shown at the bottom, or `None` to
    /// follow the newest line.
    anchor: Option<u64>,
}

impl LogView {
    /// Number of the line at the bottom of the view, if the log has any.
    pub fn bottom_line(&self, log: &LogRing) -> Option<u64> {
        let newest = log.total().checked_sub(1)?;
        Some(
            self.anchor
                .unwrap_or(newest)
                .clamp(log.first_number(), newest),
        )
    }

    /// Whether the view follows the newest line.
    pub fn is_following(&self) -> bool {
        self.anchor.is_none()
    }

    fn scroll_up(&mut self, lines: u64, log: &LogRing) {
        if let Some(bottom) = self.bottom_line(log) {
            self.anchor = Some(bottom.saturating_sub(lines).max(log.first_number()));
        }
    }

    fn scroll_down(&mut self, lines: u64, log: &LogRing) {
        let (Some(_), Some(bottom)) = (self.anchor, self.bottom_line(log)) else {
            return;
        };
        let target = bottom.saturating_add(lines);
        self.anchor = (target + 1 < log.total()).then_some(target);
    }
}

impl App {
    /// An app showing `state`, following the log.
    pub fn new(state: State) -> Self {
        Self {
            state,
            log_view: LogView::default(),
            quit: false,
        }
    }

    /// The model.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The log view.
    pub fn log_view(&self) -> LogView {
        self.log_view
    }

    /// Feeds the model (see [`State::apply`]).
    pub fn apply(&mut self, now: Duration, input: Input) {
        self.state.apply(now, input);
    }

    /// Carries out a user action.
    pub fn perform(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::ScrollUp(lines) => self.log_view.scroll_up(lines, self.state.log()),
            Action::ScrollDown(lines) => self.log_view.scroll_down(lines, self.state.log()),
            Action::Follow => self.log_view = LogView::default(),
        }
    }

    /// Whether the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }
}

/// The action a key press stands for, if any.
pub fn action_for_key(key: KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    let control = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('q' | 'Q') => Some(Action::Quit),
        KeyCode::Char('c') if control => Some(Action::Quit),
        KeyCode::Up | KeyCode::Char('k') => Some(Action::ScrollUp(1)),
        KeyCode::Down | KeyCode::Char('j') => Some(Action::ScrollDown(1)),
        KeyCode::PageUp => Some(Action::ScrollUp(PAGE_LINES)),
        KeyCode::PageDown => Some(Action::ScrollDown(PAGE_LINES)),
        KeyCode::End | KeyCode::Char('G') => Some(Action::Follow),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::{GuestFrame, Header, Log, LogLevel, Message};

    fn app_with_lines(count: u32, capacity: usize) -> App {
        let mut app = App::new(State::with_log_capacity("demo", capacity));
        for seq in 0..count {
            let message = Message::Log(Log {
                level: LogLevel::Info,
                pid: 1,
                text: format!("line {seq}"),
            });
            let header = Header {
                seq,
                time_us: u64::from(seq),
                dropped_before: 0,
            };
            app.apply(Duration::ZERO, Input::Frame(GuestFrame { header, message }));
        }
        app
    }

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(
            action_for_key(key(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for_key(key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for_key(key(KeyCode::Char('c'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            action_for_key(key(KeyCode::PageUp, KeyModifiers::NONE)),
            Some(Action::ScrollUp(PAGE_LINES))
        );
        assert_eq!(
            action_for_key(key(KeyCode::End, KeyModifiers::NONE)),
            Some(Action::Follow)
        );
        let mut release = key(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for_key(release), None);
    }

    #[test]
    fn quit_is_remembered() {
        let mut app = app_with_lines(0, 10);
        assert!(!app.should_quit());
        app.perform(Action::Quit);
        assert!(app.should_quit());
    }

    #[test]
    fn scrolling_anchors_the_view_while_new_lines_arrive() {
        let mut app = app_with_lines(10, 100);
        assert_eq!(app.log_view().bottom_line(app.state().log()), Some(9));
        app.perform(Action::ScrollUp(3));
        assert_eq!(app.log_view().bottom_line(app.state().log()), Some(6));
        assert!(!app.log_view().is_following());
        // New lines do not move an anchored view.
        let header = Header {
            seq: 10,
            time_us: 10,
            dropped_before: 0,
        };
        let message = Message::Log(Log {
            level: LogLevel::Info,
            pid: 1,
            text: "new".into(),
        });
        app.apply(Duration::ZERO, Input::Frame(GuestFrame { header, message }));
        assert_eq!(app.log_view().bottom_line(app.state().log()), Some(6));
        // Scrolling down to the newest line follows again.
        app.perform(Action::ScrollDown(2));
        assert_eq!(app.log_view().bottom_line(app.state().log()), Some(8));
        app.perform(Action::ScrollDown(PAGE_LINES));
        assert!(app.log_view().is_following());
        assert_eq!(app.log_view().bottom_line(app.state().log()), Some(10));
    }

    #[test]
    fn scrolling_stops_at_the_oldest_line_held() {
        let mut app = app_with_lines(30, 10);
        app.perform(Action::ScrollUp(100));
        assert_eq!(app.log_view().bottom_line(app.state().log()), Some(20));
        app.perform(Action::Follow);
        assert_eq!(app.log_view().bottom_line(app.state().log()), Some(29));
    }

    #[test]
    fn scrolling_an_empty_log_does_nothing() {
        let mut app = app_with_lines(0, 10);
        app.perform(Action::ScrollUp(1));
        app.perform(Action::ScrollDown(1));
        assert!(app.log_view().is_following());
        assert_eq!(app.log_view().bottom_line(app.state().log()), None);
    }
}
