//! The process table's pane: which process is selected, where the table
//! scrolled to and was drawn, its order, filter and tree, and whose details
//! are open. It reads the rows from the model it is given, so a paused view
//! and the live one are served alike.

use super::{Filter, FilterError, Nav, ProcessSelection, Sort, tree_order};
use crate::state::{Process, State};
use ratatui::layout::Rect;
use std::cell::Cell;

/// Rows of the process table above its first row: the top border and the
/// header.
const TABLE_HEADER_ROWS: u16 = 2;

/// The process table's state.
#[derive(Clone, Debug, Default)]
pub struct ProcessPane {
    selection: ProcessSelection,
    /// The first row on screen. Only rendering knows how many rows fit, so
    /// rendering keeps it (as ratatui's `TableState` would), scrolling only
    /// when the selection leaves the view.
    scroll: Cell<usize>,
    /// Where the table was last drawn (for mouse clicks).
    area: Cell<Rect>,
    sort: Sort,
    /// The filter in force.
    filter: Filter,
    /// Why the text in the filter line is not a filter, if it is not.
    filter_error: Option<FilterError>,
    /// The filter in force when the filter line opened.
    filter_opened: Filter,
    /// Whether the table shows the tree by parent.
    tree: bool,
    /// The process whose details are on screen (Enter), if any.
    detail: Option<u32>,
}

impl ProcessPane {
    /// The table's order.
    pub fn sort(&self) -> Sort {
        self.sort
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Why the filter line's text is not a filter, if it is not.
    pub fn filter_error(&self) -> Option<&FilterError> {
        self.filter_error.as_ref()
    }

    /// Whether the table shows the tree by parent.
    pub fn is_tree(&self) -> bool {
        self.tree
    }

    /// The pid whose details are open (it may have gone).
    pub fn detail_pid(&self) -> Option<u32> {
        self.detail
    }

    /// The process whose details are open, if it is still live in `state`.
    pub fn detail_process<'a>(&self, state: &'a State) -> Option<&'a Process> {
        state.system().process(self.detail?)
    }

    /// The scroll offset, kept by rendering.
    pub fn scroll(&self) -> &Cell<usize> {
        &self.scroll
    }

    /// Where the table was last drawn, kept by rendering (mouse clicks are
    /// mapped to rows with it).
    pub fn area(&self) -> &Cell<Rect> {
        &self.area
    }

    /// The table's rows, in display order: those that pass the filter,
    /// sorted, as a tree by parent when the tree is on.
    pub fn rows<'a>(&self, state: &'a State) -> Vec<&'a Process> {
        self.rows_with_depth(state)
            .into_iter()
            .map(|(process, _)| process)
            .collect()
    }

    /// [`ProcessPane::rows`] with each row's depth in the tree (0 when
    /// flat).
    pub fn rows_with_depth<'a>(&self, state: &'a State) -> Vec<(&'a Process, usize)> {
        let mut rows: Vec<&Process> = state
            .system()
            .live()
            .filter(|process| self.filter.matches(process))
            .collect();
        self.sort.apply(&mut rows);
        if self.tree {
            tree_order(&rows)
        } else {
            rows.into_iter().map(|process| (process, 0)).collect()
        }
    }

    /// The selected row of [`ProcessPane::rows`], if there is any row.
    pub fn selected_row(&self, state: &State) -> Option<usize> {
        self.selection.row(&self.pids(state))
    }

    /// The selected process, if there is any.
    pub fn selected<'a>(&self, state: &'a State) -> Option<&'a Process> {
        let pid = self.selection.key(&self.pids(state))?;
        state.system().process(pid)
    }

    fn pids(&self, state: &State) -> Vec<u32> {
        self.rows(state).iter().map(|process| process.pid).collect()
    }

    /// Moves the selection.
    pub(crate) fn navigate(&mut self, nav: Nav, state: &State) {
        let pids = self.pids(state);
        match nav {
            Nav::Up(rows) => self.selection.move_by(&pids, -saturating_i64(rows)),
            Nav::Down(rows) => self.selection.move_by(&pids, saturating_i64(rows)),
            Nav::First => self.selection.first(&pids),
            Nav::Last => self.selection.last(&pids),
        }
    }

    /// Sorts on the next column (the previous one when `back`).
    pub(crate) fn cycle_sort(&mut self, back: bool) {
        self.sort.column = self.sort.column.cycled(back);
    }

    /// Inverts the order.
    pub(crate) fn invert_sort(&mut self) {
        self.sort.descending = !self.sort.descending;
    }

    /// Shows the tree by parent, or flat again.
    pub(crate) fn toggle_tree(&mut self) {
        self.tree = !self.tree;
    }

    /// The filter line opens: remembers the filter in force and returns its
    /// text, which the line starts with.
    pub(crate) fn open_filter(&mut self) -> String {
        self.filter_opened = self.filter.clone();
        self.filter.text().to_string()
    }

    /// The filter line now reads `text`. The table follows what is typed,
    /// whenever it reads as a filter; otherwise the line says why and the
    /// table shows what it showed when the line opened (a half-typed word
    /// never hides everything).
    pub(crate) fn filter_typed(&mut self, text: &str) {
        match Filter::parse(text) {
            Ok(filter) => {
                self.filter = filter;
                self.filter_error = None;
            }
            Err(error) => {
                self.filter = self.filter_opened.clone();
                self.filter_error = Some(error);
            }
        }
    }

    /// Shows every process again.
    pub(crate) fn clear_filter(&mut self) {
        self.filter = Filter::default();
        self.filter_error = None;
    }

    /// Opens the selected process's details; false when no process is
    /// selected.
    pub(crate) fn open(&mut self, state: &State) -> bool {
        let Some(process) = self.selected(state) else {
            return false;
        };
        self.detail = Some(process.pid);
        true
    }

    /// Closes the details, else clears the filter.
    pub(crate) fn back(&mut self) {
        if self.detail.take().is_none() {
            self.clear_filter();
        }
    }

    /// A left click at (`column`, `row`) of the screen: selects the table
    /// row under it, if the table (not the details) was drawn there.
    /// Whether it did.
    pub(crate) fn click(&mut self, column: u16, row: u16, state: &State) -> bool {
        let area = self.area.get();
        let inside = column > area.x && column + 1 < area.right() && row + 1 < area.bottom();
        let Some(row) = row.checked_sub(area.y + TABLE_HEADER_ROWS) else {
            return false;
        };
        let row = usize::from(row) + self.scroll.get();
        let pids = self.pids(state);
        if !(inside && self.detail.is_none() && row < pids.len()) {
            return false;
        }
        self.selection.first(&pids);
        self.selection
            .move_by(&pids, i64::try_from(row).unwrap_or(0));
        true
    }
}

pub(crate) fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
