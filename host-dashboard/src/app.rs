//! The dashboard application: the state model, the state of each pane, and
//! the routing of what the user asks for.
//!
//! [`App`] is what the UI renders. Keys become [`Action`]s through
//! [`action_for_key`], and [`App::perform`] routes each one, with one
//! exhaustive `match`, to the focused pane or to the app itself, so the
//! whole interaction is testable without a terminal. The screen shows one
//! [`View`] at a time (a tab); each view has panes, and each pane keeps its
//! own state and behaviour (as ratatui's demo2 gives each tab its own):
//! [`ProcessPane`] (selection, scroll, sort, filter, tree, details),
//! [`EventPane`], [`SubscriberPane`], [`LogView`]; besides them
//! [`Appearance`] (colours, palette, custom keys) and [`ReplayStatus`].
//! This file holds only the routing.

mod action;
mod appearance;
mod event_pane;
mod keys;
mod log_view;
mod modal;
mod process_pane;
mod replay_status;
mod request;
mod selection;
mod subscriber_pane;
mod table;
mod view;

pub use action::{Action, Nav};
pub use appearance::Appearance;
pub use event_pane::EventPane;
pub use keys::{ACTION_NAMES, BINDINGS, Binding, PAGE_LINES, action_for_key, key_named};
pub use log_view::LogView;
pub use modal::{Overlay, PromptKind, SIGNAL_MENU};
pub use process_pane::ProcessPane;
pub use replay_status::ReplayStatus;
pub use request::{Outbox, Request};
pub use selection::{EventSelection, ProcessSelection, Selection};
pub use subscriber_pane::SubscriberPane;
pub use table::{Filter, FilterError, Sort, SortColumn, tree_order};
pub use view::{Pane, View};

use crate::replay::ReplayControl;
use crate::state::{Input, State};
use std::time::Duration;

/// The dashboard: the model, what is on screen, and each pane's state.
#[derive(Clone, Debug)]
pub struct App {
    state: State,
    /// The state shown while the view is paused (the model keeps going).
    frozen: Option<Box<State>>,
    view: View,
    focus: Pane,
    /// What is drawn over the view, taking the keys.
    overlay: Overlay,
    processes: ProcessPane,
    events: EventPane,
    subscribers: SubscriberPane,
    log_view: LogView,
    appearance: Appearance,
    replay: ReplayStatus,
    /// Requests for the source and the commands sent, in words.
    outbox: Outbox,
    quit: bool,
}

impl App {
    /// An app showing `state`: the process view, its table focused and
    /// first row selected, the event list following the newest event, the
    /// log following.
    pub fn new(state: State) -> Self {
        Self {
            state,
            frozen: None,
            view: View::default(),
            focus: Pane::default(),
            overlay: Overlay::None,
            processes: ProcessPane::default(),
            events: EventPane::default(),
            subscribers: SubscriberPane::default(),
            log_view: LogView::default(),
            appearance: Appearance::default(),
            replay: ReplayStatus::default(),
            outbox: Outbox::default(),
            quit: false,
        }
    }

    /// The model as shown: the frozen copy while paused, else the live
    /// model.
    pub fn state(&self) -> &State {
        self.frozen.as_deref().unwrap_or(&self.state)
    }

    /// The live model, whether or not the view is paused.
    pub fn live_state(&self) -> &State {
        &self.state
    }

    /// Feeds the model (see [`State::apply`]).
    pub fn apply(&mut self, now: Duration, input: Input) {
        self.state.apply(now, input);
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

    /// The view on screen.
    pub fn view(&self) -> View {
        self.view
    }

    /// The focused pane.
    pub fn focus(&self) -> Pane {
        self.focus
    }

    /// What is drawn over the view.
    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }

    /// The process table's pane.
    pub fn processes(&self) -> &ProcessPane {
        &self.processes
    }

    /// The event list's pane.
    pub fn events(&self) -> &EventPane {
        &self.events
    }

    /// The charts view's subscriber pane.
    pub fn subscribers(&self) -> &SubscriberPane {
        &self.subscribers
    }

    /// The log pane.
    pub fn log_view(&self) -> LogView {
        self.log_view
    }

    /// How the dashboard draws.
    pub fn appearance(&self) -> &Appearance {
        &self.appearance
    }

    /// How the dashboard draws, to set from the command line and config.
    pub fn appearance_mut(&mut self) -> &mut Appearance {
        &mut self.appearance
    }

    /// Whether the source is a replay, and its status line.
    pub fn replay(&self) -> &ReplayStatus {
        &self.replay
    }

    /// The replay status, for the main loop of a replay to set.
    pub fn replay_mut(&mut self) -> &mut ReplayStatus {
        &mut self.replay
    }

    /// The requests for the source and the commands sent.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The outbox, for the main loop to take requests from and report
    /// what became of them.
    pub fn outbox_mut(&mut self) -> &mut Outbox {
        &mut self.outbox
    }

    /// Whether the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Carries out a user action: the one place an action is routed, to
    /// the focused pane (navigation), the process pane (its keys work in
    /// every view), the replay, or the app itself (views, focus, overlays,
    /// pause).
    pub fn perform(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::Up(rows) => self.navigate(Nav::Up(rows)),
            Action::Down(rows) => self.navigate(Nav::Down(rows)),
            Action::First => self.navigate(Nav::First),
            Action::Last => self.navigate(Nav::Last),
            Action::FocusNext => {
                let panes = self.view.panes();
                let index = panes.iter().position(|&pane| pane == self.focus);
                self.focus = panes[index.map_or(0, |index| (index + 1) % panes.len())];
            }
            Action::ShowView(view) => self.show(view),
            Action::NextView => self.show(self.view.next()),
            Action::PrevView => self.show(self.view.previous()),
            Action::SortNext => self.processes.cycle_sort(false),
            Action::SortPrev => self.processes.cycle_sort(true),
            Action::SortInvert => self.processes.invert_sort(),
            Action::ToggleTree => self.processes.toggle_tree(),
            Action::OpenFilter => self.overlay = Overlay::Filter(self.processes.open_filter()),
            Action::Open => {
                let shown = self.frozen.as_deref().unwrap_or(&self.state);
                if self.processes.open(shown) {
                    self.show(View::Processes);
                }
            }
            Action::Back => self.processes.back(),
            Action::Help => self.overlay = Overlay::Help,
            Action::SignalMenu => {
                if let Some(process) = self.processes.selected(self.state()) {
                    self.overlay = Overlay::Signal {
                        pid: process.pid,
                        name: process.name.clone(),
                        row: 0,
                    };
                }
            }
            Action::SpawnPrompt => self.overlay = Overlay::prompt(PromptKind::Spawn),
            Action::RatePrompt => self.overlay = Overlay::prompt(PromptKind::SnapshotRate),
            Action::TogglePause if self.replay.active => {
                self.control_replay(ReplayControl::TogglePause);
            }
            Action::TogglePause => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(Box::new(self.state.clone())),
                };
            }
            Action::Faster => self.control_replay(ReplayControl::Faster),
            Action::Slower => self.control_replay(ReplayControl::Slower),
            Action::SeekBack => self.control_replay(ReplayControl::SeekBy {
                by: SEEK_STEP,
                back: true,
            }),
            Action::SeekForward => self.control_replay(ReplayControl::SeekBy {
                by: SEEK_STEP,
                back: false,
            }),
            Action::StepFrame => self.control_replay(ReplayControl::StepFrame),
        }
    }

    /// Hands a navigation key to the focused pane.
    fn navigate(&mut self, nav: Nav) {
        let shown = self.frozen.as_deref().unwrap_or(&self.state);
        match self.focus {
            Pane::Processes => self.processes.navigate(nav, shown),
            Pane::Events => self.events.navigate(nav, shown),
            Pane::Subscribers => self.subscribers.navigate(nav, shown),
            Pane::Log => self.log_view.navigate(nav, shown.log()),
        }
    }

    fn show(&mut self, view: View) {
        self.view = view;
        if !view.panes().contains(&self.focus) {
            self.focus = view.panes()[0];
        }
    }

    /// Queues `control` for the source when it is a replay.
    fn control_replay(&mut self, control: ReplayControl) {
        if let Some(request) = self.replay.request(control) {
            self.outbox.request(request);
        }
    }
}

/// Seek step of `[` and `]`.
pub const SEEK_STEP: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests;
