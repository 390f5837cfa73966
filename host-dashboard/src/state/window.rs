//! Sliding windows of counter samples: how fast counters grew recently.
//!
//! A [`CounterWindow`] keeps samples of `N` monotonic counters taken at
//! increasing times (host time for the link, guest time for processes) and
//! answers "per second, over the last `width`". It keeps one sample at or
//! before the window start as the base, so once enough time was sampled a
//! rate always spans at least `width`. Times are passed in, so the arithmetic
//! is exact in tests.

use std::collections::VecDeque;
use std::time::Duration;

/// Samples of `N` counters covering at least the last `width` of time.
#[derive(Clone, Debug)]
pub struct CounterWindow<const N: usize> {
    width: Duration,
    samples: VecDeque<Sample<N>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sample<const N: usize> {
    at: Duration,
    counters: [u64; N],
}

impl<const N: usize> CounterWindow<N> {
    /// An empty window measuring rates over `width`.
    pub fn new(width: Duration) -> Self {
        Self {
            width,
            samples: VecDeque::new(),
        }
    }

    /// Records the counters' values at time `at`.
    ///
    /// A sample at the same time as the last one (or earlier: a clock that
    /// went backwards) replaces the last one's values. A counter smaller
    /// than before means it was restarted (a new process under a reused
    /// pid): the window starts over from this sample.
    pub fn sample(&mut self, at: Duration, counters: [u64; N]) {
        if let Some(last) = self.samples.back_mut() {
            if counters
                .iter()
                .zip(last.counters)
                .any(|(now, then)| *now < then)
            {
                self.samples.clear();
            } else if at <= last.at {
                last.counters = counters;
                return;
            }
        }
        self.samples.push_back(Sample { at, counters });
        let window_start = at.saturating_sub(self.width);
        while self.samples.len() > 2 && self.samples[1].at <= window_start {
            self.samples.pop_front();
        }
    }

    /// How fast counter `index` grew per second across the window; 0 until
    /// two samples at different times exist.
    pub fn rate(&self, index: usize) -> f64 {
        let (Some(first), Some(last)) = (self.samples.front(), self.samples.back()) else {
            return 0.0;
        };
        let span = last.at.saturating_sub(first.at).as_secs_f64();
        if span <= 0.0 {
            return 0.0;
        }
        last.counters[index].saturating_sub(first.counters[index]) as f64 / span
    }

    /// How fast counter `index` grew per second over the whole window
    /// width, even when the samples span less: for counters that were 0
    /// before the first sample (a process's faults since its birth), so a
    /// process seen twice a few milliseconds apart after its start is not
    /// taken for one that keeps that pace for a second.
    pub fn rate_over_width(&self, index: usize) -> f64 {
        let (Some(first), Some(last)) = (self.samples.front(), self.samples.back()) else {
            return 0.0;
        };
        let span = last
            .at
            .saturating_sub(first.at)
            .max(self.width)
            .as_secs_f64();
        if span <= 0.0 {
            return 0.0;
        }
        last.counters[index].saturating_sub(first.counters[index]) as f64 / span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn rates_need_two_samples_at_different_times() {
        let mut window = CounterWindow::<1>::new(ms(2_000));
        assert_eq!(window.rate(0), 0.0);
        window.sample(ms(10), [1]);
        window.sample(ms(10), [2]);
        assert_eq!(window.rate(0), 0.0);
        window.sample(ms(510), [4]);
        assert_eq!(window.rate(0), 4.0);
    }

    #[test]
    fn a_young_counter_is_spread_over_the_whole_width() {
        let mut window = CounterWindow::<1>::new(ms(2_000));
        window.sample(ms(1_000), [0]);
        window.sample(ms(1_005), [50]);
        // 50 in 5 ms is 10,000/s by the samples, 25/s over the window.
        assert_eq!(window.rate(0), 10_000.0);
        assert_eq!(window.rate_over_width(0), 25.0);
        // Once the samples span the width, both agree.
        window.sample(ms(3_005), [250]);
        assert_eq!(window.rate_over_width(0), window.rate(0));
    }

    #[test]
    fn rates_cover_only_the_window() {
        let mut window = CounterWindow::<2>::new(ms(2_000));
        // Counter 0 grows by 100/s for 5 s, then by 10/s for 3 s.
        let mut value = 0;
        for step in 0..=50 {
            value = step * 10;
            window.sample(ms(step * 100), [value, 7]);
        }
        assert_eq!(window.rate(0), 100.0);
        for step in 1..=30 {
            window.sample(ms(5_000 + step * 100), [value + step, 7]);
        }
        assert_eq!(window.rate(0), 10.0);
        assert_eq!(window.rate(1), 0.0);
    }

    #[test]
    fn a_counter_going_backwards_restarts_the_window() {
        let mut window = CounterWindow::<2>::new(ms(2_000));
        window.sample(ms(0), [0, 0]);
        window.sample(ms(1_000), [500, 40]);
        assert_eq!(window.rate(0), 500.0);
        window.sample(ms(1_500), [10, 50]);
        assert_eq!(window.rate(0), 0.0);
        window.sample(ms(2_000), [60, 60]);
        assert_eq!((window.rate(0), window.rate(1)), (100.0, 20.0));
    }

    #[test]
    fn the_window_stays_small() {
        let mut window = CounterWindow::<1>::new(ms(2_000));
        for step in 0..10_000 {
            window.sample(ms(step * 10), [step]);
        }
        assert!(window.samples.len() <= 202, "{}", window.samples.len());
    }
}
