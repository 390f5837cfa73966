//! The page-fault benchmark (init of the `bench-faults` image, booted with
//! `bench=on`). Prints `BENCH` lines (TSC cycles) for the runner:
//!
//! - a minor fault: first touches of anonymous heap pages in order, at
//!   three resident-set sizes, timed in runs of [`RUN`] pages, each sample
//!   a run's cycles over its pages (every page touched counts one minor
//!   fault, whether the kernel mapped it in its own fault or ahead of it by
//!   fault-around); the cost of one isolated fault (one page in 64, so
//!   no run forms); and the floor, the kernel allocating, zeroing, mapping
//!   and flushing a page itself;
//! - a major fault: first touch of a page of this program's 1 MiB table,
//!   read from the disk on demand; and its floor, a raw read of a disk page.
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use alloc::vec::Vec;
use kernel_abi::syscall::BenchKind;
use userlib::{bench, memory, println, time};

userlib::entry!(run);

const PAGE: u64 = 4096;
/// Pages per timed run of sequential first touches.
const RUN: u64 = 32;
const TABLE_BYTES: usize = 1024 * 1024;

/// A megabyte of non-zero data, so it lives in the file (read-only data),
/// not in bss.
static TABLE: [u8; TABLE_BYTES] = {
    let mut table = [0u8; TABLE_BYTES];
    let mut index = 0;
    while index < TABLE_BYTES {
        table[index] = (index % 251) as u8 + 1;
        index += 1;
    }
    table
};

/// Writes one byte of the heap page at `address` (from `sbrk` above).
/// Not `memory::touch`, which asks the kernel for the heap's end first (a
/// system call per touch, which the figure would otherwise include).
#[inline(always)]
fn write_page(address: u64) {
    // SAFETY: every address passed lies in heap memory this program just
    // took with `sbrk` and does not otherwise reference.
    unsafe { core::ptr::write_volatile(address as *mut u8, 1) };
}

#[inline(never)]
fn touch_timed(address: u64) -> u64 {
    let start = time::cycles();
    write_page(address);
    time::cycles() - start
}

/// Cycles to touch `RUN` pages from `address` on, in order.
#[inline(never)]
fn touch_run_timed(address: u64) -> u64 {
    let start = time::cycles();
    for page in 0..RUN {
        write_page(address + page * PAGE);
    }
    time::cycles() - start
}

#[inline(never)]
fn read_timed(address: *const u8) -> (u64, u8) {
    let start = time::cycles();
    // SAFETY: `address` is inside TABLE, a static of this program.
    let value = unsafe { core::ptr::read_volatile(address) };
    (time::cycles() - start, value)
}

fn run(_args: userlib::Args) -> i32 {
    // Warm the code paths on a scratch page first.
    let warm = memory::sbrk(PAGE).expect("sbrk");
    touch_timed(warm);

    for pages in [256u64, 4096, 16384] {
        let before = memory::vmstats();
        let start = memory::sbrk(pages * PAGE).expect("sbrk");
        let mut samples: Vec<u64> = (0..pages / RUN)
            .map(|run| touch_run_timed(start + run * RUN * PAGE) / RUN)
            .collect();
        let counted = memory::vmstats().minor_faults - before.minor_faults;
        println!("faultbench: {pages} pages touched, {counted} minor faults counted");
        let mut name = [0u8; 40];
        bench::report(
            label(&mut name, "minor_fault_cycles_rss_", pages),
            &mut samples,
        );
    }
    // Isolated faults: one page in every 64 (more than fault-around maps
    // ahead, so no sequential run forms), after a gap from the last run.
    let pages = 256u64;
    let start = memory::sbrk((pages + 1) * 64 * PAGE).expect("sbrk") + 64 * PAGE;
    let mut samples: Vec<u64> = (0..pages)
        .map(|index| touch_timed(start + index * 64 * PAGE))
        .collect();
    bench::report("minor_fault_single_cycles", &mut samples);

    match bench::kernel(BenchKind::PageFloor, 4000, 0) {
        Ok(cycles) => {
            println!("BENCH page_floor_cycles median={cycles} p10={cycles} p90={cycles} n=4000")
        }
        Err(error) => println!("faultbench: page floor unavailable: {error:?}"),
    }
    match bench::kernel(BenchKind::PageFloorFresh, 4000, 0) {
        Ok(cycles) => println!(
            "BENCH page_floor_fresh_cycles median={cycles} p10={cycles} p90={cycles} n=4000"
        ),
        Err(error) => println!("faultbench: fresh-frame page floor unavailable: {error:?}"),
    }

    let base = TABLE.as_ptr();
    let first_page = (base as u64).div_ceil(PAGE) * PAGE;
    let mut checksum = 0u64;
    let mut samples = Vec::new();
    let mut page = first_page;
    while page + PAGE <= base as u64 + TABLE_BYTES as u64 {
        let (cycles, value) = read_timed(page as *const u8);
        checksum += u64::from(value);
        samples.push(cycles);
        page += PAGE;
    }
    let stats = userlib::memory::vmstats();
    println!(
        "faultbench: table checksum {checksum}, major faults {}",
        stats.major_faults
    );
    bench::report("major_fault_cycles", &mut samples);
    match bench::kernel(BenchKind::DiskRead, 256, 1) {
        Ok(cycles) => {
            println!("BENCH disk_read_cycles median={cycles} p10={cycles} p90={cycles} n=256")
        }
        Err(error) => println!("faultbench: disk read unavailable: {error:?}"),
    }
    0
}

fn label<'a>(buffer: &'a mut [u8; 40], prefix: &str, number: u64) -> &'a str {
    let mut digits = [0u8; 20];
    let mut count = 0;
    let mut rest = number;
    loop {
        digits[count] = b'0' + (rest % 10) as u8;
        count += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    buffer[..prefix.len()].copy_from_slice(prefix.as_bytes());
    for index in 0..count {
        buffer[prefix.len() + index] = digits[count - 1 - index];
    }
    core::str::from_utf8(&buffer[..prefix.len() + count]).unwrap_or("minor")
}
