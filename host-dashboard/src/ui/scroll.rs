//! Keeping the selected row of a table on screen: the first row to show,
//! kept from one frame to the next and moved only when the selection
//! leaves the view.

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
