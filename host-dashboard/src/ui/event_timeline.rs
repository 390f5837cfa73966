//! The timeline of one event: from its publication through each
//! subscriber's notification and ack (or the ignored acks that named it) to
//! its completion and what followed, each at its offset from the
//! publication:
//!
//! ```text
//!  published  12.300 s
//!  → ipc      notified +0 µs      acked +48 µs      48 µs
//!  → acct     notified +48 µs     acked +95 µs      47 µs
//!  ✓ done     +95 µs
//!  ✓ reaped   +1.2 ms
//! ```

use super::event_list::status;
use super::theme::THEME;
use super::{format, panel};
use crate::state::{
    Clearance, EventEnd, EventRecord, FollowUpKind, NotificationOutcome, StuckEvent, StuckWarning,
    StuckWatch, UnseenEnd, event_kind_name, ignored_reason_name, signal_label,
};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Rows the timeline takes at most, borders included.
pub const MAX_ROWS: u16 = 12;

/// Width of the label column (`→ name`, `published`, ...).
const LABEL: usize = 11;

/// One event, step by step.
#[derive(Clone, Debug)]
pub struct EventTimeline<'a> {
    record: Option<&'a EventRecord>,
    stuck: Option<&'a StuckEvent>,
    /// Its stuck episodes that ended.
    episodes: Vec<&'a StuckWarning>,
    now_ns: u64,
}

impl<'a> EventTimeline<'a> {
    /// The timeline of `record` at guest time `now_ns`; `watch` says
    /// whether it is stuck now, or was.
    pub fn new(record: Option<&'a EventRecord>, watch: &'a StuckWatch, now_ns: u64) -> Self {
        let event_id = record.map(|record| record.event_id);
        let stuck = watch
            .current()
            .iter()
            .find(|event| event.event_id.is_some() && event.event_id == event_id);
        let episodes = watch
            .warnings()
            .filter(|warning| {
                !warning.is_active()
                    && warning.event.event_id.is_some()
                    && warning.event.event_id == event_id
            })
            .collect();
        Self {
            record,
            stuck,
            episodes,
            now_ns,
        }
    }

    /// Rows it needs, borders included, within `MAX_ROWS`.
    pub fn height(&self) -> u16 {
        let lines = self.record.map_or(1, |record| {
            steps(record, self.now_ns, self.stuck, &self.episodes).len()
        });
        u16::try_from(lines + 2)
            .unwrap_or(u16::MAX)
            .clamp(3, MAX_ROWS)
    }
}

/// `label` padded to the label column, then the parts.
fn step(label: String, label_style: Style, parts: Vec<Span<'static>>) -> Line<'static> {
    let mut label: String = label.chars().take(LABEL).collect();
    let pad = LABEL.saturating_sub(label.chars().count());
    label.push_str(&" ".repeat(pad));
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(label, label_style),
        Span::raw(" "),
    ];
    spans.extend(parts);
    Line::from(spans)
}

/// `text` in `style`, padded to `width`.
fn padded(text: String, width: usize, style: Style) -> Span<'static> {
    Span::styled(format!("{text:<width$}"), style)
}

/// The lines of `record`'s timeline, in the order things happened.
fn steps(
    record: &EventRecord,
    now_ns: u64,
    stuck: Option<&StuckEvent>,
    episodes: &[&StuckWarning],
) -> Vec<Line<'static>> {
    let start = record.published_ns;
    let at = |ns: u64| format::offset(ns.saturating_sub(start));
    let mut timed: Vec<(u64, Line<'static>)> = Vec::new();
    for notification in &record.notifications {
        let notified = [
            Span::styled("notified ", THEME.label),
            padded(at(notification.notified_ns), 9, THEME.value),
        ];
        let outcome: Vec<Span<'static>> = match notification.outcome {
            NotificationOutcome::Acked { at_ns, latency_ns } => vec![
                Span::styled("acked ", THEME.label),
                padded(at(at_ns), 9, THEME.value),
                Span::styled(format::nanoseconds(latency_ns), THEME.muted),
            ],
            NotificationOutcome::Waiting => {
                let waited = format::nanoseconds(now_ns.saturating_sub(notification.notified_ns));
                if stuck.is_some() {
                    vec![Span::styled(
                        format!("no ack for {waited}: STUCK"),
                        THEME.stuck,
                    )]
                } else {
                    vec![Span::styled(format!("waiting {waited}"), THEME.warning)]
                }
            }
            NotificationOutcome::SubscriberGone { at_ns } => vec![Span::styled(
                format!("died at {}: moved on", at(at_ns)),
                THEME.warning,
            )],
            NotificationOutcome::AckUnseen => {
                vec![Span::styled("ack not seen", THEME.muted)]
            }
        };
        let mut parts = notified.to_vec();
        parts.extend(outcome);
        let label = format!("→ {}", notification.name);
        timed.push((
            notification.notified_ns,
            step(label, THEME.privileged, parts),
        ));
    }
    for ignored in &record.ignored_acks {
        let text = format!(
            "ack from {} ignored ({}) at {}",
            ignored.name,
            ignored_reason_name(ignored.reason),
            at(ignored.at_ns)
        );
        timed.push((
            ignored.at_ns,
            step(
                "✗ ignored".into(),
                THEME.warning,
                vec![Span::styled(text, THEME.warning)],
            ),
        ));
    }
    match record.end {
        Some(EventEnd::Done { at_ns, .. }) => timed.push((
            at_ns,
            step(
                "✓ done".into(),
                THEME.good,
                vec![Span::styled(at(at_ns), THEME.value)],
            ),
        )),
        Some(EventEnd::Unseen { at_ns, why }) => {
            let why = match why {
                UnseenEnd::Superseded => "a newer event came",
                UnseenEnd::ProcessMovedOn => "the process ran on",
                UnseenEnd::ProcessGone => "the process is gone",
            };
            timed.push((
                at_ns,
                step(
                    "… ended".into(),
                    THEME.muted,
                    vec![Span::styled(
                        format!("by {} (completion not seen: {why})", at(at_ns)),
                        THEME.muted,
                    )],
                ),
            ));
        }
        None => {}
    }
    if let Some(follow_up) = record.follow_up {
        let (label, detail) = match follow_up.what {
            FollowUpKind::Reaped => ("✓ reaped", String::new()),
            FollowUpKind::HandlerEntered { signal } => {
                ("✓ handler", format!(" ({})", signal_label(signal)))
            }
        };
        timed.push((
            follow_up.at_ns,
            step(
                label.into(),
                THEME.good,
                vec![
                    Span::styled(at(follow_up.at_ns), THEME.value),
                    Span::styled(detail, THEME.muted),
                ],
            ),
        ));
    }
    for episode in episodes {
        let how = match episode.clearance {
            Some(Clearance::Acked) => "until it acked",
            Some(Clearance::SubscriberGone) => "until it died",
            Some(Clearance::EventEnded) => "until the event ended",
            Some(Clearance::Unknown) | None => "",
        };
        let text = format!(
            "{} kept it waiting {} {how}",
            episode.event.subscriber_name,
            format::nanoseconds(episode.event.age_ns)
        );
        timed.push((
            episode.cleared_ns.unwrap_or(episode.raised_ns),
            step(
                "⚠ was stuck".into(),
                THEME.bad,
                vec![Span::styled(text.trim_end().to_string(), THEME.bad)],
            ),
        ));
    }
    // In the order things happened (a stable sort: a notification's line
    // stays before the completion at the same instant).
    timed.sort_by_key(|(ns, _)| *ns);
    let mut lines = vec![step(
        "published".into(),
        THEME.label,
        vec![
            Span::styled(
                format!("{} s", format::guest_seconds(start / 1_000)),
                THEME.value,
            ),
            Span::styled(" guest time", THEME.muted),
        ],
    )];
    if record.notifications.is_empty() {
        lines.push(step(
            "→ nobody".into(),
            THEME.muted,
            vec![Span::styled("no subscriber wanted it", THEME.muted)],
        ));
    }
    lines.extend(timed.into_iter().map(|(_, line)| line));
    lines
}

impl Widget for EventTimeline<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Some(record) = self.record else {
            Paragraph::new(Line::styled(" no event selected", THEME.muted))
                .block(panel("Event"))
                .render(area, buf);
            return;
        };
        let title = format!(
            "Event #{} · {} of pid {} ({})",
            record.event_id,
            event_kind_name(record.kind),
            record.pid,
            record.process
        );
        let (status, style) = status(record, self.stuck.is_some());
        let mut block =
            panel(&title).title(Line::styled(format!(" {status} "), style).right_aligned());
        if self.stuck.is_some() {
            block = block.border_style(THEME.bad);
        }
        let lines = steps(record, self.now_ns, self.stuck, &self.episodes);
        let inner = block.inner(area);
        let hidden = lines.len().saturating_sub(usize::from(inner.height));
        if hidden > 0 {
            block = block.title_bottom(
                Line::styled(format!(" {hidden} more steps not shown "), THEME.warning)
                    .right_aligned(),
            );
        }
        Paragraph::new(lines).block(block).render(area, buf);
    }
}
