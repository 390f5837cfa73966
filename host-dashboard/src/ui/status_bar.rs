//! The status line: key hints on the left, what needs attention (or the
//! latest answer to a host command) on the right.

use super::format;
use super::theme::THEME;
use crate::app::Pane;
use crate::state::{LinkCondition, QemuState, State, command_outcome_text, reject_reason_name};
use protocol::command::CommandOutcome;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// Keys and their meaning, as shown while `focus` has the focus.
fn key_hints(focus: Pane) -> [(&'static str, &'static str); 7] {
    let (moves, ends) = match focus {
        Pane::Processes => ("select", "first/last"),
        Pane::Events => ("select", "newest/oldest"),
        Pane::Log => ("scroll", "oldest/follow"),
        Pane::Subscribers => ("subscriber", "first/last"),
    };
    [
        ("q", "quit"),
        ("?", "keys"),
        ("1-5", "view"),
        ("Tab", "focus"),
        ("↑↓", moves),
        ("PgUp PgDn", "page"),
        ("Home End", ends),
    ]
}

/// The latest answer to a host command: `command 7: done (4)`, or a
/// rejected command frame.
fn command_notice(state: &State) -> Option<(String, ratatui::style::Style)> {
    let commands = state.commands();
    let result = commands.last();
    let rejection = commands.last_rejection;
    let result_is_newer = match (result, rejection) {
        (Some((_, report)), Some(rejection)) => report.time_us >= rejection.time_us,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if result_is_newer {
        let (id, report) = result?;
        let style = match report.outcome {
            CommandOutcome::Done(_) => THEME.good,
            CommandOutcome::Failed(_) => THEME.warning,
        };
        return Some((
            format!("command {id}: {} ", command_outcome_text(report.outcome)),
            style,
        ));
    }
    let rejection = rejection?;
    Some((
        format!(
            "command rejected: {} ({} so far) ",
            reject_reason_name(rejection.reason),
            commands.rejected
        ),
        THEME.bad,
    ))
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
        let notice = match (self.state.qemu(), self.state.link_condition()) {
            (QemuState::Exited(_), _) => {
                Some(("QEMU has exited; q quits ".to_string(), THEME.warning))
            }
            (_, LinkCondition::Down { for_ }) => Some((
                format!(
                    "link down for {}: {}; retrying ",
                    format::seconds(for_),
                    self.state
                        .attachment()
                        .and_then(|attachment| attachment.last_problem.as_deref())
                        .unwrap_or("not connected yet")
                ),
                THEME.bad,
            )),
            (_, LinkCondition::Stale { silent_for }) => Some((
                format!("link stale: no frame for {} ", format::seconds(silent_for)),
                THEME.bad,
            )),
            (QemuState::Running { .. }, LinkCondition::Waiting) => {
                Some(("waiting for the first frame ".to_string(), THEME.warning))
            }
            _ => command_notice(self.state),
        };
        let notice_width = notice
            .as_ref()
            .map_or(0, |(text, _)| text.chars().count() + 1);
        // Whole hints only, as many as fit beside the notice.
        let room = usize::from(area.width).saturating_sub(notice_width);
        let mut used = 0;
        let mut hints: Vec<Span> = Vec::new();
        for (key, meaning) in key_hints(self.focus) {
            let key = format!(" {key} ");
            let meaning = format!(" {meaning}  ");
            let width = key.chars().count() + meaning.trim_end().chars().count();
            if used + width > room {
                break;
            }
            used += key.chars().count() + meaning.chars().count();
            hints.push(Span::styled(key, THEME.key));
            hints.push(Span::raw(meaning));
        }
        Line::from(hints).render(area, buf);
        if let Some((text, style)) = notice {
            Line::styled(text, style).right_aligned().render(area, buf);
        }
    }
}
