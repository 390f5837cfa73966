//! The guest panel: details from Hello and the heartbeats, and the exit
//! code.

use super::theme::THEME;
use super::{field, format, panel};
use crate::state::{PlatformNames, State, exit_code_meaning};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

/// What the guest reported about itself.
#[derive(Clone, Copy, Debug)]
pub struct GuestPanel<'a> {
    state: &'a State,
}

impl<'a> GuestPanel<'a> {
    /// The panel for `state`.
    pub fn new(state: &'a State) -> Self {
        Self { state }
    }
}

impl Widget for GuestPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = panel("Guest");
        let inner = block.inner(area);
        block.render(area, buf);
        let guest = self.state.guest();
        let identity = guest.identity.as_ref();
        let unknown = || "-".to_string();
        let idle = if guest.uptime_ns == 0 {
            unknown()
        } else {
            format!(
                "{:.1} %",
                guest.idle_ns as f64 * 100.0 / guest.uptime_ns as f64
            )
        };
        let exit_code = self.state.exit_code().map_or_else(unknown, |code| {
            format!("{code:#04x} {}", exit_code_meaning(code))
        });
        let exit_style = match self.state.exit_code() {
            Some(0) => THEME.good,
            Some(_) => THEME.value_bad,
            None => THEME.value,
        };
        let platform = identity.map(|identity| PlatformNames::from(&identity.platform));
        let rows = [
            (
                "TSC",
                identity.map_or_else(unknown, |identity| format::frequency(identity.tsc_hz)),
                THEME.value,
            ),
            ("idle", idle, THEME.value),
            ("heartbeats", guest.heartbeats.to_string(), THEME.value),
            ("ring drops", guest.dropped_total.to_string(), THEME.value),
            ("boots", guest.boots.to_string(), THEME.value),
            ("exit code", exit_code, exit_style),
            (
                "machine",
                platform.map_or_else(unknown, |names| {
                    format!("{} {} {}", names.machine, names.boot_path, names.firmware)
                }),
                THEME.value,
            ),
            (
                "disk",
                platform.map_or_else(unknown, |names| {
                    format!("{}, programs: {}", names.disk, names.programs)
                }),
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
