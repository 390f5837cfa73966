//! The region list of the selected process: where each region lies, what
//! it holds, its permissions, and how many of its pages are in memory or in
//! swap; and whether Region frames of its latest snapshot were lost.

use super::theme::THEME;
use super::{columns, format, panel};
use crate::state::{Process, Region, region_kind_name};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget};

/// Rows the list needs beyond its regions: borders and the header.
pub const CHROME_ROWS: u16 = 3;

/// Header and width of each column; all but KIND and BACKING align right.
const COLUMNS: [(&str, u16); 9] = [
    ("START", 14),
    ("END", 14),
    ("SIZE", 9),
    ("KIND", 6),
    ("BACKING", 7),
    ("PERMS", 5),
    ("PAGES", 6),
    ("RESIDENT", 8),
    ("SWAPPED", 7),
];

/// The regions of one process.
#[derive(Clone, Copy, Debug)]
pub struct RegionList<'a> {
    process: Option<&'a Process>,
}

impl<'a> RegionList<'a> {
    /// The list for `process`, or a placeholder without one.
    pub fn new(process: Option<&'a Process>) -> Self {
        Self { process }
    }
}

/// Columns left out first when the list is too narrow: the end (start and
/// size give it), the backing (the kind gives it), the size in pages, the
/// size in bytes.
const DROP_ORDER: [usize; 4] = [1, 4, 6, 2];

fn cells(region: &Region) -> Vec<Cell<'static>> {
    let right = |text: String| Cell::from(Line::from(text).right_aligned());
    let swapped_style = if region.swapped_pages > 0 {
        THEME.warning
    } else {
        THEME.value
    };
    vec![
        right(format::address(region.start)),
        right(format::address(region.end())),
        right(format::bytes(region.len)),
        Cell::from(region_kind_name(region.kind)),
        Cell::from(region.backing().name()),
        Cell::from(Line::from(region.perms_string()).centered()),
        right(region.pages().to_string()),
        right(region.resident_pages.to_string()),
        Cell::from(Line::styled(region.swapped_pages.to_string(), swapped_style).right_aligned()),
    ]
}

impl Widget for RegionList<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Some(process) = self.process else {
            Paragraph::new(Line::styled(" no process selected", THEME.muted))
                .block(panel("Regions"))
                .render(area, buf);
            return;
        };
        let title = format!("Regions of pid {} ({})", process.pid, process.name);
        let totals = format!(
            " {} · {} resident · {} swapped ",
            format::count(process.regions.len() as u64, "region"),
            process.resident_pages(),
            process.swapped_pages()
        );
        let mut block = panel(&title).title(Line::styled(totals, THEME.muted).right_aligned());
        let visible = usize::from(area.height.saturating_sub(CHROME_ROWS));
        let hidden = process.regions.len().saturating_sub(visible);
        if let (Some(false), Some(expected)) =
            (process.regions_complete(), process.regions_expected)
        {
            block = block.title_bottom(
                Line::styled(
                    format!(
                        " frames lost: {} of {expected} regions arrived ",
                        process.regions.len()
                    ),
                    THEME.bad,
                )
                .left_aligned(),
            );
        }
        if hidden > 0 {
            block = block.title_bottom(
                Line::styled(format!(" {hidden} more not shown "), THEME.warning).right_aligned(),
            );
        }
        if process.regions.is_empty() {
            Paragraph::new(Line::styled(" no regions reported yet", THEME.muted))
                .block(block)
                .render(area, buf);
            return;
        }
        let widths = COLUMNS.map(|(_, width)| width);
        let borders = 2;
        let shown = columns::fit(&widths, &DROP_ORDER, area.width.saturating_sub(borders));
        let header = COLUMNS.iter().map(|&(title, _)| {
            let line = Line::from(title);
            Cell::from(match title {
                "KIND" | "BACKING" => line,
                "PERMS" => line.centered(),
                _ => line.right_aligned(),
            })
        });
        let header = Row::new(columns::shown(header, &shown)).style(THEME.table_header);
        let widths = columns::shown(widths.map(Constraint::Length), &shown);
        let rows = process
            .regions
            .iter()
            .map(|region| Row::new(columns::shown(cells(region), &shown)).style(THEME.value));
        Table::new(rows, widths)
            .header(header)
            .block(block)
            .render(area, buf);
    }
}
