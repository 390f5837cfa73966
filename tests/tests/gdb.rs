//! gdb against the real kernel: boots `images/kernel-fault` paused with
//! QEMU's gdb server (as `--gdb` does), drives Debian's `gdb` in batch mode
//! with the command `image_builder::gdb` prints: a breakpoint in the
//! kernel's fault path (`kernel::fatal::kernel_fault`), `continue`, the
//! backtrace, CR2 and the trap frame, and the helpers of
//! `tools/gdb/watchtower.py`. When gdb detaches, the guest runs on and
//! reports the fault over the telemetry link: the address and instruction
//! gdb saw must be the ones the KernelFault frame then carries, and the
//! backtrace must name the kernel's source files (the release kernel keeps
//! its line tables).
//!
//! `.ci/run` installs gdb when it is missing; without it this test fails.

use image_builder::QemuOptions;
use protocol::message::Message;
use std::process::Command;
use std::time::Duration;

/// A port nothing listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a port");
    listener.local_addr().unwrap().port()
}

/// The first number after `label` in gdb's output (hex `0x..` or decimal).
fn number_after(output: &str, label: &str) -> Option<u64> {
    let rest = &output[output.find(label)? + label.len()..];
    let word = rest.split_whitespace().next()?;
    match word.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => word.parse().ok(),
    }
}

#[test]
fn gdb_stops_in_the_kernel_fault_path_with_source_lines_and_the_reported_address() {
    let gdb_version = Command::new("gdb").arg("--version").output();
    assert!(
        gdb_version.is_ok_and(|output| output.status.success()),
        "this test needs gdb (Debian package gdb; .ci/run installs it)"
    );
    let built = boot_tests::built_image("kernel-fault");
    let port = free_port();
    let options = QemuOptions {
        wait_for_gdb: true,
        gdb_port: Some(port),
        ..QemuOptions::default()
    };
    let boot = {
        let built = built.clone();
        std::thread::spawn(move || {
            boot_tests::boot_image(&built, Duration::from_secs(120), &options, Vec::new())
        })
    };
    // What --gdb tells a person to run, with the session's commands added.
    let attach = image_builder::gdb::attach_command(&built, port);
    assert!(
        attach.contains(&format!("target remote 127.0.0.1:{port}")),
        "{attach}"
    );
    let output = Command::new("timeout")
        .arg("100")
        .args([
            "gdb",
            "-nx",
            "-batch",
            "-iex",
            "set auto-load python-scripts off",
        ])
        .arg(&built.kernel)
        .args(["-ex", "set confirm off"])
        .arg("-ex")
        .arg(format!(
            "source {}",
            image_builder::gdb::helpers_script().display()
        ))
        .arg("-ex")
        .arg(format!("target remote 127.0.0.1:{port}"))
        .args(["-ex", "break kernel::fatal::kernel_fault"])
        .args(["-ex", "continue"])
        .args(["-ex", "bt"])
        .args(["-ex", "info registers cr2"])
        .args(["-ex", "printf \"vector=%d\\n\", frame.vector"])
        .args(["-ex", "printf \"rip=0x%lx\\n\", frame.rip"])
        .args(["-ex", "wt-current"])
        .output()
        .expect("running gdb");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let run = boot.join().expect("the boot thread");
    let context = format!("gdb said:\n{text}\n{}", run.describe());

    assert!(
        text.contains("Breakpoint 1, kernel::fatal::kernel_fault"),
        "{context}"
    );
    // The backtrace names the source files: the fault path and its caller.
    assert!(text.contains("at os/src/fatal.rs:"), "{context}");
    assert!(
        text.contains("kernel::trap::handle") && text.contains("os/src/trap.rs:"),
        "{context}"
    );
    let cr2 = number_after(&text, "cr2").unwrap_or_else(|| panic!("no cr2\n{context}"));
    let vector = number_after(&text, "vector=").unwrap_or_else(|| panic!("no vector\n{context}"));
    let rip = number_after(&text, "rip=").unwrap_or_else(|| panic!("no rip\n{context}"));
    // The helper finds the running "process": none, the idle loop faulted.
    assert!(text.contains("pid 0 (the idle loop"), "{context}");

    let fault = run
        .messages()
        .find_map(|message| match message {
            Message::KernelFault(fault) => Some(*fault),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no KernelFault frame after gdb detached\n{context}"));
    assert_eq!(vector, 14, "a page fault\n{context}");
    assert_eq!(
        (cr2, rip),
        (fault.fault_address, fault.rip),
        "gdb's CR2 and trap-frame rip against the telemetry's fault\n{context}"
    );
}
