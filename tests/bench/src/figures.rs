//! The results: one row per figure of the benchmark table, plus the scale
//! curves, and their rendering as a Markdown report and as JSON; and the
//! rule for when a figure's spread is too wide to trust.

use serde_json::{Value, json};

/// The widest spread a figure may have and still be called steady: its
/// 10th and 90th percentiles within this fraction of its median.
pub const TOLERANCE: f64 = 0.10;

/// Every figure id, in report order: `--only` takes these, and the JSON
/// report has one entry for each figure measured (a figure that cannot be
/// measured yet still appears, with `"value": null` and why).
pub const IDS: &[&str] = &[
    "ack_p50_over_ipc_rtt",
    "ack_p50_over_ipc_rtt_2_subscribers",
    "ack_p50_over_ipc_rtt_4_subscribers",
    "ipc_rtt_over_floor",
    "minor_fault_over_floor",
    "major_fault_over_disk_read",
    "telemetry_cycle_share",
    "telemetry_cycle_share_flooded",
    "telemetry_wall_clock_overhead",
    "telemetry_wall_clock_overhead_flooded",
    "bytes_per_lifecycle_event",
    "link_efficiency",
    "boot_over_floor_q35",
    "boot_over_floor_microvm",
    "fast_link_over_uart",
    "dashboard_throughput_over_link",
    "dashboard_memory_growth",
];

/// What a figure's spread describes, which decides what a wide spread means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// Independent repetitions (boots, windows, pairs): a wide spread is
    /// noise, and the runner repeats (up to a bound) to narrow it.
    Repeated,
    /// Individual events inside one run (every fault, every ack): the
    /// spread is the distribution of the events themselves, which more
    /// samples describe better but do not narrow.
    Distribution,
    /// One measurement (or a deterministic one): no spread to speak of.
    Single,
}

impl Sampling {
    fn as_str(self) -> &'static str {
        match self {
            Sampling::Repeated => "repeated",
            Sampling::Distribution => "distribution",
            Sampling::Single => "single",
        }
    }
}

/// A target: an upper or lower bound, or none (a figure kept for context).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    AtMost(f64),
    AtLeast(f64),
    None,
}

impl Target {
    fn text(self) -> String {
        match self {
            Target::AtMost(bound) => format!("<= {bound}"),
            Target::AtLeast(bound) => format!(">= {bound}"),
            Target::None => "-".into(),
        }
    }

    fn met(self, value: f64) -> bool {
        match self {
            Target::AtMost(bound) => value <= bound,
            Target::AtLeast(bound) => value >= bound,
            Target::None => true,
        }
    }
}

/// One figure: a ratio measured in one run, against its target.
pub struct Figure {
    /// Stable identifier (see [`IDS`]).
    pub id: &'static str,
    pub name: &'static str,
    /// The measured ratio (or value); `None` when it cannot be measured yet.
    pub value: Option<f64>,
    /// The spread: the ratio at the 10th and 90th percentiles (or min/max).
    pub spread: (f64, f64),
    pub target: Target,
    /// How many samples the value and spread summarise.
    pub samples: u64,
    pub sampling: Sampling,
    /// The two measurements behind the ratio, in words.
    pub detail: String,
    /// How it was measured.
    pub method: &'static str,
    /// Why there is no value (with `value: None`).
    pub missing: Option<String>,
}

/// A small table of a scale curve.
pub struct Curve {
    pub title: &'static str,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub note: &'static str,
}

/// Where and on what the figures were measured.
#[derive(Clone, Debug, Default)]
pub struct MachineInfo {
    pub cpu: String,
    pub cores: usize,
    pub qemu: String,
    pub accelerator: String,
    pub machine_type: String,
    pub date: String,
}

impl MachineInfo {
    fn sentence(&self) -> String {
        format!(
            "Machine: {}, {} cores. {}, accelerator **{}**, `-machine {}`, one vCPU. Date: {}.",
            self.cpu, self.cores, self.qemu, self.accelerator, self.machine_type, self.date
        )
    }
}

/// Everything measured.
pub struct Report {
    pub machine: MachineInfo,
    pub figures: Vec<Figure>,
    pub curves: Vec<Curve>,
    pub analysis: Vec<String>,
}

/// Median, 10th and 90th percentile (interpolated between the nearest
/// ranks) and count.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub p10: f64,
    pub p90: f64,
    pub n: u64,
}

/// Summarises `values` (sorted in place).
pub fn summarize(values: &mut [f64]) -> Summary {
    if values.is_empty() {
        return Summary::default();
    }
    values.sort_by(f64::total_cmp);
    let at = |fraction: f64| {
        let position = (values.len() - 1) as f64 * fraction;
        let below = position.floor() as usize;
        let above = position.ceil() as usize;
        values[below] + (values[above] - values[below]) * (position - below as f64)
    };
    Summary {
        median: at(0.5),
        p10: at(0.1),
        p90: at(0.9),
        n: values.len() as u64,
    }
}

/// Whether a spread `p10..p90` lies within ±[`TOLERANCE`] of `median`.
pub fn steady(median: f64, p10: f64, p90: f64) -> bool {
    // A hair over the tolerance, so that a spread of exactly ±10% (which
    // floating point may round up) counts as within it.
    let allowed = median.abs() * TOLERANCE * (1.0 + 1e-9);
    median - p10 <= allowed && p90 - median <= allowed
}

/// Samples until every column is steady, or `max` rows are taken.
///
/// `next` takes one sample of each column (say, one boot giving two
/// figures); `min` rows are always taken. Returns the rows, column by
/// column.
pub fn sample_until_steady(
    min: usize,
    max: usize,
    mut next: impl FnMut() -> Vec<f64>,
) -> Vec<Vec<f64>> {
    let mut columns: Vec<Vec<f64>> = Vec::new();
    let mut taken = 0;
    while taken < max {
        let row = next();
        if columns.is_empty() {
            columns = vec![Vec::new(); row.len()];
        }
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
        taken += 1;
        if taken >= min
            && columns.iter().all(|column| {
                let s = summarize(&mut column.clone());
                steady(s.median, s.p10, s.p90)
            })
        {
            break;
        }
    }
    columns
}

impl Figure {
    /// A measured figure.
    pub fn new(
        id: &'static str,
        name: &'static str,
        value: f64,
        spread: (f64, f64),
        target: Target,
    ) -> Self {
        Self {
            id,
            name,
            value: Some(value),
            spread,
            target,
            samples: 1,
            sampling: Sampling::Single,
            detail: String::new(),
            method: "",
            missing: None,
        }
    }

    /// A figure from a summary of `sampling` samples (of the ratio itself).
    pub fn summarised(
        id: &'static str,
        name: &'static str,
        summary: Summary,
        sampling: Sampling,
        target: Target,
    ) -> Self {
        let mut figure = Self::new(id, name, summary.median, (summary.p10, summary.p90), target);
        figure.samples = summary.n;
        figure.sampling = sampling;
        figure
    }

    /// A figure that cannot be measured yet, and why.
    pub fn missing(
        id: &'static str,
        name: &'static str,
        target: Target,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            id,
            name,
            value: None,
            spread: (f64::NAN, f64::NAN),
            target,
            samples: 0,
            sampling: Sampling::Single,
            detail: String::new(),
            method: "",
            missing: Some(reason.into()),
        }
    }

    pub fn samples(mut self, samples: u64, sampling: Sampling) -> Self {
        self.samples = samples;
        self.sampling = sampling;
        self
    }

    pub fn detail(mut self, detail: String) -> Self {
        self.detail = detail;
        self
    }

    pub fn method(mut self, method: &'static str) -> Self {
        self.method = method;
        self
    }

    /// Whether the target is met (a missing figure does not meet it).
    pub fn met(&self) -> bool {
        self.value.is_some_and(|value| self.target.met(value))
    }

    /// Whether the spread is within ±[`TOLERANCE`] of the value.
    pub fn steady(&self) -> bool {
        self.value
            .is_some_and(|value| steady(value, self.spread.0, self.spread.1))
    }

    /// What the table says about a wide spread (empty when steady).
    pub fn spread_note(&self) -> &'static str {
        if self.value.is_none() || self.steady() {
            return "";
        }
        match self.sampling {
            Sampling::Repeated => {
                "spread wider than ±10% of the median after the most repetitions the bench allows"
            }
            Sampling::Distribution => {
                "spread wider than ±10%: it is the distribution of the individual events, which more samples do not narrow"
            }
            Sampling::Single => "spread wider than ±10% (min..max of one run)",
        }
    }

    fn met_text(&self) -> &'static str {
        match (self.value, self.met()) {
            (None, _) => "not measured",
            (Some(_), true) => "yes",
            (Some(_), false) => "no",
        }
    }

    /// The figure as JSON.
    pub fn json(&self) -> Value {
        let number = |value: f64| {
            if value.is_finite() {
                json!(value)
            } else {
                Value::Null
            }
        };
        let (p10, p90) = match self.value {
            Some(_) => (number(self.spread.0), number(self.spread.1)),
            None => (Value::Null, Value::Null),
        };
        let (kind, bound) = match self.target {
            Target::AtMost(bound) => ("at_most", json!(bound)),
            Target::AtLeast(bound) => ("at_least", json!(bound)),
            Target::None => ("none", Value::Null),
        };
        json!({
            "id": self.id,
            "name": self.name,
            "value": self.value.map_or(Value::Null, number),
            "p10": p10,
            "p90": p90,
            "samples": self.samples,
            "sampling": self.sampling.as_str(),
            "steady": self.value.map(|_| self.steady()),
            "spread_note": match self.spread_note() { "" => Value::Null, note => json!(note) },
            "target": { "kind": kind, "bound": bound, "text": self.target.text() },
            "met": self.value.map(|_| self.met()),
            "missing": self.missing,
            "detail": self.detail,
            "method": self.method,
        })
    }
}

impl Report {
    /// The table, for the terminal.
    pub fn table(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{:<40} {:>10} {:>19} {:>8}  {}\n",
            "figure", "measured", "spread", "target", "met"
        ));
        for figure in &self.figures {
            match figure.value {
                Some(value) => out.push_str(&format!(
                    "{:<40} {:>10.3} {:>8.3} .. {:<8.3} {:>8}  {}{}\n",
                    figure.id,
                    value,
                    figure.spread.0,
                    figure.spread.1,
                    figure.target.text(),
                    figure.met_text(),
                    if figure.steady() {
                        ""
                    } else {
                        " (wide spread)"
                    }
                )),
                None => out.push_str(&format!(
                    "{:<40} {:>10} {:>19} {:>8}  not measured: {}\n",
                    figure.id,
                    "-",
                    "-",
                    figure.target.text(),
                    figure.missing.as_deref().unwrap_or("")
                )),
            }
        }
        out
    }

    /// The whole report as JSON: the machine and every figure.
    pub fn json(&self) -> Value {
        json!({
            "machine": {
                "cpu": self.machine.cpu,
                "cores": self.machine.cores,
                "qemu": self.machine.qemu,
                "accelerator": self.machine.accelerator,
                "machine_type": self.machine.machine_type,
                "date": self.machine.date,
            },
            "tolerance": TOLERANCE,
            "figures": self.figures.iter().map(Figure::json).collect::<Vec<_>>(),
        })
    }

    /// The whole report, as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str("# Benchmarks\n\n");
        out.push_str("Written by `cargo run --release -p bench` (see the README; `--json FILE` writes the same figures\n");
        out.push_str("as JSON, `--only ID[,ID]` runs some of them). Every figure below is a ratio of two measurements\n");
        out.push_str("taken in the same run, so machine noise affects both sides alike. Targets are where we mean to\n");
        out.push_str("be; a figure that misses its target is reported as it is. Every figure has its spread (10th to\n");
        out.push_str("90th percentile); a figure made of repeated runs is repeated (within a bound) until that spread\n");
        out.push_str(
            "is within ±10% of its median, and a figure whose spread stays wider says so.\n\n",
        );
        out.push_str(&self.machine.sentence());
        out.push_str(
            "\n\n| id | figure | measured | spread (p10..p90) | target | met | measurements | how |\n",
        );
        out.push_str("| --- | --- | ---: | --- | --- | --- | --- | --- |\n");
        for figure in &self.figures {
            let (measured, spread) = match figure.value {
                Some(value) => (
                    format!("{value:.3}"),
                    format!("{:.3} .. {:.3}", figure.spread.0, figure.spread.1),
                ),
                None => ("-".into(), "-".into()),
            };
            let mut detail = match &figure.missing {
                Some(reason) => format!("not measured: {reason}"),
                None => figure.detail.clone(),
            };
            let note = figure.spread_note();
            if !note.is_empty() {
                detail.push_str(&format!(" ({note}; {} samples)", figure.samples));
            }
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
                figure.id,
                figure.name,
                measured,
                spread,
                figure.target.text(),
                match figure.met_text() {
                    "no" => "**no**",
                    other => other,
                },
                detail,
                figure.method
            ));
        }
        for curve in &self.curves {
            out.push_str(&format!("\n## {}\n\n", curve.title));
            out.push_str(&format!("| {} |\n", curve.header.join(" | ")));
            out.push_str(&format!("|{}\n", " --- |".repeat(curve.header.len())));
            for row in &curve.rows {
                out.push_str(&format!("| {} |\n", row.join(" | ")));
            }
            if !curve.note.is_empty() {
                out.push_str(&format!("\n{}\n", curve.note));
            }
        }
        if !self.analysis.is_empty() {
            out.push_str("\n## Where a figure is far from its floor\n\n");
            for paragraph in &self.analysis {
                out.push_str(&format!("- {paragraph}\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(figures: Vec<Figure>) -> Report {
        Report {
            machine: MachineInfo {
                cpu: "test CPU".into(),
                cores: 2,
                qemu: "QEMU 7.2".into(),
                accelerator: "TCG".into(),
                machine_type: "q35".into(),
                date: "2026-12-08 03:00 UTC".into(),
            },
            figures,
            curves: Vec::new(),
            analysis: Vec::new(),
        }
    }

    #[test]
    fn json_has_every_field_of_a_measured_figure() {
        let figure = Figure::summarised(
            "link_efficiency",
            "link efficiency",
            Summary {
                median: 0.96,
                p10: 0.95,
                p90: 0.97,
                n: 10,
            },
            Sampling::Repeated,
            Target::AtLeast(0.95),
        )
        .method("same drain path");
        let json = report(vec![figure]).json();
        assert_eq!(json["machine"]["accelerator"], "TCG");
        assert_eq!(json["machine"]["machine_type"], "q35");
        assert_eq!(json["machine"]["cores"], 2);
        let figure = &json["figures"][0];
        assert_eq!(figure["id"], "link_efficiency");
        assert_eq!(figure["value"], 0.96);
        assert_eq!(figure["p10"], 0.95);
        assert_eq!(figure["p90"], 0.97);
        assert_eq!(figure["samples"], 10);
        assert_eq!(figure["sampling"], "repeated");
        assert_eq!(figure["steady"], true);
        assert_eq!(figure["spread_note"], Value::Null);
        assert_eq!(figure["target"]["kind"], "at_least");
        assert_eq!(figure["target"]["bound"], 0.95);
        assert_eq!(figure["target"]["text"], ">= 0.95");
        assert_eq!(figure["met"], true);
        assert_eq!(figure["missing"], Value::Null);
        assert_eq!(figure["method"], "same drain path");
    }

    #[test]
    fn a_missing_figure_is_present_with_a_null_value_and_its_reason() {
        let figure = Figure::missing(
            "fast_link_over_uart",
            "fast link / UART",
            Target::AtLeast(10.0),
            "no virtio-console link yet",
        );
        let json = report(vec![figure]).json();
        let figure = &json["figures"][0];
        assert_eq!(figure["id"], "fast_link_over_uart");
        assert!(figure["value"].is_null());
        assert!(figure["p10"].is_null() && figure["p90"].is_null());
        assert!(figure["met"].is_null());
        assert_eq!(figure["missing"], "no virtio-console link yet");
        // It round-trips through text as valid JSON.
        let text = serde_json::to_string_pretty(&json).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, json);
    }

    #[test]
    fn a_wide_spread_is_flagged_in_json_and_markdown() {
        let figure = Figure::summarised(
            "minor_fault_over_floor",
            "minor fault cost / floor",
            Summary {
                median: 3.0,
                p10: 2.9,
                p90: 4.0,
                n: 4096,
            },
            Sampling::Distribution,
            Target::AtMost(1.5),
        );
        let report = report(vec![figure]);
        let json = report.json();
        assert_eq!(json["figures"][0]["steady"], false);
        assert!(json["figures"][0]["spread_note"].is_string());
        assert_eq!(json["figures"][0]["met"], false);
        assert!(report.markdown().contains("spread wider than ±10%"));
    }

    #[test]
    fn every_id_is_unique_and_the_issue_ids_are_there() {
        let mut ids = IDS.to_vec();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), IDS.len());
        for id in [
            "minor_fault_over_floor",
            "ipc_rtt_over_floor",
            "ack_p50_over_ipc_rtt",
            "telemetry_cycle_share",
            "telemetry_cycle_share_flooded",
            "bytes_per_lifecycle_event",
            "link_efficiency",
            "boot_over_floor_q35",
            "boot_over_floor_microvm",
            "fast_link_over_uart",
            "dashboard_throughput_over_link",
            "dashboard_memory_growth",
        ] {
            assert!(IDS.contains(&id), "{id}");
        }
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let s = summarize(&mut [3.0, 1.0, 2.0, 4.0, 5.0]);
        assert_eq!((s.median, s.n), (3.0, 5));
        assert!((s.p10 - 1.4).abs() < 1e-12 && (s.p90 - 4.6).abs() < 1e-12);
        assert_eq!(summarize(&mut [7.0]).p10, 7.0);
        assert_eq!(summarize(&mut []), Summary::default());
    }

    #[test]
    fn steady_means_both_percentiles_within_ten_per_cent() {
        assert!(steady(1.0, 0.9, 1.1));
        assert!(steady(1.0, 1.0, 1.0));
        assert!(!steady(1.0, 0.89, 1.0));
        assert!(!steady(1.0, 1.0, 1.11));
        assert!(steady(2.0, 1.85, 2.15));
        assert!(!steady(2.0, 1.85, 2.25));
    }

    #[test]
    fn sampling_stops_once_steady_after_the_minimum() {
        let mut calls = 0;
        let columns = sample_until_steady(5, 20, || {
            calls += 1;
            vec![1.0, 2.0]
        });
        assert_eq!(calls, 5);
        assert_eq!(columns, vec![vec![1.0; 5], vec![2.0; 5]]);
    }

    #[test]
    fn sampling_goes_on_while_any_column_is_wide_and_stops_at_the_bound() {
        // One low outlier first: p10 (interpolated) stays more than 10%
        // below the median until nine samples dilute it.
        let mut index = 0;
        let columns = sample_until_steady(3, 20, || {
            index += 1;
            vec![1.0, if index == 1 { 0.5 } else { 1.0 }]
        });
        assert_eq!(columns[1].len(), 9);
        assert_eq!(columns[0].len(), 9);

        // Always noisy: stops at the bound.
        let mut flip = false;
        let columns = sample_until_steady(3, 12, || {
            flip = !flip;
            vec![if flip { 1.0 } else { 2.0 }]
        });
        assert_eq!(columns[0].len(), 12);
        let s = summarize(&mut columns[0].clone());
        assert!(!steady(s.median, s.p10, s.p90));
    }

    #[test]
    fn sampling_takes_more_when_the_first_samples_are_spread() {
        // Two wide samples first, then steady ones: the wide ones must be
        // outvoted before the percentiles come within ±10%.
        let values = [0.5, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let mut index = 0;
        let columns = sample_until_steady(2, 12, || {
            let value = values[index];
            index += 1;
            vec![value]
        });
        let n = columns[0].len();
        assert_eq!(n, 9);
        let s = summarize(&mut columns[0].clone());
        assert!(steady(s.median, s.p10, s.p90));
    }
}
