//! Page-fault costs (`bench-faults`) against the kernel's own floors.

use crate::figures::{Curve, Figure, Report, Sampling, Target};
use crate::guest;
use std::time::Duration;

pub fn measure(report: &mut Report) {
    let run = guest::boot("bench-faults", "", Duration::from_secs(600));
    let floor = run.get("page_floor_cycles").median;
    let minor = run.get("minor_fault_cycles_rss_4096");
    let single = run.get("minor_fault_single_cycles");
    let fresh = run.get("page_floor_fresh_cycles").median;
    report.figures.push(
        Figure::new("minor_fault_over_floor", "minor fault cost / floor", minor.median / floor, (minor.p10 / floor, minor.p90 / floor), Target::AtMost(1.5))
            .samples(minor.n, Sampling::Distribution)
            .detail(format!(
                "first-touch anonymous page {:.0} cycles per page touched, each one minor fault counted (median of {} \
                 runs of 32 pages); an isolated fault {:.0} cycles ({:.2} x floor); floor {floor:.0} cycles \
                 ({fresh:.0} with a fresh frame each time)",
                minor.median, minor.n, single.median, single.median / floor
            ))
            .method(
                "rdtsc around runs of 32 first writes to fresh heap pages in order (4096 pages), each sample a run's \
                 cycles over its pages (fault-around maps a sequential run's next pages; each counts a minor fault \
                 once touched), against the median of 4000 iterations of the kernel allocating, zeroing, mapping a \
                 page and flushing its TLB entry itself (the benchmark system call), in the same boot.",
            ),
    );
    let major = run.get("major_fault_cycles");
    let disk = run.get("disk_read_cycles").median;
    report.figures.push(
        Figure::new("major_fault_over_disk_read", "major fault cost / disk read", major.median / disk, (major.p10 / disk, major.p90 / disk), Target::AtMost(1.3))
            .samples(major.n, Sampling::Distribution)
            .detail(format!(
                "first touch of a not-yet-read file page {:.0} cycles (median of {}), raw read of a disk page {disk:.0} cycles",
                major.median, major.n
            ))
            .method(
                "rdtsc around the first read of each page of a 1 MiB table in the program's own image (each a disk \
                 read through the page cache), against the median of 256 raw virtio-blk reads of one disk page by the \
                 kernel, in the same boot.",
            ),
    );
    let rows = [256u64, 4096, 16384]
        .iter()
        .map(|pages| {
            let minor = run.get(&format!("minor_fault_cycles_rss_{pages}"));
            vec![
                format!("{pages} pages ({} MiB)", pages * 4 / 1024),
                format!("{:.0}", minor.median),
                format!("{:.0} .. {:.0}", minor.p10, minor.p90),
                format!("{:.1} µs", run.ns(minor.median) / 1000.0),
                format!("{:.2}", minor.median / floor),
            ]
        })
        .collect();
    report.curves.push(Curve {
        title: "Minor fault cost against resident set size",
        header: vec!["pages touched", "cycles p50", "p10 .. p90", "time p50", "/ floor"],
        rows,
        note: "Region lookup and page records are ordered maps (logarithmic), looked up once per fault-around run, \
               so the cost per page barely moves as the process grows.",
    });
}
