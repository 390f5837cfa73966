//! The process detail view (Enter on a process; Esc goes back): what it
//! is, its minor and major fault rates over the last minute as sparklines,
//! its regions, and the process events about it.

use super::format;
use super::panel;
use super::region_list::RegionList;
use super::theme::THEME;
use crate::state::{EventEnd, ExitedProcess, Process, System, event_kind_name, process_state_name};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Sparkline, Widget};

/// Rows of the summary panel, borders included.
const SUMMARY_ROWS: u16 = 7;

/// Rows of each sparkline panel, borders included.
const SPARK_ROWS: u16 = 4;

/// The details of process `pid`.
#[derive(Clone, Copy, Debug)]
pub struct DetailView<'a> {
    pid: u32,
    system: &'a System,
}

impl<'a> DetailView<'a> {
    /// The details of `pid` from `system` (it may have exited).
    pub fn new(pid: u32, system: &'a System) -> Self {
        Self { pid, system }
    }
}

fn summary_lines(process: &Process) -> Vec<Line<'static>> {
    let vm = &process.vm;
    vec![
        Line::styled(
            format!(
                " parent {}  state {}  {}",
                process.parent,
                process_state_name(process.state),
                if process.privileged {
                    "system service"
                } else {
                    "program"
                }
            ),
            THEME.value,
        ),
        Line::styled(
            format!(
                " CPU {} ({})  pages {} now, {} at most",
                format::cpu_time(process.cpu_ns),
                format::percent(process.cpu_percent()),
                vm.vm_total_pages,
                vm.vm_total_max_pages
            ),
            THEME.value,
        ),
        Line::styled(
            format!(
                " VM flags: {}",
                match process.vm_flag_names() {
                    Some(names) if names.is_empty() => "none".to_string(),
                    Some(names) => names.join(", "),
                    None => "not reported".to_string(),
                }
            ),
            THEME.value,
        ),
        Line::styled(
            format!(
                " faults: minor {} ({}/s)  major {} ({}/s)",
                vm.minor_faults,
                format::short_rate(process.minor_faults_per_second()),
                vm.major_faults,
                format::short_rate(process.major_faults_per_second())
            ),
            THEME.value,
        ),
        Line::styled(
            format!(
                " signals received {}  handlers run {}  CPU exceptions {}  bad pointers {}",
                process.signals_received,
                process.handlers_run,
                process.user_faults,
                process.bad_pointers
            ),
            THEME.muted,
        ),
    ]
}

fn exit_line(exit: &ExitedProcess) -> Line<'static> {
    let how = match (exit.status, exit.signal) {
        (_, Some(signal)) => format!("killed by {}", crate::state::signal_label(signal)),
        (Some(status), None) => format!("exited with status {status}"),
        (None, None) => "exited".to_string(),
    };
    Line::styled(
        format!(
            " {} {how} at {}",
            exit.name,
            format::guest_seconds(exit.time_us)
        ),
        THEME.warning,
    )
}

/// The process events about `pid`, newest first, one line each.
fn event_lines(system: &System, pid: u32) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = system
        .event_flow()
        .records()
        .rev()
        .filter(|record| record.pid == pid)
        .map(|record| {
            let end = match record.end {
                Some(EventEnd::Done { elapsed_ns, .. }) => {
                    format!("done in {}", format::nanoseconds(elapsed_ns))
                }
                Some(_) => "over".to_string(),
                None => match record.waiting_on() {
                    Some(waiting) => format!("waiting on {}", waiting.name),
                    None => "in flight".to_string(),
                },
            };
            Line::styled(
                format!(
                    " #{} {} at {}: {} subscriber(s) notified, {end}",
                    record.event_id,
                    event_kind_name(record.kind),
                    format::offset(record.published_ns),
                    record.notifications.len()
                ),
                THEME.value,
            )
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled(
            " no process events about it held",
            THEME.muted,
        ));
    }
    lines
}

fn sparkline(title: &str, data: &[u64], area: Rect, buf: &mut Buffer) {
    // The newest rates at the right edge.
    let width = usize::from(area.width.saturating_sub(2));
    let shown = &data[data.len().saturating_sub(width)..];
    let peak = shown.iter().copied().max().unwrap_or(0);
    Sparkline::default()
        .block(panel(&format!("{title} · peak {peak}/s · last 60 s")))
        .data(shown)
        .style(THEME.sparkline)
        .render(area, buf);
}

impl Widget for DetailView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let process = self.system.process(self.pid);
        let name = process.map_or_else(
            || {
                self.system
                    .exited()
                    .rev()
                    .find(|exit| exit.pid == self.pid)
                    .map_or("?".to_string(), |exit| exit.name.clone())
            },
            |process| process.name.clone(),
        );
        let title = format!("Process {} {name} · Esc: back", self.pid);
        let [summary, minor, major, regions, events] = Layout::vertical([
            Constraint::Length(SUMMARY_ROWS),
            Constraint::Length(SPARK_ROWS),
            Constraint::Length(SPARK_ROWS),
            Constraint::Max(10),
            Constraint::Min(3),
        ])
        .areas(area);
        let mut lines = process.map_or_else(Vec::new, summary_lines);
        if let Some(exit) = self.system.exited().rev().find(|exit| exit.pid == self.pid) {
            lines.push(exit_line(exit));
        } else if process.is_none() {
            lines.push(Line::styled(
                " no longer in the process table",
                THEME.warning,
            ));
        }
        Paragraph::new(lines)
            .block(panel(&title))
            .render(summary, buf);
        let (minor_rates, major_rates) =
            process.map_or_else(Default::default, Process::fault_rate_history);
        sparkline("minor faults/s", &minor_rates, minor, buf);
        sparkline("major faults/s", &major_rates, major, buf);
        RegionList::new(process).render(regions, buf);
        Paragraph::new(event_lines(self.system, self.pid))
            .block(panel("Its process events, newest first"))
            .render(events, buf);
    }
}
