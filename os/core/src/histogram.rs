//! A latency histogram with fixed memory and integer arithmetic only.
//!
//! Log-linear buckets: exact below 16 ns, then eight buckets per power of
//! two (at most 12.5 % relative error) up to 2^40 ns (about 18 minutes);
//! larger values land in the last bucket. The maximum is kept exactly.

/// Sub-buckets per power of two, as a power of two.
const GROUPING: u32 = 3;
/// Values at or above 2^LIMIT_BITS share the last bucket.
const LIMIT_BITS: u32 = 40;
/// Number of buckets.
pub const BUCKETS: usize =
    (1 << (GROUPING + 1)) + ((LIMIT_BITS - GROUPING - 1) << GROUPING) as usize;

/// A histogram of nanosecond latencies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    counts: [u32; BUCKETS],
    count: u64,
    sum: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

fn index(value: u64) -> usize {
    let value = value.min((1 << LIMIT_BITS) - 1);
    if value < (1 << (GROUPING + 1)) {
        return value as usize;
    }
    let shift = 63 - value.leading_zeros() - GROUPING;
    (((shift as u64) << GROUPING) + (value >> shift)) as usize
}

/// The highest value that lands in bucket `index`.
fn upper_bound(index: usize) -> u64 {
    if index < (1 << (GROUPING + 1)) {
        return index as u64;
    }
    let shift = (index >> GROUPING) as u32 - 1;
    let mantissa = index as u64 - ((shift as u64) << GROUPING);
    ((mantissa + 1) << shift) - 1
}

impl Histogram {
    /// An empty histogram.
    pub const fn new() -> Self {
        Self {
            counts: [0; BUCKETS],
            count: 0,
            sum: 0,
            max: 0,
        }
    }

    /// Records one value.
    pub fn record(&mut self, value: u64) {
        let bucket = &mut self.counts[index(value)];
        *bucket = bucket.saturating_add(1);
        self.count += 1;
        self.sum = self.sum.saturating_add(value);
        self.max = self.max.max(value);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest value recorded (exact).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The sum of all values.
    pub fn sum(&self) -> u64 {
        self.sum
    }

    /// The counts by power of two, for the wire: each fine bucket lies
    /// within one power of two (its values share a bit length), so the
    /// regrouping is exact.
    pub fn log2_buckets(&self) -> protocol::message::Log2Buckets {
        let mut buckets = protocol::message::Log2Buckets::default();
        for (bucket, &count) in self.counts.iter().enumerate() {
            if count > 0 {
                let bits = protocol::message::Log2Buckets::bucket_of(upper_bound(bucket));
                buckets.add(bits, count);
            }
        }
        buckets
    }

    /// The value at quantile `per_mille / 1000` (e.g. 500 for the median,
    /// 990 for p99): the upper bound of the bucket holding it, never above
    /// the maximum. 0 when empty.
    pub fn quantile(&self, per_mille: u64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        // The rank of the wanted value, 1-based, rounded up.
        let rank = (self.count * per_mille.min(1000)).div_ceil(1000).max(1);
        let mut seen = 0u64;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += u64::from(count);
            if seen >= rank {
                return upper_bound(bucket).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_values_are_exact() {
        let mut histogram = Histogram::new();
        for value in [1, 2, 3, 4, 5] {
            histogram.record(value);
        }
        assert_eq!(histogram.quantile(500), 3);
        assert_eq!(histogram.quantile(1000), 5);
        assert_eq!(histogram.max(), 5);
        assert_eq!(histogram.sum(), 15);
    }

    #[test]
    fn log2_buckets_regroup_exactly() {
        let mut histogram = Histogram::new();
        let values = [0, 1, 7, 8, 15, 16, 1_000, 1_023, 1_024, 20_000, 1 << 45];
        for value in values {
            histogram.record(value);
        }
        let buckets = histogram.log2_buckets();
        assert_eq!(buckets.total(), values.len() as u64);
        let mut expected = protocol::message::Log2Buckets::default();
        for value in values {
            expected.add(protocol::message::Log2Buckets::bucket_of(value), 1);
        }
        assert_eq!(buckets, expected);
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(Histogram::new().quantile(990), 0);
    }

    #[test]
    fn p99_finds_the_tail() {
        let mut histogram = Histogram::new();
        for _ in 0..99 {
            histogram.record(1_000);
        }
        histogram.record(1_000_000);
        let p50 = histogram.quantile(500);
        assert!((1_000..=1_125).contains(&p50), "{p50}");
        let p99 = histogram.quantile(990);
        assert!(
            (1_000..=1_125).contains(&p99),
            "99 of 100 values are 1 µs: {p99}"
        );
        assert_eq!(histogram.quantile(1000), 1_000_000);
    }

    proptest! {
        /// Every value lands in a bucket whose bounds contain it, and the
        /// bucket's upper bound is within 12.5 % of the value.
        #[test]
        fn buckets_contain_their_values(value in 0u64..(1 << 40)) {
            let bucket = index(value);
            prop_assert!(bucket < BUCKETS);
            let upper = upper_bound(bucket);
            prop_assert!(upper >= value);
            prop_assert!(bucket == 0 || upper_bound(bucket - 1) < value);
            prop_assert!(upper - value <= value / 8 + 1);
        }

        /// Quantiles never go backwards and never exceed the maximum.
        #[test]
        fn quantiles_are_ordered(values in proptest::collection::vec(0u64..10_000_000, 1..200)) {
            let mut histogram = Histogram::new();
            for &value in &values {
                histogram.record(value);
            }
            let p50 = histogram.quantile(500);
            let p99 = histogram.quantile(990);
            prop_assert!(p50 <= p99);
            prop_assert!(p99 <= histogram.max());
            prop_assert_eq!(histogram.max(), *values.iter().max().unwrap());
        }
    }
}
