//! The status line: key hints on the left, what needs attention on the
//! right.

use super::format;
use super::theme::THEME;
use crate::app::Pane;
use crate::state::{LinkCondition, QemuState, State};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// Keys and their meaning, as shown while `focus` has the focus.
fn key_hints(focus: Pane) -> [(&'static str, &'static str); 5] {
    let (moves, ends) = match focus {
        Pane::Processes => ("select", "first/last"),
        Pane::Log => ("scroll", "oldest/follow"),
    };
    [
        ("q", "quit"),
        ("Tab", "focus"),
        ("↑↓", moves),
        ("PgUp PgDn", "page"),
        ("Home End", ends),
    ]
}

/// The bottom line of the screen.
#[derive(Clone, Copy, Debug)]
pub struct StatusBar<'a> {
    state: &'a State,
    focus: Pane,
}

impl<'a> StatusBar<'a> {
    /// The status line for `state`, with the keys of the `focus` pane.
    pub fn new(state: &'a State, focus: Pane) -> Self {
        Self { state, focus }
    }
}

impl Widget for StatusBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        buf.set_style(area, THEME.status_bar);
        let hints: Vec<Span> = key_hints(self.focus)
            .iter()
            .flat_map(|(key, meaning)| {
                [
                    Span::styled(format!(" {key} "), THEME.key),
                    Span::raw(format!(" {meaning}  ")),
                ]
            })
            .collect();
        Line::from(hints).render(area, buf);

        let notice = match (self.state.qemu(), self.state.link_condition()) {
            (QemuState::Exited(_), _) => {
                Some(("QEMU has exited; q quits ".to_string(), THEME.warning))
            }
            (_, LinkCondition::Stale { silent_for }) => Some((
                format!("link stale: no frame for {} ", format::seconds(silent_for)),
                THEME.bad,
            )),
            (QemuState::Running { .. }, LinkCondition::Waiting) => {
                Some(("waiting for the first frame ".to_string(), THEME.warning))
            }
            _ => None,
        };
        if let Some((text, style)) = notice {
            Line::styled(text, style).right_aligned().render(area, buf);
        }
    }
}
