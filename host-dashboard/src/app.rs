//! The dashboard application: the state model plus what the user looks at.
//!
//! [`App`] is what the UI renders. Keys become [`Action`]s through
//! [`action_for_key`], and [`App::perform`] applies them, so the whole
//! interaction is testable without a terminal. The screen shows one
//! [`View`] at a time (a tab: processes, or process events); each view has
//! panes, and navigation actions act on the focused [`Pane`]: they move the
//! process or event selection, or scroll the log.

use crate::config;
mod keys;
mod log_view;
mod modal;
mod request;
mod selection;
mod table;

pub use keys::{ACTION_NAMES, BINDINGS, Binding, PAGE_LINES, action_for_key, key_named};
pub use log_view::LogView;
pub use modal::{Overlay, PromptKind, SIGNAL_MENU};
pub use request::{ReplayControl, Request};
pub use selection::{EventSelection, ProcessSelection, Selection};
pub use table::{Filter, FilterError, Sort, SortColumn, tree_order};

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
    /// The subscriber (its endpoint) whose latency distribution the charts
    /// view draws; the first one while none was picked or it left.
    subscriber_selection: Option<u32>,
    log_view: LogView,
    /// The first process-table row on screen. Only rendering knows how many
    /// rows fit, so rendering keeps it (as ratatui's `TableState` would),
    /// scrolling only when the selection leaves the view.
    process_scroll: Cell<usize>,
    /// The first event-list row on screen, kept the same way.
    event_scroll: Cell<usize>,
    /// Where the process table was last drawn (for mouse clicks).
    process_area: Cell<ratatui::layout::Rect>,
    /// Requests for the source, oldest first, until the main loop takes
    /// them.
    requests: Vec<Request>,
    quit: bool,
    /// The process table's order.
    sort: Sort,
    /// The process table's filter in force.
    filter: Filter,
    /// Why the text in the filter line is not a filter, if it is not.
    filter_error: Option<FilterError>,
    /// The filter in force when the filter line opened.
    filter_opened: Filter,
    /// Whether the process table shows the tree by parent.
    tree: bool,
    /// What is drawn over the view, taking the keys.
    overlay: Overlay,
    /// The process whose details are on screen (Enter), if any.
    detail: Option<u32>,
    /// The state shown while the view is paused (the model keeps going).
    frozen: Option<Box<State>>,
    /// Whether the source is a replay (Space and the replay keys control
    /// it).
    replay: bool,
    /// The replay's position and speed, in words.
    replay_status: Option<String>,
    /// The commands sent to the guest, in words, oldest first.
    sent: Vec<String>,
    /// Colour and ASCII options.
    display: config::DisplayConfig,
    palette: config::Palette,
    /// Key bindings from the config file, before the built-in ones.
    custom_keys: Vec<config::CustomKey>,
}

/// What the screen shows: one tab of the dashboard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// Processes, the selected one's regions, the log.
    #[default]
    Processes,
    /// Process events: subscribers, the event flow, the log.
    Events,
    /// The log across the whole screen.
    Log,
    /// Link health, the guest and what needs attention.
    Link,
    /// System-wide history charts and the subscribers' latency
    /// distributions.
    Charts,
}

impl View {
    /// Every view, in tab order.
    pub const ALL: [View; 5] = [
        View::Processes,
        View::Events,
        View::Log,
        View::Link,
        View::Charts,
    ];

    /// Its tab title.
    pub fn title(self) -> &'static str {
        match self {
            View::Processes => "Processes",
            View::Events => "Events",
            View::Log => "Log",
            View::Link => "Link",
            View::Charts => "Charts",
        }
    }

    /// The key that shows it.
    pub fn key(self) -> char {
        match self {
            View::Processes => '1',
            View::Events => '2',
            View::Log => '3',
            View::Link => '4',
            View::Charts => '5',
        }
    }

    /// Its panes navigation keys can act on, in Tab order.
    pub fn panes(self) -> &'static [Pane] {
        match self {
            View::Processes => &[Pane::Processes, Pane::Log],
            View::Events => &[Pane::Events, Pane::Log],
            View::Log | View::Link => &[Pane::Log],
            View::Charts => &[Pane::Subscribers],
        }
    }

    /// The next view in tab order.
    pub fn next(self) -> Self {
        let index = View::ALL.iter().position(|&view| view == self).unwrap_or(0);
        View::ALL[(index + 1) % View::ALL.len()]
    }

    /// The previous view in tab order.
    pub fn previous(self) -> Self {
        let index = View::ALL.iter().position(|&view| view == self).unwrap_or(0);
        View::ALL[(index + View::ALL.len() - 1) % View::ALL.len()]
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
    /// The subscribers of the charts view: keys pick the one whose latency
    /// distribution is drawn.
    Subscribers,
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
    /// Show the previous view.
    PrevView,
    /// Sort the process table on the next column.
    SortNext,
    /// Sort the process table on the previous column.
    SortPrev,
    /// Invert the sort.
    SortInvert,
    /// Show the process table as a tree by parent, or flat again.
    ToggleTree,
    /// Open the filter line.
    OpenFilter,
    /// Open the selected process's details.
    Open,
    /// Close the details, else clear the filter.
    Back,
    /// Show the help overlay.
    Help,
    /// Pause the view (in a replay: the playback).
    TogglePause,
    /// Open the signal menu for the selected process.
    SignalMenu,
    /// Open the input line to start a program.
    SpawnPrompt,
    /// Open the input line to change the snapshot period.
    RatePrompt,
    /// Replay: faster.
    Faster,
    /// Replay: slower.
    Slower,
    /// Replay: 10 s back.
    SeekBack,
    /// Replay: 10 s forward.
    SeekForward,
    /// Replay: one frame.
    StepFrame,
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
            subscriber_selection: None,
            log_view: LogView::default(),
            process_scroll: Cell::new(0),
            event_scroll: Cell::new(0),
            process_area: Cell::new(ratatui::layout::Rect::default()),
            requests: Vec::new(),
            quit: false,
            sort: Sort::default(),
            filter: Filter::default(),
            filter_error: None,
            filter_opened: Filter::default(),
            tree: false,
            overlay: Overlay::None,
            detail: None,
            frozen: None,
            replay: false,
            replay_status: None,
            sent: Vec::new(),
            display: config::DisplayConfig::default(),
            palette: config::Palette::new(),
            custom_keys: Vec::new(),
        }
    }

    /// Tells the app whether its source is a replay: then Space pauses the
    /// playback and `+ - [ ] .` control it.
    pub fn set_replay(&mut self, replay: bool) {
        self.replay = replay;
    }

    /// Draws with or without colours, in ASCII only or not.
    pub fn set_display(&mut self, display: config::DisplayConfig) {
        self.display = display;
    }

    /// Draws the colours `palette` changes (the config file's `[theme]`) in
    /// their new colours.
    pub fn set_palette(&mut self, palette: config::Palette) {
        self.palette = palette;
    }

    /// The colour changes in use.
    pub fn palette(&self) -> &[(ratatui::style::Color, ratatui::style::Color)] {
        &self.palette
    }

    /// Adds key bindings (from the config file) that take precedence over
    /// the built-in keys.
    pub fn set_custom_keys(&mut self, keys: Vec<config::CustomKey>) {
        self.custom_keys = keys;
    }

    /// The key bindings from the config file.
    pub fn custom_keys(&self) -> &[config::CustomKey] {
        &self.custom_keys
    }

    /// The colour and ASCII options.
    pub fn display(&self) -> config::DisplayConfig {
        self.display
    }

    /// Whether the source is a replay.
    pub fn is_replay(&self) -> bool {
        self.replay
    }

    /// The replay's position and speed, in words, for the status line.
    pub fn set_replay_status(&mut self, status: String) {
        self.replay_status = Some(status);
    }

    /// The replay's status line, if the source is a replay.
    pub fn replay_status(&self) -> Option<&str> {
        self.replay_status.as_deref()
    }

    /// Starts again from `state` (a replay seeking back rebuilds the model
    /// from its first input); what the user looks at stays as it was.
    pub fn restart_with(&mut self, state: State) {
        self.state = state;
        self.frozen = None;
    }

    /// Whether the view is paused (showing a frozen copy of the model).
    pub fn is_paused(&self) -> bool {
        self.frozen.is_some()
    }

    /// The live model, whether or not the view is paused.
    pub fn live_state(&self) -> &State {
        &self.state
    }

    /// The commands sent to the guest, in words, oldest first.
    pub fn sent_commands(&self) -> &[String] {
        &self.sent
    }

    /// The source sent the latest command as frame `id` (its answer will
    /// carry that id).
    pub fn command_sent(&mut self, id: u32) {
        if let Some(last) = self.sent.last_mut() {
            *last = format!("#{id} {last}");
        }
    }

    /// The source could not send the latest command.
    pub fn command_not_sent(&mut self, reason: &str) {
        if let Some(last) = self.sent.last_mut() {
            *last = format!("{last}: NOT SENT ({reason})");
        }
    }

    /// The process table's order.
    pub fn sort(&self) -> Sort {
        self.sort
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Why the filter line's text is not a filter, if it is not.
    pub fn filter_error(&self) -> Option<&FilterError> {
        self.filter_error.as_ref()
    }

    /// Whether the table shows the tree by parent.
    pub fn is_tree(&self) -> bool {
        self.tree
    }

    /// What is drawn over the view.
    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }

    /// The process whose details are open, if it is still live.
    pub fn detail_process(&self) -> Option<&Process> {
        self.state().system().process(self.detail?)
    }

    /// The pid whose details are open (it may have gone).
    pub fn detail_pid(&self) -> Option<u32> {
        self.detail
    }

    /// The view on screen.
    pub fn view(&self) -> View {
        self.view
    }

    /// The model as shown: the frozen copy while paused, else the live
    /// model.
    pub fn state(&self) -> &State {
        self.frozen.as_deref().unwrap_or(&self.state)
    }

    /// The focused pane.
    pub fn focus(&self) -> Pane {
        self.focus
    }

    /// The subscriber whose latency distribution the charts view draws:
    /// the one picked, or the first while none is (or it left the table).
    pub fn selected_subscriber(&self) -> Option<u32> {
        let entries = self.state().system().subscribers().entries();
        self.subscriber_selection
            .filter(|endpoint| entries.iter().any(|entry| entry.endpoint == *endpoint))
            .or_else(|| entries.first().map(|entry| entry.endpoint))
    }

    /// Picks the subscriber `delta` rows from the selected one (clamped).
    fn move_subscriber(&mut self, delta: i64) {
        let endpoints: Vec<u32> = self
            .state()
            .system()
            .subscribers()
            .entries()
            .iter()
            .map(|entry| entry.endpoint)
            .collect();
        let Some(last) = endpoints.len().checked_sub(1) else {
            return;
        };
        let current = self
            .selected_subscriber()
            .and_then(|endpoint| endpoints.iter().position(|&e| e == endpoint))
            .unwrap_or(0);
        let next = i64::try_from(current)
            .unwrap_or(0)
            .saturating_add(delta)
            .clamp(0, i64::try_from(last).unwrap_or(0));
        self.subscriber_selection = endpoints.get(next as usize).copied();
    }

    /// The log view.
    pub fn log_view(&self) -> LogView {
        self.log_view
    }

    /// The process table's scroll offset, kept by rendering.
    pub fn process_scroll(&self) -> &Cell<usize> {
        &self.process_scroll
    }

    /// The process table's rows, in display order: those that pass the
    /// filter, sorted, as a tree by parent when the tree is on.
    pub fn process_rows(&self) -> Vec<&Process> {
        self.process_rows_with_depth()
            .into_iter()
            .map(|(process, _)| process)
            .collect()
    }

    /// [`App::process_rows`] with each row's depth in the tree (0 when
    /// flat).
    pub fn process_rows_with_depth(&self) -> Vec<(&Process, usize)> {
        let mut rows: Vec<&Process> = self
            .state()
            .system()
            .live()
            .filter(|process| self.filter.matches(process))
            .collect();
        self.sort.apply(&mut rows);
        if self.tree {
            tree_order(&rows)
        } else {
            rows.into_iter().map(|process| (process, 0)).collect()
        }
    }

    /// The selected row of [`App::process_rows`], if there is any row.
    pub fn selected_row(&self) -> Option<usize> {
        self.selection.row(&self.row_pids())
    }

    /// The selected process, if there is any.
    pub fn selected_process(&self) -> Option<&Process> {
        let pid = self.selection.key(&self.row_pids())?;
        self.state().system().process(pid)
    }

    fn row_pids(&self) -> Vec<u32> {
        self.process_rows()
            .iter()
            .map(|process| process.pid)
            .collect()
    }

    /// Where the process table was last drawn, kept by rendering (mouse
    /// clicks are mapped to rows with it).
    pub fn process_area(&self) -> &Cell<ratatui::layout::Rect> {
        &self.process_area
    }

    /// The event list's scroll offset, kept by rendering.
    pub fn event_scroll(&self) -> &Cell<usize> {
        &self.event_scroll
    }

    /// The event list's rows, in display order: the events stuck now
    /// (longest first), then every other event held, newest first.
    pub fn event_rows(&self) -> Vec<&EventRecord> {
        let system = self.state().system();
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
        self.state().system().event_flow().get(event_id)
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

    /// Carries out the actions that do not depend on the focused pane;
    /// false for the others.
    fn perform_other(&mut self, action: Action) -> bool {
        match action {
            Action::PrevView => self.show(self.view.previous()),
            Action::SortNext | Action::SortPrev => {
                self.sort.column = self.sort.column.cycled(action == Action::SortPrev);
            }
            Action::SortInvert => self.sort.descending = !self.sort.descending,
            Action::ToggleTree => self.tree = !self.tree,
            Action::OpenFilter => {
                self.filter_opened = self.filter.clone();
                self.overlay = Overlay::Filter(self.filter.text().to_string());
            }
            Action::Help => self.overlay = Overlay::Help,
            Action::Open => {
                if let Some(process) = self.selected_process() {
                    self.detail = Some(process.pid);
                    self.show(View::Processes);
                }
            }
            Action::Back => {
                if self.detail.take().is_none() {
                    self.filter = Filter::default();
                    self.filter_error = None;
                }
            }
            Action::SignalMenu => {
                if let Some(process) = self.selected_process() {
                    self.overlay = Overlay::Signal {
                        pid: process.pid,
                        name: process.name.clone(),
                        row: 0,
                    };
                }
            }
            Action::SpawnPrompt => self.open_prompt(PromptKind::Spawn),
            Action::RatePrompt => self.open_prompt(PromptKind::SnapshotRate),
            Action::TogglePause if self.replay => {
                self.request(Request::Replay(ReplayControl::TogglePause));
            }
            Action::TogglePause => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(Box::new(self.state.clone())),
                };
            }
            Action::Faster
            | Action::Slower
            | Action::SeekBack
            | Action::SeekForward
            | Action::StepFrame => {
                if let Some(control) = replay_control(action)
                    && self.replay
                {
                    self.request(Request::Replay(control));
                }
            }
            _ => return false,
        }
        true
    }

    /// Carries out a user action.
    pub fn perform(&mut self, action: Action) {
        let pids = self.row_pids();
        let event_ids = if self.focus == Pane::Events {
            self.event_ids()
        } else {
            Vec::new()
        };
        if self.perform_other(action) {
            return;
        }
        let log = self.frozen.as_deref().unwrap_or(&self.state).log();
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
            (Action::Up(rows), Pane::Subscribers) => self.move_subscriber(-saturating_i64(rows)),
            (Action::Down(rows), Pane::Subscribers) => self.move_subscriber(saturating_i64(rows)),
            (Action::First, Pane::Subscribers) => self.move_subscriber(i64::MIN),
            (Action::Last, Pane::Subscribers) => self.move_subscriber(i64::MAX),
            (Action::Up(lines), Pane::Log) => self.log_view.scroll_up(lines, log),
            (Action::Down(lines), Pane::Log) => self.log_view.scroll_down(lines, log),
            (Action::First, Pane::Log) => self.log_view.scroll_up(u64::MAX, log),
            (Action::Last, Pane::Log) => self.log_view.follow(),
            // Handled by perform_other.
            _ => {}
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

/// Seek step of `[` and `]`.
pub const SEEK_STEP: Duration = Duration::from_secs(10);

fn replay_control(action: Action) -> Option<ReplayControl> {
    Some(match action {
        Action::Faster => ReplayControl::Faster,
        Action::Slower => ReplayControl::Slower,
        Action::SeekBack => ReplayControl::SeekBy {
            by: SEEK_STEP,
            back: true,
        },
        Action::SeekForward => ReplayControl::SeekBy {
            by: SEEK_STEP,
            back: false,
        },
        Action::StepFrame => ReplayControl::StepFrame,
        _ => return None,
    })
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
