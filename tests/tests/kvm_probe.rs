//! The accelerator probe (`tools/kvm-probe`) as a fixture: under TCG its
//! ring-3 `syscall` reaches the LSTAR stub in ring 0, so the dashboard would
//! let such an accelerator boot the OS. (Under this host's kvm_pvm the same
//! probe reports "syscall not emulated": `host-dashboard/tests/kvm_refusal.rs`.)

use image_builder::BuildOutput;
use image_builder::probe::{Verdict, build_probe, run_probe};

#[test]
fn the_probe_passes_under_tcg() {
    let probe = build_probe(BuildOutput::Capture).expect("the probe builds");
    assert_eq!(run_probe(&probe, image_builder::Accel::Tcg), Verdict::Works);
}

/// The kernel's own check, for a host where KVM is kvm_pvm (the dashboard
/// refuses such a KVM up front; this boots the kernel there anyway, as
/// `--print-qemu` or a hand-run QEMU would): the first program's first
/// `syscall` faults at LSTAR in user mode, and instead of killing the
/// program with SIGSEGV the kernel says why in a fatal frame and powers
/// off with `EXIT_SYSCALL_NOT_EMULATED`. Elsewhere (no kvm_pvm) there is
/// nothing to see: the test says so and passes.
#[test]
fn the_kernel_names_a_syscall_that_was_not_emulated() {
    use protocol::message::{EXIT_SYSCALL_NOT_EMULATED, Message};
    if !std::path::Path::new(image_builder::probe::KVM_PVM_MODULE).exists() {
        eprintln!("not a kvm_pvm host: the symptom cannot be produced here");
        return;
    }
    let options = image_builder::QemuOptions {
        accel: image_builder::Accel::Kvm,
        ..Default::default()
    };
    let run = boot_tests::boot_with("demo", std::time::Duration::from_secs(60), &options);
    assert_eq!(
        run.guest_exit_code(),
        Some(EXIT_SYSCALL_NOT_EMULATED),
        "{}",
        run.describe()
    );
    let said = run.messages().any(|message| {
        matches!(message, Message::Panic(panic) if panic.message.starts_with("syscall not emulated"))
    });
    assert!(said, "{}", run.describe());
    let killed = run
        .messages()
        .any(|message| matches!(message, Message::UserFault(_)));
    assert!(!killed, "no program was killed for it: {}", run.describe());
}
