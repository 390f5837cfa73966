//! VM checks with exact expectations, one per mode; each prints what it
//! measured and exits 0 if the expectation held (non-zero says which failed):
//!
//! | mode | checks |
//! | --- | --- |
//! | `anon K` | touching K new heap pages adds exactly K minor faults and K to `vm_total` |
//! | `cow N K` | after fork, the child's first write to each of K shared pages is one minor fault, and the parent's data is unchanged |
//! | `segv-outside` | a read outside every region is SIGSEGV and counts no fault |
//! | `segv-readonly` | a write to read-only text is SIGSEGV and counts no fault |
//! | `hog MIB` | MIB of memory (more than the machine has) survives swapping intact, with major faults |
//! | `shared` | a shared region's writes are seen by the forked child and back |
#![cfg_attr(target_os = "none", no_std, no_main)]

use core::sync::atomic::{AtomicU64, Ordering};
use userlib::process::{self, ExitStatus};
use userlib::{Signal, memory, println, signal};

userlib::entry!(run);

const PAGE: u64 = 4096;

/// Writes `value` to the first byte of each of `pages` pages from `start`.
#[inline(never)]
fn touch_pages(start: u64, pages: u64, value: u8) {
    for page in 0..pages {
        memory::touch(start + page * PAGE, value);
    }
}

/// Uses some stack, so that later measurements don't fault on it.
#[inline(never)]
fn warm_stack() -> u64 {
    let mut buffer = [0u8; 16 * 1024];
    for index in (0..buffer.len()).step_by(512) {
        buffer[index] = index as u8;
    }
    core::hint::black_box(&buffer)
        .iter()
        .map(|&byte| u64::from(byte))
        .sum()
}

fn run(args: userlib::Args) -> i32 {
    warm_stack();
    match args.get(1).unwrap_or("") {
        "anon" => anon(args.number(2).unwrap_or(16)),
        "cow" => cow(args.number(2).unwrap_or(16), args.number(3).unwrap_or(8)),
        "segv-outside" => segv(0x10),
        "segv-readonly" => segv(run as *const () as u64),
        "hog" => hog(args.number(2).unwrap_or(32)),
        "shared" => shared(),
        other => {
            println!("vmcheck: unknown mode '{other}'");
            2
        }
    }
}

fn anon(pages: u64) -> i32 {
    // Warm up every code path of the measurement on one page first.
    let warm = memory::sbrk(PAGE).expect("sbrk");
    touch_pages(warm, 1, 1);
    let start = memory::sbrk(pages * PAGE).expect("sbrk");
    let before = memory::vmstats();
    touch_pages(start, pages, 7);
    let after = memory::vmstats();
    let minor = after.minor_faults - before.minor_faults;
    let major = after.major_faults - before.major_faults;
    let total = after.vm_total - before.vm_total;
    println!(
        "anon: touched {pages} pages: minor +{minor}, major +{major}, vm_total +{total}, vm_total_max {}",
        after.vm_total_max
    );
    let exact =
        minor == pages && major == 0 && total == pages && after.vm_total_max >= after.vm_total;
    // Fault-around: touching the first `pages` of a heap four times as
    // large in order maps pages ahead that are never touched; they hold
    // frames (`vm_total`) but count no fault.
    let start = memory::sbrk(4 * pages * PAGE).expect("sbrk");
    let before = memory::vmstats();
    touch_pages(start, pages, 9);
    let after = memory::vmstats();
    let minor = after.minor_faults - before.minor_faults;
    let total = after.vm_total - before.vm_total;
    println!(
        "anon ahead: touched {pages} of {} pages in order: minor +{minor}, vm_total +{total}",
        4 * pages
    );
    let ahead = minor == pages && total >= pages && total <= 4 * pages;
    // Reading the counters in the middle of a run (as a snapshot does)
    // must not lose the pages mapped ahead but not touched yet: the rest
    // of the run still counts one fault per page.
    let start = memory::sbrk(pages * PAGE).expect("sbrk");
    let before = memory::vmstats();
    let first_part = 5.min(pages);
    touch_pages(start, first_part, 11);
    let middle = memory::vmstats();
    touch_pages(start + first_part * PAGE, pages - first_part, 11);
    let after = memory::vmstats();
    let minor = after.minor_faults - before.minor_faults;
    let minor_first = middle.minor_faults - before.minor_faults;
    println!(
        "anon read mid-run: touched {pages} pages, counters read after {first_part}: minor +{minor_first} then +{minor} in all"
    );
    let mid_run = minor == pages && minor_first == first_part;
    if exact && ahead && mid_run { 0 } else { 1 }
}

fn cow(pages: u64, written: u64) -> i32 {
    let start = memory::sbrk(pages * PAGE).expect("sbrk");
    for page in 0..pages {
        memory::touch(start + page * PAGE, page as u8);
    }
    warm_stack();
    let parent = memory::vmstats();
    match process::fork() {
        Ok(0) => {
            // Its own counters (a deliberate deviation from MINIX, whose
            // child inherits the parent's fault counts and starts with
            // twice its vm_total): faults start from zero (only the few
            // of its first steps here), vm_total is the pages it shares.
            let at_start = memory::vmstats();
            warm_stack();
            let _ = memory::vmstats();
            let before = memory::vmstats();
            touch_pages(start, written, 0xEE);
            let after = memory::vmstats();
            let minor = after.minor_faults - before.minor_faults;
            let fresh_counters = at_start.minor_faults < pages
                && at_start.minor_faults < parent.minor_faults
                && at_start.major_faults == 0
                && at_start.vm_total <= parent.vm_total + 4
                && at_start.vm_total + pages > parent.vm_total;
            println!(
                "cow child start: counters minor {}, major {}, vm_total {} (parent: minor {}, vm_total {})",
                at_start.minor_faults,
                at_start.major_faults,
                at_start.vm_total,
                parent.minor_faults,
                parent.vm_total
            );
            println!(
                "cow child: first writes to {written} shared pages: minor +{minor}; started with its own counters: {fresh_counters}"
            );
            process::exit(if minor == written && fresh_counters {
                0
            } else {
                1
            });
        }
        Ok(child) => {
            let status = process::wait_for(child);
            let intact =
                (0..pages).all(|page| memory::peek(start + page * PAGE) == Some(page as u8));
            println!("cow parent: child {status:?}, my {pages} pages intact: {intact}");
            match (status, intact) {
                (Ok(ExitStatus::Exited(0)), true) => 0,
                (_, false) => 3,
                _ => 4,
            }
        }
        Err(error) => {
            println!("cow: fork failed: {error:?}");
            5
        }
    }
}

static BEFORE_MINOR: AtomicU64 = AtomicU64::new(0);
static BEFORE_MAJOR: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_segv(_signal: u64) {
    let after = memory::vmstats();
    let counted = after.minor_faults - BEFORE_MINOR.load(Ordering::SeqCst)
        + (after.major_faults - BEFORE_MAJOR.load(Ordering::SeqCst));
    println!("segv: caught SIGSEGV; faults counted by the bad access: {counted}");
    process::exit(if counted == 0 { 0 } else { 1 });
}

fn segv(address: u64) -> i32 {
    let _ = signal::catch(Signal::SIGSEGV, on_segv);
    // Run the handler's code paths once, harmlessly, so that its own page
    // faults happen now and not inside the measurement.
    let _ = memory::vmstats();
    warm_stack();
    let before = memory::vmstats();
    BEFORE_MINOR.store(before.minor_faults, Ordering::SeqCst);
    BEFORE_MAJOR.store(before.major_faults, Ordering::SeqCst);
    let pointer = core::hint::black_box(address) as *mut u8;
    if address < 0x1000 {
        // SAFETY: none: this read faults on purpose (outside every region).
        let value = unsafe { core::ptr::read_volatile(pointer) };
        println!("segv: read {value} outside every region");
    } else {
        // SAFETY: none: this write faults on purpose (text is read-only).
        unsafe { core::ptr::write_volatile(pointer, 0xCC) };
        println!("segv: wrote to read-only text");
    }
    9
}

/// A byte derived from a page number, so that every page holds something
/// different.
fn pattern(page: u64) -> u8 {
    (page.wrapping_mul(2_654_435_761) >> 7) as u8 | 1
}

fn hog(mib: u64) -> i32 {
    let pages = mib * 256;
    let start = match memory::sbrk(pages * PAGE) {
        Ok(start) => start,
        Err(error) => {
            println!("hog: sbrk {mib} MiB failed: {error:?}");
            return 2;
        }
    };
    for page in 0..pages {
        memory::touch(start + page * PAGE, pattern(page));
        memory::touch(start + page * PAGE + PAGE - 1, pattern(page + 1));
    }
    let written = memory::vmstats();
    let mut bad = 0;
    for page in 0..pages {
        let first = memory::peek(start + page * PAGE);
        let last = memory::peek(start + page * PAGE + PAGE - 1);
        if first != Some(pattern(page)) || last != Some(pattern(page + 1)) {
            bad += 1;
        }
    }
    let read = memory::vmstats();
    println!(
        "hog: {mib} MiB, {pages} pages: {bad} bad; major faults {} while writing, {} while reading back; vm_total_max {}",
        written.major_faults,
        read.major_faults - written.major_faults,
        read.vm_total_max
    );
    if bad == 0 && read.major_faults > written.major_faults {
        0
    } else {
        1
    }
}

fn shared() -> i32 {
    let len = 3 * PAGE;
    let region = match memory::map_shared(len).ok() {
        Some(region) => region,
        None => return 2,
    };
    // SAFETY: (all accesses below) `region` is a writable shared region of
    // `len` bytes this process owns; parent and child only use these bytes.
    unsafe { core::ptr::write_volatile(region as *mut u64, 11) };
    match process::fork() {
        Ok(0) => {
            // SAFETY: see above.
            let seen = unsafe { core::ptr::read_volatile(region as *const u64) };
            // SAFETY: see above.
            unsafe { core::ptr::write_volatile((region + 2 * PAGE) as *mut u64, seen + 1) };
            process::exit(if seen == 11 { 0 } else { 1 });
        }
        Ok(child) => {
            let status = process::wait_for(child);
            // SAFETY: see above.
            let back = unsafe { core::ptr::read_volatile((region + 2 * PAGE) as *const u64) };
            println!("shared: child {status:?}, wrote back {back}");
            if status == Ok(ExitStatus::Exited(0)) && back == 12 {
                0
            } else {
                1
            }
        }
        Err(_) => 3,
    }
}
