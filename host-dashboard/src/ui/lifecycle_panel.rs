//! The lifecycle panel: how many lifecycle events of each kind the guest
//! reported this boot.

use super::theme::THEME;
use super::{field, panel};
use crate::state::LifecycleCounts;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

/// Lifecycle event counts.
#[derive(Clone, Copy, Debug)]
pub struct LifecyclePanel<'a> {
    events: &'a LifecycleCounts,
}

impl<'a> LifecyclePanel<'a> {
    /// Rows the panel needs, borders included.
    pub const HEIGHT: u16 = 9;

    /// The panel for `events`.
    pub fn new(events: &'a LifecycleCounts) -> Self {
        Self { events }
    }
}

/// A count that is worth noticing when it is not zero.
fn notable(count: u64) -> Style {
    if count == 0 {
        THEME.value
    } else {
        THEME.warning
    }
}

impl Widget for LifecyclePanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = panel("Lifecycle");
        let inner = block.inner(area);
        block.render(area, buf);
        let events = self.events;
        let outcomes = events.signal_outcomes;
        let signals = format!("{} ({} fatal)", events.signal, outcomes.terminate);
        let rows = [
            ("spawned", events.spawn.to_string(), THEME.value),
            ("exited", events.exit.to_string(), THEME.value),
            ("reaped", events.reaped.to_string(), THEME.value),
            ("signals sent", signals, THEME.value),
            (
                "handlers run",
                events.signal_handled.to_string(),
                THEME.value,
            ),
            (
                "user faults",
                events.user_fault.to_string(),
                notable(events.user_fault),
            ),
            (
                "bad pointers",
                events.bad_pointer.to_string(),
                notable(events.bad_pointer),
            ),
        ];
        let lines: Vec<Line> = rows
            .into_iter()
            .map(|(label, value, style)| field(label, value, style, inner.width))
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
}
