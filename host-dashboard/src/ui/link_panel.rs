//! The link-health panel: throughput, error counters, staleness.

use super::theme::THEME;
use super::{field, format, panel};
use crate::state::{LinkCondition, State};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

/// Link counters and rates, with the link's condition in the title.
#[derive(Clone, Copy, Debug)]
pub struct LinkPanel<'a> {
    state: &'a State,
}

impl<'a> LinkPanel<'a> {
    /// Rows the panel needs, borders included.
    pub const HEIGHT: u16 = 12;

    /// The panel for `state`.
    pub fn new(state: &'a State) -> Self {
        Self { state }
    }
}

/// A counter that must stay zero on a healthy link.
fn error_count(count: u64) -> (String, Style) {
    (
        count.to_string(),
        if count == 0 {
            THEME.value
        } else {
            THEME.value_bad
        },
    )
}

impl Widget for LinkPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let link = self.state.link();
        let stats = link.stats;
        let (condition, condition_style) = match self.state.link_condition() {
            LinkCondition::Waiting => ("waiting".to_string(), THEME.warning),
            LinkCondition::Live => ("live".to_string(), THEME.good),
            LinkCondition::Stale { silent_for } => {
                (format!("STALE {}", format::seconds(silent_for)), THEME.bad)
            }
            LinkCondition::Closed => ("closed".to_string(), THEME.muted),
            LinkCondition::Down { for_ } => (format!("DOWN {}", format::seconds(for_)), THEME.bad),
        };
        let block = panel("Link")
            .title(Line::styled(format!(" ● {condition} "), condition_style).right_aligned());
        let inner = block.inner(area);
        block.render(area, buf);

        let last_frame = link.last_frame_at.map_or_else(
            || "never".to_string(),
            |at| {
                format!(
                    "{} ago",
                    format::seconds(self.state.now().saturating_sub(at))
                )
            },
        );
        let plain = |text: String| (text, THEME.value);
        let rows = [
            ("frames/s", plain(format::rate(link.frames_per_second()))),
            (
                "bytes/s",
                plain(format::bytes_rate(link.bytes_per_second())),
            ),
            ("frames", plain(stats.frames.to_string())),
            ("bytes", plain(format::bytes(stats.bytes))),
            ("CRC errors", error_count(stats.crc_errors)),
            ("malformed", error_count(stats.malformed + stats.oversize)),
            ("seq gaps", error_count(stats.seq_gaps)),
            ("resyncs", plain(stats.resyncs.to_string())),
            ("guest drops", error_count(stats.guest_dropped)),
            ("last frame", plain(last_frame)),
        ];
        let lines: Vec<Line> = rows
            .into_iter()
            .map(|(label, (value, style))| field(label, value, style, inner.width))
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
}
