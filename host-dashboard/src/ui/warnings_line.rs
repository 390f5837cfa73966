//! The warnings line, on every view while anything needs attention: stuck
//! events, slow acks, fault storms, link trouble (see
//! [`crate::state::Warnings`]).

use super::theme::THEME;
use crate::state::Warnings;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// One line naming every kind of warning now.
#[derive(Clone, Debug)]
pub struct WarningsLine {
    kinds: Vec<String>,
}

impl WarningsLine {
    /// The line for `warnings`.
    pub fn new(warnings: &Warnings) -> Self {
        Self {
            kinds: warnings.kinds(),
        }
    }

    /// Rows it takes: one while there is a warning, else none.
    pub fn height(&self) -> u16 {
        u16::from(!self.kinds.is_empty())
    }
}

impl Widget for WarningsLine {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if self.kinds.is_empty() {
            return;
        }
        Line::from(vec![
            Span::styled(" ⚠ warnings ", THEME.stuck),
            Span::styled(format!(" {}", self.kinds.join(" · ")), THEME.warning),
        ])
        .render(area, buf);
    }
}
