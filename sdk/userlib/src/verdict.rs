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

/// A named program's checks, printed as `<program>: ok <name>` (or
/// `... -> <result>`) and `<program>: FAIL <name>: <detail>`, closed by
/// `<program>: N checks, M failed`. The hardening programs use it so one
/// image's log says which program each verdict came from.
#[derive(Debug)]
pub struct Tally {
    program: &'static str,
    checks: u32,
    failures: u32,
}

impl Tally {
    /// No checks yet for `program`.
    pub const fn new(program: &'static str) -> Self {
        Self {
            program,
            checks: 0,
            failures: 0,
        }
    }

    /// Prints the verdict of check `name`; `why` is printed only if it failed.
    pub fn check(&mut self, name: &str, ok: bool, why: core::fmt::Arguments<'_>) {
        self.verdict(name, ok, why, false);
    }

    /// Prints the verdict of check `name` with the `result` it got either way.
    pub fn check_showing(&mut self, name: &str, ok: bool, result: core::fmt::Arguments<'_>) {
        self.verdict(name, ok, result, true);
    }

    /// Prints the closing count and returns the failures, the program's
    /// exit status.
    pub fn finish(self) -> i32 {
        println!(
            "{}: {} checks, {} failed",
            self.program, self.checks, self.failures
        );
        i32::try_from(self.failures).unwrap_or(i32::MAX)
    }

    fn verdict(&mut self, name: &str, ok: bool, detail: core::fmt::Arguments<'_>, show_ok: bool) {
        self.checks += 1;
        let program = self.program;
        match (ok, show_ok) {
            (true, false) => println!("{program}: ok {name}"),
            (true, true) => println!("{program}: ok {name} -> {detail}"),
            (false, _) => {
                self.failures += 1;
                println!("{program}: FAIL {name}: {detail}");
            }
        }
    }
}
