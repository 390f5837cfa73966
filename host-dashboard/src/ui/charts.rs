//! The charts view: system-wide history (free memory and swap, frames/s,
//! faults/s, the worst ack p99) as line charts over guest time, and each
//! selected subscriber's ack-latency distribution (the kernel's histogram,
//! by power of two) as a bar chart, beside the list of subscribers that
//! ↑/↓ pick from.
//!
//! ```text
//! ┌ Memory (MiB) ───────────┐┌ Frames/s ────────────────┐
//! │ free ⣀⣀⡠⠤⠔ swap ⣀⣀⣀     ││ ⠤⠤⠔⠒⠉⠉⠑⠒⠤⠤              │
//! └─────────────────────────┘└──────────────────────────┘
//! ┌ Faults/s ───────────────┐┌ Ack p99 (ms) ────────────┐
//! └─────────────────────────┘└──────────────────────────┘
//! ┌ Subscribers (↑↓) ───────┐┌ Ack latency of ipc ──────┐
//! │ ipc   p50 40µ p99 320µ  ││ ▇ █ ▃                    │
//! │ acct  p50 120µ p99 1m   ││ <32µ <65µ <131µ          │
//! └─────────────────────────┘└──────────────────────────┘
//! ```

use super::panel;
use super::theme::THEME;
use crate::state::{HistorySample, PAGE_SIZE, State};
use protocol::message::LatencyHistogram;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Chart, Dataset, GraphType, Paragraph, Widget,
};

/// The charts view of a state.
pub struct ChartsView<'a> {
    state: &'a State,
    selected: Option<u32>,
}

impl<'a> ChartsView<'a> {
    /// The view of `state`.
    pub fn new(state: &'a State) -> Self {
        Self {
            state,
            selected: None,
        }
    }

    /// Draws the distribution of subscriber `endpoint` (highlighted in the
    /// list).
    pub fn selected(mut self, endpoint: Option<u32>) -> Self {
        self.selected = endpoint;
        self
    }
}

/// Width of the subscriber list beside the distribution.
const SUBSCRIBER_LIST_WIDTH: u16 = 34;

/// One line of a chart: its name, style and points (x: guest seconds).
struct Series {
    name: &'static str,
    style: Style,
    points: Vec<(f64, f64)>,
}

fn series(
    samples: &[HistorySample],
    name: &'static str,
    style: Style,
    value: impl Fn(&HistorySample) -> f64,
) -> Series {
    Series {
        name,
        style,
        points: samples
            .iter()
            .map(|sample| (sample.time_us as f64 / 1e6, value(sample)))
            .collect(),
    }
}

/// A number for an axis label: short.
fn short(value: f64) -> String {
    if value >= 100.0 || value == 0.0 {
        format!("{value:.0}")
    } else if value >= 1.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

fn line_chart(title: &str, lines: &[Series], area: Rect, buf: &mut Buffer) {
    let points = lines.iter().flat_map(|line| line.points.iter());
    let (mut x_min, mut x_max, mut y_max) = (f64::MAX, f64::MIN, 0.0f64);
    for &(x, y) in points {
        x_min = x_min.min(x);
        x_max = x_max.max(x);
        y_max = y_max.max(y);
    }
    if x_min > x_max {
        Paragraph::new(Line::styled(" waiting for snapshots", THEME.muted))
            .block(panel(title))
            .render(area, buf);
        return;
    }
    let y_max = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let x_max = x_max.max(x_min + 1.0);
    let datasets: Vec<Dataset> = lines
        .iter()
        .map(|line| {
            Dataset::default()
                .name(line.name)
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(line.style)
                .data(&line.points)
        })
        .collect();
    Chart::new(datasets)
        .block(panel(title))
        .x_axis(
            Axis::default()
                .style(THEME.muted)
                .bounds([x_min, x_max])
                .labels([format!("{x_min:.0} s"), format!("{x_max:.0} s")]),
        )
        .y_axis(
            Axis::default()
                .style(THEME.muted)
                .bounds([0.0, y_max])
                .labels(["0".to_string(), short(y_max)]),
        )
        .legend_position(Some(ratatui::widgets::LegendPosition::TopLeft))
        .hidden_legend_constraints((Constraint::Percentage(60), Constraint::Percentage(60)))
        .render(area, buf);
}

/// A latency in nanoseconds as a short label (`16µ`, `2m`, `1s`).
fn latency_label(ns: u64) -> String {
    match ns {
        0..1_000 => format!("{ns}n"),
        1_000..1_000_000 => format!("{}µ", ns / 1_000),
        1_000_000..1_000_000_000 => format!("{}m", ns / 1_000_000),
        _ => format!("{}s", ns / 1_000_000_000),
    }
}

/// A subscriber's distribution: a bar per bucket from its lowest to its
/// highest non-empty one, labelled with the bucket's upper bound.
fn distribution(title: &str, histogram: Option<&LatencyHistogram>, area: Rect, buf: &mut Buffer) {
    let Some(histogram) = histogram.filter(|histogram| histogram.buckets.total() > 0) else {
        Paragraph::new(Line::styled(" no acks measured yet", THEME.muted))
            .block(panel(title))
            .render(area, buf);
        return;
    };
    let buckets: Vec<(u32, u32)> = histogram.buckets.non_empty().collect();
    let (first, last) = (buckets[0].0, buckets[buckets.len() - 1].0);
    let bars: Vec<Bar> = (first..=last)
        .map(|bucket| {
            let count = histogram.buckets.count(bucket as usize);
            let upper = 1u64.checked_shl(bucket).unwrap_or(u64::MAX);
            Bar::default()
                .value(u64::from(count))
                .label(Line::from(format!("<{}", latency_label(upper))))
                .style(THEME.sparkline)
                .value_style(THEME.value)
        })
        .collect();
    let width = u16::try_from(bars.len()).unwrap_or(u16::MAX).max(1);
    let inner = area.width.saturating_sub(2);
    let bar_width = (inner / width).saturating_sub(1).clamp(1, 6);
    BarChart::default()
        .block(panel(title))
        .data(BarGroup::default().bars(&bars))
        .bar_width(bar_width)
        .bar_gap(1)
        .render(area, buf);
}

impl Widget for ChartsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let samples: Vec<HistorySample> = self.state.history().samples().iter().copied().collect();
        let subscribers = self.state.system().subscribers().entries();
        let distribution_rows = if subscribers.is_empty() { 0 } else { 10 };
        let [top, middle, bottom] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Fill(1),
            Constraint::Length(distribution_rows),
        ])
        .areas(area);
        let [memory, frames] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(top);
        let [faults, latency] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(middle);
        let mib = |pages: u64| (pages * PAGE_SIZE) as f64 / (1024.0 * 1024.0);
        line_chart(
            "Memory (MiB)",
            &[
                series(&samples, "free", THEME.good, |s| mib(s.free_pages)),
                series(&samples, "swap used", THEME.warning, |s| mib(s.swap_used)),
            ],
            memory,
            buf,
        );
        line_chart(
            "Frames/s",
            &[series(&samples, "frames/s", THEME.value, |s| {
                s.frames_per_second
            })],
            frames,
            buf,
        );
        line_chart(
            "Page faults/s",
            &[series(&samples, "faults/s", THEME.warning, |s| {
                s.faults_per_second
            })],
            faults,
            buf,
        );
        line_chart(
            "Ack latency p99 (ms), worst subscriber",
            &[series(&samples, "p99", THEME.bad, |s| {
                s.ack_p99_ns as f64 / 1e6
            })],
            latency,
            buf,
        );
        if subscribers.is_empty() {
            return;
        }
        let [list, chart] = Layout::horizontal([
            Constraint::Length(SUBSCRIBER_LIST_WIDTH),
            Constraint::Fill(1),
        ])
        .areas(bottom);
        let lines: Vec<Line> = subscribers
            .iter()
            .map(|subscriber| {
                let text = format!(
                    " {:<8} p50 {:>5} p99 {:>5}",
                    subscriber.display_name(),
                    latency_label(subscriber.latency.p50_ns),
                    latency_label(subscriber.latency.p99_ns)
                );
                if Some(subscriber.endpoint) == self.selected {
                    Line::styled(text, THEME.selected)
                } else {
                    Line::styled(text, THEME.value)
                }
            })
            .collect();
        Paragraph::new(lines)
            .block(panel("Subscribers (↑↓)"))
            .render(list, buf);
        if let Some(subscriber) = subscribers
            .iter()
            .find(|subscriber| Some(subscriber.endpoint) == self.selected)
        {
            let count = subscriber
                .histogram
                .as_ref()
                .map_or(0, |histogram| histogram.buckets.total());
            let title = format!(
                "Ack latency of {}: {count} acks by power of two",
                subscriber.display_name()
            );
            distribution(&title, subscriber.histogram.as_ref(), chart, buf);
        }
    }
}
