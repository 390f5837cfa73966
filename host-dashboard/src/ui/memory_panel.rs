//! The memory panel: physical frames, page cache, swap and disk I/O.

use super::theme::THEME;
use super::{field, format, panel};
use crate::state::{PAGE_SIZE, SystemMemory};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

/// System memory from the latest snapshot.
#[derive(Clone, Copy, Debug)]
pub struct MemoryPanel<'a> {
    memory: Option<&'a SystemMemory>,
}

impl<'a> MemoryPanel<'a> {
    /// The panel for `memory`, if a snapshot reported it.
    pub fn new(memory: Option<&'a SystemMemory>) -> Self {
        Self { memory }
    }

    /// Rows the panel needs, borders included: one line until the first
    /// snapshot arrives.
    pub fn height(&self) -> u16 {
        if self.memory.is_some() { 8 } else { 3 }
    }
}

/// `part/whole`, as used/total counts.
fn of(part: u64, whole: u64) -> String {
    format!("{part}/{whole}")
}

/// `count (rate/s)`.
fn with_rate(count: u64, per_second: f64) -> String {
    format!("{count} ({}/s)", format::short_rate(per_second))
}

impl Widget for MemoryPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = panel("Memory");
        let inner = block.inner(area);
        block.render(area, buf);
        let Some(memory) = self.memory else {
            Line::styled(" no snapshot yet", THEME.muted).render(inner, buf);
            return;
        };
        let latest = memory.latest;
        let swap_style = if latest.swap_used > 0 {
            THEME.warning
        } else {
            THEME.value
        };
        let rows = [
            (
                "free frames",
                of(latest.free_frames, latest.total_frames),
                THEME.value,
            ),
            (
                "in use",
                format::bytes(memory.used_frames().saturating_mul(PAGE_SIZE)),
                THEME.value,
            ),
            (
                "page cache",
                format::count(latest.cached_pages, "page"),
                THEME.value,
            ),
            (
                "swap used",
                of(latest.swap_used, latest.swap_total),
                swap_style,
            ),
            (
                "disk reads",
                with_rate(latest.disk_reads, memory.disk_reads_per_second()),
                THEME.value,
            ),
            (
                "disk writes",
                with_rate(latest.disk_writes, memory.disk_writes_per_second()),
                THEME.value,
            ),
        ];
        let lines: Vec<Line> = rows
            .into_iter()
            .map(|(label, value, style)| field(label, value, style, inner.width))
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
}
