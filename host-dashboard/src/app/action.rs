//! What the user can ask for: the actions keys map to, and the navigation
//! the focused pane interprets.

use super::View;

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

/// A navigation key, for the focused pane to interpret (a row, a log line,
/// a subscriber).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    /// `n` rows (or lines) up.
    Up(u64),
    /// `n` rows (or lines) down.
    Down(u64),
    /// The top (for the event list: follow the newest event; for the log:
    /// the oldest line held).
    First,
    /// The bottom (for the log: follow the newest line).
    Last,
}
