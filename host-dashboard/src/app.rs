//! The dashboard application: the state model plus what the user looks at.
//!
//! [`App`] is what the UI renders. Keys become [`Action`]s through
//! [`action_for_key`], and [`App::perform`] applies them, so the whole
//! interaction is testable without a terminal. Navigation actions act on
//! the focused [`Pane`]: they move the process selection or scroll the log.

mod keys;
mod log_view;
mod selection;

pub use keys::{PAGE_LINES, action_for_key};
pub use log_view::LogView;
pub use selection::ProcessSelection;

use crate::state::{Input, Process, State};
use std::cell::Cell;
use std::time::Duration;

/// The dashboard: model and view state.
#[derive(Clone, Debug)]
pub struct App {
    state: State,
    focus: Pane,
    selection: ProcessSelection,
    log_view: LogView,
    /// The first process-table row on screen. Only rendering knows how many
    /// rows fit, so rendering keeps it (as ratatui's `TableState` would),
    /// scrolling only when the selection leaves the view.
    process_scroll: Cell<usize>,
    quit: bool,
}

/// A pane that navigation keys can act on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pane {
    /// The process table: keys move the selection.
    #[default]
    Processes,
    /// The log: keys scroll it.
    Log,
}

impl Pane {
    /// The pane Tab moves the focus to.
    pub fn next(self) -> Self {
        match self {
            Pane::Processes => Pane::Log,
            Pane::Log => Pane::Processes,
        }
    }
}

/// What the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Leave the dashboard (stopping QEMU).
    Quit,
    /// Up in the focused pane: the process `n` rows up, or `n` log lines
    /// older.
    Up(u64),
    /// Down in the focused pane: the process `n` rows down, or `n` log
    /// lines newer.
    Down(u64),
    /// The first process, or the oldest log line held.
    First,
    /// The last process, or follow the newest log line.
    Last,
    /// Move the focus to the next pane.
    FocusNext,
}

impl App {
    /// An app showing `state`: the process table focused, its first row
    /// selected, the log following.
    pub fn new(state: State) -> Self {
        Self {
            state,
            focus: Pane::default(),
            selection: ProcessSelection::default(),
            log_view: LogView::default(),
            process_scroll: Cell::new(0),
            quit: false,
        }
    }

    /// The model.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The focused pane.
    pub fn focus(&self) -> Pane {
        self.focus
    }

    /// The log view.
    pub fn log_view(&self) -> LogView {
        self.log_view
    }

    /// The process table's scroll offset, kept by rendering.
    pub fn process_scroll(&self) -> &Cell<usize> {
        &self.process_scroll
    }

    /// The process table's rows, in display order (by pid).
    pub fn process_rows(&self) -> Vec<&Process> {
        self.state.system().live().collect()
    }

    /// The selected row of [`App::process_rows`], if there is any row.
    pub fn selected_row(&self) -> Option<usize> {
        self.selection.row(&self.row_pids())
    }

    /// The selected process, if there is any.
    pub fn selected_process(&self) -> Option<&Process> {
        let pid = self.selection.pid(&self.row_pids())?;
        self.state.system().process(pid)
    }

    fn row_pids(&self) -> Vec<u32> {
        self.process_rows()
            .iter()
            .map(|process| process.pid)
            .collect()
    }

    /// Feeds the model (see [`State::apply`]).
    pub fn apply(&mut self, now: Duration, input: Input) {
        self.state.apply(now, input);
    }

    /// Carries out a user action.
    pub fn perform(&mut self, action: Action) {
        let pids = self.row_pids();
        let log = self.state.log();
        match (action, self.focus) {
            (Action::Quit, _) => self.quit = true,
            (Action::FocusNext, _) => self.focus = self.focus.next(),
            (Action::Up(rows), Pane::Processes) => {
                self.selection.move_by(&pids, -saturating_i64(rows));
            }
            (Action::Down(rows), Pane::Processes) => {
                self.selection.move_by(&pids, saturating_i64(rows));
            }
            (Action::First, Pane::Processes) => self.selection.first(&pids),
            (Action::Last, Pane::Processes) => self.selection.last(&pids),
            (Action::Up(lines), Pane::Log) => self.log_view.scroll_up(lines, log),
            (Action::Down(lines), Pane::Log) => self.log_view.scroll_down(lines, log),
            (Action::First, Pane::Log) => self.log_view.scroll_up(u64::MAX, log),
            (Action::Last, Pane::Log) => self.log_view.follow(),
        }
    }

    /// Whether the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
