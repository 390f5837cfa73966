//! A heap that grows and shrinks in phases, forever: it grows by one MiB a
//! second with `brk`, touching every new page (each a minor fault), to
//! `MIB` MiB (default 12); holds it; gives it back with `brk` in three
//! steps (the pages are freed); rests; and starts again. Its minor faults
//! climb in steps of 256 and its heap region and resident pages rise and
//! fall. One log line per phase. It never uses the allocator, so moving the
//! break by hand is safe.
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::{memory, println, process, time};

userlib::entry!(run);

const PAGE: u64 = 4096;
const MIB: u64 = 1024 * 1024;
/// Seconds between growth steps.
const STEP_MS: u64 = 1_000;
/// How long the full heap is held.
const HOLD_MS: u64 = 6_000;
/// How long the empty heap rests before growing again.
const REST_MS: u64 = 3_000;
/// Steps of the shrink.
const SHRINK_STEPS: u64 = 3;

fn run(args: userlib::Args) -> i32 {
    let mib: u64 = args.number(1).unwrap_or(12).clamp(1, 64);
    let pid = process::getpid();
    let base = memory::heap_end();
    let mut cycle: u64 = 0;
    loop {
        cycle += 1;
        let before = memory::vmstats();
        println!("heapwave {pid}: cycle {cycle}: growing to {mib} MiB, one MiB a second");
        // Grow: one MiB a step, every page of it written.
        for step in 0..mib {
            let start = match memory::sbrk(MIB) {
                Ok(start) => start,
                Err(error) => {
                    println!("heapwave {pid}: cannot grow past {step} MiB: {error:?}");
                    break;
                }
            };
            let mut page = start;
            while page < start + MIB {
                memory::touch(page, pattern(cycle, page));
                page += PAGE;
            }
            let _ = time::sleep_ms(STEP_MS);
        }
        let grown = memory::vmstats();
        let size = memory::heap_end() - base;
        println!(
            "heapwave {pid}: cycle {cycle}: grew to {} MiB, {} pages touched ({} minor faults, {} in all)",
            size / MIB,
            size / PAGE,
            grown.minor_faults - before.minor_faults,
            grown.minor_faults
        );
        // Hold: the pages stay resident; check they kept what was written.
        let _ = time::sleep_ms(HOLD_MS);
        let mut wrong = 0u64;
        let mut page = base;
        while page < base + size {
            if memory::peek(page) != Some(pattern(cycle, page)) {
                wrong += 1;
            }
            page += PAGE;
        }
        let held = memory::vmstats();
        println!(
            "heapwave {pid}: cycle {cycle}: held {} MiB for {} s ({} pages resident in all, {wrong} pages changed)",
            size / MIB,
            HOLD_MS / 1000,
            held.vm_total
        );
        // Shrink: the break goes back in steps, the pages are freed.
        for step in 1..=SHRINK_STEPS {
            let end = base + size - size * step / SHRINK_STEPS;
            let end = end.div_ceil(PAGE) * PAGE;
            if let Err(error) = memory::brk(end) {
                println!("heapwave {pid}: cannot shrink: {error:?}");
            }
            let _ = time::sleep_ms(STEP_MS);
        }
        let shrunk = memory::vmstats();
        println!(
            "heapwave {pid}: cycle {cycle}: shrank to {} MiB ({} pages resident in all, {} freed)",
            (memory::heap_end() - base) / MIB,
            shrunk.vm_total,
            held.vm_total.saturating_sub(shrunk.vm_total)
        );
        let _ = time::sleep_ms(REST_MS);
    }
}

/// The byte written to the first byte of page `page` in cycle `cycle`.
fn pattern(cycle: u64, page: u64) -> u8 {
    ((page / PAGE) ^ cycle) as u8 | 1
}
