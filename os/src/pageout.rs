//! Paging out under memory pressure: when free frames run low, anonymous
//! pages that one process owns alone are written to swap and their frames
//! freed. The owner gets them back, intact, on its next touch (a major
//! fault).
//!
//! Replacement is local first, then global, each a second-chance clock
//! over private pages by (pid, address): the process that needs memory
//! (the running one) gives up its own pages before anyone else's; a page
//! the CPU used since the hand last passed (its page-table accessed bit)
//! has the bit cleared and is passed over; the first page found unused is
//! evicted. Never evicted:
//!
//! - pages of system services (their memory is what handling an exit
//!   event needs; see `memory::SERVICE_RESERVE_FRAMES` for new frames);
//! - a process's most recently faulted-in pages
//!   (`kernel_core::vm::pressure`), so an instruction that needs several
//!   pages always gets all of them at once;
//! - shared pages (after fork, the page cache, shared regions).
//!
//! Swap I/O needs no fresh frame: the disk's bounce frames are reserved at
//! boot.

use crate::arch::paging;
use crate::memory;
use crate::process;
use crate::sync::IrqLock;
use alloc::vec::Vec;
use kernel_abi::Pid;
use kernel_core::vm::{Backing, Page};

/// Below this many free frames, page out...
const LOW_WATERMARK: usize = memory::PAGEOUT_LOW_WATERMARK;
/// ...until this many are free.
const HIGH_WATERMARK: usize = LOW_WATERMARK + 64;
/// Victims chosen per scan.
const BATCH: usize = 32;

/// The clock hand over everyone's pages: (pid, address) of the last page
/// examined.
static HAND: IrqLock<(Pid, u64)> = IrqLock::new("pageout hand", (0, 0));
/// The hand of the local scan (over the running process's pages).
static LOCAL_HAND: IrqLock<(Pid, u64)> = IrqLock::new("pageout local hand", (0, 0));

/// Makes sure a few frames are free, paging out if needed. Call with no
/// kernel lock held (it takes the process table). Returns the free frames
/// after.
pub fn ensure_free_frames() -> usize {
    let free = memory::free_frames;
    if free() >= LOW_WATERMARK {
        return free();
    }
    while free() < HIGH_WATERMARK {
        if page_out_batch() == 0 {
            break;
        }
    }
    free()
}

/// A page the clock may evict.
struct Victim {
    pid: Pid,
    address: u64,
    frame: u64,
}

/// Pages out up to [`BATCH`] pages; returns how many. The running
/// process's own pages are scanned first (its own clock), then everyone's.
fn page_out_batch() -> usize {
    let running = crate::sched::current();
    process::with_table(|table| {
        // The clock clears accessed bits: pages mapped ahead by
        // fault-around are counted first (`vm::Ahead`).
        for process in table.iter_mut() {
            crate::vm::settle_ahead(process);
        }
        let mut victims = scan(table, Some(running), &LOCAL_HAND);
        if victims.is_empty() {
            victims = scan(table, None, &HAND);
        }
        let mut written = 0;
        for victim in victims {
            let Some(process) = table.get_mut(victim.pid) else {
                continue;
            };
            if !crate::vm::swap_out(process, victim.address, victim.frame) {
                break;
            }
            written += 1;
        }
        written
    })
}

/// Runs the clock over the private pages of process `only` (or of every
/// ordinary process), from `hand` on, wrapping once, and twice at most
/// (the first turn may only clear the accessed bits of pages in use);
/// returns up to [`BATCH`] pages to evict and moves the hand.
fn scan(table: &process::Table, only: Option<Pid>, hand: &IrqLock<(Pid, u64)>) -> Vec<Victim> {
    let start = hand.with(|hand| *hand);
    let mut last = start;
    let mut victims: Vec<Victim> = Vec::with_capacity(BATCH);
    'turns: for _ in 0..2 {
        // From the hand to the end, then from the start to the hand.
        for after_hand in [true, false] {
            let processes = table
                .iter()
                .filter(|process| only.is_none_or(|pid| pid == process.pid));
            for process in processes {
                if process.privileged || process.root == 0 {
                    continue;
                }
                for region in process.vm.regions() {
                    if matches!(region.backing, Backing::Shared { .. }) {
                        continue;
                    }
                    for (address, page) in region.pages() {
                        let position = (process.pid, address);
                        if (position > start) != after_hand {
                            continue;
                        }
                        let Page::Resident(frame) = page else {
                            continue;
                        };
                        if process.vm.pressure.is_pinned(address) || memory::users_of(frame) != 1 {
                            continue;
                        }
                        last = position;
                        if paging::take_accessed(process.root, address) == Some(true) {
                            // Used since the hand last came by: a second
                            // chance.
                            continue;
                        }
                        victims.push(Victim {
                            pid: process.pid,
                            address,
                            frame,
                        });
                        if victims.len() == BATCH {
                            break 'turns;
                        }
                    }
                }
            }
        }
        if !victims.is_empty() {
            break;
        }
    }
    hand.with(|cursor| *cursor = last);
    victims
}
