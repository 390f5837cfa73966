//! The link-efficiency benchmark (init of the `bench-link` image, booted with
//! `bench=on`). Ten windows of 100 ms in which the kernel keeps the
//! telemetry ring full of log frames and drains it through the real path
//! (stamp, encode, queue, drain to the UART); in each, the kernel's own
//! counters split the cycles into those inside the UART writes and those of
//! the whole telemetry path. Both rates (raw UART bytes per cycle, telemetry
//! bytes per cycle) thus come from the same bytes through the same drain in
//! the same boot, so their ratio cannot exceed 1. A separate raw window
//! (bytes written straight to the UART for 500 ms) is kept as a
//! cross-check. Then the link's own rate (full rings drained, only the drain
//! timed), for the fast-link figure. Prints `BENCH` lines for the runner.
#![cfg_attr(target_os = "none", no_std, no_main)]

use kernel_abi::syscall::BenchKind;
use userlib::bench::{self, Cost, report_one};
use userlib::{SysResult, println, time};

userlib::entry!(run);

/// Flood windows.
const WINDOWS: usize = 10;
/// Length of one window in milliseconds.
const WINDOW_MS: u64 = 100;

/// What the flood windows measured.
struct Windows {
    /// Per window: UART-write cycles over whole-path cycles, in parts per
    /// million.
    efficiency: [u64; WINDOWS],
    /// Per window: UART-write cycles per byte, in thousandths of a cycle.
    uart: [u64; WINDOWS],
    /// Per window: whole-path cycles per byte, in thousandths of a cycle.
    path: [u64; WINDOWS],
    /// Bytes drained in all windows.
    bytes: u64,
}

fn windows() -> SysResult<Windows> {
    let mut efficiency = [0; WINDOWS];
    let mut uart = [0; WINDOWS];
    let mut path = [0; WINDOWS];
    let mut bytes = 0;
    for window in 0..WINDOWS {
        let before = Cost::now()?;
        bench::kernel(BenchKind::TelemetryFlood, WINDOW_MS, 0)?;
        let cost = Cost::now()?.since(&before);
        let whole = (cost.send_cycles + cost.drain_cycles).max(1);
        let drained = cost.drained_bytes.max(1);
        efficiency[window] = cost.uart_cycles * 1_000_000 / whole;
        uart[window] = cost.uart_cycles * 1000 / drained;
        path[window] = whole * 1000 / drained;
        bytes += cost.drained_bytes;
    }
    Ok(Windows {
        efficiency,
        uart,
        path,
        bytes,
    })
}

fn run(_args: userlib::Args) -> i32 {
    let _ = time::sleep_ms(200);
    let raw = bench::kernel(BenchKind::UartRaw, 500, 0);
    let _ = time::sleep_ms(200);
    let measured = windows();
    let _ = time::sleep_ms(500);
    match bench::kernel(BenchKind::LinkDrain, 1000, 0) {
        Ok(rate) => {
            println!("BENCH link_drain_bytes_per_s median={rate} p10={rate} p90={rate} n=1")
        }
        Err(error) => println!("linkbench: link drain measurement unavailable: {error:?}"),
    }
    let _ = time::sleep_ms(500);
    match bench::kernel(BenchKind::EncodeFrame, 2000, 0) {
        Ok(cycles) => {
            println!("BENCH encode_frame_cycles median={cycles} p10={cycles} p90={cycles} n=2000")
        }
        Err(error) => println!("linkbench: encode measurement unavailable: {error:?}"),
    }
    let _ = time::sleep_ms(500);
    match (raw, measured) {
        (Ok(raw), Ok(mut measured)) => {
            report_one("uart_raw_bytes_per_500ms", raw);
            for (window, efficiency) in measured.efficiency.iter().enumerate() {
                // One line per window: the runner pools windows over boots
                // when their spread is wide.
                report_one(format_args!("link_efficiency_ppm_w{window}"), *efficiency);
            }
            bench::report("link_efficiency_ppm", &mut measured.efficiency);
            bench::report("link_uart_millicycles_per_byte", &mut measured.uart);
            bench::report("link_path_millicycles_per_byte", &mut measured.path);
            report_one("link_drained_bytes", measured.bytes);
            0
        }
        (raw, measured) => {
            println!("linkbench: raw {raw:?}, windows {:?}", measured.map(|_| ()));
            1
        }
    }
}
