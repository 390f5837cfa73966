//! The scrolled, selectable table both the process table and the event
//! list draw: the selected row marked and highlighted, and kept on screen
//! by a scroll offset kept from one frame to the next, moved only when the
//! selection leaves the view.

use super::theme::THEME;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, HighlightSpacing, Paragraph, StatefulWidget, Table, TableState, Widget,
};
use std::cell::Cell;

/// The marker before the selected row.
const SELECTED_MARKER: &str = "▶";

/// Columns the marker takes before every row.
pub const MARKER_WIDTH: u16 = 1;

/// Rows of the table's frame: borders and the header.
const CHROME_ROWS: u16 = 3;

/// A table (its rows, header and block already built) with row `selected`
/// of its `rows` marked, scrolled to keep it on screen.
pub struct SelectableTable<'a> {
    table: Table<'a>,
    rows: usize,
    selected: Option<usize>,
    selected_style: Style,
    scroll: &'a Cell<usize>,
}

impl<'a> SelectableTable<'a> {
    /// `table` of `rows` rows, row `selected` marked in the selection
    /// style of a `focused` or unfocused pane; `scroll` holds the first row
    /// shown, from one frame to the next.
    pub fn new(
        table: Table<'a>,
        rows: usize,
        selected: Option<usize>,
        focused: bool,
        scroll: &'a Cell<usize>,
    ) -> Self {
        let selected_style = if focused {
            THEME.selected
        } else {
            THEME.selected_unfocused
        };
        Self {
            table,
            rows,
            selected,
            selected_style,
            scroll,
        }
    }

    /// The selected row in `style` instead.
    pub fn selected_style(mut self, style: Style) -> Self {
        self.selected_style = style;
        self
    }
}

impl Widget for SelectableTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let table = self
            .table
            .row_highlight_style(self.selected_style)
            .highlight_symbol(Line::from(vec![Span::raw(SELECTED_MARKER)]))
            .highlight_spacing(HighlightSpacing::Always);
        let visible = usize::from(area.height.saturating_sub(CHROME_ROWS));
        let offset = scroll_offset(self.scroll.get(), self.selected, self.rows, visible);
        self.scroll.set(offset);
        let mut state = TableState::default()
            .with_offset(offset)
            .with_selected(self.selected);
        StatefulWidget::render(table, area, buf, &mut state);
    }
}

/// What a table with no rows draws: `block` with `message` in it.
pub fn render_empty(block: Block<'_>, message: &str, area: Rect, buf: &mut Buffer) {
    Paragraph::new(Line::styled(message, THEME.muted))
        .block(block)
        .render(area, buf);
}

/// The first row to show: `previous` unless the selected row would be off
/// screen (then just far enough to show it), and never leaving empty rows
/// at the bottom while rows are hidden above.
pub fn scroll_offset(
    previous: usize,
    selected: Option<usize>,
    rows: usize,
    visible: usize,
) -> usize {
    let visible = visible.max(1);
    let mut offset = previous;
    if let Some(selected) = selected {
        if selected < offset {
            offset = selected;
        } else if selected >= offset + visible {
            offset = selected + 1 - visible;
        }
    }
    offset.min(rows.saturating_sub(visible))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_scrolls_only_when_the_selection_leaves_it() {
        // 40 rows, 10 visible.
        assert_eq!(scroll_offset(0, Some(5), 40, 10), 0);
        assert_eq!(scroll_offset(0, Some(12), 40, 10), 3);
        assert_eq!(scroll_offset(3, Some(8), 40, 10), 3);
        assert_eq!(scroll_offset(3, Some(1), 40, 10), 1);
        assert_eq!(scroll_offset(30, Some(39), 40, 10), 30);
    }

    #[test]
    fn the_view_fills_up_when_rows_go() {
        assert_eq!(scroll_offset(30, Some(5), 12, 10), 2);
        assert_eq!(scroll_offset(30, None, 4, 10), 0);
        assert_eq!(scroll_offset(7, None, 40, 0), 7);
    }
}
