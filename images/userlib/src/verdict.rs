//! Test programs' verdicts: one `PASS name` or `FAIL name: detail` line per
//! check (the boot tests read them), and the count of failures, which a
//! test program returns as its exit status.

use crate::println;

/// Failures so far.
#[derive(Debug, Default)]
pub struct Verdicts {
    failures: i32,
}

impl Verdicts {
    /// No checks yet.
    pub const fn new() -> Self {
        Self { failures: 0 }
    }

    /// Prints the verdict of check `name`; counts it if it failed.
    pub fn check(&mut self, name: &str, ok: bool, detail: core::fmt::Arguments<'_>) {
        if ok {
            println!("PASS {name}");
        } else {
            self.failures += 1;
            println!("FAIL {name}: {detail}");
        }
    }

    /// How many checks failed.
    pub fn failures(&self) -> i32 {
        self.failures
    }
}
