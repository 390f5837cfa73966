//! The stuck-event banner: every event stuck now, naming the process kept
//! stopped, the event, the subscriber that has not acked and for how long;
//! shown above every view while any is stuck.

use super::theme::THEME;
use crate::state::StuckEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget};
use std::time::Duration;

/// Stuck events listed at most (the rest are counted).
const MAX_LISTED: usize = 3;

/// Events stuck now, longest first.
#[derive(Clone, Copy, Debug)]
pub struct StuckBanner<'a> {
    stuck: &'a [StuckEvent],
    threshold: Duration,
}

impl<'a> StuckBanner<'a> {
    /// The banner for `stuck` (stuck after waiting `threshold`).
    pub fn new(stuck: &'a [StuckEvent], threshold: Duration) -> Self {
        Self { stuck, threshold }
    }

    /// Rows it needs, borders included; 0 when nothing is stuck.
    pub fn height(&self) -> u16 {
        if self.stuck.is_empty() {
            return 0;
        }
        let more = usize::from(self.stuck.len() > MAX_LISTED);
        let lines = self.stuck.len().min(MAX_LISTED) + more;
        u16::try_from(lines + 2).unwrap_or(u16::MAX)
    }
}

impl Widget for StuckBanner<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if self.stuck.is_empty() {
            return;
        }
        let title = if self.stuck.len() == 1 {
            " STUCK EVENT ".to_string()
        } else {
            format!(" {} STUCK EVENTS ", self.stuck.len())
        };
        let threshold = format!(
            " no ack for {:.1} s or more · 2 shows the event flow ",
            self.threshold.as_secs_f64()
        );
        let block = Block::bordered()
            .border_style(THEME.bad)
            .title(Line::styled(title, THEME.stuck))
            .title(Line::styled(threshold, THEME.bad).right_aligned());
        let mut lines: Vec<Line> = self
            .stuck
            .iter()
            .take(MAX_LISTED)
            .map(|event| Line::styled(format!(" ⚠ {}", event.describe()), THEME.bad))
            .collect();
        if self.stuck.len() > MAX_LISTED {
            lines.push(Line::styled(
                format!(" … and {} more", self.stuck.len() - MAX_LISTED),
                THEME.bad,
            ));
        }
        Paragraph::new(lines).block(block).render(area, buf);
    }
}
