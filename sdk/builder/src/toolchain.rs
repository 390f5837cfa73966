//! The guest target on the active Rust toolchain.
//!
//! The kernel and the programs are built for [`GUEST_TARGET`], whose standard
//! library (`core`, `alloc`) is a separate rustup component. rustup adds the
//! `targets` of `rust-toolchain.toml` only when it installs the toolchain
//! itself, so on a machine whose `stable` was installed earlier the target is
//! usually missing and the nested build would stop with rustc's `E0463:
//! can't find crate for 'core'`. [`ensure_guest_target`] runs before any
//! guest build: it looks for the target's `core` in the toolchain's sysroot,
//! installs the target with `rustup target add` where rustup is there (one
//! line on stderr says so), and otherwise stops with one line naming the
//! command to run.

use crate::build::GUEST_TARGET;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// Why the guest target is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingTarget {
    /// The toolchain that lacks it, as rustup names it (or its sysroot).
    pub toolchain: String,
    /// What was tried and why it failed, in one line.
    pub reason: String,
}

impl MissingTarget {
    /// The command a person runs to fix it.
    pub fn fix(&self) -> String {
        format!(
            "rustup target add {GUEST_TARGET} --toolchain {}",
            self.toolchain
        )
    }
}

impl std::fmt::Display for MissingTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the Rust target {GUEST_TARGET} is not installed for toolchain {} ({}); run: {}",
            self.toolchain,
            self.reason,
            self.fix()
        )
    }
}

impl std::error::Error for MissingTarget {}

/// Makes sure the active toolchain can build for [`GUEST_TARGET`]: returns
/// at once when it can, installs the target through rustup when it is
/// missing, and fails with the command to run when that is not possible.
/// A success is remembered for the rest of the process, per toolchain.
pub fn ensure_guest_target() -> Result<(), MissingTarget> {
    static CHECKED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let key = std::env::var("RUSTUP_TOOLCHAIN").unwrap_or_default();
    let mut checked = CHECKED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if checked.contains(&key) {
        return Ok(());
    }
    let libdir = target_libdir()?;
    if !has_core(&libdir) {
        let toolchain = toolchain_name(&libdir);
        install(&toolchain)?;
        if !has_core(&libdir) {
            return Err(MissingTarget {
                toolchain,
                reason: format!(
                    "rustup target add succeeded but {} still has no libcore",
                    libdir.display()
                ),
            });
        }
    }
    checked.push(key);
    Ok(())
}

/// rustc run in the workspace root, so `rust-toolchain.toml` (or
/// `RUSTUP_TOOLCHAIN`) picks the same toolchain as the nested cargo.
fn rustc() -> Command {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut command = Command::new(rustc);
    command
        .current_dir(crate::workspace_root())
        .stdin(Stdio::null());
    command
}

/// Where the guest target's libraries live (or would live) in the active
/// toolchain's sysroot.
fn target_libdir() -> Result<PathBuf, MissingTarget> {
    let unknown = |reason: String| MissingTarget {
        toolchain: std::env::var("RUSTUP_TOOLCHAIN").unwrap_or_else(|_| "stable".into()),
        reason,
    };
    let output = rustc()
        .args(["--print", "target-libdir", "--target", GUEST_TARGET])
        .output()
        .map_err(|error| unknown(format!("cannot run rustc: {error}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().find(|line| !line.trim().is_empty());
        return Err(unknown(format!(
            "rustc --print target-libdir failed: {}",
            first.unwrap_or("no message")
        )));
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
    ))
}

/// Whether `libdir` holds the target's `core` library.
fn has_core(libdir: &Path) -> bool {
    std::fs::read_dir(libdir).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libcore-") && name.ends_with(".rlib")
        })
    })
}

/// The toolchain's name: rustup's, or else the sysroot's directory name
/// (`<sysroot>/lib/rustlib/<target>/lib`).
fn toolchain_name(libdir: &Path) -> String {
    std::env::var("RUSTUP_TOOLCHAIN").ok().unwrap_or_else(|| {
        libdir
            .ancestors()
            .nth(4)
            .and_then(Path::file_name)
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "stable".into())
    })
}

/// `rustup target add` for `toolchain`, announced on one line.
fn install(toolchain: &str) -> Result<(), MissingTarget> {
    let failed = |reason: String| MissingTarget {
        toolchain: toolchain.to_string(),
        reason,
    };
    eprintln!(
        "watchtower: the Rust target {GUEST_TARGET} is missing; installing it (rustup target add {GUEST_TARGET} --toolchain {toolchain})"
    );
    let output = Command::new("rustup")
        .current_dir(crate::workspace_root())
        .args(["target", "add", GUEST_TARGET, "--toolchain", toolchain])
        .stdin(Stdio::null())
        .output()
        .map_err(|error| failed(format!("rustup is not available: {error}")))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr
        .lines()
        .map(|line| line.trim().trim_start_matches("error: "))
        .find(|line| !line.is_empty())
        .unwrap_or("no message");
    Err(failed(format!("rustup target add failed: {first}")))
}
