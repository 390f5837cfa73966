//! Booting benchmark images and reading what they report: `BENCH` lines
//! (summaries of cycle samples taken in the guest) and `PHASE` lines that
//! bracket stretches of the PM's own telemetry.

use boot_tests::{BootRun, boot_image, built_image};
use image_builder::QemuOptions;
use protocol::message::Message;
use std::collections::BTreeMap;
use std::time::Duration;

/// A `BENCH name median=… p10=… p90=… n=…` line.
pub use crate::figures::{Summary as Reported, summarize};

/// One boot of a benchmark image.
pub struct GuestRun {
    pub run: BootRun,
    pub reported: BTreeMap<String, Reported>,
    pub tsc_hz: u64,
}

/// Boots `image` with `extra_args` added to its kernel command line.
pub fn boot(image: &str, extra_args: &str, deadline: Duration) -> GuestRun {
    let mut built = built_image(image);
    if !extra_args.is_empty() {
        built.kernel_command_line = format!("{} {extra_args}", built.kernel_command_line);
    }
    let run = boot_image(&built, deadline, &QemuOptions::default(), Vec::new());
    if run.guest_exit_code() != Some(0) {
        panic!(
            "benchmark image {image} did not finish cleanly\n{}",
            run.describe()
        );
    }
    let mut reported = BTreeMap::new();
    for (_, line) in run.log_lines() {
        if let Some((name, values)) = parse_bench(line) {
            reported.insert(name, values);
        }
    }
    let tsc_hz = run
        .messages()
        .find_map(|message| match message {
            Message::Hello(hello) => Some(hello.tsc_hz),
            _ => None,
        })
        .expect("a Hello frame");
    GuestRun {
        run,
        reported,
        tsc_hz,
    }
}

fn parse_bench(line: &str) -> Option<(String, Reported)> {
    let mut words = line.strip_prefix("BENCH ")?.split_whitespace();
    let name = words.next()?.to_string();
    let mut reported = Reported::default();
    for word in words {
        let (key, value) = word.split_once('=')?;
        let value: f64 = value.parse().ok()?;
        match key {
            "median" => reported.median = value,
            "p10" => reported.p10 = value,
            "p90" => reported.p90 = value,
            "n" => reported.n = value as u64,
            _ => {}
        }
    }
    Some((name, reported))
}

impl GuestRun {
    /// A reported figure, or a panic naming what is missing.
    pub fn get(&self, name: &str) -> Reported {
        *self
            .reported
            .get(name)
            .unwrap_or_else(|| panic!("the guest reported no {name}\n{}", self.run.describe()))
    }

    /// Cycles to nanoseconds.
    pub fn ns(&self, cycles: f64) -> f64 {
        cycles * 1e9 / self.tsc_hz as f64
    }

    /// The frames between the log lines `PHASE <label> start` and
    /// `PHASE <label> end…`.
    pub fn phase(&self, label: &str) -> &[protocol::message::OwnedFrame] {
        let start_line = format!("PHASE {label} start");
        let end_prefix = format!("PHASE {label} end");
        let frames = &self.run.frames;
        let is_log = |index: usize, f: &dyn Fn(&str) -> bool| match &frames[index].message {
            Message::Log(log) => f(&log.text),
            _ => false,
        };
        let start = (0..frames.len())
            .find(|&i| is_log(i, &|text| text == start_line))
            .expect("phase start");
        let end = (start..frames.len())
            .find(|&i| is_log(i, &|text| text.starts_with(&end_prefix)))
            .expect("phase end");
        &frames[start..end]
    }
}

/// The 99th percentile of sorted `values`.
pub fn p99(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values[(values.len() - 1) * 99 / 100]
}
