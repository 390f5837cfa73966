//! A short fuzz run of every cargo-fuzz target in `fuzz/` (the host stream
//! decoder and the guest's command parser), as part of the test suite.
//!
//! Builds the targets with `cargo fuzz build -s none` (stable Rust: no
//! sanitizer) into `fuzz/target`, then runs each for a few seconds from the
//! committed seeds with a fixed libFuzzer seed. A crash or a broken
//! invariant fails the test; it never skips. A missing cargo-fuzz is
//! installed first (`cargo install`, one line on stderr says so). Crashing
//! inputs land in `fuzz/artifacts/<target>/` (see `fuzz/README.md` for
//! turning one into a regression test).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Seconds of fuzzing per target.
const SECONDS_PER_TARGET: u32 = 5;

const TARGETS: [&str; 2] = ["stream_decoder", "command_parser"];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// `cargo fuzz ARGS` in `fuzz/`, with its own target directory, so it never
/// waits on the outer cargo's lock, and without the outer build's flags.
fn cargo_fuzz(args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let fuzz = fuzz_dir();
    Command::new(cargo)
        .current_dir(&fuzz)
        .arg("fuzz")
        .args(args)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        // The boot tests share the machine; build gently.
        .env("CARGO_BUILD_JOBS", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("cannot start cargo")
}

fn target_dir() -> String {
    fuzz_dir().join("target").to_string_lossy().into_owned()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The cargo-fuzz release the suite installs when none is there.
const CARGO_FUZZ: &str = "cargo-fuzz@0.13.2";

/// Installs cargo-fuzz when `cargo fuzz` does not run, saying so in one
/// line (written past the test harness's capture, so it shows).
fn ensure_cargo_fuzz() {
    if cargo_fuzz(&["--version"]).status.success() {
        return;
    }
    let _ = writeln!(
        std::io::stderr(),
        "fuzz_short: cargo-fuzz is missing; installing it (cargo install {CARGO_FUZZ} --locked)"
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let install = Command::new(cargo)
        .args(["install", CARGO_FUZZ, "--locked", "--quiet"])
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("cannot start cargo");
    assert!(
        install.status.success(),
        "installing cargo-fuzz failed (run `cargo install {CARGO_FUZZ} --locked`):\n{}",
        text(&install)
    );
    let version = cargo_fuzz(&["--version"]);
    assert!(
        version.status.success(),
        "cargo-fuzz was installed but `cargo fuzz --version` fails: {}",
        text(&version)
    );
}

#[test]
fn every_fuzz_target_survives_a_short_run() {
    ensure_cargo_fuzz();

    let target_dir = target_dir();
    let build = cargo_fuzz(&["build", "-s", "none", "--target-dir", &target_dir]);
    assert!(
        build.status.success(),
        "cargo fuzz build failed:\n{}",
        text(&build)
    );

    for target in TARGETS {
        // A fresh working corpus per run, so the same seed fuzzes the same
        // way every time; the committed seeds are only read.
        let corpus = fuzz_dir().join("target/suite-corpus").join(target);
        let _ = std::fs::remove_dir_all(&corpus);
        std::fs::create_dir_all(&corpus).expect("create the working corpus");
        let seeds = fuzz_dir().join("seeds").join(target);
        assert!(
            std::fs::read_dir(&seeds).is_ok_and(|mut dir| dir.next().is_some()),
            "no seeds in {}",
            seeds.display()
        );
        let time = format!("-max_total_time={SECONDS_PER_TARGET}");
        let run = cargo_fuzz(&[
            "run",
            "-s",
            "none",
            "--target-dir",
            &target_dir,
            target,
            &corpus.to_string_lossy(),
            &seeds.to_string_lossy(),
            "--",
            &time,
            "-seed=12345",
            "-timeout=10",
        ]);
        let log = text(&run);
        assert!(
            run.status.success(),
            "fuzz target {target} failed (crash inputs in fuzz/artifacts/{target}/):\n{log}"
        );
        let runs: u64 = log
            .lines()
            .find_map(|line| {
                line.strip_prefix("Done ")?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no 'Done N runs' line from {target}:\n{log}"));
        assert!(runs > 1000, "{target} ran only {runs} inputs:\n{log}");
        eprintln!("fuzz target {target}: {runs} runs in {SECONDS_PER_TARGET} s, no crash");
    }
}
