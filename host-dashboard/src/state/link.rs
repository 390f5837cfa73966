//! Link health: the decoder's counters, throughput and staleness.
//!
//! Throughput is measured over a sliding window of host time. The host clock
//! is passed in with every update, so the arithmetic is exact in tests.

use super::window::CounterWindow;
use protocol::stream::LinkStats;
use std::time::Duration;

/// Width of the window frames/s and bytes/s are measured over.
pub const RATE_WINDOW: Duration = Duration::from_secs(2);

/// A link that carried no frame for longer than this while QEMU runs is
/// stale.
pub const STALE_AFTER: Duration = Duration::from_secs(2);

/// The link as the host sees it.
#[derive(Clone, Debug)]
pub struct Link {
    /// The decoder's counters, as of the last update.
    pub stats: LinkStats,
    /// Host time of the last decoded frame.
    pub last_frame_at: Option<Duration>,
    /// Whether the byte stream ended (QEMU closed its stdout).
    pub closed: bool,
    /// Frames and bytes, sampled over host time.
    rates: CounterWindow<2>,
}

impl Default for Link {
    fn default() -> Self {
        Self {
            stats: LinkStats::default(),
            last_frame_at: None,
            closed: false,
            rates: CounterWindow::new(RATE_WINDOW),
        }
    }
}

const FRAMES: usize = 0;
const BYTES: usize = 1;

/// How healthy the link is right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkCondition {
    /// No frame yet, and not for long enough to call it stale.
    Waiting,
    /// Frames arrive.
    Live,
    /// QEMU runs but no frame arrived for `silent_for`.
    Stale {
        /// Host time since the last frame (or since QEMU started).
        silent_for: Duration,
    },
    /// The byte stream ended.
    Closed,
    /// An attached link is down (or not yet connected); the host retries.
    Down {
        /// How long it has been down.
        for_: Duration,
    },
}

impl Link {
    /// Takes a new snapshot of the decoder's counters at host time `now`.
    pub(crate) fn update_stats(&mut self, now: Duration, stats: LinkStats) {
        self.stats = stats;
        self.rates.sample(now, [stats.frames, stats.bytes]);
    }

    /// Notes that a frame arrived at host time `now`.
    pub(crate) fn frame_arrived(&mut self, now: Duration) {
        self.last_frame_at = Some(now);
    }

    /// Lets time pass without new data, so that rates decay.
    pub(crate) fn tick(&mut self, now: Duration) {
        self.rates
            .sample(now, [self.stats.frames, self.stats.bytes]);
    }

    /// Frames per second over the last [`RATE_WINDOW`].
    pub fn frames_per_second(&self) -> f64 {
        self.rates.rate(FRAMES)
    }

    /// Bytes per second over the last [`RATE_WINDOW`].
    pub fn bytes_per_second(&self) -> f64 {
        self.rates.rate(BYTES)
    }

    /// The link's condition at host time `now`; `running_since` is when QEMU
    /// started if it is still running.
    pub fn condition(&self, now: Duration, running_since: Option<Duration>) -> LinkCondition {
        if self.closed {
            return LinkCondition::Closed;
        }
        let Some(started) = running_since else {
            return if self.last_frame_at.is_some() {
                LinkCondition::Live
            } else {
                LinkCondition::Waiting
            };
        };
        let silent_for = now.saturating_sub(self.last_frame_at.unwrap_or(started).max(started));
        if silent_for > STALE_AFTER {
            LinkCondition::Stale { silent_for }
        } else if self.last_frame_at.is_some() {
            LinkCondition::Live
        } else {
            LinkCondition::Waiting
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn stats(frames: u64, bytes: u64) -> LinkStats {
        LinkStats {
            frames,
            bytes,
            ..LinkStats::default()
        }
    }

    #[test]
    fn rates_are_zero_until_two_samples_exist() {
        let mut link = Link::default();
        assert_eq!(link.frames_per_second(), 0.0);
        link.update_stats(ms(100), stats(1, 20));
        assert_eq!(link.frames_per_second(), 0.0);
        link.update_stats(ms(600), stats(6, 120));
        assert_eq!(link.frames_per_second(), 10.0);
        assert_eq!(link.bytes_per_second(), 200.0);
    }

    #[test]
    fn rates_cover_only_the_sliding_window() {
        let mut link = Link::default();
        // 100 frames/s for 5 s, then 10 frames/s for 3 s.
        let mut frames = 0;
        for step in 0..=50 {
            frames = step * 10;
            link.update_stats(ms(step * 100), stats(frames, frames * 10));
        }
        assert_eq!(link.frames_per_second(), 100.0);
        for step in 1..=30 {
            link.update_stats(ms(5_000 + step * 100), stats(frames + step, 0));
        }
        assert_eq!(link.frames_per_second(), 10.0);
    }

    #[test]
    fn rates_decay_to_zero_when_nothing_arrives() {
        let mut link = Link::default();
        link.update_stats(ms(0), stats(0, 0));
        link.update_stats(ms(1_000), stats(50, 500));
        assert_eq!(link.frames_per_second(), 50.0);
        link.tick(ms(2_000));
        assert_eq!(link.frames_per_second(), 25.0);
        link.tick(ms(3_100));
        link.tick(ms(3_200));
        assert_eq!(link.frames_per_second(), 0.0);
    }

    #[test]
    fn condition_follows_frames_qemu_and_closing() {
        let mut link = Link::default();
        let qemu = Some(ms(0));
        assert_eq!(link.condition(ms(0), None), LinkCondition::Waiting);
        assert_eq!(link.condition(ms(1_500), qemu), LinkCondition::Waiting);
        assert_eq!(
            link.condition(ms(2_500), qemu),
            LinkCondition::Stale {
                silent_for: ms(2_500)
            }
        );
        link.frame_arrived(ms(2_600));
        assert_eq!(link.condition(ms(4_600), qemu), LinkCondition::Live);
        assert_eq!(
            link.condition(ms(4_601), qemu),
            LinkCondition::Stale {
                silent_for: ms(2_001)
            }
        );
        // Without a running QEMU (it exited) silence is not staleness.
        assert_eq!(link.condition(ms(9_000), None), LinkCondition::Live);
        link.closed = true;
        assert_eq!(link.condition(ms(9_000), qemu), LinkCondition::Closed);
    }
}
