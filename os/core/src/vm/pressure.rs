//! Memory pressure as one process sees it: which of its pages pageout must
//! leave alone for now, and whether it is thrashing.
//!
//! - **Pinned pages.** The pages a process faulted in most recently (the
//!   last [`PINNED`]) are never paged out from under it: an instruction
//!   that needs several pages (a string move across pages, a push of a
//!   memory operand, a stack and a data page) faults them in one by one,
//!   and evicting an earlier one to make room for a later one would make
//!   the instruction fault forever (a livelock with no progress at all).
//! - **Thrashing.** A major fault on a page that pageout evicted only a
//!   short while ago (its *refault distance*, in evictions, is below the
//!   window the kernel gives) means the process's working set does not fit
//!   in memory. Each refault raises the process's thrash score by one and
//!   each other fault (progress: a new page, a cold swap-in) lowers it by
//!   [`PROGRESS_CREDIT`]; a score of [`THRASH_REFAULTS`] is thrashing: the
//!   process makes almost no progress (under one fault in
//!   [`PROGRESS_CREDIT`] is anything but a page it just lost), and the
//!   kernel applies its out-of-memory rule instead of letting it page
//!   forever. (A run that any other fault restarted could be kept from
//!   ever reaching the mark by one fresh page now and then.)

/// Pages pinned per process: the most recently faulted in.
pub const PINNED: usize = 8;

/// The thrash score that counts as thrashing.
pub const THRASH_REFAULTS: u32 = 2048;

/// How much one fault that is not a refault lowers the thrash score.
pub const PROGRESS_CREDIT: u32 = 64;

/// What a handled fault was, for the pressure bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// No I/O (zero fill, copy-on-write, a page cache hit, a remap).
    Minor,
    /// Read from the disk; `refault`: a page from swap that was evicted
    /// less than the refault window ago.
    Major {
        /// Whether it was a recent eviction coming back.
        refault: bool,
    },
}

/// One process's pinned pages and thrash score.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pressure {
    pinned: [u64; PINNED],
    /// Next slot of `pinned` to overwrite.
    next: usize,
    /// How many slots hold a page (0 = none yet; page 0 is never mapped,
    /// but an explicit count keeps that out of the rule).
    filled: usize,
    /// The thrash score: +1 per refault, -[`PROGRESS_CREDIT`] per other
    /// fault, never below 0.
    refaults: u32,
    /// Refaults in all (for the snapshot and the log).
    pub total_refaults: u64,
}

impl Pressure {
    /// Records a handled fault on `page`; returns whether the process is now
    /// thrashing (the score reached [`THRASH_REFAULTS`]; it starts over).
    pub fn note_fault(&mut self, page: u64, kind: FaultKind) -> bool {
        if !self.is_pinned(page) {
            self.pinned[self.next] = page;
            self.next = (self.next + 1) % PINNED;
            self.filled = (self.filled + 1).min(PINNED);
        }
        match kind {
            FaultKind::Major { refault: true } => {
                self.total_refaults += 1;
                self.refaults += 1;
                if self.refaults >= THRASH_REFAULTS {
                    self.refaults = 0;
                    return true;
                }
            }
            _ => self.refaults = self.refaults.saturating_sub(PROGRESS_CREDIT),
        }
        false
    }

    /// Whether pageout must leave `page` alone.
    pub fn is_pinned(&self, page: u64) -> bool {
        self.pinned[..self.filled].contains(&page)
    }

    /// The current thrash score.
    pub fn refault_run(&self) -> u32 {
        self.refaults
    }
}

/// Whether a swap-in whose page was evicted `distance` evictions ago is a
/// refault, with memory of `window` evictable frames: the page would still
/// be resident had memory been that much larger, the working set does not
/// fit (the rule of Linux's `workingset.c`).
pub fn is_refault(distance: u64, window: u64) -> bool {
    distance < window
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_pages_faulted_in_are_pinned() {
        let mut pressure = Pressure::default();
        assert!(!pressure.is_pinned(0), "nothing is pinned at first");
        for page in 1..=(PINNED as u64 + 2) {
            pressure.note_fault(page * 4096, FaultKind::Minor);
        }
        assert!(!pressure.is_pinned(4096) && !pressure.is_pinned(2 * 4096));
        for page in 3..=(PINNED as u64 + 2) {
            assert!(pressure.is_pinned(page * 4096), "page {page}");
        }
        // A page faulted again does not push out another.
        pressure.note_fault(3 * 4096, FaultKind::Minor);
        assert!(pressure.is_pinned(4 * 4096));
    }

    #[test]
    fn refaults_with_little_progress_between_them_are_thrashing() {
        let mut pressure = Pressure::default();
        let refault = FaultKind::Major { refault: true };
        for n in 1..THRASH_REFAULTS {
            assert!(!pressure.note_fault(u64::from(n % 100) * 4096, refault));
        }
        assert_eq!(pressure.refault_run(), THRASH_REFAULTS - 1);
        // A cold swap-in or a minor fault is progress: it lowers the score.
        pressure.note_fault(0x1000, FaultKind::Major { refault: false });
        assert_eq!(
            pressure.refault_run(),
            THRASH_REFAULTS - 1 - PROGRESS_CREDIT
        );
        for _ in 0..PROGRESS_CREDIT {
            assert!(!pressure.note_fault(0x2000, refault));
        }
        assert!(pressure.note_fault(0x2000, refault), "the mark is reached");
        assert_eq!(pressure.refault_run(), 0, "and it starts over");
        assert_eq!(
            pressure.total_refaults,
            u64::from(THRASH_REFAULTS) + u64::from(PROGRESS_CREDIT)
        );
    }

    #[test]
    fn a_fresh_page_now_and_then_does_not_hide_thrashing() {
        // The attack image's thrasher: one zero-fill fault every 1000
        // refaults. A run restarted by any other fault never got there.
        let mut pressure = Pressure::default();
        let mut faults = 0u64;
        let thrashing = (0..10_000u64).any(|n| {
            faults += 1;
            let kind = if n % 1000 == 999 {
                FaultKind::Minor
            } else {
                FaultKind::Major { refault: true }
            };
            pressure.note_fault((n % 50) * 4096, kind)
        });
        assert!(thrashing, "not caught in {faults} faults");
    }

    #[test]
    fn a_working_set_that_mostly_makes_progress_is_not_thrashing() {
        // One refault in every eight faults: progress outweighs it.
        let mut pressure = Pressure::default();
        for n in 0..100_000u64 {
            let kind = if n % 8 == 0 {
                FaultKind::Major { refault: true }
            } else {
                FaultKind::Minor
            };
            assert!(!pressure.note_fault((n % 50) * 4096, kind));
        }
    }

    #[test]
    fn refaults_are_evictions_that_come_back_within_the_window() {
        assert!(is_refault(10, 1000));
        assert!(!is_refault(1000, 1000));
        assert!(!is_refault(5000, 1000));
    }
}
