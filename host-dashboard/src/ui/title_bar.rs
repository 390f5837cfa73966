//! The title bar: image, protocol, boot id, guest uptime, QEMU state, and
//! the views (tabs) on the right, the one on screen highlighted.

use super::format;
use super::theme::THEME;
use crate::app::View;
use crate::state::{QemuState, State};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// One line naming what runs and how long it has been up.
#[derive(Clone, Copy, Debug)]
pub struct TitleBar<'a> {
    state: &'a State,
    view: View,
    replay: bool,
}

impl<'a> TitleBar<'a> {
    /// The title bar for `state`, with `view` on screen.
    pub fn new(state: &'a State, view: View) -> Self {
        Self {
            state,
            view,
            replay: false,
        }
    }

    /// This title bar for a replay: the QEMU it names is the recorded one,
    /// not a process running now.
    pub fn replaying(mut self, replay: bool) -> Self {
        self.replay = replay;
        self
    }
}

/// The tabs: each view's key and title (when `compact`, only the one on
/// screen has its title), the one on screen highlighted.
fn tabs(current: View, compact: bool) -> Line<'static> {
    let spans: Vec<Span> = View::ALL
        .into_iter()
        .flat_map(|view| {
            let style = if view == current {
                THEME.tab_active
            } else {
                THEME.tab_inactive
            };
            let label = if compact && view != current {
                format!(" {} ", view.key())
            } else {
                format!(" {} {} ", view.key(), view.title())
            };
            [Span::styled(label, style), Span::raw(" ")]
        })
        .collect();
    Line::from(spans)
}

impl Widget for TitleBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        buf.set_style(area, THEME.title_bar);
        let state = self.state;
        let identity = state.guest().identity.as_ref();
        let protocol = match (state.refused_version(), identity) {
            (Some(version), _) => (format!("v{version} refused"), THEME.title_alert),
            (None, Some(identity)) => {
                (format!("v{}", identity.protocol_version), THEME.title_value)
            }
            (None, None) => ("-".to_string(), THEME.title_value),
        };
        let boot = identity.map_or_else(
            || "-".to_string(),
            |identity| format::boot_id(identity.boot_id),
        );
        let source = match (state.attachment(), state.qemu()) {
            (Some(attachment), _) => (
                "link",
                attachment.describe(),
                if attachment.is_up() {
                    THEME.title_value
                } else {
                    THEME.title_alert
                },
            ),
            (None, qemu) => {
                let (text, style) = qemu_field(qemu);
                let label = if self.replay { "recorded QEMU" } else { "QEMU" };
                (label, text, style)
            }
        };
        let fields = [
            ("image", (state.image().to_string(), THEME.title_value)),
            ("protocol", protocol),
            ("boot", (boot, THEME.title_value)),
            (
                "up",
                (format::uptime(state.guest().uptime_ns), THEME.title_value),
            ),
            (source.0, (source.1, source.2)),
        ];
        let spans: Vec<Span> = fields
            .into_iter()
            .flat_map(|(label, (value, style))| {
                [
                    Span::styled(format!(" {label} "), THEME.title_label),
                    Span::styled(value, style),
                    Span::raw(" "),
                ]
            })
            .collect();
        let line = Line::from(spans);
        let room = usize::from(area.width).saturating_sub(line.width());
        let tabs = [false, true]
            .into_iter()
            .map(|compact| tabs(self.view, compact))
            .find(|tabs| tabs.width() < room);
        line.render(area, buf);
        if let Some(tabs) = tabs {
            tabs.right_aligned().render(area, buf);
        }
    }
}

/// The title bar's QEMU field.
fn qemu_field(qemu: &QemuState) -> (String, ratatui::style::Style) {
    match qemu {
        QemuState::NotStarted => ("not started".to_string(), THEME.title_value),
        QemuState::Running { pid, .. } => (format!("running (pid {pid})"), THEME.title_value),
        QemuState::Exited(exit) => (format!("exited ({exit})"), THEME.title_alert),
    }
}
