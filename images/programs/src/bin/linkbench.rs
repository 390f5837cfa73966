//! The link-efficiency benchmark (init of the `bench-link` image, booted with
//! `bench=on`): raw bytes through the UART in one second, then telemetry
//! frames through the same UART in one second (the ring kept full), both
//! measured in the kernel; then the link's own rate (full rings drained,
//! only the drain timed). Prints `BENCH` lines for the runner.
#![cfg_attr(target_os = "none", no_std, no_main)]

use kernel_abi::syscall::BenchKind;
use userlib::{bench, println, time};

userlib::entry!(run);

fn run(_args: userlib::Args) -> i32 {
    let _ = time::sleep_ms(200);
    let raw = bench::kernel(BenchKind::UartRaw, 1000, 0);
    let _ = time::sleep_ms(200);
    let framed = bench::kernel(BenchKind::TelemetryFlood, 1000, 0);
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
    match (raw, framed) {
        (Ok(raw), Ok(framed)) => {
            println!("BENCH uart_raw_bytes_per_s median={raw} p10={raw} p90={raw} n=1");
            println!("BENCH telemetry_bytes_per_s median={framed} p10={framed} p90={framed} n=1");
            0
        }
        other => {
            println!("linkbench: {other:?}");
            1
        }
    }
}
