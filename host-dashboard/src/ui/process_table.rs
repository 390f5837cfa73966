//! The process table: one row per live process, the selected one marked.
//!
//! Columns: pid, parent, name (`*` marks a system service), state, CPU time
//! and share, pages attached now and at most, minor and major faults with
//! their rates per second. CPU share and rates cover the last 2 s of guest
//! time.

use super::selectable_table::{MARKER_WIDTH, SelectableTable, render_empty};
use super::theme::THEME;
use super::{columns, focusable_panel, format};
use crate::app::Sort;
use crate::state::{Process, System, process_state_name};
use protocol::message::ProcessState;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table, Widget};
use std::cell::Cell as ScrollCell;

/// Header, least width and alignment of each column, in order.
const COLUMNS: [(&str, u16, Align); 11] = [
    ("PID", 5, Align::Right),
    ("PPID", 5, Align::Right),
    ("NAME", 10, Align::Left),
    ("STATE", 9, Align::Left),
    ("CPU", 7, Align::Right),
    ("CPU%", 5, Align::Right),
    ("VM PAGES", 11, Align::Right),
    ("MINOR", 7, Align::Right),
    ("/s", 4, Align::Right),
    ("MAJOR", 6, Align::Right),
    ("/s", 4, Align::Right),
];

const NAME: usize = 2;
const STATE: usize = 3;

/// Widths past their least that STATE, then NAME, may grow to when the
/// table is wider than it needs.
const STATE_GROWTH: u16 = 4;
const NAME_GROWTH: u16 = 14;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// Live processes, one row each.
#[derive(Clone, Debug)]
pub struct ProcessTable<'a> {
    system: &'a System,
    rows: Vec<&'a Process>,
    selected: Option<usize>,
    focused: bool,
    scroll: &'a ScrollCell<usize>,
    sort: Sort,
    depths: Vec<usize>,
    filter: String,
}

impl<'a> ProcessTable<'a> {
    /// The table of `rows` (in display order) from `system`, with row
    /// `selected` marked; `focused` if navigation keys act on it. `scroll`
    /// holds the first row shown, from one frame to the next.
    pub fn new(
        system: &'a System,
        rows: Vec<&'a Process>,
        selected: Option<usize>,
        focused: bool,
        scroll: &'a ScrollCell<usize>,
    ) -> Self {
        Self {
            system,
            rows,
            selected,
            focused,
            scroll,
            sort: Sort::default(),
            depths: Vec::new(),
            filter: String::new(),
        }
    }

    /// The table with `sort` marked in its header.
    pub fn with_sort(mut self, sort: Sort) -> Self {
        self.sort = sort;
        self
    }

    /// The table as a tree: each row's depth under its parent.
    pub fn with_depths(mut self, depths: Vec<usize>) -> Self {
        self.depths = depths;
        self
    }

    /// The table with the filter in force named in its title.
    pub fn with_filter(mut self, filter: &str) -> Self {
        self.filter = filter.to_string();
        self
    }
}

/// A column header with the sort marked: `▲` ascending, `▼` descending.
fn header_title(index: usize, title: &str, sort: Sort) -> String {
    if sort.column.index() != index {
        return title.to_string();
    }
    let arrow = if sort.descending { "▼" } else { "▲" };
    format!("{title}{arrow}")
}

/// The name as a tree row at `depth`: indented under its parent.
fn tree_name(name: String, depth: usize) -> String {
    if depth == 0 {
        name
    } else {
        format!("{}└ {name}", "  ".repeat(depth - 1))
    }
}

/// Columns left out first when the table is too narrow: the parent, CPU
/// time, the fault rates, major faults, the page counts, minor faults.
const DROP_ORDER: [usize; 7] = [1, 4, 10, 8, 9, 6, 7];

/// Which columns a table `width` columns wide (borders included) shows,
/// and how wide each is: the least widths, without the columns that do not
/// fit, and room to spare (beyond a column of margin) going to STATE, then
/// NAME.
fn column_layout(width: u16) -> (Vec<bool>, [u16; 11]) {
    let mut widths = COLUMNS.map(|(_, width, _)| width);
    let borders_and_margin = 3;
    let available = width.saturating_sub(MARKER_WIDTH + borders_and_margin);
    let shown = columns::fit(&widths, &DROP_ORDER, available);
    let spare = available.saturating_sub(columns::needed(&widths, &shown));
    let state = spare.min(STATE_GROWTH);
    widths[STATE] += state;
    widths[NAME] += (spare - state).min(NAME_GROWTH);
    (shown, widths)
}

fn state_style(state: ProcessState) -> Style {
    match state {
        ProcessState::Running => THEME.state_running,
        ProcessState::Stopped | ProcessState::AwaitingAcks => THEME.state_stopped,
        ProcessState::Exiting | ProcessState::Zombie => THEME.state_ending,
        _ => THEME.value,
    }
}

fn cell(text: String, align: Align, style: Style) -> Cell<'static> {
    let line = Line::styled(text, style);
    Cell::from(match align {
        Align::Left => line,
        Align::Right => line.right_aligned(),
    })
}

/// A state's name if it fits `width`, else a shorter one (`awaiting
/// reply` is `reply wait`).
fn state_label(state: ProcessState, width: u16) -> String {
    let name = process_state_name(state);
    if name.chars().count() <= usize::from(width) {
        return name.into_owned();
    }
    match state {
        ProcessState::AwaitingAcks => "ack wait".to_string(),
        ProcessState::AwaitingReply => "reply wait".to_string(),
        _ => name.into_owned(),
    }
}

fn cells(process: &Process, state_width: u16, depth: usize) -> Vec<Cell<'static>> {
    let mut name = tree_name(process.name.clone(), depth);
    let mut name_style = THEME.value;
    if process.privileged {
        name.push('*');
        name_style = THEME.privileged;
    }
    let vm = &process.vm;
    let values = [
        (process.pid.to_string(), THEME.value),
        (process.parent.to_string(), THEME.muted),
        (name, name_style),
        (
            state_label(process.state, state_width),
            state_style(process.state),
        ),
        (format::cpu_time(process.cpu_ns), THEME.value),
        (format::percent(process.cpu_percent()), THEME.value),
        (
            format!("{}/{}", vm.vm_total_pages, vm.vm_total_max_pages),
            THEME.value,
        ),
        (vm.minor_faults.to_string(), THEME.value),
        (
            format::short_rate(process.minor_faults_per_second()),
            THEME.muted,
        ),
        (vm.major_faults.to_string(), THEME.value),
        (
            format::short_rate(process.major_faults_per_second()),
            THEME.muted,
        ),
    ];
    values
        .into_iter()
        .zip(COLUMNS)
        .map(|((text, style), (_, _, align))| cell(text, align, style))
        .collect()
}

impl Widget for ProcessTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let exited = self.system.lifecycle().exit;
        let counts = format!(" {} live · {} exited ", self.rows.len(), exited);
        let title = if self.filter.is_empty() {
            "Processes".to_string()
        } else {
            format!("Processes · filter: {}", self.filter)
        };
        let block = focusable_panel(&title, self.focused)
            .title(Line::styled(counts, THEME.muted).right_aligned());
        if self.rows.is_empty() {
            let empty = if self.filter.is_empty() {
                " no processes reported yet"
            } else {
                " no process matches the filter (Esc clears it)"
            };
            render_empty(block, empty, area, buf);
            return;
        }
        let (shown, widths) = column_layout(area.width);
        let state_width = widths[STATE];
        let sort = self.sort;
        let header = COLUMNS
            .iter()
            .enumerate()
            .map(|(index, &(title, _, align))| {
                cell(header_title(index, title, sort), align, THEME.table_header)
            });
        let header = Row::new(columns::shown(header, &shown));
        let widths = columns::shown(widths.map(Constraint::Length), &shown);
        let depths = &self.depths;
        let rows = self.rows.iter().enumerate().map(|(index, process)| {
            let depth = depths.get(index).copied().unwrap_or(0);
            Row::new(columns::shown(cells(process, state_width, depth), &shown))
        });
        let table = Table::new(rows, widths).header(header).block(block);
        SelectableTable::new(
            table,
            self.rows.len(),
            self.selected,
            self.focused,
            self.scroll,
        )
        .render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_to_spare_widens_state_then_name() {
        let least = COLUMNS.map(|(_, width, _)| width);
        // 73 columns of content, 1 for the marker, 10 gaps, 2 borders and
        // a margin.
        assert_eq!(column_layout(87), (vec![true; 11], least));
        assert_eq!(column_layout(88).1[STATE], 10);
        let (shown, wide) = column_layout(140);
        assert_eq!((shown, wide[NAME], wide[STATE]), (vec![true; 11], 24, 13));
    }

    #[test]
    fn a_narrow_table_leaves_out_whole_columns() {
        let headers = |width| {
            let (shown, _) = column_layout(width);
            columns::shown(COLUMNS.map(|(title, _, _)| title), &shown)
        };
        assert_eq!(
            headers(68),
            [
                "PID", "NAME", "STATE", "CPU%", "VM PAGES", "MINOR", "/s", "MAJOR"
            ]
        );
        assert_eq!(headers(40), ["PID", "NAME", "STATE", "CPU%"]);
    }

    #[test]
    fn long_state_names_shorten_only_when_they_do_not_fit() {
        assert_eq!(state_label(ProcessState::AwaitingAcks, 13), "awaiting acks");
        assert_eq!(state_label(ProcessState::AwaitingAcks, 10), "ack wait");
        assert_eq!(state_label(ProcessState::AwaitingReply, 10), "reply wait");
        assert_eq!(state_label(ProcessState::Receiving, 9), "receiving");
    }
}
