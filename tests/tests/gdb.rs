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
//! A second session debugs a C program: the `add-symbol-file` line the
//! builder gives for `libctest` in `images/libc-test`, a hardware
//! breakpoint on one of its functions, the backtrace into `main` with
//! `libctest.c` lines, and `wt-current`/`wt-regions` naming the process
//! (and pid) the telemetry names.
//!
//! `.ci/run` installs gdb when it is missing; without it these tests fail.

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

/// Boots `built` paused for gdb, runs gdb in batch mode on it with the
/// attach command's settings and then `commands`, lets the guest run on
/// after gdb detaches; returns gdb's output and the boot's telemetry.
fn debug_session(
    built: &image_builder::BuiltImage,
    commands: &[String],
) -> (String, boot_tests::BootRun) {
    let gdb_version = Command::new("gdb").arg("--version").output();
    assert!(
        gdb_version.is_ok_and(|output| output.status.success()),
        "this test needs gdb (Debian package gdb; .ci/run installs it)"
    );
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
    let attach = image_builder::gdb::attach_command(built, port);
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
        .args(
            commands
                .iter()
                .flat_map(|command| ["-ex", command.as_str()]),
        )
        .output()
        .expect("running gdb");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let run = boot.join().expect("the boot thread");
    (text, run)
}

#[test]
fn gdb_stops_in_the_kernel_fault_path_with_source_lines_and_the_reported_address() {
    let built = boot_tests::built_image("kernel-fault");
    let commands = [
        "break kernel::fatal::kernel_fault",
        "continue",
        "bt",
        "info registers cr2",
        "printf \"vector=%d\\n\", frame.vector",
        "printf \"rip=0x%lx\\n\", frame.rip",
        "wt-current",
    ]
    .map(String::from);
    let (text, run) = debug_session(&built, &commands);
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

#[test]
fn a_c_program_is_debugged_with_the_add_symbol_file_line_gdb_is_given() {
    let built = boot_tests::built_image("libc-test");
    let (_, add_symbols) = image_builder::gdb::program_symbol_commands(&built)
        .into_iter()
        .find(|(name, _)| name == "libctest")
        .expect("an add-symbol-file line for libctest");
    assert!(add_symbols.ends_with(" 0x400000"), "{add_symbols}");
    // Every program shares the address, so a hardware breakpoint (on the
    // virtual address, in whichever process runs it) on a C function.
    let commands = [
        add_symbols,
        "hbreak test_stdlib".into(),
        "continue".into(),
        "bt".into(),
        "wt-current".into(),
        "wt-regions".into(),
    ];
    let (text, run) = debug_session(&built, &commands);
    let context = format!("gdb said:\n{text}\n{}", run.describe());
    assert!(
        text.contains("Breakpoint 1, test_stdlib () at ")
            && text.contains("images/libc-test/libctest.c:"),
        "{context}"
    );
    assert!(text.contains(" in main ("), "{context}");
    // The helpers name the process the telemetry then names, and its heap.
    let pid = run.pids_of("libctest")[0];
    assert!(
        text.contains(&format!(
            "pid {pid}, name libctest, parent 0, state Running"
        )),
        "{context}"
    );
    assert!(
        text.contains(&format!("pid {pid} (libctest):")) && text.contains(" Heap   Anonymous"),
        "{context}"
    );
    // Detached, the guest ran on: the checks passed and init exited 0.
    assert!(run.failed_checks().is_empty(), "{context}");
    assert_eq!(run.guest_exit_code(), Some(0), "{context}");
}
