//! The screen: one small widget per panel, laid out by `impl Widget for &App`.
//!
//! ```text
//! ┌ title bar: image, protocol, boot id, uptime, QEMU · tabs ────────┐
//! │ alert banner (only when the guest failed or powered off)         │
//! │ stuck-event banner (only while an event is stuck)                │
//! │ the view on screen (a tab):                                      │
//! │   1 Processes: process table              │ side: link           │
//! │                regions of the selected one│       memory         │
//! │                log                        │       lifecycle      │
//! │                                           │       guest          │
//! │   2 Events:    subscribers (whole width)                         │
//! │                event flow (list)          │ side: as above       │
//! │                the selected event's timeline                     │
//! │                log                        │                      │
//! └ status line: keys, what needs attention ─────────────────────────┘
//! ```
//!
//! Each view lays out its own main area; the banners, the side column and
//! the status line are shared. The panes navigation keys act on have a
//! thick border when focused. All styles come from [`theme`].

mod alert;
mod charts;
mod columns;
mod detail;
pub mod display;
mod event_list;
mod event_timeline;
pub mod format;
mod guest_panel;
mod lifecycle_panel;
mod link_panel;
mod log_pane;
mod memory_panel;
mod overlay;
mod process_table;
mod region_list;
mod selectable_table;
mod status_bar;
mod stuck_banner;
mod subscribers_panel;
pub mod theme;
mod title_bar;
mod warnings_line;

pub use alert::{Alert, Severity};
pub use detail::DetailView;
pub use event_list::EventList;
pub use event_timeline::EventTimeline;
pub use guest_panel::GuestPanel;
pub use lifecycle_panel::LifecyclePanel;
pub use link_panel::LinkPanel;
pub use log_pane::LogPane;
pub use memory_panel::MemoryPanel;
pub use overlay::{FilterLine, HelpOverlay, PromptLine, SignalMenu};
pub use process_table::ProcessTable;
pub use region_list::RegionList;
pub use status_bar::StatusBar;
pub use stuck_banner::StuckBanner;
pub use subscribers_panel::SubscribersPanel;
pub use title_bar::TitleBar;
pub use warnings_line::WarningsLine;

use crate::app::{App, Overlay, Pane, View};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Widget};
use theme::THEME;

/// Width of the side column.
pub const SIDE_WIDTH: u16 = 32;

/// Most rows the region list takes, borders included.
const MAX_REGION_ROWS: u16 = 12;

/// Rows of the log pane, borders included: a quarter of the main area,
/// within these bounds.
const LOG_ROWS: (u16, u16) = (5, 12);

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let state = self.state();
        let alert = Alert::for_state(state);
        let alert_height = alert.as_ref().map_or(0, Alert::height);
        let stuck = StuckBanner::new(state.system().stuck().current(), state.stuck_after());
        let warnings = WarningsLine::new(&state.warnings());
        let [title, alert_area, stuck_area, warnings_area, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(alert_height),
            Constraint::Length(stuck.height()),
            Constraint::Length(warnings.height()),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        TitleBar::new(state, self.view())
            .replaying(self.replay().active)
            .render(title, buf);
        if let Some(alert) = &alert {
            alert.render(alert_area, buf);
        }
        stuck.render(stuck_area, buf);
        warnings.render(warnings_area, buf);
        match self.view() {
            View::Processes => processes_view(self, body, buf),
            View::Events => events_view(self, body, buf),
            View::Log => {
                let focused = self.focus() == Pane::Log;
                LogPane::new(state.log(), self.log_view(), focused).render(body, buf);
            }
            View::Link => link_view(self, body, buf),
            View::Charts => charts::ChartsView::new(state)
                .selected(self.subscribers().selected(state))
                .render(body, buf),
        }
        match self.overlay() {
            Overlay::Filter(text) => {
                FilterLine::new(text, self.processes().filter_error()).render(status, buf)
            }
            Overlay::Prompt { kind, text, error } => {
                PromptLine::new(*kind, text, error.as_deref()).render(status, buf);
            }
            _ => status_line(self, status, buf),
        }
        match self.overlay() {
            Overlay::Help => HelpOverlay::new(&self.appearance().custom_keys).render(body, buf),
            Overlay::Signal { pid, name, row } => SignalMenu::new(*pid, name, *row)
                .ended(self.signal_target_ended().as_deref())
                .render(body, buf),
            Overlay::Filter(_) | Overlay::Prompt { .. } | Overlay::None => {}
        }
        let options = self.appearance().display;
        if !&self.appearance().palette.is_empty() {
            display::recolor(buf, &self.appearance().palette);
        }
        if !options.color {
            display::strip_colors(buf);
        }
        if options.ascii {
            display::to_ascii(buf);
        }
    }
}

/// The status line, after `PAUSED` while the view is paused and the latest
/// command sent to the guest.
fn status_line(app: &App, area: Rect, buf: &mut Buffer) {
    let mut prefix: Vec<Span> = Vec::new();
    if app.is_paused() {
        prefix.push(Span::styled(" PAUSED · Space: live ", THEME.stuck));
        prefix.push(Span::raw(" "));
    }
    if let Some(status) = app.replay().status.as_deref() {
        prefix.push(Span::styled(format!(" {status} "), THEME.warning));
        prefix.push(Span::raw(" "));
    }
    if let Some(sent) = app.outbox().sent_commands().last() {
        prefix.push(Span::styled(format!(" sent {sent} "), THEME.warning));
        prefix.push(Span::raw(" "));
    }
    let used: usize = prefix.iter().map(|span| span.content.chars().count()).sum();
    let used = u16::try_from(used).unwrap_or(u16::MAX).min(area.width);
    Line::from(prefix).render(area, buf);
    let rest = Rect {
        x: area.x + used,
        width: area.width - used,
        ..area
    };
    StatusBar::new(app.state(), app.focus()).render(rest, buf);
}

/// Splits `area` into the main area and the side column, and draws the
/// side column.
fn with_side_column(app: &App, area: Rect, buf: &mut Buffer) -> Rect {
    let state = app.state();
    let system = state.system();
    let [main, side] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(SIDE_WIDTH)]).areas(area);
    let memory_panel = MemoryPanel::new(system.memory());
    let [link, memory, lifecycle, guest] = Layout::vertical([
        Constraint::Length(LinkPanel::HEIGHT),
        Constraint::Length(memory_panel.height()),
        Constraint::Length(LifecyclePanel::HEIGHT),
        Constraint::Min(0),
    ])
    .areas(side);
    LinkPanel::new(state).render(link, buf);
    memory_panel.render(memory, buf);
    LifecyclePanel::new(system.lifecycle()).render(lifecycle, buf);
    GuestPanel::new(state).render(guest, buf);
    main
}

fn log_height(main: Rect) -> u16 {
    (main.height / 4).clamp(LOG_ROWS.0, LOG_ROWS.1)
}

/// The process view: the process table, the selected process's regions,
/// the log.
fn processes_view(app: &App, body: Rect, buf: &mut Buffer) {
    let state = app.state();
    let main = with_side_column(app, body, buf);
    if let Some(pid) = app.processes().detail_pid() {
        DetailView::new(pid, state.system()).render(main, buf);
        return;
    }
    let selected = app.processes().selected(state);
    let region_rows = selected.map_or(0, |process| process.regions.len());
    let region_height = (u16::try_from(region_rows).unwrap_or(u16::MAX))
        .saturating_add(region_list::CHROME_ROWS)
        .clamp(region_list::CHROME_ROWS + 1, MAX_REGION_ROWS);
    let [processes, regions, log] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(region_height),
        Constraint::Length(log_height(main)),
    ])
    .areas(main);
    let focus = app.focus();
    app.processes().area().set(processes);
    let (rows, depths): (Vec<_>, Vec<_>) =
        app.processes().rows_with_depth(state).into_iter().unzip();
    ProcessTable::new(
        state.system(),
        rows,
        app.processes().selected_row(state),
        focus == Pane::Processes,
        app.processes().scroll(),
    )
    .with_sort(app.processes().sort())
    .with_depths(depths)
    .with_filter(app.processes().filter().text())
    .render(processes, buf);
    RegionList::new(selected).render(regions, buf);
    LogPane::new(state.log(), app.log_view(), focus == Pane::Log).render(log, buf);
}

/// The event view: the subscriber table across the whole width, then the
/// event list, the selected event's timeline and the log beside the side
/// column.
fn events_view(app: &App, body: Rect, buf: &mut Buffer) {
    let state = app.state();
    let system = state.system();
    let now_ns = state.guest().uptime_ns;
    let subscribers = SubscribersPanel::new(system, now_ns, state.stuck_after());
    let [subscribers_area, rest] =
        Layout::vertical([Constraint::Length(subscribers.height()), Constraint::Min(0)])
            .areas(body);
    subscribers.render(subscribers_area, buf);
    let main = with_side_column(app, rest, buf);
    let timeline = EventTimeline::new(app.events().selected(state), system.stuck(), now_ns);
    let [list, timeline_area, log] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(timeline.height()),
        Constraint::Length(log_height(main)),
    ])
    .areas(main);
    let focus = app.focus();
    EventList::new(
        app.events().rows(state),
        system,
        app.events().selected_row(state),
        focus == Pane::Events,
        now_ns,
        app.events().scroll(),
    )
    .render(list, buf);
    timeline.render(timeline_area, buf);
    LogPane::new(state.log(), app.log_view(), focus == Pane::Log).render(log, buf);
}

/// The link view: link health and the guest beside every warning now,
/// one per line.
fn link_view(app: &App, body: Rect, buf: &mut Buffer) {
    let state = app.state();
    let [left, right] =
        Layout::horizontal([Constraint::Length(SIDE_WIDTH), Constraint::Min(0)]).areas(body);
    let [link, guest] =
        Layout::vertical([Constraint::Length(LinkPanel::HEIGHT), Constraint::Min(0)]).areas(left);
    LinkPanel::new(state).render(link, buf);
    GuestPanel::new(state).render(guest, buf);
    let warnings = state.warnings();
    let thresholds = state.thresholds();
    let mut lines: Vec<Line> = vec![Line::styled(
        format!(
            " thresholds: slow ack > {} ms · fault storm > {:.0}/s · no heartbeat > {:.1} s",
            thresholds.slow_ack.as_millis(),
            thresholds.fault_storm_per_second,
            thresholds.heartbeat_stale.as_secs_f64()
        ),
        THEME.muted,
    )];
    let kinds = warnings.kinds();
    if kinds.is_empty() {
        lines.push(Line::styled(" nothing needs attention", THEME.good));
    }
    lines.extend(
        kinds
            .into_iter()
            .map(|kind| Line::styled(format!(" {kind}"), THEME.warning)),
    );
    let [warnings_area, commands_area] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Min(0)]).areas(right);
    ratatui::widgets::Paragraph::new(lines)
        .block(panel("Warnings"))
        .render(warnings_area, buf);
    commands_list(app, commands_area, buf);
}

/// The commands sent to the guest (newest first) and its answers by id.
fn commands_list(app: &App, area: Rect, buf: &mut Buffer) {
    let commands = app.state().commands();
    let mut lines: Vec<Line> = app
        .outbox()
        .sent_commands()
        .iter()
        .rev()
        .map(|sent| Line::styled(format!(" sent {sent}"), THEME.value))
        .collect();
    lines.extend(commands.results().iter().rev().map(|(id, report)| {
        let style = match report.outcome {
            protocol::command::CommandOutcome::Done(_) => THEME.good,
            protocol::command::CommandOutcome::Failed(_) => THEME.warning,
        };
        Line::styled(
            format!(
                " command {id}: {} at {}",
                crate::state::command_outcome_text(report.outcome),
                format::guest_seconds(report.time_us)
            ),
            style,
        )
    }));
    if commands.rejected > 0 {
        lines.push(Line::styled(
            format!(" {} command frame(s) rejected", commands.rejected),
            THEME.bad,
        ));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            " none yet: F9/K signal, F7/n start, s snapshot period",
            THEME.muted,
        ));
    }
    ratatui::widgets::Paragraph::new(lines)
        .block(panel("Commands"))
        .render(area, buf);
}

/// A bordered panel with `title`.
fn panel(title: &str) -> Block<'static> {
    Block::bordered()
        .border_style(THEME.border)
        .title(Line::styled(format!(" {title} "), THEME.panel_title))
}

/// A panel that navigation keys can act on: thick and highlighted while
/// they do.
fn focusable_panel(title: &str, focused: bool) -> Block<'static> {
    if focused {
        panel(title)
            .border_type(BorderType::Thick)
            .border_style(THEME.border_focused)
    } else {
        panel(title)
    }
}

/// A `label ... value` row, the value right-aligned to `width`.
fn field(label: &str, value: String, style: Style, width: u16) -> Line<'static> {
    let used = label.chars().count() + value.chars().count() + 2;
    let padding = usize::from(width).saturating_sub(used).max(1);
    Line::from(vec![
        Span::styled(format!(" {label}"), THEME.label),
        Span::raw(" ".repeat(padding)),
        Span::styled(value, style),
    ])
}
