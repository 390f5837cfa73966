//! The screen: one small widget per panel, laid out by `impl Widget for &App`.
//!
//! ```text
//! ┌ title bar: image, protocol, boot id, uptime, QEMU ───────────────┐
//! │ alert banner (only when the guest failed or powered off)         │
//! │ main area: log                            │ side: link, guest    │
//! └ status line: keys, what needs attention ─────────────────────────┘
//! ```
//!
//! The main area is where later panels (the process table) go; the side
//! column holds the small fixed panels. All styles come from [`theme`].

mod alert;
pub mod format;
mod guest_panel;
mod link_panel;
mod log_pane;
mod status_bar;
pub mod theme;
mod title_bar;

pub use alert::{Alert, Severity};
pub use guest_panel::GuestPanel;
pub use link_panel::LinkPanel;
pub use log_pane::LogPane;
pub use status_bar::StatusBar;
pub use title_bar::TitleBar;

use crate::app::App;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};
use theme::THEME;

/// Width of the side column.
pub const SIDE_WIDTH: u16 = 32;

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let state = self.state();
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
        let [link, guest] =
            Layout::vertical([Constraint::Length(LinkPanel::HEIGHT), Constraint::Min(0)])
                .areas(side);

        TitleBar::new(state).render(title, buf);
        if let Some(alert) = &alert {
            alert.render(alert_area, buf);
        }
        LogPane::new(state.log(), self.log_view()).render(main, buf);
        LinkPanel::new(state).render(link, buf);
        GuestPanel::new(state).render(guest, buf);
        StatusBar::new(state).render(status, buf);
    }
}

/// A bordered panel with `title`.
fn panel(title: &str) -> Block<'static> {
    Block::bordered()
        .border_style(THEME.border)
        .title(Line::styled(format!(" {title} "), THEME.panel_title))
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
