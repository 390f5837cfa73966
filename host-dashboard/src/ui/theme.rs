//! Every colour and text style the dashboard uses, in one place.

use ratatui::style::{Color, Modifier, Style};

/// The dashboard's styles.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    /// The title bar's background and default text.
    pub title_bar: Style,
    /// Labels in the title bar.
    pub title_label: Style,
    /// Values in the title bar.
    pub title_value: Style,
    /// A value in the title bar that signals trouble.
    pub title_alert: Style,
    /// Panel borders.
    pub border: Style,
    /// The border of the pane navigation keys act on.
    pub border_focused: Style,
    /// Panel titles.
    pub panel_title: Style,
    /// Field labels inside panels.
    pub label: Style,
    /// Field values inside panels.
    pub value: Style,
    /// A counter that should be zero but is not.
    pub value_bad: Style,
    /// Something healthy (a live link, a clean exit).
    pub good: Style,
    /// Something to watch (a stale link, waiting).
    pub warning: Style,
    /// Something broken.
    pub bad: Style,
    /// Less important text.
    pub muted: Style,
    /// The guest-time column of the log.
    pub log_time: Style,
    /// The pid column of the log.
    pub log_pid: Style,
    /// Error log lines.
    pub level_error: Style,
    /// Warning log lines.
    pub level_warn: Style,
    /// Info log lines.
    pub level_info: Style,
    /// Debug log lines.
    pub level_debug: Style,
    /// Border and title of a failure alert.
    pub alert_failure: Style,
    /// Border and title of an informational alert.
    pub alert_notice: Style,
    /// The status line.
    pub status_bar: Style,
    /// A key name in the key hints.
    pub key: Style,
    /// Column headers of tables.
    pub table_header: Style,
    /// The selected row of a focused table.
    pub selected: Style,
    /// The selected row of a table without focus.
    pub selected_unfocused: Style,
    /// The name of a privileged process (a system service).
    pub privileged: Style,
    /// A process on the CPU.
    pub state_running: Style,
    /// A process stopped by a signal.
    pub state_stopped: Style,
    /// A process exiting or waiting to be reaped.
    pub state_ending: Style,
    /// The tab of the view on screen, in the title bar.
    pub tab_active: Style,
    /// The other tabs.
    pub tab_inactive: Style,
    /// Latency sparklines.
    pub sparkline: Style,
    /// A stuck event's row, and the banner that names it.
    pub stuck: Style,
    /// A stuck event's row while selected.
    pub stuck_selected: Style,
}

/// The theme in use.
pub const THEME: Theme = Theme {
    title_bar: Style::new().fg(Color::White).bg(Color::Blue),
    title_label: Style::new().fg(Color::Gray).bg(Color::Blue),
    title_value: Style::new()
        .fg(Color::White)
        .bg(Color::Blue)
        .add_modifier(Modifier::BOLD),
    title_alert: Style::new()
        .fg(Color::Yellow)
        .bg(Color::Blue)
        .add_modifier(Modifier::BOLD),
    border: Style::new().fg(Color::DarkGray),
    border_focused: Style::new().fg(Color::Cyan),
    panel_title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    label: Style::new().fg(Color::Gray),
    value: Style::new().fg(Color::White),
    value_bad: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    good: Style::new().fg(Color::Green),
    warning: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
    bad: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    muted: Style::new().fg(Color::DarkGray),
    log_time: Style::new().fg(Color::DarkGray),
    log_pid: Style::new().fg(Color::Cyan),
    level_error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    level_warn: Style::new().fg(Color::Yellow),
    level_info: Style::new().fg(Color::White),
    level_debug: Style::new().fg(Color::DarkGray),
    alert_failure: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    alert_notice: Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
    status_bar: Style::new().fg(Color::Gray),
    key: Style::new().fg(Color::Black).bg(Color::Gray),
    table_header: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    selected: Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD),
    selected_unfocused: Style::new().bg(Color::DarkGray),
    privileged: Style::new().fg(Color::Magenta),
    state_running: Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
    state_stopped: Style::new().fg(Color::Yellow),
    state_ending: Style::new().fg(Color::DarkGray),
    tab_active: Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD),
    tab_inactive: Style::new().fg(Color::Gray).bg(Color::Blue),
    sparkline: Style::new().fg(Color::Cyan),
    stuck: Style::new()
        .fg(Color::White)
        .bg(Color::Red)
        .add_modifier(Modifier::BOLD),
    stuck_selected: Style::new()
        .fg(Color::Black)
        .bg(Color::LightRed)
        .add_modifier(Modifier::BOLD),
};
