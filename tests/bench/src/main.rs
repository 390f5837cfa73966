//! The benchmark runner: builds the benchmark images, boots them in QEMU,
//! measures each figure as a ratio of two measurements from the same run,
//! prints the table and writes `BENCHMARKS.md`.
//!
//! `cargo run --release -p bench` (see the README). Benchmarks are not
//! tests: nothing here runs in `cargo test`.
#![forbid(unsafe_code)]

mod boot;
mod dashboard;
mod fast_link;
mod faults;
mod figures;
mod guest;
mod ipc;
mod ipc_floor;
mod link;

use clap::Parser;
use figures::{IDS, MachineInfo, Report};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Runs the benchmarks and writes BENCHMARKS.md.
#[derive(Parser)]
#[command(about)]
struct Args {
    /// Where to write the report (default: BENCHMARKS.md at the workspace
    /// root; with --only, no Markdown is written unless this is given).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Also write every figure (id, value, spread, target, method, machine)
    /// as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Run only these figures (comma-separated ids; `--only list` prints
    /// them). Figures another one needs are measured too but not reported.
    #[arg(long, value_name = "ID[,ID]", value_delimiter = ',')]
    only: Vec<String>,
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
}

fn machine() -> MachineInfo {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let qemu = command_output(image_builder::qemu::QEMU_BINARY, &["--version"])
        .and_then(|text| text.lines().next().map(str::to_string))
        .unwrap_or_else(|| "QEMU (version unknown)".into());
    let date = command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
    let options = image_builder::QemuOptions::default();
    MachineInfo {
        cpu,
        cores,
        qemu,
        accelerator: options.accel.as_str().to_uppercase(),
        machine_type: options.machine.as_str().to_string(),
        date: date.trim().to_string(),
    }
}

/// The ids asked for, or an error naming the unknown ones.
fn selection(only: &[String]) -> Result<BTreeSet<&'static str>, String> {
    if only.is_empty() {
        return Ok(IDS.iter().copied().collect());
    }
    let mut chosen = BTreeSet::new();
    let mut unknown = Vec::new();
    for id in only {
        match IDS.iter().find(|known| **known == id.trim()) {
            Some(known) => {
                chosen.insert(*known);
            }
            None => unknown.push(id.clone()),
        }
    }
    if unknown.is_empty() {
        Ok(chosen)
    } else {
        Err(format!(
            "unknown figure id(s): {}; the ids are: {}",
            unknown.join(", "),
            IDS.join(", ")
        ))
    }
}

fn main() {
    let args = Args::parse();
    if args.only.iter().any(|id| id == "list") {
        for id in IDS {
            println!("{id}");
        }
        return;
    }
    let chosen = selection(&args.only).unwrap_or_else(|message| {
        eprintln!("bench: {message}");
        std::process::exit(2);
    });
    let wants = |ids: &[&str]| ids.iter().any(|id| chosen.contains(id));
    if let Err(message) = image_builder::qemu::check_available() {
        eprintln!("bench: {message}");
        std::process::exit(1);
    }
    let mut report = Report {
        machine: machine(),
        figures: Vec::new(),
        curves: Vec::new(),
        analysis: Vec::new(),
    };
    let dashboard = wants(&["dashboard_throughput_over_link", "dashboard_memory_growth"]);
    if wants(&[
        "ack_p50_over_ipc_rtt",
        "ack_p50_over_ipc_rtt_2_subscribers",
        "ack_p50_over_ipc_rtt_4_subscribers",
        "ipc_rtt_over_floor",
    ]) {
        eprintln!("bench: messages and process events (bench-ipc)...");
        let ipc_run = ipc::measure(&mut report);
        ipc_floor::measure(&mut report, &ipc_run);
    }
    if wants(&["minor_fault_over_floor", "major_fault_over_disk_read"]) {
        eprintln!("bench: page faults (bench-faults)...");
        faults::measure(&mut report);
    }
    if wants(&[
        "telemetry_cycle_share",
        "telemetry_cycle_share_flooded",
        "telemetry_wall_clock_overhead",
        "telemetry_wall_clock_overhead_flooded",
    ]) {
        eprintln!("bench: telemetry cost (bench-workload, 3 boots per round)...");
        link::overhead(&mut report);
    }
    let mut demo = None;
    if dashboard || wants(&["bytes_per_lifecycle_event"]) {
        eprintln!("bench: bytes per event (8 s of demo)...");
        demo = Some(link::bytes_per_event(&mut report));
    }
    let mut raw_rate = None;
    if dashboard || wants(&["link_efficiency"]) {
        eprintln!("bench: link efficiency (bench-link)...");
        raw_rate = Some(link::efficiency(&mut report));
    }
    if wants(&["boot_over_floor_q35", "boot_over_floor_microvm"]) {
        eprintln!("bench: boot overhead (alternating boots)...");
        boot::measure(&mut report, &chosen);
    }
    if wants(&["fast_link_over_uart"]) {
        eprintln!("bench: fast link (bench-link over uart and virtio, 6 boots)...");
        fast_link::measure(&mut report);
    }
    if let (true, Some((mean_frame, frames)), Some(raw_rate)) = (dashboard, &demo, raw_rate) {
        eprintln!("bench: dashboard throughput (10 M frames)...");
        dashboard::measure(&mut report, frames, *mean_frame, raw_rate);
    }
    report.figures.retain(|figure| chosen.contains(figure.id));
    report
        .figures
        .sort_by_key(|figure| IDS.iter().position(|id| *id == figure.id));
    report.analysis = analysis(&report);

    print!("{}", report.table());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report.json()).expect("JSON of plain values");
        std::fs::write(path, text + "\n").unwrap_or_else(|error| {
            eprintln!("bench: cannot write {}: {error}", path.display());
            std::process::exit(1);
        });
        eprintln!("bench: wrote {}", path.display());
    }
    let output = match (args.output, args.only.is_empty()) {
        (Some(path), _) => Some(path),
        (None, true) => Some(image_builder::workspace_root().join("BENCHMARKS.md")),
        (None, false) => None,
    };
    if let Some(output) = output {
        std::fs::write(&output, report.markdown()).unwrap_or_else(|error| {
            eprintln!("bench: cannot write {}: {error}", output.display());
            std::process::exit(1);
        });
        eprintln!("bench: wrote {}", output.display());
    }
}

/// Why the figures that miss their target miss it, and what would close the
/// gap.
fn analysis(report: &Report) -> Vec<String> {
    let missed = |name: &str| {
        report
            .figures
            .iter()
            .any(|figure| figure.id == name && figure.value.is_some() && !figure.met())
    };
    let mut notes = Vec::new();
    if missed("minor_fault_over_floor") {
        notes.push(
            "Minor faults: the figure is the cost per page of a sequential first touch, which fault-around \
             (up to 31 pages mapped ahead, each counted as a fault only when touched) brings near the floor; an \
             isolated fault still costs about three times the floor (the detail column), because under TCG a CPU \
             exception (the trap, the frame, iretq) costs more than zeroing and mapping a page. Closing the rest: \
             a per-CPU free-frame cache, page records in a radix table instead of an ordered map, and a trap \
             entry that saves only what the fault path needs."
                .to_string(),
        );
    }
    if missed("ipc_rtt_over_floor") {
        notes.push(
            "IPC round trip: where its cycles go is in tests/bench/src/ipc_floor.rs (profiled per stage): besides \
             the two page-table switches of the floor, eager x87/SSE state switches (~4,500 cycles), reading the \
             request and reply from user memory (~7,000), the delivery rules and copy out (~5,900), checking the \
             receivers' buffers (~4,400), the scheduler's wake and queue (~4,500) and three returns to user \
             (~4,000). A real fastpath would close it: the whole rendezvous under one look at the process table, \
             the message copied frame to frame, lazy FPU switching, and a direct switch to the waiting receiver \
             instead of the run queue."
                .to_string(),
        );
    }
    if missed("major_fault_over_disk_read") {
        notes.push(
            "Major faults: a file page's first touch is the disk read plus the trap, the page-cache lookup and \
             insertion, and mapping the page; under TCG the read itself varies from read to read by more than \
             the gap (the spread column), so the median ratio moves across the target from run to run. Reading \
             ahead (the next pages of a file in the same request) would pay the trap and the request once for \
             several pages, as fault-around does for anonymous memory."
                .to_string(),
        );
    }
    if missed("ack_p50_over_ipc_rtt") {
        notes.push(
            "Ack latency: the notify-to-ack path includes the subscriber's receive returning and its asend of the \
             ack, plus the telemetry frames the PM sends for each step (publish, ack), which a bare sendrec does not \
             send. Batching the PM's frames into the next snapshot would close most of the gap."
                .to_string(),
        );
    }
    if missed("telemetry_cycle_share") || missed("telemetry_cycle_share_flooded") {
        notes.push(
            "Telemetry cycles: every process event costs several frames (spawn, exit, publish, ack, done, \
             reaped), each stamped, encoded (postcard, CRC-16, COBS) and queued, a few thousand TSC cycles per \
             frame under TCG (the detail column gives the figure), and while the CPU is busy the ring is drained \
             from the timer tick, one UART byte at a time at a few thousand cycles per byte. Fewer frames per \
             event (lifecycle counters in the periodic snapshots instead of a frame per step), one pass that \
             does CRC and COBS together, or the fast link (`--link virtio`: a virtio-console queue instead of \
             byte-wise 16550 writes, about 50 times fewer guest cycles per byte, see fast_link_over_uart) would \
             bring the share down."
                .to_string(),
        );
    }
    if missed("link_efficiency") {
        notes.push(
            "Link efficiency: the cycles outside the UART writes are stamping, encoding (postcard, CRC, COBS) and \
             queueing; a cheaper encoder or larger UART writes per drain call would close the gap."
                .to_string(),
        );
    }
    if missed("bytes_per_lifecycle_event") {
        notes.push(
            "Bytes per event: the header is now a one- or two-byte time delta on most frames; what is left is the \
             message itself (pids, event ids, latencies as varints), the CRC (2), COBS (1) and the delimiter (1). \
             Shorter latencies (microseconds instead of nanoseconds) would save a byte or two more."
                .to_string(),
        );
    }
    if missed("boot_over_floor_q35") || missed("boot_over_floor_microvm") {
        notes.push(
            "Boot overhead: in a boot instrumented with timestamps (microvm, TCG, before calibration went from \
             five 1 ms PIT windows to three), the kernel took about 20 ms from its entry to the Hello frame: \
             1.4 ms of early setup, 5.3 ms calibrating the TSC against the PIT (TCG offers no CPUID frequency \
             leaf; three windows now, about 2 ms less), then about 2 ms each for the \
             boot information, the memory map and page tables, ACPI, the disk, the boot file system and the \
             first frame itself. Each stage is little native code; under TCG its time is most likely QEMU \
             translating code that runs for the first time, so no single stage dominates. The Hello frame \
             waits for the disk because it names it: a first frame before the disk is probed (the platform \
             in a later frame), or the frequency from the hypervisor (KVM's leaf 0x40000010), would move it \
             earlier. On microvm the floor itself is small (no PCI enumeration, qboot instead of SeaBIOS), \
             so the same fixed work weighs more in the ratio."
                .to_string(),
        );
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_takes_known_ids_and_nothing_means_everything() {
        assert_eq!(selection(&[]).unwrap().len(), IDS.len());
        let chosen = selection(&["link_efficiency".into(), " boot_over_floor_q35".into()]).unwrap();
        assert_eq!(
            chosen.into_iter().collect::<Vec<_>>(),
            vec!["boot_over_floor_q35", "link_efficiency"]
        );
        let error = selection(&["link_efficiency".into(), "warp_speed".into()]).unwrap_err();
        assert!(error.contains("warp_speed") && error.contains("minor_fault_over_floor"));
    }
}
