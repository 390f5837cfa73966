//! Paging out under memory pressure: when free frames run low, anonymous
//! pages that one process owns alone are written to swap and their frames
//! freed. The owner gets them back, intact, on its next touch (a major
//! fault).
//!
//! Replacement is local first: the process that needs memory (the running
//! one) gives up its own pages before anyone else's, round-robin over its
//! addresses; only if it has none to give are other processes' pages taken,
//! round-robin over processes. Shared pages (after fork, the page cache,
//! shared regions) are never paged out.

use crate::arch::paging;
use crate::memory;
use crate::process;
use crate::swap;
use crate::sync::IrqLock;
use alloc::vec::Vec;
use kernel_abi::Pid;
use kernel_core::vm::{Backing, Page};

/// Below this many free frames, page out...
const LOW_WATERMARK: usize = 64;
/// ...until this many are free.
const HIGH_WATERMARK: usize = 128;
/// Victims chosen per scan.
const BATCH: usize = 32;

/// Where the last scan stopped: (pid, address).
static CURSOR: IrqLock<(Pid, u64)> = IrqLock::new("pageout cursor", (0, 0));

/// Makes sure a few frames are free, paging out if needed. Call with no
/// kernel lock held (it takes the process table).
pub fn ensure_free_frames() {
    if memory::with_frames(|frames| frames.free_frames()) >= LOW_WATERMARK {
        return;
    }
    while memory::with_frames(|frames| frames.free_frames()) < HIGH_WATERMARK {
        if page_out_batch() == 0 {
            break;
        }
    }
}

/// Pages out up to [`BATCH`] pages; returns how many.
fn page_out_batch() -> usize {
    let (cursor_pid, cursor_address) = CURSOR.with(|cursor| *cursor);
    process::with_table(|table| {
        // Candidates in round-robin order: from the cursor to the end, then
        // from the start.
        let mut candidates: Vec<(Pid, u64, u64)> = Vec::new();
        for process in table.iter() {
            for region in process.vm.regions() {
                if matches!(region.backing, Backing::Shared { .. }) {
                    continue;
                }
                for (address, page) in region.pages() {
                    if let Page::Resident(frame) = page {
                        candidates.push((process.pid, address, frame));
                    }
                }
            }
        }
        let start = candidates
            .iter()
            .position(|&(pid, address, _)| (pid, address) > (cursor_pid, cursor_address));
        candidates.rotate_left(start.unwrap_or(0));
        // The running process's own pages first (a stable sort keeps the
        // round-robin order within each group).
        let running = crate::sched::current();
        candidates.sort_by_key(|&(pid, _, _)| pid != running);
        let mut written = 0;
        for (pid, address, frame) in candidates {
            if written == BATCH {
                break;
            }
            if memory::with_frames(|frames| frames.users(frame)) != 1 {
                continue;
            }
            let Some(slot) = swap::write(frame) else {
                break;
            };
            let process = table.get_mut(pid).expect("candidate from the table");
            process.vm.swap_out(address, slot);
            paging::clear_user_page(process.root, address);
            memory::with_frames(|frames| frames.release(frame));
            CURSOR.with(|cursor| *cursor = (pid, address));
            written += 1;
        }
        written
    })
}
