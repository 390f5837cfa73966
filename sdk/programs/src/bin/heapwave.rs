//! A heap that grows and shrinks in phases, forever: it grows with `brk` in
//! eight steps a second apart, touching every new page (each a minor
//! fault), to as many MiB as its argument says (default 12: steps of
//! 1.5 MiB); holds it for 4 s; gives it back with `brk` in three steps (the
//! pages are freed); rests 3 s; and starts again, an 18 s cycle. Its minor
//! faults climb in steps (384 pages a step by default) and its heap region
//! and resident pages rise and fall. One log line per phase. It never uses the
//! allocator, so moving the break by hand is safe.
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::{memory, println, process, time};

userlib::entry!(run);

const PAGE: u64 = 4096;
const MIB: u64 = 1024 * 1024;
/// Steps of the growth.
const GROW_STEPS: u64 = 8;
/// Time between steps.
const STEP_MS: u64 = 1_000;
/// How long the full heap is held.
const HOLD_MS: u64 = 4_000;
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
        println!(
            "heapwave {pid}: cycle {cycle}: growing to {mib} MiB in {GROW_STEPS} steps, one a second"
        );
        // Grow: a step at a time, every page of it written.
        let step_bytes = (mib * MIB / GROW_STEPS).div_ceil(PAGE) * PAGE;
        for step in 0..GROW_STEPS {
            let start = match memory::sbrk(step_bytes) {
                Ok(start) => start,
                Err(error) => {
                    println!("heapwave {pid}: cannot grow past step {step}: {error:?}");
                    break;
                }
            };
            let mut page = start;
            while page < start + step_bytes {
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
