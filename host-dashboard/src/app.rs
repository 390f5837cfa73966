//! The dashboard application: the state model plus what the user looks at.
//!
//! [`App`] is what the UI renders. Keys become [`Action`]s through
//! [`action_for_key`], and [`App::perform`] applies them, so the whole
//! interaction is testable without a terminal. The screen shows one
//! [`View`] at a time (a tab: processes, or process events); each view has
//! panes, and navigation actions act on the focused [`Pane`]: they move the
//! process or event selection, or scroll the log.

mod keys;
mod log_view;
mod request;
mod selection;

pub use keys::{PAGE_LINES, action_for_key};
pub use log_view::LogView;
pub use request::{ReplayControl, Request};
pub use selection::{EventSelection, ProcessSelection, Selection};

use crate::state::{EventRecord, Input, Process, State};
use std::cell::Cell;
use std::time::Duration;

/// The dashboard: model and view state.
#[derive(Clone, Debug)]
pub struct App {
    state: State,
    view: View,
    focus: Pane,
    selection: ProcessSelection,
    event_selection: EventSelection,
    log_view: LogView,
    /// The first process-table row on screen. Only rendering knows how many
    /// rows fit, so rendering keeps it (as ratatui's `TableState` would),
    /// scrolling only when the selection leaves the view.
    process_scroll: Cell<usize>,
    /// The first event-list row on screen, kept the same way.
    event_scroll: Cell<usize>,
    /// Requests for the source, oldest first, until the main loop takes
    /// them.
    requests: Vec<Request>,
    quit: bool,
}

/// What the screen shows: one tab of the dashboard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// Processes, the selected one's regions, the log.
    #[default]
    Processes,
    /// Process events: subscribers, the event flow, the log.
    Events,
}

impl View {
    /// Every view, in tab order.
    pub const ALL: [View; 2] = [View::Processes, View::Events];

    /// Its tab title.
    pub fn title(self) -> &'static str {
        match self {
            View::Processes => "Processes",
            View::Events => "Events",
        }
    }

    /// The key that shows it.
    pub fn key(self) -> char {
        match self {
            View::Processes => '1',
            View::Events => '2',
        }
    }

    /// Its panes navigation keys can act on, in Tab order.
    pub fn panes(self) -> &'static [Pane] {
        match self {
            View::Processes => &[Pane::Processes, Pane::Log],
            View::Events => &[Pane::Events, Pane::Log],
        }
    }

    /// The next view in tab order.
    pub fn next(self) -> Self {
        let index = View::ALL.iter().position(|&view| view == self).unwrap_or(0);
        View::ALL[(index + 1) % View::ALL.len()]
    }
}

/// A pane that navigation keys can act on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pane {
    /// The process table: keys move the selection.
    #[default]
    Processes,
    /// The event list: keys move the selection.
    Events,
    /// The log: keys scroll it.
    Log,
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
    /// Move the focus to the next pane of the view.
    FocusNext,
    /// Show a view.
    ShowView(View),
    /// Show the next view.
    NextView,
}

impl App {
    /// An app showing `state`: the process view, its table focused and
    /// first row selected, the event list following the newest event, the
    /// log following.
    pub fn new(state: State) -> Self {
        Self {
            state,
            view: View::default(),
            focus: Pane::default(),
            selection: ProcessSelection::default(),
            event_selection: EventSelection::default(),
            log_view: LogView::default(),
            process_scroll: Cell::new(0),
            event_scroll: Cell::new(0),
            requests: Vec::new(),
            quit: false,
        }
    }

    /// The view on screen.
    pub fn view(&self) -> View {
        self.view
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
        let pid = self.selection.key(&self.row_pids())?;
        self.state.system().process(pid)
    }

    fn row_pids(&self) -> Vec<u32> {
        self.process_rows()
            .iter()
            .map(|process| process.pid)
            .collect()
    }

    /// The event list's scroll offset, kept by rendering.
    pub fn event_scroll(&self) -> &Cell<usize> {
        &self.event_scroll
    }

    /// The event list's rows, in display order: the events stuck now
    /// (longest first), then every other event held, newest first.
    pub fn event_rows(&self) -> Vec<&EventRecord> {
        let system = self.state.system();
        let flow = system.event_flow();
        let stuck: Vec<u64> = system
            .stuck()
            .current()
            .iter()
            .filter_map(|event| event.event_id)
            .collect();
        let mut rows: Vec<&EventRecord> = Vec::with_capacity(flow.records().len());
        for event_id in &stuck {
            if let Some(record) = flow.get(*event_id)
                && !rows.iter().any(|row| row.event_id == *event_id)
            {
                rows.push(record);
            }
        }
        rows.extend(
            flow.records()
                .rev()
                .filter(|record| !stuck.contains(&record.event_id)),
        );
        rows
    }

    /// The selected row of [`App::event_rows`], if there is any row.
    pub fn selected_event_row(&self) -> Option<usize> {
        self.event_selection.row(&self.event_ids())
    }

    /// The selected event, if there is any.
    pub fn selected_event(&self) -> Option<&EventRecord> {
        let event_id = self.event_selection.key(&self.event_ids())?;
        self.state.system().event_flow().get(event_id)
    }

    /// Whether the event selection follows the top of the list.
    pub fn event_selection_follows(&self) -> bool {
        self.event_selection.is_following()
    }

    fn event_ids(&self) -> Vec<u64> {
        self.event_rows()
            .iter()
            .map(|record| record.event_id)
            .collect()
    }

    fn show(&mut self, view: View) {
        self.view = view;
        if !view.panes().contains(&self.focus) {
            self.focus = view.panes()[0];
        }
    }

    /// Feeds the model (see [`State::apply`]).
    pub fn apply(&mut self, now: Duration, input: Input) {
        self.state.apply(now, input);
    }

    /// Carries out a user action.
    pub fn perform(&mut self, action: Action) {
        let pids = self.row_pids();
        let event_ids = if self.focus == Pane::Events {
            self.event_ids()
        } else {
            Vec::new()
        };
        let log = self.state.log();
        match (action, self.focus) {
            (Action::Quit, _) => self.quit = true,
            (Action::FocusNext, _) => {
                let panes = self.view.panes();
                let index = panes.iter().position(|&pane| pane == self.focus);
                self.focus = panes[index.map_or(0, |index| (index + 1) % panes.len())];
            }
            (Action::ShowView(view), _) => self.show(view),
            (Action::NextView, _) => self.show(self.view.next()),
            (Action::Up(rows), Pane::Events) => {
                self.event_selection
                    .move_by(&event_ids, -saturating_i64(rows));
            }
            (Action::Down(rows), Pane::Events) => {
                self.event_selection
                    .move_by(&event_ids, saturating_i64(rows));
            }
            (Action::First, Pane::Events) => self.event_selection.follow(),
            (Action::Last, Pane::Events) => self.event_selection.last(&event_ids),
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

    /// Queues a request for the source.
    pub fn request(&mut self, request: Request) {
        self.requests.push(request);
    }

    /// The requests queued since the last call, oldest first.
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.requests)
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
