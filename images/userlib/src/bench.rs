//! Benchmark helpers: the kernel's benchmark system call (only with
//! `bench=on`), and summary statistics of cycle samples.

use crate::SysResult;
use crate::raw::{check, syscall_plain};
use kernel_abi::Syscall;
use kernel_abi::syscall::BenchKind;

/// Runs a kernel measurement (see `BenchKind`).
pub fn kernel(kind: BenchKind, a: u64, b: u64) -> SysResult<u64> {
    check(syscall_plain(Syscall::Bench, [kind as u64, a, b, 0, 0, 0]))
}

/// Median, 10th and 90th percentile of `samples` (sorted in place).
pub fn summary(samples: &mut [u64]) -> (u64, u64, u64) {
    if samples.is_empty() {
        return (0, 0, 0);
    }
    samples.sort_unstable();
    let at = |per_cent: usize| samples[(samples.len() - 1) * per_cent / 100];
    (at(50), at(10), at(90))
}

/// Prints one result line the benchmark runner parses:
/// `BENCH name median=… p10=… p90=… n=…`.
pub fn report(name: &str, samples: &mut [u64]) {
    let n = samples.len();
    let (median, p10, p90) = summary(samples);
    crate::println!("BENCH {name} median={median} p10={p10} p90={p90} n={n}");
}
