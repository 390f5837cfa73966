//! Which part of the log is on screen: following the newest line, or
//! anchored on one line while newer ones arrive.

use crate::state::LogRing;

/// Which part of the log is on screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogView {
    /// Session-wide number of the line shown at the bottom, or `None` to
    /// follow the newest line.
    anchor: Option<u64>,
}

impl LogView {
    /// Number of the line at the bottom of the view, if the log has any.
    pub fn bottom_line(&self, log: &LogRing) -> Option<u64> {
        let newest = log.total().checked_sub(1)?;
        Some(
            self.anchor
                .unwrap_or(newest)
                .clamp(log.first_number(), newest),
        )
    }

    /// Whether the view follows the newest line.
    pub fn is_following(&self) -> bool {
        self.anchor.is_none()
    }

    /// Moves the view `lines` towards older lines (stopping at the oldest).
    pub(crate) fn scroll_up(&mut self, lines: u64, log: &LogRing) {
        if let Some(bottom) = self.bottom_line(log) {
            self.anchor = Some(bottom.saturating_sub(lines).max(log.first_number()));
        }
    }

    /// Moves the view `lines` towards newer lines; reaching the newest line
    /// follows it again.
    pub(crate) fn scroll_down(&mut self, lines: u64, log: &LogRing) {
        let (Some(_), Some(bottom)) = (self.anchor, self.bottom_line(log)) else {
            return;
        };
        let target = bottom.saturating_add(lines);
        self.anchor = (target + 1 < log.total()).then_some(target);
    }

    /// Follows the newest line again.
    pub(crate) fn follow(&mut self) {
        self.anchor = None;
    }

    /// Scrolls for a navigation key: `First` is the oldest line held,
    /// `Last` follows the newest.
    pub(crate) fn navigate(&mut self, nav: super::Nav, log: &LogRing) {
        match nav {
            super::Nav::Up(lines) => self.scroll_up(lines, log),
            super::Nav::Down(lines) => self.scroll_down(lines, log),
            super::Nav::First => self.scroll_up(u64::MAX, log),
            super::Nav::Last => self.follow(),
        }
    }
}
