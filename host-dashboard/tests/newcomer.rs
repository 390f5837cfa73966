//! What a newcomer meets first: the real `watchtower` binary on a Rust
//! toolchain that lacks the guest target, and its name and version.
//!
//! The toolchain tests build a second toolchain from the active one (hard
//! links to its files, without `lib/rustlib/x86_64-unknown-none`), register
//! it with `rustup toolchain link` and point `RUSTUP_TOOLCHAIN` at it, as a
//! machine whose `stable` was installed before the project existed. rustup
//! refuses to add components to a linked toolchain, so the first test sees
//! the refusal path; the second puts a `rustup` on `PATH` that stands in for
//! rustup's download (it links the real target's files into the toolchain)
//! and sees the build go on to the end. Neither may ever show rustc's E0463.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GUEST_TARGET: &str = "x86_64-unknown-none";

/// A rustup toolchain without the guest target, unlinked when dropped.
struct ToolchainWithoutTarget {
    name: String,
    sysroot: PathBuf,
    /// The active toolchain's sysroot it was made from.
    original: PathBuf,
}

impl ToolchainWithoutTarget {
    fn create(label: &str) -> Self {
        let output = Command::new("rustc")
            .args(["--print", "sysroot"])
            .output()
            .expect("rustc runs");
        assert!(output.status.success(), "rustc --print sysroot failed");
        let original = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        let name = format!("wt-test-{label}-{}", std::process::id());
        let sysroot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(&name);
        let _ = std::fs::remove_dir_all(&sysroot);
        link_tree(&original, &sysroot, &|path| {
            path == original.join("share")
                || path == original.join("lib/rustlib").join(GUEST_TARGET)
        });
        let status = Command::new("rustup")
            .args(["toolchain", "link", &name])
            .arg(&sysroot)
            .status()
            .expect("rustup runs");
        assert!(status.success(), "rustup toolchain link failed");
        let toolchain = Self {
            name,
            sysroot,
            original,
        };
        assert!(
            !toolchain.target_dir().exists(),
            "the test toolchain must lack the target"
        );
        toolchain
    }

    fn target_dir(&self) -> PathBuf {
        self.sysroot.join("lib/rustlib").join(GUEST_TARGET)
    }

    /// `watchtower --print-qemu --image smoke` on this toolchain, with its
    /// own target directory and `PATH` starting with `path_first`.
    fn print_qemu(&self, path_first: Option<&Path>) -> Output {
        let mut path = std::env::var_os("PATH").unwrap_or_default();
        if let Some(first) = path_first {
            let mut joined = std::ffi::OsString::from(first);
            joined.push(":");
            joined.push(path);
            path = joined;
        }
        Command::new(env!("CARGO_BIN_EXE_watchtower"))
            .args(["--print-qemu", "--image", "smoke"])
            .env("RUSTUP_TOOLCHAIN", &self.name)
            .env("PATH", path)
            .env("CARGO_TARGET_DIR", self.sysroot.with_extension("target"))
            // The nested cargo and rustc come from rustup's proxies, so
            // they run this toolchain, as they would for a user.
            .env_remove("CARGO")
            .env_remove("RUSTC")
            .env_remove("RUSTUP_TOOLCHAIN_SOURCE")
            .output()
            .expect("watchtower runs")
    }
}

impl Drop for ToolchainWithoutTarget {
    fn drop(&mut self) {
        let _ = Command::new("rustup")
            .args(["toolchain", "uninstall", &self.name])
            .output();
        let _ = std::fs::remove_dir_all(&self.sysroot);
        let _ = std::fs::remove_dir_all(self.sysroot.with_extension("target"));
    }
}

/// Recreates `from` at `to` with hard links (copies where links fail),
/// leaving out the paths `skip` names.
fn link_tree(from: &Path, to: &Path, skip: &dyn Fn(&Path) -> bool) {
    std::fs::create_dir_all(to).expect("create the toolchain copy");
    for entry in std::fs::read_dir(from).expect("read the toolchain") {
        let entry = entry.expect("read the toolchain");
        let source = entry.path();
        if skip(&source) {
            continue;
        }
        let destination = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            link_tree(&source, &destination, skip);
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&source).expect("read link");
            std::os::unix::fs::symlink(target, &destination).expect("symlink");
        } else if std::fs::hard_link(&source, &destination).is_err() {
            std::fs::copy(&source, &destination).expect("copy a toolchain file");
        }
    }
}

fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_toolchain_without_the_guest_target_that_rustup_cannot_change_is_refused_with_the_command_to_run()
 {
    let toolchain = ToolchainWithoutTarget::create("refused");
    let output = toolchain.print_qemu(None);
    let lines = stderr_lines(&output);
    assert!(!output.status.success(), "it cannot succeed: {lines:#?}");
    let all = lines.join("\n");
    assert!(!all.contains("E0463"), "rustc's error leaked out:\n{all}");
    // One line announcing the install, one line saying it failed and what to run.
    assert_eq!(lines.len(), 2, "two lines on stderr:\n{all}");
    assert!(
        lines[0].contains(&format!("installing it (rustup target add {GUEST_TARGET}")),
        "{all}"
    );
    assert!(
        lines[1].starts_with(
            "watchtower: build failed: the Rust target x86_64-unknown-none is not installed"
        ) && lines[1].ends_with(&format!(
            "run: rustup target add {GUEST_TARGET} --toolchain {}",
            toolchain.name
        )),
        "{all}"
    );
    assert!(output.stdout.is_empty(), "no QEMU line without a kernel");
}

#[test]
fn a_toolchain_without_the_guest_target_gets_it_from_rustup_and_the_build_goes_on() {
    let toolchain = ToolchainWithoutTarget::create("installed");
    // A rustup that stands in for the download: `target add` links the
    // active toolchain's target files into the test toolchain; everything
    // else goes to the real rustup.
    let bin = toolchain.sysroot.with_extension("bin");
    std::fs::create_dir_all(&bin).expect("create the fake bin");
    let real = String::from_utf8_lossy(
        &Command::new("sh")
            .args(["-c", "command -v rustup"])
            .output()
            .expect("sh runs")
            .stdout,
    )
    .trim()
    .to_string();
    let script = format!(
        "#!/bin/sh\n\
         if [ \"$1 $2 $3 $4 $5\" = \"target add {GUEST_TARGET} --toolchain {name}\" ]; then\n\
         cp -al '{from}' '{to}' && echo \"$*\" >> '{log}' && exit 0\n\
         fi\n\
         exec '{real}' \"$@\"\n",
        name = toolchain.name,
        from = toolchain
            .original
            .join("lib/rustlib")
            .join(GUEST_TARGET)
            .display(),
        to = toolchain.target_dir().display(),
        log = bin.join("calls").display(),
    );
    let rustup = bin.join("rustup");
    std::fs::write(&rustup, script).expect("write the fake rustup");
    let status = Command::new("chmod")
        .arg("+x")
        .arg(&rustup)
        .status()
        .expect("chmod");
    assert!(status.success());

    let output = toolchain.print_qemu(Some(&bin));
    let lines = stderr_lines(&output);
    let all = lines.join("\n");
    let _ = std::fs::remove_dir_all(&bin);
    assert!(!all.contains("E0463"), "rustc's error leaked out:\n{all}");
    assert!(
        output.status.success(),
        "the build goes on after the install:\n{all}"
    );
    assert!(
        all.contains("the Rust target x86_64-unknown-none is missing; installing it"),
        "one line says it installs the target:\n{all}"
    );
    assert!(toolchain.target_dir().join("lib").is_dir());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("qemu-system-x86_64 ") && stdout.contains("kernel.elf"),
        "the QEMU command line: {stdout}"
    );
}

#[test]
fn version_and_help_name_the_product() {
    let version = Command::new(env!("CARGO_BIN_EXE_watchtower"))
        .arg("--version")
        .output()
        .expect("watchtower runs");
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("watchtower {}", env!("CARGO_PKG_VERSION"))
    );
    let help = Command::new(env!("CARGO_BIN_EXE_watchtower"))
        .arg("--help")
        .output()
        .expect("watchtower runs");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("Usage: watchtower"), "{help}");
    assert!(!help.contains("host-dashboard"), "{help}");
}
