//! The screen: one small widget per panel, laid out by `impl Widget for &App`.
//!
//! ```text
//! ┌ title bar: image, protocol, boot id, uptime, QEMU ───────────────┐
//! │ alert banner (only when the guest failed or powered off)         │
//! │ main area: process table                  │ side: link           │
//! │            regions of the selected process│       memory         │
//! │            log                            │       events, guest  │
//! └ status line: keys, what needs attention ─────────────────────────┘
//! ```
//!
//! The main area holds the panes navigation keys act on; the focused one
//! has a thick border. The side column holds the small fixed panels. All
//! styles come from [`theme`].

mod alert;
mod columns;
mod events_panel;
pub mod format;
mod guest_panel;
mod link_panel;
mod log_pane;
mod memory_panel;
mod process_table;
mod region_list;
mod status_bar;
pub mod theme;
mod title_bar;

pub use alert::{Alert, Severity};
pub use events_panel::EventsPanel;
pub use guest_panel::GuestPanel;
pub use link_panel::LinkPanel;
pub use log_pane::LogPane;
pub use memory_panel::MemoryPanel;
pub use process_table::ProcessTable;
pub use region_list::RegionList;
pub use status_bar::StatusBar;
pub use title_bar::TitleBar;

use crate::app::{App, Pane};
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

/// Rows of the log pane, borders included: a quarter of the body, within
/// these bounds.
const LOG_ROWS: (u16, u16) = (5, 12);

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let state = self.state();
        let system = state.system();
        let alert = Alert::for_state(state);
        let alert_height = alert.as_ref().map_or(0, Alert::height);
        let [title, alert_area, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(alert_height),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        let [main, side] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(SIDE_WIDTH)]).areas(body);

        let selected = self.selected_process();
        let region_rows = selected.map_or(0, |process| process.regions.len());
        let region_height = (u16::try_from(region_rows).unwrap_or(u16::MAX))
            .saturating_add(region_list::CHROME_ROWS)
            .clamp(region_list::CHROME_ROWS + 1, MAX_REGION_ROWS);
        let log_height = (main.height / 4).clamp(LOG_ROWS.0, LOG_ROWS.1);
        let [processes, regions, log] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(region_height),
            Constraint::Length(log_height),
        ])
        .areas(main);
        let memory_panel = MemoryPanel::new(system.memory());
        let [link, memory, events, guest] = Layout::vertical([
            Constraint::Length(LinkPanel::HEIGHT),
            Constraint::Length(memory_panel.height()),
            Constraint::Length(EventsPanel::HEIGHT),
            Constraint::Min(0),
        ])
        .areas(side);

        TitleBar::new(state).render(title, buf);
        if let Some(alert) = &alert {
            alert.render(alert_area, buf);
        }
        let focus = self.focus();
        ProcessTable::new(
            system,
            self.process_rows(),
            self.selected_row(),
            focus == Pane::Processes,
            self.process_scroll(),
        )
        .render(processes, buf);
        RegionList::new(selected).render(regions, buf);
        LogPane::new(state.log(), self.log_view(), focus == Pane::Log).render(log, buf);
        LinkPanel::new(state).render(link, buf);
        memory_panel.render(memory, buf);
        EventsPanel::new(system.events()).render(events, buf);
        GuestPanel::new(state).render(guest, buf);
        StatusBar::new(state, focus).render(status, buf);
    }
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
