//! The alert banner: what went wrong (or that the guest powered off), shown
//! prominently until the user quits.

use super::theme::THEME;
use crate::state::{Failure, QemuState, State, describe_fault, exit_code_meaning};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget};

/// Message lines of a panic shown at most.
const PANIC_MESSAGE_LINES: usize = 3;

/// QEMU stderr lines shown at most.
const STDERR_LINES: usize = 3;

/// How serious an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The run failed.
    Failure,
    /// The run ended normally.
    Notice,
}

/// A banner: a title and a few lines of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// How serious it is.
    pub severity: Severity,
    /// The headline, in capitals.
    pub title: String,
    /// The details, one per line.
    pub lines: Vec<String>,
}

impl Alert {
    /// The alert `state` calls for, if any: its failure, or a notice that
    /// the guest powered off.
    pub fn for_state(state: &State) -> Option<Self> {
        let Some(failure) = state.failure() else {
            let ended = state.guest().power_off.is_some() || state.qemu().exit().is_some();
            return ended.then(|| Alert {
                severity: Severity::Notice,
                title: "GUEST POWERED OFF".into(),
                lines: vec![exit_line(state)],
            });
        };
        let (title, mut lines) = match &failure {
            Failure::ProtocolRefused { .. } => (
                "PROTOCOL MISMATCH",
                vec![
                    failure.to_string(),
                    "Its frames are counted on the link but not interpreted.".into(),
                ],
            ),
            Failure::KernelPanic(panic) => {
                let mut lines = vec![format!("panicked at {}", panic.location())];
                lines.extend(
                    panic
                        .message
                        .lines()
                        .take(PANIC_MESSAGE_LINES)
                        .map(str::to_string),
                );
                ("KERNEL PANIC", lines)
            }
            Failure::KernelFault(fault) => ("KERNEL FAULT", vec![describe_fault(fault)]),
            Failure::GuestExit { .. } => ("GUEST FAILED", vec![failure.to_string()]),
            Failure::QemuDied(exit) => {
                let skip = exit.stderr_tail.len().saturating_sub(STDERR_LINES);
                let mut lines = vec![format!("QEMU exited with {exit} and no guest exit code")];
                lines.extend(exit.stderr_tail.iter().skip(skip).cloned());
                ("QEMU DIED", lines)
            }
            Failure::NoTelemetry { .. } => ("NO TELEMETRY", vec![failure.to_string()]),
        };
        if !matches!(failure, Failure::QemuDied(_)) {
            lines.push(exit_line(state));
        }
        Some(Alert {
            severity: Severity::Failure,
            title: title.into(),
            lines,
        })
    }

    /// Rows the banner needs, borders included.
    pub fn height(&self) -> u16 {
        u16::try_from(self.lines.len() + 2).unwrap_or(u16::MAX)
    }
}

/// `guest exit code 0x30 (kernel panic) · QEMU exited with status 129`.
fn exit_line(state: &State) -> String {
    let guest = match state.exit_code() {
        Some(code) => format!("guest exit code {code:#04x} ({})", exit_code_meaning(code)),
        None => "no guest exit code".to_string(),
    };
    let qemu = match state.qemu() {
        QemuState::NotStarted => "QEMU not started".to_string(),
        QemuState::Running { .. } => "QEMU still running".to_string(),
        QemuState::Exited(exit) => format!("QEMU exited with {exit}"),
    };
    format!("{guest} · {qemu}")
}

impl Widget for &Alert {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let style = match self.severity {
            Severity::Failure => THEME.alert_failure,
            Severity::Notice => THEME.alert_notice,
        };
        let block = Block::bordered()
            .border_style(style)
            .title(Line::styled(format!(" {} ", self.title), style));
        let lines: Vec<Line> = self
            .lines
            .iter()
            .map(|line| Line::from(format!(" {line}")))
            .collect();
        Paragraph::new(lines)
            .style(THEME.value)
            .block(block)
            .render(area, buf);
    }
}
