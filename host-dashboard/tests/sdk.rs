//! `watchtower new` end to end: makes an image in a temporary directory
//! outside the repository, for Rust and for C, boots each headless with
//! `--image <dir>` and finds its program's log lines, page faults, signal,
//! fork and exits (and for C the crashing child's fault) in the JSON
//! summary.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn watchtower() -> Command {
    Command::new(env!("CARGO_BIN_EXE_watchtower"))
}

/// A fresh directory under the system's temporary directory (outside the
/// repository), removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("watchtower-sdk-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let repo = image_builder::workspace_root().canonicalize().unwrap();
        assert!(!dir.canonicalize().unwrap().starts_with(&repo));
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `watchtower new <dir> [--c]`, then boots the image headless from
/// another working directory; returns the JSON summary and the program's
/// name.
fn new_and_boot(parent: &Path, name: &str, c: bool) -> (Value, String) {
    let dir = parent.join(name);
    let mut new = watchtower();
    new.arg("new").arg(&dir);
    if c {
        new.arg("--c");
    }
    let output = new.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("--image"), "{said}");
    assert!(dir.join("image.toml").is_file() && dir.join("README.md").is_file());
    let program = image_builder::scaffold::program_name(&dir.canonicalize().unwrap());

    let output = watchtower()
        .current_dir(parent)
        .args(["--headless", "--seconds", "60", "--image"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    (serde_json::from_str(&stdout).unwrap(), program)
}

fn log_lines(summary: &Value, pid: Option<u64>) -> Vec<String> {
    summary["guest"]["log_tail"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| pid.is_none_or(|pid| line["pid"] == pid))
        .map(|line| line["text"].as_str().unwrap().to_string())
        .collect()
}

/// What both programs do: log, fault in 1 MiB, fork, signal, exit.
fn check_common(summary: &Value, program: &str, dir_name: &str) {
    assert_eq!(summary["failure"], Value::Null, "{summary:#}");
    assert_eq!(summary["image"], dir_name, "{summary:#}");
    assert_eq!(summary["guest"]["exit_code"], 0, "{summary:#}");
    let parent = log_lines(summary, Some(1));
    let all = log_lines(summary, None);
    assert!(
        parent.contains(&format!("{program}: started as pid 1")),
        "{all:?}"
    );
    let faults_line = parent
        .iter()
        .find(|line| line.starts_with(&format!("{program}: touched 256 pages, ")))
        .unwrap_or_else(|| panic!("{all:?}"));
    let faults: u64 = faults_line
        .split(", ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(faults >= 256, "{faults_line}");
    assert!(
        parent.contains(&format!("{program}: forked child 2")),
        "{all:?}"
    );
    let child = log_lines(summary, Some(2));
    assert!(
        child
            .iter()
            .any(|line| line.starts_with(&format!("{program}: child 2 caught"))),
        "{all:?}"
    );
    assert!(
        parent.contains(&format!("{program}: child 2 exited with status 7")),
        "{all:?}"
    );
    assert!(parent.contains(&format!("{program}: done")), "{all:?}");
    let exited = summary["exited"].as_array().unwrap();
    let exit_of = |pid: u64| {
        exited
            .iter()
            .find(|exit| exit["pid"] == pid)
            .unwrap_or_else(|| panic!("no exit of {pid}: {exited:?}"))
    };
    assert_eq!(
        (exit_of(2)["name"].as_str(), exit_of(2)["status"].as_i64()),
        (Some(program), Some(7))
    );
    assert_eq!(
        (exit_of(1)["name"].as_str(), exit_of(1)["status"].as_i64()),
        (Some(program), Some(0))
    );
}

#[test]
fn a_new_rust_image_outside_the_repository_boots_and_shows_its_program() {
    let temp = TempDir::new("rust");
    let (summary, program) = new_and_boot(&temp.0, "my-lab", false);
    assert_eq!(program, "my_lab");
    check_common(&summary, &program, "my-lab");
}

#[test]
fn a_new_c_image_outside_the_repository_boots_and_shows_its_program() {
    let temp = TempDir::new("c");
    let (summary, program) = new_and_boot(&temp.0, "clab", true);
    check_common(&summary, &program, "clab");
    // The crashing child: a page fault at a bad pointer, killed by SIGSEGV.
    let exited = summary["exited"].as_array().unwrap();
    let crashed = exited
        .iter()
        .find(|exit| exit["pid"] == 3)
        .unwrap_or_else(|| panic!("{exited:?}"));
    assert_eq!(crashed["signal_name"], "SIGSEGV", "{crashed}");
    assert_eq!(crashed["fault"]["vector"], 14, "{crashed}");
    assert!(
        log_lines(&summary, Some(1)).contains(&"clab: child 3 was killed by signal 11".to_string()),
        "{summary:#}"
    );
}

#[test]
fn a_manifest_names_a_binary_of_a_workspace_package_under_a_name_of_its_own() {
    let temp = TempDir::new("package");
    let dir = temp.0.join("pkg");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("image.toml"),
        "description = \"package and bin\"\nmemory_mib = 64\n\n[[program]]\nname = \"greeter\"\nboot = true\nargs = [\"one\", \"two\"]\npackage = \"programs\"\nbin = \"hello\"\n",
    )
    .unwrap();
    let output = watchtower()
        .args(["--headless", "--seconds", "30", "--image"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["image"], "pkg", "{summary:#}");
    let lines = log_lines(&summary, Some(1));
    assert!(
        log_lines(&summary, None).contains(&"init is pid 1 (greeter)".to_string()),
        "{summary:#}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("hello from pid 1") && line.ends_with("3 args")),
        "{lines:?}"
    );
    assert_eq!(summary["exited"][0]["name"], "greeter", "{summary:#}");
    assert_eq!(summary["exited"][0]["status"], 0, "{summary:#}");
}
