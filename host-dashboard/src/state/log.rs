//! The guest's log: a bounded ring of the most recent lines.
//!
//! Lines are numbered from 0 in arrival order for the whole session, so a
//! view can stay anchored on a line while newer ones push older ones out.

use protocol::message::LogLevel;
use std::collections::VecDeque;

/// How many lines the dashboard keeps by default.
pub const DEFAULT_LOG_CAPACITY: usize = 2000;

/// One log line as the guest sent it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct LogLine {
    /// Guest time of the frame that carried it, in microseconds since boot.
    pub time_us: u64,
    /// Severity.
    #[serde(serialize_with = "serialize_level")]
    #[schemars(schema_with = "level_schema")]
    pub level: LogLevel,
    /// Process that wrote it; 0 for the kernel.
    pub pid: u32,
    /// The text.
    pub text: String,
}

/// The lower-case name of a log level, as shown and serialised.
pub fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Error => "error",
        LogLevel::Warn => "warn",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
    }
}

fn serialize_level<S: serde::Serializer>(level: &LogLevel, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(level_name(*level))
}

fn level_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "string", "enum": ["error", "warn", "info", "debug"]})
}

/// The most recent log lines, oldest first, at most `capacity` of them.
#[derive(Clone, Debug)]
pub struct LogRing {
    lines: VecDeque<LogLine>,
    capacity: usize,
    evicted: u64,
}

impl Default for LogRing {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_LOG_CAPACITY)
    }
}

impl LogRing {
    /// An empty ring keeping at most `capacity` lines (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            lines: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
            evicted: 0,
        }
    }

    /// Appends a line, evicting the oldest one if the ring is full.
    pub fn push(&mut self, line: LogLine) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.evicted += 1;
        }
        self.lines.push_back(line);
    }

    /// Lines held, oldest first.
    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.lines.iter()
    }

    /// Number of lines held.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line is held.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Lines pushed out of the ring so far.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Lines received in total.
    pub fn total(&self) -> u64 {
        self.evicted + self.lines.len() as u64
    }

    /// Session-wide number of the oldest line held (equal to [`Self::total`]
    /// when the ring is empty).
    pub fn first_number(&self) -> u64 {
        self.evicted
    }

    /// The line with session-wide number `number`, if still held.
    pub fn get(&self, number: u64) -> Option<&LogLine> {
        let index = number.checked_sub(self.evicted)?;
        self.lines.get(usize::try_from(index).ok()?)
    }

    /// Up to `count` lines ending with line number `last` (inclusive), oldest
    /// first; `last` is clamped to the lines held.
    pub fn window(&self, last: u64, count: usize) -> impl Iterator<Item = &LogLine> {
        let end = last
            .saturating_add(1)
            .clamp(self.first_number(), self.total())
            - self.evicted;
        let end = end as usize;
        let start = end.saturating_sub(count);
        self.lines.range(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> LogLine {
        LogLine {
            time_us: 0,
            level: LogLevel::Info,
            pid: 0,
            text: text.to_string(),
        }
    }

    fn texts<'a>(lines: impl Iterator<Item = &'a LogLine>) -> Vec<&'a str> {
        lines.map(|line| line.text.as_str()).collect()
    }

    #[test]
    fn keeps_the_newest_lines_and_counts_the_evicted_ones() {
        let mut ring = LogRing::with_capacity(3);
        for text in ["a", "b", "c", "d", "e"] {
            ring.push(line(text));
        }
        assert_eq!(texts(ring.lines()), ["c", "d", "e"]);
        assert_eq!((ring.len(), ring.evicted(), ring.total()), (3, 2, 5));
        assert_eq!(ring.get(1), None);
        assert_eq!(ring.get(2).map(|l| l.text.as_str()), Some("c"));
        assert_eq!(ring.get(5), None);
    }

    #[test]
    fn window_ends_at_the_requested_line_and_clamps() {
        let mut ring = LogRing::with_capacity(4);
        for text in ["a", "b", "c", "d", "e", "f"] {
            ring.push(line(text));
        }
        // Held: c(2) d(3) e(4) f(5).
        assert_eq!(texts(ring.window(4, 2)), ["d", "e"]);
        assert_eq!(texts(ring.window(99, 3)), ["d", "e", "f"]);
        assert_eq!(texts(ring.window(0, 3)), Vec::<&str>::new());
        assert_eq!(texts(ring.window(2, 10)), ["c"]);
        assert_eq!(texts(ring.window(u64::MAX, 1)), ["f"]);
    }

    #[test]
    fn zero_capacity_still_keeps_one_line() {
        let mut ring = LogRing::with_capacity(0);
        ring.push(line("a"));
        ring.push(line("b"));
        assert_eq!(texts(ring.lines()), ["b"]);
    }
}
