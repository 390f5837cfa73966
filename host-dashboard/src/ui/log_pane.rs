//! The log pane: guest time, level, pid and text; newest line at the bottom.

use super::theme::THEME;
use super::{focusable_panel, format};
use crate::app::LogView;
use crate::state::{LogLine, LogRing, level_name};
use protocol::message::LogLevel;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The log, scrolled as `view` says.
#[derive(Clone, Copy, Debug)]
pub struct LogPane<'a> {
    log: &'a LogRing,
    view: LogView,
    focused: bool,
}

impl<'a> LogPane<'a> {
    /// The pane showing `log` through `view`; `focused` if navigation keys
    /// scroll it.
    pub fn new(log: &'a LogRing, view: LogView, focused: bool) -> Self {
        Self { log, view, focused }
    }
}

fn level_style(level: LogLevel) -> Style {
    match level {
        LogLevel::Error => THEME.level_error,
        LogLevel::Warn => THEME.level_warn,
        LogLevel::Info => THEME.level_info,
        LogLevel::Debug => THEME.level_debug,
    }
}

fn render_line(line: &LogLine) -> Line<'_> {
    let style = level_style(line.level);
    Line::from(vec![
        Span::styled(
            format!("{:>10} ", format::guest_seconds(line.time_us)),
            THEME.log_time,
        ),
        Span::styled(
            format!("{:<5} ", level_name(line.level).to_uppercase()),
            style,
        ),
        Span::styled(format!("{:>4} ", line.pid), THEME.log_pid),
        Span::styled(line.text.as_str(), style),
    ])
}

impl Widget for LogPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut block = focusable_panel("Log", self.focused).title(
            Line::styled(
                format!(" {} ", format::count(self.log.total(), "line")),
                THEME.muted,
            )
            .right_aligned(),
        );
        if !self.view.is_following() {
            block = block.title_bottom(
                Line::styled(" scrolled: End follows the newest line ", THEME.warning)
                    .right_aligned(),
            );
        }
        let inner = block.inner(area);
        block.render(area, buf);
        let lines: Vec<Line> = match self.view.bottom_line(self.log) {
            Some(bottom) => self
                .log
                .window(bottom, usize::from(inner.height))
                .map(render_line)
                .collect(),
            None => vec![Line::styled(" no log lines yet", THEME.muted)],
        };
        Paragraph::new(lines).render(inner, buf);
    }
}
