//! The subscribers panel: one row per entry of the PM's subscriber table,
//! in subscription order: its counters, the process waiting longest on it
//! (red once that wait makes a stuck event), its ack-latency percentiles
//! and a sparkline of its latest acks.

use super::theme::THEME;
use super::{columns, format, panel};
use crate::state::{Subscriber, System, Waiter};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Sparkline, Table, Widget};
use std::time::Duration;

/// Rows the panel needs beyond its entries: borders and the header.
pub const CHROME_ROWS: u16 = 3;

/// Header, least width and alignment (true: right) of each column. The
/// last one holds the sparkline and takes the width left.
const COLUMNS: [(&str, u16, bool); 13] = [
    ("#", 2, true),
    ("NAME", 10, false),
    ("PID", 5, true),
    ("MASK", 14, false),
    ("EVENTS", 7, true),
    ("ACKS", 7, true),
    ("IGN", 4, true),
    ("OUT", 4, true),
    ("OLDEST WAIT", 15, false),
    ("P50", 7, true),
    ("P99", 7, true),
    ("MAX", 7, true),
    ("LATEST ACKS", 11, false),
];

const LATENCY: usize = 12;

/// Columns left out first when the panel is too narrow: the pid, ignored
/// acks, p99, the mask, the sparkline, max.
const DROP_ORDER: [usize; 6] = [2, 6, 10, 3, LATENCY, 11];

/// The subscriber table.
#[derive(Clone, Debug)]
pub struct SubscribersPanel<'a> {
    entries: &'a [Subscriber],
    waiters: Vec<Waiter>,
    now_ns: u64,
    stuck_after_ns: u64,
}

impl<'a> SubscribersPanel<'a> {
    /// The panel for `system` at guest time `now_ns`; waits of
    /// `stuck_after` or more show as stuck.
    pub fn new(system: &'a System, now_ns: u64, stuck_after: Duration) -> Self {
        Self {
            entries: system.subscribers().entries(),
            waiters: system.waiters(),
            now_ns,
            stuck_after_ns: u64::try_from(stuck_after.as_nanos()).unwrap_or(u64::MAX),
        }
    }

    /// Rows the panel needs, borders included (one entry's row at least).
    pub fn height(&self) -> u16 {
        let rows = u16::try_from(self.entries.len().max(1)).unwrap_or(u16::MAX);
        rows.saturating_add(CHROME_ROWS)
    }

    /// The oldest wait on `entry`, as `pid 16 1.61 s`, and its style.
    fn oldest(&self, entry: &Subscriber) -> (String, Style) {
        let oldest = self
            .waiters
            .iter()
            .filter(|waiter| waiter.subscriber == entry.endpoint)
            .min_by_key(|waiter| waiter.since_ns);
        match oldest {
            Some(waiter) if entry.outstanding > 0 => {
                let age = self.now_ns.saturating_sub(waiter.since_ns);
                let style = if age >= self.stuck_after_ns {
                    THEME.stuck
                } else {
                    THEME.warning
                };
                (
                    format!("pid {} {}", waiter.pid, format::nanoseconds(age)),
                    style,
                )
            }
            _ if entry.outstanding > 0 => ("?".to_string(), THEME.warning),
            _ => ("-".to_string(), THEME.muted),
        }
    }

    fn cells(&self, index: usize, entry: &Subscriber) -> Vec<Cell<'static>> {
        let notable = |count: u64| {
            if count == 0 {
                THEME.value
            } else {
                THEME.warning
            }
        };
        let mask = if entry.is_leaving() {
            ("unsubscribed".to_string(), THEME.warning)
        } else {
            (mask_label(entry.mask), THEME.value)
        };
        let latency = |ns: u64| {
            if entry.latency.count == 0 {
                ("-".to_string(), THEME.muted)
            } else {
                (format::nanoseconds(ns), THEME.value)
            }
        };
        let values = [
            (index.to_string(), THEME.muted),
            (entry.display_name(), THEME.privileged),
            (entry.endpoint.to_string(), THEME.value),
            mask,
            (entry.events.to_string(), THEME.value),
            (entry.acks.to_string(), THEME.value),
            (entry.ignored_acks.to_string(), notable(entry.ignored_acks)),
            (entry.outstanding.to_string(), notable(entry.outstanding)),
            self.oldest(entry),
            latency(entry.latency.p50_ns),
            latency(entry.latency.p99_ns),
            latency(entry.latency.max_ns),
            (String::new(), THEME.value),
        ];
        values
            .into_iter()
            .zip(COLUMNS)
            .map(|((text, style), (_, _, right))| {
                let line = Line::styled(text, style);
                Cell::from(if right { line.right_aligned() } else { line })
            })
            .collect()
    }
}

/// A mask as short kind names: `exit sig spawn`.
fn mask_label(mask: u8) -> String {
    let names: Vec<&str> = crate::state::mask_names(mask)
        .into_iter()
        .map(|name| if name == "signal" { "sig" } else { name })
        .collect();
    if names.is_empty() {
        "-".to_string()
    } else {
        names.join(" ")
    }
}

impl Widget for SubscribersPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let count = format!(
            " {} ",
            format::count(self.entries.len() as u64, "subscriber")
        );
        let block = panel("Subscribers").title(Line::styled(count, THEME.muted).right_aligned());
        if self.entries.is_empty() {
            Paragraph::new(Line::styled(" no service has subscribed", THEME.muted))
                .block(block)
                .render(area, buf);
            return;
        }
        let inner = block.inner(area);
        let least = COLUMNS.map(|(_, width, _)| width);
        let shown = columns::fit(&least, &DROP_ORDER, inner.width);
        let widths: Vec<Constraint> = COLUMNS
            .iter()
            .enumerate()
            .map(|(index, &(_, width, _))| {
                if index == LATENCY {
                    Constraint::Min(width)
                } else {
                    Constraint::Length(width)
                }
            })
            .collect();
        let widths = columns::shown(widths, &shown);
        let header = COLUMNS.iter().map(|&(title, _, right)| {
            let line = Line::from(title);
            Cell::from(if right { line.right_aligned() } else { line })
        });
        let header = Row::new(columns::shown(header, &shown)).style(THEME.table_header);
        let rows = self
            .entries
            .iter()
            .enumerate()
            .map(|(index, entry)| Row::new(columns::shown(self.cells(index, entry), &shown)));
        Table::new(rows, widths.clone())
            .header(header)
            .block(block)
            .flex(Flex::Start)
            .render(area, buf);
        if !shown[LATENCY] {
            return;
        }
        // The sparklines go into the last column, one row per entry.
        let column = Layout::horizontal(widths)
            .spacing(columns::GAP)
            .flex(Flex::Start)
            .split(inner)
            .last()
            .copied()
            .unwrap_or_default();
        let first_row = inner.y + 1;
        for (row, entry) in self.entries.iter().enumerate() {
            let y = first_row + u16::try_from(row).unwrap_or(u16::MAX);
            if y >= inner.bottom() {
                break;
            }
            let width = usize::from(column.width);
            let skip = entry.recent_latency_ns.len().saturating_sub(width);
            let samples: Vec<u64> = entry.recent_latency_ns.iter().skip(skip).copied().collect();
            let cell = Rect::new(column.x, y, column.width, 1);
            if samples.is_empty() {
                Line::styled("-", THEME.muted).render(cell, buf);
            } else {
                Sparkline::default()
                    .data(&samples)
                    .style(THEME.sparkline)
                    .render(cell, buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::{MASK_EXIT, MASK_SIGNAL, MASK_SPAWN};

    #[test]
    fn masks_read_as_short_kind_names() {
        assert_eq!(mask_label(MASK_EXIT | MASK_SIGNAL), "exit sig");
        assert_eq!(
            mask_label(MASK_EXIT | MASK_SIGNAL | MASK_SPAWN),
            "exit sig spawn"
        );
        assert_eq!(mask_label(0), "-");
    }

    #[test]
    fn a_narrow_panel_leaves_out_whole_columns() {
        let least = COLUMNS.map(|(_, width, _)| width);
        let headers = |width| {
            columns::shown(
                COLUMNS.map(|(title, _, _)| title),
                &columns::fit(&least, &DROP_ORDER, width),
            )
        };
        assert_eq!(headers(200).len(), COLUMNS.len());
        assert_eq!(
            headers(86),
            [
                "#",
                "NAME",
                "EVENTS",
                "ACKS",
                "OUT",
                "OLDEST WAIT",
                "P50",
                "MAX",
                "LATEST ACKS"
            ]
        );
    }
}
