//! A long-lived parent with a 4 MiB heap (default; the argument is MiB)
//! that forks a child every few seconds, forever. After a fork every page
//! of the heap is shared copy-on-write: the child writes every fourth page
//! (a copy-on-write fault each), lives a moment and exits with the number
//! of faults it took; the parent meanwhile writes every eighth page (other
//! pages than the child's: copy-on-write faults of its own while the child
//! lives) and then checks that the child's writes never reached it. One log
//! line per round, from each side. It never uses the allocator.
#![cfg_attr(target_os = "none", no_std, no_main)]

use userlib::process::{self, ExitStatus};
use userlib::{memory, println, time};

userlib::entry!(run);

const PAGE: u64 = 4096;
/// One round every this many milliseconds.
const ROUND_MS: u64 = 6_000;
/// How long a child lives after its writes.
const CHILD_LIFE_MS: u64 = 1_500;
/// When the parent writes, after the fork.
const PARENT_WRITE_AFTER_MS: u64 = 500;

fn run(args: userlib::Args) -> i32 {
    let mib: u64 = args.number(1).unwrap_or(4).clamp(1, 32);
    let pid = process::getpid();
    let pages = mib * 256;
    let base = match memory::sbrk(pages * PAGE) {
        Ok(base) => base,
        Err(error) => {
            println!("cowfork {pid}: no heap of {mib} MiB: {error:?}");
            return 1;
        }
    };
    // Written a quarter-second batch at a time (about 512 pages a second),
    // a ramp to watch rather than a burst.
    for index in 0..pages {
        memory::touch(base + index * PAGE, parent_value(0, index));
        if index % 128 == 127 {
            let _ = time::sleep_ms(250);
        }
    }
    let stats = memory::vmstats();
    println!(
        "cowfork {pid}: {mib} MiB heap ({pages} pages) written; {} minor faults",
        stats.minor_faults
    );
    let mut round: u64 = 0;
    loop {
        round += 1;
        let started = time::clock_ns();
        match process::fork() {
            Ok(0) => return child(base, pages, round),
            Ok(child) => {
                let _ = time::sleep_ms(PARENT_WRITE_AFTER_MS);
                let before = memory::vmstats();
                let mut written = 0;
                for index in (2..pages).step_by(8) {
                    memory::touch(base + index * PAGE, parent_value(round, index));
                    written += 1;
                }
                let after = memory::vmstats();
                let status = process::reap(child);
                // The child wrote every fourth page; none of it is ours.
                let leaked = (0..pages)
                    .step_by(4)
                    .filter(|&index| {
                        memory::peek(base + index * PAGE) != Some(expected(round, index))
                    })
                    .count();
                let child_faults = match status {
                    Some(ExitStatus::Exited(faults)) => faults,
                    _ => -1,
                };
                println!(
                    "cowfork {pid}: round {round}: child {child} took {child_faults} copy-on-write faults; I wrote {written} shared pages ({} faults, {} in all); {leaked} of the child's writes reached me",
                    after.minor_faults - before.minor_faults,
                    after.minor_faults
                );
            }
            Err(error) => println!("cowfork {pid}: round {round}: fork failed: {error:?}"),
        }
        let spent = (time::clock_ns() - started) / 1_000_000;
        let _ = time::sleep_ms(ROUND_MS.saturating_sub(spent));
    }
}

/// The child: writes every fourth page of the shared heap, lives a moment,
/// and exits with the number of faults its writes took.
fn child(base: u64, pages: u64, round: u64) -> i32 {
    let pid = process::getpid();
    let before = memory::vmstats();
    let mut written = 0;
    for index in (0..pages).step_by(4) {
        // Even: the parent's values are odd, so a leak cannot go unseen.
        memory::touch(base + index * PAGE, (0xc0 ^ round as u8) & !1);
        written += 1;
    }
    let faults = memory::vmstats().minor_faults - before.minor_faults;
    println!(
        "cowfork child {pid}: wrote {written} of {pages} shared pages: {faults} copy-on-write faults"
    );
    let _ = time::sleep_ms(CHILD_LIFE_MS);
    faults as i32
}

/// What the parent writes to page `index` in round `round` (0: at start).
fn parent_value(round: u64, index: u64) -> u8 {
    (index as u8).wrapping_add(round as u8) | 1
}

/// What the parent's page `index` holds after its writes of round `round`:
/// pages it rewrote each round (every eighth from 2) hold that round's
/// value; the others still hold the value from the start.
fn expected(round: u64, index: u64) -> u8 {
    if index % 8 == 2 {
        parent_value(round, index)
    } else {
        parent_value(0, index)
    }
}
