//! `--accel kvm` is checked up front by the accelerator probe: on a host
//! without `/dev/kvm`, or whose `/dev/kvm` is `kvm_pvm` (which does not run
//! ring-3 system calls), the dashboard stops with one line naming the cause
//! and suggesting `--accel tcg`, before building or booting the image. The
//! test asserts whichever case this machine is.

use image_builder::probe::{KVM_DEVICE, KVM_PVM_MODULE};
use std::path::Path;
use std::process::Command;

#[test]
fn kvm_is_refused_up_front_with_one_line_on_a_host_where_it_cannot_work() {
    let cache = std::env::temp_dir().join(format!("watchtower-kvm-refusal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let has_kvm = Path::new(KVM_DEVICE).exists();
    let pvm = Path::new(KVM_PVM_MODULE).exists();
    if has_kvm && !pvm {
        // A real KVM: the probe must pass (then the boot tests may use KVM).
        assert_eq!(
            image_builder::probe::check_kvm(image_builder::BuildOutput::Capture),
            Ok(())
        );
        return;
    }
    let output = Command::new(env!("CARGO_BIN_EXE_watchtower"))
        .args([
            "--headless",
            "--accel",
            "kvm",
            "--seconds",
            "5",
            "--image",
            "smoke",
        ])
        .env("XDG_CACHE_HOME", &cache)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(stdout.is_empty(), "nothing booted, no summary: {stdout}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("watchtower: "))
        .collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    let line = lines[0];
    assert!(line.ends_with("use --accel tcg"), "{line}");
    if !has_kvm {
        assert!(line.contains("no /dev/kvm"), "case: no /dev/kvm: {line}");
    } else {
        assert!(
            line.contains("(kvm_pvm) does not run ring-3 system calls"),
            "case: kvm_pvm: {line}"
        );
        // The verdict was cached for the next run.
        let cached: Vec<_> = std::fs::read_dir(cache.join("watchtower"))
            .unwrap()
            .flatten()
            .map(|entry| std::fs::read_to_string(entry.path()).unwrap())
            .collect();
        assert_eq!(cached, ["syscall-not-emulated"]);
    }
    let _ = std::fs::remove_dir_all(&cache);
}
