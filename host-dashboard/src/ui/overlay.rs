//! What is drawn over the view: the help (generated from the key table),
//! the signal menu, and the filter line that replaces the status line
//! while it is open.

use super::panel;
use super::theme::THEME;
use crate::app::{BINDINGS, FilterError, PromptKind, SIGNAL_MENU};
use crate::config::CustomKey;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

/// A box of `width` x `height` centred in `area` (clipped to it).
fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// The help overlay: the config file's keys, every row of the key table,
/// then the keys of the filter line and the signal menu.
#[derive(Clone, Copy, Debug, Default)]
pub struct HelpOverlay<'a> {
    custom: &'a [CustomKey],
}

impl<'a> HelpOverlay<'a> {
    /// The help, with the config file's `custom` keys first.
    pub fn new(custom: &'a [CustomKey]) -> Self {
        Self { custom }
    }
}

/// Width of one column of the help, borders included.
const HELP_WIDTH: u16 = 72;

/// Width of the key column of the help.
const KEY_WIDTH: usize = 8;

impl Widget for HelpOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let custom = self.custom.iter().map(|key| {
            Line::from(vec![
                Span::styled(
                    format!(" {:<KEY_WIDTH$}", format!("{:?}", key.code)),
                    THEME.panel_title,
                ),
                Span::styled(format!("{} (config file)", key.action_name), THEME.value),
            ])
        });
        let mut lines: Vec<Line> = custom
            .chain(BINDINGS.iter().map(|binding| {
                Line::from(vec![
                    Span::styled(format!(" {:<KEY_WIDTH$}", binding.label), THEME.panel_title),
                    Span::styled(binding.help, THEME.value),
                ])
            }))
            .collect();
        lines.push(Line::styled(
            " filter line: type, Backspace; Enter keeps it, Esc clears it",
            THEME.muted,
        ));
        lines.push(Line::styled(
            " in the signal menu: ↑↓ choose, Enter sends, Esc closes",
            THEME.muted,
        ));
        let count = u16::try_from(lines.len()).unwrap_or(u16::MAX);
        // Two columns when one does not fit the height.
        let room = area.height.saturating_sub(2);
        let two = count > room && area.width >= 2 * HELP_WIDTH;
        let rows = if two { count.div_ceil(2) } else { count };
        let width = if two { 2 * HELP_WIDTH } else { HELP_WIDTH };
        let box_area = centred(area, width, rows + 2);
        Clear.render(box_area, buf);
        let block = panel("Keys (any key closes)");
        let inner = block.inner(box_area);
        block.render(box_area, buf);
        if two {
            let right = lines.split_off(usize::from(rows));
            let [left_area, right_area] =
                Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(inner);
            Paragraph::new(lines).render(left_area, buf);
            Paragraph::new(right).render(right_area, buf);
        } else {
            Paragraph::new(lines).render(inner, buf);
        }
    }
}

/// The signal menu for one process.
#[derive(Clone, Copy, Debug)]
pub struct SignalMenu<'a> {
    pid: u32,
    name: &'a str,
    row: usize,
    ended: Option<&'a str>,
}

impl<'a> SignalMenu<'a> {
    /// The menu for process `pid` (`name`), row `row` selected.
    pub fn new(pid: u32, name: &'a str, row: usize) -> Self {
        Self {
            pid,
            name,
            row,
            ended: None,
        }
    }

    /// The process has exited (`line` says so): the menu shows it above
    /// greyed-out signals, and that nothing will be sent.
    pub fn ended(mut self, line: Option<&'a str>) -> Self {
        self.ended = line;
        self
    }
}

impl Widget for SignalMenu<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut lines: Vec<Line> = Vec::new();
        if let Some(ended) = self.ended {
            lines.push(Line::styled(format!(" {ended} "), THEME.bad));
            lines.push(Line::styled(" nothing to send · Esc closes ", THEME.muted));
        }
        lines.extend(SIGNAL_MENU.iter().enumerate().map(|(row, signal)| {
            let text = format!(" {:>2} {:<8}", signal.number(), signal.name());
            let style = if self.ended.is_some() {
                THEME.muted
            } else if row == self.row {
                THEME.selected
            } else {
                THEME.value
            };
            Line::styled(text, style)
        }));
        let height = u16::try_from(lines.len()).unwrap_or(u16::MAX) + 2;
        let title = format!("Send signal to {} {}", self.pid, self.name);
        let widest = lines
            .iter()
            .map(Line::width)
            .chain([title.chars().count() + 2])
            .max()
            .unwrap_or(0);
        let width = u16::try_from(widest + 2).unwrap_or(u16::MAX).max(20);
        let box_area = centred(area, width, height);
        Clear.render(box_area, buf);
        Paragraph::new(lines)
            .block(panel(&title))
            .render(box_area, buf);
    }
}

/// The filter line, in place of the status line while it is open.
#[derive(Clone, Copy, Debug)]
pub struct FilterLine<'a> {
    text: &'a str,
    error: Option<&'a FilterError>,
}

impl<'a> FilterLine<'a> {
    /// The line with `text` typed so far, and why it is not a filter.
    pub fn new(text: &'a str, error: Option<&'a FilterError>) -> Self {
        Self { text, error }
    }
}

impl Widget for FilterLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        buf.set_style(area, THEME.status_bar);
        let mut spans = vec![
            Span::styled(" / ", THEME.key),
            Span::styled(format!(" {}", self.text), THEME.value),
            Span::styled("█", THEME.muted),
        ];
        match self.error {
            Some(error) => spans.push(Span::styled(format!("  error: {error}"), THEME.bad)),
            None => spans.push(Span::styled(
                "  Enter keeps · Esc clears · e.g. worker pid=3 state=blocked major>0",
                THEME.muted,
            )),
        }
        Line::from(spans).render(area, buf);
    }
}

/// An input line for a command to the guest, in place of the status line.
#[derive(Clone, Copy, Debug)]
pub struct PromptLine<'a> {
    kind: PromptKind,
    text: &'a str,
    error: Option<&'a str>,
}

impl<'a> PromptLine<'a> {
    /// The line asking for `kind`, `text` typed so far, and why Enter did
    /// not send it.
    pub fn new(kind: PromptKind, text: &'a str, error: Option<&'a str>) -> Self {
        Self { kind, text, error }
    }
}

impl Widget for PromptLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        buf.set_style(area, THEME.status_bar);
        let mut spans = vec![
            Span::styled(format!(" {} ", self.kind.label()), THEME.key),
            Span::styled(format!(" {}", self.text), THEME.value),
            Span::styled("█", THEME.muted),
        ];
        match self.error {
            Some(error) => spans.push(Span::styled(format!("  error: {error}"), THEME.bad)),
            None => spans.push(Span::styled("  Enter sends · Esc cancels", THEME.muted)),
        }
        Line::from(spans).render(area, buf);
    }
}
