//! The null `sendrec` round trip against its floor (`ipc_rtt_over_floor`):
//! what any round trip between two address spaces must at least do, two
//! kernel entries and exits and two address-space switches, each measured
//! in the same boot of `bench-ipc` (booted with `bench=on`). Figure id for
//! the JSON report: `ipc_rtt_over_floor`.
//!
//! Where a round trip's ~52,000 cycles went under TCG (rdtsc around each
//! stage in a profiling build, December 2026, per round trip): the two
//! page-table switches ~9,000 (the floor's own), the two x87/SSE state
//! switches (`fxsave64`/`fxrstor64`, eager per process) ~4,500, reading the
//! request and the reply from user memory ~7,000, delivering them
//! (`kernel_core::ipc` rules and the copy out) ~5,900, checking the
//! receivers' buffers ~4,400, the rest of the scheduler (wake, queue,
//! accounting) ~4,500, three returns to user ~4,000, pageout's check on
//! each of three system calls ~1,400. The target needs a fastpath that does
//! the whole rendezvous under one look at the process table, copies the
//! message frame to frame, and switches straight to the receiver.

use crate::figures::{Figure, Report, Sampling, Target};
use crate::guest::GuestRun;

/// The figure's target: seL4's fastpath is the anchor (a round trip a
/// small multiple of two bare kernel crossings plus the switches).
pub const TARGET: f64 = 1.3;

/// Adds the figure from the `bench-ipc` run.
pub fn measure(report: &mut Report, run: &GuestRun) {
    let rtt = run.get("ipc_rtt_cycles");
    let null = run.get("null_syscall_cycles");
    let switch = run.get("address_space_switch_cycles");
    let floor = 2.0 * null.median + switch.median;
    report.figures.push(
        Figure::new(
            "ipc_rtt_over_floor",
            "null sendrec round trip / (2 null syscalls + 2 address-space switches)",
            rtt.median / floor,
            (rtt.p10 / floor, rtt.p90 / floor),
            Target::AtMost(TARGET),
        )
        .samples(rtt.n, Sampling::Distribution)
        .detail(format!(
            "null sendrec {:.0} cycles (median of {}); null system call {:.0} cycles (median of {}); two \
             address-space switches {:.0} cycles (median of {}); floor {floor:.0} cycles",
            rtt.median, rtt.n, null.median, null.n, switch.median, switch.n
        ))
        .method(
            "In one boot: rdtsc in the client around 2000 null sendrec round trips to the echo-1 service, around 2000 \
             getpid calls, and the kernel timing (the benchmark system call) 2000 pairs of page-table switches to \
             echo-1's address space and back; the floor is two null system calls plus one such pair.",
        ),
    );
}
