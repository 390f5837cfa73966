//! `--machine` (and the config file's `[source] machine`) choose the QEMU
//! machine the image boots on; `--print-qemu` shows the command.

use std::process::Command;

fn print_qemu(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_watchtower"))
        .args(["--print-qemu", "--image", "smoke"])
        .args(args)
        .output()
        .expect("watchtower runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    stdout.lines().last().unwrap_or("").to_string()
}

#[test]
fn print_qemu_boots_the_machine_asked_for() {
    let microvm = print_qemu(&["--machine", "microvm"]);
    assert!(microvm.contains("-machine microvm "), "{microvm}");
    assert!(microvm.contains("virtio-blk-device"), "{microvm}");
    assert!(!microvm.contains("virtio-blk-pci"), "{microvm}");

    let default = print_qemu(&[]);
    assert!(default.contains("-machine q35 "), "{default}");
    assert!(default.contains("virtio-blk-pci"), "{default}");

    let config =
        std::env::temp_dir().join(format!("watchtower-machine-{}.toml", std::process::id()));
    std::fs::write(&config, "[source]\nmachine = \"microvm\"\n").unwrap();
    let from_config = print_qemu(&["--config", config.to_str().unwrap()]);
    let flag_wins = print_qemu(&["--config", config.to_str().unwrap(), "--machine", "q35"]);
    let _ = std::fs::remove_file(&config);
    assert!(from_config.contains("-machine microvm "), "{from_config}");
    assert!(flag_wins.contains("-machine q35 "), "{flag_wins}");
}
