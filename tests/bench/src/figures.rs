//! The results: one row per figure of the benchmark table, plus the scale
//! curves, and their rendering as a Markdown report.

/// One figure: a ratio measured in one run, against its target.
pub struct Figure {
    pub name: &'static str,
    /// The measured ratio (or value).
    pub value: f64,
    /// The spread: the ratio from the 10th and 90th percentiles (or min/max).
    pub spread: (f64, f64),
    /// The target, as text (e.g. "<= 1.5").
    pub target: &'static str,
    /// Whether the target is met.
    pub met: bool,
    /// The two measurements behind the ratio, in words.
    pub detail: String,
    /// How it was measured, in one sentence.
    pub method: &'static str,
}

/// A small table of a scale curve.
pub struct Curve {
    pub title: &'static str,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub note: &'static str,
}

/// Everything measured.
pub struct Report {
    pub machine: String,
    pub figures: Vec<Figure>,
    pub curves: Vec<Curve>,
    pub analysis: Vec<String>,
}

impl Figure {
    /// A figure, with whether it met its target.
    fn judged(
        name: &'static str,
        value: f64,
        spread: (f64, f64),
        target: &'static str,
        met: bool,
    ) -> Self {
        Self {
            name,
            value,
            spread,
            target,
            met,
            detail: String::new(),
            method: "",
        }
    }

    /// A figure whose target is an upper bound.
    pub fn at_most(
        name: &'static str,
        value: f64,
        spread: (f64, f64),
        bound: f64,
        target: &'static str,
    ) -> Self {
        Self::judged(name, value, spread, target, value <= bound)
    }

    /// A figure whose target is a lower bound.
    pub fn at_least(
        name: &'static str,
        value: f64,
        spread: (f64, f64),
        bound: f64,
        target: &'static str,
    ) -> Self {
        Self::judged(name, value, spread, target, value >= bound)
    }

    pub fn detail(mut self, detail: String) -> Self {
        self.detail = detail;
        self
    }

    pub fn method(mut self, method: &'static str) -> Self {
        self.method = method;
        self
    }
}

impl Report {
    /// The table, for the terminal.
    pub fn table(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{:<44} {:>10} {:>19} {:>8}  {}\n",
            "figure", "measured", "spread", "target", "met"
        ));
        for figure in &self.figures {
            out.push_str(&format!(
                "{:<44} {:>10.3} {:>8.3} .. {:<8.3} {:>8}  {}\n",
                figure.name,
                figure.value,
                figure.spread.0,
                figure.spread.1,
                figure.target,
                if figure.met { "yes" } else { "NO" }
            ));
        }
        out
    }

    /// The whole report, as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str("# Benchmarks\n\n");
        out.push_str("Written by `cargo run --release -p bench` (see the README); every figure below is a ratio of two\n");
        out.push_str("measurements taken in the same run, so machine noise affects both sides alike. Targets are where\n");
        out.push_str("we mean to be; a figure that misses its target is reported as it is.\n\n");
        out.push_str(&self.machine);
        out.push_str(
            "\n\n| figure | measured | spread (p10..p90) | target | met | measurements | how |\n",
        );
        out.push_str("| --- | ---: | --- | --- | --- | --- | --- |\n");
        for figure in &self.figures {
            out.push_str(&format!(
                "| {} | {:.3} | {:.3} .. {:.3} | {} | {} | {} | {} |\n",
                figure.name,
                figure.value,
                figure.spread.0,
                figure.spread.1,
                figure.target,
                if figure.met { "yes" } else { "**no**" },
                figure.detail,
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
