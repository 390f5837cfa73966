//! The event list: the PM's process events, stuck ones first (and
//! highlighted), then the newest first; the selected one is expanded in
//! the [`super::EventTimeline`].
//!
//! Columns: event id, kind, the process and its pid, when it was published
//! (guest seconds), how long it took (or has waited so far), what it is
//! doing or how it ended, and the subscribers notified in order.

use super::selectable_table::{MARKER_WIDTH, SelectableTable, render_empty};
use super::theme::THEME;
use super::{columns, focusable_panel, format};
use crate::state::{
    EventEnd, EventRecord, FlowCounts, FollowUpKind, StuckEvent, System, event_kind_name,
};
use protocol::message::EventKind;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table, Widget};
use std::cell::Cell as ScrollCell;

/// Header, least width and alignment (true: right) of each column; the
/// last one takes the width left.
const COLUMNS: [(&str, u16, bool); 8] = [
    ("ID", 6, true),
    ("KIND", 6, false),
    ("PID", 5, true),
    ("PROCESS", 10, false),
    ("AT", 9, true),
    ("TOOK", 7, true),
    ("STATUS", 18, false),
    ("SUBSCRIBERS", 11, false),
];

/// Columns left out first when the list is too narrow: when it was
/// published, the subscribers, the pid, how long it took.
const DROP_ORDER: [usize; 4] = [4, 7, 2, 5];

/// The event list.
#[derive(Clone, Debug)]
pub struct EventList<'a> {
    rows: Vec<&'a EventRecord>,
    stuck: &'a [StuckEvent],
    counts: &'a FlowCounts,
    in_flight: usize,
    episodes: usize,
    selected: Option<usize>,
    focused: bool,
    now_ns: u64,
    scroll: &'a ScrollCell<usize>,
}

impl<'a> EventList<'a> {
    /// The list of `rows` (in display order) from `system`, row `selected`
    /// marked, `focused` if navigation keys act on it; `now_ns` is the
    /// guest time; `scroll` holds the first row shown.
    pub fn new(
        rows: Vec<&'a EventRecord>,
        system: &'a System,
        selected: Option<usize>,
        focused: bool,
        now_ns: u64,
        scroll: &'a ScrollCell<usize>,
    ) -> Self {
        let flow = system.event_flow();
        Self {
            rows,
            stuck: system.stuck().current(),
            counts: flow.counts(),
            in_flight: flow.in_flight_count(),
            episodes: system.stuck().warnings().len(),
            selected,
            focused,
            now_ns,
            scroll,
        }
    }

    fn stuck_on(&self, record: &EventRecord) -> Option<&StuckEvent> {
        self.stuck
            .iter()
            .find(|event| event.event_id == Some(record.event_id))
    }
}

/// What an event is doing, or how it ended, in a few words.
pub(super) fn status(record: &EventRecord, stuck: bool) -> (String, Style) {
    if let Some(waiting) = record.waiting_on() {
        return if stuck {
            (format!("STUCK on {}", waiting.name), THEME.stuck)
        } else {
            (format!("waiting on {}", waiting.name), THEME.warning)
        };
    }
    match (record.end, record.follow_up.map(|follow_up| follow_up.what)) {
        (None, _) => ("in flight".to_string(), THEME.warning),
        (Some(_), Some(FollowUpKind::Reaped)) => ("done, reaped".to_string(), THEME.good),
        (Some(_), Some(FollowUpKind::HandlerEntered { .. })) => {
            ("done, handler ran".to_string(), THEME.good)
        }
        (Some(EventEnd::Done { .. }), None) => ("done".to_string(), THEME.value),
        (Some(EventEnd::Unseen { .. }), None) => ("ended (end unseen)".to_string(), THEME.muted),
    }
}

fn took(record: &EventRecord, now_ns: u64) -> String {
    match record.end {
        Some(EventEnd::Done { elapsed_ns, .. }) => format::nanoseconds(elapsed_ns),
        Some(EventEnd::Unseen { .. }) => "?".to_string(),
        None => format::nanoseconds(now_ns.saturating_sub(record.published_ns)),
    }
}

fn kind_style(kind: EventKind) -> Style {
    match kind {
        EventKind::Exit => THEME.state_ending,
        EventKind::Signal => THEME.warning,
        EventKind::Spawn => THEME.good,
    }
}

/// The subscribers notified, in order: `ipc→acct`.
fn chain(record: &EventRecord) -> String {
    let names: Vec<&str> = record
        .notifications
        .iter()
        .map(|notification| notification.name.as_str())
        .collect();
    if names.is_empty() {
        "-".to_string()
    } else {
        names.join("→")
    }
}

impl EventList<'_> {
    fn row(&self, record: &EventRecord, shown: &[bool]) -> Row<'static> {
        let stuck = self.stuck_on(record).is_some();
        let (status, status_style) = status(record, stuck);
        let values = [
            (record.event_id.to_string(), THEME.muted),
            (
                event_kind_name(record.kind).to_string(),
                kind_style(record.kind),
            ),
            (record.pid.to_string(), THEME.value),
            (record.process.clone(), THEME.value),
            (
                format::guest_seconds(record.published_ns / 1_000),
                THEME.muted,
            ),
            (took(record, self.now_ns), THEME.value),
            (status, status_style),
            (chain(record), THEME.muted),
        ];
        let cells = values
            .into_iter()
            .zip(COLUMNS)
            .map(|((text, style), (_, _, right))| {
                // A stuck row is highlighted whole.
                let style = if stuck { THEME.stuck } else { style };
                let line = Line::styled(text, style);
                Cell::from(if right { line.right_aligned() } else { line })
            });
        let row = Row::new(columns::shown(cells, shown));
        if stuck { row.style(THEME.stuck) } else { row }
    }
}

impl Widget for EventList<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let counts = self.counts;
        let published = counts.published.exit + counts.published.signal + counts.published.spawn;
        let mut summary = format!(
            " {published} published · {} in flight · {} ignored acks ",
            self.in_flight, counts.ignored_acks
        );
        if self.episodes > 0 {
            summary.push_str(&format!("· {} stuck so far ", self.episodes));
        }
        let block = focusable_panel("Event flow", self.focused)
            .title(Line::styled(summary, THEME.muted).right_aligned());
        if self.rows.is_empty() {
            render_empty(block, " no process events yet", area, buf);
            return;
        }
        let borders_and_margin = 3;
        let least = COLUMNS.map(|(_, width, _)| width);
        let shown = columns::fit(
            &least,
            &DROP_ORDER,
            area.width.saturating_sub(MARKER_WIDTH + borders_and_margin),
        );
        let header = COLUMNS.iter().map(|&(title, _, right)| {
            let line = Line::from(title);
            Cell::from(if right { line.right_aligned() } else { line })
        });
        let header = Row::new(columns::shown(header, &shown)).style(THEME.table_header);
        let widths = COLUMNS.iter().enumerate().map(|(index, &(_, width, _))| {
            if index + 1 == COLUMNS.len() {
                Constraint::Min(width)
            } else {
                Constraint::Length(width)
            }
        });
        let widths = columns::shown(widths, &shown);
        let rows: Vec<Row> = self
            .rows
            .iter()
            .map(|record| self.row(record, &shown))
            .collect();
        let selected_stuck = self
            .selected
            .and_then(|row| self.rows.get(row))
            .is_some_and(|record| self.stuck_on(record).is_some());
        let table = Table::new(rows, widths).header(header).block(block);
        let mut table = SelectableTable::new(
            table,
            self.rows.len(),
            self.selected,
            self.focused,
            self.scroll,
        );
        if selected_stuck {
            table = table.selected_style(THEME.stuck_selected);
        }
        table.render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrow_list_leaves_out_whole_columns() {
        let least = COLUMNS.map(|(_, width, _)| width);
        let headers = |width| {
            columns::shown(
                COLUMNS.map(|(title, _, _)| title),
                &columns::fit(&least, &DROP_ORDER, width),
            )
        };
        assert_eq!(headers(85).len(), COLUMNS.len());
        assert_eq!(
            headers(60),
            ["ID", "KIND", "PID", "PROCESS", "TOOK", "STATUS"]
        );
    }
}
